//! The L2-regularised logistic loss over a [`Design`], minimised with argmin's L-BFGS
//! (the optimiser linfa-logistic uses) but evaluated on one-hot codes and in parallel.
//!
//! The objective is scikit-learn's (`LogisticRegression(solver="lbfgs")`):
//!
//! `f(W, b) = (1/S) Σᵢ sᵢ ℓ(xᵢ Wᵀ + b, yᵢ) + ‖W‖² / (2 C S)`, `S = Σᵢ sᵢ`
//!
//! with `ℓ` the binary log-loss (one row of `W`) or the multinomial one (one row per
//! class), sample weights `sᵢ` (1 without weights) and an unpenalised intercept. Rows are
//! evaluated in fixed chunks in parallel and the chunk sums added in chunk order, so the
//! result is bit-identical whatever the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argmin::core::{
    CostFunction, Executor, Gradient, IterState, Problem, Solver, State, TerminationReason,
    TerminationStatus, KV,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;

use crate::data::Design;
use crate::error::{Error, Result};

/// Rows per parallel chunk of a loss evaluation.
const CHUNK_ROWS: usize = 8_192;

/// L-BFGS history length (scikit-learn's and linfa's choice).
const HISTORY: usize = 10;

/// The most objective evaluations one L-BFGS iteration (its line search) may take:
/// scipy's `maxls`, which scikit-learn's lbfgs keeps at 20. argmin's More–Thuente line
/// search has no such limit and can cycle forever once the objective is flat to machine
/// precision (a very small `tol`); past the limit the solver stops at the last iterate,
/// reported as not converged, as scipy's `ABNORMAL_TERMINATION_IN_LNSRCH` does.
const MAX_LINE_SEARCH: usize = 20;

/// A logistic regression problem.
pub(crate) struct LogisticProblem<'a> {
    pub x: &'a Design,
    /// Class codes, one per row.
    pub y: ArrayView1<'a, usize>,
    /// Sample weights, one per row.
    pub weights: Option<ArrayView1<'a, f64>>,
    /// Number of classes (2 means one output with a sigmoid).
    pub n_classes: usize,
    pub c: f64,
    pub fit_intercept: bool,
}

/// What the solver returns.
pub(crate) struct Solution {
    /// `(outputs, features)`.
    pub coef: Array2<f64>,
    /// One per output.
    pub intercept: Array1<f64>,
    /// L-BFGS iterations run.
    pub iterations: u64,
    /// Whether the gradient tolerance was met (else the iteration limit stopped it).
    pub converged: bool,
}

/// A point, the objective there and its gradient.
type Evaluation = (Array1<f64>, f64, Array1<f64>);

struct Objective<'p, 'a> {
    problem: &'p LogisticProblem<'a>,
    outputs: usize,
    d: usize,
    /// `1 / S`.
    scale: f64,
    /// `1 / (C S)`.
    l2: f64,
    /// The last point evaluated: argmin asks for the cost and the gradient separately.
    cache: Mutex<Option<Evaluation>>,
    /// The caller's cancellation token, checked at every evaluation.
    cancel: Option<crate::cancel::CancelToken>,
    /// New points evaluated in the current iteration (reset by [`MaxNormStop`]).
    evaluations: Arc<AtomicUsize>,
}

/// `(log(1 + eᶻ), 1 / (1 + e⁻ᶻ))`, stable for any `z`, with one `exp`.
fn softplus_and_sigmoid(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    // `ln(1 + e)` rather than `ln_1p(e)`: 3x faster, and for tiny `e` the absolute error
    // (what the summed loss sees) stays below 1e-16.
    let softplus = z.max(0.0) + (1.0 + e).ln();
    let sigmoid = if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
    (softplus, sigmoid)
}

