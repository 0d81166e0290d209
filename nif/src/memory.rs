//! The embedder's view of an instance: its memories and its globals.
//!
//! Any process may use these, also while a call is suspended (in a host
//! fun, or between slices): they take the instance's store lock, so they
//! wait at most for the step in progress. Copies larger than
//! [`INLINE_COPY_BYTES`] run on a dirty CPU scheduler.

use crate::error::{bad_argument, guard, ok_or_error, ok_or_error_unit, Failure};
use crate::instance::{instance_ref, name_of, InstanceState};
use crate::raw;
use crate::values::{decode, encode};
use rustler::{Binary, Encoder, Env, NewBinary, SchedulerFlags, Term};
use wasmbeam_runtime::{Global, Memory};

/// Copies up to this size run on the caller's scheduler (well under 1 ms).
const INLINE_COPY_BYTES: u64 = 1 << 20;
/// The most one `read_memory` returns: larger reads are refused rather
/// than risk the VM failing to allocate the binary.
const MAX_READ_BYTES: u64 = 1 << 30;

/// The memory `selector` names: `[]` for the default one (the export
/// `memory`, or the first exported memory), an integer for that index of
/// the instance's memory index space (imported memories first, exported or
/// not), or a binary or atom for the exported memory of that name.
fn memory_of(st: &InstanceState, selector: Term) -> Result<Memory, Failure> {
    if selector.is_empty_list() {
        return st.memory.ok_or_else(|| bad_argument("the instance exports no memory"));
    }
    if let Ok(index) = selector.decode::<u32>() {
        return st
            .instance
            .memory_at(&st.store, index)
            .ok_or_else(|| bad_argument(format!("the instance has no memory {index}")));
    }
    let name = name_of(selector)
        .map_err(|_| bad_argument("a memory is named by its index (an integer) or export name (a binary or atom)"))?;
    st.instance.get_memory(&st.store, &name).ok_or_else(|| bad_argument(format!("no exported memory named `{name}`")))
}

/// The byte range `offset..offset+len` if it lies within `size` bytes.
fn range(offset: u64, len: u64, size: usize) -> Result<std::ops::Range<usize>, Failure> {
    let end = offset.checked_add(len).filter(|end| *end <= size as u64).ok_or_else(|| {
        bad_argument(format!("memory access out of bounds: offset {offset}, length {len}, memory size {size} bytes"))
    })?;
    Ok(offset as usize..end as usize)
}

/// `read_memory(Instance, Memory, Offset, Length)` → `{ok, Binary}` (see
/// [`memory_of`] for `Memory`).
#[rustler::nif]
fn read_memory<'a>(env: Env<'a>, instance: Term<'a>, memory: Term<'a>, offset: Term<'a>, len: Term<'a>) -> Term<'a> {
    guard(env, || {
        if len.decode::<u64>().is_ok_and(|n| n > INLINE_COPY_BYTES) {
            return raw::schedule(
                env,
                c"wasmbeam_read_memory",
                SchedulerFlags::DirtyCpu,
                read_dirty,
                &[instance, memory, offset, len],
            );
        }
        read_now(env, instance, memory, offset, len)
    })
}

raw::continuation!(read_dirty, "read_memory", |env, [instance, memory, offset, len]| {
    read_now(env, instance, memory, offset, len)
});

fn read_now<'a>(env: Env<'a>, instance: Term<'a>, memory: Term<'a>, offset: Term<'a>, len: Term<'a>) -> Term<'a> {
    let result = (|| {
        let instance = instance_ref(instance)?;
        let offset = offset_of(offset)?;
        let len: u64 = len.decode().map_err(|_| bad_argument("the length must be a non-negative integer"))?;
        if len > MAX_READ_BYTES {
            return Err(Failure::Limit(format!("one read may return at most {MAX_READ_BYTES} bytes")));
        }
        let st = instance.lock_state()?;
        let memory = memory_of(&st, memory)?;
        let data = memory.data(&st.store)?;
        let range = range(offset, len, data.len())?;
        let mut binary = NewBinary::new(env, range.len());
        binary.as_mut_slice().copy_from_slice(&data[range]);
        Ok(Binary::from(binary).encode(env))
    })();
    ok_or_error(env, result)
}

