//! [`Table`]: tables of references.

use crate::buffer::{checked_range, GrowBuf};
use crate::error::Error;
use crate::limits::StoreLimits;
use crate::store::{Store, Stored};
use crate::values::Val;
use wasmbeam_jit::vm::{RawRef, TrapCode, VMTable};
use wasmbeam_jit::{Limits, TableType};

/// The most elements a table can have: one less than a 32-bit table could,
/// so that `u32::MAX`, which compiled code passes to the table builtins for
/// any larger index or length of a 64-bit table, is out of bounds of every
/// table (and `u32::MAX` stays free to say that growth failed).
const MAX_ELEMENTS: u64 = u32::MAX as u64 - 1;

/// A table in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) Stored);

/// A table's state. Invariants: `vm.base`/`vm.length` always describe
/// `elements` exactly (refreshed after every growth); every element is a
/// raw reference of the table's element type belonging to the owning store;
/// the length never exceeds `max`.
pub(crate) struct TableData {
    pub(crate) vm: VMTable,
    elements: GrowBuf<RawRef>,
    /// As declared at creation.
    declared: TableType,
    /// The effective maximum: the declared one capped by the store's limit.
    max: u64,
}

impl TableData {
    /// A table of `ty.limits.min` elements set to `init` (raw). A minimum
    /// above the store's `max_table_elements` is an [`Error::Limit`]; a
    /// declared maximum above it only caps growth.
    pub(crate) fn new(ty: TableType, init: RawRef, limits: &StoreLimits) -> Result<TableData, Error> {
        let limit = limits.max_table_elements.min(MAX_ELEMENTS);
        let Limits { min, max } = ty.limits;
        if min > limit {
            return Err(Error::Limit(format!("table minimum of {min} elements exceeds the limit of {limit}")));
        }
        if max.is_some_and(|max| max < min) {
            return Err(Error::BadArgument(format!("table maximum {max:?} is below its minimum {min}")));
        }
        let mut data = TableData {
            vm: VMTable { base: std::ptr::NonNull::dangling().as_ptr(), length: 0 },
            elements: GrowBuf::new(),
            declared: ty,
            max: max.unwrap_or(MAX_ELEMENTS).min(limit),
        };
        // `min <= limit <= u32::MAX` fits in usize on the 64-bit hosts we support.
        let len = min as usize;
        if !data.elements.try_grow(len, nonzero(init), len) {
            return Err(Error::Limit(format!("cannot allocate a table of {min} elements")));
        }
        data.sync();
        Ok(data)
    }

    fn sync(&mut self) {
        self.vm.base = self.elements.as_ptr();
        self.vm.length = self.elements.len() as u64;
    }

    pub(crate) fn size(&self) -> u64 {
        self.elements.len() as u64
    }

    /// The declared type with the current size as minimum.
    pub(crate) fn ty(&self) -> TableType {
        TableType {
            element: self.declared.element,
            limits: Limits { min: self.size(), max: self.declared.limits.max },
            table64: self.declared.table64,
        }
    }

    pub(crate) fn get(&self, index: u64) -> Option<RawRef> {
        self.elements.as_slice().get(usize::try_from(index).ok()?).copied()
    }

    /// Sets one element; `false` if out of bounds.
    pub(crate) fn set(&mut self, index: u64, value: RawRef) -> bool {
        let Ok(index) = usize::try_from(index) else { return false };
        match self.elements.as_mut_slice().get_mut(index) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Grows by `delta` elements set to `init`, returning the old size, or
    /// `None` (and no change) past the maximum or if memory runs out.
    pub(crate) fn grow(&mut self, delta: u64, init: RawRef) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        // Amortize repeated small growths, within the maximum.
        let capacity = new.max(old.saturating_mul(2).min(self.max));
        let (new, capacity) = (usize::try_from(new).ok()?, usize::try_from(capacity).ok()?);
        if !self.elements.try_grow(new, nonzero(init), capacity) {
            return None;
        }
        self.sync();
        Some(old)
    }

    /// `table.fill`.
    pub(crate) fn fill(&mut self, dst: u64, value: RawRef, len: u64) -> Result<(), TrapCode> {
        let range = checked_range(dst, len, self.elements.len()).ok_or(TrapCode::TableOutOfBounds)?;
        self.elements.as_mut_slice()[range].fill(value);
        Ok(())
    }

