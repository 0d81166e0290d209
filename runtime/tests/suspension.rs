//! Sliced and suspended calls: fuel slices and limits, deep recursion,
//! suspending host functions, re-entrancy while suspended, resuming on
//! another thread, and where suspension is impossible.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use wasmbeam_runtime::*;

/// `work(n)`: recursion `n` deep; each frame runs a loop of `n % 5`
/// iterations and keeps a value on the operand stack across its call.
/// `spin(n)`: a loop of `n` iterations. `forever`: an endless loop.
const PROGRAMS: &str = r#"(module
  (func $work (export "work") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (if (i32.eqz (local.get $n)) (then (return (i64.const 1))))
    (local.set $i (i32.rem_u (local.get $n) (i32.const 5)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $l)))
    (i64.add (local.get $acc) (i64.mul (call $work (i32.sub (local.get $n) (i32.const 1))) (i64.const 3))))
  (func (export "spin") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.ne (local.get $n) (i32.const 0))))
    (local.get $s))
  (func (export "forever") (loop $l (br $l))))"#;

/// `work(n)` computed in Rust.
fn work(n: u32) -> i64 {
    let mut w: i64 = 1;
    for k in 1..=n {
        let mut acc: i64 = 0;
        for i in (1..=k % 5).rev() {
            acc = acc.wrapping_mul(31).wrapping_add(i as i64);
        }
        w = acc.wrapping_add(w.wrapping_mul(3));
    }
    w
}

#[test]
fn deep_recursion_suspended_with_small_slices_resumes_to_the_right_result() {
    on_thread(64 << 20, || {
        let engine = Engine::new(Config { max_wasm_stack: 16 << 20, ..Config::default() }).unwrap();
        let mut store = Store::new(&engine);
        let i = instantiate(&mut store, &Linker::new(), PROGRAMS);
        let f = func(&store, i, "work");
        let args = [Val::I32(10_000)];
        let expected = vec![Val::I64(work(10_000))];
        assert_eq!(f.call(&mut store, &args).unwrap(), expected);
        let mut whole = f.start(&mut store, &args).unwrap();
        assert_eq!(whole.step(&mut store, u64::MAX).unwrap(), Step::Finished(expected.clone()));
        let total = whole.fuel_consumed();
        assert!(total > 10_000, "every frame costs fuel ({total})");
        for slice in [997, 10_007] {
            let mut call = f.start(&mut store, &args).unwrap();
            let (result, run) = run_sliced(&mut call, &mut store, slice, total);
            assert_eq!(result.unwrap(), expected, "slice {slice}");
            assert!(run.yields >= total / slice / 2, "slice {slice}: only {} yields", run.yields);
            // Near the bottom (a slice lasts up to a few hundred frames)
            // all frames but the last few hundred were saved: a header and
            // at least one slot each (the operand kept across the call; no
            // local is live after it).
            assert!(run.max_continuation >= 9_500 * 16, "slice {slice}: at most {} bytes saved", run.max_continuation);
            assert_eq!(call.fuel_consumed(), total, "slice {slice}: resuming charges nothing twice");
            assert_eq!(call.continuation_size(), 0);
        }
    });
}

#[test]
fn loops_resume_with_any_slice() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let f = func(&store, i, "spin");
    let args = [Val::I32(300)];
    let mut whole = f.start(&mut store, &args).unwrap();
    assert_eq!(whole.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(45150)]));
    let total = whole.fuel_consumed();
    for slice in [1, 2, 7, 97] {
        let mut call = f.start(&mut store, &args).unwrap();
        let (result, run) = run_sliced(&mut call, &mut store, slice, total + 1);
        assert_eq!(result.unwrap(), vec![Val::I32(45150)], "slice {slice}");
        assert!(run.yields > 0);
        assert_eq!(call.fuel_consumed(), total, "slice {slice}: resuming charges nothing twice");
    }
}

