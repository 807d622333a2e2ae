//! The automatic rollback policy: when the evidence says a candidate is worse than the
//! model it would replace, roll it back.
//!
//! [`Router::check`](super::Router::check) compares, on the router's live metrics:
//! - during a canary or shadow: the candidate against the champion;
//! - during an A/B test: every variant against the control (the first);
//! - after a [`switch`](super::Router::switch) or [`promote`](super::Router::promote),
//!   while the previous champion is in its bake window: the new champion against the
//!   previous one (its metrics from when it served).
//!
//! [`Router::enforce`](super::Router::enforce) performs the rollback the decision asks for.

use serde::{Deserialize, Serialize};

use super::metrics::MetricsSnapshot;
use super::router::{Change, EvidencePair};
use crate::drift::DriftReport;
use crate::error::{Error, Result};

/// An outcome metric the policy can watch once labels or rewards are fed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMetric {
    /// Classification accuracy (higher is better).
    Accuracy,
    /// Mean absolute error (lower is better).
    Mae,
    /// Root mean squared error (lower is better).
    Rmse,
    /// Mean reward (higher is better).
    Reward,
}

impl PolicyMetric {
    fn name(self) -> &'static str {
        match self {
            PolicyMetric::Accuracy => "accuracy",
            PolicyMetric::Mae => "MAE",
            PolicyMetric::Rmse => "RMSE",
            PolicyMetric::Reward => "mean reward",
        }
    }

    fn higher_is_better(self) -> bool {
        matches!(self, PolicyMetric::Accuracy | PolicyMetric::Reward)
    }

    fn value(self, s: &MetricsSnapshot) -> Option<f64> {
        match self {
            PolicyMetric::Accuracy => s.accuracy(),
            PolicyMetric::Mae => s.mae(),
            PolicyMetric::Rmse => s.rmse(),
            PolicyMetric::Reward => s.reward_mean(),
        }
    }

    fn count(self, s: &MetricsSnapshot) -> u64 {
        match self {
            PolicyMetric::Reward => s.rewards.count,
            _ => s.outcome_count(),
        }
    }
}

/// A limit on how much worse a candidate's outcome metric may be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricRule {
    /// The metric.
    pub metric: PolicyMetric,
    /// The largest allowed worsening, absolute (a drop for accuracy and reward, a rise
    /// for MAE and RMSE).
    pub max_drop: f64,
    /// Outcomes each side needs before the rule is judged.
    pub min_outcomes: u64,
}

/// When to roll a candidate back (and, optionally, when it has earned promotion).
///
/// ```
/// use ferrops::serve::{PolicyMetric, RollbackPolicy};
/// let policy = RollbackPolicy::new()
///     .min_requests(1_000)
///     .max_error_rate_increase(0.01) // candidate error rate minus champion's
///     .max_metric_drop(PolicyMetric::Accuracy, 0.02, 200)
///     .max_p99_ratio(1.5)
///     .promote_after(10_000);
/// assert!(policy.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackPolicy {
    /// Requests each side needs before error rate and latency are judged. Default 500.
    pub min_requests: u64,
    /// The largest allowed error-rate increase, absolute (candidate minus baseline).
    /// Default 0.01.
    pub max_error_rate_increase: Option<f64>,
    /// Outcome-metric limits.
    pub metric_rules: Vec<MetricRule>,
    /// The largest allowed ratio of the candidate's median latency to the baseline's.
    pub max_p50_ratio: Option<f64>,
    /// The largest allowed ratio of the candidate's 99th-percentile latency to the baseline's.
    pub max_p99_ratio: Option<f64>,
    /// Roll back when drift is reported. Default true.
    pub rollback_on_drift: bool,
    /// Recommend promotion once a canary or shadow candidate has this many requests and
    /// every check passed with enough evidence. Default: never (`None`).
    pub promote_after: Option<u64>,
}

impl Default for RollbackPolicy {
    fn default() -> Self {
        RollbackPolicy {
            min_requests: 500,
            max_error_rate_increase: Some(0.01),
            metric_rules: Vec::new(),
            max_p50_ratio: None,
            max_p99_ratio: None,
            rollback_on_drift: true,
            promote_after: None,
        }
    }
}

impl RollbackPolicy {
    /// The default policy (see the fields).
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests each side needs before error rate and latency are judged.
    pub fn min_requests(mut self, n: u64) -> Self {
        self.min_requests = n;
        self
    }

    /// The largest allowed error-rate increase (absolute, candidate minus baseline).
    pub fn max_error_rate_increase(mut self, increase: f64) -> Self {
        self.max_error_rate_increase = Some(increase);
        self
    }

    /// Do not judge error rates.
    pub fn ignore_error_rate(mut self) -> Self {
        self.max_error_rate_increase = None;
        self
    }

