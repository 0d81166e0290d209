//! The data layout shared by compiled code and the runtime.
//!
//! Everything compiled code reads or writes outside its own stack frame is
//! described here: the per-call [`ExecCtx`], the per-instance `vmctx` (laid
//! out by [`VMOffsets`]), and the records it points at ([`VMMemory`],
//! [`VMTable`], [`VMGlobal`], [`VMFuncRef`]). The runtime allocates and owns
//! all of them; the translator only learns offsets from here.
//!
//! # Calling convention
//!
//! Every Wasm function (and every host-function stub) is a native function
//! `f(callee_vmctx, exec, fuel, params...) -> (fuel, results...)` in
//! Cranelift's `tail` convention. Functions with more than
//! [`MAX_REGISTER_RESULTS`] results take a hidden pointer after the fuel and
//! store their results there, 8 bytes a slot. A function never unwinds the
//! native stack by itself: when it traps it stores a [`TrapCode`] in
//! [`ExecCtx::trap_code`], sets [`ExecCtx::state`] to [`STATE_TRAPPING`] and
//! returns (with placeholder fuel and results); every caller checks `state`
//! after each call and returns at once when it is not [`STATE_RUNNING`].
//!
//! The fuel left in the slice is passed in and returned in registers, so a
//! call never goes through memory for it. It is in [`ExecCtx::fuel`] only
//! where the runtime needs it: a function stores it there before it throws
//! or suspends, a host-function stub around the host call, the entry
//! trampoline on the way in and out. So the returned fuel is the call's
//! only when the state is still running; otherwise `exec.fuel` is.
//!
//! The runtime enters compiled code only through an *entry trampoline*
//! ([`EntryTrampoline`], `system_v`), one per function type, which reads the
//! arguments from a slot array, calls the function, and writes the results
//! back into the same array.
//!
//! Slots are `u64`: an `i32` or `f32` occupies the low 32 bits (bit pattern),
//! an `i64` or `f64` all 64, a reference its [`RawRef`] value.

use std::ffi::c_void;

/// A reference value as compiled code sees it: `0` is null; a `funcref` is a
/// `*const VMFuncRef`; an `externref` is an opaque non-zero handle chosen by
/// the embedder; an `exnref` is a `*const` [`VMException`].
pub type RawRef = u64;

/// Functions with at most this many results return them in registers; more
/// go through a hidden return-area pointer.
pub const MAX_REGISTER_RESULTS: usize = 4;

/// The most fuel the runtime puts in `ExecCtx::fuel`. Compiled code adds
/// back a loop's cost (below 2^31) to a resumed frame's fuel, which must not
/// overflow; 2^62 units still take a century to spend.
pub const MAX_FUEL_GRANT: i64 = 1 << 62;

/// [`ExecCtx::state`]: running normally.
pub const STATE_RUNNING: u32 = 0;
/// [`ExecCtx::state`]: a trap is propagating to the entry trampoline.
pub const STATE_TRAPPING: u32 = 1;
/// [`ExecCtx::state`]: the call is suspending; every frame saves a record
/// to the continuation buffer and returns.
pub const STATE_UNWINDING: u32 = 2;
/// [`ExecCtx::state`]: the call is resuming; every frame, entered from the
/// outermost, reloads its record and re-enters the call it was in, until the
/// innermost frame (or a host function) sets `STATE_RUNNING` again.
pub const STATE_REWINDING: u32 = 3;
/// [`ExecCtx::state`]: an exception is propagating, by return like a trap,
/// to the nearest frame with a handler for it (which checks after the call,
/// where the state is checked anyway) or to the entry trampoline. The
/// exception is [`ExecCtx::exception`].
pub const STATE_THROWING: u32 = 4;

