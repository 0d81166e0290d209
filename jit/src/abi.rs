//! Native signatures of Wasm functions, and the two adapters between them and
//! the runtime: the entry trampoline (runtime -> Wasm) and the host stub
//! (Wasm -> runtime). See the calling convention in [`crate::vm`].

use crate::module_info::{FuncType, ValType};
use crate::vm::{Builtin, BuiltinType, ExecCtx, VMOffsets, MAX_REGISTER_RESULTS, STATE_REWINDING};
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
        // One vector type for every v128: operators bitcast to the lane
        // shape they work on (see `translate/simd.rs`).
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef | ValType::ExnRef | ValType::Ref(_) => POINTER,
    }
}

/// A zero of Cranelift type `ty` (a null reference, for a pointer).
pub(crate) fn zero(b: &mut FunctionBuilder<'_>, ty: ir::Type) -> ir::Value {
    match ty {
        types::F32 => b.ins().f32const(0.0),
        types::F64 => b.ins().f64const(0.0),
        vector if vector.is_vector() => {
            let bytes = b.func.dfg.constants.insert(ir::ConstantData::from(vec![0u8; vector.bytes() as usize]));
            b.ins().vconst(vector, bytes)
        }
        int => b.ins().iconst(int, 0),
    }
}

/// Byte offsets of values of types `types` laid out one after the other in
/// 8-byte words (see [`ValType::words`]), and the words they take in all.
pub fn word_offsets(types: &[ValType]) -> (Vec<i32>, usize) {
    let mut words = 0;
    let offsets = types
        .iter()
        .map(|t| {
            let offset = (words * 8) as i32;
            words += t.words();
            offset
        })
        .collect();
    (offsets, words)
}

/// Flags for a value in a slot array or record area: plain and never
/// trapping; aligned but for vectors, whose slots are 8-byte aligned only.
fn value_flags(ty: ir::Type) -> MemFlagsData {
    if ty.is_vector() {
        MemFlagsData::new().with_notrap()
    } else {
        slot_flags()
    }
}

/// Words of the value array through which values of a call of type `ty`
/// pass (its parameters, then its results, in the same words; at least
/// one).
pub fn value_words(ty: &FuncType) -> usize {
    words_of(&ty.params).max(words_of(&ty.results)).max(1)
}

/// Words that values of types `types` take one after the other: what
/// [`word_offsets`] counts, without making the offsets (this runs on every
/// call from the embedder and every host call).
pub fn words_of(types: &[ValType]) -> usize {
    types.iter().map(|t| t.words()).sum()
}

/// Loads values of types `types` from consecutive words at `base` (see
/// [`word_offsets`]).
pub(crate) fn load_values(b: &mut FunctionBuilder<'_>, types: &[ValType], base: ir::Value) -> Vec<ir::Value> {
    let (offsets, _) = word_offsets(types);
    types
        .iter()
        .zip(offsets)
        .map(|(t, offset)| {
            let ty = ir_type(*t);
            b.ins().load(ty, value_flags(ty), base, offset)
        })
        .collect()
}

/// Stores `values` to consecutive words at `base` (see [`word_offsets`]),
/// each as wide as its Cranelift type.
pub(crate) fn store_values(b: &mut FunctionBuilder<'_>, values: &[ir::Value], base: ir::Value) {
    let mut offset = 0;
    for v in values {
        let ty = b.func.dfg.value_type(*v);
        b.ins().store(value_flags(ty), *v, base, offset);
        offset += if ty.is_vector() { 16 } else { 8 };
    }
}

/// Whether functions of this type return through a hidden return area.
pub fn uses_return_area(ty: &FuncType) -> bool {
    ty.results.len() > MAX_REGISTER_RESULTS
}

/// `f(callee_vmctx, exec, fuel, [return_area], params...) -> (fuel,
/// results...)` in the `tail` convention: the fuel left in the slice goes
/// in and comes back in registers (see [`crate::vm`]).
pub fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(POINTER));
    sig.params.push(AbiParam::new(POINTER));
    sig.params.push(AbiParam::new(types::I64));
    if uses_return_area(ty) {
        sig.params.push(AbiParam::new(POINTER));
    }
    sig.params.extend(ty.params.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig.returns.push(AbiParam::new(types::I64));
    if !uses_return_area(ty) {
        sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(ir_type(*t))));
    }
    sig
}

