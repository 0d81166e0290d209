//! Reduction counting and resume points: how a frame stops and saves
//! itself (`rewind.rs` rebuilds it).
//!
//! A *resume point* is a place where this frame can be suspended: the fuel
//! checks (on entry and at loop headers, where `cost.rs` finds them needed)
//! and every call that can suspend. When the frame must stop there (its
//! fuel ran out, or a callee returned while unwinding), it saves a record:
//! the locals live at the point (see `liveness.rs`) and the operand stack.
//!
//! A record is assembled in the frame's *record area*, a stack slot in
//! which each saved local and operand stack depth has a word of its own
//! (see `frame.rs`), and every save ends in one shared block per function
//! that has `commit_record` gather the point's words into the continuation
//! buffer, write the header and return.
//!
//! At a call, the values live across it go through the record area on the
//! hot path: stored before the call (but the locals already there), loaded
//! back after it where they are needed (see `frame.rs` and `joins.rs`). A
//! value live
//! across a call must be kept somewhere the callee leaves alone anyway (a
//! callee-saved register or a spill slot), so this costs the running code
//! little, and it is what keeps call points cheap to compile: the saved
//! record is already in place when the callee unwinds (the save is a jump),
//! and a restored frame only scatters its record back into the area and
//! re-issues the call, so no value of the frame flows from the restore path
//! into the running code and no call site becomes a merge of every live
//! value.

use super::cost::FunctionCost;
use super::env::ExecField;
use super::frame::{position, AreaLayout, LocalHome};
use super::liveness::Liveness;
use super::Translation;
use crate::module_info::ValType;
use crate::resume::{ResumeKind, ResumePoint, RECORD_HEADER_SIZE};
use crate::vm::{commit_word, Builtin, STATE_REWINDING};
use cranelift_codegen::ir::{condcodes::IntCC, types, Block, InstBuilder, StackSlot, Value};
use cranelift_frontend::Variable;

/// Per-function suspension state; absent when compiling without reductions.
pub struct Suspension {
    pub cost: FunctionCost,
    /// Which locals each resume point saves.
    pub liveness: Liveness,
    /// Fuel left in the slice, kept in a register; `None` in leaf functions.
    pub fuel: Option<Variable>,
    /// Every loop so far, in order (indexes `cost.loops`).
    pub loops: Vec<LoopResume>,
    /// The loops around the current position, outermost first.
    pub open_loops: Vec<usize>,
    pub points: Vec<Point>,
    /// Where a failed entry stack check goes: a stack overflow, or a resume.
    pub entry_cold: Block,
    /// The shared tail of every save (see [`Translation::save_record`]);
    /// created on first use.
    pub commit_block: Option<Block>,
    /// The record area (see the module's doc), created on first use and
    /// sized when the function is finished.
    pub frame: Option<StackSlot>,
    /// Which word of the record area each saved value has.
    pub area: AreaLayout,
    /// Bytes of join homes held by the open control frames (see `joins.rs`).
    pub tracked_bytes: usize,
    /// Loop headers the restore paths pass through, over all points (the
    /// sum of `Point::loops` lengths): the hop code is proportional to it,
    /// and it grows with the square of loop nesting, so the translator
    /// refuses functions where it exceeds [`crate::limits::MAX_RESUME_HOPS`].
    pub hops: usize,
}

pub struct LoopResume {
    /// The block before the header through which both the code before the
    /// loop and restored frames enter it (see [`Translation::loop_entry`]).
    pub entry: Block,
    /// Cold block the header's fuel check reaches while rewinding: it hops
    /// on towards the point being resumed. Only loops with resume points
    /// inside (their header's own excluded) have one.
    pub hop: Option<Block>,
}

pub struct Point {
    pub layout: ResumePoint,
    /// The locals the record saves, in its leading slots (those live at the
    /// point). The others are left undefined on the restore path: Cranelift
    /// finds them their values from the function's entry, which nothing
    /// reads before writing them.
    pub locals: Box<[u32]>,
    /// Where the restored frame continues.
    pub target: Block,
    /// The loops a restored frame enters on its way to the point,
    /// outermost first, each through its header: those around the point,
    /// but for a loop header's own point, that loop (the frame enters it
    /// from outside, restored, so the loop's hot path never leads into
    /// restore code: a loop with no other point inside needs no hop).
    pub loops: Vec<usize>,
    /// Operand stack slots above the saved ones, restored as zeros: the
    /// arguments of a direct call, which a rewinding callee ignores.
    pub zeroed: Vec<ValType>,
    /// For `call_indirect`: the variable holding the resolved callee, saved
    /// as the record's last slot and called again on resume.
    pub callee: Option<Variable>,
    /// For a loop header's point: the locals its restore path defines
    /// (the loop's entry block loads the others it needs; see `joins.rs`).
    /// `None`: all it saves.
    pub defined: Option<Box<[u32]>>,
    /// Fuel the restored frame gets back before it continues at `target`:
    /// a loop header charges the loop's cost again, which it already paid.
    pub fuel_credit: u64,
}

