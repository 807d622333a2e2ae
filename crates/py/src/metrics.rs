//! `ferrops::validate::metrics` as `_core` functions, one per Rust function and named
//! alike.
//!
//! Inputs are numpy arrays the Python layer (`ferrops.metrics`) has already encoded:
//! class codes as `uintp`, binary targets as `bool`, everything else as `float64`.
//! Contiguous arrays are read in place, without a copy. Each metric runs with the GIL
//! released; metrics are `O(n log n)` at worst, so they run inline rather than on the
//! interruptible worker thread fits use.

use std::borrow::Cow;

use ferrops::validate::metrics::{self, Average, BinStrategy, MulticlassAverage};
use numpy::{Element, IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::errors::{self, to_py};

/// Run `f` without the GIL, turning a ferrops error into its Python exception and a
/// panic into a `FerropsError`.
fn compute<T: Send>(py: Python<'_>, f: impl FnOnce() -> ferrops::Result<T> + Send) -> PyResult<T> {
    let guarded = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    match py.detach(guarded) {
        Ok(result) => result.map_err(to_py),
        Err(panic) => Err(errors::from_panic(panic)),
    }
}

/// The values of a 1-D array: borrowed when contiguous, copied when strided.
fn values<'a, T: Element + Clone>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().to_vec()),
    }
}

fn optional_values<'a>(array: &'a Option<PyReadonlyArray1<'_, f64>>) -> Option<Cow<'a, [f64]>> {
    array.as_ref().map(values)
}

fn average_from(average: &str, pos_label: usize) -> PyResult<Average> {
    match average {
        "binary" => Ok(Average::Binary { pos_label }),
        "macro" => Ok(Average::Macro),
        "micro" => Ok(Average::Micro),
        "weighted" => Ok(Average::Weighted),
        other => Err(to_py(ferrops::Error::param(
            "average",
            format!("{other:?}"),
            "must be one of \"binary\", \"macro\", \"micro\", \"weighted\"",
        ))),
    }
}

fn multiclass_average_from(average: &str) -> PyResult<MulticlassAverage> {
    match average {
        "macro" => Ok(MulticlassAverage::Macro),
        "weighted" => Ok(MulticlassAverage::Weighted),
        "micro" => Ok(MulticlassAverage::Micro),
        other => Err(to_py(ferrops::Error::param(
            "average",
            format!("{other:?}"),
            "must be one of \"macro\", \"weighted\", \"micro\"",
        ))),
    }
}

fn bin_strategy_from(strategy: &str) -> PyResult<BinStrategy> {
    match strategy {
        "uniform" => Ok(BinStrategy::Uniform),
        "quantile" => Ok(BinStrategy::Quantile),
        other => Err(to_py(ferrops::Error::param(
            "strategy",
            format!("{other:?}"),
            "must be \"uniform\" or \"quantile\"",
        ))),
    }
}

/// A metric of class codes: `accuracy`, `balanced_accuracy`.
type CodeMetric = fn(&[usize], &[usize], Option<&[f64]>) -> ferrops::Result<f64>;
/// A metric of a binary target and scores: `roc_auc`, `average_precision`, `brier_score`.
type ScoreMetric = fn(&[bool], &[f64], Option<&[f64]>) -> ferrops::Result<f64>;
/// A regression metric: `mae`, `mse`, ...
type RegressionMetric = fn(&[f64], &[f64], Option<&[f64]>) -> ferrops::Result<f64>;
/// `precision`, `recall`, `f1`.
type AveragedMetric = fn(&[usize], &[usize], Average, Option<&[f64]>) -> ferrops::Result<f64>;

fn code_metric(
    py: Python<'_>,
    metric: CodeMetric,
    y_true: &PyReadonlyArray1<'_, usize>,
    y_pred: &PyReadonlyArray1<'_, usize>,
    sample_weight: &Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let (y_true, y_pred, weights) = (values(y_true), values(y_pred), optional_values(sample_weight));
    compute(py, || metric(&y_true, &y_pred, weights.as_deref()))
}

fn averaged_metric(
    py: Python<'_>,
    metric: AveragedMetric,
    y_true: &PyReadonlyArray1<'_, usize>,
    y_pred: &PyReadonlyArray1<'_, usize>,
    average: &str,
    pos_label: usize,
    sample_weight: &Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let average = average_from(average, pos_label)?;
    let (y_true, y_pred, weights) = (values(y_true), values(y_pred), optional_values(sample_weight));
    compute(py, || metric(&y_true, &y_pred, average, weights.as_deref()))
}

