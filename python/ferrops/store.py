"""The feature store: features kept versioned in one place, so that training and
serving see the same values.

Embedded (a local directory by default, ``s3://bucket/prefix`` on S3-compatible
storage; no server) and on open formats. The Rust core is ``ferrops::store``.

- :class:`Entity` (what features describe, by its join keys) and :class:`FeatureView`
  (typed features of some entities over time, with an event-timestamp column, an
  optional created-timestamp column and a TTL) are registered with
  :meth:`FeatureStore.register`; they are stored as readable JSON in the store.
- Each view's rows are a Delta Lake table: :meth:`FeatureStore.write` (``append``,
  ``overwrite``, ``upsert``) makes one atomic commit, a new version;
  :meth:`FeatureStore.read` reads the latest version, a version, or the version current
  at a time; :meth:`FeatureStore.history` lists the commits. Spark, DuckDB, Polars and
  the ``deltalake`` package read and write the same tables (``store.table_uri(view)``).
- :meth:`FeatureStore.historical_features` builds point-in-time-correct training sets:
  for each entity row, each view's row with the same keys and the latest event time at
  or before the row's timestamp (and within the TTL). Exactly one output row per entity
  row, in input order.
- :meth:`FeatureStore.latest_features`: the latest row per key in a time range.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from . import _core
from ._core import InvalidParameterError
from ._io import to_arrow

__all__ = [
    "Entity",
    "MaterializeResult",
    "OnlineFeatures",
    "Statistics",
    "Feature",
    "FeatureStore",
    "FeatureView",
    "History",
    "TrainingSet",
    "WriteResult",
]

_TYPES = ("bool", "int32", "int64", "float32", "float64", "string", "timestamp", "date")


def _check_type(dtype: str, where: str) -> str:
    name = str(dtype).lower()
    aliases = {"int": "int64", "float": "float64", "str": "string", "datetime": "timestamp", "boolean": "bool"}
    name = aliases.get(name, name)
    if name not in _TYPES:
        raise InvalidParameterError(f"{where}: unknown type {dtype!r}; use one of {', '.join(_TYPES)}")
    return name


def _micros(value: Any, name: str) -> int | None:
    """A point in time as µs since the epoch (UTC): datetime (naive = UTC), date,
    pandas Timestamp, numpy datetime64, ISO string, or an int of µs."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidParameterError(f"{name}: expected a datetime, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    if type(value).__module__ == "numpy":
        import numpy as np

        return int(np.datetime64(value, "us").astype("int64"))
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        delta = value - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, _dt.date):
        return _micros(_dt.datetime(value.year, value.month, value.day), name)
    raise InvalidParameterError(f"{name}: expected a datetime, date, ISO string or µs integer, got {value!r}")


def _from_micros(us: int) -> _dt.datetime:
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(microseconds=us)


def _seconds(ttl: Any) -> int | None:
    if ttl is None:
        return None
    if isinstance(ttl, _dt.timedelta):
        return int(ttl.total_seconds())
    if isinstance(ttl, (int, float)) and not isinstance(ttl, bool):
        return int(ttl)
    if type(ttl).__module__.startswith("pandas"):
        return int(ttl.total_seconds())
    raise InvalidParameterError(f"ttl: expected a timedelta or seconds, got {ttl!r}")


