//! Per-column statistics of a table, compact and mergeable.
//!
//! A [`TableProfile`] summarises a table column by column: row and null counts, and, by
//! the column's [`ColumnKind`],
//!
//! | kind | Arrow types | statistics |
//! |---|---|---|
//! | [`Numeric`](ColumnKind::Numeric) | integers, floats, decimals | NaN and ±inf counts, min, max, mean, sample std, a [`QuantileSketch`] |
//! | [`Boolean`](ColumnKind::Boolean) | `Boolean` | counts of `"true"` and `"false"` ([`CategoryCounts`]) |
//! | [`Categorical`](ColumnKind::Categorical) | `Utf8`, `LargeUtf8`, `Utf8View`, dictionaries of those | counts per value, exact up to a cap ([`CategoryCounts`]) |
//! | [`Timestamp`](ColumnKind::Timestamp) | `Timestamp(_, _)`, `Date32`, `Date64` | min, max (exact, in µs since the epoch) and a [`QuantileSketch`] of the µs values |
//!
//! Other types (lists, structs, binary, `Null`, durations, ...) are not profiled: they are
//! listed in [`TableProfile::skipped`] with their type.
//!
//! Three properties make a profile fit to be stored with every version of a table and
//! used later as the reference of a drift test:
//!
//! - **Compact.** Its size is bounded whatever the row count (the sketch grows with
//!   its logarithm only): a numeric column keeps three moments and a sketch of about
//!   600 values (12 KiB of JSON for a million rows at the default `k = 200`,
//!   measured), a categorical column at most [`ProfileOptions::max_categories`] values
//!   (their length is not bounded: long free-text values make large profiles).
//! - **Mergeable.** [`TableProfile::merge`] of the profiles of two tables is the profile of
//!   their concatenation: exactly for counts, NaN/inf/null counts, min and max and the
//!   category counts (while the number of distinct values stays under the cap), up to
//!   floating-point rounding for mean and variance (Welford's update within a table,
//!   Chan, Golub and LeVeque's parallel formula across profiles), and within the sketch's error bound for quantiles. Merging is commutative:
//!   `A + B` and `B + A` give identical profiles.
//! - **Serializable and deterministic.** [`TableProfile::to_json`] /
//!   [`TableProfile::from_json`] round-trip exactly, and the same input profiled twice
//!   gives byte-identical JSON: the sketch's coin flips come from a fixed-seed generator
//!   keyed by the compaction count, never from the clock or the thread.
//!
//! # The quantile sketch
//!
//! [`QuantileSketch`] is a KLL sketch (Karnin, Lang and Liberty, "Optimal Quantile
//! Approximation in Streams", FOCS 2016), in the form used by Apache DataSketches:
//! a stack of compactors, level `h` holding items of weight `2^h`; level `h` of `H` has
//! capacity `max(8, ceil(k · (2/3)^(H-1-h)))`; when the sketch holds as many items as
//! its total capacity, the lowest full level is sorted and every other item (even or odd
//! positions, by a coin flip) is promoted to the next level with twice the weight.
//!
//! Why KLL rather than a t-digest: KLL's rank error has a proof that holds for every
//! input — any distribution, heavy ties, sorted or adversarially ordered streams — and it
//! is preserved by merging, which is what a reference profile built from many writes
//! needs. The t-digest is often more accurate in the extreme tails but has no worst-case
//! guarantee; its accuracy depends on the order of the input (sorted input is its weak
//! case) and on the order of merges.
//!
//! **Error bound.** For a sketch of parameter `k` (default 200) over `n` values, the
//! value `v` returned by [`QuantileSketch::quantile`]`(q)` has a normalized rank error
//! `|rank(v)/n − q|` of at most [`QuantileSketch::normalized_rank_error`]`(false)`
//! (1.33 % at `k = 200`) with probability 99 % for any single query, and at most
//! `normalized_rank_error(true)` (1.65 % at `k = 200`) for all queries at once. Here
//! `rank(v)` is any rank that `v` occupies in the sorted data (with ties, a range). The
//! constants are DataSketches' empirical calibration of this algorithm
//! (`2.296 / k^0.9723` and `2.446 / k^0.9433`); `tests/rust/profile.rs` checks them on
//! 150,000-row samples of several distributions. [`QuantileSketch::cdf`] has the same
//! additive error. The sketch keeps about `3k` values (at most `3k + 8·log2(n/k)`), so
//! its size grows only with the logarithm of `n`.
//!
//! **Determinism.** The coin of the `i`-th compaction is bit 0 of a SplitMix64 draw
//! seeded by `i`; the count of compactions is part of the sketch (and is summed by a
//! merge), so a sketch continues identically after a JSON round trip. The same values
//! fed in the same order give the same sketch; feeding them in other batches of the
//! same order gives the same sketch too. (The coins are fixed, not secret: the bound is
//! for inputs chosen without knowledge of them.)
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//! use ferrops::data::profile::{ColumnKind, TableProfile};
//!
//! # fn main() -> ferrops::Result<()> {
//! let batch = RecordBatch::try_from_iter([
//!     ("x", Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0), Some(f64::NAN)])) as _),
//!     ("city", Arc::new(StringArray::from(vec!["a", "b", "a", "a"])) as _),
//! ])?;
//! let profile = TableProfile::from_batch(&batch)?;
//! let x = profile.column("x").expect("profiled");
//! assert_eq!(x.kind(), ColumnKind::Numeric);
//! assert_eq!((x.count(), x.null_count(), x.nan_count()), (4, 1, 1));
//! assert_eq!(x.mean(), Some(2.0));
//! assert_eq!(x.quantile(0.5)?, Some(1.0));
//! let city = profile.column("city").expect("profiled");
//! assert_eq!(city.top_categories(1)?, vec![("a", 3)]);
//! # Ok(()) }
//! ```
#![warn(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::table::{as_f64_array, is_string, str_values, StrColumn};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// The sketch parameter `k` used unless [`ProfileOptions::sketch_k`] says otherwise.
pub const DEFAULT_SKETCH_K: usize = 200;
/// The number of distinct values counted exactly unless
/// [`ProfileOptions::max_categories`] says otherwise.
pub const DEFAULT_MAX_CATEGORIES: usize = 1_000;
/// The smallest accepted sketch parameter `k`.
pub const MIN_SKETCH_K: usize = 8;
/// The largest accepted sketch parameter `k`.
pub const MAX_SKETCH_K: usize = 65_535;
/// The largest accepted [`ProfileOptions::max_categories`].
pub const MAX_CATEGORIES_LIMIT: usize = 1_000_000;
/// The format version written by [`TableProfile::to_json`].
pub const PROFILE_FORMAT: u32 = 1;

/// Capacity of the lowest levels of the sketch, whatever their depth.
const MIN_LEVEL_CAPACITY: usize = 8;
/// Seed of the sketch's coin flips.
const SKETCH_SEED: u64 = 0x6B6C_6C5F_7365_6564;

// ---------------------------------------------------------------------------------------
// Quantile sketch (KLL)
// ---------------------------------------------------------------------------------------

/// A KLL quantile sketch of finite `f64` values: bounded size, mergeable, deterministic.
///
/// See the [module documentation](self) for the algorithm, its rank-error guarantee and
/// why it was chosen. NaN and infinite values are ignored by [`update`](Self::update);
/// a [`ColumnProfile`] counts them separately.
///
/// ```
/// use ferrops::data::profile::QuantileSketch;
///
/// # fn main() -> ferrops::Result<()> {
/// let mut sketch = QuantileSketch::new(200)?;
/// for i in 0..100_000 {
///     sketch.update(f64::from(i));
/// }
/// let median = sketch.quantile(0.5).expect("not empty");
/// let error = (median / 100_000.0 - 0.5).abs();
/// assert!(error <= sketch.normalized_rank_error(false));
/// assert!(sketch.retained() < 1_000);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SketchRepr", into = "SketchRepr")]
pub struct QuantileSketch {
    k: usize,
    n: u64,
    min: Option<f64>,
    max: Option<f64>,
    compactions: u64,
    levels: Vec<Vec<f64>>,
    /// Items held, cached (sum of level lengths).
    retained: usize,
    /// Total capacity for the current number of levels, cached.
    limit: usize,
}

