//! Counters for tests and diagnostics: live resources, so that leaks show,
//! and how calls were sliced.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Live objects of each resource type: incremented when one is made,
/// decremented in its `Drop`.
pub static MODULES: AtomicI64 = AtomicI64::new(0);
pub static INSTANCES: AtomicI64 = AtomicI64::new(0);
pub static CALLS: AtomicI64 = AtomicI64::new(0);

/// How many times a call gave its scheduler back (`enif_schedule_nif`).
pub static RESCHEDULES: AtomicU64 = AtomicU64::new(0);
/// The longest time, in microseconds, one NIF invocation ran WebAssembly
/// before returning or rescheduling.
pub static LONGEST_SLICE_US: AtomicU64 = AtomicU64::new(0);

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

/// Records that one NIF invocation ran for `micros`.
pub fn record_slice(micros: u64) {
    LONGEST_SLICE_US.fetch_max(micros, Ordering::Relaxed);
}
