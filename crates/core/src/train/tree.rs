//! Decision trees (CART) for classification and regression, grown by ferrops's own
//! learner with scikit-learn's semantics and stored as flat node arrays.
//!
//! See [`DecisionTree`] for the algorithm.

use std::fmt;

use ndarray::{Array1, Array2, ArrayView2};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{check_width, ClassWeight, Model, Predictions, RowPrediction, Trainer};
use crate::cancel::{self, CancelToken};
use crate::data::{ClassLabels, Dataset, Target, TargetKind};
use crate::error::{Error, Result};

/// Values of a feature closer than this are treated as equal (scikit-learn's
/// `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;
/// Impurities at most this are pure; improvements are compared with this slack.
const EPSILON: f64 = f64::EPSILON;

// ---------------------------------------------------------------------------
// random numbers
// ---------------------------------------------------------------------------

pub(crate) use crate::rng::SplitMix64 as TreeRng;

// ---------------------------------------------------------------------------
// parameter types
// ---------------------------------------------------------------------------

/// The impurity a classification split minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Gini impurity, `1 - Σ p²`.
    #[default]
    Gini,
    /// Shannon entropy in bits (information gain); `"log_loss"` is accepted as a
    /// synonym, as in scikit-learn.
    #[serde(alias = "log_loss")]
    Entropy,
}

/// The impurity a regression split minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegressionCriterion {
    /// Weighted variance of the target (mean squared error around the node mean).
    #[default]
    SquaredError,
}

/// How many features a split considers (scikit-learn's `max_features`). JSON: `null`,
/// `"sqrt"`, `"log2"`, an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum MaxFeatures {
    /// All features (`null`).
    #[default]
    All,
    /// `max(1, floor(sqrt(n_features)))`.
    Sqrt,
    /// `max(1, floor(log2(n_features)))`.
    Log2,
    /// This many features, `1..=n_features`.
    Count(usize),
    /// `max(1, floor(fraction * n_features))`, fraction in `(0, 1]`.
    Fraction(f64),
}

impl MaxFeatures {
    fn validate(&self, name: &str) -> Result<()> {
        match *self {
            MaxFeatures::Count(0) => Err(Error::param(
                name,
                0,
                "must be at least 1 (an integer count), a fraction in (0, 1], \"sqrt\", \"log2\" or null",
            )),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => Err(Error::param(
                name,
                f,
                "a fraction must be in (0, 1]; give an integer for a count of features",
            )),
            _ => Ok(()),
        }
    }

    /// The number of features for `n_features` columns (scikit-learn's `max_features_`).
    ///
    /// # Errors
    /// A count above `n_features`.
    pub fn resolve(&self, n_features: usize) -> Result<usize> {
        let n = n_features as f64;
        let count = match *self {
            MaxFeatures::All => n_features,
            MaxFeatures::Sqrt => (n.sqrt().floor() as usize).max(1),
            MaxFeatures::Log2 => (n.log2().floor() as usize).max(1),
            MaxFeatures::Fraction(f) => ((f * n).floor() as usize).max(1),
            MaxFeatures::Count(c) => {
                if c > n_features {
                    return Err(Error::param(
                        "max_features",
                        c,
                        format!("must be at most the number of features ({n_features})"),
                    ));
                }
                c
            }
        };
        Ok(count.min(n_features).max(1))
    }
}

impl Serialize for MaxFeatures {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            MaxFeatures::All => s.serialize_none(),
            MaxFeatures::Sqrt => s.serialize_str("sqrt"),
            MaxFeatures::Log2 => s.serialize_str("log2"),
            MaxFeatures::Count(c) => s.serialize_u64(*c as u64),
            MaxFeatures::Fraction(f) => s.serialize_f64(*f),
        }
    }
}

