//! Pipeline prediction, batch and single row (criterion).
//!
//! `cargo bench -p ferrops --bench pipeline`
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "data.rs"]
mod data;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrops::data::table::value_at;
use ferrops::prelude::*;

fn fitted(rows: usize) -> (FittedPipeline, arrow::record_batch::RecordBatch) {
    let table = data::table(rows, 7);
    let missing: Vec<String> = (0..4).map(|j| format!("f{j}")).collect();
    let pipeline = Pipeline::new()
        .transform(SimpleImputer::median(missing))
        .transform(StandardScaler::new(Columns::AllNumeric))
        .transform(OneHotEncoder::new(Columns::AllString))
        .train(LogisticRegression::default());
    (pipeline.fit(&table, "y").unwrap(), table)
}

fn bench_pipeline(c: &mut Criterion) {
    let (fitted, table) = fitted(20_000);
    let batch = data::table(100_000, 8);
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(batch.num_rows() as u64));
    group.bench_function("predict_proba_batch_100k", |b| {
        b.iter(|| fitted.predict_proba(&batch).unwrap())
    });
    group.finish();

    // One row, in signature order, as a serving process would hold it.
    let signature = fitted.signature().clone();
    let row: Vec<Value> = signature
        .columns
        .iter()
        .map(|c| value_at(table.column_by_name(&c.name).unwrap(), 3).unwrap())
        .collect();
    fitted.predict_row(row.clone()).unwrap(); // compile the row plan outside the timing
    let mut group = c.benchmark_group("pipeline_row");
    group.bench_function("predict_row", |b| {
        b.iter(|| fitted.predict_row(row.clone()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
