//! Reduction counting and resume points: how a frame stops and saves
//! itself, and how it is rebuilt.
//!
//! A *resume point* is a place where this frame can be suspended: the fuel
//! check on entry, the fuel check at each loop header, and every call. When
//! the frame must stop there (its fuel ran out, or a callee returned while
//! unwinding), a cold *unwind* block appends a record with every local and
//! every operand stack slot to the continuation buffer and returns. On resume, the function is entered with
//! `stack_limit = usize::MAX`, so the entry stack check fails into the
//! *rewind dispatch*, which pops the record, redefines every local and slot
//! variable from it, and heads for the point's *target*: the call (re-issued
//! so that the callee rewinds in turn), or, for the innermost frame, the code
//! after the fuel check. Because locals and the operand stack are variables,
//! Cranelift's SSA construction merges the resumed values with the normal
//! ones; the hot path pays only the state check after each call and the
//! fuel counter update at loop headers.
//!
//! A target inside loops is reached through the header of every enclosing
//! loop, outermost first, never by a jump into a loop's body: that keeps
//! every loop single-entry (reducible), which Cranelift's loop
//! optimizations and register allocation rely on. The restore path sets the
//! fuel variable to a large negative value, so each header's fuel check takes
//! its cold path, which sees the state is still rewinding and hops on.

use super::cost::FunctionCost;
use super::env::ExecField;
use super::Translation;
use crate::module_info::ValType;
use crate::resume::{ResumeKind, ResumePoint, RECORD_HEADER_SIZE};
use crate::vm::{Builtin, TrapCode, STATE_REWINDING, STATE_RUNNING, STATE_TRAPPING, STATE_UNWINDING};
use cranelift_codegen::ir::{condcodes::IntCC, types, Block, InstBuilder, JumpTableData, Value};
use cranelift_frontend::Variable;

/// Per-function suspension state; absent when compiling without reductions.
pub struct Suspension {
    pub cost: FunctionCost,
    /// Fuel left in the slice, kept in a register; `None` in leaf functions.
    pub fuel: Option<Variable>,
    /// Every loop so far, in order (indexes `cost.loops`).
    pub loops: Vec<LoopResume>,
    /// The loops around the current position, outermost first.
    pub open_loops: Vec<usize>,
    pub points: Vec<Point>,
    /// Where a failed entry stack check goes: a stack overflow, or a resume.
    pub entry_cold: Block,
    /// The point being resumed, while the restore path hops through loop
    /// headers towards it.
    pub resume_point: Variable,
    /// The shared tail of every save: `commit_record(size)`, then return.
    /// Takes the record size as its parameter; created on first use.
    pub commit_block: Option<Block>,
    /// Loop headers the restore paths pass through, over all points (the
    /// sum of `Point::loops` lengths): the hop code is proportional to it,
    /// and it grows with the square of loop nesting, so the translator
    /// refuses functions where it exceeds [`crate::limits::MAX_RESUME_HOPS`].
    pub hops: usize,
}

pub struct LoopResume {
    pub header: Block,
    /// Cold block the header's fuel check reaches while rewinding: it hops
    /// on towards the point being resumed.
    pub hop: Block,
}

pub struct Point {
    pub layout: ResumePoint,
    /// How many leading slots of the record are locals.
    pub num_locals: usize,
    /// Where the restored frame continues.
    pub target: Block,
    /// The loops around the point, outermost first: a restored frame enters
    /// each through its header.
    pub loops: Vec<usize>,
    /// Operand stack slots above the saved ones, restored as zeros: the
    /// arguments of a direct call, which a rewinding callee ignores.
    pub zeroed: Vec<ValType>,
    /// For `call_indirect`: the variable holding the resolved callee, saved
    /// as the record's last slot and called again on resume.
    pub callee: Option<Variable>,
}

/// What the fuel variable holds while the restore path hops through loop
/// headers: far enough below zero that every charge keeps it negative.
const HOPPING_FUEL: i64 = i64::MIN / 2;

impl Translation<'_, '_> {
    fn suspension(&mut self) -> &mut Suspension {
        self.suspension.as_mut().expect("only called when compiling with reductions")
    }