/// The context of one activation of compiled code (one call from the
/// embedder into Wasm). It is passed along every call, so frames of different
/// instances on the same native stack share it.
#[repr(C)]
#[derive(Debug)]
pub struct ExecCtx {
    /// One of the `STATE_*` constants.
    pub state: u32,
    /// The [`TrapCode`] as `u32` when `state == STATE_TRAPPING`.
    pub trap_code: u32,
    /// The lowest native stack address compiled code may grow down to. Each
    /// function checks its stack pointer against it on entry and traps with
    /// [`TrapCode::StackOverflow`] below it.
    pub stack_limit: usize,
    /// Owned by the embedder (the runtime's store); compiled code never reads it.
    pub embedder: *mut c_void,
    /// More about the trap, where its code defines it: the table index for
    /// [`TrapCode::UndefinedElement`] and [`TrapCode::IndirectCallToNull`].
    pub trap_detail: u64,
    /// Fuel left in the current slice. Code compiled with reductions charges
    /// the static cost of what it is about to run at function entries and
    /// loop headers; once it is negative, the frame suspends (sets
    /// `STATE_UNWINDING`) and the runtime decides, when the unwind reaches
    /// it, whether to resume with more fuel or to trap. Compiled code passes
    /// the fuel between functions in registers; it is here at the entry and
    /// exit of an activation, around host calls, and whenever a frame
    /// throws or suspends (see the calling convention above).
    pub fuel: i64,
    /// The real stack limit while rewinding: then `stack_limit` is
    /// `usize::MAX`, so that every function entry takes its cold path, where
    /// it finds its saved frame. The frame that ends the rewind restores
    /// `stack_limit` from here.
    pub saved_stack_limit: usize,
    /// Next free byte of the continuation buffer while unwinding; end of the
    /// last record while rewinding (records are popped from the end). While
    /// compiled code runs, the runtime keeps at least the largest record size
    /// of its code free after it (see [`VMBuiltins::commit_record`]).
    pub cont_ptr: *mut u8,
    /// End of the continuation buffer's allocation.
    pub cont_end: *mut u8,
    /// While rewinding: the resume point of the frame being restored, which
    /// its entry publishes for the loop headers the frame passes on its way
    /// there (its record is popped only at the point).
    pub resume_point: u32,
    /// While rewinding, where a frame that made a tail call goes when the
    /// innermost frame it stands for is its callee's (see
    /// [`REWIND_REDIRECT`]): that function's code and vmctx, and the
    /// rewind thunk of its type, which the frame tail-calls.
    pub redirect: Redirect,
    /// While `state == STATE_THROWING`: the exception (a non-null `exnref`).
    pub exception: RawRef,
}

/// See [`ExecCtx::redirect`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Redirect {
    /// The function to tail-call with placeholder arguments: it rewinds.
    pub func_ptr: *const u8,
    pub vmctx: *mut u8,
    /// Its type's rewind thunk (`abi::rewind_thunk`), called as
    /// `thunk(vmctx, exec, [return_area], func_ptr)`.
    pub thunk: *const u8,
}

impl Redirect {
    pub const NONE: Redirect =
        Redirect { func_ptr: std::ptr::null(), vmctx: std::ptr::null_mut(), thunk: std::ptr::null() };
    pub const OFFSET_FUNC_PTR: i32 = std::mem::offset_of!(Redirect, func_ptr) as i32;
    pub const OFFSET_VMCTX: i32 = std::mem::offset_of!(Redirect, vmctx) as i32;
    pub const OFFSET_THUNK: i32 = std::mem::offset_of!(Redirect, thunk) as i32;
}

impl ExecCtx {
    /// A running context with the given stack limit, unlimited fuel and no
    /// continuation buffer.
    pub fn new(stack_limit: usize, embedder: *mut c_void) -> ExecCtx {
        ExecCtx {
            state: STATE_RUNNING,
            trap_code: 0,
            stack_limit,
            embedder,
            trap_detail: 0,
            fuel: MAX_FUEL_GRANT,
            saved_stack_limit: stack_limit,
            cont_ptr: std::ptr::null_mut(),
            cont_end: std::ptr::null_mut(),
            resume_point: 0,
            redirect: Redirect::NONE,
            exception: 0,
        }
    }

