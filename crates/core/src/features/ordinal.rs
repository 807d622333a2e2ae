//! Ordinal encoding of categorical columns, as scikit-learn's `OrdinalEncoder`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::onehot::{check_categorical, check_distinct, fit_categories, CatValues, Code};
use super::{Categories, CategoryIndex, Columns, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{splice_columns, splice_fields};
use crate::data::Value;
use crate::error::{Error, Result};

/// What [`OrdinalEncoder`] does with a category not seen at fit time (scikit-learn's
/// `handle_unknown`). Serialized as `"error"` or `"use_encoded_value"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OrdinalUnknown {
    /// Fail with [`Error::UnknownCategory`].
    #[default]
    Error,
    /// Encode it as `unknown_value`.
    UseEncodedValue,
}

/// Encode categorical columns as `Float64` codes `0, 1, ...` in sorted category order,
/// as scikit-learn's `OrdinalEncoder`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all string | columns to encode: string, integer or boolean |
/// | `handle_unknown` | `"error"` | unseen category at transform: `"error"` ([`Error::UnknownCategory`]) or `"use_encoded_value"` |
/// | `unknown_value` | `null` (NaN) | the code of unseen categories with `"use_encoded_value"`: an integer not in `0..n_categories`, or `null` for NaN |
/// | `encoded_missing_value` | `null` (NaN) | the code of nulls: an integer not in `0..n_categories`, or `null` for NaN |
///
/// JSON cannot hold NaN, so in both value parameters `null` (Rust `None`) means NaN.
///
/// Categories are sorted as in [`OneHotEncoder`](super::OneHotEncoder) (strings by code
/// point, integers numerically, `false` before `true`). Nulls seen at fit time are encoded
/// as `encoded_missing_value` (a NaN value, not an Arrow null, by default); a null at
/// transform in a column that had none at fit is an unknown category, as in
/// scikit-learn. Each column is replaced in place by a `Float64` column of the same name.
/// scikit-learn's `min_frequency` / `max_categories` are not supported here.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{AsArray, StringArray};
/// # use ferrops::features::{OrdinalEncoder, FeatureTransform};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("size", Arc::new(StringArray::from(vec!["m", "l", "s"])) as _),
/// ])?;
/// let out = OrdinalEncoder::new(["size"]).fit(&t)?.transform(&t)?;
/// let codes = out.column(0).as_primitive::<arrow::datatypes::Float64Type>();
/// assert_eq!(codes.values().to_vec(), [1.0, 0.0, 2.0]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrdinalEncoder {
    /// Columns to encode.
    pub columns: Columns,
    /// What to do with a category not seen at fit time.
    pub handle_unknown: OrdinalUnknown,
    /// Code of unseen categories with [`OrdinalUnknown::UseEncodedValue`]; `None` is NaN.
    pub unknown_value: Option<f64>,
    /// Code of nulls; `None` is NaN.
    pub encoded_missing_value: Option<f64>,
}

impl Default for OrdinalEncoder {
    fn default() -> Self {
        OrdinalEncoder {
            columns: Columns::AllString,
            handle_unknown: OrdinalUnknown::Error,
            unknown_value: None,
            encoded_missing_value: None,
        }
    }
}

impl OrdinalEncoder {
    /// Encode `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        OrdinalEncoder {
            columns: columns.into(),
            ..Default::default()
        }
    }

    /// Encode unseen categories as `unknown_value` (`None` for NaN) instead of failing.
    pub fn use_encoded_value(mut self, unknown_value: Option<f64>) -> Self {
        self.handle_unknown = OrdinalUnknown::UseEncodedValue;
        self.unknown_value = unknown_value;
        self
    }

    /// Set `encoded_missing_value` (`None` for NaN).
    pub fn encoded_missing_value(mut self, value: Option<f64>) -> Self {
        self.encoded_missing_value = value;
        self
    }
}

/// Check that `value` is NaN or an integer outside `0..cardinality`.
fn check_code(name: &str, value: Option<f64>, cardinality: usize, column: &str) -> Result<()> {
    let Some(v) = value else { return Ok(()) };
    if v.is_nan() {
        return Ok(());
    }
    if !(v.is_finite() && v.fract() == 0.0) {
        return Err(Error::param(name, v, "must be an integer or null (NaN)"));
    }
    if v >= 0.0 && v < cardinality as f64 {
        return Err(Error::param(
            name,
            v,
            format!(
                "it is already the code of a category of column `{column}` (codes 0..{cardinality}); use a negative value or null (NaN)"
            ),
        ));
    }
    Ok(())
}

