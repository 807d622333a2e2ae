//! Drop rows with missing values.

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::compute::kernels::boolean;
use arrow::datatypes::{DataType, Float16Type, Float32Type, Float64Type, Schema};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::{check_names, Preprocessor};
use crate::data::table::index_of;
use crate::error::Result;

/// When [`DropNulls`] drops a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// If any of the columns is missing.
    #[default]
    Any,
    /// If all of the columns are missing.
    All,
}

/// Drop the rows with missing values, as pandas `dropna`: null, and NaN in a float
/// column, count as missing (pandas treats NaN as missing; polars `drop_nulls` would
/// keep NaN rows).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | `None` | the columns to look at (pandas `subset`); `None`: every column |
/// | `how` | `"any"` | `"any"`: drop a row with any missing value among `columns`; `"all"`: only if all are missing |
///
/// The schema is unchanged.
///
/// JSON: `{"type": "drop_nulls", "columns": ["a", "b"], "how": "any"}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Float64Array, StringArray};
/// use ferrops::preprocess::{DropNulls, How, Preprocessor};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("a", Arc::new(Float64Array::from(vec![Some(1.0), Some(f64::NAN), None])) as _),
///     ("b", Arc::new(StringArray::from(vec![Some("x"), Some("y"), None])) as _),
/// ])?;
/// assert_eq!(DropNulls::any().process_batch(&t)?.num_rows(), 1);
/// assert_eq!(DropNulls::any().with_how(How::All).process_batch(&t)?.num_rows(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DropNulls {
    /// The columns to look at; `None` for all.
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Any or all missing.
    #[serde(default)]
    pub how: How,
}

impl DropNulls {
    /// Drop rows with a missing value in any column.
    pub fn any() -> Self {
        DropNulls::default()
    }

    /// Drop rows with a missing value in any of `columns`.
    pub fn columns<I, S>(columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        DropNulls {
            columns: Some(columns.into_iter().map(Into::into).collect()),
            how: How::Any,
        }
    }

    /// Set `how`.
    pub fn with_how(mut self, how: How) -> Self {
        self.how = how;
        self
    }

    fn positions(&self, schema: &Schema) -> Result<Vec<usize>> {
        match &self.columns {
            None => Ok((0..schema.fields().len()).collect()),
            Some(names) => {
                check_names("columns", names)?;
                names.iter().map(|n| index_of(schema, n)).collect()
            }
        }
    }
}

/// True where `array` is null or a float NaN.
pub(crate) fn missing_mask(array: &ArrayRef) -> Result<BooleanArray> {
    let nulls = boolean::is_null(array)?;
    let nan = match array.data_type() {
        DataType::Float64 => nan_mask(
            array
                .as_primitive::<Float64Type>()
                .values()
                .iter()
                .map(|v| v.is_nan()),
        ),
        DataType::Float32 => nan_mask(
            array
                .as_primitive::<Float32Type>()
                .values()
                .iter()
                .map(|v| v.is_nan()),
        ),
        DataType::Float16 => nan_mask(
            array
                .as_primitive::<Float16Type>()
                .values()
                .iter()
                .map(|v| v.is_nan()),
        ),
        _ => return Ok(nulls),
    };
    Ok(boolean::or(&nulls, &nan)?)
}

fn nan_mask(values: impl Iterator<Item = bool>) -> BooleanArray {
    BooleanArray::new(values.collect(), None)
}

#[typetag::serde(name = "drop_nulls")]
impl Preprocessor for DropNulls {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        self.positions(input)?;
        Ok(input.clone())
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let positions = self.positions(batch.schema_ref())?;
        let mut drop: Option<BooleanArray> = None;
        for i in positions {
            let column = batch.column(i);
            if self.how == How::Any && column.null_count() == 0 && !column.data_type().is_floating() {
                continue;
            }
            let missing = missing_mask(column)?;
            drop = Some(match (drop, self.how) {
                (None, _) => missing,
                (Some(acc), How::Any) => boolean::or(&acc, &missing)?,
                (Some(acc), How::All) => boolean::and(&acc, &missing)?,
            });
        }
        match drop {
            None => Ok(batch.clone()),
            Some(drop) if drop.true_count() == 0 => Ok(batch.clone()),
            Some(drop) => Ok(filter_record_batch(batch, &boolean::not(&drop)?)?),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray};

    use super::*;
    use crate::error::Error;

    /// pandas: `pd.DataFrame({"a": [1.0, nan, None, 4.0, nan], "b": ["x", None, "y", None, None]})`.
    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "a",
                Arc::new(Float64Array::from(vec![
                    Some(1.0),
                    Some(f64::NAN),
                    None,
                    Some(4.0),
                    Some(f64::NAN),
                ])) as ArrayRef,
            ),
            (
                "b",
                Arc::new(StringArray::from(vec![Some("x"), None, Some("y"), None, None])) as ArrayRef,
            ),
            ("i", Arc::new(Int64Array::from(vec![0, 1, 2, 3, 4])) as ArrayRef),
        ])
        .unwrap()
    }

    fn kept(step: DropNulls) -> Vec<i64> {
        let out = step.process_batch(&table()).unwrap();
        out.column(2)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .values()
            .to_vec()
    }

    // Reference: pandas 3.0 on the table above (index kept):
    //   df.dropna()                                -> [0]
    //   df.dropna(how="all")  (over a, b)          -> [0, 2, 3]
    //   df.dropna(subset=["a"])                    -> [0, 3]
    //   df.dropna(subset=["a", "b"], how="all")    -> [0, 2, 3]
    #[test]
    fn matches_pandas_dropna() {
        assert_eq!(kept(DropNulls::any()), vec![0]);
        assert_eq!(
            kept(DropNulls::columns(["a", "b"]).with_how(How::All)),
            vec![0, 2, 3]
        );
        assert_eq!(kept(DropNulls::columns(["a"])), vec![0, 3]);
        // All columns, how=all: `i` is never missing, so nothing is dropped.
        assert_eq!(kept(DropNulls::any().with_how(How::All)), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn errors_and_edges() {
        let t = table();
        assert!(matches!(
            DropNulls::columns(["zz"]).output_schema(&t.schema()),
            Err(Error::ColumnNotFound { .. })
        ));
        assert!(matches!(
            DropNulls::columns(Vec::<String>::new()).output_schema(&t.schema()),
            Err(Error::InvalidParameter { .. })
        ));
        let out = DropNulls::any().process_batch(&t.slice(0, 0)).unwrap();
        assert_eq!(out.num_rows(), 0);
        let all_null =
            RecordBatch::try_from_iter([("n", Arc::new(Float64Array::from(vec![None, None])) as ArrayRef)])
                .unwrap();
        assert_eq!(DropNulls::any().process_batch(&all_null).unwrap().num_rows(), 0);
    }

    #[test]
    fn serde_defaults() {
        let step: DropNulls = serde_json::from_str("{}").unwrap();
        assert_eq!(step, DropNulls::any());
        assert_eq!(
            serde_json::to_value(DropNulls::columns(["a"]).with_how(How::All)).unwrap(),
            serde_json::json!({"columns": ["a"], "how": "all"})
        );
    }
}