/// The serialized form of [`QuantileSketch`] (the caches are recomputed on reading).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SketchRepr {
    k: usize,
    n: u64,
    min: Option<f64>,
    max: Option<f64>,
    compactions: u64,
    levels: Vec<Vec<f64>>,
}

impl From<QuantileSketch> for SketchRepr {
    fn from(s: QuantileSketch) -> Self {
        SketchRepr {
            k: s.k,
            n: s.n,
            min: s.min,
            max: s.max,
            compactions: s.compactions,
            levels: s.levels,
        }
    }
}

impl TryFrom<SketchRepr> for QuantileSketch {
    type Error = String;

    fn try_from(r: SketchRepr) -> std::result::Result<Self, String> {
        if !(MIN_SKETCH_K..=MAX_SKETCH_K).contains(&r.k) {
            return Err(format!(
                "sketch k = {} is outside {MIN_SKETCH_K}..={MAX_SKETCH_K}",
                r.k
            ));
        }
        if r.levels.is_empty() || r.levels.len() > 64 {
            return Err(format!("sketch has {} levels; 1 to 64 are valid", r.levels.len()));
        }
        let mut weight: u128 = 0;
        for (h, level) in r.levels.iter().enumerate() {
            if level.iter().any(|v| !v.is_finite()) {
                return Err(format!("sketch level {h} holds a non-finite value"));
            }
            weight += (level.len() as u128) << h;
        }
        if weight != u128::from(r.n) {
            return Err(format!(
                "sketch items weigh {weight} in all but the sketch says it has seen n = {} values",
                r.n
            ));
        }
        let extremes_ok = match (r.min, r.max) {
            (None, None) => r.n == 0,
            (Some(lo), Some(hi)) => r.n > 0 && lo.is_finite() && hi.is_finite() && lo <= hi,
            _ => false,
        };
        if !extremes_ok {
            return Err(format!(
                "sketch min {:?} / max {:?} are inconsistent with n = {}",
                r.min, r.max, r.n
            ));
        }
        let mut sketch = QuantileSketch {
            k: r.k,
            n: r.n,
            min: r.min,
            max: r.max,
            compactions: r.compactions,
            levels: r.levels,
            retained: 0,
            limit: 0,
        };
        sketch.refresh();
        Ok(sketch)
    }
}

impl Default for QuantileSketch {
    /// An empty sketch with `k` = [`DEFAULT_SKETCH_K`].
    fn default() -> Self {
        QuantileSketch::empty(DEFAULT_SKETCH_K)
    }
}

impl QuantileSketch {
    /// An empty sketch of parameter `k`: larger `k`, smaller error and larger sketch
    /// (the error falls about as `1/k`, the size grows as `3k`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `k` is outside
    /// [`MIN_SKETCH_K`]`..=`[`MAX_SKETCH_K`].
    pub fn new(k: usize) -> Result<Self> {
        check_sketch_k(k)?;
        Ok(QuantileSketch::empty(k))
    }

    fn empty(k: usize) -> Self {
        let mut sketch = QuantileSketch {
            k,
            n: 0,
            min: None,
            max: None,
            compactions: 0,
            levels: vec![Vec::new()],
            retained: 0,
            limit: 0,
        };
        sketch.refresh();
        sketch
    }

    /// The parameter `k`.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The number of values the sketch has seen (NaN and infinities excluded).
    pub fn count(&self) -> u64 {
        self.n
    }

    /// True if the sketch has seen no value.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The number of values the sketch holds (its size), at most about `3k`.
    pub fn retained(&self) -> usize {
        self.retained
    }

    /// The exact smallest value seen, `None` if empty.
    pub fn min(&self) -> Option<f64> {
        self.min
    }

    /// The exact largest value seen, `None` if empty.
    pub fn max(&self) -> Option<f64> {
        self.max
    }

    /// The normalized rank error bound that holds with 99 % probability: for a single
    /// query if `all_queries` is false (`2.296 / k^0.9723`), for all queries at once if
    /// true (`2.446 / k^0.9433`). At `k = 200`: 0.0133 and 0.0165. Exact answers (0)
    /// while the sketch has never compacted.
    pub fn normalized_rank_error(&self, all_queries: bool) -> f64 {
        if self.compactions == 0 && self.levels.len() == 1 {
            return 0.0;
        }
        rank_error_bound(self.k, all_queries)
    }

    /// Add one value. NaN and ±infinity are ignored (they have no place in a rank).
    pub fn update(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.n += 1;
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        if let Some(level0) = self.levels.first_mut() {
            level0.push(value);
            self.retained += 1;
        }
        if self.retained >= self.limit {
            self.compress();
        }
    }

