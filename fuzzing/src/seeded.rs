//! Seeded inputs for the smoke passes under `cargo test`: a tiny xorshift
//! generator (no `rand` dependency) and [`smoke`], which feeds a target
//! fixed-seed random inputs.

use crate::{Failure, Summary, Target};

/// xorshift64* (Vigna): a fast, fixed, portable sequence; plenty for
/// making fuzz inputs.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for `seed` (any value; 0 is mapped to a fixed non-zero
    /// state, which xorshift needs).
    pub fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Fills `buf` with the next bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Runs `target` on `iterations` inputs of `len` random bytes from `seed`
/// and adds up what it did. `Err` names the failing iteration and its
/// input (hex) so it can be saved as a regression.
pub fn smoke(target: Target, seed: u64, iterations: usize, len: usize) -> Result<Summary, Failure> {
    let mut rng = XorShift::new(seed);
    let mut total = Summary::default();
    let mut input = vec![0; len];
    for iteration in 0..iterations {
        rng.fill(&mut input);
        match target(&input) {
            Ok(summary) => total += summary,
            Err(failure) => {
                let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                return Err(Failure::new(format!("seed {seed}, iteration {iteration}: {failure}\ninput: {hex}")));
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_fixed() {
        let mut a = XorShift::new(1);
        let mut b = XorShift::new(1);
        let mut x = [0u8; 13];
        let mut y = [0u8; 13];
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(XorShift::new(0).next_u64(), 0);
        assert_ne!(XorShift::new(2).next_u64(), XorShift::new(1).next_u64());
    }
}
