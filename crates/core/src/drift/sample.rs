//! [`Sample`]: a one-dimensional empirical distribution, exact or from a sketch.

use serde::{Deserialize, Serialize};

use crate::data::profile::QuantileSketch;
use crate::error::{Error, Result};

/// A one-dimensional empirical distribution: the distinct finite values of a sample in
/// increasing order, each with its weight (how many observations it stands for).
///
/// Every two-sample test of [`stats`](super::stats) reads its inputs as `Sample`s, so
/// one implementation serves both sources of a reference:
///
/// - **exact** ([`Sample::from_values`]): built from raw values; weights are the
///   multiplicities of tied values and sum to [`n`](Sample::n). Tests on two exact
///   samples give the same statistic as scipy on the raw arrays.
/// - **sketched** ([`Sample::from_sketch`]): the retained items of a KLL
///   [`QuantileSketch`] with their weights (powers of two) that sum to the number of
///   values the sketch saw. A statistic computed from it is within the sketch's rank
///   error of the exact one; [`is_exact`](Sample::is_exact) is `false` and reports say so.
///
/// Non-finite values (NaN, ±inf) are never part of a sample: they are counted apart by
/// the caller and reported separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    values: Vec<f64>,
    weights: Vec<f64>,
    n: u64,
    exact: bool,
}

