//! [`Design`]: a model input matrix whose one-hot blocks stay as category codes.
//!
//! A one-hot encoded column of cardinality `k` is `k` columns that are zero but for one
//! entry per row. Stored dense, 1,000,000 rows of four such columns (10, 50, 200 and
//! 1,000 categories) take 10 GB and every model pass reads all of it; stored as codes
//! they take 16 MB, and a linear model scores a row in `dense columns + blocks`
//! operations instead of `all columns`. The pipeline builds a `Design` whenever its
//! last transform can say which of its outputs are one-hot blocks
//! ([`FittedTransform::sparse_transform`](crate::features::FittedTransform::sparse_transform)),
//! and models that understand it ([`Model::predict_design`](crate::train::Model::predict_design),
//! [`Trainer::fit_design`](crate::train::Trainer::fit_design)) never densify it.

use std::ops::Range;

use ndarray::{s, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};

use crate::error::{Error, Result};

/// The code of a row whose one-hot block is all zeros (an ignored unknown category or a
/// dropped one).
pub const NO_CODE: u32 = u32::MAX;

/// One one-hot block of a [`Design`]: features `offset..offset + width`, of which the
/// one at `offset + codes[row]` is 1 and the others 0 (all 0 for [`NO_CODE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CodeBlock {
    /// The feature index of the block's first column.
    pub offset: usize,
    /// The number of columns in the block.
    pub width: usize,
    /// One code per row, `< width` or [`NO_CODE`].
    pub codes: Vec<u32>,
}

/// A feature matrix made of dense columns and one-hot [`CodeBlock`]s.
///
/// Every feature index `0..n_features` is covered exactly once, either by a dense column
/// (`dense.column(j)` is feature `dense_at[j]`) or by a block.
///
/// ```
/// use ferrops::data::{CodeBlock, Design, NO_CODE};
/// use ndarray::array;
/// // features: [x, color=red, color=blue]
/// let d = Design::new(array![[0.5], [2.0]], vec![0], vec![CodeBlock { offset: 1, width: 2, codes: vec![1, NO_CODE] }])?;
/// assert_eq!(d.to_dense(), array![[0.5, 0.0, 1.0], [2.0, 0.0, 0.0]]);
/// # Ok::<(), ferrops::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    n_rows: usize,
    n_features: usize,
    dense: Array2<f64>,
    dense_at: Vec<usize>,
    blocks: Vec<CodeBlock>,
    /// The dense columns and blocks in feature order.
    parts: Vec<Part>,
}

/// A dense column (index into `dense`) or a block (index into `blocks`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// Column `j` of the dense matrix.
    Dense(usize),
    /// Block `b`.
    Block(usize),
}

impl Design {
    /// A design with no blocks: every column of `x` dense, in order.
    pub fn from_dense(x: Array2<f64>) -> Design {
        let d = x.ncols();
        Design {
            n_rows: x.nrows(),
            n_features: d,
            dense: x,
            dense_at: (0..d).collect(),
            blocks: Vec::new(),
            parts: (0..d).map(Part::Dense).collect(),
        }
    }

