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
}

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
}

impl ResumePoint {
    /// Bytes of the record, header included.
    pub fn record_size(&self) -> usize {
        self.slots.len() * 8 + RECORD_HEADER_SIZE
    }
}

/// Bytes of a record's header: function index and resume point index.
pub const RECORD_HEADER_SIZE: usize = 8;
