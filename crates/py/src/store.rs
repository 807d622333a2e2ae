//! `ferrops::store` as the `_core.FeatureStore` class. Definitions, history and
//! lineage cross as JSON (the serde form of the Rust structs: the same files the store
//! keeps); tables cross through the Arrow PyCapsule interface. The Python layer
//! (`ferrops.store`) wraps it.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrops::store::{AsOf, Entity, Feature, FeatureStore, FeatureView, HistoricalOptions, WriteMode};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::to_py;
use crate::{detached, out_batch, parse_json, to_batch};

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
}

/// Per served feature column: its name and one status per row.
type Statuses = Vec<(String, Vec<String>)>;

/// An embedded feature store (see `ferrops.FeatureStore`).
#[pyclass(name = "FeatureStore", module = "ferrops._core", frozen)]
pub struct PyFeatureStore {
    inner: Arc<FeatureStore>,
}

#[pymethods]
impl PyFeatureStore {
    #[new]
    fn open(py: Python<'_>, uri: String) -> PyResult<Self> {
        let store = detached(py, 0, move || FeatureStore::open(&uri))?;
        Ok(PyFeatureStore {
            inner: Arc::new(store),
        })
    }

    #[getter]
    fn uri(&self) -> String {
        self.inner.uri().to_string()
    }

    fn register_entity(&self, py: Python<'_>, entity: &str) -> PyResult<()> {
        let entity: Entity = parse_json("entity", entity)?;
        let store = self.inner.clone();
        detached(py, 0, move || store.register_entity(&entity))
    }

    fn register_feature_view(&self, py: Python<'_>, view: &str) -> PyResult<()> {
        let view: FeatureView = parse_json("feature view", view)?;
        let store = self.inner.clone();
        detached(py, 0, move || store.register_feature_view(&view))
    }

    fn add_features(&self, py: Python<'_>, view: String, features: &str) -> PyResult<u64> {
        let features: Vec<Feature> = parse_json("features", features)?;
        let store = self.inner.clone();
        detached(py, 0, move || store.add_features(&view, features))
    }

    fn entities(&self, py: Python<'_>) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || store.entities())?)
    }

    fn entity(&self, py: Python<'_>, name: String) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || store.entity(&name))?)
    }

    fn feature_views(&self, py: Python<'_>) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || store.feature_views())?)
    }

    fn feature_view(&self, py: Python<'_>, name: String) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || store.feature_view(&name))?)
    }

    /// Write; returns the `WriteResult` as JSON.
    fn write(&self, py: Python<'_>, view: String, table: AnyRecordBatch, mode: &str) -> PyResult<String> {
        let mode = WriteMode::parse(mode).map_err(to_py)?;
        let batch = to_batch(table)?;
        let store = self.inner.clone();
        json(&detached(py, batch.num_rows(), move || {
            store.write(&view, &batch, mode)
        })?)
    }

