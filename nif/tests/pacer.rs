//! The pacer's tests, run without a BEAM: the NIF library itself links only
//! inside the VM (it has no test harness), but the pacer is plain Rust, so
//! this test target compiles its source on its own.

#[path = "../src/pacer.rs"]
mod pacer;
