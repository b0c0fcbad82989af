//! The tests' random numbers: xorshift64*, seeded by each test, so every
//! failure reproduces and no dependency is needed.

/// A small deterministic generator.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }

    /// A byte biased towards 0 and 255, where kernels have their edge cases.
    pub fn edge_biased_byte(&mut self) -> u8 {
        match self.next() % 8 {
            0 => 0,
            1 => 255,
            _ => self.next() as u8,
        }
    }
}
