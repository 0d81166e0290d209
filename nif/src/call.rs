//! Calls: run in slices on the caller's scheduler, suspended in host funs.
//!
//! `call/4` starts a call and runs it step by step (see `pacing.rs`). It
//! ends in one of four ways:
//! - `{ok, Results}`: the call returned;
//! - `{error, Reason}`: it trapped, threw an exception no handler caught,
//!   timed out, or could not start;
//! - `{host_call, Call, Fun, Args}`: WebAssembly called an import; the
//!   Erlang wrapper applies `Fun(Instance, Args)` in the calling process
//!   and answers with `resume/2` (results, or an exception to throw) or
//!   `abort/1`, which go on the same way;
//! - the process's timeslice is spent: the NIF reschedules itself with
//!   `enif_schedule_nif` and the next slice goes on in `call_slice`, after
//!   the VM has run other processes (and delivered exit signals).
//!
//! A call that finishes in its first slice allocates no resource. One that
//! stops keeps its state in a [`CallRes`], referenced only from the calling
//! process; if the process dies, the VM drops it and the call is abandoned.

use crate::atoms;
use crate::error::{bad_argument, guard, ok_or_error, ok_or_error_unit, Failure};
use crate::exception;
use crate::instance::{fuel_limit, instance_ref, InstanceRes, InstanceState};
use crate::pacer::Pacer;
use crate::pacing::{room_for_another_step, timeslice_percent};
use crate::raw;
use crate::stats::{self, Live};
use crate::values::{decode_list, encode_list};
use crate::wasi::{encode_output, Stream, WasiSetup};
use rustler::sys::{c_int, ErlNifEnv, ErlNifTerm as ERL_NIF_TERM};
use rustler::types::map::MapIterator;
use rustler::{Atom, Encoder, Env, Resource, ResourceArc, SchedulerFlags, Term};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use wasmbeam_runtime::{Call, Step, Val};
use wasmbeam_wasi::Wait;

/// A call that stopped: suspended in a host fun, or between slices.
pub struct CallRes {
    instance: ResourceArc<InstanceRes>,
    state: Mutex<CallState>,
    _live: Live,
}

#[rustler::resource_impl]
impl Resource for CallRes {}

/// A call in progress. (The default: one that is over.)
#[derive(Default)]
struct CallState {
    /// `None` once the call is over (and the instance released).
    call: Option<Call>,
    deadline: Option<Instant>,
    pacer: Pacer,
    /// The import whose host call it waits for (its index among the
    /// instance's host functions, which hold the result types).
    pending: Option<usize>,
    /// A step whose output the Erlang wrapper is delivering first (see
    /// `wasi.rs`): what to report when it asks to go on.
    after_output: Option<Result<Step, Failure>>,
}

impl Drop for CallRes {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if state.call.take().is_some() {
            // Abandoned (its process died, or it was garbage): the
            // instance is free again.
            self.instance.release();
        }
    }
}

/// How a run of steps ended.
enum Outcome<'a> {
    Finished(Vec<Val>),
    Failed(Failure),
    /// WebAssembly called an import: its fun, and the arguments.
    HostCall {
        fun: Term<'a>,
        args: Vec<Val>,
    },
    /// The timeslice is spent.
    Reschedule,
    /// The call waits for a function of a lazily compiled module to be
    /// compiled: on a dirty scheduler.
    Compile,
    /// WASI output for the wrapper to deliver before the call goes on.
    Output(Vec<(Stream, Vec<u8>)>),
    /// A WASI call waits (stdin, or time): the wrapper answers.
    Wait(Wait),
}

/// What [`settle`] made of a step.
enum Settled<'a> {
    /// It yielded: go on stepping.
    Continue,
    Done(Outcome<'a>),
}

/// `call(Instance, Name, Args, Options)`.
#[rustler::nif]
fn call<'a>(env: Env<'a>, instance: Term<'a>, name: Term<'a>, arguments: Term<'a>, options: Term<'a>) -> Term<'a> {
    guard(env, || {
        let res = match instance_ref(instance) {
            Ok(res) => res,
            Err(failure) => return failure.to_term(env),
        };
        let mut state = CallState::default();
        let st = match start(env, res, name, arguments, options, &mut state) {
            Ok(st) => st,
            Err(failure) => return failure.to_term(env),
        };
        let outcome = drive(env, res, &mut state, FirstStep::Estimated, Some(st));
        respond(env, outcome, Holder::Fresh(instance, res, &mut state))
    })
}

