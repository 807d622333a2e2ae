"""ferrops.gates: model gates with TFMA's threshold semantics (TFMA ``config.proto`` and
``evaluators/metrics_validator.py``; see docs/gates.md), and ``ferrops.evaluate``'s
per-slice metrics against scikit-learn's metric on each pandas ``groupby`` group."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

import ferrops as fo
from ferrops import InvalidParameterError


def one_check(gate: fo.ModelGate, candidate, baseline=None, kind: str = "change") -> dict:
    report = gate.evaluate(candidate, baseline)
    checks = [c for c in report.checks if c["kind"] == kind]
    assert len(checks) == 1, report
    return checks[0]


def change_outcome(t: fo.Threshold, candidate: float, baseline: float) -> str:
    gate = fo.ModelGate([t])
    return one_check(gate, {t.metric: candidate}, {t.metric: baseline})["outcome"]


# Dyadic values: differences are exact, so "at the bound" is exactly at the bound.


@pytest.mark.parametrize(
    ("value", "outcome"),
    [(0.75, "passed"), (0.875, "passed"), (0.8, "passed"), (0.7499, "failed"), (0.8751, "failed")],
)
def test_value_bounds_are_inclusive(value, outcome):
    gate = fo.ModelGate([fo.threshold("accuracy", lower=0.75, upper=0.875)])
    check = one_check(gate, {"accuracy": value}, kind="value")
    assert check["outcome"] == outcome
    assert check["candidate"] == value


@pytest.mark.parametrize(
    ("t", "candidate", "baseline", "outcome"),
    [
        # higher is better: diff >= absolute
        (fo.threshold("roc_auc", change_absolute=0.25), 0.75, 0.5, "passed"),
        (fo.threshold("roc_auc", change_absolute=0.25), 0.74, 0.5, "failed"),
        # negative slack: a bounded regression passes
        (fo.threshold("accuracy", change_absolute=-0.125), 0.375, 0.5, "passed"),
        (fo.threshold("accuracy", change_absolute=-0.125), 0.37, 0.5, "failed"),
        # lower is better: diff <= absolute
        (fo.threshold("log_loss", change_absolute=0.125), 0.625, 0.5, "passed"),
        (fo.threshold("log_loss", change_absolute=0.125), 0.63, 0.5, "failed"),
        (fo.threshold("mae", change_absolute=-0.125), 0.375, 0.5, "passed"),
        (fo.threshold("mae", change_absolute=-0.125), 0.4, 0.5, "failed"),
        # relative = diff / |baseline|
        (fo.threshold("f1", change_relative=0.5), 0.75, 0.5, "passed"),
        (fo.threshold("f1", change_relative=0.5), 0.74, 0.5, "failed"),
        (fo.threshold("rmse", change_relative=-0.25), 0.375, 0.5, "passed"),
        (fo.threshold("rmse", change_relative=-0.25), 0.4, 0.5, "failed"),
        # both must pass
        (fo.threshold("accuracy", change_absolute=-0.25, change_relative=-0.125), 0.4375, 0.5, "passed"),
        (fo.threshold("accuracy", change_absolute=-0.25, change_relative=-0.125), 0.375, 0.5, "failed"),
        # zero baseline: relative undefined (fails), absolute alone unaffected
        (fo.threshold("r2", change_relative=0.0), 0.5, 0.0, "failed"),
        (fo.threshold("r2", change_absolute=0.0), 0.5, 0.0, "passed"),
        # negative baseline: relative to its magnitude
        (fo.threshold("r2", change_relative=0.5), -0.25, -0.5, "passed"),
        # explicit direction
        (fo.threshold("roc_auc", change_absolute=0.125, direction="lower_is_better"), 0.75, 0.5, "failed"),
        (fo.threshold("revenue", change_absolute=0.0, direction="higher_is_better"), 2.0, 1.0, "passed"),
    ],
)
def test_change_thresholds(t, candidate, baseline, outcome):
    assert change_outcome(t, candidate, baseline) == outcome


def test_check_names_values_and_reason():
    gate = fo.ModelGate([fo.threshold("accuracy", change_absolute=-0.25, change_relative=-0.125)])
    check = one_check(gate, {"accuracy": 0.375}, {"accuracy": 0.5})
    assert (check["candidate"], check["baseline"], check["diff"], check["relative"]) == (0.375, 0.5, -0.125, -0.25)
    assert "relative change -0.25" in check["reason"]
    assert check["threshold"] == "diff >= -0.25 and relative >= -0.125 (higher is better)"
    check = one_check(fo.ModelGate([fo.threshold("r2", change_relative=0.1)]), {"r2": 0.5}, {"r2": 0.0})
    assert "undefined" in check["reason"] and check["relative"] is None


def test_missing_and_nan_metrics_fail():
    gate = fo.ModelGate([fo.threshold("roc_auc", lower=0.5, change_absolute=-0.5)])
    report = gate.evaluate({"accuracy": 0.9}, baseline={"roc_auc": 0.8})
    assert not report and not report.passed
    assert len(report.failures) == 2
    assert all("metric not found" in c["reason"] for c in report.checks)
    report = gate.evaluate({"roc_auc": float("nan")}, baseline={"roc_auc": 0.8})
    assert not report.passed
    assert all(c["outcome"] == "failed" and "NaN" in c["reason"] for c in report.checks)
    assert report.checks[0]["candidate"] is None
    report = gate.evaluate({"roc_auc": np.float64(0.8)}, baseline={"roc_auc": np.nan})
    assert "baseline's roc_auc is NaN" in one_check(gate, {"roc_auc": 0.8}, {"roc_auc": np.nan})["reason"]
    # Infinity crosses (JSON has none) and fails a bound, saying so plainly.
    report = fo.ModelGate([fo.threshold("log_loss", upper=1.0)]).evaluate({"log_loss": math.inf})
    assert not report.passed
    assert report.checks[0]["reason"] == "inf is above the upper bound 1"
    assert fo.ModelGate([fo.threshold("r2", upper=1.0)]).evaluate({"r2": -math.inf}).passed
    # Metrics sets from Rust carry infinities as "inf"; ModelMetrics reads and passes them on.
    metrics = fo.gates.ModelMetrics({"overall": {"metrics": {"mape": "inf", "mae": None}}})
    assert metrics.overall["mape"] == math.inf and math.isnan(metrics.overall["mae"])
    gate = fo.ModelGate([fo.threshold("mape", upper=1.0)])
    assert gate.evaluate(metrics).checks[0]["reason"] == "inf is above the upper bound 1"


def test_scikit_learn_scorer_names_need_no_direction():
    # cross_validate / GridSearch report `neg_log_loss` (higher is better, as every scorer).
    assert fo.gates.metric_direction("neg_log_loss") == "higher_is_better"
    assert fo.gates.metric_direction("neg_mean_absolute_error") == "higher_is_better"
    assert fo.gates.metric_direction("log_loss") == "lower_is_better"
    gate = fo.ModelGate([fo.threshold("neg_log_loss", change_absolute=0.0)])
    assert gate.to_dict()["thresholds"][0]["change"]["direction"] == "higher_is_better"
    assert gate.evaluate({"neg_log_loss": -0.30}, baseline={"neg_log_loss": -0.35}).passed
    assert not gate.evaluate({"neg_log_loss": -0.40}, baseline={"neg_log_loss": -0.35}).passed


def test_no_champion_skips_change_checks_and_says_so():
    gate = fo.ModelGate(
        [fo.threshold("roc_auc", lower=0.75, change_absolute=0.0), fo.threshold("log_loss", change_relative=0.0)]
    )
    report = gate.evaluate({"roc_auc": 0.8, "log_loss": 0.3})
    assert report.passed
    skipped = [c for c in report.checks if c["outcome"] == "skipped"]
    assert [c["kind"] for c in skipped] == ["change", "change"]
    assert all("no baseline" in c["reason"] for c in skipped)
    assert any("2 change check(s) skipped" in n for n in report.notes)
    assert not gate.evaluate({"roc_auc": 0.7, "log_loss": 0.3}).passed


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ([], "at least one threshold"),
        ([fo.threshold("accuracy")], "neither a value nor a change"),
        ([fo.threshold("accuracy", lower=0.9, upper=0.8)], "must not exceed"),
        ([{"metric": "accuracy", "value": {"lower": float("nan")}}], "finite"),
        ([{"metric": "accuracy", "change": {"absolute": float("inf")}}], "finite"),
        ([fo.threshold("accuracy", direction="higher_is_better")], "absolute or a relative"),
        ([fo.threshold("revenue", change_absolute=0.0)], "higher_is_better or lower_is_better"),
        ([fo.threshold("accuracy", lower=0.5, slices="=FR")], "column name is empty"),
        ([{"metric": "x", "value": {"lowr": 1}}], "unknown field"),
    ],
)
def test_invalid_gates_raise(thresholds, message):
    with pytest.raises(InvalidParameterError, match=message):
        fo.ModelGate(thresholds)


def test_invalid_arguments():
    with pytest.raises(InvalidParameterError, match="direction"):
        fo.threshold("accuracy", change_absolute=0.0, direction="up")
    with pytest.raises(InvalidParameterError, match="number"):
        fo.threshold("accuracy", lower="0.5")
    with pytest.raises(InvalidParameterError, match="list of thresholds"):
        fo.ModelGate(fo.threshold("accuracy", lower=0.5))
    gate = fo.ModelGate([fo.threshold("accuracy", lower=0.5)])
    with pytest.raises(InvalidParameterError, match="mixes"):
        gate.evaluate({"overall": {"accuracy": 0.9}, "accuracy": 0.9})
    with pytest.raises(InvalidParameterError, match="must be a dict"):
        gate.evaluate([0.9])
    with pytest.raises(InvalidParameterError, match="must be a number"):
        gate.evaluate({"accuracy": "high"})


def test_one_failing_slice_fails_the_gate_and_is_named():
    gate = fo.ModelGate([fo.threshold("roc_auc", lower=0.8), fo.threshold("roc_auc", lower=0.7, slices=["country"])])
    candidate = {
        "overall": {"roc_auc": 0.85},
        "country=DE": {"roc_auc": 0.9},
        "country=FR": {"roc_auc": 0.65},
        "device=mobile": {"roc_auc": 0.1},
    }
    report = gate.evaluate(candidate)
    assert not report.passed
    assert [c["slice"] for c in report.checks] == ["overall", "country=DE", "country=FR"]
    assert [c["slice"] for c in report.failures] == ["country=FR"]
    assert "[FAIL] country=FR roc_auc" in repr(report)
    # A slicing spec that matches nothing fails.
    report = fo.ModelGate([fo.threshold("roc_auc", lower=0.5, slices="region")]).evaluate(candidate)
    assert not report.passed and "no slice of column `region`" in report.checks[0]["reason"]


def test_json_round_trip():
    gate = fo.ModelGate(
        [
            fo.threshold("roc_auc", lower=0.8, change_absolute=-0.01),
            fo.threshold("log_loss", upper=0.5, change_relative=0.1, slices=["overall", "country"]),
            fo.threshold("revenue", change_absolute=0.0, direction="higher_is_better"),
        ]
    )
    text = gate.to_json()
    back = fo.ModelGate.from_json(text)
    assert back == gate
    assert back.to_dict() == gate.to_dict() == json.loads(text)
    # Directions are resolved in the JSON form.
    assert gate.to_dict()["thresholds"][1]["change"]["direction"] == "lower_is_better"
    assert fo.ModelGate.from_dict(gate.to_dict()) == gate
    with pytest.raises(InvalidParameterError):
        fo.ModelGate.from_json('{"thresholds": []}')
    with pytest.raises(InvalidParameterError):
        fo.ModelGate.from_json("{not json")


def test_report_conversions_and_html_escaping():
    gate = fo.ModelGate([fo.threshold("<b>score</b>", lower=0.5, change_absolute=0.0, direction="higher_is_better")])
    report = gate.evaluate({"<b>score</b>": 0.25}, baseline={"<b>score</b>": 0.5})
    frame = report.to_pandas()
    assert list(frame.columns) == [
        "slice",
        "metric",
        "kind",
        "threshold",
        "candidate",
        "baseline",
        "diff",
        "relative",
        "outcome",
        "reason",
    ]
    assert len(frame) == 2 and set(frame["outcome"]) == {"failed"}
    d = report.to_dict()
    assert d["passed"] is False and len(d["checks"]) == 2 and json.loads(json.dumps(d)) == d
    html = report._repr_html_()
    assert "<b>score</b>" not in html and "&lt;b&gt;score&lt;/b&gt;" in html
    assert "Gate FAILED" in html


def churn_frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(["DE", "FR", "US"], n)
    spend = rng.normal(50, 15, n)
    tenure = rng.uniform(0, 10, n)
    score = (spend - 50) / 15 - 0.3 * (tenure - 5) + (country == "FR") * 0.8 + rng.normal(0, 1, n)
    churned = np.where(score > 0, "yes", "no")
    value = 3.0 * spend - 2.0 * tenure + (country == "US") * 10 + rng.normal(0, 5, n)
    return pd.DataFrame({"spend": spend, "tenure": tenure, "country": country, "churned": churned, "value": value})


def test_evaluate_matches_scikit_learn_per_groupby_group():
    df = churn_frame()
    features = df[["spend", "tenure", "country", "churned"]]
    pipe = fo.Pipeline([fo.StandardScaler(), fo.OneHotEncoder(["country"])], trainer=fo.LogisticRegression())
    pipe.fit(features, target="churned")
    names = ["accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss", "example_count"]
    result = fo.evaluate(pipe, features, metrics=names, slice_by="country")
    pred = pipe.predict(features)
    proba = pipe.predict_proba(features)
    classes = list(pipe.classes_)
    frame = df.assign(pred=pred, p1=proba[:, 1])

    def reference(g: pd.DataFrame) -> dict[str, float]:
        p = np.column_stack([1 - g.p1, g.p1])
        return {
            "accuracy": accuracy_score(g.churned, g.pred),
            "balanced_accuracy": balanced_accuracy_score(g.churned, g.pred),
            "f1": f1_score(g.churned, g.pred, pos_label=classes[1]),
            "roc_auc": roc_auc_score(g.churned == classes[1], g.p1),
            "log_loss": log_loss(g.churned, p, labels=classes),
            "example_count": float(len(g)),
        }

    expected = {"overall": reference(frame)}
    expected.update({f"country={k}": reference(g) for k, g in frame.groupby("country")})
    assert set(result.slices) == {"country=DE", "country=FR", "country=US"}
    for key, want in expected.items():
        have = result[key]
        for metric, value in want.items():
            assert have[metric] == pytest.approx(value, rel=1e-12, abs=1e-15), (key, metric)
        assert result.rows[key] == want["example_count"]
    # The same from polars and pyarrow input.
    for data in (pl.from_pandas(features), pa.Table.from_pandas(features)):
        again = fo.evaluate(pipe, data, metrics=names, slice_by=["country"])
        assert again.to_dict() == result.to_dict()
    # y given separately.
    again = fo.evaluate(pipe, features.drop(columns="churned"), features["churned"], metrics=names, slice_by="country")
    assert again.to_dict() == result.to_dict()
    # Conversions.
    table = result.to_pandas()
    assert list(table.index) == ["overall", "country=DE", "country=FR", "country=US"]
    assert list(table.columns) == ["rows", *sorted(names)]
    html = result._repr_html_()
    assert "<table>" in html and "country=FR" in html and "ModelMetrics(" in repr(result)
    with pytest.raises(InvalidParameterError, match="already has the target"):
        fo.evaluate(pipe, features, features["churned"], metrics=names)


def test_evaluate_regression_matches_scikit_learn():
    df = churn_frame(seed=5)
    features = df[["spend", "tenure", "country", "value"]]
    pipe = fo.Pipeline([fo.OneHotEncoder(["country"], drop="first")], trainer=fo.LinearRegression())
    pipe.fit(features, target="value")
    result = fo.evaluate(pipe, features, metrics=["mae", "rmse", "r2"], slice_by="country")
    frame = df.assign(pred=pipe.predict(features))
    for key, g in [("overall", frame), *((f"country={k}", g) for k, g in frame.groupby("country"))]:
        have = result[key]
        assert have["mae"] == pytest.approx(mean_absolute_error(g.value, g.pred), rel=1e-12)
        assert have["rmse"] == pytest.approx(root_mean_squared_error(g.value, g.pred), rel=1e-12)
        assert have["r2"] == pytest.approx(r2_score(g.value, g.pred), rel=1e-12)


def test_gate_on_evaluated_candidate_and_champion():
    df = churn_frame()
    features = df[["spend", "tenure", "country", "churned"]]
    champion = fo.Pipeline([fo.OneHotEncoder(["country"])], trainer=fo.LogisticRegression()).fit(
        features[["tenure", "country", "churned"]], target="churned"
    )
    candidate = fo.Pipeline([fo.StandardScaler(), fo.OneHotEncoder(["country"])], trainer=fo.LogisticRegression()).fit(
        features, target="churned"
    )
    names = ["roc_auc", "log_loss"]
    m_cand = fo.evaluate(candidate, features, metrics=names, slice_by="country")
    m_champ = fo.evaluate(champion, features, metrics=names, slice_by="country")
    gate = fo.ModelGate(
        [
            fo.threshold("roc_auc", lower=0.6, change_absolute=-0.01, slices=["overall", "country"]),
            fo.threshold("log_loss", change_relative=0.05),
        ]
    )
    report = gate.evaluate(m_cand, baseline=m_champ)
    # roc_auc: value and change on overall + 3 countries; log_loss: change overall.
    assert len(report.checks) == 2 * 4 + 1
    for c in report.checks:
        base = m_champ[c["slice"]][c["metric"]]
        assert c["baseline"] == base if c["kind"] == "change" else c["baseline"] is None
        assert c["candidate"] == m_cand[c["slice"]][c["metric"]]
    # The candidate (with spend) is much better than the champion (without it).
    assert report.passed, report
    # Swapped, the regression fails and the report says which slices.
    swapped = gate.evaluate(m_champ, baseline=m_cand)
    assert not swapped.passed
    assert {c["slice"] for c in swapped.failures} >= {"overall"}


def test_small_and_degenerate_slices():
    df = churn_frame()
    features = df[["spend", "tenure", "country", "churned"]].copy()
    encoder = fo.OneHotEncoder(["country"], handle_unknown="ignore")
    pipe = fo.Pipeline([encoder], trainer=fo.LogisticRegression()).fit(features, target="churned")
    # A tiny slice with one class: LU (2 rows, both "no").
    extra = pd.DataFrame(
        {"spend": [40.0, 41.0], "tenure": [1.0, 2.0], "country": ["LU", "LU"], "churned": ["no", "no"]}
    )
    data = pd.concat([features, extra], ignore_index=True)
    result = fo.evaluate(pipe, data, metrics=["accuracy", "roc_auc"], slice_by="country")
    assert "roc_auc" in result.undefined["country=LU"]
    assert result["country=LU"] == {"accuracy": result.slices["country=LU"]["accuracy"]}
    gate = fo.ModelGate([fo.threshold("roc_auc", lower=0.5, slices="country")])
    report = gate.evaluate(result)
    lu = next(c for c in report.checks if c["slice"] == "country=LU")
    assert lu["outcome"] == "failed" and "undefined" in lu["reason"]
    # With a minimum slice size, LU is skipped instead, and the gate passes.
    result = fo.evaluate(pipe, data, metrics=["roc_auc"], slice_by="country", min_slice_size=10)
    assert "country=LU" in result.skipped and result.rows["country=LU"] == 2
    report = gate.evaluate(result)
    assert report.passed
    lu = next(c for c in report.checks if c["slice"] == "country=LU")
    assert lu["outcome"] == "skipped" and "min_slice_size" in lu["reason"]
    assert any("country=LU" in n for n in report.notes)


def test_evaluate_errors():
    df = churn_frame(n=60)
    features = df[["spend", "tenure", "country", "churned"]]
    pipe = fo.Pipeline([fo.OneHotEncoder(["country"])], trainer=fo.LogisticRegression()).fit(features, target="churned")
    with pytest.raises(InvalidParameterError, match="unknown metric"):
        fo.evaluate(pipe, features, metrics=["auc"])
    with pytest.raises(InvalidParameterError, match="regression metric"):
        fo.evaluate(pipe, features, metrics=["mae"])
    with pytest.raises(fo.SchemaError, match="region"):
        fo.evaluate(pipe, features, metrics=["accuracy"], slice_by="region")
    with pytest.raises(fo.SchemaError, match="churned"):
        fo.evaluate(pipe, features.drop(columns="churned"), metrics=["accuracy"])
    with pytest.raises(fo.DataError, match="never saw"):
        fo.evaluate(pipe, features.assign(churned="maybe"), metrics=["accuracy"])
    with pytest.raises(fo.NotFittedError):
        fo.evaluate(fo.Pipeline([], trainer=fo.LogisticRegression()), features, metrics=["accuracy"])
    with pytest.raises(InvalidParameterError, match="min_slice_size"):
        fo.evaluate(pipe, features, metrics=["accuracy"], min_slice_size=-1)
