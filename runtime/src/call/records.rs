//! Reading a suspended call's continuation records (see "Continuation
//! records" in `wasmbeam_jit::vm`): each record is its slots, 8 bytes each,
//! then an 8-byte header (module-wide function index, resume point index,
//! both `u32` in native byte order); the innermost frame's record comes
//! first, the called function's own record last.
//!
//! A header names a function by its index in *its* module, but not the
//! module: frames of a call may belong to several instances (imports,
//! `call_indirect` through shared tables), and which instance a frame
//! called is not recorded. To know each record's layout (its size, and
//! which slots hold funcref pointers), [`walk`] goes from the outermost
//! record, whose module is the called function's, towards the innermost,
//! and looks every other record up in *all* modules instantiated in the
//! store, keeping only candidates that leave a remainder which itself
//! splits into records: the layouts of the candidates left must agree (in
//! slot count and funcref positions, which is all that reading the record
//! needs), or the continuation is ambiguous and cannot be read. Instances
//! of one module never conflict; distinct modules conflict only where they
//! have a resume point with the same function and point index, a shape of
//! the same size but funcrefs elsewhere, or a shape that also splits the
//! rest of the records.

use crate::func::DefinedIn;
use crate::module::Module;
use crate::store::Store;
use wasmbeam_jit::{ResumeKind, ResumePoint, ValType};

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

/// What reading a record needs to know of its resume point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Number of slots (words before the header).
    pub(crate) slots: usize,
    /// Indices of the slots that hold funcref pointers.
    pub(crate) funcrefs: Vec<usize>,
}

impl Layout {
    fn of(point: &ResumePoint) -> Layout {
        let funcrefs =
            point.slots.iter().enumerate().filter(|(_, t)| **t == ValType::FuncRef).map(|(i, _)| i).collect();
        Layout { slots: point.slots.len(), funcrefs }
    }
}

/// One record found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Index of its first slot among the buffer's words.
    pub(crate) start: usize,
    pub(crate) func: u32,
    pub(crate) point: u32,
    pub(crate) layout: Layout,
}

/// Where the call stopped, which decides what the innermost record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// At a fuel check: a function entry or loop header.
    Yield,
    /// In a call to a suspending host function.
    HostCall,
}

/// Resume point `point` of the module's function `func` (module-wide
/// index), if the function is defined there and has that point.
fn resume_point(module: &Module, func: u32, point: u32) -> Option<&ResumePoint> {
    let defined = func.checked_sub(module.info().num_imported_functions)?;
    module.compiled().resume_points(defined).get(point as usize)
}

/// The distinct modules of the store's first `instances` instances.
fn modules(store: &Store, instances: usize) -> Vec<Module> {
    let mut modules: Vec<Module> = Vec::new();
    for instance in store.instances.iter().take(instances) {
        if !modules.iter().any(|m| Module::same(m, &instance.module)) {
            modules.push(instance.module.clone());
        }
    }
    modules
}

/// The function index the outermost record must name: the called
/// function's, if the buffer has a last word.
pub(crate) fn outermost_func(words: &[u64]) -> Option<u32> {
    words.last().map(|w| header(*w).0)
}

/// The layout of the record whose header is `words[end - 1]`, if it is a
/// record of the module's: the function and point exist, the record fits
/// in `words[..end]`, and its kind fits its place (the innermost record,
/// starting at 0, is where the call stopped; every other one is a call).
fn candidate(module: &Module, words: &[u64], end: usize, stop: Stop) -> Option<Layout> {
    let (func, point) = header(words[end - 1]);
    let rp = resume_point(module, func, point)?;
    let size = rp.slots.len() + 1;
    if size > end {
        return None;
    }
    let kind_fits = match (size == end, stop) {
        (false, _) | (true, Stop::HostCall) => rp.kind == ResumeKind::Call,
        (true, Stop::Yield) => rp.kind != ResumeKind::Call,
    };
    kind_fits.then(|| Layout::of(rp))
}

/// Splits `words` into records, innermost first, for a call of `entry`
/// that stopped as `stop`, looking records up in the modules of the
/// store's first `instances` instances (module docs).
///
/// A record is accepted only if the words before it split into records as
/// well (computed first, from the innermost end), so a reading that would
/// leave a remainder is never considered; only two complete readings that
/// differ make the continuation ambiguous. Errors say what is wrong: an
/// empty buffer, a header no module knows, records that do not add up, an
/// ambiguous record.
pub(crate) fn walk(
    store: &Store,
    instances: usize,
    entry: DefinedIn,
    words: &[u64],
    stop: Stop,
) -> Result<Vec<Record>, String> {
    if words.is_empty() {
        return Err("no saved frames".into());
    }
    let entry_module = store
        .instances
        .get(entry.instance.0.index as usize)
        .map(|i| i.module.clone())
        .ok_or("the called function's instance is missing")?;
    let all = modules(store, instances);
    // splits[e]: whether words[..e] splits into records.
    let mut splits = vec![false; words.len() + 1];
    splits[0] = true;
    for e in 1..words.len() {
        splits[e] = all.iter().any(|m| candidate(m, words, e, stop).is_some_and(|l| splits[e - l.slots - 1]));
    }
    let mut records = Vec::new();
    let mut end = words.len();
    while end > 0 {
        let (func, point) = header(words[end - 1]);
        let outermost = end == words.len();
        if outermost && func != entry.index {
            return Err(format!(
                "the outermost saved frame is of function {func}, not of the called function {}",
                entry.index
            ));
        }
        let candidates = if outermost { std::slice::from_ref(&entry_module) } else { &all[..] };
        let mut found: Option<Layout> = None;
        for module in candidates {
            let Some(layout) = candidate(module, words, end, stop) else { continue };
            if !splits[end - layout.slots - 1] {
                continue;
            }
            match &found {
                None => found = Some(layout),
                Some(seen) if *seen == layout => {}
                Some(_) => {
                    return Err(format!(
                        "the saved frame of function {func} (resume point {point}) is ambiguous: modules in the \
                         store have that function with frames of other shapes"
                    ))
                }
            }
        }
        let layout = found.ok_or_else(|| {
            format!("no module in the store has a saved frame of function {func} at resume point {point} here")
        })?;
        end -= layout.slots + 1;
        records.push(Record { start: end, func, point, layout });
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
}
