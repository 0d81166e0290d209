//! Arithmetic whose Wasm semantics need explicit checks: integer division
//! and remainder, and trapping float-to-integer conversions. Each check
//! branches to a trap block, so no instruction can fault in hardware.

use super::env::FuncEnv;
use crate::vm::TrapCode;
use cranelift_codegen::ir::{condcodes::FloatCC, condcodes::IntCC, types, InstBuilder, Type, Value};
use cranelift_frontend::FunctionBuilder;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DivKind {
    DivS,
    DivU,
    RemS,
    RemU,
}

/// `lhs / rhs` or `lhs % rhs` as Wasm defines them: trap on a zero divisor,
/// trap on signed overflow of division, and `INT_MIN % -1 == 0`.
pub fn div(env: &mut FuncEnv<'_>, b: &mut FunctionBuilder<'_>, kind: DivKind, lhs: Value, rhs: Value) -> Value {
    let ty = b.func.dfg.value_type(lhs);
    let zero = b.ins().icmp_imm_s(IntCC::Equal, rhs, 0);
    env.trap_if(b, zero, TrapCode::IntegerDivisionByZero);
    match kind {
        DivKind::DivU => b.ins().udiv(lhs, rhs),
        DivKind::RemU => b.ins().urem(lhs, rhs),
        DivKind::DivS => {
            let min = if ty == types::I32 { i32::MIN as i64 } else { i64::MIN };
            let lhs_min = b.ins().icmp_imm_s(IntCC::Equal, lhs, min);
            let rhs_minus_one = b.ins().icmp_imm_s(IntCC::Equal, rhs, -1);
            let overflow = b.ins().band(lhs_min, rhs_minus_one);
            env.trap_if(b, overflow, TrapCode::IntegerOverflow);
            b.ins().sdiv(lhs, rhs)
        }
        DivKind::RemS => {
            // x % -1 == x % 1 == 0; dividing by 1 instead avoids the
            // overflowing INT_MIN / -1 inside the remainder instruction.
            let rhs_minus_one = b.ins().icmp_imm_s(IntCC::Equal, rhs, -1);
            let one = b.ins().iconst(ty, 1);
            let safe_rhs = b.ins().select(rhs_minus_one, one, rhs);
            b.ins().srem(lhs, safe_rhs)
        }
    }
}

/// A trapping `iNN.trunc_fMM_{s,u}`: NaN traps as an invalid conversion,
/// a value whose truncation does not fit traps as overflow; what remains is
/// converted with the saturating instruction, which cannot fault.
pub fn trunc(env: &mut FuncEnv<'_>, b: &mut FunctionBuilder<'_>, to: Type, signed: bool, x: Value) -> Value {
    let from = b.func.dfg.value_type(x);
    let is_nan = b.ins().fcmp(FloatCC::Unordered, x, x);
    env.trap_if(b, is_nan, TrapCode::BadConversionToInteger);

    let bits = to.bits() as i32;
    // Valid inputs are those with `lower < x < upper` (or `lower <= x` where
    // `lower` itself truncates to a representable value).
    let (lower, lower_inclusive, upper) = if signed {
        let min = -(2f64.powi(bits - 1));
        if from == types::F64 && bits == 32 {
            // f64 can represent values in (min - 1, min) that truncate to min.
            (min - 1.0, false, -min)
        } else {
            // Below min, the next representable float truncates out of range.
            (min, true, -min)
        }
    } else {
        (-1.0, false, 2f64.powi(bits))
    };
    let (lower, upper) = if from == types::F32 {
        (b.ins().f32const(lower as f32), b.ins().f32const(upper as f32))
    } else {
        (b.ins().f64const(lower), b.ins().f64const(upper))
    };
    let too_small = if lower_inclusive {
        b.ins().fcmp(FloatCC::LessThan, x, lower)
    } else {
        b.ins().fcmp(FloatCC::LessThanOrEqual, x, lower)
    };
    let too_large = b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, upper);
    let overflow = b.ins().bor(too_small, too_large);
    env.trap_if(b, overflow, TrapCode::IntegerOverflow);
    if signed {
        b.ins().fcvt_to_sint_sat(to, x)
    } else {
        b.ins().fcvt_to_uint_sat(to, x)
    }
}
