//! Metrics for gates: a fitted pipeline's (or given predictions') named metrics,
//! overall and per slice.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ndarray::{Array2, Axis};

use super::{MetricSet, SliceMetrics, SlicedMetrics};
use crate::data::table::{as_f64_array, column, str_values};
use crate::data::{ClassLabels, TargetKind};
use crate::error::{Error, Result};
use crate::pipeline::FittedPipeline;
use crate::validate::metrics::{self, Average, MulticlassAverage};

/// The metric names [`compute_metrics`] and [`evaluate_pipeline`] know, each computed by
/// the [`metrics`](crate::validate::metrics) function of the same stem (names follow
/// scikit-learn's scorer names, without the `neg_` of losses).
///
/// Classification: `accuracy`, `balanced_accuracy`; `precision`, `recall`, `f1` (binary
/// targets, the second class positive as with scikit-learn's `pos_label=1`) and their
/// `_macro`, `_micro`, `_weighted` averages; `roc_auc`, `average_precision`,
/// `brier_score` (binary, on the second class's probability); `roc_auc_ovr`,
/// `roc_auc_ovr_weighted` (one-vs-rest); `log_loss`. Regression: `mae`, `mse`, `rmse`,
/// `r2`, `mape`, `median_absolute_error`. Both: `example_count` (rows).
pub const METRIC_NAMES: &[&str] = &[
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_micro",
    "recall_micro",
    "f1_micro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc",
    "roc_auc_ovr",
    "roc_auc_ovr_weighted",
    "average_precision",
    "brier_score",
    "log_loss",
    "mae",
    "mse",
    "rmse",
    "r2",
    "mape",
    "median_absolute_error",
    "example_count",
];

const REGRESSION: &[&str] = &["mae", "mse", "rmse", "r2", "mape", "median_absolute_error"];
const NEEDS_PROBA: &[&str] = &[
    "roc_auc",
    "roc_auc_ovr",
    "roc_auc_ovr_weighted",
    "average_precision",
    "brier_score",
    "log_loss",
];

/// True labels and predictions of one model on some rows, for [`compute_metrics`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcomes {
    /// Classification: class codes `0..n_classes`.
    Classes {
        /// True class codes.
        y_true: Vec<usize>,
        /// Predicted class codes.
        y_pred: Vec<usize>,
        /// Class probabilities, `rows x n_classes`, when the model gives them.
        proba: Option<Array2<f64>>,
        /// Number of classes the model knows.
        n_classes: usize,
    },
    /// Regression: true and predicted values.
    Values {
        /// True values.
        y_true: Vec<f64>,
        /// Predicted values.
        y_pred: Vec<f64>,
    },
}

impl Outcomes {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Outcomes::Classes { y_true, .. } => y_true.len(),
            Outcomes::Values { y_true, .. } => y_true.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn take(&self, rows: &[usize]) -> Outcomes {
        fn pick<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().filter_map(|&r| v.get(r).copied()).collect()
        }
        match self {
            Outcomes::Classes {
                y_true,
                y_pred,
                proba,
                n_classes,
            } => Outcomes::Classes {
                y_true: pick(y_true, rows),
                y_pred: pick(y_pred, rows),
                proba: proba.as_ref().map(|p| p.select(Axis(0), rows)),
                n_classes: *n_classes,
            },
            Outcomes::Values { y_true, y_pred } => Outcomes::Values {
                y_true: pick(y_true, rows),
                y_pred: pick(y_pred, rows),
            },
        }
    }

    fn check(&self) -> Result<()> {
        let (a, b, p) = match self {
            Outcomes::Classes {
                y_true,
                y_pred,
                proba,
                ..
            } => (y_true.len(), y_pred.len(), proba.as_ref().map(|p| p.nrows())),
            Outcomes::Values { y_true, y_pred } => (y_true.len(), y_pred.len(), None),
        };
        if a != b || p.is_some_and(|p| p != a) {
            return Err(Error::InvalidData(format!(
                "outcomes of unequal lengths: {a} true values, {b} predictions{}",
                p.map(|p| format!(", {p} probability rows")).unwrap_or_default()
            )));
        }
        if let Outcomes::Classes {
            y_true,
            y_pred,
            proba,
            n_classes,
        } = self
        {
            if let Some(cols) = proba.as_ref().map(|p| p.ncols()).filter(|c| c != n_classes) {
                return Err(Error::InvalidData(format!(
                    "the probabilities have {cols} columns for n_classes = {n_classes}: give one column per class, \
                     in class-code order"
                )));
            }
            if let Some(code) = y_true.iter().chain(y_pred).find(|&&c| c >= *n_classes) {
                return Err(Error::InvalidData(format!(
                    "class code {code} is out of range for n_classes = {n_classes}: codes run from 0 to n_classes - 1"
                )));
            }
        }
        Ok(())
    }
}

