//! Column helpers shared by every stage: lookup with a helpful error, typed views,
//! type classes, and conversion between Arrow rows and [`Value`]s.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, LargeStringArray, StringArray,
    StringViewArray, TimestampMicrosecondArray,
};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

use super::Value;
use crate::error::{Error, Result};

/// The column `name` of `table`, or [`Error::ColumnNotFound`] listing what is there.
pub fn column<'a>(table: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    table
        .column_by_name(name)
        .ok_or_else(|| missing(table.schema_ref(), name))
}

/// Index of `name` in `schema`, or [`Error::ColumnNotFound`].
pub fn index_of(schema: &Schema, name: &str) -> Result<usize> {
    schema.index_of(name).map_err(|_| missing(schema, name))
}

fn missing(schema: &Schema, name: &str) -> Error {
    Error::ColumnNotFound {
        column: name.to_string(),
        available: schema.fields().iter().map(|f| f.name().clone()).collect(),
    }
}

/// Index of `name` in `schema` if its type passes `accept`, else [`Error::ColumnNotFound`]
/// or [`Error::ColumnType`] (saying `expected`).
pub fn index_of_type(
    schema: &Schema,
    name: &str,
    accept: fn(&DataType) -> bool,
    expected: &str,
) -> Result<usize> {
    let i = index_of(schema, name)?;
    let dt = schema.field(i).data_type();
    if accept(dt) {
        Ok(i)
    } else {
        Err(Error::column_type(name, expected, dt))
    }
}

/// True for integer, unsigned, float and decimal types.
pub fn is_numeric(dt: &DataType) -> bool {
    dt.is_numeric()
}

/// True for the three Arrow string layouts.
pub fn is_string(dt: &DataType) -> bool {
    matches!(dt, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// True for boolean columns.
pub fn is_bool(dt: &DataType) -> bool {
    matches!(dt, DataType::Boolean)
}

/// True for timestamp and date columns.
pub fn is_temporal(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64
    )
}

/// The column as `f64`s, nulls as NaN. Numeric and boolean columns are accepted;
/// anything else is [`Error::ColumnType`].
pub fn f64_values(table: &RecordBatch, name: &str) -> Result<Vec<f64>> {
    let array = column(table, name)?;
    array_f64_values(name, array)
}

/// Like [`f64_values`] for an array already in hand.
pub fn array_f64_values(name: &str, array: &ArrayRef) -> Result<Vec<f64>> {
    let floats = as_f64_array(name, array)?;
    if floats.null_count() == 0 {
        return Ok(floats.values().to_vec());
    }
    Ok(floats.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// Cast a numeric or boolean array to `Float64Array` (nulls kept as nulls).
pub fn as_f64_array(name: &str, array: &ArrayRef) -> Result<Float64Array> {
    let dt = array.data_type();
    if !(is_numeric(dt) || is_bool(dt)) {
        return Err(Error::column_type(name, "a numeric column", dt));
    }
    let cast = cast_with_options(array, &DataType::Float64, &CastOptions::default())?;
    Ok(cast.as_primitive::<arrow::datatypes::Float64Type>().clone())
}

/// The column as optional strings. String columns of any layout are accepted; others
/// are [`Error::ColumnType`].
pub fn str_values<'a>(name: &str, array: &'a ArrayRef) -> Result<StrColumn<'a>> {
    match array.data_type() {
        DataType::Utf8 => Ok(StrColumn::Utf8(array.as_string::<i32>())),
        DataType::LargeUtf8 => Ok(StrColumn::Large(array.as_string::<i64>())),
        DataType::Utf8View => Ok(StrColumn::View(array.as_string_view())),
        other => Err(Error::column_type(name, "a string column", other)),
    }
}

/// A borrowed string column of any Arrow string layout.
#[derive(Debug, Clone, Copy)]
pub enum StrColumn<'a> {
    /// `Utf8`.
    Utf8(&'a StringArray),
    /// `LargeUtf8`.
    Large(&'a LargeStringArray),
    /// `Utf8View`.
    View(&'a StringViewArray),
}

impl<'a> StrColumn<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            StrColumn::Utf8(a) => a.len(),
            StrColumn::Large(a) => a.len(),
            StrColumn::View(a) => a.len(),
        }
    }
    /// True if there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i`, `None` if null.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StrColumn::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            StrColumn::Large(a) => a.is_valid(i).then(|| a.value(i)),
            StrColumn::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
    /// All rows.
    pub fn iter(&self) -> impl Iterator<Item = Option<&'a str>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// Replace the columns at `positions` (ascending, of `table`) by the columns in
/// `replacements` (one `Vec` of new fields per position, possibly several or none),
/// keeping every other column where it was.
pub fn splice_columns(
    table: &RecordBatch,
    mut replacements: Vec<(usize, Vec<(Field, ArrayRef)>)>,
) -> Result<RecordBatch> {
    replacements.sort_by_key(|(i, _)| *i);
    let schema = table.schema();
    let mut fields: Vec<Arc<Field>> = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    let mut next = replacements.into_iter().peekable();
    for (i, field) in schema.fields().iter().enumerate() {
        if next.peek().is_some_and(|(pos, _)| *pos == i) {
            if let Some((_, new_columns)) = next.next() {
                for (f, a) in new_columns {
                    fields.push(Arc::new(f));
                    columns.push(a);
                }
            }
        } else {
            fields.push(field.clone());
            columns.push(table.column(i).clone());
        }
    }
    let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(table.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
        &options,
    )?)
}