#[test]
fn the_fuel_limit_traps_with_all_fuel_consumed() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let forever = func(&store, i, "forever");
    for slice in [u64::MAX, 1000] {
        let mut call = forever.start(&mut store, &[]).unwrap();
        call.set_fuel_limit(Some(100_000));
        let (result, _) = run_sliced(&mut call, &mut store, slice, 1_000);
        let trap = trap_of(result);
        assert_eq!((trap.code, trap.message.as_str()), (TrapCode::OutOfFuel, "all fuel consumed"));
        assert!(call.fuel_consumed() > 100_000);
        assert!(matches!(call.step(&mut store, 1), Err(Error::BadArgument(_))), "a trapped call is over");
    }
    // Exactly the fuel a call needs is enough; one unit less is not.
    let spin = func(&store, i, "spin");
    let mut whole = spin.start(&mut store, &[Val::I32(50)]).unwrap();
    whole.step(&mut store, u64::MAX).unwrap();
    let total = whole.fuel_consumed();
    let mut exact = spin.start(&mut store, &[Val::I32(50)]).unwrap();
    exact.set_fuel_limit(Some(total));
    assert_eq!(exact.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1275)]));
    let mut short = spin.start(&mut store, &[Val::I32(50)]).unwrap();
    short.set_fuel_limit(Some(total - 1));
    assert_eq!(trap_of(short.step(&mut store, u64::MAX)).code, TrapCode::OutOfFuel);
    // A limit can be raised while suspended.
    let mut raised = forever.start(&mut store, &[]).unwrap();
    raised.set_fuel_limit(Some(5_000));
    assert_eq!(raised.step(&mut store, 1_000).unwrap(), Step::Yielded);
    raised.set_fuel_limit(None);
    assert_eq!(raised.step(&mut store, 10_000).unwrap(), Step::Yielded);
    assert!(raised.fuel_consumed() > 5_000);
}

/// `start(n, e)` recurses 50 levels through `$down`, each frame holding an
/// i32, i64, f64, f32, funcref and externref (and a value on the operand
/// stack) across its call; at the bottom it calls `ask(7, 50)` and adds
/// its two results.
const DEEP_ASK: &str = r#"(module
  (import "host" "ask" (func $ask (param i32 i64) (result i64 f64)))
  (type $ret (func (result i64)))
  (table $t 1 funcref)
  (global $after (export "after") (mut i32) (i32.const 0))
  (func $seven (type $ret) (i64.const 7))
  (elem declare func $seven)
  (func $down (param $n i32) (param $x i64) (param $f f64) (param $r funcref) (param $e externref) (result i64)
    (local $g f32) (local $tmp f64)
    (local.set $g (f32.convert_i32_u (local.get $n)))
    (if (result i64) (i32.eqz (local.get $n))
      (then
        (local.get $x)
        (call $ask (i32.const 7) (local.get $x))
        (local.set $tmp)
        (i64.add)
        (i64.add (i64.trunc_f64_s (local.get $tmp)))
        (global.set $after (i32.const 1)))
      (else
        (i64.add
          (i64.extend_i32_u (local.get $n))
          (call $down (i32.sub (local.get $n) (i32.const 1)) (i64.add (local.get $x) (i64.const 1))
                      (f64.add (local.get $f) (f64.const 0.5)) (local.get $r) (local.get $e)))
        (i64.add (i64.trunc_f64_s (local.get $f)))
        (i64.add (i64.trunc_f32_s (local.get $g)))
        (table.set $t (i32.const 0) (local.get $r))
        (i64.add (call_indirect (type $ret) (i32.const 0)))
        (i64.add (if (result i64) (ref.is_null (local.get $e)) (then (i64.const 0)) (else (i64.const 1000)))))))
  (func (export "start") (param $n i32) (param $e externref) (result i64)
    (call $down (local.get $n) (i64.const 0) (f64.const 0.25) (ref.func $seven) (local.get $e))))"#;

/// `start(50, non-null)` when `ask` answers `(100, 2.75)`.
fn deep_ask_expected() -> i64 {
    let mut sum = 50 + 100 + 2;
    for n in 1..=50i64 {
        sum += 2 * n + 7 + 1000 + (0.25 + 0.5 * (50 - n) as f64).trunc() as i64;
    }
    sum
}