impl<'de> Deserialize<'de> for MaxFeatures {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaxFeatures;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("null, \"sqrt\", \"log2\", a positive integer or a fraction in (0, 1]")
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<MaxFeatures, E> {
                Ok(MaxFeatures::All)
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<MaxFeatures, E> {
                Ok(MaxFeatures::All)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<MaxFeatures, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<MaxFeatures, E> {
                match v {
                    "sqrt" => Ok(MaxFeatures::Sqrt),
                    "log2" => Ok(MaxFeatures::Log2),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<MaxFeatures, E> {
                Ok(MaxFeatures::Count(usize::try_from(v).unwrap_or(usize::MAX)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<MaxFeatures, E> {
                usize::try_from(v)
                    .map(MaxFeatures::Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<MaxFeatures, E> {
                Ok(MaxFeatures::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A number of rows given as a count or as a fraction of the training rows
/// (scikit-learn's int-or-float `min_samples_split`, `min_samples_leaf`, `max_samples`).
/// JSON: an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleCount {
    /// This many rows.
    Count(usize),
    /// This fraction of the training rows (rounded up for the `min_samples_*`
    /// parameters).
    Fraction(f64),
}

impl Serialize for SampleCount {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            SampleCount::Count(c) => s.serialize_u64(*c as u64),
            SampleCount::Fraction(f) => s.serialize_f64(*f),
        }
    }
}

impl<'de> Deserialize<'de> for SampleCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SampleCount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a non-negative integer (a count of rows) or a float (a fraction of the rows)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<SampleCount, E> {
                Ok(SampleCount::Count(usize::try_from(v).unwrap_or(usize::MAX)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<SampleCount, E> {
                usize::try_from(v)
                    .map(SampleCount::Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<SampleCount, E> {
                Ok(SampleCount::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for SampleCount {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SampleCount::Count(c) => write!(f, "{c}"),
            SampleCount::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

/// Per-class multipliers (one per class code) for `class_weight`, or `None` without
/// class weighting. `"balanced"` counts rows weighted by `sample_weight` when given (as
/// scikit-learn's forests do; its single trees count rows unweighted: pass `None`).
pub(crate) fn class_multipliers(
    class_weight: Option<&ClassWeight>,
    labels: &ClassLabels,
    codes: &Array1<usize>,
    sample_weight: Option<&Array1<f64>>,
) -> Result<Option<Vec<f64>>> {
    class_weight
        .map(|cw| cw.per_class(codes, labels, sample_weight).map(|m| m.to_vec()))
        .transpose()
}

/// `"balanced"` class weights: `total / (n_present_classes * class_total)`, where totals
/// sum `weight(row)`; absent classes get 0.
pub(crate) fn balanced(codes: &[usize], n_classes: usize, weight: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut totals = vec![0.0; n_classes];
    for (i, c) in codes.iter().enumerate() {
        if let Some(t) = totals.get_mut(*c) {
            *t += weight(i);
        }
    }
    let total: f64 = totals.iter().sum();
    let present = totals.iter().filter(|t| **t > 0.0).count() as f64;
    totals
        .iter()
        .map(|t| if *t > 0.0 { total / (present * t) } else { 0.0 })
        .collect()
}

// ---------------------------------------------------------------------------
// shared growth settings
// ---------------------------------------------------------------------------

/// The stopping and sampling parameters every tree trainer shares, as the user gave them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TreeSettings {
    pub max_depth: Option<usize>,
    pub min_samples_split: SampleCount,
    pub min_samples_leaf: SampleCount,
    pub min_weight_fraction_leaf: f64,
    pub max_features: MaxFeatures,
    pub min_impurity_decrease: f64,
}

/// [`TreeSettings`] resolved for a data set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowParams {
    max_depth: usize,
    min_samples_split: usize,
    min_samples_leaf: usize,
    min_weight_fraction_leaf: f64,
    max_features: usize,
    min_impurity_decrease: f64,
}

impl TreeSettings {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(Error::param(
                "max_depth",
                0,
                "must be at least 1, or null for no limit",
            ));
        }
        match self.min_samples_split {
            SampleCount::Count(c) if c < 2 => {
                return Err(Error::param(
                    "min_samples_split",
                    c,
                    "must be an integer >= 2 or a fraction in (0, 1]",
                ))
            }
            SampleCount::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(Error::param(
                    "min_samples_split",
                    f,
                    "a fraction must be in (0, 1]; give an integer >= 2 for a count",
                ))
            }
            _ => {}
        }
        match self.min_samples_leaf {
            SampleCount::Count(0) => {
                return Err(Error::param(
                    "min_samples_leaf",
                    0,
                    "must be an integer >= 1 or a fraction in (0, 1)",
                ))
            }
            SampleCount::Fraction(f) if !(f > 0.0 && f < 1.0) => {
                return Err(Error::param(
                    "min_samples_leaf",
                    f,
                    "a fraction must be in (0, 1); give an integer >= 1 for a count",
                ))
            }
            _ => {}
        }
        if !(0.0..=0.5).contains(&self.min_weight_fraction_leaf) {
            return Err(Error::param(
                "min_weight_fraction_leaf",
                self.min_weight_fraction_leaf,
                "must be in [0, 0.5]",
            ));
        }
        self.max_features.validate("max_features")?;
        if !(self.min_impurity_decrease.is_finite() && self.min_impurity_decrease >= 0.0) {
            return Err(Error::param(
                "min_impurity_decrease",
                self.min_impurity_decrease,
                "must be a finite number >= 0",
            ));
        }
        Ok(())
    }

    /// Resolve fractions for `n_rows` rows and `n_features` features (as scikit-learn's
    /// `BaseDecisionTree._fit`).
    pub(crate) fn resolve(&self, n_rows: usize, n_features: usize) -> Result<GrowParams> {
        let n = n_rows as f64;
        let min_samples_leaf = match self.min_samples_leaf {
            SampleCount::Count(c) => c,
            SampleCount::Fraction(f) => (f * n).ceil() as usize,
        };
        let min_samples_split = match self.min_samples_split {
            SampleCount::Count(c) => c,
            SampleCount::Fraction(f) => ((f * n).ceil() as usize).max(2),
        };
        Ok(GrowParams {
            max_depth: self.max_depth.unwrap_or(usize::MAX),
            min_samples_split: min_samples_split.max(min_samples_leaf.saturating_mul(2)),
            min_samples_leaf,
            min_weight_fraction_leaf: self.min_weight_fraction_leaf,
            max_features: self.max_features.resolve(n_features)?,
            min_impurity_decrease: self.min_impurity_decrease,
        })
    }
}

// ---------------------------------------------------------------------------
// trainers
// ---------------------------------------------------------------------------

/// A CART decision tree classifier with scikit-learn's semantics
/// (`sklearn.tree.DecisionTreeClassifier`, `splitter="best"`); the algorithm is below.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `criterion` | `"gini"` | split quality: `"gini"`, `"entropy"` (or its synonym `"log_loss"`) | |
/// | `max_depth` | `null` | maximum depth (the root has depth 0); `null` grows until the leaves are pure or other limits stop it | `>= 1` or `null` |
/// | `min_samples_split` | `2` | fewest rows a node needs to be split: a count, or a fraction of the rows (rounded up) | integer `>= 2` or float in `(0, 1]` |
/// | `min_samples_leaf` | `1` | fewest rows each child of a split must get: a count or a fraction (rounded up) | integer `>= 1` or float in `(0, 1)` |
/// | `min_weight_fraction_leaf` | `0.0` | least share of the total sample weight each child must get | `[0, 0.5]` |
/// | `max_features` | `null` | features drawn at random as split candidates per node: `null` (all), `"sqrt"`, `"log2"`, a count or a fraction | integer in `1..=n_features`, float in `(0, 1]` |
/// | `min_impurity_decrease` | `0.0` | least weighted impurity decrease `N_t / N * (I - N_tR / N_t * I_R - N_tL / N_t * I_L)` a split must bring | `>= 0`, finite |
/// | `class_weight` | `null` | [`ClassWeight`] multiplied into the sample weights: `null`, `"balanced"` (`n / (n_classes * count)`, counting rows unweighted as scikit-learn's trees do), or `{"per_class": [[label, weight], ...]}` | weights finite, `>= 0` |
/// | `seed` | `0` | seeds the order in which features are drawn (scikit-learn's `random_state`) | any `u64` |
///
/// Sample weights are supported (a row of weight 0 is ignored). The fitted
/// [`TreeClassifier`] predicts the leaf's weighted class distribution as probabilities
/// and its most probable class (ties to the lowest class code).
///
/// ```
/// use ferrops::data::{ClassLabels, Dataset, Target};
/// use ferrops::train::{DecisionTree, Predictions, Trainer};
/// use ndarray::array;
/// # fn main() -> ferrops::Result<()> {
/// let data = Dataset {
///     x: array![[0.0], [1.0], [10.0], [11.0]],
///     target: Target::Classes {
///         codes: array![0, 0, 1, 1],
///         labels: ClassLabels::Str(vec!["a".into(), "b".into()]),
///     },
///     weights: None,
///     feature_names: vec!["x".into()],
/// };
/// let model = DecisionTree { max_depth: Some(1), ..DecisionTree::default() }.fit(&data)?;
/// let Predictions::Classes { codes, .. } = model.predict(array![[0.5], [12.0]].view())? else {
///     unreachable!()
/// };
/// assert_eq!(codes, vec![0, 1]);
/// # Ok(()) }
/// ```
///
/// # Algorithm
///
/// The trees are grown depth first exactly as scikit-learn's `DecisionTreeClassifier`
/// and `DecisionTreeRegressor` with `splitter="best"` grow them (`sklearn/tree/_tree.pyx`,
/// `_splitter.pyx`, `_criterion.pyx`):
///
/// - At each node the candidate features are drawn without replacement in a random order
///   (Fisher–Yates, seeded by `seed`), until `max_features` features were visited and at
///   least one of them was not constant; a feature whose values in the node span at most
///   `1e-7` is constant there and in every descendant.
/// - For a feature, the node's rows are sorted by value and every boundary between two
///   consecutive values more than `1e-7` apart is a candidate. The threshold is the
///   midpoint `a / 2 + b / 2` of the two values, and a row goes **left when
///   `x <= threshold`**.
/// - A candidate must leave `min_samples_leaf` rows and `min_weight_fraction_leaf` of the
///   total weight on each side. The best candidate maximises scikit-learn's proxy of the
///   impurity decrease; on a tie the first candidate wins, in the order features were
///   drawn and then by increasing threshold, so the same data, parameters and seed always
///   give the same tree, bit for bit.
/// - A node becomes a leaf when `max_depth` is reached, it has fewer than
///   `min_samples_split` rows (or fewer than `2 * min_samples_leaf`), its impurity is at
///   most `f64::EPSILON`, no candidate is valid, or the best split's weighted impurity
///   decrease `N_t / N * (impurity - N_tR / N_t * impurity_R - N_tL / N_t * impurity_L)`
///   is below `min_impurity_decrease`. A classification node whose rows all have one
///   class has impurity exactly 0 and is never split (scikit-learn takes a child's
///   impurity from its parent's totals and, when rounding leaves it above `f64::EPSILON`,
///   as happens with balanced class weights, splits a pure node into two pure children
///   that predict the same).
///
/// Nodes are numbered in scikit-learn's order (pre-order, left child first), so a tree
/// fitted on data without ties in its split choices has the same node arrays as
/// scikit-learn's `tree_` (scikit-learn stores features as `float32`: on data that is
/// exactly representable in `float32` the thresholds agree too). Only the random order
/// in which features are drawn differs (NumPy's generator is not reproduced), which
/// matters when two splits are exactly as good or when `max_features` is below the
/// number of features.
///
/// Rows whose weight is zero are ignored (as scikit-learn does). Features must be
/// finite: impute missing values first ([`crate::features::SimpleImputer`]). At
/// prediction time a NaN goes to the child that received more training rows
/// (scikit-learn's rule for trees fitted without missing values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTree {
    /// Split quality measure.
    pub criterion: Criterion,
    /// Maximum depth, or `None` for no limit.
    pub max_depth: Option<usize>,
    /// Fewest rows a node needs to be split.
    pub min_samples_split: SampleCount,
    /// Fewest rows in each child of a split.
    pub min_samples_leaf: SampleCount,
    /// Least share of the total weight in each child of a split.
    pub min_weight_fraction_leaf: f64,
    /// Features considered per split.
    pub max_features: MaxFeatures,
    /// Least weighted impurity decrease of a split.
    pub min_impurity_decrease: f64,
    /// Class weights.
    pub class_weight: Option<ClassWeight>,
    /// Seed of the feature order.
    pub seed: u64,
}

impl Default for DecisionTree {
    fn default() -> Self {
        DecisionTree {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: SampleCount::Count(2),
            min_samples_leaf: SampleCount::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::All,
            min_impurity_decrease: 0.0,
            class_weight: None,
            seed: 0,
        }
    }
}

impl DecisionTree {
    fn settings(&self) -> TreeSettings {
        TreeSettings {
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            min_weight_fraction_leaf: self.min_weight_fraction_leaf,
            max_features: self.max_features,
            min_impurity_decrease: self.min_impurity_decrease,
        }
    }
}

/// A CART regression tree with scikit-learn's semantics
/// (`sklearn.tree.DecisionTreeRegressor`, `splitter="best"`), grown by the algorithm
/// described at [`DecisionTree`].
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `criterion` | `"squared_error"` | split quality: weighted variance of the target | `"squared_error"` |
/// | `max_depth` | `null` | maximum depth (the root has depth 0) | `>= 1` or `null` |
/// | `min_samples_split` | `2` | fewest rows a node needs to be split (count or fraction) | integer `>= 2` or float in `(0, 1]` |
/// | `min_samples_leaf` | `1` | fewest rows in each child of a split (count or fraction) | integer `>= 1` or float in `(0, 1)` |
/// | `min_weight_fraction_leaf` | `0.0` | least share of the total sample weight in each child | `[0, 0.5]` |
/// | `max_features` | `null` | features drawn as split candidates per node (`null`, `"sqrt"`, `"log2"`, count, fraction) | integer in `1..=n_features`, float in `(0, 1]` |
/// | `min_impurity_decrease` | `0.0` | least weighted impurity decrease a split must bring | `>= 0`, finite |
/// | `seed` | `0` | seeds the order in which features are drawn | any `u64` |
///
/// The fitted [`TreeRegressor`] predicts the weighted mean of the training targets in
/// the leaf. Sample weights are supported.
///
/// ```
/// use ferrops::data::{Dataset, Target};
/// use ferrops::train::{DecisionTreeRegressor, Predictions, Trainer};
/// use ndarray::array;
/// # fn main() -> ferrops::Result<()> {
/// let data = Dataset {
///     x: array![[0.0], [1.0], [10.0], [11.0]],
///     target: Target::Continuous(array![1.0, 2.0, 10.0, 12.0]),
///     weights: None,
///     feature_names: vec!["x".into()],
/// };
/// let model = DecisionTreeRegressor { max_depth: Some(1), ..Default::default() }.fit(&data)?;
/// let Predictions::Values(v) = model.predict(array![[0.5], [12.0]].view())? else { unreachable!() };
/// assert_eq!(v.to_vec(), vec![1.5, 11.0]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeRegressor {
    /// Split quality measure.
    pub criterion: RegressionCriterion,
    /// Maximum depth, or `None` for no limit.
    pub max_depth: Option<usize>,
    /// Fewest rows a node needs to be split.
    pub min_samples_split: SampleCount,
    /// Fewest rows in each child of a split.
    pub min_samples_leaf: SampleCount,
    /// Least share of the total weight in each child of a split.
    pub min_weight_fraction_leaf: f64,
    /// Features considered per split.
    pub max_features: MaxFeatures,
    /// Least weighted impurity decrease of a split.
    pub min_impurity_decrease: f64,
    /// Seed of the feature order.
    pub seed: u64,
}

impl Default for DecisionTreeRegressor {
    fn default() -> Self {
        DecisionTreeRegressor {
            criterion: RegressionCriterion::SquaredError,
            max_depth: None,
            min_samples_split: SampleCount::Count(2),
            min_samples_leaf: SampleCount::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::All,
            min_impurity_decrease: 0.0,
            seed: 0,
        }
    }
}

impl DecisionTreeRegressor {
    fn settings(&self) -> TreeSettings {
        TreeSettings {
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            min_weight_fraction_leaf: self.min_weight_fraction_leaf,
            max_features: self.max_features,
            min_impurity_decrease: self.min_impurity_decrease,
        }
    }
}

/// The classification target of `data`, checked.
pub(crate) fn class_target<'a>(
    data: &'a Dataset,
    model: &str,
) -> Result<(&'a Array1<usize>, &'a ClassLabels)> {
    let Target::Classes { codes, labels } = &data.target else {
        return Err(Error::InvalidData(format!(
            "{model} is a classifier and needs a classification target (labels), not real values; \
             use the regressor for real values"
        )));
    };
    let rows = data.x.nrows();
    if codes.len() != rows {
        return Err(Error::InvalidData(format!(
            "{} target values for {rows} rows",
            codes.len()
        )));
    }
    let n_classes = labels.len();
    if n_classes == 0 {
        return Err(Error::InvalidData(format!("{model} needs at least one class")));
    }
    if let Some((row, code)) = codes.iter().enumerate().find(|(_, c)| **c >= n_classes) {
        return Err(Error::InvalidData(format!(
            "class code {code} at row {row} is out of range for {n_classes} labels"
        )));
    }
    Ok((codes, labels))
}

/// The regression target of `data`, checked finite.
pub(crate) fn value_target<'a>(data: &'a Dataset, model: &str) -> Result<&'a Array1<f64>> {
    let Target::Continuous(y) = &data.target else {
        return Err(Error::InvalidData(format!(
            "{model} is a regressor and needs a numeric target, not class labels; use the classifier \
             for labels"
        )));
    };
    let rows = data.x.nrows();
    if y.len() != rows {
        return Err(Error::InvalidData(format!(
            "{} target values for {rows} rows",
            y.len()
        )));
    }
    if let Some((row, v)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::InvalidValue {
            column: "target".into(),
            row,
            value: v.to_string(),
            hint: format!("{model} needs finite target values"),
        });
    }
    Ok(y)
}

/// The sample weights of `data` (ones when absent), checked finite and non-negative
/// with a positive total.
pub(crate) fn sample_weights(data: &Dataset, model: &str) -> Result<Vec<f64>> {
    let rows = data.x.nrows();
    let Some(w) = &data.weights else {
        return Ok(vec![1.0; rows]);
    };
    if w.len() != rows {
        return Err(Error::InvalidData(format!(
            "{} sample weights for {rows} rows",
            w.len()
        )));
    }
    if let Some((row, v)) = w.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::InvalidValue {
            column: "sample_weight".into(),
            row,
            value: v.to_string(),
            hint: format!("{model} needs finite, non-negative sample weights"),
        });
    }
    Ok(w.to_vec())
}

/// Multiply class multipliers into row weights and check the total stays positive.
pub(crate) fn apply_class_weights(weights: &mut [f64], codes: &[usize], multipliers: Option<&[f64]>) {
    if let Some(m) = multipliers {
        for (w, c) in weights.iter_mut().zip(codes) {
            *w *= m.get(*c).copied().unwrap_or(1.0);
        }
    }
}

pub(crate) fn check_total_weight(weights: &[f64], model: &str) -> Result<f64> {
    let total: f64 = weights.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(Error::InvalidData(format!(
            "the sample weights (times the class weights) sum to {total}; {model} needs a finite, \
             positive total"
        )));
    }
    Ok(total)
}

#[typetag::serde(name = "decision_tree")]
impl Trainer for DecisionTree {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Classification
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        const NAME: &str = "DecisionTree";
        let settings = self.settings();
        settings.validate()?;
        if let Some(cw) = &self.class_weight {
            cw.validate()?;
        }
        let cols = Columns::new(&data.x, NAME)?;
        let (codes_array, labels) = class_target(data, NAME)?;
        let codes = codes_array.to_vec();
        let mut weights = sample_weights(data, NAME)?;
        // scikit-learn's single trees count classes unweighted for "balanced".
        let multipliers = class_multipliers(self.class_weight.as_ref(), labels, codes_array, None)?;
        apply_class_weights(&mut weights, &codes, multipliers.as_deref());
        check_total_weight(&weights, NAME)?;
        let params = settings.resolve(cols.n_rows, cols.n_features)?;
        let crit = match self.criterion {
            Criterion::Gini => Crit::Gini,
            Criterion::Entropy => Crit::Entropy,
        };
        let target = Labels::Classes {
            codes: &codes,
            n_classes: labels.len(),
        };
        let mut rng = TreeRng::new(self.seed);
        let token = cancel::current();
        let grown = grow(&cols, &target, &weights, crit, &params, &mut rng, token.as_ref())?;
        Ok(Box::new(grown.into_classifier(labels.len())?))
    }
}

#[typetag::serde(name = "decision_tree_regressor")]
impl Trainer for DecisionTreeRegressor {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Regression
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        const NAME: &str = "DecisionTreeRegressor";
        let settings = self.settings();
        settings.validate()?;
        let cols = Columns::new(&data.x, NAME)?;
        let y = value_target(data, NAME)?;
        let y = y.to_vec();
        let weights = sample_weights(data, NAME)?;
        check_total_weight(&weights, NAME)?;
        let params = settings.resolve(cols.n_rows, cols.n_features)?;
        let target = Labels::Values(&y);
        let mut rng = TreeRng::new(self.seed);
        let token = cancel::current();
        let grown = grow(
            &cols,
            &target,
            &weights,
            Crit::SquaredError,
            &params,
            &mut rng,
            token.as_ref(),
        )?;
        Ok(Box::new(grown.into_regressor()?))
    }
}

// ---------------------------------------------------------------------------
// the learner
// ---------------------------------------------------------------------------

/// The feature matrix copied column by column (`n_features` runs of `n_rows` values),
/// checked finite.
#[derive(Debug)]
pub(crate) struct Columns {
    data: Vec<f64>,
    pub(crate) n_rows: usize,
    pub(crate) n_features: usize,
}

impl Columns {
    pub(crate) fn new(x: &Array2<f64>, model: &str) -> Result<Columns> {
        let (n_rows, n_features) = x.dim();
        if n_rows == 0 {
            return Err(Error::EmptyInput {
                context: format!("no rows to fit {model} on"),
            });
        }
        if n_features == 0 {
            return Err(Error::EmptyInput {
                context: format!("no feature columns to fit {model} on"),
            });
        }
        let mut data = Vec::with_capacity(n_rows * n_features);
        for (j, column) in x.columns().into_iter().enumerate() {
            for (row, v) in column.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::InvalidValue {
                        column: format!("feature {j}"),
                        row,
                        value: v.to_string(),
                        hint: format!(
                            "{model} needs finite features; impute missing values first (SimpleImputer)"
                        ),
                    });
                }
            }
            data.extend(column.iter().copied());
        }
        Ok(Columns {
            data,
            n_rows,
            n_features,
        })
    }

    #[inline]
    pub(crate) fn get(&self, feature: usize, row: usize) -> f64 {
        self.data
            .get(feature * self.n_rows + row)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// The target the learner fits.
pub(crate) enum Labels<'a> {
    /// Class codes in `0..n_classes`.
    Classes { codes: &'a [usize], n_classes: usize },
    /// Real values.
    Values(&'a [f64]),
}

impl Labels<'_> {
    fn n_outputs(&self) -> usize {
        match self {
            Labels::Classes { n_classes, .. } => *n_classes,
            Labels::Values(_) => 1,
        }
    }
}

/// The impurity measure of the learner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Crit {
    Gini,
    Entropy,
    SquaredError,
}

