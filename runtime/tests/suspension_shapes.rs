//! Differential checks of suspension over many code shapes: each program
//! runs once as a plain call with a native `ask`, then as a `Call` with a
//! suspending `ask` (answered the same way) in fuel slices of 1, 2, 3, 7
//! and 101, and again saved to bytes and restored at every stop. Results
//! (compared bit for bit) and the globals the program writes must match.

mod common;

use common::*;
use wasmbeam_runtime::*;

/// What `ask` answers for `args`: a deterministic mix of them, one value
/// per result type.
fn answer(args: &[Val], results: &[ValType]) -> Vec<Val> {
    let seed = args.iter().fold(17u64, |h, v| {
        let bits = match *v {
            Val::I32(x) => x as u32 as u64,
            Val::I64(x) => x as u64,
            Val::F32(b) => b.into(),
            Val::F64(b) => b,
            Val::V128(v) => (v.as_u128() as u64) ^ (v.as_u128() >> 64) as u64,
            Val::FuncRef(f) => f.is_some().into(),
            Val::ExternRef(r) => r.map_or(0, |r| r.payload() + 1),
            Val::ExnRef(r) => r.is_some().into(),
        };
        h.wrapping_mul(31).wrapping_add(bits)
    });
    results
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let x = seed.wrapping_add(i as u64 * 7);
            match t {
                ValType::I32 => Val::I32(x as i32),
                ValType::I64 => Val::I64(x as i64),
                ValType::F32 => Val::F32(0x7fc0_0001 | (x as u32 & 0xff)),
                ValType::F64 => Val::F64(0x7ff8_0000_0000_0001 | (x & 0xff)),
                ValType::V128 => Val::V128(V128::from(u128::from(x) << 64 | u128::from(x.rotate_left(17)))),
                ValType::FuncRef => Val::FuncRef(None),
                ValType::ExternRef => Val::ExternRef(ExternRef::new(x >> 1)),
                ValType::ExnRef => Val::ExnRef(None),
                ValType::Ref(_) => Val::default_for(*t),
            }
        })
        .collect()
}

/// Runs `export(args)` of `wat` (which imports `host.ask` of type `ask`)
/// every way, and checks the outcomes agree, and agree with the code
/// compiled without reductions (no resume points, no record area).
fn check(wat: &str, ask: FuncType, export: &str, args: &[Val]) {
    let engine = Engine::default();
    let plain = Engine::new(Config { reductions: false, ..Config::default() }).unwrap();
    let run_natively = |engine: &Engine| {
        let mut store = Store::new(engine);
        let results = ask.results.clone();
        let native = Func::new(&mut store, ask.clone(), move |_, args, out| {
            out.copy_from_slice(&answer(args, &results));
            Ok(())
        });
        let mut linker = Linker::new();
        linker.define("host", "ask", native);
        let i = instantiate(&mut store, &linker, wat);
        let result = func(&store, i, export).call(&mut store, args);
        (result.map(|r| comparable(&store, i, &r)).map_err(|e| e.to_string()), globals(&store, i))
    };
    let reference = run_natively(&engine);
    assert_eq!(reference, run_natively(&plain), "{export}: with reductions and without");
    for (slice, save) in [1, 2, 3, 7, 101, u64::MAX].into_iter().flat_map(|s| [(s, false), (s, true)]) {
        let mut store = Store::new(&engine);
        let suspending = Func::new_suspending(&mut store, ask.clone());
        let mut linker = Linker::new();
        linker.define("host", "ask", suspending);
        let i = instantiate(&mut store, &linker, wat);
        let mut call = func(&store, i, export).start(&mut store, args).unwrap();
        let mut stops = 0;
        let result = loop {
            stops += 1;
            assert!(stops < 1_000_000, "{export}: no progress with slice {slice}");
            if save && stops > 1 {
                call = Call::from_bytes(&store, &call.to_bytes(&store).unwrap()).unwrap();
            }
            match call.step(&mut store, slice) {
                Ok(Step::Finished(results)) => break Ok(results),
                Ok(Step::Yielded) => {}
                Ok(Step::HostCall { func, args }) => {
                    assert_eq!(func, suspending);
                    call.resume_with(Ok(answer(&args, &ask.results))).unwrap();
                }
                Err(e) => break Err(e.to_string()),
            }
        };
        let outcome = (result.map(|r| comparable(&store, i, &r)), globals(&store, i));
        assert_eq!(outcome, reference, "{export}: slice {slice}, saved at every stop: {save}");
    }
}

