//! Decision tree classification, fitted by linfa-trees and flattened into node arrays.
//!
//! Regression trees are not offered: linfa-trees 0.8 only grows classification trees.

use linfa::prelude::*;
use linfa_trees::{SplitQuality, TreeNode};
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{check_width, Model, Predictions, RowPrediction, Trainer};
use crate::data::{Dataset, Target, TargetKind};
use crate::error::{Error, Result};

const NAME: &str = "DecisionTree";

/// The impurity a split minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Gini impurity, `1 - Σ p²`.
    #[default]
    Gini,
    /// Shannon entropy (base 2), i.e. information gain.
    Entropy,
}

/// A CART-style decision tree classifier (linfa-trees), with class probabilities.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `criterion` | `"gini"` | split quality: `"gini"` or `"entropy"` | |
/// | `max_depth` | `null` | maximum depth (root has depth 0); `null` grows until pure | `>= 1` or `null` |
/// | `min_samples_split` | `2` | fewest rows (not weight) a node needs to be split | `>= 2` |
/// | `min_weight_leaf` | `1.0` | least total sample weight each child of a split must get (the row count when unweighted) | `> 0`, finite |
/// | `min_impurity_decrease` | `1e-5` | least impurity decrease a split must bring | `>= f64::EPSILON`, finite |
///
/// Semantics follow linfa-trees, which differs from scikit-learn in small ways: the
/// impurity decrease is `impurity(node) - weighted impurity(children)`, not scaled by the
/// node's share of the data; `min_samples_split` counts rows even with sample weights;
/// after growing, sibling leaves that predict the same class are merged. Sample weights
/// are supported. A row goes left when `x[feature] < threshold`.
///
/// The fitted [`TreeClassifier`] predicts the leaf's weighted class distribution of the
/// training rows as probabilities, and its most probable class (ties go to the lowest
/// class code; linfa breaks such ties arbitrarily).
///
/// Known limitation: linfa-trees 0.8 sums class weights in `HashMap` order (in `f32`)
/// and breaks ties between equally good splits and leaf classes in that order, which
/// varies between processes. On data with exact ties (e.g. some iris splits), two fits
/// of the same data can give different trees. Binary targets without exact ties fit
/// reproducibly. Bit-identical refits on any data need a tree learner of our own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionTree {
    /// Split quality measure.
    pub criterion: Criterion,
    /// Maximum depth, or `None` for no limit.
    pub max_depth: Option<usize>,
    /// Minimum number of rows in a node for it to be split.
    pub min_samples_split: usize,
    /// Minimum total sample weight in each child of a split.
    pub min_weight_leaf: f64,
    /// Minimum impurity decrease for a split.
    pub min_impurity_decrease: f64,
}

impl Default for DecisionTree {
    fn default() -> Self {
        DecisionTree {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: 2,
            min_weight_leaf: 1.0,
            min_impurity_decrease: 1e-5,
        }
    }
}

impl DecisionTree {
    fn validate(&self) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(Error::param(
                "max_depth",
                0,
                "must be at least 1, or null for no limit",
            ));
        }
        if self.min_samples_split < 2 {
            return Err(Error::param(
                "min_samples_split",
                self.min_samples_split,
                "must be at least 2",
            ));
        }
        let leaf32 = self.min_weight_leaf as f32;
        if !(leaf32.is_finite() && leaf32 > 0.0) {
            return Err(Error::param(
                "min_weight_leaf",
                self.min_weight_leaf,
                "must be a number > 0 that fits in f32 (1.2e-38 to 3.4e38)",
            ));
        }
        if !(self.min_impurity_decrease.is_finite() && self.min_impurity_decrease >= f64::EPSILON) {
            return Err(Error::param(
                "min_impurity_decrease",
                self.min_impurity_decrease,
                "must be a finite number >= 2.2e-16 (linfa-trees needs it positive; use 1e-12 for \
                 effectively no threshold)",
            ));
        }
        Ok(())
    }
}

