//! Translator corner cases, run without the runtime (see `common`).

mod common;

use common::{i32s, run};
use wasmbeam_jit::vm::TrapCode;
use wasmbeam_jit::{CompileOptions, Compiler};

#[test]
fn br_table_with_block_results() {
    let wat = r#"(module (func (export "f") (param i32) (result i32)
        (block (result i32)
          (block (result i32)
            (block (result i32)
              (br_table 0 1 2 (i32.const 100) (local.get 0)))
            (i32.add (i32.const 1)) (br 1))
          (i32.add (i32.const 2)))
    ))"#;
    assert_eq!(run(wat, "f", &i32s(&[0])), Ok(i32s(&[101])));
    assert_eq!(run(wat, "f", &i32s(&[1])), Ok(i32s(&[102])));
    assert_eq!(run(wat, "f", &i32s(&[2])), Ok(i32s(&[100])));
    assert_eq!(run(wat, "f", &i32s(&[99])), Ok(i32s(&[100])));
}

#[test]
fn multi_value_blocks_and_loops() {
    let wat = r#"(module
      (type $pair (func (param i32 i32) (result i32 i32)))
      (func (export "swap_sum") (param i32 i32) (result i32 i32)
        (local.get 0) (local.get 1)
        (block (type $pair) (local.set 0) (local.set 1) (local.get 0) (local.get 1))
      )
      ;; counts n down to 0 carrying (n, acc) through the loop's parameters
      (func (export "sum") (param $n i32) (result i32) (local $acc i32)
        (local.get $n) (i32.const 0)
        (loop $l (param i32 i32) (result i32)
          (local.set $acc) (local.set $n)
          (if (result i32) (i32.eqz (local.get $n))
            (then (local.get $acc))
            (else
              (i32.sub (local.get $n) (i32.const 1))
              (i32.add (local.get $acc) (local.get $n))
              (br $l)))))
      (func (export "many") (result i32 i64 f32 f64 i32 i32)
        (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5) (i32.const 6))
      ;; takes the six results of a callee that returns through memory
      (func (export "use_many") (result i32) (local $t i32)
        (call 2) (i32.add) (local.set $t) (drop) (drop) (drop) (i32.add (local.get $t)))
    )"#;
    assert_eq!(run(wat, "swap_sum", &i32s(&[3, 4])), Ok(i32s(&[4, 3])));
    assert_eq!(run(wat, "sum", &i32s(&[10])), Ok(i32s(&[55])));
    let many = run(wat, "many", &[]).expect("no trap");
    assert_eq!(many, vec![1, 2, 3f32.to_bits() as u64, 4f64.to_bits(), 5, 6]);
    // 1 + (5 + 6)
    assert_eq!(run(wat, "use_many", &[]), Ok(i32s(&[12])));
}

#[test]
fn select_on_references() {
    let wat = r#"(module
      (func $a)
      (elem declare func $a)
      (func (export "pick") (param i32) (result i32)
        (ref.is_null (select (result funcref) (ref.func $a) (ref.null func) (local.get 0))))
      (func (export "pick_extern") (param externref externref i32) (result externref)
        (select (result externref) (local.get 0) (local.get 1) (local.get 2)))
    )"#;
    assert_eq!(run(wat, "pick", &i32s(&[1])), Ok(i32s(&[0])));
    assert_eq!(run(wat, "pick", &i32s(&[0])), Ok(i32s(&[1])));
    assert_eq!(run(wat, "pick_extern", &[7, 9, 1]), Ok(vec![7]));
    assert_eq!(run(wat, "pick_extern", &[7, 9, 0]), Ok(vec![9]));
}

#[test]
fn unreachable_code_after_br_is_skipped() {
    let wat = r#"(module (func (export "f") (result i32)
        (block (result i32)
          (br 0 (i32.const 7))
          ;; dead, and typed only thanks to stack polymorphism
          (i64.add) (drop) (block (result i32) (unreachable)) (i32.add) (if (then (nop)) (else (nop))) (select))
    ))"#;
    assert_eq!(run(wat, "f", &[]), Ok(i32s(&[7])));
}

#[test]
fn traps_are_explicit() {
    let wat = r#"(module
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "rem") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
      (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
      (func (export "unreachable") (unreachable))
      (func $rec (export "rec") (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))
    )"#;
    assert_eq!(run(wat, "div", &i32s(&[7, 0])), Err(TrapCode::IntegerDivisionByZero));
    assert_eq!(run(wat, "div", &i32s(&[i32::MIN, -1])), Err(TrapCode::IntegerOverflow));
    assert_eq!(run(wat, "div", &i32s(&[-7, 2])), Ok(i32s(&[-3])));
    assert_eq!(run(wat, "rem", &i32s(&[i32::MIN, -1])), Ok(i32s(&[0])));
    assert_eq!(run(wat, "rem", &i32s(&[-7, 2])), Ok(i32s(&[-1])));
    assert_eq!(run(wat, "trunc", &[f64::NAN.to_bits()]), Err(TrapCode::BadConversionToInteger));
    assert_eq!(run(wat, "trunc", &[2147483648f64.to_bits()]), Err(TrapCode::IntegerOverflow));
    assert_eq!(run(wat, "trunc", &[(-2147483648.9f64).to_bits()]), Ok(i32s(&[i32::MIN])));
    assert_eq!(run(wat, "trunc", &[(-2147483649f64).to_bits()]), Err(TrapCode::IntegerOverflow));
    assert_eq!(run(wat, "unreachable", &[]), Err(TrapCode::Unreachable));
    assert_eq!(run(wat, "rec", &i32s(&[0])), Err(TrapCode::StackOverflow));
}

