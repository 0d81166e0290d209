//! [`TrapCode`]: why compiled code stopped with
//! [`STATE_TRAPPING`](crate::vm::STATE_TRAPPING), and the one table that
//! names each code for every layer above: its number in
//! [`ExecCtx::trap_code`](crate::vm::ExecCtx::trap_code), the message the
//! WebAssembly specification's tests expect, and the snake_case name the
//! BEAM binding uses as the code's atom (`{trap, Name}`), which the Erlang
//! and Elixir APIs describe with the same message.

/// Defines [`TrapCode`] and its table from one list of
/// `Variant = number, "name", "message";` entries, so that a code, its
/// number, name and message cannot drift apart.
macro_rules! trap_codes {
    ($($(#[$doc:meta])* $variant:ident = $number:literal, $name:literal, $message:literal;)+) => {
        /// Why compiled code stopped with `STATE_TRAPPING`. The `Display`
        /// text is [`TrapCode::message`].
        #[repr(u32)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum TrapCode {
            $($(#[$doc])* $variant = $number,)+
        }

        impl TrapCode {
            /// Every code, in the order of their numbers.
            pub const ALL: &'static [TrapCode] = &[$(TrapCode::$variant),+];

            /// The code stored as `number` in `ExecCtx::trap_code`, if any
            /// (see [`EMBEDDER_STOP`](crate::vm::EMBEDDER_STOP) for the one
            /// number that is no code).
            pub fn from_u32(number: u32) -> Option<TrapCode> {
                match number {
                    $($number => Some(TrapCode::$variant),)+
                    _ => None,
                }
            }

            /// The code's name, snake_case: the atom the BEAM binding
            /// reports it as (`{trap, call_stack_exhausted}`).
            pub fn name(self) -> &'static str {
                match self {
                    $(TrapCode::$variant => $name,)+
                }
            }

            /// What the code means, as the WebAssembly specification's
            /// tests word it for the traps they define.
            pub fn message(self) -> &'static str {
                match self {
                    $(TrapCode::$variant => $message,)+
                }
            }
        }
    };
}

trap_codes! {
    /// The native stack limit, or the continuation buffer's limit, was
    /// reached (deep recursion).
    StackOverflow = 1, "call_stack_exhausted", "call stack exhausted";
    MemoryOutOfBounds = 2, "out_of_bounds_memory_access", "out of bounds memory access";
    TableOutOfBounds = 3, "out_of_bounds_table_access", "out of bounds table access";
    /// `call_indirect` found a null element.
    IndirectCallToNull = 4, "uninitialized_element", "uninitialized element";
    /// `call_indirect` with an index past the table's end.
    UndefinedElement = 5, "undefined_element", "undefined element";
    BadSignature = 6, "indirect_call_type_mismatch", "indirect call type mismatch";
    IntegerOverflow = 7, "integer_overflow", "integer overflow";
    IntegerDivisionByZero = 8, "integer_divide_by_zero", "integer divide by zero";
    BadConversionToInteger = 9, "invalid_conversion_to_integer", "invalid conversion to integer";
    Unreachable = 10, "unreachable", "unreachable";
    /// A host function failed; the embedder keeps the details.
    HostError = 11, "host_error", "host function error";
    /// The call's total fuel is used up.
    OutOfFuel = 12, "out_of_fuel", "all fuel consumed";
    /// `throw_ref` of a null `exnref`.
    NullExceptionReference = 13, "null_exception_reference", "null exception reference";
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference = 14, "null_function_reference", "null function reference";
    /// `ref.as_non_null` of a null reference.
    NullReference = 15, "null_reference", "null reference";
}

impl TrapCode {
    /// Whether [`ExecCtx::trap_detail`](crate::vm::ExecCtx::trap_detail)
    /// holds a table index for this code.
    pub fn has_detail(self) -> bool {
        matches!(self, TrapCode::UndefinedElement | TrapCode::IndirectCallToNull)
    }
}

impl std::fmt::Display for TrapCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_messages_are_unique_and_round_trip() {
        let mut names = std::collections::HashSet::new();
        let mut messages = std::collections::HashSet::new();
        for (i, code) in TrapCode::ALL.iter().enumerate() {
            assert_eq!(*code as u32, i as u32 + 1, "numbered from 1 without gaps");
            assert_eq!(TrapCode::from_u32(*code as u32), Some(*code));
            assert!(names.insert(code.name()), "{code:?}");
            assert!(messages.insert(code.message()), "{code:?}");
            assert!(code.name().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code:?}");
        }
        assert_eq!(TrapCode::from_u32(crate::vm::EMBEDDER_STOP), None);
        assert_eq!(TrapCode::from_u32(TrapCode::ALL.len() as u32 + 1), None);
    }
}
