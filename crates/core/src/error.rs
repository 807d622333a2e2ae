//! The error type of every fallible call in ferrops.
//!
//! Each variant says what was wrong and, where it can, how to mend it. The Python
//! bindings map variants to the `ferrops.FerropsError` hierarchy by [`Error::kind`].

use std::path::PathBuf;

/// Result with ferrops' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, specifically enough to mend it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A column the call needs is not in the table.
    #[error("column `{column}` not found; the table has columns {available:?}")]
    ColumnNotFound {
        /// The missing column.
        column: String,
        /// The columns the table does have.
        available: Vec<String>,
    },
    /// A column has a type the call cannot use.
    #[error("column `{column}` has type {found} but {expected} is required")]
    ColumnType {
        /// The column.
        column: String,
        /// What the call accepts.
        expected: String,
        /// What the table holds.
        found: String,
    },
    /// The input has no rows (or no columns) where some are required.
    #[error("empty input: {context}")]
    EmptyInput {
        /// Which input was empty, and why that matters.
        context: String,
    },
    /// A value that no computation can use (NaN, infinity, null where none is allowed).
    #[error("column `{column}` has {value} at row {row}: {hint}")]
    InvalidValue {
        /// The column.
        column: String,
        /// The row (0-based) of the first offending value.
        row: usize,
        /// The offending value, as text.
        value: String,
        /// How to mend it.
        hint: String,
    },
    /// A category not seen at fit time, with `handle_unknown = "error"`.
    #[error("column `{column}` has category {value:?} not seen at fit time; to accept unseen values, set handle_unknown to \"ignore\" or \"infrequent_if_exist\" (OneHotEncoder) or \"use_encoded_value\" (OrdinalEncoder)")]
    UnknownCategory {
        /// The column.
        column: String,
        /// The unseen value.
        value: String,
    },
    /// The data cannot be used for the requested fit (e.g. a target with one class).
    #[error("{0}")]
    InvalidData(String),
    /// A parameter is out of its range or inconsistent with another.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// Its value, as text.
        value: String,
        /// Why it is invalid and what range is valid.
        reason: String,
    },
    /// An object was used before `fit`.
    #[error("{what} is not fitted yet: call fit first")]
    NotFitted {
        /// The object.
        what: String,
    },
    /// The trainer failed to fit.
    #[error("training {model} failed: {reason}")]
    Training {
        /// The trainer.
        model: String,
        /// What the solver reported.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on `{path}`: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV or Parquet file could not be parsed.
    #[error("cannot read {format} file `{path}`: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// `CSV` or `Parquet`.
        format: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// An artifact file does not match the hash recorded in its manifest.
    #[error("integrity check failed for `{file}`: manifest says sha256 {expected}, file has {found}; the artifact was modified or corrupted")]
    Integrity {
        /// The file, relative to the artifact directory.
        file: String,
        /// The hash in the manifest.
        expected: String,
        /// The hash of the file on disk.
        found: String,
    },
    /// An artifact is malformed, of an unknown format version, names an unknown stage, or
    /// its target already exists.
    #[error("artifact `{path}`: {reason}")]
    Artifact {
        /// The artifact directory or file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// (De)serialization of a fitted object failed.
    #[error("serialization: {0}")]
    Serialization(String),
    /// An Arrow compute or layout error.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// The work was cancelled through its [`CancelToken`](crate::cancel::CancelToken)
    /// (in Python: Ctrl-C). Nothing was written.
    #[error("cancelled before it finished")]
    Cancelled,
    /// A name (of a feature view, entity, feature or column) that the store cannot use:
    /// empty, too long, or trying to leave the store (`..`, `/`, `\\`, absolute paths).
    #[error("invalid {what} name {name:?}: {reason}")]
    InvalidName {
        /// What the name is for (`feature view`, `entity`, …).
        what: &'static str,
        /// The name as given.
        name: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// A definition (entity, feature view) that the store does not hold.
    #[error("{what} `{name}` is not registered; registered: {available:?}")]
    NotRegistered {
        /// `entity` or `feature view`.
        what: &'static str,
        /// The name asked for.
        name: String,
        /// The names that are registered.
        available: Vec<String>,
    },
    /// A definition is inconsistent (unknown entity, duplicate names, a change that
    /// existing data cannot follow).
    #[error("{what} `{name}`: {reason}")]
    Definition {
        /// `entity` or `feature view`.
        what: &'static str,
        /// Its name.
        name: String,
        /// What is wrong and how to mend it.
        reason: String,
    },
    /// Another writer committed first; nothing of this write was stored. Retry it.
    #[error("write to `{view}` conflicted with a concurrent commit ({reason}); nothing was written: retry the write")]
    Conflict {
        /// The feature view.
        view: String,
        /// What the storage layer reported.
        reason: String,
    },
    /// A compare-and-swap alias move found the alias somewhere other than expected:
    /// someone else moved it first. Nothing was written; re-read the alias and decide again.
    #[error("alias `{alias}` of model `{model}` points at {found}, not {expected} as expected ({last_move}); nothing was changed: re-read the alias and retry with the current target")]
    AliasConflict {
        /// The model.
        model: String,
        /// The alias.
        alias: String,
        /// What the caller expected.
        expected: String,
        /// What the alias points at.
        found: String,
        /// Who moved it last, when and why.
        last_move: String,
    },
    /// The storage backend (Delta log, object store, data files) failed or holds
    /// something unreadable.
    #[error("store `{location}`: {reason}")]
    Store {
        /// The table, file or URI involved.
        location: String,
        /// What went wrong and, where known, how to mend it.
        reason: String,
    },
}

/// The broad family of an [`Error`], used to pick the Python exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Missing or mistyped columns.
    Schema,
    /// Bad values in the data.
    Data,
    /// Bad parameters.
    InvalidParameter,
    /// Not fitted.
    NotFitted,
    /// Hash mismatch.
    Integrity,
    /// Files and artifacts.
    Io,
    /// Solver failure.
    Training,
    /// Cancelled (Python: `KeyboardInterrupt`).
    Cancelled,
    /// Feature store definitions, names and storage.
    Store,
    /// A concurrent commit won; the write can be retried.
    Conflict,
}

impl Error {
    /// The family of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::ColumnNotFound { .. } | Error::ColumnType { .. } => ErrorKind::Schema,
            Error::EmptyInput { .. }
            | Error::InvalidValue { .. }
            | Error::UnknownCategory { .. }
            | Error::InvalidData(_)
            | Error::Arrow(_) => ErrorKind::Data,
            Error::InvalidParameter { .. } => ErrorKind::InvalidParameter,
            Error::NotFitted { .. } => ErrorKind::NotFitted,
            Error::Integrity { .. } => ErrorKind::Integrity,
            Error::Io { .. } | Error::Read { .. } | Error::Artifact { .. } | Error::Serialization(_) => {
                ErrorKind::Io
            }
            Error::Training { .. } => ErrorKind::Training,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::InvalidName { .. } => ErrorKind::InvalidParameter,
            Error::NotRegistered { .. } | Error::Definition { .. } | Error::Store { .. } => ErrorKind::Store,
            Error::Conflict { .. } | Error::AliasConflict { .. } => ErrorKind::Conflict,
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &str, value: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::ColumnType`].
    pub fn column_type(column: &str, expected: impl Into<String>, found: impl std::fmt::Display) -> Self {
        Error::ColumnType {
            column: column.to_string(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }
}
