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

    fn __repr__(&self) -> String {
        format!("FeatureStore({:?})", self.inner.uri())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFeatureStore>()?;
    Ok(())
}