/// Weighted sums over a set of rows: per class (classification) or of `y`
/// (regression, one entry), and of `w * y²` (regression).
#[derive(Debug, Clone)]
struct Stats {
    weight: f64,
    sums: Vec<f64>,
    sq: f64,
}

impl Stats {
    fn zeros(n_outputs: usize) -> Stats {
        Stats {
            weight: 0.0,
            sums: vec![0.0; n_outputs],
            sq: 0.0,
        }
    }
}

/// Impurity of a set of rows given its sums (`sq` is used by squared error only).
fn impurity(crit: Crit, sums: &[f64], sq: f64, weight: f64) -> f64 {
    match crit {
        Crit::Gini => {
            let sq_count: f64 = sums.iter().map(|c| c * c).sum();
            1.0 - sq_count / (weight * weight)
        }
        Crit::Entropy => {
            let mut entropy = 0.0;
            for c in sums {
                if *c > 0.0 {
                    let p = c / weight;
                    entropy -= p * (p.ln() / std::f64::consts::LN_2);
                }
            }
            entropy
        }
        Crit::SquaredError => {
            let mean = sums.first().copied().unwrap_or(0.0) / weight;
            sq / weight - mean * mean
        }
    }
}

/// The impurity of `total - left` (the right child) for the classification criteria.
fn right_impurity(crit: Crit, total: &[f64], left: &[f64], weight: f64) -> f64 {
    match crit {
        Crit::Gini => {
            let sq_count: f64 = total.iter().zip(left).map(|(t, l)| (t - l) * (t - l)).sum();
            1.0 - sq_count / (weight * weight)
        }
        Crit::Entropy => {
            let mut entropy = 0.0;
            for (t, l) in total.iter().zip(left) {
                let c = t - l;
                if c > 0.0 {
                    let p = c / weight;
                    entropy -= p * (p.ln() / std::f64::consts::LN_2);
                }
            }
            entropy
        }
        Crit::SquaredError => 0.0,
    }
}

