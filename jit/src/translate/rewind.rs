//! Rebuilding a suspended frame: the other half of `suspend.rs`.
//!
//! On resume, the function is entered with `stack_limit = usize::MAX`, so
//! the entry stack check fails into the *dispatch*, which has the
//! `rewind_frame` builtin check the real stack limit, that the state is
//! rewinding and that the last record in the buffer is this function's and
//! this instance's, pop the record into the frame's record area (see
//! `suspend.rs`) and publish its point in `exec.resume_point`. The dispatch then
//! reloads the memory cache and heads for the point (or returns, if the
//! builtin trapped). One builtin call per function instead of inline checks
//! and copies per point keeps restore code small.
//!
//! A point inside loops is reached through the header of every enclosing
//! loop, outermost first, never by a jump into a loop's body: that keeps
//! every loop single-entry (reducible), which Cranelift's loop
//! optimizations and register allocation rely on. The dispatch sets the
//! fuel variable to a large negative value, so each header's fuel check
//! takes its cold path, which sees the state is still rewinding and *hops*
//! on: to the next loop header inward, or, in the point's innermost loop,
//! to the *arrival*.
//!
//! A loop header's own point is the exception: its frame arrives before
//! entering that loop, then enters it through the header like any
//! iteration, with the loop's cost given back. So a loop hops only for the
//! points strictly inside it, and an innermost loop (the hot one) has no
//! hop at all: no path from its header leads through restore code back
//! into it, which would cost the loop registers and moves.
//!
//! The arrival continues at the point's target: the call (re-issued so
//! that the callee rewinds in turn), the code after the entry check, or the
//! loop header. A call's record stays in the record area, from where the
//! code after the call reloads it; a fuel check's record redefines the
//! locals and operand stack slots it holds (the locals not saved are dead at the point: nothing
//! reads them before writing them). Defining the values only there means
//! the way through the loop headers carries nothing of the frame: it is
//! shared by every point of the loop nest.

use super::env::ExecField;
use super::suspend::Point;
use super::Translation;
use crate::error::CompileError;
use crate::resume::ResumeKind;
use crate::vm::{Builtin, REWIND_FAILED, REWIND_REDIRECT, STATE_RUNNING};
use cranelift_codegen::ir::{condcodes::IntCC, types, Block, InstBuilder, JumpTableData, StackSlot, Value};
use cranelift_frontend::Variable;
use std::collections::BTreeMap;

/// What the fuel variable holds while the restore path hops through loop
/// headers: far enough below zero that every charge keeps it negative (the
/// hops charge each enclosing loop's cost once, and all costs of a function
/// add up to less than its operator count, below 2^23), and small enough
/// to be an x86 32-bit immediate.
const HOPPING_FUEL: i64 = i32::MIN as i64;

