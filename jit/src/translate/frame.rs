//! The record area, and where each local's current value lives.
//!
//! A call that can suspend keeps the values live across it in the frame's
//! record area (see `suspend.rs`), a stack slot in which every local and
//! every operand stack depth that some resume point saves has one word of
//! its own for the whole function ([`AreaLayout`]). After the call, a local
//! of the record is not reloaded at once: it *lives in the area* until
//! something reads it, and a local that is still there at the next call
//! needs no store either. So a run of calls that pass the same locals
//! around (what compiled C does between two branches) loads and stores
//! only what changes, and the values live across many calls are not kept
//! in registers or spill slots of their own, which is what the register
//! allocator would otherwise have to work out.
//!
//! Where a local lives is translator state at the current position
//! ([`LocalHome`]); where control flow joins, the ways in are reconciled
//! (see `joins.rs`).

use super::Translation;
use crate::limits;
use crate::module_info::ValType;
use cranelift_codegen::ir::{InstBuilder, StackSlot, StackSlotData, StackSlotKind, Value};

/// Where a local's current value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalHome {
    /// In its variable (its area word, if any, may be stale).
    Variable,
    /// In its area word only: the variable is out of date.
    Area,
    /// In its variable and in its area word.
    Both,
    /// Nowhere: the local is dead here (the liveness analysis found no
    /// read before a write on any path from here), so its value does not
    /// matter. After a call, every local its record does not save is dead.
    Dead,
}

impl LocalHome {
    /// Whether the local's area word holds its current value.
    pub fn in_area(self) -> bool {
        matches!(self, LocalHome::Area | LocalHome::Both)
    }
}

/// The words of the record area: assigned on first use, in translation
/// order, so a function's area is as large as the locals and stack depths
/// it ever saves, not as all of its locals. A `v128` takes two words, the
/// first at an even word (the area is 16-byte aligned, so vector loads and
/// stores of it are aligned).
#[derive(Debug, Default)]
pub struct AreaLayout {
    /// Each local's word, or `NO_WORD`.
    locals: Vec<u32>,
    /// Which locals are `v128`s.
    wide_locals: Vec<bool>,
    /// Each operand stack depth's word, for values of one word.
    depths: Vec<u32>,
    /// Each operand stack depth's pair of words, for `v128`s, or `NO_WORD`.
    wide_depths: Vec<u32>,
    /// A `call_indirect`'s resolved callee's word, if any.
    callee: Option<u32>,
    /// Words assigned so far.
    pub words: usize,
}

const NO_WORD: u32 = u32::MAX;

impl AreaLayout {
    pub fn new(local_types: &[ValType]) -> Self {
        AreaLayout {
            locals: vec![NO_WORD; local_types.len()],
            wide_locals: local_types.iter().map(|t| t.words() == 2).collect(),
            ..Default::default()
        }
    }

    fn next(words: &mut usize) -> u32 {
        let word = *words as u32;
        *words += 1;
        word
    }

    /// Two words, the first even.
    fn next_pair(words: &mut usize) -> u32 {
        *words += *words % 2;
        let word = *words as u32;
        *words += 2;
        word
    }

    /// The (first) word of local `local`, assigned now if it has none.
    pub fn local(&mut self, local: u32) -> u32 {
        let wide = self.wide_locals[local as usize];
        let word = &mut self.locals[local as usize];
        if *word == NO_WORD {
            *word = if wide { Self::next_pair(&mut self.words) } else { Self::next(&mut self.words) };
        }
        *word
    }

    /// Whether local `local` has a word.
    pub fn has_local(&self, local: u32) -> bool {
        self.locals[local as usize] != NO_WORD
    }

    /// The (first) word of operand stack depth `depth` holding a value of
    /// type `ty`, assigned now if it has none.
    pub fn depth(&mut self, depth: usize, ty: ValType) -> u32 {
        if ty.words() == 2 {
            if self.wide_depths.len() <= depth {
                self.wide_depths.resize(depth + 1, NO_WORD);
            }
            if self.wide_depths[depth] == NO_WORD {
                self.wide_depths[depth] = Self::next_pair(&mut self.words);
            }
            return self.wide_depths[depth];
        }
        while self.depths.len() <= depth {
            let word = Self::next(&mut self.words);
            self.depths.push(word);
        }
        self.depths[depth]
    }

    pub fn callee(&mut self) -> u32 {
        *self.callee.get_or_insert_with(|| Self::next(&mut self.words))
    }

