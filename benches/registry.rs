//! Model registry: an alias move and a rollback (the registry half of a rollback:
//! one compare-and-swap append to the alias log), and registering and loading a large
//! artifact (a random-forest regressor whose artifact is about 100 MB), reported as
//! throughput.
//!
//! `cargo bench -p ferrops --bench registry`
//!
//! The registry lives in a temporary directory on the local disk. Loading includes
//! reading every file, checking its SHA-256 and rebuilding the pipeline.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Float64Array};
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrops::prelude::*;
use ferrops::registry::{Expected, ModelMetadata, ModelRegistry};
use ferrops::train::RandomForestRegressor;

// The tests' splitmix64 generator (one copy for tests, benches and examples).
#[path = "../tests/rust/common.rs"]
mod common;
use common::Rng;

fn table(rows: usize) -> RecordBatch {
    let mut rng = Rng::new(7);
    let cols: Vec<Vec<f64>> = (0..4)
        .map(|_| (0..rows).map(|_| rng.uniform()).collect())
        .collect();
    let y: Vec<f64> = (0..rows)
        .map(|i| cols[0][i] * 3.0 + (cols[1][i] * 6.0).sin() + rng.uniform())
        .collect();
    let mut fields: Vec<(String, ArrayRef)> = cols
        .into_iter()
        .enumerate()
        .map(|(j, c)| (format!("x{j}"), Arc::new(Float64Array::from(c)) as ArrayRef))
        .collect();
    fields.push(("y".into(), Arc::new(Float64Array::from(y))));
    RecordBatch::try_from_iter(fields).unwrap()
}

fn small_pipeline() -> FittedPipeline {
    Pipeline::new()
        .train(LinearRegression::default())
        .fit(&table(100), "y")
        .unwrap()
}

/// A forest whose artifact is about `target_mb` MB.
fn big_pipeline(target_mb: usize) -> (FittedPipeline, usize) {
    let data = table(100_000);
    let mut trees = 4;
    loop {
        let forest = RandomForestRegressor {
            n_estimators: trees,
            ..Default::default()
        };
        let fitted = Pipeline::new().train(forest).fit(&data, "y").unwrap();
        let (_, files) = fitted.to_files().unwrap();
        let bytes: usize = files.values().map(Vec::len).sum();
        if bytes >= target_mb * 1_000_000 {
            return (fitted, bytes);
        }
        trees = (trees * target_mb * 1_000_000).div_ceil(bytes.max(1)) + 1;
    }
}

fn aliases(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let p = small_pipeline();
    for _ in 0..3 {
        reg.register("m", &p, ModelMetadata::new()).unwrap();
    }
    reg.set_alias("m", "champion", 1, Expected::Absent, "start")
        .unwrap();
    let mut group = c.benchmark_group("registry_alias");
    let current = std::cell::Cell::new(1u64);
    group.bench_function("set_alias (compare-and-swap, one log append)", |b| {
        b.iter(|| {
            let next = current.get() % 3 + 1;
            reg.set_alias("m", "champion", next, Expected::Version(current.get()), "bench")
                .unwrap();
            current.set(next);
        })
    });
    group.bench_function("rollback (one log append)", |b| {
        b.iter_batched(
            || {
                let next = current.get() % 3 + 1;
                reg.set_alias("m", "champion", next, Expected::Any, "bench")
                    .unwrap();
                current.set(next);
            },
            |()| {
                let e = reg.rollback("m", "champion", "bench").unwrap();
                current.set(e.to.unwrap());
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn artifacts(c: &mut Criterion) {
    let (pipeline, bytes) = big_pipeline(100);
    eprintln!("artifact: {bytes} bytes");
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let v = reg.register("big", &pipeline, ModelMetadata::new()).unwrap();
    let mut group = c.benchmark_group("registry_artifact");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("load (read, verify, rebuild)", |b| {
        b.iter(|| reg.load_version(&v).unwrap())
    });
    group.bench_function("register (serialize, hash, write)", |b| {
        b.iter(|| reg.register("big", &pipeline, ModelMetadata::new()).unwrap())
    });
    group.bench_function("serialize only (to_files)", |b| {
        b.iter(|| pipeline.to_files().unwrap())
    });
    group.finish();
}

criterion_group!(benches, aliases, artifacts);
criterion_main!(benches);
