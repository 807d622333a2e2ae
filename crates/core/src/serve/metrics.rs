//! Per-variant serving metrics: what a [`Router`](super) records for each model version
//! it serves, and the Prometheus text exposition of it.
//!
//! A [`VariantMetrics`] sits on the request path. Recording is a handful of relaxed
//! atomic operations (tens of nanoseconds, no allocation, no lock), so every request is
//! counted:
//!
//! - requests, failed requests and predicted rows;
//! - a latency histogram with fixed bucket bounds ([`LATENCY_BUCKETS`], 1 µs to 10 s in
//!   1-2.5-5 steps), kept in integer nanoseconds so sums are exact;
//! - the prediction distribution: a count per class label for a classifier, or count,
//!   sum, sum of squares, min and max of the predicted values for a regressor;
//! - once labels are fed back ([`VariantMetrics::record_outcome`]): correct/total and a
//!   confusion matrix for a classifier, the absolute, squared and signed errors for a
//!   regressor;
//! - business rewards for A/B tests ([`VariantMetrics::record_reward`]);
//! - shadow comparisons against the live answer ([`VariantMetrics::record_comparison`]).
//!
//! Outcomes and rewards arrive off the request path and are kept under a small mutex
//! with Welford's update, so their variances (which the A/B tests in
//! [`abtest`](super::abtest) use) do not suffer from cancellation.
//!
//! [`VariantMetrics::snapshot`] copies the counters into a plain, serializable
//! [`MetricsSnapshot`]; [`prometheus_text`] renders snapshots of several variants in the
//! Prometheus text format 0.0.4.
//!
//! ```
//! use std::time::Duration;
//! use ferrops::data::Value;
//! use ferrops::serve::metrics::{prometheus_text, OutputKind, SeriesLabels, VariantMetrics};
//!
//! let metrics = VariantMetrics::new(OutputKind::Classification {
//!     classes: vec!["no".into(), "yes".into()],
//! });
//! metrics.record_row(Duration::from_micros(40), &Value::Str("yes".into()));
//! metrics.record_error(Duration::from_micros(15));
//! metrics.record_outcome(&Value::Str("yes".into()), &Value::Str("no".into()))?;
//!
//! let snap = metrics.snapshot();
//! assert_eq!((snap.requests, snap.errors, snap.rows), (2, 1, 1));
//! assert_eq!(snap.error_rate(), 0.5);
//! assert_eq!(snap.accuracy(), Some(0.0));
//!
//! let labels = SeriesLabels { model: "churn".into(), variant: "champion".into(), version: 3 };
//! let text = prometheus_text(&[(labels, snap)]);
//! assert!(text.contains(r#"ferrops_requests_total{model="churn",variant="champion",version="3"} 2"#));
//! # Ok::<(), ferrops::Error>(())
//! ```

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::data::{TargetKind, Value};
use crate::error::{Error, Result};
use crate::pipeline::FittedPipeline;

const RELAXED: Ordering = Ordering::Relaxed;

/// Upper bounds (seconds, inclusive like Prometheus' `le`) of the latency histogram's
/// finite buckets: 1 µs to 10 s in 1-2.5-5 steps. A last, implicit `+Inf` bucket holds
/// the rest.
pub const LATENCY_BUCKETS: [f64; 22] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,
    0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// [`LATENCY_BUCKETS`] in nanoseconds, so recording compares integers.
const LATENCY_BUCKETS_NANOS: [u64; 22] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// A confusion matrix is kept for classifiers with at most this many classes
/// (`(classes + 1)²` counters).
pub const MAX_CONFUSION_CLASSES: usize = 64;

/// The label under which predictions and outcomes outside the known classes (and null
/// predictions) are counted in the Prometheus output.
pub const UNKNOWN_CLASS: &str = "__unknown__";

/// What a served model outputs, which decides how predictions and outcomes are summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Class labels. `classes` are the labels as text (the model's
    /// [`ClassLabels::names`](crate::data::ClassLabels::names): `"1"` for an integer
    /// label 1, `"true"` for a boolean).
    Classification {
        /// The known class labels, as text.
        classes: Vec<String>,
    },
    /// Real values.
    Regression,
}

impl OutputKind {
    /// The output kind of a fitted pipeline: its target's kind and class labels. A
    /// pipeline without a target (transforms only) counts as a regressor.
    pub fn of_pipeline(pipeline: &FittedPipeline) -> OutputKind {
        match pipeline.target() {
            Some(t) if t.kind == TargetKind::Classification => OutputKind::Classification {
                classes: pipeline.classes().map(|c| c.names()).unwrap_or_default(),
            },
            _ => OutputKind::Regression,
        }
    }
}

/// An `f64` in an [`AtomicU64`] (its bits), updated by compare-and-swap.
#[derive(Debug)]
struct AtomicF64(AtomicU64);

impl AtomicF64 {
    fn new(v: f64) -> AtomicF64 {
        AtomicF64(AtomicU64::new(v.to_bits()))
    }

    fn load(&self) -> f64 {
        f64::from_bits(self.0.load(RELAXED))
    }

