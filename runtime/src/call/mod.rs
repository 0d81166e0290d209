//! Calls from Rust into WebAssembly: [`Call`], a call run in slices that
//! can suspend, resume (on any thread) and be saved as bytes, and
//! [`Func::call`], which runs one to completion.
//!
//! A step is one *activation* (`activation.rs`): the entry trampoline is
//! called, in state RUNNING for the first step and REWINDING for the
//! others, and returns when the call finished (RUNNING), trapped
//! (TRAPPING), or suspended (UNWINDING: every frame saved its record in the
//! call's continuation buffer, `continuation.rs`). Fuel is accounted in
//! `fuel.rs`, suspending host functions in `host_call.rs`, records read in
//! `records.rs` and saved as bytes in `serialize.rs`.
//!
//! Aliasing: while compiled code runs, the store is reached only through
//! `ExecCtx::embedder` (see `activation.rs`); the call's own state that the
//! builtins need (fuel, buffer, host answer) is moved into the store's
//! activation stack for the step and moved back after it.

pub(crate) mod activation;
pub(crate) mod continuation;
pub(crate) mod fuel;
pub(crate) mod host_call;
pub(crate) mod lazy;
pub(crate) mod records;
pub(crate) mod redirect;
mod serialize;
mod thread_stack;

#[cfg(test)]
mod fault_tests;

pub(crate) use activation::{raise, raise_code, store_of};

use crate::error::{Error, Trap};
use crate::func::Func;
use crate::host::{cannot_suspend, check_results, invoke, Invoked};
use crate::store::Store;
use crate::values::Val;
use crate::values::{raw_words, raw_words_into, vals_from_raw};
use activation::{enter, Activation, Exit, HostAnswer, RawAnswer, SuspendReason};
use continuation::ContBuffer;
use fuel::FuelMeter;
use std::sync::Arc;
use wasmbeam_jit::vm::{TrapCode, MAX_FUEL_GRANT, STATE_RUNNING, STATE_TRAPPING, STATE_UNWINDING};
use wasmbeam_jit::FuncType;

/// The largest continuation buffer a store keeps for reuse.
const SPARE_BUFFER_MAX_BYTES: usize = 64 * 1024;
/// The largest value array a store keeps for reuse.
const SPARE_VALUES_MAX_WORDS: usize = 256;

/// The value array of `words` words for an activation called with `args`
/// (of the function's parameter types, checked): the store's spare one if
/// it has it (no allocation), with the arguments' raw words and room for
/// the results.
fn value_array(store: &mut Store, words: usize, args: &[Val]) -> Result<Vec<u64>, Error> {
    let mut values = std::mem::take(&mut store.spare_values);
    values.clear();
    values.reserve(words);
    raw_words_into(store, args, &mut values)?;
    values.resize(words, 0);
    Ok(values)
}

/// Gives a finished activation's value array back to the store.
fn recycle_values(store: &mut Store, values: Vec<u64>) {
    if values.capacity() <= SPARE_VALUES_MAX_WORDS {
        store.spare_values = values;
    }
}

/// What [`Call::step`] stopped at.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The call returned.
    Finished(Vec<Val>),
    /// The fuel given to `step` is spent; call `step` again to go on.
    Yielded,
    /// The call is suspended in a suspending host function: answer with
    /// [`Call::resume_with`] (or drop the `Call` to abandon it), then `step`
    /// again.
    HostCall { func: Func, args: Vec<Val> },
}

/// A started call that can be run in slices, suspended in host functions,
/// moved to another thread, and saved as bytes. Owns its continuation
/// buffer (the saved frames, only allocated once it suspends). `Send`.
///
/// While it is suspended, the store is free: the embedder may read and
/// write memories, globals and tables, and call into the same instances
/// (with [`Func::call`] or other `Call`s). Dropping a suspended call
/// abandons it.
pub struct Call {
    store_id: u64,
    func: Func,
    /// Words of the function's value array (see `value_array`).
    words: usize,
    phase: Phase,
    buffer: ContBuffer,
    fuel_limit: Option<u64>,
    fuel_consumed: u64,
    /// False for plain [`Func::call`]s: suspending host functions trap, and
    /// fuel is unlimited.
    suspendable: bool,
    /// Read from bytes ([`Call::from_bytes`]) and not resumed yet: saved
    /// frames that turn out not to match the code are the bytes' fault, not
    /// a bug.
    restored: bool,
    /// Calls of functions not compiled yet suspend instead of compiling.
    defer_compiles: bool,
    /// The function the call suspended for, when it did (see
    /// [`Call::defer_compiles`]).
    pending_compile: Option<PendingCompile>,
    /// The type of the last host function the call was suspended in, kept
    /// when its host call was answered: a call that suspends in the same
    /// function again (a loop calling an import) takes it back instead of
    /// cloning the `Arc` (a locked instruction to take, another to drop).
    host_ty: Option<Arc<FuncType>>,
    /// While the call holds saved frames (which may hold `exnref`s): a
    /// clone of the store's token, which keeps it from freeing exception
    /// objects (see `exception.rs`). Dropped with the call.
    frames_token: Option<Arc<()>>,
}

