//! Standard scaling (zero mean, unit variance).

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::columnwise::columnwise_fitted_transform;
use super::{fit_values, Columns, Columnwise, FeatureTransform, FittedTransform};
use crate::error::Result;

/// Standardise numeric columns: `(x - mean) / std`, as scikit-learn's `StandardScaler`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to scale |
/// | `with_mean` | `true` | subtract the mean |
/// | `with_std` | `true` | divide by the population standard deviation (ddof 0); a constant column gets scale 1 |
///
/// Missing values (null, NaN) are ignored when fitting and stay missing.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Float64Array, AsArray};
/// # use ferrops::features::{StandardScaler, FeatureTransform};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])) as _),
/// ])?;
/// let fitted = StandardScaler::default().fit(&t)?;
/// let out = fitted.transform(&t)?;
/// let x = out.column(0).as_primitive::<arrow::datatypes::Float64Type>();
/// assert!((x.value(2) - 1.224744871391589).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StandardScaler {
    /// Columns to scale.
    pub columns: Columns,
    /// Subtract the mean.
    pub with_mean: bool,
    /// Divide by the standard deviation.
    pub with_std: bool,
}

impl Default for StandardScaler {
    fn default() -> Self {
        StandardScaler {
            columns: Columns::AllNumeric,
            with_mean: true,
            with_std: true,
        }
    }
}

impl StandardScaler {
    /// Scale `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        StandardScaler {
            columns: columns.into(),
            ..Default::default()
        }
    }
}

/// A fitted [`StandardScaler`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedStandardScaler {
    /// The scaled columns.
    pub columns: Vec<String>,
    /// Per-column mean (0 when `with_mean` is off).
    pub mean: Vec<f64>,
    /// Per-column divisor (1 when `with_std` is off or the column is constant).
    pub scale: Vec<f64>,
    /// Per-column population variance.
    pub var: Vec<f64>,
}

/// Neumaier's compensated sum: the error stays at one rounding whatever the length and
/// offset of the data (numpy's pairwise sum grows with log n; a plain loop with n).
pub(crate) fn compensated_sum(values: &[f64]) -> f64 {
    let (mut sum, mut compensation) = (0.0_f64, 0.0_f64);
    for &x in values {
        let t = sum + x;
        compensation += if sum.abs() >= x.abs() {
            (sum - t) + x
        } else {
            (x - t) + sum
        };
        sum = t;
    }
    sum + compensation
}

/// Mean and population variance, two-pass.
pub(crate) fn mean_var(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = compensated_sum(values) / n;
    let (sq, correction) = values.iter().fold((0.0, 0.0), |(sq, c), x| {
        let d = x - mean;
        (sq + d * d, c + d)
    });
    // The correction term removes the rounding error of the mean (as numpy/scikit-learn do).
    (mean, (sq - correction * correction / n) / n)
}

