//! Clip numeric columns to bounds.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{ArrowPrimitiveType, DataType, Field, Float32Type, Float64Type, Int64Type, Schema};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::{check_names, Preprocessor};
use crate::data::table::{index_of, splice_columns, splice_fields};
use crate::error::{Error, Result};

/// Clip numeric columns to `[lower, upper]`, as pandas `Series.clip`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | required | numeric columns to clip |
/// | `lower` | `None` | values below become `lower`; `None`: no lower bound |
/// | `upper` | `None` | values above become `upper`; `None`: no upper bound |
///
/// Nulls and NaN stay as they are. Float columns keep their type. Integer columns keep
/// theirs when both bounds are whole numbers and become `Float64` otherwise (pandas:
/// `pd.Series([1, 5, 10]).clip(2.5, 7.5)` is float). `lower > upper`, or a NaN bound,
/// is [`Error::InvalidParameter`]; a non-numeric column is [`Error::ColumnType`].
///
/// JSON: `{"type": "clip", "columns": ["x"], "lower": 0.0, "upper": 10.0}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{AsArray, Float64Array};
/// # use arrow::datatypes::Float64Type;
/// use ferrops::preprocess::{Clip, Preprocessor};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![Some(1.0), None, Some(-3.0), Some(9.0)])) as _),
/// ])?;
/// let out = Clip::new(["x"], Some(-1.0), Some(2.0)).process_batch(&t)?;
/// let x = out.column(0).as_primitive::<Float64Type>();
/// assert_eq!(x.iter().collect::<Vec<_>>(), vec![Some(1.0), None, Some(-1.0), Some(2.0)]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    /// Columns to clip.
    pub columns: Vec<String>,
    /// Lower bound.
    #[serde(default)]
    pub lower: Option<f64>,
    /// Upper bound.
    #[serde(default)]
    pub upper: Option<f64>,
}

impl Clip {
    /// Clip `columns` to `[lower, upper]`.
    pub fn new<I, S>(columns: I, lower: Option<f64>, upper: Option<f64>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Clip {
            columns: columns.into_iter().map(Into::into).collect(),
            lower,
            upper,
        }
    }

