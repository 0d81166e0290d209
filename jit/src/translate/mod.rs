//! WebAssembly operators to Cranelift IR, one function at a time.

use crate::error::CompileError;
use crate::module_info::ModuleInfo;
use cranelift_codegen::ir;
use cranelift_codegen::isa::TargetIsa;

pub struct FuncTranslator {}

impl FuncTranslator {
    pub fn new() -> Self {
        FuncTranslator {}
    }

    pub fn translate(
        &mut self,
        _isa: &dyn TargetIsa,
        _info: &ModuleInfo,
        _type_ids: &[u32],
        _wasm: &[u8],
        _func_index: u32,
        _func: &mut ir::Function,
    ) -> Result<(), CompileError> {
        todo!()
    }
}