/// The fitted state of one column of a [`FittedOrdinalEncoder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdinalColumn {
    /// The input column.
    pub name: String,
    /// The categories seen at fit time (sorted, missing excluded); the code of
    /// `categories[k]` is `k`.
    pub categories: Categories,
    /// Whether nulls were seen at fit time.
    pub has_null: bool,
    /// The hash index of `categories` (a cache: `CategoryIndex::default()`).
    #[serde(skip)]
    pub index: CategoryIndex,
}

/// A fitted [`OrdinalEncoder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedOrdinalEncoder {
    /// The encoded columns, in fit order.
    pub columns: Vec<OrdinalColumn>,
    /// What to do with a category not seen at fit time.
    pub handle_unknown: OrdinalUnknown,
    /// Code of unseen categories; `None` is NaN.
    pub unknown_value: Option<f64>,
    /// Code of nulls; `None` is NaN.
    pub encoded_missing_value: Option<f64>,
}

impl FittedOrdinalEncoder {
    fn encode(&self, c: &OrdinalColumn, code: Code) -> Result<f64> {
        match code {
            Code::Known(k) if k == c.categories.len() => Ok(self.encoded_missing_value.unwrap_or(f64::NAN)),
            Code::Known(k) => Ok(k as f64),
            Code::Unknown(value) => match self.handle_unknown {
                OrdinalUnknown::Error => Err(Error::UnknownCategory {
                    column: c.name.clone(),
                    value,
                }),
                OrdinalUnknown::UseEncodedValue => Ok(self.unknown_value.unwrap_or(f64::NAN)),
            },
        }
    }
}

#[typetag::serde(name = "ordinal_encoder")]
impl FeatureTransform for OrdinalEncoder {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        if self.handle_unknown == OrdinalUnknown::Error && self.unknown_value.is_some() {
            // scikit-learn raises here too: the value would silently never be used.
            return Err(Error::param(
                "unknown_value",
                format!("{:?}", self.unknown_value),
                "is only used with handle_unknown = \"use_encoded_value\"; set that, or leave unknown_value unset",
            ));
        }
        let names = self.columns.resolve(table.schema_ref())?;
        check_distinct(&names, "OrdinalEncoder")?;
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            let fit = fit_categories(table, &name, "OrdinalEncoder")?;
            let cardinality = fit.categories.len();
            if self.handle_unknown == OrdinalUnknown::UseEncodedValue {
                check_code("unknown_value", self.unknown_value, cardinality, &name)?;
            }
            if fit.has_null {
                check_code(
                    "encoded_missing_value",
                    self.encoded_missing_value,
                    cardinality,
                    &name,
                )?;
            }
            columns.push(OrdinalColumn {
                name,
                categories: fit.categories,
                has_null: fit.has_null,
                index: CategoryIndex::default(),
            });
        }
        Ok(Box::new(FittedOrdinalEncoder {
            columns,
            handle_unknown: self.handle_unknown,
            unknown_value: self.unknown_value,
            encoded_missing_value: self.encoded_missing_value,
        }))
    }
}

#[typetag::serde(name = "ordinal_encoder")]
impl FittedTransform for FittedOrdinalEncoder {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let mut replacements = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let i = check_categorical(input, &c.name, &c.categories)?;
            replacements.push((i, vec![Field::new(&c.name, DataType::Float64, false)]));
        }
        Ok(splice_fields(input, replacements))
    }

    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let schema = table.schema();
        let mut replacements = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let i = check_categorical(&schema, &c.name, &c.categories)?;
            let values = CatValues::read(&c.name, table.column(i))?;
            let lookup = c.categories.lookup(&c.index);
            let codes = (0..table.num_rows())
                .map(|row| self.encode(c, lookup.code_at(&values, row, c.has_null)))
                .collect::<Result<Vec<f64>>>()?;
            replacements.push((
                i,
                vec![(
                    Field::new(&c.name, DataType::Float64, false),
                    Arc::new(Float64Array::from(codes)) as ArrayRef,
                )],
            ));
        }
        splice_columns(table, replacements)
    }

    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let indices = self
            .columns
            .iter()
            .map(|c| check_categorical(input, &c.name, &c.categories))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Box::new(OrdinalRow {
            inner: self.clone(),
            indices,
        })))
    }
}

