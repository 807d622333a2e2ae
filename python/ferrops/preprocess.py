"""Preprocessing (ETL) steps: they may change the row count and run batch by batch in Rust.

Each step is a small object holding its parameters (``get_params``/``set_params`` work as
for the transforms) and describing itself to Rust with ``_spec()``, the JSON form
``{"type": <tag>, ...}``. ``Preprocessing`` chains them:

>>> import ferrops as fo, pandas as pd
>>> df = pd.DataFrame({"age": ["31", "17", None], "city": ["Paris", "Lyon", "Nice"]})
>>> prep = fo.Preprocessing([
...     fo.Cast({"age": "int64"}),
...     fo.DropNulls(),
...     fo.Filter(fo.col("age") >= 18),
... ]).set_output(transform="pandas")
>>> prep.run(df).to_dict("list")
{'age': [31], 'city': ['Paris']}

Filters are built with ``col``: comparisons (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``),
``is_null()``, ``is_not_null()``, ``is_in([...])``, combined with ``&``, ``|`` and ``~``.
Nulls follow SQL/polars: a comparison with a null is null and a row whose predicate is
null is dropped.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import _core
from ._base import Spec
from ._io import convert_output, to_arrow

__all__ = [
    "Cast",
    "Clip",
    "Column",
    "Deduplicate",
    "Drop",
    "DropNulls",
    "Filter",
    "ParseTimestamps",
    "Predicate",
    "Preprocessing",
    "Rename",
    "Select",
    "col",
]

#: ``set_output`` choices of ``Preprocessing``: ``"default"`` is the pyarrow RecordBatch the
#: Rust core returns; the others convert it as the transforms' ``set_output`` does.
PREPROCESSING_OUTPUTS = ("default", "pyarrow", "pandas", "polars")


def _names(columns: str | Iterable[str]) -> list[str]:
    """A column name or a list of names, as a list of strings."""
    if isinstance(columns, str):
        return [columns]
    return [str(c) for c in columns]


# ---------------------------------------------------------------------------
# predicates
# ---------------------------------------------------------------------------


def _literal(value: Any, column: str) -> bool | int | float | str:
    """A Python value as a JSON literal of a predicate (bool, int, float or string).

    Dates and datetimes become ISO 8601 strings (the Rust side parses them for temporal
    columns); numpy scalars become Python scalars. ``None`` and NaN have no literal form.
    """
    import numpy as np

    if isinstance(value, np.datetime64):
        return str(value)  # ISO 8601 (.item() would give an int for nanoseconds)
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _core.InvalidParameterError(
                f"predicate on column {column!r}: {value!r} cannot be a literal (use is_null() for missing values)"
            )
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if value is None:
        raise _core.InvalidParameterError(
            f"predicate on column {column!r}: None is not a literal; use col({column!r}).is_null()"
        )
    raise _core.InvalidParameterError(
        f"predicate on column {column!r}: literal {value!r} of type {type(value).__name__} is not a "
        "bool, int, float, str, date or datetime"
    )


class Predicate:
    """A boolean condition on the columns of a row, built with ``col``.

    Combine with ``&`` (and), ``|`` (or) and ``~`` (not); ``to_dict()`` gives the JSON form
    the Rust ``Filter`` reads, e.g. ``{"op": "ge", "column": "age", "value": 18}``.

    >>> import ferrops as fo
    >>> ((fo.col("age") >= 18) & fo.col("city").is_in(["Paris", "Lyon"])).to_dict()
    {'op': 'and', 'predicates': [{'op': 'ge', 'column': 'age', 'value': 18}, {'op': 'is_in', 'column': 'city', 'values': ['Paris', 'Lyon']}]}
    """

    __slots__ = ("_json",)

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._json = dict(spec)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (a fresh copy)."""
        return json.loads(json.dumps(self._json))

    def _combine(self, op: str, other: Any) -> Predicate:
        if not isinstance(other, Predicate):
            return NotImplemented
        operands: list[dict[str, Any]] = []
        for p in (self, other):  # (a & b) & c is and[a, b, c]
            if p._json["op"] == op:
                operands.extend(p._json["predicates"])
            else:
                operands.append(p._json)
        return Predicate({"op": op, "predicates": operands})

    def __and__(self, other: Any) -> Predicate:
        return self._combine("and", other)

    def __or__(self, other: Any) -> Predicate:
        return self._combine("or", other)

    def __invert__(self) -> Predicate:
        return Predicate({"op": "not", "predicate": self._json})

    def __bool__(self) -> bool:
        raise TypeError(
            "a ferrops predicate has no truth value: combine with &, |, ~ (not and/or/not), "
            "and write 18 <= x < 65 as (col('x') >= 18) & (col('x') < 65)"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Predicate) and self._json == other._json

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Predicate({self._json!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_json": self._json}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._json = state["_json"]


class Column:
    """A reference to a column, to build a ``Predicate``: ``col("age") >= 18``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def _compare(self, op: str, value: Any) -> Predicate:
        return Predicate({"op": op, "column": self.name, "value": _literal(value, self.name)})

    def __eq__(self, value: Any) -> Predicate:  # type: ignore[override]
        return self._compare("eq", value)

    def __ne__(self, value: Any) -> Predicate:  # type: ignore[override]
        return self._compare("ne", value)

    def __lt__(self, value: Any) -> Predicate:
        return self._compare("lt", value)

    def __le__(self, value: Any) -> Predicate:
        return self._compare("le", value)

    def __gt__(self, value: Any) -> Predicate:
        return self._compare("gt", value)

    def __ge__(self, value: Any) -> Predicate:
        return self._compare("ge", value)

    __hash__ = None  # type: ignore[assignment]

    def is_null(self) -> Predicate:
        """The value is null (NaN is not null here, as polars)."""
        return Predicate({"op": "is_null", "column": self.name})

    def is_not_null(self) -> Predicate:
        """The value is not null."""
        return Predicate({"op": "is_not_null", "column": self.name})

    def is_in(self, values: Iterable[Any]) -> Predicate:
        """The value equals one of ``values`` (a list, tuple, set or array; not a single string)."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise _core.InvalidParameterError(
                f"col({self.name!r}).is_in: expected a list of values, got {type(values).__name__}"
            )
        return Predicate({"op": "is_in", "column": self.name, "values": [_literal(v, self.name) for v in values]})

    def __repr__(self) -> str:
        return f"col({self.name!r})"


def col(name: str) -> Column:
    """Refer to column ``name`` in a filter predicate.

    >>> import ferrops as fo
    >>> (fo.col("age") >= 18).to_dict()
    {'op': 'ge', 'column': 'age', 'value': 18}
    >>> (~fo.col("x").is_null()).to_dict()
    {'op': 'not', 'predicate': {'op': 'is_null', 'column': 'x'}}
    """
    return Column(name)


# ---------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------


class Step(Spec):
    """Base of the preprocessing steps: parameters as attributes, JSON form from ``_spec()``."""


class Cast(Step):
    """Cast columns to new types, with Arrow's cast rules (as pandas ``astype``).

    Parameters
    ----------
    columns : dict
        Column name -> target type: ``"float64"``, ``"float32"``, ``"int64"``, ``"int32"``,
        ``"string"``, ``"bool"``, ``"date"``, ``"timestamp_s"``, ``"timestamp_ms"``,
        ``"timestamp_us"`` or ``"timestamp_ns"``.
    safe : bool, default False
        ``False``: a value that cannot be cast raises ``DataError`` naming the column and
        row; ``True``: such values become null. Strings parse as numbers, booleans and ISO
        8601 dates; floats cast to integers truncate toward zero.

    >>> import ferrops as fo
    >>> fo.Cast({"age": "int64"})._spec()
    {'type': 'cast', 'columns': {'age': 'int64'}, 'safe': False}
    """

    _tag = "cast"

    def __init__(self, columns: Mapping[str, str], safe: bool = False) -> None:
        self.columns = columns
        self.safe = safe

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "columns": {str(k): str(v) for k, v in dict(self.columns).items()},
            "safe": self.safe,
        }


