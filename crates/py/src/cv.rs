//! `ferrops::validate::{cv, search}` as `_core` functions: cross-validation of a whole
//! pipeline and hyperparameter search over candidate pipelines.
//!
//! Pipelines cross as JSON specs (transform specs and a trainer spec), folds as
//! `(train, test)` int64 numpy arrays computed by the Python layer (any splitter,
//! ours or scikit-learn's), and results as JSON text that `ferrops.model_selection`
//! turns into scikit-learn's result dictionaries.

use std::sync::Arc;

use ferrops::features::FeatureTransform;
use ferrops::pipeline::Pipeline;
use ferrops::train::Trainer;
use ferrops::validate::cv::{cross_validate as cv_run, CvOptions, Scorer};
use ferrops::validate::search::{search as search_run, Candidate, Progress, SearchOptions};
use ferrops::validate::split::Fold;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;
use serde_json::{json, Value as Json};

use crate::{detached_with, parse_json, to_batch, OnInterrupt, PyFittedPipeline, ALWAYS_THREAD};

/// A fold as numpy arrays: `(train, test)`.
type PyFold<'py> = (PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, i64>);

fn pipeline_of(transforms: &[String], trainer: &str) -> PyResult<Pipeline> {
    let mut pipeline = Pipeline::new();
    for spec in transforms {
        let t: Box<dyn FeatureTransform> = parse_json("transform spec", spec)?;
        pipeline = pipeline.transform_boxed(t);
    }
    let trainer: Box<dyn Trainer> = parse_json("trainer spec", trainer)?;
    Ok(pipeline.train_boxed(trainer))
}

fn rows(name: &str, fold: usize, values: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    values
        .as_array()
        .iter()
        .map(|&r| {
            usize::try_from(r).map_err(|_| {
                crate::errors::to_py(ferrops::Error::InvalidData(format!(
                    "fold {fold}: {name} index {r} is negative; pass row positions 0..n_rows"
                )))
            })
        })
        .collect()
}

fn folds_of(folds: Vec<PyFold<'_>>) -> PyResult<Vec<Fold>> {
    folds
        .iter()
        .enumerate()
        .map(|(i, (train, test))| {
            Ok(Fold {
                train: rows("train", i, train)?,
                test: rows("test", i, test)?,
            })
        })
        .collect()
}

fn options_of(
    scoring: &[String],
    weights: Option<PyReadonlyArray1<'_, f64>>,
    return_train_score: bool,
) -> PyResult<CvOptions> {
    let scoring = scoring
        .iter()
        .map(|s| Scorer::parse(s))
        .collect::<ferrops::Result<Vec<_>>>()
        .map_err(crate::errors::to_py)?;
    Ok(CvOptions {
        scoring,
        return_train_score,
        weights: weights.map(|w| w.as_array().to_owned()),
    })
}

fn to_json_text(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(crate::ser_err)
}

/// Cross-validate a pipeline; returns `CvResults` as JSON.
#[pyfunction]
#[pyo3(signature = (transforms, trainer, table, target, folds, scoring, sample_weight=None, return_train_score=false))]
#[allow(clippy::too_many_arguments)]
fn cross_validate(
    py: Python<'_>,
    transforms: Vec<String>,
    trainer: &str,
    table: AnyRecordBatch,
    target: String,
    folds: Vec<PyFold<'_>>,
    scoring: Vec<String>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    return_train_score: bool,
) -> PyResult<String> {
    let pipeline = pipeline_of(&transforms, trainer)?;
    let folds = folds_of(folds)?;
    let options = options_of(&scoring, sample_weight, return_train_score)?;
    let batch = to_batch(table)?;
    let results = detached_with(py, ALWAYS_THREAD, OnInterrupt::Raise, move || {
        cv_run(&pipeline, &batch, &target, &folds, &options)
    })?;
    to_json_text(&results)
}

/// Search over candidate pipelines, each `(transform specs, trainer spec, params JSON)`.
///
/// Returns the results as JSON and the refitted best pipeline (if asked for and the
/// search completed). Ctrl-C stops the search and returns what finished.
#[pyfunction]
#[pyo3(signature = (candidates, table, target, folds, scoring, sample_weight=None, return_train_score=false, rank_by=None, refit=true, progress=None))]
#[allow(clippy::too_many_arguments)]
fn search(
    py: Python<'_>,
    candidates: Vec<(Vec<String>, String, String)>,
    table: AnyRecordBatch,
    target: String,
    folds: Vec<PyFold<'_>>,
    scoring: Vec<String>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    return_train_score: bool,
    rank_by: Option<&str>,
    refit: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Option<PyFittedPipeline>)> {
    let candidates = candidates
        .iter()
        .map(|(transforms, trainer, params)| {
            let pipeline = pipeline_of(transforms, trainer)?;
            let params: Vec<(String, Json)> = parse_json("candidate params", params)?;
            Ok(Candidate::new(pipeline, params))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let folds = folds_of(folds)?;
    let mut options =
        SearchOptions::new(options_of(&scoring, sample_weight, return_train_score)?).refit(refit);
    if let Some(name) = rank_by {
        options = options.rank_by(Scorer::parse(name).map_err(crate::errors::to_py)?);
    }
    if let Some(callback) = progress {
        let callback = Arc::new(callback);
        options = options.progress(move |p: &Progress| {
            Python::attach(|py| {
                let args = (p.done, p.total, p.trial, p.fold, p.best_score);
                if let Err(e) = callback.call1(py, args) {
                    e.write_unraisable(py, None);
                }
            });
        });
    }
    let batch = to_batch(table)?;
    let results = detached_with(py, ALWAYS_THREAD, OnInterrupt::CancelAndWait, move || {
        search_run(candidates, &batch, &target, &folds, &options)
    })?;
    let text = to_json_text(&json!({
        "scoring": results.scoring,
        "rank_by": results.rank_by,
        "interrupted": results.interrupted,
        "trials": results.trials,
    }))?;
    let fitted = results.refitted.map(|f| PyFittedPipeline { inner: Arc::new(f) });
    Ok((text, fitted))
}

/// `"classification"` or `"regression"`: the kind of target a trainer spec fits.
#[pyfunction]
fn trainer_kind(trainer: &str) -> PyResult<&'static str> {
    let trainer: Box<dyn Trainer> = parse_json("trainer spec", trainer)?;
    Ok(match trainer.target_kind() {
        ferrops::data::TargetKind::Classification => "classification",
        ferrops::data::TargetKind::Regression => "regression",
    })
}

/// Add this module's functions to `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(trainer_kind, m)?)?;
    m.add_function(wrap_pyfunction!(cross_validate, m)?)?;
    m.add_function(wrap_pyfunction!(search, m)?)?;
    Ok(())
}
