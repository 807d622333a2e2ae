//! PCA reconstruction error ([`PcaReconstruction`]), after NannyML's
//! `DataReconstructionDriftCalculator`.

use std::ops::Range;

use arrow::record_batch::RecordBatch;
use linfa_linalg::eigh::EighInto;
use ndarray::{Array1, Array2, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

use super::{is_number, select_columns};
use crate::data::table::{column, f64_values, index_of_type};
use crate::error::{Error, Result};

/// How many principal components a [`PcaReconstruction`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Components {
    /// The fewest components whose explained variance ratios add up to more than this
    /// share, in `(0, 1)` (scikit-learn's `PCA(n_components=0.65)`).
    Variance(f64),
    /// A fixed number of components, at least 1 and fewer than the number of columns.
    Count(usize),
}

impl Default for Components {
    fn default() -> Self {
        Components::Variance(0.65)
    }
}

/// How a table is cut into consecutive chunks of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chunking {
    /// Chunks of this many rows; the rows left over are added to the last chunk (a table
    /// shorter than one chunk is a single chunk).
    Size(usize),
    /// This many chunks whose sizes differ by at most one row, the larger ones first
    /// (`numpy.array_split`); a table with fewer rows has one chunk per row.
    Number(usize),
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking::Number(10)
    }
}

impl Chunking {
    fn check(&self) -> Result<()> {
        match *self {
            Chunking::Size(0) => Err(Error::param("chunking.size", 0, "must be at least 1 row")),
            Chunking::Number(0) => Err(Error::param("chunking.number", 0, "must be at least 1 chunk")),
            _ => Ok(()),
        }
    }

    /// The row ranges of the chunks of a table of `n_rows` rows (none for no rows).
    pub fn ranges(&self, n_rows: usize) -> Vec<Range<usize>> {
        if n_rows == 0 {
            return Vec::new();
        }
        match *self {
            Chunking::Size(size) => {
                let size = size.max(1);
                let full = n_rows / size;
                if full <= 1 {
                    return std::iter::once(0..n_rows).collect();
                }
                (0..full)
                    .map(|c| c * size..if c + 1 == full { n_rows } else { (c + 1) * size })
                    .collect()
            }
            Chunking::Number(number) => {
                let number = number.clamp(1, n_rows);
                let (base, extra) = (n_rows / number, n_rows % number);
                let mut start = 0;
                (0..number)
                    .map(|c| {
                        let len = base + usize::from(c < extra);
                        let range = start..start + len;
                        start += len;
                        range
                    })
                    .collect()
            }
        }
    }
}

