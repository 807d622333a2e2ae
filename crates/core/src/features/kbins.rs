//! Binning of numeric columns (scikit-learn's `KBinsDiscretizer`, ordinal encoding),
//! and the value-to-optional-value column machinery shared with `power.rs`.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::columnwise::check_numeric;
use super::scale::{np_linspace, np_percentile_sorted, sorted, PercentileMethod};
use super::{fit_values, Columns, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{as_f64_array, column, index_of, splice_columns, splice_fields};
use crate::data::Value;
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------
// Column mapping where a value may become null or fail.

/// A fitted transform mapping each selected numeric column to one nullable `Float64`
/// column, value by value, where a value may become null (`Ok(None)`) or be refused.
pub(crate) trait MapColumns: Clone + Send + Sync + Debug + 'static {
    /// The columns, in fit order.
    fn columns(&self) -> &[String];
    /// The output for the non-null input `x` of column `j` at row `row`.
    fn map(&self, j: usize, row: usize, x: f64) -> Result<Option<f64>>;
}

/// The output schema of a [`MapColumns`] transform: each column becomes nullable `Float64`.
pub(crate) fn map_output_schema<T: MapColumns>(t: &T, input: &Schema) -> Result<Schema> {
    let mut replacements = Vec::with_capacity(t.columns().len());
    for name in t.columns() {
        let i = index_of(input, name)?;
        check_numeric(name, input.field(i).data_type())?;
        replacements.push((i, vec![Field::new(name, DataType::Float64, true)]));
    }
    Ok(splice_fields(input, replacements))
}

/// Apply a [`MapColumns`] transform to a table. Nulls stay null.
pub(crate) fn map_transform<T: MapColumns>(t: &T, table: &RecordBatch) -> Result<RecordBatch> {
    let schema = table.schema();
    let mut replacements = Vec::with_capacity(t.columns().len());
    for (j, name) in t.columns().iter().enumerate() {
        let i = index_of(&schema, name)?;
        let floats = as_f64_array(name, column(table, name)?)?;
        let values = floats
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(x) => t.map(j, row, x),
                None => Ok(None),
            })
            .collect::<Result<Float64Array>>()?;
        replacements.push((
            i,
            vec![(
                Field::new(name, DataType::Float64, true),
                Arc::new(values) as ArrayRef,
            )],
        ));
    }
    splice_columns(table, replacements)
}

/// The single-row form of a [`MapColumns`] transform (errors report row 0).
pub(crate) fn map_row<T: MapColumns>(t: &T, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
    let mut indices = Vec::with_capacity(t.columns().len());
    for name in t.columns() {
        let i = index_of(input, name)?;
        check_numeric(name, input.field(i).data_type())?;
        indices.push(i);
    }
    Ok(Some(Box::new(MapRow {
        inner: t.clone(),
        indices,
    })))
}

#[derive(Debug)]
struct MapRow<T> {
    inner: T,
    indices: Vec<usize>,
}

impl<T: MapColumns> RowTransform for MapRow<T> {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        for (j, (&i, name)) in self.indices.iter().zip(self.inner.columns()).enumerate() {
            let Some(cell) = row.get_mut(i) else {
                return Err(Error::InvalidData(format!(
                    "row has no value for column `{name}`"
                )));
            };
            let new = match &*cell {
                Value::Null => Value::Null,
                other => match other.as_f64() {
                    Some(x) => match self.inner.map(j, 0, x)? {
                        Some(y) => Value::Float(y),
                        None => Value::Null,
                    },
                    None => return Err(Error::column_type(name, "a numeric value", other.type_name())),
                },
            };
            *cell = new;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// KBinsDiscretizer

/// How [`KBinsDiscretizer`] places the bin edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BinStrategy {
    /// Equal-width bins: `linspace(min, max, n_bins + 1)`.
    Uniform,
    /// Equal-frequency bins: edges at the percentiles `linspace(0, 100, n_bins + 1)`.
    #[default]
    Quantile,
}

/// The percentile definition of [`BinStrategy::Quantile`] (numpy's `method=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QuantileMethod {
    /// `"averaged_inverted_cdf"`: the default of scikit-learn >= 1.7 (checked
    /// against 1.9.1).
    #[default]
    AveragedInvertedCdf,
    /// `"linear"`: numpy's default, what scikit-learn < 1.7 used.
    Linear,
}