/// `run_start(Instance)`: runs the start function, if it has not run yet.
#[rustler::nif]
fn run_start<'a>(env: Env<'a>, instance: Term<'a>) -> Term<'a> {
    guard(env, || match instance_ref(instance) {
        Ok(res) => run_start_of(env, instance, res),
        Err(failure) => failure.to_term(env),
    })
}

fn run_start_of<'a>(env: Env<'a>, term: Term<'a>, instance: &'a InstanceRes) -> Term<'a> {
    let start = {
        let mut st = match instance.lock_state() {
            Ok(st) => st,
            Err(failure) => return failure.to_term(env),
        };
        st.start.take()
    };
    let Some(func) = start else {
        return (atoms::ok(), Vec::<Term>::new()).encode(env);
    };
    let mut st = match instance.begin_call(env) {
        Ok(st) => st,
        Err(failure) => return failure.to_term(env),
    };
    let started = (|| -> Result<Call, Failure> {
        let mut call = func.start(&mut st.store, &[])?;
        call.set_fuel_limit(st.fuel_limit);
        call.defer_compiles(true);
        Ok(call)
    })();
    let call = match started {
        Ok(call) => call,
        Err(failure) => {
            instance.end_call(&mut st);
            return failure.to_term(env);
        }
    };
    let mut state =
        CallState { call: Some(call), deadline: None, pacer: Pacer::default(), pending: None, after_output: None };
    let outcome = drive(env, instance, &mut state, FirstStep::Estimated, Some(st));
    respond(env, outcome, Holder::Fresh(term, instance, &mut state))
}

/// Checks the arguments, takes the instance, and starts the call in
/// `state` (a fresh one: filled in place, as the call is large). Returns the
/// instance's state still locked, for the first step (one lock for both:
/// most calls end in their first step).
fn start<'i>(
    env: Env,
    res: &'i InstanceRes,
    name: Term,
    args: Term,
    options: Term,
    state: &mut CallState,
) -> Result<MutexGuard<'i, InstanceState>, Failure> {
    let options = CallOptions::decode(options)?;
    let mut st = res.begin_call(env)?;
    let started = (|| -> Result<(), Failure> {
        let func = st.export_func(name)?;
        let args = decode_list(args, func.params(&st.store)?, "argument")?;
        let call = state.call.insert(func.start(&mut st.store, &args)?);
        call.set_fuel_limit(options.fuel_limit.unwrap_or(st.fuel_limit));
        // Functions of lazily compiled modules compile on a dirty
        // scheduler (see `compile_slice`), never on this one.
        call.defer_compiles(true);
        Ok(())
    })();
    match started {
        Ok(()) => {
            state.deadline = options.timeout.map(|t| Instant::now() + t);
            Ok(st)
        }
        Err(failure) => {
            res.end_call(&mut st);
            Err(failure)
        }
    }
}

/// The call a NIF was given, borrowed for the NIF's run (its term keeps it
/// alive meanwhile).
fn call_arg<'a>(term: Term<'a>) -> Result<&'a CallRes, Failure> {
    term.decode().map_err(|_| bad_argument("not a call"))
}

/// `resume(Call, Results)`: the host fun returned `Results`, a list of
/// values, or `{exception, #{tag => Tag, payload => [Value]}}` to throw
/// that exception into the WebAssembly code that called it (see
/// `exception.rs`).
#[rustler::nif]
fn resume<'a>(env: Env<'a>, call: Term<'a>, results: Term<'a>) -> Term<'a> {
    guard(env, || match call_arg(call) {
        Ok(res) => resume_with(env, call, res, results),
        Err(failure) => failure.to_term(env),
    })
}

