//! Hyperparameter search: grid and random search over pipeline and trainer parameters,
//! each candidate scored by [cross-validation](super::cv), trials run in parallel.
//!
//! A *candidate* is a whole [`Pipeline`]. Candidates are made from a base pipeline by
//! setting parameters at *paths* into its serialized form:
//!
//! - `trainer.<field>` — a field of the trainer (`trainer.c`, `trainer.max_depth`);
//! - `transforms.<i>.<field>` — a field of the `i`-th transform (0-based);
//! - `<tag>.<field>` — a field of the one stage whose serde tag is `<tag>`
//!   (`standard_scaler.with_mean`), when exactly one stage has it.
//!
//! Longer paths reach nested fields (`transforms.0.columns.names`). Field names are the
//! Rust (serde) names, as in a saved artifact. A path that names no existing field, or a
//! value the stage rejects, is an error before anything is fitted.
//!
//! [`search`] runs every (candidate, fold) pair as one task on rayon's pool, reports
//! each finished task to an optional [`ProgressFn`], and ranks candidates by the mean
//! test score of the first scorer (or [`SearchOptions::rank_by`]). Cancelling the
//! calling thread's [`CancelToken`](crate::cancel::CancelToken) (Ctrl-C in Python)
//! stops the search early: the call still returns `Ok`, with
//! [`SearchResults::interrupted`] set, the candidates whose folds all finished ranked,
//! and the rest marked incomplete. A candidate whose fit fails on some fold is kept
//! with its error, ranked last, as scikit-learn does with `error_score=nan`.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, StringArray};
//! use arrow::record_batch::RecordBatch;
//! use ferrops::prelude::*;
//! use ferrops::validate::cv::{make_folds, CvOptions, Scorer};
//! use ferrops::validate::search::{grid_candidates, search, ParamGrid, SearchOptions};
//! use ferrops::validate::split::StratifiedKFold;
//!
//! # fn main() -> ferrops::Result<()> {
//! let x: Vec<f64> = (0..60).map(|i| f64::from(i % 30) + if i % 2 == 0 { 3.0 } else { 0.0 }).collect();
//! let y: Vec<&str> = (0..60).map(|i| if i % 30 < 15 { "low" } else { "high" }).collect();
//! let table = RecordBatch::try_from_iter([
//!     ("x", Arc::new(Float64Array::from(x)) as _),
//!     ("y", Arc::new(StringArray::from(y)) as _),
//! ])?;
//! let base = Pipeline::new().transform(StandardScaler::default()).train(LogisticRegression::default());
//! let grid = ParamGrid::new().param("trainer.c", [0.01, 1.0, 100.0]);
//! let candidates = grid_candidates(&base, &[grid])?;
//! let folds = make_folds(&StratifiedKFold::new(3), &table, "y", true, None)?;
//! let options = SearchOptions::new(CvOptions::new(vec![Scorer::NegLogLoss])).refit(true);
//! let results = search(candidates, &table, "y", &folds, &options)?;
//! assert_eq!(results.trials.len(), 3);
//! let best = results.best().expect("a best trial");
//! assert!(results.refitted.is_some());
//! println!("best C: {}", best.params[0].1);
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::cv::{mean, pipeline_kind, std, CvOptions, FoldScores, Prepared, Scorer};
use super::split::{Fold, SplitMix64};
use crate::error::{Error, Result};
use crate::pipeline::{FittedPipeline, Pipeline};

// ---------------------------------------------------------------------------------------
// Parameter paths
// ---------------------------------------------------------------------------------------

/// `base` with the parameters at `params` set (see the [module docs](self) for paths).
///
/// # Errors
/// [`Error::InvalidParameter`] for a path that names no field of the pipeline, a tag
/// that several stages share, or a value the stage's parameters reject (wrong type,
/// unknown option).
pub fn with_params(base: &Pipeline, params: &[(String, Json)]) -> Result<Pipeline> {
    let mut json = serde_json::to_value(base)
        .map_err(|e| Error::InvalidData(format!("cannot serialize the pipeline: {e}")))?;
    for (path, value) in params {
        let slot = locate(&mut json, path)?;
        *slot = value.clone();
    }
    serde_json::from_value(json).map_err(|e| {
        let shown: Vec<String> = params.iter().map(|(p, v)| format!("{p}={v}")).collect();
        Error::param(
            "params",
            shown.join(", "),
            format!("the pipeline rejects these values: {e}"),
        )
    })
}

