//! [`Tag`]: exception tags (exception handling).

use crate::error::Error;
use crate::store::{Store, Stored};
use std::sync::Arc;
use wasmbeam_jit::vm::VMTag;
use wasmbeam_jit::FuncType;

/// An exception tag in a [`Store`]: what a `catch` clause matches
/// exceptions by. Two tags are the same tag only if they are the same
/// definition (an imported tag is its exporter's), whatever their types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag(pub(crate) Stored);

/// A tag's state. `vm` is its identity for compiled code (vmctx words
/// point at it); `ty`'s parameters are the payload of its exceptions.
pub(crate) struct TagData {
    pub(crate) vm: VMTag,
    pub(crate) ty: Arc<FuncType>,
}

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameters.
    /// Errors ([`Error::BadArgument`]): `ty` has results (a tag's type
    /// has none).
    pub fn new(store: &mut Store, ty: FuncType) -> Result<Tag, Error> {
        if !ty.results.is_empty() {
            return Err(Error::BadArgument(format!("a tag's type has no results: {ty}")));
        }
        let type_id = store.engine().type_id(&ty);
        store.push_tag(|h| TagData { vm: VMTag { type_id, embedder_index: h.0.index }, ty: Arc::new(ty) })
    }

    /// The tag's type (its payload is the parameters). Errors
    /// ([`Error::BadArgument`]): a handle of another store.
    pub fn ty(&self, store: &Store) -> Result<FuncType, Error> {
        Ok((*store.tag(*self)?.ty).clone())
    }
}
