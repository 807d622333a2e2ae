//! Cast columns to another type.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef};
use arrow::compute::{can_cast_types, cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::{Deserialize, Serialize};

use super::Preprocessor;
use crate::data::table::{index_of, splice_columns, splice_fields};
use crate::error::{Error, Result};

/// A target type of [`Cast`], by its snake_case name.
///
/// | name | Arrow type |
/// |---|---|
/// | `float64` | `Float64` |
/// | `float32` | `Float32` |
/// | `int64` | `Int64` |
/// | `int32` | `Int32` |
/// | `string` | `Utf8` |
/// | `bool` | `Boolean` |
/// | `date` | `Date32` |
/// | `timestamp_s` / `timestamp_ms` / `timestamp_us` / `timestamp_ns` | `Timestamp(unit, None)` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CastType {
    /// 64-bit float.
    Float64,
    /// 32-bit float.
    Float32,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit signed integer.
    Int32,
    /// UTF-8 string.
    String,
    /// Boolean.
    Bool,
    /// Days since the Unix epoch.
    Date,
    /// Timestamp in seconds, no time zone.
    TimestampS,
    /// Timestamp in milliseconds, no time zone.
    TimestampMs,
    /// Timestamp in microseconds, no time zone.
    TimestampUs,
    /// Timestamp in nanoseconds, no time zone.
    TimestampNs,
}

impl CastType {
    /// The Arrow type this name stands for.
    pub fn data_type(&self) -> DataType {
        match self {
            CastType::Float64 => DataType::Float64,
            CastType::Float32 => DataType::Float32,
            CastType::Int64 => DataType::Int64,
            CastType::Int32 => DataType::Int32,
            CastType::String => DataType::Utf8,
            CastType::Bool => DataType::Boolean,
            CastType::Date => DataType::Date32,
            CastType::TimestampS => DataType::Timestamp(TimeUnit::Second, None),
            CastType::TimestampMs => DataType::Timestamp(TimeUnit::Millisecond, None),
            CastType::TimestampUs => DataType::Timestamp(TimeUnit::Microsecond, None),
            CastType::TimestampNs => DataType::Timestamp(TimeUnit::Nanosecond, None),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            CastType::Float64 => "float64",
            CastType::Float32 => "float32",
            CastType::Int64 => "int64",
            CastType::Int32 => "int32",
            CastType::String => "string",
            CastType::Bool => "bool",
            CastType::Date => "date",
            CastType::TimestampS => "timestamp_s",
            CastType::TimestampMs => "timestamp_ms",
            CastType::TimestampUs => "timestamp_us",
            CastType::TimestampNs => "timestamp_ns",
        }
    }
}

/// Cast columns to new types, with Arrow's cast rules (strings parse as numbers,
/// booleans (`true`/`false`/`1`/`0`/`yes`/`no`...) and ISO-8601 dates/timestamps; floats
/// cast to integers by truncation toward zero, as pandas `astype`).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | required | map column name -> target type ([`CastType`] name, e.g. `"int64"`) |
/// | `safe` | `false` | `false`: a value that cannot be cast is [`Error::InvalidValue`] naming the column and the first bad row; `true`: such values become null |
///
/// Nulls stay null. A pair of types Arrow cannot cast at all (e.g. a boolean to a date)
/// is [`Error::ColumnType`] from [`output_schema`](Preprocessor::output_schema).
///
/// JSON: `{"type": "cast", "columns": {"age": "int64"}, "safe": false}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{AsArray, StringArray};
/// # use arrow::datatypes::Int64Type;
/// use ferrops::preprocess::{Cast, CastType, Preprocessor};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("n", Arc::new(StringArray::from(vec![Some("1"), None, Some("x")])) as _),
/// ])?;
/// let strict = Cast::new([("n", CastType::Int64)]);
/// assert!(strict.process_batch(&t).is_err()); // "x" at row 2
/// let out = strict.with_safe(true).process_batch(&t)?;
/// let n = out.column(0).as_primitive::<Int64Type>();
/// assert_eq!(n.iter().collect::<Vec<_>>(), vec![Some(1), None, None]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cast {
    /// Column name -> target type.
    pub columns: BTreeMap<String, CastType>,
    /// Null out values that cannot be cast instead of failing.
    #[serde(default)]
    pub safe: bool,
}

