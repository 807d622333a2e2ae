//! KSWIN: Kolmogorov-Smirnov windowing (Raab, Heusinger and Schleif, 2020).
//!
//! The window's random subsample is drawn exactly as River draws it, with Python's
//! `random.Random(seed).sample` (a Mersenne Twister seeded by `init_by_array` and
//! Python's sampling algorithm), and the p-value is scipy's exact two-sample
//! Kolmogorov-Smirnov p-value (`ks_2samp(method="auto")`, which is exact for two samples
//! of equal size up to 10 000), so a seeded detector fires where River's does.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{DriftState, StreamDetector};
use crate::{Error, Result};

/// Largest `stat_size`: beyond it scipy's `ks_2samp(method="auto")` switches to the
/// asymptotic distribution, which ferrops does not reproduce.
pub const KSWIN_MAX_STAT_SIZE: usize = 10_000;

/// Parameters of [`Kswin`] (River's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KswinParams {
    /// Drift when the KS test's p-value is at most `alpha` (and the statistic exceeds
    /// 0.1), in (0, 1). Default 0.005.
    pub alpha: f64,
    /// Size of the sliding window. Default 100.
    pub window_size: usize,
    /// Size of the recent sample and of the subsample drawn from the older part of the
    /// window; at most half of `window_size` and at most 10 000. Default 30.
    pub stat_size: usize,
    /// Seed of the subsampling (Python's `random.Random(seed)`); `None` draws a fresh
    /// seed at every (re)start, as River does.
    pub seed: Option<u64>,
}

impl Default for KswinParams {
    fn default() -> Self {
        KswinParams {
            alpha: 0.005,
            window_size: 100,
            stat_size: 30,
            seed: None,
        }
    }
}

impl KswinParams {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::param(
                "alpha",
                self.alpha,
                "must lie strictly between 0 and 1 (River advises below 0.01)",
            ));
        }
        if self.stat_size == 0 || self.stat_size > KSWIN_MAX_STAT_SIZE {
            return Err(Error::param(
                "stat_size",
                self.stat_size,
                format!("must lie in [1, {KSWIN_MAX_STAT_SIZE}]"),
            ));
        }
        if self.window_size < 2 * self.stat_size {
            return Err(Error::param(
                "window_size",
                self.window_size,
                format!(
                    "must be at least 2 * stat_size = {}: the subsample of stat_size values is drawn from the window's first window_size - stat_size values",
                    2 * self.stat_size
                ),
            ));
        }
        Ok(())
    }
}

/// KSWIN drift detector (River's `drift.KSWIN`).
///
/// Keeps the last `window_size` values; once the window is full, compares its last
/// `stat_size` values with `stat_size` values drawn at random from the rest with the
/// two-sample Kolmogorov-Smirnov test, and reports a drift when the p-value is at most
/// `alpha` and the statistic exceeds 0.1. Each update costs `O(stat_size log stat_size)`.
///
/// ```
/// use ferrops::drift::stream::{Kswin, KswinParams, StreamDetector};
///
/// let mut kswin = Kswin::new(KswinParams { alpha: 0.0001, seed: Some(42), ..KswinParams::default() })?;
/// let stream: Vec<f64> = (0..2000).map(|i| if i < 1000 { (i % 2) as f64 } else { 4.0 + (i % 4) as f64 }).collect();
/// let drifts = kswin.update_many(&stream);
/// assert!(drifts.first().is_some_and(|&i| i >= 1000));
/// # Ok::<(), ferrops::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Kswin {
    params: KswinParams,
    window: VecDeque<f64>,
    rng: PyRandom,
    p_value: f64,
    statistic: f64,
    drift: bool,
    n_seen: u64,
    #[serde(skip)]
    scratch: Scratch,
}

#[derive(Clone, Debug, Default)]
struct Scratch {
    pool: Vec<usize>,
    sample: Vec<f64>,
    recent: Vec<f64>,
}

impl Default for Kswin {
    fn default() -> Self {
        Kswin::fresh(KswinParams::default())
    }
}

impl Kswin {
    /// A new detector, after checking `params`.
    pub fn new(params: KswinParams) -> Result<Self> {
        params.validate()?;
        Ok(Kswin::fresh(params))
    }