    pub const OFFSET_FUEL: i32 = std::mem::offset_of!(ExecCtx, fuel) as i32;
    pub const OFFSET_SAVED_STACK_LIMIT: i32 = std::mem::offset_of!(ExecCtx, saved_stack_limit) as i32;
    pub const OFFSET_CONT_PTR: i32 = std::mem::offset_of!(ExecCtx, cont_ptr) as i32;
    pub const OFFSET_CONT_END: i32 = std::mem::offset_of!(ExecCtx, cont_end) as i32;
    pub const OFFSET_RESUME_POINT: i32 = std::mem::offset_of!(ExecCtx, resume_point) as i32;
    pub const OFFSET_REDIRECT: i32 = std::mem::offset_of!(ExecCtx, redirect) as i32;
    pub const OFFSET_EXCEPTION: i32 = std::mem::offset_of!(ExecCtx, exception) as i32;

    pub const OFFSET_TRAP_DETAIL: i32 = std::mem::offset_of!(ExecCtx, trap_detail) as i32;
    pub const OFFSET_STATE: i32 = std::mem::offset_of!(ExecCtx, state) as i32;
    pub const OFFSET_TRAP_CODE: i32 = std::mem::offset_of!(ExecCtx, trap_code) as i32;
    pub const OFFSET_STACK_LIMIT: i32 = std::mem::offset_of!(ExecCtx, stack_limit) as i32;
}

/// A linear memory as compiled code sees it. Lives at a stable address for
/// as long as any instance that can reach the memory exists.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemory {
    /// Start of the memory's bytes (dangling but non-null when empty).
    pub base: *mut u8,
    /// Current size in bytes; every access is checked against it.
    pub length: u64,
}

impl VMMemory {
    pub const OFFSET_BASE: i32 = std::mem::offset_of!(VMMemory, base) as i32;
    pub const OFFSET_LENGTH: i32 = std::mem::offset_of!(VMMemory, length) as i32;
}

/// A table as compiled code sees it: `length` elements of [`RawRef`] at `base`.
#[repr(C)]
#[derive(Debug)]
pub struct VMTable {
    pub base: *mut RawRef,
    pub length: u64,
}

impl VMTable {
    pub const OFFSET_BASE: i32 = std::mem::offset_of!(VMTable, base) as i32;
    pub const OFFSET_LENGTH: i32 = std::mem::offset_of!(VMTable, length) as i32;
}

/// A global's storage: the value's bits in the low bytes (little-endian), as
/// in a slot; a `v128` in both words (loaded and stored as one 16-byte
/// value: the struct is 16-byte aligned).
#[repr(C, align(16))]
#[derive(Debug, Default, Clone, Copy)]
pub struct VMGlobal {
    pub bits: u64,
    /// The high half of a `v128`; zero for other types.
    pub high: u64,
}

/// What a `funcref` points at: enough to call the function from anywhere.
#[repr(C)]
#[derive(Debug)]
pub struct VMFuncRef {
    /// The native code, in the calling convention above.
    pub func_ptr: *const u8,
    /// The `callee_vmctx` to pass: the defining instance's vmctx, or for a
    /// host function its [`VMHostContext`].
    pub vmctx: *mut u8,
    /// The engine-wide id of the function's type, compared by `call_indirect`.
    pub type_id: u32,
    /// Free for the embedder (the runtime stores the function's index in its store).
    pub embedder_index: u32,
}

impl VMFuncRef {
    pub const OFFSET_FUNC_PTR: i32 = std::mem::offset_of!(VMFuncRef, func_ptr) as i32;
    pub const OFFSET_VMCTX: i32 = std::mem::offset_of!(VMFuncRef, vmctx) as i32;
    pub const OFFSET_TYPE_ID: i32 = std::mem::offset_of!(VMFuncRef, type_id) as i32;
}