/// Every exported global's value, in export order.
fn globals(store: &Store, instance: Instance) -> Vec<String> {
    let values: Vec<Val> =
        instance.exports(store).filter_map(|(_, e)| e.into_global()).map(|g| g.get(store).unwrap()).collect();
    comparable(store, instance, &values)
}

/// Values in a form comparable across stores: a function by the name it
/// is exported under.
fn comparable(store: &Store, instance: Instance, values: &[Val]) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            Val::FuncRef(Some(f)) => {
                let name = instance.exports(store).find(|(_, e)| e.into_func() == Some(*f)).map(|(n, _)| n);
                format!("funcref {}", name.unwrap_or("(not exported)"))
            }
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn many_results_through_a_return_area() {
    let ty = FuncType::new([ValType::I32], [ValType::I64, ValType::F64, ValType::I32, ValType::F32, ValType::I64]);
    check(
        r#"(module (import "host" "ask" (func $ask (param i32) (result i64 f64 i32 f32 i64)))
            (func $six (param i32) (result i64 f64 i32 f32 i64 i32)
              (call $ask (local.get 0)) (local.get 0))
            (func (export "run") (param i32) (result i64 f64 i32 f32 i64 i32 i64)
              (i64.const 99) (drop)
              (call $six (local.get 0))
              (i64.extend_i32_u (local.get 0))))"#,
        ty,
        "run",
        &[Val::I32(12)],
    );
}

#[test]
fn block_values_and_branch_tables_around_calls() {
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    check(
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (global $g (export "g") (mut i32) (i32.const 0))
            (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
              (loop $l
                (local.set $acc
                  (i32.add (local.get $acc)
                    (block $b2 (result i32)
                      (block $b1 (result i32)
                        (block $b0 (result i32)
                          (i32.mul (local.get $i) (i32.const 3))
                          (br_table $b0 $b1 $b2 (i32.rem_u (call $ask (local.get $i)) (i32.const 3))))
                        (i32.add (i32.const 100)))
                      (i32.add (call $ask (i32.const 7))))))
                (global.set $g (i32.add (global.get $g) (i32.const 1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
              (local.get $acc)))"#,
        ty,
        "run",
        &[Val::I32(12)],
    );
}

#[test]
fn nan_payloads_and_references_live_across_suspension() {
    let ty = FuncType::new([ValType::F32, ValType::F64], [ValType::F64, ValType::ExternRef]);
    check(
        r#"(module (import "host" "ask" (func $ask (param f32 f64) (result f64 externref)))
            (global $f (export "f") (mut f32) (f32.const 0))
            (global $r (export "r") (mut externref) (ref.null extern))
            (func $id (export "id") (param f64) (result f64) (local.get 0))
            (elem declare func $id)
            (func (export "run") (param $x f32) (param $y f64) (param $e externref) (result f32 f64 f32 funcref externref)
              (local $fr funcref)
              (local.set $fr (ref.func $id))
              (local.get $x)
              (call $ask (local.get $x) (local.get $y))
              (global.set $r)
              (f64.add (local.get $y))
              (global.set $f (local.get $x))
              (local.get $x)
              (local.get $fr)
              (local.get $e)))"#,
        ty,
        "run",
        &[Val::F32(0x7fa0_1234), Val::F64(0xfff4_0000_0000_4321), Val::ExternRef(ExternRef::new(77))],
    );
}

#[test]
fn indirect_recursion_suspends_at_every_depth() {
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    check(
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (type $t (func (param i32) (result i32)))
            (table 2 funcref)
            (elem (i32.const 0) $even $odd)
            (func $even (param $n i32) (result i32)
              (if (result i32) (i32.eqz (local.get $n)) (then (call $ask (i32.const 0)))
                (else (i32.add (call $ask (local.get $n))
                               (call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1)) (i32.const 1))))))
            (func $odd (param $n i32) (result i32)
              (i32.mul (i32.const 3) (call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0))))
            (func (export "run") (param i32) (result i32) (call $even (local.get 0))))"#,
        ty,
        "run",
        &[Val::I32(40)],
    );
}

#[test]
fn traps_after_suspension_match() {
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    check(
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (memory 1)
            (global $g (export "g") (mut i32) (i32.const 0))
            (func (export "run") (param $n i32) (result i32) (local $i i32)
              (loop $l
                (global.set $g (call $ask (local.get $i)))
                (i32.store (i32.mul (local.get $i) (i32.const 8192)) (global.get $g))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
              (i32.load (i32.const 8192))))"#,
        ty,
        "run",
        &[Val::I32(20)],
    );
}

