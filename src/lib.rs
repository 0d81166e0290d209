//! wasmbeam: WebAssembly for the Erlang VM.
//!
//! This crate is the Rust facade over the engine: it re-exports the
//! embedding API of `wasmbeam-runtime` unchanged (engine, modules, stores,
//! linkers, instances, values, traps), adds [`load`] helpers that accept the
//! text format as well as binaries, and hosts the WebAssembly spec-script
//! runner ([`wast`]) used by the test suite and the `wasmbeam` CLI.

pub use wasmbeam_runtime::*;

mod load;
pub mod wast;

pub use load::{load_module, read_wasm, to_binary, LoadError};
