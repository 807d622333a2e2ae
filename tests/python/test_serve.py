"""ferrops.Router from Python: routing, stickiness, concurrency, shadow, rollback policy,
Prometheus export and A/B tests.

The two models are logistic regressions fitted on the same synthetic table with
different targets (v1 learns ``x1 > 0``, v2 learns ``x2 > 0``), so an answer tells which
version gave it; every routed answer is checked against that pipeline's own
``predict`` / ``predict_proba`` / ``predict_row``.

Checked against something other than ferrops: the Prometheus text is parsed by the
reference parser (``prometheus_client.parser.text_string_to_metric_families``); the
A/B p-values against ``scipy.stats.chi2_contingency(correction=False)`` on the 2x2
accuracy counts and ``scipy.stats.ttest_ind(equal_var=False)`` on the rewards fed; the
canary split against the expected binomial share.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ferrops as fo


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x1": rng.uniform(-1, 1, n), "x2": rng.uniform(-1, 1, n)})


def _fit(by: str) -> fo.Pipeline:
    X = _frame(400, 7)
    y = np.where(X[by] > 0, "yes", "no")
    return fo.Pipeline([], trainer=fo.LogisticRegression()).fit(X, y)


@pytest.fixture(scope="module")
def v1() -> fo.Pipeline:
    return _fit("x1")


@pytest.fixture(scope="module")
def v2() -> fo.Pipeline:
    return _fit("x2")


def _rows(X: pd.DataFrame) -> list[dict[str, float]]:
    return X.to_dict("records")


# ---------------------------------------------------------------------------------------
# Predictions equal the pipeline's own
# ---------------------------------------------------------------------------------------


def test_predict_equals_pipeline_on_every_table_kind(v1):
    router = fo.Router((v1, "churn", 1))
    X = _frame(50, 1)
    want = v1.predict(X)
    want_proba = v1.predict_proba(X)
    import polars as pl

    for table in (X, pa.table(X), pl.from_pandas(X), {"x1": X["x1"].to_numpy(), "x2": X["x2"].to_numpy()}):
        routed = router.predict(table, key="k")
        assert (routed.variant, routed.role, routed.model, routed.version) == ("champion", "champion", "churn", 1)
        np.testing.assert_array_equal(routed.predictions, want)
        np.testing.assert_array_equal(routed.probabilities, want_proba)
    # Extra columns are ignored.
    routed = router.predict(X.assign(extra="z"))
    np.testing.assert_array_equal(routed.predictions, want)


def test_predict_row_equals_pipeline(v1):
    router = fo.Router((v1, "churn", 1))
    for row in _rows(_frame(30, 2)):
        answer = router.predict_row({**row, "ignored": "x"}, key="user-1")
        assert answer.variant == "champion" and answer.version == 1
        assert answer.prediction == v1.predict_row(row)
        assert answer.probabilities == v1.predict_row_proba(row)


def test_regressor_values(v1):
    X = _frame(120, 3)
    y = 2.0 * X["x1"] - X["x2"] + 0.5
    reg = fo.Pipeline([], trainer=fo.Ridge(alpha=0.1)).fit(X, y)
    router = fo.Router((reg, "price", 4))
    routed = router.predict(X)
    np.testing.assert_array_equal(routed.predictions, reg.predict(X))
    assert routed.probabilities is None
    row = _rows(X)[0]
    answer = router.predict_row(row)
    assert answer.prediction == reg.predict_row(row) and answer.probabilities is None
    router.record_outcome("champion", answer.prediction, float(y.iloc[0]))
    (m,) = router.metrics()
    assert m.outcomes == 1 and m.mae == pytest.approx(abs(answer.prediction - y.iloc[0]), rel=1e-12)


def test_from_registry(tmp_path, v1):
    registry = fo.ModelRegistry(tmp_path / "reg", actor="tester")
    registry.register("churn", v1)
    registry.set_alias("churn", "champion", 1)
    router = fo.Router.from_registry(registry, "churn", bake_window_seconds=60)
    assert router.status()["champion"] == {"name": "churn", "version": 1}
    assert router.bake_window_seconds == 60
    X = _frame(20, 4)
    np.testing.assert_array_equal(router.predict(X).predictions, v1.predict(X))
    # A registry-loaded pipeline knows its name and version.
    change = router.switch(registry.load("churn", 1))
    assert change.to_model == fo.serve.ModelRef("churn", 1)


# ---------------------------------------------------------------------------------------
# Canary
# ---------------------------------------------------------------------------------------


def test_canary_sticky_and_split(v1, v2):
    router = fo.Router((v1, "churn", 1))
    router.start_canary((v2, "churn", 2), 0.2)
    row = {"x1": 0.3, "x2": -0.4}
    keys = [f"user-{i}" for i in range(10_000)]
    first = {k: router.predict_row(row, key=k).variant for k in keys}
    share = sum(v == "canary" for v in first.values()) / len(keys)
    # Binomial sd at n=10k, p=0.2 is 0.4 %: ±2 % is five of them.
    assert abs(share - 0.2) <= 0.02
    # Sticky: the same key reaches the same variant again, by its bucket.
    for k in keys[:500]:
        again = router.predict_row(row, key=k)
        assert again.variant == first[k]
        assert (router.bucket(k) < 2000) == (again.variant == "canary")
        assert again.version == (2 if again.variant == "canary" else 1)
    # Growing the fraction only moves keys to the canary.
    router.set_canary_fraction(0.5)
    for k in keys[:2000]:
        if first[k] == "canary":
            assert router.predict_row(row, key=k).variant == "canary"
    status = router.status()
    assert status["mode"] == "canary"
    assert [(v["label"], v["fraction"]) for v in status["variants"]] == [("champion", 0.5), ("canary", 0.5)]
    # A canary's answers are v2's.
    X = _frame(40, 5)
    k = next(k for k in keys if first[k] == "canary")
    np.testing.assert_array_equal(router.predict(X, key=k).predictions, v2.predict(X))
    change = router.promote()
    assert change.action == "promote" and change.to_model == ("churn", 2) and change.from_model == ("churn", 1)
    assert router.status()["previous"] == {"name": "churn", "version": 1}
    change = router.rollback("bad")
    assert change.to_model == ("churn", 1) and change.reason == "bad"


# ---------------------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------------------


def test_concurrent_predict_while_switching(v1, v2):
    router = fo.Router((v1, "churn", 1), bake_window_seconds=3600)
    X = _frame(64, 6)
    rows = _rows(X)
    want = {1: v1.predict(X), 2: v2.predict(X)}
    want_row = {1: [v1.predict_row(r) for r in rows], 2: [v2.predict_row(r) for r in rows]}
    stop = threading.Event()
    done = [0] * 6  # requests answered per client

    def batch_client(seed: int) -> int:
        n = 0
        while not stop.is_set():
            routed = router.predict(X, key=f"c{seed}-{n}")
            np.testing.assert_array_equal(routed.predictions, want[routed.version])
            n += 1
            done[seed] = n
        return n

    def row_client(seed: int) -> int:
        n = 0
        while not stop.is_set():
            i = (seed + n) % len(rows)
            answer = router.predict_row(rows[i], key=str(n))
            assert answer.prediction == want_row[answer.version][i]
            n += 1
            done[seed] = n
        return n

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(batch_client, i) for i in range(3)] + [pool.submit(row_client, i) for i in range(3, 6)]
        changes = 0
        start = time.monotonic()
        # At least 1 s of changes, and until every client has been answered 20 times
        # through them (at most 20 s on a loaded machine).
        while time.monotonic() - start < 1.0 or (min(done) < 20 and time.monotonic() - start < 20):
            router.switch((v2, "churn", 2))
            router.rollback("flip back")
            router.start_canary((v2, "churn", 2), 0.5)
            router.rollback("end canary")
            changes += 4
        stop.set()
        served = [f.result() for f in futures]  # re-raises any client's exception
    assert changes >= 4 and min(served) >= 20


# ---------------------------------------------------------------------------------------
# Shadow
# ---------------------------------------------------------------------------------------


def test_shadow_answers_are_champions_and_metrics_fill(v1, v2):
    router = fo.Router((v1, "churn", 1), shadow_capacity=10_000)
    router.start_shadow((v2, "churn", 2))
    X = _frame(300, 8)
    rows = _rows(X)
    live = []
    for i, row in enumerate(rows):
        answer = router.predict_row(row, key=str(i))
        assert answer.variant == "champion" and answer.version == 1
        live.append(answer.prediction)
    assert live == [v1.predict_row(r) for r in rows]
    routed = router.predict(X)
    np.testing.assert_array_equal(routed.predictions, v1.predict(X))
    deadline = time.monotonic() + 10
    while router.status()["shadow"]["pending"] > 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    shadow = router.status()["shadow"]
    assert shadow["dropped"] == 0 and shadow["sent"] == len(rows) + 1 and shadow["scored"] == shadow["sent"]
    champion, candidate = router.metrics()
    assert (champion.label, candidate.label) == ("champion", "shadow")
    assert candidate.requests == len(rows) + 1 and candidate.rows == 2 * len(rows)
    shadow_answers = v2.predict(X)
    agree = np.mean(np.asarray(live) == shadow_answers)  # rows and batch: the same pairs twice
    assert candidate.agreement == pytest.approx(agree, abs=1e-12)
    assert router.promote().to_model == ("churn", 2)


# ---------------------------------------------------------------------------------------
# Automatic rollback
# ---------------------------------------------------------------------------------------


def _canary_with_outcomes(v1, v2, n: int) -> fo.Router:
    """A 50 % canary of v2 judged on labels y = x1 > 0 (v1's target): v2 is much worse."""
    router = fo.Router((v1, "churn", 1))
    router.start_canary((v2, "churn", 2), 0.5)
    X = _frame(n, 9)
    for i, row in enumerate(_rows(X)):
        answer = router.predict_row(row, key=f"u{i}")
        router.record_outcome(answer.variant, answer.prediction, "yes" if row["x1"] > 0 else "no")
    return router


def test_policy_fires_on_a_worse_candidate(v1, v2):
    router = _canary_with_outcomes(v1, v2, 600)
    champion, canary = router.metrics()
    assert champion.accuracy > 0.9 and canary.accuracy < 0.7
    policy = fo.RollbackPolicy(min_requests=100, metric_rules=[("accuracy", 0.05, 100)])
    checked = router.check(policy)
    assert checked.action == "rollback" and checked.change is None
    assert router.status()["mode"] == "canary"  # check changes nothing
    decision = router.enforce(policy)
    assert decision.action == "rollback"
    assert any(r.startswith("accuracy of canary") for r in decision.reasons)
    assert decision.change is not None and decision.change.action == "rollback"
    assert decision.change.reason.startswith("automatic rollback:")
    assert decision.change.from_model == ("churn", 2) and decision.change.to_model == ("churn", 1)
    assert router.status()["mode"] == "single"


def test_policy_waits_with_too_few_requests(v1, v2):
    router = _canary_with_outcomes(v1, v2, 60)
    policy = fo.RollbackPolicy(min_requests=500, metric_rules=[("accuracy", 0.05, 500)])
    decision = router.enforce(policy)
    assert decision.action == "continue" and decision.change is None
    assert any("waiting for evidence" in r for r in decision.reasons)
    assert router.status()["mode"] == "canary"
    # Drift alone condemns the candidate (rollback_on_drift defaults to True) ...
    assert router.check(policy, drift=True).action == "rollback"
    # ... unless switched off.
    quiet = fo.RollbackPolicy(min_requests=500, rollback_on_drift=False)
    assert router.check(quiet, drift=True).action == "continue"


def test_policy_with_a_drift_report(v1, v2):
    router = _canary_with_outcomes(v1, v2, 60)
    reference = _frame(500, 10)
    shifted = reference.assign(x1=reference["x1"] + 3.0)
    report = fo.drift.drift_report(reference, shifted)
    assert report.dataset_drifted
    decision = router.enforce(fo.RollbackPolicy(min_requests=500), drift=report)
    assert decision.action == "rollback" and any("dataset drift detected" in r for r in decision.reasons)


def test_policy_validation():
    with pytest.raises(fo.InvalidParameterError, match="min_requests"):
        fo.RollbackPolicy(min_requests=0)
    with pytest.raises(fo.InvalidParameterError, match="unknown metric"):
        fo.RollbackPolicy(metric_rules=[("f1", 0.1, 10)])
    with pytest.raises(fo.InvalidParameterError, match="max_p99_ratio"):
        fo.RollbackPolicy(max_p99_ratio=float("inf"))
    with pytest.raises(fo.InvalidParameterError, match="max_error_rate_increase"):
        fo.RollbackPolicy(max_error_rate_increase=2.0)


# ---------------------------------------------------------------------------------------
# Prometheus
# ---------------------------------------------------------------------------------------


def test_prometheus_text_parses(v1, v2):
    parser = pytest.importorskip("prometheus_client.parser")
    router = _canary_with_outcomes(v1, v2, 200)
    with pytest.raises(fo.SchemaError):
        router.predict(_frame(5, 11).drop(columns="x2"), key="u0")
    metrics = {m.label: m for m in router.metrics()}
    samples = {}
    for family in parser.text_string_to_metric_families(router.prometheus()):
        for s in family.samples:
            samples[(s.name, s.labels.get("variant"), s.labels.get("le"))] = (s.labels, s.value)
    for label, m in metrics.items():
        labels, value = samples[("ferrops_requests_total", label, None)]
        assert labels["model"] == "churn" and labels["version"] == str(m.version)
        assert value == m.requests
        assert samples[("ferrops_request_errors_total", label, None)][1] == m.errors
        assert samples[("ferrops_request_duration_seconds_count", label, None)][1] == m.requests
        assert samples[("ferrops_request_duration_seconds_bucket", label, "+Inf")][1] == m.requests
    assert sum(m.errors for m in metrics.values()) == 1


# ---------------------------------------------------------------------------------------
# A/B tests against scipy
# ---------------------------------------------------------------------------------------


def test_ab_test_matches_scipy(v1, v2):
    stats = pytest.importorskip("scipy.stats")
    router = fo.Router((v1, "churn", 1))
    router.start_ab({"a": (v1, "churn", 1), "b": (v2, "churn", 2)}, weights={"a": 1, "b": 1})
    rng = np.random.default_rng(12)
    X = _frame(800, 12)
    correct = {"a": [0, 0], "b": [0, 0]}  # [right, wrong]
    rewards: dict[str, list[float]] = {"a": [], "b": []}
    for i, row in enumerate(_rows(X)):
        answer = router.predict_row(row, key=f"user-{i}")
        truth = "yes" if row["x1"] > 0 else "no"
        router.record_outcome(answer.variant, answer.prediction, truth)
        correct[answer.variant][0 if answer.prediction == truth else 1] += 1
        reward = float(rng.normal(10.0 if answer.variant == "a" else 10.4, 2.0))
        router.record_reward(answer.variant, reward)
        rewards[answer.variant].append(reward)

    (acc,) = router.ab_test("accuracy", alpha=0.05)
    assert (acc.control, acc.treatment, acc.test) == ("a", "b", "two-proportion z-test")
    assert (acc.n_control, acc.n_treatment) == (sum(correct["a"]), sum(correct["b"]))
    chi2, p, _, _ = stats.chi2_contingency(np.array([correct["a"], correct["b"]]), correction=False)
    assert acc.p_value == pytest.approx(p, rel=1e-9)
    assert acc.statistic**2 == pytest.approx(chi2, rel=1e-9)
    assert acc.significant and acc.verdict == "treatment_worse"

    (rew,) = router.ab_test("reward", alpha=0.05)
    t = stats.ttest_ind(rewards["b"], rewards["a"], equal_var=False)
    assert rew.test == "Welch t-test"
    assert rew.statistic == pytest.approx(t.statistic, rel=1e-9)
    assert rew.p_value == pytest.approx(t.pvalue, rel=1e-8)
    assert rew.difference == pytest.approx(np.mean(rewards["b"]) - np.mean(rewards["a"]), rel=1e-9)

    assert router.promote_variant("a").to_model == ("churn", 1)
    assert router.status()["mode"] == "single"


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


def test_errors(v1, v2):
    router = fo.Router((v1, "churn", 1))
    with pytest.raises(fo.InvalidParameterError, match="fraction"):
        router.start_canary((v2, "churn", 2), 1.5)
    with pytest.raises(fo.DataError, match="no candidate"):
        router.promote()
    with pytest.raises(fo.DataError, match="nothing was switched"):
        router.rollback("why")
    with pytest.raises(fo.InvalidParameterError, match="no such variant"):
        router.record_outcome("canary", "yes", "no")
    with pytest.raises(fo.SchemaError, match="x2"):
        router.predict(_frame(5, 13).drop(columns="x2"))
    with pytest.raises(fo.SchemaError, match="x2"):
        router.predict_row({"x1": 0.5})
    assert router.metrics()[0].errors == 2
    with pytest.raises(fo.InvalidParameterError, match="outcome"):
        router.ab_test("f1")
    with pytest.raises(fo.DataError, match="no A/B test"):
        router.ab_test("accuracy")
    with pytest.raises(fo.InvalidParameterError, match="shadow"):
        fo.Router((v1, "churn", 1), shadow_capacity=0)
    with pytest.raises(fo.InvalidParameterError, match="bake_window_seconds"):
        fo.Router((v1, "churn", 1), bake_window_seconds=-1)
    with pytest.raises(fo.NotFittedError):
        fo.Router((fo.Pipeline([], trainer=fo.LogisticRegression()), "churn", 1))
    with pytest.raises(fo.InvalidParameterError, match="name, version"):
        fo.Router(v1)
    router.start_ab({"a": (v1, "churn", 1), "b": (v2, "churn", 2)})
    with pytest.raises(fo.InvalidParameterError, match="not in the A/B test"):
        router.promote_variant("c")
    with pytest.raises(fo.DataError, match="A/B test is running"):
        router.promote()
    with pytest.raises(fo.DataError, match="rollback"):
        router.switch((v2, "churn", 2))
    router.rollback("end")
    with pytest.raises(fo.InvalidParameterError, match="reserved"):
        router.start_ab({"champion": (v1, "churn", 1), "b": (v2, "churn", 2)})
    with pytest.raises(fo.InvalidParameterError, match="at least 2"):
        router.start_ab({"a": (v1, "churn", 1)})
