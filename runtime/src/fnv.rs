//! [`Fnv64`]: the FNV-1a 64-bit hash, used for fingerprints (of module
//! bytes, of a store's layout, of a serialized continuation). Not
//! cryptographic: it detects mistakes (the wrong store, a damaged or
//! truncated byte string), not tampering.

/// An FNV-1a 64-bit hasher. The value depends only on the bytes fed to it,
/// in order, never on the platform or process, so it can be written out and
/// compared in another process.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv64(u64);

impl Fnv64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    pub(crate) fn new() -> Fnv64 {
        Fnv64(Self::OFFSET_BASIS)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
        self
    }

    /// Feeds `n` as 8 little-endian bytes.
    pub(crate) fn u64(&mut self, n: u64) -> &mut Self {
        self.bytes(&n.to_le_bytes())
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }

    /// The hash of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> u64 {
        Fnv64::new().bytes(bytes).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv64;

    #[test]
    fn matches_the_published_test_vectors() {
        assert_eq!(Fnv64::of(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv64::of(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fnv64::of(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(Fnv64::new().bytes(b"foo").bytes(b"bar").finish(), Fnv64::of(b"foobar"));
    }
}