/// Multivariate drift by PCA reconstruction error, as NannyML's *data reconstruction*
/// drift.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `columns` | `[]` (every numeric or boolean column of the reference) | columns to watch | numeric or boolean |
/// | `components` | `{"variance": 0.65}` | [`Components`]: explained-variance share or a fixed count | share in `(0, 1)`, count in `1..columns` |
/// | `chunking` | `{"number": 10}` | [`Chunking`] of the reference (for the band) and of a current table (per-chunk verdicts) | at least 2 reference chunks |
/// | `k` | `3.0` | half-width of the band in reference standard deviations | finite, `>= 0` |
///
/// Fitting on the reference: missing values (null, NaN) are replaced by the column's
/// mean (scikit-learn's `SimpleImputer(strategy="mean")`), the columns standardised
/// (`StandardScaler`: population standard deviation, a constant column scaled by 1) and a
/// PCA fitted by eigendecomposition of their covariance matrix (the same components and
/// explained variances as `sklearn.decomposition.PCA`, each component's sign chosen as
/// scikit-learn does, so its largest-magnitude entry is positive).
///
/// The reconstruction error of a row is the Euclidean distance between its standardised
/// values and their projection on the kept components; of a table, the mean over its
/// rows. The reference is cut into chunks; the mean `m` and the sample standard
/// deviation `s` of their errors give the band `[max(m - k·s, 0), m + k·s]`. A table or
/// a chunk is drifted when its error is outside the band.
///
/// The band describes chunks of the reference's chunk size: a current table much
/// smaller than a reference chunk has a noisier error and leaves the band more often by
/// chance, a larger one less often.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::Float64Array;
/// use arrow::record_batch::RecordBatch;
/// use ferrops::drift::multivariate::{Chunking, PcaReconstruction};
/// # fn main() -> ferrops::Result<()> {
/// // x and y move together in the reference, in opposite directions in the current data.
/// let table = |sign: f64| {
///     let x: Vec<f64> = (0..400).map(|i| ((i * 37 % 101) as f64 - 50.0) / 10.0).collect();
///     let y: Vec<f64> = x.iter().enumerate().map(|(i, v)| sign * v + ((i * 13 % 7) as f64 - 3.0) / 10.0).collect();
///     RecordBatch::try_from_iter([
///         ("x", Arc::new(Float64Array::from(x)) as _),
///         ("y", Arc::new(Float64Array::from(y)) as _),
///     ])
/// };
/// let detector = PcaReconstruction { chunking: Chunking::Size(100), ..Default::default() };
/// let fitted = detector.fit(&table(1.0)?)?;
/// assert_eq!(fitted.n_components(), 1);
/// assert!(!fitted.evaluate(&table(1.0)?)?.drifted);
/// assert!(fitted.evaluate(&table(-1.0)?)?.drifted);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaReconstruction {
    /// The columns (empty: every numeric or boolean column of the reference).
    pub columns: Vec<String>,
    /// How many components to keep.
    pub components: Components,
    /// How tables are cut into chunks.
    pub chunking: Chunking,
    /// Half-width of the band, in reference standard deviations.
    pub k: f64,
}

impl Default for PcaReconstruction {
    fn default() -> Self {
        PcaReconstruction {
            columns: Vec::new(),
            components: Components::default(),
            chunking: Chunking::default(),
            k: 3.0,
        }
    }
}

/// A [`PcaReconstruction`] fitted on a reference table: the imputation, scaling and
/// PCA, and the band of reference chunk errors. Serialize it (serde) to keep it next to
/// a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPcaReconstruction {
    /// The columns, in order.
    pub columns: Vec<String>,
    /// The value replacing a missing entry of each column (the reference mean).
    pub impute: Vec<f64>,
    /// The mean subtracted from each column before scaling.
    pub scale_mean: Vec<f64>,
    /// The divisor of each column (its population standard deviation, 1 if constant).
    pub scale: Vec<f64>,
    /// The PCA's mean of the standardised columns (zero up to rounding).
    pub pca_mean: Vec<f64>,
    /// The kept components, one row each, in order of explained variance.
    pub components: Array2<f64>,
    /// Variance along every principal component (all of them, not only the kept ones),
    /// with the `n - 1` denominator (scikit-learn's `explained_variance_`).
    pub explained_variance: Vec<f64>,
    /// Share of the total variance of every principal component
    /// (`explained_variance_ratio_`).
    pub explained_variance_ratio: Vec<f64>,
    /// How tables are cut into chunks.
    pub chunking: Chunking,
    /// Half-width of the band in reference standard deviations.
    pub k: f64,
    /// Rows of the reference table.
    pub n_reference: usize,
    /// The reconstruction error of each reference chunk.
    pub reference_chunk_errors: Vec<f64>,
    /// The reconstruction error of the whole reference table.
    pub reference_error: f64,
    /// Mean of the reference chunk errors.
    pub reference_mean: f64,
    /// Sample standard deviation (`n - 1`) of the reference chunk errors.
    pub reference_std: f64,
    /// Lower end of the band, `max(mean - k·std, 0)`.
    pub lower: f64,
    /// Upper end of the band, `mean + k·std`.
    pub upper: f64,
}

/// The reconstruction error of one chunk of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkError {
    /// First row of the chunk.
    pub start: usize,
    /// One past the last row of the chunk.
    pub end: usize,
    /// Mean reconstruction error of its rows.
    pub error: f64,
    /// Whether the error is outside the band.
    pub drifted: bool,
}

