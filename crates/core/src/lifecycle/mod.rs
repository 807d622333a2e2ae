//! The loop that ties the rest together: watch the champion for drift and decay,
//! retrain on a point-in-time training set up to now, gate the candidate against the
//! champion, register it, run it as a canary, and promote it or roll it back on the
//! canary's live evidence. Every decision is logged with its reason.
//!
//! [`Lifecycle::step`] is one turn of the loop, so a scheduler, cron or CI job drives
//! it; [`Lifecycle::simulate`] replays a historical stream through the router and the
//! loop for testing a policy before it runs for real.
//!
//! What a step does depends on the state:
//!
//! | state | step |
//! |---|---|
//! | no champion | train on everything up to now, gate on absolute thresholds, register, make it champion |
//! | stable | test the window against the champion's reference profile (drift) and score the champion on the window's labelled rows (decay); if either trips the policy, retrain → gate against the champion on the same held-out rows → register → canary |
//! | canary | (a canary resumed by a new process, with nothing served through its router yet: replay the source's labelled rows since the canary started through the router by routing key first) judge the canary's live evidence with the rollback policy (traffic drifting from the candidate's training data counts against it only when it drifts less from the champion's: a change in the world is no fault of the model retrained for it): roll back (alias and router) with the reasons, promote (alias by compare-and-swap, router pointer swap), or wait |

mod report;
mod source;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, TimestampMicrosecondArray};
use arrow::compute::{filter_record_batch, take_record_batch};
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

pub use report::{Decision, DecisionKind, Timeline};
pub use source::{FnSource, StoreSource, TrainingData, TrainingSource};

use crate::data::Value;
use crate::drift::{DriftDetector, DriftOptions, DriftTest, Profile};
use crate::error::{Error, Result};
use crate::pipeline::{FittedPipeline, Pipeline};
use crate::registry::{Expected, ModelMetadata, ModelRegistry, ModelVersion};
use crate::serve::{DriftEvidence, PolicyAction, Role, RollbackPolicy, Router, ServedModel};
use crate::validate::gate::{evaluate_pipeline, Gate, MetricSet};

/// The alias of the model in production.
pub const CHAMPION: &str = "champion";
/// The alias of a candidate under canary.
pub const CHALLENGER: &str = "challenger";

/// The version tag holding the time (µs since the epoch, the step's `now`) of the step
/// that registered it: a canary resumed by a new process takes its evidence from then.
pub const STEP_TAG: &str = "lifecycle_step_micros";

/// The version tag holding the canary fraction the loop runs it at: a service following
/// the `challenger` alias (`ferrops serve --canary challenger`) and a resumed loop use
/// it, so that every process routes a key to the same variant.
pub const CANARY_FRACTION_TAG: &str = "lifecycle_canary_fraction";

/// When to retrain, how to evaluate, and how to run the canary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecyclePolicy {
    /// Retrain when the window drifts from the champion's reference profile.
    pub retrain_on_drift: bool,
    /// Fewest window rows for a drift test (smaller windows are not tested).
    pub min_drift_rows: usize,
    /// Options of the drift test (tests, thresholds, share of drifted columns). The
    /// default tests numeric columns by effect size rather than p-value, so that small
    /// windows do not raise false alarms: Wasserstein distance of at least 0.25
    /// reference standard deviations (categorical columns: the automatic rule); the
    /// dataset drifts when half the columns do.
    pub drift: DriftOptions,
    /// Retrain when the champion's `decay_metric` on the window's labelled rows falls
    /// below this value.
    pub min_metric: Option<f64>,
    /// Retrain when the champion's `decay_metric` on the window falls more than this
    /// below the value registered with it (absolute).
    pub max_metric_drop: Option<f64>,
    /// The metric watched for decay (scikit-learn name: `accuracy`, `r2`, `mae`…; for
    /// errors such as `mae`, "below" means worse, so use a gate-style metric).
    pub decay_metric: String,
    /// Fewest labelled window rows to score the champion.
    pub min_labelled_rows: usize,
    /// The metrics computed for the gate and recorded with each version.
    pub metrics: Vec<String>,
    /// The most recent share of the training set (by label time) held out to evaluate
    /// the candidate and the champion on the same rows.
    pub holdout_fraction: f64,
    /// Share of traffic the canary gets.
    pub canary_fraction: f64,
    /// When to roll the canary back, and when it has earned promotion
    /// ([`RollbackPolicy::promote_after`]).
    pub rollback: RollbackPolicy,
    /// Least time between two retrainings (µs).
    pub cooldown_micros: i64,
    /// The routing-key column (a user or customer id) of the training source's rows.
    /// When a step replays the labelled rows since a canary started to judge it
    /// (nothing was served through the loop's router since: a cron run resumed it),
    /// each row goes to the variant its key went to in the service; without it rows are
    /// split by count.
    pub key_column: Option<String>,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        LifecyclePolicy {
            retrain_on_drift: true,
            min_drift_rows: 100,
            drift: DriftOptions {
                numeric_test: Some(DriftTest::WassersteinNormed),
                test_thresholds: [(DriftTest::WassersteinNormed, 0.25)].into_iter().collect(),
                ..DriftOptions::default()
            },
            min_metric: None,
            max_metric_drop: Some(0.05),
            decay_metric: "accuracy".into(),
            min_labelled_rows: 50,
            metrics: vec!["accuracy".into()],
            holdout_fraction: 0.2,
            canary_fraction: 0.2,
            rollback: RollbackPolicy::new()
                .min_requests(200)
                .max_metric_drop(crate::serve::PolicyMetric::Accuracy, 0.05, 100)
                .promote_after(400),
            cooldown_micros: 0,
            key_column: None,
        }
    }
}