    /// Registers a resume point that saves every local and the current
    /// operand stack but its top `unsaved` slots, continuing at `target`
    /// when restored.
    fn new_point(&mut self, kind: ResumeKind, target: Block, unsaved: usize) -> u32 {
        let mut slots = self.local_types.clone();
        let num_locals = slots.len();
        let saved = self.stack.len() - unsaved;
        slots.extend_from_slice(&self.stack.types()[..saved]);
        let zeroed = self.stack.types()[saved..].to_vec();
        let suspension = self.suspension();
        let loops = suspension.open_loops.clone();
        suspension.hops += loops.len();
        let points = &mut suspension.points;
        let layout = ResumePoint { kind, slots: slots.into() };
        points.push(Point { layout, num_locals, target, loops, zeroed, callee: None });
        (points.len() - 1) as u32
    }

    pub fn has_fuel(&self) -> bool {
        self.suspension.as_ref().is_some_and(|s| s.fuel.is_some())
    }

    /// Stores the fuel variable to `exec.fuel` (before a call or a return).
    pub fn sync_fuel_out(&mut self) {
        if let Some(fuel) = self.suspension.as_ref().and_then(|s| s.fuel) {
            let value = self.b.use_var(fuel);
            self.env.exec_store(&mut self.b, ExecField::Fuel, value);
        }
    }

    /// Reloads the fuel variable from `exec.fuel` (after a call).
    pub fn sync_fuel_in(&mut self) {
        if let Some(fuel) = self.suspension.as_ref().and_then(|s| s.fuel) {
            let value = self.env.exec_load(&mut self.b, ExecField::Fuel);
            self.b.def_var(fuel, value);
        }
    }

    /// On function entry (after the stack check): load fuel and charge the
    /// entry cost. Leaf functions do nothing.
    pub fn entry_fuel_check(&mut self) {
        let Some(fuel) = self.suspension.as_ref().and_then(|s| s.fuel) else { return };
        let value = self.env.exec_load(&mut self.b, ExecField::Fuel);
        self.b.def_var(fuel, value);
        let cost = self.suspension().cost.entry;
        let body = self.b.create_block();
        self.fuel_check(cost, ResumeKind::FunctionEntry, body);
        self.b.switch_to_block(body);
    }

    /// At a loop header (the current block): charge the loop's cost.
    pub fn loop_fuel_check(&mut self, header: Block) {
        let hop = self.cold_block();
        let suspension = self.suspension();
        let index = suspension.loops.len();
        suspension.loops.push(LoopResume { header, hop });
        suspension.open_loops.push(index);
        if suspension.fuel.is_none() {
            return;
        }
        let cost = suspension.cost.loops.get(index).copied().unwrap_or(0);
        let body = self.b.create_block();
        self.fuel_check(cost, ResumeKind::LoopHeader, body);
        self.b.switch_to_block(body);
    }

    /// At a loop's `end`.
    pub fn leave_loop(&mut self) {
        if let Some(suspension) = self.suspension.as_mut() {
            suspension.open_loops.pop();
        }
    }

    /// Charges `cost`; if fuel goes negative, asks the runtime (refill, yield
    /// or trap). Continues at `body`, which is also where a frame restored at
    /// this point continues: after the charge, since a resumed frame that
    /// paid again before doing any work could yield forever.
    fn fuel_check(&mut self, cost: u64, kind: ResumeKind, body: Block) {
        let fuel = self.suspension().fuel.expect("checked by callers");
        let before = self.b.use_var(fuel);
        let after = self.b.ins().iadd_imm_s(before, -(cost.min(i64::MAX as u64) as i64));
        self.b.def_var(fuel, after);
        let spent = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, after, 0);
        let out_of_fuel = self.b.create_block();
        self.b.set_cold_block(out_of_fuel);
        self.b.ins().brif(spent, out_of_fuel, &[], body, &[]);
        self.b.seal_block(out_of_fuel);

