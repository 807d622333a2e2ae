//! Shared test data.
#![allow(dead_code)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::record_batch::RecordBatch;

/// A deterministic pseudo-random generator (splitmix64), so tests need no RNG crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// `n` rows: numeric `a`, `b` (with some nulls in `b`), string `city`, and a binary
/// string target `label` that depends on `a` and `city`.
pub fn classification_table(n: usize, seed: u64) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let cities = ["paris", "lyon", "nice"];
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    let mut city = Vec::with_capacity(n);
    let mut label = Vec::with_capacity(n);
    for i in 0..n {
        let x = rng.normal();
        let c = cities[(rng.next_u64() % 3) as usize];
        let noise = rng.normal() * 0.5;
        let score = 2.0 * x + if c == "nice" { 1.5 } else { -0.5 } + noise;
        a.push(x * 10.0 + 50.0);
        b.push(if i % 7 == 0 { None } else { Some(rng.normal()) });
        city.push(c);
        label.push(if score > 0.0 { "yes" } else { "no" });
    }
    RecordBatch::try_from_iter([
        ("a", Arc::new(Float64Array::from(a)) as ArrayRef),
        ("b", Arc::new(Float64Array::from(b)) as ArrayRef),
        ("city", Arc::new(StringArray::from(city)) as ArrayRef),
        ("label", Arc::new(StringArray::from(label)) as ArrayRef),
    ])
    .unwrap()
}
