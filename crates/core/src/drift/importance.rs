//! Permutation feature importance of a fitted pipeline, scikit-learn's
//! `sklearn.inspection.permutation_importance`.
//!
//! The importance of an input column is how much the score drops when that column's
//! values are shuffled across rows, breaking its link with the target while keeping its
//! distribution: `baseline score − score with the column permuted`, once per repeat.
//! Columns are the pipeline's *raw* inputs (its [`Signature`](crate::pipeline::Signature)),
//! so a string column that a one-hot encoder expands is permuted as one feature, and
//! the whole pipeline (transforms and model) scores every permuted table.
//!
//! Scores follow the [`Scorer`] conventions of cross-validation (scikit-learn's scoring
//! strings, greater is better), so a useful feature has a positive importance whatever
//! the metric. As in scikit-learn, repeat `r` applies the same row permutation to every
//! column, and the spread over repeats is the population standard deviation (`ddof=0`).
//!
//! Permutations are drawn from `seed` with ferrops' own generator, so they are the same
//! on every platform and thread count but differ from NumPy's draws for the same seed;
//! [`permutation_importance_with`] takes the permutations explicitly (the Python binding
//! passes NumPy's, which makes its results those of scikit-learn for the same model and
//! `random_state`). Column × repeat evaluations run in parallel (rayon) under the
//! caller's [`CancelToken`](crate::cancel::CancelToken).
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{ArrayRef, Float64Array};
//! use arrow::record_batch::RecordBatch;
//! use ferrops::drift::importance::{permutation_importance, PermutationOptions};
//! use ferrops::prelude::*;
//!
//! # fn main() -> ferrops::Result<()> {
//! // y depends on `signal` only; `noise` is ignored by the tree.
//! let signal: Vec<f64> = (0..60).map(f64::from).collect();
//! let noise: Vec<f64> = (0..60).map(|i| f64::from((i * 37) % 11)).collect();
//! let y: Vec<i64> = (0..60).map(|i| i64::from(i >= 30)).collect();
//! let table = RecordBatch::try_from_iter([
//!     ("signal", Arc::new(Float64Array::from(signal)) as ArrayRef),
//!     ("noise", Arc::new(Float64Array::from(noise)) as ArrayRef),
//!     ("y", Arc::new(arrow::array::Int64Array::from(y)) as ArrayRef),
//! ])?;
//! let tree = DecisionTree { max_depth: Some(1), ..DecisionTree::default() };
//! let fitted = Pipeline::new().train(tree).fit(&table, "y")?;
//! let result = permutation_importance(&fitted, &table, "y", &PermutationOptions::default())?;
//! assert_eq!(result.features, ["signal", "noise"]);
//! assert!(result.importances_mean[0] > 0.3);
//! assert_eq!(result.importances_mean[1], 0.0); // never used by the tree
//! # Ok(()) }
//! ```
#![warn(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray, UInt64Array};
use arrow::compute::{cast_with_options, take, CastOptions};
use arrow::datatypes::{DataType, Float64Type};
use arrow::record_batch::RecordBatch;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::table::{is_bool, is_numeric, is_string, str_values};
use crate::data::TargetKind;
use crate::error::{Error, Result};
use crate::pipeline::FittedPipeline;
use crate::rng::SplitMix64;
use crate::train::Predictions;
use crate::validate::cv::Scorer;

/// What [`permutation_importance`] computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationOptions {
    /// The scorer; `None` is [`Scorer::default_for`] the model's target kind (accuracy
    /// or R², scikit-learn's `estimator.score`).
    pub scoring: Option<Scorer>,
    /// Permutations per column (scikit-learn's `n_repeats`, default 5).
    pub n_repeats: usize,
    /// Seed of the permutations.
    pub seed: u64,
    /// One non-negative weight per row, passed to the metric.
    pub sample_weight: Option<Vec<f64>>,
    /// The input columns to permute; `None` permutes every column of the signature.
    pub columns: Option<Vec<String>>,
}

impl Default for PermutationOptions {
    fn default() -> Self {
        PermutationOptions {
            scoring: None,
            n_repeats: 5,
            seed: 0,
            sample_weight: None,
            columns: None,
        }
    }
}

impl PermutationOptions {
    /// Score with `scorer`.
    pub fn scoring(mut self, scorer: Scorer) -> Self {
        self.scoring = Some(scorer);
        self
    }

    /// Permute each column `n` times.
    pub fn repeats(mut self, n: usize) -> Self {
        self.n_repeats = n;
        self
    }

