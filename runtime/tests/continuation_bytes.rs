//! `Call::to_bytes` / `Call::from_bytes`: suspended calls saved as bytes and
//! resumed from them, in the same store or one rebuilt the same way, and
//! every kind of bad input rejected without a panic.

mod common;

use common::*;
use wasmbeam_runtime::*;

/// `work(n)` recurses `n` deep with a loop in each frame; `pick(n, f)`
/// carries a funcref and an externref down `n` frames, suspends in `ask`,
/// then calls the funcref through a table on the way back.
const PROGRAM: &str = r#"(module
  (import "host" "ask" (func $ask (param i32) (result i32)))
  (type $ret (func (result i32)))
  (table $t 1 funcref)
  (func $work (export "work") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (if (i32.eqz (local.get $n)) (then (return (i64.const 1))))
    (local.set $i (i32.rem_u (local.get $n) (i32.const 3)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $l)))
    (i64.add (local.get $acc) (i64.mul (call $work (i32.sub (local.get $n) (i32.const 1))) (i64.const 3))))
  (func $nine (export "nine") (type $ret) (i32.const 9))
  (elem declare func $nine)
  (func $pick (param $n i32) (param $f funcref) (param $e externref) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $ask (i32.const 3)))
      (else
        (call $pick (i32.sub (local.get $n) (i32.const 1)) (local.get $f) (local.get $e))
        (table.set $t (i32.const 0) (local.get $f))
        (i32.add (call_indirect (type $ret) (i32.const 0)))
        (i32.add (if (result i32) (ref.is_null (local.get $e)) (then (i32.const 0)) (else (i32.const 100)))))))
  (func (export "pick") (param $n i32) (param $e externref) (result i32)
    (call $pick (local.get $n) (ref.func $nine) (local.get $e))))"#;

/// A store with the `ask` host function and one instance of `PROGRAM`.
fn setup(engine: &Engine) -> (Store, Instance, Func) {
    let mut store = Store::new(engine);
    let ask = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    let i = instantiate(&mut store, &linker, PROGRAM);
    (store, i, ask)
}

/// The format's checksum (version 3): FNV-1a 64's step per 8-byte
/// little-endian word, the last zero-padded, then the length, then a mix.
fn checksum(bytes: &[u8]) -> u64 {
    let step = |h: u64, word: u64| (h ^ word).wrapping_mul(0x0100_0000_01b3);
    let mut h = bytes.chunks(8).fold(0xcbf2_9ce4_8422_2325u64, |h, chunk| {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        step(h, u64::from_le_bytes(word))
    });
    h = step(h, bytes.len() as u64);
    h ^= h >> 32;
    h = h.wrapping_mul(0xd6e8_feb8_6659_fd93);
    h ^ (h >> 32)
}

/// Re-seals bytes the tests damage on purpose.
fn reseal(bytes: &mut [u8]) {
    let body = bytes.len() - 8;
    let sum = checksum(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum.to_le_bytes());
}

fn bad_argument<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::BadArgument(message)) => message,
        other => panic!("expected BadArgument, got {other:?}"),
    }
}

#[test]
fn saved_and_restored_at_every_yield_the_call_ends_the_same() {
    let (mut store, i, _) = setup(&Engine::default());
    let work = func(&store, i, "work");
    let expected = work.call(&mut store, &[Val::I32(400)]).unwrap();
    let mut whole = work.start(&mut store, &[Val::I32(400)]).unwrap();
    whole.step(&mut store, u64::MAX).unwrap();
    let mut call = work.start(&mut store, &[Val::I32(400)]).unwrap();
    call.set_fuel_limit(Some(1 << 40));
    let mut saves = 0;
    let result = loop {
        match call.step(&mut store, 101).unwrap() {
            Step::Finished(results) => break results,
            Step::Yielded => {
                let bytes = call.to_bytes(&store).unwrap();
                let size = call.continuation_size();
                let consumed = call.fuel_consumed();
                call = Call::from_bytes(&store, &bytes).unwrap();
                assert_eq!((call.continuation_size(), call.fuel_consumed()), (size, consumed));
                assert_eq!(call.to_bytes(&store).unwrap(), bytes, "saving is deterministic");
                saves += 1;
                assert!(saves < 100_000, "no progress");
            }
            other => panic!("{other:?}"),
        }
    };
    assert!(saves > 10);
    assert_eq!(result, expected);
    assert!(call.fuel_consumed() >= whole.fuel_consumed());
    // The fuel limit travelled with the bytes.
    let mut limited = work.start(&mut store, &[Val::I32(400)]).unwrap();
    limited.set_fuel_limit(Some(3_000));
    assert_eq!(limited.step(&mut store, 1_000).unwrap(), Step::Yielded);
    let mut restored = Call::from_bytes(&store, &limited.to_bytes(&store).unwrap()).unwrap();
    let (result, _) = run_sliced(&mut restored, &mut store, 1_000, 1_000);
    assert_eq!(trap_of(result).code, TrapCode::OutOfFuel);
}