impl Translation<'_, '_> {
    pub(super) fn suspension(&mut self) -> &mut Suspension {
        self.suspension.as_mut().expect("only called when compiling with reductions")
    }

    /// Registers a resume point of the current operator (or the function
    /// entry) that saves the locals live there and the current operand
    /// stack but its top `unsaved` slots, continuing at `target` when
    /// restored.
    fn new_point(&mut self, kind: ResumeKind, target: Block, unsaved: usize) -> u32 {
        // Restore code continues at `target`.
        self.env.checked_bounds().forget_all();
        let liveness = &self.suspension.as_ref().expect("only called when compiling with reductions").liveness;
        let (live, all) = match kind {
            ResumeKind::FunctionEntry => (liveness.entry(), self.num_params),
            _ => (liveness.at(self.op_offset), self.locals.len()),
        };
        let locals: Box<[u32]> = live.map_or_else(|| (0..all as u32).collect(), Into::into);
        let mut slots: Vec<ValType> = locals.iter().map(|l| self.local_types[*l as usize]).collect();
        let saved = self.stack.len() - unsaved;
        slots.extend_from_slice(&self.stack.types()[..saved]);
        let zeroed = self.stack.types()[saved..].to_vec();
        let suspension = self.suspension();
        let mut area: Vec<u16> = locals.iter().map(|l| position(suspension.area.local(*l))).collect();
        area.extend(
            slots[locals.len()..].iter().enumerate().map(|(depth, ty)| position(suspension.area.depth(depth, *ty))),
        );
        let area: Box<[u16]> = area.into();
        let mut loops = suspension.open_loops.clone();
        if kind == ResumeKind::LoopHeader {
            loops.pop();
        }
        suspension.hops += loops.len();
        let points = &mut suspension.points;
        let layout = ResumePoint { kind, slots: slots.into(), callee_type: None, area };
        points.push(Point { layout, locals, target, loops, zeroed, callee: None, defined: None, fuel_credit: 0 });
        (points.len() - 1) as u32
    }

    /// The variable holding the fuel; `None` without reductions and in
    /// leaf functions.
    fn fuel_var(&self) -> Option<Variable> {
        self.suspension.as_ref().and_then(|s| s.fuel)
    }

    /// Stores the fuel variable to `exec.fuel` (before a throw: the
    /// runtime and catching frames read it there).
    pub fn sync_fuel_out(&mut self) {
        if let Some(fuel) = self.fuel_var() {
            let value = self.b.use_var(fuel);
            self.env.exec_store(&mut self.b, ExecField::Fuel, value);
        }
    }

    /// Reloads the fuel variable from `exec.fuel` (where a thrown exception
    /// is caught).
    pub fn sync_fuel_in(&mut self) {
        if let Some(fuel) = self.fuel_var() {
            let value = self.env.exec_load(&mut self.b, ExecField::Fuel);
            self.b.def_var(fuel, value);
        }
    }

    /// The fuel to pass to a callee or return: the fuel variable's value,
    /// or for a function without one (a leaf, or no reductions), the fuel
    /// it was called with, which its calls (to bounded functions, which
    /// charge nothing) leave as it is.
    pub fn current_fuel(&mut self) -> Value {
        match self.fuel_var() {
            Some(fuel) => self.b.use_var(fuel),
            None => self.fuel_in,
        }
    }

    /// After a call that returned running: the fuel it returned is the
    /// frame's.
    fn take_returned_fuel(&mut self, returned: Value) {
        if let Some(fuel) = self.fuel_var() {
            self.b.def_var(fuel, returned);
        }
    }

