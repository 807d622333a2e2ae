//! The [`Router`]: routes each request to one loaded model version.
//!
//! The routing state is one immutable routing table behind an
//! [`ArcSwap`]: a request does one lock-free load and reads everything it needs from
//! that snapshot, so it never sees half of a change. A change (switch, canary, promote,
//! rollback, …) builds a new table and swaps it in atomically; changes are serialised
//! among themselves by a mutex that requests never touch.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use arrow::array::{ArrayRef, Float64Array};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, SecondsFormat, Utc};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::abtest::{self, AbOutcome, AbTestResult};
use super::metrics::{prometheus_text, MetricsSnapshot, SeriesLabels, VariantMetrics};
use super::policy::{decide, DriftEvidence, PolicyAction, PolicyDecision, RollbackPolicy};
use super::ServedModel;
use crate::data::table::value_at;
use crate::data::Value;
use crate::error::{Error, Result};
use crate::train::Predictions;

/// Buckets of the sticky split: a key's bucket is `xxh3_64(key, salt) mod BUCKETS`, so
/// fractions resolve to 0.01 %.
pub const BUCKETS: u64 = 10_000;

/// The default salt of the sticky split (any fixed value works; change it to reshuffle
/// which keys land in a canary).
pub const DEFAULT_SALT: u64 = 0x0066_6572_726f_7073; // "ferrops"

/// Settings of a [`Router`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterOptions {
    /// How long the previous champion stays loaded after [`Router::switch`] or
    /// [`Router::promote`], so that [`Router::rollback`] is a pointer swap. Default 15 min.
    pub bake_window: Duration,
    /// Capacity of the shadow queue: copies of requests waiting for the shadow model.
    /// When it is full, copies are dropped (and counted), never waited for. Default 1024.
    pub shadow_capacity: usize,
    /// Salt of the sticky split hash. Default [`DEFAULT_SALT`].
    pub salt: u64,
}

impl Default for RouterOptions {
    fn default() -> Self {
        RouterOptions {
            bake_window: Duration::from_secs(15 * 60),
            shadow_capacity: 1024,
            salt: DEFAULT_SALT,
        }
    }
}

impl RouterOptions {
    /// Set the bake window.
    pub fn bake_window(mut self, window: Duration) -> Self {
        self.bake_window = window;
        self
    }

    /// Set the shadow queue's capacity (at least 1).
    pub fn shadow_capacity(mut self, capacity: usize) -> Self {
        self.shadow_capacity = capacity;
        self
    }

    /// Set the salt of the sticky split.
    pub fn salt(mut self, salt: u64) -> Self {
        self.salt = salt;
        self
    }
}

/// The part a variant plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The current model: answers every request no experiment takes.
    Champion,
    /// A candidate answering a sticky fraction of the traffic.
    Canary,
    /// A candidate scoring copies of the traffic; its answers are never returned.
    Shadow,
    /// One arm of an A/B test.
    Variant,
}

/// A model's name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// The model's name.
    pub name: String,
    /// Its version.
    pub version: u64,
}

impl ModelRef {
    fn of(model: &ServedModel) -> ModelRef {
        ModelRef {
            name: model.name.clone(),
            version: model.version,
        }
    }
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} v{}", self.name, self.version)
    }
}

/// One loaded model in a routing table, with its metrics.
struct Variant {
    label: Arc<str>,
    role: Role,
    model: ServedModel,
    metrics: Arc<VariantMetrics>,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("label", &self.label)
            .field("role", &self.role)
            .field("model", &ModelRef::of(&self.model))
            .finish_non_exhaustive()
    }
}

impl Variant {
    fn new(label: &str, role: Role, model: ServedModel) -> Arc<Variant> {
        let metrics = Arc::new(VariantMetrics::for_pipeline(&model.pipeline));
        Arc::new(Variant {
            label: Arc::from(label),
            role,
            model,
            metrics,
        })
    }

    /// The same model, label and role with new metrics: an experiment's champion, so
    /// that it is compared with the candidate over the same period.
    fn fresh(&self) -> Arc<Variant> {
        Variant::new(&self.label, self.role, self.model.clone())
    }

    /// The same model and metrics under another label and role.
    fn relabel(&self, label: &str, role: Role) -> Arc<Variant> {
        Arc::new(Variant {
            label: Arc::from(label),
            role,
            model: self.model.clone(),
            metrics: self.metrics.clone(),
        })
    }
}

/// Counters of a shadow rollout.
#[derive(Debug, Default)]
struct ShadowCounters {
    sent: AtomicU64,
    dropped: AtomicU64,
    pending: AtomicU64,
    scored: AtomicU64,
    failed: AtomicU64,
}

/// A copy of a live request for the shadow model.
enum ShadowJob {
    Row { row: Vec<(String, Value)>, live: Value },
    Batch { table: RecordBatch, live: ArrayRef },
}

#[derive(Debug, Clone)]
struct Arm {
    variant: Arc<Variant>,
    weight: f64,
    /// Buckets `[previous upper, upper)` go to this arm.
    upper: u64,
}

#[derive(Debug, Clone)]
enum Mode {
    Single,
    Canary {
        canary: Arc<Variant>,
        fraction: f64,
        threshold: u64,
    },
    Shadow {
        shadow: Arc<Variant>,
        queue: SyncSender<ShadowJob>,
        counters: Arc<ShadowCounters>,
    },
    Ab {
        arms: Vec<Arm>,
    },
}

impl std::fmt::Debug for ShadowJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShadowJob::Row { .. } => f.write_str("ShadowJob::Row"),
            ShadowJob::Batch { table, .. } => write!(f, "ShadowJob::Batch({} rows)", table.num_rows()),
        }
    }
}