fn resume_with<'a>(env: Env<'a>, term: Term<'a>, call: &'a CallRes, results: Term<'a>) -> Term<'a> {
    let outcome = {
        let mut state = match call.state.lock() {
            Ok(state) => state,
            Err(_) => return Failure::Internal("the call is unusable after an internal error".into()).to_term(env),
        };
        let Some(import) = state.pending.take() else {
            return bad_argument("the call is not waiting for a host fun").to_term(env);
        };
        let Some(running) = state.call.as_mut() else {
            return bad_argument("the call is over").to_term(env);
        };
        // The answer is decoded under the instance's lock, which the next
        // step then keeps.
        let st = call.instance.lock_state();
        // Values of the wrong types (or count), or an exception the
        // instance cannot throw, are the host fun's fault: `bad_results`,
        // which the wrapper reports as its error.
        let answered = st
            .and_then(|st| {
                match exception::thrown(results) {
                    Some(thrown) => exception::decode(&st, thrown)
                        .and_then(|e| running.resume_with_exception(e).map_err(Failure::from)),
                    None => st
                        .host_results
                        .get(import)
                        .ok_or_else(|| Failure::Internal("the host call's import is gone".into()))
                        .and_then(|types| decode_list(results, types, "result"))
                        .and_then(|values| running.resume_with(Ok(values)).map_err(Failure::from)),
                }
                .map(|()| st)
            })
            .map_err(|failure| match failure {
                Failure::BadArgument(message) => Failure::BadResults(message),
                other => other,
            });
        match answered {
            Ok(st) if state.deadline.is_some_and(|d| Instant::now() >= d) => {
                drop(st);
                finish(&call.instance, &mut state);
                Outcome::Failed(Failure::Timeout)
            }
            Ok(st) => drive(env, &call.instance, &mut state, FirstStep::Estimated, Some(st)),
            Err(failure) => {
                finish(&call.instance, &mut state);
                Outcome::Failed(failure)
            }
        }
    };
    respond(env, outcome, Holder::Kept(term, call))
}

/// `proceed(Call)`: goes on after the wrapper delivered WASI output.
#[rustler::nif]
fn proceed<'a>(env: Env<'a>, term: Term<'a>) -> Term<'a> {
    guard(env, || match call_arg(term) {
        Ok(call) => {
            let outcome = match call.state.lock() {
                Ok(mut state) => match state.after_output.take() {
                    Some(step) => match settle(env, &call.instance, &mut state, step, None) {
                        Settled::Continue => drive(env, &call.instance, &mut state, FirstStep::Estimated, None),
                        Settled::Done(outcome) => outcome,
                    },
                    None => drive(env, &call.instance, &mut state, FirstStep::Estimated, None),
                },
                Err(_) => Outcome::Failed(Failure::Internal("the call is unusable after an internal error".into())),
            };
            respond(env, outcome, Holder::Kept(term, call))
        }
        Err(failure) => failure.to_term(env),
    })
}

/// `wasi_resume(Call, Stdin)`: answers a WASI wait: `Stdin` is bytes read
/// for the program's stdin, `eof`, or `none` (the time waited for has
/// come); the WASI call runs again.
#[rustler::nif]
fn wasi_resume<'a>(env: Env<'a>, term: Term<'a>, stdin: Term<'a>) -> Term<'a> {
    guard(env, || {
        let call = match call_arg(term) {
            Ok(call) => call,
            Err(failure) => return failure.to_term(env),
        };
        let input = if let Ok(bytes) = stdin.decode::<rustler::Binary>() {
            Some(Some(bytes.as_slice().to_vec()))
        } else if stdin.decode::<Atom>().is_ok_and(|a| a == atoms::eof()) {
            Some(None)
        } else if stdin.decode::<Atom>().is_ok_and(|a| a == atoms::none()) {
            None
        } else {
            return bad_argument("stdin must be a binary, eof or none").to_term(env);
        };
        let outcome = match call.state.lock() {
            Ok(mut state) => {
                let fed = call.instance.lock_state().and_then(|st| {
                    let wasi = st.wasi.as_ref().ok_or_else(|| bad_argument("the instance has no WASI"))?;
                    match &input {
                        Some(Some(bytes)) => wasi.wasi.feed_stdin(bytes),
                        Some(None) => wasi.wasi.end_stdin(),
                        None => {}
                    }
                    Ok(())
                });
                let resumed = fed.and_then(|()| {
                    let running = state.call.as_mut().ok_or_else(|| bad_argument("the call is over"))?;
                    running.resume_again().map_err(Failure::from)
                });
                match resumed {
                    Ok(()) => drive(env, &call.instance, &mut state, FirstStep::Estimated, None),
                    Err(failure) => Outcome::Failed(failure),
                }
            }
            Err(_) => Outcome::Failed(Failure::Internal("the call is unusable after an internal error".into())),
        };
        respond(env, outcome, Holder::Kept(term, call))
    })
}

