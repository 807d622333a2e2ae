//! `ferrops::serve` as `_core.Router`: the rollout router (blue-green, sticky canary,
//! shadow, A/B, automatic rollback) shared by every Python thread.
//!
//! The router is an `Arc<Router>`: every request releases the GIL, so Python threads
//! predict concurrently while another thread switches, promotes or rolls back. Served
//! models cross as `(FittedPipeline, name, version)`; policies, decisions, changes,
//! status and metrics cross as the JSON form of the Rust structs, which the Python layer
//! (`ferrops.serve`) wraps.

use std::sync::Arc;
use std::time::Duration;

use ferrops::drift::DriftReport;
use ferrops::serve::abtest::{AbOutcome, AbTestResult, Verdict};
use ferrops::serve::metrics::MetricsSnapshot;
use ferrops::serve::{
    DriftEvidence, PolicyDecision, Role, RollbackPolicy, Router, RouterOptions, ServedModel, DEFAULT_SALT,
};
use numpy::{IntoPyArray, PyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;
use serde::Serialize;

use crate::errors::to_py;
use crate::registry::json;
use crate::{detached, parse_json, to_batch, value_from_py, value_to_py, PyFittedPipeline};

/// What a batch request returns to Python: variant, role, model, version, predictions
/// (a pyarrow Array) and probabilities (rows x classes, or None).
type RoutedTuple<'py> = (
    String,
    &'static str,
    String,
    u64,
    Bound<'py, PyAny>,
    Option<Bound<'py, PyArray2<f64>>>,
);

/// What a one-row request returns: variant, role, version, prediction, probabilities.
type RoutedRowTuple = (String, &'static str, u64, Py<PyAny>, Option<Vec<f64>>);

fn served(pipeline: &PyFittedPipeline, name: String, version: u64) -> ServedModel {
    ServedModel::new(name, version, pipeline.inner.clone())
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Champion => "champion",
        Role::Canary => "canary",
        Role::Shadow => "shadow",
        Role::Variant => "variant",
    }
}

fn outcome_of(outcome: &str) -> PyResult<AbOutcome> {
    match outcome {
        "accuracy" => Ok(AbOutcome::Accuracy),
        "reward" => Ok(AbOutcome::Reward),
        "absolute_error" => Ok(AbOutcome::AbsoluteError),
        "error_rate" => Ok(AbOutcome::ErrorRate),
        other => Err(to_py(ferrops::Error::param(
            "outcome",
            other,
            "choose \"accuracy\", \"reward\", \"absolute_error\" or \"error_rate\"",
        ))),
    }
}

/// The drift evidence of `check` / `enforce`: a plain flag, or a drift report's JSON.
fn drift_of(drifted: Option<bool>, report_json: Option<&str>) -> ferrops::Result<Option<DriftEvidence>> {
    match (drifted, report_json) {
        (_, Some(text)) => Ok(Some(DriftEvidence::from(&DriftReport::from_json(text)?))),
        (Some(flag), None) => Ok(Some(DriftEvidence::from(flag))),
        (None, None) => Ok(None),
    }
}

/// A snapshot's numbers the Python layer shows first (non-finite numbers become null).
#[derive(Serialize)]
struct Summary {
    error_rate: f64,
    latency_p50: f64,
    latency_p99: f64,
    outcomes: u64,
    accuracy: Option<f64>,
    mae: Option<f64>,
    rmse: Option<f64>,
    mean_error: Option<f64>,
    rewards: u64,
    reward_mean: Option<f64>,
    agreement: Option<f64>,
}

impl Summary {
    fn of(s: &MetricsSnapshot) -> Summary {
        Summary {
            error_rate: s.error_rate(),
            latency_p50: s.latency_quantile(0.5),
            latency_p99: s.latency_quantile(0.99),
            outcomes: s.outcome_count(),
            accuracy: s.accuracy(),
            mae: s.mae(),
            rmse: s.rmse(),
            mean_error: s.mean_error(),
            rewards: s.rewards.count,
            reward_mean: s.reward_mean(),
            agreement: s.comparisons.agreement(),
        }
    }
}

/// One variant's metrics: `VariantReport` with its [`Summary`].
#[derive(Serialize)]
struct Report<'a> {
    label: &'a str,
    role: Role,
    model: &'a str,
    version: u64,
    metrics: &'a MetricsSnapshot,
    summary: Summary,
}

/// One A/B comparison with its verdict.
#[derive(Serialize)]
struct Comparison<'a> {
    control: &'a str,
    treatment: &'a str,
    result: &'a AbTestResult,
    verdict: Verdict,
}

fn decision_json(decision: &PolicyDecision) -> PyResult<String> {
    json(decision)
}

/// The rollout router (see `ferrops.serve.Router`).
#[pyclass(name = "Router", module = "ferrops._core", frozen)]
pub struct PyRouter {
    inner: Arc<Router>,
}

