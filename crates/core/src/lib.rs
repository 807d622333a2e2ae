//! # ferrops
//!
//! Tabular ML models through their production life, as a library: read and clean
//! data ([`data`], [`preprocess`]), fit feature transforms and a trainer into a
//! [`pipeline::FittedPipeline`] ([`features`], [`train`]), save it as a verified
//! artifact and serve single rows cheaply.
//!
//! The table type is Arrow's [`RecordBatch`](arrow::record_batch::RecordBatch);
//! dense feature matrices are ndarray's `Array2<f64>`.
//!
//! ```
//! use ferrops::prelude::*;
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//!
//! # fn main() -> ferrops::Result<()> {
//! let table = RecordBatch::try_from_iter([
//!     ("age", Arc::new(Float64Array::from(vec![20.0, 30.0, 40.0, 35.0])) as _),
//!     ("bought", Arc::new(StringArray::from(vec!["no", "yes", "no", "yes"])) as _),
//! ])?;
//! let fitted = Pipeline::new()
//!     .transform(StandardScaler::new(Columns::AllNumeric))
//!     .train(LogisticRegression::default())
//!     .fit(&table, "bought")?;
//! let predicted = fitted.predict(&table)?;
//! assert_eq!(predicted.len(), 4);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod features;
pub mod pipeline;
pub mod preprocess;
pub mod train;

pub use error::{Error, Result};

/// The names most programs need, in one import.
pub mod prelude {
    pub use crate::data::{read_csv, read_parquet, CsvOptions, Dataset, Value};
    pub use crate::error::{Error, Result};
    pub use crate::features::{Columns, FeatureTransform, FittedTransform, StandardScaler};
    pub use crate::pipeline::{FittedPipeline, Pipeline};
    pub use crate::preprocess::Preprocessor;
    pub use crate::train::{LogisticRegression, Model, Trainer};
}