    fn add(&self, v: f64) {
        let mut current = self.0.load(RELAXED);
        loop {
            let new = (f64::from_bits(current) + v).to_bits();
            match self.0.compare_exchange_weak(current, new, RELAXED, RELAXED) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    fn min(&self, v: f64) {
        let mut current = self.0.load(RELAXED);
        while v < f64::from_bits(current) {
            match self
                .0
                .compare_exchange_weak(current, v.to_bits(), RELAXED, RELAXED)
            {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    fn max(&self, v: f64) {
        let mut current = self.0.load(RELAXED);
        while v > f64::from_bits(current) {
            match self
                .0
                .compare_exchange_weak(current, v.to_bits(), RELAXED, RELAXED)
            {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }
}

fn counters(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

fn load_all(counters: &[AtomicU64]) -> Vec<u64> {
    counters.iter().map(|c| c.load(RELAXED)).collect()
}

/// Label text → class index, for every form a label can arrive in.
#[derive(Debug)]
struct ClassLookup {
    names: Vec<String>,
    by_str: FxHashMap<String, usize>,
    by_int: FxHashMap<i64, usize>,
    by_bool: [Option<usize>; 2],
}

impl ClassLookup {
    fn new(names: Vec<String>) -> ClassLookup {
        let mut by_str = FxHashMap::default();
        let mut by_int = FxHashMap::default();
        let mut by_bool = [None, None];
        for (i, name) in names.iter().enumerate() {
            by_str.entry(name.clone()).or_insert(i);
            if let Ok(v) = name.parse::<i64>() {
                by_int.entry(v).or_insert(i);
            }
            match name.as_str() {
                "false" | "False" => by_bool[0] = by_bool[0].or(Some(i)),
                "true" | "True" => by_bool[1] = by_bool[1].or(Some(i)),
                _ => {}
            }
        }
        ClassLookup {
            names,
            by_str,
            by_int,
            by_bool,
        }
    }

    fn len(&self) -> usize {
        self.names.len()
    }

    fn of_str(&self, s: &str) -> Option<usize> {
        self.by_str.get(s).copied()
    }

    fn of_int(&self, v: i64) -> Option<usize> {
        self.by_int.get(&v).copied()
    }

    fn of_bool(&self, v: bool) -> Option<usize> {
        self.by_bool[usize::from(v)]
    }

    fn of_float(&self, v: f64) -> Option<usize> {
        // An integral float label (e.g. 1.0 for class "1"); the range check keeps the
        // cast exact.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            self.of_int(v as i64)
        } else {
            None
        }
    }

    /// The class of a value; `None` for a label outside the known classes (and for
    /// null, NaN and timestamps).
    fn of_value(&self, v: &Value) -> Option<usize> {
        match v {
            Value::Str(s) => self.of_str(s),
            Value::Int(i) => self.of_int(*i),
            Value::Bool(b) => self.of_bool(*b),
            Value::Float(f) => self.of_float(*f),
            Value::Null | Value::Timestamp(_) => None,
        }
    }

    /// Add the class of every row of `array` to `counts` (`len() + 1` slots, the last
    /// for unknown labels and nulls).
    fn count_array(&self, array: &ArrayRef, counts: &mut [u64]) {
        let unknown = self.len();
        let mut bump = |class: Option<usize>| {
            if let Some(slot) = counts.get_mut(class.unwrap_or(unknown)) {
                *slot += 1;
            }
        };
        match array.data_type() {
            DataType::Utf8 => array
                .as_string::<i32>()
                .iter()
                .for_each(|s| bump(s.and_then(|s| self.of_str(s)))),
            DataType::LargeUtf8 => array
                .as_string::<i64>()
                .iter()
                .for_each(|s| bump(s.and_then(|s| self.of_str(s)))),
            DataType::Utf8View => array
                .as_string_view()
                .iter()
                .for_each(|s| bump(s.and_then(|s| self.of_str(s)))),
            DataType::Boolean => array
                .as_boolean()
                .iter()
                .for_each(|b| bump(b.and_then(|b| self.of_bool(b)))),
            DataType::Int64 => array
                .as_primitive::<Int64Type>()
                .iter()
                .for_each(|v| bump(v.and_then(|v| self.of_int(v)))),
            DataType::Float64 => array
                .as_primitive::<Float64Type>()
                .iter()
                .for_each(|v| bump(v.and_then(|v| self.of_float(v)))),
            dt if dt.is_integer() => {
                match cast_with_options(array, &DataType::Int64, &CastOptions::default()) {
                    Ok(cast) => cast
                        .as_primitive::<Int64Type>()
                        .iter()
                        .for_each(|v| bump(v.and_then(|v| self.of_int(v)))),
                    Err(_) => (0..array.len()).for_each(|_| bump(None)),
                }
            }
            dt if dt.is_floating() => {
                match cast_with_options(array, &DataType::Float64, &CastOptions::default()) {
                    Ok(cast) => cast
                        .as_primitive::<Float64Type>()
                        .iter()
                        .for_each(|v| bump(v.and_then(|v| self.of_float(v)))),
                    Err(_) => (0..array.len()).for_each(|_| bump(None)),
                }
            }
            _ => (0..array.len()).for_each(|_| bump(None)),
        }
    }
}

#[derive(Debug)]
struct Histogram {
    /// One counter per finite bucket, then the `+Inf` overflow (not cumulative).
    buckets: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: counters(LATENCY_BUCKETS_NANOS.len() + 1),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_NANOS.partition_point(|&bound| bound < nanos);
        if let Some(counter) = self.buckets.get(bucket) {
            counter.fetch_add(1, RELAXED);
        }
        self.sum_nanos.fetch_add(nanos, RELAXED);
    }

    fn snapshot(&self) -> LatencyHistogram {
        let counts = load_all(&self.buckets);
        LatencyHistogram {
            bounds: LATENCY_BUCKETS.to_vec(),
            count: counts.iter().sum(),
            counts,
            sum: self.sum_nanos.load(RELAXED) as f64 * 1e-9,
        }
    }
}

#[derive(Debug)]
struct ValueCounters {
    count: AtomicU64,
    non_finite: AtomicU64,
    sum: AtomicF64,
    sum_sq: AtomicF64,
    min: AtomicF64,
    max: AtomicF64,
}

impl ValueCounters {
    fn new() -> ValueCounters {
        ValueCounters {
            count: AtomicU64::new(0),
            non_finite: AtomicU64::new(0),
            sum: AtomicF64::new(0.0),
            sum_sq: AtomicF64::new(0.0),
            min: AtomicF64::new(f64::INFINITY),
            max: AtomicF64::new(f64::NEG_INFINITY),
        }
    }

    fn add_many(&self, values: impl Iterator<Item = Option<f64>>) {
        let (mut n, mut bad, mut sum, mut sum_sq) = (0u64, 0u64, 0.0f64, 0.0f64);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            match v {
                Some(v) if v.is_finite() => {
                    n += 1;
                    sum += v;
                    sum_sq += v * v;
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                _ => bad += 1,
            }
        }
        if n > 0 {
            self.count.fetch_add(n, RELAXED);
            self.sum.add(sum);
            self.sum_sq.add(sum_sq);
            self.min.min(lo);
            self.max.max(hi);
        }
        if bad > 0 {
            self.non_finite.fetch_add(bad, RELAXED);
        }
    }

    fn add(&self, v: Option<f64>) {
        match v {
            Some(v) if v.is_finite() => {
                self.count.fetch_add(1, RELAXED);
                self.sum.add(v);
                self.sum_sq.add(v * v);
                self.min.min(v);
                self.max.max(v);
            }
            _ => {
                self.non_finite.fetch_add(1, RELAXED);
            }
        }
    }

    fn snapshot(&self) -> ValueSummary {
        let count = self.count.load(RELAXED);
        let present = |v: f64| (count > 0 && v.is_finite()).then_some(v);
        ValueSummary {
            count,
            non_finite: self.non_finite.load(RELAXED),
            sum: self.sum.load(),
            sum_sq: self.sum_sq.load(),
            min: present(self.min.load()),
            max: present(self.max.load()),
        }
    }
}

#[derive(Debug)]
enum PredictionCounters {
    Classes {
        lookup: ClassLookup,
        /// One per class, then unknown labels and nulls.
        counts: Box<[AtomicU64]>,
    },
    Values(ValueCounters),
}

#[derive(Debug)]
enum OutcomeCounters {
    Classes {
        total: AtomicU64,
        correct: AtomicU64,
        /// `(classes + 1)²`, row-major: row = actual, column = predicted; the last row
        /// and column are labels outside the known classes.
        confusion: Option<Box<[AtomicU64]>>,
    },
    Values(Mutex<RegressionOutcomes>),
}

/// Streaming moments of a series, by Welford's update (merged by Chan et al.'s formula),
/// so the variance keeps its precision however large the mean.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Moments {
    /// Number of observations.
    pub count: u64,
    /// Their mean (0 when there are none).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    /// The smallest observation.
    pub min: Option<f64>,
    /// The largest observation.
    pub max: Option<f64>,
}

impl Moments {
    /// Add one observation (finite; callers check).
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = Some(self.min.map_or(x, |m| m.min(x)));
        self.max = Some(self.max.map_or(x, |m| m.max(x)));
    }

    /// Combine with the moments of another series (Chan et al.).
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.count += other.count;
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, other.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The sum of the observations.
    pub fn sum(&self) -> f64 {
        self.mean * self.count as f64
    }

    /// The sum of the squared observations.
    pub fn sum_sq(&self) -> f64 {
        self.m2 + self.count as f64 * self.mean * self.mean
    }

    /// The mean, `None` without observations.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// The sample variance (`ddof = 1`), `None` with fewer than two observations.
    pub fn variance(&self) -> Option<f64> {
        (self.count > 1).then(|| self.m2 / (self.count - 1) as f64)
    }
}

#[derive(Debug, Default)]
struct RegressionOutcomes {
    abs_error: Moments,
    error_sum: f64,
}

#[derive(Debug)]
struct ComparisonCounters {
    compared: AtomicU64,
    agreed: AtomicU64,
    incomparable: AtomicU64,
    abs_diff_sum: AtomicF64,
    max_abs_diff: AtomicF64,
}

/// Live metrics of one served variant (a model version in a role: champion, canary,
/// shadow, an A/B arm). `Send + Sync`: share it behind an `Arc` and record from any
/// thread. See the [module documentation](self) for what is recorded.
#[derive(Debug)]
pub struct VariantMetrics {
    kind: OutputKind,
    requests: AtomicU64,
    errors: AtomicU64,
    rows: AtomicU64,
    latency: Histogram,
    predictions: PredictionCounters,
    outcomes: OutcomeCounters,
    rewards: Mutex<Moments>,
    comparisons: ComparisonCounters,
}

fn invalid_label(column: &str, value: &Value, hint: &str) -> Error {
    Error::InvalidValue {
        column: column.to_string(),
        row: 0,
        value: match value {
            Value::Null => "null".to_string(),
            Value::Float(f) => f.to_string(),
            other => format!("{other:?}"),
        },
        hint: hint.to_string(),
    }
}

impl VariantMetrics {
    /// Empty metrics for a model of output `kind`.
    pub fn new(kind: OutputKind) -> VariantMetrics {
        let (predictions, outcomes) = match &kind {
            OutputKind::Classification { classes } => {
                let lookup = ClassLookup::new(classes.clone());
                let slots = lookup.len() + 1;
                let confusion = (lookup.len() <= MAX_CONFUSION_CLASSES).then(|| counters(slots * slots));
                (
                    PredictionCounters::Classes {
                        lookup,
                        counts: counters(slots),
                    },
                    OutcomeCounters::Classes {
                        total: AtomicU64::new(0),
                        correct: AtomicU64::new(0),
                        confusion,
                    },
                )
            }
            OutputKind::Regression => (
                PredictionCounters::Values(ValueCounters::new()),
                OutcomeCounters::Values(Mutex::new(RegressionOutcomes::default())),
            ),
        };
        VariantMetrics {
            kind,
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            latency: Histogram::new(),
            predictions,
            outcomes,
            rewards: Mutex::new(Moments::default()),
            comparisons: ComparisonCounters {
                compared: AtomicU64::new(0),
                agreed: AtomicU64::new(0),
                incomparable: AtomicU64::new(0),
                abs_diff_sum: AtomicF64::new(0.0),
                max_abs_diff: AtomicF64::new(0.0),
            },
        }
    }

    /// Empty metrics for a fitted pipeline ([`OutputKind::of_pipeline`]).
    pub fn for_pipeline(pipeline: &FittedPipeline) -> VariantMetrics {
        VariantMetrics::new(OutputKind::of_pipeline(pipeline))
    }

    /// The output kind these metrics summarise.
    pub fn kind(&self) -> &OutputKind {
        &self.kind
    }

    /// A successful batch request that took `latency` and predicted `predictions` (the
    /// array [`FittedPipeline::predict`] returns: labels of any Arrow type for a
    /// classifier, numbers for a regressor). Labels outside the known classes and nulls
    /// are counted as unknown; non-finite or non-numeric regression values are counted
    /// in [`ValueSummary::non_finite`].
    pub fn record_batch(&self, latency: Duration, predictions: &ArrayRef) {
        self.requests.fetch_add(1, RELAXED);
        self.rows.fetch_add(predictions.len() as u64, RELAXED);
        self.latency.observe(latency);
        match &self.predictions {
            PredictionCounters::Classes { lookup, counts } => {
                let mut local = vec![0u64; counts.len()];
                lookup.count_array(predictions, &mut local);
                for (counter, n) in counts.iter().zip(local) {
                    if n > 0 {
                        counter.fetch_add(n, RELAXED);
                    }
                }
            }
            PredictionCounters::Values(values) => {
                match cast_with_options(predictions, &DataType::Float64, &CastOptions::default()) {
                    Ok(cast) if predictions.data_type().is_numeric() => {
                        values.add_many(cast.as_primitive::<Float64Type>().iter());
                    }
                    _ => values.add_many((0..predictions.len()).map(|_| None)),
                }
            }
        }
    }

    /// A successful one-row request that took `latency` and predicted `prediction`.
    pub fn record_row(&self, latency: Duration, prediction: &Value) {
        self.requests.fetch_add(1, RELAXED);
        self.rows.fetch_add(1, RELAXED);
        self.latency.observe(latency);
        match &self.predictions {
            PredictionCounters::Classes { lookup, counts } => {
                let slot = lookup.of_value(prediction).unwrap_or(lookup.len());
                if let Some(counter) = counts.get(slot) {
                    counter.fetch_add(1, RELAXED);
                }
            }
            PredictionCounters::Values(values) => values.add(prediction.as_f64()),
        }
    }

    /// A failed request (of any size) that took `latency`. It counts in
    /// [`MetricsSnapshot::requests`], [`MetricsSnapshot::errors`] and the latency
    /// histogram.
    pub fn record_error(&self, latency: Duration) {
        self.requests.fetch_add(1, RELAXED);
        self.errors.fetch_add(1, RELAXED);
        self.latency.observe(latency);
    }

    /// A label fed back: the model predicted `predicted`, the truth was `actual`.
    ///
    /// A classifier counts it correct when both are the same known class (labels may
    /// arrive as text, integers, booleans or integral floats: `Int(1)`, `Float(1.0)` and
    /// `Str("1")` are class `"1"`). An `actual` (or `predicted`) label outside the
    /// known classes is counted, as incorrect, in the confusion matrix's unknown row
    /// (column). A regressor adds `|predicted - actual|`, its square and the signed
    /// error `predicted - actual`.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for a null or NaN label or value (nothing is recorded);
    /// [`Error::ColumnType`] for a value that is not a number on a regressor, or a
    /// timestamp on a classifier.
    pub fn record_outcome(&self, predicted: &Value, actual: &Value) -> Result<()> {
        for (name, v) in [("predicted", predicted), ("actual", actual)] {
            if v.is_missing() {
                return Err(invalid_label(
                    name,
                    v,
                    "an outcome needs both the prediction and the true label; skip rows whose label is unknown",
                ));
            }
        }
        match &self.outcomes {
            OutcomeCounters::Classes {
                total,
                correct,
                confusion,
            } => {
                for (name, v) in [("predicted", predicted), ("actual", actual)] {
                    if matches!(v, Value::Timestamp(_)) {
                        return Err(Error::column_type(
                            name,
                            "a class label (string, integer or boolean) for this classifier",
                            v.type_name(),
                        ));
                    }
                }
                let PredictionCounters::Classes { lookup, .. } = &self.predictions else {
                    return Err(Error::InvalidData(
                        "metrics hold classification outcomes without class labels".into(),
                    ));
                };
                let p = lookup.of_value(predicted);
                let a = lookup.of_value(actual);
                total.fetch_add(1, RELAXED);
                if p.is_some() && p == a {
                    correct.fetch_add(1, RELAXED);
                }
                if let Some(matrix) = confusion {
                    let k = lookup.len();
                    let index = a.unwrap_or(k) * (k + 1) + p.unwrap_or(k);
                    if let Some(cell) = matrix.get(index) {
                        cell.fetch_add(1, RELAXED);
                    }
                }
            }
            OutcomeCounters::Values(outcomes) => {
                let mut numbers = [0.0; 2];
                for ((name, v), slot) in [("predicted", predicted), ("actual", actual)]
                    .into_iter()
                    .zip(&mut numbers)
                {
                    let x = match v {
                        Value::Float(x) => *x,
                        Value::Int(i) => *i as f64,
                        other => {
                            return Err(Error::column_type(
                                name,
                                "a number for this regression model",
                                other.type_name(),
                            ))
                        }
                    };
                    if !x.is_finite() {
                        return Err(invalid_label(name, v, "outcomes must be finite numbers"));
                    }
                    *slot = x;
                }
                let error = numbers[0] - numbers[1];
                if !error.is_finite() {
                    return Err(invalid_label(
                        "predicted",
                        predicted,
                        "the error predicted - actual overflows a float",
                    ));
                }
                let mut guard = outcomes.lock().unwrap_or_else(PoisonError::into_inner);
                guard.abs_error.push(error.abs());
                guard.error_sum += error;
            }
        }
        Ok(())
    }

    /// A business outcome (revenue, conversion as 0/1, …) of a request this variant
    /// served, for A/B tests on [`AbOutcome::Reward`](super::abtest::AbOutcome::Reward).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a NaN or infinite value (nothing is recorded).
    pub fn record_reward(&self, value: f64) -> Result<()> {
        if !value.is_finite() {
            return Err(Error::param("reward", value, "a reward must be a finite number"));
        }
        self.rewards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(value);
        Ok(())
    }

    /// A shadow comparison: the live model answered `live`, this (shadow) variant
    /// answered `shadow` on the same request. A classifier counts agreement (same known
    /// class, or equal labels); a regressor sums `|live - shadow|` (and counts exact
    /// agreement). A null or NaN on either side, or values that cannot be compared, are
    /// counted as incomparable.
    pub fn record_comparison(&self, live: &Value, shadow: &Value) {
        let c = &self.comparisons;
        if live.is_missing() || shadow.is_missing() {
            c.incomparable.fetch_add(1, RELAXED);
            return;
        }
        match &self.predictions {
            PredictionCounters::Classes { lookup, .. } => {
                let agreed = match (lookup.of_value(live), lookup.of_value(shadow)) {
                    (Some(a), Some(b)) => a == b,
                    _ => live == shadow,
                };
                c.compared.fetch_add(1, RELAXED);
                if agreed {
                    c.agreed.fetch_add(1, RELAXED);
                }
            }
            PredictionCounters::Values(_) => match (live.as_f64(), shadow.as_f64()) {
                (Some(a), Some(b)) if (a - b).is_finite() => {
                    let diff = (a - b).abs();
                    c.compared.fetch_add(1, RELAXED);
                    if diff == 0.0 {
                        c.agreed.fetch_add(1, RELAXED);
                    }
                    c.abs_diff_sum.add(diff);
                    c.max_abs_diff.max(diff);
                }
                _ => {
                    c.incomparable.fetch_add(1, RELAXED);
                }
            },
        }
    }

    /// A consistent-enough copy of every counter (each counter is read atomically;
    /// requests recorded while the snapshot is taken may be seen in some counters and
    /// not yet in others).
    pub fn snapshot(&self) -> MetricsSnapshot {
        let predictions = match &self.predictions {
            PredictionCounters::Classes { lookup, counts } => {
                let mut all = load_all(counts);
                let unknown = all.pop().unwrap_or(0);
                PredictionSummary::Classes {
                    classes: lookup.names.clone(),
                    counts: all,
                    unknown,
                }
            }
            PredictionCounters::Values(values) => PredictionSummary::Values(values.snapshot()),
        };
        let outcomes = match &self.outcomes {
            OutcomeCounters::Classes {
                total,
                correct,
                confusion,
            } => {
                let k = predictions.class_labels().map_or(0, <[String]>::len);
                OutcomeSummary::Classes {
                    total: total.load(RELAXED),
                    correct: correct.load(RELAXED),
                    confusion: confusion
                        .as_ref()
                        .map(|m| load_all(m).chunks(k + 1).map(<[u64]>::to_vec).collect()),
                }
            }
            OutcomeCounters::Values(outcomes) => {
                let guard = outcomes.lock().unwrap_or_else(PoisonError::into_inner);
                OutcomeSummary::Values {
                    abs_error: guard.abs_error,
                    error_sum: guard.error_sum,
                }
            }
        };
        let c = &self.comparisons;
        let compared = c.compared.load(RELAXED);
        MetricsSnapshot {
            requests: self.requests.load(RELAXED),
            errors: self.errors.load(RELAXED),
            rows: self.rows.load(RELAXED),
            latency: self.latency.snapshot(),
            predictions,
            outcomes,
            rewards: *self.rewards.lock().unwrap_or_else(PoisonError::into_inner),
            comparisons: ComparisonSummary {
                compared,
                agreed: c.agreed.load(RELAXED),
                incomparable: c.incomparable.load(RELAXED),
                abs_diff_sum: c.abs_diff_sum.load(),
                max_abs_diff: (compared > 0 && matches!(self.kind, OutputKind::Regression))
                    .then(|| c.max_abs_diff.load()),
            },
        }
    }
}

/// The latency histogram of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyHistogram {
    /// Upper bounds (seconds) of the finite buckets, ascending ([`LATENCY_BUCKETS`]).
    pub bounds: Vec<f64>,
    /// Observations per bucket, *not* cumulative: `bounds.len() + 1` entries, the last
    /// one for observations above the largest bound (the `+Inf` bucket).
    pub counts: Vec<u64>,
    /// Sum of the observed latencies, in seconds.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl LatencyHistogram {
    /// Cumulative counts per bucket, as Prometheus' `_bucket{le=…}` series (the last is
    /// `le="+Inf"` and equals [`count`](LatencyHistogram::count)).
    pub fn cumulative(&self) -> Vec<u64> {
        self.counts
            .iter()
            .scan(0u64, |acc, &c| {
                *acc += c;
                Some(*acc)
            })
            .collect()
    }

    /// The `q`-quantile estimated from the buckets exactly as Prometheus'
    /// `histogram_quantile` does: find the bucket holding rank `q * count`, then
    /// interpolate linearly between its lower and upper bound (the first bucket starts
    /// at 0). A rank in the `+Inf` bucket gives the largest finite bound. NaN without
    /// observations or for a NaN `q`; `-inf` for `q < 0`, `+inf` for `q > 1`.
    pub fn quantile(&self, q: f64) -> f64 {
        if q.is_nan() {
            return f64::NAN;
        }
        if q < 0.0 {
            return f64::NEG_INFINITY;
        }
        if q > 1.0 {
            return f64::INFINITY;
        }
        let cumulative = self.cumulative();
        let total = cumulative.last().copied().unwrap_or(0);
        if total == 0 || self.bounds.is_empty() {
            return f64::NAN;
        }
        let rank = q * total as f64;
        let finite = cumulative.get(..self.bounds.len()).unwrap_or(&[]);
        let b = finite.partition_point(|&c| (c as f64) < rank);
        let (Some(&end), Some(&cum)) = (self.bounds.get(b), cumulative.get(b)) else {
            return self.bounds.last().copied().unwrap_or(f64::NAN);
        };
        let (start, before) = match b.checked_sub(1) {
            Some(prev) => (
                self.bounds.get(prev).copied().unwrap_or(0.0),
                cumulative.get(prev).copied().unwrap_or(0),
            ),
            None => (0.0, 0),
        };
        let in_bucket = (cum - before) as f64;
        if in_bucket == 0.0 {
            return start;
        }
        start + (end - start) * ((rank - before as f64) / in_bucket)
    }
}

/// Summary of the predicted values of a regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueSummary {
    /// Finite predictions seen.
    pub count: u64,
    /// Predictions that were NaN, infinite, null or not numbers (not in the sums).
    pub non_finite: u64,
    /// Sum of the finite predictions.
    pub sum: f64,
    /// Sum of their squares.
    pub sum_sq: f64,
    /// The smallest.
    pub min: Option<f64>,
    /// The largest.
    pub max: Option<f64>,
}

impl ValueSummary {
    /// Mean prediction, `None` without predictions.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// Population standard deviation of the predictions (from the sums: fine for
    /// monitoring a distribution, not for hypothesis tests), `None` without predictions.
    pub fn std(&self) -> Option<f64> {
        let mean = self.mean()?;
        Some((self.sum_sq / self.count as f64 - mean * mean).max(0.0).sqrt())
    }
}

/// The distribution of a variant's predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictionSummary {
    /// A classifier: one count per class.
    Classes {
        /// The class labels, as text.
        classes: Vec<String>,
        /// Predictions per class, in the order of `classes`.
        counts: Vec<u64>,
        /// Predictions outside the known classes, and nulls.
        unknown: u64,
    },
    /// A regressor.
    Values(ValueSummary),
}

impl PredictionSummary {
    /// The class labels (classifiers only).
    pub fn class_labels(&self) -> Option<&[String]> {
        match self {
            PredictionSummary::Classes { classes, .. } => Some(classes),
            PredictionSummary::Values(_) => None,
        }
    }

