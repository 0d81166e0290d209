//! How much of the process's timeslice a step used.
//!
//! Each step of a call gets the fuel a [`crate::pacer::Pacer`] grants
//! (about 200 us of work); the NIF reports the time it took to the VM as a
//! percentage of a 1 ms timeslice (`enif_consume_timeslice`), and
//! reschedules the call once the VM says the slice is used up, or before a
//! step that would end past it ([`room_for_another_step`]).

use crate::pacer::STEP_TARGET;
use std::time::Duration;

/// A BEAM timeslice: what `enif_consume_timeslice`'s 100% stands for.
pub const TIMESLICE: Duration = Duration::from_millis(1);

/// `elapsed` as a percentage of a timeslice, for `enif_consume_timeslice`
/// (which takes 1..=100).
pub fn timeslice_percent(elapsed: Duration) -> i32 {
    let percent = elapsed.as_nanos() * 100 / TIMESLICE.as_nanos();
    percent.clamp(1, 100) as i32
}

/// Whether a NIF call that has run steps for `spent` may start another:
/// only if a step twice as long as [`STEP_TARGET`] (the pacer's estimate
/// can be off that much while it learns) would still end within a
/// [`TIMESLICE`]. So a NIF call returns before 1 ms of running, rather than
/// after the step that crossed it.
pub fn room_for_another_step(spent: Duration) -> bool {
    spent + STEP_TARGET * 2 <= TIMESLICE
}
