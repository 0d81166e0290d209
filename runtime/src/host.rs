//! Host functions: their closures, the context their stub receives, and
//! the dispatcher that runs them on behalf of compiled code.
//!
//! A host function is *native* (a Rust closure, run inline), *suspending*
//! (every call suspends the running [`crate::Call`] and hands the arguments
//! to the embedder), or *may suspend* (a closure that either returns or
//! asks to suspend, for calls that would otherwise wait: the embedder then
//! answers, or has the closure run again). See `call/host_call.rs` for the
//! suspending side of the protocol.

use crate::call::activation::Stop;
use crate::call::host_call::{self, Delivered};
use crate::call::{raise, store_of};
use crate::caller::Caller;
use crate::error::{Error, HostResult, Trap};
use crate::func::Func;
use crate::instance::Instance;
use crate::owned::Owned;
use crate::store::Store;
use crate::values::Val;
use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use wasmbeam_jit::vm::{ExecCtx, VMFuncRef, VMHostContext, STATE_REWINDING, STATE_RUNNING, STATE_THROWING};
use wasmbeam_jit::FuncType;

pub(crate) type HostCallback = dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> HostResult + Send + Sync;
pub(crate) type MaySuspendCallback =
    dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<HostFlow, Error> + Send + Sync;

/// What a host function made with [`crate::Func::new_may_suspend`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFlow {
    /// It ran: its results are in the results slice.
    Return,
    /// It cannot go on now (it would wait): the whole call suspends, as in
    /// a suspending host function, and the embedder gets
    /// [`crate::Step::HostCall`]. It answers with the results
    /// ([`crate::Call::resume_with`]), or makes whatever the function waited
    /// for happen and has it run again ([`crate::Call::resume_again`]).
    Suspend,
}

/// A host function's behaviour. Shared (`Arc`) so a call can hold it while
/// the store is lent to the closure.
pub(crate) struct HostFunc {
    pub(crate) ty: Arc<FuncType>,
    pub(crate) behaviour: HostBehaviour,
}

/// What calling a host function does.
pub(crate) enum HostBehaviour {
    /// Runs the closure inline.
    Native(Box<HostCallback>),
    /// Suspends the whole call; the embedder supplies the results.
    Suspending,
    /// Runs the closure inline, which may ask to suspend.
    MaySuspend(Box<MaySuspendCallback>),
}

/// The host half of a host function's [`crate::func::FuncData`].
pub(crate) struct HostFuncData {
    pub(crate) func: Arc<HostFunc>,
    /// The `vmctx` of the function's own `VMFuncRef`: owned here only to
    /// keep its address valid.
    pub(crate) _ctx: Owned<HostContext>,
    /// Why the function has no native stub, on an engine that runs code:
    /// the stub of its type failed to compile.
    pub(crate) stub_error: Option<String>,
}

/// What a host stub receives as `vmctx`. `repr(C)` with the
/// `VMHostContext` first, as the stub loads `dispatch` from offset 0.
/// Immutable after creation.
#[repr(C)]
pub(crate) struct HostContext {
    vm: VMHostContext,
    func: Func,
    /// The instance whose import this context serves, if any.
    instance: Option<Instance>,
}

impl HostContext {
    pub(crate) fn new(func: Func, instance: Option<Instance>) -> HostContext {
        HostContext { vm: VMHostContext { dispatch }, func, instance }
    }
}

/// A host function as imported by one instance: its own `VMFuncRef` whose
/// context names the importer, so [`Caller::instance`] is exact. The
/// funcref's `embedder_index` is still the host function's, so a funcref
/// read back from Wasm maps to the same [`Func`].
///
/// Invariant: `funcref.vmctx` points at `ctx` in the same allocation.
#[repr(C)]
pub(crate) struct HostImport {
    ctx: HostContext,
    funcref: VMFuncRef,
}

impl HostImport {
    /// The import of host function `func` (whose own funcref is `own`) into
    /// `instance`.
    pub(crate) fn new(func: Func, own: &VMFuncRef, instance: Instance) -> Owned<HostImport> {
        let import = Owned::new(HostImport {
            ctx: HostContext::new(func, Some(instance)),
            funcref: VMFuncRef {
                func_ptr: own.func_ptr,
                vmctx: std::ptr::null_mut(),
                type_id: own.type_id,
                embedder_index: own.embedder_index,
            },
        });
        let p = import.as_ptr();
        // SAFETY: `p` is the live allocation just made, not yet shared; the
        // projections create no references, so the stored address keeps
        // the allocation's own provenance (see `Owned`).
        unsafe { (*p).funcref.vmctx = std::ptr::addr_of_mut!((*p).ctx).cast() };
        import
    }

