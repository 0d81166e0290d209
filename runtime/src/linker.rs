//! [`Linker`]: resolves imports by name.

use crate::error::Error;
use crate::external::Extern;
use crate::func::Func;
use crate::instance::Instance;
use crate::module::Module;
use crate::store::Store;
use std::collections::HashMap;

/// A map from `(module, name)` to external values, used to instantiate
/// modules. It holds only handles, so it is cheap to clone; the items must
/// belong to the store passed to [`Linker::instantiate`].
#[derive(Debug, Clone, Default)]
pub struct Linker {
    items: HashMap<String, HashMap<String, Extern>>,
}

impl Linker {
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Defines `module`.`name`; a later definition replaces an earlier one.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.items.entry(module.to_string()).or_default().insert(name.to_string(), item.into());
        self
    }

    /// Defines every export of `instance` under `module`. A handle of
    /// another store has no exports, so it defines nothing.
    pub fn define_instance(&mut self, store: &Store, module: &str, instance: Instance) -> &mut Self {
        for (name, item) in instance.exports(store) {
            self.define(module, name, item);
        }
        self
    }

    /// The item defined as `module`.`name`.
    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.items.get(module)?.get(name).copied()
    }

    /// Instantiates `module`, resolving each import by name, and runs its
    /// start function. Errors: "unknown import: `m` `n`" and
    /// "incompatible import type for `m` `n`: ..." ([`Error::Link`]), and
    /// everything [`Instance::new`] reports.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance, Error> {
        Instance::new(store, module, &self.resolve(module)?)
    }

    /// [`Linker::instantiate`] without running the start function, which
    /// is returned instead (see [`Instance::new_without_start`]).
    pub fn instantiate_without_start(
        &self,
        store: &mut Store,
        module: &Module,
    ) -> Result<(Instance, Option<Func>), Error> {
        Instance::new_without_start(store, module, &self.resolve(module)?)
    }

    /// The items for `module`'s imports, in its import order.
    fn resolve(&self, module: &Module) -> Result<Vec<Extern>, Error> {
        module
            .imports()
            .map(|(m, n, _)| self.get(m, n).ok_or_else(|| Error::Link(format!("unknown import: `{m}` `{n}`"))))
            .collect()
    }
}
