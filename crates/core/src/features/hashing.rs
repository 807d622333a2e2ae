//! The hashing trick for string columns, as scikit-learn's `FeatureHasher`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::onehot::check_distinct;
use super::{Columns, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{column, index_of_type, is_string, splice_columns, splice_fields, str_values};
use crate::data::Value;
use crate::error::{Error, Result};

/// MurmurHash3 x86 32-bit of `data` with `seed` (Austin Appleby's reference
/// `MurmurHash3_x86_32`, which scikit-learn's `murmurhash3_32` wraps).
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        if let [a, b, c, d] = *chunk {
            h ^= mix(u32::from_le_bytes([a, b, c, d]));
            h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
        }
    }
    if !tail.is_empty() {
        let k = tail
            .iter()
            .enumerate()
            .fold(0u32, |k, (i, &b)| k ^ (u32::from(b) << (8 * i)));
        h ^= mix(k);
    }
    // The reference takes the length as an `int`; it wraps the same way.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The output index and sign of `value` in a block of `n_features`, exactly as
/// scikit-learn's `_hashing_fast.transform`: `h` is the signed 32-bit MurmurHash3 (seed 0)
/// of the UTF-8 bytes, the index `abs(h) % n_features` (with scikit-learn's rule for
/// `h = -2^31`), the sign `+1` if `h >= 0` else `-1`.
pub fn hash_index(value: &str, n_features: usize) -> (usize, f64) {
    let h = murmur3_32(value.as_bytes(), 0) as i32;
    let n = n_features.max(1);
    let index = if h == i32::MIN {
        (i32::MAX as usize).saturating_sub(n - 1) % n
    } else {
        h.unsigned_abs() as usize % n
    };
    (index, if h >= 0 { 1.0 } else { -1.0 })
}

/// Hash string columns into fixed-width blocks of `Float64` columns, as scikit-learn's
/// `FeatureHasher(input_type="string")`.
///
/// Each selected column is replaced, in place, by its own block of `n_features` columns
/// named `<col>_hash_0` .. `<col>_hash_<n_features - 1>`. Row `r` of the block equals
/// scikit-learn's `FeatureHasher(n_features, input_type="string",
/// alternate_sign=...).transform([[v] for v in col])`: the raw value `v` (not
/// `col=v`) is hashed with MurmurHash3 x86 32-bit, seed 0, over its UTF-8 bytes; its index
/// is `abs(h) % n_features`; its value is `1`, or `-1` when `alternate_sign` and `h < 0`.
/// A null contributes nothing (all zeros). Nothing is learned at fit time beyond the
/// column list.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all string | string columns to hash |
/// | `n_features` | `32` | columns per block, 1..=2^31-1 (scikit-learn's default 2^20 suits sparse output, not dense columns) |
/// | `alternate_sign` | `true` | sign each value by its hash, so collisions tend to cancel |
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::StringArray;
/// # use ferrops::features::{FeatureHasher, FeatureTransform};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("city", Arc::new(StringArray::from(vec!["paris", "tokyo"])) as _),
/// ])?;
/// let fitted = FeatureHasher::new(["city"]).n_features(4).fit(&t)?;
/// assert_eq!(fitted.transform(&t)?.num_columns(), 4);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureHasher {
    /// Columns to hash.
    pub columns: Columns,
    /// Output columns per input column.
    pub n_features: usize,
    /// Sign values by their hash.
    pub alternate_sign: bool,
}

impl Default for FeatureHasher {
    fn default() -> Self {
        FeatureHasher {
            columns: Columns::AllString,
            n_features: 32,
            alternate_sign: true,
        }
    }
}

impl FeatureHasher {
    /// Hash `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        FeatureHasher {
            columns: columns.into(),
            ..Default::default()
        }
    }

    /// Set `n_features`.
    pub fn n_features(mut self, n_features: usize) -> Self {
        self.n_features = n_features;
        self
    }

    /// Set `alternate_sign`.
    pub fn alternate_sign(mut self, alternate_sign: bool) -> Self {
        self.alternate_sign = alternate_sign;
        self
    }
}

/// A fitted [`FeatureHasher`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedFeatureHasher {
    /// The hashed columns.
    pub columns: Vec<String>,
    /// Output columns per input column.
    pub n_features: usize,
    /// Sign values by their hash.
    pub alternate_sign: bool,
}

fn check_string(schema: &Schema, name: &str) -> Result<usize> {
    index_of_type(schema, name, is_string, "a string column")
}

