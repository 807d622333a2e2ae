//! Missing-value imputation (scikit-learn's `SimpleImputer`).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::columnwise::check_numeric;
use super::scale::{median, sorted};
use super::{Columns, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{
    as_f64_array, column, index_of, is_string, splice_columns, splice_fields, str_values, StrColumn,
};
use crate::data::Value;
use crate::error::{Error, Result};

/// How [`SimpleImputer`] computes the fill value of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    /// The mean of the non-missing values.
    #[default]
    Mean,
    /// The median of the non-missing values (mean of the two middle ones for an even count).
    Median,
    /// The most frequent non-missing value; ties go to the smallest value.
    MostFrequent,
    /// [`SimpleImputer::fill_value`].
    Constant,
}

/// Fill missing values (null and NaN) of numeric columns, and nulls of string columns,
/// as scikit-learn's `SimpleImputer(missing_values=np.nan)`.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to impute |
/// | `strategy` | `mean` | `mean`, `median`, `most_frequent` or `constant` |
/// | `fill_value` | `0.0` | the fill value of the `constant` strategy for numeric columns (finite) |
/// | `fill_text` | `"missing_value"` | the fill value of the `constant` strategy for string columns (scikit-learn's default) |
/// | `add_indicator` | `false` | add a `Float64` 0/1 column `missingindicator_<col>` after each column that had missing values at fit |
///
/// Differences from scikit-learn, all deliberate:
/// - a column with no non-missing value at fit is an [`Error::EmptyInput`] (scikit-learn
///   drops it with a warning), except with the `constant` strategy;
/// - indicator columns are placed right after their column rather than all at the end
///   (their set is scikit-learn's `features="missing-only"`: columns missing at fit);
/// - infinities at fit are an [`Error::InvalidValue`]; at transform they pass through.
///
/// Numeric (and boolean) columns become non-nullable `Float64`. String columns (select
/// them explicitly or with `Columns::AllString`; the default is all numeric) take the
/// `most_frequent` (ties to the smallest string, as scikit-learn) or `constant`
/// strategy and become non-nullable `Utf8`; `mean` / `median` on a string column is an
/// [`Error::ColumnType`].
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{Float64Array, AsArray};
/// # use ferrops::features::{SimpleImputer, FeatureTransform};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![Some(1.0), None, Some(4.0)])) as _),
/// ])?;
/// let fitted = SimpleImputer::median(["x"]).fit(&t)?;
/// let out = fitted.transform(&t)?;
/// let x = out.column(0).as_primitive::<arrow::datatypes::Float64Type>();
/// assert_eq!(x.value(1), 2.5);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimpleImputer {
    /// Columns to impute.
    pub columns: Columns,
    /// How to compute the fill value.
    pub strategy: ImputeStrategy,
    /// The fill value of [`ImputeStrategy::Constant`] for numeric columns.
    pub fill_value: f64,
    /// The fill value of [`ImputeStrategy::Constant`] for string columns.
    pub fill_text: String,
    /// Add missing-indicator columns.
    pub add_indicator: bool,
}

impl Default for SimpleImputer {
    fn default() -> Self {
        SimpleImputer {
            columns: Columns::AllNumeric,
            strategy: ImputeStrategy::Mean,
            fill_value: 0.0,
            fill_text: "missing_value".to_string(),
            add_indicator: false,
        }
    }
}

