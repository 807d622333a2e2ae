//! Data validation: infer a schema from a table, keep it as a readable JSON or YAML file
//! a person can edit, add written expectations, and validate new tables against it.
//!
//! The semantics follow TensorFlow Data Validation (TFDV) for the inferred schema and
//! Great Expectations for the written expectations; the names are ferrops' own.
//!
//! - [`Schema`] holds row-count bounds, one [`ColumnSchema`] per column (logical type,
//!   required, maximum null and NaN fractions, numeric range, category domain, a
//!   distribution summary) and a list of [`Expectation`]s. [`Schema::infer`] builds one
//!   from a table with [`InferOptions`]; [`Schema::save`] / [`Schema::load`] write and
//!   read it as JSON (`.json`) or YAML (`.yaml`, `.yml`).
//! - [`expect`] builds expectations: `expect::column("age").between(0.0, 120.0)`,
//!   `.in_set(..)`, `.not_null()`, `.unique()`, `.matches(regex)`,
//!   `expect::table().row_count_between(..)`, `expect::unique_key([..])`, each with
//!   [`Expectation::mostly`] and [`Expectation::severity`].
//! - [`validate`] (or [`Validator::validate`] on a [`Schema`]) checks a table and returns
//!   a [`ValidationReport`]: every [`Anomaly`] (column, [`Check`], [`Severity`], observed,
//!   expected, offending rows, examples) and [`ValidationReport::passed`], true when no
//!   anomaly has [`Severity::Error`]. Bad data never gives `Err`: that is what the report
//!   is for. `Err` is for misuse only (an invalid schema, such as `min > max`).
//!
//! # Checks
//!
//! | check | fires when | TFDV / Great Expectations |
//! |---|---|---|
//! | `missing_column` | a `required` schema column is absent | `SCHEMA_MISSING_COLUMN` |
//! | `extra_column` | the table has a column the schema lacks (default: warning; not checked by a schema without columns, such as one holding only expectations) | `SCHEMA_NEW_COLUMN` |
//! | `type` | the column's type is not the schema's logical type (see below) | `*_TYPE_*` type anomalies |
//! | `nulls` | null fraction > `max_null_fraction` | `FEATURE_TYPE_LOW_FRACTION_PRESENT` |
//! | `nan` | NaN fraction of a float column > `max_nan_fraction` | `FLOAT_TYPE_HAS_NAN` |
//! | `range` | a value < `min` or > `max` | `INT_TYPE_SMALL_INT`, `FLOAT_TYPE_BIG_FLOAT`, ... |
//! | `domain` | a string value outside `domain` | `ENUM_TYPE_UNEXPECTED_STRING_VALUES` |
//! | `row_count` | row count outside `row_count` | `expect_table_row_count_to_be_between` |
//! | `between` | expectation | `expect_column_values_to_be_between` |
//! | `in_set` | expectation | `expect_column_values_to_be_in_set` |
//! | `not_null` | expectation | `expect_column_values_to_not_be_null` |
//! | `unique` | expectation | `expect_column_values_to_be_unique` |
//! | `matches` | expectation | `expect_column_values_to_match_regex` |
//! | `row_count_between` | expectation | `expect_table_row_count_to_be_between` |
//! | `unique_key` | expectation | `expect_compound_columns_to_be_unique` |
//!
//! # Types
//!
//! Logical types come from the Arrow type: [`LogicalType::Int`] (signed and unsigned
//! integers), [`LogicalType::Float`] (floats and decimals), [`LogicalType::Bool`],
//! [`LogicalType::String`] (`Utf8`, `LargeUtf8`, `Utf8View`), [`LogicalType::Timestamp`]
//! and [`LogicalType::Date`]; a dictionary (a pandas or polars categorical) has the type
//! of its values, so a categorical of strings is `string` and one of integers `int`.
//! A column of another type (binary, list, struct) cannot be inferred (an error names it).
//!
//! Accepted in place of the schema's type: an integer column where `float` is expected
//! (widening loses nothing a range check needs), any timestamp unit or time zone where
//! `timestamp` is expected, either date width where `date` is expected, and an all-null
//! column of Arrow type `Null` anywhere (its nulls are the `nulls` check's business).
//! Everything else is a `type` anomaly, including a float column where `int` is expected
//! (TFDV does the same) and a string column where a number is expected; the value checks
//! of a column with a `type` anomaly are skipped.
//!
//! Numbers: `range` and `between` compare in `f64` (bounds are `f64`), so integers beyond
//! 2^53 compare after rounding to the nearest `f64`; `in_set` and the uniqueness checks
//! compare integer columns exactly.
//!
//! # Missing values
//!
//! Nulls and NaN are counted apart: `nulls` counts Arrow nulls, `nan` counts NaN in float
//! columns (as TFDV's `FLOAT_TYPE_HAS_NAN` does). NaN takes no part in `range`. pandas
//! input converted with `pyarrow.Table.from_pandas` (as the Python layer does) has its
//! NaN turned into nulls already. The expectations treat both as missing: `not_null`
//! counts nulls and NaN, and the value expectations (`between`, `in_set`, `unique`,
//! `matches`) skip them, so their `mostly` fraction is over the present values, as in
//! Great Expectations.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, Int64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//! use ferrops::validate::data::{expect, validate, Check, InferOptions, Schema};
//!
//! # fn main() -> ferrops::Result<()> {
//! let train = RecordBatch::try_from_iter([
//!     ("age", Arc::new(Int64Array::from(vec![23, 35, 41, 58])) as _),
//!     ("country", Arc::new(StringArray::from(vec!["DE", "FR", "DE", "US"])) as _),
//!     ("spend", Arc::new(Float64Array::from(vec![Some(10.5), None, Some(3.0), Some(7.25)])) as _),
//! ])?;
//! let schema = Schema::infer(&train, &InferOptions::default())?
//!     .with_expectation(expect::column("age").between(0.0, 120.0))
//!     .with_expectation(expect::column("country").not_null());
//! let yaml = schema.to_yaml()?; // readable, editable
//! let schema = Schema::from_yaml(&yaml)?;
//!
//! let new = RecordBatch::try_from_iter([
//!     ("age", Arc::new(Int64Array::from(vec![30, 130])) as _),
//!     ("country", Arc::new(StringArray::from(vec!["DE", "BR"])) as _),
//!     ("spend", Arc::new(Float64Array::from(vec![5.0, 6.0])) as _),
//! ])?;
//! let report = validate(&schema, &new)?;
//! assert!(!report.passed());
//! let checks: Vec<Check> = report.anomalies.iter().map(|a| a.check).collect();
//! assert_eq!(checks, [Check::Range, Check::Domain, Check::Between]);
//! # Ok(()) }
//! ```

