//! Linear support vector classification (linfa-svm's SMO solver, linear kernel).

use linfa::prelude::*;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{check_width, ClassWeight, Model, Predictions, Trainer};
use crate::data::{Dataset, Target, TargetKind};
use crate::error::{Error, Result};

/// The most rows [`LinearSVC`] accepts: linfa-svm's solver holds the full
/// `rows x rows` kernel matrix (8 bytes per entry, about 1.2 GB at this size).
pub const LINEAR_SVC_MAX_ROWS: usize = 12_000;

/// A linear support vector classifier: the hinge-loss soft-margin SVM
///
/// `min ½‖w‖² + C Σᵢ cᵢ max(0, 1 - yᵢ (xᵢ·w + b))`
///
/// with `cᵢ` the class weight of row `i` (1 without class weights), solved in the dual
/// by linfa-svm's SMO (the libsvm algorithm) with a linear kernel.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `c` | `1.0` | inverse regularisation strength: the hinge-loss weight | `> 0`, finite |
/// | `tol` | `1e-3` | SMO stopping tolerance on the maximal KKT violation (libsvm's `eps`, scikit-learn's `SVC(tol)`) | `> 0`, finite |
/// | `class_weight` | none | [`ClassWeight`]: multiply `c` per class (see below) | weights finite, `> 0` |
///
/// **Which scikit-learn model this is.** The objective and solver are those of
/// scikit-learn's `SVC(kernel="linear", C=c, tol=tol)` (libsvm: hinge loss, unpenalised
/// intercept), *not* of scikit-learn's `LinearSVC`, which by default minimises the
/// squared hinge loss and penalises the intercept (liblinear). Two classes give one
/// binary problem, positive class = the second label, exactly as `SVC`. With three or
/// more classes this trainer fits one binary problem per class against the rest
/// (one-vs-rest, as `OneVsRestClassifier(SVC(kernel="linear"))`) and predicts the class
/// of the largest decision value; `SVC` itself uses one-vs-one, so multiclass
/// predictions can differ from `SVC`'s near the boundaries.
///
/// Class weights multiply `c` per class as `SVC(class_weight=...)`: with two classes,
/// `balanced` or a per-label mapping; with more, only `balanced`, computed on each
/// one-vs-rest problem (as `OneVsRestClassifier(SVC(class_weight="balanced"))`), since
/// the solver takes one `C` for the positive and one for the negative side.
///
/// No class probabilities: the model predicts classes only, and `predict_proba` is an
/// error. (linfa-svm's Platt scaling is fitted on the training decision values, which
/// is biased, and does not extend to one-vs-rest; use `LogisticRegression` when
/// probabilities matter.) Sample weights are not supported (the solver has no
/// per-row `C`): fitting with weights is an error. The dense kernel matrix limits the
/// training set to [`LINEAR_SVC_MAX_ROWS`] rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinearSVC {
    /// Inverse regularisation strength.
    pub c: f64,
    /// SMO stopping tolerance.
    pub tol: f64,
    /// Class weights (multiply `c` per class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeight>,
}

impl Default for LinearSVC {
    fn default() -> Self {
        LinearSVC {
            c: 1.0,
            tol: 1e-3,
            class_weight: None,
        }
    }
}

impl LinearSVC {
    fn validate(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::param("c", self.c, "must be a finite number > 0"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::param("tol", self.tol, "must be a finite number > 0"));
        }
        if let Some(cw) = &self.class_weight {
            cw.validate()?;
        }
        Ok(())
    }

    /// Fit one binary problem (`positive[i]` is row `i`'s side) with per-side `C`s;
    /// returns `(w, b)` of the decision function `x·w + b`.
    fn fit_binary(
        &self,
        x: ArrayView2<f64>,
        positive: Array1<bool>,
        c_pos: f64,
        c_neg: f64,
    ) -> Result<(Array1<f64>, f64)> {
        for (name, c) in [("positive", c_pos), ("negative", c_neg)] {
            if !(c.is_finite() && c > 0.0) {
                return Err(Error::param(
                    "class_weight",
                    format!("{c} (C of the {name} class)"),
                    "c times every class weight must be a finite number > 0",
                ));
            }
        }
        let dataset = linfa::DatasetBase::new(x, positive.view());
        let fitted = linfa_svm::Svm::<f64, bool>::params()
            .linear_kernel()
            .pos_neg_weights(c_pos, c_neg)
            .eps(self.tol)
            .fit(&dataset)
            .map_err(|e| Error::Training {
                model: "LinearSVC".into(),
                reason: e.to_string(),
            })?;
        // With a linear kernel the model keeps w = Σ αᵢ yᵢ xᵢ; read it through the
        // public weighted sum on unit vectors. The decision function is x·w - rho.
        let d = x.ncols();
        let mut unit = Array1::<f64>::zeros(d);
        let mut w = Array1::<f64>::zeros(d);
        for j in 0..d {
            unit[j] = 1.0;
            w[j] = fitted.weighted_sum(&unit);
            unit[j] = 0.0;
        }
        let b = -fitted.rho;
        if w.iter().any(|v| !v.is_finite()) || !b.is_finite() {
            return Err(Error::Training {
                model: "LinearSVC".into(),
                reason: "the solver produced non-finite coefficients; scale the features".into(),
            });
        }
        Ok((w, b))
    }
}

