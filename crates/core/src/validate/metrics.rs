//! Evaluation metrics, each equal to scikit-learn's (1.9) value on the same input.
//!
//! | here | scikit-learn |
//! |---|---|
//! | [`accuracy`] | `accuracy_score` |
//! | [`balanced_accuracy`] | `balanced_accuracy_score` (`adjusted=False`) |
//! | [`precision`], [`recall`], [`f1`] | `precision_score`, `recall_score`, `f1_score` (`zero_division="warn"`) |
//! | [`confusion_matrix`], [`confusion_matrix_weighted`] | `confusion_matrix(labels=range(n_classes))` |
//! | [`roc_auc`] | `roc_auc_score` on a binary target |
//! | [`roc_auc_ovr`] | `roc_auc_score(multi_class="ovr")` |
//! | [`average_precision`] | `average_precision_score` |
//! | [`log_loss`] | `log_loss(labels=range(n_classes))` |
//! | [`brier_score`] | `brier_score_loss` on a binary target |
//! | [`calibration_curve`] | `sklearn.calibration.calibration_curve` |
//! | [`mae`], [`mse`], [`rmse`] | `mean_absolute_error`, `mean_squared_error`, `root_mean_squared_error` |
//! | [`r2`] | `r2_score` (`force_finite=True`) |
//! | [`mape`] | `mean_absolute_percentage_error` |
//! | [`median_absolute_error`] | `median_absolute_error` |
//!
//! Classes are *codes* (`usize`), as elsewhere in ferrops; binary targets of score
//! metrics are `bool` (`true` = the positive class). Sums are taken in the order NumPy
//! takes them (pairwise summation, sequential cumulative sums), so results agree with
//! scikit-learn to the last bit or within a few units of rounding.
//!
//! # Where this differs from scikit-learn
//!
//! scikit-learn warns and returns a number (often NaN or 0.0) for several inputs on
//! which a metric is undefined. A library has no warning channel that a model gate would
//! notice, so these return an [`Error`] instead:
//!
//! - [`roc_auc`] (and each class of [`roc_auc_ovr`]) with only one class present
//!   (scikit-learn 1.9 warns and returns NaN): [`Error::InvalidData`].
//! - [`average_precision`] with no positive sample (scikit-learn warns and returns 0.0).
//! - [`r2`] with fewer than two samples (scikit-learn warns and returns NaN).
//! - [`log_loss`] with probability rows that do not sum to 1 within NumPy's `allclose`
//!   tolerance (`|sum - 1| <= 1e-8 + 1e-5 * sum`). scikit-learn warns beyond a tighter
//!   tolerance (`sqrt(eps)`) and computes the loss regardless, without renormalising;
//!   rows inside our tolerance give scikit-learn's value exactly, rows outside it are an
//!   error, as they are for [`roc_auc_ovr`] in scikit-learn too.
//! - Negative sample weights, and weights that are all zero: scikit-learn accepts the
//!   former and, depending on the metric, raises or returns 0.0 for the latter.
//! - A class code `>= n_classes` where `n_classes` is given (scikit-learn's
//!   `confusion_matrix` silently drops such samples).
//!
//! Undefined precision, recall or F1 (a zero denominator) is 0.0, as with
//! scikit-learn's default `zero_division="warn"`, minus the warning.
#![warn(clippy::indexing_slicing)]

use std::cmp::Ordering;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

// ---------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------

fn check_not_empty(metric: &str, name: &str, len: usize) -> Result<()> {
    if len == 0 {
        return Err(Error::EmptyInput {
            context: format!("{metric}: `{name}` has no values; pass at least one sample"),
        });
    }
    Ok(())
}

fn check_same_len(metric: &str, a: &str, a_len: usize, b: &str, b_len: usize) -> Result<()> {
    if a_len != b_len {
        return Err(Error::InvalidData(format!(
            "{metric}: `{a}` has {a_len} values but `{b}` has {b_len}; pass exactly one `{b}` value per `{a}` value"
        )));
    }
    Ok(())
}

fn check_finite(metric: &str, name: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(Error::InvalidValue {
            column: name.to_string(),
            row,
            value: values.get(row).map_or_else(String::new, f64::to_string),
            hint: format!("{metric} needs finite numbers; drop or impute NaN and infinite values first"),
        }),
    }
}

fn check_probabilities(metric: &str, name: &str, values: &[f64]) -> Result<()> {
    check_finite(metric, name, values)?;
    match values.iter().position(|v| !(0.0..=1.0).contains(v)) {
        None => Ok(()),
        Some(row) => Err(Error::InvalidValue {
            column: name.to_string(),
            row,
            value: values.get(row).map_or_else(String::new, f64::to_string),
            hint: format!(
                "{metric} needs probabilities in [0, 1]; pass predicted probabilities, not raw scores"
            ),
        }),
    }
}

fn check_codes(metric: &str, name: &str, codes: &[usize], n_classes: usize) -> Result<()> {
    match codes.iter().position(|&c| c >= n_classes) {
        None => Ok(()),
        Some(row) => Err(Error::InvalidValue {
            column: name.to_string(),
            row,
            value: codes.get(row).map_or_else(String::new, usize::to_string),
            hint: format!(
                "{metric}: class codes must be below the number of classes ({n_classes}); \
                 declare every class or re-encode the labels as 0..n_classes"
            ),
        }),
    }
}

/// Checks optional sample weights: one per sample, finite, non-negative, not all zero.
fn check_weights<'a>(metric: &str, weights: Option<&'a [f64]>, n: usize) -> Result<Option<&'a [f64]>> {
    let Some(w) = weights else { return Ok(None) };
    check_same_len(metric, "y_true", n, "sample_weight", w.len())?;
    check_finite(metric, "sample_weight", w)?;
    if let Some(row) = w.iter().position(|&v| v < 0.0) {
        return Err(Error::InvalidValue {
            column: "sample_weight".to_string(),
            row,
            value: w.get(row).map_or_else(String::new, f64::to_string),
            hint: format!("{metric}: sample weights must be >= 0"),
        });
    }
    if w.iter().all(|&v| v == 0.0) {
        return Err(Error::InvalidData(format!(
            "{metric}: every sample weight is zero; give at least one sample a positive weight"
        )));
    }
    Ok(Some(w))
}

fn check_proba_matrix(metric: &str, y_true: &[usize], y_proba: &ArrayView2<'_, f64>) -> Result<()> {
    check_not_empty(metric, "y_true", y_true.len())?;
    check_same_len(metric, "y_true", y_true.len(), "y_proba rows", y_proba.nrows())?;
    let n_classes = y_proba.ncols();
    if n_classes < 2 {
        return Err(Error::InvalidData(format!(
            "{metric}: `y_proba` has {n_classes} column(s); it needs one column per class and at least two classes"
        )));
    }
    for (row, values) in y_proba.rows().into_iter().enumerate() {
        for (class, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::InvalidValue {
                    column: format!("y_proba[:, {class}]"),
                    row,
                    value: v.to_string(),
                    hint: format!(
                        "{metric} needs finite probabilities; drop or impute NaN and infinite values first"
                    ),
                });
            }
        }
    }
    check_codes(metric, "y_true", y_true, n_classes)
}

