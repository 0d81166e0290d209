//! Script values: turning `(i32.const 1)`-style arguments into [`Val`]s and
//! checking results against expected patterns.
//!
//! Floats are compared by their bits, never with `==`: `-0.0` differs from
//! `0.0` and a NaN result must carry exactly the expected payload, except
//! where the script asks for a pattern:
//! - `nan:canonical`: the sign is free, the payload is exactly the quiet bit;
//! - `nan:arithmetic`: the sign is free, the quiet bit is set, the rest of
//!   the payload is free.

use std::fmt;
use wasmbeam_runtime::{ExternRef, Val, V128};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// Converts an argument written in a script to a value.
pub(crate) fn arg_to_val(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(core) = arg else {
        return Err("component-model arguments are not supported".into());
    };
    Ok(match core {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::RefNull(heap) => match null_kind(heap)? {
            RefKind::Func => Val::FuncRef(None),
            RefKind::Extern => Val::ExternRef(None),
            RefKind::Exn => Val::ExnRef(None),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(extern_ref(*n))),
        WastArgCore::V128(v) => Val::V128(V128::from_bytes(v.to_le_bytes())),
        WastArgCore::RefHost(_) => return Err("ref.host arguments are not supported (no GC)".into()),
    })
}

/// The externref a script means by `ref.extern n`.
pub(crate) fn extern_ref(n: u32) -> ExternRef {
    // Invariant: only u64::MAX is reserved and a u32 never reaches it.
    ExternRef::new(u64::from(n)).expect("u32 payloads are always valid externrefs")
}

/// Checks `actual` against the expected results of an `assert_return`.
/// `Err` carries a message naming every mismatch.
pub(crate) fn check_results(expected: &[WastRet<'_>], actual: &[Val]) -> Result<(), String> {
    if expected.len() != actual.len() {
        return Err(format!(
            "expected {} result(s) {}, got {} result(s) {}",
            expected.len(),
            list(expected.iter().map(ExpectedDisplay)),
            actual.len(),
            list(actual.iter().map(ValDisplay)),
        ));
    }
    let mut mismatches = Vec::new();
    for (i, (want, got)) in expected.iter().zip(actual).enumerate() {
        let ok = match want {
            WastRet::Core(core) => matches(core, got)?,
            _ => return Err("component-model results are not supported".into()),
        };
        if !ok {
            mismatches.push(format!("result {i}: expected {}, got {}", ExpectedDisplay(want), ValDisplay(got)));
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(mismatches.join("; "))
    }
}

/// Whether `got` satisfies the pattern `want`. `Err` for patterns of
/// proposals wasmbeam does not implement (SIMD, GC).
fn matches(want: &WastRetCore<'_>, got: &Val) -> Result<bool, String> {
    Ok(match (want, got) {
        (WastRetCore::I32(w), Val::I32(g)) => w == g,
        (WastRetCore::I64(w), Val::I64(g)) => w == g,
        (WastRetCore::F32(w), Val::F32(g)) => f32_matches(w, *g),
        (WastRetCore::F64(w), Val::F64(g)) => f64_matches(w, *g),
        (WastRetCore::V128(w), Val::V128(g)) => v128_matches(w, *g),
        (WastRetCore::RefNull(heap), Val::FuncRef(None)) => match heap {
            None => true,
            Some(heap) => null_kind(heap)? == RefKind::Func,
        },
        (WastRetCore::RefNull(heap), Val::ExternRef(None)) => match heap {
            None => true,
            Some(heap) => null_kind(heap)? == RefKind::Extern,
        },
        (WastRetCore::RefNull(heap), Val::ExnRef(None)) => match heap {
            None => true,
            Some(heap) => null_kind(heap)? == RefKind::Exn,
        },
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => r.payload() == u64::from(*n),
        // Which function a non-null funcref denotes cannot be observed from
        // outside; the 2.0 suite only ever asks for "some function".
        (WastRetCore::RefFunc(None), Val::FuncRef(Some(_))) => true,
        (WastRetCore::RefFunc(Some(_)), Val::FuncRef(Some(_))) => {
            return Err("`ref.func <index>` results cannot be checked by identity".into())
        }
        (WastRetCore::Either(options), got) => {
            for option in options {
                if matches(option, got)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => return Err(format!("unsupported result pattern {}", CoreDisplay(want))),
        // Everything else is a well-formed expectation of another type.
        _ => false,
    })
}

fn f32_matches(want: &NanPattern<wast::token::F32>, got: u32) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => got & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(w) => w.bits == got,
    }
}

fn f64_matches(want: &NanPattern<wast::token::F64>, got: u64) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => got & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(w) => w.bits == got,
    }
}

