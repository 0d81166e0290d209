//! Explicit compile limits ([`wasmbeam_jit::limits`]) are enforced with a
//! clean [`CompileError::LimitExceeded`].

use wasmbeam_jit::limits::MAX_RECORD_SLOTS;
use wasmbeam_jit::{parse, CompileError, CompileOptions, Compiler};

/// A function with `locals` i32 locals (besides its parameter) that calls
/// another function and reads them all afterwards, so the call's resume
/// point saves them all (records hold only the locals live there). The
/// callee has a loop: a call to a function that cannot suspend would be no
/// resume point.
fn many_locals(locals: usize) -> Vec<u8> {
    let reads: String = (0..=locals).map(|i| format!("(drop (local.get {i}))")).collect();
    wat::parse_str(format!(
        "(module (func (export \"f\") (param i32) (local {}) call 1 {reads}) (func (loop)))",
        "i32 ".repeat(locals)
    ))
    .expect("valid text")
}

fn compile(wasm: &[u8], reductions: bool) -> Result<(), CompileError> {
    let compiler = Compiler::new(&CompileOptions { reductions, ..CompileOptions::default() })?;
    let info = parse(wasm)?;
    let type_ids: Vec<u32> = (0..info.types.len() as u32).collect();
    compiler.compile_module(&info, wasm, &type_ids).map(drop)
}

#[test]
fn records_larger_than_the_limit_are_refused_before_code_generation() {
    // Found by the `limits` fuzz target: 23,510 locals took a minute to compile.
    let wasm = many_locals(MAX_RECORD_SLOTS);
    match compile(&wasm, true) {
        Err(CompileError::LimitExceeded { count, max, .. }) => {
            assert_eq!((count, max), (MAX_RECORD_SLOTS + 1, MAX_RECORD_SLOTS))
        }
        other => panic!("expected the record limit, got {other:?}"),
    }
    // Without reductions nothing is saved: no limit.
    compile(&wasm, false).expect("compiles without reductions");
    // At the limit: compiles.
    compile(&many_locals(MAX_RECORD_SLOTS - 1), true).expect("compiles at the limit");
    // Locals that are dead at every resume point are not saved.
    let dead = wat::parse_str(format!(
        "(module (func (export \"f\") (param i32) (local {}) call 1) (func (loop)))",
        "i32 ".repeat(MAX_RECORD_SLOTS * 2)
    ))
    .expect("valid text");
    compile(&dead, true).expect("dead locals are not saved");
}

#[test]
fn leaf_functions_save_nothing_and_have_no_record_limit() {
    let wasm = wat::parse_str(format!("(module (func (local {})))", "i64 ".repeat(MAX_RECORD_SLOTS * 2))).unwrap();
    compile(&wasm, true).expect("a leaf function has no resume point");
}

/// `depth` nested loops, each with a call at its top (so every loop
/// header and call is a resume point inside all the loops around it).
fn nested_loops(depth: usize) -> Vec<u8> {
    let text = format!(
        "(module (func (export \"f\") {} {}) (func (loop)))",
        "(loop (call 1) ".repeat(depth),
        ")".repeat(depth)
    );
    wat::parse_str(text).expect("valid text")
}

#[test]
fn deep_loop_nesting_around_resume_points_is_refused_early() {
    // Found by the `limits` fuzz target: 100,000 nested loops made the
    // translator allocate tens of GB (every resume point kept its loops),
    // and 3,000 took 150 s to compile into 37 MB of code.
    match compile(&nested_loops(1_000), true) {
        Err(CompileError::LimitExceeded { max, .. }) => assert_eq!(max, wasmbeam_jit::limits::MAX_RESUME_HOPS),
        other => panic!("expected the hop limit, got {other:?}"),
    }
    compile(&nested_loops(1_000), false).expect("compiles without reductions");
    compile(&nested_loops(100), true).expect("100 nested loops compile");
}