impl Objective<'_, '_> {
    fn checked(&self, p: &Array1<f64>) -> std::result::Result<(f64, Array1<f64>), argmin::core::Error> {
        if self.cancel.as_ref().is_some_and(|t| t.is_cancelled()) {
            return Err(argmin::core::Error::msg("cancelled"));
        }
        if let Ok(cache) = self.cache.lock() {
            if let Some((at, f, g)) = cache.as_ref() {
                if at == p {
                    return Ok((*f, g.clone()));
                }
            }
        }
        if self.evaluations.fetch_add(1, Ordering::Relaxed) >= MAX_LINE_SEARCH {
            return Err(argmin::core::Error::msg(format!(
                "the line search took more than {MAX_LINE_SEARCH} evaluations"
            )));
        }
        Ok(self.evaluate(p))
    }

    fn evaluate(&self, p: &Array1<f64>) -> (f64, Array1<f64>) {
        let (f, g) = self.compute(p);
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((p.clone(), f, g.clone()));
        }
        (f, g)
    }

    fn compute(&self, p: &Array1<f64>) -> (f64, Array1<f64>) {
        let (k, d) = (self.outputs, self.d);
        let n = self.problem.x.n_rows();
        let coef = p.slice(s![..k * d]);
        let coef = coef
            .to_shape((k, d))
            .map(|v| v.to_owned())
            .unwrap_or_else(|_| Array2::zeros((k, d)));
        let intercept = p.slice(s![k * d..]).to_owned();
        let starts: Vec<usize> = (0..n).step_by(CHUNK_ROWS).collect();
        let parts: Vec<(f64, Vec<f64>)> = starts
            .into_par_iter()
            .map(|start| self.chunk(start..(start + CHUNK_ROWS).min(n), coef.view(), intercept.view()))
            .collect();
        let mut loss = 0.0;
        let mut grad = Array1::<f64>::zeros(k * d + k);
        for (l, g) in parts {
            loss += l;
            grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        }
        loss *= self.scale;
        grad *= self.scale;
        let mut penalty = 0.0;
        for (g, w) in grad.iter_mut().zip(coef.iter()) {
            penalty += w * w;
            *g += self.l2 * w;
        }
        loss += 0.5 * self.l2 * penalty;
        if !self.problem.fit_intercept {
            grad.slice_mut(s![k * d..]).fill(0.0);
        }
        (loss, grad)
    }

    /// The weighted loss sum and gradient (unscaled, unpenalised) over `rows`.
    fn chunk(
        &self,
        rows: std::ops::Range<usize>,
        coef: ArrayView2<f64>,
        intercept: ArrayView1<f64>,
    ) -> (f64, Vec<f64>) {
        let (k, d) = (self.outputs, self.d);
        let m = rows.len();
        let x = self.problem.x;
        // Scores, class-major: z[c * m + i]; then turned into residuals in place.
        let mut z = vec![0.0; m * k];
        for (c, zc) in z.chunks_mut(m.max(1)).enumerate().take(k) {
            x.add_scores(rows.clone(), coef.row(c), zc);
            let b = intercept[c];
            zc.iter_mut().for_each(|v| *v += b);
        }
        let y = self.problem.y.slice(s![rows.clone()]);
        let weight = |i: usize| self.problem.weights.map_or(1.0, |w| w[rows.start + i]);
        let mut loss = 0.0;
        if k == 1 {
            for (i, (zi, &yi)) in z.iter_mut().zip(y.iter()).enumerate() {
                let s = weight(i);
                let t = if yi == 1 { 1.0 } else { 0.0 };
                let (softplus, sigmoid) = softplus_and_sigmoid(*zi);
                loss += s * (softplus - t * *zi);
                *zi = s * (sigmoid - t);
            }
        } else {
            let mut row = vec![0.0; k];
            for (i, &yi) in y.iter().enumerate() {
                let s = weight(i);
                for (c, r) in row.iter_mut().enumerate() {
                    *r = z[c * m + i];
                }
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z_y = row[yi.min(k - 1)];
                let mut sum = 0.0;
                for r in row.iter_mut() {
                    *r = (*r - max).exp();
                    sum += *r;
                }
                loss += s * (max + sum.ln() - z_y);
                for (c, e) in row.iter().enumerate() {
                    let target = if c == yi { 1.0 } else { 0.0 };
                    z[c * m + i] = s * (e / sum - target);
                }
            }
        }
        let mut grad = vec![0.0; k * d + k];
        for c in 0..k {
            let r = &z[c * m..(c + 1) * m];
            x.add_transpose_product(rows.clone(), r, &mut grad[c * d..(c + 1) * d]);
            grad[k * d + c] = r.iter().sum();
        }
        (loss, grad)
    }
}

