"""ferrops.store (FeatureStore): round trips, point-in-time joins against pandas, Feast's
published cases, interop with other Delta Lake engines, errors.

References:
- point-in-time semantics: an independent brute-force pandas implementation written here
  (`_pit_oracle`), and ``pandas.merge_asof(by=key, direction="backward", tolerance=ttl,
  allow_exact_matches=True)`` on data whose timestamps are distinct per key;
- Feast's own unit tests (literal inputs and expected outputs, cited per test);
- the ``deltalake`` package (delta-rs Python), Polars ``read_delta`` and DuckDB
  ``read_parquet`` read the tables ferrops writes; ``deltalake.write_deltalake`` appends
  to them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ferrops as fo

deltalake = pytest.importorskip("deltalake")
duckdb = pytest.importorskip("duckdb")

UTC = dt.UTC
BASE = pd.Timestamp("2024-03-01 12:00:00", tz="UTC")


def _utc(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601")).dt.as_unit("us")


def _driver_store(tmp_path: pathlib.Path, *, ttl=None, created: bool = False) -> fo.FeatureStore:
    """A store with entity `driver` (driver_id int64) and view `stats`
    (conv_rate float64, trips int64)."""
    store = fo.FeatureStore(tmp_path / "store")
    store.register(
        fo.Entity("driver", "driver_id"),
        fo.FeatureView(
            "stats",
            ["driver"],
            {"conv_rate": "float64", "trips": "int64"},
            created_timestamp_field="created" if created else None,
            ttl=ttl,
        ),
    )
    return store


def _stats_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "driver_id": [1, 1, 1, 2],
            "event_timestamp": _utc("2024-01-01 23:00", "2024-01-02 00:00", "2024-01-02 01:00", "2024-01-01 12:00"),
            "conv_rate": [1.0, 2.0, 3.0, 20.0],
            "trips": [10, 20, 30, 200],
        }
    )


def _sorted(df: pd.DataFrame, by=("driver_id", "event_timestamp")) -> pd.DataFrame:
    return df.sort_values(list(by)).reset_index(drop=True)


# --------------------------------------------------------------------------- 1. round trips


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_write_read_round_trip_each_container(tmp_path, kind):
    store = _driver_store(tmp_path)
    rows = _stats_rows()
    table = {"pandas": rows, "polars": pl.from_pandas(rows), "pyarrow": pa.Table.from_pandas(rows)}[kind]
    result = store.write("stats", table)
    assert (result.view, result.version, result.rows, result.mode) == ("stats", 1, 4, "append")
    assert store.version("stats") == 1

    arrow = store.read("stats")
    assert isinstance(arrow, pa.Table)
    assert arrow.schema.field("event_timestamp").type == pa.timestamp("us", tz="UTC")
    assert arrow.schema.field("driver_id").type == pa.int64()
    pandas_out = store.read("stats", output="pandas")
    polars_out = store.read("stats", output="polars")
    assert isinstance(pandas_out, pd.DataFrame)
    assert isinstance(polars_out, pl.DataFrame)
    expected = _sorted(rows)
    for got in (arrow.to_pandas(), pandas_out, polars_out.to_pandas()):
        got = _sorted(got[list(rows.columns)])
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert got["event_timestamp"].dt.tz is not None


def test_output_auto_returns_the_entity_rows_kind(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    labels = pd.DataFrame({"driver_id": [1, 2], "event_timestamp": _utc("2024-01-02 00:30", "2024-01-03")})
    out_pd = store.historical_features(labels, ["stats:conv_rate"])
    out_pl = store.historical_features(pl.from_pandas(labels), ["stats:conv_rate"])
    out_pa = store.historical_features(pa.Table.from_pandas(labels), ["stats:conv_rate"])
    assert isinstance(out_pd, pd.DataFrame)
    assert isinstance(out_pl, pl.DataFrame)
    assert isinstance(out_pa, pa.Table)
    for out in (out_pd, out_pl.to_pandas(), out_pa.to_pandas()):
        assert out["conv_rate"].tolist() == [2.0, 20.0]
    # An explicit output overrides the entity rows' kind.
    assert isinstance(store.historical_features(labels, ["stats:conv_rate"], output="polars"), pl.DataFrame)
    with pytest.raises(fo.InvalidParameterError):
        store.historical_features(labels, ["stats:conv_rate"], output="excel")


def _entity_timestamp_variants() -> dict[str, pa.Array]:
    """The same instants as different Arrow timestamp types. Feature rows (driver 1) are
    at 23:00 (1.0), 00:00 (2.0) and 01:00 (3.0) UTC around 2024-01-02."""
    instant = pd.Timestamp("2024-01-02 00:59:59", tz="UTC")  # -> 2.0
    return {
        "aware_utc_us": pa.array([instant], pa.timestamp("us", tz="UTC")),
        # 01:59:59 in Paris (UTC+1 in January) is 00:59:59 UTC; read as local time it would
        # be 01:59:59 UTC and match 3.0.
        "aware_paris_ms": pa.array([instant], pa.timestamp("ms", tz="Europe/Paris")),
        "naive_s": pa.array([instant.tz_localize(None)], pa.timestamp("s")),
        "naive_ms": pa.array([instant.tz_localize(None)], pa.timestamp("ms")),
        "naive_us": pa.array([instant.tz_localize(None)], pa.timestamp("us")),
        # 00:59:59.999999999: truncated to µs it is still before 01:00; rounded up it
        # would match the 01:00 row (3.0), which is in the future.
        "naive_ns_last_nanosecond": pa.array([pd.Timestamp("2024-01-02 00:59:59.999999999").value], pa.timestamp("ns")),
        "aware_ns_utc": pa.array([instant.value], pa.timestamp("ns", tz="UTC")),
    }


@pytest.mark.parametrize("variant", list(_entity_timestamp_variants()))
def test_entity_timestamp_types(tmp_path, variant):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    ts = _entity_timestamp_variants()[variant]
    labels = pa.table({"driver_id": pa.array([1], pa.int64()), "event_timestamp": ts})
    out = store.historical_features(labels, ["stats:conv_rate", "stats:trips"])
    assert out.column("conv_rate").to_pylist() == [2.0]
    assert out.column("trips").to_pylist() == [20]
    # The entity rows' columns pass through unchanged (type included).
    assert out.schema.field("event_timestamp").type == ts.type


def test_pandas_timezone_and_naive_entity_rows(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    aware = pd.DataFrame(
        {
            "driver_id": [1, 1],
            # 01:30 Paris = 00:30 UTC -> 2.0; 02:00 Paris = 01:00 UTC -> 3.0 (inclusive).
            "event_timestamp": pd.to_datetime(["2024-01-02 01:30", "2024-01-02 02:00"]).tz_localize("Europe/Paris"),
        }
    )
    assert store.historical_features(aware, ["stats:conv_rate"])["conv_rate"].tolist() == [2.0, 3.0]
    naive = pd.DataFrame(
        {"driver_id": [1, 1], "event_timestamp": pd.to_datetime(["2024-01-02 00:30", "2024-01-02 01:00"])}
    )
    for unit in ("s", "ms", "us", "ns"):
        rows = naive.assign(event_timestamp=naive["event_timestamp"].dt.as_unit(unit))
        assert store.historical_features(rows, ["stats:conv_rate"])["conv_rate"].tolist() == [2.0, 3.0], unit


def test_date_entity_timestamps_are_midnight_utc(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    labels = pd.DataFrame(
        {
            "driver_id": [1, 1, 1, 2],
            "day": [dt.date(2024, 1, 2), dt.date(2024, 1, 1), dt.date(2024, 1, 3), dt.date(2024, 1, 1)],
        }
    )
    arrow = pa.Table.from_pandas(labels, preserve_index=False)
    assert arrow.schema.field("day").type == pa.date32()
    out = store.historical_features(arrow, ["stats:conv_rate"], timestamp_column="day")
    # 2024-01-02 00:00 UTC matches the 00:00 row exactly; 2024-01-01 00:00 is before every
    # driver-1 row; 2024-01-01 00:00 is before driver 2's 12:00 row too.
    assert out.column("conv_rate").to_pylist() == [2.0, None, 3.0, None]
    date64 = arrow.set_column(1, "day", arrow.column("day").cast(pa.date64()))
    out64 = store.historical_features(date64, ["stats:conv_rate"], timestamp_column="day")
    assert out64.column("conv_rate").to_pylist() == [2.0, None, 3.0, None]


def test_feature_rows_in_other_units_and_zones_are_stored_as_us_utc(tmp_path):
    store = _driver_store(tmp_path)
    rows = _stats_rows()
    # Naive ns, and aware seconds in another zone, denote the same instants.
    store.write(
        "stats",
        rows.iloc[:2].assign(event_timestamp=rows["event_timestamp"].iloc[:2].dt.tz_localize(None).dt.as_unit("ns")),
    )
    store.write(
        "stats",
        rows.iloc[2:].assign(
            event_timestamp=rows["event_timestamp"].iloc[2:].dt.tz_convert("Asia/Tokyo").dt.as_unit("s")
        ),
    )
    got = _sorted(store.read("stats", output="pandas"))
    pd.testing.assert_frame_equal(got[list(rows.columns)], _sorted(rows), check_dtype=False)


def test_feature_types_round_trip_through_polars(tmp_path):
    store = fo.FeatureStore(tmp_path / "types")
    store.register(
        fo.Entity("customer", {"cid": "string"}),
        fo.FeatureView(
            "profile",
            ["customer"],
            {"tier": "string", "ok": "bool", "day": "date", "seen": "timestamp", "f32": "float32", "i32": "int32"},
        ),
    )
    frame = pl.DataFrame(
        {
            "cid": ["a", "b"],
            "event_timestamp": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)],
            "tier": ["x", None],
            "ok": [True, None],
            "day": [dt.date(2024, 1, 1), None],
            "seen": [dt.datetime(2024, 1, 1, 5), None],
            "f32": pl.Series([1.5, None], dtype=pl.Float32),
            "i32": pl.Series([7, None], dtype=pl.Int32),
        }
    )
    store.write("profile", frame)
    got = store.read("profile", output="polars").sort("cid")
    assert got.schema["f32"] == pl.Float32 and got.schema["i32"] == pl.Int32 and got.schema["day"] == pl.Date
    assert got.drop("event_timestamp", "seen").rows() == frame.drop("event_timestamp", "seen").rows()
    assert got["seen"].to_list()[0] == dt.datetime(2024, 1, 1, 5, tzinfo=dt.UTC)
    # Dictionary-encoded and large string keys in the entity rows.
    keys = pa.array(["b", "a", "zz"]).dictionary_encode()
    labels = pa.table({"cid": keys, "event_timestamp": pa.array([dt.datetime(2024, 1, 3)] * 3, pa.timestamp("us"))})
    out = store.historical_features(labels, ["profile:*"])
    assert out.column("tier").to_pylist() == [None, "x", None]
    assert out.column("i32").to_pylist() == [None, 7, None]
    assert out.column("day").to_pylist() == [None, dt.date(2024, 1, 1), None]
    large = labels.set_column(0, "cid", pa.array(["b", "a", "zz"], pa.large_string()))
    assert store.historical_features(large, ["profile:i32"]).column("i32").to_pylist() == [None, 7, None]


def test_null_entity_keys_and_timestamps_give_nulls_and_empty_inputs(tmp_path):
    store = _driver_store(tmp_path)
    labels = pa.table(
        {
            "driver_id": pa.array([1, None, 1], pa.int64()),
            "event_timestamp": pa.array([None, 10**15, 1_704_157_200_000_000], pa.timestamp("us", tz="UTC")),
        }
    )
    # A view without rows: every feature is null, one row per entity row.
    empty_view = store.historical_features(labels, ["stats:*"])
    assert empty_view.num_rows == 3 and empty_view.column("conv_rate").null_count == 3
    store.write("stats", _stats_rows())
    out = store.historical_features(labels, ["stats:conv_rate", "stats:trips"])
    assert out.column("conv_rate").to_pylist() == [None, None, 3.0]  # 2024-01-02 01:00 UTC
    assert out.column("trips").to_pylist() == [None, None, 30]
    none = store.historical_features(labels.slice(0, 0), ["stats:conv_rate"])
    assert none.num_rows == 0 and none.column_names == ["driver_id", "event_timestamp", "conv_rate"]
    # Writing no rows commits nothing.
    assert store.write("stats", _stats_rows().iloc[:0]).version == 1 == store.version("stats")
    with pytest.raises(fo.InvalidParameterError):
        store.historical_features(labels, [])
    with pytest.raises(fo.InvalidParameterError, match="view:feature"):
        store.historical_features(labels, ["conv_rate"])
    with pytest.raises(fo.SchemaError, match="event_timestamp"):
        store.historical_features(labels.drop_columns("event_timestamp"), ["stats:conv_rate"])
    with pytest.raises(fo.SchemaError, match="event_timestamp"):
        store.historical_features(labels.set_column(1, "event_timestamp", pa.array(["x"] * 3)), ["stats:conv_rate"])


def test_pre_epoch_nanosecond_entity_timestamp_does_not_look_ahead(tmp_path):
    store = _driver_store(tmp_path)
    store.write(
        "stats",
        pd.DataFrame(
            {
                "driver_id": [1, 1],
                "event_timestamp": _utc("1969-12-31 23:00:00", "1970-01-01 00:00:00"),
                "conv_rate": [0.5, 1.0],
                "trips": [0, 1],
            }
        ),
    )
    # 1969-12-31 23:59:59.999999999 is before the 1970-01-01 row: it must see 0.5.
    labels = pa.table({"driver_id": pa.array([1], pa.int64()), "event_timestamp": pa.array([-1], pa.timestamp("ns"))})
    assert store.historical_features(labels, ["stats:conv_rate"]).column("conv_rate").to_pylist() == [0.5]


def test_string_keys_for_an_int64_entity_are_a_schema_error(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    when = pd.Timestamp("2024-01-05").value // 1000
    labels = pa.table(
        {"driver_id": pa.array(["1", "abc"]), "event_timestamp": pa.array([when] * 2, pa.timestamp("us"))}
    )
    with pytest.raises(fo.SchemaError, match="driver_id"):
        store.historical_features(labels, ["stats:conv_rate"])


def test_fractional_float_key_never_matches_an_integer_key(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    when = pd.Timestamp("2024-01-05").value // 1000  # after every row of driver 1
    labels = pa.table({"driver_id": pa.array([1.5]), "event_timestamp": pa.array([when], pa.timestamp("us"))})
    try:
        out = store.historical_features(labels, ["stats:conv_rate"])
    except fo.SchemaError:
        return  # refusing float keys is fine too
    assert out.column("conv_rate").to_pylist() == [None]


# --------------------------------------------------------------------------- 2. point in time

KEYS = 6


def _random_feature_writes(seed: int, n_writes: int = 3, rows_per_write: int = 120):
    """Writes of feature rows with many ties: event times on a 40-minute grid, created
    times 0-2 minutes later (10% null), values unique (the write and row they came from)."""
    rng = np.random.default_rng(seed)
    writes = []
    for w in range(n_writes):
        n = rows_per_write
        event = BASE + pd.to_timedelta(rng.integers(0, 40, n), unit="min")
        created = event + pd.to_timedelta(rng.integers(0, 3, n), unit="min")
        created = pd.Series(created).where(rng.random(n) > 0.1)
        writes.append(
            pd.DataFrame(
                {
                    "driver_id": rng.integers(0, KEYS, n).astype("int64"),
                    "event_timestamp": pd.Series(event).dt.as_unit("us"),
                    "created": created.dt.as_unit("us"),
                    "conv_rate": (w * 1000 + np.arange(n)).astype("float64"),
                    "trips": rng.integers(0, 100, n).astype("int64"),
                }
            )
        )
    return writes


def _random_entity_rows(seed: int, features: pd.DataFrame, ttl: pd.Timedelta, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    ts = (
        BASE
        + pd.to_timedelta(rng.integers(-2, 45, n), unit="min")
        + pd.to_timedelta(rng.choice([0, 0, 30], n), unit="s")
    )
    keys = rng.integers(0, KEYS + 1, n)  # KEYS: a driver without feature rows
    # Rows exactly on a feature row's event time, on its TTL bound (inclusive), and 1 µs
    # past the bound.
    picks = features.sample(12, random_state=seed)
    extra_ts = (
        list(picks["event_timestamp"][:4])
        + list(picks["event_timestamp"][4:8] + ttl)
        + list(picks["event_timestamp"][8:] + ttl + pd.Timedelta(microseconds=1))
    )
    out = pd.DataFrame(
        {
            "driver_id": np.concatenate([keys, picks["driver_id"].to_numpy()]).astype("int64"),
            "event_timestamp": pd.Series(list(ts) + extra_ts).dt.as_unit("us"),
        }
    )
    out = pd.concat([out, out.iloc[:10]], ignore_index=True)  # duplicated entity rows
    out = out.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # shuffled
    out["label"] = np.arange(len(out)) % 2  # passes through
    return out


def _pit_oracle(features: pd.DataFrame, entity: pd.DataFrame, ttl, *, as_of_created=False) -> list:
    """Brute force, one entity row at a time: same key, event <= ts, event >= ts - ttl,
    (with as_of_created: created <= ts or created null), then the last by (event,
    created with null oldest, write number, row in write)."""
    f = features.copy()
    f["has_created"] = f["created"].notna()  # a null created time ranks oldest
    out = []
    for key, ts in zip(entity["driver_id"], entity["event_timestamp"], strict=True):
        m = f[(f["driver_id"] == key) & (f["event_timestamp"] <= ts)]
        if ttl is not None:
            m = m[m["event_timestamp"] >= ts - ttl]
        if as_of_created:
            m = m[m["created"].isna() | (m["created"] <= ts)]
        if m.empty:
            out.append(None)
        else:
            out.append(
                m.sort_values(["event_timestamp", "has_created", "created", "write", "row"]).iloc[-1]["conv_rate"]
            )
    return out


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("as_of_created", [False, True])
def test_point_in_time_matches_pandas_oracle(tmp_path, seed, as_of_created):
    ttl = pd.Timedelta(minutes=5)
    store = _driver_store(tmp_path, ttl=dt.timedelta(minutes=5), created=True)
    writes = _random_feature_writes(seed)
    for w in writes:
        store.write("stats", w)
    features = pd.concat([w.assign(write=i, row=np.arange(len(w))) for i, w in enumerate(writes)], ignore_index=True)
    entity = _random_entity_rows(seed, features, ttl)
    out = store.historical_features(entity, ["stats:conv_rate"], as_of_created=as_of_created)
    expected = _pit_oracle(features, entity, ttl, as_of_created=as_of_created)
    assert len(out) == len(entity)
    pd.testing.assert_frame_equal(out[list(entity.columns)], entity)  # input order, labels kept
    got = [None if pd.isna(v) else v for v in out["conv_rate"]]
    assert got == expected
    # The data exercise what they should: ties, misses and the TTL bound.
    assert sum(v is None for v in expected) > 10
    assert sum(v is not None for v in expected) > 100
    assert features.duplicated(["driver_id", "event_timestamp"]).sum() > 50


def test_point_in_time_without_ttl_matches_oracle(tmp_path):
    store = _driver_store(tmp_path, created=True)
    writes = _random_feature_writes(7, n_writes=2)
    for w in writes:
        store.write("stats", w)
    features = pd.concat([w.assign(write=i, row=np.arange(len(w))) for i, w in enumerate(writes)], ignore_index=True)
    entity = _random_entity_rows(7, features, pd.Timedelta(minutes=5))
    out = store.historical_features(entity, ["stats:conv_rate"])
    got = [None if pd.isna(v) else v for v in out["conv_rate"]]
    assert got == _pit_oracle(features, entity, None)


def test_point_in_time_matches_pandas_merge_asof(tmp_path):
    """Reference: pandas.merge_asof(by=key, direction="backward", tolerance=ttl,
    allow_exact_matches=True); event times are distinct per key (merge_asof cannot break
    ties the way ferrops does)."""
    rng = np.random.default_rng(3)
    n = 400
    event = BASE + pd.to_timedelta(rng.choice(np.arange(4 * n), n, replace=False), unit="s")
    features = pd.DataFrame(
        {
            "driver_id": rng.integers(0, KEYS, n).astype("int64"),
            "event_timestamp": pd.Series(event).dt.as_unit("us"),
            "conv_rate": rng.normal(size=n),
            "trips": rng.integers(0, 50, n).astype("int64"),
        }
    )
    ttl = pd.Timedelta(seconds=30)
    store = _driver_store(tmp_path, ttl=30)
    store.write("stats", features.iloc[:200])
    store.write("stats", features.iloc[200:])
    m = 300
    entity = pd.DataFrame(
        {
            "driver_id": rng.integers(0, KEYS + 1, m).astype("int64"),
            "event_timestamp": pd.Series(BASE + pd.to_timedelta(rng.integers(-10, 4 * n + 60, m), unit="s")).dt.as_unit(
                "us"
            ),
            "label": rng.integers(0, 2, m),
        }
    )
    # Boundary rows: exactly at a feature time + ttl (inclusive), and 1 µs past it.
    edge = features.sample(20, random_state=0)
    entity = pd.concat(
        [
            entity,
            pd.DataFrame(
                {"driver_id": edge["driver_id"], "event_timestamp": edge["event_timestamp"] + ttl, "label": 0}
            ),
            pd.DataFrame(
                {
                    "driver_id": edge["driver_id"],
                    "event_timestamp": edge["event_timestamp"] + ttl + pd.Timedelta(microseconds=1),
                    "label": 1,
                }
            ),
        ],
        ignore_index=True,
    )
    out = store.historical_features(entity, ["stats:conv_rate", "stats:trips"])

    left = entity.assign(_order=np.arange(len(entity))).sort_values("event_timestamp")
    ref = pd.merge_asof(
        left,
        features.sort_values("event_timestamp")
        .rename(columns={"event_timestamp": "_ft"})
        .assign(event_timestamp=lambda d: d["_ft"]),
        on="event_timestamp",
        by="driver_id",
        direction="backward",
        tolerance=ttl,
        allow_exact_matches=True,
    )
    ref = ref.sort_values("_order").reset_index(drop=True)
    np.testing.assert_array_equal(out["conv_rate"].isna().to_numpy(), ref["conv_rate"].isna().to_numpy())
    np.testing.assert_allclose(out["conv_rate"].to_numpy(float), ref["conv_rate"].to_numpy(float), equal_nan=True)
    pd.testing.assert_series_equal(out["trips"].astype("Float64"), ref["trips"].astype("Float64"), check_names=False)
    assert ref["conv_rate"].notna().sum() > 50 and ref["conv_rate"].isna().sum() > 50


def _two_view_store(tmp_path) -> fo.FeatureStore:
    store = fo.FeatureStore(tmp_path / "two")
    store.register(
        fo.Entity("driver", "driver_id"),
        fo.Entity("customer", {"customer_id": "string"}),
        fo.FeatureView("stats", ["driver"], {"conv_rate": "float64", "trips": "int64"}),
        fo.FeatureView("profile", ["customer"], {"trips": "int64", "tier": "string"}, ttl=dt.timedelta(days=2)),
        fo.FeatureView("pair", ["driver", "customer"], {"rating": "float64"}),
    )
    store.write("stats", _stats_rows())
    store.write(
        "profile",
        pd.DataFrame(
            {
                "customer_id": ["a", "b", "a"],
                "event_timestamp": _utc("2024-01-01", "2024-01-01", "2024-01-04"),
                "trips": [5, 6, 7],
                "tier": ["gold", "silver", "platinum"],
            }
        ),
    )
    store.write(
        "pair",
        pd.DataFrame(
            {
                "driver_id": [1, 1, 2],
                "customer_id": ["a", "b", "a"],
                "event_timestamp": _utc("2024-01-01", "2024-01-01", "2024-01-01"),
                "rating": [4.5, 3.0, 5.0],
            }
        ),
    )
    return store


def test_multiple_views_full_names_and_collisions(tmp_path):
    store = _two_view_store(tmp_path)
    labels = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "zzz"],
            "driver_id": [1, 1, 2, 1],
            "event_timestamp": _utc("2024-01-02 00:30", "2024-01-02 00:30", "2024-01-05", "2024-01-02"),
            "y": [1, 0, 1, 0],
        }
    )
    out = store.historical_features(labels, ["stats:conv_rate", "profile:tier", "pair:rating"])
    assert list(out.columns) == ["customer_id", "driver_id", "event_timestamp", "y", "conv_rate", "tier", "rating"]
    assert out["conv_rate"].tolist() == [2.0, 2.0, 20.0, 2.0]
    # profile has a 2-day TTL: customer a on 01-05 sees the 01-04 row; zzz is unknown.
    assert out["tier"].tolist()[:3] == ["gold", "silver", "platinum"] and pd.isna(out["tier"].iloc[3])
    assert out["rating"].tolist()[:3] == [4.5, 3.0, 5.0] and pd.isna(out["rating"].iloc[3])

    # `trips` is in two views: an error naming the column, unless full names are used.
    with pytest.raises(fo.FerropsError, match="trips") as info:
        store.historical_features(labels, ["stats:trips", "profile:trips"])
    assert isinstance(info.value, fo.DataError)
    full = store.historical_features(labels, ["stats:trips", "profile:trips", "profile:*"], full_feature_names=True)
    assert list(full.columns)[4:] == ["stats__trips", "profile__trips", "profile__tier"]
    assert full["stats__trips"].tolist() == [20, 20, 200, 20]
    assert full["profile__trips"].tolist()[:3] == [5, 6, 7]
    # A feature named like an entity-row column also collides.
    with pytest.raises(fo.DataError, match="y"):
        store.historical_features(labels.rename(columns={"y": "tier"}), ["profile:tier"])
    with pytest.raises(fo.SchemaError, match="nope"):
        store.historical_features(labels, ["stats:nope"])
    with pytest.raises(fo.SchemaError, match="customer_id"):
        store.historical_features(labels.drop(columns="customer_id"), ["profile:tier"])


def test_entity_rows_order_duplicates_missing_keys_and_labels(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    labels = pd.DataFrame(
        {
            "driver_id": [2, 1, 99, 1, 2, 1],
            "event_timestamp": _utc(
                "2024-01-05",
                "2024-01-02 00:30",
                "2024-01-05",
                "2024-01-02 00:30",
                "2024-01-01",
                "2024-01-01 23:59:59.999999",
            ),
            "label": ["a", "b", "c", "d", "e", "f"],
            "weight": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        }
    )
    out = store.historical_features(labels, ["stats:*"])
    pd.testing.assert_frame_equal(out[labels.columns.tolist()], labels)
    assert out["conv_rate"].tolist()[:2] == [20.0, 2.0]
    assert pd.isna(out["conv_rate"].iloc[2])  # unknown key
    assert out["conv_rate"].iloc[3] == 2.0  # duplicate row kept
    assert pd.isna(out["conv_rate"].iloc[4])  # before any row of driver 2
    assert out["conv_rate"].iloc[5] == 1.0  # 1 µs before the 00:00 row
    # Reversed input gives reversed output.
    rev = store.historical_features(labels.iloc[::-1].reset_index(drop=True), ["stats:*"])
    pd.testing.assert_frame_equal(rev, out.iloc[::-1].reset_index(drop=True))


def test_versions_pin_reproduces_an_earlier_training_set(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    labels = pd.DataFrame({"driver_id": [1, 2], "event_timestamp": _utc("2024-01-02 00:30", "2024-01-03")})
    first = store.training_set(labels, ["stats:conv_rate"])
    assert first.lineage == {"stats": 1}
    assert first.table["conv_rate"].tolist() == [2.0, 20.0]
    assert "lineage" in repr(first)
    # An upsert of driver 1's 00:00 row and a newer row of driver 2 change the answer.
    fix = pd.DataFrame(
        {
            "driver_id": [1, 2],
            "event_timestamp": _utc("2024-01-02 00:00", "2024-01-02 12:00"),
            "conv_rate": [2.5, 25.0],
            "trips": [21, 201],
        }
    )
    assert store.write("stats", fix, mode="upsert").version == 2
    now = store.training_set(labels, ["stats:conv_rate"])
    assert now.lineage == {"stats": 2}
    assert now.table["conv_rate"].tolist() == [2.5, 25.0]
    again = store.historical_features(labels, ["stats:conv_rate"], versions=first.lineage)
    pd.testing.assert_frame_equal(again, first.table)
    assert store.training_set(labels, ["stats:conv_rate"], versions=first.lineage).lineage == first.lineage
    with pytest.raises(fo.StoreError, match="version"):
        store.historical_features(labels, ["stats:conv_rate"], versions={"stats": 99})


def test_upsert_replaces_same_key_and_event_time(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    fix = pd.DataFrame(
        {
            "driver_id": [1, 3],
            "event_timestamp": _utc("2024-01-02 01:00", "2024-01-02"),
            "conv_rate": [3.5, 7.0],
            "trips": [31, 70],
        }
    )
    store.write("stats", fix, mode="upsert")
    got = _sorted(store.read("stats", output="pandas"))
    expected = _sorted(pd.concat([_stats_rows().drop(index=2), fix]))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    store.write("stats", fix.iloc[:1], mode="overwrite")
    assert store.read("stats").num_rows == 1
    with pytest.raises(fo.InvalidParameterError, match="mode"):
        store.write("stats", fix, mode="merge")


def test_upsert_rewrite_keeps_write_order_and_replaces_every_copy(tmp_path):
    store = fo.FeatureStore(tmp_path / "order")
    store.register(fo.Entity("d", "k"), fo.FeatureView("v", ["d"], {"x": "float64"}))
    t = _utc("2024-01-01")
    store.write("v", pd.DataFrame({"k": [1, 2], "event_timestamp": _utc("2024-01-01", "2024-01-01"), "x": [1.0, 2.0]}))
    store.write("v", pd.DataFrame({"k": [2], "event_timestamp": t, "x": [2.5]}))  # full tie: the later write wins
    labels = pd.DataFrame({"k": [1, 2], "event_timestamp": _utc("2024-01-02", "2024-01-02")})
    assert store.historical_features(labels, ["v:x"])["x"].tolist() == [1.0, 2.5]
    # Upserting k=1 rewrites the first file without it; the rewritten k=2 row keeps its
    # (earlier) write order, so 2.5 still wins.
    store.write("v", pd.DataFrame({"k": [1], "event_timestamp": t, "x": [1.5]}), mode="upsert")
    assert store.historical_features(labels, ["v:x"])["x"].tolist() == [1.5, 2.5]
    assert store.latest_features("v", output="pandas").sort_values("k")["x"].tolist() == [1.5, 2.5]
    # Upserting k=2 replaces both stored copies.
    store.write("v", pd.DataFrame({"k": [2], "event_timestamp": t, "x": [2.9]}), mode="upsert")
    assert store.read("v", output="pandas").sort_values("k")["x"].tolist() == [1.5, 2.9]
    assert deltalake.DeltaTable(store.table_uri("v")).to_pandas().sort_values("k")["x"].tolist() == [1.5, 2.9]


def test_latest_features_matches_pandas_groupby(tmp_path):
    store = _driver_store(tmp_path)
    rows = _stats_rows()
    store.write("stats", rows)
    start, end = pd.Timestamp("2024-01-01 12:00", tz="UTC"), pd.Timestamp("2024-01-02 00:00", tz="UTC")
    got = store.latest_features(
        "stats", ["conv_rate"], start=start.to_pydatetime(), end=end.to_pydatetime(), output="pandas"
    )
    window = rows[(rows["event_timestamp"] >= start) & (rows["event_timestamp"] <= end)]
    ref = window.sort_values("event_timestamp").groupby("driver_id").tail(1)
    got = got.sort_values("driver_id").reset_index(drop=True)
    assert got["driver_id"].tolist() == ref.sort_values("driver_id")["driver_id"].tolist() == [1, 2]
    assert got["conv_rate"].tolist() == ref.sort_values("driver_id")["conv_rate"].tolist() == [2.0, 20.0]
    with pytest.raises(fo.InvalidParameterError):
        store.latest_features("stats", start=end.to_pydatetime(), end=start.to_pydatetime())


# --------------------------------------------------------------------------- 3. Feast's cases


def _feast_store(tmp_path, ttl) -> fo.FeatureStore:
    store = fo.FeatureStore(tmp_path / "feast")
    store.register(
        fo.Entity("driver", "driver_id"),
        fo.FeatureView(
            "driver_stats", ["driver"], {"conv_rate": "float64"}, created_timestamp_field="created_ts", ttl=ttl
        ),
    )
    return store


def test_feast_created_timestamp_breaks_event_time_ties(tmp_path):
    """Feast sdk/python/tests/unit/infra/offline_stores/test_dask_created_timestamp_tiebreak.py
    (feast-dev/feast): each driver has two rows with the same event time; the one created
    an hour later (conv_rate 1.0) must win; expected [1.0] * NUM_DRIVERS."""
    num_drivers = 100
    event_ts = pd.Timestamp("2025-01-01T10:00:00Z")
    entity_ts = pd.Timestamp("2025-01-02T00:00:00Z")
    ids = list(range(num_drivers))
    events = [event_ts + dt.timedelta(minutes=i % 10) for i in ids]
    source = pd.DataFrame(
        {
            "driver_id": ids + ids,
            "event_timestamp": events + events,
            "created_ts": events + [t + dt.timedelta(hours=1) for t in events],
            "conv_rate": [0.0] * num_drivers + [1.0] * num_drivers,
        }
    )
    store = _feast_store(tmp_path, dt.timedelta(days=7))
    # Written late-created first, so write order alone would pick the wrong row.
    store.write("driver_stats", source.iloc[num_drivers:])
    store.write("driver_stats", source.iloc[:num_drivers])
    entity = pd.DataFrame({"driver_id": ids, "event_timestamp": [entity_ts] * num_drivers})
    out = store.historical_features(entity, ["driver_stats:conv_rate"])
    assert len(out) == num_drivers
    assert out["conv_rate"].tolist() == [1.0] * num_drivers
    latest = store.latest_features("driver_stats", ["conv_rate"], output="pandas")
    assert len(latest) == num_drivers and latest["conv_rate"].tolist() == [1.0] * num_drivers


@pytest.mark.parametrize(
    ("created", "rates", "as_of_created", "expected"),
    [
        # TestDaskFilterByCreatedTimestamp.test_default_serves_latest_created_value
        (["2025-01-01T12:00:00Z", "2025-01-03T00:00:00Z"], [0.4, 0.6], False, [0.6]),
        # ...test_filter_by_created_timestamp_excludes_values_created_after_entity_timestamp
        (["2025-01-01T12:00:00Z", "2025-01-03T00:00:00Z"], [0.4, 0.6], True, [0.4]),
        # ...test_filter_by_created_timestamp_excludes_rows_with_null_created_timestamp:
        # Feast drops the null-created row; ferrops keeps it but ranks it oldest, so the
        # published answer is the same.
        (["2025-01-01T12:00:00Z", None], [0.4, 0.6], True, [0.4]),
    ],
)
def test_feast_filter_by_created_timestamp(tmp_path, created, rates, as_of_created, expected):
    """Feast sdk/python/tests/unit/infra/offline_stores/test_filter_by_created_timestamp.py
    (feast-dev/feast, class TestDaskFilterByCreatedTimestamp): two rows of driver 1 at
    2025-01-01T10:00Z, entity row at 2025-01-02T00:00Z, TTL 7 days. Feast's
    `filter_by_created_timestamp` is ferrops' `as_of_created`."""
    store = _feast_store(tmp_path, dt.timedelta(days=7))
    store.write(
        "driver_stats",
        pd.DataFrame(
            {
                "driver_id": [1, 1],
                "event_timestamp": _utc("2025-01-01T10:00:00Z", "2025-01-01T10:00:00Z"),
                "created_ts": pd.Series(pd.to_datetime(created, utc=True)).dt.as_unit("us"),
                "conv_rate": rates,
            }
        ),
    )
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": _utc("2025-01-02T00:00:00Z")})
    out = store.historical_features(entity, ["driver_stats:conv_rate"], as_of_created=as_of_created)
    assert out["conv_rate"].tolist() == expected