/// A function of a lazily compiled module that a suspended call needs:
/// compile it ([`PendingCompile::compile`], on any thread), then step the
/// call again. `Send + Sync`, cheap to clone.
#[derive(Debug, Clone)]
pub struct PendingCompile {
    module: crate::module::Module,
    defined: u32,
}

impl PendingCompile {
    /// Compiles the function (and the functions that must come with it), if
    /// no one has yet. Compiles take long: the BEAM binding runs this on a
    /// dirty scheduler. Errors are those of [`crate::Module::new`].
    pub fn compile(&self) -> Result<(), Error> {
        self.module.compile_function(self.defined)
    }

    /// The module the function belongs to.
    pub fn module(&self) -> &crate::module::Module {
        &self.module
    }

    /// The function: its index among the module's own (defined) functions.
    pub fn function(&self) -> u32 {
        self.defined
    }
}

/// How the embedder answered a pending host call.
enum Answer {
    /// With results of the function's result types.
    Results(Vec<Val>),
    /// With a trap to raise in the caller.
    Trap(Trap),
    /// By having the function run again ([`Call::resume_again`]).
    Again,
    /// With an exception to throw in the caller ([`Call::resume_with_exception`]).
    Throw(crate::exception::Exception),
}

/// Where a call is.
enum Phase {
    /// Started; nothing has run. Holds the (checked) arguments.
    Ready(Arguments),
    /// Suspended at a fuel check.
    Yielded,
    /// Suspended in a suspending host function.
    HostCall(PendingHostCall),
    /// Finished, trapped, or failed: nothing more to do.
    Done,
}

/// The arguments of a call that has not run yet.
enum Arguments {
    /// Of a WebAssembly function: its value array, ready to run (the raw
    /// words made once, when the call started).
    Raw(Vec<u64>),
    /// Of a host function.
    Vals(Vec<Val>),
}

struct PendingHostCall {
    func: Func,
    args: Vec<Val>,
    /// The function's type, to check the answer.
    ty: Arc<FuncType>,
    answer: Option<Answer>,
    /// The function may suspend (rather than always): it can be asked to
    /// run again ([`Call::resume_again`]).
    may_run_again: bool,
    /// The called function is this host function itself: no frames saved.
    direct: bool,
}

impl Call {
    /// A call of `func` with `args` (checked now); `suspendable: false` for
    /// a plain `Func::call`.
    pub(crate) fn new(store: &mut Store, func: Func, args: &[Val], suspendable: bool) -> Result<Call, Error> {
        let data = store.func(func)?;
        let (words, host) = (data.words, data.host.is_some());
        check_args(store, &data.ty, args)?;
        let arguments = if host {
            for arg in args {
                arg.to_raw(store)?;
            }
            Arguments::Vals(args.to_vec())
        } else {
            Arguments::Raw(value_array(store, words, args)?)
        };
        Ok(Call {
            store_id: store.id(),
            func,
            words,
            phase: Phase::Ready(arguments),
            buffer: if suspendable { store.spare_buffer.take().unwrap_or_default() } else { ContBuffer::new() },
            fuel_limit: None,
            fuel_consumed: 0,
            suspendable,
            restored: false,
            defer_compiles: false,
            pending_compile: None,
            host_ty: None,
            frames_token: None,
        })
    }

