//! [`GrowBuf`]: the growable element storage of memories and tables, at an
//! address compiled code may hold between growths.

use std::alloc::{self, Layout};
use std::ops::Range;
use std::ptr::{self, NonNull};

/// Element types for which all-zero bytes are a valid value (so buffers can
/// come from `alloc_zeroed`, which the OS backs lazily for large sizes).
///
/// # Safety
/// Implementors must accept the all-zero bit pattern as a valid value.
pub(crate) unsafe trait Zeroable: Copy {}
// SAFETY: every bit pattern is a valid integer.
unsafe impl Zeroable for u8 {}
// SAFETY: every bit pattern is a valid integer.
unsafe impl Zeroable for u64 {}

/// A heap buffer of `len` elements that only grows. Unlike `Vec`, it is
/// accessed only through its raw pointer (slices are made on demand), so the
/// copy of that pointer held in a `VMMemory`/`VMTable` stays usable between
/// Rust accesses. Growing may move the buffer; the owner then refreshes
/// every copy of the pointer.
///
/// Invariants: `ptr` is valid for `cap` elements (dangling when the
/// allocation size is 0); elements `0..len` are initialized and elements
/// `len..cap` are all-zero bytes (they come from `alloc_zeroed` and nothing
/// writes past `len`).
pub(crate) struct GrowBuf<T: Zeroable> {
    ptr: NonNull<T>,
    len: usize,
    cap: usize,
}

impl<T: Zeroable> GrowBuf<T> {
    pub(crate) fn new() -> Self {
        GrowBuf { ptr: NonNull::dangling(), len: 0, cap: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Elements it can hold without reallocating.
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// The buffer's address: valid for `len` elements until the next growth.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: `ptr` is valid (or dangling and aligned for `len == 0`)
        // for `len` initialized elements; `&self` excludes Rust writers, and
        // compiled code does not run while this borrow lives (see `Owned`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`; `&mut self` excludes every other access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Grows to `new_len` elements, the new ones set to `fill` (`None`: all
    /// zero bytes, which costs nothing). When it must reallocate, it
    /// reserves room for `capacity` elements if that is larger. Returns
    /// `false`, leaving the buffer unchanged, if `new_len < len` or memory
    /// cannot be allocated.
    pub(crate) fn try_grow(&mut self, new_len: usize, fill: Option<T>, capacity: usize) -> bool {
        if new_len < self.len {
            return false;
        }
        if new_len > self.cap {
            let cap = new_len.max(capacity);
            let Ok(layout) = Layout::array::<T>(cap) else { return false };
            let new_ptr = if layout.size() == 0 {
                NonNull::dangling()
            } else {
                // SAFETY: `layout` has a non-zero size.
                match NonNull::new(unsafe { alloc::alloc_zeroed(layout) }.cast::<T>()) {
                    Some(p) => p,
                    None => return false,
                }
            };
            // SAFETY: the old buffer holds `len` initialized elements, the
            // new one has room for `cap >= new_len > len`, and they are
            // distinct allocations.
            unsafe { ptr::copy_nonoverlapping(self.ptr.as_ptr(), new_ptr.as_ptr(), self.len) };
            self.deallocate();
            self.ptr = new_ptr;
            self.cap = cap;
        }
        if let Some(value) = fill {
            for i in self.len..new_len {
                // SAFETY: `i < new_len <= cap`, within the allocation.
                unsafe { self.ptr.as_ptr().add(i).write(value) };
            }
        }
        self.len = new_len;
        true
    }

    /// Frees the allocation (not `len`: the caller installs a new buffer
    /// holding the same elements, or is `drop`).
    fn deallocate(&mut self) {
        if let Ok(layout) = Layout::array::<T>(self.cap) {
            if layout.size() != 0 {
                // SAFETY: a non-zero-size buffer of `cap` elements was
                // allocated with exactly this layout in `try_grow`.
                unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) };
            }
        }
        self.ptr = NonNull::dangling();
        self.cap = 0;
    }
}

impl<T: Zeroable> Drop for GrowBuf<T> {
    fn drop(&mut self) {
        self.deallocate();
    }
}

/// `offset..offset + len` as indices into something of `size` elements, or
/// `None` if it does not fit. Computed in `u64`, so it never overflows for
/// 32-bit operands. `offset == size` with `len == 0` fits.
pub(crate) fn checked_range(offset: u64, len: u64, size: usize) -> Option<Range<usize>> {
    let end = offset.checked_add(len)?;
    if end > size as u64 {
        return None;
    }
    // Both are at most `size`, a `usize`.
    Some(offset as usize..end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_zeroes_and_fill() {
        let mut buf = GrowBuf::<u64>::new();
        assert!(buf.try_grow(3, None, 0));
        assert_eq!(buf.as_slice(), &[0, 0, 0]);
        buf.as_mut_slice()[1] = 7;
        // Reallocates: old elements are copied, only new ones filled.
        assert!(buf.try_grow(5, Some(9), 16));
        assert_eq!(buf.as_slice(), &[0, 7, 0, 9, 9]);
        // Within capacity: no reallocation, fill still applied.
        let before = buf.as_ptr();
        assert!(buf.try_grow(6, None, 0));
        assert_eq!(buf.as_ptr(), before);
        assert_eq!(buf.as_slice(), &[0, 7, 0, 9, 9, 0]);
        assert!(!buf.try_grow(2, None, 0));
        assert_eq!(buf.len(), 6);
    }

    #[test]
    fn impossible_sizes_fail_cleanly() {
        let mut buf = GrowBuf::<u64>::new();
        assert!(!buf.try_grow(usize::MAX, None, 0));
        assert!(!buf.try_grow(usize::MAX / 4, None, 0));
        assert_eq!(buf.len(), 0);
    }

    #[test]
    fn ranges() {
        assert_eq!(checked_range(0, 0, 0), Some(0..0));
        assert_eq!(checked_range(4, 0, 4), Some(4..4));
        assert_eq!(checked_range(5, 0, 4), None);
        assert_eq!(checked_range(2, 2, 4), Some(2..4));
        assert_eq!(checked_range(3, 2, 4), None);
        assert_eq!(checked_range(u64::MAX, 1, 4), None);
    }
}