def _table_html(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<div><b>{html.escape(title)}</b><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


class Feature:
    """A typed column of a feature view (or a join key).

    Parameters
    ----------
    name : str
        Column name.
    dtype : str
        One of ``bool``, ``int32``, ``int64``, ``float32``, ``float64``, ``string``,
        ``timestamp``, ``date``.
    description : str, optional
    """

    def __init__(self, name: str, dtype: str, description: str | None = None) -> None:
        self.name = name
        self.dtype = _check_type(dtype, f"feature {name!r}")
        self.description = description

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.description is not None:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Feature:
        return cls(d["name"], d["dtype"], d.get("description"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Feature) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Feature({self.name!r}, {self.dtype!r})"


def _features(spec: Any, where: str) -> list[Feature]:
    if isinstance(spec, Mapping):
        return [Feature(name, dtype) for name, dtype in spec.items()]
    out = []
    for f in spec:
        if isinstance(f, Feature):
            out.append(f)
        elif isinstance(f, tuple) and len(f) == 2:
            out.append(Feature(f[0], f[1]))
        else:
            raise InvalidParameterError(f"{where}: expected Feature objects, (name, dtype) pairs or a dict, got {f!r}")
    return out


class Entity:
    """What features describe (a driver, a customer), identified by its join keys.

    Parameters
    ----------
    name : str
        Letters, digits and ``_``.
    join_keys : str, list of str, or dict of name to type
        The key column(s). A name or list takes ``dtype``; a dict gives each key's type.
    dtype : str, default "int64"
        Type of the join keys given by name (``int64``, ``int32``, ``string``, ...).
    description, owner : str, optional
    tags : dict, optional
    """

    def __init__(
        self,
        name: str,
        join_keys: str | Sequence[str] | Mapping[str, str],
        dtype: str = "int64",
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        owner: str | None = None,
    ) -> None:
        self.name = name
        if isinstance(join_keys, str):
            join_keys = [join_keys]
        if isinstance(join_keys, Mapping):
            self.join_keys = _features(join_keys, f"entity {name!r}")
        else:
            self.join_keys = [Feature(k, dtype) for k in join_keys]
        self.description = description
        self.tags = dict(tags or {})
        self.owner = owner

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "join_keys": [k.to_dict() for k in self.join_keys]}
        if self.description is not None:
            out["description"] = self.description
        if self.tags:
            out["tags"] = self.tags
        if self.owner is not None:
            out["owner"] = self.owner
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Entity:
        return cls(
            d["name"],
            {k["name"]: k["dtype"] for k in d["join_keys"]},
            description=d.get("description"),
            tags=d.get("tags"),
            owner=d.get("owner"),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entity) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        keys = ", ".join(f"{k.name}: {k.dtype}" for k in self.join_keys)
        return f"Entity({self.name!r}, join_keys={{{keys}}})"

    def _repr_html_(self) -> str:
        rows = [[k.name, k.dtype, k.description or ""] for k in self.join_keys]
        title = f"Entity {self.name}" + (f": {self.description}" if self.description else "")
        return _table_html(title, ["join key", "type", "description"], rows)


class FeatureView:
    """Typed features of some entities over time: one Delta Lake table in the store.

    Parameters
    ----------
    name : str
        Letters, digits and single ``_`` (``__`` separates view and feature in full names).
    entities : list of str or Entity
        Whose join keys key the rows.
    features : dict of name to type, or list of Feature
        The features (``float64``, ``int64``, ``string``, ``bool``, ``timestamp``, ...).
    timestamp_field : str, default "event_timestamp"
        The event time: when the values became true.
    created_timestamp_field : str, optional
        When the row was computed: breaks ties between rows of the same event time, and
        enables ``as_of_created`` in :meth:`FeatureStore.historical_features`.
    ttl : timedelta or seconds, optional
        How long a value stays valid after its event time (None or 0: forever); enforced
        offline and online.
    description, owner : str, optional
    tags : dict, optional
    """

    def __init__(
        self,
        name: str,
        entities: Sequence[str | Entity],
        features: Mapping[str, str] | Sequence[Feature],
        timestamp_field: str = "event_timestamp",
        *,
        created_timestamp_field: str | None = None,
        ttl: Any = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        owner: str | None = None,
    ) -> None:
        self.name = name
        if isinstance(entities, (str, Entity)):
            entities = [entities]
        self.entities = [e.name if isinstance(e, Entity) else e for e in entities]
        self.features = _features(features, f"feature view {name!r}")
        self.timestamp_field = timestamp_field
        self.created_timestamp_field = created_timestamp_field
        self.ttl_seconds = _seconds(ttl)
        self.description = description
        self.tags = dict(tags or {})
        self.owner = owner

    @property
    def ttl(self) -> _dt.timedelta | None:
        """The TTL as a timedelta (None: forever)."""
        return None if not self.ttl_seconds else _dt.timedelta(seconds=self.ttl_seconds)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "entities": self.entities,
            "timestamp_field": self.timestamp_field,
            "features": [f.to_dict() for f in self.features],
        }
        if self.created_timestamp_field is not None:
            out["created_timestamp_field"] = self.created_timestamp_field
        if self.ttl_seconds is not None:
            out["ttl_seconds"] = self.ttl_seconds
        if self.description is not None:
            out["description"] = self.description
        if self.tags:
            out["tags"] = self.tags
        if self.owner is not None:
            out["owner"] = self.owner
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureView:
        return cls(
            d["name"],
            d["entities"],
            [Feature.from_dict(f) for f in d["features"]],
            d["timestamp_field"],
            created_timestamp_field=d.get("created_timestamp_field"),
            ttl=d.get("ttl_seconds"),
            description=d.get("description"),
            tags=d.get("tags"),
            owner=d.get("owner"),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureView) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"FeatureView({self.name!r}, entities={self.entities}, features={[f.name for f in self.features]})"

    def _repr_html_(self) -> str:
        rows = [[f.name, f.dtype, f.description or ""] for f in self.features]
        title = (
            f"FeatureView {self.name} (entities {', '.join(self.entities)}; event time {self.timestamp_field}"
            + (f"; created {self.created_timestamp_field}" if self.created_timestamp_field else "")
            + (f"; ttl {self.ttl}" if self.ttl else "")
            + ")"
        )
        return _table_html(title, ["feature", "type", "description"], rows)


