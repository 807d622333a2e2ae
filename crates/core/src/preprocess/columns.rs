//! Rename, select and drop columns.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde::{Deserialize, Serialize};

use super::{check_names, Preprocessor};
use crate::data::table::index_of;
use crate::error::{Error, Result};

/// A batch with `schema` and the columns of `batch` at `positions`.
fn with_columns(batch: &RecordBatch, schema: Schema, positions: &[usize]) -> Result<RecordBatch> {
    let columns = positions.iter().map(|&i| batch.column(i).clone()).collect();
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(schema),
        columns,
        &options,
    )?)
}

/// Rename columns, as pandas `rename(columns=...)` (but strict: an unknown column is an
/// error) or polars `rename`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `mapping` | required | old name -> new name |
///
/// Columns keep their position. An absent old name is [`Error::ColumnNotFound`]; a
/// mapping that would leave two columns with the same name (renaming onto a kept column,
/// or two columns onto one name) is [`Error::InvalidParameter`]. Swaps (`a -> b`,
/// `b -> a`) are fine.
///
/// JSON: `{"type": "rename", "mapping": {"old": "new"}}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::Int64Array;
/// use ferrops::preprocess::{Preprocessor, Rename};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("a", Arc::new(Int64Array::from(vec![1])) as _),
///     ("b", Arc::new(Int64Array::from(vec![2])) as _),
/// ])?;
/// let out = Rename::new([("a", "x")]).process_batch(&t)?;
/// assert_eq!(out.schema().field(0).name(), "x");
/// assert!(Rename::new([("a", "b")]).process_batch(&t).is_err()); // two `b`s
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    /// Old name -> new name.
    pub mapping: BTreeMap<String, String>,
}

impl Rename {
    /// Rename by `(old, new)` pairs.
    pub fn new<I, A, B>(mapping: I) -> Self
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<String>,
        B: Into<String>,
    {
        Rename {
            mapping: mapping.into_iter().map(|(a, b)| (a.into(), b.into())).collect(),
        }
    }
}

#[typetag::serde(name = "rename")]
impl Preprocessor for Rename {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        for old in self.mapping.keys() {
            index_of(input, old)?;
        }
        let mut seen = HashSet::new();
        let fields: Vec<Field> = input
            .fields()
            .iter()
            .map(|f| {
                let name = self.mapping.get(f.name()).unwrap_or(f.name());
                if !seen.insert(name.clone()) {
                    return Err(Error::param(
                        "mapping",
                        format!("{:?}", self.mapping),
                        format!("the result would have two columns named `{name}`"),
                    ));
                }
                Ok(f.as_ref().clone().with_name(name))
            })
            .collect::<Result<_>>()?;
        Ok(Schema::new_with_metadata(fields, input.metadata().clone()))
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let schema = self.output_schema(batch.schema_ref())?;
        let positions: Vec<usize> = (0..batch.num_columns()).collect();
        with_columns(batch, schema, &positions)
    }
}

/// Keep only `columns`, in the given order, as polars `select` / pandas `df[columns]`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | required | the columns to keep, in output order (non-empty, no repeats) |
///
/// An absent column is [`Error::ColumnNotFound`].
///
/// JSON: `{"type": "select", "columns": ["a", "b"]}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::Int64Array;
/// use ferrops::preprocess::{Preprocessor, Select};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("a", Arc::new(Int64Array::from(vec![1])) as _),
///     ("b", Arc::new(Int64Array::from(vec![2])) as _),
/// ])?;
/// let out = Select::new(["b", "a"]).process_batch(&t)?;
/// assert_eq!(out.schema().field(0).name(), "b");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Select {
    /// The columns to keep, in order.
    pub columns: Vec<String>,
}

impl Select {
    /// Keep `columns`.
    pub fn new<I, S>(columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Select {
            columns: columns.into_iter().map(Into::into).collect(),
        }
    }

    fn positions(&self, input: &Schema) -> Result<Vec<usize>> {
        check_names("columns", &self.columns)?;
        self.columns.iter().map(|c| index_of(input, c)).collect()
    }
}

