//! The PyO3 layer of ferrops, exposed as `ferrops._core`.
//!
//! It converts, releases the GIL, maps errors and holds no logic of its own: every
//! object here wraps a `ferrops` Rust object. Parameters cross as the JSON form of the
//! Rust structs (`{"type": "<tag>", ...}`), so a Python wrapper and a Rust user
//! configure exactly the same thing.
#![allow(missing_docs)]

mod cli;
mod cv;
mod drift;
mod drift_stream;
mod errors;
mod gate;
mod lifecycle;
mod metrics;
mod monitor;
mod multivariate;
mod registry;
mod serve;
mod split;
mod store;
mod validation;

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ferrops::data::{ClassLabels, CsvOptions, Value};
use ferrops::features::{FeatureTransform, FittedTransform};
use ferrops::pipeline::{FittedPipeline, Pipeline};
use ferrops::preprocess::Preprocessor;
use ferrops::train::Trainer;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::PyRecordBatch;

use errors::to_py;

/// Materialise any Arrow input (pyarrow, polars, pandas through the PyCapsule
/// interface) as one record batch.
fn to_batch(table: AnyRecordBatch) -> PyResult<RecordBatch> {
    match table {
        AnyRecordBatch::RecordBatch(b) => Ok(b.into_inner()),
        AnyRecordBatch::Stream(s) => {
            let reader = s.into_reader()?;
            let schema: SchemaRef = reader.schema();
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| to_py(ferrops::Error::Arrow(e)))?;
            arrow::compute::concat_batches(&schema, &batches).map_err(|e| to_py(ferrops::Error::Arrow(e)))
        }
    }
}

fn out_batch(py: Python<'_>, batch: RecordBatch) -> PyResult<Bound<'_, PyAny>> {
    PyRecordBatch::new(batch).into_pyarrow(py)
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| {
        to_py(ferrops::Error::InvalidParameter {
            name: what.to_string(),
            value: json.chars().take(200).collect(),
            reason: e.to_string(),
        })
    })
}

/// Work on fewer rows than this runs inline (without the GIL); more runs on a worker
/// thread so that Ctrl-C can interrupt the wait.
const INLINE_ROWS: usize = 50_000;

/// Run `f` without the GIL and return its result, mapping errors and panics.
///
/// Long work (`rows >= INLINE_ROWS`, and every fit) runs on a worker thread while this
/// thread waits with the GIL released, checking for Ctrl-C every 50 ms: a
/// KeyboardInterrupt returns control at once and cancels the worker's
/// [`CancelToken`](ferrops::cancel::CancelToken), so it stops at its next check (between
/// row chunks, between stages, at every logistic-solver step; linfa's solvers only when
/// they return) and its result is dropped. Nothing it would have written is left
/// half-done, since writes are atomic renames. A panic in ferrops becomes a
/// `FerropsError`, never a Python crash.
fn detached<T: Send + 'static>(
    py: Python<'_>,
    rows: usize,
    f: impl FnOnce() -> ferrops::Result<T> + Send + 'static,
) -> PyResult<T> {
    detached_with(py, rows, OnInterrupt::Raise, f)
}

/// What [`detached_with`] does on Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnInterrupt {
    /// Cancel the worker and raise `KeyboardInterrupt` at once, dropping its result.
    Raise,
    /// Cancel the worker and wait for what it returns: for work that returns partial
    /// results when cancelled (a hyperparameter search). A second Ctrl-C raises.
    CancelAndWait,
}

