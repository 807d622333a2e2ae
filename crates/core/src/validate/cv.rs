//! Cross-validation of a whole [`Pipeline`]: every fold fits the transforms *and* the
//! trainer on its training rows only, then scores the fitted pipeline on its test rows,
//! so no statistic of a test row (a mean, a category, a bin edge) leaks into the model
//! scored on it. scikit-learn's `cross_validate(pipeline, X, y, cv=..., scoring=...)`.
//!
//! Scorers are named as scikit-learn's scoring strings ([`Scorer::parse`]) and follow
//! its sign convention: *greater is better* for every scorer, so losses are negated
//! (`neg_log_loss`, `neg_mean_squared_error`, …).
//!
//! Folds come from any [`Splitter`] (through [`make_folds`], which encodes the target for
//! stratification and a group column for group k-fold) or are given directly, so folds
//! computed elsewhere (e.g. by scikit-learn) can be reused.
//!
//! Folds run in parallel (rayon). Each fit is deterministic whatever the number of
//! threads, so the scores are too; the times are wall-clock and vary.
//!
//! # Classes missing from a fold
//!
//! Scores are computed against the classes of the *whole* table. A fold whose training
//! rows lack a class fits a model that never predicts it: its probabilities for that
//! class are 0 (scikit-learn's scorers raise or return NaN here). A metric that needs
//! every class in the test rows (`roc_auc_ovr`) fails with an error naming the fold.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//! use ferrops::prelude::*;
//! use ferrops::validate::cv::{cross_validate, make_folds, CvOptions, Scorer};
//! use ferrops::validate::split::StratifiedKFold;
//!
//! # fn main() -> ferrops::Result<()> {
//! // Two well-separated groups of x, one per label.
//! let x: Vec<f64> = (0..40).map(|i| f64::from(i) + if i < 20 { 0.0 } else { 100.0 }).collect();
//! let y: Vec<&str> = (0..40).map(|i| if i < 20 { "low" } else { "high" }).collect();
//! let table = RecordBatch::try_from_iter([
//!     ("x", Arc::new(Float64Array::from(x)) as _),
//!     ("y", Arc::new(StringArray::from(y)) as _),
//! ])?;
//! let pipeline = Pipeline::new().transform(StandardScaler::default()).train(LogisticRegression::default());
//! let folds = make_folds(&StratifiedKFold::new(4), &table, "y", true, None)?;
//! let options = CvOptions::new(vec![Scorer::Accuracy, Scorer::NegLogLoss]);
//! let results = cross_validate(&pipeline, &table, "y", &folds, &options)?;
//! assert_eq!(results.folds.len(), 4);
//! assert!(results.mean(Scorer::Accuracy).unwrap_or(0.0) > 0.9);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use arrow::array::{ArrayRef, UInt64Array};
use arrow::compute::take_record_batch;
use arrow::record_batch::RecordBatch;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{encode_target, ClassLabels, Target, TargetKind};
use crate::error::{Error, Result};
use crate::pipeline::{FittedPipeline, Pipeline};
use crate::train::Predictions;
use crate::validate::metrics::{self, Average, MulticlassAverage};
use crate::validate::split::{sorted_codes, Fold, Splitter};

// ---------------------------------------------------------------------------------------
// Scorers
// ---------------------------------------------------------------------------------------

