//! The builtins compiled code calls for bulk memory, reference-table and
//! growth instructions ([`VMBuiltins`]), with WebAssembly 2.0 semantics:
//! every range is checked in `u64` before anything is written (a range
//! ending exactly at the end is fine, even when empty), copies behave like
//! `memmove`, a dropped segment behaves like an empty one, and growth past
//! the maximum or failing allocation returns `u32::MAX` (-1).
//!
//! `commit_record` serves suspension: it acts on the running activation's
//! continuation buffer (see `call/`).
//!
//! Memory, table and segment indices are relative to the calling instance,
//! found through the vmctx's embedder word (`VMOffsets::EMBEDDER`). The store is reached through the
//! activation's `ExecCtx` (see `call/activation.rs` for why that is sound).

use crate::call::activation::{current_suspension, Stop};
use crate::call::records::{header, header_word};
use crate::call::redirect::redirect;
use crate::call::{raise, raise_code, store_of};
use crate::error::Error;
use crate::host::panic_message;
use crate::instance::InstanceData;
use crate::memory::MemoryData;
use crate::store::{pair_mut, Store};
use crate::table::TableData;
use std::panic::{self, AssertUnwindSafe};
use wasmbeam_jit::vm::{
    decode_commit_word, ExecCtx, RawRef, TrapCode, VMBuiltins, VMOffsets, REWIND_FAILED, REWIND_REDIRECT,
    STATE_REWINDING, STATE_THROWING, STATE_TRAPPING, STATE_UNWINDING,
};
use wasmbeam_jit::{RECORD_HEADER_WORD, RECORD_VMCTX_WORD, STUB_RESUME_POINT};

/// The builtins every vmctx points at (word 0).
pub(crate) static BUILTINS: VMBuiltins = VMBuiltins {
    memory_grow,
    memory_fill,
    memory_copy,
    memory_init,
    data_drop,
    table_grow,
    table_fill,
    table_copy,
    table_init,
    elem_drop,
    commit_record,
    lazy_call: crate::call::lazy::lazy_call,
    lazy_resume: crate::call::lazy::lazy_resume,
    rewind_frame,
    rewind_tail_frame,
    new_exception,
};

/// Why a builtin failed: a WebAssembly trap (only its code: the message is
/// the code's), or a [`Stop`] with more to say.
pub(crate) enum Failure {
    Code(TrapCode),
    Stop(Stop),
}

impl From<TrapCode> for Failure {
    fn from(code: TrapCode) -> Failure {
        Failure::Code(code)
    }
}

impl From<Stop> for Failure {
    fn from(stop: Stop) -> Failure {
        Failure::Stop(stop)
    }
}

/// The index of the instance whose vmctx is `vmctx` in its store, and the
/// store's id.
///
/// # Safety
/// `vmctx` must be the vmctx of a live instance, and no reference into the
/// store may be in use (as when compiled code calls a builtin).
unsafe fn instance_of(vmctx: *mut u8) -> (u32, u64) {
    // SAFETY: the embedder word of a vmctx is the address of its
    // `InstanceData`, a live `Owned` allocation of the store (written at
    // instantiation, see `instantiate.rs`). Only the immutable `index` and
    // `store` fields are read, through the raw pointer, while no reference
    // into the store exists.
    unsafe {
        let instance = vmctx.add(VMOffsets::EMBEDDER as usize).cast::<*const InstanceData>().read();
        (std::ptr::addr_of!((*instance).index).read(), std::ptr::addr_of!((*instance).store).read())
    }
}

