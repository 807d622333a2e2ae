//! Parse string columns into timestamps.

use std::str::FromStr;
use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{Array, ArrayRef, Int64Array};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

use super::{check_names, Preprocessor};
use crate::data::table::{index_of, is_string, is_temporal, splice_columns, splice_fields, str_values};
use crate::error::{Error, Result};

/// The resolution of a parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum TimestampUnit {
    /// Seconds.
    #[serde(rename = "s")]
    Second,
    /// Milliseconds.
    #[serde(rename = "ms")]
    Millisecond,
    /// Microseconds (ferrops' usual resolution).
    #[default]
    #[serde(rename = "us")]
    Microsecond,
    /// Nanoseconds (range 1677-09-21 to 2262-04-11).
    #[serde(rename = "ns")]
    Nanosecond,
}

impl TimestampUnit {
    /// The Arrow time unit.
    pub fn time_unit(&self) -> TimeUnit {
        match self {
            TimestampUnit::Second => TimeUnit::Second,
            TimestampUnit::Millisecond => TimeUnit::Millisecond,
            TimestampUnit::Microsecond => TimeUnit::Microsecond,
            TimestampUnit::Nanosecond => TimeUnit::Nanosecond,
        }
    }

    fn of<T: TimeZone>(&self, t: &DateTime<T>) -> Option<i64> {
        match self {
            TimestampUnit::Second => Some(t.timestamp()),
            TimestampUnit::Millisecond => Some(t.timestamp_millis()),
            TimestampUnit::Microsecond => Some(t.timestamp_micros()),
            TimestampUnit::Nanosecond => t.timestamp_nanos_opt(),
        }
    }
}

/// What to do with a string that does not parse (pandas `to_datetime(errors=...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampErrors {
    /// Fail with [`Error::InvalidValue`] naming the column and row.
    #[default]
    Raise,
    /// Make it null (pandas `NaT`).
    Coerce,
}

/// Parse string columns into `Timestamp(unit, timezone)` columns, as pandas
/// `to_datetime`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | required | string columns to parse (temporal columns are cast to the output type) |
/// | `format` | `None` | a chrono `strftime` format (e.g. `"%d/%m/%Y %H:%M"`); `None` accepts ISO 8601 / RFC 3339 (`2024-01-02`, `2024-01-02T03:04:05.123`, `2024-01-02 03:04:05+02:00`) |
/// | `timezone` | `None` | IANA name or offset (`"Europe/Paris"`, `"+02:00"`): the zone of strings without an offset, and of the output type; `None`: strings without an offset are naive wall-clock times and strings with one are converted to UTC |
/// | `unit` | `"us"` | `"s"`, `"ms"`, `"us"` or `"ns"` |
/// | `errors` | `"raise"` | `"raise"`: an unparseable string is [`Error::InvalidValue`] naming the column and row; `"coerce"`: it becomes null |
///
/// Surrounding whitespace is trimmed; an empty string and the tokens `NaT`, `nan`, `NaN`
/// are null, as in pandas. A format that includes an offset (`%z`) gives the instant it
/// names; a format with only date fields gives midnight. A local time that does not
/// exist or is ambiguous in `timezone` (a DST change) does not parse.
///
/// JSON: `{"type": "parse_timestamps", "columns": ["ts"], "format": null, "timezone": null,
/// "unit": "us", "errors": "raise"}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Array, AsArray, StringArray};
/// # use arrow::datatypes::TimestampMicrosecondType;
/// use ferrops::preprocess::{ParseTimestamps, Preprocessor, TimestampErrors};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("ts", Arc::new(StringArray::from(vec!["02/01/2024 10:00", "bad"])) as _),
/// ])?;
/// let parse = ParseTimestamps::new(["ts"]).with_format("%d/%m/%Y %H:%M");
/// assert!(parse.process_batch(&t).is_err()); // "bad" at row 1
/// let out = parse.with_errors(TimestampErrors::Coerce).process_batch(&t)?;
/// let ts = out.column(0).as_primitive::<TimestampMicrosecondType>();
/// assert_eq!(ts.value(0), 1_704_189_600_000_000); // pandas: 2024-01-02 10:00:00
/// assert!(ts.is_null(1));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseTimestamps {
    /// Columns to parse (JSON also accepts `"column": "ts"`).
    #[serde(alias = "column", deserialize_with = "one_or_many")]
    pub columns: Vec<String>,
    /// A chrono strftime format, or `None` for ISO 8601.
    #[serde(default)]
    pub format: Option<String>,
    /// The time zone of naive strings and of the output.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The output resolution.
    #[serde(default)]
    pub unit: TimestampUnit,
    /// Raise or coerce unparseable strings.
    #[serde(default)]
    pub errors: TimestampErrors,
}