/// A scoring rule, named and signed as scikit-learn's scoring strings: greater is better.
///
/// | scorer | scikit-learn scoring | needs |
/// |---|---|---|
/// | `accuracy` | `"accuracy"` | labels |
/// | `balanced_accuracy` | `"balanced_accuracy"` | labels |
/// | `precision`, `recall`, `f1` | `"precision"`, `"recall"`, `"f1"` | a binary target; the positive class is the greater label |
/// | `…_macro`, `…_micro`, `…_weighted` | same names | labels |
/// | `roc_auc` | `"roc_auc"` | a binary target, probabilities |
/// | `roc_auc_ovr`, `roc_auc_ovr_weighted` | same names | probabilities; every class in each test fold |
/// | `average_precision` | `"average_precision"` | a binary target, probabilities |
/// | `neg_log_loss` | `"neg_log_loss"` | probabilities |
/// | `neg_brier_score` | `"neg_brier_score"` | a binary target, probabilities |
/// | `r2` | `"r2"` | values |
/// | `neg_mean_absolute_error`, `neg_mean_squared_error`, `neg_root_mean_squared_error` | same names | values |
/// | `neg_mean_absolute_percentage_error`, `neg_median_absolute_error` | same names | values |
///
/// scikit-learn's binary `"f1"` (and precision, recall) takes label `1` as positive and
/// fails for other labels; here the positive class is the greater of the two labels
/// (`1` of `{0, 1}`, `"yes"` of `{"no", "yes"}`, `true` of booleans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scorer {
    /// Fraction of correct labels.
    Accuracy,
    /// Mean per-class recall.
    BalancedAccuracy,
    /// Precision of a binary target (positive = the greater label).
    Precision,
    /// Precision averaged over classes.
    PrecisionMacro,
    /// Precision of pooled counts.
    PrecisionMicro,
    /// Precision averaged by support.
    PrecisionWeighted,
    /// Recall of a binary target.
    Recall,
    /// Recall averaged over classes.
    RecallMacro,
    /// Recall of pooled counts.
    RecallMicro,
    /// Recall averaged by support.
    RecallWeighted,
    /// F1 of a binary target.
    F1,
    /// F1 averaged over classes.
    F1Macro,
    /// F1 of pooled counts.
    F1Micro,
    /// F1 averaged by support.
    F1Weighted,
    /// ROC AUC of a binary target.
    RocAuc,
    /// One-vs-rest ROC AUC, macro average.
    RocAucOvr,
    /// One-vs-rest ROC AUC, weighted by support.
    RocAucOvrWeighted,
    /// Average precision (PR AUC) of a binary target.
    AveragePrecision,
    /// Negated log loss.
    NegLogLoss,
    /// Negated Brier score of a binary target.
    NegBrierScore,
    /// Coefficient of determination.
    R2,
    /// Negated mean absolute error.
    NegMeanAbsoluteError,
    /// Negated mean squared error.
    NegMeanSquaredError,
    /// Negated root mean squared error.
    NegRootMeanSquaredError,
    /// Negated mean absolute percentage error.
    NegMeanAbsolutePercentageError,
    /// Negated median absolute error.
    NegMedianAbsoluteError,
}

impl Scorer {
    /// Every scorer, in the order of the table above.
    pub const ALL: [Scorer; 26] = [
        Scorer::Accuracy,
        Scorer::BalancedAccuracy,
        Scorer::Precision,
        Scorer::PrecisionMacro,
        Scorer::PrecisionMicro,
        Scorer::PrecisionWeighted,
        Scorer::Recall,
        Scorer::RecallMacro,
        Scorer::RecallMicro,
        Scorer::RecallWeighted,
        Scorer::F1,
        Scorer::F1Macro,
        Scorer::F1Micro,
        Scorer::F1Weighted,
        Scorer::RocAuc,
        Scorer::RocAucOvr,
        Scorer::RocAucOvrWeighted,
        Scorer::AveragePrecision,
        Scorer::NegLogLoss,
        Scorer::NegBrierScore,
        Scorer::R2,
        Scorer::NegMeanAbsoluteError,
        Scorer::NegMeanSquaredError,
        Scorer::NegRootMeanSquaredError,
        Scorer::NegMeanAbsolutePercentageError,
        Scorer::NegMedianAbsoluteError,
    ];

