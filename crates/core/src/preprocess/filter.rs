//! Keep the rows where a serializable predicate holds.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, Scalar, StringArray};
use arrow::compute::kernels::{boolean, cmp};
use arrow::compute::{cast_with_options, filter_record_batch, CastOptions};
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::Preprocessor;
use crate::data::table::{index_of, is_string, is_temporal};
use crate::error::{Error, Result};

/// A literal in a [`Predicate`]: a JSON boolean, integer, float or string.
///
/// A string compared with a timestamp or date column is parsed as one
/// (`"2024-01-02"`, `"2024-01-02T03:04:05"`); integers and floats compare with any
/// numeric column. There is no null literal: use [`Predicate::IsNull`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (or a timestamp, for a temporal column).
    Str(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(v) => write!(f, "{v}"),
            Literal::Int(v) => write!(f, "{v}"),
            Literal::Float(v) => write!(f, "{v:?}"),
            Literal::Str(v) => write!(f, "{v:?}"),
        }
    }
}

impl From<bool> for Literal {
    fn from(v: bool) -> Self {
        Literal::Bool(v)
    }
}
impl From<i64> for Literal {
    fn from(v: i64) -> Self {
        Literal::Int(v)
    }
}
impl From<i32> for Literal {
    fn from(v: i32) -> Self {
        Literal::Int(i64::from(v))
    }
}
impl From<f64> for Literal {
    fn from(v: f64) -> Self {
        Literal::Float(v)
    }
}
impl From<&str> for Literal {
    fn from(v: &str) -> Self {
        Literal::Str(v.to_string())
    }
}
impl From<String> for Literal {
    fn from(v: String) -> Self {
        Literal::Str(v)
    }
}

/// A boolean expression over the columns of a row, serialized with its operator in the
/// field `"op"`.
///
/// | `op` | fields | true when |
/// |---|---|---|
/// | `eq`, `ne`, `lt`, `le`, `gt`, `ge` | `column`, `value` ([`Literal`]) | `column <op> value` |
/// | `is_null` / `is_not_null` | `column` | the value is (not) null |
/// | `is_in` | `column`, `values` (list of literals) | the value equals one of `values` |
/// | `and` / `or` | `predicates` (list) | all / any hold (`and []` is true, `or []` false) |
/// | `not` | `predicate` | the predicate is false |
///
/// Nulls follow SQL (and polars): a comparison with a null is null, `and`/`or`/`not`
/// use three-valued logic, and a row whose predicate is null is dropped, so
/// `not(x > 1)` drops the rows where `x` is null. `is_null` does not count NaN. Floats
/// compare in IEEE total order, as polars: NaN equals NaN and is greater than every
/// number.
///
/// ```
/// use ferrops::preprocess::{col, Predicate};
/// let p = col("age").ge(18).and(col("city").is_in(["Paris", "Lyon"]));
/// let json = serde_json::to_value(&p).unwrap();
/// assert_eq!(json, serde_json::json!({"op": "and", "predicates": [
///     {"op": "ge", "column": "age", "value": 18},
///     {"op": "is_in", "column": "city", "values": ["Paris", "Lyon"]},
/// ]}));
/// let back: Predicate = serde_json::from_value(json).unwrap();
/// assert_eq!(back, p);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Predicate {
    /// `column == value`.
    #[serde(alias = "==")]
    Eq {
        /// The column.
        column: String,
        /// The literal.
        value: Literal,
    },
    /// `column != value`.
    #[serde(alias = "!=")]
    Ne {
        /// The column.
        column: String,
        /// The literal.
        value: Literal,
    },
    /// `column < value`.
    #[serde(alias = "<")]
    Lt {
        /// The column.
        column: String,
        /// The literal.
        value: Literal,
    },
    /// `column <= value`.
    #[serde(alias = "<=")]
    Le {
        /// The column.
        column: String,
        /// The literal.
        value: Literal,
    },
    /// `column > value`.
    #[serde(alias = ">")]
    Gt {
        /// The column.
        column: String,
        /// The literal.
        value: Literal,
    },
    /// `column >= value`.
    #[serde(alias = ">=")]
    Ge {
        /// The column.
        column: String,
        /// The literal.
        value: Literal,
    },
    /// The value is null.
    IsNull {
        /// The column.
        column: String,
    },
    /// The value is not null.
    IsNotNull {
        /// The column.
        column: String,
    },
    /// The value is one of `values`.
    IsIn {
        /// The column.
        column: String,
        /// The accepted values.
        values: Vec<Literal>,
    },
    /// Every predicate holds.
    And {
        /// The operands.
        predicates: Vec<Predicate>,
    },
    /// Some predicate holds.
    Or {
        /// The operands.
        predicates: Vec<Predicate>,
    },
    /// The predicate does not hold.
    Not {
        /// The operand.
        predicate: Box<Predicate>,
    },
}

