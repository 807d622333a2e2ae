"""Data validation: infer a schema from a table, keep it as an editable JSON or YAML
file, state expectations beside it, and validate new tables against it.

The Rust core is ``ferrops::validate::data``; the semantics follow TensorFlow Data
Validation for the inferred schema and Great Expectations for the written expectations.

- :func:`infer_schema` (or :meth:`Schema.infer`) reads a pandas, polars or pyarrow table
  and returns a :class:`Schema`: per column the logical type (``int``, ``float``,
  ``bool``, ``string``, ``timestamp``, ``date``), ``required``, ``max_null_fraction``,
  ``max_nan_fraction`` (floats), ``min``/``max`` (numbers), ``domain`` (strings with at
  most ``max_domain_size`` distinct values) and informational ``stats`` (count, nulls,
  NaN, distinct, mean, std, min, max, quantiles, top values); plus row-count bounds.
- :meth:`Schema.save` / :meth:`Schema.load` write and read ``.json``, ``.yaml`` or
  ``.yml`` files; a hand-edited file with a mistake raises an error naming the place.
- :data:`expect` builds expectations, e.g. ``expect.column("age").between(0, 120)``,
  ``expect.column("country").in_set(["DE", "FR"], mostly=0.99)``,
  ``expect.unique_key(["order_id", "line"])``; :meth:`Schema.with_expectations` adds them.
- :meth:`Schema.validate` (or :func:`validate`) returns a :class:`ValidationReport`:
  ``passed`` (no anomaly of severity ``"error"``), ``anomalies`` (one dict per anomaly:
  ``column``, ``check``, ``severity``, ``observed``, ``expected``, ``unexpected_count``,
  ``unexpected_fraction``, ``examples``), ``to_pandas()``, ``to_dict()``, and an HTML
  table in Jupyter. Bad data never raises: it is what the report is for.

Checks: ``missing_column``, ``extra_column`` (a warning by default), ``type``, ``nulls``,
``nan``, ``range``, ``domain``, ``row_count`` from the schema, and ``between``,
``in_set``, ``not_null``, ``unique``, ``matches``, ``row_count_between``, ``unique_key``
from expectations. Severities are ``"error"``, ``"warning"`` and ``"ignore"`` (the check
is skipped); see :meth:`Schema.with_severity`.

Types: an int column is accepted where ``float`` is expected; a float where ``int`` is
expected, or a string where a number is expected, is a ``type`` anomaly. pandas NaN in a
float column becomes null on the way to Arrow (``nulls``); polars and pyarrow NaN stay
NaN (``nan``). Expectations treat both as missing: ``not_null`` counts them, and the
value expectations skip them (their ``mostly`` is a fraction of the present values).
"""

from __future__ import annotations

import copy
import html
import json
import math
import numbers
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

from . import _core
from ._core import InvalidParameterError
from ._io import to_arrow

__all__ = [
    "ColumnExpectations",
    "Expectation",
    "Schema",
    "TableExpectations",
    "ValidationReport",
    "expect",
    "infer_schema",
    "validate",
]

SEVERITIES = ("error", "warning", "ignore")
SCHEMA_CHECKS = ("missing_column", "extra_column", "type", "nulls", "nan", "range", "domain", "row_count")
_ANOMALY_COLUMNS = (
    "column",
    "check",
    "severity",
    "observed",
    "expected",
    "unexpected_count",
    "unexpected_fraction",
    "examples",
)


def _plain(value: Any, where: str) -> Any:
    """A JSON-ready Python scalar from a Python or numpy scalar."""
    if value is None or isinstance(value, (bool, str)):
        return value
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (int, float)):
        value = item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise InvalidParameterError(
                f"invalid parameter {where}={value!r}: must be a finite number (leave a bound out, or None, "
                "for no bound)"
            )
        return value
    if isinstance(value, str):
        return value
    raise InvalidParameterError(f"invalid parameter {where}={value!r}: use a number, a string, a bool or None")