impl CostFunction for Objective<'_, '_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.checked(p)?.0)
    }
}

impl Gradient for Objective<'_, '_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.checked(p)?.1)
    }
}

/// Minimise the objective from zero coefficients.
pub(crate) fn solve(problem: &LogisticProblem<'_>, max_iter: u64, tol: f64) -> Result<Solution> {
    let n = problem.x.n_rows();
    let d = problem.x.n_features();
    let outputs = if problem.n_classes == 2 {
        1
    } else {
        problem.n_classes
    };
    if problem.y.len() != n || problem.weights.is_some_and(|w| w.len() != n) {
        return Err(Error::InvalidData(format!(
            "{n} rows but {} targets / weights",
            problem.y.len()
        )));
    }
    if let Some(bad) = problem.y.iter().find(|&&y| y >= problem.n_classes) {
        return Err(Error::InvalidData(format!(
            "class code {bad} with {} classes",
            problem.n_classes
        )));
    }
    let total_weight = problem.weights.map_or(n as f64, |w| w.sum());
    if !(total_weight > 0.0 && total_weight.is_finite()) {
        return Err(Error::InvalidData("the sample weights sum to zero".into()));
    }
    let objective = Objective {
        problem,
        outputs,
        d,
        scale: 1.0 / total_weight,
        l2: 1.0 / (problem.c * total_weight),
        cache: Mutex::new(None),
        cancel: crate::cancel::current(),
        evaluations: Arc::new(AtomicUsize::new(0)),
    };
    let cancel = objective.cancel.clone();
    let evaluations = objective.evaluations.clone();
    // argmin's own tests (L2 norm of the gradient, cost change) are switched off: the
    // wrapper stops on the largest gradient component, as scipy / scikit-learn do.
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), HISTORY)
        .with_tolerance_grad(0.0)
        .map_err(training_error)?
        .with_tolerance_cost(0.0)
        .map_err(training_error)?;
    let solver = MaxNormStop {
        inner: lbfgs,
        tol,
        evaluations,
    };
    let init = Array1::<f64>::zeros(outputs * d + outputs);
    let result = Executor::new(objective, solver)
        .configure(|state| state.param(init).max_iters(max_iter))
        .run()
        .map_err(|e| match &cancel {
            Some(token) if token.is_cancelled() => Error::Cancelled,
            _ => training_error(e),
        })?;
    // argmin's L-BFGS turns an error inside its line search (our cancellation check)
    // into a normal stop, so look at the token as well.
    if cancel.as_ref().is_some_and(|t| t.is_cancelled()) {
        return Err(Error::Cancelled);
    }
    let state = result.state();
    let converged = matches!(
        state.get_termination_status(),
        TerminationStatus::Terminated(TerminationReason::SolverConverged)
    );
    let iterations = state.get_iter();
    let best = state
        .get_best_param()
        .or(state.get_param())
        .cloned()
        .ok_or_else(|| training_error("the solver returned no parameters"))?;
    if best.iter().any(|v| !v.is_finite()) {
        return Err(training_error(
            "the solver diverged (non-finite coefficients); scale the features or lower C",
        ));
    }
    let coef = best
        .slice(s![..outputs * d])
        .to_shape((outputs, d))
        .map(|v| v.to_owned())
        .map_err(training_error)?;
    let intercept = best.slice(s![outputs * d..]).to_owned();
    Ok(Solution {
        coef,
        intercept,
        iterations,
        converged,
    })
}

type LbfgsState = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

/// An argmin solver that stops when every component of the gradient is at most `tol` in
/// absolute value: scipy's `gtol`, which scikit-learn sets to its `tol` for lbfgs.
///
/// It also starts each iteration's count of objective evaluations (see
/// [`MAX_LINE_SEARCH`]).
struct MaxNormStop<S> {
    inner: S,
    tol: f64,
    evaluations: Arc<AtomicUsize>,
}

