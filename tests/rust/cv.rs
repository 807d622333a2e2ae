//! Integration tests of `ferrops::validate::{cv, search}`: cross-validation scores and a
//! grid search against scikit-learn's (`tests/fixtures/cv/cv.json`, written by `gen.py`
//! there with scikit-learn 1.9), folds against scikit-learn's, determinism over thread
//! counts, cancellation returning the best so far, failed candidates, and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::cancel::{self, CancelToken};
use ferrops::prelude::*;
use ferrops::validate::cv::{cross_validate, make_folds, CvOptions, Scorer};
use ferrops::validate::search::{
    grid_candidates, random_candidates, search, Distribution, ParamGrid, SearchOptions,
};
use ferrops::validate::split::{Fold, GroupKFold, KFold, StratifiedKFold};
use serde_json::Value as Json;

fn fixture() -> &'static Json {
    static DOC: OnceLock<Json> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/cv/cv.json");
        let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(doc["source"].as_str().unwrap().starts_with("scikit-learn 1.9"));
        doc
    })
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn folds(key: &str) -> Vec<Fold> {
    fixture()[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            let idx = |v: &Json| {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_u64().unwrap() as usize)
                    .collect()
            };
            Fold {
                train: idx(&pair[0]),
                test: idx(&pair[1]),
            }
        })
        .collect()
}

/// x0..x3, `label` ("no"/"yes") and `y` (real).
fn table() -> RecordBatch {
    let doc = fixture();
    let rows = doc["x"].as_array().unwrap();
    let mut columns: Vec<(String, ArrayRef)> = (0..4)
        .map(|j| {
            let values: Vec<f64> = rows.iter().map(|r| r[j].as_f64().unwrap()).collect();
            (format!("x{j}"), Arc::new(Float64Array::from(values)) as ArrayRef)
        })
        .collect();
    let labels: Vec<&str> = doc["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    columns.push(("label".into(), Arc::new(StringArray::from(labels))));
    columns.push(("y".into(), Arc::new(Float64Array::from(floats(&doc["y_reg"])))));
    RecordBatch::try_from_iter(columns).unwrap()
}

fn without(table: &RecordBatch, column: &str) -> RecordBatch {
    let mut t = table.clone();
    let i = t.schema().index_of(column).unwrap();
    t.remove_column(i);
    t
}

fn tight_logistic(c: f64) -> LogisticRegression {
    LogisticRegression {
        c,
        tol: 1e-10,
        max_iter: 10_000,
        ..LogisticRegression::default()
    }
}

fn classifier() -> Pipeline {
    Pipeline::new()
        .transform(StandardScaler::default())
        .train(tight_logistic(1.0))
}

fn assert_close(ours: &[f64], theirs: &[f64], tol: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (k, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= tol,
            "{what} fold {k}: ours {a}, scikit-learn {b}"
        );
    }
}

#[test]
fn stratified_folds_are_scikit_learns() {
    let ours = make_folds(&StratifiedKFold::new(4), &table(), "label", true, None).unwrap();
    assert_eq!(ours, folds("stratified_folds"));
}

#[test]
fn classification_scores_equal_scikit_learns_cross_validate() {
    let t = without(&table(), "y");
    let scoring = vec![
        Scorer::Accuracy,
        Scorer::NegLogLoss,
        Scorer::RocAuc,
        Scorer::BalancedAccuracy,
        Scorer::F1,
    ];
    let results = cross_validate(
        &classifier(),
        &t,
        "label",
        &folds("stratified_folds"),
        &CvOptions::new(scoring.clone()),
    )
    .unwrap();
    let reference = &fixture()["classification"];
    // Labels are exact; log loss and AUC follow coefficients that agree to ~1e-8.
    assert_close(
        &results.test_scores(Scorer::Accuracy),
        &floats(&reference["accuracy"]),
        0.0,
        "accuracy",
    );
    assert_close(
        &results.test_scores(Scorer::BalancedAccuracy),
        &floats(&reference["balanced_accuracy"]),
        0.0,
        "balanced accuracy",
    );
    assert_close(
        &results.test_scores(Scorer::F1),
        &floats(&fixture()["f1"]),
        0.0,
        "f1",
    );
    assert_close(
        &results.test_scores(Scorer::NegLogLoss),
        &floats(&reference["neg_log_loss"]),
        1e-7,
        "log loss",
    );
    assert_close(
        &results.test_scores(Scorer::RocAuc),
        &floats(&reference["roc_auc"]),
        1e-12,
        "roc auc",
    );
    assert!(results
        .folds
        .iter()
        .all(|f| f.train.is_none() && f.n_train + f.n_test == 240));
}

