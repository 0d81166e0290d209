//! Evaluating constant expressions (global, table and segment initializers,
//! segment offsets) during instantiation.

use wasmbeam_jit::ConstExpr;

/// What a constant expression can read, in raw form.
pub(crate) struct ConstEnv<'a> {
    /// Raw funcref of every function of the instance (the vmctx slots).
    pub(crate) funcrefs: &'a [u64],
    /// Current raw value of every global available so far.
    pub(crate) globals: &'a [u64],
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
        ConstExpr::GlobalGet(i) => *env.globals.get(i as usize)?,
    })
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
        assert_eq!(eval_offset(&ConstExpr::GlobalGet(1), &env), Some(0xffff_ffff));
    }
}