    /// How often `label` was predicted (classifiers only; `None` for a label that is
    /// not a known class).
    pub fn class_count(&self, label: &str) -> Option<u64> {
        match self {
            PredictionSummary::Classes { classes, counts, .. } => classes
                .iter()
                .position(|c| c == label)
                .and_then(|i| counts.get(i).copied()),
            PredictionSummary::Values(_) => None,
        }
    }
}

/// The outcomes (labels fed back) of a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeSummary {
    /// A classifier.
    Classes {
        /// Labelled predictions.
        total: u64,
        /// Of which correct.
        correct: u64,
        /// `confusion[actual][predicted]` over the classes in
        /// [`PredictionSummary::Classes`] order plus a last row/column for labels
        /// outside them; `None` above [`MAX_CONFUSION_CLASSES`] classes.
        confusion: Option<Vec<Vec<u64>>>,
    },
    /// A regressor.
    Values {
        /// Moments of `|predicted - actual|` (so `abs_error.sum_sq()` is the sum of
        /// squared errors).
        abs_error: Moments,
        /// Sum of `predicted - actual` (the bias, once divided by the count).
        error_sum: f64,
    },
}

/// Shadow comparisons recorded on a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonSummary {
    /// Pairs compared.
    pub compared: u64,
    /// Of which the answers agreed (same class; exactly equal values for a regressor).
    pub agreed: u64,
    /// Pairs with a missing answer, or answers that could not be compared.
    pub incomparable: u64,
    /// Sum of `|live - shadow|` (regressors; 0 for classifiers).
    pub abs_diff_sum: f64,
    /// The largest `|live - shadow|` (regressors with comparisons only).
    pub max_abs_diff: Option<f64>,
}