/// Bin numeric columns into intervals, as scikit-learn's
/// `KBinsDiscretizer(encode="ordinal")`: each value becomes its bin index (`Float64`,
/// `0 .. n_bins`).
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `columns` | all numeric | columns to bin |
/// | `n_bins` | `5` | number of bins, at least 2 |
/// | `strategy` | `quantile` | `uniform` (equal width) or `quantile` (equal frequency) |
/// | `quantile_method` | `averaged_inverted_cdf` | percentile definition for `quantile`; `linear` reproduces scikit-learn < 1.7 |
///
/// As in scikit-learn: with `quantile`, edges closer than `1e-8` to the previous one
/// are removed (so a column may get fewer bins, see
/// [`FittedKBinsDiscretizer::n_bins`]); a constant column gets one bin (index 0);
/// values below the first or above the last edge fall in the first or last bin.
///
/// Differences: only ordinal encoding (the bin index, as `Float64`; one-hot bins are not
/// available yet: `OneHotEncoder` takes string, integer and boolean columns); missing values (null, NaN) are ignored at fit and give null
/// at transform (scikit-learn refuses them); no `subsample` (all rows are used, like
/// `subsample=None`; scikit-learn samples 200 000 rows of larger inputs); the
/// `kmeans` strategy is not supported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KBinsDiscretizer {
    /// Columns to bin.
    pub columns: Columns,
    /// Number of bins.
    pub n_bins: usize,
    /// Edge placement.
    pub strategy: BinStrategy,
    /// Percentile definition of the quantile strategy.
    pub quantile_method: QuantileMethod,
}

impl Default for KBinsDiscretizer {
    fn default() -> Self {
        KBinsDiscretizer {
            columns: Columns::AllNumeric,
            n_bins: 5,
            strategy: BinStrategy::Quantile,
            quantile_method: QuantileMethod::AveragedInvertedCdf,
        }
    }
}

impl KBinsDiscretizer {
    /// Bin `columns` into `n_bins` bins with `strategy`.
    pub fn new(columns: impl Into<Columns>, n_bins: usize, strategy: BinStrategy) -> Self {
        KBinsDiscretizer {
            columns: columns.into(),
            n_bins,
            strategy,
            ..Default::default()
        }
    }
}

/// A fitted [`KBinsDiscretizer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedKBinsDiscretizer {
    /// The binned columns.
    pub columns: Vec<String>,
    /// Per-column bin edges, ascending (`n_bins + 1` of them). A constant column `c`
    /// has edges `[c, c]` (scikit-learn stores `[-inf, inf]`; both bin everything to 0).
    pub bin_edges: Vec<Vec<f64>>,
    /// Per-column number of bins.
    pub n_bins: Vec<usize>,
}

/// The edges of one column's non-missing values, as scikit-learn computes them.
fn bin_edges(values: &[f64], params: &KBinsDiscretizer) -> Vec<f64> {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if min == max {
        return vec![min, max];
    }
    let n = params.n_bins;
    match params.strategy {
        BinStrategy::Uniform => np_linspace(min, max, n + 1),
        BinStrategy::Quantile => {
            let method = match params.quantile_method {
                QuantileMethod::AveragedInvertedCdf => PercentileMethod::AveragedInvertedCdf,
                QuantileMethod::Linear => PercentileMethod::Linear,
            };
            let v = sorted(values);
            let edges: Vec<f64> = np_linspace(0.0, 100.0, n + 1)
                .into_iter()
                .map(|q| np_percentile_sorted(&v, q, method))
                .collect();
            // mask = np.ediff1d(edges, to_begin=np.inf) > 1e-8 (differences of the
            // original neighbours).
            let mut kept = Vec::with_capacity(edges.len());
            let mut previous = None;
            for &e in &edges {
                match previous {
                    Some(p) if e - p <= 1e-8 => {}
                    _ => kept.push(e),
                }
                previous = Some(e);
            }
            kept
        }
    }
}

#[typetag::serde(name = "kbins_discretizer")]
impl FeatureTransform for KBinsDiscretizer {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        if self.n_bins < 2 {
            return Err(Error::param(
                "n_bins",
                self.n_bins,
                "the number of bins must be at least 2",
            ));
        }
        let columns = self.columns.resolve(table.schema_ref())?;
        let mut fitted = FittedKBinsDiscretizer {
            columns: Vec::with_capacity(columns.len()),
            bin_edges: Vec::new(),
            n_bins: Vec::new(),
        };
        for name in columns {
            let values = fit_values(table, &name, "KBinsDiscretizer")?;
            let edges = bin_edges(&values, self);
            fitted.n_bins.push(edges.len().saturating_sub(1));
            fitted.bin_edges.push(edges);
            fitted.columns.push(name);
        }
        Ok(Box::new(fitted))
    }
}

impl MapColumns for FittedKBinsDiscretizer {
    fn columns(&self) -> &[String] {
        &self.columns
    }
    fn map(&self, j: usize, _row: usize, x: f64) -> Result<Option<f64>> {
        if x.is_nan() {
            return Ok(None);
        }
        let edges = self.bin_edges.get(j).map_or(&[][..], Vec::as_slice);
        let inner = edges.get(1..edges.len().saturating_sub(1)).unwrap_or(&[]);
        // np.searchsorted(edges[1:-1], x, side="right")
        Ok(Some(inner.partition_point(|&e| e <= x) as f64))
    }
}

