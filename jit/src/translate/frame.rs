//! The record area, and where each local's current value lives.
//!
//! A call that can suspend keeps the values live across it in the frame's
//! record area (see `suspend.rs`): slot `i` of the point's record at byte
//! `8 * i` of a stack slot. After the call, a local of the record is not
//! reloaded at once: it *lives in the area* until something reads it, and a
//! local that is still there, in the same slot, at the next call needs no
//! store either. So a run of calls that pass the same locals around (what
//! compiled C does between two branches) loads and stores only what changes.
//!
//! Where a local lives is translator state at the current position. Where
//! control flow joins (loop headers, the end of a block, an `else`) every
//! way in must agree, so before each branch the locals still in the area are
//! loaded into their variables ([`Translation::settle_locals`]), and after a
//! join every local is in its variable.

use super::Translation;
use cranelift_codegen::ir::{InstBuilder, StackSlot, StackSlotData, StackSlotKind, Value};

/// Where a local's current value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalHome {
    /// In its variable (and maybe elsewhere too, stale).
    Variable,
    /// In record area slot `.0` only: the variable is out of date.
    Area(u32),
    /// In its variable and in record area slot `.0`.
    Both(u32),
}

impl LocalHome {
    /// The record area slot holding the local's current value, if any.
    fn slot(self) -> Option<u32> {
        match self {
            LocalHome::Variable => None,
            LocalHome::Area(slot) | LocalHome::Both(slot) => Some(slot),
        }
    }
}

impl Translation<'_, '_> {
    /// The value of local `index` (`local.get`).
    pub(super) fn read_local(&mut self, index: u32) -> Value {
        let local = index as usize;
        if let LocalHome::Area(slot) = self.homes[local] {
            let value = self.load_area(slot, local);
            self.b.def_var(self.locals[local], value);
            self.homes[local] = LocalHome::Both(slot);
            return value;
        }
        self.b.use_var(self.locals[local])
    }

    /// Sets local `index` (`local.set`, `local.tee`).
    pub(super) fn write_local(&mut self, index: u32, value: Value) {
        let local = index as usize;
        self.b.def_var(self.locals[local], value);
        self.homes[local] = LocalHome::Variable;
    }

    /// Before a branch: loads every local that lives only in the record
    /// area into its variable, and the memory cache if it is out of date
    /// (see the module's doc). In unreachable code, only forgets.
    pub(super) fn settle_locals(&mut self) {
        if self.reachable {
            for local in 0..self.homes.len() {
                if let LocalHome::Area(slot) = self.homes[local] {
                    let value = self.load_area(slot, local);
                    self.b.def_var(self.locals[local], value);
                }
            }
            self.env.settle_memory_cache(&mut self.b);
        } else {
            self.env.forget_stale_memory_cache();
        }
        self.homes.fill(LocalHome::Variable);
    }

    fn load_area(&mut self, slot: u32, local: usize) -> Value {
        let frame = self.frame_slot(0);
        let ty = crate::abi::ir_type(self.local_types[local]);
        self.b.ins().stack_load(crate::abi::POINTER, ty, frame, (slot * 8) as i32)
    }

    /// Stores the values of `point`'s record but a `call_indirect`'s callee
    /// (its last slot) in the record area, all read before any is written
    /// (a local may move from one slot to another). A local already in its
    /// slot is not stored again. Changes nothing of the translator's state
    /// (a fuel check calls it on a cold path that saves and returns).
    pub(super) fn store_frame(&mut self, point: u32) {
        let (slots, locals) = {
            let p = &self.suspension().points[point as usize];
            (p.layout.slots.clone(), p.locals.clone())
        };
        let frame = self.frame_slot(slots.len());
        let saved = slots.len() - usize::from(self.suspension().points[point as usize].callee.is_some());
        let mut values: Vec<Option<Value>> = Vec::with_capacity(saved);
        for (i, ty) in slots[..saved].iter().enumerate() {
            let value = match locals.get(i) {
                Some(&local) => match self.homes[local as usize] {
                    home if home.slot() == Some(i as u32) => None,
                    LocalHome::Area(slot) => Some(self.load_area(slot, local as usize)),
                    _ => Some(self.b.use_var(self.locals[local as usize])),
                },
                None => Some(self.stack.get_typed(&mut self.b, i - locals.len(), *ty)),
            };
            values.push(value);
        }
        for (i, value) in values.into_iter().enumerate() {
            if let Some(value) = value {
                self.b.ins().stack_store(crate::abi::POINTER, value, frame, (i * 8) as i32);
            }
        }
    }

    /// After a call at `point` returned normally: the record's locals now
    /// live in the area (every other local is dead here: it is not in the
    /// record), and the operand stack slots it kept below the call's
    /// arguments are loaded back (the slots the call popped are gone).
    pub(super) fn load_frame(&mut self, point: u32) {
        let (slots, locals) = {
            let p = &self.suspension().points[point as usize];
            (p.layout.slots.clone(), p.locals.clone())
        };
        let frame = self.frame_slot(slots.len());
        self.homes.fill(LocalHome::Variable);
        for (i, local) in locals.iter().enumerate() {
            self.homes[*local as usize] = LocalHome::Area(i as u32);
        }
        let height = self.stack.len();
        for (i, ty) in slots.iter().enumerate().skip(locals.len()) {
            let depth = i - locals.len();
            if depth >= height {
                break;
            }
            let value = self.b.ins().stack_load(crate::abi::POINTER, crate::abi::ir_type(*ty), frame, (i * 8) as i32);
            self.stack.set(&mut self.b, depth, *ty, value);
        }
    }

    /// The record area, large enough for `slots` slots.
    pub(super) fn frame_slot(&mut self, slots: usize) -> StackSlot {
        let bytes = u32::try_from(slots * 8).unwrap_or(u32::MAX);
        let suspension = self.suspension();
        suspension.frame_bytes = suspension.frame_bytes.max(bytes);
        if let Some(frame) = suspension.frame {
            return frame;
        }
        // Sized in `finish_frame`, when every record is known.
        let frame = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        self.suspension().frame = Some(frame);
        frame
    }

    /// Gives the record area its final size.
    pub(super) fn finish_frame(&mut self) {
        let suspension = self.suspension();
        if let Some(frame) = suspension.frame {
            let bytes = suspension.frame_bytes.max(8);
            self.b.func.sized_stack_slots[frame].size = bytes;
        }
    }
}
