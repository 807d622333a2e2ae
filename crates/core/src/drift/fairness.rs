//! Bias metrics of a binary classifier's decisions across the groups of a sensitive
//! attribute, with fairlearn's (0.15) definitions.
//!
//! | here | fairlearn |
//! |---|---|
//! | [`GroupRates::selection_rate`] | `selection_rate` per group (`MetricFrame.by_group`) |
//! | [`GroupRates::true_positive_rate`], [`GroupRates::false_positive_rate`] | `true_positive_rate`, `false_positive_rate` per group |
//! | [`FairnessReport::demographic_parity_difference`] | `demographic_parity_difference` (max − min selection rate) |
//! | [`FairnessReport::demographic_parity_ratio`] | `demographic_parity_ratio` (min / max selection rate): the disparate impact ratio |
//! | [`FairnessReport::equal_opportunity_difference`], [`FairnessReport::equal_opportunity_ratio`] | `equal_opportunity_difference`, `equal_opportunity_ratio` (TPR) |
//! | [`FairnessReport::equalized_odds_difference`], [`FairnessReport::equalized_odds_ratio`] | `equalized_odds_difference`, `equalized_odds_ratio` (`agg="worst_case"`) |
//!
//! Every metric is fairlearn's default `method="between_groups"`. Sample weights enter
//! as in fairlearn: each rate is a ratio of weighted sums. With a reference (privileged)
//! group, every group's selection rate is also compared with the reference's
//! ([`GroupRates::ratio_to_reference`]), and
//! [`FairnessReport::disparate_impact_vs_reference`] is the smallest of those ratios
//! (the "four-fifths rule" compares it with 0.8).
//!
//! # Where this differs from fairlearn
//!
//! - A group without positive samples has no true positive rate (and one without
//!   negatives no false positive rate). fairlearn 0.15 reports 0.0 for it, without a
//!   warning (through `sklearn.metrics.confusion_matrix(normalize="true")`), which makes
//!   the equal opportunity difference at least the largest TPR of the other groups.
//!   Here the rate is `None` (NaN in Python), the group is listed in
//!   [`FairnessReport::groups_without_positives`], and the TPR-based metrics are taken
//!   over the groups that have the rate, as pandas' `max`/`min` skip NaN.
//! - A metric that compares fewer than two groups with a defined rate is `None`
//!   (fairlearn returns a difference of 0 and a ratio of 1 for a single group), and a
//!   ratio whose largest rate is 0 is `None` (fairlearn: NaN).
//! - Input with a single group is an error: there is nothing to compare.
//!
//! ```
//! use ferrops::drift::fairness::{fairness, FairnessOptions};
//! # fn main() -> ferrops::Result<()> {
//! let y_true = [true, false, true, false, true, false, true, false];
//! let y_pred = [true, true, true, false, false, false, true, false];
//! let group = ["a", "a", "a", "a", "b", "b", "b", "b"];
//! let report = fairness(&y_true, &y_pred, &group, &FairnessOptions::default())?;
//! assert_eq!(report.groups[0].selection_rate, 0.75);
//! assert_eq!(report.groups[1].selection_rate, 0.25);
//! assert_eq!(report.demographic_parity_difference, 0.5);
//! assert_eq!(report.equal_opportunity_difference, Some(0.5));
//! # Ok(()) }
//! ```
#![warn(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray, UInt64Array};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Float64Type};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::data::table::{is_bool, is_numeric, is_string, str_values};
use crate::data::Value;
use crate::error::{Error, Result};

/// What [`fairness`] computes besides the per-group rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FairnessOptions {
    /// The reference (privileged) group: every group's selection rate is also divided
    /// by this group's ([`GroupRates::ratio_to_reference`]).
    pub reference_group: Option<String>,
    /// One non-negative weight per sample (fairlearn's `sample_weight`).
    pub sample_weight: Option<Vec<f64>>,
}

impl FairnessOptions {
    /// Compare every group with `group`.
    pub fn reference(mut self, group: impl Into<String>) -> Self {
        self.reference_group = Some(group.into());
        self
    }

    /// Weight the samples.
    pub fn weights(mut self, weights: Vec<f64>) -> Self {
        self.sample_weight = Some(weights);
        self
    }
}