#[typetag::serde(name = "feature_hasher")]
impl FeatureTransform for FeatureHasher {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        if self.n_features == 0 || self.n_features > i32::MAX as usize {
            return Err(Error::param(
                "n_features",
                self.n_features,
                "must be in 1..=2147483647",
            ));
        }
        let columns = self.columns.resolve(table.schema_ref())?;
        check_distinct(&columns, "FeatureHasher")?;
        for name in &columns {
            check_string(table.schema_ref(), name)?;
        }
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "FeatureHasher cannot fit on a table with no rows".to_string(),
            });
        }
        Ok(Box::new(FittedFeatureHasher {
            columns,
            n_features: self.n_features,
            alternate_sign: self.alternate_sign,
        }))
    }
}

impl FittedFeatureHasher {
    fn fields(&self, name: &str) -> Vec<Field> {
        (0..self.n_features)
            .map(|i| Field::new(format!("{name}_hash_{i}"), DataType::Float64, false))
            .collect()
    }

    /// The hot index and value of `value`.
    fn hot(&self, value: &str) -> (usize, f64) {
        let (index, sign) = hash_index(value, self.n_features);
        (index, if self.alternate_sign { sign } else { 1.0 })
    }
}

#[typetag::serde(name = "feature_hasher")]
impl FittedTransform for FittedFeatureHasher {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let mut replacements = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            replacements.push((check_string(input, name)?, self.fields(name)));
        }
        Ok(splice_fields(input, replacements))
    }

    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let schema = table.schema();
        let n = table.num_rows();
        let mut replacements = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            let i = check_string(&schema, name)?;
            let values = str_values(name, column(table, name)?)?;
            let mut out = vec![vec![0.0; n]; self.n_features];
            for (row, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    let (index, value) = self.hot(v);
                    if let Some(cell) = out.get_mut(index).and_then(|c| c.get_mut(row)) {
                        *cell += value;
                    }
                }
            }
            let new = self
                .fields(name)
                .into_iter()
                .zip(out)
                .map(|(f, v)| (f, Arc::new(Float64Array::from(v)) as ArrayRef))
                .collect();
            replacements.push((i, new));
        }
        splice_columns(table, replacements)
    }

    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let mut at = vec![None; input.fields().len()];
        for name in &self.columns {
            let i = check_string(input, name)?;
            if let Some(slot) = at.get_mut(i) {
                *slot = Some(name.clone());
            }
        }
        Ok(Some(Box::new(HasherRow {
            inner: self.clone(),
            at,
        })))
    }
}

/// The single-row form of a [`FittedFeatureHasher`].
#[derive(Debug)]
struct HasherRow {
    inner: FittedFeatureHasher,
    /// For each input position, the hashed column there, if any.
    at: Vec<Option<String>>,
}

