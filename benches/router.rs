//! Router overhead per one-row request over a bare `FittedPipeline::predict_named_row`
//! call, and the cost of a switch + rollback (two atomic swaps) (criterion).
//!
//! `cargo bench -p ferrops --bench router -- --warm-up-time 1 --measurement-time 3`
//!
//! The overhead is the difference of the medians of `router_row/routed_champion` (or
//! `routed_canary_10pct`) and `router_row/bare_predict_named_row`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "data.rs"]
mod data;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use ferrops::data::table::value_at;
use ferrops::prelude::*;
use ferrops::serve::{Router, ServedModel};

fn fitted(seed: u64) -> (FittedPipeline, arrow::record_batch::RecordBatch) {
    let table = data::table(5_000, seed);
    let missing: Vec<String> = (0..4).map(|j| format!("f{j}")).collect();
    let pipeline = Pipeline::new()
        .transform(SimpleImputer::median(missing))
        .transform(StandardScaler::new(Columns::AllNumeric))
        .transform(OneHotEncoder::new(Columns::AllString))
        .train(LogisticRegression::default());
    (pipeline.fit(&table, "y").unwrap(), table)
}

fn bench_router(c: &mut Criterion) {
    let (champion, table) = fitted(7);
    let (candidate, _) = fitted(8);
    let champion = Arc::new(champion);
    let candidate = Arc::new(candidate);
    // One row as named pairs, as a service decodes it from a request.
    let row: Vec<(String, Value)> = champion
        .signature()
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                value_at(table.column_by_name(&c.name).unwrap(), 3).unwrap(),
            )
        })
        .collect();
    champion
        .predict_named_row(row.iter().map(|(k, v)| (k.as_str(), v.clone())))
        .unwrap(); // compile the row plans outside the timing
    candidate
        .predict_named_row(row.iter().map(|(k, v)| (k.as_str(), v.clone())))
        .unwrap();
    let keys: Vec<String> = (0..1024).map(|i| format!("customer-{i}")).collect();

    let mut group = c.benchmark_group("router_row");
    group.bench_function("bare_predict_named_row", |b| {
        b.iter(|| {
            champion
                .predict_named_row(row.iter().map(|(k, v)| (k.as_str(), v.clone())))
                .unwrap()
        })
    });
    let alone = Router::new(ServedModel::new("bench", 1, champion.clone()));
    let mut i = 0usize;
    group.bench_function("routed_champion", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            alone.predict_row(Some(&keys[i]), &row).unwrap()
        })
    });
    let canary = Router::new(ServedModel::new("bench", 1, champion.clone()));
    canary
        .start_canary(ServedModel::new("bench", 2, candidate.clone()), 0.1)
        .unwrap();
    group.bench_function("routed_canary_10pct", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            canary.predict_row(Some(&keys[i]), &row).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("router_swap");
    let router = Router::new(ServedModel::new("bench", 1, champion.clone()));
    let next = ServedModel::new("bench", 2, candidate.clone());
    group.bench_function("switch_then_rollback", |b| {
        b.iter(|| {
            router.switch(next.clone()).unwrap();
            router.rollback("bench").unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_router);
criterion_main!(benches);
