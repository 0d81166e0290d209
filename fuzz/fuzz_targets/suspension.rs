//! `cargo fuzz run -s none suspension`: see `wasmbeam_fuzzing::suspension`. A failure
//! panics with what differed; save the input under `fuzz/regressions/suspension/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = wasmbeam_fuzzing::suspension(data) {
        panic!("suspension: {failure}");
    }
});