impl LifecyclePolicy {
    /// Check ranges.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if !(self.holdout_fraction > 0.0 && self.holdout_fraction < 1.0) {
            return Err(Error::param(
                "holdout_fraction",
                self.holdout_fraction,
                "must be in (0, 1)",
            ));
        }
        if !(self.canary_fraction > 0.0 && self.canary_fraction <= 1.0) {
            return Err(Error::param(
                "canary_fraction",
                self.canary_fraction,
                "must be in (0, 1]",
            ));
        }
        if self.metrics.is_empty() {
            return Err(Error::param(
                "metrics",
                "[]",
                "name at least one metric to evaluate candidates with",
            ));
        }
        if self.cooldown_micros < 0 {
            return Err(Error::param(
                "cooldown_micros",
                self.cooldown_micros,
                "must be >= 0",
            ));
        }
        self.drift.validate()?;
        self.rollback.validate()
    }
}

/// Where the loop is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// No champion yet.
    Empty,
    /// A champion serves alone.
    Stable {
        /// Its version.
        champion: u64,
    },
    /// A candidate runs as a canary beside the champion.
    Canary {
        /// The champion's version.
        champion: u64,
        /// The candidate's version.
        candidate: u64,
        /// When the canary started (µs).
        since_micros: i64,
    },
}

/// The retraining loop of one model. See the [module documentation](self).
pub struct Lifecycle {
    registry: ModelRegistry,
    model: String,
    pipeline: Pipeline,
    target: String,
    source: Box<dyn TrainingSource>,
    gate: Gate,
    policy: LifecyclePolicy,
    router: Option<Arc<Router>>,
    state: State,
    last_retrain_micros: Option<i64>,
    /// The running canary's evidence is replayed from the source (nothing was served
    /// through the router): up to when it has been (so each step adds only newer rows),
    /// and the router's request count right after (more later means the caller now
    /// serves through the router: live evidence from then on, nothing replayed twice).
    replayed_until: Option<(i64, u64)>,
    timeline: Timeline,
    steps: u64,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("model", &self.model)
            .field("state", &self.state)
            .field("decisions", &self.timeline.decisions.len())
            .finish()
    }
}

fn micros_column(table: &RecordBatch, column: &str) -> Result<Vec<Option<i64>>> {
    let array = crate::data::table::column(table, column)?;
    let values: Vec<Option<i64>> = match array.data_type() {
        DataType::Timestamp(unit, _) => {
            let cast = arrow::compute::cast(array, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            let ts = cast
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .ok_or_else(|| Error::column_type(column, "a timestamp", format!("{unit:?}")))?;
            ts.iter().collect()
        }
        DataType::Int64 => {
            let ints = array
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| Error::column_type(column, "timestamps or int64 µs", array.data_type()))?;
            ints.iter().collect()
        }
        other => return Err(Error::column_type(column, "timestamps or int64 µs", other)),
    };
    Ok(values)
}

fn drop_columns(table: &RecordBatch, drop: &[&str]) -> Result<RecordBatch> {
    let keep: Vec<usize> = table
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !drop.contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    Ok(table.project(&keep)?)
}