    /// `table.copy` within this table (overlapping ranges allowed).
    pub(crate) fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> Result<(), TrapCode> {
        let size = self.elements.len();
        let src = checked_range(src, len, size).ok_or(TrapCode::TableOutOfBounds)?;
        let dst = checked_range(dst, len, size).ok_or(TrapCode::TableOutOfBounds)?;
        self.elements.as_mut_slice().copy_within(src, dst.start);
        Ok(())
    }

    /// `table.init` (and active element segments), also `table.copy` from
    /// another table: copies `items[src..][..len]` to `dst`. Both ranges are
    /// checked before anything is written.
    pub(crate) fn init(&mut self, dst: u64, items: &[RawRef], src: u64, len: u64) -> Result<(), TrapCode> {
        let src = checked_range(src, len, items.len()).ok_or(TrapCode::TableOutOfBounds)?;
        let dst = checked_range(dst, len, self.elements.len()).ok_or(TrapCode::TableOutOfBounds)?;
        self.elements.as_mut_slice()[dst].copy_from_slice(&items[src]);
        Ok(())
    }

    pub(crate) fn elements(&self) -> &[RawRef] {
        self.elements.as_slice()
    }
}

fn nonzero(raw: RawRef) -> Option<RawRef> {
    (raw != 0).then_some(raw)
}

impl Table {
    /// A new table of `ty.limits.min` elements, all `init`. Errors: `init`
    /// not of the element type or from another store
    /// ([`Error::BadArgument`]), a minimum above the store's
    /// `max_table_elements` ([`Error::Limit`]).
    pub fn new(store: &mut Store, ty: TableType, init: Val) -> Result<Table, Error> {
        let init = element_raw(store, ty, init)?;
        let data = TableData::new(ty, init, &store.limits())?;
        store.push_table(|_| data)
    }

    /// The declared type with the current size as minimum. Errors
    /// ([`Error::BadArgument`]): a handle of another store.
    pub fn ty(&self, store: &Store) -> Result<TableType, Error> {
        Ok(store.table(*self)?.ty())
    }

    /// Current number of elements. Errors ([`Error::BadArgument`]): a
    /// handle of another store.
    pub fn size(&self, store: &Store) -> Result<u64, Error> {
        Ok(store.table(*self)?.size())
    }

    /// The element at `index`. Errors ([`Error::BadArgument`]): out of
    /// bounds, a handle of another store.
    pub fn get(&self, store: &Store, index: u64) -> Result<Val, Error> {
        let table = store.table(*self)?;
        let raw = table.get(index).ok_or_else(|| Error::BadArgument(format!("table index {index} out of bounds")))?;
        // SAFETY: table elements are raw references of the table's element
        // type made for this store (type invariant of `TableData`).
        Ok(unsafe { Val::from_raw(&[raw], table.declared.element, store.id()) })
    }

    /// Sets the element at `index`. Errors ([`Error::BadArgument`]): out of
    /// bounds, wrong type, a value from another store.
    pub fn set(&self, store: &mut Store, index: u64, val: Val) -> Result<(), Error> {
        let ty = store.table(*self)?.declared;
        let raw = element_raw(store, ty, val)?;
        if store.table_mut(*self)?.set(index, raw) {
            Ok(())
        } else {
            Err(Error::BadArgument(format!("table index {index} out of bounds")))
        }
    }

    /// Grows by `delta` elements set to `init`, returning the old size. Past
    /// the maximum (declared, or the store's limit) it fails with
    /// [`Error::Limit`] and the table is unchanged.
    pub fn grow(&self, store: &mut Store, delta: u64, init: Val) -> Result<u64, Error> {
        let ty = store.table(*self)?.declared;
        let raw = element_raw(store, ty, init)?;
        let table = store.table_mut(*self)?;
        table.grow(delta, raw).ok_or_else(|| {
            Error::Limit(format!("table of {} elements cannot grow by {delta} (maximum {})", table.size(), table.max))
        })
    }
}

/// `val` as a raw element of a table of type `ty`.
fn element_raw(store: &Store, ty: TableType, val: Val) -> Result<RawRef, Error> {
    if !val.matches(store, ty.element) {
        return Err(Error::BadArgument(format!("a {} value cannot be stored in a table of {}", val.ty(), ty.element)));
    }
    // A reference: one word.
    Ok(val.to_raw(store)?.narrow())
}