/// The single-row form of a [`FittedOrdinalEncoder`].
#[derive(Debug)]
struct OrdinalRow {
    inner: FittedOrdinalEncoder,
    indices: Vec<usize>,
}

impl RowTransform for OrdinalRow {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        for (c, &i) in self.inner.columns.iter().zip(&self.indices) {
            let Some(cell) = row.get_mut(i) else {
                return Err(Error::InvalidData(format!(
                    "row has no value for column `{}`",
                    c.name
                )));
            };
            let code = c.categories.lookup(&c.index).code_of(&c.name, cell, c.has_null)?;
            *cell = Value::Float(self.inner.encode(c, code)?);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::features::onehot::tests::{assert_rows_match, floats, round_trip, strings, table};
    use arrow::array::{BooleanArray, Int64Array};

    fn fit_table() -> RecordBatch {
        table(vec![(
            "c",
            strings(&[Some("b"), Some("a"), Some("c"), Some("a"), None, Some("b")]),
        )])
    }

    fn test_table() -> RecordBatch {
        table(vec![("c", strings(&[Some("a"), Some("z"), None, Some("c")]))])
    }

    fn col(t: &RecordBatch) -> Vec<f64> {
        floats(t).into_iter().map(|r| r[0]).collect()
    }

    fn same(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!(x == y || (x.is_nan() && y.is_nan()), "{a:?} != {b:?}");
        }
    }

    #[test]
    fn matches_sklearn() {
        // reference: sklearn 1.9.1 OrdinalEncoder fitted on ["b","a","c","a",nan,"b"]
        // (categories ['a','b','c',nan]), transform of ["a","z",nan,"c"].
        let t = fit_table();
        let f = OrdinalEncoder::new(["c"]).fit(&t).unwrap();
        same(
            &col(&f.transform(&t).unwrap()),
            &[1.0, 0.0, 2.0, 0.0, f64::NAN, 1.0],
        );
        assert_rows_match(&*f, &t);
        match f.transform(&test_table()) {
            Err(Error::UnknownCategory { column, value }) => {
                assert_eq!((column, value), ("c".into(), "z".into()))
            }
            other => panic!("expected UnknownCategory, got {other:?}"),
        }
        // use_encoded_value, unknown_value=-1 -> [0, -1, nan, 2]
        let f = OrdinalEncoder::new(["c"])
            .use_encoded_value(Some(-1.0))
            .fit(&t)
            .unwrap();
        same(
            &col(&f.transform(&test_table()).unwrap()),
            &[0.0, -1.0, f64::NAN, 2.0],
        );
        assert_rows_match(&*f, &test_table());
        // unknown_value=nan -> [0, nan, nan, 2]
        let f = OrdinalEncoder::new(["c"])
            .use_encoded_value(None)
            .fit(&t)
            .unwrap();
        same(
            &col(&f.transform(&test_table()).unwrap()),
            &[0.0, f64::NAN, f64::NAN, 2.0],
        );
        assert_rows_match(&*f, &test_table());
        // unknown_value=-1, encoded_missing_value=-2 -> [0, -1, -2, 2]
        let f = OrdinalEncoder::new(["c"])
            .use_encoded_value(Some(-1.0))
            .encoded_missing_value(Some(-2.0))
            .fit(&t)
            .unwrap();
        same(
            &col(&f.transform(&test_table()).unwrap()),
            &[0.0, -1.0, -2.0, 2.0],
        );
        assert_rows_match(&*f, &test_table());
        // unknown_value=3 is allowed (3 categories besides nan).
        assert!(OrdinalEncoder::new(["c"])
            .use_encoded_value(Some(3.0))
            .fit(&t)
            .is_ok());
    }

    #[test]
    fn null_unseen_at_fit_is_unknown() {
        // reference: sklearn 1.9.1 fitted on ["b","a"]: transform of ["a","z",nan,"c"]
        // raises with "error", gives [0,-1,-1,-1] with unknown_value=-1.
        let t = table(vec![("c", strings(&[Some("b"), Some("a")]))]);
        let f = OrdinalEncoder::new(["c"]).fit(&t).unwrap();
        assert!(matches!(
            f.transform(&table(vec![("c", strings(&[None]))])),
            Err(Error::UnknownCategory { .. })
        ));
        let f = OrdinalEncoder::new(["c"])
            .use_encoded_value(Some(-1.0))
            .fit(&t)
            .unwrap();
        same(
            &col(&f.transform(&test_table()).unwrap()),
            &[0.0, -1.0, -1.0, -1.0],
        );
        assert_rows_match(&*f, &test_table());
    }

