//! (in progress)

use pyo3::prelude::*;

/// Add this module's classes and functions to `_core`.
pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
