//! What compiled code saves when it suspends: the layout of each resume
//! point's record, which the runtime needs to read, translate and write
//! continuations (see "Continuation records" in [`crate::vm`]).

use crate::module_info::ValType;

/// Where in a function a frame can be suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeKind {
    /// The fuel check on function entry (this frame is the innermost).
    FunctionEntry,
    /// The fuel check at a loop header (this frame is the innermost).
    LoopHeader,
    /// A call (the callee, or a host function, saved the rest).
    Call,
    /// The call of a function of a lazily compiled module that was not
    /// compiled yet: the record of its stub, which holds the arguments
    /// (this frame is the innermost; see [`STUB_RESUME_POINT`]).
    Uncompiled,
}

/// The resume point index in the header of a stub's record (see
/// [`ResumeKind::Uncompiled`]): no function has that many resume points.
pub const STUB_RESUME_POINT: u32 = u32::MAX - 1;

/// The record a frame suspended at one resume point writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    pub kind: ResumeKind,
    /// The record's slots, in order: the locals live at the point, by
    /// increasing index (at function entry, only live parameters: declared
    /// locals are zero there anyway), then the operand stack from the
    /// bottom: for a direct call, the part below its arguments (a
    /// rewinding callee ignores them); for
    /// `call_indirect`, all of it, arguments and table index included, and
    /// last the resolved callee (a `funcref`), which a resumed frame calls
    /// again without reading the table.
    pub slots: Box<[ValType]>,
    /// For `call_indirect`: the type (module type index) the saved callee
    /// in the last slot was checked against. Whoever reads a record from
    /// outside must check that slot against it too: the frame calls it
    /// with that signature, unchecked.
    pub callee_type: Option<u32>,
    /// Where each slot is kept in the frame's record area while the frame
    /// runs (slot `i` at the area's word `area[i]`, and a `v128` slot at
    /// the next word too): every local and every
    /// operand stack depth has one place in the area for the whole
    /// function, so a value already there at one point needs no copy at
    /// the next. The runtime gathers a record from the area when the frame
    /// is saved and scatters it back when it is restored. Positions are
    /// distinct; a stub's record (see [`ResumeKind::Uncompiled`]) has none
    /// (the stub writes its record itself).
    pub area: Box<[u16]>,
}

impl ResumePoint {
    /// Bytes of the record, header included.
    pub fn record_size(&self) -> usize {
        self.words() * 8 + RECORD_HEADER_SIZE
    }

    /// Words of the record's slots (a `v128` takes two).
    pub fn words(&self) -> usize {
        self.slots.iter().map(|t| t.words()).sum()
    }

    /// Words of record area the point's slots need (one past the highest
    /// word a slot takes).
    pub fn area_words(&self) -> usize {
        self.area.iter().zip(self.slots.iter()).map(|(p, t)| usize::from(*p) + t.words()).max().unwrap_or(0)
    }

    /// Each word of the record, in order, as its word of the record area:
    /// a `v128` slot's two words are consecutive there too.
    pub fn area_word_positions(&self) -> AreaWords<'_> {
        AreaWords { slots: self.slots.iter().zip(self.area.iter()), second: None, left: self.words() }
    }
}

/// The iterator of [`ResumePoint::area_word_positions`] (its length known,
/// for gathering a record straight into the continuation buffer).
pub struct AreaWords<'a> {
    slots: std::iter::Zip<std::slice::Iter<'a, ValType>, std::slice::Iter<'a, u16>>,
    /// The second word of the `v128` slot whose first was just yielded.
    second: Option<usize>,
    left: usize,
}

impl Iterator for AreaWords<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let word = match self.second.take() {
            Some(word) => word,
            None => {
                let (ty, position) = self.slots.next()?;
                let first = usize::from(*position);
                if ty.words() == 2 {
                    self.second = Some(first + 1);
                }
                first
            }
        };
        self.left -= 1;
        Some(word)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for AreaWords<'_> {}

/// Bytes of a record's header: the frame's vmctx, then the header word
/// (function index and resume point index; see "Continuation records" in
/// [`crate::vm`]).
pub const RECORD_HEADER_SIZE: usize = 16;

/// Where a record's header word is, in bytes before the record's end.
pub const RECORD_HEADER_WORD: i32 = -8;

/// Where a record's vmctx word is, in bytes before the record's end.
pub const RECORD_VMCTX_WORD: i32 = -16;
