//! Model gates: a candidate model's metrics checked against absolute bounds and against
//! the current champion's (the baseline), with the semantics of TensorFlow Model
//! Analysis (TFMA) model validation.
//!
//! A [`Gate`] holds [`Threshold`]s. Each names a metric and has a [`ValueThreshold`]
//! (bounds on the candidate's value), a [`ChangeThreshold`] (bounds on the change from
//! the baseline), or both. [`Gate::evaluate`] (one set of metrics) and
//! [`Gate::evaluate_sliced`] (overall and per slice, e.g. per country) return a
//! [`GateReport`] that names every check with the candidate's and baseline's values and
//! says why a check failed or was skipped. [`evaluate_pipeline`] computes the metrics of
//! a fitted pipeline on a table, overall and per slice, ready for a gate.
//!
//! # Semantics (TFMA's, with the deviations listed)
//!
//! References: TFMA `tensorflow_model_analysis/proto/config.proto`
//! (`GenericValueThreshold`, `GenericChangeThreshold`, `MetricDirection`) and
//! `tensorflow_model_analysis/evaluators/metrics_validator.py` (`_check_threshold`).
//!
//! | rule | here | TFMA |
//! |---|---|---|
//! | value threshold | passes iff `lower <= candidate <= upper`, both inclusive; an unset bound is infinite | the same (`config.proto`: "[lower_bound, upper_bound], both boundaries inclusive") |
//! | change | `diff = candidate - baseline` | the same |
//! | relative change | `diff / abs(baseline)` | `diff / baseline` (deviation: with a negative baseline TFMA's ratio has the opposite sign of the change) |
//! | higher is better | passes iff `diff >= absolute` and `relative >= relative_threshold` | the same |
//! | lower is better | passes iff `diff <= absolute` and `relative <= relative_threshold` | the same |
//! | negative slack | `absolute = -0.01`, higher is better: a regression of up to 0.01 passes | the same (`config.proto`, "Limit Regression") |
//! | absolute and relative both set | both must pass | the same |
//! | zero baseline | the relative check fails (the ratio is undefined); an absolute check alone is unaffected | the ratio is NaN, so *every* change check on that metric fails, also one with only `absolute` set (deviation) |
//! | missing metric | the check fails ("metric not found") | the same ("Metric not found.") |
//! | NaN value | the check fails, saying so | NaN comparisons are false, so it fails |
//! | no baseline (first model) | change checks are skipped, and the report says so | `utils/config_util.py` `update_eval_config_with_defaults(has_baseline=False)` clears every change threshold |
//! | no thresholds | [`Error::InvalidParameter`] | validation fails with `ValidationResult.missing_thresholds` |
//! | slicing spec matching no slice | the check fails, naming the spec | listed in `ValidationResult.missing_slices`; validation fails |
//! | slice below the minimum size | its checks are skipped ([`SliceMetrics::skipped`]), not failed | `Options.min_slice_size` omits the slice |
//! | no direction | known metrics have a default ([`Direction::of_metric`]); another metric with a change threshold needs one, else an error | `UNKNOWN` direction is a failed check |
//!
//! Comparisons are exact, as in TFMA: a change computed as `0.80 - 0.81` is
//! `-0.010000000000000009`, just beyond an absolute slack of `-0.01`. Leave a margin.

mod evaluate;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

pub use evaluate::{
    compute_metrics, evaluate_outcomes, evaluate_pipeline, slice_key, Outcomes, METRIC_NAMES,
};

/// Whether a higher or a lower value of a metric is better (TFMA's `MetricDirection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (accuracy, AUC, R²): a change passes if `diff >= absolute`.
    HigherIsBetter,
    /// Lower is better (losses, errors): a change passes if `diff <= absolute`.
    LowerIsBetter,
}

