//! Model-monitoring metrics: `ferrops::drift::fairness` against fairlearn 0.15
//! (`MetricFrame` with `selection_rate`, `true_positive_rate`, `false_positive_rate`,
//! `count`; `demographic_parity_difference`/`_ratio`, `equal_opportunity_difference`/
//! `_ratio`, `equalized_odds_difference`/`_ratio`) and `ferrops::drift::importance`
//! against scikit-learn 1.9's `sklearn.inspection.permutation_importance`, through
//! `tests/fixtures/drift/monitor/monitor.json` (written by `gen.py` there).
//!
//! Permutation importance is compared two ways: exactly, by replaying scikit-learn's
//! own row permutations (stored in the fixture) on models whose fits equal scikit-learn's
//! (LinearRegression; StandardScaler + LogisticRegression at tol 1e-10); and
//! statistically, with ferrops' own draws over 300 repeats against scikit-learn's 300.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::data::Value;
use ferrops::drift::fairness::{fairness, fairness_from_arrays, FairnessOptions, FairnessReport};
use ferrops::drift::importance::{
    permutation_importance, permutation_importance_with, PermutationImportance, PermutationOptions,
};
use ferrops::prelude::*;
use ferrops::validate::cv::Scorer;
use serde_json::Value as Json;

fn fixture() -> &'static Json {
    static DOC: OnceLock<Json> = OnceLock::new();
    DOC.get_or_init(|| {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/drift/monitor/monitor.json");
        let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let source = doc["source"].as_str().unwrap();
        assert!(
            source.starts_with("fairlearn 0.15") && source.contains("scikit-learn 1.9"),
            "{source}"
        );
        doc
    })
}

fn floats(v: &Json) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

fn close(ours: f64, theirs: f64, tol: f64, what: &str) {
    assert!(
        (ours - theirs).abs() <= tol,
        "{what}: ours {ours}, reference {theirs}"
    );
}

fn opt_close(ours: Option<f64>, theirs: &Json, tol: f64, what: &str) {
    match theirs.as_f64() {
        Some(t) => close(ours.unwrap_or(f64::NAN), t, tol, what),
        None => assert_eq!(ours, None, "{what}"),
    }
}

// ---------------------------------------------------------------------------------------
// Fairness
// ---------------------------------------------------------------------------------------

fn case(name: &str) -> &'static Json {
    &fixture()["fairness"][name]
}

fn bools(v: &Json, positive: &Json) -> Vec<bool> {
    v.as_array().unwrap().iter().map(|x| x == positive).collect()
}

fn strings(v: &Json) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap()
}

fn check_against_fairlearn(report: &FairnessReport, case: &Json, metrics: &[&str]) {
    const TOL: f64 = 1e-12;
    let by_group = case["by_group"].as_object().unwrap();
    assert_eq!(report.groups.len(), by_group.len());
    for g in &report.groups {
        let theirs = &by_group[&g.group];
        close(g.count as f64, theirs["count"].as_f64().unwrap(), 0.0, "count");
        close(
            g.selection_rate,
            theirs["selection_rate"].as_f64().unwrap(),
            TOL,
            "selection rate",
        );
        opt_close(g.true_positive_rate, &theirs["true_positive_rate"], TOL, "tpr");
        opt_close(g.false_positive_rate, &theirs["false_positive_rate"], TOL, "fpr");
    }
    let m = &case["metrics"];
    let ours = |name: &str| -> Option<f64> {
        match name {
            "demographic_parity_difference" => Some(report.demographic_parity_difference),
            "demographic_parity_ratio" => report.demographic_parity_ratio,
            "equal_opportunity_difference" => report.equal_opportunity_difference,
            "equal_opportunity_ratio" => report.equal_opportunity_ratio,
            "equalized_odds_difference" => report.equalized_odds_difference,
            "equalized_odds_ratio" => report.equalized_odds_ratio,
            other => panic!("unknown metric {other}"),
        }
    };
    for name in metrics {
        opt_close(ours(name), &m[*name], TOL, name);
    }
}

const ALL_METRICS: [&str; 6] = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
];