#[pymethods]
impl PyRouter {
    #[new]
    #[pyo3(signature = (pipeline, name, version, bake_window_seconds=900.0, shadow_capacity=1024, salt=None))]
    fn new(
        py: Python<'_>,
        pipeline: &PyFittedPipeline,
        name: String,
        version: u64,
        bake_window_seconds: f64,
        shadow_capacity: usize,
        salt: Option<u64>,
    ) -> PyResult<Self> {
        let champion = served(pipeline, name, version);
        let router = detached(py, 0, move || {
            let window = Duration::try_from_secs_f64(bake_window_seconds).map_err(|_| {
                ferrops::Error::param(
                    "bake_window_seconds",
                    bake_window_seconds,
                    "must be a finite number of seconds >= 0 (0 keeps no previous champion loaded)",
                )
            })?;
            let options = RouterOptions::default()
                .bake_window(window)
                .shadow_capacity(shadow_capacity)
                .salt(salt.unwrap_or(DEFAULT_SALT));
            Router::with_options(champion, options)
        })?;
        Ok(PyRouter {
            inner: Arc::new(router),
        })
    }

    /// Validate a rollback policy's JSON (the serde form of `RollbackPolicy`).
    #[staticmethod]
    fn validate_policy(policy_json: &str) -> PyResult<()> {
        let policy: RollbackPolicy = parse_json("policy", policy_json)?;
        policy.validate().map_err(to_py)
    }

    #[getter]
    fn bake_window_seconds(&self) -> f64 {
        self.inner.options().bake_window.as_secs_f64()
    }

    #[getter]
    fn shadow_capacity(&self) -> usize {
        self.inner.options().shadow_capacity
    }

    #[getter]
    fn salt(&self) -> u64 {
        self.inner.options().salt
    }

    /// The sticky bucket of `key` in `0..10000`.
    fn bucket(&self, key: &str) -> u64 {
        self.inner.bucket(Some(key))
    }

