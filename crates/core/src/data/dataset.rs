use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::table::{as_f64_array, column, is_string, str_values};
use super::{to_matrix, Design, Value};
use crate::error::{Error, Result};

/// Whether a target is predicted as a class or as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Discrete labels (string, bool, integer, or integral floats).
    Classification,
    /// Real values.
    Regression,
}

/// The sorted distinct labels of a classification target, in their original type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassLabels {
    /// String labels.
    Str(Vec<String>),
    /// Integer labels (also used for integral float targets).
    Int(Vec<i64>),
    /// Boolean labels.
    Bool(Vec<bool>),
}

impl ClassLabels {
    /// Number of classes.
    pub fn len(&self) -> usize {
        match self {
            ClassLabels::Str(v) => v.len(),
            ClassLabels::Int(v) => v.len(),
            ClassLabels::Bool(v) => v.len(),
        }
    }

    /// True when there are no classes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label of class `code` as a [`Value`].
    pub fn value(&self, code: usize) -> Value {
        match self {
            ClassLabels::Str(v) => v.get(code).map_or(Value::Null, |s| Value::Str(s.clone())),
            ClassLabels::Int(v) => v.get(code).map_or(Value::Null, |i| Value::Int(*i)),
            ClassLabels::Bool(v) => v.get(code).map_or(Value::Null, |b| Value::Bool(*b)),
        }
    }

    /// The labels of `codes` as an Arrow array of the label type.
    pub fn take(&self, codes: &[usize]) -> ArrayRef {
        match self {
            ClassLabels::Str(v) => Arc::new(
                codes
                    .iter()
                    .map(|&c| v.get(c).map(String::as_str))
                    .collect::<StringArray>(),
            ),
            ClassLabels::Int(v) => Arc::new(codes.iter().map(|&c| v.get(c).copied()).collect::<Int64Array>()),
            ClassLabels::Bool(v) => {
                Arc::new(codes.iter().map(|&c| v.get(c).copied()).collect::<BooleanArray>())
            }
        }
    }

    /// The labels as text, for names such as `proba_<label>`.
    pub fn names(&self) -> Vec<String> {
        match self {
            ClassLabels::Str(v) => v.clone(),
            ClassLabels::Int(v) => v.iter().map(ToString::to_string).collect(),
            ClassLabels::Bool(v) => v.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The target of a [`Dataset`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Class codes `0..labels.len()` into `labels`.
    Classes {
        /// One code per row.
        codes: Array1<usize>,
        /// The labels, sorted.
        labels: ClassLabels,
    },
    /// Real values.
    Continuous(Array1<f64>),
}

/// What a trainer sees: a dense feature matrix, a target, optional sample weights and
/// the feature names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// `(rows, features)`, all finite.
    pub x: Array2<f64>,
    /// One target per row.
    pub target: Target,
    /// Optional non-negative weights, one per row.
    pub weights: Option<Array1<f64>>,
    /// One name per column of `x`.
    pub feature_names: Vec<String>,
}

impl Dataset {
    /// Build a dataset from `features` and `target` columns of `table`.
    ///
    /// # Errors
    /// Missing or mistyped columns; an empty table; a null target; non-finite
    /// features ([`to_matrix`]); a classification target with fewer than two classes;
    /// a regression target that is not numeric.
    pub fn from_table<S: AsRef<str>>(
        table: &RecordBatch,
        features: &[S],
        target: &str,
        kind: TargetKind,
    ) -> Result<Dataset> {
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "the training table has no rows".into(),
            });
        }
        let x = to_matrix(table, features)?;
        let target_array = column(table, target)?;
        let names = features.iter().map(|s| s.as_ref().to_string()).collect();
        Dataset::from_matrix(x, names, target, target_array, kind)
    }

    /// Build a dataset from a feature matrix already assembled and a target column.
    ///
    /// # Errors
    /// As [`from_table`](Dataset::from_table), plus a target whose length differs from
    /// the matrix's row count.
    pub fn from_matrix(
        x: Array2<f64>,
        feature_names: Vec<String>,
        target_name: &str,
        target: &ArrayRef,
        kind: TargetKind,
    ) -> Result<Dataset> {
        if x.nrows() == 0 {
            return Err(Error::EmptyInput {
                context: "the training table has no rows".into(),
            });
        }
        if target.len() != x.nrows() {
            return Err(Error::InvalidData(format!(
                "target `{target_name}` has {} values for {} rows",
                target.len(),
                x.nrows()
            )));
        }
        if feature_names.len() != x.ncols() {
            return Err(Error::InvalidData(format!(
                "{} feature names for {} columns",
                feature_names.len(),
                x.ncols()
            )));
        }
        let target = encode_target(target_name, target, kind)?;
        Ok(Dataset {
            x,
            target,
            weights: None,
            feature_names,
        })
    }

    /// Attach sample weights (one per row, finite and non-negative, not all zero).
    pub fn with_weights(mut self, weights: Array1<f64>) -> Result<Dataset> {
        check_weights(&weights, self.x.nrows())?;
        self.weights = Some(weights);
        Ok(self)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    /// The class labels, if this is a classification dataset.
    pub fn labels(&self) -> Option<&ClassLabels> {
        match &self.target {
            Target::Classes { labels, .. } => Some(labels),
            Target::Continuous(_) => None,
        }
    }
}