impl Direction {
    /// The usual direction of a metric computed by [`evaluate_pipeline`], by name, or of
    /// a scikit-learn scorer name of [`Scorer`](crate::validate::cv::Scorer) (the names
    /// `cross_validate` and the searches report): every scorer is higher-is-better, the
    /// losses being negated (`neg_log_loss`). `None` for a name it does not know
    /// (`example_count` has no direction either).
    ///
    /// ```
    /// use ferrops::validate::gate::Direction;
    /// assert_eq!(Direction::of_metric("roc_auc"), Some(Direction::HigherIsBetter));
    /// assert_eq!(Direction::of_metric("log_loss"), Some(Direction::LowerIsBetter));
    /// assert_eq!(Direction::of_metric("neg_log_loss"), Some(Direction::HigherIsBetter));
    /// assert_eq!(Direction::of_metric("my_metric"), None);
    /// ```
    pub fn of_metric(metric: &str) -> Option<Direction> {
        if crate::validate::cv::Scorer::parse(metric).is_ok() {
            return Some(Direction::HigherIsBetter);
        }
        let higher = [
            "accuracy",
            "balanced_accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "average_precision",
            "r2",
        ];
        let lower = [
            "log_loss",
            "brier_score",
            "mae",
            "mse",
            "rmse",
            "mape",
            "median_absolute_error",
        ];
        let base = ["_macro", "_micro", "_weighted", "_ovr", "_ovr_weighted"]
            .iter()
            .find_map(|suffix| metric.strip_suffix(suffix))
            .unwrap_or(metric);
        if higher.contains(&base) {
            Some(Direction::HigherIsBetter)
        } else if lower.contains(&base) {
            Some(Direction::LowerIsBetter)
        } else {
            None
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::HigherIsBetter => "higher is better",
            Direction::LowerIsBetter => "lower is better",
        })
    }
}

/// Bounds on the candidate's value (TFMA's `GenericValueThreshold`): it passes iff
/// `lower <= value <= upper`. An unset bound is infinite; at least one must be set.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueThreshold {
    /// Inclusive lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    /// Inclusive upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
}

impl fmt::Display for ValueThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.lower, self.upper) {
            (Some(l), Some(u)) => write!(f, "{l} <= value <= {u}"),
            (Some(l), None) => write!(f, "value >= {l}"),
            (None, Some(u)) => write!(f, "value <= {u}"),
            (None, None) => f.write_str("no bound"),
        }
    }
}

/// Bounds on the change from the baseline (TFMA's `GenericChangeThreshold`).
///
/// With `diff = candidate - baseline` and `relative = diff / |baseline|`: for
/// [`Direction::HigherIsBetter`] it passes iff `diff >= absolute` and
/// `relative >= relative_threshold`; for [`Direction::LowerIsBetter`] iff
/// `diff <= absolute` and `relative <= relative_threshold`. An unset part always
/// passes; at least one must be set. A negative `absolute` (higher is better) or a
/// positive one (lower is better) allows a bounded regression; the opposite sign
/// requires an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeThreshold {
    /// Bound on `candidate - baseline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute: Option<f64>,
    /// Bound on `(candidate - baseline) / |baseline|`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative: Option<f64>,
    /// Which way is better; `None` takes [`Direction::of_metric`] of the threshold's
    /// metric (resolved when the gate is built).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
}

impl ChangeThreshold {
    fn describe(&self, direction: Direction) -> String {
        let op = match direction {
            Direction::HigherIsBetter => ">=",
            Direction::LowerIsBetter => "<=",
        };
        let mut parts = Vec::new();
        if let Some(a) = self.absolute {
            parts.push(format!("diff {op} {a}"));
        }
        if let Some(r) = self.relative {
            parts.push(format!("relative {op} {r}"));
        }
        format!("{} ({direction})", parts.join(" and "))
    }
}

/// Which part of the metrics a [`Threshold`] applies to (TFMA's `SlicingSpec`), written
/// as text: `"overall"`, a column (`"country"`: every slice of that column), or one
/// slice (`"country=FR"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SliceSpec {
    /// The whole evaluation set.
    Overall,
    /// Every slice of a column.
    Column(String),
    /// One slice, by its key `column=value`.
    Slice(String),
}