fn score_metric(
    py: Python<'_>,
    metric: ScoreMetric,
    y_true: &PyReadonlyArray1<'_, bool>,
    y_score: &PyReadonlyArray1<'_, f64>,
    sample_weight: &Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let (y_true, y_score, weights) = (values(y_true), values(y_score), optional_values(sample_weight));
    compute(py, || metric(&y_true, &y_score, weights.as_deref()))
}

fn regression_metric(
    py: Python<'_>,
    metric: RegressionMetric,
    y_true: &PyReadonlyArray1<'_, f64>,
    y_pred: &PyReadonlyArray1<'_, f64>,
    sample_weight: &Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let (y_true, y_pred, weights) = (values(y_true), values(y_pred), optional_values(sample_weight));
    compute(py, || metric(&y_true, &y_pred, weights.as_deref()))
}

/// Fraction of correct predictions; codes in, as `ferrops::validate::metrics::accuracy`.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn accuracy(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    code_metric(py, metrics::accuracy, &y_true, &y_pred, &sample_weight)
}

/// Mean per-class recall over the classes of `y_true`.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn balanced_accuracy(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    code_metric(py, metrics::balanced_accuracy, &y_true, &y_pred, &sample_weight)
}

/// Precision; `average` is "binary" (of class code `pos_label`), "macro", "micro" or "weighted".
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, average="binary", pos_label=1, sample_weight=None))]
fn precision(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    average: &str,
    pos_label: usize,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    averaged_metric(
        py,
        metrics::precision,
        &y_true,
        &y_pred,
        average,
        pos_label,
        &sample_weight,
    )
}

/// Recall; `average` as for `precision`.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, average="binary", pos_label=1, sample_weight=None))]
fn recall(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    average: &str,
    pos_label: usize,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    averaged_metric(
        py,
        metrics::recall,
        &y_true,
        &y_pred,
        average,
        pos_label,
        &sample_weight,
    )
}

/// F1; `average` as for `precision`.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, average="binary", pos_label=1, sample_weight=None))]
fn f1(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    average: &str,
    pos_label: usize,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    averaged_metric(
        py,
        metrics::f1,
        &y_true,
        &y_pred,
        average,
        pos_label,
        &sample_weight,
    )
}

/// The `n_classes x n_classes` confusion matrix of counts, as uint64.
#[pyfunction]
fn confusion_matrix<'py>(
    py: Python<'py>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    n_classes: usize,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let (y_true, y_pred) = (values(&y_true), values(&y_pred));
    let matrix = compute(py, || metrics::confusion_matrix(&y_true, &y_pred, n_classes))?;
    Ok(matrix.into_pyarray(py))
}

/// The confusion matrix with each sample counted by its weight, as float64.
#[pyfunction]
fn confusion_matrix_weighted<'py>(
    py: Python<'py>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_pred: PyReadonlyArray1<'_, usize>,
    n_classes: usize,
    sample_weight: PyReadonlyArray1<'_, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (y_true, y_pred, weights) = (values(&y_true), values(&y_pred), values(&sample_weight));
    let matrix = compute(py, || {
        metrics::confusion_matrix_weighted(&y_true, &y_pred, n_classes, &weights)
    })?;
    Ok(matrix.into_pyarray(py))
}

/// ROC AUC of a binary target (`y_true` true for positives) and scores.
#[pyfunction]
#[pyo3(signature = (y_true, y_score, sample_weight=None))]
fn roc_auc(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, bool>,
    y_score: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    score_metric(py, metrics::roc_auc, &y_true, &y_score, &sample_weight)
}

/// One-vs-rest ROC AUC of class codes and a (samples x classes) probability matrix;
/// `average` is "macro", "weighted" or "micro".
#[pyfunction]
#[pyo3(signature = (y_true, y_proba, average="macro", sample_weight=None))]
fn roc_auc_ovr(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_proba: PyReadonlyArray2<'_, f64>,
    average: &str,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let average = multiclass_average_from(average)?;
    let (y_true, weights) = (values(&y_true), optional_values(&sample_weight));
    let y_proba = y_proba.as_array();
    compute(py, || {
        metrics::roc_auc_ovr(&y_true, y_proba, average, weights.as_deref())
    })
}