impl Cast {
    /// Cast each named column to its type; strict (`safe = false`).
    pub fn new<I, S>(columns: I) -> Self
    where
        I: IntoIterator<Item = (S, CastType)>,
        S: Into<String>,
    {
        Cast {
            columns: columns.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            safe: false,
        }
    }

    /// Set `safe`.
    pub fn with_safe(mut self, safe: bool) -> Self {
        self.safe = safe;
        self
    }

    fn plan(&self, input: &Schema) -> Result<Vec<(usize, Field)>> {
        let mut out = Vec::with_capacity(self.columns.len());
        for (name, target) in &self.columns {
            let i = index_of(input, name)?;
            let field = input.field(i);
            let to = target.data_type();
            if !can_cast_types(field.data_type(), &to) {
                return Err(Error::column_type(
                    name,
                    format!("a column castable to {}", target.name()),
                    field.data_type(),
                ));
            }
            // `safe` turns bad values into nulls, so the column may gain some.
            let nullable = field.is_nullable() || self.safe;
            out.push((i, field.clone().with_data_type(to).with_nullable(nullable)));
        }
        Ok(out)
    }
}

/// Cast `array` to `to`; unless `safe`, fail on the first non-null value that became null.
pub(crate) fn cast_checked(
    column: &str,
    array: &ArrayRef,
    to: &DataType,
    safe: bool,
    hint: &str,
) -> Result<ArrayRef> {
    let out = cast_with_options(array, to, &CastOptions::default())?;
    if !safe && out.null_count() > array.null_count() {
        if let Some(row) = (0..array.len()).find(|&i| out.is_null(i) && array.is_valid(i)) {
            return Err(Error::InvalidValue {
                column: column.to_string(),
                row,
                value: format_value(array, row),
                hint: hint.to_string(),
            });
        }
    }
    Ok(out)
}

/// Row `row` of `array` as display text (quoted for strings).
pub(crate) fn format_value(array: &dyn Array, row: usize) -> String {
    let text = ArrayFormatter::try_new(array, &FormatOptions::default())
        .map(|f| f.value(row).to_string())
        .unwrap_or_else(|_| "?".to_string());
    if crate::data::table::is_string(array.data_type()) {
        format!("{text:?}")
    } else {
        text
    }
}