#[test]
fn a_host_call_with_funcrefs_in_its_frames_survives_a_round_trip() {
    let (mut store, i, ask) = setup(&Engine::default());
    let pick = func(&store, i, "pick");
    let args = [Val::I32(20), Val::ExternRef(ExternRef::new(0))];
    let mut call = pick.start(&mut store, &args).unwrap();
    assert_eq!(host_call(call.step(&mut store, u64::MAX)), (ask, vec![Val::I32(3)]));
    // Saved before the answer: the restored call still waits for one.
    let mut restored = Call::from_bytes(&store, &call.to_bytes(&store).unwrap()).unwrap();
    drop(call);
    assert!(matches!(restored.step(&mut store, u64::MAX), Err(Error::BadArgument(_))));
    restored.resume_with(Ok(vec![Val::I32(1)])).unwrap();
    // Saved after the answer: the answer travels too.
    let mut again = Call::from_bytes(&store, &restored.to_bytes(&store).unwrap()).unwrap();
    assert_eq!(again.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1 + 20 * 109)]));
    assert_eq!(restored.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1 + 20 * 109)]));
    // A trap as the answer travels as well.
    let mut call = pick.start(&mut store, &args).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    call.resume_with(Err(Trap::host("no"))).unwrap();
    let mut restored = Call::from_bytes(&store, &call.to_bytes(&store).unwrap()).unwrap();
    let trap = trap_of(restored.step(&mut store, u64::MAX));
    assert_eq!((trap.code, trap.message.as_str()), (TrapCode::HostError, "no"));
    // So does a direct call of the suspending function.
    let mut direct = ask.start(&mut store, &[Val::I32(4)]).unwrap();
    host_call(direct.step(&mut store, 1));
    let mut restored = Call::from_bytes(&store, &direct.to_bytes(&store).unwrap()).unwrap();
    restored.resume_with(Ok(vec![Val::I32(8)])).unwrap();
    assert_eq!(restored.step(&mut store, 1).unwrap(), Step::Finished(vec![Val::I32(8)]));
}

