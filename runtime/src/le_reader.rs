//! [`LeReader`]: little-endian fields read from bytes that may be damaged
//! or hostile, every read checked against what is left. Both byte formats
//! (suspended calls, compiled modules) read with it.

use crate::error::Error;

pub(crate) struct LeReader<'a> {
    /// What is left to read.
    pub(crate) bytes: &'a [u8],
    /// The error of a read past the end, in the format's own words.
    truncated: fn() -> Error,
}

impl<'a> LeReader<'a> {
    pub(crate) fn new(bytes: &'a [u8], truncated: fn() -> Error) -> LeReader<'a> {
        LeReader { bytes, truncated }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.bytes.len() < n {
            return Err((self.truncated)());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// A count of items of at least `item_size` bytes each, checked
    /// against what is left (so a bad count cannot make us allocate).
    pub(crate) fn count(&mut self, item_size: usize) -> Result<usize, Error> {
        let n = self.u32()? as usize;
        if n.saturating_mul(item_size) > self.bytes.len() {
            return Err((self.truncated)());
        }
        Ok(n)
    }
}