/// A column reference, to build comparisons: `col("age").gt(18)`.
#[derive(Debug, Clone)]
pub struct ColumnRef(String);

/// Refer to column `name` in a [`Predicate`].
pub fn col(name: impl Into<String>) -> ColumnRef {
    ColumnRef(name.into())
}

impl ColumnRef {
    /// `column == value`.
    pub fn eq(self, value: impl Into<Literal>) -> Predicate {
        Predicate::Eq {
            column: self.0,
            value: value.into(),
        }
    }
    /// `column != value`.
    pub fn ne(self, value: impl Into<Literal>) -> Predicate {
        Predicate::Ne {
            column: self.0,
            value: value.into(),
        }
    }
    /// `column < value`.
    pub fn lt(self, value: impl Into<Literal>) -> Predicate {
        Predicate::Lt {
            column: self.0,
            value: value.into(),
        }
    }
    /// `column <= value`.
    pub fn le(self, value: impl Into<Literal>) -> Predicate {
        Predicate::Le {
            column: self.0,
            value: value.into(),
        }
    }
    /// `column > value`.
    pub fn gt(self, value: impl Into<Literal>) -> Predicate {
        Predicate::Gt {
            column: self.0,
            value: value.into(),
        }
    }
    /// `column >= value`.
    pub fn ge(self, value: impl Into<Literal>) -> Predicate {
        Predicate::Ge {
            column: self.0,
            value: value.into(),
        }
    }
    /// The value is null.
    pub fn is_null(self) -> Predicate {
        Predicate::IsNull { column: self.0 }
    }
    /// The value is not null.
    pub fn is_not_null(self) -> Predicate {
        Predicate::IsNotNull { column: self.0 }
    }
    /// The value is one of `values`.
    pub fn is_in<I, L>(self, values: I) -> Predicate
    where
        I: IntoIterator<Item = L>,
        L: Into<Literal>,
    {
        Predicate::IsIn {
            column: self.0,
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

impl std::ops::Not for Predicate {
    type Output = Predicate;
    fn not(self) -> Predicate {
        Predicate::Not {
            predicate: Box::new(self),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

impl Predicate {
    /// Both `self` and `other` hold (flattening nested `and`s).
    pub fn and(self, other: Predicate) -> Predicate {
        match self {
            Predicate::And { mut predicates } => {
                predicates.push(other);
                Predicate::And { predicates }
            }
            first => Predicate::And {
                predicates: vec![first, other],
            },
        }
    }

    /// `self` or `other` holds (flattening nested `or`s).
    pub fn or(self, other: Predicate) -> Predicate {
        match self {
            Predicate::Or { mut predicates } => {
                predicates.push(other);
                Predicate::Or { predicates }
            }
            first => Predicate::Or {
                predicates: vec![first, other],
            },
        }
    }

    fn comparison(&self) -> Option<(Op, &str, &Literal)> {
        match self {
            Predicate::Eq { column, value } => Some((Op::Eq, column, value)),
            Predicate::Ne { column, value } => Some((Op::Ne, column, value)),
            Predicate::Lt { column, value } => Some((Op::Lt, column, value)),
            Predicate::Le { column, value } => Some((Op::Le, column, value)),
            Predicate::Gt { column, value } => Some((Op::Gt, column, value)),
            Predicate::Ge { column, value } => Some((Op::Ge, column, value)),
            _ => None,
        }
    }

    /// Check every column exists and every literal fits its column's type.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] for an absent column; [`Error::InvalidParameter`] for a
    /// literal of the wrong type (a string compared with a number column, say).
    pub fn check(&self, schema: &Schema) -> Result<()> {
        match self {
            Predicate::IsNull { column } | Predicate::IsNotNull { column } => {
                index_of(schema, column).map(|_| ())
            }
            Predicate::IsIn { column, values } => {
                let dt = schema.field(index_of(schema, column)?).data_type();
                values
                    .iter()
                    .try_for_each(|v| coerce(column, "is_in", dt, v).map(|_| ()))
            }
            Predicate::And { predicates } | Predicate::Or { predicates } => {
                predicates.iter().try_for_each(|p| p.check(schema))
            }
            Predicate::Not { predicate } => predicate.check(schema),
            other => match other.comparison() {
                Some((op, column, value)) => {
                    let dt = schema.field(index_of(schema, column)?).data_type();
                    coerce(column, op.symbol(), dt, value).map(|_| ())
                }
                None => Ok(()),
            },
        }
    }

    /// Evaluate on `batch`: true, false or null per row.
    ///
    /// # Errors
    /// As [`check`](Predicate::check).
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray> {
        let n = batch.num_rows();
        let lookup = |column: &str| -> Result<&ArrayRef> { crate::data::table::column(batch, column) };
        Ok(match self {
            Predicate::IsNull { column } => boolean::is_null(lookup(column)?)?,
            Predicate::IsNotNull { column } => boolean::is_not_null(lookup(column)?)?,
            Predicate::IsIn { column, values } => {
                let array = lookup(column)?;
                let mut acc = BooleanArray::from(vec![false; n]);
                for value in values {
                    let hit = compare(column, "is_in", array, Op::Eq, value)?;
                    acc = boolean::or_kleene(&acc, &hit)?;
                }
                acc
            }
            Predicate::And { predicates } => {
                let mut acc = BooleanArray::from(vec![true; n]);
                for p in predicates {
                    acc = boolean::and_kleene(&acc, &p.evaluate(batch)?)?;
                }
                acc
            }
            Predicate::Or { predicates } => {
                let mut acc = BooleanArray::from(vec![false; n]);
                for p in predicates {
                    acc = boolean::or_kleene(&acc, &p.evaluate(batch)?)?;
                }
                acc
            }
            Predicate::Not { predicate } => boolean::not(&predicate.evaluate(batch)?)?,
            other => match other.comparison() {
                Some((op, column, value)) => compare(column, op.symbol(), lookup(column)?, op, value)?,
                None => BooleanArray::from(vec![true; n]),
            },
        })
    }
}

/// The type both sides compare in, and the literal as a one-element array of it; `None`
/// for a column of type `Null` (every comparison is null).
fn coerce(column: &str, op: &str, dt: &DataType, value: &Literal) -> Result<Option<(DataType, ArrayRef)>> {
    let wrong = |what: &str| {
        Error::param(
            "predicate",
            format!("{column} {op} {value}"),
            format!("column `{column}` has type {dt}; compare it with {what}"),
        )
    };
    let (target, literal): (DataType, ArrayRef) = match (dt, value) {
        (DataType::Null, _) => return Ok(None),
        (dt, Literal::Int(v)) if dt.is_integer() && dt != &DataType::UInt64 => {
            (DataType::Int64, Arc::new(Int64Array::from(vec![*v])))
        }
        (dt, Literal::Int(v)) if dt.is_numeric() => {
            (DataType::Float64, Arc::new(Float64Array::from(vec![*v as f64])))
        }
        (dt, Literal::Float(v)) if dt.is_numeric() => {
            (DataType::Float64, Arc::new(Float64Array::from(vec![*v])))
        }
        (dt, _) if dt.is_numeric() => return Err(wrong("a number")),
        (DataType::Boolean, Literal::Bool(v)) => (DataType::Boolean, Arc::new(BooleanArray::from(vec![*v]))),
        (DataType::Boolean, _) => return Err(wrong("true or false")),
        (dt, Literal::Str(s)) if is_string(dt) => {
            let utf8: ArrayRef = Arc::new(StringArray::from(vec![s.as_str()]));
            (dt.clone(), cast_with_options(&utf8, dt, &CastOptions::default())?)
        }
        (dt, _) if is_string(dt) => return Err(wrong("a string")),
        (dt, Literal::Str(s)) if is_temporal(dt) => {
            let utf8: ArrayRef = Arc::new(StringArray::from(vec![s.as_str()]));
            let strict = CastOptions {
                safe: false,
                ..Default::default()
            };
            let parsed = cast_with_options(&utf8, dt, &strict)
                .map_err(|_| wrong("a string holding an ISO 8601 date or timestamp"))?;
            (dt.clone(), parsed)
        }
        (dt, _) if is_temporal(dt) => return Err(wrong("a string holding an ISO 8601 timestamp")),
        (dt, _) => {
            return Err(Error::column_type(
                column,
                "a numeric, string, boolean or temporal column to compare",
                dt,
            ))
        }
    };
    Ok(Some((target, literal)))
}

fn compare(column: &str, symbol: &str, array: &ArrayRef, op: Op, value: &Literal) -> Result<BooleanArray> {
    let Some((target, literal)) = coerce(column, symbol, array.data_type(), value)? else {
        return Ok(BooleanArray::new_null(array.len()));
    };
    let lhs = if array.data_type() == &target {
        array.clone()
    } else {
        cast_with_options(array, &target, &CastOptions::default())?
    };
    let rhs = Scalar::new(literal);
    Ok(match op {
        Op::Eq => cmp::eq(&lhs, &rhs)?,
        Op::Ne => cmp::neq(&lhs, &rhs)?,
        Op::Lt => cmp::lt(&lhs, &rhs)?,
        Op::Le => cmp::lt_eq(&lhs, &rhs)?,
        Op::Gt => cmp::gt(&lhs, &rhs)?,
        Op::Ge => cmp::gt_eq(&lhs, &rhs)?,
    })
}

/// Keep the rows where `predicate` is true, as polars `filter` / SQL `WHERE` (a null
/// predicate drops the row). See [`Predicate`] for the expression language.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `predicate` | required | a [`Predicate`] tree |
///
/// Columns and literal types are checked by [`output_schema`](Preprocessor::output_schema);
/// the schema is unchanged.
///
/// JSON: `{"type": "filter", "predicate": {"op": "gt", "column": "age", "value": 18}}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Float64Array, StringArray};
/// use ferrops::preprocess::{col, Filter, Preprocessor};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![Some(1.0), None, Some(5.0)])) as _),
///     ("s", Arc::new(StringArray::from(vec!["a", "b", "c"])) as _),
/// ])?;
/// let keep = Filter::new(!col("x").gt(2.0)); // null x: `not null` is null, dropped
/// assert_eq!(keep.process_batch(&t)?.num_rows(), 1);
/// let keep = Filter::new(col("x").gt(2).or(col("x").is_null()));
/// assert_eq!(keep.process_batch(&t)?.num_rows(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// The condition a kept row satisfies.
    pub predicate: Predicate,
}

impl Filter {
    /// Keep the rows where `predicate` holds.
    pub fn new(predicate: Predicate) -> Self {
        Filter { predicate }
    }
}

#[typetag::serde(name = "filter")]
impl Preprocessor for Filter {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        self.predicate.check(input)?;
        Ok(input.clone())
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        self.predicate.check(batch.schema_ref())?;
        let mask = self.predicate.evaluate(batch)?;
        Ok(filter_record_batch(batch, &mask)?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use arrow::array::{AsArray, Int32Array, TimestampMicrosecondArray};
    use arrow::datatypes::Float64Type;

    use super::*;

    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "x",
                Arc::new(Float64Array::from(vec![
                    Some(1.0),
                    None,
                    Some(f64::NAN),
                    Some(5.0),
                ])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("a"), None, Some("b"), Some("c")])) as ArrayRef,
            ),
            ("i", Arc::new(Int32Array::from(vec![1, 2, 3, 4])) as ArrayRef),
            (
                "t",
                Arc::new(TimestampMicrosecondArray::from(vec![
                    0,
                    86_400_000_000,
                    2 * 86_400_000_000,
                    3 * 86_400_000_000,
                ])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn xs(p: Predicate) -> Vec<Option<f64>> {
        let out = Filter::new(p).process_batch(&table()).unwrap();
        out.column(0).as_primitive::<Float64Type>().iter().collect()
    }

    fn strs(p: Predicate) -> Vec<Option<String>> {
        let out = Filter::new(p).process_batch(&table()).unwrap();
        out.column(1)
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(String::from))
            .collect()
    }

    // Reference: polars 1.x on x = [1.0, null, NaN, 5.0], s = ["a", null, "b", "c"]:
    //   df.filter(pl.col("x") > 2)                      -> s = [b, c]  (NaN > 2 is true)
    //   df.filter(~(pl.col("x") > 2))                   -> s = [a]     (null dropped)
    //   df.filter(pl.col("x") == float("nan"))          -> s = [b]
    //   df.filter(pl.col("s").is_in(["a", "b"]))        -> s = [a, b]
    //   df.filter(~pl.col("s").is_in(["a", "b"]))       -> s = [c]
    //   df.filter((pl.col("x") > 2) | pl.col("s").is_null()) -> s = [null, b, c]
    #[test]
    fn matches_polars() {
        let s = |v: &[Option<&str>]| v.iter().map(|x| x.map(String::from)).collect::<Vec<_>>();
        assert_eq!(strs(col("x").gt(2)), s(&[Some("b"), Some("c")]));
        assert_eq!(strs(!col("x").gt(2)), s(&[Some("a")]));
        assert_eq!(strs(col("x").eq(f64::NAN)), s(&[Some("b")]));
        assert_eq!(strs(col("s").is_in(["a", "b"])), s(&[Some("a"), Some("b")]));
        assert_eq!(strs(!col("s").is_in(["a", "b"])), s(&[Some("c")]));
        assert_eq!(
            strs(col("x").gt(2).or(col("s").is_null())),
            s(&[None, Some("b"), Some("c")])
        );
    }

    #[test]
    fn comparisons_and_types() {
        assert_eq!(xs(col("x").le(1)), vec![Some(1.0)]);
        assert_eq!(xs(col("x").ne(1.0)).len(), 2);
        assert_eq!(xs(col("x").is_not_null().and(col("i").lt(3))), vec![Some(1.0)]);
        assert_eq!(xs(col("i").ge(3)).len(), 2);
        assert_eq!(xs(col("i").gt(2.5)).len(), 2);
        assert_eq!(xs(col("i").is_in([1, 4])).len(), 2);
        assert_eq!(xs(col("t").ge("1970-01-03")).len(), 2);
        assert_eq!(xs(col("t").lt("1970-01-02T00:00:01")).len(), 2);
        assert_eq!(xs(col("s").is_in(Vec::<Literal>::new())).len(), 0);
        assert_eq!(xs(Predicate::And { predicates: vec![] }).len(), 4);
    }

    #[test]
    fn bad_literals_and_columns_fail_before_rows() {
        let schema = table().schema();
        for p in [
            col("x").gt("a"),
            col("s").eq(1),
            col("i").eq(true),
            col("t").gt("not a date"),
            col("t").gt(3),
            col("s").is_in(["a".into(), Literal::Int(1)]),
        ] {
            let err = Filter::new(p.clone()).output_schema(&schema).unwrap_err();
            assert!(matches!(err, Error::InvalidParameter { .. }), "{p:?}: {err}");
        }
        let err = Filter::new(col("zz").is_null())
            .output_schema(&schema)
            .unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
        let err = Filter::new(!col("zz").eq(1)).process_batch(&table()).unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
    }

    #[test]
    fn null_typed_and_empty() {
        let t =
            RecordBatch::try_from_iter([("n", arrow::array::new_null_array(&DataType::Null, 3))]).unwrap();
        let out = Filter::new(col("n").eq(1)).process_batch(&t).unwrap();
        assert_eq!(out.num_rows(), 0);
        let out = Filter::new(col("n").is_null()).process_batch(&t).unwrap();
        assert_eq!(out.num_rows(), 3);
        let out = Filter::new(col("x").gt(0))
            .process_batch(&table().slice(0, 0))
            .unwrap();
        assert_eq!(out.num_rows(), 0);
    }

    #[test]
    fn json_shape_and_aliases() {
        let p: Predicate = serde_json::from_str(
            r#"{"op": "not", "predicate": {"op": "or", "predicates": [
                {"op": ">=", "column": "x", "value": 1.5},
                {"op": "is_null", "column": "s"}]}}"#,
        )
        .unwrap();
        assert_eq!(p, !col("x").ge(1.5).or(col("s").is_null()));
        assert!(serde_json::from_str::<Predicate>(r#"{"op": "eq", "column": "x", "value": null}"#).is_err());
        let f = Filter::new(col("s").eq("a"));
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"predicate": {"op": "eq", "column": "s", "value": "a"}})
        );
    }
}