def test_feast_every_candidate_created_in_the_future(tmp_path):
    """Feast test_filter_by_created_timestamp.py, test_entity_row_is_kept_when_every_
    candidate_is_future_created and test_entity_rows_without_a_valid_version_do_not_
    borrow_from_others: the entity row is kept with a null feature."""
    store = _feast_store(tmp_path, dt.timedelta(days=7))
    store.write(
        "driver_stats",
        pd.DataFrame(
            {
                "driver_id": [1, 1, 2, 3],
                "event_timestamp": _utc(
                    "2025-01-01T10:00:00Z", "2025-01-01T11:00:00Z", "2025-01-01T10:00:00Z", "2025-01-01T10:00:00Z"
                ),
                "created_ts": _utc(
                    "2025-01-03T00:00:00Z", "2025-01-04T00:00:00Z", "2025-01-01T12:00:00Z", "2025-01-03T00:00:00Z"
                ),
                "conv_rate": [0.4, 0.6, 0.4, 0.6],
            }
        ),
    )
    entity = pd.DataFrame({"driver_id": [1, 2, 3], "event_timestamp": _utc(*["2025-01-02T00:00:00Z"] * 3)})
    out = store.historical_features(entity, ["driver_stats:conv_rate"], as_of_created=True)
    assert out["driver_id"].tolist() == [1, 2, 3]
    assert pd.isna(out["conv_rate"].iloc[0])
    assert out["conv_rate"].iloc[1] == pytest.approx(0.4)
    assert pd.isna(out["conv_rate"].iloc[2])