#[test]
fn fairness_equals_fairlearn_on_binary_labels() {
    let c = case("basic");
    let one = Json::from(1);
    let report = fairness(
        &bools(&c["y_true"], &one),
        &bools(&c["y_pred"], &one),
        &strings(&c["groups"]),
        &FairnessOptions::default(),
    )
    .unwrap();
    check_against_fairlearn(&report, c, &ALL_METRICS);
    assert_eq!(report.disparate_impact_ratio(), report.demographic_parity_ratio);
    assert_eq!(report.overall.count, 300);
    assert!(report.groups_without_positives.is_empty() && !report.weighted);
    let names: Vec<&str> = report.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);

    // The same through Arrow arrays of 0/1 integers, pos_label inferred as 1.
    let ints = |v: &Json| -> ArrayRef {
        Arc::new(Int64Array::from(
            serde_json::from_value::<Vec<i64>>(v.clone()).unwrap(),
        ))
    };
    let groups: ArrayRef = Arc::new(StringArray::from(strings(&c["groups"])));
    let from_arrays = fairness_from_arrays(
        &ints(&c["y_true"]),
        &ints(&c["y_pred"]),
        &groups,
        None,
        &FairnessOptions::default(),
    )
    .unwrap();
    assert_eq!(from_arrays, report);
}

#[test]
fn fairness_equals_fairlearn_with_sample_weights() {
    let c = case("weighted");
    let one = Json::from(1);
    let options = FairnessOptions::default().weights(floats(&c["weights"]));
    let report = fairness(
        &bools(&c["y_true"], &one),
        &bools(&c["y_pred"], &one),
        &strings(&c["groups"]),
        &options,
    )
    .unwrap();
    check_against_fairlearn(&report, c, &ALL_METRICS);
    assert!(report.weighted);
    // Counts stay sample counts; weights are summed separately.
    assert_eq!(report.groups.iter().map(|g| g.count).sum::<u64>(), 300);
    let total: f64 = floats(&c["weights"]).iter().sum();
    close(report.overall.weight, total, 1e-9, "total weight");
}

