//! [`DriftReport`]: the outcome of one drift run, per column and for the dataset.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, StringArray, UInt64Array};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The drift test run on a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftTest {
    /// Two-sample Kolmogorov-Smirnov (p-value).
    Ks,
    /// Cramér-von Mises two-sample test (p-value).
    CramerVonMises,
    /// Anderson-Darling k-sample test (p-value, capped to [0.001, 0.25] as scipy's).
    AndersonDarling,
    /// Population stability index (distance).
    Psi,
    /// Wasserstein-1 distance divided by the reference standard deviation (distance).
    WassersteinNormed,
    /// Wasserstein-1 distance in the column's units (distance).
    Wasserstein,
    /// Jensen-Shannon distance, base 2, in [0, 1] (distance).
    JensenShannon,
    /// Hellinger distance, in [0, 1] (distance).
    Hellinger,
    /// Chi-square test of homogeneity on category counts (p-value).
    ChiSquare,
    /// Total variation distance, in [0, 1] (distance).
    TotalVariation,
    /// Largest absolute difference of category shares, in [0, 1] (distance).
    LInfinity,
}

impl DriftTest {
    /// `true` for hypothesis tests (drift when the p-value is below the threshold);
    /// `false` for distances (drift when the distance is at or above the threshold).
    pub fn is_hypothesis_test(self) -> bool {
        matches!(
            self,
            DriftTest::Ks | DriftTest::CramerVonMises | DriftTest::AndersonDarling | DriftTest::ChiSquare
        )
    }

    /// The stable name (`"ks"`, `"psi"`, ...), as in JSON and Python.
    pub fn name(self) -> &'static str {
        match self {
            DriftTest::Ks => "ks",
            DriftTest::CramerVonMises => "cramer_von_mises",
            DriftTest::AndersonDarling => "anderson_darling",
            DriftTest::Psi => "psi",
            DriftTest::WassersteinNormed => "wasserstein_normed",
            DriftTest::Wasserstein => "wasserstein",
            DriftTest::JensenShannon => "jensen_shannon",
            DriftTest::Hellinger => "hellinger",
            DriftTest::ChiSquare => "chi_square",
            DriftTest::TotalVariation => "total_variation",
            DriftTest::LInfinity => "l_infinity",
        }
    }

    /// Every test, in a fixed order.
    pub const ALL: [DriftTest; 11] = [
        DriftTest::Ks,
        DriftTest::CramerVonMises,
        DriftTest::AndersonDarling,
        DriftTest::Psi,
        DriftTest::WassersteinNormed,
        DriftTest::Wasserstein,
        DriftTest::JensenShannon,
        DriftTest::Hellinger,
        DriftTest::ChiSquare,
        DriftTest::TotalVariation,
        DriftTest::LInfinity,
    ];

    /// Parse a [`name`](Self::name).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the known tests.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| {
            Error::param(
                "test",
                name,
                format!(
                    "unknown drift test; use one of {:?}",
                    Self::ALL.iter().map(|t| t.name()).collect::<Vec<_>>()
                ),
            )
        })
    }
}

impl std::fmt::Display for DriftTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts of one side (reference or current) of a column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideCounts {
    /// Rows.
    pub rows: u64,
    /// Null values.
    pub nulls: u64,
    /// NaN values (numeric columns).
    pub nan: u64,
    /// ±inf values (numeric columns).
    pub inf: u64,
    /// Values the test used (rows less nulls, NaN and inf).
    pub tested: u64,
}

/// Why a column was or was not tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnStatus {
    /// The test ran.
    Tested,
    /// One side has no testable value (empty, or all null/NaN/inf): no verdict.
    NoData,
    /// Both sides hold one and the same constant value: no drift, trivially.
    Constant,
}

/// The shares of reference and current values per bin or category: what a report plots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin labels: `"[a, b)"` ranges for numeric columns, category values for categorical
    /// ones (unseen categories last).
    pub labels: Vec<String>,
    /// Bin edges for numeric columns (`labels.len() + 1` values), empty for categories.
    pub edges: Vec<f64>,
    /// Reference share per bin (sums to 1, or all 0 for an empty side).
    pub reference: Vec<f64>,
    /// Current share per bin.
    pub current: Vec<f64>,
}

/// The drift verdict of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column.
    pub column: String,
    /// `"numeric"` or `"categorical"`.
    pub kind: String,
    /// The test run.
    pub test: DriftTest,
    /// Whether the test ran.
    pub status: ColumnStatus,
    /// The statistic: the test statistic or the distance. NaN when not tested (`null`
    /// in JSON).
    #[serde(with = "nan_as_null")]
    pub statistic: f64,
    /// The p-value, for hypothesis tests.
    pub p_value: Option<f64>,
    /// The p-value after the multiple-testing correction, for hypothesis tests.
    pub adjusted_p_value: Option<f64>,
    /// The threshold the verdict compared against (a significance level for hypothesis
    /// tests, a distance otherwise).
    pub threshold: f64,
    /// The verdict.
    pub drifted: bool,
    /// Reference counts.
    pub reference: SideCounts,
    /// Current counts.
    pub current: SideCounts,
    /// Notes on how the result was computed (for example, "reference from a quantile
    /// sketch: statistic within 0.2 % rank error").
    pub notes: Vec<String>,
    /// Measures computed beside the verdict's test ([`DriftOptions::also`](super::DriftOptions::also)).
    #[serde(default)]
    pub also: Vec<Measure>,
    /// Reference and current distribution, for plots.
    pub histogram: Option<Histogram>,
}