impl SimpleImputer {
    /// Impute `columns` with `strategy`.
    pub fn new(columns: impl Into<Columns>, strategy: ImputeStrategy) -> Self {
        SimpleImputer {
            columns: columns.into(),
            strategy,
            ..Default::default()
        }
    }
    /// Impute `columns` with their mean.
    pub fn mean(columns: impl Into<Columns>) -> Self {
        Self::new(columns, ImputeStrategy::Mean)
    }
    /// Impute `columns` with their median.
    pub fn median(columns: impl Into<Columns>) -> Self {
        Self::new(columns, ImputeStrategy::Median)
    }
    /// Impute `columns` with their most frequent value.
    pub fn most_frequent(columns: impl Into<Columns>) -> Self {
        Self::new(columns, ImputeStrategy::MostFrequent)
    }
    /// Impute `columns` with `value`.
    pub fn constant(columns: impl Into<Columns>, value: f64) -> Self {
        SimpleImputer {
            fill_value: value,
            ..Self::new(columns, ImputeStrategy::Constant)
        }
    }
    /// The same imputer, adding missing-indicator columns or not.
    pub fn with_indicator(mut self, add_indicator: bool) -> Self {
        self.add_indicator = add_indicator;
        self
    }
}

/// A fitted [`SimpleImputer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedSimpleImputer {
    /// The imputed columns.
    pub columns: Vec<String>,
    /// Per-column fill value (unused, 0, for a string column).
    pub statistics: Vec<f64>,
    /// Per-column: whether a `missingindicator_<col>` column follows it.
    pub indicator: Vec<bool>,
    /// Per-column fill text of a string column (`None` for a numeric one). Empty in
    /// artifacts written before string imputation existed: all numeric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<Option<String>>,
}

/// The name of the missing-indicator column of `column`.
pub fn missing_indicator_name(column: &str) -> String {
    format!("missingindicator_{column}")
}

