"""Preprocessing (ETL) steps: may change the row count; run batch by batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from . import _core
from ._io import to_arrow


class Preprocessing:
    """Run preprocessing steps, given as their JSON specs (``{"type": tag, ...}``), over a table."""

    def __init__(self, steps: Sequence[dict[str, Any]]) -> None:
        self.steps = list(steps)
        self._inner = _core.Preprocessing([json.dumps(s) for s in self.steps])

    def run(self, X: Any) -> Any:
        """Apply every step; returns a pyarrow RecordBatch."""
        return self._inner.run(to_arrow(X))
