//! `ferrops::validate::data` as `_core` functions. Schemas and reports cross as JSON
//! (the serde form of the Rust structs), so a schema file written from Python is the
//! same file a Rust program reads. The Python layer (`ferrops.validation`) wraps them.

use std::path::PathBuf;

use ferrops::validate::data::{InferOptions, Schema};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

use crate::errors::to_py;
use crate::{detached, parse_json, to_batch};

/// A schema from its JSON form (a Python dict dumped), checked: a mistake is an
/// `InvalidParameterError` naming its place.
fn schema_of(json: &str) -> PyResult<Schema> {
    let schema: Schema = parse_json("schema", json)?;
    schema.check().map_err(to_py)?;
    Ok(schema)
}

fn json_of(schema: &Schema) -> PyResult<String> {
    schema.to_json().map_err(to_py)
}

/// Infer a schema from `table`; `options` is the JSON of `InferOptions` (may be partial).
#[pyfunction]
#[pyo3(signature = (table, options=None))]
fn infer_schema(py: Python<'_>, table: AnyRecordBatch, options: Option<&str>) -> PyResult<String> {
    let options: InferOptions = match options {
        Some(json) => parse_json("infer options", json)?,
        None => InferOptions::default(),
    };
    let batch = to_batch(table)?;
    let schema = detached(py, batch.num_rows(), move || Schema::infer(&batch, &options))?;
    json_of(&schema)
}

/// Validate `table` against the schema `schema` (JSON); the report as JSON, with `passed`.
#[pyfunction]
fn validate_data(py: Python<'_>, table: AnyRecordBatch, schema: &str) -> PyResult<String> {
    let schema = schema_of(schema)?;
    let batch = to_batch(table)?;
    detached(py, batch.num_rows(), move || {
        ferrops::validate::data::validate(&schema, &batch)?.to_json()
    })
}

/// Check a schema given as JSON and return it in canonical form.
#[pyfunction]
fn schema_check(schema: &str) -> PyResult<String> {
    json_of(&schema_of(schema)?)
}

/// Parse a schema from JSON text (as in a file): a mistake is a `FerropsIOError`.
#[pyfunction]
fn schema_from_json(text: &str) -> PyResult<String> {
    json_of(&Schema::from_json(text).map_err(to_py)?)
}

/// Parse a schema from YAML text; the schema as JSON.
#[pyfunction]
fn schema_from_yaml(text: &str) -> PyResult<String> {
    json_of(&Schema::from_yaml(text).map_err(to_py)?)
}

/// The schema (JSON) as YAML text.
#[pyfunction]
fn schema_to_yaml(schema: &str) -> PyResult<String> {
    schema_of(schema)?.to_yaml().map_err(to_py)
}

/// Write the schema (JSON) to `path`: JSON or YAML by the extension.
#[pyfunction]
fn schema_save(py: Python<'_>, schema: &str, path: PathBuf) -> PyResult<()> {
    let schema = schema_of(schema)?;
    detached(py, 0, move || schema.save(&path))
}

/// Read a schema file (JSON or YAML by the extension); the schema as JSON.
#[pyfunction]
fn schema_load(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    let schema = detached(py, 0, move || Schema::load(&path))?;
    json_of(&schema)
}

/// Add this module's classes and functions to `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(infer_schema, m)?)?;
    m.add_function(wrap_pyfunction!(validate_data, m)?)?;
    m.add_function(wrap_pyfunction!(schema_check, m)?)?;
    m.add_function(wrap_pyfunction!(schema_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(schema_from_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(schema_to_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(schema_save, m)?)?;
    m.add_function(wrap_pyfunction!(schema_load, m)?)?;
    Ok(())
}
