//! Integration tests of the feature store's offline side (`ferrops::store`): definitions,
//! writes (append, overwrite, upsert, schema enforcement and conversions), time travel,
//! point-in-time training sets, latest-per-key retrieval, and robustness (concurrent
//! writers, corrupted and orphan files).
//!
//! The point-in-time rules mirror Feast's published reference, `find_asof_record` and
//! `get_expected_training_df` in feast-dev/feast
//! `sdk/python/tests/integration/offline_store/test_universal_historical_retrieval.py`:
//! a feature row matches an entity row when the join keys are equal and
//! `entity_ts - ttl <= event_ts <= entity_ts` (both bounds inclusive), the latest event
//! timestamp wins; Feast's offline stores break event-time ties by the latest created
//! timestamp (`ORDER BY event_timestamp DESC, created_timestamp DESC`), keep one output
//! row per entity row, and raise `FeatureNameCollisionError` when two requested features
//! share a name without `full_feature_names`. The property test compares against a
//! brute-force oracle of exactly those rules (ties on keys, event and created time go to
//! the later write).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Date64Array, DictionaryArray, Float32Array,
    Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
};
use arrow::datatypes::{
    DataType, Field, Float64Type, Int32Type, Int64Type, Schema, TimeUnit, TimestampMicrosecondType,
};
use ferrops::store::{
    AsOf, Entity, Feature, FeatureStore, FeatureView, HistoricalOptions, ValueType, ViewVersion, WriteMode,
};
use ferrops::Error;
use proptest::prelude::*;
use tempfile::TempDir;

/// 2024-01-01T00:00:00Z in µs since the epoch.
const T0: i64 = 1_704_067_200_000_000;
/// One hour in µs.
const HOUR: i64 = 3_600_000_000;

/// `hours` after [`T0`], in µs.
fn t(hours: i64) -> i64 {
    T0 + hours * HOUR
}

fn rfc3339_micros(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

// ------------------------------------------------------------------ fixtures

/// One row of the `stats` view.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    key: i64,
    event: i64,
    created: Option<i64>,
    rate: Option<f64>,
    trips: Option<i64>,
}

fn r(key: i64, event: i64, created: Option<i64>, rate: f64) -> Row {
    Row {
        key,
        event,
        created,
        rate: Some(rate),
        trips: Some(key * 10),
    }
}

fn driver() -> Entity {
    Entity::new("driver", "driver_id", ValueType::Int64)
}

fn customer() -> Entity {
    Entity::new("customer", "customer_id", ValueType::String)
}

fn stats_view(created: bool, ttl: Option<i64>) -> FeatureView {
    let mut view = FeatureView::new(
        "stats",
        ["driver"],
        "event_timestamp",
        vec![
            Feature::new("conv_rate", ValueType::Float64),
            Feature::new("trips", ValueType::Int64),
        ],
    );
    if created {
        view = view.with_created_timestamp("created");
    }
    if let Some(ttl) = ttl {
        view = view.with_ttl_seconds(ttl);
    }
    view
}

/// A view `cust` of the customer entity: `balance` and a `conv_rate` that collides with
/// `stats:conv_rate`.
fn cust_view() -> FeatureView {
    FeatureView::new(
        "cust",
        ["customer"],
        "event_timestamp",
        vec![
            Feature::new("balance", ValueType::Float64),
            Feature::new("conv_rate", ValueType::Float64),
        ],
    )
}

/// A store with the `driver` entity and the `stats` view.
fn open(created: bool, ttl: Option<i64>) -> (TempDir, FeatureStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FeatureStore::open(dir.path().to_str().unwrap()).unwrap();
    store.register_entity(&driver()).unwrap();
    store.register_feature_view(&stats_view(created, ttl)).unwrap();
    (dir, store)
}

fn utc(values: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
}

fn utc_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn make_batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// The `stats` rows as a batch (with the `created` column when `created`).
fn batch(rows: &[Row], created: bool) -> RecordBatch {
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        (
            "driver_id",
            Arc::new(Int64Array::from(rows.iter().map(|r| r.key).collect::<Vec<_>>())),
        ),
        (
            "event_timestamp",
            utc(rows.iter().map(|r| Some(r.event)).collect()),
        ),
    ];
    if created {
        columns.push(("created", utc(rows.iter().map(|r| r.created).collect())));
    }
    columns.push((
        "conv_rate",
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.rate).collect::<Vec<_>>(),
        )),
    ));
    columns.push((
        "trips",
        Arc::new(Int64Array::from(rows.iter().map(|r| r.trips).collect::<Vec<_>>())),
    ));
    make_batch(columns)
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a ArrayRef {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column `{name}` in {:?}", b.schema()))
}

fn f64s(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    col(b, name).as_primitive::<Float64Type>().iter().collect()
}

fn i64s(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    col(b, name).as_primitive::<Int64Type>().iter().collect()
}

fn micros(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    col(b, name)
        .as_primitive::<TimestampMicrosecondType>()
        .iter()
        .collect()
}