/// Rows must sum to 1 within NumPy's `allclose(1, row_sum)` tolerance.
fn check_rows_sum_to_one(metric: &str, y_proba: &ArrayView2<'_, f64>) -> Result<()> {
    for (row, values) in y_proba.rows().into_iter().enumerate() {
        let sum = match values.as_slice() {
            Some(contiguous) => np_sum(contiguous),
            None => np_sum(&values.to_vec()),
        };
        if (1.0 - sum).abs() > 1e-8 + 1e-5 * sum.abs() {
            return Err(Error::InvalidValue {
                column: "y_proba".to_string(),
                row,
                value: format!("row sum {sum}"),
                hint: format!(
                    "{metric} needs each row of `y_proba` to be a probability distribution summing to 1 \
                     (tolerance 1e-8 + 1e-5 * sum); normalise the rows, e.g. with a softmax"
                ),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Sums as NumPy takes them
// ---------------------------------------------------------------------------------------

/// `np.sum` of a contiguous float64 array: NumPy's pairwise summation (blocks of 128,
/// eight accumulators), so that our results round as scikit-learn's do.
fn np_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        values.iter().fold(-0.0, |acc, &v| acc + v)
    } else if n <= BLOCK {
        let (head, rest) = values.split_at(8);
        let mut acc = [0.0_f64; 8];
        acc.iter_mut().zip(head).for_each(|(a, &v)| *a = v);
        let mut chunks = rest.chunks_exact(8);
        for chunk in &mut chunks {
            acc.iter_mut().zip(chunk).for_each(|(a, &v)| *a += v);
        }
        let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
        let mut res = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
        for &v in chunks.remainder() {
            res += v;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        let (left, right) = values.split_at(half);
        np_sum(left) + np_sum(right)
    }
}

/// `np.average(values, weights=weights)` for non-empty `values`.
fn np_average(values: &[f64], weights: Option<&[f64]>) -> f64 {
    match weights {
        None => np_sum(values) / values.len() as f64,
        Some(w) => {
            let products: Vec<f64> = values.iter().zip(w).map(|(v, w)| v * w).collect();
            np_sum(&products) / np_sum(w)
        }
    }
}

fn bool_to_f64(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

// ---------------------------------------------------------------------------------------
// Classification on class codes
// ---------------------------------------------------------------------------------------

/// How [`precision`], [`recall`] and [`f1`] combine per-class scores; scikit-learn's
/// `average` parameter.
///
/// The classes considered are those present in `y_true` or `y_pred` (scikit-learn's
/// `labels=None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Average {
    /// The score of one class, `pos_label`; for targets with at most two classes.
    Binary {
        /// The class code counted as positive.
        pos_label: usize,
    },
    /// The unweighted mean of the per-class scores.
    Macro,
    /// The score of the pooled true/false positive and negative counts.
    Micro,
    /// The mean of the per-class scores weighted by each class's (weighted) support.
    Weighted,
}

/// Per-class sums over the classes present in `y_true` or `y_pred`, in ascending order.
struct ClassSums {
    labels: Vec<usize>,
    tp: Vec<f64>,
    predicted: Vec<f64>,
    actual: Vec<f64>,
}

fn check_labels(metric: &str, y_true: &[usize], y_pred: &[usize], weights: Option<&[f64]>) -> Result<()> {
    check_not_empty(metric, "y_true", y_true.len())?;
    check_same_len(metric, "y_true", y_true.len(), "y_pred", y_pred.len())?;
    check_weights(metric, weights, y_true.len())?;
    Ok(())
}

fn class_sums(y_true: &[usize], y_pred: &[usize], weights: Option<&[f64]>) -> ClassSums {
    let mut labels: Vec<usize> = y_true.iter().chain(y_pred).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let k = labels.len();
    let (mut tp, mut predicted, mut actual) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let add = |sums: &mut [f64], code: usize, w: f64| {
        if let Some(slot) = labels.binary_search(&code).ok().and_then(|i| sums.get_mut(i)) {
            *slot += w;
        }
    };
    for (i, (&t, &p)) in y_true.iter().zip(y_pred).enumerate() {
        let w = weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
        if t == p {
            add(&mut tp, t, w);
        }
        add(&mut predicted, p, w);
        add(&mut actual, t, w);
    }
    ClassSums {
        labels,
        tp,
        predicted,
        actual,
    }
}

/// A short, readable list of labels for messages.
fn show_labels(labels: &[usize]) -> String {
    const SHOWN: usize = 10;
    let head: Vec<String> = labels.iter().take(SHOWN).map(usize::to_string).collect();
    if labels.len() > SHOWN {
        format!("[{}, … ({} in all)]", head.join(", "), labels.len())
    } else {
        format!("[{}]", head.join(", "))
    }
}

/// `tp / denominator`, or 0.0 where the denominator is zero (`zero_division="warn"`).
fn divide_or_zero(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

#[derive(Clone, Copy)]
enum Prf {
    Precision,
    Recall,
    F1,
}

/// scikit-learn's `precision_recall_fscore_support` for one of the three scores.
fn precision_recall_f1(
    metric: &str,
    which: Prf,
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    check_labels(metric, y_true, y_pred, sample_weight)?;
    let sums = class_sums(y_true, y_pred, sample_weight);
    // multilabel_confusion_matrix's fp and fn, added back to tp as scikit-learn does.
    let predicted: Vec<f64> = sums
        .tp
        .iter()
        .zip(&sums.predicted)
        .map(|(tp, p)| tp + (p - tp))
        .collect();
    let actual: Vec<f64> = sums
        .tp
        .iter()
        .zip(&sums.actual)
        .map(|(tp, a)| tp + (a - tp))
        .collect();
    let score = |tp: f64, predicted: f64, actual: f64| match which {
        Prf::Precision => divide_or_zero(tp, predicted),
        Prf::Recall => divide_or_zero(tp, actual),
        Prf::F1 => divide_or_zero(2.0 * tp, actual + predicted),
    };
    match average {
        Average::Binary { pos_label } => {
            if sums.labels.len() > 2 {
                return Err(Error::InvalidData(format!(
                    "{metric} with Average::Binary needs at most two classes, but y_true and y_pred hold {} {}; \
                     use Average::Macro, Average::Micro or Average::Weighted for a multiclass target",
                    sums.labels.len(),
                    show_labels(&sums.labels)
                )));
            }
            match sums.labels.binary_search(&pos_label) {
                Ok(i) => {
                    let get = |v: &[f64]| v.get(i).copied().unwrap_or(0.0);
                    Ok(score(get(&sums.tp), get(&predicted), get(&actual)))
                }
                Err(_) if sums.labels.len() == 2 => Err(Error::param(
                    "pos_label",
                    pos_label,
                    format!(
                        "is not one of the classes in y_true and y_pred {}; pick one of them",
                        show_labels(&sums.labels)
                    ),
                )),
                // The positive class occurs nowhere: every count is zero.
                Err(_) => Ok(score(0.0, 0.0, 0.0)),
            }
        }
        Average::Micro => Ok(score(np_sum(&sums.tp), np_sum(&predicted), np_sum(&actual))),
        Average::Macro | Average::Weighted => {
            let per_class: Vec<f64> = sums
                .tp
                .iter()
                .zip(&predicted)
                .zip(&actual)
                .map(|((&tp, &p), &a)| score(tp, p, a))
                .collect();
            // scikit-learn's _nanaverage falls back to the plain mean when the support
            // weights sum to zero.
            if average == Average::Weighted && np_sum(&actual) != 0.0 {
                Ok(np_average(&per_class, Some(&actual)))
            } else {
                Ok(np_average(&per_class, None))
            }
        }
    }
}

/// The fraction of samples whose predicted class equals the true class
/// (`sklearn.metrics.accuracy_score`).
///
/// With `sample_weight`, the weighted fraction.
///
/// # Errors
///
/// [`Error::EmptyInput`] if `y_true` is empty; [`Error::InvalidData`] if the lengths of
/// `y_true`, `y_pred` and `sample_weight` differ or every weight is zero;
/// [`Error::InvalidValue`] for a negative or non-finite weight.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::accuracy;
///
/// # fn main() -> ferrops::Result<()> {
/// assert_eq!(accuracy(&[0, 1, 2, 1], &[0, 1, 1, 1], None)?, 0.75);
/// assert_eq!(accuracy(&[0, 1, 2, 1], &[0, 1, 1, 1], Some(&[1.0, 1.0, 2.0, 0.0]))?, 0.5);
/// # Ok(()) }
/// ```
pub fn accuracy(y_true: &[usize], y_pred: &[usize], sample_weight: Option<&[f64]>) -> Result<f64> {
    check_labels("accuracy", y_true, y_pred, sample_weight)?;
    let correct: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| bool_to_f64(t == p))
        .collect();
    Ok(np_average(&correct, sample_weight))
}

/// The mean of the per-class recalls over the classes present in `y_true`
/// (`sklearn.metrics.balanced_accuracy_score` with `adjusted=False`).
///
/// Classes that occur only in `y_pred` (or whose samples all have zero weight) are left
/// out, as scikit-learn leaves them out (with a warning).
///
/// # Errors
///
/// As [`accuracy`].
pub fn balanced_accuracy(y_true: &[usize], y_pred: &[usize], sample_weight: Option<&[f64]>) -> Result<f64> {
    check_labels("balanced_accuracy", y_true, y_pred, sample_weight)?;
    let sums = class_sums(y_true, y_pred, sample_weight);
    let recalls: Vec<f64> = sums
        .tp
        .iter()
        .zip(&sums.actual)
        .filter(|(_, &actual)| actual != 0.0)
        .map(|(tp, actual)| tp / actual)
        .collect();
    if recalls.is_empty() {
        return Err(Error::InvalidData(
            "balanced_accuracy: no class of y_true has a positive total weight".to_string(),
        ));
    }
    Ok(np_average(&recalls, None))
}

/// Precision, `tp / (tp + fp)`, averaged as `average` says
/// (`sklearn.metrics.precision_score`).
///
/// A class never predicted has precision 0.0 (scikit-learn's default
/// `zero_division="warn"`, which returns 0.0 and warns).
///
/// # Errors
///
/// As [`accuracy`], and [`Error::InvalidData`] for [`Average::Binary`] when `y_true` and
/// `y_pred` hold more than two classes, [`Error::InvalidParameter`] when they hold two
/// and `pos_label` is neither.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::{precision, Average};
///
/// # fn main() -> ferrops::Result<()> {
/// let y_true = [0, 1, 2, 0, 1, 2];
/// let y_pred = [0, 2, 1, 0, 0, 1];
/// // Per class: 2/3, 0, 0.
/// assert!((precision(&y_true, &y_pred, Average::Macro, None)? - 2.0 / 9.0).abs() < 1e-15);
/// assert_eq!(precision(&[0, 1, 1, 0], &[0, 1, 0, 1], Average::Binary { pos_label: 1 }, None)?, 0.5);
/// # Ok(()) }
/// ```
pub fn precision(
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    precision_recall_f1(
        "precision",
        Prf::Precision,
        y_true,
        y_pred,
        average,
        sample_weight,
    )
}

/// Recall, `tp / (tp + fn)`, averaged as `average` says (`sklearn.metrics.recall_score`).
///
/// A class absent from `y_true` has recall 0.0 (`zero_division="warn"`).
///
/// # Errors
///
/// As [`precision`].
pub fn recall(
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    precision_recall_f1("recall", Prf::Recall, y_true, y_pred, average, sample_weight)
}

/// F1, `2 tp / (2 tp + fp + fn)`, averaged as `average` says (`sklearn.metrics.f1_score`).
///
/// A class in neither `y_true` nor `y_pred` (possible only with [`Average::Binary`])
/// scores 0.0 (`zero_division="warn"`).
///
/// # Errors
///
/// As [`precision`].
pub fn f1(
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    precision_recall_f1("f1", Prf::F1, y_true, y_pred, average, sample_weight)
}

/// The `n_classes x n_classes` confusion matrix: entry `(i, j)` counts the samples of
/// true class `i` predicted as class `j` (`sklearn.metrics.confusion_matrix` with
/// `labels=range(n_classes)`).
///
/// Every declared class has its row and column, also classes absent from both inputs.
///
/// # Errors
///
/// [`Error::EmptyInput`] if `y_true` is empty; [`Error::InvalidData`] if `y_true` and
/// `y_pred` differ in length; [`Error::InvalidValue`] for a code `>= n_classes`.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::confusion_matrix;
/// use ndarray::array;
///
/// # fn main() -> ferrops::Result<()> {
/// let cm = confusion_matrix(&[0, 1, 1, 0], &[0, 1, 0, 0], 3)?;
/// assert_eq!(cm, array![[2, 0, 0], [1, 1, 0], [0, 0, 0]]);
/// # Ok(()) }
/// ```
pub fn confusion_matrix(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Array2<u64>> {
    const METRIC: &str = "confusion_matrix";
    check_labels(METRIC, y_true, y_pred, None)?;
    check_codes(METRIC, "y_true", y_true, n_classes)?;
    check_codes(METRIC, "y_pred", y_pred, n_classes)?;
    let mut matrix = Array2::<u64>::zeros((n_classes, n_classes));
    for (&t, &p) in y_true.iter().zip(y_pred) {
        if let Some(cell) = matrix.get_mut((t, p)) {
            *cell += 1;
        }
    }
    Ok(matrix)
}

/// The confusion matrix with each sample counted by its weight
/// (`sklearn.metrics.confusion_matrix(..., sample_weight=...)`).
///
/// # Errors
///
/// As [`confusion_matrix`], and as [`accuracy`] for the weights.
pub fn confusion_matrix_weighted(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
    sample_weight: &[f64],
) -> Result<Array2<f64>> {
    const METRIC: &str = "confusion_matrix_weighted";
    check_labels(METRIC, y_true, y_pred, Some(sample_weight))?;
    check_codes(METRIC, "y_true", y_true, n_classes)?;
    check_codes(METRIC, "y_pred", y_pred, n_classes)?;
    let mut matrix = Array2::<f64>::zeros((n_classes, n_classes));
    for ((&t, &p), &w) in y_true.iter().zip(y_pred).zip(sample_weight) {
        if let Some(cell) = matrix.get_mut((t, p)) {
            *cell += w;
        }
    }
    Ok(matrix)
}

// ---------------------------------------------------------------------------------------
// Scores and probabilities
// ---------------------------------------------------------------------------------------

/// Cumulative (weighted) true and false positives at each distinct score, highest
/// score first: scikit-learn's `confusion_matrix_at_thresholds`.
struct ThresholdCounts {
    fps: Vec<f64>,
    tps: Vec<f64>,
}

fn threshold_counts(y_true: &[bool], y_score: &[f64], weights: Option<&[f64]>) -> ThresholdCounts {
    // Zero-weight samples are dropped, as scikit-learn drops them.
    let mut samples: Vec<(f64, bool, f64)> = match weights {
        None => y_score.iter().zip(y_true).map(|(&s, &y)| (s, y, 1.0)).collect(),
        Some(w) => y_score
            .iter()
            .zip(y_true)
            .zip(w)
            .filter(|(_, &w)| w != 0.0)
            .map(|((&s, &y), &w)| (s, y, w))
            .collect(),
    };
    // Stable and descending: tied scores keep their input order, as in scikit-learn.
    samples.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
    let mut counts = ThresholdCounts {
        fps: Vec::new(),
        tps: Vec::new(),
    };
    let (mut tp, mut fp) = (0.0, 0.0);
    for (i, &(score, positive, w)) in samples.iter().enumerate() {
        let y = bool_to_f64(positive);
        tp += y * w;
        fp += (1.0 - y) * w;
        // The last sample of a run of tied scores closes a threshold.
        if samples.get(i + 1).is_none_or(|next| next.0 != score) {
            counts.tps.push(tp);
            // Unweighted, scikit-learn derives fps from the index: the same integer.
            counts.fps.push(if weights.is_some() {
                fp
            } else {
                1.0 + i as f64 - tp
            });
        }
    }
    counts
}

/// Binary ROC AUC as scikit-learn computes it: `roc_curve` (with its collinear points
/// dropped) and the trapezoidal rule. Tied scores form one threshold, so ties get the
/// trapezoid between distinct thresholds.
fn binary_roc_auc(metric: &str, y_true: &[bool], y_score: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    let counts = threshold_counts(y_true, y_score, weights);
    let (fp_total, tp_total) = (
        counts.fps.last().copied().unwrap_or(0.0),
        counts.tps.last().copied().unwrap_or(0.0),
    );
    if fp_total <= 0.0 || tp_total <= 0.0 {
        let missing = if tp_total <= 0.0 { "positive" } else { "negative" };
        return Err(Error::InvalidData(format!(
            "{metric}: y_true has no {missing} sample (with positive weight), so ROC AUC is undefined \
             (scikit-learn warns and returns NaN); evaluate on data holding both classes"
        )));
    }
    // roc_curve(drop_intermediate=True): keep the ends and every corner.
    let m = counts.fps.len();
    let mut fpr = vec![0.0];
    let mut tpr = vec![0.0];
    let second_diff = |v: &[f64], j: usize| match v.get(j - 1..=j + 1) {
        Some(&[a, b, c]) => (c - b) - (b - a),
        _ => 1.0,
    };
    for (j, (&fp, &tp)) in counts.fps.iter().zip(&counts.tps).enumerate() {
        let keep = m <= 2
            || j == 0
            || j == m - 1
            || second_diff(&counts.fps, j) != 0.0
            || second_diff(&counts.tps, j) != 0.0;
        if keep {
            fpr.push(fp / fp_total);
            tpr.push(tp / tp_total);
        }
    }
    Ok(trapezoid(&fpr, &tpr))
}

/// `np.trapezoid(y, x)`.
fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    let areas: Vec<f64> = x
        .windows(2)
        .zip(y.windows(2))
        .map(|(xs, ys)| match (xs, ys) {
            (&[x0, x1], &[y0, y1]) => (x1 - x0) * (y1 + y0) / 2.0,
            _ => 0.0,
        })
        .collect();
    np_sum(&areas)
}

fn check_binary_scores(
    metric: &str,
    y_true: &[bool],
    y_score: &[f64],
    score_name: &str,
    sample_weight: Option<&[f64]>,
) -> Result<()> {
    check_not_empty(metric, "y_true", y_true.len())?;
    check_same_len(metric, "y_true", y_true.len(), score_name, y_score.len())?;
    check_finite(metric, score_name, y_score)?;
    check_weights(metric, sample_weight, y_true.len())?;
    Ok(())
}

/// Area under the ROC curve of a binary target (`sklearn.metrics.roc_auc_score`).
///
/// `y_true` marks the positive samples; `y_score` is any score that grows with the
/// odds of being positive (a probability, a decision function). Runs in
/// `O(n log n)`. Tied scores are one threshold: the curve joins the points before and
/// after the tie with a straight line, as scikit-learn does.
///
/// # Errors
///
/// [`Error::EmptyInput`] for empty input; [`Error::InvalidData`] for unequal lengths,
/// all-zero weights, or a target with only one class (scikit-learn returns NaN there);
/// [`Error::InvalidValue`] for a NaN or infinite score or a negative weight.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::roc_auc;
///
/// # fn main() -> ferrops::Result<()> {
/// let y_true = [false, false, true, true];
/// assert_eq!(roc_auc(&y_true, &[0.1, 0.4, 0.35, 0.8], None)?, 0.75);
/// // A tie between a positive and a negative counts half.
/// assert_eq!(roc_auc(&[false, true], &[0.5, 0.5], None)?, 0.5);
/// # Ok(()) }
/// ```
pub fn roc_auc(y_true: &[bool], y_score: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    check_binary_scores("roc_auc", y_true, y_score, "y_score", sample_weight)?;
    binary_roc_auc("roc_auc", y_true, y_score, sample_weight)
}

/// How [`roc_auc_ovr`] combines the per-class (one-vs-rest) AUCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MulticlassAverage {
    /// The unweighted mean of the per-class AUCs.
    Macro,
    /// The mean of the per-class AUCs weighted by each class's (weighted) support.
    Weighted,
    /// The AUC of all (sample, class) pairs pooled, as if one binary problem.
    Micro,
}

/// One-vs-rest ROC AUC of a multiclass target
/// (`sklearn.metrics.roc_auc_score(multi_class="ovr")`).
///
/// `y_proba` has one row per sample and one column per class, column `c` the
/// probability of class code `c`; each row must sum to 1 (scikit-learn's
/// `np.allclose` tolerance). Every class must occur in `y_true`. With two columns the
/// result equals [`roc_auc`] on the second column, up to rounding (scikit-learn rejects a
/// two-column `y_score` for a binary target).
///
/// # Errors
///
/// [`Error::EmptyInput`] for empty input; [`Error::InvalidData`] if the row count
/// differs from `y_true`'s length, there are fewer than two columns, a class never
/// occurs in `y_true` (or has zero total weight), or the weights are all zero;
/// [`Error::InvalidValue`] for a NaN or infinite probability, a row not summing to 1, a
/// code `>= y_proba.ncols()`, or a negative weight.
pub fn roc_auc_ovr(
    y_true: &[usize],
    y_proba: ArrayView2<'_, f64>,
    average: MulticlassAverage,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    const METRIC: &str = "roc_auc_ovr";
    check_proba_matrix(METRIC, y_true, &y_proba)?;
    check_rows_sum_to_one(METRIC, &y_proba)?;
    let weights = check_weights(METRIC, sample_weight, y_true.len())?;
    let n_classes = y_proba.ncols();
    let mut support = vec![0.0; n_classes];
    for (i, &c) in y_true.iter().enumerate() {
        if let Some(s) = support.get_mut(c) {
            *s += weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
        }
    }
    let absent: Vec<usize> = (0..n_classes).filter(|&c| !y_true.contains(&c)).collect();
    if !absent.is_empty() {
        return Err(Error::InvalidData(format!(
            "{METRIC}: class(es) {} never occur in y_true, so their one-vs-rest AUC is undefined \
             (scikit-learn raises too); evaluate on data in which every class of y_proba occurs",
            show_labels(&absent)
        )));
    }
    if average == MulticlassAverage::Micro {
        let mut truth = Vec::with_capacity(y_proba.len());
        let mut scores = Vec::with_capacity(y_proba.len());
        let mut repeated = Vec::with_capacity(if weights.is_some() { y_proba.len() } else { 0 });
        for (i, (row, &c)) in y_proba.rows().into_iter().zip(y_true).enumerate() {
            for (class, &p) in row.iter().enumerate() {
                truth.push(class == c);
                scores.push(p);
                if let Some(w) = weights.and_then(|w| w.get(i)) {
                    repeated.push(*w);
                }
            }
        }
        let pooled = weights.map(|_| repeated.as_slice());
        return binary_roc_auc(METRIC, &truth, &scores, pooled);
    }
    let mut per_class = Vec::with_capacity(n_classes);
    for (class, column) in y_proba.columns().into_iter().enumerate() {
        let truth: Vec<bool> = y_true.iter().map(|&c| c == class).collect();
        let scores: Vec<f64> = column.iter().copied().collect();
        per_class.push(binary_roc_auc(
            &format!("{METRIC} (class {class} vs rest)"),
            &truth,
            &scores,
            weights,
        )?);
    }
    Ok(match average {
        MulticlassAverage::Weighted => np_average(&per_class, Some(&support)),
        _ => np_average(&per_class, None),
    })
}

/// Average precision of a binary target, the step-wise area under the
/// precision-recall curve, `sum_n (R_n - R_{n-1}) P_n`
/// (`sklearn.metrics.average_precision_score`; not the trapezoidal area).
///
/// # Errors
///
/// As [`roc_auc`], except that a target without negatives is fine; one without
/// positives is [`Error::InvalidData`] (scikit-learn warns and returns 0.0).
pub fn average_precision(y_true: &[bool], y_score: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    const METRIC: &str = "average_precision";
    check_binary_scores(METRIC, y_true, y_score, "y_score", sample_weight)?;
    let counts = threshold_counts(y_true, y_score, sample_weight);
    let tp_total = counts.tps.last().copied().unwrap_or(0.0);
    if tp_total <= 0.0 {
        return Err(Error::InvalidData(format!(
            "{METRIC}: y_true has no positive sample (with positive weight), so recall and average \
             precision are undefined (scikit-learn warns and returns 0.0); evaluate on data holding positives"
        )));
    }
    // precision_recall_curve, highest threshold last, then the (recall 0, precision 1) end.
    let mut precision: Vec<f64> = counts
        .tps
        .iter()
        .zip(&counts.fps)
        .rev()
        .map(|(&tp, &fp)| divide_or_zero(tp, tp + fp))
        .collect();
    let mut recall: Vec<f64> = counts.tps.iter().rev().map(|&tp| tp / tp_total).collect();
    precision.push(1.0);
    recall.push(0.0);
    let steps: Vec<f64> = recall
        .windows(2)
        .zip(&precision)
        .map(|(r, &p)| match r {
            &[r0, r1] => (r1 - r0) * p,
            _ => 0.0,
        })
        .collect();
    let ap = -np_sum(&steps);
    Ok(if ap > 0.0 { ap } else { 0.0 })
}

/// Mean negative log-likelihood of the true classes, `-mean(ln p[y])`
/// (`sklearn.metrics.log_loss` with `labels=range(n_classes)`).
///
/// `y_proba` has one row per sample and one column per class. As in scikit-learn 1.9,
/// probabilities are clipped to `[eps, 1 - eps]` with `eps = f64::EPSILON` and rows
/// are *not* renormalised. For a binary target pass the two columns `[1 - p, p]`.
///
/// # Errors
///
/// [`Error::EmptyInput`] for empty input; [`Error::InvalidData`] if the row count
/// differs from `y_true`'s length, there are fewer than two columns, or the weights are
/// all zero; [`Error::InvalidValue`] for a NaN, infinite or out-of-`[0, 1]` probability,
/// a row whose sum is not 1 within `1e-8 + 1e-5 * sum` (scikit-learn warns and goes on;
/// see the module documentation), a code `>= y_proba.ncols()`, or a negative weight.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::log_loss;
/// use ndarray::array;
///
/// # fn main() -> ferrops::Result<()> {
/// let y_proba = array![[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]];
/// let loss = log_loss(&[0, 1, 0], y_proba.view(), None)?;
/// let expected = -(0.9_f64.ln() + 0.8_f64.ln() + 0.3_f64.ln()) / 3.0;
/// assert!((loss - expected).abs() < 1e-15);
/// # Ok(()) }
/// ```
pub fn log_loss(
    y_true: &[usize],
    y_proba: ArrayView2<'_, f64>,
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    const METRIC: &str = "log_loss";
    check_proba_matrix(METRIC, y_true, &y_proba)?;
    for (row, values) in y_proba.rows().into_iter().enumerate() {
        if let Some((class, &v)) = values.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
            return Err(Error::InvalidValue {
                column: format!("y_proba[:, {class}]"),
                row,
                value: v.to_string(),
                hint: format!(
                    "{METRIC} needs probabilities in [0, 1]; pass predicted probabilities, not raw scores"
                ),
            });
        }
    }
    check_rows_sum_to_one(METRIC, &y_proba)?;
    let weights = check_weights(METRIC, sample_weight, y_true.len())?;
    let eps = f64::EPSILON;
    let losses: Vec<f64> = y_proba
        .rows()
        .into_iter()
        .zip(y_true)
        .map(|(row, &c)| -row.get(c).copied().unwrap_or(0.0).clamp(eps, 1.0 - eps).ln())
        .collect();
    Ok(np_average(&losses, weights))
}

/// Mean squared difference between the predicted probability of the positive class and
/// the outcome (`sklearn.metrics.brier_score_loss` on a binary target).
///
/// # Errors
///
/// [`Error::EmptyInput`] for empty input; [`Error::InvalidData`] for unequal lengths or
/// all-zero weights; [`Error::InvalidValue`] for a probability that is NaN, infinite or
/// outside `[0, 1]`, or a negative weight.
pub fn brier_score(y_true: &[bool], y_proba: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    const METRIC: &str = "brier_score";
    check_binary_scores(METRIC, y_true, y_proba, "y_proba", sample_weight)?;
    check_probabilities(METRIC, "y_proba", y_proba)?;
    // scikit-learn sums the squared errors of both columns [1 - p, p] and halves.
    let rows: Vec<f64> = y_true
        .iter()
        .zip(y_proba)
        .map(|(&y, &p)| {
            let y = bool_to_f64(y);
            let (negative, positive) = ((1.0 - y) - (1.0 - p), y - p);
            negative * negative + positive * positive
        })
        .collect();
    Ok(np_average(&rows, sample_weight) * 0.5)
}

/// How [`calibration_curve`] places its bin edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinStrategy {
    /// `n_bins` bins of equal width on `[0, 1]`.
    Uniform,
    /// Edges at the quantiles of `y_proba` (NumPy's linear percentile), so bins hold
    /// about equally many samples.
    Quantile,
}

/// `np.percentile(sorted, q * 100)` with the default linear method, bit for bit.
fn percentile_linear(sorted: &[f64], quantile: f64) -> f64 {
    let n = sorted.len();
    let Some(&last) = sorted.last() else {
        return f64::NAN;
    };
    let q = (quantile * 100.0) / 100.0;
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= (n - 1) as f64 {
        return last;
    }
    let previous = virtual_index.floor();
    let below = previous as usize;
    let (Some(&a), Some(&b)) = (sorted.get(below), sorted.get(below + 1)) else {
        return last;
    };
    let gamma = virtual_index - previous;
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// The reliability diagram of a binary classifier: for each non-empty bin of predicted
/// probability, the fraction of positives and the mean predicted probability
/// (`sklearn.calibration.calibration_curve`).
///
/// Returns `(prob_true, prob_pred)`, bins in increasing order. A probability equal to
/// an inner edge falls in the lower bin, as in scikit-learn.
///
/// # Errors
///
/// [`Error::InvalidParameter`] if `n_bins` is 0; [`Error::EmptyInput`] for empty input;
/// [`Error::InvalidData`] for unequal lengths; [`Error::InvalidValue`] for a
/// probability that is NaN, infinite or outside `[0, 1]`.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::{calibration_curve, BinStrategy};
///
/// # fn main() -> ferrops::Result<()> {
/// let y_true = [false, false, true, true, true];
/// let y_proba = [0.1, 0.2, 0.3, 0.8, 0.9];
/// let (prob_true, prob_pred) = calibration_curve(&y_true, &y_proba, 2, BinStrategy::Uniform)?;
/// assert_eq!(prob_true, vec![1.0 / 3.0, 1.0]);
/// assert_eq!(prob_pred, vec![(0.1 + 0.2 + 0.3) / 3.0, (0.8 + 0.9) / 2.0]);
/// # Ok(()) }
/// ```
pub fn calibration_curve(
    y_true: &[bool],
    y_proba: &[f64],
    n_bins: usize,
    strategy: BinStrategy,
) -> Result<(Vec<f64>, Vec<f64>)> {
    const METRIC: &str = "calibration_curve";
    if n_bins == 0 {
        return Err(Error::param("n_bins", n_bins, "must be at least 1"));
    }
    check_binary_scores(METRIC, y_true, y_proba, "y_proba", None)?;
    check_probabilities(METRIC, "y_proba", y_proba)?;
    // np.linspace(0, 1, n_bins + 1): i * (1 / n_bins).
    let step = 1.0 / n_bins as f64;
    let inner_edges: Vec<f64> = match strategy {
        BinStrategy::Uniform => (1..n_bins).map(|i| i as f64 * step).collect(),
        BinStrategy::Quantile => {
            let mut sorted = y_proba.to_vec();
            sorted.sort_by(f64::total_cmp);
            (1..n_bins)
                .map(|i| percentile_linear(&sorted, i as f64 * step))
                .collect()
        }
    };
    let mut sum_proba = vec![0.0; n_bins];
    let mut sum_true = vec![0.0; n_bins];
    let mut count = vec![0_u64; n_bins];
    for (&y, &p) in y_true.iter().zip(y_proba) {
        // np.searchsorted(inner_edges, p, side="left").
        let bin = inner_edges.partition_point(|&edge| edge < p);
        if let (Some(s), Some(t), Some(c)) =
            (sum_proba.get_mut(bin), sum_true.get_mut(bin), count.get_mut(bin))
        {
            *s += p;
            *t += bool_to_f64(y);
            *c += 1;
        }
    }
    let mut prob_true = Vec::new();
    let mut prob_pred = Vec::new();
    for ((&s, &t), &c) in sum_proba.iter().zip(&sum_true).zip(&count) {
        if c != 0 {
            prob_true.push(t / c as f64);
            prob_pred.push(s / c as f64);
        }
    }
    Ok((prob_true, prob_pred))
}

// ---------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------

fn check_regression<'a>(
    metric: &str,
    y_true: &[f64],
    y_pred: &[f64],
    sample_weight: Option<&'a [f64]>,
) -> Result<Option<&'a [f64]>> {
    check_not_empty(metric, "y_true", y_true.len())?;
    check_same_len(metric, "y_true", y_true.len(), "y_pred", y_pred.len())?;
    check_finite(metric, "y_true", y_true)?;
    check_finite(metric, "y_pred", y_pred)?;
    check_weights(metric, sample_weight, y_true.len())
}

