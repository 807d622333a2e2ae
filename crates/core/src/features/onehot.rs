//! One-hot encoding of categorical columns, as scikit-learn's `OneHotEncoder`, and the
//! category machinery it shares with [`OrdinalEncoder`](super::OrdinalEncoder).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::{Columns, FeatureTransform, FittedTransform, OneHotCodes, RowTransform, SparseOutput};
use crate::data::table::{column, index_of, is_string, splice_columns, splice_fields, str_values, StrColumn};
use crate::data::{Value, NO_CODE};
use crate::error::{Error, Result};

/// The label of the missing-value category (nulls, and NaN in a row), as scikit-learn
/// names `np.nan`: the feature is `<col>_nan`.
pub const NULL_CATEGORY: &str = "nan";

/// The label of the grouped infrequent category: the feature is `<col>_infrequent_sklearn`,
/// as scikit-learn names it.
pub const INFREQUENT_CATEGORY: &str = "infrequent_sklearn";

/// The categories of one column seen at fit time, sorted as scikit-learn sorts them
/// (strings by code point, integers numerically, `false` before `true`). The missing
/// category, if any, is not in this list: it is recorded apart and comes after it.
///
/// Serialized externally tagged: `{"string": ["a", "b"]}`, `{"integer": [-1, 2]}`,
/// `{"boolean": [false, true]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Categories {
    /// Categories of a string column (any Arrow string layout).
    String(Vec<String>),
    /// Categories of an integer column (any width, signed or unsigned; values must fit `i64`).
    Integer(Vec<i64>),
    /// Categories of a boolean column.
    Boolean(Vec<bool>),
}

impl Categories {
    /// Number of (non-missing) categories.
    pub fn len(&self) -> usize {
        match self {
            Categories::String(c) => c.len(),
            Categories::Integer(c) => c.len(),
            Categories::Boolean(c) => c.len(),
        }
    }

    /// True if there is no category.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text form of each category, as scikit-learn prints it in feature names
    /// (`str(category)`: integers in decimal, booleans as `False` / `True`).
    pub fn labels(&self) -> Vec<String> {
        match self {
            Categories::String(c) => c.clone(),
            Categories::Integer(c) => c.iter().map(i64::to_string).collect(),
            Categories::Boolean(c) => c.iter().map(|&b| bool_label(b).to_string()).collect(),
        }
    }

    fn kind(&self) -> CatKind {
        match self {
            Categories::String(_) => CatKind::String,
            Categories::Integer(_) => CatKind::Integer,
            Categories::Boolean(_) => CatKind::Boolean,
        }
    }

    /// The code of a present (non-null) value, or its text if unseen.
    fn code_str(&self, v: &str) -> Code {
        match self {
            Categories::String(c) => c
                .binary_search_by(|x| x.as_str().cmp(v))
                .map_or_else(|_| Code::Unknown(v.to_string()), Code::Known),
            _ => Code::Unknown(v.to_string()),
        }
    }

    fn code_int(&self, v: i64) -> Code {
        match self {
            Categories::Integer(c) => c
                .binary_search(&v)
                .map_or_else(|_| Code::Unknown(v.to_string()), Code::Known),
            _ => Code::Unknown(v.to_string()),
        }
    }

    fn code_bool(&self, v: bool) -> Code {
        match self {
            Categories::Boolean(c) => c
                .iter()
                .position(|&x| x == v)
                .map_or_else(|| Code::Unknown(bool_label(v).to_string()), Code::Known),
            _ => Code::Unknown(bool_label(v).to_string()),
        }
    }

    /// The code of row `i` of `values`: the category index, `len()` for a null when
    /// nulls were seen at fit, else unknown.
    pub(crate) fn code_at(&self, values: &CatValues<'_>, i: usize, has_null: bool) -> Code {
        let code = match values {
            CatValues::Str(s) => s.get(i).map(|v| self.code_str(v)),
            CatValues::Int(a) => a.is_valid(i).then(|| self.code_int(a.value(i))),
            CatValues::Bool(a) => a.is_valid(i).then(|| self.code_bool(a.value(i))),
        };
        code.unwrap_or_else(|| self.null_code(has_null))
    }

    /// A lookup through `index`, the hash index of these categories (built on first use).
    pub(crate) fn lookup<'c>(&'c self, index: &'c CategoryIndex) -> Lookup<'c> {
        Lookup {
            categories: self,
            index: index.get(self),
        }
    }

    /// Like [`code_at`](Self::code_at) for one row value; a value of the wrong kind is
    /// [`Error::ColumnType`].
    pub(crate) fn code_of(&self, name: &str, v: &Value, has_null: bool) -> Result<Code> {
        let wrong = || Error::column_type(name, self.kind().expected(), v.type_name());
        Ok(match (self.kind(), v) {
            (_, Value::Null) => self.null_code(has_null),
            (_, Value::Float(f)) if f.is_nan() => self.null_code(has_null),
            (CatKind::String, Value::Str(s)) => self.code_str(s),
            (CatKind::Integer, Value::Int(i)) => self.code_int(*i),
            (CatKind::Integer, Value::Float(f))
                if f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64 =>
            {
                self.code_int(*f as i64)
            }
            (CatKind::Boolean, Value::Bool(b)) => self.code_bool(*b),
            _ => return Err(wrong()),
        })
    }

    fn null_code(&self, has_null: bool) -> Code {
        if has_null {
            Code::Known(self.len())
        } else {
            Code::Unknown("null".to_string())
        }
    }
}

fn bool_label(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The code of one value: a category index (the missing category is `len()`), or the
/// text of an unseen value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Code {
    Known(usize),
    Unknown(String),
}

/// The type class of a categorical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CatKind {
    String,
    Integer,
    Boolean,
}

impl CatKind {
    pub(crate) fn of(dt: &DataType) -> Option<CatKind> {
        if is_string(dt) {
            Some(CatKind::String)
        } else if dt.is_integer() {
            Some(CatKind::Integer)
        } else if matches!(dt, DataType::Boolean) {
            Some(CatKind::Boolean)
        } else {
            None
        }
    }

    fn expected(self) -> &'static str {
        match self {
            CatKind::String => "a string column (as at fit time)",
            CatKind::Integer => "an integer column (as at fit time)",
            CatKind::Boolean => "a boolean column (as at fit time)",
        }
    }
}

const CATEGORICAL: &str = "a string, integer or boolean column";

