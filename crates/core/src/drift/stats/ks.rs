//! The two-sample Kolmogorov-Smirnov test and the Kolmogorov distribution, as scipy
//! computes them.
//!
//! # Statistic
//!
//! For two samples with empirical CDFs `F_ref` and `F_cur`,
//!
//! ```text
//! D = sup_x |F_ref(x) - F_cur(x)|
//! ```
//!
//! taken over the pooled distinct values (the sup is reached at one of them). Each
//! [`Sample`] value counts with its weight, so ties of an exact sample count with their
//! multiplicity, as in `scipy.stats.ks_2samp` on the raw arrays, and a sketched sample
//! counts each retained item with its KLL weight.
//!
//! # p-value (two-sided), as `scipy.stats.ks_2samp(alternative="two-sided")`
//!
//! - **exact** (`method="exact"`, [`PValueKind::Exact`]): `D` is first put on the lattice
//!   of attainable values, `h = round(D * lcm(n1, n2))`, `D = h / lcm` (so the returned
//!   statistic is the lattice value, as scipy returns it), then
//!   `P(D_{n1,n2} >= h/lcm)` is the share of the monotone lattice paths from `(0, 0)` to
//!   `(n1, n2)` that leave the band `|x/n1 - y/n2| < h/lcm` (Hodges 1958). For `n1 == n2`
//!   it is the alternating reflection series `2 Σ_k (-1)^(k-1) C(2n, n-kh) / C(2n, n)`
//!   evaluated in nested (Horner) form; otherwise a column-by-column recursion on the
//!   probability of having left the band (Viehmann 2021, arXiv:2102.08037), which stays
//!   in `[0, 1]` and never overflows.
//! - **asymptotic** ([`PValueKind::Asymptotic`]): `kstwo.sf(D, round(en))` with
//!   `en = n1 n2 / (n1 + n2)` (rounded half to even, as numpy does): the exact finite-`n`
//!   one-sample Kolmogorov distribution ([`kolmogorov_sf`]) at the effective size.
//! - [`PMethod::Auto`] is exact when `max(n1, n2) <= 10000` (scipy's `MAX_AUTO_N`) and
//!   asymptotic otherwise. [`PMethod::Exact`] on samples whose `n1 n2 / gcd(n1, n2)²` reaches
//!   `2^31 - 1` falls back to the asymptotic p-value, as scipy does (scipy also warns);
//!   so does an exact computation whose result leaves `[0, 1]` through rounding, and then
//!   the lattice-rounded `D` is kept, again as scipy.
//!
//! # One-sample Kolmogorov distribution
//!
//! [`kolmogorov_sf`] is `P(D_n >= d)` for the one-sample statistic with `n`
//! observations (`scipy.stats.kstwo.sf(d, n)`), chosen per Simard & L'Ecuyer (2011) as
//! scipy's `_kolmogn` does: Ruben-Gambino closed forms for `n d <= 1` and
//! `n d >= n - 1`; `2 * smirnov(n, d)` (the one-sided Birnbaum-Tingey sum, exact for
//! `d >= 1/2`) in the upper tail; the Durbin matrix (Marsaglia-Tsang-Wang) for small
//! `n d²`; Pomeranz's recursion for `n <= 140`; the Pelz-Good expansion for large `n`.
//! [`kolmogorov_limit_sf`] is the limiting `P(sqrt(n) D_n >= x)` as `n -> ∞`
//! (`scipy.special.kolmogorov`).
//!
//! # Sketched samples
//!
//! When either sample is not exact ([`Sample::is_exact`] is `false`: a compacted KLL
//! sketch), the exact null distribution does not apply: the statistic is within the
//! sketch's rank error of the exact one and the p-value is always the asymptotic one,
//! with `n1`, `n2` = [`Sample::n`] (the number of values the sketch saw), whatever the
//! requested [`PMethod`].
//!
//! # Parity
//!
//! Checked in `tests/rust/drift_ks.rs` against scipy 1.17 (`ks_2samp`, `kstwo.sf`,
//! `scipy.special.kolmogorov`): statistics to 1e-12, p-values to a relative 1e-9.

use super::{PMethod, PValueKind, TestResult};
use crate::drift::Sample;
use crate::error::{Error, Result};

