//! WebAssembly values as terms.
//!
//! | type      | term                                                         |
//! |-----------|--------------------------------------------------------------|
//! | i32, i64  | integer; arguments may also be given unsigned (up to 2^32-1, 2^64-1), results are signed |
//! | f32, f64  | float, or `infinity`, `neg_infinity`, `nan` (Erlang floats cannot hold those); arguments may be integers |
//! | v128      | a binary of 16 bytes, in memory order (lane 0 first, each lane little-endian) |
//! | funcref   | `null`, or `funcref` for a non-null result (not accepted as an argument) |
//! | externref | `null` or `{externref, Payload}` with Payload in 0..2^64-2   |
//! | exnref    | `null` or `{exnref, Ref}`, Ref an opaque reference to a caught exception of the instance (an [`ExnRefRes`]) |

use crate::atoms;
use crate::error::{bad_argument, Failure};
use rustler::types::tuple::get_tuple;
use rustler::{Atom, Binary, Encoder, Env, NewBinary, Resource, ResourceArc, Term};
use wasmbeam_runtime::{ExnRef, ExternRef, Val, ValType, V128};

/// A non-null `exnref` handed to Erlang: `{exnref, Ref}`. It may be given
/// back as an argument, a result or a global's value to the instance it
/// came from (the runtime refuses it for another store); the exception it
/// refers to lives as long as that instance.
pub struct ExnRefRes {
    exnref: ExnRef,
}

#[rustler::resource_impl]
impl Resource for ExnRefRes {}

/// The name of a value type, for messages and type descriptions: a typed
/// reference type is named by its representation (`funcref`, `externref`
/// or `exnref`, see `ValType::repr`), whose values it takes, the runtime
/// checking the rest (not null, of the function type).
pub fn type_atom(ty: ValType) -> Atom {
    match ty.repr() {
        ValType::I32 => atoms::i32(),
        ValType::I64 => atoms::i64(),
        ValType::F32 => atoms::f32(),
        ValType::F64 => atoms::f64(),
        ValType::V128 => atoms::v128(),
        ValType::FuncRef => atoms::funcref(),
        ValType::ExternRef => atoms::externref(),
        ValType::ExnRef | ValType::Ref(_) => atoms::exnref(),
    }
}

/// Decodes `list` as values of `types` (what = "argument" or "result", for
/// messages).
pub fn decode_list(list: Term, types: &[ValType], what: &str) -> Result<Vec<Val>, Failure> {
    let not_a_list = || bad_argument(format!("the {what}s must be a list"));
    let length = list.list_length().map_err(|_| not_a_list())?;
    if length != types.len() {
        return Err(bad_argument(format!("expected {} {what}s, got {length}", types.len())));
    }
    let mut values = Vec::with_capacity(length);
    let mut rest = list;
    for (i, ty) in types.iter().enumerate() {
        let (head, tail) = rest.list_get_cell().map_err(|_| not_a_list())?;
        values.push(decode(head, *ty, what, i)?);
        rest = tail;
    }
    Ok(values)
}

/// Decodes one value of type `ty`, the `index`-th (from 0) `what` (for the
/// message).
pub fn decode(term: Term, ty: ValType, what: &str, index: usize) -> Result<Val, Failure> {
    let wrong = || bad_argument(format!("{what} {} must be {}", index + 1, expected(ty)));
    match ty.repr() {
        ValType::I32 => {
            let n: i64 = term.decode().map_err(|_| wrong())?;
            if (i32::MIN as i64..=u32::MAX as i64).contains(&n) {
                Ok(Val::I32(n as i32))
            } else {
                Err(wrong())
            }
        }
        ValType::I64 => match term.decode::<i64>() {
            Ok(n) => Ok(Val::I64(n)),
            Err(_) => term.decode::<u64>().map(|n| Val::I64(n as i64)).map_err(|_| wrong()),
        },
        ValType::F32 => float(term).map(|x| Val::F32((x as f32).to_bits())).ok_or_else(wrong),
        ValType::F64 => float(term).map(|x| Val::F64(x.to_bits())).ok_or_else(wrong),
        ValType::V128 => term
            .decode::<Binary>()
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .map(|bytes| Val::V128(V128::from_bytes(bytes)))
            .ok_or_else(wrong),
        ValType::FuncRef if is_atom(term, atoms::null()) => Ok(Val::FuncRef(None)),
        ValType::ExternRef if is_atom(term, atoms::null()) => Ok(Val::ExternRef(None)),
        ValType::ExternRef => {
            let payload = get_tuple(term)
                .ok()
                .filter(|t| t.len() == 2 && is_atom(t[0], atoms::externref()))
                .and_then(|t| t[1].decode::<u64>().ok())
                .and_then(ExternRef::new)
                .ok_or_else(wrong)?;
            Ok(Val::ExternRef(Some(payload)))
        }
        ValType::ExnRef if is_atom(term, atoms::null()) => Ok(Val::ExnRef(None)),
        ValType::ExnRef => {
            let res = get_tuple(term)
                .ok()
                .filter(|t| t.len() == 2 && is_atom(t[0], atoms::exnref()))
                .and_then(|t| t[1].decode::<ResourceArc<ExnRefRes>>().ok())
                .ok_or_else(wrong)?;
            Ok(Val::ExnRef(Some(res.exnref)))
        }
        ValType::FuncRef | ValType::Ref(_) => Err(wrong()),
    }
}

