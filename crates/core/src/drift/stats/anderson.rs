//! The k-sample Anderson-Darling test, as `scipy.stats.anderson_ksamp` (midrank
//! variant, tabulated p-value).

use serde::{Deserialize, Serialize};

use crate::drift::Sample;
use crate::error::{Error, Result};

use super::{PValueKind, TestResult};

/// The significance levels of [`AndersonKSamp::critical_values`], as scipy's.
pub const ANDERSON_KSAMP_SIGNIFICANCE_LEVELS: [f64; 7] = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];

// Interpolation coefficients of Table 2 of Scholz & Stephens (1987), as scipy's:
// critical value = B0 + B1/√m + B2/m for m = k − 1.
const B0: [f64; 7] = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1: [f64; 7] = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2: [f64; 7] = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/// Above this many observations the harmonic sums of the normalisation are taken from
/// their asymptotic expansions (exact to double precision there) instead of summed.
const HARMONIC_SUM_MAX: u64 = 100_000;

/// The result of [`anderson_ksamp`], as scipy's `Anderson_ksampResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AndersonKSamp {
    /// The normalised statistic `(A²akN − (k − 1)) / σ_N` (scipy's `statistic`).
    pub statistic: f64,
    /// The critical values of the normalised statistic at
    /// [`significance_levels`](Self::significance_levels).
    pub critical_values: Vec<f64>,
    /// The significance levels of the critical values:
    /// `[0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001]`.
    pub significance_levels: Vec<f64>,
    /// The approximate p-value: `0.25` or `0.001` when [`capped`](Self::capped), else
    /// the fitted value, which stays near `[0.001, 0.25]` (as in scipy, the quadratic
    /// fit can reach slightly beyond at the ends, e.g. `0.2539` or `0.00099`).
    pub p_value: f64,
    /// `true` if the statistic is outside the range of the critical values, so the
    /// p-value is only a bound: `0.25` means `p >= 0.25` and `0.001` means `p <= 0.001`
    /// (scipy warns "p-value capped" / "p-value floored" then).
    pub capped: bool,
}

impl AndersonKSamp {
    /// The statistic and p-value as a [`TestResult`] (kind
    /// [`PValueKind::Interpolated`]).
    ///
    /// # Example
    ///
    /// ```
    /// use ferrops::drift::stats::{anderson_ksamp, PValueKind};
    /// use ferrops::drift::Sample;
    ///
    /// let a = Sample::from_values(&[1.0, 2.0, 3.0, 4.0])?;
    /// let b = Sample::from_values(&[2.0, 3.0, 5.0, 6.0, 7.0])?;
    /// let res = anderson_ksamp(&[&a, &b])?.to_test_result();
    /// assert_eq!(res.method, PValueKind::Interpolated);
    /// # Ok::<(), ferrops::Error>(())
    /// ```
    pub fn to_test_result(&self) -> TestResult {
        TestResult {
            statistic: self.statistic,
            p_value: self.p_value,
            method: PValueKind::Interpolated,
        }
    }
}