def test_feast_distinct_entity_rows_are_not_collapsed(tmp_path):
    """Feast sdk/python/tests/unit/infra/offline_stores/test_dask_entity_row_dedup.py
    (feast-dev/feast): one output row per entity row, even when rows share key and
    timestamp; TTL 1 day with the feature row exactly 1 day before (inclusive)."""
    store = fo.FeatureStore(tmp_path / "dedup")
    store.register(
        fo.Entity("driver", "driver_id"),
        fo.FeatureView("driver_stats", ["driver"], {"conv_rate": "float64"}, ttl=dt.timedelta(days=1)),
    )
    ts = dt.datetime(2024, 1, 1, tzinfo=UTC)
    store.write(
        "driver_stats",
        pd.DataFrame(
            {"driver_id": [1, 2], "event_timestamp": [ts - dt.timedelta(days=1)] * 2, "conv_rate": [0.1, 0.2]}
        ),
    )
    entity = pd.DataFrame({"driver_id": [1, 1, 1, 2], "event_timestamp": [ts] * 4, "label": ["a", "b", "c", "d"]})
    out = store.historical_features(entity, ["driver_stats:conv_rate"])
    assert len(out) == 4
    assert out["label"].tolist() == ["a", "b", "c", "d"]
    assert out["conv_rate"].tolist() == [0.1, 0.1, 0.1, 0.2]


