//! HDDM_A and HDDM_W: drift detection from Hoeffding's and McDiarmid's bounds
//! (Frías-Blanco et al., 2014), as implemented in MOA and River.

use serde::{Deserialize, Serialize};

use super::{check_open_unit, check_unit, DriftState, RunningMean, StreamDetector};
use crate::{Error, Result};

fn check_confidences(drift: f64, warning: f64) -> Result<()> {
    check_open_unit("drift_confidence", drift)?;
    check_open_unit("warning_confidence", warning)?;
    if warning < drift {
        return Err(Error::param(
            "warning_confidence",
            warning,
            format!("must be at least drift_confidence ({drift}): a warning is the weaker signal"),
        ));
    }
    Ok(())
}

/// Parameters of [`HddmA`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HddmAParams {
    /// Significance of a drift, in (0, 1). Default 0.001.
    pub drift_confidence: f64,
    /// Significance of a warning, in (0, 1), at least `drift_confidence`. Default 0.005.
    pub warning_confidence: f64,
    /// Also look for decreases of the error rate. Default `false`.
    pub two_sided_test: bool,
}

impl Default for HddmAParams {
    fn default() -> Self {
        HddmAParams {
            drift_confidence: 0.001,
            warning_confidence: 0.005,
            two_sided_test: false,
        }
    }
}

impl HddmAParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        check_confidences(self.drift_confidence, self.warning_confidence)
    }
}

/// HDDM_A drift detector (River's `drift.binary.HDDM_A`): Hoeffding's bound on moving
/// averages.
///
/// Reads values in `[0, 1]` (error indicators). It keeps the running mean and a cut
/// point where the mean plus its Hoeffding bound was lowest, and reports a drift
/// (warning) when the mean since then exceeds it by more than the bound at
/// `drift_confidence` (`warning_confidence`).
///
/// ```
/// use ferrops::drift::stream::{HddmA, StreamDetector};
///
/// let mut hddm = HddmA::default();
/// let errors: Vec<f64> = (0..3000).map(|i| if i < 1500 { (i % 10 == 0) as u8 } else { (i % 2 == 0) as u8 } as f64).collect();
/// assert!(hddm.update_many(&errors).first().is_some_and(|&i| i >= 1500));
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HddmA {
    params: HddmAParams,
    x_min: RunningMean,
    x_max: RunningMean,
    z: RunningMean,
    drift: bool,
    warning: bool,
    n_seen: u64,
}

impl Default for HddmA {
    fn default() -> Self {
        HddmA::fresh(HddmAParams::default())
    }
}

impl HddmA {
    /// A new detector, after checking `params`.
    pub fn new(params: HddmAParams) -> Result<Self> {
        params.validate()?;
        Ok(HddmA::fresh(params))
    }

    fn fresh(params: HddmAParams) -> Self {
        HddmA {
            params,
            x_min: RunningMean::default(),
            x_max: RunningMean::default(),
            z: RunningMean::default(),
            drift: false,
            warning: false,
            n_seen: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &HddmAParams {
        &self.params
    }

    /// Mean of the values since the last restart.
    pub fn mean(&self) -> f64 {
        self.z.mean
    }

    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = HddmA::fresh(self.params);
        self.n_seen = n_seen;
    }

    fn hoeffding_bound(&self, n: f64) -> f64 {
        (1.0 / (2.0 * n) * (1.0 / self.params.drift_confidence).ln()).sqrt()
    }

    fn mean_incr(&self, confidence: f64) -> bool {
        if self.x_min.n == self.z.n {
            return false;
        }
        let m = (self.z.n - self.x_min.n) / self.x_min.n * (1.0 / self.z.n);
        let eps = (m / 2.0 * (2.0 / confidence).ln()).sqrt();
        self.z.mean - self.x_min.mean >= eps
    }

    fn mean_decr(&self, confidence: f64) -> bool {
        if self.x_max.n == self.z.n {
            return false;
        }
        let m = (self.z.n - self.x_max.n) / self.x_max.n * (1.0 / self.z.n);
        let eps = (m / 2.0 * (2.0 / confidence).ln()).sqrt();
        self.x_max.mean - self.z.mean >= eps
    }
}

impl StreamDetector for HddmA {
    #[inline]
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        self.z.update(x);
        if self.x_min.n == 0.0 {
            self.x_min = self.z;
        }
        if self.x_max.n == 0.0 {
            self.x_max = self.z;
        }
        let eps_z = self.hoeffding_bound(self.z.n);
        let eps_x = self.hoeffding_bound(self.x_min.n);
        if self.x_min.mean + eps_x >= self.z.mean + eps_z {
            self.x_min = self.z;
        }
        let eps_x = self.hoeffding_bound(self.x_max.n);
        if self.x_max.mean - eps_x <= self.z.mean - eps_z {
            self.x_max = self.z;
        }
        let p = self.params;
        if self.mean_incr(p.drift_confidence) {
            self.warning = false;
            self.drift = true;
        } else if self.mean_incr(p.warning_confidence) {
            self.warning = true;
            self.drift = false;
        } else {
            self.warning = false;
            self.drift = false;
        }
        if p.two_sided_test {
            if self.mean_decr(p.drift_confidence) {
                self.drift = true;
            } else if self.mean_decr(p.warning_confidence) {
                self.warning = true;
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
        *self = HddmA::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "HDDM_A"
    }

    fn check(&self, x: f64) -> Result<()> {
        check_unit(self.name(), x)
    }
}

/// Parameters of [`HddmW`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HddmWParams {
    /// Significance of a drift, in (0, 1). Default 0.001.
    pub drift_confidence: f64,
    /// Significance of a warning, in (0, 1), at least `drift_confidence`. Default 0.005.
    pub warning_confidence: f64,
    /// Weight of the newest value in the moving averages, in (0, 1). Default 0.05.
    pub lambda_val: f64,
    /// Also look for decreases of the error rate. Default `false`.
    pub two_sided_test: bool,
}

impl Default for HddmWParams {
    fn default() -> Self {
        HddmWParams {
            drift_confidence: 0.001,
            warning_confidence: 0.005,
            lambda_val: 0.05,
            two_sided_test: false,
        }
    }
}

impl HddmWParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        check_confidences(self.drift_confidence, self.warning_confidence)?;
        check_open_unit("lambda_val", self.lambda_val)
    }
}

