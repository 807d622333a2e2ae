//! Calendar parts (year, month, day, weekday, hour) of timestamp and date columns.

use std::collections::HashSet;
use std::str::FromStr;

use arrow::array::timezone::Tz;
use arrow::compute::kernels::temporal::{date_part, DatePart};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};

use super::{Columns, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{column, index_of_type, is_temporal, splice_columns, splice_fields};
use crate::data::Value;
use crate::error::{Error, Result};

/// One calendar part extracted by [`DatetimeParts`]. Serialized as `"year"`, `"month"`,
/// `"day"`, `"weekday"`, `"hour"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatetimePart {
    /// Calendar year (pandas `dt.year`).
    Year,
    /// Month, 1..=12 (pandas `dt.month`).
    Month,
    /// Day of the month, 1..=31 (pandas `dt.day`).
    Day,
    /// Day of the week, Monday = 0 .. Sunday = 6 (pandas `dt.weekday`).
    Weekday,
    /// Hour, 0..=23 (pandas `dt.hour`); 0 for date columns.
    Hour,
}

impl DatetimePart {
    /// Every part, in output order.
    pub const ALL: [DatetimePart; 5] = [
        DatetimePart::Year,
        DatetimePart::Month,
        DatetimePart::Day,
        DatetimePart::Weekday,
        DatetimePart::Hour,
    ];

    /// The suffix of the output column (`<col>_<suffix>`).
    pub fn suffix(self) -> &'static str {
        match self {
            DatetimePart::Year => "year",
            DatetimePart::Month => "month",
            DatetimePart::Day => "day",
            DatetimePart::Weekday => "weekday",
            DatetimePart::Hour => "hour",
        }
    }

    fn arrow(self) -> DatePart {
        match self {
            DatetimePart::Year => DatePart::Year,
            DatetimePart::Month => DatePart::Month,
            DatetimePart::Day => DatePart::Day,
            DatetimePart::Weekday => DatePart::DayOfWeekMonday0,
            DatetimePart::Hour => DatePart::Hour,
        }
    }

    fn of(self, t: &NaiveDateTime) -> f64 {
        f64::from(match self {
            DatetimePart::Year => t.year(),
            DatetimePart::Month => t.month() as i32,
            DatetimePart::Day => t.day() as i32,
            DatetimePart::Weekday => t.weekday().num_days_from_monday() as i32,
            DatetimePart::Hour => t.hour() as i32,
        })
    }
}

/// Extract calendar parts of timestamp and date columns as `Float64` columns named
/// `<col>_year`, `<col>_month`, `<col>_day`, `<col>_weekday`, `<col>_hour`, matching
/// pandas' `Series.dt` accessors (weekday: Monday = 0).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all temporal | timestamp (any unit, with or without timezone) or date columns |
/// | `parts` | `["year", "month", "day", "weekday", "hour"]` | which parts, in output order |
/// | `drop_original` | `true` | replace the column by its parts; `false` keeps it and adds the parts right after it |
///
/// A timestamp with a timezone is read as wall-clock time in that timezone (as Arrow's
/// temporal kernels and pandas' `dt` on a tz-aware series do); a naive timestamp is read
/// as is. Date columns have hour 0. Nulls give nulls in every part. Nothing is learned
/// at fit time beyond the column list.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::TimestampSecondArray;
/// # use ferrops::features::{DatetimeParts, FeatureTransform};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("at", Arc::new(TimestampSecondArray::from(vec![1_700_000_000])) as _),
/// ])?;
/// let fitted = DatetimeParts::new(["at"]).fit(&t)?;
/// assert_eq!(
///     fitted.feature_names_out(&t.schema())?,
///     ["at_year", "at_month", "at_day", "at_weekday", "at_hour"]
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatetimeParts {
    /// Columns to decompose.
    pub columns: Columns,
    /// Parts to extract, in output order.
    pub parts: Vec<DatetimePart>,
    /// Replace the column (true) or keep it before its parts (false).
    pub drop_original: bool,
}

impl Default for DatetimeParts {
    fn default() -> Self {
        DatetimeParts {
            columns: Columns::AllTemporal,
            parts: DatetimePart::ALL.to_vec(),
            drop_original: true,
        }
    }
}