/// What [`FittedPcaReconstruction::evaluate`] finds in a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconstructionResult {
    /// Mean reconstruction error of the table's rows.
    pub error: f64,
    /// Mean of the reference chunk errors.
    pub reference_mean: f64,
    /// Sample standard deviation of the reference chunk errors.
    pub reference_std: f64,
    /// Lower end of the band.
    pub lower: f64,
    /// Upper end of the band.
    pub upper: f64,
    /// Whether the table's error is outside the band.
    pub drifted: bool,
    /// Rows of the table.
    pub n_rows: usize,
    /// The table's chunks (by the fitted [`Chunking`]) and their errors.
    pub chunks: Vec<ChunkError>,
}

const WHAT: &str = "PcaReconstruction";

impl PcaReconstruction {
    fn check(&self) -> Result<()> {
        self.chunking.check()?;
        match self.components {
            Components::Variance(v) if !(v > 0.0 && v < 1.0) => {
                return Err(Error::param(
                    "components.variance",
                    v,
                    "must be a share of variance strictly between 0 and 1 (NannyML's default is 0.65)",
                ))
            }
            Components::Count(0) => return Err(Error::param("components.count", 0, "must be at least 1")),
            _ => {}
        }
        if !(self.k.is_finite() && self.k >= 0.0) {
            return Err(Error::param(
                "k",
                self.k,
                "must be a finite number >= 0 (default 3)",
            ));
        }
        Ok(())
    }