    #[test]
    fn integer_and_boolean_columns() {
        // reference: sklearn 1.9.1 OrdinalEncoder on [10,2,-1,2,10,100] -> [2,1,0,1,2,3]
        let t = table(vec![(
            "n",
            Arc::new(Int64Array::from(vec![10, 2, -1, 2, 10, 100])) as ArrayRef,
        )]);
        let f = OrdinalEncoder::new(["n"]).fit(&t).unwrap();
        same(&col(&f.transform(&t).unwrap()), &[2.0, 1.0, 0.0, 1.0, 2.0, 3.0]);
        assert_rows_match(&*f, &t);
        let t = table(vec![(
            "b",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])) as ArrayRef,
        )]);
        let f = OrdinalEncoder::new(["b"]).fit(&t).unwrap();
        same(&col(&f.transform(&t).unwrap()), &[1.0, f64::NAN, 0.0]);
        assert_rows_match(&*f, &t);
    }

    #[test]
    fn errors_and_schema() {
        let t = fit_table();
        // reference: sklearn 1.9.1 rejects unknown_value=1 (already a code), 1.5 (not an
        // integer), and encoded_missing_value=0 (already a code).
        for bad in [
            OrdinalEncoder::new(["c"]).use_encoded_value(Some(1.0)),
            OrdinalEncoder::new(["c"]).use_encoded_value(Some(1.5)),
            OrdinalEncoder::new(["c"]).encoded_missing_value(Some(0.0)),
            OrdinalEncoder::new(["c", "c"]),
        ] {
            assert!(
                matches!(bad.fit(&t), Err(Error::InvalidParameter { .. })),
                "{bad:?}"
            );
        }
        let empty = table(vec![("c", strings(&[]))]);
        assert!(matches!(
            OrdinalEncoder::new(["c"]).fit(&empty),
            Err(Error::EmptyInput { .. })
        ));
        let floats_t = table(vec![("c", Arc::new(Float64Array::from(vec![1.0])) as ArrayRef)]);
        assert!(matches!(
            OrdinalEncoder::new(["c"]).fit(&floats_t),
            Err(Error::ColumnType { .. })
        ));
        let f = OrdinalEncoder::new(["c"]).fit(&t).unwrap();
        assert!(matches!(
            f.output_schema(&floats_t.schema()),
            Err(Error::ColumnType { .. })
        ));
        let s = f.output_schema(&t.schema()).unwrap();
        assert_eq!(s.field(0).name(), "c");
        assert_eq!(s.field(0).data_type(), &DataType::Float64);
        assert_eq!(f.feature_names_out(&t.schema()).unwrap(), ["c"]);
        // A wrongly typed row value.
        let rt = f.row_transform(&t.schema()).unwrap().unwrap();
        let mut row = vec![Value::Int(3)];
        assert!(matches!(rt.apply(&mut row), Err(Error::ColumnType { .. })));
    }

    #[test]
    fn serde_round_trip_and_json_form() {
        let enc = OrdinalEncoder::new(["c"])
            .use_encoded_value(Some(-1.0))
            .encoded_missing_value(None);
        assert_eq!(
            serde_json::to_value(&enc).unwrap(),
            serde_json::json!({
                "columns": {"names": ["c"]},
                "handle_unknown": "use_encoded_value",
                "unknown_value": -1.0,
                "encoded_missing_value": null
            })
        );
        let d: OrdinalEncoder = serde_json::from_str("{}").unwrap();
        assert_eq!(d, OrdinalEncoder::default());
        let params: Box<dyn FeatureTransform> = Box::new(enc.clone());
        let s = serde_json::to_string(&params).unwrap();
        assert!(s.contains("\"type\":\"ordinal_encoder\""));
        let f = enc.fit(&fit_table()).unwrap();
        let back = round_trip(&*f);
        assert_eq!(
            back.transform(&test_table()).unwrap(),
            f.transform(&test_table()).unwrap()
        );
        assert_rows_match(&*back, &test_table());
    }
}