fn ask_type() -> FuncType {
    FuncType::new([ValType::I32, ValType::I64], [ValType::I64, ValType::F64])
}

#[test]
fn a_suspending_host_call_from_50_frames_deep_resumes_with_the_results() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, ask_type());
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    let i = instantiate(&mut store, &linker, DEEP_ASK);
    let start = func(&store, i, "start");
    let args = [Val::I32(50), Val::ExternRef(ExternRef::new(5))];

    // The same program with a native `ask` gives the reference result.
    let native = Func::new(&mut store, ask_type(), |_, _, results| {
        results.copy_from_slice(&[Val::I64(100), Val::F64(2.75f64.to_bits())]);
        Ok(())
    });
    let mut native_linker = Linker::new();
    native_linker.define("host", "ask", native);
    let reference = instantiate(&mut store, &native_linker, DEEP_ASK);
    let reference = func(&store, reference, "start").call(&mut store, &args).unwrap();
    assert_eq!(reference, vec![Val::I64(deep_ask_expected())]);

    let mut call = start.start(&mut store, &args).unwrap();
    assert_eq!(call.continuation_size(), 0);
    let (f, host_args) = host_call(call.step(&mut store, u64::MAX));
    assert_eq!((f, host_args), (ask, vec![Val::I32(7), Val::I64(50)]));
    assert!(call.continuation_size() >= 52 * 16, "52 frames saved: {} bytes", call.continuation_size());
    let after = i.get_global(&store, "after").unwrap();
    assert_eq!(after.get(&store).unwrap(), Val::I32(0));
    // Not answered yet: an error, and the call is unchanged.
    assert!(matches!(call.step(&mut store, u64::MAX), Err(Error::BadArgument(_))));
    assert!(call.resume_with(Ok(vec![Val::I64(100)])).is_err(), "too few results");
    assert!(call.resume_with(Ok(vec![Val::F64(0), Val::I64(100)])).is_err(), "wrong types");
    call.resume_with(Ok(vec![Val::I64(100), Val::F64(2.75f64.to_bits())])).unwrap();
    assert!(call.resume_with(Ok(vec![Val::I64(1), Val::F64(0)])).is_err(), "answered twice");
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(reference));
    assert_eq!(after.get(&store).unwrap(), Val::I32(1));
    assert!(matches!(call.step(&mut store, u64::MAX), Err(Error::BadArgument(_))), "a finished call is over");
    assert!(call.resume_with(Ok(vec![])).is_err(), "no host call pending");

    // Answering with a trap makes the call trap where it called `ask`.
    after.set(&mut store, Val::I32(0)).unwrap();
    let mut call = start.start(&mut store, &args).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    call.resume_with(Err(Trap::host("the host refused"))).unwrap();
    let trap = trap_of(call.step(&mut store, 10));
    assert_eq!((trap.code, trap.message.as_str()), (TrapCode::HostError, "the host refused"));
    assert_eq!(after.get(&store).unwrap(), Val::I32(0), "nothing after the call ran");
    assert_eq!(call.continuation_size(), 0);
}

#[test]
fn a_conversation_of_host_calls_inside_a_loop() {
    let mut store = Store::new(&Engine::default());
    let next = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "next", next);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "next" (func $next (param i32) (result i32)))
            (func (export "talk") (param $rounds i32) (result i32) (local $acc i32)
              (loop $l
                (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 10)) (call $next (local.get $rounds))))
                (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
                (br_if $l (local.get $rounds)))
              (local.get $acc)))"#,
    );
    let mut call = func(&store, i, "talk").start(&mut store, &[Val::I32(5)]).unwrap();
    let mut asked = Vec::new();
    let mut steps = 0;
    let result = loop {
        steps += 1;
        assert!(steps < 10_000, "no progress");
        match call.step(&mut store, 3).unwrap() {
            Step::Finished(results) => break results,
            Step::Yielded => {}
            Step::HostCall { func, args } => {
                assert_eq!(func, next);
                let round = args[0].i32().unwrap();
                asked.push(round);
                call.resume_with(Ok(vec![Val::I32(round)])).unwrap();
            }
        }
    };
    assert_eq!(asked, [5, 4, 3, 2, 1]);
    assert_eq!(result, vec![Val::I32(54321)]);
}