impl SliceSpec {
    /// Parse `"overall"`, `"column"` or `"column=value"`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty text or an empty column name.
    pub fn parse(text: &str) -> Result<SliceSpec> {
        if text == OVERALL {
            return Ok(SliceSpec::Overall);
        }
        match text.split_once('=') {
            Some(("", _)) => Err(Error::param(
                "slices",
                format!("{text:?}"),
                "a slice is written `column=value`; the column name is empty",
            )),
            Some(_) => Ok(SliceSpec::Slice(text.to_string())),
            None if text.is_empty() => Err(Error::param(
                "slices",
                "\"\"",
                "write \"overall\" for the whole set, \"column\" for every slice of a column or \"column=value\" for one slice",
            )),
            None => Ok(SliceSpec::Column(text.to_string())),
        }
    }
}

const NO_BASELINE: &str = "no baseline";

/// The key of the whole evaluation set in reports and slicing specs.
pub const OVERALL: &str = "overall";

/// One metric's thresholds (TFMA's `MetricThreshold`), applied to the slices that
/// `slices` names (the overall set when empty).
///
/// ```
/// use ferrops::validate::gate::Threshold;
/// let t = Threshold::new("roc_auc").lower(0.8).change_absolute(-0.01).slices(["overall", "country"]);
/// assert_eq!(t.value.and_then(|v| v.lower), Some(0.8));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The metric's name, as in the metric sets.
    pub metric: String,
    /// Bounds on the candidate's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ValueThreshold>,
    /// Bounds on the change from the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeThreshold>,
    /// Slicing specs (see [`SliceSpec`]); empty means the overall set only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<String>,
}

impl Threshold {
    /// A threshold on `metric` with no bounds yet (add some: a gate rejects an empty one).
    pub fn new(metric: impl Into<String>) -> Self {
        Threshold {
            metric: metric.into(),
            value: None,
            change: None,
            slices: Vec::new(),
        }
    }

    /// Set the inclusive lower bound of the value.
    pub fn lower(mut self, bound: f64) -> Self {
        self.value.get_or_insert_with(ValueThreshold::default).lower = Some(bound);
        self
    }

    /// Set the inclusive upper bound of the value.
    pub fn upper(mut self, bound: f64) -> Self {
        self.value.get_or_insert_with(ValueThreshold::default).upper = Some(bound);
        self
    }

    /// Set the bound on `candidate - baseline`.
    pub fn change_absolute(mut self, bound: f64) -> Self {
        self.change.get_or_insert_with(ChangeThreshold::default).absolute = Some(bound);
        self
    }

    /// Set the bound on `(candidate - baseline) / |baseline|`.
    pub fn change_relative(mut self, bound: f64) -> Self {
        self.change.get_or_insert_with(ChangeThreshold::default).relative = Some(bound);
        self
    }

    /// Set the direction of the change threshold explicitly.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.change.get_or_insert_with(ChangeThreshold::default).direction = Some(direction);
        self
    }

    /// Apply to these slicing specs (see [`SliceSpec`]) instead of the overall set only.
    pub fn slices<I, S>(mut self, specs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.slices = specs.into_iter().map(Into::into).collect();
        self
    }

    /// The direction the change threshold uses: explicit, else the metric's default.
    pub fn resolved_direction(&self) -> Option<Direction> {
        self.change
            .and_then(|c| c.direction)
            .or_else(|| Direction::of_metric(&self.metric))
    }

    /// Check the threshold on its own; resolves the change direction.
    fn validated(mut self, index: usize) -> Result<Threshold> {
        let name = |field: &str| format!("thresholds[{index}].{field}");
        if self.metric.trim().is_empty() {
            return Err(Error::param(
                &name("metric"),
                "\"\"",
                "name the metric the threshold applies to",
            ));
        }
        let check = |field: &str, v: Option<f64>| -> Result<()> {
            match v {
                Some(x) if !x.is_finite() => Err(Error::param(
                    &name(field),
                    x,
                    "must be a finite number; leave the bound unset for no bound",
                )),
                _ => Ok(()),
            }
        };
        if self.value.is_none() && self.change.is_none() {
            return Err(Error::param(
                &name("metric"),
                &self.metric,
                "this threshold has neither a value nor a change bound: set lower/upper and/or change_absolute/change_relative",
            ));
        }
        if let Some(v) = self.value {
            check("value.lower", v.lower)?;
            check("value.upper", v.upper)?;
            match (v.lower, v.upper) {
                (None, None) => {
                    return Err(Error::param(
                        &name("value"),
                        "{}",
                        "a value threshold needs a lower or an upper bound",
                    ))
                }
                (Some(l), Some(u)) if l > u => {
                    return Err(Error::param(
                        &name("value"),
                        format!("lower {l} > upper {u}"),
                        "the lower bound must not exceed the upper bound: no value could pass",
                    ))
                }
                _ => {}
            }
        }
        if let Some(c) = self.change.as_mut() {
            check("change.absolute", c.absolute)?;
            check("change.relative", c.relative)?;
            if c.absolute.is_none() && c.relative.is_none() {
                return Err(Error::param(
                    &name("change"),
                    "{}",
                    "a change threshold needs an absolute or a relative bound",
                ));
            }
            if c.direction.is_none() {
                c.direction = Direction::of_metric(&self.metric);
            }
            if c.direction.is_none() {
                return Err(Error::param(
                    &name("change.direction"),
                    "unset",
                    format!(
                        "ferrops does not know whether a higher or a lower `{}` is better: set direction to higher_is_better or lower_is_better",
                        self.metric
                    ),
                ));
            }
        }
        for spec in &self.slices {
            SliceSpec::parse(spec)?;
        }
        Ok(self)
    }
}