    /// Fold `other` into this sketch: the result summarises both inputs with the error
    /// bound of the smaller `k` of the two. Commutative: `a.merge(b)` and `b.merge(a)`
    /// give identical sketches.
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.k = self.k.min(other.k);
        if other.n == 0 {
            self.refresh();
            return;
        }
        while self.levels.len() < other.levels.len() {
            self.levels.push(Vec::new());
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.extend_from_slice(theirs);
        }
        self.n += other.n;
        self.min = min_option(self.min, other.min);
        self.max = max_option(self.max, other.max);
        self.compactions = self.compactions.wrapping_add(other.compactions);
        self.refresh();
        self.compress();
        // The order of items within a level carries no information; sorting makes the
        // merge symmetric (A + B and B + A serialize identically).
        for level in &mut self.levels {
            level.sort_unstable_by(f64::total_cmp);
        }
    }

    /// The approximate `q`-quantile: the smallest retained value whose estimated rank
    /// reaches `q · n` (`q = 0` gives the exact min, `q = 1` the exact max). `None` if
    /// the sketch is empty or `q` is not in `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles(&[q]).and_then(|v| v.first().copied())
    }

    /// [`quantile`](Self::quantile) for several `qs` at once (one sort of the sketch).
    /// `None` if the sketch is empty or any `q` is not in `[0, 1]`.
    pub fn quantiles(&self, qs: &[f64]) -> Option<Vec<f64>> {
        if self.n == 0 || qs.iter().any(|q| !(0.0..=1.0).contains(q)) {
            return None;
        }
        let (lo, hi) = (self.min?, self.max?);
        let view = self.sorted_view();
        let n = self.n as f64;
        qs.iter()
            .map(|&q| {
                if q <= 0.0 {
                    return Some(lo);
                }
                if q >= 1.0 {
                    return Some(hi);
                }
                let target = (q * n).ceil().max(1.0) as u64;
                let at = view.partition_point(|&(_, cum)| cum < target);
                let value = view.get(at).or(view.last()).map(|&(v, _)| v)?;
                Some(value.clamp(lo, hi))
            })
            .collect()
    }

    /// The approximate fraction of values `<= x`: 0 below the min, 1 at or above the max.
    /// `None` if the sketch is empty or `x` is NaN.
    pub fn cdf(&self, x: f64) -> Option<f64> {
        if self.n == 0 || x.is_nan() {
            return None;
        }
        if self.max.is_some_and(|hi| x >= hi) {
            return Some(1.0);
        }
        if self.min.is_some_and(|lo| x < lo) {
            return Some(0.0);
        }
        let below: u64 = self
            .levels
            .iter()
            .enumerate()
            .map(|(h, level)| (level.iter().filter(|&&v| v <= x).count() as u64) << h)
            .sum();
        Some(below as f64 / self.n as f64)
    }

    /// The retained values with their weights (`2^level`), sorted by value, as
    /// `(value, weight)` pairs. Their weights sum to [`count`](Self::count).
    pub fn weighted_values(&self) -> Vec<(f64, u64)> {
        let mut items: Vec<(f64, u64)> = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(h, level)| level.iter().map(move |&v| (v, 1u64 << h)))
            .collect();
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        items
    }

    /// Sorted `(value, cumulative weight)`.
    fn sorted_view(&self) -> Vec<(f64, u64)> {
        let mut items = self.weighted_values();
        let mut cum = 0u64;
        for item in &mut items {
            cum += item.1;
            item.1 = cum;
        }
        items
    }

    fn capacity(&self, level: usize) -> usize {
        level_capacity(self.k, self.levels.len(), level)
    }

    /// Recompute the cached size and capacity.
    fn refresh(&mut self) {
        self.retained = self.levels.iter().map(Vec::len).sum();
        self.limit = (0..self.levels.len()).map(|h| self.capacity(h)).sum();
    }

    /// Compact the lowest full level until the sketch is under its capacity.
    fn compress(&mut self) {
        while self.retained >= self.limit {
            let Some(h) =
                (0..self.levels.len()).find(|&h| self.levels.get(h).map_or(0, Vec::len) >= self.capacity(h))
            else {
                break;
            };
            if h + 1 == self.levels.len() {
                self.levels.push(Vec::new());
                self.refresh();
            }
            self.compact(h);
        }
    }

    /// Sort level `h`, keep one item if the count is odd (the smallest), and promote
    /// every other item of the rest to level `h + 1`, starting at a coin-flipped offset.
    fn compact(&mut self, h: usize) {
        let Some(level) = self.levels.get_mut(h) else {
            return;
        };
        let mut items = std::mem::take(level);
        items.sort_unstable_by(f64::total_cmp);
        let odd = items.len() % 2;
        let offset = (SplitMix64::stream(SKETCH_SEED, self.compactions).next_u64() & 1) as usize;
        self.compactions = self.compactions.wrapping_add(1);
        let promoted: Vec<f64> = items.iter().skip(odd + offset).step_by(2).copied().collect();
        items.truncate(odd);
        // 2m items left level h and m arrived at level h + 1.
        let removed = promoted.len();
        if let Some(level) = self.levels.get_mut(h) {
            *level = items;
        }
        if let Some(next) = self.levels.get_mut(h + 1) {
            next.extend(promoted);
        }
        self.retained -= removed;
    }
}

fn level_capacity(k: usize, levels: usize, level: usize) -> usize {
    let depth = levels.saturating_sub(level + 1);
    let cap = (k as f64 * (2.0f64 / 3.0).powi(depth.min(1_000) as i32)).ceil() as usize;
    cap.max(MIN_LEVEL_CAPACITY)
}

fn rank_error_bound(k: usize, all_queries: bool) -> f64 {
    let k = k as f64;
    if all_queries {
        2.446 / k.powf(0.9433)
    } else {
        2.296 / k.powf(0.9723)
    }
}

fn check_sketch_k(k: usize) -> Result<()> {
    if (MIN_SKETCH_K..=MAX_SKETCH_K).contains(&k) {
        Ok(())
    } else {
        Err(Error::param(
            "sketch_k",
            k,
            format!("must be in {MIN_SKETCH_K}..={MAX_SKETCH_K}; 200 gives about 1.3 % rank error"),
        ))
    }
}

fn min_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

// ---------------------------------------------------------------------------------------
// Moments
// ---------------------------------------------------------------------------------------

/// Count, mean and sum of squared deviations (`M2`) of finite values, merged by Chan,
/// Golub and LeVeque's parallel formula.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Moments {
    count: u64,
    #[serde(with = "float_or_text")]
    mean: f64,
    #[serde(with = "float_or_text")]
    m2: f64,
}

impl Moments {
    /// The moments of `values` (all assumed finite), by [`push`](Self::push)ing each.
    pub fn from_values(values: &[f64]) -> Self {
        let mut moments = Moments::default();
        values.iter().for_each(|&v| moments.push(v));
        moments
    }

    /// Add one value (assumed finite) by Welford's update. Pushing values one by one
    /// gives the same bits however the values are cut into batches.
    pub fn push(&mut self, value: f64) {
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
    }

    /// Fold `other` in: `count`, `mean` and `M2` of the union. Symmetric in its two
    /// arguments, bit for bit.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean = self.mean * (na / n) + other.mean * (nb / n);
        self.m2 = self.m2 + other.m2 + delta * delta * (na * (nb / n));
        self.count += other.count;
    }

    /// The number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The mean, `None` without values.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// The sum of squared deviations from the mean.
    pub fn m2(&self) -> f64 {
        self.m2
    }

    /// The sample variance (`ddof = 1`, like pandas), `None` below two values.
    pub fn variance(&self) -> Option<f64> {
        (self.count >= 2).then(|| self.m2 / (self.count - 1) as f64)
    }

    /// The sample standard deviation (`ddof = 1`, like pandas' `std()`), `None` below
    /// two values.
    pub fn std(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }
}

/// Serde for an `f64` that may overflow to ±inf (JSON has no such numbers): finite
/// values as numbers, others as the strings `"inf"`, `"-inf"`, `"NaN"`.
mod float_or_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum FloatOrText {
        Float(f64),
        Text(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match FloatOrText::deserialize(d)? {
            FloatOrText::Float(v) => Ok(v),
            FloatOrText::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!(
                    "expected a number, \"inf\", \"-inf\" or \"NaN\", found {other:?}"
                ))),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Category counts
// ---------------------------------------------------------------------------------------

/// Counts per distinct value, exact up to a cap of distinct values.
///
/// While at most `cap` distinct values have been seen every count is exact. Past the cap
/// the rarest values (lowest count, then greatest value) are folded into
/// [`other_count`](Self::other_count) and [`truncated`](Self::truncated) is set; the
/// kept counts are then lower bounds, each short of the true count by at most
/// `other_count`. Always: the kept counts plus `other_count` equal the number of
/// non-null values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCounts {
    cap: usize,
    counts: BTreeMap<String, u64>,
    other_count: u64,
    truncated: bool,
}

impl CategoryCounts {
    /// No counts yet, keeping at most `cap` distinct values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `cap` is 0 or above [`MAX_CATEGORIES_LIMIT`].
    pub fn new(cap: usize) -> Result<Self> {
        check_max_categories(cap)?;
        Ok(CategoryCounts::empty(cap))
    }

    fn empty(cap: usize) -> Self {
        CategoryCounts {
            cap,
            counts: BTreeMap::new(),
            other_count: 0,
            truncated: false,
        }
    }

    /// The most distinct values kept.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The kept counts, by value (sorted by value).
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// The count of `value`, 0 if not kept.
    pub fn get(&self, value: &str) -> u64 {
        self.counts.get(value).copied().unwrap_or(0)
    }

    /// The number of values folded away past the cap.
    pub fn other_count(&self) -> u64 {
        self.other_count
    }

    /// True if some values were folded into [`other_count`](Self::other_count) (the
    /// counts are then no longer exact).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The number of distinct values kept.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// The number of values counted (kept counts plus `other_count`).
    pub fn total(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.other_count
    }

