//! Integration tests of `ferrops::validate::gate`: every TFMA threshold rule (TFMA
//! `config.proto` and `evaluators/metrics_validator.py`, see the module docs), slices,
//! JSON, and the metrics computed per slice against scikit-learn on each pandas
//! `groupby` group (`tests/fixtures/gate/reference.json`, written by
//! `make_reference.py` there).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use ferrops::prelude::*;
use ferrops::validate::gate::{
    compute_metrics, evaluate_outcomes, evaluate_pipeline, CheckKind, CheckResult, Direction, Gate,
    GateReport, MetricSet, Outcome, Outcomes, SliceMetrics, SlicedMetrics, Threshold,
};
use ferrops::validate::metrics;
use ndarray::Array2;
use serde_json::Value;

fn set(pairs: &[(&str, f64)]) -> MetricSet {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

fn gate(thresholds: Vec<Threshold>) -> Gate {
    Gate::new(thresholds).unwrap()
}

fn only(report: &GateReport, kind: CheckKind) -> &CheckResult {
    let found: Vec<_> = report.checks.iter().filter(|c| c.kind == kind).collect();
    assert_eq!(found.len(), 1, "{report}");
    found[0]
}

/// Outcome of the single change check of a one-threshold gate.
fn change(t: Threshold, candidate: f64, baseline: f64) -> (Outcome, String) {
    let metric = t.metric.clone();
    let r = gate(vec![t])
        .evaluate(&set(&[(&metric, candidate)]), Some(&set(&[(&metric, baseline)])))
        .unwrap();
    let c = only(&r, CheckKind::Change);
    assert_eq!(r.passed, c.outcome == Outcome::Passed);
    (c.outcome, c.reason.clone())
}

fn value(t: Threshold, candidate: f64) -> Outcome {
    let metric = t.metric.clone();
    let r = gate(vec![t])
        .evaluate(&set(&[(&metric, candidate)]), None)
        .unwrap();
    only(&r, CheckKind::Value).outcome
}

// Values below are dyadic fractions, so differences are exact and "at the bound" is
// really at the bound.

#[test]
fn value_bounds_are_inclusive() {
    let t = || Threshold::new("accuracy").lower(0.75).upper(0.875);
    assert_eq!(value(t(), 0.75), Outcome::Passed);
    assert_eq!(value(t(), 0.875), Outcome::Passed);
    assert_eq!(value(t(), 0.8), Outcome::Passed);
    assert_eq!(value(t(), 0.7499), Outcome::Failed);
    assert_eq!(value(t(), 0.8751), Outcome::Failed);
    // One bound only: the other is infinite.
    assert_eq!(
        value(Threshold::new("my_score").lower(-3.0), 1e300),
        Outcome::Passed
    );
    assert_eq!(
        value(Threshold::new("my_score").upper(2.0), -1e300),
        Outcome::Passed
    );
    let r = gate(vec![t()])
        .evaluate(&set(&[("accuracy", 0.5)]), None)
        .unwrap();
    assert!(!r.passed);
    let c = &r.checks[0];
    assert_eq!(c.candidate, Some(0.5));
    assert!(c.reason.contains("below the lower bound 0.75"), "{}", c.reason);
    assert_eq!(c.threshold, "0.75 <= value <= 0.875");
}

#[test]
fn change_absolute_higher_is_better() {
    // diff = candidate - baseline must be >= absolute (inclusive).
    let t = || Threshold::new("roc_auc").change_absolute(0.25);
    assert_eq!(change(t(), 0.75, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.875, 0.5).0, Outcome::Passed);
    let (outcome, reason) = change(t(), 0.74, 0.5);
    assert_eq!(outcome, Outcome::Failed);
    assert!(
        reason.contains("diff 0.24 (= 0.74 - 0.5) is not >= 0.25"),
        "{reason}"
    );
    let r = gate(vec![t()])
        .evaluate(&set(&[("roc_auc", 0.74)]), Some(&set(&[("roc_auc", 0.5)])))
        .unwrap();
    assert_eq!(r.checks[0].threshold, "diff >= 0.25 (higher is better)");
}

#[test]
fn negative_slack_allows_a_bounded_regression() {
    // TFMA config.proto "Limit Regression": HIGHER_IS_BETTER with a negative absolute.
    let t = || Threshold::new("accuracy").change_absolute(-0.125);
    assert_eq!(change(t(), 0.375, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.5, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.37, 0.5).0, Outcome::Failed);
    // LOWER_IS_BETTER with a positive absolute: the loss may grow by at most 0.125.
    let t = || Threshold::new("log_loss").change_absolute(0.125);
    assert_eq!(change(t(), 0.625, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.25, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.63, 0.5).0, Outcome::Failed);
}

#[test]
fn change_absolute_lower_is_better_requires_improvement_when_negative() {
    let t = || Threshold::new("mae").change_absolute(-0.125);
    assert_eq!(change(t(), 0.375, 0.5).0, Outcome::Passed);
    let (outcome, reason) = change(t(), 0.4, 0.5);
    assert_eq!(outcome, Outcome::Failed);
    assert!(reason.contains("is not <= -0.125"), "{reason}");
}

#[test]
fn change_relative_both_directions() {
    // relative = diff / |baseline|.
    let t = || Threshold::new("f1").change_relative(0.5);
    assert_eq!(change(t(), 0.75, 0.5).0, Outcome::Passed); // 0.25 / 0.5 = 0.5
    assert_eq!(change(t(), 0.74, 0.5).0, Outcome::Failed);
    let t = || Threshold::new("rmse").change_relative(-0.25); // at least 25 % lower
    assert_eq!(change(t(), 0.375, 0.5).0, Outcome::Passed);
    let (outcome, reason) = change(t(), 0.4, 0.5);
    assert_eq!(outcome, Outcome::Failed);
    assert!(reason.contains("relative change"), "{reason}");
    // Relative slack: up to 10 % worse.
    let t = || Threshold::new("rmse").change_relative(0.25);
    assert_eq!(change(t(), 0.625, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.63, 0.5).0, Outcome::Failed);
}

#[test]
fn absolute_and_relative_must_both_pass() {
    let t = || {
        Threshold::new("accuracy")
            .change_absolute(-0.25)
            .change_relative(-0.125)
    };
    // diff -0.125 passes absolute; relative -0.25 fails.
    let (outcome, reason) = change(t(), 0.375, 0.5);
    assert_eq!(outcome, Outcome::Failed);
    assert!(
        reason.contains("relative") && !reason.contains("diff -0.125 (="),
        "{reason}"
    );
    // diff -0.0625, relative -0.125: both pass.
    assert_eq!(change(t(), 0.4375, 0.5).0, Outcome::Passed);
    let r = gate(vec![t()])
        .evaluate(&set(&[("accuracy", 0.4375)]), Some(&set(&[("accuracy", 0.5)])))
        .unwrap();
    let c = only(&r, CheckKind::Change);
    assert_eq!(
        (c.candidate, c.baseline, c.diff, c.relative),
        (Some(0.4375), Some(0.5), Some(-0.0625), Some(-0.125))
    );
}

#[test]
fn zero_baseline_fails_relative_only() {
    let (outcome, reason) = change(Threshold::new("r2").change_relative(0.0), 0.5, 0.0);
    assert_eq!(outcome, Outcome::Failed);
    assert!(
        reason.contains("undefined") && reason.contains("is 0"),
        "{reason}"
    );
    // An absolute threshold alone is unaffected by a zero baseline (TFMA would fail it).
    assert_eq!(
        change(Threshold::new("r2").change_absolute(0.0), 0.5, 0.0).0,
        Outcome::Passed
    );
}

#[test]
fn negative_baseline_relative_uses_its_magnitude() {
    // r2 from -0.5 to -0.25 is an improvement: relative +0.5 (TFMA's diff / baseline: -0.5).
    assert_eq!(
        change(Threshold::new("r2").change_relative(0.5), -0.25, -0.5).0,
        Outcome::Passed
    );
    assert_eq!(
        change(Threshold::new("r2").change_relative(0.0), -0.75, -0.5).0,
        Outcome::Failed
    );
}

#[test]
fn explicit_direction_overrides_the_default() {
    // "Limit suspicious improvement": AUC may rise by at most 0.125.
    let t = || {
        Threshold::new("roc_auc")
            .change_absolute(0.125)
            .direction(Direction::LowerIsBetter)
    };
    assert_eq!(change(t(), 0.625, 0.5).0, Outcome::Passed);
    assert_eq!(change(t(), 0.75, 0.5).0, Outcome::Failed);
    // An unknown metric works with an explicit direction.
    let t = Threshold::new("revenue")
        .change_absolute(0.0)
        .direction(Direction::HigherIsBetter);
    assert_eq!(change(t, 2.0, 1.0).0, Outcome::Passed);
}

#[test]
fn missing_and_nan_metrics_fail() {
    let g = gate(vec![Threshold::new("roc_auc").lower(0.5).change_absolute(-0.5)]);
    // Present in the baseline, missing from the candidate.
    let r = g
        .evaluate(&set(&[("accuracy", 0.9)]), Some(&set(&[("roc_auc", 0.8)])))
        .unwrap();
    assert!(!r.passed);
    assert_eq!(r.failures().count(), 2);
    assert!(
        r.checks.iter().all(|c| c.reason.contains("metric not found")),
        "{r}"
    );
    // Missing from the baseline.
    let r = g.evaluate(&set(&[("roc_auc", 0.8)]), Some(&set(&[]))).unwrap();
    assert!(!r.passed);
    let c = only(&r, CheckKind::Change);
    assert!(
        c.reason.contains("baseline's metrics have no `roc_auc`"),
        "{}",
        c.reason
    );
    assert_eq!(only(&r, CheckKind::Value).outcome, Outcome::Passed);
    // NaN candidate, NaN baseline.
    let r = g
        .evaluate(&set(&[("roc_auc", f64::NAN)]), Some(&set(&[("roc_auc", 0.8)])))
        .unwrap();
    assert!(!r.passed);
    assert!(r
        .checks
        .iter()
        .all(|c| c.outcome == Outcome::Failed && c.reason.contains("NaN")));
    let r = g
        .evaluate(&set(&[("roc_auc", 0.8)]), Some(&set(&[("roc_auc", f64::NAN)])))
        .unwrap();
    assert!(only(&r, CheckKind::Change)
        .reason
        .contains("baseline's roc_auc is NaN"));
}

#[test]
fn no_champion_skips_change_checks_and_says_so() {
    let g = gate(vec![
        Threshold::new("roc_auc").lower(0.75).change_absolute(0.0),
        Threshold::new("log_loss").change_relative(0.0),
    ]);
    let r = g
        .evaluate(&set(&[("roc_auc", 0.8), ("log_loss", 0.3)]), None)
        .unwrap();
    assert!(r.passed, "{r}");
    let skipped: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Skipped)
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped
        .iter()
        .all(|c| c.kind == CheckKind::Change && c.reason.contains("no baseline")));
    assert!(
        r.notes.iter().any(|n| n.contains("2 change check(s) skipped")),
        "{:?}",
        r.notes
    );
    // Value thresholds still apply.
    let r = g
        .evaluate(&set(&[("roc_auc", 0.7), ("log_loss", 0.3)]), None)
        .unwrap();
    assert!(!r.passed);
    // Only change thresholds and no champion: passes, and says nothing was verified.
    let r = gate(vec![Threshold::new("log_loss").change_relative(0.0)])
        .evaluate(&set(&[("log_loss", 0.3)]), None)
        .unwrap();
    assert!(r.passed);
    assert!(r.notes.iter().any(|n| n.contains("nothing was verified")));
}

