//! [`Memory`]: linear memories.

use crate::buffer::{checked_range, GrowBuf};
use crate::error::Error;
use crate::limits::StoreLimits;
use crate::store::{Store, Stored};
use wasmbeam_jit::vm::{TrapCode, VMMemory};
use wasmbeam_jit::{Limits, MemoryType};

/// Bytes per WebAssembly page.
pub const PAGE_SIZE: u64 = 65536;
/// The most pages a 32-bit memory can have (4 GiB).
pub const MAX_PAGES: u64 = 65536;

/// A linear memory in a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) Stored);

/// A memory's state. Invariant: `vm.base`/`vm.length` always describe
/// `bytes` exactly (refreshed after every growth), and `bytes.len()` is a
/// multiple of [`PAGE_SIZE`] of at most `max_pages` pages.
pub(crate) struct MemoryData {
    pub(crate) vm: VMMemory,
    bytes: GrowBuf<u8>,
    /// As declared at creation.
    declared: MemoryType,
    /// The effective maximum: the declared one capped by the store's limit.
    max_pages: u64,
}

impl MemoryData {
    /// A zeroed memory of `ty.limits.min` pages. A minimum above the
    /// store's `max_memory_pages` (or [`MAX_PAGES`]) is an
    /// [`Error::Limit`]; a declared maximum above it only caps growth.
    pub(crate) fn new(ty: MemoryType, limits: &StoreLimits) -> Result<MemoryData, Error> {
        let limit = limits.max_memory_pages.min(MAX_PAGES);
        let Limits { min, max } = ty.limits;
        if min > limit {
            return Err(Error::Limit(format!("memory minimum of {min} pages exceeds the limit of {limit} pages")));
        }
        if max.is_some_and(|max| max < min) {
            return Err(Error::BadArgument(format!("memory maximum {max:?} is below its minimum {min}")));
        }
        let mut data = MemoryData {
            vm: VMMemory { base: std::ptr::NonNull::dangling().as_ptr(), length: 0 },
            bytes: GrowBuf::new(),
            declared: ty,
            max_pages: max.unwrap_or(MAX_PAGES).min(limit),
        };
        let len = pages_to_bytes(min).ok_or_else(|| Error::Limit("memory too large for this machine".into()))?;
        if !data.bytes.try_grow(len, None, len) {
            return Err(Error::Limit(format!("cannot allocate a memory of {min} pages")));
        }
        data.sync();
        Ok(data)
    }

    fn sync(&mut self) {
        self.vm.base = self.bytes.as_ptr();
        self.vm.length = self.bytes.len() as u64;
    }

    pub(crate) fn pages(&self) -> u64 {
        self.bytes.len() as u64 / PAGE_SIZE
    }

    /// The declared type with the current size as minimum.
    pub(crate) fn ty(&self) -> MemoryType {
        MemoryType {
            limits: Limits { min: self.pages(), max: self.declared.limits.max },
            memory64: self.declared.memory64,
        }
    }

    /// Grows by `delta` pages, returning the old size, or `None` (and no
    /// change) past the maximum or if memory cannot be allocated.
    pub(crate) fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let len = pages_to_bytes(new)?;
        // Room to double when it must move: a program that grows its
        // memory a page at a time (malloc does) copies it a logarithmic
        // number of times, not once per growth. The room is zero pages the
        // OS backs only when they are written.
        let room = pages_to_bytes(self.max_pages).map_or(len, |max| self.bytes.capacity().saturating_mul(2).min(max));
        if !self.bytes.try_grow(len, None, room.max(len)) && !self.bytes.try_grow(len, None, len) {
            return None;
        }
        self.sync();
        Some(old)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        self.bytes.as_mut_slice()
    }

    /// `memory.fill`.
    pub(crate) fn fill(&mut self, dst: u64, byte: u8, len: u64) -> Result<(), TrapCode> {
        let range = checked_range(dst, len, self.bytes.len()).ok_or(TrapCode::MemoryOutOfBounds)?;
        self.bytes_mut()[range].fill(byte);
        Ok(())
    }

    /// `memory.copy` within this memory (overlapping ranges allowed).
    pub(crate) fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> Result<(), TrapCode> {
        let size = self.bytes.len();
        let src = checked_range(src, len, size).ok_or(TrapCode::MemoryOutOfBounds)?;
        let dst = checked_range(dst, len, size).ok_or(TrapCode::MemoryOutOfBounds)?;
        self.bytes_mut().copy_within(src, dst.start);
        Ok(())
    }

    /// `memory.init` (and active data segments): copies `data[src..][..len]`
    /// to `dst`. Both ranges are checked before anything is written.
    pub(crate) fn init(&mut self, dst: u64, data: &[u8], src: u64, len: u64) -> Result<(), TrapCode> {
        let src = checked_range(src, len, data.len()).ok_or(TrapCode::MemoryOutOfBounds)?;
        let dst = checked_range(dst, len, self.bytes.len()).ok_or(TrapCode::MemoryOutOfBounds)?;
        self.bytes_mut()[dst].copy_from_slice(&data[src]);
        Ok(())
    }
}

