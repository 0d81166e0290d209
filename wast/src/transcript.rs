//! [`Transcript`]: what every action of a script produced, so that a run in
//! another [`Mode`](super::Mode) can be checked against the uninterrupted
//! one, result by result, not just assertion by assertion.

use std::fmt;
use std::sync::Arc;

/// One action of a script and what it produced: a call's results (floats
/// with their bits) or its trap message, a global's value, an
/// instantiation's success or error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// 1-based line of the directive that performed it.
    pub line: usize,
    pub result: String,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.result)
    }
}

/// The actions of one run, optionally compared as they happen with those
/// of a reference run of the same script.
///
/// Invariant: actions are recorded in script order, so the i-th action of
/// two runs of one script is the same action if both runs performed the
/// same directives; a run that performs one action more or less than the
/// reference is out of step from there on, and every later action differs.
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    actions: Vec<Action>,
    reference: Option<Arc<[Action]>>,
}

impl Transcript {
    pub(crate) fn new(reference: Option<Arc<[Action]>>) -> Transcript {
        Transcript { actions: Vec::new(), reference }
    }

    /// Records that the directive at `line` produced `result`.
    pub(crate) fn record(&mut self, line: usize, result: String) {
        self.actions.push(Action { line, result });
    }

    /// How many actions were recorded so far.
    pub(crate) fn len(&self) -> usize {
        self.actions.len()
    }

    /// How the actions recorded since the first `from` differ from the
    /// reference's actions at the same positions (`None`: no reference, or
    /// no difference).
    pub(crate) fn differences_since(&self, from: usize) -> Option<String> {
        let reference = self.reference.as_ref()?;
        let differences: Vec<String> = self.actions[from..]
            .iter()
            .enumerate()
            .filter_map(|(i, action)| match reference.get(from + i) {
                Some(expected) if expected == action => None,
                Some(expected) => Some(format!("got {}, the uninterrupted run got {expected}", action.result)),
                None => Some(format!("got {}, the uninterrupted run had no such action", action.result)),
            })
            .collect();
        (!differences.is_empty()).then(|| differences.join("; "))
    }

    /// The actions of a reference run that this run never reached
    /// (`None`: no reference, or all were reached).
    pub(crate) fn missing(&self) -> Option<String> {
        let reference = self.reference.as_ref()?;
        let missing = reference.get(self.actions.len()..).filter(|rest| !rest.is_empty())?;
        Some(format!("{} action(s) of the uninterrupted run never happened, from {}", missing.len(), missing[0]))
    }

    pub(crate) fn into_actions(self) -> Vec<Action> {
        self.actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(line: usize, result: &str) -> Action {
        Action { line, result: result.into() }
    }

    #[test]
    fn differences_are_found_position_by_position() {
        let reference: Arc<[Action]> = vec![action(1, "ok"), action(2, "[(i32.const 1)]"), action(3, "trap: x")].into();
        let mut t = Transcript::new(Some(reference));
        t.record(1, "ok".into());
        assert_eq!(t.differences_since(0), None);
        t.record(2, "[(i32.const 2)]".into());
        let diff = t.differences_since(1).expect("differs");
        assert!(diff.contains("got [(i32.const 2)], the uninterrupted run got line 2: [(i32.const 1)]"), "{diff}");
        assert!(t.missing().expect("one missing").contains("line 3: trap: x"));
        t.record(3, "trap: x".into());
        assert_eq!(t.missing(), None);
        t.record(4, "extra".into());
        assert!(t.differences_since(3).expect("extra").contains("no such action"));
    }

    #[test]
    fn without_a_reference_nothing_differs() {
        let mut t = Transcript::new(None);
        t.record(1, "anything".into());
        assert_eq!(t.differences_since(0), None);
        assert_eq!(t.missing(), None);
        assert_eq!(t.len(), 1);
    }
}
