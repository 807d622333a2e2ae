//! Feature transforms: fitted once, applied identically in training and serving.
//!
//! A [`FeatureTransform`] holds parameters; [`FeatureTransform::fit`] learns from a
//! table and returns a [`FittedTransform`], which maps tables (or single rows) to
//! tables. Transforms are row-preserving and act on the columns their [`Columns`]
//! selects: each selected column is replaced, in place, by the column(s) it becomes,
//! and every other column passes through (scikit-learn's `ColumnTransformer` with
//! `remainder="passthrough"`, keeping column order).
//!
//! Every transform (parameters and fitted state) is serde-serializable under a stable
//! tag (`#[typetag::serde(name = "...")]`), which is how a pipeline artifact names its
//! stages. A user-defined transform registers its own tag the same way and then
//! plugs into a [`Pipeline`](crate::pipeline::Pipeline) and persists like a built-in one.

mod columns;
mod columnwise;
mod datetime;
mod hashing;
mod impute;
mod kbins;
mod kmeans;
mod onehot;
mod ordinal;
mod power;
mod scale;

use std::fmt::Debug;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

pub use columns::Columns;
pub use columnwise::{
    columnwise_output_schema, columnwise_row, columnwise_transform, fit_values, Columnwise,
};
pub use datetime::*;
pub use hashing::*;
pub use impute::*;
pub use kbins::*;
pub use kmeans::*;
pub use onehot::*;
pub use ordinal::*;
pub use power::*;
pub use scale::*;

use crate::data::Value;
use crate::error::Result;

/// Parameters of a transform, before fitting.
#[typetag::serde(tag = "type")]
pub trait FeatureTransform: Send + Sync + Debug + dyn_clone::DynClone {
    /// Learn the transform's state from `table`.
    ///
    /// # Errors
    /// Missing or mistyped columns, an empty table, a column with no usable value,
    /// invalid parameters.
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>>;
}
dyn_clone::clone_trait_object!(FeatureTransform);

/// A fitted, row-preserving transform.
#[typetag::serde(tag = "type")]
pub trait FittedTransform: Send + Sync + Debug + dyn_clone::DynClone {
    /// The schema [`transform`](FittedTransform::transform) produces from `input`, checked
    /// before any row runs: a missing or mistyped column is an error here.
    fn output_schema(&self, input: &Schema) -> Result<Schema>;

    /// Transform a table. The output has as many rows as the input.
    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch>;

    /// The names of the output columns for `input`.
    fn feature_names_out(&self, input: &Schema) -> Result<Vec<String>> {
        Ok(self
            .output_schema(input)?
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect())
    }

    /// A single-row form of this transform for rows laid out as `input`, or `None` if
    /// the transform has none (the pipeline then runs [`transform`](FittedTransform::transform)
    /// on a one-row table, which is correct but slower).
    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let _ = input;
        Ok(None)
    }

    /// [`transform`](FittedTransform::transform) with the one-hot outputs kept as codes,
    /// or `None` if this transform has no one-hot output (the default).
    ///
    /// When the last transform of a pipeline returns `Some`, the pipeline feeds its model a
    /// [`Design`](crate::data::Design) instead of a dense matrix, and `transform_design`
    /// / sparse output never materialise the indicator columns.
    fn sparse_transform(&self, table: &RecordBatch) -> Result<Option<SparseOutput>> {
        let _ = table;
        Ok(None)
    }
}
dyn_clone::clone_trait_object!(FittedTransform);

/// What [`FittedTransform::sparse_transform`] returns: the output of `transform`, split
/// into its ordinary columns and its one-hot blocks.
#[derive(Debug, Clone)]
pub struct SparseOutput {
    /// The output columns that are not one-hot indicators, in output order.
    pub dense: RecordBatch,
    /// The one-hot blocks.
    pub blocks: Vec<OneHotCodes>,
}

/// One one-hot block of a [`SparseOutput`].
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotCodes {
    /// The names of the block's output columns, in order (contiguous in the output).
    pub names: Vec<String>,
    /// One code per row: the index into `names` of the column that is 1, or
    /// [`NO_CODE`](crate::data::NO_CODE) when all are 0.
    pub codes: Vec<u32>,
}

/// The single-row fast path of a fitted transform: maps one row (values in the input
/// schema's order) to one row (values in the output schema's order) with no Arrow batch.
pub trait RowTransform: Send + Sync + Debug {
    /// Transform `row` in place.
    fn apply(&self, row: &mut Vec<Value>) -> Result<()>;
}