# --------------------------------------------------------------------------- 4. interop


def _delta_frame(df: pd.DataFrame) -> pd.DataFrame:
    return _sorted(df[["driver_id", "event_timestamp", "conv_rate", "trips"]])


def test_other_engines_read_ferrops_tables(tmp_path):
    store = _driver_store(tmp_path)
    rows = _stats_rows()
    store.write("stats", rows)  # v1
    fix = pd.DataFrame(
        {
            "driver_id": [1, 5],
            "event_timestamp": _utc("2024-01-02 01:00", "2024-01-02"),
            "conv_rate": [3.5, 50.0],
            "trips": [31, 500],
        }
    )
    store.write("stats", fix, mode="upsert")  # v2: driver 1's 01:00 row replaced
    uri = store.table_uri("stats")
    assert os.path.isdir(os.path.join(uri, "_delta_log"))

    ours = _delta_frame(store.read("stats", output="pandas"))
    table = deltalake.DeltaTable(uri)
    assert table.version() == store.version("stats") == 2
    theirs = _delta_frame(table.to_pandas())
    pd.testing.assert_frame_equal(theirs, ours, check_dtype=False)
    assert len(theirs) == 5 and 3.0 not in theirs["conv_rate"].tolist()  # superseded row gone

    polars = _delta_frame(pl.read_delta(uri).to_pandas())
    pd.testing.assert_frame_equal(polars, ours, check_dtype=False)

    # DuckDB: the `delta` extension must be downloaded (no network here), so DuckDB reads
    # the Parquet files of the current version as listed by the Delta log (deltalake's
    # file_uris()); superseded files are not listed.
    files = table.file_uris()
    con = duckdb.connect()
    duck = _delta_frame(con.execute("SELECT * FROM read_parquet(?)", [files]).df())
    pd.testing.assert_frame_equal(duck, ours, check_dtype=False)

    # Overwrite (v3): other engines see only the new rows.
    store.write("stats", fix.iloc[:1], mode="overwrite")
    table = deltalake.DeltaTable(uri)
    assert table.version() == store.version("stats") == 3
    assert table.to_pandas()["conv_rate"].tolist() == [3.5]
    assert pl.read_delta(uri)["conv_rate"].to_list() == [3.5]
    assert con.execute("SELECT conv_rate FROM read_parquet(?)", [table.file_uris()]).fetchall() == [(3.5,)]

    # Time travel agrees.
    for version in (1, 2):
        ours_v = _delta_frame(store.read("stats", version=version, output="pandas"))
        theirs_v = _delta_frame(deltalake.DeltaTable(uri, version=version).to_pandas())
        pd.testing.assert_frame_equal(theirs_v, ours_v, check_dtype=False)
        pd.testing.assert_frame_equal(
            _delta_frame(pl.read_delta(uri, version=version).to_pandas()), ours_v, check_dtype=False
        )
    pd.testing.assert_frame_equal(
        _delta_frame(store.read("stats", version=1, output="pandas")), _sorted(rows), check_dtype=False
    )

    # History agrees with deltalake's.
    ours_h = store.history("stats")
    theirs_h = sorted(deltalake.DeltaTable(uri).history(), key=lambda c: c["version"])
    assert [e["version"] for e in ours_h] == [c["version"] for c in theirs_h] == [0, 1, 2, 3]
    assert [e["operation"] for e in ours_h] == [c["operation"] for c in theirs_h]
    assert [e["mode"] for e in ours_h][1:] == ["append", "upsert", "overwrite"]
    assert [e["rows_written"] for e in ours_h][1:] == [4, 2, 1]
    assert [e["timestamp"] for e in ours_h] == [
        dt.datetime.fromtimestamp(c["timestamp"] / 1000, tz=UTC) for c in theirs_h
    ]
    assert ours_h[3]["files_removed"] >= 1
    frame = ours_h.to_pandas()
    assert list(frame["version"]) == [0, 1, 2, 3]

    # Time travel by time: the version current at each commit's time.
    for entry in ours_h[1:]:
        at = store.read("stats", as_of=entry["timestamp"], output="pandas")
        pd.testing.assert_frame_equal(
            _delta_frame(at),
            _delta_frame(store.read("stats", version=entry["version"], output="pandas")),
            check_dtype=False,
        )