    /// Draw the permutations from `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// The result of [`permutation_importance`]: scikit-learn's `Bunch` with the feature
/// names and the baseline score besides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    /// The permuted input columns, in signature order.
    pub features: Vec<String>,
    /// The scorer.
    pub scoring: Scorer,
    /// The score on the table as given.
    pub baseline_score: f64,
    /// `features x repeats`: baseline score minus the score with the feature permuted.
    pub importances: Array2<f64>,
    /// Mean over repeats, one per feature.
    pub importances_mean: Vec<f64>,
    /// Population standard deviation over repeats (`ddof=0`), one per feature.
    pub importances_std: Vec<f64>,
}

impl PermutationImportance {
    /// Feature positions from the most to the least important (by mean; ties keep
    /// signature order).
    pub fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.features.len()).collect();
        order.sort_by(|&a, &b| {
            let get = |i: usize| self.importances_mean.get(i).copied().unwrap_or(f64::NEG_INFINITY);
            get(b).total_cmp(&get(a))
        });
        order
    }

    /// One row per feature: `feature`, `importance_mean`, `importance_std`, in
    /// signature order.
    ///
    /// # Errors
    /// Only an Arrow layout error, which does not occur for a result built here.
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        Ok(RecordBatch::try_from_iter([
            (
                "feature",
                Arc::new(StringArray::from_iter_values(&self.features)) as ArrayRef,
            ),
            (
                "importance_mean",
                Arc::new(Float64Array::from(self.importances_mean.clone())) as ArrayRef,
            ),
            (
                "importance_std",
                Arc::new(Float64Array::from(self.importances_std.clone())) as ArrayRef,
            ),
        ])?)
    }
}

// ---------------------------------------------------------------------------------------
// The truth, in the model's codes
// ---------------------------------------------------------------------------------------

/// The target of the scored table.
enum Truth {
    /// Codes into the model's classes followed by classes only the table has.
    Classes {
        codes: Vec<usize>,
        n_classes: usize,
    },
    Values(Vec<f64>),
}

/// The text form of each target value, as [`ClassLabels::names`](crate::data::ClassLabels::names) writes labels.
fn label_names(name: &str, column: &ArrayRef) -> Result<Vec<String>> {
    let dt = column.data_type();
    if is_string(dt) {
        let strings = str_values(name, column)?;
        return Ok(strings
            .iter()
            .map(|s| s.unwrap_or_default().to_string())
            .collect());
    }
    if is_bool(dt) {
        return Ok(column
            .as_boolean()
            .iter()
            .map(|b| b.unwrap_or_default().to_string())
            .collect());
    }
    if is_numeric(dt) {
        let floats = cast_with_options(column, &DataType::Float64, &CastOptions::default())?;
        let floats = floats.as_primitive::<Float64Type>();
        return floats
            .values()
            .iter()
            .enumerate()
            .map(|(row, &v)| {
                if v.is_finite() && v.fract() == 0.0 {
                    Ok(format!("{}", v as i64))
                } else {
                    Err(Error::InvalidValue {
                        column: name.to_string(),
                        row,
                        value: v.to_string(),
                        hint: "a classifier's target must hold class labels (whole numbers)".into(),
                    })
                }
            })
            .collect();
    }
    Err(Error::column_type(name, "string, boolean or integer labels", dt))
}

fn truth_of(fitted: &FittedPipeline, table: &RecordBatch, target: &str) -> Result<Truth> {
    let info = fitted.target().ok_or_else(|| Error::NotFitted {
        what:
            "this pipeline's model (it was fitted without a trainer; permutation importance scores a model)"
                .into(),
    })?;
    let column = crate::data::table::column(table, target)?;
    if let Some(row) = (0..column.len()).find(|&i| column.is_null(i)) {
        return Err(Error::InvalidValue {
            column: target.to_string(),
            row,
            value: "null".into(),
            hint: "the target may not be missing: drop those rows first".into(),
        });
    }
    match info.kind {
        TargetKind::Regression => {
            let values = crate::data::table::array_f64_values(target, column)?;
            if let Some((row, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::InvalidValue {
                    column: target.to_string(),
                    row,
                    value: v.to_string(),
                    hint: "a regression target must be finite".into(),
                });
            }
            Ok(Truth::Values(values))
        }
        TargetKind::Classification => {
            let model_classes = info
                .labels
                .as_ref()
                .ok_or_else(|| Error::InvalidData("classifier without class labels".into()))?
                .names();
            let mut index: HashMap<String, usize> = model_classes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i))
                .collect();
            let names = label_names(target, column)?;
            let mut extra: Vec<&String> = names.iter().filter(|n| !index.contains_key(*n)).collect();
            extra.sort();
            extra.dedup();
            for name in extra {
                let next = index.len();
                index.insert(name.clone(), next);
            }
            let codes = names
                .iter()
                .map(|n| index.get(n).copied().unwrap_or(usize::MAX))
                .collect();
            Ok(Truth::Classes {
                codes,
                n_classes: index.len(),
            })
        }
    }
}

