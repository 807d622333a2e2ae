//! Shared machinery for fitted transforms that map each selected numeric column to one
//! `Float64` column, value by value (scalers, power transforms, binning...).

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::RowTransform;
use crate::data::table::{
    as_f64_array, column, index_of, is_bool, is_numeric, splice_columns, splice_fields,
};
use crate::data::Value;
use crate::error::{Error, Result};

/// A fitted transform that maps column `columns()[j]` value by value with `apply(j, x)`.
///
/// Implement this and call [`columnwise_transform`], [`columnwise_output_schema`] and
/// [`columnwise_row`] from the [`FittedTransform`](super::FittedTransform) methods.
/// Nulls stay null; NaN is passed to `apply` (most transforms return it unchanged, as
/// scikit-learn does).
pub trait Columnwise: Clone + Send + Sync + Debug + 'static {
    /// The columns, in fit order.
    fn columns(&self) -> &[String];
    /// The output value for input `x` of column `j`.
    fn apply(&self, j: usize, x: f64) -> f64;
}

/// Implement [`FittedTransform`](super::FittedTransform) for a [`Columnwise`] type,
/// registered under `tag`: its output schema, transform and single-row path all come
/// from the [`Columnwise`] helpers.
macro_rules! columnwise_fitted_transform {
    ($ty:ty, $tag:literal) => {
        #[typetag::serde(name = $tag)]
        impl $crate::features::FittedTransform for $ty {
            fn output_schema(
                &self,
                input: &arrow::datatypes::Schema,
            ) -> $crate::Result<arrow::datatypes::Schema> {
                $crate::features::columnwise_output_schema(self, input)
            }
            fn transform(
                &self,
                table: &arrow::record_batch::RecordBatch,
            ) -> $crate::Result<arrow::record_batch::RecordBatch> {
                $crate::features::columnwise_transform(self, table)
            }
            fn row_transform(
                &self,
                input: &arrow::datatypes::SchemaRef,
            ) -> $crate::Result<Option<Box<dyn $crate::features::RowTransform>>> {
                $crate::features::columnwise_row(self, input)
            }
        }
    };
}
pub(crate) use columnwise_fitted_transform;

/// [`Error::ColumnType`] unless `dt` is numeric or boolean.
pub(crate) fn check_numeric(name: &str, dt: &DataType) -> Result<()> {
    if is_numeric(dt) || is_bool(dt) {
        Ok(())
    } else {
        Err(Error::column_type(name, "a numeric column", dt))
    }
}

/// The output schema of a [`Columnwise`] transform: each column becomes nullable `Float64`.
pub fn columnwise_output_schema<T: Columnwise>(t: &T, input: &Schema) -> Result<Schema> {
    let mut replacements = Vec::with_capacity(t.columns().len());
    for name in t.columns() {
        let i = index_of(input, name)?;
        check_numeric(name, input.field(i).data_type())?;
        replacements.push((i, vec![Field::new(name, DataType::Float64, true)]));
    }
    Ok(splice_fields(input, replacements))
}

/// Apply a [`Columnwise`] transform to a table.
pub fn columnwise_transform<T: Columnwise>(t: &T, table: &RecordBatch) -> Result<RecordBatch> {
    let schema = table.schema();
    let mut replacements = Vec::with_capacity(t.columns().len());
    for (j, name) in t.columns().iter().enumerate() {
        let i = index_of(&schema, name)?;
        let floats = as_f64_array(name, column(table, name)?)?;
        let values: Vec<f64> = floats.values().iter().map(|&x| t.apply(j, x)).collect();
        let out = Float64Array::new(values.into(), floats.nulls().cloned());
        replacements.push((
            i,
            vec![(
                Field::new(name, DataType::Float64, true),
                Arc::new(out) as ArrayRef,
            )],
        ));
    }
    splice_columns(table, replacements)
}

/// The single-row form of a [`Columnwise`] transform for rows laid out as `input`.
pub fn columnwise_row<T: Columnwise>(t: &T, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
    let mut indices = Vec::with_capacity(t.columns().len());
    for name in t.columns() {
        let i = index_of(input, name)?;
        check_numeric(name, input.field(i).data_type())?;
        indices.push(i);
    }
    Ok(Some(Box::new(ColumnwiseRow {
        inner: t.clone(),
        indices,
        names: t.columns().to_vec(),
    })))
}

#[derive(Debug)]
struct ColumnwiseRow<T> {
    inner: T,
    indices: Vec<usize>,
    names: Vec<String>,
}

impl<T: Columnwise> RowTransform for ColumnwiseRow<T> {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        for (j, &i) in self.indices.iter().enumerate() {
            let Some(cell) = row.get_mut(i) else {
                return Err(Error::InvalidData(format!(
                    "row has no value for column `{}`",
                    self.names[j]
                )));
            };
            let new = match &*cell {
                Value::Null => Value::Null,
                other => match other.as_f64() {
                    Some(x) => Value::Float(self.inner.apply(j, x)),
                    None => {
                        return Err(Error::column_type(
                            &self.names[j],
                            "a numeric value",
                            other.type_name(),
                        ))
                    }
                },
            };
            *cell = new;
        }
        Ok(())
    }
}

/// The non-missing values of numeric column `name`, for fitting.
///
/// Nulls and NaN are skipped (they are what imputers fill and scalers pass through).
///
/// # Errors
/// [`Error::ColumnType`] for a non-numeric column; [`Error::InvalidValue`] for an
/// infinity; [`Error::EmptyInput`] when no value is left (an empty table or an
/// all-missing column).
pub fn fit_values(table: &RecordBatch, name: &str, stage: &str) -> Result<Vec<f64>> {
    let floats = as_f64_array(name, column(table, name)?)?;
    let mut values = Vec::with_capacity(floats.len() - floats.null_count());
    for (row, v) in floats.iter().enumerate() {
        match v {
            Some(x) if x.is_infinite() => {
                return Err(Error::InvalidValue {
                    column: name.to_string(),
                    row,
                    value: x.to_string(),
                    hint: format!(
                        "{stage} cannot fit on infinite values: replace or filter them first (Clip, Filter)"
                    ),
                })
            }
            Some(x) if !x.is_nan() => values.push(x),
            _ => {}
        }
    }
    if values.is_empty() {
        return Err(Error::EmptyInput {
            context: format!("column `{name}` has no non-missing value to fit {stage} on"),
        });
    }
    Ok(values)
}