    /// The `k` most frequent values, by count descending then value ascending.
    pub fn top(&self, k: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.counts.iter().map(|(v, &c)| (v.as_str(), c)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(k);
        all
    }

    /// Add counts, then fold past the cap.
    fn add<'a>(&mut self, counts: impl IntoIterator<Item = (&'a str, u64)>) {
        for (value, count) in counts {
            if count == 0 {
                continue;
            }
            match self.counts.get_mut(value) {
                Some(c) => *c += count,
                None => {
                    self.counts.insert(value.to_string(), count);
                }
            }
        }
        self.fold();
    }

    /// Fold `other` in (the cap becomes the smaller of the two).
    pub fn merge(&mut self, other: &CategoryCounts) {
        self.cap = self.cap.min(other.cap);
        self.other_count += other.other_count;
        self.truncated |= other.truncated;
        self.add(other.counts.iter().map(|(v, &c)| (v.as_str(), c)));
    }

    fn fold(&mut self) {
        if self.counts.len() <= self.cap {
            return;
        }
        let mut all: Vec<(String, u64)> = std::mem::take(&mut self.counts).into_iter().collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let folded: u64 = all.iter().skip(self.cap).map(|(_, c)| c).sum();
        all.truncate(self.cap);
        self.counts = all.into_iter().collect();
        self.other_count += folded;
        self.truncated = true;
    }
}

fn check_max_categories(cap: usize) -> Result<()> {
    if (1..=MAX_CATEGORIES_LIMIT).contains(&cap) {
        Ok(())
    } else {
        Err(Error::param(
            "max_categories",
            cap,
            format!("must be in 1..={MAX_CATEGORIES_LIMIT}"),
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Column profiles
// ---------------------------------------------------------------------------------------

/// What kind of statistics a column gets (see the table in the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Integers, floats and decimals.
    Numeric,
    /// Booleans, counted as the categories `"true"` and `"false"`.
    Boolean,
    /// Strings and dictionaries of strings.
    Categorical,
    /// Timestamps and dates, as µs since the Unix epoch.
    Timestamp,
}

impl ColumnKind {
    fn name(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Timestamp => "timestamp",
        }
    }
}

impl std::fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Statistics of a numeric column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NumericSummary {
    nan_count: u64,
    inf_count: u64,
    moments: Moments,
    sketch: QuantileSketch,
}

/// Statistics of a timestamp column, in µs since the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TimestampSummary {
    min: Option<i64>,
    max: Option<i64>,
    sketch: QuantileSketch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Summary {
    Numeric(NumericSummary),
    Boolean(CategoryCounts),
    Categorical(CategoryCounts),
    Timestamp(TimestampSummary),
}

impl Summary {
    fn new(kind: ColumnKind, options: &ProfileOptions) -> Self {
        match kind {
            ColumnKind::Numeric => Summary::Numeric(NumericSummary {
                nan_count: 0,
                inf_count: 0,
                moments: Moments::default(),
                sketch: QuantileSketch::empty(options.sketch_k),
            }),
            ColumnKind::Boolean => Summary::Boolean(CategoryCounts::empty(options.max_categories)),
            ColumnKind::Categorical => Summary::Categorical(CategoryCounts::empty(options.max_categories)),
            ColumnKind::Timestamp => Summary::Timestamp(TimestampSummary {
                min: None,
                max: None,
                sketch: QuantileSketch::empty(options.sketch_k),
            }),
        }
    }

    fn kind(&self) -> ColumnKind {
        match self {
            Summary::Numeric(_) => ColumnKind::Numeric,
            Summary::Boolean(_) => ColumnKind::Boolean,
            Summary::Categorical(_) => ColumnKind::Categorical,
            Summary::Timestamp(_) => ColumnKind::Timestamp,
        }
    }
}

/// The statistics of one column. Built by [`TableProfile`]; read through the accessors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    name: String,
    data_type: String,
    count: u64,
    null_count: u64,
    summary: Summary,
}

impl ColumnProfile {
    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind of statistics kept.
    pub fn kind(&self) -> ColumnKind {
        self.summary.kind()
    }

    /// The Arrow type of the column, as text (of the first batch profiled).
    pub fn data_type(&self) -> &str {
        &self.data_type
    }

    /// The number of rows.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The number of null rows (for dictionaries, null keys and keys to null values).
    pub fn null_count(&self) -> u64 {
        self.null_count
    }

    /// The number of NaN values (numeric columns; 0 for the others). NaN is not null:
    /// it is counted here, not in [`null_count`](Self::null_count).
    pub fn nan_count(&self) -> u64 {
        match &self.summary {
            Summary::Numeric(s) => s.nan_count,
            _ => 0,
        }
    }

    /// The number of +inf and -inf values (numeric columns; 0 for the others). They are
    /// excluded from the moments, min, max and sketch.
    pub fn inf_count(&self) -> u64 {
        match &self.summary {
            Summary::Numeric(s) => s.inf_count,
            _ => 0,
        }
    }

    /// The smallest finite value (numeric), or the earliest instant in µs as `f64`
    /// (timestamp). `None` for other kinds and without values.
    pub fn min(&self) -> Option<f64> {
        match &self.summary {
            Summary::Numeric(s) => s.sketch.min(),
            Summary::Timestamp(s) => s.min.map(|v| v as f64),
            _ => None,
        }
    }

    /// The largest finite value (numeric), or the latest instant in µs as `f64`
    /// (timestamp). `None` for other kinds and without values.
    pub fn max(&self) -> Option<f64> {
        match &self.summary {
            Summary::Numeric(s) => s.sketch.max(),
            Summary::Timestamp(s) => s.max.map(|v| v as f64),
            _ => None,
        }
    }

    /// The earliest instant, exact, in µs since the epoch (timestamp columns).
    pub fn min_timestamp(&self) -> Option<i64> {
        match &self.summary {
            Summary::Timestamp(s) => s.min,
            _ => None,
        }
    }

    /// The latest instant, exact, in µs since the epoch (timestamp columns).
    pub fn max_timestamp(&self) -> Option<i64> {
        match &self.summary {
            Summary::Timestamp(s) => s.max,
            _ => None,
        }
    }

    /// The moments of the finite values (numeric columns).
    pub fn moments(&self) -> Option<&Moments> {
        match &self.summary {
            Summary::Numeric(s) => Some(&s.moments),
            _ => None,
        }
    }

    /// The mean of the finite values; `None` for other kinds and without values.
    pub fn mean(&self) -> Option<f64> {
        self.moments().and_then(Moments::mean)
    }

    /// The sample standard deviation (`ddof = 1`) of the finite values; `None` for other
    /// kinds and below two values.
    pub fn std(&self) -> Option<f64> {
        self.moments().and_then(Moments::std)
    }

    /// The quantile sketch (numeric: finite values; timestamp: µs values).
    pub fn sketch(&self) -> Option<&QuantileSketch> {
        match &self.summary {
            Summary::Numeric(s) => Some(&s.sketch),
            Summary::Timestamp(s) => Some(&s.sketch),
            _ => None,
        }
    }

    /// The category counts (boolean and categorical columns).
    pub fn categories(&self) -> Option<&CategoryCounts> {
        match &self.summary {
            Summary::Boolean(c) | Summary::Categorical(c) => Some(c),
            _ => None,
        }
    }

    /// The approximate `q`-quantile of the finite values (timestamps: in µs), within the
    /// sketch's rank error; `Ok(None)` without values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `q` is not in `[0, 1]`; [`Error::ColumnType`] if
    /// the column is boolean or categorical.
    pub fn quantile(&self, q: f64) -> Result<Option<f64>> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::param("q", q, "a quantile must be in [0, 1]"));
        }
        Ok(self.sketch_or_error()?.quantile(q))
    }

    /// The approximate fraction of the finite values `<= x` (timestamps: `x` in µs),
    /// within the sketch's rank error; `Ok(None)` without values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if `x` is NaN; [`Error::ColumnType`] if the column is
    /// boolean or categorical.
    pub fn cdf(&self, x: f64) -> Result<Option<f64>> {
        if x.is_nan() {
            return Err(Error::param("x", x, "the CDF is defined at numbers, not NaN"));
        }
        Ok(self.sketch_or_error()?.cdf(x))
    }

    /// The `k` most frequent values with their counts, by count descending then value
    /// ascending (booleans: `"true"` / `"false"`).
    ///
    /// # Errors
    ///
    /// [`Error::ColumnType`] if the column is numeric or a timestamp.
    pub fn top_categories(&self, k: usize) -> Result<Vec<(&str, u64)>> {
        match self.categories() {
            Some(c) => Ok(c.top(k)),
            None => Err(Error::column_type(
                &self.name,
                "a categorical or boolean column (for category counts)",
                format!("{} ({})", self.kind(), self.data_type),
            )),
        }
    }

    fn sketch_or_error(&self) -> Result<&QuantileSketch> {
        self.sketch().ok_or_else(|| {
            Error::column_type(
                &self.name,
                "a numeric or timestamp column (for quantiles)",
                format!("{} ({})", self.kind(), self.data_type),
            )
        })
    }

    fn empty(name: &str, data_type: &DataType, kind: ColumnKind, options: &ProfileOptions) -> Self {
        ColumnProfile {
            name: name.to_string(),
            data_type: data_type.to_string(),
            count: 0,
            null_count: 0,
            summary: Summary::new(kind, options),
        }
    }

    /// Fold another profile of the same column in.
    fn merge(&mut self, other: &ColumnProfile) -> Result<()> {
        if self.kind() != other.kind() {
            return Err(kind_mismatch(
                &self.name,
                self.kind(),
                &self.data_type,
                other.kind(),
                &other.data_type,
            ));
        }
        self.count += other.count;
        self.null_count += other.null_count;
        match (&mut self.summary, &other.summary) {
            (Summary::Numeric(a), Summary::Numeric(b)) => {
                a.nan_count += b.nan_count;
                a.inf_count += b.inf_count;
                a.moments.merge(&b.moments);
                a.sketch.merge(&b.sketch);
            }
            (Summary::Boolean(a), Summary::Boolean(b))
            | (Summary::Categorical(a), Summary::Categorical(b)) => a.merge(b),
            (Summary::Timestamp(a), Summary::Timestamp(b)) => {
                a.min = a.min.into_iter().chain(b.min).min();
                a.max = a.max.into_iter().chain(b.max).max();
                a.sketch.merge(&b.sketch);
            }
            _ => {}
        }
        Ok(())
    }

    /// Add the rows of `array` (one batch of this column).
    fn update(&mut self, array: &ArrayRef) -> Result<()> {
        let rows = array.len() as u64;
        let nulls = array.logical_null_count() as u64;
        let name = self.name.clone();
        match &mut self.summary {
            Summary::Numeric(s) => update_numeric(&name, s, array)?,
            Summary::Boolean(c) => update_boolean(c, array)?,
            Summary::Categorical(c) => update_categorical(&name, c, array)?,
            Summary::Timestamp(s) => update_timestamp(&name, s, array)?,
        }
        self.count += rows;
        self.null_count += nulls;
        Ok(())
    }

    /// Check the invariants of a profile read from JSON.
    fn check(&self) -> std::result::Result<(), String> {
        if self.null_count > self.count {
            return Err(format!(
                "column `{}` has null_count {} > count {}",
                self.name, self.null_count, self.count
            ));
        }
        let valid = self.count - self.null_count;
        let accounted = match &self.summary {
            Summary::Numeric(s) => {
                if s.moments.count != s.sketch.count() {
                    return Err(format!(
                        "column `{}`: moments count {} differs from sketch count {}",
                        self.name,
                        s.moments.count,
                        s.sketch.count()
                    ));
                }
                s.sketch.count() + s.nan_count + s.inf_count
            }
            Summary::Boolean(c) | Summary::Categorical(c) => {
                if !(1..=MAX_CATEGORIES_LIMIT).contains(&c.cap) || c.counts.len() > c.cap {
                    return Err(format!(
                        "column `{}` keeps {} categories with a cap of {}",
                        self.name,
                        c.counts.len(),
                        c.cap
                    ));
                }
                c.total()
            }
            Summary::Timestamp(s) => s.sketch.count(),
        };
        if accounted != valid {
            return Err(format!(
                "column `{}`: its statistics cover {accounted} values but it has {valid} non-null rows",
                self.name
            ));
        }
        Ok(())
    }
}