impl Lifecycle {
    /// The loop for model `model` in `registry`: fit `pipeline` on `target` from the
    /// tables `source` gives, gate candidates with `gate`, decide with `policy`.
    ///
    /// If the registry already has a champion for `model`, the loop starts from it
    /// (and its router serves it); if it also has a `challenger` (a canary started by
    /// an earlier run), the canary goes on: the router serves it beside the champion and
    /// the next step judges it (on the window's rows, replayed through the router when
    /// nothing was served through it, see [`step`](Self::step)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid policy; registry errors.
    pub fn new(
        registry: ModelRegistry,
        model: &str,
        pipeline: Pipeline,
        target: &str,
        source: Box<dyn TrainingSource>,
        gate: Gate,
        policy: LifecyclePolicy,
    ) -> Result<Lifecycle> {
        policy.validate()?;
        crate::store::names::check_name("model", model)?;
        let mut lifecycle = Lifecycle {
            registry,
            model: model.to_string(),
            pipeline,
            target: target.to_string(),
            source,
            gate,
            policy,
            router: None,
            state: State::Empty,
            last_retrain_micros: None,
            replayed_until: None,
            timeline: Timeline::new(model),
            steps: 0,
        };
        let champion = match lifecycle.registry.models()?.iter().any(|m| m == model) {
            true => lifecycle.registry.alias(model, CHAMPION)?,
            false => None,
        };
        if let Some(v) = champion {
            let served = lifecycle.registry.load_served(model, CHAMPION)?;
            let router = Arc::new(Router::new(served));
            lifecycle.state = State::Stable { champion: v };
            // A canary started by an earlier run (a cron job's last step) goes on.
            let challenger = lifecycle.registry.alias(model, CHALLENGER)?;
            if let Some(candidate) = challenger.filter(|c| *c != v) {
                let served = lifecycle.registry.load_served(model, &candidate.to_string())?;
                let tags = lifecycle.registry.version(model, candidate)?.tags;
                // The fraction it started at (the policy may have changed since).
                let fraction = tags
                    .get(CANARY_FRACTION_TAG)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(lifecycle.policy.canary_fraction);
                router.start_canary(served, fraction)?;
                // The step's time, as the loop's clock (which a simulation sets) saw it;
                // else when the alias was set.
                let tagged = tags.get(STEP_TAG).and_then(|t| t.parse::<i64>().ok());
                let since_micros = match tagged {
                    Some(t) => t,
                    None => lifecycle
                        .registry
                        .history(model, Some(CHALLENGER))?
                        .last()
                        .map_or(0, |e| e.at_micros),
                };
                lifecycle.state = State::Canary {
                    champion: v,
                    candidate,
                    since_micros,
                };
            }
            lifecycle.router = Some(router);
        }
        Ok(lifecycle)
    }

    /// The state of the loop.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The router serving the champion (and the canary); `None` before the first model.
    pub fn router(&self) -> Option<&Arc<Router>> {
        self.router.as_ref()
    }

    /// Every decision so far.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The registry.
    pub fn registry(&self) -> &ModelRegistry {
        &self.registry
    }

    fn decide(&mut self, at: i64, kind: DecisionKind, version: Option<u64>, reason: String) {
        self.decide_with(at, kind, version, reason, BTreeMap::new());
    }

    fn decide_with(
        &mut self,
        at: i64,
        kind: DecisionKind,
        version: Option<u64>,
        reason: String,
        metrics: BTreeMap<String, f64>,
    ) {
        self.timeline.decisions.push(Decision {
            step: self.steps,
            at_micros: at,
            kind,
            version,
            reason,
            metrics,
        });
    }

    /// One turn of the loop at time `now_micros`, given the window of serving data
    /// seen since the last step (`None`: nothing new). The window holds the
    /// pipeline's input columns and, where known, the target column (labelled rows
    /// score the champion for decay). Returns the decisions this step made.
    ///
    /// # Errors
    /// Training, registry or store errors. A failure leaves the registry and the
    /// router as they were before the failing action (every change is one atomic
    /// alias move or pointer swap), and the error is logged in the timeline.
    pub fn step(&mut self, now_micros: i64, window: Option<&RecordBatch>) -> Result<Vec<Decision>> {
        self.steps += 1;
        let first = self.timeline.decisions.len();
        let result = match self.state.clone() {
            State::Empty => self.bootstrap(now_micros),
            State::Stable { champion } => self.watch(now_micros, champion, window),
            State::Canary {
                champion,
                candidate,
                since_micros,
            } => self.judge_canary(now_micros, champion, candidate, since_micros, window),
        };
        if let Err(e) = &result {
            self.decide(now_micros, DecisionKind::Error, None, e.to_string());
        }
        result?;
        Ok(self
            .timeline
            .decisions
            .get(first..)
            .map(<[Decision]>::to_vec)
            .unwrap_or_default())
    }

    /// Train on everything up to `now`, gate on absolute thresholds, register, promote.
    fn bootstrap(&mut self, now: i64) -> Result<()> {
        let candidate = self.train(now)?;
        let report = self.gate.evaluate(&candidate.metrics, None)?;
        if !report.passed {
            let reasons = gate_reasons(&report);
            self.decide_with(
                now,
                DecisionKind::GateFailed,
                None,
                format!("first model refused by the gate: {reasons}"),
                to_map(&candidate.metrics),
            );
            return Ok(());
        }
        let version = self.register(&candidate, "bootstrap", now)?;
        self.registry.set_alias(
            &self.model,
            CHAMPION,
            version.version,
            Expected::Absent,
            "first model (bootstrap)",
        )?;
        let served = ServedModel::new(&self.model, version.version, Arc::new(candidate.fitted));
        self.router = Some(Arc::new(Router::new(served)));
        self.replayed_until = None;
        self.state = State::Stable {
            champion: version.version,
        };
        self.last_retrain_micros = Some(now);
        self.decide_with(
            now,
            DecisionKind::Promoted,
            Some(version.version),
            format!(
                "first model v{} trained on {} rows, passed the gate; now champion",
                version.version, candidate.train_rows
            ),
            version.metrics.clone(),
        );
        Ok(())
    }

    /// The champion's pipeline: the router's copy when it serves version `champion`
    /// (no storage read), else loaded and verified from the registry.
    fn champion_pipeline(&self, champion: u64) -> Result<Arc<FittedPipeline>> {
        if let Some(served) = self.router.as_ref().map(|r| r.champion()) {
            if served.version == champion {
                return Ok(served.pipeline);
            }
        }
        Ok(Arc::new(self.registry.load(&self.model, &champion.to_string())?))
    }

