//! `cargo fuzz run -s none differential`: see `wasmbeam_fuzzing::differential`. A failure
//! panics with what differed; save the input under `fuzz/regressions/differential/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = wasmbeam_fuzzing::differential(data) {
        panic!("differential: {failure}");
    }
});