#[typetag::serde(name = "standard_scaler")]
impl FeatureTransform for StandardScaler {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        let columns = self.columns.resolve(table.schema_ref())?;
        let mut fitted = FittedStandardScaler {
            columns: Vec::with_capacity(columns.len()),
            mean: Vec::new(),
            scale: Vec::new(),
            var: Vec::new(),
        };
        for name in columns {
            let values = fit_values(table, &name, "StandardScaler")?;
            let (mean, var) = mean_var(&values);
            let std = var.sqrt();
            // scikit-learn's `_is_constant_feature`: a variance within rounding of zero.
            let n = values.len() as f64;
            let eps = f64::EPSILON;
            let constant = var <= n * eps * var + (n * mean * eps).powi(2);
            fitted.mean.push(if self.with_mean { mean } else { 0.0 });
            fitted
                .scale
                .push(if self.with_std && !constant { std } else { 1.0 });
            fitted.var.push(var);
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl Columnwise for FittedStandardScaler {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn apply(&self, j: usize, x: f64) -> f64 {
        // `get`: a hand-edited artifact with short vectors gives NaN, not a panic.
        let mean = self.mean.get(j).copied().unwrap_or(f64::NAN);
        let scale = self.scale.get(j).copied().unwrap_or(f64::NAN);
        (x - mean) / scale
    }
}

columnwise_fitted_transform!(FittedStandardScaler, "standard_scaler");

// ---------------------------------------------------------------------------
// Shared numeric helpers (numpy-exact quantiles, median, scikit-learn's zero handling).

/// scikit-learn's `_is_constant_feature`: a variance within rounding of zero.
pub(crate) fn is_constant_feature(var: f64, mean: f64, n: usize) -> bool {
    let n = n as f64;
    let eps = f64::EPSILON;
    var <= n * eps * var + (n * mean * eps).powi(2)
}

/// scikit-learn's `_handle_zeros_in_scale` for an array of scales: a scale below
/// `10 * eps` (including 0) becomes 1.
pub(crate) fn handle_zeros_in_scale(scale: f64) -> f64 {
    if scale < 10.0 * f64::EPSILON {
        1.0
    } else {
        scale
    }
}

/// Sort finite values ascending (NaN-free input; -0.0 and 0.0 compare equal).
pub(crate) fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

/// numpy's `median` of NaN-free values (`NaN` for none), in linear time: the same
/// value as [`median_sorted`] of the sorted values.
pub(crate) fn median(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    let cmp = |a: &f64, b: &f64| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal);
    let (left, &mut hi, _) = v.select_nth_unstable_by(n / 2, cmp);
    if n % 2 == 1 {
        hi
    } else {
        let lo = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

/// numpy's `median` of sorted, non-empty, NaN-free values: the middle value, or the
/// mean `(a + b) / 2` of the two middle values. `NaN` for an empty slice.
pub(crate) fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let hi = sorted.get(n / 2).copied().unwrap_or(f64::NAN);
    if n % 2 == 1 {
        hi
    } else {
        let lo = sorted.get(n / 2 - 1).copied().unwrap_or(f64::NAN);
        (lo + hi) / 2.0
    }
}

/// The interpolation of [`np_percentile_sorted`] (numpy's `method=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PercentileMethod {
    /// numpy's default `"linear"` (Hyndman & Fan type 7).
    Linear,
    /// `"averaged_inverted_cdf"` (Hyndman & Fan type 2).
    AveragedInvertedCdf,
}

/// `np.percentile(values, q)` for sorted, non-empty, NaN-free `values` and `q` in
/// `[0, 100]`, following numpy 2.x's `_quantile` step by step (virtual index, gamma,
/// `_lerp`) so results agree to the last bit on ordinary inputs. `NaN` if empty.
pub(crate) fn np_percentile_sorted(sorted: &[f64], q: f64, method: PercentileMethod) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q / 100.0;
    let virtual_index = match method {
        PercentileMethod::Linear => (n - 1) as f64 * q,
        PercentileMethod::AveragedInvertedCdf => n as f64 * q - 1.0,
    };
    let last = n - 1;
    let (prev, next, prev_f) = if virtual_index >= last as f64 {
        (last, last, -1.0)
    } else if virtual_index < 0.0 {
        (0, 0, 0.0)
    } else {
        let p = virtual_index.floor();
        // p is in [0, n - 1) here, so the casts are in range.
        (p as usize, p as usize + 1, p)
    };
    let a = sorted.get(prev).copied().unwrap_or(f64::NAN);
    let b = sorted.get(next).copied().unwrap_or(f64::NAN);
    let mut gamma = virtual_index - prev_f;
    if method == PercentileMethod::AveragedInvertedCdf {
        gamma = if gamma == 0.0 { 0.5 } else { 1.0 };
    }
    // numpy's `_lerp`.
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// `np.linspace(start, stop, num)` for `num >= 2` and `start != stop`.
pub(crate) fn np_linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num < 2 {
        return vec![start; num];
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut out: Vec<f64> = if step == 0.0 {
        (0..num).map(|i| i as f64 / div * delta + start).collect()
    } else {
        (0..num).map(|i| i as f64 * step + start).collect()
    };
    if let Some(last) = out.last_mut() {
        *last = stop;
    }
    out
}

/// Resolve `columns` and check that each is numeric (or boolean), for fitting.
fn numeric_columns(columns: &Columns, table: &RecordBatch) -> Result<Vec<String>> {
    let names = columns.resolve(table.schema_ref())?;
    for name in &names {
        let i = crate::data::table::index_of(table.schema_ref(), name)?;
        let dt = table.schema_ref().field(i).data_type().clone();
        if !(crate::data::table::is_numeric(&dt) || crate::data::table::is_bool(&dt)) {
            return Err(crate::error::Error::column_type(name, "a numeric column", dt));
        }
    }
    Ok(names)
}

fn check_range(name: &str, (lo, hi): (f64, f64), reason: &str) -> Result<()> {
    if lo.is_finite() && hi.is_finite() && lo < hi {
        Ok(())
    } else {
        Err(crate::error::Error::param(name, format!("({lo}, {hi})"), reason))
    }
}

// ---------------------------------------------------------------------------
// MinMaxScaler

/// Scale numeric columns to `feature_range`: `x * scale + min` with
/// `scale = (max - min) / (data_max - data_min)`, as scikit-learn's `MinMaxScaler`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to scale |
/// | `feature_range` | `(0.0, 1.0)` | target range `(min, max)`, finite with `min < max` |
/// | `clip` | `false` | clip transformed values (of unseen data) to `feature_range` |
///
/// A constant column (data range below `10 * eps`) has its range treated as 1, as in
/// scikit-learn. Missing values (null, NaN) are ignored when fitting and stay missing;
/// infinities at fit are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MinMaxScaler {
    /// Columns to scale.
    pub columns: Columns,
    /// Target range `(min, max)`.
    pub feature_range: (f64, f64),
    /// Clip transformed values to `feature_range`.
    pub clip: bool,
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        MinMaxScaler {
            columns: Columns::AllNumeric,
            feature_range: (0.0, 1.0),
            clip: false,
        }
    }
}