    /// Whether a call that reaches a function of a lazily compiled module
    /// that is not compiled yet suspends (`true`), for the embedder to
    /// compile it elsewhere, rather than compiling it at once inside
    /// [`Call::step`] (`false`, the default). Suspended so, `step` returns
    /// [`Step::Yielded`] with [`Call::pending_compile`] set; stepping again
    /// compiles the function first if no one did.
    pub fn defer_compiles(&mut self, defer: bool) {
        self.defer_compiles = defer;
    }

    /// The function the call waits for, if it suspended to have one
    /// compiled (see [`Call::defer_compiles`]).
    pub fn pending_compile(&self) -> Option<PendingCompile> {
        self.pending_compile.clone()
    }

    /// Whether the call suspended to have a function compiled (as
    /// [`Call::pending_compile`], without the clone).
    pub fn waits_for_compile(&self) -> bool {
        self.pending_compile.is_some()
    }

    /// Runs until finished, trapped (`Err(Error::Trap)`), `fuel` units spent
    /// ([`Step::Yielded`]), or a suspending host function is called
    /// ([`Step::HostCall`]). `fuel` is the slice; `u64::MAX` is unlimited.
    /// May run on any thread. A step may overrun its slice by the static
    /// cost of the last function entry or loop iteration it started (that
    /// fuel is counted in [`Call::fuel_consumed`]).
    ///
    /// With an engine built without [`crate::Config::reductions`] the call
    /// runs to completion whatever the slice, and a fuel limit is refused
    /// ([`Error::BadArgument`]), as it could not be enforced.
    ///
    /// Errors: [`Error::Trap`] (the call is over), [`Error::BadArgument`]
    /// for a store other than the call's, a call that is over, or a host
    /// call not yet answered (the call is unchanged).
    pub fn step(&mut self, store: &mut Store, fuel: u64) -> Result<Step, Error> {
        if store.id() != self.store_id {
            return Err(Error::BadArgument("the call belongs to another store".into()));
        }
        if self.fuel_limit.is_some() && !store.engine().config().reductions {
            return Err(Error::BadArgument("a fuel limit needs an engine with reductions (Config::reductions)".into()));
        }
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Done => Err(Error::BadArgument("the call is over (it finished or trapped)".into())),
            Phase::Ready(Arguments::Raw(values)) => self.run(store, fuel, Some(values), None),
            Phase::Ready(Arguments::Vals(args)) => self.begin(store, args),
            Phase::Yielded => {
                if let Some(pending) = self.pending_compile.take() {
                    if let Err(e) = lazy::compile_on_own_stack(&pending.module, pending.defined) {
                        self.phase = Phase::Done;
                        return Err(e);
                    }
                }
                self.run(store, fuel, None, None)
            }
            Phase::HostCall(mut pending) => {
                let Some(answer) = pending.answer.take() else {
                    self.phase = Phase::HostCall(pending);
                    return Err(Error::BadArgument(
                        "the call is waiting for the result of a host call: answer with Call::resume_with".into(),
                    ));
                };
                if pending.direct {
                    return match answer {
                        Answer::Results(values) => Ok(Step::Finished(values)),
                        Answer::Trap(trap) => Err(Error::Trap(trap)),
                        Answer::Throw(exception) => Err(Error::Exception(exception)),
                        Answer::Again => self.begin(store, pending.args),
                    };
                }
                let answer = match answer {
                    Answer::Results(values) => {
                        let checked = check_results(&pending.ty, &values, Some(store)).map_err(Error::BadArgument);
                        match checked.and_then(|()| raw_words(store, &values)) {
                            Ok(raw) => RawAnswer::Results(raw),
                            Err(e) => {
                                pending.answer = Some(Answer::Results(values));
                                self.phase = Phase::HostCall(pending);
                                return Err(e);
                            }
                        }
                    }
                    Answer::Trap(trap) => RawAnswer::Trap(trap),
                    Answer::Throw(exception) => RawAnswer::Throw(exception),
                    Answer::Again => RawAnswer::Again(pending.args),
                };
                self.host_ty = Some(pending.ty);
                self.run(store, fuel, None, Some(HostAnswer { func: pending.func, answer }))
            }
        }
    }

    /// Supplies the result of the pending host call: values of its result
    /// types, or a trap to raise in the caller when the call resumes.
    /// Errors ([`Error::BadArgument`]): no host call pending, already
    /// answered, or results of the wrong types.
    pub fn resume_with(&mut self, results: Result<Vec<Val>, Trap>) -> Result<(), Error> {
        let Phase::HostCall(pending) = &mut self.phase else {
            return Err(Error::BadArgument("no host call is pending".into()));
        };
        if pending.answer.is_some() {
            return Err(Error::BadArgument("the pending host call was already answered".into()));
        }
        if let Ok(values) = &results {
            // Functions' concrete types are checked when the call resumes.
            check_results(&pending.ty, values, None).map_err(Error::BadArgument)?;
            if values.iter().any(|v| matches!(v, Val::FuncRef(Some(f)) if f.0.store != self.store_id)) {
                return Err(Error::BadArgument("a result is a function of another store".into()));
            }
        }
        pending.answer = Some(match results {
            Ok(values) => Answer::Results(values),
            Err(trap) => Answer::Trap(trap),
        });
        Ok(())
    }

    /// Answers the pending host call with an exception: when the call
    /// resumes, the host function throws it into the WebAssembly code that
    /// called it (where a `try_table` may catch it). Errors
    /// ([`Error::BadArgument`]): no host call pending, already answered,
    /// a tag or payload of another store.
    pub fn resume_with_exception(&mut self, exception: crate::exception::Exception) -> Result<(), Error> {
        let Phase::HostCall(pending) = &mut self.phase else {
            return Err(Error::BadArgument("no host call is pending".into()));
        };
        if pending.answer.is_some() {
            return Err(Error::BadArgument("the pending host call was already answered".into()));
        }
        if exception.tag.0.store != self.store_id {
            return Err(Error::BadArgument("the exception's tag belongs to another store".into()));
        }
        pending.answer = Some(Answer::Throw(exception));
        Ok(())
    }

    /// Answers the pending host call by having the host function run again
    /// when the call resumes, with the same arguments: for a function made
    /// with [`Func::new_may_suspend`] that suspended because it would have
    /// waited, once the embedder has made what it waited for happen (data
    /// to read, time passed). It may suspend again. Errors
    /// ([`Error::BadArgument`]): no host call pending, already answered, or
    /// the function always suspends ([`Func::new_suspending`]).
    pub fn resume_again(&mut self) -> Result<(), Error> {
        let Phase::HostCall(pending) = &mut self.phase else {
            return Err(Error::BadArgument("no host call is pending".into()));
        };
        if pending.answer.is_some() {
            return Err(Error::BadArgument("the pending host call was already answered".into()));
        }
        if !pending.may_run_again {
            return Err(Error::BadArgument(
                "the pending host call always suspends: answer it with Call::resume_with".into(),
            ));
        }
        pending.answer = Some(Answer::Again);
        Ok(())
    }

    /// Total fuel the call may use over all its steps; exceeding it traps
    /// with [`TrapCode::OutOfFuel`] ("all fuel consumed"). `None` (the
    /// default): unlimited.
    pub fn set_fuel_limit(&mut self, total: Option<u64>) {
        self.fuel_limit = total;
    }

    /// Fuel used by all steps so far.
    pub fn fuel_consumed(&self) -> u64 {
        self.fuel_consumed
    }

    /// Bytes of the continuation (the saved frames) while suspended; 0
    /// otherwise.
    pub fn continuation_size(&self) -> usize {
        match self.phase {
            Phase::Yielded | Phase::HostCall(_) => self.buffer.used(),
            _ => 0,
        }
    }

    /// Bytes of memory the call holds: the `Call` itself, its continuation
    /// buffer (allocated, not only used), and the arguments of a pending
    /// host call. What keeping a suspended call costs.
    pub fn memory_size(&self) -> usize {
        let pending = match &self.phase {
            Phase::HostCall(p) => p.args.capacity() * std::mem::size_of::<Val>(),
            Phase::Ready(Arguments::Vals(args)) => args.capacity() * std::mem::size_of::<Val>(),
            Phase::Ready(Arguments::Raw(values)) => values.capacity() * std::mem::size_of::<u64>(),
            _ => 0,
        };
        std::mem::size_of::<Call>() + self.buffer.allocated() + pending
    }

    /// The first step of a call of a host function: it runs (or suspends)
    /// at once.
    fn begin(&mut self, store: &mut Store, args: Vec<Val>) -> Result<Step, Error> {
        let host = store.func(self.func)?.host.as_ref().map(|h| h.func.clone());
        let Some(host) = host else {
            return Err(Error::internal("a call of a WebAssembly function started as a host function's"));
        };
        match invoke(store, &host, None, &args)? {
            Invoked::Returned(results) => Ok(Step::Finished(results)),
            Invoked::Suspend if !self.suspendable => {
                Err(Error::Trap(cannot_suspend("Func::call; use Func::start and Call::step")))
            }
            Invoked::Suspend => {
                let pending = PendingHostCall {
                    func: self.func,
                    args: args.clone(),
                    ty: store.func(self.func)?.ty.clone(),
                    answer: None,
                    may_run_again: !host.is_suspending(),
                    direct: true,
                };
                self.phase = Phase::HostCall(pending);
                Ok(Step::HostCall { func: self.func, args })
            }
        }
    }

    /// Runs one activation of the call's WebAssembly function: entered with
    /// `args` (raw), or resumed from the saved frames (`args: None`), with
    /// `answer` for the host function the call is suspended in.
    fn run(
        &mut self,
        store: &mut Store,
        slice: u64,
        args: Option<Vec<u64>>,
        answer: Option<HostAnswer>,
    ) -> Result<Step, Error> {
        let rewind = args.is_none();
        // Resuming, the array carries only the results out: the store's
        // spare one serves (given back below whatever the outcome).
        let mut values = args.unwrap_or_else(|| {
            let mut spare = std::mem::take(&mut store.spare_values);
            spare.clear();
            spare
        });
        values.resize(self.words, 0);
        let can_suspend = self.suspendable && store.engine().config().reductions;
        if rewind && !can_suspend {
            // Only a continuation read into a store of another engine.
            return Err(self.broken("saved frames cannot be resumed by code compiled without reductions"));
        }
        let activation = if can_suspend {
            // The store keeps the box of the last activation: no allocation.
            let mut suspension = store.spare_suspension.take().unwrap_or_default();
            suspension.buffer = std::mem::take(&mut self.buffer);
            suspension.reason = None;
            suspension.answer = answer;
            suspension.defer_compiles = self.defer_compiles;
            Activation::new(FuelMeter::new(slice, self.fuel_limit, self.fuel_consumed), Some(suspension))
        } else {
            Activation::new(FuelMeter::unlimited(), None)
        };
        let consumed_before = self.fuel_consumed;
        let Exit { fuel_total, suspension, state, failure } =
            run_activation(store, self.func, &mut values, activation, rewind)?;
        if can_suspend {
            self.fuel_consumed = fuel_total;
        }
        let spent = self.fuel_consumed.saturating_sub(consumed_before);
        if state != STATE_TRAPPING {
            // Every frame read from bytes was resumed: the frames saved from
            // now on are the runtime's own.
            self.restored = false;
        }
        let reason = suspension.and_then(|mut s| {
            self.buffer = std::mem::take(&mut s.buffer);
            let reason = s.reason.take();
            s.answer = None;
            store.spare_suspension = Some(s);
            reason
        });
        if self.buffer.used() == 0 {
            self.frames_token = None;
        } else if self.frames_token.is_none() {
            // Kept from step to step while frames stay saved (the store's
            // token does not change: the call is bound to its store).
            self.frames_token = Some(store.exceptions.frames_token.clone());
        }
        match state {
            STATE_RUNNING if self.buffer.used() == 0 => {
                self.recycle_buffer(store);
                let results = results_of(store, self.func, &values)?;
                recycle_values(store, values);
                Ok(Step::Finished(results))
            }
            STATE_TRAPPING => {
                recycle_values(store, values);
                self.recycle_buffer(store);
                Err(match failure {
                    Some(stop) => (*stop).into_error(self.restored),
                    None => Error::internal("an activation trapped without saying why"),
                })
            }
            STATE_UNWINDING => {
                recycle_values(store, values);
                self.unwound(store, slice, spent, reason)
            }
            STATE_RUNNING => Err(self.broken("the call returned with saved frames left over")),
            _ => Err(self.broken("the call returned while still resuming")),
        }
    }

    /// The end of a step that unwound: the call yielded (its slice or the
    /// largest fuel grant ran out; or it waits for a compile), ran out of
    /// its total fuel, or called a suspending host function.
    fn unwound(
        &mut self,
        store: &mut Store,
        slice: u64,
        spent: u64,
        reason: Option<SuspendReason>,
    ) -> Result<Step, Error> {
        match reason {
            // The fuel ran out: the slice, or the call's total.
            None if self.fuel_limit.is_some_and(|limit| self.fuel_consumed > limit) => {
                self.buffer.clear();
                self.phase = Phase::Done;
                Err(Error::Trap(Trap::new(TrapCode::OutOfFuel)))
            }
            None => {
                self.check_saved_frames(store, false)?;
                self.phase = Phase::Yielded;
                if spent >= MAX_FUEL_GRANT as u64 && (slice == u64::MAX || spent < slice) {
                    // Only the largest grant (`MAX_FUEL_GRANT`) ran
                    // out, not the slice: go on. Each level of this
                    // recursion takes 2^62 units of fuel first.
                    let rest = if slice == u64::MAX { u64::MAX } else { slice - spent };
                    self.phase = Phase::Done;
                    return self.run(store, rest, None, None);
                }
                Ok(Step::Yielded)
            }
            Some(SuspendReason::Compile { module, defined }) => {
                self.check_saved_frames(store, false)?;
                self.phase = Phase::Yielded;
                self.pending_compile = Some(PendingCompile { module, defined });
                Ok(Step::Yielded)
            }
            Some(SuspendReason::HostCall { func, args }) => {
                self.check_saved_frames(store, true)?;
                let data = store.func(func)?;
                let ty = match self.host_ty.take() {
                    Some(ty) if Arc::ptr_eq(&ty, &data.ty) => ty,
                    _ => data.ty.clone(),
                };
                let may_run_again = data.host.as_ref().is_some_and(|h| h.func.can_suspend() && !h.func.is_suspending());
                let pending =
                    PendingHostCall { func, args: args.clone(), ty, answer: None, may_run_again, direct: false };
                self.phase = Phase::HostCall(pending);
                Ok(Step::HostCall { func, args })
            }
        }
    }

    /// Hands the (empty) buffer of a call that is over to the store, for the
    /// next call to use: most calls never suspend, and this saves them an
    /// allocation. Large buffers are not kept.
    fn recycle_buffer(&mut self, store: &mut Store) {
        self.buffer.clear();
        if store.spare_buffer.is_none() && self.buffer.allocated() <= SPARE_BUFFER_MAX_BYTES {
            store.spare_buffer = Some(std::mem::take(&mut self.buffer));
        }
    }

    /// After unwinding: the outermost record must be the called function's,
    /// else the code did not save its frames (it cannot suspend). With tail
    /// calls, it may be of any function the called one tail-called (there
    /// may be none, if that was a host function: `host_call`), which each
    /// frame checks when it is restored (see `call/redirect.rs`).
    fn check_saved_frames(&mut self, store: &Store, host_call: bool) -> Result<(), Error> {
        let expected = store.func(self.func)?.defined_in;
        let vmctx = expected.and_then(|d| store.instances.get(d.instance.0.index as usize)).map(|i| i.vmctx_word());
        let tail_calls = store.engine().config().features.tail_call;
        match (records::outermost(self.buffer.records()), expected, vmctx) {
            (Some(found), Some(expected), Some(vmctx)) if found == (vmctx, expected.index) => Ok(()),
            (Some(_), Some(_), Some(_)) if tail_calls => Ok(()),
            (None, Some(_), Some(_)) if tail_calls && host_call => Ok(()),
            _ => {
                self.phase = Phase::Done;
                Err(self.broken("the compiled code did not save its frames when the call suspended"))
            }
        }
    }

    /// Ends the call with an internal error.
    fn broken(&mut self, what: &str) -> Error {
        self.buffer.clear();
        Error::internal(what)
    }
}

