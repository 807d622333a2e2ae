//! Linear regression: ordinary least squares (linfa-linear) and the elastic net family
//! (ridge, lasso, elastic net; linfa-elasticnet coordinate descent).
//!
//! Both trainers fit a [`LinearRegressor`], a plain `coef`/`intercept` pair that
//! predicts itself.

use linfa::prelude::*;
use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder};
use serde::{Deserialize, Serialize};

use super::{check_width, Model, Predictions, RowPrediction, Trainer};
use crate::data::{Dataset, Target, TargetKind};
use crate::error::{Error, Result};

/// The real-valued target of `data`, after the checks every linear trainer shares:
/// a regression target of the right length, no sample weights, at least one row and
/// one feature.
fn regression_target<'a>(model: &str, data: &'a Dataset) -> Result<&'a Array1<f64>> {
    let Target::Continuous(y) = &data.target else {
        return Err(Error::InvalidData(format!(
            "{model} needs a regression target (real values), not class labels; \
             use a classifier such as LogisticRegression or DecisionTree"
        )));
    };
    if data.weights.is_some() {
        return Err(Error::param(
            "sample_weight",
            "given",
            format!("{model} does not support sample weights (the linfa solver ignores them)"),
        ));
    }
    if data.x.nrows() == 0 {
        return Err(Error::EmptyInput {
            context: format!("no rows to fit {model} on"),
        });
    }
    if data.x.ncols() == 0 {
        return Err(Error::EmptyInput {
            context: format!("no feature columns to fit {model} on"),
        });
    }
    if y.len() != data.x.nrows() {
        return Err(Error::InvalidData(format!(
            "{} target values for {} rows",
            y.len(),
            data.x.nrows()
        )));
    }
    Ok(y)
}

fn training_error(model: &str, e: impl std::fmt::Display) -> Error {
    Error::Training {
        model: model.into(),
        reason: e.to_string(),
    }
}

fn finished(model: &str, coef: Array1<f64>, intercept: f64) -> Result<Box<dyn Model>> {
    if coef.iter().any(|v| !v.is_finite()) || !intercept.is_finite() {
        return Err(training_error(
            model,
            "the solver produced non-finite coefficients; check for extreme feature values or \
             (nearly) collinear features",
        ));
    }
    Ok(Box::new(LinearRegressor { coef, intercept }))
}

/// Ordinary least squares, as scikit-learn's `LinearRegression`.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `fit_intercept` | `true` | learn a bias term | |
///
/// Solved by linfa-linear with a QR decomposition. (Nearly) collinear features are a
/// [`Error::Training`] error rather than scikit-learn's minimum-norm solution (detected
/// when a feature's contribution `|coef| * std(x)` exceeds `1e9` times the RMS of `y`);
/// drop the redundant columns or use [`ElasticNet::ridge`].
/// Sample weights are not supported by linfa-linear: fitting with weights is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinearRegression {
    /// Learn an intercept.
    pub fit_intercept: bool,
}

impl Default for LinearRegression {
    fn default() -> Self {
        LinearRegression { fit_intercept: true }
    }
}

#[typetag::serde(name = "linear_regression")]
impl Trainer for LinearRegression {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Regression
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        const NAME: &str = "LinearRegression";
        let y = regression_target(NAME, data)?;
        check_rank(&data.x, &data.feature_names, self.fit_intercept)?;
        let dataset = linfa::Dataset::new(data.x.clone(), y.clone());
        let fitted = linfa_linear::LinearRegression::new()
            .with_intercept(self.fit_intercept)
            .fit(&dataset)
            .map_err(|e| training_error(NAME, format!("{e} (are some features collinear?)")))?;
        let coef = fitted.params().clone();
        check_conditioning(&data.x, y, &coef, self.fit_intercept)?;
        finished(NAME, coef, fitted.intercept())
    }
}

