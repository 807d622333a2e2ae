//! Random forests of ferrops's decision trees ([`super::tree`]), with scikit-learn's
//! semantics (`sklearn.ensemble.RandomForestClassifier` / `RandomForestRegressor`).
//!
//! See [`RandomForestClassifier`] for the sampling and the determinism guarantees.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{
    apply_class_weights, argmax, balanced, check_total_weight, class_multipliers, class_target, grow,
    sample_weights, value_target, Columns, Crit, Criterion, Labels, MaxFeatures, RegressionCriterion,
    SampleCount, TreeClassifier, TreeRegressor, TreeRng, TreeSettings,
};
use super::{check_width, ClassWeight, Model, Predictions, RowPrediction, Trainer};
use crate::cancel::{self, CancelToken};
use crate::data::{Dataset, TargetKind};
use crate::error::{Error, Result};

/// A random forest classifier: `n_estimators` [`DecisionTree`](super::DecisionTree)s on
/// bootstrap samples with random feature subsets, as scikit-learn's
/// `RandomForestClassifier`.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `n_estimators` | `100` | number of trees | `>= 1` |
/// | `criterion` | `"gini"` | split quality: `"gini"`, `"entropy"` / `"log_loss"` | |
/// | `max_depth` | `null` | maximum depth of each tree | `>= 1` or `null` |
/// | `min_samples_split` | `2` | fewest rows a node needs to be split (count or fraction) | integer `>= 2` or float in `(0, 1]` |
/// | `min_samples_leaf` | `1` | fewest rows in each child of a split (count or fraction) | integer `>= 1` or float in `(0, 1)` |
/// | `min_weight_fraction_leaf` | `0.0` | least share of a tree's total weight in each child | `[0, 0.5]` |
/// | `max_features` | `"sqrt"` | features drawn as split candidates per node (`null`, `"sqrt"`, `"log2"`, count, fraction) | integer in `1..=n_features`, float in `(0, 1]` |
/// | `min_impurity_decrease` | `0.0` | least weighted impurity decrease of a split | `>= 0`, finite |
/// | `bootstrap` | `true` | fit each tree on a bootstrap sample (else on all rows) | |
/// | `max_samples` | `null` | rows drawn per bootstrap sample: `null` (as many as rows), a count, or a fraction of the rows (of the total weight when weighted) | integer `>= 1` or float `> 0`; only with `bootstrap` |
/// | `oob_score` | `false` | compute the accuracy on the out-of-bag rows (each row predicted by the trees whose bootstrap missed it), as scikit-learn's `oob_score_` | needs `bootstrap` |
/// | `class_weight` | `null` | [`ForestClassWeight`]: `null`, `"balanced"` (classes counted with their sample weights), `"balanced_subsample"` (balanced on each bootstrap sample) or `{"per_class": [[label, weight], ...]}` | weights finite, `>= 0` |
/// | `seed` | `0` | seeds every tree's generator (scikit-learn's `random_state`) | any `u64` |
///
/// Each tree gets its own generator, seeded from the forest's `seed` and the tree's index,
/// which draws its bootstrap sample and its feature order. The trees are grown in
/// parallel (rayon) and collected in index order, so a forest depends only on the data,
/// the parameters and the seed: the same on one thread or many, bit for bit.
///
/// Bootstrap (scikit-learn 1.9): each tree draws `max_samples` rows with replacement;
/// without sample or class weights every row is equally likely, with them a row is drawn
/// with probability proportional to its weight. The tree is then fitted with the number
/// of times each row was drawn as its weight. Without bootstrap every tree sees every
/// row with its weight, and the trees differ only by their feature draws.
///
/// The classifier's probabilities are the mean of its trees' probabilities (and its
/// class the most probable one); the regressor predicts the mean of its trees.
///
/// Fitting checks the cancellation token ([`crate::cancel`]) between trees.
///
/// ```
/// use ferrops::data::{ClassLabels, Dataset, Target};
/// use ferrops::train::{Predictions, RandomForestClassifier, Trainer};
/// use ndarray::{array, Array1, Array2};
/// # fn main() -> ferrops::Result<()> {
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| (i * (j + 3) % 17) as f64 + i as f64 / 40.0);
/// let codes: Array1<usize> = x.column(1).iter().map(|v| usize::from(*v > 8.0)).collect();
/// let data = Dataset {
///     x,
///     target: Target::Classes { codes, labels: ClassLabels::Bool(vec![false, true]) },
///     weights: None,
///     feature_names: vec!["a".into(), "b".into()],
/// };
/// let forest = RandomForestClassifier { n_estimators: 10, ..Default::default() };
/// let model = forest.fit(&data)?;
/// let Predictions::Classes { codes, proba: Some(p) } = model.predict(array![[0.0, 1.0], [5.0, 16.0]].view())? else {
///     unreachable!()
/// };
/// assert_eq!(codes, vec![0, 1]);
/// assert!((p.row(0).sum() - 1.0).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestClassifier {
    /// Number of trees.
    pub n_estimators: usize,
    /// Split quality measure.
    pub criterion: Criterion,
    /// Maximum depth of each tree, or `None` for no limit.
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
    /// Fit each tree on a bootstrap sample.
    pub bootstrap: bool,
    /// Rows per bootstrap sample (`None`: the number of rows).
    pub max_samples: Option<SampleCount>,
    /// Score the forest on the rows each tree's bootstrap missed.
    pub oob_score: bool,
    /// Class weights.
    pub class_weight: Option<ForestClassWeight>,
    /// Seed of the trees' generators.
    pub seed: u64,
}

