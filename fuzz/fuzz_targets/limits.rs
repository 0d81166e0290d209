//! `cargo fuzz run -s none limits`: see `wasmbeam_fuzzing::limits`. A failure
//! panics with what differed; save the input under `fuzz/regressions/limits/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = wasmbeam_fuzzing::limits(data) {
        panic!("limits: {failure}");
    }
});