/// Refuse (nearly) exactly collinear features before the QR solve, which would return
/// one of infinitely many solutions. Each column (centred with an intercept) is scaled
/// to unit norm and a Cholesky factorisation of their Gram matrix is run in column
/// order: its `k`-th pivot is `1 - R²` of column `k` regressed on the columns before it,
/// so a pivot below `1e-10` names a column that the earlier ones (and the intercept)
/// reproduce. Costs `rows * features²`, the order of the QR solve itself.
fn check_rank(x: &Array2<f64>, names: &[String], centred: bool) -> Result<()> {
    const TOLERANCE: f64 = 1e-10;
    let d = x.ncols();
    let mut unit = Array2::<f64>::zeros((x.nrows(), d).f());
    for (j, (column, mut out)) in x.columns().into_iter().zip(unit.columns_mut()).enumerate() {
        let mean = if centred {
            column.mean().unwrap_or(0.0)
        } else {
            0.0
        };
        out.assign(&column.mapv(|v| v - mean));
        let norm = out.dot(&out).sqrt();
        let name = names.get(j).map_or_else(|| format!("#{j}"), |n| format!("`{n}`"));
        if !(norm > 0.0 && norm.is_finite()) {
            return Err(training_error(
                "LinearRegression",
                format!(
                    "feature {name} is {}: the least-squares solution is not unique; drop the column",
                    if centred {
                        "constant (collinear with the intercept)"
                    } else {
                        "all zeros"
                    }
                ),
            ));
        }
        out.mapv_inplace(|v| v / norm);
    }
    let gram = unit.t().dot(&unit);
    let mut lower = Array2::<f64>::zeros((d, d));
    for k in 0..d {
        for i in 0..=k {
            let dot: f64 = (0..i).map(|m| lower[[k, m]] * lower[[i, m]]).sum();
            let value = gram[[k, i]] - dot;
            if i == k {
                if value < TOLERANCE {
                    let name = names.get(k).map_or_else(|| format!("#{k}"), |n| format!("`{n}`"));
                    return Err(training_error(
                        "LinearRegression",
                        format!(
                            "the features are (nearly) collinear: feature {name} is a linear combination \
                             of the features before it{} (1 - R² = {:.1e}); drop redundant columns or use \
                             ElasticNet::ridge",
                            if centred { " and the intercept" } else { "" },
                            value.max(0.0)
                        ),
                    ));
                }
                lower[[k, k]] = value.sqrt();
            } else {
                lower[[k, i]] = value / lower[[i, i]];
            }
        }
    }
    Ok(())
}

/// Reject least-squares solutions whose per-feature contributions dwarf the target:
/// the signature of (nearly) collinear features, where the QR solve returns huge
/// coefficients that cancel each other.
fn check_conditioning(x: &Array2<f64>, y: &Array1<f64>, coef: &Array1<f64>, centred: bool) -> Result<()> {
    const LIMIT: f64 = 1e9;
    let y_scale = (y.iter().map(|v| v * v).sum::<f64>() / y.len().max(1) as f64).sqrt();
    if y_scale.is_nan() || y_scale <= 0.0 {
        return Ok(());
    }
    for (j, (column, c)) in x.columns().into_iter().zip(coef).enumerate() {
        let spread = if centred {
            column.std(0.0)
        } else {
            column.mapv(|v| v * v).mean().unwrap_or(0.0).sqrt()
        };
        if (c * spread).abs() > LIMIT * y_scale {
            return Err(training_error(
                "LinearRegression",
                format!(
                    "the features are (nearly) collinear (coefficient {c:e} on feature {j} cancels \
                     out against others); drop redundant columns or use ElasticNet::ridge"
                ),
            ));
        }
    }
    Ok(())
}