/// A measure computed beside a column's verdict: reported, never used for the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The test.
    pub test: DriftTest,
    /// Its statistic or distance (`null` in JSON when it could not be computed).
    #[serde(with = "nan_as_null")]
    pub statistic: f64,
    /// Its p-value, for hypothesis tests (uncorrected).
    pub p_value: Option<f64>,
}

/// How p-values are corrected when many columns are tested at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// No correction: each column at its own significance level.
    #[default]
    None,
    /// Bonferroni: p-values times the number of tests (family-wise error rate).
    Bonferroni,
    /// Benjamini-Hochberg step-up (false discovery rate).
    BenjaminiHochberg,
}

/// The outcome of a drift run over a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// One entry per column tested, in the current table's column order.
    pub columns: Vec<ColumnDrift>,
    /// The multiple-testing correction applied to hypothesis tests.
    pub correction: Correction,
    /// The share of tested columns that drifted.
    pub drifted_share: f64,
    /// Dataset drift is declared when `drifted_share >= share_threshold`.
    pub share_threshold: f64,
    /// The dataset verdict.
    pub dataset_drifted: bool,
    /// Reference rows.
    pub reference_rows: u64,
    /// Current rows.
    pub current_rows: u64,
    /// When the report was made (RFC 3339, UTC).
    pub created_at: String,
}

impl DriftReport {
    /// The entry of `column`, if tested.
    pub fn column(&self, column: &str) -> Option<&ColumnDrift> {
        self.columns.iter().find(|c| c.column == column)
    }

    /// The names of the drifted columns.
    pub fn drifted_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.drifted)
            .map(|c| c.column.as_str())
            .collect()
    }

    /// The report as JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] (never for a report built by ferrops).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// One row per column: `column`, `kind`, `test`, `status`, `statistic`, `p_value`,
    /// `adjusted_p_value`, `threshold`, `drifted`, then the counts of each side
    /// (`reference_rows`, `reference_nulls`, `reference_nan`, `reference_inf`,
    /// `reference_tested`, and the same for `current_`), and `notes` joined by `"; "`.
    /// This is the frame Python's `to_pandas` / `to_polars` return.
    ///
    /// # Errors
    ///
    /// [`Error::Arrow`] (never for a report built by ferrops).
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let c = &self.columns;
        let text = |f: &dyn Fn(&ColumnDrift) -> String| -> ArrayRef {
            Arc::new(StringArray::from(c.iter().map(f).collect::<Vec<_>>()))
        };
        let float = |f: &dyn Fn(&ColumnDrift) -> Option<f64>| -> ArrayRef {
            Arc::new(Float64Array::from(c.iter().map(f).collect::<Vec<_>>()))
        };
        let count = |f: &dyn Fn(&ColumnDrift) -> u64| -> ArrayRef {
            Arc::new(UInt64Array::from(c.iter().map(f).collect::<Vec<_>>()))
        };
        let status = |s: ColumnStatus| match s {
            ColumnStatus::Tested => "tested",
            ColumnStatus::NoData => "no_data",
            ColumnStatus::Constant => "constant",
        };
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("column", text(&|d| d.column.clone())),
            ("kind", text(&|d| d.kind.clone())),
            ("test", text(&|d| d.test.name().to_string())),
            ("status", text(&|d| status(d.status).to_string())),
            ("statistic", float(&|d| Some(d.statistic))),
            ("p_value", float(&|d| d.p_value)),
            ("adjusted_p_value", float(&|d| d.adjusted_p_value)),
            ("threshold", float(&|d| Some(d.threshold))),
            (
                "drifted",
                Arc::new(BooleanArray::from(
                    c.iter().map(|d| d.drifted).collect::<Vec<_>>(),
                )),
            ),
            ("reference_rows", count(&|d| d.reference.rows)),
            ("reference_nulls", count(&|d| d.reference.nulls)),
            ("reference_nan", count(&|d| d.reference.nan)),
            ("reference_inf", count(&|d| d.reference.inf)),
            ("reference_tested", count(&|d| d.reference.tested)),
            ("current_rows", count(&|d| d.current.rows)),
            ("current_nulls", count(&|d| d.current.nulls)),
            ("current_nan", count(&|d| d.current.nan)),
            ("current_inf", count(&|d| d.current.inf)),
            ("current_tested", count(&|d| d.current.tested)),
            ("notes", text(&|d| d.notes.join("; "))),
        ];
        Ok(RecordBatch::try_from_iter(columns)?)
    }

    /// A report from [`to_json`](Self::to_json).
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] for text that is not a report.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Serialization(format!("not a drift report: {e}")))
    }
}

/// NaN (and ±inf) as JSON `null` and back as NaN: JSON has no NaN, and serde_json would
/// write `null` and then refuse to read it as a number.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            serializer.serialize_f64(*value)
        } else if value.is_nan() {
            serializer.serialize_none()
        } else if *value > 0.0 {
            serializer.serialize_str("inf")
        } else {
            serializer.serialize_str("-inf")
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        match Option::<Repr>::deserialize(deserializer)? {
            None => Ok(f64::NAN),
            Some(Repr::Number(v)) => Ok(v),
            Some(Repr::Text(t)) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!("not a statistic: {other:?}"))),
            },
        }
    }
}