#[test]
fn a_suspending_host_function_called_directly_asks_the_embedder() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, ask_type());
    let mut call = ask.start(&mut store, &[Val::I32(1), Val::I64(2)]).unwrap();
    assert_eq!(host_call(call.step(&mut store, 1)), (ask, vec![Val::I32(1), Val::I64(2)]));
    call.resume_with(Ok(vec![Val::I64(3), Val::F64(0)])).unwrap();
    assert_eq!(call.step(&mut store, 1).unwrap(), Step::Finished(vec![Val::I64(3), Val::F64(0)]));
    let trap = trap_of(ask.call(&mut store, &[Val::I32(1), Val::I64(2)]));
    assert!(trap.message.contains("cannot suspend"), "{}", trap.message);
    // Arguments are checked when the call starts.
    assert!(matches!(ask.start(&mut store, &[Val::I32(1)]), Err(Error::BadArgument(_))));
}

#[test]
fn the_store_is_usable_while_a_call_is_suspended() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (global $g (export "g") (mut i32) (i32.const 0))
            (func (export "outer") (param i32) (result i32)
              (global.set $g (local.get 0))
              (i32.add (call $ask (local.get 0)) (global.get $g)))
            (func (export "bump") (param i32) (result i32)
              (global.set $g (i32.add (global.get $g) (local.get 0))) (global.get $g))
            (func (export "boom") unreachable))"#,
    );
    let programs = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let spin = func(&store, programs, "spin");
    let (outer, bump, boom) = (func(&store, i, "outer"), func(&store, i, "bump"), func(&store, i, "boom"));
    let g = i.get_global(&store, "g").unwrap();

    let mut call = outer.start(&mut store, &[Val::I32(5)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    // Re-entrant calls into the same instance: plain, trapping, and a
    // plain call that reaches the suspending import (it cannot suspend).
    assert_eq!(bump.call(&mut store, &[Val::I32(10)]).unwrap(), vec![Val::I32(15)]);
    assert_eq!(trap_of(boom.call(&mut store, &[])).code, TrapCode::Unreachable);
    let trap = trap_of(outer.call(&mut store, &[Val::I32(1)]));
    assert!(trap.message.contains("cannot suspend"), "{}", trap.message);
    assert_eq!(g.get(&store).unwrap(), Val::I32(1), "that call ran up to the import");
    // Another call suspends in the same import, and is abandoned.
    let mut other = outer.start(&mut store, &[Val::I32(6)]).unwrap();
    host_call(other.step(&mut store, u64::MAX));
    drop(other);
    // Another sliced call runs to completion.
    let mut sliced = spin.start(&mut store, &[Val::I32(100)]).unwrap();
    assert_eq!(run_sliced(&mut sliced, &mut store, 50, 1_000).0.unwrap(), vec![Val::I32(5050)]);
    g.set(&mut store, Val::I32(1000)).unwrap();
    // The first call resumes and sees the global as it is now.
    call.resume_with(Ok(vec![Val::I32(7)])).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1007)]));
}

#[test]
fn a_call_resumes_on_other_threads() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let f = func(&store, i, "work");
    let mut call = f.start(&mut store, &[Val::I32(3000)]).unwrap();
    assert_eq!(call.step(&mut store, 500).unwrap(), Step::Yielded);
    let mut threads = 0;
    let result = loop {
        // Each step on a fresh thread, with the store and the call moved there.
        let (outcome, s, c) = on_thread(8 << 20, move || {
            let mut store = store;
            let mut call = call;
            let outcome = call.step(&mut store, 5_000);
            (outcome, store, call)
        });
        (store, call) = (s, c);
        threads += 1;
        match outcome.unwrap() {
            Step::Finished(results) => break results,
            Step::Yielded => assert!(threads < 10_000, "no progress"),
            other => panic!("{other:?}"),
        }
    };
    assert!(threads > 1);
    assert_eq!(result, vec![Val::I64(work(3000))]);
}