/// The most frequent non-null string, ties to the smallest (scikit-learn's rule for
/// object columns); `None` if every value is null.
fn most_frequent_text(strings: &StrColumn<'_>) -> Option<String> {
    let mut counts: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    for i in 0..strings.len() {
        if let Some(v) = strings.get(i) {
            *counts.entry(v).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(v, _)| v.to_string())
}

fn most_frequent(values: &[f64]) -> f64 {
    // Sorted ascending, so the first run of the largest count is the smallest mode.
    let v = sorted(values);
    let (mut best, mut best_count) = (f64::NAN, 0usize);
    let mut i = 0;
    while let Some(&x) = v.get(i) {
        let run = v
            .get(i..)
            .map_or(0, |rest| rest.iter().take_while(|&&y| y == x).count());
        if run > best_count {
            best = x;
            best_count = run;
        }
        i += run.max(1);
    }
    best
}

#[typetag::serde(name = "simple_imputer")]
impl FeatureTransform for SimpleImputer {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        if self.strategy == ImputeStrategy::Constant && !self.fill_value.is_finite() {
            return Err(Error::param("fill_value", self.fill_value, "must be finite"));
        }
        let columns = self.columns.resolve(table.schema_ref())?;
        for name in &columns {
            let array = column(table, name)?;
            if is_string(array.data_type()) {
                if matches!(self.strategy, ImputeStrategy::Mean | ImputeStrategy::Median) {
                    return Err(Error::column_type(
                        name,
                        format!(
                            "a numeric column for strategy {:?} (impute string columns with \
                             most_frequent or constant)",
                            self.strategy
                        )
                        .to_lowercase(),
                        array.data_type(),
                    ));
                }
            } else {
                as_f64_array(name, array)?;
            }
        }
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "SimpleImputer cannot fit on a table with no rows".to_string(),
            });
        }
        let mut fitted = FittedSimpleImputer {
            columns: Vec::with_capacity(columns.len()),
            statistics: Vec::new(),
            indicator: Vec::new(),
            text: Vec::new(),
        };
        for name in columns {
            let array = column(table, &name)?;
            if is_string(array.data_type()) {
                let strings = str_values(&name, array)?;
                let fill = match self.strategy {
                    ImputeStrategy::Constant => self.fill_text.clone(),
                    _ => most_frequent_text(&strings).ok_or_else(|| Error::EmptyInput {
                        context: format!(
                            "column `{name}` has no non-missing value to fit SimpleImputer on; \
                             drop the column or use the constant strategy"
                        ),
                    })?,
                };
                let missing = array.null_count();
                fitted.statistics.push(0.0); // unused: JSON has no NaN
                fitted.text.push(Some(fill));
                fitted.indicator.push(self.add_indicator && missing > 0);
                fitted.columns.push(name);
                continue;
            }
            let floats = as_f64_array(&name, column(table, &name)?)?;
            let mut values = Vec::with_capacity(floats.len());
            let mut missing = 0usize;
            for (row, v) in floats.iter().enumerate() {
                match v {
                    Some(x) if x.is_infinite() => {
                        return Err(Error::InvalidValue {
                            column: name.clone(),
                            row,
                            value: x.to_string(),
                            hint: "SimpleImputer cannot fit on infinite values: replace or filter them first (Clip, Filter)".to_string(),
                        })
                    }
                    Some(x) if !x.is_nan() => values.push(x),
                    _ => missing += 1,
                }
            }
            let statistic = match self.strategy {
                ImputeStrategy::Constant => self.fill_value,
                _ if values.is_empty() => {
                    return Err(Error::EmptyInput {
                        context: format!(
                            "column `{name}` has no non-missing value to fit SimpleImputer on; \
                             drop the column or use the constant strategy"
                        ),
                    })
                }
                ImputeStrategy::Mean => values.iter().sum::<f64>() / values.len() as f64,
                ImputeStrategy::Median => median(&values),
                ImputeStrategy::MostFrequent => most_frequent(&values),
            };
            if !statistic.is_finite() {
                return Err(Error::InvalidData(format!(
                    "SimpleImputer: the {:?} of column `{name}` overflows to {statistic}",
                    self.strategy
                )));
            }
            fitted.statistics.push(statistic);
            fitted.text.push(None);
            fitted.indicator.push(self.add_indicator && missing > 0);
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl FittedSimpleImputer {
    /// The fill text of column `j` if it is a string column.
    fn text(&self, j: usize) -> Option<&str> {
        self.text.get(j).and_then(|t| t.as_deref())
    }

    /// Check column `j`'s type in `input` (numeric, or string for a string column).
    fn check_type(&self, j: usize, name: &str, input: &Schema) -> Result<usize> {
        let i = index_of(input, name)?;
        let dt = input.field(i).data_type();
        if self.text(j).is_some() {
            if !is_string(dt) {
                return Err(Error::column_type(
                    name,
                    "a string column (it was one at fit)",
                    dt,
                ));
            }
        } else {
            check_numeric(name, dt)?;
        }
        Ok(i)
    }

    fn fields(&self, j: usize, name: &str) -> Vec<Field> {
        let dt = if self.text(j).is_some() {
            DataType::Utf8
        } else {
            DataType::Float64
        };
        let mut fields = vec![Field::new(name, dt, false)];
        if self.indicator.get(j).copied().unwrap_or(false) {
            fields.push(Field::new(missing_indicator_name(name), DataType::Float64, false));
        }
        fields
    }

    fn statistic(&self, j: usize) -> f64 {
        self.statistics.get(j).copied().unwrap_or(f64::NAN)
    }
}

#[typetag::serde(name = "simple_imputer")]
impl FittedTransform for FittedSimpleImputer {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let mut replacements = Vec::with_capacity(self.columns.len());
        for (j, name) in self.columns.iter().enumerate() {
            let i = self.check_type(j, name, input)?;
            replacements.push((i, self.fields(j, name)));
        }
        Ok(splice_fields(input, replacements))
    }

    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let schema = table.schema();
        let mut replacements = Vec::with_capacity(self.columns.len());
        for (j, name) in self.columns.iter().enumerate() {
            let i = self.check_type(j, name, &schema)?;
            if let Some(fill) = self.text(j) {
                let strings = str_values(name, column(table, name)?)?;
                let mut flags = Vec::with_capacity(strings.len());
                let values: StringArray = (0..strings.len())
                    .map(|row| {
                        let v = strings.get(row);
                        flags.push(if v.is_some() { 0.0 } else { 1.0 });
                        Some(v.unwrap_or(fill))
                    })
                    .collect();
                let arrays: Vec<ArrayRef> = vec![Arc::new(values), Arc::new(Float64Array::from(flags))];
                let new_columns = self.fields(j, name).into_iter().zip(arrays).collect();
                replacements.push((i, new_columns));
                continue;
            }
            let floats = as_f64_array(name, column(table, name)?)?;
            let fill = self.statistic(j);
            let mut values = Vec::with_capacity(floats.len());
            let mut flags = Vec::with_capacity(floats.len());
            for v in floats.iter() {
                match v {
                    Some(x) if !x.is_nan() => {
                        values.push(x);
                        flags.push(0.0);
                    }
                    _ => {
                        values.push(fill);
                        flags.push(1.0);
                    }
                }
            }
            let mut arrays: Vec<ArrayRef> = vec![Arc::new(Float64Array::from(values))];
            arrays.push(Arc::new(Float64Array::from(flags)));
            let new_columns = self.fields(j, name).into_iter().zip(arrays).collect();
            replacements.push((i, new_columns));
        }
        splice_columns(table, replacements)
    }

    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let mut slots = Vec::with_capacity(self.columns.len());
        for (j, name) in self.columns.iter().enumerate() {
            let i = self.check_type(j, name, input)?;
            slots.push(RowSlot {
                index: i,
                name: name.clone(),
                fill: self.statistic(j),
                text: self.text(j).map(str::to_string),
                indicator: self.indicator.get(j).copied().unwrap_or(false),
            });
        }
        // Right to left, so inserting an indicator never shifts a slot still to do.
        slots.sort_by_key(|slot| std::cmp::Reverse(slot.index));
        Ok(Some(Box::new(ImputerRow { slots })))
    }
}