fn kind_mismatch(name: &str, kind: ColumnKind, dt: &str, other: ColumnKind, other_dt: &str) -> Error {
    Error::column_type(
        name,
        format!("{kind} ({dt}), as in the profile merged into"),
        format!("{other} ({other_dt})"),
    )
}

fn update_numeric(name: &str, s: &mut NumericSummary, array: &ArrayRef) -> Result<()> {
    let array = if let DataType::Dictionary(_, value_type) = array.data_type() {
        cast_with_options(array, value_type, &CastOptions::default())?
    } else {
        array.clone()
    };
    let floats = as_f64_array(name, &array)?;
    for v in floats.iter().flatten() {
        if v.is_finite() {
            s.moments.push(v);
            s.sketch.update(v);
        } else if v.is_nan() {
            s.nan_count += 1;
        } else {
            s.inf_count += 1;
        }
    }
    Ok(())
}

fn update_boolean(c: &mut CategoryCounts, array: &ArrayRef) -> Result<()> {
    let array = if let DataType::Dictionary(_, value_type) = array.data_type() {
        cast_with_options(array, value_type, &CastOptions::default())?
    } else {
        array.clone()
    };
    let bools = array.as_boolean_opt().ok_or_else(|| {
        Error::InvalidData(format!("expected a boolean array, found {}", array.data_type()))
    })?;
    let trues = bools.true_count() as u64;
    let falses = (bools.len() - bools.null_count()) as u64 - trues;
    c.add([("false", falses), ("true", trues)]);
    Ok(())
}

fn update_categorical(name: &str, c: &mut CategoryCounts, array: &ArrayRef) -> Result<()> {
    if let Some(dict) = array.as_any_dictionary_opt() {
        let values = dict.values();
        if values.is_empty() {
            // No dictionary values: every row is null.
            return Ok(());
        }
        let strings = str_values(name, values)?;
        let keys = dict.normalized_keys();
        let nulls = array.logical_nulls();
        let mut per_key = vec![0u64; values.len()];
        for (row, &key) in keys.iter().enumerate() {
            if nulls.as_ref().is_none_or(|n| n.is_valid(row)) {
                if let Some(slot) = per_key.get_mut(key) {
                    *slot += 1;
                }
            }
        }
        // Several keys may share a value: count per value, not per key.
        let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
        for (key, &n) in per_key.iter().enumerate() {
            if n > 0 {
                if let Some(v) = strings.get(key) {
                    *counts.entry(v).or_insert(0) += n;
                }
            }
        }
        c.add(counts);
        return Ok(());
    }
    let strings = str_values(name, array)?;
    c.add(count_strings(strings));
    Ok(())
}

fn count_strings(strings: StrColumn<'_>) -> FxHashMap<&str, u64> {
    let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
    for v in strings.iter().flatten() {
        *counts.entry(v).or_insert(0) += 1;
    }
    counts
}

fn update_timestamp(name: &str, s: &mut TimestampSummary, array: &ArrayRef) -> Result<()> {
    let micros = timestamp_micros(name, array)?;
    for v in micros.into_iter().flatten() {
        s.min = Some(s.min.map_or(v, |m| m.min(v)));
        s.max = Some(s.max.map_or(v, |m| m.max(v)));
        s.sketch.update(v as f64);
    }
    Ok(())
}