#[test]
fn suspending_host_functions_trap_where_nothing_can_suspend() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([], [ValType::I32]));
    // A native host function that calls back into WebAssembly.
    let relay = Func::new(&mut store, FuncType::new([], [ValType::I32]), |caller, _, results| {
        let inner = caller.get_export("asks").and_then(Extern::into_func).unwrap();
        results[0] = inner.call(caller.store(), &[]).map_err(|e| Trap::host(format!("relayed: {e}")))?[0];
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("host", "ask", ask).define("host", "relay", relay);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask (result i32))) (import "host" "relay" (func $relay (result i32)))
            (func (export "asks") (result i32) (call $ask))
            (func (export "relays") (result i32) (call $relay)))"#,
    );
    // A plain call.
    let trap = trap_of(func(&store, i, "asks").call(&mut store, &[]));
    assert_eq!(trap.code, TrapCode::HostError);
    assert!(trap.message.contains("cannot suspend") && trap.message.contains("Func::start"), "{}", trap.message);
    // A nested call from a native host function, inside a suspendable call.
    let mut call = func(&store, i, "relays").start(&mut store, &[]).unwrap();
    let trap = trap_of(call.step(&mut store, u64::MAX));
    assert!(trap.message.starts_with("relayed: ") && trap.message.contains("cannot suspend"), "{}", trap.message);
    // A start function.
    let module = Module::new(
        store.engine(),
        &wat::parse_str(
            r#"(module (import "host" "ask" (func $ask (result i32))) (func $s (drop (call $ask))) (start $s))"#,
        )
        .unwrap(),
    )
    .unwrap();
    match linker.instantiate(&mut store, &module) {
        Err(Error::Trap(trap)) => assert!(trap.message.contains("cannot suspend"), "{}", trap.message),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn without_reductions_calls_run_to_completion_and_cannot_suspend() {
    let engine = Engine::new(Config { reductions: false, ..Config::default() }).unwrap();
    let mut store = Store::new(&engine);
    let ask = Func::new_suspending(&mut store, FuncType::new([], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    let programs = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask (result i32))) (func (export "asks") (result i32) (call $ask)))"#,
    );
    let f = func(&store, programs, "work");
    assert_eq!(f.call(&mut store, &[Val::I32(100)]).unwrap(), vec![Val::I64(work(100))]);
    let mut call = f.start(&mut store, &[Val::I32(100)]).unwrap();
    assert_eq!(call.step(&mut store, 1).unwrap(), Step::Finished(vec![Val::I64(work(100))]), "slices are not enforced");
    let mut call = func(&store, i, "asks").start(&mut store, &[]).unwrap();
    let trap = trap_of(call.step(&mut store, u64::MAX));
    assert!(trap.message.contains("cannot suspend") && trap.message.contains("reductions"), "{}", trap.message);
    // A fuel limit could not be enforced: refused.
    let mut limited = f.start(&mut store, &[Val::I32(100)]).unwrap();
    limited.set_fuel_limit(Some(1_000_000));
    assert!(matches!(limited.step(&mut store, u64::MAX), Err(Error::BadArgument(_))));
}

#[test]
fn a_continuation_past_its_size_limit_traps_as_stack_exhaustion() {
    on_thread(16 << 20, || {
        let config = Config { max_continuation_bytes: 16 << 10, max_wasm_stack: 4 << 20, ..Config::default() };
        let mut store = Store::new(&Engine::new(config).unwrap());
        let i = instantiate(&mut store, &Linker::new(), PROGRAMS);
        let mut call = func(&store, i, "work").start(&mut store, &[Val::I32(5_000)]).unwrap();
        let (result, run) = run_sliced(&mut call, &mut store, 200, 100_000);
        let trap = trap_of(result);
        assert_eq!(trap.code, TrapCode::StackOverflow);
        assert!(trap.message.contains("max_continuation_bytes"), "{}", trap.message);
        assert!(run.yields > 0 && run.max_continuation <= 16 << 10, "{run:?}");
    });
}

