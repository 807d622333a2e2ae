//! Integration tests of `ferrops::drift::multivariate`: the PCA reconstruction error
//! against scikit-learn's `SimpleImputer` -> `StandardScaler` -> `PCA`, and the domain
//! classifier's cross-validated AUC against scikit-learn's `LogisticRegression` with the
//! same (unshuffled `StratifiedKFold`) folds; both from
//! `tests/fixtures/drift/multivariate/reference.json`, written by `make_reference.py`
//! there. Then behaviour (no drift / drift, determinism, sampling) and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::drift::multivariate::{
    Chunking, Components, DomainClassifier, FittedPcaReconstruction, PcaReconstruction,
};
use ferrops::train::{LogisticRegression, RandomForestClassifier};
use ferrops::Error;
use serde_json::Value;

fn reference() -> &'static Value {
    static REFERENCE: OnceLock<Value> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/drift/multivariate/reference.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["sklearn_version"].as_str().unwrap().starts_with("1."));
        doc
    })
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A table from `{"name": [values, null, ...]}` in the order of `names`: numbers as
/// Float64 (null kept), strings as Utf8.
fn table(v: &Value, names: &[String]) -> RecordBatch {
    let columns: Vec<(String, ArrayRef)> = names
        .iter()
        .map(|name| {
            let values = v[name].as_array().unwrap();
            let array: ArrayRef = if values.iter().any(Value::is_string) {
                Arc::new(values.iter().map(|x| x.as_str()).collect::<StringArray>())
            } else {
                Arc::new(values.iter().map(Value::as_f64).collect::<Float64Array>())
            };
            (name.clone(), array)
        })
        .collect();
    RecordBatch::try_from_iter(columns).unwrap()
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * (1.0 + want.abs()),
        "{what}: got {got}, scikit-learn {want}"
    );
}

fn close_all(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, tol, &format!("{what}[{i}]"));
    }
}

fn pca_params(case: &Value) -> PcaReconstruction {
    serde_json::from_value(case["params"].clone()).unwrap()
}

#[test]
fn pca_matches_scikit_learn() {
    for case in reference()["pca"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let cols = names(&case["params"]["columns"]);
        let fitted = pca_params(case).fit(&table(&case["reference"], &cols)).unwrap();
        close_all(
            &fitted.impute,
            &floats(&case["impute"]),
            1e-12,
            &format!("{name} impute"),
        );
        close_all(
            &fitted.scale_mean,
            &floats(&case["scale_mean"]),
            1e-12,
            &format!("{name} mean"),
        );
        close_all(
            &fitted.scale,
            &floats(&case["scale"]),
            1e-12,
            &format!("{name} scale"),
        );
        close_all(
            &fitted.explained_variance,
            &floats(&case["explained_variance"]),
            1e-10,
            &format!("{name} explained_variance"),
        );
        close_all(
            &fitted.explained_variance_ratio,
            &floats(&case["explained_variance_ratio"]),
            1e-10,
            &format!("{name} explained_variance_ratio"),
        );
        assert_eq!(
            fitted.n_components() as u64,
            case["n_components"].as_u64().unwrap(),
            "{name}"
        );
        // Components up to sign (the sign convention is scikit-learn's, but a sign is
        // arbitrary where two entries tie); the reconstruction below is sign-free.
        for (i, (row, want)) in fitted
            .components
            .rows()
            .into_iter()
            .zip(case["components"].as_array().unwrap())
            .enumerate()
        {
            let want = floats(want);
            let dot: f64 = row.iter().zip(&want).map(|(a, b)| a * b).sum();
            close(dot.abs(), 1.0, 1e-9, &format!("{name} component {i} alignment"));
        }
        close_all(
            &fitted.reference_chunk_errors,
            &floats(&case["reference_chunk_errors"]),
            1e-9,
            &format!("{name} reference chunk errors"),
        );
        close(
            fitted.reference_mean,
            case["reference_mean"].as_f64().unwrap(),
            1e-9,
            name,
        );
        close(
            fitted.reference_std,
            case["reference_std"].as_f64().unwrap(),
            1e-8,
            name,
        );
        close(fitted.lower, case["lower"].as_f64().unwrap(), 1e-8, name);
        close(fitted.upper, case["upper"].as_f64().unwrap(), 1e-8, name);
        let ref_rows = fitted.row_errors(&table(&case["reference"], &cols)).unwrap();
        close_all(
            &ref_rows,
            &floats(&case["reference_row_errors"]),
            1e-9,
            &format!("{name} ref rows"),
        );
        for current in case["currents"].as_array().unwrap() {
            let label = format!("{name}/{}", current["label"].as_str().unwrap());
            let t = table(&current["table"], &cols);
            close_all(
                &fitted.row_errors(&t).unwrap(),
                &floats(&current["row_errors"]),
                1e-9,
                &label,
            );
            let result = fitted.evaluate(&t).unwrap();
            close(result.error, current["error"].as_f64().unwrap(), 1e-9, &label);
            assert_eq!(result.drifted, current["drifted"].as_bool().unwrap(), "{label}");
            let chunks = current["chunks"].as_array().unwrap();
            assert_eq!(result.chunks.len(), chunks.len(), "{label}");
            for (got, want) in result.chunks.iter().zip(chunks) {
                assert_eq!(got.start as u64, want["start"].as_u64().unwrap());
                assert_eq!(got.end as u64, want["end"].as_u64().unwrap());
                close(got.error, want["error"].as_f64().unwrap(), 1e-9, &label);
                assert_eq!(got.drifted, got.error < result.lower || got.error > result.upper);
            }
        }
    }
}