#[test]
fn invalid_gates_are_errors() {
    let param = |r: ferrops::Result<Gate>, needle: &str| match r {
        Err(Error::InvalidParameter { reason, .. }) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("expected InvalidParameter ({needle}), got {other:?}"),
    };
    param(Gate::new(Vec::new()), "at least one threshold");
    param(
        Gate::new([Threshold::new("accuracy")]),
        "neither a value nor a change",
    );
    param(
        Gate::new([Threshold::new("accuracy").lower(0.9).upper(0.8)]),
        "must not exceed",
    );
    param(Gate::new([Threshold::new("accuracy").lower(f64::NAN)]), "finite");
    param(
        Gate::new([Threshold::new("accuracy").change_absolute(f64::INFINITY)]),
        "finite",
    );
    param(
        Gate::new([Threshold::new("accuracy").direction(Direction::HigherIsBetter)]),
        "absolute or a relative",
    );
    param(
        Gate::new([Threshold::new("revenue").change_absolute(0.0)]),
        "higher_is_better or lower_is_better",
    );
    param(
        Gate::new([Threshold::new("accuracy").lower(0.5).slices(["=FR"])]),
        "column name is empty",
    );
    param(Gate::new([Threshold::new("").lower(0.5)]), "name the metric");
    // Negative relative thresholds are valid (a bounded relative regression).
    assert!(Gate::new([Threshold::new("accuracy").change_relative(-0.5)]).is_ok());
    // The error names the offending threshold.
    let err = Gate::new([
        Threshold::new("a").lower(1.0),
        Threshold::new("b").lower(2.0).upper(1.0),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("thresholds[1].value"), "{err}");
}

#[test]
fn json_round_trip() {
    let g = gate(vec![
        Threshold::new("roc_auc").lower(0.8).change_absolute(-0.01),
        Threshold::new("log_loss")
            .upper(0.5)
            .change_relative(0.1)
            .slices(["overall", "country"]),
        Threshold::new("revenue")
            .change_absolute(0.0)
            .direction(Direction::HigherIsBetter),
    ]);
    let json = g.to_json().unwrap();
    let back = Gate::from_json(&json).unwrap();
    assert_eq!(back, g);
    // Resolved directions are written out.
    assert!(json.contains("\"lower_is_better\""), "{json}");
    let g2: Gate = serde_json::from_str(
        r#"{"thresholds": [{"metric": "auc_pr", "value": {"lower": 0.3}, "slices": ["country=FR"]}]}"#,
    )
    .unwrap();
    assert_eq!(g2.thresholds()[0].slices, vec!["country=FR".to_string()]);
    // Deserializing validates.
    assert!(matches!(
        Gate::from_json(r#"{"thresholds": []}"#),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(
        Gate::from_json(r#"{"thresholds": [{"metric": "x", "value": {"lower": 2, "upper": 1}}]}"#).is_err()
    );
    assert!(Gate::from_json(r#"{"thresholds": [{"metric": "x", "value": {"lowr": 2}}]}"#).is_err());
    // Metric sets: null reads as NaN.
    let m: MetricSet = serde_json::from_str(r#"{"a": 0.5, "b": null}"#).unwrap();
    assert!(m.get("b").unwrap().is_nan());
}

fn sliced(overall: &[(&str, f64)], slices: &[(&str, SliceMetrics)]) -> SlicedMetrics {
    SlicedMetrics {
        overall: set(overall).into(),
        slices: slices.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
    }
}

#[test]
fn one_failing_slice_fails_the_gate_and_is_named() {
    let g = gate(vec![
        Threshold::new("roc_auc").lower(0.8),
        Threshold::new("roc_auc").lower(0.7).slices(["country"]),
    ]);
    let candidate = sliced(
        &[("roc_auc", 0.85)],
        &[
            ("country=DE", set(&[("roc_auc", 0.9)]).into()),
            ("country=FR", set(&[("roc_auc", 0.65)]).into()),
            ("device=mobile", set(&[("roc_auc", 0.1)]).into()),
        ],
    );
    let r = g.evaluate_sliced(&candidate, None).unwrap();
    assert!(!r.passed);
    let slices: Vec<_> = r.checks.iter().map(|c| c.slice.as_str()).collect();
    assert_eq!(slices, ["overall", "country=DE", "country=FR"]);
    let failed: Vec<_> = r.failures().map(|c| c.slice.as_str()).collect();
    assert_eq!(failed, ["country=FR"]);
    assert!(r.to_string().contains("[FAIL] country=FR roc_auc"), "{r}");
}

#[test]
fn slice_specs_and_skipped_slices() {
    let small = SliceMetrics {
        rows: Some(3),
        skipped: Some("3 row(s), fewer than min_slice_size = 10".into()),
        ..Default::default()
    };
    let undefined = SliceMetrics {
        rows: Some(20),
        metrics: set(&[("accuracy", 1.0)]),
        undefined: [("roc_auc".to_string(), "only one class present".to_string())].into(),
        skipped: None,
    };
    let candidate = sliced(
        &[("roc_auc", 0.85)],
        &[
            ("country=FR", set(&[("roc_auc", 0.9)]).into()),
            ("country=LU", small.clone()),
            ("country=MT", undefined),
        ],
    );
    // A named slice.
    let r = gate(vec![Threshold::new("roc_auc").lower(0.8).slices(["country=FR"])])
        .evaluate_sliced(&candidate, None)
        .unwrap();
    assert!(r.passed);
    assert_eq!(r.checks.len(), 1);
    // A slice too small is skipped, not failed; an undefined metric fails with its reason.
    let r = gate(vec![Threshold::new("roc_auc").lower(0.8).slices(["country"])])
        .evaluate_sliced(&candidate, None)
        .unwrap();
    let lu = r.checks.iter().find(|c| c.slice == "country=LU").unwrap();
    assert_eq!(lu.outcome, Outcome::Skipped);
    assert!(lu.reason.contains("min_slice_size"));
    let mt = r.checks.iter().find(|c| c.slice == "country=MT").unwrap();
    assert_eq!(mt.outcome, Outcome::Failed);
    assert!(mt.reason.contains("only one class present"), "{}", mt.reason);
    assert!(r.notes.iter().any(|n| n.contains("country=LU")));
    // A spec that matches no slice fails.
    let r = gate(vec![Threshold::new("roc_auc")
        .lower(0.8)
        .slices(["device", "country=XX"])])
    .evaluate_sliced(&candidate, None)
    .unwrap();
    assert!(!r.passed);
    assert_eq!(r.failures().count(), 2);
    assert!(r.checks[0].reason.contains("no slice of column `device`"));
    assert!(r.checks[1]
        .reason
        .contains("`country=XX` is not in the candidate"));
    // Overall and a column: each slice once, even when two specs name it.
    let r = gate(vec![Threshold::new("roc_auc").lower(0.5).slices([
        "overall",
        "country=FR",
        "country",
    ])])
    .evaluate_sliced(&candidate, None)
    .unwrap();
    let keys: Vec<_> = r.checks.iter().map(|c| c.slice.as_str()).collect();
    assert_eq!(keys, ["overall", "country=FR", "country=LU", "country=MT"]);
    // Per-slice change checks compare with the baseline's same slice.
    let baseline = sliced(
        &[("roc_auc", 0.8)],
        &[("country=DE", set(&[("roc_auc", 0.9)]).into())],
    );
    let r = gate(vec![Threshold::new("roc_auc")
        .change_absolute(0.0)
        .slices(["country=FR"])])
    .evaluate_sliced(&candidate, Some(&baseline))
    .unwrap();
    assert!(!r.passed);
    assert!(r.checks[0]
        .reason
        .contains("baseline's metrics have no slice `country=FR`"));
}

fn reference() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/gate/reference.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(doc["sklearn"].as_str().unwrap().starts_with("1.9"));
    doc
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn per_slice_metrics_equal_scikit_learn_on_groupby() {
    let doc = reference();
    let codes = |key: &str| -> Vec<usize> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    let p1 = floats(&doc["p1"]);
    let proba = Array2::from_shape_fn((p1.len(), 2), |(i, j)| if j == 1 { p1[i] } else { 1.0 - p1[i] });
    let country: Vec<String> = doc["country"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().into())
        .collect();
    let slice_by = vec![(
        "country".to_string(),
        Arc::new(StringArray::from(country)) as ArrayRef,
    )];
    let classes = Outcomes::Classes {
        y_true: codes("y_true"),
        y_pred: codes("y_pred"),
        proba: Some(proba),
        n_classes: 2,
    };
    let class_metrics = [
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "f1_macro",
        "roc_auc",
        "log_loss",
        "brier_score",
        "example_count",
    ];
    let got = evaluate_outcomes(&classes, &slice_by, &class_metrics, 1).unwrap();
    let values = Outcomes::Values {
        y_true: floats(&doc["v_true"]),
        y_pred: floats(&doc["v_pred"]),
    };
    let got_reg = evaluate_outcomes(&values, &slice_by, &["mae", "rmse", "r2"], 1).unwrap();
    let expected = doc["expected"].as_object().unwrap();
    assert_eq!(
        got.slices.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    let mut compared = 0;
    for (key, want) in expected {
        let slice = &got.slices[key];
        assert_eq!(slice.rows, Some(want["rows"].as_u64().unwrap() as usize));
        assert_eq!(slice.metrics.get("example_count"), slice.rows.map(|r| r as f64));
        for (metric, value) in want.as_object().unwrap() {
            if metric == "rows" {
                continue;
            }
            let want = value.as_f64().unwrap();
            let have = slice
                .metrics
                .get(metric)
                .or_else(|| got_reg.slices[key].metrics.get(metric))
                .unwrap();
            assert!(close(have, want), "{key} {metric}: {have} vs scikit-learn {want}");
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * 12);
    // A minimum slice size above every slice skips them all.
    let got = evaluate_outcomes(&classes, &slice_by, &["accuracy"], 1000).unwrap();
    assert!(got
        .slices
        .values()
        .all(|s| s.skipped.is_some() && s.metrics.is_empty()));
    assert_eq!(got.overall.rows, Some(120));
}

#[test]
fn compute_metrics_rejects_bad_names() {
    let classes = Outcomes::Classes {
        y_true: vec![0, 1, 2],
        y_pred: vec![0, 1, 1],
        proba: None,
        n_classes: 3,
    };
    let err = |r: ferrops::Result<MetricSet>| r.unwrap_err().to_string();
    assert!(err(compute_metrics(&classes, &["acc"])).contains("unknown metric"));
    assert!(err(compute_metrics(&classes, &["f1"])).contains("f1_macro"));
    assert!(err(compute_metrics(&classes, &["roc_auc"])).contains("roc_auc_ovr"));
    assert!(err(compute_metrics(&classes, &["log_loss"])).contains("probabilities"));
    assert!(err(compute_metrics(&classes, &["mae"])).contains("regression metric"));
    assert!(err(compute_metrics::<&str>(&classes, &[])).contains("at least one metric"));
    let values = Outcomes::Values {
        y_true: vec![1.0, 2.0],
        y_pred: vec![1.0],
    };
    assert!(err(compute_metrics(&values, &["mae"])).contains("unequal lengths"));
    let values = Outcomes::Values {
        y_true: vec![1.0, 2.0],
        y_pred: vec![1.0, 2.0],
    };
    assert!(err(compute_metrics(&values, &["accuracy"])).contains("regressor"));
    let m = compute_metrics(&classes, &["f1_macro", "accuracy"]).unwrap();
    assert_eq!(m.get("accuracy"), Some(2.0 / 3.0));
}

#[test]
fn malformed_outcomes_are_errors_not_panics() {
    let err = |o: &Outcomes, m: &str| compute_metrics(o, &[m]).unwrap_err().to_string();
    // One probability column for two classes: `roc_auc` reads column 1.
    let narrow = Outcomes::Classes {
        y_true: vec![0, 1],
        y_pred: vec![0, 1],
        proba: Some(Array2::from_shape_vec((2, 1), vec![0.2, 0.7]).unwrap()),
        n_classes: 2,
    };
    assert!(err(&narrow, "roc_auc").contains("1 columns for n_classes = 2"));
    let out_of_range = Outcomes::Classes {
        y_true: vec![0, 3],
        y_pred: vec![0, 1],
        proba: None,
        n_classes: 2,
    };
    assert!(err(&out_of_range, "accuracy").contains("class code 3"));
}

#[test]
fn scikit_learn_scorer_names_are_higher_is_better() {
    // cross_validate reports `neg_log_loss`: a gate on it needs no explicit direction.
    let g = gate(vec![Threshold::new("neg_log_loss").change_absolute(0.0)]);
    assert_eq!(
        g.thresholds()[0].resolved_direction(),
        Some(Direction::HigherIsBetter)
    );
    let r = g
        .evaluate(
            &set(&[("neg_log_loss", -0.30)]),
            Some(&set(&[("neg_log_loss", -0.35)])),
        )
        .unwrap();
    assert!(r.passed, "{r}");
    let r = g
        .evaluate(
            &set(&[("neg_log_loss", -0.40)]),
            Some(&set(&[("neg_log_loss", -0.35)])),
        )
        .unwrap();
    assert!(!r.passed, "{r}");
}

#[test]
fn infinite_metric_values_cross_json_as_text() {
    let m: SlicedMetrics =
        serde_json::from_str(r#"{"overall": {"metrics": {"mape": "inf", "r2": "-inf", "mae": null}}}"#)
            .unwrap();
    assert_eq!(m.overall.metrics.get("mape"), Some(f64::INFINITY));
    assert_eq!(m.overall.metrics.get("r2"), Some(f64::NEG_INFINITY));
    assert!(m.overall.metrics.get("mae").unwrap().is_nan());
    // ...and are written back the same way, so a round trip keeps them.
    let text = serde_json::to_string(&m).unwrap();
    assert!(
        text.contains(r#""mape":"inf""#) && text.contains(r#""mae":null"#),
        "{text}"
    );
    let back: SlicedMetrics = serde_json::from_str(&text).unwrap();
    assert_eq!(back.overall.metrics.get("r2"), Some(f64::NEG_INFINITY));
    let bad = serde_json::from_str::<SlicedMetrics>(r#"{"overall": {"metrics": {"mae": "0.5"}}}"#);
    assert!(bad.unwrap_err().to_string().contains("`mae`"));
    let r = gate(vec![Threshold::new("mape").upper(1.0)])
        .evaluate_sliced(&m, None)
        .unwrap();
    assert!(!r.passed);
    assert!(r.checks[0].reason.contains("inf is above"), "{r}");
}

#[test]
fn evaluate_pipeline_overall_and_per_slice() {
    let table = common::classification_table(300, 7);
    let fitted = Pipeline::new()
        .transform(SimpleImputer::median(["b"]))
        .transform(OneHotEncoder::new(["city"]))
        .train(LogisticRegression::default())
        .fit(&table, "label")
        .unwrap();
    let names = ["accuracy", "f1", "roc_auc", "log_loss", "example_count"];
    let got = evaluate_pipeline(&fitted, &table, &names, &["city"], 1).unwrap();
    // Overall equals the metric functions on the pipeline's own predictions.
    let labels = fitted.classes().unwrap().names();
    let truth: Vec<usize> = table
        .column_by_name("label")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .iter()
        .map(|s| labels.iter().position(|l| l == s.unwrap()).unwrap())
        .collect();
    let proba = fitted.predict_proba(&table).unwrap();
    let pred_labels = fitted.predict(&table).unwrap();
    let pred: Vec<usize> = pred_labels
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .iter()
        .map(|s| labels.iter().position(|l| l == s.unwrap()).unwrap())
        .collect();
    let acc = metrics::accuracy(&truth, &pred, None).unwrap();
    assert_eq!(got.overall.metrics.get("accuracy"), Some(acc));
    let positive: Vec<bool> = truth.iter().map(|&c| c == 1).collect();
    let auc = metrics::roc_auc(&positive, &proba.column(1).to_vec(), None).unwrap();
    assert_eq!(got.overall.metrics.get("roc_auc"), Some(auc));
    assert_eq!(
        got.overall.metrics.get("log_loss"),
        Some(metrics::log_loss(&truth, proba.view(), None).unwrap())
    );
    assert_eq!(got.overall.rows, Some(300));
    // Per slice: the same metrics on that city's rows.
    let cities = table
        .column_by_name("city")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(
        got.slices.keys().collect::<Vec<_>>(),
        ["city=lyon", "city=nice", "city=paris"]
    );
    for (key, slice) in &got.slices {
        let city = key.strip_prefix("city=").unwrap();
        let rows: Vec<usize> = (0..300).filter(|&i| cities.value(i) == city).collect();
        let t: Vec<usize> = rows.iter().map(|&i| truth[i]).collect();
        let p: Vec<usize> = rows.iter().map(|&i| pred[i]).collect();
        assert_eq!(slice.rows, Some(rows.len()));
        assert_eq!(
            slice.metrics.get("accuracy"),
            Some(metrics::accuracy(&t, &p, None).unwrap())
        );
        let f1 = metrics::f1(&t, &p, metrics::Average::Binary { pos_label: 1 }, None).unwrap();
        assert_eq!(slice.metrics.get("f1"), Some(f1));
    }
    // Gate on it: a bound no city reaches fails on every city, named.
    let g = gate(vec![Threshold::new("accuracy").lower(1.01).slices(["city"])]);
    let r = g.evaluate_sliced(&got, Some(&got)).unwrap();
    assert_eq!(r.failures().count(), 3);
    // The candidate against itself passes every change check.
    let g = gate(vec![Threshold::new("roc_auc")
        .change_absolute(0.0)
        .slices(["overall", "city"])]);
    assert!(g.evaluate_sliced(&got, Some(&got)).unwrap().passed);
    // Errors.
    let e = evaluate_pipeline(&fitted, &table, &names, &["town"], 1).unwrap_err();
    assert!(matches!(e, Error::ColumnNotFound { .. }), "{e}");
    let e = evaluate_pipeline(&fitted, &table, &["mae"], &[] as &[&str], 1).unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    let no_label = table.project(&[0, 1, 2]).unwrap();
    let e = evaluate_pipeline(&fitted, &no_label, &["accuracy"], &[] as &[&str], 1).unwrap_err();
    assert!(matches!(e, Error::ColumnNotFound { .. }), "{e}");
    let unseen = arrow::record_batch::RecordBatch::try_new(
        table.schema(),
        vec![
            table.column(0).clone(),
            table.column(1).clone(),
            table.column(2).clone(),
            Arc::new(StringArray::from(vec!["maybe"; 300])),
        ],
    )
    .unwrap();
    let e = evaluate_pipeline(&fitted, &unseen, &["accuracy"], &[] as &[&str], 1).unwrap_err();
    assert!(e.to_string().contains("never saw at fit"), "{e}");
    let fitted_only = Pipeline::new()
        .transform(SimpleImputer::median(["b"]))
        .fit_transforms(&table)
        .unwrap();
    let e = evaluate_pipeline(&fitted_only, &table, &["accuracy"], &[] as &[&str], 1).unwrap_err();
    assert!(matches!(e, Error::NotFitted { .. }), "{e}");
}
