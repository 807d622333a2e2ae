"""``examples/github-actions.yml`` must not rot: its ``run:`` steps are EXECUTED here, for
real, in the order the YAML lists them, as a GitHub-hosted runner runs them
(``bash --noprofile --norc -eo pipefail``, the job's ``env``, ``$GITHUB_OUTPUT``, ``id:``,
``continue-on-error``, a failed step skipping the rest), against a local directory
registry instead of ``s3://``.

The workspace holds what the workflow expects of a repository: ``schema.json`` (inferred
by ``python -m ferrops validate-data --infer-schema``), ``data/train.parquet``,
``gate.json`` and a ``train.py`` written below (a ferrops Pipeline; ``TRAIN_LABEL_NOISE=1`` shuffles the
training labels to make a bad model).

The drift step tests the new data against the champion's training data, whose profile
the registry stored when the champion was registered (``register --training-data``).

Runs on one registry: (1) an empty registry: the drift step has no champion to test
against (exit 2, allowed), every other step passes and version 1 becomes the champion
with ``--expect none``; (2) a bad model: the gate exits 1, the job stops, the
champion stays 1; (3) a good model on drifted data: the drift step fails but
(continue-on-error) the job goes on and promotes 3 with ``--expect 1``; (4) someone rolls
the champion back while the job runs: the promotion's compare-and-swap refuses (exit 1)
instead of overwriting that move.

Independent checks: the registered metrics are recomputed with scikit-learn
(``sklearn.metrics.accuracy_score`` / ``log_loss``) from the model loaded back from the
registry; each gate verdict is compared with ``ferrops.ModelGate`` on the metrics the
training script wrote; ``python -m ferrops history --json`` is compared with the Python
registry API.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, log_loss

import ferrops as fo
from ferrops.__main__ import main

yaml = pytest.importorskip("yaml")

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "github-actions.yml"
JOB = "gate-and-promote"
MODEL = "churn"
SHA = "3f2a9c4e5b6d7081928374655647382910abcdef"

# What a passing model must reach, and how much worse than the champion it may be.
GATE = {
    "thresholds": [
        {"metric": "accuracy", "value": {"lower": 0.7}, "change": {"absolute": -0.05}},
        {"metric": "log_loss", "value": {"upper": 0.55}},
    ]
}

TRAIN_PY = '''\
"""Train the churn model: the fitted pipeline to --out, held-out metrics to --metrics.

Every 4th row is held out. TRAIN_LABEL_NOISE (a fraction, default 0) shuffles that share
of the training labels: 1 makes a model that learnt nothing.
"""
import argparse
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

import ferrops as fo

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--metrics", required=True)
args = parser.parse_args()

data = pd.read_parquet("data/train.parquet")
held_out = np.arange(len(data)) % 4 == 0
train, test = data[~held_out].copy(), data[held_out]
noise = float(os.environ.get("TRAIN_LABEL_NOISE", "0"))
if noise > 0:
    rng = np.random.default_rng(0)
    rows = rng.choice(len(train), size=int(round(noise * len(train))), replace=False)
    labels = train["churned"].to_numpy().copy()
    labels[rows] = rng.permutation(labels[rows])
    train["churned"] = labels

model = fo.Pipeline([fo.StandardScaler(), fo.OneHotEncoder(["contract"])], trainer=fo.LogisticRegression())
model.fit(train, target="churned")
metrics = {
    "accuracy": fo.metrics.accuracy_score(test["churned"], model.predict(test)),
    "log_loss": fo.metrics.log_loss(test["churned"], model.predict_proba(test)),
}
model.save(args.out)
Path(args.metrics).write_text(json.dumps(metrics))
print(f"trained on {len(train)} rows: {metrics}")
'''


def churn_table(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Synthetic churn data: short tenure, high charges, monthly contracts and many support
    calls make churn likely."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n)
    charges = np.round(rng.uniform(20, 120, n), 2)
    contract = rng.choice(["month", "one_year", "two_year"], n, p=[0.5, 0.3, 0.2])
    calls = rng.poisson(2, n)
    z = 1.6 * (
        -0.06 * (tenure - 36)
        + 0.03 * (charges - 70)
        + np.select([contract == "month", contract == "one_year"], [1.0, -0.5], -1.5)
        + 0.5 * (calls - 2)
    )
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return pd.DataFrame(
        {"tenure": tenure, "monthly_charges": charges, "contract": contract, "support_calls": calls, "churned": churned}
    )


def drifted(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``table`` (so inside the schema's ranges and domains) skewed to long tenure
    and yearly contracts: two of the four features drift."""
    keep = (table["tenure"] >= 24) & ((table["contract"] != "month") | (np.arange(len(table)) % 3 == 0))
    return table[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- the runner


@dataclass
class Step:
    index: int
    name: str
    id: str | None
    raw: str  # the run: text of the YAML
    script: str  # after substitution ("" when skipped)
    continue_on_error: bool
    returncode: int | None = None  # None: skipped
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """GitHub's ``steps.<id>.outcome``."""
        if self.returncode is None:
            return "skipped"
        return "success" if self.returncode == 0 else "failure"

    def log(self) -> str:
        return f"--- step {self.index} {self.name!r} ({self.outcome})\n{self.script}\n{self.stdout}\n{self.stderr}"


@dataclass
class Job:
    steps: list[Step]

    @property
    def succeeded(self) -> bool:
        return all(s.outcome == "success" or (s.outcome == "failure" and s.continue_on_error) for s in self.steps)

    def step(self, key: str) -> Step:
        """The step with this ``id``, or the one whose script runs ``python -m ferrops <key>``."""
        found = [s for s in self.steps if s.id == key or f"python -m ferrops {key} " in s.raw]
        assert len(found) == 1, f"no single step {key!r} in {[s.name for s in self.steps]}"
        return found[0]

    def log(self) -> str:
        return "\n".join(s.log() for s in self.steps)


EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)")
RUN_STEP_KEYS = {"name", "id", "run", "continue-on-error"}