#[test]
fn fairness_equals_fairlearn_on_string_labels_with_pos_label() {
    let c = case("strings");
    let labels = |v: &Json| -> ArrayRef { Arc::new(StringArray::from(strings(v))) };
    let groups: ArrayRef = Arc::new(StringArray::from(strings(&c["groups"])));
    let report = fairness_from_arrays(
        &labels(&c["y_true"]),
        &labels(&c["y_pred"]),
        &groups,
        Some(&Value::Str("approved".into())),
        &FairnessOptions::default(),
    )
    .unwrap();
    check_against_fairlearn(&report, c, &ALL_METRICS);
    // With the other label as positive the selection rates are complements.
    let flipped = fairness_from_arrays(
        &labels(&c["y_true"]),
        &labels(&c["y_pred"]),
        &groups,
        Some(&Value::Str("denied".into())),
        &FairnessOptions::default(),
    )
    .unwrap();
    for (a, b) in report.groups.iter().zip(&flipped.groups) {
        close(a.selection_rate + b.selection_rate, 1.0, 1e-12, "complement");
    }
    // No pos_label for string labels: fairlearn's error, asking for one.
    let err = fairness_from_arrays(
        &labels(&c["y_true"]),
        &labels(&c["y_pred"]),
        &groups,
        None,
        &FairnessOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    assert!(err.to_string().contains("pos_label"));
}

#[test]
fn a_group_without_positives_has_no_tpr_where_fairlearn_reports_zero() {
    let c = case("no_positives");
    // fairlearn 0.15 reports 0.0 (sklearn's confusion_matrix(normalize="true")).
    assert_eq!(c["by_group"]["c"]["true_positive_rate"].as_f64(), Some(0.0));
    let one = Json::from(1);
    let report = fairness(
        &bools(&c["y_true"], &one),
        &bools(&c["y_pred"], &one),
        &strings(&c["groups"]),
        &FairnessOptions::default(),
    )
    .unwrap();
    let group_c = report.group("c").unwrap();
    assert_eq!(group_c.true_positive_rate, None);
    assert_eq!(group_c.positives, 0.0);
    assert_eq!(report.groups_without_positives, ["c"]);
    // Every other rate, and the selection-rate metrics, are fairlearn's.
    check_against_fairlearn(
        &report,
        &serde_json::json!({
            "by_group": {
                "a": c["by_group"]["a"], "b": c["by_group"]["b"],
                "c": {
                    "count": c["by_group"]["c"]["count"],
                    "selection_rate": c["by_group"]["c"]["selection_rate"],
                    "true_positive_rate": null,
                    "false_positive_rate": c["by_group"]["c"]["false_positive_rate"],
                }
            },
            "metrics": c["metrics"],
        }),
        &["demographic_parity_difference", "demographic_parity_ratio"],
    );
    // The TPR metrics skip the group, as pandas' max/min skip NaN.
    let skip = &c["nan_skipping"];
    opt_close(
        report.equal_opportunity_difference,
        &skip["equal_opportunity_difference"],
        1e-12,
        "eod",
    );
    opt_close(
        report.equal_opportunity_ratio,
        &skip["equal_opportunity_ratio"],
        1e-12,
        "eor",
    );
    opt_close(
        report.equalized_odds_difference,
        &skip["equalized_odds_difference"],
        1e-12,
        "eqodds",
    );
    // And the per-group table has a null there.
    let batch = report.to_record_batch().unwrap();
    let tpr = batch.column_by_name("true_positive_rate").unwrap();
    assert_eq!(tpr.null_count(), 1);
    assert!(tpr.is_null(2));
}

#[test]
fn disparate_impact_against_a_reference_group() {
    let c = case("basic");
    let one = Json::from(1);
    let report = fairness(
        &bools(&c["y_true"], &one),
        &bools(&c["y_pred"], &one),
        &strings(&c["groups"]),
        &FairnessOptions::default().reference("a"),
    )
    .unwrap();
    // From fairlearn's per-group selection rates.
    let sel = |g: &str| c["by_group"][g]["selection_rate"].as_f64().unwrap();
    let expected = (sel("b") / sel("a")).min(sel("c") / sel("a"));
    close(
        report.disparate_impact_vs_reference.unwrap(),
        expected,
        1e-12,
        "vs reference",
    );
    for g in &report.groups {
        close(
            g.ratio_to_reference.unwrap(),
            sel(&g.group) / sel("a"),
            1e-12,
            "ratio",
        );
        close(
            g.difference_to_reference.unwrap(),
            sel(&g.group) - sel("a"),
            1e-12,
            "difference",
        );
    }
    assert_eq!(report.group("a").unwrap().ratio_to_reference, Some(1.0));
    assert_eq!(report.reference_group.as_deref(), Some("a"));
    // The four-fifths rule reading: b is selected at 87% of a's rate.
    assert!(report.disparate_impact_vs_reference.unwrap() > 0.8);

    let err = fairness(
        &[true, false],
        &[true, false],
        &["a", "b"],
        &FairnessOptions::default().reference("z"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    assert!(err.to_string().contains("\"a\", \"b\""), "{err}");
}

#[test]
fn fairness_report_round_trips_and_renders() {
    let report = fairness(
        &[true, false, true, false, true, true],
        &[true, true, false, false, true, false],
        &["x", "x", "x", "y", "y", "y"],
        &FairnessOptions::default().reference("x"),
    )
    .unwrap();
    // y has no negative... it has one (row 3): rates computed by hand.
    let y = report.group("y").unwrap();
    assert_eq!((y.count, y.positives, y.negatives), (3, 2.0, 1.0));
    assert_eq!(y.true_positive_rate, Some(0.5));
    assert_eq!(y.false_positive_rate, Some(0.0));
    let json = report.to_json().unwrap();
    assert_eq!(FairnessReport::from_json(&json).unwrap(), report);
    let batch = report.to_record_batch().unwrap();
    assert_eq!(batch.num_rows(), 2);
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(
        names,
        [
            "group",
            "count",
            "weight",
            "positives",
            "negatives",
            "predicted_positives",
            "selection_rate",
            "true_positive_rate",
            "false_positive_rate",
            "ratio_to_reference",
            "difference_to_reference"
        ]
    );
    let html = report.to_html();
    assert!(html.contains("demographic parity difference") && html.contains("<td>y</td>"));
}

#[test]
fn fairness_errors_name_the_problem() {
    let none = FairnessOptions::default();
    let err = fairness::<&str>(&[], &[], &[], &none).unwrap_err();
    assert!(matches!(err, Error::EmptyInput { .. }), "{err}");
    let err = fairness(&[true, false], &[true], &["a", "b"], &none).unwrap_err();
    assert!(
        matches!(err, Error::InvalidData(_)) && err.to_string().contains("y_pred"),
        "{err}"
    );
    let err = fairness(&[true, false], &[true, false], &["a"], &none).unwrap_err();
    assert!(err.to_string().contains("sensitive_features"), "{err}");
    let err = fairness(&[true, false], &[true, false], &["a", "a"], &none).unwrap_err();
    assert!(
        matches!(err, Error::InvalidData(_)) && err.to_string().contains("at least two groups"),
        "{err}"
    );
    let err = fairness(
        &[true, false],
        &[true, false],
        &["a", "b"],
        &none.clone().weights(vec![1.0, -1.0]),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidValue { row: 1, .. }), "{err}");
    let err = fairness(
        &[true, false, true],
        &[true, false, true],
        &["a", "b", "b"],
        &none.clone().weights(vec![0.0, 1.0, 1.0]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("group \"a\""), "{err}");
    let err = fairness(
        &[true, false],
        &[true, false],
        &["a", "b"],
        &none.clone().weights(vec![1.0]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("sample_weight"), "{err}");

    let bools = |v: &[bool]| -> ArrayRef { Arc::new(BooleanArray::from(v.to_vec())) };
    let ab: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "a"]));
    // Null group label.
    let with_null: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("b")]));
    let err = fairness_from_arrays(
        &bools(&[true, false, true]),
        &bools(&[true, true, false]),
        &with_null,
        None,
        &none,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue { column, row: 1, .. } if column == "sensitive_features"),
        "{err}"
    );
    // Null label.
    let null_label: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]));
    let err = fairness_from_arrays(&null_label, &bools(&[true, true, false]), &ab, None, &none).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidValue { column, .. } if column == "y_true"),
        "{err}"
    );
    // Three labels.
    let three: ArrayRef = Arc::new(Int64Array::from(vec![0, 1, 2]));
    let err = fairness_from_arrays(&three, &three, &ab, Some(&Value::Int(1)), &none).unwrap_err();
    assert!(err.to_string().contains("binary"), "{err}");
    // pos_label not among two labels.
    let zero_one: ArrayRef = Arc::new(Int64Array::from(vec![0, 1, 1]));
    let err = fairness_from_arrays(&zero_one, &zero_one, &ab, Some(&Value::Int(5)), &none).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    // Labels of two kinds; a pos_label of the wrong kind.
    let words: ArrayRef = Arc::new(StringArray::from(vec!["yes", "no", "yes"]));
    let err = fairness_from_arrays(&words, &zero_one, &ab, Some(&Value::Int(1)), &none).unwrap_err();
    assert!(err.to_string().contains("one kind"), "{err}");
    let err = fairness_from_arrays(&words, &words, &ab, Some(&Value::Int(1)), &none).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    // Labels that are not labels.
    let reals: ArrayRef = Arc::new(Float64Array::from(vec![0.0, f64::NAN, 1.0]));
    let err = fairness_from_arrays(&reals, &reals, &ab, None, &none).unwrap_err();
    assert!(matches!(err, Error::InvalidValue { row: 1, .. }), "{err}");
    // Integer group labels are fine, reported as text; booleans with pos_label 1 too.
    let int_groups: ArrayRef = Arc::new(Int64Array::from(vec![10, 2, 10]));
    let report = fairness_from_arrays(
        &bools(&[true, false, true]),
        &bools(&[true, true, false]),
        &int_groups,
        Some(&Value::Int(1)),
        &none,
    )
    .unwrap();
    assert_eq!(report.groups[0].group, "10");
    assert_eq!(report.group("10").unwrap().selection_rate, 0.5);
}

