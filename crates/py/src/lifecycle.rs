//! `ferrops::lifecycle` as `_core.Lifecycle`, `_core.Timeline`, `_core.CallableSource`
//! and `_core.StoreSource`. Policies, states and decisions cross as JSON (the serde
//! form of the Rust structs); the Python layer (`ferrops.lifecycle`) wraps them.
//!
//! A Python callable training source is a Rust `TrainingSource` that takes the GIL
//! back inside `training_set`, calls the callable with the cut-off (µs since the
//! epoch) and converts the table it returns through the Arrow PyCapsule interface; an
//! exception it raises becomes a ferrops error carrying the Python message.

use std::sync::{Arc, Mutex, MutexGuard};

use arrow::record_batch::RecordBatch;
use ferrops::features::FeatureTransform;
use ferrops::lifecycle::{Lifecycle, LifecyclePolicy, StoreSource, Timeline, TrainingData, TrainingSource};
use ferrops::pipeline::Pipeline;
use ferrops::registry::{Lineage, ModelRegistry};
use ferrops::store::FeatureStore;
use ferrops::train::Trainer;
use ferrops::validate::gate::Gate;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::to_py;
use crate::{detached, out_batch, parse_json, to_batch, PyFittedPipeline, ALWAYS_THREAD};

fn json<T: serde::Serialize>(value: &T) -> ferrops::Result<String> {
    serde_json::to_string(value).map_err(|e| ferrops::Error::Serialization(e.to_string()))
}

fn py_json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    json(value).map_err(to_py)
}

/// A training source shared between its Python object and the loops using it.
#[derive(Clone)]
struct Shared(Arc<dyn TrainingSource>);

impl TrainingSource for Shared {
    fn training_set(&self, until_micros: i64) -> ferrops::Result<TrainingData> {
        self.0.training_set(until_micros)
    }
}

/// Calls a Python callable `until_micros -> table` (the Python layer adapts datetimes
/// and pandas/polars tables around it).
struct CallableSource {
    callable: Py<PyAny>,
    time_column: Option<String>,
    drop_columns: Vec<String>,
}

impl TrainingSource for CallableSource {
    fn training_set(&self, until_micros: i64) -> ferrops::Result<TrainingData> {
        let table: RecordBatch = Python::attach(|py| {
            let call = || -> PyResult<RecordBatch> {
                let out = self.callable.bind(py).call1((until_micros,))?;
                let batch: AnyRecordBatch = out.extract()?;
                to_batch(batch)
            };
            call().map_err(|e| ferrops::Error::InvalidData(format!("the training source raised {e}")))
        })?;
        for column in self.time_column.iter().chain(self.drop_columns.iter()) {
            if table.schema().index_of(column).is_err() {
                return Err(ferrops::Error::ColumnNotFound {
                    column: column.clone(),
                    available: table.schema().fields().iter().map(|f| f.name().clone()).collect(),
                });
            }
        }
        Ok(TrainingData {
            table,
            time_column: self.time_column.clone(),
            drop_columns: self.drop_columns.clone(),
            // The loop fingerprints the training table when no lineage is given.
            lineage: Lineage::default(),
        })
    }
}

/// The training set a source gives up to `until_micros`: `(table, time_column,
/// drop_columns, lineage JSON)`.
type TrainingSetTuple<'py> = (Bound<'py, PyAny>, Option<String>, Vec<String>, String);

fn training_set_tuple<'py>(
    py: Python<'py>,
    source: Shared,
    until_micros: i64,
) -> PyResult<TrainingSetTuple<'py>> {
    let data = detached(py, 0, move || source.training_set(until_micros))?;
    let lineage = py_json(&data.lineage)?;
    Ok((
        out_batch(py, data.table)?,
        data.time_column,
        data.drop_columns,
        lineage,
    ))
}

/// A training source calling back into Python (see `ferrops.lifecycle`).
#[pyclass(name = "CallableSource", module = "ferrops._core", frozen)]
struct PyCallableSource {
    inner: Shared,
}

#[pymethods]
impl PyCallableSource {
    #[new]
    #[pyo3(signature = (callable, time_column=None, drop_columns=Vec::new()))]
    fn new(
        callable: Bound<'_, PyAny>,
        time_column: Option<String>,
        drop_columns: Vec<String>,
    ) -> PyResult<Self> {
        if !callable.is_callable() {
            return Err(to_py(ferrops::Error::param(
                "source",
                callable.repr().map(|r| r.to_string()).unwrap_or_default(),
                "must be callable: until (µs since the epoch) -> table",
            )));
        }
        Ok(PyCallableSource {
            inner: Shared(Arc::new(CallableSource {
                callable: callable.unbind(),
                time_column,
                drop_columns,
            })),
        })
    }