/// [`Func::call`]: one activation that cannot suspend, with unlimited
/// fuel. The same machinery as [`Call::step`], without the `Call`: plain
/// calls are the hot path of short calls, so they allocate only the slot
/// array and the results.
pub(crate) fn call(store: &mut Store, func: Func, args: &[Val]) -> Result<Vec<Val>, Error> {
    let data = store.func(func)?;
    check_args(store, &data.ty, args)?;
    if let Some(host) = &data.host {
        let host = host.func.clone();
        return match invoke(store, &host, None, args)? {
            Invoked::Returned(results) => Ok(results),
            Invoked::Suspend => Err(Error::Trap(cannot_suspend("Func::call; use Func::start and Call::step"))),
        };
    }
    let words = data.words;
    let mut values = value_array(store, words, args)?;
    let activation = Activation::new(FuelMeter::unlimited(), None);
    let exit = run_activation(store, func, &mut values, activation, false)?;
    match (exit.state, exit.failure) {
        (STATE_RUNNING, _) => {
            let results = results_of(store, func, &values)?;
            recycle_values(store, values);
            Ok(results)
        }
        (_, Some(stop)) => Err((*stop).into_error(false)),
        // A call that cannot suspend never stops otherwise.
        (state, None) => Err(Error::internal(format!("a plain call ended in state {state}"))),
    }
}

