//! Drift report over 20 numeric columns (criterion).
//!
//! `cargo bench -p ferrops --bench drift`
//!
//! The shape of `benches/python/bench_drift.py` at a fifth of its default size: 20
//! numeric columns of 200,000 reference rows and 200,000 current rows (normal, half of
//! the current columns shifted). Measured:
//! - `profile`: building the reference [`Profile`] (one parallel pass);
//! - `report_tables`: a report against the reference table (exact tests: both sides
//!   sorted), the automatic test (Wasserstein / σ at this size);
//! - `report_profile`: a report against a stored profile: the current pass alone;
//! - `report_profile_ks`: the same with Kolmogorov-Smirnov on every column.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrops::drift::{drift_report, DriftDetector, DriftOptions, DriftTest, Profile};

const ROWS: usize = 200_000;
const COLUMNS: usize = 20;

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
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn table(rng: &mut SplitMix, shift: bool) -> RecordBatch {
    let columns: Vec<(String, ArrayRef)> = (0..COLUMNS)
        .map(|c| {
            let delta = if shift && c % 2 == 1 { 0.2 } else { 0.0 };
            let values: Vec<f64> = (0..ROWS).map(|_| rng.normal() + delta).collect();
            (format!("f{c}"), Arc::new(Float64Array::from(values)) as ArrayRef)
        })
        .collect();
    RecordBatch::try_from_iter(columns).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut rng = SplitMix(2026);
    let reference = table(&mut rng, false);
    let current = table(&mut rng, true);
    let profile = Profile::from_batch(&reference).unwrap();
    let detector = DriftDetector::from_profile(&profile, DriftOptions::default()).unwrap();
    let ks = DriftDetector::from_profile(
        &profile,
        DriftOptions {
            numeric_test: Some(DriftTest::Ks),
            ..DriftOptions::default()
        },
    )
    .unwrap();

    let mut group = c.benchmark_group("drift");
    group.sample_size(10);
    group.throughput(Throughput::Elements((ROWS * COLUMNS) as u64));
    group.bench_function("profile", |b| b.iter(|| Profile::from_batch(&reference).unwrap()));
    group.bench_function("report_tables", |b| {
        b.iter(|| drift_report(&reference, &current, &DriftOptions::default()).unwrap())
    });
    group.bench_function("report_profile", |b| b.iter(|| detector.run(&current).unwrap()));
    group.bench_function("report_profile_ks", |b| b.iter(|| ks.run(&current).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
