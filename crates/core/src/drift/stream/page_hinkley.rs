//! Page-Hinkley test: a CUSUM on the deviations from a running mean.

use serde::{Deserialize, Serialize};

use super::{DriftState, RunningMean, StreamDetector};
use crate::{Error, Result};

/// Which changes of the mean [`PageHinkley`] looks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageHinkleyMode {
    /// Increases of the mean.
    Up,
    /// Decreases of the mean.
    Down,
    /// Both (River's default).
    #[default]
    Both,
}

impl std::str::FromStr for PageHinkleyMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "up" => Ok(PageHinkleyMode::Up),
            "down" => Ok(PageHinkleyMode::Down),
            "both" => Ok(PageHinkleyMode::Both),
            other => Err(Error::param(
                "mode",
                other,
                "must be \"up\", \"down\" or \"both\"",
            )),
        }
    }
}

/// Parameters of [`PageHinkley`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageHinkleyParams {
    /// No drift is reported before this many values. Default 30.
    pub min_instances: u64,
    /// Magnitude of change tolerated (subtracted from each deviation). Default 0.005.
    pub delta: f64,
    /// Detection threshold (lambda) on the cumulative deviation. Default 50.
    pub threshold: f64,
    /// Forgetting factor of the cumulative sums, in (0, 1]. Default `1 - 0.0001`.
    pub alpha: f64,
    /// Which changes to look for. Default both.
    pub mode: PageHinkleyMode,
}

impl Default for PageHinkleyParams {
    fn default() -> Self {
        PageHinkleyParams {
            min_instances: 30,
            delta: 0.005,
            threshold: 50.0,
            alpha: 1.0 - 0.0001,
            mode: PageHinkleyMode::Both,
        }
    }
}

impl PageHinkleyParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        if !(self.delta.is_finite() && self.delta >= 0.0) {
            return Err(Error::param(
                "delta",
                self.delta,
                "must be finite and non-negative",
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(Error::param(
                "threshold",
                self.threshold,
                "must be finite and positive",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(Error::param("alpha", self.alpha, "must lie in (0, 1]"));
        }
        Ok(())
    }
}

/// Page-Hinkley drift detector (River's `drift.PageHinkley`).
///
/// Tracks the faded cumulative deviation of each value from the running mean and
/// reports a drift when it rises more than `threshold` above its minimum (an increase
/// of the mean) or falls more than `threshold` below its maximum (a decrease).
/// Constant time and memory per value.
///
/// ```
/// use ferrops::drift::stream::{PageHinkley, PageHinkleyMode, PageHinkleyParams, StreamDetector};
///
/// let params = PageHinkleyParams { mode: PageHinkleyMode::Up, ..PageHinkleyParams::default() };
/// let mut ph = PageHinkley::new(params)?;
/// let drifts = ph.update_many(&[vec![0.0; 500], vec![3.0; 500]].concat());
/// assert!(drifts.first().is_some_and(|&i| i >= 500));
/// # Ok::<(), ferrops::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageHinkley {
    params: PageHinkleyParams,
    mean: RunningMean,
    sum_increase: f64,
    sum_decrease: f64,
    #[serde(with = "super::nonfinite")]
    min_increase: f64,
    max_decrease: f64,
    drift: bool,
    n_seen: u64,
}

impl Default for PageHinkley {
    fn default() -> Self {
        PageHinkley::fresh(PageHinkleyParams::default())
    }
}

impl PageHinkley {
    /// A new detector, after checking `params`.
    pub fn new(params: PageHinkleyParams) -> Result<Self> {
        params.validate()?;
        Ok(PageHinkley::fresh(params))
    }

    fn fresh(params: PageHinkleyParams) -> Self {
        PageHinkley {
            params,
            mean: RunningMean::default(),
            sum_increase: 0.0,
            sum_decrease: 0.0,
            min_increase: f64::INFINITY,
            max_decrease: -1.0,
            drift: false,
            n_seen: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &PageHinkleyParams {
        &self.params
    }

    /// Running mean of the values since the last restart.
    pub fn mean(&self) -> f64 {
        self.mean.mean
    }

    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = PageHinkley::fresh(self.params);
        self.n_seen = n_seen;
    }
}

impl StreamDetector for PageHinkley {
    #[inline]
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        self.mean.update(x);
        let dev = x - self.mean.mean;
        let p = &self.params;
        self.sum_increase = p.alpha * self.sum_increase + dev - p.delta;
        self.sum_decrease = p.alpha * self.sum_decrease + dev + p.delta;
        if self.sum_increase < self.min_increase {
            self.min_increase = self.sum_increase;
        }
        if self.sum_decrease > self.max_decrease {
            self.max_decrease = self.sum_decrease;
        }
        if self.mean.n >= p.min_instances as f64 {
            let test_increase = self.sum_increase - self.min_increase;
            let test_decrease = self.max_decrease - self.sum_decrease;
            self.drift = match p.mode {
                PageHinkleyMode::Up => test_increase > p.threshold,
                PageHinkleyMode::Down => test_decrease > p.threshold,
                PageHinkleyMode::Both => test_increase > p.threshold || test_decrease > p.threshold,
            };
        }
        DriftState::from_flags(self.drift, false)
    }

    fn drift_detected(&self) -> bool {
        self.drift
    }

    fn reset(&mut self) {
        *self = PageHinkley::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "Page-Hinkley"
    }
}
