//! Ridge regression in scikit-learn's parametrisation, solved in closed form.

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use super::{LinearRegressor, Model, Trainer};
use crate::data::{Dataset, Target, TargetKind};
use crate::error::{Error, Result};

/// L2-penalised least squares, exactly scikit-learn's `Ridge(alpha, fit_intercept)`:
///
/// `Σᵢ sᵢ (yᵢ - xᵢ·w - b)² + alpha ‖w‖²`
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `alpha` | `1.0` | penalty strength (not scaled by the number of rows, unlike [`ElasticNet`](super::ElasticNet)) | `>= 0`, finite |
/// | `fit_intercept` | `true` | learn an unpenalised bias term | |
///
/// Solved as scikit-learn's `solver="cholesky"`: with an intercept, `X` and `y` are
/// centred on their (sample-weighted) means; rows are scaled by `√sᵢ`; then
/// `(XᵀX + alpha I) w = Xᵀy` is solved by a Cholesky factorisation, and
/// `b = ȳ - x̄·w`. Sample weights (`sᵢ`, scikit-learn's `sample_weight`) are supported.
/// Cost `rows * features²` time and `features²` memory. `alpha = 0` with (nearly)
/// collinear features has no unique solution and is a [`Error::Training`] error.
///
/// ```
/// use ferrops::train::{Ridge, Trainer, Predictions};
/// use ferrops::data::{Dataset, Target};
/// # fn main() -> ferrops::Result<()> {
/// let data = Dataset {
///     x: ndarray::array![[0.0], [1.0], [2.0], [3.0]],
///     target: Target::Continuous(ndarray::array![1.0, 3.0, 5.0, 7.0]),
///     weights: None,
///     feature_names: vec!["x".into()],
/// };
/// let model = Ridge { alpha: 0.0, ..Ridge::default() }.fit(&data)?;
/// let Predictions::Values(v) = model.predict(ndarray::array![[4.0]].view())? else { unreachable!() };
/// assert!((v[0] - 9.0).abs() < 1e-9);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ridge {
    /// Penalty strength.
    pub alpha: f64,
    /// Learn an intercept.
    pub fit_intercept: bool,
}

impl Default for Ridge {
    fn default() -> Self {
        Ridge {
            alpha: 1.0,
            fit_intercept: true,
        }
    }
}

impl Ridge {
    /// Ridge regression with penalty `alpha` and an intercept.
    pub fn new(alpha: f64) -> Self {
        Ridge {
            alpha,
            ..Ridge::default()
        }
    }
}

fn failed(reason: impl Into<String>) -> Error {
    Error::Training {
        model: "Ridge".into(),
        reason: reason.into(),
    }
}

/// Solve `a z = b` for a symmetric positive definite `a` by Cholesky (`a = L Lᵀ`).
fn cholesky_solve(a: &Array2<f64>, b: &Array1<f64>) -> Result<Array1<f64>> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    // Relative pivot floor: below it the matrix is singular to working precision.
    let scale = (0..d).map(|i| a[[i, i]].abs()).fold(0.0, f64::max);
    let floor = scale * 1e-13;
    for k in 0..d {
        for i in k..d {
            let dot: f64 = (0..k).map(|m| l[[i, m]] * l[[k, m]]).sum();
            let value = a[[i, k]] - dot;
            if i == k {
                if value.is_nan() || value <= floor {
                    return Err(failed(format!(
                        "the normal equations are singular (pivot {value:.1e} at feature #{k}): the features \
                         are (nearly) collinear or constant; use alpha > 0 or drop redundant columns"
                    )));
                }
                l[[k, k]] = value.sqrt();
            } else {
                l[[i, k]] = value / l[[k, k]];
            }
        }
    }
    // L u = b, then Lᵀ z = u.
    let mut u = Array1::<f64>::zeros(d);
    for i in 0..d {
        let dot: f64 = (0..i).map(|m| l[[i, m]] * u[m]).sum();
        u[i] = (b[i] - dot) / l[[i, i]];
    }
    let mut z = Array1::<f64>::zeros(d);
    for i in (0..d).rev() {
        let dot: f64 = (i + 1..d).map(|m| l[[m, i]] * z[m]).sum();
        z[i] = (u[i] - dot) / l[[i, i]];
    }
    Ok(z)
}

#[typetag::serde(name = "ridge")]
impl Trainer for Ridge {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Regression
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(Error::param("alpha", self.alpha, "must be a finite number >= 0"));
        }
        let Target::Continuous(y) = &data.target else {
            return Err(Error::InvalidData(
                "Ridge needs a regression target (real values), not class labels; \
                 use a classifier such as LogisticRegression"
                    .into(),
            ));
        };
        let (n, d) = data.x.dim();
        if n == 0 || d == 0 {
            return Err(Error::EmptyInput {
                context: format!("Ridge needs rows and feature columns; got {n} rows and {d} columns"),
            });
        }
        if y.len() != n {
            return Err(Error::InvalidData(format!(
                "{} target values for {n} rows",
                y.len()
            )));
        }
        if data.x.iter().chain(y.iter()).any(|v| !v.is_finite()) {
            return Err(Error::InvalidData(
                "Ridge needs finite features and target (no NaN or infinity)".into(),
            ));
        }
        let weights = match &data.weights {
            Some(w) if w.len() != n => {
                return Err(Error::InvalidData(format!(
                    "{} sample weights for {n} rows",
                    w.len()
                )))
            }
            Some(w) => w.clone(),
            None => Array1::ones(n),
        };
        let total: f64 = weights.sum();
        if total.is_nan() || total <= 0.0 {
            return Err(Error::InvalidData("the sample weights sum to 0".into()));
        }
        // Weighted centring (scikit-learn's `_preprocess_data`), then √s row scaling.
        let (x_mean, y_mean) = if self.fit_intercept {
            let wx = &data.x * &weights.view().insert_axis(Axis(1));
            (wx.sum_axis(Axis(0)) / total, weights.dot(y) / total)
        } else {
            (Array1::zeros(d), 0.0)
        };
        let root = weights.mapv(f64::sqrt);
        let xs = (&data.x - &x_mean) * root.view().insert_axis(Axis(1));
        let ys = (y - y_mean) * &root;
        let mut gram = xs.t().dot(&xs);
        for i in 0..d {
            gram[[i, i]] += self.alpha;
        }
        let rhs = xs.t().dot(&ys);
        let coef = cholesky_solve(&gram, &rhs)?;
        let intercept = if self.fit_intercept {
            y_mean - x_mean.dot(&coef)
        } else {
            0.0
        };
        if coef.iter().any(|v| !v.is_finite()) || !intercept.is_finite() {
            return Err(failed(
                "the solve produced non-finite coefficients; check for extreme feature values",
            ));
        }
        Ok(Box::new(LinearRegressor { coef, intercept }))
    }
}