impl ComparisonSummary {
    /// Share of compared pairs that agreed, `None` without comparisons.
    pub fn agreement(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.agreed as f64 / self.compared as f64)
    }

    /// Mean `|live - shadow|`, `None` without comparisons (0 for classifiers).
    pub fn mean_abs_diff(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.abs_diff_sum / self.compared as f64)
    }
}

/// A plain copy of a [`VariantMetrics`] at one moment: serializable, comparable, and
/// what the [A/B tests](super::abtest) and [`prometheus_text`] read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    /// Requests, successful and failed.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Rows predicted by successful requests.
    pub rows: u64,
    /// Latency of every request (failed ones too).
    pub latency: LatencyHistogram,
    /// The prediction distribution.
    pub predictions: PredictionSummary,
    /// Labels fed back.
    pub outcomes: OutcomeSummary,
    /// Business rewards.
    pub rewards: Moments,
    /// Shadow comparisons.
    pub comparisons: ComparisonSummary,
}

impl MetricsSnapshot {
    /// Failed requests / requests; NaN without requests.
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            f64::NAN
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    /// The `q`-quantile of latency in seconds, as Prometheus' `histogram_quantile`
    /// estimates it ([`LatencyHistogram::quantile`]); NaN without requests.
    pub fn latency_quantile(&self, q: f64) -> f64 {
        self.latency.quantile(q)
    }

