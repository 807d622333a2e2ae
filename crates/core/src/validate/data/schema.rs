//! The schema: what a table is expected to look like, inferred and/or written by hand.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::expectation::Expectation;
use super::stats::{self, ColumnStats};
use crate::error::{Error, Result};

/// The format tag written at the top of every schema file.
pub const SCHEMA_FORMAT: &str = "ferrops.data_schema/1";

fn default_format() -> String {
    SCHEMA_FORMAT.to_string()
}

/// Write a whole bound as an integer (`min: 18`, not `min: 18.0`) so files read naturally.
fn whole_as_int<S: serde::Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => serializer.serialize_some(&(*v as i64)),
        other => other.serialize(serializer),
    }
}

fn yes() -> bool {
    true
}

/// The logical type of a column, derived from its Arrow type.
///
/// In a schema file it is written in lower case: `int`, `float`, `bool`, `string`,
/// `timestamp`, `date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicalType {
    /// Signed and unsigned integers.
    Int,
    /// Floats and decimals (an integer column is accepted where a float is expected).
    Float,
    /// Booleans.
    Bool,
    /// Strings of any Arrow layout (a dictionary, or categorical, has its values' type).
    String,
    /// Timestamps of any unit and time zone.
    Timestamp,
    /// Dates (`Date32`, `Date64`).
    Date,
}

impl LogicalType {
    /// The logical type of an Arrow type, or `None` for types the schema cannot describe
    /// (binary, nested, the all-null `Null` type).
    pub fn of(data_type: &DataType) -> Option<LogicalType> {
        match data_type {
            DataType::Boolean => Some(LogicalType::Bool),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(LogicalType::String),
            // Categoricals take their values' type (pandas categoricals of strings or of ints).
            DataType::Dictionary(_, value) => LogicalType::of(value),
            DataType::Timestamp(_, _) => Some(LogicalType::Timestamp),
            DataType::Date32 | DataType::Date64 => Some(LogicalType::Date),
            dt if dt.is_integer() => Some(LogicalType::Int),
            dt if dt.is_floating() => Some(LogicalType::Float),
            DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _) => Some(LogicalType::Float),
            _ => None,
        }
    }

    /// True if a column of Arrow type `data_type` is acceptable where `self` is expected:
    /// the same logical type, an integer where a float is expected, or the all-null type.
    pub fn accepts(self, data_type: &DataType) -> bool {
        if matches!(data_type, DataType::Null) {
            return true;
        }
        match (self, LogicalType::of(data_type)) {
            (LogicalType::Float, Some(LogicalType::Int)) => true,
            (expected, Some(found)) => expected == found,
            (_, None) => false,
        }
    }

    /// True for `int` and `float`.
    pub fn is_numeric(self) -> bool {
        matches!(self, LogicalType::Int | LogicalType::Float)
    }

    /// The name used in schema files.
    pub fn name(self) -> &'static str {
        match self {
            LogicalType::Int => "int",
            LogicalType::Float => "float",
            LogicalType::Bool => "bool",
            LogicalType::String => "string",
            LogicalType::Timestamp => "timestamp",
            LogicalType::Date => "date",
        }
    }
}

impl std::fmt::Display for LogicalType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How much an anomaly matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The report fails ([`ValidationReport::passed`](super::ValidationReport::passed) is false).
    #[default]
    Error,
    /// Reported, but the report still passes.
    Warning,
    /// The check is not run.
    Ignore,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Ignore => "ignore",
        })
    }
}

/// The name of a check. The first eight come from the schema's columns and row count;
/// the rest are [`Expectation`]s. Written in snake case in files and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// A required column is absent.
    MissingColumn,
    /// The table has a column the schema does not list.
    ExtraColumn,
    /// The column's type is not the schema's.
    Type,
    /// More nulls than `max_null_fraction`.
    Nulls,
    /// More NaN than `max_nan_fraction`.
    Nan,
    /// Values outside `[min, max]`.
    Range,
    /// Strings outside the column's `domain`.
    Domain,
    /// Row count outside the schema's `row_count`.
    RowCount,
    /// Expectation: values between bounds.
    Between,
    /// Expectation: values in a set.
    InSet,
    /// Expectation: no nulls (nor NaN).
    NotNull,
    /// Expectation: no value repeated.
    Unique,
    /// Expectation: strings match a regular expression.
    Matches,
    /// Expectation: row count between bounds.
    RowCountBetween,
    /// Expectation: no combination of key columns repeated.
    UniqueKey,
}

