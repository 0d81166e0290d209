//! [`Subject`]: an instantiated module on one engine (or one way of running
//! calls on it), as the comparisons drive it, and [`Snapshot`], the state
//! its exports show.

use crate::plan::{Plan, PlannedCall};
use crate::value::{CallOutcome, Value};
use crate::Failure;
use std::collections::BTreeMap;

/// An instance the comparisons call into.
pub trait Subject {
    /// Makes one call of `plan` (its function named by [`Plan::funcs`]).
    /// `Err` only for what must never happen whatever the module does: an
    /// error that is neither a result nor a trap (an API error, a call
    /// lost while being saved, a panic of the harness).
    fn call(&mut self, plan: &Plan, call: &PlannedCall) -> Result<CallOutcome, Failure>;

    /// The current state of every exported global, memory and table.
    fn snapshot(&self) -> Snapshot;
}

/// What an instance's exports hold, keyed by export name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Values as [`Value::comparable`] (funcrefs by null-ness).
    pub globals: BTreeMap<String, Value>,
    /// Every byte.
    pub memories: BTreeMap<String, Vec<u8>>,
    /// Whether each element is null.
    pub tables: BTreeMap<String, Vec<bool>>,
}

impl Snapshot {
    /// `None` if equal, else what differs first (names `a` and `b` for the
    /// two sides).
    pub fn difference(&self, other: &Snapshot, a: &str, b: &str) -> Option<String> {
        let keys = |s: &Snapshot| {
            (s.globals.keys().cloned().collect::<Vec<_>>(), s.memories.keys().cloned().collect::<Vec<_>>())
        };
        if keys(self) != keys(other) || self.tables.keys().ne(other.tables.keys()) {
            return Some(format!("different exports: {a} {:?}, {b} {:?}", keys(self), keys(other)));
        }
        for (name, value) in &self.globals {
            let theirs = &other.globals[name];
            if value != theirs {
                return Some(format!("global `{name}`: {a} {value:?}, {b} {theirs:?}"));
            }
        }
        for (name, bytes) in &self.memories {
            let theirs = &other.memories[name];
            if bytes.len() != theirs.len() {
                return Some(format!("memory `{name}`: {a} {} bytes, {b} {} bytes", bytes.len(), theirs.len()));
            }
            if let Some(at) = bytes.iter().zip(theirs).position(|(x, y)| x != y) {
                return Some(format!("memory `{name}` at {at:#x}: {a} {:#04x}, {b} {:#04x}", bytes[at], theirs[at]));
            }
        }
        for (name, nulls) in &self.tables {
            let theirs = &other.tables[name];
            if nulls != theirs {
                return Some(format!("table `{name}` (null elements): {a} {nulls:?}, {b} {theirs:?}"));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_named() {
        let mut a = Snapshot::default();
        a.memories.insert("m".into(), vec![0, 1, 2]);
        a.globals.insert("g".into(), Value::I32(1));
        let mut b = a.clone();
        assert_eq!(a.difference(&b, "x", "y"), None);
        b.memories.insert("m".into(), vec![0, 1, 3]);
        assert_eq!(a.difference(&b, "x", "y").as_deref(), Some("memory `m` at 0x2: x 0x02, y 0x03"));
        b.globals.insert("g".into(), Value::I32(2));
        assert!(a.difference(&b, "x", "y").is_some_and(|d| d.starts_with("global `g`")));
    }
}
