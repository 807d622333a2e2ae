"""Execute every notebook in examples/ (nbclient), so the walkthroughs cannot rot.

Each notebook runs top to bottom in a fresh kernel started from this interpreter
(``sys.executable -m ipykernel_launcher``, whatever kernelspecs are installed), with the
working directory set to a temporary copy of ``examples/``; any cell error fails the test
with the cell's traceback. Skipped when nbclient or ipykernel is not installed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.manager import KernelManager

    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("output", "target"))
    nb = nbformat.read(path, as_version=4)
    # The kernel is this interpreter, not whatever "python3" kernelspec is installed.
    manager = KernelManager(kernel_name="python3")
    manager.kernel_cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    client = nbclient.NotebookClient(
        nb,
        km=manager,
        timeout=120,
        resources={"metadata": {"path": str(tmp_path / "examples")}},
    )
    client.execute()
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors
    # Every code cell ran and produced something to read.
    assert all(cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code")