// ---------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------

fn wrong_kind(scorer: Scorer) -> Error {
    let (is, other) = match scorer.target_kind() {
        TargetKind::Classification => ("a classification", "a regressor"),
        TargetKind::Regression => ("a regression", "a classifier"),
    };
    Error::param(
        "scoring",
        scorer.name(),
        format!("is {is} metric but the pipeline's model is {other}"),
    )
}

/// The probabilities widened to `n_classes` columns (classes only the table has get 0).
fn widen(proba: Array2<f64>, n_classes: usize) -> Array2<f64> {
    if proba.ncols() >= n_classes {
        return proba;
    }
    let mut out = Array2::<f64>::zeros((proba.nrows(), n_classes));
    for (j, column) in proba.columns().into_iter().enumerate() {
        out.column_mut(j).assign(&column);
    }
    out
}

/// `scorer` of `predictions` against `truth`, as [`Scorer`] scores a cross-validation
/// fold (binary scorers take the greater class, code 1, as positive).
fn score(scorer: Scorer, truth: &Truth, predictions: Predictions, weights: Option<&[f64]>) -> Result<f64> {
    match (truth, predictions) {
        (Truth::Values(y), Predictions::Values(v)) => scorer.score_values(y, &v.to_vec(), weights),
        (Truth::Classes { codes: y, n_classes }, Predictions::Classes { codes, proba }) => {
            let proba = proba.map(|p| widen(p, *n_classes));
            scorer.score_classes(y, &codes, proba.as_ref(), *n_classes, weights)
        }
        _ => Err(Error::InvalidData(
            "the model's predictions do not match the target's kind".into(),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Permuting
// ---------------------------------------------------------------------------------------

/// `n_repeats` permutations of `0..n`, repeat `r` from stream `r` of `seed`.
fn draw_permutations(n: usize, n_repeats: usize, seed: u64) -> Vec<Vec<usize>> {
    (0..n_repeats)
        .map(|r| {
            let mut rng = SplitMix64::stream(seed, r as u64);
            let mut rows: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut rows);
            rows
        })
        .collect()
}

fn check_permutation(index: usize, rows: &[usize], n: usize) -> Result<()> {
    if rows.len() != n {
        return Err(Error::InvalidData(format!(
            "permutation {index} has {} entries for a table of {n} rows; pass a permutation of 0..{n}",
            rows.len()
        )));
    }
    let mut seen = vec![false; n];
    for &r in rows {
        match seen.get_mut(r) {
            Some(slot) if !*slot => *slot = true,
            _ => {
                return Err(Error::InvalidData(format!(
                    "permutation {index} repeats row {r} or names a row beyond the table's {n}; \
                     pass a permutation of 0..{n}"
                )))
            }
        }
    }
    Ok(())
}

/// Permutation importance of every input column of `fitted` (or of
/// [`PermutationOptions::columns`]) on `table`, whose column `target` holds the truth;
/// see the [module](self).
///
/// # Errors
/// [`Error::NotFitted`] for a pipeline without a model; [`Error::EmptyInput`] for a
/// table without rows; a missing target or input column, or one of the wrong type
/// ([`Error::ColumnNotFound`], [`Error::ColumnType`]); a scorer for the other kind of
/// model, `n_repeats = 0` or a column that is not an input ([`Error::InvalidParameter`]);
/// weights of the wrong length or sign; and the scorer's own errors (e.g. `roc_auc`
/// on a table with one class).
pub fn permutation_importance(
    fitted: &FittedPipeline,
    table: &RecordBatch,
    target: &str,
    options: &PermutationOptions,
) -> Result<PermutationImportance> {
    if options.n_repeats == 0 {
        return Err(Error::param("n_repeats", 0, "must be at least 1"));
    }
    let permutations = draw_permutations(table.num_rows(), options.n_repeats, options.seed);
    permutation_importance_with(fitted, table, target, &permutations, options)
}

/// [`permutation_importance`] with the row permutations given, one per repeat (each a
/// permutation of `0..table.num_rows()`); `options.n_repeats` and `options.seed` are
/// not used. Passing NumPy's draws reproduces scikit-learn's result for the same model.
///
/// # Errors
/// As [`permutation_importance`], and no permutation or one that is not a permutation
/// of the table's rows ([`Error::InvalidData`]).
pub fn permutation_importance_with(
    fitted: &FittedPipeline,
    table: &RecordBatch,
    target: &str,
    permutations: &[Vec<usize>],
    options: &PermutationOptions,
) -> Result<PermutationImportance> {
    let n = table.num_rows();
    if n == 0 {
        return Err(Error::EmptyInput {
            context: "permutation importance needs rows to score: the table is empty".into(),
        });
    }
    if permutations.is_empty() {
        return Err(Error::InvalidData(
            "permutation importance needs at least one permutation (repeat)".into(),
        ));
    }
    for (i, p) in permutations.iter().enumerate() {
        check_permutation(i, p, n)?;
    }
    let info = fitted.target().ok_or_else(|| Error::NotFitted {
        what:
            "this pipeline's model (it was fitted without a trainer; permutation importance scores a model)"
                .into(),
    })?;
    let scorer = options.scoring.unwrap_or_else(|| Scorer::default_for(info.kind));
    if scorer.target_kind() != info.kind {
        return Err(wrong_kind(scorer));
    }
    if let Some(w) = &options.sample_weight {
        if w.len() != n {
            return Err(Error::InvalidData(format!(
                "{} sample weights for a table of {n} rows; pass one weight per row",
                w.len()
            )));
        }
    }
    let weights = options.sample_weight.as_deref();
    let inputs: Vec<String> = fitted.signature().names().into_iter().map(String::from).collect();
    let features = match &options.columns {
        None => inputs,
        Some(chosen) => {
            if chosen.is_empty() {
                return Err(Error::param("columns", "[]", "name at least one input column"));
            }
            if let Some(bad) = chosen.iter().find(|c| !inputs.contains(c)) {
                return Err(Error::param(
                    "columns",
                    format!("{bad:?}"),
                    format!("is not an input column of the pipeline; its inputs are {inputs:?}"),
                ));
            }
            // Signature order, each once.
            inputs.into_iter().filter(|c| chosen.contains(c)).collect()
        }
    };
    let truth = truth_of(fitted, table, target)?;
    let conformed = fitted.signature().conform(table)?;
    let baseline = score(scorer, &truth, fitted.predictions(&conformed)?, weights)?;
    let positions: Vec<usize> = features
        .iter()
        .map(|f| crate::data::table::index_of(conformed.schema_ref(), f))
        .collect::<Result<_>>()?;
    let indices: Vec<UInt64Array> = permutations
        .iter()
        .map(|p| UInt64Array::from_iter_values(p.iter().map(|&r| r as u64)))
        .collect();
    let n_repeats = permutations.len();
    let tasks: Vec<(usize, usize)> = (0..features.len())
        .flat_map(|f| (0..n_repeats).map(move |r| (f, r)))
        .collect();
    let token = crate::cancel::current();
    let run = |&(f, r): &(usize, usize)| -> Result<f64> {
        crate::cancel::check()?;
        let (Some(&position), Some(rows)) = (positions.get(f), indices.get(r)) else {
            return Err(Error::InvalidData("permutation task out of range".into()));
        };
        let mut columns: Vec<ArrayRef> = conformed.columns().to_vec();
        let slot = columns
            .get_mut(position)
            .ok_or_else(|| Error::InvalidData("permuted column out of range".into()))?;
        *slot = take(slot.as_ref(), rows, None)?;
        let permuted = RecordBatch::try_new(conformed.schema(), columns)?;
        let permuted_score = score(scorer, &truth, fitted.predictions(&permuted)?, weights)?;
        Ok(baseline - permuted_score)
    };
    let results: Vec<Result<f64>> = tasks
        .par_iter()
        .map(|task| match &token {
            Some(t) => crate::cancel::with_token(t, || run(task)),
            None => run(task),
        })
        .collect();
    let values = results.into_iter().collect::<Result<Vec<f64>>>()?;
    let importances = Array2::from_shape_vec((features.len(), n_repeats), values)
        .map_err(|e| Error::InvalidData(e.to_string()))?;
    let importances_mean: Vec<f64> = importances
        .rows()
        .into_iter()
        .map(|row| row.sum() / n_repeats as f64)
        .collect();
    let importances_std: Vec<f64> = importances
        .rows()
        .into_iter()
        .zip(&importances_mean)
        .map(|(row, &m)| (row.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n_repeats as f64).sqrt())
        .collect();
    Ok(PermutationImportance {
        features,
        scoring: scorer,
        baseline_score: baseline,
        importances,
        importances_mean,
        importances_std,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_permutations_and_seeded() {
        let a = draw_permutations(50, 3, 7);
        let b = draw_permutations(50, 3, 7);
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        for (i, p) in a.iter().enumerate() {
            check_permutation(i, p, 50).unwrap();
        }
        assert_ne!(draw_permutations(50, 1, 8)[0], a[0]);
        assert!(check_permutation(0, &[0, 0, 1], 3).is_err());
        assert!(check_permutation(0, &[0, 1, 3], 3).is_err());
        assert!(check_permutation(0, &[0, 1], 3).is_err());
    }
}
