//! Counters for tests and diagnostics: live resources, so that leaks show,
//! and how calls were sliced.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Live objects of each resource type: incremented when one is made,
/// decremented in its `Drop`.
pub static MODULES: AtomicI64 = AtomicI64::new(0);
pub static INSTANCES: AtomicI64 = AtomicI64::new(0);
pub static CALLS: AtomicI64 = AtomicI64::new(0);

/// How many times a call gave its scheduler back (`enif_schedule_nif`).
pub static RESCHEDULES: AtomicU64 = AtomicU64::new(0);
/// The longest time, in microseconds, one NIF invocation ran WebAssembly
/// before returning or rescheduling: wall-clock time, which includes any
/// time the OS took the scheduler thread away.
pub static LONGEST_SLICE_US: AtomicU64 = AtomicU64::new(0);
/// The same in CPU time of the scheduler thread, which does not.
pub static LONGEST_SLICE_CPU_US: AtomicU64 = AtomicU64::new(0);

/// Upper bounds (exclusive, in microseconds of CPU time) of the buckets of
/// the slice histogram ([`slice_counts`]); its last bucket has no bound.
pub const SLICE_CPU_BOUNDS_US: [u64; 11] = [250, 500, 750, 1000, 1250, 1500, 2000, 3000, 5000, 10_000, 20_000];
/// How many NIF invocations ran WebAssembly for each range of CPU time
/// but the first (read with [`slice_counts`]). The longest slice alone says little on a
/// shared machine: a virtual CPU the host takes away for a few ms still
/// counts as the thread's CPU time, so a spinning loop's longest slice is
/// the host's noise, while the distribution shows whether slices are short
/// as a rule. The first bucket is not here: see [`SHORT_SLICES`].
static SLICES_BY_CPU: [AtomicU64; SLICE_CPU_BOUNDS_US.len()] = [const { AtomicU64::new(0) }; SLICE_CPU_BOUNDS_US.len()];

thread_local! {
    /// Slices of the first bucket, counted by the thread that ran them:
    /// nearly every call is one such slice, and a shared counter would cost
    /// each a locked instruction (and scheduler threads would fight over
    /// its cache line). Only its own thread writes a counter, so a load and
    /// a store increment it; readers sum all threads' counters.
    ///
    /// Leaked rather than owned: a thread-local value with a destructor
    /// would tie the thread's exit to this library's code. Eight bytes per
    /// thread, and the VM's threads live as long as it does.
    static SHORT_SLICES: &'static AtomicU64 = {
        let counter: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        SHORT_COUNTERS.lock().unwrap_or_else(PoisonError::into_inner).push(counter);
        counter
    };
}

/// Every thread's [`SHORT_SLICES`] counter.
static SHORT_COUNTERS: Mutex<Vec<&'static AtomicU64>> = Mutex::new(Vec::new());
/// The sum of [`SHORT_COUNTERS`] when the slices were last reset: the
/// counters themselves only grow (a reset written into another thread's
/// counter could be lost to its next increment).
static SHORT_BASELINE: AtomicU64 = AtomicU64::new(0);

/// How many `{internal_error, _}` terms the NIF has returned, and how many
/// faults `fault/1` injected on purpose: the test suites check that the
/// first never exceeds the second (no test meets a real bug's error).
pub static INTERNAL_ERRORS: AtomicU64 = AtomicU64::new(0);
pub static INJECTED_FAULTS: AtomicU64 = AtomicU64::new(0);

/// Counts one live object in `counter` until the guard is dropped.
#[derive(Debug)]
pub struct Live(&'static AtomicI64);

impl Live {
    pub fn new(counter: &'static AtomicI64) -> Live {
        counter.fetch_add(1, Ordering::Relaxed);
        Live(counter)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Records that one NIF invocation ran for `wall` (`cpu` of it on the CPU).
pub fn record_slice(wall: Duration, cpu: Duration) {
    raise_to(&LONGEST_SLICE_US, wall.as_micros() as u64);
    raise_to(&LONGEST_SLICE_CPU_US, cpu.as_micros() as u64);
    match cpu_bucket(cpu) {
        0 => SHORT_SLICES.with(|counter| counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed)),
        bucket => {
            SLICES_BY_CPU[bucket - 1].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Slices counted in each bucket of [`SLICE_CPU_BOUNDS_US`] (and the last,
/// unbounded one) since the last reset.
pub fn slice_counts() -> Vec<u64> {
    let short = short_slices_total().saturating_sub(SHORT_BASELINE.load(Ordering::Relaxed));
    std::iter::once(short).chain(SLICES_BY_CPU.iter().map(|b| b.load(Ordering::Relaxed))).collect()
}

fn short_slices_total() -> u64 {
    let counters = SHORT_COUNTERS.lock().unwrap_or_else(PoisonError::into_inner);
    counters.iter().map(|c| c.load(Ordering::Relaxed)).sum()
}

/// `fetch_max`, skipped when `value` is not larger: most slices are not the
/// longest, and a read costs no locked instruction.
fn raise_to(max: &AtomicU64, value: u64) {
    if value > max.load(Ordering::Relaxed) {
        max.fetch_max(value, Ordering::Relaxed);
    }
}

/// Starts a new measurement of slice times.
pub fn reset_slices() {
    LONGEST_SLICE_US.store(0, Ordering::Relaxed);
    LONGEST_SLICE_CPU_US.store(0, Ordering::Relaxed);
    for bucket in &SLICES_BY_CPU {
        bucket.store(0, Ordering::Relaxed);
    }
    SHORT_BASELINE.store(short_slices_total(), Ordering::Relaxed);
}

/// The bucket that counts a slice of `cpu`: 0 for [`SHORT_SLICES`], `n`
/// for `SLICES_BY_CPU[n - 1]`.
fn cpu_bucket(cpu: Duration) -> usize {
    let us = cpu.as_micros();
    SLICE_CPU_BOUNDS_US.iter().position(|&bound| us < u128::from(bound)).unwrap_or(SLICE_CPU_BOUNDS_US.len())
}

/// CPU time the calling thread has used (zero if the OS cannot tell).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-parameter; CLOCK_THREAD_CPUTIME_ID needs
    // nothing else.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