/// The rates of one group (or of all samples, [`FairnessReport::overall`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRates {
    /// The group label (as text).
    pub group: String,
    /// Number of samples.
    pub count: u64,
    /// Total sample weight (`count` without weights).
    pub weight: f64,
    /// (Weighted) samples whose true label is positive.
    pub positives: f64,
    /// (Weighted) samples whose true label is negative.
    pub negatives: f64,
    /// (Weighted) samples predicted positive.
    pub predicted_positives: f64,
    /// Share predicted positive, `P(ŷ = 1 | group)`.
    pub selection_rate: f64,
    /// `P(ŷ = 1 | y = 1, group)`; `None` when the group has no positive sample.
    pub true_positive_rate: Option<f64>,
    /// `P(ŷ = 1 | y = 0, group)`; `None` when the group has no negative sample.
    pub false_positive_rate: Option<f64>,
    /// `selection_rate / selection_rate(reference)`; `None` without a reference group
    /// or when the reference's selection rate is 0.
    pub ratio_to_reference: Option<f64>,
    /// `selection_rate − selection_rate(reference)`; `None` without a reference group.
    pub difference_to_reference: Option<f64>,
}

/// Per-group rates and the fairness metrics across groups; see the [module](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    /// One row per group, sorted by group label.
    pub groups: Vec<GroupRates>,
    /// The rates over all samples (group `"overall"`).
    pub overall: GroupRates,
    /// Largest minus smallest selection rate.
    pub demographic_parity_difference: f64,
    /// Smallest over largest selection rate (the disparate impact ratio); `None` when no
    /// group is ever selected.
    pub demographic_parity_ratio: Option<f64>,
    /// Largest minus smallest true positive rate over the groups that have one.
    pub equal_opportunity_difference: Option<f64>,
    /// Smallest over largest true positive rate.
    pub equal_opportunity_ratio: Option<f64>,
    /// The larger of the true and false positive rate differences.
    pub equalized_odds_difference: Option<f64>,
    /// The smaller of the true and false positive rate ratios.
    pub equalized_odds_ratio: Option<f64>,
    /// The reference group, if one was given.
    pub reference_group: Option<String>,
    /// Smallest selection-rate ratio of another group to the reference group.
    pub disparate_impact_vs_reference: Option<f64>,
    /// Groups without a positive sample (no true positive rate).
    pub groups_without_positives: Vec<String>,
    /// Groups without a negative sample (no false positive rate).
    pub groups_without_negatives: Vec<String>,
    /// Whether sample weights were given.
    pub weighted: bool,
}

impl FairnessReport {
    /// The disparate impact ratio: smallest over largest selection rate, that is
    /// [`demographic_parity_ratio`](FairnessReport::demographic_parity_ratio).
    pub fn disparate_impact_ratio(&self) -> Option<f64> {
        self.demographic_parity_ratio
    }

    /// The rates of `group`, if it occurs.
    pub fn group(&self, group: &str) -> Option<&GroupRates> {
        self.groups.iter().find(|g| g.group == group)
    }