// ---------------------------------------------------------------------------------------
// Permutation importance
// ---------------------------------------------------------------------------------------

fn imp() -> &'static Json {
    &fixture()["importance"]
}

/// x0..x3, `y` (real) and `label` (0/1).
fn table() -> RecordBatch {
    let rows = imp()["x"].as_array().unwrap();
    let mut columns: Vec<(String, ArrayRef)> = (0..4)
        .map(|j| {
            let values: Vec<f64> = rows.iter().map(|r| r[j].as_f64().unwrap()).collect();
            (format!("x{j}"), Arc::new(Float64Array::from(values)) as ArrayRef)
        })
        .collect();
    columns.push(("y".into(), Arc::new(Float64Array::from(floats(&imp()["y_reg"])))));
    let labels: Vec<i64> = serde_json::from_value(imp()["y_clf"].clone()).unwrap();
    columns.push(("label".into(), Arc::new(Int64Array::from(labels))));
    RecordBatch::try_from_iter(columns).unwrap()
}

fn without(table: &RecordBatch, column: &str) -> RecordBatch {
    let mut t = table.clone();
    t.remove_column(table.schema().index_of(column).unwrap());
    t
}

fn permutations() -> Vec<Vec<usize>> {
    serde_json::from_value(imp()["permutations"].clone()).unwrap()
}

