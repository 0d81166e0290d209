//! [`ContBuffer`]: a call's continuation buffer, where compiled code saves
//! its frames when the call suspends (see "Continuation records" in
//! `wasmbeam_jit::vm`).
//!
//! Between steps the buffer belongs to the [`crate::Call`]; during a step it
//! is lent to the activation, installed in the `ExecCtx` as
//! `cont_ptr`/`cont_end`, and compiled code reads and writes it through
//! those raw pointers. Compiled code writes a record without asking first,
//! so the runtime keeps room for the store's largest record after
//! `cont_ptr` whenever compiled code may run: [`ContBuffer::reserve`] when
//! an activation starts (or a larger module is instantiated during one),
//! and [`ContBuffer::commit`], called by the `commit_record` builtin after
//! each record. The buffer is allocated on the first step of a call that
//! can suspend, at the size of that room (it grows by doubling).

use crate::buffer::GrowBuf;
use crate::call::activation::Stop;
use crate::error::Trap;
use wasmbeam_jit::vm::{ExecCtx, TrapCode};
use wasmbeam_jit::{RECORD_HEADER_SIZE, RECORD_HEADER_WORD, RECORD_VMCTX_WORD};

/// The smallest allocation, in bytes: calls that never suspend only ever
/// need the room for one record, usually less.
const MIN_BYTES: usize = 256;

/// What comes before the records in every allocated buffer: a record header
/// that no frame has (no instance's vmctx is 0, no function has index
/// `u32::MAX`). A frame that reads "the last record" where none is left, as
/// only frames read from hostile bytes could make it do, reads this, finds
/// it is not its own, and stops the call; it never reads outside the buffer.
const GUARD: [u64; 2] = [0, u64::MAX];
const GUARD_WORDS: usize = GUARD.len();
const _: () = assert!(GUARD_WORDS * 8 == RECORD_HEADER_SIZE);

/// Continuation records: `used` bytes after the guard at the start of
/// `words`.
///
/// Invariants: `words` is empty or starts with [`GUARD`]; `used` is a
/// multiple of 8 and at most the allocation's size after the guard; the
/// allocation (`words.len()` words, all initialized) only moves in
/// [`ContBuffer::reserve`], which updates the `ExecCtx` it is installed in.
/// Records are 8-byte slots and a two-word header, so words are their unit.
pub(crate) struct ContBuffer {
    words: GrowBuf<u64>,
    used: usize,
}

// SAFETY: the buffer exclusively owns a heap allocation of plain integers;
// nothing ties it to a thread. (Compiled code writes it only during a step,
// which borrows the call and its store exclusively.)
unsafe impl Send for ContBuffer {}

impl Default for ContBuffer {
    fn default() -> Self {
        ContBuffer::new()
    }
}

impl ContBuffer {
    pub(crate) fn new() -> ContBuffer {
        ContBuffer { words: GrowBuf::new(), used: 0 }
    }

    /// A buffer holding `records` (for a continuation read back from
    /// bytes).
    pub(crate) fn from_records(records: &[u64]) -> Option<ContBuffer> {
        let mut buffer = ContBuffer::new();
        if !buffer.words.try_grow(GUARD_WORDS + records.len(), None, 0) {
            return None;
        }
        let words = buffer.words.as_mut_slice();
        words[..GUARD_WORDS].copy_from_slice(&GUARD);
        words[GUARD_WORDS..].copy_from_slice(records);
        buffer.used = records.len() * 8;
        Some(buffer)
    }

    /// Bytes of records.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// Bytes allocated (used or not, the guard included).
    pub(crate) fn allocated(&self) -> usize {
        self.words.len() * 8
    }

    /// The records, innermost first, as words.
    pub(crate) fn records(&self) -> &[u64] {
        // After the guard, `used / 8` words (invariant); none before the
        // first allocation.
        self.words.as_slice().get(GUARD_WORDS..GUARD_WORDS + self.used / 8).unwrap_or(&[])
    }