impl MinMaxScaler {
    /// Scale `columns` to `[0, 1]`.
    pub fn new(columns: impl Into<Columns>) -> Self {
        MinMaxScaler {
            columns: columns.into(),
            ..Default::default()
        }
    }
}

/// A fitted [`MinMaxScaler`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMinMaxScaler {
    /// The scaled columns.
    pub columns: Vec<String>,
    /// Per-column minimum seen at fit.
    pub data_min: Vec<f64>,
    /// Per-column maximum seen at fit.
    pub data_max: Vec<f64>,
    /// Per-column multiplier.
    pub scale: Vec<f64>,
    /// Per-column offset added after scaling.
    pub min: Vec<f64>,
    /// The target range.
    pub feature_range: (f64, f64),
    /// Clip outputs to `feature_range`.
    pub clip: bool,
}

#[typetag::serde(name = "min_max_scaler")]
impl FeatureTransform for MinMaxScaler {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        check_range(
            "feature_range",
            self.feature_range,
            "minimum of the desired feature range must be smaller than maximum (both finite)",
        )?;
        let (lo, hi) = self.feature_range;
        let columns = numeric_columns(&self.columns, table)?;
        let mut fitted = FittedMinMaxScaler {
            columns: Vec::with_capacity(columns.len()),
            data_min: Vec::new(),
            data_max: Vec::new(),
            scale: Vec::new(),
            min: Vec::new(),
            feature_range: self.feature_range,
            clip: self.clip,
        };
        for name in columns {
            let values = fit_values(table, &name, "MinMaxScaler")?;
            let dmin = values.iter().copied().fold(f64::INFINITY, f64::min);
            let dmax = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let scale = (hi - lo) / handle_zeros_in_scale(dmax - dmin);
            fitted.data_min.push(dmin);
            fitted.data_max.push(dmax);
            fitted.scale.push(scale);
            fitted.min.push(lo - dmin * scale);
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl Columnwise for FittedMinMaxScaler {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn apply(&self, j: usize, x: f64) -> f64 {
        let scale = self.scale.get(j).copied().unwrap_or(f64::NAN);
        let min = self.min.get(j).copied().unwrap_or(f64::NAN);
        let y = x * scale + min;
        if self.clip {
            let (lo, hi) = self.feature_range;
            // np.clip: NaN stays NaN.
            if y < lo {
                lo
            } else if y > hi {
                hi
            } else {
                y
            }
        } else {
            y
        }
    }
}

columnwise_fitted_transform!(FittedMinMaxScaler, "min_max_scaler");

// ---------------------------------------------------------------------------
// RobustScaler

/// Scale numeric columns robustly: `(x - median) / (q_hi - q_lo)`, as scikit-learn's
/// `RobustScaler` (quantiles by numpy's linear interpolation, `nanpercentile`).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to scale |
/// | `with_centering` | `true` | subtract the median |
/// | `with_scaling` | `true` | divide by the interquantile range (a zero range gets scale 1) |
/// | `quantile_range` | `(25.0, 75.0)` | percentiles `(q_lo, q_hi)`, `0 <= q_lo < q_hi <= 100` |
///
/// scikit-learn also accepts `q_lo == q_hi` (always giving scale 1); ferrops refuses it.
/// `unit_variance` is not supported. Missing values (null, NaN) are ignored when
/// fitting and stay missing; infinities at fit are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RobustScaler {
    /// Columns to scale.
    pub columns: Columns,
    /// Subtract the median.
    pub with_centering: bool,
    /// Divide by the interquantile range.
    pub with_scaling: bool,
    /// Percentiles `(q_lo, q_hi)` of the range.
    pub quantile_range: (f64, f64),
}

impl Default for RobustScaler {
    fn default() -> Self {
        RobustScaler {
            columns: Columns::AllNumeric,
            with_centering: true,
            with_scaling: true,
            quantile_range: (25.0, 75.0),
        }
    }
}

impl RobustScaler {
    /// Scale `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        RobustScaler {
            columns: columns.into(),
            ..Default::default()
        }
    }
}

