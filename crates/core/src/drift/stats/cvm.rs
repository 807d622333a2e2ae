//! The two-sample Cramér-von Mises test, as `scipy.stats.cramervonmises_2samp`.
//!
//! The statistic is computed from midranks in the pooled sample, generalised to weighted
//! [`Sample`]s; the p-value comes from the exact permutation distribution (small exact
//! samples) or from the limiting Cramér-von Mises distribution of the normalised
//! statistic (Anderson 1962, Csörgő & Faraway 1996).

use crate::drift::Sample;
use crate::error::{Error, Result};

use super::{PMethod, PValueKind, TestResult};

/// `scipy.stats.cramervonmises_2samp`'s `method="auto"` rule: the exact distribution if
/// both samples have at most this many observations, the asymptotic one otherwise.
const AUTO_EXACT_MAX: u64 = 20;

/// The largest `n + m` for which the exact distribution is attempted: its path counts
/// `C(n + m, n)` must fit in 128 bits.
const EXACT_MAX_TOTAL: u64 = 120;

/// The most (value, count) states the exact recursion may go through in all, a few
/// seconds of work; the `Auto` cases (at most 20 observations per sample) need far fewer.
const EXACT_MAX_WORK: usize = 200_000_000;

/// Above this normalised statistic the asymptotic p-value is below `1e-20`, far below
/// what `1 - cdf` can resolve in double precision: it is returned as `0.0`.
const TN_ZERO_P: f64 = 10.0;

/// The two-sample Cramér-von Mises test of `a` against `b`, as
/// [`scipy.stats.cramervonmises_2samp(a, b, method)`](https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.cramervonmises_2samp.html).
///
/// # Statistic
///
/// With `n = a.n()`, `m = b.n()`, `N = n + m`, the sorted observations `x_(i)` of `a`
/// and `y_(j)` of `b`, and `r(·)` the midrank of an observation in the pooled sample
/// (ties get the mean of the ranks they span),
///
/// ```text
/// U = n Σ_i (r(x_(i)) − i)² + m Σ_j (r(y_(j)) − j)²
/// T = U / (n m N) − (4 n m − 1) / (6 N)
/// ```
///
/// (Anderson 1962, eq. 9–10; `T = n m / N · ω²`). Samples are read as distinct values
/// with weights: the `w` tied copies of a value in `a` sit at positions `c + 1 ..= c + w`
/// of `a` and share one midrank `R`, so their contribution `Σ_k (R − c − k)²` is summed
/// in closed form as `w (R − c − (w + 1)/2)² + w (w² − 1)/12`. For exact samples this is
/// scipy's sum on the raw arrays (same `U`, bit for bit in the cases tested); for a
/// sketched sample (weights that are powers of two) it is the statistic of the sample
/// the sketch stands for, within the sketch's rank error.
///
/// # p-value
///
/// - [`PMethod::Auto`]: exact if both samples have at most 20 observations, asymptotic
///   otherwise (scipy's rule).
/// - [`PMethod::Exact`]: the share of the `C(N, n)` equally likely rank arrangements
///   whose `U` is at least the observed one, counted by the lattice-path recursion of
///   Xiao, Gordon & Yakovlev (2006) in integers, as scipy does (with ties the observed
///   `U` is the midrank one and the null distribution the tie-free one, as in scipy).
/// - [`PMethod::Asymptotic`]: the statistic is normalised by its exact mean
///   `E T = (1 + 1/N)/6` and variance
///   `Var T = (N + 1)(4 n m N − 3(n² + m²) − 2 n m) / (45 N² · 4 n m)` into
///   `T* = 1/6 + (T − E T)/√(45 Var T)` (Anderson 1962, eq. 11, 14, 15), and
///   `p = 1 − F(T*)` with `F` the limiting Cramér-von Mises distribution, summed as
///   Csörgő & Faraway (1996, eq. 1.3) with the Bessel function `K_{1/4}` (scipy's
///   `_cdf_cvm_inf`); `p = 1` for `T* < 0.003`, as scipy.
///
/// The series is summed to convergence (scipy stops once a term is below `1e-7`): the
/// p-values agree with scipy to `1e-8` relative while `p >= 1e-5`; below, scipy's early
/// stop leaves an error of up to about `2e-8` absolute (its p-values are not even
/// monotone in `T` beyond `T* ≈ 6`), whereas these are accurate to about `1e-15`
/// absolute; `p = 0` for `T* > 10` (true value below `1e-20`).
///
/// Sketched samples ([`Sample::is_exact`] `false`) always get the asymptotic p-value,
/// whatever `method` asks: the exact distribution of ranks does not apply to them. The
/// result says which p-value was computed in [`TestResult::method`].
///
/// # Errors
///
/// - [`Error::EmptyInput`] if a sample is empty, [`Error::InvalidData`] if one has a
///   single observation (scipy needs at least two in each).
/// - [`Error::InvalidParameter`] for [`PMethod::Exact`] on samples too large for the
///   exact distribution (`n + m > 120`, or more than 200 million intermediate states to count):
///   use [`PMethod::Asymptotic`] or [`PMethod::Auto`].
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::{cramervonmises_2samp, PMethod, PValueKind};
/// use ferrops::drift::Sample;
///
/// let a = Sample::from_values(&[0.1, 0.8, 1.3, 2.2, 2.5, 3.1])?;
/// let b = Sample::from_values(&[2.0, 2.9, 3.3, 3.9, 4.4, 5.0, 5.2])?;
/// let res = cramervonmises_2samp(&a, &b, PMethod::Auto)?;
/// assert_eq!(res.method, PValueKind::Exact);
/// // scipy.stats.cramervonmises_2samp(a, b): statistic 0.6684981684981683,
/// // pvalue 0.013986013986013986
/// assert!((res.statistic - 0.6684981684981683).abs() < 1e-12);
/// assert!((res.p_value - 0.013986013986013986).abs() < 1e-12);
/// # Ok::<(), ferrops::Error>(())
/// ```
pub fn cramervonmises_2samp(a: &Sample, b: &Sample, method: PMethod) -> Result<TestResult> {
    check_size(a, "a")?;
    check_size(b, "b")?;
    let (nx, ny) = (a.n(), b.n());
    let u = midrank_u(a, b);
    let (nxf, nyf) = (nx as f64, ny as f64);
    let k = nxf * nyf;
    let total = nxf + nyf;
    let t = u / (k * total) - (4.0 * k - 1.0) / (6.0 * total);

    let exact_samples = a.is_exact() && b.is_exact();
    let use_exact = exact_samples
        && match method {
            PMethod::Exact => true,
            PMethod::Asymptotic => false,
            PMethod::Auto => nx.max(ny) <= AUTO_EXACT_MAX,
        };
    if use_exact {
        let p_value = exact_p_value(u, nx, ny)?;
        Ok(TestResult {
            statistic: t,
            p_value,
            method: PValueKind::Exact,
        })
    } else {
        Ok(TestResult {
            statistic: t,
            p_value: asymptotic_p_value(t, nxf, nyf),
            method: PValueKind::Asymptotic,
        })
    }
}

