//! WebAssembly 3.0 features at their edges, beyond what the spec suite's
//! proposal folders cover: 64-bit memories and tables at and past 2^32 and
//! 2^64, mixed with 32-bit ones; checked uninterrupted and with every call
//! suspended at each step.

use wasmbeam::{Engine, Features};
use wasmbeam_wast::{run_script, run_script_in, Mode};

fn check(script: &str, directives: usize) {
    let engine = Engine::default();
    let report = run_script("wasm3.wast", script, &engine);
    let failures: String = report.failures.iter().map(|f| format!("{f}\n")).collect();
    assert!(report.is_ok(), "{failures}");
    assert_eq!(report.counts.passed, directives, "every directive counted");
    let reference = Some(report.actions.clone().into());
    let sliced = run_script_in("wasm3.wast", script, &engine, Mode::Sliced(1), reference);
    let failures: String = sliced.failures.iter().map(|f| format!("{f}\n")).collect();
    assert!(sliced.is_ok(), "slice 1: {failures}");
}

#[test]
fn memory64_addresses_past_4_gib_and_wrapping_offsets_trap() {
    check(
        r#"
        (module
          (memory $m64 i64 1 3)
          (memory $m32 1)
          (data (memory $m64) (i64.const 0xfff0) "edge")
          (func (export "load") (param i64) (result i32) (i32.load8_u $m64 (local.get 0)))
          (func (export "load_off") (param i64) (result i32) (i32.load8_u $m64 offset=0xffffffffffffffff (local.get 0)))
          (func (export "load_big_off") (param i64) (result i64) (i64.load $m64 offset=0x100000000 (local.get 0)))
          (func (export "size") (result i64) (memory.size $m64))
          (func (export "grow") (param i64) (result i64) (memory.grow $m64 (local.get 0)))
          (func (export "fill") (param i64 i64) (memory.fill $m64 (local.get 0) (i32.const 7) (local.get 1)))
          (func (export "copy_in") (param i32 i64)
            (memory.copy $m32 $m64 (local.get 0) (local.get 1) (i32.const 4)))
          (func (export "load32") (param i32) (result i32) (i32.load8_u $m32 (local.get 0))))
        (assert_return (invoke "load" (i64.const 0xfff0)) (i32.const 0x65))
        (assert_trap (invoke "load" (i64.const 0x10000)) "out of bounds memory access")
        (assert_trap (invoke "load" (i64.const 0x100000000)) "out of bounds memory access")
        (assert_trap (invoke "load" (i64.const -1)) "out of bounds memory access")
        (assert_trap (invoke "load_off" (i64.const 1)) "out of bounds memory access")
        (assert_trap (invoke "load_off" (i64.const 0)) "out of bounds memory access")
        (assert_trap (invoke "load_big_off" (i64.const 0)) "out of bounds memory access")
        (assert_return (invoke "size") (i64.const 1))
        (assert_return (invoke "grow" (i64.const 0x100000000)) (i64.const -1))
        (assert_return (invoke "grow" (i64.const 2)) (i64.const 1))
        (assert_return (invoke "grow" (i64.const 1)) (i64.const -1))
        (assert_return (invoke "size") (i64.const 3))
        (assert_trap (invoke "fill" (i64.const 0) (i64.const 0x100000001)) "out of bounds memory access")
        (assert_return (invoke "fill" (i64.const 0x2fffe) (i64.const 2)))
        (assert_return (invoke "load" (i64.const 0x2ffff)) (i32.const 7))
        (assert_return (invoke "copy_in" (i32.const 8) (i64.const 0xfff0)))
        (assert_return (invoke "load32" (i32.const 11)) (i32.const 0x65))
        (assert_trap (invoke "copy_in" (i32.const 0) (i64.const 0x100000000)) "out of bounds memory access")
        "#,
        19,
    );
}

#[test]
fn table64_indices_past_4_g_elements_trap_instead_of_wrapping() {
    check(
        r#"
        (module
          (type $f (func (result i32)))
          (table $t i64 2 10 funcref)
          (elem (table $t) (i64.const 1) func $seven)
          (func $seven (result i32) (i32.const 7))
          (func (export "call") (param i64) (result i32) (call_indirect $t (type $f) (local.get 0)))
          (func (export "tail") (param i64) (result i32) (return_call_indirect $t (type $f) (local.get 0)))
          (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
          (func (export "size") (result i64) (table.size $t))
          (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
          (func (export "fill") (param i64 i64) (table.fill $t (local.get 0) (ref.func $seven) (local.get 1))))
        (assert_return (invoke "call" (i64.const 1)) (i32.const 7))
        (assert_return (invoke "tail" (i64.const 1)) (i32.const 7))
        (assert_trap (invoke "call" (i64.const 0)) "uninitialized element")
        (assert_trap (invoke "call" (i64.const 0x100000001)) "undefined element")
        (assert_trap (invoke "is_null" (i64.const 0x100000000)) "out of bounds table access")
        (assert_return (invoke "is_null" (i64.const 0)) (i32.const 1))
        (assert_return (invoke "size") (i64.const 2))
        (assert_return (invoke "grow" (i64.const 0x100000000)) (i64.const -1))
        (assert_return (invoke "grow" (i64.const 3)) (i64.const 2))
        (assert_return (invoke "size") (i64.const 5))
        (assert_trap (invoke "fill" (i64.const 0) (i64.const 0x100000002)) "out of bounds table access")
        (assert_trap (invoke "fill" (i64.const 0x100000000) (i64.const 0)) "out of bounds table access")
        (assert_return (invoke "fill" (i64.const 3) (i64.const 2)))
        (assert_return (invoke "call" (i64.const 4)) (i32.const 7))
        "#,
        15,
    );
}

#[test]
fn a_webassembly_2_engine_refuses_3_0_modules_as_invalid() {
    let engine = Engine::new(wasmbeam::Config { features: Features::WASM2, ..Default::default() }).unwrap();
    for (what, wat) in [
        ("memory64", "(module (memory i64 1))"),
        ("multi-memory", "(module (memory 1) (memory 1))"),
        ("tail calls", "(module (func $f (return_call $f)))"),
        ("extended-const", "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))"),
        ("exception handling", "(module (tag) (func (throw 0)))"),
        ("typed function references", "(module (func (param (ref func))))"),
    ] {
        let wasm = wat::parse_str(wat).unwrap();
        let error = wasmbeam::Module::new(&engine, &wasm).unwrap_err();
        assert!(matches!(error, wasmbeam::Error::Compile(_)), "{what}: {error}");
        wasmbeam::Module::new(&Engine::default(), &wasm).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}
