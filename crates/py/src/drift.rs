//! `ferrops::drift` batch tests as `_core.DriftProfile`, `_core.DriftDetector`,
//! `_core.DriftReport` and the two-sample statistics as functions on numpy arrays.
//! Options and reports cross as JSON (the serde form of the Rust structs).

use std::sync::Arc;

use ferrops::drift::stats::{self, PMethod, PValueKind};
use ferrops::drift::{
    DriftDetector, DriftOptions, DriftProfileOptions, DriftReport, ModelMonitor, MonitorOptions, Profile,
    Sample,
};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::to_py;
use crate::{detached, out_batch, parse_json, to_batch, PyFittedPipeline};

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
}

fn values(array: &PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    match array.as_slice() {
        Ok(slice) => slice.to_vec(),
        Err(_) => array.as_array().to_vec(),
    }
}

fn sample(
    array: &PyReadonlyArray1<'_, f64>,
    weights: Option<&PyReadonlyArray1<'_, f64>>,
) -> PyResult<Sample> {
    let v = values(array);
    match weights {
        Some(w) => Sample::from_weighted(&v, &values(w)).map_err(to_py),
        None => Sample::from_values(&v).map_err(to_py),
    }
}

fn method(name: &str) -> PyResult<PMethod> {
    match name {
        "auto" => Ok(PMethod::Auto),
        "exact" => Ok(PMethod::Exact),
        "asymp" | "asymptotic" => Ok(PMethod::Asymptotic),
        other => Err(to_py(ferrops::Error::param(
            "method",
            other,
            "use \"auto\", \"exact\" or \"asymptotic\"",
        ))),
    }
}

fn kind(k: PValueKind) -> &'static str {
    match k {
        PValueKind::Exact => "exact",
        PValueKind::Asymptotic => "asymptotic",
        PValueKind::Interpolated => "interpolated",
    }
}

/// A drift reference profile (see `ferrops.drift.Profile`).
#[pyclass(name = "DriftProfile", module = "ferrops._core", frozen)]
pub struct PyProfile {
    inner: Arc<Profile>,
}

#[pymethods]
impl PyProfile {
    #[staticmethod]
    fn from_table(py: Python<'_>, table: AnyRecordBatch, options: &str) -> PyResult<Self> {
        let options: DriftProfileOptions = parse_json("profile options", options)?;
        let batch = to_batch(table)?;
        let rows = batch.num_rows();
        let profile = detached(py, rows, move || Profile::from_batch_with(&batch, &options))?;
        Ok(Self {
            inner: Arc::new(profile),
        })
    }

    #[staticmethod]
    fn from_json(py: Python<'_>, json: String) -> PyResult<Self> {
        let profile = detached(py, 0, move || Profile::from_json(&json))?;
        Ok(Self {
            inner: Arc::new(profile),
        })
    }

    #[staticmethod]
    fn from_table_profile_json(py: Python<'_>, json: String) -> PyResult<Self> {
        let profile = detached(py, 0, move || {
            ferrops::data::profile::TableProfile::from_json(&json).map(Profile::from_table_profile)
        })?;
        Ok(Self {
            inner: Arc::new(profile),
        })
    }

    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let profile = detached(py, 0, move || Profile::load(&path))?;
        Ok(Self {
            inner: Arc::new(profile),
        })
    }

    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let profile = self.inner.clone();
        detached(py, 0, move || profile.save(&path))
    }

    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let profile = self.inner.clone();
        detached(py, 0, move || profile.to_json())
    }

    fn merge(&self, py: Python<'_>, other: &PyProfile) -> PyResult<Self> {
        let mut merged = (*self.inner).clone();
        let other = other.inner.clone();
        let merged = detached(py, 0, move || merged.merge(&other).map(|()| merged))?;
        Ok(Self {
            inner: Arc::new(merged),
        })
    }

    #[getter]
    fn rows(&self) -> u64 {
        self.inner.rows()
    }

    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    #[getter]
    fn options(&self) -> PyResult<String> {
        json(self.inner.options())
    }

    fn is_exact(&self, column: &str) -> bool {
        self.inner.is_exact(column)
    }

    fn column_json(&self, column: &str) -> PyResult<String> {
        json(self.inner.column(column).map_err(to_py)?)
    }

    fn __eq__(&self, other: &PyProfile) -> bool {
        self.inner == other.inner
    }
}

