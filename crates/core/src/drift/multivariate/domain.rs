//! The domain classifier ([`DomainClassifier`]): how well a classifier tells reference
//! rows from current rows.

use std::collections::HashMap;

use arrow::array::Array;
use arrow::record_batch::RecordBatch;
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use super::{is_feature, select_columns};
use crate::data::table::{array_f64_values, column, is_string, str_values};
use crate::data::{ClassLabels, Dataset, Target};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::train::{Predictions, RandomForestClassifier, Trainer};
use crate::validate::metrics::roc_auc;
use crate::validate::split::StratifiedKFold;

/// Multivariate drift by a domain classifier: reference rows are labelled 0, current
/// rows 1, a classifier is cross-validated on them, and the ROC AUC of its out-of-fold
/// probabilities is the drift score.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `columns` | `[]` (every numeric, boolean or string column of the reference) | features | numeric, boolean or string; present in both tables |
/// | `classifier` | [`RandomForestClassifier`] (100 trees, seed 0) | any [`Trainer`] of classes that gives probabilities | |
/// | `n_splits` | `5` | cross-validation folds (stratified) | `>= 2`, at most the rows of either side |
/// | `shuffle` | `true` | shuffle the fold assignment (else scikit-learn's unshuffled `StratifiedKFold`) | |
/// | `threshold` | `0.55` | drifted when `auc >= threshold` | `(0.5, 1]` |
/// | `max_rows_per_side` | `5000` | rows drawn from each table at most (`None`: all) | `>= n_splits` |
/// | `max_imbalance` | `3.0` | the larger side is cut to at most this many times the smaller (`None`: no cut) | `>= 1` |
/// | `max_categories` | `20` | one-hot columns per string column; rarer categories share one column | `>= 1` |
/// | `seed` | `0` | seeds the row sampling and the fold shuffle | any |
///
/// Features: numeric and boolean columns are standardised with the pooled mean and
/// standard deviation of both tables, a missing value (null or NaN) replaced by the
/// pooled mean and flagged in an extra `<column>__missing` indicator column (so a change
/// in the missing rate is visible); string columns are one-hot encoded over their most
/// frequent pooled categories, null being a category of its own. None of this looks at
/// the labels, so it leaks nothing into the folds.
///
/// The default classifier is the random forest rather than a logistic regression
/// because drift that matters often lies in interactions (a correlation that changes
/// sign, a cluster that moves) that no linear boundary separates; the forest needs no
/// scaling and handles one-hot columns as they are. Pass a
/// [`LogisticRegression`](crate::train::LogisticRegression) for a faster, linear score.
///
/// Sampling: each table is cut to `max_rows_per_side` rows, then the larger one to
/// `max_imbalance` times the smaller, by a uniform sample without replacement (rows
/// keep their order). AUC does not depend on the class balance, but a classifier
/// trained on 100 current rows against 100,000 reference rows learns little; the cap
/// also bounds the time.
///
/// The result is deterministic given `seed` and the classifier's own seed.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::Float64Array;
/// use arrow::record_batch::RecordBatch;
/// use ferrops::drift::multivariate::DomainClassifier;
/// use ferrops::train::RandomForestClassifier;
/// # fn main() -> ferrops::Result<()> {
/// let table = |shift: f64| {
///     let x: Vec<f64> = (0..200).map(|i| (i * 37 % 101) as f64 / 10.0 + shift).collect();
///     RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(x)) as _)])
/// };
/// let detector = DomainClassifier {
///     classifier: Box::new(RandomForestClassifier { n_estimators: 20, ..Default::default() }),
///     ..Default::default()
/// };
/// let result = detector.run(&table(0.0)?, &table(20.0)?)?;
/// assert!(result.drifted && result.auc > 0.99);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DomainClassifier {
    /// The feature columns (empty: every numeric, boolean or string column of the reference).
    pub columns: Vec<String>,
    /// The classifier.
    pub classifier: Box<dyn Trainer>,
    /// Number of cross-validation folds.
    pub n_splits: usize,
    /// Shuffle the fold assignment.
    pub shuffle: bool,
    /// Drifted when the AUC is at least this.
    pub threshold: f64,
    /// Rows drawn from each table at most.
    pub max_rows_per_side: Option<usize>,
    /// Largest allowed ratio of the larger side to the smaller.
    pub max_imbalance: Option<f64>,
    /// One-hot columns per string column.
    pub max_categories: usize,
    /// Seed of the row sampling and the fold shuffle.
    pub seed: u64,
}

