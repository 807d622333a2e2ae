//! Binned and categorical drift measures: quantile binning of a numeric reference,
//! the population stability index, Jensen-Shannon, Hellinger, total variation and L∞
//! distances, and the chi-square test of homogeneity.
//!
//! Every measure reads two aligned vectors of **counts** (or weights): entry `i` of both
//! vectors is the same bin or category. The counts are normalised to shares inside, so
//! raw counts, weighted counts and shares are all accepted. Numeric columns are binned
//! with [`quantile_edges`] of the reference and [`bin_counts`] (or
//! [`bin_counts_values`]) of each side; categorical columns are counted per category
//! (a category seen on one side only is a bin like any other).
//!
//! Each function is checked against its reference implementation
//! (`scipy.spatial.distance.jensenshannon`, `scipy.stats.chi2_contingency`, numpy
//! formulas) in `tests/rust/drift_binned.rs`.

use statrs::function::gamma::checked_gamma_ur;

use super::{PValueKind, TestResult};
use crate::drift::Sample;
use crate::error::{Error, Result};

/// The share given to an empty bin by [`psi`] by default: `1e-4`, as Evidently does.
///
/// PSI divides and takes logarithms of shares, so an empty bin on either side would make
/// it infinite. Evidently (`evidently.legacy.calculations.stattests.utils.get_binned_data`)
/// replaces zero shares by `0.0001` (or by the smallest non-zero share divided by `10^6`
/// when that share is itself at most `0.0001`; ferrops always uses the fixed value).
pub const PSI_EPSILON: f64 = 1e-4;

/// The interior edges of `n_bins` equal-frequency bins of `reference`: its quantiles at
/// `i / n_bins` for `i = 1, ..., n_bins - 1` ([`Sample::quantile`], numpy's
/// `method="inverted_cdf"`), with repeated edges removed.
///
/// Bins are right-closed: with edges `e1 < e2 < ... < ek` they are
/// `(-inf, e1], (e1, e2], ..., (ek, +inf)`, `k + 1` bins in all, so current values
/// outside the reference range fall in the outer bins. Heavy ties give fewer bins: a
/// value that holds more than `1 / n_bins` of the reference is the edge of several
/// quantiles and appears once (a constant reference gives one edge, two bins). The edges
/// are finite and strictly increasing.
///
/// # Errors
///
/// - [`Error::InvalidParameter`] if `n_bins < 2`.
/// - [`Error::EmptyInput`] if `reference` has no observation.
///
/// # Example
///
/// ```
/// use ferrops::drift::{stats::quantile_edges, Sample};
///
/// # fn main() -> ferrops::Result<()> {
/// let reference = Sample::from_values(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])?;
/// assert_eq!(quantile_edges(&reference, 4)?, vec![2.0, 4.0, 6.0]);
/// // A value holding half of the reference is one edge, not two.
/// let tied = Sample::from_values(&[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0])?;
/// assert_eq!(quantile_edges(&tied, 4)?, vec![0.0, 2.0]);
/// # Ok(())
/// # }
/// ```
pub fn quantile_edges(reference: &Sample, n_bins: usize) -> Result<Vec<f64>> {
    if n_bins < 2 {
        return Err(Error::param(
            "n_bins",
            n_bins,
            "need at least 2 bins to compare distributions; 10 to 30 quantile bins are common",
        ));
    }
    if reference.is_empty() {
        return Err(Error::EmptyInput {
            context:
                "the reference sample has no finite value to take quantiles of: bin on a reference with data"
                    .to_string(),
        });
    }
    let mut edges: Vec<f64> = Vec::with_capacity(n_bins - 1);
    for i in 1..n_bins {
        let q = i as f64 / n_bins as f64;
        if let Some(edge) = reference.quantile(q) {
            if edges.last().is_none_or(|&last| last < edge) {
                edges.push(edge);
            }
        }
    }
    Ok(edges)
}