/// Like [`splice_columns`] on a schema.
pub fn splice_fields(schema: &Schema, mut replacements: Vec<(usize, Vec<Field>)>) -> Schema {
    replacements.sort_by_key(|(i, _)| *i);
    let mut fields: Vec<Arc<Field>> = Vec::with_capacity(schema.fields().len());
    let mut next = replacements.into_iter().peekable();
    for (i, field) in schema.fields().iter().enumerate() {
        if next.peek().is_some_and(|(pos, _)| *pos == i) {
            if let Some((_, new_fields)) = next.next() {
                fields.extend(new_fields.into_iter().map(Arc::new));
            }
        } else {
            fields.push(field.clone());
        }
    }
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Read row `row` of `array` as a [`Value`].
pub fn value_at(array: &ArrayRef, row: usize) -> Result<Value> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    let dt = array.data_type();
    Ok(match dt {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Value::Str(str_values("", array)?.get(row).unwrap_or_default().to_string())
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(_, _) => {
            Value::Float(as_f64_array("", array)?.value(row))
        }
        DataType::Timestamp(unit, _) => {
            use arrow::datatypes::{
                TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
                TimestampSecondType,
            };
            // Floor division, so pre-1970 instants stay in the right second/day.
            Value::Timestamp(match unit {
                TimeUnit::Second => array
                    .as_primitive::<TimestampSecondType>()
                    .value(row)
                    .saturating_mul(1_000_000),
                TimeUnit::Millisecond => array
                    .as_primitive::<TimestampMillisecondType>()
                    .value(row)
                    .saturating_mul(1_000),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => array
                    .as_primitive::<TimestampNanosecondType>()
                    .value(row)
                    .div_euclid(1_000),
            })
        }
        DataType::Date32 => Value::Timestamp(
            i64::from(array.as_primitive::<arrow::datatypes::Date32Type>().value(row))
                .saturating_mul(86_400_000_000),
        ),
        DataType::Date64 => Value::Timestamp(
            array
                .as_primitive::<arrow::datatypes::Date64Type>()
                .value(row)
                .saturating_mul(1_000),
        ),
        dt if dt.is_integer() => {
            let ints = cast_with_options(array, &DataType::Int64, &CastOptions::default())?;
            Value::Int(ints.as_primitive::<arrow::datatypes::Int64Type>().value(row))
        }
        other => {
            return Err(Error::column_type(
                "",
                "a numeric, string, boolean or timestamp column",
                other,
            ))
        }
    })
}