fn regression_model() -> FittedPipeline {
    Pipeline::new()
        .train(LinearRegression::default())
        .fit(&without(&table(), "label"), "y")
        .unwrap()
}

fn classification_model() -> FittedPipeline {
    let logistic = LogisticRegression {
        tol: 1e-10,
        max_iter: 10_000,
        ..LogisticRegression::default()
    };
    Pipeline::new()
        .transform(StandardScaler::default())
        .train(logistic)
        .fit(&without(&table(), "y"), "label")
        .unwrap()
}

fn check_replay(result: &PermutationImportance, reference: &Json, tol: f64, what: &str) {
    let theirs: Vec<Vec<f64>> = serde_json::from_value(reference["importances"].clone()).unwrap();
    assert_eq!(result.importances.dim(), (4, theirs[0].len()), "{what}");
    let worst = theirs
        .iter()
        .flatten()
        .zip(result.importances.iter())
        .map(|(t, o)| (t - o).abs())
        .fold(0.0, f64::max);
    eprintln!("{what}: largest difference from scikit-learn {worst:e}");
    for (j, row) in theirs.iter().enumerate() {
        for (r, &t) in row.iter().enumerate() {
            close(
                result.importances[[j, r]],
                t,
                tol,
                &format!("{what} x{j} repeat {r}"),
            );
        }
    }
    for (ours, theirs) in [
        (&result.importances_mean, &reference["importances_mean"]),
        (&result.importances_std, &reference["importances_std"]),
    ] {
        for (a, b) in ours.iter().zip(floats(theirs)) {
            close(*a, b, tol, what);
        }
    }
}

#[test]
fn importance_equals_scikit_learns_on_its_permutations_linear_regression() {
    let fitted = regression_model();
    let t = without(&table(), "label");
    for (scorer, name) in [
        (Scorer::R2, "r2"),
        (Scorer::NegMeanSquaredError, "neg_mean_squared_error"),
        (Scorer::NegMeanAbsoluteError, "neg_mean_absolute_error"),
    ] {
        let result = permutation_importance_with(
            &fitted,
            &t,
            "y",
            &permutations(),
            &PermutationOptions::default().scoring(scorer),
        )
        .unwrap();
        assert_eq!(result.features, ["x0", "x1", "x2", "x3"]);
        assert_eq!(result.scoring, scorer);
        // Closed-form least squares: coefficients agree to ~1e-13.
        check_replay(&result, &imp()["regression"][name], 1e-9, name);
    }
}

#[test]
fn importance_equals_scikit_learns_on_its_permutations_logistic_pipeline() {
    let fitted = classification_model();
    let t = without(&table(), "y");
    for (scorer, name, tol) in [
        (Scorer::Accuracy, "accuracy", 1e-12),
        (Scorer::NegLogLoss, "neg_log_loss", 1e-7),
        (Scorer::RocAuc, "roc_auc", 1e-9),
    ] {
        let result = permutation_importance_with(
            &fitted,
            &t,
            "label",
            &permutations(),
            &PermutationOptions::default().scoring(scorer),
        )
        .unwrap();
        check_replay(&result, &imp()["classification"][name], tol, name);
    }
    // The default scorer of a classifier is accuracy (scikit-learn's estimator.score).
    let default = permutation_importance_with(
        &fitted,
        &t,
        "label",
        &permutations(),
        &PermutationOptions::default(),
    )
    .unwrap();
    assert_eq!(default.scoring, Scorer::Accuracy);
}