    /// Assemble a design (`dense` has one row per row of the design, even with no
    /// columns: `Array2::zeros((rows, 0))`), checking that the dense columns and blocks cover every feature
    /// exactly once and that every code fits its block.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the inconsistency.
    pub fn new(dense: Array2<f64>, dense_at: Vec<usize>, blocks: Vec<CodeBlock>) -> Result<Design> {
        let n_rows = dense.nrows();
        if dense_at.len() != dense.ncols() {
            return Err(Error::InvalidData(format!(
                "design: {} dense columns but {} feature positions",
                dense.ncols(),
                dense_at.len()
            )));
        }
        let n_features = dense_at.len() + blocks.iter().map(|b| b.width).sum::<usize>();
        let mut owner: Vec<Option<Part>> = vec![None; n_features];
        let mut claim = |feature: usize, part: Part| -> Result<()> {
            match owner.get_mut(feature) {
                Some(slot @ None) => {
                    *slot = Some(part);
                    Ok(())
                }
                _ => Err(Error::InvalidData(format!(
                    "design: feature {feature} is out of range or covered twice"
                ))),
            }
        };
        for (j, &at) in dense_at.iter().enumerate() {
            claim(at, Part::Dense(j))?;
        }
        for (b, block) in blocks.iter().enumerate() {
            if block.codes.len() != n_rows {
                return Err(Error::InvalidData(format!(
                    "design: block at feature {} has {} codes for {} rows",
                    block.offset,
                    block.codes.len(),
                    n_rows
                )));
            }
            if let Some(bad) = block
                .codes
                .iter()
                .find(|&&c| c != NO_CODE && c as usize >= block.width)
            {
                return Err(Error::InvalidData(format!(
                    "design: code {bad} in a block of width {}",
                    block.width
                )));
            }
            for f in block.offset..block.offset + block.width {
                claim(f, Part::Block(b))?;
            }
        }
        let mut parts = Vec::with_capacity(dense_at.len() + blocks.len());
        let mut last = None;
        for part in owner.into_iter().flatten() {
            if last != Some(part) || matches!(part, Part::Dense(_)) {
                parts.push(part);
            }
            last = Some(part);
        }
        Ok(Design {
            n_rows,
            n_features,
            dense,
            dense_at,
            blocks,
            parts,
        })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of features (dense columns plus the widths of the blocks).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The dense columns, `(rows, dense columns)`.
    pub fn dense(&self) -> ArrayView2<'_, f64> {
        self.dense.view()
    }

    /// The feature index of each dense column.
    pub fn dense_at(&self) -> &[usize] {
        &self.dense_at
    }

    /// The one-hot blocks.
    pub fn blocks(&self) -> &[CodeBlock] {
        &self.blocks
    }

