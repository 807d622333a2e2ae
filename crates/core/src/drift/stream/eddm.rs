//! EDDM: the early drift detection method of Baena-García et al. (2006).

use serde::{Deserialize, Serialize};

use super::{DriftState, RunningMean, StreamDetector};
use crate::{Error, Result};

/// Parameters of [`Eddm`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EddmParams {
    /// No warning or drift before more than this many values and errors. Default 30.
    pub warm_start: u64,
    /// Warning when the distance statistic falls below `alpha` times its maximum.
    /// Default 0.95.
    pub alpha: f64,
    /// Drift when it falls below `beta` times its maximum (`beta <= alpha`).
    /// Default 0.9.
    pub beta: f64,
}

impl Default for EddmParams {
    fn default() -> Self {
        EddmParams {
            warm_start: 30,
            alpha: 0.95,
            beta: 0.9,
        }
    }
}

impl EddmParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(Error::param("alpha", self.alpha, "must lie in (0, 1]"));
        }
        if !(self.beta > 0.0 && self.beta <= self.alpha) {
            return Err(Error::param(
                "beta",
                self.beta,
                format!("must lie in (0, alpha] with alpha = {}", self.alpha),
            ));
        }
        Ok(())
    }
}

/// EDDM drift detector (River's `drift.binary.EDDM`).
///
/// Reads an error indicator per prediction (1 = wrong, 0 = right) and watches the
/// distance between consecutive errors: with `p'` its mean and `s'` its standard
/// deviation, it warns (drifts) when `p' + 2 s'` falls below `alpha` (`beta`) times
/// its maximum so far — errors coming closer together.
///
/// ```
/// use ferrops::drift::stream::{Eddm, EddmParams, StreamDetector};
///
/// let mut eddm = Eddm::new(EddmParams { alpha: 0.8, beta: 0.75, ..EddmParams::default() })?;
/// let errors: Vec<f64> = (0..4000).map(|i| if i < 2000 { (i % 20 == 0) as u8 } else { (i % 2 == 0) as u8 } as f64).collect();
/// let drifts = eddm.update_many(&errors);
/// // Errors twenty values apart, then two apart: a drift soon after the change.
/// assert!(drifts.iter().any(|&i| (2000..2400).contains(&i)));
/// # Ok::<(), ferrops::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Eddm {
    params: EddmParams,
    distance_mean: RunningMean,
    distance_s: f64,
    n: u64,
    last_error: u64,
    n_errors: u64,
    p2s_max: f64,
    drift: bool,
    warning: bool,
    n_seen: u64,
}

impl Default for Eddm {
    fn default() -> Self {
        Eddm::fresh(EddmParams::default())
    }
}

impl Eddm {
    /// A new detector, after checking `params`.
    pub fn new(params: EddmParams) -> Result<Self> {
        params.validate()?;
        Ok(Eddm::fresh(params))
    }

    fn fresh(params: EddmParams) -> Self {
        Eddm {
            params,
            distance_mean: RunningMean::default(),
            distance_s: 0.0,
            n: 0,
            last_error: 0,
            n_errors: 0,
            p2s_max: -1.0,
            drift: false,
            warning: false,
            n_seen: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &EddmParams {
        &self.params
    }

    /// Mean distance between consecutive errors since the last restart.
    pub fn mean_distance(&self) -> f64 {
        self.distance_mean.mean
    }

    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = Eddm::fresh(self.params);
        self.n_seen = n_seen;
    }

    /// River's `stats.Var` (ddof = 1) update of the distances.
    fn push_distance(&mut self, d: f64) {
        let old = self.distance_mean.mean;
        self.distance_mean.update(d);
        let new = self.distance_mean.mean;
        self.distance_s += 1.0 * (d - old) * (d - new);
    }

    fn distance_var(&self) -> f64 {
        if self.distance_mean.n > 1.0 {
            self.distance_s / (self.distance_mean.n - 1.0)
        } else {
            0.0
        }
    }
}

impl StreamDetector for Eddm {
    #[inline]
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        self.n += 1;
        if x == 1.0 {
            self.n_errors += 1;
            self.push_distance((self.n - self.last_error) as f64);
            if self.n > self.params.warm_start {
                let pi = self.distance_mean.mean;
                // River takes `** 0.5` (libm pow), not sqrt: keep it for bitwise parity.
                let si = self.distance_var().powf(0.5);
                let p2s = pi + 2.0 * si;
                if p2s > self.p2s_max {
                    self.p2s_max = p2s;
                } else if self.n_errors > self.params.warm_start {
                    let level = p2s / self.p2s_max;
                    if level < self.params.beta {
                        self.drift = true;
                    } else {
                        self.warning = level < self.params.alpha;
                    }
                }
            }
            self.last_error = self.n;
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
        *self = Eddm::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "EDDM"
    }

    fn check(&self, x: f64) -> Result<()> {
        if x == 0.0 || x == 1.0 {
            Ok(())
        } else {
            Err(Error::InvalidData(format!(
                "EDDM reads error indicators, 1 (error) or 0 (correct), got {x}"
            )))
        }
    }
}