    /// One row per group: `group`, `count`, `weight`, `positives`, `negatives`,
    /// `predicted_positives`, `selection_rate`, `true_positive_rate`,
    /// `false_positive_rate`, `ratio_to_reference`, `difference_to_reference` (rates
    /// that are undefined are null).
    ///
    /// # Errors
    /// Only an Arrow layout error, which does not occur for a report built here.
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let floats = |f: fn(&GroupRates) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from(self.groups.iter().map(f).collect::<Vec<_>>()))
        };
        let optional = |f: fn(&GroupRates) -> Option<f64>| -> ArrayRef {
            Arc::new(self.groups.iter().map(f).collect::<Float64Array>())
        };
        let groups: ArrayRef = Arc::new(StringArray::from_iter_values(
            self.groups.iter().map(|g| &g.group),
        ));
        let counts: ArrayRef = Arc::new(UInt64Array::from_iter_values(self.groups.iter().map(|g| g.count)));
        Ok(RecordBatch::try_from_iter([
            ("group", groups),
            ("count", counts),
            ("weight", floats(|g| g.weight)),
            ("positives", floats(|g| g.positives)),
            ("negatives", floats(|g| g.negatives)),
            ("predicted_positives", floats(|g| g.predicted_positives)),
            ("selection_rate", floats(|g| g.selection_rate)),
            ("true_positive_rate", optional(|g| g.true_positive_rate)),
            ("false_positive_rate", optional(|g| g.false_positive_rate)),
            ("ratio_to_reference", optional(|g| g.ratio_to_reference)),
            ("difference_to_reference", optional(|g| g.difference_to_reference)),
        ])?)
    }

    /// The report as JSON (undefined rates are `null`).
    ///
    /// # Errors
    /// [`Error::Serialization`], which does not occur for a report built here.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Read a report written by [`to_json`](FairnessReport::to_json).
    ///
    /// # Errors
    /// [`Error::Serialization`] for text that is not such a report.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// A self-contained HTML table of the report (Jupyter's `_repr_html_`).
    pub fn to_html(&self) -> String {
        let rate = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.4}"));
        let mut html = String::from(
            "<div class=\"ferrops-fairness\"><table><thead><tr><th>metric</th><th>value</th></tr></thead><tbody>",
        );
        let mut metric = |name: &str, value: Option<f64>| {
            let _ = write!(html, "<tr><td>{}</td><td>{}</td></tr>", escape(name), rate(value));
        };
        metric(
            "demographic parity difference",
            Some(self.demographic_parity_difference),
        );
        metric(
            "demographic parity ratio (disparate impact)",
            self.demographic_parity_ratio,
        );
        metric("equal opportunity difference", self.equal_opportunity_difference);
        metric("equal opportunity ratio", self.equal_opportunity_ratio);
        metric("equalized odds difference", self.equalized_odds_difference);
        metric("equalized odds ratio", self.equalized_odds_ratio);
        if let Some(reference) = &self.reference_group {
            metric(
                &format!("disparate impact vs. {reference:?}"),
                self.disparate_impact_vs_reference,
            );
        }
        html.push_str("</tbody></table><table><thead><tr><th>group</th><th>count</th>");
        if self.weighted {
            html.push_str("<th>weight</th>");
        }
        html.push_str("<th>selection rate</th><th>TPR</th><th>FPR</th>");
        if self.reference_group.is_some() {
            html.push_str("<th>ratio to reference</th>");
        }
        html.push_str("</tr></thead><tbody>");
        for g in self.groups.iter().chain(std::iter::once(&self.overall)) {
            let _ = write!(html, "<tr><td>{}</td><td>{}</td>", escape(&g.group), g.count);
            if self.weighted {
                let _ = write!(html, "<td>{:.4}</td>", g.weight);
            }
            let _ = write!(
                html,
                "<td>{}</td><td>{}</td><td>{}</td>",
                rate(Some(g.selection_rate)),
                rate(g.true_positive_rate),
                rate(g.false_positive_rate)
            );
            if self.reference_group.is_some() {
                let _ = write!(html, "<td>{}</td>", rate(g.ratio_to_reference));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table></div>");
        html
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------
// Computation
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    count: u64,
    weight: f64,
    positives: f64,
    negatives: f64,
    selected: f64,
    true_positives: f64,
    false_positives: f64,
}

impl Sums {
    fn add(&mut self, truth: bool, predicted: bool, w: f64) {
        self.count += 1;
        self.weight += w;
        if truth {
            self.positives += w;
        } else {
            self.negatives += w;
        }
        if predicted {
            self.selected += w;
            if truth {
                self.true_positives += w;
            } else {
                self.false_positives += w;
            }
        }
    }

    fn rates(&self, group: String) -> GroupRates {
        let ratio = |num: f64, den: f64| (den > 0.0).then(|| num / den);
        GroupRates {
            group,
            count: self.count,
            weight: self.weight,
            positives: self.positives,
            negatives: self.negatives,
            predicted_positives: self.selected,
            selection_rate: self.selected / self.weight,
            true_positive_rate: ratio(self.true_positives, self.positives),
            false_positive_rate: ratio(self.false_positives, self.negatives),
            ratio_to_reference: None,
            difference_to_reference: None,
        }
    }
}

/// Largest minus smallest, and smallest over largest, of the defined values; `None`
/// with fewer than two of them (and the ratio also when the largest is 0).
fn spread(values: impl Iterator<Item = Option<f64>>) -> (Option<f64>, Option<f64>) {
    let defined: Vec<f64> = values.flatten().collect();
    if defined.len() < 2 {
        return (None, None);
    }
    let max = defined.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = defined.iter().copied().fold(f64::INFINITY, f64::min);
    let ratio = (max > 0.0).then(|| min / max);
    (Some(max - min), ratio)
}

fn check_weights(weights: &[f64], n: usize) -> Result<()> {
    if weights.len() != n {
        return Err(Error::InvalidData(format!(
            "fairness: `sample_weight` has {} values for {n} samples; pass one weight per sample",
            weights.len()
        )));
    }
    if let Some((row, w)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        return Err(Error::InvalidValue {
            column: "sample_weight".into(),
            row,
            value: w.to_string(),
            hint: "fairness: sample weights must be finite and >= 0".into(),
        });
    }
    Ok(())
}

/// Per-group rates and fairness metrics of binary decisions `y_pred` against the truth
/// `y_true` (`true` = the positive, favourable outcome), across `groups`, one group
/// label per sample.
///
/// # Errors
/// [`Error::EmptyInput`] for no samples; [`Error::InvalidData`] when the lengths differ,
/// when there is a single group, or when a group's total weight is 0;
/// [`Error::InvalidValue`] for a negative or non-finite weight;
/// [`Error::InvalidParameter`] for a reference group that does not occur.
pub fn fairness<S: AsRef<str>>(
    y_true: &[bool],
    y_pred: &[bool],
    groups: &[S],
    options: &FairnessOptions,
) -> Result<FairnessReport> {
    let n = y_true.len();
    if n == 0 {
        return Err(Error::EmptyInput {
            context: "fairness: `y_true` has no values; pass at least one sample per group".into(),
        });
    }
    for (name, len) in [("y_pred", y_pred.len()), ("sensitive_features", groups.len())] {
        if len != n {
            return Err(Error::InvalidData(format!(
                "fairness: `y_true` has {n} values but `{name}` has {len}; pass one value per sample"
            )));
        }
    }
    let weights = options.sample_weight.as_deref();
    if let Some(w) = weights {
        check_weights(w, n)?;
    }
    let mut by_group: BTreeMap<&str, Sums> = BTreeMap::new();
    let mut overall = Sums::default();
    for (i, ((&t, &p), g)) in y_true.iter().zip(y_pred).zip(groups).enumerate() {
        let w = weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
        by_group.entry(g.as_ref()).or_default().add(t, p, w);
        overall.add(t, p, w);
    }
    if by_group.len() < 2 {
        let only = by_group.keys().next().copied().unwrap_or_default();
        return Err(Error::InvalidData(format!(
            "fairness: every sample is in group {only:?}; the metrics compare groups, so pass \
             samples of at least two groups of the sensitive attribute"
        )));
    }
    if let Some((group, _)) = by_group.iter().find(|(_, s)| s.weight <= 0.0) {
        return Err(Error::InvalidData(format!(
            "fairness: the samples of group {group:?} all have weight 0, so its rates are undefined; \
             give them a positive weight or leave the group out"
        )));
    }
    let mut rates: Vec<GroupRates> = by_group.iter().map(|(g, s)| s.rates((*g).to_string())).collect();
    let mut disparate_impact_vs_reference = None;
    if let Some(reference) = &options.reference_group {
        let Some(base) = rates
            .iter()
            .find(|r| &r.group == reference)
            .map(|r| r.selection_rate)
        else {
            let known: Vec<&str> = by_group.keys().copied().collect();
            return Err(Error::param(
                "reference_group",
                format!("{reference:?}"),
                format!("is not one of the groups {known:?}"),
            ));
        };
        for r in &mut rates {
            r.ratio_to_reference = (base > 0.0).then(|| r.selection_rate / base);
            r.difference_to_reference = Some(r.selection_rate - base);
        }
        disparate_impact_vs_reference = rates
            .iter()
            .filter(|r| &r.group != reference)
            .filter_map(|r| r.ratio_to_reference)
            .reduce(f64::min);
    }
    let (dp_diff, dp_ratio) = spread(rates.iter().map(|r| Some(r.selection_rate)));
    let (tpr_diff, tpr_ratio) = spread(rates.iter().map(|r| r.true_positive_rate));
    let (fpr_diff, fpr_ratio) = spread(rates.iter().map(|r| r.false_positive_rate));
    let both = |a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64| a.zip(b).map(|(a, b)| f(a, b));
    Ok(FairnessReport {
        demographic_parity_difference: dp_diff.unwrap_or(0.0),
        demographic_parity_ratio: dp_ratio,
        equal_opportunity_difference: tpr_diff,
        equal_opportunity_ratio: tpr_ratio,
        equalized_odds_difference: both(tpr_diff, fpr_diff, f64::max),
        equalized_odds_ratio: both(tpr_ratio, fpr_ratio, f64::min),
        reference_group: options.reference_group.clone(),
        disparate_impact_vs_reference,
        groups_without_positives: rates
            .iter()
            .filter(|r| r.true_positive_rate.is_none())
            .map(|r| r.group.clone())
            .collect(),
        groups_without_negatives: rates
            .iter()
            .filter(|r| r.false_positive_rate.is_none())
            .map(|r| r.group.clone())
            .collect(),
        overall: overall.rates("overall".into()),
        groups: rates,
        weighted: weights.is_some(),
    })
}

// ---------------------------------------------------------------------------------------
// Labels of any type
// ---------------------------------------------------------------------------------------

/// The labels of one array, in one of three kinds.
enum Labels {
    Bool(Vec<bool>),
    Num(Vec<f64>),
    Str(Vec<String>),
}

impl Labels {
    fn kind(&self) -> &'static str {
        match self {
            Labels::Bool(_) => "booleans",
            Labels::Num(_) => "numbers",
            Labels::Str(_) => "strings",
        }
    }
}