/// What a trainer that understands one-hot blocks sees: a [`Design`] instead of a
/// dense matrix (see [`Trainer::fit_design`](crate::train::Trainer::fit_design)).
#[derive(Debug, Clone, PartialEq)]
pub struct DesignDataset {
    /// `rows x features`, dense columns all finite.
    pub x: Design,
    /// One target per row.
    pub target: Target,
    /// Optional non-negative weights, one per row.
    pub weights: Option<Array1<f64>>,
    /// One name per feature.
    pub feature_names: Vec<String>,
}

impl DesignDataset {
    /// Build a dataset from a design and a target column.
    ///
    /// # Errors
    /// As [`Dataset::from_matrix`].
    pub fn new(
        x: Design,
        feature_names: Vec<String>,
        target_name: &str,
        target: &ArrayRef,
        kind: TargetKind,
    ) -> Result<DesignDataset> {
        if x.n_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "the training table has no rows".into(),
            });
        }
        if target.len() != x.n_rows() {
            return Err(Error::InvalidData(format!(
                "target `{target_name}` has {} values for {} rows",
                target.len(),
                x.n_rows()
            )));
        }
        if feature_names.len() != x.n_features() {
            return Err(Error::InvalidData(format!(
                "{} feature names for {} features",
                feature_names.len(),
                x.n_features()
            )));
        }
        let target = encode_target(target_name, target, kind)?;
        Ok(DesignDataset {
            x,
            target,
            weights: None,
            feature_names,
        })
    }

    /// Attach sample weights (one per row, finite and non-negative, not all zero).
    pub fn with_weights(mut self, weights: Array1<f64>) -> Result<DesignDataset> {
        check_weights(&weights, self.x.n_rows())?;
        self.weights = Some(weights);
        Ok(self)
    }

    /// The same data with a dense feature matrix, for trainers that need one.
    pub fn into_dense(self) -> Dataset {
        Dataset {
            x: self.x.to_dense(),
            target: self.target,
            weights: self.weights,
            feature_names: self.feature_names,
        }
    }

    /// The class labels, if this is a classification dataset.
    pub fn labels(&self) -> Option<&ClassLabels> {
        match &self.target {
            Target::Classes { labels, .. } => Some(labels),
            Target::Continuous(_) => None,
        }
    }
}

