//! `clock_res_get`, `clock_time_get`: the four clocks of WASI, read with
//! `clock_gettime` (realtime, monotonic, and the CPU time of the process
//! and of the calling thread: the scheduler thread the call runs on).

use super::{Args, Outcome};
use crate::abi::clockid;
use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::guest::Guest;

fn host_clock(id: u32) -> WasiResult<libc::clockid_t> {
    Ok(match id {
        clockid::REALTIME => libc::CLOCK_REALTIME,
        clockid::MONOTONIC => libc::CLOCK_MONOTONIC,
        clockid::PROCESS_CPUTIME_ID => libc::CLOCK_PROCESS_CPUTIME_ID,
        clockid::THREAD_CPUTIME_ID => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(Errno::Inval),
    })
}

fn to_nanos(ts: libc::timespec) -> u64 {
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// The time of WASI clock `id`, in nanoseconds.
pub fn now(id: u32) -> WasiResult<u64> {
    let clock = host_clock(id)?;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-parameter and `clock` a clock id the
    // host knows.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(Errno::from(std::io::Error::last_os_error()));
    }
    Ok(to_nanos(ts))
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: the time base of `poll_oneoff`'s
/// deadlines.
pub fn monotonic_now() -> u64 {
    now(clockid::MONOTONIC).unwrap_or(0)
}

pub(crate) fn clock_res_get(_: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let clock = host_clock(a.u32(0))?;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: as in `now`.
    if unsafe { libc::clock_getres(clock, &mut ts) } != 0 {
        return Err(Errno::from(std::io::Error::last_os_error()).into());
    }
    mem.write_u64(a.u32(1), to_nanos(ts).max(1))?;
    Ok(())
}

pub(crate) fn clock_time_get(_: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    // The precision argument is a hint.
    let time = now(a.u32(0))?;
    mem.write_u64(a.u32(2), time)?;
    Ok(())
}
