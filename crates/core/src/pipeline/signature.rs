use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::data::table::{index_of, is_bool, is_numeric, is_string, is_temporal};
use crate::data::Value;
use crate::error::{Error, Result};

/// One input column of a fitted pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Arrow type at fit time.
    pub data_type: DataType,
}

/// The columns (names and types) a fitted pipeline was fitted on, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The columns.
    pub columns: Vec<ColumnSpec>,
}

#[derive(PartialEq)]
enum Family {
    Numeric,
    String,
    Bool,
    Temporal,
    Other,
}

fn family(dt: &DataType) -> Family {
    if is_numeric(dt) {
        Family::Numeric
    } else if is_string(dt) {
        Family::String
    } else if is_bool(dt) {
        Family::Bool
    } else if is_temporal(dt) {
        Family::Temporal
    } else {
        Family::Other
    }
}

fn family_name(dt: &DataType) -> String {
    match family(dt) {
        Family::Numeric => format!("a numeric column (fitted as {dt})"),
        Family::String => format!("a string column (fitted as {dt})"),
        Family::Bool => "a boolean column".into(),
        Family::Temporal => format!("a timestamp/date column (fitted as {dt})"),
        Family::Other => dt.to_string(),
    }
}

impl Signature {
    /// The signature of `schema`.
    pub fn of(schema: &Schema) -> Signature {
        Signature {
            columns: schema
                .fields()
                .iter()
                .map(|f| ColumnSpec {
                    name: f.name().clone(),
                    data_type: f.data_type().clone(),
                })
                .collect(),
        }
    }

    /// The signature as an Arrow schema (all fields nullable).
    pub fn schema(&self) -> Schema {
        Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.data_type.clone(), true))
                .collect::<Vec<_>>(),
        )
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Select the signature's columns from `table`, in signature order, casting a
    /// column of a compatible type (another numeric width, another string layout) to
    /// the fitted type. Extra columns are dropped.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] for a missing column; [`Error::ColumnType`] for a column
    /// of another type family, or non-integral floats where integers were fitted.
    pub fn conform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let schema = table.schema();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for spec in &self.columns {
            let array = table.column(index_of(&schema, &spec.name)?);
            columns.push(conform_array(spec, array)?);
        }
        let out_schema: SchemaRef = Arc::new(self.schema());
        let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(table.num_rows()));
        Ok(RecordBatch::try_new_with_options(out_schema, columns, &options)?)
    }

    /// Check a row given in signature order: its length and each value's type.
    pub fn check_row(&self, row: &[Value]) -> Result<()> {
        if row.len() != self.columns.len() {
            return Err(Error::InvalidData(format!(
                "row has {} values but the pipeline takes {} columns: {:?}",
                row.len(),
                self.columns.len(),
                self.names()
            )));
        }
        for (spec, value) in self.columns.iter().zip(row) {
            let ok = matches!(
                (family(&spec.data_type), value),
                (_, Value::Null)
                    | (Family::Numeric, Value::Float(_) | Value::Int(_) | Value::Bool(_))
                    | (Family::String, Value::Str(_))
                    | (Family::Bool, Value::Bool(_))
                    | (Family::Temporal, Value::Timestamp(_) | Value::Int(_))
            );
            if !ok {
                return Err(Error::column_type(
                    &spec.name,
                    family_name(&spec.data_type),
                    value.type_name(),
                ));
            }
        }
        Ok(())
    }

    /// Order `(column, value)` pairs into a row in signature order; extra columns are
    /// ignored.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] for a signature column that is not among the pairs.
    pub fn order_row<'a, I>(&self, pairs: I) -> Result<Vec<Value>>
    where
        I: IntoIterator<Item = (&'a str, Value)>,
    {
        let mut row: Vec<Option<Value>> = vec![None; self.columns.len()];
        let mut seen = Vec::new();
        for (name, value) in pairs {
            if let Some(i) = self.columns.iter().position(|c| c.name == name) {
                row[i] = Some(value);
            }
            seen.push(name.to_string());
        }
        row.into_iter()
            .zip(&self.columns)
            .map(|(v, spec)| {
                v.ok_or_else(|| Error::ColumnNotFound {
                    column: spec.name.clone(),
                    available: seen.clone(),
                })
            })
            .collect()
    }
}

fn conform_array(spec: &ColumnSpec, array: &ArrayRef) -> Result<ArrayRef> {
    let found = array.data_type();
    if found == &spec.data_type {
        return Ok(array.clone());
    }
    let expected = &spec.data_type;
    let mismatch = || Error::column_type(&spec.name, family_name(expected), found);
    // A column of nulls only (e.g. an all-missing pandas column) has type Null: accept it.
    if found == &DataType::Null {
        return Ok(arrow::array::new_null_array(expected, array.len()));
    }
    if family(found) != family(expected) || family(found) == Family::Other {
        return Err(mismatch());
    }
    if expected.is_integer() && matches!(found, DataType::Float16 | DataType::Float32 | DataType::Float64) {
        let floats = cast_with_options(array, &DataType::Float64, &CastOptions::default())?;
        let non_integral = floats
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .any(|v| v.is_finite() && v.fract() != 0.0);
        if non_integral {
            return Err(Error::ColumnType {
                column: spec.name.clone(),
                expected: format!("integers (fitted as {expected})"),
                found: format!("{found} with fractional values"),
            });
        }
    }
    let options = CastOptions {
        safe: true,
        ..Default::default()
    };
    let cast = cast_with_options(array, expected, &options)?;
    if cast.null_count() > array.null_count() {
        return Err(Error::ColumnType {
            column: spec.name.clone(),
            expected: family_name(expected),
            found: format!("{found} with values that do not fit"),
        });
    }
    Ok(cast)
}
