//! The crate's random numbers: SplitMix64 (Steele, Lea and Flood, 2014), small, fast and
//! good enough to shuffle rows, draw bootstrap samples and candidate features. Written
//! here so that the folds, trees and forests of a seed never change with a dependency's
//! version.

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator for stream `index` of `seed` (e.g. one per tree of a forest): the
    /// streams of different indices are unrelated.
    pub(crate) fn stream(seed: u64, index: u64) -> Self {
        let a = SplitMix64::new(seed).next_u64();
        let mut mix = SplitMix64::new(index.wrapping_add(0xD1B5_4A32_D192_ED03));
        SplitMix64::new(a ^ mix.next_u64())
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound >= 1`), without modulo bias: Lemire's
    /// multiply-and-shift with rejection.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        let bound = bound.max(1);
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// [`below`](SplitMix64::below) for an index into a slice of `len` items.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            let pick = self.index(last + 1);
            items.swap(last, pick);
        }
    }
}
