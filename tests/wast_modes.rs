//! The script runner's execution modes: forced suspension and suspending
//! imports give the same results as the uninterrupted run, really suspend,
//! and fail when a result differs from the reference.

use std::sync::Arc;
use wasmbeam::{Config, Engine};
use wasmbeam_wast::{run_script, run_script_in, Action, Counts, Mode, ScriptReport};

/// An engine with a small Wasm stack: `assert_exhaustion` at slice 1
/// suspends once per frame and saves every frame each time, so its cost
/// grows with the square of the depth.
fn engine() -> Engine {
    Engine::new(Config { max_wasm_stack: 64 << 10, ..Config::default() }).expect("a valid configuration")
}

fn failures(report: &ScriptReport) -> String {
    report.failures.iter().map(|f| format!("{f}\n")).collect()
}

/// Runs `text` uninterrupted, then in `mode` against that run.
fn both(text: &str, mode: Mode) -> (ScriptReport, ScriptReport) {
    let engine = engine();
    let direct = run_script("test.wast", text, &engine);
    assert!(direct.is_ok(), "uninterrupted: {}", failures(&direct));
    let reference: Arc<[Action]> = direct.actions.clone().into();
    let report = run_script_in("test.wast", text, &engine, mode, Some(reference));
    (direct, report)
}