/// The class weights of a forest: those of every trainer ([`ClassWeight`]) or
/// `"balanced_subsample"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ForestClassWeight {
    /// `"balanced"` or per-class weights, applied to the whole training set.
    Common(ClassWeight),
    /// `"balanced_subsample"`: `"balanced"` computed on each tree's bootstrap sample
    /// (counting drawn rows); without bootstrap, the same as `"balanced"`.
    Subsample(BalancedSubsample),
}

/// The `"balanced_subsample"` mode of [`ForestClassWeight`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalancedSubsample {
    /// `"balanced_subsample"`.
    BalancedSubsample,
}

impl Default for RandomForestClassifier {
    fn default() -> Self {
        RandomForestClassifier {
            n_estimators: 100,
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: SampleCount::Count(2),
            min_samples_leaf: SampleCount::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::Sqrt,
            min_impurity_decrease: 0.0,
            bootstrap: true,
            max_samples: None,
            oob_score: false,
            class_weight: None,
            seed: 0,
        }
    }
}

/// A random forest regressor: `n_estimators`
/// [`DecisionTreeRegressor`](super::DecisionTreeRegressor)s on bootstrap samples, as
/// scikit-learn's `RandomForestRegressor`.
///
/// | parameter | default | purpose | range |
/// |---|---|---|---|
/// | `n_estimators` | `100` | number of trees | `>= 1` |
/// | `criterion` | `"squared_error"` | split quality | `"squared_error"` |
/// | `max_depth` | `null` | maximum depth of each tree | `>= 1` or `null` |
/// | `min_samples_split` | `2` | fewest rows a node needs to be split (count or fraction) | integer `>= 2` or float in `(0, 1]` |
/// | `min_samples_leaf` | `1` | fewest rows in each child of a split (count or fraction) | integer `>= 1` or float in `(0, 1)` |
/// | `min_weight_fraction_leaf` | `0.0` | least share of a tree's total weight in each child | `[0, 0.5]` |
/// | `max_features` | `1.0` | features drawn as split candidates per node (`null`, `"sqrt"`, `"log2"`, count, fraction) | integer in `1..=n_features`, float in `(0, 1]` |
/// | `min_impurity_decrease` | `0.0` | least weighted impurity decrease of a split | `>= 0`, finite |
/// | `bootstrap` | `true` | fit each tree on a bootstrap sample (else on all rows) | |
/// | `max_samples` | `null` | rows drawn per bootstrap sample (count, or fraction of the rows / total weight) | integer `>= 1` or float `> 0`; only with `bootstrap` |
/// | `oob_score` | `false` | compute R² on the out-of-bag rows (each row predicted by the trees whose bootstrap missed it), as scikit-learn's `oob_score_` | needs `bootstrap` |
/// | `seed` | `0` | seeds every tree's generator | any `u64` |
///
/// Fitting checks the cancellation token ([`crate::cancel`]) between trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestRegressor {
    /// Number of trees.
    pub n_estimators: usize,
    /// Split quality measure.
    pub criterion: RegressionCriterion,
    /// Maximum depth of each tree, or `None` for no limit.
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
    /// Fit each tree on a bootstrap sample.
    pub bootstrap: bool,
    /// Rows per bootstrap sample (`None`: the number of rows).
    pub max_samples: Option<SampleCount>,
    /// Score the forest on the rows each tree's bootstrap missed.
    pub oob_score: bool,
    /// Seed of the trees' generators.
    pub seed: u64,
}

