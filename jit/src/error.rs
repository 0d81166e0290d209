//! Why a module could not be compiled.

/// Everything that can go wrong between bytes and machine code. Each variant
/// names what is wrong; none of them is a bug in wasmbeam except
/// [`CompileError::Internal`].
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
    /// A bug in wasmbeam: Cranelift rejected the code we produced, or the
    /// translator broke one of its own invariants. `func_index` is the
    /// module-wide index of the function being compiled, if it was one
    /// (not a trampoline or the code loader).
    #[error("internal compiler error{}: {message}", in_function(*func_index))]
    Internal { func_index: Option<u32>, message: String },
    /// Code read back from bytes (see [`crate::CodeImage`]) does not hold
    /// together: an offset or relocation outside the code, or referring to
    /// something that does not exist.
    #[error("corrupt compiled code: {0}")]
    BadImage(String),
    /// Executable memory could not be allocated.
    #[error("out of executable memory: {0}")]
    CodeMemory(String),
}

impl From<wasmparser::BinaryReaderError> for CompileError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        CompileError::Invalid { message: e.message().to_string(), offset: e.offset() as usize }
    }
}

/// " in function N", or nothing, for [`CompileError::Internal`]'s message.
fn in_function(func_index: Option<u32>) -> String {
    func_index.map(|i| format!(" in function {i}")).unwrap_or_default()
}
