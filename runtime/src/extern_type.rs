//! [`ExternType`]: the type of an import or export, and import matching.

use std::fmt;
use wasmbeam_jit::{FuncType, GlobalType, Limits, MemoryType, TableType};

/// The type of an external value (function, table, memory or global).
/// For an existing table or memory, `limits.min` is its current size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    Func(FuncType),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    /// An exception tag; the type's parameters are its payload.
    Tag(FuncType),
}

impl ExternType {
    /// `"func"`, `"table"`, `"memory"` or `"global"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ExternType::Func(_) => "func",
            ExternType::Table(_) => "table",
            ExternType::Memory(_) => "memory",
            ExternType::Global(_) => "global",
            ExternType::Tag(_) => "tag",
        }
    }

    /// Whether an external value of type `actual` may be imported where
    /// `self` is declared (WebAssembly 2.0 import matching): functions and
    /// globals need equal types; tables need the same element type and
    /// memories and tables matching limits: the actual current size is at
    /// least the declared minimum, and if a maximum is declared the actual
    /// object has one no larger.
    pub fn accepts(&self, actual: &ExternType) -> bool {
        match (self, actual) {
            (ExternType::Func(expected), ExternType::Func(actual)) => expected == actual,
            // A mutable global's type must be the same; an immutable one's
            // may be a subtype (typed function references).
            (ExternType::Global(expected), ExternType::Global(actual)) => {
                expected.mutable == actual.mutable
                    && match expected.mutable {
                        true => expected.content == actual.content,
                        false => actual.content.is_subtype_of(expected.content),
                    }
            }
            (ExternType::Tag(expected), ExternType::Tag(actual)) => expected == actual,
            (ExternType::Table(expected), ExternType::Table(actual)) => {
                expected.element == actual.element
                    && expected.table64 == actual.table64
                    && limits_match(expected.limits, actual.limits)
            }
            (ExternType::Memory(expected), ExternType::Memory(actual)) => {
                expected.memory64 == actual.memory64 && limits_match(expected.limits, actual.limits)
            }
            _ => false,
        }
    }
}

/// Limits subtyping: the actual (current) size is at least the declared
/// minimum, and if a maximum is declared the actual object has one no
/// larger.
fn limits_match(expected: Limits, actual: Limits) -> bool {
    actual.min >= expected.min
        && match expected.max {
            None => true,
            Some(max) => matches!(actual.max, Some(actual_max) if actual_max <= max),
        }
}

struct ShowLimits(Limits);

impl fmt::Display for ShowLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.max {
            Some(max) => write!(f, "{} {}", self.0.min, max),
            None => write!(f, "{}", self.0.min),
        }
    }
}

/// Text-format-like: `(func (param i32) (result))`, `(table 1 10 funcref)`,
/// `(memory 1)`, `(global (mut i64))`.
impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(ty) => write!(f, "{ty}"),
            ExternType::Table(ty) => write!(f, "(table {} {})", ShowLimits(ty.limits), ty.element),
            ExternType::Memory(ty) => {
                write!(f, "(memory {}{})", if ty.memory64 { "i64 " } else { "" }, ShowLimits(ty.limits))
            }
            ExternType::Global(ty) if ty.mutable => write!(f, "(global (mut {}))", ty.content),
            ExternType::Global(ty) => write!(f, "(global {})", ty.content),
            ExternType::Tag(ty) => write!(f, "(tag {ty})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmbeam_jit::ValType;

    fn table(min: u64, max: Option<u64>) -> ExternType {
        ExternType::Table(TableType { element: ValType::FuncRef, limits: Limits { min, max }, table64: false })
    }

    #[test]
    fn limits_subtyping() {
        assert!(table(1, None).accepts(&table(1, None)));
        assert!(table(1, None).accepts(&table(2, Some(3))));
        assert!(!table(2, None).accepts(&table(1, None)));
        assert!(!table(1, Some(5)).accepts(&table(1, None)));
        assert!(table(1, Some(5)).accepts(&table(1, Some(5))));
        assert!(!table(1, Some(5)).accepts(&table(1, Some(6))));
        let externs = ExternType::Table(TableType {
            element: ValType::ExternRef,
            limits: Limits { min: 1, max: None },
            table64: false,
        });
        assert!(!table(1, None).accepts(&externs));
        assert!(!table(0, None)
            .accepts(&ExternType::Memory(MemoryType { limits: Limits { min: 0, max: None }, memory64: false })));
    }

    #[test]
    fn display() {
        assert_eq!(table(1, Some(2)).to_string(), "(table 1 2 funcref)");
        let g = ExternType::Global(GlobalType { content: ValType::I64, mutable: true });
        assert_eq!(g.to_string(), "(global (mut i64))");
    }
}
