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
    /// runs (slot `i` at the area's word `area[i]`): every local and every
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
        self.slots.len() * 8 + RECORD_HEADER_SIZE
    }

    /// Words of record area the point's slots need (one past the highest
    /// position).
    pub fn area_words(&self) -> usize {
        self.area.iter().map(|p| usize::from(*p) + 1).max().unwrap_or(0)
    }
}

/// Bytes of a record's header: the frame's vmctx, then the header word
/// (function index and resume point index; see "Continuation records" in
/// [`crate::vm`]).
pub const RECORD_HEADER_SIZE: usize = 16;

/// Where a record's header word is, in bytes before the record's end.
pub const RECORD_HEADER_WORD: i32 = -8;

/// Where a record's vmctx word is, in bytes before the record's end.
pub const RECORD_VMCTX_WORD: i32 = -16;