/// The k-sample Anderson-Darling test of whether `samples` come from one distribution,
/// as [`scipy.stats.anderson_ksamp(samples)`](https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.anderson_ksamp.html)
/// with its defaults in scipy 1.17: the midrank statistic (`midrank=True`, i.e.
/// `variant="midrank"`) and the p-value interpolated from the table of critical values
/// (`method=None`, no permutation test).
///
/// # Statistic
///
/// With the distinct pooled values `z_1 < … < z_L`, `l_j` the number of pooled
/// observations equal to `z_j`, `f_ij` the number of them in sample `i`, `n_i` the size of
/// sample `i`, `N = Σ n_i`, `B_j = Σ_{s<j} l_s + l_j/2` and
/// `M_ij = Σ_{s<j} f_is + f_ij/2`, the midrank statistic (Scholz & Stephens 1987, eq. 7,
/// `A²akN`) is
///
/// ```text
/// A²akN = (N − 1)/N · Σ_i 1/n_i Σ_j (l_j/N) (N M_ij − n_i B_j)² / (B_j (N − B_j) − N l_j/4)
/// ```
///
/// Counts are read as the weights of the [`Sample`]s, so an exact sample gives scipy's
/// statistic on the raw arrays, and a sketched one (power-of-two weights) the statistic
/// of the sample the sketch stands for, within the sketch's rank error. The statistic is
/// normalised by its null mean `k − 1` and variance `σ²_N` (Scholz & Stephens, eq. 4,
/// with `H = Σ 1/n_i`, `h = Σ_{i<N} 1/i`, `g = Σ_{i<N} 1/i² − 2h/N`):
/// `statistic = (A²akN − (k − 1))/σ_N`.
///
/// # p-value
///
/// The critical values at the levels `[0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001]` are
/// `b0 + b1/√m + b2/m` with `m = k − 1` (Table 2 of Scholz & Stephens). As scipy, the
/// p-value is `exp` of the least-squares quadratic in the statistic fitted to
/// `ln(level)` against the critical values; below the smallest critical value it is
/// `0.25`, above the largest `0.001`, and [`AndersonKSamp::capped`] is `true`.
/// Agreement with scipy: statistic and critical values to `1e-12` relative, p-value to
/// about `1e-12` relative (the quadratic fit is solved by QR instead of numpy's SVD).
///
/// # Errors
///
/// - [`Error::InvalidParameter`] for fewer than two samples.
/// - [`Error::EmptyInput`] if a sample is empty.
/// - [`Error::InvalidData`] if all observations are equal (scipy raises too), or if there
///   are fewer than 4 observations in total (the variance of the statistic is then
///   undefined; scipy fails or returns a meaningless value).
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::anderson_ksamp;
/// use ferrops::drift::Sample;
///
/// let a = Sample::from_values(&[1.0, 2.0, 3.0, 4.0])?;
/// let b = Sample::from_values(&[2.0, 3.0, 5.0, 6.0, 7.0])?;
/// let res = anderson_ksamp(&[&a, &b])?;
/// // scipy.stats.anderson_ksamp([[1, 2, 3, 4], [2, 3, 5, 6, 7]]):
/// // statistic 0.7746611292156521, pvalue 0.15757030574174255
/// assert!((res.statistic - 0.7746611292156521).abs() < 1e-12);
/// assert!((res.p_value - 0.15757030574174255).abs() < 1e-10);
/// assert!(!res.capped);
/// # Ok::<(), ferrops::Error>(())
/// ```
pub fn anderson_ksamp(samples: &[&Sample]) -> Result<AndersonKSamp> {
    let k = samples.len();
    if k < 2 {
        return Err(Error::param(
            "samples",
            format!("{k} sample(s)"),
            "anderson_ksamp compares at least two samples; pass two or more",
        ));
    }
    if let Some(i) = samples.iter().position(|s| s.is_empty()) {
        return Err(Error::EmptyInput {
            context: format!(
                "anderson_ksamp: sample {i} has no observation; every sample needs at least one finite value"
            ),
        });
    }
    let sizes: Vec<f64> = samples.iter().map(|s| s.n() as f64).collect();
    let total_n: u64 = samples.iter().map(|s| s.n()).sum();
    if total_n < 4 {
        return Err(Error::InvalidData(format!(
            "anderson_ksamp: {total_n} observations in total; the normalisation of the statistic needs at least 4"
        )));
    }
    let a2akn = midrank_statistic(samples, &sizes, total_n as f64)?;

    let big_n = total_n as f64;
    let kf = k as f64;
    let h_inv: f64 = sizes.iter().map(|n| 1.0 / n).sum();
    let (h, g) = harmonic_sums(total_n);
    let a = (4.0 * g - 6.0) * (kf - 1.0) + (10.0 - 6.0 * g) * h_inv;
    let b = (2.0 * g - 4.0) * kf * kf + 8.0 * h * kf + (2.0 * g - 14.0 * h - 4.0) * h_inv - 8.0 * h + 4.0 * g
        - 6.0;
    let c = (6.0 * h + 2.0 * g - 2.0) * kf * kf
        + (4.0 * h - 4.0 * g + 6.0) * kf
        + (2.0 * h - 6.0) * h_inv
        + 4.0 * h;
    let d = (2.0 * h + 6.0) * kf * kf - 4.0 * h * kf;
    let sigmasq = (a * big_n.powi(3) + b * big_n * big_n + c * big_n + d)
        / ((big_n - 1.0) * (big_n - 2.0) * (big_n - 3.0));
    if sigmasq.is_nan() || sigmasq <= 0.0 {
        return Err(Error::InvalidData(format!(
            "anderson_ksamp: the variance of the statistic is not positive ({sigmasq}) for these sample sizes; use larger samples"
        )));
    }
    let m = kf - 1.0;
    let statistic = (a2akn - m) / sigmasq.sqrt();

    let critical: Vec<f64> = B0
        .iter()
        .zip(B1.iter().zip(B2.iter()))
        .map(|(b0, (b1, b2))| b0 + b1 / m.sqrt() + b2 / m)
        .collect();
    let levels = ANDERSON_KSAMP_SIGNIFICANCE_LEVELS;
    let lo = critical.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = critical.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (p_value, capped) = if statistic < lo {
        (levels.iter().copied().fold(f64::NEG_INFINITY, f64::max), true)
    } else if statistic > hi {
        (levels.iter().copied().fold(f64::INFINITY, f64::min), true)
    } else {
        let log_levels: Vec<f64> = levels.iter().map(|s| s.ln()).collect();
        let coef = quadratic_fit(&critical, &log_levels)?;
        let [c2, c1, c0] = coef;
        (((c2 * statistic + c1) * statistic + c0).exp(), false)
    };
    Ok(AndersonKSamp {
        statistic,
        critical_values: critical,
        significance_levels: levels.to_vec(),
        p_value,
        capped,
    })
}

