//! Throughput of each feature transform on the benchmark table (criterion).
//!
//! `cargo bench -p ferrops --bench transforms`
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "data.rs"]
mod data;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrops::features::*;

const ROWS: usize = 100_000;

fn bench_transforms(c: &mut Criterion) {
    let table = data::table(ROWS, 1);
    let numeric: Vec<String> = (0..16).map(|j| format!("f{j}")).collect();
    let missing: Vec<String> = (0..4).map(|j| format!("f{j}")).collect();
    let imputed = SimpleImputer::median(missing.clone())
        .fit(&table)
        .unwrap()
        .transform(&table)
        .unwrap();
    let transforms: Vec<(&str, Box<dyn FeatureTransform>, &arrow::record_batch::RecordBatch)> = vec![
        (
            "simple_imputer_median",
            Box::new(SimpleImputer::median(missing.clone())),
            &table,
        ),
        (
            "standard_scaler",
            Box::new(StandardScaler::new(numeric.clone())),
            &table,
        ),
        (
            "min_max_scaler",
            Box::new(MinMaxScaler::new(numeric.clone())),
            &table,
        ),
        (
            "robust_scaler",
            Box::new(RobustScaler::new(numeric.clone())),
            &table,
        ),
        (
            "max_abs_scaler",
            Box::new(MaxAbsScaler::new(numeric.clone())),
            &table,
        ),
        (
            "kbins_quantile",
            Box::new(KBinsDiscretizer::new(numeric.clone(), 5, BinStrategy::Quantile)),
            &imputed,
        ),
        (
            "power_transformer",
            Box::new(PowerTransformer::new(numeric.clone())),
            &imputed,
        ),
        (
            "one_hot_c10_c50_c200",
            Box::new(OneHotEncoder::new(["c10", "c50", "c200"])),
            &table,
        ),
        (
            "ordinal_all_strings",
            Box::new(OrdinalEncoder::new(Columns::AllString)),
            &table,
        ),
        (
            "feature_hasher_c1000",
            Box::new(FeatureHasher::new(["c1000"])),
            &table,
        ),
    ];
    let mut group = c.benchmark_group("transform");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    for (name, transform, input) in &transforms {
        let fitted = transform.fit(input).unwrap();
        group.bench_with_input(BenchmarkId::new("transform", name), input, |b, t| {
            b.iter(|| fitted.transform(t).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("fit", name), input, |b, t| {
            b.iter(|| transform.fit(t).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_transforms);
criterion_main!(benches);
