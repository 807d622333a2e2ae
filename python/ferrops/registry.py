"""The model registry: immutable, verified model versions with their lineage, and
aliases moved by compare-and-swap with an append-only audit log.

Embedded (a local directory by default, ``s3://bucket/prefix`` on S3-compatible
storage, configured from the ``AWS_*`` environment as the feature store; no server).
The Rust core is ``ferrops::registry``.

- :meth:`ModelRegistry.register` stores a fitted :class:`ferrops.Pipeline` as the next
  version of a model (1, 2, 3… without gaps, even with several processes registering at
  once), with its metrics, tags, parameters, seed, the training data's lineage (feature
  views and their Delta versions, or a fingerprint of the training table) and a drift
  reference :class:`ferrops.drift.Profile`. Every artifact file is stored under its
  SHA-256; :meth:`ModelRegistry.load` verifies every hash and refuses a tampered file.
- Aliases (``champion``, ``challenger``, any name; ``latest`` and version-like names
  such as ``v3`` are reserved) are moved by :meth:`ModelRegistry.set_alias` with an
  optional expectation of where the alias points now (compare-and-swap: a stale
  expectation raises :class:`ferrops.ConflictError` and writes nothing). Every move is an
  :class:`AliasEvent` in an append-only log: :meth:`ModelRegistry.history` is the audit
  trail, :meth:`ModelRegistry.alias_at` answers "which version served at time T", and
  :meth:`ModelRegistry.rollback` walks the alias back one step at a time.
- :meth:`ModelRegistry.search` finds versions by model, tag and metric; registries and
  versions render as HTML tables in Jupyter.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import _core
from ._base import core_fitted
from ._io import to_arrow
from .drift import Profile
from .pipeline import Pipeline

__all__ = ["ANY", "AliasEvent", "ModelRegistry", "ModelVersion"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_MICRO = _dt.timedelta(microseconds=1)


class _AnyVersion:
    """The type of :data:`ANY`."""

    _instance: _AnyVersion | None = None

    def __new__(cls) -> _AnyVersion:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ferrops.registry.ANY"

    def __reduce__(self) -> str:
        return "ANY"


#: ``expected=ANY`` (the default of :meth:`ModelRegistry.set_alias` and
#: :meth:`ModelRegistry.delete_alias`): move the alias wherever it points now (no
#: compare-and-swap). ``expected=None`` means "only if the alias is unset",
#: ``expected=3`` "only if it points at version 3".
ANY = _AnyVersion()


def _datetime(micros: int) -> _dt.datetime:
    """µs since the epoch → an aware UTC datetime."""
    return _EPOCH + _dt.timedelta(microseconds=micros)


def _micros(when: Any) -> int:
    """A time (datetime, ISO text, numpy datetime64 or µs since the epoch) → µs, UTC."""
    if isinstance(when, (bool, np.bool_)):
        raise _core.InvalidParameterError(f"when={when!r}: give a datetime or µs since the epoch")
    if isinstance(when, (int, np.integer)):
        return int(when)
    if isinstance(when, str):
        try:
            when = _dt.datetime.fromisoformat(when)
        except ValueError as e:
            raise _core.InvalidParameterError(f"when={when!r} is not an ISO 8601 time: {e}") from None
    if isinstance(when, np.datetime64):
        return int(when.astype("datetime64[us]").astype(np.int64))
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
            when = when.replace(tzinfo=_dt.UTC)
        return (when - _EPOCH) // _MICRO
    if isinstance(when, _dt.date):
        return (_dt.datetime(when.year, when.month, when.day, tzinfo=_dt.UTC) - _EPOCH) // _MICRO
    raise _core.InvalidParameterError(
        f"when={when!r} ({type(when).__name__}): give a datetime (naive means UTC), ISO text, "
        "numpy datetime64 or µs since the epoch"
    )


def _reference(ref: Any) -> str:
    """A version reference (3, "v3", "latest", an alias) as the text the core parses."""
    if isinstance(ref, ModelVersion):
        return str(ref.version)
    if isinstance(ref, (bool, np.bool_)):
        raise _core.InvalidParameterError(f"ref={ref!r}: give a version number, 'latest' or an alias")
    if isinstance(ref, (int, np.integer)):
        if ref < 1:
            raise _core.InvalidParameterError(f"ref={ref}: versions are numbered from 1")
        return str(int(ref))
    if isinstance(ref, str):
        return ref
    raise _core.InvalidParameterError(
        f"ref={ref!r} ({type(ref).__name__}): give a version number (3, 'v3'), 'latest' or an alias name"
    )


def _version_number(version: Any, what: str = "version") -> int:
    if isinstance(version, ModelVersion):
        return version.version
    if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)):
        raise _core.InvalidParameterError(
            f"{what}={version!r} ({type(version).__name__}): give a version number or a ModelVersion"
        )
    if version < 1:
        raise _core.InvalidParameterError(f"{what}={version}: versions are numbered from 1")
    return int(version)


def _expected(expected: Any) -> tuple[bool, int | None]:
    """``expected=`` → (compare, version) for the core."""
    if expected is ANY:
        return False, None
    if expected is None:
        return True, None
    return True, _version_number(expected, "expected")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ModelVersion:
    """One registered, immutable version of a model: everything recorded at registration.

    Returned by :meth:`ModelRegistry.register`, :meth:`ModelRegistry.version`,
    :meth:`ModelRegistry.versions`, :meth:`ModelRegistry.resolve` and
    :meth:`ModelRegistry.search`; it renders as an HTML table in Jupyter.

    Attributes
    ----------
    name : str
        The model's name.
    version : int
        The version number (1, 2, 3… without gaps).
    created_at : datetime.datetime
        When it was registered (timezone-aware, UTC).
    created_by : str
        Who registered it (the registry's actor).
    description : str
        Free text.
    metrics : dict of str to float
        Metrics recorded with it.
    tags : dict of str to str
        Tags recorded with it (searchable).
    params : dict
        Training parameters (JSON values).
    seed : int or None
        The training seed, if given.
    lineage : dict
        ``{"feature_views": [{"view": ..., "version": ...}, ...], "training_table":
        {"sha256": ..., "rows": ..., "columns": [...]} or None}``: the feature views and
        their Delta versions, and the fingerprint of the training table.
    inputs : list of (str, str)
        The pipeline's input columns and their Arrow types.
    target : str or None
        The target column the pipeline was fitted on.
    files : dict of str to dict
        The artifact's files: relative path → ``{"sha256": ..., "bytes": ...}``.
    profile_sha256 : str or None
        SHA-256 of the stored drift profile, if one was given (see
        :meth:`ModelRegistry.load_profile`).
    ferrops_version : str
        The ferrops version that registered it.
    record_sha256 : str
        SHA-256 of the version record as stored; every alias move pins it.
    artifact_bytes : int
        The artifact's total size in bytes (profile included).
    """

    def __init__(self, inner: _core.ModelVersion) -> None:
        self._inner = inner
        record = json.loads(inner.to_json())
        self.name: str = record["name"]
        self.version: int = record["version"]
        self.created_at: _dt.datetime = _datetime(record["created_micros"])
        self.created_by: str = record["created_by"]
        self.description: str = record.get("description", "")
        self.metrics: dict[str, float] = dict(record.get("metrics", {}))
        self.tags: dict[str, str] = dict(record.get("tags", {}))
        self.params: dict[str, Any] = dict(record.get("params", {}))
        self.seed: int | None = record.get("seed")
        lineage = record.get("lineage") or {}
        self.lineage: dict[str, Any] = {
            "feature_views": list(lineage.get("feature_views", [])),
            "training_table": lineage.get("training_table"),
        }
        self.inputs: list[tuple[str, str]] = list(inner.inputs)
        self.target: str | None = inner.target
        self.files: dict[str, dict[str, Any]] = dict(record.get("files", {}))
        profile = record.get("profile")
        self.profile_sha256: str | None = profile["sha256"] if profile else None
        self.ferrops_version: str = record.get("ferrops_version", "")
        self.record_sha256: str = record.get("record_sha256", "")
        self.artifact_bytes: int = inner.artifact_bytes

    def to_dict(self) -> dict[str, Any]:
        """Every attribute as a plain dict (``created_at`` stays a datetime)."""
        return {
            "name": self.name,
            "version": self.version,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "description": self.description,
            "metrics": dict(self.metrics),
            "tags": dict(self.tags),
            "params": dict(self.params),
            "seed": self.seed,
            "lineage": {
                "feature_views": list(self.lineage["feature_views"]),
                "training_table": self.lineage["training_table"],
            },
            "inputs": list(self.inputs),
            "target": self.target,
            "files": dict(self.files),
            "profile_sha256": self.profile_sha256,
            "ferrops_version": self.ferrops_version,
            "record_sha256": self.record_sha256,
            "artifact_bytes": self.artifact_bytes,
        }

    def _repr_html_(self) -> str:
        return self._inner.to_html()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelVersion):
            return NotImplemented
        return (self.name, self.version, self.record_sha256) == (other.name, other.version, other.record_sha256)

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.record_sha256))

    def __repr__(self) -> str:
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in self.metrics.items())
        return (
            f"ModelVersion({self.name!r} v{self.version}, created {self.created_at.isoformat()} "
            f"by {self.created_by!r}" + (f", {metrics}" if metrics else "") + ")"
        )


@dataclass(frozen=True)
class AliasEvent:
    """One alias move: an entry of the append-only audit log.

    Attributes
    ----------
    seq : int
        Position in the model's log: 1, 2, 3… without gaps.
    alias : str
        The alias moved.
    action : str
        ``"set"``, ``"rollback"`` or ``"delete"``.
    from_version : int or None
        The version it pointed at before (None: unset).
    to_version : int or None
        The version it points at after (None: unset).
    actor : str
        Who moved it.
    reason : str
        Why.
    at : datetime.datetime
        When (timezone-aware, UTC); never earlier than the event before it.
    to_record_sha256 : str or None
        SHA-256 of the target version's record, pinned at the move.
    """

    seq: int
    alias: str
    action: str
    from_version: int | None
    to_version: int | None
    actor: str
    reason: str
    at: _dt.datetime
    to_record_sha256: str | None = None

    @classmethod
    def _from_json(cls, event: Mapping[str, Any]) -> AliasEvent:
        return cls(
            seq=event["seq"],
            alias=event["alias"],
            action=event["action"],
            from_version=event.get("from"),
            to_version=event.get("to"),
            actor=event["actor"],
            reason=event["reason"],
            at=_datetime(event["at_micros"]),
            to_record_sha256=event.get("to_record_sha256"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The event as a plain dict."""
        return asdict(self)


class ModelRegistry:
    """A registry of versioned, verified models with aliases and an audit log.

    Parameters
    ----------
    uri : str or path
        A local directory (created if needed), a ``file://`` URL, or
        ``s3://bucket/prefix`` (configured from the ``AWS_*`` environment).
    actor : str, optional
        Who registrations and alias moves are attributed to (e.g. ``"ci:run-81"``);
        default ``$FERROPS_ACTOR``, else ``$USER``.

    Notes
    -----
    Layout under the root, per model: ``objects/<sha256>`` (artifact files and profiles
    by content hash), ``versions/<n>.json`` (one immutable record per version, created
    once) and ``log/<seq>.json`` (one alias event per file, created once). Several
    processes may use one registry at once: version numbers and log entries are claimed
    with create-if-absent writes.

    Examples
    --------
    >>> import ferrops as fo, tempfile
    >>> registry = fo.ModelRegistry(tempfile.mkdtemp(), actor="docs")
    >>> registry.models()
    []
    """

    def __init__(self, uri: Any, actor: str | None = None) -> None:
        self._inner = _core.ModelRegistry(os.fspath(uri) if isinstance(uri, os.PathLike) else str(uri), actor)

    @classmethod
    def _wrap(cls, inner: _core.ModelRegistry) -> ModelRegistry:
        registry = cls.__new__(cls)
        registry._inner = inner
        return registry

    @property
    def uri(self) -> str:
        """The URI the registry was opened with."""
        return self._inner.uri

    @property
    def url(self) -> str:
        """The registry's root as a URL."""
        return self._inner.url

    @property
    def actor(self) -> str:
        """Who registrations and alias moves are attributed to."""
        return self._inner.actor

    def with_actor(self, actor: str) -> ModelRegistry:
        """The same registry (sharing its caches) with moves attributed to ``actor``."""
        return ModelRegistry._wrap(self._inner.with_actor(actor))

    # ------------------------------------------------------------------ versions

    def register(
        self,
        name: str,
        pipeline: Any,
        *,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        description: str = "",
        seed: int | None = None,
        training_data: Any = None,
        training_set: Any = None,
        feature_views: Iterable[str] | str | None = None,
        store: Any = None,
        profile: Any = None,
    ) -> ModelVersion:
        """Store a fitted pipeline as the next version of model ``name``.

        Every artifact file (and the profile) is written first, by content hash; the
        version record last, in one create-if-absent write that claims the next free
        number. A process killed midway leaves no version visible.

        Parameters
        ----------
        name : str
            The model's name: letters, digits and ``_`` (it becomes a path).
        pipeline : ferrops.Pipeline
            A fitted pipeline.
        metrics : dict of str to float, optional
            Metrics to record (finite numbers), e.g. a gate's held-out scores.
        tags : dict, optional
            Searchable tags; values are stored as text.
        params : dict, optional
            Training parameters: any JSON-able values (numpy scalars and arrays too).
        description : str, default ""
            Free text.
        seed : int, optional
            The random seed the training used.
        training_data : table-like, optional
            The training table (pandas, polars, pyarrow): its fingerprint (SHA-256 of
            its Arrow encoding, rows, columns) is recorded in the lineage.
        training_set : ferrops.store.TrainingSet, optional
            A point-in-time training set from :meth:`ferrops.FeatureStore.historical_features`:
            the feature views and exact table versions it read are recorded in the
            lineage, and its table's fingerprint unless ``training_data`` is given.
        feature_views : str or list of str, optional
            The feature views the training set was built from: their current Delta
            versions in ``store`` are recorded in the lineage (call right after building
            the training set). Not with ``training_set``, which knows its versions.
        store : ferrops.FeatureStore or str, optional
            The feature store of ``feature_views``.
        profile : ferrops.drift.Profile or table-like, optional
            The drift reference profile (a table is profiled with default options).

        Returns
        -------
        ModelVersion
            The new version.

        Raises
        ------
        ferrops.InvalidParameterError
            A name that cannot be a path, a non-finite metric, parameters that are not JSON.
        ferrops.NotFittedError
            ``pipeline`` is not fitted.
        ferrops.StoreError
            Storage failed, or an unknown feature view.
        """
        fitted = core_fitted(pipeline, "register")
        metric_map: dict[str, float] = {}
        for k, v in dict(metrics or {}).items():
            try:
                metric_map[str(k)] = float(v)
            except (TypeError, ValueError):
                raise _core.InvalidParameterError(f"metrics[{k!r}]={v!r} is not a number") from None
        tag_map = {str(k): str(v) for k, v in dict(tags or {}).items()}
        params_json = None
        if params is not None:
            try:
                params_json = json.dumps(dict(params), default=_json_default, allow_nan=False)
            except (TypeError, ValueError) as e:
                raise _core.InvalidParameterError(f"params must be JSON values (finite numbers): {e}") from None
        if seed is not None:
            if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise _core.InvalidParameterError(f"seed={seed!r}: give a non-negative integer")
            seed = int(seed)
        views = [feature_views] if isinstance(feature_views, str) else list(feature_views or [])
        store_uri = None
        if store is not None:
            store_uri = store if isinstance(store, str) else getattr(store, "uri", None)
            if not isinstance(store_uri, str):
                raise _core.InvalidParameterError(f"store={store!r}: give a ferrops.FeatureStore or its URI")
        profile_json = None
        if profile is not None:
            if not isinstance(profile, Profile):
                profile = Profile.from_table(profile)
            profile_json = profile.to_json()
        view_versions = None
        if training_set is not None:
            if views:
                raise _core.InvalidParameterError(
                    "give training_set= or feature_views=, not both: a training set records the versions it read"
                )
            lineage = getattr(training_set, "lineage", None)
            if not isinstance(lineage, Mapping):
                raise _core.InvalidParameterError(
                    f"training_set={type(training_set).__name__}: give what FeatureStore.historical_features returns"
                )
            view_versions = [(str(view), int(version)) for view, version in lineage.items()]
            if training_data is None:
                training_data = training_set.table
        table = None if training_data is None else to_arrow(training_data)
        inner = self._inner.register(
            name,
            fitted,
            description=description,
            metrics=metric_map,
            tags=tag_map,
            params_json=params_json,
            seed=seed,
            training_table=table,
            store_uri=store_uri,
            feature_views=views,
            profile_json=profile_json,
            view_versions=view_versions,
        )
        return ModelVersion(inner)

    def models(self) -> list[str]:
        """The names of the registered models."""
        return self._inner.models()

    def version(self, name: str, version: int) -> ModelVersion:
        """Version ``version`` of model ``name``.

        Raises
        ------
        ferrops.StoreError
            No such model or version (the message lists the ones there are).
        """
        return ModelVersion(self._inner.version(name, _version_number(version)))

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of model ``name``, oldest first."""
        return [ModelVersion(v) for v in self._inner.versions(name)]

    def resolve(self, name: str, ref: Any = "champion") -> ModelVersion:
        """The version ``ref`` names: a number (``3``, ``"v3"``), ``"latest"`` or an alias.

        Raises
        ------
        ferrops.StoreError
            Unknown model, version or alias.
        ferrops.IntegrityError
            The record was modified after the alias was pointed at it.
        """
        return ModelVersion(self._inner.resolve(name, _reference(ref)))

    def load(self, name: str, ref: Any = "champion") -> Pipeline:
        """Load the fitted pipeline ``ref`` names, ready to predict.

        Every file's SHA-256 is checked against the version record and the artifact's
        manifest before anything is parsed; nothing from storage is executed. The loaded
        version's record is attached as ``model_version_``.

        Parameters
        ----------
        name : str
            The model.
        ref : int or str, default "champion"
            A version number (``3``, ``"v3"``), ``"latest"`` or an alias.

        Raises
        ------
        ferrops.IntegrityError
            A file (or, through an alias, the version record) was modified or is missing.
        ferrops.StoreError
            Unknown model, version or alias.
        """
        fitted, record = self._inner.load(name, _reference(ref))
        pipe = Pipeline._from_fitted(fitted)
        pipe.model_version_ = ModelVersion(record)
        return pipe

    def load_profile(self, name: str, ref: Any = "champion") -> Profile | None:
        """The drift reference profile stored with a version (hash verified), or None."""
        text = self._inner.load_profile(name, _reference(ref))
        return None if text is None else Profile.from_json(text)

    def search(
        self,
        model: str | None = None,
        *,
        tags: Mapping[str, Any] | None = None,
        min_metrics: Mapping[str, float] | None = None,
        max_metrics: Mapping[str, float] | None = None,
        order_by: str | None = None,
        descending: bool = True,
        limit: int | None = None,
    ) -> list[ModelVersion]:
        """Versions matching every condition given, across models unless ``model`` names one.

        Parameters
        ----------
        model : str, optional
            Only this model.
        tags : dict, optional
            Only versions with every ``key=value`` tag.
        min_metrics, max_metrics : dict of str to float, optional
            Inclusive bounds on metrics; a version without the metric never matches.
        order_by : str, optional
            Sort by this metric (versions without it last); otherwise by model, then
            version, oldest first.
        descending : bool, default True
            With ``order_by``: highest first.
        limit : int, optional
            At most this many results.
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0):
            raise _core.InvalidParameterError(f"limit={limit!r}: give a non-negative integer")
        found = self._inner.search(
            model=model,
            tags=[(str(k), str(v)) for k, v in dict(tags or {}).items()],
            min_metrics=[(str(k), float(v)) for k, v in dict(min_metrics or {}).items()],
            max_metrics=[(str(k), float(v)) for k, v in dict(max_metrics or {}).items()],
            order_by=order_by,
            descending=bool(descending),
            limit=None if limit is None else int(limit),
        )
        return [ModelVersion(v) for v in found]

    # ------------------------------------------------------------------- aliases

    def set_alias(self, name: str, alias: str, version: Any, *, expected: Any = ANY, reason: str = "") -> AliasEvent:
        """Point ``alias`` of model ``name`` at ``version``, recording who, when, from, to and why.

        Parameters
        ----------
        name : str
            The model.
        alias : str
            Any name of letters, digits and ``_`` except ``latest`` and version-like
            names (``v3``).
        version : int or ModelVersion
            The target version.
        expected : ANY, None or int, default ANY
            Compare-and-swap: move only if the alias points at this version now
            (``None``: only if it is unset; :data:`ANY`: wherever it points).
        reason : str, default ""
            Why (kept in the audit log).

        Returns
        -------
        AliasEvent
            The logged event.

        Raises
        ------
        ferrops.ConflictError
            The alias is not where ``expected`` says (nothing is written); the message
            says where it is and who moved it last.
        ferrops.InvalidParameterError
            A reserved or invalid alias name.
        ferrops.StoreError
            Unknown model or version.
        """
        compare, current = _expected(expected)
        return AliasEvent._from_json(
            json.loads(self._inner.set_alias(name, alias, _version_number(version), compare, current, reason))
        )

    def rollback(self, name: str, alias: str = "champion", *, reason: str = "") -> AliasEvent:
        """Move ``alias`` back to its previous target (each rollback goes one step further back).

        Raises
        ------
        ferrops.DataError
            The alias has no earlier target.
        ferrops.StoreError
            Unknown alias.
        """
        return AliasEvent._from_json(json.loads(self._inner.rollback(name, alias, reason)))

    def delete_alias(self, name: str, alias: str, *, expected: Any = ANY, reason: str = "") -> AliasEvent:
        """Remove ``alias`` (compare-and-swap as :meth:`set_alias`); a later rollback
        restores the target it had."""
        compare, current = _expected(expected)
        return AliasEvent._from_json(json.loads(self._inner.delete_alias(name, alias, compare, current, reason)))

    def alias(self, name: str, alias: str) -> int | None:
        """The version ``alias`` points at now, or None if it is unset."""
        return self._inner.alias(name, alias)

    def aliases(self, name: str) -> dict[str, int]:
        """Every set alias of model ``name`` and its version."""
        return dict(self._inner.aliases(name))

    def history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """The audit trail: every alias event of model ``name`` (of one alias if given), oldest first."""
        return [AliasEvent._from_json(e) for e in json.loads(self._inner.history(name, alias))]

    def history_table(self, name: str, alias: str | None = None) -> Any:
        """:meth:`history` as a ``pyarrow.Table`` (``.to_pandas()`` for a DataFrame); ``at``
        is a UTC timestamp column."""
        import pyarrow as pa

        events = self.history(name, alias)
        return pa.table(
            {
                "seq": pa.array([e.seq for e in events], pa.int64()),
                "alias": pa.array([e.alias for e in events], pa.string()),
                "action": pa.array([e.action for e in events], pa.string()),
                "from_version": pa.array([e.from_version for e in events], pa.int64()),
                "to_version": pa.array([e.to_version for e in events], pa.int64()),
                "actor": pa.array([e.actor for e in events], pa.string()),
                "reason": pa.array([e.reason for e in events], pa.string()),
                "at": pa.array([e.at for e in events], pa.timestamp("us", tz="UTC")),
            }
        )

    def alias_at(self, name: str, alias: str, when: Any) -> int | None:
        """The version ``alias`` pointed at at time ``when`` (inclusive): "which version
        served at time T", by replaying the log.

        Parameters
        ----------
        when : datetime, str, numpy.datetime64 or int
            A timezone-aware datetime, a naive datetime (taken as UTC), ISO 8601 text,
            or µs since the epoch.

        Returns
        -------
        int or None
            The version, or None if the alias was unset then.
        """
        return self._inner.alias_at(name, alias, _micros(when))

    # ------------------------------------------------------------------- display

    def html(self, name: str | None = None) -> str:
        """An HTML table of model ``name``'s versions with aliases and metrics (every
        model's if None)."""
        if name is not None:
            return self._inner.to_html(name)
        models = self.models()
        head = f"<p><b>ModelRegistry</b> {html.escape(self.uri)}: {len(models)} model(s)</p>"
        return head + "".join(self._inner.to_html(m) for m in models)

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return f"ModelRegistry({self.uri!r}, actor={self.actor!r})"