impl RowTransform for HasherRow {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        if row.len() != self.at.len() {
            return Err(Error::InvalidData(format!(
                "row has {} values but the schema has {} columns",
                row.len(),
                self.at.len()
            )));
        }
        let n = self.inner.n_features;
        let mut out = Vec::with_capacity(row.len() + n * self.inner.columns.len());
        for (value, at) in row.drain(..).zip(&self.at) {
            let Some(name) = at else {
                out.push(value);
                continue;
            };
            let hot = match &value {
                Value::Null => None,
                Value::Str(s) => Some(self.inner.hot(s)),
                other => return Err(Error::column_type(name, "a string value", other.type_name())),
            };
            out.extend((0..n).map(|k| {
                Value::Float(match hot {
                    Some((index, v)) if index == k => v,
                    _ => 0.0,
                })
            }));
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
    use arrow::array::Int64Array;

    #[test]
    fn murmur3_matches_sklearn() {
        // reference: sklearn 1.9.1 sklearn.utils.murmurhash3_32(v, seed=0) (signed)
        let cases: [(&str, i32); 10] = [
            ("", 0),
            ("a", 1009084850),
            ("ab", -1681926305),
            ("abc", -1277324294),
            ("abcd", 1139631978),
            ("abcde", -392455434),
            ("city=paris", -1605665722),
            ("héllo wörld", -1745358220),
            ("日本語", -1515949417),
            ("The quick brown fox jumps over the lazy dog", 776992547),
        ];
        for (s, want) in cases {
            assert_eq!(murmur3_32(s.as_bytes(), 0) as i32, want, "{s:?}");
        }
        // scikit-learn's rule for h = -2^31: (2^31 - 1 - (n - 1)) % n.
        assert_eq!((i32::MAX as usize - 7) % 8, 0);
    }

    fn cities() -> RecordBatch {
        table(vec![
            (
                "id",
                Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7, 8])) as ArrayRef,
            ),
            (
                "city",
                strings(&[
                    Some("paris"),
                    Some("london"),
                    Some("paris"),
                    Some("tokyo"),
                    Some(""),
                    Some("日本語"),
                    Some("berlin"),
                    None,
                ]),
            ),
        ])
    }

    fn block(t: &RecordBatch) -> Vec<Vec<i64>> {
        floats(t)
            .into_iter()
            .map(|r| r[1..].iter().map(|&x| x as i64).collect())
            .collect()
    }

    #[test]
    fn matches_sklearn_feature_hasher() {
        // reference: sklearn 1.9.1 FeatureHasher(input_type="string", ...)
        // .transform([[v] for v in ["paris","london","paris","tokyo","","日本語","berlin"]])
        // .toarray(); the null row (not in the reference) is all zeros.
        let t = cities();
        let cases: [(FeatureHasher, Vec<Vec<i64>>); 3] = [
            (
                FeatureHasher::new(["city"]).n_features(8),
                vec![
                    vec![0, 0, 0, 1, 0, 0, 0, 0],
                    vec![0, 0, 0, 0, -1, 0, 0, 0],
                    vec![0, 0, 0, 1, 0, 0, 0, 0],
                    vec![0, 0, 0, 0, 0, 0, 0, 1],
                    vec![1, 0, 0, 0, 0, 0, 0, 0],
                    vec![0, -1, 0, 0, 0, 0, 0, 0],
                    vec![0, 0, 0, 0, 0, -1, 0, 0],
                    vec![0; 8],
                ],
            ),
            (
                FeatureHasher::new(["city"]).n_features(8).alternate_sign(false),
                vec![
                    vec![0, 0, 0, 1, 0, 0, 0, 0],
                    vec![0, 0, 0, 0, 1, 0, 0, 0],
                    vec![0, 0, 0, 1, 0, 0, 0, 0],
                    vec![0, 0, 0, 0, 0, 0, 0, 1],
                    vec![1, 0, 0, 0, 0, 0, 0, 0],
                    vec![0, 1, 0, 0, 0, 0, 0, 0],
                    vec![0, 0, 0, 0, 0, 1, 0, 0],
                    vec![0; 8],
                ],
            ),
            (
                FeatureHasher::new(["city"]).n_features(3),
                vec![
                    vec![1, 0, 0],
                    vec![0, -1, 0],
                    vec![1, 0, 0],
                    vec![1, 0, 0],
                    vec![1, 0, 0],
                    vec![0, -1, 0],
                    vec![0, -1, 0],
                    vec![0; 3],
                ],
            ),
        ];
        for (enc, want) in cases {
            let f = enc.fit(&t).unwrap();
            let out = f.transform(&t).unwrap();
            assert_eq!(block(&out), want);
            let names = f.feature_names_out(&t.schema()).unwrap();
            assert_eq!(names[0], "id");
            assert_eq!(names[1], "city_hash_0");
            assert_eq!(names.len(), 1 + enc.n_features);
            assert_rows_match(&*f, &t);
            let back = round_trip(&*f);
            assert_eq!(back.transform(&t).unwrap(), out);
        }
    }

    #[test]
    fn errors_and_serde() {
        let t = cities();
        assert!(matches!(
            FeatureHasher::new(["id"]).fit(&t),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(
            FeatureHasher::new(["city"]).fit(&t.slice(0, 0)),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            FeatureHasher::new(["city"]).n_features(0).fit(&t),
            Err(Error::InvalidParameter { .. })
        ));
        let f = FeatureHasher::default().n_features(4).fit(&t).unwrap();
        let wrong = table(vec![
            ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("city", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ]);
        assert!(matches!(
            f.output_schema(&wrong.schema()),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(f.transform(&wrong), Err(Error::ColumnType { .. })));
        let rt = f.row_transform(&t.schema()).unwrap().unwrap();
        let mut row = vec![Value::Int(1), Value::Int(2)];
        assert!(matches!(rt.apply(&mut row), Err(Error::ColumnType { .. })));

        let p = FeatureHasher::new(["city"]).n_features(16);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "columns": {"names": ["city"]},
                "n_features": 16,
                "alternate_sign": true
            })
        );
        let d: FeatureHasher = serde_json::from_str("{}").unwrap();
        assert_eq!(d, FeatureHasher::default());
        assert_eq!(
            serde_json::to_value(&d.columns).unwrap(),
            serde_json::json!("all_string")
        );
        let boxed: Box<dyn FeatureTransform> = Box::new(p);
        assert!(serde_json::to_string(&boxed)
            .unwrap()
            .contains("\"type\":\"feature_hasher\""));
    }
}