/// `wasi_captured(Instance)` → `{ok, #{stdout => Bytes, stderr => Bytes}}`:
/// what the instance's WASI program wrote to captured stdio (taken out).
#[rustler::nif]
fn wasi_captured<'a>(env: Env<'a>, instance: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = instance_ref(instance).and_then(|instance| {
            let st = instance.lock_state()?;
            let wasi = st.wasi.as_ref().ok_or_else(|| bad_argument("the instance has no WASI"))?;
            let (out, err) = (wasi.wasi.take_stdout(), wasi.wasi.take_stderr());
            let binary = |bytes: &[u8]| {
                let mut b = rustler::NewBinary::new(env, bytes.len());
                b.as_mut_slice().copy_from_slice(bytes);
                rustler::Binary::from(b).encode(env)
            };
            let mut pairs =
                vec![(atoms::stdout().encode(env), binary(&out)), (atoms::stderr().encode(env), binary(&err))];
            if let Some(fs) = &wasi.files {
                pairs.push((atoms::files().encode(env), crate::wasi::encode_files(env, fs)?));
            }
            Term::map_from_pairs(env, &pairs).map_err(|_| Failure::Internal("cannot build a map".into()))
        });
        ok_or_error(env, result)
    })
}

/// `abort(Call)`: abandons a call waiting for a host fun (the fun raised).
#[rustler::nif]
fn abort<'a>(env: Env<'a>, call: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = call_arg(call).map(|call| {
            if let Ok(mut state) = call.state.lock() {
                finish(&call.instance, &mut state);
            }
        });
        ok_or_error_unit(env, result)
    })
}

/// `call_memory(Call)` → `{ok, Bytes}`: what a stopped call holds outside
/// the process heap (the resource and the runtime's call with its saved
/// frames).
#[rustler::nif]
fn call_memory<'a>(env: Env<'a>, call: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = call_arg(call).map(|call| {
            let runtime =
                call.state.lock().ok().and_then(|state| state.call.as_ref().map(Call::memory_size)).unwrap_or(0);
            (std::mem::size_of::<CallRes>() + runtime).encode(env)
        });
        ok_or_error(env, result)
    })
}

/// The next slice of a call, after a reschedule.
unsafe extern "C" fn call_slice(env: *mut ErlNifEnv, argc: c_int, argv: *const ERL_NIF_TERM) -> ERL_NIF_TERM {
    // SAFETY: the VM calls this as a NIF (scheduled by `respond`).
    unsafe {
        raw::run(env, argc, argv, |env, args| {
            let Some((term, Ok(call))) = args.first().map(|t| (*t, t.decode::<&CallRes>())) else {
                return Failure::Internal("call_slice: not a call".into()).to_term(env);
            };
            let outcome = match call.state.lock() {
                Ok(mut state) => drive(env, &call.instance, &mut state, FirstStep::Measured, None),
                Err(_) => Outcome::Failed(Failure::Internal("the call is unusable after an internal error".into())),
            };
            respond(env, outcome, Holder::Kept(term, call))
        })
    }
}

// On a dirty CPU scheduler: compiles the function the call waits for (see
// `Call::defer_compiles`), then goes on with the call on a normal
// scheduler. The process stays killable meanwhile: the VM drops the result
// of a dirty NIF whose process died, and the call resource with it.
raw::continuation!(compile_slice, "compile_slice", |env, [call]| match call.decode::<ResourceArc<CallRes>>() {
    Ok(res) => {
        let pending = match res.state.lock() {
            Ok(state) => state.call.as_ref().and_then(Call::pending_compile),
            Err(_) => return Failure::Internal("the call is unusable after an internal error".into()).to_term(env),
        };
        let compiled = pending.map_or(Ok(()), |pending| pending.compile());
        match compiled {
            Ok(()) => raw::schedule(env, c"wasmbeam_call", SchedulerFlags::Normal, call_slice, &[call]),
            Err(e) => {
                if let Ok(mut state) = res.state.lock() {
                    finish(&res.instance, &mut state);
                }
                Failure::from(e).to_term(env)
            }
        }
    }
    Err(_) => Failure::Internal("compile_slice: not a call".into()).to_term(env),
});