fn null_error(name: &str, array: &dyn Array, hint: &str) -> Result<()> {
    match (0..array.len()).find(|&i| array.is_null(i)) {
        None => Ok(()),
        Some(row) => Err(Error::InvalidValue {
            column: name.to_string(),
            row,
            value: "null".into(),
            hint: hint.to_string(),
        }),
    }
}

fn labels_of(name: &str, array: &ArrayRef) -> Result<Labels> {
    null_error(
        name,
        array.as_ref(),
        "fairness metrics need a label for every sample: drop or fill the missing ones first",
    )?;
    let dt = array.data_type();
    if is_bool(dt) {
        return Ok(Labels::Bool(
            array.as_boolean().iter().map(|b| b.unwrap_or(false)).collect(),
        ));
    }
    if is_numeric(dt) {
        let floats = cast_with_options(array, &DataType::Float64, &CastOptions::default())?;
        let values = floats.as_primitive::<Float64Type>().values().to_vec();
        if let Some((row, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::InvalidValue {
                column: name.to_string(),
                row,
                value: v.to_string(),
                hint: "fairness metrics need class labels, not NaN: drop or fill the missing ones first"
                    .into(),
            });
        }
        return Ok(Labels::Num(values));
    }
    let text = as_text(name, array)?;
    let strings = str_values(name, &text)?;
    Ok(Labels::Str(
        strings
            .iter()
            .map(|s| s.unwrap_or_default().to_string())
            .collect(),
    ))
}

