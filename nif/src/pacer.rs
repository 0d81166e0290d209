//! [`Pacer`]: how much fuel one `Call::step` gets so that it takes about
//! [`STEP_TARGET`], a fraction of a BEAM timeslice.
//!
//! Fuel counts WebAssembly work, not time, and how long a unit takes
//! depends on the program. So the NIF measures: after every step it tells
//! the pacer the fuel used and the time taken, and the pacer adjusts the
//! next grant toward [`STEP_TARGET`]. The last good estimate is shared by
//! all pacers of the VM, so a new call starts near the right size. This is
//! the BEAM's scheduling policy, so it lives here; the runtime only runs a
//! step with the fuel it is given.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The time a step should take: 200 us, a fifth of a BEAM timeslice.
pub const STEP_TARGET: Duration = Duration::from_micros(200);
/// Fuel-per-step bounds: enough to make progress, small enough that a step
/// of the costliest code (bulk memory, calls into large frames) stays short.
pub const MIN_FUEL: u64 = 1_000;
pub const MAX_FUEL: u64 = 50_000_000;
const INITIAL_FUEL: u64 = 100_000;

static SHARED_ESTIMATE: AtomicU64 = AtomicU64::new(INITIAL_FUEL);

/// One call's fuel-per-step estimate.
#[derive(Debug, Clone)]
pub struct Pacer {
    fuel: u64,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer { fuel: SHARED_ESTIMATE.load(Ordering::Relaxed).clamp(MIN_FUEL, MAX_FUEL) }
    }
}

impl Pacer {
    /// The fuel for the next step.
    pub fn fuel(&self) -> u64 {
        self.fuel
    }

    /// The time `fuel` units take, by the current estimate (the grant takes
    /// [`STEP_TARGET`]).
    pub fn estimate(&self, fuel: u64) -> Duration {
        let nanos = fuel as u128 * STEP_TARGET.as_nanos() / self.fuel.max(1) as u128;
        Duration::from_nanos(nanos.min(u64::MAX as u128) as u64)
    }

    /// Learns from a step that used `fuel` units in `elapsed`. Only full
    /// steps (that used their whole grant) say how fast the code runs.
    pub fn observe(&mut self, fuel: u64, elapsed: Duration) {
        if fuel < self.fuel {
            return;
        }
        let nanos = elapsed.as_nanos().max(1);
        let ideal = (fuel as u128 * STEP_TARGET.as_nanos() / nanos).min(MAX_FUEL as u128) as u64;
        // Move half way, and at most double, so one noisy step (a page
        // fault, a preempted thread, a step that ended early in cheap code)
        // does not swing the estimate: a step never runs much longer than
        // the target.
        let halfway = ((self.fuel as u128 + ideal as u128).div_ceil(2)) as u64;
        self.fuel = halfway.min(self.fuel.saturating_mul(2)).clamp(MIN_FUEL, MAX_FUEL);
        SHARED_ESTIMATE.store(self.fuel, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_steps_shrink_the_grant_and_fast_ones_grow_it() {
        let mut pacer = Pacer { fuel: 100_000 };
        // 100,000 units took 2 ms: ten times the target.
        pacer.observe(100_000, Duration::from_millis(2));
        assert_eq!(pacer.fuel(), 50_000 + 5_000);
        for _ in 0..20 {
            let fuel = pacer.fuel();
            pacer.observe(fuel, Duration::from_nanos(fuel * 20)); // 20 ns per unit
        }
        assert!((9_000..=11_000).contains(&pacer.fuel()), "converges to 200 us / 20 ns = 10,000: {}", pacer.fuel());
        let fuel = pacer.fuel();
        pacer.observe(fuel, Duration::from_nanos(fuel)); // 1 ns per unit: grow
        assert!(pacer.fuel() > fuel);
        let fuel = pacer.fuel();
        pacer.observe(fuel, Duration::from_nanos(1)); // absurdly fast: at most double
        assert_eq!(pacer.fuel(), 2 * fuel);
    }

    #[test]
    fn the_grant_is_estimated_to_take_the_target() {
        let pacer = Pacer { fuel: 100_000 };
        assert_eq!(pacer.estimate(100_000), STEP_TARGET);
        assert_eq!(pacer.estimate(50_000), STEP_TARGET / 2);
        assert_eq!(pacer.estimate(0), Duration::ZERO);
    }

    #[test]
    fn partial_steps_teach_nothing_and_the_grant_stays_in_bounds() {
        let mut pacer = Pacer { fuel: 100_000 };
        pacer.observe(10, Duration::from_secs(1));
        assert_eq!(pacer.fuel(), 100_000);
        for _ in 0..100 {
            let fuel = pacer.fuel();
            pacer.observe(fuel, Duration::from_secs(1));
        }
        assert_eq!(pacer.fuel(), MIN_FUEL);
        for _ in 0..100 {
            let fuel = pacer.fuel();
            pacer.observe(fuel, Duration::from_nanos(1));
        }
        assert_eq!(pacer.fuel(), MAX_FUEL);
    }
}