/// Check that the column `name` of `schema` has the type class `cats` were fitted on;
/// return its index.
pub(crate) fn check_categorical(schema: &Schema, name: &str, cats: &Categories) -> Result<usize> {
    let i = index_of(schema, name)?;
    let dt = schema.field(i).data_type();
    match CatKind::of(dt) {
        Some(kind) if kind == cats.kind() => Ok(i),
        _ => Err(Error::column_type(name, cats.kind().expected(), dt)),
    }
}

/// A hash index of string categories, built on first use and kept with the fitted
/// encoder, so coding a value costs one hash lookup instead of a binary search over the
/// categories. Not serialized, and ignored by `==`. It indexes the categories of its
/// first use: build a new encoder rather than editing `categories` of a used one.
#[derive(Debug, Clone, Default)]
pub struct CategoryIndex(OnceLock<rustc_hash::FxHashMap<String, usize>>);

impl PartialEq for CategoryIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl CategoryIndex {
    /// The index of `categories`, for string categories numerous enough to beat a
    /// binary search.
    fn get(&self, categories: &Categories) -> Option<&rustc_hash::FxHashMap<String, usize>> {
        match categories {
            Categories::String(c) if c.len() >= 8 => Some(
                self.0
                    .get_or_init(|| c.iter().enumerate().map(|(k, v)| (v.clone(), k)).collect()),
            ),
            _ => None,
        }
    }
}

/// [`Categories`] with their [`CategoryIndex`] (see [`Categories::lookup`]).
pub(crate) struct Lookup<'c> {
    categories: &'c Categories,
    index: Option<&'c rustc_hash::FxHashMap<String, usize>>,
}

impl Lookup<'_> {
    fn code_str(&self, index: &rustc_hash::FxHashMap<String, usize>, v: &str) -> Code {
        index
            .get(v)
            .map_or_else(|| Code::Unknown(v.to_string()), |&k| Code::Known(k))
    }

    /// As [`Categories::code_at`], through the hash index when there is one.
    pub(crate) fn code_at(&self, values: &CatValues<'_>, i: usize, has_null: bool) -> Code {
        match (self.index, values) {
            (Some(index), CatValues::Str(s)) => match s.get(i) {
                Some(v) => self.code_str(index, v),
                None => self.categories.null_code(has_null),
            },
            _ => self.categories.code_at(values, i, has_null),
        }
    }

    /// As [`Categories::code_of`], through the hash index when there is one.
    pub(crate) fn code_of(&self, name: &str, v: &Value, has_null: bool) -> Result<Code> {
        match (self.index, v) {
            (Some(index), Value::Str(s)) => Ok(self.code_str(index, s)),
            _ => self.categories.code_of(name, v, has_null),
        }
    }
}

/// A categorical column read for lookup.
pub(crate) enum CatValues<'a> {
    Str(StrColumn<'a>),
    Int(Int64Array),
    Bool(&'a BooleanArray),
}

impl<'a> CatValues<'a> {
    /// Read `array` (column `name`) as a categorical column.
    pub(crate) fn read(name: &str, array: &'a ArrayRef) -> Result<Self> {
        match CatKind::of(array.data_type()) {
            Some(CatKind::String) => Ok(CatValues::Str(str_values(name, array)?)),
            Some(CatKind::Integer) => {
                // `safe: false` makes an unsigned value beyond i64 an error, not a null.
                let options = CastOptions {
                    safe: false,
                    ..Default::default()
                };
                let ints = cast_with_options(array, &DataType::Int64, &options)?;
                Ok(CatValues::Int(ints.as_primitive::<Int64Type>().clone()))
            }
            Some(CatKind::Boolean) => Ok(CatValues::Bool(array.as_boolean())),
            None => Err(Error::column_type(name, CATEGORICAL, array.data_type())),
        }
    }

    fn len(&self) -> usize {
        match self {
            CatValues::Str(s) => s.len(),
            CatValues::Int(a) => a.len(),
            CatValues::Bool(a) => a.len(),
        }
    }
}

/// The categories of a column learned at fit time, with their counts.
pub(crate) struct FitCategories {
    /// Sorted non-missing categories.
    pub categories: Categories,
    /// Count of each category, in order, then the count of nulls if any.
    pub counts: Vec<usize>,
    /// Whether the column had nulls (the missing category, last).
    pub has_null: bool,
}

/// Learn the sorted categories of column `name` of `table`.
///
/// # Errors
/// [`Error::EmptyInput`] for a table with no rows; [`Error::ColumnType`] for a column
/// that is not string, integer or boolean.
pub(crate) fn fit_categories(table: &RecordBatch, name: &str, stage: &str) -> Result<FitCategories> {
    let array = column(table, name)?;
    let values = CatValues::read(name, array)?;
    if table.num_rows() == 0 {
        return Err(Error::EmptyInput {
            context: format!("{stage} cannot learn the categories of `{name}` from a table with no rows"),
        });
    }
    let nulls = array.null_count();
    let (categories, mut counts) = match &values {
        CatValues::Str(s) => {
            // Hash, then sort the distinct values: much faster than an ordered map per row.
            let mut map: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
            for v in s.iter().flatten() {
                *map.entry(v).or_default() += 1;
            }
            let mut pairs: Vec<(&str, usize)> = map.into_iter().collect();
            pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let (cats, counts): (Vec<_>, Vec<_>) = pairs.into_iter().map(|(k, c)| (k.to_string(), c)).unzip();
            (Categories::String(cats), counts)
        }
        CatValues::Int(a) => {
            let mut map: rustc_hash::FxHashMap<i64, usize> = rustc_hash::FxHashMap::default();
            for v in a.iter().flatten() {
                *map.entry(v).or_default() += 1;
            }
            let mut pairs: Vec<(i64, usize)> = map.into_iter().collect();
            pairs.sort_unstable_by_key(|p| p.0);
            let (cats, counts): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
            (Categories::Integer(cats), counts)
        }
        CatValues::Bool(a) => {
            let mut map: BTreeMap<bool, usize> = BTreeMap::new();
            for v in a.iter().flatten() {
                *map.entry(v).or_default() += 1;
            }
            let (cats, counts): (Vec<_>, Vec<_>) = map.into_iter().unzip();
            (Categories::Boolean(cats), counts)
        }
    };
    if nulls > 0 {
        counts.push(nulls);
    }
    Ok(FitCategories {
        categories,
        counts,
        has_null: nulls > 0,
    })
}

/// Reject a column selected twice (its replacement would be spliced twice).
pub(crate) fn check_distinct(names: &[String], stage: &str) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(Error::param(
                "columns",
                name,
                format!("{stage} selects column `{name}` twice; name each column once"),
            ));
        }
    }
    Ok(())
}