    /// Stable: test for drift and decay; retrain and start a canary if the policy says so.
    fn watch(&mut self, now: i64, champion: u64, window: Option<&RecordBatch>) -> Result<()> {
        let mut triggers = Vec::new();
        if let Some(window) = window.filter(|w| w.num_rows() > 0) {
            if let Some(reason) = self.check_drift(now, champion, window)? {
                triggers.push(reason);
            }
            if let Some(reason) = self.check_decay(now, champion, window)? {
                triggers.push(reason);
            }
        }
        if triggers.is_empty() {
            self.decide(
                now,
                DecisionKind::Stable,
                Some(champion),
                "no drift, no decay".into(),
            );
            return Ok(());
        }
        if let Some(last) = self.last_retrain_micros {
            if now - last < self.policy.cooldown_micros {
                self.decide(
                    now,
                    DecisionKind::Stable,
                    Some(champion),
                    format!("{}; retraining waits for the cooldown", triggers.join("; ")),
                );
                return Ok(());
            }
        }
        self.retrain(now, champion, &triggers.join("; "))
    }

    fn check_drift(&mut self, now: i64, champion: u64, window: &RecordBatch) -> Result<Option<String>> {
        if !self.policy.retrain_on_drift || window.num_rows() < self.policy.min_drift_rows {
            return Ok(None);
        }
        let Some(profile) = self.registry.load_profile(&self.model, &champion.to_string())? else {
            return Ok(None);
        };
        let report = self.drift_report(&profile, window)?;
        let drifted = report.drifted_columns().join(", ");
        let share = report.drifted_share;
        if report.dataset_drifted {
            let reason = format!(
                "drift: {drifted} ({:.0} % of columns, threshold {:.0} %)",
                share * 100.0,
                report.share_threshold * 100.0
            );
            self.decide(now, DecisionKind::DriftDetected, Some(champion), reason.clone());
            return Ok(Some(reason));
        }
        Ok(None)
    }

    fn drift_report(&self, profile: &Profile, window: &RecordBatch) -> Result<crate::drift::DriftReport> {
        let mut options = self.policy.drift.clone();
        if options.columns.is_none() {
            let window_schema = window.schema();
            let shared: Vec<String> = profile
                .column_names()
                .into_iter()
                .filter(|c| *c != self.target && window_schema.index_of(c).is_ok())
                .map(str::to_string)
                .collect();
            options.columns = Some(shared);
        }
        DriftDetector::from_profile(profile, options)?.run(window)
    }

    fn check_decay(&mut self, now: i64, champion: u64, window: &RecordBatch) -> Result<Option<String>> {
        if self.policy.min_metric.is_none() && self.policy.max_metric_drop.is_none() {
            return Ok(None);
        }
        let Ok(target_index) = window.schema().index_of(&self.target) else {
            return Ok(None);
        };
        let labelled = labelled_rows(window, target_index)?;
        if labelled.num_rows() < self.policy.min_labelled_rows {
            return Ok(None);
        }
        let fitted = self.champion_pipeline(champion)?;
        let metric = self.policy.decay_metric.clone();
        let live = evaluate_pipeline(&fitted, &labelled, &[metric.as_str()], &[] as &[&str], 0)?
            .overall
            .metrics
            .get(&metric);
        let Some(live) = live else { return Ok(None) };
        let registered = self
            .registry
            .version(&self.model, champion)?
            .metrics
            .get(&metric)
            .copied();
        let mut why = Vec::new();
        if let Some(min) = self.policy.min_metric {
            if live < min {
                why.push(format!(
                    "{metric} {live:.4} on {} labelled rows is below {min}",
                    labelled.num_rows()
                ));
            }
        }
        if let (Some(drop), Some(reg)) = (self.policy.max_metric_drop, registered) {
            if reg - live > drop {
                why.push(format!(
                    "{metric} {live:.4} on {} labelled rows is {:.4} below the {reg:.4} registered (limit {drop})",
                    labelled.num_rows(),
                    reg - live
                ));
            }
        }
        if why.is_empty() {
            return Ok(None);
        }
        let reason = format!("decay: {}", why.join("; "));
        let mut metrics = BTreeMap::new();
        metrics.insert(metric, live);
        self.decide_with(
            now,
            DecisionKind::DecayDetected,
            Some(champion),
            reason.clone(),
            metrics,
        );
        Ok(Some(reason))
    }