/// Sample weights as linfa-trees wants them (`f32`), checked to stay finite and to
/// leave some weight in total.
fn f32_weights(weights: &Array1<f64>, rows: usize) -> Result<Array1<f32>> {
    if weights.len() != rows {
        return Err(Error::InvalidData(format!(
            "{} sample weights for {rows} rows",
            weights.len()
        )));
    }
    let mut out = Array1::zeros(rows);
    for (row, (o, w)) in out.iter_mut().zip(weights).enumerate() {
        // Precision loss is intended: linfa-trees accumulates weights in f32.
        let w32 = *w as f32;
        if !(w32.is_finite() && w32 >= 0.0) {
            return Err(Error::InvalidValue {
                column: "sample_weight".into(),
                row,
                value: w.to_string(),
                hint: "DecisionTree needs sample weights that are non-negative and fit in f32 \
                       (below 3.4e38)"
                    .into(),
            });
        }
        *o = w32;
    }
    let total: f32 = out.sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(Error::InvalidData(format!(
            "the sample weights sum to {total} in f32 precision; DecisionTree needs a finite, \
             positive total (rescale the weights)"
        )));
    }
    Ok(out)
}

/// Stack for the thread that runs linfa's recursive fit: its recursion (and the drop of
/// its pointer tree) can be as deep as the number of rows.
fn fit_stack_size(rows: usize) -> usize {
    const BASE: usize = 8 << 20;
    const PER_ROW: usize = 4 << 10;
    const MAX: usize = 1 << 30;
    rows.saturating_mul(PER_ROW).saturating_add(BASE).min(MAX)
}

#[typetag::serde(name = "decision_tree")]
impl Trainer for DecisionTree {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Classification
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        self.validate()?;
        let Target::Classes { codes, labels } = &data.target else {
            return Err(Error::InvalidData(
                "DecisionTree is a classifier and needs a classification target (labels), not \
                 real values; linfa-trees has no regression trees, use LinearRegression or \
                 ElasticNet"
                    .into(),
            ));
        };
        let rows = data.x.nrows();
        if rows == 0 {
            return Err(Error::EmptyInput {
                context: "no rows to fit DecisionTree on".into(),
            });
        }
        if data.x.ncols() == 0 {
            return Err(Error::EmptyInput {
                context: "no feature columns to fit DecisionTree on".into(),
            });
        }
        if codes.len() != rows {
            return Err(Error::InvalidData(format!(
                "{} target values for {rows} rows",
                codes.len()
            )));
        }
        let n_classes = labels.len();
        if let Some((row, code)) = codes.iter().enumerate().find(|(_, c)| **c >= n_classes) {
            return Err(Error::InvalidData(format!(
                "class code {code} at row {row} is out of range for {n_classes} labels"
            )));
        }
        let weights = data.weights.as_ref().map(|w| f32_weights(w, rows)).transpose()?;

        let params = linfa_trees::DecisionTree::params()
            .split_quality(match self.criterion {
                Criterion::Gini => SplitQuality::Gini,
                Criterion::Entropy => SplitQuality::Entropy,
            })
            .max_depth(self.max_depth)
            .min_weight_split(self.min_samples_split as f32)
            .min_weight_leaf(self.min_weight_leaf as f32)
            .min_impurity_decrease(self.min_impurity_decrease);