/// Reject unknown names and names that do not fit the target kind, before any work.
fn check_names<S: AsRef<str>>(
    metrics: &[S],
    kind: TargetKind,
    n_classes: usize,
    has_proba: bool,
) -> Result<()> {
    if metrics.is_empty() {
        return Err(Error::param(
            "metrics",
            "[]",
            format!("name at least one metric: {}", METRIC_NAMES.join(", ")),
        ));
    }
    for name in metrics {
        let name = name.as_ref();
        if !METRIC_NAMES.contains(&name) {
            return Err(Error::param(
                "metrics",
                format!("{name:?}"),
                format!("unknown metric; known metrics: {}", METRIC_NAMES.join(", ")),
            ));
        }
        if name == "example_count" {
            continue;
        }
        let regression = REGRESSION.contains(&name);
        match kind {
            TargetKind::Regression if !regression => {
                return Err(Error::param(
                    "metrics",
                    format!("{name:?}"),
                    format!(
                        "a classification metric, but the model is a regressor; regression metrics: {}",
                        REGRESSION.join(", ")
                    ),
                ))
            }
            TargetKind::Classification if regression => {
                return Err(Error::param(
                    "metrics",
                    format!("{name:?}"),
                    "a regression metric, but the model is a classifier",
                ))
            }
            _ => {}
        }
        let binary_only = matches!(
            name,
            "precision" | "recall" | "f1" | "roc_auc" | "average_precision" | "brier_score"
        );
        if kind == TargetKind::Classification && binary_only && n_classes != 2 {
            let hint = if name == "roc_auc" {
                "use roc_auc_ovr or roc_auc_ovr_weighted".to_string()
            } else if matches!(name, "precision" | "recall" | "f1") {
                format!("use {name}_macro, {name}_micro or {name}_weighted")
            } else {
                "it is defined for binary targets only".to_string()
            };
            return Err(Error::param(
                "metrics",
                format!("{name:?}"),
                format!("the model has {n_classes} classes, and {name} is binary: {hint}"),
            ));
        }
        if NEEDS_PROBA.contains(&name) && !has_proba {
            return Err(Error::param(
                "metrics",
                format!("{name:?}"),
                "needs class probabilities, which this model does not give",
            ));
        }
    }
    Ok(())
}

fn average_of(name: &str) -> Average {
    if name.ends_with("_macro") {
        Average::Macro
    } else if name.ends_with("_micro") {
        Average::Micro
    } else if name.ends_with("_weighted") {
        Average::Weighted
    } else {
        Average::Binary { pos_label: 1 }
    }
}

