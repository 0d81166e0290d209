//! Why a module could not be compiled.

/// Everything that can go wrong between bytes and machine code. Each variant
/// names what is wrong; none of them is a bug in wasmbeam except `Codegen`.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Malformed or invalid WebAssembly, as reported by the validator
    /// (message and byte offset).
    #[error("invalid module: {message} (at offset {offset:#x})")]
    Invalid { message: String, offset: usize },
    /// Valid WebAssembly that uses a feature wasmbeam does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The module is larger than the engine's explicit limits.
    #[error("limit exceeded: {count} {what} (at most {max})")]
    LimitExceeded { what: &'static str, count: usize, max: usize },
    /// The target is not supported or could not be configured.
    #[error("target: {0}")]
    Target(String),
    /// Cranelift rejected the code we produced: a bug in wasmbeam.
    #[error("code generation failed in function {func_index}: {message}")]
    Codegen { func_index: u32, message: String },
    /// Executable memory could not be allocated.
    #[error("out of executable memory: {0}")]
    CodeMemory(String),
}

impl From<wasmparser::BinaryReaderError> for CompileError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        CompileError::Invalid { message: e.message().to_string(), offset: e.offset() as usize }
    }
}