/// `A²akN` (Scholz & Stephens 1987, eq. 7) over weighted samples.
fn midrank_statistic(samples: &[&Sample], sizes: &[f64], big_n: f64) -> Result<f64> {
    let k = samples.len();
    let mut next = vec![0usize; k];
    // Weight of sample i strictly below the current value.
    let mut below = vec![0.0f64; k];
    let mut f = vec![0.0f64; k];
    let mut acc = vec![0.0f64; k];
    let mut pooled_below = 0.0f64;
    let mut distinct = 0usize;
    loop {
        let z = samples
            .iter()
            .zip(&next)
            .filter_map(|(s, &i)| s.values().get(i).copied())
            .fold(f64::INFINITY, f64::min);
        if z == f64::INFINITY {
            break;
        }
        distinct += 1;
        let mut lj = 0.0;
        for ((s, i), fij) in samples.iter().zip(next.iter_mut()).zip(f.iter_mut()) {
            *fij = 0.0;
            if s.values().get(*i) == Some(&z) {
                *fij = s.weights().get(*i).copied().unwrap_or(0.0);
                *i += 1;
            }
            lj += *fij;
        }
        let bj = pooled_below + lj / 2.0;
        let denom = bj * (big_n - bj) - big_n * lj / 4.0;
        for (((acc_i, below_i), fij), ni) in acc.iter_mut().zip(below.iter_mut()).zip(&f).zip(sizes) {
            let mij = *below_i + fij / 2.0;
            let dev = big_n * mij - bj * ni;
            if denom > 0.0 {
                *acc_i += lj / big_n * dev * dev / denom;
            }
            *below_i += fij;
        }
        pooled_below += lj;
    }
    if distinct < 2 {
        return Err(Error::InvalidData(
            "anderson_ksamp: all observations are equal, so there is nothing to compare (scipy raises too); the test needs at least two distinct values across the samples"
                .to_string(),
        ));
    }
    let sum: f64 = acc.iter().zip(sizes).map(|(a, n)| a / n).sum();
    Ok(sum * (big_n - 1.0) / big_n)
}

/// `(h, g)` of the normalisation for `N` observations: `h = Σ_{i=1}^{N−1} 1/i` and
/// `g = Σ_{i=1}^{N−2} Σ_{j=i+1}^{N−1} 1/((N − i) j)`, which equals
/// `Σ_{i=1}^{N−1} 1/i² − 2h/N` (from `Σ_{i+j≤N} 1/(ij) = H_N² − H_N^{(2)}`).
fn harmonic_sums(total_n: u64) -> (f64, f64) {
    let big_n = total_n as f64;
    let top = total_n.saturating_sub(1);
    let (h, h2) = if top <= HARMONIC_SUM_MAX {
        // Smallest terms first.
        (1..=top).rev().fold((0.0, 0.0), |(h, h2), i| {
            let x = i as f64;
            (h + 1.0 / x, h2 + 1.0 / (x * x))
        })
    } else {
        // Euler-Maclaurin: H_M = ln M + γ + 1/(2M) − 1/(12M²) + 1/(120M⁴) − 1/(252M⁶),
        // Σ_{i>M} 1/i² = 1/M − 1/(2M²) + 1/(6M³) − 1/(30M⁵) + 1/(42M⁷).
        let m = top as f64;
        let inv = 1.0 / m;
        let inv2 = inv * inv;
        let h =
            m.ln() + EULER_GAMMA + inv / 2.0 - inv2 / 12.0 + inv2 * inv2 / 120.0 - inv2 * inv2 * inv2 / 252.0;
        let tail =
            inv - inv2 / 2.0 + inv2 * inv / 6.0 - inv2 * inv2 * inv / 30.0 + inv2 * inv2 * inv2 * inv / 42.0;
        (h, std::f64::consts::PI * std::f64::consts::PI / 6.0 - tail)
    };
    (h, h2 - 2.0 * h / big_n)
}