impl DatetimeParts {
    /// Decompose `columns` into every part.
    pub fn new(columns: impl Into<Columns>) -> Self {
        DatetimeParts {
            columns: columns.into(),
            ..Default::default()
        }
    }

    /// Set `parts`.
    pub fn parts(mut self, parts: impl Into<Vec<DatetimePart>>) -> Self {
        self.parts = parts.into();
        self
    }

    /// Set `drop_original`.
    pub fn drop_original(mut self, drop_original: bool) -> Self {
        self.drop_original = drop_original;
        self
    }
}

/// A fitted [`DatetimeParts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedDatetimeParts {
    /// The decomposed columns.
    pub columns: Vec<String>,
    /// Parts extracted, in output order.
    pub parts: Vec<DatetimePart>,
    /// Whether the original column is replaced.
    pub drop_original: bool,
}

fn check_temporal(schema: &Schema, name: &str) -> Result<usize> {
    index_of_type(schema, name, is_temporal, "a timestamp or date column")
}

#[typetag::serde(name = "datetime_parts")]
impl FeatureTransform for DatetimeParts {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        if self.parts.is_empty() {
            return Err(Error::param("parts", "[]", "name at least one part"));
        }
        let mut seen = HashSet::new();
        for p in &self.parts {
            if !seen.insert(*p) {
                return Err(Error::param("parts", p.suffix(), "a part is named twice"));
            }
        }
        let columns = self.columns.resolve(table.schema_ref())?;
        super::onehot::check_distinct(&columns, "DatetimeParts")?;
        for name in &columns {
            check_temporal(table.schema_ref(), name)?;
        }
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "DatetimeParts cannot fit on a table with no rows".to_string(),
            });
        }
        Ok(Box::new(FittedDatetimeParts {
            columns,
            parts: self.parts.clone(),
            drop_original: self.drop_original,
        }))
    }
}

impl FittedDatetimeParts {
    fn part_fields(&self, name: &str) -> Vec<Field> {
        self.parts
            .iter()
            .map(|p| Field::new(format!("{name}_{}", p.suffix()), DataType::Float64, true))
            .collect()
    }
}

#[typetag::serde(name = "datetime_parts")]
impl FittedTransform for FittedDatetimeParts {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let mut replacements = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            let i = check_temporal(input, name)?;
            let mut fields = Vec::with_capacity(self.parts.len() + 1);
            if !self.drop_original {
                fields.push(input.field(i).clone());
            }
            fields.extend(self.part_fields(name));
            replacements.push((i, fields));
        }
        Ok(splice_fields(input, replacements))
    }

    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let schema = table.schema();
        let mut replacements = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            let i = check_temporal(&schema, name)?;
            let array = column(table, name)?;
            let mut new = Vec::with_capacity(self.parts.len() + 1);
            if !self.drop_original {
                new.push((schema.field(i).clone(), array.clone()));
            }
            for (p, field) in self.parts.iter().zip(self.part_fields(name)) {
                let ints = date_part(array.as_ref(), p.arrow())?;
                let floats = cast_with_options(&ints, &DataType::Float64, &CastOptions::default())?;
                new.push((field, floats));
            }
            replacements.push((i, new));
        }
        splice_columns(table, replacements)
    }

    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let mut at = vec![None; input.fields().len()];
        for name in &self.columns {
            let i = check_temporal(input, name)?;
            let tz = match input.field(i).data_type() {
                DataType::Timestamp(_, Some(tz)) => Some(Tz::from_str(tz)?),
                _ => None,
            };
            if let Some(slot) = at.get_mut(i) {
                *slot = Some(RowColumn {
                    name: name.clone(),
                    tz,
                });
            }
        }
        Ok(Some(Box::new(DatetimeRow {
            parts: self.parts.clone(),
            drop_original: self.drop_original,
            at,
        })))
    }
}

#[derive(Debug, Clone)]
struct RowColumn {
    name: String,
    tz: Option<Tz>,
}

/// The single-row form of a [`FittedDatetimeParts`].
#[derive(Debug)]
struct DatetimeRow {
    parts: Vec<DatetimePart>,
    drop_original: bool,
    /// For each input position, the decomposed column there, if any.
    at: Vec<Option<RowColumn>>,
}

