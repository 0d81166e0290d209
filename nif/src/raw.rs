//! NIF functions that Rustler does not wrap: the continuations a NIF
//! schedules with `enif_schedule_nif` (the next slice of a call, a compile
//! moved to a dirty scheduler). Each is an `extern "C"` function that
//! enters [`run`], which builds the `Env` and argument terms and catches
//! panics, so none ever unwinds into the VM.

use crate::error::guard;
use rustler::sys::{c_int, enif_schedule_nif, ErlNifEnv, ErlNifTerm as ERL_NIF_TERM};
use rustler::{Env, SchedulerFlags, Term};
use std::ffi::CStr;

/// The signature of a NIF function as the VM calls it.
pub type RawNif = unsafe extern "C" fn(*mut ErlNifEnv, c_int, *const ERL_NIF_TERM) -> ERL_NIF_TERM;

/// Runs `body` as the NIF the VM called with `(env, argc, argv)`. A panic
/// becomes `{error, {internal_error, Message}}`.
///
/// # Safety
/// `env`, `argc` and `argv` must be the arguments the VM passed to a NIF
/// function that is still running (this call is its whole body).
pub unsafe fn run(
    env: *mut ErlNifEnv,
    argc: c_int,
    argv: *const ERL_NIF_TERM,
    body: for<'a> fn(Env<'a>, &[Term<'a>]) -> Term<'a>,
) -> ERL_NIF_TERM {
    let marker = ();
    // SAFETY: the VM gave us `env` for this call, which outlives `marker`
    // (a local of this call).
    let env = unsafe { Env::new(&marker, env) };
    let count = usize::try_from(argc).unwrap_or(0);
    let args: Vec<Term> = (0..count)
        // SAFETY: `argv` holds `argc` terms of `env`, valid for this call.
        .map(|i| unsafe { Term::new(env, *argv.add(i)) })
        .collect();
    guard(env, || body(env, &args)).as_c_arg()
}

/// Makes the calling process continue with `next(args)` instead of
/// returning: on a normal scheduler after the process was scheduled out
/// (it has used its slice), or on a dirty CPU scheduler. The result must be
/// returned from the NIF at once. `name` is what traces show.
pub fn schedule<'a>(env: Env<'a>, name: &CStr, flags: SchedulerFlags, next: RawNif, args: &[Term<'a>]) -> Term<'a> {
    let argv: Vec<ERL_NIF_TERM> = args.iter().map(|t| t.as_c_arg()).collect();
    // SAFETY: `env` is the env of the running NIF (process-bound), `name`
    // is NUL-terminated and static enough (the VM copies what it needs
    // before we return), `next` has the NIF signature and catches its own
    // panics (it calls `run`), and `argv` holds `args.len()` (at most a few)
    // terms of `env`, which the VM copies before returning.
    unsafe {
        let term =
            enif_schedule_nif(env.as_c_arg(), name.as_ptr(), flags as c_int, next, argv.len() as c_int, argv.as_ptr());
        Term::new(env, term)
    }
}

/// Defines `$name`, a NIF function for [`schedule`] to continue with: it
/// binds the scheduled arguments to the names listed and evaluates `$body`
/// (a term) inside [`run`]. A different argument count (which only a bug
/// could cause) is `{error, {internal_error, _}}`.
macro_rules! continuation {
    ($name:ident, $what:literal, |$env:ident, [$($arg:ident),+]| $body:expr) => {
        unsafe extern "C" fn $name(
            env: *mut rustler::sys::ErlNifEnv,
            argc: rustler::sys::c_int,
            argv: *const rustler::sys::ErlNifTerm,
        ) -> rustler::sys::ErlNifTerm {
            // SAFETY: the VM calls this only as the NIF `raw::schedule`
            // continued with, with the arguments it passed.
            unsafe {
                $crate::raw::run(env, argc, argv, |$env, args| match args {
                    [$($arg),+] => {
                        $(let $arg = *$arg;)+
                        $body
                    }
                    _ => $crate::error::Failure::Internal(concat!($what, ": wrong argument count").into())
                        .to_term($env),
                })
            }
        }
    };
}
pub(crate) use continuation;
