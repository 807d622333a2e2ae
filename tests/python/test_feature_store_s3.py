"""The feature store on S3-compatible object storage: moto's S3 server (from PyPI),
started by the test on a free local port, stands in for S3.

The same scenarios as on a local directory: definitions, writes of every mode, time
travel, point-in-time joins, and the table read back by the ``deltalake`` package from
the same bucket (so the Delta log written through our object store is a valid one).
Commits use S3 conditional writes (``If-None-Match``), which moto implements.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

import ferrops as fo

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")


@pytest.fixture
def bucket(s3_endpoint):
    name = f"ferrops-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return name


def _rows(values, days, keys=(1,)):
    n = len(values)
    return pd.DataFrame(
        {
            "driver_id": list(keys) * (n // len(keys)),
            "event_timestamp": pd.to_datetime([f"2024-01-{d:02d}" for d in days], utc=True),
            "rate": values,
        }
    )


def test_store_on_s3_round_trip(bucket, s3_endpoint):
    store = fo.FeatureStore(f"s3://{bucket}/features")
    store.register(fo.Entity("driver", "driver_id"), fo.FeatureView("stats", ["driver"], {"rate": "float64"}))
    assert [v.name for v in store.feature_views()] == ["stats"]

    assert store.write("stats", _rows([0.1, 0.3], [1, 3])).version == 1
    assert store.write("stats", _rows([0.2], [1]), mode="upsert").version == 2
    got = store.read("stats", output="pandas").sort_values("event_timestamp")
    assert got["rate"].tolist() == [0.2, 0.3]
    assert store.read("stats", version=1, output="pandas").sort_values("event_timestamp")["rate"].tolist() == [
        0.1,
        0.3,
    ]
    assert [h["mode"] for h in store.history("stats")][1:] == ["append", "upsert"]

    labels = pd.DataFrame(
        {
            "driver_id": [1, 1, 2],
            "event_timestamp": pd.to_datetime(["2024-01-02", "2024-01-04", "2024-01-04"], utc=True),
        }
    )
    out = store.historical_features(labels, ["stats:rate"])
    assert out["rate"].tolist()[:2] == [0.2, 0.3]
    assert pd.isna(out["rate"].iloc[2])

    # Everything lives under the prefix, and a second store object sees it.
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert all(k.startswith("features/") for k in keys), keys
    assert any(k.startswith("features/views/stats/_delta_log/") for k in keys)
    assert fo.FeatureStore(f"s3://{bucket}/features").version("stats") == 2


def test_s3_table_is_a_valid_delta_table(bucket, s3_endpoint):
    deltalake = pytest.importorskip("deltalake")
    store = fo.FeatureStore(f"s3://{bucket}/fs")
    store.register(fo.Entity("driver", "driver_id"), fo.FeatureView("stats", ["driver"], {"rate": "float64"}))
    store.write("stats", _rows([0.5, 0.7], [1, 2]))
    options = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    table = deltalake.DeltaTable(store.table_uri("stats"), storage_options=options)
    assert table.version() == 1
    assert sorted(table.to_pandas()["rate"].tolist()) == [0.5, 0.7]


def test_s3_missing_bucket_is_a_store_error(s3_endpoint):
    store = fo.FeatureStore("s3://no-such-bucket-ferrops/x")
    with pytest.raises(fo.StoreError):
        store.register(fo.Entity("driver", "driver_id"))


def test_unsupported_scheme_is_refused():
    with pytest.raises(fo.StoreError, match="unsupported scheme"):
        fo.FeatureStore("gopher://host/x")