/// scipy's `MAX_AUTO_N`: [`PMethod::Auto`] is exact when both sizes are at most this.
const MAX_AUTO_N: u64 = 10_000;

/// The two-sided two-sample Kolmogorov-Smirnov test of `reference` against `current`,
/// as `scipy.stats.ks_2samp(reference, current, alternative="two-sided", method=...)`.
///
/// **Statistic**: `D = sup_x |F_ref(x) - F_cur(x)|` over the pooled distinct values,
/// each value counting with its weight (the multiplicity of ties for an exact sample,
/// the KLL weight for a sketched one).
///
/// **p-value** `P(D_{n1,n2} >= D)` under the null of one common continuous distribution:
///
/// - *exact* ([`PValueKind::Exact`]): `D` is put on the lattice of attainable values,
///   `h = round(D * lcm(n1, n2))`, and the returned statistic is `h / lcm` (scipy
///   returns that lattice value too; it equals `D` up to rounding). The p-value is the
///   share of monotone lattice paths from `(0, 0)` to `(n1, n2)` that leave the band
///   `|x/n1 - y/n2| < h/lcm` (Hodges 1958): for `n1 == n2` the reflection series
///   `2 Σ_k (-1)^(k-1) C(2n, n-kh) / C(2n, n)` in nested form, otherwise a recursion on
///   the probability of having left the band (Viehmann 2021), both free of overflow.
/// - *asymptotic* ([`PValueKind::Asymptotic`]): [`kolmogorov_sf`]`(D, round(en))` with
///   `en = n1 n2 / (n1 + n2)` rounded half to even (scipy's `kstwo.sf(D, np.round(en))`).
///   One deviation: for `n1 = n2 = 1` (`en = 0.5`, which rounds to 0 and makes scipy
///   return NaN) the size 1 is used.
/// - [`PMethod::Auto`] is exact when `max(n1, n2) <= 10000` (scipy's `MAX_AUTO_N`),
///   asymptotic above. [`PMethod::Exact`] is honoured while
///   `n1 n2 / gcd(n1, n2)²` stays below `2^31 - 1`, and falls back to the asymptotic
///   p-value beyond (scipy warns and does the same), or if the exact result
///   left `[0, 1]` through rounding (then with the lattice `D`, as scipy).
///
/// **Sketched samples**: when either side is not exact ([`Sample::is_exact`] is
/// `false`), the exact null distribution does not apply; the p-value is always the
/// asymptotic one with `n1`, `n2` = [`Sample::n`] (the number of values each sketch
/// saw), whatever `method` asks, and the statistic is within the sketches' rank error
/// of the exact one.
///
/// Checked against scipy 1.17 (`tests/rust/drift_ks.rs`): statistics to 1e-12,
/// p-values to a relative 1e-9.
///
/// # Errors
///
/// [`Error::EmptyInput`] if either sample has no observation.
///
/// # Examples
///
/// scipy's test case (`TestKSTwoSamples.test100_110`):
/// `ks_2samp(linspace(1, 100, 100), linspace(1, 100, 110) + 20.1)` has `D = 232/1100`
/// and `p = 0.015739183865607353`.
///
/// ```
/// use ferrops::drift::stats::{ks_2samp, PMethod, PValueKind};
/// use ferrops::drift::Sample;
///
/// let linspace = |a: f64, b: f64, n: usize| -> Vec<f64> {
///     (0..n).map(|i| a + (b - a) * i as f64 / (n - 1) as f64).collect()
/// };
/// let reference = Sample::from_values(&linspace(1.0, 100.0, 100))?;
/// let shifted: Vec<f64> = linspace(1.0, 100.0, 110).iter().map(|v| v + 20.1).collect();
/// let current = Sample::from_values(&shifted)?;
///
/// let result = ks_2samp(&reference, &current, PMethod::Auto)?;
/// assert!((result.statistic - 232.0 / 1100.0).abs() < 1e-12);
/// assert!((result.p_value - 0.015739183865607353).abs() < 1e-12);
/// assert_eq!(result.method, PValueKind::Exact);
/// # Ok::<(), ferrops::Error>(())
/// ```
pub fn ks_2samp(reference: &Sample, current: &Sample, method: PMethod) -> Result<TestResult> {
    check_not_empty(reference, "reference")?;
    check_not_empty(current, "current")?;
    let d = ks_statistic(reference, current);
    let n1 = reference.n();
    let n2 = current.n();

    let exact_allowed = reference.is_exact() && current.is_exact();
    let g = gcd(n1, n2);
    let (n1g, n2g) = (n1 / g, n2 / g);
    let try_exact = exact_allowed
        && match method {
            PMethod::Auto => n1.max(n2) <= MAX_AUTO_N,
            // scipy: `n1g >= np.iinfo(np.int32).max / n2g` switches to 'asymp'.
            PMethod::Exact => (n1g as f64) < f64::from(i32::MAX) / n2g as f64,
            PMethod::Asymptotic => false,
        };

    let mut statistic = d;
    if try_exact {
        let lcm = n1g * n2;
        let h = (d * lcm as f64).round_ties_even();
        // `h <= lcm < 2^31` here, so the cast is exact.
        let h = h.max(0.0) as u64;
        statistic = h as f64 / lcm as f64;
        let p = if h == 0 {
            Some(1.0)
        } else if n1 == n2 {
            Some(prob_outside_square(n1, h))
        } else {
            prob_outside_band(n1, n2, g, h)
        };
        if let Some(p) = p.filter(|p| (0.0..=1.0).contains(p)) {
            return Ok(TestResult {
                statistic,
                p_value: p,
                method: PValueKind::Exact,
            });
        }
    }
    // scipy: m, n = sorted([float(n1), float(n2)], reverse=True); en = m*n/(m+n).
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = m * n / (m + n);
    let n_eff = en.round_ties_even().max(1.0) as u64;
    let p = kolmogorov_sf(statistic, n_eff);
    Ok(TestResult {
        statistic,
        p_value: p.clamp(0.0, 1.0),
        method: PValueKind::Asymptotic,
    })
}

