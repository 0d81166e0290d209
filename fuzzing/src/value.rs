//! What a call produces, in a form both engines can report and compare:
//! [`Value`] (numbers by bits), [`TrapKind`] (the traps both engines name)
//! and [`CallOutcome`].

use std::fmt;

/// A WebAssembly value as the oracles compare it.
///
/// Floats are bit patterns, so `-0.0 != +0.0` and NaN payloads count
/// (wasm-smith canonicalizes the NaNs arithmetic produces). A `funcref`
/// argument names one of the instance's exported functions by its position
/// in [`crate::plan::Plan::funcs`]; a `funcref` *result* is only compared
/// for null-ness ([`Value::FuncRef`] with `Some(FUNC_UNKNOWN)`), because
/// the engines' function handles cannot be related to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    /// A `v128`'s 16 bytes, little-endian.
    V128(u128),
    FuncRef(Option<u32>),
    /// An `externref` by the payload the harness gave it.
    ExternRef(Option<u64>),
    /// An `exnref`: whether it is non-null (an exception's identity cannot
    /// be observed from outside).
    ExnRef(bool),
}

/// The non-null `funcref` of a result: some function, identity unknown.
pub const FUNC_UNKNOWN: u32 = u32::MAX;

impl Value {
    /// The value with a non-null `funcref` reduced to [`FUNC_UNKNOWN`]: what
    /// results are compared as.
    pub fn comparable(self) -> Value {
        match self {
            Value::FuncRef(Some(_)) => Value::FuncRef(Some(FUNC_UNKNOWN)),
            other => other,
        }
    }
}

/// Why a call (or an instantiation) stopped early, reduced to the kinds
/// both engines distinguish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapKind {
    Unreachable,
    IntegerOverflow,
    DivisionByZero,
    BadConversion,
    MemoryOutOfBounds,
    /// Out-of-bounds table access, including `call_indirect` with an index
    /// past the table's end ("undefined element").
    TableOutOfBounds,
    IndirectCallTypeMismatch,
    /// `call_indirect` through a null element ("uninitialized element").
    NullElement,
    OutOfFuel,
    /// Stack exhaustion. Where it happens is up to each engine, so it ends
    /// a comparison instead of being compared.
    StackExhausted,
    /// Anything else (an instantiation error that is not a trap, a host
    /// error): only "it failed" is compared, never the kind.
    Other(String),
}

impl TrapKind {
    /// Whether two traps agree: equal kinds, or one of them is
    /// [`TrapKind::Other`] (its kind is not defined by both engines).
    pub fn agrees_with(&self, other: &TrapKind) -> bool {
        matches!((self, other), (TrapKind::Other(_), _) | (_, TrapKind::Other(_))) || self == other
    }
}

/// How one call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    Returned(Vec<Value>),
    Trapped(TrapKind),
}

impl CallOutcome {
    /// Whether the call ran out of stack (which ends a comparison).
    pub fn is_exhausted(&self) -> bool {
        matches!(self, CallOutcome::Trapped(TrapKind::StackExhausted))
    }

    /// Whether two outcomes agree: the same results bit for bit (`funcref`
    /// results by null-ness), or traps that agree.
    pub fn agrees_with(&self, other: &CallOutcome) -> bool {
        match (self, other) {
            (CallOutcome::Returned(a), CallOutcome::Returned(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.comparable() == y.comparable())
            }
            (CallOutcome::Trapped(a), CallOutcome::Trapped(b)) => a.agrees_with(b),
            _ => false,
        }
    }
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallOutcome::Returned(values) => write!(f, "returned {values:?}"),
            CallOutcome::Trapped(kind) => write!(f, "trapped: {kind:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_agree_only_when_equal_or_undefined() {
        assert!(TrapKind::Unreachable.agrees_with(&TrapKind::Unreachable));
        assert!(!TrapKind::Unreachable.agrees_with(&TrapKind::MemoryOutOfBounds));
        assert!(TrapKind::Other("x".into()).agrees_with(&TrapKind::MemoryOutOfBounds));
    }

    #[test]
    fn results_compare_by_bits_and_funcrefs_by_nullness() {
        let r = |v: Vec<Value>| CallOutcome::Returned(v);
        assert!(!r(vec![Value::F32(0)]).agrees_with(&r(vec![Value::F32(0x8000_0000)])));
        assert!(r(vec![Value::FuncRef(Some(3))]).agrees_with(&r(vec![Value::FuncRef(Some(FUNC_UNKNOWN))])));
        assert!(!r(vec![Value::FuncRef(None)]).agrees_with(&r(vec![Value::FuncRef(Some(0))])));
        assert!(!r(vec![]).agrees_with(&CallOutcome::Trapped(TrapKind::Unreachable)));
    }
}