/// The weight of `sample` in each right-closed bin of `edges`
/// (`(-inf, e1], (e1, e2], ..., (ek, +inf)`): `edges.len() + 1` values that sum to the
/// sample's total weight ([`Sample::n`]).
///
/// Computed by binary search of each edge among the sample's distinct values:
/// `O(len + edges · log len)`. Equal to counting the raw values with
/// `numpy.searchsorted(edges, x, side="left")` as bin index. `edges` must be increasing
/// (as [`quantile_edges`] returns); a NaN edge or an edge below the previous one makes
/// an empty bin.
///
/// # Example
///
/// ```
/// use ferrops::drift::{stats::bin_counts, Sample};
///
/// # fn main() -> ferrops::Result<()> {
/// let sample = Sample::from_values(&[0.5, 1.0, 1.0, 1.5, 3.0])?;
/// // (-inf, 1], (1, 2], (2, +inf)
/// assert_eq!(bin_counts(&sample, &[1.0, 2.0]), vec![3.0, 1.0, 1.0]);
/// # Ok(())
/// # }
/// ```
pub fn bin_counts(sample: &Sample, edges: &[f64]) -> Vec<f64> {
    let values = sample.values();
    let weights = sample.weights();
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut start = 0;
    for &edge in edges {
        let end = values.partition_point(|&v| v <= edge).max(start);
        counts.push(weights.get(start..end).map_or(0.0, |w| w.iter().sum()));
        start = end;
    }
    counts.push(weights.get(start..).map_or(0.0, |w| w.iter().sum()));
    counts
}

/// The number of `values` in each right-closed bin of `edges`, like [`bin_counts`] but
/// for raw values: `edges.len() + 1` counts, value `x` in bin
/// `numpy.searchsorted(edges, x, side="left")`. Non-finite values (NaN, ±inf) are not
/// counted: drift reports count them apart. `O(values · log edges)`.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::bin_counts_values;
///
/// let counts = bin_counts_values(&[0.5, 1.0, 1.0, 1.5, 3.0, f64::NAN], &[1.0, 2.0]);
/// assert_eq!(counts, vec![3.0, 1.0, 1.0]);
/// ```
pub fn bin_counts_values(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0.0; edges.len() + 1];
    for &x in values.iter().filter(|x| x.is_finite()) {
        let bin = edges.partition_point(|&e| e < x);
        if let Some(count) = counts.get_mut(bin) {
            *count += 1.0;
        }
    }
    counts
}

/// Checks one vector of counts: finite, non-negative, not all zero. Returns its sum.
fn check_counts(counts: &[f64], side: &str) -> Result<f64> {
    if let Some((i, c)) = counts
        .iter()
        .enumerate()
        .find(|(_, c)| !c.is_finite() || **c < 0.0)
    {
        return Err(Error::InvalidData(format!(
            "{side} count {c} at bin {i}: counts must be finite and non-negative (pass the number of values, or the weight, in each bin)"
        )));
    }
    let total: f64 = counts.iter().sum();
    if !total.is_finite() {
        return Err(Error::InvalidData(format!(
            "{side} counts sum to {total}: rescale them (shares are accepted too)"
        )));
    }
    if total <= 0.0 {
        return Err(Error::EmptyInput {
            context: format!(
                "the {side} counts are all zero: a side with no observation cannot be compared; check that the {side} data has non-null values"
            ),
        });
    }
    Ok(total)
}

/// Checks two aligned count vectors; returns their sums.
fn check_pair(a: &[f64], b: &[f64], a_name: &str, b_name: &str) -> Result<(f64, f64)> {
    if a.is_empty() && b.is_empty() {
        return Err(Error::EmptyInput {
            context: format!(
                "no bin or category in {a_name} and {b_name}: pass one count per bin or category"
            ),
        });
    }
    if a.len() != b.len() {
        return Err(Error::InvalidData(format!(
            "{a_name} has {} bins but {b_name} has {}: count both sides over the same bins or categories, in the same order (a category missing on one side has count 0)",
            a.len(),
            b.len()
        )));
    }
    Ok((check_counts(a, a_name)?, check_counts(b, b_name)?))
}

/// The two count vectors as shares of their totals, after [`check_pair`].
fn shares(a: &[f64], b: &[f64], a_name: &str, b_name: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    let (ta, tb) = check_pair(a, b, a_name, b_name)?;
    Ok((
        a.iter().map(|x| x / ta).collect(),
        b.iter().map(|x| x / tb).collect(),
    ))
}