fn check_not_empty(sample: &Sample, side: &str) -> Result<()> {
    let total: f64 = sample.weights().iter().sum();
    if sample.is_empty() || sample.values().is_empty() || !total.is_finite() || total <= 0.0 {
        return Err(Error::EmptyInput {
            context: format!(
                "ks_2samp: the {side} sample has no observation; pass at least one finite value on each side"
            ),
        });
    }
    Ok(())
}

/// `D = max |F_a - F_b|` over the pooled distinct values, computed as scipy does
/// (`cdf = count / n`, then the larger of `max(cdf1 - cdf2)` and `max(cdf2 - cdf1)`).
fn ks_statistic(a: &Sample, b: &Sample) -> f64 {
    let (va, wa) = (a.values(), a.weights());
    let (vb, wb) = (b.values(), b.weights());
    let total_a: f64 = wa.iter().sum();
    let total_b: f64 = wb.iter().sum();
    let (mut i, mut j) = (0usize, 0usize);
    let (mut ca, mut cb) = (0.0f64, 0.0f64);
    let mut max_diff = f64::NEG_INFINITY;
    let mut min_diff = f64::INFINITY;
    loop {
        let x = match (va.get(i), vb.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while let (Some(&v), Some(&w)) = (va.get(i), wa.get(i)) {
            if v > x {
                break;
            }
            ca += w;
            i += 1;
        }
        while let (Some(&v), Some(&w)) = (vb.get(j), wb.get(j)) {
            if v > x {
                break;
            }
            cb += w;
            j += 1;
        }
        let diff = ca / total_a - cb / total_b;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    }
    let min_s = (-min_diff).clamp(0.0, 1.0);
    if min_s > max_diff {
        min_s
    } else {
        max_diff.max(0.0)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `P(D_{n,n} >= h/n)` for two samples of equal size `n` (`1 <= h <= n`).
///
/// `2 Σ_{k>=1} (-1)^(k-1) C(2n, n-kh) / C(2n, n)`, written as
/// `2 A_1 (1 - A_2 (1 - A_3 (...)))` with `A_k = C(2n, n-kh) / C(2n, n-(k-1)h)`, a
/// product of `h` ratios each, to avoid the cancellation of the alternating sum.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0f64;
    let mut k = n / h;
    while k >= 0 {
        let mut a = 1.0f64;
        for j in 0..h {
            a = (n - k * h - j) as f64 * a / (n + k * h + j + 1) as f64;
        }
        p = a * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// `P(D_{m,n} >= h/lcm(m, n))` for unequal sizes: the share of the monotone lattice
/// paths from `(0, 0)` to `(m, n)` that touch `|x n/g - y m/g| >= h`.
///
/// The recursion carries, for each cell `(i, j)` of the current column, the probability
/// that a uniformly random path to it has already left the band: cells outside the band
/// hold 1 and an inside cell is the average `(i A(i-1, j) + j A(i, j-1)) / (i + j)` of
/// its two predecessors. Only the window of inside cells of one column is kept.
/// `None` when the arithmetic fails (it cannot in practice: every entry is in `[0, 1]`).
fn prob_outside_band(m: u64, n: u64, g: u64, h: u64) -> Option<f64> {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let mg = m / g;
    let ng = n / g;
    let floor_div = |a: i64, b: i64| a.div_euclid(b);
    let ceil_div = |a: i64, b: i64| -((-a).div_euclid(b));

    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len = (2 * maxj + 2).min(n + 1).max(1) as usize;
    let mut a = vec![1.0f64; len];
    for cell in a.iter_mut().take(maxj.max(0) as usize) {
        *cell = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return Some(1.0);
        }
        let shift = (minj - lastminj) as usize;
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) as usize {
            let j = (jj as i64 + minj) as f64;
            // Cells beyond the previous window lie above the band: already outside.
            let left = a.get(jj + shift).copied().unwrap_or(1.0);
            val = (left * fi + val * j) / (fi + j);
            if let Some(cell) = a.get_mut(jj) {
                *cell = val;
            }
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let end = (lastlen as usize).min(a.len());
            for cell in a.iter_mut().take(end).skip(curlen as usize) {
                *cell = 1.0;
            }
        }
    }
    a.get((maxj - minj - 1).max(0) as usize).copied()
}

// ---------------------------------------------------------------------------------
// The one-sample Kolmogorov distribution.
// ---------------------------------------------------------------------------------

const E128: i32 = 128;
/// 2^128 and 2^-128: rescaling steps that keep intermediate products in range.
const EP128: f64 = 3.402_823_669_209_385e38;
const EM128: f64 = 2.938_735_877_055_719e-39;
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
const LN_2PI: f64 = 1.837_877_066_409_345_5;
const PI2: f64 = std::f64::consts::PI * std::f64::consts::PI;
const PI4: f64 = PI2 * PI2;
const PI6: f64 = PI4 * PI2;
/// cephes `MINLOG`: `exp` of anything below underflows.
const MINLOG: f64 = -7.083_964_185_322_641e2;

/// `P(D_n >= d)`: the survival function of the two-sided one-sample
/// Kolmogorov-Smirnov statistic `D_n = sup |F_n - F|` for `n` observations, i.e.
/// `scipy.stats.kstwo.sf(d, n)` (scipy's `_kolmogn` with `cdf=False`).
///
/// The computation is chosen per Simard & L'Ecuyer (2011) from `n` and `n d²`, with
/// scipy's cut-offs:
///
/// - `n d <= 1` or `n d >= n - 1`: Ruben-Gambino closed forms;
/// - `d >= 1/2`: exactly `2 P(D_n+ >= d)`, the one-sided Smirnov tail (Birnbaum-Tingey
///   sum of positive terms, evaluated in logarithms);
/// - `n <= 140`: the Durbin matrix (Marsaglia-Tsang-Wang) for `n d² <= 0.754693`,
///   Pomeranz's recursion up to `n d² <= 4`, `2 P(D_n+ >= d)` above;
/// - `n > 140`: 0 for `n d² >= 370`, `2 P(D_n+ >= d)` for `n d² >= 2.2`, else
///   `1 - CDF` with the Durbin matrix when `n <= 100000` and `n d^1.5 <= 1.4`, the
///   Pelz-Good expansion otherwise. For `n > 10^6` the one-sided tail is scipy's
///   approximation `exp(-(6nd + 1)² / (18n))`.
///
/// Returns 1 for `d <= 1/(2n)`, 0 for `d >= 1`, and NaN for `n == 0` or a NaN `d`.
/// Matches `kstwo.sf` to a relative 1e-11 over a grid of `n` from 1 to 2·10^6 and
/// p-values down to 1e-300 (`tests/rust/drift_ks.rs`).
///
/// ```
/// use ferrops::drift::stats::kolmogorov_sf;
///
/// // One observation: D_1 = max(U, 1 - U) >= d with probability 2 (1 - d).
/// assert!((kolmogorov_sf(0.75, 1) - 0.5).abs() < 1e-15);
/// assert_eq!(kolmogorov_sf(1.0, 10), 0.0);
/// ```
pub fn kolmogorov_sf(d: f64, n: u64) -> f64 {
    if d.is_nan() || n == 0 {
        return f64::NAN;
    }
    let nf = n as f64;
    if d >= 1.0 {
        return 0.0;
    }
    if d <= 0.0 {
        return 1.0;
    }
    let t = nf * d;
    if t <= 1.0 {
        // Ruben-Gambino: P(D_n <= d) = n!/n^n (2t - 1)^n for 1/(2n) <= d <= 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            let c = 2.0 * t - 1.0;
            let r = 1.0 / nf;
            (1..=n).fold(1.0, |acc, i| acc * (i as f64 * r * c))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip(1.0 - cdf);
    }
    if t >= nf - 1.0 {
        // Ruben-Gambino: P(D_n >= d) = 2 (1 - d)^n for d >= 1 - 1/n.
        return clip(2.0 * (1.0 - d).powf(nf));
    }
    if d >= 0.5 {
        // D_n+ >= d and D_n- >= d cannot both hold: exactly twice the one-sided tail.
        return clip(2.0 * smirnov_sf(n, d));
    }
    let nxsquared = t * d;
    if n <= 140 {
        let cdf = if nxsquared <= 0.754693 {
            durbin_matrix_cdf(n, d)
        } else if nxsquared <= 4.0 {
            pomeranz_cdf(n, d)
        } else {
            return clip(2.0 * smirnov_sf(n, d));
        };
        return clip(1.0 - cdf);
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip(2.0 * smirnov_sf(n, d));
    }
    let cdf = if nxsquared >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * d.powf(1.5) <= 1.4 {
        durbin_matrix_cdf(n, d)
    } else {
        pelz_good_cdf(n, d)
    };
    clip(1.0 - cdf)
}

/// The limiting Kolmogorov survival function
/// `K(x) = 2 Σ_{k>=1} (-1)^(k-1) exp(-2 k² x²)`, the limit of `P(sqrt(n) D_n >= x)`,
/// i.e. `scipy.special.kolmogorov(x)`.
///
/// For `x <= 0.82` it is evaluated as `1 - CDF` with the Jacobi-theta form of the CDF,
/// `sqrt(2π)/x Σ_{k>=1} exp(-(2k-1)² π² / (8x²))`; above, with the alternating series
/// directly (both truncated where further terms are below double precision, as xsf
/// does). 1 for `x <= 0`, NaN for NaN.
///
/// ```
/// use ferrops::drift::stats::kolmogorov_limit_sf;
///
/// // scipy.special.kolmogorov(1.0)
/// assert!((kolmogorov_limit_sf(1.0) - 0.26999967167735456).abs() < 1e-15);
/// ```
pub fn kolmogorov_limit_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    // Below pi / sqrt(8 * 746) every term of the CDF series underflows.
    if x <= std::f64::consts::PI / (8.0f64 * 746.0).sqrt() {
        return 1.0;
    }
    let sf = if x <= 0.82 {
        let w = SQRT_2PI / x;
        let logu8 = -PI2 / (x * x);
        let u = (logu8 / 8.0).exp();
        let cdf = if u == 0.0 {
            (logu8 / 8.0 + w.ln()).exp()
        } else {
            // w u (1 + u^8 + u^24 + u^48): terms of higher order are below 1e-16.
            let u8 = logu8.exp();
            let u8cub = u8.powi(3);
            let mut p = 1.0 + u8cub;
            p = 1.0 + u8 * u8 * p;
            p = 1.0 + u8 * p;
            w * u * p
        };
        1.0 - cdf
    } else {
        // 2 v (1 - v^3 (1 - v^5 (1 - v^7))), v = exp(-2 x^2).
        let v = (-2.0 * x * x).exp();
        let vsq = v * v;
        let v3 = v.powi(3);
        let mut p = 1.0 - v3 * v3 * v;
        p = 1.0 - v3 * vsq * p;
        p = 1.0 - v3 * p;
        2.0 * v * p
    };
    clip(sf)
}

fn clip(p: f64) -> f64 {
    if p.is_nan() {
        p
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// `x * 2^e` without overflow or underflow of the scale factor itself.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    const STEP: i64 = 1000;
    while e > STEP {
        x *= 2f64.powi(STEP as i32);
        e -= STEP;
    }
    while e < -STEP {
        x *= 2f64.powi(-(STEP as i32));
        e += STEP;
    }
    x * 2f64.powi(e as i32)
}

/// `ln(n! / n^n)` by Stirling's series with `n ln n` removed up front.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    // B_{2j} / (2j (2j - 1)) for j = 8, ..., 1 (Horner order).
    const STIRLING: [f64; 8] = [
        -2.955_065_359_477_124e-2,
        6.410_256_410_256_41e-3,
        -1.917_526_917_526_917_5e-3,
        8.417_508_417_508_417e-4,
        -5.952_380_952_380_952e-4,
        7.936_507_936_507_937e-4,
        -2.777_777_777_777_778e-3,
        8.333_333_333_333_333e-2,
    ];
    let rn = 1.0 / n;
    let y = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * y + c);
    n.ln() / 2.0 - n + LN_2PI / 2.0 + rn * poly
}

