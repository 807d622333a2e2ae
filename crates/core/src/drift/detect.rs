//! [`DriftDetector`]: per-column drift tests of a current table against a reference.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::profile::{push_finite, Profile};
use super::report::{
    ColumnDrift, ColumnStatus, Correction, DriftReport, DriftTest, Histogram, Measure, SideCounts,
};
use super::stats::{self, PMethod};
use super::Sample;
use crate::data::profile::{classify, ColumnKind};
use crate::data::table::str_values;
use crate::error::{Error, Result};

/// Below this many testable values on the smaller side, automatic selection uses a
/// hypothesis test (p-value); above it, a distance.
pub const DEFAULT_SMALL_SAMPLE: u64 = 1_000;

/// A numeric column whose reference has at most this many distinct values is tested
/// as categorical by automatic selection.
pub const FEW_DISTINCT: usize = 5;

/// The default threshold of `test`: the significance level 0.05 for hypothesis tests
/// (drift when the p-value is below it), 0.1 for every distance (drift at or above it;
/// for [`DriftTest::Wasserstein`] in the column's units, 0.1 reference standard
/// deviations).
pub fn default_threshold(test: DriftTest) -> f64 {
    if test.is_hypothesis_test() {
        0.05
    } else {
        0.1
    }
}

/// Settings of a drift run. Every field has a default (see [`Default`]); JSON with any
/// subset of the fields is accepted (as the Python layer sends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftOptions {
    /// Columns to test (default: every profiled column of the reference except
    /// timestamps, which drift by construction).
    pub columns: Option<Vec<String>>,
    /// A test per column, overriding the automatic choice.
    pub tests: BTreeMap<String, DriftTest>,
    /// A threshold per column, overriding the test's default.
    pub thresholds: BTreeMap<String, f64>,
    /// The test of every numeric column without its own (default: automatic).
    pub numeric_test: Option<DriftTest>,
    /// The test of every categorical or boolean column without its own (default: automatic).
    pub categorical_test: Option<DriftTest>,
    /// A default threshold per test, overriding [`default_threshold`].
    pub test_thresholds: BTreeMap<DriftTest, f64>,
    /// Multiple-testing correction of the hypothesis tests' p-values (default none).
    pub correction: Correction,
    /// The dataset drifts when at least this share of the tested columns drift
    /// (default 0.5).
    pub share_threshold: f64,
    /// Bins from reference quantiles for the binned measures on numeric columns
    /// (default 10).
    pub n_bins: usize,
    /// The share that replaces an empty bin in PSI (default [`stats::PSI_EPSILON`]).
    pub psi_epsilon: f64,
    /// Automatic selection uses a hypothesis test while the smaller side has at most
    /// this many values (default [`DEFAULT_SMALL_SAMPLE`]).
    pub small_sample: u64,
    /// Equal-width bins of the numeric histograms in the report (default 20; 0: none).
    pub plot_bins: usize,
    /// More measures to compute on every column they apply to (numeric-only tests skip
    /// categorical columns), reported in [`ColumnDrift::also`] beside the verdict's
    /// test and never used for the verdict. The column is read and sorted once for all.
    pub also: Vec<DriftTest>,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            columns: None,
            tests: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            numeric_test: None,
            categorical_test: None,
            test_thresholds: BTreeMap::new(),
            correction: Correction::None,
            share_threshold: 0.5,
            n_bins: 10,
            psi_epsilon: stats::PSI_EPSILON,
            small_sample: DEFAULT_SMALL_SAMPLE,
            plot_bins: 20,
            also: Vec::new(),
        }
    }
}

impl DriftOptions {
    /// Check the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        if !(self.share_threshold > 0.0 && self.share_threshold <= 1.0) {
            return Err(Error::param(
                "share_threshold",
                self.share_threshold,
                "must be in (0, 1]: the share of tested columns that must drift for the dataset to drift",
            ));
        }
        if self.n_bins < 2 || self.n_bins > 10_000 {
            return Err(Error::param("n_bins", self.n_bins, "must be in 2..=10000"));
        }
        if self.plot_bins > 200 {
            return Err(Error::param(
                "plot_bins",
                self.plot_bins,
                "must be at most 200 (0 for no plot)",
            ));
        }
        if !(self.psi_epsilon > 0.0 && self.psi_epsilon < 1.0) {
            return Err(Error::param("psi_epsilon", self.psi_epsilon, "must be in (0, 1)"));
        }
        for (column, &t) in &self.thresholds {
            check_threshold(&format!("thresholds[{column}]"), t)?;
        }
        for (test, &t) in &self.test_thresholds {
            check_threshold(&format!("test_thresholds[{test}]"), t)?;
        }
        Ok(())
    }

    fn threshold(&self, column: &str, test: DriftTest) -> f64 {
        self.thresholds
            .get(column)
            .or_else(|| self.test_thresholds.get(&test))
            .copied()
            .unwrap_or_else(|| default_threshold(test))
    }
}