fn check_weights(weights: &Array1<f64>, rows: usize) -> Result<()> {
    if weights.len() != rows {
        return Err(Error::InvalidData(format!(
            "{} sample weights for {rows} rows",
            weights.len(),
        )));
    }
    if let Some((row, w)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        return Err(Error::InvalidValue {
            column: "sample_weight".into(),
            row,
            value: w.to_string(),
            hint: "sample weights must be finite and non-negative".into(),
        });
    }
    if weights.sum() <= 0.0 {
        return Err(Error::InvalidData("all sample weights are zero".into()));
    }
    Ok(())
}

fn null_target(name: &str, row: usize) -> Error {
    Error::InvalidValue {
        column: name.to_string(),
        row,
        value: "null".into(),
        hint: "the target may not be missing: drop those rows first (DropNulls)".into(),
    }
}

pub(crate) fn encode_target(name: &str, array: &ArrayRef, kind: TargetKind) -> Result<Target> {
    if let Some(row) = (0..array.len()).find(|&i| array.is_null(i)) {
        return Err(null_target(name, row));
    }
    match kind {
        TargetKind::Regression => {
            let dt = array.data_type();
            if !(dt.is_numeric() || matches!(dt, DataType::Boolean)) {
                return Err(Error::InvalidData(format!(
                    "a regression trainer needs a numeric target, but target `{name}` holds {dt} values: use a classifier for labels"
                )));
            }
            let values = as_f64_array(name, array)?;
            if let Some((row, v)) = values.values().iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::InvalidValue {
                    column: name.to_string(),
                    row,
                    value: v.to_string(),
                    hint: "a regression target must be finite".into(),
                });
            }
            Ok(Target::Continuous(Array1::from(values.values().to_vec())))
        }
        TargetKind::Classification => {
            let dt = array.data_type();
            let (codes, labels) = if is_string(dt) {
                let strings = str_values(name, array)?;
                let distinct: BTreeSet<&str> = strings.iter().flatten().collect();
                let labels: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
                let codes = strings
                    .iter()
                    .map(|s| {
                        labels
                            .binary_search_by(|l| l.as_str().cmp(s.unwrap_or_default()))
                            .unwrap_or(0)
                    })
                    .collect();
                (codes, ClassLabels::Str(labels))
            } else if matches!(dt, DataType::Boolean) {
                let bools = array.as_boolean();
                let distinct: BTreeSet<bool> = bools.iter().flatten().collect();
                let labels: Vec<bool> = distinct.into_iter().collect();
                let codes = bools
                    .iter()
                    .map(|b| labels.binary_search(&b.unwrap_or_default()).unwrap_or(0))
                    .collect();
                (codes, ClassLabels::Bool(labels))
            } else if dt.is_numeric() {
                let floats = as_f64_array(name, array)?;
                if let Some((row, v)) = floats
                    .values()
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.fract() != 0.0 || !v.is_finite())
                {
                    return Err(Error::InvalidValue {
                        column: name.to_string(),
                        row,
                        value: v.to_string(),
                        hint: "a classification target must hold discrete labels (strings, booleans or integers); use a regression trainer for real values".into(),
                    });
                }
                let ints = cast_with_options(array, &DataType::Int64, &CastOptions::default())?;
                let ints = ints.as_primitive::<Int64Type>();
                let distinct: BTreeSet<i64> = ints.iter().flatten().collect();
                let labels: Vec<i64> = distinct.into_iter().collect();
                let codes = ints
                    .iter()
                    .map(|v| labels.binary_search(&v.unwrap_or_default()).unwrap_or(0))
                    .collect();
                (codes, ClassLabels::Int(labels))
            } else {
                return Err(Error::column_type(name, "string, boolean or integer labels", dt));
            };
            if labels.len() < 2 {
                return Err(Error::InvalidData(format!(
                    "target `{name}` has a single class {:?}: a classifier needs at least two classes",
                    labels.names()
                )));
            }
            Ok(Target::Classes {
                codes: Array1::from_vec(codes),
                labels,
            })
        }
    }
}