mod expectation;
mod report;
mod run;
mod schema;
mod stats;

pub use expectation::{expect, ColumnExpect, Expectation, Rule, Scalar, TableExpect};
pub use report::{Anomaly, ValidationReport};
pub use schema::{Check, ColumnSchema, InferOptions, LogicalType, RowCount, Schema, Severity, SCHEMA_FORMAT};
pub use stats::{ColumnStats, Quantile, ValueCount};

use arrow::record_batch::RecordBatch;

use crate::error::Result;

/// Something that checks a table and reports what it found.
///
/// [`Schema`] implements it; a user's own validator (a business rule the built-in
/// checks cannot express) implements it too and gives the same [`ValidationReport`], so
/// reports from several validators can be combined with [`ValidationReport::merge`].
pub trait Validator: Send + Sync + std::fmt::Debug {
    /// Check `table`.
    ///
    /// # Errors
    ///
    /// Only for misuse (an invalid validator); anomalies in the data go in the report.
    fn validate(&self, table: &RecordBatch) -> Result<ValidationReport>;
}

impl Validator for Schema {
    fn validate(&self, table: &RecordBatch) -> Result<ValidationReport> {
        run::validate(self, table)
    }
}

/// Validate `table` against `schema` (its columns, row count and expectations).
///
/// # Errors
///
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if the schema itself is
/// invalid (for example `min > max`, or a `between` expectation on a column the schema
/// types as `string`). Anomalies in the data are never errors: see the report.
pub fn validate(schema: &Schema, table: &RecordBatch) -> Result<ValidationReport> {
    run::validate(schema, table)
}