/// A string (or dictionary-of-strings) array as a string array.
fn as_text(name: &str, array: &ArrayRef) -> Result<ArrayRef> {
    let dt = array.data_type();
    if is_string(dt) {
        return Ok(array.clone());
    }
    match dt {
        DataType::Dictionary(_, value) if is_string(value) => Ok(cast_with_options(
            array,
            &DataType::Utf8,
            &CastOptions::default(),
        )?),
        other => Err(Error::column_type(
            name,
            "boolean, integer or string labels",
            other,
        )),
    }
}

/// scikit-learn's and fairlearn's `pos_label=None`: `true` for booleans, 1 for numbers in
/// {0, 1} or {-1, 1}.
fn inferred_positive(truth: &Labels, distinct: &[String]) -> Result<Value> {
    match truth {
        Labels::Bool(_) => Ok(Value::Bool(true)),
        Labels::Num(_)
            if distinct.iter().all(|d| d == "0" || d == "1")
                || distinct.iter().all(|d| d == "-1" || d == "1") =>
        {
            Ok(Value::Int(1))
        }
        _ => Err(Error::param(
            "pos_label",
            "None",
            format!(
                "the labels are {distinct:?}, not {{0, 1}} or {{-1, 1}}: say which label is the positive \
                 (favourable) outcome"
            ),
        )),
    }
}

/// Distinct labels of both arrays, as text, sorted.
fn distinct_labels(a: &Labels, b: &Labels) -> Vec<String> {
    let mut set = BTreeSet::new();
    for labels in [a, b] {
        match labels {
            Labels::Bool(v) => set.extend(v.iter().map(ToString::to_string)),
            Labels::Num(v) => set.extend(v.iter().map(ToString::to_string)),
            Labels::Str(v) => set.extend(v.iter().cloned()),
        }
    }
    set.into_iter().collect()
}

fn is_positive(labels: &Labels, positive: &Value) -> Result<Vec<bool>> {
    let mismatch = || {
        Error::param(
            "pos_label",
            format!("{positive:?}"),
            format!("cannot be compared with labels that are {}", labels.kind()),
        )
    };
    Ok(match labels {
        Labels::Bool(v) => {
            let p = match positive {
                Value::Bool(b) => *b,
                Value::Int(1) => true,
                Value::Int(0) => false,
                _ => return Err(mismatch()),
            };
            v.iter().map(|&b| b == p).collect()
        }
        Labels::Num(v) => {
            let p = match positive {
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::Int(_) | Value::Float(_) => positive.as_f64().ok_or_else(mismatch)?,
                _ => return Err(mismatch()),
            };
            v.iter().map(|&x| x == p).collect()
        }
        Labels::Str(v) => match positive {
            Value::Str(p) => v.iter().map(|s| s == p).collect(),
            _ => return Err(mismatch()),
        },
    })
}

