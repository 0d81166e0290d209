//! Native stack exhaustion with suspension, on a thread with a 1 MiB stack
//! (a BEAM scheduler's default) and the default 512 KiB WebAssembly budget:
//! a call that recurses without end traps cleanly whether it runs or is
//! being resumed, and resuming a deep call where less stack is left traps
//! instead of overflowing.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use wasmbeam_runtime::*;

const ONE_MIB: usize = 1 << 20;

#[test]
fn runaway_recursion_in_slices_exhausts_the_stack_cleanly() {
    on_thread(ONE_MIB, || {
        let mut store = Store::new(&Engine::default());
        let i = instantiate(
            &mut store,
            &Linker::new(),
            r#"(module
                (func $down (export "down") (param i64) (result i64)
                  (i64.add (call $down (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
                (func (export "ok") (result i32) (i32.const 5)))"#,
        );
        let down = func(&store, i, "down");
        for slice in [u64::MAX, 5_000, 300] {
            let mut call = down.start(&mut store, &[Val::I64(0)]).unwrap();
            let (result, run) = run_sliced(&mut call, &mut store, slice, 1_000_000);
            let trap = trap_of(result);
            assert_eq!((trap.code, trap.message.as_str()), (TrapCode::StackOverflow, "call stack exhausted"));
            if slice != u64::MAX {
                assert!(run.yields > 10, "slice {slice}: the call was resumed deeper and deeper ({run:?})");
            }
            assert_eq!(call.continuation_size(), 0);
        }
        assert_eq!(func(&store, i, "ok").call(&mut store, &[]).unwrap(), vec![Val::I32(5)]);
    });
}

/// `deep(n, mode)` recurses `n` frames, then calls `bottom` (suspending)
/// when `mode` is 0, else `resume_other` (native).
const DEEP: &str = r#"(module
  (import "host" "bottom" (func $bottom))
  (import "host" "resume_other" (func $resume_other))
  (func $deep (export "deep") (param $n i32) (param $mode i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then
        (if (local.get $mode) (then (call $resume_other)) (else (call $bottom)))
        (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $mode)))))))"#;

type Slot = Arc<Mutex<Option<Call>>>;
type Outcome = Arc<Mutex<Option<Result<Step, Error>>>>;

/// A call suspended `depth` frames deep, resumed by a native host function
/// called `depth` frames deep in another (plain) call on the same thread,
/// so that both share one stack budget. Returns the resumed call's outcome.
fn resume_from_deep(depth: i32, store: &mut Store, deep: Func, slot: &Slot, outcome: &Outcome) -> Result<Step, Error> {
    let mut call = deep.start(store, &[Val::I32(depth), Val::I32(0)]).unwrap();
    host_call(call.step(store, u64::MAX));
    call.resume_with(Ok(vec![])).unwrap();
    *slot.lock().unwrap() = Some(call);
    assert_eq!(deep.call(store, &[Val::I32(depth), Val::I32(1)]).unwrap(), vec![Val::I32(depth)]);
    assert!(slot.lock().unwrap().is_none(), "the host function took the call");
    outcome.lock().unwrap().take().expect("the host function resumed the call")
}

#[test]
fn resuming_a_deep_call_with_too_little_stack_left_traps_cleanly() {
    on_thread(ONE_MIB, || {
        let mut store = Store::new(&Engine::default());
        let slot: Slot = Arc::default();
        let outcome: Outcome = Arc::default();
        let bottom = Func::new_suspending(&mut store, FuncType::new([], []));
        let (slot_in_host, outcome_in_host) = (slot.clone(), outcome.clone());
        let resume_other = Func::new(&mut store, FuncType::new([], []), move |caller, _, _| {
            if let Some(mut call) = slot_in_host.lock().unwrap().take() {
                *outcome_in_host.lock().unwrap() = Some(call.step(caller.store(), u64::MAX));
            }
            Ok(())
        });
        let mut linker = Linker::new();
        linker.define("host", "bottom", bottom).define("host", "resume_other", resume_other);
        let i = instantiate(&mut store, &linker, DEEP);
        let deep = func(&store, i, "deep");

        // The deepest plain call that fits.
        let (mut fits, mut fails) = (1, 1 << 20);
        while fits + 1 < fails {
            let mid = (fits + fails) / 2;
            match deep.call(&mut store, &[Val::I32(mid), Val::I32(1)]) {
                Ok(_) => fits = mid,
                Err(e) => {
                    assert_eq!(trap_of::<()>(Err(e)).code, TrapCode::StackOverflow);
                    fails = mid;
                }
            }
        }
        assert!(fits > 1000, "{fits} frames fit");

        // A quarter of that, twice, fits: the resumed call finishes.
        let quarter = fits / 4;
        let step = resume_from_deep(quarter, &mut store, deep, &slot, &outcome).unwrap();
        assert_eq!(step, Step::Finished(vec![Val::I32(quarter)]));

        // Two thirds of it, twice, does not: rebuilding the frames traps.
        let two_thirds = fits * 2 / 3;
        let trap = trap_of(resume_from_deep(two_thirds, &mut store, deep, &slot, &outcome));
        assert_eq!((trap.code, trap.message.as_str()), (TrapCode::StackOverflow, "call stack exhausted"));

        // The same call resumed from the top of the stack is fine.
        let mut call = deep.start(&mut store, &[Val::I32(two_thirds), Val::I32(0)]).unwrap();
        host_call(call.step(&mut store, u64::MAX));
        call.resume_with(Ok(vec![])).unwrap();
        assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(two_thirds)]));
    });
}