impl<O, S: Solver<O, LbfgsState>> Solver<O, LbfgsState> for MaxNormStop<S> {
    fn name(&self) -> &str {
        "L-BFGS"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: LbfgsState,
    ) -> std::result::Result<(LbfgsState, Option<KV>), argmin::core::Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: LbfgsState,
    ) -> std::result::Result<(LbfgsState, Option<KV>), argmin::core::Error> {
        self.evaluations.store(0, Ordering::Relaxed);
        self.inner.next_iter(problem, state)
    }

    fn terminate(&mut self, state: &LbfgsState) -> TerminationStatus {
        match state.get_gradient() {
            Some(g) if g.iter().all(|v| v.abs() <= self.tol) => {
                TerminationStatus::Terminated(TerminationReason::SolverConverged)
            }
            _ => self.inner.terminate(state),
        }
    }
}

pub(super) fn training_error(e: impl std::fmt::Display) -> Error {
    Error::Training {
        model: "LogisticRegression".into(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use ndarray::array;

    /// The analytic gradient agrees with central finite differences of the cost.
    #[test]
    fn gradient_matches_finite_differences() {
        let x = Design::from_dense(array![
            [0.5, -1.0],
            [1.5, 0.3],
            [-0.7, 2.0],
            [0.1, 0.1],
            [2.0, -0.5]
        ]);
        let y = array![0usize, 1, 2, 1, 0];
        let w = array![1.0, 0.5, 2.0, 1.0, 0.0];
        for (n_classes, y) in [(2, y.mapv(|v| v.min(1))), (3, y.clone())] {
            let problem = LogisticProblem {
                x: &x,
                y: y.view(),
                weights: Some(w.view()),
                n_classes,
                c: 0.7,
                fit_intercept: true,
            };
            let outputs = if n_classes == 2 { 1 } else { n_classes };
            let objective = Objective {
                problem: &problem,
                outputs,
                d: 2,
                scale: 1.0 / w.sum(),
                l2: 1.0 / (0.7 * w.sum()),
                cache: Mutex::new(None),
                cancel: None,
                evaluations: Arc::new(AtomicUsize::new(0)),
            };
            let p = Array1::from_iter((0..outputs * 3).map(|i| 0.3 * (i as f64) - 0.4));
            let (_, g) = objective.compute(&p);
            for i in 0..p.len() {
                let h = 1e-6;
                let mut up = p.clone();
                up[i] += h;
                let mut down = p.clone();
                down[i] -= h;
                let numeric = (objective.compute(&up).0 - objective.compute(&down).0) / (2.0 * h);
                assert!(
                    (numeric - g[i]).abs() < 1e-7,
                    "{n_classes} classes, param {i}: {numeric} vs {}",
                    g[i]
                );
            }
        }
    }

    /// A tolerance below what floating point can reach used to make argmin's line search
    /// cycle forever; the evaluation budget stops it, not converged, at a good optimum.
    #[test]
    fn unreachable_tolerance_stops_instead_of_hanging() {
        let rows: Vec<[f64; 2]> = (0..200)
            .map(|i| {
                let t = f64::from(i) / 200.0;
                [(t * 12.9).sin() * 3.0 + t, (t * 7.3).cos() * 40.0]
            })
            .collect();
        let x = Design::from_dense(Array2::from_shape_fn((200, 2), |(i, j)| rows[i][j]));
        let y = Array1::from_iter((0..200).map(|i| usize::from((i * 37) % 11 < 6)));
        let problem = LogisticProblem {
            x: &x,
            y: y.view(),
            weights: None,
            n_classes: 2,
            c: 1.0,
            fit_intercept: true,
        };
        let loose = solve(&problem, 10_000, 1e-6).unwrap();
        let tight = solve(&problem, 1_000_000, 0.0).unwrap();
        assert!(!tight.converged);
        assert!(tight.iterations < 1_000_000);
        for (a, b) in loose.coef.iter().zip(tight.coef.iter()) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }
}