    /// Fit on the reference table.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for parameters out of range, a component count that
    /// keeps every component (the reconstruction is then exact and its error carries no
    /// signal) or a chunking that gives fewer than two reference chunks;
    /// [`Error::EmptyInput`] for a table with fewer than two rows or no usable column;
    /// [`Error::ColumnNotFound`] / [`Error::ColumnType`] for a missing or non-numeric
    /// column; [`Error::InvalidData`] for a column with no value (all null or NaN);
    /// [`Error::InvalidValue`] for an infinite value.
    pub fn fit(&self, reference: &RecordBatch) -> Result<FittedPcaReconstruction> {
        self.check()?;
        let n = reference.num_rows();
        if n < 2 {
            return Err(Error::EmptyInput {
                context: format!(
                    "{WHAT}: the reference table has {n} rows; a PCA needs at least 2 (and several chunks of them for the band)"
                ),
            });
        }
        let columns = select_columns(
            reference,
            &self.columns,
            is_number,
            "a numeric or boolean column",
            WHAT,
        )?;
        let d = columns.len();
        let chunks = self.chunking.ranges(n);
        if chunks.len() < 2 {
            return Err(Error::param(
                "chunking",
                format!("{:?}", self.chunking),
                format!(
                    "the reference table ({n} rows) makes {} chunk; the band needs at least 2: use a smaller chunk size or a larger number of chunks",
                    chunks.len()
                ),
            ));
        }
        let raw = raw_matrix(reference, &columns)?;
        // Mean imputation (SimpleImputer), then StandardScaler on the imputed columns.
        let mut impute = Vec::with_capacity(d);
        let mut scale_mean = Vec::with_capacity(d);
        let mut scale = Vec::with_capacity(d);
        let mut z = Array2::<f64>::zeros((n, d));
        for ((name, raw_col), mut z_col) in columns.iter().zip(raw.columns()).zip(z.columns_mut()) {
            let (sum, count) = raw_col
                .iter()
                .filter(|v| !v.is_nan())
                .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
            if count == 0 {
                return Err(Error::InvalidData(format!(
                    "{WHAT}: column `{name}` has no value in the reference table (all null or NaN), so it has no mean to impute; drop it from `columns`"
                )));
            }
            let fill = sum / count as f64;
            z_col.zip_mut_with(&raw_col, |z, &v| *z = if v.is_nan() { fill } else { v });
            let mean = z_col.sum() / n as f64;
            let var = z_col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            let s = if is_constant(var, mean, n) {
                1.0
            } else {
                var.sqrt()
            };
            z_col.mapv_inplace(|v| (v - mean) / s);
            impute.push(fill);
            scale_mean.push(mean);
            scale.push(s);
        }
        // PCA by eigendecomposition of the covariance matrix.
        let pca_mean = z.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
        let centred = &z - &pca_mean;
        let cov = centred.t().dot(&centred) / (n as f64 - 1.0);
        let (values, vectors) = cov.eigh_into().map_err(|e| Error::Training {
            model: WHAT.into(),
            reason: format!("eigendecomposition of the covariance matrix failed: {e}"),
        })?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| {
            let (va, vb) = (
                values.get(a).copied().unwrap_or(0.0),
                values.get(b).copied().unwrap_or(0.0),
            );
            vb.total_cmp(&va)
        });
        let explained_variance: Vec<f64> = order
            .iter()
            .map(|&i| values.get(i).copied().unwrap_or(0.0).max(0.0))
            .collect();
        let total: f64 = explained_variance.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Err(Error::InvalidData(format!(
                "{WHAT}: every column of the reference table is constant; there is no structure to learn"
            )));
        }
        let explained_variance_ratio: Vec<f64> = explained_variance.iter().map(|v| v / total).collect();
        let max_components = d.min(n);
        let k = match self.components {
            Components::Count(c) => c,
            Components::Variance(share) => {
                let mut cumulative = 0.0;
                let below = explained_variance_ratio
                    .iter()
                    .take_while(|r| {
                        cumulative += *r;
                        cumulative <= share
                    })
                    .count();
                (below + 1).min(max_components)
            }
        };
        if k > max_components {
            return Err(Error::param(
                "components",
                format!("{:?}", self.components),
                format!("asks for {k} components but {n} rows of {d} columns have at most {max_components}"),
            ));
        }
        if k >= d {
            return Err(Error::param(
                "components",
                format!("{:?}", self.components),
                format!(
                    "keeps {k} of {d} components; with every component the reconstruction is exact and its error carries no signal: \
                     keep fewer components (a lower variance share or count) or watch more columns (the ratios are {explained_variance_ratio:.3?})"
                ),
            ));
        }
        let mut components = Array2::<f64>::zeros((k, d));
        for (mut row, &i) in components.rows_mut().into_iter().zip(&order) {
            row.assign(&vectors.column(i));
            // scikit-learn's svd_flip(u_based_decision=False): the largest |entry| positive.
            let mut best = 0.0_f64;
            let mut sign = 1.0;
            for v in row.iter() {
                if v.abs() > best {
                    best = v.abs();
                    sign = if *v < 0.0 { -1.0 } else { 1.0 };
                }
            }
            row.mapv_inplace(|v| v * sign);
        }
        let mut fitted = FittedPcaReconstruction {
            columns,
            impute,
            scale_mean,
            scale,
            pca_mean: pca_mean.to_vec(),
            components,
            explained_variance,
            explained_variance_ratio,
            chunking: self.chunking,
            k: self.k,
            n_reference: n,
            reference_chunk_errors: Vec::new(),
            reference_error: 0.0,
            reference_mean: 0.0,
            reference_std: 0.0,
            lower: 0.0,
            upper: 0.0,
        };
        let errors = fitted.row_errors_standardised(&z);
        let chunk_errors: Vec<f64> = chunks.iter().map(|r| mean_of(&errors, r.clone())).collect();
        let m = chunk_errors.iter().sum::<f64>() / chunk_errors.len() as f64;
        let var =
            chunk_errors.iter().map(|e| (e - m) * (e - m)).sum::<f64>() / (chunk_errors.len() as f64 - 1.0);
        let s = var.sqrt();
        fitted.reference_error = mean_of(&errors, 0..n);
        fitted.reference_chunk_errors = chunk_errors;
        fitted.reference_mean = m;
        fitted.reference_std = s;
        fitted.lower = (m - self.k * s).max(0.0);
        fitted.upper = m + self.k * s;
        Ok(fitted)
    }
}