/// Runs a builtin's `body` with the store and the calling instance's index
/// in it. On failure the activation traps and the builtin returns
/// `on_trap`. Never unwinds.
///
/// # Safety
/// `vmctx` must be the vmctx of the calling instance and `exec` its
/// activation's live `ExecCtx`, as compiled code passes them; the caller is
/// compiled code, so no Rust reference into the store is in use (see
/// `call/activation.rs`).
pub(crate) unsafe fn run<R>(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    on_trap: R,
    body: impl FnOnce(&mut Store, usize) -> Result<R, Failure>,
) -> R {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: our contract is `instance_of`'s.
        let (index, store_id) = unsafe { instance_of(vmctx) };
        // SAFETY: our contract is `store_of`'s; the reference lives only
        // while `body` runs.
        let store = unsafe { store_of(exec) };
        if store.id() != store_id {
            return Err(Failure::Stop(
                Error::BadArgument("the store was replaced while a call was active".into()).into(),
            ));
        }
        body(store, index as usize)
    }));
    let failure = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::Stop(Stop::internal(format!("a builtin panicked: {}", panic_message(payload)))),
    };
    match failure {
        // SAFETY: `exec` is live (contract).
        Failure::Code(code) => unsafe { raise_code(exec, code) },
        // SAFETY: `exec` is live, and the store reference of `body` is gone.
        Failure::Stop(stop) => unsafe { raise(exec, stop) },
    }
    on_trap
}

/// The calling instance, `instance` being the index its vmctx names.
pub(crate) fn instance(store: &Store, instance: usize) -> Result<&InstanceData, Failure> {
    store.instances.get(instance).map(|i| &**i).ok_or_else(|| missing_instance(instance))
}

/// The calling instance, writable.
fn instance_mut(store: &mut Store, instance: usize) -> Result<&mut InstanceData, Failure> {
    store.instances.get_mut(instance).map(|i| &mut **i).ok_or_else(|| missing_instance(instance))
}

fn missing_instance(instance: usize) -> Failure {
    Failure::Stop(Stop::internal(format!("a builtin was called by instance {instance}, which the store lacks")))
}

/// Store index of the instance's memory `index`.
fn memory_index(store: &Store, inst: usize, index: u32) -> Result<usize, Failure> {
    let handle = instance(store, inst)?.memories.get(index as usize).ok_or(TrapCode::MemoryOutOfBounds)?;
    Ok(handle.0.index as usize)
}

fn memory_mut(store: &mut Store, inst: usize, index: u32) -> Result<&mut MemoryData, Failure> {
    let i = memory_index(store, inst, index)?;
    Ok(store.memories.get_mut(i).map(|m| &mut **m).ok_or(TrapCode::MemoryOutOfBounds)?)
}

/// Store index of the instance's table `index`.
fn table_index(store: &Store, inst: usize, index: u32) -> Result<usize, Failure> {
    let handle = instance(store, inst)?.tables.get(index as usize).ok_or(TrapCode::TableOutOfBounds)?;
    Ok(handle.0.index as usize)
}