fn expected(ty: ValType) -> &'static str {
    match ty.repr() {
        ValType::I32 => "an integer in -2^31..2^32-1 (i32)",
        ValType::I64 => "an integer in -2^63..2^64-1 (i64)",
        ValType::F32 => "a number, infinity, neg_infinity or nan (f32)",
        ValType::F64 => "a number, infinity, neg_infinity or nan (f64)",
        ValType::V128 => "a binary of 16 bytes (v128)",
        ValType::FuncRef => "null (funcref)",
        ValType::ExternRef => "null or {externref, Payload} (externref)",
        ValType::ExnRef | ValType::Ref(_) => "null or {exnref, Ref} (exnref)",
    }
}

fn is_atom(term: Term, atom: Atom) -> bool {
    term.decode::<Atom>().is_ok_and(|a| a == atom)
}

/// A float argument: a float, an integer, or one of the atoms for the
/// values Erlang floats cannot hold.
fn float(term: Term) -> Option<f64> {
    if let Ok(x) = term.decode::<f64>() {
        return Some(x);
    }
    if let Ok(n) = term.decode::<i64>() {
        return Some(n as f64);
    }
    let atom = term.decode::<Atom>().ok()?;
    if atom == atoms::infinity() {
        Some(f64::INFINITY)
    } else if atom == atoms::neg_infinity() {
        Some(f64::NEG_INFINITY)
    } else if atom == atoms::nan() {
        Some(f64::NAN)
    } else {
        None
    }
}

/// Encodes one value.
pub fn encode<'a>(env: Env<'a>, val: &Val) -> Term<'a> {
    match *val {
        Val::I32(n) => n.encode(env),
        Val::I64(n) => n.encode(env),
        Val::F32(bits) => encode_float(env, f32::from_bits(bits) as f64),
        Val::F64(bits) => encode_float(env, f64::from_bits(bits)),
        Val::V128(v) => encode_bytes(env, &v.to_bytes()),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => atoms::null().encode(env),
        Val::FuncRef(Some(_)) => atoms::funcref().encode(env),
        Val::ExternRef(Some(r)) => (atoms::externref(), r.payload()).encode(env),
        Val::ExnRef(Some(exnref)) => (atoms::exnref(), ResourceArc::new(ExnRefRes { exnref })).encode(env),
    }
}

/// A binary holding `bytes`.
fn encode_bytes<'a>(env: Env<'a>, bytes: &[u8]) -> Term<'a> {
    let mut binary = NewBinary::new(env, bytes.len());
    binary.as_mut_slice().copy_from_slice(bytes);
    Binary::from(binary).to_term(env)
}

fn encode_float(env: Env, x: f64) -> Term {
    if x.is_nan() {
        atoms::nan().encode(env)
    } else if x == f64::INFINITY {
        atoms::infinity().encode(env)
    } else if x == f64::NEG_INFINITY {
        atoms::neg_infinity().encode(env)
    } else {
        x.encode(env)
    }
}

/// Encodes a list of values (built from its end, with no buffer).
pub fn encode_list<'a>(env: Env<'a>, vals: &[Val]) -> Term<'a> {
    vals.iter().rev().fold(Term::list_new_empty(env), |tail, v| tail.list_prepend(encode(env, v)))
}
