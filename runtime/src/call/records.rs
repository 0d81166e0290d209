//! Reading a suspended call's continuation records (see "Continuation
//! records" in `wasmbeam_jit::vm`): each record is its slots, 8 bytes each,
//! then two header words: the frame's vmctx, which names its instance, and
//! the header word (module-wide function index, then resume point index,
//! both `u32` in native byte order). The innermost frame's record comes
//! first, the called function's own record last.
//!
//! Because every record names its instance, reading is exact: [`walk`]
//! starts at the last word, finds the record's instance, so its module,
//! so the resume point and the record's size, and steps back over it to
//! the next record, down to the first word. Nothing is searched and no
//! reading can be ambiguous. The same walk checks continuations read back
//! from bytes before any compiled code sees them, and compiled code checks
//! both header words again when it pops its record (a frame only ever
//! reads a record of its own function and instance, whose layout is the
//! one checked here).

use crate::func::DefinedIn;
use crate::store::Store;
use std::collections::HashMap;
use wasmbeam_jit::{ResumeKind, ResumePoint, RECORD_HEADER_SIZE};

/// Words of a record's header: the vmctx word, then the header word.
const HEADER_WORDS: usize = RECORD_HEADER_SIZE / 8;

/// The function and resume point indices of a header word.
pub(crate) fn header(word: u64) -> (u32, u32) {
    let b = word.to_ne_bytes();
    (u32::from_ne_bytes([b[0], b[1], b[2], b[3]]), u32::from_ne_bytes([b[4], b[5], b[6], b[7]]))
}

/// The header word of a record of function `func` at resume point `point`.
pub(crate) fn header_word(func: u32, point: u32) -> u64 {
    let (f, p) = (func.to_ne_bytes(), point.to_ne_bytes());
    u64::from_ne_bytes([f[0], f[1], f[2], f[3], p[0], p[1], p[2], p[3]])
}

/// One record found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// Index of its first slot among the buffer's words.
    pub(crate) start: usize,
    /// The frame's instance: its index in the store.
    pub(crate) instance: u32,
    /// The function, by its index in the instance's module.
    pub(crate) func: u32,
    pub(crate) point: u32,
    /// What the record holds: its slots' types, and for a `call_indirect`
    /// the type its saved callee was checked against. A `v128` slot takes
    /// two words (see [`ResumePoint::words`]). Slots of 32-bit
    /// types (`i32`, `f32`) hold their value in the low half only: compiled
    /// code writes no more, and the high half keeps whatever the buffer
    /// held before (old records' words, pointers among them).
    pub(crate) resume: &'a ResumePoint,
}

/// Where the call stopped, which decides what the innermost record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoppedAt {
    /// At a fuel check: a function entry or loop header.
    Yield,
    /// In a call to a suspending host function.
    HostCall,
}

/// The instances a vmctx word can name: each of the store's first
/// `instances` instances by its vmctx address.
pub(crate) fn instances_by_vmctx(store: &Store, instances: usize) -> HashMap<u64, u32> {
    store.instances.iter().take(instances).map(|i| (i.vmctx_word(), i.index)).collect()
}

/// The instance and function named by the outermost record's header, if
/// the buffer holds a record: those of the called function when the code
/// saved its frames.
pub(crate) fn outermost(words: &[u64]) -> Option<(u64, u32)> {
    match words {
        [.., vmctx, word] => Some((*vmctx, header(*word).0)),
        _ => None,
    }
}

/// Splits `words` into records, innermost first, for a call of `entry`
/// that stopped as `stop`; `instances` maps the vmctx words records may
/// name to instances of the store (see [`instances_by_vmctx`]).
///
/// Checks everything reading the records relies on: the outermost record
/// is `entry`'s (unless the engine allows tail calls: see below), every record names an instance of the store, a function
/// defined in its module and a resume point of it, fits in the words left,
/// and has a kind that fits its place (the innermost one is where the call
/// stopped, every other one a call). Errors say what is wrong.
pub(crate) fn walk<'a>(
    store: &'a Store,
    instances: &HashMap<u64, u32>,
    entry: DefinedIn,
    words: &[u64],
    stop: StoppedAt,
) -> Result<Vec<Record<'a>>, String> {
    // With tail calls, the called function may have been replaced by
    // another (whose record is then the outermost), or by a host function
    // (then there is no record at all when it stopped there).
    let tail_calls = store.engine().config().features.tail_call;
    if words.is_empty() {
        if tail_calls && stop == StoppedAt::HostCall {
            return Ok(Vec::new());
        }
        return Err("no saved frames".into());
    }
    let mut records = Vec::new();
    let mut end = words.len();
    // Consecutive frames are mostly of one instance: look up a vmctx only
    // when it changes.
    let mut last: Option<(u64, u32)> = None;
    while end > 0 {
        if end < HEADER_WORDS {
            return Err(format!("{end} words left before the innermost record, too few for a record"));
        }
        let (func, point) = header(words[end - 1]);
        let vmctx = words[end - 2];
        let instance = match last {
            Some((known, instance)) if known == vmctx => instance,
            _ => {
                let instance = *instances
                    .get(&vmctx)
                    .ok_or_else(|| format!("the saved frame of function {func} names no instance of the store"))?;
                last = Some((vmctx, instance));
                instance
            }
        };
        if end == words.len() && !tail_calls && (instance, func) != (entry.instance.0.index, entry.index) {
            return Err(format!(
                "the outermost saved frame is of function {func} of instance {instance}, not of the called \
                 function {} of instance {}",
                entry.index, entry.instance.0.index
            ));
        }
        let module = &store
            .instances
            .get(instance as usize)
            .ok_or_else(|| format!("instance {instance} is missing from the store"))?
            .module;
        let rp = module.resume_point(func, point).ok_or_else(|| {
            format!("instance {instance} has no function {func} with a resume point {point} in its module")
        })?;
        let size = rp.words() + HEADER_WORDS;
        if size > end {
            return Err(format!(
                "the saved frame of function {func} at resume point {point} needs {size} words, {end} are left"
            ));
        }
        let innermost = size == end;
        let kind_fits = match (innermost, stop) {
            (false, _) | (true, StoppedAt::HostCall) => rp.kind == ResumeKind::Call,
            // A stub's record: the call waits for its function's compile.
            (true, StoppedAt::Yield) => rp.kind != ResumeKind::Call,
        };
        if !kind_fits {
            return Err(format!(
                "the saved frame of function {func} at resume point {point} ({:?}) cannot be {}",
                rp.kind,
                if innermost { "where the call stopped" } else { "a frame that made a call" }
            ));
        }
        end -= size;
        records.push(Record { start: end, instance, func, point, resume: rp });
    }
    records.reverse();
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_words_round_trip() {
        for (f, p) in [(0, 0), (1, 2), (u32::MAX, 7), (12345, u32::MAX)] {
            assert_eq!(header(header_word(f, p)), (f, p));
        }
        // The function index comes first in memory.
        let bytes = header_word(0x0102_0304, 0x0a0b_0c0d).to_ne_bytes();
        assert_eq!(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]), 0x0102_0304);
    }

    #[test]
    fn the_outermost_record_is_read_from_the_last_two_words() {
        assert_eq!(outermost(&[]), None);
        assert_eq!(outermost(&[header_word(1, 2)]), None);
        assert_eq!(outermost(&[9, 0x1000, header_word(3, 4)]), Some((0x1000, 3)));
    }
}
