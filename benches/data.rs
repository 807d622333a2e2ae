//! The benchmark table, the same shape as benches/python/bench_vs_sklearn.py: 16 float
//! columns (f0..f15; f0..f3 with 5% missing), 4 string columns of cardinality 10, 50,
//! 200 and 1000 (c10, c50, c200, c1000), and a binary target `y` that depends on both.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * self.uniform()).cos()
    }
}

pub const CARDINALITIES: [usize; 4] = [10, 50, 200, 1000];

pub fn table(rows: usize, seed: u64) -> RecordBatch {
    let mut rng = SplitMix(seed);
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    let mut score = vec![0.0; rows];
    for j in 0..16 {
        let values: Vec<Option<f64>> = (0..rows)
            .map(|i| {
                let x = rng.normal() * (j + 1) as f64 + j as f64;
                score[i] += x / (j + 1) as f64 * if j % 2 == 0 { 0.3 } else { -0.2 };
                (j >= 4 || rng.uniform() >= 0.05).then_some(x)
            })
            .collect();
        columns.push((format!("f{j}"), Arc::new(Float64Array::from(values))));
    }
    for card in CARDINALITIES {
        let values: Vec<String> = (0..rows)
            .map(|i| {
                let k = (rng.next() % card as u64) as usize;
                score[i] += if k % 3 == 0 { 0.4 } else { -0.1 };
                format!("v{k}")
            })
            .collect();
        columns.push((format!("c{card}"), Arc::new(StringArray::from(values))));
    }
    let y: Vec<i64> = score
        .iter()
        .map(|s| i64::from(s + rng.normal() * 0.5 > 0.0))
        .collect();
    columns.push(("y".into(), Arc::new(Int64Array::from(y))));
    RecordBatch::try_from_iter(columns).unwrap()
}
