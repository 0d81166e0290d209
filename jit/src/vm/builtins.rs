//! [`VMBuiltins`], the runtime functions compiled code calls, and
//! [`Builtin`], which names them for the translator: both generated from one
//! list, so a builtin's slot in the table, its index and its signature
//! cannot disagree.
//!
//! Every builtin is `system_v` and takes `(vmctx, exec, args...)`: `vmctx`
//! is the calling function's instance context, `exec` the activation's
//! [`ExecCtx`]. One that can fail traps by setting `exec.state` and
//! `exec.trap_code` and returns; compiled code checks the state after the
//! call. Indices and numbers are `u32`, references [`RawRef`] (`u64`).

use super::{ExecCtx, RawRef};

/// The type of a builtin's argument or result as compiled code passes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinType {
    I32,
    I64,
}

/// The Rust types builtins take, and the [`BuiltinType`] each is passed as.
pub trait BuiltinValue {
    const TYPE: BuiltinType;
}

impl BuiltinValue for u32 {
    const TYPE: BuiltinType = BuiltinType::I32;
}

impl BuiltinValue for u64 {
    const TYPE: BuiltinType = BuiltinType::I64;
}

/// Declares the builtins: for each, the [`VMBuiltins`] field, the
/// [`Builtin`] variant, the argument types after `(vmctx, exec)` and the
/// result type, if any.
macro_rules! builtins {
    ($(
        $(#[$doc:meta])*
        $field:ident / $variant:ident ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;
    )+) => {
        /// The table of runtime functions every vmctx points at (word
        /// [`VMOffsets::BUILTINS`](super::VMOffsets::BUILTINS)). Field `i`
        /// is the builtin [`Builtin`] `i` names.
        #[repr(C)]
        pub struct VMBuiltins {
            $(
                $(#[$doc])*
                pub $field: unsafe extern "C" fn(vmctx: *mut u8, exec: *mut ExecCtx $(, $arg: $ty)*) $(-> $ret)?,
            )+
        }

        /// Which builtin, for the translator: its index in [`VMBuiltins`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($variant,)+
        }

        impl Builtin {
            /// Every builtin, in table order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),+];

            /// The types of the arguments after `(vmctx, exec)`.
            pub fn params(self) -> &'static [BuiltinType] {
                match self {
                    $(Builtin::$variant => &[$(<$ty as BuiltinValue>::TYPE),*],)+
                }
            }

            /// The type of the result, if the builtin returns one.
            pub fn result(self) -> Option<BuiltinType> {
                match self {
                    $(Builtin::$variant => builtins!(@result $($ret)?),)+
                }
            }

            /// The byte offset of the builtin's entry in [`VMBuiltins`].
            pub fn offset(self) -> i32 {
                (self as usize * std::mem::size_of::<usize>()) as i32
            }
        }

        // Each field sits where its variant's index says, one pointer each.
        const _: () = {
            $(assert!(std::mem::offset_of!(VMBuiltins, $field) == Builtin::$variant as usize * std::mem::size_of::<usize>());)+
            assert!(std::mem::size_of::<VMBuiltins>() == Builtin::ALL.len() * std::mem::size_of::<usize>());
        };
    };
    (@result) => { None };
    (@result $ret:ty) => { Some(<$ret as BuiltinValue>::TYPE) };
}