    /// scikit-learn's name of this scorer.
    pub fn name(self) -> &'static str {
        match self {
            Scorer::Accuracy => "accuracy",
            Scorer::BalancedAccuracy => "balanced_accuracy",
            Scorer::Precision => "precision",
            Scorer::PrecisionMacro => "precision_macro",
            Scorer::PrecisionMicro => "precision_micro",
            Scorer::PrecisionWeighted => "precision_weighted",
            Scorer::Recall => "recall",
            Scorer::RecallMacro => "recall_macro",
            Scorer::RecallMicro => "recall_micro",
            Scorer::RecallWeighted => "recall_weighted",
            Scorer::F1 => "f1",
            Scorer::F1Macro => "f1_macro",
            Scorer::F1Micro => "f1_micro",
            Scorer::F1Weighted => "f1_weighted",
            Scorer::RocAuc => "roc_auc",
            Scorer::RocAucOvr => "roc_auc_ovr",
            Scorer::RocAucOvrWeighted => "roc_auc_ovr_weighted",
            Scorer::AveragePrecision => "average_precision",
            Scorer::NegLogLoss => "neg_log_loss",
            Scorer::NegBrierScore => "neg_brier_score",
            Scorer::R2 => "r2",
            Scorer::NegMeanAbsoluteError => "neg_mean_absolute_error",
            Scorer::NegMeanSquaredError => "neg_mean_squared_error",
            Scorer::NegRootMeanSquaredError => "neg_root_mean_squared_error",
            Scorer::NegMeanAbsolutePercentageError => "neg_mean_absolute_percentage_error",
            Scorer::NegMedianAbsoluteError => "neg_median_absolute_error",
        }
    }

    /// The scorer of a scikit-learn scoring name.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name, listing the known ones.
    pub fn parse(name: &str) -> Result<Scorer> {
        Scorer::ALL.into_iter().find(|s| s.name() == name).ok_or_else(|| {
            let known: Vec<&str> = Scorer::ALL.iter().map(|s| s.name()).collect();
            Error::param(
                "scoring",
                name,
                format!("unknown scorer; choose one of {known:?}"),
            )
        })
    }

    /// The kind of target this scorer applies to.
    pub fn target_kind(self) -> TargetKind {
        match self {
            Scorer::R2
            | Scorer::NegMeanAbsoluteError
            | Scorer::NegMeanSquaredError
            | Scorer::NegRootMeanSquaredError
            | Scorer::NegMeanAbsolutePercentageError
            | Scorer::NegMedianAbsoluteError => TargetKind::Regression,
            _ => TargetKind::Classification,
        }
    }

    /// The default scorer of a target kind: accuracy for classifiers, R² for regressors
    /// (scikit-learn's `estimator.score`).
    pub fn default_for(kind: TargetKind) -> Scorer {
        match kind {
            TargetKind::Classification => Scorer::Accuracy,
            TargetKind::Regression => Scorer::R2,
        }
    }

    /// Score predictions (already in the codes of `truth`) against the truth.
    fn score(self, truth: &Truth, predicted: &Scored, n_classes: usize) -> Result<f64> {
        match (truth, predicted) {
            (Truth::Classes(y), Scored::Classes { codes, proba }) => {
                self.score_classes(y, codes, proba.as_ref(), n_classes, None)
            }
            (Truth::Values(y), Scored::Values(v)) => self.score_values(y, v, None),
            _ => Err(Error::InvalidData(format!(
                "scorer {} got predictions of the wrong kind for the target",
                self.name()
            ))),
        }
    }

    /// Score class codes (and probabilities, `rows x n_classes`) against true codes;
    /// binary scorers take code 1 as positive.
    pub(crate) fn score_classes(
        self,
        y: &[usize],
        codes: &[usize],
        proba: Option<&Array2<f64>>,
        n_classes: usize,
        weights: Option<&[f64]>,
    ) -> Result<f64> {
        let binary = || -> Result<Average> {
            if n_classes == 2 {
                Ok(Average::Binary { pos_label: 1 })
            } else {
                Err(Error::param(
                    "scoring",
                    self.name(),
                    format!(
                        "is for binary targets but the target has {n_classes} classes; use {}_macro, \
                         {}_micro or {}_weighted",
                        self.name(),
                        self.name(),
                        self.name()
                    ),
                ))
            }
        };
        let proba = || -> Result<&Array2<f64>> {
            proba.ok_or_else(|| {
                Error::param(
                    "scoring",
                    self.name(),
                    "needs class probabilities, which this model does not give",
                )
            })
        };
        let positive = || -> Result<(Vec<bool>, Vec<f64>)> {
            if n_classes != 2 {
                return Err(Error::param(
                    "scoring",
                    self.name(),
                    format!("is for binary targets but the target has {n_classes} classes"),
                ));
            }
            let p = proba()?;
            Ok((y.iter().map(|&c| c == 1).collect(), p.column(1).to_vec()))
        };
        match self {
            Scorer::Accuracy => metrics::accuracy(y, codes, weights),
            Scorer::BalancedAccuracy => metrics::balanced_accuracy(y, codes, weights),
            Scorer::Precision => metrics::precision(y, codes, binary()?, weights),
            Scorer::PrecisionMacro => metrics::precision(y, codes, Average::Macro, weights),
            Scorer::PrecisionMicro => metrics::precision(y, codes, Average::Micro, weights),
            Scorer::PrecisionWeighted => metrics::precision(y, codes, Average::Weighted, weights),
            Scorer::Recall => metrics::recall(y, codes, binary()?, weights),
            Scorer::RecallMacro => metrics::recall(y, codes, Average::Macro, weights),
            Scorer::RecallMicro => metrics::recall(y, codes, Average::Micro, weights),
            Scorer::RecallWeighted => metrics::recall(y, codes, Average::Weighted, weights),
            Scorer::F1 => metrics::f1(y, codes, binary()?, weights),
            Scorer::F1Macro => metrics::f1(y, codes, Average::Macro, weights),
            Scorer::F1Micro => metrics::f1(y, codes, Average::Micro, weights),
            Scorer::F1Weighted => metrics::f1(y, codes, Average::Weighted, weights),
            Scorer::RocAuc => {
                let (truth, score) = positive()?;
                metrics::roc_auc(&truth, &score, weights)
            }
            Scorer::AveragePrecision => {
                let (truth, score) = positive()?;
                metrics::average_precision(&truth, &score, weights)
            }
            Scorer::NegBrierScore => {
                let (truth, score) = positive()?;
                metrics::brier_score(&truth, &score, weights).map(|v| -v)
            }
            Scorer::RocAucOvr => metrics::roc_auc_ovr(y, proba()?.view(), MulticlassAverage::Macro, weights),
            Scorer::RocAucOvrWeighted => {
                metrics::roc_auc_ovr(y, proba()?.view(), MulticlassAverage::Weighted, weights)
            }
            Scorer::NegLogLoss => metrics::log_loss(y, proba()?.view(), weights).map(|v| -v),
            _ => Err(wrong_kind(self)),
        }
    }

    /// Score predicted values against true ones.
    pub(crate) fn score_values(self, y: &[f64], v: &[f64], weights: Option<&[f64]>) -> Result<f64> {
        match self {
            Scorer::R2 => metrics::r2(y, v, weights),
            Scorer::NegMeanAbsoluteError => metrics::mae(y, v, weights).map(|s| -s),
            Scorer::NegMeanSquaredError => metrics::mse(y, v, weights).map(|s| -s),
            Scorer::NegRootMeanSquaredError => metrics::rmse(y, v, weights).map(|s| -s),
            Scorer::NegMeanAbsolutePercentageError => metrics::mape(y, v, weights).map(|s| -s),
            Scorer::NegMedianAbsoluteError => metrics::median_absolute_error(y, v, weights).map(|s| -s),
            _ => Err(wrong_kind(self)),
        }
    }
}