fn strs(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    col(b, name)
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

/// The rows of a `stats` batch, in order.
fn rows_of(b: &RecordBatch) -> Vec<Row> {
    let keys = i64s(b, "driver_id");
    let events = micros(b, "event_timestamp");
    let created = if b.column_by_name("created").is_some() {
        micros(b, "created")
    } else {
        vec![None; b.num_rows()]
    };
    let rates = f64s(b, "conv_rate");
    let trips = i64s(b, "trips");
    (0..b.num_rows())
        .map(|i| Row {
            key: keys[i].unwrap(),
            event: events[i].unwrap(),
            created: created[i],
            rate: rates[i],
            trips: trips[i],
        })
        .collect()
}

fn contents(store: &FeatureStore, as_of: AsOf) -> Vec<Row> {
    rows_of(&store.read("stats", as_of).unwrap())
}

/// Entity rows: `driver_id`, `event_timestamp` (µs UTC) and a `label` (the row index).
fn entity_rows(rows: &[(Option<i64>, Option<i64>)]) -> RecordBatch {
    make_batch(vec![
        (
            "driver_id",
            Arc::new(Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
        ),
        ("event_timestamp", utc(rows.iter().map(|r| r.1).collect())),
        (
            "label",
            Arc::new(Float64Array::from(
                (0..rows.len()).map(|i| i as f64).collect::<Vec<_>>(),
            )),
        ),
    ])
}

fn entities_at(rows: &[(i64, i64)]) -> RecordBatch {
    entity_rows(
        &rows
            .iter()
            .map(|&(k, ts)| (Some(k), Some(ts)))
            .collect::<Vec<_>>(),
    )
}

/// `conv_rate` of `historical_features` for these entity rows.
fn pit_rates(store: &FeatureStore, rows: &[(i64, i64)]) -> Vec<Option<f64>> {
    let out = store
        .historical_features(&entities_at(rows), &["stats:conv_rate"])
        .unwrap();
    assert_eq!(out.num_rows(), rows.len());
    f64s(&out, "conv_rate")
}

fn pit_rates_with(
    store: &FeatureStore,
    rows: &[(i64, i64)],
    options: &HistoricalOptions,
) -> Vec<Option<f64>> {
    let out = store
        .historical_features_with(&entities_at(rows), &["stats:conv_rate"], options)
        .unwrap()
        .table;
    assert_eq!(out.num_rows(), rows.len());
    f64s(&out, "conv_rate")
}

/// `latest_features` of `stats` as key → conv_rate.
fn latest_map(store: &FeatureStore, start: Option<i64>, end: Option<i64>) -> BTreeMap<i64, f64> {
    let out = store.latest_features("stats", None, start, end).unwrap();
    let keys = i64s(&out, "driver_id");
    let rates = f64s(&out, "conv_rate");
    let mut map = BTreeMap::new();
    for (k, v) in keys.into_iter().zip(rates) {
        assert!(map.insert(k.unwrap(), v.unwrap()).is_none(), "key listed twice");
    }
    map
}

/// `b` with column `name` replaced by `array` (which may change its type).
fn replace(b: &RecordBatch, name: &str, array: ArrayRef) -> RecordBatch {
    let columns: Vec<(&str, ArrayRef)> = b
        .schema_ref()
        .fields()
        .iter()
        .zip(b.columns())
        .map(|(f, c)| {
            if f.name() == name {
                (f.name().as_str(), array.clone())
            } else {
                (f.name().as_str(), c.clone())
            }
        })
        .collect();
    make_batch(columns)
}

fn without(b: &RecordBatch, name: &str) -> RecordBatch {
    let keep: Vec<usize> = (0..b.num_columns())
        .filter(|&i| b.schema().field(i).name() != name)
        .collect();
    b.project(&keep).unwrap()
}

fn with_column(b: &RecordBatch, name: &str, array: ArrayRef) -> RecordBatch {
    let mut columns: Vec<(&str, ArrayRef)> = b
        .schema_ref()
        .fields()
        .iter()
        .zip(b.columns())
        .map(|(f, c)| (f.name().as_str(), c.clone()))
        .collect();
    columns.push((name, array));
    make_batch(columns)
}

/// The Parquet data files of a view's table (not the log).
fn data_files(dir: &Path, view: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("views").join(view)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn log_file(dir: &Path, view: &str, version: u64) -> PathBuf {
    dir.join("views")
        .join(view)
        .join("_delta_log")
        .join(format!("{version:020}.json"))
}

// ------------------------------------------------------------------ 1. definitions

#[test]
fn definitions_register_list_get_and_reregister_is_a_noop() {
    let (dir, store) = open(true, Some(7200));
    assert_eq!(store.entities().unwrap(), vec![driver()]);
    assert_eq!(store.entity("driver").unwrap(), driver());
    assert_eq!(store.feature_views().unwrap(), vec![stats_view(true, Some(7200))]);
    assert_eq!(store.feature_view("stats").unwrap(), stats_view(true, Some(7200)));

    store.register_entity(&customer()).unwrap();
    store.register_feature_view(&cust_view()).unwrap();
    let entity_names: Vec<String> = store.entities().unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(entity_names, ["customer", "driver"]);
    let mut view_names: Vec<String> = store
        .feature_views()
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    view_names.sort();
    assert_eq!(view_names, ["cust", "stats"]);

    // Re-registering the same definitions changes nothing, data included.
    store
        .write("stats", &batch(&[r(1, t(0), None, 0.5)], true), WriteMode::Append)
        .unwrap();
    store.register_entity(&driver()).unwrap();
    store
        .register_feature_view(&stats_view(true, Some(7200)))
        .unwrap();
    assert_eq!(store.version("stats").unwrap(), 1);
    assert_eq!(contents(&store, AsOf::Latest), vec![r(1, t(0), None, 0.5)]);
    assert_eq!(store.history("stats").unwrap().len(), 2);

    // Unknown names.
    match store.feature_view("nope") {
        Err(Error::NotRegistered {
            what,
            name,
            available,
        }) => {
            assert_eq!(what, "feature view");
            assert_eq!(name, "nope");
            assert!(available.contains(&"stats".to_string()), "{available:?}");
        }
        other => panic!("expected NotRegistered, got {other:?}"),
    }
    assert!(matches!(
        store.entity("nope"),
        Err(Error::NotRegistered { what: "entity", .. })
    ));
    assert!(matches!(store.version("nope"), Err(Error::NotRegistered { .. })));
    assert!(matches!(
        store.read("nope", AsOf::Latest),
        Err(Error::NotRegistered { .. })
    ));
    assert!(matches!(store.history("nope"), Err(Error::NotRegistered { .. })));
    assert!(matches!(
        store.write("nope", &batch(&[], true), WriteMode::Append),
        Err(Error::NotRegistered { .. })
    ));

    // A second handle on the same directory sees the same definitions and data.
    let again = FeatureStore::open(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(again.feature_view("stats").unwrap(), stats_view(true, Some(7200)));
    assert_eq!(again.entity("customer").unwrap(), customer());
    assert_eq!(contents(&again, AsOf::Latest), vec![r(1, t(0), None, 0.5)]);
}

#[test]
fn definitions_shape_changes_refused_metadata_changes_accepted() {
    let (_dir, store) = open(false, None);
    let refused = |view: FeatureView| match store.register_feature_view(&view) {
        Err(Error::Definition { what, name, .. }) => {
            assert_eq!(what, "feature view");
            assert_eq!(name, "stats");
        }
        other => panic!("expected Definition for {view:?}, got {other:?}"),
    };
    let mut more = stats_view(false, None);
    more.features.push(Feature::new("extra", ValueType::Float64));
    refused(more);
    let mut fewer = stats_view(false, None);
    fewer.features.pop();
    refused(fewer);
    let mut retyped = stats_view(false, None);
    retyped.features[0].dtype = ValueType::Float32;
    refused(retyped);
    let mut retimed = stats_view(false, None);
    retimed.timestamp_field = "ts".into();
    refused(retimed);
    refused(stats_view(true, None));
    assert_eq!(store.feature_view("stats").unwrap(), stats_view(false, None));

    // Description, TTL, owner and tags may change.
    let updated = stats_view(false, None)
        .with_description("driver statistics")
        .with_ttl_seconds(60)
        .with_owner("ml-team")
        .with_tag("tier", "gold");
    store.register_feature_view(&updated).unwrap();
    assert_eq!(store.feature_view("stats").unwrap(), updated);
    let back = stats_view(false, None).with_ttl_seconds(0);
    store.register_feature_view(&back).unwrap();
    assert_eq!(store.feature_view("stats").unwrap().ttl_seconds, Some(0));

    // Entities: metadata may change, join keys may not while a view uses them.
    let described = driver().with_description("a driver").with_owner("ops");
    store.register_entity(&described).unwrap();
    assert_eq!(store.entity("driver").unwrap(), described);
    match store.register_entity(&Entity::new("driver", "other_id", ValueType::Int64)) {
        Err(Error::Definition { what, reason, .. }) => {
            assert_eq!(what, "entity");
            assert!(reason.contains("stats"), "{reason}");
        }
        other => panic!("expected Definition, got {other:?}"),
    }
    assert_eq!(store.entity("driver").unwrap(), described);
    store.register_entity(&customer()).unwrap();
    let rekeyed = Entity::new("customer", "cust_no", ValueType::Int64);
    store.register_entity(&rekeyed).unwrap();
    assert_eq!(store.entity("customer").unwrap(), rekeyed);

    // Invalid definitions.
    let negative = FeatureView::new(
        "neg",
        ["driver"],
        "event_timestamp",
        vec![Feature::new("x", ValueType::Float64)],
    )
    .with_ttl_seconds(-1);
    assert!(matches!(
        store.register_feature_view(&negative),
        Err(Error::Definition { .. })
    ));
    let empty = FeatureView::new("empty", ["driver"], "event_timestamp", vec![]);
    assert!(matches!(
        store.register_feature_view(&empty),
        Err(Error::Definition { .. })
    ));
    assert!(matches!(
        store.register_entity(&Entity::new("pos", "x", ValueType::Float64)),
        Err(Error::Definition { .. })
    ));
    assert!(matches!(
        store.register_entity(&Entity::with_keys("none", vec![])),
        Err(Error::Definition { .. })
    ));
    let mut names: Vec<String> = store
        .feature_views()
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    names.sort();
    assert_eq!(names, ["stats"]);
}

#[test]
fn definitions_unknown_entity_and_duplicate_columns() {
    let (_dir, store) = open(false, None);
    let unknown = FeatureView::new(
        "rides",
        ["driver", "rider"],
        "event_timestamp",
        vec![Feature::new("x", ValueType::Float64)],
    );
    match store.register_feature_view(&unknown) {
        Err(Error::NotRegistered {
            what,
            name,
            available,
        }) => {
            assert_eq!(what, "entity");
            assert_eq!(name, "rider");
            assert_eq!(available, ["driver"]);
        }
        other => panic!("expected NotRegistered, got {other:?}"),
    }
    assert!(!store.feature_views().unwrap().iter().any(|v| v.name == "rides"));

    let cases: Vec<(FeatureView, &str)> = vec![
        (
            FeatureView::new(
                "dup",
                ["driver"],
                "event_timestamp",
                vec![Feature::new("driver_id", ValueType::Int64)],
            ),
            "driver_id",
        ),
        (
            FeatureView::new(
                "dup",
                ["driver"],
                "event_timestamp",
                vec![
                    Feature::new("speed", ValueType::Float64),
                    Feature::new("speed", ValueType::Int64),
                ],
            ),
            "speed",
        ),
        (
            FeatureView::new(
                "dup",
                ["driver"],
                "event_timestamp",
                vec![Feature::new("event_timestamp", ValueType::Timestamp)],
            ),
            "event_timestamp",
        ),
        (
            FeatureView::new(
                "dup",
                ["driver"],
                "driver_id",
                vec![Feature::new("x", ValueType::Float64)],
            ),
            "driver_id",
        ),
        (
            FeatureView::new(
                "dup",
                ["driver"],
                "event_timestamp",
                vec![Feature::new("x", ValueType::Float64)],
            )
            .with_created_timestamp("x"),
            "x",
        ),
        (
            FeatureView::new(
                "dup",
                ["driver", "driver"],
                "event_timestamp",
                vec![Feature::new("x", ValueType::Float64)],
            ),
            "driver",
        ),
    ];
    for (view, column) in cases {
        match store.register_feature_view(&view) {
            Err(e @ Error::Definition { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains(&format!("`{column}`")),
                    "{message} should name {column}"
                );
            }
            other => panic!("expected Definition naming {column}, got {other:?}"),
        }
    }
    let duplicate_key = Entity::with_keys(
        "pair",
        vec![
            Feature::new("a", ValueType::Int64),
            Feature::new("a", ValueType::String),
        ],
    );
    match store.register_entity(&duplicate_key) {
        Err(e @ Error::Definition { .. }) => assert!(e.to_string().contains("`a`"), "{e}"),
        other => panic!("expected Definition, got {other:?}"),
    }
    assert!(!store.feature_views().unwrap().iter().any(|v| v.name == "dup"));
}

#[test]
fn definitions_hostile_names_are_refused_everywhere() {
    let root = tempfile::tempdir().unwrap();
    let store_dir = root.path().join("store");
    let store = FeatureStore::open(store_dir.to_str().unwrap()).unwrap();
    store.register_entity(&driver()).unwrap();
    store.register_feature_view(&stats_view(false, None)).unwrap();
    let long = "a".repeat(200);
    let hostile = [
        "..",
        "a/b",
        "/abs",
        "a\\b",
        "",
        long.as_str(),
        "../escape",
        "C:x",
        "a b",
        "x.json",
        "nul\0",
    ];
    let invalid = |result: ferrops::Result<()>, what: &str, name: &str| match result {
        Err(Error::InvalidName { .. }) => {}
        other => panic!("{what} name {name:?}: expected InvalidName, got {other:?}"),
    };
    for bad in hostile {
        invalid(
            store.register_entity(&Entity::new(bad, "driver_id", ValueType::Int64)),
            "entity",
            bad,
        );
        invalid(
            store.register_entity(&Entity::new("fine", bad, ValueType::Int64)),
            "join key",
            bad,
        );
        invalid(
            store.register_feature_view(&FeatureView::new(
                bad,
                ["driver"],
                "event_timestamp",
                vec![Feature::new("x", ValueType::Float64)],
            )),
            "view",
            bad,
        );
        invalid(
            store.register_feature_view(&FeatureView::new(
                "fine",
                ["driver"],
                "event_timestamp",
                vec![Feature::new(bad, ValueType::Float64)],
            )),
            "feature",
            bad,
        );
        invalid(
            store.register_feature_view(&FeatureView::new(
                "fine",
                ["driver"],
                bad,
                vec![Feature::new("x", ValueType::Float64)],
            )),
            "timestamp",
            bad,
        );
        invalid(
            store.register_feature_view(
                &FeatureView::new(
                    "fine",
                    ["driver"],
                    "event_timestamp",
                    vec![Feature::new("x", ValueType::Float64)],
                )
                .with_created_timestamp(bad),
            ),
            "created timestamp",
            bad,
        );
        invalid(
            store
                .add_features("stats", vec![Feature::new(bad, ValueType::Float64)])
                .map(|_| ()),
            "added feature",
            bad,
        );
        invalid(store.entity(bad).map(|_| ()), "entity lookup", bad);
        invalid(store.feature_view(bad).map(|_| ()), "view lookup", bad);
        invalid(store.read(bad, AsOf::Latest).map(|_| ()), "view read", bad);
        invalid(
            store
                .write(bad, &batch(&[], false), WriteMode::Append)
                .map(|_| ()),
            "view write",
            bad,
        );
        if bad.contains(':') {
            continue; // `C:x` parses as view `C`, feature `x:conv_rate`
        }
        let reference = format!("{bad}:conv_rate");
        invalid(
            store
                .historical_features(&entities_at(&[(1, t(0))]), &[reference.as_str()])
                .map(|_| ()),
            "historical view",
            bad,
        );
    }
    // `__` separates view and feature in full names: refused in a view name only.
    invalid(
        store.register_feature_view(&FeatureView::new(
            "a__b",
            ["driver"],
            "event_timestamp",
            vec![Feature::new("x", ValueType::Float64)],
        )),
        "view",
        "a__b",
    );
    // Nothing was created anywhere: not outside the store, not inside.
    let outside: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, [std::ffi::OsString::from("store")]);
    let views: Vec<_> = std::fs::read_dir(store_dir.join("views"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(views, [std::ffi::OsString::from("stats")]);
    assert_eq!(store.entities().unwrap(), vec![driver()]);
    assert_eq!(store.feature_views().unwrap(), vec![stats_view(false, None)]);
    assert_eq!(store.version("stats").unwrap(), 0);
}

#[test]
fn definitions_are_readable_json_files() {
    let (dir, store) = open(true, Some(3600));
    let read_json = |relative: &str| -> serde_json::Value {
        let bytes = std::fs::read(dir.path().join(relative)).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let entity = read_json("_ferrops/entities/driver.json");
    assert_eq!(entity["name"], "driver");
    assert_eq!(
        entity["join_keys"],
        serde_json::json!([{"name": "driver_id", "dtype": "int64"}])
    );
    let view = read_json("_ferrops/feature_views/stats.json");
    assert_eq!(view["name"], "stats");
    assert_eq!(view["entities"], serde_json::json!(["driver"]));
    assert_eq!(view["timestamp_field"], "event_timestamp");
    assert_eq!(view["created_timestamp_field"], "created");
    assert_eq!(view["ttl_seconds"], 3600);
    assert_eq!(
        view["features"],
        serde_json::json!([
            {"name": "conv_rate", "dtype": "float64"},
            {"name": "trips", "dtype": "int64"}
        ])
    );
    assert_eq!(
        serde_json::from_value::<FeatureView>(view).unwrap(),
        stats_view(true, Some(3600))
    );
    assert_eq!(serde_json::from_value::<Entity>(entity).unwrap(), driver());
    // The view's data is a Delta Lake table.
    assert!(log_file(dir.path(), "stats", 0).is_file());

    // A definition hand-edited into something that is not a definition: an error naming
    // the file, not a panic and not a silently missing view.
    std::fs::write(
        dir.path().join("_ferrops/feature_views/stats.json"),
        b"{ not json",
    )
    .unwrap();
    match store.feature_view("stats") {
        Err(e @ Error::Store { .. }) => assert!(e.to_string().contains("stats.json"), "{e}"),
        other => panic!("expected Store, got {other:?}"),
    }
    assert!(matches!(store.feature_views(), Err(Error::Store { .. })));
}

// ------------------------------------------------------------------ 2. writes

#[test]
fn appends_make_versions_in_order() {
    let (_dir, store) = open(true, None);
    assert_eq!(store.version("stats").unwrap(), 0);
    let empty = store.read("stats", AsOf::Latest).unwrap();
    assert_eq!(empty.num_rows(), 0);
    let names: Vec<&str> = empty
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        names,
        ["driver_id", "event_timestamp", "created", "conv_rate", "trips"]
    );

    let a = [r(2, t(1), None, 0.2), r(1, t(0), Some(t(0)), 0.1)];
    let written = store.write("stats", &batch(&a, true), WriteMode::Append).unwrap();
    assert_eq!(written.view, "stats");
    assert_eq!(written.version, 1);
    assert_eq!(written.rows, 2);
    assert_eq!(written.mode, WriteMode::Append);
    let b = [Row {
        key: 1,
        event: t(2),
        created: None,
        rate: None,
        trips: None,
    }];
    assert_eq!(
        store
            .write("stats", &batch(&b, true), WriteMode::Append)
            .unwrap()
            .version,
        2
    );
    let c = [r(3, t(3), Some(t(4)), 0.3), r(3, t(3), Some(t(4)), 0.4)];
    assert_eq!(
        store
            .write("stats", &batch(&c, true), WriteMode::Append)
            .unwrap()
            .version,
        3
    );
    assert_eq!(store.version("stats").unwrap(), 3);
    let all: Vec<Row> = a.iter().chain(&b).chain(&c).copied().collect();
    assert_eq!(contents(&store, AsOf::Latest), all);
    // Stored types are the canonical ones.
    let stored = store.read("stats", AsOf::Latest).unwrap();
    assert_eq!(
        stored
            .schema()
            .field_with_name("event_timestamp")
            .unwrap()
            .data_type(),
        &utc_type()
    );
    // An empty append commits nothing.
    let none = store
        .write("stats", &batch(&[], true), WriteMode::Append)
        .unwrap();
    assert_eq!(none.rows, 0);
    assert_eq!(store.version("stats").unwrap(), 3);
    assert_eq!(contents(&store, AsOf::Latest), all);
}

#[test]
fn refused_writes_change_nothing() {
    let (_dir, store) = open(true, None);
    let good = batch(&[r(1, t(0), Some(t(0)), 0.5), r(2, t(1), None, 0.7)], true);
    store.write("stats", &good, WriteMode::Append).unwrap();
    let before = store.read("stats", AsOf::Latest).unwrap();
    let unchanged = || {
        assert_eq!(store.version("stats").unwrap(), 1);
        assert_eq!(store.read("stats", AsOf::Latest).unwrap(), before);
    };
    let modes = [WriteMode::Append, WriteMode::Overwrite, WriteMode::Upsert];

    for missing in ["conv_rate", "trips", "created", "driver_id", "event_timestamp"] {
        for mode in modes {
            match store.write("stats", &without(&good, missing), mode) {
                Err(Error::ColumnNotFound { column, .. }) => assert_eq!(column, missing),
                other => panic!("missing {missing}: expected ColumnNotFound, got {other:?}"),
            }
            unchanged();
        }
    }

    let retyped: Vec<(&str, ArrayRef)> = vec![
        ("conv_rate", Arc::new(Float32Array::from(vec![0.5, 0.7]))),
        ("trips", Arc::new(StringArray::from(vec!["1", "2"]))),
        ("trips", Arc::new(Int32Array::from(vec![1, 2]))),
        ("trips", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
        ("driver_id", Arc::new(StringArray::from(vec!["1", "2"]))),
        ("event_timestamp", Arc::new(Int64Array::from(vec![t(0), t(1)]))),
        (
            "event_timestamp",
            Arc::new(StringArray::from(vec![
                "2024-01-01T00:00:00Z",
                "2024-01-01T01:00:00Z",
            ])),
        ),
        ("created", Arc::new(Date32Array::from(vec![19723, 19723]))),
    ];
    for (name, array) in retyped {
        let data_type = array.data_type().clone();
        for mode in modes {
            match store.write("stats", &replace(&good, name, array.clone()), mode) {
                Err(Error::ColumnType { column, .. }) => assert_eq!(column, name),
                other => panic!("{name} as {data_type}: expected ColumnType, got {other:?}"),
            }
            unchanged();
        }
    }

    for mode in modes {
        let extra = with_column(&good, "surprise", Arc::new(Float64Array::from(vec![1.0, 2.0])));
        match store.write("stats", &extra, mode) {
            Err(e @ Error::Definition { .. }) => {
                assert!(e.to_string().contains("surprise"), "{e}")
            }
            other => panic!("extra column: expected Definition, got {other:?}"),
        }
        unchanged();
    }

    let null_key = replace(
        &good,
        "driver_id",
        Arc::new(Int64Array::from(vec![Some(1), None])),
    );
    let null_event = replace(&good, "event_timestamp", utc(vec![None, Some(t(1))]));
    for mode in modes {
        match store.write("stats", &null_key, mode) {
            Err(Error::InvalidValue { column, row, .. }) => {
                assert_eq!((column.as_str(), row), ("driver_id", 1))
            }
            other => panic!("null key: expected InvalidValue, got {other:?}"),
        }
        unchanged();
        match store.write("stats", &null_event, mode) {
            Err(Error::InvalidValue { column, row, .. }) => {
                assert_eq!((column.as_str(), row), ("event_timestamp", 0))
            }
            other => panic!("null event: expected InvalidValue, got {other:?}"),
        }
        unchanged();
    }

    // Null created timestamps and null features are fine.
    let nulls = [Row {
        key: 3,
        event: t(2),
        created: None,
        rate: None,
        trips: None,
    }];
    store
        .write("stats", &batch(&nulls, true), WriteMode::Append)
        .unwrap();
    assert_eq!(contents(&store, AsOf::Latest).last(), Some(&nulls[0]));
}

#[test]
fn strings_and_timestamps_of_any_layout_are_converted_on_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = FeatureStore::open(dir.path().to_str().unwrap()).unwrap();
    store.register_entity(&customer()).unwrap();
    let profile = FeatureView::new(
        "profile",
        ["customer"],
        "event_timestamp",
        vec![
            Feature::new("name", ValueType::String),
            Feature::new("score", ValueType::Float32),
            Feature::new("active", ValueType::Bool),
            Feature::new("since", ValueType::Date),
        ],
    )
    .with_created_timestamp("created");
    store.register_feature_view(&profile).unwrap();

    let noon_plus_two = chrono::DateTime::parse_from_rfc3339("2024-01-01T12:00:00+02:00").unwrap();
    let ten_z = rfc3339_micros("2024-01-01T10:00:00Z");
    assert_eq!(ten_z, t(10));
    // LargeUtf8 strings, naive ns event times, ms times in +02:00.
    let first = make_batch(vec![
        ("customer_id", Arc::new(LargeStringArray::from(vec!["a", "b"]))),
        (
            "event_timestamp",
            Arc::new(TimestampNanosecondArray::from(vec![t(10) * 1000, t(11) * 1000])),
        ),
        (
            "created",
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(noon_plus_two.timestamp_millis()), None])
                    .with_timezone("+02:00"),
            ),
        ),
        ("name", Arc::new(LargeStringArray::from(vec![Some("x"), None]))),
        ("score", Arc::new(Float32Array::from(vec![1.5, 2.5]))),
        ("active", Arc::new(BooleanArray::from(vec![true, false]))),
        ("since", Arc::new(Date32Array::from(vec![19000, 19001]))),
    ]);
    store.write("profile", &first, WriteMode::Append).unwrap();
    // Utf8View strings, second-unit times in +05:30, naive µs created times,
    // dictionary-encoded strings.
    let names: DictionaryArray<Int32Type> = vec!["y", "y"].into_iter().collect();
    let second = make_batch(vec![
        ("customer_id", Arc::new(StringViewArray::from(vec!["c", "a"]))),
        (
            "event_timestamp",
            Arc::new(
                TimestampSecondArray::from(vec![t(12) / 1_000_000, t(13) / 1_000_000])
                    .with_timezone("+05:30"),
            ),
        ),
        (
            "created",
            Arc::new(TimestampMicrosecondArray::from(vec![Some(t(12)), Some(t(14))])),
        ),
        ("name", Arc::new(names)),
        ("score", Arc::new(Float32Array::from(vec![3.5, 4.5]))),
        ("active", Arc::new(BooleanArray::from(vec![None, Some(true)]))),
        ("since", Arc::new(Date32Array::from(vec![19002, 19003]))),
    ]);
    store.write("profile", &second, WriteMode::Append).unwrap();

    let stored = store.read("profile", AsOf::Latest).unwrap();
    let schema = stored.schema();
    assert_eq!(
        schema.field_with_name("customer_id").unwrap().data_type(),
        &DataType::Utf8
    );
    assert_eq!(
        schema.field_with_name("name").unwrap().data_type(),
        &DataType::Utf8
    );
    assert_eq!(
        schema.field_with_name("event_timestamp").unwrap().data_type(),
        &utc_type()
    );
    assert_eq!(
        schema.field_with_name("created").unwrap().data_type(),
        &utc_type()
    );
    let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    assert_eq!(strs(&stored, "customer_id"), some(&["a", "b", "c", "a"]));
    assert_eq!(
        strs(&stored, "name"),
        vec![Some("x".into()), None, Some("y".into()), Some("y".into())]
    );
    assert_eq!(
        micros(&stored, "event_timestamp"),
        vec![Some(t(10)), Some(t(11)), Some(t(12)), Some(t(13))]
    );
    // 12:00+02:00 is 10:00Z.
    assert_eq!(
        micros(&stored, "created"),
        vec![Some(ten_z), None, Some(t(12)), Some(t(14))]
    );
    let scores: Vec<Option<f32>> = col(&stored, "score")
        .as_primitive::<arrow::datatypes::Float32Type>()
        .iter()
        .collect();
    assert_eq!(scores, vec![Some(1.5), Some(2.5), Some(3.5), Some(4.5)]);
    let active: Vec<Option<bool>> = col(&stored, "active").as_boolean().iter().collect();
    assert_eq!(active, vec![Some(true), Some(false), None, Some(true)]);
    let since: Vec<Option<i32>> = col(&stored, "since")
        .as_primitive::<arrow::datatypes::Date32Type>()
        .iter()
        .collect();
    assert_eq!(since, vec![Some(19000), Some(19001), Some(19002), Some(19003)]);

    // String keys of any layout also work on the entity side.
    let entity = make_batch(vec![
        (
            "customer_id",
            Arc::new(StringViewArray::from(vec!["a", "b", "z", "a"])),
        ),
        (
            "event_timestamp",
            utc(vec![Some(t(12)), Some(t(12)), Some(t(12)), Some(t(13))]),
        ),
    ]);
    let out = store
        .historical_features(&entity, &["profile:name", "profile:score"])
        .unwrap();
    assert_eq!(
        strs(&out, "name"),
        vec![Some("x".into()), None, None, Some("y".into())]
    );
    let dictionary: DictionaryArray<Int32Type> = vec!["a", "b", "z", "a"].into_iter().collect();
    for keys in [
        Arc::new(dictionary) as ArrayRef,
        Arc::new(LargeStringArray::from(vec!["a", "b", "z", "a"])),
    ] {
        let entity = replace(&entity, "customer_id", keys);
        let again = store
            .historical_features(&entity, &["profile:name", "profile:score"])
            .unwrap();
        assert_eq!(strs(&again, "name"), strs(&out, "name"));
    }
}

#[test]
fn overwrite_replaces_everything() {
    let (dir, store) = open(false, None);
    let a = [r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)];
    let b = [r(3, t(1), None, 3.0)];
    store
        .write("stats", &batch(&a, false), WriteMode::Append)
        .unwrap();
    store
        .write("stats", &batch(&b, false), WriteMode::Append)
        .unwrap();
    let c = [r(1, t(5), None, 10.0)];
    let w = store
        .write("stats", &batch(&c, false), WriteMode::Overwrite)
        .unwrap();
    assert_eq!((w.version, w.mode), (3, WriteMode::Overwrite));
    assert_eq!(contents(&store, AsOf::Latest), c);
    let before: Vec<Row> = a.iter().chain(&b).copied().collect();
    assert_eq!(contents(&store, AsOf::Version(2)), before);
    // The training set follows: driver 2 has no row any more.
    assert_eq!(
        pit_rates(&store, &[(1, t(6)), (2, t(6)), (1, t(2))]),
        vec![Some(10.0), None, None]
    );
    let history = store.history("stats").unwrap();
    assert_eq!(history[3].mode.as_deref(), Some("overwrite"));
    assert_eq!(history[3].files_removed, 2);
    assert_eq!(history[3].rows_added, 1);
    // Overwriting with no rows empties the view.
    let w = store
        .write("stats", &batch(&[], false), WriteMode::Overwrite)
        .unwrap();
    assert_eq!(w.version, 4);
    assert!(contents(&store, AsOf::Latest).is_empty());
    assert_eq!(contents(&store, AsOf::Version(3)), c);
    // Old data files stay on disk for time travel.
    assert!(data_files(dir.path(), "stats").len() >= 3);
}

#[test]
fn upsert_replaces_rows_with_the_same_keys_and_event_time() {
    let (_dir, store) = open(true, None);
    let first = [
        r(1, t(0), Some(t(0)), 1.0),
        r(1, t(1), Some(t(1)), 2.0),
        r(2, t(0), Some(t(0)), 3.0),
    ];
    let second = [r(3, t(0), Some(t(0)), 4.0), r(1, t(2), Some(t(2)), 5.0)];
    store
        .write("stats", &batch(&first, true), WriteMode::Append)
        .unwrap();
    store
        .write("stats", &batch(&second, true), WriteMode::Append)
        .unwrap();
    // (1, t1) and (3, t0) exist (in two different files); (4, t0) is new. The created
    // timestamp plays no part: an upsert with an older one still replaces.
    let upsert = [
        r(1, t(1), Some(t(0)), 20.0),
        r(3, t(0), Some(t(5)), 40.0),
        r(4, t(0), None, 6.0),
    ];
    let w = store
        .write("stats", &batch(&upsert, true), WriteMode::Upsert)
        .unwrap();
    assert_eq!((w.version, w.rows, w.mode), (3, 3, WriteMode::Upsert));
    // Untouched rows keep their write order; the upserted rows come last.
    let expected = vec![
        r(1, t(0), Some(t(0)), 1.0),
        r(2, t(0), Some(t(0)), 3.0),
        r(1, t(2), Some(t(2)), 5.0),
        r(1, t(1), Some(t(0)), 20.0),
        r(3, t(0), Some(t(5)), 40.0),
        r(4, t(0), None, 6.0),
    ];
    assert_eq!(contents(&store, AsOf::Latest), expected);
    let pairs: BTreeSet<(i64, i64)> = expected.iter().map(|r| (r.key, r.event)).collect();
    assert_eq!(pairs.len(), expected.len(), "superseded rows remain");
    // Time travel still sees the replaced rows.
    let old: Vec<Row> = first.iter().chain(&second).copied().collect();
    assert_eq!(contents(&store, AsOf::Version(2)), old);
    let history = store.history("stats").unwrap();
    let entry = &history[3];
    assert_eq!(entry.mode.as_deref(), Some("upsert"));
    assert_eq!(entry.rows_written, Some(3));
    assert_eq!(entry.files_removed, 2);
    assert_eq!(entry.files_added, 3);
    assert_eq!(entry.rows_added, 6);
    // Training sets read the upserted values, even though the replacement's created
    // timestamp is older than the replaced row's.
    assert_eq!(
        pit_rates(&store, &[(1, t(1)), (3, t(0)), (4, t(9)), (1, t(9))]),
        vec![Some(20.0), Some(40.0), Some(6.0), Some(5.0)]
    );
    // An upsert that matches nothing only appends.
    let fresh = [r(5, t(0), None, 7.0)];
    store
        .write("stats", &batch(&fresh, true), WriteMode::Upsert)
        .unwrap();
    let entry = store.history("stats").unwrap().pop().unwrap();
    assert_eq!((entry.files_removed, entry.files_added), (0, 1));
    let mut all = expected.clone();
    all.extend(fresh);
    assert_eq!(contents(&store, AsOf::Latest), all);
    // An upsert of an entire file's rows removes that file.
    store
        .write("stats", &batch(&[r(5, t(0), None, 8.0)], true), WriteMode::Upsert)
        .unwrap();
    let entry = store.history("stats").unwrap().pop().unwrap();
    assert_eq!(
        (entry.files_removed, entry.files_added, entry.rows_added),
        (1, 1, 1)
    );
    all.pop();
    all.push(r(5, t(0), None, 8.0));
    assert_eq!(contents(&store, AsOf::Latest), all);
}

#[test]
fn history_lists_every_commit() {
    let (_dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 3.0)], false),
            WriteMode::Upsert,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(1), None, 1.0),
                    r(2, t(1), None, 1.0),
                    r(3, t(1), None, 1.0),
                ],
                false,
            ),
            WriteMode::Overwrite,
        )
        .unwrap();
    let added = store
        .add_features("stats", vec![Feature::new("speed", ValueType::Float64)])
        .unwrap();
    assert_eq!(added, 4);
    let history = store.history("stats").unwrap();
    let versions: Vec<u64> = history.iter().map(|h| h.version).collect();
    assert_eq!(versions, [0, 1, 2, 3, 4]);
    assert_eq!(history[0].operation, "CREATE TABLE");
    let modes: Vec<Option<&str>> = history[1..4].iter().map(|h| h.mode.as_deref()).collect();
    assert_eq!(modes, [Some("append"), Some("upsert"), Some("overwrite")]);
    let rows_added: Vec<u64> = history[1..4].iter().map(|h| h.rows_added).collect();
    // The upsert rewrote the first file without driver 1 (1 row) and added 1 row.
    assert_eq!(rows_added, [2, 2, 3]);
    let rows_written: Vec<Option<u64>> = history[1..4].iter().map(|h| h.rows_written).collect();
    assert_eq!(rows_written, [Some(2), Some(1), Some(3)]);
    for entry in &history[1..4] {
        assert!(entry.engine.is_some(), "{entry:?}");
        assert!(!entry.operation.is_empty());
    }
    assert!(!history[4].operation.is_empty());
    assert_eq!(history[4].files_added, 0);
    let times: Vec<i64> = history.iter().map(|h| h.timestamp_ms.unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let now_ms = chrono::Utc::now().timestamp_millis();
    assert!(times.iter().all(|&t| t <= now_ms && t > now_ms - 600_000));
}