    fn fresh(params: KswinParams) -> Self {
        let seed = params.seed.unwrap_or_else(random_seed);
        Kswin {
            params,
            window: VecDeque::with_capacity(params.window_size),
            rng: PyRandom::new(seed),
            p_value: 0.0,
            statistic: 0.0,
            drift: false,
            n_seen: 0,
            scratch: Scratch::default(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &KswinParams {
        &self.params
    }

    /// p-value of the latest test (0 before the window first fills, as in River).
    pub fn p_value(&self) -> f64 {
        self.p_value
    }

    /// Kolmogorov-Smirnov statistic of the latest test (0 before the first).
    pub fn statistic(&self) -> f64 {
        self.statistic
    }

    /// The current window, oldest first.
    pub fn window(&self) -> impl Iterator<Item = f64> + '_ {
        self.window.iter().copied()
    }

    pub(super) fn validate(&self) -> Result<()> {
        self.params.validate()?;
        if self.rng.mt.len() != MT_N {
            return Err(Error::Serialization(
                "KSWIN state has a malformed random generator".to_string(),
            ));
        }
        Ok(())
    }

    fn restart(&mut self) {
        let n_seen = self.n_seen;
        *self = Kswin::fresh(self.params);
        self.n_seen = n_seen;
    }

    fn test(&mut self) {
        let KswinParams {
            window_size,
            stat_size,
            alpha,
            ..
        } = self.params;
        let older = window_size - stat_size;
        let scratch = &mut self.scratch;
        self.rng.sample_indices(older, stat_size, &mut scratch.pool, |j| {
            if let Some(&v) = self.window.get(j) {
                scratch.sample.push(v);
            }
        });
        scratch.recent.clear();
        scratch.recent.extend(self.window.iter().skip(older).copied());
        let h = ks_distance_count(&mut scratch.sample, &mut scratch.recent);
        scratch.sample.clear();
        let n = stat_size;
        self.statistic = h as f64 / n as f64;
        self.p_value = ks_exact_equal_n(n, h);
        if self.p_value <= alpha && self.statistic > 0.1 {
            self.drift = true;
            let keep = self.window.len().saturating_sub(stat_size);
            self.window.drain(..keep);
        } else {
            self.drift = false;
        }
    }
}

impl StreamDetector for Kswin {
    fn update(&mut self, x: f64) -> DriftState {
        if !x.is_finite() {
            return DriftState::Stable;
        }
        if self.drift {
            self.restart();
        }
        self.n_seen += 1;
        if self.window.len() == self.params.window_size {
            self.window.pop_front();
        }
        self.window.push_back(x);
        if self.window.len() >= self.params.window_size {
            self.test();
        } else {
            self.drift = false;
        }
        DriftState::from_flags(self.drift, false)
    }

    fn drift_detected(&self) -> bool {
        self.drift
    }

    fn reset(&mut self) {
        *self = Kswin::fresh(self.params);
    }

    fn n_seen(&self) -> u64 {
        self.n_seen
    }

    fn name(&self) -> &'static str {
        "KSWIN"
    }
}

/// A fresh seed when the user gave none (River's `random.Random(None)`).
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    hasher.finish()
}

/// `n * D` for two samples of equal size `n`: the largest gap between the counts of
/// values `<= t` in each, over all `t` (sorts both samples).
fn ks_distance_count(a: &mut [f64], b: &mut [f64]) -> usize {
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    let (mut i, mut j, mut best) = (0usize, 0usize, 0usize);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        let t = if x <= y { x } else { y };
        while a.get(i).is_some_and(|&v| v <= t) {
            i += 1;
        }
        while b.get(j).is_some_and(|&v| v <= t) {
            j += 1;
        }
        best = best.max(i.abs_diff(j));
    }
    best
}

/// scipy's exact two-sided p-value `P(D_{n,n} >= h / n)` (`_compute_prob_outside_square`),
/// with the same Horner-like evaluation, hence the same rounding, clipped to [0, 1].
fn ks_exact_equal_n(n: usize, h: usize) -> f64 {
    if h == 0 {
        return 1.0;
    }
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0_f64;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0_f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    (2.0 * p).clamp(0.0, 1.0)
}

const MT_N: usize = 624;
const MT_M: usize = 397;

/// Python's `random.Random`: MT19937 seeded from an integer as CPython seeds it, with
/// `getrandbits` and the `sample` algorithm of CPython 3.11.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PyRandom {
    mt: Vec<u32>,
    index: usize,
}

impl PyRandom {
    fn new(seed: u64) -> Self {
        // CPython: the key is the absolute value of the seed in 32-bit words, least
        // significant first ([0] for 0).
        let lo = (seed & 0xffff_ffff) as u32;
        let hi = (seed >> 32) as u32;
        let key: Vec<u32> = if hi == 0 { vec![lo] } else { vec![lo, hi] };
        let mut rng = PyRandom {
            mt: vec![0; MT_N],
            index: MT_N,
        };
        rng.init_by_array(&key);
        rng
    }

