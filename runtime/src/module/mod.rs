//! [`Module`]: a validated, compiled WebAssembly module.

mod cache;
mod serialize;

use crate::engine::Engine;
use crate::error::Error;
use crate::extern_type::ExternType;
use crate::fnv::Fnv64;
use std::collections::HashMap;
use std::sync::Arc;
use wasmbeam_jit::{
    CodeImage, CompiledModule, ExportKind, FuncType, GlobalType, ImportKind, ModuleInfo, ResumeKind, ResumePoint,
    TableType, ValType, STUB_RESUME_POINT,
};

/// When a module's functions are compiled (see [`Module::with_compilation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compilation {
    /// Lazily if the function bodies are larger than
    /// [`Config::lazy_threshold`](crate::Config::lazy_threshold), else whole.
    Auto,
    /// All functions now.
    Eager,
    /// Each function on its first call.
    Lazy,
}

/// A compiled module. Cheap to clone (an `Arc`); `Send + Sync`; can be
/// instantiated any number of times in stores of the engine that compiled
/// it. Instances keep their module, and so its code, alive.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    engine: Engine,
    /// The module's bytes (what [`Module::serialize`] saves with the code).
    wasm: Box<[u8]>,
    info: ModuleInfo,
    compiled: CompiledModule,
    /// Engine-wide id of each of the module's type indices.
    type_ids: Box<[u32]>,
    /// Each of the module's types in its engine-wide form: concrete
    /// reference types name engine-wide type ids (see [`canonical_types`]).
    types: Box<[Arc<FuncType>]>,
    /// Export name -> index into `info.exports`.
    export_index: HashMap<String, u32>,
    /// FNV-1a 64 of the module's bytes: identifies the module across
    /// processes (see `Call::to_bytes`).
    fingerprint: u64,
    /// For a lazily compiled module, by type index: the layout of the
    /// record a stub saves (all the arguments; see `call/lazy.rs`).
    stub_points: Box<[ResumePoint]>,
}

impl Module {
    /// Validates and compiles a module in the binary format (the text
    /// format is not accepted here). For a non-host target this only
    /// compiles: such a module cannot be instantiated.
    ///
    /// Modules whose function bodies are larger than
    /// [`Config::lazy_threshold`](crate::Config::lazy_threshold) are
    /// compiled lazily: this only validates them, and each function is
    /// compiled when it is first called (see [`Module::is_lazy`]).
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<Module, Error> {
        Module::with_compilation(engine, wasm, Compilation::Auto)
    }

    /// As [`Module::new`], with the choice between compiling the whole
    /// module now and compiling each function on its first call made by
    /// `how` rather than by the module's size. Code for another machine
    /// is always compiled whole.
    ///
    /// With [`Config::cache_dir`](crate::Config::cache_dir) set, a module
    /// found in the cache is loaded instead (unless `how` is
    /// [`Compilation::Lazy`]), and a module compiled whole is saved there.
    pub fn with_compilation(engine: &Engine, wasm: &[u8], how: Compilation) -> Result<Module, Error> {
        let cached = match &engine.config().cache_dir {
            Some(dir) if engine.is_executable() && how != Compilation::Lazy => Some(cache::entry(dir, engine, wasm)),
            _ => None,
        };
        if let Some(module) = cached.as_deref().and_then(|path| cache::load(engine, path, wasm)) {
            return Ok(module);
        }
        let module = Module::compile(engine, wasm, how)?;
        if let Some(path) = cached.filter(|_| !module.is_lazy()) {
            cache::store(&module, &path);
        }
        Ok(module)
    }

    fn compile(engine: &Engine, wasm: &[u8], how: Compilation) -> Result<Module, Error> {
        let info = wasmbeam_jit::parse_with(wasm, engine.config().features)?;
        let (types, type_ids) = canonical_types(engine, &info)?;
        let body_bytes: usize = info.bodies.iter().map(|b| b.len()).sum();
        let lazy = engine.is_executable()
            && match how {
                Compilation::Auto => engine.config().lazy_threshold.is_some_and(|t| body_bytes > t),
                Compilation::Eager => false,
                Compilation::Lazy => true,
            };
        let compiler = engine.compiler();
        let compiled = if lazy {
            CompiledModule::lazy(compiler.compile_lazy(&info, wasm, &type_ids)?, compiler.has_reductions())
        } else {
            compiler.compile_module(&info, wasm, &type_ids)?
        };
        Ok(Module::assemble(engine, wasm, info, compiled, types, type_ids))
    }

    /// Whether the module compiles its functions when they are first
    /// called. A call that reaches a function not compiled yet compiles it
    /// first (in [`crate::Func::call`], and by default in
    /// [`crate::Call::step`]), or suspends to let the embedder compile it
    /// elsewhere (see [`crate::Call::defer_compiles`]).
    pub fn is_lazy(&self) -> bool {
        self.inner.compiled.lazy_code().is_some()
    }