builtins! {
    /// `-> old_pages`, or `u64::MAX` when it cannot grow. Addresses,
    /// lengths and page counts are 64-bit for every memory (a 32-bit
    /// memory's are zero-extended).
    memory_grow / MemoryGrow(mem: u32, delta_pages: u64) -> u64;
    /// Traps out of bounds.
    memory_fill / MemoryFill(mem: u32, dst: u64, byte: u32, len: u64);
    /// Traps out of bounds.
    memory_copy / MemoryCopy(dst_mem: u32, src_mem: u32, dst: u64, src: u64, len: u64);
    /// Traps out of bounds.
    memory_init / MemoryInit(mem: u32, data_index: u32, dst: u64, src: u32, len: u32);
    data_drop / DataDrop(data_index: u32);
    /// `-> old_length`, or `u32::MAX` when it cannot grow.
    table_grow / TableGrow(table: u32, init: RawRef, delta: u32) -> u32;
    /// Traps out of bounds.
    table_fill / TableFill(table: u32, dst: u32, value: RawRef, len: u32);
    /// Traps out of bounds.
    table_copy / TableCopy(dst_table: u32, src_table: u32, dst: u32, src: u32, len: u32);
    /// Traps out of bounds.
    table_init / TableInit(table: u32, elem_index: u32, dst: u32, src: u32, len: u32);
    elem_drop / ElemDrop(elem_index: u32);
    /// Compiled code has put the slots of a record in its record area at
    /// `area` (of `area_words` words; each slot in the word the point's
    /// `ResumePoint::area` gives), for the resume point and size `word` encodes (see
    /// [`commit_word`](super::commit_word)), of function `func` (its index
    /// in its module) of the instance `vmctx`; or, with `word ==`
    /// [`REWIND_FAILED`](super::REWIND_FAILED), function `func` took the
    /// cold path of its entry stack check and could not go on.
    ///
    /// If the state is trapping (a trap is being propagated), does nothing.
    /// For `REWIND_FAILED`, traps: [`TrapCode::StackOverflow`] if the state
    /// is not rewinding or the stack is below the real limit
    /// (`saved_stack_limit`), else the last record is not one of `func`'s
    /// in this instance, and the runtime stops the activation with an error
    /// of its own ([`EMBEDDER_STOP`](super::EMBEDDER_STOP)).
    /// Otherwise it sets the state to unwinding, gathers the slots at
    /// `exec.cont_ptr` and writes the record's header after them (see
    /// "Continuation records" in [`crate::vm`]), advances `cont_ptr`
    /// past the record and makes sure the buffer again has room for the
    /// largest record of any code that can run in this activation (moving
    /// the buffer and updating `cont_ptr` and `cont_end`), or
    /// traps.
    ///
    /// [`TrapCode::StackOverflow`]: super::TrapCode::StackOverflow
    commit_record / CommitRecord(word: u64, func: u32, area: u64, area_words: u32);
    /// A call reached the stub of defined function `func` (its index among
    /// the module's defined functions) of a lazily compiled module, and the
    /// function is not compiled yet; the stub spilled its arguments to
    /// `values` (8 bytes each). Returns 1 if the function is compiled now
    /// (the stub then calls it), or 0: the call suspends to have it
    /// compiled (the runtime saved the stub's record, the arguments, and
    /// set the state to unwinding), or it traps.
    lazy_call / LazyCall(func: u32, values: u64) -> u32;
    /// While rewinding, the stub of defined function `func`: if the last
    /// record is the stub's own (see `lazy_call`), pops it (the arguments,
    /// into `values`), sets the state to running and returns 1; if it is
    /// the compiled function's own, returns 2 (the stub calls the function,
    /// which rewinds). Either way makes sure the function is compiled.
    /// Returns 0 if it trapped.
    lazy_resume / LazyResume(func: u32, values: u64) -> u32;
    /// The cold path of the entry stack check of function `func` (its
    /// index in its module) of the instance `vmctx`, which has resume
    /// points: a stack overflow, or (while rewinding) the way to the
    /// frame's saved point. Unless the state is rewinding and the stack is
    /// above `saved_stack_limit`, traps with
    /// [`TrapCode::StackOverflow`](super::TrapCode::StackOverflow). Else the
    /// last record must be one of `func`'s in this instance (otherwise the
    /// runtime stops the activation with an error of its own,
    /// [`EMBEDDER_STOP`](super::EMBEDDER_STOP)): pops it, scattering its
    /// slots to their words of the frame's record area at `area`
    /// (`area_slots` words), and
    /// publishes its point in `exec.resume_point` (the frame's way to it
    /// passes loop headers that read it). Returns the point, or `u32::MAX`
    /// if it trapped.
    rewind_frame / RewindFrame(func: u32, area: u64, area_slots: u32) -> u32;
    /// [`rewind_frame`](VMBuiltins::rewind_frame) for a function that makes
    /// tail calls: a frame it replaced by tail-calling may have saved the
    /// last record, or, if there is none left, a host function it
    /// tail-called may be waiting for its answer. Then, instead, fills
    /// [`ExecCtx::redirect`](super::ExecCtx::redirect) with that function
    /// (the one that saved the record, or the host function) and returns
    /// [`REWIND_REDIRECT`](super::REWIND_REDIRECT). A function with no
    /// resume points passes `area_slots` 0.
    rewind_tail_frame / RewindTailFrame(func: u32, area: u64, area_slots: u32) -> u32;
    /// `throw`: allocates an exception of tag `tag` (a `*const VMTag`)
    /// with room for `payload_slots` slots after its header, owned by the
    /// store, and returns it (compiled code fills in the payload and throws
    /// it); or 0 if it trapped (too many live exceptions).
    new_exception / NewException(tag: u64, payload_slots: u32) -> u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_declarations() {
        assert_eq!(Builtin::ALL.len(), 16);
        assert_eq!(Builtin::RewindFrame.result(), Some(BuiltinType::I32));
        assert_eq!(Builtin::MemoryGrow.params(), [BuiltinType::I32, BuiltinType::I64]);
        assert_eq!(Builtin::MemoryGrow.result(), Some(BuiltinType::I64));
        assert_eq!(
            Builtin::TableFill.params(),
            [BuiltinType::I32, BuiltinType::I32, BuiltinType::I64, BuiltinType::I32]
        );
        assert_eq!(
            Builtin::CommitRecord.params(),
            [BuiltinType::I64, BuiltinType::I32, BuiltinType::I64, BuiltinType::I32]
        );
        assert_eq!(Builtin::CommitRecord.result(), None);
        for (i, builtin) in Builtin::ALL.iter().enumerate() {
            assert_eq!(*builtin as usize, i);
            assert_eq!(builtin.offset() as usize, i * std::mem::size_of::<usize>());
        }
    }
}