#[test]
fn own_draws_agree_with_scikit_learns_in_distribution() {
    let many = &imp()["many_repeats"];
    let repeats = many["n_repeats"].as_u64().unwrap() as usize;
    let result = permutation_importance(
        &regression_model(),
        &without(&table(), "label"),
        "y",
        &PermutationOptions::default()
            .scoring(Scorer::R2)
            .repeats(repeats)
            .seed(42),
    )
    .unwrap();
    let (means, stds) = (floats(&many["r2_mean"]), floats(&many["r2_std"]));
    for j in 0..4 {
        // Two independent means of `repeats` draws: their difference has standard error
        // sqrt(s1²/R + s2²/R); allow 4 of them.
        let se = ((result.importances_std[j].powi(2) + stds[j].powi(2)) / repeats as f64).sqrt();
        let diff = (result.importances_mean[j] - means[j]).abs();
        assert!(
            diff <= 4.0 * se,
            "x{j}: ours {} ± {}, scikit-learn {} ± {}",
            result.importances_mean[j],
            result.importances_std[j],
            means[j],
            stds[j]
        );
        // And the spreads agree within 20%.
        assert!(
            (result.importances_std[j] / stds[j] - 1.0).abs() < 0.2,
            "x{j} std"
        );
    }
    assert_eq!(result.ranking(), [0, 1, 2, 3]);
}

#[test]
fn a_feature_the_tree_ignores_has_importance_exactly_zero() {
    let tree_ref = &imp()["tree"];
    let tree = DecisionTree {
        max_depth: Some(2),
        ..DecisionTree::default()
    };
    let t = without(&table(), "y");
    let fitted = Pipeline::new().train(tree).fit(&t, "label").unwrap();
    let result = permutation_importance(
        &fitted,
        &t,
        "label",
        &PermutationOptions::default()
            .scoring(Scorer::Accuracy)
            .repeats(30)
            .seed(7),
    )
    .unwrap();
    let zero: Vec<bool> = serde_json::from_value(tree_ref["zero_in_every_repeat"].clone()).unwrap();
    for (j, &is_zero) in zero.iter().enumerate() {
        let row = result.importances.row(j);
        if is_zero {
            // scikit-learn's tree ignores x_j: so does ours, in every repeat, exactly.
            assert!(row.iter().all(|&v| v == 0.0), "x{j}: {row}");
        } else {
            assert!(result.importances_mean[j] > 0.05, "x{j}: {row}");
        }
    }
    // The same ranking as scikit-learn's means (its dominant feature first).
    let sk_means = floats(&tree_ref["accuracy_mean"]);
    let mut sk_order: Vec<usize> = (0..4).collect();
    sk_order.sort_by(|&a, &b| sk_means[b].total_cmp(&sk_means[a]));
    assert_eq!(result.ranking()[..2], sk_order[..2]);
}

#[test]
fn importance_is_deterministic_across_thread_counts() {
    let fitted = classification_model();
    let t = without(&table(), "y");
    let options = PermutationOptions::default()
        .scoring(Scorer::NegLogLoss)
        .repeats(4)
        .seed(9);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| permutation_importance(&fitted, &t, "label", &options).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    let other_seed = permutation_importance(&fitted, &t, "label", &options.clone().seed(10)).unwrap();
    assert_ne!(one.importances, other_seed.importances);
    assert_eq!(one.baseline_score, other_seed.baseline_score);
}