/// What [`OneHotEncoder`] does with a category not seen at fit time (scikit-learn's
/// `handle_unknown`). Serialized as `"error"`, `"ignore"`, `"infrequent_if_exist"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OneHotUnknown {
    /// Fail with [`Error::UnknownCategory`].
    #[default]
    Error,
    /// Encode it as all zeros.
    Ignore,
    /// Encode it in the infrequent column if the column has one, else as all zeros.
    InfrequentIfExist,
}

/// Which category [`OneHotEncoder`] drops (scikit-learn's `drop`). Serialized as
/// `"first"` or `"if_binary"`; no drop is `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropCategory {
    /// Drop the first output column of every column (after infrequent grouping).
    First,
    /// Drop the first output column of columns with exactly two output columns.
    IfBinary,
}

/// The minimum frequency under which a category is infrequent (scikit-learn's
/// `min_frequency`): an absolute count (JSON integer) or a fraction of the rows
/// (JSON float in `(0, 1)`). A category is infrequent when its count is strictly below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MinFrequency {
    /// At least this many rows (>= 1).
    Count(u64),
    /// At least this fraction of the rows (in `(0, 1)`), counting rows with nulls.
    Fraction(f64),
}

impl From<u64> for MinFrequency {
    fn from(n: u64) -> Self {
        MinFrequency::Count(n)
    }
}

impl From<f64> for MinFrequency {
    fn from(f: f64) -> Self {
        MinFrequency::Fraction(f)
    }
}

/// One-hot encode categorical columns, as scikit-learn's `OneHotEncoder(sparse_output=False)`.
///
/// Each selected column is replaced, in place, by one `Float64` 0/1 column per category,
/// named `<col>_<category>` (scikit-learn's `get_feature_names_out`), categories in
/// scikit-learn's sorted order.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all string | columns to encode: string, integer or boolean |
/// | `handle_unknown` | `"error"` | unseen category at transform: `"error"` ([`Error::UnknownCategory`]), `"ignore"` (all zeros), `"infrequent_if_exist"` (the infrequent column if there is one, else all zeros) |
/// | `drop` | `null` | `"first"`: drop each column's first output; `"if_binary"`: only for columns with two outputs; dropped values encode as all zeros |
/// | `min_frequency` | `null` | categories seen fewer times (an integer count, or a fraction of the rows) are grouped into `<col>_infrequent_sklearn`, placed last |
/// | `max_categories` | `null` | at most this many outputs per column, the infrequent one included; the least frequent categories are grouped (ties: the earlier category in sorted order is grouped first, as scikit-learn's stable sort does) |
///
/// Category text forms: strings as they are; integer columns are sorted numerically and
/// named in decimal (`n_-1`, `n_2`, `n_10`); boolean columns are named `False` / `True` as
/// Python prints them. Nulls are a category of their own, named `nan` (`<col>_nan`),
/// sorted after every other category, as scikit-learn treats `np.nan`; it counts like any
/// other category for `min_frequency` / `max_categories`. A null at transform in a column
/// that had none at fit is an unknown category. A transform column must have the type
/// class (string, integer, boolean) it was fitted on.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::StringArray;
/// # use ferrops::features::{OneHotEncoder, FeatureTransform};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("city", Arc::new(StringArray::from(vec!["b", "a", "b"])) as _),
/// ])?;
/// let fitted = OneHotEncoder::new(["city"]).fit(&t)?;
/// assert_eq!(fitted.feature_names_out(&t.schema())?, ["city_a", "city_b"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OneHotEncoder {
    /// Columns to encode.
    pub columns: Columns,
    /// What to do with a category not seen at fit time.
    pub handle_unknown: OneHotUnknown,
    /// Which category to drop, if any.
    pub drop: Option<DropCategory>,
    /// Group categories rarer than this into the infrequent column.
    pub min_frequency: Option<MinFrequency>,
    /// At most this many output columns per input column (>= 1).
    pub max_categories: Option<usize>,
}

impl Default for OneHotEncoder {
    fn default() -> Self {
        OneHotEncoder {
            columns: Columns::AllString,
            handle_unknown: OneHotUnknown::Error,
            drop: None,
            min_frequency: None,
            max_categories: None,
        }
    }
}

impl OneHotEncoder {
    /// Encode `columns` with the default options.
    pub fn new(columns: impl Into<Columns>) -> Self {
        OneHotEncoder {
            columns: columns.into(),
            ..Default::default()
        }
    }

    /// Set `handle_unknown`.
    pub fn handle_unknown(mut self, handle_unknown: OneHotUnknown) -> Self {
        self.handle_unknown = handle_unknown;
        self
    }

    /// Set `drop`.
    pub fn drop(mut self, drop: Option<DropCategory>) -> Self {
        self.drop = drop;
        self
    }

    /// Set `min_frequency` (an absolute count as `u64`, a fraction as `f64`).
    pub fn min_frequency(mut self, min_frequency: impl Into<MinFrequency>) -> Self {
        self.min_frequency = Some(min_frequency.into());
        self
    }

    /// Set `max_categories`.
    pub fn max_categories(mut self, max_categories: usize) -> Self {
        self.max_categories = Some(max_categories);
        self
    }

    fn validate(&self) -> Result<()> {
        match self.min_frequency {
            Some(MinFrequency::Count(0)) => {
                return Err(Error::param(
                    "min_frequency",
                    0,
                    "an absolute count must be at least 1",
                ))
            }
            Some(MinFrequency::Fraction(f)) if !(f > 0.0 && f < 1.0) => {
                return Err(Error::param(
                    "min_frequency",
                    f,
                    "a fraction must be in (0, 1); use an integer for an absolute count",
                ))
            }
            _ => {}
        }
        if self.max_categories == Some(0) {
            return Err(Error::param(
                "max_categories",
                0,
                "must be at least 1 (it counts the infrequent column)",
            ));
        }
        Ok(())
    }

    /// scikit-learn's `_identify_infrequent`: the mask of infrequent categories.
    fn infrequent_mask(&self, counts: &[usize], n_samples: usize) -> Vec<bool> {
        let mut mask: Vec<bool> = match self.min_frequency {
            Some(MinFrequency::Count(m)) => counts.iter().map(|&c| (c as u64) < m).collect(),
            Some(MinFrequency::Fraction(f)) => {
                let min = n_samples as f64 * f;
                counts.iter().map(|&c| (c as f64) < min).collect()
            }
            None => vec![false; counts.len()],
        };
        if let Some(max) = self.max_categories {
            let n_infrequent = mask.iter().filter(|&&m| m).count();
            let n_current = counts.len() - n_infrequent + 1;
            if max < n_current {
                let n_frequent = max - 1;
                if n_frequent == 0 {
                    mask.iter_mut().for_each(|m| *m = true);
                } else {
                    // Stable sort by count: among ties the earlier category is "smaller".
                    let mut order: Vec<usize> = (0..counts.len()).collect();
                    order.sort_by_key(|&i| counts.get(i).copied().unwrap_or(0));
                    let n_smallest = counts.len().saturating_sub(n_frequent);
                    for &i in order.iter().take(n_smallest) {
                        if let Some(m) = mask.get_mut(i) {
                            *m = true;
                        }
                    }
                }
            }
        }
        mask
    }
}

