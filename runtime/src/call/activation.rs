//! Activations: one entry from Rust into compiled code, from the entry
//! trampoline's call until it returns. Sets up the [`ExecCtx`] (stack
//! limit, fuel, continuation buffer), keeps the runtime's per-activation
//! state where builtins and the host dispatcher can find it, and turns a
//! trapping activation into a [`Stop`]: a [`Trap`], or an error of the
//! runtime's own.
//!
//! # Aliasing
//! While compiled code runs, the store is reachable only through the raw
//! pointer in `ExecCtx::embedder`. [`enter`] derives that pointer from the
//! `&mut Store` it was given and does not use that reference again until
//! the trampoline returns; compiled code itself holds no Rust references.
//! So the builtins and the host dispatcher may each turn the pointer into a
//! `&mut Store` ([`store_of`]) for as long as they run: at any moment at
//! most one such reference is in use, the innermost one (a host function
//! that calls back into WebAssembly lends its reference to the nested call,
//! which starts a new activation from it).
//!
//! # The activation stack
//! Each store keeps the state of its running activations in a stack
//! ([`Activations`]), innermost last. Compiled code always runs in the
//! innermost activation of its store (a nested activation returns before
//! the code that started it continues), so a builtin or host function
//! called with `exec` finds its activation on top ([`current`]), which is
//! checked against the address of `exec`. The stack is per store, so a host
//! function may call into another store's code as well.

use crate::call::continuation::ContBuffer;
use crate::call::fuel::FuelMeter;
use crate::error::{Error, Trap};
use crate::func::Func;
use crate::store::Store;
use crate::values::Val;
use std::cell::Cell;
use wasmbeam_jit::vm::{
    ExecCtx, TrapCode, EMBEDDER_STOP, STATE_REWINDING, STATE_RUNNING, STATE_THROWING, STATE_TRAPPING, STATE_UNWINDING,
};