#[test]
fn raw_string_columns_are_permuted_as_one_feature() {
    // `city` decides the label; the one-hot encoder expands it into three model inputs,
    // but it is permuted (and reported) as one input column.
    let n = 90;
    let cities: Vec<&str> = (0..n).map(|i| ["paris", "rome", "oslo"][i % 3]).collect();
    let noise: Vec<f64> = (0..n).map(|i| ((i * 17) % 13) as f64).collect();
    let label: Vec<bool> = (0..n).map(|i| i % 3 == 1).collect();
    let t = RecordBatch::try_from_iter([
        ("city", Arc::new(StringArray::from(cities)) as ArrayRef),
        ("noise", Arc::new(Float64Array::from(noise)) as ArrayRef),
        ("label", Arc::new(BooleanArray::from(label)) as ArrayRef),
    ])
    .unwrap();
    let fitted = Pipeline::new()
        .transform(OneHotEncoder::new(["city"]))
        .train(DecisionTree::default())
        .fit(&t, "label")
        .unwrap();
    assert!(fitted.feature_names_out().len() > 2);
    let result = permutation_importance(&fitted, &t, "label", &PermutationOptions::default()).unwrap();
    assert_eq!(result.features, ["city", "noise"]);
    assert_eq!(result.ranking(), [0, 1]);
    assert!(result.importances.row(1).iter().all(|&v| v == 0.0));
    let batch = result.to_record_batch().unwrap();
    assert_eq!(batch.num_rows(), 2);
    // Only some columns.
    let only = permutation_importance(
        &fitted,
        &t,
        "label",
        &PermutationOptions {
            columns: Some(vec!["noise".into()]),
            ..PermutationOptions::default()
        },
    )
    .unwrap();
    assert_eq!(only.features, ["noise"]);
    // A row weight reaches the metric: weighting only the rows of one city changes the baseline.
    let weights: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 1.0 } else { 0.5 }).collect();
    let weighted = permutation_importance(
        &fitted,
        &t,
        "label",
        &PermutationOptions {
            sample_weight: Some(weights),
            ..PermutationOptions::default()
        },
    )
    .unwrap();
    assert_eq!(weighted.baseline_score, 1.0);
    assert!(weighted.importances_mean[0] != result.importances_mean[0]);
}

#[test]
fn importance_errors_name_the_problem() {
    let fitted = regression_model();
    let t = without(&table(), "label");
    let options = PermutationOptions::default();
    let err = permutation_importance(&fitted, &t.slice(0, 0), "y", &options).unwrap_err();
    assert!(matches!(err, Error::EmptyInput { .. }), "{err}");
    let err = permutation_importance(&fitted, &t, "nope", &options).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
    let err = permutation_importance(&fitted, &without(&t, "x2"), "y", &options).unwrap_err();
    assert!(
        matches!(&err, Error::ColumnNotFound { column, .. } if column == "x2"),
        "{err}"
    );
    let err = permutation_importance(&fitted, &t, "y", &options.clone().repeats(0)).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    let err =
        permutation_importance(&fitted, &t, "y", &options.clone().scoring(Scorer::Accuracy)).unwrap_err();
    assert!(err.to_string().contains("regressor"), "{err}");
    let err = permutation_importance(
        &fitted,
        &t,
        "y",
        &PermutationOptions {
            columns: Some(vec!["x9".into()]),
            ..PermutationOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("x9"), "{err}");
    let err = permutation_importance_with(&fitted, &t, "y", &[vec![0, 1, 2]], &options).unwrap_err();
    assert!(err.to_string().contains("permutation 0"), "{err}");
    let err = permutation_importance_with(&fitted, &t, "y", &[], &options).unwrap_err();
    assert!(matches!(err, Error::InvalidData(_)), "{err}");
    let transforms_only = Pipeline::new()
        .transform(StandardScaler::default())
        .fit_transforms(&without(&t, "y"))
        .unwrap();
    let err = permutation_importance(&transforms_only, &t, "y", &options).unwrap_err();
    assert!(matches!(err, Error::NotFitted { .. }), "{err}");
    // A classifier: a non-label target, and roc_auc on three classes.
    let clf = classification_model();
    let ct = without(&table(), "y");
    let mut three = ct.clone();
    let idx = three.schema().index_of("label").unwrap();
    three.remove_column(idx);
    let three = RecordBatch::try_from_iter(
        three
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .zip(three.columns().iter().cloned())
            .chain(std::iter::once((
                "label".to_string(),
                Arc::new(Int64Array::from((0..160).map(|i| i % 3).collect::<Vec<i64>>())) as ArrayRef,
            ))),
    )
    .unwrap();
    let err =
        permutation_importance(&clf, &three, "label", &options.clone().scoring(Scorer::RocAuc)).unwrap_err();
    assert!(err.to_string().contains("binary"), "{err}");
    // A class the model never saw just counts as wrong under accuracy.
    let ok =
        permutation_importance(&clf, &three, "label", &options.clone().scoring(Scorer::Accuracy)).unwrap();
    assert!(ok.baseline_score < 1.0);
}
