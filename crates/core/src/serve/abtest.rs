//! Significance tests for A/B comparisons between two served variants.
//!
//! [`compare`] reads two [`MetricsSnapshot`]s (control, then treatment) and tests the
//! difference `treatment - control` of one [`AbOutcome`]:
//!
//! | outcome | per-observation value | test |
//! |---|---|---|
//! | [`AbOutcome::Accuracy`] | labelled prediction correct (1) or not (0) | [`two_proportion_ztest`] |
//! | [`AbOutcome::ErrorRate`] | request failed (1) or not (0) | [`two_proportion_ztest`] |
//! | [`AbOutcome::Reward`] | the recorded reward | [`welch_ttest`] |
//! | [`AbOutcome::AbsoluteError`] | `\|predicted - actual\|` of a regressor | [`welch_ttest`] |
//!
//! The tests agree with scipy:
//!
//! - [`welch_ttest`]: statistic and two-sided p-value of
//!   `scipy.stats.ttest_ind_from_stats(mean_b, std_b, n_b, mean_a, std_a, n_a, equal_var=False)`
//!   (note the order: the statistic is of treatment − control), and its interval is that
//!   of `scipy.stats.ttest_ind(b, a, equal_var=False).confidence_interval(1 - alpha)`:
//!   `diff ± t(1 - alpha/2, df) · se` with Welch–Satterthwaite `df`.
//! - [`two_proportion_ztest`]: the pooled z statistic, `z = (p_b - p_a) / sqrt(p(1-p)(1/n_a + 1/n_b))`
//!   with `p = (s_a + s_b) / (n_a + n_b)`; `z²` is the chi-square statistic of
//!   `scipy.stats.chi2_contingency([[s_a, n_a - s_a], [s_b, n_b - s_b]], correction=False)`
//!   and the p-values are equal. Its interval is the (unpooled) Wald interval
//!   `p_b - p_a ± z(1 - alpha/2) · sqrt(p_a(1-p_a)/n_a + p_b(1-p_b)/n_b)`.
//!
//! Measured against scipy (`tests/rust/serve_metrics.rs`): statistics, degrees of
//! freedom and intervals to ~1e-13 relative, p-values to ~1e-10, except Welch p-values
//! at millions of degrees of freedom, where the t tail (statrs' incomplete beta) is good
//! to ~1e-8 relative.
//!
//! A result is [`significant`](AbTestResult::significant) when `p_value < alpha`. These
//! are fixed-horizon tests: looking at the p-value repeatedly while traffic flows and
//! stopping at the first significant one inflates the false-positive rate; decide the
//! sample size (or minimum number of outcomes) before the test starts.
//!
//! ```
//! use ferrops::serve::abtest::{two_proportion_ztest, Verdict};
//!
//! // Control converted 120 of 1000, treatment 150 of 1000.
//! let r = two_proportion_ztest(120, 1000, 150, 1000, 0.05)?;
//! assert!((r.difference - 0.03).abs() < 1e-12);
//! assert!(r.p_value > 0.04 && r.p_value < 0.06);
//! assert_eq!(r.verdict(), if r.significant { Verdict::TreatmentBetter } else { Verdict::NoSignificantDifference });
//! # Ok::<(), ferrops::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

use super::metrics::{MetricsSnapshot, Moments, OutcomeSummary};
use crate::error::{Error, Result};

/// What an A/B test compares between two variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbOutcome {
    /// Share of labelled predictions that were correct (classifiers; higher is better).
    Accuracy,
    /// Mean business reward recorded with `record_reward` (higher is better).
    Reward,
    /// Mean absolute error of labelled predictions (regressors; lower is better).
    AbsoluteError,
    /// Share of requests that failed (lower is better).
    ErrorRate,
}

impl AbOutcome {
    /// True when a larger value of the outcome is the better one.
    pub fn higher_is_better(self) -> bool {
        matches!(self, AbOutcome::Accuracy | AbOutcome::Reward)
    }

