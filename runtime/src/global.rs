//! [`Global`]: global variables.

use crate::error::Error;
use crate::store::{Store, Stored};
use crate::values::Val;
use wasmbeam_jit::vm::VMGlobal;
use wasmbeam_jit::{GlobalType, ValType};

/// A global in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) Stored);

/// A global's state. Invariant: `vm.bits` holds a raw value of
/// `ty.content` belonging to the owning store (compiled code writes only
/// values of that type into it).
pub(crate) struct GlobalData {
    pub(crate) vm: VMGlobal,
    pub(crate) ty: GlobalType,
}

impl GlobalData {
    pub(crate) fn new(ty: GlobalType, raw: u64) -> GlobalData {
        GlobalData { vm: VMGlobal { bits: raw, _reserved: 0 }, ty }
    }
}

impl Global {
    /// A new global of type `ty` holding `val`. Errors
    /// ([`Error::BadArgument`]): `val` not of `ty.content`, or from another
    /// store.
    pub fn new(store: &mut Store, ty: GlobalType, val: Val) -> Result<Global, Error> {
        check_type(store, ty.content, val)?;
        let raw = val.to_raw(store)?;
        store.push_global(|_| GlobalData::new(ty, raw))
    }

    /// The global's type. Errors ([`Error::BadArgument`]): a handle of
    /// another store.
    pub fn ty(&self, store: &Store) -> Result<GlobalType, Error> {
        Ok(store.global(*self)?.ty)
    }

    /// The current value. Errors ([`Error::BadArgument`]): a handle of
    /// another store.
    pub fn get(&self, store: &Store) -> Result<Val, Error> {
        let g = store.global(*self)?;
        // SAFETY: the global holds a raw value of its content type made for
        // this store (type invariant of `GlobalData`).
        Ok(unsafe { Val::from_raw(g.vm.bits, g.ty.content, store.id()) })
    }

    /// Sets the value. Errors ([`Error::BadArgument`]): immutable global,
    /// wrong type, a value from another store.
    pub fn set(&self, store: &mut Store, val: Val) -> Result<(), Error> {
        let ty = store.global(*self)?.ty;
        if !ty.mutable {
            return Err(Error::BadArgument("cannot set an immutable global".into()));
        }
        check_type(store, ty.content, val)?;
        let raw = val.to_raw(store)?;
        store.global_mut(*self)?.vm.bits = raw;
        Ok(())
    }
}

fn check_type(store: &Store, expected: ValType, val: Val) -> Result<(), Error> {
    if val.matches(store, expected) {
        Ok(())
    } else {
        Err(Error::BadArgument(format!("a {} value cannot be stored in a global of type {expected}", val.ty())))
    }
}