/// The instants of a timestamp or date array in µs since the epoch (floor division for
/// nanoseconds, so pre-1970 instants stay in the right microsecond).
fn timestamp_micros(name: &str, array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    fn collect<T: arrow::datatypes::ArrowPrimitiveType>(
        array: &ArrayRef,
        to_micros: impl Fn(T::Native) -> i64,
    ) -> Vec<Option<i64>> {
        array
            .as_primitive::<T>()
            .iter()
            .map(|v| v.map(&to_micros))
            .collect()
    }
    Ok(match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            collect::<TimestampSecondType>(array, |v| v.saturating_mul(1_000_000))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            collect::<TimestampMillisecondType>(array, |v| v.saturating_mul(1_000))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => collect::<TimestampMicrosecondType>(array, |v| v),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            collect::<TimestampNanosecondType>(array, |v| v.div_euclid(1_000))
        }
        DataType::Date32 => collect::<Date32Type>(array, |d| i64::from(d).saturating_mul(86_400_000_000)),
        DataType::Date64 => collect::<Date64Type>(array, |ms| ms.saturating_mul(1_000)),
        DataType::Dictionary(_, value_type) => {
            let plain = cast_with_options(array, value_type, &CastOptions::default())?;
            return timestamp_micros(name, &plain);
        }
        other => return Err(Error::column_type(name, "a timestamp or date column", other)),
    })
}

/// The kind of statistics for `dt`, `None` if the type is not profiled.
pub(crate) fn classify(dt: &DataType) -> Option<ColumnKind> {
    match dt {
        DataType::Boolean => Some(ColumnKind::Boolean),
        dt if is_string(dt) => Some(ColumnKind::Categorical),
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => Some(ColumnKind::Timestamp),
        DataType::Dictionary(_, value_type) => classify(value_type),
        dt if dt.is_numeric() => Some(ColumnKind::Numeric),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Table profiles
// ---------------------------------------------------------------------------------------

/// Settings of a profile: the sketch size and the category cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileOptions {
    /// The KLL parameter `k` of the quantile sketches (default [`DEFAULT_SKETCH_K`] =
    /// 200: rank error about 1.3 %, about 600 values kept per column).
    pub sketch_k: usize,
    /// The most distinct values counted per categorical column (default
    /// [`DEFAULT_MAX_CATEGORIES`] = 1,000); past it the rarest are folded into
    /// [`CategoryCounts::other_count`].
    pub max_categories: usize,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            sketch_k: DEFAULT_SKETCH_K,
            max_categories: DEFAULT_MAX_CATEGORIES,
        }
    }
}

impl ProfileOptions {
    /// Check both settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming `sketch_k` (outside
    /// [`MIN_SKETCH_K`]`..=`[`MAX_SKETCH_K`]) or `max_categories` (0 or above
    /// [`MAX_CATEGORIES_LIMIT`]).
    pub fn validate(&self) -> Result<()> {
        check_sketch_k(self.sketch_k)?;
        check_max_categories(self.max_categories)
    }
}

/// Per-column statistics of a table: compact, mergeable, serializable.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{BooleanArray, Int64Array, StringArray};
/// use arrow::record_batch::RecordBatch;
/// use ferrops::data::profile::TableProfile;
///
/// # fn main() -> ferrops::Result<()> {
/// let monday = RecordBatch::try_from_iter([
///     ("amount", Arc::new(Int64Array::from(vec![10, 20, 30])) as _),
///     ("country", Arc::new(StringArray::from(vec!["fr", "de", "fr"])) as _),
///     ("fraud", Arc::new(BooleanArray::from(vec![false, false, true])) as _),
/// ])?;
/// let tuesday = RecordBatch::try_from_iter([
///     ("amount", Arc::new(Int64Array::from(vec![Some(40), None])) as _),
///     ("country", Arc::new(StringArray::from(vec!["it", "fr"])) as _),
///     ("fraud", Arc::new(BooleanArray::from(vec![false, false])) as _),
/// ])?;
///
/// // Profile each write, keep the profile, merge later: same as profiling all rows.
/// let mut profile = TableProfile::from_batch(&monday)?;
/// profile.merge(&TableProfile::from_batch(&tuesday)?)?;
/// let whole = TableProfile::from_batches(&[monday, tuesday])?;
/// assert_eq!(profile.rows(), 5);
///
/// let amount = profile.column("amount").expect("profiled");
/// assert_eq!(amount.null_count(), 1);
/// assert_eq!(amount.mean(), Some(25.0));
/// assert_eq!(amount.max(), whole.column("amount").and_then(|c| c.max()));
/// let country = profile.column("country").expect("profiled");
/// assert_eq!(country.top_categories(2)?, vec![("fr", 3), ("de", 1)]);
///
/// // Stored as JSON, read back identical.
/// let json = profile.to_json()?;
/// assert_eq!(TableProfile::from_json(&json)?, profile);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableProfile {
    format: u32,
    rows: u64,
    columns: Vec<ColumnProfile>,
    skipped: Vec<String>,
}

/// A column's profile, or the note that it was skipped.
enum Profiled {
    Column(ColumnProfile),
    Skipped(String),
}

impl TableProfile {
    /// Profile one batch with the default [`ProfileOptions`]: one pass per column,
    /// columns in parallel. A batch without rows gives a valid profile with counts of 0.
    ///
    /// # Errors
    ///
    /// [`Error::Arrow`] if a column cannot be read (a cast failing); never for the types
    /// that are not profiled, which are listed in [`skipped`](Self::skipped).
    pub fn from_batch(batch: &RecordBatch) -> Result<Self> {
        Self::from_batches_with(std::slice::from_ref(batch), &ProfileOptions::default())
    }

    /// [`from_batch`](Self::from_batch) with explicit options.
    ///
    /// # Errors
    ///
    /// As [`from_batch`](Self::from_batch), and [`Error::InvalidParameter`] for options
    /// out of range.
    pub fn from_batch_with(batch: &RecordBatch, options: &ProfileOptions) -> Result<Self> {
        Self::from_batches_with(std::slice::from_ref(batch), options)
    }

    /// Profile the rows of several batches (of the same columns) as one table, with the
    /// default [`ProfileOptions`]: each column streams through the batches in order, so
    /// the result is identical, bit for bit, to profiling their concatenation.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyInput`] for no batch at all (a batch without rows is fine);
    /// [`Error::InvalidData`] if the batches do not have the same column names in the
    /// same order; [`Error::ColumnType`] if a column changes kind between batches;
    /// [`Error::Arrow`] if a column cannot be read.
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Self> {
        Self::from_batches_with(batches, &ProfileOptions::default())
    }

    /// [`from_batches`](Self::from_batches) with explicit options.
    ///
    /// # Errors
    ///
    /// As [`from_batches`](Self::from_batches), and [`Error::InvalidParameter`] for
    /// options out of range.
    pub fn from_batches_with(batches: &[RecordBatch], options: &ProfileOptions) -> Result<Self> {
        options.validate()?;
        let Some(first) = batches.first() else {
            return Err(Error::EmptyInput {
                context: "TableProfile::from_batches got no batch; pass at least one (a batch without rows gives an empty profile)".to_string(),
            });
        };
        let schema = first.schema();
        let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
        for (i, batch) in batches.iter().enumerate().skip(1) {
            let other = batch.schema();
            let other_names: Vec<&String> = other.fields().iter().map(|f| f.name()).collect();
            if other_names != names {
                return Err(Error::InvalidData(format!(
                    "batch {i} has columns {other_names:?} but batch 0 has {names:?}; profile batches of one table together, or profile each and merge"
                )));
            }
        }
        let profiled = (0..schema.fields().len())
            .into_par_iter()
            .map(|i| profile_column(batches, i, options))
            .collect::<Result<Vec<Profiled>>>()?;
        let mut columns = Vec::new();
        let mut skipped = Vec::new();
        for p in profiled {
            match p {
                Profiled::Column(c) => columns.push(c),
                Profiled::Skipped(s) => skipped.push(s),
            }
        }
        Ok(TableProfile {
            format: PROFILE_FORMAT,
            rows: batches.iter().map(|b| b.num_rows() as u64).sum(),
            columns,
            skipped,
        })
    }