#[test]
fn add_features_then_write_old_rows_read_null() {
    let (dir, store) = open(false, None);
    let old = [r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)];
    store
        .write("stats", &batch(&old, false), WriteMode::Append)
        .unwrap();
    let version = store
        .add_features(
            "stats",
            vec![
                Feature::new("speed", ValueType::Float64),
                Feature::new("city", ValueType::String),
            ],
        )
        .unwrap();
    assert_eq!(version, 2);
    assert_eq!(store.version("stats").unwrap(), 2);
    let names: Vec<String> = store
        .feature_view("stats")
        .unwrap()
        .features
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["conv_rate", "trips", "speed", "city"]);
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("_ferrops/feature_views/stats.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["features"][2]["name"], "speed");

    // The old shape is refused now (the batch must hold every column) ...
    match store.write(
        "stats",
        &batch(&[r(3, t(1), None, 3.0)], false),
        WriteMode::Append,
    ) {
        Err(Error::ColumnNotFound { column, .. }) => assert_eq!(column, "speed"),
        other => panic!("expected ColumnNotFound, got {other:?}"),
    }
    // ... the new one accepted.
    let new = with_column(
        &with_column(
            &batch(&[r(3, t(1), None, 3.0)], false),
            "speed",
            Arc::new(Float64Array::from(vec![30.0])),
        ),
        "city",
        Arc::new(StringArray::from(vec!["Oslo"])),
    );
    assert_eq!(store.write("stats", &new, WriteMode::Append).unwrap().version, 3);
    let stored = store.read("stats", AsOf::Latest).unwrap();
    assert_eq!(f64s(&stored, "speed"), vec![None, None, Some(30.0)]);
    assert_eq!(strs(&stored, "city"), vec![None, None, Some("Oslo".into())]);
    assert_eq!(f64s(&stored, "conv_rate"), vec![Some(1.0), Some(2.0), Some(3.0)]);
    // The version before the change has the old schema.
    let before = store.read("stats", AsOf::Version(1)).unwrap();
    assert!(before.column_by_name("speed").is_none());
    assert_eq!(rows_of(&before), old);
    // Training sets and latest_features see the new column, null for old rows.
    let out = store
        .historical_features(
            &entities_at(&[(1, t(5)), (3, t(5))]),
            &["stats:speed", "stats:conv_rate"],
        )
        .unwrap();
    assert_eq!(f64s(&out, "speed"), vec![None, Some(30.0)]);
    assert_eq!(f64s(&out, "conv_rate"), vec![Some(1.0), Some(3.0)]);
    let latest = store
        .latest_features("stats", Some(&["speed"]), None, None)
        .unwrap();
    assert_eq!(latest.num_rows(), 3);
    // Upserting over an old-schema file rewrites it with the new column.
    let upsert = with_column(
        &with_column(
            &batch(&[r(1, t(0), None, 10.0)], false),
            "speed",
            Arc::new(Float64Array::from(vec![11.0])),
        ),
        "city",
        Arc::new(StringArray::from(vec![None::<&str>])),
    );
    store.write("stats", &upsert, WriteMode::Upsert).unwrap();
    let stored = store.read("stats", AsOf::Latest).unwrap();
    assert_eq!(f64s(&stored, "conv_rate"), vec![Some(2.0), Some(3.0), Some(10.0)]);
    assert_eq!(f64s(&stored, "speed"), vec![None, Some(30.0), Some(11.0)]);

    // A taken name is refused and changes nothing.
    for taken in ["speed", "conv_rate", "driver_id", "event_timestamp"] {
        assert!(matches!(
            store.add_features("stats", vec![Feature::new(taken, ValueType::Int64)]),
            Err(Error::Definition { .. })
        ));
    }
    assert!(matches!(
        store.add_features(
            "stats",
            vec![
                Feature::new("twice", ValueType::Int64),
                Feature::new("twice", ValueType::Int64)
            ]
        ),
        Err(Error::Definition { .. })
    ));
    assert_eq!(store.version("stats").unwrap(), 4);
    assert_eq!(store.feature_view("stats").unwrap().features.len(), 4);
    assert!(matches!(
        store.add_features("nope", vec![Feature::new("x", ValueType::Int64)]),
        Err(Error::NotRegistered { .. })
    ));
}