    /// Labelled predictions (or regression errors) fed back.
    pub fn outcome_count(&self) -> u64 {
        match &self.outcomes {
            OutcomeSummary::Classes { total, .. } => *total,
            OutcomeSummary::Values { abs_error, .. } => abs_error.count,
        }
    }

    /// Share of correct labelled predictions (classifiers with outcomes only).
    pub fn accuracy(&self) -> Option<f64> {
        match &self.outcomes {
            OutcomeSummary::Classes { total, correct, .. } if *total > 0 => {
                Some(*correct as f64 / *total as f64)
            }
            _ => None,
        }
    }

    /// Mean absolute error (regressors with outcomes only).
    pub fn mae(&self) -> Option<f64> {
        match &self.outcomes {
            OutcomeSummary::Values { abs_error, .. } => abs_error.mean(),
            OutcomeSummary::Classes { .. } => None,
        }
    }

    /// Root mean squared error (regressors with outcomes only).
    pub fn rmse(&self) -> Option<f64> {
        match &self.outcomes {
            OutcomeSummary::Values { abs_error, .. } if abs_error.count > 0 => {
                Some((abs_error.sum_sq() / abs_error.count as f64).max(0.0).sqrt())
            }
            _ => None,
        }
    }

    /// Mean signed error `predicted - actual` (regressors with outcomes only).
    pub fn mean_error(&self) -> Option<f64> {
        match &self.outcomes {
            OutcomeSummary::Values { abs_error, error_sum } if abs_error.count > 0 => {
                Some(error_sum / abs_error.count as f64)
            }
            _ => None,
        }
    }

