//! [`StoreLimits`]: per-store resource limits, within the engine's.

use crate::config::Config;

/// Resource limits of one [`crate::Store`]. A store starts with its
/// engine's limits ([`Config`]); [`crate::Store::set_limits`] may lower
/// them, never raise them: every field is capped by the engine's value.
///
/// Memories and tables take their effective maximum when they are created,
/// so limits set after an object was made do not shrink what it may grow to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Upper bound on any memory's pages.
    pub max_memory_pages: u64,
    /// Upper bound on any table's elements.
    pub max_table_elements: u64,
    /// Bytes of native stack WebAssembly may use per call from the embedder.
    pub max_wasm_stack: usize,
    /// Upper bound on the bytes of one suspended call's continuation.
    pub max_continuation_bytes: usize,
}

impl StoreLimits {
    /// The limits an engine built with `config` allows.
    pub fn of(config: &Config) -> StoreLimits {
        StoreLimits {
            max_memory_pages: config.max_memory_pages,
            max_table_elements: config.max_table_elements,
            max_wasm_stack: config.max_wasm_stack,
            max_continuation_bytes: config.max_continuation_bytes,
        }
    }

    /// Each field of `self` capped by the same field of `bound`.
    pub(crate) fn within(self, bound: StoreLimits) -> StoreLimits {
        StoreLimits {
            max_memory_pages: self.max_memory_pages.min(bound.max_memory_pages),
            max_table_elements: self.max_table_elements.min(bound.max_table_elements),
            max_wasm_stack: self.max_wasm_stack.min(bound.max_wasm_stack),
            max_continuation_bytes: self.max_continuation_bytes.min(bound.max_continuation_bytes),
        }
    }
}
