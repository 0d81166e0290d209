//! [`Guest`]: the WebAssembly memory a WASI function reads its arguments
//! from and writes its results to. Every access is bounds-checked: a
//! pointer or length that falls outside memory is `EFAULT`, never a trap or
//! a panic, and no length the guest passes makes the host allocate more than
//! the memory holds.

use crate::errno::{Errno, WasiResult};

/// A guest memory, little-endian, for one WASI call.
pub struct Guest<'a> {
    bytes: &'a mut [u8],
}

/// A region of guest memory named by an iovec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub ptr: u32,
    pub len: u32,
}

impl<'a> Guest<'a> {
    pub fn new(bytes: &'a mut [u8]) -> Guest<'a> {
        Guest { bytes }
    }

    /// Bytes of memory.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    fn range(&self, ptr: u32, len: u64) -> WasiResult<std::ops::Range<usize>> {
        let start = u64::from(ptr);
        let end = start.checked_add(len).ok_or(Errno::Fault)?;
        if end > self.bytes.len() as u64 {
            return Err(Errno::Fault);
        }
        Ok(start as usize..end as usize)
    }

    /// Checks that `len` bytes at `ptr` lie in memory: for a function's
    /// result pointers, before it does anything that could not be undone
    /// (consume input, write output, create a file).
    pub fn check(&self, ptr: u32, len: u32) -> WasiResult<()> {
        self.range(ptr, len.into()).map(drop)
    }

    /// `len` bytes at `ptr`.
    pub fn bytes(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let range = self.range(ptr, len.into())?;
        Ok(&self.bytes[range])
    }

    /// `len` bytes at `ptr`, writable.
    pub fn bytes_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let range = self.range(ptr, len.into())?;
        Ok(&mut self.bytes[range])
    }

    /// Copies `data` to `ptr`.
    pub fn write(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.bytes_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(ptr, N as u32)?);
        Ok(out)
    }

    pub fn read_u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    pub fn read_u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    pub fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    pub fn read_u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    pub fn write_u8(&mut self, ptr: u32, value: u8) -> WasiResult<()> {
        self.write(ptr, &[value])
    }

    pub fn write_u16(&mut self, ptr: u32, value: u16) -> WasiResult<()> {
        self.write(ptr, &value.to_le_bytes())
    }

    pub fn write_u32(&mut self, ptr: u32, value: u32) -> WasiResult<()> {
        self.write(ptr, &value.to_le_bytes())
    }

    pub fn write_u64(&mut self, ptr: u32, value: u64) -> WasiResult<()> {
        self.write(ptr, &value.to_le_bytes())
    }

    /// The `count` iovecs at `iovs`, each checked to lie in memory. The
    /// array itself must lie in memory first, so `count` is bounded by the
    /// memory's size before anything is allocated.
    pub fn iovecs(&self, iovs: u32, count: u32) -> WasiResult<Vec<Span>> {
        let size = u64::from(count) * u64::from(crate::abi::IOVEC_SIZE);
        let array = self.range(iovs, size)?;
        let mut spans = Vec::with_capacity(count as usize);
        for entry in self.bytes[array].chunks_exact(8) {
            let ptr = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let len = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
            self.range(ptr, len.into())?;
            spans.push(Span { ptr, len });
        }
        Ok(spans)
    }

    /// A path or name of `len` bytes at `ptr`: UTF-8 (`EILSEQ` otherwise).
    pub fn str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.bytes(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// Gathers the bytes of `spans`, in order.
    pub fn gather(&self, spans: &[Span]) -> WasiResult<Vec<u8>> {
        let total: u64 = spans.iter().map(|s| u64::from(s.len)).sum();
        // Every span lies in memory (`iovecs`), but they may overlap: the
        // total is still bounded by count * memory size; refuse more than
        // the memory holds, which no real write needs.
        if total > self.bytes.len() as u64 {
            return Err(Errno::Inval);
        }
        let mut out = Vec::with_capacity(total as usize);
        for span in spans {
            out.extend_from_slice(self.bytes(span.ptr, span.len)?);
        }
        Ok(out)
    }

    /// Scatters `data` over `spans`, in order, as far as it goes; returns
    /// the bytes written.
    pub fn scatter(&mut self, spans: &[Span], mut data: &[u8]) -> WasiResult<usize> {
        let mut written = 0;
        for span in spans {
            if data.is_empty() {
                break;
            }
            let n = (span.len as usize).min(data.len());
            self.bytes_mut(span.ptr, n as u32)?.copy_from_slice(&data[..n]);
            data = &data[n..];
            written += n;
        }
        Ok(written)
    }
}

/// The total length of `spans` (what a read may fill), capped so that no
/// guest can make the host allocate more than `cap` bytes for one read.
pub fn capacity(spans: &[Span], cap: usize) -> usize {
    let total: u64 = spans.iter().map(|s| u64::from(s.len)).sum();
    total.min(cap as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_is_efault_and_never_panics() {
        let mut bytes = vec![0u8; 64];
        let mut g = Guest::new(&mut bytes);
        assert_eq!(g.read_u32(60), Ok(0));
        assert_eq!(g.read_u32(61), Err(Errno::Fault));
        assert_eq!(g.read_u64(u32::MAX), Err(Errno::Fault));
        assert_eq!(g.write_u32(64, 1), Err(Errno::Fault));
        assert_eq!(g.bytes(0, 65).map(|b| b.len()), Err(Errno::Fault));
        assert_eq!(g.bytes(64, 0).map(|b| b.len()), Ok(0));
        // A huge iovec count is refused before anything is allocated.
        assert_eq!(g.iovecs(0, u32::MAX), Err(Errno::Fault));
        // An iovec pointing outside memory.
        g.write_u32(0, 60).unwrap();
        g.write_u32(4, 8).unwrap();
        assert_eq!(g.iovecs(0, 1), Err(Errno::Fault));
        g.write_u32(4, 4).unwrap();
        assert_eq!(g.iovecs(0, 1), Ok(vec![Span { ptr: 60, len: 4 }]));
    }

    #[test]
    fn gather_and_scatter_follow_the_spans() {
        let mut bytes: Vec<u8> = (0..32).collect();
        let mut g = Guest::new(&mut bytes);
        let spans = [Span { ptr: 2, len: 3 }, Span { ptr: 10, len: 2 }];
        assert_eq!(g.gather(&spans).unwrap(), vec![2, 3, 4, 10, 11]);
        assert_eq!(g.scatter(&spans, &[90, 91, 92, 93]).unwrap(), 4);
        assert_eq!(g.bytes(2, 3).unwrap(), &[90, 91, 92]);
        assert_eq!(g.bytes(10, 2).unwrap(), &[93, 11]);
        assert_eq!(capacity(&spans, 4), 4);
        assert_eq!(g.str(2, 1), Ok("Z"));
        g.write_u8(2, 0xff).unwrap();
        assert_eq!(g.str(2, 1), Err(Errno::Ilseq));
    }
}
