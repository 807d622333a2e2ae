"""``ferrops.drift.fairness_metrics`` against fairlearn 0.15 (``MetricFrame`` and its
``demographic_parity_*``, ``equal_opportunity_*``, ``equalized_odds_*`` functions) and
``ferrops.drift.permutation_importance`` against scikit-learn 1.9's
``sklearn.inspection.permutation_importance``: with the same ``random_state`` the
shuffles are the same, so on models whose fits agree the importances agree."""

from __future__ import annotations

import functools
import math

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance as sk_permutation_importance
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder as SkOneHotEncoder
from sklearn.preprocessing import StandardScaler as SkStandardScaler
from sklearn.tree import DecisionTreeClassifier as SkDecisionTreeClassifier

import ferrops as fo
from ferrops import DataError, InvalidParameterError, NotFittedError, SchemaError

TIGHT = {"tol": 1e-10, "max_iter": 10_000}

# ---------------------------------------------------------------------------------------
# Fairness
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def decisions() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 400
    group = rng.choice(["f", "m", "x"], size=n, p=[0.45, 0.45, 0.1])
    y_true = (rng.random(n) < np.where(group == "f", 0.4, 0.55)).astype(int)
    flip = rng.random(n) < np.where(group == "m", 0.1, 0.25)
    y_pred = np.where(flip, 1 - y_true, y_true)
    return pd.DataFrame({"y_true": y_true, "y_pred": y_pred, "group": group, "w": rng.uniform(0.1, 2.0, n)})


def fairlearn_frame(y_true, y_pred, groups, weights=None, pos_label=1):
    fns = {
        "selection_rate": functools.partial(flm.selection_rate, pos_label=pos_label),
        "true_positive_rate": functools.partial(flm.true_positive_rate, pos_label=pos_label),
        "false_positive_rate": functools.partial(flm.false_positive_rate, pos_label=pos_label),
    }
    params = None if weights is None else {k: {"sample_weight": weights} for k in fns}
    return flm.MetricFrame(metrics=fns, y_true=y_true, y_pred=y_pred, sensitive_features=groups, sample_params=params)


def assert_by_group(report: fo.drift.FairnessReport, frame: flm.MetricFrame) -> None:
    ours = report.to_pandas()
    theirs = frame.by_group
    assert list(ours.index) == [str(g) for g in theirs.index]
    for column in ("selection_rate", "true_positive_rate", "false_positive_rate"):
        np.testing.assert_allclose(ours[column].to_numpy(), theirs[column].to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("container", ["pandas", "numpy", "polars", "pyarrow", "list"])
def test_fairness_equals_fairlearn(decisions: pd.DataFrame, container: str) -> None:
    def convert(series: pd.Series):
        return {
            "pandas": lambda s: s,
            "numpy": lambda s: s.to_numpy(),
            "polars": lambda s: pl.Series(s.name, s.to_numpy()),
            "pyarrow": lambda s: pa.chunked_array([pa.array(s.to_numpy())]),
            "list": lambda s: s.tolist(),
        }[container](series)

    d = decisions
    report = fo.drift.fairness_metrics(convert(d.y_true), convert(d.y_pred), convert(d.group))
    assert_by_group(report, fairlearn_frame(d.y_true, d.y_pred, d.group))
    kw = {"sensitive_features": d.group}
    expected = {
        "demographic_parity_difference": flm.demographic_parity_difference(d.y_true, d.y_pred, **kw),
        "demographic_parity_ratio": flm.demographic_parity_ratio(d.y_true, d.y_pred, **kw),
        "equal_opportunity_difference": flm.equal_opportunity_difference(d.y_true, d.y_pred, **kw),
        "equal_opportunity_ratio": flm.equal_opportunity_ratio(d.y_true, d.y_pred, **kw),
        "equalized_odds_difference": flm.equalized_odds_difference(d.y_true, d.y_pred, **kw),
        "equalized_odds_ratio": flm.equalized_odds_ratio(d.y_true, d.y_pred, **kw),
    }
    metrics = report.metrics()
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value, abs=1e-12), name
    assert report.disparate_impact_ratio == report.demographic_parity_ratio
    assert report.groups == ["f", "m", "x"]
    assert math.isnan(report.disparate_impact_vs_reference)