/// The JSON slot a path names in a serialized pipeline.
fn locate<'a>(json: &'a mut Json, path: &str) -> Result<&'a mut Json> {
    let mut parts = path.split('.');
    let head = parts.next().unwrap_or_default();
    let unknown = |reason: String| Error::param("params", path, reason);
    let mut node: &mut Json = match head {
        "trainer" => match json.get_mut("trainer") {
            Some(t) if !t.is_null() => t,
            _ => return Err(unknown("the pipeline has no trainer".into())),
        },
        "transforms" => {
            let index: usize = parts.next().and_then(|i| i.parse().ok()).ok_or_else(|| {
                unknown("write transforms.<index>.<field>, e.g. transforms.0.with_mean".into())
            })?;
            let stages = json
                .get_mut("transforms")
                .and_then(Json::as_array_mut)
                .ok_or_else(|| unknown("the pipeline has no transforms".into()))?;
            let n = stages.len();
            stages
                .get_mut(index)
                .ok_or_else(|| unknown(format!("the pipeline has {n} transforms (0-based index)")))?
        }
        tag => {
            let tags = stage_tags(json);
            let matching: Vec<usize> = tags
                .iter()
                .enumerate()
                .filter(|(_, t)| t.as_str() == tag)
                .map(|(i, _)| i)
                .collect();
            match matching.as_slice() {
                [one] => stage_mut(json, *one).ok_or_else(|| unknown("no such stage".into()))?,
                [] => {
                    return Err(unknown(format!(
                        "start with `trainer`, `transforms.<index>` or a stage tag; the stages are {tags:?}"
                    )))
                }
                _ => {
                    return Err(unknown(format!(
                        "{} stages have tag `{tag}`; use transforms.<index> instead",
                        matching.len()
                    )))
                }
            }
        }
    };
    let mut walked = String::new();
    let mut any = false;
    for field in parts {
        any = true;
        let fields = match node.as_object() {
            Some(map) => map
                .keys()
                .filter(|k| k.as_str() != "type")
                .cloned()
                .collect::<Vec<_>>(),
            None => Vec::new(),
        };
        node = match node.get_mut(field) {
            Some(next) => next,
            None => {
                return Err(unknown(format!(
                    "`{field}` is not a parameter{}; the parameters are {fields:?}",
                    if walked.is_empty() {
                        String::new()
                    } else {
                        format!(" of `{walked}`")
                    }
                )))
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(field);
    }
    if !any {
        return Err(unknown("name a field after the stage, e.g. trainer.c".into()));
    }
    Ok(node)
}

/// The serde tags of the stages: the transforms, then the trainer.
fn stage_tags(json: &Json) -> Vec<String> {
    let tag = |stage: &Json| stage.get("type").and_then(Json::as_str).unwrap_or("").to_string();
    let mut tags: Vec<String> = json
        .get("transforms")
        .and_then(Json::as_array)
        .map(|stages| stages.iter().map(tag).collect())
        .unwrap_or_default();
    if let Some(trainer) = json.get("trainer").filter(|t| !t.is_null()) {
        tags.push(tag(trainer));
    }
    tags
}

fn stage_mut(json: &mut Json, index: usize) -> Option<&mut Json> {
    let n = json
        .get("transforms")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    if index < n {
        json.get_mut("transforms")?.as_array_mut()?.get_mut(index)
    } else {
        json.get_mut("trainer")
    }
}

// ---------------------------------------------------------------------------------------
// Candidates
// ---------------------------------------------------------------------------------------

/// A pipeline to score and the parameters that made it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The parameters set on the base pipeline (path, value), for the results table.
    pub params: Vec<(String, Json)>,
    /// The pipeline.
    pub pipeline: Pipeline,
}

impl Candidate {
    /// A candidate from a pipeline built by hand, described by `params`.
    pub fn new(pipeline: Pipeline, params: Vec<(String, Json)>) -> Self {
        Candidate { params, pipeline }
    }
}

/// A grid: every combination of the listed values (scikit-learn's `ParameterGrid` over
/// one dict). Parameters vary in the order given, the last fastest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamGrid {
    /// (path, values) pairs.
    pub params: Vec<(String, Vec<Json>)>,
}

