//! [`Func`]: functions, defined in WebAssembly or by the host.

use crate::caller::Caller;
use crate::error::{Error, HostResult};
use crate::host::{HostBehaviour, HostContext, HostFlow, HostFunc, HostFuncData};
use crate::instance::Instance;
use crate::owned::Owned;
use crate::store::{Store, Stored};
use crate::values::Val;
use std::sync::Arc;
use wasmbeam_jit::vm::VMFuncRef;
use wasmbeam_jit::{CompiledTrampolines, FuncType};

/// A function in a [`Store`]: an instance's function or a host function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func(pub(crate) Stored);

/// A function's state.
///
/// Invariants: `vm` is what funcref values of this function point at, and
/// never changes after creation; `vm.embedder_index` is the function's index
/// in its store; `vm.type_id` is the engine's id of `ty`. For a WebAssembly
/// function `vm.vmctx` is its instance's vmctx; for a host function it is
/// `host.ctx` and `vm.func_ptr` the type's host stub (null if the engine
/// cannot run code or the stub failed to compile). Exactly one of `host`
/// and `defined_in` is `Some`.
pub(crate) struct FuncData {
    pub(crate) vm: VMFuncRef,
    pub(crate) ty: Arc<FuncType>,
    /// The words of the value array of a call of it from Rust
    /// (`abi::value_words` of `ty`, counted once: every call needs it).
    pub(crate) words: usize,
    /// `None` for a WebAssembly function.
    pub(crate) host: Option<HostFuncData>,
    /// `None` for a host function.
    pub(crate) defined_in: Option<DefinedIn>,
    /// The type's trampolines, cached on the first call from Rust (always
    /// set for host functions that have a stub).
    pub(crate) trampolines: Option<Arc<CompiledTrampolines>>,
}

/// Where a WebAssembly function was defined: its instance, and its index
/// in that instance's module, imports counted (the index continuation
/// records name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DefinedIn {
    pub(crate) instance: Instance,
    pub(crate) index: u32,
}

impl FuncData {
    /// The address funcref values of the function hold: its `vm` field, in
    /// its `Owned` allocation in the store.
    pub(crate) fn funcref_ptr(owned: &Owned<FuncData>) -> *mut VMFuncRef {
        // SAFETY: `as_ptr` is a live allocation; `addr_of_mut!` projects to
        // a field without creating a reference.
        unsafe { std::ptr::addr_of_mut!((*owned.as_ptr()).vm) }
    }

    /// [`FuncData::funcref_ptr`] as a funcref value's bits.
    pub(crate) fn funcref_word(owned: &Owned<FuncData>) -> u64 {
        Self::funcref_ptr(owned) as usize as u64
    }
}

impl Func {
    /// A host function of type `ty`. `f(caller, params, results)` gets
    /// arguments of the parameter types and a `results` slice pre-filled
    /// with defaults of the result types; it must leave values of those
    /// types there (anything else traps). Returning `Err` stops the caller
    /// (see [`HostResult`]: a trap, an exit, or another error); a panic is
    /// caught and becomes a trap.
    pub fn new(
        store: &mut Store,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> HostResult + Send + Sync + 'static,
    ) -> Func {
        Func::new_host(store, ty, HostBehaviour::Native(Box::new(f)))
    }

    /// A host function whose every call suspends the whole running call and
    /// hands `(func, args)` to the embedder through [`crate::Step::HostCall`];
    /// the embedder answers with [`crate::Call::resume_with`]. Called where
    /// it cannot suspend (a plain [`Func::call`], a start function, code
    /// compiled without [`crate::Config::reductions`], a nested call from a
    /// native host function), it traps with a message saying so.
    pub fn new_suspending(store: &mut Store, ty: FuncType) -> Func {
        Func::new_host(store, ty, HostBehaviour::Suspending)
    }

    /// A host function like [`Func::new`] whose closure may also ask to
    /// suspend the whole call ([`HostFlow::Suspend`]), for a call that
    /// would otherwise wait (a read with no data yet, a sleep): the call
    /// then stops with [`crate::Step::HostCall`] as for a suspending host
    /// function, and the embedder answers with results
    /// ([`crate::Call::resume_with`]) or has the closure run again when the
    /// call resumes ([`crate::Call::resume_again`]), once what it waited for
    /// is there. Where the call cannot suspend (a plain [`Func::call`], a
    /// start function, ...), asking to suspend traps with a message saying
    /// so.
    pub fn new_may_suspend(
        store: &mut Store,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<HostFlow, Error> + Send + Sync + 'static,
    ) -> Func {
        Func::new_host(store, ty, HostBehaviour::MaySuspend(Box::new(f)))
    }

    fn new_host(store: &mut Store, ty: FuncType, behaviour: HostBehaviour) -> Func {
        let engine = store.engine().clone();
        let type_id = engine.type_id(&ty);
        // Without a stub the function can still be called from Rust;
        // `Store::funcref_raw` keeps it away from compiled code, and reports
        // why it has none (a compile failure is a bug).
        let (trampolines, stub_error) = match engine.is_executable().then(|| engine.trampolines(type_id)) {
            Some(Ok(t)) => (Some(t), None),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };
        let ty = Arc::new(ty);
        let host = Arc::new(HostFunc::new(ty.clone(), behaviour));
        let pushed = store.push_func(|func| {
            let ctx = Owned::new(HostContext::new(func, None));
            FuncData {
                vm: VMFuncRef {
                    func_ptr: trampolines.as_ref().map_or(std::ptr::null(), |t| t.host_stub),
                    vmctx: ctx.as_ptr().cast(),
                    type_id,
                    embedder_index: func.0.index,
                },
                words: wasmbeam_jit::abi::value_words(&ty),
                ty,
                host: Some(HostFuncData { func: host, _ctx: ctx, stub_error }),
                defined_in: None,
                trampolines,
            }
        });
        // Only fails past 2^32 functions in one store, each a separate heap
        // allocation: memory runs out long before.
        pushed.expect("fewer than 2^32 functions in a store")
    }

    /// The function's type. Errors ([`Error::BadArgument`]): a handle of
    /// another store.
    pub fn ty(&self, store: &Store) -> Result<FuncType, Error> {
        Ok((*store.func(*self)?.ty).clone())
    }

    /// The function's parameter types, borrowed from the store (no copy of
    /// the type, for callers that check arguments on every call). Errors
    /// as [`Func::ty`].
    pub fn params<'s>(&self, store: &'s Store) -> Result<&'s [crate::ValType], Error> {
        Ok(&store.func(*self)?.ty.params)
    }

    /// Calls the function and runs it to completion, with unlimited fuel.
    /// Errors: wrong argument count or types, or a handle of another store
    /// ([`Error::BadArgument`]); a trap ([`Error::Trap`]), including a call
    /// to a suspending host function, which cannot suspend here (use
    /// [`Func::start`]).
    pub fn call(&self, store: &mut Store, args: &[Val]) -> Result<Vec<Val>, Error> {
        crate::call::call(store, *self, args)
    }

    /// Starts a call (checking the arguments as [`Func::call`] does) that
    /// runs in slices, can suspend in suspending host functions, move to
    /// another thread and be saved as bytes. Nothing runs until
    /// [`crate::Call::step`].
    pub fn start(&self, store: &mut Store, args: &[Val]) -> Result<crate::Call, Error> {
        crate::Call::new(store, *self, args, true)
    }
}