def _is(value: Any, target: float) -> bool:
    """True if ``value`` is a real number equal to ``target`` (an infinity)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value) == target


def _field(name: str, value: Any) -> Any:
    """A schema field's value made JSON-ready (numpy scalars and arrays included)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [_plain(v, name) for v in value]
    return _plain(value, name)


def _severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise InvalidParameterError(f"invalid parameter severity={severity!r}: use one of {', '.join(SEVERITIES)}")
    return severity


# ---------------------------------------------------------------------------------------
# Expectations
# ---------------------------------------------------------------------------------------


class Expectation:
    """One written expectation (build it with :data:`expect`).

    Its dict form, :meth:`to_dict`, is the record written in a schema file:
    ``{"check": "between", "column": "age", "min": 0, "max": 120, "mostly": 1.0,
    "severity": "error"}``. It is checked when made: an invalid one (``min > max``, a bad
    regular expression, ``mostly`` outside [0, 1]) raises ``InvalidParameterError``.
    """

    __slots__ = ("_record",)

    def __init__(self, record: dict[str, Any]) -> None:
        record = dict(record)
        record.setdefault("mostly", 1.0)
        record.setdefault("severity", "error")
        # Check it through the Rust schema checks, so Python and Rust agree on validity;
        # the message names the expectation, not the one-expectation schema used to check it.
        try:
            _core.schema_check(json.dumps({"expectations": [record]}))
        except InvalidParameterError as e:
            check = record.get("check")
            text = str(e)
            prefix = f"invalid parameter `schema` = expectations[0] ({check}): "
            reason = text[len(prefix) :] if text.startswith(prefix) else text
            where = f" on column {record['column']!r}" if "column" in record else ""
            raise InvalidParameterError(f"invalid expectation `{check}`{where}: {reason}") from None
        self._record = record

    @property
    def check(self) -> str:
        """The check name (``"between"``, ``"in_set"``, ...)."""
        return str(self._record["check"])

    def to_dict(self) -> dict[str, Any]:
        """The expectation as its file record."""
        return copy.deepcopy(self._record)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expectation) and other._record == self._record

    def __hash__(self) -> int:
        return hash(json.dumps(self._record, sort_keys=True))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._record.items() if k != "check")
        return f"Expectation({self.check}: {fields})"


class ColumnExpectations:
    """Expectations about one column; made by ``expect.column(name)``.

    Every method takes ``mostly`` (the fraction of present values that must pass,
    default 1.0) and ``severity`` (``"error"``, ``"warning"`` or ``"ignore"``).
    """

    __slots__ = ("_column",)

    def __init__(self, column: str) -> None:
        if not isinstance(column, str) or not column:
            raise InvalidParameterError(f"invalid parameter column={column!r}: give a column name")
        self._column = column

    def _make(self, check: str, mostly: float, severity: str, **fields: Any) -> Expectation:
        record = {"check": check, "column": self._column, **fields}
        record["mostly"] = _plain(mostly, "mostly")
        record["severity"] = _severity(severity)
        return Expectation(record)

    def between(
        self, min: float | None = None, max: float | None = None, *, mostly: float = 1.0, severity: str = "error"
    ) -> Expectation:
        """Present values lie in ``[min, max]`` (``expect_column_values_to_be_between``);
        a ``None`` bound (or ``min=-inf``, ``max=inf``) is open."""
        bounds = (("min", min, -math.inf), ("max", max, math.inf))
        fields = {k: _plain(v, k) for k, v, open_end in bounds if v is not None and not _is(v, open_end)}
        return self._make("between", mostly, severity, **fields)

    def in_set(self, values: Iterable[Any], *, mostly: float = 1.0, severity: str = "error") -> Expectation:
        """Present values are among ``values`` (``expect_column_values_to_be_in_set``).
        Numbers compare numerically (``1 == 1.0``)."""
        if isinstance(values, str):
            raise InvalidParameterError("invalid parameter values: give a list of values, not one string")
        return self._make("in_set", mostly, severity, values=[_plain(v, "values") for v in values])

    def not_null(self, *, mostly: float = 1.0, severity: str = "error") -> Expectation:
        """No nulls and no NaN (``expect_column_values_to_not_be_null``)."""
        return self._make("not_null", mostly, severity)

    def unique(self, *, mostly: float = 1.0, severity: str = "error") -> Expectation:
        """No present value occurs twice (``expect_column_values_to_be_unique``); every
        occurrence of a repeated value counts, as ``duplicated(keep=False)``."""
        return self._make("unique", mostly, severity)

    def matches(self, pattern: str, *, mostly: float = 1.0, severity: str = "error") -> Expectation:
        """Present strings contain a match of the regular expression ``pattern`` (Rust
        ``regex`` syntax; anchor with ``^...$`` for a full match)."""
        return self._make("matches", mostly, severity, pattern=str(pattern))