/// The call's state, in a resource already or not yet. Either way borrowed
/// for one NIF invocation: the terms the NIF was given keep the resources
/// alive, and a reference is taken only when a call first outlives the
/// invocation.
enum Holder<'a, 's> {
    /// Not in a resource yet: the instance's term, the instance, the state.
    Fresh(Term<'a>, &'a InstanceRes, &'s mut CallState),
    /// In a resource: its term, and the resource.
    Kept(Term<'a>, &'a CallRes),
}

impl<'a> Holder<'a, '_> {
    /// The term of the call's resource, for the Erlang side to go on with
    /// it. `Err`: the error term (the call is then over).
    fn keep(self, env: Env<'a>) -> Result<Term<'a>, Term<'a>> {
        match self {
            Holder::Kept(term, _) => Ok(term),
            Holder::Fresh(term, instance, state) => match term.decode::<ResourceArc<InstanceRes>>() {
                Ok(arc) => {
                    let call = ResourceArc::new(CallRes {
                        instance: arc,
                        state: Mutex::new(std::mem::take(state)),
                        _live: Live::new(&stats::CALLS),
                    });
                    Ok(call.encode(env))
                }
                Err(_) => {
                    // The term was decoded as this instance at the start.
                    finish(instance, state);
                    Err(Failure::Internal("the instance term no longer decodes".into()).to_term(env))
                }
            },
        }
    }

    fn instance(&self) -> &InstanceRes {
        match self {
            Holder::Kept(_, call) => &call.instance,
            Holder::Fresh(_, instance, _) => instance,
        }
    }
}

/// The term for `outcome`. The Erlang wrapper knows the instance: host
/// calls and output do not name it.
fn respond<'a>(env: Env<'a>, outcome: Outcome<'a>, holder: Holder<'a, '_>) -> Term<'a> {
    match outcome {
        Outcome::Finished(values) => (atoms::ok(), encode_list(env, &values)).encode(env),
        Outcome::Failed(failure) => failure.to_term(env),
        Outcome::HostCall { fun, args } => match holder.keep(env) {
            Ok(call) => (atoms::host_call(), call, fun, encode_list(env, &args)).encode(env),
            Err(error) => error,
        },
        Outcome::Compile => match holder.keep(env) {
            Ok(call) => {
                raw::schedule(env, c"wasmbeam_compile_function", SchedulerFlags::DirtyCpu, compile_slice, &[call])
            }
            Err(error) => error,
        },
        Outcome::Reschedule => match holder.keep(env) {
            Ok(call) => {
                stats::RESCHEDULES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                raw::schedule(env, c"wasmbeam_call", SchedulerFlags::Normal, call_slice, &[call])
            }
            Err(error) => error,
        },
        Outcome::Output(chunks) => {
            let routes = holder
                .instance()
                .lock_state()
                .ok()
                .and_then(|st| st.wasi.as_ref().map(|w| (w.route(Stream::Stdout), w.route(Stream::Stderr))));
            let chunks = encode_output(env, &chunks, routes);
            match holder.keep(env) {
                Ok(call) => (atoms::wasi_output(), call, chunks).encode(env),
                Err(error) => error,
            }
        }
        Outcome::Wait(wait) => {
            let wait = match wait {
                Wait::Stdin => atoms::stdin().encode(env),
                Wait::Poll { stdin, .. } => {
                    let timeout = match wait.timeout() {
                        // Milliseconds, rounded up: the wait ends after the deadline.
                        Some(t) => t.as_nanos().div_ceil(1_000_000).min(u32::MAX as u128).encode(env),
                        None => atoms::infinity().encode(env),
                    };
                    (atoms::poll(), timeout, stdin).encode(env)
                }
            };
            match holder.keep(env) {
                Ok(call) => (atoms::wasi_wait(), call, wait).encode(env),
                Err(error) => error,
            }
        }
    }
}

