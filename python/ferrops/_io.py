"""Conversion of user tables (pandas, polars, pyarrow, numpy, dicts) to Arrow and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

OUTPUTS = ("default", "numpy", "pandas", "polars", "pyarrow")


def to_arrow(X: Any, feature_names: Sequence[str] | None = None) -> Any:
    """Return an object the Rust layer accepts through the Arrow PyCapsule interface.

    pyarrow tables/batches and polars frames pass through without a copy; pandas frames
    go through ``pyarrow.Table.from_pandas`` (zero-copy for numeric columns); a 2-D numpy
    array becomes columns ``x0, x1, ...`` (scikit-learn's naming) or ``feature_names``.
    """
    if isinstance(X, (pa.Table, pa.RecordBatch)):
        return X
    module = type(X).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(X, pd.Series):
            X = X.to_frame()
        # Drop the pandas schema metadata: it describes the input dtypes, and transforms
        # change them (to_pandas would otherwise cast a float output back to strings).
        return pa.Table.from_pandas(X, preserve_index=False).replace_schema_metadata(None)
    if hasattr(X, "__arrow_c_stream__") or hasattr(X, "__arrow_c_array__"):
        return X
    if isinstance(X, dict):
        return pa.table(X)
    arr = np.asarray(X)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array or a table, got an array of shape {arr.shape}")
    names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise ValueError(f"{arr.shape[1]} columns but {len(names)} feature names")
    return pa.table({name: arr[:, i] for i, name in enumerate(names)})


def column_names(X: Any) -> list[str] | None:
    """Column names of a table-like input, or None for arrays."""
    for attr in ("column_names", "columns"):
        names = getattr(X, attr, None)
        if names is not None and not isinstance(X, np.ndarray):
            return [str(n) for n in names]
    return None


def target_name(table: Any, y: Any) -> str:
    """The column name ``y`` gets next to the features: its own name (a pandas/polars
    Series), else ``"y"``, unless that collides with a feature column."""
    names = set(table.schema.names)
    name = getattr(y, "name", None)
    for candidate in (name if isinstance(name, str) and name else None, "y", "__ferrops_target__"):
        if candidate is not None and candidate not in names:
            return candidate
    raise ValueError("cannot name the target column: pass target= with the name of a column of X instead of y")


def with_target(table: Any, y: Any, name: str) -> pa.Table:
    """Append ``y`` to ``table`` as column ``name``."""
    if not isinstance(table, (pa.Table, pa.RecordBatch)):
        table = pa.table(table)
    if name in table.schema.names:
        raise ValueError(f"the table already has a column named {name!r}: pass target={name!r} instead of y")
    if isinstance(y, (pa.Array, pa.ChunkedArray)):
        arr = y
    elif type(y).__module__.startswith("pandas"):
        arr = pa.Array.from_pandas(y)
    elif type(y).__module__.startswith("polars"):
        arr = y.to_arrow()
    else:
        arr = pa.array(np.asarray(y))
    if len(arr) != table.num_rows:
        raise ValueError(f"y has {len(arr)} values but X has {table.num_rows} rows")
    return table.append_column(name, arr)


def convert_output(batch: pa.RecordBatch, output: str) -> Any:
    """Convert a transform's output to the requested container."""
    if output == "pyarrow":
        return pa.Table.from_batches([batch])
    if output == "pandas":
        return batch.replace_schema_metadata(None).to_pandas()
    if output == "polars":
        import polars as pl

        return pl.from_arrow(batch)
    # default / numpy: a float matrix when every column is numeric, else an object matrix.
    columns = [batch.column(i) for i in range(batch.num_columns)]
    if all(pa.types.is_floating(c.type) or pa.types.is_integer(c.type) or pa.types.is_boolean(c.type) for c in columns):
        out = np.empty(
            (batch.num_rows, batch.num_columns), dtype=np.float64, order="F"
        )  # column copies stay contiguous
        for i, c in enumerate(columns):
            out[:, i] = (
                c.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
                if c.null_count == 0
                else c.to_pandas().to_numpy(dtype=np.float64, na_value=np.nan)
            )
        return out
    return (
        np.column_stack([c.to_numpy(zero_copy_only=False) for c in columns])
        if columns
        else np.empty((batch.num_rows, 0))
    )


def array_output(arr: Any) -> np.ndarray:
    """A pyarrow array of predictions as numpy."""
    return arr.to_numpy(zero_copy_only=False)
