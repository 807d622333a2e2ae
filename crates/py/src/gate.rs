//! `ferrops::validate::gate` as `_core` functions. Gates, metric sets and reports
//! cross as the JSON form of the Rust structs (`Gate`, `SlicedMetrics`, `GateReport`),
//! so the Python wrapper (`ferrops.gates`) and a Rust user configure the same thing;
//! in metric sets, JSON `null` stands for NaN and `"inf"` / `"-inf"` for infinities.

use ferrops::validate::gate::{self, Direction, Gate, SlicedMetrics};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::{self, to_py};
use crate::{detached, parse_json, to_batch, PyFittedPipeline};

fn to_json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
}

/// Run `f` without the GIL (gates are cheap: inline), mapping errors and panics.
fn compute<T: Send>(py: Python<'_>, f: impl FnOnce() -> ferrops::Result<T> + Send) -> PyResult<T> {
    let guarded = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    match py.detach(guarded) {
        Ok(result) => result.map_err(to_py),
        Err(panic) => Err(errors::from_panic(panic)),
    }
}

/// Validate a gate's JSON; returns its canonical JSON (change directions resolved).
#[pyfunction]
fn gate_check(py: Python<'_>, gate: &str) -> PyResult<String> {
    let gate = gate.to_string();
    let parsed = compute(py, move || Gate::from_json(&gate))?;
    to_json(&parsed)
}

/// Evaluate a gate (JSON) on candidate and optional baseline metrics (JSON of
/// `SlicedMetrics`); returns the `GateReport` as JSON.
#[pyfunction]
#[pyo3(signature = (gate, candidate, baseline=None))]
fn gate_evaluate(py: Python<'_>, gate: &str, candidate: &str, baseline: Option<&str>) -> PyResult<String> {
    let candidate: SlicedMetrics = parse_json("candidate metrics", candidate)?;
    let baseline: Option<SlicedMetrics> = baseline.map(|b| parse_json("baseline metrics", b)).transpose()?;
    let gate = gate.to_string();
    let report = compute(py, move || {
        Gate::from_json(&gate)?.evaluate_sliced(&candidate, baseline.as_ref())
    })?;
    to_json(&report)
}

/// The metrics of a fitted pipeline on `table`, overall and per slice, as JSON of
/// `SlicedMetrics`.
#[pyfunction]
#[pyo3(signature = (pipeline, table, metrics, slice_by=Vec::new(), min_slice_size=1))]
fn evaluate_pipeline(
    py: Python<'_>,
    pipeline: &PyFittedPipeline,
    table: AnyRecordBatch,
    metrics: Vec<String>,
    slice_by: Vec<String>,
    min_slice_size: usize,
) -> PyResult<String> {
    let batch = to_batch(table)?;
    let fitted = pipeline.inner.clone();
    let rows = batch.num_rows();
    let result = detached(py, rows, move || {
        gate::evaluate_pipeline(&fitted, &batch, &metrics, &slice_by, min_slice_size)
    })?;
    to_json(&result)
}

/// The metric names `evaluate_pipeline` computes.
#[pyfunction]
fn gate_metric_names() -> Vec<&'static str> {
    gate::METRIC_NAMES.to_vec()
}

/// The default direction of a metric: "higher_is_better", "lower_is_better" or None.
#[pyfunction]
fn metric_direction(metric: &str) -> Option<&'static str> {
    Direction::of_metric(metric).map(|d| match d {
        Direction::HigherIsBetter => "higher_is_better",
        Direction::LowerIsBetter => "lower_is_better",
    })
}

/// Add this module's functions to `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(gate_check, m)?)?;
    m.add_function(wrap_pyfunction!(gate_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate_pipeline, m)?)?;
    m.add_function(wrap_pyfunction!(gate_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(metric_direction, m)?)?;
    Ok(())
}
