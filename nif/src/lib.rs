//! wasmbeam-nif: the Erlang NIF library over wasmbeam's runtime, loaded by
//! the `wasmbeam_nif` module of the `wasmbeam` OTP application.
//!
//! A thin layer: it decodes terms, calls the runtime, encodes terms, and
//! schedules calls (see `call.rs`). Every entry point catches panics
//! (Rustler's wrappers for the NIFs in the table, `raw::run` for the
//! functions scheduled with `enif_schedule_nif`), and every failure is an
//! `{error, Reason}` term (`error.rs`).

mod atoms;
mod call;
mod engine;
mod error;
mod instance;
mod memory;
mod module;
mod pacing;
mod raw;
mod stats;
mod types;
mod values;

use rustler::{Encoder, Env, Term};
use std::sync::atomic::Ordering;

/// `stats()`: live resources and how calls were scheduled, for tests and
/// diagnostics.
#[rustler::nif]
fn stats<'a>(env: Env<'a>) -> Term<'a> {
    let pairs = [
        (atoms::modules(), stats::MODULES.load(Ordering::Relaxed).encode(env)),
        (atoms::instances(), stats::INSTANCES.load(Ordering::Relaxed).encode(env)),
        (atoms::calls(), stats::CALLS.load(Ordering::Relaxed).encode(env)),
        (atoms::reschedules(), stats::RESCHEDULES.load(Ordering::Relaxed).encode(env)),
        (atoms::longest_slice_us(), stats::LONGEST_SLICE_US.load(Ordering::Relaxed).encode(env)),
        (atoms::longest_slice_cpu_us(), stats::LONGEST_SLICE_CPU_US.load(Ordering::Relaxed).encode(env)),
    ];
    Term::map_from_pairs(env, &pairs).unwrap_or_else(|_| atoms::error().encode(env))
}

/// `reset_longest_slice()`: starts a new measurement of the longest slice.
#[rustler::nif]
fn reset_longest_slice<'a>(env: Env<'a>) -> Term<'a> {
    stats::LONGEST_SLICE_US.store(0, Ordering::Relaxed);
    stats::LONGEST_SLICE_CPU_US.store(0, Ordering::Relaxed);
    atoms::ok().encode(env)
}

/// `noop()`: does nothing; the cost of a NIF call, for benchmarks.
#[rustler::nif]
fn noop<'a>(env: Env<'a>) -> Term<'a> {
    atoms::ok().encode(env)
}

rustler::init!("wasmbeam_nif");