fn check_threshold(name: &str, t: f64) -> Result<()> {
    if t.is_finite() && t > 0.0 {
        Ok(())
    } else {
        Err(Error::param(name, t, "a threshold must be finite and > 0"))
    }
}

/// Category counts of one side, in a deterministic order.
#[derive(Debug, Clone)]
struct Categories {
    counts: BTreeMap<String, f64>,
    /// Values folded away by a profile's category cap.
    other: f64,
}

#[derive(Debug, Clone)]
enum Data {
    Numeric { sample: Sample, std: Option<f64> },
    Categorical(Categories),
}

#[derive(Debug, Clone)]
struct Side {
    kind: ColumnKind,
    counts: SideCounts,
    data: Data,
}

/// Drift tests of current tables against one reference, per column, with the dataset
/// verdict. The reference is prepared once ([`from_profile`](Self::from_profile) or
/// [`from_table`](Self::from_table)); every [`run`](Self::run) is a single parallel pass
/// over the current table (columns in parallel).
///
/// **Automatic test choice** (per column, unless [`DriftOptions`] names a test):
///
/// | column | smaller side ≤ `small_sample` (1,000) values | larger |
/// |---|---|---|
/// | numeric, more than 5 distinct reference values | [`Ks`](DriftTest::Ks) (p < 0.05) | [`WassersteinNormed`](DriftTest::WassersteinNormed) (≥ 0.1) |
/// | categorical, boolean, or numeric with ≤ 5 distinct values | [`ChiSquare`](DriftTest::ChiSquare) (p < 0.05) | [`JensenShannon`](DriftTest::JensenShannon) (≥ 0.1) |
///
/// With large samples every p-value test flags differences too small to matter, so
/// large samples are judged by a distance with a fixed threshold instead.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::Float64Array;
/// use arrow::record_batch::RecordBatch;
/// use ferrops::drift::{DriftDetector, DriftOptions, DriftTest};
///
/// # fn main() -> ferrops::Result<()> {
/// let column = |v: Vec<f64>| RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(v)) as _)]);
/// let reference = column((0..500).map(|i| f64::from(i) / 500.0).collect())?;
/// let current = column((0..500).map(|i| 0.3 + f64::from(i) / 500.0).collect())?;
/// let detector = DriftDetector::from_table(&reference, DriftOptions::default())?;
/// let report = detector.run(&current)?;
/// let x = report.column("x").unwrap();
/// assert_eq!(x.test, DriftTest::Ks);
/// assert!(x.drifted && report.dataset_drifted);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DriftDetector {
    options: DriftOptions,
    /// Reference columns in test order.
    reference: Vec<(String, Side)>,
    reference_rows: u64,
    /// Notes about the reference per column (sketched, truncated categories).
    notes: BTreeMap<String, Vec<String>>,
}