/// A fitted [`RobustScaler`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedRobustScaler {
    /// The scaled columns.
    pub columns: Vec<String>,
    /// Per-column median (0 when `with_centering` is off).
    pub center: Vec<f64>,
    /// Per-column interquantile range (1 when `with_scaling` is off or the range is 0).
    pub scale: Vec<f64>,
}

#[typetag::serde(name = "robust_scaler")]
impl FeatureTransform for RobustScaler {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        let (q_lo, q_hi) = self.quantile_range;
        if !(q_lo >= 0.0 && q_lo < q_hi && q_hi <= 100.0) {
            return Err(crate::error::Error::param(
                "quantile_range",
                format!("({q_lo}, {q_hi})"),
                "must satisfy 0 <= q_lo < q_hi <= 100",
            ));
        }
        let columns = numeric_columns(&self.columns, table)?;
        let mut fitted = FittedRobustScaler {
            columns: Vec::with_capacity(columns.len()),
            center: Vec::new(),
            scale: Vec::new(),
        };
        for name in columns {
            let values = sorted(&fit_values(table, &name, "RobustScaler")?);
            fitted.center.push(if self.with_centering {
                median_sorted(&values)
            } else {
                0.0
            });
            fitted.scale.push(if self.with_scaling {
                let lo = np_percentile_sorted(&values, q_lo, PercentileMethod::Linear);
                let hi = np_percentile_sorted(&values, q_hi, PercentileMethod::Linear);
                handle_zeros_in_scale(hi - lo)
            } else {
                1.0
            });
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl Columnwise for FittedRobustScaler {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn apply(&self, j: usize, x: f64) -> f64 {
        let center = self.center.get(j).copied().unwrap_or(f64::NAN);
        let scale = self.scale.get(j).copied().unwrap_or(f64::NAN);
        (x - center) / scale
    }
}

columnwise_fitted_transform!(FittedRobustScaler, "robust_scaler");

// ---------------------------------------------------------------------------
// MaxAbsScaler

/// Scale numeric columns by their maximum absolute value: `x / max|x|`, as
/// scikit-learn's `MaxAbsScaler` (the result lies in `[-1, 1]` on the fit data).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to scale |
/// | `clip` | `false` | clip transformed values (of unseen data) to `[-1, 1]` |
///
/// An all-zero column gets scale 1. Missing values (null, NaN) are ignored when
/// fitting and stay missing; infinities at fit are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MaxAbsScaler {
    /// Columns to scale.
    pub columns: Columns,
    /// Clip outputs to `[-1, 1]`.
    pub clip: bool,
}

impl Default for MaxAbsScaler {
    fn default() -> Self {
        MaxAbsScaler {
            columns: Columns::AllNumeric,
            clip: false,
        }
    }
}

impl MaxAbsScaler {
    /// Scale `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        MaxAbsScaler {
            columns: columns.into(),
            ..Default::default()
        }
    }
}

/// A fitted [`MaxAbsScaler`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMaxAbsScaler {
    /// The scaled columns.
    pub columns: Vec<String>,
    /// Per-column maximum absolute value seen at fit.
    pub max_abs: Vec<f64>,
    /// Per-column divisor (`max_abs`, or 1 for an all-zero column).
    pub scale: Vec<f64>,
    /// Clip outputs to `[-1, 1]`.
    pub clip: bool,
}

