//! k-means clustering as a feature transform: numeric columns become a cluster id (and
//! optionally the distances to every centroid), for segment features.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::columnwise::check_numeric;
use super::{Columns, FeatureTransform, FittedTransform, RowTransform};
use crate::data::table::{as_f64_array, column, index_of, splice_columns, splice_fields};
use crate::data::Value;
use crate::error::{Error, Result};

/// How [`KMeans`] picks its initial centroids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KMeansInit {
    /// Greedy k-means++ (scikit-learn's `init="k-means++"`: `2 + ln k` candidates per
    /// step, the one lowering the inertia most is kept).
    #[default]
    KMeansPlusPlus,
    /// `n_clusters` distinct rows drawn at random (scikit-learn's `init="random"`).
    Random,
}

/// Cluster rows on numeric columns with k-means (Lloyd's algorithm), as scikit-learn's
/// `KMeans(algorithm="lloyd")`, and replace those columns by the cluster id.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `columns` | all numeric | the columns clustered on (and replaced) | numeric columns |
/// | `n_clusters` | `8` | number of clusters | `>= 1`, at most the rows |
/// | `init` | `k_means_plus_plus` | [`KMeansInit`] | `k_means_plus_plus`, `random` |
/// | `n_init` | `1` | runs from different initialisations; the lowest inertia wins (scikit-learn's `"auto"` for k-means++) | `>= 1` |
/// | `max_iter` | `300` | Lloyd iterations per run | `>= 1` |
/// | `tol` | `1e-4` | stop when the squared centroid shift is at most `tol` times the mean column variance | `>= 0`, finite |
/// | `seed` | `0` | seed of the (xoshiro256**) random generator: same seed, same clustering | any |
/// | `output` | `"cluster"` | name of the `Int64` cluster id column | not an input column |
/// | `distances` | `false` | also output `<output>_distance_<j>`, the Euclidean distance to centroid `j` (scikit-learn's `KMeans.transform`) | |
///
/// The output columns take the place of the first selected column; the other selected
/// columns are dropped. Cluster ids are `0..n_clusters` in the order of the fitted
/// [`FittedKMeans::cluster_centers`]. Rows with a missing value (null or NaN) in a
/// selected column are left out of the fit and get null outputs; an infinite value is
/// an error. Features are used as they are: scale them first (`StandardScaler`) when
/// their units differ.
///
/// Deterministic for a seed, but not the same random stream as scikit-learn, so on
/// data with ambiguous clusters the local optimum found may differ; on well-separated
/// clusters the partition and inertia agree with scikit-learn's.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::Float64Array;
/// # use ferrops::features::{FeatureTransform, KMeans};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![0.0, 0.1, 5.0, 5.1])) as _),
///     ("y", Arc::new(Float64Array::from(vec![0.0, 0.2, 5.0, 4.9])) as _),
/// ])?;
/// let fitted = KMeans { n_clusters: 2, ..KMeans::default() }.fit(&t)?;
/// let out = fitted.transform(&t)?;
/// assert_eq!(out.schema().field(0).name(), "cluster");
/// assert_eq!(out.num_columns(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KMeans {
    /// The columns clustered on.
    pub columns: Columns,
    /// Number of clusters.
    pub n_clusters: usize,
    /// Initialisation.
    pub init: KMeansInit,
    /// Number of runs.
    pub n_init: usize,
    /// Lloyd iterations per run.
    pub max_iter: usize,
    /// Relative convergence tolerance.
    pub tol: f64,
    /// Random seed.
    pub seed: u64,
    /// Name of the cluster id column.
    pub output: String,
    /// Also output the distances to every centroid.
    pub distances: bool,
}

impl Default for KMeans {
    fn default() -> Self {
        KMeans {
            columns: Columns::AllNumeric,
            n_clusters: 8,
            init: KMeansInit::KMeansPlusPlus,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            output: "cluster".into(),
            distances: false,
        }
    }
}

