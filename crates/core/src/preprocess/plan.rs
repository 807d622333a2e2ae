//! An ordered, serializable list of preprocessors.

use std::path::Path;
use std::sync::Arc;

use arrow::compute::concat_batches;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::Preprocessor;
use crate::data::{csv_batches, parquet_batches, BatchIter, CsvOptions};
use crate::error::{Error, Result};

/// Preprocessors run in order over a stream of batches.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `steps` | `[]` | the steps, each a tagged [`Preprocessor`] |
///
/// Stateless steps stream: each input batch becomes at most one output batch of at most
/// as many rows, so memory is bounded by a few batches. A whole-stream step
/// ([`Deduplicate`](super::Deduplicate)) holds its state until the input ends.
///
/// A plan is itself a [`Preprocessor`] (tag `plan`), so plans nest.
///
/// JSON: `{"steps": [{"type": "cast", "columns": {"x": "float64"}, "safe": false},
/// {"type": "filter", "predicate": {"op": "gt", "column": "x", "value": 0}}]}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::StringArray;
/// use ferrops::preprocess::{col, DropNulls, Filter, PreprocessPlan, Rename};
/// # fn main() -> ferrops::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "id,amount\n1,10.5\n2,\n3,-4\n").unwrap();
/// let plan = PreprocessPlan::new()
///     .then(DropNulls::any())
///     .then(Filter::new(col("amount").gt(0)))
///     .then(Rename::new([("amount", "eur")]));
/// let (schema, batches) = plan.run_csv(&path, &Default::default())?;
/// assert_eq!(schema.field(1).name(), "eur");
/// let rows: usize = batches.map(|b| b.map(|b| b.num_rows())).sum::<ferrops::Result<usize>>()?;
/// assert_eq!(rows, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PreprocessPlan {
    /// The steps, in order.
    #[serde(default)]
    pub steps: Vec<Box<dyn Preprocessor>>,
}

impl PreprocessPlan {
    /// An empty plan (the identity).
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a step.
    pub fn then(mut self, step: impl Preprocessor) -> Self {
        self.steps.push(Box::new(step));
        self
    }

    /// Append a boxed step.
    pub fn push(&mut self, step: Box<dyn Preprocessor>) {
        self.steps.push(step);
    }

    /// The schema the plan produces from `input`, checking every step in turn.
    ///
    /// # Errors
    /// The first step's error (missing or mistyped column, invalid parameter), naming it.
    pub fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let mut schema = input.clone();
        for step in &self.steps {
            schema = step.output_schema(&schema)?;
        }
        Ok(schema)
    }

    /// Run the plan over a stream. The schema is checked on the first batch, before any
    /// step runs; each step then pulls batches lazily from the previous one.
    pub fn run(&self, input: BatchIter) -> BatchIter {
        let plan = self.clone();
        let mut first = true;
        let checked: BatchIter = Box::new(input.map(move |batch| {
            let batch = batch?;
            if first {
                first = false;
                plan.output_schema(batch.schema_ref())?;
            }
            Ok(batch)
        }));
        self.steps
            .iter()
            .fold(checked, |stream, step| step.process_stream(stream))
    }

    /// Run the plan over one table and return one table.
    ///
    /// # Errors
    /// Any step's error.
    pub fn run_table(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let schema = Arc::new(self.output_schema(table.schema_ref())?);
        let batches = self
            .run(Box::new(std::iter::once(Ok(table.clone()))))
            .collect::<Result<Vec<_>>>()?;
        Ok(concat_batches(&schema, &batches)?)
    }

    /// Stream a CSV file through the plan (in batches of `options.batch_size`). The
    /// returned schema is the plan's output schema, checked before any row is read.
    ///
    /// # Errors
    /// Those of [`csv_batches`] and [`output_schema`](PreprocessPlan::output_schema).
    pub fn run_csv(&self, path: impl AsRef<Path>, options: &CsvOptions) -> Result<(SchemaRef, BatchIter)> {
        let (schema, batches) = csv_batches(path, options)?;
        let out = Arc::new(self.output_schema(&schema)?);
        Ok((out, self.run(batches)))
    }

    /// Stream a Parquet file through the plan, in batches of at most `batch_size` rows.
    ///
    /// # Errors
    /// Those of [`parquet_batches`] and [`output_schema`](PreprocessPlan::output_schema).
    pub fn run_parquet(&self, path: impl AsRef<Path>, batch_size: usize) -> Result<(SchemaRef, BatchIter)> {
        let (schema, batches) = parquet_batches(path, batch_size)?;
        let out = Arc::new(self.output_schema(&schema)?);
        Ok((out, self.run(batches)))
    }

    /// Serialize to JSON.
    ///
    /// # Errors
    /// [`Error::Serialization`] (not expected for the built-in steps).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Deserialize from JSON.
    ///
    /// # Errors
    /// [`Error::Serialization`] for malformed JSON, an unknown step `type`, or a bad field.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Serialization(e.to_string()))
    }
}

#[typetag::serde(name = "plan")]
impl Preprocessor for PreprocessPlan {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        PreprocessPlan::output_schema(self, input)
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        self.run_table(batch)
    }

    fn process_stream(&self, input: BatchIter) -> BatchIter {
        self.run(input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use arrow::array::{ArrayRef, Int64Array, StringArray};

    use super::*;
    use crate::preprocess::{col, Cast, CastType, Deduplicate, Filter, Select};

    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(vec![1, 2, 1, 3])) as ArrayRef),
            (
                "v",
                Arc::new(StringArray::from(vec!["1", "2", "3", "x"])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn checks_schema_before_running() {
        let plan = PreprocessPlan::new()
            .then(Select::new(["id"]))
            .then(Filter::new(col("v").eq("1")));
        let err = plan.output_schema(&table().schema()).unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
        let mut out = plan.run(Box::new(std::iter::once(Ok(table()))));
        assert!(matches!(out.next(), Some(Err(Error::ColumnNotFound { .. }))));
    }

    #[test]
    fn stream_errors_name_stream_rows() {
        let plan = PreprocessPlan::new().then(Cast::new([("v", CastType::Int64)]));
        let t = table();
        let batches: BatchIter = Box::new(vec![Ok(t.slice(0, 2)), Ok(t.slice(2, 2))].into_iter());
        let results: Vec<_> = plan.run(batches).collect();
        match &results[1] {
            Err(Error::InvalidValue { row, .. }) => assert_eq!(*row, 3),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nested_plan_and_empty_plan() {
        let inner = PreprocessPlan::new().then(Deduplicate::new(["id"]));
        let plan = PreprocessPlan::new().then(inner).then(Select::new(["v"]));
        let json = plan.to_json().unwrap();
        let back = PreprocessPlan::from_json(&json).unwrap();
        let out = back.run_table(&table()).unwrap();
        assert_eq!(out.num_rows(), 3);
        assert_eq!(PreprocessPlan::new().run_table(&table()).unwrap(), table());
        assert!(matches!(
            PreprocessPlan::from_json(r#"{"steps": [{"type": "nope"}]}"#),
            Err(Error::Serialization(_))
        ));
    }
}
