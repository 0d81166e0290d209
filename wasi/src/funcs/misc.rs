//! The rest: `proc_exit`, `proc_raise`, `sched_yield`, `random_get`, and
//! the `sock_*` functions (no sockets can be opened in preview1: every
//! fd is refused as wasmtime does).

use super::{Args, Halt, Outcome};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::guest::Guest;

/// Ends the call with the given status: not a trap.
pub(crate) fn proc_exit(_: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    Err(Halt::Exit(a.u32(0) as i32))
}

/// Signals are not supported (`ENOTSUP`, as wasmtime).
pub(crate) fn proc_raise(_: &mut WasiCtx, _: &mut Guest<'_>, _: &Args<'_>) -> Outcome {
    Err(Errno::Notsup.into())
}

/// Nothing to do: the call is preempted by fuel anyway.
pub(crate) fn sched_yield(_: &mut WasiCtx, _: &mut Guest<'_>, _: &Args<'_>) -> Outcome {
    Ok(())
}

/// Fills the buffer from the OS's CSPRNG.
pub(crate) fn random_get(_: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let buf = mem.bytes_mut(a.u32(0), a.u32(1))?;
    getrandom::fill(buf).map_err(|_| Errno::Io)?;
    Ok(())
}

/// No fd is a socket: `ENOTSOCK` for an open fd, `EBADF` otherwise.
fn not_a_socket(ctx: &WasiCtx, fd: u32) -> Outcome {
    ctx.fds.get(fd)?;
    Err(Errno::Notsock.into())
}

pub(crate) fn sock_accept(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    not_a_socket(ctx, a.u32(0))
}

pub(crate) fn sock_recv(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    not_a_socket(ctx, a.u32(0))
}

pub(crate) fn sock_send(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    not_a_socket(ctx, a.u32(0))
}

pub(crate) fn sock_shutdown(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    not_a_socket(ctx, a.u32(0))
}