#[test]
fn calls_check_their_store() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let mut call = func(&store, i, "spin").start(&mut store, &[Val::I32(1000)]).unwrap();
    let mut other = Store::new(store.engine());
    assert!(matches!(call.step(&mut other, 10), Err(Error::BadArgument(_))));
    assert!(matches!(call.to_bytes(&other), Err(Error::BadArgument(_))));
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(500500)]));
}

#[test]
fn memory_can_grow_while_a_call_is_suspended() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([], []));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask)) (memory (export "mem") 1)
            (func (export "grown") (param $at i32) (result i32)
              (i32.store (i32.const 0) (i32.const 11))
              (call $ask)
              (i32.store (local.get $at) (i32.const 22))
              (i32.add (i32.load (i32.const 0)) (i32.load (local.get $at)))))"#,
    );
    let memory = i.get_memory(&store, "mem").unwrap();
    let at = 40 * 65536 - 4;
    let mut call = func(&store, i, "grown").start(&mut store, &[Val::I32(at)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    memory.grow(&mut store, 39).unwrap();
    memory.data_mut(&mut store).unwrap()[0] = 12;
    call.resume_with(Ok(vec![])).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(34)]));
    assert_eq!(memory.data(&store).unwrap()[at as usize], 22);
}

#[test]
fn a_native_host_function_can_step_another_call() {
    let mut store = Store::new(&Engine::default());
    let programs = instantiate(&mut store, &Linker::new(), PROGRAMS);
    let spin = func(&store, programs, "spin");
    let seen: Arc<Mutex<Vec<Step>>> = Arc::default();
    let seen_in_host = seen.clone();
    let driver = Func::new(&mut store, FuncType::new([], []), move |caller, _, _| {
        let mut call = spin.start(caller.store(), &[Val::I32(100)]).map_err(|e| Trap::host(e.to_string()))?;
        loop {
            let step = call.step(caller.store(), 50).map_err(|e| Trap::host(e.to_string()))?;
            let done = matches!(step, Step::Finished(_));
            seen_in_host.lock().unwrap().push(step);
            if done {
                return Ok(());
            }
        }
    });
    let mut linker = Linker::new();
    linker.define("host", "driver", driver);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "driver" (func $d)) (func (export "run") (result i32) (call $d) (i32.const 1)))"#,
    );
    let mut call = func(&store, i, "run").start(&mut store, &[]).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1)]));
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 1 && seen[..seen.len() - 1].iter().all(|s| *s == Step::Yielded), "{seen:?}");
    assert_eq!(seen.last(), Some(&Step::Finished(vec![Val::I32(5050)])));
}

#[test]
fn a_call_stepped_inside_a_native_host_function_can_suspend_in_a_host_call() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let driver = Func::new(&mut store, FuncType::new([ValType::I32], [ValType::I32]), move |caller, args, results| {
        let asks = caller.get_export("asks").and_then(Extern::into_func).unwrap();
        let fail = |e: Error| Trap::host(e.to_string());
        let mut call = asks.start(caller.store(), args).map_err(fail)?;
        let (func, host_args) = match call.step(caller.store(), u64::MAX).map_err(fail)? {
            Step::HostCall { func, args } => (func, args),
            other => return Err(Trap::host(format!("expected a host call, got {other:?}")).into()),
        };
        assert_eq!(func, ask);
        call.resume_with(Ok(vec![Val::I32(host_args[0].i32().unwrap() * 2)])).map_err(fail)?;
        match call.step(caller.store(), u64::MAX).map_err(fail)? {
            Step::Finished(values) => results[0] = values[0],
            other => return Err(Trap::host(format!("expected the end, got {other:?}")).into()),
        }
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("host", "ask", ask).define("host", "driver", driver);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (import "host" "driver" (func $driver (param i32) (result i32)))
            (func (export "asks") (param i32) (result i32) (i32.add (call $ask (local.get 0)) (i32.const 1)))
            (func (export "drives") (param i32) (result i32) (i32.add (call $driver (local.get 0)) (i32.const 100))))"#,
    );
    // From a plain call: the nested Call suspends and resumes by itself.
    assert_eq!(func(&store, i, "drives").call(&mut store, &[Val::I32(21)]).unwrap(), vec![Val::I32(143)]);
}