impl ParseTimestamps {
    /// Parse `columns` as ISO 8601, naive, in microseconds, raising on bad strings.
    pub fn new<I, S>(columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ParseTimestamps {
            columns: columns.into_iter().map(Into::into).collect(),
            format: None,
            timezone: None,
            unit: TimestampUnit::default(),
            errors: TimestampErrors::default(),
        }
    }

    /// Set the strftime format.
    pub fn with_format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }

    /// Set the time zone.
    pub fn with_timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = Some(timezone.into());
        self
    }

    /// Set the unit.
    pub fn with_unit(mut self, unit: TimestampUnit) -> Self {
        self.unit = unit;
        self
    }

    /// Set the error handling.
    pub fn with_errors(mut self, errors: TimestampErrors) -> Self {
        self.errors = errors;
        self
    }

    fn output_type(&self) -> DataType {
        DataType::Timestamp(self.unit.time_unit(), self.timezone.as_deref().map(Arc::from))
    }

    /// Validated parameters: the zone naive strings are read in.
    fn zone(&self) -> Result<Tz> {
        if let Some(format) = &self.format {
            if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
                return Err(Error::param(
                    "format",
                    format!("{format:?}"),
                    "not a valid chrono strftime format (see chrono::format::strftime)",
                ));
            }
        }
        let name = self.timezone.as_deref().unwrap_or("+00:00");
        Tz::from_str(name).map_err(|e| {
            Error::param(
                "timezone",
                format!("{name:?}"),
                format!("not an IANA time zone name or a +HH:MM offset ({e})"),
            )
        })
    }

    fn plan(&self, input: &Schema) -> Result<Vec<usize>> {
        check_names("columns", &self.columns)?;
        self.zone()?;
        self.columns
            .iter()
            .map(|name| {
                let i = index_of(input, name)?;
                let dt = input.field(i).data_type();
                if is_string(dt) || is_temporal(dt) || dt == &DataType::Null {
                    Ok(i)
                } else {
                    Err(Error::column_type(name, "a string or timestamp column", dt))
                }
            })
            .collect()
    }

    /// The output field: a parsed string column is nullable (`""` and `NaT` are null).
    fn output_field(&self, field: &Field, target: &DataType) -> Field {
        let nullable = field.is_nullable() || is_string(field.data_type());
        field
            .clone()
            .with_data_type(target.clone())
            .with_nullable(nullable)
    }

    fn parse(&self, s: &str, zone: &Tz) -> Option<i64> {
        let instant = match &self.format {
            None => arrow::compute::kernels::cast_utils::string_to_datetime(zone, s).ok()?,
            Some(format) => parse_with_format(s, format, zone)?,
        };
        self.unit.of(&instant)
    }

    fn parse_column(&self, name: &str, array: &ArrayRef, zone: &Tz) -> Result<ArrayRef> {
        let target = self.output_type();
        if !is_string(array.data_type()) {
            return Ok(cast_with_options(array, &target, &CastOptions::default())?);
        }
        let strings = str_values(name, array)?;
        let mut values = Vec::with_capacity(strings.len());
        for (row, value) in strings.iter().enumerate() {
            let parsed = match value.map(str::trim) {
                None | Some("" | "NaT" | "nan" | "NaN") => None,
                Some(s) => match self.parse(s, zone) {
                    Some(v) => Some(v),
                    None if self.errors == TimestampErrors::Coerce => None,
                    None => {
                        return Err(Error::InvalidValue {
                            column: name.to_string(),
                            row,
                            value: format!("{:?}", value.unwrap_or_default()),
                            hint: match &self.format {
                                Some(f) => format!(
                                    "it is not a timestamp in format {f:?} (or is out of range); \
                                     fix it or set errors to \"coerce\" to make it null"
                                ),
                                None => "it is not an ISO 8601 timestamp (or is out of range); set \
                                         `format` to a strftime pattern, or errors to \"coerce\" to \
                                         make it null"
                                    .to_string(),
                            },
                        })
                    }
                },
            };
            values.push(parsed);
        }
        let ints: ArrayRef = Arc::new(Int64Array::from(values));
        Ok(cast_with_options(&ints, &target, &CastOptions::default())?)
    }
}

