//! `ferrops::registry` as `_core.ModelRegistry` and `_core.ModelVersion`. Version
//! records and alias events cross as JSON (the serde form of the Rust structs: the
//! files the registry keeps); the Python layer (`ferrops.registry`) wraps them.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrops::drift::Profile;
use ferrops::registry::{self, Expected, Lineage, ModelMetadata, Search, ViewVersion};
use ferrops::store::FeatureStore;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::to_py;
use crate::{detached, parse_json, to_batch, PyFittedPipeline, ALWAYS_THREAD};

pub(crate) fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
}

/// `Expected::Any` unless `compare`, else `None` → unset, `Some(v)` → version `v`.
fn expected(compare: bool, version: Option<u64>) -> Expected {
    if compare {
        Expected::from_current(version)
    } else {
        Expected::Any
    }
}

/// One registered model version (see `ferrops.registry.ModelVersion`).
#[pyclass(name = "ModelVersion", module = "ferrops._core", frozen)]
pub struct PyModelVersion {
    inner: Arc<registry::ModelVersion>,
}

impl PyModelVersion {
    fn new(inner: registry::ModelVersion) -> Self {
        PyModelVersion {
            inner: Arc::new(inner),
        }
    }
}

#[pymethods]
impl PyModelVersion {
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    #[getter]
    fn version(&self) -> u64 {
        self.inner.version
    }

    /// The input signature: `(column, arrow type)` pairs.
    #[getter]
    fn inputs(&self) -> Vec<(String, String)> {
        self.inner
            .signature
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.to_string()))
            .collect()
    }

    /// The target column's name, if the pipeline has one.
    #[getter]
    fn target(&self) -> Option<String> {
        self.inner.target.as_ref().map(|t| t.name.clone())
    }

    #[getter]
    fn artifact_bytes(&self) -> u64 {
        self.inner.artifact_bytes()
    }

    /// The record as JSON (with `record_sha256`).
    fn to_json(&self) -> PyResult<String> {
        json(&*self.inner)
    }

    fn to_html(&self) -> String {
        self.inner.to_html()
    }

    fn __repr__(&self) -> String {
        format!("ModelVersion({:?}, {})", self.inner.name, self.inner.version)
    }
}

/// A model registry (see `ferrops.registry.ModelRegistry`).
#[pyclass(name = "ModelRegistry", module = "ferrops._core", frozen)]
pub struct PyModelRegistry {
    inner: registry::ModelRegistry,
}

#[pymethods]
impl PyModelRegistry {
    #[new]
    #[pyo3(signature = (uri, actor=None))]
    fn open(py: Python<'_>, uri: String, actor: Option<String>) -> PyResult<Self> {
        let opened = detached(py, 0, move || registry::ModelRegistry::open(&uri))?;
        Ok(PyModelRegistry {
            inner: match actor {
                Some(a) => opened.with_actor(a),
                None => opened,
            },
        })
    }

    /// The same registry with alias moves attributed to `actor`.
    fn with_actor(&self, actor: String) -> Self {
        PyModelRegistry {
            inner: self.inner.with_actor(actor),
        }
    }