/// The population stability index of `current` against `reference`:
/// `PSI = Σ (c_i − r_i) · ln(c_i / r_i)` over the shares `r_i`, `c_i` of each bin, where
/// an empty bin's share is replaced by `epsilon` (use [`PSI_EPSILON`], Evidently's
/// `0.0001`; the other shares are not renormalised).
///
/// `reference` and `current` are counts (normalised inside). PSI is symmetric in the two
/// sides, non-negative, and 0 for equal shares; it has no upper bound (`ln(1/epsilon)`
/// bounds each term). A common rule of thumb: below `0.1` no significant change, `0.1`
/// to `0.25` a moderate change, above `0.25` a significant change; Evidently's default
/// drift threshold is `0.1`.
///
/// # Errors
///
/// - [`Error::InvalidParameter`] if `epsilon` is not in `(0, 1)`.
/// - [`Error::EmptyInput`] if both vectors are empty or one side's counts are all zero.
/// - [`Error::InvalidData`] if the lengths differ or a count is negative or not finite.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::{psi, PSI_EPSILON};
///
/// # fn main() -> ferrops::Result<()> {
/// let value = psi(&[50.0, 30.0, 20.0], &[40.0, 30.0, 30.0], PSI_EPSILON)?;
/// let expected = (0.4f64 - 0.5) * (0.4f64 / 0.5).ln() + (0.3f64 - 0.2) * (0.3f64 / 0.2).ln();
/// assert!((value - expected).abs() < 1e-15);
/// assert_eq!(psi(&[1.0, 2.0], &[2.0, 4.0], PSI_EPSILON)?, 0.0);
/// # Ok(())
/// # }
/// ```
pub fn psi(reference: &[f64], current: &[f64], epsilon: f64) -> Result<f64> {
    if !(epsilon > 0.0 && epsilon < 1.0) {
        return Err(Error::param(
            "epsilon",
            epsilon,
            "the share given to empty bins must be in (0, 1); use PSI_EPSILON (1e-4) as Evidently does",
        ));
    }
    let (r, c) = shares(reference, current, "reference", "current")?;
    Ok(r.iter()
        .zip(&c)
        .map(|(&r, &c)| {
            let r = if r == 0.0 { epsilon } else { r };
            let c = if c == 0.0 { epsilon } else { c };
            // Evidently's order of operations: (r - c) * ln(r / c).
            (r - c) * (r / c).ln()
        })
        .sum())
}

/// The Jensen-Shannon distance between the distributions `p` and `q` in logarithm
/// `base`: `sqrt((KL(p ‖ m) + KL(q ‖ m)) / 2)` with `m = (p + q) / 2` and `KL` the
/// Kullback-Leibler divergence in that base, as `scipy.spatial.distance.jensenshannon(p,
/// q, base)` computes it (the counts are normalised inside).
///
/// The distance is the square root of the Jensen-Shannon divergence. It is symmetric,
/// 0 for equal distributions and at most `sqrt(log_base 2)`: in `[0, 1]` for `base = 2`
/// (then 1 for distributions with disjoint support), in `[0, sqrt(ln 2) ≈ 0.833]` for
/// base `e` (`std::f64::consts::E`, scipy's default). Evidently's default drift
/// threshold is `0.1` (natural base).
///
/// # Errors
///
/// - [`Error::InvalidParameter`] if `base` is not finite and greater than 1.
/// - [`Error::EmptyInput`] if both vectors are empty or one side's counts are all zero.
/// - [`Error::InvalidData`] if the lengths differ or a count is negative or not finite.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::jensen_shannon;
///
/// # fn main() -> ferrops::Result<()> {
/// // scipy.spatial.distance.jensenshannon([1, 0], [0, 1], 2.0) == 1.0
/// assert!((jensen_shannon(&[1.0, 0.0], &[0.0, 1.0], 2.0)? - 1.0).abs() < 1e-15);
/// assert_eq!(jensen_shannon(&[3.0, 1.0], &[6.0, 2.0], 2.0)?, 0.0);
/// # Ok(())
/// # }
/// ```
pub fn jensen_shannon(p: &[f64], q: &[f64], base: f64) -> Result<f64> {
    if !(base > 1.0 && base.is_finite()) {
        return Err(Error::param(
            "base",
            base,
            "the logarithm base must be finite and greater than 1; use 2.0 for a distance in [0, 1] or std::f64::consts::E for scipy's default",
        ));
    }
    let (p, q) = shares(p, q, "p", "q")?;
    // scipy.special.rel_entr(x, y) = x ln(x / y) for x > 0, 0 for x = 0 (here y >= x / 2 > 0).
    let rel_entr = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    let mut left = 0.0;
    let mut right = 0.0;
    for (&pi, &qi) in p.iter().zip(&q) {
        let m = (pi + qi) / 2.0;
        left += rel_entr(pi, m);
        right += rel_entr(qi, m);
    }
    let js = (left + right) / base.ln();
    Ok((js / 2.0).max(0.0).sqrt())
}