#[derive(Debug, Clone)]
struct Previous {
    variant: Arc<Variant>,
    until: Instant,
    until_utc: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Released {
    model: ModelRef,
    at: DateTime<Utc>,
}

/// The routing state: replaced whole on every change.
#[derive(Debug, Clone)]
struct RoutingTable {
    champion: Arc<Variant>,
    mode: Mode,
    previous: Option<Previous>,
    released: Option<Released>,
}

impl RoutingTable {
    fn single(champion: Arc<Variant>) -> RoutingTable {
        RoutingTable {
            champion,
            mode: Mode::Single,
            previous: None,
            released: None,
        }
    }

    /// Release the previous champion if its bake window is over; true if it did.
    fn expire(&mut self, now: Instant) -> bool {
        if let Some(prev) = &self.previous {
            if now >= prev.until {
                self.released = Some(Released {
                    model: ModelRef::of(&prev.variant.model),
                    at: prev.until_utc,
                });
                self.previous = None;
                return true;
            }
        }
        false
    }

    fn describe_mode(&self) -> String {
        match &self.mode {
            Mode::Single => "no experiment".into(),
            Mode::Canary { canary, fraction, .. } => {
                format!(
                    "a canary ({}, {:.2} %)",
                    ModelRef::of(&canary.model),
                    fraction * 100.0
                )
            }
            Mode::Shadow { shadow, .. } => format!("a shadow ({})", ModelRef::of(&shadow.model)),
            Mode::Ab { arms } => format!("an A/B test of {} variants", arms.len()),
        }
    }

    /// Every variant that serves or scores traffic: champion first.
    fn serving(&self) -> Vec<&Arc<Variant>> {
        let mut out = Vec::with_capacity(4);
        match &self.mode {
            Mode::Single => out.push(&self.champion),
            Mode::Canary { canary, .. } => {
                out.push(&self.champion);
                out.push(canary);
            }
            Mode::Shadow { shadow, .. } => {
                out.push(&self.champion);
                out.push(shadow);
            }
            Mode::Ab { arms } => {
                // The champion is kept loaded but answers nothing during an A/B test,
                // unless it is one of the arms.
                out.extend(arms.iter().map(|a| &a.variant));
            }
        }
        out
    }
}

/// Which variant answered a batch request, and its answer.
#[derive(Debug, Clone)]
pub struct Routed {
    /// The variant's label: `champion`, `canary`, or the A/B variant's name.
    pub variant: Arc<str>,
    /// The variant's role.
    pub role: Role,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub version: u64,
    /// Labels (classification) or values (regression, `Float64`), one per row.
    pub predictions: ArrayRef,
    /// Class probabilities, `rows x classes`, for classifiers that give them.
    pub probabilities: Option<Array2<f64>>,
}

/// Which variant answered a one-row request, and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedRow {
    /// The variant's label: `champion`, `canary`, or the A/B variant's name.
    pub variant: Arc<str>,
    /// The variant's role.
    pub role: Role,
    /// The model's version.
    pub version: u64,
    /// The label (classification) or value (regression).
    pub prediction: Value,
    /// Class probabilities, for classifiers that give them.
    pub probabilities: Option<Vec<f64>>,
}

/// What a change of the routing state did: the record the registry glue logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `switch`, `promote` or `rollback`.
    pub action: String,
    /// The model that served (as champion, or the candidate dropped) before.
    pub from: Option<ModelRef>,
    /// The champion after the change.
    pub to: ModelRef,
    /// Why (the caller's reason, or what the router did).
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// One variant in a [`RouterStatus`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantStatus {
    /// The label: `champion`, `canary`, `shadow` or the A/B variant's name.
    pub label: String,
    /// The role.
    pub role: Role,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub version: u64,
    /// The share of traffic it answers (0 for a shadow; 1 for a lone champion).
    pub fraction: f64,
}

/// The shadow queue's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowStatus {
    /// Copies queued for the shadow model.
    pub sent: u64,
    /// Copies dropped because the queue was full (the live path never waits).
    pub dropped: u64,
    /// Copies waiting in the queue.
    pub pending: u64,
    /// Copies the shadow model scored.
    pub scored: u64,
    /// Copies on which the shadow model failed (counted as its errors).
    pub failed: u64,
}

/// The routing state, for display and for the registry's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterStatus {
    /// `single`, `canary`, `shadow` or `ab`.
    pub mode: String,
    /// The champion.
    pub champion: ModelRef,
    /// Every variant that answers or scores traffic, champion first (during an A/B
    /// test: the arms, control first).
    pub variants: Vec<VariantStatus>,
    /// The previous champion, kept loaded for rollback until `bake_deadline`.
    pub previous: Option<ModelRef>,
    /// End of the bake window (RFC 3339, UTC), while a previous champion is loaded.
    pub bake_deadline: Option<String>,
    /// Shadow counters, in shadow mode.
    pub shadow: Option<ShadowStatus>,
}

/// One variant's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantReport {
    /// The label.
    pub label: String,
    /// The role.
    pub role: Role,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub version: u64,
    /// Its metrics.
    pub metrics: MetricsSnapshot,
}

/// One treatment arm of an A/B test compared against the control (the first variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbComparison {
    /// The control's name.
    pub control: String,
    /// The treatment's name.
    pub treatment: String,
    /// The test's result.
    pub result: AbTestResult,
}