fn check_size(s: &Sample, name: &str) -> Result<()> {
    match s.n() {
        0 => Err(Error::EmptyInput {
            context: format!(
                "cramervonmises_2samp: sample `{name}` has no observation; pass at least two finite values in each sample"
            ),
        }),
        1 => Err(Error::InvalidData(format!(
            "cramervonmises_2samp: sample `{name}` has a single observation; the two-sample Cramér-von Mises test needs at least two in each sample (as scipy)"
        ))),
        _ => Ok(()),
    }
}

/// `U = n Σ_i (r(x_i) − i)² + m Σ_j (r(y_j) − j)²` with midranks, over weighted samples.
fn midrank_u(a: &Sample, b: &Sample) -> f64 {
    let (xv, xw) = (a.values(), a.weights());
    let (yv, yw) = (b.values(), b.weights());
    let (mut i, mut j) = (0usize, 0usize);
    // Weight of `a` (resp. `b`) strictly below the current value.
    let (mut cx, mut cy) = (0.0f64, 0.0f64);
    let (mut sx, mut sy) = (0.0f64, 0.0f64);
    loop {
        let (x, y) = (xv.get(i).copied(), yv.get(j).copied());
        let z = match (x, y) {
            (Some(x), Some(y)) => x.min(y),
            (Some(x), None) => x,
            (None, Some(y)) => y,
            (None, None) => break,
        };
        let mut wx = 0.0;
        if x == Some(z) {
            wx = xw.get(i).copied().unwrap_or(0.0);
            i += 1;
        }
        let mut wy = 0.0;
        if y == Some(z) {
            wy = yw.get(j).copied().unwrap_or(0.0);
            j += 1;
        }
        // The `wx` copies in `a` sit at positions cx+1..=cx+wx and share the midrank
        // R = cx + cy + (wx + wy + 1)/2, so the mean of R − position is cy + wy/2 and
        // the positions have variance (wx² − 1)/12.
        if wx > 0.0 {
            let d = cy + wy / 2.0;
            sx += wx * d * d + wx * (wx * wx - 1.0) / 12.0;
        }
        if wy > 0.0 {
            let d = cx + wx / 2.0;
            sy += wy * d * d + wy * (wy * wy - 1.0) / 12.0;
        }
        cx += wx;
        cy += wy;
    }
    a.n() as f64 * sx + b.n() as f64 * sy
}