    /// Address of the import's `VMFuncRef`, for the importer's vmctx.
    pub(crate) fn funcref_ptr(import: &Owned<HostImport>) -> *mut VMFuncRef {
        // SAFETY: a live allocation; projection without a reference.
        unsafe { std::ptr::addr_of_mut!((*import.as_ptr()).funcref) }
    }

    /// The host function this is an import of.
    pub(crate) fn func(&self) -> Func {
        self.ctx.func
    }
}

impl HostFunc {
    pub(crate) fn new(ty: Arc<FuncType>, behaviour: HostBehaviour) -> HostFunc {
        HostFunc { ty, behaviour }
    }

    /// Whether every call suspends.
    pub(crate) fn is_suspending(&self) -> bool {
        matches!(self.behaviour, HostBehaviour::Suspending)
    }

    /// Whether a call can suspend (a suspending host function, or one
    /// that may suspend).
    pub(crate) fn can_suspend(&self) -> bool {
        !matches!(self.behaviour, HostBehaviour::Native(_))
    }
}

/// What running a host function came to.
pub(crate) enum Invoked {
    /// It returned these results (of its result types).
    Returned(Vec<Val>),
    /// It asks to suspend the call.
    Suspend,
}

/// The trap of a suspending host function called where nothing can suspend.
pub(crate) fn cannot_suspend(why: &str) -> Trap {
    Trap::host(format!("a suspending host function was called where the call cannot suspend ({why})"))
}

/// Runs a host function: results start as defaults, a closure runs under
/// `catch_unwind` (a panic becomes a trap), and the results it leaves must
/// have the declared types. A suspending host function, or one that may
/// suspend and asks to, gives [`Invoked::Suspend`]: the caller suspends the
/// call where it can, and traps where it cannot.
pub(crate) fn invoke(
    store: &mut Store,
    host: &HostFunc,
    instance: Option<Instance>,
    args: &[Val],
) -> Result<Invoked, Error> {
    let mut results: Vec<Val> = host.ty.results.iter().map(|t| Val::default_for(*t)).collect();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut caller = Caller { store: &mut *store, instance };
        match &host.behaviour {
            HostBehaviour::Native(callback) => callback(&mut caller, args, &mut results).map(|()| HostFlow::Return),
            HostBehaviour::MaySuspend(callback) => callback(&mut caller, args, &mut results),
            HostBehaviour::Suspending => Ok(HostFlow::Suspend),
        }
    }));
    match outcome {
        Ok(Ok(HostFlow::Return)) => {}
        Ok(Ok(HostFlow::Suspend)) => return Ok(Invoked::Suspend),
        Ok(Err(error)) => return Err(error),
        Err(payload) => return Err(panic_trap(payload).into()),
    }
    check_results(&host.ty, &results, Some(store)).map_err(Trap::host)?;
    Ok(Invoked::Returned(results))
}

/// Whether `results` are values of `ty`'s result types; the message says
/// what is wrong.
/// Without a `store`, functions' concrete types are not checked (see
/// [`Val::matches_in`]).
pub(crate) fn check_results(ty: &FuncType, results: &[Val], store: Option<&Store>) -> Result<(), String> {
    if results.len() != ty.results.len() {
        return Err(format!("host function returned {} results, expected {}", results.len(), ty.results.len()));
    }
    for (i, (val, expected)) in results.iter().zip(ty.results.iter()).enumerate() {
        if !val.matches_in(store, *expected) {
            return Err(format!("host function returned a {} as result {i}, expected {expected}", val.ty()));
        }
    }
    Ok(())
}

/// The message of a caught panic (`(no message)` when it has none); drops
/// the payload.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    };
    // A payload's destructor could itself panic; keep that contained too.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    message
}

/// The trap for a panic caught in a host function's closure: the
/// embedder's code failed, so the calling WebAssembly code traps.
pub(crate) fn panic_trap(payload: Box<dyn Any + Send>) -> Trap {
    Trap::host(format!("host function panicked: {}", panic_message(payload)))
}

/// The [`VMHostContext::dispatch`] of every host function: called by a host
/// stub with the arguments in `values`, leaves the results there, or traps
/// (a host function's failure: `TrapCode::HostError`, its [`Trap`] stashed
/// in the activation; or an error of the runtime's own).
/// For a suspending host function it instead suspends the call (state
/// RUNNING) or delivers the embedder's answer (state REWINDING), see
/// `call/host_call.rs`. Never unwinds.
///
/// # Safety
/// Called only by a host stub, with `host` the `vmctx` of a `VMFuncRef`
/// this crate made for a host function (a [`HostContext`]), `exec` the
/// activation's live `ExecCtx` (see [`store_of`]) and `values` the stub's
/// slot array of `max(params, results, 1)` slots of the function's type.
unsafe extern "C" fn dispatch(host: *mut VMHostContext, exec: *mut ExecCtx, values: *mut u64) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: this function's own contract.
        unsafe { dispatch_inner(host.cast(), exec, values) }
    }));
    let stop = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(stop)) => stop,
        // Closures run under their own `catch_unwind` (`invoke`): this is
        // the dispatcher's own.
        Err(payload) => Stop::internal(format!("the host dispatcher panicked: {}", panic_message(payload))),
    };
    // SAFETY: `exec` is live (contract), and no reference into the store
    // survives `dispatch_inner`.
    unsafe { raise_or_throw(exec, stop) };
}