        // linfa grows, prunes and drops its tree recursively, so fit and flatten on a
        // thread with a stack sized for the deepest possible tree. A panic inside linfa
        // (an internal assertion) surfaces as a training error rather than unwinding
        // through the caller.
        let fit = || -> Result<Structure> {
            let mut dataset = linfa::Dataset::new(data.x.clone(), codes.clone());
            if let Some(w) = weights {
                dataset = dataset.with_weights(w);
            }
            let tree = params.fit(&dataset).map_err(|e| training_error(e.to_string()))?;
            flatten(tree.root_node())
        };
        let structure = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("ferrops-tree-fit".into())
                .stack_size(fit_stack_size(rows))
                .spawn_scoped(scope, fit)
                .map_err(|e| training_error(format!("cannot start the fitting thread: {e}")))?
                .join()
                .map_err(|_| {
                    training_error(
                        "linfa-trees failed an internal check while growing the tree (this \
                         happens when min_weight_leaf is far below the scale of the sample \
                         weights; raise min_weight_leaf)",
                    )
                })?
        })?;

        let mut model = TreeClassifier {
            n_features: data.x.ncols(),
            feature: structure.feature,
            threshold: structure.threshold,
            left: structure.left,
            right: structure.right,
            proba: Array2::zeros((0, n_classes)),
            weight: Vec::new(),
        };
        model.fill_distributions(data, codes, n_classes)?;
        Ok(Box::new(model))
    }
}

fn training_error(reason: impl Into<String>) -> Error {
    Error::Training {
        model: NAME.into(),
        reason: reason.into(),
    }
}

/// The split structure of a flattened tree, in pre-order (children after parents).
struct Structure {
    feature: Vec<usize>,
    threshold: Vec<f64>,
    left: Vec<usize>,
    right: Vec<usize>,
}

/// A node still to number, with the slot of its parent to point at it (parent index,
/// is-left-child).
type Pending<'a> = (&'a TreeNode<f64, usize>, Option<(usize, bool)>);

/// Flatten linfa's pointer tree without recursion. Node 0 is the root; every child has
/// a larger index than its parent; leaves have `left == right == 0`.
fn flatten(root: &TreeNode<f64, usize>) -> Result<Structure> {
    let mut s = Structure {
        feature: Vec::new(),
        threshold: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
    };
    // (node, index of its parent's slot to patch, is it the left child)
    let mut stack: Vec<Pending> = vec![(root, None)];
    while let Some((node, parent)) = stack.pop() {
        let index = s.feature.len();
        if let Some((p, is_left)) = parent {
            let slot = if is_left {
                s.left.get_mut(p)
            } else {
                s.right.get_mut(p)
            };
            if let Some(slot) = slot {
                *slot = index;
            }
        }
        if node.is_leaf() {
            s.feature.push(0);
            s.threshold.push(0.0);
        } else {
            let (feature, threshold, _) = node.split();
            let children = node.children();
            let (Some(Some(l)), Some(Some(r))) = (children.first(), children.get(1)) else {
                return Err(training_error(
                    "linfa-trees returned a split node without two children",
                ));
            };
            s.feature.push(feature);
            s.threshold.push(threshold);
            // Right is pushed first so the left subtree is numbered first.
            stack.push((r, Some((index, false))));
            stack.push((l, Some((index, true))));
        }
        s.left.push(0);
        s.right.push(0);
    }
    Ok(s)
}

/// A fitted decision tree classifier, stored as flat node arrays (node 0 is the root).
///
/// Node `i` is a leaf when `left[i] == 0` (the root is never a child). At a split node a
/// row goes to `left[i]` when `x[feature[i]] < threshold[i]` (so NaN goes right), else
/// to `right[i]`; children always have larger indices than their parent.
/// `proba` holds, for every node, the weighted class distribution of the training rows
/// that reach it (a node no training row reaches inherits its parent's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TreeClassifierData")]
pub struct TreeClassifier {
    /// The number of features the tree was fitted on.
    pub n_features: usize,
    /// Split feature per node (`0` at leaves).
    pub feature: Vec<usize>,
    /// Split threshold per node (`0` at leaves).
    pub threshold: Vec<f64>,
    /// Left child per node (`0` at leaves).
    pub left: Vec<usize>,
    /// Right child per node (`0` at leaves).
    pub right: Vec<usize>,
    /// `(nodes, classes)`: class probabilities at each node; each row sums to 1.
    pub proba: Array2<f64>,
    /// Total training sample weight reaching each node (the row count when unweighted).
    pub weight: Vec<f64>,
}