/// Parameters of [`wasm_signature`] before the Wasm parameters: `vmctx`,
/// `exec`, the fuel, and the return area if the type has one.
pub fn fixed_params(ty: &FuncType) -> usize {
    3 + usize::from(uses_return_area(ty))
}

/// A symbol whose value the linker writes into the code (a relocation of
/// `name`, see `link.rs`): declared in `b`'s function, not yet used.
pub(crate) fn declare_symbol(b: &mut FunctionBuilder<'_>, name: ir::UserExternalName) -> ir::GlobalValue {
    let name = b.func.declare_imported_user_function(name);
    b.create_global_value(ir::GlobalValueData::Symbol {
        name: ir::ExternalName::user(name),
        offset: ir::immediates::Imm64::new(0),
        colocated: false,
        tls: false,
    })
}

/// The native signature of `builtin`: `(vmctx, exec, args...) -> result`
/// in the convention `call_conv` (see [`crate::vm::VMBuiltins`]).
pub(crate) fn builtin_signature(call_conv: CallConv, builtin: Builtin) -> Signature {
    let ir = |t: &BuiltinType| match t {
        BuiltinType::I32 => types::I32,
        BuiltinType::I64 => types::I64,
    };
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(POINTER); 2]);
    sig.params.extend(builtin.params().iter().map(|t| AbiParam::new(ir(t))));
    sig.returns.extend(builtin.result().iter().map(|t| AbiParam::new(ir(t))));
    sig
}

/// Flags for slot arrays and return areas: plain, aligned, never trapping.
fn slot_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Builds `tramp(vmctx, exec, func_ptr, values)` (`system_v`): loads the
/// arguments from `values` and the fuel from `exec`, calls `func_ptr`,
/// stores the results to `values` and the fuel it returned to `exec`.
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

    let flags = MemFlagsData::trusted();
    let fuel = b.ins().load(types::I64, flags, exec, ExecCtx::OFFSET_FUEL);
    let mut args = vec![vmctx, exec, fuel];
    if uses_return_area(ty) {
        // The callee writes its results straight into the slot array; the
        // arguments have all been loaded before the call.
        args.push(values);
    }
    args.extend(load_values(&mut b, &ty.params, values));
    let callee_sig = b.import_signature(wasm_signature(ty));
    let call = b.ins().call_indirect(callee_sig, func_ptr, &args);
    let returned = b.inst_results(call).to_vec();
    if !uses_return_area(ty) {
        store_values(&mut b, &returned[1..], values);
    }
    // The returned fuel is the call's only when it ended running; when it
    // trapped, threw or suspended, `exec.fuel` is (see `crate::vm`).
    let state = b.ins().load(types::I32, flags, exec, ExecCtx::OFFSET_STATE);
    let stored = b.ins().load(types::I64, flags, exec, ExecCtx::OFFSET_FUEL);
    let fuel = b.ins().select(state, stored, returned[0]);
    b.ins().store(flags, fuel, exec, ExecCtx::OFFSET_FUEL);
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
    let (host, exec, fuel) = (params[0], params[1], params[2]);
    let (return_area, wasm_args) =
        if uses_return_area(ty) { (Some(params[3]), &params[4..]) } else { (None, &params[3..]) };
    // The host function and the runtime see the fuel in `exec`.
    b.ins().store(slot_flags(), fuel, exec, ExecCtx::OFFSET_FUEL);

    let slots = value_words(ty);
    let slot =
        b.create_sized_stack_slot(ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, (slots * 8) as u32, 3));
    let values = b.ins().stack_addr(POINTER, slot, 0);
    let wasm_args = wasm_args.to_vec();
    store_values(&mut b, &wasm_args, values);
    let mut dispatch_sig = Signature::new(isa.default_call_conv());
    dispatch_sig.params.extend([AbiParam::new(POINTER); 3]);
    let dispatch_sig = b.import_signature(dispatch_sig);
    let dispatch = b.ins().load(POINTER, slot_flags(), host, 0);
    b.ins().call_indirect(dispatch_sig, dispatch, &[host, exec, values]);

    let results = load_values(&mut b, &ty.results, values);
    let fuel = b.ins().load(types::I64, slot_flags(), exec, ExecCtx::OFFSET_FUEL);
    match return_area {
        Some(area) => {
            store_values(&mut b, &results, area);
            b.ins().return_(&[fuel]);
        }
        None => {
            let mut returned = vec![fuel];
            returned.extend(results);
            b.ins().return_(&returned);
        }
    }
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    func
}