/// Average precision of a binary target and scores.
#[pyfunction]
#[pyo3(signature = (y_true, y_score, sample_weight=None))]
fn average_precision(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, bool>,
    y_score: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    score_metric(py, metrics::average_precision, &y_true, &y_score, &sample_weight)
}

/// Log loss of class codes and a (samples x classes) probability matrix.
#[pyfunction]
#[pyo3(signature = (y_true, y_proba, sample_weight=None))]
fn log_loss(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, usize>,
    y_proba: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let (y_true, weights) = (values(&y_true), optional_values(&sample_weight));
    let y_proba = y_proba.as_array();
    compute(py, || metrics::log_loss(&y_true, y_proba, weights.as_deref()))
}

/// Brier score of a binary target and positive-class probabilities.
#[pyfunction]
#[pyo3(signature = (y_true, y_proba, sample_weight=None))]
fn brier_score(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, bool>,
    y_proba: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    score_metric(py, metrics::brier_score, &y_true, &y_proba, &sample_weight)
}

/// `(prob_true, prob_pred)` of the non-empty bins; `strategy` is "uniform" or "quantile".
#[pyfunction]
#[pyo3(signature = (y_true, y_proba, n_bins=5, strategy="uniform"))]
#[allow(clippy::type_complexity)]
fn calibration_curve<'py>(
    py: Python<'py>,
    y_true: PyReadonlyArray1<'_, bool>,
    y_proba: PyReadonlyArray1<'_, f64>,
    n_bins: usize,
    strategy: &str,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let strategy = bin_strategy_from(strategy)?;
    let (y_true, y_proba) = (values(&y_true), values(&y_proba));
    let (prob_true, prob_pred) = compute(py, || {
        metrics::calibration_curve(&y_true, &y_proba, n_bins, strategy)
    })?;
    Ok((prob_true.into_pyarray(py), prob_pred.into_pyarray(py)))
}

/// Mean absolute error.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn mae(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, f64>,
    y_pred: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    regression_metric(py, metrics::mae, &y_true, &y_pred, &sample_weight)
}

/// Mean squared error.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn mse(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, f64>,
    y_pred: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    regression_metric(py, metrics::mse, &y_true, &y_pred, &sample_weight)
}

/// Root mean squared error.
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn rmse(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, f64>,
    y_pred: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    regression_metric(py, metrics::rmse, &y_true, &y_pred, &sample_weight)
}

/// Coefficient of determination R².
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn r2(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, f64>,
    y_pred: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    regression_metric(py, metrics::r2, &y_true, &y_pred, &sample_weight)
}

/// Mean absolute percentage error (a fraction).
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn mape(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, f64>,
    y_pred: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    regression_metric(py, metrics::mape, &y_true, &y_pred, &sample_weight)
}

/// Median absolute error (weighted median with `sample_weight`).
#[pyfunction]
#[pyo3(signature = (y_true, y_pred, sample_weight=None))]
fn median_absolute_error(
    py: Python<'_>,
    y_true: PyReadonlyArray1<'_, f64>,
    y_pred: PyReadonlyArray1<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    regression_metric(
        py,
        metrics::median_absolute_error,
        &y_true,
        &y_pred,
        &sample_weight,
    )
}

/// Add every metric function to `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(precision, m)?)?;
    m.add_function(wrap_pyfunction!(recall, m)?)?;
    m.add_function(wrap_pyfunction!(f1, m)?)?;
    m.add_function(wrap_pyfunction!(confusion_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(confusion_matrix_weighted, m)?)?;
    m.add_function(wrap_pyfunction!(roc_auc, m)?)?;
    m.add_function(wrap_pyfunction!(roc_auc_ovr, m)?)?;
    m.add_function(wrap_pyfunction!(average_precision, m)?)?;
    m.add_function(wrap_pyfunction!(log_loss, m)?)?;
    m.add_function(wrap_pyfunction!(brier_score, m)?)?;
    m.add_function(wrap_pyfunction!(calibration_curve, m)?)?;
    m.add_function(wrap_pyfunction!(mae, m)?)?;
    m.add_function(wrap_pyfunction!(mse, m)?)?;
    m.add_function(wrap_pyfunction!(rmse, m)?)?;
    m.add_function(wrap_pyfunction!(r2, m)?)?;
    m.add_function(wrap_pyfunction!(mape, m)?)?;
    m.add_function(wrap_pyfunction!(median_absolute_error, m)?)?;
    Ok(())
}