    /// Limit how much worse `metric` may be (absolute), judged once both sides have
    /// `min_outcomes` outcomes (rewards, for [`PolicyMetric::Reward`]).
    pub fn max_metric_drop(mut self, metric: PolicyMetric, max_drop: f64, min_outcomes: u64) -> Self {
        self.metric_rules.push(MetricRule {
            metric,
            max_drop,
            min_outcomes,
        });
        self
    }

    /// The largest allowed ratio of median latencies (candidate / baseline).
    pub fn max_p50_ratio(mut self, ratio: f64) -> Self {
        self.max_p50_ratio = Some(ratio);
        self
    }

    /// The largest allowed ratio of 99th-percentile latencies (candidate / baseline).
    pub fn max_p99_ratio(mut self, ratio: f64) -> Self {
        self.max_p99_ratio = Some(ratio);
        self
    }

    /// Whether reported drift triggers a rollback.
    pub fn rollback_on_drift(mut self, yes: bool) -> Self {
        self.rollback_on_drift = yes;
        self
    }

    /// Recommend promotion after `n` candidate requests with every check passed.
    pub fn promote_after(mut self, n: u64) -> Self {
        self.promote_after = Some(n);
        self
    }

    /// Check the limits.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a `min_requests` of 0, an error-rate increase
    /// outside `[0, 1]`, a negative or non-finite metric drop, or a latency ratio that is
    /// not finite and positive.
    pub fn validate(&self) -> Result<()> {
        if self.min_requests == 0 {
            return Err(Error::param(
                "min_requests",
                0,
                "judging needs at least 1 request per side; use e.g. 500",
            ));
        }
        if let Some(x) = self.max_error_rate_increase {
            if !(0.0..=1.0).contains(&x) {
                return Err(Error::param(
                    "max_error_rate_increase",
                    x,
                    "an absolute error-rate difference must be within [0, 1] (0.01 = one point)",
                ));
            }
        }
        for rule in &self.metric_rules {
            if !rule.max_drop.is_finite() || rule.max_drop < 0.0 {
                return Err(Error::param(
                    "max_drop",
                    rule.max_drop,
                    format!(
                        "the allowed worsening of {} must be finite and >= 0",
                        rule.metric.name()
                    ),
                ));
            }
            if rule.min_outcomes == 0 {
                return Err(Error::param(
                    "min_outcomes",
                    0,
                    format!("judging {} needs at least 1 outcome per side", rule.metric.name()),
                ));
            }
        }
        for (name, ratio) in [
            ("max_p50_ratio", self.max_p50_ratio),
            ("max_p99_ratio", self.max_p99_ratio),
        ] {
            if let Some(r) = ratio {
                if !r.is_finite() || r <= 0.0 {
                    return Err(Error::param(
                        name,
                        r,
                        "a latency ratio limit must be finite and > 0 (1.5 = 50 % slower)",
                    ));
                }
            }
        }
        if self.promote_after == Some(0) {
            return Err(Error::param(
                "promote_after",
                0,
                "use a number of candidate requests >= min_requests",
            ));
        }
        Ok(())
    }
}

/// Drift reported to the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftEvidence {
    /// Whether drift was detected.
    pub drifted: bool,
    /// What was found, for the decision's reasons.
    pub detail: String,
}

impl From<bool> for DriftEvidence {
    fn from(drifted: bool) -> Self {
        DriftEvidence {
            drifted,
            detail: if drifted {
                "drift detected".into()
            } else {
                "no drift detected".into()
            },
        }
    }
}

impl From<&DriftReport> for DriftEvidence {
    fn from(report: &DriftReport) -> Self {
        let drifted: Vec<&str> = report
            .columns
            .iter()
            .filter(|c| c.drifted)
            .map(|c| c.column.as_str())
            .collect();
        DriftEvidence {
            drifted: report.dataset_drifted,
            detail: format!(
                "dataset drift {}: {} of {} columns drifted (share {:.3}, threshold {:.3}){}",
                if report.dataset_drifted {
                    "detected"
                } else {
                    "not detected"
                },
                drifted.len(),
                report.columns.len(),
                report.drifted_share,
                report.share_threshold,
                if drifted.is_empty() {
                    String::new()
                } else {
                    format!(": {}", drifted.join(", "))
                }
            ),
        }
    }
}

/// What the policy decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    /// Keep going: not enough evidence yet, or everything within limits.
    Continue,
    /// Roll the candidate back.
    Rollback,
    /// The candidate has enough evidence and passed every check (only with
    /// [`RollbackPolicy::promote_after`]; the caller promotes).
    Promote,
}

/// A policy decision with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDecision {
    /// The action.
    pub action: PolicyAction,
    /// Why, with the numbers: for a rollback the limits broken; otherwise what is still
    /// awaited and the checks that passed.
    pub reasons: Vec<String>,
    /// What was examined (the experiment or bake window).
    pub subject: String,
    /// The change [`Router::enforce`](super::Router::enforce) made, if it rolled back.
    pub change: Option<Change>,
}

