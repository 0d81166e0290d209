//! The one `match` over WebAssembly operators.

use super::control::FrameKind;
use super::env::widen;
use super::numeric::{self, DivKind};
use super::Translation;
use crate::abi::{self, POINTER};
use crate::error::CompileError;
use crate::module_info::ValType;
use crate::vm::{Builtin, TrapCode};
use cranelift_codegen::ir::{
    self, condcodes::FloatCC, condcodes::IntCC, types, InstBuilder, MemFlagsData, Type, Value,
};
use wasmparser::{MemArg, Operator};

impl Translation<'_, '_> {
    pub fn operator(&mut self, op: Operator<'_>) -> Result<(), CompileError> {
        if !self.reachable {
            return self.dead_operator(op);
        }
        use Operator::*;
        let keeps_memory_cache =
            matches!(op, Loop { .. }) && self.env.enter_loop_memory_cache(&mut self.b, self.op_offset);
        match op {
            // ----- control ---------------------------------------------------
            Nop => {}
            Unreachable => {
                let trap = self.env.trap_block(&mut self.b, TrapCode::Unreachable);
                self.b.ins().jump(trap, &[]);
                self.reachable = false;
            }
            Block { blockty } => {
                let (params, results) = self.block_type(blockty)?;
                let next = self.b.create_block();
                let joins = self.open_joins();
                self.push_frame(FrameKind::Block, next, params, results, joins);
            }
            Loop { blockty } => {
                let (params, results) = self.block_type(blockty)?;
                let mut joins = self.open_joins();
                let (homes, entry_loads) = self.loop_header_homes(&joins);
                let entry = self.loop_entry();
                self.enter_loop(homes.as_deref(), &entry_loads);
                joins.start = homes;
                let header = self.b.create_block();
                self.b.ins().jump(header, &[]);
                self.b.switch_to_block(header);
                let next = self.b.create_block();
                self.push_frame(FrameKind::Loop { header, keeps_memory_cache }, next, params, results, joins);
                if let Some(entry) = entry {
                    self.loop_fuel_check(entry, entry_loads);
                }
            }
            If { blockty } => {
                let condition = self.pop();
                let (params, results) = self.block_type(blockty)?;
                let param_values = self.stack.peek_n(&mut self.b, params.len());
                let mut joins = self.open_joins();
                joins.start = self.if_start_homes(&joins);
                joins.start_cache_stale = self.env.memory_cache_stale();
                let then_block = self.b.create_block();
                let else_block = self.b.create_block();
                self.b.ins().brif(condition, then_block, &[], else_block, &[]);
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                self.b.switch_to_block(then_block);
                let next = self.b.create_block();
                let kind = FrameKind::If { else_block, params: param_values, has_else: false };
                self.push_frame(kind, next, params, results, joins);
            }
            TryTable { try_table } => {
                let (params, results) = self.block_type(try_table.ty)?;
                let next = self.b.create_block();
                let joins = self.open_joins();
                self.push_frame(FrameKind::Block, next, params, results, joins);
                self.enter_try_table(try_table);
            }
            Throw { tag_index } => self.throw(tag_index),
            ThrowRef => self.throw_ref(),
            Else => self.else_arm(),
            End => {
                self.leave_try_table();
                self.end_frame();
            }
            Br { relative_depth } => {
                self.branch(relative_depth);
                self.reachable = false;
            }
            BrIf { relative_depth } => {
                let condition = self.pop();
                let next = self.b.create_block();
                let target = self.branch_edge(relative_depth);
                self.b.ins().brif(condition, target.block, &[], next, &[]);
                self.fill_edge(target);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
            }
            BrTable { targets } => {
                let index = self.pop();
                let depths = targets.targets().collect::<Result<Vec<u32>, _>>()?;
                self.branch_table(index, &depths, targets.default());
                self.reachable = false;
            }
            Return => {
                let depth = (self.control.len() - 1) as u32;
                self.branch(depth);
                self.reachable = false;
            }
            Call { function_index } => {
                let type_index = self.env.info.functions[function_index as usize];
                // A bounded callee never suspends: its call is no resume
                // point (the caller charged its cost).
                let point = match self.calls.is_some_and(|c| c.is_bounded(function_index)) {
                    true => None,
                    false => self.begin_call(self.env.func_type(type_index).params.len()),
                };
                let (args, area) = self.call_args(type_index);
                let call = self.env.call(&mut self.b, function_index, &args);
                self.end_call(point, self.b.inst_results(call)[0]);
                self.call_results(call, type_index, area);
            }
            ReturnCall { function_index } => {
                let type_index = self.env.info.functions[function_index as usize];
                let args = self.tail_call_args(type_index);
                self.env.return_call(&mut self.b, function_index, &args);
                self.tail_calls = true;
                self.reachable = false;
            }
            ReturnCallIndirect { type_index, table_index } => {
                let index = self.pop();
                let callee = self.env.indirect_callee(&mut self.b, type_index, table_index, index);
                let args = self.tail_call_args(type_index);
                self.env.return_call_funcref(&mut self.b, type_index, callee, &args);
                self.tail_calls = true;
                self.reachable = false;
            }
            CallIndirect { type_index, table_index } => {
                // A resumed frame calls the callee it resolved before
                // suspending (saved in its record), not the table's element.
                let point = self.begin_call(0);
                let index = self.pop();
                let callee = self.env.indirect_callee(&mut self.b, type_index, table_index, index);
                self.call_callee(point, type_index, callee);
            }

            CallRef { type_index } => {
                // As `call_indirect`: a resumed frame calls the callee it
                // had (saved in its record).
                let point = self.begin_call(0);
                let callee = self.pop();
                self.trap_if_null(callee, TrapCode::NullFunctionReference);
                self.call_callee(point, type_index, callee);
            }
            ReturnCallRef { type_index } => {
                let callee = self.pop();
                self.trap_if_null(callee, TrapCode::NullFunctionReference);
                let args = self.tail_call_args(type_index);
                self.env.return_call_funcref(&mut self.b, type_index, callee, &args);
                self.tail_calls = true;
                self.reachable = false;
            }
            RefAsNonNull => {
                let ty = self.stack.top_type();
                let r = self.pop();
                self.trap_if_null(r, TrapCode::NullReference);
                self.push_typed(r, ty);
            }
            BrOnNull { relative_depth } => {
                let ty = self.stack.top_type();
                let r = self.pop();
                let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let next = self.b.create_block();
                let target = self.branch_edge(relative_depth);
                self.b.ins().brif(is_null, target.block, &[], next, &[]);
                self.fill_edge(target);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
                self.push_typed(r, ty);
            }
            BrOnNonNull { relative_depth } => {
                // The reference goes with the branch; it is dropped if null.
                let r = self.stack.peek_n(&mut self.b, 1)[0];
                let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let next = self.b.create_block();
                let target = self.branch_edge(relative_depth);
                self.b.ins().brif(is_null, next, &[], target.block, &[]);
                self.fill_edge(target);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
                self.pop();
            }

            // ----- parametric and variables ----------------------------------
            Drop => {
                self.pop();
            }
            Select | TypedSelect { .. } => {
                let condition = self.pop();
                let ty = self.stack.top_type();
                let (a, b) = self.pop2();
                let v = self.b.ins().select(condition, a, b);
                self.push_typed(v, ty);
            }
            LocalGet { local_index } => {
                let v = self.read_local(local_index);
                self.push_typed(v, self.local_types[local_index as usize]);
            }
            LocalSet { local_index } => {
                let v = self.pop();
                self.write_local(local_index, v);
            }
            LocalTee { local_index } => {
                let v = self.stack.peek_n(&mut self.b, 1)[0];
                self.write_local(local_index, v);
            }
            GlobalGet { global_index } => {
                let v = self.env.global_get(&mut self.b, global_index);
                self.push_typed(v, self.env.info.globals[global_index as usize].content);
            }
            GlobalSet { global_index } => {
                let v = self.pop();
                self.env.global_set(&mut self.b, global_index, v);
            }

            // ----- memory ----------------------------------------------------
            I32Load { memarg } => self.load(memarg, types::I32, 4, Load::Plain),
            I64Load { memarg } => self.load(memarg, types::I64, 8, Load::Plain),
            F32Load { memarg } => self.load(memarg, types::F32, 4, Load::Plain),
            F64Load { memarg } => self.load(memarg, types::F64, 8, Load::Plain),
            I32Load8S { memarg } => self.load(memarg, types::I32, 1, Load::Signed),
            I32Load8U { memarg } => self.load(memarg, types::I32, 1, Load::Unsigned),
            I32Load16S { memarg } => self.load(memarg, types::I32, 2, Load::Signed),
            I32Load16U { memarg } => self.load(memarg, types::I32, 2, Load::Unsigned),
            I64Load8S { memarg } => self.load(memarg, types::I64, 1, Load::Signed),
            I64Load8U { memarg } => self.load(memarg, types::I64, 1, Load::Unsigned),
            I64Load16S { memarg } => self.load(memarg, types::I64, 2, Load::Signed),
            I64Load16U { memarg } => self.load(memarg, types::I64, 2, Load::Unsigned),
            I64Load32S { memarg } => self.load(memarg, types::I64, 4, Load::Signed),
            I64Load32U { memarg } => self.load(memarg, types::I64, 4, Load::Unsigned),
            I32Store { memarg } | F32Store { memarg } => self.store(memarg, 4, false),
            I64Store { memarg } | F64Store { memarg } => self.store(memarg, 8, false),
            I32Store8 { memarg } | I64Store8 { memarg } => self.store(memarg, 1, true),
            I32Store16 { memarg } | I64Store16 { memarg } => self.store(memarg, 2, true),
            I64Store32 { memarg } => self.store(memarg, 4, true),
            MemorySize { mem } => {
                let v = self.env.memory_size(&mut self.b, mem);
                self.push(v);
            }
            // The builtins take 64-bit addresses and lengths: a 32-bit
            // memory's are zero-extended (and its page counts narrowed).
            MemoryGrow { mem } => {
                let delta = self.pop();
                let delta = widen(&mut self.b, delta);
                let memory64 = self.env.memory64(mem);
                let mem = self.b.ins().iconst(types::I32, mem as i64);
                let v = self.builtin_value(Builtin::MemoryGrow, &[mem, delta]);
                let v = if memory64 { v } else { self.b.ins().ireduce(types::I32, v) };
                self.push(v);
            }
            MemoryFill { mem } => {
                let (dst, value, len) = self.pop3();
                let [dst, len] = [dst, len].map(|v| widen(&mut self.b, v));
                let mem = self.b.ins().iconst(types::I32, mem as i64);
                self.builtin(Builtin::MemoryFill, &[mem, dst, value, len]);
            }
            MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let [dst, src, len] = [dst, src, len].map(|v| widen(&mut self.b, v));
                let dst_mem = self.b.ins().iconst(types::I32, dst_mem as i64);
                let src_mem = self.b.ins().iconst(types::I32, src_mem as i64);
                self.builtin(Builtin::MemoryCopy, &[dst_mem, src_mem, dst, src, len]);
            }
            MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let dst = widen(&mut self.b, dst);
                let mem = self.b.ins().iconst(types::I32, mem as i64);
                let data = self.b.ins().iconst(types::I32, data_index as i64);
                self.builtin(Builtin::MemoryInit, &[mem, data, dst, src, len]);
            }
            DataDrop { data_index } => {
                let data = self.b.ins().iconst(types::I32, data_index as i64);
                self.builtin(Builtin::DataDrop, &[data]);
            }

