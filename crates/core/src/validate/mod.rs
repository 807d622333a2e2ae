//! Validation of data and models.
//!
//! - [`metrics`]: evaluation metrics equal to scikit-learn's on the same input.
//! - [`split`]: train/test splits and cross-validation folds, with scikit-learn's indices.
//! - [`cv`]: cross-validation of a whole pipeline (fitted per fold, so no transform
//!   sees the rows it is scored on).
//! - [`search`]: grid and random hyperparameter search scored by cross-validation.
//! - [`data`]: data validation against an inferred or written schema.
//! - [`gate`]: model gates with value and change thresholds (TFMA semantics).

pub mod cv;
pub mod data;
pub mod gate;
pub mod metrics;
pub mod search;
pub mod split;
