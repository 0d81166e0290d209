//! [`Caller`]: what a host function gets to reach the store.

use crate::external::Extern;
use crate::instance::Instance;
use crate::store::Store;

/// The context of a host-function call.
pub struct Caller<'a> {
    pub(crate) store: &'a mut Store,
    pub(crate) instance: Option<Instance>,
}

impl Caller<'_> {
    /// The whole store, including to call back into WebAssembly. Such a
    /// nested [`crate::Func::call`] cannot suspend the call this host
    /// function runs in (a suspending host function reached from it traps),
    /// but a nested [`crate::Call`] can be stepped, suspend and be kept.
    pub fn store(&mut self) -> &mut Store {
        self.store
    }

    /// The instance through whose import the function was called: each
    /// instance importing a host function gets its own reference to it, so
    /// this is exact even when several instances import the same function.
    /// A funcref obtained from an instance (`ref.func`, a table) keeps that
    /// instance even if another instance calls it. `None` when the function
    /// was called from Rust, or through a funcref made from the `Func`
    /// handle itself (e.g. stored into a table with `Table::set`).
    pub fn instance(&self) -> Option<Instance> {
        self.instance
    }

    /// An export of [`Caller::instance`].
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        self.instance?.get_export(self.store, name)
    }
}
