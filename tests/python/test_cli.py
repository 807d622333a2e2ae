"""``python -m ferrops``: the command line through Python, with the exit codes a CI job
acts on (0 passed, 1 failed, 2 usage error) and ``--json`` documents. The verdicts are
compared with the Python API's (``ferrops.ModelGate``, ``ferrops.validation``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ferrops as fo
from ferrops.__main__ import main

GATE = {
    "thresholds": [
        {"metric": "accuracy", "value": {"lower": 0.8}, "change": {"absolute": -0.01}},
        {"metric": "log_loss", "value": {"upper": 0.5}},
    ]
}
CHAMPION = {"accuracy": 0.86, "log_loss": 0.41}
BETTER = {"accuracy": 0.855, "log_loss": 0.40}
WORSE = {"accuracy": 0.84, "log_loss": 0.6}


def ferrops_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ferrops", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, content in [
        ("gate", GATE),
        ("champion", CHAMPION),
        ("better", BETTER),
        ("worse", WORSE),
    ]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(content))
        out[name] = path
    return out


def test_help_and_version_exit_0() -> None:
    done = ferrops_cli("--help")
    assert done.returncode == 0, done.stderr
    assert "validate-data" in done.stdout and "Exit codes" in done.stdout
    assert "python -m ferrops" in done.stdout
    done = ferrops_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"ferrops {fo.__version__}"


def test_gate_pass_and_fail_exit_codes(files: dict[str, Path]) -> None:
    gate = files["gate"]
    passed = ferrops_cli("gate", "--gate", gate, "--candidate", files["better"], "--baseline", files["champion"])
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "gate PASSED" in passed.stdout

    failed = ferrops_cli("gate", "--gate", gate, "--candidate", files["worse"], "--baseline", files["champion"])
    assert failed.returncode == 1, failed.stdout + failed.stderr
    fail_lines = [line for line in failed.stdout.splitlines() if "[FAIL]" in line]
    assert len(fail_lines) == 2 and "accuracy" in fail_lines[0] and "log_loss" in fail_lines[1]

    # The same verdict and checks as the Python API.
    report = fo.ModelGate.from_dict(GATE).evaluate(WORSE, CHAMPION)
    doc_run = ferrops_cli(
        "gate", "--gate", gate, "--candidate", files["worse"], "--baseline", files["champion"], "--json"
    )
    assert doc_run.returncode == 1
    doc = json.loads(doc_run.stdout)
    assert doc["command"] == "gate" and doc["exit_code"] == 1 and doc["passed"] is False
    assert doc["passed"] == bool(report)
    assert doc["failures"] == report.failures
    assert doc["failures"][0]["diff"] == pytest.approx(0.84 - 0.86)


def test_usage_errors_exit_2(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = ferrops_cli("gate", "--no-such-flag")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and "--no-such-flag" in done.stderr
    # The rest in-process (the same code path, without a Python start-up each).
    for args in (
        ("gate", "--gate", files["gate"]),
        ("gate", "--gate", files["gate"], "--candidate", tmp_path / "absent.json"),
        ("no-such-command",),
        (),
    ):
        assert main([str(a) for a in args]) == 2, args
        captured = capsys.readouterr()
        assert captured.out == "" and "error" in captured.err
    code = main(["gate", "--gate", str(files["gate"]), "--candidate", str(tmp_path / "absent.json"), "--json"])
    assert code == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 2 and "absent.json" in doc["error"]


def test_in_process_output_goes_to_sys_streams(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A table written by pandas/pyarrow, validated by the Rust CLI against a schema
    # inferred from it; then a row out of range fails.
    train = pd.DataFrame({"age": [23, 35, 41, 58], "country": ["DE", "FR", "DE", "US"]})
    train.to_parquet(tmp_path / "train.parquet")
    schema = tmp_path / "schema.json"
    assert main(["validate-data", "--infer-schema", str(tmp_path / "train.parquet"), "-o", str(schema)]) == 0
    assert "wrote" in capsys.readouterr().out
    loaded = fo.validation.Schema.load(schema)
    assert loaded.columns == ["age", "country"]

    new = pd.DataFrame({"age": [30, 130], "country": ["DE", "FR"]})
    new.to_csv(tmp_path / "new.csv", index=False)
    assert main(["validate-data", "--schema", str(schema), str(tmp_path / "new.csv"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(a["column"], a["check"]) for a in doc["anomalies"]] == [("age", "range")]
    python_report = loaded.validate(new)
    assert doc["anomalies"] == python_report.errors

    assert main(["gate", "--gate", str(files["gate"]), "--bogus"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--bogus" in captured.err


def _http(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_serve_answers_like_the_registered_pipeline_and_stops_on_sigterm(tmp_path: Path) -> None:
    # A model registered from Python, served by ``python -m ferrops serve``: each HTTP
    # answer is the loaded pipeline's own ``predict_proba`` on the same row.
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(0, 1, 80), "city": rng.choice(["paris", "nice"], 80)})
    y = np.where(X["a"] + (X["city"] == "nice") > 0.4, "yes", "no")
    pipe = fo.Pipeline([fo.StandardScaler(["a"]), fo.OneHotEncoder(["city"])], trainer=fo.LogisticRegression())
    reg = fo.ModelRegistry(tmp_path / "reg", actor="tester")
    v = reg.register("m", pipe.fit(X, pd.Series(y)), training_data=X)
    reg.set_alias("m", "champion", v.version, expected=None, reason="first")

    server = subprocess.Popen(
        [sys.executable, "-m", "ferrops", "serve", "--registry", str(tmp_path / "reg"), "--model", "m", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        assert "m@champion = m v1" in line, line
        base = line.split("http://")[1].split()[0]
        status, health = _http(f"http://{base}/health")
        assert status == 200 and health["champion_version"] == 1
        loaded = reg.load("m", "champion")
        for a, city in [(-1.2, "paris"), (0.3, "nice"), (2.0, "paris")]:
            status, answer = _http(f"http://{base}/predict", {"key": "u1", "features": {"a": a, "city": city}})
            assert status == 200, answer
            row = pd.DataFrame({"a": [a], "city": [city]})
            assert answer["prediction"] == loaded.predict(row)[0]
            np.testing.assert_allclose(answer["probabilities"], loaded.predict_proba(row)[0], rtol=0, atol=1e-12)
            assert answer["classes"] == ["no", "yes"] and answer["version"] == 1
        status, answer = _http(f"http://{base}/predict", {"features": {"a": 1.0}})
        assert status == 422 and "city" in answer["error"]
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert out.startswith("stopped: served 4 prediction requests"), out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child")
def test_serve_stops_on_ctrl_c_with_exit_0(tmp_path: Path) -> None:
    # Ctrl-C (SIGINT) stops ``python -m ferrops serve`` as it stops the binary: exit 0
    # and the summary, no KeyboardInterrupt traceback.
    X = pd.DataFrame({"a": [float(i) for i in range(20)]})
    y = pd.Series(["yes" if i > 10 else "no" for i in range(20)])
    reg = fo.ModelRegistry(tmp_path / "reg")
    reg.register("m", fo.Pipeline([fo.StandardScaler(["a"])], trainer=fo.LogisticRegression()).fit(X, y))
    reg.set_alias("m", "champion", 1, expected=None)
    server = subprocess.Popen(
        [sys.executable, "-m", "ferrops", "serve", "--registry", str(tmp_path / "reg"), "--model", "m", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    assert "listening on http://" in server.stderr.readline()
    server.send_signal(signal.SIGINT)
    out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "KeyboardInterrupt" not in err
    assert out.startswith("stopped: served 0 prediction requests"), out


def test_the_command_line_starts_without_importing_the_python_layer() -> None:
    # ``import ferrops`` is lazy (PEP 562): ``python -m ferrops`` runs the Rust command
    # line without importing scikit-learn, pandas or the wrappers, so CI steps start fast.
    probe = (
        "import sys, ferrops.__main__ as m; code = m.main(['--version']); "
        "heavy = sorted(n for n in ('sklearn', 'pandas', 'ferrops.pipeline') if n in sys.modules); "
        "print(code, heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("0 []"), done.stdout
    # The names are still there on first use, and ``dir`` lists them; every public
    # submodule is an attribute of a fresh ``import ferrops``, whatever was imported first.
    assert fo.Pipeline.__module__ == "ferrops.pipeline" and "Pipeline" in dir(fo)
    fresh = subprocess.run(
        [sys.executable, "-c", "import ferrops; print(ferrops.transforms.__name__, ferrops.trainers.__name__)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fresh.stdout.split() == ["ferrops.transforms", "ferrops.trainers"], fresh.stderr
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = fo.Nope  # type: ignore[attr-defined]