class ParseTimestamps(Step):
    """Parse string columns into timestamps, as pandas ``to_datetime``.

    Parameters
    ----------
    columns : str or list of str
        String columns to parse (temporal columns are cast to the output type).
    format : str or None, default None
        A chrono ``strftime`` format such as ``"%d/%m/%Y %H:%M"``; ``None`` accepts ISO 8601 /
        RFC 3339.
    timezone : str or None, default None
        IANA name or offset: the zone of strings without an offset, and of the output.
        ``None``: naive wall-clock times (strings with an offset are converted to UTC).
    unit : {"s", "ms", "us", "ns"}, default "us"
        Output resolution.
    errors : {"raise", "coerce"}, default "raise"
        ``"raise"``: an unparseable string raises ``DataError``; ``"coerce"``: it becomes null
        (pandas ``NaT``). Empty strings and ``NaT``/``nan``/``NaN`` are null either way.

    >>> import ferrops as fo
    >>> fo.ParseTimestamps("ts", errors="coerce")._spec()["columns"]
    ['ts']
    """

    _tag = "parse_timestamps"

    def __init__(
        self,
        columns: str | Sequence[str],
        format: str | None = None,
        timezone: str | None = None,
        unit: str = "us",
        errors: str = "raise",
    ) -> None:
        self.columns = columns
        self.format = format
        self.timezone = timezone
        self.unit = unit
        self.errors = errors

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "columns": _names(self.columns),
            "format": self.format,
            "timezone": self.timezone,
            "unit": self.unit,
            "errors": self.errors,
        }


