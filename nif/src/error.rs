//! Everything that can go wrong in a NIF, and its error term.
//!
//! Every NIF returns `{error, Reason}` rather than raising; the reasons are
//! documented in `beam/src/wasmbeam.erl`.

use crate::atoms;
use rustler::{Encoder, Env, Term};
use wasmbeam_runtime::{Error, TrapCode};

/// Why a NIF failed.
#[derive(Debug)]
pub enum Failure {
    /// `{trap, Code}`: the call (or the start function) trapped.
    Trap(TrapCode),
    /// `{invalid_module, Message}`: not a valid WebAssembly module or WAT text.
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
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        match error {
            // Traps that only a bug in wasmbeam can cause: every call the
            // NIF makes can suspend, and its continuations are its own.
            Error::Trap(trap)
                if matches!(
                    trap.code,
                    TrapCode::HostError | TrapCode::ContinuationMismatch | TrapCode::ContinuationOverflow
                ) =>
            {
                Failure::Internal(trap.message)
            }
            Error::Trap(trap) => Failure::Trap(trap.code),
            Error::Compile(e) => Failure::InvalidModule(e.to_string()),
            Error::Link(m) => Failure::Link(m),
            Error::BadArgument(m) => Failure::BadArgument(m),
            Error::Limit(m) => Failure::Limit(m),
        }
    }
}

/// The atom naming a trap code.
pub fn trap_atom(code: TrapCode) -> rustler::Atom {
    use TrapCode::*;
    match code {
        StackOverflow => atoms::call_stack_exhausted(),
        MemoryOutOfBounds => atoms::out_of_bounds_memory_access(),
        TableOutOfBounds => atoms::out_of_bounds_table_access(),
        IndirectCallToNull => atoms::uninitialized_element(),
        UndefinedElement => atoms::undefined_element(),
        BadSignature => atoms::indirect_call_type_mismatch(),
        IntegerOverflow => atoms::integer_overflow(),
        IntegerDivisionByZero => atoms::integer_divide_by_zero(),
        BadConversionToInteger => atoms::invalid_conversion_to_integer(),
        Unreachable => atoms::unreachable(),
        HostError => atoms::host_error(),
        OutOfFuel => atoms::out_of_fuel(),
        ContinuationMismatch => atoms::continuation_mismatch(),
        ContinuationOverflow => atoms::continuation_overflow(),
    }
}

impl Failure {
    /// The `Reason` of `{error, Reason}`.
    pub fn reason<'a>(&self, env: Env<'a>) -> Term<'a> {
        match self {
            Failure::Trap(code) => (atoms::trap(), trap_atom(*code)).encode(env),
            Failure::InvalidModule(m) => (atoms::invalid_module(), m.as_str()).encode(env),
            Failure::BadArgument(m) => (atoms::bad_argument(), m.as_str()).encode(env),
            Failure::Link(m) => (atoms::link_error(), m.as_str()).encode(env),
            Failure::Limit(m) => (atoms::limit(), m.as_str()).encode(env),
            Failure::Busy => atoms::busy().encode(env),
            Failure::Timeout => atoms::timeout().encode(env),
            Failure::BadResults(m) => (atoms::bad_results(), m.as_str()).encode(env),
            Failure::Internal(m) => (atoms::internal_error(), m.as_str()).encode(env),
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
