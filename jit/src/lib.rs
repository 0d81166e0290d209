//! wasmbeam-jit: validates WebAssembly 2.0 (scalar) modules and compiles them
//! to native code with Cranelift.
//!
//! Data flows `parse` (bytes -> [`ModuleInfo`]) -> `translate` (one function's
//! operators -> Cranelift IR) -> `compile` (IR -> machine code in
//! [`CodeMemory`]). This crate knows the layout of the data compiled code
//! touches ([`vm`]) but nothing of instances: the runtime builds those.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod abi;
mod code_memory;
mod compile;
mod compiled;
mod error;
mod features;
mod lazy;
pub mod limits;
mod link;
mod module_info;
mod parallel;
mod parse;
pub mod perf_map;
mod resume;
mod translate;
pub mod vm;

pub use code_memory::CodeMemory;
pub use compile::{CompileOptions, CompiledTrampolines, Compiler, OptLevel, Target};
pub use compiled::{CodeImage, CompiledModule};
pub use error::CompileError;
pub use features::Features;
pub use lazy::LazyCode;
pub use link::{RelocKind, RelocTarget, Relocation, RoundingCall};
pub use module_info::*;
pub use parse::{features, parse, parse_with};
pub use resume::{
    ResumeKind, ResumePoint, RECORD_HEADER_SIZE, RECORD_HEADER_WORD, RECORD_VMCTX_WORD, STUB_RESUME_POINT,
};

/// Translates one function to Cranelift IR (for tools that inspect the IR).
pub fn translate_function(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    info: &ModuleInfo,
    wasm: &[u8],
    func_index: u32,
    reductions: bool,
    func: &mut cranelift_codegen::ir::Function,
) -> Result<Vec<ResumePoint>, CompileError> {
    let entry_checks = if reductions { Some(translate::CallGraph::scan(info, wasm)?) } else { None };
    translate::FuncTranslator::new().translate(isa, info, wasm, func_index, entry_checks.as_ref(), func)
}

/// Identifies the code generator: a hash of this crate's sources and of
/// the locked versions of its dependencies (see `build.rs`). Code compiled
/// by a build with another id may assume another data layout.
pub const CODEGEN_ID: &str = env!("WASMBEAM_CODEGEN_ID");
