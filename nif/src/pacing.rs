//! How much of the process's timeslice a step used.
//!
//! Each step of a call gets the fuel a [`crate::pacer::Pacer`] grants
//! (about 200 us of work); the NIF reports the time it took to the VM as a
//! percentage of a 1 ms timeslice (`enif_consume_timeslice`), and
//! reschedules the call once the VM says the slice is used up.

use std::time::Duration;

/// A BEAM timeslice: what `enif_consume_timeslice`'s 100% stands for.
pub const TIMESLICE: Duration = Duration::from_millis(1);

/// `elapsed` as a percentage of a timeslice, for `enif_consume_timeslice`
/// (which takes 1..=100).
pub fn timeslice_percent(elapsed: Duration) -> i32 {
    let percent = elapsed.as_nanos() * 100 / TIMESLICE.as_nanos();
    percent.clamp(1, 100) as i32
}