/// Judge the evidence.
pub(crate) fn decide(
    policy: &RollbackPolicy,
    pairs: &[EvidencePair],
    promotable: bool,
    subject: String,
    drift: Option<&DriftEvidence>,
) -> PolicyDecision {
    let mut failures = Vec::new();
    let mut waits = Vec::new();
    let mut passes = Vec::new();
    let mut enough_for_promotion = true;
    for pair in pairs {
        judge(policy, pair, &mut failures, &mut waits, &mut passes);
        if let Some(after) = policy.promote_after.filter(|_| promotable) {
            let n = pair.candidate_metrics.requests;
            if n < after {
                enough_for_promotion = false;
                waits.push(format!(
                    "promotion needs {after} requests on {}; it has {n}",
                    pair.candidate
                ));
            }
        }
    }
    let drifted = drift.filter(|d| d.drifted && policy.rollback_on_drift);
    if pairs.is_empty() {
        let mut reasons = vec![format!("nothing to roll back: {subject}")];
        if let Some(d) = drifted {
            reasons.push(format!(
                "{}; no candidate or previous champion to roll back to: retrain",
                d.detail
            ));
        }
        return PolicyDecision {
            action: PolicyAction::Continue,
            reasons,
            subject,
            change: None,
        };
    }
    if let Some(d) = drifted {
        failures.push(d.detail.clone());
    } else if let Some(d) = drift {
        passes.push(d.detail.clone());
    }
    let (action, reasons) = if !failures.is_empty() {
        (PolicyAction::Rollback, failures)
    } else if promotable && policy.promote_after.is_some() && enough_for_promotion && waits.is_empty() {
        (PolicyAction::Promote, passes)
    } else {
        waits.extend(passes);
        (PolicyAction::Continue, waits)
    };
    PolicyDecision {
        action,
        reasons,
        subject,
        change: None,
    }
}

fn judge(
    policy: &RollbackPolicy,
    pair: &EvidencePair,
    failures: &mut Vec<String>,
    waits: &mut Vec<String>,
    passes: &mut Vec<String>,
) {
    let (b, c) = (&pair.baseline_metrics, &pair.candidate_metrics);
    let (bn, cn) = (&pair.baseline, &pair.candidate);
    let n = policy.min_requests;
    if c.requests < n {
        waits.push(format!(
            "waiting for evidence ({} of {n} requests on {cn})",
            c.requests
        ));
    } else if b.requests < n {
        waits.push(format!(
            "waiting for evidence ({} of {n} requests on {bn})",
            b.requests
        ));
    } else {
        if let Some(max) = policy.max_error_rate_increase {
            let (be, ce) = (b.error_rate(), c.error_rate());
            let diff = ce - be;
            let text = format!(
                "error rate of {cn} {ce:.4} vs {bn} {be:.4}: {diff:+.4} (allowed +{max:.4}) over {} and {} requests",
                c.requests, b.requests
            );
            if diff > max {
                failures.push(text);
            } else {
                passes.push(text);
            }
        }
        for (q, limit) in [(0.5, policy.max_p50_ratio), (0.99, policy.max_p99_ratio)] {
            let Some(limit) = limit else { continue };
            let (bl, cl) = (b.latency_quantile(q), c.latency_quantile(q));
            if !(bl > 0.0 && cl.is_finite()) {
                waits.push(format!("latency p{} of {bn} is not measurable yet", q * 100.0));
                continue;
            }
            let ratio = cl / bl;
            let text = format!(
                "latency p{} of {cn} {:.1} µs vs {bn} {:.1} µs: ratio {ratio:.2} (allowed {limit:.2})",
                q * 100.0,
                cl * 1e6,
                bl * 1e6
            );
            if ratio > limit {
                failures.push(text);
            } else {
                passes.push(text);
            }
        }
    }
    for rule in &policy.metric_rules {
        let name = rule.metric.name();
        let (bc, cc) = (rule.metric.count(b), rule.metric.count(c));
        let m = rule.min_outcomes;
        if cc < m || bc < m {
            let (who, have) = if cc < m { (cn, cc) } else { (bn, bc) };
            waits.push(format!(
                "waiting for outcomes ({have} of {m} on {who}) to judge {name}"
            ));
            continue;
        }
        let (Some(bv), Some(cv)) = (rule.metric.value(b), rule.metric.value(c)) else {
            waits.push(format!(
                "{name} is not available for {cn} or {bn} (wrong kind of model or outcome?)"
            ));
            continue;
        };
        let worse = if rule.metric.higher_is_better() {
            bv - cv
        } else {
            cv - bv
        };
        let text = format!(
            "{name} of {cn} {cv:.4} vs {bn} {bv:.4}: {} by {:.4} (allowed worsening {:.4}) over {cc} and {bc} outcomes",
            if worse > 0.0 { "worse" } else { "not worse" },
            worse.abs(),
            rule.max_drop
        );
        if worse > rule.max_drop {
            failures.push(text);
        } else {
            passes.push(text);
        }
    }
}
