//! Bounds checks the translator leaves out: accesses whose address is
//! bounded by the instructions computing it (a constant, a zero-extending
//! load, a mask, shifts and adds of those) and reaches no further than the
//! memory's minimum size. Counted in the translated IR; the runtime's
//! `bounds` tests check that they behave as checked accesses would at the
//! edges.

use cranelift_codegen::ir::{Function, Opcode};
use wasmbeam_jit::Compiler;

/// Bounds checks in the IR of function 0 of `wat`, translated without
/// reductions: its conditional branches, less the one that every function
/// has (the stack check at its entry).
fn checks(wat: &str) -> usize {
    branches(wat) - branches(&module("0", "(local.get $x)"))
}

fn branches(wat: &str) -> usize {
    let wasm = wat::parse_str(wat).unwrap();
    let info = wasmbeam_jit::parse(&wasm).unwrap();
    let compiler = Compiler::new(&Default::default()).unwrap();
    let mut func = Function::new();
    wasmbeam_jit::translate_function(compiler.isa(), &info, &wasm, info.num_imported_functions, false, &mut func)
        .unwrap();
    func.layout
        .blocks()
        .flat_map(|block| func.layout.block_insts(block))
        .filter(|i| func.dfg.insts[*i].opcode() == Opcode::Brif)
        .count()
}

fn module(memory: &str, body: &str) -> String {
    format!(r#"(module (memory {memory}) (func (export "f") (param $x i32) (result i32) {body}))"#)
}

#[test]
fn constant_addresses_within_the_minimum_are_not_checked() {
    assert_eq!(checks(&module("1", "(i32.load (i32.const 65532))")), 0);
    assert_eq!(checks(&module("1", "(i32.load offset=65532 (i32.const 0))")), 0);
    assert_eq!(checks(&module("1", "(i32.load (i32.const 65533))")), 1);
    assert_eq!(checks(&module("2", "(i32.load (i32.const 65533))")), 0);
    // A memory that starts empty has no minimum to rely on.
    assert_eq!(checks(&module("0 1", "(i32.load (i32.const 0))")), 1);
    assert_eq!(checks(&module("1", "(i32.load (local.get $x))")), 1);
}

#[test]
fn addresses_bounded_by_masks_bytes_and_shifts_are_not_checked() {
    // table[byte]: at most 65280 + 255.
    let table = "(i32.load8_u (i32.add (i32.const 65280) (i32.load8_u (local.get $x))))";
    assert_eq!(checks(&module("1", table)), 1, "only the byte's own load is checked");
    // stack[sp & 63], 4 bytes each: at most 65280 + 252, reaching 65536.
    let stack =
        "(i32.load (i32.add (i32.const 65280) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 2))))";
    assert_eq!(checks(&module("1", stack)), 0);
    let past = "(i32.load (i32.add (i32.const 65284) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 2))))";
    assert_eq!(checks(&module("1", past)), 1);
    // Shift counts are taken modulo 32, as WebAssembly does: 33 is 1.
    let shifted = "(i32.load8_u (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 33)))";
    assert_eq!(checks(&module("1", shifted)), 0);
    // A remainder is below its divisor.
    let rem = "(i32.load8_u (i32.rem_u (local.get $x) (i32.const 65536)))";
    assert_eq!(checks(&module("1", rem)), 1, "only the divisor's zero test remains");
}

#[test]
fn addresses_that_can_wrap_are_checked() {
    // 0xffffff00 + a byte may wrap around 2^32 in i32 arithmetic: no bound.
    let wrapping = "(i32.load8_u (i32.add (i32.const -256) (i32.and (local.get $x) (i32.const 255))))";
    assert_eq!(checks(&module("1", wrapping)), 1);
    // A product that overflows 32 bits wraps too.
    let product = "(i32.load8_u (i32.mul (i32.and (local.get $x) (i32.const 65535)) (i32.const 65537)))";
    assert_eq!(checks(&module("1", product)), 1);
    // Shifting bits out of the top is not a bound.
    let shifted_out = "(i32.load8_u (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 28)))";
    assert_eq!(checks(&module("1", shifted_out)), 1);
    // A sign-extending load is not a small unsigned value.
    let signed = "(i32.load8_u (i32.add (i32.const 65280) (i32.load8_s (local.get $x))))";
    assert_eq!(checks(&module("1", signed)), 2);
}