impl Default for RandomForestRegressor {
    fn default() -> Self {
        RandomForestRegressor {
            n_estimators: 100,
            criterion: RegressionCriterion::SquaredError,
            max_depth: None,
            min_samples_split: SampleCount::Count(2),
            min_samples_leaf: SampleCount::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::Fraction(1.0),
            min_impurity_decrease: 0.0,
            bootstrap: true,
            max_samples: None,
            oob_score: false,
            seed: 0,
        }
    }
}

/// The forest parameters both forests share.
struct ForestSettings {
    n_estimators: usize,
    tree: TreeSettings,
    bootstrap: bool,
    max_samples: Option<SampleCount>,
    oob_score: bool,
    seed: u64,
}

impl ForestSettings {
    fn validate(&self) -> Result<()> {
        if self.n_estimators == 0 {
            return Err(Error::param("n_estimators", 0, "must be at least 1"));
        }
        self.tree.validate()?;
        if self.oob_score && !self.bootstrap {
            return Err(Error::param(
                "oob_score",
                true,
                "out-of-bag scores need bootstrap=true (without bootstrap no row is out of bag)",
            ));
        }
        match self.max_samples {
            Some(_) if !self.bootstrap => Err(Error::param(
                "max_samples",
                self.max_samples.map_or(String::new(), |m| m.to_string()),
                "can only be set with bootstrap=true; set it to null or turn bootstrap on",
            )),
            Some(SampleCount::Count(0)) => Err(Error::param(
                "max_samples",
                0,
                "must be an integer >= 1, a float > 0, or null",
            )),
            Some(SampleCount::Fraction(f)) if !(f > 0.0 && f.is_finite()) => Err(Error::param(
                "max_samples",
                f,
                "a fraction must be a finite number > 0",
            )),
            _ => Ok(()),
        }
    }

    /// Rows per bootstrap sample (scikit-learn 1.9's `_get_n_samples_bootstrap`).
    fn n_bootstrap(&self, n_rows: usize, weighted_total: Option<f64>) -> usize {
        match self.max_samples {
            None => n_rows,
            Some(SampleCount::Count(c)) => c,
            Some(SampleCount::Fraction(f)) => {
                let total = weighted_total.unwrap_or(n_rows as f64);
                ((f * total).floor() as usize).max(1)
            }
        }
    }
}

/// What every tree of a forest is fitted from.
struct ForestData<'a> {
    cols: Columns,
    labels: Labels<'a>,
    /// Row weights (sample times class weights).
    weights: Vec<f64>,
    /// Whether `weights` are all 1 (uniform bootstrap draws).
    unweighted: bool,
    crit: Crit,
    n_bootstrap: usize,
    /// Class codes, for `"balanced_subsample"`.
    subsample_balance: Option<(&'a [usize], usize)>,
}

/// Fit `n_estimators` trees in parallel; `make` turns a grown tree into the model type.
/// A fitted tree and, when out-of-bag scoring is on, which rows its bootstrap missed.
type FittedTree<T> = (T, Option<Vec<bool>>);

