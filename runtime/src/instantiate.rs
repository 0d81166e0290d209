//! Instantiation, in the order WebAssembly 2.0 prescribes: check the
//! imports, create the instance's functions, globals, tables and memories,
//! lay out its vmctx, apply the active element then data segments, run the
//! start function.
//!
//! A trap while applying segments or in the start function fails
//! instantiation with [`Error::Trap`], but what was already written to
//! imported tables and memories stays written (as the specification
//! requires), and the half-made instance stays in the store, unreachable.

use crate::builtins::BUILTINS;
use crate::const_expr::{eval, eval_global, eval_offset, ConstEnv};
use crate::engine::Engine;
use crate::error::{Error, Trap};
use crate::external::Extern;
use crate::func::{DefinedIn, Func, FuncData};
use crate::global::GlobalData;
use crate::host::HostImport;
use crate::instance::{Instance, InstanceData};
use crate::memory::MemoryData;
use crate::module::Module;
use crate::owned::Owned;
use crate::store::Store;
use crate::table::TableData;
use wasmbeam_jit::vm::{VMBuiltins, VMFuncRef, VMOffsets};
use wasmbeam_jit::{ConstExpr, DataMode, ElementMode, ExportKind};

/// Instantiates `module` in `store` with `imports` in the module's import
/// order, and runs its start function.
pub(crate) fn instantiate(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance, Error> {
    let (instance, start) = instantiate_without_start(store, module, imports)?;
    if let Some(start) = start {
        crate::call::call(store, start, &[])?;
    }
    Ok(instance)
}

/// Instantiates `module` up to (not including) running its start function,
/// which it returns for the caller to run.
pub(crate) fn instantiate_without_start(
    store: &mut Store,
    module: &Module,
    imports: &[Extern],
) -> Result<(Instance, Option<Func>), Error> {
    if module.compiled().max_record_size() > store.max_record_size {
        store.max_record_size = module.compiled().max_record_size();
        crate::call::activation::ensure_record_room(store).map_err(|stop| stop.into_error(false))?;
    }
    check_module(store, module)?;
    check_imports(store, module, imports)?;
    let offsets = module.info().vm_offsets();
    let vmctx = Owned::from_box(vec![0u64; offsets.size() as usize / 8].into_boxed_slice());
    let vmctx_ptr = vmctx.as_ptr().cast::<u64>();
    let store_id = store.id();
    let instance = store.push_instance(|h| InstanceData {
        index: h.0.index,
        store: store_id,
        module: module.clone(),
        vmctx,
        funcs: Vec::new(),
        memories: Vec::new(),
        tables: Vec::new(),
        globals: Vec::new(),
        tags: Vec::new(),
        host_imports: Vec::new(),
        exports: Vec::new(),
        elements: Vec::new(),
        data_dropped: Vec::new(),
    })?;
    let mut builder = Builder { store, module, instance, vmctx: vmctx_ptr, funcrefs: Vec::new(), globals: Vec::new() };
    builder.create_funcs(imports)?;
    builder.create_globals(imports)?;
    builder.create_tables(imports)?;
    builder.create_memories(imports)?;
    builder.create_tags(imports)?;
    builder.fill_vmctx()?;
    builder.collect_exports()?;
    builder.apply_elements()?;
    builder.apply_data()?;
    let start = builder.start_func()?;
    Ok((instance, start))
}

fn check_module(store: &Store, module: &Module) -> Result<(), Error> {
    if !Engine::same(store.engine(), module.engine()) {
        return Err(Error::BadArgument("the module was compiled by another engine than the store's".into()));
    }
    if !store.engine().is_executable() {
        return Err(Error::BadArgument(format!(
            "the module was compiled for another target ({:?}) and cannot be instantiated on this machine",
            store.engine().config().target
        )));
    }
    Ok(())
}

/// Import matching: every import must come from this store and have a
/// type that satisfies the declared one.
fn check_imports(store: &Store, module: &Module, imports: &[Extern]) -> Result<(), Error> {
    let declared = module.info().imports.len();
    if imports.len() != declared {
        return Err(Error::BadArgument(format!("the module has {declared} imports, {} were given", imports.len())));
    }
    for ((m, n, expected), actual) in module.imports().zip(imports) {
        if actual.store_id() != store.id() {
            return Err(Error::BadArgument(format!("import `{m}` `{n}` belongs to another store")));
        }
        let actual_ty = actual.ty(store)?;
        if !expected.accepts(&actual_ty) {
            return Err(Error::Link(format!(
                "incompatible import type for `{m}` `{n}`: expected {expected}, found {actual_ty}"
            )));
        }
    }
    Ok(())
}

/// An error for what validation rules out (a bug if it happens): reported
/// rather than panicking.
fn inconsistent(what: &str) -> Error {
    Error::internal(format!("the validated module is inconsistent: {what}"))
}

struct Builder<'a> {
    store: &'a mut Store,
    module: &'a Module,
    instance: Instance,
    /// The instance's vmctx words.
    vmctx: *mut u64,
    /// Raw funcref of each function of the instance, imports first.
    funcrefs: Vec<u64>,
    /// Raw value of each global created so far, imports first.
    globals: Vec<u128>,
}

