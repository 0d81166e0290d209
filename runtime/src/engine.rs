//! [`Engine`]: configuration, the compiler, engine-wide type ids, and the
//! cache of per-type trampolines.

use crate::config::Config;
use crate::error::Error;
use crate::type_registry::TypeRegistry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use wasmbeam_jit::{CompileOptions, CompiledTrampolines, Compiler, FuncType};

/// Compiles modules and owns what all their instances share. Cheap to clone
/// (an `Arc`); `Send + Sync`. Modules and stores belong to one engine:
/// type ids, and therefore `call_indirect` checks, are only meaningful
/// within it.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    compiler: Compiler,
    types: TypeRegistry,
    /// Entry trampoline and host stub per type id, compiled on first use and
    /// kept for the engine's lifetime (function pointers into them are
    /// stored in `VMFuncRef`s).
    trampolines: Mutex<HashMap<u32, Arc<CompiledTrampolines>>>,
}

impl Engine {
    pub fn new(config: Config) -> Result<Engine, Error> {
        let compiler = Compiler::new(&CompileOptions {
            target: config.target,
            opt_level: config.opt_level,
            verify: config.verify,
            reductions: config.reductions,
            code_offset: config.code_offset,
            threads: config.compile_threads,
        })?;
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config,
                compiler,
                types: TypeRegistry::default(),
                trampolines: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether code compiled by this engine can run on this machine (only
    /// then can modules be instantiated).
    pub fn is_executable(&self) -> bool {
        self.inner.compiler.is_executable()
    }

    /// Whether `a` and `b` are the same engine (clones of one another).
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    pub(crate) fn compiler(&self) -> &Compiler {
        &self.inner.compiler
    }

    /// The engine-wide id of `ty`.
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        self.inner.types.intern(ty)
    }

    /// The trampolines of the type registered as `type_id`, compiled on
    /// first use.
    pub(crate) fn trampolines(&self, type_id: u32) -> Result<Arc<CompiledTrampolines>, Error> {
        // The map is only ever inserted into after a successful compile, so
        // it is consistent even if a compile panicked while locked.
        let mut cache = self.inner.trampolines.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(t) = cache.get(&type_id) {
            return Ok(t.clone());
        }
        let ty = self
            .inner
            .types
            .get(type_id)
            .ok_or_else(|| Error::internal(format!("unknown function type id {type_id}")))?;
        let compiled = Arc::new(self.inner.compiler.compile_trampolines(&ty)?);
        cache.insert(type_id, compiled.clone());
        Ok(compiled)
    }
}

impl Default for Engine {
    /// An engine with the default [`Config`].
    ///
    /// # Panics
    /// If the host machine is not a target Cranelift supports (then nothing
    /// in this crate can run); use [`Engine::new`] to handle that as an
    /// error.
    fn default() -> Self {
        match Engine::new(Config::default()) {
            Ok(engine) => engine,
            Err(e) => panic!("wasmbeam cannot run on this machine: {e}"),
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

// The engine's only mutable state, the type registry and the trampoline
// cache, is consistent at every point a panic could interrupt it (see
// `TypeRegistry::intern` and `Engine::trampolines`), so using an engine
// after a caught panic is fine.
impl std::panic::UnwindSafe for Engine {}
impl std::panic::RefUnwindSafe for Engine {}