#[test]
fn loops_that_leave_the_check_to_an_inner_loop_or_a_call() {
    // The outer loops charge without checking (an inner loop always runs,
    // or a call to a function that checks on entry); frames suspended
    // inside are restored through their headers.
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    check(
        r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
            (global $g (export "g") (mut i32) (i32.const 0))
            (func $step (param $x i32) (result i32)
              (if (result i32) (i32.eqz (i32.and (local.get $x) (i32.const 7)))
                (then (call $ask (local.get $x)))
                (else (i32.add (local.get $x) (i32.const 1)))))
            (func (export "run") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $acc i32)
              (loop $outer
                (local.set $j (i32.const 0))
                (loop $middle
                  (loop $inner
                    (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $j))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br_if $inner (i32.and (local.get $j) (i32.const 3))))
                  (br_if $middle (i32.lt_u (local.get $j) (i32.const 12))))
                (loop $calls
                  (local.set $acc (call $step (local.get $acc)))
                  (global.set $g (i32.add (global.get $g) (i32.const 1)))
                  (br_if $calls (i32.and (global.get $g) (i32.const 1))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
              (local.get $acc)))"#,
        ty,
        "run",
        &[Val::I32(9)],
    );
}

#[test]
fn a_loop_around_an_inner_loop_it_may_skip_still_yields() {
    // The inner loop never runs, so the outer loop must check on its own:
    // an endless call yields in every slice.
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module (func (export "spin") (param $n i32)
             (loop $outer
               (block $skip
                 (br_if $skip (i32.eqz (local.get $n)))
                 (loop $inner (br_if $inner (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
               (br $outer))))"#,
    );
    let mut call = func(&store, i, "spin").start(&mut store, &[Val::I32(0)]).unwrap();
    for _ in 0..100 {
        assert!(matches!(call.step(&mut store, 50), Ok(Step::Yielded)));
    }
}

#[test]
fn locals_kept_in_the_record_area_across_joins_and_loops() {
    // Calls leave the locals they save in the frame's record area; joins
    // reconcile ways in that keep them there or in registers: an if whose
    // arms differ, an if without else, a block reached by branches and by
    // falling through, a call-free loop reading and writing locals that are
    // in the area when it starts, a loop with calls entered with every
    // local in the area, around a call-free loop, with a local live through
    // it (`$k`), left by a branch table to the loop or to a block.
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let wat = r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
        (global $g (export "g") (mut i32) (i32.const 0))
        (func (export "run") (param $n i32) (result i32)
          (local $a i32) (local $b i32) (local $c i32) (local $i i32) (local $j i32) (local $k i64)
          (local.set $a (call $ask (local.get $n)))
          (local.set $b (i32.add (local.get $n) (i32.const 5)))
          (local.set $k (i64.extend_i32_u (local.get $a)))
          (drop (call $ask (local.get $b)))
          (if (i32.and (local.get $a) (i32.const 1))
            (then (local.set $b (i32.mul (local.get $b) (i32.const 3))))
            (else (local.set $c (call $ask (local.get $a)))))
          (if (i32.and (local.get $a) (i32.const 2))
            (then (local.set $c (i32.add (local.get $c) (call $ask (local.get $b))))))
          (block $done
            (br_if $done (i32.eqz (i32.and (call $ask (local.get $c)) (i32.const 3))))
            (local.set $a (i32.add (local.get $a) (i32.const 11)))
            (br_if $done (i32.and (local.get $b) (i32.const 4)))
            (local.set $k (i64.add (local.get $k) (i64.const 3))))
          (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.add (local.get $c) (local.get $a)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.set $i (i32.const 0))
          (drop (call $ask (local.get $c)))
          (loop $outer
            (local.set $j (i32.const 0))
            (loop $inner
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (local.set $c (i32.xor (local.get $c) (i32.mul (local.get $j) (local.get $b))))
              (br_if $inner (i32.lt_u (local.get $j) (i32.const 3))))
            (local.set $a (i32.add (local.get $a) (call $ask (i32.add (local.get $b) (local.get $i)))))
            (global.set $g (i32.add (global.get $g) (local.get $c)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (block $out
              (br_table $outer $out (i32.ge_u (local.get $i) (local.get $n)))))
          (i32.add (i32.add (local.get $a) (local.get $c))
            (i32.wrap_i64 (i64.add (local.get $k) (i64.extend_i32_u (local.get $b)))))))"#;
    for n in [1, 2, 5, 6] {
        check(wat, ty.clone(), "run", &[Val::I32(n)]);
    }
}

#[test]
fn a_join_reached_before_and_after_a_local_is_first_saved() {
    // `$x` is in its variable on the first branch to `$b`, before any call
    // has saved it (it has no place in the record area yet), and in the
    // area only on the second, after a call: after the join it must hold
    // the right value on both ways.
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let wat = r#"(module (import "host" "ask" (func $ask (param i32) (result i32)))
        (func (export "run") (param $n i32) (result i32) (local $x i32) (local $y i32)
          (local.set $x (i32.add (local.get $n) (i32.const 100)))
          (local.set $y (i32.mul (local.get $n) (i32.const 3)))
          (block $b
            (br_if $b (i32.and (local.get $n) (i32.const 1)))
            (drop (call $ask (local.get $x)))
            (br_if $b (i32.and (local.get $n) (i32.const 2)))
            (local.set $y (call $ask (local.get $y))))
          (i32.add (local.get $x) (local.get $y))))"#;
    for n in [0, 1, 2, 3] {
        check(wat, ty.clone(), "run", &[Val::I32(n)]);
    }
}

#[test]
fn tail_call_chains_suspended_and_resumed_in_the_middle() {
    // Mutual tail recursion (direct and through a table), a host function
    // asked with an ordinary call and one reached by a tail call, a loop
    // in a tail-called function, and many results through a return area
    // handed down a tail call: a suspension anywhere leaves the frame that
    // made the call replaced by its callee, whose record is what the
    // caller's frame finds when restored.
    let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::I64]);
    let wat = r#"(module
        (import "host" "ask" (func $ask (param i32 i64) (result i64)))
        (type $t (func (param i32 i64) (result i64)))
        (type $many (func (param i32) (result i64 i64 i64 i64 i64 i64 i64 i64 i64)))
        (global $steps (export "steps") (mut i64) (i64.const 0))
        (table 3 funcref)
        (elem (i32.const 0) $even $odd $ask)
        (func $even (param $n i32) (param $acc i64) (result i64)
          (if (i32.eqz (local.get $n))
            (then (return_call $ask (local.get $n) (local.get $acc))))
          (if (i32.eqz (i32.rem_u (local.get $n) (i32.const 5)))
            (then (local.set $acc
              (i64.add (local.get $acc) (call $ask (local.get $n) (local.get $acc))))))
          (global.set $steps (i64.add (global.get $steps) (i64.const 1)))
          (return_call $odd (i32.sub (local.get $n) (i32.const 1))
            (i64.add (local.get $acc) (i64.const 3))))
        (func $odd (param $n i32) (param $acc i64) (result i64)
          (return_call_indirect (type $t) (local.get $n)
            (i64.mul (local.get $acc) (i64.const 7)) (i32.const 0)))
        (func $spin (param $n i32) (param $acc i64) (result i64) (local $i i32)
          (loop $l
            (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 20))))
          (return_call_indirect (type $t) (local.get $n) (local.get $acc)
            (select (i32.const 0) (i32.const 2) (local.get $n))))
        (func $many (param $n i32) (result i64 i64 i64 i64 i64 i64 i64 i64 i64)
          (if (i32.eqz (local.get $n))
            (then (return (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
              (call $ask (local.get $n) (i64.const 6)) (i64.const 7) (i64.const 8) (i64.const 9))))
          (global.set $steps (i64.add (global.get $steps) (i64.const 1)))
          (return_call $many (i32.sub (local.get $n) (i32.const 1))))
        (func (export "run") (param $n i32) (param $acc i64) (result i64)
          (i64.add (call $even (local.get $n) (local.get $acc)) (i64.const 1000)))
        (func (export "direct") (param $n i32) (param $acc i64) (result i64)
          (return_call $even (local.get $n) (local.get $acc)))
        (func (export "to_host") (param $n i32) (param $acc i64) (result i64)
          (return_call $ask (local.get $n) (local.get $acc)))
        (func (export "spin") (param $n i32) (param $acc i64) (result i64)
          (return_call $spin (local.get $n) (local.get $acc)))
        (func (export "many") (param $n i32) (param $acc i64) (result i64)
          (call $many (local.get $n))
          (i64.sub) (i64.add) (i64.sub) (i64.add) (i64.sub) (i64.add) (i64.sub) (i64.add)
          (i64.mul (local.get $acc))))"#;
    for export in ["run", "direct", "to_host", "spin", "many"] {
        for n in [0, 1, 6, 23] {
            check(wat, ty.clone(), export, &[Val::I32(n), Val::I64(5)]);
        }
    }
}

