//! Online store: the public types that need no feature store.
//!
//! `SnapshotOnlineStore` is built by the feature store from its storage (its constructor
//! is crate-private), so its reads and writes are tested inside the crate
//! (`crates/core/src/store/online.rs`, `mod tests`) and through the feature store. Here:
//! the status names that serving clients see, and that the trait can be implemented and
//! used as an object outside the crate (the way a Redis store would be added).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{Field, Int64Type, Schema};
use ferrops::store::definitions::{Feature, FeatureView, ValueType};
use ferrops::store::online::{FeatureStatus, OnlineResult, OnlineStore, OnlineWriteSummary};
use ferrops::{Error, Result};

#[test]
fn status_display_and_serde_agree() {
    for (status, name) in [
        (FeatureStatus::Present, "present"),
        (FeatureStatus::NullValue, "null_value"),
        (FeatureStatus::NotFound, "not_found"),
        (FeatureStatus::OutsideTtl, "outside_ttl"),
    ] {
        assert_eq!(status.to_string(), name);
        assert_eq!(status.as_str(), name);
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<FeatureStatus>(&json).unwrap(), status);
    }
    assert!(serde_json::from_str::<FeatureStatus>("\"Present\"").is_err());
    let summary = OnlineWriteSummary {
        inserted: 1,
        updated: 2,
        kept_newer: 3,
        rows: 6,
    };
    let json = serde_json::to_value(summary).unwrap();
    assert_eq!(json["kept_newer"], 3);
    assert_eq!(
        serde_json::from_value::<OnlineWriteSummary>(json).unwrap(),
        summary
    );
}

/// A minimal store keyed by one Int64 column, holding one Int64 feature per key: enough to
/// show that every type of the trait is public and the trait is object-safe.
#[derive(Debug, Default)]
struct MapStore {
    values: Mutex<HashMap<(String, i64), i64>>,
}

impl OnlineStore for MapStore {
    fn write(
        &self,
        view: &FeatureView,
        key_columns: &[String],
        rows: &RecordBatch,
    ) -> Result<OnlineWriteSummary> {
        let key = ferrops::data::table::column(rows, &key_columns[0])?.as_primitive::<Int64Type>();
        let value = ferrops::data::table::column(rows, &view.features[0].name)?.as_primitive::<Int64Type>();
        let mut map = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        let mut summary = OnlineWriteSummary {
            rows: rows.num_rows(),
            ..OnlineWriteSummary::default()
        };
        for (k, v) in key.values().iter().zip(value.values().iter()) {
            match map.insert((view.name.clone(), *k), *v) {
                Some(_) => summary.updated += 1,
                None => summary.inserted += 1,
            }
        }
        Ok(summary)
    }

    fn read(
        &self,
        view: &FeatureView,
        key_columns: &[String],
        keys: &RecordBatch,
        features: &[String],
        _now_micros: i64,
    ) -> Result<OnlineResult> {
        if features.len() != 1 || view.feature(&features[0]).is_none() {
            return Err(Error::param(
                "features",
                format!("{features:?}"),
                "one feature of the view",
            ));
        }
        let key = ferrops::data::table::column(keys, &key_columns[0])?.as_primitive::<Int64Type>();
        let map = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        let found: Vec<Option<i64>> = key
            .iter()
            .map(|k| k.and_then(|k| map.get(&(view.name.clone(), k)).copied()))
            .collect();
        let status = found
            .iter()
            .map(|v| {
                if v.is_some() {
                    FeatureStatus::Present
                } else {
                    FeatureStatus::NotFound
                }
            })
            .collect();
        let schema = Arc::new(Schema::new(vec![Field::new(
            &features[0],
            ValueType::Int64.arrow_type(),
            true,
        )]));
        let column: ArrayRef = Arc::new(Int64Array::from(found));
        Ok(OnlineResult {
            values: RecordBatch::try_new(schema, vec![column])?,
            status: vec![status],
            event_micros: vec![None; keys.num_rows()],
        })
    }

    fn drop_view(&self, view: &str) -> Result<()> {
        self.values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(v, _), _| v != view);
        Ok(())
    }
}

#[test]
fn the_trait_is_implementable_and_object_safe() {
    let store: Box<dyn OnlineStore> = Box::new(MapStore::default());
    let view = FeatureView::new(
        "trips",
        ["driver"],
        "ts",
        vec![Feature::new("n", ValueType::Int64)],
    );
    let keys = vec!["driver_id".to_string()];
    let rows = RecordBatch::try_from_iter([
        ("driver_id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("ts", new_null_array(&ValueType::Timestamp.arrow_type(), 2)),
        ("n", Arc::new(Int64Array::from(vec![10, 20])) as ArrayRef),
    ])
    .unwrap();
    assert_eq!(store.write(&view, &keys, &rows).unwrap().inserted, 2);
    let request =
        RecordBatch::try_from_iter([("driver_id", Arc::new(Int64Array::from(vec![2, 3])) as ArrayRef)])
            .unwrap();
    let r = store.read(&view, &keys, &request, &["n".to_string()], 0).unwrap();
    assert_eq!(r.status[0], vec![FeatureStatus::Present, FeatureStatus::NotFound]);
    assert_eq!(r.values.column(0).as_primitive::<Int64Type>().value(0), 20);
    assert!(r.values.column(0).is_null(1));
    store.drop_view("trips").unwrap();
    let r = store.read(&view, &keys, &request, &["n".to_string()], 0).unwrap();
    assert_eq!(r.status[0], vec![FeatureStatus::NotFound; 2]);
}