fn fit_trees<T: Send>(
    name: &str,
    settings: &ForestSettings,
    data: &ForestData,
    make: impl Fn(super::tree::Grown) -> Result<T> + Sync,
) -> Result<Vec<FittedTree<T>>> {
    let params = settings.tree.resolve(data.cols.n_rows, data.cols.n_features)?;
    let token: Option<CancelToken> = cancel::current();
    cancel::check()?;
    let n_rows = data.cols.n_rows;
    // Cumulative weights for weighted bootstrap draws.
    let cumulative: Vec<f64> = if settings.bootstrap && !data.unweighted {
        data.weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect()
    } else {
        Vec::new()
    };
    let total = cumulative.last().copied().unwrap_or(0.0);
    (0..settings.n_estimators)
        .into_par_iter()
        .map(|index| {
            if let Some(t) = &token {
                t.check()?;
            }
            let mut rng = TreeRng::stream(settings.seed, index as u64);
            let mut out_of_bag = None;
            let weights = if settings.bootstrap {
                let mut counts = vec![0.0; n_rows];
                for _ in 0..data.n_bootstrap {
                    let row = if data.unweighted {
                        rng.index(n_rows)
                    } else {
                        let u = rng.unit() * total;
                        cumulative.partition_point(|c| *c <= u).min(n_rows - 1)
                    };
                    if let Some(c) = counts.get_mut(row) {
                        *c += 1.0;
                    }
                }
                if settings.oob_score {
                    out_of_bag = Some(counts.iter().map(|c| *c == 0.0).collect());
                }
                if let Some((codes, n_classes)) = data.subsample_balance {
                    let m = balanced(codes, n_classes, |i| counts.get(i).copied().unwrap_or(0.0));
                    apply_class_weights(&mut counts, codes, Some(&m));
                }
                counts
            } else {
                data.weights.clone()
            };
            let grown = grow(
                &data.cols,
                &data.labels,
                &weights,
                data.crit,
                &params,
                &mut rng,
                token.as_ref(),
            )
            .map_err(|e| match e {
                Error::InvalidData(m) => Error::Training {
                    model: name.into(),
                    reason: format!("tree {index}: {m}"),
                },
                other => other,
            })?;
            Ok((make(grown)?, out_of_bag))
        })
        .collect()
}

/// Out-of-bag predictions: for every row, the sum over the trees whose bootstrap missed it
/// (in tree order) of `add`, divided by their number (zeros for a row no tree missed, as
/// scikit-learn).
fn out_of_bag<T>(
    cols: &Columns,
    width: usize,
    trees: &[FittedTree<T>],
    add: impl Fn(&T, usize, &mut [f64]) -> Result<()>,
) -> Result<Vec<f64>> {
    let n = cols.n_rows;
    let mut sums = vec![0.0; n * width];
    let mut counts = vec![0usize; n];
    for (tree, mask) in trees {
        let Some(mask) = mask else { continue };
        for (row, (missed, (slot, count))) in mask
            .iter()
            .zip(sums.chunks_mut(width.max(1)).zip(counts.iter_mut()))
            .enumerate()
        {
            if *missed {
                add(tree, row, slot)?;
                *count += 1;
            }
        }
    }
    for (slot, count) in sums.chunks_mut(width.max(1)).zip(&counts) {
        if *count > 0 {
            slot.iter_mut().for_each(|v| *v /= *count as f64);
        }
    }
    Ok(sums)
}