impl Default for DomainClassifier {
    fn default() -> Self {
        DomainClassifier {
            columns: Vec::new(),
            classifier: Box::new(RandomForestClassifier::default()),
            n_splits: 5,
            shuffle: true,
            threshold: 0.55,
            max_rows_per_side: Some(5000),
            max_imbalance: Some(3.0),
            max_categories: 20,
            seed: 0,
        }
    }
}

/// What a [`DomainClassifier`] finds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainClassifierResult {
    /// ROC AUC of the out-of-fold probabilities of "current" (0.5: no drift).
    pub auc: f64,
    /// The threshold.
    pub threshold: f64,
    /// Whether `auc >= threshold`.
    pub drifted: bool,
    /// ROC AUC within each fold's test rows.
    pub fold_aucs: Vec<f64>,
    /// The standard deviation of the AUC of two indistinguishable samples of these sizes,
    /// `sqrt((n₀ + n₁ + 1) / (12 n₀ n₁))` (the Mann-Whitney statistic under the null
    /// hypothesis): an AUC only one or two of these above 0.5 may be chance.
    pub null_std: f64,
    /// Reference rows used (after sampling).
    pub n_reference: usize,
    /// Current rows used (after sampling).
    pub n_current: usize,
    /// Rows of the reference table.
    pub n_reference_total: usize,
    /// Rows of the current table.
    pub n_current_total: usize,
    /// The input columns.
    pub columns: Vec<String>,
    /// The encoded features the classifier saw.
    pub features: Vec<String>,
}

const WHAT: &str = "DomainClassifier";

impl DomainClassifier {
    fn check(&self) -> Result<()> {
        StratifiedKFold::new(self.n_splits).check()?;
        if !(self.threshold > 0.5 && self.threshold <= 1.0) {
            return Err(Error::param(
                "threshold",
                self.threshold,
                "must be in (0.5, 1]: an AUC of 0.5 is what indistinguishable tables give (default 0.55)",
            ));
        }
        if let Some(cap) = self.max_rows_per_side {
            if cap < self.n_splits {
                return Err(Error::param(
                    "max_rows_per_side",
                    cap,
                    format!("must be at least n_splits ({})", self.n_splits),
                ));
            }
        }
        if let Some(ratio) = self.max_imbalance {
            if !(ratio.is_finite() && ratio >= 1.0) {
                return Err(Error::param(
                    "max_imbalance",
                    ratio,
                    "must be a finite number >= 1, or None for no cut",
                ));
            }
        }
        if self.max_categories == 0 {
            return Err(Error::param("max_categories", 0, "must be at least 1"));
        }
        if self.classifier.target_kind() != crate::data::TargetKind::Classification {
            return Err(Error::param(
                "classifier",
                format!("{:?}", self.classifier),
                "must be a classifier (RandomForestClassifier, LogisticRegression, ...)",
            ));
        }
        Ok(())
    }