impl Builder<'_> {
    fn data(&mut self) -> Result<&mut InstanceData, Error> {
        self.store.instance_mut(self.instance)
    }

    fn env(&self) -> ConstEnv<'_> {
        ConstEnv { funcrefs: &self.funcrefs, globals: &self.globals }
    }

    fn eval(&self, expr: &ConstExpr) -> Result<u64, Error> {
        eval(expr, &self.env()).ok_or_else(|| inconsistent("constant expression refers to a missing item"))
    }

    fn eval_offset(&self, expr: &ConstExpr) -> Result<u64, Error> {
        eval_offset(expr, &self.env()).ok_or_else(|| inconsistent("constant expression refers to a missing item"))
    }

    /// Imported functions (host ones get a per-instance funcref) and one
    /// `FuncData` per defined function, bound to this instance's vmctx.
    fn create_funcs(&mut self, imports: &[Extern]) -> Result<(), Error> {
        for import in imports {
            let Extern::Func(func) = *import else { continue };
            let raw = self.store.funcref_raw(func)?;
            let data = self.store.func(func)?;
            let raw = if data.host.is_some() {
                let import = HostImport::new(func, &data.vm, self.instance);
                let raw = HostImport::funcref_ptr(&import) as usize as u64;
                self.data()?.host_imports.push(import);
                raw
            } else {
                raw
            };
            self.funcrefs.push(raw);
            self.data()?.funcs.push(func);
        }
        let module = self.module;
        let info = module.info();
        let vmctx = self.vmctx.cast::<u8>();
        for defined in 0..info.num_defined_functions() {
            let index = info.num_imported_functions + defined;
            let type_index = *info.functions.get(index as usize).ok_or_else(|| inconsistent("function index"))?;
            let ty = module.func_type_arc(type_index).ok_or_else(|| inconsistent("type index"))?;
            let type_id = module.type_id(type_index).ok_or_else(|| inconsistent("type index"))?;
            let func_ptr = module
                .compiled()
                .function_ptr(defined)
                .ok_or_else(|| inconsistent("no native code for a defined function"))?;
            let func = self.store.push_func(|h| FuncData {
                vm: VMFuncRef { func_ptr, vmctx, type_id, embedder_index: h.0.index },
                words: wasmbeam_jit::abi::value_words(&ty),
                ty,
                host: None,
                defined_in: Some(DefinedIn { instance: self.instance, index }),
                trampolines: None,
            })?;
            self.funcrefs.push(self.store.funcref_ptr(func)? as usize as u64);
            self.data()?.funcs.push(func);
        }
        Ok(())
    }

    fn create_globals(&mut self, imports: &[Extern]) -> Result<(), Error> {
        for import in imports {
            let Extern::Global(global) = *import else { continue };
            self.globals.push(self.store.global(global)?.raw());
            self.data()?.globals.push(global);
        }
        let module = self.module;
        let info = module.info();
        for (i, init) in info.global_inits.iter().enumerate() {
            let index = info.num_imported_globals as usize + i;
            let ty = module.global_type(*info.globals.get(index).ok_or_else(|| inconsistent("global index"))?);
            let raw = eval_global(init, &self.env())
                .ok_or_else(|| inconsistent("constant expression refers to a missing item"))?;
            let global = self.store.push_global(|_| GlobalData::new(ty, raw))?;
            self.globals.push(raw);
            self.data()?.globals.push(global);
        }
        Ok(())
    }

    fn create_tables(&mut self, imports: &[Extern]) -> Result<(), Error> {
        for import in imports {
            let Extern::Table(table) = *import else { continue };
            self.data()?.tables.push(table);
        }
        let module = self.module;
        let info = module.info();
        for (i, init) in info.table_inits.iter().enumerate() {
            let index = info.num_imported_tables as usize + i;
            let ty = module.table_type(*info.tables.get(index).ok_or_else(|| inconsistent("table index"))?);
            let init = match init {
                Some(expr) => self.eval(expr)?,
                None => 0,
            };
            let data = TableData::new(ty, init, &self.store.limits())?;
            let table = self.store.push_table(|_| data)?;
            self.data()?.tables.push(table);
        }
        Ok(())
    }

    fn create_memories(&mut self, imports: &[Extern]) -> Result<(), Error> {
        for import in imports {
            let Extern::Memory(memory) = *import else { continue };
            self.data()?.memories.push(memory);
        }
        let module = self.module;
        let info = module.info();
        for ty in info.memories.iter().skip(info.num_imported_memories as usize) {
            let data = MemoryData::new(*ty, &self.store.limits())?;
            let memory = self.store.push_memory(|_| data)?;
            self.data()?.memories.push(memory);
        }
        Ok(())
    }

    fn create_tags(&mut self, imports: &[Extern]) -> Result<(), Error> {
        for import in imports {
            let Extern::Tag(tag) = *import else { continue };
            self.data()?.tags.push(tag);
        }
        let module = self.module;
        let info = module.info();
        for type_index in info.tags.iter().skip(info.num_imported_tags as usize) {
            let ty = module.func_type_arc(*type_index).ok_or_else(|| inconsistent("tag type index"))?;
            let tag = crate::tag::Tag::new(self.store, (*ty).clone())?;
            self.data()?.tags.push(tag);
        }
        Ok(())
    }

    /// Writes every vmctx word (see `VMOffsets`). Nothing writes them again.
    fn fill_vmctx(&mut self) -> Result<(), Error> {
        let offsets = self.module.info().vm_offsets();
        let mut words: Vec<(u32, u64)> = Vec::new();
        words.push((VMOffsets::BUILTINS, &BUILTINS as *const VMBuiltins as usize as u64));
        let owned = self
            .store
            .instances
            .get(self.instance.0.index as usize)
            .ok_or_else(|| inconsistent("instance vanished"))?;
        words.push((VMOffsets::EMBEDDER, owned.as_ptr() as usize as u64));
        for (i, raw) in self.funcrefs.iter().enumerate() {
            words.push((offsets.funcref(i as u32), *raw));
        }
        let data = self.store.instance(self.instance)?;
        for (i, m) in data.memories.iter().enumerate() {
            words.push((offsets.memory(i as u32), self.store.vm_memory_ptr(*m)? as usize as u64));
        }
        for (i, t) in data.tables.iter().enumerate() {
            words.push((offsets.table(i as u32), self.store.vm_table_ptr(*t)? as usize as u64));
        }
        for (i, g) in data.globals.iter().enumerate() {
            words.push((offsets.global(i as u32), self.store.vm_global_ptr(*g)? as usize as u64));
        }
        for (i, t) in data.tags.iter().enumerate() {
            words.push((offsets.tag(i as u32), self.store.vm_tag_ptr(*t)? as usize as u64));
        }
        let vmctx = &mut self.data()?.vmctx;
        for (offset, value) in words {
            let slot = vmctx.get_mut(offset as usize / 8).ok_or_else(|| inconsistent("vmctx layout"))?;
            *slot = value;
        }
        Ok(())
    }

    fn collect_exports(&mut self) -> Result<(), Error> {
        let module = self.module;
        let info = module.info();
        let data = self.data()?;
        let mut exports = Vec::with_capacity(info.exports.len());
        for export in &info.exports {
            let i = export.index as usize;
            let missing = || inconsistent("export index");
            exports.push(match export.kind {
                ExportKind::Func => Extern::Func(*data.funcs.get(i).ok_or_else(missing)?),
                ExportKind::Table => Extern::Table(*data.tables.get(i).ok_or_else(missing)?),
                ExportKind::Memory => Extern::Memory(*data.memories.get(i).ok_or_else(missing)?),
                ExportKind::Global => Extern::Global(*data.globals.get(i).ok_or_else(missing)?),
                ExportKind::Tag => Extern::Tag(*data.tags.get(i).ok_or_else(missing)?),
            });
        }
        data.exports = exports;
        Ok(())
    }

    /// Evaluates every element segment, then applies the active ones in
    /// order (`table.init` + `elem.drop`); declared ones are dropped at
    /// once, passive ones kept.
    fn apply_elements(&mut self) -> Result<(), Error> {
        // Globals may have been imported mutable; read them afresh.
        let data = self.store.instance(self.instance)?;
        let current: Result<Vec<u128>, Error> = data.globals.iter().map(|g| Ok(self.store.global(*g)?.raw())).collect();
        self.globals = current?;
        let module = self.module;
        let info = module.info();
        let mut segments = Vec::with_capacity(info.elements.len());
        for segment in &info.elements {
            segments.push(match segment.mode {
                ElementMode::Declared => None,
                _ => Some(segment.items.iter().map(|item| self.eval(item)).collect::<Result<Box<[u64]>, _>>()?),
            });
        }
        self.data()?.elements = segments;
        for (i, segment) in info.elements.iter().enumerate() {
            let ElementMode::Active { table, offset } = &segment.mode else { continue };
            // A 64-bit table's offset is an `i64`.
            let table64 = info.tables.get(*table as usize).is_some_and(|t| t.table64);
            let offset = if table64 { self.eval(offset)? } else { self.eval_offset(offset)? };
            let data = self.data()?;
            let table = *data.tables.get(*table as usize).ok_or_else(|| inconsistent("table index"))?;
            let items = data.elements.get_mut(i).and_then(Option::take).unwrap_or_default();
            self.store
                .table_mut(table)?
                .init(offset, &items, 0, items.len() as u64)
                .map_err(|code| Error::Trap(Trap::new(code)))?;
        }
        Ok(())
    }

    /// Applies the active data segments in order (`memory.init` +
    /// `data.drop`); passive ones are kept.
    fn apply_data(&mut self) -> Result<(), Error> {
        let module = self.module;
        let info = module.info();
        self.data()?.data_dropped = vec![false; info.data.len()];
        for (i, segment) in info.data.iter().enumerate() {
            let DataMode::Active { memory, offset } = &segment.mode else { continue };
            // A 64-bit memory's offset is an `i64`.
            let memory64 = info.memories.get(*memory as usize).is_some_and(|m| m.memory64);
            let offset = if memory64 { self.eval(offset)? } else { self.eval_offset(offset)? };
            let data = self.data()?;
            let memory = *data.memories.get(*memory as usize).ok_or_else(|| inconsistent("memory index"))?;
            if let Some(dropped) = data.data_dropped.get_mut(i) {
                *dropped = true;
            }
            let bytes = &segment.bytes;
            self.store
                .memory_mut(memory)?
                .init(offset, bytes, 0, bytes.len() as u64)
                .map_err(|code| Error::Trap(Trap::new(code)))?;
        }
        Ok(())
    }

    /// The module's start function, if it has one.
    fn start_func(&mut self) -> Result<Option<Func>, Error> {
        let Some(start) = self.module.info().start else { return Ok(None) };
        let func = *self.data()?.funcs.get(start as usize).ok_or_else(|| inconsistent("start function index"))?;
        Ok(Some(func))
    }
}
