//! Streaming drift detectors: updates per second on a stream of 1,000,000 values
//! (criterion).
//!
//! `cargo bench -p ferrops --bench drift_stream -- --warm-up-time 1 --measurement-time 3`
//!
//! Each detector reads the whole stream through `update_many` (one fresh clone per
//! iteration, so every iteration sees the same detections). The continuous detectors
//! (ADWIN, Page-Hinkley, KSWIN) read Gaussian values whose mean moves by 1.5 standard
//! deviations every 100,000 values; the binary ones (DDM, EDDM, HDDM_A, HDDM_W) read
//! error indicators whose rate alternates between 0.2 and 0.4 every 100,000 values.
//! criterion reports the throughput in elements (updates) per second.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferrops::drift::stream::{
    Adwin, Ddm, Eddm, HddmA, HddmW, Kswin, KswinParams, PageHinkley, StreamDetector,
};

const N: usize = 1_000_000;
const SEGMENT: usize = 100_000;

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

fn streams() -> (Vec<f64>, Vec<f64>) {
    let mut rng = SplitMix(2026);
    let continuous = (0..N)
        .map(|i| rng.normal() + 1.5 * ((i / SEGMENT) % 2) as f64)
        .collect();
    let binary = (0..N)
        .map(|i| {
            let p = if (i / SEGMENT) % 2 == 0 { 0.2 } else { 0.4 };
            f64::from(u8::from(rng.uniform() < p))
        })
        .collect();
    (continuous, binary)
}

fn run<D: StreamDetector + Clone>(c: &mut Criterion, name: &str, detector: D, xs: &[f64]) {
    let mut group = c.benchmark_group("drift_stream");
    group.throughput(Throughput::Elements(xs.len() as u64));
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter_batched_ref(
            || detector.clone(),
            |d| std::hint::black_box(d.update_many(std::hint::black_box(xs))),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let (continuous, binary) = streams();
    run(c, "adwin", Adwin::default(), &continuous);
    run(c, "page_hinkley", PageHinkley::default(), &continuous);
    let kswin = Kswin::new(KswinParams {
        seed: Some(42),
        ..KswinParams::default()
    })
    .unwrap();
    run(c, "kswin", kswin, &continuous);
    run(c, "ddm", Ddm::default(), &binary);
    run(c, "eddm", Eddm::default(), &binary);
    run(c, "hddm_a", HddmA::default(), &binary);
    run(c, "hddm_w", HddmW::default(), &binary);
}

criterion_group!(benches, bench);
criterion_main!(benches);
