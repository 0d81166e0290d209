//! [`Owned`]: a heap allocation at a fixed address that compiled code may
//! point into.

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// Like `Box<T>`, but holding only a raw pointer, so that moving the owner
/// (e.g. when the store's `Vec` of owners reallocates) or borrowing it
/// asserts nothing about the pointee. Compiled code and builtins keep raw
/// pointers into these allocations (vmctx words, `VMFuncRef::vmctx`, ...),
/// and those must stay valid for as long as the allocation lives.
///
/// Invariants: `ptr` came from `Box::into_raw` and is freed only in `drop`.
/// Rust references to the pointee are created only through `&self` /
/// `&mut self`, so the borrow rules between them are those of a `Box`. Raw
/// pointers from [`Owned::as_ptr`] are derived from `ptr` itself (never from
/// a reference), and are dereferenced only while no reference obtained here
/// is live: compiled code runs only while the owning store is exclusively
/// borrowed by the call that entered it.
pub(crate) struct Owned<T: ?Sized> {
    ptr: NonNull<T>,
}

impl<T> Owned<T> {
    pub(crate) fn new(value: T) -> Self {
        Self::from_box(Box::new(value))
    }
}

impl<T: ?Sized> Owned<T> {
    pub(crate) fn from_box(value: Box<T>) -> Self {
        let raw = Box::into_raw(value);
        // SAFETY: `Box::into_raw` never returns null.
        Owned { ptr: unsafe { NonNull::new_unchecked(raw) } }
    }

    /// The allocation's address, valid until `self` is dropped.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T: ?Sized> Deref for Owned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the allocation is live while `self` is, and initialized;
        // mutable references exist only through `&mut self` (excluded here),
        // and raw pointers are not used while this reference lives (type
        // invariant).
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for Owned<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` excludes every other reference.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: ?Sized> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `Box::into_raw` and is freed only here.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}