// ------------------------------------------------------------------ 3. time travel

#[test]
fn time_travel_by_version_and_by_time() {
    let (_dir, store) = open(true, None);
    let mut states: Vec<Vec<Row>> = vec![Vec::new()];
    let writes: Vec<(Vec<Row>, WriteMode)> = vec![
        (
            vec![r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)],
            WriteMode::Append,
        ),
        (vec![r(1, t(1), Some(t(1)), 3.0)], WriteMode::Append),
        (vec![r(2, t(0), Some(t(2)), 4.0)], WriteMode::Upsert),
        (vec![r(9, t(9), None, 9.0)], WriteMode::Overwrite),
    ];
    for (rows, mode) in &writes {
        std::thread::sleep(std::time::Duration::from_millis(80));
        let mut model = states.last().unwrap().clone();
        match mode {
            WriteMode::Append => model.extend(rows),
            WriteMode::Overwrite => model = rows.clone(),
            WriteMode::Upsert => {
                model.retain(|m| !rows.iter().any(|n| (n.key, n.event) == (m.key, m.event)));
                model.extend(rows);
            }
        }
        store.write("stats", &batch(rows, true), *mode).unwrap();
        assert_eq!(contents(&store, AsOf::Latest), model);
        states.push(model);
    }
    for (version, state) in states.iter().enumerate() {
        assert_eq!(
            &contents(&store, AsOf::Version(version as u64)),
            state,
            "version {version}"
        );
    }
    let times: Vec<i64> = store
        .history("stats")
        .unwrap()
        .iter()
        .map(|h| h.timestamp_ms.unwrap())
        .collect();
    assert_eq!(times.len(), states.len());
    for v in 0..times.len() - 1 {
        let between = (times[v] + times[v + 1]) / 2;
        assert!(times[v] < between && between < times[v + 1], "{times:?}");
        assert_eq!(
            contents(&store, AsOf::TimestampMillis(between)),
            states[v],
            "between versions {v} and {}",
            v + 1
        );
    }
    assert_eq!(
        contents(&store, AsOf::TimestampMillis(times[times.len() - 1] + 1_000)),
        states[states.len() - 1]
    );
    match store.read("stats", AsOf::Version(99)) {
        Err(e @ Error::Store { .. }) => assert!(e.to_string().contains("99"), "{e}"),
        other => panic!("expected Store, got {other:?}"),
    }
    assert!(matches!(
        store.read("stats", AsOf::TimestampMillis(times[0] - 3_600_000)),
        Err(Error::Store { .. })
    ));
}

