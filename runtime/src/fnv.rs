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

    /// A checksum of `bytes` eight times faster than [`Fnv64::of`], for
    /// large inputs (serialized continuations): FNV-1a's step (xor, then
    /// multiply by the prime) applied to each 8-byte little-endian word
    /// instead of each byte, the last word zero-padded, then to the byte
    /// length; then a final mix, so that every input bit reaches the low
    /// bits too. Each step is a bijection of the state, so any one damaged
    /// word changes the result.
    pub(crate) fn of_words(bytes: &[u8]) -> u64 {
        let mut h = Self::OFFSET_BASIS;
        let mut step = |word: u64| h = (h ^ word).wrapping_mul(Self::PRIME);
        for chunk in bytes.chunks(8) {
            let mut le = [0u8; 8];
            le[..chunk.len()].copy_from_slice(chunk);
            step(u64::from_le_bytes(le));
        }
        step(bytes.len() as u64);
        h ^= h >> 32;
        h = h.wrapping_mul(0xd6e8_feb8_6659_fd93);
        h ^ (h >> 32)
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

    #[test]
    fn the_word_checksum_sees_every_byte_and_the_length() {
        let base: Vec<u8> = (0..=255u8).cycle().take(1001).collect();
        let sum = Fnv64::of_words(&base);
        // Pinned (computed independently, in Python): saved continuations
        // carry this checksum.
        assert_eq!(Fnv64::of_words(b""), 0xec7e_de95_0aa4_87fc);
        assert_eq!(Fnv64::of_words(b"foobar"), 0x918d_66c5_9366_e12f);
        for i in 0..base.len() {
            for bit in [0x01, 0x80] {
                let mut damaged = base.clone();
                damaged[i] ^= bit;
                assert_ne!(Fnv64::of_words(&damaged), sum, "byte {i}, bit {bit:#x}");
            }
        }
        // Zero padding does not hide a missing or extra zero byte.
        assert_ne!(Fnv64::of_words(b"ab"), Fnv64::of_words(b"ab\0"));
        assert_ne!(Fnv64::of_words(&[0; 8]), Fnv64::of_words(&[0; 16]));
    }
}
