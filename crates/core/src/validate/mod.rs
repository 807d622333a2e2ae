//! Validation of data and models.
//!
//! For now this layer holds [`metrics`]: evaluation metrics equal to scikit-learn's on
//! the same input. Data validation against an inferred or written schema, and model
//! gates with value and change thresholds built on these metrics, come later.
//!
//! [`split`] holds the train/test splits and cross-validation folds that evaluation
//! runs on, with scikit-learn's indices.

pub mod metrics;
pub mod split;