    /// On the way out after a trap or an unwind: the returned fuel is a
    /// placeholder (the caller reads `exec.fuel`, see `crate::vm`).
    pub fn set_placeholder_fuel(&mut self) {
        if let Some(fuel) = self.fuel_var() {
            let zero = self.b.ins().iconst(types::I64, 0);
            self.b.def_var(fuel, zero);
        }
    }

    /// On function entry (after the stack check): take the fuel passed in
    /// and charge the entry cost, checking it only if the function makes
    /// calls (see `cost.rs`). Leaf functions do nothing.
    pub fn entry_fuel_check(&mut self) {
        let Some(fuel) = self.fuel_var() else { return };
        self.b.def_var(fuel, self.fuel_in);
        let cost = &self.suspension().cost;
        let (charge, check) = (cost.entry, cost.entry_check);
        if !check {
            self.charge(charge);
            return;
        }
        let body = self.b.create_block();
        self.fuel_check(charge, ResumeKind::FunctionEntry, body, body);
        self.b.switch_to_block(body);
    }

    /// With reductions, before a loop's header: a block of its own through
    /// which both the code before the loop and restored frames enter the
    /// loop. Its phis take the merge of the two ways in, so the header's
    /// immediate dominator is this block, in the code before the loop, and
    /// not the function's entry block, where Cranelift would otherwise
    /// hoist the loop's invariant values (to be kept live throughout).
    pub fn loop_entry(&mut self) -> Option<Block> {
        self.suspension.as_ref()?;
        let entry = self.b.create_block();
        self.b.ins().jump(entry, &[]);
        self.b.switch_to_block(entry);
        // Restore code enters loops here.
        self.env.checked_bounds().forget_all();
        Some(entry)
    }

    /// At a loop header (the current block, for the `loop` operator being
    /// translated, entered from `entry`): charge the loop's cost. A header
    /// that checks is a resume point; one that does not still lets restored
    /// frames through to the resume points inside the loop.
    pub fn loop_fuel_check(&mut self, entry: Block, entry_loads: Vec<u32>) {
        let offset = self.op_offset;
        let lp = self.suspension().cost.loop_at(offset);
        let hop = lp.encloses_points.then(|| self.cold_block());
        let suspension = self.suspension();
        let index = suspension.loops.len();
        suspension.loops.push(LoopResume { entry, hop });
        suspension.open_loops.push(index);
        if suspension.fuel.is_none() {
            return;
        }
        if lp.check {
            let body = self.b.create_block();
            let defined = (0..self.homes.len() as u32)
                .filter(|l| self.homes[*l as usize] == LocalHome::Variable && entry_loads.binary_search(l).is_err())
                .collect();
            self.fuel_check(lp.cost, ResumeKind::LoopHeader, body, entry);
            let point = self.suspension().points.len() - 1;
            self.suspension().points[point].defined = Some(defined);
            self.b.switch_to_block(body);
        } else if let Some(hop) = hop {
            // Out of fuel here, the check inside the loop suspends; only a
            // frame being restored stops here (see `rewind.rs`).
            let body = self.b.create_block();
            self.charge_or_run_out(lp.cost, body);
            self.hop_if_rewinding(hop, body);
            self.b.seal_block(body);
            self.b.switch_to_block(body);
        } else {
            self.charge(lp.cost);
        }
    }

    /// Subtracts `cost` from the fuel variable without checking it; returns
    /// the fuel before and after.
    fn charge(&mut self, cost: u64) -> (Value, Value) {
        let fuel = self.fuel_var().expect("checked by callers");
        let before = self.b.use_var(fuel);
        let after = self.b.ins().iadd_imm_s(before, -clamped(cost));
        self.b.def_var(fuel, after);
        (before, after)
    }

