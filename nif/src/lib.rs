//! wasmbeam-nif: the Erlang NIF library over wasmbeam's runtime, loaded by
//! the `wasmbeam_nif` module of the `wasmbeam` OTP application.
//!
//! A thin layer: it decodes terms, calls the runtime, encodes terms, and
//! schedules calls (see `call.rs`). Every entry point catches panics
//! (`error::guard` in the body of every NIF of the table, `raw::run` for
//! the functions scheduled with `enif_schedule_nif`), and every failure,
//! bad arguments and bugs included, is an `{error, Reason}` term
//! (`error.rs`): no NIF raises.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod atoms;
mod call;
mod engine;
mod error;
mod exception;
mod instance;
mod memory;
mod module;
mod pacer;
mod pacing;
mod raw;
mod stats;
mod types;
mod values;
mod wasi;

use error::{bad_argument, guard};
use rustler::{Atom, Encoder, Env, SchedulerFlags, Term};
use std::sync::atomic::Ordering;
use wasmbeam_runtime::TrapCode;

/// `stats()`: live resources and how calls were scheduled, for tests and
/// diagnostics.
#[rustler::nif]
fn stats<'a>(env: Env<'a>) -> Term<'a> {
    guard(env, || {
        let pairs = [
            (atoms::modules(), stats::MODULES.load(Ordering::Relaxed).encode(env)),
            (atoms::instances(), stats::INSTANCES.load(Ordering::Relaxed).encode(env)),
            (atoms::calls(), stats::CALLS.load(Ordering::Relaxed).encode(env)),
            (atoms::reschedules(), stats::RESCHEDULES.load(Ordering::Relaxed).encode(env)),
            (atoms::longest_slice_us(), stats::LONGEST_SLICE_US.load(Ordering::Relaxed).encode(env)),
            (atoms::longest_slice_cpu_us(), stats::LONGEST_SLICE_CPU_US.load(Ordering::Relaxed).encode(env)),
            (atoms::slices_by_cpu_us(), slices_by_cpu(env)),
            (atoms::internal_errors(), stats::INTERNAL_ERRORS.load(Ordering::Relaxed).encode(env)),
            (atoms::injected_faults(), stats::INJECTED_FAULTS.load(Ordering::Relaxed).encode(env)),
        ];
        Term::map_from_pairs(env, &pairs).unwrap_or_else(|_| atoms::error().encode(env))
    })
}

/// `[{UpToUs, Count}]`: how many slices ran for less than `UpToUs`
/// microseconds of CPU time (and at least the previous bound); the last
/// bound is `infinity`.
fn slices_by_cpu(env: Env<'_>) -> Term<'_> {
    let bounds = stats::SLICE_CPU_BOUNDS_US.iter().map(|&us| us.encode(env)).chain([atoms::infinity().encode(env)]);
    let buckets: Vec<Term> =
        bounds.zip(stats::slice_counts()).map(|(bound, count)| (bound, count).encode(env)).collect();
    buckets.encode(env)
}

/// `reset_longest_slice()`: starts a new measurement of slice times (the
/// longest slice and the histogram).
#[rustler::nif]
fn reset_longest_slice<'a>(env: Env<'a>) -> Term<'a> {
    stats::reset_slices();
    atoms::ok().encode(env)
}

/// `noop()`: does nothing; the cost of a NIF call, for benchmarks.
#[rustler::nif]
fn noop<'a>(env: Env<'a>) -> Term<'a> {
    atoms::ok().encode(env)
}

/// `trap_codes()` → `[{Code, Message}]`: every trap code the NIF can report
/// (`{trap, Code}`) with its message, from the runtime's one table; the
/// Erlang and Elixir APIs describe traps with these messages. All but
/// `host_error`, which only the runtime's own native host functions raise:
/// the NIF's imports are Erlang funs, whose failures are reported as
/// `{host_error, Class, Reason, Stacktrace}`.
#[rustler::nif]
fn trap_codes<'a>(env: Env<'a>) -> Term<'a> {
    guard(env, || {
        let list: Vec<Term<'a>> = TrapCode::ALL
            .iter()
            .filter(|code| **code != TrapCode::HostError)
            .map(|code| (error::trap_atom(env, *code), code.message()).encode(env))
            .collect();
        list.encode(env)
    })
}

/// `fault(Where)`: fails on purpose with a panic, for the tests that check
/// that a bug in the NIF surfaces as `{error, {internal_error, Message}}`
/// and harms nothing else: `nif` panics in this NIF's body, `dirty` in a
/// continuation scheduled on a dirty CPU scheduler. Not part of the API.
#[rustler::nif]
fn fault<'a>(env: Env<'a>, place: Term<'a>) -> Term<'a> {
    guard(env, || match place.decode::<Atom>() {
        Ok(a) if a == atoms::nif() => {
            stats::INJECTED_FAULTS.fetch_add(1, Ordering::Relaxed);
            panic!("a fault injected in a NIF")
        }
        Ok(a) if a == atoms::dirty() => {
            stats::INJECTED_FAULTS.fetch_add(1, Ordering::Relaxed);
            raw::schedule(env, c"wasmbeam_fault", SchedulerFlags::DirtyCpu, fault_dirty, &[place])
        }
        _ => bad_argument("the place of a fault is nif or dirty").to_term(env),
    })
}

raw::continuation!(fault_dirty, "fault", |_env, [_place]| panic!("a fault injected on a dirty scheduler"));

rustler::init!("wasmbeam_nif");