#[test]
fn modules_compile_for_the_other_architecture() {
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (param i32) (result i32)
             (block (result i32) (br_table 0 0 (i32.const 1) (local.get 0)))))"#,
    )
    .expect("valid wat");
    let info = wasmbeam_jit::parse(&wasm).expect("valid");
    let options = CompileOptions { target: wasmbeam_jit::Target::foreign(), verify: true, ..CompileOptions::default() };
    let compiler = Compiler::new(&options).expect("cross compiler");
    assert!(!compiler.is_executable());
    let compiled = compiler.compile_module(&info, &wasm, &[0]).expect("compiles for the other architecture");
    assert!(compiled.code_size() > 0);
    assert!(compiled.function_ptr(0).is_none());
}

#[test]
fn calls_in_functions_with_memory_compile() {
    // The state check after a call reloads the cached memory bounds; the
    // unwind block must be filled before that (a frontend ordering rule).
    // (`$f` has a loop: a call to a function that cannot suspend would be
    // no resume point.)
    let wasm = wat::parse_str(
        r#"(module (memory 1)
             (func $f (param i32) (result i32) (loop) (i32.load (local.get 0)))
             (func (export "g") (param i32) (result i32)
               (loop $l (br_if $l (i32.eqz (call $f (local.get 0)))))
               (i32.add (call $f (local.get 0)) (i32.load offset=4 (local.get 0)))))"#,
    )
    .expect("valid wat");
    let info = wasmbeam_jit::parse(&wasm).expect("valid");
    for target in [wasmbeam_jit::Target::Host, wasmbeam_jit::Target::foreign()] {
        let options = CompileOptions { target, verify: true, ..CompileOptions::default() };
        let compiler = Compiler::new(&options).expect("compiler");
        let compiled = compiler.compile_module(&info, &wasm, &[0, 1]).expect("compiles");
        assert_eq!(compiled.resume_points(1).len(), 4, "entry, loop header and two calls");
    }
}

#[test]
fn resume_points_are_the_same_on_both_architectures() {
    // A continuation saved on one architecture resumes on the other (the
    // byte format says so): that needs every function's resume points,
    // their order and their slots, to be decided by the translator alone.
    let wasm = wat::parse_str(
        r#"(module (type $t (func (param i64) (result i64)))
             (import "env" "h" (func $h (param f64) (result f64)))
             (memory 1) (table 2 funcref)
             (func $sq (type $t) (i64.mul (local.get 0) (local.get 0)))
             (func (export "g") (param i32 i64 f32) (result f64) (local f64 i32)
               (loop $l
                 (local.set 3 (call $h (f64.convert_i32_s (local.get 0))))
                 (local.set 1 (call_indirect (type $t) (local.get 1) (i32.and (local.get 0) (i32.const 1))))
                 (local.set 4 (i32.load (local.get 0)))
                 (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
               (f64.add (local.get 3) (f64.promote_f32 (local.get 2)))))"#,
    )
    .expect("valid wat");
    let info = wasmbeam_jit::parse(&wasm).expect("valid");
    let points = |target| {
        let options = CompileOptions { target, verify: true, ..CompileOptions::default() };
        let compiled =
            Compiler::new(&options).expect("compiler").compile_module(&info, &wasm, &[0, 1, 2]).expect("compiles");
        (0..2).map(|f| compiled.resume_points(f).to_vec()).collect::<Vec<_>>()
    };
    let x86 = points(wasmbeam_jit::Target::X86_64);
    assert_eq!(x86[1].len(), 4, "entry, loop header, two calls: {:?}", x86[1]);
    assert!(x86[1].iter().any(|p| p.callee_type.is_some()));
    assert_eq!(x86, points(wasmbeam_jit::Target::Aarch64));
}

#[test]
fn branches_that_move_values_below_the_stack_top() {
    // br_if and br_table carrying a value to a frame whose height is below
    // other live values: the move happens on an edge of its own, and the
    // fall-through keeps the values it needs.
    let wat = r#"(module (func (export "f") (param i32) (result i32)
        (i32.const 100)
        (block (result i32)
          (i32.const 1)
          (br_if 0 (i32.const 10) (i32.eqz (local.get 0)))
          (drop)
          (block (result i32)
            (i32.const 5)
            (br_table 0 1 (i32.const 20) (i32.sub (local.get 0) (i32.const 1))))
          (i32.add))
        (i32.add)))"#;
    assert_eq!(run(wat, "f", &i32s(&[0])), Ok(i32s(&[110])));
    assert_eq!(run(wat, "f", &i32s(&[1])), Ok(i32s(&[121])));
    assert_eq!(run(wat, "f", &i32s(&[2])), Ok(i32s(&[120])));
}
