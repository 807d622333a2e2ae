//! Preprocessors: ETL steps that may change the row count (cast, parse timestamps,
//! filter, drop nulls, deduplicate, clip, rename, select/drop), run batch by batch so
//! that a large file streams in bounded memory.
//!
//! Every step is a [`Preprocessor`], serialized under a stable snake_case tag in the
//! field `"type"`; a [`PreprocessPlan`] chains them:
//!
//! | step | tag | stateful |
//! |---|---|---|
//! | [`Cast`] | `cast` | no |
//! | [`ParseTimestamps`] | `parse_timestamps` | no |
//! | [`Filter`] | `filter` | no |
//! | [`DropNulls`] | `drop_nulls` | no |
//! | [`Deduplicate`] | `deduplicate` | whole stream |
//! | [`Clip`] | `clip` | no |
//! | [`Rename`] | `rename` | no |
//! | [`Select`] | `select` | no |
//! | [`Drop`] | `drop` | no |
//! | [`PreprocessPlan`] | `plan` | if a step is |
//!
//! Stateless steps map each input batch to one output batch (never larger), so a
//! plan of them holds one batch per step at a time. Row numbers in
//! [`Error::InvalidValue`] are 0-based positions in the stream the step sees.
//!
//! ```
//! # use std::sync::Arc;
//! # use arrow::array::{Float64Array, StringArray};
//! use ferrops::preprocess::{col, Cast, CastType, Filter, PreprocessPlan, Select};
//! # fn main() -> ferrops::Result<()> {
//! let t = arrow::record_batch::RecordBatch::try_from_iter([
//!     ("age", Arc::new(StringArray::from(vec!["31", "17", "45"])) as _),
//!     ("score", Arc::new(Float64Array::from(vec![0.5, 0.1, 0.9])) as _),
//! ])?;
//! let plan = PreprocessPlan::new()
//!     .then(Cast::new([("age", CastType::Int64)]))
//!     .then(Filter::new(col("age").ge(18)))
//!     .then(Select::new(["age"]));
//! let out = plan.run_table(&t)?;
//! assert_eq!(out.num_rows(), 2);
//! let json = serde_json::to_string(&plan).unwrap();
//! let back: PreprocessPlan = serde_json::from_str(&json).unwrap();
//! assert_eq!(back.run_table(&t)?, out);
//! # Ok(()) }
//! ```

mod cast;
mod clip;
mod columns;
mod dedup;
mod filter;
mod nulls;
mod plan;
mod timestamps;

use std::fmt::Debug;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;

pub use cast::{Cast, CastType};
pub use clip::Clip;
pub use columns::{Drop, Rename, Select};
pub use dedup::{Deduplicate, Keep};
pub use filter::{col, ColumnRef, Filter, Literal, Predicate};
pub use nulls::{DropNulls, How};
pub use plan::PreprocessPlan;
pub use timestamps::{ParseTimestamps, TimestampErrors, TimestampUnit};

use crate::data::BatchIter;
use crate::error::{Error, Result};

/// An ETL step. Stateless steps implement [`process_batch`](Preprocessor::process_batch);
/// steps that need to see the whole stream (deduplication) override
/// [`process_stream`](Preprocessor::process_stream).
#[typetag::serde(tag = "type")]
pub trait Preprocessor: Send + Sync + Debug + dyn_clone::DynClone + 'static {
    /// The schema this step produces from `input`, checked before any row runs.
    fn output_schema(&self, input: &Schema) -> Result<Schema>;

    /// Process one batch.
    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch>;

    /// Process a stream of batches. The default maps [`process_batch`](Preprocessor::process_batch),
    /// shifting the row of an [`Error::InvalidValue`] from its batch to its position in the
    /// stream.
    fn process_stream(&self, input: BatchIter) -> BatchIter {
        let this = dyn_clone::clone_box(self);
        let mut offset = 0usize;
        Box::new(input.map(move |batch| {
            let batch = batch?;
            let rows = batch.num_rows();
            let out = this.process_batch(&batch).map_err(|e| shift_row(e, offset));
            offset += rows;
            out
        }))
    }
}
dyn_clone::clone_trait_object!(Preprocessor);

/// Add `offset` to the row of an [`Error::InvalidValue`].
pub(crate) fn shift_row(error: Error, offset: usize) -> Error {
    match error {
        Error::InvalidValue {
            column,
            row,
            value,
            hint,
        } => Error::InvalidValue {
            column,
            row: row + offset,
            value,
            hint,
        },
        other => other,
    }
}

/// [`Error::InvalidParameter`] if `names` is empty or repeats a name.
pub(crate) fn check_names(param: &str, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Err(Error::param(param, "[]", "must name at least one column"));
    }
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(Error::param(
                param,
                format!("{names:?}"),
                format!("column `{name}` is listed twice"),
            ));
        }
    }
    Ok(())
}