    /// The dense columns and blocks in feature order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether the design has at least one block.
    pub fn is_sparse(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// The dense `(rows, features)` matrix (column-major). This is what a model that does
    /// not understand blocks gets: it can be large.
    pub fn to_dense(&self) -> Array2<f64> {
        let mut x = Array2::<f64>::zeros((self.n_rows, self.n_features).f());
        for (j, &at) in self.dense_at.iter().enumerate() {
            x.column_mut(at).assign(&self.dense.column(j));
        }
        for block in &self.blocks {
            for (row, &code) in block.codes.iter().enumerate() {
                if code != NO_CODE {
                    x[[row, block.offset + code as usize]] = 1.0;
                }
            }
        }
        x
    }

    /// Stack designs with the same layout (as made by the same pipeline) row-wise.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if the layouts differ or `parts` is empty.
    pub fn concat(parts: Vec<Design>) -> Result<Design> {
        let mut iter = parts.into_iter();
        let Some(mut first) = iter.next() else {
            return Err(Error::InvalidData("design: nothing to concatenate".into()));
        };
        let rest: Vec<Design> = iter.collect();
        if rest.is_empty() {
            return Ok(first);
        }
        let same_layout = |d: &Design| {
            d.dense_at == first.dense_at
                && d.blocks.len() == first.blocks.len()
                && d.blocks
                    .iter()
                    .zip(&first.blocks)
                    .all(|(a, b)| a.offset == b.offset && a.width == b.width)
        };
        if !rest.iter().all(same_layout) {
            return Err(Error::InvalidData("design: chunks have different layouts".into()));
        }
        let views: Vec<ArrayView2<f64>> = std::iter::once(first.dense.view())
            .chain(rest.iter().map(|d| d.dense.view()))
            .collect();
        let total: usize = views.iter().map(|v| v.nrows()).sum();
        let mut dense = Array2::<f64>::zeros((total, first.dense.ncols()).f());
        let mut start = 0;
        for v in &views {
            dense.slice_mut(s![start..start + v.nrows(), ..]).assign(v);
            start += v.nrows();
        }
        for (b, block) in first.blocks.iter_mut().enumerate() {
            block.codes.reserve(total - block.codes.len());
            for d in &rest {
                if let Some(other) = d.blocks.get(b) {
                    block.codes.extend_from_slice(&other.codes);
                }
            }
        }
        first.n_rows = total;
        first.dense = dense;
        Ok(first)
    }

    /// Decision values of a linear model on rows `rows`: `x · coefᵀ + intercept`,
    /// `(rows, outputs)`, summed in feature order with the intercept last (the same
    /// order as a dense row, so the values are bit-identical to the single-row path).
    pub(crate) fn linear_scores(
        &self,
        rows: Range<usize>,
        coef: ArrayView2<f64>,
        intercept: ArrayView1<f64>,
    ) -> Array2<f64> {
        let m = rows.len();
        let mut out = Array2::<f64>::zeros((m, coef.nrows()).f());
        for (k, mut column) in out.axis_iter_mut(Axis(1)).enumerate() {
            let w = coef.row(k);
            let Some(z) = column.as_slice_mut() else {
                continue;
            };
            self.add_scores(rows.clone(), w, z);
            let b = intercept.get(k).copied().unwrap_or(f64::NAN);
            z.iter_mut().for_each(|v| *v += b);
        }
        out
    }

    /// `z[i] += x[rows.start + i] · w`, in feature order.
    pub(crate) fn add_scores(&self, rows: Range<usize>, w: ArrayView1<f64>, z: &mut [f64]) {
        let mut run: Vec<(f64, &[f64])> = Vec::with_capacity(4);
        for part in &self.parts {
            match *part {
                Part::Dense(j) => {
                    let x = self.dense.slice(s![rows.clone(), j]);
                    match x.to_slice() {
                        Some(x) => {
                            run.push((w[self.dense_at[j]], x));
                            if run.len() == 4 {
                                add_columns(z, &run);
                                run.clear();
                            }
                        }
                        None => {
                            add_columns(z, &run);
                            run.clear();
                            let wj = w[self.dense_at[j]];
                            z.iter_mut().zip(x.iter()).for_each(|(z, x)| *z += wj * x);
                        }
                    }
                }
                Part::Block(b) => {
                    add_columns(z, &run);
                    run.clear();
                    let block = &self.blocks[b];
                    let wb = &w.slice(s![block.offset..block.offset + block.width]);
                    let wb = wb.as_slice();
                    for (z, &code) in z.iter_mut().zip(&block.codes[rows.clone()]) {
                        if code != NO_CODE {
                            *z += match wb {
                                Some(wb) => wb[code as usize],
                                None => w[block.offset + code as usize],
                            };
                        }
                    }
                }
            }
        }
        add_columns(z, &run);
    }

    /// `grad[f] += Σ_i r[i] · x[rows.start + i, f]` for every feature `f` (`xᵀ r`).
    pub(crate) fn add_transpose_product(&self, rows: Range<usize>, r: &[f64], grad: &mut [f64]) {
        let columns: Vec<(usize, ndarray::ArrayView1<f64>)> = self
            .dense_at
            .iter()
            .enumerate()
            .map(|(j, &at)| (at, self.dense.slice(s![rows.clone(), j])))
            .collect();
        for group in columns.chunks(4) {
            let slices: Option<Vec<&[f64]>> = group.iter().map(|(_, x)| x.to_slice()).collect();
            match slices.as_deref() {
                Some([a, b, c, d]) => {
                    let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
                    for ((((r, a), b), c), d) in r.iter().zip(*a).zip(*b).zip(*c).zip(*d) {
                        s0 += r * a;
                        s1 += r * b;
                        s2 += r * c;
                        s3 += r * d;
                    }
                    for ((at, _), s) in group.iter().zip([s0, s1, s2, s3]) {
                        grad[*at] += s;
                    }
                }
                _ => {
                    for (at, x) in group {
                        grad[*at] += x.iter().zip(r).fold(0.0, |acc, (x, r)| acc + x * r);
                    }
                }
            }
        }
        for block in &self.blocks {
            let g = &mut grad[block.offset..block.offset + block.width];
            for (&code, &r) in block.codes[rows.clone()].iter().zip(r) {
                if code != NO_CODE {
                    g[code as usize] += r;
                }
            }
        }
    }

    /// The design as compressed sparse rows (scipy's `csr_matrix((data, indices, indptr))`):
    /// zeros of the dense columns are left out, as `scipy.sparse.csr_matrix(dense)` does.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for more than `i32::MAX` features (column indices are
    /// `i32`, scipy's usual index type, so scipy need not copy them).
    // Rows index several columns and code blocks at once: a range loop is the clear form.
    #[allow(clippy::needless_range_loop)]
    pub fn to_csr(&self) -> Result<Csr> {
        if i32::try_from(self.n_features).is_err() {
            return Err(Error::InvalidData(format!(
                "{} features do not fit a sparse matrix with 32-bit column indices",
                self.n_features
            )));
        }
        let columns: Vec<&[f64]> = (0..self.dense.ncols())
            .map(|j| self.dense.column(j).to_slice().unwrap_or_default())
            .collect();
        let contiguous = columns.iter().all(|c| c.len() == self.n_rows);
        let mut data = Vec::with_capacity(self.n_rows * self.parts.len());
        let mut indices = Vec::with_capacity(self.n_rows * self.parts.len());
        let mut indptr = Vec::with_capacity(self.n_rows + 1);
        indptr.push(0);
        for row in 0..self.n_rows {
            for part in &self.parts {
                match *part {
                    Part::Dense(j) => {
                        let v = if contiguous {
                            columns[j][row]
                        } else {
                            self.dense[[row, j]]
                        };
                        if v != 0.0 {
                            data.push(v);
                            indices.push(self.dense_at[j] as i32);
                        }
                    }
                    Part::Block(b) => {
                        let block = &self.blocks[b];
                        let code = block.codes[row];
                        if code != NO_CODE {
                            data.push(1.0);
                            indices.push((block.offset + code as usize) as i32);
                        }
                    }
                }
            }
            indptr.push(data.len() as i64);
        }
        Ok(Csr {
            data,
            indices,
            indptr,
            n_cols: self.n_features,
        })
    }
}

/// `z[i] += w₀ x₀[i]; z[i] += w₁ x₁[i]; …` for up to four columns in one pass: the same
/// additions in the same order as one column at a time, with a quarter of the passes.
fn add_columns(z: &mut [f64], run: &[(f64, &[f64])]) {
    match *run {
        [] => {}
        [(w0, x0), (w1, x1), (w2, x2), (w3, x3)] => {
            for ((((z, a), b), c), d) in z.iter_mut().zip(x0).zip(x1).zip(x2).zip(x3) {
                let mut acc = *z;
                acc += w0 * a;
                acc += w1 * b;
                acc += w2 * c;
                acc += w3 * d;
                *z = acc;
            }
        }
        _ => {
            for &(w, x) in run {
                z.iter_mut().zip(x).for_each(|(z, x)| *z += w * x);
            }
        }
    }
}

/// A matrix in compressed sparse rows, scipy's layout: row `i` has the values
/// `data[indptr[i]..indptr[i + 1]]` in the columns `indices[indptr[i]..indptr[i + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// The stored values.
    pub data: Vec<f64>,
    /// The column of each stored value.
    pub indices: Vec<i32>,
    /// Where each row starts in `data`, plus the end: `rows + 1` entries.
    pub indptr: Vec<i64>,
    /// Number of columns.
    pub n_cols: usize,
}