/// Mean absolute error (`sklearn.metrics.mean_absolute_error`).
///
/// # Errors
///
/// [`Error::EmptyInput`] for empty input; [`Error::InvalidData`] for unequal lengths or
/// all-zero weights; [`Error::InvalidValue`] for a NaN or infinite value or a negative
/// weight.
///
/// # Examples
///
/// ```
/// use ferrops::validate::metrics::{mae, mse, r2};
///
/// # fn main() -> ferrops::Result<()> {
/// let y_true = [3.0, -0.5, 2.0, 7.0];
/// let y_pred = [2.5, 0.0, 2.0, 8.0];
/// assert_eq!(mae(&y_true, &y_pred, None)?, 0.5);
/// assert_eq!(mse(&y_true, &y_pred, None)?, 0.375);
/// assert!((r2(&y_true, &y_pred, None)? - 0.9486081370449679).abs() < 1e-15);
/// # Ok(()) }
/// ```
pub fn mae(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let weights = check_regression("mae", y_true, y_pred, sample_weight)?;
    let errors: Vec<f64> = y_true.iter().zip(y_pred).map(|(t, p)| (p - t).abs()).collect();
    Ok(np_average(&errors, weights))
}

/// Mean squared error (`sklearn.metrics.mean_squared_error`).
///
/// # Errors
///
/// As [`mae`].
pub fn mse(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let weights = check_regression("mse", y_true, y_pred, sample_weight)?;
    Ok(mean_squared(y_true, y_pred, weights))
}

