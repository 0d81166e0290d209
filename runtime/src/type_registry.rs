//! [`TypeRegistry`]: engine-wide ids of function types.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use wasmbeam_jit::FuncType;

/// Gives every distinct [`FuncType`] an id, the same in every module of an
/// engine, so `call_indirect` compares signatures with one integer compare.
///
/// Invariant: `types[id]` is the type whose id is `id`, and `ids` is the
/// inverse map. Ids are never reused or removed.
#[derive(Default)]
pub(crate) struct TypeRegistry {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

impl TypeRegistry {
    /// The id of `ty`, registering it if it is new.
    pub(crate) fn intern(&self, ty: &FuncType) -> u32 {
        // The registry is consistent after every statement below (push, then
        // insert), so a panic elsewhere while locked leaves it usable.
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&id) = inner.ids.get(ty) {
            return id;
        }
        // Ids are dense indices into a Vec of heap-allocated types: memory
        // runs out long before 2^32 distinct types exist.
        let id = u32::try_from(inner.types.len()).expect("fewer than 2^32 function types");
        inner.types.push(ty.clone());
        inner.ids.insert(ty.clone(), id);
        id
    }

    /// The type registered as `id`.
    pub(crate) fn get(&self, id: u32) -> Option<FuncType> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.types.get(id as usize).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmbeam_jit::ValType;

    #[test]
    fn equal_types_share_an_id() {
        let registry = TypeRegistry::default();
        let a = registry.intern(&FuncType::new([ValType::I32], []));
        let b = registry.intern(&FuncType::new([], [ValType::I32]));
        let c = registry.intern(&FuncType::new([ValType::I32], []));
        assert_eq!(a, c);
        assert_ne!(a, b);
        assert_eq!(registry.get(b), Some(FuncType::new([], [ValType::I32])));
        assert_eq!(registry.get(99), None);
    }
}