    /// Retrain, gate against the champion on the same held-out rows, register, canary.
    fn retrain(&mut self, now: i64, champion: u64, trigger: &str) -> Result<()> {
        self.last_retrain_micros = Some(now);
        let candidate = self.train(now)?;
        let champion_fitted = self.champion_pipeline(champion)?;
        let metric_names: Vec<&str> = self.policy.metrics.iter().map(String::as_str).collect();
        let baseline = evaluate_pipeline(
            &champion_fitted,
            &candidate.holdout,
            &metric_names,
            &[] as &[&str],
            0,
        )?
        .overall
        .metrics;
        let report = self.gate.evaluate(&candidate.metrics, Some(&baseline))?;
        let mut metrics = to_map(&candidate.metrics);
        for (k, v) in baseline.iter() {
            metrics.insert(format!("champion_{k}"), v);
        }
        if !report.passed {
            let reasons = gate_reasons(&report);
            self.decide_with(
                now,
                DecisionKind::GateFailed,
                None,
                format!(
                    "retrained ({trigger}) on {} rows; the gate refused it against v{champion}: {reasons}",
                    candidate.train_rows
                ),
                metrics,
            );
            return Ok(());
        }
        let version = self.register(&candidate, trigger, now)?;
        self.start_canary(
            now,
            champion,
            version,
            &format!("retrained ({trigger}); passed the gate against v{champion}"),
            metrics,
        )
    }

    fn start_canary(
        &mut self,
        now: i64,
        champion: u64,
        version: ModelVersion,
        reason: &str,
        metrics: BTreeMap<String, f64>,
    ) -> Result<()> {
        let router = self
            .router
            .clone()
            .ok_or_else(|| Error::InvalidData("no router: the loop has no champion yet".into()))?;
        self.registry
            .set_alias(&self.model, CHALLENGER, version.version, Expected::Any, reason)?;
        let fitted = self.registry.load_version(&version)?;
        router.start_canary(
            ServedModel::new(&self.model, version.version, Arc::new(fitted)),
            self.policy.canary_fraction,
        )?;
        self.replayed_until = None;
        self.state = State::Canary {
            champion,
            candidate: version.version,
            since_micros: now,
        };
        self.decide_with(
            now,
            DecisionKind::CanaryStarted,
            Some(version.version),
            format!(
                "{reason}; canary on {:.0} % of traffic",
                self.policy.canary_fraction * 100.0
            ),
            metrics,
        );
        Ok(())
    }

    /// Offer a candidate fitted elsewhere (a data scientist's model, a hotfix): it is
    /// gated against the champion on `holdout` (labelled rows), registered and run as a
    /// canary like a retrained one. The loop must be stable.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if no champion serves or a canary already runs; evaluation
    /// and registry errors.
    pub fn propose(
        &mut self,
        now_micros: i64,
        fitted: FittedPipeline,
        holdout: &RecordBatch,
        reason: &str,
    ) -> Result<Vec<Decision>> {
        self.steps += 1;
        let first = self.timeline.decisions.len();
        let State::Stable { champion } = self.state else {
            return Err(Error::InvalidData(format!(
                "a candidate can be proposed only while a champion serves alone (the loop is {:?})",
                self.state
            )));
        };
        let metric_names: Vec<&str> = self.policy.metrics.iter().map(String::as_str).collect();
        let evaluate = |p: &FittedPipeline| -> Result<MetricSet> {
            Ok(evaluate_pipeline(p, holdout, &metric_names, &[] as &[&str], 0)?
                .overall
                .metrics)
        };
        let champion_fitted = self.champion_pipeline(champion)?;
        let baseline = evaluate(&champion_fitted)?;
        let candidate_metrics = evaluate(&fitted)?;
        let report = self.gate.evaluate(&candidate_metrics, Some(&baseline))?;
        let mut metrics = to_map(&candidate_metrics);
        for (k, v) in baseline.iter() {
            metrics.insert(format!("champion_{k}"), v);
        }
        if !report.passed {
            self.decide_with(
                now_micros,
                DecisionKind::GateFailed,
                None,
                format!(
                    "proposed ({reason}); the gate refused it against v{champion}: {}",
                    gate_reasons(&report)
                ),
                metrics,
            );
        } else {
            let version = self.registry.register(
                &self.model,
                &fitted,
                ModelMetadata::new()
                    .metrics(candidate_metrics.iter().map(|(k, v)| (k.to_string(), v)))
                    .tag("trigger", format!("proposed: {reason}"))
                    .tag(STEP_TAG, now_micros.to_string())
                    .tag(CANARY_FRACTION_TAG, self.policy.canary_fraction.to_string()),
            )?;
            self.start_canary(
                now_micros,
                champion,
                version,
                &format!("proposed ({reason}); passed the gate against v{champion}"),
                metrics,
            )?;
        }
        Ok(self
            .timeline
            .decisions
            .get(first..)
            .map(<[Decision]>::to_vec)
            .unwrap_or_default())
    }

