//! wasmbeam-wasi: WASI preview1 (`wasi_snapshot_preview1`, all 46
//! functions) as host functions over wasmbeam's runtime, with no BEAM
//! knowledge.
//!
//! - [`WasiBuilder`] sets up a program's world: arguments, environment,
//!   stdio ([`Input`], [`Output`]) and preopened directories ([`WasiDir`]s:
//!   host directories sandboxed with `cap-std`, or an in-memory file
//!   system); [`Wasi::add_to_linker`] defines the functions.
//! - Nothing blocks a thread: a read of stdin with no data yet and a
//!   `poll_oneoff` that would wait suspend the call (the functions are
//!   `Func::new_may_suspend` host functions); the embedder takes the
//!   [`Wait`] ([`Wasi::take_wait`]), makes it happen, and resumes the call
//!   with `Call::resume_again`. [`run`] drives a whole program that way on
//!   the current thread (the CLI).
//! - `proc_exit` ends the call with `Error::Exit(status)`, not a trap.
//! - Guest pointers and lengths outside memory are `EFAULT`; nothing the
//!   guest passes makes the host allocate more than its memory holds.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod abi;
mod ctx;
mod errno;
mod fd;
pub mod fs;
mod funcs;
mod guest;
mod linker;
mod run;
mod stdio;

pub use ctx::{Wait, Wasi, WasiBuilder};
pub use errno::{Errno, WasiResult};
pub use fs::{WasiDir, WasiFile};
pub use linker::MODULE;
pub use run::{run, run_call, run_sliced};
pub use stdio::{Input, Output};