/// How a NIF invocation times its first step.
#[derive(Debug, Clone, Copy)]
enum FirstStep {
    /// From the fuel it used, by the pacer's estimate: a call that returns
    /// or calls a host fun within its first step (most calls) reads no
    /// clock. Used where a call starts or comes back from a host fun.
    Estimated,
    /// By the clocks: a slice after a reschedule belongs to a long call, for
    /// which the clock reads cost nothing, so every step of a long call is
    /// timed and teaches the pacer (an estimate would take a step that the
    /// OS or the host stretched for the usual 200 us).
    Measured,
}

/// Runs steps until the call ends, calls a host fun, or the timeslice is
/// spent. Reports the time used to the VM.
///
/// After the first step (see [`FirstStep`]) the clock is read once a step
/// has used its whole grant: a step that ends the call or calls a host fun
/// took less than the pacer's target by construction.
///
/// `held`: the instance's state, if the caller has it locked already (the
/// first step runs under that lock).
fn drive<'a>(
    env: Env<'a>,
    instance: &InstanceRes,
    state: &mut CallState,
    first: FirstStep,
    mut held: Option<MutexGuard<'_, InstanceState>>,
) -> Outcome<'a> {
    // Set once a step is timed: when the next step began, and the thread's
    // CPU time when the first timed one did.
    let (mut clock, mut cpu_began) = match first {
        FirstStep::Estimated => (None, Duration::ZERO),
        FirstStep::Measured => (Some(Instant::now()), stats::thread_cpu_time()),
    };
    let mut spent = Duration::ZERO;
    let outcome = loop {
        let Some(call) = state.call.as_mut() else {
            break Outcome::Failed(bad_argument("the call is over"));
        };
        let fuel = state.pacer.fuel();
        let locked = match held.take() {
            Some(st) => Ok(st),
            None => instance.lock_state(),
        };
        // A host call's fun is looked up under the step's lock, and a call
        // that ended gives the instance back under it (`finish` then has
        // nothing left to release).
        let stepped = locked.map(|mut st| {
            let before = call.fuel_consumed();
            let step = call.step(&mut st.store, fuel).map_err(|e| exception::failure(&st, e));
            let output = st.wasi.as_ref().filter(|w| w.has_output()).map(WasiSetup::take_output);
            let host = match &step {
                Ok(Step::HostCall { func, .. }) if output.is_none() => Some(host_fun_of(env, &st, *func)),
                _ => None,
            };
            let over = output.is_none() && matches!(step, Ok(Step::Finished(_)) | Err(_));
            if over {
                instance.end_call(&mut st);
            }
            (step, call.fuel_consumed() - before, output, host, over)
        });
        let (step, used, output, host) = match stepped {
            Ok((step, used, output, host, over)) => {
                if over {
                    state.call = None;
                }
                (step, used, output, host)
            }
            Err(failure) => (Err(failure), 0, None, None),
        };
        let elapsed = match clock {
            Some(began) => {
                let now = Instant::now();
                clock = Some(now);
                now - began
            }
            None => state.pacer.estimate(used),
        };
        spent += elapsed;
        if let Ok(Step::Yielded) = step {
            if state.call.as_ref().is_some_and(Call::waits_for_compile) {
                break Outcome::Compile;
            }
            if clock.is_some() {
                state.pacer.observe(used, elapsed);
            } else {
                clock = Some(Instant::now());
                cpu_began = stats::thread_cpu_time().saturating_sub(elapsed);
            }
            if state.deadline.is_some_and(|d| clock.is_some_and(|now| now >= d)) {
                finish(instance, state);
                break Outcome::Failed(Failure::Timeout);
            }
            if let Some(chunks) = output {
                break Outcome::Output(chunks);
            }
            let exhausted = rustler::schedule::consume_timeslice(env, timeslice_percent(elapsed));
            if exhausted || !room_for_another_step(spent) {
                break Outcome::Reschedule;
            }
            continue;
        }
        if let Some(chunks) = output {
            // The output comes first; the step's end waits for the wrapper.
            state.after_output = Some(step);
            break Outcome::Output(chunks);
        }
        match settle(env, instance, state, step, host) {
            Settled::Continue => {}
            Settled::Done(outcome) => break outcome,
        }
    };
    let cpu = if clock.is_some() { stats::thread_cpu_time().saturating_sub(cpu_began) } else { spent };
    stats::record_slice(spent, cpu);
    if !matches!(outcome, Outcome::Reschedule) && spent >= Duration::from_micros(10) {
        rustler::schedule::consume_timeslice(env, timeslice_percent(spent));
    }
    outcome
}