/// [`detached`] with a choice of what Ctrl-C does.
fn detached_with<T: Send + 'static>(
    py: Python<'_>,
    rows: usize,
    on_interrupt: OnInterrupt,
    f: impl FnOnce() -> ferrops::Result<T> + Send + 'static,
) -> PyResult<T> {
    use std::sync::mpsc::{channel, RecvTimeoutError};
    let guarded = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    if rows < INLINE_ROWS {
        return match py.detach(guarded) {
            Ok(result) => result.map_err(to_py),
            Err(panic) => Err(errors::from_panic(panic)),
        };
    }
    let (sender, receiver) = channel();
    let token = ferrops::cancel::CancelToken::new();
    let worker_token = token.clone();
    std::thread::Builder::new()
        .name("ferrops-worker".into())
        .spawn(move || {
            let _ = sender.send(ferrops::cancel::with_token(&worker_token, guarded));
        })
        .map_err(|e| errors::FerropsError::new_err(format!("cannot start a worker thread: {e}")))?;
    let mut receiver = receiver;
    loop {
        // The receiver moves into the GIL-free closure and back (it is Send, not Sync).
        let (received, back) = py.detach(move || {
            let received = receiver.recv_timeout(std::time::Duration::from_millis(50));
            (received, receiver)
        });
        receiver = back;
        match received {
            Ok(Ok(result)) => return result.map_err(to_py),
            Ok(Err(panic)) => return Err(errors::from_panic(panic)),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    let waiting = on_interrupt == OnInterrupt::CancelAndWait && !token.is_cancelled();
                    token.cancel();
                    if !waiting {
                        return Err(interrupt);
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(errors::FerropsError::new_err(
                    "the ferrops worker thread stopped without a result",
                ))
            }
        }
    }
}

/// Every fit goes to the worker thread: fits are the long calls.
const ALWAYS_THREAD: usize = usize::MAX;

fn value_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::Str(obj.extract()?));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Value::Float(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(Value::Int(obj.extract()?));
    }
    // numpy scalars and other number-likes.
    let type_name = obj.get_type().name()?.to_string();
    if type_name.starts_with("bool") {
        return Ok(Value::Bool(obj.is_truthy()?));
    }
    if type_name.starts_with("int") || type_name.starts_with("uint") {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Int(i));
        }
    }
    if let Ok(f) = obj.extract::<f64>() {
        return Ok(Value::Float(f));
    }
    Err(PyTypeError::new_err(format!(
        "cannot use a value of type {type_name} in a row: use None, bool, int, float or str"
    )))
}

fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Int(i) | Value::Timestamp(i) => i.into_pyobject(py)?.into_any().unbind(),
        Value::Float(f) => f.into_pyobject(py)?.into_any().unbind(),
        Value::Str(s) => s.into_pyobject(py)?.into_any().unbind(),
    })
}

fn labels_to_py(py: Python<'_>, labels: &ClassLabels) -> PyResult<Py<PyAny>> {
    Ok(match labels {
        ClassLabels::Str(v) => PyList::new(py, v)?.into_any().unbind(),
        ClassLabels::Int(v) => PyList::new(py, v)?.into_any().unbind(),
        ClassLabels::Bool(v) => PyList::new(py, v)?.into_any().unbind(),
    })
}

/// A fitted feature transform (one stage), with the schema it was fitted on.
#[pyclass(name = "FittedTransform", module = "ferrops._core", frozen)]
struct PyFittedTransform {
    inner: Arc<Box<dyn FittedTransform>>,
    input: arrow::datatypes::Schema,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TransformState {
    stage: Box<dyn FittedTransform>,
    input: arrow::datatypes::Schema,
}

fn ser_err(e: serde_json::Error) -> PyErr {
    to_py(ferrops::Error::Serialization(e.to_string()))
}

#[pymethods]
impl PyFittedTransform {
    /// Fit the transform described by `spec` (JSON: `{"type": tag, ...params}`) on `table`.
    #[staticmethod]
    fn fit(py: Python<'_>, spec: &str, table: AnyRecordBatch) -> PyResult<Self> {
        let transform: Box<dyn FeatureTransform> = parse_json("transform spec", spec)?;
        let batch = to_batch(table)?;
        let input = batch.schema().as_ref().clone();
        let inner = detached(py, ALWAYS_THREAD, move || transform.fit(&batch))?;
        Ok(PyFittedTransform {
            inner: Arc::new(inner),
            input,
        })
    }