    /// Charges `cost` and goes on at `body`, or, if the fuel went negative,
    /// to a new cold block, where it leaves the builder. Returns the fuel
    /// after the charge.
    ///
    /// The test compares the fuel *before* the charge with the cost (the
    /// same as the fuel after it below zero: grants are at most
    /// `MAX_FUEL_GRANT`, 2^62, and costs far smaller, so nothing wraps).
    /// Then the subtraction is not needed on the test's path: Cranelift
    /// sinks it into the branches back to a loop's header, and a loop pays
    /// `cmp; jl` and an `add`, where testing the result made the register
    /// allocator copy it twice per iteration (interp: 7% fewer
    /// instructions).
    fn charge_or_run_out(&mut self, cost: u64, body: Block) -> Value {
        let (before, after) = self.charge(cost);
        let spent = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, before, clamped(cost));
        let out_of_fuel = self.cold_block();
        self.b.ins().brif(spent, out_of_fuel, &[], body, &[]);
        self.b.seal_block(out_of_fuel);
        self.b.switch_to_block(out_of_fuel);
        after
    }

    /// Ends the current block (a loop header's out-of-fuel path): while
    /// rewinding, the check failed on purpose, so on to `hop`; otherwise to
    /// `otherwise`.
    fn hop_if_rewinding(&mut self, hop: Block, otherwise: Block) {
        let state = self.env.exec_load(&mut self.b, ExecField::State);
        let rewinding = self.b.ins().icmp_imm_s(IntCC::Equal, state, STATE_REWINDING as i64);
        self.b.ins().brif(rewinding, hop, &[], otherwise, &[]);
    }

    /// At a loop's `end`.
    pub fn leave_loop(&mut self) {
        if let Some(suspension) = self.suspension.as_mut() {
            suspension.open_loops.pop();
        }
    }

    /// Charges `cost`; if fuel goes negative, suspends (the runtime then
    /// refills, yields or traps). Continues at `body`. A frame restored at
    /// this point continues at `resume`: `body` itself, or the loop's entry
    /// block, from where the header charges again, with the cost given back
    /// first (a frame that paid twice before doing any work could yield
    /// forever). Entering the loop from outside keeps restore code off the
    /// loop's own paths (see `rewind.rs`).
    fn fuel_check(&mut self, cost: u64, kind: ResumeKind, body: Block, resume: Block) {
        let after = self.charge_or_run_out(cost, body);
        let hop = match kind {
            ResumeKind::LoopHeader => self.suspension().loops.last().and_then(|l| l.hop),
            _ => None,
        };
        if let Some(hop) = hop {
            let really_out = self.cold_block();
            self.hop_if_rewinding(hop, really_out);
            self.b.seal_block(really_out);
            self.b.switch_to_block(really_out);
        }
        // The slice is spent: suspend. The runtime decides what happens next
        // (resume with a new slice, or trap if the call's total is spent), so
        // nothing is called here, and no value has to live across a call on
        // this path: loop-carried values stay in whatever registers suit the
        // loop.
        let point = self.new_point(kind, resume, 0);
        if resume != body {
            self.suspension().points[point as usize].fuel_credit = cost;
        }
        self.env.exec_store(&mut self.b, ExecField::Fuel, after);
        self.save_record(point);
    }

    /// Before a call: registers its resume point, stores the values live
    /// across the call in the record area and moves to the block that pops
    /// the arguments and calls (the point's target). The top `unsaved`
    /// operands (a direct call's arguments: the callee ignores them when it
    /// rewinds) are not saved. Returns the point, or `None` without
    /// reductions.
    pub fn begin_call(&mut self, unsaved: usize) -> Option<u32> {
        self.suspension.as_ref()?;
        let call_block = self.b.create_block();
        let point = self.new_point(ResumeKind::Call, call_block, unsaved);
        self.store_frame(point, true);
        self.b.ins().jump(call_block, &[]);
        self.b.switch_to_block(call_block);
        Some(point)
    }

    /// For a `call_indirect` at `point`: keeps the resolved callee (checked
    /// to be of type `type_index`) in a variable saved with the frame, and
    /// moves the point's target to a new block after the table lookup,
    /// where a resumed frame calls the saved callee. (Reading the table
    /// again could find another function, or the same function of another
    /// instance.) Returns the callee to call.
    pub fn resolved_callee(&mut self, point: Option<u32>, type_index: u32, callee: Value) -> Value {
        let Some(point) = point else { return callee };
        let var = self.b.declare_var(crate::abi::POINTER);
        self.b.def_var(var, callee);
        let call_block = self.b.create_block();
        self.b.ins().jump(call_block, &[]);
        self.b.switch_to_block(call_block);
        let p = &mut self.suspension().points[point as usize];
        p.target = call_block;
        p.callee = Some(var);
        p.layout.callee_type = Some(type_index);
        let mut slots = p.layout.slots.to_vec();
        slots.push(ValType::FuncRef);
        p.layout.slots = slots.into();
        let word = position(self.suspension().area.callee());
        let p = &mut self.suspension().points[point as usize];
        let mut area = p.layout.area.to_vec();
        area.push(word);
        p.layout.area = area.into();
        self.b.use_var(var)
    }

    /// After the call instruction: save the frame if the state is not
    /// running (the commit block tells a trap from an unwind), otherwise
    /// continue with the fuel the callee returned and the values kept
    /// across the call reloaded.
    ///
    /// Inside a `try_table`, the cold path first catches a propagating
    /// exception if a clause matches (see `exceptions.rs`).
    pub fn end_call(&mut self, point: Option<u32>, returned_fuel: Value) {
        if point.is_none() && !self.has_handlers() {
            self.env.check_state(&mut self.b);
            return self.take_returned_fuel(returned_fuel);
        }
        // Not running: a cold path (the state is left in `state`).
        let state = self.env.exec_load(&mut self.b, ExecField::State);
        let stopped = self.cold_block();
        let next = self.b.create_block();
        self.b.ins().brif(state, stopped, &[], next, &[]);
        self.b.seal_block(stopped);
        self.b.seal_block(next);
        self.b.switch_to_block(stopped);
        if self.has_handlers() {
            self.catch_after_call(state, point);
        }
        match point {
            Some(point) => self.save_record(point),
            None => {
                self.b.ins().jump(self.env.propagate_block, &[]);
            }
        }
        self.b.switch_to_block(next);
        self.env.invalidate_memory_cache();
        self.take_returned_fuel(returned_fuel);
        if let Some(point) = point {
            self.load_frame(point);
        }
    }

    /// Completes `point`'s record in the record area and jumps to the
    /// commit block. A call's values are there already (see
    /// [`Translation::begin_call`]) but for a `call_indirect`'s callee; a
    /// fuel check stores them all, on its cold path.
    ///
    /// The commit block, shared by every save of the function, receives
    /// the point and size as one word (see [`commit_word`]) and calls
    /// `commit_record` with it, the function index and the record area,
    /// which copies the record into the continuation buffer and writes its
    /// header (or, if a call returned with a trap, does nothing) and sets
    /// the state to unwinding (for a fuel check's save).
    fn save_record(&mut self, point: u32) {
        let (kind, slots, callee, callee_word) = {
            let p = &self.suspension().points[point as usize];
            (p.layout.kind, p.layout.words(), p.callee, p.layout.area.last().copied())
        };
        if kind != ResumeKind::Call {
            self.store_frame(point, false);
        }
        if let (Some(callee), Some(word)) = (callee, callee_word) {
            let frame = self.frame_slot();
            let value = self.b.use_var(callee);
            self.b.ins().stack_store(crate::abi::POINTER, value, frame, i32::from(word) * 8);
        }
        let size = slots * 8 + RECORD_HEADER_SIZE;
        let commit = self.commit_block();
        let word = commit_word(point, size);
        let word = self.b.ins().iconst(types::I64, word as i64);
        self.b.ins().jump(commit, &[word.into()]);
    }

    /// The block shared by every save (see [`Translation::save_record`]),
    /// created on first use and filled by [`Translation::fill_save_blocks`].
    pub(super) fn commit_block(&mut self) -> Block {
        if let Some(block) = self.suspension().commit_block {
            return block;
        }
        let block = self.cold_block();
        self.b.append_block_param(block, types::I64);
        self.suspension().commit_block = Some(block);
        block
    }

    /// Fills the block shared by every save: the call to `commit_record`,
    /// then the return (see [`Translation::save_record`]).
    pub(super) fn fill_save_blocks(&mut self) {
        let Some(commit) = self.suspension().commit_block else { return };
        self.b.switch_to_block(commit);
        let word = self.b.block_params(commit)[0];
        let func = self.b.ins().iconst(types::I32, self.func_index as i64);
        let frame = self.frame_slot();
        let area = self.b.ins().stack_addr(crate::abi::POINTER, frame, 0);
        let words = self.suspension().area.words.max(1);
        let area_words = self.b.ins().iconst(types::I32, words as i64);
        self.env.call_builtin_unchecked(&mut self.b, Builtin::CommitRecord, &[word, func, area, area_words]);
        self.b.ins().jump(self.env.propagate_block, &[]);
    }

    pub(super) fn cold_block(&mut self) -> Block {
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        block
    }
}

/// A static cost as the `i64` the fuel counter is charged with.
fn clamped(cost: u64) -> i64 {
    cost.min(i64::MAX as u64) as i64
}
