//! Logistic regression (binary and multinomial): L-BFGS on scikit-learn's objective
//! (argmin's solver over our own sparse-aware loss, see `logistic_loss`), or
//! linfa-logistic on request.

use linfa::prelude::*;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::logistic_loss::{solve, training_error, LogisticProblem};
use super::{check_width, Model, Predictions, RowPrediction, Trainer};
use crate::data::{ClassLabels, Dataset, Design, DesignDataset, Target, TargetKind};
use crate::error::{Error, Result};

/// L2-regularised logistic regression, binary or multinomial (softmax), as
/// scikit-learn's `LogisticRegression(penalty="l2", solver="lbfgs")`.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `c` | `1.0` | inverse regularisation strength | `> 0`, finite |
/// | `max_iter` | `100` | L-BFGS iterations | `>= 1` |
/// | `tol` | `1e-4` | stop when every component of the objective's gradient is at most `tol` in absolute value (scipy's `gtol`, as scikit-learn) | `> 0` |
/// | `fit_intercept` | `true` | learn a bias term (never penalised) | |
/// | `solver` | `lbfgs` | [`LogisticSolver`] | `lbfgs`, `linfa` |
/// | `class_weight` | none | [`ClassWeight`]: `balanced` or a weight per class label, multiplied into the sample weights (scikit-learn's `class_weight`) | weights finite, `>= 0` |
///
/// Two classes give a binary model; three or more a multinomial one. The default solver
/// minimises scikit-learn's objective, `(1/S) Σ sᵢ ℓᵢ + ‖W‖² / (2 C S)` with sample
/// weights `sᵢ` summing to `S`, by L-BFGS (argmin, the optimiser under linfa-logistic),
/// evaluating the loss on one-hot codes when the pipeline provides them (see
/// [`Design`](crate::data::Design)) and over row chunks in parallel, bit-identically on
/// any number of threads. `solver: linfa` runs linfa-logistic instead: dense input only,
/// no sample weights, and it also penalises the intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogisticRegression {
    /// Inverse regularisation strength.
    pub c: f64,
    /// Maximum L-BFGS iterations.
    pub max_iter: u64,
    /// Gradient tolerance.
    pub tol: f64,
    /// Learn an intercept.
    pub fit_intercept: bool,
    /// The solver.
    pub solver: LogisticSolver,
    /// Class weights, multiplied into the sample weights (`lbfgs` solver only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeight>,
}

/// How a [`LogisticRegression`] is fitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogisticSolver {
    /// L-BFGS on scikit-learn's objective, sparse-aware, parallel, sample weights.
    #[default]
    Lbfgs,
    /// linfa-logistic's L-BFGS: dense input, no sample weights, penalised intercept.
    Linfa,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            c: 1.0,
            max_iter: 100,
            tol: 1e-4,
            fit_intercept: true,
            solver: LogisticSolver::Lbfgs,
            class_weight: None,
        }
    }
}

impl LogisticRegression {
    fn validate(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::param("c", self.c, "must be a finite number > 0"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", self.max_iter, "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::param("tol", self.tol, "must be a finite number > 0"));
        }
        if let Some(class_weight) = &self.class_weight {
            class_weight.validate()?;
            if self.solver == LogisticSolver::Linfa {
                return Err(Error::param(
                    "class_weight",
                    "given",
                    "LogisticRegression(solver=linfa) does not support class weights: use solver lbfgs",
                ));
            }
        }
        Ok(())
    }

    /// The sample weights the solver sees: the given ones times the class weights.
    fn effective_weights(
        &self,
        target: &Target,
        weights: Option<&Array1<f64>>,
    ) -> Result<Option<Array1<f64>>> {
        match (&self.class_weight, target) {
            (Some(class_weight), Target::Classes { codes, labels }) => {
                Ok(Some(class_weight.sample_weights(codes, labels, weights)?))
            }
            _ => Ok(weights.cloned()),
        }
    }
}

/// Per-class weights for classifiers, as scikit-learn's `class_weight`: each row's
/// sample weight (1 without weights) is multiplied by the weight of its class.
///
/// Serialized as `"balanced"` or `{"per_class": [[label, weight], ...]}` with labels
/// as JSON strings, integers or booleans (the target's label type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// `n_samples / (n_classes * count(class))`, scikit-learn's `"balanced"`; with sample
    /// weights, `n_samples` and the counts are sums of sample weights (as scikit-learn
    /// 1.9's `compute_class_weight(..., sample_weight=...)`).
    Balanced,
    /// A weight per class label; classes not named get weight 1. Naming a label that is
    /// not a class of the target is an error.
    PerClass(Vec<(ClassLabel, f64)>),
}

