//! WebAssembly exceptions as terms.
//!
//! An exception that no WebAssembly handler caught ends the call with
//! `{error, {exception, #{tag => Tag, payload => [Value]}}}` (see
//! `Failure::Exception`). `Tag` is the tag's export name, a binary, when
//! the instance exports the tag, and otherwise an opaque reference to it
//! (a [`TagRes`]), meaningful only to the same instance.
//!
//! A host fun throws an exception into the WebAssembly code that called
//! it by answering `{exception, #{tag => Tag, payload => [Value]}}` instead
//! of a list of results (see `call.rs`): `Tag` is an export name (binary or
//! atom) of one of the calling instance's tags, or the reference of an
//! exception received earlier, so an exception a nested call returned can
//! be thrown on unchanged.

use crate::atoms;
use crate::error::{bad_argument, Failure};
use crate::instance::{with_name, InstanceState};
use crate::values::{decode_list, encode_list};
use rustler::types::tuple::get_tuple;
use rustler::{Atom, Encoder, Env, Resource, ResourceArc, Term, TermType};
use wasmbeam_runtime::{Error, Exception, Extern, Tag, Val};

/// A tag the instance does not export, handed to Erlang in an exception.
pub struct TagRes {
    tag: Tag,
}

#[rustler::resource_impl]
impl Resource for TagRes {}

/// The failure for `error`, a runtime error of a call on `st`'s store: an
/// exception's tag is named by its export name, if it has one.
pub fn failure(st: &InstanceState, error: Error) -> Failure {
    match error {
        Error::Exception(exception) => {
            let name = export_name(st, exception.tag);
            Failure::Exception { exception, name }
        }
        other => Failure::from(other),
    }
}

/// The first export name of `tag` in the instance, if it exports it.
fn export_name(st: &InstanceState, tag: Tag) -> Option<String> {
    st.instance.exports(&st.store).find_map(|(name, item)| (item.into_tag() == Some(tag)).then(|| name.to_owned()))
}

/// `#{tag => Tag, payload => [Value]}`.
pub fn encode<'a>(env: Env<'a>, exception: &Exception, name: Option<&str>) -> Term<'a> {
    let tag = match name {
        Some(name) => name.encode(env),
        None => ResourceArc::new(TagRes { tag: exception.tag }).encode(env),
    };
    let pairs = [(atoms::tag().encode(env), tag), (atoms::payload().encode(env), encode_list(env, &exception.payload))];
    // Keys are distinct atoms, so building the map cannot fail.
    Term::map_from_pairs(env, &pairs).unwrap_or_else(|_| atoms::error().encode(env))
}

/// The map of a host fun's answer `{exception, Map}`, or `None` if the
/// answer is something else (results, to decode as such).
pub fn thrown(answer: Term) -> Option<Term> {
    let tuple = get_tuple(answer).ok()?;
    match tuple[..] {
        [first, map] if first.decode::<Atom>().is_ok_and(|a| a == atoms::exception()) => Some(map),
        _ => None,
    }
}

/// Decodes the exception a host fun throws, `#{tag => Tag, payload =>
/// [Value]}`, for the instance of `st`. Errors are bad arguments (the
/// caller reports them as the host fun's bad results).
pub fn decode(st: &InstanceState, map: Term) -> Result<Exception, Failure> {
    let shape = || bad_argument("an exception must be a map #{tag => Tag, payload => [Value]}");
    let tag_term = map.map_get(atoms::tag().encode(map.get_env())).map_err(|_| shape())?;
    let payload = map.map_get(atoms::payload().encode(map.get_env())).map_err(|_| shape())?;
    let tag = if let Ok(res) = tag_term.decode::<ResourceArc<TagRes>>() {
        res.tag
    } else if matches!(tag_term.get_type(), TermType::Binary | TermType::Atom) {
        with_name(tag_term, |name| {
            st.instance
                .get_export(&st.store, name)
                .and_then(Extern::into_tag)
                .ok_or_else(|| bad_argument(format!("the instance exports no tag named `{name}`")))
        })?
    } else {
        return Err(bad_argument("an exception's tag must be an export name (a binary or atom) or a tag reference"));
    };
    let ty = tag.ty(&st.store).map_err(|e| match e {
        Error::BadArgument(_) => bad_argument("the exception's tag belongs to another instance"),
        other => Failure::from(other),
    })?;
    let payload: Vec<Val> = decode_list(payload, &ty.params, "payload value")?;
    Ok(Exception::new(tag, payload))
}