/// A split chosen for a node.
#[derive(Debug, Clone, Copy)]
struct Split {
    feature: usize,
    threshold: f64,
    /// Rows going left (the node's rows are partitioned in place).
    n_left: usize,
    impurity_left: f64,
    impurity_right: f64,
    improvement: f64,
}

/// The best candidate so far while searching a node.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    feature: usize,
    threshold: f64,
    proxy: f64,
}

/// A node waiting to be grown.
struct Pending {
    start: usize,
    end: usize,
    depth: usize,
    parent: Option<(usize, bool)>,
    impurity: f64,
    n_constant: usize,
}

/// The output of [`grow`]: node arrays and, per node, the weighted class totals
/// (classification) or weighted mean (regression), `n_outputs` values per node.
pub(crate) struct Grown {
    nodes: TreeNodes,
    values: Vec<f64>,
}

impl Grown {
    pub(crate) fn into_classifier(self, n_classes: usize) -> Result<TreeClassifier> {
        let n = self.nodes.n_nodes();
        let mut proba = Array2::<f64>::zeros((n, n_classes));
        for (mut row, totals) in proba
            .rows_mut()
            .into_iter()
            .zip(self.values.chunks(n_classes.max(1)))
        {
            let sum: f64 = totals.iter().sum();
            for (p, t) in row.iter_mut().zip(totals) {
                *p = if sum > 0.0 { t / sum } else { 0.0 };
            }
        }
        let model = TreeClassifier {
            nodes: self.nodes,
            proba,
        };
        model.check().map_err(|e| training_error("DecisionTree", e))?;
        Ok(model)
    }