// ------------------------------------------------------------------ 4. historical_features

#[test]
fn pit_ttl_and_upper_bound_are_inclusive() {
    // Feast's find_asof_record: ts_start <= record_ts <= ts_end, ts_start = ts - ttl.
    let (_dir, store) = open(false, Some(3600));
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    let rows = [
        (1, t(0)),            // feature ts == entity ts: matches
        (1, t(0) - 1),        // 1 µs before the feature row: nothing yet
        (1, t(1)),            // exactly ts - ttl: matches
        (1, t(1) + 1),        // 1 µs past the TTL: expired
        (2, t(0) + HOUR / 2), // inside
        (2, t(1) + 1),
    ];
    assert_eq!(
        pit_rates(&store, &rows),
        vec![Some(1.0), None, Some(1.0), None, Some(2.0), None]
    );
    // TTL 0 means forever.
    store.register_feature_view(&stats_view(false, Some(0))).unwrap();
    assert_eq!(
        pit_rates(&store, &[(1, t(100_000)), (1, t(0) - 1)]),
        vec![Some(1.0), None]
    );
    // A newer row inside the TTL beats an older one; an expired newer one hides nothing.
    store
        .register_feature_view(&stats_view(false, Some(7200)))
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(1, t(3), None, 3.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    assert_eq!(
        pit_rates(
            &store,
            &[(1, t(2)), (1, t(3)), (1, t(4)), (1, t(5)), (1, t(5) + 1)]
        ),
        vec![Some(1.0), Some(3.0), Some(3.0), Some(3.0), None]
    );
}

#[test]
fn pit_event_ties_go_to_latest_created_then_latest_write() {
    let (_dir, store) = open(true, None);
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(0), Some(t(5)), 1.0),
                    r(2, t(0), Some(t(1)), 10.0),
                    r(3, t(0), Some(t(1)), 100.0),
                    r(4, t(0), None, 1000.0),
                    r(6, t(0), Some(t(9)), 1.0),
                ],
                true,
            ),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(0), Some(t(3)), 2.0),    // older created, later write: loses
                    r(2, t(0), Some(t(1)), 20.0),   // full tie: the later write wins
                    r(3, t(0), None, 200.0),        // null created is the oldest: loses
                    r(4, t(0), Some(t(0)), 2000.0), // any created beats null: wins
                    r(6, t(1), Some(t(0)), 2.0),    // later event beats later created
                ],
                true,
            ),
            WriteMode::Append,
        )
        .unwrap();
    // A full tie inside one batch goes to the later row.
    store
        .write(
            "stats",
            &batch(&[r(5, t(0), Some(t(1)), 1.0), r(5, t(0), Some(t(1)), 2.0)], true),
            WriteMode::Append,
        )
        .unwrap();
    let rows: Vec<(i64, i64)> = (1..=6).map(|k| (k, t(2))).collect();
    assert_eq!(
        pit_rates(&store, &rows),
        vec![
            Some(1.0),
            Some(20.0),
            Some(100.0),
            Some(2000.0),
            Some(2.0),
            Some(2.0)
        ]
    );
    let expected: BTreeMap<i64, f64> = [(1, 1.0), (2, 20.0), (3, 100.0), (4, 2000.0), (5, 2.0), (6, 2.0)]
        .into_iter()
        .collect();
    assert_eq!(latest_map(&store, None, None), expected);
}

#[test]
fn pit_backfilled_older_events_do_not_beat_newer_ones() {
    let (_dir, store) = open(true, None);
    store
        .write(
            "stats",
            &batch(&[r(1, t(10), Some(t(10)), 10.0)], true),
            WriteMode::Append,
        )
        .unwrap();
    // Written later, created later, but about an older event.
    store
        .write(
            "stats",
            &batch(&[r(1, t(5), Some(t(20)), 5.0)], true),
            WriteMode::Append,
        )
        .unwrap();
    assert_eq!(
        pit_rates(&store, &[(1, t(12)), (1, t(7)), (1, t(4)), (1, t(10))]),
        vec![Some(10.0), Some(5.0), None, Some(10.0)]
    );
    assert_eq!(latest_map(&store, None, None), BTreeMap::from([(1, 10.0)]));
    assert_eq!(latest_map(&store, None, Some(t(9))), BTreeMap::from([(1, 5.0)]));
    // As of creation, the backfill did not exist before t(20).
    let as_of_created = HistoricalOptions {
        as_of_created: true,
        ..HistoricalOptions::default()
    };
    assert_eq!(
        pit_rates_with(&store, &[(1, t(12)), (1, t(7)), (1, t(25))], &as_of_created),
        vec![Some(10.0), None, Some(10.0)]
    );
}

#[test]
fn pit_as_of_created_skips_rows_not_yet_created() {
    let (_dir, store) = open(true, None);
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(0), Some(t(0)), 1.0),
                    r(1, t(2), Some(t(10)), 2.0),
                    r(2, t(0), Some(t(0)), 1.0),
                    r(2, t(2), None, 2.0),
                    r(3, t(2), Some(t(10)), 3.0),
                ],
                true,
            ),
            WriteMode::Append,
        )
        .unwrap();
    let rows = [(1, t(5)), (1, t(10)), (1, t(10) - 1), (2, t(5)), (3, t(5))];
    assert_eq!(
        pit_rates(&store, &rows),
        vec![Some(2.0), Some(2.0), Some(2.0), Some(2.0), Some(3.0)]
    );
    let options = HistoricalOptions {
        as_of_created: true,
        ..HistoricalOptions::default()
    };
    // Created exactly at the entity time is known; a null created time is kept.
    assert_eq!(
        pit_rates_with(&store, &rows, &options),
        vec![Some(1.0), Some(2.0), Some(1.0), Some(2.0), None]
    );
    // A view without a created column is unaffected.
    let (_dir2, plain) = open(false, None);
    plain
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 1.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    assert_eq!(pit_rates_with(&plain, &[(1, t(1))], &options), vec![Some(1.0)]);
}

#[test]
fn pit_keeps_every_entity_row_in_order_with_its_columns() {
    let (_dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(0), None, 1.0),
                    r(1, t(2), None, 1.2),
                    r(2, t(1), None, 2.1),
                ],
                false,
            ),
            WriteMode::Append,
        )
        .unwrap();
    let entity = make_batch(vec![
        (
            "driver_id",
            Arc::new(Int64Array::from(vec![
                Some(2),
                Some(1),
                Some(9),
                Some(1),
                Some(2),
                None,
                Some(1),
                Some(1),
            ])),
        ),
        (
            "event_timestamp",
            utc(vec![
                Some(t(5)),
                Some(t(1)),
                Some(t(5)),
                Some(t(1)),
                Some(t(0)),
                Some(t(5)),
                None,
                Some(t(3)),
            ]),
        ),
        (
            "label",
            Arc::new(Float64Array::from(vec![
                Some(0.5),
                Some(f64::NAN),
                None,
                Some(1.5),
                Some(-1.0),
                Some(2.0),
                Some(3.0),
                Some(4.0),
            ])),
        ),
        (
            "note",
            Arc::new(StringArray::from(vec![
                Some("a"),
                None,
                Some("c"),
                Some("d"),
                Some(""),
                Some("f"),
                Some("g"),
                Some("h"),
            ])),
        ),
        (
            "flag",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(true),
            ])),
        ),
    ]);
    let out = store
        .historical_features(&entity, &["stats:trips", "stats:conv_rate"])
        .unwrap();
    assert_eq!(out.num_rows(), entity.num_rows());
    // Entity columns are passed through unchanged, features appended in request order.
    for (i, field) in entity.schema().fields().iter().enumerate() {
        assert_eq!(out.schema().field(i), field.as_ref());
        assert_eq!(
            out.column(i).to_data(),
            entity.column(i).to_data(),
            "{}",
            field.name()
        );
    }
    let names: Vec<&str> = out
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        names,
        [
            "driver_id",
            "event_timestamp",
            "label",
            "note",
            "flag",
            "trips",
            "conv_rate"
        ]
    );
    // Unknown key, entity before any row, null key, null timestamp: nulls. Duplicated
    // entity rows (1 and 3) get the same answer.
    assert_eq!(
        f64s(&out, "conv_rate"),
        vec![Some(2.1), Some(1.0), None, Some(1.0), None, None, None, Some(1.2)]
    );
    assert_eq!(
        i64s(&out, "trips"),
        vec![Some(20), Some(10), None, Some(10), None, None, None, Some(10)]
    );
    // `view:*` is every feature in definition order.
    let all = store.historical_features(&entity, &["stats:*"]).unwrap();
    assert_eq!(all.num_columns(), entity.num_columns() + 2);
    assert_eq!(f64s(&all, "conv_rate"), f64s(&out, "conv_rate"));
    // No entity rows: no output rows, all the columns.
    let empty = entity.slice(0, 0);
    let none = store.historical_features(&empty, &["stats:conv_rate"]).unwrap();
    assert_eq!((none.num_rows(), none.num_columns()), (0, 6));
    // A view that was never written: every feature null.
    store.register_entity(&customer()).unwrap();
    store
        .register_feature_view(&FeatureView::new(
            "unwritten",
            ["driver"],
            "event_timestamp",
            vec![Feature::new("z", ValueType::Int64)],
        ))
        .unwrap();
    let unwritten = store.historical_features(&entity, &["unwritten:z"]).unwrap();
    assert_eq!(unwritten.num_rows(), entity.num_rows());
    assert_eq!(col(&unwritten, "z").null_count(), entity.num_rows());
}

/// `stats` and `cust` written, entity rows with both keys.
fn two_views() -> (TempDir, FeatureStore, RecordBatch) {
    let (dir, store) = open(false, None);
    store.register_entity(&customer()).unwrap();
    store.register_feature_view(&cust_view()).unwrap();
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 0.1), r(2, t(0), None, 0.2)], false),
            WriteMode::Append,
        )
        .unwrap();
    let cust = make_batch(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["a", "b", "a"]))),
        ("event_timestamp", utc(vec![Some(t(0)), Some(t(0)), Some(t(3))])),
        ("balance", Arc::new(Float64Array::from(vec![100.0, 200.0, 300.0]))),
        ("conv_rate", Arc::new(Float64Array::from(vec![0.7, 0.8, 0.9]))),
    ]);
    store.write("cust", &cust, WriteMode::Append).unwrap();
    let entity = make_batch(vec![
        ("driver_id", Arc::new(Int64Array::from(vec![1, 2, 1]))),
        ("customer_id", Arc::new(StringArray::from(vec!["a", "a", "b"]))),
        ("event_timestamp", utc(vec![Some(t(1)), Some(t(4)), Some(t(4))])),
    ]);
    (dir, store, entity)
}