    /// Transform `table` into a pyarrow RecordBatch.
    fn transform<'py>(&self, py: Python<'py>, table: AnyRecordBatch) -> PyResult<Bound<'py, PyAny>> {
        let batch = to_batch(table)?;
        let stage = self.inner.clone();
        let out = detached(py, batch.num_rows(), move || stage.transform(&batch))?;
        out_batch(py, out)
    }

    /// Output column names for the fit-time input.
    fn feature_names_out(&self) -> PyResult<Vec<String>> {
        self.inner.feature_names_out(&self.input).map_err(to_py)
    }

    /// Input column names seen at fit.
    #[getter]
    fn feature_names_in(&self) -> Vec<String> {
        self.input.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The fitted state (learned parameters) as JSON.
    fn state_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(ser_err)
    }

    /// Serialize stage and input schema to bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let state = TransformState {
            stage: (*self.inner).clone(),
            input: self.input.clone(),
        };
        Ok(PyBytes::new(py, &serde_json::to_vec(&state).map_err(ser_err)?))
    }

    /// Rebuild from `to_bytes`.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        let state: TransformState = serde_json::from_slice(data).map_err(|e| {
            to_py(ferrops::Error::Serialization(format!(
                "not a serialized ferrops transform: {e}"
            )))
        })?;
        Ok(PyFittedTransform {
            inner: Arc::new(state.stage),
            input: state.input,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let bytes = slf.get().to_bytes(py)?;
        let ctor = py.get_type::<PyFittedTransform>().getattr("from_bytes")?;
        PyTuple::new(py, [ctor.into_any(), PyTuple::new(py, [bytes])?.into_any()])
    }

    fn __repr__(&self) -> String {
        format!("FittedTransform({:?})", self.inner)
    }
}

/// A fitted pipeline: transforms and, optionally, a model.
#[pyclass(name = "FittedPipeline", module = "ferrops._core", frozen)]
struct PyFittedPipeline {
    inner: Arc<FittedPipeline>,
}

