//! ADWIN: adaptive windowing over an exponential histogram (Bifet and Gavaldà, 2007).

use serde::{Deserialize, Serialize};

use super::{check_open_unit, DriftState, StreamDetector};
use crate::{Error, Result};

/// Parameters of [`Adwin`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdwinParams {
    /// Significance of the test between the two sub-windows, in (0, 1). Default 0.002.
    pub delta: f64,
    /// Test for a change every `clock` values (1 = every value). Default 32.
    pub clock: u32,
    /// Buckets of each size kept before two are merged. Default 5.
    pub max_buckets: usize,
    /// Smallest sub-window a cut may leave on either side. Default 5.
    pub min_window_length: u32,
    /// No test until the window holds more than this many values. Default 10.
    pub grace_period: u32,
}

impl Default for AdwinParams {
    fn default() -> Self {
        AdwinParams {
            delta: 0.002,
            clock: 32,
            max_buckets: 5,
            min_window_length: 5,
            grace_period: 10,
        }
    }
}

impl AdwinParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        check_open_unit("delta", self.delta)?;
        if self.clock == 0 {
            return Err(Error::param(
                "clock",
                self.clock,
                "must be at least 1 (1 tests after every value)",
            ));
        }
        if self.max_buckets == 0 {
            return Err(Error::param(
                "max_buckets",
                self.max_buckets,
                "must be at least 1",
            ));
        }
        if self.min_window_length == 0 {
            return Err(Error::param(
                "min_window_length",
                self.min_window_length,
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// One row of the exponential histogram: up to `max_buckets + 1` buckets of `2^row`
/// values each, oldest first, as (total, variance) pairs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Row {
    totals: Vec<f64>,
    variances: Vec<f64>,
}

impl Row {
    fn len(&self) -> usize {
        self.totals.len()
    }

    fn push(&mut self, total: f64, variance: f64) {
        self.totals.push(total);
        self.variances.push(variance);
    }

    fn drop_oldest(&mut self, n: usize) {
        let n = n.min(self.totals.len());
        self.totals.drain(..n);
        self.variances.drain(..n);
    }
}

/// ADWIN drift detector (River's `drift.ADWIN`).
///
/// Keeps a window of recent values as an exponential histogram (so an update costs
/// amortised `O(log W)` and memory is `O(log W)` for a window of `W` values) and every
/// `clock` values looks for a cut into an older and a newer sub-window whose means
/// differ by more than the Hoeffding-type bound of significance `delta`; it then drops
/// the oldest values and reports a drift.
///
/// ```
/// use ferrops::drift::stream::{Adwin, AdwinParams, StreamDetector};
///
/// let mut adwin = Adwin::new(AdwinParams { delta: 0.002, ..AdwinParams::default() })?;
/// let stream: Vec<f64> = (0..2000).map(|i| if i < 1000 { 0.0 } else { 1.0 } + (i % 3) as f64).collect();
/// let drifts = adwin.update_many(&stream);
/// assert!(!drifts.is_empty() && drifts[0] >= 1000);
/// # Ok::<(), ferrops::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Adwin {
    params: AdwinParams,
    rows: Vec<Row>,
    total: f64,
    variance: f64,
    width: f64,
    tick: u64,
    n_detections: u64,
    drift: bool,
    n_seen: u64,
}

impl Default for Adwin {
    fn default() -> Self {
        Adwin::fresh(AdwinParams::default())
    }
}

impl Adwin {
    /// A new detector, after checking `params`.
    pub fn new(params: AdwinParams) -> Result<Self> {
        params.validate()?;
        Ok(Adwin::fresh(params))
    }

    fn fresh(params: AdwinParams) -> Self {
        Adwin {
            params,
            rows: vec![Row::default()],
            total: 0.0,
            variance: 0.0,
            width: 0.0,
            tick: 0,
            n_detections: 0,
            drift: false,
            n_seen: 0,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &AdwinParams {
        &self.params
    }

    /// Number of values in the current window.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Sum of the values in the window.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Sum of squared deviations from the mean within the window (River's `variance`).
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// Mean of the window (0 when empty).
    pub fn estimation(&self) -> f64 {
        if self.width == 0.0 {
            0.0
        } else {
            self.total / self.width
        }
    }

    /// Drifts detected since the last restart (River counts per restart, so this is 0
    /// or 1).
    pub fn n_detections(&self) -> u64 {
        self.n_detections
    }

    pub(super) fn validate(&self) -> Result<()> {
        self.params.validate()?;
        if self.rows.is_empty() {
            return Err(Error::Serialization(
                "ADWIN state has no histogram row".to_string(),
            ));
        }
        Ok(())
    }

    /// Restart after a drift (River replaces its helper): the window is emptied.
    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = Adwin::fresh(self.params);
        self.n_seen = n_seen;
    }

    fn insert(&mut self, value: f64) {
        if self.rows.is_empty() {
            self.rows.push(Row::default());
        }
        if let Some(first) = self.rows.first_mut() {
            first.push(value, 0.0);
        }
        self.width += 1.0;
        let mut incremental = 0.0;
        if self.width > 1.0 {
            let dev = value - self.total / (self.width - 1.0);
            incremental = (self.width - 1.0) * dev * dev / self.width;
        }
        self.variance += incremental;
        self.total += value;
        self.compress();
    }

    /// Merge the two oldest buckets of a full row into the next row, cascading.
    fn compress(&mut self) {
        let max = self.params.max_buckets;
        let mut idx = 0usize;
        while let Some(row) = self.rows.get(idx) {
            if row.len() != max + 1 {
                break;
            }
            let (Some(&t0), Some(&t1), Some(&v0), Some(&v1)) = (
                row.totals.first(),
                row.totals.get(1),
                row.variances.first(),
                row.variances.get(1),
            ) else {
                break;
            };
            let n = pow2(idx);
            let mu1 = t0 / n;
            let mu2 = t1 / n;
            let total12 = t0 + t1;
            let temp = n * n * (mu1 - mu2) * (mu1 - mu2) / (n + n);
            let v12 = v0 + v1 + temp;
            if self.rows.len() <= idx + 1 {
                self.rows.push(Row::default());
            }
            if let Some(next) = self.rows.get_mut(idx + 1) {
                next.push(total12, v12);
            }
            if let Some(row) = self.rows.get_mut(idx) {
                row.drop_oldest(2);
            }
            match self.rows.get(idx + 1) {
                Some(next) if next.len() > max => idx += 1,
                _ => break,
            }
        }
    }

    /// Drop the oldest bucket; returns its size.
    fn delete_oldest(&mut self) -> f64 {
        let last = self.rows.len().saturating_sub(1);
        let n = pow2(last);
        let Some(row) = self.rows.get_mut(last) else {
            return 0.0;
        };
        let (Some(&u), Some(&v)) = (row.totals.first(), row.variances.first()) else {
            return 0.0;
        };
        row.drop_oldest(1);
        let emptied = row.len() == 0;
        let mu = u / n;
        self.width -= n;
        self.total -= u;
        let mu_window = self.total / self.width;
        let incremental = v + n * self.width * (mu - mu_window) * (mu - mu_window) / (n + self.width);
        self.variance -= incremental;
        if emptied && self.rows.len() > 1 {
            self.rows.pop();
        }
        n
    }

    fn detect_change(&mut self) -> bool {
        let mut change = false;
        self.tick += 1;
        let min_len = f64::from(self.params.min_window_length);
        if self.tick % u64::from(self.params.clock) == 0 && self.width > f64::from(self.params.grace_period) {
            let mut reduce = true;
            while reduce {
                reduce = false;
                let mut n0 = 0.0_f64;
                let mut n1 = self.width;
                let mut u0 = 0.0_f64;
                let mut u1 = self.total;
                let mut cut = false;
                // Oldest buckets first: the highest row, then its buckets oldest first.
                'rows: for idx in (0..self.rows.len()).rev() {
                    let size = pow2(idx);
                    let Some(row) = self.rows.get(idx) else { continue };
                    let len = row.len();
                    for (k, &t) in row.totals.iter().enumerate() {
                        n0 += size;
                        n1 -= size;
                        u0 += t;
                        u1 -= t;
                        if idx == 0 && k + 1 == len {
                            break 'rows;
                        }
                        let delta_mean = u0 / n0 - u1 / n1;
                        if n1 >= min_len && n0 >= min_len && self.cut_is_significant(n0, n1, delta_mean) {
                            cut = true;
                            break 'rows;
                        }
                    }
                }
                if cut {
                    reduce = true;
                    change = true;
                    if self.width > 0.0 {
                        self.delete_oldest();
                    }
                }
            }
        }
        if change {
            self.n_detections += 1;
        }
        change
    }

    fn cut_is_significant(&self, n0: f64, n1: f64, delta_mean: f64) -> bool {
        let min_len = f64::from(self.params.min_window_length);
        let delta_prime = (2.0 * self.width.ln() / self.params.delta).ln();
        let m_recip = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0);
        let epsilon = (2.0 * m_recip * (self.variance / self.width) * delta_prime).sqrt()
            + 2.0 / 3.0 * delta_prime * m_recip;
        delta_mean.abs() > epsilon
    }
}

fn pow2(row: usize) -> f64 {
    // Rows never exceed 2^63 values; clamp the exponent for the conversion.
    2f64.powi(i32::try_from(row).unwrap_or(i32::MAX))
}

impl StreamDetector for Adwin {
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        self.insert(x);
        self.drift = self.detect_change();
        DriftState::from_flags(self.drift, false)
    }

    fn drift_detected(&self) -> bool {
        self.drift
    }

    fn reset(&mut self) {
        *self = Adwin::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "ADWIN"
    }
}