/// Routes requests between loaded model versions: blue-green switch, sticky canary,
/// shadow, A/B; keeps the previous champion loaded for a bake window so rollback is a
/// pointer swap; records per-variant metrics.
///
/// Requests ([`predict`](Router::predict), [`predict_row`](Router::predict_row)) do one
/// lock-free load of the routing state; changes swap a new state in atomically.
/// `Router` is `Send + Sync`: share it with an `Arc` between request threads.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{ArrayRef, Float64Array, StringArray};
/// use arrow::record_batch::RecordBatch;
/// use ferrops::prelude::*;
/// use ferrops::serve::{Role, Router, ServedModel};
///
/// # fn main() -> ferrops::Result<()> {
/// let table = RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![0.0, 1.0, 2.0, 3.0])) as ArrayRef),
///     ("y", Arc::new(StringArray::from(vec!["a", "a", "b", "b"])) as ArrayRef),
/// ])?;
/// let fit = |c: f64| {
///     let trainer = LogisticRegression { c, ..LogisticRegression::default() };
///     Pipeline::new().train(trainer).fit(&table, "y")
/// };
/// let router = Router::new(ServedModel::new("churn", 1, Arc::new(fit(1.0)?)));
/// router.start_canary(ServedModel::new("churn", 2, Arc::new(fit(0.1)?)), 0.2)?;
///
/// let answer = router.predict_row(Some("customer-42"), &[("x", Value::Float(2.5))])?;
/// assert!(matches!(answer.role, Role::Champion | Role::Canary));
/// // The same key always sees the same version.
/// let again = router.predict_row(Some("customer-42"), &[("x", Value::Float(0.5))])?;
/// assert_eq!(answer.version, again.version);
///
/// router.promote()?; // version 2 answers everything; version 1 stays loaded to bake
/// router.rollback("conversion dropped")?; // a pointer swap back to version 1
/// assert_eq!(router.status().champion.version, 1);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Router {
    table: ArcSwap<RoutingTable>,
    options: RouterOptions,
    control: Mutex<()>,
    keyless: AtomicU64,
}

fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Router {
    /// A router serving `champion` alone, with default [`RouterOptions`].
    pub fn new(champion: ServedModel) -> Router {
        Router::build(champion, RouterOptions::default())
    }

    /// A router serving `champion` alone.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a shadow capacity of 0.
    pub fn with_options(champion: ServedModel, options: RouterOptions) -> Result<Router> {
        if options.shadow_capacity == 0 {
            return Err(Error::param(
                "shadow_capacity",
                0,
                "the shadow queue needs room for at least 1 request; use 1 or more (default 1024)",
            ));
        }
        Ok(Router::build(champion, options))
    }

    fn build(champion: ServedModel, options: RouterOptions) -> Router {
        let champion = Variant::new("champion", Role::Champion, champion);
        Router {
            table: ArcSwap::from_pointee(RoutingTable::single(champion)),
            options,
            control: Mutex::new(()),
            keyless: AtomicU64::new(0),
        }
    }

    /// The options the router was built with.
    pub fn options(&self) -> &RouterOptions {
        &self.options
    }

    // -------------------------------------------------------------------------------
    // Requests
    // -------------------------------------------------------------------------------

    /// The sticky bucket of `key` in `0..BUCKETS`: the same key always gets the same
    /// bucket (for a given salt). Requests without a key take turns through the buckets.
    pub fn bucket(&self, key: Option<&str>) -> u64 {
        match key {
            Some(k) => xxh3_64_with_seed(k.as_bytes(), self.options.salt) % BUCKETS,
            None => {
                let n = self.keyless.fetch_add(1, Ordering::Relaxed);
                xxh3_64_with_seed(&n.to_le_bytes(), self.options.salt) % BUCKETS
            }
        }
    }

    fn pick<'t>(&self, table: &'t RoutingTable, key: Option<&str>) -> &'t Arc<Variant> {
        match &table.mode {
            Mode::Single | Mode::Shadow { .. } => &table.champion,
            Mode::Canary {
                canary, threshold, ..
            } => {
                if *threshold > 0 && self.bucket(key) < *threshold {
                    canary
                } else {
                    &table.champion
                }
            }
            Mode::Ab { arms } => {
                let b = self.bucket(key);
                arms.iter()
                    .find(|a| b < a.upper)
                    .or_else(|| arms.last())
                    .map_or(&table.champion, |a| &a.variant)
            }
        }
    }

    /// Predict a table: the variant for `key` answers every row (a request without a
    /// key is placed by a counter). In shadow mode a copy goes to the shadow model
    /// unless its queue is full.
    ///
    /// # Errors
    /// The model's error (recorded in the variant's metrics): a missing or mistyped
    /// column, a value the model cannot use, …
    pub fn predict(&self, key: Option<&str>, table: &RecordBatch) -> Result<Routed> {
        let state = self.table.load();
        let variant = self.pick(&state, key);
        let start = Instant::now();
        let outcome = score_batch(&variant.model, table);
        let latency = start.elapsed();
        match outcome {
            Ok((predictions, probabilities)) => {
                variant.metrics.record_batch(latency, &predictions);
                if let Mode::Shadow { queue, counters, .. } = &state.mode {
                    offer(queue, counters, self.options.shadow_capacity, || {
                        ShadowJob::Batch {
                            table: table.clone(),
                            live: predictions.clone(),
                        }
                    });
                }
                Ok(Routed {
                    variant: variant.label.clone(),
                    role: variant.role,
                    model: variant.model.name.clone(),
                    version: variant.model.version,
                    predictions,
                    probabilities,
                })
            }
            Err(e) => {
                variant.metrics.record_error(latency);
                Err(e)
            }
        }
    }

    /// Predict one row given as `(column, value)` pairs in any order (extra columns are
    /// ignored) through [`FittedPipeline::predict_named_row`](crate::pipeline::FittedPipeline::predict_named_row):
    /// the serving fast path.
    ///
    /// # Errors
    /// The model's error (recorded in the variant's metrics).
    pub fn predict_row<K: AsRef<str>>(&self, key: Option<&str>, row: &[(K, Value)]) -> Result<RoutedRow> {
        let state = self.table.load();
        let variant = self.pick(&state, key);
        let start = Instant::now();
        let outcome = variant
            .model
            .pipeline
            .predict_named_row(row.iter().map(|(k, v)| (k.as_ref(), v.clone())));
        let latency = start.elapsed();
        match outcome {
            Ok((prediction, probabilities)) => {
                variant.metrics.record_row(latency, &prediction);
                if let Mode::Shadow { queue, counters, .. } = &state.mode {
                    offer(queue, counters, self.options.shadow_capacity, || ShadowJob::Row {
                        row: row
                            .iter()
                            .map(|(k, v)| (k.as_ref().to_string(), v.clone()))
                            .collect(),
                        live: prediction.clone(),
                    });
                }
                Ok(RoutedRow {
                    variant: variant.label.clone(),
                    role: variant.role,
                    version: variant.model.version,
                    prediction,
                    probabilities,
                })
            }
            Err(e) => {
                variant.metrics.record_error(latency);
                Err(e)
            }
        }
    }

    // -------------------------------------------------------------------------------
    // Changes
    // -------------------------------------------------------------------------------

    fn lock(&self) -> MutexGuard<'_, ()> {
        // A panic while holding this lock cannot leave the table half-changed (tables
        // are swapped whole), so a poisoned lock is safe to reuse.
        self.control
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Apply `change` to a copy of the current table (expired bake windows released
    /// first) and swap the result in.
    fn update<T>(&self, change: impl FnOnce(&mut RoutingTable) -> Result<T>) -> Result<T> {
        let _guard = self.lock();
        let current = self.table.load_full();
        let now = Instant::now();
        let mut next = RoutingTable::clone(&current);
        let released = next.expire(now);
        match change(&mut next) {
            Ok(out) => {
                self.table.store(Arc::new(next));
                Ok(out)
            }
            Err(e) => {
                // Nothing of a failed change is kept, but an expired previous champion
                // is still released.
                if released {
                    let mut expired = RoutingTable::clone(&current);
                    expired.expire(now);
                    self.table.store(Arc::new(expired));
                }
                Err(e)
            }
        }
    }

    fn previous_for(&self, variant: Arc<Variant>) -> Option<Previous> {
        let window = self.options.bake_window;
        if window.is_zero() {
            return None;
        }
        // A window too long to represent keeps the previous champion until the next change.
        let until = Instant::now().checked_add(window)?;
        let until_utc = chrono::Duration::from_std(window)
            .ok()
            .and_then(|w| now_utc().checked_add_signed(w))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Some(Previous {
            variant,
            until,
            until_utc,
        })
    }

    fn no_experiment(table: &RoutingTable, what: &str) -> Result<()> {
        if matches!(table.mode, Mode::Single) {
            Ok(())
        } else {
            Err(Error::InvalidData(format!(
                "cannot {what}: {} is running; promote() or rollback() it first",
                table.describe_mode()
            )))
        }
    }

    /// Blue-green: make `new` the champion for every request at once. The old champion
    /// stays loaded for the bake window, so [`rollback`](Router::rollback) can swap it
    /// back. `new` may have a different input signature than the old champion (requests
    /// must then carry the columns both need, or the new model reports the missing one).
    ///
    /// # Errors
    /// [`Error::InvalidData`] while a canary, shadow or A/B test runs.
    pub fn switch(&self, new: ServedModel) -> Result<Change> {
        let to = ModelRef::of(&new);
        self.update(|t| {
            Router::no_experiment(t, "switch")?;
            let from = ModelRef::of(&t.champion.model);
            let old = std::mem::replace(&mut t.champion, Variant::new("champion", Role::Champion, new));
            t.previous = self.previous_for(old.relabel("previous", Role::Champion));
            Ok(Change {
                action: "switch".into(),
                from: Some(from.clone()),
                to,
                reason: format!("blue-green switch from {from}"),
                at: rfc3339(now_utc()),
            })
        })
    }

    /// Start a canary: `candidate` answers the keys whose bucket falls under `fraction`
    /// of the buckets (sticky: one key, one model); requests without a key are split
    /// by a counter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a fraction outside `[0, 1]`;
    /// [`Error::InvalidData`] while another experiment runs.
    pub fn start_canary(&self, candidate: ServedModel, fraction: f64) -> Result<()> {
        let threshold = threshold_of(fraction)?;
        self.update(|t| {
            Router::no_experiment(t, "start a canary")?;
            t.champion = t.champion.fresh();
            t.mode = Mode::Canary {
                canary: Variant::new("canary", Role::Canary, candidate),
                fraction,
                threshold,
            };
            Ok(())
        })
    }

    /// Change the canary's share of traffic. Growing it only moves keys from the
    /// champion to the canary; shrinking it only moves keys back.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a fraction outside `[0, 1]`;
    /// [`Error::InvalidData`] when no canary runs.
    pub fn set_canary_fraction(&self, fraction: f64) -> Result<()> {
        let threshold = threshold_of(fraction)?;
        self.update(|t| match &t.mode {
            Mode::Canary { canary, .. } => {
                t.mode = Mode::Canary {
                    canary: canary.clone(),
                    fraction,
                    threshold,
                };
                Ok(())
            }
            _ => Err(Error::InvalidData(format!(
                "cannot set the canary fraction: no canary is running ({}); start one with start_canary",
                t.describe_mode()
            ))),
        })
    }

    /// Start a shadow: the champion answers every request, and a copy of each request
    /// goes through a bounded queue to a worker thread that scores it on `candidate`,
    /// records its metrics and its agreement with the live answer, and discards it.
    /// When the queue is full the copy is dropped and counted: the live path never waits.
    ///
    /// # Errors
    /// [`Error::InvalidData`] while another experiment runs, or when the worker thread
    /// cannot be started.
    pub fn start_shadow(&self, candidate: ServedModel) -> Result<()> {
        self.update(|t| {
            Router::no_experiment(t, "start a shadow")?;
            t.champion = t.champion.fresh();
            let shadow = Variant::new("shadow", Role::Shadow, candidate);
            let counters = Arc::new(ShadowCounters::default());
            let (queue, jobs) = sync_channel(self.options.shadow_capacity);
            let worker_shadow = shadow.clone();
            let worker_counters = counters.clone();
            std::thread::Builder::new()
                .name("ferrops-shadow".into())
                .spawn(move || shadow_worker(jobs, worker_shadow, worker_counters))
                .map_err(|e| Error::InvalidData(format!("cannot start the shadow worker thread: {e}")))?;
            t.mode = Mode::Shadow {
                shadow,
                queue,
                counters,
            };
            Ok(())
        })
    }

    /// Start an A/B test between `variants` (`(name, model, weight)`; the first is the
    /// control that [`ab_test`](Router::ab_test) compares the others with). Each key is
    /// sticky to one variant; traffic splits by weight. The champion stays loaded but
    /// answers only as one of the variants (pass it as the control to include it).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than 2 variants, an empty, reserved
    /// (`champion`, `canary`, `shadow`, `previous`) or repeated name, a negative or
    /// non-finite weight, or weights summing to 0; [`Error::InvalidData`] while another
    /// experiment runs.
    pub fn start_ab(&self, variants: Vec<(String, ServedModel, f64)>) -> Result<()> {
        let arms = arms_of(variants)?;
        self.update(|t| {
            Router::no_experiment(t, "start an A/B test")?;
            t.mode = Mode::Ab { arms };
            Ok(())
        })
    }

    /// Compare every A/B variant with the first (the control) on `outcome` at
    /// significance level `alpha`, through [`abtest::compare`].
    ///
    /// # Errors
    /// [`Error::InvalidData`] when no A/B test runs; any error of [`abtest::compare`]
    /// (too few outcomes, bad alpha, …).
    pub fn ab_test(&self, outcome: AbOutcome, alpha: f64) -> Result<Vec<AbComparison>> {
        let state = self.table.load();
        let Mode::Ab { arms } = &state.mode else {
            return Err(Error::InvalidData(format!(
                "cannot run an A/B test: no A/B test is running ({}); start one with start_ab",
                state.describe_mode()
            )));
        };
        let Some((control, treatments)) = arms.split_first() else {
            return Err(Error::InvalidData("the A/B test has no variants".into()));
        };
        let base = control.variant.metrics.snapshot();
        treatments
            .iter()
            .map(|arm| {
                let result = abtest::compare(&base, &arm.variant.metrics.snapshot(), outcome, alpha)?;
                Ok(AbComparison {
                    control: control.variant.label.to_string(),
                    treatment: arm.variant.label.to_string(),
                    result,
                })
            })
            .collect()
    }

    /// Make the canary's or shadow's candidate the champion (it keeps its metrics). The
    /// old champion stays loaded for the bake window.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when there is no candidate, or during an A/B test (use
    /// [`promote_variant`](Router::promote_variant)).
    pub fn promote(&self) -> Result<Change> {
        self.update(|t| {
            let candidate = match &t.mode {
                Mode::Canary { canary, .. } => canary.clone(),
                Mode::Shadow { shadow, .. } => shadow.clone(),
                Mode::Ab { .. } => {
                    return Err(Error::InvalidData(
                        "cannot promote: an A/B test is running; name the winner with promote_variant(name)"
                            .into(),
                    ))
                }
                Mode::Single => {
                    return Err(Error::InvalidData(
                        "cannot promote: no candidate is being rolled out; start_canary or start_shadow first, or switch() directly"
                            .into(),
                    ))
                }
            };
            Ok(self.crown(t, &candidate, "promote", "candidate promoted".into()))
        })
    }

    /// End an A/B test by making the variant `name` the champion (the old champion
    /// stays loaded for the bake window).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when no A/B test runs; [`Error::InvalidParameter`] for an
    /// unknown name.
    pub fn promote_variant(&self, name: &str) -> Result<Change> {
        self.update(|t| {
            let Mode::Ab { arms } = &t.mode else {
                return Err(Error::InvalidData(format!(
                    "cannot promote variant `{name}`: no A/B test is running ({})",
                    t.describe_mode()
                )));
            };
            let Some(arm) = arms.iter().find(|a| &*a.variant.label == name) else {
                let names: Vec<&str> = arms.iter().map(|a| &*a.variant.label).collect();
                return Err(Error::param(
                    "variant",
                    name,
                    format!("not in the A/B test; its variants are {names:?}"),
                ));
            };
            let winner = arm.variant.clone();
            Ok(self.crown(t, &winner, "promote", format!("A/B variant `{name}` promoted")))
        })
    }

    fn crown(&self, t: &mut RoutingTable, winner: &Variant, action: &str, reason: String) -> Change {
        let from = ModelRef::of(&t.champion.model);
        let to = ModelRef::of(&winner.model);
        let old = std::mem::replace(&mut t.champion, winner.relabel("champion", Role::Champion));
        t.mode = Mode::Single;
        if !Arc::ptr_eq(&old.model.pipeline, &t.champion.model.pipeline) || old.model.version != to.version {
            t.previous = self.previous_for(old.relabel("previous", Role::Champion));
        }
        Change {
            action: action.into(),
            from: Some(from),
            to,
            reason,
            at: rfc3339(now_utc()),
        }
    }

    /// Roll back one step: end a running canary, shadow or A/B test (the champion
    /// answers everything again), or, with no experiment running, swap the previous
    /// champion back in while it is within its bake window (a pointer swap).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when there is nothing to roll back to, or the previous
    /// champion was already released at the end of its bake window (load it again, e.g.
    /// from the registry, and [`switch`](Router::switch) to it).
    pub fn rollback(&self, reason: &str) -> Result<Change> {
        self.update(|t| self.rollback_in(t, reason))
    }

    fn rollback_in(&self, t: &mut RoutingTable, reason: &str) -> Result<Change> {
        let at = rfc3339(now_utc());
        let dropped = match &t.mode {
            Mode::Canary { canary, .. } => Some(ModelRef::of(&canary.model)),
            Mode::Shadow { shadow, .. } => Some(ModelRef::of(&shadow.model)),
            Mode::Ab { arms } => arms
                .iter()
                .find(|a| !Arc::ptr_eq(&a.variant.model.pipeline, &t.champion.model.pipeline))
                .map(|a| ModelRef::of(&a.variant.model)),
            Mode::Single => None,
        };
        if !matches!(t.mode, Mode::Single) {
            let what = t.describe_mode();
            t.mode = Mode::Single;
            return Ok(Change {
                action: "rollback".into(),
                from: dropped,
                to: ModelRef::of(&t.champion.model),
                reason: format!("{reason} (ended {what})"),
                at,
            });
        }
        if let Some(prev) = t.previous.take() {
            let from = ModelRef::of(&t.champion.model);
            t.champion = prev.variant.relabel("champion", Role::Champion);
            return Ok(Change {
                action: "rollback".into(),
                from: Some(from),
                to: ModelRef::of(&t.champion.model),
                reason: reason.to_string(),
                at,
            });
        }
        Err(match &t.released {
            Some(r) => Error::InvalidData(format!(
                "cannot roll back: the previous champion ({}) was released at {} when its bake window of {:?} ended; load it again (e.g. from the registry) and switch() to it",
                r.model,
                rfc3339(r.at),
                self.options.bake_window
            )),
            None => Error::InvalidData(
                "cannot roll back: no experiment is running and there is no previous champion (nothing was switched or promoted)"
                    .into(),
            ),
        })
    }

    /// Judge the live evidence with `policy` (and `drift`, if given): roll back, keep
    /// going, or (with [`RollbackPolicy::promote_after`]) promote. See
    /// [`policy`](super::policy) for what is compared with what. Changes nothing.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid policy.
    pub fn check(&self, policy: &RollbackPolicy, drift: Option<DriftEvidence>) -> Result<PolicyDecision> {
        policy.validate()?;
        let mut t = RoutingTable::clone(&self.table.load());
        t.expire(Instant::now());
        let evidence = evidence_of(&t);
        Ok(decide(
            policy,
            &evidence.pairs,
            evidence.promotable,
            evidence.what,
            drift.as_ref(),
        ))
    }

    /// [`check`](Router::check), and roll back when the decision says so (the change is
    /// in [`PolicyDecision::change`], with the broken limits as its reason). A
    /// [`PolicyAction::Promote`] decision is returned, not performed: promote with
    /// [`promote`](Router::promote) once the registry's alias has moved.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid policy.
    pub fn enforce(&self, policy: &RollbackPolicy, drift: Option<DriftEvidence>) -> Result<PolicyDecision> {
        policy.validate()?;
        let _guard = self.lock();
        let mut next = RoutingTable::clone(&self.table.load());
        next.expire(Instant::now());
        let evidence = evidence_of(&next);
        let mut decision = decide(
            policy,
            &evidence.pairs,
            evidence.promotable,
            evidence.what,
            drift.as_ref(),
        );
        if decision.action == PolicyAction::Rollback {
            let reason = format!("automatic rollback: {}", decision.reasons.join("; "));
            decision.change = Some(self.rollback_in(&mut next, &reason)?);
            self.table.store(Arc::new(next));
        }
        Ok(decision)
    }

    /// Release the previous champion if its bake window is over (changes do this on
    /// their own); returns the model released.
    pub fn release_expired(&self) -> Option<ModelRef> {
        let _guard = self.lock();
        let current = self.table.load_full();
        let mut next = RoutingTable::clone(&current);
        if next.expire(Instant::now()) {
            let released = next.released.as_ref().map(|r| r.model.clone());
            self.table.store(Arc::new(next));
            released
        } else {
            None
        }
    }

    // -------------------------------------------------------------------------------
    // Status, feedback, metrics
    // -------------------------------------------------------------------------------

    /// The model every request goes to unless an experiment takes it (shared, not copied).
    pub fn champion(&self) -> ServedModel {
        self.table.load().champion.model.clone()
    }

    /// The current routing state.
    pub fn status(&self) -> RouterStatus {
        let t = self.table.load();
        let now = Instant::now();
        let previous = t.previous.as_ref().filter(|p| now < p.until);
        let (mode, shadow) = match &t.mode {
            Mode::Single => ("single", None),
            Mode::Canary { .. } => ("canary", None),
            Mode::Shadow { counters, .. } => (
                "shadow",
                Some(ShadowStatus {
                    sent: counters.sent.load(Ordering::Relaxed),
                    dropped: counters.dropped.load(Ordering::Relaxed),
                    pending: counters.pending.load(Ordering::Relaxed),
                    scored: counters.scored.load(Ordering::Relaxed),
                    failed: counters.failed.load(Ordering::Relaxed),
                }),
            ),
            Mode::Ab { .. } => ("ab", None),
        };
        let total_weight: f64 = match &t.mode {
            Mode::Ab { arms } => arms.iter().map(|a| a.weight).sum(),
            _ => 1.0,
        };
        let variants = t
            .serving()
            .into_iter()
            .map(|v| {
                let fraction = match (&t.mode, v.role) {
                    (Mode::Canary { fraction, .. }, Role::Canary) => *fraction,
                    (Mode::Canary { fraction, .. }, _) => 1.0 - fraction,
                    (Mode::Shadow { .. }, Role::Shadow) => 0.0,
                    (Mode::Ab { arms }, _) => arms
                        .iter()
                        .find(|a| Arc::ptr_eq(&a.variant, v))
                        .map_or(0.0, |a| a.weight / total_weight),
                    _ => 1.0,
                };
                VariantStatus {
                    label: v.label.to_string(),
                    role: v.role,
                    model: v.model.name.clone(),
                    version: v.model.version,
                    fraction,
                }
            })
            .collect();
        RouterStatus {
            mode: mode.into(),
            champion: ModelRef::of(&t.champion.model),
            variants,
            previous: previous.map(|p| ModelRef::of(&p.variant.model)),
            bake_deadline: previous.map(|p| rfc3339(p.until_utc)),
            shadow,
        }
    }

    fn variant(&self, label: &str) -> Result<Arc<Variant>> {
        let t = self.table.load();
        let serving = t.serving();
        if let Some(v) = serving.iter().find(|v| &*v.label == label) {
            return Ok(Arc::clone(v));
        }
        let labels: Vec<&str> = serving.iter().map(|v| &*v.label).collect();
        Err(Error::param(
            "variant",
            label,
            format!("no such variant is serving; the serving variants are {labels:?} (the label in Routed/RoutedRow)"),
        ))
    }

    /// Feed back the true label or value for a prediction `variant` made (its label as
    /// in [`RoutedRow::variant`]); it feeds the variant's accuracy or error metrics.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a variant not serving; the metrics' error for a
    /// value of the wrong kind.
    pub fn record_outcome(&self, variant: &str, predicted: &Value, actual: &Value) -> Result<()> {
        self.variant(variant)?.metrics.record_outcome(predicted, actual)
    }

    /// Feed back a business outcome (reward) of a request `variant` answered: what A/B
    /// tests on [`AbOutcome::Reward`] compare.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a variant not serving; the metrics' error for a
    /// non-finite value.
    pub fn record_reward(&self, variant: &str, value: f64) -> Result<()> {
        self.variant(variant)?.metrics.record_reward(value)
    }

    /// A snapshot of every serving variant's metrics, champion (or control) first.
    pub fn metrics(&self) -> Vec<VariantReport> {
        let t = self.table.load();
        t.serving()
            .into_iter()
            .map(|v| VariantReport {
                label: v.label.to_string(),
                role: v.role,
                model: v.model.name.clone(),
                version: v.model.version,
                metrics: v.metrics.snapshot(),
            })
            .collect()
    }

    /// Every serving variant's metrics in the Prometheus text exposition format (serve
    /// it at `/metrics`).
    pub fn prometheus(&self) -> String {
        let series: Vec<(SeriesLabels, MetricsSnapshot)> = self
            .metrics()
            .into_iter()
            .map(|r| {
                (
                    SeriesLabels {
                        model: r.model,
                        variant: r.label,
                        version: r.version,
                    },
                    r.metrics,
                )
            })
            .collect();
        prometheus_text(&series)
    }
}