class WriteResult:
    """What a write committed: ``view``, ``version`` (the new table version), ``rows``, ``mode``."""

    def __init__(self, d: Mapping[str, Any]) -> None:
        self.view: str = d["view"]
        self.version: int = d["version"]
        self.rows: int = d["rows"]
        self.mode: str = d["mode"]

    def __repr__(self) -> str:
        return f"WriteResult(view={self.view!r}, version={self.version}, rows={self.rows}, mode={self.mode!r})"


class History(list):  # type: ignore[type-arg]
    """The commits of a view's table, oldest first: one dict per version with
    ``version``, ``timestamp`` (UTC datetime), ``operation``, ``mode``, ``rows_added``,
    ``files_added``, ``files_removed``, ``rows_written``, ``engine``."""

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(list(self))

    def _repr_html_(self) -> str:
        header = ["version", "timestamp", "operation", "mode", "rows_added", "files_added", "files_removed"]
        return _table_html("History", header, [[e.get(h) for h in header] for e in self])


class Statistics:
    """Per-column statistics of a view's table at one version.

    ``summary`` is one dict per column (``column``, ``kind``, ``type``, ``count``,
    ``null_count``, ``nan_count``, ``inf_count``, ``mean``, ``std`` (ddof=1), ``min``,
    ``max``, quantiles ``p1`` ... ``p99`` from a KLL sketch (rank error about 1.3% at the
    default size) for numeric and timestamp columns (timestamps in µs), and ``top``
    (the 10 most frequent values with counts) for string and bool columns); ``profile``
    is the full mergeable profile (JSON-compatible dict) that the drift layer uses.
    """

    def __init__(self, view: str, version: int, profile_json: str, summary_json: str) -> None:
        self.view = view
        self.version = version
        self.profile: dict[str, Any] = json.loads(profile_json)
        self.summary: list[dict[str, Any]] = json.loads(summary_json)
        self.rows: int = self.profile.get("rows", 0)

    def __getitem__(self, column: str) -> dict[str, Any]:
        for c in self.summary:
            if c["column"] == column:
                return c
        raise KeyError(column)

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.summary).set_index("column")

    def __repr__(self) -> str:
        return f"Statistics(view={self.view!r}, version={self.version}, rows={self.rows}, columns={len(self.summary)})"

    def _repr_html_(self) -> str:
        header = ["column", "kind", "count", "null_count", "mean", "std", "min", "p50", "max", "top"]

        def cell(c: dict[str, Any], h: str) -> Any:
            v = c.get(h)
            if isinstance(v, float):
                return f"{v:.6g}"
            if h == "top" and v:
                return ", ".join(f"{k} ({n})" for k, n in v[:3])
            return "" if v is None else v

        rows = [[cell(c, h) for h in header] for c in self.summary]
        return _table_html(f"Statistics of {self.view} at version {self.version} ({self.rows} rows)", header, rows)


class MaterializeResult:
    """What a materialization wrote online: ``view``, ``version`` (table version read),
    ``start``/``end`` (UTC datetimes; ``start`` None = from the beginning), ``keys``
    offered, and ``inserted`` / ``updated`` / ``kept_newer`` keys."""

    def __init__(self, d: Mapping[str, Any]) -> None:
        self.view: str = d["view"]
        self.version: int = d["version"]
        self.start = None if d["start_micros"] is None else _from_micros(d["start_micros"])
        self.end = _from_micros(d["end_micros"])
        self.keys: int = d["keys"]
        self.inserted: int = d["inserted"]
        self.updated: int = d["updated"]
        self.kept_newer: int = d["kept_newer"]

    def __repr__(self) -> str:
        return (
            f"MaterializeResult(view={self.view!r}, version={self.version}, keys={self.keys}, "
            f"inserted={self.inserted}, updated={self.updated}, kept_newer={self.kept_newer})"
        )


