"""The retraining loop from Python (ferrops.lifecycle), ported from tests/rust/lifecycle.rs:
bootstrap, a concept shift detected (drift and decay), retrain, canary, promote; a stale
candidate proposed, canaried and rolled back automatically; a restarted loop resuming
from the registry; the feature-store source's point-in-time join checked against
pandas.merge_asof; errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ferrops as fo
from ferrops.lifecycle import CallableSource, Timeline

T0 = pd.Timestamp("2026-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)


def make_stream(days: int, per_day: int, shift_day: int, seed: int) -> pd.DataFrame:
    """Before ``shift_day``: label = x1 + x2 > 0; from it on x1 moves by +1.5 and the
    concept changes: label = x1 - x2 > 1.5 (as the Rust test)."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    shifted = day >= shift_day
    x1 = rng.normal(size=n) + np.where(shifted, 1.5, 0.0)
    x2 = rng.normal(size=n)
    noise = 0.3 * rng.normal(size=n)
    yes = np.where(shifted, x1 - x2 + noise > 1.5, x1 + x2 + noise > 0.0)
    t = (
        T0
        + pd.to_timedelta(day, unit="D")
        + pd.to_timedelta(np.tile(np.arange(per_day), days) * (86_400 / per_day), unit="s")
    )
    return pd.DataFrame(
        {
            "t": t,
            "key": [f"user{k}" for k in rng.integers(0, 997, size=n)],
            "x1": x1,
            "x2": x2,
            "label": np.where(yes, "yes", "no"),
        }
    )


def between(frame: pd.DataFrame, start: pd.Timestamp, until: pd.Timestamp) -> pd.DataFrame:
    return frame[(frame.t > start) & (frame.t <= until)]


def window_source(history: pd.DataFrame, days: int, calls: list | None = None) -> CallableSource:
    def fn(until: dt.datetime) -> pd.DataFrame:
        if calls is not None:
            calls.append(until)
        return between(history, pd.Timestamp(until) - days * DAY, pd.Timestamp(until))

    return CallableSource(fn, time_column="t", drop_columns=["t", "key"])


def policy() -> fo.LifecyclePolicy:
    return fo.LifecyclePolicy(
        canary_fraction=0.3,
        rollback={
            "min_requests": 100,
            "metric_rules": [{"metric": "accuracy", "max_drop": 0.05, "min_outcomes": 100}],
            "promote_after": 150,
        },
    )


def gate() -> fo.ModelGate:
    return fo.ModelGate([fo.threshold("accuracy", lower=0.6, change_absolute=-0.01)])


def pipeline() -> fo.Pipeline:
    return fo.Pipeline(trainer=fo.LogisticRegression())


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_stream(20, 400, 10, 1)