    /// The number of rows profiled.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The profiled columns, in table order.
    pub fn columns(&self) -> &[ColumnProfile] {
        &self.columns
    }

    /// The profile of column `name`, `None` if it is not profiled.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns not profiled, as `"name: type"` (lists, structs, binary, ...).
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// Fold the profile of other rows of the same table in. Columns are matched by
    /// name (this profile's order is kept); skipped columns are united. The result
    /// equals the profile of both tables' rows (see the [module docs](self) for what
    /// "equals" means for each statistic), and `a.merge(b)` equals `b.merge(a)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] naming the column if a column is profiled in one profile
    /// only; [`Error::ColumnType`] naming it if its kind differs. On error `self` is
    /// unchanged.
    pub fn merge(&mut self, other: &TableProfile) -> Result<()> {
        for theirs in &other.columns {
            if self.column(&theirs.name).is_none() {
                return Err(one_side_only(
                    &theirs.name,
                    "the other profile",
                    "this one",
                    &self.columns,
                ));
            }
        }
        let mut merged = self.columns.clone();
        for mine in &mut merged {
            let Some(theirs) = other.column(&mine.name) else {
                return Err(one_side_only(
                    &mine.name,
                    "this profile",
                    "the other one",
                    &other.columns,
                ));
            };
            mine.merge(theirs)?;
        }
        self.columns = merged;
        self.rows += other.rows;
        for s in &other.skipped {
            if !self.skipped.contains(s) {
                self.skipped.push(s.clone());
            }
        }
        Ok(())
    }

    /// The profile as JSON (deterministic: the same profile gives the same text).
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] if serde fails (not expected).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Serialization(format!("table profile to JSON: {e}")))
    }

    /// Read a profile written by [`to_json`](Self::to_json), checking its invariants.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] if the text is not a profile, is of a newer format than
    /// [`PROFILE_FORMAT`], or is inconsistent (counts that do not add up, a sketch whose
    /// weights do not sum to its count).
    pub fn from_json(json: &str) -> Result<Self> {
        let profile: TableProfile = serde_json::from_str(json)
            .map_err(|e| Error::Serialization(format!("table profile from JSON: {e}")))?;
        if profile.format == 0 || profile.format > PROFILE_FORMAT {
            return Err(Error::Serialization(format!(
                "table profile of format {} but this version of ferrops reads formats 1..={PROFILE_FORMAT}; upgrade ferrops",
                profile.format
            )));
        }
        for c in &profile.columns {
            c.check()
                .and_then(|()| {
                    if c.count == profile.rows {
                        Ok(())
                    } else {
                        Err(format!(
                            "column `{}` has {} rows but the profile has {}",
                            c.name, c.count, profile.rows
                        ))
                    }
                })
                .map_err(|e| Error::Serialization(format!("table profile from JSON: {e}")))?;
        }
        Ok(profile)
    }
}

fn one_side_only(name: &str, has: &str, lacks: &str, lacking: &[ColumnProfile]) -> Error {
    let available: Vec<&str> = lacking.iter().map(|c| c.name.as_str()).collect();
    Error::InvalidData(format!(
        "cannot merge table profiles: column `{name}` is profiled in {has} but not in {lacks} (which has {available:?}); profiles merge only over the same columns"
    ))
}