#[test]
fn pit_multiple_views_full_feature_names_and_collisions() {
    let (_dir, store, entity) = two_views();
    let out = store
        .historical_features(&entity, &["stats:trips", "cust:balance", "stats:conv_rate"])
        .unwrap();
    assert_eq!(i64s(&out, "trips"), vec![Some(10), Some(20), Some(10)]);
    assert_eq!(f64s(&out, "balance"), vec![Some(100.0), Some(300.0), Some(200.0)]);
    assert_eq!(f64s(&out, "conv_rate"), vec![Some(0.1), Some(0.2), Some(0.1)]);

    // Feast: FeatureNameCollisionError without full_feature_names.
    match store.historical_features(&entity, &["stats:conv_rate", "cust:conv_rate"]) {
        Err(e @ Error::InvalidData(_)) => {
            assert!(e.to_string().contains("conv_rate"), "{e}");
            assert!(e.to_string().contains("full_feature_names"), "{e}");
        }
        other => panic!("expected InvalidData, got {other:?}"),
    }
    let full = HistoricalOptions {
        full_feature_names: true,
        ..HistoricalOptions::default()
    };
    let set = store
        .historical_features_with(&entity, &["stats:conv_rate", "cust:conv_rate"], &full)
        .unwrap();
    assert_eq!(
        f64s(&set.table, "stats__conv_rate"),
        vec![Some(0.1), Some(0.2), Some(0.1)]
    );
    assert_eq!(
        f64s(&set.table, "cust__conv_rate"),
        vec![Some(0.7), Some(0.9), Some(0.8)]
    );
    assert!(set.table.column_by_name("conv_rate").is_none());
    assert_eq!(
        set.lineage,
        vec![
            ViewVersion {
                view: "stats".into(),
                version: 1
            },
            ViewVersion {
                view: "cust".into(),
                version: 1
            }
        ]
    );
    // An entity-row column of a feature's name collides too.
    let labelled = with_column(&entity, "trips", Arc::new(Int64Array::from(vec![0, 0, 0])));
    assert!(matches!(
        store.historical_features(&labelled, &["stats:trips"]),
        Err(Error::InvalidData(_))
    ));
    let set = store
        .historical_features_with(&labelled, &["stats:trips"], &full)
        .unwrap();
    assert_eq!(i64s(&set.table, "trips"), vec![Some(0), Some(0), Some(0)]);
    assert_eq!(
        i64s(&set.table, "stats__trips"),
        vec![Some(10), Some(20), Some(10)]
    );
    // A view's key missing from the entity rows.
    match store.historical_features(&without(&entity, "customer_id"), &["cust:balance"]) {
        Err(Error::ColumnNotFound { column, .. }) => assert_eq!(column, "customer_id"),
        other => panic!("expected ColumnNotFound, got {other:?}"),
    }
}

#[test]
fn pit_entity_timestamps_of_any_unit_zone_or_dates() {
    let (_dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(0), None, 0.0),
                    r(1, t(24), None, 24.0),
                    r(1, t(48), None, 48.0),
                ],
                false,
            ),
            WriteMode::Append,
        )
        .unwrap();
    // 2024-01-02T00:00:00Z = t(24), then 1 ns / 1 ms / 1 s / 1 day before it.
    let day2 = t(24);
    let cases: Vec<(&str, ArrayRef)> = vec![
        ("µs UTC", utc(vec![Some(day2), Some(day2 - 1)])),
        (
            "µs naive",
            Arc::new(TimestampMicrosecondArray::from(vec![day2, day2 - 1])),
        ),
        (
            "ns naive",
            Arc::new(TimestampNanosecondArray::from(vec![day2 * 1000, day2 * 1000 - 1])),
        ),
        (
            "ns +02:00",
            Arc::new(
                TimestampNanosecondArray::from(vec![day2 * 1000, day2 * 1000 - 1]).with_timezone("+02:00"),
            ),
        ),
        (
            "ms +02:00",
            Arc::new(
                TimestampMillisecondArray::from(vec![day2 / 1000, day2 / 1000 - 1]).with_timezone("+02:00"),
            ),
        ),
        (
            "s America/New_York",
            Arc::new(
                TimestampSecondArray::from(vec![day2 / 1_000_000, day2 / 1_000_000 - 1])
                    .with_timezone("America/New_York"),
            ),
        ),
        ("date32", Arc::new(Date32Array::from(vec![19724, 19723]))),
        (
            "date64",
            Arc::new(Date64Array::from(vec![day2 / 1000, day2 / 1000 - 86_400_000])),
        ),
    ];
    for (what, ts) in cases {
        let entity = make_batch(vec![
            ("driver_id", Arc::new(Int64Array::from(vec![1, 1]))),
            ("event_timestamp", ts.clone()),
        ]);
        let out = store
            .historical_features(&entity, &["stats:conv_rate"])
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(f64s(&out, "conv_rate"), vec![Some(24.0), Some(0.0)], "{what}");
        // The entity timestamp column comes back as given.
        assert_eq!(col(&out, "event_timestamp").to_data(), ts.to_data(), "{what}");
    }
    // Another timestamp column name.
    let renamed = make_batch(vec![
        ("driver_id", Arc::new(Int64Array::from(vec![1]))),
        ("ts", utc(vec![Some(t(50))])),
    ]);
    let options = HistoricalOptions {
        timestamp_column: "ts".into(),
        ..HistoricalOptions::default()
    };
    let out = store
        .historical_features_with(&renamed, &["stats:conv_rate"], &options)
        .unwrap()
        .table;
    assert_eq!(f64s(&out, "conv_rate"), vec![Some(48.0)]);
    match store.historical_features(&renamed, &["stats:conv_rate"]) {
        Err(Error::ColumnNotFound { column, .. }) => assert_eq!(column, "event_timestamp"),
        other => panic!("expected ColumnNotFound, got {other:?}"),
    }
    // Timestamps that are not timestamps.
    for bad in [
        Arc::new(Int64Array::from(vec![t(50)])) as ArrayRef,
        Arc::new(StringArray::from(vec!["2024-01-03T00:00:00Z"])),
    ] {
        let entity = make_batch(vec![
            ("driver_id", Arc::new(Int64Array::from(vec![1]))),
            ("event_timestamp", bad),
        ]);
        match store.historical_features(&entity, &["stats:conv_rate"]) {
            Err(Error::ColumnType { column, .. }) => assert_eq!(column, "event_timestamp"),
            other => panic!("expected ColumnType, got {other:?}"),
        }
    }
}

#[test]
fn pit_entity_keys_of_another_type() {
    let (_dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    // Int32 keys widen losslessly: if accepted they must match.
    let int32 = make_batch(vec![
        ("driver_id", Arc::new(Int32Array::from(vec![1, 2, 3]))),
        ("event_timestamp", utc(vec![Some(t(1)); 3])),
    ]);
    if let Ok(out) = store.historical_features(&int32, &["stats:conv_rate"]) {
        assert_eq!(f64s(&out, "conv_rate"), vec![Some(1.0), Some(2.0), None]);
    }
}

#[test]
fn pit_entity_keys_of_a_wrong_type_are_refused() {
    let (_dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 1.0), r(2, t(0), None, 2.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    for (what, keys) in [
        ("utf8", Arc::new(StringArray::from(vec!["1", "x"])) as ArrayRef),
        ("float64", Arc::new(Float64Array::from(vec![1.9, 2.0]))),
    ] {
        let entity = make_batch(vec![
            ("driver_id", keys),
            ("event_timestamp", utc(vec![Some(t(1)); 2])),
        ]);
        match store.historical_features(&entity, &["stats:conv_rate"]) {
            Err(Error::ColumnType { column, .. }) => assert_eq!(column, "driver_id"),
            Ok(out) => panic!("{what} keys accepted, conv_rate = {:?}", f64s(&out, "conv_rate")),
            Err(e) => panic!("{what}: expected ColumnType, got {e:?}"),
        }
    }
}

#[test]
fn pit_pinned_versions_reproduce_an_earlier_training_set() {
    let (_dir, store, entity) = two_views();
    let full = HistoricalOptions {
        full_feature_names: true,
        ..HistoricalOptions::default()
    };
    let refs = ["stats:conv_rate", "cust:balance", "cust:conv_rate"];
    let first = store.historical_features_with(&entity, &refs, &full).unwrap();
    let v = |view: &str, version: u64| ViewVersion {
        view: view.into(),
        version,
    };
    assert_eq!(first.lineage, vec![v("stats", 1), v("cust", 1)]);

    // Later writes change the answer ...
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 0.15)], false),
            WriteMode::Upsert,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(2, t(2), None, 0.25)], false),
            WriteMode::Append,
        )
        .unwrap();
    let cust = make_batch(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["a"]))),
        ("event_timestamp", utc(vec![Some(t(0))])),
        ("balance", Arc::new(Float64Array::from(vec![150.0]))),
        ("conv_rate", Arc::new(Float64Array::from(vec![0.75]))),
    ]);
    store.write("cust", &cust, WriteMode::Upsert).unwrap();
    let now = store.historical_features_with(&entity, &refs, &full).unwrap();
    assert_eq!(now.lineage, vec![v("stats", 3), v("cust", 2)]);
    assert_ne!(now.table, first.table);
    assert_eq!(
        f64s(&now.table, "stats__conv_rate"),
        vec![Some(0.15), Some(0.25), Some(0.15)]
    );
    assert_eq!(
        f64s(&now.table, "cust__balance"),
        vec![Some(150.0), Some(300.0), Some(200.0)]
    );

    // ... pinning the lineage's versions rebuilds the first table exactly.
    let pinned = HistoricalOptions {
        versions: first
            .lineage
            .iter()
            .map(|l| (l.view.clone(), l.version))
            .collect(),
        ..full.clone()
    };
    let again = store.historical_features_with(&entity, &refs, &pinned).unwrap();
    assert_eq!(again.table, first.table);
    assert_eq!(again.lineage, first.lineage);
    // The lineage survives JSON (it is stored next to models).
    let json = serde_json::to_string(&first.lineage).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<ViewVersion>>(&json).unwrap(),
        first.lineage
    );
    // Pinning one view only.
    let partial = HistoricalOptions {
        versions: [("stats".to_string(), 2)].into_iter().collect(),
        ..full.clone()
    };
    let mixed = store.historical_features_with(&entity, &refs, &partial).unwrap();
    assert_eq!(mixed.lineage, vec![v("stats", 2), v("cust", 2)]);
    assert_eq!(
        f64s(&mixed.table, "stats__conv_rate"),
        vec![Some(0.15), Some(0.2), Some(0.15)]
    );
    // A version that does not exist.
    let missing = HistoricalOptions {
        versions: [("stats".to_string(), 99)].into_iter().collect(),
        ..full
    };
    assert!(matches!(
        store.historical_features_with(&entity, &refs, &missing),
        Err(Error::Store { .. })
    ));
}

#[test]
fn pit_feature_reference_errors() {
    let (_dir, store) = open(false, None);
    let entity = entities_at(&[(1, t(0))]);
    match store.historical_features(&entity, &["stats:nope"]) {
        Err(Error::ColumnNotFound { column, available }) => {
            assert_eq!(column, "stats:nope");
            assert_eq!(available, ["stats:conv_rate", "stats:trips"]);
        }
        other => panic!("expected ColumnNotFound, got {other:?}"),
    }
    assert!(matches!(
        store.historical_features(&entity, &["nope:x"]),
        Err(Error::NotRegistered { .. })
    ));
    assert!(matches!(
        store.historical_features(&entity, &["stats"]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        store.historical_features(&entity, &[]),
        Err(Error::InvalidParameter { .. })
    ));
    match store.historical_features(&without(&entity, "driver_id"), &["stats:trips"]) {
        Err(Error::ColumnNotFound { column, .. }) => assert_eq!(column, "driver_id"),
        other => panic!("expected ColumnNotFound, got {other:?}"),
    }
}

// ------------------------------------------------------------------ 5. property test

/// One random write: append (false) or upsert (true), and its rows as
/// (key, event hour, created hour).
type RandomWrite = (bool, Vec<(i64, i64, Option<i64>)>);

fn oracle_match(rows: &[Row], key: i64, ts: i64, ttl: Option<i64>, as_of_created: bool) -> Option<f64> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| {
            r.key == key
                && r.event <= ts
                && ttl.is_none_or(|ttl| r.event >= ts - ttl)
                && !(as_of_created && r.created.is_some_and(|c| c > ts))
        })
        .max_by_key(|(i, r)| (r.event, r.created, *i))
        .and_then(|(_, r)| r.rate)
}

