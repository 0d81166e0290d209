//! `cargo fuzz run -s none suspension`: see `wasmbeam_fuzzing::suspension`. A failure
//! panics with what differed; save the input under `fuzz/regressions/suspension/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // With WASMBEAM_FUZZ_LAST set, each input is written there before it
    // runs: a crash libFuzzer cannot catch (a native stack overflow kills
    // the process before its handler runs) leaves the input behind.
    if let Some(path) = std::env::var_os("WASMBEAM_FUZZ_LAST") {
        let _ = std::fs::write(path, data);
    }
    if let Err(failure) = wasmbeam_fuzzing::suspension(data) {
        panic!("suspension: {failure}");
    }
});