#[test]
fn an_answer_naming_another_stores_function_is_refused_and_the_call_keeps_waiting() {
    let mut store = Store::new(&Engine::default());
    let get = Func::new_suspending(&mut store, FuncType::new([], [ValType::FuncRef]));
    let mut linker = Linker::new();
    linker.define("host", "get", get);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "get" (func $get (result funcref)))
            (func (export "is_null") (result i32) (ref.is_null (call $get))))"#,
    );
    let mut call = func(&store, i, "is_null").start(&mut store, &[]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    let mut other = Store::new(store.engine());
    let foreign = Func::new(&mut other, FuncType::new([], []), |_, _, _| Ok(()));
    // Refused at once, so the answer never sits in the call: the call can
    // still be saved, and waits for a proper answer.
    assert!(matches!(call.resume_with(Ok(vec![Val::FuncRef(Some(foreign))])), Err(Error::BadArgument(_))));
    assert!(call.to_bytes(&store).is_ok());
    assert!(matches!(call.step(&mut store, u64::MAX), Err(Error::BadArgument(_))), "no answer yet");
    call.resume_with(Ok(vec![Val::FuncRef(Some(get))])).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(0)]));
}

#[test]
fn a_module_with_larger_frames_instantiated_during_a_step_can_suspend_in_it() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([], [ValType::I64]));
    let mut big_linker = Linker::new();
    big_linker.define("host", "ask", ask);
    // 2,000 locals, all read after the call (so all saved): a record of
    // 16 KB, far more than the caller's.
    let locals = "(local i64)".repeat(2000);
    let sum: String = (0..2000).map(|i| format!("(local.get {i}) i64.add ")).collect();
    let big_wat = format!(
        r#"(module (import "host" "ask" (func $ask (result i64)))
            (func (export "big") (result i64) {locals}
              (local.set 1999 (i64.const 5))
              (call $ask) {sum}))"#
    );
    let big = Module::new(store.engine(), &wat::parse_str(&big_wat).unwrap()).unwrap();
    let table_slot: Arc<Mutex<Option<Table>>> = Arc::default();
    let table_in_host = table_slot.clone();
    let install = Func::new(&mut store, FuncType::new([], []), move |caller, _, _| {
        let instance = big_linker.instantiate(caller.store(), &big).map_err(|e| Trap::host(e.to_string()))?;
        let f = instance.get_func(caller.store(), "big").unwrap();
        let table = table_in_host.lock().unwrap().unwrap();
        table.set(caller.store(), 0, Val::FuncRef(Some(f)))
    });
    let mut linker = Linker::new();
    linker.define("host", "install", install);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "install" (func $install))
            (type $t (func (result i64)))
            (table (export "t") 1 funcref)
            (func (export "run") (result i64)
              (call $install)
              (i64.mul (call_indirect (type $t) (i32.const 0)) (i64.const 2))))"#,
    );
    *table_slot.lock().unwrap() = Some(i.get_table(&store, "t").unwrap());
    let mut call = func(&store, i, "run").start(&mut store, &[]).unwrap();
    assert_eq!(host_call(call.step(&mut store, u64::MAX)), (ask, vec![]));
    assert!(call.continuation_size() > 2000 * 8);
    call.resume_with(Ok(vec![Val::I64(16)])).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I64(42)]));
}