fn mean_squared(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> f64 {
    let errors: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .collect();
    np_average(&errors, weights)
}

/// Root mean squared error (`sklearn.metrics.root_mean_squared_error`).
///
/// # Errors
///
/// As [`mae`].
pub fn rmse(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let weights = check_regression("rmse", y_true, y_pred, sample_weight)?;
    Ok(mean_squared(y_true, y_pred, weights).sqrt())
}

/// Coefficient of determination, `1 - SS_res / SS_tot` (`sklearn.metrics.r2_score`
/// with `force_finite=True`).
///
/// For a constant `y_true` (`SS_tot = 0`) it is 1.0 if the predictions are perfect and
/// 0.0 otherwise, never NaN or minus infinity.
///
/// # Errors
///
/// As [`mae`], and [`Error::InvalidData`] for fewer than two samples (scikit-learn
/// warns and returns NaN).
pub fn r2(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    const METRIC: &str = "r2";
    let weights = check_regression(METRIC, y_true, y_pred, sample_weight)?;
    if y_true.len() < 2 {
        return Err(Error::InvalidData(format!(
            "{METRIC}: R^2 needs at least two samples, got {}; scikit-learn returns NaN here",
            y_true.len()
        )));
    }
    let weight = |i: usize| weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
    let residuals: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .enumerate()
        .map(|(i, (t, p))| weight(i) * ((t - p) * (t - p)))
        .collect();
    let mean = np_average(y_true, weights);
    let deviations: Vec<f64> = y_true
        .iter()
        .enumerate()
        .map(|(i, t)| weight(i) * ((t - mean) * (t - mean)))
        .collect();
    let (numerator, denominator) = (np_sum(&residuals), np_sum(&deviations));
    Ok(match (numerator != 0.0, denominator != 0.0) {
        (true, true) => 1.0 - numerator / denominator,
        (true, false) => 0.0,
        (false, _) => 1.0,
    })
}

/// Mean absolute percentage error, `mean(|y_pred - y_true| / max(|y_true|, eps))` with
/// `eps = f64::EPSILON` (`sklearn.metrics.mean_absolute_percentage_error`).
///
/// The result is a fraction, not a percentage; a zero in `y_true` makes it huge rather
/// than infinite, as in scikit-learn.
///
/// # Errors
///
/// As [`mae`].
pub fn mape(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let weights = check_regression("mape", y_true, y_pred, sample_weight)?;
    let errors: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (p - t).abs() / t.abs().max(f64::EPSILON))
        .collect();
    Ok(np_average(&errors, weights))
}