#[typetag::serde(name = "linear_svc")]
impl Trainer for LinearSVC {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Classification
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        self.validate()?;
        let Target::Classes { codes, labels } = &data.target else {
            return Err(Error::InvalidData(
                "LinearSVC needs a classification target (labels), not real values; \
                 use a regressor such as Ridge"
                    .into(),
            ));
        };
        if data.weights.is_some() {
            return Err(Error::param(
                "sample_weight",
                "given",
                "LinearSVC does not support sample weights (linfa-svm has no per-row C); \
                 use class_weight, or LogisticRegression",
            ));
        }
        let (n, d) = data.x.dim();
        if n == 0 || d == 0 {
            return Err(Error::EmptyInput {
                context: format!("LinearSVC needs rows and feature columns; got {n} rows and {d} columns"),
            });
        }
        if n > LINEAR_SVC_MAX_ROWS {
            return Err(Error::InvalidData(format!(
                "LinearSVC holds a {n} x {n} kernel matrix; at most {LINEAR_SVC_MAX_ROWS} rows are accepted: \
                 subsample the training set or use LogisticRegression"
            )));
        }
        if codes.len() != n {
            return Err(Error::InvalidData(format!(
                "{} target values for {n} rows",
                codes.len()
            )));
        }
        if data.x.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidData(
                "LinearSVC needs finite features (no NaN or infinity); impute or filter them first".into(),
            ));
        }
        let k = labels.len();
        if k < 2 {
            return Err(Error::InvalidData(format!(
                "LinearSVC needs at least two classes; the target has {k}"
            )));
        }
        let mut count = vec![0usize; k];
        for &c in codes {
            match count.get_mut(c) {
                Some(m) => *m += 1,
                None => {
                    return Err(Error::InvalidData(format!(
                        "class code {c} out of range for {k} classes"
                    )))
                }
            }
        }
        if let Some(c) = count.iter().position(|&m| m == 0) {
            return Err(Error::InvalidData(format!(
                "class {:?} has no rows; LinearSVC needs rows of every class",
                labels.names().get(c).cloned().unwrap_or_default()
            )));
        }
        let x = data.x.view();
        let (coef, intercept) = if k == 2 {
            let (c_neg, c_pos) = match &self.class_weight {
                None => (self.c, self.c),
                Some(cw) => {
                    let w = cw.per_class(codes, labels, None)?;
                    (self.c * w[0], self.c * w[1])
                }
            };
            let positive = codes.mapv(|c| c == 1);
            let (w, b) = self.fit_binary(x, positive, c_pos, c_neg)?;
            (w.insert_axis(ndarray::Axis(0)), Array1::from_elem(1, b))
        } else {
            if let Some(ClassWeight::PerClass(_)) = &self.class_weight {
                return Err(Error::param(
                    "class_weight",
                    "a per-class mapping",
                    format!(
                        "with {k} classes LinearSVC fits one-vs-rest problems, which take one C per side: \
                         use class_weight \"balanced\" (computed per one-vs-rest problem) or none"
                    ),
                ));
            }
            let mut coef = Array2::<f64>::zeros((k, d));
            let mut intercept = Array1::<f64>::zeros(k);
            for class in 0..k {
                let positive = codes.mapv(|c| c == class);
                let (c_pos, c_neg) = match &self.class_weight {
                    Some(ClassWeight::Balanced) => {
                        // compute_class_weight("balanced") on the binary labels.
                        let n_pos = count[class] as f64;
                        let n_neg = n as f64 - n_pos;
                        (
                            self.c * n as f64 / (2.0 * n_pos),
                            self.c * n as f64 / (2.0 * n_neg),
                        )
                    }
                    _ => (self.c, self.c),
                };
                let (w, b) = self.fit_binary(x, positive, c_pos, c_neg)?;
                coef.row_mut(class).assign(&w);
                intercept[class] = b;
            }
            (coef, intercept)
        };
        Ok(Box::new(LinearSvmModel { coef, intercept }))
    }
}

/// A fitted [`LinearSVC`]: decision values `x · coefᵀ + intercept`, one column for two
/// classes (positive means class 1), one per class (one-vs-rest) for more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearSvmModel {
    /// `(1, features)` for two classes, `(classes, features)` for more.
    pub coef: Array2<f64>,
    /// One per row of `coef`.
    pub intercept: Array1<f64>,
}

impl LinearSvmModel {
    /// The decision values, `(rows, rows of coef)` (scikit-learn's `decision_function`;
    /// for two classes the single column is returned as one column).
    ///
    /// # Errors
    /// A width mismatch or a corrupt model.
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        check_width("LinearSVC", self.n_features(), x.ncols())?;
        if self.coef.nrows() == 0 || self.intercept.len() != self.coef.nrows() {
            return Err(Error::InvalidData(format!(
                "corrupt LinearSVC model: {} coefficient rows and {} intercepts",
                self.coef.nrows(),
                self.intercept.len()
            )));
        }
        Ok(super::linear_scores(x, self.coef.view(), self.intercept.view()))
    }
}

#[typetag::serde(name = "linear_svm_model")]
impl Model for LinearSvmModel {
    fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        let scores = self.decision_function(x)?;
        let codes = if scores.ncols() == 1 {
            scores.column(0).iter().map(|&s| usize::from(s > 0.0)).collect()
        } else {
            scores
                .rows()
                .into_iter()
                .map(|row| {
                    let mut best = 0;
                    for (c, v) in row.iter().enumerate() {
                        if *v > row[best] {
                            best = c;
                        }
                    }
                    best
                })
                .collect()
        };
        Ok(Predictions::Classes { codes, proba: None })
    }
}
