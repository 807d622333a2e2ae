//! Gaussian naive Bayes, as scikit-learn's `GaussianNB`.
//!
//! Implemented here rather than through linfa-bayes: linfa's `GaussianNb` has no class
//! priors parameter and ignores sample weights, and the fit is a few weighted means
//! and variances, computed exactly as scikit-learn computes them.

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{check_width, Model, Predictions, Trainer};
use crate::data::{Dataset, Target, TargetKind};
use crate::error::{Error, Result};

/// Gaussian naive Bayes classifier, as scikit-learn's `GaussianNB`.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `var_smoothing` | `1e-9` | added to every variance, as a fraction of the largest feature variance, for numerical stability | `>= 0`, finite |
/// | `priors` | none | class prior probabilities in class order (sorted labels); none estimates them from the (weighted) class frequencies | one per class, each `>= 0`, summing to 1 |
///
/// Each class `c` gets per-feature means `theta[c]` and variances `var[c]`, weighted by
/// the sample weights when given (scikit-learn's `sample_weight`), plus
/// `epsilon = var_smoothing * max_j var(x_j)` where `var(x_j)` is the *unweighted*
/// variance of feature `j` over all rows (as scikit-learn). Prediction picks the class
/// maximising `log prior[c] + Σ_j log N(x_j; theta[c, j], var[c, j])`; `predict_proba`
/// normalises those joint log-likelihoods (log-sum-exp), which is exactly
/// scikit-learn's `predict_proba`.
///
/// A class whose rows have zero total weight cannot be estimated and is an error; so is
/// a zero variance with nothing to smooth it (`var_smoothing = 0`, or every feature
/// constant): raise `var_smoothing` or drop the constant features.
///
/// ```
/// use ferrops::train::{GaussianNB, Trainer, Predictions};
/// use ferrops::data::{ClassLabels, Dataset, Target};
/// # fn main() -> ferrops::Result<()> {
/// let data = Dataset {
///     x: ndarray::array![[0.0], [0.5], [3.0], [3.5]],
///     target: Target::Classes { codes: ndarray::array![0, 0, 1, 1], labels: ClassLabels::Int(vec![0, 1]) },
///     weights: None,
///     feature_names: vec!["x".into()],
/// };
/// let model = GaussianNB::default().fit(&data)?;
/// let Predictions::Classes { codes, .. } = model.predict(ndarray::array![[0.2], [3.1]].view())? else { unreachable!() };
/// assert_eq!(codes, vec![0, 1]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GaussianNB {
    /// Fraction of the largest feature variance added to every variance.
    pub var_smoothing: f64,
    /// Class priors in class-code order, or `None` to estimate them from the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priors: Option<Vec<f64>>,
}

impl Default for GaussianNB {
    fn default() -> Self {
        GaussianNB {
            var_smoothing: 1e-9,
            priors: None,
        }
    }
}

impl GaussianNB {
    fn validate(&self) -> Result<()> {
        if !(self.var_smoothing.is_finite() && self.var_smoothing >= 0.0) {
            return Err(Error::param(
                "var_smoothing",
                self.var_smoothing,
                "must be a finite number >= 0 (scikit-learn's default is 1e-9)",
            ));
        }
        if let Some(priors) = &self.priors {
            if priors.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
                return Err(Error::param(
                    "priors",
                    format!("{priors:?}"),
                    "every prior must be a finite number >= 0",
                ));
            }
            let sum: f64 = priors.iter().sum();
            // numpy.isclose(sum, 1.0), as scikit-learn checks.
            if (sum - 1.0).abs() > 1e-8 + 1e-5 {
                return Err(Error::param(
                    "priors",
                    format!("{priors:?}"),
                    format!("the priors must sum to 1 (they sum to {sum})"),
                ));
            }
        }
        Ok(())
    }
}