impl DriftDetector {
    /// A detector against a stored [`Profile`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for bad options; [`Error::ColumnNotFound`] for an
    /// option naming a column the profile lacks; [`Error::ColumnType`] for a test that
    /// does not apply to its column's kind.
    pub fn from_profile(profile: &Profile, options: DriftOptions) -> Result<Self> {
        options.validate()?;
        let names = select_columns(&options, profile.column_names(), |n| {
            profile.column(n).map(|c| c.kind()).ok()
        })?;
        let mut reference = Vec::with_capacity(names.len());
        let mut notes = BTreeMap::new();
        for name in names {
            let column = profile.column(&name)?;
            let nan = column.nan_count();
            let inf = column.inf_count();
            let mut side_notes = Vec::new();
            let data = match column.kind() {
                ColumnKind::Numeric | ColumnKind::Timestamp => {
                    let sample = if column.kind() == ColumnKind::Numeric {
                        profile.sample(&name)?
                    } else {
                        column.sketch().map(Sample::from_sketch).ok_or_else(|| {
                            Error::InvalidData(format!(
                                "timestamp column `{name}` has no sketch in the profile"
                            ))
                        })?
                    };
                    if !sample.is_exact() {
                        let error = column.sketch().map_or(0.0, |s| s.normalized_rank_error(true));
                        side_notes.push(format!(
                            "reference from a quantile sketch of {} values: statistics within {:.2} % rank error of the exact ones; p-values asymptotic",
                            sample.n(),
                            100.0 * error
                        ));
                    }
                    Data::Numeric {
                        std: column.std(),
                        sample,
                    }
                }
                ColumnKind::Categorical | ColumnKind::Boolean => {
                    let cats = column.categories().ok_or_else(|| {
                        Error::InvalidData(format!(
                            "categorical column `{name}` has no counts in the profile"
                        ))
                    })?;
                    if cats.truncated() {
                        side_notes.push(format!(
                            "reference keeps the {} most frequent categories; {} values of rarer ones are pooled as \"(other)\"",
                            cats.cap(),
                            cats.other_count()
                        ));
                    }
                    Data::Categorical(Categories {
                        counts: cats
                            .counts()
                            .iter()
                            .map(|(k, &v)| (k.clone(), v as f64))
                            .collect(),
                        other: cats.other_count() as f64,
                    })
                }
            };
            let tested = match &data {
                Data::Numeric { sample, .. } => sample.n(),
                Data::Categorical(c) => (c.counts.values().sum::<f64>() + c.other) as u64,
            };
            let counts = SideCounts {
                rows: column.count(),
                nulls: column.null_count(),
                nan,
                inf,
                tested,
            };
            if !side_notes.is_empty() {
                notes.insert(name.clone(), side_notes);
            }
            reference.push((
                name,
                Side {
                    kind: column.kind(),
                    counts,
                    data,
                },
            ));
        }
        let detector = Self {
            options,
            reference,
            reference_rows: profile.rows(),
            notes,
        };
        detector.check_tests()?;
        Ok(detector)
    }

    /// A detector against a reference table, with exact tests (the reference values are
    /// kept in memory, sorted, by the detector).
    ///
    /// # Errors
    ///
    /// As [`from_profile`](Self::from_profile), and [`Error::Arrow`] if a column cannot
    /// be read.
    pub fn from_table(reference: &RecordBatch, options: DriftOptions) -> Result<Self> {
        options.validate()?;
        let schema = reference.schema();
        let all: Vec<&str> = schema
            .fields()
            .iter()
            .filter(|f| classify(f.data_type()).is_some())
            .map(|f| f.name().as_str())
            .collect();
        let names = select_columns(&options, all, |n| {
            schema
                .field_with_name(n)
                .ok()
                .and_then(|f| classify(f.data_type()))
        })?;
        let sides = names
            .par_iter()
            .map(|name| {
                let array = reference
                    .column_by_name(name)
                    .ok_or_else(|| Error::ColumnNotFound {
                        column: name.clone(),
                        available: schema.fields().iter().map(|f| f.name().clone()).collect(),
                    })?;
                Ok((name.clone(), read_side(name, array)?))
            })
            .collect::<Result<Vec<_>>>()?;
        let detector = Self {
            options,
            reference: sides,
            reference_rows: reference.num_rows() as u64,
            notes: BTreeMap::new(),
        };
        detector.check_tests()?;
        Ok(detector)
    }

    /// The options.
    pub fn options(&self) -> &DriftOptions {
        &self.options
    }