#[typetag::serde(name = "max_abs_scaler")]
impl FeatureTransform for MaxAbsScaler {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        let columns = numeric_columns(&self.columns, table)?;
        let mut fitted = FittedMaxAbsScaler {
            columns: Vec::with_capacity(columns.len()),
            max_abs: Vec::new(),
            scale: Vec::new(),
            clip: self.clip,
        };
        for name in columns {
            let values = fit_values(table, &name, "MaxAbsScaler")?;
            let max_abs = values.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
            fitted.max_abs.push(max_abs);
            fitted.scale.push(handle_zeros_in_scale(max_abs));
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl Columnwise for FittedMaxAbsScaler {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn apply(&self, j: usize, x: f64) -> f64 {
        let y = x / self.scale.get(j).copied().unwrap_or(f64::NAN);
        if self.clip {
            // Constant bounds: cannot panic; NaN stays NaN (as np.clip).
            y.clamp(-1.0, 1.0)
        } else {
            y
        }
    }
}

columnwise_fitted_transform!(FittedMaxAbsScaler, "max_abs_scaler");

/// Helpers shared by the tests of the feature transforms in this module's siblings.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod testutil {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, Float64Array, StringArray};
    use arrow::record_batch::RecordBatch;

    use crate::data::table::{as_f64_array, row_from_batch};
    use crate::data::Value;
    use crate::features::{FeatureTransform, FittedTransform};

    /// A `Float64` column (None = null).
    pub fn f64col(v: &[Option<f64>]) -> ArrayRef {
        Arc::new(Float64Array::from(v.to_vec()))
    }

    /// A string column.
    pub fn strcol(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    /// A table from named columns.
    pub fn table(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols.into_iter().map(|(n, a)| (n.to_string(), a))).unwrap()
    }

    /// Column `name` of `batch` as floats; null and NaN both become `None`.
    pub fn out(batch: &RecordBatch, name: &str) -> Vec<Option<f64>> {
        let a = as_f64_array(name, batch.column_by_name(name).unwrap()).unwrap();
        a.iter().map(|v| v.filter(|x| !x.is_nan())).collect()
    }

    /// True if column `name` of `batch` is null at every position where `want` is None.
    pub fn nulls(batch: &RecordBatch, name: &str) -> Vec<bool> {
        let a = batch.column_by_name(name).unwrap();
        (0..a.len()).map(|i| a.is_null(i)).collect()
    }

    /// Assert `got` matches `want` within `tol` (absolute and relative), missing to missing.
    pub fn assert_close(got: &[Option<f64>], want: &[Option<f64>], tol: f64) {
        assert_eq!(got.len(), want.len(), "length: got {got:?}, want {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            match (g, w) {
                (None, None) => {}
                (Some(g), Some(w)) => assert!(
                    (g - w).abs() <= tol * w.abs().max(1.0),
                    "row {i}: got {g}, want {w} (all: {got:?})"
                ),
                _ => panic!("row {i}: got {g:?}, want {w:?} (all: {got:?})"),
            }
        }
    }

    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            _ => a == b,
        }
    }

    /// Check that the row path gives exactly the batch result, row by row, and that
    /// the batch result matches `output_schema`.
    pub fn check_row_path(fitted: &dyn FittedTransform, table: &RecordBatch) {
        let batch = fitted.transform(table).unwrap();
        let schema = fitted.output_schema(table.schema_ref()).unwrap();
        assert_eq!(batch.schema().as_ref(), &schema);
        let row_t = fitted.row_transform(table.schema_ref()).unwrap().unwrap();
        for i in 0..table.num_rows() {
            let mut row = row_from_batch(&table.slice(i, 1)).unwrap();
            row_t.apply(&mut row).unwrap();
            let want = row_from_batch(&batch.slice(i, 1)).unwrap();
            assert_eq!(row.len(), want.len(), "row {i}: {row:?} vs {want:?}");
            for (a, b) in row.iter().zip(&want) {
                // The row path may keep a float NaN where the batch has null (both missing).
                let ok = same(a, b) || (a.is_missing() && b.is_missing());
                assert!(ok, "row {i}: row path {row:?} vs batch {want:?}");
            }
        }
    }

    /// serde_json round trip of a fitted transform; returns the restored one after
    /// checking it serializes identically.
    pub fn roundtrip(fitted: &dyn FittedTransform) -> Box<dyn FittedTransform> {
        let json = serde_json::to_string(fitted).unwrap();
        let back: Box<dyn FittedTransform> = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        back
    }

    /// serde_json round trip of parameters; returns the JSON.
    pub fn params_json(t: &dyn FeatureTransform) -> String {
        let json = serde_json::to_string(t).unwrap();
        let back: Box<dyn FeatureTransform> = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        json
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn linear_time_median_equals_the_sorted_median() {
        let mut state = 7u64;
        for n in [1usize, 2, 3, 4, 5, 10, 11, 100, 101] {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 40) % 17) as f64 - 8.0 // many ties
                })
                .collect();
            assert_eq!(median(&values), median_sorted(&sorted(&values)), "{values:?}");
        }
        assert!(median(&[]).is_nan());
    }
    use crate::error::Error;

    const N: Option<f64> = None;
    const NAN: Option<f64> = Some(f64::NAN);

    fn fit_table() -> RecordBatch {
        table(vec![
            (
                "a",
                f64col(&[
                    Some(1.0),
                    N,
                    Some(3.5),
                    Some(-2.0),
                    NAN,
                    Some(10.0),
                    Some(4.0),
                    Some(0.25),
                ]),
            ),
            ("c", f64col(&[Some(5.0); 8])),
            ("s", strcol(&["x"; 8])),
        ])
    }

    fn test_table() -> RecordBatch {
        table(vec![
            ("a", f64col(&[Some(-5.0), Some(20.0), Some(2.0), N])),
            ("c", f64col(&[Some(5.0), Some(5.0), Some(4.0), NAN])),
            ("s", strcol(&["x"; 4])),
        ])
    }

    /// Fit on `fit_table`, compare with references on both tables, row path, serde.
    fn check(t: &dyn FeatureTransform, want: [&[Option<f64>]; 4]) {
        let fitted = t.fit(&fit_table()).unwrap();
        let train = fitted.transform(&fit_table()).unwrap();
        assert_close(&out(&train, "a"), want[0], 1e-12);
        assert_close(&out(&train, "c"), want[1], 1e-12);
        let test = fitted.transform(&test_table()).unwrap();
        assert_close(&out(&test, "a"), want[2], 1e-12);
        assert_close(&out(&test, "c"), want[3], 1e-12);
        // Null stays null.
        assert!(nulls(&train, "a")[1] && !nulls(&train, "a")[4]);
        check_row_path(fitted.as_ref(), &fit_table());
        check_row_path(fitted.as_ref(), &test_table());
        let back = roundtrip(fitted.as_ref());
        let again = back.transform(&test_table()).unwrap();
        assert_close(&out(&again, "a"), want[2], 0.0);
    }

    // reference: sklearn 1.9.1 (numpy 2.4.6), X = [a, c] of fit_table with NaN for
    // missing; est.fit(X); est.transform(X), est.transform(test).
    #[test]
    fn min_max_matches_sklearn() {
        let t = MinMaxScaler::new(["a", "c"]);
        check(
            &t,
            [
                &[
                    Some(0.25),
                    N,
                    Some(0.45833333333333326),
                    Some(0.0),
                    N,
                    Some(0.9999999999999999),
                    Some(0.5),
                    Some(0.1875),
                ],
                &[Some(0.0); 8],
                &[
                    Some(-0.24999999999999997),
                    Some(1.8333333333333333),
                    Some(0.3333333333333333),
                    N,
                ],
                &[Some(0.0), Some(0.0), Some(-1.0), N],
            ],
        );
        // MinMaxScaler(feature_range=(-1, 2), clip=True)
        let t = MinMaxScaler {
            columns: ["a", "c"].into(),
            feature_range: (-1.0, 2.0),
            clip: true,
        };
        check(
            &t,
            [
                &[
                    Some(-0.25),
                    N,
                    Some(0.375),
                    Some(-1.0),
                    N,
                    Some(2.0),
                    Some(0.5),
                    Some(-0.4375),
                ],
                &[Some(-1.0); 8],
                &[Some(-1.0), Some(2.0), Some(0.0), N],
                &[Some(-1.0), Some(-1.0), Some(-1.0), N],
            ],
        );
    }

    #[test]
    fn robust_matches_sklearn() {
        // RobustScaler()
        check(
            &RobustScaler::new(["a", "c"]),
            [
                &[
                    Some(-0.36363636363636365),
                    N,
                    Some(0.36363636363636365),
                    Some(-1.2363636363636363),
                    N,
                    Some(2.2545454545454544),
                    Some(0.509090909090909),
                    Some(-0.5818181818181818),
                ],
                &[Some(0.0); 8],
                &[
                    Some(-2.109090909090909),
                    Some(5.163636363636364),
                    Some(-0.07272727272727272),
                    N,
                ],
                &[Some(0.0), Some(0.0), Some(-1.0), N],
            ],
        );
        // RobustScaler(quantile_range=(10, 80))
        check(
            &RobustScaler {
                quantile_range: (10.0, 80.0),
                ..RobustScaler::new(["a", "c"])
            },
            [
                &[
                    Some(-0.2564102564102564),
                    N,
                    Some(0.2564102564102564),
                    Some(-0.8717948717948718),
                    N,
                    Some(1.5897435897435896),
                    Some(0.358974358974359),
                    Some(-0.41025641025641024),
                ],
                &[Some(0.0); 8],
                &[
                    Some(-1.4871794871794872),
                    Some(3.641025641025641),
                    Some(-0.05128205128205128),
                    N,
                ],
                &[Some(0.0), Some(0.0), Some(-1.0), N],
            ],
        );
        // RobustScaler(with_centering=False)
        check(
            &RobustScaler {
                with_centering: false,
                ..RobustScaler::new(["a", "c"])
            },
            [
                &[
                    Some(0.2909090909090909),
                    N,
                    Some(1.018181818181818),
                    Some(-0.5818181818181818),
                    N,
                    Some(2.909090909090909),
                    Some(1.1636363636363636),
                    Some(0.07272727272727272),
                ],
                &[Some(5.0); 8],
                &[
                    Some(-1.4545454545454546),
                    Some(5.818181818181818),
                    Some(0.5818181818181818),
                    N,
                ],
                &[Some(5.0), Some(5.0), Some(4.0), N],
            ],
        );
    }

    #[test]
    fn max_abs_matches_sklearn() {
        check(
            &MaxAbsScaler::new(["a", "c"]),
            [
                &[
                    Some(0.1),
                    N,
                    Some(0.35),
                    Some(-0.2),
                    N,
                    Some(1.0),
                    Some(0.4),
                    Some(0.025),
                ],
                &[Some(1.0); 8],
                &[Some(-0.5), Some(2.0), Some(0.2), N],
                &[Some(1.0), Some(1.0), Some(0.8), N],
            ],
        );
        // MaxAbsScaler(clip=True)
        check(
            &MaxAbsScaler {
                clip: true,
                ..MaxAbsScaler::new(["a", "c"])
            },
            [
                &[
                    Some(0.1),
                    N,
                    Some(0.35),
                    Some(-0.2),
                    N,
                    Some(1.0),
                    Some(0.4),
                    Some(0.025),
                ],
                &[Some(1.0); 8],
                &[Some(-0.5), Some(1.0), Some(0.2), N],
                &[Some(1.0), Some(1.0), Some(0.8), N],
            ],
        );
        // An all-zero column gets scale 1.
        let t = table(vec![("z", f64col(&[Some(0.0), Some(-0.0)]))]);
        let f = MaxAbsScaler::default().fit(&t).unwrap();
        assert_close(&out(&f.transform(&t).unwrap(), "z"), &[Some(0.0), Some(0.0)], 0.0);
    }

    #[test]
    fn errors() {
        let scalers: Vec<Box<dyn FeatureTransform>> = vec![
            Box::new(MinMaxScaler::new(["a"])),
            Box::new(RobustScaler::new(["a"])),
            Box::new(MaxAbsScaler::new(["a"])),
        ];
        for s in &scalers {
            // String column.
            let t = table(vec![("a", strcol(&["x", "y"]))]);
            assert!(matches!(s.fit(&t), Err(Error::ColumnType { .. })), "{s:?}");
            // All-missing column and empty table.
            let t = table(vec![("a", f64col(&[N, NAN]))]);
            assert!(matches!(s.fit(&t), Err(Error::EmptyInput { .. })), "{s:?}");
            let t = table(vec![("a", f64col(&[]))]);
            assert!(matches!(s.fit(&t), Err(Error::EmptyInput { .. })), "{s:?}");
            // Infinity at fit.
            let t = table(vec![("a", f64col(&[Some(1.0), Some(f64::INFINITY)]))]);
            assert!(
                matches!(s.fit(&t), Err(Error::InvalidValue { row: 1, .. })),
                "{s:?}"
            );
            // Missing column.
            let t = table(vec![("b", f64col(&[Some(1.0)]))]);
            assert!(matches!(s.fit(&t), Err(Error::ColumnNotFound { .. })), "{s:?}");
            // A fitted scaler on a string column at transform time.
            let fitted = s
                .fit(&table(vec![("a", f64col(&[Some(1.0), Some(2.0)]))]))
                .unwrap();
            let bad = table(vec![("a", strcol(&["x"]))]);
            assert!(matches!(fitted.transform(&bad), Err(Error::ColumnType { .. })));
            assert!(matches!(
                fitted.output_schema(bad.schema_ref()),
                Err(Error::ColumnType { .. })
            ));
        }
        let t = table(vec![("a", f64col(&[Some(1.0)]))]);
        for range in [(1.0, 1.0), (2.0, 1.0), (0.0, f64::NAN)] {
            let s = MinMaxScaler {
                feature_range: range,
                ..MinMaxScaler::new(["a"])
            };
            assert!(matches!(s.fit(&t), Err(Error::InvalidParameter { .. })));
        }
        for range in [(-1.0, 50.0), (50.0, 50.0), (60.0, 50.0), (0.0, 101.0)] {
            let s = RobustScaler {
                quantile_range: range,
                ..RobustScaler::new(["a"])
            };
            assert!(matches!(s.fit(&t), Err(Error::InvalidParameter { .. })));
        }
        // Infinity at transform passes through (as StandardScaler).
        let f = MaxAbsScaler::new(["a"]).fit(&t).unwrap();
        let inf = table(vec![("a", f64col(&[Some(f64::NEG_INFINITY)]))]);
        assert_eq!(
            out(&f.transform(&inf).unwrap(), "a"),
            vec![Some(f64::NEG_INFINITY)]
        );
    }

    #[test]
    fn all_numeric_and_int_columns() {
        let t = table(vec![
            (
                "i",
                std::sync::Arc::new(arrow::array::Int32Array::from(vec![1, 2, 3])) as _,
            ),
            ("s", strcol(&["x", "y", "z"])),
        ]);
        let f = MinMaxScaler::default().fit(&t).unwrap();
        let o = f.transform(&t).unwrap();
        assert_close(&out(&o, "i"), &[Some(0.0), Some(0.5), Some(1.0)], 0.0);
        assert_eq!(o.column(1).data_type(), &arrow::datatypes::DataType::Utf8);
        check_row_path(f.as_ref(), &t);
    }

    #[test]
    fn serde_params() {
        assert_eq!(
            params_json(&MinMaxScaler::new(["a"])),
            r#"{"type":"min_max_scaler","columns":{"names":["a"]},"feature_range":[0.0,1.0],"clip":false}"#
        );
        assert_eq!(
            params_json(&RobustScaler::default()),
            r#"{"type":"robust_scaler","columns":"all_numeric","with_centering":true,"with_scaling":true,"quantile_range":[25.0,75.0]}"#
        );
        assert_eq!(
            params_json(&MaxAbsScaler::default()),
            r#"{"type":"max_abs_scaler","columns":"all_numeric","clip":false}"#
        );
        // Defaults fill omitted fields.
        let t: Box<dyn FeatureTransform> =
            serde_json::from_str(r#"{"type":"robust_scaler","quantile_range":[10.0,90.0]}"#).unwrap();
        assert!(format!("{t:?}").contains("with_centering: true"));
    }

    #[test]
    fn percentile_helpers_match_numpy() {
        // reference: numpy 2.4.6 np.percentile([3, 1, 4, 1, 5, 9, 2, 6], q) and
        // method="averaged_inverted_cdf"
        let v = sorted(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]);
        let lin = [1.0, 1.0, 1.75, 3.5, 5.25, 6.8999999999999995, 9.0];
        let aic = [1.0, 1.0, 1.5, 3.5, 5.5, 9.0, 9.0];
        for (k, q) in [0.0, 5.0, 25.0, 50.0, 75.0, 90.0, 100.0].into_iter().enumerate() {
            let l = np_percentile_sorted(&v, q, PercentileMethod::Linear);
            assert_eq!(l, lin[k], "{q}");
            let a = np_percentile_sorted(&v, q, PercentileMethod::AveragedInvertedCdf);
            assert_eq!(a, aic[k], "{q}");
        }
        assert_eq!(median_sorted(&v), 3.5);
        assert_eq!(
            np_linspace(0.0, 100.0, 4),
            vec![0.0, 33.333333333333336, 66.66666666666667, 100.0]
        );
    }
}