class Filter(Step):
    """Keep the rows where ``predicate`` holds (a row whose predicate is null is dropped).

    Parameters
    ----------
    predicate : Predicate or dict
        Built with ``col`` (``col("age") >= 18``), or the JSON form as a dict.

    >>> import ferrops as fo
    >>> fo.Filter(fo.col("x").is_not_null() & (fo.col("x") > 0))._spec()["predicate"]["op"]
    'and'
    """

    _tag = "filter"

    def __init__(self, predicate: Predicate | Mapping[str, Any]) -> None:
        self.predicate = predicate

    def _spec(self) -> dict[str, Any]:
        p = self.predicate
        if isinstance(p, Predicate):
            spec = p.to_dict()
        elif isinstance(p, Mapping):
            spec = dict(p)
        else:
            raise _core.InvalidParameterError(
                f"Filter: predicate must be built with ferrops.col(...) or be a dict, not {type(p).__name__}"
            )
        return {"type": self._tag, "predicate": spec}


class DropNulls(Step):
    """Drop the rows with missing values, as pandas ``dropna``: null, and NaN in a float column.

    Parameters
    ----------
    columns : str, list of str or None, default None
        The columns to look at (pandas ``subset``); ``None``: every column.
    how : {"any", "all"}, default "any"
        Drop a row when any / all of ``columns`` are missing.

    >>> import ferrops as fo
    >>> fo.DropNulls(["a", "b"], how="all")._spec()
    {'type': 'drop_nulls', 'columns': ['a', 'b'], 'how': 'all'}
    """

    _tag = "drop_nulls"

    def __init__(self, columns: str | Sequence[str] | None = None, how: str = "any") -> None:
        self.columns = columns
        self.how = how

    def _spec(self) -> dict[str, Any]:
        columns = None if self.columns is None else _names(self.columns)
        return {"type": self._tag, "columns": columns, "how": self.how}


class Deduplicate(Step):
    """Keep one row per key over the whole input, as pandas
    ``df.sort_values(by, kind="stable").drop_duplicates(keys, keep="last")`` but in input order.

    Parameters
    ----------
    keys : str, list of str or None, default None
        The columns identifying a row; ``None`` (or ``[]``): every column except ``by``.
    by : str or None, default None
        An orderable column (number, timestamp, date, string, bool) choosing the kept row.
    keep : {"latest", "last", "first", "earliest"}, default "latest"
        ``"latest"``/``"last"``: the greatest ``by`` (ties: the later row); ``"first"``/
        ``"earliest"``: the smallest ``by`` (ties: the earlier row). Without ``by``, the last
        / first row of each key. A null ``by`` loses to any value.

    Null keys are equal to each other, as in pandas. The kept rows come out in input order.

    >>> import ferrops as fo
    >>> fo.Deduplicate("id", by="updated_at")._spec()
    {'type': 'deduplicate', 'keys': ['id'], 'by': 'updated_at', 'keep': 'latest'}
    """

    _tag = "deduplicate"

    def __init__(self, keys: str | Sequence[str] | None = None, by: str | None = None, keep: str = "latest") -> None:
        self.keys = keys
        self.by = by
        self.keep = keep

    def _spec(self) -> dict[str, Any]:
        keys = [] if self.keys is None else _names(self.keys)
        return {"type": self._tag, "keys": keys, "by": self.by, "keep": self.keep}