impl Translation<'_, '_> {
    /// Emits the blocks shared by every save, and the entry's cold path: a
    /// stack overflow, or (while rewinding) the dispatch to the saved point.
    pub fn finish_suspension(&mut self) -> Result<(), CompileError> {
        if self.suspension.is_none() {
            return Ok(());
        }
        let commit = self.commit_block();
        self.fill_save_blocks();
        // Every record is known: size the area.
        self.finish_frame();
        let frame = self.frame_slot();
        let Some(suspension) = self.suspension.take() else { return Ok(()) };
        self.b.switch_to_block(suspension.entry_cold);
        if suspension.points.is_empty() {
            // Nothing here can have been suspended: a stack overflow, or a
            // record that is not this function's, for which the commit
            // block (with the word `REWIND_FAILED`) has the runtime raise
            // the right trap; unless this function made a tail call, whose
            // callee it stands for. (A loop may still have a hop, when the
            // scan counted a call in unreachable code.)
            let fail = self.cold_block();
            if self.tail_calls {
                let func = self.b.ins().iconst(types::I32, self.func_index as i64);
                let area = self.b.ins().iconst(crate::abi::POINTER, 0);
                let area_slots = self.b.ins().iconst(types::I32, 0);
                let point =
                    self.env.call_builtin_unchecked(&mut self.b, Builtin::RewindTailFrame, &[func, area, area_slots]);
                let point = point.expect("rewind_tail_frame returns the point");
                self.redirect_if_asked(point);
            }
            self.b.ins().jump(fail, &[]);
            self.fill_rewind_failure(fail, commit);
            for hop in suspension.loops.iter().filter_map(|lp| lp.hop) {
                self.b.switch_to_block(hop);
                self.hop(&[]);
            }
            self.suspension = Some(suspension);
            return Ok(());
        }
        // The runtime checks the stack and the record, pops it into the
        // record area and ends the rewind if this is the innermost frame.
        let func = self.b.ins().iconst(types::I32, self.func_index as i64);
        let area = self.b.ins().stack_addr(crate::abi::POINTER, frame, 0);
        let area_size = self.b.func.sized_stack_slots[frame].size;
        let area_slots = self.b.ins().iconst(types::I32, i64::from(area_size / 8));
        let rewind = if self.tail_calls { Builtin::RewindTailFrame } else { Builtin::RewindFrame };
        let point = self.env.call_builtin_unchecked(&mut self.b, rewind, &[func, area, area_slots]);
        let point = point.expect("rewind_frame returns the point");
        if self.tail_calls {
            self.redirect_if_asked(point);
        }
        self.env.reload_memory_cache(&mut self.b);
        let arrivals: Vec<Block> = suspension.points.iter().map(|_| self.cold_block()).collect();
        // A point in loops enters its outermost loop; the points of a loop
        // nest share that way in.
        // (A BTreeMap: blocks are laid out in the order they are filled,
        // and the code must not depend on a hash seed.)
        let mut enters: BTreeMap<usize, Block> = BTreeMap::new();
        let entries: Vec<Block> = suspension
            .points
            .iter()
            .zip(&arrivals)
            .map(|(p, arrival)| match p.loops.first() {
                Some(outer) => *enters.entry(*outer).or_insert_with(|| self.cold_block()),
                None => *arrival,
            })
            .collect();
        // `u32::MAX` (a trap) is out of range: the frame returns.
        let propagate = self.env.propagate_block;
        self.switch_on_point(point, &entries, propagate);
        for (outer, enter) in enters {
            self.b.switch_to_block(enter);
            if let Some(fuel) = suspension.fuel {
                let hopping = self.b.ins().iconst(types::I64, HOPPING_FUEL);
                self.b.def_var(fuel, hopping);
            }
            self.b.ins().jump(suspension.loops[outer].entry, &[]);
        }
        for (index, lp) in suspension.loops.iter().enumerate() {
            // Only the points inside the loop can be resumed through it:
            // where each of them goes next.
            let routes: Vec<(u32, Block)> = suspension
                .points
                .iter()
                .zip(&arrivals)
                .enumerate()
                .filter_map(|(i, (p, arrival))| {
                    let depth = p.loops.iter().position(|l| *l == index)?;
                    let next = p.loops.get(depth + 1).map_or(*arrival, |inner| suspension.loops[*inner].entry);
                    Some((i as u32, next))
                })
                .collect();
            match lp.hop {
                Some(hop) => {
                    self.b.switch_to_block(hop);
                    self.hop(&routes);
                }
                // The cost scan found no point inside this loop.
                None if routes.is_empty() => {}
                None => {
                    self.suspension = Some(suspension);
                    return Err(CompileError::Internal {
                        func_index: Some(self.func_index),
                        message: format!("loop {index} has resume points inside but its header cannot hop"),
                    });
                }
            }
        }
        for (point, arrival) in suspension.points.iter().zip(arrivals) {
            self.b.switch_to_block(arrival);
            self.arrive(point, suspension.fuel, frame);
        }
        self.suspension = Some(suspension);
        Ok(())
    }