/// The signature of every rewind thunk whose functions return `results`
/// (see [`rewind_thunk`]): `(vmctx, exec, fuel, [return_area], func_ptr)
/// -> (fuel, results...)`, in the `tail` convention. A frame that finds its tail callee's
/// record tail-calls the callee's thunk with it (see `ExecCtx::redirect`):
/// the callee's type has the caller's results, so this is the caller's to
/// build.
pub fn rewind_thunk_signature(results: &[ValType]) -> Signature {
    let ty = FuncType::new(Vec::new(), results.to_vec());
    let mut sig = wasm_signature(&ty);
    sig.params.push(AbiParam::new(POINTER));
    sig
}

/// Builds the rewind thunk of functions of type `ty`: it tail-calls
/// `func_ptr` with `vmctx`, `exec`, the fuel, the return area if any, and zeros for
/// the parameters, which a rewinding function ignores. It lets a frame
/// restart the rewind in a function whose type it does not know (see
/// [`rewind_thunk_signature`]), in constant native stack.
pub fn rewind_thunk(isa: &dyn TargetIsa, ty: &FuncType) -> ir::Function {
    let signature = rewind_thunk_signature(&ty.results);
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::user(1, 3), signature);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    // The signature has four or five parameters, `func_ptr` last.
    let (fixed, func_ptr) = params.split_at(params.len() - 1);
    let func_ptr = func_ptr[0];
    let mut args = fixed.to_vec();
    for t in ty.params.iter() {
        args.push(zero(&mut b, ir_type(*t)));
    }
    let callee_sig = b.import_signature(wasm_signature(ty));
    b.ins().return_call_indirect(callee_sig, func_ptr, &args);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    func
}

