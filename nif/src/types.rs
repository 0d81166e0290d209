//! Descriptions of imports and exports as terms:
//!
//! - `{function, [Param], [Result]}`, each a type atom (`i32`, `i64`,
//!   `f32`, `f64`, `funcref`, `externref`, `exnref`);
//! - `{memory, #{min => Pages, max => Pages | infinity}}`;
//! - `{table, #{element => Type, min => N, max => N | infinity}}`;
//!   both with `index => i64` when indexed by 64-bit numbers (memory64);
//! - `{global, #{type => Type, mutable => boolean()}}`;
//! - `{tag, [Param]}`: an exception tag, whose exceptions carry values of
//!   the types `[Param]`.

use crate::atoms;
use crate::values::type_atom;
use rustler::{Atom, Encoder, Env, Term};
use wasmbeam_runtime::{ExternType, Limits, ValType};

pub fn extern_type<'a>(env: Env<'a>, ty: &ExternType) -> Term<'a> {
    match ty {
        ExternType::Func(f) => (atoms::function(), types(&f.params), types(&f.results)).encode(env),
        ExternType::Memory(m) => {
            let mut pairs = limits(env, m.limits);
            index_type(env, m.memory64, &mut pairs);
            (atoms::memory(), map(env, pairs)).encode(env)
        }
        ExternType::Table(t) => {
            let mut pairs = limits(env, t.limits);
            index_type(env, t.table64, &mut pairs);
            pairs.push((atoms::element(), type_atom(t.element).encode(env)));
            (atoms::table(), map(env, pairs)).encode(env)
        }
        ExternType::Global(g) => {
            let pairs =
                vec![(atoms::type_(), type_atom(g.content).encode(env)), (atoms::mutable(), g.mutable.encode(env))];
            (atoms::global(), map(env, pairs)).encode(env)
        }
        ExternType::Tag(t) => (atoms::tag(), types(&t.params)).encode(env),
    }
}

/// `index => i64` for a 64-bit memory or table (absent for 32-bit ones).
fn index_type<'a>(env: Env<'a>, is64: bool, pairs: &mut Vec<(Atom, Term<'a>)>) {
    if is64 {
        pairs.push((atoms::index(), atoms::i64().encode(env)));
    }
}

fn types(list: &[ValType]) -> Vec<Atom> {
    list.iter().map(|t| type_atom(*t)).collect()
}

fn limits<'a>(env: Env<'a>, limits: Limits) -> Vec<(Atom, Term<'a>)> {
    let max = match limits.max {
        Some(max) => max.encode(env),
        None => atoms::infinity().encode(env),
    };
    vec![(atoms::min(), limits.min.encode(env)), (atoms::max(), max)]
}

fn map<'a>(env: Env<'a>, pairs: Vec<(Atom, Term<'a>)>) -> Term<'a> {
    // Keys are distinct atoms, so building the map cannot fail.
    Term::map_from_pairs(env, &pairs).unwrap_or_else(|_| atoms::error().encode(env))
}
