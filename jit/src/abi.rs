//! Native signatures of Wasm functions, and the two adapters between them and
//! the runtime: the entry trampoline (runtime -> Wasm) and the host stub
//! (Wasm -> runtime). See the calling convention in [`crate::vm`].

use crate::module_info::{FuncType, ValType};
use crate::vm::MAX_REGISTER_RESULTS;
use cranelift_codegen::ir::{self, types, AbiParam, InstBuilder, MemFlagsData, Signature};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// The pointer type; wasmbeam targets 64-bit hosts only.
pub const POINTER: ir::Type = types::I64;

/// The Cranelift type that holds a Wasm value of type `ty`.
pub fn ir_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::FuncRef | ValType::ExternRef => POINTER,
    }
}

/// Whether functions of this type return through a hidden return area.
pub fn uses_return_area(ty: &FuncType) -> bool {
    ty.results.len() > MAX_REGISTER_RESULTS
}

/// `f(callee_vmctx, exec, [return_area], params...) -> results` in the `tail` convention.
pub fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(POINTER));
    sig.params.push(AbiParam::new(POINTER));
    if uses_return_area(ty) {
        sig.params.push(AbiParam::new(POINTER));
    }
    sig.params.extend(ty.params.iter().map(|t| AbiParam::new(ir_type(*t))));
    if !uses_return_area(ty) {
        sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(ir_type(*t))));
    }
    sig
}

/// Flags for slot arrays and return areas: plain, aligned, never trapping.
fn slot_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Builds `tramp(vmctx, exec, func_ptr, values)` (`system_v`): loads the
/// arguments from `values`, calls `func_ptr`, stores the results to `values`.
pub fn entry_trampoline(isa: &dyn TargetIsa, ty: &FuncType) -> ir::Function {
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.extend([AbiParam::new(POINTER); 4]);
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::user(1, 0), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let [vmctx, exec, func_ptr, values] = [0, 1, 2, 3].map(|i| b.block_params(entry)[i]);

    let mut args = vec![vmctx, exec];
    if uses_return_area(ty) {
        // The callee writes its results straight into the slot array; the
        // arguments have all been loaded before the call.
        args.push(values);
    }
    for (i, t) in ty.params.iter().enumerate() {
        args.push(b.ins().load(ir_type(*t), slot_flags(), values, (i * 8) as i32));
    }
    let callee_sig = b.import_signature(wasm_signature(ty));
    let call = b.ins().call_indirect(callee_sig, func_ptr, &args);
    if !uses_return_area(ty) {
        let results = b.inst_results(call).to_vec();
        for (i, v) in results.into_iter().enumerate() {
            b.ins().store(slot_flags(), v, values, (i * 8) as i32);
        }
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    func
}

/// Builds the stub through which Wasm calls a host function of type `ty`:
/// a `tail` function with the Wasm signature that spills its arguments to a
/// slot array on its stack, calls `VMHostContext::dispatch(host, exec,
/// slots)` (`system_v`), and returns the results from the slots. If the
/// dispatcher trapped, compiled callers see it in `exec.state`.
pub fn host_stub(isa: &dyn TargetIsa, ty: &FuncType) -> ir::Function {
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::user(1, 1), wasm_signature(ty));
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (host, exec) = (params[0], params[1]);
    let (return_area, wasm_args) =
        if uses_return_area(ty) { (Some(params[2]), &params[3..]) } else { (None, &params[2..]) };

    let slots = ty.params.len().max(ty.results.len()).max(1);
    let slot =
        b.create_sized_stack_slot(ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, (slots * 8) as u32, 3));
    let values = b.ins().stack_addr(POINTER, slot, 0);
    for (i, v) in wasm_args.iter().enumerate() {
        b.ins().store(slot_flags(), *v, values, (i * 8) as i32);
    }
    let mut dispatch_sig = Signature::new(isa.default_call_conv());
    dispatch_sig.params.extend([AbiParam::new(POINTER); 3]);
    let dispatch_sig = b.import_signature(dispatch_sig);
    let dispatch = b.ins().load(POINTER, slot_flags(), host, 0);
    b.ins().call_indirect(dispatch_sig, dispatch, &[host, exec, values]);

    let mut results = Vec::with_capacity(ty.results.len());
    for (i, t) in ty.results.iter().enumerate() {
        results.push(b.ins().load(ir_type(*t), slot_flags(), values, (i * 8) as i32));
    }
    match return_area {
        Some(area) => {
            for (i, v) in results.iter().enumerate() {
                b.ins().store(slot_flags(), *v, area, (i * 8) as i32);
            }
            b.ins().return_(&[]);
        }
        None => {
            b.ins().return_(&results);
        }
    }
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    func
}