    fn name(self) -> &'static str {
        match self {
            AbOutcome::Accuracy => "accuracy",
            AbOutcome::Reward => "reward",
            AbOutcome::AbsoluteError => "absolute error",
            AbOutcome::ErrorRate => "error rate",
        }
    }
}

/// Which variant a test favours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The difference is significant and in the treatment's favour.
    TreatmentBetter,
    /// The difference is significant and against the treatment.
    TreatmentWorse,
    /// `p_value >= alpha`.
    NoSignificantDifference,
}

/// The result of a two-sample test of `treatment - control`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbTestResult {
    /// `"two-proportion z-test"` or `"Welch t-test"`.
    pub test: String,
    /// What was compared (`None` when the test was called directly on numbers).
    pub outcome: Option<AbOutcome>,
    /// Observations of the control variant.
    pub n_control: u64,
    /// Observations of the treatment variant.
    pub n_treatment: u64,
    /// The control's mean (its proportion, for a z-test).
    pub control_mean: f64,
    /// The treatment's mean.
    pub treatment_mean: f64,
    /// `treatment_mean - control_mean`.
    pub difference: f64,
    /// Lower end of the `1 - alpha` confidence interval of the difference.
    pub ci_low: f64,
    /// Upper end of it.
    pub ci_high: f64,
    /// The test statistic (z or t), positive when the treatment's mean is larger.
    pub statistic: f64,
    /// Welch–Satterthwaite degrees of freedom (t-test only).
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// The significance level asked for.
    pub alpha: f64,
    /// `p_value < alpha`.
    pub significant: bool,
}

impl AbTestResult {
    /// Whether the treatment is significantly better, worse, or neither, reading
    /// "better" by the outcome's direction (higher is better when `outcome` is `None`).
    pub fn verdict(&self) -> Verdict {
        if !self.significant || self.difference == 0.0 {
            return Verdict::NoSignificantDifference;
        }
        let higher_better = self.outcome.is_none_or(AbOutcome::higher_is_better);
        if (self.difference > 0.0) == higher_better {
            Verdict::TreatmentBetter
        } else {
            Verdict::TreatmentWorse
        }
    }
}

fn check_alpha(alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(Error::param(
            "alpha",
            alpha,
            "the significance level must be strictly between 0 and 1 (0.05 is usual)",
        ))
    }
}

fn too_few(what: &str, needed: u64, n_control: u64, n_treatment: u64, how: &str) -> Error {
    Error::InvalidData(format!(
        "the A/B test on {what} needs at least {needed} observations per variant; control has {n_control}, treatment has {n_treatment}: {how}"
    ))
}

/// Pooled two-proportion z-test of `successes_b / n_b - successes_a / n_a` (a is the
/// control, b the treatment), with the Wald interval of the difference. See the
/// [module documentation](self) for the formulas and scipy's equivalent.
///
/// # Errors
/// [`Error::InvalidParameter`] for `alpha` outside (0, 1) or more successes than
/// trials; [`Error::InvalidData`] with fewer than 2 trials on a side, or when every
/// trial on both sides is a success (or every one a failure), which leaves the
/// statistic undefined.
pub fn two_proportion_ztest(
    successes_a: u64,
    n_a: u64,
    successes_b: u64,
    n_b: u64,
    alpha: f64,
) -> Result<AbTestResult> {
    check_alpha(alpha)?;
    for (name, s, n) in [
        ("successes_a", successes_a, n_a),
        ("successes_b", successes_b, n_b),
    ] {
        if s > n {
            return Err(Error::param(
                name,
                s,
                format!("there cannot be more successes than the {n} trials"),
            ));
        }
    }
    if n_a < 2 || n_b < 2 {
        return Err(too_few(
            "a proportion",
            2,
            n_a,
            n_b,
            "wait for more traffic (a useful test needs hundreds)",
        ));
    }
    let (na, nb) = (n_a as f64, n_b as f64);
    let (pa, pb) = (successes_a as f64 / na, successes_b as f64 / nb);
    let pooled = (successes_a + successes_b) as f64 / (na + nb);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    if se_pooled <= 0.0 || !se_pooled.is_finite() {
        return Err(Error::InvalidData(format!(
            "the proportion is {pooled} in both variants together ({successes_a}/{n_a} and {successes_b}/{n_b}): \
             the test needs at least one success and one failure overall; wait for more traffic"
        )));
    }
    let difference = pb - pa;
    let z = difference / se_pooled;
    let normal = Normal::standard();
    let p_value = (2.0 * normal.sf(z.abs())).min(1.0);
    let se_wald = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    let crit = normal.inverse_cdf(1.0 - alpha / 2.0);
    Ok(AbTestResult {
        test: "two-proportion z-test".into(),
        outcome: None,
        n_control: n_a,
        n_treatment: n_b,
        control_mean: pa,
        treatment_mean: pb,
        difference,
        ci_low: difference - crit * se_wald,
        ci_high: difference + crit * se_wald,
        statistic: z,
        df: None,
        p_value,
        alpha,
        significant: p_value < alpha,
    })
}