impl Csr {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Stack matrices with the same number of columns row-wise.
    ///
    /// # Errors
    /// [`Error::InvalidData`] if `parts` is empty or the widths differ.
    pub fn concat(parts: Vec<Csr>) -> Result<Csr> {
        let n_cols = parts
            .first()
            .map(|p| p.n_cols)
            .ok_or_else(|| Error::InvalidData("csr: nothing to concatenate".into()))?;
        if parts.iter().any(|p| p.n_cols != n_cols) {
            return Err(Error::InvalidData("csr: parts of different widths".into()));
        }
        let nnz: usize = parts.iter().map(|p| p.data.len()).sum();
        let rows: usize = parts.iter().map(Csr::n_rows).sum();
        let mut out = Csr {
            data: Vec::with_capacity(nnz),
            indices: Vec::with_capacity(nnz),
            indptr: Vec::with_capacity(rows + 1),
            n_cols,
        };
        out.indptr.push(0);
        for part in parts {
            let base = out.data.len() as i64;
            out.indptr.extend(part.indptr.iter().skip(1).map(|p| p + base));
            out.data.extend_from_slice(&part.data);
            out.indices.extend_from_slice(&part.indices);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> Design {
        // features: [c=a, c=b, x0, d=u, d=v, d=w, x1]
        Design::new(
            array![[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]],
            vec![2, 6],
            vec![
                CodeBlock {
                    offset: 0,
                    width: 2,
                    codes: vec![1, 0, NO_CODE],
                },
                CodeBlock {
                    offset: 3,
                    width: 3,
                    codes: vec![2, NO_CODE, 0],
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn dense_form_and_csr_agree() {
        let d = sample();
        let x = d.to_dense();
        assert_eq!(
            x,
            array![
                [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, -1.0],
                [1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 3.0]
            ]
        );
        let Csr {
            data,
            indices,
            indptr,
            n_cols,
        } = d.to_csr().unwrap();
        assert_eq!(n_cols, 7);
        assert_eq!(indptr, vec![0, 4, 6, 8]);
        let mut rebuilt = Array2::<f64>::zeros((3, 7));
        for row in 0..3 {
            for k in indptr[row] as usize..indptr[row + 1] as usize {
                rebuilt[[row, indices[k] as usize]] = data[k];
            }
        }
        assert_eq!(rebuilt, x);
        let twice = Csr::concat(vec![d.to_csr().unwrap(), d.to_csr().unwrap()]).unwrap();
        assert_eq!(
            twice,
            Design::concat(vec![sample(), sample()])
                .unwrap()
                .to_csr()
                .unwrap()
        );
        assert!(Csr::concat(vec![]).is_err());
    }

    #[test]
    fn scores_and_gradient_match_the_dense_products() {
        let d = sample();
        let x = d.to_dense();
        let coef = array![
            [0.5, -1.5, 2.0, 0.25, 3.0, -0.75, 1.0],
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        ];
        let b = array![0.1, -0.2];
        let got = d.linear_scores(0..3, coef.view(), b.view());
        let want = crate::train::linear_scores(x.view(), coef.view(), b.view());
        assert_eq!(got, want, "bit-identical to the dense path");
        let tail = d.linear_scores(1..3, coef.view(), b.view());
        assert_eq!(tail, want.slice(s![1..3, ..]));
        let r = [0.5, -2.0, 1.0];
        let mut g = vec![0.0; 7];
        d.add_transpose_product(0..3, &r, &mut g);
        let want_g = x.t().dot(&ndarray::arr1(&r));
        assert_eq!(g, want_g.to_vec());
    }

    #[test]
    fn concat_and_layout_checks() {
        let d = Design::concat(vec![sample(), sample()]).unwrap();
        assert_eq!(d.n_rows(), 6);
        let x = sample().to_dense();
        assert_eq!(d.to_dense(), ndarray::concatenate![Axis(0), x, x]);
        let dense = Design::from_dense(array![[1.0, 2.0]]);
        assert!(Design::concat(vec![sample(), dense]).is_err());
        assert!(Design::concat(vec![]).is_err());
        // A feature covered twice, a gap, and a code out of range are refused.
        assert!(Design::new(
            array![[1.0]],
            vec![0],
            vec![CodeBlock {
                offset: 0,
                width: 1,
                codes: vec![0]
            }]
        )
        .is_err());
        assert!(Design::new(array![[1.0]], vec![1], vec![]).is_err());
        assert!(Design::new(
            array![[1.0]],
            vec![0],
            vec![CodeBlock {
                offset: 1,
                width: 1,
                codes: vec![0, 0]
            }]
        )
        .is_err());
        assert!(Design::new(
            array![[1.0]],
            vec![0],
            vec![CodeBlock {
                offset: 1,
                width: 2,
                codes: vec![2]
            }]
        )
        .is_err());
        // Blocks only.
        let only = Design::new(
            Array2::zeros((3, 0)),
            vec![],
            vec![CodeBlock {
                offset: 0,
                width: 2,
                codes: vec![0, 1, NO_CODE],
            }],
        )
        .unwrap();
        assert_eq!(only.n_rows(), 3);
        assert_eq!(only.to_dense(), array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]);
    }
}