#[typetag::serde(name = "random_forest_classifier")]
impl Trainer for RandomForestClassifier {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Classification
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        const NAME: &str = "RandomForestClassifier";
        let settings = ForestSettings {
            n_estimators: self.n_estimators,
            tree: TreeSettings {
                max_depth: self.max_depth,
                min_samples_split: self.min_samples_split,
                min_samples_leaf: self.min_samples_leaf,
                min_weight_fraction_leaf: self.min_weight_fraction_leaf,
                max_features: self.max_features,
                min_impurity_decrease: self.min_impurity_decrease,
            },
            bootstrap: self.bootstrap,
            max_samples: self.max_samples,
            oob_score: self.oob_score,
            seed: self.seed,
        };
        settings.validate()?;
        let subsample = matches!(self.class_weight, Some(ForestClassWeight::Subsample(_)));
        let common = match &self.class_weight {
            Some(ForestClassWeight::Common(cw)) => Some(cw.clone()),
            // Without bootstrap, "balanced_subsample" is "balanced" (scikit-learn).
            Some(ForestClassWeight::Subsample(_)) if !self.bootstrap => Some(ClassWeight::Balanced),
            _ => None,
        };
        if let Some(cw) = &common {
            cw.validate()?;
        }
        let cols = Columns::new(&data.x, NAME)?;
        let (codes_array, labels) = class_target(data, NAME)?;
        let codes = codes_array.to_vec();
        let n_classes = labels.len();
        let mut weights = sample_weights(data, NAME)?;
        // scikit-learn's forests count classes weighted by the sample weights.
        let multipliers = class_multipliers(common.as_ref(), labels, codes_array, data.weights.as_ref())?;
        apply_class_weights(&mut weights, &codes, multipliers.as_deref());
        let total = check_total_weight(&weights, NAME)?;
        let unweighted = data.weights.is_none() && multipliers.is_none();
        let subsample = subsample && self.bootstrap;
        let n_bootstrap = settings.n_bootstrap(cols.n_rows, (!unweighted).then_some(total));
        let forest_data = ForestData {
            cols,
            labels: Labels::Classes {
                codes: &codes,
                n_classes,
            },
            weights,
            unweighted,
            crit: match self.criterion {
                Criterion::Gini => Crit::Gini,
                Criterion::Entropy => Crit::Entropy,
            },
            n_bootstrap,
            subsample_balance: subsample.then_some((&codes[..], n_classes)),
        };
        let fitted = fit_trees(NAME, &settings, &forest_data, |g| g.into_classifier(n_classes))?;
        let oob_score = if self.oob_score {
            let cols = &forest_data.cols;
            let proba = out_of_bag(cols, n_classes, &fitted, |tree, row, out| {
                let p = tree.leaf_proba(|f| Some(cols.get(f, row)))?;
                out.iter_mut().zip(p.iter()).for_each(|(o, v)| *o += v);
                Ok(())
            })?;
            let hits = proba
                .chunks(n_classes.max(1))
                .zip(&codes)
                .filter(|(p, code)| argmax(p.iter()) == **code)
                .count();
            Some(hits as f64 / codes.len().max(1) as f64)
        } else {
            None
        };
        Ok(Box::new(ForestClassifier {
            n_features: forest_data.cols.n_features,
            n_classes,
            trees: fitted.into_iter().map(|(t, _)| t).collect(),
            oob_score,
        }))
    }
}

#[typetag::serde(name = "random_forest_regressor")]
impl Trainer for RandomForestRegressor {
    fn target_kind(&self) -> TargetKind {
        TargetKind::Regression
    }

    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>> {
        const NAME: &str = "RandomForestRegressor";
        let settings = ForestSettings {
            n_estimators: self.n_estimators,
            tree: TreeSettings {
                max_depth: self.max_depth,
                min_samples_split: self.min_samples_split,
                min_samples_leaf: self.min_samples_leaf,
                min_weight_fraction_leaf: self.min_weight_fraction_leaf,
                max_features: self.max_features,
                min_impurity_decrease: self.min_impurity_decrease,
            },
            bootstrap: self.bootstrap,
            max_samples: self.max_samples,
            oob_score: self.oob_score,
            seed: self.seed,
        };
        settings.validate()?;
        let cols = Columns::new(&data.x, NAME)?;
        let y = value_target(data, NAME)?.to_vec();
        let weights = sample_weights(data, NAME)?;
        let total = check_total_weight(&weights, NAME)?;
        let unweighted = data.weights.is_none();
        let n_bootstrap = settings.n_bootstrap(cols.n_rows, (!unweighted).then_some(total));
        let forest_data = ForestData {
            cols,
            labels: Labels::Values(&y),
            weights,
            unweighted,
            crit: Crit::SquaredError,
            n_bootstrap,
            subsample_balance: None,
        };
        let fitted = fit_trees(NAME, &settings, &forest_data, |g| g.into_regressor())?;
        let oob_score = if self.oob_score {
            let cols = &forest_data.cols;
            let pred = out_of_bag(cols, 1, &fitted, |tree, row, out| {
                if let Some(o) = out.first_mut() {
                    *o += tree.leaf_value(|f| Some(cols.get(f, row)))?;
                }
                Ok(())
            })?;
            Some(r2(&y, &pred))
        } else {
            None
        };
        Ok(Box::new(ForestRegressor {
            n_features: forest_data.cols.n_features,
            trees: fitted.into_iter().map(|(t, _)| t).collect(),
            oob_score,
        }))
    }
}