/// The pairs the rollback policy compares in `t`.
fn evidence_of(t: &RoutingTable) -> Evidence {
    let now = Instant::now();
    let pair = |base: &Variant, cand: &Variant| EvidencePair {
        baseline: describe(base),
        candidate: describe(cand),
        baseline_metrics: base.metrics.snapshot(),
        candidate_metrics: cand.metrics.snapshot(),
    };
    match &t.mode {
        Mode::Canary { canary, .. } => Evidence {
            pairs: vec![pair(&t.champion, canary)],
            promotable: true,
            what: t.describe_mode(),
        },
        Mode::Shadow { shadow, .. } => Evidence {
            pairs: vec![pair(&t.champion, shadow)],
            promotable: true,
            what: t.describe_mode(),
        },
        Mode::Ab { arms } => {
            let pairs = match arms.split_first() {
                Some((control, rest)) => rest.iter().map(|a| pair(&control.variant, &a.variant)).collect(),
                None => Vec::new(),
            };
            Evidence {
                pairs,
                promotable: false,
                what: t.describe_mode(),
            }
        }
        Mode::Single => match t.previous.as_ref().filter(|p| now < p.until) {
            Some(prev) => Evidence {
                pairs: vec![pair(&prev.variant, &t.champion)],
                promotable: false,
                what: format!(
                    "the bake window of {} (previous {} until {})",
                    ModelRef::of(&t.champion.model),
                    ModelRef::of(&prev.variant.model),
                    rfc3339(prev.until_utc)
                ),
            },
            None => Evidence {
                pairs: Vec::new(),
                promotable: false,
                what: "no experiment and no previous champion in its bake window".into(),
            },
        },
    }
}