/// The unchecked serialized form of a [`TreeClassifier`].
#[derive(Deserialize)]
struct TreeClassifierData {
    n_features: usize,
    feature: Vec<usize>,
    threshold: Vec<f64>,
    left: Vec<usize>,
    right: Vec<usize>,
    proba: Array2<f64>,
    weight: Vec<f64>,
}

impl TryFrom<TreeClassifierData> for TreeClassifier {
    type Error = String;

    fn try_from(d: TreeClassifierData) -> std::result::Result<Self, String> {
        let tree = TreeClassifier {
            n_features: d.n_features,
            feature: d.feature,
            threshold: d.threshold,
            left: d.left,
            right: d.right,
            proba: d.proba,
            weight: d.weight,
        };
        tree.check().map_err(|e| format!("invalid TreeClassifier: {e}"))?;
        Ok(tree)
    }
}

impl TreeClassifier {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.proba.ncols()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.left.iter().filter(|l| **l == 0).count()
    }

    /// Consistency of the node arrays: what predicting relies on.
    fn check(&self) -> std::result::Result<(), String> {
        let n = self.n_nodes();
        if n == 0 {
            return Err("the tree has no nodes".into());
        }
        if [
            self.threshold.len(),
            self.left.len(),
            self.right.len(),
            self.weight.len(),
            self.proba.nrows(),
        ]
        .iter()
        .any(|len| *len != n)
        {
            return Err(format!("node arrays differ in length (feature has {n})"));
        }
        if self.n_classes() == 0 {
            return Err("no classes".into());
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
        if self.proba.iter().any(|p| !p.is_finite()) {
            return Err("non-finite probabilities".into());
        }
        Ok(())
    }

    /// The leaf a row lands in; `value(f)` reads feature `f` of the row.
    fn leaf(&self, value: impl Fn(usize) -> Option<f64>) -> Result<usize> {
        let corrupt = |node: usize| Error::InvalidData(format!("TreeClassifier is corrupt at node {node}"));
        let mut node = 0;
        loop {
            let left = *self.left.get(node).ok_or_else(|| corrupt(node))?;
            if left == 0 {
                return Ok(node);
            }
            let feature = *self.feature.get(node).ok_or_else(|| corrupt(node))?;
            let threshold = *self.threshold.get(node).ok_or_else(|| corrupt(node))?;
            let x = value(feature).ok_or_else(|| corrupt(node))?;
            let next = if x < threshold {
                left
            } else {
                *self.right.get(node).ok_or_else(|| corrupt(node))?
            };
            // Children come after their parent, so this loop ends within n_nodes steps.
            if next <= node {
                return Err(corrupt(node));
            }
            node = next;
        }
    }

    /// Route the training rows through the tree to get each node's weighted class
    /// distribution (`proba`) and total weight.
    fn fill_distributions(&mut self, data: &Dataset, codes: &Array1<usize>, n_classes: usize) -> Result<()> {
        let n = self.n_nodes();
        let mut totals = Array2::<f64>::zeros((n, n_classes));
        let mut weight = vec![0.0; n];
        for (i, (row, code)) in data.x.rows().into_iter().zip(codes).enumerate() {
            let w = data
                .weights
                .as_ref()
                .and_then(|w| w.get(i).copied())
                .unwrap_or(1.0);
            // Walk the path, adding the row to every node on it.
            let mut node = 0;
            loop {
                if let Some(t) = totals.get_mut((node, *code)) {
                    *t += w;
                }
                if let Some(s) = weight.get_mut(node) {
                    *s += w;
                }
                let left = self.left.get(node).copied().unwrap_or(0);
                if left == 0 {
                    break;
                }
                let feature = self.feature.get(node).copied().unwrap_or(0);
                let threshold = self.threshold.get(node).copied().unwrap_or(0.0);
                let next = if row.get(feature).is_some_and(|x| *x < threshold) {
                    left
                } else {
                    self.right.get(node).copied().unwrap_or(0)
                };
                if next <= node {
                    return Err(training_error("the flattened tree is inconsistent"));
                }
                node = next;
            }
        }
        // Normalise; parents come before children, so an empty node can inherit.
        let mut proba = Array2::<f64>::zeros((n, n_classes));
        let mut parent = vec![0usize; n];
        for (i, (l, r)) in self.left.iter().zip(&self.right).enumerate() {
            for child in [*l, *r] {
                if child != 0 {
                    if let Some(p) = parent.get_mut(child) {
                        *p = i;
                    }
                }
            }
        }
        for (i, (total, parent)) in totals.rows().into_iter().zip(&parent).enumerate() {
            let sum: f64 = total.sum();
            let row = if sum > 0.0 {
                total.mapv(|t| t / sum)
            } else if i == 0 {
                return Err(training_error("no training weight reaches the root"));
            } else {
                proba.row(*parent).to_owned()
            };
            proba.row_mut(i).assign(&row);
        }
        self.proba = proba;
        self.weight = weight;
        self.check().map_err(training_error)
    }
}