class Clip(Step):
    """Clip numeric columns to ``[lower, upper]``, as pandas ``Series.clip``.

    Parameters
    ----------
    columns : str or list of str
        Numeric columns to clip.
    lower, upper : float or None, default None
        Bounds; ``None`` leaves that side open. Nulls and NaN stay as they are. Integer columns
        stay integers when both bounds are whole numbers, else become float64 (as pandas).

    >>> import ferrops as fo
    >>> fo.Clip("x", lower=0)._spec()
    {'type': 'clip', 'columns': ['x'], 'lower': 0.0, 'upper': None}
    """

    _tag = "clip"

    def __init__(self, columns: str | Sequence[str], lower: float | None = None, upper: float | None = None) -> None:
        self.columns = columns
        self.lower = lower
        self.upper = upper

    def _spec(self) -> dict[str, Any]:
        bounds = {}
        for name in ("lower", "upper"):
            value = getattr(self, name)
            if value is not None:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise _core.InvalidParameterError(f"Clip: {name}={value!r} is not a number") from None
                if math.isnan(value):
                    raise _core.InvalidParameterError(f"Clip: {name} is NaN; use None for no bound")
            bounds[name] = value
        return {"type": self._tag, "columns": _names(self.columns), **bounds}


class Rename(Step):
    """Rename columns (``{old: new}``), as pandas ``rename(columns=...)`` but strict: an unknown
    column raises ``SchemaError``. Columns keep their position.

    >>> import ferrops as fo
    >>> fo.Rename({"a": "x"})._spec()
    {'type': 'rename', 'mapping': {'a': 'x'}}
    """

    _tag = "rename"

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = mapping

    def _spec(self) -> dict[str, Any]:
        return {"type": self._tag, "mapping": {str(k): str(v) for k, v in dict(self.mapping).items()}}


class Select(Step):
    """Keep only ``columns``, in that order (a missing column raises ``SchemaError``).

    >>> import ferrops as fo
    >>> fo.Select(["b", "a"])._spec()
    {'type': 'select', 'columns': ['b', 'a']}
    """

    _tag = "select"

    def __init__(self, columns: str | Sequence[str]) -> None:
        self.columns = columns

    def _spec(self) -> dict[str, Any]:
        return {"type": self._tag, "columns": _names(self.columns)}


class Drop(Step):
    """Remove ``columns`` (a missing column raises ``SchemaError``).

    >>> import ferrops as fo
    >>> fo.Drop("a")._spec()
    {'type': 'drop', 'columns': ['a']}
    """

    _tag = "drop"

    def __init__(self, columns: str | Sequence[str]) -> None:
        self.columns = columns

    def _spec(self) -> dict[str, Any]:
        return {"type": self._tag, "columns": _names(self.columns)}


# ---------------------------------------------------------------------------
# the chain
# ---------------------------------------------------------------------------


def _step_json(step: Any) -> str:
    if isinstance(step, Spec):
        return step._spec_json()
    if isinstance(step, Mapping):
        try:
            return json.dumps(dict(step), allow_nan=False)
        except (TypeError, ValueError) as e:
            raise _core.InvalidParameterError(f"preprocessing step {step!r} is not valid JSON ({e})") from None
    raise _core.InvalidParameterError(
        f"a preprocessing step must be a step object (e.g. ferrops.DropNulls()) or a dict, not {type(step).__name__}"
    )