#[typetag::serde(name = "gaussian_nb")]
impl Trainer for GaussianNB {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Classification
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        self.validate()?;
        let Target::Classes { codes, labels } = &data.target else {
            return Err(Error::InvalidData(
                "GaussianNB needs a classification target (labels), not real values; \
                 use a regressor such as LinearRegression or Ridge"
                    .into(),
            ));
        };
        let (n, d) = data.x.dim();
        if n == 0 || d == 0 {
            return Err(Error::EmptyInput {
                context: format!("GaussianNB needs rows and feature columns; got {n} rows and {d} columns"),
            });
        }
        if codes.len() != n {
            return Err(Error::InvalidData(format!(
                "{} target values for {n} rows",
                codes.len()
            )));
        }
        let k = labels.len();
        if let Some(w) = &data.weights {
            if w.len() != n {
                return Err(Error::InvalidData(format!(
                    "{} sample weights for {n} rows",
                    w.len()
                )));
            }
        }
        if let Some(&bad) = codes.iter().find(|&&c| c >= k) {
            return Err(Error::InvalidData(format!(
                "class code {bad} out of range for {k} classes"
            )));
        }
        if let Some(priors) = &self.priors {
            if priors.len() != k {
                return Err(Error::param(
                    "priors",
                    format!("{priors:?}"),
                    format!(
                        "give one prior per class: the target has {k} classes ({:?})",
                        labels.names()
                    ),
                ));
            }
        }
        if data.x.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidData(
                "GaussianNB needs finite features (no NaN or infinity); impute or filter them first".into(),
            ));
        }
        let weight = |i: usize| {
            data.weights
                .as_ref()
                .and_then(|w| w.get(i).copied())
                .unwrap_or(1.0)
        };

        // epsilon = var_smoothing * max(np.var(X, axis=0)), unweighted.
        let mut max_var = 0.0_f64;
        for column in data.x.columns() {
            let mean = column.sum() / n as f64;
            let var = column.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            max_var = max_var.max(var);
        }
        let epsilon = self.var_smoothing * max_var;

        // Weighted per-class means, then variances (two passes, as numpy.average).
        let mut count = Array1::<f64>::zeros(k);
        let mut theta = Array2::<f64>::zeros((k, d));
        for (i, (row, &c)) in data.x.rows().into_iter().zip(codes).enumerate() {
            let w = weight(i);
            count[c] += w;
            theta.row_mut(c).scaled_add(w, &row);
        }
        for (c, mut mean) in theta.rows_mut().into_iter().enumerate() {
            let total = count[c];
            if total.is_nan() || total <= 0.0 {
                return Err(Error::InvalidData(format!(
                    "class {:?} has no rows (or only rows of weight 0) to estimate its mean and variance from",
                    labels.names().get(c).cloned().unwrap_or_default()
                )));
            }
            mean.mapv_inplace(|v| v / total);
        }
        let mut var = Array2::<f64>::zeros((k, d));
        for (i, (row, &c)) in data.x.rows().into_iter().zip(codes).enumerate() {
            let w = weight(i);
            let mean = theta.row(c);
            for ((v, x), m) in var.row_mut(c).iter_mut().zip(row).zip(mean) {
                *v += w * (x - m) * (x - m);
            }
        }
        for (c, mut v) in var.rows_mut().into_iter().enumerate() {
            let total = count[c];
            v.mapv_inplace(|s| s / total + epsilon);
        }
        if var.iter().any(|v| v.is_nan() || *v <= 0.0) {
            return Err(Error::Training {
                model: "GaussianNB".into(),
                reason: "a class has zero variance in a feature and var_smoothing adds none (every feature \
                         is constant, or var_smoothing = 0); raise var_smoothing or drop constant features"
                    .into(),
            });
        }
        let class_prior = match &self.priors {
            Some(p) => Array1::from(p.clone()),
            None => {
                let total = count.sum();
                count.mapv(|c| c / total)
            }
        };
        Ok(Box::new(GaussianNBModel {
            theta,
            var,
            class_prior,
            class_count: count,
            epsilon,
        }))
    }
}

/// A fitted [`GaussianNB`]: per-class feature means and variances and class priors
/// (scikit-learn's `theta_`, `var_`, `class_prior_`, `class_count_`, `epsilon_`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianNBModel {
    /// `(classes, features)` means.
    pub theta: Array2<f64>,
    /// `(classes, features)` variances, smoothing included.
    pub var: Array2<f64>,
    /// Prior probability of each class.
    pub class_prior: Array1<f64>,
    /// (Weighted) number of training rows of each class.
    pub class_count: Array1<f64>,
    /// The variance added to every variance (`var_smoothing * max feature variance`).
    pub epsilon: f64,
}

impl GaussianNBModel {
    fn check_shape(&self) -> Result<()> {
        let (k, d) = self.theta.dim();
        if k == 0 || self.var.dim() != (k, d) || self.class_prior.len() != k {
            return Err(Error::InvalidData(format!(
                "corrupt GaussianNB model: theta {:?}, var {:?}, {} priors",
                self.theta.dim(),
                self.var.dim(),
                self.class_prior.len()
            )));
        }
        Ok(())
    }

    /// The joint log-likelihood of every class for every row, `(rows, classes)`
    /// (scikit-learn's `_joint_log_likelihood`).
    pub fn joint_log_likelihood(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        check_width("GaussianNB", self.n_features(), x.ncols())?;
        self.check_shape()?;
        let k = self.theta.nrows();
        // Per class: log prior - 0.5 Σ log(2π var), then - 0.5 Σ (x - θ)² / var per row.
        let constant: Vec<f64> = (0..k)
            .map(|c| {
                self.class_prior[c].ln()
                    - 0.5
                        * self
                            .var
                            .row(c)
                            .iter()
                            .map(|v| (2.0 * std::f64::consts::PI * v).ln())
                            .sum::<f64>()
            })
            .collect();
        let mut out = Array2::<f64>::zeros((x.nrows(), k));
        for (row, mut o) in x.rows().into_iter().zip(out.rows_mut()) {
            for (c, cell) in o.iter_mut().enumerate() {
                let quad: f64 = row
                    .iter()
                    .zip(self.theta.row(c))
                    .zip(self.var.row(c))
                    .map(|((x, m), v)| (x - m) * (x - m) / v)
                    .sum();
                *cell = constant[c] - 0.5 * quad;
            }
        }
        Ok(out)
    }
}

#[typetag::serde(name = "gaussian_nb_model")]
impl Model for GaussianNBModel {
    fn n_features(&self) -> usize {
        self.theta.ncols()
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        let mut jll = self.joint_log_likelihood(x)?;
        let mut codes = Vec::with_capacity(jll.nrows());
        for mut row in jll.rows_mut() {
            let mut best = 0;
            let mut max = f64::NEG_INFINITY;
            for (c, v) in row.iter().enumerate() {
                if *v > max {
                    max = *v;
                    best = c;
                }
            }
            codes.push(best);
            // exp(jll - logsumexp(jll)).
            if max.is_finite() {
                row.mapv_inplace(|v| (v - max).exp());
                let sum = row.sum();
                row.mapv_inplace(|v| v / sum);
            } else {
                row.fill(f64::NAN);
            }
        }
        Ok(Predictions::Classes {
            codes,
            proba: Some(jll),
        })
    }
}
