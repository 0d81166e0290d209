//! [`Instance`]: an instantiated module, and what it owns.

use crate::external::Extern;
use crate::func::Func;
use crate::global::Global;
use crate::host::HostImport;
use crate::memory::Memory;
use crate::module::Module;
use crate::owned::Owned;
use crate::store::{Store, Stored};
use crate::table::Table;
use wasmbeam_jit::vm::RawRef;

/// An instance in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) Stored);

/// An instance's state.
///
/// Invariants once instantiation has filled it: `vmctx` is laid out by the
/// module's `VMOffsets`, its embedder word being the address of this
/// `InstanceData`;
/// the handle lists follow the module's index spaces (imports first) and
/// name objects of the same store; `elements` and `data_dropped` have one
/// entry per segment of the module. Builtins reach this struct through
/// the embedder word but only read `index` and `store` through that
/// pointer.
pub(crate) struct InstanceData {
    /// This instance's index in its store.
    pub(crate) index: u32,
    /// The id of the owning store.
    pub(crate) store: u64,
    /// Keeps the compiled code (which `vmctx` and the funcrefs point into)
    /// alive.
    pub(crate) module: Module,
    pub(crate) vmctx: Owned<[u64]>,
    pub(crate) funcs: Vec<Func>,
    pub(crate) memories: Vec<Memory>,
    pub(crate) tables: Vec<Table>,
    pub(crate) globals: Vec<Global>,
    pub(crate) tags: Vec<crate::tag::Tag>,
    /// Per-instance funcrefs of imported host functions.
    pub(crate) host_imports: Vec<Owned<HostImport>>,
    /// One per export of the module, in order.
    pub(crate) exports: Vec<Extern>,
    /// Evaluated element segments; `None` once dropped (`elem.drop`, or
    /// active and declared segments after instantiation).
    pub(crate) elements: Vec<Option<Box<[RawRef]>>>,
    /// Whether each data segment has been dropped.
    pub(crate) data_dropped: Vec<bool>,
}

impl InstanceData {
    /// The address of the instance's vmctx, as continuation records hold it
    /// (see `call/records.rs`).
    pub(crate) fn vmctx_word(&self) -> u64 {
        self.vmctx.as_ptr().cast::<u8>() as usize as u64
    }
}

impl Instance {
    /// Every export, in the module's order (nothing for a handle of another
    /// store).
    pub fn exports<'a>(&self, store: &'a Store) -> impl Iterator<Item = (&'a str, Extern)> + 'a {
        let data = store.instance(*self).ok();
        data.into_iter().flat_map(|data| {
            data.module.info().exports.iter().zip(data.exports.iter()).map(|(e, x)| (e.name.as_str(), *x))
        })
    }

    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        let data = store.instance(*self).ok()?;
        data.exports.get(data.module.export_index(name)?).copied()
    }

    pub fn get_func(&self, store: &Store, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    pub fn get_memory(&self, store: &Store, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// Memory `index` of the instance, in its module's memory index space
    /// (imported memories first), exported or not: what the instance's own
    /// code reads as `memory index`.
    pub fn memory_at(&self, store: &Store, index: u32) -> Option<Memory> {
        store.instance(*self).ok()?.memories.get(index as usize).copied()
    }

    pub fn get_table(&self, store: &Store, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    pub fn get_global(&self, store: &Store, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The module this is an instance of (`None` for a handle of another
    /// store).
    pub fn module(&self, store: &Store) -> Option<Module> {
        Some(store.instance(*self).ok()?.module.clone())
    }

    /// Instantiates `module` with `imports` given in the module's import
    /// order (see [`crate::Linker`] to resolve them by name).
    pub fn new(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance, crate::Error> {
        crate::instantiate::instantiate(store, module, imports)
    }

    /// Instantiates `module` like [`Instance::new`] but does not run its
    /// start function: returns it instead, for the embedder to run (for
    /// example in slices with [`Func::start`] and
    /// [`crate::Call::step`]) before using the instance. Until it has run,
    /// the instance is not initialized as WebAssembly defines it.
    pub fn new_without_start(
        store: &mut Store,
        module: &Module,
        imports: &[Extern],
    ) -> Result<(Instance, Option<Func>), crate::Error> {
        crate::instantiate::instantiate_without_start(store, module, imports)
    }
}