/// Median of the absolute errors (`sklearn.metrics.median_absolute_error`).
///
/// With `sample_weight`, the weighted median by scikit-learn's
/// `_weighted_percentile(average=True)` ("averaged inverted CDF"): when the half weight
/// falls exactly on a sample, the mean of it and the next sample with positive weight.
///
/// # Errors
///
/// As [`mae`].
pub fn median_absolute_error(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<f64> {
    let weights = check_regression("median_absolute_error", y_true, y_pred, sample_weight)?;
    let errors: Vec<f64> = y_true.iter().zip(y_pred).map(|(t, p)| (p - t).abs()).collect();
    Ok(match weights {
        None => crate::features::median(&errors),
        Some(w) => weighted_median(&errors, w),
    })
}

/// scikit-learn's `_weighted_percentile(values, weights, 50, average=True)` for
/// non-empty values and non-negative weights that are not all zero.
fn weighted_median(values: &[f64], weights: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values.iter().copied().zip(weights.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cdf = Vec::with_capacity(pairs.len());
    let mut running = 0.0;
    for &(_, w) in &pairs {
        running += w;
        cdf.push(running);
    }
    let Some(last) = pairs.len().checked_sub(1) else {
        return f64::NAN;
    };
    let target = 0.5 * running;
    // searchsorted(cdf, target, side="left"), clipped to the last index.
    let at = cdf.partition_point(|&c| c < target).min(last);
    let value = |i: usize| pairs.get(i).map_or(f64::NAN, |p| p.0);
    let cdf_at = cdf.get(at).copied().unwrap_or(f64::NAN);
    if cdf_at - target > f64::EPSILON {
        return value(at);
    }
    // The half weight sits on a sample: average with the next sample of positive weight.
    let plus_one = (at + 1).min(last);
    let next = if pairs.get(plus_one).is_some_and(|p| p.1 == 0.0) {
        let beyond = cdf.partition_point(|&c| c <= cdf_at);
        if beyond > last {
            at
        } else {
            beyond
        }
    } else {
        plus_one
    };
    (value(at) + value(next)) / 2.0
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn np_sum_matches_numpy_blocking() {
        // Integers sum exactly in any order; the point is coverage of all three branches.
        for n in [0_usize, 1, 7, 8, 9, 64, 128, 129, 1000] {
            let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert_eq!(np_sum(&v), (n * n.saturating_sub(1) / 2) as f64, "n = {n}");
        }
        // 1e16 + 1 + 1 loses both ones sequentially; numpy's eight accumulators keep them.
        let mut v = vec![0.0; 16];
        v[0] = 1e16;
        v[1] = 1.0;
        v[9] = 1.0;
        assert_eq!(np_sum(&v), 1e16 + 2.0);
    }

    #[test]
    fn accuracy_and_balanced_accuracy() {
        let y_true = [0, 1, 0, 0, 1, 0];
        let y_pred = [0, 1, 0, 0, 0, 1];
        assert!(close(accuracy(&y_true, &y_pred, None).unwrap(), 4.0 / 6.0));
        // Recalls 3/4 and 1/2 (scikit-learn's docstring example: 0.625).
        assert_eq!(balanced_accuracy(&y_true, &y_pred, None).unwrap(), 0.625);
        // A class only in y_pred is left out of the mean.
        assert_eq!(
            balanced_accuracy(&[0, 0, 1, 1], &[0, 2, 1, 1], None).unwrap(),
            0.75
        );
    }

    #[test]
    fn precision_recall_f1_by_hand() {
        // scikit-learn's precision_recall_fscore_support docstring, codes cat=0 dog=1 pig=2.
        let y_true = [0, 1, 2, 0, 1, 2];
        let y_pred = [0, 2, 1, 0, 0, 1];
        assert!(close(
            precision(&y_true, &y_pred, Average::Macro, None).unwrap(),
            2.0 / 9.0
        ));
        assert!(close(
            recall(&y_true, &y_pred, Average::Macro, None).unwrap(),
            1.0 / 3.0
        ));
        assert!(close(
            f1(&y_true, &y_pred, Average::Macro, None).unwrap(),
            0.8 / 3.0
        ));
        assert!(close(
            precision(&y_true, &y_pred, Average::Micro, None).unwrap(),
            1.0 / 3.0
        ));
        assert!(close(
            f1(&y_true, &y_pred, Average::Weighted, None).unwrap(),
            0.8 / 3.0
        ));
        // Never predicted positive: precision 0/0 -> 0.0; recall 0/2.
        let binary = Average::Binary { pos_label: 1 };
        assert_eq!(precision(&[1, 1, 0], &[0, 0, 0], binary, None).unwrap(), 0.0);
        assert_eq!(f1(&[1, 1, 0], &[0, 0, 0], binary, None).unwrap(), 0.0);
        // Positive class absent everywhere: every count zero.
        assert_eq!(recall(&[0, 0], &[0, 0], binary, None).unwrap(), 0.0);
        assert_eq!(f1(&[1, 0, 1, 1], &[1, 1, 0, 1], binary, None).unwrap(), 2.0 / 3.0);
    }

    #[test]
    fn binary_average_rejects_multiclass_and_foreign_pos_label() {
        let err = precision(&[0, 1, 2], &[0, 1, 2], Average::Binary { pos_label: 1 }, None).unwrap_err();
        assert!(err.to_string().contains("Average::Macro"), "{err}");
        let err = recall(&[0, 1], &[1, 0], Average::Binary { pos_label: 5 }, None).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    }

    #[test]
    fn confusion_matrices() {
        let cm = confusion_matrix(&[2, 0, 2, 2, 0, 1], &[0, 0, 2, 2, 0, 2], 4).unwrap();
        assert_eq!(cm, array![[2, 0, 0, 0], [0, 0, 1, 0], [1, 0, 2, 0], [0, 0, 0, 0]]);
        let cm = confusion_matrix_weighted(&[0, 1, 1], &[0, 1, 0], 2, &[0.5, 2.0, 1.5]).unwrap();
        assert_eq!(cm, array![[0.5, 0.0], [1.5, 2.0]]);
        assert!(matches!(
            confusion_matrix(&[0, 3], &[0, 1], 3),
            Err(Error::InvalidValue { row: 1, .. })
        ));
    }

    #[test]
    fn roc_auc_with_ties() {
        // Ties between classes count half: pairs (pos, neg) = (0.5 vs 0.5) -> 0.5,
        // (0.5 vs 0.1) -> 1, (0.9 vs both) -> 1, 1: (0.5 + 1 + 1 + 1) / 4.
        let y_true = [false, true, false, true];
        let score = [0.5, 0.5, 0.1, 0.9];
        assert_eq!(roc_auc(&y_true, &score, None).unwrap(), 0.875);
        // Integer weights act as repetition.
        let w = [2.0, 1.0, 1.0, 3.0];
        let rep_true = [false, false, true, false, true, true, true];
        let rep_score = [0.5, 0.5, 0.5, 0.1, 0.9, 0.9, 0.9];
        assert!(close(
            roc_auc(&y_true, &score, Some(&w)).unwrap(),
            roc_auc(&rep_true, &rep_score, None).unwrap()
        ));
        // Zero weights drop the sample.
        let w = [1.0, 1.0, 0.0, 1.0];
        assert_eq!(roc_auc(&y_true, &score, Some(&w)).unwrap(), 0.75);
    }

    #[test]
    fn roc_auc_matches_pair_counting() {
        // A deterministic pseudo-random case against the O(n^2) definition.
        let mut state = 12345_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let n = 300;
        let y: Vec<bool> = (0..n).map(|_| next() < 0.4).collect();
        let s: Vec<f64> = (0..n)
            .map(|i| ((next() + if y[i] { 0.3 } else { 0.0 }) * 10.0).round())
            .collect();
        let (mut wins, mut pairs) = (0.0, 0.0);
        for i in 0..n {
            for j in 0..n {
                if y[i] && !y[j] {
                    pairs += 1.0;
                    wins += match s[i].partial_cmp(&s[j]) {
                        Some(Ordering::Greater) => 1.0,
                        Some(Ordering::Equal) => 0.5,
                        _ => 0.0,
                    };
                }
            }
        }
        assert!(close(roc_auc(&y, &s, None).unwrap(), wins / pairs));
    }

    #[test]
    fn roc_auc_errors() {
        assert!(matches!(
            roc_auc(&[true, true], &[0.1, 0.2], None),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(roc_auc(&[], &[], None), Err(Error::EmptyInput { .. })));
        assert!(matches!(
            roc_auc(&[true, false], &[0.1, f64::NAN], None),
            Err(Error::InvalidValue { row: 1, .. })
        ));
        assert!(matches!(
            roc_auc(&[true, false], &[0.1], None),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(
            roc_auc(&[true, false], &[0.1, 0.2], Some(&[1.0, -1.0])),
            Err(Error::InvalidValue { row: 1, .. })
        ));
    }

    #[test]
    fn average_precision_step_wise() {
        // scikit-learn's docstring: 0.8333...
        let ap = average_precision(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8], None).unwrap();
        assert!(close(ap, 5.0 / 6.0));
        // All tied: one threshold, precision = prevalence.
        assert!(close(
            average_precision(&[true, false, false], &[0.3, 0.3, 0.3], None).unwrap(),
            1.0 / 3.0
        ));
        assert!(average_precision(&[false, false], &[0.3, 0.4], None).is_err());
    }

    #[test]
    fn roc_auc_ovr_by_hand() {
        let y_proba = array![[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.4, 0.4, 0.2]];
        let y_true = [0, 1, 2, 1];
        // Class 0: positive 0.7 beats all; class 1: positives 0.5, 0.4 vs 0.2, 0.3 -> 1;
        // class 2: positive 0.6 beats all.
        let auc = roc_auc_ovr(&y_true, y_proba.view(), MulticlassAverage::Macro, None).unwrap();
        assert_eq!(auc, 1.0);
        let err = roc_auc_ovr(&[0, 1, 1, 1], y_proba.view(), MulticlassAverage::Macro, None).unwrap_err();
        assert!(err.to_string().contains("never occur"), "{err}");
        let bad = array![[0.7, 0.2, 0.2], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.4, 0.4, 0.2]];
        assert!(matches!(
            roc_auc_ovr(&y_true, bad.view(), MulticlassAverage::Weighted, None),
            Err(Error::InvalidValue { row: 0, .. })
        ));
    }

    #[test]
    fn log_loss_clips_and_checks() {
        let y_proba = array![[1.0, 0.0], [0.0, 1.0]];
        // The true class has probability 0: clipped to eps, loss -ln(eps) / 2.
        let loss = log_loss(&[1, 1], y_proba.view(), None).unwrap();
        assert!(close(
            loss,
            -f64::EPSILON.ln() / 2.0 - (1.0 - f64::EPSILON).ln() / 2.0
        ));
        let not_normalised = array![[0.5, 0.6], [0.5, 0.5]];
        assert!(matches!(
            log_loss(&[0, 1], not_normalised.view(), None),
            Err(Error::InvalidValue { row: 0, .. })
        ));
        assert!(matches!(
            log_loss(&[0, 2], y_proba.view(), None),
            Err(Error::InvalidValue { row: 1, .. })
        ));
        let one_column = array![[1.0], [1.0]];
        assert!(matches!(
            log_loss(&[0, 0], one_column.view(), None),
            Err(Error::InvalidData(_))
        ));
    }

    #[test]
    fn brier_by_hand() {
        // scikit-learn's docstring: 0.0375.
        let b = brier_score(&[false, true, true, false], &[0.1, 0.9, 0.8, 0.3], None).unwrap();
        assert!(close(b, 0.0375));
        assert!(brier_score(&[true], &[1.5], None).is_err());
    }

    #[test]
    fn calibration_curve_bins() {
        let y_true = [false, true, false, true, true, false];
        let y_proba = [0.0, 0.5, 0.25, 0.75, 1.0, 0.5];
        // Uniform edges 0.5: 0.5 falls in the lower bin.
        let (t, p) = calibration_curve(&y_true, &y_proba, 2, BinStrategy::Uniform).unwrap();
        assert_eq!(t, vec![0.25, 1.0]);
        assert_eq!(p, vec![0.3125, 0.875]);
        let (t, _) = calibration_curve(&y_true, &y_proba, 3, BinStrategy::Quantile).unwrap();
        assert_eq!(t.len(), 3);
        assert!(matches!(
            calibration_curve(&y_true, &y_proba, 0, BinStrategy::Uniform),
            Err(Error::InvalidParameter { .. })
        ));
        assert_eq!(percentile_linear(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(percentile_linear(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
    }

    #[test]
    fn regression_by_hand() {
        let y_true = [3.0, -0.5, 2.0, 7.0];
        let y_pred = [2.5, 0.0, 2.0, 8.0];
        assert_eq!(mae(&y_true, &y_pred, None).unwrap(), 0.5);
        assert_eq!(mse(&y_true, &y_pred, None).unwrap(), 0.375);
        assert!(close(rmse(&y_true, &y_pred, None).unwrap(), 0.375_f64.sqrt()));
        assert_eq!(median_absolute_error(&y_true, &y_pred, None).unwrap(), 0.5);
        // scikit-learn's docstring values.
        assert!(close(r2(&y_true, &y_pred, None).unwrap(), 0.9486081370449679));
        assert!(close(
            mape(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None).unwrap(),
            0.3273809523809524
        ));
        // MAPE with a zero: divided by eps, not by zero.
        assert_eq!(mape(&[0.0], &[1.0], None).unwrap(), 1.0 / f64::EPSILON);
    }

    #[test]
    fn r2_constant_target() {
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[2.0, 2.0, 2.0], None).unwrap(), 1.0);
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[2.0, 2.5, 2.0], None).unwrap(), 0.0);
        assert!(matches!(r2(&[1.0], &[1.0], None), Err(Error::InvalidData(_))));
    }

    #[test]
    fn weighted_median_cases() {
        // Half weight exactly on a sample: average with the next positive-weight sample.
        assert_eq!(weighted_median(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 1.0, 1.0]), 2.5);
        assert_eq!(weighted_median(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 0.0, 2.0]), 3.0);
        // Half weight inside a sample: that sample.
        assert_eq!(weighted_median(&[1.0, 2.0, 3.0], &[1.0, 3.0, 1.0]), 2.0);
        assert_eq!(weighted_median(&[5.0], &[2.0]), 5.0);
    }

    #[test]
    fn weight_errors() {
        assert!(matches!(
            accuracy(&[0, 1], &[0, 1], Some(&[0.0, 0.0])),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(
            accuracy(&[0, 1], &[0, 1], Some(&[1.0])),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(
            mae(&[0.0, 1.0], &[0.0, 1.0], Some(&[1.0, f64::INFINITY])),
            Err(Error::InvalidValue { row: 1, .. })
        ));
    }
}