        self.b.switch_to_block(out_of_fuel);
        if kind == ResumeKind::LoopHeader {
            // While rewinding, the check fails on purpose: hop on.
            let state = self.env.exec_load(&mut self.b, ExecField::State);
            let rewinding = self.b.ins().icmp_imm_s(IntCC::Equal, state, STATE_REWINDING as i64);
            let hop = self.suspension().loops.last().expect("pushed by loop_fuel_check").hop;
            let really_out = self.cold_block();
            self.b.ins().brif(rewinding, hop, &[], really_out, &[]);
            self.b.seal_block(really_out);
            self.b.switch_to_block(really_out);
        }
        // The slice is spent: suspend. The runtime decides what happens next
        // (resume with a new slice, or trap if the call's total is spent), so
        // nothing is called here, and no value has to live across a call on
        // this path: loop-carried values stay in whatever registers suit the
        // loop.
        let point = self.new_point(kind, body, 0);
        self.env.exec_store(&mut self.b, ExecField::Fuel, after);
        let unwinding = self.b.ins().iconst(types::I32, STATE_UNWINDING as i64);
        self.env.exec_store(&mut self.b, ExecField::State, unwinding);
        self.save_record(point);
    }

    /// Before a call: registers its resume point and moves to the block
    /// that pops the arguments and calls (the point's target). The top
    /// `unsaved` operands (a direct call's arguments: the callee ignores them
    /// when it rewinds) are not saved. Returns the point, or `None` without
    /// reductions.
    pub fn begin_call(&mut self, unsaved: usize) -> Option<u32> {
        self.suspension.as_ref()?;
        let call_block = self.b.create_block();
        self.b.ins().jump(call_block, &[]);
        self.b.switch_to_block(call_block);
        let point = self.new_point(ResumeKind::Call, call_block, unsaved);
        self.sync_fuel_out();
        Some(point)
    }

    /// For a `call_indirect` at `point`: keeps the resolved callee in a
    /// variable saved with the frame, and moves the point's target to a new
    /// block after the table lookup, where a resumed frame calls the saved
    /// callee. (Reading the table again could find another function, or the
    /// same function of another instance.) Returns the callee to call.
    pub fn resolved_callee(&mut self, point: Option<u32>, callee: Value) -> Value {
        let Some(point) = point else { return callee };
        let var = self.b.declare_var(crate::abi::POINTER);
        self.b.def_var(var, callee);
        let call_block = self.b.create_block();
        self.b.ins().jump(call_block, &[]);
        self.b.switch_to_block(call_block);
        let p = &mut self.suspension().points[point as usize];
        p.target = call_block;
        p.callee = Some(var);
        let mut slots = p.layout.slots.to_vec();
        slots.push(ValType::FuncRef);
        p.layout.slots = slots.into();
        self.b.use_var(var)
    }

    /// After the call instruction: propagate a trap, save the frame if the
    /// call is unwinding, otherwise continue with the fuel reloaded.
    pub fn end_call(&mut self, point: Option<u32>) {
        match point {
            Some(point) => {
                let state = self.env.exec_load(&mut self.b, ExecField::State);
                let unwind = self.cold_block();
                let next = self.b.create_block();
                self.b.ins().brif(state, unwind, &[], next, &[]);
                self.b.seal_block(unwind);
                self.b.seal_block(next);
                self.fill_unwind(unwind, point);
                self.b.switch_to_block(next);
                self.env.reload_memory_cache(&mut self.b);
                self.sync_fuel_in();
            }
            None => self.env.check_state(&mut self.b),
        }
    }

    /// Fills `block` (cold, empty): save this frame at `point` if the state
    /// is unwinding (a trap just returns), then return. Leaves the builder in
    /// a filled block.
    fn fill_unwind(&mut self, block: Block, point: u32) {
        self.b.switch_to_block(block);
        let state = self.env.exec_load(&mut self.b, ExecField::State);
        let trapping = self.b.ins().icmp_imm_s(IntCC::Equal, state, STATE_TRAPPING as i64);
        let save = self.cold_block();
        self.b.ins().brif(trapping, self.env.propagate_block, &[], save, &[]);
        self.b.seal_block(save);
        self.b.switch_to_block(save);
        self.save_record(point);
    }

    /// Writes this frame's record for `point` at `exec.cont_ptr`, commits
    /// it, and returns. The runtime keeps room for the largest record of any
    /// code in the store free in the buffer; the check here only guards that
    /// promise (a trap, never an overrun). The commit call comes after the
    /// last store, so no value is live across it.
    fn save_record(&mut self, point: u32) {
        let (slots, num_locals, callee) = {
            let p = &self.suspension().points[point as usize];
            (p.layout.slots.clone(), p.num_locals, p.callee)
        };
        let size = (slots.len() * 8 + RECORD_HEADER_SIZE) as i64;
        let ptr = self.env.exec_load(&mut self.b, ExecField::ContPtr);
        let end = self.env.exec_load(&mut self.b, ExecField::ContEnd);
        let room = self.b.ins().isub(end, ptr);
        let short = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, room, size);
        let overflow = self.env.trap_block(&mut self.b, TrapCode::ContinuationOverflow);
        let write = self.cold_block();
        self.b.ins().brif(short, overflow, &[], write, &[]);
        self.b.seal_block(write);

        self.b.switch_to_block(write);
        let flags = self.env.record_flags();
        for (i, ty) in slots.iter().enumerate() {
            let value = match callee {
                Some(callee) if i == slots.len() - 1 => self.b.use_var(callee),
                _ if i < num_locals => self.b.use_var(self.locals[i]),
                _ => self.stack.get_typed(&mut self.b, i - num_locals, *ty),
            };
            self.b.ins().store(flags, value, ptr, (i * 8) as i32);
        }
        let header = (self.func_index as u64) | ((point as u64) << 32);
        let header = self.b.ins().iconst(types::I64, header as i64);
        self.b.ins().store(flags, header, ptr, (slots.len() * 8) as i32);
        let size = self.b.ins().iconst(types::I32, size);
        let commit = match self.suspension().commit_block {
            Some(block) => block,
            None => {
                let block = self.cold_block();
                self.b.append_block_param(block, types::I32);
                self.suspension().commit_block = Some(block);
                block
            }
        };
        self.b.ins().jump(commit, &[size.into()]);
    }

    fn cold_block(&mut self) -> Block {
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        block
    }

    /// Emits the entry's cold path: a stack overflow, or (while rewinding)
    /// the dispatch to the restore block of the saved point.
    pub fn finish_suspension(&mut self) {
        let Some(suspension) = self.suspension.take() else { return };
        if let Some(commit) = suspension.commit_block {
            self.b.switch_to_block(commit);
            let size = self.b.block_params(commit)[0];
            self.env.call_builtin_unchecked(&mut self.b, Builtin::CommitRecord, &[size], false);
            self.b.ins().jump(self.env.propagate_block, &[]);
        }
        self.b.switch_to_block(suspension.entry_cold);
        let state = self.env.exec_load(&mut self.b, ExecField::State);
        let rewinding = self.b.ins().icmp_imm_s(IntCC::Equal, state, STATE_REWINDING as i64);
        let overflow = self.env.trap_block(&mut self.b, TrapCode::StackOverflow);
        let mismatch = self.env.trap_block(&mut self.b, TrapCode::ContinuationMismatch);
        if suspension.points.is_empty() {
            // Nothing here can have been suspended.
            self.b.ins().brif(rewinding, mismatch, &[], overflow, &[]);
            self.suspension = Some(suspension);
            return;
        }
        let check = self.cold_block();
        self.b.ins().brif(rewinding, check, &[], overflow, &[]);

        // Resuming must not overflow either: check against the real limit.
        self.b.switch_to_block(check);
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let limit = self.env.exec_load(&mut self.b, ExecField::SavedStackLimit);
        let below = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        let dispatch = self.cold_block();
        self.b.ins().brif(below, overflow, &[], dispatch, &[]);

        self.b.switch_to_block(dispatch);
        let ptr = self.env.exec_load(&mut self.b, ExecField::ContPtr);
        let flags = self.env.record_flags();
        let header = self.b.ins().load(types::I64, flags, ptr, -(RECORD_HEADER_SIZE as i32));
        let func = self.b.ins().ireduce(types::I32, header);
        let not_mine = self.b.ins().icmp_imm_s(IntCC::NotEqual, func, self.func_index as i64);
        let select = self.cold_block();
        self.b.ins().brif(not_mine, mismatch, &[], select, &[]);

        self.b.switch_to_block(select);
        let point = self.b.ins().ushr_imm_u(header, 32);
        let point = self.b.ins().ireduce(types::I32, point);
        let restores: Vec<Block> = suspension.points.iter().map(|_| self.cold_block()).collect();
        let default = self.b.func.dfg.block_call(mismatch, &[]);
        let calls: Vec<_> = restores.iter().map(|r| self.b.func.dfg.block_call(*r, &[])).collect();
        let table = self.b.create_jump_table(JumpTableData::new(default, &calls));
        self.b.ins().br_table(point, table);

        for (index, (point, restore)) in suspension.points.iter().zip(restores).enumerate() {
            self.b.switch_to_block(restore);
            self.restore(index as u32, point, &suspension);
        }
        for (index, lp) in suspension.loops.iter().enumerate() {
            self.fill_loop_hop(index, lp.hop, &suspension, mismatch);
        }
        self.suspension = Some(suspension);
    }

    /// The cold block a loop header's check reaches while rewinding: on to
    /// the next loop header towards the resumed point, or to the point itself.
    ///
    /// The points inside a loop are numbered consecutively (points are
    /// numbered in code order, and a loop's body is one stretch of code), so
    /// the hop's jump table covers only that range, indexed from its first
    /// point: its size is the loop's own points, not the function's.
    fn fill_loop_hop(&mut self, loop_index: usize, hop: Block, suspension: &Suspension, mismatch: Block) {
        self.b.switch_to_block(hop);
        let inside = |p: &Point| p.loops.iter().position(|l| *l == loop_index);
        let first = suspension.points.iter().position(|p| inside(p).is_some());
        let last = suspension.points.iter().rposition(|p| inside(p).is_some());
        let (Some(first), Some(last)) = (first, last) else {
            // No point inside: nothing can be resumed through this loop.
            self.b.ins().jump(mismatch, &[]);
            return;
        };
        let mut hops = Vec::new();
        let mut entries = Vec::new();
        for (index, p) in suspension.points.iter().enumerate().take(last + 1).skip(first) {
            let Some(depth) = inside(p) else {
                entries.push(mismatch);
                continue;
            };
            let block = self.cold_block();
            hops.push((index, depth, block));
            entries.push(block);
        }
        let point = self.b.use_var(suspension.resume_point);
        // Below `first` this wraps to a large index: the default.
        let relative = self.b.ins().iadd_imm_s(point, -(first as i64));
        let default = self.b.func.dfg.block_call(mismatch, &[]);
        let calls: Vec<_> = entries.iter().map(|e| self.b.func.dfg.block_call(*e, &[])).collect();
        let table = self.b.create_jump_table(JumpTableData::new(default, &calls));
        self.b.ins().br_table(relative, table);
        for (index, depth, block) in hops {
            self.b.switch_to_block(block);
            let p = &suspension.points[index];
            match p.loops.get(depth + 1) {
                Some(inner) => {
                    let header = suspension.loops[*inner].header;
                    self.b.ins().jump(header, &[]);
                }
                None => self.arrive(p, suspension.fuel),
            }
        }
    }

    /// Pops `point`'s record, redefines every local and slot from it, and
    /// heads for the point: through the first enclosing loop's header, or
    /// straight there.
    fn restore(&mut self, index: u32, point: &Point, suspension: &Suspension) {
        let ptr = self.env.exec_load(&mut self.b, ExecField::ContPtr);
        let start = self.b.ins().iadd_imm_s(ptr, -(point.layout.record_size() as i64));
        let flags = self.env.record_flags();
        let slots = &point.layout.slots;
        for (i, ty) in slots.iter().enumerate() {
            let value = self.b.ins().load(crate::abi::ir_type(*ty), flags, start, (i * 8) as i32);
            match point.callee {
                Some(callee) if i == slots.len() - 1 => self.b.def_var(callee, value),
                _ if i < point.num_locals => self.b.def_var(self.locals[i], value),
                _ => self.stack.set(&mut self.b, i - point.num_locals, *ty, value),
            }
        }
        let saved = slots.len() - point.num_locals - usize::from(point.callee.is_some());
        for (i, ty) in point.zeroed.iter().enumerate() {
            let zero = super::zero_value(&mut self.b, *ty);
            self.stack.set(&mut self.b, saved + i, *ty, zero);
        }
        self.env.exec_store(&mut self.b, ExecField::ContPtr, start);
        self.env.reload_memory_cache(&mut self.b);
        match point.loops.first() {
            Some(outer) => {
                let index = self.b.ins().iconst(types::I32, index as i64);
                self.b.def_var(suspension.resume_point, index);
                if let Some(fuel) = suspension.fuel {
                    let hopping = self.b.ins().iconst(types::I64, HOPPING_FUEL);
                    self.b.def_var(fuel, hopping);
                }
                self.b.ins().jump(suspension.loops[*outer].header, &[]);
            }
            None => self.arrive(point, suspension.fuel),
        }
    }

    /// The restore path reached `point`: reload the real fuel, end the
    /// rewind if this is the innermost frame, and continue at the target.
    fn arrive(&mut self, point: &Point, fuel: Option<Variable>) {
        if point.layout.kind != ResumeKind::Call {
            let running = self.b.ins().iconst(types::I32, STATE_RUNNING as i64);
            self.env.exec_store(&mut self.b, ExecField::State, running);
            let limit = self.env.exec_load(&mut self.b, ExecField::SavedStackLimit);
            self.env.exec_store(&mut self.b, ExecField::StackLimit, limit);
        }
        if let Some(fuel) = fuel {
            let value = self.env.exec_load(&mut self.b, ExecField::Fuel);
            self.b.def_var(fuel, value);
        }
        self.b.ins().jump(point.target, &[]);
    }
}