fn table_mut(store: &mut Store, inst: usize, index: u32) -> Result<&mut TableData, Failure> {
    let i = table_index(store, inst, index)?;
    Ok(store.tables.get_mut(i).map(|t| &mut **t).ok_or(TrapCode::TableOutOfBounds)?)
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn memory_grow(vmctx: *mut u8, exec: *mut ExecCtx, mem: u32, delta: u64) -> u64 {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, u64::MAX, |store, inst| {
            let memory = memory_mut(store, inst, mem)?;
            Ok(memory.grow(delta).unwrap_or(u64::MAX))
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn memory_fill(vmctx: *mut u8, exec: *mut ExecCtx, mem: u32, dst: u64, byte: u32, len: u64) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe { run(vmctx, exec, (), |store, inst| Ok(memory_mut(store, inst, mem)?.fill(dst, byte as u8, len)?)) }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| {
            let d = memory_index(store, inst, dst_mem)?;
            let s = memory_index(store, inst, src_mem)?;
            if d == s {
                let memory = store.memories.get_mut(d).ok_or(TrapCode::MemoryOutOfBounds)?;
                return Ok(memory.copy_within(dst, src, len)?);
            }
            let (d, s) = pair_mut(&mut store.memories, d, s).ok_or(TrapCode::MemoryOutOfBounds)?;
            Ok(d.init(dst, s.bytes(), src, len)?)
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    mem: u32,
    data_index: u32,
    dst: u64,
    src: u32,
    len: u32,
) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| {
            let m = memory_index(store, inst, mem)?;
            // The field, not `instance()`: the memories or tables are
            // borrowed mutably below.
            let instance = store.instances.get(inst).ok_or_else(|| missing_instance(inst))?;
            let d = data_index as usize;
            let dropped = *instance.data_dropped.get(d).ok_or(TrapCode::MemoryOutOfBounds)?;
            let segment = instance.module.info().data.get(d).ok_or(TrapCode::MemoryOutOfBounds)?;
            let bytes: &[u8] = if dropped { &[] } else { &segment.bytes };
            let memory = store.memories.get_mut(m).ok_or(TrapCode::MemoryOutOfBounds)?;
            Ok(memory.init(dst, bytes, src.into(), len.into())?)
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn data_drop(vmctx: *mut u8, exec: *mut ExecCtx, data_index: u32) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| {
            let instance = instance_mut(store, inst)?;
            if let Some(dropped) = instance.data_dropped.get_mut(data_index as usize) {
                *dropped = true;
            }
            Ok(())
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn table_grow(vmctx: *mut u8, exec: *mut ExecCtx, table: u32, init: RawRef, delta: u32) -> u32 {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, u32::MAX, |store, inst| {
            let table = table_mut(store, inst, table)?;
            // Sizes are at most u32::MAX elements, so the old size fits.
            Ok(table.grow(delta.into(), init).map_or(u32::MAX, |old| old as u32))
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn table_fill(vmctx: *mut u8, exec: *mut ExecCtx, table: u32, dst: u32, value: RawRef, len: u32) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| Ok(table_mut(store, inst, table)?.fill(dst.into(), value, len.into())?))
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| {
            let d = table_index(store, inst, dst_table)?;
            let s = table_index(store, inst, src_table)?;
            if d == s {
                let table = store.tables.get_mut(d).ok_or(TrapCode::TableOutOfBounds)?;
                return Ok(table.copy_within(dst.into(), src.into(), len.into())?);
            }
            let (d, s) = pair_mut(&mut store.tables, d, s).ok_or(TrapCode::TableOutOfBounds)?;
            Ok(d.init(dst.into(), s.elements(), src.into(), len.into())?)
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    table: u32,
    elem_index: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| {
            let t = table_index(store, inst, table)?;
            // The field, not `instance()`: the memories or tables are
            // borrowed mutably below.
            let instance = store.instances.get(inst).ok_or_else(|| missing_instance(inst))?;
            let segment = instance.elements.get(elem_index as usize).ok_or(TrapCode::TableOutOfBounds)?;
            let items: &[RawRef] = segment.as_deref().unwrap_or(&[]);
            let table = store.tables.get_mut(t).ok_or(TrapCode::TableOutOfBounds)?;
            Ok(table.init(dst.into(), items, src.into(), len.into())?)
        })
    }
}

/// # Safety
/// Called by compiled code only (see [`run`]).
unsafe extern "C" fn elem_drop(vmctx: *mut u8, exec: *mut ExecCtx, elem_index: u32) {
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, inst| {
            let instance = instance_mut(store, inst)?;
            if let Some(segment) = instance.elements.get_mut(elem_index as usize) {
                *segment = None;
            }
            Ok(())
        })
    }
}

/// `commit_record`: compiled code put the slots of a record in its record
/// area at `area` (`area_words` words; `word` gives its resume point and
/// size, see `wasmbeam_jit::vm::commit_word`; `func` is the module-wide
/// function index, `vmctx` the frame's instance). While a trap is
/// propagated, nothing (the record is dropped). Otherwise the state becomes
/// unwinding; append the record to the continuation buffer (its slots,
/// gathered from the area words the point's layout gives, then `vmctx`,
/// then function and point), and keep room for the largest record of the
/// store's code after it (so that the next save takes the fast path), up
/// to `Config::max_continuation_bytes` (beyond it: trap "call stack
/// exhausted").
///
/// # Safety
/// Called by compiled code only (see [`run`]), with `area` pointing to its
/// record area of `area_words` words, the record's slots written there.
unsafe extern "C" fn commit_record(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    word: u64,
    func: u32,
    area: u64,
    area_words: u32,
) {
    if word == REWIND_FAILED {
        // SAFETY: our caller is compiled code (our contract).
        unsafe { rewind_failed(vmctx, exec, func) };
        return;
    }
    let (point, bytes) = decode_commit_word(word);
    let header = header_word(func, point);
    // SAFETY: compiled code passes its record area, `area_words` words
    // holding the record's slots, written before this call (our contract),
    // and which nothing writes while this builtin runs.
    let area = unsafe { std::slice::from_raw_parts(area as usize as *const u64, area_words as usize) };
    // Every saved frame comes here: first the fast path, which cannot
    // panic (see `commit_in_place`; every lookup is checked), so it needs no
    // `catch_unwind`.
    {
        // SAFETY: `instance_of`'s contract is ours.
        let (index, _) = unsafe { instance_of(vmctx) };
        // SAFETY: our caller is compiled code, so `exec` is its activation's
        // live context and `store_of`'s contract holds (see `run`); the
        // two references are to different objects and die in this block.
        let (store, exec) = unsafe { (store_of(exec), &mut *exec) };
        if exec.state == STATE_TRAPPING || exec.state == STATE_THROWING {
            return;
        }
        exec.state = STATE_UNWINDING;
        let room = store.max_record_size;
        let slots = record_slots(store, index as usize, func, point, bytes, area);
        if let (Some(slots), Some(Some(suspension))) =
            (slots, store.activations.innermost_for(exec).map(|activation| activation.suspension.as_deref()))
        {
            if suspension.buffer.commit_in_place(exec, slots, vmctx, header, room) {
                return;
            }
        }
    }
    // SAFETY: our caller is compiled code (see `run`).
    unsafe {
        run(vmctx, exec, (), |store, index| {
            let limit = store.limits().max_continuation_bytes;
            let room = store.max_record_size;
            let slots: Vec<u64> = record_slots(store, index, func, point, bytes, area)
                .ok_or_else(|| Stop::internal(format!("function {func} saved a record unlike its point {point}")))?
                .collect();
            // SAFETY: `exec` is live and, while this builtin runs, used by
            // nobody else (compiled code waits for us); `store` is another
            // object.
            let exec = &mut *exec;
            let suspension = current_suspension(store, exec, "a frame saved its record")?;
            Ok(suspension.buffer.commit(exec, &slots, vmctx, header, room, limit)?)
        })
    }
}

/// The slots of the record of function `func`'s resume point `point` (of
/// `bytes` bytes, header included) of instance `index`, gathered from its
/// record area; `None` if the point is not the function's or does not fit.
fn record_slots<'a>(
    store: &'a Store,
    index: usize,
    func: u32,
    point: u32,
    bytes: usize,
    area: &'a [u64],
) -> Option<impl ExactSizeIterator<Item = u64> + 'a> {
    let layout = store.instances.get(index)?.module.resume_point(func, point)?;
    let fits = layout.record_size() == bytes && layout.area.len() == layout.slots.len();
    (fits && layout.area_words() <= area.len())
        .then(|| layout.area_word_positions().map(|word| area.get(word).copied().unwrap_or(0)))
}