impl DatetimeRow {
    /// Wall-clock time of `micros` (since the epoch, UTC) in the column's timezone.
    fn local(c: &RowColumn, micros: i64) -> Option<NaiveDateTime> {
        let utc = DateTime::from_timestamp_micros(micros)?;
        Some(match &c.tz {
            Some(tz) => utc.with_timezone(tz).naive_local(),
            None => utc.naive_utc(),
        })
    }
}

impl RowTransform for DatetimeRow {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        if row.len() != self.at.len() {
            return Err(Error::InvalidData(format!(
                "row has {} values but the schema has {} columns",
                row.len(),
                self.at.len()
            )));
        }
        let mut out = Vec::with_capacity(row.len() + self.parts.len() * self.at.len());
        for (value, at) in row.drain(..).zip(&self.at) {
            let Some(c) = at else {
                out.push(value);
                continue;
            };
            let local = match &value {
                Value::Null => None,
                Value::Timestamp(t) => Self::local(c, *t),
                other => {
                    return Err(Error::column_type(
                        &c.name,
                        "a timestamp value",
                        other.type_name(),
                    ))
                }
            };
            if !self.drop_original {
                out.push(value);
            }
            out.extend(
                self.parts
                    .iter()
                    .map(|p| local.as_ref().map_or(Value::Null, |t| Value::Float(p.of(t)))),
            );
        }
        *row = out;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::features::onehot::tests::{assert_rows_match, floats, round_trip, strings, table};
    use arrow::array::ArrayRef;
    use arrow::array::{Date32Array, TimestampMicrosecondArray, TimestampNanosecondArray};
    use std::sync::Arc;

    const MICROS: [i64; 6] = [
        0,
        1_700_000_000_123_456,
        -1,
        -86_400_000_001,
        1_710_054_000_000_000,
        951_782_400_000_000,
    ];

    fn ts(tz: Option<&str>) -> RecordBatch {
        let mut v: Vec<Option<i64>> = MICROS.iter().copied().map(Some).collect();
        v.push(None);
        let a = TimestampMicrosecondArray::from(v).with_timezone_opt(tz.map(str::to_string));
        table(vec![
            ("id", strings(&[Some("a"); 7])),
            ("at", Arc::new(a) as ArrayRef),
        ])
    }

    fn parts_of(t: &RecordBatch, from: usize) -> Vec<Vec<f64>> {
        floats(t).into_iter().map(|r| r[from..].to_vec()).collect()
    }

    fn expect(got: Vec<Vec<f64>>, want: &[[i64; 5]]) {
        assert_eq!(got.len(), want.len() + 1);
        for (g, w) in got.iter().zip(want) {
            let w: Vec<f64> = w.iter().map(|&x| x as f64).collect();
            assert_eq!(g, &w);
        }
        assert!(
            got.last().unwrap().iter().all(|x| x.is_nan()),
            "null row gives nulls"
        );
    }

    #[test]
    fn matches_pandas() {
        // reference: pandas 3.1.1, pd.to_datetime(MICROS, unit="us") then
        // .dt.year/.month/.day/.weekday/.hour (tz-aware: tz_localize("UTC").tz_convert(tz)).
        let naive = [
            [1970, 1, 1, 3, 0],
            [2023, 11, 14, 1, 22],
            [1969, 12, 31, 2, 23],
            [1969, 12, 30, 1, 23],
            [2024, 3, 10, 6, 7],
            [2000, 2, 29, 1, 0],
        ];
        let new_york = [
            [1969, 12, 31, 2, 19],
            [2023, 11, 14, 1, 17],
            [1969, 12, 31, 2, 18],
            [1969, 12, 30, 1, 18],
            [2024, 3, 10, 6, 3],
            [2000, 2, 28, 0, 19],
        ];
        let kolkata = [
            [1970, 1, 1, 3, 5],
            [2023, 11, 15, 2, 3],
            [1970, 1, 1, 3, 5],
            [1969, 12, 31, 2, 5],
            [2024, 3, 10, 6, 12],
            [2000, 2, 29, 1, 5],
        ];
        for (tz, want) in [
            (None, naive),
            (Some("America/New_York"), new_york),
            (Some("+05:30"), kolkata),
            (Some("Asia/Kolkata"), kolkata),
        ] {
            let t = ts(tz);
            let f = DatetimeParts::new(["at"]).fit(&t).unwrap();
            assert_eq!(
                f.feature_names_out(&t.schema()).unwrap(),
                ["id", "at_year", "at_month", "at_day", "at_weekday", "at_hour"]
            );
            let out = f.transform(&t).unwrap();
            expect(parts_of(&out, 1), &want);
            assert_rows_match(&*f, &t);
        }
    }

