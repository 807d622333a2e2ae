//! Drift detection and model monitoring.
//!
//! - [`Sample`]: a one-dimensional empirical distribution, exact or from a sketch, read
//!   by every two-sample test in [`stats`].
//! - [`stats`]: the two-sample tests and distances (Kolmogorov-Smirnov, Cramér-von
//!   Mises, Anderson-Darling, Wasserstein, PSI, Jensen-Shannon, Hellinger, chi-square,
//!   total variation, L∞) and multiple-testing corrections, checked against scipy.
//! - [`Profile`]: the reference side, compact and mergeable, stored without raw data.
//! - [`DriftDetector`] / [`drift_report`]: per-column tests of a current table against a
//!   profile or a reference table, automatic test choice, corrections, dataset verdict.
//! - [`DriftReport`]: per-column verdicts and the dataset verdict; JSON, Arrow, HTML.
//! - [`stream`]: streaming detectors for a running service (ADWIN, Page-Hinkley,
//!   KSWIN, DDM, EDDM, HDDM), checked against River.
//! - [`multivariate`]: PCA reconstruction error and a domain classifier.
//! - [`ModelMonitor`]: a deployed pipeline watched batch by batch (feature and
//!   prediction drift against its training profiles, windowed performance).
//! - [`fairness`] and [`importance`]: bias metrics across a sensitive attribute and
//!   permutation feature importance of a fitted pipeline.

mod detect;
pub mod fairness;
pub mod importance;
mod monitor;
pub mod multivariate;
mod profile;
pub(crate) mod render;
mod report;
mod sample;
pub mod stats;
pub mod stream;

pub use detect::{
    default_threshold, drift_report, DriftDetector, DriftOptions, DEFAULT_SMALL_SAMPLE, FEW_DISTINCT,
};
pub use monitor::{prediction_table, ModelMonitor, MonitorOptions, MonitorReport, Performance, PREDICTION};
pub use profile::{DriftProfileOptions, Profile, DEFAULT_EXACT_LIMIT, DRIFT_PROFILE_FORMAT, DRIFT_SKETCH_K};
pub use report::{
    ColumnDrift, ColumnStatus, Correction, DriftReport, DriftTest, Histogram, Measure, SideCounts,
};
pub use sample::Sample;