impl KMeans {
    /// `n_clusters` clusters on `columns`, other parameters by default.
    pub fn new(columns: impl Into<Columns>, n_clusters: usize) -> Self {
        KMeans {
            columns: columns.into(),
            n_clusters,
            ..KMeans::default()
        }
    }

    fn validate(&self) -> Result<()> {
        if self.n_clusters == 0 {
            return Err(Error::param("n_clusters", self.n_clusters, "must be at least 1"));
        }
        if self.n_init == 0 {
            return Err(Error::param("n_init", self.n_init, "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", self.max_iter, "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::param("tol", self.tol, "must be a finite number >= 0"));
        }
        if self.output.is_empty() {
            return Err(Error::param("output", "\"\"", "the cluster column needs a name"));
        }
        Ok(())
    }
}

/// xoshiro256** seeded by splitmix64: small, fast, and fixed here so a seed gives the
/// same clustering on every platform and version.
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n >= 1`).
    fn below(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The index of the first cumulative weight above `target`.
fn search_cumulative(cumulative: &[f64], target: f64) -> usize {
    cumulative
        .partition_point(|&c| c <= target)
        .min(cumulative.len().saturating_sub(1))
}

/// Rows as flat `n x d` data.
struct Points<'a> {
    data: &'a [f64],
    d: usize,
}

impl Points<'_> {
    fn len(&self) -> usize {
        self.data.len().checked_div(self.d).unwrap_or(0)
    }
    fn row(&self, i: usize) -> &[f64] {
        self.data.get(i * self.d..(i + 1) * self.d).unwrap_or(&[])
    }
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`).
fn init_plus_plus(points: &Points, k: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let n = points.len();
    let trials = 2 + (k as f64).ln() as usize;
    let first = rng.below(n);
    let mut centers = vec![points.row(first).to_vec()];
    let mut closest: Vec<f64> = (0..n)
        .map(|i| squared_distance(points.row(i), points.row(first)))
        .collect();
    let mut potential: f64 = closest.iter().sum();
    while centers.len() < k {
        let mut cumulative = Vec::with_capacity(n);
        let mut acc = 0.0;
        for c in &closest {
            acc += c;
            cumulative.push(acc);
        }
        let mut best: Option<(usize, f64, Vec<f64>)> = None;
        for _ in 0..trials {
            let candidate = if potential > 0.0 {
                search_cumulative(&cumulative, rng.uniform() * potential)
            } else {
                rng.below(n)
            };
            let new_closest: Vec<f64> = (0..n)
                .map(|i| closest[i].min(squared_distance(points.row(i), points.row(candidate))))
                .collect();
            let new_potential: f64 = new_closest.iter().sum();
            if best.as_ref().is_none_or(|(_, p, _)| new_potential < *p) {
                best = Some((candidate, new_potential, new_closest));
            }
        }
        if let Some((candidate, p, c)) = best {
            centers.push(points.row(candidate).to_vec());
            potential = p;
            closest = c;
        }
    }
    centers
}

/// `k` distinct rows at random (partial Fisher-Yates).
fn init_random(points: &Points, k: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let n = points.len();
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = i + rng.below(n - i);
        order.swap(i, j);
    }
    order.iter().take(k).map(|&i| points.row(i).to_vec()).collect()
}

/// The nearest center of `x` and the squared distance to it (ties to the lower index).
fn nearest(centers: &[Vec<f64>], x: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in centers.iter().enumerate() {
        let dist = squared_distance(x, c);
        if dist < best.1 {
            best = (j, dist);
        }
    }
    best
}