def test_the_loop_retrains_on_a_concept_shift_and_rolls_a_bad_candidate_back(tmp_path, history):
    registry = fo.ModelRegistry(tmp_path / "reg", actor="loop")
    calls: list = []
    loop = fo.Lifecycle(registry, "churn", pipeline(), "label", window_source(history, 4, calls), gate(), policy())
    assert loop.state == {"state": "empty"}
    assert loop.router_status() is None

    first = loop.step(T0 + 5 * DAY - pd.Timedelta(microseconds=1))
    assert [d.kind for d in first] == ["promoted"]
    assert loop.state == {"state": "stable", "champion": 1}
    # The callable got an aware UTC datetime.
    assert calls[0].tzinfo is not None and calls[0].utcoffset() == dt.timedelta(0)
    v1 = registry.version("churn", 1)
    assert v1.metrics["accuracy"] > 0.85
    assert v1.lineage["training_table"] is not None and v1.profile_sha256 is not None

    live = between(history, T0 + 5 * DAY - pd.Timedelta(microseconds=1), T0 + 17 * DAY - pd.Timedelta(microseconds=1))
    timeline = loop.simulate(live, "t", key_column="key", step=dt.timedelta(days=1))
    assert isinstance(timeline, Timeline)
    # Before the shift: no false alarm.
    before = [d for d in timeline.decisions if d.at <= T0 + 10 * DAY]
    assert all(d.kind == "stable" for d in before[1:]), before
    kinds = [d.kind for d in timeline.events()]
    assert "drift_detected" in kinds and "decay_detected" in kinds, kinds
    started = timeline.of_kind("canary_started")[0]
    assert "passed the gate" in started.reason
    assert "champion_accuracy" in started.metrics
    promoted = timeline.of_kind("promoted")
    assert len(promoted) >= 2, kinds
    new_champion = promoted[-1].version
    # Traffic drifting from a retrained candidate's data no less than from the
    # champion's is not held against it: no canary is rolled back for drift.
    assert not [d for d in timeline.of_kind("rolled_back") if "drift" in d.reason], str(timeline)
    assert registry.alias("churn", "champion") == new_champion
    assert loop.state == {"state": "stable", "champion": new_champion}
    assert registry.version("churn", new_champion).metrics["accuracy"] > 0.85
    status = loop.router_status()
    assert status is not None and status["champion"]["version"] == new_champion

    # A candidate fitted on the old concept and validated on old data passes the offline
    # gate against the champion on that holdout, then loses live.
    old = between(history, T0 - DAY, T0 + 5 * DAY)[["x1", "x2", "label"]]
    stale = pipeline().fit(old.iloc[:1600], target="label")
    proposed = loop.propose(T0 + 17 * DAY, stale, old.iloc[1600:2000], "hotfix from the notebook")
    assert proposed[-1].kind == "canary_started", proposed
    bad = proposed[-1].version
    assert registry.alias("churn", "challenger") == bad
    assert loop.state["state"] == "canary" and loop.state["candidate"] == bad

    later = between(history, T0 + 17 * DAY - pd.Timedelta(microseconds=1), T0 + 20 * DAY)
    timeline = loop.simulate(later, "t", "key", step=DAY.to_pytimedelta())
    rolled = timeline.of_kind("rolled_back")[-1]
    assert rolled.version == bad
    assert "accuracy" in rolled.reason
    assert loop.state == {"state": "stable", "champion": new_champion}
    assert registry.alias("churn", "champion") == new_champion
    assert registry.alias("churn", "challenger") is None
    trail = registry.history("churn", "challenger")
    assert trail[-1].action == "delete" and "canary rolled back" in trail[-1].reason
    champion_trail = registry.history("churn", "champion")
    assert "canary promoted" in champion_trail[-1].reason
    assert champion_trail[-1].actor == "loop"

    # Reports: table, JSON, HTML, text.
    frame = timeline.to_pandas()
    assert len(frame) == len(timeline) >= 10
    assert set(frame.kind) >= {"promoted", "rolled_back", "canary_started"}
    table = timeline.to_arrow()
    assert table.num_rows == len(timeline) and table.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert Timeline.from_json(timeline.to_json()).decisions == timeline.decisions
    html = timeline.to_html()
    assert "rolled back" in html and "promoted" in html and html.startswith("<!DOCTYPE html>")
    assert "<table>" in timeline._repr_html_() and "<body>" not in timeline._repr_html_()
    text = str(timeline)
    assert "rolled back" in text and "canary" in text
    assert len(text.splitlines()) == len(timeline.events())
    timeline.save_html(tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == html

    # Manual rollback of the champion goes back to the one before (alias and router).
    previous = registry.history("churn", "champion")[-1].from_version
    assert previous is not None and previous < new_champion
    d = loop.rollback_champion(T0 + 21 * DAY, "incident 42")
    assert d.kind == "rolled_back" and d.version == previous
    assert registry.alias("churn", "champion") == previous
    assert loop.router_status()["champion"]["version"] == previous
    assert "incident 42" in registry.history("churn", "champion")[-1].reason


def test_a_restarted_loop_resumes_from_the_registry_and_stays_quiet_without_drift(tmp_path):
    history = make_stream(8, 300, 100, 2)
    registry = fo.ModelRegistry(tmp_path / "reg")

    def make() -> fo.Lifecycle:
        return fo.Lifecycle(
            registry,
            "m",
            pipeline(),
            "label",
            lambda until: between(history, pd.Timestamp(until) - 4 * DAY, pd.Timestamp(until)),
            gate(),
            policy(),
            time_column="t",
            drop_columns=["t", "key"],
        )

    first = make()
    assert [d.kind for d in first.step(T0 + 4 * DAY)] == ["promoted"]
    del first
    again = make()  # a new process (a cron job) picks the champion up from the registry
    assert again.state == {"state": "stable", "champion": 1}
    for day in range(4, 8):
        window = between(history, T0 + day * DAY, T0 + (day + 1) * DAY)[["key", "x1", "x2", "label"]]
        decisions = again.step((T0 + (day + 1) * DAY).to_pydatetime(), window)
        assert [d.kind for d in decisions] == ["stable"], decisions
    assert len(registry.versions("m")) == 1


def test_the_store_source_joins_labels_up_to_now_with_features_as_of_each_label(tmp_path):
    store = fo.FeatureStore(tmp_path / "store")
    store.register(fo.Entity("user", "user_id"))
    store.register(fo.FeatureView("activity", ["user"], {"spend": "float64"}))
    store.register(fo.FeatureView("outcomes", ["user"], {"churned": "string"}))
    rng = np.random.default_rng(7)
    n_act, n_lab = 300, 120
    activity = pd.DataFrame(
        {
            "user_id": rng.integers(0, 20, size=n_act),
            "event_timestamp": T0 + pd.to_timedelta(rng.integers(0, 30 * 24, size=n_act), unit="h"),
            "spend": rng.gamma(2.0, 10.0, size=n_act).round(3),
        }
    ).drop_duplicates(["user_id", "event_timestamp"])
    labels = pd.DataFrame(
        {
            "user_id": rng.integers(0, 20, size=n_lab),
            "event_timestamp": T0 + pd.to_timedelta(rng.integers(0, 30 * 24, size=n_lab) + 0.5, unit="h"),
            "churned": rng.choice(["yes", "no"], size=n_lab),
        }
    ).drop_duplicates(["user_id", "event_timestamp"])
    activity["event_timestamp"] = activity.event_timestamp.astype("datetime64[us, UTC]")
    labels["event_timestamp"] = labels.event_timestamp.astype("datetime64[us, UTC]")
    store.write("activity", activity)
    store.write("outcomes", labels)

    now = T0 + 20 * DAY
    source = fo.StoreSource(store, "outcomes", ["activity:spend"])
    got = source.training_set(now.to_pydatetime())
    assert got.time_column == "event_timestamp"
    assert "user_id" in got.drop_columns and "event_timestamp" in got.drop_columns
    assert [v["view"] for v in got.lineage["feature_views"]] == ["outcomes", "activity"]
    frame = got.table.to_pandas()
    # Reference: pandas merge_asof, each label with the latest spend at or before its time.
    known = labels[labels.event_timestamp <= now].sort_values("event_timestamp")
    expected = pd.merge_asof(
        known,
        activity.sort_values("event_timestamp"),
        on="event_timestamp",
        by="user_id",
        direction="backward",
    )
    assert len(frame) == len(expected) > 0
    assert frame.event_timestamp.max() <= now  # labels after now excluded
    key = ["user_id", "event_timestamp"]
    merged = frame.merge(expected, on=key, suffixes=("", "_ref"))
    assert len(merged) == len(expected)
    np.testing.assert_allclose(merged.spend.to_numpy(float), merged.spend_ref.to_numpy(float), equal_nan=True)
    assert (merged.churned == merged.churned_ref).all()

    # It drives the loop: the first step trains on the joined set.
    loop = fo.Lifecycle(
        fo.ModelRegistry(tmp_path / "reg"),
        "churn",
        fo.Pipeline([fo.SimpleImputer(strategy="median")], trainer=fo.LogisticRegression()),
        "churned",
        source,
        fo.ModelGate([fo.threshold("accuracy", lower=0.0)]),
    )
    assert [d.kind for d in loop.step(now.to_pydatetime())] == ["promoted"]
    lineage = loop.registry.version("churn", 1).lineage
    assert [v["view"] for v in lineage["feature_views"]] == ["outcomes", "activity"]


def test_a_raising_source_is_a_ferrops_error_with_the_message_and_registers_nothing(tmp_path):
    registry = fo.ModelRegistry(tmp_path / "reg")

    def broken(until: dt.datetime) -> pd.DataFrame:
        raise RuntimeError("warehouse unreachable: timeout after 30 s")

    loop = fo.Lifecycle(registry, "m", pipeline(), "label", broken, gate(), policy())
    with pytest.raises(fo.FerropsError, match="warehouse unreachable"):
        loop.step(T0)
    assert registry.models() == []
    assert loop.state == {"state": "empty"}
    last = loop.timeline.decisions[-1]
    assert last.kind == "error" and "warehouse unreachable" in last.reason

    # A source returning something that is not a table: also a clear error.
    loop = fo.Lifecycle(registry, "m", pipeline(), "label", lambda until: None, gate(), policy())
    with pytest.raises(fo.FerropsError, match="returned None"):
        loop.step(T0)
    # A missing time column named for the callable source.
    history = make_stream(2, 50, 100, 3)
    loop = fo.Lifecycle(registry, "m", pipeline(), "label", lambda until: history, gate(), policy(), time_column="nope")
    with pytest.raises(fo.SchemaError, match="nope"):
        loop.step(T0 + 3 * DAY)
    assert registry.models() == []


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"canary_fraction": 1.5}, "canary_fraction"),
        ({"canary_fraction": 0.0}, "canary_fraction"),
        ({"holdout_fraction": 1.0}, "holdout_fraction"),
        ({"metrics": []}, "metrics"),
        ({"cooldown_micros": -1}, "cooldown_micros"),
        ({"canary_fraction": float("nan")}, "finite"),
        ({"canary_fraction": "half"}, "policy"),
        ({"rollback": {"min_request": 3}}, "min_request"),
        ({"rollback": 3}, "rollback"),
    ],
)
def test_bad_policy_values_are_invalid_parameter_errors(kwargs, field):
    with pytest.raises(fo.InvalidParameterError, match=field):
        fo.LifecyclePolicy(**kwargs)


