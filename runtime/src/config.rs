//! [`Config`]: the settings of an [`crate::Engine`].

use wasmbeam_jit::{Features, OptLevel, Target};

/// Engine settings. Fixed once the engine is built.
#[derive(Debug, Clone)]
pub struct Config {
    /// The machine to compile for. Only code for the host can be
    /// instantiated; other targets compile only.
    pub target: Target,
    pub opt_level: OptLevel,
    /// Run Cranelift's IR verifier on every function (slow; for tests).
    pub verify: bool,
    /// Compile reduction counting and resume points (default on), so that
    /// calls can be sliced, suspended and resumed. Off gives slightly faster
    /// code whose calls always run to completion.
    pub reductions: bool,
    /// Bytes of native stack WebAssembly may use per call from the embedder
    /// (default 512 KiB). Nested calls (a host function calling back into
    /// WebAssembly) share the budget of the outermost call.
    pub max_wasm_stack: usize,
    /// Upper bound on any memory's pages (default 65536 = 4 GiB).
    pub max_memory_pages: u64,
    /// Upper bound on any table's elements (default 10_000_000).
    pub max_table_elements: u64,
    /// Upper bound on the bytes one suspended [`crate::Call`] may keep as
    /// its continuation (the saved frames; default 64 MiB). A call nested
    /// so deeply that suspending it would need more traps with "call stack
    /// exhausted" instead of suspending.
    pub max_continuation_bytes: usize,
    /// Bytes left free before each compiled function (default 0; see
    /// `wasmbeam_jit::CompileOptions::code_offset`). For benchmarks that
    /// average over where code lands.
    pub code_offset: usize,
    /// Threads that compile a module's functions at once (default 0: one
    /// per core). The code is the same for any number.
    pub compile_threads: usize,
    /// Modules whose function bodies take more than this many bytes are
    /// compiled lazily: each function when it is first called (see
    /// [`crate::Module::new`]). `Some(0)`: every module; `None`: none.
    /// Default [`DEFAULT_LAZY_THRESHOLD`].
    pub lazy_threshold: Option<usize>,
    /// A directory where modules compiled whole are saved, and loaded from
    /// instead of compiling them again (default `None`: no cache; see
    /// `module/cache.rs`). Entries are named by the module's hash and the
    /// engine's settings; damaged or foreign ones are compiled again.
    ///
    /// Loading an entry runs its machine code: only name a directory that
    /// nobody but the programs you run can write to.
    pub cache_dir: Option<std::path::PathBuf>,
    /// The WebAssembly 3.0 proposals modules may use (default: all that
    /// wasmbeam implements); a module using another is refused as invalid.
    pub features: Features,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            target: Target::Host,
            opt_level: OptLevel::Speed,
            verify: cfg!(debug_assertions),
            reductions: true,
            max_wasm_stack: 512 * 1024,
            max_memory_pages: 65536,
            max_table_elements: 10_000_000,
            max_continuation_bytes: 64 << 20,
            code_offset: 0,
            compile_threads: 0,
            lazy_threshold: Some(DEFAULT_LAZY_THRESHOLD),
            cache_dir: None,
            features: Features::ALL,
        }
    }
}

/// Bytes of function bodies above which modules compile lazily by default:
/// 1 MiB of code, which takes about 5 s to compile on one core with
/// reductions (about 200 KiB of WebAssembly per second). Below it, eager
/// compiling on all cores stays around a second or less, and every call
/// runs at full speed from the start; above it, most programs call a small
/// part of their code in a given run (GCC's cc1 or CPython, tens of MB).
pub const DEFAULT_LAZY_THRESHOLD: usize = 1 << 20;