/// One k-means run: `(centers, labels, inertia, iterations)`.
fn lloyd(
    points: &Points,
    mut centers: Vec<Vec<f64>>,
    max_iter: usize,
    tol: f64,
) -> (Vec<Vec<f64>>, Vec<usize>, f64, usize) {
    let n = points.len();
    let k = centers.len();
    let d = points.d;
    let mut labels = vec![usize::MAX; n];
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let mut changed = false;
        let mut distances = vec![0.0; n];
        for (i, (label, dist)) in labels.iter_mut().zip(distances.iter_mut()).enumerate() {
            let (j, dd) = nearest(&centers, points.row(i));
            changed |= *label != j;
            *label = j;
            *dist = dd;
        }
        let mut sums = vec![vec![0.0; d]; k];
        let mut counts = vec![0usize; k];
        for (i, &j) in labels.iter().enumerate() {
            counts[j] += 1;
            for (s, x) in sums[j].iter_mut().zip(points.row(i)) {
                *s += x;
            }
        }
        // An empty cluster takes the point farthest from its own center (as scikit-learn).
        let mut taken = vec![false; n];
        for j in 0..k {
            if counts[j] == 0 {
                let far = (0..n)
                    .filter(|&i| !taken[i])
                    .max_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(b.cmp(&a)));
                if let Some(i) = far {
                    taken[i] = true;
                    let old = labels[i];
                    counts[old] = counts[old].saturating_sub(1);
                    for (s, x) in sums[old].iter_mut().zip(points.row(i)) {
                        *s -= x;
                    }
                    sums[j] = points.row(i).to_vec();
                    counts[j] = 1;
                    labels[i] = j;
                    changed = true;
                }
            }
        }
        let mut shift = 0.0;
        for j in 0..k {
            if counts[j] > 0 {
                let new: Vec<f64> = sums[j].iter().map(|s| s / counts[j] as f64).collect();
                shift += squared_distance(&new, &centers[j]);
                centers[j] = new;
            }
        }
        if !changed || shift <= tol {
            break;
        }
    }
    // Labels consistent with the final centers (scikit-learn's last E-step).
    let mut inertia = 0.0;
    for (i, label) in labels.iter_mut().enumerate() {
        let (j, dd) = nearest(&centers, points.row(i));
        *label = j;
        inertia += dd;
    }
    (centers, labels, inertia, iterations)
}

/// A fitted [`KMeans`] (scikit-learn's `cluster_centers_`, `inertia_`, `n_iter_`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedKMeans {
    /// The clustered columns, in fit order.
    pub columns: Vec<String>,
    /// One centroid per cluster, values in the order of `columns`.
    pub cluster_centers: Vec<Vec<f64>>,
    /// Sum of squared distances of the fitted rows to their centroid.
    pub inertia: f64,
    /// Lloyd iterations of the winning run.
    pub n_iter: usize,
    /// Name of the cluster id column.
    pub output: String,
    /// Whether the distances are output too.
    pub distances: bool,
}