/// scikit-learn's `_is_constant_feature`: a variance within the rounding error of the
/// two-pass algorithm.
fn is_constant(var: f64, mean: f64, n: usize) -> bool {
    let eps = f64::EPSILON;
    let n = n as f64;
    var <= n * eps * var + (n * mean * eps).powi(2)
}

fn mean_of(values: &[f64], rows: Range<usize>) -> f64 {
    let len = rows.len();
    values
        .get(rows)
        .map_or(f64::NAN, |v| v.iter().sum::<f64>() / len.max(1) as f64)
}

/// The columns as a `(rows, columns)` matrix, missing values as NaN; an infinite value is
/// an error.
fn raw_matrix(table: &RecordBatch, columns: &[String]) -> Result<Array2<f64>> {
    let n = table.num_rows();
    let mut x = Array2::<f64>::zeros((n, columns.len()));
    for (name, mut out) in columns.iter().zip(x.columns_mut()) {
        let values = f64_values(table, name)?;
        if let Some(row) = values.iter().position(|v| v.is_infinite()) {
            return Err(Error::InvalidValue {
                column: name.clone(),
                row,
                value: values.get(row).map_or(String::new(), |v| v.to_string()),
                hint: "a reconstruction error needs finite values: filter or clip infinite values first (null and NaN are imputed)".into(),
            });
        }
        out.assign(&ArrayView1::from(&values[..]));
    }
    Ok(x)
}

impl FittedPcaReconstruction {
    /// The number of kept components.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// The reconstruction error of every row of standardised data `z`.
    fn row_errors_standardised(&self, z: &Array2<f64>) -> Vec<f64> {
        let mean = ArrayView1::from(&self.pca_mean[..]);
        let centred = z - &mean;
        let scores = centred.dot(&self.components.t());
        let reconstructed = scores.dot(&self.components) + mean;
        z.rows()
            .into_iter()
            .zip(reconstructed.rows())
            .map(|(a, b)| {
                a.iter()
                    .zip(b.iter())
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    /// The reconstruction error of every row of `table` (missing values imputed with the
    /// reference means).
    ///
    /// # Errors
    /// As [`evaluate`](FittedPcaReconstruction::evaluate).
    pub fn row_errors(&self, table: &RecordBatch) -> Result<Vec<f64>> {
        let schema = table.schema();
        for name in &self.columns {
            index_of_type(&schema, name, is_number, "a numeric or boolean column")?;
            column(table, name)?;
        }
        let mut z = raw_matrix(table, &self.columns)?;
        for (((mut col, fill), mean), s) in z
            .columns_mut()
            .into_iter()
            .zip(&self.impute)
            .zip(&self.scale_mean)
            .zip(&self.scale)
        {
            col.mapv_inplace(|v| (if v.is_nan() { *fill } else { v } - mean) / s);
        }
        Ok(self.row_errors_standardised(&z))
    }

    /// The reconstruction error of `current` and of each of its chunks, against the band.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a table with no rows; [`Error::ColumnNotFound`] /
    /// [`Error::ColumnType`] for a fitted column that is missing or not numeric;
    /// [`Error::InvalidValue`] for an infinite value.
    pub fn evaluate(&self, current: &RecordBatch) -> Result<ReconstructionResult> {
        let n = current.num_rows();
        if n == 0 {
            return Err(Error::EmptyInput {
                context: format!("{WHAT}: the current table has no rows; pass at least one"),
            });
        }
        let errors = self.row_errors(current)?;
        let outside = |e: f64| e < self.lower || e > self.upper;
        let chunks = self
            .chunking
            .ranges(n)
            .into_iter()
            .map(|r| {
                let error = mean_of(&errors, r.clone());
                ChunkError {
                    start: r.start,
                    end: r.end,
                    error,
                    drifted: outside(error),
                }
            })
            .collect();
        let error = mean_of(&errors, 0..n);
        Ok(ReconstructionResult {
            error,
            reference_mean: self.reference_mean,
            reference_std: self.reference_std,
            lower: self.lower,
            upper: self.upper,
            drifted: outside(error),
            n_rows: n,
            chunks,
        })
    }
}