    /// For a lazily compiled module: how many of its functions are
    /// compiled so far (`None` for a module compiled whole).
    pub fn functions_compiled(&self) -> Option<usize> {
        self.inner.compiled.lazy_code().map(|lazy| lazy.functions_compiled())
    }

    /// Resume point `point` of the module's function `func` (module-wide
    /// index), if the function is defined here and has that point: one of
    /// its code's, or the record of its stub ([`STUB_RESUME_POINT`]) in a
    /// lazily compiled module.
    pub(crate) fn resume_point(&self, func: u32, point: u32) -> Option<&ResumePoint> {
        let info = &self.inner.info;
        let defined = func.checked_sub(info.num_imported_functions)?;
        if point == STUB_RESUME_POINT {
            let type_index = *info.functions.get(func as usize)?;
            return self.inner.stub_points.get(type_index as usize);
        }
        self.inner.compiled.resume_points(defined).get(point as usize)
    }

    /// Compiles the function exported as `name` (and what must come with
    /// it), for a lazily compiled module: what its first call would do,
    /// done ahead. Returns how many functions that compiled (0 if it was
    /// compiled already, or the module is compiled whole, or the export is
    /// an imported function). [`Error::BadArgument`] if there is no such
    /// exported function.
    pub fn compile_export(&self, name: &str) -> Result<usize, Error> {
        let info = &self.inner.info;
        let export = self
            .export_index(name)
            .and_then(|i| info.exports.get(i))
            .filter(|e| e.kind == ExportKind::Func)
            .ok_or_else(|| Error::BadArgument(format!("no exported function named `{name}`")))?;
        let Some(defined) = export.index.checked_sub(info.num_imported_functions) else { return Ok(0) };
        let before = self.functions_compiled().unwrap_or(0);
        self.compile_function(defined)?;
        Ok(self.functions_compiled().unwrap_or(0) - before)
    }

    /// Whether defined function `defined` has its code (always, but in a
    /// lazily compiled module).
    pub(crate) fn is_compiled(&self, defined: u32) -> bool {
        self.inner.compiled.lazy_code().is_none_or(|lazy| lazy.is_compiled(defined))
    }

    /// Compiles defined function `defined` (its index among the module's
    /// own functions) of a lazily compiled module, if it is not compiled
    /// yet; for other modules, nothing to do. Any number of threads may
    /// call this at once: each function is compiled once.
    pub fn compile_function(&self, defined: u32) -> Result<(), Error> {
        let Some(lazy) = self.inner.compiled.lazy_code() else { return Ok(()) };
        let compiler = self.inner.engine.compiler();
        Ok(compiler.compile_lazily(lazy, &self.inner.info, &self.inner.wasm, defined)?)
    }

    /// A module of `wasm` (validated again here) whose code is `image`,
    /// read back from bytes by [`Module::deserialize`].
    fn from_image(engine: &Engine, wasm: &[u8], image: CodeImage) -> Result<Module, Error> {
        let info = wasmbeam_jit::parse_with(wasm, engine.config().features)?;
        let functions = info.num_defined_functions() as usize;
        if image.offsets.len() != functions {
            return Err(Error::BadArgument(format!(
                "cannot load the serialized module: code for {} functions, the module defines {functions}",
                image.offsets.len()
            )));
        }
        let (types, type_ids) = canonical_types(engine, &info)?;
        let compiled = engine.compiler().load(image, &type_ids).map_err(|e| match e {
            wasmbeam_jit::CompileError::BadImage(message) => {
                Error::BadArgument(format!("cannot load the serialized module: {message}"))
            }
            other => other.into(),
        })?;
        Ok(Module::assemble(engine, wasm, info, compiled, types, type_ids))
    }