#[test]
fn changing_the_table_under_a_suspended_call_indirect_resumes_in_the_original_callee() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([], [ValType::I32]));
    let native = Func::new(&mut store, FuncType::new([], [ValType::I32]), |_, _, results| {
        results[0] = Val::I32(-1);
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("host", "ask", ask).define("host", "native", native);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask (result i32))) (import "host" "native" (func $native (result i32)))
            (type $t (func (result i32)))
            (table (export "t") 2 funcref)
            (elem (i32.const 0) $asks $other)
            (func $asks (type $t) (i32.add (call $ask) (i32.const 1)))
            (func $other (type $t) (i32.add (call $ask) (i32.const 2)))
            (func (export "run") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
    );
    let table = i.get_table(&store, "t").unwrap();
    let run = func(&store, i, "run");
    let other = table.get(&store, 1).unwrap();
    for replacement in [other, Val::FuncRef(Some(native)), Val::FuncRef(Some(ask)), Val::FuncRef(None)] {
        let original = table.get(&store, 0).unwrap();
        let mut call = run.start(&mut store, &[]).unwrap();
        host_call(call.step(&mut store, u64::MAX));
        table.set(&mut store, 0, replacement).unwrap();
        call.resume_with(Ok(vec![Val::I32(10)])).unwrap();
        let outcome = call.step(&mut store, u64::MAX);
        table.set(&mut store, 0, original).unwrap();
        // The call was already inside `$asks` (10 + 1), as a native call in
        // flight would be: the record holds the resolved callee, and the
        // table is not read again.
        assert_eq!(outcome.unwrap(), Step::Finished(vec![Val::I32(11)]), "{replacement:?}");
        // The store is fine afterwards.
        let mut call = run.start(&mut store, &[]).unwrap();
        host_call(call.step(&mut store, u64::MAX));
        call.resume_with(Ok(vec![Val::I32(10)])).unwrap();
        assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(11)]));
    }
}

#[test]
fn a_suspended_call_indirect_resumes_in_the_instance_it_called() {
    // The table slot is switched to the same function of another instance
    // of the same module while the call is suspended inside the first one.
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    let callee = r#"(module (import "host" "ask" (func $ask (result i32)))
        (global $id (export "id") (mut i32) (i32.const 0))
        (func (export "f") (result i32) (i32.add (call $ask) (global.get $id))))"#;
    let first = instantiate(&mut store, &linker, callee);
    let second = instantiate(&mut store, &linker, callee);
    first.get_global(&store, "id").unwrap().set(&mut store, Val::I32(100)).unwrap();
    second.get_global(&store, "id").unwrap().set(&mut store, Val::I32(200)).unwrap();
    let caller = instantiate(
        &mut store,
        &linker,
        r#"(module (type $t (func (result i32))) (table (export "t") 1 funcref)
            (func (export "run") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
    );
    let table = caller.get_table(&store, "t").unwrap();
    let (f1, f2) = (func(&store, first, "f"), func(&store, second, "f"));
    table.set(&mut store, 0, Val::FuncRef(Some(f1))).unwrap();
    let mut call = func(&store, caller, "run").start(&mut store, &[]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    table.set(&mut store, 0, Val::FuncRef(Some(f2))).unwrap();
    // Saved and read back too: the callee travels as a store function id.
    let bytes = call.to_bytes(&store).unwrap();
    let mut call = Call::from_bytes(&store, &bytes).unwrap();
    call.resume_with(Ok(vec![Val::I32(1)])).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(101)]));
}

#[test]
fn a_suspended_call_reports_the_memory_it_holds() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let wait = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("env", "wait", wait);
    let wat = r#"(module (import "env" "wait" (func $wait (param i32) (result i32)))
        (func $f (export "f") (param i32) (result i32)
          (if (result i32) (i32.eqz (local.get 0)) (then (call $wait (i32.const 7)))
            (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let instance = common::instantiate(&mut store, &linker, wat);
    let f = common::func(&store, instance, "f");
    let mut shallow = f.start(&mut store, &[Val::I32(0)]).unwrap();
    let mut deep = f.start(&mut store, &[Val::I32(1000)]).unwrap();
    for call in [&mut shallow, &mut deep] {
        assert!(matches!(call.step(&mut store, u64::MAX).unwrap(), Step::HostCall { .. }));
        assert!(call.memory_size() >= call.continuation_size() + std::mem::size_of::<Call>());
    }
    assert!(deep.continuation_size() > 1000 * 8, "1000 frames saved");
    assert!(deep.memory_size() > shallow.memory_size());
    deep.resume_with(Ok(vec![Val::I32(1)])).unwrap();
    assert_eq!(deep.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1001)]));
}