    fn check(&self) -> Result<()> {
        check_names("columns", &self.columns)?;
        for (name, bound) in [("lower", self.lower), ("upper", self.upper)] {
            if bound.is_some_and(f64::is_nan) {
                return Err(Error::param(
                    name,
                    "NaN",
                    "a bound must be a number (or null for none)",
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (self.lower, self.upper) {
            if lo > hi {
                return Err(Error::param("lower", lo, format!("must not exceed upper = {hi}")));
            }
        }
        Ok(())
    }

    fn integral_bounds(&self) -> bool {
        [self.lower, self.upper]
            .iter()
            .flatten()
            .all(|b| b.fract() == 0.0 || b.is_infinite())
    }

    /// The output type of a column of type `dt`.
    fn output_type(&self, name: &str, dt: &DataType) -> Result<DataType> {
        if !dt.is_numeric() {
            return Err(Error::column_type(name, "a numeric column", dt));
        }
        Ok(match dt {
            DataType::Float16 | DataType::Float32 | DataType::Float64 => dt.clone(),
            dt if dt.is_integer() && self.integral_bounds() => dt.clone(),
            _ => DataType::Float64,
        })
    }

    fn plan(&self, input: &Schema) -> Result<Vec<(usize, Field)>> {
        self.check()?;
        self.columns
            .iter()
            .map(|name| {
                let i = index_of(input, name)?;
                let field = input.field(i);
                let dt = self.output_type(name, field.data_type())?;
                Ok((i, field.clone().with_data_type(dt)))
            })
            .collect()
    }

    fn clip_column(&self, array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
        let options = CastOptions {
            safe: false,
            ..Default::default()
        };
        Ok(match to {
            DataType::Float64 => {
                let x = cast_with_options(array, &DataType::Float64, &options)?;
                let (lo, hi) = (self.lower, self.upper);
                Arc::new(clip_values::<Float64Type>(x.as_primitive(), lo, hi))
            }
            DataType::Float32 => {
                let (lo, hi) = (self.lower.map(|v| v as f32), self.upper.map(|v| v as f32));
                Arc::new(clip_values::<Float32Type>(array.as_primitive(), lo, hi))
            }
            dt if dt.is_integer() => {
                let x = cast_with_options(array, &DataType::Int64, &options)?;
                // Saturating float -> i64 conversion keeps infinite bounds meaningful.
                let (lo, hi) = (self.lower.map(|v| v as i64), self.upper.map(|v| v as i64));
                let clipped: ArrayRef = Arc::new(clip_values::<Int64Type>(x.as_primitive(), lo, hi));
                cast_with_options(&clipped, dt, &options)?
            }
            _ => {
                // Float16: clip in f64 and cast back.
                let x = cast_with_options(array, &DataType::Float64, &options)?;
                let clipped: ArrayRef = Arc::new(clip_values::<Float64Type>(
                    x.as_primitive(),
                    self.lower,
                    self.upper,
                ));
                cast_with_options(&clipped, to, &options)?
            }
        })
    }
}

/// Clip every value; comparisons with NaN are false, so NaN stays NaN.
fn clip_values<T>(
    array: &PrimitiveArray<T>,
    lower: Option<T::Native>,
    upper: Option<T::Native>,
) -> PrimitiveArray<T>
where
    T: ArrowPrimitiveType,
    T::Native: PartialOrd,
{
    array.unary(|v| match (lower, upper) {
        (Some(lo), _) if v < lo => lo,
        (_, Some(hi)) if v > hi => hi,
        _ => v,
    })
}

#[typetag::serde(name = "clip")]
impl Preprocessor for Clip {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let plan = self.plan(input)?;
        Ok(splice_fields(
            input,
            plan.into_iter().map(|(i, f)| (i, vec![f])).collect(),
        ))
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let plan = self.plan(batch.schema_ref())?;
        let mut replacements = Vec::with_capacity(plan.len());
        for (i, field) in plan {
            let array = self.clip_column(batch.column(i), field.data_type())?;
            debug_assert_eq!(array.len(), batch.num_rows());
            replacements.push((i, vec![(field, array)]));
        }
        splice_columns(batch, replacements)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use arrow::array::{Float64Array, Int32Array, StringArray};
    use arrow::datatypes::Int32Type;

    use super::*;

    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "f",
                Arc::new(Float64Array::from(vec![
                    Some(1.0),
                    Some(f64::NAN),
                    Some(-3.0),
                    None,
                ])) as ArrayRef,
            ),
            ("i", Arc::new(Int32Array::from(vec![1, 5, 10, 7])) as ArrayRef),
            (
                "s",
                Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    // Reference: pandas 3.0
    //   pd.Series([1.0, nan, -3.0, 9.0]).clip(-1, 2) -> [1.0, nan, -1.0, 2.0]
    //   pd.Series([1, 5, 10]).clip(2.5, 7.5)         -> [2.5, 5.0, 7.5] (float64)
    //   pd.Series([1, 5, 10]).clip(2, 7).dtype       -> int64
    #[test]
    fn matches_pandas() {
        let t = table();
        let step = Clip::new(["f", "i"], Some(-1.0), Some(2.0));
        let out = step.process_batch(&t).unwrap();
        assert_eq!(out.schema().as_ref(), &step.output_schema(&t.schema()).unwrap());
        let f = out.column(0).as_primitive::<Float64Type>();
        assert_eq!(f.value(0), 1.0);
        assert!(f.value(1).is_nan());
        assert_eq!(f.value(2), -1.0);
        assert!(f.is_null(3));
        let i = out.column(1).as_primitive::<Int32Type>();
        assert_eq!(i.values().to_vec(), vec![1, 2, 2, 2]);

        let out = Clip::new(["i"], Some(2.5), Some(7.5)).process_batch(&t).unwrap();
        let i = out.column(1).as_primitive::<Float64Type>();
        assert_eq!(i.values().to_vec(), vec![2.5, 5.0, 7.5, 7.0]);

        let out = Clip::new(["i"], None, Some(6.0)).process_batch(&t).unwrap();
        let i = out.column(1).as_primitive::<Int32Type>();
        assert_eq!(i.values().to_vec(), vec![1, 5, 6, 6]);
    }

    #[test]
    fn errors() {
        let schema = table().schema();
        let bad = Clip::new(["f"], Some(3.0), Some(1.0)).output_schema(&schema);
        assert!(matches!(bad, Err(Error::InvalidParameter { .. })));
        let bad = Clip::new(["f"], Some(f64::NAN), None).output_schema(&schema);
        assert!(matches!(bad, Err(Error::InvalidParameter { .. })));
        let bad = Clip::new(["s"], Some(0.0), None).output_schema(&schema);
        assert!(matches!(bad, Err(Error::ColumnType { .. })));
        let bad = Clip::new(["zz"], Some(0.0), None).output_schema(&schema);
        assert!(matches!(bad, Err(Error::ColumnNotFound { .. })));
    }

    #[test]
    fn serde_and_empty() {
        let step: Clip = serde_json::from_str(r#"{"columns": ["f"], "upper": 1}"#).unwrap();
        assert_eq!(step, Clip::new(["f"], None, Some(1.0)));
        let out = step.process_batch(&table().slice(0, 0)).unwrap();
        assert_eq!(out.num_rows(), 0);
    }
}