    /// After `rewind_tail_frame` returned `point`: if it is
    /// [`REWIND_REDIRECT`], the frame this function tail-called (or one down
    /// the chain) is the one to restore, so tail-call it through its type's
    /// rewind thunk (see `ExecCtx::redirect`); else go on in a new block.
    fn redirect_if_asked(&mut self, point: Value) {
        let (redirect, next) = (self.cold_block(), self.cold_block());
        let asked = self.b.ins().icmp_imm_u(IntCC::Equal, point, i64::from(REWIND_REDIRECT));
        self.b.ins().brif(asked, redirect, &[], next, &[]);
        self.b.seal_block(redirect);
        self.b.switch_to_block(redirect);
        let [func_ptr, vmctx, thunk] = [ExecField::RedirectFuncPtr, ExecField::RedirectVmctx, ExecField::RedirectThunk]
            .map(|field| self.env.exec_load(&mut self.b, field));
        let results = self.env.func_type(self.env.info.functions[self.func_index as usize]).results.clone();
        let signature = self.b.import_signature(crate::abi::rewind_thunk_signature(&results));
        let fuel = self.env.exec_load(&mut self.b, ExecField::Fuel);
        let mut args = vec![vmctx, self.env.exec, fuel];
        args.extend(self.return_area);
        args.push(func_ptr);
        self.b.ins().return_call_indirect(signature, thunk, &args);
        self.b.seal_block(next);
        self.b.switch_to_block(next);
    }

    /// Ends a loop's hop block: on to the block `routes` gives for the
    /// point being resumed, which is one of those listed (every point in
    /// the loop, each with its next block). A jump if they all agree, a
    /// comparison if all but one do, a jump table otherwise.
    fn hop(&mut self, routes: &[(u32, Block)]) {
        let mut targets: Vec<Block> = routes.iter().map(|r| r.1).collect();
        targets.sort();
        targets.dedup();
        let Some(&common) = targets.first() else {
            // No point in this loop (it cannot be reached while rewinding).
            self.b.ins().jump(self.env.propagate_block, &[]);
            return;
        };
        if targets.len() == 1 {
            self.b.ins().jump(common, &[]);
            return;
        }
        let point = self.env.exec_load(&mut self.b, ExecField::ResumePoint);
        let single = |t: Block| routes.iter().filter(|r| r.1 == t).count() == 1;
        if targets.len() == 2 && (single(targets[0]) || single(targets[1])) {
            let (odd, other) = if single(targets[0]) { (targets[0], targets[1]) } else { (targets[1], targets[0]) };
            let odd_point = routes.iter().find(|r| r.1 == odd).map_or(0, |r| r.0);
            let is_odd = self.b.ins().icmp_imm_u(IntCC::Equal, point, odd_point as i64);
            self.b.ins().brif(is_odd, odd, &[], other, &[]);
            return;
        }
        // The points inside a loop are numbered consecutively (in code
        // order, and a loop's body is one stretch of code), so the table
        // covers only their range, indexed from the first: its size is the
        // loop's own points, not the function's, which keeps nested loops
        // from costing the square of their points.
        let min = routes.iter().map(|r| r.0).min().unwrap_or(0);
        let max = routes.iter().map(|r| r.0).max().unwrap_or(0);
        let mut entries = vec![common; (max - min) as usize + 1];
        for (p, next) in routes {
            entries[(*p - min) as usize] = *next;
        }
        // Below `min` this wraps to a large index: the default.
        let relative = self.b.ins().iadd_imm_s(point, -(min as i64));
        let default = self.b.func.dfg.block_call(common, &[]);
        let calls: Vec<_> = entries.iter().map(|e| self.b.func.dfg.block_call(*e, &[])).collect();
        let table = self.b.create_jump_table(JumpTableData::new(default, &calls));
        self.b.ins().br_table(relative, table);
    }

