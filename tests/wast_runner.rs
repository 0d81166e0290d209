//! The spec-script runner itself: every directive kind passes when it
//! should and, just as important, fails when it should.

use wasmbeam::Engine;
use wasmbeam_wast::{run_script, Counts, ScriptReport};

fn run(text: &str) -> ScriptReport {
    run_script("test.wast", text, &Engine::default())
}

fn failures(report: &ScriptReport) -> String {
    report.failures.iter().map(|f| format!("{f}\n")).collect()
}

#[test]
fn every_directive_kind_passes() {
    let report = run(r#"
        (module $M
          (global (export "g") i32 (i32.const 7))
          (table (export "t") 1 funcref)
          (func $f (export "f") (param i32) (result i32) local.get 0)
          (func (export "id_ext") (param externref) (result externref) local.get 0)
          (func (export "null_func") (result funcref) ref.null func)
          (func (export "some_func") (result funcref) ref.func $f)
          (func (export "div") (param f32) (result f32) local.get 0 f32.const 0 f32.div)
          (func (export "nan_payload") (result f64) f64.const nan:0x4)
          (func (export "neg_zero") (result f32) f32.const -0)
          (func (export "trap") unreachable)
          (func $loop (export "loop") call $loop))
        (register "M" $M)
        (module
          (import "M" "f" (func $f (param i32) (result i32)))
          (func (export "g") (result i32) (call $f (i32.const 5))))
        (invoke "g")
        (assert_return (invoke "g") (i32.const 5))
        (assert_return (invoke $M "f" (i32.const -1)) (i32.const -1))
        (assert_return (invoke $M "id_ext" (ref.extern 3)) (ref.extern 3))
        (assert_return (invoke $M "id_ext" (ref.null extern)) (ref.null extern))
        (assert_return (invoke $M "null_func") (ref.null func))
        (assert_return (invoke $M "some_func") (ref.func))
        (assert_return (invoke $M "div" (f32.const 0)) (f32.const nan:canonical))
        (assert_return (invoke $M "div" (f32.const 0)) (f32.const nan:arithmetic))
        (assert_return (invoke $M "nan_payload") (f64.const nan:0x4))
        (assert_return (invoke $M "neg_zero") (f32.const -0))
        (assert_return (get $M "g") (i32.const 7))
        (assert_trap (invoke $M "trap") "unreachable")
        (assert_trap (module (memory 0) (data (i32.const 1) "x")) "out of bounds memory access")
        (assert_exhaustion (invoke $M "loop") "call stack exhausted")
        (assert_invalid (module (func (result i32))) "type mismatch")
        (assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
        (assert_malformed (module quote "(module (func (result i32) (i32.const 0) (i32.const 0)))") "invalid")
        (assert_malformed (module quote "(func") "unexpected token")
        (assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
        (assert_unlinkable (module (import "M" "f" (func))) "incompatible import type")
    "#);
    // 2 modules + register + invoke + 10 assert_return + get + 2 assert_trap
    // + exhaustion + invalid + 2 malformed + 2 unlinkable; the unparsable
    // quoted module is the one skip.
    assert_eq!(report.counts, Counts { passed: 23, failed: 0, skipped: 1 }, "{}", failures(&report));
    assert!(report.skips[0].message.contains("wast parser"), "{:?}", report.skips);
}

#[test]
fn spectest_is_the_reference_interpreters() {
    let report = run(r#"
        (module
          (import "spectest" "print" (func $p))
          (import "spectest" "print_i32" (func $p_i32 (param i32)))
          (import "spectest" "print_i64" (func $p_i64 (param i64)))
          (import "spectest" "print_f32" (func $p_f32 (param f32)))
          (import "spectest" "print_f64" (func $p_f64 (param f64)))
          (import "spectest" "print_i32_f32" (func $p_i32_f32 (param i32 f32)))
          (import "spectest" "print_f64_f64" (func $p_f64_f64 (param f64 f64)))
          (import "spectest" "global_i32" (global $gi32 i32))
          (import "spectest" "global_i64" (global $gi64 i64))
          (import "spectest" "global_f32" (global $gf32 f32))
          (import "spectest" "global_f64" (global $gf64 f64))
          (import "spectest" "table" (table 10 20 funcref))
          (import "spectest" "memory" (memory 1 2))
          (func (export "print_all")
            call $p
            (call $p_i32 (i32.const 1))
            (call $p_i64 (i64.const 1))
            (call $p_f32 (f32.const 1))
            (call $p_f64 (f64.const 1))
            (call $p_i32_f32 (i32.const 1) (f32.const 1))
            (call $p_f64_f64 (f64.const 1) (f64.const 1)))
          (func (export "gi32") (result i32) global.get $gi32)
          (func (export "gi64") (result i64) global.get $gi64)
          (func (export "gf32") (result f32) global.get $gf32)
          (func (export "gf64") (result f64) global.get $gf64)
          (func (export "table_size") (result i32) table.size 0)
          (func (export "memory_size") (result i32) memory.size)
          (func (export "grow_memory") (result i32) (memory.grow (i32.const 2)))
          (func (export "grow_table") (result i32) (table.grow (ref.null func) (i32.const 11))))
        (invoke "print_all")
        (assert_return (invoke "gi32") (i32.const 666))
        (assert_return (invoke "gi64") (i64.const 666))
        (assert_return (invoke "gf32") (f32.const 666.6))
        (assert_return (invoke "gf64") (f64.const 666.6))
        (assert_return (invoke "table_size") (i32.const 10))
        (assert_return (invoke "memory_size") (i32.const 1))
        (assert_return (invoke "grow_memory") (i32.const -1))
        (assert_return (invoke "grow_table") (i32.const -1))
        (assert_unlinkable (module (import "spectest" "global_i32" (global (mut i32)))) "incompatible import type")
        (assert_unlinkable (module (import "spectest" "memory" (memory 1 1))) "incompatible import type")
    "#);
    assert_eq!(report.counts, Counts { passed: 12, failed: 0, skipped: 0 }, "{}", failures(&report));
}

#[test]
fn wrong_expectations_fail() {
    let report = run(r#"
        (module $M
          (global (export "g") i32 (i32.const 7))
          (func (export "one") (result i32) i32.const 1)
          (func (export "ext") (result externref) ref.null extern)
          (func (export "nan") (result f32) f32.const nan:0x200000)
          (func (export "snan") (result f64) f64.const nan:0x1)
          (func (export "zero") (result f32) f32.const 0)
          (func (export "trap") unreachable))
        (assert_return (invoke "one") (i32.const 2))
        (assert_return (invoke "one") (i64.const 1))
        (assert_return (invoke "one"))
        (assert_return (invoke "ext") (ref.null func))
        (assert_return (invoke "ext") (ref.extern 1))
        (assert_return (invoke "nan") (f32.const nan:canonical))
        (assert_return (invoke "snan") (f64.const nan:arithmetic))
        (assert_return (invoke "zero") (f32.const -0))
        (assert_return (get "g") (i32.const 8))
        (assert_return (invoke "trap"))
        (assert_return (invoke "missing"))
        (assert_return (invoke $Nope "one") (i32.const 1))
        (invoke "trap")
        (assert_trap (invoke "one") "unreachable")
        (assert_trap (invoke "trap") "integer overflow")
        (assert_trap (module (func)) "unreachable")
        (assert_exhaustion (invoke "one") "call stack exhausted")
        (assert_invalid (module (func)) "type mismatch")
        (assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
        (assert_unlinkable (module) "unknown import")
        (assert_unlinkable (module (import "spectest" "print" (func))) "incompatible import type")
        (assert_unlinkable (module (import "spectest" "nope" (func))) "incompatible import type")
        (module (import "spectest" "nope" (func)))
        (assert_return (invoke "one") (i32.const 1))
        (register "X" $Nope)
    "#);
    // Everything after the first module fails: 25 failures, 1 pass.
    assert_eq!(report.counts, Counts { passed: 1, failed: 25, skipped: 0 }, "{}", failures(&report));
    let text = failures(&report);
    for expected in [
        "test.wast:10: assert_return: result 0: expected (i32.const 2), got (i32.const 1)",
        "expected trap \"unreachable\", call returned [(i32.const 1)]",
        "expected trap \"unreachable\", instantiation succeeded",
        "expected trap \"integer overflow\", got: unreachable",
        "module accepted, expected it to be rejected as invalid",
        "no exported function `missing`",
        "no instance named $Nope",
        "no current module",
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
}

#[test]
fn an_unparsable_script_is_one_failure() {
    let report = run("(module (func)) (assert_return (invoke \"f\")");
    assert_eq!(report.counts, Counts { passed: 0, failed: 1, skipped: 0 });
    assert!(report.failures[0].message.contains("does not parse"), "{}", failures(&report));
}