    /// Cross-validate the classifier on `reference` (label 0) against `current` (label 1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for parameters out of range or a classifier that is not
    /// one; [`Error::EmptyInput`] for a table with fewer rows than folds or no usable
    /// column; [`Error::ColumnNotFound`] / [`Error::ColumnType`] for a column missing from
    /// either table or of an unusable type (or of different kinds in the two tables);
    /// [`Error::InvalidData`] for a numeric column with no value in either table or a
    /// classifier that gives no probabilities; [`Error::InvalidValue`] for an infinite
    /// value; the classifier's own errors.
    pub fn run(&self, reference: &RecordBatch, current: &RecordBatch) -> Result<DomainClassifierResult> {
        self.check()?;
        let (n_ref_total, n_cur_total) = (reference.num_rows(), current.num_rows());
        for (side, n) in [("reference", n_ref_total), ("current", n_cur_total)] {
            if n < self.n_splits {
                return Err(Error::EmptyInput {
                    context: format!(
                        "{WHAT}: the {side} table has {n} rows but {} folds need at least {} rows on each side; pass more rows or lower n_splits",
                        self.n_splits, self.n_splits
                    ),
                });
            }
        }
        let columns = select_columns(
            reference,
            &self.columns,
            is_feature,
            "a numeric, boolean or string column",
            WHAT,
        )?;
        let (ref_rows, cur_rows) = self.sample(n_ref_total, n_cur_total);
        let (x, features) = self.encode(&columns, reference, &ref_rows, current, &cur_rows)?;
        let (n_ref, n_cur) = (ref_rows.len(), cur_rows.len());
        let codes: Vec<usize> = std::iter::repeat_n(0, n_ref)
            .chain(std::iter::repeat_n(1, n_cur))
            .collect();
        let splitter = StratifiedKFold {
            n_splits: self.n_splits,
            shuffle: self.shuffle,
            seed: self.seed,
        };
        let folds = splitter.folds(&codes)?;
        let mut scores = vec![f64::NAN; codes.len()];
        let mut fold_aucs = Vec::with_capacity(folds.len());
        for fold in &folds {
            crate::cancel::check()?;
            let train = Dataset {
                x: x.select(Axis(0), &fold.train),
                target: Target::Classes {
                    codes: fold
                        .train
                        .iter()
                        .map(|&r| codes.get(r).copied().unwrap_or(0))
                        .collect(),
                    labels: ClassLabels::Int(vec![0, 1]),
                },
                weights: None,
                feature_names: features.clone(),
            };
            let model = self.classifier.fit(&train)?;
            let test_x = x.select(Axis(0), &fold.test);
            let proba = match model.predict(test_x.view())? {
                Predictions::Classes { proba: Some(p), .. } if p.ncols() == 2 => p,
                _ => {
                    return Err(Error::InvalidData(format!(
                        "{WHAT}: the classifier {:?} gives no class probabilities; use one that does (RandomForestClassifier, LogisticRegression)",
                        self.classifier
                    )))
                }
            };
            let fold_true: Vec<bool> = fold.test.iter().map(|&r| codes.get(r) == Some(&1)).collect();
            let fold_scores: Vec<f64> = proba.column(1).to_vec();
            fold_aucs.push(roc_auc(&fold_true, &fold_scores, None)?);
            for (&row, &s) in fold.test.iter().zip(&fold_scores) {
                if let Some(slot) = scores.get_mut(row) {
                    *slot = s;
                }
            }
        }
        let y_true: Vec<bool> = codes.iter().map(|&c| c == 1).collect();
        let auc = roc_auc(&y_true, &scores, None)?;
        Ok(DomainClassifierResult {
            auc,
            threshold: self.threshold,
            drifted: auc >= self.threshold,
            fold_aucs,
            null_std: ((n_ref + n_cur + 1) as f64 / (12.0 * n_ref as f64 * n_cur as f64)).sqrt(),
            n_reference: n_ref,
            n_current: n_cur,
            n_reference_total: n_ref_total,
            n_current_total: n_cur_total,
            columns,
            features,
        })
    }

    /// The rows drawn from each side (sorted), after the caps.
    fn sample(&self, n_ref: usize, n_cur: usize) -> (Vec<usize>, Vec<usize>) {
        let cap = self.max_rows_per_side.unwrap_or(usize::MAX);
        let (mut keep_ref, mut keep_cur) = (n_ref.min(cap), n_cur.min(cap));
        if let Some(ratio) = self.max_imbalance {
            let limit = |small: usize| ((small as f64 * ratio).ceil() as usize).max(small);
            if keep_ref > keep_cur {
                keep_ref = keep_ref.min(limit(keep_cur));
            } else {
                keep_cur = keep_cur.min(limit(keep_ref));
            }
        }
        (
            draw(n_ref, keep_ref, self.seed, 0),
            draw(n_cur, keep_cur, self.seed, 1),
        )
    }

