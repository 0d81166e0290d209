//! Seeded smoke passes: each target on fixed-seed random inputs, quick
//! enough for every `cargo test`. A failure prints the input (hex) to save
//! under `fuzz/regressions/<target>/`.

use wasmbeam_fuzzing::seeded::smoke;
use wasmbeam_fuzzing::{compile, differential, limits, suspension, Summary, Target};

/// Runs the pass on a thread with a large stack (a module's start function
/// runs on the calling thread, and test threads have only 2 MiB).
fn pass(target: Target, seed: u64, iterations: usize, len: usize) -> Summary {
    let spawned = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || smoke(target, seed, iterations, len))
        .expect("the smoke thread starts");
    let summary = spawned.join().expect("the smoke pass does not panic").unwrap_or_else(|failure| panic!("{failure}"));
    eprintln!("{summary:?}");
    summary
}

#[test]
fn differential_smoke() {
    let s = pass(differential, 1, 600, 4096);
    assert!(s.modules > 500 && s.calls > 1500 && s.traps > 100, "{s:?}");
}

#[test]
fn suspension_smoke() {
    let s = pass(suspension, 2, 150, 4096);
    assert!(s.modules > 100 && s.calls > 300 && s.suspensions > 10_000, "{s:?}");
}

#[test]
fn compile_smoke() {
    let s = pass(compile, 3, 600, 2048);
    assert!(s.compiled > 300 && s.refused > 100, "{s:?}");
}

#[test]
fn limits_smoke() {
    let s = pass(limits, 4, 20, 64);
    assert!(s.compiled > 10 && s.refused > 0, "{s:?}");
}