fn wrong_kind(scorer: Scorer) -> Error {
    let (is, other) = match scorer.target_kind() {
        TargetKind::Classification => ("a classification", "a regressor"),
        TargetKind::Regression => ("a regression", "a classifier"),
    };
    Error::param(
        "scoring",
        scorer.name(),
        format!("is {is} metric but the pipeline's trainer is {other}"),
    )
}

impl fmt::Display for Scorer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Scorer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scorer> {
        Scorer::parse(s)
    }
}

impl TryFrom<String> for Scorer {
    type Error = Error;
    fn try_from(s: String) -> Result<Scorer> {
        Scorer::parse(&s)
    }
}

impl From<Scorer> for String {
    fn from(s: Scorer) -> String {
        s.name().to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Options and results
// ---------------------------------------------------------------------------------------

/// What [`cross_validate`] computes besides fitting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CvOptions {
    /// The scorers; empty means [`Scorer::default_for`] the trainer's target kind.
    pub scoring: Vec<Scorer>,
    /// Also score each fold's model on its own training rows (scikit-learn's
    /// `return_train_score`).
    pub return_train_score: bool,
    /// One sample weight per row of the table, passed to each fold's fit (the fold's
    /// rows of it). Scores are unweighted, as scikit-learn's `cross_validate` without
    /// metadata routing.
    pub weights: Option<Array1<f64>>,
}

impl CvOptions {
    /// Options with these scorers.
    pub fn new(scoring: Vec<Scorer>) -> Self {
        CvOptions {
            scoring,
            ..CvOptions::default()
        }
    }