impl Check {
    /// The snake-case name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::MissingColumn => "missing_column",
            Check::ExtraColumn => "extra_column",
            Check::Type => "type",
            Check::Nulls => "nulls",
            Check::Nan => "nan",
            Check::Range => "range",
            Check::Domain => "domain",
            Check::RowCount => "row_count",
            Check::Between => "between",
            Check::InSet => "in_set",
            Check::NotNull => "not_null",
            Check::Unique => "unique",
            Check::Matches => "matches",
            Check::RowCountBetween => "row_count_between",
            Check::UniqueKey => "unique_key",
        }
    }

    /// True for the checks that come from an [`Expectation`] (which carries its own severity).
    pub fn is_expectation(self) -> bool {
        matches!(
            self,
            Check::Between
                | Check::InSet
                | Check::NotNull
                | Check::Unique
                | Check::Matches
                | Check::RowCountBetween
                | Check::UniqueKey
        )
    }

    /// The severity of a schema check unless the schema overrides it: [`Severity::Warning`]
    /// for `extra_column`, [`Severity::Error`] for every other.
    pub fn default_severity(self) -> Severity {
        match self {
            Check::ExtraColumn => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Bounds on the number of rows (inclusive); `None` is no bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCount {
    /// At least this many rows.
    #[serde(default)]
    pub min: Option<u64>,
    /// At most this many rows.
    #[serde(default)]
    pub max: Option<u64>,
}

/// What one column is expected to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSchema {
    /// The column name.
    pub name: String,
    /// Its logical type.
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// A missing required column is a `missing_column` anomaly; an optional one is not.
    #[serde(default = "yes")]
    pub required: bool,
    /// The largest acceptable fraction of null rows (`0` = not nullable); `None`: any.
    #[serde(default)]
    pub max_null_fraction: Option<f64>,
    /// Float columns: the largest acceptable fraction of NaN rows; `None`: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nan_fraction: Option<f64>,
    /// Numeric columns: the smallest acceptable value (inclusive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "whole_as_int"
    )]
    pub min: Option<f64>,
    /// Numeric columns: the largest acceptable value (inclusive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "whole_as_int"
    )]
    pub max: Option<f64>,
    /// String columns: the acceptable values; `None`: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Vec<String>>,
    /// Severity overrides for this column's checks (over the schema's and the defaults).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<Check, Severity>,
    /// The distribution seen at inference (informational: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ColumnStats>,
}

impl ColumnSchema {
    /// A required column of `logical_type` with no other constraint.
    pub fn new(name: impl Into<String>, logical_type: LogicalType) -> Self {
        ColumnSchema {
            name: name.into(),
            logical_type,
            required: true,
            max_null_fraction: None,
            max_nan_fraction: None,
            min: None,
            max: None,
            domain: None,
            severity: BTreeMap::new(),
            stats: None,
        }
    }
}

/// Options of [`Schema::infer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InferOptions {
    /// A string column with at most this many distinct values gets a `domain` (TFDV's
    /// `max_string_domain_size`, default 100); `0` infers no domains.
    pub max_domain_size: usize,
    /// Infer `min` and `max` of numeric columns (default true).
    pub infer_ranges: bool,
    /// Widen each inferred range by this fraction of its span on both sides (default 0:
    /// the observed range). Integer bounds are rounded outwards.
    pub range_margin: f64,
    /// A column with nulls gets `max_null_fraction` = observed fraction + this (at most
    /// 1; default 0.05); a column without nulls gets 0. The same rule sets
    /// `max_nan_fraction` of float columns.
    pub null_margin: f64,
    /// The inferred minimum row count (default 1: an empty table is an anomaly); `None`: none.
    pub min_rows: Option<u64>,
    /// Quantiles recorded in each numeric column's stats (default 0.05, 0.25, 0.5, 0.75, 0.95).
    pub quantiles: Vec<f64>,
    /// How many of the most frequent values of a string or bool column the stats keep (default 10).
    pub top_values: usize,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions {
            max_domain_size: 100,
            infer_ranges: true,
            range_margin: 0.0,
            null_margin: 0.05,
            min_rows: Some(1),
            quantiles: vec![0.05, 0.25, 0.5, 0.75, 0.95],
            top_values: 10,
        }
    }
}