def test_fairness_with_weights_equals_fairlearn(decisions: pd.DataFrame) -> None:
    d = decisions
    report = fo.drift.fairness_metrics(d.y_true, d.y_pred, d.group, sample_weight=d.w)
    assert_by_group(report, fairlearn_frame(d.y_true, d.y_pred, d.group, weights=d.w.to_numpy()))
    expected = flm.equalized_odds_difference(d.y_true, d.y_pred, sensitive_features=d.group, sample_weight=d.w)
    assert report.equalized_odds_difference == pytest.approx(expected, abs=1e-12)
    assert report.to_pandas()["weight"].sum() == pytest.approx(d.w.sum())


def test_string_labels_categorical_groups_and_reference(decisions: pd.DataFrame) -> None:
    d = decisions
    y_true = np.where(d.y_true == 1, "hired", "rejected")
    y_pred = np.where(d.y_pred == 1, "hired", "rejected")
    groups = d.group.astype("category")
    report = fo.drift.fairness_metrics(y_true, y_pred, groups, pos_label="hired", reference_group="m")
    frame = fairlearn_frame(y_true, y_pred, d.group, pos_label="hired")
    assert_by_group(report, frame)
    rates = frame.by_group["selection_rate"]
    table = report.to_pandas()
    np.testing.assert_allclose(table["ratio_to_reference"], rates / rates["m"], rtol=1e-12)
    assert report.disparate_impact_vs_reference == pytest.approx(
        min(rates["f"] / rates["m"], rates["x"] / rates["m"]), rel=1e-12
    )
    assert report.reference_group == "m"
    # Without pos_label, string labels are ambiguous: fairlearn raises too.
    with pytest.raises(InvalidParameterError, match="pos_label"):
        fo.drift.fairness_metrics(y_true, y_pred, groups)
    with pytest.raises(InvalidParameterError, match="reference_group"):
        fo.drift.fairness_metrics(y_true, y_pred, groups, pos_label="hired", reference_group="z")


def test_boolean_labels_and_integer_groups() -> None:
    y_true = np.array([True, False, True, False, True, True])
    y_pred = np.array([True, True, False, False, True, False])
    groups = np.array([1, 1, 1, 2, 2, 2])
    report = fo.drift.fairness_metrics(y_true, y_pred, groups, reference_group=2)
    assert report.groups == ["1", "2"]
    table = report.to_pandas()
    assert table.loc["1", "selection_rate"] == pytest.approx(2 / 3)
    assert table.loc["2", "true_positive_rate"] == 0.5
    assert report.to_pandas().loc["2", "ratio_to_reference"] == 1.0
    frame = fairlearn_frame(y_true.astype(int), y_pred.astype(int), groups)
    assert_by_group(report, frame)


def test_a_group_without_positives_is_nan_where_fairlearn_says_zero(decisions: pd.DataFrame) -> None:
    d = decisions
    y_true = np.where(d.group == "x", 0, d.y_true)
    report = fo.drift.fairness_metrics(y_true, d.y_pred, d.group)
    frame = fairlearn_frame(y_true, d.y_pred, d.group)
    assert frame.by_group.loc["x", "true_positive_rate"] == 0.0  # fairlearn 0.15
    table = report.to_pandas()
    assert math.isnan(table.loc["x", "true_positive_rate"])
    assert report.groups_without_positives == ["x"]
    tpr = frame.by_group["true_positive_rate"].drop("x")
    assert report.equal_opportunity_difference == pytest.approx(tpr.max() - tpr.min(), abs=1e-12)
    # The selection-rate metrics are untouched.
    assert report.demographic_parity_difference == pytest.approx(
        flm.demographic_parity_difference(y_true, d.y_pred, sensitive_features=d.group), abs=1e-12
    )


