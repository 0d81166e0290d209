//! [`Features`]: which WebAssembly proposals beyond 2.0 modules may use.

use wasmparser::WasmFeatures;

/// The WebAssembly proposals a module may use, on top of WebAssembly 2.0
/// (SIMD, part of 2.0, can be turned off too). A module using one that is off is refused by
/// validation, as a 2.0 engine would refuse it. The default is every
/// proposal wasmbeam implements ([`Features::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Features {
    /// Integer `add`, `sub` and `mul` in constant expressions.
    pub extended_const: bool,
    /// More than one memory, and a memory index on every memory operator.
    pub multi_memory: bool,
    /// `return_call` and `return_call_indirect`.
    pub tail_call: bool,
    /// Memories indexed by `i64` addresses.
    pub memory64: bool,
    /// Exception handling: tags, `throw`, `throw_ref`, `try_table` and
    /// `exnref` (the standardized form; the legacy `try`/`catch`/`delegate`
    /// is refused as invalid either way).
    pub exceptions: bool,
    /// Typed function references: `call_ref`, `return_call_ref`,
    /// `ref.as_non_null`, `br_on_null`, `br_on_non_null`, and reference
    /// types that are not nullable or name a function type.
    pub function_references: bool,
    /// 128-bit SIMD (`v128` and its fixed-width instructions), part of
    /// WebAssembly 2.0.
    pub simd: bool,
    /// Relaxed SIMD: the instructions whose result may depend on the
    /// hardware, with one documented choice each (the same on every
    /// architecture wasmbeam targets).
    pub relaxed_simd: bool,
}

impl Features {
    /// WebAssembly 2.0 (SIMD included), and nothing else.
    pub const WASM2: Features = Features {
        extended_const: false,
        multi_memory: false,
        tail_call: false,
        memory64: false,
        exceptions: false,
        function_references: false,
        simd: true,
        relaxed_simd: false,
    };

    /// Everything wasmbeam implements.
    pub const ALL: Features = Features {
        extended_const: true,
        multi_memory: true,
        tail_call: true,
        memory64: true,
        exceptions: true,
        function_references: true,
        simd: true,
        relaxed_simd: true,
    };

    /// The validator's and parser's settings for these features.
    pub fn wasmparser(self) -> WasmFeatures {
        let mut features = WasmFeatures::WASM2;
        features.set(WasmFeatures::SIMD, self.simd);
        features.set(WasmFeatures::RELAXED_SIMD, self.simd && self.relaxed_simd);
        features.set(WasmFeatures::EXTENDED_CONST, self.extended_const);
        features.set(WasmFeatures::MULTI_MEMORY, self.multi_memory);
        features.set(WasmFeatures::TAIL_CALL, self.tail_call);
        features.set(WasmFeatures::MEMORY64, self.memory64);
        features.set(WasmFeatures::EXCEPTIONS, self.exceptions);
        features.set(WasmFeatures::LEGACY_EXCEPTIONS, false);
        features.set(WasmFeatures::FUNCTION_REFERENCES, self.function_references);
        features
    }
}

impl Default for Features {
    fn default() -> Self {
        Features::ALL
    }
}