/// R² of `pred` against `y` (scikit-learn's `r2_score`: 1 for a perfect fit of a
/// constant target, else 0 when the target is constant).
fn r2(y: &[f64], pred: &[f64]) -> f64 {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    let ss_res: f64 = y.iter().zip(pred).map(|(t, p)| (t - p) * (t - p)).sum();
    let ss_tot: f64 = y.iter().map(|t| (t - mean) * (t - mean)).sum();
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Rows predicted per parallel task.
const PREDICT_CHUNK: usize = 512;

/// For every row of `x`, the sum over `trees` (in tree order) of what `add` adds into its
/// `width` outputs. Chunks of rows run in parallel, each tree over a whole chunk (to keep
/// the tree in cache); every row still sums its trees in order, so the result does not
/// depend on the thread count and equals the one-row path. Checks for cancellation
/// between chunks.
fn tree_sums<T: Sync>(
    x: ArrayView2<f64>,
    width: usize,
    trees: &[T],
    add: impl Fn(&T, ndarray::ArrayView1<f64>, &mut [f64]) -> Result<()> + Sync,
) -> Result<Vec<f64>> {
    let token = cancel::current();
    let rows = x.nrows();
    let chunks: Vec<Vec<f64>> = (0..rows.div_ceil(PREDICT_CHUNK))
        .into_par_iter()
        .map(|c| {
            if let Some(t) = &token {
                t.check()?;
            }
            let start = c * PREDICT_CHUNK;
            let end = (start + PREDICT_CHUNK).min(rows);
            let mut out = vec![0.0; (end - start) * width];
            for tree in trees {
                for (i, slot) in (start..end).zip(out.chunks_mut(width.max(1))) {
                    add(tree, x.row(i), slot)?;
                }
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    Ok(chunks.concat())
}

/// A fitted random forest classifier: its trees, in index order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ForestClassifierData")]
pub struct ForestClassifier {
    /// The number of features the forest was fitted on.
    pub n_features: usize,
    /// The number of classes.
    pub n_classes: usize,
    /// The trees.
    pub trees: Vec<TreeClassifier>,
    /// Accuracy on the out-of-bag rows, when fitted with `oob_score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oob_score: Option<f64>,
}

#[derive(Deserialize)]
struct ForestClassifierData {
    n_features: usize,
    n_classes: usize,
    trees: Vec<TreeClassifier>,
    #[serde(default)]
    oob_score: Option<f64>,
}

impl TryFrom<ForestClassifierData> for ForestClassifier {
    type Error = String;

    fn try_from(d: ForestClassifierData) -> std::result::Result<Self, String> {
        if d.trees.is_empty() {
            return Err("invalid ForestClassifier: no trees".into());
        }
        if let Some(i) = d
            .trees
            .iter()
            .position(|t| t.nodes.n_features != d.n_features || t.n_classes() != d.n_classes)
        {
            return Err(format!(
                "invalid ForestClassifier: tree {i} does not have {} features and {} classes",
                d.n_features, d.n_classes
            ));
        }
        Ok(ForestClassifier {
            n_features: d.n_features,
            n_classes: d.n_classes,
            trees: d.trees,
            oob_score: d.oob_score,
        })
    }
}

impl ForestClassifier {
    /// Mean class probabilities of the trees for one row, summed in tree order.
    fn row_proba(&self, value: impl Fn(usize) -> Option<f64> + Copy, out: &mut [f64]) -> Result<()> {
        out.iter_mut().for_each(|v| *v = 0.0);
        for tree in &self.trees {
            let p = tree.leaf_proba(value)?;
            for (o, v) in out.iter_mut().zip(p.iter()) {
                *o += v;
            }
        }
        let n = self.trees.len() as f64;
        out.iter_mut().for_each(|v| *v /= n);
        Ok(())
    }

    /// Impurity-based feature importances: the mean of the trees' normalised importances.
    pub fn feature_importances(&self) -> Vec<f64> {
        mean_importances(
            self.n_features,
            self.trees.iter().map(|t| t.nodes.feature_importances()),
        )
    }
}

fn mean_importances(n_features: usize, per_tree: impl Iterator<Item = Vec<f64>>) -> Vec<f64> {
    let mut sum = vec![0.0; n_features];
    let mut count = 0usize;
    for importances in per_tree {
        if importances.iter().any(|v| *v > 0.0) {
            count += 1;
            for (s, v) in sum.iter_mut().zip(importances) {
                *s += v;
            }
        }
    }
    if count > 0 {
        sum.iter_mut().for_each(|s| *s /= count as f64);
        let total: f64 = sum.iter().sum();
        if total > 0.0 {
            sum.iter_mut().for_each(|s| *s /= total);
        }
    }
    sum
}

#[typetag::serde(name = "forest_classifier")]
impl Model for ForestClassifier {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("ForestClassifier", self.n_features, x.ncols())?;
        let k = self.n_classes;
        let sums = tree_sums(x, k, &self.trees, |tree, row, out| {
            let p = tree.leaf_proba(|f| row.get(f).copied())?;
            for (o, v) in out.iter_mut().zip(p.iter()) {
                *o += v;
            }
            Ok(())
        })?;
        let n = self.trees.len() as f64;
        let proba = Array2::from_shape_vec((x.nrows(), k), sums.into_iter().map(|v| v / n).collect())
            .map_err(|e| Error::InvalidData(format!("ForestClassifier: {e}")))?;
        let codes = proba.rows().into_iter().map(argmax).collect();
        Ok(Predictions::Classes {
            codes,
            proba: Some(proba),
        })
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("ForestClassifier", self.n_features, x.len())?;
        let mut buf = vec![0.0; self.n_classes];
        self.row_proba(|f| x.get(f).copied(), &mut buf)?;
        Ok(RowPrediction::Class {
            code: argmax(&buf),
            proba: Some(buf),
        })
    }
}

/// A fitted random forest regressor: its trees, in index order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ForestRegressorData")]
pub struct ForestRegressor {
    /// The number of features the forest was fitted on.
    pub n_features: usize,
    /// The trees.
    pub trees: Vec<TreeRegressor>,
    /// R² on the out-of-bag rows, when fitted with `oob_score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oob_score: Option<f64>,
}

#[derive(Deserialize)]
struct ForestRegressorData {
    n_features: usize,
    trees: Vec<TreeRegressor>,
    #[serde(default)]
    oob_score: Option<f64>,
}

impl TryFrom<ForestRegressorData> for ForestRegressor {
    type Error = String;

    fn try_from(d: ForestRegressorData) -> std::result::Result<Self, String> {
        if d.trees.is_empty() {
            return Err("invalid ForestRegressor: no trees".into());
        }
        if let Some(i) = d.trees.iter().position(|t| t.nodes.n_features != d.n_features) {
            return Err(format!(
                "invalid ForestRegressor: tree {i} does not have {} features",
                d.n_features
            ));
        }
        Ok(ForestRegressor {
            n_features: d.n_features,
            trees: d.trees,
            oob_score: d.oob_score,
        })
    }
}

impl ForestRegressor {
    fn row_value(&self, value: impl Fn(usize) -> Option<f64> + Copy) -> Result<f64> {
        let mut sum = 0.0;
        for tree in &self.trees {
            sum += tree.leaf_value(value)?;
        }
        Ok(sum / self.trees.len() as f64)
    }

    /// Impurity-based feature importances: the mean of the trees' normalised importances.
    pub fn feature_importances(&self) -> Vec<f64> {
        mean_importances(
            self.n_features,
            self.trees.iter().map(|t| t.nodes.feature_importances()),
        )
    }
}

#[typetag::serde(name = "forest_regressor")]
impl Model for ForestRegressor {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: ArrayView2<f64>) -> Result<Predictions> {
        check_width("ForestRegressor", self.n_features, x.ncols())?;
        let sums = tree_sums(x, 1, &self.trees, |tree, row, out| {
            if let Some(o) = out.first_mut() {
                *o += tree.leaf_value(|f| row.get(f).copied())?;
            }
            Ok(())
        })?;
        let n = self.trees.len() as f64;
        Ok(Predictions::Values(sums.into_iter().map(|v| v / n).collect()))
    }

    fn predict_row(&self, x: &[f64]) -> Result<RowPrediction> {
        check_width("ForestRegressor", self.n_features, x.len())?;
        Ok(RowPrediction::Value(self.row_value(|f| x.get(f).copied())?))
    }
}