/// Thresholds that a candidate model must pass before it replaces the champion.
///
/// Built with [`Gate::new`] or loaded from JSON ([`Gate::from_json`], or serde): both
/// validate every threshold, so a `Gate` value is always well-formed.
///
/// ```
/// use ferrops::validate::gate::{Gate, MetricSet, Threshold};
///
/// # fn main() -> ferrops::Result<()> {
/// let gate = Gate::new([
///     Threshold::new("roc_auc").lower(0.8).change_absolute(-0.01),
///     Threshold::new("log_loss").upper(0.5),
/// ])?;
/// let champion = MetricSet::from_iter([("roc_auc", 0.86), ("log_loss", 0.41)]);
/// let candidate = MetricSet::from_iter([("roc_auc", 0.855), ("log_loss", 0.40)]);
/// let report = gate.evaluate(&candidate, Some(&champion))?;
/// assert!(report.passed); // 0.855 - 0.86 = -0.005 >= -0.01
///
/// let first = gate.evaluate(&candidate, None)?; // no champion yet
/// assert!(first.passed);
/// assert!(first.notes.iter().any(|n| n.contains("skipped")));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGate")]
pub struct Gate {
    thresholds: Vec<Threshold>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    thresholds: Vec<Threshold>,
}

impl TryFrom<RawGate> for Gate {
    type Error = Error;
    fn try_from(raw: RawGate) -> Result<Gate> {
        Gate::new(raw.thresholds)
    }
}

impl Gate {
    /// A gate of `thresholds`, each checked.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no thresholds at all (a gate that checks nothing
    /// would pass every model), a threshold with no bound, a value threshold with
    /// `lower > upper`, a NaN or infinite bound, a change threshold with neither
    /// `absolute` nor `relative`, a change threshold on a metric of unknown direction
    /// without an explicit direction, or a malformed slicing spec.
    pub fn new(thresholds: impl IntoIterator<Item = Threshold>) -> Result<Gate> {
        let thresholds = thresholds
            .into_iter()
            .enumerate()
            .map(|(i, t)| t.validated(i))
            .collect::<Result<Vec<_>>>()?;
        if thresholds.is_empty() {
            return Err(Error::param(
                "thresholds",
                "[]",
                "a gate needs at least one threshold: a gate with none would pass every model",
            ));
        }
        Ok(Gate { thresholds })
    }

    /// The thresholds, with change directions resolved.
    pub fn thresholds(&self) -> &[Threshold] {
        &self.thresholds
    }

    /// Load a gate from its JSON form `{"thresholds": [{"metric": ..., "value": {"lower": ...}, ...}]}`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for malformed JSON or any error of [`Gate::new`].
    pub fn from_json(json: &str) -> Result<Gate> {
        serde_json::from_str(json).map_err(|e| {
            Error::param(
                "gate",
                json.chars().take(200).collect::<String>(),
                format!("not a valid gate: {e}"),
            )
        })
    }