fn one_metric(outcomes: &Outcomes, name: &str) -> Result<f64> {
    if name == "example_count" {
        return Ok(outcomes.len() as f64);
    }
    match outcomes {
        Outcomes::Values { y_true, y_pred } => {
            let f = match name {
                "mae" => metrics::mae,
                "mse" => metrics::mse,
                "rmse" => metrics::rmse,
                "r2" => metrics::r2,
                "mape" => metrics::mape,
                "median_absolute_error" => metrics::median_absolute_error,
                other => return Err(Error::param("metrics", other, "not a regression metric")),
            };
            f(y_true, y_pred, None)
        }
        Outcomes::Classes {
            y_true,
            y_pred,
            proba,
            ..
        } => {
            let proba_view = || {
                proba.as_ref().map(|p| p.view()).ok_or_else(|| {
                    Error::param("metrics", name, "needs class probabilities, which were not given")
                })
            };
            let positive = || -> Result<(Vec<bool>, Vec<f64>)> {
                let p = proba_view()?;
                let column = p.column(1).to_vec();
                Ok((y_true.iter().map(|&c| c == 1).collect(), column))
            };
            match name {
                "accuracy" => metrics::accuracy(y_true, y_pred, None),
                "balanced_accuracy" => metrics::balanced_accuracy(y_true, y_pred, None),
                n if n.starts_with("precision") => metrics::precision(y_true, y_pred, average_of(n), None),
                n if n.starts_with("recall") => metrics::recall(y_true, y_pred, average_of(n), None),
                n if n.starts_with("f1") => metrics::f1(y_true, y_pred, average_of(n), None),
                "roc_auc" => {
                    let (t, s) = positive()?;
                    metrics::roc_auc(&t, &s, None)
                }
                "average_precision" => {
                    let (t, s) = positive()?;
                    metrics::average_precision(&t, &s, None)
                }
                "brier_score" => {
                    let (t, s) = positive()?;
                    metrics::brier_score(&t, &s, None)
                }
                "roc_auc_ovr" => metrics::roc_auc_ovr(y_true, proba_view()?, MulticlassAverage::Macro, None),
                "roc_auc_ovr_weighted" => {
                    metrics::roc_auc_ovr(y_true, proba_view()?, MulticlassAverage::Weighted, None)
                }
                "log_loss" => metrics::log_loss(y_true, proba_view()?, None),
                other => Err(Error::param("metrics", other, "not a classification metric")),
            }
        }
    }
}

/// The named `metrics` (see [`METRIC_NAMES`]) of `outcomes`.
///
/// # Errors
/// [`Error::InvalidParameter`] for no metric, an unknown name, a name that does not fit
/// the outcomes (a regression metric of classes, `f1` of three classes, a probability
/// metric without probabilities); [`Error::InvalidData`] for outcomes of unequal
/// lengths; any error of the metric itself (e.g. ROC AUC with one class present).
///
/// ```
/// use ferrops::validate::gate::{compute_metrics, Outcomes};
///
/// # fn main() -> ferrops::Result<()> {
/// let outcomes = Outcomes::Values { y_true: vec![1.0, 2.0, 3.0], y_pred: vec![1.0, 2.5, 2.0] };
/// let m = compute_metrics(&outcomes, &["mae", "example_count"])?;
/// assert_eq!(m.get("mae"), Some(0.5));
/// assert_eq!(m.get("example_count"), Some(3.0));
/// # Ok(()) }
/// ```
pub fn compute_metrics<S: AsRef<str>>(outcomes: &Outcomes, metrics: &[S]) -> Result<MetricSet> {
    outcomes.check()?;
    let (kind, n_classes, has_proba) = match outcomes {
        Outcomes::Classes { proba, n_classes, .. } => {
            (TargetKind::Classification, *n_classes, proba.is_some())
        }
        Outcomes::Values { .. } => (TargetKind::Regression, 0, false),
    };
    check_names(metrics, kind, n_classes, has_proba)?;
    let mut out = MetricSet::new();
    for name in metrics {
        let name = name.as_ref();
        out.insert(name, one_metric(outcomes, name)?);
    }
    Ok(out)
}

/// The key of the slice where column `column` holds `value` (as text): `column=value`.
pub fn slice_key(column: &str, value: &str) -> String {
    format!("{column}={value}")
}