/// Loops, recursion, traps after suspending, exhaustion, globals, funcrefs.
const COMPUTE: &str = r#"
    (module
      (global $g (export "g") (mut i32) (i32.const 0))
      (func $fac (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
      (func (export "sum") (param i32) (result i32) (local i32)
        (loop $l
          (global.set $g (i32.add (global.get $g) (i32.const 1)))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $l (local.get 0)))
        (local.get 1))
      (func (export "nan") (param f64) (result f64) (call $id (f64.div (local.get 0) (f64.const 0))))
      (func $id (param f64) (result f64) (local.get 0))
      (func $late (export "late_trap") (param i32) (result i32)
        (if (local.get 0) (then (return (call $late (i32.sub (local.get 0) (i32.const 1))))))
        (i32.div_u (i32.const 1) (local.get 0)))
      (func $runaway (export "runaway") (call $runaway))
      (func $f (export "ref") (result funcref) (ref.func $f)))
    (assert_return (invoke "fac" (i64.const 20)) (i64.const 2432902008176640000))
    (assert_return (invoke "sum" (i32.const 1000)) (i32.const 500500))
    (assert_return (get "g") (i32.const 1000))
    (assert_return (invoke "nan" (f64.const 0)) (f64.const nan:canonical))
    (assert_trap (invoke "late_trap" (i32.const 50)) "integer divide by zero")
    (assert_exhaustion (invoke "runaway") "call stack exhausted")
    (assert_return (invoke "ref") (ref.func))
    (invoke "sum" (i32.const 3))
"#;

#[test]
fn forced_suspension_gives_the_same_results() {
    for fuel in [1, 7, 97, 10007] {
        let (direct, report) = both(COMPUTE, Mode::Sliced(fuel));
        assert!(report.is_ok(), "slice {fuel}: {}", failures(&report));
        assert_eq!(report.counts, direct.counts, "slice {fuel}");
        assert_eq!(report.counts, Counts { passed: 9, failed: 0, skipped: 0 });
        assert_eq!(report.actions, direct.actions, "slice {fuel}");
        assert!(report.stats.suspensions > 0, "slice {fuel}: {:?}", report.stats);
        assert!(report.stats.max_continuation > 0, "slice {fuel}: {:?}", report.stats);
        assert!(report.stats.max_serialized > report.stats.max_continuation, "slice {fuel}: {:?}", report.stats);
        assert_eq!(report.stats.host_calls, 0);
    }
    // The uninterrupted run records but never suspends.
    let direct = run_script("test.wast", COMPUTE, &engine());
    assert_eq!(direct.stats, Default::default());
    assert_eq!(direct.actions.len(), 9, "{:?}", direct.actions);
    assert_eq!(direct.actions[0].result, "instantiated");
    assert!(direct.actions[5].result.contains("integer divide by zero"), "{:?}", direct.actions[5]);
}

#[test]
fn smaller_slices_suspend_more() {
    let count = |fuel| both(COMPUTE, Mode::Sliced(fuel)).1.stats.suspensions;
    let (one, hundred, big) = (count(1), count(97), count(10007));
    assert!(one > hundred && hundred > big, "{one} {hundred} {big}");
}

#[test]
fn a_result_other_than_the_references_fails() {
    let engine = engine();
    let direct = run_script("test.wast", COMPUTE, &engine);
    let mut changed = direct.actions.clone();
    changed[2].result = "[(i32.const 7)]".into(); // the `sum` call
    let report = run_script_in("test.wast", COMPUTE, &engine, Mode::Sliced(97), Some(changed.into()));
    assert_eq!(report.counts, Counts { passed: 8, failed: 1, skipped: 0 }, "{}", failures(&report));
    let failure = &report.failures[0];
    assert_eq!((failure.line, failure.directive), (23, "assert_return"));
    assert!(failure.message.contains("differs from the uninterrupted run: got [(i32.const 500500)]"), "{failure}");

    // A reference with an action more: the run falls short of it.
    let mut longer = direct.actions.clone();
    longer.push(Action { line: 99, result: "[]".into() });
    let report = run_script_in("test.wast", COMPUTE, &engine, Mode::Sliced(10007), Some(longer.into()));
    assert_eq!(report.counts.failed, 1, "{}", failures(&report));
    assert_eq!(report.failures[0].directive, "transcript");

    // One less: the last action has no counterpart.
    let shorter: Vec<Action> = direct.actions[..direct.actions.len() - 1].to_vec();
    let report = run_script_in("test.wast", COMPUTE, &engine, Mode::Sliced(10007), Some(shorter.into()));
    assert_eq!(report.counts.failed, 1, "{}", failures(&report));
    assert!(report.failures[0].message.contains("no such action"), "{}", failures(&report));
}

/// Imports from `spectest` and from instances, chained (a re-exported
/// stand-in imported again), nested (an imported function that itself calls
/// imports), through a table, trapping, returning funcrefs, called directly
/// from the script, and a module whose start function needs real imports.
const LINKED: &str = r#"
    (module $A
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 12) (local.get 0)))
      (func $f (export "f") (result i32) (i32.const 42))
      (func (export "ref") (result funcref) (ref.func $f)))
    (register "A" $A)
    (module $B
      (import "A" "add" (func $add (param i32 i32) (result i32)))
      (import "spectest" "print_i32" (func $print (param i32)))
      (export "add" (func $add))
      (func (export "add3") (param i32) (result i32)
        (call $print (local.get 0))
        (call $add (local.get 0) (i32.const 3))))
    (register "B" $B)
    (module $C
      (import "B" "add" (func $add (param i32 i32) (result i32)))
      (import "B" "add3" (func $add3 (param i32) (result i32)))
      (import "A" "div" (func $div (param i32) (result i32)))
      (import "A" "ref" (func $ref (result funcref)))
      (type $t (func (param i32) (result i32)))
      (table 1 funcref)
      (elem (i32.const 0) $add3)
      (func (export "run") (param i32) (result i32) (call $add (call $add3 (local.get 0)) (i32.const 100)))
      (func (export "indirect") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0)))
      (func (export "div") (param i32) (result i32) (call $div (local.get 0)))
      (func (export "ref_is_null") (result i32) (ref.is_null (call $ref))))
    (assert_return (invoke "run" (i32.const 1)) (i32.const 104))
    (assert_return (invoke "indirect" (i32.const 2)) (i32.const 5))
    (assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
    (assert_return (invoke "div" (i32.const 4)) (i32.const 3))
    (assert_return (invoke "ref_is_null") (i32.const 0))
    (assert_return (invoke $B "add" (i32.const 2) (i32.const 2)) (i32.const 4))
    (module $S
      (import "spectest" "print_i32" (func $p (param i32)))
      (global $ran (export "ran") (mut i32) (i32.const 0))
      (func $s (call $p (i32.const 1)) (global.set $ran (i32.const 1)))
      (start $s))
    (assert_return (get $S "ran") (i32.const 1))
"#;

#[test]
fn suspending_imports_are_answered_by_the_harness() {
    let (direct, report) = both(LINKED, Mode::SuspendingImports);
    assert!(report.is_ok(), "{}", failures(&report));
    assert_eq!(report.counts, direct.counts);
    assert_eq!(report.counts, Counts { passed: 13, failed: 0, skipped: 0 });
    assert_eq!(report.actions, direct.actions);
    let stats = report.stats;
    // run: add3 (print, add), add; indirect: add3 (print, add); div twice;
    // ref; the stand-in called directly.
    assert_eq!(stats.host_calls, 11, "{stats:?}");
    assert_eq!(stats.suspensions, stats.host_calls, "{stats:?}");
    assert_eq!(stats.max_nesting, 2, "{stats:?}");
    assert_eq!(stats.native_import_modules, 1, "{stats:?}");
    assert!(stats.max_continuation > 0, "{stats:?}");
}

#[test]
fn without_imports_nothing_suspends() {
    let (direct, report) = both(COMPUTE, Mode::SuspendingImports);
    assert!(report.is_ok(), "{}", failures(&report));
    assert_eq!(report.actions, direct.actions);
    assert_eq!(report.stats.suspensions, 0);
}

/// Recursion through an import that never ends: uninterrupted it exhausts
/// the Wasm stack; with suspending imports every level is a nested call of
/// the harness on an empty Wasm stack, so the harness stops it at
/// `MAX_NESTING` with its own trap, which differs, and the directive fails
/// (it must not crash the script thread).
#[test]
fn endless_recursion_through_imports_is_stopped_by_the_harness() {
    let text = r#"
        (module $A
          (type $t (func (result i32)))
          (table (export "t") 1 funcref)
          (func (export "f") (result i32) (call_indirect (type $t) (i32.const 0))))
        (register "A" $A)
        (module $B
          (import "A" "t" (table 1 funcref))
          (import "A" "f" (func $f (result i32)))
          (func $g (result i32) (call $f))
          (elem (i32.const 0) $g))
        (assert_exhaustion (invoke $A "f") "call stack exhausted")
    "#;
    let engine = engine();
    let direct = run_script("test.wast", text, &engine);
    assert!(direct.is_ok(), "{}", failures(&direct));
    let report = run_script_in("test.wast", text, &engine, Mode::SuspendingImports, Some(direct.actions.into()));
    assert_eq!(report.counts, Counts { passed: 3, failed: 1, skipped: 0 }, "{}", failures(&report));
    let message = &report.failures[0].message;
    assert!(
        message.contains(&format!("harness: host calls nested deeper than {}", wasmbeam_wast::MAX_NESTING)),
        "{message}"
    );
    assert_eq!(report.stats.max_nesting, wasmbeam_wast::MAX_NESTING);
}
