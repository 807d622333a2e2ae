use serde::{Deserialize, Serialize};

/// One cell of a row, for the single-row prediction path (no Arrow batch is built).
///
/// Timestamps are microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Missing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (NaN is treated as missing by the transforms that impute).
    Float(f64),
    /// A string.
    Str(String),
    /// Microseconds since 1970-01-01T00:00:00 UTC.
    Timestamp(i64),
}

impl Value {
    /// The value as a float, if it is numeric (`Null` gives `None`, a NaN gives `Some(NaN)`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            Value::Int(v) => Some(*v as f64),
            Value::Bool(v) => Some(f64::from(u8::from(*v))),
            Value::Timestamp(v) => Some(*v as f64),
            Value::Null | Value::Str(_) => None,
        }
    }

    /// True for `Null` and for a float NaN.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Null) || matches!(self, Value::Float(v) if v.is_nan())
    }

    /// A short name of the variant, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Timestamp(_) => "timestamp",
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