/// Encode `array` (true or predicted labels) as codes into `labels`.
fn encode_labels(name: &str, array: &ArrayRef, labels: &ClassLabels) -> Result<Vec<usize>> {
    let null = |row: usize| Error::InvalidValue {
        column: name.to_string(),
        row,
        value: "null".into(),
        hint: "labels may not be missing when evaluating: drop those rows first (DropNulls)".into(),
    };
    let unseen = |row: usize, value: String| {
        Error::InvalidData(format!(
            "column `{name}` has label {value} at row {row}, which the model never saw at fit (its classes are {:?}); evaluate on rows of known classes",
            labels.names()
        ))
    };
    let mut codes = Vec::with_capacity(array.len());
    match labels {
        ClassLabels::Str(known) => {
            let strings = str_values(name, array)
                .map_err(|_| Error::column_type(name, "string labels, as at fit", array.data_type()))?;
            for row in 0..strings.len() {
                let s = strings.get(row).ok_or_else(|| null(row))?;
                let code = known
                    .binary_search_by(|l| l.as_str().cmp(s))
                    .map_err(|_| unseen(row, format!("{s:?}")))?;
                codes.push(code);
            }
        }
        ClassLabels::Bool(known) => {
            let bools = array
                .as_boolean_opt()
                .ok_or_else(|| Error::column_type(name, "boolean labels, as at fit", array.data_type()))?;
            for row in 0..bools.len() {
                if bools.is_null(row) {
                    return Err(null(row));
                }
                let b = bools.value(row);
                codes.push(known.binary_search(&b).map_err(|_| unseen(row, b.to_string()))?);
            }
        }
        ClassLabels::Int(known) => {
            let floats = as_f64_array(name, array)
                .map_err(|_| Error::column_type(name, "integer labels, as at fit", array.data_type()))?;
            for row in 0..floats.len() {
                if floats.is_null(row) {
                    return Err(null(row));
                }
                let v = floats.value(row);
                if v.fract() != 0.0 || !v.is_finite() {
                    return Err(unseen(row, v.to_string()));
                }
                let i = v as i64;
                codes.push(known.binary_search(&i).map_err(|_| unseen(row, i.to_string()))?);
            }
        }
    }
    Ok(codes)
}

/// The metrics of a fitted pipeline on `table`, overall and per slice.
///
/// `table` holds the model's input columns and its target column (the column the
/// pipeline was fitted to predict). For each column of `slice_by`, the rows are grouped
/// by that column's value (nulls form the slice `column=null`) and every metric is
/// computed on each group, as scikit-learn's metric on a pandas `groupby` group would
/// be. A slice with fewer than `min_slice_size` rows is recorded as skipped (TFMA's
/// `min_slice_size`): gates skip its checks instead of failing them. A metric that is
/// undefined on a slice (ROC AUC of a slice with one class) is recorded, with the
/// reason, in [`SliceMetrics::undefined`]; a gate check on it fails and says why. On the
/// whole table the same is an error.
///
/// # Errors
/// [`Error::NotFitted`] for a pipeline without a model; [`Error::ColumnNotFound`] for a
/// missing target or slice column; [`Error::EmptyInput`] for an empty table;
/// [`Error::InvalidParameter`] for bad metric names (see [`compute_metrics`]) or a slice
/// column whose name contains `=`; [`Error::InvalidValue`] / [`Error::InvalidData`] for
/// a null or unseen label or a non-finite regression target; any prediction or metric
/// error on the whole table.
pub fn evaluate_pipeline<S: AsRef<str>, T: AsRef<str>>(
    fitted: &FittedPipeline,
    table: &RecordBatch,
    metrics: &[S],
    slice_by: &[T],
    min_slice_size: usize,
) -> Result<SlicedMetrics> {
    let target = fitted.target().ok_or_else(|| Error::NotFitted {
        what: "this pipeline's model (fitted without a target, it has nothing to evaluate)".into(),
    })?;
    if fitted.model().is_none() {
        return Err(Error::NotFitted {
            what: "this pipeline's model".into(),
        });
    }
    let n_classes = target.labels.as_ref().map_or(0, ClassLabels::len);
    let wants_proba = metrics.iter().any(|m| NEEDS_PROBA.contains(&m.as_ref()));
    check_names(metrics, target.kind, n_classes, true)?;
    let truth = column(table, &target.name)?.clone();
    let mut slice_columns = Vec::with_capacity(slice_by.len());
    for name in slice_by {
        let name = name.as_ref();
        if name.contains('=') {
            return Err(Error::param(
                "slice_by",
                format!("{name:?}"),
                "slice keys are written `column=value`, so a slice column's name may not contain `=`: rename it first",
            ));
        }
        slice_columns.push((name.to_string(), column(table, name)?.clone()));
    }
    if table.num_rows() == 0 {
        return Err(Error::EmptyInput {
            context: "cannot evaluate a model on a table with no rows".into(),
        });
    }
    let outcomes = match (&target.kind, &target.labels) {
        (TargetKind::Classification, Some(labels)) => {
            let y_true = encode_labels(&target.name, &truth, labels)?;
            let predicted = fitted.predict(table)?;
            let y_pred = encode_labels("prediction", &predicted, labels)?;
            let proba = if wants_proba {
                Some(fitted.predict_proba(table)?)
            } else {
                None
            };
            Outcomes::Classes {
                y_true,
                y_pred,
                proba,
                n_classes,
            }
        }
        (TargetKind::Classification, None) => {
            return Err(Error::InvalidData("classifier without class labels".into()))
        }
        (TargetKind::Regression, _) => {
            let values = as_f64_array(&target.name, &truth)?;
            let mut y_true = Vec::with_capacity(values.len());
            for row in 0..values.len() {
                let v = if values.is_null(row) {
                    f64::NAN
                } else {
                    values.value(row)
                };
                if !v.is_finite() {
                    return Err(Error::InvalidValue {
                        column: target.name.clone(),
                        row,
                        value: if values.is_null(row) {
                            "null".into()
                        } else {
                            v.to_string()
                        },
                        hint: "the target must be finite to evaluate: drop those rows first".into(),
                    });
                }
                y_true.push(v);
            }
            let predicted = fitted.predict(table)?;
            let y_pred = as_f64_array("prediction", &predicted)?.values().to_vec();
            Outcomes::Values { y_true, y_pred }
        }
    };
    evaluate_outcomes(&outcomes, &slice_columns, metrics, min_slice_size)
}