class TableExpectations:
    """Expectations about the whole table; made by ``expect.table()``."""

    __slots__ = ()

    def row_count_between(
        self, min: int | None = None, max: int | None = None, *, severity: str = "error"
    ) -> Expectation:
        """Between ``min`` and ``max`` rows, inclusive (``expect_table_row_count_to_be_between``)."""
        for name, value in (("min", min), ("max", max)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0):
                raise InvalidParameterError(f"invalid parameter {name}={value!r}: a row count is a whole number >= 0")
        record: dict[str, Any] = {"check": "row_count_between"}
        record.update({k: _plain(v, k) for k, v in (("min", min), ("max", max)) if v is not None})
        record["severity"] = _severity(severity)
        return Expectation(record)


class _Expect:
    """The expectation builders: ``expect.column(name)``, ``expect.table()``,
    ``expect.unique_key(columns)``."""

    __slots__ = ()

    @staticmethod
    def column(name: str) -> ColumnExpectations:
        """Expectations about the column ``name``."""
        return ColumnExpectations(name)

    @staticmethod
    def table() -> TableExpectations:
        """Expectations about the whole table."""
        return TableExpectations()

    @staticmethod
    def unique_key(columns: Sequence[str], *, mostly: float = 1.0, severity: str = "error") -> Expectation:
        """No combination of ``columns`` occurs in two rows (nulls equal nulls, as in pandas
        ``duplicated``; ``expect_compound_columns_to_be_unique``)."""
        if isinstance(columns, str):
            columns = [columns]
        return Expectation(
            {
                "check": "unique_key",
                "columns": [str(c) for c in columns],
                "mostly": _plain(mostly, "mostly"),
                "severity": _severity(severity),
            }
        )

    def __repr__(self) -> str:
        return "ferrops.expect"


expect = _Expect()
"""The expectation builders: ``expect.column("age").between(0, 120)``, ..."""


# ---------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------


