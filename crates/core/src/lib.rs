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
//!     ("age", Arc::new(Float64Array::from(vec![Some(20.0), None, Some(40.0), Some(35.0)])) as _),
//!     ("city", Arc::new(StringArray::from(vec!["a", "b", "a", "b"])) as _),
//!     ("bought", Arc::new(StringArray::from(vec!["no", "yes", "no", "yes"])) as _),
//! ])?;
//! let fitted = Pipeline::new()
//!     .transform(SimpleImputer::median(["age"]))
//!     .transform(StandardScaler::new(Columns::AllNumeric))
//!     .transform(OneHotEncoder::new(["city"]))
//!     .train(LogisticRegression::default())
//!     .fit(&table, "bought")?;
//! let predicted = fitted.predict(&table)?;
//! assert_eq!(predicted.len(), 4);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod cancel;
pub mod data;
pub mod drift;
pub mod error;
pub mod features;
pub mod lifecycle;
pub mod pipeline;
pub mod preprocess;
pub mod registry;
mod rng;
pub mod serve;
pub mod store;
pub mod train;
pub mod validate;

pub use error::{Error, Result};

/// The names most programs need, in one import.
pub mod prelude {
    pub use crate::data::{read_csv, read_parquet, CsvOptions, Dataset, Value};
    pub use crate::error::{Error, Result};
    pub use crate::features::{
        Columns, DatetimeParts, FeatureHasher, FeatureTransform, FittedTransform, KBinsDiscretizer, KMeans,
        Log1p, MaxAbsScaler, MinMaxScaler, OneHotEncoder, OrdinalEncoder, PowerTransformer, RobustScaler,
        SimpleImputer, StandardScaler,
    };
    pub use crate::pipeline::{FittedPipeline, Pipeline};
    pub use crate::preprocess::Preprocessor;
    pub use crate::preprocess::{
        col, Cast, CastType, Clip, Deduplicate, DropNulls, Filter, ParseTimestamps, Predicate,
        PreprocessPlan, Rename, Select,
    };
    pub use crate::train::{ClassWeight, GaussianNB, LinearSVC, Ridge};
    pub use crate::train::{
        DecisionTree, DecisionTreeRegressor, ElasticNet, LinearRegression, LogisticRegression, Model,
        RandomForestClassifier, RandomForestRegressor, Trainer,
    };
}