/// The fitted state of one column of a [`FittedOneHotEncoder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneHotColumn {
    /// The input column.
    pub name: String,
    /// The categories seen at fit time (sorted, missing excluded).
    pub categories: Categories,
    /// Whether nulls were seen at fit time (the `nan` category, after `categories`).
    pub has_null: bool,
    /// The output column of each category (then of the missing category, if any);
    /// `None` for a dropped one (encoded as all zeros).
    pub slots: Vec<Option<usize>>,
    /// The output column of the infrequent category, if there is one and it is not dropped.
    pub infrequent_slot: Option<usize>,
    /// Whether the column has an infrequent category (even if dropped).
    pub has_infrequent: bool,
    /// The category label of each output column (the feature name is `<name>_<label>`).
    pub outputs: Vec<String>,
    /// The hash index of `categories` (a cache: `CategoryIndex::default()`).
    #[serde(skip)]
    pub index: CategoryIndex,
}

impl OneHotColumn {
    fn feature_names(&self) -> Vec<String> {
        self.outputs
            .iter()
            .map(|l| format!("{}_{}", self.name, l))
            .collect()
    }

    fn fields(&self) -> Vec<Field> {
        self.feature_names()
            .into_iter()
            .map(|n| Field::new(n, DataType::Float64, false))
            .collect()
    }

    /// The output column that is hot for `code`, or `None` for all zeros.
    fn slot(&self, code: Code, handle_unknown: OneHotUnknown) -> Result<Option<usize>> {
        match code {
            Code::Known(k) => Ok(self.slots.get(k).copied().flatten()),
            Code::Unknown(value) => match handle_unknown {
                OneHotUnknown::Error => Err(Error::UnknownCategory {
                    column: self.name.clone(),
                    value,
                }),
                OneHotUnknown::Ignore => Ok(None),
                OneHotUnknown::InfrequentIfExist => Ok(self.infrequent_slot),
            },
        }
    }
}

/// A fitted [`OneHotEncoder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedOneHotEncoder {
    /// The encoded columns, in fit order.
    pub columns: Vec<OneHotColumn>,
    /// What to do with a category not seen at fit time.
    pub handle_unknown: OneHotUnknown,
}

impl FittedOneHotEncoder {
    /// The position of `c` in `table` and, for each row, the output column that is hot
    /// ([`NO_CODE`] for none).
    fn codes(&self, c: &OneHotColumn, table: &RecordBatch) -> Result<(usize, Vec<u32>)> {
        let i = check_categorical(table.schema_ref(), &c.name, &c.categories)?;
        if c.outputs.len() >= NO_CODE as usize {
            return Err(Error::InvalidData(format!(
                "column `{}` has {} one-hot outputs, more than the encoder supports",
                c.name,
                c.outputs.len()
            )));
        }
        let values = CatValues::read(&c.name, table.column(i))?;
        let lookup = c.categories.lookup(&c.index);
        let mut codes = Vec::with_capacity(values.len());
        for row in 0..values.len() {
            let code = lookup.code_at(&values, row, c.has_null);
            let slot = c.slot(code, self.handle_unknown)?;
            codes.push(match slot {
                Some(s) if s < c.outputs.len() => s as u32,
                Some(s) => {
                    return Err(Error::InvalidData(format!(
                        "corrupt one-hot encoder: column `{}` maps to output {s} of {}",
                        c.name,
                        c.outputs.len()
                    )))
                }
                None => NO_CODE,
            });
        }
        Ok((i, codes))
    }
}

#[typetag::serde(name = "one_hot_encoder")]
impl FeatureTransform for OneHotEncoder {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        self.validate()?;
        let names = self.columns.resolve(table.schema_ref())?;
        check_distinct(&names, "OneHotEncoder")?;
        let infrequent_enabled = self.min_frequency.is_some() || self.max_categories.is_some();
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            let fit = fit_categories(table, &name, "OneHotEncoder")?;
            let mut labels = fit.categories.labels();
            if fit.has_null {
                labels.push(NULL_CATEGORY.to_string());
            }
            let mask = if infrequent_enabled {
                self.infrequent_mask(&fit.counts, table.num_rows())
            } else {
                vec![false; fit.counts.len()]
            };
            // Group: frequent categories keep their order, the infrequent ones go last.
            let n_frequent = mask.iter().filter(|&&m| !m).count();
            let has_infrequent = n_frequent < mask.len();
            let mut grouped = Vec::with_capacity(mask.len());
            let mut group_labels = Vec::with_capacity(n_frequent + 1);
            let mut next = 0;
            for (&infrequent, label) in mask.iter().zip(labels) {
                if infrequent {
                    grouped.push(n_frequent);
                } else {
                    grouped.push(next);
                    group_labels.push(label);
                    next += 1;
                }
            }
            if has_infrequent {
                group_labels.push(INFREQUENT_CATEGORY.to_string());
            }
            let drop_idx = match self.drop {
                None => None,
                Some(DropCategory::First) => Some(0),
                Some(DropCategory::IfBinary) => (group_labels.len() == 2).then_some(0),
            };
            let to_slot = |g: usize| match drop_idx {
                Some(d) if g == d => None,
                Some(d) if g > d => Some(g - 1),
                _ => Some(g),
            };
            let outputs = group_labels
                .into_iter()
                .enumerate()
                .filter(|(g, _)| Some(*g) != drop_idx)
                .map(|(_, l)| l)
                .collect();
            columns.push(OneHotColumn {
                name,
                categories: fit.categories,
                has_null: fit.has_null,
                slots: grouped.into_iter().map(to_slot).collect(),
                infrequent_slot: if has_infrequent { to_slot(n_frequent) } else { None },
                has_infrequent,
                outputs,
                index: CategoryIndex::default(),
            });
        }
        Ok(Box::new(FittedOneHotEncoder {
            columns,
            handle_unknown: self.handle_unknown,
        }))
    }
}