    pub(crate) fn into_regressor(self) -> Result<TreeRegressor> {
        let model = TreeRegressor {
            nodes: self.nodes,
            value: self.values,
        };
        model
            .check()
            .map_err(|e| training_error("DecisionTreeRegressor", e))?;
        Ok(model)
    }
}

fn training_error(model: &str, reason: impl Into<String>) -> Error {
    Error::Training {
        model: model.into(),
        reason: reason.into(),
    }
}

/// Grow one tree on the rows of positive weight. `weights` has one entry per row.
pub(crate) fn grow(
    cols: &Columns,
    labels: &Labels,
    weights: &[f64],
    crit: Crit,
    params: &GrowParams,
    rng: &mut TreeRng,
    cancel: Option<&CancelToken>,
) -> Result<Grown> {
    let samples: Vec<usize> = (0..cols.n_rows)
        .filter(|r| weights.get(*r).is_some_and(|w| *w > 0.0))
        .collect();
    let total_weight: f64 = samples
        .iter()
        .map(|r| weights.get(*r).copied().unwrap_or(0.0))
        .sum();
    if samples.is_empty() || !(total_weight > 0.0 && total_weight.is_finite()) {
        return Err(Error::InvalidData(
            "no row has a positive sample weight: nothing to fit a tree on".into(),
        ));
    }
    let mut builder = Builder {
        cols,
        labels,
        weights,
        crit,
        params,
        rng,
        min_weight_leaf: params.min_weight_fraction_leaf * total_weight,
        total_weight,
        samples,
        features: (0..cols.n_features).collect(),
        constant_features: (0..cols.n_features).collect(),
        buf: Vec::new(),
        scratch: Vec::new(),
        left: Stats::zeros(labels.n_outputs()),
        nodes: TreeNodes {
            n_features: cols.n_features,
            ..TreeNodes::default()
        },
        values: Vec::new(),
    };
    builder.build(cancel)?;
    Ok(Grown {
        nodes: builder.nodes,
        values: builder.values,
    })
}

/// A key whose unsigned order is the total order of `f64` (`f64::total_cmp`).
#[inline]
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The inverse of [`order_key`].
#[inline]
fn from_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

struct Builder<'a> {
    cols: &'a Columns,
    labels: &'a Labels<'a>,
    weights: &'a [f64],
    crit: Crit,
    params: &'a GrowParams,
    rng: &'a mut TreeRng,
    min_weight_leaf: f64,
    total_weight: f64,
    /// Row indices; each node owns a contiguous range.
    samples: Vec<usize>,
    /// Feature order, with scikit-learn's constant-feature bookkeeping.
    features: Vec<usize>,
    constant_features: Vec<usize>,
    /// (order key of the value, row) of the node's rows for the feature being searched.
    buf: Vec<(u64, usize)>,
    scratch: Vec<usize>,
    left: Stats,
    nodes: TreeNodes,
    values: Vec<f64>,
}

