//! Errors of the embedding API, and [`Trap`], why a call into WebAssembly
//! stopped early.

use wasmbeam_jit::vm::TrapCode;
use wasmbeam_jit::CompileError;

/// A trap: WebAssembly execution stopped with an error. Wasm traps carry
/// the specification's message ([`TrapCode::message`]); traps raised by host
/// functions carry [`TrapCode::HostError`] and the host's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Trap {
    pub code: TrapCode,
    pub message: String,
}

impl Trap {
    /// A trap with `code`'s standard message.
    pub fn new(code: TrapCode) -> Trap {
        Trap { code, message: code.message().to_string() }
    }

    /// A trap with `code`'s standard message followed by its detail (the
    /// table index of an undefined or uninitialized element), as the
    /// WebAssembly reference interpreter reports it.
    pub fn with_detail(code: TrapCode, detail: u64) -> Trap {
        Trap { code, message: format!("{} {detail}", code.message()) }
    }

    /// A trap raised by a host function.
    pub fn host(message: impl Into<String>) -> Trap {
        Trap { code: TrapCode::HostError, message: message.into() }
    }
}

/// What a host function returns. `Err` stops the calling WebAssembly code:
/// [`Error::Trap`] traps it, [`Error::Exit`] ends the whole call with an
/// exit status (WASI's `proc_exit`), and any other error ends the call with
/// that error. A [`Trap`] converts with `?` or `.into()`.
pub type HostResult = Result<(), Error>;

/// Everything that can go wrong in the embedding API.
///
/// Every variant but [`Error::Internal`] is caused by the input or the
/// environment (the module, the arguments, the limits, the code's own
/// traps); `Internal` is for what only a bug in wasmbeam can cause, and
/// says so, so that embedders can report it apart (the BEAM binding maps it
/// to `{internal_error, Message}` and nothing else to that).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module could not be validated or compiled. Never
    /// [`CompileError::Internal`]: that becomes [`Error::Internal`].
    #[error(transparent)]
    Compile(CompileError),
    /// An import could not be resolved: "unknown import: `m` `n`" or
    /// "incompatible import type for `m` `n`: expected .., found ..".
    #[error("{0}")]
    Link(String),
    /// A trap during a call, or during instantiation (segments, start).
    #[error("{0}")]
    Trap(#[from] Trap),
    /// A misuse of the API: wrong argument count or types, a handle from
    /// another store, setting an immutable global, continuation bytes that
    /// cannot be read or do not match the code, and the like.
    #[error("{0}")]
    BadArgument(String),
    /// A resource limit: a memory or table larger than the configured or
    /// declared maximum, or an allocation that failed.
    #[error("{0}")]
    Limit(String),
    /// The program ended the call with this exit status, through a host
    /// function (WASI's `proc_exit`): not a trap, and not an error of the
    /// program's making unless the status says so. The call is over.
    #[error("exit status {0}")]
    Exit(i32),
    /// An exception thrown by WebAssembly code that no handler caught: its
    /// tag and payload. A host function may return it to throw it into
    /// the WebAssembly code that called it.
    #[error("{0}")]
    Exception(crate::exception::Exception),
    /// A bug in wasmbeam: an invariant of its own did not hold. The message
    /// says which; the object involved (the call, the store) may be
    /// unusable afterwards, but nothing else is affected.
    #[error("internal error in wasmbeam: {0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::Internal`] with `message`.
    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::Internal(message.into())
    }
}

impl From<CompileError> for Error {
    fn from(error: CompileError) -> Error {
        match error {
            CompileError::Internal { .. } => Error::Internal(error.to_string()),
            other => Error::Compile(other),
        }
    }
}
