//! `ferrops::drift::stream` as the `_core.StreamDriftDetector` class: one class for every
//! streaming detector (the kind is a constructor argument), wrapped per detector by
//! `ferrops.drift` (`ADWIN`, `PageHinkley`, `KSWIN`, `DDM`, `EDDM`, `HDDM_A`, `HDDM_W`).
//!
//! `update` reads one value with the GIL held (a few hundred nanoseconds, less than
//! releasing it would cost); `update_many` reads a whole array with the GIL released.

use std::borrow::Cow;

use ferrops::drift::stream::{AnyStreamDetector, StreamDetector};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::errors::{self, to_py};

/// A streaming drift detector of any kind, checkpointable as JSON.
#[pyclass(name = "StreamDriftDetector", module = "ferrops._core")]
struct PyStreamDriftDetector {
    inner: AnyStreamDetector,
}

#[pymethods]
impl PyStreamDriftDetector {
    /// A detector of kind `kind` (`"adwin"`, `"page_hinkley"`, `"kswin"`, `"ddm"`,
    /// `"eddm"`, `"hddm_a"`, `"hddm_w"`) from its parameters as a JSON object.
    #[new]
    fn new(kind: &str, params: &str) -> PyResult<Self> {
        let inner = AnyStreamDetector::from_params_json(kind, params).map_err(to_py)?;
        Ok(PyStreamDriftDetector { inner })
    }

    /// Read one value; returns whether a drift was detected.
    fn update(&mut self, x: f64) -> PyResult<bool> {
        self.inner.try_update(x).map_err(to_py)?;
        Ok(self.inner.drift_detected())
    }

    /// Read every value of `xs` (checked first) and return the positions of drifts.
    fn update_many<'py>(
        &mut self,
        py: Python<'py>,
        xs: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let values: Cow<'_, [f64]> = match xs.as_slice() {
            Ok(slice) => Cow::Borrowed(slice),
            Err(_) => Cow::Owned(xs.as_array().to_vec()),
        };
        let inner = &mut self.inner;
        let guarded =
            move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.try_update_many(&values)));
        let drifts = match py.detach(guarded) {
            Ok(result) => result.map_err(to_py)?,
            Err(panic) => return Err(errors::from_panic(panic)),
        };
        let drifts: Vec<i64> = drifts
            .into_iter()
            .map(|i| i64::try_from(i).unwrap_or(i64::MAX))
            .collect();
        Ok(drifts.into_pyarray(py))
    }

    /// Forget the stream.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// Whether the latest update detected a drift.
    #[getter]
    fn drift_detected(&self) -> bool {
        self.inner.drift_detected()
    }

    /// Whether the latest update is in the warning zone.
    #[getter]
    fn warning_detected(&self) -> bool {
        self.inner.warning_detected()
    }

    /// Values read since construction or `reset`.
    #[getter]
    fn n_seen(&self) -> u64 {
        self.inner.n_seen()
    }

    /// The detector's name, e.g. `"ADWIN"`.
    #[getter]
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// A statistic of the detector's state by name (e.g. `"width"` of ADWIN).
    fn stat(&self, name: &str) -> PyResult<f64> {
        let value = match (&self.inner, name) {
            (AnyStreamDetector::Adwin(d), "width") => Some(d.width()),
            (AnyStreamDetector::Adwin(d), "total") => Some(d.total()),
            (AnyStreamDetector::Adwin(d), "variance") => Some(d.variance()),
            (AnyStreamDetector::Adwin(d), "estimation") => Some(d.estimation()),
            (AnyStreamDetector::Adwin(d), "n_detections") => Some(d.n_detections() as f64),
            (AnyStreamDetector::Kswin(d), "p_value") => Some(d.p_value()),
            (AnyStreamDetector::Kswin(d), "statistic") => Some(d.statistic()),
            (AnyStreamDetector::PageHinkley(d), "mean") => Some(d.mean()),
            (AnyStreamDetector::Ddm(d), "error_rate") => Some(d.error_rate()),
            (AnyStreamDetector::Eddm(d), "mean_distance") => Some(d.mean_distance()),
            (AnyStreamDetector::HddmA(d), "mean") => Some(d.mean()),
            (AnyStreamDetector::HddmW(d), "mean") => Some(d.mean()),
            _ => None,
        };
        value.ok_or_else(|| {
            to_py(ferrops::Error::param(
                "name",
                name,
                format!("{} has no statistic of that name", self.inner.name()),
            ))
        })
    }

    /// The window of a KSWIN detector, oldest first.
    fn window(&self) -> PyResult<Vec<f64>> {
        match &self.inner {
            AnyStreamDetector::Kswin(d) => Ok(d.window().collect()),
            other => Err(to_py(ferrops::Error::param(
                "window",
                other.name(),
                "only KSWIN keeps its window",
            ))),
        }
    }

    /// The detector's state as JSON (a checkpoint).
    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().map_err(to_py)
    }

    /// Resume a detector from `to_json`.
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        let inner = AnyStreamDetector::from_json(json).map_err(to_py)?;
        Ok(PyStreamDriftDetector { inner })
    }

    fn __repr__(&self) -> String {
        format!(
            "StreamDriftDetector({}, n_seen={})",
            self.inner.name(),
            self.inner.n_seen()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStreamDriftDetector>()?;
    Ok(())
}