/// Drift tests against one reference (see `ferrops.drift.DriftDetector`).
#[pyclass(name = "DriftDetector", module = "ferrops._core", frozen)]
pub struct PyDriftDetector {
    inner: Arc<DriftDetector>,
}

#[pymethods]
impl PyDriftDetector {
    #[staticmethod]
    fn from_profile(py: Python<'_>, profile: &PyProfile, options: &str) -> PyResult<Self> {
        let options: DriftOptions = parse_json("drift options", options)?;
        let profile = profile.inner.clone();
        let detector = detached(py, 0, move || DriftDetector::from_profile(&profile, options))?;
        Ok(Self {
            inner: Arc::new(detector),
        })
    }

    #[staticmethod]
    fn from_table(py: Python<'_>, table: AnyRecordBatch, options: &str) -> PyResult<Self> {
        let options: DriftOptions = parse_json("drift options", options)?;
        let batch = to_batch(table)?;
        let rows = batch.num_rows();
        let detector = detached(py, rows, move || DriftDetector::from_table(&batch, options))?;
        Ok(Self {
            inner: Arc::new(detector),
        })
    }

    fn run(&self, py: Python<'_>, current: AnyRecordBatch) -> PyResult<PyDriftReport> {
        let batch = to_batch(current)?;
        let rows = batch.num_rows();
        let detector = self.inner.clone();
        let report = detached(py, rows, move || detector.run(&batch))?;
        Ok(PyDriftReport {
            inner: Arc::new(report),
        })
    }

    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.columns().into_iter().map(str::to_string).collect()
    }

    #[getter]
    fn options(&self) -> PyResult<String> {
        json(self.inner.options())
    }
}

/// The outcome of a drift run (see `ferrops.drift.DriftReport`).
#[pyclass(name = "DriftReport", module = "ferrops._core", frozen)]
pub struct PyDriftReport {
    inner: Arc<DriftReport>,
}

#[pymethods]
impl PyDriftReport {
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        Ok(Self {
            inner: Arc::new(DriftReport::from_json(json).map_err(to_py)?),
        })
    }

    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().map_err(to_py)
    }

    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        out_batch(py, self.inner.to_record_batch().map_err(to_py)?)
    }

    fn to_html(&self, py: Python<'_>) -> PyResult<String> {
        let report = self.inner.clone();
        detached(py, 0, move || Ok(report.to_html()))
    }

    fn to_html_document(&self, py: Python<'_>) -> PyResult<String> {
        let report = self.inner.clone();
        detached(py, 0, move || Ok(report.to_html_document()))
    }

    fn save_html(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let report = self.inner.clone();
        detached(py, 0, move || report.save_html(&path))
    }

    fn histogram_svg(&self, py: Python<'_>, column: String) -> PyResult<Option<String>> {
        let report = self.inner.clone();
        detached(py, 0, move || {
            Ok(report.column(&column).and_then(|c| c.histogram_svg()))
        })
    }
}

/// A deployed pipeline watched batch by batch (see `ferrops.drift.ModelMonitor`).
#[pyclass(name = "ModelMonitor", module = "ferrops._core", frozen)]
pub struct PyModelMonitor {
    inner: Arc<std::sync::Mutex<ModelMonitor>>,
}

impl PyModelMonitor {
    fn with<T>(&self, f: impl FnOnce(&mut ModelMonitor) -> ferrops::Result<T>) -> PyResult<T> {
        let mut guard = self.inner.lock().map_err(|_| {
            to_py(ferrops::Error::InvalidData(
                "the monitor was poisoned by an earlier panic".into(),
            ))
        })?;
        f(&mut guard).map_err(to_py)
    }
}

#[pymethods]
impl PyModelMonitor {
    #[staticmethod]
    fn from_training(
        py: Python<'_>,
        pipeline: &PyFittedPipeline,
        training: AnyRecordBatch,
        options: &str,
    ) -> PyResult<Self> {
        let options: MonitorOptions = parse_json("monitor options", options)?;
        let batch = to_batch(training)?;
        let rows = batch.num_rows();
        let pipeline = pipeline.inner.clone();
        let monitor = detached(py, rows, move || ModelMonitor::new(pipeline, &batch, options))?;
        Ok(Self {
            inner: Arc::new(std::sync::Mutex::new(monitor)),
        })
    }