/// An exception thrown 1,000 frames deep and caught at the bottom, every
/// frame on the way catching it (`catch_all_ref`), updating a global with a
/// local it kept across its own suspended call, and throwing it on
/// (`throw_ref`); each frame asked the host (a suspension) on its way down,
/// and a `try_table` whose only clause does not match lets it through.
/// Also an exception that nothing catches: the same error every way.
#[test]
fn exception_thrown_a_thousand_frames_deep_and_caught_at_the_bottom() {
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let wat = r#"
(module
  (import "host" "ask" (func $ask (param i32) (result i32)))
  (tag $e (param i32 i64))
  (tag $other (param f64))
  (global $g (export "g") (mut i32) (i32.const 0))
  (func $down (param $n i32) (result i32)
    (local $mine i32)
    (local.set $mine (call $ask (local.get $n)))
    (if (i32.eqz (local.get $n))
      (then (throw $e (local.get $mine) (i64.const 77))))
    (block $r (result exnref)
      (block $o (result f64)
        (try_table (result i32) (catch $other $o) (catch_all_ref $r)
          (call $down (i32.sub (local.get $n) (i32.const 1))))
        (return))
      (unreachable))
    (global.set $g (i32.add (i32.mul (global.get $g) (i32.const 3)) (local.get $mine)))
    (throw_ref))
  (func (export "run") (param $n i32) (result i32)
    (local $keep i32)
    (local.set $keep (call $ask (i32.const 5)))
    (block $h (result i32 i64)
      (try_table (result i32) (catch $e $h)
        (call $down (local.get $n)))
      (return))
    (i32.wrap_i64)
    (i32.add)
    (i32.add (local.get $keep)))
  (func (export "uncaught") (param $n i32) (result i32)
    (call $down (local.get $n))))
"#;
    check(wat, ty.clone(), "run", &[Val::I32(1000)]);
    check(wat, ty, "uncaught", &[Val::I32(20)]);
}