    /// Ends the current block with a jump to `entries[point]`, or to `fail`
    /// for a point out of range (a trap): a comparison per point for up to three
    /// points, a jump table beyond.
    fn switch_on_point(&mut self, point: Value, entries: &[Block], fail: Block) {
        if entries.len() <= 3 {
            for (i, entry) in entries.iter().enumerate() {
                let is = self.b.ins().icmp_imm_u(IntCC::Equal, point, i as i64);
                let next = if i + 1 == entries.len() { fail } else { self.cold_block() };
                self.b.ins().brif(is, *entry, &[], next, &[]);
                if next != fail {
                    self.b.seal_block(next);
                    self.b.switch_to_block(next);
                }
            }
            return;
        }
        let default = self.b.func.dfg.block_call(fail, &[]);
        let calls: Vec<_> = entries.iter().map(|e| self.b.func.dfg.block_call(*e, &[])).collect();
        let table = self.b.create_jump_table(JumpTableData::new(default, &calls));
        self.b.ins().br_table(point, table);
    }

    /// Fills the block where a failed entry check goes: to the commit block
    /// with the word [`REWIND_FAILED`], for which `commit_record` traps (a
    /// stack overflow, or a record that is not this function's); then the
    /// frame returns.
    fn fill_rewind_failure(&mut self, fail: Block, commit: Block) {
        self.b.switch_to_block(fail);
        let word = self.b.ins().iconst(types::I64, REWIND_FAILED as i64);
        self.b.ins().jump(commit, &[word.into()]);
    }

    /// Continues a frame whose record `rewind_frame` popped into the record
    /// area `frame`: a call's record stays there, from where the code after
    /// the call reloads it as after any call (but a `call_indirect`'s
    /// callee, which the call needs); a fuel check's record redefines the
    /// locals and operand stack slots it saved, and ends the rewind (this
    /// frame is where the call stopped). Then reloads the real fuel and
    /// continues at the target.
    fn arrive(&mut self, point: &Point, fuel: Option<Variable>, frame: StackSlot) {
        let slots = &point.layout.slots;
        let is_call = point.layout.kind == ResumeKind::Call;
        for (i, ty) in slots.iter().enumerate() {
            let callee = point.callee.filter(|_| i == slots.len() - 1);
            if is_call && callee.is_none() {
                continue;
            }
            let local = point.locals.get(i);
            if let (Some(local), Some(defined)) = (local, &point.defined) {
                if defined.binary_search(local).is_err() {
                    continue;
                }
            }
            let ir_type = crate::abi::ir_type(*ty);
            let offset = i32::from(point.layout.area[i]) * 8;
            let value = self.b.ins().stack_load(crate::abi::POINTER, ir_type, frame, offset);
            match callee {
                Some(callee) => self.b.def_var(callee, value),
                None if i < point.locals.len() => self.b.def_var(self.locals[point.locals[i] as usize], value),
                None => self.stack.set(&mut self.b, i - point.locals.len(), *ty, value),
            }
        }
        let saved = slots.len() - point.locals.len() - usize::from(point.callee.is_some());
        for (i, ty) in point.zeroed.iter().enumerate() {
            let zero = super::zero_value(&mut self.b, *ty);
            self.stack.set(&mut self.b, saved + i, *ty, zero);
        }
        if !is_call {
            // Where the call stopped: the rewind ends here.
            let running = self.b.ins().iconst(types::I32, STATE_RUNNING as i64);
            self.env.exec_store(&mut self.b, ExecField::State, running);
            let limit = self.env.exec_load(&mut self.b, ExecField::SavedStackLimit);
            self.env.exec_store(&mut self.b, ExecField::StackLimit, limit);
        }
        if let Some(fuel) = fuel {
            let value = self.env.exec_load(&mut self.b, ExecField::Fuel);
            // The runtime grants at most `MAX_FUEL_GRANT`: no overflow.
            let value = match point.fuel_credit {
                0 => value,
                credit => self.b.ins().iadd_imm_s(value, credit.min(i32::MAX as u64) as i64),
            };
            self.b.def_var(fuel, value);
        }
        self.b.ins().jump(point.target, &[]);
    }
}