    /// The training set up to `until_micros`: `(table, time_column, drop_columns, lineage_json)`.
    fn training_set<'py>(&self, py: Python<'py>, until_micros: i64) -> PyResult<TrainingSetTuple<'py>> {
        training_set_tuple(py, self.inner.clone(), until_micros)
    }
}

/// Point-in-time training sets from a feature store (`ferrops::lifecycle::StoreSource`).
#[pyclass(name = "StoreSource", module = "ferrops._core", frozen)]
struct PyStoreSource {
    inner: Shared,
}

#[pymethods]
impl PyStoreSource {
    #[new]
    fn new(py: Python<'_>, store_uri: String, labels_view: String, features: Vec<String>) -> PyResult<Self> {
        let store = detached(py, 0, move || FeatureStore::open(&store_uri))?;
        if features.is_empty() {
            return Err(to_py(ferrops::Error::param(
                "features",
                "[]",
                "name at least one feature (\"view:feature\" or \"view:*\")",
            )));
        }
        Ok(PyStoreSource {
            inner: Shared(Arc::new(StoreSource::new(store, &labels_view, &features))),
        })
    }

    /// The training set up to `until_micros`: `(table, time_column, drop_columns, lineage_json)`.
    fn training_set<'py>(&self, py: Python<'py>, until_micros: i64) -> PyResult<TrainingSetTuple<'py>> {
        training_set_tuple(py, self.inner.clone(), until_micros)
    }
}

/// A loop's decisions (`ferrops::lifecycle::Timeline`).
#[pyclass(name = "Timeline", module = "ferrops._core", frozen)]
struct PyTimeline {
    inner: Timeline,
}

#[pymethods]
impl PyTimeline {
    /// Rebuild from `to_json`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(PyTimeline {
            inner: parse_json("timeline", text)?,
        })
    }

    #[getter]
    fn model(&self) -> String {
        self.inner.model.clone()
    }

    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().map_err(to_py)
    }

    fn to_html(&self) -> String {
        self.inner.to_html()
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __len__(&self) -> usize {
        self.inner.decisions.len()
    }
}

/// The default `LifecyclePolicy` as JSON.
#[pyfunction]
fn lifecycle_policy_default() -> PyResult<String> {
    py_json(&LifecyclePolicy::default())
}

/// Parse and validate a policy's JSON (missing fields take their defaults); returns
/// the complete policy as JSON.
#[pyfunction]
fn lifecycle_policy_check(policy: &str) -> PyResult<String> {
    let policy: LifecyclePolicy = parse_json("policy", policy)?;
    policy.validate().map_err(to_py)?;
    py_json(&policy)
}

fn source_of(source: &Bound<'_, PyAny>) -> PyResult<Shared> {
    if let Ok(s) = source.cast::<PyCallableSource>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = source.cast::<PyStoreSource>() {
        return Ok(s.get().inner.clone());
    }
    Err(to_py(ferrops::Error::param(
        "source",
        source
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        "must be a _core.CallableSource or _core.StoreSource",
    )))
}

fn pipeline_of(transforms: &[String], trainer: &str) -> PyResult<Pipeline> {
    let mut pipeline = Pipeline::new();
    for spec in transforms {
        let t: Box<dyn FeatureTransform> = parse_json("transform spec", spec)?;
        pipeline = pipeline.transform_boxed(t);
    }
    let trainer: Box<dyn Trainer> = parse_json("trainer spec", trainer)?;
    Ok(pipeline.train_boxed(trainer))
}

/// The retraining loop of one model (see `ferrops.lifecycle.Lifecycle`).
#[pyclass(name = "Lifecycle", module = "ferrops._core", frozen)]
struct PyLifecycle {
    inner: Arc<Mutex<Lifecycle>>,
    model: String,
}

fn lock(inner: &Mutex<Lifecycle>) -> MutexGuard<'_, Lifecycle> {
    // A panic inside a step is reported to Python as an error; the loop's state is
    // changed only by complete actions, so it stays usable.
    inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[pymethods]
