//! Calls from Rust into WebAssembly: argument checks, the entry trampoline,
//! the native stack limit, and turning a trapping activation into a
//! [`Trap`].
//!
//! # Aliasing
//! While compiled code runs, the store is reachable only through the raw
//! pointer in `ExecCtx::embedder`. [`enter`] derives that pointer from the
//! `&mut Store` it was given and does not use that reference again until
//! the trampoline returns; compiled code itself holds no Rust references.
//! So the builtins and the host dispatcher may each turn the pointer into a
//! `&mut Store` ([`store_of`]) for as long as they run: at any moment at
//! most one such reference is in use, the innermost one (a host function
//! that calls back into WebAssembly lends its reference to the nested
//! [`call`], which starts a new activation from it).

use crate::error::{Error, Trap};
use crate::func::Func;
use crate::host;
use crate::store::Store;
use crate::values::Val;
use std::cell::Cell;
use wasmbeam_jit::vm::{ExecCtx, TrapCode, STATE_RUNNING, STATE_TRAPPING};
use wasmbeam_jit::FuncType;

thread_local! {
    /// The stack limit of the outermost active call on this thread, if any.
    /// Nested calls (a host function calling back into WebAssembly, in any
    /// store) run on the same native stack and share its budget.
    static STACK_LIMIT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// [`Func::call`].
pub(crate) fn call(store: &mut Store, func: Func, args: &[Val]) -> Result<Vec<Val>, Error> {
    let data = store.func(func)?;
    let ty = data.ty.clone();
    check_args(&ty, args)?;
    if let Some(host) = &data.host {
        let host = host.func.clone();
        return host::invoke(store, &host, None, args).map_err(Error::Trap);
    }
    let (func_ptr, vmctx, type_id) = (data.vm.func_ptr, data.vm.vmctx, data.vm.type_id);
    let trampolines = match &data.trampolines {
        Some(t) => t.clone(),
        None => {
            let t = store.engine().trampolines(type_id)?;
            store.func_mut(func)?.trampolines = Some(t.clone());
            t
        }
    };
    let mut values = vec![0u64; ty.params.len().max(ty.results.len()).max(1)];
    for (slot, arg) in values.iter_mut().zip(args) {
        *slot = arg.to_raw(store)?;
    }
    let values_ptr = values.as_mut_ptr();
    enter(store, |exec| {
        // SAFETY: `trampolines.entry` is the entry trampoline of `ty`, the
        // type of the function at `func_ptr` (both from its `FuncData`),
        // whose code (kept alive by its instance's module) expects `vmctx`,
        // a live vmctx of this store. `values` has room for the arguments
        // and results of `ty`. `exec` is live for the whole call, and the
        // store is accessed only through it meanwhile (module docs).
        unsafe { (trampolines.entry)(vmctx, exec, func_ptr, values_ptr) }
    })?;
    let id = store.id();
    // SAFETY: compiled code of this store wrote results of `ty.results`;
    // funcrefs among them are live `VMFuncRef`s of this store.
    Ok(ty.results.iter().zip(&values).map(|(t, raw)| unsafe { Val::from_raw(*raw, *t, id) }).collect())
}

fn check_args(ty: &FuncType, args: &[Val]) -> Result<(), Error> {
    if args.len() != ty.params.len() {
        return Err(Error::BadArgument(format!("expected {} arguments, got {}", ty.params.len(), args.len())));
    }
    for (i, (arg, expected)) in args.iter().zip(ty.params.iter()).enumerate() {
        if arg.ty() != *expected {
            return Err(Error::BadArgument(format!("argument {i}: expected {expected}, got {}", arg.ty())));
        }
    }
    Ok(())
}

/// Runs `run` (which calls into compiled code) as one activation of
/// `store`: sets up the `ExecCtx` with the stack limit, and reports a trap.
fn enter(store: &mut Store, run: impl FnOnce(*mut ExecCtx)) -> Result<(), Error> {
    let id = store.id();
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let outer_limit = STACK_LIMIT.with(Cell::get);
    let stack_limit = match outer_limit {
        Some(limit) => limit,
        None => {
            // Nothing is in flight on this thread: a stale trap cannot be
            // meant for this call.
            store.activations.pending_trap = None;
            here.saturating_sub(store.engine().config().max_wasm_stack)
        }
    };
    STACK_LIMIT.with(|l| l.set(Some(stack_limit)));
    store.activations.depth += 1;
    let store_ptr: *mut Store = &mut *store;
    let mut exec = ExecCtx::new(stack_limit, store_ptr.cast());
    run(&mut exec);
    STACK_LIMIT.with(|l| l.set(outer_limit));
    // Compiled code has returned: `store` is ours again.
    if store.id() != id {
        return Err(Error::BadArgument("the store was replaced by a host function during the call".into()));
    }
    store.activations.depth -= 1;
    if exec.state == STATE_RUNNING {
        return Ok(());
    }
    let pending = store.activations.pending_trap.take();
    let trap = match (TrapCode::from_u32(exec.trap_code), pending) {
        (Some(code), Some(trap)) if trap.code == code => trap,
        (Some(code), _) if code.has_detail() => Trap::with_detail(code, exec.trap_detail),
        (Some(code), _) => Trap::new(code),
        (None, _) => Trap::host(format!("unknown trap code {} (state {})", exec.trap_code, exec.state)),
    };
    Err(Error::Trap(trap))
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

/// Makes the activation trap with `trap`: its code goes into `exec`, the
/// whole trap (with its message) is stashed in the store for [`enter`].
///
/// # Safety
/// As [`store_of`], and no reference into the store may be live.
pub(crate) unsafe fn raise(exec: *mut ExecCtx, trap: Trap) {
    // SAFETY: `exec` is live (contract); plain field writes.
    unsafe {
        (*exec).state = STATE_TRAPPING;
        (*exec).trap_code = trap.code as u32;
    }
    // SAFETY: our contract.
    let store = unsafe { store_of(exec) };
    store.activations.pending_trap = Some(trap);
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