fn oracle_latest(rows: &[Row], start: Option<i64>, end: Option<i64>) -> BTreeMap<i64, f64> {
    let mut best: BTreeMap<i64, (i64, Option<i64>, usize)> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        if start.is_some_and(|s| row.event < s) || end.is_some_and(|e| row.event > e) {
            continue;
        }
        let rank = (row.event, row.created, i);
        let slot = best.entry(row.key).or_insert(rank);
        if rank > *slot {
            *slot = rank;
        }
    }
    best.into_iter()
        .map(|(k, (_, _, i))| (k, rows[i].rate.unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn historical_features_match_a_brute_force_oracle(
        writes in prop::collection::vec(
            (any::<bool>(), prop::collection::vec((0i64..4, 0i64..12, prop::option::of(0i64..6)), 1..7)),
            1..5,
        ),
        entity in prop::collection::vec((0i64..5, -1i64..14), 1..16),
        ttl_hours in prop_oneof![Just(0i64), 1i64..5],
        as_of_created in any::<bool>(),
        window in (prop::option::of(0i64..12), prop::option::of(0i64..12)),
    ) {
        let (_dir, store) = open(true, Some(ttl_hours * 3600));
        let writes: Vec<RandomWrite> = writes;
        let mut model: Vec<Row> = Vec::new();
        for (w, (upsert, rows)) in writes.iter().enumerate() {
            let rows: Vec<Row> = rows
                .iter()
                .enumerate()
                .map(|(i, &(key, event, created))| r(key, t(event), created.map(t), (w * 100 + i) as f64))
                .collect();
            let mode = if *upsert { WriteMode::Upsert } else { WriteMode::Append };
            if *upsert {
                model.retain(|m| !rows.iter().any(|n| (n.key, n.event) == (m.key, m.event)));
            }
            model.extend(rows.iter().copied());
            let written = store.write("stats", &batch(&rows, true), mode).unwrap();
            prop_assert_eq!(written.version, w as u64 + 1);
        }
        let stored = contents(&store, AsOf::Latest);
        prop_assert_eq!(&stored, &model, "read() after the writes");

        let entity: Vec<(i64, i64)> = entity.iter().map(|&(k, h)| (k, t(h) + (k % 2) * 1800 * 1_000_000)).collect();
        let ttl = (ttl_hours > 0).then_some(ttl_hours * HOUR);
        let options = HistoricalOptions { as_of_created, ..HistoricalOptions::default() };
        let got = pit_rates_with(&store, &entity, &options);
        let expected: Vec<Option<f64>> = entity
            .iter()
            .map(|&(k, ts)| oracle_match(&stored, k, ts, ttl, as_of_created))
            .collect();
        prop_assert_eq!(got, expected, "entity rows {:?}", entity);

        let (start, end) = window;
        let (start, end) = (start.map(t), end.map(t));
        if start.zip(end).is_none_or(|(s, e)| s <= e) {
            prop_assert_eq!(latest_map(&store, start, end), oracle_latest(&stored, start, end));
        } else {
            prop_assert!(
                matches!(
                    store.latest_features("stats", None, start, end),
                    Err(Error::InvalidParameter { .. })
                ),
                "start after end accepted"
            );
        }
    }
}

// ------------------------------------------------------------------ 6. robustness

#[test]
fn concurrent_appends_from_two_stores_all_land_or_conflict() {
    let (dir, store) = open(false, None);
    let path = dir.path().to_str().unwrap().to_string();
    let results: Vec<Vec<(i64, ferrops::Result<u64>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2i64)
            .map(|thread| {
                let path = path.clone();
                scope.spawn(move || {
                    let store = FeatureStore::open(&path).unwrap();
                    (0..10i64)
                        .map(|i| {
                            let id = thread * 100 + i;
                            let rows = [r(id, t(i), None, id as f64), r(id, t(i + 1), None, id as f64)];
                            let result = store
                                .write("stats", &batch(&rows, false), WriteMode::Append)
                                .map(|w| w.version);
                            (id, result)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut versions = BTreeSet::new();
    let mut landed = BTreeSet::new();
    for (id, result) in results.into_iter().flatten() {
        match result {
            Ok(version) => {
                assert!(versions.insert(version), "version {version} returned twice");
                landed.insert(id);
            }
            Err(Error::Conflict { .. }) => {}
            Err(e) => panic!("write {id}: expected success or Conflict, got {e:?}"),
        }
    }
    let n = landed.len() as u64;
    assert!(n > 0);
    assert_eq!(versions, (1..=n).collect::<BTreeSet<u64>>());
    assert_eq!(store.version("stats").unwrap(), n);
    let stored = contents(&store, AsOf::Latest);
    assert_eq!(stored.len() as u64, 2 * n);
    let ids: BTreeSet<i64> = stored.iter().map(|r| r.key).collect();
    assert_eq!(ids, landed);
    assert_eq!(store.history("stats").unwrap().len() as u64, n + 1);
}

#[test]
fn concurrent_upserts_conflict_or_land_never_lose_rows() {
    let (dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 0.0), r(2, t(0), None, 0.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    let results: Vec<ferrops::Result<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=2i64)
            .map(|key| {
                let path = path.clone();
                scope.spawn(move || {
                    let store = FeatureStore::open(&path).unwrap();
                    (0..5)
                        .map(|i| {
                            let rows = [r(key, t(0), None, (key * 10 + i) as f64)];
                            store
                                .write("stats", &batch(&rows, false), WriteMode::Upsert)
                                .map(|w| w.version)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for result in &results {
        assert!(
            matches!(result, Ok(_) | Err(Error::Conflict { .. })),
            "{result:?}"
        );
    }
    // Whatever landed, each (key, event) is stored exactly once.
    let stored = contents(&store, AsOf::Latest);
    let keys: Vec<i64> = {
        let mut k: Vec<i64> = stored.iter().map(|r| r.key).collect();
        k.sort();
        k
    };
    assert_eq!(keys, [1, 2], "{stored:?}");
}

#[test]
fn corrupted_data_file_is_a_store_error_naming_it() {
    let (dir, store) = open(false, None);
    store
        .write(
            "stats",
            &batch(&[r(1, t(0), None, 1.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(2, t(0), None, 2.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    let files = data_files(dir.path(), "stats");
    assert_eq!(files.len(), 2);
    let victim = &files[0];
    let name = victim.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::write(victim, b"this is not parquet at all, just garbage bytes").unwrap();
    let names_file = |result: ferrops::Result<RecordBatch>, what: &str| match result {
        Err(e @ Error::Store { .. }) => {
            assert!(e.to_string().contains(&name), "{what}: {e}")
        }
        other => panic!("{what}: expected Store naming {name}, got {other:?}"),
    };
    names_file(store.read("stats", AsOf::Latest), "read");
    names_file(
        store.historical_features(&entities_at(&[(1, t(1)), (2, t(1))]), &["stats:conv_rate"]),
        "historical_features",
    );
    names_file(
        store.latest_features("stats", None, None, None),
        "latest_features",
    );
    // A truncated file (a crash mid-copy) likewise.
    std::fs::write(victim, b"PAR1").unwrap();
    names_file(store.read("stats", AsOf::Latest), "read truncated");
    // Deleted.
    std::fs::remove_file(victim).unwrap();
    names_file(store.read("stats", AsOf::Latest), "read deleted");
}

#[test]
fn orphan_and_stray_files_are_ignored() {
    let (dir, store) = open(true, None);
    let rows = [r(1, t(0), Some(t(0)), 1.0), r(2, t(0), None, 2.0)];
    store
        .write("stats", &batch(&rows, true), WriteMode::Append)
        .unwrap();
    // A killed writer leaves a data file that no commit names: make one with other rows
    // (written by a second store, copied into this table's directory).
    let (other_dir, other) = open(true, None);
    other
        .write(
            "stats",
            &batch(&[r(1, t(1), Some(t(9)), 99.0), r(3, t(0), None, 3.0)], true),
            WriteMode::Append,
        )
        .unwrap();
    let source = &data_files(other_dir.path(), "stats")[0];
    let orphan = dir
        .path()
        .join("views/stats/part-00000-0badcafe-0000-0000-0000-000000000000-c000.snappy.parquet");
    std::fs::copy(source, &orphan).unwrap();
    // And a commit attempt that never became a version: Delta writes commits to a
    // temporary file and renames it into place, so an abandoned one is not a version.
    let stray = dir
        .path()
        .join("views/stats/_delta_log/_commit_0badcafe-0000-0000-0000-000000000000.json.tmp");
    std::fs::write(&stray, b"{\"add\": {\"path\": \"part-00000-0badcafe").unwrap();

    assert_eq!(store.version("stats").unwrap(), 1);
    assert_eq!(contents(&store, AsOf::Latest), rows);
    assert_eq!(pit_rates(&store, &[(1, t(2)), (3, t(2))]), vec![Some(1.0), None]);
    assert_eq!(
        latest_map(&store, None, None),
        BTreeMap::from([(1, 1.0), (2, 2.0)])
    );
    assert_eq!(store.history("stats").unwrap().len(), 2);
    // Writes go on as usual (upserts included: they rewrite only committed files).
    store
        .write(
            "stats",
            &batch(&[r(2, t(0), None, 20.0)], true),
            WriteMode::Upsert,
        )
        .unwrap();
    assert_eq!(store.version("stats").unwrap(), 2);
    assert_eq!(
        contents(&store, AsOf::Latest),
        vec![r(1, t(0), Some(t(0)), 1.0), r(2, t(0), None, 20.0)]
    );
    assert!(orphan.is_file());
}

#[test]
fn garbage_commit_file_is_a_store_error_not_a_panic() {
    // In Delta a `_delta_log/<version>.json` that exists is committed: a garbage one is
    // a corrupted table, not an ignorable failed commit. It must surface as an error.
    let (dir, store) = open(false, None);
    let rows = [r(1, t(0), None, 1.0)];
    store
        .write("stats", &batch(&rows, false), WriteMode::Append)
        .unwrap();
    std::fs::write(log_file(dir.path(), "stats", 2), b"{\"add\": {\"path\": trunc").unwrap();
    assert!(matches!(
        store.read("stats", AsOf::Latest),
        Err(Error::Store { .. })
    ));
    assert!(matches!(
        store.historical_features(&entities_at(&[(1, t(1))]), &["stats:conv_rate"]),
        Err(Error::Store { .. })
    ));
    // Removing it restores the table.
    std::fs::remove_file(log_file(dir.path(), "stats", 2)).unwrap();
    assert_eq!(contents(&store, AsOf::Latest), rows);
}

// ------------------------------------------------------------------ 7. latest_features

#[test]
fn latest_features_per_key_within_inclusive_bounds() {
    let (_dir, store) = open(true, None);
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, t(0), Some(t(0)), 1.0),
                    r(1, t(2), Some(t(2)), 2.0),
                    r(1, t(4), Some(t(4)), 3.0),
                    r(2, t(1), Some(t(1)), 4.0),
                    r(2, t(3), Some(t(3)), 5.0),
                    r(3, t(2), Some(t(5)), 6.0),
                ],
                true,
            ),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(3, t(2), Some(t(4)), 7.0), r(4, t(2), Some(t(2)), 8.0)], true),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(4, t(2), Some(t(2)), 9.0)], true),
            WriteMode::Append,
        )
        .unwrap();
    let map = |pairs: &[(i64, f64)]| pairs.iter().copied().collect::<BTreeMap<_, _>>();
    assert_eq!(
        latest_map(&store, None, None),
        map(&[(1, 3.0), (2, 5.0), (3, 6.0), (4, 9.0)])
    );
    // Both bounds inclusive.
    assert_eq!(
        latest_map(&store, Some(t(2)), Some(t(3))),
        map(&[(1, 2.0), (2, 5.0), (3, 6.0), (4, 9.0)])
    );
    assert_eq!(latest_map(&store, Some(t(2) + 1), Some(t(3) - 1)), map(&[]));
    assert_eq!(latest_map(&store, Some(t(0)), Some(t(0))), map(&[(1, 1.0)]));
    assert_eq!(latest_map(&store, None, Some(t(1))), map(&[(1, 1.0), (2, 4.0)]));
    assert_eq!(latest_map(&store, Some(t(4)), None), map(&[(1, 3.0)]));
    // Nothing in range: no rows, the columns still there.
    let empty = store.latest_features("stats", None, Some(t(5)), None).unwrap();
    assert_eq!(empty.num_rows(), 0);
    assert_eq!(empty.num_columns(), 5);
    // The rows carry their own timestamps.
    let full = store.latest_features("stats", None, None, None).unwrap();
    let by_key: BTreeMap<i64, (i64, Option<i64>)> = rows_of(&full)
        .into_iter()
        .map(|r| (r.key, (r.event, r.created)))
        .collect();
    assert_eq!(by_key[&3], (t(2), Some(t(5))));
    assert_eq!(by_key[&1], (t(4), Some(t(4))));
    // A subset of the features.
    let subset = store
        .latest_features("stats", Some(&["trips"]), None, None)
        .unwrap();
    let names: Vec<&str> = subset
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["driver_id", "event_timestamp", "created", "trips"]);
    assert_eq!(subset.num_rows(), 4);
    // Errors.
    assert!(matches!(
        store.latest_features("stats", None, Some(t(3)), Some(t(2))),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        store.latest_features("stats", Some(&["nope"]), None, None),
        Err(Error::ColumnNotFound { .. })
    ));
    assert!(matches!(
        store.latest_features("nope", None, None, None),
        Err(Error::NotRegistered { .. })
    ));
}

// ------------------------------------------------------------------ more edges

/// Helper A's pandas reference (`tests/fixtures/pit/make_reference.py`:
/// `pandas.merge_asof(direction="backward", allow_exact_matches=True, tolerance=ttl)`
/// and a filter + groupby for the latest row per key), replayed end to end through the
/// store: Delta writes in three commits, file pruning, conversions and the join.
#[test]
fn store_matches_the_pandas_merge_asof_reference() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pit/reference.json");
    let reference: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let ints = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect()
    };
    let texts = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    let dir = tempfile::tempdir().unwrap();
    let store = FeatureStore::open(dir.path().to_str().unwrap()).unwrap();
    store
        .register_entity(&Entity::new("single", "k1", ValueType::Int64))
        .unwrap();
    store
        .register_entity(&Entity::with_keys(
            "pair",
            vec![
                Feature::new("k1", ValueType::Int64),
                Feature::new("k2", ValueType::String),
            ],
        ))
        .unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let two_keys = case["two_keys"].as_bool().unwrap();
        let ttl = case["ttl_micros"].as_i64();
        if let Some(ttl) = ttl {
            assert_eq!(ttl % 1_000_000, 0, "{name}: TTLs are whole seconds");
        }
        let mut view = FeatureView::new(
            name,
            [if two_keys { "pair" } else { "single" }],
            "event_timestamp",
            vec![Feature::new("row", ValueType::Int64)],
        );
        if let Some(ttl) = ttl {
            view = view.with_ttl_seconds(ttl / 1_000_000);
        }
        store.register_feature_view(&view).unwrap();

        let k1 = ints(&case["features"]["k1"]);
        let event = ints(&case["features"]["event"]);
        let k2 = two_keys.then(|| texts(&case["features"]["k2"]));
        let n = k1.len();
        // Three commits (three files), rows in table order.
        for chunk in [0..n / 3, n / 3..2 * n / 3, 2 * n / 3..n] {
            let mut columns: Vec<(&str, ArrayRef)> =
                vec![("k1", Arc::new(Int64Array::from(k1[chunk.clone()].to_vec())))];
            if let Some(k2) = &k2 {
                columns.push(("k2", Arc::new(StringArray::from(k2[chunk.clone()].to_vec()))));
            }
            columns.push((
                "event_timestamp",
                utc(event[chunk.clone()].iter().map(|&e| Some(e)).collect()),
            ));
            columns.push((
                "row",
                Arc::new(Int64Array::from(
                    chunk.clone().map(|i| i as i64).collect::<Vec<_>>(),
                )),
            ));
            store
                .write(name, &make_batch(columns), WriteMode::Append)
                .unwrap();
        }

        let e_k1 = ints(&case["entity"]["k1"]);
        let e_event = ints(&case["entity"]["event"]);
        let mut columns: Vec<(&str, ArrayRef)> = vec![("k1", Arc::new(Int64Array::from(e_k1.clone())))];
        if two_keys {
            columns.push(("k2", Arc::new(StringArray::from(texts(&case["entity"]["k2"])))));
        }
        columns.push(("event_timestamp", utc(e_event.iter().map(|&e| Some(e)).collect())));
        let reference_name = format!("{name}:row");
        let out = store
            .historical_features(&make_batch(columns), &[reference_name.as_str()])
            .unwrap();
        let expected: Vec<Option<i64>> = case["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64())
            .collect();
        assert_eq!(i64s(&out, "row"), expected, "{name}");

        let start = case["window"]["start"].as_i64();
        let end = case["window"]["end"].as_i64();
        let latest = store.latest_features(name, Some(&["row"]), start, end).unwrap();
        let mut got: Vec<i64> = i64s(&latest, "row").into_iter().map(Option::unwrap).collect();
        let mut want = ints(&case["latest"]);
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{name} latest");
    }
}

#[test]
fn sub_millisecond_event_times_survive_file_statistics() {
    // Delta statistics keep timestamps at millisecond precision; the store prunes files
    // by them, so rows microseconds apart in different files must still be found.
    let (_dir, store) = open(false, Some(1));
    let base = t(0) + 123;
    store
        .write(
            "stats",
            &batch(&[r(1, base + 1, None, 1.0), r(1, base + 999, None, 2.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(1, base + 1001, None, 3.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    store
        .write(
            "stats",
            &batch(&[r(1, base + 1_000_999, None, 4.0)], false),
            WriteMode::Append,
        )
        .unwrap();
    assert_eq!(
        pit_rates(
            &store,
            &[
                (1, base),
                (1, base + 1),
                (1, base + 1000),
                (1, base + 1001),
                (1, base + 1_000_998),
                (1, base + 1_001_001),
                (1, base + 2_000_999),
                (1, base + 2_001_000),
            ]
        ),
        vec![
            None,
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(3.0),
            Some(4.0),
            Some(4.0),
            None
        ]
    );
    // An upsert 1 µs away from a stored row appends; on it, replaces.
    store
        .write(
            "stats",
            &batch(&[r(1, base + 998, None, 5.0), r(1, base + 999, None, 6.0)], false),
            WriteMode::Upsert,
        )
        .unwrap();
    let rates: Vec<f64> = contents(&store, AsOf::Latest)
        .iter()
        .map(|r| r.rate.unwrap())
        .collect();
    assert_eq!(rates, [1.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(
        latest_map(&store, Some(base + 999), Some(base + 999)),
        BTreeMap::from([(1, 6.0)])
    );
    assert_eq!(
        latest_map(&store, Some(base + 1000), Some(base + 1001)),
        BTreeMap::from([(1, 3.0)])
    );
}

#[test]
fn pre_1970_times_and_huge_ttls() {
    let (_dir, store) = open(true, Some(i64::MAX / 1_000));
    let before_epoch = -86_400_000_000 * 365; // 1969-01-01
    store
        .write(
            "stats",
            &batch(
                &[
                    r(1, before_epoch, Some(before_epoch - 1), 1.0),
                    r(1, -1, None, 2.0),
                    r(2, before_epoch + 1, None, 3.0),
                ],
                true,
            ),
            WriteMode::Append,
        )
        .unwrap();
    assert_eq!(
        contents(&store, AsOf::Latest)
            .iter()
            .map(|r| r.event)
            .collect::<Vec<_>>(),
        [before_epoch, -1, before_epoch + 1]
    );
    assert_eq!(
        pit_rates(
            &store,
            &[
                (1, before_epoch - 1),
                (1, before_epoch),
                (1, -2),
                (1, 0),
                (1, t(0)),
                (2, before_epoch)
            ]
        ),
        vec![None, Some(1.0), Some(1.0), Some(2.0), Some(2.0), None]
    );
    assert_eq!(
        latest_map(&store, None, Some(-2)),
        BTreeMap::from([(1, 1.0), (2, 3.0)])
    );
    // Entity dates far out of the timestamp range: an error or nulls, never a panic.
    let entity = make_batch(vec![
        ("driver_id", Arc::new(Int64Array::from(vec![1, 1]))),
        (
            "event_timestamp",
            Arc::new(Date32Array::from(vec![i32::MAX, i32::MIN])),
        ),
    ]);
    if let Ok(out) = store.historical_features(&entity, &["stats:conv_rate"]) {
        assert_eq!(out.num_rows(), 2);
    }
}

#[test]
fn writes_accept_columns_in_any_order_and_reregistering_an_extended_view() {
    let (_dir, store) = open(true, None);
    let rows = [r(1, t(0), Some(t(1)), 1.0), r(2, t(1), None, 2.0)];
    let ordered = batch(&rows, true);
    let shuffled = ordered.project(&[4, 3, 2, 1, 0]).unwrap();
    store.write("stats", &shuffled, WriteMode::Append).unwrap();
    assert_eq!(contents(&store, AsOf::Latest), rows);

    store
        .add_features("stats", vec![Feature::new("speed", ValueType::Float64)])
        .unwrap();
    let extended = store.feature_view("stats").unwrap();
    let version = store.version("stats").unwrap();
    store.register_feature_view(&extended).unwrap();
    assert_eq!(store.version("stats").unwrap(), version);
    assert!(matches!(
        store.register_feature_view(&stats_view(true, None)),
        Err(Error::Definition { .. })
    ));
    // Pinned to the version before the column existed, the new feature is either null
    // or a clear ColumnNotFound naming it, never a panic or a storage error.
    let options = HistoricalOptions {
        versions: [("stats".to_string(), 1)].into_iter().collect(),
        ..HistoricalOptions::default()
    };
    match store.historical_features_with(&entities_at(&[(1, t(2))]), &["stats:speed"], &options) {
        Ok(set) => assert_eq!(col(&set.table, "speed").null_count(), 1),
        Err(Error::ColumnNotFound { column, .. }) => assert!(column.contains("speed")),
        Err(e) => panic!("expected nulls or ColumnNotFound, got {e:?}"),
    }
}

#[test]
fn latest_features_of_an_unwritten_view_is_empty() {
    let (_dir, store) = open(true, None);
    let out = store.latest_features("stats", None, None, None).unwrap();
    assert_eq!(out.num_rows(), 0);
    let names: Vec<&str> = out
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        names,
        ["driver_id", "event_timestamp", "created", "conv_rate", "trips"]
    );
}

#[test]

fn concurrent_appends_full_ties_go_to_the_later_commit() {
    // Two writers append rows with the same key, event and created time. "Ties go to the
    // later write": the value of the commit with the highest version must win, in
    // historical_features and latest_features, and read() lists rows in commit order.
    let (dir, store) = open(true, None);
    let path = dir.path().to_str().unwrap().to_string();
    let results: Vec<(f64, ferrops::Result<u64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2i64)
            .map(|thread| {
                let path = path.clone();
                scope.spawn(move || {
                    let store = FeatureStore::open(&path).unwrap();
                    (0..10i64)
                        .map(|i| {
                            let value = (thread * 100 + i) as f64;
                            let rows = [r(1, t(0), Some(t(0)), value)];
                            let result = store
                                .write("stats", &batch(&rows, true), WriteMode::Append)
                                .map(|w| w.version);
                            (value, result)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut by_version: BTreeMap<u64, f64> = BTreeMap::new();
    for (value, result) in results {
        match result {
            Ok(version) => assert!(by_version.insert(version, value).is_none()),
            Err(Error::Conflict { .. }) => {}
            Err(e) => panic!("expected success or Conflict, got {e:?}"),
        }
    }
    let (_, &last) = by_version.iter().next_back().unwrap();
    let in_commit_order: Vec<f64> = by_version.values().copied().collect();
    let read_order: Vec<f64> = contents(&store, AsOf::Latest)
        .iter()
        .map(|r| r.rate.unwrap())
        .collect();
    // At every version, the training set must hold that commit's value.
    let wrong: Vec<(u64, f64, Option<f64>)> = by_version
        .iter()
        .filter_map(|(&version, &value)| {
            let options = HistoricalOptions {
                versions: [("stats".to_string(), version)].into_iter().collect(),
                ..HistoricalOptions::default()
            };
            let got = pit_rates_with(&store, &[(1, t(1))], &options)[0];
            (got != Some(value)).then_some((version, value, got))
        })
        .collect();
    let latest = latest_map(&store, None, None);
    assert!(
        read_order == in_commit_order && wrong.is_empty() && latest == BTreeMap::from([(1, last)]),
        "commit order {in_commit_order:?}, read() order {read_order:?}; \
         (version, its value, training set at that version) wrong: {wrong:?}; \
         last value {last}, latest_features {latest:?}"
    );
}
