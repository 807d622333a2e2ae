use arrow::record_batch::RecordBatch;
use ndarray::{Array2, ShapeBuilder};

use super::table::{as_f64_array, column};
use crate::error::{Error, Result};
use arrow::array::Array;

/// Assemble `columns` of `table` into a `(rows, columns)` matrix.
///
/// The matrix is column-major (Fortran order), like the Arrow columns it comes from:
/// each column is one contiguous copy. ndarray views and linfa accept either order.
///
/// Numeric and boolean columns are accepted. A null, NaN or infinite value is an
/// [`Error::InvalidValue`] naming the column and row: impute or filter before a trainer.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::Float64Array;
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("a", Arc::new(Float64Array::from(vec![1.0, 2.0])) as _),
///     ("b", Arc::new(Float64Array::from(vec![3.0, 4.0])) as _),
/// ])?;
/// let m = ferrops::data::to_matrix(&t, &["b", "a"])?;
/// assert_eq!(m.row(0).to_vec(), vec![3.0, 1.0]);
/// # Ok(()) }
/// ```
pub fn to_matrix<S: AsRef<str>>(table: &RecordBatch, columns: &[S]) -> Result<Array2<f64>> {
    let rows = table.num_rows();
    let mut matrix = Array2::<f64>::zeros((rows, columns.len()).f());
    for (j, name) in columns.iter().enumerate() {
        let name = name.as_ref();
        let floats = as_f64_array(name, column(table, name)?)?;
        copy_column(name, &floats, matrix.column_mut(j))?;
    }
    Ok(matrix)
}

/// Like [`to_matrix`] with every column of `table`, in order, but consuming the table:
/// each column is released as soon as it is copied, so the peak memory is about one
/// matrix, not a matrix plus the table.
pub fn into_matrix(table: RecordBatch) -> Result<Array2<f64>> {
    let rows = table.num_rows();
    let (schema, columns, _) = table.into_parts();
    let mut matrix = Array2::<f64>::zeros((rows, columns.len()).f());
    for (j, (field, array)) in schema.fields().iter().zip(columns).enumerate() {
        let name = field.name();
        let floats = as_f64_array(name, &array)?;
        drop(array);
        copy_column(name, &floats, matrix.column_mut(j))?;
    }
    Ok(matrix)
}

/// Copy one column in, refusing nulls and non-finite values.
fn copy_column(
    name: &str,
    floats: &arrow::array::Float64Array,
    mut out: ndarray::ArrayViewMut1<f64>,
) -> Result<()> {
    let values = floats.values();
    let bad = if floats.null_count() == 0 {
        values.iter().position(|v| !v.is_finite())
    } else {
        (0..values.len()).find(|&i| floats.is_null(i) || !values[i].is_finite())
    };
    if let Some(i) = bad {
        return Err(non_finite(name, i, floats));
    }
    match out.as_slice_mut() {
        Some(slice) => slice.copy_from_slice(values),
        None => out.iter_mut().zip(values.iter()).for_each(|(o, v)| *o = *v),
    }
    Ok(())
}

fn non_finite(name: &str, row: usize, floats: &arrow::array::Float64Array) -> Error {
    let value = if floats.is_null(row) {
        "null".to_string()
    } else {
        floats.value(row).to_string()
    };
    Error::InvalidValue {
        column: name.to_string(),
        row,
        value,
        hint: "a model needs finite values: impute missing values (SimpleImputer) or filter the rows first"
            .into(),
    }
}
