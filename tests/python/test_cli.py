"""``python -m ferrops``: the command line through Python, with the exit codes a CI job
acts on (0 passed, 1 failed, 2 usage error) and ``--json`` documents. The verdicts are
compared with the Python API's (``ferrops.ModelGate``, ``ferrops.validation``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