    /// Also score the training rows.
    pub fn with_train_score(mut self) -> Self {
        self.return_train_score = true;
        self
    }

    /// Fit with these sample weights (one per row of the table).
    pub fn with_weights(mut self, weights: Array1<f64>) -> Self {
        self.weights = Some(weights);
        self
    }
}

/// The scores of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScores {
    /// The fold's position in the fold list.
    pub fold: usize,
    /// Training rows.
    pub n_train: usize,
    /// Test rows.
    pub n_test: usize,
    /// Wall-clock seconds of the fit.
    pub fit_seconds: f64,
    /// Wall-clock seconds of scoring the test rows.
    pub score_seconds: f64,
    /// Test scores, in the order of [`CvResults::scoring`].
    pub test: Vec<f64>,
    /// Train scores, if asked for.
    pub train: Option<Vec<f64>>,
}

/// The result of [`cross_validate`]: per-fold scores and times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvResults {
    /// The scorers, in the order of each fold's score lists.
    pub scoring: Vec<Scorer>,
    /// One entry per fold, in fold order.
    pub folds: Vec<FoldScores>,
}

impl CvResults {
    fn position(&self, scorer: Scorer) -> Option<usize> {
        self.scoring.iter().position(|s| *s == scorer)
    }

    /// The test scores of `scorer`, one per fold (empty if it was not computed).
    pub fn test_scores(&self, scorer: Scorer) -> Vec<f64> {
        self.position(scorer)
            .map(|i| self.folds.iter().filter_map(|f| f.test.get(i).copied()).collect())
            .unwrap_or_default()
    }