#[test]
fn regression_scores_equal_scikit_learns_cross_validate() {
    let t = without(&table(), "label");
    let pipeline = Pipeline::new()
        .transform(StandardScaler::default())
        .train(LinearRegression::default());
    let scoring = vec![
        Scorer::R2,
        Scorer::NegMeanSquaredError,
        Scorer::NegMeanAbsoluteError,
        Scorer::NegRootMeanSquaredError,
    ];
    let results = cross_validate(
        &pipeline,
        &t,
        "y",
        &folds("kfold_folds"),
        &CvOptions::new(scoring.clone()).with_train_score(),
    )
    .unwrap();
    let reference = &fixture()["regression"];
    for s in scoring {
        assert_close(
            &results.test_scores(s),
            &floats(&reference[s.name()]),
            1e-9,
            s.name(),
        );
    }
    assert_close(
        &results.train_scores(Scorer::R2),
        &floats(&fixture()["regression_train_r2"]),
        1e-9,
        "train r2",
    );
    let kfold = make_folds(&KFold::new(5), &t, "y", false, None).unwrap();
    assert_eq!(kfold, folds("kfold_folds"));
}

#[test]
fn grid_search_ranks_as_scikit_learns_grid_search_cv() {
    let t = without(&table(), "y");
    let grid = ParamGrid::new().param("trainer.c", floats(&fixture()["grid_c"]));
    let candidates = grid_candidates(&classifier(), &[grid]).unwrap();
    let options = SearchOptions::new(CvOptions::new(vec![Scorer::NegLogLoss, Scorer::Accuracy])).refit(true);
    let results = search(candidates, &t, "label", &folds("stratified_folds"), &options).unwrap();
    assert!(!results.interrupted);
    let means: Vec<f64> = results.trials.iter().map(|t| t.mean_test[0]).collect();
    let stds: Vec<f64> = results.trials.iter().map(|t| t.std_test[0]).collect();
    assert_close(
        &means,
        &floats(&fixture()["grid_mean"]),
        1e-7,
        "mean neg_log_loss",
    );
    assert_close(&stds, &floats(&fixture()["grid_std"]), 1e-7, "std neg_log_loss");
    let ranks: Vec<f64> = results.trials.iter().map(|t| t.rank.unwrap() as f64).collect();
    assert_eq!(ranks, floats(&fixture()["grid_rank"]));
    let best = results.best().unwrap();
    assert_eq!(best.index as u64, fixture()["grid_best_index"].as_u64().unwrap());
    // The refitted pipeline is the best candidate fitted on every row.
    let refitted = results.refitted.as_ref().unwrap();
    let direct = Pipeline::new()
        .transform(StandardScaler::default())
        .train(tight_logistic(best.params[0].1.as_f64().unwrap()))
        .fit(&t, "label")
        .unwrap();
    assert_eq!(
        refitted.predict_proba(&t).unwrap(),
        direct.predict_proba(&t).unwrap()
    );
}

