//! `ferrops::drift::multivariate` as `_core` functions: the PCA reconstruction error and
//! the domain classifier.
//!
//! Parameters, fitted detectors and results cross as the JSON form of the Rust structs,
//! so a fitted detector pickled in Python is the same text a Rust program loads. The
//! Python layer (`ferrops.drift.PCAReconstructionDrift`,
//! `ferrops.drift.domain_classifier_drift`) wraps them.

use ferrops::drift::multivariate::{DomainClassifier, FittedPcaReconstruction, PcaReconstruction};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::to_py;
use crate::{detached, parse_json, to_batch, ALWAYS_THREAD};

fn to_json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py(ferrops::Error::Serialization(e.to_string())))
}

/// Fit a `PcaReconstruction` (parameters as JSON) on `reference`; the fitted detector
/// as JSON.
#[pyfunction]
fn pca_reconstruction_fit(py: Python<'_>, reference: AnyRecordBatch, params: &str) -> PyResult<String> {
    let params: PcaReconstruction = parse_json("PcaReconstruction parameters", params)?;
    let batch = to_batch(reference)?;
    let fitted = detached(py, batch.num_rows(), move || params.fit(&batch))?;
    to_json(&fitted)
}

/// Evaluate a fitted detector (JSON, from `pca_reconstruction_fit`) on `current`; the
/// result as JSON.
#[pyfunction]
fn pca_reconstruction_evaluate(py: Python<'_>, fitted: &str, current: AnyRecordBatch) -> PyResult<String> {
    let fitted: FittedPcaReconstruction = serde_json::from_str(fitted).map_err(|e| {
        to_py(ferrops::Error::Serialization(format!(
            "not a fitted ferrops PcaReconstruction: {e}"
        )))
    })?;
    let batch = to_batch(current)?;
    let result = detached(py, batch.num_rows(), move || fitted.evaluate(&batch))?;
    to_json(&result)
}

/// Run a `DomainClassifier` (parameters as JSON, the classifier as a trainer spec) on
/// `reference` against `current`; the result as JSON.
#[pyfunction]
fn domain_classifier(
    py: Python<'_>,
    reference: AnyRecordBatch,
    current: AnyRecordBatch,
    params: &str,
) -> PyResult<String> {
    let params: DomainClassifier = parse_json("DomainClassifier parameters", params)?;
    let (reference, current) = (to_batch(reference)?, to_batch(current)?);
    let result = detached(py, ALWAYS_THREAD, move || params.run(&reference, &current))?;
    to_json(&result)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pca_reconstruction_fit, m)?)?;
    m.add_function(wrap_pyfunction!(pca_reconstruction_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(domain_classifier, m)?)?;
    Ok(())
}