#[pymethods]
impl PyFittedPipeline {
    /// Fit transforms (JSON specs) and an optional trainer (JSON spec) on `table`.
    /// With a trainer, `target` names the target column of `table`.
    #[staticmethod]
    #[pyo3(signature = (transforms, trainer, table, target=None, sample_weight=None))]
    fn fit(
        py: Python<'_>,
        transforms: Vec<String>,
        trainer: Option<&str>,
        table: AnyRecordBatch,
        target: Option<&str>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Self> {
        let mut pipeline = Pipeline::new();
        for spec in &transforms {
            let t: Box<dyn FeatureTransform> = parse_json("transform spec", spec)?;
            pipeline = pipeline.transform_boxed(t);
        }
        let trainer: Option<Box<dyn Trainer>> = trainer.map(|s| parse_json("trainer spec", s)).transpose()?;
        if let Some(t) = trainer {
            pipeline = pipeline.train_boxed(t);
        }
        let weights = sample_weight.map(|w| w.as_array().to_owned());
        let batch = to_batch(table)?;
        let inner = match target {
            Some(target) => {
                let target = target.to_string();
                detached(py, ALWAYS_THREAD, move || {
                    pipeline.fit_weighted(&batch, &target, weights)
                })?
            }
            None => detached(py, ALWAYS_THREAD, move || pipeline.fit_transforms(&batch))?,
        };
        Ok(PyFittedPipeline {
            inner: Arc::new(inner),
        })
    }

    /// Run the transforms; a pyarrow RecordBatch.
    fn transform<'py>(&self, py: Python<'py>, table: AnyRecordBatch) -> PyResult<Bound<'py, PyAny>> {
        let batch = to_batch(table)?;
        let pipeline = self.inner.clone();
        let out = detached(py, batch.num_rows(), move || pipeline.transform(&batch))?;
        out_batch(py, out)
    }

    /// Run the transforms; the model's input matrix as a float64 numpy array.
    fn transform_matrix<'py>(
        &self,
        py: Python<'py>,
        table: AnyRecordBatch,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let batch = to_batch(table)?;
        let pipeline = self.inner.clone();
        let out = detached(py, batch.num_rows(), move || pipeline.transform_matrix(&batch))?;
        Ok(out.into_pyarray(py))
    }

    /// Run the transforms; the model's input in compressed sparse rows, as
    /// `(data, indices, indptr, n_features)` numpy arrays for `scipy.sparse.csr_matrix`.
    /// One-hot outputs of a last OneHotEncoder are never materialised densely.
    #[allow(clippy::type_complexity)]
    fn transform_csr<'py>(
        &self,
        py: Python<'py>,
        table: AnyRecordBatch,
    ) -> PyResult<(
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<i32>>,
        Bound<'py, PyArray1<i64>>,
        usize,
    )> {
        let batch = to_batch(table)?;
        let pipeline = self.inner.clone();
        let csr = detached(py, batch.num_rows(), move || pipeline.transform_csr(&batch))?;
        Ok((
            csr.data.into_pyarray(py),
            csr.indices.into_pyarray(py),
            csr.indptr.into_pyarray(py),
            csr.n_cols,
        ))
    }

    /// Predicted labels or values, as a pyarrow Array.
    fn predict<'py>(&self, py: Python<'py>, table: AnyRecordBatch) -> PyResult<Bound<'py, PyAny>> {
        let batch = to_batch(table)?;
        let pipeline = self.inner.clone();
        let out = detached(py, batch.num_rows(), move || pipeline.predict(&batch))?;
        let array = pyo3_arrow::PyArray::from_array_ref(out);
        let out = array.to_pyarrow(py)?.unbind();
        Ok(out.into_bound(py))
    }

    /// Class probabilities, rows x classes, as a float64 numpy array.
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        table: AnyRecordBatch,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let batch = to_batch(table)?;
        let pipeline = self.inner.clone();
        let out = detached(py, batch.num_rows(), move || pipeline.predict_proba(&batch))?;
        Ok(out.into_pyarray(py))
    }

    /// Predict one row given as a dict `{column: value}`; returns `(label, probabilities or None)`.
    /// Extra keys are ignored. This is the serving fast path: no Arrow batch is built.
    fn predict_row<'py>(
        &self,
        py: Python<'py>,
        row: &Bound<'py, PyDict>,
    ) -> PyResult<(Py<PyAny>, Option<Vec<f64>>)> {
        let signature = self.inner.signature();
        let mut values = Vec::with_capacity(signature.columns.len());
        for spec in &signature.columns {
            match row.get_item(&spec.name)? {
                Some(v) => values.push(value_from_py(&v)?),
                None => {
                    return Err(to_py(ferrops::Error::ColumnNotFound {
                        column: spec.name.clone(),
                        available: row.keys().iter().map(|k| k.to_string()).collect(),
                    }))
                }
            }
        }
        let (label, proba) = self.inner.predict_row(values).map_err(to_py)?;
        Ok((value_to_py(py, &label)?, proba))
    }

    /// Save to a new directory.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<String> {
        let pipeline = self.inner.clone();
        let manifest = detached(py, 0, move || pipeline.save(&path))?;
        serde_json::to_string(&manifest).map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
    }

    /// Load from a directory written by `save`, verifying every file's hash.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = detached(py, 0, move || FittedPipeline::load(&path))?;
        Ok(PyFittedPipeline {
            inner: Arc::new(inner),
        })
    }

    /// Serialize to bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.inner.to_bytes().map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Rebuild from `to_bytes`.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        Ok(PyFittedPipeline {
            inner: Arc::new(FittedPipeline::from_bytes(data).map_err(to_py)?),
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let bytes = slf.get().to_bytes(py)?;
        let ctor = py.get_type::<PyFittedPipeline>().getattr("from_bytes")?;
        PyTuple::new(py, [ctor.into_any(), PyTuple::new(py, [bytes])?.into_any()])
    }

    /// Input signature: list of `(column, arrow type)`.
    #[getter]
    fn signature(&self) -> Vec<(String, String)> {
        self.inner
            .signature()
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.to_string()))
            .collect()
    }

    /// The class labels (classifiers) or None.
    #[getter]
    fn classes(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner.classes().map(|l| labels_to_py(py, l)).transpose()
    }

    /// Output feature names (the model's inputs).
    #[getter]
    fn feature_names_out(&self) -> Vec<String> {
        self.inner.feature_names_out().to_vec()
    }

    /// The target column name, if fitted with one.
    #[getter]
    fn target(&self) -> Option<String> {
        self.inner.target().map(|t| t.name.clone())
    }

    /// The fitted stages and model as JSON (for inspection).
    fn stages_json(&self) -> PyResult<Vec<String>> {
        let mut out = Vec::new();
        for stage in self.inner.transforms() {
            out.push(
                serde_json::to_string(stage)
                    .map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))?,
            );
        }
        Ok(out)
    }

    /// The fitted model as JSON, or None.
    fn model_json(&self) -> PyResult<Option<String>> {
        self.inner
            .model()
            .map(|m| {
                let boxed = dyn_model_json(m);
                boxed.map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
            })
            .transpose()
    }

    fn __repr__(&self) -> String {
        format!(
            "FittedPipeline(columns={:?}, stages={}, model={})",
            self.inner.signature().names(),
            self.inner.transforms().len(),
            self.inner.model().is_some()
        )
    }
}