    /// Mean reward, `None` without rewards.
    pub fn reward_mean(&self) -> Option<f64> {
        self.rewards.mean()
    }
}

/// The labels that identify one variant's series in [`prometheus_text`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesLabels {
    /// The model's name.
    pub model: String,
    /// The variant's role (`champion`, `canary`, `shadow`, an A/B arm, …).
    pub variant: String,
    /// The model version.
    pub version: u64,
}

/// Escape a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A float as Prometheus reads it (`+Inf`, `-Inf`, `NaN`, or Rust's shortest
/// round-trip form, which Go's `ParseFloat` accepts).
fn prom_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v:?}")
    }
}

/// Renders one family's samples, with `# HELP`/`# TYPE` once.
struct Family<'a> {
    name: &'a str,
    help: &'a str,
    kind: &'a str,
    lines: String,
}

impl<'a> Family<'a> {
    fn new(name: &'a str, kind: &'a str, help: &'a str) -> Family<'a> {
        Family {
            name,
            help,
            kind,
            lines: String::new(),
        }
    }

    fn sample(&mut self, suffix: &str, labels: &str, extra: &[(&str, &str)], value: &str) {
        let _ = write!(self.lines, "{}{suffix}{{{labels}", self.name);
        for (k, v) in extra {
            let _ = write!(self.lines, ",{k}=\"{}\"", escape_label(v));
        }
        let _ = writeln!(self.lines, "}} {value}");
    }

    fn write_to(&self, out: &mut String) {
        if self.lines.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        out.push_str(&self.lines);
    }
}

/// Prometheus text exposition (format 0.0.4) of the metrics of several variants.
///
/// Every series carries the labels `model`, `variant` and `version` (values escaped:
/// `\` → `\\`, `"` → `\"`, newline → `\n`). `# HELP` and `# TYPE` appear once per
/// family; families with no sample (e.g. accuracy before any label arrived) are left
/// out. The families:
///
/// | family | type | extra labels |
/// |---|---|---|
/// | `ferrops_requests_total` | counter | |
/// | `ferrops_request_errors_total` | counter | |
/// | `ferrops_predicted_rows_total` | counter | |
/// | `ferrops_request_duration_seconds` | histogram (`_bucket{le}`, `_sum`, `_count`) | `le` |
/// | `ferrops_predictions_total` | counter (classifiers) | `class` ([`UNKNOWN_CLASS`] for others) |
/// | `ferrops_prediction_value_mean`, `_min`, `_max` | gauge (regressors) | |
/// | `ferrops_prediction_non_finite_total` | counter (regressors) | |
/// | `ferrops_outcomes_total` | counter | |
/// | `ferrops_outcomes_correct_total` | counter (classifiers) | |
/// | `ferrops_accuracy` | gauge (classifiers with outcomes) | |
/// | `ferrops_mae`, `ferrops_rmse` | gauge (regressors with outcomes) | |
/// | `ferrops_rewards_total` | counter | |
/// | `ferrops_reward_mean` | gauge (with rewards) | |
/// | `ferrops_shadow_comparisons_total` | counter | |
/// | `ferrops_shadow_agreement` | gauge (with comparisons) | |
/// | `ferrops_shadow_mean_abs_diff` | gauge (regressors with comparisons) | |
///
/// Two entries with the same labels would give duplicate series: give each variant
/// distinct labels.
pub fn prometheus_text(series: &[(SeriesLabels, MetricsSnapshot)]) -> String {
    let mut requests = Family::new(
        "ferrops_requests_total",
        "counter",
        "Requests served, successful and failed.",
    );
    let mut errors = Family::new("ferrops_request_errors_total", "counter", "Requests that failed.");
    let mut rows = Family::new(
        "ferrops_predicted_rows_total",
        "counter",
        "Rows predicted by successful requests.",
    );
    let mut latency = Family::new(
        "ferrops_request_duration_seconds",
        "histogram",
        "Request latency in seconds, failed requests included.",
    );
    let mut classes = Family::new(
        "ferrops_predictions_total",
        "counter",
        "Predictions per class label (classifiers).",
    );
    let mut value_mean = Family::new(
        "ferrops_prediction_value_mean",
        "gauge",
        "Mean predicted value (regressors).",
    );
    let mut value_min = Family::new(
        "ferrops_prediction_value_min",
        "gauge",
        "Smallest predicted value (regressors).",
    );
    let mut value_max = Family::new(
        "ferrops_prediction_value_max",
        "gauge",
        "Largest predicted value (regressors).",
    );
    let mut non_finite = Family::new(
        "ferrops_prediction_non_finite_total",
        "counter",
        "Predictions that were not finite numbers (regressors).",
    );
    let mut outcomes = Family::new("ferrops_outcomes_total", "counter", "Labels fed back.");
    let mut correct = Family::new(
        "ferrops_outcomes_correct_total",
        "counter",
        "Labels fed back that the prediction matched (classifiers).",
    );
    let mut accuracy = Family::new(
        "ferrops_accuracy",
        "gauge",
        "Accuracy on the labels fed back (classifiers).",
    );
    let mut mae = Family::new(
        "ferrops_mae",
        "gauge",
        "Mean absolute error on the labels fed back (regressors).",
    );
    let mut rmse = Family::new(
        "ferrops_rmse",
        "gauge",
        "Root mean squared error on the labels fed back (regressors).",
    );
    let mut rewards = Family::new("ferrops_rewards_total", "counter", "Business rewards recorded.");
    let mut reward_mean = Family::new("ferrops_reward_mean", "gauge", "Mean business reward.");
    let mut comparisons = Family::new(
        "ferrops_shadow_comparisons_total",
        "counter",
        "Shadow answers compared with the live answer.",
    );
    let mut agreement = Family::new(
        "ferrops_shadow_agreement",
        "gauge",
        "Share of shadow answers equal to the live answer.",
    );
    let mut abs_diff = Family::new(
        "ferrops_shadow_mean_abs_diff",
        "gauge",
        "Mean absolute difference between shadow and live answers (regressors).",
    );

    for (labels, snap) in series {
        let base = format!(
            "model=\"{}\",variant=\"{}\",version=\"{}\"",
            escape_label(&labels.model),
            escape_label(&labels.variant),
            labels.version
        );
        requests.sample("", &base, &[], &snap.requests.to_string());
        errors.sample("", &base, &[], &snap.errors.to_string());
        rows.sample("", &base, &[], &snap.rows.to_string());

        let hist = &snap.latency;
        let cumulative = hist.cumulative();
        for (bound, cum) in hist.bounds.iter().zip(&cumulative) {
            latency.sample("_bucket", &base, &[("le", &prom_float(*bound))], &cum.to_string());
        }
        latency.sample("_bucket", &base, &[("le", "+Inf")], &hist.count.to_string());
        latency.sample("_sum", &base, &[], &prom_float(hist.sum));
        latency.sample("_count", &base, &[], &hist.count.to_string());

        match &snap.predictions {
            PredictionSummary::Classes {
                classes: labels,
                counts,
                unknown,
            } => {
                for (label, count) in labels.iter().zip(counts) {
                    classes.sample("", &base, &[("class", label)], &count.to_string());
                }
                if *unknown > 0 {
                    classes.sample("", &base, &[("class", UNKNOWN_CLASS)], &unknown.to_string());
                }
            }
            PredictionSummary::Values(v) => {
                if let Some(m) = v.mean() {
                    value_mean.sample("", &base, &[], &prom_float(m));
                }
                if let Some(m) = v.min {
                    value_min.sample("", &base, &[], &prom_float(m));
                }
                if let Some(m) = v.max {
                    value_max.sample("", &base, &[], &prom_float(m));
                }
                non_finite.sample("", &base, &[], &v.non_finite.to_string());
            }
        }

        outcomes.sample("", &base, &[], &snap.outcome_count().to_string());
        if let OutcomeSummary::Classes { correct: n, .. } = &snap.outcomes {
            correct.sample("", &base, &[], &n.to_string());
        }
        if let Some(a) = snap.accuracy() {
            accuracy.sample("", &base, &[], &prom_float(a));
        }
        if let Some(v) = snap.mae() {
            mae.sample("", &base, &[], &prom_float(v));
        }
        if let Some(v) = snap.rmse() {
            rmse.sample("", &base, &[], &prom_float(v));
        }
        rewards.sample("", &base, &[], &snap.rewards.count.to_string());
        if let Some(v) = snap.reward_mean() {
            reward_mean.sample("", &base, &[], &prom_float(v));
        }
        comparisons.sample("", &base, &[], &snap.comparisons.compared.to_string());
        if let Some(v) = snap.comparisons.agreement() {
            agreement.sample("", &base, &[], &prom_float(v));
        }
        if matches!(snap.predictions, PredictionSummary::Values(_)) {
            if let Some(v) = snap.comparisons.mean_abs_diff() {
                abs_diff.sample("", &base, &[], &prom_float(v));
            }
        }
    }

    let mut out = String::new();
    for family in [
        &requests,
        &errors,
        &rows,
        &latency,
        &classes,
        &value_mean,
        &value_min,
        &value_max,
        &non_finite,
        &outcomes,
        &correct,
        &accuracy,
        &mae,
        &rmse,
        &rewards,
        &reward_mean,
        &comparisons,
        &agreement,
        &abs_diff,
    ] {
        family.write_to(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn bucket_bounds_agree() {
        for (s, n) in LATENCY_BUCKETS.iter().zip(LATENCY_BUCKETS_NANOS) {
            assert_eq!((s * 1e9).round() as u64, n);
        }
        assert!(LATENCY_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bucket_edges_are_inclusive() {
        let h = Histogram::new();
        h.observe(Duration::from_micros(1));
        h.observe(Duration::from_nanos(1_001));
        h.observe(Duration::from_secs(11));
        let s = h.snapshot();
        assert_eq!(s.counts[0], 1);
        assert_eq!(s.counts[1], 1);
        assert_eq!(*s.counts.last().unwrap(), 1);
        assert_eq!(s.count, 3);
    }

    #[test]
    fn atomic_f64_min_max() {
        let a = AtomicF64::new(f64::INFINITY);
        a.min(3.0);
        a.min(5.0);
        a.min(-1.0);
        assert_eq!(a.load(), -1.0);
        let b = AtomicF64::new(f64::NEG_INFINITY);
        b.max(3.0);
        b.max(2.0);
        assert_eq!(b.load(), 3.0);
    }

    #[test]
    fn moments_merge_equals_sequential() {
        let xs = [1.0, 2.5, -3.0, 1e6, 7.25, 0.0];
        let mut all = Moments::default();
        xs.iter().for_each(|&x| all.push(x));
        let mut a = Moments::default();
        let mut b = Moments::default();
        xs[..2].iter().for_each(|&x| a.push(x));
        xs[2..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        assert_eq!(a.count, all.count);
        assert!((a.mean - all.mean).abs() < 1e-9);
        assert!((a.m2 - all.m2).abs() / all.m2 < 1e-12);
        assert_eq!((a.min, a.max), (all.min, all.max));
    }
}