#[test]
fn pca_verdicts_and_serde_round_trip() {
    let case = &reference()["pca"][0];
    let cols = names(&case["params"]["columns"]);
    let fitted = pca_params(case).fit(&table(&case["reference"], &cols)).unwrap();
    let same = table(&case["currents"][0]["table"], &cols);
    let flipped = table(&case["currents"][1]["table"], &cols);
    let r_same = fitted.evaluate(&same).unwrap();
    let r_flipped = fitted.evaluate(&flipped).unwrap();
    assert!(!r_same.drifted, "{r_same:?}");
    assert!(
        r_flipped.drifted && r_flipped.error > r_flipped.upper,
        "{r_flipped:?}"
    );
    assert!(r_flipped.chunks.iter().all(|c| c.drifted));
    assert_eq!(r_same.n_rows, 200);
    // Stored next to a model and loaded back: the same verdicts, bit for bit.
    let json = serde_json::to_string(&fitted).unwrap();
    let back: FittedPcaReconstruction = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fitted);
    assert_eq!(back.evaluate(&flipped).unwrap(), r_flipped);
    // Parameters from JSON, with defaults.
    let p: PcaReconstruction = serde_json::from_str(r#"{"components": {"count": 2}}"#).unwrap();
    assert_eq!(p.components, Components::Count(2));
    assert_eq!(p.chunking, Chunking::Number(10));
    assert_eq!(p.k, 3.0);
    assert!(serde_json::from_str::<PcaReconstruction>(r#"{"bogus": 1}"#).is_err());
}

#[test]
fn chunk_ranges() {
    let r = |c: Chunking, n| c.ranges(n);
    assert_eq!(r(Chunking::Number(3), 10), vec![0..4, 4..7, 7..10]);
    assert_eq!(r(Chunking::Number(5), 3), vec![0..1, 1..2, 2..3]);
    assert_eq!(r(Chunking::Size(4), 10), vec![0..4, 4..10]);
    assert_eq!(r(Chunking::Size(4), 7), std::iter::once(0..7).collect::<Vec<_>>());
    assert_eq!(r(Chunking::Size(5), 15), vec![0..5, 5..10, 10..15]);
    assert!(r(Chunking::Number(3), 0).is_empty());
}

fn xy(n: usize, f: impl Fn(usize) -> (f64, f64)) -> RecordBatch {
    let (x, y): (Vec<f64>, Vec<f64>) = (0..n).map(f).unzip();
    RecordBatch::try_from_iter([
        ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
        ("y", Arc::new(Float64Array::from(y)) as ArrayRef),
    ])
    .unwrap()
}

#[test]
fn pca_column_selection_and_types() {
    // Default columns: numeric and boolean, not strings; ints and bools accepted.
    let t = RecordBatch::try_from_iter([
        (
            "i",
            Arc::new(Int64Array::from((0..40).map(|i| i % 7).collect::<Vec<_>>())) as ArrayRef,
        ),
        (
            "f",
            Arc::new(Float64Array::from(
                (0..40)
                    .map(|i| (i % 7) as f64 * 2.0 + (i % 3) as f64)
                    .collect::<Vec<_>>(),
            )) as _,
        ),
        (
            "b",
            Arc::new(BooleanArray::from(
                (0..40).map(|i| i % 2 == 0).collect::<Vec<_>>(),
            )) as _,
        ),
        (
            "s",
            Arc::new(StringArray::from(
                (0..40).map(|i| format!("v{}", i % 3)).collect::<Vec<_>>(),
            )) as _,
        ),
    ])
    .unwrap();
    let fitted = PcaReconstruction {
        chunking: Chunking::Number(4),
        ..Default::default()
    }
    .fit(&t)
    .unwrap();
    assert_eq!(fitted.columns, vec!["i", "f", "b"]);
    // A string column named explicitly is a type error; a missing one is named.
    let err = PcaReconstruction {
        columns: vec!["i".into(), "s".into()],
        ..Default::default()
    }
    .fit(&t)
    .unwrap_err();
    assert!(
        matches!(err, Error::ColumnType { ref column, .. } if column == "s"),
        "{err}"
    );
    let err = PcaReconstruction {
        columns: vec!["nope".into()],
        ..Default::default()
    }
    .fit(&t)
    .unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
    // A current table without a fitted column, or with it as a string.
    let err = fitted.evaluate(&t.project(&[0, 1]).unwrap()).unwrap_err();
    assert!(
        matches!(err, Error::ColumnNotFound { ref column, .. } if column == "b"),
        "{err}"
    );
}

#[test]
fn pca_errors() {
    let t = xy(100, |i| ((i % 10) as f64, (i % 10) as f64 + (i % 3) as f64));
    let fit = |p: PcaReconstruction, t: &RecordBatch| p.fit(t).unwrap_err();
    let bad =
        |e: &Error, name: &str| matches!(e, Error::InvalidParameter { name: n, .. } if n.starts_with(name));
    // Keeping every component (2 of 2): no signal.
    let e = fit(
        PcaReconstruction {
            components: Components::Count(2),
            ..Default::default()
        },
        &t,
    );
    assert!(bad(&e, "components"), "{e}");
    let e = fit(
        PcaReconstruction {
            components: Components::Variance(0.999),
            ..Default::default()
        },
        &t,
    );
    assert!(bad(&e, "components"), "{e}");
    for v in [0.0, 1.0, -0.5, f64::NAN] {
        let e = fit(
            PcaReconstruction {
                components: Components::Variance(v),
                ..Default::default()
            },
            &t,
        );
        assert!(bad(&e, "components.variance"), "{e}");
    }
    let e = fit(
        PcaReconstruction {
            components: Components::Count(0),
            ..Default::default()
        },
        &t,
    );
    assert!(bad(&e, "components.count"), "{e}");
    let e = fit(
        PcaReconstruction {
            k: -1.0,
            ..Default::default()
        },
        &t,
    );
    assert!(bad(&e, "k"), "{e}");
    // One chunk is no band.
    let e = fit(
        PcaReconstruction {
            chunking: Chunking::Size(60),
            ..Default::default()
        },
        &t,
    );
    assert!(bad(&e, "chunking"), "{e}");
    let e = fit(
        PcaReconstruction {
            chunking: Chunking::Number(0),
            ..Default::default()
        },
        &t,
    );
    assert!(bad(&e, "chunking"), "{e}");
    // Empty and one-row tables.
    let e = fit(PcaReconstruction::default(), &xy(0, |_| (0.0, 0.0)));
    assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
    let e = fit(PcaReconstruction::default(), &xy(1, |_| (0.0, 0.0)));
    assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
    // An all-NaN column, an all-null column, an infinite value.
    let e = fit(PcaReconstruction::default(), &xy(100, |i| (i as f64, f64::NAN)));
    assert!(matches!(e, Error::InvalidData(ref m) if m.contains("`y`")), "{e}");
    let nulls = RecordBatch::try_from_iter([
        (
            "x",
            Arc::new(Float64Array::from((0..50).map(|i| i as f64).collect::<Vec<_>>())) as ArrayRef,
        ),
        ("y", Arc::new(Float64Array::from(vec![None::<f64>; 50])) as _),
    ])
    .unwrap();
    let e = fit(PcaReconstruction::default(), &nulls);
    assert!(matches!(e, Error::InvalidData(ref m) if m.contains("`y`")), "{e}");
    let e = fit(
        PcaReconstruction::default(),
        &xy(100, |i| (i as f64, if i == 7 { f64::INFINITY } else { 1.0 })),
    );
    assert!(matches!(e, Error::InvalidValue { row: 7, .. }), "{e}");
    // A table with no numeric column.
    let s =
        RecordBatch::try_from_iter([("s", Arc::new(StringArray::from(vec!["a"; 30])) as ArrayRef)]).unwrap();
    let e = fit(PcaReconstruction::default(), &s);
    assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
    // An empty current table.
    let three = RecordBatch::try_from_iter([
        (
            "a",
            Arc::new(Float64Array::from(
                (0..60).map(|i| (i % 7) as f64).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "b",
            Arc::new(Float64Array::from(
                (0..60).map(|i| (i % 5) as f64).collect::<Vec<_>>(),
            )) as _,
        ),
        (
            "c",
            Arc::new(Float64Array::from(
                (0..60).map(|i| (i % 11) as f64).collect::<Vec<_>>(),
            )) as _,
        ),
    ])
    .unwrap();
    let fitted = PcaReconstruction {
        components: Components::Count(1),
        ..Default::default()
    }
    .fit(&three)
    .unwrap();
    let e = fitted.evaluate(&three.slice(0, 0)).unwrap_err();
    assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
    // Missing values in the current table are imputed with the reference means.
    let with_null = RecordBatch::try_from_iter([
        (
            "a",
            Arc::new(Float64Array::from(vec![None, Some(1.0)])) as ArrayRef,
        ),
        (
            "b",
            Arc::new(Float64Array::from(vec![Some(2.0), Some(f64::NAN)])) as _,
        ),
        ("c", Arc::new(Float64Array::from(vec![Some(3.0), Some(4.0)])) as _),
    ])
    .unwrap();
    let r = fitted.evaluate(&with_null).unwrap();
    assert!(r.error.is_finite() && r.chunks.len() == 2);
}

fn domain_case(case: &Value) -> (RecordBatch, RecordBatch, Vec<String>) {
    let cols = names(&case["columns"]);
    (
        table(&case["reference"], &cols),
        table(&case["current"], &cols),
        cols,
    )
}

fn logistic() -> DomainClassifier {
    DomainClassifier {
        classifier: Box::new(LogisticRegression {
            c: 1.0,
            tol: 1e-10,
            max_iter: 10_000,
            ..Default::default()
        }),
        shuffle: false,
        max_rows_per_side: None,
        max_imbalance: None,
        ..Default::default()
    }
}

#[test]
fn domain_classifier_matches_scikit_learn_logistic_regression() {
    for case in reference()["domain"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (r, c, _) = domain_case(case);
        let result = logistic().run(&r, &c).unwrap();
        assert_eq!(
            result.features.len() as u64,
            case["n_features"].as_u64().unwrap(),
            "{name}"
        );
        close(result.auc, case["auc"].as_f64().unwrap(), 1e-9, name);
        close_all(&result.fold_aucs, &floats(&case["fold_aucs"]), 1e-9, name);
        assert_eq!((result.n_reference, result.n_current), (150, 120));
        assert_eq!(result.drifted, result.auc >= 0.55);
        assert_eq!(result.features[..4], ["a", "b", "c", "c__missing"], "{name}");
        assert!(
            result.features[4..].iter().all(|f| f.starts_with("color=")),
            "{name}: {:?}",
            result.features
        );
        assert!(result.features.contains(&"color=<null>".to_string()), "{name}");
    }
}

fn gaussian_table(n: usize, seed: u64, shift: f64, flip: bool) -> RecordBatch {
    // Box-Muller on a SplitMix-style hash: deterministic normal draws.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut unit = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut normal = move || {
        let (u, v) = (unit().max(1e-300), unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let (mut x, mut y, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let a = normal() + shift;
        let b = if flip { -a } else { a } + 0.3 * normal();
        x.push(a);
        y.push(b);
        s.push(["p", "q", "r"][i % 3]);
    }
    RecordBatch::try_from_iter([
        ("x", Arc::new(Float64Array::from(x)) as ArrayRef),
        ("y", Arc::new(Float64Array::from(y)) as _),
        ("s", Arc::new(StringArray::from(s)) as _),
    ])
    .unwrap()
}

fn forest() -> DomainClassifier {
    DomainClassifier {
        classifier: Box::new(RandomForestClassifier {
            n_estimators: 30,
            seed: 7,
            ..Default::default()
        }),
        seed: 3,
        ..Default::default()
    }
}

#[test]
fn domain_classifier_no_drift_shift_and_correlation_flip() {
    let reference = gaussian_table(400, 1, 0.0, false);
    let same = forest()
        .run(&reference, &gaussian_table(400, 2, 0.0, false))
        .unwrap();
    assert!((same.auc - 0.5).abs() < 0.07, "{same:?}");
    assert!(same.null_std > 0.0 && same.null_std < 0.03);
    let shifted = forest()
        .run(&reference, &gaussian_table(400, 3, 3.0, false))
        .unwrap();
    assert!(shifted.auc > 0.9 && shifted.drifted, "{shifted:?}");
    // Same marginals, flipped correlation: the forest sees it.
    let flipped = forest()
        .run(&reference, &gaussian_table(400, 4, 0.0, true))
        .unwrap();
    assert!(flipped.auc > 0.8 && flipped.drifted, "{flipped:?}");
    assert_eq!(flipped.columns, vec!["x", "y", "s"]);
    assert_eq!(flipped.features, vec!["x", "y", "s=p", "s=q", "s=r"]);
    // Deterministic given the seeds; another fold seed gives another (close) AUC.
    let again = forest()
        .run(&reference, &gaussian_table(400, 3, 3.0, false))
        .unwrap();
    assert_eq!(again, shifted);
    let other = DomainClassifier { seed: 99, ..forest() }
        .run(&reference, &gaussian_table(400, 2, 0.0, false))
        .unwrap();
    assert!((other.auc - 0.5).abs() < 0.07);
    // Serializable parameters (the classifier by its tag).
    let json = serde_json::to_string(&forest()).unwrap();
    let back: DomainClassifier = serde_json::from_str(&json).unwrap();
    assert_eq!(
        back.run(&reference, &gaussian_table(400, 3, 3.0, false)).unwrap(),
        shifted
    );
}

#[test]
fn domain_classifier_sampling_caps() {
    let reference = gaussian_table(900, 5, 0.0, false);
    let current = gaussian_table(100, 6, 0.0, false);
    let r = forest().run(&reference, &current).unwrap();
    assert_eq!((r.n_reference, r.n_current), (300, 100));
    assert_eq!((r.n_reference_total, r.n_current_total), (900, 100));
    let capped = DomainClassifier {
        max_rows_per_side: Some(50),
        ..forest()
    }
    .run(&reference, &current)
    .unwrap();
    assert_eq!((capped.n_reference, capped.n_current), (50, 50));
    let uncapped = DomainClassifier {
        max_imbalance: None,
        max_rows_per_side: None,
        ..forest()
    }
    .run(&reference, &current)
    .unwrap();
    assert_eq!((uncapped.n_reference, uncapped.n_current), (900, 100));
}

#[test]
fn domain_classifier_errors() {
    let t = gaussian_table(50, 1, 0.0, false);
    let run = |d: DomainClassifier, a: &RecordBatch, b: &RecordBatch| d.run(a, b).unwrap_err();
    let param = |e: &Error, name: &str| matches!(e, Error::InvalidParameter { name: n, .. } if n == name);
    // Fewer rows than folds on one side; empty tables.
    let e = run(forest(), &t, &t.slice(0, 4));
    assert!(
        matches!(e, Error::EmptyInput { ref context } if context.contains("current")),
        "{e}"
    );
    let e = run(forest(), &t.slice(0, 0), &t);
    assert!(
        matches!(e, Error::EmptyInput { ref context } if context.contains("reference")),
        "{e}"
    );
    // Parameters.
    assert!(param(
        &run(
            DomainClassifier {
                threshold: 0.5,
                ..forest()
            },
            &t,
            &t
        ),
        "threshold"
    ));
    assert!(param(
        &run(
            DomainClassifier {
                n_splits: 1,
                ..forest()
            },
            &t,
            &t
        ),
        "n_splits"
    ));
    assert!(param(
        &run(
            DomainClassifier {
                max_imbalance: Some(0.5),
                ..forest()
            },
            &t,
            &t
        ),
        "max_imbalance"
    ));
    assert!(param(
        &run(
            DomainClassifier {
                max_rows_per_side: Some(2),
                ..forest()
            },
            &t,
            &t
        ),
        "max_rows_per_side"
    ));
    assert!(param(
        &run(
            DomainClassifier {
                max_categories: 0,
                ..forest()
            },
            &t,
            &t
        ),
        "max_categories"
    ));
    let regressor = DomainClassifier {
        classifier: Box::new(ferrops::train::Ridge::default()),
        ..forest()
    };
    assert!(param(&run(regressor, &t, &t), "classifier"));
    // Missing column in the current table; mismatched kinds.
    let e = run(forest(), &t, &t.project(&[0, 2]).unwrap());
    assert!(
        matches!(e, Error::ColumnNotFound { ref column, .. } if column == "y"),
        "{e}"
    );
    let swapped = RecordBatch::try_from_iter([
        ("x", t.column(2).clone()),
        ("y", t.column(1).clone()),
        ("s", t.column(0).clone()),
    ])
    .unwrap();
    let e = run(forest(), &t, &swapped);
    assert!(matches!(e, Error::ColumnType { .. }), "{e}");
    let e = run(
        DomainClassifier {
            columns: vec!["zzz".into()],
            ..forest()
        },
        &t,
        &t,
    );
    assert!(matches!(e, Error::ColumnNotFound { .. }), "{e}");
    // All-NaN numeric column; an infinite value (named with its table and row).
    let nan =
        RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(vec![f64::NAN; 20])) as ArrayRef)])
            .unwrap();
    let e = run(forest(), &nan, &nan);
    assert!(matches!(e, Error::InvalidData(ref m) if m.contains("`x`")), "{e}");
    let mut v = vec![1.0; 20];
    v[13] = f64::NEG_INFINITY;
    let inf = RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(v)) as ArrayRef)]).unwrap();
    let e = run(forest(), &nan.slice(0, 10), &inf);
    assert!(
        matches!(e, Error::InvalidValue { row: 13, ref hint, .. } if hint.contains("current")),
        "{e}"
    );
}