/// Index of the largest value; ties go to the lowest index.
fn argmax<'a>(values: impl IntoIterator<Item = &'a f64>) -> usize {
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
        self.n_features
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("TreeClassifier", self.n_features, x.ncols())?;
        let mut proba = Array2::zeros((x.nrows(), self.n_classes()));
        let mut codes = Vec::with_capacity(x.nrows());
        for (row, mut out) in x.rows().into_iter().zip(proba.rows_mut()) {
            let leaf = self.leaf(|f| row.get(f).copied())?;
            let p = self.proba.row(leaf);
            out.assign(&p);
            codes.push(argmax(p));
        }
        Ok(Predictions::Classes {
            codes,
            proba: Some(proba),
        })
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("TreeClassifier", self.n_features, x.len())?;
        let leaf = self.leaf(|f| x.get(f).copied())?;
        let p = self.proba.row(leaf);
        Ok(RowPrediction::Class {
            code: argmax(p),
            proba: Some(p.to_vec()),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::data::ClassLabels;
    use ndarray::{array, Array2};

    /// Deterministic pseudo-random numbers in [0, 1) (a 64-bit LCG).
    fn uniform(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` rows of 3 features; the class depends on the first two (with 3 classes: three
    /// regions), the third is noise. Features are rounded to 3 decimals.
    fn synthetic(n: usize, n_classes: usize, seed: u64) -> Dataset {
        let mut state = seed;
        let mut x = Array2::zeros((n, 3));
        let mut codes = Array1::zeros(n);
        for i in 0..n {
            for j in 0..3 {
                x[(i, j)] = (uniform(&mut state) * 1000.0).round() / 1000.0;
            }
            let (a, b) = (x[(i, 0)], x[(i, 1)]);
            codes[i] = if n_classes == 2 {
                usize::from(a + b > 1.0)
            } else if a < 0.4 {
                0
            } else if b < 0.5 {
                1
            } else {
                2
            };
        }
        Dataset {
            x,
            target: Target::Classes {
                codes,
                labels: ClassLabels::Int((0..n_classes as i64).collect()),
            },
            weights: None,
            feature_names: vec!["a".into(), "b".into(), "noise".into()],
        }
    }

    fn codes(data: &Dataset) -> &Array1<usize> {
        match &data.target {
            Target::Classes { codes, .. } => codes,
            Target::Continuous(_) => unreachable!(),
        }
    }

    fn tree(model: &dyn Model) -> TreeClassifier {
        let mut json = serde_json::to_value(model).unwrap();
        json.as_object_mut().unwrap().remove("type");
        serde_json::from_value(json).unwrap()
    }

    fn classes(model: &dyn Model, x: ArrayView2<f64>) -> (Vec<usize>, Array2<f64>) {
        match model.predict(x).unwrap() {
            Predictions::Classes {
                codes,
                proba: Some(p),
            } => (codes, p),
            other => panic!("expected classes, got {other:?}"),
        }
    }

    fn linfa_predict(trainer: &DecisionTree, data: &Dataset) -> Array1<usize> {
        let params = linfa_trees::DecisionTree::params()
            .split_quality(match trainer.criterion {
                Criterion::Gini => SplitQuality::Gini,
                Criterion::Entropy => SplitQuality::Entropy,
            })
            .max_depth(trainer.max_depth)
            .min_weight_split(trainer.min_samples_split as f32)
            .min_weight_leaf(trainer.min_weight_leaf as f32)
            .min_impurity_decrease(trainer.min_impurity_decrease);
        let mut ds = linfa::Dataset::new(data.x.clone(), codes(data).clone());
        if let Some(w) = &data.weights {
            ds = ds.with_weights(w.mapv(|v| v as f32));
        }
        params.fit(&ds).unwrap().predict(&data.x)
    }

    fn trainers() -> Vec<DecisionTree> {
        vec![
            DecisionTree::default(),
            DecisionTree {
                criterion: Criterion::Entropy,
                ..DecisionTree::default()
            },
            DecisionTree {
                max_depth: Some(3),
                min_weight_leaf: 5.0,
                ..DecisionTree::default()
            },
            DecisionTree {
                max_depth: Some(2),
                criterion: Criterion::Entropy,
                min_samples_split: 20,
                ..DecisionTree::default()
            },
        ]
    }

    #[test]
    fn predictions_equal_linfa_and_fit_the_data() {
        for n_classes in [2, 3] {
            let data = synthetic(300, n_classes, 42 + n_classes as u64);
            for trainer in trainers() {
                let m = trainer.fit(&data).unwrap();
                let (got, proba) = classes(m.as_ref(), data.x.view());
                let want = linfa_predict(&trainer, &data);
                assert_eq!(got, want.to_vec(), "{trainer:?}, {n_classes} classes");
                for (p, c) in proba.rows().into_iter().zip(&got) {
                    assert!((p.sum() - 1.0).abs() < 1e-12);
                    assert!(p.iter().all(|v| *v <= p[*c]));
                }
                let accuracy = got.iter().zip(codes(&data)).filter(|(a, b)| a == b).count() as f64 / 300.0;
                let floor = if trainer.max_depth.is_some() { 0.75 } else { 1.0 };
                assert!(accuracy >= floor, "{trainer:?}: accuracy {accuracy}");
                // Held-out rows from the same distribution.
                let test = synthetic(300, n_classes, 7 + n_classes as u64);
                let (pred, _) = classes(m.as_ref(), test.x.view());
                let accuracy = pred.iter().zip(codes(&test)).filter(|(a, b)| a == b).count() as f64 / 300.0;
                assert!(accuracy > 0.75, "{trainer:?}: test accuracy {accuracy}");
            }
        }
    }

    fn stump_data() -> Dataset {
        Dataset {
            x: array![[0.0], [1.0], [2.0], [10.0], [11.0], [12.0], [13.0]],
            target: Target::Classes {
                codes: array![0, 0, 1, 1, 1, 0, 1],
                labels: ClassLabels::Str(vec!["a".into(), "b".into()]),
            },
            weights: None,
            feature_names: vec!["f".into()],
        }
    }

    #[test]
    fn stump_leaf_distributions_and_weights() {
        let trainer = DecisionTree {
            max_depth: Some(1),
            ..DecisionTree::default()
        };
        let data = stump_data();
        // Best Gini split (by hand): 1.5, leaving {a, a} | {b, b, b, a, b}.
        let t = tree(trainer.fit(&data).unwrap().as_ref());
        assert_eq!(t.n_nodes(), 3);
        assert_eq!(t.n_leaves(), 2);
        assert_eq!(
            (t.feature[0], t.threshold[0], t.left[0], t.right[0]),
            (0, 1.5, 1, 2)
        );
        assert_eq!(t.proba.row(1).to_vec(), vec![1.0, 0.0]);
        assert_eq!(t.proba.row(2).to_vec(), vec![0.2, 0.8]);
        assert_eq!(t.weight, vec![7.0, 2.0, 5.0]);
        assert_eq!(
            t.predict_row(&[5.9]).unwrap(),
            RowPrediction::Class {
                code: 1,
                proba: Some(vec![0.2, 0.8])
            }
        );
        // x == threshold goes right, as in linfa.
        assert!(matches!(
            t.predict_row(&[1.5]).unwrap(),
            RowPrediction::Class { code: 1, .. }
        ));
        assert!(matches!(
            t.predict_row(&[1.4]).unwrap(),
            RowPrediction::Class { code: 0, .. }
        ));

        // Weighting the "a" at 12 by 10 moves the best split to 11.5 (by hand:
        // weighted Gini 0.264 against 0.300 at 12.5, 0.333 at 10.5 and 0.357 at 1.5).
        let weighted = data
            .with_weights(array![1.0, 1.0, 1.0, 1.0, 1.0, 10.0, 1.0])
            .unwrap();
        let m = trainer.fit(&weighted).unwrap();
        let t = tree(m.as_ref());
        assert_eq!((t.feature[0], t.threshold[0]), (0, 11.5));
        assert_eq!(t.proba.row(1).to_vec(), vec![0.4, 0.6]);
        assert_eq!(t.proba.row(2).to_vec(), vec![10.0 / 11.0, 1.0 / 11.0]);
        assert_eq!(t.weight, vec![16.0, 5.0, 11.0]);
        let (got, _) = classes(m.as_ref(), weighted.x.view());
        assert_eq!(got, linfa_predict(&trainer, &weighted).to_vec());
    }

    #[test]
    fn weighted_fit_matches_linfa() {
        let mut data = synthetic(200, 3, 5);
        let mut state = 99;
        let w: Array1<f64> = (0..200)
            .map(|_| (uniform(&mut state) * 3.0 * 8.0).round() / 8.0)
            .collect();
        data = data.with_weights(w).unwrap();
        for trainer in trainers() {
            let m = trainer.fit(&data).unwrap();
            let (got, _) = classes(m.as_ref(), data.x.view());
            assert_eq!(got, linfa_predict(&trainer, &data).to_vec(), "{trainer:?}");
        }
    }

    #[test]
    fn invalid_hyperparameters() {
        let data = stump_data();
        let bad = [
            DecisionTree {
                max_depth: Some(0),
                ..DecisionTree::default()
            },
            DecisionTree {
                min_samples_split: 1,
                ..DecisionTree::default()
            },
            DecisionTree {
                min_weight_leaf: 0.0,
                ..DecisionTree::default()
            },
            DecisionTree {
                min_weight_leaf: f64::NAN,
                ..DecisionTree::default()
            },
            DecisionTree {
                min_weight_leaf: 1e-300,
                ..DecisionTree::default()
            },
            DecisionTree {
                min_weight_leaf: 1e300,
                ..DecisionTree::default()
            },
            DecisionTree {
                min_impurity_decrease: 0.0,
                ..DecisionTree::default()
            },
            DecisionTree {
                min_impurity_decrease: f64::INFINITY,
                ..DecisionTree::default()
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
    fn rejects_regression_target_and_bad_data() {
        let mut data = stump_data();
        data.target = Target::Continuous(Array1::linspace(0.0, 1.0, 7));
        let trainer = DecisionTree::default();
        assert_eq!(trainer.target_kind(), TargetKind::Classification);
        let err = trainer.fit(&data).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidData(m) if m.contains("classification target")),
            "{err}"
        );

        let mut data = stump_data();
        data.weights = Some(array![1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1e300]);
        assert!(matches!(
            trainer.fit(&data),
            Err(Error::InvalidValue { row: 6, .. })
        ));
        data.weights = Some(array![1e-300, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(matches!(trainer.fit(&data), Err(Error::InvalidData(_))));

        let mut data = stump_data();
        data.target = Target::Classes {
            codes: array![0, 0, 1, 1, 1, 0, 2],
            labels: ClassLabels::Int(vec![0, 1]),
        };
        assert!(matches!(trainer.fit(&data), Err(Error::InvalidData(_))));
        let empty = Dataset {
            x: Array2::zeros((0, 1)),
            target: Target::Classes {
                codes: Array1::zeros(0),
                labels: ClassLabels::Int(vec![0, 1]),
            },
            weights: None,
            feature_names: vec![],
        };
        assert!(matches!(trainer.fit(&empty), Err(Error::EmptyInput { .. })));
    }

    #[test]
    fn serde_round_trip_predict_row_and_determinism() {
        let data = synthetic(200, 3, 11);
        let trainer: Box<dyn Trainer> =
            serde_json::from_str(r#"{"type":"decision_tree","criterion":"entropy","max_depth":4}"#).unwrap();
        let m = trainer.fit(&data).unwrap();
        let again = trainer.fit(&data).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, serde_json::to_string(&again).unwrap());
        assert!(json.contains("\"type\":\"tree_classifier\""), "{json}");
        let back: Box<dyn Model> = serde_json::from_str(&json).unwrap();
        assert_eq!(tree(back.as_ref()), tree(m.as_ref()));
        let (codes, proba) = classes(m.as_ref(), data.x.view());
        assert_eq!(
            classes(back.as_ref(), data.x.view()),
            (codes.clone(), proba.clone())
        );
        for ((row, code), p) in data.x.rows().into_iter().zip(&codes).zip(proba.rows()) {
            assert_eq!(
                back.predict_row(row.as_slice().unwrap()).unwrap(),
                RowPrediction::Class {
                    code: *code,
                    proba: Some(p.to_vec())
                }
            );
        }
        assert!(m.predict_row(&[1.0]).is_err());
        assert!(m.predict(Array2::zeros((2, 4)).view()).is_err());
    }

    #[test]
    fn trainer_json_form_and_corrupt_models() {
        let t: Box<dyn Trainer> = serde_json::from_str(r#"{"type":"decision_tree"}"#).unwrap();
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"type": "decision_tree", "criterion": "gini", "max_depth": null,
                "min_samples_split": 2, "min_weight_leaf": 1.0, "min_impurity_decrease": 1e-5})
        );
        let m = DecisionTree::default().fit(&stump_data()).unwrap();
        let good = serde_json::to_value(&m).unwrap();
        assert!(serde_json::from_value::<Box<dyn Model>>(good.clone()).is_ok());
        for (field, value) in [
            ("left", serde_json::json!([1, 0, 1])),
            ("feature", serde_json::json!([3, 0, 0])),
            ("right", serde_json::json!([2, 0])),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            let err = serde_json::from_value::<Box<dyn Model>>(bad).unwrap_err();
            assert!(err.to_string().contains("invalid TreeClassifier"), "{err}");
        }
        // Hand-built inconsistent trees fail with an error, not a panic or a loop.
        let mut t = tree(m.as_ref());
        assert_eq!((t.threshold[0], t.left[0]), (1.5, 1));
        t.left[1] = 1;
        t.right[1] = 1;
        assert!(matches!(t.predict_row(&[0.0]), Err(Error::InvalidData(_))));
        assert!(t.predict(array![[0.0]].view()).is_err());
        t.left = vec![];
        assert!(t.predict_row(&[0.0]).is_err());
    }

    #[test]
    fn deep_trees_fit_without_overflowing_the_stack() {
        // Alternating labels along one feature force a very deep tree.
        let n = 3000;
        let data = Dataset {
            x: Array2::from_shape_fn((n, 1), |(i, _)| i as f64),
            target: Target::Classes {
                codes: (0..n).map(|i| usize::from((i / 2) % 2 == 0)).collect(),
                labels: ClassLabels::Bool(vec![false, true]),
            },
            weights: None,
            feature_names: vec!["i".into()],
        };
        let m = DecisionTree::default().fit(&data).unwrap();
        let (got, _) = classes(m.as_ref(), data.x.view());
        assert_eq!(got, codes(&data).to_vec());
    }
}