    /// The JSON form [`Gate::from_json`] reads.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Check one set of metrics (the overall set) against the gate; `baseline` is the
    /// champion's metrics, `None` for a first model (change checks are then skipped).
    ///
    /// A threshold on a slice finds no slice in a plain metric set and fails: use
    /// [`evaluate_sliced`](Gate::evaluate_sliced) for sliced metrics.
    pub fn evaluate(&self, candidate: &MetricSet, baseline: Option<&MetricSet>) -> Result<GateReport> {
        let candidate = SlicedMetrics::from(candidate.clone());
        let baseline = baseline.map(|b| SlicedMetrics::from(b.clone()));
        self.evaluate_sliced(&candidate, baseline.as_ref())
    }

    /// Check metrics computed overall and per slice against the gate.
    ///
    /// Every threshold is checked on every slice its specs name. The gate passes iff no
    /// check fails; skipped checks (no baseline, a slice below the minimum size) do not
    /// fail it, and the report's notes say what was skipped.
    pub fn evaluate_sliced(
        &self,
        candidate: &SlicedMetrics,
        baseline: Option<&SlicedMetrics>,
    ) -> Result<GateReport> {
        let mut checks = Vec::new();
        for threshold in &self.thresholds {
            let specs = if threshold.slices.is_empty() {
                vec![SliceSpec::Overall]
            } else {
                threshold
                    .slices
                    .iter()
                    .map(|s| SliceSpec::parse(s))
                    .collect::<Result<Vec<_>>>()?
            };
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            for spec in &specs {
                let keys: Vec<String> = match spec {
                    SliceSpec::Overall => vec![OVERALL.to_string()],
                    SliceSpec::Column(column) => candidate
                        .slices
                        .keys()
                        .filter(|k| k.split_once('=').map(|(c, _)| c) == Some(column.as_str()))
                        .cloned()
                        .collect(),
                    SliceSpec::Slice(key) => vec![key.clone()],
                };
                if keys.is_empty() {
                    let SliceSpec::Column(column) = spec else { continue };
                    checks.extend(missing_slice(
                        threshold,
                        column,
                        format!(
                            "no slice of column `{column}` in the candidate's metrics (slice the evaluation by `{column}`)"
                        ),
                    ));
                    continue;
                }
                for key in keys {
                    if !seen.insert(key.clone()) {
                        continue;
                    }
                    let Some(slice) = candidate.get(&key) else {
                        checks.extend(missing_slice(
                            threshold,
                            &key,
                            format!("slice `{key}` is not in the candidate's metrics"),
                        ));
                        continue;
                    };
                    let base = baseline.map(|b| b.get(&key));
                    checks.extend(check_slice(threshold, &key, slice, base));
                }
            }
        }
        let passed = !checks.iter().any(|c| c.outcome == Outcome::Failed);
        let mut notes = Vec::new();
        let change_skipped = checks
            .iter()
            .filter(|c| {
                c.kind == CheckKind::Change
                    && c.outcome == Outcome::Skipped
                    && c.reason.starts_with(NO_BASELINE)
            })
            .count();
        if baseline.is_none() && change_skipped > 0 {
            notes.push(format!(
                "no baseline (champion) metrics: {change_skipped} change check(s) skipped; only value thresholds were applied"
            ));
        }
        let small: Vec<&str> = candidate
            .slices
            .iter()
            .filter(|(_, s)| s.skipped.is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        if !small.is_empty() {
            notes.push(format!("slices skipped (too few rows): {}", small.join(", ")));
        }
        if !checks.is_empty() && checks.iter().all(|c| c.outcome == Outcome::Skipped) {
            notes.push("every check was skipped: nothing was verified".into());
        }
        Ok(GateReport {
            passed,
            checks,
            notes,
        })
    }
}

fn missing_slice(threshold: &Threshold, slice: &str, reason: String) -> Vec<CheckResult> {
    kinds(threshold)
        .into_iter()
        .map(|(kind, description)| CheckResult {
            slice: slice.to_string(),
            metric: threshold.metric.clone(),
            kind,
            candidate: None,
            baseline: None,
            diff: None,
            relative: None,
            threshold: description,
            outcome: Outcome::Failed,
            reason: reason.clone(),
        })
        .collect()
}

/// The kinds of check a threshold makes, with their descriptions.
fn kinds(threshold: &Threshold) -> Vec<(CheckKind, String)> {
    let mut out = Vec::new();
    if let Some(v) = threshold.value {
        out.push((CheckKind::Value, v.to_string()));
    }
    if let Some(c) = threshold.change {
        let direction = threshold
            .resolved_direction()
            .unwrap_or(Direction::HigherIsBetter);
        out.push((CheckKind::Change, c.describe(direction)));
    }
    out
}

/// The candidate's value of `metric` in `slice`, or why there is none.
fn value_of(slice: &SliceMetrics, metric: &str, whose: &str) -> std::result::Result<f64, String> {
    match slice.metrics.get(metric) {
        Some(v) if v.is_nan() => Err(format!("the {whose}'s {metric} is NaN")),
        Some(v) => Ok(v),
        None => match slice.undefined.get(metric) {
            Some(why) => Err(format!("the {whose}'s {metric} is undefined here: {why}")),
            None => Err(format!(
                "metric not found: the {whose}'s metrics have no `{metric}` (they have {:?})",
                slice.metrics.names()
            )),
        },
    }
}

fn check_slice(
    threshold: &Threshold,
    key: &str,
    slice: &SliceMetrics,
    baseline: Option<Option<&SliceMetrics>>,
) -> Vec<CheckResult> {
    let metric = &threshold.metric;
    let mut out = Vec::new();
    let candidate = value_of(slice, metric, "candidate");
    let make = |kind, description: String| CheckResult {
        slice: key.to_string(),
        metric: metric.clone(),
        kind,
        candidate: candidate.as_ref().ok().copied(),
        baseline: None,
        diff: None,
        relative: None,
        threshold: description,
        outcome: Outcome::Failed,
        reason: String::new(),
    };
    for (kind, description) in kinds(threshold) {
        let mut check = make(kind, description);
        if let Some(why) = &slice.skipped {
            check.outcome = Outcome::Skipped;
            check.reason = format!("slice skipped: {why}");
            out.push(check);
            continue;
        }
        match kind {
            CheckKind::Value => {
                let bounds = threshold.value.unwrap_or_default();
                match &candidate {
                    Err(why) => check.reason = why.clone(),
                    Ok(v) => {
                        let lower = bounds.lower.unwrap_or(f64::NEG_INFINITY);
                        let upper = bounds.upper.unwrap_or(f64::INFINITY);
                        if *v < lower {
                            check.reason = format!("{v} is below the lower bound {lower}");
                        } else if *v > upper {
                            check.reason = format!("{v} is above the upper bound {upper}");
                        } else {
                            check.outcome = Outcome::Passed;
                        }
                    }
                }
            }
            CheckKind::Change => change_check(threshold, &candidate, baseline, &mut check),
        }
        out.push(check);
    }
    out
}

fn change_check(
    threshold: &Threshold,
    candidate: &std::result::Result<f64, String>,
    baseline: Option<Option<&SliceMetrics>>,
    check: &mut CheckResult,
) {
    let change = threshold.change.unwrap_or_default();
    let direction = threshold
        .resolved_direction()
        .unwrap_or(Direction::HigherIsBetter);
    let Some(baseline) = baseline else {
        check.outcome = Outcome::Skipped;
        check.reason = format!("{NO_BASELINE} (first model): change threshold skipped");
        return;
    };
    let Some(base_slice) = baseline else {
        check.reason = format!("the baseline's metrics have no slice `{}`", check.slice);
        return;
    };
    if let Some(why) = &base_slice.skipped {
        check.outcome = Outcome::Skipped;
        check.reason = format!("baseline slice skipped: {why}");
        return;
    }
    let base = value_of(base_slice, &threshold.metric, "baseline");
    check.baseline = base.as_ref().ok().copied();
    let (c, b) = match (candidate, base) {
        (Err(why), _) => {
            check.reason = why.clone();
            return;
        }
        (Ok(_), Err(why)) => {
            check.reason = why;
            return;
        }
        (Ok(c), Ok(b)) => (*c, b),
    };
    let diff = c - b;
    check.diff = Some(diff);
    let relative = (b != 0.0).then(|| diff / b.abs());
    check.relative = relative;
    let better = |x: f64, bound: f64| match direction {
        Direction::HigherIsBetter => x >= bound,
        Direction::LowerIsBetter => x <= bound,
    };
    let op = match direction {
        Direction::HigherIsBetter => ">=",
        Direction::LowerIsBetter => "<=",
    };
    let mut failures = Vec::new();
    if let Some(a) = change.absolute {
        if !better(diff, a) {
            failures.push(format!("diff {diff} (= {c} - {b}) is not {op} {a}"));
        }
    }
    if let Some(r) = change.relative {
        match relative {
            None => failures.push(format!(
                "the relative change is undefined: the baseline's {} is 0",
                threshold.metric
            )),
            Some(rel) if !better(rel, r) => failures.push(format!(
                "relative change {rel} (= {diff} / |{b}|) is not {op} {r}"
            )),
            Some(_) => {}
        }
    }
    if failures.is_empty() {
        check.outcome = Outcome::Passed;
    } else {
        check.reason = failures.join("; ");
    }
}

/// Named metric values of one model on one set of rows: `metric name -> value`.
///
/// In JSON a map of numbers; since JSON has neither NaN nor infinity, NaN is written
/// `null` and infinities `"inf"` / `"-inf"`, and read back the same way (`"Infinity"`
/// reads too).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricSet {
    values: BTreeMap<String, f64>,
}