/// An exponentially weighted mean with its independent bounded condition (River's
/// `SampleInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Ewma {
    ewma: f64,
    is_init: bool,
    ibc: f64,
}

impl Ewma {
    fn new() -> Self {
        Ewma {
            ewma: 0.0,
            is_init: false,
            ibc: 1.0,
        }
    }

    fn update(&mut self, x: f64, lambda: f64) {
        if self.is_init {
            self.ewma = lambda * x + (1.0 - lambda) * self.ewma;
        } else {
            self.ewma = x;
            self.is_init = true;
        }
        let c = 1.0 - lambda;
        self.ibc = lambda * lambda + c * c * self.ibc;
    }
}

/// HDDM_W drift detector (River's `drift.binary.HDDM_W`): McDiarmid's bound on
/// exponentially weighted moving averages.
///
/// Reads values in `[0, 1]` (error indicators); like [`HddmA`] but with moving
/// averages weighted by `lambda_val`, so it forgets old values and reacts faster.
///
/// ```
/// use ferrops::drift::stream::{HddmW, StreamDetector};
///
/// let mut hddm = HddmW::default();
/// let errors: Vec<f64> = (0..3000).map(|i| if i < 1500 { (i % 10 == 0) as u8 } else { (i % 2 == 0) as u8 } as f64).collect();
/// assert!(hddm.update_many(&errors).first().is_some_and(|&i| i >= 1500));
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HddmW {
    params: HddmWParams,
    total: Ewma,
    s1_decr: Ewma,
    s1_incr: Ewma,
    s2_decr: Ewma,
    s2_incr: Ewma,
    #[serde(with = "super::nonfinite")]
    incr_cutpoint: f64,
    #[serde(with = "super::nonfinite")]
    decr_cutpoint: f64,
    drift: bool,
    warning: bool,
    n_seen: u64,
}

impl Default for HddmW {
    fn default() -> Self {
        HddmW::fresh(HddmWParams::default())
    }
}

impl HddmW {
    /// A new detector, after checking `params`.
    pub fn new(params: HddmWParams) -> Result<Self> {
        params.validate()?;
        Ok(HddmW::fresh(params))
    }

    fn fresh(params: HddmWParams) -> Self {
        HddmW {
            params,
            total: Ewma::new(),
            s1_decr: Ewma::new(),
            s1_incr: Ewma::new(),
            s2_decr: Ewma::new(),
            s2_incr: Ewma::new(),
            incr_cutpoint: f64::INFINITY,
            decr_cutpoint: f64::NEG_INFINITY,
            drift: false,
            warning: false,
            n_seen: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &HddmWParams {
        &self.params
    }

    /// Exponentially weighted mean of the values since the last restart.
    pub fn mean(&self) -> f64 {
        self.total.ewma
    }

    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = HddmW::fresh(self.params);
        self.n_seen = n_seen;
    }

    fn mcdiarmid_bound(ibc: f64, confidence: f64) -> f64 {
        (ibc * (1.0 / confidence).ln() / 2.0).sqrt()
    }

    /// Whether `later`'s mean exceeds `earlier`'s by more than the bound.
    fn has_mean_changed(earlier: &Ewma, later: &Ewma, confidence: f64) -> bool {
        if !(earlier.is_init && later.is_init) {
            return false;
        }
        let bound = Self::mcdiarmid_bound(earlier.ibc + later.ibc, confidence);
        later.ewma - earlier.ewma > bound
    }
}

impl StreamDetector for HddmW {
    #[inline]
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        let p = self.params;
        let lambda = p.lambda_val;
        self.total.update(x, lambda);

        let eps = Self::mcdiarmid_bound(self.total.ibc, p.drift_confidence);
        if self.total.ewma + eps < self.incr_cutpoint {
            self.incr_cutpoint = self.total.ewma + eps;
            self.s1_incr = self.total;
            self.s2_incr = Ewma::new();
        } else {
            self.s2_incr.update(x, lambda);
        }
        if Self::has_mean_changed(&self.s1_incr, &self.s2_incr, p.drift_confidence) {
            self.warning = false;
            self.drift = true;
        } else if Self::has_mean_changed(&self.s1_incr, &self.s2_incr, p.warning_confidence) {
            self.warning = true;
            self.drift = false;
        } else {
            self.warning = false;
            self.drift = false;
        }

        let eps = Self::mcdiarmid_bound(self.total.ibc, p.drift_confidence);
        if self.total.ewma - eps > self.decr_cutpoint {
            self.decr_cutpoint = self.total.ewma - eps;
            self.s1_decr = self.total;
            self.s2_decr = Ewma::new();
        } else {
            self.s2_decr.update(x, lambda);
        }
        if p.two_sided_test {
            if Self::has_mean_changed(&self.s2_decr, &self.s1_decr, p.drift_confidence) {
                self.drift = true;
            } else if Self::has_mean_changed(&self.s2_decr, &self.s1_decr, p.warning_confidence) {
                self.warning = true;
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
        *self = HddmW::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "HDDM_W"
    }

    fn check(&self, x: f64) -> Result<()> {
        check_unit(self.name(), x)
    }
}
