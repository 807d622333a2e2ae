//! The `ferrops.FerropsError` hierarchy and the one mapping from Rust errors to it.

use ferrops::error::ErrorKind;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    ferrops,
    FerropsError,
    PyException,
    "Base class of every ferrops error."
);
create_exception!(
    ferrops,
    SchemaError,
    FerropsError,
    "A column is missing or has the wrong type."
);
create_exception!(
    ferrops,
    DataError,
    FerropsError,
    "Bad values: empty input, NaN/inf, unknown category, one-class target."
);
create_exception!(
    ferrops,
    InvalidParameterError,
    FerropsError,
    "A parameter is out of range or inconsistent."
);
create_exception!(
    ferrops,
    NotFittedError,
    FerropsError,
    "An object was used before fit."
);
create_exception!(
    ferrops,
    IntegrityError,
    FerropsError,
    "An artifact file does not match its recorded hash."
);
create_exception!(
    ferrops,
    FerropsIOError,
    FerropsError,
    "A file could not be read, written or parsed."
);
create_exception!(ferrops, TrainingError, FerropsError, "A solver failed to fit.");
create_exception!(
    ferrops,
    StoreError,
    FerropsError,
    "A feature store definition, name or storage operation failed."
);
create_exception!(
    ferrops,
    ConflictError,
    StoreError,
    "A concurrent commit won; nothing of this write was stored: retry it."
);

/// Map a ferrops error to its Python exception.
pub fn to_py(e: ferrops::Error) -> PyErr {
    let message = e.to_string();
    match e.kind() {
        ErrorKind::Schema => SchemaError::new_err(message),
        ErrorKind::Data => DataError::new_err(message),
        ErrorKind::InvalidParameter => InvalidParameterError::new_err(message),
        ErrorKind::NotFitted => NotFittedError::new_err(message),
        ErrorKind::Integrity => IntegrityError::new_err(message),
        ErrorKind::Io => FerropsIOError::new_err(message),
        ErrorKind::Training => TrainingError::new_err(message),
        ErrorKind::Cancelled => pyo3::exceptions::PyKeyboardInterrupt::new_err(message),
        ErrorKind::Store => StoreError::new_err(message),
        ErrorKind::Conflict => ConflictError::new_err(message),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FerropsError", py.get_type::<FerropsError>())?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("InvalidParameterError", py.get_type::<InvalidParameterError>())?;
    m.add("NotFittedError", py.get_type::<NotFittedError>())?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("FerropsIOError", py.get_type::<FerropsIOError>())?;
    m.add("TrainingError", py.get_type::<TrainingError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    Ok(())
}

/// A panic inside ferrops, as a `FerropsError` (a bug: please report it).
pub fn from_panic(panic: Box<dyn std::any::Any + Send>) -> PyErr {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    FerropsError::new_err(format!("internal error in ferrops (please report it): {message}"))
}