#[typetag::serde(name = "kmeans")]
impl FeatureTransform for KMeans {
    fn fit(&self, table: &RecordBatch) -> Result<Box<dyn FittedTransform>> {
        self.validate()?;
        let schema = table.schema();
        let columns = self.columns.resolve(&schema)?;
        if columns.is_empty() {
            return Err(Error::EmptyInput {
                context: "KMeans selected no columns: name numeric columns to cluster on".into(),
            });
        }
        let mut values = Vec::with_capacity(columns.len());
        for name in &columns {
            let i = index_of(&schema, name)?;
            check_numeric(name, schema.field(i).data_type())?;
            values.push(as_f64_array(name, column(table, name)?)?);
        }
        let d = columns.len();
        let mut data = Vec::with_capacity(table.num_rows() * d);
        for row in 0..table.num_rows() {
            let start = data.len();
            let mut complete = true;
            for (name, array) in columns.iter().zip(&values) {
                match array.is_valid(row).then(|| array.value(row)) {
                    Some(x) if x.is_infinite() => {
                        return Err(Error::InvalidValue {
                            column: name.clone(),
                            row,
                            value: x.to_string(),
                            hint: "KMeans cannot fit on infinite values: replace or filter them first (Clip, Filter)"
                                .into(),
                        })
                    }
                    Some(x) if !x.is_nan() => data.push(x),
                    _ => complete = false,
                }
            }
            if !complete {
                data.truncate(start);
            }
        }
        let points = Points { data: &data, d };
        let n = points.len();
        if n < self.n_clusters {
            return Err(Error::InvalidData(format!(
                "KMeans needs at least n_clusters = {} complete rows (no missing value in {columns:?}); \
                 the table has {n}",
                self.n_clusters
            )));
        }
        // tol is relative to the mean column variance (scikit-learn's `_tolerance`).
        let mean_variance = (0..d)
            .map(|j| {
                let mean = (0..n).map(|i| points.row(i)[j]).sum::<f64>() / n as f64;
                (0..n).map(|i| (points.row(i)[j] - mean).powi(2)).sum::<f64>() / n as f64
            })
            .sum::<f64>()
            / d as f64;
        let tol = self.tol * mean_variance;
        let mut rng = Rng::new(self.seed);
        let mut best: Option<(Vec<Vec<f64>>, f64, usize)> = None;
        for _ in 0..self.n_init {
            let init = match self.init {
                KMeansInit::KMeansPlusPlus => init_plus_plus(&points, self.n_clusters, &mut rng),
                KMeansInit::Random => init_random(&points, self.n_clusters, &mut rng),
            };
            let (centers, _, inertia, iterations) = lloyd(&points, init, self.max_iter, tol);
            if best.as_ref().is_none_or(|(_, b, _)| inertia < *b) {
                best = Some((centers, inertia, iterations));
            }
        }
        let Some((cluster_centers, inertia, n_iter)) = best else {
            return Err(Error::Training {
                model: "KMeans".into(),
                reason: "no run finished".into(),
            });
        };
        let fitted = FittedKMeans {
            columns,
            cluster_centers,
            inertia,
            n_iter,
            output: self.output.clone(),
            distances: self.distances,
        };
        fitted.output_schema(&schema)?;
        Ok(Box::new(fitted))
    }
}

impl FittedKMeans {
    /// The cluster of each row of `x` (values in the order of `columns`) and its distances.
    fn assign(&self, x: &[f64]) -> (usize, f64) {
        nearest(&self.cluster_centers, x)
    }

    /// Cluster ids of the rows of `table` (null for a row with a missing value).
    ///
    /// # Errors
    /// A missing or non-numeric column.
    pub fn predict(&self, table: &RecordBatch) -> Result<Vec<Option<usize>>> {
        let rows = self.rows(table)?;
        Ok(rows
            .iter()
            .map(|r| r.as_ref().map(|x| self.assign(x).0))
            .collect())
    }

    /// Per row, the selected values, or `None` when one is missing.
    fn rows(&self, table: &RecordBatch) -> Result<Vec<Option<Vec<f64>>>> {
        let mut arrays = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            let schema = table.schema();
            let i = index_of(&schema, name)?;
            check_numeric(name, schema.field(i).data_type())?;
            arrays.push(as_f64_array(name, column(table, name)?)?);
        }
        Ok((0..table.num_rows())
            .map(|row| {
                arrays
                    .iter()
                    .map(|a| a.is_valid(row).then(|| a.value(row)).filter(|x| !x.is_nan()))
                    .collect::<Option<Vec<f64>>>()
            })
            .collect())
    }

    fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::new(&self.output, DataType::Int64, true)];
        if self.distances {
            fields.extend(
                (0..self.cluster_centers.len())
                    .map(|j| Field::new(format!("{}_distance_{j}", self.output), DataType::Float64, true)),
            );
        }
        fields
    }

    /// The input positions of the columns, ascending, after checking them, and a check
    /// that no output name collides with a column passed through.
    fn positions(&self, input: &Schema) -> Result<Vec<usize>> {
        let mut positions = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            let i = index_of(input, name)?;
            check_numeric(name, input.field(i).data_type())?;
            positions.push(i);
        }
        positions.sort_unstable();
        for f in self.fields() {
            if let Ok(i) = index_of(input, f.name()) {
                if !positions.contains(&i) {
                    return Err(Error::param(
                        "output",
                        f.name(),
                        format!(
                            "the input already has a column `{}`: choose another output name",
                            f.name()
                        ),
                    ));
                }
            }
        }
        Ok(positions)
    }
}

