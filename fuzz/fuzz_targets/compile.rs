//! `cargo fuzz run -s none compile`: see `wasmbeam_fuzzing::compile`. A failure
//! panics with what differed; save the input under `fuzz/regressions/compile/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = wasmbeam_fuzzing::compile(data) {
        panic!("compile: {failure}");
    }
});
