//! Bounds checks merged across accesses with the same address: a check
//! with a larger reach that dominates an access covers it, so it is left
//! out. Counted in the translated IR (the runtime's `bounds` tests check
//! behaviour at the edges).

use cranelift_codegen::ir::{Function, Opcode};
use wasmbeam_jit::Compiler;

/// Conditional branches in the IR of `$f` (function 1), in a module with
/// one page of memory, whose body is `body` (params `$x` and `$c`, no
/// result); `$g` (function 0) is an import, which may suspend.
fn branches(body: &str, reductions: bool) -> usize {
    let wat = format!(
        r#"(module (import "host" "g" (func $g)) (memory 1) (func $f (export "f") (param $x i32) (param $c i32) {body}))"#
    );
    let wasm = wat::parse_str(wat).unwrap();
    let info = wasmbeam_jit::parse(&wasm).unwrap();
    let compiler = Compiler::new(&Default::default()).unwrap();
    let mut func = Function::new();
    wasmbeam_jit::translate_function(compiler.isa(), &info, &wasm, 1, reductions, &mut func).unwrap();
    func.layout
        .blocks()
        .flat_map(|block| func.layout.block_insts(block))
        .filter(|i| func.dfg.insts[*i].opcode() == Opcode::Brif)
        .count()
}

/// The checks `second` adds after `first` (counted as branches: `second`
/// must add no other control flow).
fn added_checks(first: &str, second: &str, reductions: bool) -> usize {
    branches(&format!("{first} {second}"), reductions) - branches(first, reductions)
}

const LOAD_8: &str = "(drop (i32.load offset=8 (local.get $x)))";

#[test]
fn a_dominating_check_with_a_larger_reach_covers_the_access() {
    for reductions in [false, true] {
        let smaller = "(drop (i32.load8_u offset=4 (local.get $x)))";
        assert_eq!(added_checks(LOAD_8, smaller, reductions), 0);
        let larger = "(drop (i32.load offset=12 (local.get $x)))";
        assert_eq!(added_checks(LOAD_8, larger, reductions), 1);
        let other_address = "(drop (i32.load (local.get $c)))";
        assert_eq!(added_checks(LOAD_8, other_address, reductions), 1);
        // Into an if's arms and nested blocks, and past a br_if.
        let in_arms = "(if (local.get $c) (then (drop (i32.load (local.get $x)))) (else (drop (i32.load offset=4 (local.get $x)))))";
        assert_eq!(added_checks(LOAD_8, "(if (local.get $c) (then))", reductions), 1, "the if itself");
        assert_eq!(added_checks(LOAD_8, in_arms, reductions), 1, "only the if's branch");
        let nested = "(block (br_if 0 (local.get $c)) (block (drop (i32.load offset=8 (local.get $x)))))";
        assert_eq!(added_checks(LOAD_8, nested, reductions), 1, "only the br_if");
    }
}

#[test]
fn a_check_does_not_cover_what_it_does_not_dominate() {
    for reductions in [false, true] {
        // Made in the then arm: not in the else arm, not after the if.
        let then_only = "(if (local.get $c) (then (drop (i32.load offset=8 (local.get $x)))) (else (drop (i32.load (local.get $x)))))";
        assert_eq!(branches(then_only, reductions) - branches("(if (local.get $c) (then) (else))", reductions), 2);
        let after_if =
            "(if (local.get $c) (then (drop (i32.load offset=8 (local.get $x))))) (drop (i32.load (local.get $x)))";
        assert_eq!(branches(after_if, reductions) - branches("(if (local.get $c) (then))", reductions), 2);
        // Made in a block a br_if may leave before it: not after the block.
        let after_block =
            "(block (br_if 0 (local.get $c)) (drop (i32.load offset=8 (local.get $x)))) (drop (i32.load (local.get $x)))";
        assert_eq!(branches(after_block, reductions) - branches("(block (br_if 0 (local.get $c)))", reductions), 2);
    }
}

#[test]
fn with_reductions_restore_code_entering_after_a_call_knows_no_check() {
    let after_call = "(local.get $x) (call $g) (drop (i32.load))";
    // The call adds its own branches (the state check, the suspension):
    // compare with the same call before an access elsewhere.
    let elsewhere = "(local.get $c) (call $g) (drop (i32.load))";
    assert_eq!(
        branches(&format!("{LOAD_8} {after_call}"), true),
        branches(&format!("{LOAD_8} {elsewhere}"), true),
        "a resumed frame enters after the call, where the first check has not run"
    );
}