/// `rewind_frame`: the entry of function `func` (module-wide index) of
/// the instance `vmctx` took the cold path of its stack check. Unless the
/// call is rewinding with the stack above its real limit (a stack overflow:
/// trap), the last record must be one of `func`'s in this instance (else
/// the activation stops with a mismatch): pop it, copying its slots to the
/// frame's record area `area` (of `area_slots` slots) and publish its point
/// in `exec.resume_point`. Returns the point, or `u32::MAX` after
/// trapping.
///
/// # Safety
/// Called by compiled code only (see [`run`]), with `area` pointing to its
/// record area of `area_slots` slots.
unsafe extern "C" fn rewind_frame(vmctx: *mut u8, exec: *mut ExecCtx, func: u32, area: u64, area_slots: u32) -> u32 {
    // SAFETY: our contract is `rewind`'s.
    unsafe { rewind(vmctx, exec, func, area, area_slots, false) }
}

/// The builtin `rewind_tail_frame`: `rewind_frame` for a function that
/// makes tail calls, which may have to hand the rewind on to its callee
/// (see `call/redirect.rs`): returns [`REWIND_REDIRECT`] after filling
/// `exec.redirect`.
///
/// # Safety
/// As [`rewind_frame`]; `area_slots` may be 0 (and `area` anything).
unsafe extern "C" fn rewind_tail_frame(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    func: u32,
    area: u64,
    area_slots: u32,
) -> u32 {
    // SAFETY: our contract is `rewind`'s.
    unsafe { rewind(vmctx, exec, func, area, area_slots, true) }
}