#[typetag::serde(name = "kmeans")]
impl FittedTransform for FittedKMeans {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        let positions = self.positions(input)?;
        let replacements = positions
            .iter()
            .enumerate()
            .map(|(k, &i)| (i, if k == 0 { self.fields() } else { Vec::new() }))
            .collect();
        Ok(splice_fields(input, replacements))
    }

    fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let positions = self.positions(table.schema_ref())?;
        let rows = self.rows(table)?;
        let k = self.cluster_centers.len();
        let mut ids = Vec::with_capacity(rows.len());
        let mut distances: Vec<Vec<Option<f64>>> =
            vec![Vec::with_capacity(rows.len()); if self.distances { k } else { 0 }];
        for row in &rows {
            match row {
                Some(x) => {
                    ids.push(Some(self.assign(x).0 as i64));
                    for (column, c) in distances.iter_mut().zip(&self.cluster_centers) {
                        column.push(Some(squared_distance(x, c).sqrt()));
                    }
                }
                None => {
                    ids.push(None);
                    for column in distances.iter_mut() {
                        column.push(None);
                    }
                }
            }
        }
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(ids))];
        arrays.extend(
            distances
                .into_iter()
                .map(|d| Arc::new(Float64Array::from(d)) as ArrayRef),
        );
        let new: Vec<(Field, ArrayRef)> = self.fields().into_iter().zip(arrays).collect();
        let mut new = Some(new);
        let replacements = positions
            .iter()
            .map(|&i| (i, new.take().unwrap_or_default()))
            .collect();
        splice_columns(table, replacements)
    }

    fn row_transform(&self, input: &SchemaRef) -> Result<Option<Box<dyn RowTransform>>> {
        let positions = self.positions(input)?;
        // Where each clustered column sits in the input, in `columns` order.
        let mut at = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            at.push(index_of(input, name)?);
        }
        Ok(Some(Box::new(KMeansRow {
            inner: self.clone(),
            at,
            first: positions.first().copied().unwrap_or(0),
            width: input.fields().len(),
        })))
    }
}

/// The single-row form of a [`FittedKMeans`].
#[derive(Debug)]
struct KMeansRow {
    inner: FittedKMeans,
    /// Input position of each clustered column, in `columns` order.
    at: Vec<usize>,
    /// Where the outputs go (the first clustered position).
    first: usize,
    /// The number of input values.
    width: usize,
}

impl RowTransform for KMeansRow {
    fn apply(&self, row: &mut Vec<Value>) -> Result<()> {
        if row.len() != self.width {
            return Err(Error::InvalidData(format!(
                "row has {} values but the schema has {} columns",
                row.len(),
                self.width
            )));
        }
        let mut x = Vec::with_capacity(self.at.len());
        for (name, &i) in self.inner.columns.iter().zip(&self.at) {
            match row.get(i) {
                Some(Value::Null) | None => break,
                Some(v) => match v.as_f64() {
                    Some(f) if f.is_nan() => break,
                    Some(f) => x.push(f),
                    None => return Err(Error::column_type(name, "a numeric value", v.type_name())),
                },
            }
        }
        let k = self.inner.cluster_centers.len();
        let mut outputs = Vec::with_capacity(1 + k);
        if x.len() == self.at.len() {
            outputs.push(Value::Int(self.inner.assign(&x).0 as i64));
            if self.inner.distances {
                outputs.extend(
                    self.inner
                        .cluster_centers
                        .iter()
                        .map(|c| Value::Float(squared_distance(&x, c).sqrt())),
                );
            }
        } else {
            outputs.push(Value::Null);
            if self.inner.distances {
                outputs.extend((0..k).map(|_| Value::Null));
            }
        }
        let mut out = Vec::with_capacity(row.len() + outputs.len());
        let mut outputs = Some(outputs);
        for (i, value) in row.drain(..).enumerate() {
            if i == self.first {
                out.extend(outputs.take().unwrap_or_default());
            } else if !self.at.contains(&i) {
                out.push(value);
            }
        }
        *row = out;
        Ok(())
    }
}
