//! [`Store`]: the owner of every runtime object, and the handle scheme.

use crate::call::activation::{Activations, Suspension};
use crate::call::continuation::ContBuffer;
use crate::engine::Engine;
use crate::error::Error;
use crate::exception::ExceptionHeap;
use crate::func::{Func, FuncData};
use crate::global::{Global, GlobalData};
use crate::instance::{Instance, InstanceData};
use crate::limits::StoreLimits;
use crate::memory::{Memory, MemoryData};
use crate::owned::Owned;
use crate::table::{Table, TableData};
use crate::tag::{Tag, TagData};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmbeam_jit::vm::{VMFuncRef, VMGlobal, VMMemory, VMTable, VMTag};

/// What every handle is: the id of the store that made it and the index of
/// the object in that store's list of its kind. Objects are never removed
/// from a store, so an index from the right store is always valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stored {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// Owns functions, memories, tables, globals and instances; dropping it
/// frees them all. `Send`, not `Sync`: one thread at a time.
///
/// Every object is a separate `Owned` allocation, so its address never
/// changes while compiled code may hold it (in a vmctx, a `VMFuncRef`, a
/// table element).
pub struct Store {
    id: u64,
    engine: Engine,
    pub(crate) funcs: Vec<Owned<FuncData>>,
    pub(crate) memories: Vec<Owned<MemoryData>>,
    pub(crate) tables: Vec<Owned<TableData>>,
    pub(crate) globals: Vec<Owned<GlobalData>>,
    pub(crate) instances: Vec<Owned<InstanceData>>,
    pub(crate) tags: Vec<Owned<TagData>>,
    /// Exception objects (see `exception.rs`).
    pub(crate) exceptions: ExceptionHeap,
    /// The calls into this store's code currently on the native stack.
    pub(crate) activations: Activations,
    /// Bytes of the largest continuation record any instantiated module's
    /// code writes: suspendable activations keep this much free in their
    /// buffer while compiled code runs (see `VMBuiltins::commit_record`).
    pub(crate) max_record_size: usize,
    /// The limits in force (the engine's, or lower ones).
    limits: StoreLimits,
    /// An empty continuation buffer left by a finished call, for the next
    /// call to reuse.
    pub(crate) spare_buffer: Option<ContBuffer>,
    /// The (emptied) suspension state of the last suspendable activation,
    /// for the next one to reuse.
    pub(crate) spare_suspension: Option<Box<Suspension>>,
    /// The value array of the last finished activation, kept for the next
    /// one (cleared; at most 256 words).
    pub(crate) spare_values: Vec<u64>,
}

// SAFETY: a `Store` exclusively owns everything its raw pointers point at
// (its `Owned` allocations, which point only into one another), apart from
// the engine's and modules' immutable, `Sync` machine code. Host closures
// are `Send + Sync`. Nothing is tied to the creating thread, so moving the
// whole store to another thread is sound.
unsafe impl Send for Store {}

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

