//! Fuel accounting for one activation.
//!
//! Compiled code counts down `ExecCtx::fuel`: it charges the static cost of
//! what it is about to run at function entries and loop headers, and once
//! the counter is negative it suspends the call. The counter therefore holds
//! the fuel left of the *grant* (what the runtime wrote there); what was
//! spent since is `grant - fuel`, which exceeds the grant by the overdraft
//! of the charge that made it negative. That overdraft is work already
//! admitted: the frame continues after the charge when it resumes, so it is
//! counted in the step that made it.
//!
//! [`FuelMeter`] turns the counter into two totals: fuel spent in this step
//! (the grant is at most the *slice* given to `Call::step`) and over the
//! whole call (at most the optional *limit*). The grant is the smaller of
//! the two rests, so when the counter runs out, either the slice is spent
//! (the call yields) or the total is (`Call::step` traps with
//! `TrapCode::OutOfFuel`).

use wasmbeam_jit::vm::MAX_FUEL_GRANT;

/// Fuel accounting of one activation (one `Call::step`).
///
/// Invariant: `granted` is the value the runtime (or compiled code, since)
/// last left in `ExecCtx::fuel` when the runtime looked; `used` is what the
/// step spent up to that point.
#[derive(Debug, Clone)]
pub(crate) struct FuelMeter {
    /// This step's slice; `u64::MAX` is unlimited (never spent).
    slice: u64,
    /// The call's total limit, if any.
    limit: Option<u64>,
    /// Spent by the call's earlier steps.
    used_before: u64,
    /// Spent in this step up to the last grant.
    used: u64,
    /// The last value the meter saw in (or put into) `ExecCtx::fuel`.
    granted: i64,
}

impl FuelMeter {
    /// A step with a slice of `slice` (`u64::MAX`: unlimited) of a call that
    /// has spent `used_before` and may spend `limit` in all.
    pub(crate) fn new(slice: u64, limit: Option<u64>, used_before: u64) -> FuelMeter {
        FuelMeter { slice, limit, used_before, used: 0, granted: 0 }
    }

    /// Unlimited fuel (`MAX_FUEL_GRANT` is never spent in practice): nested and
    /// plain calls, which cannot suspend.
    pub(crate) fn unlimited() -> FuelMeter {
        FuelMeter::new(u64::MAX, None, 0)
    }

    /// What may be granted now: the rest of the slice, capped by the rest of
    /// the limit and by the counter's range.
    fn available(&self) -> i64 {
        let slice_left = if self.slice == u64::MAX { u64::MAX } else { self.slice.saturating_sub(self.used) };
        let total_left = match self.limit {
            Some(limit) => limit.saturating_sub(self.used_before.saturating_add(self.used)),
            None => u64::MAX,
        };
        // At most MAX_FUEL_GRANT, so the conversion is exact.
        slice_left.min(total_left).min(MAX_FUEL_GRANT as u64) as i64
    }

    /// Spent since the last grant, given the counter's value now. A counter
    /// above the grant (which compiled code never produces) counts as
    /// nothing spent.
    fn spent_since_grant(&self, fuel: i64) -> u64 {
        let spent = i128::from(self.granted) - i128::from(fuel);
        u64::try_from(spent.max(0)).unwrap_or(u64::MAX)
    }

    /// Brings `used` up to date with the counter's value `fuel`.
    fn absorb(&mut self, fuel: i64) {
        self.used = self.used.saturating_add(self.spent_since_grant(fuel));
        self.granted = fuel;
    }

    /// The first grant of the step: the value to put in `ExecCtx::fuel`.
    pub(crate) fn begin(&mut self) -> i64 {
        self.granted = self.available();
        self.granted
    }

    /// The activation ended with the counter at `fuel`.
    pub(crate) fn end(&mut self, fuel: i64) {
        self.absorb(fuel);
    }

    /// Spent by the call so far (all steps, this one up to the last look at
    /// the counter).
    pub(crate) fn total(&self) -> u64 {
        self.used_before.saturating_add(self.used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_is_granted_and_overdrafts_count() {
        let mut m = FuelMeter::new(100, None, 0);
        assert_eq!(m.begin(), 100);
        // A charge of 7 with 3 left: the call suspends with 104 spent.
        m.end(-4);
        assert_eq!(m.total(), 104);
        // The next step continues the count.
        let mut m = FuelMeter::new(100, None, m.total());
        assert_eq!(m.begin(), 100);
        m.end(60);
        assert_eq!(m.total(), 144);
    }

    #[test]
    fn only_the_rest_of_the_limit_is_granted() {
        let mut m = FuelMeter::new(u64::MAX, Some(50), 40);
        assert_eq!(m.begin(), 10);
        m.end(0);
        assert_eq!(m.total(), 50, "spending exactly the limit is fine");
        // The limit wins over the slice.
        let mut m = FuelMeter::new(5, Some(3), 0);
        assert_eq!(m.begin(), 3);
        m.end(-1);
        assert!(m.total() > 3, "running out means the limit is exceeded");
    }

    #[test]
    fn unlimited_grants_the_counters_range() {
        let mut m = FuelMeter::unlimited();
        assert_eq!(m.begin(), MAX_FUEL_GRANT);
        m.end(MAX_FUEL_GRANT - 10);
        assert_eq!(m.total(), 10);
    }

    #[test]
    fn a_zero_slice_still_lets_the_first_charge_through() {
        let mut m = FuelMeter::new(0, None, 0);
        assert_eq!(m.begin(), 0);
        m.end(-5);
        assert_eq!(m.total(), 5);
    }

    #[test]
    fn a_counter_above_the_grant_counts_as_nothing_spent() {
        let mut m = FuelMeter::new(10, None, 3);
        m.begin();
        m.end(1000);
        assert_eq!(m.total(), 3);
    }
}
