//! One module per command family; each returns an [`Outcome`](crate::Outcome) or a
//! [`Failure`](crate::Failure) and never prints.

mod data;
mod drift;
mod gate;
mod registry;
mod serve;

pub(crate) use data::{validate_data, ValidateDataArgs};
pub(crate) use drift::{drift, DriftArgs};
pub(crate) use gate::{gate, GateArgs};
pub(crate) use registry::{
    history, promote, register, rollback, HistoryArgs, PromoteArgs, RegisterArgs, RollbackArgs,
};
pub(crate) use serve::{serve, ServeArgs};

use serde::Serialize;
use serde_json::Value;

use crate::Failure;

/// The local directory a registry or store URI names (a plain path or `file://`), or
/// `None` for object storage.
pub(crate) fn local_path(uri: &str) -> Option<&str> {
    match uri.strip_prefix("file://") {
        Some(path) => Some(path),
        None if !uri.contains("://") => Some(uri),
        None => None,
    }
}

/// `value` as JSON.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| Failure::usage(format!("cannot write the result as JSON: {e}")))
}

/// A number for people: fixed for ordinary magnitudes, scientific for tiny ones.
pub(crate) fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.3e}")
    }
}