#[derive(Debug)]
struct RowSlot {
    index: usize,
    name: String,
    fill: f64,
    text: Option<String>,
    indicator: bool,
}

#[derive(Debug)]
struct ImputerRow {
    slots: Vec<RowSlot>,
}

impl RowTransform for ImputerRow {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        for slot in &self.slots {
            let Some(cell) = row.get_mut(slot.index) else {
                return Err(Error::InvalidData(format!(
                    "row has no value for column `{}`",
                    slot.name
                )));
            };
            if let Some(fill) = &slot.text {
                let flag = match &*cell {
                    Value::Null => {
                        *cell = Value::Str(fill.clone());
                        1.0
                    }
                    Value::Float(f) if f.is_nan() => {
                        *cell = Value::Str(fill.clone());
                        1.0
                    }
                    Value::Str(_) => 0.0,
                    other => {
                        return Err(Error::column_type(
                            &slot.name,
                            "a string value",
                            other.type_name(),
                        ))
                    }
                };
                if slot.indicator {
                    row.insert(slot.index + 1, Value::Float(flag));
                }
                continue;
            }
            let (value, flag) = match &*cell {
                Value::Null => (slot.fill, 1.0),
                other => match other.as_f64() {
                    Some(x) if x.is_nan() => (slot.fill, 1.0),
                    Some(x) => (x, 0.0),
                    None => {
                        return Err(Error::column_type(
                            &slot.name,
                            "a numeric value",
                            other.type_name(),
                        ))
                    }
                },
            };
            *cell = Value::Float(value);
            if slot.indicator {
                row.insert(slot.index + 1, Value::Float(flag));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::scale::testutil::*;
    use super::*;
    use arrow::array::Array;

    #[test]
    fn string_columns_take_the_mode_or_a_constant() {
        let strings = |v: &[Option<&str>]| Arc::new(arrow::array::StringArray::from(v.to_vec())) as ArrayRef;
        let t = table(vec![
            (
                "c",
                strings(&[Some("b"), None, Some("a"), Some("b"), Some("a"), None]),
            ),
            (
                "x",
                f64col(&[Some(1.0), None, Some(3.0), Some(1.0), Some(2.0), Some(2.0)]),
            ),
        ]);
        // "a" and "b" tie: the smallest wins, as scikit-learn.
        let fitted = SimpleImputer::most_frequent(Columns::All)
            .with_indicator(true)
            .fit(&t)
            .unwrap();
        let out = fitted.transform(&t).unwrap();
        let c = out
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            ["b", "a", "a", "b", "a", "a"].map(Some)
        );
        assert_eq!(out.schema().field(1).name(), "missingindicator_c");
        let names: Vec<String> = out.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["c", "missingindicator_c", "x", "missingindicator_x"]);
        // The single-row path agrees, nulls and NaN alike.
        let row_plan = fitted.row_transform(&t.schema()).unwrap().unwrap();
        let mut row = vec![Value::Null, Value::Null];
        row_plan.apply(&mut row).unwrap();
        assert_eq!(row[0], Value::Str("a".into()));
        assert_eq!(row[1], Value::Float(1.0));
        let mut row = vec![Value::Float(f64::NAN), Value::Float(5.0)];
        row_plan.apply(&mut row).unwrap();
        assert_eq!(row[0], Value::Str("a".into()));
        // Constant: scikit-learn's default text for strings.
        let constant = SimpleImputer::new(["c"], ImputeStrategy::Constant)
            .fit(&t)
            .unwrap();
        let out = constant.transform(&t).unwrap();
        let c = out
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(c.value(1), "missing_value");
        // Mean of a string column is a parameter error naming the column.
        let err = SimpleImputer::mean(["c"]).fit(&t).unwrap_err();
        assert!(
            matches!(err, Error::ColumnType { .. }) && err.to_string().contains("`c`"),
            "{err}"
        );
        // An all-null string column has no mode.
        let empty = table(vec![("c", strings(&[None, None]))]);
        assert!(matches!(
            SimpleImputer::most_frequent(["c"]).fit(&empty),
            Err(Error::EmptyInput { .. })
        ));
        // A numeric column where a string column was fitted is a schema error.
        let wrong = table(vec![("c", f64col(&[Some(1.0)])), ("x", f64col(&[Some(1.0)]))]);
        assert!(matches!(fitted.transform(&wrong), Err(Error::ColumnType { .. })));
        // Serde round trip keeps the texts; an artifact without them reads as numeric.
        let json = serde_json::to_string(&fitted).unwrap();
        assert!(json.contains(r#""text":["a",null]"#), "{json}");
        let back: Box<dyn FittedTransform> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.transform(&t).unwrap(), fitted.transform(&t).unwrap());
        let old = r#"{"type":"simple_imputer","columns":["x"],"statistics":[2.0],"indicator":[false]}"#;
        let old: Box<dyn FittedTransform> = serde_json::from_str(old).unwrap();
        let x = table(vec![("x", f64col(&[None]))]);
        assert_eq!(old.transform(&x).unwrap().num_columns(), 1);
    }