/// Build a one-column array of `data_type` from `values` (one per row).
///
/// A value that cannot be represented in `data_type` is [`Error::ColumnType`] naming `name`.
pub fn array_from_values(name: &str, data_type: &DataType, values: &[Value]) -> Result<ArrayRef> {
    let wrong = |v: &Value| Error::column_type(name, data_type.to_string(), v.type_name());
    let array: ArrayRef = match data_type {
        DataType::Boolean => Arc::new(
            values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Bool(b) => Ok(Some(*b)),
                    other => Err(wrong(other)),
                })
                .collect::<Result<BooleanArray>>()?,
        ),
        dt if is_string(dt) => {
            let strings = values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Str(s) => Ok(Some(s.as_str())),
                    other => Err(wrong(other)),
                })
                .collect::<Result<StringArray>>()?;
            cast_with_options(&(Arc::new(strings) as ArrayRef), dt, &CastOptions::default())?
        }
        dt if is_temporal(dt) => {
            let micros = values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Timestamp(t) | Value::Int(t) => Ok(Some(*t)),
                    other => Err(wrong(other)),
                })
                .collect::<Result<TimestampMicrosecondArray>>()?;
            // Keep the column's timezone on the microsecond array: casting a naive array to a
            // zoned type would read the instants as local wall time and shift them.
            let micros = match dt {
                DataType::Timestamp(_, tz) => micros.with_timezone_opt(tz.clone()),
                _ => micros,
            };
            cast_with_options(&(Arc::new(micros) as ArrayRef), dt, &CastOptions::default())?
        }
        dt if dt.is_integer() => {
            let ints = values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Int(i) => Ok(Some(*i)),
                    Value::Bool(b) => Ok(Some(i64::from(*b))),
                    Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Ok(Some(*f as i64)),
                    Value::Float(f) if f.is_nan() => Ok(None),
                    other => Err(wrong(other)),
                })
                .collect::<Result<Int64Array>>()?;
            cast_with_options(&(Arc::new(ints) as ArrayRef), dt, &CastOptions::default())?
        }
        dt if dt.is_numeric() => {
            let floats = values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    other => other.as_f64().map(Some).ok_or_else(|| wrong(other)),
                })
                .collect::<Result<Float64Array>>()?;
            cast_with_options(&(Arc::new(floats) as ArrayRef), dt, &CastOptions::default())?
        }
        other => {
            return Err(Error::column_type(
                name,
                "a numeric, string, boolean or timestamp column",
                other,
            ))
        }
    };
    Ok(array)
}

/// A one-row table of `schema` from `row` (one value per field, in order).
pub fn batch_from_row(schema: &SchemaRef, row: &[Value]) -> Result<RecordBatch> {
    if row.len() != schema.fields().len() {
        return Err(Error::InvalidData(format!(
            "row has {} values but the schema has {} columns",
            row.len(),
            schema.fields().len()
        )));
    }
    let columns = schema
        .fields()
        .iter()
        .zip(row)
        .map(|(f, v)| array_from_values(f.name(), f.data_type(), std::slice::from_ref(v)))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Row 0 of `table` as values.
pub fn row_from_batch(table: &RecordBatch) -> Result<Vec<Value>> {
    table.columns().iter().map(|c| value_at(c, 0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, TimestampNanosecondArray};

    #[test]
    fn timestamps_round_trip_through_rows_without_shifting() {
        // 1969-12-31T23:59:59.9999995 UTC (pre-1970, sub-microsecond) and 2021-03-14T07:30:00 UTC.
        let ns = TimestampNanosecondArray::from(vec![Some(-500), Some(1_615_707_000_000_000_000), None])
            .with_timezone("America/New_York");
        let array: ArrayRef = Arc::new(ns);
        assert_eq!(
            value_at(&array, 0).unwrap(),
            Value::Timestamp(-1),
            "floor, not truncation"
        );
        assert_eq!(
            value_at(&array, 1).unwrap(),
            Value::Timestamp(1_615_707_000_000_000)
        );
        assert_eq!(value_at(&array, 2).unwrap(), Value::Null);
        let schema: SchemaRef = Arc::new(Schema::new(vec![Field::new(
            "t",
            array.data_type().clone(),
            true,
        )]));
        let row = vec![Value::Timestamp(1_615_707_000_000_000)];
        let batch = batch_from_row(&schema, &row).unwrap();
        assert_eq!(batch.schema().field(0).data_type(), array.data_type());
        assert_eq!(row_from_batch(&batch).unwrap(), row);

        let dates: ArrayRef = Arc::new(Date32Array::from(vec![-1, 18_000]));
        assert_eq!(value_at(&dates, 0).unwrap(), Value::Timestamp(-86_400_000_000));
    }

    #[test]
    fn splice_replaces_in_place() {
        let t = RecordBatch::try_from_iter([
            ("a", Arc::new(Float64Array::from(vec![1.0])) as ArrayRef),
            ("b", Arc::new(Float64Array::from(vec![2.0])) as ArrayRef),
            ("c", Arc::new(Float64Array::from(vec![3.0])) as ArrayRef),
        ])
        .unwrap();
        let out = splice_columns(
            &t,
            vec![(
                1,
                vec![
                    (
                        Field::new("b1", DataType::Float64, true),
                        Arc::new(Float64Array::from(vec![5.0])) as ArrayRef,
                    ),
                    (
                        Field::new("b2", DataType::Float64, true),
                        Arc::new(Float64Array::from(vec![6.0])) as ArrayRef,
                    ),
                ],
            )],
        )
        .unwrap();
        let names: Vec<_> = out.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["a", "b1", "b2", "c"]);
        assert!(matches!(column(&t, "zz"), Err(Error::ColumnNotFound { .. })));
    }
}