#[test]
fn a_continuation_resumes_in_a_store_rebuilt_the_same_way() {
    let engine = Engine::default();
    let (mut store, i, _) = setup(&engine);
    let pick = func(&store, i, "pick");
    let mut call = pick.start(&mut store, &[Val::I32(30), Val::ExternRef(None)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    let bytes = call.to_bytes(&store).unwrap();
    drop((call, store));

    let (mut rebuilt, _, _) = setup(&engine);
    let mut call = Call::from_bytes(&rebuilt, &bytes).unwrap();
    call.resume_with(Ok(vec![Val::I32(5)])).unwrap();
    assert_eq!(call.step(&mut rebuilt, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(5 + 30 * 9)]));
    // Objects made after the continuation was saved do not matter.
    instantiate(&mut rebuilt, &Linker::new(), "(module)");
    assert!(Call::from_bytes(&rebuilt, &bytes).is_ok());

    // Code compiled without reductions cannot resume frames.
    let (no_reductions, _, _) = setup(&Engine::new(Config { reductions: false, ..Config::default() }).unwrap());
    assert!(bad_argument(Call::from_bytes(&no_reductions, &bytes)).contains("store"));
    // Another layout is refused: other modules, another order, too few objects.
    let mut other = Store::new(&engine);
    assert!(bad_argument(Call::from_bytes(&other, &bytes)).contains("store"));
    let ask = Func::new_suspending(&mut other, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    instantiate(&mut other, &linker, &PROGRAM.replace("(i32.const 100)", "(i32.const 101)"));
    assert!(bad_argument(Call::from_bytes(&other, &bytes)).contains("store"));
    let mut swapped = Store::new(&engine);
    Func::new(&mut swapped, FuncType::new([], []), |_, _, _| Ok(()));
    let ask = Func::new_suspending(&mut swapped, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    instantiate(&mut swapped, &linker, PROGRAM);
    assert!(bad_argument(Call::from_bytes(&swapped, &bytes)).contains("store"));
}

#[test]
fn only_suspended_calls_are_saved() {
    let (mut store, i, _) = setup(&Engine::default());
    let work = func(&store, i, "work");
    let mut call = work.start(&mut store, &[Val::I32(3)]).unwrap();
    bad_argument(call.to_bytes(&store));
    call.step(&mut store, u64::MAX).unwrap();
    bad_argument(call.to_bytes(&store));
}

#[test]
fn bad_bytes_are_rejected_without_a_panic() {
    let (mut store, i, _) = setup(&Engine::default());
    let pick = func(&store, i, "pick");
    let mut call = pick.start(&mut store, &[Val::I32(3), Val::ExternRef(ExternRef::new(1))]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    call.resume_with(Ok(vec![Val::I32(2)])).unwrap();
    let good = call.to_bytes(&store).unwrap();
    assert!(Call::from_bytes(&store, &good).is_ok());

    assert!(bad_argument(Call::from_bytes(&store, b"")).contains("not a wasmbeam continuation"));
    assert!(bad_argument(Call::from_bytes(&store, b"hello, world, this is not it")).contains("not a wasmbeam"));
    let mut seed = 0x1234_5678_9abc_def0u64;
    for len in [1, 8, 13, 64, 1000] {
        let noise: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            })
            .collect();
        bad_argument(Call::from_bytes(&store, &noise));
    }
    for len in 0..good.len() {
        bad_argument(Call::from_bytes(&store, &good[..len]));
    }
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&5u32.to_le_bytes());
    reseal(&mut newer);
    assert!(bad_argument(Call::from_bytes(&store, &newer)).contains("version 5"));
    for at in 0..good.len() {
        let mut flipped = good.clone();
        flipped[at] ^= 0x10;
        bad_argument(Call::from_bytes(&store, &flipped));
    }
    // Damaged but re-sealed: every byte changed in turn, with a valid
    // checksum. Reading must fail or give a call that resumes to a result or
    // a trap, never a crash.
    for at in 12..good.len() - 8 {
        for value in [0x00, 0x01, 0x7f, 0xff] {
            let mut damaged = good.clone();
            if damaged[at] == value {
                continue;
            }
            damaged[at] = value;
            reseal(&mut damaged);
            if let Ok(mut call) = Call::from_bytes(&store, &damaged) {
                call.set_fuel_limit(Some(1_000_000));
                let mut steps = 0;
                let end = loop {
                    match call.step(&mut store, 10_000) {
                        Ok(Step::Yielded | Step::HostCall { .. }) => {
                            let _ = call.resume_with(Ok(vec![Val::I32(0)]));
                            steps += 1;
                            assert!(steps < 1_000, "no progress");
                        }
                        other => break other,
                    }
                };
                // Frames that do not match the code are the bytes' fault.
                assert!(!matches!(end, Err(Error::Internal(_))), "byte {at} = {value:#x}: {end:?}");
            }
        }
    }
    // The original is still good.
    let mut call = Call::from_bytes(&store, &good).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(2 + 3 * 109)]));
}

#[test]
fn bytes_of_the_first_format_are_refused() {
    // Saved by the build before records named their instance (format
    // version 1), from `pick(3, externref 5)` suspended in `ask`.
    let old = include_bytes!("data/continuation-v1.bin");
    let (store, _, _) = setup(&Engine::default());
    let message = bad_argument(Call::from_bytes(&store, old));
    assert!(message.contains("format version 1, this build reads version 4"), "{message}");
}

