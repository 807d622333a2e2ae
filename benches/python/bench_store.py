"""Feature store: ferrops vs Feast (file offline store, SQLite online store) vs pandas,
in the same run on the same data.

One feature table (driver_id int64, event_timestamp, created, 3 float features; event
times at whole seconds over 30 days, ``created`` 1-60 minutes later) and entity rows
(driver_id, event_timestamp, label; some keys without any feature row; a fraction of
the rows repeated exactly, as when two labels are observed at the same time) are
generated with a seeded numpy generator and written once as Parquet (Feast's FileSource
and pandas read that file) and once into a ferrops store (the write is timed).

Offline: ``store.historical_features(entity_df, refs)`` vs Feast's
``FeatureStore.get_historical_features(entity_df, refs).to_df()`` vs a pandas
reference (``read_parquet``, stable sort by event and created time, ``merge_asof`` by
key, backward, tolerance = TTL). Each runs in its own subprocess (``--repeat`` times,
best reported), so its peak RSS (``ru_maxrss`` from ``wait4``) is its own; a
subprocess that only imports and loads the entity rows gives the baseline. The outputs
are compared value by value on a row id carried through as a pass-through column.

Online: ``store.materialize`` then ``store.online_features({"driver_id": [k]}, refs)``
for single keys (p50/p99 over ``--lookups`` keys, result converted to a dict) and one
batch of 1,000 keys, vs Feast's ``materialize`` into its default SQLite online store and
``get_online_features(...).to_dict()`` on the same keys. Served values are checked
against the latest row per key.

Ratios > 1 mean ferrops is faster. Feast is optional: without it (or with
``--skip-feast``) only ferrops and pandas run. Feast belongs in a separate venv::

    python3 -m venv /work/feast-venv && /work/feast-venv/bin/pip install feast pandas pyarrow
    maturin build --release -o /tmp/ferrops-wheels && /work/feast-venv/bin/pip install /tmp/ferrops-wheels/*.whl
    /work/feast-venv/bin/python benches/python/bench_store.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2024-01-01", tz="UTC")
SPAN_SECONDS = 30 * 86_400
FEATURES = ["conv_rate", "acc_rate", "avg_daily_trips"]
VIEW = "driver_stats"
REFS = [f"{VIEW}:{f}" for f in FEATURES]


# ----------------------------------------------------------------------------- data


def make_data(feature_rows: int, entity_rows: int, keys: int, duplicates: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    event = T0 + pd.to_timedelta(rng.integers(0, SPAN_SECONDS, feature_rows), unit="s")
    features = pd.DataFrame(
        {
            "driver_id": rng.integers(0, keys, feature_rows).astype("int64"),
            "event_timestamp": event,
            "created": event + pd.to_timedelta(rng.integers(60, 3_600, feature_rows), unit="s"),
            **{f: rng.random(feature_rows) for f in FEATURES},
        }
    )
    n_unique = max(1, int(round(entity_rows * (1 - duplicates))))
    entities = pd.DataFrame(
        {
            # 10% more keys than have rows: some entity rows find nothing.
            "driver_id": rng.integers(0, keys + keys // 10, n_unique).astype("int64"),
            "event_timestamp": T0 + pd.to_timedelta(rng.integers(0, SPAN_SECONDS, n_unique), unit="s"),
        }
    )
    repeat = rng.integers(0, n_unique, entity_rows - n_unique)
    entities = pd.concat([entities, entities.iloc[repeat]], ignore_index=True)
    entities = entities.iloc[rng.permutation(len(entities))].reset_index(drop=True)
    entities["label"] = rng.integers(0, 2, len(entities)).astype("int64")
    entities["row_id"] = np.arange(len(entities), dtype="int64")
    for frame in (features, entities):
        for c in ("event_timestamp", "created"):
            if c in frame:
                frame[c] = frame[c].astype("datetime64[us, UTC]")
    return features, entities


# -------------------------------------------------------------------------- workers


def _best(times: list[float]) -> float:
    return min(times)


def _ferrops_store(cfg: dict, fresh: bool = False):
    import ferrops as fo

    path = Path(cfg["work"]) / "ferrops-store"
    if fresh and path.exists():
        shutil.rmtree(path)
    store = fo.FeatureStore(str(path))
    if fresh:
        driver = fo.Entity("driver", "driver_id", dtype="int64")
        view = fo.FeatureView(
            VIEW,
            entities=[driver],
            features={f: "float64" for f in FEATURES},
            timestamp_field="event_timestamp",
            created_timestamp_field="created",
            ttl=timedelta(hours=cfg["ttl_hours"]),
        )
        store.register(driver, view)
    return store


def _feast_store(cfg: dict):
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64

    repo = Path(cfg["work"]) / "feast-repo"
    if not (repo / "feature_store.yaml").exists():
        (repo / "data").mkdir(parents=True, exist_ok=True)
        (repo / "feature_store.yaml").write_text(
            "project: bench\n"
            "registry: data/registry.db\n"
            "provider: local\n"
            "online_store:\n  type: sqlite\n  path: data/online.db\n"
            "offline_store:\n  type: file\n"
            "entity_key_serialization_version: 3\n"
        )
    fs = FeatureStore(repo_path=str(repo))
    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
    source = FileSource(
        path=str(Path(cfg["work"]) / "features.parquet"),
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )
    view = FeatureView(
        name=VIEW,
        entities=[driver],
        ttl=timedelta(hours=cfg["ttl_hours"]),
        schema=[Field(name=f, dtype=Float64) for f in FEATURES],
        source=source,
    )
    fs.apply([driver, view])
    return fs


def _entities(cfg: dict) -> pd.DataFrame:
    return pd.read_parquet(Path(cfg["work"]) / "entities.parquet")


def worker_baseline(cfg: dict) -> dict:
    import pyarrow  # noqa: F401

    _entities(cfg)
    return {}


def worker_ferrops_write(cfg: dict) -> dict:
    features = pd.read_parquet(Path(cfg["work"]) / "features.parquet")
    times, parquet = [], []
    for _ in range(cfg["repeat"]):
        store = _ferrops_store(cfg, fresh=True)
        start = time.perf_counter()
        store.write(VIEW, features)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        features.to_parquet(Path(cfg["work"]) / "features-copy.parquet", index=False)
        parquet.append(time.perf_counter() - start)
    return {"times": times, "parquet_times": parquet}


def worker_ferrops_historical(cfg: dict) -> dict:
    entities = _entities(cfg)
    store = _ferrops_store(cfg)
    times = []
    for _ in range(cfg["repeat"]):
        start = time.perf_counter()
        out = store.historical_features(entities, REFS)
        times.append(time.perf_counter() - start)
    out.to_parquet(Path(cfg["work"]) / "out-ferrops.parquet", index=False)
    return {"times": times, "rows": len(out)}


def pandas_pit(features: pd.DataFrame, entities: pd.DataFrame, ttl: pd.Timedelta) -> pd.DataFrame:
    """The reference: per entity row, the feature row with the same key and the latest
    event time in [t - ttl, t]; ties on event time go to the latest created time (then
    to the later row), as Feast documents and ferrops implements."""
    right = features.sort_values(["event_timestamp", "created"], kind="stable")
    left = entities.sort_values("event_timestamp", kind="stable")
    out = pd.merge_asof(
        left,
        right.drop(columns=["created"]),
        on="event_timestamp",
        by="driver_id",
        tolerance=ttl,
        direction="backward",
        allow_exact_matches=True,
    )
    return out.sort_values("row_id", kind="stable").reset_index(drop=True)


def worker_pandas_historical(cfg: dict) -> dict:
    entities = _entities(cfg)
    ttl = pd.Timedelta(hours=cfg["ttl_hours"])
    times, join_times = [], []
    for _ in range(cfg["repeat"]):
        start = time.perf_counter()
        features = pd.read_parquet(Path(cfg["work"]) / "features.parquet")
        mid = time.perf_counter()
        out = pandas_pit(features, entities, ttl)
        end = time.perf_counter()
        times.append(end - start)
        join_times.append(end - mid)
    out.to_parquet(Path(cfg["work"]) / "out-pandas.parquet", index=False)
    return {"times": times, "join_times": join_times, "rows": len(out)}


def worker_feast_historical(cfg: dict) -> dict:
    import feast

    entities = _entities(cfg)
    fs = _feast_store(cfg)
    refs = list(REFS)
    times = []
    for _ in range(cfg["feast_repeat"]):
        start = time.perf_counter()
        out = fs.get_historical_features(entity_df=entities, features=refs).to_df()
        times.append(time.perf_counter() - start)
    out.to_parquet(Path(cfg["work"]) / "out-feast.parquet", index=False)
    return {"times": times, "rows": len(out), "version": feast.__version__}


def _lookup_keys(cfg: dict) -> list[int]:
    rng = np.random.default_rng(1)
    return [int(k) for k in rng.integers(0, cfg["keys"], cfg["lookups"])]


def _batch_keys(cfg: dict) -> list[int]:
    rng = np.random.default_rng(2)
    return [int(k) for k in rng.integers(0, cfg["keys"], 1_000)]


def _end(cfg: dict) -> datetime:
    return (T0 + pd.Timedelta(seconds=SPAN_SECONDS)).to_pydatetime()


def _online_out(cfg: dict, name: str, keys: list[int], values: dict, status: dict | None = None) -> None:
    frame = pd.DataFrame({"driver_id": keys, **{f: values[f] for f in FEATURES}})
    if status is not None:
        frame["status"] = status[FEATURES[0]]
    frame.to_parquet(Path(cfg["work"]) / f"online-{name}.parquet", index=False)


def worker_ferrops_online(cfg: dict) -> dict:
    store = _ferrops_store(cfg)
    end = _end(cfg)
    start = time.perf_counter()
    store.materialize(VIEW, None, end)
    materialize = time.perf_counter() - start
    keys = _lookup_keys(cfg)
    store.online_features({"driver_id": keys[:1]}, REFS, now=end)  # load the snapshot
    single, values = [], {f: [] for f in FEATURES}
    status: dict[str, list[str]] = {f: [] for f in FEATURES}
    for k in keys:
        start = time.perf_counter()
        got = store.online_features({"driver_id": [k]}, REFS, now=end)
        row = got.to_dict()
        single.append(time.perf_counter() - start)
        for f in FEATURES:
            values[f].append(row[f][0])
            status[f].append(got.status[f][0])
    _online_out(cfg, "ferrops", keys, values, status)
    batch_keys, batch = _batch_keys(cfg), []
    for _ in range(max(cfg["repeat"], 5)):
        start = time.perf_counter()
        store.online_features({"driver_id": batch_keys}, REFS, now=end).to_dict()
        batch.append(time.perf_counter() - start)
    return {"materialize": materialize, "single": single, "batch": batch}


def worker_feast_online(cfg: dict) -> dict:
    fs = _feast_store(cfg)
    end = _end(cfg)
    start = time.perf_counter()
    fs.materialize(start_date=(T0 - pd.Timedelta(days=1)).to_pydatetime(), end_date=end)
    materialize = time.perf_counter() - start
    keys = _lookup_keys(cfg)
    refs = list(REFS)
    fs.get_online_features(features=refs, entity_rows=[{"driver_id": keys[0]}]).to_dict()
    single, values = [], {f: [] for f in FEATURES}
    for k in keys:
        start = time.perf_counter()
        row = fs.get_online_features(features=refs, entity_rows=[{"driver_id": k}]).to_dict()
        single.append(time.perf_counter() - start)
        for f in FEATURES:
            values[f].append(row[f][0])
    _online_out(cfg, "feast", keys, values)
    rows = [{"driver_id": k} for k in _batch_keys(cfg)]
    batch = []
    for _ in range(max(cfg["repeat"], 5)):
        start = time.perf_counter()
        fs.get_online_features(features=refs, entity_rows=rows).to_dict()
        batch.append(time.perf_counter() - start)
    return {"materialize": materialize, "single": single, "batch": batch}


WORKERS = {
    "baseline": worker_baseline,
    "ferrops-write": worker_ferrops_write,
    "ferrops-historical": worker_ferrops_historical,
    "pandas-historical": worker_pandas_historical,
    "feast-historical": worker_feast_historical,
    "ferrops-online": worker_ferrops_online,
    "feast-online": worker_feast_online,
}


# --------------------------------------------------------------------------- parent


def run_worker(name: str, cfg: dict, mem_limit_gb: float) -> dict:
    """Run one worker in a fresh interpreter; its result, wall time and peak RSS."""
    cfg_path = Path(cfg["work"]) / "config.json"
    cfg_path.write_text(json.dumps(cfg))
    out_path = Path(cfg["work"]) / f"result-{name}.json"
    out_path.unlink(missing_ok=True)
    limit = int(mem_limit_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", name, "--config", str(cfg_path), "--result", str(out_path)],
        preexec_fn=cap if mem_limit_gb > 0 else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    peak_mb = usage.ru_maxrss / 1024
    if proc.returncode != 0 or not out_path.exists():
        tail = stderr.decode(errors="replace").strip().splitlines()[-5:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail), "peak_mb": peak_mb, "wall": wall}
    result = json.loads(out_path.read_text())
    result["peak_mb"] = peak_mb
    result["wall"] = wall
    return result


def importable(module: str) -> str | None:
    """None if `module` imports in a fresh interpreter, else why not."""
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return (proc.stderr.strip().splitlines() or ["import failed"])[-1]


def compare(name: str, out: pd.DataFrame, ref: pd.DataFrame, ref_name: str, feature_keys: set) -> list[str]:
    """Differences of `out` against `ref` (joined on row_id); `feature_keys`: the keys
    that have feature rows."""
    notes = []
    counts = out["row_id"].value_counts()
    missing = len(set(ref["row_id"]) - set(out["row_id"]))
    dup = int((counts > 1).sum())
    notes.append(
        f"{name}: {len(out)} rows for {len(ref)} entity rows "
        f"({missing} entity rows missing, {dup} entity rows more than once)"
    )
    if missing:
        lost = ref[~ref["row_id"].isin(out["row_id"])]
        repeated = ref.duplicated(["driver_id", "event_timestamp"], keep=False)
        lost_repeat = int(repeated[lost.index].sum())
        known = feature_keys
        unmatched = lost[FEATURES[0]].isna() & ~repeated[lost.index]
        lost_ttl = int((unmatched & lost["driver_id"].isin(known)).sum())
        notes.append(
            f"  missing: {lost_repeat} are exact repeats (same key and time) of another entity row, "
            f"{lost_ttl} have no feature row within the TTL though their key has rows, "
            f"{int(unmatched.sum()) - lost_ttl} others without a match, "
            f"{missing - lost_repeat - int(unmatched.sum())} others with a match"
        )
    merged = ref.merge(out.drop_duplicates("row_id"), on="row_id", suffixes=("_ref", ""), how="inner")
    for f in FEATURES:
        a, b = merged[f + "_ref"].to_numpy(), merged[f].to_numpy(dtype="float64", na_value=np.nan)
        both_nan = np.isnan(a) & np.isnan(b)
        equal = both_nan | (a == b)
        bad = int((~equal).sum())
        if bad:
            only_ref = int((~np.isnan(a) & np.isnan(b)).sum())
            only_out = int((np.isnan(a) & ~np.isnan(b)).sum())
            notes.append(
                f"  {f}: {bad} of {len(merged)} common rows differ from {ref_name} "
                f"({only_ref} null only in {name}, {only_out} null only in {ref_name}, "
                f"{bad - only_ref - only_out} different values)"
            )
    if len(notes) == 1:
        notes[0] += f"; every value of the {len(merged)} common rows equals {ref_name}'s"
    return notes


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-2 else f"{seconds * 1e3:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feature-rows", type=int, default=1_000_000)
    parser.add_argument("--entity-rows", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; the best is reported")
    parser.add_argument("--feast-repeat", type=int, default=2, help="runs of Feast's historical retrieval")
    parser.add_argument("--ttl-hours", type=float, default=12.0)
    parser.add_argument("--duplicates", type=float, default=0.01, help="fraction of entity rows repeated exactly")
    parser.add_argument("--lookups", type=int, default=1_000, help="single-key online lookups")
    parser.add_argument("--mem-limit-gb", type=float, default=12.0, help="address-space cap per subprocess (0: none)")
    parser.add_argument("--skip-feast", action="store_true")
    parser.add_argument("--workdir", help="keep the data here (default: a temporary directory)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        cfg = json.loads(Path(args.config).read_text())
        result = WORKERS[args.worker](cfg)
        Path(args.result).write_text(json.dumps(result))
        return

    why_not = importable("ferrops")
    if why_not:
        sys.exit(f"ferrops is not importable ({why_not}): build it first (maturin develop --release)")
    feast_why = "skipped (--skip-feast)" if args.skip_feast else importable("feast")

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg = {
        "work": str(work),
        "repeat": args.repeat,
        "feast_repeat": args.feast_repeat,
        "ttl_hours": args.ttl_hours,
        "keys": args.keys,
        "lookups": args.lookups,
    }
    features, entities = make_data(args.feature_rows, args.entity_rows, args.keys, args.duplicates)
    features.to_parquet(work / "features.parquet", index=False)
    entities.to_parquet(work / "entities.parquet", index=False)
    import ferrops

    print(
        f"{args.feature_rows:,} feature rows, {args.entity_rows:,} entity rows "
        f"({args.duplicates:.0%} exact repeats), {args.keys:,} keys, TTL {args.ttl_hours:g} h, "
        f"best of {args.repeat} (Feast: {args.feast_repeat}); {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores"
    )
    print(f"ferrops {ferrops.__version__ if hasattr(ferrops, '__version__') else '?'}, pandas {pd.__version__}")
    if feast_why:
        print(f"Feast: not measured: {feast_why}")

    results = {}
    for name in ["baseline", "ferrops-write", "ferrops-historical", "pandas-historical"] + (
        [] if feast_why else ["feast-historical"]
    ):
        print(f"  running {name} ...", flush=True)
        results[name] = run_worker(name, cfg, args.mem_limit_gb)
        if "error" in results[name]:
            print(f"    failed: {results[name]['error']}")
    if not feast_why and "version" in results.get("feast-historical", {}):
        print(f"Feast {results['feast-historical']['version']}")

    base = results["baseline"]["peak_mb"]
    w = results["ferrops-write"]
    if "error" not in w:
        print(
            f"\nwrite {args.feature_rows:,} rows: ferrops {ms(_best(w['times']))} "
            f"(Delta commit + statistics); pandas to_parquet {ms(_best(w['parquet_times']))}"
        )
    print(f"\nhistorical features (baseline process: {base:.0f} MB peak RSS)")
    print(f"{'':22s} {'best':>10s} {'first':>10s} {'peak RSS':>10s} {'rows':>9s} {'ferrops faster by':>18s}")
    ours = results["ferrops-historical"]
    for name in ["ferrops-historical", "pandas-historical", "feast-historical"]:
        r = results.get(name)
        if r is None:
            continue
        if "error" in r:
            print(f"{name:22s} failed after {r['wall']:.1f} s at {r['peak_mb']:.0f} MB: {r['error']}")
            continue
        ratio = _best(r["times"]) / _best(ours["times"]) if "error" not in ours else float("nan")
        print(
            f"{name:22s} {ms(_best(r['times'])):>10s} {ms(r['times'][0]):>10s} "
            f"{r['peak_mb']:>7.0f} MB {r['rows']:>9,} {ratio:>17.1f}x"
        )
        if "join_times" in r:
            print(f"{'  (pandas join only)':22s} {ms(_best(r['join_times'])):>10s}")

    print("\ncorrectness (pandas merge_asof is the reference)")
    ref_path = work / "out-pandas.parquet"
    if ref_path.exists():
        ref = pd.read_parquet(ref_path)
        for name in ["ferrops", "feast"]:
            path = work / f"out-{name}.parquet"
            if path.exists():
                for line in compare(name, pd.read_parquet(path), ref, "pandas", set(features["driver_id"])):
                    print("  " + line)

    # online ------------------------------------------------------------------
    online = {"ferrops": run_worker("ferrops-online", cfg, args.mem_limit_gb)}
    if not feast_why:
        online["feast"] = run_worker("feast-online", cfg, args.mem_limit_gb)
    print(f"\nonline ({args.lookups} single-key lookups, each converted to a dict; one 1,000-key batch)")
    print(f"{'':10s} {'materialize':>12s} {'p50':>10s} {'p99':>10s} {'batch 1000':>11s}")
    for name, r in online.items():
        if "error" in r:
            print(f"{name:10s} failed: {r['error']}")
            continue
        single = np.array(r["single"])
        print(
            f"{name:10s} {ms(r['materialize']):>12s} {us(float(np.percentile(single, 50))):>10s} "
            f"{us(float(np.percentile(single, 99))):>10s} {ms(_best(r['batch'])):>11s}"
        )
    if "error" not in online["ferrops"] and "error" not in online.get("feast", {"error": 1}):
        a, b = online["ferrops"], online["feast"]
        for label, fa, fb in [
            ("materialize", a["materialize"], b["materialize"]),
            ("single-key p50", np.percentile(a["single"], 50), np.percentile(b["single"], 50)),
            ("single-key p99", np.percentile(a["single"], 99), np.percentile(b["single"], 99)),
            ("1,000-key batch", _best(a["batch"]), _best(b["batch"])),
        ]:
            print(f"  ferrops faster than Feast, {label}: {fb / fa:.1f}x")

    # Served values against the latest row per key (ties: latest created, then later row).
    latest = (
        features.sort_values(["event_timestamp", "created"], kind="stable")
        .drop_duplicates("driver_id", keep="last")
        .set_index("driver_id")
    )
    end = pd.Timestamp(_end(cfg))
    ttl = pd.Timedelta(hours=args.ttl_hours)
    print("\nonline correctness (against the latest row per key)")
    for name in online:
        path = work / f"online-{name}.parquet"
        if not path.exists():
            continue
        got = pd.read_parquet(path)
        expect = latest.reindex(got["driver_id"])
        fresh = (expect["event_timestamp"] >= end - ttl).to_numpy()
        exists = expect["event_timestamp"].notna().to_numpy()
        bad = 0
        for f in FEATURES:
            a = got[f].to_numpy(dtype="float64", na_value=np.nan)
            e = expect[f].to_numpy()
            if name == "ferrops":
                # TTL enforced at `now` = end: a value only when the latest row is fresh.
                ok = np.where(fresh, a == e, np.isnan(a))
            else:
                ok = np.where(exists, a == e, np.isnan(a))
            bad += int((~ok).sum())
        line = f"  {name}: {len(got)} lookups, {bad} values differ"
        if "status" in got:
            line += f"; statuses {got['status'].value_counts().to_dict()}"
        line += f" (latest row within TTL at end: {int(fresh.sum())}, key has rows: {int(exists.sum())})"
        print(line)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