def test_ferrops_reads_and_joins_rows_appended_by_deltalake(tmp_path):
    store = _driver_store(tmp_path, created=True)
    ours = pd.DataFrame(
        {
            "driver_id": [1, 2],
            "event_timestamp": _utc("2024-01-01", "2024-01-01"),
            "created": _utc("2024-01-01", "2024-01-01"),
            "conv_rate": [1.0, 2.0],
            "trips": [10, 20],
        }
    )
    store.write("stats", ours)
    uri = store.table_uri("stats")
    schema = pa.schema(
        [
            pa.field("driver_id", pa.int64(), nullable=False),
            pa.field("event_timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
            pa.field("created", pa.timestamp("us", tz="UTC")),
            pa.field("conv_rate", pa.float64()),
            pa.field("trips", pa.int64()),
        ]
    )
    external = pa.Table.from_pandas(
        pd.DataFrame(
            {
                "driver_id": [1, 3, 2],
                # Driver 1: a full tie (key, event and created time) with our row: untagged
                # files count as written before ferrops' own, so ours (1.0) wins.
                # Driver 2: a newer event; driver 3: a new key.
                "event_timestamp": _utc("2024-01-01", "2024-01-01", "2024-01-02"),
                "created": _utc("2024-01-01", "2024-01-01", "2024-01-02"),
                "conv_rate": [100.0, 3.0, 22.0],
                "trips": [1000, 30, 220],
            }
        ),
        schema=schema,
        preserve_index=False,
    )
    deltalake.write_deltalake(uri, external, mode="append")
    assert store.version("stats") == 2

    got = _sorted(store.read("stats", output="pandas"), by=("driver_id", "event_timestamp", "conv_rate"))
    expected = _sorted(pd.concat([ours, external.to_pandas()]), by=("driver_id", "event_timestamp", "conv_rate"))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)

    labels = pd.DataFrame(
        {
            "driver_id": [1, 2, 2, 3, 4],
            "event_timestamp": _utc("2024-01-05", "2024-01-01 12:00", "2024-01-05", "2024-01-05", "2024-01-05"),
        }
    )
    out = store.historical_features(labels, ["stats:conv_rate", "stats:trips"])
    assert out["conv_rate"].tolist()[:4] == [1.0, 2.0, 22.0, 3.0]
    assert pd.isna(out["conv_rate"].iloc[4])
    assert out["trips"].tolist()[:4] == [10, 20, 220, 30]
    latest = store.latest_features("stats", ["conv_rate"], output="pandas").sort_values("driver_id")
    assert latest["conv_rate"].tolist() == [1.0, 22.0, 3.0]

    history = store.history("stats")
    assert [e["version"] for e in history] == [0, 1, 2]
    external_commit = history[2]
    assert external_commit["operation"] == "WRITE"
    assert external_commit["mode"] == "append"
    assert external_commit["rows_added"] == 3
    assert external_commit["rows_written"] is None  # not a ferrops write

    # A later ferrops write still wins over the external rows, and upserts can replace them.
    store.write(
        "stats",
        pd.DataFrame(
            {
                "driver_id": [3],
                "event_timestamp": _utc("2024-01-01"),
                "created": _utc("2024-01-01"),
                "conv_rate": [33.0],
                "trips": [330],
            }
        ),
        mode="upsert",
    )
    assert deltalake.DeltaTable(uri).to_pandas().query("driver_id == 3")["conv_rate"].tolist() == [33.0]
    out = store.historical_features(labels, ["stats:conv_rate"])
    assert out["conv_rate"].tolist()[3] == 33.0


