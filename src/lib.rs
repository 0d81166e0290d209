//! wasmbeam: WebAssembly for the Erlang VM.
//!
//! This crate is the Rust facade over the engine: it re-exports the
//! embedding API of `wasmbeam-runtime` unchanged (engine, modules, stores,
//! linkers, instances, values, calls, traps) and adds loading helpers
//! ([`load_module`], [`read_wasm`]) that accept the text format as well as
//! binaries.
//!
//! ```
//! use wasmbeam::{Engine, Linker, Store, Val};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = Engine::default();
//! let wat = r#"(module (func (export "add") (param i32 i32) (result i32)
//!                local.get 0 local.get 1 i32.add))"#;
//! let module = wasmbeam::load_module(&engine, wat.as_bytes())?;
//! let mut store = Store::new(&engine);
//! let instance = Linker::new().instantiate(&mut store, &module)?;
//! let add = instance.get_func(&store, "add").ok_or("no export `add`")?;
//! assert_eq!(add.call(&mut store, &[Val::I32(2), Val::I32(3)])?, [Val::I32(5)]);
//! # Ok(())
//! # }
//! ```

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub use wasmbeam_runtime::*;

/// WASI preview1: the host functions, file systems and stdio of
/// `wasmbeam-wasi`.
pub use wasmbeam_wasi as wasi;

mod load;

pub use load::{load_module, read_wasm, to_binary, LoadError};
