//! DDM: the drift detection method of Gama et al. (2004) on an error stream.

use serde::{Deserialize, Serialize};

use super::{check_unit, DriftState, RunningMean, StreamDetector};
use crate::{Error, Result};

/// Parameters of [`Ddm`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdmParams {
    /// No warning or drift before more than this many values. Default 30.
    pub warm_start: u64,
    /// Warning when `p + s > p_min + warning_threshold * s_min`. Default 2.
    pub warning_threshold: f64,
    /// Drift when `p + s > p_min + drift_threshold * s_min`. Default 3.
    pub drift_threshold: f64,
}

impl Default for DdmParams {
    fn default() -> Self {
        DdmParams {
            warm_start: 30,
            warning_threshold: 2.0,
            drift_threshold: 3.0,
        }
    }
}

impl DdmParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        if !(self.warning_threshold.is_finite() && self.warning_threshold > 0.0) {
            return Err(Error::param(
                "warning_threshold",
                self.warning_threshold,
                "must be finite and positive",
            ));
        }
        if !(self.drift_threshold.is_finite() && self.drift_threshold >= self.warning_threshold) {
            return Err(Error::param(
                "drift_threshold",
                self.drift_threshold,
                format!(
                    "must be finite and at least warning_threshold ({})",
                    self.warning_threshold
                ),
            ));
        }
        Ok(())
    }
}

/// DDM drift detector (River's `drift.binary.DDM`).
///
/// Reads an error indicator per prediction (1 = wrong, 0 = right). It keeps the
/// error rate `p` and its binomial standard deviation `s`, remembers their values where
/// `p + s` was lowest, and warns (drifts) when `p + s` exceeds that minimum's `p` by
/// `warning_threshold` (`drift_threshold`) times its `s`.
///
/// ```
/// use ferrops::drift::stream::{Ddm, DriftState, StreamDetector};
///
/// let mut ddm = Ddm::default();
/// let errors: Vec<f64> = (0..3000).map(|i| if i < 1500 { (i % 10 == 0) as u8 } else { (i % 2 == 0) as u8 } as f64).collect();
/// let drifts = ddm.update_many(&errors);
/// assert!(drifts.first().is_some_and(|&i| i >= 1500));
/// # Ok::<(), ferrops::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ddm {
    params: DdmParams,
    p: RunningMean,
    p_min: f64,
    s_min: f64,
    #[serde(with = "super::nonfinite")]
    ps_min: f64,
    drift: bool,
    warning: bool,
    n_seen: u64,
}

impl Default for Ddm {
    fn default() -> Self {
        Ddm::fresh(DdmParams::default())
    }
}

impl Ddm {
    /// A new detector, after checking `params`.
    pub fn new(params: DdmParams) -> Result<Self> {
        params.validate()?;
        Ok(Ddm::fresh(params))
    }

    fn fresh(params: DdmParams) -> Self {
        Ddm {
            params,
            p: RunningMean::default(),
            p_min: 0.0,
            s_min: 0.0,
            ps_min: f64::INFINITY,
            drift: false,
            warning: false,
            n_seen: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &DdmParams {
        &self.params
    }

    /// Error rate since the last restart.
    pub fn error_rate(&self) -> f64 {
        self.p.mean
    }

    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = Ddm::fresh(self.params);
        self.n_seen = n_seen;
    }
}

impl StreamDetector for Ddm {
    #[inline]
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        self.p.update(x);
        let p_i = self.p.mean;
        let n = self.p.n;
        let s_i = (p_i * (1.0 - p_i) / n).sqrt();
        if n > self.params.warm_start as f64 {
            if p_i + s_i <= self.ps_min {
                self.p_min = p_i;
                self.s_min = s_i;
                self.ps_min = self.p_min + self.s_min;
            }
            self.warning = p_i + s_i > self.p_min + self.params.warning_threshold * self.s_min;
            if p_i + s_i > self.p_min + self.params.drift_threshold * self.s_min {
                self.drift = true;
                self.warning = false;
            }
        }
        DriftState::from_flags(self.drift, self.warning)
    }

    fn drift_detected(&self) -> bool {
        self.drift
    }

    fn warning_detected(&self) -> bool {
        self.warning
    }

    fn reset(&mut self) {
        *self = Ddm::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "DDM"
    }

    fn check(&self, x: f64) -> Result<()> {
        check_unit(self.name(), x)
    }
}