    /// The feature matrix of the sampled reference rows then the sampled current rows.
    fn encode(
        &self,
        columns: &[String],
        reference: &RecordBatch,
        ref_rows: &[usize],
        current: &RecordBatch,
        cur_rows: &[usize],
    ) -> Result<(Array2<f64>, Vec<String>)> {
        let n = ref_rows.len() + cur_rows.len();
        let mut blocks: Vec<Array1<f64>> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for name in columns {
            let (a, b) = (column(reference, name)?, column(current, name)?);
            if is_string(a.data_type()) {
                let (sa, sb) = (str_values(name, a)?, str_values(name, b)?);
                let values: Vec<Option<&str>> = ref_rows
                    .iter()
                    .map(|&r| sa.get(r))
                    .chain(cur_rows.iter().map(|&r| sb.get(r)))
                    .collect();
                let mut counts: HashMap<Option<&str>, usize> = HashMap::new();
                for v in &values {
                    *counts.entry(*v).or_default() += 1;
                }
                let mut ranked: Vec<(Option<&str>, usize)> = counts.into_iter().collect();
                ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let kept = ranked.len().min(self.max_categories);
                let (top, rest) = ranked.split_at(kept);
                let index: HashMap<Option<&str>, usize> =
                    top.iter().enumerate().map(|(i, (v, _))| (*v, i)).collect();
                let width = kept + usize::from(!rest.is_empty());
                let mut onehot = vec![Array1::<f64>::zeros(n); width];
                for (row, v) in values.iter().enumerate() {
                    let j = index.get(v).copied().unwrap_or(kept);
                    if let Some(slot) = onehot.get_mut(j).and_then(|c| c.get_mut(row)) {
                        *slot = 1.0;
                    }
                }
                for (v, _) in top {
                    names.push(match v {
                        Some(s) => format!("{name}={s}"),
                        None => format!("{name}=<null>"),
                    });
                }
                if !rest.is_empty() {
                    names.push(format!("{name}=<other>"));
                }
                blocks.extend(onehot);
            } else {
                if is_string(b.data_type()) {
                    return Err(Error::column_type(
                        name,
                        format!(
                            "a numeric or boolean column in the current table, as in the reference ({})",
                            a.data_type()
                        ),
                        b.data_type(),
                    ));
                }
                let (va, vb) = (array_f64_values(name, a)?, array_f64_values(name, b)?);
                let mut values: Vec<f64> = ref_rows
                    .iter()
                    .map(|&r| va.get(r).copied().unwrap_or(f64::NAN))
                    .chain(cur_rows.iter().map(|&r| vb.get(r).copied().unwrap_or(f64::NAN)))
                    .collect();
                if let Some(pos) = values.iter().position(|v| v.is_infinite()) {
                    let (table, row) = if pos < ref_rows.len() {
                        ("reference", ref_rows.get(pos))
                    } else {
                        ("current", cur_rows.get(pos - ref_rows.len()))
                    };
                    return Err(Error::InvalidValue {
                        column: name.clone(),
                        row: row.copied().unwrap_or(pos),
                        value: values.get(pos).map_or(String::new(), |v| v.to_string()),
                        hint: format!(
                            "the {table} table has an infinite value; filter or clip it first (null and NaN are imputed)"
                        ),
                    });
                }
                let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
                if present.is_empty() {
                    return Err(Error::InvalidData(format!(
                        "{WHAT}: column `{name}` has no value in either table (all null or NaN); drop it from `columns`"
                    )));
                }
                let fill = present.iter().sum::<f64>() / present.len() as f64;
                let missing: Option<Array1<f64>> = (present.len() < n).then(|| {
                    values
                        .iter()
                        .map(|v| if v.is_nan() { 1.0 } else { 0.0 })
                        .collect()
                });
                values.iter_mut().filter(|v| v.is_nan()).for_each(|v| *v = fill);
                let mean = values.iter().sum::<f64>() / n as f64;
                let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
                let sd = if sd > 0.0 { sd } else { 1.0 };
                blocks.push(values.iter().map(|v| (v - mean) / sd).collect());
                names.push(name.clone());
                if let Some(m) = missing {
                    blocks.push(m);
                    names.push(format!("{name}__missing"));
                }
            }
        }
        let mut x = Array2::<f64>::zeros((n, blocks.len()));
        for (mut col, block) in x.columns_mut().into_iter().zip(&blocks) {
            col.assign(block);
        }
        Ok((x, names))
    }
}

/// `keep` of `0..n` rows drawn uniformly without replacement (all rows when `keep >= n`),
/// sorted.
fn draw(n: usize, keep: usize, seed: u64, side: u64) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    if keep >= n {
        return rows;
    }
    let mut rng = SplitMix64::stream(seed, side);
    // Partial Fisher-Yates: the first `keep` positions are a uniform sample.
    for i in 0..keep {
        let j = i + rng.index(n - i);
        rows.swap(i, j);
    }
    rows.truncate(keep);
    rows.sort_unstable();
    rows
}
