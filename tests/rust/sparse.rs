//! The sparse model path: a pipeline whose last stage is a one-hot encoder feeds its model
//! a `Design` (codes, not indicator columns). It must give exactly what the dense path
//! gives, and the logistic solver must be deterministic on any number of threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::data::{Dataset, Design, DesignDataset, TargetKind};
use ferrops::prelude::*;
use ferrops::train::{LinearClassifier, LogisticSolver, Predictions};
use ndarray::{Array1, Array2};

use common::classification_table;

/// Rows enough for several prediction chunks (4,096) and solver chunks (8,192).
const ROWS: usize = 20_000;

fn sparse_pipeline(trainer: LogisticRegression) -> Pipeline {
    Pipeline::new()
        .transform(SimpleImputer::median(["b"]))
        .transform(StandardScaler::new(Columns::AllNumeric))
        .transform(OneHotEncoder::new(["city"]))
        .train(trainer)
}

fn classifier(fitted: &FittedPipeline) -> LinearClassifier {
    let json = serde_json::to_value(fitted.model().unwrap()).unwrap();
    serde_json::from_value(json).unwrap()
}

fn dense_dataset(fitted: &FittedPipeline, table: &RecordBatch) -> Dataset {
    let x = fitted.transform_matrix(table).unwrap();
    Dataset::from_matrix(
        x,
        fitted.feature_names_out().to_vec(),
        "label",
        table.column_by_name("label").unwrap(),
        TargetKind::Classification,
    )
    .unwrap()
}

#[test]
fn the_design_equals_the_dense_transform() {
    let table = classification_table(ROWS, 11);
    let fitted = sparse_pipeline(LogisticRegression::default())
        .fit(&table, "label")
        .unwrap();
    let design = fitted.transform_design(&table).unwrap();
    assert!(design.is_sparse(), "the one-hot outputs are kept as a code block");
    assert_eq!(design.blocks().len(), 1);
    assert_eq!(design.dense().ncols(), 2);
    assert_eq!(design.to_dense(), fitted.transform_matrix(&table).unwrap());
}

#[test]
fn fitting_on_codes_gives_bit_identical_coefficients_to_the_dense_matrix() {
    let table = classification_table(ROWS, 12);
    let fitted = sparse_pipeline(LogisticRegression::default())
        .fit(&table, "label")
        .unwrap();
    let sparse = classifier(&fitted);
    // The same solver on the dense matrix of the same features.
    let dense = LogisticRegression::default()
        .fit(&dense_dataset(&fitted, &table))
        .unwrap();
    let dense: LinearClassifier = serde_json::from_value(serde_json::to_value(&dense).unwrap()).unwrap();
    assert_eq!(sparse.coef, dense.coef);
    assert_eq!(sparse.intercept, dense.intercept);
    assert!(sparse.converged.unwrap());
    // And predictions through the design equal the model on the dense matrix.
    let proba = fitted.predict_proba(&table).unwrap();
    let Predictions::Classes {
        proba: Some(want), ..
    } = fitted
        .model()
        .unwrap()
        .predict(fitted.transform_matrix(&table).unwrap().view())
        .unwrap()
    else {
        panic!("a classifier predicts classes")
    };
    assert_eq!(proba, want);
}

#[test]
fn the_fit_is_bit_identical_on_one_or_two_threads() {
    let table = classification_table(ROWS, 13);
    let fit_on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let fitted = sparse_pipeline(LogisticRegression::default())
                    .fit(&table, "label")
                    .unwrap();
                (classifier(&fitted), fitted.predict_proba(&table).unwrap())
            })
    };
    let (one, p1) = fit_on(1);
    let (two, p2) = fit_on(2);
    assert_eq!(one.coef, two.coef);
    assert_eq!(one.intercept, two.intercept);
    assert_eq!(p1, p2);
}

#[test]
fn integer_sample_weights_equal_repeated_rows() {
    let table = classification_table(3_000, 14);
    let weights: Vec<f64> = (0..table.num_rows()).map(|i| (i % 3) as f64).collect();
    let repeat: Vec<u32> = weights
        .iter()
        .enumerate()
        .flat_map(|(i, w)| std::iter::repeat_n(i as u32, *w as usize))
        .collect();
    let repeated =
        arrow::compute::take_record_batch(&table, &arrow::array::UInt32Array::from(repeat)).unwrap();
    let trainer = LogisticRegression {
        tol: 1e-10,
        max_iter: 500,
        ..LogisticRegression::default()
    };
    // Fit the trainer alone on the same (already transformed) features.
    let features = sparse_pipeline(trainer.clone()).fit(&table, "label").unwrap();
    let data = dense_dataset(&features, &table);
    let weighted = trainer
        .fit(&data.clone().with_weights(Array1::from(weights)).unwrap())
        .unwrap();
    let data_repeated = dense_dataset(&features, &repeated);
    let plain = trainer.fit(&data_repeated).unwrap();
    let a: LinearClassifier = serde_json::from_value(serde_json::to_value(&weighted).unwrap()).unwrap();
    let b: LinearClassifier = serde_json::from_value(serde_json::to_value(&plain).unwrap()).unwrap();
    for (x, y) in a
        .coef
        .iter()
        .chain(&a.intercept)
        .zip(b.coef.iter().chain(&b.intercept))
    {
        assert!((x - y).abs() < 1e-6, "{x} vs {y}");
    }
}