    const N: Option<f64> = None;
    const NAN: Option<f64> = Some(f64::NAN);

    fn fit_table() -> RecordBatch {
        table(vec![
            (
                "a",
                f64col(&[
                    Some(1.0),
                    N,
                    Some(3.0),
                    Some(3.0),
                    NAN,
                    Some(10.0),
                    Some(1.0),
                    Some(2.5),
                ]),
            ),
            ("s", strcol(&["x"; 8])),
            (
                "b",
                f64col(&[
                    Some(4.0),
                    Some(-1.0),
                    Some(2.0),
                    Some(2.0),
                    Some(7.0),
                    Some(-1.0),
                    Some(0.5),
                    Some(6.0),
                ]),
            ),
        ])
    }

    fn test_table() -> RecordBatch {
        table(vec![
            ("a", f64col(&[N, Some(5.0), NAN])),
            ("s", strcol(&["x"; 3])),
            ("b", f64col(&[Some(1.0), N, NAN])),
        ])
    }

    // reference: sklearn 1.9.1 SimpleImputer(strategy=..., add_indicator=True)
    //   .fit(X).transform(X) with X = [a, b] of fit_table (NaN for missing); the
    // indicator column (only for `a`, missing at fit) is the last column there.
    #[test]
    fn matches_sklearn() {
        let cases: [(SimpleImputer, f64, f64); 4] = [
            (SimpleImputer::mean(["a", "b"]), 3.4166666666666665, 2.4375),
            (SimpleImputer::median(["a", "b"]), 2.75, 2.0),
            (SimpleImputer::most_frequent(["a", "b"]), 1.0, -1.0),
            (SimpleImputer::constant(["a", "b"], -7.5), -7.5, -7.5),
        ];
        for (imputer, fill_a, fill_b) in cases {
            let fitted = imputer.clone().with_indicator(true).fit(&fit_table()).unwrap();
            let o = fitted.transform(&fit_table()).unwrap();
            let names: Vec<_> = o.schema().fields().iter().map(|f| f.name().clone()).collect();
            assert_eq!(names, ["a", "missingindicator_a", "s", "b"]);
            assert_close(
                &out(&o, "a"),
                &[
                    Some(1.0),
                    Some(fill_a),
                    Some(3.0),
                    Some(3.0),
                    Some(fill_a),
                    Some(10.0),
                    Some(1.0),
                    Some(2.5),
                ],
                1e-12,
            );
            assert_close(
                &out(&o, "missingindicator_a"),
                &[
                    Some(0.0),
                    Some(1.0),
                    Some(0.0),
                    Some(0.0),
                    Some(1.0),
                    Some(0.0),
                    Some(0.0),
                    Some(0.0),
                ],
                0.0,
            );
            // `b` had no missing value at fit: no indicator, but imputed at transform.
            let t = fitted.transform(&test_table()).unwrap();
            assert_eq!(t.num_columns(), 4);
            assert_close(&out(&t, "a"), &[Some(fill_a), Some(5.0), Some(fill_a)], 1e-12);
            assert_close(
                &out(&t, "missingindicator_a"),
                &[Some(1.0), Some(0.0), Some(1.0)],
                0.0,
            );
            assert_close(&out(&t, "b"), &[Some(1.0), Some(fill_b), Some(fill_b)], 1e-12);
            assert_eq!(t.column(3).null_count(), 0);
            check_row_path(fitted.as_ref(), &fit_table());
            check_row_path(fitted.as_ref(), &test_table());
            let back = roundtrip(fitted.as_ref());
            assert_eq!(back.transform(&test_table()).unwrap(), t);

            // Without the indicator, the schema is unchanged but for Float64.
            let plain = imputer.fit(&fit_table()).unwrap();
            let p = plain.transform(&test_table()).unwrap();
            assert_eq!(p.num_columns(), 3);
            check_row_path(plain.as_ref(), &test_table());
        }
    }

