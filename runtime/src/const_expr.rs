//! Evaluating constant expressions (global, table and segment initializers,
//! segment offsets) during instantiation.

use wasmbeam_jit::{Arith, ConstExpr, ConstOp};

/// What a constant expression can read, in raw form.
pub(crate) struct ConstEnv<'a> {
    /// Raw funcref of every function of the instance (the vmctx slots).
    pub(crate) funcrefs: &'a [u64],
    /// Current raw value of every global available so far (see
    /// `GlobalData::raw`).
    pub(crate) globals: &'a [u128],
}

/// The raw value of `expr`, or `None` if it refers to a function or global
/// that does not exist (yet); the validator rules that out for valid
/// modules.
pub(crate) fn eval(expr: &ConstExpr, env: &ConstEnv<'_>) -> Option<u64> {
    Some(match *expr {
        ConstExpr::I32(v) => v as u32 as u64,
        ConstExpr::I64(v) => v as u64,
        ConstExpr::F32(bits) => bits as u64,
        ConstExpr::F64(bits) => bits,
        ConstExpr::RefNull(_) => 0,
        ConstExpr::RefFunc(i) => *env.funcrefs.get(i as usize)?,
        ConstExpr::GlobalGet(i) => *env.globals.get(i as usize)? as u64,
        ConstExpr::V128(bits) => bits as u64,
        ConstExpr::Extended(ref ops) => eval_extended(ops, env)?,
    })
}

/// Runs an extended constant expression on a value stack; `None` for a
/// missing global or a stack that does not end with one value (neither
/// happens in a validated module).
fn eval_extended(ops: &[ConstOp], env: &ConstEnv<'_>) -> Option<u64> {
    let mut stack: Vec<u64> = Vec::with_capacity(4);
    for op in ops {
        let value = match *op {
            ConstOp::I32Const(v) => v as u32 as u64,
            ConstOp::I64Const(v) => v as u64,
            ConstOp::GlobalGet(i) => *env.globals.get(i as usize)? as u64,
            ConstOp::I32(arith) => {
                let (a, b) = (stack.pop()? as u32, stack.pop()? as u32);
                let v = match arith {
                    Arith::Add => b.wrapping_add(a),
                    Arith::Sub => b.wrapping_sub(a),
                    Arith::Mul => b.wrapping_mul(a),
                };
                v as u64
            }
            ConstOp::I64(arith) => {
                let (a, b) = (stack.pop()?, stack.pop()?);
                match arith {
                    Arith::Add => b.wrapping_add(a),
                    Arith::Sub => b.wrapping_sub(a),
                    Arith::Mul => b.wrapping_mul(a),
                }
            }
        };
        stack.push(value);
    }
    match stack[..] {
        [value] => Some(value),
        _ => None,
    }
}

/// A global's initial raw value (see `GlobalData::raw`): as [`eval`], but
/// all 128 bits of a `v128`.
pub(crate) fn eval_global(expr: &ConstExpr, env: &ConstEnv<'_>) -> Option<u128> {
    match *expr {
        ConstExpr::V128(bits) => Some(bits),
        ConstExpr::GlobalGet(i) => env.globals.get(i as usize).copied(),
        _ => eval(expr, env).map(u128::from),
    }
}

/// A segment offset: an `i32` constant expression read as unsigned.
pub(crate) fn eval_offset(expr: &ConstExpr, env: &ConstEnv<'_>) -> Option<u64> {
    eval(expr, env).map(|raw| raw as u32 as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmbeam_jit::ValType;

    #[test]
    fn evaluates_every_form() {
        let env = ConstEnv { funcrefs: &[0x1000, 0x2000], globals: &[7, 0xffff_ffff] };
        assert_eq!(eval(&ConstExpr::I32(-1), &env), Some(0xffff_ffff));
        assert_eq!(eval(&ConstExpr::I64(-1), &env), Some(u64::MAX));
        assert_eq!(eval(&ConstExpr::F32(0x3f80_0000), &env), Some(0x3f80_0000));
        assert_eq!(eval(&ConstExpr::RefNull(ValType::FuncRef), &env), Some(0));
        assert_eq!(eval(&ConstExpr::RefFunc(1), &env), Some(0x2000));
        assert_eq!(eval(&ConstExpr::RefFunc(2), &env), None);
        assert_eq!(eval(&ConstExpr::GlobalGet(0), &env), Some(7));
        assert_eq!(eval(&ConstExpr::GlobalGet(5), &env), None);
        // (i32.sub (i32.mul (global.get 0) (i32.const 3)) (i32.const 30)) = 7 * 3 - 30, wrapped
        let i32_ops = [ConstOp::GlobalGet(0), ConstOp::I32Const(3), ConstOp::I32(Arith::Mul)];
        let i32_ops = [&i32_ops[..], &[ConstOp::I32Const(30), ConstOp::I32(Arith::Sub)]].concat();
        assert_eq!(eval(&ConstExpr::Extended(i32_ops.into()), &env), Some((-9i32) as u32 as u64));
        // i64 arithmetic wraps at 64 bits.
        let i64_ops = [ConstOp::I64Const(i64::MAX), ConstOp::I64Const(2), ConstOp::I64(Arith::Add)];
        assert_eq!(eval(&ConstExpr::Extended(i64_ops.into()), &env), Some((i64::MIN + 1) as u64));
        // A missing global, or a stack left with two values, is no value.
        let missing = [ConstOp::GlobalGet(5), ConstOp::I32Const(1), ConstOp::I32(Arith::Add)];
        assert_eq!(eval(&ConstExpr::Extended(missing.into()), &env), None);
        let two = [ConstOp::I32Const(1), ConstOp::I32Const(1)];
        assert_eq!(eval(&ConstExpr::Extended(two.into()), &env), None);
        assert_eq!(eval_offset(&ConstExpr::GlobalGet(1), &env), Some(0xffff_ffff));
    }
}