/// A class label as given by the user, to match against the target's labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassLabel {
    /// A boolean label.
    Bool(bool),
    /// An integer label (also for integral float targets).
    Int(i64),
    /// A string label.
    Str(String),
}

impl std::fmt::Display for ClassLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassLabel::Bool(b) => write!(f, "{b}"),
            ClassLabel::Int(i) => write!(f, "{i}"),
            ClassLabel::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl ClassWeight {
    /// Check the weights are finite and non-negative.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `class_weight`.
    pub fn validate(&self) -> Result<()> {
        if let ClassWeight::PerClass(entries) = self {
            for (label, w) in entries {
                if !(w.is_finite() && *w >= 0.0) {
                    return Err(Error::param(
                        "class_weight",
                        format!("{label}: {w}"),
                        "every class weight must be a finite number >= 0",
                    ));
                }
            }
        }
        Ok(())
    }

    /// One weight per class code for a target of `codes` into `labels`, with optional
    /// sample `weights` (used by `balanced` only).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a label that is not a class of the target (or of
    /// another type), a weight that is not finite and `>= 0`, or `balanced` with a class
    /// that has no rows (or only rows of weight 0).
    pub fn per_class(
        &self,
        codes: &Array1<usize>,
        labels: &ClassLabels,
        weights: Option<&Array1<f64>>,
    ) -> Result<Array1<f64>> {
        self.validate()?;
        let k = labels.len();
        match self {
            ClassWeight::Balanced => {
                let mut count = vec![0.0_f64; k];
                for (i, &c) in codes.iter().enumerate() {
                    if let Some(n) = count.get_mut(c) {
                        *n += weights.and_then(|w| w.get(i).copied()).unwrap_or(1.0);
                    }
                }
                let n: f64 = count.iter().sum();
                let names = labels.names();
                count
                    .iter()
                    .enumerate()
                    .map(|(c, &m)| {
                        if m.is_nan() || m <= 0.0 {
                            Err(Error::param(
                                "class_weight",
                                "balanced",
                                format!(
                                    "class {} has no rows, so its balanced weight is undefined",
                                    names.get(c).cloned().unwrap_or_default()
                                ),
                            ))
                        } else {
                            Ok(n / (k as f64 * m))
                        }
                    })
                    .collect()
            }
            ClassWeight::PerClass(entries) => {
                let mut out = Array1::<f64>::ones(k);
                for (label, w) in entries {
                    let code = match (label, labels) {
                        (ClassLabel::Str(s), ClassLabels::Str(v)) => v.iter().position(|l| l == s),
                        (ClassLabel::Int(i), ClassLabels::Int(v)) => v.iter().position(|l| l == i),
                        (ClassLabel::Bool(b), ClassLabels::Bool(v)) => v.iter().position(|l| l == b),
                        _ => None,
                    };
                    match code.and_then(|c| out.get_mut(c)) {
                        Some(slot) => *slot = *w,
                        None => {
                            return Err(Error::param(
                                "class_weight",
                                format!("{label}: {w}"),
                                format!(
                                    "{label} is not a class of the target; the classes are {:?}",
                                    labels.names()
                                ),
                            ))
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// The sample weights of rows `codes` (into `labels`): `weights` (1 when `None`)
    /// times the weight of each row's class.
    ///
    /// # Errors
    /// As [`per_class`](ClassWeight::per_class); [`Error::InvalidData`] when `weights`
    /// has the wrong length or the result sums to 0.
    pub fn sample_weights(
        &self,
        codes: &Array1<usize>,
        labels: &ClassLabels,
        weights: Option<&Array1<f64>>,
    ) -> Result<Array1<f64>> {
        if let Some(w) = weights {
            if w.len() != codes.len() {
                return Err(Error::InvalidData(format!(
                    "{} sample weights for {} rows",
                    w.len(),
                    codes.len()
                )));
            }
        }
        let per_class = self.per_class(codes, labels, weights)?;
        let out: Array1<f64> = codes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let s = weights.and_then(|w| w.get(i).copied()).unwrap_or(1.0);
                s * per_class.get(c).copied().unwrap_or(1.0)
            })
            .collect();
        if out.sum().is_nan() || out.sum() <= 0.0 {
            return Err(Error::InvalidData(
                "the sample weights times the class weights sum to 0: give some class a weight > 0".into(),
            ));
        }
        Ok(out)
    }
}

#[typetag::serde(name = "logistic_regression")]
impl Trainer for LogisticRegression {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Classification
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        self.validate()?;
        match self.solver {
            LogisticSolver::Linfa => self.fit_linfa(data),
            LogisticSolver::Lbfgs => {
                let design = Design::from_dense(data.x.clone());
                let weights = self.effective_weights(&data.target, data.weights.as_ref())?;
                self.fit_lbfgs(&design, &data.target, weights.as_ref())
            }
        }
    }

    fn fit_design(&self, data: DesignDataset) -> Result<Box<dyn Model>> {
        self.validate()?;
        match self.solver {
            LogisticSolver::Linfa => self.fit_linfa(&data.into_dense()),
            LogisticSolver::Lbfgs => {
                let weights = self.effective_weights(&data.target, data.weights.as_ref())?;
                self.fit_lbfgs(&data.x, &data.target, weights.as_ref())
            }
        }
    }
}

impl LogisticRegression {
    fn classes(target: &Target) -> Result<(&Array1<usize>, usize)> {
        match target {
            Target::Classes { codes, labels } => Ok((codes, labels.len())),
            Target::Continuous(_) => Err(Error::InvalidData(
                "LogisticRegression needs a classification target (labels), not real values".into(),
            )),
        }
    }

    fn fit_lbfgs(
        &self,
        x: &Design,
        target: &Target,
        weights: Option<&Array1<f64>>,
    ) -> Result<Box<dyn Model>> {
        let (codes, n_classes) = Self::classes(target)?;
        if x.n_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "no rows to fit LogisticRegression on".into(),
            });
        }
        let problem = LogisticProblem {
            x,
            y: codes.view(),
            weights: weights.map(|w| w.view()),
            n_classes,
            c: self.c,
            fit_intercept: self.fit_intercept,
        };
        let solution = solve(&problem, self.max_iter, self.tol)?;
        Ok(Box::new(LinearClassifier {
            coef: solution.coef,
            intercept: solution.intercept,
            n_iter: Some(solution.iterations),
            converged: Some(solution.converged),
        }))
    }

    fn fit_linfa(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        let (codes, n_classes) = Self::classes(&data.target)?;
        if data.weights.is_some() {
            return Err(Error::param(
                "sample_weight",
                "given",
                "LogisticRegression(solver=linfa) does not support sample weights: use solver lbfgs",
            ));
        }
        if data.x.nrows() == 0 {
            return Err(Error::EmptyInput {
                context: "no rows to fit LogisticRegression on".into(),
            });
        }
        // Views, not copies: the feature matrix can be the largest object in the process.
        let dataset = linfa::DatasetBase::new(data.x.view(), codes.view());
        let alpha = 1.0 / self.c;
        // linfa minimises the *summed* log-loss; `tol` bounds the gradient of the *mean*
        // loss. Scale it so both stop at the same point.
        let gradient_tolerance = self.tol * data.x.nrows() as f64;
        let (coef, intercept) = if n_classes == 2 {
            let fitted = linfa_logistic::LogisticRegression::default()
                .alpha(alpha)
                .max_iterations(self.max_iter)
                .gradient_tolerance(gradient_tolerance)
                .with_intercept(self.fit_intercept)
                .fit(&dataset)
                .map_err(training_error)?;
            let coef = fitted.params().clone().insert_axis(Axis(0));
            (coef, Array1::from_elem(1, fitted.intercept()))
        } else {
            let fitted = linfa_logistic::MultiLogisticRegression::default()
                .alpha(alpha)
                .max_iterations(self.max_iter)
                .gradient_tolerance(gradient_tolerance)
                .with_intercept(self.fit_intercept)
                .fit(&dataset)
                .map_err(training_error)?;
            // linfa orders the columns by its sorted class list, which is 0..n here, but
            // map explicitly so a change there cannot silently permute classes.
            let mut coef = Array2::zeros((n_classes, data.x.ncols()));
            let mut intercept = Array1::zeros(n_classes);
            for (k, class) in fitted.classes().iter().enumerate() {
                coef.row_mut(*class).assign(&fitted.params().column(k));
                intercept[*class] = fitted.intercept()[k];
            }
            (coef, intercept)
        };
        if coef.iter().chain(intercept.iter()).any(|v| !v.is_finite()) {
            return Err(training_error(
                "the solver diverged (non-finite coefficients); scale the features or lower c",
            ));
        }
        Ok(Box::new(LinearClassifier {
            coef,
            intercept,
            n_iter: None,
            converged: None,
        }))
    }
}