/// numpy's `floor_divide` on floats (`npy_divmod`), so that the exact p-value thresholds
/// the same `U` as scipy does.
fn numpy_floor_divide(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && (b < 0.0) != (m < 0.0) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut floordiv = div.floor();
        if div - floordiv > 0.5 {
            floordiv += 1.0;
        }
        floordiv
    } else {
        0.0f64.copysign(a / b)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Adds the counts of two lists of (value, count) sorted by value, merging equal values.
fn merge_counts(left: &[(u64, u128)], right: &[(u64, u128)]) -> Vec<(u64, u128)> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        match (left.get(i), right.get(j)) {
            (Some(&(lv, lc)), Some(&(rv, rc))) => {
                if lv == rv {
                    out.push((lv, lc + rc));
                    i += 1;
                    j += 1;
                } else if lv < rv {
                    out.push((lv, lc));
                    i += 1;
                } else {
                    out.push((rv, rc));
                    j += 1;
                }
            }
            (Some(&l), None) => {
                out.push(l);
                i += 1;
            }
            (None, Some(&r)) => {
                out.push(r);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

fn too_large(m: u64, n: u64, why: &str) -> Error {
    Error::param(
        "method",
        "Exact",
        format!(
            "the exact Cramér-von Mises distribution for samples of {m} and {n} observations {why}; use PMethod::Asymptotic (or PMethod::Auto, exact only up to 20 observations per sample)"
        ),
    )
}

/// The exact p-value `P(U >= u)` for samples of sizes `m` and `n` without ties.
///
/// With `L = lcm(m, n)`, `a = L/m`, `b = L/n`, a rank arrangement is a lattice path from
/// `(0, 0)` to `(n, m)` and `ζ = Σ_path (a v − b u)²` is an integer affine in `U`
/// (Xiao, Gordon & Yakovlev 2006, eq. 2; Anderson 1962, eq. 9). The frequency table of
/// `ζ` over paths reaching each lattice point is built row by row; the p-value is the
/// share of the `C(m + n, m)` paths with `ζ >= ζ_obs`.
fn exact_p_value(u: f64, m: u64, n: u64) -> Result<f64> {
    if m + n > EXACT_MAX_TOTAL {
        return Err(too_large(m, n, "needs path counts beyond 128 bits"));
    }
    let l = m / gcd(m, n) * n;
    let (a, b) = (l / m, l / n);
    let mn = (m * n) as f64;
    let zeta = numpy_floor_divide(
        (l * l * (m + n)) as f64 * (6.0 * u - mn * (4.0 * mn - 1.0)),
        6.0 * mn * mn,
    );

    if zeta <= 0.0 {
        // Every arrangement has ζ >= 0.
        return Ok(1.0);
    }
    // Paths are only counted as below or at-least the threshold, and the costs are not
    // negative: every partial sum at or above it is merged into one state.
    let cap = zeta.ceil() as u64;

    let cols = usize::try_from(m).map_err(|_| too_large(m, n, "does not fit in memory"))? + 1;
    let mut gs: Vec<Vec<(u64, u128)>> = vec![Vec::new(); cols];
    if let Some(first) = gs.first_mut() {
        first.push((0, 1));
    }
    let mut work = 0usize;
    for row in 0..=n {
        let mut tmp: Vec<(u64, u128)> = Vec::new();
        for (v, g) in gs.iter_mut().enumerate() {
            tmp = merge_counts(&tmp, g);
            let diff = (a * v as u64).abs_diff(b * row);
            let cost = diff * diff;
            for entry in tmp.iter_mut() {
                entry.0 = entry.0.saturating_add(cost);
            }
            let below = tmp.partition_point(|entry| entry.0 < cap);
            if below < tmp.len() {
                let above: u128 = tmp.iter().skip(below).map(|entry| entry.1).sum();
                tmp.truncate(below);
                tmp.push((cap, above));
            }
            work += tmp.len();
            if work > EXACT_MAX_WORK {
                return Err(too_large(m, n, "needs too much work"));
            }
            g.clone_from(&tmp);
        }
    }
    let last = gs.last().map(Vec::as_slice).unwrap_or(&[]);
    let at_least: u128 = last
        .iter()
        .filter(|(value, _)| *value >= cap)
        .map(|(_, count)| *count)
        .sum();
    let combinations: u128 = last.iter().map(|(_, count)| *count).sum();
    Ok(at_least as f64 / combinations as f64)
}

/// `1 − F(T*)` for the normalised statistic (scipy's `_pval_cvm_2samp_asymptotic`).
fn asymptotic_p_value(t: f64, nx: f64, ny: f64) -> f64 {
    let total = nx + ny;
    let k = nx * ny;
    let et = (1.0 + 1.0 / total) / 6.0;
    let vt = (total + 1.0) * (4.0 * k * total - 3.0 * (nx * nx + ny * ny) - 2.0 * k);
    let vt = vt / (45.0 * total * total * 4.0 * k);
    let tn = 1.0 / 6.0 + (t - et) / (45.0 * vt).sqrt();
    if tn.is_nan() {
        return f64::NAN;
    }
    if tn < 0.003 {
        return 1.0;
    }
    if tn > TN_ZERO_P {
        return 0.0;
    }
    (1.0 - cdf_cvm_inf(tn)).max(0.0)
}

/// The CDF of the limiting Cramér-von Mises distribution (Csörgő & Faraway 1996,
/// eq. 1.3):
/// `F(x) = Σ_k Γ(k + ½)/(Γ(½) k!) · √(4k + 1)/(π √x) · e^{−q} K_{¼}(q)`,
/// `q = (4k + 1)²/(16 x)`, summed until the terms no longer change the sum.
fn cdf_cvm_inf(x: f64) -> f64 {
    let mut total = 0.0;
    // Γ(k + ½)/Γ(k + 1), from Γ(½) = √π.
    let mut ratio = std::f64::consts::PI.sqrt();
    let scale = std::f64::consts::PI.powf(1.5) * x.sqrt();
    for k in 0..10_000u32 {
        if k > 0 {
            ratio *= (f64::from(k) - 0.5) / f64::from(k);
        }
        let y = 4.0 * f64::from(k) + 1.0;
        let q = y * y / (16.0 * x);
        let z = ratio / scale * y.sqrt() * exp_bessel_k_quarter(q);
        total += z;
        if z.abs() <= 1e-17 * total.abs() {
            break;
        }
    }
    total
}

/// `e^{−q} K_{1/4}(q)` for `q > 0`, from `K_ν(q) = ∫_0^∞ e^{−q cosh t} cosh(ν t) dt`
/// by the trapezoidal rule, which converges geometrically for this analytic, doubly
/// exponentially decaying integrand (relative error about `1e-14`, checked against
/// `scipy.special.kv`). The step shrinks like `q^{−1/2}` so the peak at `t = 0` stays
/// resolved for large `q`.
fn exp_bessel_k_quarter(q: f64) -> f64 {
    const NU: f64 = 0.25;
    if q.is_nan() || q <= 0.0 {
        return f64::INFINITY;
    }
    let factor = (-2.0 * q).exp();
    if factor == 0.0 {
        return 0.0;
    }
    let h = (0.5 / q.sqrt()).min(0.1);
    // ∫ e^{−q (cosh t − 1)} cosh(ν t) dt, so that K_ν(q) e^{−q} = e^{−2q} · integral.
    let mut sum = 0.5;
    for j in 1..100_000u32 {
        let t = f64::from(j) * h;
        let e = q * (t.cosh() - 1.0);
        if e > NU * t + 45.0 {
            break;
        }
        sum += (-e).exp() * (NU * t).cosh();
    }
    factor * sum * h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_divide_matches_numpy() {
        // numpy.floor_divide(7.5, 2.0) == 3.0, (-7.5) // 2.0 == -4.0, 6.0 // 3.0 == 2.0
        assert_eq!(numpy_floor_divide(7.5, 2.0), 3.0);
        assert_eq!(numpy_floor_divide(-7.5, 2.0), -4.0);
        assert_eq!(numpy_floor_divide(6.0, 3.0), 2.0);
    }

    #[test]
    fn bessel_matches_scipy_kv() {
        // scipy.special.kv(0.25, q) * exp(-q)
        for (q, kv) in [
            (1e-4, 21.351915864398094),
            (0.3, 1.4480426307073662),
            (1.0, 0.4307397744485814),
            (5.0, 0.0037123027320318403),
            (20.8, 2.5339058244028707e-10),
            (100.0, 4.65807645150984e-45),
        ] {
            let got = exp_bessel_k_quarter(q) * q.exp();
            assert!((got / kv - 1.0).abs() < 2e-14, "q={q}: {got} vs {kv}");
        }
    }

    #[test]
    fn exact_distribution_sums_to_one() {
        // P(U >= smallest possible U) = 1.
        assert_eq!(exact_p_value(0.0, 5, 7).unwrap(), 1.0);
    }
}
