"""ferrops.ModelRegistry: versions, lineage, aliases by compare-and-swap, the audit log,
integrity, search, and several OS processes sharing one registry.

What is checked against something other than ferrops itself: the stored files' SHA-256
against ``hashlib`` over the bytes on disk, the sizes against ``os.path.getsize``, the
registration times against the wall clock, predictions of a loaded version against the
pipeline that was registered, and version numbers / log entries against what the
competing processes report they got.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ferrops as fo
from ferrops.registry import ANY, AliasEvent, ModelVersion

UTC = dt.UTC


def _frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(50, 10, n)
    b = rng.normal(0, 1, n)
    city = rng.choice(["paris", "lyon", "nice"], n)
    score = (a - 50) / 10 + (city == "nice") * 1.5 + b + rng.normal(0, 0.5, n)
    return pd.DataFrame({"a": a, "b": b, "city": city, "label": np.where(score > 0.3, "yes", "no")})


def _fit(seed: int = 0) -> tuple[fo.Pipeline, pd.DataFrame]:
    df = _frame(seed=seed)
    X = df.drop(columns="label")
    pipe = fo.Pipeline([fo.StandardScaler(["a", "b"]), fo.OneHotEncoder(["city"])], trainer=fo.LogisticRegression())
    return pipe.fit(X, df["label"]), X


@pytest.fixture
def fitted():
    return _fit()


@pytest.fixture
def reg(tmp_path):
    return fo.ModelRegistry(tmp_path / "reg", actor="tester")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_path(root: Path, model: str, version: int) -> Path:
    return root / model / "versions" / f"{version:010d}.json"


# ---------------------------------------------------------------- versions and metadata


def test_round_trip_predicts_as_the_registered_pipeline(reg, fitted, tmp_path):
    pipe, X = fitted
    v = reg.register("churn", pipe)
    assert isinstance(v, ModelVersion) and (v.name, v.version) == ("churn", 1)
    loaded = reg.load("churn", 1)
    assert isinstance(loaded, fo.Pipeline)
    other = _frame(25, seed=7).drop(columns="label")
    for frame in (X, other):
        assert loaded.predict(frame).tolist() == pipe.predict(frame).tolist()
        np.testing.assert_array_equal(loaded.predict_proba(frame), pipe.predict_proba(frame))
    assert loaded.classes_.tolist() == ["no", "yes"]
    assert loaded.feature_names_in_ == ["a", "b", "city"]
    assert loaded.model_version_ == v
    # "latest", "v1" and 1 name the same version.
    assert reg.load("churn", "latest").model_version_ == reg.load("churn", "v1").model_version_ == v


def test_metadata_is_recorded_and_matches_the_files_on_disk(reg, fitted, tmp_path):
    pipe, X = fitted
    profile = fo.drift.Profile.from_table(X)
    before = dt.datetime.now(UTC)
    v = reg.register(
        "churn",
        pipe,
        metrics={"accuracy": np.float64(0.91), "auc": 0.95},
        tags={"team": "risk", "week": 47},
        params={"C": 1.0, "cols": np.array([1, 2]), "solver": "lbfgs", "n": np.int64(3)},
        description="weekly retrain",
        seed=42,
        training_data=X,
        profile=profile,
    )
    after = dt.datetime.now(UTC)
    assert before <= v.created_at <= after and v.created_at.tzinfo is not None
    assert v.created_by == "tester"
    assert v.description == "weekly retrain"
    assert v.metrics == {"accuracy": 0.91, "auc": 0.95}
    assert v.tags == {"team": "risk", "week": "47"}
    assert v.params == {"C": 1.0, "cols": [1, 2], "solver": "lbfgs", "n": 3}
    assert v.seed == 42
    assert v.ferrops_version == fo.__version__
    assert [c for c, _ in v.inputs] == ["a", "b", "city"] and v.target == "label"
    table = v.lineage["training_table"]
    assert table["rows"] == len(X) and table["columns"] == ["a", "b", "city"]
    assert v.lineage["feature_views"] == []
    # Files: every recorded hash is the SHA-256 of the stored bytes, sizes add up.
    root = tmp_path / "reg"
    sizes = 0
    assert "manifest.json" in v.files
    for entry in v.files.values():
        stored = root / "churn" / "objects" / entry["sha256"]
        assert _sha(stored) == entry["sha256"]
        assert os.path.getsize(stored) == entry["bytes"]
        sizes += entry["bytes"]
    stored_profile = root / "churn" / "objects" / v.profile_sha256
    assert _sha(stored_profile) == v.profile_sha256
    assert v.artifact_bytes == sizes + os.path.getsize(stored_profile)
    assert v.record_sha256 == _sha(_record_path(root, "churn", 1))
    # Read back (another handle: from storage, not the cache) it is the same record.
    again = fo.ModelRegistry(root).version("churn", 1)
    assert again == v and again.to_dict() == v.to_dict()
    assert again.lineage == v.lineage and again.params == v.params
    # The profile comes back equal.
    assert reg.load_profile("churn", 1) == profile
    d = v.to_dict()
    assert d["metrics"]["accuracy"] == 0.91 and d["created_at"] == v.created_at
    assert "churn" in repr(v) and "v1" in repr(v)


def test_fingerprints_tell_training_tables_apart(reg, fitted):
    pipe, X = fitted
    a = reg.register("m", pipe, training_data=X)
    b = reg.register("m", pipe, training_data=pa_table(X))
    c = reg.register("m", pipe, training_data=X.iloc[:-1])
    d = reg.register("m", pipe, training_data=X.assign(a=X["a"] + 1e-9))
    fp = [v.lineage["training_table"]["sha256"] for v in (a, b, c, d)]
    assert fp[0] == fp[1]  # pandas and the same pyarrow table: same data
    assert len({fp[0], fp[2], fp[3]}) == 3
    assert reg.load_profile("m", 1) is None


def pa_table(frame: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def test_feature_view_lineage_from_the_store(reg, fitted, tmp_path):
    pipe, _ = fitted
    store = fo.FeatureStore(tmp_path / "fs")
    store.register(fo.Entity("driver", "driver_id"), fo.FeatureView("stats", ["driver"], {"rate": "float64"}))
    rows = pd.DataFrame(
        {
            "driver_id": [1, 2],
            "event_timestamp": pd.to_datetime([1_700_000_000, 1_700_000_001], unit="s", utc=True),
            "rate": [0.5, 0.7],
        }
    )
    store.write("stats", rows)
    store.write("stats", rows.assign(rate=[0.1, 0.2]))
    v = reg.register("m", pipe, feature_views=["stats"], store=store)
    assert v.lineage["feature_views"] == [{"view": "stats", "version": store.version("stats")}]
    assert store.version("stats") >= 2
    with pytest.raises(fo.StoreError):
        reg.register("m", pipe, feature_views=["nope"], store=store)
    with pytest.raises(fo.InvalidParameterError, match="store"):
        reg.register("m", pipe, feature_views="stats")
    assert [x.version for x in reg.versions("m")] == [1]  # failed registrations left nothing
    # A point-in-time training set records the versions it read (not the current ones).
    first = store.version("stats") - 1
    labels = pd.DataFrame(
        {
            "driver_id": [1, 2],
            "event_timestamp": pd.to_datetime([1_700_000_005] * 2, unit="s", utc=True),
            "label": [0, 1],
        }
    )
    ts = store.training_set(labels, ["stats:rate"], versions={"stats": first})
    assert ts.lineage == {"stats": first}
    v2 = reg.register("m", pipe, training_set=ts)
    assert v2.lineage["feature_views"] == [{"view": "stats", "version": first}]
    assert v2.lineage["training_table"]["rows"] == 2
    v3 = reg.register("m", pipe, training_data=ts.table)
    assert v3.lineage["training_table"] == v2.lineage["training_table"]  # the set's own table
    with pytest.raises(fo.InvalidParameterError, match="not both"):
        reg.register("m", pipe, training_set=ts, feature_views=["stats"], store=store)
    with pytest.raises(fo.InvalidParameterError):
        reg.register("m", pipe, training_set=labels)


def test_versions_models_resolve_and_unknowns(reg, fitted):
    pipe, _ = fitted
    for _ in range(3):
        reg.register("churn", pipe)
    reg.register("fraud", pipe)
    assert reg.models() == ["churn", "fraud"]
    assert [v.version for v in reg.versions("churn")] == [1, 2, 3]
    assert reg.resolve("churn", "latest").version == 3
    assert reg.resolve("churn", "v2").version == reg.resolve("churn", 2).version == 2
    assert reg.version("churn", 2) == reg.resolve("churn", np.int64(2))
    with pytest.raises(fo.StoreError, match="v3"):  # lists what exists
        reg.version("churn", 9)
    with pytest.raises(fo.StoreError, match="churn"):
        reg.versions("nope")
    with pytest.raises(fo.StoreError):
        reg.load("churn", "champion")  # no such alias
    with pytest.raises(fo.InvalidParameterError):
        reg.load("churn", True)
    with pytest.raises(fo.InvalidParameterError):
        reg.version("churn", 0)


@pytest.mark.parametrize("name", ["../x", "a/b", "", "..", "a b", "x\\y"])
def test_hostile_model_names_are_refused(reg, fitted, tmp_path, name):
    pipe, _ = fitted
    with pytest.raises(fo.InvalidParameterError):
        reg.register(name, pipe)
    assert not (tmp_path / "x").exists()
    with pytest.raises(fo.InvalidParameterError):
        reg.versions(name)


def test_bad_metadata_is_refused(reg, fitted):
    pipe, _ = fitted
    with pytest.raises(fo.InvalidParameterError, match="finite"):
        reg.register("m", pipe, metrics={"acc": float("nan")})
    with pytest.raises(fo.InvalidParameterError):
        reg.register("m", pipe, metrics={"acc": "high"})
    with pytest.raises(fo.InvalidParameterError, match="JSON"):
        reg.register("m", pipe, params={"f": object()})
    with pytest.raises(fo.InvalidParameterError):
        reg.register("m", pipe, params={"x": float("inf")})
    with pytest.raises(fo.InvalidParameterError):
        reg.register("m", pipe, seed=-1)
    with pytest.raises(fo.NotFittedError):
        reg.register("m", fo.Pipeline([], trainer=fo.LogisticRegression()))
    assert reg.models() == []


# ---------------------------------------------------------------- aliases


def test_set_alias_is_compare_and_swap(reg, fitted):
    pipe, _ = fitted
    for _ in range(3):
        reg.register("m", pipe)
    e1 = reg.set_alias("m", "champion", 1, expected=None, reason="first")
    assert isinstance(e1, AliasEvent)
    assert (e1.seq, e1.alias, e1.action, e1.from_version, e1.to_version) == (1, "champion", "set", None, 1)
    assert (e1.actor, e1.reason) == ("tester", "first") and e1.at.tzinfo is not None
    assert e1.to_record_sha256 == reg.version("m", 1).record_sha256
    with pytest.raises(fo.ConflictError, match="tester") as err:  # says who moved it last
        reg.set_alias("m", "champion", 2, expected=None)
    assert isinstance(err.value, fo.StoreError)
    with pytest.raises(fo.ConflictError):
        reg.set_alias("m", "champion", 2, expected=3)
    assert reg.alias("m", "champion") == 1  # nothing written by the failed moves
    assert len(reg.history("m")) == 1
    e2 = reg.with_actor("ci").set_alias("m", "champion", 2, expected=1, reason="better")
    assert (e2.seq, e2.from_version, e2.to_version, e2.actor) == (2, 1, 2, "ci")
    reg.set_alias("m", "champion", 3, reason="forced")  # expected=ANY
    reg.set_alias("m", "challenger", reg.version("m", 1))
    assert reg.aliases("m") == {"champion": 3, "challenger": 1}
    assert reg.load("m").model_version_.version == 3  # default ref: champion
    with pytest.raises(fo.ConflictError):
        reg.delete_alias("m", "challenger", expected=2)
    d = reg.delete_alias("m", "challenger", expected=1, reason="retired")
    assert (d.action, d.from_version, d.to_version) == ("delete", 1, None)
    assert reg.alias("m", "challenger") is None and reg.aliases("m") == {"champion": 3}
    with pytest.raises(fo.StoreError):
        reg.set_alias("m", "champion", 9)  # unknown version
    with pytest.raises(fo.InvalidParameterError):
        reg.set_alias("m", "champion", 1, expected="2")
    hist = reg.history("m")
    assert [e.seq for e in hist] == [1, 2, 3, 4, 5]
    assert [e.alias for e in reg.history("m", "challenger")] == ["challenger", "challenger"]
    table = reg.history_table("m")
    assert table.num_rows == 5 and table.column("to_version").to_pylist() == [1, 2, 3, 1, None]
    assert str(table.schema.field("at").type) == "timestamp[us, tz=UTC]"
    assert hist[0].to_dict()["to_version"] == 1
    assert repr(ANY) == "ferrops.registry.ANY"


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "3", "V12", "", "a/b", "../x"])
def test_reserved_and_invalid_alias_names_are_refused(reg, fitted, alias):
    pipe, _ = fitted
    reg.register("m", pipe)
    with pytest.raises(fo.InvalidParameterError):
        reg.set_alias("m", alias, 1)
    assert reg.history("m") == []


def test_rollback_walks_back_n_deep(reg, fitted):
    pipe, _ = fitted
    for v in range(1, 5):
        reg.register("m", pipe)
        reg.set_alias("m", "champion", v, reason=f"promote {v}")
    assert reg.alias("m", "champion") == 4
    for want in (3, 2, 1):
        e = reg.rollback("m", reason=f"bad, back to {want}")
        assert (e.action, e.to_version, e.from_version) == ("rollback", want, want + 1)
        assert reg.alias("m", "champion") == want
        assert reg.load("m", "champion").model_version_.version == want
    with pytest.raises(fo.DataError, match="earlier"):
        reg.rollback("m")
    with pytest.raises(fo.StoreError):
        reg.rollback("m", "nobody")
    # A rollback undoes a delete.
    reg.set_alias("m", "champion", 2)
    reg.delete_alias("m", "champion")
    assert reg.alias("m", "champion") is None
    reg.rollback("m", "champion", reason="undo delete")
    assert reg.alias("m", "champion") == 2
    # Another handle replays the same state from the log.
    fresh = fo.ModelRegistry(reg.uri)
    assert fresh.aliases("m") == reg.aliases("m")
    assert [e.to_dict() for e in fresh.history("m")] == [e.to_dict() for e in reg.history("m")]


def test_alias_at_answers_which_version_served_when(reg, fitted):
    pipe, _ = fitted
    for _ in range(3):
        reg.register("m", pipe)
    events = []
    for v in (1, 2, 3):
        events.append(reg.set_alias("m", "champion", v))
        time.sleep(0.002)
    events.append(reg.rollback("m"))
    first = events[0].at
    assert reg.alias_at("m", "champion", first - dt.timedelta(microseconds=1)) is None
    for prev, e in zip([None, *events], events, strict=False):
        assert reg.alias_at("m", "champion", e.at) == e.to_version  # inclusive
        if prev is not None and prev.at < e.at:
            just_before = e.at - dt.timedelta(microseconds=1)
            assert reg.alias_at("m", "champion", just_before) == prev.to_version
    t = events[1].at
    micros = (t - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)
    # Naive datetimes are UTC; µs ints, ISO text, numpy datetime64 and other zones agree.
    for when in (
        t,
        t.replace(tzinfo=None),
        micros,
        t.isoformat(),
        np.datetime64(t.replace(tzinfo=None), "us"),
        t.astimezone(dt.timezone(dt.timedelta(hours=-5))),
        pd.Timestamp(t),
    ):
        assert reg.alias_at("m", "champion", when) == 2, when
    assert reg.alias_at("m", "champion", dt.datetime.now(UTC) + dt.timedelta(days=1)) == 2
    assert reg.alias_at("m", "other", t) is None
    with pytest.raises(fo.InvalidParameterError):
        reg.alias_at("m", "champion", "yesterday")


# ---------------------------------------------------------------- integrity


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_tampered_artifact_is_refused(reg, fitted, tmp_path):
    pipe, _ = fitted
    v = reg.register("m", pipe)
    reg.set_alias("m", "champion", 1)
    root = tmp_path / "reg"
    # Every artifact file in turn: a flipped byte is refused, through a version and an alias.
    for rel, entry in v.files.items():
        obj = root / "m" / "objects" / entry["sha256"]
        original = obj.read_bytes()
        _flip_byte(obj)
        fresh = fo.ModelRegistry(root)
        for ref in (1, "champion", "latest"):
            with pytest.raises(fo.IntegrityError):
                fresh.load("m", ref)
        obj.write_bytes(original[:-1])  # truncated
        with pytest.raises(fo.IntegrityError):
            fresh.load("m", 1)
        obj.unlink()  # missing
        with pytest.raises(fo.IntegrityError, match="missing"):
            fresh.load("m", 1)
        obj.write_bytes(original)
        assert fresh.load("m", 1).predict(_frame(5).drop(columns="label")).shape == (5,), rel


def test_tampered_version_record_is_refused_through_an_alias(reg, fitted, tmp_path):
    pipe, X = fitted
    v = reg.register("m", pipe, metrics={"accuracy": 0.7})
    reg.set_alias("m", "champion", 1)
    path = _record_path(tmp_path / "reg", "m", 1)
    record = json.loads(path.read_text())
    record["metrics"]["accuracy"] = 0.99  # someone "improves" the record
    path.write_text(json.dumps(record, indent=2))
    fresh = fo.ModelRegistry(tmp_path / "reg")
    with pytest.raises(fo.IntegrityError):
        fresh.load("m", "champion")
    with pytest.raises(fo.IntegrityError):
        fresh.resolve("m", "champion")
    # By number the (edited) record is read as is; its files still verify.
    assert fresh.version("m", 1).metrics["accuracy"] == 0.99 != v.metrics["accuracy"]
    # Pointing a record at another model's file is refused too.
    record["name"] = "other"
    path.write_text(json.dumps(record))
    with pytest.raises(fo.StoreError):
        fo.ModelRegistry(tmp_path / "reg").version("m", 1)


def test_tampered_profile_is_refused(reg, fitted, tmp_path):
    pipe, X = fitted
    v = reg.register("m", pipe, profile=X)  # a table is profiled
    assert isinstance(reg.load_profile("m", 1), fo.drift.Profile)
    _flip_byte(tmp_path / "reg" / "m" / "objects" / v.profile_sha256)
    with pytest.raises(fo.IntegrityError):
        fo.ModelRegistry(tmp_path / "reg").load_profile("m", 1)


# ---------------------------------------------------------------- search and display


def test_search_by_model_tag_and_metric(reg, fitted):
    pipe, _ = fitted
    reg.register("churn", pipe, metrics={"acc": 0.80}, tags={"team": "risk"})
    reg.register("churn", pipe, metrics={"acc": 0.90}, tags={"team": "risk", "env": "prod"})
    reg.register("churn", pipe, metrics={"acc": 0.85}, tags={"team": "growth"})
    reg.register("fraud", pipe, metrics={"acc": 0.95, "auc": 0.9}, tags={"team": "risk"})
    reg.register("fraud", pipe, tags={"team": "risk"})  # no metrics

    def ids(found):
        return [(v.name, v.version) for v in found]

    assert ids(reg.search()) == [("churn", 1), ("churn", 2), ("churn", 3), ("fraud", 1), ("fraud", 2)]
    assert ids(reg.search("fraud")) == [("fraud", 1), ("fraud", 2)]
    assert ids(reg.search(tags={"team": "risk"})) == [("churn", 1), ("churn", 2), ("fraud", 1), ("fraud", 2)]
    assert ids(reg.search(tags={"team": "risk", "env": "prod"})) == [("churn", 2)]
    assert ids(reg.search(min_metrics={"acc": 0.85})) == [("churn", 2), ("churn", 3), ("fraud", 1)]
    assert ids(reg.search(min_metrics={"acc": 0.82}, max_metrics={"acc": 0.9})) == [("churn", 2), ("churn", 3)]
    assert ids(reg.search(order_by="acc")) == [("fraud", 1), ("churn", 2), ("churn", 3), ("churn", 1), ("fraud", 2)]
    assert ids(reg.search(order_by="acc", descending=False, limit=2)) == [("churn", 1), ("churn", 3)]
    assert ids(reg.search("churn", order_by="acc", limit=1)) == [("churn", 2)]
    assert reg.search(tags={"team": "nobody"}) == []
    with pytest.raises(fo.InvalidParameterError):
        reg.search(limit=-1)


def test_html_shows_versions_and_aliases(reg, fitted):
    pipe, _ = fitted
    assert "0 model" in reg._repr_html_()
    reg.register("churn", pipe, metrics={"accuracy": 0.875}, tags={"team": "risk"}, description="first <b>")
    reg.register("churn", pipe, metrics={"accuracy": 0.9})
    reg.register("fraud", pipe)
    reg.set_alias("churn", "champion", 2, reason="better")
    page = reg._repr_html_()
    assert "churn" in page and "fraud" in page and "champion" in page
    assert "0.875" in page and "0.9" in page
    one = reg.html("churn")
    assert "fraud" not in one and "champion" in one
    v = reg.version("churn", 1)
    card = v._repr_html_()
    assert "churn" in card and "0.875" in card and "risk" in card
    assert "first <b>" not in card and "first &lt;b&gt;" in card  # escaped
    assert repr(reg) == f"ModelRegistry({reg.uri!r}, actor='tester')"


# ---------------------------------------------------------------- several processes

REGISTER = textwrap.dedent(
    """
    import os, sys, time
    import ferrops as fo

    root, artifact, worker, count, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    registry = fo.ModelRegistry(root, actor=f"worker-{worker}")
    pipe = fo.load(artifact)
    print("ready", 0, flush=True)
    while not os.path.exists(go):  # start together, to contend for numbers
        time.sleep(0.001)
    for i in range(count):
        v = registry.register("m", pipe, tags={"worker": worker, "i": i})
        print("registered", v.version, flush=True)
    """
)


def _spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _start_together(procs: list[subprocess.Popen], go: Path) -> None:
    """Wait until every process has imported ferrops and is ready, then let them all go."""
    for p in procs:
        line = p.stdout.readline() if p.stdout else ""
        assert line.startswith("ready"), (line, p.stderr.read() if p.stderr else "")
    go.touch()


def _numbers(out: str, word: str) -> list[int]:
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith(word)]


@pytest.fixture
def artifact(fitted, tmp_path):
    pipe, _ = fitted
    path = tmp_path / "artifact"
    pipe.save(path)
    return path


def test_concurrent_registration_from_processes_is_unique_and_gap_free(tmp_path, artifact, fitted):
    root = tmp_path / "reg"
    workers, count = 4, 5
    go = tmp_path / "go"
    procs = [_spawn(REGISTER, str(root), str(artifact), str(w), str(count), str(go)) for w in range(workers)]
    _start_together(procs, go)
    got: dict[int, list[int]] = {}
    for w, p in enumerate(procs):
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        got[w] = _numbers(out, "registered")
        assert len(got[w]) == count
        assert got[w] == sorted(got[w])  # one process's versions increase
    claimed = sorted(v for vs in got.values() for v in vs)
    assert claimed == list(range(1, workers * count + 1))  # unique, no gaps
    registry = fo.ModelRegistry(root)
    versions = registry.versions("m")
    assert [v.version for v in versions] == claimed
    for w, vs in got.items():  # each record is the one its process wrote
        for i, n in enumerate(vs):
            assert versions[n - 1].tags == {"worker": str(w), "i": str(i)}
            assert versions[n - 1].created_by == f"worker-{w}"
    pipe, X = fitted
    assert registry.load("m", workers * count).predict(X).tolist() == pipe.predict(X).tolist()


MOVER = textwrap.dedent(
    """
    import os, sys, time
    import ferrops as fo

    root, worker, moves, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    registry = fo.ModelRegistry(root, actor=f"mover-{worker}")
    done = conflicts = 0
    print("ready", 0, flush=True)
    while not os.path.exists(go):  # start together, to contend for the alias
        time.sleep(0.001)
    while done < moves:
        current = registry.alias("m", "champion")
        target = (worker + done) % 3 + 1
        try:
            e = registry.set_alias("m", "champion", target, expected=current, reason=f"{worker}:{done}")
        except fo.ConflictError:
            conflicts += 1
            continue
        assert e.from_version == current, (e, current)
        print("moved", e.seq, flush=True)
        done += 1
    print("conflicts", conflicts, flush=True)
    """
)


def test_concurrent_alias_moves_hold_compare_and_swap(tmp_path, fitted):
    pipe, _ = fitted
    root = tmp_path / "reg"
    registry = fo.ModelRegistry(root)
    for _ in range(3):
        registry.register("m", pipe)
    workers, moves = 4, 15
    go = tmp_path / "go"
    procs = [_spawn(MOVER, str(root), str(w), str(moves), str(go)) for w in range(workers)]
    _start_together(procs, go)
    seqs: list[int] = []
    conflicts = 0
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        seqs += _numbers(out, "moved")
        conflicts += sum(_numbers(out, "conflicts"))
    print(f"{conflicts} compare-and-swap conflicts were retried")  # contention is likely, not certain
    history = registry.history("m")
    # Every successful move is exactly one log entry, numbered without gaps.
    assert sorted(seqs) == [e.seq for e in history] == list(range(1, workers * moves + 1))
    # The chain holds: each move started where the previous one left the alias.
    previous = None
    for e in history:
        assert e.from_version == previous, e
        previous = e.to_version
    per_actor = {f"mover-{w}": 0 for w in range(workers)}
    for e in history:
        per_actor[e.actor] += 1
    assert set(per_actor.values()) == {moves}
    # A fresh handle replays the log to the same state.
    fresh = fo.ModelRegistry(root)
    assert fresh.aliases("m") == {"champion": history[-1].to_version}
    assert fresh.alias("m", "champion") == registry.alias("m", "champion")


KILLED = textwrap.dedent(
    """
    import sys
    import ferrops as fo

    root, artifact = sys.argv[1], sys.argv[2]
    registry = fo.ModelRegistry(root)
    pipe = fo.load(artifact)
    while True:
        registry.register("m", pipe, metrics={"x": 1.0})
    """
)


def test_a_killed_registration_leaves_no_half_version(tmp_path, artifact, fitted):
    root = tmp_path / "reg"
    proc = _spawn(KILLED, str(root), str(artifact))
    versions_dir = root / "m" / "versions"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if versions_dir.exists() and len(list(versions_dir.iterdir())) >= 4:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.01)
        else:
            pytest.fail("the registering process made no versions")
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        proc.communicate(timeout=60)
    registry = fo.ModelRegistry(root)
    versions = registry.versions("m")
    n = len(versions)
    assert n >= 4 and [v.version for v in versions] == list(range(1, n + 1))
    pipe, X = fitted
    expected = pipe.predict(X).tolist()
    for v in versions:  # every visible version is whole and verifies
        assert registry.load("m", v.version).predict(X).tolist() == expected
    assert registry.register("m", pipe).version == n + 1


# ---------------------------------------------------------------- object storage (moto's S3 server)


def test_registry_on_s3(s3_endpoint, fitted, artifact, tmp_path):
    pytest.importorskip("boto3")
    import uuid

    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    bucket = f"ferrops-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    uri = f"s3://{bucket}/models"
    pipe, X = fitted
    reg = fo.ModelRegistry(uri, actor="s3-test")
    v1 = reg.register("m", pipe, metrics={"acc": 0.8}, training_data=X)
    assert reg.load("m", 1).predict(X).tolist() == pipe.predict(X).tolist()
    # The objects are in the bucket under their SHA-256.
    for entry in v1.files.values():
        body = client.get_object(Bucket=bucket, Key=f"models/m/objects/{entry['sha256']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    # Registrations from processes get unique, gap-free numbers through conditional writes.
    go = tmp_path / "go"
    procs = [_spawn(REGISTER, uri, str(artifact), str(w), "3", str(go)) for w in range(3)]
    _start_together(procs, go)
    claimed = [1]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        claimed += _numbers(out, "registered")
    assert sorted(claimed) == list(range(1, 11))
    assert [v.version for v in reg.versions("m")] == list(range(1, 11))
    # Compare-and-swap and rollback.
    reg.set_alias("m", "champion", 1, expected=None)
    with pytest.raises(fo.ConflictError):
        reg.set_alias("m", "champion", 2, expected=None)
    reg.set_alias("m", "champion", 2, expected=1)
    reg.rollback("m")
    assert fo.ModelRegistry(uri).alias("m", "champion") == 1
    # A tampered object in the bucket is refused.
    key = f"models/m/objects/{v1.files['model.json']['sha256']}"
    body = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[5] ^= 1
    client.put_object(Bucket=bucket, Key=key, Body=bytes(body))
    with pytest.raises(fo.IntegrityError):
        fo.ModelRegistry(uri).load("m", "champion")