    /// Drift evidence against a canary: the window tested against the candidate's
    /// training profile. Traffic that drifts from the candidate's training data as much
    /// as (or more than) from the champion's is a change in the world, not a fault of
    /// the candidate, which may well be the better fit: that drift is reported but not
    /// held against it (else a retrained model would be rolled back for the very change
    /// it was trained to follow, and the decayed champion kept).
    fn canary_drift(
        &self,
        champion: u64,
        candidate: u64,
        window: &RecordBatch,
    ) -> Result<Option<DriftEvidence>> {
        let Some(profile) = self.registry.load_profile(&self.model, &candidate.to_string())? else {
            return Ok(None);
        };
        let report = self.drift_report(&profile, window)?;
        let evidence = DriftEvidence::from(&report);
        if !report.dataset_drifted {
            return Ok(Some(evidence));
        }
        let Some(champion_profile) = self.registry.load_profile(&self.model, &champion.to_string())? else {
            return Ok(Some(evidence));
        };
        let baseline = self.drift_report(&champion_profile, window)?;
        if baseline.drifted_share >= report.drifted_share {
            return Ok(Some(DriftEvidence {
                drifted: false,
                detail: format!(
                    "traffic drifts from the candidate's training data (share {:.3}) but no less from the champion's \
                     (share {:.3}): not held against the candidate",
                    report.drifted_share, baseline.drifted_share
                ),
            }));
        }
        Ok(Some(DriftEvidence {
            drifted: true,
            detail: format!(
                "{} vs the candidate's training data (the champion's: share {:.3})",
                evidence.detail, baseline.drifted_share
            ),
        }))
    }

    /// Replay the evidence of a canary nothing was served through: the source's
    /// labelled rows from `since` to `now` when it orders rows in time (so evidence
    /// accumulates over runs), else the window. Returns what was replayed, for the
    /// decision's reason.
    fn replay_since(
        &self,
        now: i64,
        since: i64,
        first: bool,
        window: Option<&RecordBatch>,
    ) -> Result<Option<String>> {
        let data = self.source.training_set(now)?;
        let (rows, what, skip) = match &data.time_column {
            Some(time) => {
                let times = micros_column(&data.table, time)?;
                let mask: arrow::array::BooleanArray = times
                    .iter()
                    .map(|t| Some(t.is_some_and(|t| t > since && t <= now)))
                    .collect();
                let rows = filter_record_batch(&data.table, &mask)?;
                let what = format!(
                    "the {} labelled rows since {} (from the training source)",
                    rows.num_rows(),
                    if first {
                        "the canary started"
                    } else {
                        "the last step"
                    }
                );
                (rows, what, Some(time.as_str()))
            }
            None => match window {
                Some(w) => (w.clone(), format!("the window's {} rows", w.num_rows()), None),
                None => return Ok(None),
            },
        };
        if rows.num_rows() == 0 {
            return Ok(None);
        }
        let keys = match &self.policy.key_column {
            Some(k) => key_values(&rows, k)?,
            None => vec![None; rows.num_rows()],
        };
        self.serve_window(&rows, &keys, skip)?;
        Ok(Some(format!(
            "{what} replayed through the router (nothing was served through it since the canary started)"
        )))
    }

    /// Canary: roll back, promote, or wait, on the live evidence.
    fn judge_canary(
        &mut self,
        now: i64,
        champion: u64,
        candidate: u64,
        since_micros: i64,
        window: Option<&RecordBatch>,
    ) -> Result<()> {
        let router = self
            .router
            .clone()
            .ok_or_else(|| Error::InvalidData("no router".into()))?;
        // Nothing served through this router since the canary started (a new process
        // resumed it, or the caller serves elsewhere): the labelled rows since the
        // canary started are the evidence, routed as the service routed them (by key)
        // and their labels fed back.
        let requests = |router: &Router| -> u64 { router.metrics().iter().map(|r| r.metrics.requests).sum() };
        let unserved = router
            .metrics()
            .iter()
            .filter(|r| r.role == Role::Canary)
            .all(|r| r.metrics.requests == 0);
        let from = match self.replayed_until {
            Some((until, count)) if requests(&router) == count => Some((until, false)),
            Some(_) => None,
            None if unserved => Some((since_micros, true)),
            None => None,
        };
        let replayed = match from {
            Some((from, first)) => {
                let what = self.replay_since(now, from, first, window)?;
                self.replayed_until = Some((now, requests(&router)));
                what
            }
            None => {
                self.replayed_until = None;
                None
            }
        };
        let drift = match window.filter(|w| w.num_rows() >= self.policy.min_drift_rows) {
            Some(w) if self.policy.rollback.rollback_on_drift => self.canary_drift(champion, candidate, w)?,
            _ => None,
        };
        let decision = router.check(&self.policy.rollback, drift)?;
        let reasons = replayed
            .into_iter()
            .chain(decision.reasons.iter().cloned())
            .collect::<Vec<_>>()
            .join("; ");
        match decision.action {
            PolicyAction::Continue => {
                self.decide(now, DecisionKind::CanaryWaiting, Some(candidate), reasons);
            }
            PolicyAction::Rollback => {
                router.rollback(&reasons)?;
                self.registry.delete_alias(
                    &self.model,
                    CHALLENGER,
                    Expected::Version(candidate),
                    &format!("canary rolled back: {reasons}"),
                )?;
                self.replayed_until = None;
                self.state = State::Stable { champion };
                self.decide(
                    now,
                    DecisionKind::RolledBack,
                    Some(candidate),
                    format!("canary v{candidate} rolled back: {reasons}"),
                );
            }
            PolicyAction::Promote => {
                self.registry.set_alias(
                    &self.model,
                    CHAMPION,
                    candidate,
                    Expected::Version(champion),
                    &format!("canary promoted: {reasons}"),
                )?;
                router.promote()?;
                self.registry.delete_alias(
                    &self.model,
                    CHALLENGER,
                    Expected::Version(candidate),
                    "promoted to champion",
                )?;
                self.replayed_until = None;
                self.state = State::Stable { champion: candidate };
                self.decide(
                    now,
                    DecisionKind::Promoted,
                    Some(candidate),
                    format!("canary v{candidate} promoted over v{champion}: {reasons}"),
                );
            }
        }
        Ok(())
    }