    /// The records as words, writable: for tests that damage them on
    /// purpose.
    #[cfg(test)]
    pub(crate) fn words_mut(&mut self) -> &mut [u64] {
        self.words.as_mut_slice().get_mut(GUARD_WORDS..).unwrap_or(&mut [])
    }

    /// Forgets the records (the call finished or trapped).
    pub(crate) fn clear(&mut self) {
        self.used = 0;
    }

    /// Where the records start: after the guard (the dangling, aligned
    /// empty pointer before the first allocation).
    fn base(&self) -> *mut u8 {
        if self.words.len() < GUARD_WORDS {
            return self.words.as_ptr().cast();
        }
        // SAFETY: the allocation holds at least the guard's words.
        unsafe { self.words.as_ptr().add(GUARD_WORDS).cast() }
    }

    /// Bytes of room for records after the guard.
    fn capacity(&self) -> usize {
        self.words.len().saturating_sub(GUARD_WORDS) * 8
    }

    /// Points `exec` at the buffer: `cont_ptr` after the records (where the
    /// next record goes while unwinding, or where the last one ends while
    /// rewinding), `cont_end` at the end of the allocation.
    pub(crate) fn install(&self, exec: &mut ExecCtx) {
        let base = self.base();
        // SAFETY: `used` and the capacity are within the allocation (or both
        // 0, a no-op offset of the dangling, aligned empty pointer).
        unsafe {
            exec.cont_ptr = base.add(self.used);
            exec.cont_end = base.add(self.capacity());
        }
    }

    /// Where `exec.cont_ptr` is, in bytes from the start, if it lies in the
    /// buffer at a word boundary and `cont_end` is unchanged.
    fn offset_in(&self, exec: &ExecCtx) -> Result<usize, String> {
        let base = self.base() as usize;
        let end = base + self.capacity();
        if exec.cont_end as usize != end {
            return Err("the continuation buffer's end pointer was changed".into());
        }
        let ptr = exec.cont_ptr as usize;
        if ptr < base || ptr > end || !(ptr - base).is_multiple_of(8) {
            return Err(format!(
                "the continuation pointer left its buffer (offset {}, size {})",
                ptr as isize - base as isize,
                self.capacity()
            ));
        }
        Ok(ptr - base)
    }

    /// Takes back the buffer from `exec` after the activation: the records
    /// now end at `cont_ptr`. An error if compiled code moved the pointers
    /// out of the buffer (the records are then forgotten).
    pub(crate) fn collect(&mut self, exec: &ExecCtx) -> Result<(), String> {
        match self.offset_in(exec) {
            Ok(offset) => {
                self.used = offset;
                Ok(())
            }
            Err(message) => {
                self.used = 0;
                Err(message)
            }
        }
    }

    /// Whether `exec.cont_ptr` is at the start: no records pending. True
    /// whenever a frame is about to start unwinding, as all records of the
    /// previous suspension have been popped by then.
    pub(crate) fn is_empty_in(&self, exec: &ExecCtx) -> bool {
        std::ptr::eq(exec.cont_ptr, self.base())
    }

    /// The common case of [`ContBuffer::commit`], with no allocation, no
    /// error to build and nothing that can panic: if `exec` points into this
    /// buffer, the record (its header included) fits and `room` bytes remain
    /// free after it, writes the header (`vmctx`, then `header`) as the
    /// record's last two words, moves `cont_ptr` past it and returns true.
    /// Otherwise changes nothing and returns false (then `commit` handles
    /// it, or reports what is wrong).
    pub(crate) fn commit_in_place(
        &self,
        exec: &mut ExecCtx,
        slots: impl ExactSizeIterator<Item = u64>,
        vmctx: *mut u8,
        header: u64,
        room: usize,
    ) -> bool {
        let base = self.base() as usize;
        let (ptr, end) = (exec.cont_ptr as usize, exec.cont_end as usize);
        let bytes = (slots.len() + 2) * 8;
        let fits = end == base.wrapping_add(self.capacity())
            && ptr >= base
            && (ptr - base).is_multiple_of(8)
            && bytes.checked_add(room).is_some_and(|needed| needed <= end - ptr.min(end));
        if fits && ptr <= end {
            // SAFETY: `ptr + bytes <= end`, the end of the allocation
            // `cont_ptr` points into (checked above), so the slots, both
            // header words (word-aligned: `ptr` is a multiple of 8 from the
            // word-aligned base) and the result stay in bounds of the same
            // allocation (`take` writes at most the slots `bytes` counts).
            unsafe {
                let start = exec.cont_ptr.cast::<u64>();
                let count = bytes / 8 - 2;
                for (i, value) in slots.take(count).enumerate() {
                    start.add(i).write(value);
                }
                let record_end = exec.cont_ptr.add(bytes);
                record_end.offset(RECORD_VMCTX_WORD as isize).cast::<u64>().write(vmctx as usize as u64);
                record_end.offset(RECORD_HEADER_WORD as isize).cast::<u64>().write(header);
                exec.cont_ptr = record_end;
            }
            return true;
        }
        false
    }