impl Serialize for MetricSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (name, &v) in &self.values {
            if v.is_nan() {
                map.serialize_entry(name, &None::<f64>)?;
            } else if v.is_infinite() {
                map.serialize_entry(name, if v > 0.0 { "inf" } else { "-inf" })?;
            } else {
                map.serialize_entry(name, &v)?;
            }
        }
        map.end()
    }
}

/// A metric value as JSON can hold it.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonValue {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for MetricSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = BTreeMap::<String, Option<JsonValue>>::deserialize(deserializer)?;
        let mut values = BTreeMap::new();
        for (name, value) in raw {
            let v = match value {
                Some(JsonValue::Number(v)) => v,
                None => f64::NAN,
                Some(JsonValue::Text(text)) => match text.trim().parse::<f64>() {
                    Ok(v) if !v.is_finite() => v,
                    _ => {
                        return Err(serde::de::Error::custom(format!(
                            "metric `{name}` = {text:?}: a metric value is a number, null (NaN), \"inf\" or \"-inf\""
                        )))
                    }
                },
            };
            values.insert(name, v);
        }
        Ok(MetricSet { values })
    }
}

impl MetricSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `metric` to `value`.
    pub fn insert(&mut self, metric: impl Into<String>, value: f64) {
        self.values.insert(metric.into(), value);
    }

    /// The value of `metric`, if present.
    pub fn get(&self, metric: &str) -> Option<f64> {
        self.values.get(metric).copied()
    }

    /// The metric names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.values.keys().map(String::as_str).collect()
    }

    /// `(name, value)` pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Number of metrics.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there are no metrics.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<K: Into<String>> FromIterator<(K, f64)> for MetricSet {
    fn from_iter<I: IntoIterator<Item = (K, f64)>>(iter: I) -> Self {
        MetricSet {
            values: iter.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }
}