/// `P(D_n <= d)` by Durbin's matrix formula in the Marsaglia-Tsang-Wang form: with
/// `d = (k - h)/n`, `0 <= h < 1`, the probability is `n!/n^n` times the `(k, k)` entry
/// of `H^n` for an `(2k-1)²` matrix `H`; the power is taken by squaring with rescaling.
fn durbin_matrix_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    // v[j] = (1 - h^(j+1)) / (j+1)!, except the last; w[j] = 1/j!.
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0f64; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;

    // H[r][c]: w[r - c + 1] on and below the superdiagonal, first column v, last row
    // v reversed.
    let mut hm = vec![0.0f64; m * m];
    for c in 1..m {
        for r in (c - 1)..m {
            hm[r * m + c] = w[r + 1 - c];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }

    let matmul = |a: &[f64], b: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0f64; m * m];
        for r in 0..m {
            for t in 0..m {
                let x = a[r * m + t];
                if x != 0.0 {
                    for c in 0..m {
                        out[r * m + c] += x * b[t * m + c];
                    }
                }
            }
        }
        out
    };

    let mut pw = vec![0.0f64; m * m];
    for r in 0..m {
        pw[r * m + r] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut h_expnt: i64 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            pw = matmul(&pw, &hm);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm);
        h_expnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            for x in hm.iter_mut() {
                *x /= EP128;
            }
            h_expnt += i64::from(E128);
        }
        nn /= 2;
    }
    let mut p = pw[(k - 1) * m + (k - 1)];
    // Multiply by n!/n^n.
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= i64::from(E128);
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    clip(p)
}

