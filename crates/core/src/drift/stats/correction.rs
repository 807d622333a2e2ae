//! Multiple-testing corrections of p-values: [`bonferroni`] (family-wise error rate)
//! and [`benjamini_hochberg`] (false discovery rate).
//!
//! When a drift report tests many columns at a significance level `α`, about `α` of
//! the undrifted columns are flagged by chance. Adjusted p-values compared against the
//! same `α` control either the chance of any false alarm (Bonferroni) or the expected
//! share of false alarms among the alarms (Benjamini-Hochberg).
//!
//! Both take the p-values of all columns in their order and return the adjusted ones in
//! the same order. A NaN entry (a column that was not tested) stays NaN and does not
//! count in the number of tests `m`. p-values are expected in `[0, 1]`; values outside
//! are clipped into it (scipy raises on them instead).

/// Bonferroni-adjusted p-values: `min(1, p · m)` with `m` the number of non-NaN
/// p-values, in input order (statsmodels' `multipletests(p, method="bonferroni")`).
///
/// Rejecting where the adjusted p-value is below `α` keeps the probability of any false
/// rejection among the `m` tests at most `α`, whatever their dependence.
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::bonferroni;
///
/// let adjusted = bonferroni(&[0.01, f64::NAN, 0.04, 0.5]);
/// assert!((adjusted[0] - 0.03).abs() < 1e-15);
/// assert!(adjusted[1].is_nan());
/// assert!((adjusted[2] - 0.12).abs() < 1e-15);
/// assert_eq!(adjusted[3], 1.0);
/// ```
pub fn bonferroni(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.iter().filter(|p| !p.is_nan()).count() as f64;
    p_values
        .iter()
        .map(|&p| {
            if p.is_nan() {
                f64::NAN
            } else {
                (p.clamp(0.0, 1.0) * m).min(1.0)
            }
        })
        .collect()
}

/// Benjamini-Hochberg adjusted p-values (false discovery rate), in input order: equal to
/// `scipy.stats.false_discovery_control(p, method="bh")` and statsmodels'
/// `multipletests(p, method="fdr_bh")`.
///
/// With the `m` non-NaN p-values sorted increasingly, `p_(1) <= ... <= p_(m)`, the
/// adjusted value of `p_(i)` is `min(1, min_{j >= i} p_(j) · m / j)`. Rejecting where
/// the adjusted p-value is below `α` keeps the expected share of false rejections among
/// the rejections at most `α` (for independent or positively dependent tests).
///
/// # Example
///
/// ```
/// use ferrops::drift::stats::benjamini_hochberg;
///
/// // scipy.stats.false_discovery_control([0.01, 0.04, 0.03, 0.5])
/// //   == [0.04, 0.0533.., 0.0533.., 0.5]; the NaN does not count.
/// let adjusted = benjamini_hochberg(&[0.01, 0.04, f64::NAN, 0.03, 0.5]);
/// assert!((adjusted[0] - 0.04).abs() < 1e-15);
/// assert!((adjusted[1] - 0.04 * 4.0 / 3.0).abs() < 1e-15);
/// assert!(adjusted[2].is_nan());
/// assert!((adjusted[3] - 0.04 * 4.0 / 3.0).abs() < 1e-15);
/// assert_eq!(adjusted[4], 0.5);
/// ```
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| p_values.get(i).is_some_and(|p| !p.is_nan()))
        .collect();
    order.sort_by(|&a, &b| {
        let pa = p_values.get(a).copied().unwrap_or(f64::NAN);
        let pb = p_values.get(b).copied().unwrap_or(f64::NAN);
        pa.total_cmp(&pb)
    });
    let m = order.len() as f64;
    // Scaled by m / rank (scipy's order of operations), then the running minimum from
    // the largest p-value down.
    let scaled: Vec<f64> = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let p = p_values.get(i).copied().unwrap_or(f64::NAN).clamp(0.0, 1.0);
            p * (m / (rank + 1) as f64)
        })
        .collect();
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut running = f64::INFINITY;
    for (&i, &s) in order.iter().zip(&scaled).rev() {
        running = running.min(s);
        if let Some(slot) = adjusted.get_mut(i) {
            *slot = running.clamp(0.0, 1.0);
        }
    }
    adjusted
}
