//! `poll_oneoff`: returns the subscriptions that are ready, or, when none
//! is, suspends the call until the earliest clock deadline or stdin
//! readiness ([`Wait::Poll`]); the embedder waits (in the BEAM, in a
//! `receive ... after`) and has it run again. Deadlines are fixed when the
//! call first suspends, so that running again does not restart a relative
//! timeout.

use super::clock::{monotonic_now, now};
use super::{Args, Halt, Outcome};
use crate::abi::{self, clockid, eventrwflags, eventtype, subclockflags};
use crate::ctx::{Wait, WasiCtx};
use crate::errno::{Errno, WasiResult};
use crate::fd::Kind;
use crate::guest::Guest;

/// The deadlines of the subscriptions at `ptr` (`count` of them) that a
/// suspended `poll_oneoff` computed, kept for when it runs again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollMemo {
    ptr: u32,
    count: u32,
    /// Per subscription: its clock deadline on `CLOCK_MONOTONIC`, if it is
    /// a clock subscription on a known clock.
    deadlines: Vec<Option<u64>>,
}

/// One subscription as read from the guest.
enum Subscription {
    Clock {
        id: u32,
        timeout: u64,
        flags: u16,
    },
    FdRead(u32),
    FdWrite(u32),
    /// An unknown tag: `EINVAL` for the whole call.
    Bad,
}

fn read_subscription(mem: &Guest<'_>, at: u32) -> WasiResult<(u64, Subscription)> {
    let userdata = mem.read_u64(at)?;
    let sub = match mem.read_u8(at + 8)? {
        eventtype::CLOCK => Subscription::Clock {
            id: mem.read_u32(at + 16)?,
            timeout: mem.read_u64(at + 24)?,
            flags: mem.read_u16(at + 40)?,
        },
        eventtype::FD_READ => Subscription::FdRead(mem.read_u32(at + 16)?),
        eventtype::FD_WRITE => Subscription::FdWrite(mem.read_u32(at + 16)?),
        _ => Subscription::Bad,
    };
    Ok((userdata, sub))
}

/// A clock subscription's deadline on `CLOCK_MONOTONIC`.
fn deadline(id: u32, timeout: u64, flags: u16) -> WasiResult<u64> {
    let mono = monotonic_now();
    let remaining = if flags & subclockflags::ABSTIME != 0 {
        timeout.saturating_sub(now(id)?)
    } else {
        // CPU-time clocks are taken as running with the wall clock: the
        // deadline is an upper bound of the wait.
        now(id)?;
        timeout
    };
    Ok(mono.saturating_add(remaining))
}

/// An event ready to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    hangup: bool,
}

pub(crate) fn poll_oneoff(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (in_ptr, out_ptr, count, nevents_ptr) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
    if count == 0 {
        return Err(Errno::Inval.into());
    }
    // The array must lie in memory before anything is allocated for it.
    let in_len = u64::from(count) * u64::from(abi::SUBSCRIPTION_SIZE);
    let out_len = u64::from(count) * u64::from(abi::EVENT_SIZE);
    if u64::from(in_ptr) + in_len > mem.len() as u64 || u64::from(out_ptr) + out_len > mem.len() as u64 {
        return Err(Errno::Fault.into());
    }
    let memo = ctx.poll_memo.take().filter(|m| m.ptr == in_ptr && m.count == count);
    let mut subs = Vec::with_capacity(count as usize);
    for i in 0..count {
        subs.push(read_subscription(mem, in_ptr + i * abi::SUBSCRIPTION_SIZE)?);
    }
    let mono = monotonic_now();
    let mut deadlines = Vec::with_capacity(subs.len());
    let mut events = Vec::new();
    let mut waits_for_stdin = false;
    for (i, (userdata, sub)) in subs.iter().enumerate() {
        let userdata = *userdata;
        let event = |error, kind, nbytes, hangup| Event { userdata, error, kind, nbytes, hangup };
        let mut deadline_here = None;
        match sub {
            Subscription::Bad => return Err(Errno::Inval.into()),
            Subscription::Clock { id, timeout, flags } => {
                let known = matches!(*id, clockid::REALTIME | clockid::MONOTONIC)
                    || matches!(*id, clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID);
                if !known {
                    events.push(event(Errno::Inval, eventtype::CLOCK, 0, false));
                } else {
                    let due = match memo.as_ref().and_then(|m| m.deadlines.get(i).copied().flatten()) {
                        Some(due) => due,
                        None => deadline(*id, *timeout, *flags)?,
                    };
                    deadline_here = Some(due);
                    if due <= mono {
                        events.push(event(Errno::Success, eventtype::CLOCK, 0, false));
                    }
                }
            }
            Subscription::FdRead(fd) => match ctx.fds.get(*fd).map(|e| &e.kind) {
                Err(e) => events.push(event(e, eventtype::FD_READ, 0, false)),
                Ok(Kind::Stdin) if ctx.stdin.is_ready() => {
                    let available = ctx.stdin.available();
                    events.push(event(Errno::Success, eventtype::FD_READ, available, available == 0));
                }
                Ok(Kind::Stdin) => waits_for_stdin = true,
                Ok(Kind::File { file, pos, .. }) => {
                    let left = file.stat().map(|s| s.size.saturating_sub(*pos)).unwrap_or(0);
                    events.push(event(Errno::Success, eventtype::FD_READ, left, false));
                }
                Ok(_) => events.push(event(Errno::Badf, eventtype::FD_READ, 0, false)),
            },
            Subscription::FdWrite(fd) => match ctx.fds.get(*fd).map(|e| &e.kind) {
                Err(e) => events.push(event(e, eventtype::FD_WRITE, 0, false)),
                Ok(Kind::Stdout | Kind::Stderr | Kind::File { .. }) => {
                    events.push(event(Errno::Success, eventtype::FD_WRITE, 0, false))
                }
                Ok(_) => events.push(event(Errno::Badf, eventtype::FD_WRITE, 0, false)),
            },
        }
        deadlines.push(deadline_here);
    }
    if events.is_empty() {
        let deadline = deadlines.iter().flatten().min().copied();
        ctx.poll_memo = Some(PollMemo { ptr: in_ptr, count, deadlines });
        return Err(Halt::Suspend(Wait::Poll { deadline, stdin: waits_for_stdin }));
    }
    for (i, e) in events.iter().enumerate() {
        let at = out_ptr + i as u32 * abi::EVENT_SIZE;
        mem.bytes_mut(at, abi::EVENT_SIZE)?.fill(0);
        mem.write_u64(at, e.userdata)?;
        mem.write_u16(at + 8, e.error as u16)?;
        mem.write_u8(at + 10, e.kind)?;
        mem.write_u64(at + 16, e.nbytes)?;
        mem.write_u16(at + 24, if e.hangup { eventrwflags::FD_READWRITE_HANGUP } else { 0 })?;
    }
    mem.write_u32(nevents_ptr, events.len() as u32)?;
    Ok(())
}
