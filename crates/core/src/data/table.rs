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
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let micros = cast_with_options(
                array,
                &DataType::Timestamp(TimeUnit::Microsecond, None),
                &CastOptions::default(),
            )?;
            Value::Timestamp(
                micros
                    .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                    .value(row),
            )
        }
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