#[typetag::serde(name = "select")]
impl Preprocessor for Select {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        Ok(input.project(&self.positions(input)?)?)
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let positions = self.positions(batch.schema_ref())?;
        let schema = batch.schema_ref().project(&positions)?;
        with_columns(batch, schema, &positions)
    }
}

/// Remove `columns`, as pandas `drop(columns=...)` (strict: an absent column is
/// [`Error::ColumnNotFound`]).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | required | the columns to remove (non-empty, no repeats) |
///
/// JSON: `{"type": "drop", "columns": ["c"]}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::Int64Array;
/// use ferrops::preprocess::{Drop, Preprocessor};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("a", Arc::new(Int64Array::from(vec![1])) as _),
///     ("b", Arc::new(Int64Array::from(vec![2])) as _),
/// ])?;
/// let out = Drop::new(["a"]).process_batch(&t)?;
/// assert_eq!(out.num_columns(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drop {
    /// The columns to remove.
    pub columns: Vec<String>,
}

impl Drop {
    /// Remove `columns`.
    pub fn new<I, S>(columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Drop {
            columns: columns.into_iter().map(Into::into).collect(),
        }
    }

    fn positions(&self, input: &Schema) -> Result<Vec<usize>> {
        check_names("columns", &self.columns)?;
        let dropped = self
            .columns
            .iter()
            .map(|c| index_of(input, c))
            .collect::<Result<HashSet<usize>>>()?;
        Ok((0..input.fields().len())
            .filter(|i| !dropped.contains(i))
            .collect())
    }
}

#[typetag::serde(name = "drop")]
impl Preprocessor for Drop {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        Ok(input.project(&self.positions(input)?)?)
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let positions = self.positions(batch.schema_ref())?;
        let schema = batch.schema_ref().project(&positions)?;
        with_columns(batch, schema, &positions)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use arrow::array::{ArrayRef, Int64Array};

    use super::*;

    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            ("a", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            ("b", Arc::new(Int64Array::from(vec![3, 4])) as ArrayRef),
            ("c", Arc::new(Int64Array::from(vec![5, 6])) as ArrayRef),
        ])
        .unwrap()
    }

    fn names(b: &RecordBatch) -> Vec<String> {
        b.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    #[test]
    fn rename_swaps_and_rejects_collisions() {
        let t = table();
        let out = Rename::new([("a", "b"), ("b", "a")]).process_batch(&t).unwrap();
        assert_eq!(names(&out), vec!["b", "a", "c"]);
        assert_eq!(out.column(0), t.column(0));
        let err = Rename::new([("a", "c")]).process_batch(&t).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }) && err.to_string().contains("`c`"));
        let err = Rename::new([("a", "z"), ("b", "z")])
            .process_batch(&t)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }));
        let err = Rename::new([("q", "z")]).process_batch(&t).unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
        assert_eq!(
            serde_json::to_value(Rename::new([("a", "x")])).unwrap(),
            serde_json::json!({"mapping": {"a": "x"}})
        );
    }

    #[test]
    fn select_and_drop() {
        let t = table();
        assert_eq!(
            names(&Select::new(["c", "a"]).process_batch(&t).unwrap()),
            vec!["c", "a"]
        );
        assert_eq!(
            names(&Drop::new(["b"]).process_batch(&t).unwrap()),
            vec!["a", "c"]
        );
        let all_dropped = Drop::new(["a", "b", "c"]).process_batch(&t).unwrap();
        assert_eq!((all_dropped.num_columns(), all_dropped.num_rows()), (0, 2));
        assert!(matches!(
            Select::new(["zz"]).output_schema(&t.schema()),
            Err(Error::ColumnNotFound { .. })
        ));
        assert!(matches!(
            Drop::new(["zz"]).output_schema(&t.schema()),
            Err(Error::ColumnNotFound { .. })
        ));
        assert!(matches!(
            Select::new(["a", "a"]).output_schema(&t.schema()),
            Err(Error::InvalidParameter { .. })
        ));
        let empty = Select::new(["b"]).process_batch(&t.slice(0, 0)).unwrap();
        assert_eq!(empty.num_rows(), 0);
    }
}