class OnlineFeatures:
    """Served features: ``table`` (the request's columns, then one column per feature)
    and ``status`` (per feature column, one of ``present``, ``null_value``,
    ``not_found``, ``outside_ttl`` per row)."""

    def __init__(self, table: Any, status: dict[str, list[str]]) -> None:
        self.table = table
        self.status = status

    def to_dict(self) -> dict[str, list[Any]]:
        """Columns as lists (pyarrow nulls as None)."""
        t = self.table if isinstance(self.table, pa.Table) else pa.table(self.table)
        return t.to_pydict()

    def __repr__(self) -> str:
        return f"OnlineFeatures(rows={len(self.table)}, features={list(self.status)})"


class TrainingSet:
    """A training set and its lineage: ``table`` (the requested container) and
    ``lineage`` (``{view: version}`` read; pass it as ``versions=`` to rebuild it)."""

    def __init__(self, table: Any, lineage: dict[str, int]) -> None:
        self.table = table
        self.lineage = lineage

    def __repr__(self) -> str:
        return f"TrainingSet(rows={len(self.table)}, lineage={self.lineage})"


def _convert(batch: pa.RecordBatch, output: str, like: Any = None) -> Any:
    if output == "auto":
        module = type(like).__module__ if like is not None else ""
        output = "pandas" if module.startswith("pandas") else "polars" if module.startswith("polars") else "pyarrow"
    if output == "pyarrow":
        return pa.Table.from_batches([batch])
    if output == "pandas":
        return batch.to_pandas()
    if output == "polars":
        import polars as pl

        return pl.from_arrow(batch)
    raise InvalidParameterError(f"output: expected 'auto', 'pyarrow', 'pandas' or 'polars', got {output!r}")