/// A column name or a list of them.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(name) => vec![name],
        OneOrMany::Many(names) => names,
    })
}

/// Parse `s` with a strftime `format`: with an offset if the format has one, else as a
/// local time in `zone`, else as a date at midnight in `zone`.
fn parse_with_format(s: &str, format: &str, zone: &Tz) -> Option<DateTime<Tz>> {
    if let Ok(t) = DateTime::parse_from_str(s, format) {
        return Some(t.with_timezone(zone));
    }
    let naive = match NaiveDateTime::parse_from_str(s, format) {
        Ok(t) => t,
        Err(_) => NaiveDate::parse_from_str(s, format)
            .ok()?
            .and_time(NaiveTime::MIN),
    };
    zone.from_local_datetime(&naive).single()
}

#[typetag::serde(name = "parse_timestamps")]
impl Preprocessor for ParseTimestamps {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let positions = self.plan(input)?;
        let target = self.output_type();
        Ok(splice_fields(
            input,
            positions
                .into_iter()
                .map(|i| (i, vec![self.output_field(input.field(i), &target)]))
                .collect(),
        ))
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let positions = self.plan(batch.schema_ref())?;
        let zone = self.zone()?;
        let target = self.output_type();
        let schema = batch.schema();
        let mut replacements = Vec::with_capacity(positions.len());
        for i in positions {
            let field = schema.field(i);
            let array = self.parse_column(field.name(), batch.column(i), &zone)?;
            replacements.push((i, vec![(self.output_field(field, &target), array)]));
        }
        splice_columns(batch, replacements)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use arrow::array::{AsArray, StringArray};
    use arrow::datatypes::{TimestampMicrosecondType, TimestampMillisecondType};

    use super::*;

    fn one(values: Vec<Option<&str>>) -> RecordBatch {
        RecordBatch::try_from_iter([("ts", Arc::new(StringArray::from(values)) as ArrayRef)]).unwrap()
    }

    #[test]
    fn iso_with_coerce_matches_pandas() {
        // Reference: pandas 3.0 `pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)`
        // in ms: [1704164645000, NaT, NaT, NaT, NaT, 1710037800000, 1704157445000].
        let t = one(vec![
            Some("2024-01-02 03:04:05"),
            Some("bad"),
            Some(""),
            None,
            Some("2024-02-30"),
            Some("2024-03-10T02:30:00"),
            Some("2024-01-02T03:04:05+02:00"),
        ]);
        let step = ParseTimestamps::new(["ts"])
            .with_errors(TimestampErrors::Coerce)
            .with_unit(TimestampUnit::Millisecond);
        let out = step.process_batch(&t).unwrap();
        assert_eq!(out.schema().as_ref(), &step.output_schema(&t.schema()).unwrap());
        let ts = out.column(0).as_primitive::<TimestampMillisecondType>();
        assert_eq!(
            ts.iter().collect::<Vec<_>>(),
            vec![
                Some(1_704_164_645_000),
                None,
                None,
                None,
                None,
                Some(1_710_037_800_000),
                Some(1_704_157_445_000)
            ]
        );
    }