def test_fairness_report_renders_and_round_trips(decisions: pd.DataFrame) -> None:
    d = decisions
    report = fo.drift.fairness_metrics(d.y_true, d.y_pred, d.group, reference_group="f")
    html = report._repr_html_()
    assert "demographic parity difference" in html and "<td>x</td>" in html
    again = fo.drift.FairnessReport.from_json(report.to_json())
    assert again.metrics() == report.metrics()
    assert "FairnessReport(groups=3" in repr(report)
    assert report.overall["count"] == len(d)
    assert report.to_arrow().num_rows == 3


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([], [], []), {}, DataError, "no values"),
        (([1, 0], [1], ["a", "b"]), {}, DataError, "y_pred"),
        (([1, 0], [1, 0], ["a", "b", "a"]), {}, DataError, "sensitive"),
        (([1, 0], [1, 0], ["a", "a"]), {}, DataError, "at least two groups"),
        (([1, 0, 1], [1, 0, 1], ["a", None, "b"]), {}, DataError, "group"),
        (([1, None, 1], [1, 0, 1], ["a", "b", "b"]), {}, DataError, "y_true"),
        (([0, 1, 2], [0, 1, 2], ["a", "b", "b"]), {"pos_label": 1}, DataError, "binary"),
        (([0, 1, 1], [0, 1, 1], ["a", "b", "b"]), {"pos_label": 7}, InvalidParameterError, "pos_label"),
        (([0, 1, 1], [0, 1, 1], ["a", "b", "b"]), {"sample_weight": [1, -1, 1]}, DataError, "sample_weight"),
        ((["a", "b"], [0, 1], ["a", "b"]), {"pos_label": 1}, DataError, "one kind"),
    ],
)
def test_fairness_errors(args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        fo.drift.fairness_metrics(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# Permutation importance
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    n = 150
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(loc=2.0, scale=3.0, size=n),
            "c": rng.normal(size=n),
            "city": rng.choice(["oslo", "rome", "lima"], size=n),
        }
    )
    df["y"] = 2.0 * df.a - 0.3 * df.b + rng.normal(scale=0.5, size=n)
    logit = 1.4 * df.a + 0.2 * df.b + np.where(df.city == "rome", 1.5, -0.5)
    df["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return df


def test_importance_equals_scikit_learns_linear_regression(frame: pd.DataFrame) -> None:
    X = frame[["a", "b", "c"]]
    pipe = fo.Pipeline([], trainer=fo.LinearRegression()).fit(X, frame.y)
    sk = SkLinearRegression().fit(X, frame.y)
    results = {}
    for scoring in ("r2", "neg_mean_squared_error"):
        ours = fo.drift.permutation_importance(pipe, frame, "y", scoring=scoring, n_repeats=7, random_state=3)
        theirs = sk_permutation_importance(sk, X, frame.y, scoring=scoring, n_repeats=7, random_state=3)
        np.testing.assert_allclose(ours.importances, theirs.importances, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.importances_mean, theirs.importances_mean, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.importances_std, theirs.importances_std, rtol=0, atol=1e-10)
        assert ours.feature_names == ["a", "b", "c"]
        assert ours.scoring == scoring
        results[scoring] = ours
    # The default scorer of a regressor is R²; a target given as values works too.
    default = fo.drift.permutation_importance(pipe, X, frame.y.to_numpy(), n_repeats=7, random_state=3)
    assert default.scoring == "r2"
    np.testing.assert_array_equal(default.importances, results["r2"].importances)


def test_importance_equals_scikit_learns_one_hot_logistic_pipeline(frame: pd.DataFrame) -> None:
    X = frame[["a", "b", "c", "city"]]
    pipe = fo.Pipeline([fo.StandardScaler(), fo.OneHotEncoder(["city"])], trainer=fo.LogisticRegression(**TIGHT)).fit(
        frame.drop(columns="y"), target="label"
    )
    sk = make_pipeline(
        ColumnTransformer([("num", SkStandardScaler(), ["a", "b", "c"]), ("cat", SkOneHotEncoder(), ["city"])]),
        SkLogisticRegression(**TIGHT),
    ).fit(X, frame.label)
    for scoring, tol in (("neg_log_loss", 1e-7), ("roc_auc", 1e-9), ("accuracy", 1e-12)):
        ours = fo.drift.permutation_importance(
            pipe, pl.from_pandas(frame), "label", scoring=scoring, n_repeats=4, random_state=11
        )
        theirs = sk_permutation_importance(sk, X, frame.label, scoring=scoring, n_repeats=4, random_state=11)
        # `city` is permuted as one raw column on both sides.
        assert ours.feature_names == ["a", "b", "c", "city"]
        np.testing.assert_allclose(ours.importances, theirs.importances, rtol=0, atol=tol, err_msg=scoring)
    table = ours.to_pandas()
    assert list(table.columns) == ["importance_mean", "importance_std"]
    assert table.index[0] in ("a", "city") and table["importance_mean"].is_monotonic_decreasing


def test_random_state_has_scikit_learns_meaning(frame: pd.DataFrame) -> None:
    X = frame[["a", "b", "c"]]
    pipe = fo.Pipeline([], trainer=fo.LinearRegression()).fit(X, frame.y)
    sk = SkLinearRegression().fit(X, frame.y)
    ours = fo.drift.permutation_importance(pipe, frame, "y", random_state=np.random.RandomState(5))
    theirs = sk_permutation_importance(sk, X, frame.y, random_state=np.random.RandomState(5))
    np.testing.assert_allclose(ours.importances, theirs.importances, atol=1e-10)
    again = fo.drift.permutation_importance(pipe, frame, "y", random_state=0)
    assert np.array_equal(again.importances, fo.drift.permutation_importance(pipe, frame, "y").importances)
    assert not np.array_equal(
        again.importances, fo.drift.permutation_importance(pipe, frame, "y", random_state=1).importances
    )


def test_ignored_feature_is_exactly_zero_and_ranking_matches_scikit_learn(frame: pd.DataFrame) -> None:
    X = frame[["a", "b", "c"]]
    tree = fo.DecisionTreeClassifier(max_depth=2).fit(X, frame.label)
    sk_tree = SkDecisionTreeClassifier(max_depth=2, random_state=0).fit(X, frame.label)
    unused = [j for j in range(3) if j not in set(sk_tree.tree_.feature[sk_tree.tree_.feature >= 0])]
    assert unused, "the reference tree uses every feature: pick a shallower tree"
    ours = fo.drift.permutation_importance(tree, X, frame.label, n_repeats=20, random_state=2)
    theirs = sk_permutation_importance(sk_tree, X, frame.label, n_repeats=20, random_state=2)
    for j in unused:
        assert np.all(ours.importances[j] == 0.0)
        assert np.all(theirs.importances[j] == 0.0)
    assert int(np.argmax(ours.importances_mean)) == int(np.argmax(theirs.importances_mean))
    # Same tree, same shuffles: the same numbers.
    np.testing.assert_allclose(ours.importances, theirs.importances, atol=1e-12)


def test_numpy_input_and_columns(frame: pd.DataFrame) -> None:
    X = frame[["a", "b", "c"]].to_numpy()
    model = fo.LinearRegression().fit(X, frame.y.to_numpy())
    result = fo.drift.permutation_importance(model, X, frame.y.to_numpy(), columns=["x2", "x0"])
    assert result.feature_names == ["x0", "x2"]
    assert result.importances.shape == (2, 5)
    assert result["importances_mean"] is result.importances_mean
    weighted = fo.drift.permutation_importance(model, X, frame.y.to_numpy(), sample_weight=np.linspace(0, 1, len(X)))
    assert weighted.baseline_score != result.baseline_score


def test_importance_errors(frame: pd.DataFrame) -> None:
    X = frame[["a", "b", "c"]]
    pipe = fo.Pipeline([], trainer=fo.LinearRegression()).fit(X, frame.y)
    with pytest.raises(NotFittedError):
        fo.drift.permutation_importance(fo.Pipeline([], trainer=fo.LinearRegression()), frame, "y")
    with pytest.raises(InvalidParameterError, match="unknown scorer"):
        fo.drift.permutation_importance(pipe, frame, "y", scoring="r3")
    with pytest.raises(InvalidParameterError, match="regressor"):
        fo.drift.permutation_importance(pipe, frame, "y", scoring="accuracy")
    with pytest.raises(InvalidParameterError, match="n_repeats"):
        fo.drift.permutation_importance(pipe, frame, "y", n_repeats=0)
    with pytest.raises(InvalidParameterError, match="random_state"):
        fo.drift.permutation_importance(pipe, frame, "y", random_state="seed")
    with pytest.raises(SchemaError, match="b"):
        fo.drift.permutation_importance(pipe, frame.drop(columns="b"), "y")
    with pytest.raises(SchemaError, match="nope"):
        fo.drift.permutation_importance(pipe, frame, "nope")
    with pytest.raises(DataError, match="empty"):
        fo.drift.permutation_importance(pipe, frame.iloc[:0], "y")
    with pytest.raises(InvalidParameterError, match="not an input column"):
        fo.drift.permutation_importance(pipe, frame, "y", columns=["city"])
