//! Validation of data and models.
//!
//! For now this layer holds [`metrics`]: evaluation metrics equal to scikit-learn's on
//! the same input. Data validation against an inferred or written schema, and model
//! gates with value and change thresholds built on these metrics, come later.

pub mod metrics;