    #[test]
    fn raise_names_the_row() {
        let t = one(vec![Some("2024-01-02"), Some("NaT"), Some("2024-13-01")]);
        let err = ParseTimestamps::new(["ts"]).process_batch(&t).unwrap_err();
        match err {
            Error::InvalidValue {
                column, row, value, ..
            } => {
                assert_eq!(
                    (column.as_str(), row, value.as_str()),
                    ("ts", 2, "\"2024-13-01\"")
                )
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn format_and_timezone_match_pandas() {
        // Reference: pandas `pd.to_datetime(s, format="%d/%m/%Y %H:%M", errors="coerce")`
        // -> ms [1704189600000, 1704067140000, NaT].
        let t = one(vec![
            Some("02/01/2024 10:00"),
            Some("31/12/2023 23:59"),
            Some("13/13/2024 00:00"),
        ]);
        let step = ParseTimestamps::new(["ts"])
            .with_format("%d/%m/%Y %H:%M")
            .with_errors(TimestampErrors::Coerce);
        let out = step.process_batch(&t).unwrap();
        let ts = out.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(
            ts.iter().collect::<Vec<_>>(),
            vec![Some(1_704_189_600_000_000), Some(1_704_067_140_000_000), None]
        );
        // Reference: pandas `pd.to_datetime(s).dt.tz_localize("Europe/Paris")` -> ms
        // [1704161045000, 1719882245000].
        let t = one(vec![Some("2024-01-02 03:04:05"), Some("2024-07-02 03:04:05")]);
        let step = ParseTimestamps::new(["ts"]).with_timezone("Europe/Paris");
        let out = step.process_batch(&t).unwrap();
        assert_eq!(
            out.schema().field(0).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("Europe/Paris".into()))
        );
        let ts = out.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(
            ts.values().to_vec(),
            vec![1_704_161_045_000_000, 1_719_882_245_000_000]
        );
        // Date-only and offset formats.
        let t = one(vec![Some("2024-01-02"), Some("2024-01-03")]);
        let out = ParseTimestamps::new(["ts"])
            .with_format("%Y-%m-%d")
            .process_batch(&t)
            .unwrap();
        let ts = out.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ts.value(1) - ts.value(0), 86_400_000_000);
        let t = one(vec![Some("2024-01-02 03:04:05 +0200")]);
        let out = ParseTimestamps::new(["ts"])
            .with_format("%Y-%m-%d %H:%M:%S %z")
            .process_batch(&t)
            .unwrap();
        let ts = out.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ts.value(0), 1_704_157_445_000_000);
    }

    #[test]
    fn bad_parameters_and_types() {
        let t = one(vec![Some("2024-01-02")]);
        let bad_tz = ParseTimestamps::new(["ts"]).with_timezone("Mars/Olympus");
        assert!(matches!(
            bad_tz.output_schema(&t.schema()),
            Err(Error::InvalidParameter { .. })
        ));
        let bad_fmt = ParseTimestamps::new(["ts"]).with_format("%Y-%Q");
        assert!(matches!(
            bad_fmt.output_schema(&t.schema()),
            Err(Error::InvalidParameter { .. })
        ));
        let missing = ParseTimestamps::new(["nope"]);
        assert!(matches!(
            missing.output_schema(&t.schema()),
            Err(Error::ColumnNotFound { .. })
        ));
        let n = RecordBatch::try_from_iter([(
            "n",
            Arc::new(arrow::array::Float64Array::from(vec![1.0])) as ArrayRef,
        )])
        .unwrap();
        assert!(matches!(
            ParseTimestamps::new(["n"]).process_batch(&n),
            Err(Error::ColumnType { .. })
        ));
    }

    #[test]
    fn all_null_and_empty() {
        let t = one(vec![None, None]);
        let out = ParseTimestamps::new(["ts"]).process_batch(&t).unwrap();
        assert_eq!(out.column(0).null_count(), 2);
        let out = ParseTimestamps::new(["ts"])
            .process_batch(&t.slice(0, 0))
            .unwrap();
        assert_eq!(out.num_rows(), 0);
    }

    #[test]
    fn serde_defaults() {
        let step: ParseTimestamps = serde_json::from_str(r#"{"columns": ["ts"]}"#).unwrap();
        assert_eq!(step, ParseTimestamps::new(["ts"]));
        let single: ParseTimestamps = serde_json::from_str(r#"{"column": "ts"}"#).unwrap();
        assert_eq!(single, step);
        assert_eq!(
            serde_json::to_value(step.with_unit(TimestampUnit::Nanosecond)).unwrap(),
            serde_json::json!({"columns": ["ts"], "format": null, "timezone": null, "unit": "ns",
                "errors": "raise"})
        );
    }
}