    /// Whether the area grew past [`limits::MAX_AREA_SLOTS`].
    pub fn too_large(&self) -> bool {
        self.words > limits::MAX_AREA_SLOTS
    }
}

/// A word index as a record's area position: positions past the limit
/// saturate (the function is refused, see [`AreaLayout::too_large`]).
pub fn position(word: u32) -> u16 {
    u16::try_from(word).unwrap_or(u16::MAX)
}

impl Translation<'_, '_> {
    /// The value of local `index` (`local.get`).
    pub(super) fn read_local(&mut self, index: u32) -> Value {
        let local = index as usize;
        if self.homes[local] == LocalHome::Area {
            let value = self.load_local(index);
            self.b.def_var(self.locals[local], value);
            self.homes[local] = LocalHome::Both;
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

    /// Loads local `index` from its area word (which it must have).
    pub(super) fn load_local(&mut self, index: u32) -> Value {
        let word = self.suspension().area.local(index);
        let frame = self.frame_slot();
        let ty = crate::abi::ir_type(self.local_types[index as usize]);
        self.b.ins().stack_load(crate::abi::POINTER, ty, frame, (word * 8) as i32)
    }

    /// Stores local `index`'s variable in its area word.
    pub(super) fn store_local(&mut self, index: u32) {
        let word = self.suspension().area.local(index);
        let frame = self.frame_slot();
        let value = self.b.use_var(self.locals[index as usize]);
        self.b.ins().stack_store(crate::abi::POINTER, value, frame, (word * 8) as i32);
    }

    /// Stores the values of `point`'s record but a `call_indirect`'s callee
    /// (its last slot) in the record area, but the locals already there.
    /// With `settle`, the stored locals are then at home in both places;
    /// without (a fuel check's cold path, which saves and returns), the
    /// translator's state is left as it was.
    pub(super) fn store_frame(&mut self, point: u32, settle: bool) {
        let (slots, locals, area, has_callee) = {
            let p = &self.suspension().points[point as usize];
            (p.layout.slots.clone(), p.locals.clone(), p.layout.area.clone(), p.callee.is_some())
        };
        let frame = self.frame_slot();
        let saved = slots.len() - usize::from(has_callee);
        for (i, ty) in slots[..saved].iter().enumerate() {
            let value = match locals.get(i) {
                Some(&local) if self.homes[local as usize].in_area() => continue,
                Some(&local) => {
                    if settle {
                        self.homes[local as usize] = LocalHome::Both;
                    }
                    self.b.use_var(self.locals[local as usize])
                }
                None => self.stack.get_typed(&mut self.b, i - locals.len(), *ty),
            };
            self.b.ins().stack_store(crate::abi::POINTER, value, frame, i32::from(area[i]) * 8);
        }
    }

    /// After a call at `point` returned normally: the record's locals now
    /// live in the area, every other local is dead, and the operand stack
    /// slots it kept below the call's arguments are loaded back (the slots
    /// the call popped are gone).
    pub(super) fn load_frame(&mut self, point: u32) {
        let (slots, locals, area) = {
            let p = &self.suspension().points[point as usize];
            (p.layout.slots.clone(), p.locals.clone(), p.layout.area.clone())
        };
        let frame = self.frame_slot();
        self.homes.fill(LocalHome::Dead);
        for local in locals.iter() {
            self.homes[*local as usize] = LocalHome::Area;
        }
        let height = self.stack.len();
        for (i, ty) in slots.iter().enumerate().skip(locals.len()) {
            let depth = i - locals.len();
            if depth >= height {
                break;
            }
            let offset = i32::from(area[i]) * 8;
            let value = self.b.ins().stack_load(crate::abi::POINTER, crate::abi::ir_type(*ty), frame, offset);
            self.stack.set(&mut self.b, depth, *ty, value);
        }
    }

    /// The record area, sized when the function is finished.
    pub(super) fn frame_slot(&mut self) -> StackSlot {
        if let Some(frame) = self.suspension().frame {
            return frame;
        }
        // Sized in `finish_frame`, when every record is known.
        // 16-byte aligned: `v128` words are (see `AreaLayout`).
        let frame = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 4));
        self.suspension().frame = Some(frame);
        frame
    }

    /// Gives the record area its final size.
    pub(super) fn finish_frame(&mut self) {
        let suspension = self.suspension();
        if let Some(frame) = suspension.frame {
            let bytes = (suspension.area.words.max(1) * 8) as u32;
            self.b.func.sized_stack_slots[frame].size = bytes;
        }
    }
}