    /// Predict a table; `(variant, role, model, version, predictions, probabilities)`.
    #[pyo3(signature = (table, key=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        table: AnyRecordBatch,
        key: Option<String>,
    ) -> PyResult<RoutedTuple<'py>> {
        let batch = to_batch(table)?;
        let router = self.inner.clone();
        let rows = batch.num_rows();
        let routed = detached(py, rows, move || router.predict(key.as_deref(), &batch))?;
        let predictions = pyo3_arrow::PyArray::from_array_ref(routed.predictions)
            .to_pyarrow(py)?
            .unbind()
            .into_bound(py);
        Ok((
            routed.variant.to_string(),
            role_name(routed.role),
            routed.model,
            routed.version,
            predictions,
            routed.probabilities.map(|p| p.into_pyarray(py)),
        ))
    }

    /// Predict one row given as a dict; `(variant, role, version, prediction, probabilities)`.
    #[pyo3(signature = (row, key=None))]
    fn predict_row(
        &self,
        py: Python<'_>,
        row: &Bound<'_, PyDict>,
        key: Option<String>,
    ) -> PyResult<RoutedRowTuple> {
        let mut values = Vec::with_capacity(row.len());
        for (k, v) in row.iter() {
            let column: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "row keys must be column names (str), got {}",
                    k.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?;
            values.push((column, value_from_py(&v)?));
        }
        let router = self.inner.clone();
        let answer = detached(py, 0, move || router.predict_row(key.as_deref(), &values))?;
        Ok((
            answer.variant.to_string(),
            role_name(answer.role),
            answer.version,
            value_to_py(py, &answer.prediction)?,
            answer.probabilities,
        ))
    }

    /// Blue-green switch; the change as JSON.
    fn switch(
        &self,
        py: Python<'_>,
        pipeline: &PyFittedPipeline,
        name: String,
        version: u64,
    ) -> PyResult<String> {
        let model = served(pipeline, name, version);
        let router = self.inner.clone();
        json(&detached(py, 0, move || router.switch(model))?)
    }

    fn start_canary(
        &self,
        py: Python<'_>,
        pipeline: &PyFittedPipeline,
        name: String,
        version: u64,
        fraction: f64,
    ) -> PyResult<()> {
        let model = served(pipeline, name, version);
        let router = self.inner.clone();
        detached(py, 0, move || router.start_canary(model, fraction))
    }

    fn set_canary_fraction(&self, py: Python<'_>, fraction: f64) -> PyResult<()> {
        let router = self.inner.clone();
        detached(py, 0, move || router.set_canary_fraction(fraction))
    }

    fn start_shadow(
        &self,
        py: Python<'_>,
        pipeline: &PyFittedPipeline,
        name: String,
        version: u64,
    ) -> PyResult<()> {
        let model = served(pipeline, name, version);
        let router = self.inner.clone();
        detached(py, 0, move || router.start_shadow(model))
    }

    /// Start an A/B test: `(variant, pipeline, model name, version, weight)` per arm, the
    /// control first.
    fn start_ab(
        &self,
        py: Python<'_>,
        variants: Vec<(String, PyRef<'_, PyFittedPipeline>, String, u64, f64)>,
    ) -> PyResult<()> {
        let arms: Vec<(String, ServedModel, f64)> = variants
            .into_iter()
            .map(|(label, pipeline, name, version, weight)| (label, served(&pipeline, name, version), weight))
            .collect();
        let router = self.inner.clone();
        detached(py, 0, move || router.start_ab(arms))
    }

    /// Compare every A/B variant with the control; a JSON list of comparisons, each
    /// with its `verdict`.
    #[pyo3(signature = (outcome="accuracy", alpha=0.05))]
    fn ab_test(&self, py: Python<'_>, outcome: &str, alpha: f64) -> PyResult<String> {
        let outcome = outcome_of(outcome)?;
        let router = self.inner.clone();
        let comparisons = detached(py, 0, move || router.ab_test(outcome, alpha))?;
        let out: Vec<Comparison<'_>> = comparisons
            .iter()
            .map(|c| Comparison {
                control: &c.control,
                treatment: &c.treatment,
                result: &c.result,
                verdict: c.result.verdict(),
            })
            .collect();
        json(&out)
    }

    fn promote(&self, py: Python<'_>) -> PyResult<String> {
        let router = self.inner.clone();
        json(&detached(py, 0, move || router.promote())?)
    }

    fn promote_variant(&self, py: Python<'_>, name: String) -> PyResult<String> {
        let router = self.inner.clone();
        json(&detached(py, 0, move || router.promote_variant(&name))?)
    }

    fn rollback(&self, py: Python<'_>, reason: String) -> PyResult<String> {
        let router = self.inner.clone();
        json(&detached(py, 0, move || router.rollback(&reason))?)
    }

    /// Judge the evidence with the policy (JSON); the decision as JSON.
    #[pyo3(signature = (policy_json, drifted=None, drift_report_json=None))]
    fn check(
        &self,
        py: Python<'_>,
        policy_json: &str,
        drifted: Option<bool>,
        drift_report_json: Option<String>,
    ) -> PyResult<String> {
        self.judge(py, policy_json, drifted, drift_report_json, false)
    }

    /// `check`, rolling back when the decision says so; the decision as JSON.
    #[pyo3(signature = (policy_json, drifted=None, drift_report_json=None))]
    fn enforce(
        &self,
        py: Python<'_>,
        policy_json: &str,
        drifted: Option<bool>,
        drift_report_json: Option<String>,
    ) -> PyResult<String> {
        self.judge(py, policy_json, drifted, drift_report_json, true)
    }

    /// Release the previous champion if its bake window is over; `(name, version)` of
    /// the model released.
    fn release_expired(&self, py: Python<'_>) -> PyResult<Option<(String, u64)>> {
        let router = self.inner.clone();
        let released = detached(py, 0, move || Ok(router.release_expired()))?;
        Ok(released.map(|m| (m.name, m.version)))
    }

    /// The routing state as JSON.
    fn status(&self) -> PyResult<String> {
        json(&self.inner.status())
    }

    fn record_outcome(
        &self,
        py: Python<'_>,
        variant: String,
        predicted: &Bound<'_, PyAny>,
        actual: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (predicted, actual) = (value_from_py(predicted)?, value_from_py(actual)?);
        let router = self.inner.clone();
        detached(py, 0, move || {
            router.record_outcome(&variant, &predicted, &actual)
        })
    }

    fn record_reward(&self, py: Python<'_>, variant: String, value: f64) -> PyResult<()> {
        let router = self.inner.clone();
        detached(py, 0, move || router.record_reward(&variant, value))
    }

    /// Every serving variant's metrics as a JSON list: label, role, model, version, the
    /// snapshot, and its derived numbers under `summary`.
    fn metrics(&self, py: Python<'_>) -> PyResult<String> {
        let router = self.inner.clone();
        let reports = detached(py, 0, move || Ok(router.metrics()))?;
        let out: Vec<Report<'_>> = reports
            .iter()
            .map(|r| Report {
                label: &r.label,
                role: r.role,
                model: &r.model,
                version: r.version,
                metrics: &r.metrics,
                summary: Summary::of(&r.metrics),
            })
            .collect();
        json(&out)
    }

    /// Every serving variant's metrics in the Prometheus text format.
    fn prometheus(&self, py: Python<'_>) -> PyResult<String> {
        let router = self.inner.clone();
        detached(py, 0, move || Ok(router.prometheus()))
    }

    fn __repr__(&self) -> String {
        let status = self.inner.status();
        format!("Router(mode={:?}, champion={})", status.mode, status.champion)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRouter>()?;
    Ok(())
}

impl PyRouter {
    /// `check` (or `enforce`, which also rolls back) without the GIL.
    fn judge(
        &self,
        py: Python<'_>,
        policy_json: &str,
        drifted: Option<bool>,
        drift_report_json: Option<String>,
        enforce: bool,
    ) -> PyResult<String> {
        let policy: RollbackPolicy = parse_json("policy", policy_json)?;
        let router = self.inner.clone();
        let decision = detached(py, 0, move || {
            let drift = drift_of(drifted, drift_report_json.as_deref())?;
            if enforce {
                router.enforce(&policy, drift)
            } else {
                router.check(&policy, drift)
            }
        })?;
        decision_json(&decision)
    }
}