impl Sample {
    /// The exact sample of `values` (any order). Ties are merged into one value with
    /// their count as weight.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] if a value is NaN or infinite: filter them out first
    /// (drift reports count them separately).
    pub fn from_values(values: &[f64]) -> Result<Self> {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidValue {
                column: "sample".to_string(),
                row: i,
                value: values.get(i).map(|v| v.to_string()).unwrap_or_default(),
                hint: "a Sample holds finite values only: drop NaN and inf first (drift reports count them apart)"
                    .to_string(),
            });
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        Ok(Self::from_sorted_finite(&sorted))
    }

    /// A weighted sample, as scipy's `u_values` with `u_weights`: `weights[i]` is the
    /// weight of `values[i]` (any order; ties add up; zero weights are dropped). The
    /// sample is exact when every weight is a whole number (a count); its
    /// [`n`](Self::n) is the rounded total weight.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for a non-finite value or a negative or non-finite
    /// weight; [`Error::InvalidData`] if the lengths differ.
    pub fn from_weighted(values: &[f64], weights: &[f64]) -> Result<Self> {
        if values.len() != weights.len() {
            return Err(Error::InvalidData(format!(
                "{} values but {} weights; give one weight per value",
                values.len(),
                weights.len()
            )));
        }
        let mut pairs = Vec::with_capacity(values.len());
        for (i, (&v, &w)) in values.iter().zip(weights).enumerate() {
            if !v.is_finite() || !w.is_finite() || w < 0.0 {
                return Err(Error::InvalidValue {
                    column: "sample".to_string(),
                    row: i,
                    value: format!("value {v}, weight {w}"),
                    hint: "values must be finite and weights finite and >= 0".to_string(),
                });
            }
            if w > 0.0 {
                pairs.push((if v == 0.0 { 0.0 } else { v }, w));
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut values: Vec<f64> = Vec::with_capacity(pairs.len());
        let mut merged: Vec<f64> = Vec::with_capacity(pairs.len());
        for (v, w) in pairs {
            match (values.last(), merged.last_mut()) {
                (Some(&last), Some(acc)) if last == v => *acc += w,
                _ => {
                    values.push(v);
                    merged.push(w);
                }
            }
        }
        let total: f64 = merged.iter().sum();
        let exact = weights.iter().all(|w| w.fract() == 0.0);
        Ok(Self {
            values,
            weights: merged,
            n: total.round() as u64,
            exact,
        })
    }

    /// The total weight (equal to [`n`](Self::n) for counts).
    pub fn total_weight(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// The exact sample of values already sorted in increasing order and finite
    /// (checked in debug builds only; the caller guarantees it).
    pub(crate) fn from_sorted_finite(sorted: &[f64]) -> Self {
        debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
        let mut values: Vec<f64> = Vec::with_capacity(sorted.len());
        let mut weights: Vec<f64> = Vec::with_capacity(sorted.len());
        for &v in sorted {
            // -0.0 and 0.0 are one value, as in scipy's comparisons.
            let v = if v == 0.0 { 0.0 } else { v };
            match (values.last(), weights.last_mut()) {
                (Some(&last), Some(w)) if last == v => *w += 1.0,
                _ => {
                    values.push(v);
                    weights.push(1.0);
                }
            }
        }
        Self {
            values,
            weights,
            n: sorted.len() as u64,
            exact: true,
        }
    }

    /// The approximate sample a KLL sketch keeps: its retained items with their weights.
    /// The result is marked exact when the sketch has never compacted (every weight is
    /// one), since it then holds every value it saw.
    pub fn from_sketch(sketch: &QuantileSketch) -> Self {
        let mut pairs = sketch.weighted_values();
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let exact = pairs.iter().all(|&(_, w)| w == 1);
        let mut values: Vec<f64> = Vec::with_capacity(pairs.len());
        let mut weights: Vec<f64> = Vec::with_capacity(pairs.len());
        for (v, w) in pairs {
            if !v.is_finite() {
                continue;
            }
            let v = if v == 0.0 { 0.0 } else { v };
            match (values.last(), weights.last_mut()) {
                (Some(&last), Some(acc)) if last == v => *acc += w as f64,
                _ => {
                    values.push(v);
                    weights.push(w as f64);
                }
            }
        }
        let n = weights.iter().sum::<f64>().round() as u64;
        Self {
            values,
            weights,
            n,
            exact,
        }
    }

    /// The distinct values, increasing.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The weight of each distinct value (same length as [`values`](Self::values)).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The number of observations the sample stands for (the sum of the weights).
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The number of distinct values kept.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` for a sample of no observation.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `true` if built from every raw value; `false` for a compacted sketch.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// The empirical CDF at `x`: the share of the weight at values `<= x` (0 for an
    /// empty sample).
    pub fn cdf(&self, x: f64) -> f64 {
        if self.values.is_empty() {
            return 0.0;
        }
        let k = self.values.partition_point(|&v| v <= x);
        let below: f64 = self.weights.iter().take(k).sum();
        below / self.total_weight()
    }

    /// The cumulative weights: entry `i` is the weight of values `<= values()[i]`.
    pub fn cumulative_weights(&self) -> Vec<f64> {
        let mut acc = 0.0;
        self.weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect()
    }

    /// The `q`-quantile (`0 <= q <= 1`): the smallest value whose CDF reaches `q`
    /// (numpy's `inverted_cdf` method). `None` for an empty sample or `q` outside
    /// `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.values.is_empty() || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let target = q * self.total_weight();
        let mut acc = 0.0;
        for (v, w) in self.values.iter().zip(&self.weights) {
            acc += w;
            if acc >= target {
                return Some(*v);
            }
        }
        self.values.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sample_merges_ties_and_sorts() {
        let s = Sample::from_values(&[3.0, 1.0, 2.0, 1.0, -0.0, 0.0]).unwrap();
        assert_eq!(s.values(), &[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(s.weights(), &[2.0, 2.0, 1.0, 1.0]);
        assert_eq!(s.n(), 6);
        assert!(s.is_exact());
        assert!((s.cdf(1.0) - 4.0 / 6.0).abs() < 1e-15);
        assert_eq!(s.cdf(-1.0), 0.0);
        assert_eq!(s.cdf(3.0), 1.0);
        // numpy.quantile([0,0,1,1,2,3], 0.5, method="inverted_cdf") == 1.0
        assert_eq!(s.quantile(0.5), Some(1.0));
        assert_eq!(s.quantile(1.0), Some(3.0));
        assert_eq!(s.quantile(1.5), None);
    }

    #[test]
    fn non_finite_values_are_refused() {
        assert!(Sample::from_values(&[1.0, f64::NAN]).is_err());
        assert!(Sample::from_values(&[f64::INFINITY]).is_err());
        let empty = Sample::from_values(&[]).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.quantile(0.5), None);
    }

    #[test]
    fn sketch_sample_keeps_total_weight() {
        let mut sketch = QuantileSketch::new(64).unwrap();
        for i in 0..10_000 {
            sketch.update(f64::from(i));
        }
        let s = Sample::from_sketch(&sketch);
        assert_eq!(s.n(), 10_000);
        assert!(!s.is_exact());
        assert!((s.cdf(4_999.0) - 0.5).abs() < 0.05);
        let mut small = QuantileSketch::new(64).unwrap();
        for v in [2.0, 1.0, 2.0] {
            small.update(v);
        }
        let s = Sample::from_sketch(&small);
        assert!(s.is_exact());
        assert_eq!(s.values(), &[1.0, 2.0]);
        assert_eq!(s.weights(), &[1.0, 2.0]);
    }
}