    /// The train scores of `scorer`, one per fold (empty unless asked for).
    pub fn train_scores(&self, scorer: Scorer) -> Vec<f64> {
        self.position(scorer)
            .map(|i| {
                self.folds
                    .iter()
                    .filter_map(|f| f.train.as_ref().and_then(|t| t.get(i).copied()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The mean test score of `scorer`, `None` if it was not computed.
    pub fn mean(&self, scorer: Scorer) -> Option<f64> {
        mean(&self.test_scores(scorer))
    }

    /// The standard deviation (population, `ddof = 0`, as scikit-learn's `cv_results_`)
    /// of the test scores of `scorer`.
    pub fn std(&self, scorer: Scorer) -> Option<f64> {
        std(&self.test_scores(scorer))
    }
}

pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

pub(crate) fn std(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64;
    Some(var.sqrt())
}

// ---------------------------------------------------------------------------------------
// Folds
// ---------------------------------------------------------------------------------------

/// Cut `table` into folds with `splitter`.
///
/// With `classify`, the target column's labels are encoded as class codes for
/// stratified splitters (as scikit-learn passes `y`); a regression target passes no
/// codes. `groups` names a column whose values (any type; nulls are one group) are the
/// groups of a [`GroupKFold`](crate::validate::split::GroupKFold). The group column
/// stays among the features: drop it in the pipeline if it should not be one.
///
/// # Errors
/// A missing target or group column, a null target, and the splitter's own errors.
pub fn make_folds(
    splitter: &dyn Splitter,
    table: &RecordBatch,
    target: &str,
    classify: bool,
    groups: Option<&str>,
) -> Result<Vec<Fold>> {
    let target_column = crate::data::table::column(table, target)?;
    let codes = if classify {
        match encode_target(target, target_column, TargetKind::Classification) {
            Ok(Target::Classes { codes, .. }) => Some(codes.to_vec()),
            Ok(Target::Continuous(_)) => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let group_codes = match groups {
        Some(name) => Some(group_codes(crate::data::table::column(table, name)?)?),
        None => None,
    };
    splitter.split(table.num_rows(), codes.as_deref(), group_codes.as_deref())
}

/// Group codes of a column: its values' text forms, sorted.
fn group_codes(column: &ArrayRef) -> Result<Vec<usize>> {
    let values: Vec<String> = (0..column.len())
        .map(|i| {
            if column.is_null(i) {
                Ok(String::from("\u{0}null"))
            } else {
                arrow::util::display::array_value_to_string(column, i).map_err(Error::from)
            }
        })
        .collect::<Result<_>>()?;
    Ok(sorted_codes(&values))
}

fn check_folds(folds: &[Fold], n_rows: usize) -> Result<()> {
    if folds.is_empty() {
        return Err(Error::param(
            "cv",
            "no folds",
            "pass at least one train/test fold",
        ));
    }
    for (i, fold) in folds.iter().enumerate() {
        if fold.train.is_empty() || fold.test.is_empty() {
            return Err(Error::InvalidData(format!(
                "fold {i} has {} training and {} test rows; every fold needs both",
                fold.train.len(),
                fold.test.len()
            )));
        }
        if let Some(&bad) = fold.train.iter().chain(&fold.test).find(|&&r| r >= n_rows) {
            return Err(Error::InvalidData(format!(
                "fold {i} refers to row {bad} but the table has {n_rows} rows"
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running folds
// ---------------------------------------------------------------------------------------

/// The target of the whole table, in the codes the scores use.
#[derive(Debug)]
enum Truth {
    Classes(Vec<usize>),
    Values(Vec<f64>),
}

/// Predictions mapped into the codes of the whole table.
enum Scored {
    Classes {
        codes: Vec<usize>,
        proba: Option<Array2<f64>>,
    },
    Values(Vec<f64>),
}

/// Everything a fold needs that is the same for every fold (and every search trial).
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) table: RecordBatch,
    pub(crate) target: String,
    truth: Truth,
    labels: Option<ClassLabels>,
    pub(crate) scoring: Vec<Scorer>,
    return_train_score: bool,
    weights: Option<Array1<f64>>,
    /// The train and test tables of each fold.
    pub(crate) folds: Vec<(Fold, RecordBatch, RecordBatch)>,
}

impl Prepared {
    pub(crate) fn new(
        kind: TargetKind,
        table: &RecordBatch,
        target: &str,
        folds: &[Fold],
        options: &CvOptions,
    ) -> Result<Prepared> {
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "cross-validation needs rows: the table is empty".into(),
            });
        }
        check_folds(folds, table.num_rows())?;
        let scoring = if options.scoring.is_empty() {
            vec![Scorer::default_for(kind)]
        } else {
            options.scoring.clone()
        };
        for (i, s) in scoring.iter().enumerate() {
            if s.target_kind() != kind {
                return Err(wrong_kind(*s));
            }
            if scoring.get(..i).is_some_and(|before| before.contains(s)) {
                return Err(Error::param("scoring", s, "is listed twice"));
            }
        }
        if let Some(w) = &options.weights {
            if w.len() != table.num_rows() {
                return Err(Error::InvalidData(format!(
                    "{} sample weights for {} rows",
                    w.len(),
                    table.num_rows()
                )));
            }
        }
        let column = crate::data::table::column(table, target)?;
        let (truth, labels) = match encode_target(target, column, kind)? {
            Target::Classes { codes, labels } => (Truth::Classes(codes.to_vec()), Some(labels)),
            Target::Continuous(v) => (Truth::Values(v.to_vec()), None),
        };
        let folds = folds
            .iter()
            .map(|fold| {
                Ok((
                    fold.clone(),
                    take_rows(table, &fold.train)?,
                    take_rows(table, &fold.test)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Prepared {
            table: table.clone(),
            target: target.to_string(),
            truth,
            labels,
            scoring,
            return_train_score: options.return_train_score,
            weights: options.weights.clone(),
            folds,
        })
    }

    pub(crate) fn weights(&self) -> Option<&Array1<f64>> {
        self.weights.as_ref()
    }

    /// Fit `pipeline` on fold `index`'s training rows and score it.
    pub(crate) fn run_fold(&self, pipeline: &Pipeline, index: usize) -> Result<FoldScores> {
        let (fold, train, test) = self
            .folds
            .get(index)
            .ok_or_else(|| Error::InvalidData(format!("no fold {index}")))?;
        let weights = self.weights.as_ref().map(|w| {
            fold.train
                .iter()
                .map(|&r| w.get(r).copied().unwrap_or(0.0))
                .collect()
        });
        let started = Instant::now();
        let fitted = pipeline
            .fit_weighted(train, &self.target, weights)
            .map_err(|e| in_fold(index, "fitting", e))?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let test_scores = self
            .score_rows(&fitted, test, &fold.test)
            .map_err(|e| in_fold(index, "scoring the test rows of", e))?;
        let score_seconds = started.elapsed().as_secs_f64();
        let train_scores = if self.return_train_score {
            Some(
                self.score_rows(&fitted, train, &fold.train)
                    .map_err(|e| in_fold(index, "scoring the training rows of", e))?,
            )
        } else {
            None
        };
        Ok(FoldScores {
            fold: index,
            n_train: fold.train.len(),
            n_test: fold.test.len(),
            fit_seconds,
            score_seconds,
            test: test_scores,
            train: train_scores,
        })
    }

    fn score_rows(
        &self,
        fitted: &FittedPipeline,
        rows_table: &RecordBatch,
        rows: &[usize],
    ) -> Result<Vec<f64>> {
        let predictions = fitted.predictions(rows_table)?;
        let (truth, scored, n_classes) = match (&self.truth, predictions) {
            (Truth::Classes(all), Predictions::Classes { codes, proba }) => {
                let global = self
                    .labels
                    .as_ref()
                    .ok_or_else(|| Error::InvalidData("classification target without labels".into()))?;
                let local = fitted
                    .classes()
                    .ok_or_else(|| Error::InvalidData("classifier without class labels".into()))?;
                let map = class_map(local, global)?;
                let codes = codes
                    .iter()
                    .map(|&c| map.get(c).copied().unwrap_or(usize::MAX))
                    .collect();
                let proba = proba.map(|p| {
                    let mut out = Array2::<f64>::zeros((p.nrows(), global.len()));
                    for (j, &g) in map.iter().enumerate() {
                        out.column_mut(g).assign(&p.column(j));
                    }
                    out
                });
                let truth: Vec<usize> = rows.iter().map(|&r| all.get(r).copied().unwrap_or(0)).collect();
                (
                    Truth::Classes(truth),
                    Scored::Classes { codes, proba },
                    global.len(),
                )
            }
            (Truth::Values(all), Predictions::Values(v)) => {
                let truth: Vec<f64> = rows
                    .iter()
                    .map(|&r| all.get(r).copied().unwrap_or(f64::NAN))
                    .collect();
                (Truth::Values(truth), Scored::Values(v.to_vec()), 0)
            }
            _ => {
                return Err(Error::InvalidData(
                    "the model's predictions do not match the target's kind".into(),
                ))
            }
        };
        self.scoring
            .iter()
            .map(|s| s.score(&truth, &scored, n_classes))
            .collect()
    }
}

/// For each class code of a fold's model, its code among the whole table's classes.
fn class_map(local: &ClassLabels, global: &ClassLabels) -> Result<Vec<usize>> {
    let index: HashMap<String, usize> = global
        .names()
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    local
        .names()
        .into_iter()
        .map(|name| {
            index.get(&name).copied().ok_or_else(|| {
                Error::InvalidData(format!(
                    "the fold's model knows class {name:?}, which the table lacks"
                ))
            })
        })
        .collect()
}

fn in_fold(index: usize, doing: &str, e: Error) -> Error {
    match e {
        Error::Cancelled => Error::Cancelled,
        Error::InvalidData(msg) => Error::InvalidData(format!("{doing} fold {index}: {msg}")),
        other => Error::InvalidData(format!("{doing} fold {index}: {other}")),
    }
}

pub(crate) fn take_rows(table: &RecordBatch, rows: &[usize]) -> Result<RecordBatch> {
    let indices = UInt64Array::from_iter_values(rows.iter().map(|&r| r as u64));
    Ok(take_record_batch(table, &indices)?)
}

/// The trainer's target kind.
pub(crate) fn pipeline_kind(pipeline: &Pipeline) -> Result<TargetKind> {
    pipeline.trainer().map(|t| t.target_kind()).ok_or_else(|| {
        Error::param(
            "trainer",
            "None",
            "cross-validation scores a model: give the pipeline a trainer",
        )
    })
}

/// Fit and score `pipeline` on every fold (in parallel), scikit-learn's
/// `cross_validate`.
///
/// Each fold fits a fresh copy of the whole pipeline on its training rows and scores it
/// on its test rows with every scorer of `options`. The call runs under the calling
/// thread's [`CancelToken`](crate::cancel::CancelToken), which reaches every fold.
///
/// # Errors
/// No trainer, an empty table, folds with no rows or rows beyond the table, a scorer
/// for the other kind of target (or listed twice), weights of the wrong length, and
/// the first failing fold's fit or scoring error, which names the fold.
pub fn cross_validate(
    pipeline: &Pipeline,
    table: &RecordBatch,
    target: &str,
    folds: &[Fold],
    options: &CvOptions,
) -> Result<CvResults> {
    let kind = pipeline_kind(pipeline)?;
    let prepared = Prepared::new(kind, table, target, folds, options)?;
    let token = crate::cancel::current();
    let results: Vec<Result<FoldScores>> = (0..prepared.folds.len())
        .into_par_iter()
        .map(|i| match &token {
            Some(t) => crate::cancel::with_token(t, || prepared.run_fold(pipeline, i)),
            None => prepared.run_fold(pipeline, i),
        })
        .collect();
    let folds = results.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(CvResults {
        scoring: prepared.scoring.clone(),
        folds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scorer_names_round_trip() {
        for s in Scorer::ALL {
            assert_eq!(Scorer::parse(s.name()).unwrap(), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Scorer>(&json).unwrap(), s);
        }
        assert!(Scorer::parse("accuracy_score").is_err());
    }

    #[test]
    fn std_is_population() {
        assert_eq!(std(&[1.0, 3.0]), Some(1.0));
        assert_eq!(mean(&[]), None);
    }
}