class Schema:
    """What a table is expected to look like: row count, columns, expectations.

    Make one with :func:`infer_schema`, :meth:`Schema.load`, :meth:`Schema.from_dict`,
    :meth:`Schema.from_json` or :meth:`Schema.from_yaml`; ``Schema()`` is the empty schema. A schema is immutable: the
    ``with_*`` methods return a new one. Its dict form is the file format.

    Examples
    --------
    >>> import pandas as pd
    >>> import ferrops as fo
    >>> train = pd.DataFrame({"age": [23, 35, 41], "country": ["DE", "FR", "DE"]})
    >>> schema = fo.infer_schema(train)
    >>> schema.column("country")["domain"]
    ['DE', 'FR']
    >>> report = schema.validate(pd.DataFrame({"age": [30, 150], "country": ["DE", "BR"]}))
    >>> report.passed, [a["check"] for a in report.anomalies]
    (False, ['range', 'domain'])
    """

    __slots__ = ("_dict", "_json")

    def __init__(self, canonical_json: str | None = None) -> None:
        # ``Schema()`` is the empty schema (no columns, no bounds, no expectations), to
        # build on with ``with_column``/``with_expectations``. The argument is private:
        # the canonical JSON from the Rust layer.
        if canonical_json is None:
            canonical_json = _core.schema_check("{}")
        self._json = canonical_json
        self._dict: dict[str, Any] = json.loads(canonical_json)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def infer(
        cls,
        X: Any,
        *,
        max_domain_size: int = 100,
        infer_ranges: bool = True,
        range_margin: float = 0.0,
        null_margin: float = 0.05,
        min_rows: int | None = 1,
        quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
        top_values: int = 10,
    ) -> Schema:
        """Infer a schema from a table (pandas, polars, pyarrow); see :func:`infer_schema`."""
        for name, value in (("max_domain_size", max_domain_size), ("top_values", top_values), ("min_rows", min_rows)):
            if value is not None and int(value) < 0:
                raise InvalidParameterError(f"invalid parameter {name}={value}: must be >= 0")
        options = {
            "max_domain_size": int(max_domain_size),
            "infer_ranges": bool(infer_ranges),
            "range_margin": _plain(range_margin, "range_margin"),
            "null_margin": _plain(null_margin, "null_margin"),
            "min_rows": None if min_rows is None else int(min_rows),
            "quantiles": [_plain(q, "quantiles") for q in quantiles],
            "top_values": int(top_values),
        }
        return cls(_core.infer_schema(to_arrow(X), json.dumps(options)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        """A schema from its dict form (as :meth:`to_dict` gives); checked."""
        if not isinstance(data, dict):
            raise InvalidParameterError(f"a schema dict is required, got {type(data).__name__}")
        return cls(_core.schema_check(json.dumps(data)))

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """A schema from JSON text (a file's content); a mistake raises ``FerropsIOError``."""
        return cls(_core.schema_from_json(text))

    @classmethod
    def from_yaml(cls, text: str) -> Schema:
        """A schema from YAML text; a mistake raises ``FerropsIOError`` naming its line."""
        return cls(_core.schema_from_yaml(text))

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Schema:
        """Read a ``.json``, ``.yaml`` or ``.yml`` schema file (the extension picks the format)."""
        return cls(_core.schema_load(path))

    # -- output -------------------------------------------------------------------------

    def save(self, path: str | PathLike[str]) -> None:
        """Write the schema to ``path``: JSON for ``.json``, YAML for ``.yaml``/``.yml``."""
        _core.schema_save(self._json, path)

    def to_dict(self) -> dict[str, Any]:
        """The schema as a dict (a deep copy; the file format)."""
        return copy.deepcopy(self._dict)

    def to_json(self) -> str:
        """The schema as pretty-printed JSON."""
        return self._json

    def to_yaml(self) -> str:
        """The schema as YAML."""
        return _core.schema_to_yaml(self._json)

    # -- inspection ---------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return [c["name"] for c in self._dict["columns"]]

    def column(self, name: str) -> dict[str, Any]:
        """The schema of column ``name`` (a copy), or ``KeyError``."""
        for c in self._dict["columns"]:
            if c["name"] == name:
                return copy.deepcopy(c)
        raise KeyError(f"column {name!r} is not in the schema; it has {self.columns}")

    @property
    def expectations(self) -> list[Expectation]:
        """The written expectations."""
        return [Expectation(e) for e in self._dict.get("expectations", [])]

    # -- edits (each returns a new schema) ------------------------------------------------

    def with_expectations(self, *expectations: Expectation) -> Schema:
        """This schema with ``expectations`` appended."""
        data = self.to_dict()
        for e in expectations:
            if not isinstance(e, Expectation):
                raise InvalidParameterError(f"expected an Expectation (from ferrops.expect), got {type(e).__name__}")
            data.setdefault("expectations", []).append(e.to_dict())
        return Schema.from_dict(data)

    def with_severity(self, check: str, severity: str, column: str | None = None) -> Schema:
        """This schema with the severity of the schema check ``check`` set, for every
        column or for ``column`` only (which wins over the schema-wide setting)."""
        if check not in SCHEMA_CHECKS:
            raise InvalidParameterError(
                f"invalid parameter check={check!r}: use one of {', '.join(SCHEMA_CHECKS)} "
                "(an expectation's severity is set on the expectation)"
            )
        data = self.to_dict()
        if column is None:
            data.setdefault("severity", {})[check] = _severity(severity)
        else:
            for c in data["columns"]:
                if c["name"] == column:
                    c.setdefault("severity", {})[check] = _severity(severity)
                    break
            else:
                raise KeyError(f"column {column!r} is not in the schema; it has {self.columns}")
        return Schema.from_dict(data)

    def with_column(self, name: str, **fields: Any) -> Schema:
        """This schema with the fields of column ``name`` updated (``min=0``,
        ``domain=[...]``, ``required=False``, ``max_null_fraction=0.1``...), or the column
        added (then ``type`` is required)."""
        data = self.to_dict()
        fields = {k: _field(k, v) for k, v in fields.items()}
        for c in data["columns"]:
            if c["name"] == name:
                c.update(fields)
                break
        else:
            if "type" not in fields:
                raise InvalidParameterError(
                    f"column {name!r} is not in the schema: to add it, give its type=, one of "
                    "'int', 'float', 'bool', 'string', 'timestamp', 'date'"
                )
            data["columns"].append({"name": name, **fields})
        return Schema.from_dict(data)

    # -- validation -----------------------------------------------------------------------

    def validate(self, X: Any) -> ValidationReport:
        """Validate a table (pandas, polars, pyarrow) against this schema."""
        return ValidationReport(json.loads(_core.validate_data(to_arrow(X), self._json)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and other._dict == self._dict

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        columns = self._dict["columns"]
        cols = ", ".join(f"{c['name']}: {c['type']}" for c in columns[:12])
        if len(columns) > 12:
            cols += f", ... ({len(columns)} columns)"
        n = len(self._dict.get("expectations", []))
        return f"Schema({cols}; {n} expectation(s))"


def infer_schema(
    X: Any,
    *,
    max_domain_size: int = 100,
    infer_ranges: bool = True,
    range_margin: float = 0.0,
    null_margin: float = 0.05,
    min_rows: int | None = 1,
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
    top_values: int = 10,
) -> Schema:
    """Infer a :class:`Schema` from a table.

    Parameters
    ----------
    X : pandas.DataFrame, polars.DataFrame, pyarrow.Table or RecordBatch
        The table (at least one row and one column).
    max_domain_size : int, default 100
        A string column with at most this many distinct values gets a ``domain``
        (TFDV's ``max_string_domain_size``); 0 infers none.
    infer_ranges : bool, default True
        Infer ``min``/``max`` of numeric columns.
    range_margin : float, default 0.0
        Widen each range by this fraction of its span on both sides (integer bounds
        rounded outwards).
    null_margin : float, default 0.05
        A column with nulls gets ``max_null_fraction`` = observed fraction + this (at
        most 1); a column without nulls gets 0. Same for ``max_nan_fraction``.
    min_rows : int or None, default 1
        The inferred minimum row count (``None``: no bound).
    quantiles : sequence of float
        Quantiles recorded in the stats of numeric columns (linear interpolation, as
        ``pandas.Series.quantile``).
    top_values : int, default 10
        How many of the most frequent values of string and bool columns the stats keep.

    Returns
    -------
    Schema

    Raises
    ------
    DataError
        The table has no rows or no columns.
    SchemaError
        A column of a type the schema cannot describe (binary, nested, all-null).
    """
    return Schema.infer(
        X,
        max_domain_size=max_domain_size,
        infer_ranges=infer_ranges,
        range_margin=range_margin,
        null_margin=null_margin,
        min_rows=min_rows,
        quantiles=quantiles,
        top_values=top_values,
    )


def validate(
    X: Any,
    schema: Schema | str | PathLike[str] | None = None,
    *,
    expectations: Iterable[Expectation] = (),
) -> ValidationReport:
    """Validate a table against a schema (a :class:`Schema` or a schema file's path)
    and/or a list of expectations.

    Parameters
    ----------
    X : pandas.DataFrame, polars.DataFrame, pyarrow.Table or RecordBatch
        The table.
    schema : Schema, path or None
        The schema; ``None`` checks only ``expectations``.
    expectations : iterable of Expectation
        More expectations, checked after the schema's.

    Returns
    -------
    ValidationReport
    """
    if schema is None:
        base = Schema.from_dict({})
    elif isinstance(schema, Schema):
        base = schema
    elif isinstance(schema, (str, PathLike)):
        base = Schema.load(schema)
    else:
        raise InvalidParameterError(f"schema must be a Schema or a path, got {type(schema).__name__}")
    extra = list(expectations)
    if extra:
        base = base.with_expectations(*extra)
    return base.validate(X)


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class ValidationReport:
    """The result of a validation: every anomaly, and the verdict.

    Attributes
    ----------
    passed : bool
        True when no anomaly has severity ``"error"`` (also the truth value).
    anomalies : list of dict
        One dict per anomaly with keys ``column`` (None for the row count),
        ``check``, ``severity``, ``observed``, ``expected``, ``unexpected_count``,
        ``unexpected_fraction`` (None where rows are not counted) and ``examples``.
    n_rows, n_columns : int
        The size of the table checked.
    """

    def __init__(self, report: dict[str, Any]) -> None:
        self.passed: bool = bool(report["passed"])
        self.n_rows: int = int(report["n_rows"])
        self.n_columns: int = int(report["n_columns"])
        self.anomalies: list[dict[str, Any]] = [dict(a) for a in report["anomalies"]]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The anomalies of severity ``"error"``."""
        return [a for a in self.anomalies if a["severity"] == "error"]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """The anomalies of severity ``"warning"``."""
        return [a for a in self.anomalies if a["severity"] == "warning"]

    def __bool__(self) -> bool:
        return self.passed

    def __len__(self) -> int:
        return len(self.anomalies)

    def to_dict(self) -> dict[str, Any]:
        """``{"passed", "n_rows", "n_columns", "anomalies"}`` (JSON-ready)."""
        return {
            "passed": self.passed,
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "anomalies": copy.deepcopy(self.anomalies),
        }

    def to_pandas(self) -> Any:
        """The anomalies as a pandas DataFrame, one row per anomaly."""
        import pandas as pd

        return pd.DataFrame(self.anomalies, columns=list(_ANOMALY_COLUMNS))

    def _repr_html_(self) -> str:
        status = "PASSED" if self.passed else "FAILED"
        color = "#1a7f37" if self.passed else "#cf222e"
        head = "".join(f"<th>{html.escape(c)}</th>" for c in _ANOMALY_COLUMNS)
        rows = []
        for a in self.anomalies:
            style = ' style="color:#cf222e"' if a["severity"] == "error" else ""
            cells = "".join(f"<td>{html.escape(_cell(a.get(k)))}</td>" for k in _ANOMALY_COLUMNS)
            rows.append(f"<tr{style}>{cells}</tr>")
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>" if rows else ""
        return (
            f'<div><p><b style="color:{color}">Validation {status}</b>: {self.n_rows} rows, '
            f"{self.n_columns} columns, {len(self.errors)} error(s), {len(self.warnings)} warning(s)</p>"
            f"{table}</div>"
        )

    def __repr__(self) -> str:
        status = "passed" if self.passed else "FAILED"
        lines = [
            f"ValidationReport({status}: {self.n_rows} rows, {self.n_columns} columns, "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s))"
        ]
        for a in self.anomalies:
            where = f" on {a['column']!r}" if a["column"] is not None else ""
            lines.append(f"  [{a['severity']}] {a['check']}{where}: observed {a['observed']}, expected {a['expected']}")
        return "\n".join(lines)
