"""The feature store under several OS processes: concurrent writers, and a writer killed
(SIGKILL) in the middle of its writes.

Threads inside one process are covered by the Rust tests (tests/rust/store.rs); these
use real processes, each with its own store object, runtime and file handles, as two
jobs of a pipeline would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import ferrops as fo

WRITER = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    import ferrops as fo

    root, writer, count, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    store = fo.FeatureStore(root)
    conflicts = 0
    for i in range(count):
        rows = pd.DataFrame({
            "driver_id": [writer * 1000 + i],
            "event_timestamp": pd.to_datetime([1_700_000_000 + i], unit="s", utc=True),
            "rate": [float(writer * 1000 + i)],
        })
        while True:
            try:
                store.write("stats", rows, mode=mode)
                break
            except fo.ConflictError:
                conflicts += 1  # retryable by contract: nothing was written
        print("wrote", i, flush=True)
    print("conflicts", conflicts, flush=True)
    """
)


def _store(tmp_path):
    store = fo.FeatureStore(tmp_path / "fs")
    store.register(fo.Entity("driver", "driver_id"), fo.FeatureView("stats", ["driver"], {"rate": "float64"}))
    return store


def _spawn(tmp_path, writer, count, mode):
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "fs"), str(writer), str(count), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("mode", ["append", "upsert"])
def test_concurrent_processes_lose_nothing(tmp_path, mode):
    store = _store(tmp_path)
    writers, count = 3, 8
    procs = [_spawn(tmp_path, w, count, mode) for w in range(1, writers + 1)]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        assert out.count("wrote") == count
    got = store.read("stats", output="pandas")
    expected = sorted(w * 1000 + i for w in range(1, writers + 1) for i in range(count))
    assert sorted(got["driver_id"].tolist()) == expected  # every write landed exactly once
    assert (got["rate"] == got["driver_id"].astype(float)).all()
    history = store.history("stats")
    # One commit per write, versions without gaps or duplicates.
    assert [h["version"] for h in history] == list(range(writers * count + 1))
    assert store.statistics("stats").rows == writers * count


def test_a_killed_writer_leaves_the_table_readable(tmp_path):
    store = _store(tmp_path)
    store.write(
        "stats",
        pd.DataFrame(
            {
                "driver_id": [1],
                "event_timestamp": pd.to_datetime(["2024-01-01"], utc=True),
                "rate": [0.5],
            }
        ),
    )
    proc = _spawn(tmp_path, 7, 100_000, "append")
    # Let it commit a few versions, then kill it at an arbitrary point of a write.
    deadline = time.time() + 60
    assert proc.stdout is not None
    while time.time() < deadline and store.version("stats") < 4:
        time.sleep(0.01)
    time.sleep(0.037)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    version = store.version("stats")
    assert version >= 4
    got = store.read("stats", output="pandas")
    # Exactly the committed writes: the first row plus one row per later version.
    assert len(got) == version
    assert 1 in got["driver_id"].tolist()
    for v in range(1, version + 1):
        assert len(store.read("stats", version=v)) == v
    # And the store keeps working after the crash.
    after = store.write(
        "stats",
        pd.DataFrame(
            {
                "driver_id": [2],
                "event_timestamp": pd.to_datetime(["2024-01-02"], utc=True),
                "rate": [0.7],
            }
        ),
    )
    assert after.version == version + 1