#[typetag::serde(name = "kbins_discretizer")]
impl FittedTransform for FittedKBinsDiscretizer {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        map_output_schema(self, input)
    }
    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        map_transform(self, table)
    }
    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        map_row(self, input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::scale::testutil::*;
    use super::*;

    const N: Option<f64> = None;
    const NAN: Option<f64> = Some(f64::NAN);

    fn s(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().map(|&x| Some(x)).collect()
    }

    fn fit_table() -> RecordBatch {
        let a = [0.5, 1.0, 2.0, 3.0, 4.0, 5.5, 6.0, 7.0, 8.0, 20.0, 3.0];
        let b = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 1.0];
        let mut a = s(&a);
        let mut b = s(&b);
        // Missing values are ignored at fit.
        a.extend([N, NAN]);
        b.extend([NAN, N]);
        table(vec![
            ("a", f64col(&a)),
            ("b", f64col(&b)),
            ("t", strcol(&["x"; 13])),
        ])
    }

    fn test_table() -> RecordBatch {
        table(vec![
            ("a", f64col(&s(&[-100.0, 100.0, 2.0, 5.5, 7.0, 1.0]))),
            ("b", f64col(&s(&[0.0, 1.0, 1.5, 2.0, 3.0, 100.0]))),
            ("t", strcol(&["x"; 6])),
        ])
    }

    // reference: sklearn 1.9.1 KBinsDiscretizer(encode="ordinal", **kw).fit(X) with
    // X = the 11 non-missing rows of [a, b]; bin_edges_, n_bins_, transform(X), transform(T).
    #[test]
    fn matches_sklearn() {
        #[allow(clippy::type_complexity)]
        let cases: Vec<(KBinsDiscretizer, [&[f64]; 2], [&[f64]; 4])> = vec![
            (
                // strategy="uniform", n_bins=4
                KBinsDiscretizer::new(["a", "b"], 4, BinStrategy::Uniform),
                [&[0.5, 5.375, 10.25, 15.125, 20.0], &[1.0, 1.75, 2.5, 3.25, 4.0]],
                [
                    &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 3.0, 0.0],
                    &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.0],
                    &[0.0, 3.0, 0.0, 1.0, 1.0, 0.0],
                    &[0.0, 0.0, 0.0, 1.0, 2.0, 3.0],
                ],
            ),
            (
                // strategy="quantile", n_bins=4 (default quantile_method)
                KBinsDiscretizer::new(["a", "b"], 4, BinStrategy::Quantile),
                [&[0.5, 2.0, 4.0, 7.0, 20.0], &[1.0, 2.0, 4.0]],
                [
                    &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 1.0],
                    &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0],
                    &[0.0, 3.0, 1.0, 2.0, 3.0, 0.0],
                    &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
                ],
            ),
            (
                // strategy="quantile", n_bins=3, quantile_method="linear"
                KBinsDiscretizer {
                    quantile_method: QuantileMethod::Linear,
                    ..KBinsDiscretizer::new(["a", "b"], 3, BinStrategy::Quantile)
                },
                [&[0.5, 3.0, 5.833333333333334, 20.0], &[1.0, 4.0]],
                [
                    &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 1.0],
                    &[0.0; 11],
                    &[0.0, 2.0, 0.0, 1.0, 2.0, 0.0],
                    &[0.0; 6],
                ],
            ),
            (
                // strategy="quantile", n_bins=5
                KBinsDiscretizer::new(["a", "b"], 5, BinStrategy::Quantile),
                [&[0.5, 2.0, 3.0, 5.5, 7.0, 20.0], &[1.0, 2.0, 4.0]],
                [
                    &[0.0, 0.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 2.0],
                    &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0],
                    &[0.0, 4.0, 1.0, 3.0, 4.0, 0.0],
                    &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
                ],
            ),
        ];
        for (params, edges, want) in cases {
            let fitted = params.fit(&fit_table()).unwrap();
            let json = serde_json::to_value(&fitted).unwrap();
            let got_edges: Vec<Vec<f64>> = serde_json::from_value(json["bin_edges"].clone()).unwrap();
            for (g, w) in got_edges.iter().zip(edges) {
                assert_close(&s(g), &s(w), 1e-12);
            }
            let o = fitted.transform(&fit_table()).unwrap();
            let mut wa = s(want[0]);
            wa.extend([N, N]);
            let mut wb = s(want[1]);
            wb.extend([N, N]);
            assert_close(&out(&o, "a"), &wa, 0.0);
            assert_close(&out(&o, "b"), &wb, 0.0);
            // NaN in -> null out.
            assert!(nulls(&o, "a")[12] && nulls(&o, "b")[11]);
            let t = fitted.transform(&test_table()).unwrap();
            assert_close(&out(&t, "a"), &s(want[2]), 0.0);
            assert_close(&out(&t, "b"), &s(want[3]), 0.0);
            check_row_path(fitted.as_ref(), &fit_table());
            check_row_path(fitted.as_ref(), &test_table());
            let back = roundtrip(fitted.as_ref());
            assert_eq!(back.transform(&test_table()).unwrap(), t);
        }
    }

    #[test]
    fn row_path_nan_gives_null() {
        let f = KBinsDiscretizer::new(["a"], 2, BinStrategy::Uniform)
            .fit(&table(vec![("a", f64col(&s(&[0.0, 1.0])))]))
            .unwrap();
        let schema = table(vec![("a", f64col(&[]))]).schema();
        let rt = f.row_transform(&schema).unwrap().unwrap();
        let mut row = vec![Value::Float(f64::NAN)];
        rt.apply(&mut row).unwrap();
        assert_eq!(row, vec![Value::Null]);
        let mut row = vec![Value::Int(1)];
        rt.apply(&mut row).unwrap();
        assert_eq!(row, vec![Value::Float(1.0)]);
        let mut row = vec![Value::Str("x".into())];
        assert!(matches!(rt.apply(&mut row), Err(Error::ColumnType { .. })));
    }

    #[test]
    fn edge_cases() {
        // Constant column: one bin, everything to 0 (sklearn: n_bins_ = 1, output 0).
        let c = table(vec![("a", f64col(&s(&[3.0, 3.0, 3.0])))]);
        for strategy in [BinStrategy::Uniform, BinStrategy::Quantile] {
            let f = KBinsDiscretizer::new(["a"], 3, strategy).fit(&c).unwrap();
            let t = table(vec![("a", f64col(&s(&[-1.0, 3.0, 9.0])))]);
            assert_close(&out(&f.transform(&t).unwrap(), "a"), &s(&[0.0, 0.0, 0.0]), 0.0);
            let json = serde_json::to_value(&f).unwrap();
            assert_eq!(json["n_bins"], serde_json::json!([1]));
            roundtrip(f.as_ref());
        }
        // Infinities at transform go to the first / last bin.
        let f = KBinsDiscretizer::new(["a"], 2, BinStrategy::Uniform)
            .fit(&table(vec![("a", f64col(&s(&[0.0, 1.0])))]))
            .unwrap();
        let t = table(vec![("a", f64col(&s(&[f64::NEG_INFINITY, f64::INFINITY])))]);
        assert_close(&out(&f.transform(&t).unwrap(), "a"), &s(&[0.0, 1.0]), 0.0);
        // Errors.
        let k = KBinsDiscretizer::new(["a"], 3, BinStrategy::Quantile);
        let t = table(vec![("a", f64col(&[N, NAN]))]);
        assert!(matches!(k.fit(&t), Err(Error::EmptyInput { .. })));
        let t = table(vec![("a", f64col(&[]))]);
        assert!(matches!(k.fit(&t), Err(Error::EmptyInput { .. })));
        let t = table(vec![("a", f64col(&s(&[1.0, f64::INFINITY])))]);
        assert!(matches!(k.fit(&t), Err(Error::InvalidValue { row: 1, .. })));
        let t = table(vec![("a", strcol(&["x"]))]);
        assert!(matches!(k.fit(&t), Err(Error::ColumnType { .. })));
        assert!(matches!(f.transform(&t), Err(Error::ColumnType { .. })));
        assert!(matches!(
            f.output_schema(t.schema_ref()),
            Err(Error::ColumnType { .. })
        ));
        let t = table(vec![("a", f64col(&s(&[1.0, 2.0])))]);
        for n in [0, 1] {
            let k = KBinsDiscretizer::new(["a"], n, BinStrategy::Uniform);
            assert!(matches!(k.fit(&t), Err(Error::InvalidParameter { .. })));
        }
    }

    #[test]
    fn serde_params() {
        assert_eq!(
            params_json(&KBinsDiscretizer::new(["a"], 4, BinStrategy::Uniform)),
            r#"{"type":"kbins_discretizer","columns":{"names":["a"]},"n_bins":4,"strategy":"uniform","quantile_method":"averaged_inverted_cdf"}"#
        );
        assert_eq!(
            params_json(&KBinsDiscretizer::default()),
            r#"{"type":"kbins_discretizer","columns":"all_numeric","n_bins":5,"strategy":"quantile","quantile_method":"averaged_inverted_cdf"}"#
        );
    }
}