#[test]
fn frames_across_modules_round_trip() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let mut linker = Linker::new();
    linker.define("host", "ask", ask);
    // `inner`'s frame is function 1 of its module, with slots i32, funcref
    // (its locals) and i32 (the argument of `ask`).
    let inner = instantiate(
        &mut store,
        &linker,
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (type $ret (func (result i32)))
            (table $t 1 funcref)
            (func (export "inner") (param i32) (param funcref) (result i32)
              (call $ask (local.get 0))
              (table.set $t (i32.const 0) (local.get 1))
              (i32.add (call_indirect (type $ret) (i32.const 0)))))"#,
    );
    linker.define_instance(&store, "inner", inner);
    // `outer` is function 1 of its module too, with a smaller frame at the
    // same point.
    let outer = instantiate(
        &mut store,
        &linker,
        r#"(module (import "inner" "inner" (func $inner (param i32) (param funcref) (result i32)))
            (func (export "outer") (result i32)
              (i32.mul (call $inner (i32.const 4) (ref.func $ten)) (i32.const 2)))
            (func $ten (result i32) (i32.const 10))
            (elem declare func $ten))"#,
    );
    let mut call = func(&store, outer, "outer").start(&mut store, &[]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    let mut restored = Call::from_bytes(&store, &call.to_bytes(&store).unwrap()).unwrap();
    restored.resume_with(Ok(vec![Val::I32(1)])).unwrap();
    assert_eq!(restored.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(22)]));

    // Function 1 of the calling module has a frame of the same size as
    // `inner`'s at the same point, but no funcref in it: read by function
    // index and point alone, the callee's record reads either way, which
    // once made this call impossible to save ("ambiguous"). Records name
    // their instance now. (The call to `$leaf`, which does not check its
    // fuel, makes `clash` check on entry, so that its call to `$mid` is its
    // resume point 1, like `inner`'s call to `ask`.)
    let clash = instantiate(
        &mut store,
        &linker,
        r#"(module (import "inner" "inner" (func $inner (param i32) (param funcref) (result i32)))
            (func (export "clash") (param i32) (param i64) (result i32)
              (i32.mul (call $mid (local.get 0)) (i32.wrap_i64 (local.get 1)))
              (call $leaf))
            (func $twenty (result i32) (i32.const 20))
            (elem declare func $twenty)
            (func $mid (param i32) (result i32) (call $inner (local.get 0) (ref.func $twenty)))
            (func $leaf))"#,
    );
    let mut call = func(&store, clash, "clash").start(&mut store, &[Val::I32(4), Val::I64(3)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    let bytes = call.to_bytes(&store).unwrap();
    drop(call);
    let mut restored = Call::from_bytes(&store, &bytes).unwrap();
    restored.resume_with(Ok(vec![Val::I32(1)])).unwrap();
    assert_eq!(restored.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(63)]));
}

/// A module whose `f(n)` calls `f(n - 1)` of the *other* instance (through
/// a shared table: instance `self` calls element `self ^ 1`) until `n` is
/// 0, where it asks the host; each frame adds its `n` times its instance's
/// weight to the answer on the way back.
const PING_PONG: &str = r#"(module
  (import "host" "ask" (func $ask (param i32) (result i32)))
  (import "env" "table" (table 2 funcref))
  (import "env" "self" (global $self i32))
  (type $f (func (param i32) (result i32)))
  (func $f (export "f") (type $f) (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $ask (global.get $self)))
      (else
        (i32.add
          (call_indirect (type $f) (i32.sub (local.get $n) (i32.const 1)) (i32.xor (global.get $self) (i32.const 1)))
          (i32.mul (local.get $n) (i32.add (i32.const 1) (i32.mul (global.get $self) (i32.const 100))))))))
  (elem (table 0) (global.get $self) func $f))"#;

/// A store with two instances of `PING_PONG` (`self` 0 and 1) sharing a
/// table and the suspending `ask`.
fn ping_pong() -> (Store, Vec<Instance>) {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([ValType::I32], [ValType::I32]));
    let table = Table::new(
        &mut store,
        TableType { element: ValType::FuncRef, limits: Limits { min: 2, max: None }, table64: false },
        Val::FuncRef(None),
    )
    .unwrap();
    let module = Module::new(store.engine(), &wat::parse_str(PING_PONG).unwrap()).unwrap();
    let mut instances = Vec::new();
    for id in 0..2 {
        let me = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: false }, Val::I32(id)).unwrap();
        let mut linker = Linker::new();
        linker.define("host", "ask", ask);
        linker.define("env", "table", table);
        linker.define("env", "self", me);
        instances.push(linker.instantiate(&mut store, &module).unwrap());
    }
    (store, instances)
}

