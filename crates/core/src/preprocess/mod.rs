//! Preprocessors: ETL steps that may change the row count (cast, parse timestamps,
//! filter, drop nulls, deduplicate, clip, rename, select/drop), run batch by batch so
//! that a large file streams in bounded memory.

use std::fmt::Debug;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;

use crate::data::BatchIter;
use crate::error::Result;

/// An ETL step. Stateless steps implement [`process_batch`](Preprocessor::process_batch);
/// steps that need to see the whole stream (deduplication) override
/// [`process_stream`](Preprocessor::process_stream).
#[typetag::serde(tag = "type")]
pub trait Preprocessor: Send + Sync + Debug + dyn_clone::DynClone + 'static {
    /// The schema this step produces from `input`, checked before any row runs.
    fn output_schema(&self, input: &Schema) -> Result<Schema>;

    /// Process one batch.
    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch>;

    /// Process a stream of batches. The default maps [`process_batch`](Preprocessor::process_batch).
    fn process_stream(&self, input: BatchIter) -> BatchIter {
        let this = dyn_clone::clone_box(self);
        Box::new(input.map(move |batch| batch.and_then(|b| this.process_batch(&b))))
    }
}
dyn_clone::clone_trait_object!(Preprocessor);