    #[getter]
    fn uri(&self) -> String {
        self.inner.uri().to_string()
    }

    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }

    #[getter]
    fn actor(&self) -> String {
        self.inner.actor().to_string()
    }

    /// Register `pipeline` as the next version of `name`.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (
        name, pipeline, description="", metrics=None, tags=None, params_json=None, seed=None,
        training_table=None, store_uri=None, feature_views=None, profile_json=None, view_versions=None
    ))]
    fn register(
        &self,
        py: Python<'_>,
        name: String,
        pipeline: &PyFittedPipeline,
        description: &str,
        metrics: Option<BTreeMap<String, f64>>,
        tags: Option<BTreeMap<String, String>>,
        params_json: Option<&str>,
        seed: Option<u64>,
        training_table: Option<AnyRecordBatch>,
        store_uri: Option<String>,
        feature_views: Option<Vec<String>>,
        profile_json: Option<String>,
        view_versions: Option<Vec<(String, u64)>>,
    ) -> PyResult<PyModelVersion> {
        let mut meta = ModelMetadata::new()
            .description(description)
            .metrics(metrics.unwrap_or_default());
        for (k, v) in tags.unwrap_or_default() {
            meta = meta.tag(k, v);
        }
        if let Some(text) = params_json {
            let params: BTreeMap<String, serde_json::Value> = parse_json("params", text)?;
            for (k, v) in params {
                meta = meta.param(k, v);
            }
        }
        if let Some(s) = seed {
            meta = meta.seed(s);
        }
        let table = training_table.map(to_batch).transpose()?;
        let registry = self.inner.clone();
        let pipeline = pipeline.inner.clone();
        let record = detached(py, 0, move || {
            if let Some(views) = feature_views.filter(|v| !v.is_empty()) {
                let Some(uri) = store_uri else {
                    return Err(ferrops::Error::param(
                        "feature_views",
                        views.join(", "),
                        "feature views need the store they were read from: pass store=",
                    ));
                };
                let store = FeatureStore::open(&uri)?;
                meta = meta.lineage(Lineage::from_store(&store, &views)?);
            } else if let Some(read) = view_versions {
                // The versions a point-in-time training set read (as `Lineage::from_training_set`).
                meta = meta.lineage(Lineage {
                    feature_views: read
                        .into_iter()
                        .map(|(view, version)| ViewVersion { view, version })
                        .collect(),
                    training_table: None,
                });
            }
            if let Some(t) = &table {
                meta = meta.training_table(t)?;
            }
            if let Some(text) = profile_json {
                meta = meta.profile(Profile::from_json(&text)?);
            }
            registry.register(&name, &pipeline, meta)
        })?;
        Ok(PyModelVersion::new(record))
    }

    fn models(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let registry = self.inner.clone();
        detached(py, 0, move || registry.models())
    }

    fn version(&self, py: Python<'_>, name: String, version: u64) -> PyResult<PyModelVersion> {
        let registry = self.inner.clone();
        Ok(PyModelVersion::new(detached(py, 0, move || {
            registry.version(&name, version)
        })?))
    }

    fn versions(&self, py: Python<'_>, name: String) -> PyResult<Vec<PyModelVersion>> {
        let registry = self.inner.clone();
        let found = detached(py, 0, move || registry.versions(&name))?;
        Ok(found.into_iter().map(PyModelVersion::new).collect())
    }

    fn resolve(&self, py: Python<'_>, name: String, reference: String) -> PyResult<PyModelVersion> {
        let registry = self.inner.clone();
        Ok(PyModelVersion::new(detached(py, 0, move || {
            registry.resolve(&name, &reference)
        })?))
    }

    /// Load (hashes verified) the pipeline `reference` names, with its version record.
    fn load(
        &self,
        py: Python<'_>,
        name: String,
        reference: String,
    ) -> PyResult<(PyFittedPipeline, PyModelVersion)> {
        let registry = self.inner.clone();
        let (pipeline, record) = detached(py, ALWAYS_THREAD, move || {
            let record = registry.resolve(&name, &reference)?;
            let pipeline = registry.load_version(&record)?;
            Ok((pipeline, record))
        })?;
        Ok((
            PyFittedPipeline {
                inner: Arc::new(pipeline),
            },
            PyModelVersion::new(record),
        ))
    }

    /// The stored drift profile's JSON, if the version has one.
    fn load_profile(&self, py: Python<'_>, name: String, reference: String) -> PyResult<Option<String>> {
        let registry = self.inner.clone();
        detached(py, 0, move || {
            registry
                .load_profile(&name, &reference)?
                .map(|p| p.to_json())
                .transpose()
        })
    }

    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (model=None, tags=None, min_metrics=None, max_metrics=None, order_by=None, descending=true, limit=None))]
    fn search(
        &self,
        py: Python<'_>,
        model: Option<String>,
        tags: Option<Vec<(String, String)>>,
        min_metrics: Option<Vec<(String, f64)>>,
        max_metrics: Option<Vec<(String, f64)>>,
        order_by: Option<String>,
        descending: bool,
        limit: Option<usize>,
    ) -> PyResult<Vec<PyModelVersion>> {
        let mut search = Search::new();
        if let Some(m) = model {
            search = search.model(m);
        }
        for (k, v) in tags.unwrap_or_default() {
            search = search.tag(k, v);
        }
        for (k, v) in min_metrics.unwrap_or_default() {
            search = search.metric_at_least(k, v);
        }
        for (k, v) in max_metrics.unwrap_or_default() {
            search = search.metric_at_most(k, v);
        }
        if let Some(metric) = order_by {
            search = search.order_by(metric, descending);
        }
        if let Some(n) = limit {
            search = search.limit(n);
        }
        let registry = self.inner.clone();
        let found = detached(py, 0, move || registry.search(&search))?;
        Ok(found.into_iter().map(PyModelVersion::new).collect())
    }

    /// Move an alias (compare-and-swap unless `compare` is false); the event as JSON.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (name, alias, version, compare, expected, reason))]
    fn set_alias(
        &self,
        py: Python<'_>,
        name: String,
        alias: String,
        version: u64,
        compare: bool,
        expected: Option<u64>,
        reason: String,
    ) -> PyResult<String> {
        let registry = self.inner.clone();
        let expected = self::expected(compare, expected);
        json(&detached(py, 0, move || {
            registry.set_alias(&name, &alias, version, expected, &reason)
        })?)
    }

    fn rollback(&self, py: Python<'_>, name: String, alias: String, reason: String) -> PyResult<String> {
        let registry = self.inner.clone();
        json(&detached(py, 0, move || {
            registry.rollback(&name, &alias, &reason)
        })?)
    }

    #[pyo3(signature = (name, alias, compare, expected, reason))]
    fn delete_alias(
        &self,
        py: Python<'_>,
        name: String,
        alias: String,
        compare: bool,
        expected: Option<u64>,
        reason: String,
    ) -> PyResult<String> {
        let registry = self.inner.clone();
        let expected = self::expected(compare, expected);
        json(&detached(py, 0, move || {
            registry.delete_alias(&name, &alias, expected, &reason)
        })?)
    }

    fn alias(&self, py: Python<'_>, name: String, alias: String) -> PyResult<Option<u64>> {
        let registry = self.inner.clone();
        detached(py, 0, move || registry.alias(&name, &alias))
    }

    fn aliases(&self, py: Python<'_>, name: String) -> PyResult<BTreeMap<String, u64>> {
        let registry = self.inner.clone();
        detached(py, 0, move || registry.aliases(&name))
    }

    /// The alias events as a JSON list, oldest first.
    #[pyo3(signature = (name, alias=None))]
    fn history(&self, py: Python<'_>, name: String, alias: Option<String>) -> PyResult<String> {
        let registry = self.inner.clone();
        json(&detached(py, 0, move || {
            registry.history(&name, alias.as_deref())
        })?)
    }

    fn alias_at(&self, py: Python<'_>, name: String, alias: String, at_micros: i64) -> PyResult<Option<u64>> {
        let registry = self.inner.clone();
        detached(py, 0, move || registry.alias_at(&name, &alias, at_micros))
    }

    fn to_html(&self, py: Python<'_>, name: String) -> PyResult<String> {
        let registry = self.inner.clone();
        detached(py, 0, move || registry.to_html(&name))
    }

    fn __repr__(&self) -> String {
        format!(
            "ModelRegistry({:?}, actor={:?})",
            self.inner.uri(),
            self.inner.actor()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModelRegistry>()?;
    m.add_class::<PyModelVersion>()?;
    Ok(())
}