/// Makes the activation trap for `stop`, or, if it is an
/// [`Error::Exception`] (a host function's, or one that escaped a call it
/// made into WebAssembly), throws the exception into the calling code.
///
/// # Safety
/// As [`raise`].
unsafe fn raise_or_throw(exec: *mut ExecCtx, stop: Stop) {
    let Stop::Error(Error::Exception(exception)) = stop else {
        // SAFETY: our contract.
        return unsafe { raise(exec, stop) };
    };
    // SAFETY: our contract is `store_of`'s; the reference dies here.
    let object = unsafe { store_of(exec) }.exception_object(&exception);
    match object {
        // SAFETY: `exec` is live (contract); plain field writes.
        Ok(raw) => unsafe {
            (*exec).exception = raw;
            (*exec).state = STATE_THROWING;
        },
        // SAFETY: our contract.
        Err(error) => unsafe { raise(exec, error) },
    }
}

/// The host side of `data`, which a host stub's function has.
fn host_data(data: &crate::func::FuncData) -> Result<&HostFuncData, Stop> {
    data.host.as_ref().ok_or_else(|| Stop::internal("a host stub was called for a WebAssembly function"))
}

/// # Safety
/// As [`dispatch`].
unsafe fn dispatch_inner(ctx: *const HostContext, exec: *mut ExecCtx, values: *mut u64) -> Result<(), Stop> {
    // SAFETY: `ctx` is a live `HostContext` (contract), immutable after
    // creation; plain reads through the raw pointer.
    let (func, instance) = unsafe { ((*ctx).func, (*ctx).instance) };
    // SAFETY: the contract of `store_of`, passed on from ours; this is the
    // only reference to the store on this path.
    let store = unsafe { store_of(exec) };
    if func.0.store != store.id() {
        return Err(Error::BadArgument("the store was replaced while a call was active".into()).into());
    }
    let data = store.func(func)?;
    let host = host_data(data)?;
    let (slots, suspending) = (data.words, host.func.is_suspending());
    // SAFETY: the stub's slot array has `slots` slots (contract), exclusively
    // ours until we return: compiled code is suspended in the stub.
    let values = unsafe { std::slice::from_raw_parts_mut(values, slots) };
    // SAFETY: `exec` is live (contract); a plain field read.
    let state = unsafe { (*exec).state };
    let args = match state {
        STATE_REWINDING => {
            // SAFETY: `exec` is live and ours while we run (contract); the
            // only other reference in use is `store`, a different object.
            match host_call::deliver(store, unsafe { &mut *exec }, func, values)? {
                Delivered::Results => return Ok(()),
                // Run it again, with the arguments of the call that
                // suspended (the slots hold none while rewinding).
                Delivered::Again(args) => args,
            }
        }
        STATE_RUNNING => {
            let id = store.id();
            // SAFETY: arguments come from compiled code of this store, so
            // funcrefs among them are live `VMFuncRef`s of this store.
            unsafe { crate::values::vals_from_raw(&host.func.ty.params, values, id) }
        }
        _ => return Err(Stop::internal(format!("a host function was called in execution state {state}"))),
    };
    if suspending {
        // Nothing to run: the call suspends (the embedder's fun answers).
        // SAFETY: as for `deliver` above.
        return host_call::suspend(store, unsafe { &mut *exec }, func, args);
    }
    let host = host_data(store.func(func)?)?.func.clone();
    match invoke(store, &host, instance, &args)? {
        Invoked::Returned(results) => {
            // The invoked function checked the results against its type,
            // whose words the slot array holds.
            let mut at = 0;
            for val in &results {
                let raw = val.to_raw(store).map_err(|e| Trap::host(format!("host function result: {e}")))?;
                let words = raw.as_slice();
                values
                    .get_mut(at..at + words.len())
                    .ok_or_else(|| Stop::internal("host function results larger than the slot array"))?
                    .copy_from_slice(words);
                at += words.len();
            }
            Ok(())
        }
        // SAFETY: as for `deliver` above.
        Invoked::Suspend => host_call::suspend(store, unsafe { &mut *exec }, func, args),
    }
}