impl PyLifecycle {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (registry_uri, actor, model, transforms, trainer, target, source, gate, policy))]
    fn new(
        py: Python<'_>,
        registry_uri: String,
        actor: String,
        model: String,
        transforms: Vec<String>,
        trainer: String,
        target: String,
        source: Bound<'_, PyAny>,
        gate: String,
        policy: String,
    ) -> PyResult<Self> {
        let pipeline = pipeline_of(&transforms, &trainer)?;
        let source = source_of(&source)?;
        let policy: LifecyclePolicy = parse_json("policy", &policy)?;
        let name = model.clone();
        let lifecycle = detached(py, 0, move || {
            let gate = Gate::from_json(&gate)?;
            let registry = ModelRegistry::open(&registry_uri)?.with_actor(actor);
            Lifecycle::new(registry, &name, pipeline, &target, Box::new(source), gate, policy)
        })?;
        Ok(PyLifecycle {
            inner: Arc::new(Mutex::new(lifecycle)),
            model,
        })
    }

    #[getter]
    fn model(&self) -> String {
        self.model.clone()
    }

    /// One step at `now_micros` with an optional window; the decisions as a JSON list.
    #[pyo3(signature = (now_micros, window=None))]
    fn step(&self, py: Python<'_>, now_micros: i64, window: Option<AnyRecordBatch>) -> PyResult<String> {
        let window = window.map(to_batch).transpose()?;
        let inner = self.inner.clone();
        detached(py, ALWAYS_THREAD, move || {
            let decisions = lock(&inner).step(now_micros, window.as_ref())?;
            json(&decisions)
        })
    }

    /// Replay `stream` in windows of `step_micros`; the whole timeline.
    #[pyo3(signature = (stream, time_column, key_column, step_micros))]
    fn simulate(
        &self,
        py: Python<'_>,
        stream: AnyRecordBatch,
        time_column: String,
        key_column: Option<String>,
        step_micros: i64,
    ) -> PyResult<PyTimeline> {
        let stream = to_batch(stream)?;
        let inner = self.inner.clone();
        let timeline = detached(py, ALWAYS_THREAD, move || {
            lock(&inner)
                .simulate(&stream, &time_column, key_column.as_deref(), step_micros)
                .cloned()
        })?;
        Ok(PyTimeline { inner: timeline })
    }

    /// Offer a fitted candidate; the decisions as a JSON list.
    fn propose(
        &self,
        py: Python<'_>,
        now_micros: i64,
        pipeline: &PyFittedPipeline,
        holdout: AnyRecordBatch,
        reason: String,
    ) -> PyResult<String> {
        let holdout = to_batch(holdout)?;
        let fitted = (*pipeline.inner).clone();
        let inner = self.inner.clone();
        detached(py, ALWAYS_THREAD, move || {
            let decisions = lock(&inner).propose(now_micros, fitted, &holdout, &reason)?;
            json(&decisions)
        })
    }

    /// Roll the champion back to its previous version; the decision as JSON.
    fn rollback_champion(&self, py: Python<'_>, now_micros: i64, reason: String) -> PyResult<String> {
        let inner = self.inner.clone();
        detached(py, ALWAYS_THREAD, move || {
            let decision = lock(&inner).rollback_champion(now_micros, &reason)?;
            json(&decision)
        })
    }

    /// The loop's state as JSON (`{"state": "empty" | "stable" | "canary", ...}`).
    fn state(&self, py: Python<'_>) -> PyResult<String> {
        let inner = self.inner.clone();
        detached(py, 0, move || json(lock(&inner).state()))
    }

    /// Every decision so far.
    fn timeline(&self, py: Python<'_>) -> PyResult<PyTimeline> {
        let inner = self.inner.clone();
        let timeline = detached(py, 0, move || Ok(lock(&inner).timeline().clone()))?;
        Ok(PyTimeline { inner: timeline })
    }

    /// The router's status as JSON, or None before the first model.
    fn router_status(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let inner = self.inner.clone();
        detached(py, 0, move || {
            lock(&inner).router().map(|r| json(&r.status())).transpose()
        })
    }

    fn __repr__(&self) -> String {
        match self.inner.try_lock() {
            Ok(l) => format!("{l:?}"),
            Err(_) => format!("Lifecycle {{ model: {:?}, busy }}", self.model),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLifecycle>()?;
    m.add_class::<PyTimeline>()?;
    m.add_class::<PyCallableSource>()?;
    m.add_class::<PyStoreSource>()?;
    m.add_function(wrap_pyfunction!(lifecycle_policy_default, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_policy_check, m)?)?;
    Ok(())
}
