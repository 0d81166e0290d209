//! The NIF's scheduling policy (how much fuel a step gets, how much of a
//! timeslice it used), tested without a VM: the library itself links only
//! as a NIF loaded by the VM, so its modules with no VM calls are compiled
//! into this test as they are.

#[path = "../src/pacer.rs"]
mod pacer;
#[path = "../src/pacing.rs"]
mod pacing;

use pacing::{room_for_another_step, timeslice_percent, TIMESLICE};
use std::time::Duration;

#[test]
fn a_step_reports_its_share_of_a_timeslice_within_one_and_a_hundred_percent() {
    assert_eq!(timeslice_percent(Duration::ZERO), 1);
    assert_eq!(timeslice_percent(Duration::from_micros(200)), 20);
    assert_eq!(timeslice_percent(TIMESLICE), 100);
    assert_eq!(timeslice_percent(TIMESLICE * 5), 100);
}

#[test]
fn another_step_starts_only_if_a_slow_one_would_end_within_the_timeslice() {
    assert!(room_for_another_step(Duration::ZERO));
    assert!(room_for_another_step(TIMESLICE - pacer::STEP_TARGET * 2));
    assert!(!room_for_another_step(TIMESLICE - pacer::STEP_TARGET * 2 + Duration::from_nanos(1)));
}
