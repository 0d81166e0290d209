//! `args_get`, `args_sizes_get`, `environ_get`, `environ_sizes_get`: the
//! program's arguments and environment, each a NUL-terminated string in a
//! buffer the guest sized with the `_sizes_get` call.

use super::{Args, Outcome};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::guest::Guest;

/// Writes `strings` as `argv`-style pointers at `ptrs` and NUL-terminated
/// bytes at `buf`.
fn put_strings(mem: &mut Guest<'_>, strings: &[Vec<u8>], ptrs: u32, buf: u32) -> Outcome {
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        let slot = ptrs.checked_add(4 * i as u32).ok_or(Errno::Fault)?;
        mem.write_u32(slot, at)?;
        mem.write(at, s)?;
        let end = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        mem.write_u8(end, 0)?;
        at = end.checked_add(1).ok_or(Errno::Fault)?;
    }
    Ok(())
}

/// Writes the count of `strings` at `count_ptr` and the bytes they need
/// (terminators included) at `size_ptr`.
fn put_sizes(mem: &mut Guest<'_>, strings: &[Vec<u8>], count_ptr: u32, size_ptr: u32) -> Outcome {
    let size: usize = strings.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count_ptr, u32::try_from(strings.len()).map_err(|_| Errno::Overflow)?)?;
    mem.write_u32(size_ptr, u32::try_from(size).map_err(|_| Errno::Overflow)?)?;
    Ok(())
}

pub(crate) fn args_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    put_strings(mem, &ctx.args, a.u32(0), a.u32(1))
}

pub(crate) fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    put_sizes(mem, &ctx.args, a.u32(0), a.u32(1))
}

pub(crate) fn environ_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    put_strings(mem, &ctx.env, a.u32(0), a.u32(1))
}

pub(crate) fn environ_sizes_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    put_sizes(mem, &ctx.env, a.u32(0), a.u32(1))
}