    #[staticmethod]
    fn from_profiles(
        py: Python<'_>,
        pipeline: &PyFittedPipeline,
        features: &PyProfile,
        predictions: &PyProfile,
        options: &str,
    ) -> PyResult<Self> {
        let options: MonitorOptions = parse_json("monitor options", options)?;
        let (pipeline, features, predictions) = (
            pipeline.inner.clone(),
            (*features.inner).clone(),
            (*predictions.inner).clone(),
        );
        let monitor = detached(py, 0, move || {
            ModelMonitor::from_profiles(pipeline, features, predictions, options)
        })?;
        Ok(Self {
            inner: Arc::new(std::sync::Mutex::new(monitor)),
        })
    }

    fn check(&self, py: Python<'_>, batch: AnyRecordBatch) -> PyResult<(PyDriftReport, PyDriftReport)> {
        let batch = to_batch(batch)?;
        let rows = batch.num_rows();
        let monitor = self.inner.clone();
        let report = detached(py, rows, move || {
            let guard = monitor.lock().map_err(|_| {
                ferrops::Error::InvalidData("the monitor was poisoned by an earlier panic".into())
            })?;
            guard.check(&batch)
        })?;
        Ok((
            PyDriftReport {
                inner: Arc::new(report.features),
            },
            PyDriftReport {
                inner: Arc::new(report.predictions),
            },
        ))
    }

    fn record(&self, py: Python<'_>, batch: AnyRecordBatch, target: String) -> PyResult<String> {
        let batch = to_batch(batch)?;
        let rows = batch.num_rows();
        let monitor = self.inner.clone();
        let performance = detached(py, rows, move || {
            let mut guard = monitor.lock().map_err(|_| {
                ferrops::Error::InvalidData("the monitor was poisoned by an earlier panic".into())
            })?;
            guard.record(&batch, &target)
        })?;
        json(&performance)
    }

    fn performance(&self) -> PyResult<String> {
        json(&self.with(|m| m.performance())?)
    }

    fn feature_profile(&self) -> PyResult<PyProfile> {
        let profile = self.with(|m| Ok(m.feature_profile().clone()))?;
        Ok(PyProfile {
            inner: Arc::new(profile),
        })
    }

    fn prediction_profile(&self) -> PyResult<PyProfile> {
        let profile = self.with(|m| Ok(m.prediction_profile().clone()))?;
        Ok(PyProfile {
            inner: Arc::new(profile),
        })
    }
}

#[pyfunction]
#[pyo3(signature = (a, b, method = "auto"))]
fn ks_2samp(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    method: &str,
) -> PyResult<(f64, f64, String)> {
    let (a, b, m) = (sample(&a, None)?, sample(&b, None)?, self::method(method)?);
    let rows = a.len() + b.len();
    let t = detached(py, rows, move || stats::ks_2samp(&a, &b, m))?;
    Ok((t.statistic, t.p_value, kind(t.method).to_string()))
}

#[pyfunction]
#[pyo3(signature = (a, b, method = "auto"))]
fn cramervonmises_2samp(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    method: &str,
) -> PyResult<(f64, f64, String)> {
    let (a, b, m) = (sample(&a, None)?, sample(&b, None)?, self::method(method)?);
    let rows = a.len() + b.len();
    let t = detached(py, rows, move || stats::cramervonmises_2samp(&a, &b, m))?;
    Ok((t.statistic, t.p_value, kind(t.method).to_string()))
}

/// `(statistic, critical_values, significance_levels, p_value, capped)`.
type AndersonTuple = (f64, Vec<f64>, Vec<f64>, f64, bool);

#[pyfunction]
fn anderson_ksamp(py: Python<'_>, samples: Vec<PyReadonlyArray1<'_, f64>>) -> PyResult<AndersonTuple> {
    let samples = samples
        .iter()
        .map(|s| sample(s, None))
        .collect::<PyResult<Vec<_>>>()?;
    let rows = samples.iter().map(Sample::len).sum();
    let r = detached(py, rows, move || {
        let refs: Vec<&Sample> = samples.iter().collect();
        stats::anderson_ksamp(&refs)
    })?;
    Ok((
        r.statistic,
        r.critical_values,
        r.significance_levels,
        r.p_value,
        r.capped,
    ))
}