    /// Appends a record at `exec.cont_ptr`: its `slots`, then its header
    /// (`vmctx`, then `header`: the last two words); moves past it, then
    /// makes room for `room` more bytes (the store's largest record), which
    /// lets the next save take [`ContBuffer::commit_in_place`]. Traps with
    /// "call stack exhausted" beyond `limit` bytes.
    pub(crate) fn commit(
        &mut self,
        exec: &mut ExecCtx,
        slots: &[u64],
        vmctx: *mut u8,
        header: u64,
        room: usize,
        limit: usize,
    ) -> Result<(), Stop> {
        let bytes = (slots.len() + 2) * 8;
        self.reserve(exec, u32::try_from(bytes).unwrap_or(u32::MAX), limit)?;
        let offset = self.offset_in(exec).map_err(Stop::internal)?;
        let end = offset.saturating_add(bytes);
        if end > self.capacity() {
            return Err(Stop::internal(format!("a record of {bytes} bytes does not fit at offset {offset}")));
        }
        // `16 <= end <= capacity`, a multiple of 8: the record lies after
        // the guard.
        let words = self.words.as_mut_slice();
        let first = GUARD_WORDS + offset / 8;
        words[first..first + slots.len()].copy_from_slice(slots);
        words[GUARD_WORDS + end / 8 - 2] = vmctx as usize as u64;
        words[GUARD_WORDS + end / 8 - 1] = header;
        self.used = end;
        self.install(exec);
        self.reserve(exec, u32::try_from(room).unwrap_or(u32::MAX), limit)
    }

    /// The header of the last record before `exec.cont_ptr` (while
    /// rewinding): its vmctx word and its header word.
    pub(crate) fn last_header(&self, exec: &ExecCtx) -> Result<(u64, u64), String> {
        let end = GUARD_WORDS + self.offset_in(exec)? / 8;
        match self.words.as_slice().get(end.wrapping_sub(2)..end) {
            Some([vmctx, header]) => Ok((*vmctx, *header)),
            _ => Err("no record to pop".into()),
        }
    }

    /// Pops the last record before `exec.cont_ptr` (while rewinding), of
    /// `slots` slots: moves `cont_ptr` back over it and returns the slots.
    pub(crate) fn pop_record(&mut self, exec: &mut ExecCtx, slots: usize) -> Result<Vec<u64>, String> {
        let offset = self.offset_in(exec)?;
        let size = (slots + GUARD_WORDS) * 8;
        let start = offset.checked_sub(size).ok_or("the record is larger than what is left")?;
        let first = GUARD_WORDS + start / 8;
        let values = self.words.as_slice()[first..first + slots].to_vec();
        // SAFETY: `start <= offset`, both within the allocation after the
        // guard (checked by `offset_in`).
        exec.cont_ptr = unsafe { self.base().add(start) };
        Ok(values)
    }