    fn init_genrand(&mut self, s: u32) {
        let mut prev = s;
        for (i, slot) in self.mt.iter_mut().enumerate() {
            if i == 0 {
                *slot = s;
            } else {
                prev = 1_812_433_253u32
                    .wrapping_mul(prev ^ (prev >> 30))
                    .wrapping_add(i as u32);
                *slot = prev;
            }
        }
        self.index = MT_N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let mt = &mut self.mt;
        let (mut i, mut j) = (1usize, 0usize);
        let len = key.len().max(1);
        for _ in 0..MT_N.max(len) {
            let prev = mt.get(i - 1).copied().unwrap_or(0);
            let k = key.get(j).copied().unwrap_or(0);
            if let Some(slot) = mt.get_mut(i) {
                *slot = (*slot ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                    .wrapping_add(k)
                    .wrapping_add(j as u32);
            }
            i += 1;
            j += 1;
            if i >= MT_N {
                let last = mt.get(MT_N - 1).copied().unwrap_or(0);
                if let Some(first) = mt.first_mut() {
                    *first = last;
                }
                i = 1;
            }
            if j >= len {
                j = 0;
            }
        }
        for _ in 0..MT_N - 1 {
            let prev = mt.get(i - 1).copied().unwrap_or(0);
            if let Some(slot) = mt.get_mut(i) {
                *slot = (*slot ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            }
            i += 1;
            if i >= MT_N {
                let last = mt.get(MT_N - 1).copied().unwrap_or(0);
                if let Some(first) = mt.first_mut() {
                    *first = last;
                }
                i = 1;
            }
        }
        if let Some(first) = mt.first_mut() {
            *first = 0x8000_0000;
        }
        self.index = MT_N;
    }

    fn twist(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        let mt = &mut self.mt;
        for kk in 0..MT_N {
            let cur = mt.get(kk).copied().unwrap_or(0);
            let next = mt.get((kk + 1) % MT_N).copied().unwrap_or(0);
            let far = mt.get((kk + MT_M) % MT_N).copied().unwrap_or(0);
            let y = (cur & UPPER) | (next & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            if let Some(slot) = mt.get_mut(kk) {
                *slot = far ^ (y >> 1) ^ mag;
            }
        }
        self.index = 0;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= MT_N {
            self.twist();
        }
        let mut y = self.mt.get(self.index).copied().unwrap_or(0);
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `getrandbits(k)` for `1 <= k <= 32`.
    fn getrandbits(&mut self, k: u32) -> u32 {
        self.next_u32() >> (32 - k)
    }

    /// `_randbelow(n)` for `1 <= n < 2^32`.
    fn randbelow(&mut self, n: usize) -> usize {
        let k = usize::BITS - n.leading_zeros();
        let k = k.clamp(1, 32);
        loop {
            let r = self.getrandbits(k) as usize;
            if r < n {
                return r;
            }
        }
    }

    /// `sample(range(n), k)`: calls `emit` with each drawn index, in Python's order.
    fn sample_indices(&mut self, n: usize, k: usize, pool: &mut Vec<usize>, mut emit: impl FnMut(usize)) {
        let mut setsize = 21usize;
        if k > 5 {
            let exponent = ((k * 3) as f64).ln() / 4f64.ln();
            setsize += 4usize.saturating_pow(exponent.ceil() as u32);
        }
        if n <= setsize {
            pool.clear();
            pool.extend(0..n);
            for i in 0..k {
                let j = self.randbelow(n - i);
                let picked = pool.get(j).copied().unwrap_or(0);
                emit(picked);
                let last = pool.get(n - i - 1).copied().unwrap_or(0);
                if let Some(slot) = pool.get_mut(j) {
                    *slot = last;
                }
            }
        } else {
            let mut selected = std::collections::HashSet::with_capacity(k);
            for _ in 0..k {
                let mut j = self.randbelow(n);
                while selected.contains(&j) {
                    j = self.randbelow(n);
                }
                selected.insert(j);
                emit(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mersenne_twister_matches_python() {
        // random.Random(42).getrandbits(32) x3 and random.Random(2**40 + 7).getrandbits(32)
        let mut rng = PyRandom::new(42);
        let got: Vec<u32> = (0..3).map(|_| rng.getrandbits(32)).collect();
        assert_eq!(got, vec![2_746_317_213, 478_163_327, 107_420_369]);
        let mut rng = PyRandom::new((1u64 << 40) + 7);
        assert_eq!(rng.getrandbits(32), PY_BIG_SEED_FIRST);
    }

    // random.Random(2**40 + 7).getrandbits(32)
    const PY_BIG_SEED_FIRST: u32 = 2_635_837_658;

    #[test]
    fn ks_exact_matches_scipy() {
        // scipy.stats.ks_2samp exact p-values for n = 30.
        assert_eq!(ks_exact_equal_n(30, 0), 1.0);
        // ks_2samp(np.arange(30.), np.arange(30.) + 10).pvalue
        assert_eq!(ks_exact_equal_n(30, 10), 0.07088798787114439);
    }
}