/// The Hellinger distance between the distributions `p` and `q` (counts, normalised
/// inside): `H = sqrt(1 − Σ sqrt(p_i q_i))`, in `[0, 1]`: 0 for equal distributions, 1
/// for disjoint supports.
///
/// Computed in the equivalent form `H = sqrt(½ Σ (sqrt(p_i) − sqrt(q_i))²)` (the two are
/// equal since `Σ p_i = Σ q_i = 1`), which is exactly 0 for equal shares and keeps full
/// relative precision for small distances, where `1 − Σ sqrt(p_i q_i)` cancels.
/// Evidently computes the first form (for categorical columns) with a default drift
/// threshold of `0.1`.
///
/// # Errors
///
/// - [`Error::EmptyInput`] if both vectors are empty or one side's counts are all zero.
/// - [`Error::InvalidData`] if the lengths differ or a count is negative or not finite.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::hellinger;
///
/// # fn main() -> ferrops::Result<()> {
/// let h = hellinger(&[1.0, 1.0], &[1.0, 0.0])?;
/// assert!((h - (1.0 - 0.5f64.sqrt()).sqrt()).abs() < 1e-15);
/// assert_eq!(hellinger(&[1.0, 0.0], &[0.0, 1.0])?, 1.0);
/// # Ok(())
/// # }
/// ```
pub fn hellinger(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = shares(p, q, "p", "q")?;
    let sum: f64 = p
        .iter()
        .zip(&q)
        .map(|(&pi, &qi)| {
            let d = pi.sqrt() - qi.sqrt();
            d * d
        })
        .sum();
    Ok((sum / 2.0).sqrt().min(1.0))
}

/// The total variation distance between the distributions `p` and `q` (counts,
/// normalised inside): `½ Σ |p_i − q_i|`, in `[0, 1]`, the largest difference of
/// probability the two give to any set of bins. Evidently's TVD test uses this distance
/// (with a permutation p-value); a threshold of `0.1` is common.
///
/// # Errors
///
/// - [`Error::EmptyInput`] if both vectors are empty or one side's counts are all zero.
/// - [`Error::InvalidData`] if the lengths differ or a count is negative or not finite.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::total_variation;
///
/// # fn main() -> ferrops::Result<()> {
/// let tv = total_variation(&[5.0, 3.0, 2.0], &[4.0, 3.0, 3.0])?;
/// assert!((tv - 0.1).abs() < 1e-15);
/// # Ok(())
/// # }
/// ```
pub fn total_variation(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = shares(p, q, "p", "q")?;
    let sum: f64 = p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum();
    Ok((sum / 2.0).min(1.0))
}

/// The L∞ (Chebyshev) distance between the distributions `p` and `q` (counts,
/// normalised inside): `max_i |p_i − q_i|`, in `[0, 1]`, the largest change of any one
/// bin's or category's share. A threshold of `0.1` (ten percentage points) is common.
///
/// # Errors
///
/// - [`Error::EmptyInput`] if both vectors are empty or one side's counts are all zero.
/// - [`Error::InvalidData`] if the lengths differ or a count is negative or not finite.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::l_infinity;
///
/// # fn main() -> ferrops::Result<()> {
/// let d = l_infinity(&[5.0, 3.0, 2.0], &[3.0, 3.0, 4.0])?;
/// assert!((d - 0.2).abs() < 1e-15);
/// # Ok(())
/// # }
/// ```
pub fn l_infinity(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = shares(p, q, "p", "q")?;
    Ok(p.iter().zip(&q).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
}

/// The result of [`chi2_homogeneity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi2Result {
    /// Pearson's chi-square statistic (with Yates' continuity correction when
    /// `dof == 1`), as `scipy.stats.chi2_contingency` reports it.
    pub statistic: f64,
    /// The upper tail of the chi-square distribution with `dof` degrees of freedom at
    /// `statistic`: the p-value of the null hypothesis that both sides share one
    /// category distribution.
    pub p_value: f64,
    /// Degrees of freedom: the number of categories with a non-zero count (on either
    /// side) less one.
    pub dof: usize,
}