/// `write_memory(Instance, Memory, Offset, Binary)` → `ok`.
#[rustler::nif]
fn write_memory<'a>(env: Env<'a>, instance: Term<'a>, memory: Term<'a>, offset: Term<'a>, bytes: Term<'a>) -> Term<'a> {
    guard(env, || {
        if bytes.decode::<Binary>().is_ok_and(|b| b.len() as u64 > INLINE_COPY_BYTES) {
            return raw::schedule(
                env,
                c"wasmbeam_write_memory",
                SchedulerFlags::DirtyCpu,
                write_dirty,
                &[instance, memory, offset, bytes],
            );
        }
        write_now(env, instance, memory, offset, bytes)
    })
}

raw::continuation!(write_dirty, "write_memory", |env, [instance, memory, offset, bytes]| {
    write_now(env, instance, memory, offset, bytes)
});

fn write_now<'a>(env: Env<'a>, instance: Term<'a>, memory: Term<'a>, offset: Term<'a>, bytes: Term<'a>) -> Term<'a> {
    let result: Result<(), Failure> = (|| {
        let instance = instance_ref(instance)?;
        let offset = offset_of(offset)?;
        let bytes: Binary = bytes.decode().map_err(|_| bad_argument("the data must be a binary"))?;
        let mut st = instance.lock_state()?;
        let memory = memory_of(&st, memory)?;
        let data = memory.data_mut(&mut st.store)?;
        let range = range(offset, bytes.len() as u64, data.len())?;
        data[range].copy_from_slice(bytes.as_slice());
        Ok(())
    })();
    ok_or_error_unit(env, result)
}

fn offset_of(term: Term) -> Result<u64, Failure> {
    term.decode().map_err(|_| bad_argument("the offset must be a non-negative integer"))
}

/// `memory_size(Instance, Memory)` → `{ok, Bytes}`.
#[rustler::nif]
fn memory_size<'a>(env: Env<'a>, instance: Term<'a>, memory: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = instance_ref(instance).and_then(|instance| {
            let st = instance.lock_state()?;
            let memory = memory_of(&st, memory)?;
            Ok((memory.size(&st.store)? * 65536).encode(env))
        });
        ok_or_error(env, result)
    })
}

/// `grow_memory(Instance, Memory, Pages)` → `{ok, OldPages}`.
#[rustler::nif]
fn grow_memory<'a>(env: Env<'a>, instance: Term<'a>, memory: Term<'a>, pages: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = instance_ref(instance).and_then(|instance| {
            let pages: u64 =
                pages.decode().map_err(|_| bad_argument("the page count must be a non-negative integer"))?;
            let mut st = instance.lock_state()?;
            let memory = memory_of(&st, memory)?;
            Ok(memory.grow(&mut st.store, pages)?.encode(env))
        });
        ok_or_error(env, result)
    })
}

fn global_of(st: &InstanceState, name: Term) -> Result<Global, Failure> {
    let name = name_of(name)?;
    st.instance.get_global(&st.store, &name).ok_or_else(|| bad_argument(format!("no exported global named `{name}`")))
}

/// `get_global(Instance, Name)` → `{ok, Value}`.
#[rustler::nif]
fn get_global<'a>(env: Env<'a>, instance: Term<'a>, name: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = instance_ref(instance).and_then(|instance| {
            let st = instance.lock_state()?;
            let global = global_of(&st, name)?;
            Ok(encode(env, &global.get(&st.store)?))
        });
        ok_or_error(env, result)
    })
}

/// `set_global(Instance, Name, Value)` → `ok`.
#[rustler::nif]
fn set_global<'a>(env: Env<'a>, instance: Term<'a>, name: Term<'a>, value: Term<'a>) -> Term<'a> {
    guard(env, || {
        let result = instance_ref(instance).and_then(|instance| {
            let mut st = instance.lock_state()?;
            let global = global_of(&st, name)?;
            let ty = global.ty(&st.store)?;
            if !ty.mutable {
                return Err(bad_argument("the global is immutable"));
            }
            let value = decode(value, ty.content, "value", 0)?;
            global.set(&mut st.store, value)?;
            Ok(())
        });
        ok_or_error_unit(env, result)
    })
}