/// Welch's unequal-variances t-test of `mean_b - mean_a` (a is the control, b the
/// treatment) from summary statistics; `var_*` are sample variances (`ddof = 1`). See
/// the [module documentation](self) for scipy's equivalent.
///
/// # Errors
/// [`Error::InvalidParameter`] for `alpha` outside (0, 1), or a non-finite mean or a
/// negative or non-finite variance; [`Error::InvalidData`] with fewer than 2
/// observations on a side, or zero variance on both sides.
pub fn welch_ttest(
    mean_a: f64,
    var_a: f64,
    n_a: u64,
    mean_b: f64,
    var_b: f64,
    n_b: u64,
    alpha: f64,
) -> Result<AbTestResult> {
    check_alpha(alpha)?;
    for (name, m) in [("mean_a", mean_a), ("mean_b", mean_b)] {
        if !m.is_finite() {
            return Err(Error::param(name, m, "a mean must be finite"));
        }
    }
    for (name, v) in [("var_a", var_a), ("var_b", var_b)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::param(
                name,
                v,
                "a variance must be finite and non-negative (pass the sample variance, ddof = 1)",
            ));
        }
    }
    if n_a < 2 || n_b < 2 {
        return Err(too_few(
            "a mean",
            2,
            n_a,
            n_b,
            "a variance needs two observations; wait for more traffic",
        ));
    }
    let (na, nb) = (n_a as f64, n_b as f64);
    let (va, vb) = (var_a / na, var_b / nb);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return Err(Error::InvalidData(format!(
            "every observation is the same within each variant (control mean {mean_a}, treatment mean {mean_b}, \
             both with zero variance): the t-test is undefined; wait for varied observations"
        )));
    }
    let se = se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let difference = mean_b - mean_a;
    let t = difference / se;
    let dist = StudentsT::new(0.0, 1.0, df)
        .map_err(|e| Error::InvalidData(format!("Welch degrees of freedom {df} unusable: {e}")))?;
    let p_value = (2.0 * dist.sf(t.abs())).min(1.0);
    let crit = t_upper_quantile(&dist, alpha / 2.0);
    Ok(AbTestResult {
        test: "Welch t-test".into(),
        outcome: None,
        n_control: n_a,
        n_treatment: n_b,
        control_mean: mean_a,
        treatment_mean: mean_b,
        difference,
        ci_low: difference - crit * se,
        ci_high: difference + crit * se,
        statistic: t,
        df: Some(df),
        p_value,
        alpha,
        significant: p_value < alpha,
    })
}

