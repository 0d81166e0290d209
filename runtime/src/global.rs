//! [`Global`]: global variables.

use crate::error::Error;
use crate::store::{Store, Stored};
use crate::values::RawVal;
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
    /// A global holding `raw`: a value's raw form as a number (a `v128`'s
    /// 16 bytes, or its one word in the low 64 bits).
    pub(crate) fn new(ty: GlobalType, raw: u128) -> GlobalData {
        GlobalData { vm: VMGlobal { bits: raw as u64, high: (raw >> 64) as u64 }, ty }
    }

    /// The value's raw form as a number (see [`GlobalData::new`]).
    pub(crate) fn raw(&self) -> u128 {
        u128::from(self.vm.bits) | u128::from(self.vm.high) << 64
    }

    fn set_raw(&mut self, raw: RawVal) {
        let words = raw.as_slice();
        self.vm.bits = words[0];
        self.vm.high = words.get(1).copied().unwrap_or(0);
    }
}

impl Global {
    /// A new global of type `ty` holding `val`. Errors
    /// ([`Error::BadArgument`]): `val` not of `ty.content`, or from another
    /// store.
    pub fn new(store: &mut Store, ty: GlobalType, val: Val) -> Result<Global, Error> {
        check_type(store, ty.content, val)?;
        let raw = val.to_raw(store)?;
        store.push_global(|_| {
            let mut data = GlobalData::new(ty, 0);
            data.set_raw(raw);
            data
        })
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
        Ok(unsafe { Val::from_raw(&[g.vm.bits, g.vm.high], g.ty.content, store.id()) })
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
        store.global_mut(*self)?.set_raw(raw);
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