#[test]
fn frames_of_two_instances_of_one_module_interleave_and_round_trip() {
    let (mut store, instances) = ping_pong();
    // f(n) from instance 0 adds n*1, (n-1)*101, (n-2)*1, ... and the answer.
    let expected = |n: i32, from: i32, answer: i32| {
        answer + (1..=n).map(|k| k * if (n - k + from) % 2 == 0 { 1 } else { 101 }).sum::<i32>()
    };

    // The outer call: 7 frames alternating between the instances, then
    // `ask` from instance 1 (7 is odd).
    let mut outer = func(&store, instances[0], "f").start(&mut store, &[Val::I32(7)]).unwrap();
    assert_eq!(host_call(outer.step(&mut store, u64::MAX)).1, [Val::I32(1)]);
    let outer_bytes = outer.to_bytes(&store).unwrap();
    drop(outer);

    // While it waits, the host calls into the other instance: another call
    // whose frames interleave the other way round, suspended in `ask` too.
    let mut nested = func(&store, instances[1], "f").start(&mut store, &[Val::I32(4)]).unwrap();
    assert_eq!(host_call(nested.step(&mut store, u64::MAX)).1, [Val::I32(1)]);
    let nested_bytes = nested.to_bytes(&store).unwrap();
    drop(nested);
    let mut nested = Call::from_bytes(&store, &nested_bytes).unwrap();
    nested.resume_with(Ok(vec![Val::I32(1000)])).unwrap();
    let Step::Finished(nested_result) = nested.step(&mut store, u64::MAX).unwrap() else { panic!("finished") };
    assert_eq!(nested_result, [Val::I32(expected(4, 1, 1000))]);

    // The outer call resumes from its bytes, answered with the nested
    // call's result, and sliced: it yields, and is saved and read back
    // again at every stop.
    let mut outer = Call::from_bytes(&store, &outer_bytes).unwrap();
    outer.resume_with(Ok(nested_result)).unwrap();
    let result = loop {
        match outer.step(&mut store, 3).unwrap() {
            Step::Finished(values) => break values,
            Step::Yielded => {
                let bytes = outer.to_bytes(&store).unwrap();
                outer = Call::from_bytes(&store, &bytes).unwrap();
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(result, [Val::I32(expected(7, 0, expected(4, 1, 1000)))]);
}

#[test]
fn restored_frames_that_name_the_wrong_instance_are_refused_on_resume() {
    let (mut store, instances) = ping_pong();
    let mut call = func(&store, instances[0], "f").start(&mut store, &[Val::I32(3)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    let good = call.to_bytes(&store).unwrap();
    // Every `u32` field holding 1 is set to 0 in turn (with the checksum
    // made valid again). Some of them are the instance fields of records
    // of instance 1: the frame shapes of both instances are the same, so
    // such bytes read, but when the call reaches a frame of instance 1,
    // it finds a record that is not its own, and the call is refused.
    let mut refusals = 0;
    for at in 12..good.len() - 12 {
        if good[at..at + 4] != 1u32.to_le_bytes() {
            continue;
        }
        let mut bytes = good.clone();
        bytes[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        reseal(&mut bytes);
        let Ok(mut call) = Call::from_bytes(&store, &bytes) else { continue };
        call.resume_with(Ok(vec![Val::I32(0)])).unwrap();
        match call.step(&mut store, u64::MAX) {
            Ok(Step::Finished(_)) => {}
            Err(Error::BadArgument(message)) if message.contains("the continuation does not match the code") => {
                refusals += 1
            }
            other => panic!("byte {at}: {other:?}"),
        }
    }
    assert!(refusals > 0, "a record was made to name the wrong instance");
}

/// Where the records start in `bytes`, the count first: after the fixed
/// fields and a pending host call with no answer yet and no fuel limit.
fn records_offset(bytes: &[u8]) -> usize {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    // magic, version, instances, funcs, fingerprint, entry, fuel consumed
    let mut at = 8 + 4 + 4 + 4 + 8 + 4 + 8;
    assert_eq!(bytes[at], 0, "no fuel limit");
    at += 1;
    assert_eq!(bytes[at], 1, "stopped in a host call");
    at += 1 + 4 + 1; // stop, host function, direct
    at += 4 + 9 * u32_at(at); // arguments
    assert_eq!(bytes[at], 0, "not answered yet");
    at + 1
}

#[test]
fn restored_frames_that_end_too_soon_are_refused_on_resume() {
    let (mut store, instances) = ping_pong();
    let mut call = func(&store, instances[0], "f").start(&mut store, &[Val::I32(3)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    let good = call.to_bytes(&store).unwrap();
    // Drop the innermost record (the frame that called `ask`): what is left
    // reads (the new innermost frame stopped in a call too), but the
    // function it calls finds no record of its own when resumed: it reads
    // the header below the first record, which no frame has.
    let at = records_offset(&good);
    let count = u32::from_le_bytes(good[at..at + 4].try_into().unwrap());
    let slots = u32::from_le_bytes(good[at + 16..at + 20].try_into().unwrap()) as usize;
    let innermost = at + 4..at + 4 + 16 + 8 * slots;
    let mut bytes = good[..at].to_vec();
    bytes.extend_from_slice(&(count - 1).to_le_bytes());
    bytes.extend_from_slice(&good[innermost.end..]);
    reseal(&mut bytes);
    let mut call = Call::from_bytes(&store, &bytes).unwrap();
    call.resume_with(Ok(vec![Val::I32(0)])).unwrap();
    match call.step(&mut store, u64::MAX) {
        Err(Error::BadArgument(message)) => {
            assert!(message.contains("the continuation does not match the code"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The intact bytes still resume.
    let mut call = Call::from_bytes(&store, &good).unwrap();
    call.resume_with(Ok(vec![Val::I32(0)])).unwrap();
    assert!(matches!(call.step(&mut store, u64::MAX), Ok(Step::Finished(_))));
}

/// The continuations of [`continuations_move_between_architectures`]: `work(400)`
/// after 37 steps of 101 fuel (deep in its recursion, in a loop), and
/// `pick(20, externref 7)` stopped in `ask`.
fn portable_continuations(store: &mut Store, i: Instance) -> [Vec<u8>; 2] {
    let work = func(store, i, "work");
    let mut call = work.start(store, &[Val::I32(400)]).unwrap();
    for _ in 0..37 {
        assert_eq!(call.step(store, 101).unwrap(), Step::Yielded);
    }
    let worked = call.to_bytes(store).unwrap();
    let pick = func(store, i, "pick");
    let mut call = pick.start(store, &[Val::I32(20), Val::ExternRef(ExternRef::new(7))]).unwrap();
    host_call(call.step(store, u64::MAX));
    [worked, call.to_bytes(store).unwrap()]
}

/// The format is the same on every architecture, and so are the frames:
/// the translator alone decides resume points and their slots (jit's
/// `resume_points_are_the_same_on_both_architectures`), and fuel is charged
/// per WebAssembly instruction. So a call suspended on x86_64 resumes on
/// aarch64 and back. The fixtures were saved by this test on each machine
/// (`WASMBEAM_SAVE_FIXTURES=1 cargo test --test continuation_bytes`, the
/// aarch64 one under qemu-aarch64); every machine must save exactly those
/// bytes, and resume the other's.
#[test]
fn continuations_move_between_architectures() {
    const ARCHES: [(&str, [&[u8]; 2]); 2] = [
        (
            "x86_64",
            [include_bytes!("data/continuation-x86_64-work.bin"), include_bytes!("data/continuation-x86_64-pick.bin")],
        ),
        (
            "aarch64",
            [
                include_bytes!("data/continuation-aarch64-work.bin"),
                include_bytes!("data/continuation-aarch64-pick.bin"),
            ],
        ),
    ];
    let engine = Engine::default();
    let (mut store, i, _) = setup(&engine);
    let saved = portable_continuations(&mut store, i);
    let here = std::env::consts::ARCH;
    if std::env::var_os("WASMBEAM_SAVE_FIXTURES").is_some() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        for (bytes, name) in saved.iter().zip(["work", "pick"]) {
            std::fs::write(dir.join(format!("continuation-{here}-{name}.bin")), bytes).unwrap();
        }
    }
    let expected_work = func(&store, i, "work").call(&mut store, &[Val::I32(400)]).unwrap();
    for (arch, [work, pick]) in ARCHES {
        assert_eq!([work.to_vec(), pick.to_vec()], saved, "{here} saves what {arch} saved");
        let (mut store, _, _) = setup(&engine);
        let mut call = Call::from_bytes(&store, work).unwrap();
        let (result, _) = run_sliced(&mut call, &mut store, 1_000, 100_000);
        assert_eq!(result.unwrap(), expected_work, "work saved on {arch}");
        let mut call = Call::from_bytes(&store, pick).unwrap();
        call.resume_with(Ok(vec![Val::I32(1)])).unwrap();
        // 100 per frame for the externref, 9 from the funcref.
        assert_eq!(
            call.step(&mut store, u64::MAX).unwrap(),
            Step::Finished(vec![Val::I32(1 + 20 * 109)]),
            "pick saved on {arch}"
        );
    }
}