impl ParamGrid {
    /// An empty grid (one candidate: the base pipeline).
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a parameter and its values.
    pub fn param<V: Into<Json>>(mut self, path: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.params
            .push((path.to_string(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// The number of combinations.
    pub fn len(&self) -> usize {
        self.params.iter().map(|(_, v)| v.len()).product()
    }

    /// Whether the grid has no combination (some parameter has no value).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k`-th combination (the last parameter varies fastest).
    fn combination(&self, mut k: usize) -> Vec<(String, Json)> {
        let mut out = Vec::with_capacity(self.params.len());
        for (path, values) in self.params.iter().rev() {
            let n = values.len().max(1);
            if let Some(v) = values.get(k % n) {
                out.push((path.clone(), v.clone()));
            }
            k /= n;
        }
        out.reverse();
        out
    }
}

/// Every combination of every grid, in order (scikit-learn's `ParameterGrid` over a
/// list of dicts), each checked against the base pipeline.
///
/// # Errors
/// A parameter with no values, a bad path or value ([`with_params`]).
pub fn grid_candidates(base: &Pipeline, grids: &[ParamGrid]) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for grid in grids {
        if let Some((path, _)) = grid.params.iter().find(|(_, v)| v.is_empty()) {
            return Err(Error::param(
                "param_grid",
                path,
                "has no values: give at least one",
            ));
        }
        for k in 0..grid.len() {
            let params = grid.combination(k);
            let pipeline = with_params(base, &params)?;
            out.push(Candidate { params, pipeline });
        }
    }
    Ok(out)
}

/// Where a random search draws a parameter from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Distribution {
    /// One of these values, each equally likely.
    Choice {
        /// The values.
        values: Vec<Json>,
    },
    /// A real number uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound (`> low`).
        high: f64,
    },
    /// A real number whose logarithm is uniform: `exp(uniform(ln low, ln high))`
    /// (scipy's `loguniform`).
    LogUniform {
        /// Lower bound (`> 0`).
        low: f64,
        /// Upper bound (`> low`).
        high: f64,
    },
    /// An integer uniform in `low..=high`.
    IntUniform {
        /// Lower bound.
        low: i64,
        /// Upper bound (`>= low`).
        high: i64,
    },
}

impl Distribution {
    fn check(&self, path: &str) -> Result<()> {
        let bad = |reason: &str| Err(Error::param("param_distributions", path, reason));
        match self {
            Distribution::Choice { values } if values.is_empty() => bad("has no values to choose from"),
            Distribution::Uniform { low, high } if !(low.is_finite() && high.is_finite() && low < high) => {
                bad("uniform needs finite low < high")
            }
            Distribution::LogUniform { low, high }
                if !(low.is_finite() && high.is_finite() && *low > 0.0 && low < high) =>
            {
                bad("log_uniform needs finite 0 < low < high")
            }
            Distribution::IntUniform { low, high } if low > high => bad("int_uniform needs low <= high"),
            _ => Ok(()),
        }
    }