/// Elastic net linear regression (and its special cases ridge and lasso), with
/// scikit-learn's `ElasticNet` objective
///
/// `1/(2n) ||y - Xw - b||² + alpha * l1_ratio * ||w||₁ + 0.5 * alpha * (1 - l1_ratio) * ||w||²`
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `alpha` | `1.0` | overall penalty strength | `>= 0`, finite |
/// | `l1_ratio` | `0.5` | share of the L1 penalty: `1` is the lasso, `0` ridge | `0..=1` |
/// | `fit_intercept` | `true` | learn an (unpenalised) bias term | |
/// | `max_iter` | `1000` | coordinate descent sweeps | `>= 1` |
/// | `tol` | `1e-4` | duality-gap tolerance, relative to `‖y‖²` | `> 0`, finite |
///
/// Fitted by linfa-elasticnet's coordinate descent, which uses the same update and
/// stopping rule as scikit-learn; the coefficients agree with scikit-learn's to the
/// solver tolerance. linfa only centres `y` for the intercept, so this trainer centres
/// `X` and `y` itself (as scikit-learn does) and recovers the intercept from the means.
/// Reaching `max_iter` without converging is not an error (scikit-learn only warns).
/// Sample weights are not supported by linfa-elasticnet: fitting with weights is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ElasticNet {
    /// Penalty strength.
    pub alpha: f64,
    /// Mix of L1 (`1.0`) and L2 (`0.0`) penalties.
    pub l1_ratio: f64,
    /// Learn an intercept.
    pub fit_intercept: bool,
    /// Maximum coordinate descent sweeps.
    pub max_iter: u32,
    /// Convergence tolerance.
    pub tol: f64,
}

impl Default for ElasticNet {
    fn default() -> Self {
        ElasticNet {
            alpha: 1.0,
            l1_ratio: 0.5,
            fit_intercept: true,
            max_iter: 1000,
            tol: 1e-4,
        }
    }
}

impl ElasticNet {
    /// Ridge regression (`l1_ratio = 0`) with penalty `alpha`. In scikit-learn's terms
    /// this is `Ridge(alpha = n_samples * alpha)`, because the elastic net scales the
    /// squared error by `1/(2n)` and the L2 penalty by `1/2`.
    pub fn ridge(alpha: f64) -> Self {
        ElasticNet {
            alpha,
            l1_ratio: 0.0,
            ..ElasticNet::default()
        }
    }

    /// The lasso (`l1_ratio = 1`) with penalty `alpha`, as scikit-learn's `Lasso(alpha)`.
    pub fn lasso(alpha: f64) -> Self {
        ElasticNet {
            alpha,
            l1_ratio: 1.0,
            ..ElasticNet::default()
        }
    }

    fn validate(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(Error::param("alpha", self.alpha, "must be a finite number >= 0"));
        }
        if !(0.0..=1.0).contains(&self.l1_ratio) {
            return Err(Error::param("l1_ratio", self.l1_ratio, "must be between 0 and 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", self.max_iter, "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::param("tol", self.tol, "must be a finite number > 0"));
        }
        Ok(())
    }
}

#[typetag::serde(name = "elastic_net")]
impl Trainer for ElasticNet {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Regression
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        const NAME: &str = "ElasticNet";
        self.validate()?;
        let y = regression_target(NAME, data)?;
        // Centre X and y so that the unpenalised intercept drops out of the problem, as
        // scikit-learn does; linfa's own intercept handling centres only y.
        let (x, y, x_mean, y_mean) = if self.fit_intercept {
            let x_mean = data.x.mean_axis(Axis(0)).ok_or_else(|| Error::EmptyInput {
                context: "no rows to fit ElasticNet on".into(),
            })?;
            let y_mean = y.mean().unwrap_or(0.0);
            (&data.x - &x_mean, y - y_mean, Some(x_mean), y_mean)
        } else {
            (data.x.clone(), y.clone(), None, 0.0)
        };
        let dataset = linfa::Dataset::new(x, y);
        let fitted = linfa_elasticnet::ElasticNet::params()
            .penalty(self.alpha)
            .l1_ratio(self.l1_ratio)
            .with_intercept(false)
            .max_iterations(self.max_iter)
            .tolerance(self.tol)
            .fit(&dataset)
            .map_err(|e| training_error(NAME, e))?;
        let coef = fitted.hyperplane().clone();
        let intercept = match x_mean {
            Some(x_mean) => y_mean - x_mean.dot(&coef),
            None => 0.0,
        };
        finished(NAME, coef, intercept)
    }
}