thread_local! {
    /// The stack limit of the outermost active call on this thread, if any.
    /// Nested calls (a host function calling back into WebAssembly, in any
    /// store) run on the same native stack and share its budget.
    static STACK_LIMIT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The running activations of one store, innermost last.
#[derive(Default)]
pub(crate) struct Activations {
    stack: Vec<Activation>,
}

impl Activations {
    /// How many activations of this store's code are on the native stack.
    pub(crate) fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The innermost activation, if `exec` is its context (see [`current`];
    /// this is its form that builds no error, for fast paths).
    pub(crate) fn innermost_for(&self, exec: *const ExecCtx) -> Option<&Activation> {
        self.stack.last().filter(|activation| std::ptr::eq(activation.exec, exec))
    }
}

/// The runtime's state of one activation.
pub(crate) struct Activation {
    /// The activation's `ExecCtx`, set by [`enter`]: the very pointer
    /// compiled code received (so accesses through it keep its provenance).
    /// Compared by [`current`] and dereferenced only by
    /// [`ensure_record_room`], while compiled code waits in a host call.
    exec: *mut ExecCtx,
    /// Why the activation is trapping, when a host function or builtin
    /// made it trap: on its way to the entry trampoline, which sees only a
    /// code. Boxed, like [`Exit::failure`]: activations and exits are moved
    /// on every call, and only a trap fills these.
    pending: Option<Box<Stop>>,
    /// Fuel accounting.
    pub(crate) fuel: FuelMeter,
    /// `None` when the activation cannot suspend (a plain `Func::call`, a
    /// start function, a call from a native host function). Boxed to keep
    /// activations small: they are moved on every plain call.
    pub(crate) suspension: Option<Box<Suspension>>,
}

/// The state of an activation that can suspend.
#[derive(Default)]
pub(crate) struct Suspension {
    /// The continuation records: installed in `ExecCtx` by [`enter`], grown
    /// by `commit_record`, taken back when the activation ends.
    pub(crate) buffer: ContBuffer,
    /// Why the activation is unwinding, when a suspending host function set
    /// `STATE_UNWINDING`; `None` when compiled code did (its fuel ran out).
    pub(crate) reason: Option<SuspendReason>,
    /// While rewinding into a suspending host function: the answer it must
    /// deliver. Taken when delivered.
    pub(crate) answer: Option<HostAnswer>,
    /// A call of a function not compiled yet suspends (rather than
    /// compiling it at once): see [`crate::Call::defer_compiles`].
    pub(crate) defer_compiles: bool,
}

/// Why the runtime made an activation trap: compiled code carries only a
/// [`TrapCode`] (or [`EMBEDDER_STOP`]) down to the entry; the activation
/// keeps the whole story.
#[derive(Debug)]
pub(crate) enum Stop {
    /// An error to report as it is: a trap with its message (a host
    /// function's, say), a misuse, or an internal error.
    Error(Error),
    /// A frame being restored found a saved record that is not its own.
    /// A bug, unless the records were read from bytes: the caller knows
    /// which ([`Stop::into_error`]).
    Mismatch(String),
}

impl Stop {
    /// An internal error.
    pub(crate) fn internal(message: impl Into<String>) -> Stop {
        Stop::Error(Error::internal(message))
    }

    /// The error to report; `restored` says whether the records came from
    /// bytes ([`crate::Call::from_bytes`]), which then take the blame for a
    /// mismatch.
    pub(crate) fn into_error(self, restored: bool) -> Error {
        match self {
            Stop::Error(error) => error,
            Stop::Mismatch(message) if restored => {
                Error::BadArgument(format!("the continuation does not match the code: {message}"))
            }
            Stop::Mismatch(message) => Error::internal(format!("a saved frame does not match its code: {message}")),
        }
    }

    /// The code to put in `ExecCtx::trap_code` for this stop.
    fn trap_code(&self) -> u32 {
        match self {
            Stop::Error(Error::Trap(trap)) => trap.code as u32,
            _ => EMBEDDER_STOP,
        }
    }
}

impl From<Trap> for Stop {
    fn from(trap: Trap) -> Stop {
        Stop::Error(Error::Trap(trap))
    }
}

impl From<Error> for Stop {
    fn from(error: Error) -> Stop {
        Stop::Error(error)
    }
}

/// Why a suspendable activation unwound, besides running out of fuel.
pub(crate) enum SuspendReason {
    /// It called a suspending host function.
    HostCall { func: Func, args: Vec<Val> },
    /// It called a function of a lazily compiled module that is not
    /// compiled yet, and compiles are deferred to the embedder.
    Compile { module: crate::module::Module, defined: u32 },
}

/// The embedder's answer to a suspending host call, in raw form.
pub(crate) struct HostAnswer {
    /// The suspending host function that must receive it.
    pub(crate) func: Func,
    pub(crate) answer: RawAnswer,
}

/// What the embedder answered a host call with.
pub(crate) enum RawAnswer {
    /// Raw result slots.
    Results(Vec<u64>),
    /// A trap to raise in the caller.
    Trap(Trap),
    /// Run the host function again, with these arguments.
    Again(Vec<Val>),
    /// An exception to throw in the caller.
    Throw(crate::exception::Exception),
}

impl Activation {
    pub(crate) fn new(fuel: FuelMeter, suspension: Option<Box<Suspension>>) -> Activation {
        Activation { exec: std::ptr::null_mut(), pending: None, fuel, suspension }
    }
}

/// How an activation ended.
pub(crate) struct Exit {
    /// Fuel the call has used in all (see `FuelMeter::total`).
    pub(crate) fuel_total: u64,
    /// The activation's suspension state, given back.
    pub(crate) suspension: Option<Box<Suspension>>,
    /// The final `ExecCtx::state`: RUNNING (returned), UNWINDING
    /// (suspended) or TRAPPING (with `failure`). REWINDING means the
    /// continuation was not fully resumed (an internal error).
    pub(crate) state: u32,
    /// Why, when `state` is TRAPPING.
    pub(crate) failure: Option<Box<Stop>>,
}

/// Runs `run` (which calls an entry trampoline) as one activation of
/// `store`: sets up the `ExecCtx` (stack limit, fuel, continuation buffer,
/// and the rewinding state when `rewind`), pushes `activation` for the
/// builtins, and collects the outcome.
pub(crate) fn enter(
    store: &mut Store,
    mut activation: Activation,
    rewind: bool,
    run: impl FnOnce(*mut ExecCtx),
) -> Result<Exit, Error> {
    let id = store.id();
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let outer_limit = STACK_LIMIT.with(Cell::get);
    let stack_limit = outer_limit
        .unwrap_or_else(|| here.saturating_sub(store.limits().max_wasm_stack).max(super::thread_stack::lowest_limit()));
    let mut exec = ExecCtx::new(stack_limit, std::ptr::null_mut());
    exec.fuel = activation.fuel.begin();
    if let Some(suspension) = &mut activation.suspension {
        // Compiled code writes a record without asking for room first.
        let limit = store.limits().max_continuation_bytes;
        let room = u32::try_from(store.max_record_size).unwrap_or(u32::MAX);
        suspension.buffer.install_with_room(&mut exec, room, limit).map_err(|stop| stop.into_error(false))?;
    }
    if rewind {
        exec.state = STATE_REWINDING;
        exec.saved_stack_limit = stack_limit;
        exec.stack_limit = usize::MAX;
    }
    exec.embedder = (store as *mut Store).cast();
    // The one pointer through which compiled code, the builtins, the host
    // dispatcher and `ensure_record_room` reach `exec` until `run` returns;
    // `exec` itself is not touched meanwhile.
    let exec_ptr: *mut ExecCtx = &mut exec;
    activation.exec = exec_ptr;
    store.activations.stack.push(activation);
    STACK_LIMIT.with(|l| l.set(Some(stack_limit)));
    run(exec_ptr);
    STACK_LIMIT.with(|l| l.set(outer_limit));
    // Compiled code has returned: `store` is ours again.
    if store.id() != id {
        return Err(Error::BadArgument("the store was replaced by a host function during the call".into()));
    }
    let mut activation = match store.activations.stack.pop() {
        Some(a) if std::ptr::eq(a.exec, exec_ptr) => a,
        _ => return Err(Error::internal("the activation stack is out of order")),
    };
    activation.fuel.end(exec.fuel);
    let mut state = exec.state;
    let mut failure = None;
    if let Some(suspension) = &mut activation.suspension {
        if let Err(message) = suspension.buffer.collect(&exec) {
            state = STATE_TRAPPING;
            failure = Some(Stop::internal(message));
        }
    }
    if state == STATE_THROWING && failure.is_none() {
        // An exception no frame caught: the activation ends with it.
        state = STATE_TRAPPING;
        failure = Some(match store.exception_of(exec.exception) {
            Ok(exception) => Stop::Error(Error::Exception(exception)),
            Err(error) => Stop::Error(error),
        });
    }
    if state == STATE_TRAPPING && failure.is_none() {
        let pending = activation.pending.take().map(|stop| *stop);
        failure = Some(match (TrapCode::from_u32(exec.trap_code), pending) {
            (Some(code), Some(Stop::Error(Error::Trap(trap)))) if trap.code == code => trap.into(),
            (Some(code), _) if code.has_detail() => Trap::with_detail(code, exec.trap_detail).into(),
            (Some(code), _) => Trap::new(code).into(),
            (None, Some(stop)) if exec.trap_code == EMBEDDER_STOP => stop,
            (None, _) => Stop::internal(format!("compiled code stopped with trap code {}", exec.trap_code)),
        });
    }
    debug_assert!(matches!(state, STATE_RUNNING | STATE_TRAPPING | STATE_UNWINDING | STATE_REWINDING));
    Ok(Exit {
        fuel_total: activation.fuel.total(),
        suspension: activation.suspension,
        state,
        failure: failure.map(Box::new),
    })
}

/// Makes every active suspendable activation of `store` keep room for
/// `store.max_record_size` again: a host function instantiated a module
/// whose records are larger than any before, while compiled code that may
/// call into it is waiting below it.
pub(crate) fn ensure_record_room(store: &mut Store) -> Result<(), Stop> {
    let limit = store.limits().max_continuation_bytes;
    let room = u32::try_from(store.max_record_size).unwrap_or(u32::MAX);
    for activation in &mut store.activations.stack {
        if let Some(suspension) = &mut activation.suspension {
            // SAFETY: `exec` is the pointer to the `ExecCtx` in the `enter`
            // frame of a live activation (popped before that frame uses
            // `exec` again), the one compiled code received; that code is
            // waiting for the host call that runs us (instantiation runs no
            // compiled code of an activation already on the stack), so
            // nobody else uses the context while this reference lives.
            let exec = unsafe { &mut *activation.exec };
            suspension.buffer.reserve(exec, room, limit)?;
        }
    }
    Ok(())
}

/// The store of the activation `exec` belongs to.
///
/// # Safety
/// `exec` must be the live `ExecCtx` of an activation started by [`enter`]
/// (compiled code passes it to builtins and host stubs unchanged), and the
/// caller must be the innermost user of the store on this thread (a builtin
/// or the host dispatcher, called from compiled code), holding the returned
/// reference only while it runs. See the module docs.
pub(crate) unsafe fn store_of<'a>(exec: *mut ExecCtx) -> &'a mut Store {
    // SAFETY: `enter` set `embedder` to the store's address, and the store
    // is not otherwise accessed during the activation (module docs).
    unsafe { &mut *(*exec).embedder.cast::<Store>() }
}

/// The state of the activation `exec` belongs to: the innermost of
/// `store` (module docs). An internal error if it is not there.
pub(crate) fn current(store: &mut Store, exec: *const ExecCtx) -> Result<&mut Activation, Stop> {
    match store.activations.stack.last_mut() {
        Some(activation) if std::ptr::eq(activation.exec, exec) => Ok(activation),
        _ => Err(Stop::internal("compiled code ran outside its activation")),
    }
}

/// The suspension state of the activation of `exec`, for a builtin that
/// saves or pops records; `what` names the builtin's doing for the
/// internal error of an activation that cannot suspend.
pub(crate) fn current_suspension<'s>(
    store: &'s mut Store,
    exec: *const ExecCtx,
    what: &str,
) -> Result<&'s mut Suspension, Stop> {
    current(store, exec)?
        .suspension
        .as_deref_mut()
        .ok_or_else(|| Stop::internal(format!("{what} in an activation that cannot suspend")))
}

/// Makes the activation trap for `stop`: its code (or [`EMBEDDER_STOP`])
/// goes into `exec`, the whole story into the activation for [`enter`].
///
/// # Safety
/// As [`store_of`], and no reference into the store may be live.
pub(crate) unsafe fn raise(exec: *mut ExecCtx, stop: impl Into<Stop>) {
    let stop = stop.into();
    // SAFETY: `exec` is live (contract); plain field writes.
    unsafe {
        (*exec).state = STATE_TRAPPING;
        (*exec).trap_code = stop.trap_code();
    }
    // SAFETY: our contract.
    let store = unsafe { store_of(exec) };
    // Without its activation (a bug reported elsewhere) the trap keeps
    // only its code, and `enter` reports the missing story.
    if let Ok(activation) = current(store, exec) {
        activation.pending = Some(Box::new(stop));
    }
}

/// Makes the activation trap with a WebAssembly trap code.
///
/// # Safety
/// `exec` must be a live `ExecCtx`.
pub(crate) unsafe fn raise_code(exec: *mut ExecCtx, code: TrapCode) {
    // SAFETY: `exec` is live (contract); plain field writes.
    unsafe {
        (*exec).state = STATE_TRAPPING;
        (*exec).trap_code = code as u32;
    }
}
