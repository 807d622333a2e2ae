//! Rolling models out: a [`Router`] between loaded model versions (blue-green, sticky
//! canary, shadow, A/B), per-variant [`metrics`] in Prometheus text format, A/B
//! significance tests ([`abtest`]) and an automatic rollback [`policy`].
//!
//! The guide is `docs/rollout.md`.

use std::sync::Arc;

use crate::pipeline::FittedPipeline;

pub mod abtest;
pub mod metrics;
pub mod policy;
pub mod router;

pub use policy::{DriftEvidence, MetricRule, PolicyAction, PolicyDecision, PolicyMetric, RollbackPolicy};
pub use router::{
    AbComparison, Change, ModelRef, Role, Routed, RoutedRow, Router, RouterOptions, RouterStatus,
    ShadowStatus, VariantReport, VariantStatus, BUCKETS, DEFAULT_SALT,
};

/// A loaded model version that a router can serve: the registry hands these out
/// (`ModelRegistry::load_served`), or build one from any fitted pipeline.
#[derive(Debug, Clone)]
pub struct ServedModel {
    /// The registered model's name.
    pub name: String,
    /// Its registry version (0 for a pipeline that was never registered).
    pub version: u64,
    /// The fitted pipeline, shared with every request that uses it.
    pub pipeline: Arc<FittedPipeline>,
}

impl ServedModel {
    /// Wrap a fitted pipeline.
    pub fn new(name: impl Into<String>, version: u64, pipeline: Arc<FittedPipeline>) -> ServedModel {
        ServedModel {
            name: name.into(),
            version,
            pipeline,
        }
    }
}