#[test]
fn our_lbfgs_reaches_the_optimum_linfa_finds() {
    // Without an intercept both minimise Σ loss + ‖w‖² / (2C) (ours divided by n).
    let table = classification_table(2_000, 15);
    let features = sparse_pipeline(LogisticRegression::default())
        .fit(&table, "label")
        .unwrap();
    let data = dense_dataset(&features, &table);
    let fit = |solver| {
        let model = LogisticRegression {
            fit_intercept: false,
            tol: 1e-10,
            max_iter: 1_000,
            solver,
            ..LogisticRegression::default()
        }
        .fit(&data)
        .unwrap();
        serde_json::from_value::<LinearClassifier>(serde_json::to_value(&model).unwrap()).unwrap()
    };
    let ours = fit(LogisticSolver::Lbfgs);
    let linfa = fit(LogisticSolver::Linfa);
    for (x, y) in ours.coef.iter().zip(&linfa.coef) {
        assert!((x - y).abs() < 1e-4, "{x} vs {y}");
    }
    // linfa has no sample weights; ours has.
    let weighted = data.with_weights(Array1::ones(2_000)).unwrap();
    let err = LogisticRegression {
        solver: LogisticSolver::Linfa,
        ..LogisticRegression::default()
    }
    .fit(&weighted)
    .unwrap_err();
    assert!(err.to_string().contains("sample weights"), "{err}");
}

#[test]
fn multinomial_on_codes_equals_dense() {
    let n = 9_000;
    let colors = ["red", "green", "blue", "grey"];
    let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0).collect();
    let color: Vec<&str> = (0..n).map(|i| colors[(i * 7 + i / 5) % 4]).collect();
    let label: Vec<&str> = (0..n)
        .map(|i| match ((x[i] + 1.0) * 1.5) as usize + (i % 4 == 0) as usize {
            0 => "low",
            1 => "mid",
            _ => "high",
        })
        .collect();
    let table = RecordBatch::try_from_iter([
        ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
        ("color", Arc::new(StringArray::from(color)) as ArrayRef),
        ("label", Arc::new(StringArray::from(label)) as ArrayRef),
    ])
    .unwrap();
    let fitted = Pipeline::new()
        .transform(OneHotEncoder::new(["color"]))
        .train(LogisticRegression::default())
        .fit(&table, "label")
        .unwrap();
    let model = classifier(&fitted);
    assert_eq!(model.coef.dim(), (3, 5));
    let data = dense_dataset(&fitted, &table);
    let dense = LogisticRegression::default().fit(&data).unwrap();
    let dense: LinearClassifier = serde_json::from_value(serde_json::to_value(&dense).unwrap()).unwrap();
    assert_eq!(model.coef, dense.coef);
    // A Design built by hand gives the same as the trainer's dense entry point.
    let via_design = LogisticRegression::default()
        .fit_design(DesignDataset {
            x: Design::from_dense(data.x.clone()),
            target: data.target.clone(),
            weights: None,
            feature_names: data.feature_names.clone(),
        })
        .unwrap();
    let via_design: LinearClassifier =
        serde_json::from_value(serde_json::to_value(&via_design).unwrap()).unwrap();
    assert_eq!(via_design.coef, dense.coef);
    let _: Array2<f64> = fitted.predict_proba(&table).unwrap();
}

#[test]
fn a_non_linear_model_after_one_hot_still_works_through_the_dense_fallback() {
    let table = classification_table(5_000, 16);
    let fitted = Pipeline::new()
        .transform(SimpleImputer::median(["b"]))
        .transform(OneHotEncoder::new(["city"]))
        .train(DecisionTree::default())
        .fit(&table, "label")
        .unwrap();
    let proba = fitted.predict_proba(&table).unwrap();
    let Predictions::Classes {
        proba: Some(want), ..
    } = fitted
        .model()
        .unwrap()
        .predict(fitted.transform_matrix(&table).unwrap().view())
        .unwrap()
    else {
        panic!("a classifier predicts classes")
    };
    assert_eq!(proba, want);
}

#[test]
fn a_cancelled_token_stops_the_fit_and_the_prediction() {
    use ferrops::cancel::{with_token, CancelToken};
    let table = classification_table(ROWS, 17);
    let fitted = sparse_pipeline(LogisticRegression::default())
        .fit(&table, "label")
        .unwrap();
    let token = CancelToken::new();
    token.cancel();
    let fit = with_token(&token, || {
        sparse_pipeline(LogisticRegression::default()).fit(&table, "label")
    });
    assert!(matches!(fit, Err(ferrops::Error::Cancelled)), "{fit:?}");
    let predicted = with_token(&token, || fitted.predict_proba(&table));
    assert!(matches!(predicted, Err(ferrops::Error::Cancelled)));
    // Cancelled from another thread while the fit runs: it stops with Cancelled.
    let table = classification_table(20 * ROWS, 18);
    let slow = LogisticRegression {
        tol: 1e-300,
        max_iter: 1_000_000,
        ..LogisticRegression::default()
    };
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(30));
            token.cancel();
        })
    };
    let fit = with_token(&token, || sparse_pipeline(slow).fit(&table, "label"));
    canceller.join().unwrap();
    assert!(matches!(fit, Err(ferrops::Error::Cancelled)), "{fit:?}");
    // Outside a token nothing changes.
    assert!(fitted.predict_proba(&table).is_ok());
}