def substitute(text: str, context: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """Replace the ``${{ }}`` expressions GitHub would; any other one fails the test."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression in context:
            return context[expression]
        step = STEP_OUTPUT.fullmatch(expression)
        if step:
            step_id, name = step.groups()
            assert step_id in outputs, f"${{{{ {expression} }}}}: no earlier step with id {step_id!r} ran"
            assert name in outputs[step_id], (
                f"${{{{ {expression} }}}}: step {step_id!r} wrote no output {name!r} (it wrote {outputs[step_id]})"
            )
            return outputs[step_id][name]
        raise AssertionError(f"the workflow uses ${{{{ {expression} }}}}, which this test does not emulate: add it")

    return EXPRESSION.sub(value, text)


def read_outputs(path: Path) -> dict[str, str]:
    """``$GITHUB_OUTPUT``: ``key=value`` lines and ``key<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for body in lines:
                if body == delimiter:
                    break
                block.append(body)
            else:
                raise AssertionError(f"{path}: no closing {delimiter!r}")
            outputs[key] = "\n".join(block)
        elif line:
            key, sep, val = line.partition("=")
            assert sep, f"{path}: {line!r} is not key=value"
            outputs[key] = val
    return outputs


def load_workflow() -> tuple[dict[str, str], list[dict[str, Any]]]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"][JOB]
    assert job["runs-on"] == "ubuntu-latest", job["runs-on"]  # bash, jq: as emulated here
    return dict(job["env"]), list(job["steps"])


def run_job(
    root: Path,
    workspace: Path,
    registry: Path,
    run_id: str,
    extra_env: dict[str, str] | None = None,
    before: Callable[[Step], None] | None = None,
) -> Job:
    """Run the workflow's job once: every ``run:`` step but ``pip install ferrops``."""
    job_env, steps = load_workflow()
    context = {"github.sha": SHA, "github.run_id": run_id}
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    python = shutil.which("python", path=env["PATH"])
    assert python is not None and Path(python).parent == Path(sys.executable).parent, (python, sys.executable)
    # What a runner sets too (the scripts here read none of it).
    env.update(CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(workspace), GITHUB_SHA=SHA, GITHUB_RUN_ID=run_id)
    env.update({"TRAIN_LABEL_NOISE": "0", **(extra_env or {})})
    assert "REG" in job_env, f"the job's env no longer sets REG: {job_env}"
    for key, val in job_env.items():
        env[key] = substitute(str(val), context, {})
    env["REG"] = str(registry)
    scripts = root / f"run-{run_id}"
    scripts.mkdir()

    outputs: dict[str, dict[str, str]] = {}
    done: list[Step] = []
    skipped_install = 0
    stopped = False
    for index, spec in enumerate(steps):
        if "uses" in spec:
            continue
        assert "run" in spec, f"step {index} has neither uses: nor run: {spec}"
        assert set(spec) <= RUN_STEP_KEYS, (
            f"step {index} uses keys this test does not emulate: {set(spec) - RUN_STEP_KEYS}"
        )
        if re.fullmatch(r"pip install \S*ferrops\S*", spec["run"].strip()):
            skipped_install += 1  # the test's interpreter has ferrops
            continue
        continue_on_error = spec.get("continue-on-error", False)
        assert isinstance(continue_on_error, bool), f"step {index}: continue-on-error={continue_on_error!r}"
        step = Step(
            index=index,
            name=spec.get("name", spec["run"].splitlines()[0]),
            id=spec.get("id"),
            raw=spec["run"],
            script="",
            continue_on_error=continue_on_error,
        )
        done.append(step)
        if stopped:
            continue
        step.script = substitute(spec["run"], context, outputs)
        script = scripts / f"step_{index}.sh"
        script.write_text(step.script)
        github_output = scripts / f"github_output_{index}"
        github_output.touch()
        if before is not None:
            before(step)
        finished = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env={**env, "GITHUB_OUTPUT": str(github_output)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        step.returncode, step.stdout, step.stderr = finished.returncode, finished.stdout, finished.stderr
        step.outputs = read_outputs(github_output)
        if step.id is not None:
            outputs[step.id] = step.outputs
        if step.returncode != 0 and not step.continue_on_error:
            stopped = True
    assert skipped_install == 1, "the workflow no longer has one `pip install ferrops` step"
    return Job(done)


# --------------------------------------------------------------------------- the scenario


def contract_files(root: Path, reference: pd.DataFrame) -> Path:
    """The repository's committed inputs, made once from the reference (the champion's
    training) data: ``schema.json`` inferred by the CLI and the gate."""
    files = root / "repo"
    (files / "data").mkdir(parents=True)
    reference.to_parquet(files / "reference.parquet", index=False)
    inferred = subprocess.run(
        [sys.executable, "-m", "ferrops", "validate-data", "--infer-schema", "reference.parquet", "-o", "schema.json"],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert inferred.returncode == 0, inferred.stdout + inferred.stderr
    (files / "reference.parquet").unlink()
    assert fo.validation.Schema.load(files / "schema.json").columns == list(reference.columns)
    (files / "gate.json").write_text(json.dumps(GATE))
    (files / "train.py").write_text(TRAIN_PY)
    return files


def make_workspace(root: Path, name: str, repo: Path, table: pd.DataFrame) -> Path:
    """A fresh checkout of ``repo`` with ``table`` as ``data/train.parquet``."""
    workspace = root / name
    shutil.copytree(repo, workspace)
    table.to_parquet(workspace / "data" / "train.parquet", index=False)
    return workspace


def sklearn_metrics(registry: fo.ModelRegistry, version: int, table: pd.DataFrame) -> dict[str, float]:
    """The version's held-out metrics recomputed by scikit-learn from the model loaded back."""
    model = registry.load(MODEL, version)
    test = table[np.arange(len(table)) % 4 == 0]
    proba = model.predict_proba(test)
    assert list(model.classes_) == [0, 1]
    return {
        "accuracy": accuracy_score(test["churned"], model.predict(test)),
        "log_loss": log_loss(test["churned"], proba, labels=[0, 1]),
    }


def cli_history(registry: Path) -> dict[str, Any]:
    """``ferrops history --json``, run in-process (``ferrops.__main__.main``: the same Rust
    command line as ``python -m ferrops``, without another interpreter start-up)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["history", "--registry", str(registry), MODEL, "--json"])
    assert code == 0, out.getvalue() + err.getvalue()
    return json.loads(out.getvalue())


def check_registry_matches_cli(registry: Path) -> None:
    """``history --json`` (the Rust CLI) says what the Python API says."""
    api = fo.ModelRegistry(registry)
    doc = cli_history(registry)
    assert doc["aliases"] == api.aliases(MODEL)
    versions = api.versions(MODEL)
    assert [v["version"] for v in doc["versions"]] == [v.version for v in versions]
    for record, version in zip(doc["versions"], versions, strict=True):
        assert record["metrics"] == version.metrics
        assert record["tags"] == version.tags
        assert record["created_by"] == version.created_by
    events = api.history(MODEL)
    assert [(e["seq"], e["from"], e["to"], e["actor"], e["reason"]) for e in doc["events"]] == [
        (e.seq, e.from_version, e.to_version, e.actor, e.reason) for e in events
    ]


def test_github_actions_workflow_runs_gates_and_promotes(tmp_path: Path) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (GitHub runners have it)")
    registry_dir = tmp_path / "registry"
    base = churn_table()
    shifted = drifted(base)
    gate = fo.ModelGate.from_dict(GATE)
    repo = contract_files(tmp_path, base)

    # ---- run 1: an empty registry; no champion to test drift against (allowed to
    # fail), every other step passes, v1 becomes the champion.
    ws1 = make_workspace(tmp_path, "ws1", repo, base)
    job = run_job(tmp_path, ws1, registry_dir, "1001")
    assert job.succeeded, job.log()
    assert [s.outcome for s in job.steps] == ["success", "failure"] + ["success"] * 4, job.log()
    assert [s.id for s in job.steps if s.id] == ["drift", "register", "gate"]
    assert "validation passed" in job.steps[0].stdout, job.log()
    drift = job.step("drift")
    assert drift.returncode == 2 and drift.continue_on_error, drift.log()
    assert "no registry" in drift.stderr and not (ws1 / "drift.html").exists(), drift.log()
    assert job.step("register").outputs == {"version": "1"}
    assert job.step("gate").outputs == {"champion": "none"}
    assert "--expect none" in job.step("promote").script, job.log()
    assert "gate PASSED" in job.step("gate").stdout, job.log()

    registry = fo.ModelRegistry(registry_dir)
    metrics1 = json.loads((ws1 / "metrics.json").read_text())
    assert json.loads((ws1 / "registered.json").read_text())["version"] == 1
    v1 = registry.version(MODEL, 1)
    assert v1.metrics == metrics1  # what train.py wrote, recorded exactly
    assert v1.tags == {"commit": SHA}
    assert v1.created_by == "ci:github/1001"
    # --training-data stored the lineage and the drift profile of data/train.parquet.
    assert v1.lineage["training_table"]["rows"] == len(base), v1.lineage
    assert registry.load_profile(MODEL, 1) is not None
    recomputed = sklearn_metrics(registry, 1, base)
    assert recomputed["accuracy"] == pytest.approx(metrics1["accuracy"], abs=1e-12)
    assert recomputed["log_loss"] == pytest.approx(metrics1["log_loss"], rel=1e-9)
    assert bool(gate.evaluate(metrics1)), metrics1
    assert registry.alias(MODEL, "champion") == 1
    [event] = registry.history(MODEL)
    assert (event.alias, event.action, event.from_version, event.to_version) == ("champion", "set", None, 1)
    assert event.actor == "ci:github/1001" and event.reason == "gate passed in run 1001"
    check_registry_matches_cli(registry_dir)

    # ---- run 2: a model trained on shuffled labels; the gate fails and the job stops.
    ws2 = make_workspace(tmp_path, "ws2", repo, base)
    job = run_job(tmp_path, ws2, registry_dir, "1002", extra_env={"TRAIN_LABEL_NOISE": "1"})
    assert not job.succeeded, job.log()
    gate_step = job.step("gate")
    assert gate_step.returncode == 1, job.log()
    assert gate_step.outputs == {"champion": "1"}  # written before the gate ran
    assert "[FAIL]" in gate_step.stdout, gate_step.log()
    assert job.step("promote").outcome == "skipped"
    assert [s.outcome for s in job.steps] == ["success"] * 4 + ["failure", "skipped"], job.log()
    # Same distribution as v1's training data: no drift against the champion's profile.
    drift = job.step("drift")
    assert drift.returncode == 0 and "drift not found" in drift.stdout, drift.log()
    assert "reference: the training data of churn v1" in drift.stdout, drift.log()
    metrics2 = json.loads((ws2 / "metrics.json").read_text())
    assert registry.version(MODEL, 2).metrics == metrics2
    assert metrics2["accuracy"] < metrics1["accuracy"] - 0.15, (metrics1, metrics2)
    # The Python gate agrees, check for check: the change checks ran against v1's metrics.
    report = gate.evaluate(metrics2, metrics1)
    assert not report and len(report.failures) == 3, report.failures
    assert gate_step.stdout.count("[FAIL]") == len(report.failures), gate_step.log()
    assert registry.alias(MODEL, "champion") == 1
    assert len(registry.history(MODEL)) == 1
    check_registry_matches_cli(registry_dir)

    # ---- run 3: a good model on drifted data; drift fails (reported), the job goes on.
    ws3 = make_workspace(tmp_path, "ws3", repo, shifted)
    job = run_job(tmp_path, ws3, registry_dir, "1003")
    drift = job.step("drift")
    assert drift.returncode == 1 and drift.continue_on_error, drift.log()
    assert "drift FOUND" in drift.stdout and (ws3 / "drift.html").stat().st_size > 0, drift.log()
    assert job.succeeded, job.log()
    assert [s.outcome for s in job.steps] == ["success", "failure"] + ["success"] * 4, job.log()
    assert job.step("gate").outputs == {"champion": "1"}
    promote_script = job.step("promote").script
    assert "--version 3 " in promote_script and "--expect 1 " in promote_script, promote_script
    metrics3 = json.loads((ws3 / "metrics.json").read_text())
    assert bool(gate.evaluate(metrics3, metrics1)), (metrics3, metrics1)
    recomputed = sklearn_metrics(registry, 3, shifted)
    assert recomputed["accuracy"] == pytest.approx(metrics3["accuracy"], abs=1e-12)
    assert recomputed["log_loss"] == pytest.approx(metrics3["log_loss"], rel=1e-9)
    assert registry.alias(MODEL, "champion") == 3
    last = registry.history(MODEL)[-1]
    assert (last.from_version, last.to_version, last.actor) == (1, 3, "ci:github/1003")
    assert last.reason == "gate passed in run 1003"
    assert registry.version(MODEL, 3).tags == {"commit": SHA}
    check_registry_matches_cli(registry_dir)

    # ---- run 4: an operator rolls the champion back while the job runs (after the gate
    # read it): the promotion's compare-and-swap refuses instead of overwriting that move.
    def operator_rolls_back(step: Step) -> None:
        if "python -m ferrops promote " in step.raw:
            fo.ModelRegistry(registry_dir, actor="oncall").rollback(MODEL, reason="error rate up")

    ws4 = make_workspace(tmp_path, "ws4", repo, shifted)
    job = run_job(tmp_path, ws4, registry_dir, "1004", before=operator_rolls_back)
    assert job.step("gate").returncode == 0 and job.step("gate").outputs == {"champion": "3"}, job.log()
    promote = job.step("promote")
    assert promote.returncode == 1, promote.log()
    assert "--expect 3 " in promote.script, promote.script
    assert "oncall" in promote.stderr and "error rate up" in promote.stderr, promote.log()
    assert not job.succeeded
    assert registry.alias(MODEL, "champion") == 1  # the operator's move stands
    assert [(e.to_version, e.actor) for e in registry.history(MODEL)] == [
        (1, "ci:github/1001"),
        (3, "ci:github/1003"),
        (1, "oncall"),
    ]
    assert [v.version for v in registry.versions(MODEL)] == [1, 2, 3, 4]
    check_registry_matches_cli(registry_dir)


def test_substitute_refuses_unknown_expressions() -> None:
    # The emulation fails loudly rather than running a script with a blank where GitHub
    # would put a value.
    context = {"github.sha": SHA, "github.run_id": "7"}
    assert substitute("a ${{ github.sha }} ${{steps.s.outputs.v}}", context, {"s": {"v": "2"}}) == f"a {SHA} 2"
    with pytest.raises(AssertionError, match="github.ref"):
        substitute("${{ github.ref }}", context, {})
    with pytest.raises(AssertionError, match="no output 'w'"):
        substitute("${{ steps.s.outputs.w }}", context, {"s": {"v": "2"}})
    with pytest.raises(AssertionError, match="no earlier step"):
        substitute("${{ steps.t.outputs.v }}", context, {})


def test_read_outputs_parses_github_output(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text(
        textwrap.dedent(
            """\
            version=3
            champion=none
            note<<EOF
            two
            lines=here
            EOF
            """
        )
    )
    assert read_outputs(path) == {"version": "3", "champion": "none", "note": "two\nlines=here"}
