//! WebAssembly operators to Cranelift IR, one function at a time.
//!
//! [`FuncTranslator::translate`] sets up the function (signature, locals,
//! stack check, the function-level control frame); `operators.rs` holds the
//! one `match` over operators; `env.rs` everything that knows the runtime's
//! data layout; `control.rs` the control frames; `numeric.rs` the
//! arithmetic that needs explicit trap checks.

mod control;
mod env;
mod numeric;
mod operators;

use crate::abi::{self, POINTER};
use crate::error::CompileError;
use crate::limits;
use crate::module_info::{ModuleInfo, ValType};
use crate::resume::ResumePoint;
use control::{ControlFrame, FrameKind};
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlagsData, Value};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use env::FuncEnv;

/// Reusable translation state (allocations survive between functions).
pub struct FuncTranslator {
    fctx: FunctionBuilderContext,
}

impl Default for FuncTranslator {
    fn default() -> Self {
        Self::new()
    }
}

impl FuncTranslator {
    pub fn new() -> Self {
        FuncTranslator { fctx: FunctionBuilderContext::new() }
    }

    /// Translates defined function `func_index` (module-wide index) of `info`
    /// into `func`. The body must have passed validation.
    pub fn translate(
        &mut self,
        isa: &dyn TargetIsa,
        info: &ModuleInfo,
        type_ids: &[u32],
        wasm: &[u8],
        func_index: u32,
        reductions: bool,
        func: &mut ir::Function,
    ) -> Result<Vec<ResumePoint>, CompileError> {
        let _ = reductions;
        let ty = info.func_type(func_index).clone();
        func.signature = abi::wasm_signature(&ty);
        func.name = ir::UserFuncName::user(0, func_index);
        let defined = (func_index - info.num_imported_functions) as usize;
        let range = info.bodies[defined].clone();
        let body =
            wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(&wasm[range.clone()], range.start as u64));

        let mut b = FunctionBuilder::new(func, &mut self.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let params = b.block_params(entry).to_vec();
        let (vmctx, exec) = (params[0], params[1]);
        let (return_area, wasm_params) =
            if abi::uses_return_area(&ty) { (Some(params[2]), &params[3..]) } else { (None, &params[2..]) };

        let propagate_block = b.create_block();
        b.set_cold_block(propagate_block);
        let mut env = FuncEnv::new(&mut b, info, type_ids, isa.default_call_conv(), vmctx, exec, propagate_block);

        let mut locals = Vec::new();
        for (value, t) in wasm_params.iter().zip(ty.params.iter()) {
            let var = b.declare_var(abi::ir_type(*t));
            b.def_var(var, *value);
            locals.push(var);
        }
        for local in body.get_locals_reader()? {
            let (count, t) = local?;
            let t = crate::parse::val_type(t)?;
            for _ in 0..count {
                let var = b.declare_var(abi::ir_type(t));
                let zero = zero_value(&mut b, t);
                b.def_var(var, zero);
                locals.push(var);
            }
        }
        env.check_stack(&mut b);
        env.init_memory_cache(&mut b);

        let return_block = b.create_block();
        let result_types: Vec<ir::Type> = ty.results.iter().map(|t| abi::ir_type(*t)).collect();
        for t in &result_types {
            b.append_block_param(return_block, *t);
        }
        let mut translation = Translation {
            b,
            env,
            stack: Vec::new(),
            control: vec![ControlFrame {
                kind: FrameKind::Function,
                next: return_block,
                param_types: Vec::new(),
                result_types: result_types.clone(),
                height: 0,
                next_reachable: false,
            }],
            locals,
            reachable: true,
            dead_depth: 0,
        };

        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            translation.operator(op)?;
            if translation.control.len() > limits::MAX_CONTROL_DEPTH {
                return Err(CompileError::LimitExceeded {
                    what: "nested blocks",
                    count: translation.control.len(),
                    max: limits::MAX_CONTROL_DEPTH,
                });
            }
        }
        let Translation { mut b, mut env, stack, .. } = translation;

        // The final `end` switched to the return block and pushed its parameters.
        match return_area {
            Some(area) => {
                for (i, v) in stack.iter().enumerate() {
                    b.ins().store(MemFlagsData::trusted(), *v, area, (i * 8) as i32);
                }
                b.ins().return_(&[]);
            }
            None => {
                b.ins().return_(&stack);
            }
        }

        env.finish_trap_blocks(&mut b);
        // A trap: return at once with placeholder results.
        b.switch_to_block(propagate_block);
        if return_area.is_some() {
            b.ins().return_(&[]);
        } else {
            let zeros: Vec<Value> = ty.results.iter().map(|t| zero_value(&mut b, *t)).collect();
            b.ins().return_(&zeros);
        }

        b.seal_all_blocks();
        b.finalize(isa.frontend_config());
        Ok(Vec::new())
    }
}

fn zero_value(b: &mut FunctionBuilder<'_>, t: ValType) -> Value {
    match t {
        ValType::I32 => b.ins().iconst(types::I32, 0),
        ValType::I64 => b.ins().iconst(types::I64, 0),
        ValType::F32 => b.ins().f32const(0.0),
        ValType::F64 => b.ins().f64const(0.0),
        ValType::FuncRef | ValType::ExternRef => b.ins().iconst(POINTER, 0),
    }
}

/// The state of translating one function body.
struct Translation<'a, 'f> {
    b: FunctionBuilder<'f>,
    env: FuncEnv<'a>,
    /// The Wasm operand stack, as SSA values.
    stack: Vec<Value>,
    control: Vec<ControlFrame>,
    locals: Vec<Variable>,
    /// Whether the current position can be reached. Unreachable code is
    /// skipped: validation allows it to be typed in ways SSA cannot express.
    reachable: bool,
    /// Blocks opened inside unreachable code, whose `end`s are skipped too.
    dead_depth: usize,
}
