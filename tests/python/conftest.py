import os
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """200 rows: numeric a (with NaN), b; string city; binary label."""
    rng = np.random.default_rng(0)
    n = 200
    a = rng.normal(50, 10, n)
    a[::9] = np.nan
    b = rng.normal(0, 1, n)
    city = rng.choice(["paris", "lyon", "nice"], n)
    score = (np.nan_to_num(a, nan=50) - 50) / 10 + (city == "nice") * 1.5 + rng.normal(0, 0.5, n)
    label = np.where(score > 0.3, "yes", "no")
    return pd.DataFrame({"a": a, "b": b, "city": city, "label": label})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server (from PyPI) on a free local port, with the ``AWS_*`` environment
    pointing at it (child processes inherit it). Shared by the feature-store and
    registry S3 tests."""
    pytest.importorskip("moto")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("moto server did not start")
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.kill()
        server.wait()
