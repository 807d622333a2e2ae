//! Distribution summaries of columns, computed at schema inference.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::DataType;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::schema::{ColumnSchema, InferOptions, LogicalType};
use crate::data::table::{as_f64_array, str_values};
use crate::error::{Error, Result};

/// One quantile of a numeric column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantile {
    /// The probability, in `[0, 1]`.
    pub q: f64,
    /// The value (linear interpolation between order statistics, as NumPy's default).
    pub value: f64,
}

/// How often one value occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueCount {
    /// The value, as text.
    pub value: String,
    /// Its number of rows.
    pub count: u64,
}

/// A column's distribution at inference. Informational: validation does not check it
/// (drift detection compares against it).
///
/// Numeric summaries skip nulls and NaN, as pandas does (`skipna=True`); a value that is
/// not finite (a mean of infinities) is left out, since JSON cannot hold it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnStats {
    /// Non-null rows (NaN included).
    pub count: u64,
    /// Null rows.
    pub null_count: u64,
    /// NaN rows (float columns).
    #[serde(default)]
    pub nan_count: u64,
    /// Distinct non-null, non-NaN values (pandas `nunique`).
    pub distinct_count: u64,
    /// Mean (numeric columns; for bool, the fraction of `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Sample standard deviation, `ddof = 1` (pandas `std`), numeric columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// Smallest value (numeric columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value (numeric columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Quantiles (numeric columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<Quantile>,
    /// The most frequent values, most frequent first, ties by value (string and bool columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_values: Vec<ValueCount>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Dictionary arrays (categoricals) decoded to their values; every other array as is.
pub(crate) fn decoded(array: &ArrayRef) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::Dictionary(_, value) => Ok(cast_with_options(array, value, &CastOptions::default())?),
        _ => Ok(array.clone()),
    }
}

/// The `q` quantile of ascending `sorted` (non-empty) by linear interpolation.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q * (n - 1) as f64;
    let lo = (pos.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = pos - lo as f64;
    let (a, b) = (
        sorted.get(lo).copied().unwrap_or(f64::NAN),
        sorted.get(hi).copied().unwrap_or(f64::NAN),
    );
    // NumPy's lerp: exact at both ends.
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

fn top(counts: impl IntoIterator<Item = (String, u64)>, k: usize) -> Vec<ValueCount> {
    let mut all: Vec<ValueCount> = counts
        .into_iter()
        .map(|(value, count)| ValueCount { value, count })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    all.truncate(k);
    all
}

fn null_limit(count: u64, n: usize, margin: f64) -> f64 {
    if count == 0 || n == 0 {
        0.0
    } else {
        (count as f64 / n as f64 + margin).min(1.0)
    }
}

/// Infer one column's schema (type, limits, domain, stats).
pub(crate) fn infer_column(name: &str, array: &ArrayRef, options: &InferOptions) -> Result<ColumnSchema> {
    let logical = LogicalType::of(array.data_type()).ok_or_else(|| {
        Error::column_type(
            name,
            "an integer, float, decimal, bool, string, categorical, timestamp or date column \
             (cast it, or leave it out of the table to infer from)",
            array.data_type(),
        )
    })?;
    let array = decoded(array)?;
    let n = array.len();
    let null_count = array.logical_null_count() as u64;
    let mut stats = ColumnStats {
        count: n as u64 - null_count,
        null_count,
        ..ColumnStats::default()
    };
    let mut column = ColumnSchema::new(name, logical);
    column.max_null_fraction = Some(null_limit(null_count, n, options.null_margin));
    match logical {
        LogicalType::Int | LogicalType::Float => {
            let floats = as_f64_array(name, &array)?;
            let mut values: Vec<f64> = Vec::with_capacity(n - null_count as usize);
            let mut nan = 0u64;
            for v in floats.iter().flatten() {
                if v.is_nan() {
                    nan += 1;
                } else {
                    values.push(v);
                }
            }
            stats.nan_count = nan;
            if logical == LogicalType::Float {
                column.max_nan_fraction = Some(null_limit(nan, n, options.null_margin));
            }
            values.sort_unstable_by(f64::total_cmp);
            let m = values.len();
            if m > 0 {
                let mean = values.iter().sum::<f64>() / m as f64;
                stats.mean = finite(mean);
                if m > 1 {
                    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
                    stats.std = finite((ss / (m - 1) as f64).sqrt());
                }
                let (lo, hi) = (
                    values.first().copied().unwrap_or(f64::NAN),
                    values.last().copied().unwrap_or(f64::NAN),
                );
                stats.min = finite(lo);
                stats.max = finite(hi);
                stats.distinct_count = 1 + values.windows(2).filter(|w| w.first() != w.get(1)).count() as u64;
                stats.quantiles = options
                    .quantiles
                    .iter()
                    .filter_map(|&q| finite(quantile(&values, q)).map(|value| Quantile { q, value }))
                    .collect();
                if options.infer_ranges {
                    let span = if lo.is_finite() && hi.is_finite() {
                        hi - lo
                    } else {
                        0.0
                    };
                    let (mut min, mut max) =
                        (lo - options.range_margin * span, hi + options.range_margin * span);
                    if logical == LogicalType::Int {
                        (min, max) = (min.floor(), max.ceil());
                    }
                    column.min = finite(min);
                    column.max = finite(max);
                }
            }
        }
        LogicalType::String => {
            let strings = str_values(name, &array)?;
            let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
            for s in strings.iter().flatten() {
                *counts.entry(s).or_insert(0) += 1;
            }
            stats.distinct_count = counts.len() as u64;
            if !counts.is_empty() && counts.len() <= options.max_domain_size {
                let mut domain: Vec<String> = counts.keys().map(|s| s.to_string()).collect();
                domain.sort_unstable();
                column.domain = Some(domain);
            }
            stats.top_values = top(
                counts.into_iter().map(|(k, v)| (k.to_string(), v)),
                options.top_values,
            );
        }
        LogicalType::Bool => {
            let bools = array.as_boolean();
            let trues = bools.iter().flatten().filter(|b| *b).count() as u64;
            let falses = stats.count - trues;
            if stats.count > 0 {
                stats.mean = Some(trues as f64 / stats.count as f64);
            }
            let counts: BTreeMap<String, u64> = [("true".to_string(), trues), ("false".to_string(), falses)]
                .into_iter()
                .filter(|(_, c)| *c > 0)
                .collect();
            stats.distinct_count = counts.len() as u64;
            stats.top_values = top(counts, options.top_values);
        }
        LogicalType::Timestamp | LogicalType::Date => {
            let ints = cast_with_options(&array, &DataType::Int64, &CastOptions::default())?;
            let mut values: Vec<i64> = ints
                .as_primitive::<arrow::datatypes::Int64Type>()
                .iter()
                .flatten()
                .collect();
            values.sort_unstable();
            values.dedup();
            stats.distinct_count = values.len() as u64;
        }
    }
    column.stats = Some(stats);
    Ok(column)
}