    #[pyo3(signature = (view, version=None, timestamp_ms=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        view: String,
        version: Option<u64>,
        timestamp_ms: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_of = match (version, timestamp_ms) {
            (Some(v), None) => AsOf::Version(v),
            (None, Some(t)) => AsOf::TimestampMillis(t),
            (None, None) => AsOf::Latest,
            (Some(_), Some(_)) => {
                return Err(to_py(ferrops::Error::param(
                    "as_of",
                    "version and timestamp",
                    "pass a version or a timestamp, not both",
                )))
            }
        };
        let store = self.inner.clone();
        let batch = detached(py, 0, move || store.read(&view, as_of))?;
        out_batch(py, batch)
    }

    fn version(&self, py: Python<'_>, view: String) -> PyResult<u64> {
        let store = self.inner.clone();
        detached(py, 0, move || store.version(&view))
    }

    fn history(&self, py: Python<'_>, view: String) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || store.history(&view))?)
    }

    /// The training set and its lineage (JSON list of {view, version}).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (entity_rows, features, timestamp_column, full_feature_names, as_of_created, versions))]
    fn historical_features<'py>(
        &self,
        py: Python<'py>,
        entity_rows: AnyRecordBatch,
        features: Vec<String>,
        timestamp_column: String,
        full_feature_names: bool,
        as_of_created: bool,
        versions: BTreeMap<String, u64>,
    ) -> PyResult<(Bound<'py, PyAny>, String)> {
        let batch = to_batch(entity_rows)?;
        let options = HistoricalOptions {
            timestamp_column,
            full_feature_names,
            as_of_created,
            versions,
        };
        let store = self.inner.clone();
        let set = detached(py, batch.num_rows(), move || {
            let refs: Vec<&str> = features.iter().map(String::as_str).collect();
            store.historical_features_with(&batch, &refs, &options)
        })?;
        let lineage = json(&set.lineage)?;
        Ok((out_batch(py, set.table)?, lineage))
    }

    #[pyo3(signature = (view, features=None, start_micros=None, end_micros=None))]
    fn latest_features<'py>(
        &self,
        py: Python<'py>,
        view: String,
        features: Option<Vec<String>>,
        start_micros: Option<i64>,
        end_micros: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let store = self.inner.clone();
        let batch = detached(py, 0, move || {
            let refs: Option<Vec<&str>> = features.as_ref().map(|f| f.iter().map(String::as_str).collect());
            store.latest_features(&view, refs.as_deref(), start_micros, end_micros)
        })?;
        out_batch(py, batch)
    }

    /// Statistics of a version (latest when None): the profile's JSON, and a summary
    /// (JSON list, one object per column: counts, min, max, mean, std, quantiles, top
    /// categories).
    #[pyo3(signature = (view, version=None))]
    fn statistics(&self, py: Python<'_>, view: String, version: Option<u64>) -> PyResult<(String, String)> {
        let store = self.inner.clone();
        detached(py, 0, move || {
            let profile = store.statistics(&view, version)?;
            let summary = summarize(&profile)?;
            Ok((profile.to_json()?, summary))
        })
    }

    #[pyo3(signature = (view, start_micros, end_micros))]
    fn materialize(
        &self,
        py: Python<'_>,
        view: String,
        start_micros: Option<i64>,
        end_micros: i64,
    ) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || {
            store.materialize(&view, start_micros, end_micros)
        })?)
    }

    fn materialize_incremental(&self, py: Python<'_>, view: String, end_micros: i64) -> PyResult<String> {
        let store = self.inner.clone();
        json(&detached(py, 0, move || {
            store.materialize_incremental(&view, end_micros)
        })?)
    }

    fn last_materialization(&self, py: Python<'_>, view: String) -> PyResult<Option<String>> {
        let store = self.inner.clone();
        match detached(py, 0, move || store.last_materialization(&view))? {
            Some(m) => Ok(Some(json(&m)?)),
            None => Ok(None),
        }
    }

    /// Online values and, per feature column, its name and statuses.
    #[pyo3(signature = (keys, features, full_feature_names, now_micros=None))]
    fn online_features<'py>(
        &self,
        py: Python<'py>,
        keys: AnyRecordBatch,
        features: Vec<String>,
        full_feature_names: bool,
        now_micros: Option<i64>,
    ) -> PyResult<(Bound<'py, PyAny>, Statuses)> {
        let batch = to_batch(keys)?;
        let store = self.inner.clone();
        let served = detached(py, batch.num_rows(), move || {
            let refs: Vec<&str> = features.iter().map(String::as_str).collect();
            store.online_features_with(&batch, &refs, full_feature_names, now_micros)
        })?;
        let status = served
            .status
            .into_iter()
            .map(|(name, s)| (name, s.into_iter().map(|x| x.as_str().to_string()).collect()))
            .collect();
        Ok((out_batch(py, served.table)?, status))
    }

    fn __repr__(&self) -> String {
        format!("FeatureStore({:?})", self.inner.uri())
    }
}

/// Quantiles shown in summaries.
const QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

fn summarize(profile: &ferrops::data::profile::TableProfile) -> ferrops::Result<String> {
    use ferrops::data::profile::ColumnKind;
    let mut columns = Vec::new();
    for c in profile.columns() {
        let mut entry = serde_json::Map::new();
        entry.insert("column".into(), c.name().into());
        entry.insert("kind".into(), c.kind().to_string().into());
        entry.insert("type".into(), c.data_type().into());
        entry.insert("count".into(), c.count().into());
        entry.insert("null_count".into(), c.null_count().into());
        entry.insert("nan_count".into(), c.nan_count().into());
        entry.insert("inf_count".into(), c.inf_count().into());
        entry.insert("mean".into(), c.mean().into());
        entry.insert("std".into(), c.std().into());
        entry.insert("min".into(), c.min().into());
        entry.insert("max".into(), c.max().into());
        if matches!(c.kind(), ColumnKind::Numeric | ColumnKind::Timestamp) {
            for q in QUANTILES {
                entry.insert(format!("p{}", (q * 100.0).round()), c.quantile(q)?.into());
            }
        }
        if matches!(c.kind(), ColumnKind::Categorical | ColumnKind::Boolean) {
            let top: Vec<serde_json::Value> = c
                .top_categories(10)?
                .into_iter()
                .map(|(v, n)| serde_json::json!([v, n]))
                .collect();
            entry.insert("top".into(), top.into());
        }
        columns.push(serde_json::Value::Object(entry));
    }
    serde_json::to_string(&columns).map_err(|e| ferrops::Error::Serialization(e.to_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFeatureStore>()?;
    Ok(())
}