impl Builder<'_> {
    fn weight(&self, row: usize) -> f64 {
        self.weights.get(row).copied().unwrap_or(0.0)
    }

    /// Add `row` (weight `w`) to `stats`.
    fn add(&self, stats: &mut Stats, row: usize, w: f64) {
        stats.weight += w;
        match self.labels {
            Labels::Classes { codes, .. } => {
                if let Some(s) = codes.get(row).and_then(|c| stats.sums.get_mut(*c)) {
                    *s += w;
                }
            }
            Labels::Values(y) => {
                let v = y.get(row).copied().unwrap_or(0.0);
                if let Some(s) = stats.sums.first_mut() {
                    *s += w * v;
                }
                stats.sq += w * v * v;
            }
        }
    }

    fn stats(&self, rows: &[usize]) -> Stats {
        let mut stats = Stats::zeros(self.labels.n_outputs());
        for &row in rows {
            self.add(&mut stats, row, self.weight(row));
        }
        stats
    }

    fn build(&mut self, cancel: Option<&CancelToken>) -> Result<()> {
        let mut stack = vec![Pending {
            start: 0,
            end: self.samples.len(),
            depth: 0,
            parent: None,
            impurity: f64::NAN,
            n_constant: 0,
        }];
        while let Some(rec) = stack.pop() {
            if self.nodes.feature.len() % 64 == 0 {
                if let Some(token) = cancel {
                    token.check()?;
                }
            }
            let rows = self.samples.get(rec.start..rec.end).unwrap_or_default();
            let stats = self.stats(rows);
            let n = rec.end - rec.start;
            let p = self.params;
            let mut is_leaf = rec.depth >= p.max_depth
                || n < p.min_samples_split
                || n < p.min_samples_leaf.saturating_mul(2)
                || stats.weight < 2.0 * self.min_weight_leaf;
            // Classification impurities come from the node's own totals, so a pure node
            // has impurity exactly 0 (the parent's `total - left` differences can leave a
            // rounding residue above EPSILON, and then scikit-learn goes on splitting a
            // pure node); regression keeps scikit-learn's value from the parent's split.
            let node_impurity = if rec.parent.is_none() || self.crit != Crit::SquaredError {
                impurity(self.crit, &stats.sums, stats.sq, stats.weight)
            } else {
                rec.impurity
            };
            is_leaf = is_leaf || node_impurity <= EPSILON;
            let mut n_constant = rec.n_constant;
            let mut split = None;
            if !is_leaf {
                split = self
                    .best_split(rec.start, rec.end, &stats, node_impurity, &mut n_constant)
                    .filter(|s| s.improvement + EPSILON >= p.min_impurity_decrease);
            }
            let id = self.nodes.feature.len();
            if let Some((parent, is_left)) = rec.parent {
                let slot = if is_left {
                    self.nodes.left.get_mut(parent)
                } else {
                    self.nodes.right.get_mut(parent)
                };
                if let Some(slot) = slot {
                    *slot = id;
                }
            }
            self.nodes.feature.push(split.map_or(0, |s| s.feature));
            self.nodes.threshold.push(split.map_or(0.0, |s| s.threshold));
            self.nodes.left.push(0);
            self.nodes.right.push(0);
            self.nodes.impurity.push(node_impurity);
            self.nodes.n_samples.push(n);
            self.nodes.weight.push(stats.weight);
            match self.labels {
                Labels::Classes { .. } => self.values.extend_from_slice(&stats.sums),
                Labels::Values(_) => self
                    .values
                    .push(stats.sums.first().copied().unwrap_or(0.0) / stats.weight),
            }
            if let Some(s) = split {
                let mid = rec.start + s.n_left;
                stack.push(Pending {
                    start: mid,
                    end: rec.end,
                    depth: rec.depth + 1,
                    parent: Some((id, false)),
                    impurity: s.impurity_right,
                    n_constant,
                });
                stack.push(Pending {
                    start: rec.start,
                    end: mid,
                    depth: rec.depth + 1,
                    parent: Some((id, true)),
                    impurity: s.impurity_left,
                    n_constant,
                });
            }
        }
        Ok(())
    }

    /// Sort the rows `start..end` by `feature` into `buf` (by value, then row index).
    fn sort_feature(&mut self, feature: usize, start: usize, end: usize) {
        self.buf.clear();
        let cols = self.cols;
        if let Some(rows) = self.samples.get(start..end) {
            self.buf
                .extend(rows.iter().map(|&r| (order_key(cols.get(feature, r)), r)));
        }
        // Integer keys sort much faster than `f64::total_cmp`, in the same order.
        self.buf.sort_unstable();
    }

    /// scikit-learn's `node_split_best`: draw features at random until `max_features`
    /// were visited (and one was not constant), keep the best candidate, partition the
    /// rows for it. `n_constant` is the number of features known constant at this node
    /// (the first entries of `features`); it is updated for the children.
    fn best_split(
        &mut self,
        start: usize,
        end: usize,
        stats: &Stats,
        node_impurity: f64,
        n_constant: &mut usize,
    ) -> Option<Split> {
        let n_features = self.features.len();
        let max_features = self.params.max_features;
        let n_known = *n_constant;
        let mut n_total = n_known;
        let mut n_found = 0;
        let mut n_drawn = 0;
        let mut n_visited = 0;
        let mut f_i = n_features;
        let mut best: Option<Candidate> = None;
        while f_i > n_total && (n_visited < max_features || n_visited <= n_found + n_drawn) {
            n_visited += 1;
            let span = f_i - n_found - n_drawn;
            let mut f_j = n_drawn + self.rng.index(span);
            if f_j < n_known {
                self.features.swap(n_drawn, f_j);
                n_drawn += 1;
                continue;
            }
            f_j += n_found;
            let feature = self.features.get(f_j).copied().unwrap_or(0);
            self.sort_feature(feature, start, end);
            let (lo, hi) = match (self.buf.first(), self.buf.last()) {
                (Some(a), Some(b)) => (from_key(a.0), from_key(b.0)),
                _ => break,
            };
            if hi <= lo + FEATURE_THRESHOLD {
                self.features.swap(f_j, n_total);
                n_found += 1;
                n_total += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
            self.scan(feature, stats, &mut best);
        }

        let split = best.map(|b| self.partition(b, start, end, stats, node_impurity));

        // Keep the known constants in their original order for siblings and children,
        // and record the newly found ones.
        if let (Some(dst), Some(src)) = (
            self.features.get_mut(..n_known),
            self.constant_features.get(..n_known),
        ) {
            dst.copy_from_slice(src);
        }
        if let (Some(dst), Some(src)) = (
            self.constant_features.get_mut(n_known..n_total),
            self.features.get(n_known..n_total),
        ) {
            dst.copy_from_slice(src);
        }
        *n_constant = n_total;
        split
    }

    /// Evaluate every boundary of the sorted `buf` for `feature`.
    fn scan(&mut self, feature: usize, stats: &Stats, best: &mut Option<Candidate>) {
        let n = self.buf.len();
        let min_leaf = self.params.min_samples_leaf;
        let mut left = std::mem::replace(&mut self.left, Stats::zeros(0));
        left.weight = 0.0;
        left.sums.iter_mut().for_each(|s| *s = 0.0);
        left.sq = 0.0;
        let mut added = 0;
        let mut p = 0;
        while p < n {
            p += 1;
            while p < n && self.value_at(p) <= self.value_at(p - 1) + FEATURE_THRESHOLD {
                p += 1;
            }
            if p >= n {
                break;
            }
            if p < min_leaf || n - p < min_leaf {
                continue;
            }
            for k in added..p {
                if let Some(&(_, row)) = self.buf.get(k) {
                    self.add(&mut left, row, self.weight(row));
                }
            }
            added = p;
            let w_left = left.weight;
            let w_right = stats.weight - w_left;
            if w_left < self.min_weight_leaf || w_right < self.min_weight_leaf {
                continue;
            }
            let proxy = match self.crit {
                Crit::SquaredError => {
                    let sl = left.sums.first().copied().unwrap_or(0.0);
                    let sr = stats.sums.first().copied().unwrap_or(0.0) - sl;
                    sl * sl / w_left + sr * sr / w_right
                }
                crit => {
                    let il = impurity(crit, &left.sums, 0.0, w_left);
                    let ir = right_impurity(crit, &stats.sums, &left.sums, w_right);
                    -w_right * ir - w_left * il
                }
            };
            if proxy > best.map_or(f64::NEG_INFINITY, |b| b.proxy) {
                let a = self.value_at(p - 1);
                let b = self.value_at(p);
                let mut threshold = a / 2.0 + b / 2.0;
                if threshold == b || !threshold.is_finite() {
                    threshold = a;
                }
                *best = Some(Candidate {
                    feature,
                    threshold,
                    proxy,
                });
            }
        }
        self.left = left;
    }

    fn value_at(&self, p: usize) -> f64 {
        self.buf.get(p).map_or(f64::NAN, |v| from_key(v.0))
    }

    /// Partition the node's rows for `best` (left: `x <= threshold`, keeping the order of
    /// the rows on each side) and compute the children's impurities and the split's
    /// weighted impurity decrease.
    fn partition(
        &mut self,
        best: Candidate,
        start: usize,
        end: usize,
        stats: &Stats,
        node_impurity: f64,
    ) -> Split {
        let cols = self.cols;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut n_left = 0;
        if let Some(rows) = self.samples.get_mut(start..end) {
            for &row in rows.iter() {
                if cols.get(best.feature, row) <= best.threshold {
                    scratch.push(row);
                    n_left += 1;
                }
            }
            for &row in rows.iter() {
                if cols.get(best.feature, row) > best.threshold {
                    scratch.push(row);
                }
            }
            // Every row is on one side (features are finite), so the lengths agree.
            if scratch.len() == rows.len() {
                rows.copy_from_slice(&scratch);
            }
        }
        self.scratch = scratch;
        let left = self.stats(self.samples.get(start..start + n_left).unwrap_or_default());
        let w_left = left.weight;
        let w_right = stats.weight - w_left;
        let (impurity_left, impurity_right) = match self.crit {
            Crit::SquaredError => {
                let sr =
                    stats.sums.first().copied().unwrap_or(0.0) - left.sums.first().copied().unwrap_or(0.0);
                let mr = sr / w_right;
                (
                    impurity(self.crit, &left.sums, left.sq, w_left),
                    (stats.sq - left.sq) / w_right - mr * mr,
                )
            }
            crit => (
                impurity(crit, &left.sums, 0.0, w_left),
                right_impurity(crit, &stats.sums, &left.sums, w_right),
            ),
        };
        let w_node = stats.weight;
        let improvement = (w_node / self.total_weight)
            * (node_impurity - w_right / w_node * impurity_right - w_left / w_node * impurity_left);
        Split {
            feature: best.feature,
            threshold: best.threshold,
            n_left,
            impurity_left,
            impurity_right,
            improvement,
        }
    }
}