    /// [`ContBuffer::install`], then [`ContBuffer::reserve`] of `bytes`:
    /// the start of an activation. When the room is there already (every
    /// activation but the first of a buffer), `exec` is known to point where
    /// `install` put it, and nothing more is checked.
    pub(crate) fn install_with_room(&mut self, exec: &mut ExecCtx, bytes: u32, limit: usize) -> Result<(), Stop> {
        self.install(exec);
        let room = (bytes as usize).div_ceil(8).saturating_mul(8);
        if self.used.saturating_add(room) <= self.capacity() {
            return Ok(());
        }
        self.reserve(exec, bytes, limit)
    }

    /// Makes room for `bytes` more bytes at `exec.cont_ptr`, moving the
    /// records to a larger allocation and updating `exec` if needed. Traps
    /// with "call stack exhausted" when the records would exceed `limit`
    /// bytes (or memory runs out).
    pub(crate) fn reserve(&mut self, exec: &mut ExecCtx, bytes: u32, limit: usize) -> Result<(), Stop> {
        let offset = self.offset_in(exec).map_err(Stop::internal)?;
        self.used = offset;
        let room = (bytes as usize).div_ceil(8).saturating_mul(8);
        let needed = room.saturating_add(offset);
        if needed <= self.capacity() {
            return Ok(());
        }
        let too_deep = || Trap {
            code: TrapCode::StackOverflow,
            message: format!(
                "call stack exhausted: suspending this call needs more than {limit} bytes of saved frames \
                 (Config::max_continuation_bytes)"
            ),
        };
        if needed > limit {
            return Err(too_deep().into());
        }
        let grown = needed.max(self.capacity().saturating_mul(2)).max(MIN_BYTES).min(limit).max(needed);
        if !self.words.try_grow(GUARD_WORDS + grown.div_ceil(8), None, 0) {
            return Err(Trap {
                code: TrapCode::StackOverflow,
                message: format!("call stack exhausted: no memory for {grown} bytes of saved frames"),
            }
            .into());
        }
        self.words.as_mut_slice()[..GUARD_WORDS].copy_from_slice(&GUARD);
        self.install(exec);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    fn exec() -> ExecCtx {
        ExecCtx::new(0, null_mut())
    }

    /// Writes `words` at `cont_ptr` as compiled code would.
    fn push(exec: &mut ExecCtx, words: &[u64]) {
        for w in words {
            // SAFETY: the test reserved room first.
            unsafe {
                exec.cont_ptr.cast::<u64>().write(*w);
                exec.cont_ptr = exec.cont_ptr.add(8);
            }
        }
    }

    #[test]
    fn grows_keeping_records_and_collects_them() {
        let mut buffer = ContBuffer::new();
        let mut e = exec();
        buffer.install(&mut e);
        assert!(buffer.is_empty_in(&e));
        assert_eq!(e.cont_ptr, e.cont_end, "nothing is allocated up front");
        buffer.reserve(&mut e, 16, 1 << 20).unwrap();
        push(&mut e, &[1, 2]);
        let old_end = e.cont_end;
        buffer.reserve(&mut e, 8 * 1000, 1 << 20).unwrap();
        assert_ne!(e.cont_end, old_end, "moved to a larger allocation");
        push(&mut e, &[3]);
        buffer.collect(&e).unwrap();
        assert_eq!(buffer.records(), &[1, 2, 3]);
        assert_eq!(buffer.used(), 24);
        // Installed again (for rewinding), the pointer is after the records.
        let mut e = exec();
        buffer.install(&mut e);
        assert!(!buffer.is_empty_in(&e));
        assert_eq!(e.cont_ptr as usize - buffer.base() as usize, 24);
    }

    #[test]
    fn the_limit_traps_as_stack_exhaustion() {
        let mut buffer = ContBuffer::new();
        let mut e = exec();
        buffer.install(&mut e);
        buffer.reserve(&mut e, 64, 100).unwrap();
        push(&mut e, &[0; 8]);
        let Stop::Error(crate::Error::Trap(trap)) = buffer.reserve(&mut e, 64, 100).unwrap_err() else {
            panic!("a trap")
        };
        assert_eq!(trap.code, TrapCode::StackOverflow);
        assert!(trap.message.starts_with("call stack exhausted"), "{}", trap.message);
        buffer.collect(&e).unwrap();
        assert_eq!(buffer.records().len(), 8, "what was saved stays");
    }

    #[test]
    fn pointers_outside_the_buffer_are_reported() {
        let mut buffer = ContBuffer::new();
        let mut e = exec();
        buffer.install(&mut e);
        buffer.reserve(&mut e, 64, 1 << 20).unwrap();
        e.cont_ptr = e.cont_ptr.wrapping_add(3);
        assert!(buffer.collect(&e).is_err());
        assert_eq!(buffer.used(), 0);
        let mut e = exec();
        buffer.install(&mut e);
        e.cont_end = e.cont_end.wrapping_add(8);
        assert!(buffer.reserve(&mut e, 8, 1 << 20).is_err());
    }

    #[test]
    fn commit_in_place_only_moves_when_room_is_left() {
        let mut buffer = ContBuffer::new();
        let mut e = exec();
        let vmctx = 0x1000 as *mut u8;
        buffer.install(&mut e);
        assert!(!buffer.commit_in_place(&mut e, std::iter::empty(), vmctx, 7, 0), "no allocation yet");
        buffer.reserve(&mut e, 64, 1 << 20).unwrap();
        let cap = buffer.capacity();
        let start = e.cont_ptr;
        assert!(buffer.commit_in_place(&mut e, [5].into_iter(), vmctx, 7, cap - 24));
        assert_eq!(e.cont_ptr as usize - start as usize, 24);
        assert!(!buffer.commit_in_place(&mut e, [6].into_iter(), vmctx, 8, cap - 24), "the room would be short");
        assert_eq!(e.cont_ptr as usize - start as usize, 24, "refusals change nothing");
        // `commit` handles what the fast path refuses: it grows the buffer.
        buffer.commit(&mut e, &[], vmctx, 8, cap, 1 << 20).unwrap();
        assert!(buffer.capacity() >= 40 + cap);
        buffer.collect(&e).unwrap();
        assert_eq!(buffer.used(), 40);
        let words = buffer.records();
        assert_eq!(
            (words[0], words[1], words[2]),
            (5, 0x1000, 7),
            "each record's slots, then its vmctx and header word"
        );
        assert_eq!((words[3], words[4]), (0x1000, 8));
        let mut small = ContBuffer::new();
        let mut e = exec();
        small.install(&mut e);
        assert!(small.commit(&mut e, &[0; 8], vmctx, 9, 0, 64).is_err(), "80 bytes are beyond the limit of 64");
        assert!(small.commit(&mut e, &[0; 6], vmctx, 9, 0, 64).is_ok());
    }

    #[test]
    fn from_records_round_trips() {
        let buffer = ContBuffer::from_records(&[7, 8, 9]).unwrap();
        assert_eq!(buffer.records(), &[7, 8, 9]);
        let mut e = exec();
        buffer.install(&mut e);
        assert_eq!(e.cont_ptr, e.cont_end);
    }

    #[test]
    fn below_the_first_record_lies_a_header_no_frame_has() {
        let check = |buffer: &ContBuffer| {
            let mut e = exec();
            buffer.install(&mut e);
            // SAFETY: the two words before the records are the guard, in
            // the allocation.
            let (vmctx, word) = unsafe {
                let start = e.cont_ptr.sub(buffer.used());
                (start.sub(16).cast::<u64>().read(), start.sub(8).cast::<u64>().read())
            };
            assert_eq!((vmctx, word), (0, u64::MAX));
        };
        check(&ContBuffer::from_records(&[1, 2]).unwrap());
        check(&ContBuffer::from_records(&[]).unwrap());
        let mut buffer = ContBuffer::new();
        let mut e = exec();
        buffer.install(&mut e);
        buffer.reserve(&mut e, 64, 1 << 20).unwrap();
        check(&buffer);
        buffer.reserve(&mut e, 8 * 1000, 1 << 20).unwrap();
        check(&buffer);
    }
}