/// Runs one activation of WebAssembly function `func` with `values` as its
/// slot array (arguments in, results out; at least
/// `max(params, results, 1)` slots of its type).
fn run_activation(
    store: &mut Store,
    func: Func,
    values: &mut [u64],
    activation: Activation,
    rewind: bool,
) -> Result<Exit, Error> {
    // Nothing but globals, tables and the embedder can hold an exnref now
    // (unless a suspended call does, which this checks).
    store.collect_exceptions();
    let data = store.func(func)?;
    let (func_ptr, vmctx, type_id) = (data.vm.func_ptr, data.vm.vmctx, data.vm.type_id);
    let needed = data.words;
    if data.host.is_some() || values.len() < needed {
        return Err(Error::internal("an activation of a host function, or with too few slots"));
    }
    // Copied out rather than the `Arc` cloned: the store keeps the
    // trampolines for as long as it lives (here, and in its engine's cache),
    // so a call pays no reference counting for them.
    let entry = match &data.trampolines {
        Some(t) => t.entry,
        None => {
            let t = store.engine().trampolines(type_id)?;
            let entry = t.entry;
            store.func_mut(func)?.trampolines = Some(t);
            entry
        }
    };
    let values_ptr = values.as_mut_ptr();
    enter(store, activation, rewind, |exec| {
        // SAFETY: `entry` is the entry trampoline of the type of the
        // WebAssembly function at `func_ptr` (both from its `FuncData`),
        // whose code expects `vmctx`, a live vmctx of this store. The
        // trampoline's code is kept by the `FuncData` and the engine's cache,
        // the function's by its instance's module: all owned by the store,
        // which outlives this call (`enter` holds it, and nothing but the
        // code reaches it meanwhile; a host function that swapped another
        // store in through its `Caller` and dropped this one would free
        // them, which `Caller` cannot prevent and `enter` reports after the
        // fact). `values` has room for the arguments and results of the
        // type (checked above; the arguments are ignored when rewinding).
        // `exec` is live for the whole call, and the store is accessed only
        // through it meanwhile (see `activation.rs`).
        unsafe { entry(vmctx, exec, func_ptr, values_ptr) }
    })
}