fn pages_to_bytes(pages: u64) -> Option<usize> {
    usize::try_from(pages.checked_mul(PAGE_SIZE)?).ok()
}

impl Memory {
    /// A new zeroed memory of `ty.limits.min` pages. Errors: a minimum above
    /// the store's `max_memory_pages` ([`Error::Limit`]), a maximum below
    /// the minimum ([`Error::BadArgument`]), or allocation failure.
    pub fn new(store: &mut Store, ty: MemoryType) -> Result<Memory, Error> {
        let data = MemoryData::new(ty, &store.limits())?;
        store.push_memory(|_| data)
    }

    /// The declared type with the current size as minimum. Errors
    /// ([`Error::BadArgument`]): a handle of another store (as for every
    /// accessor below).
    pub fn ty(&self, store: &Store) -> Result<MemoryType, Error> {
        Ok(store.memory(*self)?.ty())
    }

    /// Current size in pages.
    pub fn size(&self, store: &Store) -> Result<u64, Error> {
        Ok(store.memory(*self)?.pages())
    }

    /// The memory's bytes.
    pub fn data<'a>(&self, store: &'a Store) -> Result<&'a [u8], Error> {
        Ok(store.memory(*self)?.bytes())
    }

    /// The memory's bytes, writable.
    pub fn data_mut<'a>(&self, store: &'a mut Store) -> Result<&'a mut [u8], Error> {
        Ok(store.memory_mut(*self)?.bytes_mut())
    }

    /// Grows by `delta_pages`, returning the old size in pages. Past the
    /// maximum (declared, or the store's limit) it fails with
    /// [`Error::Limit`] and the memory is unchanged.
    pub fn grow(&self, store: &mut Store, delta_pages: u64) -> Result<u64, Error> {
        let memory = store.memory_mut(*self)?;
        memory.grow(delta_pages).ok_or_else(|| {
            Error::Limit(format!(
                "memory of {} pages cannot grow by {delta_pages} pages (maximum {})",
                memory.pages(),
                memory.max_pages
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_memory_pages: u64) -> StoreLimits {
        StoreLimits { max_memory_pages, max_table_elements: 0, max_wasm_stack: 0, max_continuation_bytes: 0 }
    }

    #[test]
    fn growing_a_page_at_a_time_moves_the_memory_a_few_times_and_keeps_its_bytes() {
        let ty = MemoryType { limits: Limits { min: 1, max: None }, memory64: false };
        let mut memory = MemoryData::new(ty, &limits(MAX_PAGES)).unwrap();
        let mut moves = 0;
        for page in 1..256u64 {
            let last = (page * PAGE_SIZE - 1) as usize;
            memory.bytes_mut()[last] = page as u8;
            let base = memory.vm.base;
            assert_eq!(memory.grow(1), Some(page));
            moves += usize::from(memory.vm.base != base);
            assert_eq!(memory.vm.length, (page + 1) * PAGE_SIZE);
            assert_eq!(memory.bytes()[last], page as u8, "kept");
            assert!(memory.bytes()[last + 1..].iter().all(|b| *b == 0), "new pages are zero");
        }
        assert!(moves <= 9, "moved {moves} times in 255 growths");
    }

    #[test]
    fn the_room_to_grow_stops_at_the_maximum_and_growth_beyond_fails() {
        let ty = MemoryType { limits: Limits { min: 1, max: Some(3) }, memory64: false };
        let mut memory = MemoryData::new(ty, &limits(MAX_PAGES)).unwrap();
        assert_eq!(memory.grow(1), Some(1));
        assert_eq!(memory.grow(1), Some(2));
        assert!(memory.bytes.capacity() <= 3 * PAGE_SIZE as usize);
        assert_eq!(memory.grow(1), None);
        assert_eq!(memory.pages(), 3);
        // The store's limit bounds it too.
        let ty = MemoryType { limits: Limits { min: 1, max: None }, memory64: false };
        let mut memory = MemoryData::new(ty, &limits(2)).unwrap();
        assert_eq!(memory.grow(1), Some(1));
        assert!(memory.bytes.capacity() <= 2 * PAGE_SIZE as usize);
        assert_eq!(memory.grow(1), None);
    }
}
