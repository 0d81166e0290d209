//! The one engine every module and instance of the NIF shares.

use std::sync::OnceLock;
use wasmbeam_runtime::{Config, Engine};

/// Memory an instance may have unless its options say otherwise: 1 GiB.
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 1 << 30;

/// Bytes of native stack a call may use (the default, and the most an
/// instance's `stack_limit` option may ask for). A BEAM scheduler thread
/// has 1 MiB by default; the runtime also keeps the limit clear of the end
/// of smaller stacks.
pub const MAX_WASM_STACK: usize = 512 * 1024;

/// The engine: code with reduction counting (so every call can be sliced
/// and suspended), compiled for this machine, without the IR verifier.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let config = Config { verify: false, reductions: true, max_wasm_stack: MAX_WASM_STACK, ..Config::default() };
        // An engine for the host with the default settings always builds;
        // if it did not, nothing could run, and the NIF's load would fail
        // on the first use anyway (the panic is caught at the NIF entry).
        Engine::new(config).expect("the host engine builds")
    })
}