def test_policy_defaults_round_trip_and_bad_loop_arguments(tmp_path):
    p = fo.LifecyclePolicy()
    assert p.canary_fraction == 0.2 and p.holdout_fraction == 0.2 and p.max_metric_drop == 0.05
    assert p.rollback["promote_after"] == 400
    q = fo.LifecyclePolicy(max_metric_drop=None, min_metric=0.7, cooldown_micros=dt.timedelta(hours=2))
    assert q.max_metric_drop is None and q.min_metric == 0.7 and q.cooldown_micros == 7_200_000_000
    assert fo.LifecyclePolicy.from_json(q.to_json()) == q
    assert "min_metric=0.7" in repr(q)
    registry = fo.ModelRegistry(tmp_path / "reg")
    with pytest.raises(fo.InvalidParameterError, match="trainer"):
        fo.Lifecycle(registry, "m", fo.Pipeline([fo.StandardScaler()]), "y", lambda u: None, gate())
    with pytest.raises(fo.InvalidParameterError, match="source"):
        fo.Lifecycle(registry, "m", pipeline(), "y", 42, gate())
    with pytest.raises(fo.InvalidParameterError, match="gate"):
        fo.Lifecycle(registry, "m", pipeline(), "y", lambda u: None, {"accuracy": 0.5})
    with pytest.raises(fo.InvalidParameterError, match="step"):
        fo.Lifecycle(registry, "m", pipeline(), "y", lambda u: None, gate()).simulate(
            make_stream(1, 10, 100, 0), "t", step=dt.timedelta(0)
        )