/// The metrics of one slice (or of the whole set), with what could not be computed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SliceMetrics {
    /// Rows in the slice, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// The metric values.
    #[serde(default)]
    pub metrics: MetricSet,
    /// Metrics undefined on this slice (e.g. ROC AUC with one class), with the reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub undefined: BTreeMap<String, String>,
    /// Why the slice was not evaluated (fewer rows than the minimum slice size); its
    /// checks are skipped, not failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl From<MetricSet> for SliceMetrics {
    fn from(metrics: MetricSet) -> Self {
        SliceMetrics {
            metrics,
            ..Default::default()
        }
    }
}

/// Metrics overall and per slice; slice keys are `column=value` (see [`slice_key`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SlicedMetrics {
    /// The whole evaluation set.
    pub overall: SliceMetrics,
    /// Each slice by its key.
    #[serde(default)]
    pub slices: BTreeMap<String, SliceMetrics>,
}

impl SlicedMetrics {
    /// The overall set for [`OVERALL`], else the slice `key`.
    pub fn get(&self, key: &str) -> Option<&SliceMetrics> {
        if key == OVERALL {
            Some(&self.overall)
        } else {
            self.slices.get(key)
        }
    }
}

impl From<MetricSet> for SlicedMetrics {
    fn from(overall: MetricSet) -> Self {
        SlicedMetrics {
            overall: overall.into(),
            slices: BTreeMap::new(),
        }
    }
}

