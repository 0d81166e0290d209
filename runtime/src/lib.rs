//! wasmbeam-runtime: engines, modules, stores, instances and everything they
//! own (functions, memories, tables, globals), the linker, instantiation,
//! the builtins compiled code calls, and calls from Rust into WebAssembly.
//!
//! Ownership model: a [`Store`] owns every runtime object; the handles
//! ([`Func`], [`Memory`], [`Table`], [`Global`], [`Instance`]) are `Copy`
//! indices into it, tagged with the store's id, so using a handle with the
//! wrong store is reported as an error instead of touching unrelated data.
//! Objects live until their store is dropped.
//!
//! Calls: [`Func::call`] runs a call to completion; [`Func::start`] gives a
//! [`Call`] that runs in fuel slices ([`Call::step`]), suspends in
//! suspending host functions ([`Func::new_suspending`], answered with
//! [`Call::resume_with`]), can be resumed on any thread, and saved as bytes
//! ([`Call::to_bytes`]). A suspended call is plain data: its frames are
//! saved in its continuation buffer and nothing of it stays on the native
//! stack (see `call/`).
//!
//! Compiled code reaches runtime objects through raw pointers laid out as in
//! [`wasmbeam_jit::vm`]. Every such object is a separate heap allocation
//! with a fixed address (`owned.rs`, `buffer.rs`), and compiled code only runs
//! while the store is exclusively borrowed by the call that entered it
//! (see `call/activation.rs`), which is what makes those raw pointers sound.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod buffer;
mod builtins;
mod call;
mod caller;
mod config;
mod const_expr;
mod engine;
mod error;
mod exception;
mod extern_type;
mod external;
mod fnv;
mod func;
mod global;
mod host;
mod instance;
mod instantiate;
mod le_reader;
mod limits;
mod linker;
mod memory;
mod module;
mod owned;
mod store;
mod table;
mod tag;
mod type_registry;
mod values;

pub use call::{Call, PendingCompile, Step};
pub use caller::Caller;
pub use config::{Config, DEFAULT_LAZY_THRESHOLD};
pub use engine::Engine;
pub use error::{Error, HostResult, Trap};
pub use exception::{Exception, ExnRef, MAX_LIVE_EXCEPTIONS};
pub use extern_type::ExternType;
pub use external::Extern;
pub use func::Func;
pub use global::Global;
pub use host::HostFlow;
pub use instance::Instance;
pub use limits::StoreLimits;
pub use linker::Linker;
pub use memory::{Memory, MAX_PAGES, PAGE_SIZE};
pub use module::{Compilation, Module};
pub use store::Store;
pub use table::Table;
pub use tag::Tag;
pub use values::{ExternRef, Val, V128};
pub use wasmbeam_jit::vm::TrapCode;
pub use wasmbeam_jit::{
    CompileError, ExportKind, Features, FuncType, GlobalType, Limits, MemoryType, OptLevel, TableType, Target, ValType,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn thread_safety_matches_the_contract() {
        send_sync::<Engine>();
        send_sync::<Module>();
        send_sync::<Linker>();
        send_sync::<Trap>();
        send_sync::<Error>();
        send::<Store>();
        send::<Call>();
        send_sync::<Step>();
        send_sync::<(Func, Memory, Table, Global, Instance, Extern, Val)>();
    }
}