/// A `v128` against a pattern lane by lane (float lanes by their bits or
/// NaN pattern, as scalars).
fn v128_matches(want: &V128Pattern, got: V128) -> bool {
    let bytes = got.to_bytes();
    let lanes =
        |size: usize| bytes.chunks_exact(size).map(|c| c.iter().rev().fold(0u64, |a, b| a << 8 | u64::from(*b)));
    match want {
        V128Pattern::I8x16(w) => w.iter().zip(lanes(1)).all(|(w, g)| *w as u8 as u64 == g),
        V128Pattern::I16x8(w) => w.iter().zip(lanes(2)).all(|(w, g)| *w as u16 as u64 == g),
        V128Pattern::I32x4(w) => w.iter().zip(lanes(4)).all(|(w, g)| *w as u32 as u64 == g),
        V128Pattern::I64x2(w) => w.iter().zip(lanes(8)).all(|(w, g)| *w as u64 == g),
        V128Pattern::F32x4(w) => w.iter().zip(lanes(4)).all(|(w, g)| f32_matches(w, g as u32)),
        V128Pattern::F64x2(w) => w.iter().zip(lanes(8)).all(|(w, g)| f64_matches(w, g)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    Func,
    Extern,
    Exn,
}

/// The reference type a `ref.null <heaptype>` denotes, for the 2.0 types.
fn null_kind(heap: &HeapType<'_>) -> Result<RefKind, String> {
    match heap {
        HeapType::Abstract { shared: false, ty: AbstractHeapType::Func | AbstractHeapType::NoFunc } => {
            Ok(RefKind::Func)
        }
        HeapType::Abstract { shared: false, ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern } => {
            Ok(RefKind::Extern)
        }
        HeapType::Abstract { shared: false, ty: AbstractHeapType::Exn | AbstractHeapType::NoExn } => Ok(RefKind::Exn),
        other => Err(format!("unsupported heap type {other:?}")),
    }
}

fn list<T: fmt::Display>(items: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = items.map(|v| v.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// Formats a value the way scripts write it, with the float's bits when
/// its decimal form would hide them (NaN payloads, signed zeros).
pub(crate) struct ValDisplay<'a>(pub &'a Val);

impl fmt::Display for ValDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Val::I32(v) => write!(f, "(i32.const {v})"),
            Val::I64(v) => write!(f, "(i64.const {v})"),
            Val::F32(bits) => write!(f, "(f32.const {:?} (bits {bits:#010x}))", f32::from_bits(*bits)),
            Val::F64(bits) => write!(f, "(f64.const {:?} (bits {bits:#018x}))", f64::from_bits(*bits)),
            Val::FuncRef(None) => f.write_str("(ref.null func)"),
            Val::FuncRef(Some(_)) => f.write_str("(ref.func)"),
            Val::ExternRef(None) => f.write_str("(ref.null extern)"),
            Val::ExternRef(Some(r)) => write!(f, "(ref.extern {})", r.payload()),
            Val::ExnRef(None) => f.write_str("(ref.null exn)"),
            Val::ExnRef(Some(_)) => f.write_str("(ref.exn)"),
            Val::V128(v) => {
                f.write_str("(v128.const i8x16")?;
                for b in v.to_bytes() {
                    write!(f, " {:#04x}", b)?;
                }
                f.write_str(")")
            }
        }
    }
}

struct ExpectedDisplay<'a, 'b>(&'a WastRet<'b>);

impl fmt::Display for ExpectedDisplay<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            WastRet::Core(core) => CoreDisplay(core).fmt(f),
            other => write!(f, "{other:?}"),
        }
    }
}

struct CoreDisplay<'a, 'b>(&'a WastRetCore<'b>);