    /// Roll the champion back to its previous version now (alias and router), e.g. on
    /// an incident; returns the decision.
    ///
    /// # Errors
    /// As [`ModelRegistry::rollback`]; [`Error::InvalidData`] during a canary (roll the
    /// canary back first by stepping, or it is judged on the next step).
    pub fn rollback_champion(&mut self, now_micros: i64, reason: &str) -> Result<Decision> {
        let State::Stable { champion } = self.state else {
            return Err(Error::InvalidData(
                "a canary is running: it is judged on the next step; roll back the champion after it ends"
                    .into(),
            ));
        };
        let event = self.registry.rollback(&self.model, CHAMPION, reason)?;
        let to = event
            .to
            .ok_or_else(|| Error::InvalidData("the champion alias would be left unset".into()))?;
        let router = self
            .router
            .clone()
            .ok_or_else(|| Error::InvalidData("no router".into()))?;
        // Within the bake window the previous champion is still loaded: a pointer swap.
        if router.rollback(reason).is_err() {
            router.switch(self.registry.load_served(&self.model, &to.to_string())?)?;
        }
        self.replayed_until = None;
        self.state = State::Stable { champion: to };
        self.decide(
            now_micros,
            DecisionKind::RolledBack,
            Some(to),
            format!("champion v{champion} rolled back to v{to}: {reason}"),
        );
        self.timeline
            .decisions
            .last()
            .cloned()
            .ok_or_else(|| Error::InvalidData("no decision".into()))
    }

    /// Replay `stream` (sorted by `time_column`) in windows of `step_micros`: each
    /// window's rows are served one by one through the router (sticky by `key_column`),
    /// labels, where present, are fed back as outcomes, then [`step`](Lifecycle::step)
    /// runs at the window's end. The first step (with an empty loop) trains on the data
    /// before the stream's start.
    ///
    /// # Errors
    /// As [`step`](Lifecycle::step); [`Error::ColumnNotFound`] for a missing time or key column.
    pub fn simulate(
        &mut self,
        stream: &RecordBatch,
        time_column: &str,
        key_column: Option<&str>,
        step_micros: i64,
    ) -> Result<&Timeline> {
        if step_micros <= 0 {
            return Err(Error::param("step_micros", step_micros, "must be > 0"));
        }
        let times = micros_column(stream, time_column)?;
        let Some(&start) = times.iter().flatten().min() else {
            return Err(Error::EmptyInput {
                context: "the stream has no timestamped rows".into(),
            });
        };
        let end = times.iter().flatten().max().copied().unwrap_or(start);
        if self.state == State::Empty {
            self.step(start, None)?;
        }
        let keys = key_column.map(|k| key_values(stream, k)).transpose()?;
        let mut window_start = start;
        while window_start <= end {
            let window_end = window_start.saturating_add(step_micros);
            let rows: Vec<u32> = times
                .iter()
                .enumerate()
                .filter(|(_, t)| t.is_some_and(|t| t >= window_start && t < window_end))
                .map(|(i, _)| i as u32)
                .collect();
            let window = take_record_batch(stream, &arrow::array::UInt32Array::from(rows.clone()))?;
            let window_keys: Vec<Option<String>> = match &keys {
                Some(k) => rows
                    .iter()
                    .map(|&i| k.get(i as usize).cloned().flatten())
                    .collect(),
                None => vec![None; rows.len()],
            };
            self.serve_window(&window, &window_keys, Some(time_column))?;
            self.step(window_end, Some(&drop_columns(&window, &[time_column])?))?;
            window_start = window_end;
        }
        Ok(&self.timeline)
    }

    /// Serve each row through the router and feed its label back (`skip`: a column
    /// that is not a feature, such as the time).
    fn serve_window(&self, window: &RecordBatch, keys: &[Option<String>], skip: Option<&str>) -> Result<()> {
        let Some(router) = &self.router else { return Ok(()) };
        let schema = window.schema();
        let target_index = schema.index_of(&self.target).ok();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        for row in 0..window.num_rows() {
            let mut values: Vec<(&str, Value)> = Vec::with_capacity(names.len());
            let mut actual = None;
            for (i, name) in names.iter().enumerate() {
                let v = crate::data::table::value_at(window.column(i), row)?;
                if Some(i) == target_index {
                    actual = Some(v);
                } else if Some(name.as_str()) != skip {
                    values.push((name.as_str(), v));
                }
            }
            let key = keys.get(row).and_then(|k| k.as_deref());
            let Ok(answer) = router.predict_row(key, &values) else {
                continue; // recorded as an error in the variant's metrics
            };
            if let Some(actual) = actual.filter(|a| !matches!(a, Value::Null)) {
                router.record_outcome(&answer.variant, &answer.prediction, &actual)?;
            }
        }
        Ok(())
    }