    /// The reference columns tested, in order.
    pub fn columns(&self) -> Vec<&str> {
        self.reference.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn check_tests(&self) -> Result<()> {
        for (name, side) in &self.reference {
            if let Some(test) = self.explicit_test(name, side.kind) {
                check_applicable(name, side.kind, test)?;
            }
        }
        Ok(())
    }

    fn explicit_test(&self, name: &str, kind: ColumnKind) -> Option<DriftTest> {
        self.options.tests.get(name).copied().or(match kind {
            ColumnKind::Numeric | ColumnKind::Timestamp => self.options.numeric_test,
            ColumnKind::Categorical | ColumnKind::Boolean => self.options.categorical_test,
        })
    }

    /// Test `current` against the reference.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] for a reference column missing from `current` (with the
    /// columns it has); [`Error::ColumnType`] for a column whose kind differs from the
    /// reference's (say, numeric then text); [`Error::Arrow`] if a column cannot be read.
    /// Empty, all-null or all-NaN columns are not errors: they get a
    /// [`ColumnStatus::NoData`] entry.
    pub fn run(&self, current: &RecordBatch) -> Result<DriftReport> {
        let schema = current.schema();
        let mut columns = self
            .reference
            .par_iter()
            .map(|(name, reference)| {
                let array = current
                    .column_by_name(name)
                    .ok_or_else(|| Error::ColumnNotFound {
                        column: name.clone(),
                        available: schema.fields().iter().map(|f| f.name().clone()).collect(),
                    })?;
                let kind = classify(array.data_type()).ok_or_else(|| {
                    Error::column_type(
                        name,
                        format!("{} values, as in the reference", reference.kind),
                        array.data_type(),
                    )
                })?;
                if !compatible(reference.kind, kind) {
                    return Err(Error::column_type(
                        name,
                        format!("{} values, as in the reference", reference.kind),
                        format!("{kind} ({})", array.data_type()),
                    ));
                }
                let current = read_side(name, array)?;
                self.test_column(name, reference, &current)
            })
            .collect::<Result<Vec<ColumnDrift>>>()?;
        self.apply_correction(&mut columns)?;
        let tested = columns
            .iter()
            .filter(|c| c.status != ColumnStatus::NoData)
            .count();
        let drifted = columns.iter().filter(|c| c.drifted).count();
        let drifted_share = if tested == 0 {
            0.0
        } else {
            drifted as f64 / tested as f64
        };
        Ok(DriftReport {
            columns,
            correction: self.options.correction,
            drifted_share,
            share_threshold: self.options.share_threshold,
            dataset_drifted: tested > 0 && drifted_share >= self.options.share_threshold,
            reference_rows: self.reference_rows,
            current_rows: current.num_rows() as u64,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }

    fn apply_correction(&self, columns: &mut [ColumnDrift]) -> Result<()> {
        let p: Vec<f64> = columns
            .iter()
            .map(|c| match (c.status, c.p_value) {
                (ColumnStatus::Tested, Some(p)) => p,
                _ => f64::NAN,
            })
            .collect();
        let adjusted = match self.options.correction {
            Correction::None => p.clone(),
            Correction::Bonferroni => stats::bonferroni(&p),
            Correction::BenjaminiHochberg => stats::benjamini_hochberg(&p),
        };
        for (c, adj) in columns.iter_mut().zip(adjusted) {
            if c.status == ColumnStatus::Tested && c.test.is_hypothesis_test() {
                c.adjusted_p_value = Some(adj);
                c.drifted = adj < c.threshold;
            }
        }
        Ok(())
    }

    fn choose(&self, name: &str, reference: &Side, current: &Side) -> DriftTest {
        if let Some(test) = self.explicit_test(name, reference.kind) {
            return test;
        }
        let small = reference.counts.tested.min(current.counts.tested) <= self.options.small_sample;
        let categorical = match &reference.data {
            Data::Categorical(_) => true,
            Data::Numeric { sample, .. } => {
                reference.kind == ColumnKind::Numeric && sample.len() <= FEW_DISTINCT
            }
        };
        match (categorical, small) {
            (false, true) => DriftTest::Ks,
            (false, false) => DriftTest::WassersteinNormed,
            (true, true) => DriftTest::ChiSquare,
            (true, false) => DriftTest::JensenShannon,
        }
    }

    fn test_column(&self, name: &str, reference: &Side, current: &Side) -> Result<ColumnDrift> {
        let test = self.choose(name, reference, current);
        let threshold = self.options.threshold(name, test);
        let mut notes = self.notes.get(name).cloned().unwrap_or_default();
        let mut entry = ColumnDrift {
            column: name.to_string(),
            kind: match reference.kind {
                ColumnKind::Numeric | ColumnKind::Timestamp => "numeric".to_string(),
                ColumnKind::Categorical | ColumnKind::Boolean => "categorical".to_string(),
            },
            test,
            status: ColumnStatus::Tested,
            statistic: f64::NAN,
            p_value: None,
            adjusted_p_value: None,
            threshold,
            drifted: false,
            reference: reference.counts,
            current: current.counts,
            notes: Vec::new(),
            also: Vec::new(),
            histogram: None,
        };
        for (side, counts) in [("reference", &reference.counts), ("current", &current.counts)] {
            if counts.nan + counts.inf > 0 {
                notes.push(format!(
                    "{side}: {} NaN and {} inf values left out of the test",
                    counts.nan, counts.inf
                ));
            }
        }
        if reference.counts.tested == 0 || current.counts.tested == 0 {
            let side = if reference.counts.tested == 0 {
                "reference"
            } else {
                "current"
            };
            notes.push(format!(
                "no test: the {side} column has no testable value (empty, or all null/NaN/inf)"
            ));
            entry.status = ColumnStatus::NoData;
            entry.notes = notes;
            return Ok(entry);
        }
        match (&reference.data, &current.data) {
            (Data::Numeric { sample: r, std }, Data::Numeric { sample: c, .. }) => {
                entry.histogram = numeric_histogram(r, c, self.options.plot_bins);
                if r.len() == 1 && c.len() == 1 && r.values() == c.values() {
                    entry.status = ColumnStatus::Constant;
                    entry.statistic = 0.0;
                    if test.is_hypothesis_test() {
                        entry.p_value = Some(1.0);
                    }
                    notes.push("both sides hold the same single value".to_string());
                    entry.notes = notes;
                    return Ok(entry);
                }
                self.numeric_test(test, r, c, *std, &mut entry, &mut notes)?;
            }
            (Data::Categorical(r), Data::Categorical(c)) => {
                let (labels, rc, cc) = align_categories(r, c);
                let single = labels.len() == 1;
                entry.histogram = Some(shares_histogram(labels, Vec::new(), &rc, &cc));
                if single {
                    entry.status = ColumnStatus::Constant;
                    entry.statistic = 0.0;
                    if test.is_hypothesis_test() {
                        entry.p_value = Some(1.0);
                    }
                    notes.push("both sides hold the same single category".to_string());
                    entry.notes = notes;
                    return Ok(entry);
                }
                self.binned_test(test, &rc, &cc, &mut entry)?;
            }
            (Data::Numeric { sample: r, .. }, Data::Categorical(_))
            | (Data::Categorical(_), Data::Numeric { sample: r, .. }) => {
                return Err(Error::column_type(
                    name,
                    "the same kind of values in reference and current",
                    format!("a mismatch (reference has {} numeric values)", r.n()),
                ));
            }
        }
        if !test.is_hypothesis_test() {
            entry.drifted = entry.statistic >= threshold;
        }
        for &extra in &self.options.also {
            let numeric_only = check_applicable(name, ColumnKind::Categorical, extra).is_err();
            if extra == test || (numeric_only && matches!(reference.data, Data::Categorical(_))) {
                continue;
            }
            let mut scratch = entry.clone();
            scratch.test = extra;
            scratch.p_value = None;
            let mut scratch_notes = Vec::new();
            let outcome = match (&reference.data, &current.data) {
                (Data::Numeric { sample: r, std }, Data::Numeric { sample: c, .. }) => {
                    self.numeric_test(extra, r, c, *std, &mut scratch, &mut scratch_notes)
                }
                (Data::Categorical(r), Data::Categorical(c)) => {
                    let (_, rc, cc) = align_categories(r, c);
                    self.binned_test(extra, &rc, &cc, &mut scratch)
                }
                _ => Ok(()),
            };
            match outcome {
                Ok(()) => entry.also.push(Measure {
                    test: extra,
                    statistic: scratch.statistic,
                    p_value: scratch.p_value,
                }),
                Err(e) => notes.push(format!("also {extra}: not computed ({e})")),
            }
        }
        entry.notes = notes;
        Ok(entry)
    }

    fn numeric_test(
        &self,
        test: DriftTest,
        r: &Sample,
        c: &Sample,
        std: Option<f64>,
        entry: &mut ColumnDrift,
        notes: &mut Vec<String>,
    ) -> Result<()> {
        let hypothesis = |entry: &mut ColumnDrift, t: stats::TestResult| {
            entry.statistic = t.statistic;
            entry.p_value = Some(t.p_value);
        };
        match test {
            DriftTest::Ks => hypothesis(entry, stats::ks_2samp(r, c, PMethod::Auto)?),
            DriftTest::CramerVonMises => hypothesis(entry, stats::cramervonmises_2samp(r, c, PMethod::Auto)?),
            DriftTest::AndersonDarling => {
                let ad = stats::anderson_ksamp(&[r, c])?;
                if ad.capped {
                    notes.push(
                        "p-value capped to the range of the critical-value table [0.001, 0.25]".to_string(),
                    );
                }
                hypothesis(entry, ad.to_test_result());
            }
            DriftTest::Wasserstein => entry.statistic = stats::wasserstein_distance(r, c)?,
            DriftTest::WassersteinNormed => {
                let distance = stats::wasserstein_distance(r, c)?;
                let std = std.or_else(|| sample_std(r)).unwrap_or(0.0);
                entry.statistic = if std > 0.0 {
                    distance / std
                } else if distance == 0.0 {
                    0.0
                } else {
                    notes.push(
                        "the reference is constant: any change is infinite relative to its spread"
                            .to_string(),
                    );
                    f64::INFINITY
                };
            }
            DriftTest::Psi
            | DriftTest::JensenShannon
            | DriftTest::Hellinger
            | DriftTest::ChiSquare
            | DriftTest::TotalVariation
            | DriftTest::LInfinity => {
                let categorical = r.len() <= FEW_DISTINCT && r.is_exact();
                let (rc, cc) = if categorical {
                    // Few distinct values: each value is its own bin (unseen current values pooled apart).
                    let mut cats_r = Categories {
                        counts: BTreeMap::new(),
                        other: 0.0,
                    };
                    for (v, w) in r.values().iter().zip(r.weights()) {
                        cats_r.counts.insert(format!("{v}"), *w);
                    }
                    let mut cats_c = Categories {
                        counts: BTreeMap::new(),
                        other: 0.0,
                    };
                    for (v, w) in c.values().iter().zip(c.weights()) {
                        *cats_c.counts.entry(format!("{v}")).or_insert(0.0) += *w;
                    }
                    let (labels, rc, cc) = align_categories(&cats_r, &cats_c);
                    entry.histogram = Some(shares_histogram(labels, Vec::new(), &rc, &cc));
                    (rc, cc)
                } else {
                    let edges = stats::quantile_edges(r, self.options.n_bins)?;
                    if edges.len() + 1 < self.options.n_bins {
                        notes.push(format!(
                            "{} bins instead of {}: reference quantiles tie",
                            edges.len() + 1,
                            self.options.n_bins
                        ));
                    }
                    (stats::bin_counts(r, &edges), stats::bin_counts(c, &edges))
                };
                self.binned_test(test, &rc, &cc, entry)?;
            }
        }
        Ok(())
    }

    fn binned_test(&self, test: DriftTest, r: &[f64], c: &[f64], entry: &mut ColumnDrift) -> Result<()> {
        match test {
            DriftTest::Psi => entry.statistic = stats::psi(r, c, self.options.psi_epsilon)?,
            DriftTest::JensenShannon => entry.statistic = stats::jensen_shannon(r, c, 2.0)?,
            DriftTest::Hellinger => entry.statistic = stats::hellinger(r, c)?,
            DriftTest::TotalVariation => entry.statistic = stats::total_variation(r, c)?,
            DriftTest::LInfinity => entry.statistic = stats::l_infinity(r, c)?,
            DriftTest::ChiSquare => {
                let t = stats::chi2_homogeneity(r, c)?;
                entry.statistic = t.statistic;
                entry.p_value = Some(t.p_value);
            }
            other => {
                return Err(Error::column_type(
                    &entry.column,
                    format!("a numeric column for the {other} test"),
                    "categorical values",
                ))
            }
        }
        Ok(())
    }
}

fn sample_std(s: &Sample) -> Option<f64> {
    let n = s.n() as f64;
    if n < 2.0 {
        return None;
    }
    let mean = s
        .values()
        .iter()
        .zip(s.weights())
        .map(|(v, w)| v * w)
        .sum::<f64>()
        / n;
    let ss = s
        .values()
        .iter()
        .zip(s.weights())
        .map(|(v, w)| w * (v - mean) * (v - mean))
        .sum::<f64>();
    Some((ss / (n - 1.0)).sqrt())
}

fn compatible(reference: ColumnKind, current: ColumnKind) -> bool {
    use ColumnKind::*;
    matches!(
        (reference, current),
        (Numeric, Numeric) | (Timestamp, Timestamp) | (Categorical, Categorical) | (Boolean, Boolean)
    )
}

fn check_applicable(name: &str, kind: ColumnKind, test: DriftTest) -> Result<()> {
    let numeric_only = matches!(
        test,
        DriftTest::Ks
            | DriftTest::CramerVonMises
            | DriftTest::AndersonDarling
            | DriftTest::Wasserstein
            | DriftTest::WassersteinNormed
    );
    if numeric_only && matches!(kind, ColumnKind::Categorical | ColumnKind::Boolean) {
        return Err(Error::param(
            "tests",
            format!("{name}: {test}"),
            format!(
                "`{name}` is {kind}; {test} needs ordered numbers: use chi_square, jensen_shannon, psi, hellinger, total_variation or l_infinity"
            ),
        ));
    }
    Ok(())
}

fn select_columns(
    options: &DriftOptions,
    available: Vec<&str>,
    kind_of: impl Fn(&str) -> Option<ColumnKind>,
) -> Result<Vec<String>> {
    for name in options.tests.keys().chain(options.thresholds.keys()) {
        if kind_of(name).is_none() {
            return Err(Error::ColumnNotFound {
                column: name.clone(),
                available: available.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
    match &options.columns {
        Some(columns) => {
            if columns.is_empty() {
                return Err(Error::param(
                    "columns",
                    "[]",
                    "name at least one column, or leave it unset for all",
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            for c in columns {
                if kind_of(c).is_none() {
                    return Err(Error::ColumnNotFound {
                        column: c.clone(),
                        available: available.iter().map(|s| s.to_string()).collect(),
                    });
                }
                if !seen.insert(c) {
                    return Err(Error::param("columns", c, "is listed twice"));
                }
            }
            Ok(columns.clone())
        }
        None => Ok(available
            .into_iter()
            .filter(|n| kind_of(n).is_some_and(|k| k != ColumnKind::Timestamp))
            .map(str::to_string)
            .collect()),
    }
}

/// Read one column of a table as a test side: sorted finite values for numeric and
/// timestamp columns, counts per value for categorical and boolean ones.
fn read_side(name: &str, array: &ArrayRef) -> Result<Side> {
    let kind = classify(array.data_type()).ok_or_else(|| {
        Error::column_type(
            name,
            "a numeric, timestamp, boolean or string column",
            array.data_type(),
        )
    })?;
    let rows = array.len() as u64;
    let nulls = array.logical_null_count() as u64;
    match kind {
        ColumnKind::Numeric | ColumnKind::Timestamp => {
            let array = if kind == ColumnKind::Timestamp {
                let micros = cast_with_options(
                    array,
                    &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
                    &CastOptions::default(),
                )?;
                cast_with_options(&micros, &DataType::Int64, &CastOptions::default())?
            } else {
                array.clone()
            };
            let mut values = Vec::new();
            let (nan, inf) = push_finite(name, &array, &mut values)?;
            radsort::sort(&mut values);
            let sample = Sample::from_sorted_finite(&values);
            Ok(Side {
                kind,
                counts: SideCounts {
                    rows,
                    nulls,
                    nan,
                    inf,
                    tested: sample.n(),
                },
                data: Data::Numeric {
                    std: sample_std(&sample),
                    sample,
                },
            })
        }
        ColumnKind::Boolean => {
            let array = if let DataType::Dictionary(_, value_type) = array.data_type() {
                cast_with_options(array, value_type, &CastOptions::default())?
            } else {
                array.clone()
            };
            let bools = array
                .as_boolean_opt()
                .ok_or_else(|| Error::column_type(name, "booleans", array.data_type()))?;
            let trues = bools.true_count() as f64;
            let falses = (bools.len() - bools.null_count()) as f64 - trues;
            let mut counts = BTreeMap::new();
            for (k, v) in [("false", falses), ("true", trues)] {
                if v > 0.0 {
                    counts.insert(k.to_string(), v);
                }
            }
            Ok(Side {
                kind,
                counts: SideCounts {
                    rows,
                    nulls,
                    nan: 0,
                    inf: 0,
                    tested: (falses + trues) as u64,
                },
                data: Data::Categorical(Categories { counts, other: 0.0 }),
            })
        }
        ColumnKind::Categorical => {
            let array = if let DataType::Dictionary(_, value_type) = array.data_type() {
                cast_with_options(array, value_type, &CastOptions::default())?
            } else {
                array.clone()
            };
            let strings = str_values(name, &array)?;
            let mut map: FxHashMap<&str, u64> = FxHashMap::default();
            for v in strings.iter().flatten() {
                *map.entry(v).or_insert(0) += 1;
            }
            let tested = map.values().sum();
            let counts = map.into_iter().map(|(k, v)| (k.to_string(), v as f64)).collect();
            Ok(Side {
                kind,
                counts: SideCounts {
                    rows,
                    nulls,
                    nan: 0,
                    inf: 0,
                    tested,
                },
                data: Data::Categorical(Categories { counts, other: 0.0 }),
            })
        }
    }
}

/// The label of values pooled by a profile's category cap.
const OTHER: &str = "(other)";

/// Align two sides' categories: reference categories by decreasing reference count,
/// then categories unseen in the reference by decreasing current count. When the
/// reference pooled rare categories, current values of categories it does not list go
/// to the pooled bin (they may be among the pooled ones).
fn align_categories(r: &Categories, c: &Categories) -> (Vec<String>, Vec<f64>, Vec<f64>) {
    let mut known: Vec<(&String, f64)> = r.counts.iter().map(|(k, &v)| (k, v)).collect();
    known.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut labels = Vec::new();
    let mut rc = Vec::new();
    let mut cc = Vec::new();
    for (k, v) in &known {
        labels.push((*k).clone());
        rc.push(*v);
        cc.push(c.counts.get(*k).copied().unwrap_or(0.0));
    }
    let mut unseen: Vec<(&String, f64)> = c
        .counts
        .iter()
        .filter(|(k, _)| !r.counts.contains_key(*k))
        .map(|(k, &v)| (k, v))
        .collect();
    if r.other > 0.0 {
        labels.push(OTHER.to_string());
        rc.push(r.other);
        cc.push(unseen.iter().map(|(_, v)| v).sum::<f64>() + c.other);
    } else {
        unseen.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (k, v) in unseen {
            labels.push(k.clone());
            rc.push(0.0);
            cc.push(v);
        }
        if c.other > 0.0 {
            labels.push(OTHER.to_string());
            rc.push(0.0);
            cc.push(c.other);
        }
    }
    (labels, rc, cc)
}

fn shares(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    if total > 0.0 {
        counts.iter().map(|c| c / total).collect()
    } else {
        vec![0.0; counts.len()]
    }
}

fn shares_histogram(labels: Vec<String>, edges: Vec<f64>, r: &[f64], c: &[f64]) -> Histogram {
    Histogram {
        labels,
        edges,
        reference: shares(r),
        current: shares(c),
    }
}

/// Equal-width bins over both sides' range, for the report's plot.
fn numeric_histogram(r: &Sample, c: &Sample, bins: usize) -> Option<Histogram> {
    if bins == 0 {
        return None;
    }
    let lo = r.values().first()?.min(*c.values().first()?);
    let hi = r.values().last()?.max(*c.values().last()?);
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let width = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
    let interior: Vec<f64> = edges.iter().skip(1).take(bins - 1).copied().collect();
    let rc = stats::bin_counts(r, &interior);
    let cc = stats::bin_counts(c, &interior);
    let labels = edges
        .windows(2)
        .map(|w| match w {
            [a, b] => format!("({}, {}]", fmt_edge(*a), fmt_edge(*b)),
            _ => String::new(),
        })
        .collect();
    Some(shares_histogram(labels, edges, &rc, &cc))
}

fn fmt_edge(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Test `current` against a `reference` table with exact tests: shorthand for
/// [`DriftDetector::from_table`] then [`DriftDetector::run`].
///
/// # Errors
///
/// As those two.
pub fn drift_report(
    reference: &RecordBatch,
    current: &RecordBatch,
    options: &DriftOptions,
) -> Result<DriftReport> {
    DriftDetector::from_table(reference, options.clone())?.run(current)
}