impl fmt::Display for CoreDisplay<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn nan<T>(f: &mut fmt::Formatter<'_>, ty: &str, p: &NanPattern<T>, show: impl Fn(&T) -> String) -> fmt::Result {
            match p {
                NanPattern::CanonicalNan => write!(f, "({ty}.const nan:canonical)"),
                NanPattern::ArithmeticNan => write!(f, "({ty}.const nan:arithmetic)"),
                NanPattern::Value(v) => write!(f, "({ty}.const {})", show(v)),
            }
        }
        match self.0 {
            WastRetCore::I32(v) => write!(f, "(i32.const {v})"),
            WastRetCore::I64(v) => write!(f, "(i64.const {v})"),
            WastRetCore::F32(p) => {
                nan(f, "f32", p, |v| format!("{:?} (bits {:#010x})", f32::from_bits(v.bits), v.bits))
            }
            WastRetCore::F64(p) => {
                nan(f, "f64", p, |v| format!("{:?} (bits {:#018x})", f64::from_bits(v.bits), v.bits))
            }
            WastRetCore::RefNull(None) => f.write_str("(ref.null)"),
            WastRetCore::RefNull(Some(h)) => match null_kind(h) {
                Ok(RefKind::Func) => f.write_str("(ref.null func)"),
                Ok(RefKind::Extern) => f.write_str("(ref.null extern)"),
                Ok(RefKind::Exn) => f.write_str("(ref.null exn)"),
                Err(_) => write!(f, "(ref.null {h:?})"),
            },
            WastRetCore::RefExtern(None) => f.write_str("(ref.extern)"),
            WastRetCore::RefExtern(Some(n)) => write!(f, "(ref.extern {n})"),
            WastRetCore::RefFunc(_) => f.write_str("(ref.func)"),
            WastRetCore::Either(options) => {
                f.write_str("(either")?;
                for o in options {
                    write!(f, " {}", CoreDisplay(o))?;
                }
                f.write_str(")")
            }
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::token::{F32, F64};

    fn ret(core: WastRetCore<'static>) -> WastRet<'static> {
        WastRet::Core(core)
    }

    #[test]
    fn floats_compare_by_bits() {
        let neg_zero = ret(WastRetCore::F32(NanPattern::Value(F32 { bits: 0x8000_0000 })));
        assert!(check_results(std::slice::from_ref(&neg_zero), &[Val::F32(0x8000_0000)]).is_ok());
        assert!(check_results(&[neg_zero], &[Val::F32(0)]).is_err());
        let payload = ret(WastRetCore::F64(NanPattern::Value(F64 { bits: 0x7ff0_0000_0000_0001 })));
        assert!(check_results(std::slice::from_ref(&payload), &[Val::F64(0x7ff0_0000_0000_0001)]).is_ok());
        assert!(check_results(&[payload], &[Val::F64(0x7ff8_0000_0000_0000)]).is_err());
    }

    #[test]
    fn nan_patterns() {
        let canonical = [ret(WastRetCore::F32(NanPattern::CanonicalNan))];
        assert!(check_results(&canonical, &[Val::F32(0x7fc0_0000)]).is_ok());
        assert!(check_results(&canonical, &[Val::F32(0xffc0_0000)]).is_ok());
        assert!(check_results(&canonical, &[Val::F32(0x7fc0_0001)]).is_err());
        assert!(check_results(&canonical, &[Val::F32(0x7f80_0000)]).is_err()); // inf
        let arithmetic = [ret(WastRetCore::F64(NanPattern::ArithmeticNan))];
        assert!(check_results(&arithmetic, &[Val::F64(0xfff8_0000_0000_0001)]).is_ok());
        assert!(check_results(&arithmetic, &[Val::F64(0x7ff0_0000_0000_0001)]).is_err()); // signalling
        assert!(check_results(&arithmetic, &[Val::F32(0x7fc0_0000)]).is_err()); // wrong type
    }

    #[test]
    fn counts_and_types_must_match() {
        let one = [ret(WastRetCore::I32(1))];
        assert!(check_results(&one, &[Val::I32(1)]).is_ok());
        assert!(check_results(&one, &[Val::I64(1)]).is_err());
        assert!(check_results(&one, &[]).is_err());
        assert!(check_results(&[], &[Val::I32(1)]).is_err());
    }

    #[test]
    fn references() {
        let func = HeapType::Abstract { shared: false, ty: AbstractHeapType::Func };
        let null_func = [ret(WastRetCore::RefNull(Some(func)))];
        assert!(check_results(&null_func, &[Val::FuncRef(None)]).is_ok());
        assert!(check_results(&null_func, &[Val::ExternRef(None)]).is_err());
        let seven = [ret(WastRetCore::RefExtern(Some(7)))];
        assert!(check_results(&seven, &[Val::ExternRef(Some(extern_ref(7)))]).is_ok());
        assert!(check_results(&seven, &[Val::ExternRef(Some(extern_ref(8)))]).is_err());
        assert!(check_results(&seven, &[Val::ExternRef(None)]).is_err());
        let arg = WastArg::Core(WastArgCore::RefExtern(7));
        assert_eq!(arg_to_val(&arg), Ok(Val::ExternRef(Some(extern_ref(7)))));
    }
}