    /// Fit a candidate on the training set up to `now`, holding the latest rows out.
    fn train(&self, now: i64) -> Result<Candidate> {
        let data = self.source.training_set(now)?;
        let table = data.table;
        if table.num_rows() < 10 {
            return Err(Error::EmptyInput {
                context: format!(
                    "the training set up to now has {} rows; at least 10 are needed",
                    table.num_rows()
                ),
            });
        }
        let (train, holdout) = match &data.time_column {
            Some(column) => split_by_time(&table, column, self.policy.holdout_fraction)?,
            None => split_tail(&table, self.policy.holdout_fraction)?,
        };
        let drop: Vec<&str> = data.drop_columns.iter().map(String::as_str).collect();
        let train = drop_columns(&train, &drop)?;
        let holdout = drop_columns(&holdout, &drop)?;
        let fitted = self.pipeline.fit(&train, &self.target)?;
        let metric_names: Vec<&str> = self.policy.metrics.iter().map(String::as_str).collect();
        let metrics = evaluate_pipeline(&fitted, &holdout, &metric_names, &[] as &[&str], 0)?
            .overall
            .metrics;
        let features = drop_columns(&train, &[self.target.as_str()])?;
        let profile = Profile::from_batch(&features)?;
        Ok(Candidate {
            fitted,
            metrics,
            holdout,
            profile,
            lineage: data.lineage,
            train_rows: train.num_rows(),
            train_table: train,
        })
    }

    /// Register a candidate, tagged with what triggered it and the step's time
    /// ([`STEP_TAG`]: a resumed canary's evidence starts there).
    fn register(&self, candidate: &Candidate, trigger: &str, now: i64) -> Result<ModelVersion> {
        let mut lineage = candidate.lineage.clone();
        if lineage.training_table.is_none() {
            lineage.training_table = Some(crate::registry::TableFingerprint::of(&candidate.train_table)?);
        }
        self.registry.register(
            &self.model,
            &candidate.fitted,
            ModelMetadata::new()
                .metrics(candidate.metrics.iter().map(|(k, v)| (k.to_string(), v)))
                .tag("trigger", trigger)
                .tag(STEP_TAG, now.to_string())
                .tag(CANARY_FRACTION_TAG, self.policy.canary_fraction.to_string())
                .param("train_rows", candidate.train_rows)
                .lineage(lineage)
                .profile(candidate.profile.clone()),
        )
    }
}

struct Candidate {
    fitted: FittedPipeline,
    metrics: MetricSet,
    holdout: RecordBatch,
    profile: Profile,
    lineage: crate::registry::Lineage,
    train_rows: usize,
    train_table: RecordBatch,
}

fn to_map(metrics: &MetricSet) -> BTreeMap<String, f64> {
    metrics.iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn gate_reasons(report: &crate::validate::gate::GateReport) -> String {
    report
        .failures()
        .map(|c| {
            if c.reason.is_empty() {
                format!("{} {}", c.metric, c.threshold)
            } else {
                format!("{}: {}", c.metric, c.reason)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The routing keys of `table`'s rows: column `column` as text.
fn key_values(table: &RecordBatch, column: &str) -> Result<Vec<Option<String>>> {
    let keys = crate::data::table::column(table, column)?;
    (0..table.num_rows())
        .map(|i| crate::data::table::value_at(keys, i).map(key_text))
        .collect()
}

/// A request key from a cell: text as is, numbers and booleans formatted, null none.
fn key_text(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Str(s) => Some(s),
        Value::Int(i) | Value::Timestamp(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
    }
}

fn labelled_rows(window: &RecordBatch, target: usize) -> Result<RecordBatch> {
    let column: &ArrayRef = window.column(target);
    if column.null_count() == 0 {
        return Ok(window.clone());
    }
    let mask = arrow::compute::is_not_null(column)?;
    Ok(filter_record_batch(window, &mask)?)
}

/// Sort by `column` and hold out the latest `fraction` of rows.
fn split_by_time(table: &RecordBatch, column: &str, fraction: f64) -> Result<(RecordBatch, RecordBatch)> {
    let times = micros_column(table, column)?;
    let mut order: Vec<u32> = (0..table.num_rows() as u32).collect();
    order.sort_by_key(|&i| times.get(i as usize).copied().flatten().unwrap_or(i64::MIN));
    let sorted = take_record_batch(table, &arrow::array::UInt32Array::from(order))?;
    split_tail(&sorted, fraction)
}

fn split_tail(table: &RecordBatch, fraction: f64) -> Result<(RecordBatch, RecordBatch)> {
    let n = table.num_rows();
    let held = ((n as f64 * fraction).round() as usize).clamp(1, n.saturating_sub(1).max(1));
    let cut = n - held;
    Ok((table.slice(0, cut), table.slice(cut, held)))
}