fn positive_text(positive: &Value) -> String {
    match positive {
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => "null".into(),
        Value::Timestamp(t) => t.to_string(),
    }
}

/// The group label of each sample, as text.
fn group_labels(array: &ArrayRef) -> Result<Vec<String>> {
    null_error(
        "sensitive_features",
        array.as_ref(),
        "every sample needs a group: fill missing group labels (e.g. with \"unknown\") or drop those samples",
    )?;
    let text = if is_string(array.data_type()) {
        array.clone()
    } else {
        cast_with_options(array, &DataType::Utf8, &CastOptions::default()).map_err(|_| {
            Error::column_type(
                "sensitive_features",
                "group labels (strings, integers, booleans or categories)",
                array.data_type(),
            )
        })?
    };
    let strings = str_values("sensitive_features", &text)?;
    Ok(strings
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

/// [`fairness`] on Arrow arrays of any label type.
///
/// `y_true` and `y_pred` hold at most two distinct labels (booleans, integers or
/// strings, of one kind); `pos_label` is the positive (favourable) one, or `None` for
/// fairlearn's default: `true` for booleans, 1 for labels in {0, 1} or {-1, 1}.
/// `sensitive` holds the group of each sample (strings, integers, booleans or a
/// dictionary of strings; reported as text).
///
/// # Errors
/// As [`fairness`], and: a null label or group ([`Error::InvalidValue`]); labels of an
/// unsupported type ([`Error::ColumnType`]); more than two distinct labels, or labels
/// of different kinds in `y_true` and `y_pred` ([`Error::InvalidData`]); a `pos_label`
/// that is not one of two labels present, or none given for labels other than
/// {0, 1} / {-1, 1} ([`Error::InvalidParameter`]).
pub fn fairness_from_arrays(
    y_true: &ArrayRef,
    y_pred: &ArrayRef,
    sensitive: &ArrayRef,
    pos_label: Option<&Value>,
    options: &FairnessOptions,
) -> Result<FairnessReport> {
    let truth = labels_of("y_true", y_true)?;
    let predicted = labels_of("y_pred", y_pred)?;
    if truth.kind() != predicted.kind() {
        return Err(Error::InvalidData(format!(
            "fairness: `y_true` holds {} but `y_pred` holds {}; pass labels of one kind",
            truth.kind(),
            predicted.kind()
        )));
    }
    let distinct = distinct_labels(&truth, &predicted);
    if distinct.len() > 2 {
        return Err(Error::InvalidData(format!(
            "fairness metrics are for binary decisions, but `y_true` and `y_pred` hold {} labels {:?}; \
             map them to a positive and a negative outcome first",
            distinct.len(),
            distinct.iter().take(10).collect::<Vec<_>>()
        )));
    }
    let positive = match pos_label {
        Some(p) => p.clone(),
        None => inferred_positive(&truth, &distinct)?,
    };
    let t = is_positive(&truth, &positive)?;
    let p = is_positive(&predicted, &positive)?;
    if distinct.len() == 2 && !t.iter().chain(&p).any(|&b| b) {
        return Err(Error::param(
            "pos_label",
            positive_text(&positive),
            format!("is not one of the labels {distinct:?}"),
        ));
    }
    let groups = group_labels(sensitive)?;
    fairness(&t, &p, &groups, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_needs_two_values() {
        assert_eq!(spread([Some(0.5)].into_iter()), (None, None));
        assert_eq!(spread([Some(0.0), Some(0.0)].into_iter()), (Some(0.0), None));
        assert_eq!(
            spread([Some(0.2), None, Some(0.8)].into_iter()),
            (Some(0.6000000000000001), Some(0.25))
        );
    }

    #[test]
    fn html_escapes_group_names() {
        let report = fairness(
            &[true, false],
            &[true, true],
            &["<a>", "b"],
            &FairnessOptions::default().reference("b"),
        )
        .unwrap();
        let html = report.to_html();
        assert!(html.contains("&lt;a&gt;"));
        assert!(!html.contains("<a>"));
    }
}