    #[test]
    fn most_frequent_ties_take_smallest() {
        // reference: sklearn 1.9.1 SimpleImputer(strategy="most_frequent") on
        // [3, 3, -2, -2, 5, nan] -> -2.0
        let t = table(vec![(
            "a",
            f64col(&[Some(3.0), Some(3.0), Some(-2.0), Some(-2.0), Some(5.0), NAN]),
        )]);
        let f = SimpleImputer::most_frequent(["a"]).fit(&t).unwrap();
        assert_close(&out(&f.transform(&t).unwrap(), "a")[5..], &[Some(-2.0)], 0.0);
        assert_eq!(most_frequent(&[1.0, 2.0, 3.0]), 1.0);
        assert_eq!(most_frequent(&[2.0, 1.0, 2.0, 1.0, 0.0]), 1.0);
    }

    #[test]
    fn edge_cases() {
        // All-missing column: refused, but fine with the constant strategy.
        let t = table(vec![("a", f64col(&[N, NAN]))]);
        for s in [
            SimpleImputer::mean(["a"]),
            SimpleImputer::median(["a"]),
            SimpleImputer::most_frequent(["a"]),
        ] {
            match s.fit(&t) {
                Err(Error::EmptyInput { context }) => assert!(context.contains("`a`")),
                other => panic!("{other:?}"),
            }
        }
        let f = SimpleImputer::constant(["a"], 2.0)
            .with_indicator(true)
            .fit(&t)
            .unwrap();
        let o = f.transform(&t).unwrap();
        assert_close(&out(&o, "a"), &[Some(2.0), Some(2.0)], 0.0);
        assert_close(&out(&o, "missingindicator_a"), &[Some(1.0), Some(1.0)], 0.0);
        // Empty table.
        let e = table(vec![("a", f64col(&[]))]);
        assert!(matches!(
            SimpleImputer::mean(["a"]).fit(&e),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            SimpleImputer::constant(["a"], 0.0).fit(&e),
            Err(Error::EmptyInput { .. })
        ));
        // A fitted imputer on an empty table gives an empty table.
        let f = SimpleImputer::mean(["a"])
            .fit(&table(vec![("a", f64col(&[Some(1.0)]))]))
            .unwrap();
        assert_eq!(f.transform(&e).unwrap().num_rows(), 0);
        // String column.
        let s = table(vec![("a", strcol(&["x"]))]);
        assert!(matches!(
            SimpleImputer::mean(["a"]).fit(&s),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(f.transform(&s), Err(Error::ColumnType { .. })));
        assert!(matches!(
            f.row_transform(s.schema_ref()),
            Err(Error::ColumnType { .. })
        ));
        // Infinity at fit.
        let inf = table(vec![("a", f64col(&[Some(1.0), N, Some(f64::NEG_INFINITY)]))]);
        assert!(matches!(
            SimpleImputer::mean(["a"]).fit(&inf),
            Err(Error::InvalidValue { row: 2, .. })
        ));
        // Non-finite fill value.
        let t = table(vec![("a", f64col(&[Some(1.0)]))]);
        assert!(matches!(
            SimpleImputer::constant(["a"], f64::NAN).fit(&t),
            Err(Error::InvalidParameter { .. })
        ));
        // Integer column: imputed to Float64.
        let ints = table(vec![(
            "i",
            Arc::new(arrow::array::Int64Array::from(vec![Some(1), None, Some(4)])) as ArrayRef,
        )]);
        let f = SimpleImputer::mean(["i"])
            .with_indicator(true)
            .fit(&ints)
            .unwrap();
        assert_close(
            &out(&f.transform(&ints).unwrap(), "i"),
            &[Some(1.0), Some(2.5), Some(4.0)],
            0.0,
        );
        check_row_path(f.as_ref(), &ints);
        // Row with a string where a number belongs.
        let rt = f.row_transform(ints.schema_ref()).unwrap().unwrap();
        let mut row = vec![Value::Str("x".into())];
        assert!(matches!(rt.apply(&mut row), Err(Error::ColumnType { .. })));
        let mut short = vec![];
        assert!(matches!(rt.apply(&mut short), Err(Error::InvalidData(_))));
    }

    #[test]
    fn serde_params() {
        assert_eq!(
            params_json(&SimpleImputer::median(["a", "b"])),
            r#"{"type":"simple_imputer","columns":{"names":["a","b"]},"strategy":"median","fill_value":0.0,"fill_text":"missing_value","add_indicator":false}"#
        );
        assert_eq!(
            params_json(&SimpleImputer::default()),
            r#"{"type":"simple_imputer","columns":"all_numeric","strategy":"mean","fill_value":0.0,"fill_text":"missing_value","add_indicator":false}"#
        );
        let t: Box<dyn FeatureTransform> = serde_json::from_str(
            r#"{"type":"simple_imputer","strategy":"most_frequent","add_indicator":true}"#,
        )
        .unwrap();
        assert!(format!("{t:?}").contains("MostFrequent"));
    }
}
