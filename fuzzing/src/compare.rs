//! [`compare`]: runs one [`Plan`] on two [`Subject`]s side by side and
//! fails at the first call whose outcome differs, or if their exports'
//! state differs afterwards.

use crate::plan::Plan;
use crate::subject::Subject;
use crate::value::{CallOutcome, TrapKind};
use crate::{Failure, Summary};

/// The two sides' names, for messages.
pub struct Sides<'a> {
    pub a: &'a str,
    pub b: &'a str,
}

/// Compares how the two sides instantiated: both succeeded (`Ok(Some)`),
/// both failed in agreeing ways (`Ok(None)`: nothing more to compare), or
/// a mismatch.
pub fn compare_instantiation<A, B>(
    sides: &Sides<'_>,
    a: Result<A, TrapKind>,
    b: Result<B, TrapKind>,
    summary: &mut Summary,
) -> Result<Option<(A, B)>, Failure> {
    summary.modules += 1;
    match (a, b) {
        (Ok(a), Ok(b)) => Ok(Some((a, b))),
        (Err(x), Err(y)) if x == TrapKind::StackExhausted || y == TrapKind::StackExhausted || x.agrees_with(&y) => {
            summary.failed_instantiations += 1;
            Ok(None)
        }
        (Err(TrapKind::StackExhausted), _) | (_, Err(TrapKind::StackExhausted)) => {
            summary.exhausted += 1;
            Ok(None)
        }
        (a, b) => {
            Err(Failure::new(format!("instantiation differs: {} {:?}, {} {:?}", sides.a, a.err(), sides.b, b.err())))
        }
    }
}

/// Makes every call of `plan` on both sides and compares each outcome, then
/// the exports' state. Stack exhaustion on either side ends the comparison
/// there (where it happens is up to each engine), without comparing state.
pub fn compare(
    sides: &Sides<'_>,
    plan: &Plan,
    a: &mut dyn Subject,
    b: &mut dyn Subject,
    summary: &mut Summary,
) -> Result<(), Failure> {
    for (index, call) in plan.calls.iter().enumerate() {
        let x = a.call(plan, call)?;
        let y = b.call(plan, call)?;
        summary.calls += 1;
        if x.is_exhausted() || y.is_exhausted() {
            summary.exhausted += 1;
            return Ok(());
        }
        if !x.agrees_with(&y) {
            return Err(Failure::new(format!(
                "call {index} `{}`{:?}: {} {x}, {} {y}",
                plan.funcs[call.func].name, call.args, sides.a, sides.b
            )));
        }
        if let CallOutcome::Trapped(_) = x {
            summary.traps += 1;
        }
    }
    if let Some(difference) = a.snapshot().difference(&b.snapshot(), sides.a, sides.b) {
        return Err(Failure::new(format!("after {} calls: {difference}", plan.calls.len())));
    }
    Ok(())
}