    fn sample(&self, rng: &mut SplitMix64) -> Json {
        match self {
            Distribution::Choice { values } => {
                let k = rng.below(values.len() as u64) as usize;
                values.get(k).cloned().unwrap_or(Json::Null)
            }
            Distribution::Uniform { low, high } => Json::from(low + (high - low) * rng.unit()),
            Distribution::LogUniform { low, high } => {
                let (a, b) = (low.ln(), high.ln());
                Json::from((a + (b - a) * rng.unit()).exp())
            }
            Distribution::IntUniform { low, high } => {
                let span = high.abs_diff(*low).saturating_add(1);
                Json::from(low.wrapping_add(rng.below(span) as i64))
            }
        }
    }
}

/// `n_iter` candidates drawn with `seed` (scikit-learn's `ParameterSampler`): each
/// parameter independently from its distribution. When every distribution is a
/// [`Distribution::Choice`], the draws are distinct combinations of the grid, without
/// replacement, and there are at most as many as the grid has.
///
/// # Errors
/// `n_iter == 0`, an invalid distribution, a bad path or value ([`with_params`]).
pub fn random_candidates(
    base: &Pipeline,
    space: &[(String, Distribution)],
    n_iter: usize,
    seed: u64,
) -> Result<Vec<Candidate>> {
    if n_iter == 0 {
        return Err(Error::param("n_iter", 0, "draw at least one candidate"));
    }
    for (path, d) in space {
        d.check(path)?;
    }
    let mut rng = SplitMix64::new(seed);
    let all_choices: Option<Vec<(String, Vec<Json>)>> = space
        .iter()
        .map(|(p, d)| match d {
            Distribution::Choice { values } => Some((p.clone(), values.clone())),
            _ => None,
        })
        .collect();
    let draws: Vec<Vec<(String, Json)>> = match all_choices {
        Some(params) => {
            let grid = ParamGrid { params };
            let mut ks: Vec<usize> = (0..grid.len()).collect();
            rng.shuffle(&mut ks);
            ks.truncate(n_iter);
            ks.into_iter().map(|k| grid.combination(k)).collect()
        }
        None => (0..n_iter)
            .map(|_| {
                space
                    .iter()
                    .map(|(p, d)| (p.clone(), d.sample(&mut rng)))
                    .collect()
            })
            .collect(),
    };
    draws
        .into_iter()
        .map(|params| {
            let pipeline = with_params(base, &params)?;
            Ok(Candidate { params, pipeline })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Running a search
// ---------------------------------------------------------------------------------------

/// What a progress callback is told after each (candidate, fold) task.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Tasks finished so far (including failed ones).
    pub done: usize,
    /// All tasks: candidates × folds.
    pub total: usize,
    /// The candidate of the task that just finished.
    pub trial: usize,
    /// Its fold.
    pub fold: usize,
    /// The best mean ranking score among candidates complete so far.
    pub best_score: Option<f64>,
}

/// A progress callback; it is called from worker threads, one call at a time.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How [`search`] runs.
#[derive(Clone, Default)]
pub struct SearchOptions {
    /// Scorers, train scores and sample weights, as for cross-validation.
    pub cv: CvOptions,
    /// The scorer candidates are ranked by; `None` ranks by the first scorer.
    pub rank_by: Option<Scorer>,
    /// Fit the best candidate on the whole table when the search completes.
    pub refit: bool,
    /// Called after every task.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for SearchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchOptions")
            .field("cv", &self.cv)
            .field("rank_by", &self.rank_by)
            .field("refit", &self.refit)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl SearchOptions {
    /// Options scoring as `cv` says, ranking by its first scorer, without refit.
    pub fn new(cv: CvOptions) -> Self {
        SearchOptions {
            cv,
            ..SearchOptions::default()
        }
    }

    /// Refit the best candidate on all rows.
    pub fn refit(mut self, refit: bool) -> Self {
        self.refit = refit;
        self
    }

    /// Rank by this scorer (it must be among the scorers).
    pub fn rank_by(mut self, scorer: Scorer) -> Self {
        self.rank_by = Some(scorer);
        self
    }

    /// Report progress to `callback`.
    pub fn progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }
}

/// One candidate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Its position among the candidates.
    pub index: usize,
    /// The parameters that made it.
    pub params: Vec<(String, Json)>,
    /// The folds that finished, in fold order.
    pub folds: Vec<FoldScores>,
    /// Mean test score per scorer (order of [`SearchResults::scoring`]); NaN if the
    /// trial failed or did not finish.
    pub mean_test: Vec<f64>,
    /// Standard deviation (`ddof = 0`) of the test scores per scorer.
    pub std_test: Vec<f64>,
    /// Mean train score per scorer, if train scores were asked for.
    pub mean_train: Option<Vec<f64>>,
    /// Mean and standard deviation of the fit time, seconds.
    pub fit_seconds: (f64, f64),
    /// Mean and standard deviation of the scoring time, seconds.
    pub score_seconds: (f64, f64),
    /// Rank by the ranking scorer (1 = best; ties share the lower rank); `None` for a
    /// failed or unfinished trial.
    pub rank: Option<usize>,
    /// The first error of a failed fold.
    pub error: Option<String>,
    /// Whether every fold finished (successfully or not).
    pub complete: bool,
}

/// The outcome of a [`search`].
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// The scorers, in the order of each trial's score lists.
    pub scoring: Vec<Scorer>,
    /// The scorer trials are ranked by.
    pub rank_by: Scorer,
    /// One trial per candidate, in candidate order.
    pub trials: Vec<Trial>,
    /// Whether the search was cancelled before every task (and the refit) finished.
    pub interrupted: bool,
    /// The best candidate fitted on all rows, when asked for and the search completed.
    pub refitted: Option<FittedPipeline>,
}

impl SearchResults {
    /// The best trial: rank 1, the first in candidate order among ties.
    pub fn best(&self) -> Option<&Trial> {
        self.trials.iter().find(|t| t.rank == Some(1))
    }
}

/// Score every candidate by cross-validation over `folds`, in parallel.
///
/// See the [module docs](self) for progress, cancellation and failed candidates.
///
/// # Errors
/// No candidates; candidates with different target kinds; the cross-validation
/// errors of [`cross_validate`](super::cv::cross_validate) that do not depend on a
/// candidate (empty table, bad folds, scorers); `rank_by` not among the scorers; every
/// candidate failing (the first error is returned); a failed refit.
pub fn search(
    candidates: Vec<Candidate>,
    table: &RecordBatch,
    target: &str,
    folds: &[Fold],
    options: &SearchOptions,
) -> Result<SearchResults> {
    let first = candidates
        .first()
        .ok_or_else(|| Error::param("candidates", "none", "give at least one candidate pipeline"))?;
    let kind = pipeline_kind(&first.pipeline)?;
    for (i, c) in candidates.iter().enumerate() {
        if pipeline_kind(&c.pipeline)? != kind {
            return Err(Error::param(
                "candidates",
                i,
                "mixes classifiers and regressors; search one kind at a time",
            ));
        }
    }
    let prepared = Prepared::new(kind, table, target, folds, &options.cv)?;
    let scoring = prepared.scoring.clone();
    let rank_by = options
        .rank_by
        .unwrap_or_else(|| scoring.first().copied().unwrap_or(Scorer::default_for(kind)));
    let rank_at = scoring.iter().position(|s| *s == rank_by).ok_or_else(|| {
        Error::param(
            "rank_by",
            rank_by,
            format!("is not among the scorers {scoring:?}"),
        )
    })?;

    let n_folds = prepared.folds.len();
    let tasks: Vec<(usize, usize)> = (0..candidates.len())
        .flat_map(|c| (0..n_folds).map(move |f| (c, f)))
        .collect();
    let total = tasks.len();
    let token = crate::cancel::current();
    let done = AtomicUsize::new(0);
    // Per candidate: finished folds; guarded together with the best score so progress
    // reports are consistent.
    let state: Mutex<(Vec<Outcomes>, Option<f64>)> = Mutex::new((
        (0..candidates.len())
            .map(|_| (0..n_folds).map(|_| None).collect())
            .collect(),
        None,
    ));

    let run = |&(c, f): &(usize, usize)| {
        let cancelled = token.as_ref().is_some_and(|t| t.is_cancelled());
        if cancelled {
            return;
        }
        let outcome = match (&token, candidates.get(c)) {
            (Some(t), Some(cand)) => crate::cancel::with_token(t, || prepared.run_fold(&cand.pipeline, f)),
            (None, Some(cand)) => prepared.run_fold(&cand.pipeline, f),
            (_, None) => return,
        };
        if matches!(outcome, Err(Error::Cancelled)) {
            return;
        }
        let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
        let Ok(mut guard) = state.lock() else { return };
        let (folds_of, best) = &mut *guard;
        if let Some(slot) = folds_of.get_mut(c).and_then(|v| v.get_mut(f)) {
            *slot = Some(outcome);
        }
        if let Some(score) = folds_of.get(c).and_then(|v| complete_mean(v, rank_at)) {
            if best.is_none_or(|b| score > b) {
                *best = Some(score);
            }
        }
        let report = Progress {
            done: finished,
            total,
            trial: c,
            fold: f,
            best_score: *best,
        };
        if let Some(callback) = &options.progress {
            callback(&report);
        }
    };
    tasks.par_iter().for_each(run);

    let (folds_of, _) = state.into_inner().map_err(|_| Error::Training {
        model: "search".into(),
        reason: "a search task panicked".into(),
    })?;
    let mut interrupted = folds_of.iter().flatten().any(Option::is_none);
    let mut trials: Vec<Trial> = candidates
        .iter()
        .zip(folds_of)
        .enumerate()
        .map(|(index, (cand, outcomes))| {
            trial_of(index, cand, outcomes, scoring.len(), prepared_train(&options.cv))
        })
        .collect();
    rank(&mut trials, rank_at);
    if !interrupted {
        if let Some(first_error) = trials
            .iter()
            .all(|t| t.error.is_some())
            .then(|| trials.first())
            .flatten()
        {
            return Err(Error::Training {
                model: "search".into(),
                reason: format!(
                    "every candidate failed; the first: {}",
                    first_error.error.clone().unwrap_or_default()
                ),
            });
        }
    }
    let refitted = match (
        options.refit && !interrupted,
        trials.iter().find(|t| t.rank == Some(1)),
    ) {
        (true, Some(best)) => {
            let pipeline = candidates
                .get(best.index)
                .map(|c| &c.pipeline)
                .ok_or_else(|| Error::InvalidData("best candidate out of range".into()))?;
            // Cancelled while refitting: the ranked trials still stand.
            match pipeline.fit_weighted(&prepared.table, &prepared.target, prepared.weights().cloned()) {
                Ok(fitted) => Some(fitted),
                Err(Error::Cancelled) => {
                    interrupted = true;
                    None
                }
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    Ok(SearchResults {
        scoring,
        rank_by,
        trials,
        interrupted,
        refitted,
    })
}

/// The outcome of each fold of one candidate: `None` until it ran.
type Outcomes = Vec<Option<Result<FoldScores>>>;

fn prepared_train(options: &CvOptions) -> bool {
    options.return_train_score
}

/// The mean test score at `at` once every fold finished successfully.
fn complete_mean(folds: &[Option<Result<FoldScores>>], at: usize) -> Option<f64> {
    let scores: Option<Vec<f64>> = folds
        .iter()
        .map(|f| match f {
            Some(Ok(s)) => s.test.get(at).copied(),
            _ => None,
        })
        .collect();
    scores.and_then(|s| mean(&s))
}

fn trial_of(
    index: usize,
    candidate: &Candidate,
    outcomes: Outcomes,
    n_scores: usize,
    with_train: bool,
) -> Trial {
    let complete = outcomes.iter().all(Option::is_some);
    let mut folds = Vec::new();
    let mut error = None;
    for outcome in outcomes.into_iter().flatten() {
        match outcome {
            Ok(scores) => folds.push(scores),
            Err(e) => {
                if error.is_none() {
                    error = Some(e.to_string());
                }
            }
        }
    }
    let usable = complete && error.is_none();
    let per =
        |get: &dyn Fn(&FoldScores) -> Option<f64>| -> Vec<f64> { folds.iter().filter_map(get).collect() };
    let stat = |f: fn(&[f64]) -> Option<f64>, i: usize| {
        if usable {
            f(&per(&|s| s.test.get(i).copied())).unwrap_or(f64::NAN)
        } else {
            f64::NAN
        }
    };
    let mean_test = (0..n_scores).map(|i| stat(mean, i)).collect();
    let std_test = (0..n_scores).map(|i| stat(std, i)).collect();
    let mean_train = with_train.then(|| {
        (0..n_scores)
            .map(|i| {
                if usable {
                    mean(&per(&|s| s.train.as_ref().and_then(|t| t.get(i).copied()))).unwrap_or(f64::NAN)
                } else {
                    f64::NAN
                }
            })
            .collect()
    });
    let times = |get: &dyn Fn(&FoldScores) -> Option<f64>| {
        let v = per(get);
        (mean(&v).unwrap_or(f64::NAN), std(&v).unwrap_or(f64::NAN))
    };
    Trial {
        index,
        params: candidate.params.clone(),
        fit_seconds: times(&|s| Some(s.fit_seconds)),
        score_seconds: times(&|s| Some(s.score_seconds)),
        folds,
        mean_test,
        std_test,
        mean_train,
        rank: None,
        error,
        complete,
    }
}

/// scikit-learn's `rank_test_*`: 1 for the best mean, ties share the lowest rank
/// (`rankdata(method="min")` of the negated scores); NaN scores get no rank.
fn rank(trials: &mut [Trial], at: usize) {
    let scores: Vec<Option<f64>> = trials
        .iter()
        .map(|t| t.mean_test.get(at).copied().filter(|s| !s.is_nan()))
        .collect();
    for (trial, score) in trials.iter_mut().zip(&scores) {
        trial.rank = score.map(|s| 1 + scores.iter().flatten().filter(|&&o| o > s).count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::StandardScaler;
    use crate::train::LogisticRegression;

    fn base() -> Pipeline {
        Pipeline::new()
            .transform(StandardScaler::default())
            .train(LogisticRegression::default())
    }

    #[test]
    fn paths_reach_trainer_transforms_and_tags() {
        let p = with_params(
            &base(),
            &[
                ("trainer.c".into(), Json::from(0.5)),
                ("transforms.0.with_mean".into(), Json::from(false)),
            ],
        )
        .unwrap();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["trainer"]["c"], Json::from(0.5));
        assert_eq!(json["transforms"][0]["with_mean"], Json::from(false));
        let p = with_params(&base(), &[("standard_scaler.with_std".into(), Json::from(false))]).unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap()["transforms"][0]["with_std"],
            Json::from(false)
        );
    }

    #[test]
    fn bad_paths_and_values_are_errors() {
        let err = with_params(&base(), &[("trainer.cc".into(), Json::from(1.0))]).unwrap_err();
        assert!(err.to_string().contains("`cc` is not a parameter"), "{err}");
        let err = with_params(&base(), &[("transforms.3.with_mean".into(), Json::from(true))]).unwrap_err();
        assert!(err.to_string().contains("1 transforms"), "{err}");
        let err = with_params(&base(), &[("trainer.c".into(), Json::from("big"))]).unwrap_err();
        assert!(err.to_string().contains("rejects"), "{err}");
        assert!(with_params(&base(), &[("nope.c".into(), Json::from(1))]).is_err());
        assert!(with_params(&base(), &[("trainer".into(), Json::from(1))]).is_err());
    }

    #[test]
    fn grid_order_is_last_fastest() {
        let grid = ParamGrid::new()
            .param("trainer.c", [1.0, 2.0])
            .param("trainer.max_iter", [10, 20, 30]);
        assert_eq!(grid.len(), 6);
        let c = grid_candidates(&base(), &[grid]).unwrap();
        let firsts: Vec<String> = c
            .iter()
            .map(|c| format!("{}/{}", c.params[0].1, c.params[1].1))
            .collect();
        assert_eq!(
            firsts,
            ["1.0/10", "1.0/20", "1.0/30", "2.0/10", "2.0/20", "2.0/30"]
        );
    }

    #[test]
    fn random_choices_are_distinct_and_seeded() {
        let space = vec![(
            "trainer.c".to_string(),
            Distribution::Choice {
                values: vec![Json::from(0.1), Json::from(1.0), Json::from(10.0)],
            },
        )];
        let a = random_candidates(&base(), &space, 10, 7).unwrap();
        assert_eq!(a.len(), 3);
        let mut seen: Vec<String> = a.iter().map(|c| c.params[0].1.to_string()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 3);
        let space = vec![(
            "trainer.c".to_string(),
            Distribution::LogUniform { low: 1e-3, high: 1e3 },
        )];
        let a = random_candidates(&base(), &space, 20, 7).unwrap();
        let b = random_candidates(&base(), &space, 20, 7).unwrap();
        assert_eq!(
            a.iter().map(|c| c.params.clone()).collect::<Vec<_>>(),
            b.iter().map(|c| c.params.clone()).collect::<Vec<_>>()
        );
        for c in &a {
            let v = c.params[0].1.as_f64().unwrap();
            assert!((1e-3..1e3).contains(&v));
        }
        assert!(random_candidates(&base(), &space, 0, 7).is_err());
        let bad = vec![(
            "trainer.c".to_string(),
            Distribution::LogUniform { low: 0.0, high: 1.0 },
        )];
        assert!(random_candidates(&base(), &bad, 3, 7).is_err());
    }

    #[test]
    fn ranks_are_min_ranks_and_skip_nan() {
        let t = |m: f64| Trial {
            index: 0,
            params: vec![],
            folds: vec![],
            mean_test: vec![m],
            std_test: vec![0.0],
            mean_train: None,
            fit_seconds: (0.0, 0.0),
            score_seconds: (0.0, 0.0),
            rank: None,
            error: None,
            complete: true,
        };
        let mut trials = vec![t(0.5), t(0.9), t(f64::NAN), t(0.9), t(0.1)];
        rank(&mut trials, 0);
        let ranks: Vec<Option<usize>> = trials.iter().map(|t| t.rank).collect();
        assert_eq!(ranks, [Some(3), Some(1), None, Some(1), Some(4)]);
    }
}