// ---------------------------------------------------------------------------
// fitted models
// ---------------------------------------------------------------------------

/// The structure of a fitted tree as flat node arrays, in scikit-learn's numbering
/// (node 0 is the root; pre-order, left child first).
///
/// Node `i` is a leaf when `left[i] == 0` (the root is never a child); leaves have
/// `feature = 0`, `threshold = 0`. At a split node a row goes to `left[i]` when
/// `x[feature[i]] <= threshold[i]`, else to `right[i]`; a NaN goes to the child with
/// more training rows (`right` on a tie). Children have larger indices than their parent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TreeNodes {
    /// The number of features the tree was fitted on.
    pub n_features: usize,
    /// Split feature per node.
    #[serde(with = "crate::data::packed::usizes")]
    pub feature: Vec<usize>,
    /// Split threshold per node.
    #[serde(with = "crate::data::packed::f64s")]
    pub threshold: Vec<f64>,
    /// Left child per node.
    #[serde(with = "crate::data::packed::usizes")]
    pub left: Vec<usize>,
    /// Right child per node.
    #[serde(with = "crate::data::packed::usizes")]
    pub right: Vec<usize>,
    /// Impurity of the training rows at each node.
    #[serde(with = "crate::data::packed::f64s")]
    pub impurity: Vec<f64>,
    /// Training rows (of positive weight) at each node.
    #[serde(with = "crate::data::packed::usizes")]
    pub n_samples: Vec<usize>,
    /// Total training weight at each node.
    #[serde(with = "crate::data::packed::f64s")]
    pub weight: Vec<f64>,
}

impl TreeNodes {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.left.iter().filter(|l| **l == 0).count()
    }

    /// Depth of the tree (a lone root has depth 0).
    pub fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.n_nodes()];
        let mut max = 0;
        for i in 0..self.n_nodes() {
            let d = depth.get(i).copied().unwrap_or(0);
            max = max.max(d);
            for child in [self.left.get(i), self.right.get(i)].into_iter().flatten() {
                if *child != 0 {
                    if let Some(slot) = depth.get_mut(*child) {
                        *slot = d + 1;
                    }
                }
            }
        }
        max
    }

    /// Impurity-based feature importances (mean decrease in impurity), normalised to sum
    /// to 1 (all zeros for a tree that is a single leaf), as scikit-learn's
    /// `feature_importances_`.
    pub fn feature_importances(&self) -> Vec<f64> {
        let mut importances = vec![0.0; self.n_features];
        for i in 0..self.n_nodes() {
            let (l, r) = (
                self.left.get(i).copied().unwrap_or(0),
                self.right.get(i).copied().unwrap_or(0),
            );
            if l == 0 {
                continue;
            }
            let at = |v: &Vec<f64>, k: usize| v.get(k).copied().unwrap_or(0.0);
            let decrease = at(&self.weight, i) * at(&self.impurity, i)
                - at(&self.weight, l) * at(&self.impurity, l)
                - at(&self.weight, r) * at(&self.impurity, r);
            if let Some(slot) = self.feature.get(i).and_then(|f| importances.get_mut(*f)) {
                *slot += decrease;
            }
        }
        let total: f64 = importances.iter().sum();
        if total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        importances
    }

    /// Consistency of the node arrays: what predicting relies on.
    fn check(&self, values_per_node: usize, values: usize) -> std::result::Result<(), String> {
        let n = self.n_nodes();
        if n == 0 {
            return Err("the tree has no nodes".into());
        }
        if [
            self.threshold.len(),
            self.left.len(),
            self.right.len(),
            self.impurity.len(),
            self.n_samples.len(),
            self.weight.len(),
        ]
        .iter()
        .any(|len| *len != n)
        {
            return Err(format!("node arrays differ in length (feature has {n})"));
        }
        if values != n * values_per_node {
            return Err(format!("{values} node values for {n} nodes"));
        }
        for i in 0..n {
            let (l, r) = (self.left[i], self.right[i]);
            if l == 0 && r == 0 {
                continue;
            }
            if l <= i || r <= i || l >= n || r >= n {
                return Err(format!(
                    "node {i} has children {l} and {r}, which must be later nodes"
                ));
            }
            if self.feature[i] >= self.n_features {
                return Err(format!(
                    "node {i} splits on feature {} of {}",
                    self.feature[i], self.n_features
                ));
            }
            if self.threshold[i].is_nan() {
                return Err(format!("node {i} has a NaN threshold"));
            }
        }
        Ok(())
    }

    /// The leaf a row lands in; `value(f)` reads feature `f` of the row.
    fn leaf(&self, model: &str, value: impl Fn(usize) -> Option<f64>) -> Result<usize> {
        let corrupt = |node: usize| Error::InvalidData(format!("{model} is corrupt at node {node}"));
        let mut node = 0;
        loop {
            let left = *self.left.get(node).ok_or_else(|| corrupt(node))?;
            if left == 0 {
                return Ok(node);
            }
            let right = *self.right.get(node).ok_or_else(|| corrupt(node))?;
            let feature = *self.feature.get(node).ok_or_else(|| corrupt(node))?;
            let threshold = *self.threshold.get(node).ok_or_else(|| corrupt(node))?;
            let x = value(feature).ok_or_else(|| corrupt(node))?;
            let next = if x.is_nan() {
                let count = |c: usize| self.n_samples.get(c).copied().unwrap_or(0);
                if count(left) > count(right) {
                    left
                } else {
                    right
                }
            } else if x <= threshold {
                left
            } else {
                right
            };
            // Children come after their parent, so this loop ends within n_nodes steps.
            if next <= node {
                return Err(corrupt(node));
            }
            node = next;
        }
    }
}

