//! The data layer: Arrow tables in, dense matrices and datasets out.
//!
//! - [`read_csv`] / [`read_parquet`] (and their streaming forms [`csv_batches`] /
//!   [`parquet_batches`]) load tables;
//! - [`table`] has the column helpers every stage uses (lookup with a helpful error,
//!   numeric and string views, type classes);
//! - [`to_matrix`] assembles selected numeric columns into an `Array2<f64>`;
//! - [`Dataset`] is what a trainer sees: features, target, optional weights, names;
//!   [`Design`] / [`DesignDataset`] the same with one-hot blocks kept as codes.
//! - [`Value`] is one cell, used by the single-row fast path.

mod dataset;
mod design;
mod io;
mod matrix;
pub mod packed;
pub mod profile;
pub mod table;
mod value;

pub(crate) use dataset::encode_target;
pub use dataset::{ClassLabels, Dataset, DesignDataset, Target, TargetKind};
pub use design::{CodeBlock, Csr, Design, Part, NO_CODE};
pub use io::{csv_batches, parquet_batches, read_csv, read_parquet, BatchIter, CsvOptions};
pub use matrix::{into_matrix, to_matrix};
pub use value::Value;