impl InferOptions {
    fn check(&self) -> Result<()> {
        if !(self.range_margin.is_finite() && self.range_margin >= 0.0) {
            return Err(Error::param(
                "range_margin",
                self.range_margin,
                "must be a finite number >= 0",
            ));
        }
        if !(self.null_margin.is_finite() && (0.0..=1.0).contains(&self.null_margin)) {
            return Err(Error::param("null_margin", self.null_margin, "must be in [0, 1]"));
        }
        if let Some(q) = self.quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(Error::param("quantiles", q, "every quantile must be in [0, 1]"));
        }
        Ok(())
    }
}

/// What a table is expected to look like: row count, columns, and written expectations.
///
/// Build it with [`Schema::infer`] or [`Schema::new`] plus [`Schema::with_column`] and
/// [`Schema::with_expectation`]; keep it as JSON or YAML ([`Schema::save`]); check tables
/// with [`validate`](super::validate). See [the module](super) for the checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The file format tag, [`SCHEMA_FORMAT`].
    #[serde(default = "default_format")]
    pub format: String,
    /// Row-count bounds.
    #[serde(default)]
    pub row_count: RowCount,
    /// Severity overrides of schema checks for every column (over the defaults of
    /// [`Check::default_severity`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<Check, Severity>,
    /// The columns, in table order.
    #[serde(default)]
    pub columns: Vec<ColumnSchema>,
    /// Written expectations, checked after the columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<Expectation>,
}

impl Default for Schema {
    fn default() -> Self {
        Schema::new()
    }
}

/// The file formats of [`Schema::save`] / [`Schema::load`].
#[derive(Clone, Copy)]
enum FileFormat {
    Json,
    Yaml,
}

fn file_format(path: &Path) -> Result<FileFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Ok(FileFormat::Json),
        Some("yaml" | "yml") => Ok(FileFormat::Yaml),
        _ => Err(Error::param(
            "path",
            path.display(),
            "a schema file must end in .json, .yaml or .yml (the extension picks the format)",
        )),
    }
}

impl Schema {
    /// An empty schema: no columns, no row-count bounds, no expectations.
    pub fn new() -> Self {
        Schema {
            format: default_format(),
            row_count: RowCount::default(),
            severity: BTreeMap::new(),
            columns: Vec::new(),
            expectations: Vec::new(),
        }
    }

    /// Infer a schema from `table`: each column's logical type, null (and NaN) fraction
    /// limit, numeric range, category domain and distribution summary, per `options`.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyInput`] for a table without rows or columns,
    /// [`Error::InvalidData`] for two columns of the same name,
    /// [`Error::ColumnType`] for a column of a type the schema cannot describe (binary,
    /// nested, all-null `Null`), [`Error::InvalidParameter`] for invalid options.
    pub fn infer(table: &RecordBatch, options: &InferOptions) -> Result<Schema> {
        options.check()?;
        if table.num_rows() == 0 || table.num_columns() == 0 {
            return Err(Error::EmptyInput {
                context: format!(
                    "cannot infer a schema from a table with {} rows and {} columns; infer from a table with data, \
                     or write the schema by hand",
                    table.num_rows(),
                    table.num_columns()
                ),
            });
        }
        let schema = table.schema();
        let mut names = HashSet::new();
        if let Some(field) = schema.fields().iter().find(|f| !names.insert(f.name().as_str())) {
            return Err(Error::InvalidData(format!(
                "the table has two columns named `{}`; a schema lists each column once: rename or drop one",
                field.name()
            )));
        }
        let columns = schema
            .fields()
            .par_iter()
            .zip(table.columns().par_iter())
            .map(|(field, array)| stats::infer_column(field.name(), array, options))
            .collect::<Result<Vec<_>>>()?;
        Ok(Schema {
            format: default_format(),
            row_count: RowCount {
                min: options.min_rows,
                max: None,
            },
            severity: BTreeMap::new(),
            columns,
            expectations: Vec::new(),
        })
    }