#[typetag::serde(name = "cast")]
impl Preprocessor for Cast {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let plan = self.plan(input)?;
        Ok(splice_fields(
            input,
            plan.into_iter().map(|(i, f)| (i, vec![f])).collect(),
        ))
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let plan = self.plan(batch.schema_ref())?;
        let mut replacements = Vec::with_capacity(plan.len());
        for (i, field) in plan {
            let target = field.data_type().clone();
            let hint = format!(
                "it cannot be cast to {target}; fix the value or set `safe: true` to turn it into null"
            );
            let array = cast_checked(field.name(), batch.column(i), &target, self.safe, &hint)?;
            replacements.push((i, vec![(field, array)]));
        }
        splice_columns(batch, replacements)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, BooleanArray, Float64Array, StringArray};
    use arrow::datatypes::{Float64Type, Int64Type, TimestampMicrosecondType};

    use super::*;

    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "n",
                Arc::new(StringArray::from(vec![Some("1"), None, Some("-3")])) as ArrayRef,
            ),
            (
                "f",
                Arc::new(Float64Array::from(vec![1.9, -2.5, f64::NAN])) as ArrayRef,
            ),
            (
                "t",
                Arc::new(StringArray::from(vec![
                    "2024-01-02",
                    "2024-01-02T03:04:05",
                    "2024-01-02 03:04:05.5",
                ])) as ArrayRef,
            ),
            (
                "b",
                Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn casts_strings_and_keeps_nulls_and_schema() {
        let t = table();
        let cast = Cast::new([
            ("n", CastType::Int64),
            ("t", CastType::TimestampUs),
            ("b", CastType::String),
        ]);
        let out = cast.process_batch(&t).unwrap();
        assert_eq!(out.schema().as_ref(), &cast.output_schema(&t.schema()).unwrap());
        let n = out.column(0).as_primitive::<Int64Type>();
        assert_eq!(n.iter().collect::<Vec<_>>(), vec![Some(1), None, Some(-3)]);
        let ts = out.column(2).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ts.value(0), 1_704_153_600_000_000);
        assert_eq!(ts.value(1), 1_704_153_600_000_000 + 11_045_000_000);
        assert_eq!(ts.value(2), 1_704_153_600_000_000 + 11_045_500_000);
        assert_eq!(out.column(3).as_string::<i32>().value(1), "false");
    }

    #[test]
    fn float_to_int_truncates_and_nan_is_an_error_unless_safe() {
        let t = table();
        let err = Cast::new([("f", CastType::Int64)]).process_batch(&t).unwrap_err();
        match err {
            Error::InvalidValue { column, row, .. } => assert_eq!((column.as_str(), row), ("f", 2)),
            other => panic!("unexpected {other}"),
        }
        let out = Cast::new([("f", CastType::Int64)])
            .with_safe(true)
            .process_batch(&t)
            .unwrap();
        let f = out.column(1).as_primitive::<Int64Type>();
        // pandas: pd.Series([1.9, -2.5]).astype("int64") -> [1, -2]
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![Some(1), Some(-2), None]);
    }

    #[test]
    fn bad_string_names_column_and_row() {
        let t = RecordBatch::try_from_iter([(
            "x",
            Arc::new(StringArray::from(vec!["1.5", "2", "abc", "zz"])) as ArrayRef,
        )])
        .unwrap();
        let err = Cast::new([("x", CastType::Float64)])
            .process_batch(&t)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`x`") && msg.contains("row 2") && msg.contains("\"abc\""),
            "{msg}"
        );
        let out = Cast::new([("x", CastType::Float64)])
            .with_safe(true)
            .process_batch(&t)
            .unwrap();
        let x = out.column(0).as_primitive::<Float64Type>();
        assert_eq!(
            x.iter().collect::<Vec<_>>(),
            vec![Some(1.5), Some(2.0), None, None]
        );
    }

    #[test]
    fn missing_and_uncastable_columns() {
        let t = table();
        let err = Cast::new([("nope", CastType::Int64)]).output_schema(&t.schema());
        assert!(matches!(err, Err(Error::ColumnNotFound { .. })));
        let err = Cast::new([("b", CastType::Date)]).output_schema(&t.schema());
        assert!(matches!(err, Err(Error::ColumnType { .. })), "{err:?}");
    }

    #[test]
    fn serde_form() {
        let cast = Cast::new([("a", CastType::TimestampUs), ("b", CastType::Float64)]);
        let json = serde_json::to_value(&cast).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"columns": {"a": "timestamp_us", "b": "float64"}, "safe": false})
        );
        let back: Cast =
            serde_json::from_str(r#"{"columns": {"a": "timestamp_us", "b": "float64"}}"#).unwrap();
        assert_eq!(back, cast);
    }

    #[test]
    fn empty_batch() {
        let t = table().slice(0, 0);
        let out = Cast::new([("n", CastType::Int64)]).process_batch(&t).unwrap();
        assert_eq!(out.num_rows(), 0);
        assert_eq!(out.schema().field(0).data_type(), &DataType::Int64);
    }
}