class FeatureStore:
    """An embedded feature store on a local directory or S3-compatible storage.

    Parameters
    ----------
    uri : str or path
        A directory (created if missing), ``file://`` URL, or ``s3://bucket/prefix``
        (endpoint, region and credentials from the ``AWS_*`` environment variables, e.g.
        ``AWS_ENDPOINT_URL`` and ``AWS_ALLOW_HTTP=true`` for a local S3-compatible server).

    Examples
    --------
    >>> import tempfile, pandas as pd, ferrops as fo
    >>> store = fo.FeatureStore(tempfile.mkdtemp())
    >>> store.register(fo.Entity("driver", "driver_id"))
    >>> store.register(fo.FeatureView("stats", ["driver"], {"rate": "float64"}))
    >>> rows = pd.DataFrame({"driver_id": [1, 1], "rate": [0.1, 0.3],
    ...     "event_timestamp": pd.to_datetime(["2024-01-01", "2024-01-03"], utc=True)})
    >>> store.write("stats", rows).version
    1
    >>> labels = pd.DataFrame({"driver_id": [1], "event_timestamp": pd.to_datetime(["2024-01-02"], utc=True)})
    >>> store.historical_features(labels, ["stats:rate"])["rate"].tolist()
    [0.1]
    """

    def __init__(self, uri: Any) -> None:
        self._store = _core.FeatureStore(str(uri))

    @property
    def uri(self) -> str:
        """The URI the store was opened with."""
        return self._store.uri

    def __repr__(self) -> str:
        return f"FeatureStore({self.uri!r})"

    # definitions -------------------------------------------------------------

    def register(self, *definitions: Entity | FeatureView) -> None:
        """Register entities and feature views (entities first). Re-registering the same
        definition is a no-op; a feature view's description, tags, owner and TTL may
        change, its keys, timestamps and features may not (see :meth:`add_features`).

        Raises
        ------
        StoreError
            Unknown entity, duplicate column, or a change existing data cannot follow.
        InvalidParameterError
            A name that is empty, too long, or tries to leave the store.
        """
        for d in sorted(definitions, key=lambda d: not isinstance(d, Entity)):
            if isinstance(d, Entity):
                self._store.register_entity(json.dumps(d.to_dict()))
            elif isinstance(d, FeatureView):
                self._store.register_feature_view(json.dumps(d.to_dict()))
            else:
                raise InvalidParameterError(f"register: expected Entity or FeatureView, got {type(d).__name__}")

    def add_features(self, view: str, features: Mapping[str, str] | Sequence[Feature]) -> int:
        """Add nullable features to a view (explicit schema evolution); earlier rows read
        them as null. Returns the new table version."""
        specs = [f.to_dict() for f in _features(features, f"add_features({view!r})")]
        return self._store.add_features(view, json.dumps(specs))

    def entities(self) -> list[Entity]:
        """The registered entities."""
        return [Entity.from_dict(d) for d in json.loads(self._store.entities())]

    def entity(self, name: str) -> Entity:
        """One registered entity (``StoreError`` if unknown)."""
        return Entity.from_dict(json.loads(self._store.entity(name)))

    def feature_views(self) -> list[FeatureView]:
        """The registered feature views."""
        return [FeatureView.from_dict(d) for d in json.loads(self._store.feature_views())]

    def feature_view(self, name: str) -> FeatureView:
        """One registered feature view (``StoreError`` if unknown)."""
        return FeatureView.from_dict(json.loads(self._store.feature_view(name)))

    # offline data ------------------------------------------------------------

    def write(self, view: str, table: Any, mode: str = "append") -> WriteResult:
        """Write rows to a view as one atomic commit (a new table version).

        Parameters
        ----------
        view : str
        table : pandas, polars or pyarrow table
            Exactly the view's columns: join keys and event timestamp (no nulls), the
            created timestamp if the view has one, and every feature in its declared
            type. Naive timestamps are UTC; timestamps are stored as µs UTC.
        mode : {"append", "overwrite", "upsert"}
            ``upsert`` replaces stored rows with the same keys and event timestamp.

        Raises
        ------
        SchemaError
            A missing column or a changed type (named); nothing is written.
        DataError
            A null key or event timestamp.
        ConflictError
            A concurrent commit won (overwrite/upsert); nothing was written: retry.
        """
        return WriteResult(json.loads(self._store.write(view, to_arrow(table), mode)))

    def read(self, view: str, version: int | None = None, as_of: Any = None, output: str = "pyarrow") -> Any:
        """Every row of a view: the latest version, table ``version``, or the version
        current at time ``as_of`` (datetime, naive = UTC)."""
        as_of_ms = None if as_of is None else _micros(as_of, "as_of") // 1000  # type: ignore[operator]
        return _convert(self._store.read(view, version, as_of_ms), output)

    def version(self, view: str) -> int:
        """The latest table version of a view."""
        return self._store.version(view)

    def history(self, view: str) -> History:
        """The commits of a view's table, oldest first."""
        out = History()
        for e in json.loads(self._store.history(view)):
            ms = e.pop("timestamp_ms")
            e["timestamp"] = None if ms is None else _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)
            out.append(e)
        return out

    def table_uri(self, view: str) -> str:
        """Where a view's Delta table lives, for other engines (``deltalake``, Polars,
        DuckDB, Spark)."""
        self.feature_view(view)
        base = self.uri
        if "://" not in base:
            import pathlib

            return str(pathlib.Path(base).resolve() / "views" / view)
        return base.rstrip("/") + "/views/" + view

    def historical_features(
        self,
        entity_rows: Any,
        features: Sequence[str],
        *,
        full_feature_names: bool = False,
        as_of_created: bool = False,
        timestamp_column: str = "event_timestamp",
        versions: Mapping[str, int] | None = None,
        output: str = "auto",
    ) -> Any:
        """A point-in-time-correct training set.

        For each entity row and each requested view: the view's row with the same join
        keys and the latest event timestamp at or before the row's timestamp; with a
        TTL, also at or after timestamp - TTL (inclusive). Ties on event time go to the
        latest created timestamp, then to the latest write. No match: nulls. Exactly one
        output row per entity row, in input order, duplicates kept; the entity rows'
        other columns (labels) pass through.

        Parameters
        ----------
        entity_rows : pandas, polars or pyarrow table
            Join keys of every requested view and ``timestamp_column`` (aware or naive
            = UTC, any unit, or dates).
        features : list of str
            ``"view:feature"`` references (``"view:*"`` for all of a view's features).
        full_feature_names : bool
            Name outputs ``view__feature``. Without it a name collision is an error.
        as_of_created : bool
            Ignore feature rows created after the entity row's timestamp.
        versions : dict, optional
            Read these views at these table versions (see :meth:`training_set`).
        output : {"auto", "pandas", "polars", "pyarrow"}
            ``auto`` returns the entity rows' kind.
        """
        return self.training_set(
            entity_rows,
            features,
            full_feature_names=full_feature_names,
            as_of_created=as_of_created,
            timestamp_column=timestamp_column,
            versions=versions,
            output=output,
        ).table

    def training_set(
        self,
        entity_rows: Any,
        features: Sequence[str],
        *,
        full_feature_names: bool = False,
        as_of_created: bool = False,
        timestamp_column: str = "event_timestamp",
        versions: Mapping[str, int] | None = None,
        output: str = "auto",
    ) -> TrainingSet:
        """:meth:`historical_features` with its lineage: the table versions read."""
        if isinstance(features, str):
            features = [features]
        batch, lineage = self._store.historical_features(
            to_arrow(entity_rows),
            list(features),
            timestamp_column,
            full_feature_names,
            as_of_created,
            dict(versions or {}),
        )
        lineage_map = {e["view"]: e["version"] for e in json.loads(lineage)}
        return TrainingSet(_convert(batch, output, entity_rows), lineage_map)

    def latest_features(
        self,
        view: str,
        features: Sequence[str] | None = None,
        *,
        start: Any = None,
        end: Any = None,
        output: str = "pyarrow",
    ) -> Any:
        """Entity-less retrieval: the latest row per key of ``view`` with an event time in
        ``[start, end]`` (datetimes, naive = UTC; either optional, inclusive)."""
        return _convert(
            self._store.latest_features(
                view,
                None if features is None else list(features),
                _micros(start, "start"),
                _micros(end, "end"),
            ),
            output,
        )

    # statistics --------------------------------------------------------------

    def statistics(self, view: str, version: int | None = None) -> Statistics:
        """Per-column statistics of a view at a table version (latest when None): stored
        with every write (computed on first request for versions other engines wrote)."""
        v = self.version(view) if version is None else version
        profile, summary = self._store.statistics(view, v)
        return Statistics(view, v, profile, summary)

    # online ------------------------------------------------------------------

    def materialize(self, view: str, start: Any = None, end: Any = None) -> MaterializeResult:
        """Write the latest row per key of ``view`` with an event time in ``[start, end]``
        (datetimes, naive = UTC; ``start`` None = from the beginning, ``end`` None = now)
        to the online store. An older row never replaces a newer one already online."""
        end_us = _micros(end, "end") if end is not None else _micros(_dt.datetime.now(_dt.UTC), "end")
        return MaterializeResult(json.loads(self._store.materialize(view, _micros(start, "start"), end_us)))

    def materialize_incremental(self, view: str, end: Any = None) -> MaterializeResult:
        """:meth:`materialize` from the end of the previous materialization to ``end``
        (default now). Rows written later with an event time before that end (late
        backfills) are not picked up, as in Feast: materialize their range."""
        end_us = _micros(end, "end") if end is not None else _micros(_dt.datetime.now(_dt.UTC), "end")
        return MaterializeResult(json.loads(self._store.materialize_incremental(view, end_us)))

    def last_materialization(self, view: str) -> MaterializeResult | None:
        """The last materialization of ``view`` (None if never)."""
        text = self._store.last_materialization(view)
        return None if text is None else MaterializeResult(json.loads(text))

    def online_features(
        self,
        keys: Any,
        features: Sequence[str],
        *,
        full_feature_names: bool = False,
        now: Any = None,
        output: str = "auto",
    ) -> OnlineFeatures:
        """Serve features for the keys in ``keys`` (a table, or a dict of key columns,
        e.g. ``{"driver_id": [1001, 1002]}``) from the online snapshot.

        Each value comes with a status: ``present``, ``null_value``, ``not_found`` or
        ``outside_ttl`` (the view's TTL is enforced at ``now``, default the current time,
        exactly as offline). A newer snapshot materialized by another process is picked
        up without restart.
        """
        if isinstance(features, str):
            features = [features]
        table, status = self._store.online_features(
            to_arrow(keys),
            list(features),
            full_feature_names,
            None if now is None else _micros(now, "now"),
        )
        like = None if isinstance(keys, dict) else keys
        return OnlineFeatures(_convert(table, output, like), dict(status))