#[typetag::serde(name = "one_hot_encoder")]
impl FittedTransform for FittedOneHotEncoder {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let mut replacements = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let i = check_categorical(input, &c.name, &c.categories)?;
            replacements.push((i, c.fields()));
        }
        Ok(splice_fields(input, replacements))
    }

    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let n = table.num_rows();
        let mut replacements = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let (i, codes) = self.codes(c, table)?;
            let mut out = vec![vec![0.0; n]; c.outputs.len()];
            for (row, &code) in codes.iter().enumerate() {
                if let Some(cell) = out.get_mut(code as usize).and_then(|col| col.get_mut(row)) {
                    *cell = 1.0;
                }
            }
            let new = c
                .fields()
                .into_iter()
                .zip(out)
                .map(|(f, v)| (f, Arc::new(Float64Array::from(v)) as ArrayRef))
                .collect();
            replacements.push((i, new));
        }
        splice_columns(table, replacements)
    }

    fn sparse_transform(&self, table: &RecordBatch) -> Result<Option<SparseOutput>> {
        let mut encoded = Vec::with_capacity(self.columns.len());
        let mut blocks = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let (i, codes) = self.codes(c, table)?;
            encoded.push(i);
            blocks.push(OneHotCodes {
                names: c.feature_names(),
                codes,
            });
        }
        let keep: Vec<usize> = (0..table.num_columns())
            .filter(|i| !encoded.contains(i))
            .collect();
        Ok(Some(SparseOutput {
            dense: table.project(&keep)?,
            blocks,
        }))
    }

    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let mut at = vec![None; input.fields().len()];
        for (j, c) in self.columns.iter().enumerate() {
            let i = check_categorical(input, &c.name, &c.categories)?;
            if let Some(slot) = at.get_mut(i) {
                *slot = Some(j);
            }
        }
        Ok(Some(Box::new(OneHotRow {
            inner: self.clone(),
            at,
        })))
    }
}

/// The single-row form of a [`FittedOneHotEncoder`].
#[derive(Debug)]
struct OneHotRow {
    inner: FittedOneHotEncoder,
    /// For each input position, the encoded column there, if any.
    at: Vec<Option<usize>>,
}

impl RowTransform for OneHotRow {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        if row.len() != self.at.len() {
            return Err(Error::InvalidData(format!(
                "row has {} values but the schema has {} columns",
                row.len(),
                self.at.len()
            )));
        }
        let extra: usize = self.inner.columns.iter().map(|c| c.outputs.len()).sum();
        let mut out = Vec::with_capacity(row.len() + extra);
        for (value, at) in row.drain(..).zip(&self.at) {
            match at.and_then(|j| self.inner.columns.get(j)) {
                Some(c) => {
                    let code = c
                        .categories
                        .lookup(&c.index)
                        .code_of(&c.name, &value, c.has_null)?;
                    let hot = c.slot(code, self.inner.handle_unknown)?;
                    out.extend(
                        (0..c.outputs.len()).map(|k| Value::Float(if hot == Some(k) { 1.0 } else { 0.0 })),
                    );
                }
                None => out.push(value),
            }
        }
        *row = out;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::data::table::{batch_from_row, row_from_batch};
    use arrow::array::{BooleanArray, Int32Array, StringArray, UInt64Array};
    use arrow::datatypes::Float64Type;