/// A fitted linear classifier: binary (one row of coefficients, sigmoid) or
/// multinomial (one row per class, softmax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearClassifier {
    /// `(1, features)` for binary, `(classes, features)` for multinomial.
    pub coef: Array2<f64>,
    /// One per row of `coef`.
    pub intercept: Array1<f64>,
    /// L-BFGS iterations the fit ran (scikit-learn's `n_iter_`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_iter: Option<u64>,
    /// Whether the fit met its gradient tolerance before `max_iter` (scikit-learn warns
    /// with `ConvergenceWarning` when not), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl LinearClassifier {
    /// Shapes a loaded (possibly hand-edited) model must have before it predicts.
    fn check_shape(&self) -> Result<()> {
        if self.coef.nrows() == 0 || self.intercept.len() != self.coef.nrows() {
            return Err(Error::InvalidData(format!(
                "corrupt linear classifier: {} coefficient rows and {} intercepts",
                self.coef.nrows(),
                self.intercept.len()
            )));
        }
        Ok(())
    }

    fn n_classes(&self) -> usize {
        if self.coef.nrows() == 1 {
            2
        } else {
            self.coef.nrows()
        }
    }

    /// Class probabilities for one row of decision values, written into `out`.
    fn proba_predictions_from_scores(&self, scores: &[f64], out: &mut [f64]) {
        if self.coef.nrows() == 1 {
            let p = sigmoid(scores[0]);
            out[0] = 1.0 - p;
            out[1] = p;
        } else {
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut sum = 0.0;
            for (o, s) in out.iter_mut().zip(scores) {
                *o = (s - max).exp();
                sum += *o;
            }
            out.iter_mut().for_each(|o| *o /= sum);
        }
    }
}

fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[typetag::serde(name = "linear_classifier")]
impl Model for LinearClassifier {
    fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("LogisticRegression", self.n_features(), x.ncols())?;
        self.check_shape()?;
        let scores = super::linear_scores(x, self.coef.view(), self.intercept.view());
        self.predictions_from_scores(&scores)
    }

    fn predict_design(&self, x: &Design) -> Result<Predictions> {
        check_width("LogisticRegression", self.n_features(), x.n_features())?;
        self.check_shape()?;
        let scores = x.linear_scores(0..x.n_rows(), self.coef.view(), self.intercept.view());
        self.predictions_from_scores(&scores)
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("LogisticRegression", self.n_features(), x.len())?;
        self.check_shape()?;
        let scores: Vec<f64> = self
            .coef
            .rows()
            .into_iter()
            .zip(&self.intercept)
            .map(|(w, b)| w.iter().zip(x).fold(0.0, |acc, (w, x)| acc + w * x) + b)
            .collect();
        let mut proba = vec![0.0; self.n_classes()];
        self.proba_predictions_from_scores(&scores, &mut proba);
        Ok(RowPrediction::Class {
            code: argmax(&proba),
            proba: Some(proba),
        })
    }
}

impl LinearClassifier {
    /// Classes and probabilities from decision values `(rows, outputs)`.
    fn predictions_from_scores(&self, scores: &Array2<f64>) -> Result<Predictions> {
        let k = self.n_classes();
        let mut proba = Array2::zeros((scores.nrows(), k));
        let mut codes = Vec::with_capacity(scores.nrows());
        for (s, mut p) in scores.rows().into_iter().zip(proba.rows_mut()) {
            let s = s.to_vec();
            let p = p
                .as_slice_mut()
                .ok_or_else(|| Error::InvalidData("non-contiguous output".into()))?;
            self.proba_predictions_from_scores(&s, p);
            codes.push(argmax(p));
        }
        Ok(Predictions::Classes {
            codes,
            proba: Some(proba),
        })
    }
}