#[pyfunction]
#[pyo3(signature = (u, v, u_weights = None, v_weights = None))]
fn wasserstein_distance(
    py: Python<'_>,
    u: PyReadonlyArray1<'_, f64>,
    v: PyReadonlyArray1<'_, f64>,
    u_weights: Option<PyReadonlyArray1<'_, f64>>,
    v_weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    let u = sample(&u, u_weights.as_ref())?;
    let v = sample(&v, v_weights.as_ref())?;
    let rows = u.len() + v.len();
    detached(py, rows, move || stats::wasserstein_distance(&u, &v))
}

#[pyfunction]
#[pyo3(signature = (reference, current, epsilon = 1e-4))]
fn psi(
    reference: PyReadonlyArray1<'_, f64>,
    current: PyReadonlyArray1<'_, f64>,
    epsilon: f64,
) -> PyResult<f64> {
    stats::psi(&values(&reference), &values(&current), epsilon).map_err(to_py)
}

#[pyfunction]
#[pyo3(signature = (p, q, base = 2.0))]
fn jensen_shannon(p: PyReadonlyArray1<'_, f64>, q: PyReadonlyArray1<'_, f64>, base: f64) -> PyResult<f64> {
    stats::jensen_shannon(&values(&p), &values(&q), base).map_err(to_py)
}

#[pyfunction]
fn hellinger(p: PyReadonlyArray1<'_, f64>, q: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    stats::hellinger(&values(&p), &values(&q)).map_err(to_py)
}

#[pyfunction]
fn total_variation(p: PyReadonlyArray1<'_, f64>, q: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    stats::total_variation(&values(&p), &values(&q)).map_err(to_py)
}

#[pyfunction]
fn l_infinity(p: PyReadonlyArray1<'_, f64>, q: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    stats::l_infinity(&values(&p), &values(&q)).map_err(to_py)
}

#[pyfunction]
fn chi2_homogeneity(
    reference: PyReadonlyArray1<'_, f64>,
    current: PyReadonlyArray1<'_, f64>,
) -> PyResult<(f64, f64, usize)> {
    let r = stats::chi2_homogeneity(&values(&reference), &values(&current)).map_err(to_py)?;
    Ok((r.statistic, r.p_value, r.dof))
}

#[pyfunction]
fn bonferroni(p_values: PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    stats::bonferroni(&values(&p_values))
}

#[pyfunction]
fn benjamini_hochberg(p_values: PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    stats::benjamini_hochberg(&values(&p_values))
}

#[pyfunction]
fn quantile_edges(reference: PyReadonlyArray1<'_, f64>, n_bins: usize) -> PyResult<Vec<f64>> {
    let s = sample(&reference, None)?;
    stats::quantile_edges(&s, n_bins).map_err(to_py)
}

#[pyfunction]
fn bin_counts(values_: PyReadonlyArray1<'_, f64>, edges: Vec<f64>) -> PyResult<Vec<f64>> {
    let s = sample(&values_, None)?;
    Ok(stats::bin_counts(&s, &edges))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyProfile>()?;
    m.add_class::<PyDriftDetector>()?;
    m.add_class::<PyDriftReport>()?;
    m.add_class::<PyModelMonitor>()?;
    m.add_function(wrap_pyfunction!(ks_2samp, m)?)?;
    m.add_function(wrap_pyfunction!(cramervonmises_2samp, m)?)?;
    m.add_function(wrap_pyfunction!(anderson_ksamp, m)?)?;
    m.add_function(wrap_pyfunction!(wasserstein_distance, m)?)?;
    m.add_function(wrap_pyfunction!(psi, m)?)?;
    m.add_function(wrap_pyfunction!(jensen_shannon, m)?)?;
    m.add_function(wrap_pyfunction!(hellinger, m)?)?;
    m.add_function(wrap_pyfunction!(total_variation, m)?)?;
    m.add_function(wrap_pyfunction!(l_infinity, m)?)?;
    m.add_function(wrap_pyfunction!(chi2_homogeneity, m)?)?;
    m.add_function(wrap_pyfunction!(bonferroni, m)?)?;
    m.add_function(wrap_pyfunction!(benjamini_hochberg, m)?)?;
    m.add_function(wrap_pyfunction!(quantile_edges, m)?)?;
    m.add_function(wrap_pyfunction!(bin_counts, m)?)?;
    Ok(())
}