/// `rewind_frame` and (`tail`) `rewind_tail_frame`.
///
/// # Safety
/// As [`rewind_tail_frame`].
unsafe fn rewind(vmctx: *mut u8, exec: *mut ExecCtx, func: u32, area: u64, area_slots: u32, tail: bool) -> u32 {
    // Below the caller's frame: if the caller's stack was too deep, so is
    // this one's.
    let marker = 0u8;
    let sp = std::hint::black_box(&marker) as *const u8 as usize;
    let area: &mut [u64] = match area_slots {
        0 => &mut [],
        // SAFETY: compiled code passes its record area of `area_slots`
        // slots (our contract), which nothing else reads or writes while we
        // run.
        n => unsafe { std::slice::from_raw_parts_mut(area as usize as *mut u64, n as usize) },
    };
    // Every restored frame comes here: the fast path cannot panic (every
    // lookup is checked), so it needs no `catch_unwind`.
    let outcome = {
        // SAFETY: `instance_of`'s contract is ours.
        let (index, _) = unsafe { instance_of(vmctx) };
        // SAFETY: as in `commit_record`.
        let (store, exec) = unsafe { (store_of(exec), &mut *exec) };
        if exec.state != STATE_REWINDING || sp < exec.saved_stack_limit {
            None
        } else {
            let redirect = if tail { redirect(store, exec, vmctx, func) } else { Ok(None) };
            Some(match redirect {
                Ok(Some(to)) => {
                    exec.redirect = to;
                    Ok(REWIND_REDIRECT)
                }
                Ok(None) => pop_own_record(store, exec, index as usize, vmctx, func, area),
                Err(stop) => Err(stop),
            })
        }
    };
    match outcome {
        Some(Ok(point)) => point,
        // SAFETY: `exec` is live and no reference to it is held; our caller
        // is compiled code (`raise`'s contract).
        None => unsafe {
            raise_code(exec, TrapCode::StackOverflow);
            u32::MAX
        },
        // SAFETY: as above.
        Some(Err(stop)) => unsafe {
            raise(exec, stop);
            u32::MAX
        },
    }
}

/// For `rewind_frame`: pops the last record of the buffer, which must be
/// one of function `func`'s in instance `index` (at `vmctx`), into `area`.
fn pop_own_record(
    store: &Store,
    exec: &mut ExecCtx,
    index: usize,
    vmctx: *mut u8,
    func: u32,
    area: &mut [u64],
) -> Result<u32, Stop> {
    // SAFETY: while rewinding, `cont_ptr` is the end of the last record not
    // yet popped, in the activation's buffer: the runtime enters compiled
    // code rewinding only with records saved by compiled code (or read back
    // from bytes and checked record by record against their code's
    // layouts), and each frame pops exactly its own. Records are whole
    // words, with two header words at their end.
    let (saved_vmctx, word) = unsafe {
        let end = exec.cont_ptr;
        (
            end.offset(RECORD_VMCTX_WORD as isize).cast::<u64>().read(),
            end.offset(RECORD_HEADER_WORD as isize).cast::<u64>().read(),
        )
    };
    let (saved, point) = header(word);
    if saved_vmctx != vmctx as usize as u64 || saved != func || point == STUB_RESUME_POINT {
        let whose = if saved_vmctx == vmctx as usize as u64 { "its own instance" } else { "another instance" };
        return Err(Stop::Mismatch(format!(
            "function {func} found the saved frame of function {saved} of {whose} at resume point {point}"
        )));
    }
    let layout = store
        .instances
        .get(index)
        .and_then(|instance| instance.module.resume_point(func, point))
        .ok_or_else(|| Stop::Mismatch(format!("function {func} has no resume point {point}")))?;
    if layout.area.len() != layout.slots.len() || layout.area_words() > area.len() {
        return Err(Stop::internal(format!("the record of function {func} at {point} exceeds its area")));
    }
    // SAFETY: the record is this point's (checked above), so it has this
    // layout's slots before its header (see above), in the buffer, which
    // the frame's record area is not in.
    let record = unsafe {
        let start = exec.cont_ptr.sub(layout.record_size());
        let record = std::slice::from_raw_parts(start.cast::<u64>(), layout.words());
        exec.cont_ptr = start;
        record
    };
    for (value, word) in record.iter().zip(layout.area_word_positions()) {
        if let Some(slot) = area.get_mut(word) {
            *slot = *value;
        }
    }
    exec.resume_point = point;
    Ok(point)
}