/// What a check compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The candidate's value against bounds.
    Value,
    /// The change from the baseline against bounds.
    Change,
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Within the threshold.
    Passed,
    /// Outside it, or the values needed were missing or NaN.
    Failed,
    /// Not checked (no baseline; slice below the minimum size): does not fail the gate.
    Skipped,
}

/// One threshold checked on one slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// `overall` or the slice key (`country=FR`).
    pub slice: String,
    /// The metric.
    pub metric: String,
    /// Value or change.
    pub kind: CheckKind,
    /// The candidate's value, if it had one.
    pub candidate: Option<f64>,
    /// The baseline's value (change checks), if it had one.
    pub baseline: Option<f64>,
    /// `candidate - baseline` (change checks).
    pub diff: Option<f64>,
    /// `diff / |baseline|` (change checks with a nonzero baseline).
    pub relative: Option<f64>,
    /// The threshold, as text (`value >= 0.8`, `diff >= -0.01 (higher is better)`).
    pub threshold: String,
    /// Passed, failed or skipped.
    pub outcome: Outcome,
    /// Why it failed or was skipped; empty when it passed.
    pub reason: String,
}

/// The result of a gate: passed iff no check failed, with every check and notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    /// True iff no check failed.
    pub passed: bool,
    /// Every check, in threshold order then slice order.
    pub checks: Vec<CheckResult>,
    /// What the checks do not say alone (skipped change checks, small slices).
    pub notes: Vec<String>,
}

impl GateReport {
    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Failed)
    }
}

impl fmt::Display for GateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failures().count();
        writeln!(
            f,
            "gate {}: {} check(s), {failed} failed",
            if self.passed { "PASSED" } else { "FAILED" },
            self.checks.len()
        )?;
        for c in &self.checks {
            let outcome = match c.outcome {
                Outcome::Passed => "pass",
                Outcome::Failed => "FAIL",
                Outcome::Skipped => "skip",
            };
            write!(f, "  [{outcome}] {} {} {}", c.slice, c.metric, c.threshold)?;
            if !c.reason.is_empty() {
                write!(f, ": {}", c.reason)?;
            }
            writeln!(f)?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::cv::Scorer;

    /// The gate's metric names and the scorer names of `validate::cv` are two tables; this
    /// keeps them in step: every gate metric (but `example_count`) is a scorer, or a loss
    /// whose scorer is its `neg_` form, and the directions agree.
    #[test]
    fn gate_metrics_agree_with_scikit_learn_scorers() {
        let negated = [
            ("log_loss", "neg_log_loss"),
            ("brier_score", "neg_brier_score"),
            ("mae", "neg_mean_absolute_error"),
            ("mse", "neg_mean_squared_error"),
            ("rmse", "neg_root_mean_squared_error"),
            ("mape", "neg_mean_absolute_percentage_error"),
            ("median_absolute_error", "neg_median_absolute_error"),
        ];
        for &name in METRIC_NAMES.iter().filter(|&&n| n != "example_count") {
            match negated.iter().find(|(gate, _)| *gate == name) {
                Some((_, scorer)) => {
                    assert!(Scorer::parse(scorer).is_ok(), "{scorer}");
                    assert_eq!(
                        Direction::of_metric(name),
                        Some(Direction::LowerIsBetter),
                        "{name}"
                    );
                }
                None => {
                    assert!(Scorer::parse(name).is_ok(), "{name} is no scikit-learn scorer");
                    assert_eq!(
                        Direction::of_metric(name),
                        Some(Direction::HigherIsBetter),
                        "{name}"
                    );
                }
            }
        }
        for scorer in Scorer::ALL {
            assert_eq!(
                Direction::of_metric(scorer.name()),
                Some(Direction::HigherIsBetter)
            );
        }
        assert_eq!(Direction::of_metric("example_count"), None);
    }
}