/// Builds the template of the stub through which a lazily compiled
/// module's function of type `ty` is called (see `lazy.rs`): a `tail`
/// function with the Wasm signature. Two symbols are filled in per
/// function when a copy is linked: `compile::lazy_index_name` (the
/// function's defined index) and `compile::lazy_table_name` (the
/// address of the module's table of compiled code).
///
/// Running, it looks the function up in the table and tail-calls its code;
/// if there is none yet, it spills its arguments and calls `lazy_call`,
/// which compiles the function (then the stub tail-calls it) or suspends
/// the call with the arguments as the stub's record. Rewinding, it calls
/// `lazy_resume`, which pops that record back into the arguments (then the
/// stub tail-calls the code with them), or finds on top the record of the
/// compiled function itself (it suspended later: the stub tail-calls it
/// to rewind).
pub fn lazy_stub(isa: &dyn TargetIsa, ty: &FuncType) -> ir::Function {
    let signature = wasm_signature(ty);
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::user(1, 2), signature.clone());
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (vmctx, exec, fuel) = (params[0], params[1], params[2]);
    let fixed = fixed_params(ty);
    let symbol = |b: &mut FunctionBuilder<'_>, name: ir::UserExternalName| {
        let gv = declare_symbol(b, name);
        b.ins().symbol_value(POINTER, gv)
    };
    let index = symbol(&mut b, crate::compile::lazy_index_name());
    let table = symbol(&mut b, crate::compile::lazy_table_name());
    let index32 = b.ins().ireduce(types::I32, index);
    let slot_offset = b.ins().ishl_imm_u(index, 3);
    let slot = b.ins().iadd(table, slot_offset);
    let callee_sig = b.import_signature(signature);
    let slots = words_of(&ty.params).max(1);
    let spill =
        b.create_sized_stack_slot(ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, (slots * 8) as u32, 3));

    let (running, rewinding, slow, out) = (b.create_block(), b.create_block(), b.create_block(), b.create_block());
    let go = b.create_block();
    b.append_block_param(go, POINTER);
    let flags = MemFlagsData::trusted();
    let state = b.ins().load(types::I32, flags, exec, ExecCtx::OFFSET_STATE);
    let is_rewinding = b.ins().icmp_imm_s(ir::condcodes::IntCC::Equal, state, STATE_REWINDING as i64);
    b.ins().brif(is_rewinding, rewinding, &[], running, &[]);

    // Running: the compiled code, if there is some yet.
    b.switch_to_block(running);
    let code = b.ins().load(POINTER, flags, slot, 0);
    b.ins().brif(code, go, &[code.into()], slow, &[]);
    b.switch_to_block(go);
    let code = b.block_params(go)[0];
    b.ins().return_call_indirect(callee_sig, code, &params);

    // Not compiled: spill the arguments and ask the runtime (which may
    // suspend the call, with the fuel in `exec`).
    b.switch_to_block(slow);
    b.ins().store(flags, fuel, exec, ExecCtx::OFFSET_FUEL);
    let values = b.ins().stack_addr(POINTER, spill, 0);
    store_values(&mut b, &params[fixed..], values);
    let values64 = values;
    let compiled = call_builtin(&mut b, isa, vmctx, exec, Builtin::LazyCall, &[index32, values64]);
    let reload = b.create_block();
    b.ins().brif(compiled, reload, &[], out, &[]);
    b.switch_to_block(reload);
    let code = b.ins().load(POINTER, flags, slot, 0);
    b.ins().jump(go, &[code.into()]);

    // Rewinding: the record holds the arguments.
    b.switch_to_block(rewinding);
    let values = b.ins().stack_addr(POINTER, spill, 0);
    let resumed = call_builtin(&mut b, isa, vmctx, exec, Builtin::LazyResume, &[index32, values]);
    let (restored, not_ours, own_record) = (b.create_block(), b.create_block(), b.create_block());
    b.ins().brif(resumed, not_ours, &[], out, &[]);
    b.switch_to_block(not_ours);
    let popped = b.ins().icmp_imm_s(ir::condcodes::IntCC::Equal, resumed, 1);
    b.ins().brif(popped, restored, &[], own_record, &[]);
    // The record on top is the compiled function's own (it suspended after
    // it was compiled): rewind into it.
    b.switch_to_block(own_record);
    let code = b.ins().load(POINTER, flags, slot, 0);
    b.ins().jump(go, &[code.into()]);
    b.switch_to_block(restored);
    let mut args = params[..fixed].to_vec();
    args.extend(load_values(&mut b, &ty.params, values));
    let code = b.ins().load(POINTER, flags, slot, 0);
    b.ins().return_call_indirect(callee_sig, code, &args);

    // Suspending or trapping: return placeholder fuel and results (callers
    // look at the state first).
    b.switch_to_block(out);
    let mut zeros = vec![zero(&mut b, types::I64)];
    if !uses_return_area(ty) {
        zeros.extend(ty.results.iter().map(|t| zero(&mut b, ir_type(*t))));
    }
    b.ins().return_(&zeros);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    func
}

/// Calls `builtin` (through the vmctx's table, `system_v`) with
/// `(vmctx, exec, args...)`; returns its i32 result.
fn call_builtin(
    b: &mut FunctionBuilder<'_>,
    isa: &dyn TargetIsa,
    vmctx: ir::Value,
    exec: ir::Value,
    builtin: Builtin,
    args: &[ir::Value],
) -> ir::Value {
    let flags = MemFlagsData::trusted().with_readonly();
    let table = b.ins().load(POINTER, flags, vmctx, VMOffsets::BUILTINS as i32);
    let function = b.ins().load(POINTER, flags, table, builtin.offset());
    let sig = b.import_signature(builtin_signature(isa.default_call_conv(), builtin));
    let mut full = vec![vmctx, exec];
    full.extend_from_slice(args);
    let call = b.ins().call_indirect(sig, function, &full);
    b.inst_results(call)[0]
}