const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// The least-squares quadratic `[c2, c1, c0]` with `c2 x² + c1 x + c0 ≈ y`, as
/// `numpy.polyfit(x, y, 2)`: columns of the Vandermonde matrix scaled to unit norm, then
/// Householder QR.
fn quadratic_fit(x: &[f64], y: &[f64]) -> Result<[f64; 3]> {
    let rows = x.len();
    let mut cols: [Vec<f64>; 3] = [x.iter().map(|v| v * v).collect(), x.to_vec(), vec![1.0; rows]];
    let mut scale = [0.0f64; 3];
    for (col, s) in cols.iter_mut().zip(scale.iter_mut()) {
        *s = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        if *s == 0.0 || !s.is_finite() {
            return Err(Error::InvalidData(
                "anderson_ksamp: degenerate table of critical values".to_string(),
            ));
        }
        for v in col.iter_mut() {
            *v /= *s;
        }
    }
    let mut rhs = y.to_vec();
    let mut r = [[0.0f64; 3]; 3];
    for p in 0..3 {
        // Householder reflection zeroing column p below row p.
        let (done, rest) = cols.split_at_mut(p + 1);
        let Some(col) = done.last_mut() else { continue };
        let norm = col.iter().skip(p).map(|v| v * v).sum::<f64>().sqrt();
        let head = col.get(p).copied().unwrap_or(0.0);
        let alpha = if head > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = col.iter().skip(p).copied().collect();
        if let Some(first) = v.first_mut() {
            *first -= alpha;
        }
        let vnorm2: f64 = v.iter().map(|e| e * e).sum();
        let reflect = |target: &mut [f64]| {
            if vnorm2 == 0.0 {
                return;
            }
            let dot: f64 = v.iter().zip(target.iter().skip(p)).map(|(a, b)| a * b).sum();
            let factor = 2.0 * dot / vnorm2;
            for (t, e) in target.iter_mut().skip(p).zip(&v) {
                *t -= factor * e;
            }
        };
        reflect(col);
        for other in rest.iter_mut() {
            reflect(other);
        }
        reflect(&mut rhs);
        for (q, row) in r.iter_mut().enumerate() {
            if let Some(entry) = row.get_mut(p) {
                if q <= p {
                    *entry = col.get(q).copied().unwrap_or(0.0);
                }
            }
        }
    }
    // Back substitution R c = Qᵀ y (first three rows).
    let mut coef = [0.0f64; 3];
    for p in (0..3).rev() {
        let row = r.get(p).copied().unwrap_or([0.0; 3]);
        let mut acc = rhs.get(p).copied().unwrap_or(0.0);
        for q in (p + 1)..3 {
            acc -= row.get(q).copied().unwrap_or(0.0) * coef.get(q).copied().unwrap_or(0.0);
        }
        let diag = row.get(p).copied().unwrap_or(0.0);
        if diag == 0.0 {
            return Err(Error::InvalidData(
                "anderson_ksamp: degenerate table of critical values".to_string(),
            ));
        }
        if let Some(c) = coef.get_mut(p) {
            *c = acc / diag;
        }
    }
    for (c, s) in coef.iter_mut().zip(scale) {
        *c /= s;
    }
    Ok(coef)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmonic_sums_match_scipy_loops_and_expansion() {
        // scipy: hs_cs = cumsum(1/arange(N-1, 1, -1)); h = hs_cs[-1] + 1;
        // g = (hs_cs / arange(2, N)).sum(); N = 57 gives g = 1.4654294715136793.
        let (h, g) = harmonic_sums(57);
        let h_ref: f64 = (1..57).map(|i| 1.0 / f64::from(i)).sum();
        assert!((h - h_ref).abs() < 1e-14);
        assert!((g - 1.4654294715136793).abs() < 1e-14);
        // Summed and expanded agree on both sides of the switch.
        let n = HARMONIC_SUM_MAX + 1;
        let (h_sum, g_sum) = harmonic_sums(n);
        let (h_exp, g_exp) = harmonic_sums(n + 1);
        let last = 1.0 / n as f64;
        assert!((h_exp - (h_sum + last)).abs() < 1e-13);
        // g(N+1) − g(N) = 1/N² − 2 H_N/(N+1) + 2 H_{N−1}/N
        let dg = last * last - 2.0 * (h_sum + last) / (n as f64 + 1.0) + 2.0 * h_sum / n as f64;
        assert!((g_exp - (g_sum + dg)).abs() < 1e-13);
    }

    #[test]
    fn quadratic_fit_recovers_a_parabola() {
        let x = [0.3, 1.2, 1.9, 2.7, 3.7, 4.5, 6.5];
        let y: Vec<f64> = x.iter().map(|v| 0.5 * v * v - 2.0 * v + 0.25).collect();
        let c = quadratic_fit(&x, &y).unwrap();
        assert!((c[0] - 0.5).abs() < 1e-12 && (c[1] + 2.0).abs() < 1e-12 && (c[2] - 0.25).abs() < 1e-12);
    }
}