/// The metrics of given outcomes, overall and per slice: the part of
/// [`evaluate_pipeline`] after predicting, for predictions made elsewhere.
///
/// `slice_by` holds `(column name, values)` pairs, each array as long as `outcomes`;
/// slices, minimum size and undefined metrics are as in [`evaluate_pipeline`].
///
/// # Errors
/// As [`compute_metrics`] on the whole set; [`Error::InvalidData`] for a slice column of
/// another length; [`Error::InvalidParameter`] for a slice column name containing `=`.
pub fn evaluate_outcomes<S: AsRef<str>>(
    outcomes: &Outcomes,
    slice_by: &[(String, ArrayRef)],
    metrics: &[S],
    min_slice_size: usize,
) -> Result<SlicedMetrics> {
    for (name, array) in slice_by {
        if name.contains('=') {
            return Err(Error::param(
                "slice_by",
                format!("{name:?}"),
                "slice keys are written `column=value`, so a slice column's name may not contain `=`: rename it first",
            ));
        }
        if array.len() != outcomes.len() {
            return Err(Error::InvalidData(format!(
                "slice column `{name}` has {} values for {} rows",
                array.len(),
                outcomes.len()
            )));
        }
    }
    let overall = compute_metrics(outcomes, metrics)?;
    let mut result = SlicedMetrics {
        overall: SliceMetrics {
            rows: Some(outcomes.len()),
            metrics: overall,
            ..Default::default()
        },
        slices: BTreeMap::new(),
    };
    let options = FormatOptions::default();
    for (name, array) in slice_by {
        let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for row in 0..array.len() {
            let value = if array.is_null(row) {
                "null".to_string()
            } else {
                formatter.value(row).to_string()
            };
            groups.entry(slice_key(name, &value)).or_default().push(row);
        }
        for (key, rows) in groups {
            let mut slice = SliceMetrics {
                rows: Some(rows.len()),
                ..Default::default()
            };
            if rows.len() < min_slice_size {
                slice.skipped = Some(format!(
                    "{} row(s), fewer than min_slice_size = {min_slice_size}",
                    rows.len()
                ));
            } else {
                let part = outcomes.take(&rows);
                for metric in metrics {
                    let metric = metric.as_ref();
                    match one_metric(&part, metric) {
                        Ok(v) => slice.metrics.insert(metric, v),
                        Err(e) => {
                            slice.undefined.insert(metric.to_string(), e.to_string());
                        }
                    }
                }
            }
            result.slices.insert(key, slice);
        }
    }
    Ok(result)
}