    #[test]
    fn dates_units_and_options() {
        // reference: pandas 3.1.1 on dates 1969-12-31, 2000-02-29, 2024-03-10 (days -1,
        // 11016, 19792).
        let d = Date32Array::from(vec![Some(-1), Some(11016), Some(19792), None]);
        let t = table(vec![("d", Arc::new(d) as ArrayRef)]);
        let f = DatetimeParts::default().fit(&t).unwrap();
        expect(
            parts_of(&f.transform(&t).unwrap(), 0),
            &[[1969, 12, 31, 2, 0], [2000, 2, 29, 1, 0], [2024, 3, 10, 6, 0]],
        );
        assert_rows_match(&*f, &t);

        // Nanosecond unit, selected parts, original kept before its parts.
        let ns = TimestampNanosecondArray::from(vec![Some(1_700_000_000_123_456_000), None]);
        let t = table(vec![
            ("at", Arc::new(ns) as ArrayRef),
            ("z", strings(&[Some("q"), None])),
        ]);
        let f = DatetimeParts::new(["at"])
            .parts([DatetimePart::Hour, DatetimePart::Weekday])
            .drop_original(false)
            .fit(&t)
            .unwrap();
        let s = f.output_schema(&t.schema()).unwrap();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["at", "at_hour", "at_weekday", "z"]);
        assert_eq!(s.field(0).data_type(), t.schema().field(0).data_type());
        let out = f.transform(&t).unwrap();
        assert_eq!(out.column(0), t.column(0));
        let got = floats(&out);
        assert_eq!(got[0][1..3], [22.0, 1.0]);
        assert!(got[1][1].is_nan() && got[1][2].is_nan());
        assert_rows_match(&*f, &t);
    }

    #[test]
    fn errors_and_serde() {
        let t = ts(None);
        assert!(matches!(
            DatetimeParts::new(["id"]).fit(&t),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(
            DatetimeParts::new(["at"]).fit(&t.slice(0, 0)),
            Err(Error::EmptyInput { .. })
        ));
        for bad in [
            DatetimeParts::new(["at"]).parts([]),
            DatetimeParts::new(["at"]).parts([DatetimePart::Day, DatetimePart::Day]),
        ] {
            assert!(matches!(bad.fit(&t), Err(Error::InvalidParameter { .. })));
        }
        let f = DatetimeParts::new(["at"]).fit(&t).unwrap();
        let wrong = table(vec![("id", strings(&[Some("a")])), ("at", strings(&[Some("x")]))]);
        assert!(matches!(
            f.output_schema(&wrong.schema()),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(f.transform(&wrong), Err(Error::ColumnType { .. })));

        let p = DatetimeParts::new(["at"]).parts([DatetimePart::Year, DatetimePart::Weekday]);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "columns": {"names": ["at"]},
                "parts": ["year", "weekday"],
                "drop_original": true
            })
        );
        let d: DatetimeParts = serde_json::from_str("{}").unwrap();
        assert_eq!(d, DatetimeParts::default());
        assert_eq!(
            serde_json::to_value(&d.columns).unwrap(),
            serde_json::json!("all_temporal")
        );
        let boxed: Box<dyn FeatureTransform> = Box::new(p);
        assert!(serde_json::to_string(&boxed)
            .unwrap()
            .contains("\"type\":\"datetime_parts\""));
        let back = round_trip(&*f);
        assert_eq!(back.transform(&t).unwrap(), f.transform(&t).unwrap());
    }
}