/// For `commit_record` with [`REWIND_FAILED`]: function `func` (module-wide
/// index) of the instance `vmctx` took the cold path of its entry stack
/// check and could not go on; raise the trap that says why (see
/// `VMBuiltins::commit_record`).
///
/// # Safety
/// Called by compiled code only, through a builtin (see [`run`]).
unsafe fn rewind_failed(vmctx: *mut u8, exec: *mut ExecCtx, func: u32) {
    // Below the caller's frame: if the caller's stack was too deep, so is
    // this one's.
    let marker = 0u8;
    let sp = std::hint::black_box(&marker) as *const u8 as usize;
    let mismatch = {
        // SAFETY: our caller is compiled code, so `exec` is its activation's
        // live context, which nobody else uses while we run; the reference
        // dies in this block, before `raise` uses the pointer.
        let exec = unsafe { &*exec };
        if exec.state != STATE_REWINDING || sp < exec.saved_stack_limit {
            None
        } else {
            // SAFETY: while rewinding, `cont_ptr` is the end of the last
            // record not yet popped, in the activation's buffer: the
            // runtime enters compiled code rewinding only with records
            // saved by compiled code (or read back from bytes and checked
            // record by record), and each frame pops exactly its own, the
            // innermost ending the rewind. Records are whole words, with
            // two header words at their end.
            let (saved_vmctx, word) = unsafe {
                let end = exec.cont_ptr;
                (
                    end.offset(RECORD_VMCTX_WORD as isize).cast::<u64>().read(),
                    end.offset(RECORD_HEADER_WORD as isize).cast::<u64>().read(),
                )
            };
            Some((saved_vmctx, header(word)))
        }
    };
    match mismatch {
        // SAFETY: `exec` is live (see above) and no reference to it is held.
        None => unsafe { raise_code(exec, TrapCode::StackOverflow) },
        Some((saved_vmctx, (saved, point))) => {
            let whose = if saved_vmctx == vmctx as usize as u64 { "its own instance" } else { "another instance" };
            let message =
                format!("function {func} found the saved frame of function {saved} of {whose} at resume point {point}");
            // SAFETY: as above; our caller is compiled code (`raise`'s contract).
            unsafe { raise(exec, Stop::Mismatch(message)) };
        }
    }
}

/// `throw`: a new exception object of the tag at `tag`, with room for
/// `payload_slots` slots (see [`VMBuiltins::new_exception`]).
///
/// # Safety
/// Called by compiled code only (see [`run`]), with `tag` a word of its
/// vmctx's tag area.
unsafe extern "C" fn new_exception(vmctx: *mut u8, exec: *mut ExecCtx, tag: u64, payload_slots: u32) -> u64 {
    // SAFETY: our contract is `run`'s.
    unsafe {
        run(vmctx, exec, 0, |store, _| {
            store.exceptions.allocate(tag as usize as *const _, payload_slots as usize).ok_or_else(|| {
                Failure::Stop(
                    Error::Limit(format!("more than {} live exceptions", crate::exception::MAX_LIVE_EXCEPTIONS)).into(),
                )
            })
        })
    }
}