            // ----- tables and references -------------------------------------
            TableGet { table } => {
                let index = self.pop();
                let v = self.env.table_get(&mut self.b, table, index);
                self.push_typed(v, self.env.info.tables[table as usize].element);
            }
            TableSet { table } => {
                let (index, value) = self.pop2();
                self.env.table_set(&mut self.b, table, index, value);
            }
            TableSize { table } => {
                let v = self.env.table_size(&mut self.b, table);
                self.push(v);
            }
            // The table builtins take 32-bit indices and lengths: a 64-bit
            // table's are narrowed (see `narrowed`).
            TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.narrowed(delta);
                let table64 = self.env.table64(table);
                let table = self.b.ins().iconst(types::I32, table as i64);
                let v = self.builtin_value(Builtin::TableGrow, &[table, init, delta]);
                // The old size, or -1: sizes are below 2^31.
                let v = if table64 { self.b.ins().sextend(types::I64, v) } else { v };
                self.push(v);
            }
            TableFill { table } => {
                let (dst, value, len) = self.pop3();
                let (dst, len) = (self.narrowed(dst), self.narrowed(len));
                let table = self.b.ins().iconst(types::I32, table as i64);
                self.builtin(Builtin::TableFill, &[table, dst, value, len]);
            }
            TableCopy { dst_table, src_table } => {
                let (dst, src, len) = self.pop3();
                let (dst, src, len) = (self.narrowed(dst), self.narrowed(src), self.narrowed(len));
                let dst_table = self.b.ins().iconst(types::I32, dst_table as i64);
                let src_table = self.b.ins().iconst(types::I32, src_table as i64);
                self.builtin(Builtin::TableCopy, &[dst_table, src_table, dst, src, len]);
            }
            TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let dst = self.narrowed(dst);
                let table = self.b.ins().iconst(types::I32, table as i64);
                let elem = self.b.ins().iconst(types::I32, elem_index as i64);
                self.builtin(Builtin::TableInit, &[table, elem, dst, src, len]);
            }
            ElemDrop { elem_index } => {
                let elem = self.b.ins().iconst(types::I32, elem_index as i64);
                self.builtin(Builtin::ElemDrop, &[elem]);
            }
            RefNull { hty } => {
                let ty = ValType::reference(true, crate::parse::heap_type(hty)?.top());
                let v = self.b.ins().iconst(POINTER, 0);
                self.push_typed(v, ty);
            }
            RefIsNull => {
                let r = self.pop();
                let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let v = self.b.ins().uextend(types::I32, is_null);
                self.push(v);
            }
            RefFunc { function_index } => {
                let v = self.env.funcref(&mut self.b, function_index);
                self.push_typed(v, ValType::FuncRef);
            }

            // ----- constants -------------------------------------------------
            I32Const { value } => {
                let v = self.b.ins().iconst(types::I32, value as i64);
                self.push(v);
            }
            I64Const { value } => {
                let v = self.b.ins().iconst(types::I64, value);
                self.push(v);
            }
            F32Const { value } => {
                let v = self.b.ins().f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            F64Const { value } => {
                let v = self.b.ins().f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // ----- integer ---------------------------------------------------
            I32Eqz | I64Eqz => {
                let x = self.pop();
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, x, 0);
                self.push_bool(c);
            }
            I32Eq | I64Eq => self.icmp(IntCC::Equal),
            I32Ne | I64Ne => self.icmp(IntCC::NotEqual),
            I32LtS | I64LtS => self.icmp(IntCC::SignedLessThan),
            I32LtU | I64LtU => self.icmp(IntCC::UnsignedLessThan),
            I32GtS | I64GtS => self.icmp(IntCC::SignedGreaterThan),
            I32GtU | I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            I32LeS | I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            I32LeU | I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            I32GeS | I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            I32GeU | I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            I32Clz | I64Clz => self.unary(|b, x| b.ins().clz(x)),
            I32Ctz | I64Ctz => self.unary(|b, x| b.ins().ctz(x)),
            I32Popcnt | I64Popcnt => self.unary(|b, x| b.ins().popcnt(x)),
            I32Add | I64Add => self.binary(|b, x, y| b.ins().iadd(x, y)),
            I32Sub | I64Sub => self.binary(|b, x, y| b.ins().isub(x, y)),
            I32Mul | I64Mul => self.binary(|b, x, y| b.ins().imul(x, y)),
            I32DivS | I64DivS => self.div(DivKind::DivS),
            I32DivU | I64DivU => self.div(DivKind::DivU),
            I32RemS | I64RemS => self.div(DivKind::RemS),
            I32RemU | I64RemU => self.div(DivKind::RemU),
            I32And | I64And => self.binary(|b, x, y| b.ins().band(x, y)),
            I32Or | I64Or => self.binary(|b, x, y| b.ins().bor(x, y)),
            I32Xor | I64Xor => self.binary(|b, x, y| b.ins().bxor(x, y)),
            // Cranelift's shifts and rotates take the amount modulo the bit
            // width, exactly as Wasm does.
            I32Shl | I64Shl => self.binary(|b, x, y| b.ins().ishl(x, y)),
            I32ShrS | I64ShrS => self.binary(|b, x, y| b.ins().sshr(x, y)),
            I32ShrU | I64ShrU => self.binary(|b, x, y| b.ins().ushr(x, y)),
            I32Rotl | I64Rotl => self.binary(|b, x, y| b.ins().rotl(x, y)),
            I32Rotr | I64Rotr => self.binary(|b, x, y| b.ins().rotr(x, y)),

            // ----- floating point --------------------------------------------
            F32Eq | F64Eq => self.fcmp(FloatCC::Equal),
            F32Ne | F64Ne => self.fcmp(FloatCC::NotEqual),
            F32Lt | F64Lt => self.fcmp(FloatCC::LessThan),
            F32Gt | F64Gt => self.fcmp(FloatCC::GreaterThan),
            F32Le | F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            F32Ge | F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),
            F32Abs | F64Abs => self.unary(|b, x| b.ins().fabs(x)),
            F32Neg | F64Neg => self.unary(|b, x| b.ins().fneg(x)),
            F32Ceil | F64Ceil => self.unary(|b, x| b.ins().ceil(x)),
            F32Floor | F64Floor => self.unary(|b, x| b.ins().floor(x)),
            F32Trunc | F64Trunc => self.unary(|b, x| b.ins().trunc(x)),
            F32Nearest | F64Nearest => self.unary(|b, x| b.ins().nearest(x)),
            F32Sqrt | F64Sqrt => self.unary(|b, x| b.ins().sqrt(x)),
            F32Add | F64Add => self.binary(|b, x, y| b.ins().fadd(x, y)),
            F32Sub | F64Sub => self.binary(|b, x, y| b.ins().fsub(x, y)),
            F32Mul | F64Mul => self.binary(|b, x, y| b.ins().fmul(x, y)),
            F32Div | F64Div => self.binary(|b, x, y| b.ins().fdiv(x, y)),
            // Cranelift's fmin/fmax propagate NaN and order -0 below +0, as Wasm requires.
            F32Min | F64Min => self.binary(|b, x, y| b.ins().fmin(x, y)),
            F32Max | F64Max => self.binary(|b, x, y| b.ins().fmax(x, y)),
            F32Copysign | F64Copysign => self.binary(|b, x, y| b.ins().fcopysign(x, y)),

            // ----- conversions -----------------------------------------------
            I32WrapI64 => self.unary(|b, x| b.ins().ireduce(types::I32, x)),
            I64ExtendI32S => self.unary(|b, x| b.ins().sextend(types::I64, x)),
            I64ExtendI32U => self.unary(|b, x| b.ins().uextend(types::I64, x)),
            I32Extend8S => self.sign_extend(types::I8, types::I32),
            I32Extend16S => self.sign_extend(types::I16, types::I32),
            I64Extend8S => self.sign_extend(types::I8, types::I64),
            I64Extend16S => self.sign_extend(types::I16, types::I64),
            I64Extend32S => self.sign_extend(types::I32, types::I64),
            I32TruncF32S | I32TruncF64S => self.trunc(types::I32, true),
            I32TruncF32U | I32TruncF64U => self.trunc(types::I32, false),
            I64TruncF32S | I64TruncF64S => self.trunc(types::I64, true),
            I64TruncF32U | I64TruncF64U => self.trunc(types::I64, false),
            I32TruncSatF32S | I32TruncSatF64S => self.unary(|b, x| b.ins().fcvt_to_sint_sat(types::I32, x)),
            I32TruncSatF32U | I32TruncSatF64U => self.unary(|b, x| b.ins().fcvt_to_uint_sat(types::I32, x)),
            I64TruncSatF32S | I64TruncSatF64S => self.unary(|b, x| b.ins().fcvt_to_sint_sat(types::I64, x)),
            I64TruncSatF32U | I64TruncSatF64U => self.unary(|b, x| b.ins().fcvt_to_uint_sat(types::I64, x)),
            F32ConvertI32S | F32ConvertI64S => self.unary(|b, x| b.ins().fcvt_from_sint(types::F32, x)),
            F32ConvertI32U | F32ConvertI64U => self.unary(|b, x| b.ins().fcvt_from_uint(types::F32, x)),
            F64ConvertI32S | F64ConvertI64S => self.unary(|b, x| b.ins().fcvt_from_sint(types::F64, x)),
            F64ConvertI32U | F64ConvertI64U => self.unary(|b, x| b.ins().fcvt_from_uint(types::F64, x)),
            F32DemoteF64 => self.unary(|b, x| b.ins().fdemote(types::F32, x)),
            F64PromoteF32 => self.unary(|b, x| b.ins().fpromote(types::F64, x)),
            I32ReinterpretF32 => self.unary(|b, x| b.ins().bitcast(types::I32, MemFlagsData::new(), x)),
            I64ReinterpretF64 => self.unary(|b, x| b.ins().bitcast(types::I64, MemFlagsData::new(), x)),
            F32ReinterpretI32 => self.unary(|b, x| b.ins().bitcast(types::F32, MemFlagsData::new(), x)),
            F64ReinterpretI64 => self.unary(|b, x| b.ins().bitcast(types::F64, MemFlagsData::new(), x)),

            other => {
                if !self.simd_operator(&other)? {
                    return Err(CompileError::Unsupported(format!("operator {other:?}")));
                }
            }
        }
        Ok(())
    }

    /// Unreachable code: only the nesting structure matters.
    fn dead_operator(&mut self, op: Operator<'_>) -> Result<(), CompileError> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } | Operator::TryTable { .. } => {
                self.dead_depth += 1
            }
            Operator::Else if self.dead_depth == 0 => self.else_arm(),
            Operator::End if self.dead_depth == 0 => {
                self.leave_try_table();
                self.end_frame()
            }
            Operator::End => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    /// The rest of a `call_indirect` or `call_ref` (whose resume point,
    /// if any, is `point`) once the callee (a non-null `VMFuncRef` of type
    /// `type_index`) is known: it is kept for a resumed frame, then called.
    fn call_callee(&mut self, point: Option<u32>, type_index: u32, callee: Value) {
        let callee = self.resolved_callee(point, type_index, callee);
        let (args, area) = self.call_args(type_index);
        let call = self.env.call_funcref(&mut self.b, type_index, callee, &args);
        self.end_call(point, self.b.inst_results(call)[0]);
        self.call_results(call, type_index, area);
    }

    /// A call's arguments after `vmctx` and `exec`: the fuel, then for a
    /// callee returning through memory a new area's address, then the
    /// operands it pops.
    fn call_args(&mut self, type_index: u32) -> (Vec<Value>, Option<Value>) {
        let ty = self.env.func_type(type_index);
        let (params, uses_area) = (ty.params.len(), abi::uses_return_area(ty));
        let result_words = abi::words_of(&ty.results);
        let wasm_args = self.popn(params);
        let mut args = vec![self.current_fuel()];
        let area = uses_area.then(|| {
            let slot = self.b.create_sized_stack_slot(ir::StackSlotData::new(
                ir::StackSlotKind::ExplicitSlot,
                (result_words * 8) as u32,
                3,
            ));
            self.b.ins().stack_addr(POINTER, slot, 0)
        });
        args.extend(area);
        args.extend(wasm_args);
        (args, area)
    }

    /// A tail call's arguments after `vmctx` and `exec`: the fuel, and as
    /// the callee's results are this function's, where they go (the return
    /// area, if the type has one) as it came, then the operands it pops.
    fn tail_call_args(&mut self, type_index: u32) -> Vec<Value> {
        let params = self.env.func_type(type_index).params.len();
        let wasm_args = self.popn(params);
        let fuel = self.current_fuel();
        [fuel].into_iter().chain(self.return_area).chain(wasm_args).collect()
    }

    /// Pushes a call's results (the state check is done).
    fn call_results(&mut self, call: ir::Inst, type_index: u32, area: Option<Value>) {
        let results = self.env.func_type(type_index).results.clone();
        match area {
            Some(area) => {
                let values = abi::load_values(&mut self.b, &results, area);
                for (v, t) in values.into_iter().zip(results.iter()) {
                    self.push_typed(v, *t);
                }
            }
            None => {
                // The fuel first, then the results.
                let values = self.b.inst_results(call)[1..].to_vec();
                for (v, t) in values.into_iter().zip(results.iter()) {
                    self.push_typed(v, *t);
                }
            }
        }
    }

    // ----- memory helpers ----------------------------------------------------

    fn load(&mut self, memarg: MemArg, ty: Type, size: u32, kind: Load) {
        let addr = self.pop();
        let address = self.env.heap_address(&mut self.b, memory_index(&memarg), addr, memarg.offset, size);
        let flags = self.env.heap_flags();
        let ins = self.b.ins();
        let v = match (kind, size) {
            (Load::Plain, _) => ins.load(ty, flags, address, 0),
            (Load::Signed, 1) => ins.sload8(ty, flags, address, 0),
            (Load::Unsigned, 1) => ins.uload8(ty, flags, address, 0),
            (Load::Signed, 2) => ins.sload16(ty, flags, address, 0),
            (Load::Unsigned, 2) => ins.uload16(ty, flags, address, 0),
            (Load::Signed, _) => ins.sload32(flags, address, 0),
            (Load::Unsigned, _) => ins.uload32(flags, address, 0),
        };
        self.push(v);
    }

    /// Stores the value on top of the stack; `narrow` stores only its low `size` bytes.
    fn store(&mut self, memarg: MemArg, size: u32, narrow: bool) {
        let (addr, value) = self.pop2();
        let address = self.env.heap_address(&mut self.b, memory_index(&memarg), addr, memarg.offset, size);
        let flags = self.env.heap_flags();
        let ins = self.b.ins();
        match (narrow, size) {
            (false, _) => ins.store(flags, value, address, 0),
            (true, 1) => ins.istore8(flags, value, address, 0),
            (true, 2) => ins.istore16(flags, value, address, 0),
            (true, _) => ins.istore32(flags, value, address, 0),
        };
    }

    /// A 64-bit table's index, length or delta as the 32-bit value the
    /// table builtins take: past `u32::MAX` it becomes `u32::MAX`, which
    /// is out of bounds of every table (they have at most
    /// `Config::max_table_elements`, far fewer), so the builtin traps (or
    /// fails to grow) just as it must for the real value. An `i32` passes.
    fn narrowed(&mut self, v: Value) -> Value {
        match self.b.func.dfg.value_type(v) {
            types::I64 => {
                let max = self.b.ins().iconst(types::I64, i64::from(u32::MAX));
                let clamped = self.b.ins().umin(v, max);
                self.b.ins().ireduce(types::I32, clamped)
            }
            _ => v,
        }
    }

    fn builtin(&mut self, builtin: Builtin, args: &[Value]) {
        self.env.call_builtin(&mut self.b, builtin, args);
    }

    fn builtin_value(&mut self, builtin: Builtin, args: &[Value]) -> Value {
        // Only called for the growth builtins, which are declared with a
        // result (see `vm/builtins.rs`).
        self.env.call_builtin(&mut self.b, builtin, args).expect("builtin declared to return a value")
    }

    // ----- arithmetic helpers ------------------------------------------------

    fn unary(&mut self, f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder<'_>, Value) -> Value) {
        let x = self.pop();
        let v = f(&mut self.b, x);
        self.push(v);
    }

    fn binary(&mut self, f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder<'_>, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let v = f(&mut self.b, x, y);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().icmp(cc, x, y);
        self.push_bool(c);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().fcmp(cc, x, y);
        self.push_bool(c);
    }

    /// Pushes a Cranelift `i8` truth value as a Wasm `i32`.
    pub(super) fn push_bool(&mut self, c: Value) {
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    fn sign_extend(&mut self, from: Type, to: Type) {
        self.unary(|b, x| {
            let narrow = b.ins().ireduce(from, x);
            b.ins().sextend(to, narrow)
        });
    }

    fn div(&mut self, kind: DivKind) {
        let (x, y) = self.pop2();
        let v = numeric::div(&mut self.env, &mut self.b, kind, x, y);
        self.push(v);
    }

    fn trunc(&mut self, to: Type, signed: bool) {
        let x = self.pop();
        let v = numeric::trunc(&mut self.env, &mut self.b, to, signed, x);
        self.push(v);
    }

    // ----- operand stack -----------------------------------------------------

    /// Pushes a numeric value (its Wasm type follows from its Cranelift type).
    fn push(&mut self, v: Value) {
        let ty = super::stack::numeric_type(self.b.func.dfg.value_type(v));
        self.stack.push(&mut self.b, v, ty);
    }

    /// Traps with `code` if the reference `r` is null.
    fn trap_if_null(&mut self, r: Value, code: TrapCode) {
        let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.env.trap_if(&mut self.b, is_null, code);
    }

    pub(super) fn push_typed(&mut self, v: Value, ty: ValType) {
        self.stack.push(&mut self.b, v, ty);
    }

    pub(super) fn pop(&mut self) -> Value {
        self.stack.pop(&mut self.b)
    }

    fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    pub(super) fn popn(&mut self, n: usize) -> Vec<Value> {
        self.stack.pop_n(&mut self.b, n)
    }
}

#[derive(Clone, Copy)]
enum Load {
    Plain,
    Signed,
    Unsigned,
}

/// The memory a load or store addresses (GC array targets are not validated).
pub(super) fn memory_index(memarg: &MemArg) -> u32 {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(index) | wasmparser::MemArgTarget::Array(index) => index,
    }
}