impl Store {
    pub fn new(engine: &Engine) -> Store {
        Store {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            tags: Vec::new(),
            exceptions: ExceptionHeap::default(),
            max_record_size: 0,
            activations: Activations::default(),
            limits: StoreLimits::of(engine.config()),
            spare_buffer: None,
            spare_suspension: None,
            spare_values: Vec::new(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The resource limits in force for this store.
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    /// Sets this store's resource limits, each capped by the engine's
    /// ([`crate::Config`]). Memories and tables created earlier keep the
    /// maximum they were created with.
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.limits = limits.within(StoreLimits::of(self.engine.config()));
    }

    /// How many exception objects the store holds (thrown and not yet
    /// found unreachable; see [`crate::Exception`]).
    pub fn live_exceptions(&self) -> usize {
        self.exceptions.len()
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The handle for the next object of a kind that has `len` objects.
    fn next_handle(&self, len: usize) -> Result<Stored, Error> {
        let index = u32::try_from(len).map_err(|_| Error::Limit("too many objects in one store".into()))?;
        Ok(Stored { store: self.id, index })
    }

    fn resolve(&self, handle: Stored) -> Result<usize, Error> {
        if handle.store == self.id {
            Ok(handle.index as usize)
        } else {
            Err(Error::BadArgument("the handle belongs to another store".into()))
        }
    }
}

/// A handle of this store whose object is missing: objects are never
/// removed, so only a bug makes one.
fn dangling() -> Error {
    Error::internal("a handle of the store names no object of the store")
}

/// Accessors for one kind of object: `kind(h)`, `kind_mut(h)` (checking
/// the handle's store) and `push_kind(data)`.
macro_rules! accessors {
    ($field:ident, $handle:ident, $data:ident, $get:ident, $get_mut:ident, $push:ident) => {
        impl Store {
            pub(crate) fn $get(&self, h: $handle) -> Result<&$data, Error> {
                let i = self.resolve(h.0)?;
                self.$field.get(i).map(|o| &**o).ok_or_else(dangling)
            }

            #[allow(dead_code)] // not every kind is changed after creation
            pub(crate) fn $get_mut(&mut self, h: $handle) -> Result<&mut $data, Error> {
                let i = self.resolve(h.0)?;
                self.$field.get_mut(i).map(|o| &mut **o).ok_or_else(dangling)
            }

            /// Adds an object, built by `make` from its future handle.
            pub(crate) fn $push(&mut self, make: impl FnOnce($handle) -> $data) -> Result<$handle, Error> {
                let h = $handle(self.next_handle(self.$field.len())?);
                self.$field.push(Owned::new(make(h)));
                Ok(h)
            }
        }
    };
}

accessors!(funcs, Func, FuncData, func, func_mut, push_func);
accessors!(memories, Memory, MemoryData, memory, memory_mut, push_memory);
accessors!(tables, Table, TableData, table, table_mut, push_table);
accessors!(globals, Global, GlobalData, global, global_mut, push_global);
accessors!(instances, Instance, InstanceData, instance, instance_mut, push_instance);
accessors!(tags, Tag, TagData, tag, tag_mut, push_tag);

/// Addresses of the records compiled code uses. They are projected from the
/// allocations' raw pointers (never from references), so they stay valid
/// for the store's lifetime whatever Rust borrows come and go (see
/// [`Owned`]).
impl Store {
    pub(crate) fn funcref_ptr(&self, f: Func) -> Result<*mut VMFuncRef, Error> {
        let i = self.resolve(f.0)?;
        Ok(FuncData::funcref_ptr(self.funcs.get(i).ok_or_else(dangling)?))
    }

    pub(crate) fn vm_memory_ptr(&self, m: Memory) -> Result<*mut VMMemory, Error> {
        let i = self.resolve(m.0)?;
        let owned = self.memories.get(i).ok_or_else(dangling)?;
        // SAFETY: `as_ptr` is a live allocation; `addr_of_mut!` projects to
        // a field without creating a reference.
        Ok(unsafe { std::ptr::addr_of_mut!((*owned.as_ptr()).vm) })
    }

    pub(crate) fn vm_table_ptr(&self, t: Table) -> Result<*mut VMTable, Error> {
        let i = self.resolve(t.0)?;
        let owned = self.tables.get(i).ok_or_else(dangling)?;
        // SAFETY: as in `vm_memory_ptr`.
        Ok(unsafe { std::ptr::addr_of_mut!((*owned.as_ptr()).vm) })
    }

    pub(crate) fn vm_tag_ptr(&self, t: Tag) -> Result<*const VMTag, Error> {
        let i = self.resolve(t.0)?;
        let owned = self.tags.get(i).ok_or_else(dangling)?;
        // SAFETY: as in `vm_memory_ptr`.
        Ok(unsafe { std::ptr::addr_of!((*owned.as_ptr()).vm) })
    }

    pub(crate) fn vm_global_ptr(&self, g: Global) -> Result<*mut VMGlobal, Error> {
        let i = self.resolve(g.0)?;
        let owned = self.globals.get(i).ok_or_else(dangling)?;
        // SAFETY: as in `vm_memory_ptr`.
        Ok(unsafe { std::ptr::addr_of_mut!((*owned.as_ptr()).vm) })
    }
}

/// Two distinct elements of `items`, both mutable.
pub(crate) fn pair_mut<T>(items: &mut [T], a: usize, b: usize) -> Option<(&mut T, &mut T)> {
    if a == b || a >= items.len() || b >= items.len() {
        return None;
    }
    if a < b {
        let (low, high) = items.split_at_mut(b);
        Some((&mut low[a], &mut high[0]))
    } else {
        let (low, high) = items.split_at_mut(a);
        Some((&mut high[0], &mut low[b]))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.activations.depth() > 0 {
            // Only possible if a host function replaced the store it was
            // given (`mem::replace` on `Caller::store()`) and dropped the
            // old one while WebAssembly frames using it are still on the
            // stack. Those frames hold raw pointers into these objects, so
            // leak them rather than free them under running code.
            std::mem::forget(std::mem::take(&mut self.funcs));
            std::mem::forget(std::mem::take(&mut self.memories));
            std::mem::forget(std::mem::take(&mut self.tables));
            std::mem::forget(std::mem::take(&mut self.globals));
            std::mem::forget(std::mem::take(&mut self.instances));
            std::mem::forget(std::mem::take(&mut self.tags));
            std::mem::forget(std::mem::take(&mut self.exceptions));
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.id)
            .field("funcs", &self.funcs.len())
            .field("memories", &self.memories.len())
            .field("tables", &self.tables.len())
            .field("globals", &self.globals.len())
            .field("instances", &self.instances.len())
            .finish_non_exhaustive()
    }
}
