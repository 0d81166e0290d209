//! Suspension at the compiled-code level, without the runtime: every time
//! fuel runs out the call unwinds to the continuation buffer and is rewound,
//! and the results must be those of an uninterrupted run.

mod common;

use common::{i32s, Harness};

const PROGRAMS: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  ;; a loop whose operand stack holds values from outside it, and calls
  ;; inside it with values below their arguments
  (func (export "loop_sum") (param $n i32) (result i64) (local $i i32)
    (i64.const 1000)
    (block $done (result i64)
      (i64.const 0)
      (loop $l (param i64) (result i64)
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.add (call $square (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i64.add))
  (func $square (param i64) (result i64) (i64.mul (local.get 0) (local.get 0)))
  ;; f64 and multi-value through a call, with floats live across it
  (func $pair (param f64) (result f64 f64 i32 i64 f32)
    (local.get 0) (f64.mul (local.get 0) (f64.const 2)) (i32.const 7) (i64.const -1) (f32.const 0.5))
  (func (export "floats") (param $x f64) (result f64) (local $k i32)
    (f64.const 0.25)
    (loop $l (param f64) (result f64)
      (call $pair (local.get $x))
      (drop) (drop) (drop) (f64.add) (f64.add)
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 10)))))
  ;; at the bottom, spins long enough to run out of fuel with every frame live
  (func $spin (param i32)
    (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $spin (i32.const 100000)) (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
)"#;

fn check(name: &str, args: &[u64]) {
    let harness = Harness::new();
    let mut module = harness.load(PROGRAMS);
    let expected = harness.call(&mut module, name, args).expect("no trap");
    for slice in [1, 2, 7, 97, 10007] {
        let (results, stats) = harness.call_sliced(&mut module, name, args, Some(slice)).expect("no trap");
        assert_eq!(results, expected, "{name} with fuel slice {slice}");
        if slice == 1 {
            assert!(stats.suspensions > 0, "{name} never suspended with slice 1");
        }
    }
}

#[test]
fn recursion_resumes_to_the_same_result() {
    check("fib", &i32s(&[15]));
}

#[test]
fn loops_with_outer_operands_resume_to_the_same_result() {
    check("loop_sum", &i32s(&[50]));
}

#[test]
fn floats_and_multi_value_resume_to_the_same_result() {
    check("floats", &[1.5f64.to_bits()]);
}

#[test]
fn deep_recursion_suspends_and_resumes() {
    // 10,000 frames, suspended at the bottom and rebuilt on every resume
    // (about 64 bytes each on x86_64).
    let result = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let mut harness = Harness::new();
            harness.stack_budget = 8 << 20;
            let mut module = harness.load(PROGRAMS);
            harness.call_sliced(&mut module, "deep", &i32s(&[10_000]), Some(50_000)).expect("no trap")
        })
        .expect("thread")
        .join()
        .expect("no panic");
    assert_eq!(result.0, i32s(&[10_000]));
    assert!(result.1.suspensions > 0);
    // Suspended in $spin below all 10,000 frames of $deep: a record of at
    // least one slot and the header for each.
    assert!(result.1.largest_continuation >= 10_001 * 16, "{:?}", result.1);
}

#[test]
fn without_reductions_the_same_results() {
    let harness = Harness::with_reductions(false);
    let mut module = harness.load(PROGRAMS);
    assert_eq!(harness.call(&mut module, "fib", &i32s(&[15])), Ok(i32s(&[610])));
    assert_eq!(harness.call(&mut module, "loop_sum", &i32s(&[50])), Ok(vec![1000 + 40425]));
}