fn profile_column(batches: &[RecordBatch], index: usize, options: &ProfileOptions) -> Result<Profiled> {
    let Some(first) = batches.first() else {
        return Err(Error::EmptyInput {
            context: "no batch to profile".to_string(),
        });
    };
    let schema = first.schema();
    let field = schema.field(index);
    let Some(kind) = classify(field.data_type()) else {
        return Ok(Profiled::Skipped(format!(
            "{}: {}",
            field.name(),
            field.data_type()
        )));
    };
    let mut profile = ColumnProfile::empty(field.name(), field.data_type(), kind, options);
    for batch in batches {
        let array = batch.column(index);
        let this_kind = classify(array.data_type());
        if this_kind != Some(kind) {
            let found = this_kind.map_or("not profiled", ColumnKind::name);
            return Err(Error::column_type(
                field.name(),
                format!("{kind} ({}), as in the first batch", field.data_type()),
                format!("{found} ({})", array.data_type()),
            ));
        }
        profile.update(array)?;
    }
    Ok(Profiled::Column(profile))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    /// Fraction of `sorted` strictly below and at most `v`.
    fn rank_range(sorted: &[f64], v: f64) -> (f64, f64) {
        let n = sorted.len() as f64;
        let lt = sorted.partition_point(|&x| x < v) as f64;
        let le = sorted.partition_point(|&x| x <= v) as f64;
        (lt / n, le / n)
    }

    fn rank_error(sorted: &[f64], v: f64, q: f64) -> f64 {
        let (lo, hi) = rank_range(sorted, v);
        if q < lo {
            lo - q
        } else if q > hi {
            q - hi
        } else {
            0.0
        }
    }

    fn max_rank_error(sketch: &QuantileSketch, data: &[f64]) -> f64 {
        let mut sorted = data.to_vec();
        sorted.sort_by(f64::total_cmp);
        (1..100)
            .map(|i| {
                let q = f64::from(i) / 100.0;
                rank_error(&sorted, sketch.quantile(q).unwrap(), q)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn exact_while_small() {
        let mut s = QuantileSketch::new(200).unwrap();
        for v in [5.0, 1.0, 3.0, 2.0, 4.0] {
            s.update(v);
        }
        assert_eq!(s.retained(), 5);
        assert_eq!(s.normalized_rank_error(false), 0.0);
        assert_eq!(s.quantile(0.0), Some(1.0));
        assert_eq!(s.quantile(0.2), Some(1.0));
        assert_eq!(s.quantile(0.21), Some(2.0));
        assert_eq!(s.quantile(0.5), Some(3.0));
        assert_eq!(s.quantile(1.0), Some(5.0));
        assert_eq!(s.cdf(0.5), Some(0.0));
        assert_eq!(s.cdf(3.0), Some(0.6));
        assert_eq!(s.cdf(9.0), Some(1.0));
        assert_eq!(s.quantile(1.5), None);
        assert_eq!(s.cdf(f64::NAN), None);
    }

    #[test]
    fn empty_and_non_finite() {
        let mut s = QuantileSketch::default();
        assert_eq!(s.quantile(0.5), None);
        assert_eq!(s.cdf(0.0), None);
        s.update(f64::NAN);
        s.update(f64::INFINITY);
        assert!(s.is_empty());
        assert_eq!(s.min(), None);
        assert!(QuantileSketch::new(7).is_err());
        assert!(QuantileSketch::new(65_536).is_err());
    }

    #[test]
    fn weights_are_conserved_and_size_is_bounded() {
        let mut s = QuantileSketch::new(200).unwrap();
        let mut rng = SplitMix64::new(1);
        for i in 0..1_000_000u64 {
            s.update(rng.unit());
            if i % 99_991 == 0 {
                let weight: u64 = s.weighted_values().iter().map(|w| w.1).sum();
                assert_eq!(weight, i + 1);
            }
        }
        assert_eq!(s.count(), 1_000_000);
        let weight: u64 = s.weighted_values().iter().map(|w| w.1).sum();
        assert_eq!(weight, 1_000_000);
        // 3k plus the floor of 8 per lowest levels.
        assert!(s.retained() <= 3 * 200 + 8 * 20, "retained {}", s.retained());
        assert_eq!(s.retained(), s.levels.iter().map(Vec::len).sum::<usize>());
        // Levels have increasing weights: about log2(n / k) of them.
        assert!(
            s.levels.len() >= 10 && s.levels.len() <= 20,
            "{} levels",
            s.levels.len()
        );
    }

    #[test]
    fn capacities_shrink_geometrically_below_the_top() {
        assert_eq!(level_capacity(200, 1, 0), 200);
        assert_eq!(level_capacity(200, 2, 0), 134);
        assert_eq!(level_capacity(200, 2, 1), 200);
        assert_eq!(level_capacity(200, 20, 0), MIN_LEVEL_CAPACITY);
    }

    #[test]
    fn compaction_promotes_half_and_keeps_odd_item() {
        let mut s = QuantileSketch::new(8).unwrap();
        s.levels = vec![vec![5.0, 1.0, 4.0, 2.0, 3.0], Vec::new()];
        s.n = 5;
        s.refresh();
        s.compact(0);
        assert_eq!(s.levels[0], vec![1.0]);
        assert_eq!(s.levels[1].len(), 2);
        // Either (2, 4) or (3, 5), by the coin.
        assert!(s.levels[1] == vec![2.0, 4.0] || s.levels[1] == vec![3.0, 5.0]);
        assert_eq!(s.retained(), 3);
        assert_eq!(s.compactions, 1);
    }

    #[test]
    fn rank_error_within_bound_on_uniform_and_sorted() {
        let mut rng = SplitMix64::new(7);
        let data: Vec<f64> = (0..200_000).map(|_| rng.unit()).collect();
        let mut s = QuantileSketch::default();
        data.iter().for_each(|&v| s.update(v));
        let err = max_rank_error(&s, &data);
        assert!(err <= s.normalized_rank_error(true), "uniform: {err}");

        let sorted: Vec<f64> = (0..200_000).map(f64::from).collect();
        let mut s = QuantileSketch::default();
        sorted.iter().for_each(|&v| s.update(v));
        let err = max_rank_error(&s, &sorted);
        assert!(err <= s.normalized_rank_error(true), "sorted: {err}");
        // The CDF has the same additive error.
        for x in [1_000.0, 50_000.0, 123_456.0, 199_000.0] {
            let truth = (x + 1.0) / 200_000.0;
            let cdf = s.cdf(x).unwrap();
            assert!(
                (cdf - truth).abs() <= s.normalized_rank_error(true),
                "cdf({x}) = {cdf}"
            );
        }
    }

    #[test]
    fn same_input_same_sketch_whatever_the_batching() {
        let mut rng = SplitMix64::new(3);
        let data: Vec<f64> = (0..50_000).map(|_| rng.unit()).collect();
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        data.iter().for_each(|&v| a.update(v));
        data.iter().for_each(|&v| b.update(v));
        assert_eq!(a, b);
        // A JSON round trip continues identically.
        let half = data.len() / 2;
        let mut c = QuantileSketch::default();
        data[..half].iter().for_each(|&v| c.update(v));
        let mut c: QuantileSketch = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        data[half..].iter().for_each(|&v| c.update(v));
        assert_eq!(a, c);
    }

    #[test]
    fn merge_is_commutative_and_accurate() {
        let mut rng = SplitMix64::new(11);
        let xs: Vec<f64> = (0..80_000).map(|_| rng.unit() * 10.0).collect();
        let ys: Vec<f64> = (0..30_000).map(|_| 5.0 + rng.unit()).collect();
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        xs.iter().for_each(|&v| a.update(v));
        ys.iter().for_each(|&v| b.update(v));
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.count(), 110_000);
        let all: Vec<f64> = xs.iter().chain(&ys).copied().collect();
        let err = max_rank_error(&ab, &all);
        assert!(err <= ab.normalized_rank_error(true), "merged: {err}");
        // Merging an empty sketch changes nothing but the level order.
        let mut a2 = a.clone();
        a2.merge(&QuantileSketch::default());
        assert_eq!(a2.count(), a.count());
        assert_eq!(a2.weighted_values(), a.weighted_values());
    }

    #[test]
    fn merge_of_many_small_sketches() {
        let mut rng = SplitMix64::new(5);
        let data: Vec<f64> = (0..100_000).map(|_| rng.unit().powi(3)).collect();
        let mut total = QuantileSketch::default();
        for chunk in data.chunks(1_000) {
            let mut s = QuantileSketch::default();
            chunk.iter().for_each(|&v| s.update(v));
            total.merge(&s);
        }
        assert_eq!(total.count(), 100_000);
        let err = max_rank_error(&total, &data);
        assert!(err <= total.normalized_rank_error(true), "many merges: {err}");
        assert!(total.retained() < 1_000);
    }

    #[test]
    fn corrupt_sketch_json_is_refused() {
        let mut s = QuantileSketch::default();
        (0..1_000).for_each(|i| s.update(f64::from(i)));
        let mut json: serde_json::Value = serde_json::to_value(&s).unwrap();
        json["n"] = serde_json::json!(999);
        let err = serde_json::from_value::<QuantileSketch>(json).unwrap_err();
        assert!(err.to_string().contains("weigh"), "{err}");
    }

    #[test]
    fn moments_merge_matches_one_pass() {
        let xs = [1.0, 2.0, 4.0, 8.0];
        let ys = [100.0, -3.0, 0.5];
        let mut m = Moments::from_values(&xs);
        m.merge(&Moments::from_values(&ys));
        let all: Vec<f64> = xs.iter().chain(&ys).copied().collect();
        let whole = Moments::from_values(&all);
        assert_eq!(m.count(), 7);
        assert!((m.mean().unwrap() - whole.mean().unwrap()).abs() < 1e-12);
        assert!((m.variance().unwrap() - whole.variance().unwrap()).abs() < 1e-9);
        let mut n = Moments::from_values(&ys);
        n.merge(&Moments::from_values(&xs));
        assert_eq!(m, n, "symmetric bit for bit");
        assert_eq!(Moments::from_values(&[3.0]).std(), None);
        assert_eq!(Moments::default().mean(), None);
    }

    #[test]
    fn overflowing_moments_round_trip_through_json() {
        let m = Moments::from_values(&[1e300, -1e300, 1e300]);
        assert!(m.m2().is_infinite());
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"inf\""), "{json}");
        let back: Moments = serde_json::from_str(&json).unwrap();
        assert_eq!(back.m2(), f64::INFINITY);
        assert!(back.mean().unwrap().is_finite());
    }

    #[test]
    fn categories_fold_the_rarest_past_the_cap() {
        let mut c = CategoryCounts::new(2).unwrap();
        c.add([("a", 5), ("b", 3), ("c", 3), ("d", 1)]);
        assert!(c.truncated());
        assert_eq!(c.top(10), vec![("a", 5), ("b", 3)]);
        assert_eq!(c.other_count(), 4);
        assert_eq!(c.total(), 12);
        let mut d = CategoryCounts::new(5).unwrap();
        d.add([("c", 10)]);
        d.merge(&c);
        assert_eq!(d.cap(), 2);
        assert_eq!(d.top(10), vec![("c", 10), ("a", 5)]);
        assert_eq!(d.other_count(), 4 + 3);
        assert_eq!(d.total(), 22);
        assert!(CategoryCounts::new(0).is_err());
    }
}
