//! Everything that can go wrong in a NIF, and its error term.
//!
//! Every NIF returns `{error, Reason}` rather than raising, whatever its
//! arguments (no `badarg`), and every NIF body runs under [`guard`], so a
//! panic is `{error, {internal_error, Message}}` too. The reasons are
//! documented in `beam/src/wasmbeam.erl`; [`Failure::from`] is the one
//! place where runtime errors become reasons.

use crate::atoms;
use rustler::{Atom, Encoder, Env, Term};
use std::panic::{self, AssertUnwindSafe};
use wasmbeam_runtime::{Error, Exception, TrapCode};

/// Why a NIF failed.
#[derive(Debug)]
pub enum Failure {
    /// `{trap, Code}`: the call (or the start function) trapped; `Code` is
    /// the trap code's name ([`TrapCode::name`]).
    Trap(TrapCode),
    /// `{invalid_module, Message}`: not a valid WebAssembly module or WAT
    /// text, or one using a feature wasmbeam does not support.
    InvalidModule(String),
    /// `{bad_argument, Description}`: an argument of the wrong type or range.
    BadArgument(String),
    /// `{link_error, Message}`: an import is missing or of the wrong kind.
    Link(String),
    /// `{limit, Message}`: a resource limit (memory, table, stack) refused it.
    Limit(String),
    /// `busy`: another process is in a call on this instance.
    Busy,
    /// `timeout`: the call's time limit passed.
    Timeout,
    /// `{bad_results, Description}`: a host fun returned values that do not
    /// match the import's result types (the wrapper turns this into a
    /// `host_error`).
    BadResults(String),
    /// `{internal_error, Message}`: a bug in wasmbeam, never a bad input.
    Internal(String),
    /// `{exit, Status}`: the program ended the call with an exit status
    /// (WASI's `proc_exit`), where a plain call was expected.
    Exit(i32),
    /// `{exception, #{tag => Tag, payload => [Value]}}`: WebAssembly threw
    /// an exception that no handler caught. `name` is the tag's export
    /// name, if the instance exports it (see `exception.rs`; runtime
    /// errors become this with the name through `exception::failure`).
    Exception { exception: Exception, name: Option<String> },
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        match error {
            Error::Trap(trap) => Failure::Trap(trap.code),
            Error::Compile(e) => Failure::InvalidModule(e.to_string()),
            Error::Link(m) => Failure::Link(m),
            Error::BadArgument(m) => Failure::BadArgument(m),
            Error::Limit(m) => Failure::Limit(m),
            Error::Internal(m) => Failure::Internal(m),
            Error::Exit(status) => Failure::Exit(status),
            Error::Exception(exception) => Failure::Exception { exception, name: None },
        }
    }
}

/// The atom naming a trap code: its name in the runtime's table.
pub fn trap_atom(env: Env, code: TrapCode) -> Atom {
    // Names are short lowercase ASCII (checked by the table's tests), well
    // within the VM's atom limits, so making the atom cannot fail; if it
    // did, `host_error` is the closest honest answer.
    Atom::from_str(env, code.name()).unwrap_or_else(|_| atoms::host_error())
}

impl Failure {
    /// The `Reason` of `{error, Reason}`.
    pub fn reason<'a>(&self, env: Env<'a>) -> Term<'a> {
        match self {
            Failure::Trap(code) => (atoms::trap(), trap_atom(env, *code)).encode(env),
            Failure::InvalidModule(m) => (atoms::invalid_module(), m.as_str()).encode(env),
            Failure::BadArgument(m) => (atoms::bad_argument(), m.as_str()).encode(env),
            Failure::Link(m) => (atoms::link_error(), m.as_str()).encode(env),
            Failure::Limit(m) => (atoms::limit(), m.as_str()).encode(env),
            Failure::Busy => atoms::busy().encode(env),
            Failure::Timeout => atoms::timeout().encode(env),
            Failure::BadResults(m) => (atoms::bad_results(), m.as_str()).encode(env),
            Failure::Exit(status) => (atoms::exit(), *status).encode(env),
            Failure::Exception { exception, name } => {
                (atoms::exception(), crate::exception::encode(env, exception, name.as_deref())).encode(env)
            }
            Failure::Internal(m) => {
                crate::stats::INTERNAL_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (atoms::internal_error(), m.as_str()).encode(env)
            }
        }
    }

    /// `{error, Reason}`.
    pub fn to_term<'a>(&self, env: Env<'a>) -> Term<'a> {
        (atoms::error(), self.reason(env)).encode(env)
    }
}

/// Shorthand for a bad argument.
pub fn bad_argument(message: impl Into<String>) -> Failure {
    Failure::BadArgument(message.into())
}

/// `{ok, Value}` or `{error, Reason}`.
pub fn ok_or_error<'a>(env: Env<'a>, result: Result<Term<'a>, Failure>) -> Term<'a> {
    match result {
        Ok(value) => (atoms::ok(), value).encode(env),
        Err(failure) => failure.to_term(env),
    }
}

/// `ok` or `{error, Reason}`.
pub fn ok_or_error_unit<'a>(env: Env<'a>, result: Result<(), Failure>) -> Term<'a> {
    match result {
        Ok(()) => atoms::ok().encode(env),
        Err(failure) => failure.to_term(env),
    }
}

/// Runs a NIF's body, turning a panic into `{error, {internal_error,
/// Message}}` (rather than the `nif_panicked` exception Rustler would
/// raise): every NIF in the table and every scheduled continuation runs its
/// body through this.
pub fn guard<'a>(env: Env<'a>, body: impl FnOnce() -> Term<'a>) -> Term<'a> {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(term) => term,
        Err(payload) => Failure::Internal(panic_message(&*payload)).to_term(env),
    }
}

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_string()
    }
}
