//! [`Plan`]: which exported functions to call, in which order, with which
//! arguments. Made once per input from the fuzzer's bytes and the module's
//! exports, then executed the same way on every engine.

use crate::value::Value;
use arbitrary::Unstructured;
use wasmbeam::ValType;

/// An exported function's name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFunc {
    pub name: String,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// One call of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCall {
    /// Index into [`Plan::funcs`].
    pub func: usize,
    pub args: Vec<Value>,
}

/// The calls to make on one instance. Non-null `funcref` arguments are
/// indices into `funcs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub funcs: Vec<ExportedFunc>,
    pub calls: Vec<PlannedCall>,
}

/// At most this many calls per instance.
pub const MAX_CALLS: usize = 24;

impl Plan {
    /// Every exported function in export order, each called one to three
    /// times (as `u` decides; once when `u` is used up), at most
    /// [`MAX_CALLS`] calls in all.
    pub fn new(funcs: Vec<ExportedFunc>, u: &mut Unstructured<'_>) -> Plan {
        let mut calls = Vec::new();
        'funcs: for (index, func) in funcs.iter().enumerate() {
            let times = u.int_in_range(1..=3u8).unwrap_or(1);
            for _ in 0..times {
                if calls.len() == MAX_CALLS {
                    break 'funcs;
                }
                let args = func.params.iter().map(|kind| argument(*kind, funcs.len(), u)).collect();
                calls.push(PlannedCall { func: index, args });
            }
        }
        Plan { funcs, calls }
    }
}

/// An argument of type `kind`: often an edge value, otherwise arbitrary
/// bits (NaN payloads included). When `u` is used up: zero, the first
/// exported function, or the externref of payload 0.
fn argument(kind: ValType, funcs: usize, u: &mut Unstructured<'_>) -> Value {
    let special = u.ratio(1u8, 2).unwrap_or(false);
    let pick = |u: &mut Unstructured<'_>, n: usize| u.choose_index(n).unwrap_or(0);
    match kind {
        ValType::I32 if special => Value::I32([0, 1, -1, i32::MIN, i32::MAX, 0x10000, 65535][pick(u, 7)]),
        ValType::I32 => Value::I32(u.arbitrary().unwrap_or(0)),
        ValType::I64 if special => Value::I64([0, 1, -1, i64::MIN, i64::MAX, 1 << 32][pick(u, 6)]),
        ValType::I64 => Value::I64(u.arbitrary().unwrap_or(0)),
        ValType::F32 if special => {
            let f = [0.0, -0.0, 1.0, -1.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 2147483648.0, -2147483904.0];
            Value::F32(f[pick(u, f.len())].to_bits())
        }
        ValType::F32 => Value::F32(u.arbitrary().unwrap_or(0)),
        ValType::F64 if special => {
            let f =
                [0.0, -0.0, 1.0, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 9.223_372_036_854_776e18, -1e300];
            Value::F64(f[pick(u, f.len())].to_bits())
        }
        ValType::F64 => Value::F64(u.arbitrary().unwrap_or(0)),
        ValType::V128 => Value::V128(u.arbitrary().unwrap_or(0)),
        ValType::FuncRef if special && funcs > 0 => Value::FuncRef(Some(pick(u, funcs) as u32)),
        ValType::FuncRef => Value::FuncRef(None),
        // Payloads below u64::MAX, which wasmbeam reserves.
        ValType::ExternRef if special => Value::ExternRef(Some(u.int_in_range(0..=1000u64).unwrap_or(0))),
        ValType::ExternRef => Value::ExternRef(None),
        // Only a null one can be made from outside.
        ValType::ExnRef => Value::ExnRef(false),
        // Typed references come with GC in wasm-smith, which the
        // generators leave off.
        ValType::Ref(_) => argument(kind.repr(), funcs, u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_called_even_without_bytes() {
        let f = |name: &str, params| ExportedFunc { name: name.into(), params, results: vec![] };
        let funcs = vec![f("a", vec![ValType::I32, ValType::FuncRef]), f("b", vec![])];
        let plan = Plan::new(funcs, &mut Unstructured::new(&[]));
        assert_eq!(plan.calls.len(), 2);
        assert_eq!(plan.calls[0].args, [Value::I32(0), Value::FuncRef(Some(0))]);
        assert_eq!(plan.calls[1].func, 1);
    }

    #[test]
    fn calls_are_capped() {
        let funcs = vec![ExportedFunc { name: "f".into(), params: vec![], results: vec![] }; 100];
        let plan = Plan::new(funcs, &mut Unstructured::new(&[0xff; 1000]));
        assert_eq!(plan.calls.len(), MAX_CALLS);
    }
}
