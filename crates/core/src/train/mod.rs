//! Trainers and the models they fit.
//!
//! A [`Trainer`] holds hyperparameters and fits a [`Dataset`] into a [`Model`]. Models
//! work on class *codes* (`0..n_classes`); the pipeline maps codes to labels. Every
//! trainer and model is serde-serializable under a stable tag, as transforms are.

mod bayes;
mod forest;
mod linear;
mod logistic;
mod logistic_loss;
mod ridge;
mod svm;
mod tree;

use std::fmt::Debug;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ShapeBuilder};
use serde::{Deserialize, Serialize};

pub use bayes::*;
pub use forest::*;
pub use linear::*;
pub use logistic::{ClassLabel, ClassWeight, LinearClassifier, LogisticRegression, LogisticSolver};
pub use ridge::*;
pub use svm::*;
pub use tree::*;

use crate::data::{Dataset, Design, DesignDataset, TargetKind};
use crate::error::{Error, Result};

/// What a model predicts for a batch of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predictions {
    /// Class codes, and per-class probabilities (`rows x classes`) where the model has them.
    Classes {
        /// One code per row.
        codes: Vec<usize>,
        /// Class probabilities, if the model gives them.
        proba: Option<Array2<f64>>,
    },
    /// Real values.
    Values(Array1<f64>),
}

/// What a model predicts for one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowPrediction {
    /// A class code and, where the model has them, per-class probabilities.
    Class {
        /// The class code.
        code: usize,
        /// Class probabilities.
        proba: Option<Vec<f64>>,
    },
    /// A real value.
    Value(f64),
}

/// Hyperparameters of a learning algorithm.
#[typetag::serde(tag = "type")]
pub trait Trainer: Send + Sync + Debug + dyn_clone::DynClone {
    /// Whether this trainer fits classes or values.
    fn target_kind(&self) -> TargetKind;

    /// Fit a model.
    ///
    /// # Errors
    /// Invalid hyperparameters ([`Error::InvalidParameter`]), data the algorithm cannot
    /// use ([`Error::InvalidData`]), or a solver failure ([`Error::Training`]).
    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>>;

    /// Fit on a [`Design`] whose one-hot blocks are kept as codes. The default makes the
    /// matrix dense and calls [`fit`](Trainer::fit); trainers that can use the blocks
    /// directly (the linear models) override it.
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit).
    fn fit_design(&self, data: DesignDataset) -> Result<Box<dyn Model>> {
        self.fit(&data.into_dense())
    }
}
dyn_clone::clone_trait_object!(Trainer);

/// A fitted model.
#[typetag::serde(tag = "type")]
pub trait Model: Send + Sync + Debug + dyn_clone::DynClone {
    /// The number of features (columns) the model expects.
    fn n_features(&self) -> usize;

    /// Predict a batch.
    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions>;

    /// Predict a batch given as a [`Design`]. The default makes it dense and calls
    /// [`predict`](Model::predict); the linear models score the blocks directly.
    fn predict_design(&self, x: &Design) -> Result<Predictions> {
        self.predict(x.to_dense().view())
    }

    /// Predict one row. The default runs [`predict`](Model::predict) on a one-row matrix.
    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        let view = ArrayView2::from_shape((1, x.len()), x)
            .map_err(|e| Error::InvalidData(format!("row of {} values: {e}", x.len())))?;
        Ok(match self.predict(view)? {
            Predictions::Classes { codes, proba } => RowPrediction::Class {
                code: codes.first().copied().unwrap_or_default(),
                proba: proba.map(|p| p.row(0).to_vec()),
            },
            Predictions::Values(v) => RowPrediction::Value(v.first().copied().unwrap_or(f64::NAN)),
        })
    }
}
dyn_clone::clone_trait_object!(Model);

/// Check that `x` has the number of columns the model was fitted on.
pub fn check_width(model: &str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::InvalidData(format!(
            "{model} was fitted on {expected} features but got {found}"
        )))
    }
}

/// Decision values of a linear model: `x · coefᵀ + intercept`, `(rows, outputs)`.
///
/// Each value is summed in feature order and the intercept added last, exactly as the
/// single-row path does, so batch and single-row predictions are bit-identical. The
/// pipeline assembles feature matrices column-major, so that case runs column by column
/// (`out[:, k] += w[k, j] * x[:, j]`: contiguous and vectorisable).
pub fn linear_scores(x: ArrayView2<f64>, coef: ArrayView2<f64>, intercept: ArrayView1<f64>) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((x.nrows(), coef.nrows()).f());
    for (k, mut column) in out.columns_mut().into_iter().enumerate() {
        let w = coef.row(k);
        if x.is_standard_layout() {
            for (o, row) in column.iter_mut().zip(x.rows()) {
                *o = w.iter().zip(row).fold(0.0, |acc, (w, v)| acc + w * v);
            }
        } else {
            for (w, x_j) in w.iter().zip(x.columns()) {
                column.scaled_add(*w, &x_j);
            }
        }
        column += intercept.get(k).copied().unwrap_or(f64::NAN);
    }
    out
}