    pub(crate) fn table(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols).unwrap()
    }

    pub(crate) fn strings(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    pub(crate) fn floats(t: &RecordBatch) -> Vec<Vec<f64>> {
        (0..t.num_rows())
            .map(|r| {
                t.columns()
                    .iter()
                    .map(|c| {
                        let f = cast_with_options(c, &DataType::Float64, &CastOptions::default()).unwrap();
                        let f = f.as_primitive::<Float64Type>();
                        if f.is_null(r) {
                            f64::NAN
                        } else {
                            f.value(r)
                        }
                    })
                    .collect()
            })
            .collect()
    }

    fn ints(t: &RecordBatch) -> Vec<Vec<i64>> {
        floats(t)
            .into_iter()
            .map(|r| r.into_iter().map(|x| x as i64).collect())
            .collect()
    }

    /// Every row through the row fast path equals the batch result.
    pub(crate) fn assert_rows_match(fitted: &dyn FittedTransform, input: &RecordBatch) {
        let batch = fitted.transform(input).unwrap();
        let schema = input.schema();
        let out_schema = Arc::new(fitted.output_schema(&schema).unwrap());
        assert_eq!(batch.schema().fields(), out_schema.fields());
        let rt = fitted.row_transform(&schema).unwrap().unwrap();
        for r in 0..input.num_rows() {
            let mut row = row_from_batch(&input.slice(r, 1)).unwrap();
            rt.apply(&mut row).unwrap();
            let expected = row_from_batch(&batch.slice(r, 1)).unwrap();
            assert_eq!(row.len(), expected.len());
            for (a, b) in row.iter().zip(&expected) {
                match (a, b) {
                    (Value::Float(x), Value::Float(y)) if x.is_nan() => assert!(y.is_nan()),
                    _ => assert_eq!(a, b),
                }
            }
            // The row converts back to a batch of the output schema.
            batch_from_row(&out_schema, &row).unwrap();
        }
    }

    /// Serialize through `Box<dyn FittedTransform>` and back.
    pub(crate) fn round_trip(fitted: &dyn FittedTransform) -> Box<dyn FittedTransform> {
        let json = serde_json::to_string(fitted).unwrap();
        serde_json::from_str(&json).unwrap()
    }

    /// (encoder, expected feature names, expected output) from scikit-learn.
    type Case = (OneHotEncoder, Vec<&'static str>, Vec<Vec<i64>>);

    fn letters(s: &str) -> ArrayRef {
        let v: Vec<String> = s.chars().map(String::from).collect();
        Arc::new(StringArray::from(v))
    }

    fn x_table(s: &str) -> RecordBatch {
        table(vec![("x", letters(s))])
    }

    fn names(f: &dyn FittedTransform, t: &RecordBatch) -> Vec<String> {
        f.feature_names_out(&t.schema()).unwrap()
    }

    fn city() -> RecordBatch {
        table(vec![
            (
                "id",
                Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5, 6, 7])) as ArrayRef,
            ),
            (
                "city",
                strings(&[
                    Some("b"),
                    Some("a"),
                    Some("c"),
                    Some("a"),
                    None,
                    Some("b"),
                    Some("a"),
                ]),
            ),
        ])
    }

    fn city_test() -> RecordBatch {
        table(vec![
            ("id", Arc::new(Int32Array::from(vec![1, 2, 3, 4])) as ArrayRef),
            ("city", strings(&[Some("a"), Some("z"), None, Some("c")])),
        ])
    }

    #[test]
    fn many_categories_go_through_the_hash_index_on_both_paths() {
        let labels: Vec<String> = (0..12).map(|k| format!("v{k}")).collect();
        let values: Vec<Option<&str>> = (0..40)
            .map(|i| {
                if i % 9 == 0 {
                    None
                } else {
                    Some(labels[i % 12].as_str())
                }
            })
            .collect();
        let t = table(vec![("c", strings(&values))]);
        let encoder = OneHotEncoder::new(["c"]).handle_unknown(OneHotUnknown::Ignore);
        let fitted = encoder.fit(&t).unwrap();
        let apply = table(vec![("c", strings(&[Some("v3"), Some("zz"), None, Some("v11")]))]);
        let batch = floats(&fitted.transform(&apply).unwrap());
        let row_form = fitted.row_transform(&apply.schema()).unwrap().unwrap();
        for (r, v) in [
            Value::Str("v3".into()),
            Value::Str("zz".into()),
            Value::Null,
            Value::Str("v11".into()),
        ]
        .into_iter()
        .enumerate()
        {
            let mut row = vec![v];
            row_form.apply(&mut row).unwrap();
            let got: Vec<f64> = row.iter().map(|v| v.as_f64().unwrap()).collect();
            assert_eq!(got, batch[r], "row {r}");
        }
        // The unknown value is all zeros; v3 hot in its own column.
        assert_eq!(batch[1].iter().sum::<f64>(), 0.0);
        assert_eq!(batch[0].iter().sum::<f64>(), 1.0);
        // The cache is not state: a used encoder equals a fresh copy and serializes the same.
        let fresh: Box<dyn FittedTransform> =
            serde_json::from_str(&serde_json::to_string(&fitted).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_string(&fresh).unwrap(),
            serde_json::to_string(&fitted).unwrap()
        );
        assert_eq!(floats(&fresh.transform(&apply).unwrap()), batch);
    }

    #[test]
    fn basic_with_nulls_and_unknown_modes() {
        // reference: sklearn 1.9.1 OneHotEncoder(sparse_output=False) on an object column
        // ["b","a","c","a",nan,"b","a"] -> ['city_a','city_b','city_c','city_nan']
        let t = city();
        let f = OneHotEncoder::new(["city"]).fit(&t).unwrap();
        assert_eq!(names(&*f, &t), ["id", "city_a", "city_b", "city_c", "city_nan"]);
        let out = f.transform(&t).unwrap();
        assert_eq!(out.schema().field(1).data_type(), &DataType::Float64);
        assert_eq!(ints(&out)[4], [5, 0, 0, 0, 1]);
        assert_eq!(ints(&out)[0], [1, 0, 1, 0, 0]);
        assert_rows_match(&*f, &t);
        // handle_unknown="error": 'z' is unknown.
        match f.transform(&city_test()) {
            Err(Error::UnknownCategory { column, value }) => {
                assert_eq!((column.as_str(), value.as_str()), ("city", "z"))
            }
            other => panic!("expected UnknownCategory, got {other:?}"),
        }
        let rt = f.row_transform(&city_test().schema()).unwrap().unwrap();
        let mut row = vec![Value::Int(1), Value::from("z")];
        assert!(matches!(rt.apply(&mut row), Err(Error::UnknownCategory { .. })));

        // reference: sklearn 1.9.1 OneHotEncoder(handle_unknown="ignore") on ["a","z",nan,"c"]
        let f = OneHotEncoder::new(["city"])
            .handle_unknown(OneHotUnknown::Ignore)
            .fit(&t)
            .unwrap();
        let got: Vec<Vec<i64>> = ints(&f.transform(&city_test()).unwrap())
            .into_iter()
            .map(|r| r[1..].to_vec())
            .collect();
        assert_eq!(got, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]);
        assert_rows_match(&*f, &city_test());
        // infrequent_if_exist without an infrequent column: zeros.
        let f2 = OneHotEncoder::new(["city"])
            .handle_unknown(OneHotUnknown::InfrequentIfExist)
            .fit(&t)
            .unwrap();
        assert_eq!(
            f2.transform(&city_test()).unwrap(),
            f.transform(&city_test()).unwrap()
        );

        // reference: sklearn 1.9.1 OneHotEncoder(handle_unknown="ignore", drop="first")
        let f = OneHotEncoder::new(["city"])
            .handle_unknown(OneHotUnknown::Ignore)
            .drop(Some(DropCategory::First))
            .fit(&t)
            .unwrap();
        assert_eq!(names(&*f, &t), ["id", "city_b", "city_c", "city_nan"]);
        let got: Vec<Vec<i64>> = ints(&f.transform(&city_test()).unwrap())
            .into_iter()
            .map(|r| r[1..].to_vec())
            .collect();
        assert_eq!(got, [[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 1, 0]]);
        assert_rows_match(&*f, &city_test());
    }

    #[test]
    fn null_unseen_at_fit_is_unknown() {
        // reference: sklearn 1.9.1 raises "Found unknown categories [nan]".
        let t = table(vec![("city", strings(&[Some("a"), Some("b")]))]);
        let f = OneHotEncoder::new(["city"]).fit(&t).unwrap();
        let t2 = table(vec![("city", strings(&[None]))]);
        assert!(matches!(f.transform(&t2), Err(Error::UnknownCategory { .. })));
        // A literal "nan" string is not the null category.
        let t3 = table(vec![("city", strings(&[Some("nan"), None]))]);
        let f = OneHotEncoder::new(["city"]).fit(&t3).unwrap();
        assert_eq!(names(&*f, &t3), ["city_nan", "city_nan"]);
        assert_eq!(ints(&f.transform(&t3).unwrap()), [[1, 0], [0, 1]]);
    }

    /// (params, feature names, transform of "abcdez") from scikit-learn.
    #[test]
    fn infrequent_matches_sklearn() {
        // reference: sklearn 1.9.1 OneHotEncoder(sparse_output=False, handle_unknown=..., ...)
        // fitted on list("aaaaabbbcccdee"), transform of list("abcdez").
        let fit = x_table("aaaaabbbcccdee");
        let test = x_table("abcdez");
        let iie = || OneHotEncoder::new(["x"]).handle_unknown(OneHotUnknown::InfrequentIfExist);
        let cases: Vec<Case> = vec![
            (
                iie().min_frequency(2u64),
                vec!["x_a", "x_b", "x_c", "x_e", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0, 0, 0],
                    vec![0, 1, 0, 0, 0],
                    vec![0, 0, 1, 0, 0],
                    vec![0, 0, 0, 0, 1],
                    vec![0, 0, 0, 1, 0],
                    vec![0, 0, 0, 0, 1],
                ],
            ),
            (
                iie().min_frequency(3u64),
                vec!["x_a", "x_b", "x_c", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0, 0],
                    vec![0, 1, 0, 0],
                    vec![0, 0, 1, 0],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                ],
            ),
            (
                // tie between b and c (3 each): b, earlier in sorted order, is grouped.
                iie().max_categories(3),
                vec!["x_a", "x_c", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0],
                    vec![0, 0, 1],
                    vec![0, 1, 0],
                    vec![0, 0, 1],
                    vec![0, 0, 1],
                    vec![0, 0, 1],
                ],
            ),
            (
                iie().max_categories(2),
                vec!["x_a", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                ],
            ),
            (
                iie().max_categories(1),
                vec!["x_infrequent_sklearn"],
                vec![vec![1]; 6],
            ),
            (
                iie().min_frequency(0.2),
                vec!["x_a", "x_b", "x_c", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0, 0],
                    vec![0, 1, 0, 0],
                    vec![0, 0, 1, 0],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                ],
            ),
            (
                iie().max_categories(4),
                vec!["x_a", "x_b", "x_c", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0, 0],
                    vec![0, 1, 0, 0],
                    vec![0, 0, 1, 0],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                ],
            ),
            (
                // 5 categories + 1 > 5: the rarest (d) is grouped alone.
                iie().max_categories(5),
                vec!["x_a", "x_b", "x_c", "x_e", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0, 0, 0],
                    vec![0, 1, 0, 0, 0],
                    vec![0, 0, 1, 0, 0],
                    vec![0, 0, 0, 0, 1],
                    vec![0, 0, 0, 1, 0],
                    vec![0, 0, 0, 0, 1],
                ],
            ),
            (
                iie().min_frequency(4u64).max_categories(3),
                vec!["x_a", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                ],
            ),
            (
                iie().max_categories(3).drop(Some(DropCategory::First)),
                vec!["x_c", "x_infrequent_sklearn"],
                vec![
                    vec![0, 0],
                    vec![0, 1],
                    vec![1, 0],
                    vec![0, 1],
                    vec![0, 1],
                    vec![0, 1],
                ],
            ),
            (
                iie().max_categories(2).drop(Some(DropCategory::IfBinary)),
                vec!["x_infrequent_sklearn"],
                vec![vec![0], vec![1], vec![1], vec![1], vec![1], vec![1]],
            ),
            (
                // "ignore" still groups infrequent categories; the unknown 'z' is all zeros.
                OneHotEncoder::new(["x"])
                    .handle_unknown(OneHotUnknown::Ignore)
                    .min_frequency(3u64),
                vec!["x_a", "x_b", "x_c", "x_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0, 0],
                    vec![0, 1, 0, 0],
                    vec![0, 0, 1, 0],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 1],
                    vec![0, 0, 0, 0],
                ],
            ),
        ];
        for (enc, want_names, want) in cases {
            let f = enc.fit(&fit).unwrap();
            assert_eq!(names(&*f, &test), want_names, "{enc:?}");
            assert_eq!(ints(&f.transform(&test).unwrap()), want, "{enc:?}");
            assert_rows_match(&*f, &test);
            let back = round_trip(&*f);
            assert_eq!(back.transform(&test).unwrap(), f.transform(&test).unwrap());
        }
        // handle_unknown="error" with infrequent grouping still rejects 'z'.
        let f = OneHotEncoder::new(["x"]).min_frequency(3u64).fit(&fit).unwrap();
        assert!(matches!(f.transform(&test), Err(Error::UnknownCategory { .. })));
        assert_eq!(ints(&f.transform(&x_table("d")).unwrap()), [[0, 0, 0, 1]]);
    }

    #[test]
    fn infrequent_with_nulls() {
        // reference: sklearn 1.9.1, fit on ["a","a","a",nan,"b","b","c"], transform
        // ["a",nan,"b","c","q"]; nan counts like any category.
        let fit = table(vec![(
            "y",
            strings(&[
                Some("a"),
                Some("a"),
                Some("a"),
                None,
                Some("b"),
                Some("b"),
                Some("c"),
            ]),
        )]);
        let test = table(vec![(
            "y",
            strings(&[Some("a"), None, Some("b"), Some("c"), Some("q")]),
        )]);
        let iie = || OneHotEncoder::new(["y"]).handle_unknown(OneHotUnknown::InfrequentIfExist);
        let cases: Vec<Case> = vec![
            (
                iie().min_frequency(2u64),
                vec!["y_a", "y_b", "y_infrequent_sklearn"],
                vec![
                    vec![1, 0, 0],
                    vec![0, 0, 1],
                    vec![0, 1, 0],
                    vec![0, 0, 1],
                    vec![0, 0, 1],
                ],
            ),
            (
                iie().max_categories(2),
                vec!["y_a", "y_infrequent_sklearn"],
                vec![vec![1, 0], vec![0, 1], vec![0, 1], vec![0, 1], vec![0, 1]],
            ),
            (
                iie().min_frequency(2u64).drop(Some(DropCategory::First)),
                vec!["y_b", "y_infrequent_sklearn"],
                vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![0, 1], vec![0, 1]],
            ),
        ];
        for (enc, want_names, want) in cases {
            let f = enc.fit(&fit).unwrap();
            assert_eq!(names(&*f, &test), want_names);
            assert_eq!(ints(&f.transform(&test).unwrap()), want);
            assert_rows_match(&*f, &test);
        }
    }

    #[test]
    fn drop_if_binary_and_first() {
        // reference: sklearn 1.9.1 OneHotEncoder(drop="if_binary") on b=["yes","no","yes"],
        // c=["u","v","w"] -> ['b_yes','c_u','c_v','c_w'], [[1,1,0,0],[0,0,1,0],[1,0,0,1]]
        let t = table(vec![
            ("b", strings(&[Some("yes"), Some("no"), Some("yes")])),
            ("c", strings(&[Some("u"), Some("v"), Some("w")])),
        ]);
        let f = OneHotEncoder::default()
            .drop(Some(DropCategory::IfBinary))
            .fit(&t)
            .unwrap();
        assert_eq!(names(&*f, &t), ["b_yes", "c_u", "c_v", "c_w"]);
        assert_eq!(
            ints(&f.transform(&t).unwrap()),
            [[1, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]]
        );
        assert_rows_match(&*f, &t);
        // reference: drop="first" -> ['b_yes','c_v','c_w'], [[1,0,0],[0,1,0],[1,0,1]]
        let f = OneHotEncoder::default()
            .drop(Some(DropCategory::First))
            .fit(&t)
            .unwrap();
        assert_eq!(names(&*f, &t), ["b_yes", "c_v", "c_w"]);
        assert_eq!(ints(&f.transform(&t).unwrap()), [[1, 0, 0], [0, 1, 0], [1, 0, 1]]);
        assert_rows_match(&*f, &t);
    }

    #[test]
    fn integer_boolean_and_unicode_columns() {
        // reference: sklearn 1.9.1 on n=[10,2,-1,2,10,100] -> ['n_-1','n_2','n_10','n_100'];
        // handle_unknown="ignore", transform [2,5,100] -> [[0,1,0,0],[0,0,0,0],[0,0,0,1]]
        let t = table(vec![(
            "n",
            Arc::new(Int32Array::from(vec![10, 2, -1, 2, 10, 100])) as ArrayRef,
        )]);
        let f = OneHotEncoder::new(["n"])
            .handle_unknown(OneHotUnknown::Ignore)
            .fit(&t)
            .unwrap();
        assert_eq!(names(&*f, &t), ["n_-1", "n_2", "n_10", "n_100"]);
        let t2 = table(vec![(
            "n",
            Arc::new(Int32Array::from(vec![2, 5, 100])) as ArrayRef,
        )]);
        assert_eq!(
            ints(&f.transform(&t2).unwrap()),
            [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
        );
        assert_rows_match(&*f, &t2);
        // A row value given as an integral float is the same integer.
        let rt = f.row_transform(&t2.schema()).unwrap().unwrap();
        let mut row = vec![Value::Float(10.0)];
        rt.apply(&mut row).unwrap();
        assert_eq!(row, [0.0, 0.0, 1.0, 0.0].map(Value::Float));
        // A string column at transform is the wrong type.
        let t3 = table(vec![("n", strings(&[Some("2")]))]);
        assert!(matches!(f.transform(&t3), Err(Error::ColumnType { .. })));
        assert!(matches!(
            f.output_schema(&t3.schema()),
            Err(Error::ColumnType { .. })
        ));
        // u64 beyond i64 is an error, not a silent null.
        let big = table(vec![(
            "n",
            Arc::new(UInt64Array::from(vec![u64::MAX])) as ArrayRef,
        )]);
        assert!(OneHotEncoder::new(["n"]).fit(&big).is_err());

        // reference: sklearn 1.9.1 on a bool column [True, False, True] -> ['f_False','f_True']
        let t = table(vec![(
            "f",
            Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef,
        )]);
        let f = OneHotEncoder::new(["f"]).fit(&t).unwrap();
        assert_eq!(names(&*f, &t), ["f_False", "f_True"]);
        assert_eq!(ints(&f.transform(&t).unwrap()), [[0, 1], [1, 0], [0, 1]]);
        assert_rows_match(&*f, &t);

        // reference: sklearn 1.9.1 on ["é","z","A","a","Z","ab",""] ->
        // ['u_','u_A','u_Z','u_a','u_ab','u_z','u_é'] (code point order)
        let t = table(vec![(
            "u",
            strings(&[
                Some("é"),
                Some("z"),
                Some("A"),
                Some("a"),
                Some("Z"),
                Some("ab"),
                Some(""),
            ]),
        )]);
        let f = OneHotEncoder::new(["u"]).fit(&t).unwrap();
        assert_eq!(names(&*f, &t), ["u_", "u_A", "u_Z", "u_a", "u_ab", "u_z", "u_é"]);
        assert_eq!(ints(&f.transform(&t).unwrap())[0], [0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn errors_and_schema() {
        let empty = table(vec![("city", strings(&[]))]);
        assert!(matches!(
            OneHotEncoder::new(["city"]).fit(&empty),
            Err(Error::EmptyInput { .. })
        ));
        let t = table(vec![(
            "x",
            Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef,
        )]);
        assert!(matches!(
            OneHotEncoder::new(["x"]).fit(&t),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(
            OneHotEncoder::new(["nope"]).fit(&t),
            Err(Error::ColumnNotFound { .. })
        ));
        let t = city();
        for bad in [
            OneHotEncoder::new(["city"]).max_categories(0),
            OneHotEncoder::new(["city"]).min_frequency(0u64),
            OneHotEncoder::new(["city"]).min_frequency(1.0),
            OneHotEncoder::new(["city", "city"]),
        ] {
            assert!(
                matches!(bad.fit(&t), Err(Error::InvalidParameter { .. })),
                "{bad:?}"
            );
        }
        // Output schema: in place, Float64, not null; checked before rows.
        let f = OneHotEncoder::new(["city"]).fit(&t).unwrap();
        let s = f.output_schema(&t.schema()).unwrap();
        assert_eq!(s.field(0).name(), "id");
        assert!(s.fields()[1..]
            .iter()
            .all(|f| f.data_type() == &DataType::Float64));
        let no_city = table(vec![("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef)]);
        assert!(matches!(
            f.output_schema(&no_city.schema()),
            Err(Error::ColumnNotFound { .. })
        ));
        assert!(matches!(
            f.row_transform(&no_city.schema()),
            Err(Error::ColumnNotFound { .. })
        ));
    }

    #[test]
    fn serde_round_trip_and_json_form() {
        let enc = OneHotEncoder::new(["city"])
            .handle_unknown(OneHotUnknown::InfrequentIfExist)
            .drop(Some(DropCategory::IfBinary))
            .min_frequency(2u64)
            .max_categories(3);
        let json = serde_json::to_value(&enc).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "columns": {"names": ["city"]},
                "handle_unknown": "infrequent_if_exist",
                "drop": "if_binary",
                "min_frequency": 2,
                "max_categories": 3
            })
        );
        let params: Box<dyn FeatureTransform> = Box::new(enc.clone());
        let s = serde_json::to_string(&params).unwrap();
        assert!(s.contains("\"type\":\"one_hot_encoder\""));
        let _: Box<dyn FeatureTransform> = serde_json::from_str(&s).unwrap();
        let d: OneHotEncoder = serde_json::from_str("{}").unwrap();
        assert_eq!(d, OneHotEncoder::default());
        let frac: OneHotEncoder = serde_json::from_str(r#"{"min_frequency": 0.25}"#).unwrap();
        assert_eq!(frac.min_frequency, Some(MinFrequency::Fraction(0.25)));

        let t = city();
        let f = enc.fit(&t).unwrap();
        let back = round_trip(&*f);
        assert_eq!(
            back.transform(&city_test()).unwrap(),
            f.transform(&city_test()).unwrap()
        );
        assert_rows_match(&*back, &city_test());
    }
}
