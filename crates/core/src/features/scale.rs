//! Standard scaling (zero mean, unit variance).

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::{
    columnwise_output_schema, columnwise_row, columnwise_transform, fit_values, Columns, Columnwise,
    FeatureTransform, FittedTransform, RowTransform,
};
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

/// Mean and population variance, two-pass.
pub(crate) fn mean_var(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
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
        (x - self.mean[j]) / self.scale[j]
    }
}

#[typetag::serde(name = "standard_scaler")]
impl FittedTransform for FittedStandardScaler {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        columnwise_output_schema(self, input)
    }
    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        columnwise_transform(self, table)
    }
    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        columnwise_row(self, input)
    }
}