/// A fitted linear regression model: `y = x · coef + intercept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearRegressor {
    /// One coefficient per feature.
    pub coef: Array1<f64>,
    /// The bias term (`0` when fitted without an intercept).
    pub intercept: f64,
}

impl LinearRegressor {
    /// `x · coef + intercept` for one row, summed left to right (so the batch and the
    /// single-row paths agree bit for bit).
    fn value<'a>(&self, x: impl IntoIterator<Item = &'a f64>) -> f64 {
        let dot = self.coef.iter().zip(x).fold(0.0, |acc, (w, v)| acc + w * v);
        dot + self.intercept
    }
}

#[typetag::serde(name = "linear_regressor")]
impl Model for LinearRegressor {
    fn n_features(&self) -> usize {
        self.coef.len()
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("LinearRegressor", self.n_features(), x.ncols())?;
        let coef = self.coef.view().insert_axis(ndarray::Axis(0));
        let intercept = ndarray::arr1(&[self.intercept]);
        let scores = super::linear_scores(x, coef, intercept.view());
        Ok(Predictions::Values(scores.column(0).to_owned()))
    }

    fn predict_design(&self, x: &crate::data::Design) -> Result<Predictions> {
        check_width("LinearRegressor", self.n_features(), x.n_features())?;
        let coef = self.coef.view().insert_axis(ndarray::Axis(0));
        let intercept = ndarray::arr1(&[self.intercept]);
        let scores = x.linear_scores(0..x.n_rows(), coef, intercept.view());
        Ok(Predictions::Values(scores.column(0).to_owned()))
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("LinearRegressor", self.n_features(), x.len())?;
        Ok(RowPrediction::Value(self.value(x)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::data::ClassLabels;
    use ndarray::{array, Array2};

    // Reference data and values computed with numpy 2.4.6 and scikit-learn 1.9.1:
    //   rng = np.random.default_rng(7)
    //   X = np.round(rng.normal(size=(30, 3)) * [1, 2, 0.5] + [0.5, -1, 2], 2)
    //   y = np.round(3 + X @ [1.5, -2, 0.5] + rng.normal(scale=0.3, size=30), 3)
    // then np.linalg.lstsq, and ElasticNet / Lasso(tol=1e-12, max_iter=1e6) and
    // Ridge(solver="cholesky") from sklearn.linear_model, as noted at each value.
    fn reference_data() -> Dataset {
        let x: Array2<f64> = array![
            [0.5, -0.4, 1.86],
            [-0.39, -1.91, 1.5],
            [0.56, 1.68, 1.75],
            [-0.12, -0.02, 2.18],
            [0.61, -2.86, 1.99],
            [1.2, -3.69, 1.77],
            [-1.4, -3.58, 1.08],
            [0.26, -3.53, 2.14],
            [0.66, -1.37, 0.74],
            [-0.04, -1.1, 2.06],
            [-1.03, -1.96, 1.51],
            [-0.31, 1.12, 1.6],
            [0.47, 0.77, 1.71],
            [0.39, -0.78, 2.03],
            [-0.73, -0.85, 2.68],
            [-1.05, 0.72, 2.06],
            [-0.14, 3.0, 2.38],
            [-0.7, -0.85, 2.29],
            [0.31, 0.37, 1.97],
            [1.17, 1.88, 1.66],
            [0.7, -1.93, 2.06],
            [-0.69, -2.16, 1.9],
            [1.4, 1.29, 1.34],
            [-0.29, 0.29, 1.0],
            [0.04, -1.19, 2.63],
            [1.19, -1.65, 1.82],
            [0.25, 2.05, 1.79],
            [0.2, -0.29, 1.94],
            [0.3, -3.23, 1.99],
            [0.06, 1.33, 2.33],
        ];
        let y = array![
            5.473, 7.186, 1.253, 4.266, 10.628, 13.24, 8.213, 11.624, 6.594, 5.559, 6.039, 0.825, 3.069,
            6.833, 4.695, 0.828, -1.958, 4.943, 3.657, 1.763, 9.151, 7.391, 2.88, 2.461, 6.766, 8.679, 0.248,
            4.593, 11.197, 1.653
        ];
        Dataset {
            x,
            target: Target::Continuous(y),
            weights: None,
            feature_names: vec!["a".into(), "b".into(), "c".into()],
        }
    }

    fn regressor(model: &dyn Model) -> LinearRegressor {
        let json = serde_json::to_value(model).unwrap();
        let mut inner = json;
        inner.as_object_mut().unwrap().remove("type");
        serde_json::from_value(inner).unwrap()
    }

    fn assert_close(model: &LinearRegressor, coef: &[f64], intercept: f64, tol: f64) {
        assert_eq!(model.coef.len(), coef.len());
        for (got, want) in model.coef.iter().zip(coef) {
            assert!(
                (got - want).abs() < tol,
                "coef {got} vs {want} ({:?})",
                model.coef
            );
        }
        assert!(
            (model.intercept - intercept).abs() < tol,
            "intercept {} vs {intercept}",
            model.intercept
        );
    }

    fn values(model: &dyn Model, x: ArrayView2<f64>) -> Array1<f64> {
        match model.predict(x).unwrap() {
            Predictions::Values(v) => v,
            other => panic!("expected values, got {other:?}"),
        }
    }

    fn r2(y: &Array1<f64>, pred: &Array1<f64>) -> f64 {
        let mean = y.mean().unwrap();
        let ss_res: f64 = y.iter().zip(pred).map(|(a, b)| (a - b).powi(2)).sum();
        let ss_tot: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
        1.0 - ss_res / ss_tot
    }

    fn tight(alpha: f64, l1_ratio: f64) -> ElasticNet {
        ElasticNet {
            alpha,
            l1_ratio,
            tol: 1e-10,
            max_iter: 100_000,
            ..ElasticNet::default()
        }
    }

    #[test]
    fn ols_matches_numpy_lstsq() {
        let data = reference_data();
        let m = LinearRegression::default().fit(&data).unwrap();
        // np.linalg.lstsq([X, 1], y)
        let want = [1.5410026667582344, -2.0189282858648774, 0.7186735852122028];
        assert_close(&regressor(m.as_ref()), &want, 2.5470124562123937, 1e-9);
        let m = LinearRegression { fit_intercept: false }.fit(&data).unwrap();
        // np.linalg.lstsq(X, y)
        let want = [1.659420200400363, -2.0722041461948386, 1.996568293488095];
        assert_close(&regressor(m.as_ref()), &want, 0.0, 1e-9);

        let Target::Continuous(y) = &data.target else {
            unreachable!()
        };
        let m = LinearRegression::default().fit(&data).unwrap();
        assert!(r2(y, &values(m.as_ref(), data.x.view())) > 0.98);
    }

    #[test]
    fn elastic_net_matches_scikit_learn() {
        let data = reference_data();
        // sklearn.linear_model.ElasticNet(alpha, l1_ratio, tol=1e-12, max_iter=1e6)
        let cases: [(ElasticNet, [f64; 3], f64); 4] = [
            (
                tight(0.1, 0.5),
                [1.262451176162691, -1.953401086293617, 0.30684684186148126],
                3.3850174881913078,
            ),
            (
                tight(0.5, 0.9),
                [0.4486020513965267, -1.7909147789336237, 0.0],
                4.149132716112698,
            ),
            (
                ElasticNet {
                    fit_intercept: false,
                    ..tight(0.1, 0.5)
                },
                [1.4143865929354367, -2.0305876807171805, 1.9805373483016693],
                0.0,
            ),
            // sklearn Lasso(alpha=0.3)
            (
                ElasticNet {
                    tol: 1e-10,
                    max_iter: 100_000,
                    ..ElasticNet::lasso(0.3)
                },
                [0.8344627336034981, -1.8819301918241111, 0.0],
                4.048471061484523,
            ),
        ];
        for (trainer, coef, intercept) in cases {
            let m = trainer.fit(&data).unwrap();
            assert_close(&regressor(m.as_ref()), &coef, intercept, 1e-6);
        }
        // ElasticNet(l1_ratio=0, alpha=0.2) is sklearn Ridge(alpha=30 * 0.2), solver="cholesky".
        let trainer = ElasticNet {
            tol: 1e-10,
            max_iter: 100_000,
            ..ElasticNet::ridge(0.2)
        };
        let m = trainer.fit(&data).unwrap();
        let want = [1.0402215405745245, -1.8730276027194248, 0.28879143935332574];
        assert_close(&regressor(m.as_ref()), &want, 3.4941156741085164, 1e-6);
    }

    #[test]
    fn elastic_net_without_penalty_is_ols() {
        let data = reference_data();
        let m = tight(0.0, 0.5).fit(&data).unwrap();
        let want = [1.5410026667582344, -2.0189282858648774, 0.7186735852122028];
        assert_close(&regressor(m.as_ref()), &want, 2.5470124562123937, 1e-6);
    }

    #[test]
    fn invalid_hyperparameters() {
        let data = reference_data();
        let bad = [
            ElasticNet {
                alpha: -0.1,
                ..ElasticNet::default()
            },
            ElasticNet {
                alpha: f64::NAN,
                ..ElasticNet::default()
            },
            ElasticNet {
                alpha: f64::INFINITY,
                ..ElasticNet::default()
            },
            ElasticNet {
                l1_ratio: 1.5,
                ..ElasticNet::default()
            },
            ElasticNet {
                l1_ratio: -0.5,
                ..ElasticNet::default()
            },
            ElasticNet {
                l1_ratio: f64::NAN,
                ..ElasticNet::default()
            },
            ElasticNet {
                max_iter: 0,
                ..ElasticNet::default()
            },
            ElasticNet {
                tol: 0.0,
                ..ElasticNet::default()
            },
            ElasticNet {
                tol: f64::NAN,
                ..ElasticNet::default()
            },
        ];
        for trainer in bad {
            let err = trainer.fit(&data).unwrap_err();
            assert!(
                matches!(err, Error::InvalidParameter { .. }),
                "{trainer:?}: {err}"
            );
        }
    }

    #[test]
    fn rejects_class_labels_weights_and_empty_input() {
        // A constant target gives (near-)zero coefficients, not a conditioning error.
        let mut constant = reference_data();
        constant.target = Target::Continuous(Array1::from_elem(30, 4.0));
        let m = regressor(LinearRegression::default().fit(&constant).unwrap().as_ref());
        assert!(m.coef.iter().all(|c| c.abs() < 1e-9) && (m.intercept - 4.0).abs() < 1e-9);

        let mut data = reference_data();
        let n = data.n_rows();
        let weighted = data.clone().with_weights(Array1::ones(n)).unwrap();
        for trainer in [
            Box::new(LinearRegression::default()) as Box<dyn Trainer>,
            Box::new(ElasticNet::default()),
        ] {
            let err = trainer.fit(&weighted).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidParameter { name, .. } if name == "sample_weight"),
                "{err}"
            );
            assert!(
                err.to_string().contains("does not support sample weights"),
                "{err}"
            );
        }
        data.target = Target::Classes {
            codes: (0..n).map(|i| i % 2).collect(),
            labels: ClassLabels::Int(vec![0, 1]),
        };
        for trainer in [
            Box::new(LinearRegression::default()) as Box<dyn Trainer>,
            Box::new(ElasticNet::default()),
        ] {
            assert_eq!(trainer.target_kind(), TargetKind::Regression);
            let err = trainer.fit(&data).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidData(m) if m.contains("regression target")),
                "{err}"
            );
        }
        let empty = Dataset {
            x: Array2::zeros((0, 2)),
            target: Target::Continuous(Array1::zeros(0)),
            weights: None,
            feature_names: vec![],
        };
        for trainer in [
            Box::new(LinearRegression::default()) as Box<dyn Trainer>,
            Box::new(ElasticNet::default()),
        ] {
            assert!(matches!(trainer.fit(&empty), Err(Error::EmptyInput { .. })));
        }
    }

    #[test]
    fn collinear_ols_is_a_training_error() {
        let mut data = reference_data();
        let col = data.x.column(0).to_owned();
        data.x = ndarray::concatenate![Axis(1), data.x, col.insert_axis(Axis(1))];
        for fit_intercept in [true, false] {
            let err = LinearRegression { fit_intercept }.fit(&data).unwrap_err();
            assert!(
                matches!(&err, Error::Training { reason, .. } if reason.contains("collinear")),
                "{err}"
            );
        }
        // Exactly collinear through a scale factor ([x0, x1, 2 x0]): named, before the solve.
        let x = ndarray::array![
            [1.0, 0.5, 2.0],
            [2.0, -1.0, 4.0],
            [0.5, 3.0, 1.0],
            [-1.0, 0.2, -2.0]
        ];
        let names: Vec<String> = ["a", "b", "twice_a"].map(String::from).to_vec();
        let err = check_rank(&x, &names, true).unwrap_err();
        assert!(err.to_string().contains("`twice_a`"), "{err}");
        let constant = ndarray::array![[1.0, 3.0], [2.0, 3.0], [4.0, 3.0]];
        let err = check_rank(&constant, &names, true).unwrap_err();
        assert!(err.to_string().contains("`b` is constant"), "{err}");
        assert!(
            check_rank(&constant, &names, false).is_ok(),
            "without an intercept a constant column is fine"
        );
        // The penalised fit copes with collinearity.
        let m = ElasticNet::ridge(0.1).fit(&data).unwrap();
        let r = regressor(m.as_ref());
        assert!((r.coef[0] - r.coef[3]).abs() < 1e-6, "{:?}", r.coef);
    }

    #[test]
    fn serde_round_trip_predict_row_and_determinism() {
        let data = reference_data();
        let trainers: Vec<Box<dyn Trainer>> = vec![
            Box::new(LinearRegression::default()),
            Box::new(ElasticNet::default()),
            Box::new(ElasticNet::lasso(0.05)),
        ];
        for trainer in trainers {
            let t_json = serde_json::to_string(&trainer).unwrap();
            let trainer: Box<dyn Trainer> = serde_json::from_str(&t_json).unwrap();
            let m = trainer.fit(&data).unwrap();
            let again = trainer.fit(&data).unwrap();
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                serde_json::to_string(&again).unwrap()
            );

            let json = serde_json::to_string(&m).unwrap();
            assert!(json.contains("\"type\":\"linear_regressor\""), "{json}");
            let back: Box<dyn Model> = serde_json::from_str(&json).unwrap();
            assert_eq!(regressor(back.as_ref()), regressor(m.as_ref()));
            let batch = values(m.as_ref(), data.x.view());
            assert_eq!(values(back.as_ref(), data.x.view()), batch);
            for (row, want) in data.x.rows().into_iter().zip(&batch) {
                let got = back.predict_row(row.as_slice().unwrap()).unwrap();
                assert_eq!(got, RowPrediction::Value(*want));
            }
            assert!(m.predict_row(&[1.0]).is_err());
            assert!(m.predict(Array2::zeros((2, 4)).view()).is_err());
        }
    }

    #[test]
    fn trainer_json_forms() {
        let t: Box<dyn Trainer> = serde_json::from_str(r#"{"type":"elastic_net"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"type": "elastic_net", "alpha": 1.0, "l1_ratio": 0.5,
                "fit_intercept": true, "max_iter": 1000, "tol": 1e-4})
        );
        let t: Box<dyn Trainer> = serde_json::from_str(r#"{"type":"linear_regression"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"type": "linear_regression", "fit_intercept": true})
        );
        let m: Box<dyn Model> = serde_json::from_str(
            r#"{"type":"linear_regressor","coef":{"v":1,"dim":[2],"data":[2.0,-1.0]},"intercept":0.5}"#,
        )
        .unwrap();
        assert_eq!(m.predict_row(&[1.0, 1.0]).unwrap(), RowPrediction::Value(1.5));
    }
}