impl Chi2Result {
    /// The statistic and p-value as a [`TestResult`] (an asymptotic p-value).
    pub fn to_test_result(&self) -> TestResult {
        TestResult {
            statistic: self.statistic,
            p_value: self.p_value,
            method: PValueKind::Asymptotic,
        }
    }
}

/// The chi-square test of homogeneity of category counts: whether `reference` and
/// `current` (counts per category, aligned) are samples of one distribution.
///
/// Equal to `scipy.stats.chi2_contingency([reference, current])` with its defaults
/// (`correction=True`, `lambda_=None`): the expected count of each cell is
/// `row_total · column_total / total`, the statistic is `Σ (observed − expected)² /
/// expected` over the `2 × k` cells, and with one degree of freedom (two categories)
/// Yates' correction moves each observed count towards its expected count by
/// `min(0.5, |expected − observed|)` first. The p-value is the chi-square survival
/// function with `dof = k − 1`, computed as the regularised upper incomplete gamma
/// function `Q(dof / 2, statistic / 2)` (accurate for p-values far below `1e-300`, where
/// `1 − cdf` would round to 0). With a single category (`dof = 0`) the statistic is 0
/// and the p-value 1, as in scipy. A common significance level is `0.05`.
///
/// Categories with a zero count on **both** sides carry no information and are dropped
/// first (scipy raises on their zero expected frequency instead); `dof` counts the
/// remaining ones. A category unseen in the reference (reference 0, current > 0) is an
/// ordinary column and usually makes the test significant.
///
/// # Errors
///
/// - [`Error::EmptyInput`] if both vectors are empty or one side's counts are all zero.
/// - [`Error::InvalidData`] if the lengths differ, a count is negative or not finite,
///   or the counts are so large (beyond about `1e150`) that the statistic overflows.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::chi2_homogeneity;
///
/// # fn main() -> ferrops::Result<()> {
/// // scipy.stats.chi2_contingency([[10, 20, 30], [30, 20, 10]]): statistic 20, dof 2
/// let r = chi2_homogeneity(&[10.0, 20.0, 30.0], &[30.0, 20.0, 10.0])?;
/// assert!((r.statistic - 20.0).abs() < 1e-12);
/// assert_eq!(r.dof, 2);
/// assert!((r.p_value - (-10.0f64).exp()).abs() < 1e-15);
/// # Ok(())
/// # }
/// ```
pub fn chi2_homogeneity(reference: &[f64], current: &[f64]) -> Result<Chi2Result> {
    let (row_r, row_c) = check_pair(reference, current, "reference", "current")?;
    let columns: Vec<(f64, f64)> = reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r, c))
        .filter(|&(r, c)| r + c > 0.0)
        .collect();
    let dof = columns.len().saturating_sub(1);
    if dof == 0 {
        return Ok(Chi2Result {
            statistic: 0.0,
            p_value: 1.0,
            dof,
        });
    }
    let total = row_r + row_c;
    let yates = dof == 1;
    let cell = |observed: f64, row: f64, col: f64| {
        let expected = row * col / total;
        let observed = if yates {
            let diff = expected - observed;
            observed + diff.abs().min(0.5) * diff.signum()
        } else {
            observed
        };
        let d = observed - expected;
        d * d / expected
    };
    // scipy sums the cells in row-major order: the reference row, then the current row.
    let statistic: f64 = columns
        .iter()
        .map(|&(r, c)| cell(r, row_r, r + c))
        .chain(columns.iter().map(|&(r, c)| cell(c, row_c, r + c)))
        .sum();
    if !statistic.is_finite() {
        return Err(Error::InvalidData(format!(
            "the chi-square statistic overflows ({statistic}) for counts this large: rescale both sides by one factor (the test depends on the counts, so keep them as counts where possible)"
        )));
    }
    Ok(Chi2Result {
        statistic,
        p_value: chi2_sf(statistic, dof),
        dof,
    })
}

/// The survival function of the chi-square distribution with `dof` degrees of freedom:
/// `Q(dof / 2, x / 2)`, scipy's `chdtrc`.
fn chi2_sf(x: f64, dof: usize) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    checked_gamma_ur(dof as f64 / 2.0, x / 2.0).unwrap_or(f64::NAN)
}