/// A fitted decision tree classifier: [`TreeNodes`] and the class probabilities of every
/// node (the weighted class distribution of its training rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TreeClassifierData")]
pub struct TreeClassifier {
    /// The tree.
    pub nodes: TreeNodes,
    /// `(nodes, classes)`: class probabilities at each node; each row sums to 1.
    #[serde(with = "crate::data::packed::array2")]
    pub proba: Array2<f64>,
}

#[derive(Deserialize)]
struct TreeClassifierData {
    nodes: TreeNodes,
    #[serde(with = "crate::data::packed::array2")]
    proba: Array2<f64>,
}

impl TryFrom<TreeClassifierData> for TreeClassifier {
    type Error = String;

    fn try_from(d: TreeClassifierData) -> std::result::Result<Self, String> {
        let tree = TreeClassifier {
            nodes: d.nodes,
            proba: d.proba,
        };
        tree.check().map_err(|e| format!("invalid TreeClassifier: {e}"))?;
        Ok(tree)
    }
}

impl TreeClassifier {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.nodes.n_nodes()
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.proba.ncols()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.n_leaves()
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.n_classes() == 0 {
            return Err("no classes".into());
        }
        self.nodes.check(self.n_classes(), self.proba.len())?;
        if self.proba.iter().any(|p| !p.is_finite()) {
            return Err("non-finite probabilities".into());
        }
        Ok(())
    }

    /// The class probabilities of the leaf `row` lands in (`value(f)` reads feature `f`).
    pub(crate) fn leaf_proba(
        &self,
        value: impl Fn(usize) -> Option<f64>,
    ) -> Result<ndarray::ArrayView1<'_, f64>> {
        let leaf = self.nodes.leaf("TreeClassifier", value)?;
        if leaf >= self.proba.nrows() {
            return Err(Error::InvalidData(format!(
                "TreeClassifier is corrupt at node {leaf}"
            )));
        }
        Ok(self.proba.row(leaf))
    }
}

/// Index of the largest value; ties go to the lowest index.
pub(crate) fn argmax<'a>(values: impl IntoIterator<Item = &'a f64>) -> usize {
    let mut best = 0;
    let mut best_value = f64::NEG_INFINITY;
    for (i, v) in values.into_iter().enumerate() {
        if *v > best_value {
            best = i;
            best_value = *v;
        }
    }
    best
}

#[typetag::serde(name = "tree_classifier")]
impl Model for TreeClassifier {
    fn n_features(&self) -> usize {
        self.nodes.n_features
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("TreeClassifier", self.nodes.n_features, x.ncols())?;
        let mut proba = Array2::zeros((x.nrows(), self.n_classes()));
        let mut codes = Vec::with_capacity(x.nrows());
        for (row, mut out) in x.rows().into_iter().zip(proba.rows_mut()) {
            let p = self.leaf_proba(|f| row.get(f).copied())?;
            out.assign(&p);
            codes.push(argmax(p));
        }
        Ok(Predictions::Classes {
            codes,
            proba: Some(proba),
        })
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("TreeClassifier", self.nodes.n_features, x.len())?;
        let p = self.leaf_proba(|f| x.get(f).copied())?;
        Ok(RowPrediction::Class {
            code: argmax(p),
            proba: Some(p.to_vec()),
        })
    }
}

/// A fitted regression tree: [`TreeNodes`] and the weighted mean target of every node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TreeRegressorData")]
pub struct TreeRegressor {
    /// The tree.
    pub nodes: TreeNodes,
    /// Weighted mean of the training targets at each node.
    #[serde(with = "crate::data::packed::f64s")]
    pub value: Vec<f64>,
}

#[derive(Deserialize)]
struct TreeRegressorData {
    nodes: TreeNodes,
    #[serde(with = "crate::data::packed::f64s")]
    value: Vec<f64>,
}

impl TryFrom<TreeRegressorData> for TreeRegressor {
    type Error = String;

    fn try_from(d: TreeRegressorData) -> std::result::Result<Self, String> {
        let tree = TreeRegressor {
            nodes: d.nodes,
            value: d.value,
        };
        tree.check().map_err(|e| format!("invalid TreeRegressor: {e}"))?;
        Ok(tree)
    }
}

impl TreeRegressor {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.nodes.n_nodes()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.n_leaves()
    }

    fn check(&self) -> std::result::Result<(), String> {
        self.nodes.check(1, self.value.len())?;
        if self.value.iter().any(|v| !v.is_finite()) {
            return Err("non-finite node values".into());
        }
        Ok(())
    }

    /// The value of the leaf a row lands in (`value(f)` reads feature `f`).
    pub(crate) fn leaf_value(&self, value: impl Fn(usize) -> Option<f64>) -> Result<f64> {
        let leaf = self.nodes.leaf("TreeRegressor", value)?;
        self.value
            .get(leaf)
            .copied()
            .ok_or_else(|| Error::InvalidData(format!("TreeRegressor is corrupt at node {leaf}")))
    }
}

#[typetag::serde(name = "tree_regressor")]
impl Model for TreeRegressor {
    fn n_features(&self) -> usize {
        self.nodes.n_features
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("TreeRegressor", self.nodes.n_features, x.ncols())?;
        let values = x
            .rows()
            .into_iter()
            .map(|row| self.leaf_value(|f| row.get(f).copied()))
            .collect::<Result<Vec<f64>>>()?;
        Ok(Predictions::Values(Array1::from(values)))
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("TreeRegressor", self.nodes.n_features, x.len())?;
        Ok(RowPrediction::Value(self.leaf_value(|f| x.get(f).copied())?))
    }
}