/// The interval of non-zero entries of row `i` in Pomeranz's recursion.
fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let half = (i + 1) / 2;
        if (i + 1) % 2 == 0 {
            if half == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n <= d)` by Pomeranz's (1974) recursion: `2n + 1` rows, each the convolution
/// of the previous one with a truncated Poisson weight sequence; `n!` times the last
/// entry of the last row. Rows are rescaled by powers of two to avoid underflow.
fn pomeranz_cdf(n: u64, d: f64) -> f64 {
    let ni = n as i64;
    let nf = n as f64;
    let t = nf * d;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![1.0f64; npwrs];
    let mut twogpower = vec![1.0f64; npwrs];
    let mut onem2gpower = vec![1.0f64; npwrs];
    let (g_n, two_g_n, one_m2g_n) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for k in 1..npwrs {
        let kf = k as f64;
        gpower[k] = gpower[k - 1] * g_n / kf;
        twogpower[k] = twogpower[k - 1] * two_g_n / kf;
        onem2gpower[k] = onem2gpower[k - 1] * one_m2g_n / kf;
    }

    let mut v0 = vec![0.0f64; npwrs];
    let mut v1 = vec![0.0f64; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt: i64 = 0;
    let (mut j1, _) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.fill(0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let base = k1 - v0s;
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            // conv[c] = Σ_s V0[base + s] pwrs[c - s], for c in conv_start..+conv_len.
            for (out, c) in v1.iter_mut().zip(conv_start..conv_start + conv_len) {
                let mut acc = 0.0;
                for s in 0..=c.min(ln2 - 1) {
                    let a = usize::try_from(base + s).ok().and_then(|ix| v0.get(ix)).copied();
                    let b = usize::try_from(c - s).ok().and_then(|ix| pwrs.get(ix)).copied();
                    if let (Some(a), Some(b)) = (a, b) {
                        if c - s < ln2 {
                            acc += a * b;
                        }
                    }
                }
                *out = acc;
            }
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if vmax > 0.0 && vmax < EM128 {
                for x in v1.iter_mut() {
                    *x *= EP128;
                }
                expnt -= i64::from(E128);
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = usize::try_from(ni - v1s)
        .ok()
        .and_then(|ix| v1.get(ix))
        .copied()
        .unwrap_or(0.0);
    for k in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += i64::from(E128);
        }
        ans *= k as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    clip(ans)
}

/// `P(D_n <= d)` by the Pelz-Good (1976) expansion: the Li-Chien/Korolyuk series
/// `K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5`, `z = d sqrt(n)`, with each term
/// in its Jacobi-theta form suited to small `z`.
fn pelz_good_cdf(n: u64, d: f64) -> f64 {
    if d <= 0.0 {
        return 0.0;
    }
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * d;
    let z2 = z * z;
    let z4 = z2 * z2;
    let z6 = z4 * z2;
    let qlog = -PI2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();

    let k1a = -z2;
    let k1b = PI2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * PI2 / 4.0;
    let k2c = PI4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = PI6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = PI4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = PI2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z4 * z4;

    // Horner in q^8 over the odd integers m = 2k - 1: Σ c(m) q^(m²).
    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / std::f64::consts::PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = (2 * k - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf(8.0 * k as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (acc, c) in kk.iter_mut().zip(coeffs) {
            *acc = *acc * qpower + c;
        }
    }
    let denominators = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (acc, den) in kk.iter_mut().zip(denominators) {
        *acc = *acc * q * SQRT_2PI / den;
    }

    // The remaining sums over all integers k, with q = exp(-pi^2 / (2 z^2)).
    let q = (-PI2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for k in (1..=maxk).rev() {
        let kf = k as f64;
        let k2 = kf * kf;
        let qp = q.powf(k2);
        let kspi = std::f64::consts::PI * kf;
        k2extra += k2 * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qp;
    }
    kk[2] += k2extra * PI2 * SQRT_2PI / (-36.0 * z2 * z);
    kk[3] += k3extra * PI2 * SQRT_2PI / (216.0 * z6);
    let powers = [1.0, nf.sqrt(), nf, nf.powf(1.5)];
    kk.iter().zip(powers).map(|(k, p)| k / p).sum()
}

/// `P(D_n+ >= d)` for the one-sided statistic (`scipy.special.smirnov(n, d)`), by the
/// Birnbaum-Tingey sum
/// `d Σ_{v=0}^{⌊n(1-d)⌋} C(n, v) (d + v/n)^(v-1) (1 - d - v/n)^(n-v)`
/// (terms all positive), each term in logarithms so that neither the binomial nor the
/// powers overflow; `n d` is split exactly into integer and fractional parts so that
/// `1 - d - v/n` keeps full relative precision. For `n > 10^6` the approximation
/// `exp(-(6nd + 1)² / (18n))` scipy uses there.
fn smirnov_sf(n: u64, d: f64) -> f64 {
    if !(0.0..=1.0).contains(&d) || n == 0 {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - d;
    }
    if d == 0.0 {
        return 1.0;
    }
    if d == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    // n d = nxfl + alpha exactly (the product's rounding error comes from an FMA).
    let hi = nf * d;
    let lo = nf.mul_add(d, -hi);
    let mut nxfl = hi.floor();
    let mut alpha = (hi - nxfl) + lo;
    if alpha < 0.0 {
        nxfl -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        nxfl += 1.0;
        alpha = 0.0;
    }
    let nxfl_i = nxfl as i64;
    let ni = n as i64;
    if nxfl_i == 0 || (nxfl_i == 1 && alpha == 0.0) {
        // d <= 1/n: P(D+ < d) = d (1 + d)^(n-1).
        let cdf = d * ((nf - 1.0) * d.ln_1p()).exp();
        return clip(1.0 - cdf);
    }
    if -2.0 * nf * d * d < MINLOG {
        return 0.0;
    }
    if nxfl_i >= ni - 1 {
        return clip((nf * (-d).ln_1p()).exp());
    }
    if n > 1_000_000 {
        let logp = -(6.0 * nf * d + 1.0).powi(2) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 - (-logp.exp_m1())
        };
    }
    // Largest v with 1 - d - v/n > 0 (the term at 1 - d - v/n = 0 vanishes).
    let last = ni - nxfl_i - 1;
    let ln_d = d.ln();
    let mut ln_binom = 0.0f64; // ln C(n, v), summed with compensation
    let mut ln_binom_c = 0.0f64;
    let mut top = f64::NEG_INFINITY; // running sum = scaled * exp(top)
    let mut scaled = 0.0f64;
    let eps_ln = f64::EPSILON.ln();
    for v in 0..=last {
        let vf = v as f64;
        if v > 0 {
            let r = ((nf - vf + 1.0) / vf).ln();
            let y = r - ln_binom_c;
            let s = ln_binom + y;
            ln_binom_c = (s - ln_binom) - y;
            ln_binom = s;
        }
        // t1 = d + v/n = (v + n d)/n, t2 = 1 - t1 = (n - v - n d)/n.
        let t1 = ((vf + nxfl) + alpha) / nf;
        let ln_t2 = if t1 < 0.5 {
            (-t1).ln_1p()
        } else {
            (((nf - vf - nxfl) - alpha) / nf).ln()
        };
        let term = if v == 0 {
            nf * ln_t2
        } else {
            ln_binom + (nf - vf) * ln_t2 + (vf - 1.0) * t1.ln() + ln_d
        };
        if term > top {
            scaled = scaled * (top - term).exp() + 1.0;
            top = term;
        } else {
            scaled += (term - top).exp();
        }
        // Stop once the remaining terms cannot reach the last bit (scipy's rule).
        if v < last && v > 0 {
            let remaining = ((last - v + 1) as f64 * 4.0).ln();
            if remaining + term < eps_ln + top + scaled.ln() {
                break;
            }
        }
    }
    clip(scaled * top.exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_observation_closed_forms() {
        // D_1 = max(U, 1 - U): P(D_1 >= d) = 2 (1 - d) for d >= 1/2, 1 below.
        assert!((kolmogorov_sf(0.6, 1) - 0.8).abs() < 1e-15);
        assert_eq!(kolmogorov_sf(0.4, 1), 1.0);
        assert_eq!(kolmogorov_sf(0.0, 5), 1.0);
        assert!(kolmogorov_sf(0.5, 0).is_nan());
    }

    #[test]
    fn equal_size_square_matches_path_count() {
        // n = 2, h = 2: paths leaving |x - y| < 2 among C(4, 2) = 6 are the two that go
        // (2, 0) or (0, 2) first.
        assert!((prob_outside_square(2, 2) - 2.0 / 6.0).abs() < 1e-15);
        // h = 1: every path leaves |x - y| < 1.
        assert!((prob_outside_square(3, 1) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn unequal_band_matches_path_count() {
        // m = 2, n = 1, lcm = 2, h = 2 (D = 1): paths (x, x, y) and (y, x, x) out of 3.
        let p = prob_outside_band(2, 1, 1, 2).unwrap();
        assert!((p - 2.0 / 3.0).abs() < 1e-15, "{p}");
    }

    #[test]
    fn limit_tails() {
        assert_eq!(kolmogorov_limit_sf(0.0), 1.0);
        assert!(kolmogorov_limit_sf(10.0) < 1e-80);
        assert!(kolmogorov_limit_sf(f64::NAN).is_nan());
    }
}