fn dyn_model_json(model: &dyn ferrops::train::Model) -> serde_json::Result<String> {
    serde_json::to_string(model)
}

/// Preprocessing steps (ETL) applied in order.
#[pyclass(name = "Preprocessing", module = "ferrops._core", frozen)]
struct PyPreprocessing {
    steps: Vec<Box<dyn Preprocessor>>,
}

#[pymethods]
impl PyPreprocessing {
    #[new]
    fn new(steps: Vec<String>) -> PyResult<Self> {
        let steps = steps
            .iter()
            .map(|s| parse_json::<Box<dyn Preprocessor>>("preprocessor spec", s))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyPreprocessing { steps })
    }

    /// Run every step over `table` (streamed batch by batch); a pyarrow RecordBatch.
    fn run<'py>(&self, py: Python<'py>, table: AnyRecordBatch) -> PyResult<Bound<'py, PyAny>> {
        let reader = table.into_reader()?;
        let schema = reader.schema();
        let steps = self.steps.clone();
        let out = detached(py, ALWAYS_THREAD, move || {
            let mut out_schema = (*schema).clone();
            for step in &steps {
                out_schema = step.output_schema(&out_schema)?;
            }
            let mut stream: ferrops::data::BatchIter =
                Box::new(reader.map(|b| b.map_err(ferrops::Error::Arrow)));
            for step in &steps {
                stream = step.process_stream(stream);
            }
            let batches = stream.collect::<ferrops::Result<Vec<_>>>()?;
            Ok(arrow::compute::concat_batches(
                &std::sync::Arc::new(out_schema),
                &batches,
            )?)
        })?;
        out_batch(py, out)
    }
}

/// Read a CSV file into a pyarrow RecordBatch. `infer_rows=0` infers the schema from every row.
#[pyfunction]
#[pyo3(signature = (path, null_values=None, delimiter=",", has_header=true, infer_rows=10_000))]
fn read_csv<'py>(
    py: Python<'py>,
    path: PathBuf,
    null_values: Option<Vec<String>>,
    delimiter: &str,
    has_header: bool,
    infer_rows: usize,
) -> PyResult<Bound<'py, PyAny>> {
    // 0 reads every row to infer the schema.
    let infer_rows = (infer_rows > 0).then_some(infer_rows);
    let delimiter = match delimiter.as_bytes() {
        [b] => *b,
        _ => {
            return Err(to_py(ferrops::Error::param(
                "delimiter",
                delimiter,
                "must be a single ASCII character",
            )))
        }
    };
    let mut options = CsvOptions {
        delimiter,
        has_header,
        infer_rows,
        ..Default::default()
    };
    if let Some(tokens) = null_values {
        options.null_values = tokens;
    }
    let out = detached(py, ALWAYS_THREAD, move || {
        ferrops::data::read_csv(&path, &options)
    })?;
    out_batch(py, out)
}

/// Read a Parquet file into a pyarrow RecordBatch.
#[pyfunction]
fn read_parquet(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    let out = detached(py, ALWAYS_THREAD, move || ferrops::data::read_parquet(&path))?;
    out_batch(py, out)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<PyFittedTransform>()?;
    m.add_class::<PyFittedPipeline>()?;
    m.add_class::<PyPreprocessing>()?;
    m.add_function(wrap_pyfunction!(read_csv, m)?)?;
    m.add_function(wrap_pyfunction!(read_parquet, m)?)?;
    metrics::register(m)?;
    split::register(m)?;
    cv::register(m)?;
    validation::register(m)?;
    gate::register(m)?;
    store::register(m)?;
    drift::register(m)?;
    drift_stream::register(m)?;
    monitor::register(m)?;
    multivariate::register(m)?;
    registry::register(m)?;
    serve::register(m)?;
    lifecycle::register(m)?;
    cli::register(m)?;
    Ok(())
}
