//! Two-sample statistics behind the drift tests, each checked against scipy.
//!
//! Continuous tests read their inputs as [`Sample`](super::Sample)s (exact or sketched):
//! [`ks_2samp`], [`cramervonmises_2samp`], [`anderson_ksamp`], [`wasserstein_distance`].
//! Binned and categorical measures read aligned count vectors: [`psi`],
//! [`jensen_shannon`], [`hellinger`], [`chi2_homogeneity`], [`total_variation`],
//! [`l_infinity`]; numeric columns are binned by [`quantile_edges`] of the reference.
//! [`bonferroni`] and [`benjamini_hochberg`] correct p-values over many columns.

use serde::{Deserialize, Serialize};

mod anderson;
mod binned;
mod correction;
mod cvm;
mod ks;
mod wasserstein;

pub use anderson::*;
pub use binned::*;
pub use correction::*;
pub use cvm::*;
pub use ks::*;
pub use wasserstein::*;

/// How a test computes its p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PMethod {
    /// Choose as scipy's `method="auto"` does for the test (exact for small samples).
    #[default]
    Auto,
    /// The exact distribution of the statistic (small samples only).
    Exact,
    /// The large-sample limit distribution.
    Asymptotic,
}

/// Which computation produced a p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PValueKind {
    /// The exact null distribution.
    Exact,
    /// A large-sample approximation.
    Asymptotic,
    /// Interpolated in a table of critical values (and capped to its range).
    Interpolated,
}

/// The result of a two-sample hypothesis test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test statistic (as scipy reports it).
    pub statistic: f64,
    /// The p-value under the null hypothesis that both samples come from one distribution.
    pub p_value: f64,
    /// How the p-value was computed.
    pub method: PValueKind,
}