    /// This schema with `column` added (replacing a column of the same name).
    pub fn with_column(mut self, column: ColumnSchema) -> Self {
        match self.columns.iter_mut().find(|c| c.name == column.name) {
            Some(existing) => *existing = column,
            None => self.columns.push(column),
        }
        self
    }

    /// This schema with `expectation` appended.
    pub fn with_expectation(mut self, expectation: Expectation) -> Self {
        self.expectations.push(expectation);
        self
    }

    /// This schema with the severity of `check` set for every column.
    pub fn with_severity(mut self, check: Check, severity: Severity) -> Self {
        self.severity.insert(check, severity);
        self
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column named `name`, to edit.
    pub fn column_mut(&mut self, name: &str) -> Option<&mut ColumnSchema> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    /// The severity of schema check `check` on `column`: the column's override, else the
    /// schema's, else [`Check::default_severity`].
    pub fn severity_of(&self, check: Check, column: Option<&ColumnSchema>) -> Severity {
        column
            .and_then(|c| c.severity.get(&check))
            .or_else(|| self.severity.get(&check))
            .copied()
            .unwrap_or_else(|| check.default_severity())
    }

    /// Check the schema itself: format tag, unique column names, fractions in `[0, 1]`,
    /// `min <= max`, constraints that fit the column's type, severities set only on
    /// schema checks, and valid expectations.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the place (`columns[2] (age)`) and the fault.
    pub fn check(&self) -> Result<()> {
        self.problem().map_or(Ok(()), |(place, reason)| {
            Err(Error::param("schema", place, reason))
        })
    }

    /// The first fault of the schema as (place, reason).
    fn problem(&self) -> Option<(String, String)> {
        if self.format != SCHEMA_FORMAT {
            return Some((
                "format".into(),
                format!(
                    "unknown schema format {:?}; this version of ferrops reads {SCHEMA_FORMAT:?}",
                    self.format
                ),
            ));
        }
        if let (Some(lo), Some(hi)) = (self.row_count.min, self.row_count.max) {
            if lo > hi {
                return Some(("row_count".into(), format!("min {lo} is greater than max {hi}")));
            }
        }
        if let Some(reason) = severity_problem(&self.severity) {
            return Some(("severity".into(), reason));
        }
        let mut seen = HashSet::new();
        for (i, column) in self.columns.iter().enumerate() {
            let place = format!("columns[{i}] ({})", column.name);
            if column.name.is_empty() {
                return Some((format!("columns[{i}]"), "the column name is empty".into()));
            }
            if !seen.insert(column.name.as_str()) {
                return Some((
                    place,
                    "the column name appears twice; list each column once".into(),
                ));
            }
            if let Some(reason) = column_problem(column) {
                return Some((place, reason));
            }
        }
        for (i, expectation) in self.expectations.iter().enumerate() {
            if let Some(reason) = expectation.problem() {
                return Some((
                    format!("expectations[{i}] ({})", expectation.rule.check()),
                    reason,
                ));
            }
            if let Some(reason) = expectation.conflict(self) {
                return Some((
                    format!("expectations[{i}] ({})", expectation.rule.check()),
                    reason,
                ));
            }
        }
        None
    }

    /// The schema as pretty-printed JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] (not expected for a valid schema).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Read a schema from JSON and [check](Schema::check) it.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] naming the line and column of a syntax error, an unknown
    /// field or check, or a bad type name; or the place of a fault [`Schema::check`] finds.
    pub fn from_json(text: &str) -> Result<Schema> {
        let schema: Schema = serde_json::from_str(text)
            .map_err(|e| Error::Serialization(format!("invalid schema JSON: {e}")))?;
        schema.problem().map_or(Ok(()), |(place, reason)| {
            Err(Error::Serialization(format!("invalid schema: {place}: {reason}")))
        })?;
        Ok(schema)
    }

    /// The schema as YAML.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] (not expected for a valid schema).
    pub fn to_yaml(&self) -> Result<String> {
        serde_yaml_ng::to_string(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// Read a schema from YAML and [check](Schema::check) it.
    ///
    /// # Errors
    ///
    /// As [`Schema::from_json`]; YAML errors name the path (`columns[1].type`), line and column.
    pub fn from_yaml(text: &str) -> Result<Schema> {
        let schema: Schema = serde_yaml_ng::from_str(text)
            .map_err(|e| Error::Serialization(format!("invalid schema YAML: {e}")))?;
        schema.problem().map_or(Ok(()), |(place, reason)| {
            Err(Error::Serialization(format!("invalid schema: {place}: {reason}")))
        })?;
        Ok(schema)
    }

    /// Write the schema to `path`: JSON for `.json`, YAML for `.yaml` / `.yml`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for another extension or an invalid schema,
    /// [`Error::Io`] if the file cannot be written (a directory, a missing parent).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let format = file_format(path)?;
        self.check()?;
        let text = match format {
            FileFormat::Json => self.to_json()?,
            FileFormat::Yaml => self.to_yaml()?,
        };
        std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Read a schema written by [`Schema::save`] (or by hand), choosing the format by
    /// the extension, and [check](Schema::check) it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for an extension other than `.json`, `.yaml`, `.yml`;
    /// [`Error::Io`] if the file cannot be read; [`Error::Artifact`] naming the file and
    /// the place of a syntax error or fault.
    pub fn load(path: impl AsRef<Path>) -> Result<Schema> {
        let path = path.as_ref();
        let format = file_format(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let parsed: std::result::Result<Schema, String> = match format {
            FileFormat::Json => serde_json::from_str(&text).map_err(|e| e.to_string()),
            FileFormat::Yaml => serde_yaml_ng::from_str(&text).map_err(|e| e.to_string()),
        };
        let artifact = |reason: String| Error::Artifact {
            path: path.to_path_buf(),
            reason,
        };
        let schema = parsed.map_err(|e| artifact(format!("not a valid schema file: {e}")))?;
        if let Some((place, reason)) = schema.problem() {
            return Err(artifact(format!("invalid schema: {place}: {reason}")));
        }
        Ok(schema)
    }
}

fn severity_problem(severity: &BTreeMap<Check, Severity>) -> Option<String> {
    severity
        .keys()
        .find(|c| c.is_expectation())
        .map(|c| format!("`{c}` is an expectation; set its severity on the expectation itself, not here"))
}

fn fraction_problem(name: &str, value: Option<f64>) -> Option<String> {
    match value {
        Some(f) if !(0.0..=1.0).contains(&f) => Some(format!("{name} = {f} must be in [0, 1]")),
        _ => None,
    }
}

fn column_problem(column: &ColumnSchema) -> Option<String> {
    let t = column.logical_type;
    if let Some(reason) = severity_problem(&column.severity) {
        return Some(reason);
    }
    if let Some(reason) = fraction_problem("max_null_fraction", column.max_null_fraction) {
        return Some(reason);
    }
    if let Some(reason) = fraction_problem("max_nan_fraction", column.max_nan_fraction) {
        return Some(reason);
    }
    if column.max_nan_fraction.is_some() && t != LogicalType::Float {
        return Some(format!(
            "max_nan_fraction applies to float columns only, and this column is {t}"
        ));
    }
    if (column.min.is_some() || column.max.is_some()) && !t.is_numeric() {
        return Some(format!(
            "min and max apply to int and float columns only, and this column is {t}"
        ));
    }
    for (name, bound) in [("min", column.min), ("max", column.max)] {
        if bound.is_some_and(f64::is_nan) {
            return Some(format!("{name} is NaN; remove it for no bound"));
        }
    }
    if let (Some(lo), Some(hi)) = (column.min, column.max) {
        if lo > hi {
            return Some(format!("min {lo} is greater than max {hi}"));
        }
    }
    if column.domain.is_some() && t != LogicalType::String {
        return Some(format!(
            "domain applies to string columns only, and this column is {t}"
        ));
    }
    None
}