/// The results a finished activation of `func` left in `values`.
fn results_of(store: &Store, func: Func, values: &[u64]) -> Result<Vec<Val>, Error> {
    let ty = &store.func(func)?.ty;
    // SAFETY: compiled code of this store wrote results of `ty.results`;
    // funcrefs among them are live `VMFuncRef`s of this store.
    Ok(unsafe { vals_from_raw(&ty.results, values, store.id()) })
}

fn check_args(store: &Store, ty: &FuncType, args: &[Val]) -> Result<(), Error> {
    if args.len() != ty.params.len() {
        return Err(Error::BadArgument(format!("expected {} arguments, got {}", ty.params.len(), args.len())));
    }
    for (i, (arg, expected)) in args.iter().zip(ty.params.iter()).enumerate() {
        if !arg.matches(store, *expected) {
            return Err(Error::BadArgument(format!("argument {i}: expected {expected}, got {}", arg.ty())));
        }
    }
    Ok(())
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let phase = match &self.phase {
            Phase::Ready(_) => "ready",
            Phase::Yielded => "yielded",
            Phase::HostCall(p) if p.answer.is_some() => "host call answered",
            Phase::HostCall(_) => "host call pending",
            Phase::Done => "over",
        };
        f.debug_struct("Call")
            .field("func", &self.func)
            .field("phase", &phase)
            .field("fuel_consumed", &self.fuel_consumed)
            .field("fuel_limit", &self.fuel_limit)
            .field("continuation_size", &self.continuation_size())
            .finish_non_exhaustive()
    }
}