# --------------------------------------------------------------------------- 5. errors


def test_write_schema_and_data_errors_leave_the_table_unchanged(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    before = store.version("stats")
    with pytest.raises(fo.SchemaError, match="trips"):
        store.write("stats", _stats_rows().drop(columns="trips"))
    with pytest.raises(fo.SchemaError, match="conv_rate"):
        store.write("stats", _stats_rows().assign(conv_rate=["a", "b", "c", "d"]))
    with pytest.raises(fo.SchemaError, match="driver_id"):
        store.write("stats", _stats_rows().assign(driver_id=["1", "1", "1", "2"]))
    with pytest.raises(fo.DataError, match="driver_id"):
        store.write("stats", _stats_rows().assign(driver_id=pd.array([1, None, 1, 2], dtype="Int64")))
    with pytest.raises(fo.DataError, match="event_timestamp"):
        store.write(
            "stats", _stats_rows().assign(event_timestamp=_utc("2024-01-01", "2024-01-01", "NaT", "2024-01-01"))
        )
    with pytest.raises(fo.StoreError, match="extra"):
        store.write("stats", _stats_rows().assign(extra=1.0))
    assert store.version("stats") == before
    assert store.read("stats").num_rows == 4


def test_unknown_view_and_hostile_names(tmp_path):
    store = _driver_store(tmp_path)
    with pytest.raises(fo.StoreError, match="nope"):
        store.read("nope")
    with pytest.raises(fo.StoreError, match="nope"):
        store.write("nope", _stats_rows())
    with pytest.raises(fo.StoreError, match="nope"):
        store.historical_features(_stats_rows(), ["nope:conv_rate"])
    with pytest.raises(fo.StoreError):
        store.register(fo.FeatureView("orphan", ["ghost"], {"x": "float64"}))
    for name in ("../x", "a/b", "..", "/etc", "a\\b", "", "a b"):
        with pytest.raises(fo.InvalidParameterError):
            store.register(fo.FeatureView(name, ["driver"], {"x": "float64"}))
        with pytest.raises(fo.InvalidParameterError):
            store.register(fo.Entity(name, "k"))
        with pytest.raises(fo.InvalidParameterError):
            store.read(name)
    with pytest.raises(fo.InvalidParameterError):
        store.register(fo.FeatureView("stats", ["driver"], {"../y": "float64"}))
    with pytest.raises(fo.InvalidParameterError):
        store.register(fo.FeatureView("two__parts", ["driver"], {"x": "float64"}))
    with pytest.raises(fo.InvalidParameterError):
        fo.Feature("x", "complex128")
    # Nothing was created outside the store.
    assert not (tmp_path / "x").exists() and not (tmp_path / "store" / "x").exists()
    assert [v.name for v in store.feature_views()] == ["stats"]


def test_corrupted_data_file_is_a_store_error_naming_it(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    store.write("stats", _stats_rows().assign(driver_id=7))
    uri = store.table_uri("stats")
    victim = sorted(pathlib.Path(uri).glob("*.parquet"))[0]
    victim.write_bytes(b"PAR1 this is not parquet PAR1")
    labels = pd.DataFrame({"driver_id": [1, 7], "event_timestamp": _utc("2024-01-05", "2024-01-05")})
    with pytest.raises(fo.StoreError, match=victim.name):
        store.read("stats")
    with pytest.raises(fo.StoreError, match=victim.name):
        store.historical_features(labels, ["stats:conv_rate"])
    victim.unlink()
    with pytest.raises(fo.StoreError, match=victim.name):
        store.read("stats")


def test_reregistration_and_add_features(tmp_path):
    store = _driver_store(tmp_path)
    store.write("stats", _stats_rows())
    view = store.feature_view("stats")
    store.register(view)  # same definition: a no-op
    assert store.version("stats") == 1
    store.register(
        fo.FeatureView(
            "stats", ["driver"], {"conv_rate": "float64", "trips": "int64"}, description="new words", ttl=3600
        )
    )
    assert store.feature_view("stats").ttl == dt.timedelta(hours=1)
    with pytest.raises(fo.StoreError, match="stats"):
        store.register(fo.FeatureView("stats", ["driver"], {"conv_rate": "float64"}))
    with pytest.raises(fo.StoreError, match="stats"):
        store.register(fo.FeatureView("stats", ["driver"], {"conv_rate": "float32", "trips": "int64"}))

    version = store.add_features("stats", {"rating": "float64"})
    assert version == 2 == store.version("stats")
    assert [f.name for f in store.feature_view("stats").features] == ["conv_rate", "trips", "rating"]
    with pytest.raises(fo.SchemaError, match="rating"):
        store.write("stats", _stats_rows())
    new = pd.DataFrame(
        {"driver_id": [1], "event_timestamp": _utc("2024-01-03"), "conv_rate": [4.0], "trips": [40], "rating": [4.9]}
    )
    assert store.write("stats", new).version == 3
    got = _sorted(store.read("stats", output="pandas"))
    assert got["rating"].isna().sum() == 4 and got["rating"].dropna().tolist() == [4.9]
    # (The view's TTL is now one hour.)
    labels = pd.DataFrame({"driver_id": [1, 1], "event_timestamp": _utc("2024-01-02 00:30", "2024-01-03 01:00")})
    out = store.historical_features(labels, ["stats:rating", "stats:conv_rate"])
    assert pd.isna(out["rating"].iloc[0]) and out["rating"].iloc[1] == 4.9
    assert out["conv_rate"].tolist() == [2.0, 4.0]
    # Other engines see the evolved schema too.
    assert "rating" in deltalake.DeltaTable(store.table_uri("stats")).schema().to_arrow().names
    with pytest.raises(fo.StoreError, match="trips"):
        store.add_features("stats", {"trips": "int64"})


def test_definitions_persist_as_json(tmp_path):
    store = _driver_store(tmp_path, ttl=dt.timedelta(hours=2), created=True)
    reopened = fo.FeatureStore(tmp_path / "store")
    assert reopened.entity("driver") == fo.Entity("driver", "driver_id")
    view = reopened.feature_view("stats")
    assert view == store.feature_view("stats")
    assert view.ttl == dt.timedelta(hours=2) and view.created_timestamp_field == "created"
    on_disk = json.loads((tmp_path / "store" / "_ferrops" / "feature_views" / "stats.json").read_text())
    assert on_disk["name"] == "stats"
    assert [f["name"] for f in on_disk["features"]] == ["conv_rate", "trips"]


# --------------------------------------------------------------------------- 6. HTML


def test_repr_html(tmp_path):
    store = _driver_store(tmp_path, ttl=dt.timedelta(hours=2), created=True)
    store.write("stats", _stats_rows().assign(created=_stats_rows()["event_timestamp"]))
    entity_html = fo.Entity("driver", "driver_id", description="a <driver>")._repr_html_()
    assert "driver_id" in entity_html and "&lt;driver&gt;" in entity_html
    view_html = store.feature_view("stats")._repr_html_()
    for text in ("stats", "conv_rate", "trips", "created", "2:00:00"):
        assert text in view_html
    history_html = store.history("stats")._repr_html_()
    assert "History" in history_html and "WRITE" in history_html and "append" in history_html
    assert "<table>" in entity_html and "<table>" in view_html and "<table>" in history_html