class Preprocessing:
    """Run preprocessing steps in order over a table (pandas, polars, pyarrow or dict of columns).

    ``steps`` are step objects (``Cast``, ``ParseTimestamps``, ``Filter``, ``DropNulls``,
    ``Deduplicate``, ``Clip``, ``Rename``, ``Select``, ``Drop``) or their JSON forms as dicts
    (``{"type": "drop_nulls"}``). They are checked when the ``Preprocessing`` is built (a bad
    parameter raises ``InvalidParameterError``) and against the input schema before any row
    runs (a missing column raises ``SchemaError``).

    ``run`` returns a pyarrow ``RecordBatch``; ``set_output(transform="pandas")`` (or
    ``"polars"``, ``"pyarrow"`` for a ``pyarrow.Table``) converts it, as the transforms do.

    >>> import ferrops as fo, pyarrow as pa
    >>> prep = fo.Preprocessing([fo.Filter(fo.col("x") > 1), {"type": "rename", "mapping": {"x": "y"}}])
    >>> prep.run(pa.table({"x": [1, 2, 3]})).to_pydict()
    {'y': [2, 3]}
    """

    def __init__(self, steps: Sequence[Any]) -> None:
        self.steps = list(steps)
        self._output = "default"
        self._compile()  # validate now

    def _compile(self) -> Any:
        return _core.Preprocessing([_step_json(s) for s in self.steps])

    def specs(self) -> list[dict[str, Any]]:
        """The JSON form of every step."""
        return [json.loads(_step_json(s)) for s in self.steps]

    def set_output(self, *, transform: str | None = None) -> Preprocessing:
        """Choose ``run``'s output: ``"default"`` (pyarrow RecordBatch), ``"pyarrow"`` (pyarrow Table),
        ``"pandas"`` or ``"polars"``. Returns self."""
        if transform is not None:
            if transform not in PREPROCESSING_OUTPUTS:
                raise _core.InvalidParameterError(
                    f"set_output(transform={transform!r}): choose one of {PREPROCESSING_OUTPUTS}"
                )
            self._output = transform
        return self

    def _convert(self, batch: Any) -> Any:
        # pandas input leaves its dtypes in the schema metadata; once a step has cast or
        # renamed columns they are stale, and ``to_pandas`` would apply them (turning a
        # column cast to int64 back into strings). Drop them.
        metadata = batch.schema.metadata
        if metadata and b"pandas" in metadata:
            batch = batch.replace_schema_metadata({k: v for k, v in metadata.items() if k != b"pandas"} or None)
        if self._output == "default":
            return batch
        return convert_output(batch, self._output)

    def run(self, X: Any) -> Any:
        """Apply every step to ``X``; a pyarrow RecordBatch unless ``set_output`` chose otherwise."""
        return self._convert(self._compile().run(to_arrow(X)))

    def run_csv(
        self,
        path: str | os.PathLike[str],
        null_values: Sequence[str] | None = None,
        delimiter: str = ",",
        has_header: bool = True,
        infer_rows: int = 10000,
    ) -> Any:
        """Read a CSV file with ``ferrops.read_csv`` and run the steps on it.

        ``null_values`` are the tokens read as null (default ``"", "NA", "N/A", "NaN",
        "null", "?"``); ``infer_rows=0`` infers the schema from every row. An unreadable file
        (missing, not UTF-8, malformed) raises ``FerropsIOError``.

        >>> import ferrops as fo, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
        >>> _ = open(path, "w").write("a,b\\n1,x\\n-,y\\n")
        >>> fo.Preprocessing([fo.DropNulls()]).run_csv(path, null_values=["-"]).to_pydict()
        {'a': [1], 'b': ['x']}
        """
        table = _core.read_csv(
            os.fspath(path),
            null_values=None if null_values is None else list(null_values),
            delimiter=delimiter,
            has_header=has_header,
            infer_rows=infer_rows,
        )
        return self.run(table)

    def __repr__(self) -> str:
        return f"Preprocessing({self.steps!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"steps": self.steps, "_output": self._output}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.steps = state["steps"]
        self._output = state.get("_output", "default")