/// An exception tag's identity: tags are compared by the address of their
/// `VMTag`, which the runtime allocates once per tag definition (an
/// imported tag is the exporter's) and keeps as long as any instance that
/// can reach it.
#[repr(C)]
#[derive(Debug)]
pub struct VMTag {
    /// The engine-wide id of the tag's type (its payload).
    pub type_id: u32,
    /// Free for the embedder (the runtime stores the tag's index in its store).
    pub embedder_index: u32,
}

/// An exception as compiled code sees it (what an `exnref` points at):
/// a header of [`VMException::PAYLOAD_OFFSET`] bytes, then the payload's
/// values in slots (8 bytes each, as in slot arrays), as many as the tag's
/// type has parameters. The runtime allocates it ([`VMBuiltins::new_exception`])
/// and owns it.
#[repr(C)]
#[derive(Debug)]
pub struct VMException {
    /// The tag it was thrown with.
    pub tag: *const VMTag,
    /// Free for the embedder.
    pub embedder_word: u64,
}

impl VMException {
    pub const OFFSET_TAG: i32 = std::mem::offset_of!(VMException, tag) as i32;
    /// Where the payload's first slot is.
    pub const PAYLOAD_OFFSET: i32 = std::mem::size_of::<VMException>() as i32;
}

/// Called by a host-function stub: `values` holds the arguments in slots
/// `0..params` on entry and must hold the results in slots `0..results` on
/// return. To trap, set `exec.state`/`exec.trap_code`.
pub type HostDispatch = unsafe extern "C" fn(host: *mut VMHostContext, exec: *mut ExecCtx, values: *mut u64);

/// The `vmctx` of a host function. Its stub loads `dispatch` from offset 0 and
/// calls it; the embedder may put anything after it.
#[repr(C)]
pub struct VMHostContext {
    pub dispatch: HostDispatch,
}

/// # Continuation records
///
/// While unwinding, each suspended frame appends one record at
/// `exec.cont_ptr`: its slots (8 bytes each, in the order its
/// [`ResumePoint::slots`](crate::ResumePoint) lists), then a two-word
/// header ([`RECORD_HEADER_SIZE`](crate::RECORD_HEADER_SIZE)): the frame's
/// own `vmctx` (which instance it belongs to), then the header word, the
/// module-wide function index (`u32`, first in memory) and the resume
/// point's index in that function (`u32`). The innermost frame's record
/// comes first. While rewinding, each frame has the runtime
/// ([`VMBuiltins::rewind_frame`]) pop its record from the end, after
/// checking that both header words are its own: a record is only ever read
/// for the code of the instance and function that wrote it, so its layout
/// is known exactly. Slot encoding is as in the slot arrays above,
/// so a `funcref` slot holds a pointer and the header a vmctx: whoever
/// moves a continuation to another store must translate those.
///
/// # Suspending host functions
///
/// A host dispatcher may suspend the whole call: in `STATE_RUNNING` it sets
/// `STATE_UNWINDING` and returns (its results are ignored). When the call
/// resumes, the frame that called it calls it again in `STATE_REWINDING`;
/// the dispatcher then writes the results the embedder supplied, sets
/// `STATE_RUNNING` and `stack_limit = saved_stack_limit`, and returns.
///
/// Calls `func_ptr` (of the trampoline's function type) with `vmctx` and
/// `exec`, arguments read from and results written to `values`.
pub type EntryTrampoline =
    unsafe extern "C" fn(vmctx: *mut u8, exec: *mut ExecCtx, func_ptr: *const u8, values: *mut u64);

mod builtins;
mod trap_code;

pub use builtins::{Builtin, BuiltinType, BuiltinValue, VMBuiltins};
pub use trap_code::TrapCode;

/// [`ExecCtx::trap_code`] when the embedder stopped the activation for a
/// reason of its own, which it keeps (an error of the runtime, not a
/// WebAssembly trap): no [`TrapCode`] has this number. Compiled code never
/// stores it; it only propagates the trapping state.
pub const EMBEDDER_STOP: u32 = 0;