/// The `x` with `P(T > x) = upper` (`upper` in (0, 0.5]). statrs' `inverse_cdf` loses
/// precision for large degrees of freedom (3 significant digits at df = 2·10⁶), so its
/// answer is polished by Newton steps on the survival function, which stays accurate.
fn t_upper_quantile(dist: &StudentsT, upper: f64) -> f64 {
    let start = dist.inverse_cdf(1.0 - upper);
    let mut x = if start.is_finite() {
        start
    } else {
        Normal::standard().inverse_cdf(1.0 - upper)
    };
    for _ in 0..50 {
        let density = dist.pdf(x);
        if !(density > 0.0 && density.is_finite()) {
            break;
        }
        let step = (dist.sf(x) - upper) / density;
        if !step.is_finite() {
            break;
        }
        x += step;
        if step.abs() <= 1e-15 * x.abs().max(1.0) {
            break;
        }
    }
    x
}

fn welch_moments(
    control: &Moments,
    treatment: &Moments,
    outcome: AbOutcome,
    alpha: f64,
) -> Result<AbTestResult> {
    let (nc, nt) = (control.count, treatment.count);
    match (control.variance(), treatment.variance()) {
        (Some(vc), Some(vt)) => welch_ttest(control.mean, vc, nc, treatment.mean, vt, nt, alpha),
        _ => Err(too_few(
            outcome.name(),
            2,
            nc,
            nt,
            match outcome {
                AbOutcome::Reward => "record more rewards (record_reward)",
                _ => "feed back more labels (record_outcome)",
            },
        )),
    }
}

/// Test whether `treatment` differs from `control` on `outcome` at level `alpha`.
///
/// # Errors
/// [`Error::InvalidParameter`] for `alpha` outside (0, 1), or an outcome that does not
/// fit the model ([`AbOutcome::Accuracy`] needs classifiers,
/// [`AbOutcome::AbsoluteError`] regressors); [`Error::InvalidData`] when a variant has
/// too few observations (the message says how many are needed) or the statistic is
/// undefined (no variation at all).
pub fn compare(
    control: &MetricsSnapshot,
    treatment: &MetricsSnapshot,
    outcome: AbOutcome,
    alpha: f64,
) -> Result<AbTestResult> {
    check_alpha(alpha)?;
    let mut result = match outcome {
        AbOutcome::Accuracy => {
            let counts = |s: &MetricsSnapshot, side: &str| match &s.outcomes {
                OutcomeSummary::Classes { total, correct, .. } => Ok((*correct, *total)),
                OutcomeSummary::Values { .. } => Err(Error::param(
                    "outcome",
                    "Accuracy",
                    format!("the {side} variant is a regressor: compare regressors on AbsoluteError"),
                )),
            };
            let (ca, na) = counts(control, "control")?;
            let (cb, nb) = counts(treatment, "treatment")?;
            if na < 2 || nb < 2 {
                return Err(too_few(
                    outcome.name(),
                    2,
                    na,
                    nb,
                    "feed back more labels (record_outcome)",
                ));
            }
            two_proportion_ztest(ca, na, cb, nb, alpha)?
        }
        AbOutcome::ErrorRate => two_proportion_ztest(
            control.errors,
            control.requests,
            treatment.errors,
            treatment.requests,
            alpha,
        )?,
        AbOutcome::Reward => welch_moments(&control.rewards, &treatment.rewards, outcome, alpha)?,
        AbOutcome::AbsoluteError => {
            let errors = |s: &MetricsSnapshot, side: &str| match &s.outcomes {
                OutcomeSummary::Values { abs_error, .. } => Ok(*abs_error),
                OutcomeSummary::Classes { .. } => Err(Error::param(
                    "outcome",
                    "AbsoluteError",
                    format!("the {side} variant is a classifier: compare classifiers on Accuracy"),
                )),
            };
            welch_moments(
                &errors(control, "control")?,
                &errors(treatment, "treatment")?,
                outcome,
                alpha,
            )?
        }
    };
    result.outcome = Some(outcome);
    Ok(result)
}