fn describe(v: &Variant) -> String {
    format!("{} ({})", v.label, ModelRef::of(&v.model))
}

/// What the rollback policy looks at.
pub(crate) struct Evidence {
    pub(crate) pairs: Vec<EvidencePair>,
    pub(crate) promotable: bool,
    pub(crate) what: String,
}

/// A baseline and a candidate.
pub(crate) struct EvidencePair {
    pub(crate) baseline: String,
    pub(crate) candidate: String,
    pub(crate) baseline_metrics: MetricsSnapshot,
    pub(crate) candidate_metrics: MetricsSnapshot,
}

fn threshold_of(fraction: f64) -> Result<u64> {
    if !(0.0..=1.0).contains(&fraction) {
        return Err(Error::param(
            "fraction",
            fraction,
            "the canary's share of traffic must be within [0, 1] (0.1 sends 10 % of keys to the canary)",
        ));
    }
    Ok((fraction * BUCKETS as f64).round() as u64)
}

const RESERVED: [&str; 4] = ["champion", "canary", "shadow", "previous"];

fn arms_of(variants: Vec<(String, ServedModel, f64)>) -> Result<Vec<Arm>> {
    if variants.len() < 2 {
        return Err(Error::param(
            "variants",
            variants.len(),
            "an A/B test needs at least 2 variants (the first is the control)",
        ));
    }
    let mut seen = HashSet::new();
    let mut total = 0.0;
    for (name, _, weight) in &variants {
        if name.is_empty() || RESERVED.contains(&name.as_str()) {
            return Err(Error::param(
                "variant name",
                format!("{name:?}"),
                format!("must be non-empty and not one of the reserved labels {RESERVED:?}"),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::param(
                "variant name",
                name,
                "appears twice; give each variant its own name",
            ));
        }
        if !weight.is_finite() || *weight < 0.0 {
            return Err(Error::param(
                "weight",
                weight,
                format!("the weight of variant `{name}` must be finite and >= 0"),
            ));
        }
        total += weight;
    }
    if total <= 0.0 {
        return Err(Error::param(
            "weight",
            total,
            "the variants' weights sum to 0; give at least one a positive weight",
        ));
    }
    let mut cumulative = 0.0;
    let count = variants.len();
    Ok(variants
        .into_iter()
        .enumerate()
        .map(|(i, (name, model, weight))| {
            cumulative += weight;
            let upper = if i + 1 == count {
                BUCKETS
            } else {
                ((cumulative / total) * BUCKETS as f64).round() as u64
            };
            Arm {
                variant: Variant::new(&name, Role::Variant, model),
                weight,
                upper,
            }
        })
        .collect())
}

/// Predict a batch with labels and probabilities in one pass.
fn score_batch(model: &ServedModel, table: &RecordBatch) -> Result<(ArrayRef, Option<Array2<f64>>)> {
    let pipeline = &model.pipeline;
    Ok(match pipeline.predictions(table)? {
        Predictions::Classes { codes, proba } => {
            let labels = pipeline
                .classes()
                .ok_or_else(|| Error::InvalidData("classifier without class labels".into()))?;
            (labels.take(&codes), proba)
        }
        Predictions::Values(v) => (Arc::new(Float64Array::from(v.to_vec())) as ArrayRef, None),
    })
}

/// Queue a shadow copy unless the queue is full; never blocks.
fn offer(
    queue: &SyncSender<ShadowJob>,
    counters: &ShadowCounters,
    capacity: usize,
    job: impl FnOnce() -> ShadowJob,
) {
    // Skip building the copy when the queue is visibly full.
    if counters.pending.load(Ordering::Relaxed) >= capacity as u64 {
        counters.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    counters.pending.fetch_add(1, Ordering::Relaxed);
    match queue.try_send(job()) {
        Ok(()) => {
            counters.sent.fetch_add(1, Ordering::Relaxed);
        }
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
            counters.pending.fetch_sub(1, Ordering::Relaxed);
            counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Score shadow copies until the queue closes (the shadow was promoted or rolled back
/// and no request still holds the old routing table).
fn shadow_worker(jobs: Receiver<ShadowJob>, shadow: Arc<Variant>, counters: Arc<ShadowCounters>) {
    while let Ok(job) = jobs.recv() {
        let start = Instant::now();
        let ok = match job {
            ShadowJob::Row { row, live } => {
                match shadow
                    .model
                    .pipeline
                    .predict_named_row(row.iter().map(|(k, v)| (k.as_str(), v.clone())))
                {
                    Ok((prediction, _)) => {
                        shadow.metrics.record_row(start.elapsed(), &prediction);
                        shadow.metrics.record_comparison(&live, &prediction);
                        true
                    }
                    Err(_) => {
                        shadow.metrics.record_error(start.elapsed());
                        false
                    }
                }
            }
            ShadowJob::Batch { table, live } => match score_batch(&shadow.model, &table) {
                Ok((predictions, _)) => {
                    shadow.metrics.record_batch(start.elapsed(), &predictions);
                    for i in 0..predictions.len().min(live.len()) {
                        if let (Ok(l), Ok(s)) = (value_at(&live, i), value_at(&predictions, i)) {
                            shadow.metrics.record_comparison(&l, &s);
                        }
                    }
                    true
                }
                Err(_) => {
                    shadow.metrics.record_error(start.elapsed());
                    false
                }
            },
        };
        let counter = if ok { &counters.scored } else { &counters.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        counters.pending.fetch_sub(1, Ordering::Relaxed);
    }
}