#[test]
fn v128_locals_stack_values_arguments_and_results_live_across_suspension() {
    // Vectors in locals, on the operand stack under calls, as arguments
    // and results of the suspending import and of a function returning
    // through a return area, in a global, and kept across loop headers
    // (each a fuel check).
    let ty = FuncType::new([ValType::V128, ValType::I32], [ValType::V128, ValType::I32]);
    check(
        r#"(module (import "host" "ask" (func $ask (param v128 i32) (result v128 i32)))
            (global $g (export "g") (mut v128) (v128.const i64x2 0 0))
            (func $many (param $v v128) (result v128 i32 v128 f64 v128)
              (local.get $v) (i32.const 5) (i8x16.neg (local.get $v)) (f64.const -0.5)
              (call $ask (local.get $v) (i32.const 3)) (drop))
            (func (export "run") (param $x v128) (param $n i32) (result v128 i32 v128)
              (local $acc v128) (local $i i32) (local $keep v128)
              (local.set $keep (i32x4.splat (i32.const 0x01020304)))
              (local.set $acc (local.get $x))
              (loop $l
                (local.set $acc
                  (i32x4.add
                    (local.get $acc)
                    (i16x8.mul (local.get $keep) (call $ask (local.get $acc) (local.get $i)) (drop))))
                (global.set $g (f64x2.add (global.get $g) (f64x2.convert_low_i32x4_s (local.get $acc))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
              (i8x16.swizzle (local.get $acc) (v128.const i8x16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0))
              (call $many (local.get $acc))
              (drop) (drop)
              (local.set $keep)
              (local.set $i)
              (v128.xor)
              (i32.add (local.get $i) (i32x4.extract_lane 2 (local.get $keep)))
              (local.get $keep)))"#,
        ty,
        "run",
        &[Val::V128(V128::from(0x0011_2233_4455_6677_8899_aabb_ccdd_eeffu128)), Val::I32(9)],
    );
}

#[test]
fn v128_in_an_exception_payload_across_suspension() {
    let ty = FuncType::new([ValType::V128], [ValType::V128]);
    check(
        r#"(module (import "host" "ask" (func $ask (param v128) (result v128)))
            (tag $t (param i32 v128 i64))
            (func $thrower (param $v v128)
              (throw $t (i32.const 7) (call $ask (local.get $v)) (i64.const -1)))
            (func (export "run") (param $v v128) (result i32 v128 i64 v128)
              (local $i i32)
              (block $caught (result i32 v128 i64)
                (try_table (catch $t $caught)
                  (loop $l
                    (local.set $v (call $ask (local.get $v)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))
                  (call $thrower (local.get $v)))
                (unreachable))
              (local.get $v)))"#,
        ty,
        "run",
        &[Val::V128(V128::from(0x8000_0000_7fff_ffff_0000_0001_ffff_fffeu128))],
    );
}