/// The Erlang fun a host call of `func` goes to, copied into `env`, with
/// its result types; or the wait of a WASI call.
type HostFun<'a> = Result<Result<(Term<'a>, usize), Wait>, Failure>;

fn host_fun_of<'a>(env: Env<'a>, st: &InstanceState, func: wasmbeam_runtime::Func) -> HostFun<'a> {
    match st.host_fun(env, func) {
        Some((fun, import)) => Ok(Ok((fun, import))),
        None => match st.wasi.as_ref().and_then(|w| w.wasi.take_wait()) {
            Some(wait) => Ok(Err(wait)),
            None => Err(Failure::Internal("a host call to a function the instance did not import".into())),
        },
    }
}

/// What a step that did not yield comes to: the call's end, a host call
/// to an Erlang fun, or a WASI wait. `host`: the host call's fun, if the
/// caller looked it up already.
fn settle<'a>(
    env: Env<'a>,
    instance: &InstanceRes,
    state: &mut CallState,
    step: Result<Step, Failure>,
    host: Option<HostFun<'a>>,
) -> Settled<'a> {
    match step {
        Ok(Step::Yielded) => Settled::Continue,
        Ok(Step::Finished(values)) => {
            finish(instance, state);
            Settled::Done(Outcome::Finished(values))
        }
        Ok(Step::HostCall { func, args }) => {
            let host = match host {
                Some(host) => host,
                None => instance.lock_state().and_then(|st| host_fun_of(env, &st, func)),
            };
            match host {
                Ok(Ok((fun, import))) => {
                    state.pending = Some(import);
                    Settled::Done(Outcome::HostCall { fun, args })
                }
                Ok(Err(wait)) => Settled::Done(Outcome::Wait(wait)),
                Err(failure) => {
                    finish(instance, state);
                    Settled::Done(Outcome::Failed(failure))
                }
            }
        }
        Err(failure) => {
            finish(instance, state);
            Settled::Done(Outcome::Failed(failure))
        }
    }
}

/// Ends the call (if not over yet) and frees the instance.
fn finish(instance: &InstanceRes, state: &mut CallState) {
    state.pending = None;
    state.after_output = None;
    // Dropped in place (`take` would copy the large `Call` out first).
    if state.call.is_some() {
        state.call = None;
        instance.release();
    }
}

/// Options of one call.
#[derive(Debug, Default)]
struct CallOptions {
    /// `Some(None)`: unlimited, overriding the instance's default.
    fuel_limit: Option<Option<u64>>,
    timeout: Option<Duration>,
}

impl CallOptions {
    fn decode(term: Term) -> Result<CallOptions, Failure> {
        let mut options = CallOptions::default();
        if term.map_size().is_ok_and(|n| n == 0) {
            return Ok(options);
        }
        let iter = MapIterator::new(term).ok_or_else(|| bad_argument("the options must be a map"))?;
        for (key_term, value) in iter {
            let key: Atom = key_term.decode().map_err(|_| bad_argument("option names are atoms"))?;
            if key == atoms::fuel_limit() {
                options.fuel_limit = Some(fuel_limit(value)?);
            } else if key == atoms::timeout() {
                if value.decode::<Atom>().is_ok_and(|a| a == atoms::infinity()) {
                    options.timeout = None;
                } else {
                    let ms: u64 =
                        value.decode().map_err(|_| bad_argument("timeout must be milliseconds or infinity"))?;
                    options.timeout = Some(Duration::from_millis(ms));
                }
            } else {
                return Err(bad_argument(format!(
                    "unknown call option `{}`",
                    key_term.atom_to_string().unwrap_or_default()
                )));
            }
        }
        Ok(options)
    }
}