#[test]
fn scores_do_not_depend_on_the_thread_count() {
    let t = without(&table(), "y");
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            cross_validate(
                &classifier(),
                &t,
                "label",
                &folds("stratified_folds"),
                &CvOptions::new(vec![Scorer::NegLogLoss]),
            )
            .unwrap()
            .test_scores(Scorer::NegLogLoss)
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn sample_weights_reach_each_folds_fit() {
    let t = without(&table(), "y");
    let weights = ndarray::Array1::from_iter((0..240).map(|i| if i % 3 == 0 { 3.0 } else { 1.0 }));
    let f = folds("stratified_folds");
    let weighted = cross_validate(
        &classifier(),
        &t,
        "label",
        &f,
        &CvOptions::new(vec![Scorer::NegLogLoss]).with_weights(weights.clone()),
    )
    .unwrap();
    // Fold 0 by hand: fit on its rows with their weights, score its test rows.
    let fold = &f[0];
    let take = |rows: &[usize]| {
        let idx = arrow::array::UInt64Array::from_iter_values(rows.iter().map(|&r| r as u64));
        arrow::compute::take_record_batch(&t, &idx).unwrap()
    };
    let w: ndarray::Array1<f64> = fold.train.iter().map(|&r| weights[r]).collect();
    let fitted = classifier()
        .fit_weighted(&take(&fold.train), "label", Some(w))
        .unwrap();
    let proba = fitted.predict_proba(&take(&fold.test)).unwrap();
    let labels = fixture()["labels"].as_array().unwrap();
    let codes: Vec<usize> = fold
        .test
        .iter()
        .map(|&r| usize::from(labels[r] == "yes"))
        .collect();
    let expected = -ferrops::validate::metrics::log_loss(&codes, proba.view(), None).unwrap();
    assert_eq!(weighted.folds[0].test[0], expected);
    let unweighted = cross_validate(
        &classifier(),
        &t,
        "label",
        &f,
        &CvOptions::new(vec![Scorer::NegLogLoss]),
    )
    .unwrap();
    assert_ne!(weighted.folds[0].test[0], unweighted.folds[0].test[0]);
}

#[test]
fn a_class_missing_from_a_training_fold_gets_probability_zero() {
    // Three classes; "c" only in the last rows, so fold 0 (which tests them) never trains on it.
    let x: Vec<f64> = (0..30).map(f64::from).collect();
    let y: Vec<&str> = (0..30)
        .map(|i| {
            if i < 3 {
                "c"
            } else if i % 2 == 0 {
                "a"
            } else {
                "b"
            }
        })
        .collect();
    let t = RecordBatch::try_from_iter([
        ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
        ("y", Arc::new(StringArray::from(y)) as ArrayRef),
    ])
    .unwrap();
    let f = make_folds(&KFold::new(3), &t, "y", true, None).unwrap();
    let pipeline = Pipeline::new().train(LogisticRegression::default());
    let results = cross_validate(
        &pipeline,
        &t,
        "y",
        &f,
        &CvOptions::new(vec![Scorer::Accuracy, Scorer::NegLogLoss]),
    )
    .unwrap();
    // Fold 0 cannot predict "c" (3 of its 10 test rows): at most 7 right, and the log
    // loss of those rows is -ln(1e-15)-sized (clipped probability 0).
    assert!(results.folds[0].test[0] <= 0.7);
    assert!(results.folds[0].test[1] < -3.0);
    // ROC AUC one-vs-rest needs every class in each test fold: folds 1 and 2 have no "c".
    let err = cross_validate(&pipeline, &t, "y", &f, &CvOptions::new(vec![Scorer::RocAucOvr])).unwrap_err();
    assert!(err.to_string().contains("fold 1"), "{err}");
}

#[test]
fn group_folds_come_from_a_column() {
    let x: Vec<f64> = (0..12).map(f64::from).collect();
    let y: Vec<&str> = (0..12).map(|i| if i % 2 == 0 { "a" } else { "b" }).collect();
    let g: Vec<&str> = (0..12).map(|i| ["s", "t", "u"][i % 3]).collect();
    let t = RecordBatch::try_from_iter([
        ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
        ("store", Arc::new(StringArray::from(g.clone())) as ArrayRef),
        ("y", Arc::new(StringArray::from(y)) as ArrayRef),
    ])
    .unwrap();
    let f = make_folds(&GroupKFold::new(3), &t, "y", true, Some("store")).unwrap();
    for fold in &f {
        let test_groups: std::collections::BTreeSet<&str> = fold.test.iter().map(|&r| g[r]).collect();
        assert_eq!(test_groups.len(), 1);
        assert!(fold.train.iter().all(|&r| !test_groups.contains(g[r])));
    }
    assert!(make_folds(&GroupKFold::new(3), &t, "y", true, Some("nope")).is_err());
}

#[test]
fn cancelling_returns_the_candidates_that_finished() {
    let t = without(&table(), "y");
    let grid = ParamGrid::new().param("trainer.c", [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]);
    let candidates = grid_candidates(&classifier(), &[grid]).unwrap();
    let token = CancelToken::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let (cancel_from, counter) = (token.clone(), seen.clone());
    let options = SearchOptions::new(CvOptions::new(vec![Scorer::Accuracy]))
        .refit(true)
        .progress(move |p| {
            counter.fetch_add(1, Ordering::SeqCst);
            assert!(p.done <= p.total && p.total == 24);
            if p.done >= 4 {
                cancel_from.cancel();
            }
        });
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let results = pool
        .install(|| {
            cancel::with_token(&token, || {
                search(candidates, &t, "label", &folds("stratified_folds"), &options)
            })
        })
        .unwrap();
    assert!(results.interrupted);
    assert!(results.refitted.is_none(), "no refit after an interrupted search");
    let complete: Vec<_> = results.trials.iter().filter(|t| t.complete).collect();
    assert!(!complete.is_empty() && complete.len() < 6);
    assert!(results
        .trials
        .iter()
        .filter(|t| !t.complete)
        .all(|t| t.rank.is_none()));
    assert_eq!(results.best().map(|b| b.complete), Some(true));
    assert!(seen.load(Ordering::SeqCst) < 24);
}

#[test]
fn a_failing_candidate_is_kept_with_its_error() {
    let t = without(&table(), "y");
    let grid = ParamGrid::new().param("trainer.c", [-1.0, 1.0]);
    let candidates = grid_candidates(&classifier(), &[grid]).unwrap();
    let results = search(
        candidates,
        &t,
        "label",
        &folds("stratified_folds"),
        &SearchOptions::new(CvOptions::default()),
    )
    .unwrap();
    assert!(results.trials[0].error.as_deref().unwrap().contains("c"));
    assert!(results.trials[0].mean_test[0].is_nan());
    assert_eq!(results.trials[0].rank, None);
    assert_eq!(results.best().unwrap().index, 1);
    // Every candidate failing is an error.
    let bad = grid_candidates(&classifier(), &[ParamGrid::new().param("trainer.c", [-1.0, 0.0])]).unwrap();
    let err = search(
        bad,
        &t,
        "label",
        &folds("stratified_folds"),
        &SearchOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("every candidate failed"), "{err}");
}

#[test]
fn random_search_is_seeded() {
    let space = vec![
        (
            "trainer.c".to_string(),
            Distribution::LogUniform {
                low: 1e-3,
                high: 10.0,
            },
        ),
        (
            "transforms.0.with_mean".to_string(),
            Distribution::Choice {
                values: vec![true.into(), false.into()],
            },
        ),
    ];
    let a = random_candidates(&classifier(), &space, 4, 11).unwrap();
    let b = random_candidates(&classifier(), &space, 4, 11).unwrap();
    let c = random_candidates(&classifier(), &space, 4, 12).unwrap();
    let params =
        |v: &[ferrops::validate::search::Candidate]| v.iter().map(|c| c.params.clone()).collect::<Vec<_>>();
    assert_eq!(params(&a), params(&b));
    assert_ne!(params(&a), params(&c));
}

#[test]
fn errors_name_the_problem() {
    let t = without(&table(), "y");
    let f = folds("stratified_folds");
    let regression_scorer =
        cross_validate(&classifier(), &t, "label", &f, &CvOptions::new(vec![Scorer::R2])).unwrap_err();
    assert!(
        regression_scorer.to_string().contains("regression metric"),
        "{regression_scorer}"
    );
    let twice = cross_validate(
        &classifier(),
        &t,
        "label",
        &f,
        &CvOptions::new(vec![Scorer::Accuracy, Scorer::Accuracy]),
    )
    .unwrap_err();
    assert!(twice.to_string().contains("twice"), "{twice}");
    let out_of_range = vec![Fold {
        train: vec![0, 1],
        test: vec![999],
    }];
    let err = cross_validate(&classifier(), &t, "label", &out_of_range, &CvOptions::default()).unwrap_err();
    assert!(err.to_string().contains("row 999"), "{err}");
    assert!(cross_validate(&classifier(), &t, "label", &[], &CvOptions::default()).is_err());
    let no_trainer = Pipeline::new().transform(StandardScaler::default());
    assert!(cross_validate(&no_trainer, &t, "label", &f, &CvOptions::default()).is_err());
    let missing = cross_validate(&classifier(), &t, "nope", &f, &CvOptions::default()).unwrap_err();
    assert!(
        matches!(missing, ferrops::Error::ColumnNotFound { .. }),
        "{missing}"
    );
    let multi = cross_validate(
        &Pipeline::new().train(LogisticRegression::default()),
        &RecordBatch::try_from_iter([
            (
                "x",
                Arc::new(Float64Array::from(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])) as ArrayRef,
            ),
            (
                "y",
                Arc::new(StringArray::from(vec!["a", "b", "c", "a", "b", "c"])) as ArrayRef,
            ),
        ])
        .unwrap(),
        "y",
        &[Fold {
            train: vec![0, 1, 2],
            test: vec![3, 4, 5],
        }],
        &CvOptions::new(vec![Scorer::F1]),
    )
    .unwrap_err();
    assert!(multi.to_string().contains("f1_macro"), "{multi}");
    assert!(Scorer::parse("auc").unwrap_err().to_string().contains("roc_auc"));
}