    fn assemble(
        engine: &Engine,
        wasm: &[u8],
        info: ModuleInfo,
        compiled: CompiledModule,
        types: Box<[Arc<FuncType>]>,
        type_ids: Box<[u32]>,
    ) -> Module {
        compiled.record_in_perf_map(&info, wasm);
        let export_index = info.exports.iter().enumerate().map(|(i, e)| (e.name.clone(), i as u32)).collect();
        let fingerprint = Fnv64::of(wasm);
        let stub_points: Box<[ResumePoint]> = match compiled.lazy_code() {
            Some(_) => info
                .types
                .iter()
                .map(|ty| ResumePoint {
                    kind: ResumeKind::Uncompiled,
                    // Records hold representations (see `ValType::repr`).
                    slots: ty.params.iter().map(|t| t.repr()).collect(),
                    callee_type: None,
                    area: Box::new([]),
                })
                .collect(),
            None => Box::new([]),
        };
        Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                wasm: wasm.into(),
                info,
                compiled,
                type_ids,
                types,
                export_index,
                fingerprint,
                stub_points,
            }),
        }
    }

    /// The module's WebAssembly bytes.
    pub fn wasm(&self) -> &[u8] {
        &self.inner.wasm
    }

    /// Every import, in order: `(module, name, type)`.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, ExternType)> + '_ {
        let info = &self.inner.info;
        info.imports.iter().map(move |import| {
            let ty = match &import.kind {
                ImportKind::Func(t) => ExternType::Func(self.func_type(*t)),
                ImportKind::Table(t) => ExternType::Table(self.table_type(*t)),
                ImportKind::Memory(t) => ExternType::Memory(*t),
                ImportKind::Global(t) => ExternType::Global(self.global_type(*t)),
                ImportKind::Tag(t) => ExternType::Tag(self.func_type(*t)),
            };
            (import.module.as_str(), import.name.as_str(), ty)
        })
    }

    /// Every export, in order: `(name, type)`.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternType)> + '_ {
        let info = &self.inner.info;
        info.exports.iter().map(move |export| {
            let i = export.index as usize;
            // The validator guarantees every export index is in range.
            let ty = match export.kind {
                ExportKind::Func => ExternType::Func(self.func_type(info.functions[i])),
                ExportKind::Table => ExternType::Table(self.table_type(info.tables[i])),
                ExportKind::Memory => ExternType::Memory(info.memories[i]),
                ExportKind::Global => ExternType::Global(self.global_type(info.globals[i])),
                ExportKind::Tag => ExternType::Tag(self.func_type(info.tags[i])),
            };
            (export.name.as_str(), ty)
        })
    }

    /// Bytes of machine code compiled for this module.
    pub fn code_size(&self) -> usize {
        self.inner.compiled.code_size()
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    pub(crate) fn compiled(&self) -> &CompiledModule {
        &self.inner.compiled
    }

    /// Engine-wide type ids of the module's types.
    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.inner.type_ids
    }

    /// The module's type `type_index` in engine-wide form (in range: the
    /// validator checks every type reference).
    pub(crate) fn func_type(&self, type_index: u32) -> FuncType {
        (*self.inner.types[type_index as usize]).clone()
    }

    /// The shared engine-wide form of type `type_index`, if in range.
    pub(crate) fn func_type_arc(&self, type_index: u32) -> Option<Arc<FuncType>> {
        self.inner.types.get(type_index as usize).cloned()
    }

    /// `ty`, of this module, in engine-wide form.
    pub(crate) fn canonical(&self, ty: ValType) -> ValType {
        ty.map_concrete(|index| self.inner.type_ids.get(index as usize).copied().unwrap_or(u32::MAX))
    }

    pub(crate) fn table_type(&self, ty: TableType) -> TableType {
        TableType { element: self.canonical(ty.element), ..ty }
    }

    pub(crate) fn global_type(&self, ty: GlobalType) -> GlobalType {
        GlobalType { content: self.canonical(ty.content), ..ty }
    }

    /// Engine-wide type id of the module's type index `type_index`.
    pub(crate) fn type_id(&self, type_index: u32) -> Option<u32> {
        self.inner.type_ids.get(type_index as usize).copied()
    }

    /// FNV-1a 64 of the module's bytes.
    pub(crate) fn fingerprint(&self) -> u64 {
        self.inner.fingerprint
    }

    /// Index into `info().exports` of the export called `name`.
    pub(crate) fn export_index(&self, name: &str) -> Option<usize> {
        self.inner.export_index.get(name).map(|&i| i as usize)
    }
}

/// A module's types in engine-wide form, and their ids.
type CanonicalTypes = (Box<[Arc<FuncType>]>, Box<[u32]>);

/// Each of `info`'s types in engine-wide form (a concrete reference type
/// names the engine-wide id of its type), and its id. Without recursive
/// type groups (GC), a type refers only to types before it, so one pass in
/// order does.
fn canonical_types(engine: &Engine, info: &ModuleInfo) -> Result<CanonicalTypes, Error> {
    let mut ids: Vec<u32> = Vec::with_capacity(info.types.len());
    let mut types = Vec::with_capacity(info.types.len());
    for (index, ty) in info.types.iter().enumerate() {
        if ty.max_concrete().is_some_and(|referred| referred as usize >= index) {
            return Err(Error::Compile(wasmbeam_jit::CompileError::Unsupported(
                "a type referring to itself or to a later type (recursive type groups, GC)".into(),
            )));
        }
        let canonical = ty.map_concrete(|referred| ids[referred as usize]);
        ids.push(engine.type_id(&canonical));
        types.push(Arc::new(canonical));
    }
    Ok((types.into(), ids.into()))
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("imports", &self.inner.info.imports.len())
            .field("exports", &self.inner.info.exports.len())
            .field("code_size", &self.code_size())
            .finish_non_exhaustive()
    }
}
