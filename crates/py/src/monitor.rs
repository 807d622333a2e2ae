//! `ferrops::drift::{fairness, importance}` as `_core` objects: fairness metrics across a
//! sensitive attribute and permutation importance of a fitted pipeline.
//!
//! Labels and groups cross as Arrow arrays (the Python layer turns numpy, pandas,
//! polars and lists into pyarrow arrays), the positive label as a Python scalar, and
//! the row permutations of permutation importance as an int64 `(repeats, rows)` numpy
//! array drawn by the Python layer (NumPy's draws, as scikit-learn makes them).

use std::sync::Arc;

use ferrops::drift::fairness::{fairness_from_arrays, FairnessOptions, FairnessReport};
use ferrops::drift::importance::{permutation_importance_with, PermutationOptions};
use ferrops::validate::cv::Scorer;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::PyArray;

use crate::errors::to_py;
use crate::{detached, out_batch, to_batch, value_from_py, PyFittedPipeline, ALWAYS_THREAD};

/// Per-group rates and fairness metrics (`ferrops::drift::fairness::FairnessReport`).
#[pyclass(name = "FairnessReport", module = "ferrops._core", frozen)]
struct PyFairnessReport {
    inner: FairnessReport,
}

#[pymethods]
impl PyFairnessReport {
    /// The report as JSON (undefined rates are null).
    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().map_err(to_py)
    }

    /// Rebuild a report from `to_json`.
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        Ok(PyFairnessReport {
            inner: FairnessReport::from_json(json).map_err(to_py)?,
        })
    }

    /// One row per group, as a pyarrow RecordBatch.
    fn to_record_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        out_batch(py, self.inner.to_record_batch().map_err(to_py)?)
    }

    /// A self-contained HTML rendering.
    fn to_html(&self) -> String {
        self.inner.to_html()
    }

    fn __repr__(&self) -> String {
        let show = |v: Option<f64>| v.map_or_else(|| "None".to_string(), |v| format!("{v:.4}"));
        format!(
            "FairnessReport(groups={}, demographic_parity_difference={:.4}, demographic_parity_ratio={}, \
             equalized_odds_difference={})",
            self.inner.groups.len(),
            self.inner.demographic_parity_difference,
            show(self.inner.demographic_parity_ratio),
            show(self.inner.equalized_odds_difference),
        )
    }
}

/// Fairness metrics of binary decisions across the groups of `sensitive`.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sensitive, pos_label=None, reference_group=None, sample_weight=None))]
fn fairness_metrics(
    py: Python<'_>,
    y_true: PyArray,
    y_pred: PyArray,
    sensitive: PyArray,
    pos_label: Option<&Bound<'_, PyAny>>,
    reference_group: Option<String>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<PyFairnessReport> {
    let pos_label = pos_label.map(value_from_py).transpose()?;
    let options = FairnessOptions {
        reference_group,
        sample_weight: sample_weight.map(|w| w.as_array().to_vec()),
    };
    let (y_true, y_pred, sensitive) = (
        y_true.into_inner().0,
        y_pred.into_inner().0,
        sensitive.into_inner().0,
    );
    let rows = y_true.len();
    let inner = detached(py, rows, move || {
        fairness_from_arrays(&y_true, &y_pred, &sensitive, pos_label.as_ref(), &options)
    })?;
    Ok(PyFairnessReport { inner })
}

/// Result of `permutation_importance`: feature names, the scorer's name, the baseline
/// score, and the importances (features x repeats), their means and standard deviations.
type Importances<'py> = (
    Vec<String>,
    String,
    f64,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Permutation importance of `pipeline`'s input columns on `table` (which holds the
/// `target` column), with the given row permutations (`repeats x rows`, int64).
#[pyfunction]
#[pyo3(signature = (pipeline, table, target, permutations, scoring=None, sample_weight=None, columns=None))]
#[allow(clippy::too_many_arguments)]
fn permutation_importance<'py>(
    py: Python<'py>,
    pipeline: &PyFittedPipeline,
    table: AnyRecordBatch,
    target: String,
    permutations: PyReadonlyArray2<'_, i64>,
    scoring: Option<&str>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    columns: Option<Vec<String>>,
) -> PyResult<Importances<'py>> {
    let scoring = scoring.map(Scorer::parse).transpose().map_err(to_py)?;
    let permutations = permutations
        .as_array()
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|&r| {
                    usize::try_from(r).map_err(|_| {
                        to_py(ferrops::Error::InvalidData(format!(
                            "permutation index {r} is negative; pass row positions 0..n_rows"
                        )))
                    })
                })
                .collect::<PyResult<Vec<usize>>>()
        })
        .collect::<PyResult<Vec<_>>>()?;
    let options = PermutationOptions {
        scoring,
        n_repeats: permutations.len(),
        sample_weight: sample_weight.map(|w| w.as_array().to_vec()),
        columns,
        ..PermutationOptions::default()
    };
    let batch = to_batch(table)?;
    let fitted = Arc::clone(&pipeline.inner);
    let result = detached(py, ALWAYS_THREAD, move || {
        permutation_importance_with(&fitted, &batch, &target, &permutations, &options)
    })?;
    Ok((
        result.features,
        result.scoring.name().to_string(),
        result.baseline_score,
        result.importances.into_pyarray(py),
        result.importances_mean.into_pyarray(py),
        result.importances_std.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFairnessReport>()?;
    m.add_function(wrap_pyfunction!(fairness_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(permutation_importance, m)?)?;
    Ok(())
}