def test_a_cron_driven_loop_resumes_its_canary_in_each_new_process(tmp_path, history):
    # Each step is a new loop on the same registry (as each cron run is a new process),
    # given the day's served rows. A canary started by one run goes on in the next
    # (router and state rebuilt from the `challenger` alias), judged on the window
    # replayed through the router by routing key; it is promoted by a later run.
    registry = fo.ModelRegistry(tmp_path / "reg", actor="cron")
    policy_with_key = fo.LifecyclePolicy(**{**policy().to_dict(), "key_column": "key"})
    assert policy_with_key.key_column == "key"

    def make() -> fo.Lifecycle:
        return fo.Lifecycle(registry, "churn", pipeline(), "label", window_source(history, 4), gate(), policy_with_key)

    make().step(T0 + 5 * DAY - pd.Timedelta(microseconds=1))
    events, resumed = [], 0
    for day in range(5, 20):
        run = make()
        if run.state["state"] == "canary":
            resumed += 1
            assert registry.alias("churn", "challenger") == run.state["candidate"]
            assert run.router_status()["mode"] == "canary"
        window = between(history, T0 + day * DAY, T0 + (day + 1) * DAY)[["key", "x1", "x2", "label"]]
        events += [(day, d) for d in run.step(T0 + (day + 1) * DAY, window) if d.kind != "stable"]
    assert resumed >= 1, events
    started = next(day for day, d in events if d.kind == "canary_started")
    promoted = [(day, d) for day, d in events if d.kind == "promoted"]
    assert promoted and promoted[0][0] > started, "\n".join(
        f"{day} {d.kind} {d.version} {d.reason[:200]}" for day, d in events
    )
    assert "labelled rows since the canary started (from the training source) replayed" in promoted[0][1].reason
    assert registry.alias("churn", "champion") == promoted[-1][1].version