/// Bits of a [`VMBuiltins::commit_record`] word that hold the record's size
/// in words (slots and header); larger records are refused by
/// [`crate::limits::MAX_RECORD_SLOTS`]. The point index is above them.
pub const COMMIT_SIZE_BITS: u32 = 13;
const _: () = assert!(crate::limits::MAX_RECORD_SLOTS + 1 < 1 << COMMIT_SIZE_BITS);

/// The [`VMBuiltins::commit_record`] word of a function whose entry stack
/// check failed and could not go on rewinding: not a record's word (those
/// are below 2^45).
pub const REWIND_FAILED: u64 = u64::MAX;

/// What [`VMBuiltins::rewind_tail_frame`] returns when the innermost frame
/// that the restored frame stands for is not its own but a function it
/// tail-called (directly or down a chain of tail calls): the frame then
/// tail-calls that function through [`ExecCtx::redirect`], and it rewinds.
/// Not a resume point index (those are below [`crate::resume::STUB_RESUME_POINT`]).
pub const REWIND_REDIRECT: u32 = u32::MAX - 2;

/// The [`VMBuiltins::commit_record`] word for a record of `bytes` bytes
/// (header included, a multiple of 8) at resume point `point`. Never 0 (a
/// record has a header), which means "no room". Below 2^32, so a 32-bit
/// immediate, for the first 524,288 points of a function. (A record too
/// large for the size bits gets a wrong size here, but the compiler
/// refuses its function.)
pub fn commit_word(point: u32, bytes: usize) -> u64 {
    debug_assert!(bytes.is_multiple_of(8) && bytes >= 8);
    let words = ((bytes / 8) as u64).min((1 << COMMIT_SIZE_BITS) - 1);
    (u64::from(point) << COMMIT_SIZE_BITS) | words
}

/// The resume point and the record's size in bytes of a
/// [`VMBuiltins::commit_record`] word (see [`commit_word`]).
pub fn decode_commit_word(word: u64) -> (u32, usize) {
    let words = (word & ((1 << COMMIT_SIZE_BITS) - 1)) as usize;
    ((word >> COMMIT_SIZE_BITS) as u32, words * 8)
}

/// The layout of an instance's `vmctx`: a block of pointer-sized words.
///
/// ```text
/// [0]                  *const VMBuiltins
/// [1]                  embedder word (the runtime's instance pointer)
/// [funcrefs..]         *const VMFuncRef, one per function (imported first)
/// [memories..]         *mut VMMemory, one per memory
/// [tables..]           *mut VMTable, one per table
/// [globals..]          *mut VMGlobal, one per global
/// [tags..]             *const VMTag, one per tag
/// ```
///
/// Every pointer in it is written once at instantiation and never changes, so
/// compiled code loads them as read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VMOffsets {
    pub num_funcs: u32,
    pub num_memories: u32,
    pub num_tables: u32,
    pub num_globals: u32,
    pub num_tags: u32,
}

const WORD: u32 = 8;

impl VMOffsets {
    pub const BUILTINS: u32 = 0;
    pub const EMBEDDER: u32 = WORD;

    pub fn funcref(&self, index: u32) -> u32 {
        2 * WORD + index * WORD
    }
    pub fn memory(&self, index: u32) -> u32 {
        self.funcref(self.num_funcs) + index * WORD
    }
    pub fn table(&self, index: u32) -> u32 {
        self.memory(self.num_memories) + index * WORD
    }
    pub fn global(&self, index: u32) -> u32 {
        self.table(self.num_tables) + index * WORD
    }
    pub fn tag(&self, index: u32) -> u32 {
        self.global(self.num_globals) + index * WORD
    }
    /// Size of the whole vmctx in bytes (a multiple of 8).
    pub fn size(&self) -> u32 {
        self.tag(self.num_tags)
    }
}
