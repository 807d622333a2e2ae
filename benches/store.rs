//! Feature store: a point-in-time training set (`historical_features`) and single-key
//! online serving after `materialize` (criterion).
//!
//! `cargo bench -p ferrops --bench store`
//!
//! The data has the shape of `benches/python/bench_store.py` at a fifth of its default
//! size: 200,000 feature rows over 2,000 keys (100 rows per key, event times spread over
//! 30 days, a created timestamp a few minutes later, 3 float features, TTL 12 hours) and
//! 20,000 entity rows (keys drawn from 2,200 so that some have no rows, times over the
//! same 30 days). The store lives in a temporary directory; building it is outside the
//! timed loops.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, TimestampMicrosecondArray};
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrops::store::{Entity, Feature, FeatureStore, FeatureView, ValueType, WriteMode};

/// 2024-01-01T00:00:00Z in µs.
const T0: i64 = 1_704_067_200_000_000;
const SECOND: i64 = 1_000_000;
const SPAN_SECONDS: u64 = 30 * 86_400;
const TTL_SECONDS: i64 = 12 * 3_600;

const FEATURE_ROWS: usize = 200_000;
const ENTITY_ROWS: usize = 20_000;
const KEYS: u64 = 2_000;

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn timestamps(values: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
}

fn feature_rows(rng: &mut SplitMix) -> RecordBatch {
    let keys: Vec<i64> = (0..FEATURE_ROWS).map(|_| rng.below(KEYS) as i64).collect();
    let event: Vec<i64> = (0..FEATURE_ROWS)
        .map(|_| T0 + rng.below(SPAN_SECONDS) as i64 * SECOND)
        .collect();
    let created: Vec<i64> = event
        .iter()
        .map(|e| e + (60 + rng.below(3_600) as i64) * SECOND)
        .collect();
    let mut float = || -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            (0..FEATURE_ROWS).map(|_| rng.uniform()),
        ))
    };
    let (conv, acc, trips) = (float(), float(), float());
    RecordBatch::try_from_iter([
        ("driver_id", Arc::new(Int64Array::from(keys)) as ArrayRef),
        ("event_timestamp", timestamps(event)),
        ("created", timestamps(created)),
        ("conv_rate", conv),
        ("acc_rate", acc),
        ("avg_daily_trips", trips),
    ])
    .unwrap()
}

fn entity_rows(rng: &mut SplitMix) -> RecordBatch {
    let keys: Vec<i64> = (0..ENTITY_ROWS)
        .map(|_| rng.below(KEYS + KEYS / 10) as i64)
        .collect();
    let event: Vec<i64> = (0..ENTITY_ROWS)
        .map(|_| T0 + rng.below(SPAN_SECONDS) as i64 * SECOND)
        .collect();
    let label: Vec<i64> = (0..ENTITY_ROWS).map(|_| rng.below(2) as i64).collect();
    RecordBatch::try_from_iter([
        ("driver_id", Arc::new(Int64Array::from(keys)) as ArrayRef),
        ("event_timestamp", timestamps(event)),
        ("label", Arc::new(Int64Array::from(label)) as ArrayRef),
    ])
    .unwrap()
}

fn store(dir: &std::path::Path, rows: &RecordBatch) -> FeatureStore {
    let store = FeatureStore::open(dir.to_str().unwrap()).unwrap();
    store
        .register_entity(&Entity::new("driver", "driver_id", ValueType::Int64))
        .unwrap();
    store
        .register_feature_view(
            &FeatureView::new(
                "driver_stats",
                ["driver"],
                "event_timestamp",
                vec![
                    Feature::new("conv_rate", ValueType::Float64),
                    Feature::new("acc_rate", ValueType::Float64),
                    Feature::new("avg_daily_trips", ValueType::Float64),
                ],
            )
            .with_created_timestamp("created")
            .with_ttl_seconds(TTL_SECONDS),
        )
        .unwrap();
    store.write("driver_stats", rows, WriteMode::Append).unwrap();
    store
}

const REFS: [&str; 3] = [
    "driver_stats:conv_rate",
    "driver_stats:acc_rate",
    "driver_stats:avg_daily_trips",
];

fn bench_store(c: &mut Criterion) {
    let mut rng = SplitMix(7);
    let rows = feature_rows(&mut rng);
    let entities = entity_rows(&mut rng);
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), &rows);

    let mut group = c.benchmark_group("store_historical");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ENTITY_ROWS as u64));
    group.bench_function("historical_features_200k_x_20k", |b| {
        b.iter(|| store.historical_features(&entities, &REFS).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("store_write");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FEATURE_ROWS as u64));
    group.bench_function("append_200k", |b| {
        b.iter_batched(
            tempfile::TempDir::new,
            |fresh| {
                let fresh = fresh.unwrap();
                store_write(fresh.path(), &rows);
                fresh
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();

    let end = T0 + SPAN_SECONDS as i64 * SECOND;
    store.materialize("driver_stats", None, end).unwrap();
    let key =
        RecordBatch::try_from_iter([("driver_id", Arc::new(Int64Array::from(vec![17_i64])) as ArrayRef)])
            .unwrap();
    // The first read loads the snapshot; keep it out of the timing.
    store.online_features_with(&key, &REFS, false, Some(end)).unwrap();
    let mut group = c.benchmark_group("store_online");
    group.bench_function("online_features_single_key", |b| {
        b.iter(|| store.online_features_with(&key, &REFS, false, Some(end)).unwrap())
    });
    let batch: Vec<i64> = (0..1_000).map(|_| rng.below(KEYS) as i64).collect();
    let batch =
        RecordBatch::try_from_iter([("driver_id", Arc::new(Int64Array::from(batch)) as ArrayRef)]).unwrap();
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("online_features_1000_keys", |b| {
        b.iter(|| {
            store
                .online_features_with(&batch, &REFS, false, Some(end))
                .unwrap()
        })
    });
    group.finish();
}

/// Register and write `rows` into a new store at `dir` (the timed part of `append_200k`
/// includes the registration: two small JSON files).
fn store_write(dir: &std::path::Path, rows: &RecordBatch) {
    drop(store(dir, rows));
}

criterion_group!(benches, bench_store);
criterion_main!(benches);
