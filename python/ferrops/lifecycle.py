"""The retraining loop: watch the champion, retrain, gate, canary, promote or roll back.

:class:`Lifecycle` ties the registry, the rollout router, drift detection and the gates
together for one model. Each :meth:`Lifecycle.step` is one turn of the loop, so a
scheduler, a cron job or a CI job drives it; :meth:`Lifecycle.simulate` replays a
historical stream through the router and the loop to test a policy before it runs for
real. Every decision is kept, with its reason and the numbers behind it, in a
:class:`Timeline` (a table, JSON, HTML, or text).

What a step does depends on the state:

- **empty** (no champion yet): train on everything the source gives up to now, gate on
  the absolute thresholds, register, make it champion.
- **stable**: test the step's window of serving data against the champion's reference
  profile (drift) and score the champion on the window's labelled rows (decay); if the
  :class:`LifecyclePolicy` says so, retrain, gate against the champion on the same
  held-out rows, register, and start a canary.
- **canary**: judge the canary's live evidence (outcomes fed back to the router) with
  the policy's rollback rules: roll back, promote, or wait.

Training sets come from a Python callable ``until -> table`` (pandas, polars or pyarrow)
or from a feature store (:class:`StoreSource`: every label known at ``until`` joined with
its features as of the label's time). The Rust core is ``ferrops::lifecycle``.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from . import _core
from ._base import core_fitted
from ._core import InvalidParameterError
from ._io import to_arrow
from .gates import ModelGate
from .pipeline import Pipeline, Trainer
from .registry import ModelRegistry, _datetime, _micros

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "DECISION_KINDS",
    "CallableSource",
    "Decision",
    "Lifecycle",
    "LifecyclePolicy",
    "StoreSource",
    "Timeline",
    "TrainingSet",
]

#: The alias of the model in production.
CHAMPION = "champion"
#: The alias of a candidate under canary.
CHALLENGER = "challenger"

#: Every :attr:`Decision.kind`, in the order a model's life usually meets them.
DECISION_KINDS = (
    "stable",
    "drift_detected",
    "decay_detected",
    "gate_failed",
    "canary_started",
    "canary_waiting",
    "promoted",
    "rolled_back",
    "error",
)

_POLICY_FIELDS = (
    "retrain_on_drift",
    "min_drift_rows",
    "drift",
    "min_metric",
    "max_metric_drop",
    "decay_metric",
    "min_labelled_rows",
    "metrics",
    "holdout_fraction",
    "canary_fraction",
    "rollback",
    "cooldown_micros",
    "key_column",
)
_ROLLBACK_FIELDS = (
    "min_requests",
    "max_error_rate_increase",
    "metric_rules",
    "max_p50_ratio",
    "max_p99_ratio",
    "rollback_on_drift",
    "promote_after",
)


class _Unset:
    def __repr__(self) -> str:
        return "<default>"


_UNSET: Any = _Unset()


def _micros_span(value: Any, name: str) -> int:
    """A duration (timedelta or int µs) → µs."""
    if isinstance(value, _dt.timedelta):
        return value // _dt.timedelta(microseconds=1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"`{name}` = {value!r}: give a datetime.timedelta or an int of µs")
    return int(value)


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"{what}: {e} (numbers must be finite; use None to unset)") from None


class LifecyclePolicy:
    """When to retrain, how to evaluate candidates, and how to run the canary.

    Every argument is optional and mirrors a field of the Rust ``LifecyclePolicy``; an
    argument left out keeps the Rust default (shown in brackets).

    Parameters
    ----------
    retrain_on_drift : bool
        Retrain when the window drifts from the champion's reference profile [True].
    min_drift_rows : int
        Fewest window rows for a drift test; smaller windows are not tested [100].
    drift : dict
        Options of the drift test, merged into the default (the fields of
        ``ferrops::drift::DriftOptions``: ``numeric_test``, ``test_thresholds``,
        ``share_threshold``, ``columns``...). The default tests numeric columns by
        effect size (``"wasserstein_normed"`` >= 0.25 reference standard deviations) so
        that small windows do not raise false alarms; the dataset drifts when half the
        columns do.
    min_metric : float or None
        Retrain when the champion's ``decay_metric`` on the window's labelled rows falls
        below this value [None].
    max_metric_drop : float or None
        Retrain when it falls more than this below the value registered with the
        champion (absolute) [0.05]. None disables the check.
    decay_metric : str
        The metric watched for decay, a gate metric name (``"accuracy"``, ``"r2"``...)
        ["accuracy"].
    min_labelled_rows : int
        Fewest labelled window rows to score the champion [50].
    metrics : str or sequence of str
        The metrics computed for the gate and recorded with each version [["accuracy"]].
    holdout_fraction : float
        The latest share of the training set (by time) held out to evaluate the
        candidate and the champion on the same rows, in (0, 1) [0.2].
    canary_fraction : float
        Share of traffic the canary gets, in (0, 1] [0.2].
    rollback : dict
        When to roll the canary back and when it has earned promotion, merged into the
        default: ``min_requests`` [200], ``max_error_rate_increase`` [0.01],
        ``metric_rules`` (a list of ``{"metric": "accuracy" | "mae" | "rmse" |
        "reward", "max_drop": float, "min_outcomes": int}``; default: accuracy may drop
        by 0.05 over 100 outcomes), ``max_p50_ratio``, ``max_p99_ratio``,
        ``rollback_on_drift`` [True], ``promote_after`` (requests) [400].
    cooldown_micros : int or datetime.timedelta
        Least time between two retrainings [0].
    key_column : str or None
        The routing-key column (a user or customer id) of the training source's rows
        [None]. When a step replays the labelled rows since a canary started to judge
        it (nothing was served through the loop's router since, as when each cron run
        opens a new loop), each row goes to the variant its key went to in the service;
        without it rows are split by count.

    Raises
    ------
    InvalidParameterError
        A value out of its range (naming the field), of the wrong type, or an unknown
        ``rollback`` key.

    Examples
    --------
    >>> import datetime as dt, ferrops as fo
    >>> policy = fo.LifecyclePolicy(canary_fraction=0.3, cooldown_micros=dt.timedelta(days=1),
    ...                             rollback={"min_requests": 100, "promote_after": 150})
    >>> policy.canary_fraction, policy.rollback["promote_after"], policy.metrics
    (0.3, 150, ['accuracy'])
    """

    def __init__(
        self,
        *,
        retrain_on_drift: Any = _UNSET,
        min_drift_rows: Any = _UNSET,
        drift: Any = _UNSET,
        min_metric: Any = _UNSET,
        max_metric_drop: Any = _UNSET,
        decay_metric: Any = _UNSET,
        min_labelled_rows: Any = _UNSET,
        metrics: Any = _UNSET,
        holdout_fraction: Any = _UNSET,
        canary_fraction: Any = _UNSET,
        rollback: Any = _UNSET,
        cooldown_micros: Any = _UNSET,
        key_column: Any = _UNSET,
    ) -> None:
        given = {
            "retrain_on_drift": retrain_on_drift,
            "min_drift_rows": min_drift_rows,
            "drift": drift,
            "min_metric": min_metric,
            "max_metric_drop": max_metric_drop,
            "decay_metric": decay_metric,
            "min_labelled_rows": min_labelled_rows,
            "metrics": metrics,
            "holdout_fraction": holdout_fraction,
            "canary_fraction": canary_fraction,
            "rollback": rollback,
            "cooldown_micros": cooldown_micros,
            "key_column": key_column,
        }
        d: dict[str, Any] = json.loads(_core.lifecycle_policy_default())
        for name, value in given.items():
            if value is _UNSET:
                continue
            if name in ("drift", "rollback"):
                if not isinstance(value, Mapping):
                    raise InvalidParameterError(f"`{name}` = {value!r}: give a dict of its fields")
                if name == "rollback":
                    unknown = sorted(set(value) - set(_ROLLBACK_FIELDS))
                    if unknown:
                        raise InvalidParameterError(
                            f"unknown field(s) {unknown} in rollback: expected some of {list(_ROLLBACK_FIELDS)}"
                        )
                d[name] = {**d[name], **dict(value)}
            elif name == "metrics":
                d[name] = [value] if isinstance(value, str) else list(value)
            elif name == "cooldown_micros":
                d[name] = _micros_span(value, name)
            else:
                d[name] = value
        self._d: dict[str, Any] = json.loads(_core.lifecycle_policy_check(_dumps(d, "policy")))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LifecyclePolicy:
        """Rebuild from :meth:`to_dict` (missing fields take their defaults)."""
        unknown = sorted(set(d) - set(_POLICY_FIELDS))
        if unknown:
            raise InvalidParameterError(f"unknown field(s) {unknown} in a lifecycle policy")
        return cls(**dict(d))

    @classmethod
    def from_json(cls, text: str) -> LifecyclePolicy:
        """Rebuild from :meth:`to_json`'s JSON (the Rust struct's serde form)."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidParameterError(f"not a lifecycle policy's JSON: {e}") from None
        if not isinstance(d, dict):
            raise InvalidParameterError("a lifecycle policy's JSON is an object")
        return cls.from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        """Every field, as the Rust struct's JSON form."""
        return json.loads(json.dumps(self._d))

    def to_json(self) -> str:
        """JSON readable by :meth:`from_json` and by Rust's serde."""
        return json.dumps(self._d, indent=2)

    def __getattr__(self, name: str) -> Any:
        if name in _POLICY_FIELDS:
            return json.loads(json.dumps(self.__dict__["_d"][name]))
        raise AttributeError(f"LifecyclePolicy has no attribute {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LifecyclePolicy) and self._d == other._d

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        default = json.loads(_core.lifecycle_policy_default())
        changed = ", ".join(f"{k}={v!r}" for k, v in self._d.items() if default.get(k) != v)
        return f"LifecyclePolicy({changed})"


@dataclass(frozen=True)
class TrainingSet:
    """What a training source gives for one cut-off.

    Attributes
    ----------
    table : pyarrow.Table
        The rows: inputs, the target, and bookkeeping columns.
    time_column : str or None
        The column ordering the rows in time (the latest rows are held out).
    drop_columns : list of str
        Columns dropped before fitting (join keys, timestamps).
    lineage : dict
        The data's lineage, recorded with the version.
    """

    table: pa.Table
    time_column: str | None
    drop_columns: list[str]
    lineage: dict[str, Any]


def _training_set(raw: tuple[Any, str | None, list[str], str]) -> TrainingSet:
    batch, time_column, drop, lineage = raw
    return TrainingSet(pa.Table.from_batches([batch]), time_column, list(drop), json.loads(lineage))


def _as_table(result: Any) -> Any:
    if result is None:
        raise InvalidParameterError("the training source returned None: return a table (pandas, polars, pyarrow)")
    table = to_arrow(result)
    if isinstance(table, pa.Table):
        return table.combine_chunks()
    return table


class CallableSource:
    """Training sets from a Python callable: ``fn(until)`` returns every labelled row
    known at ``until`` (an aware UTC :class:`datetime.datetime`), as a pandas, polars or
    pyarrow table.

    The loop calls it from its own thread (the GIL is taken back for the call). An
    exception it raises becomes a :class:`ferrops.DataError` carrying the Python message,
    and the step changes nothing. It must not call the :class:`Lifecycle` it feeds.

    Parameters
    ----------
    fn : callable
        ``until -> table``.
    time_column : str, optional
        The column ordering the rows in time: the latest ``holdout_fraction`` of rows are
        held out to evaluate the candidate. Without it the last rows as given are held out.
    drop_columns : sequence of str
        Columns dropped before fitting (timestamps, keys).
    """

    def __init__(
        self, fn: Callable[[_dt.datetime], Any], *, time_column: str | None = None, drop_columns: Sequence[str] = ()
    ) -> None:
        if not callable(fn):
            raise InvalidParameterError(f"source: {fn!r} is not callable; give a function until -> table")
        if isinstance(drop_columns, str):
            drop_columns = [drop_columns]
        self.fn = fn
        self.time_column = time_column
        self.drop_columns = list(drop_columns)

        def call(until_micros: int) -> Any:
            return _as_table(fn(_datetime(until_micros)))

        self._inner = _core.CallableSource(call, time_column, self.drop_columns)

    def training_set(self, until: Any) -> TrainingSet:
        """The training set the loop would read at ``until`` (datetime, ISO text or µs)."""
        return _training_set(self._inner.training_set(_micros(until)))

    def __repr__(self) -> str:
        return f"CallableSource({getattr(self.fn, '__name__', self.fn)!r}, time_column={self.time_column!r})"


class StoreSource:
    """Point-in-time training sets from a feature store.

    Labels are the rows of the feature view ``labels_view`` (its timestamp is the
    label's time): at each step, every label up to now is joined with ``features`` as of
    the label's own time, so no feature value from after the label leaks into training.
    The join keys and timestamps are dropped before fitting; the training rows are
    ordered by the label's time (column ``event_timestamp``) and the latest are held out.
    The versions' lineage records the Delta versions of the views read.

    Parameters
    ----------
    store : FeatureStore or str
        The feature store (or its URI).
    labels_view : str
        The feature view holding the labels (the target column is one of its features).
    features : sequence of str
        ``"view:feature"`` or ``"view:*"`` references.
    """

    def __init__(self, store: Any, labels_view: str, features: Sequence[str]) -> None:
        uri = getattr(store, "uri", None)
        if uri is None:
            uri = os.fspath(store) if isinstance(store, os.PathLike) else str(store)
        if isinstance(features, str):
            features = [features]
        self.store_uri = uri
        self.labels_view = labels_view
        self.features = list(features)
        self._inner = _core.StoreSource(uri, labels_view, self.features)

    def training_set(self, until: Any) -> TrainingSet:
        """The training set the loop would read at ``until`` (datetime, ISO text or µs)."""
        return _training_set(self._inner.training_set(_micros(until)))

    def __repr__(self) -> str:
        return f"StoreSource({self.store_uri!r}, {self.labels_view!r}, {self.features!r})"


@dataclass(frozen=True)
class Decision:
    """One decision of the loop.

    Attributes
    ----------
    step : int
        The step (1-based) that made it.
    at : datetime.datetime
        When (the step's ``now``, aware UTC).
    kind : str
        One of :data:`DECISION_KINDS`.
    version : int or None
        The version concerned.
    reason : str
        Why, with the numbers.
    metrics : dict of str to float
        Metrics behind the decision (candidate values, ``champion_*`` baselines, live
        values).
    """

    step: int
    at: _dt.datetime
    kind: str
    version: int | None
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> Decision:
        return cls(
            step=int(d["step"]),
            at=_datetime(int(d["at_micros"])),
            kind=str(d["kind"]),
            version=d.get("version"),
            reason=str(d["reason"]),
            metrics={k: (math.nan if v is None else float(v)) for k, v in (d.get("metrics") or {}).items()},
        )

    @property
    def at_micros(self) -> int:
        """:attr:`at` in µs since the epoch."""
        return _micros(self.at)

    def to_dict(self) -> dict[str, Any]:
        """The decision as a plain dict (``at`` as a datetime)."""
        return {
            "step": self.step,
            "at": self.at,
            "kind": self.kind,
            "version": self.version,
            "reason": self.reason,
            "metrics": dict(self.metrics),
        }


def _decisions(text: str) -> list[Decision]:
    return [Decision._from_json(d) for d in json.loads(text)]


class Timeline:
    """Every decision of a loop, in order.

    ``str(timeline)`` prints one line per event (stable and waiting steps left out);
    :meth:`to_pandas` / :meth:`to_arrow` give the table; :meth:`to_html` /
    :meth:`save_html` a self-contained report; in Jupyter it renders as that table.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.decisions: list[Decision] = [Decision._from_json(d) for d in json.loads(inner.to_json())["decisions"]]

    @classmethod
    def from_json(cls, text: str) -> Timeline:
        """Rebuild from :meth:`to_json`."""
        return cls(_core.Timeline.from_json(text))

    @property
    def model(self) -> str:
        """The model's name."""
        return self._inner.model

    def events(self) -> list[Decision]:
        """The decisions that changed or found something (all but ``stable`` and ``canary_waiting``)."""
        return [d for d in self.decisions if d.kind not in ("stable", "canary_waiting")]

    def of_kind(self, kind: str) -> list[Decision]:
        """The decisions of one kind (see :data:`DECISION_KINDS`)."""
        if kind not in DECISION_KINDS:
            raise InvalidParameterError(f"kind={kind!r}: expected one of {list(DECISION_KINDS)}")
        return [d for d in self.decisions if d.kind == kind]

    def to_json(self) -> str:
        """JSON (the Rust ``Timeline``'s serde form; ``at_micros`` in µs)."""
        return self._inner.to_json()

    def to_arrow(self) -> pa.Table:
        """One row per decision: ``step``, ``at`` (timestamp, UTC), ``kind``, ``version``,
        ``reason``, ``metrics`` (map of name to value)."""
        return pa.table(
            {
                "step": pa.array([d.step for d in self.decisions], pa.int64()),
                "at": pa.array([_micros(d.at) for d in self.decisions], pa.timestamp("us", tz="UTC")),
                "kind": pa.array([d.kind for d in self.decisions], pa.string()),
                "version": pa.array([d.version for d in self.decisions], pa.int64()),
                "reason": pa.array([d.reason for d in self.decisions], pa.string()),
                "metrics": pa.array(
                    [list(d.metrics.items()) for d in self.decisions], pa.map_(pa.string(), pa.float64())
                ),
            }
        )

    def to_pandas(self) -> Any:
        """:meth:`to_arrow` as a pandas DataFrame (``metrics`` as dicts, ``version`` nullable)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "step": [d.step for d in self.decisions],
                "at": pd.to_datetime([_micros(d.at) for d in self.decisions], unit="us", utc=True),
                "kind": [d.kind for d in self.decisions],
                "version": pd.array([d.version for d in self.decisions], dtype="Int64"),
                "reason": [d.reason for d in self.decisions],
                "metrics": [dict(d.metrics) for d in self.decisions],
            }
        )

    def to_html(self) -> str:
        """A self-contained HTML page: every decision with its reason and metrics."""
        return self._inner.to_html()

    def save_html(self, path: Any) -> None:
        """Write :meth:`to_html` to ``path``."""
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.to_html())

    def _repr_html_(self) -> str:
        page = self.to_html()
        start, end = page.find("<body>"), page.rfind("</body>")
        body = page[start + len("<body>") : end] if start >= 0 and end > start else html.escape(str(self))
        style = (
            "<style>.ferrops-lifecycle table{border-collapse:collapse;font-size:13px}"
            ".ferrops-lifecycle td,.ferrops-lifecycle th{border:1px solid #ddd;padding:3px 8px;"
            "text-align:left;vertical-align:top}.ferrops-lifecycle .k{color:#fff;border-radius:3px;"
            "padding:1px 6px;white-space:nowrap}</style>"
        )
        return f'{style}<div class="ferrops-lifecycle">{body}</div>'

    def __str__(self) -> str:
        return str(self._inner)

    def __len__(self) -> int:
        return len(self.decisions)

    def __iter__(self) -> Iterator[Decision]:
        return iter(self.decisions)

    def __repr__(self) -> str:
        return f"Timeline({self.model!r}, {len(self.decisions)} decisions, {len(self.events())} events)"


def _pipeline_specs(pipeline: Any) -> tuple[list[str], str]:
    if isinstance(pipeline, Trainer):
        pipeline = Pipeline([], trainer=pipeline)
    if not isinstance(pipeline, Pipeline):
        raise InvalidParameterError(
            f"pipeline: expected a ferrops Pipeline (or trainer), got {type(pipeline).__name__}"
        )
    if pipeline.trainer is None:
        raise InvalidParameterError("pipeline: the loop trains models, give a Pipeline with a trainer")
    return [step._spec_json() for step in pipeline.steps], pipeline.trainer._spec_json()


def _gate_json(gate: Any) -> str:
    if isinstance(gate, ModelGate):
        return gate._json
    if isinstance(gate, (list, tuple)):
        return ModelGate(gate)._json
    raise InvalidParameterError(f"gate: expected a ferrops ModelGate, got {type(gate).__name__}")


class Lifecycle:
    """The retraining loop of one model (see the module documentation).

    Parameters
    ----------
    registry : ModelRegistry or str
        Where versions are registered and the ``champion``/``challenger`` aliases move
        (alias moves are attributed to the registry's actor).
    name : str
        The model's name in the registry.
    pipeline : Pipeline or Trainer
        The unfitted pipeline each retraining fits (its definition is copied).
    target : str
        The target column.
    source : callable or CallableSource or StoreSource
        Where training sets come from: a callable ``until -> table`` (see
        :class:`CallableSource`; ``time_column`` and ``drop_columns`` apply to it) or a
        :class:`StoreSource`.
    gate : ModelGate
        The gate every candidate must pass: absolute thresholds for the first model,
        also change thresholds against the champion for later ones.
    policy : LifecyclePolicy, optional
        When to retrain and how to run the canary (default: ``LifecyclePolicy()``).
    time_column : str, optional
        For a callable source: the column ordering rows in time.
    drop_columns : sequence of str
        For a callable source: columns dropped before fitting.

    Notes
    -----
    A loop opened on a registry that already has a champion for ``name`` starts from it
    (a cron job that restarts each time picks up where the last one left); a
    ``challenger`` alias left by an interrupted canary is rolled back on the next step.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd, ferrops as fo
    >>> rng = np.random.default_rng(0)
    >>> t = pd.date_range("2026-01-01", periods=600, freq="h", tz="UTC")
    >>> x = rng.normal(size=600)
    >>> data = pd.DataFrame({"t": t, "x": x, "y": np.where(x > 0, "yes", "no")})
    >>> loop = fo.Lifecycle(fo.ModelRegistry(tempfile.mkdtemp()), "demo",
    ...     fo.Pipeline(trainer=fo.LogisticRegression()), "y",
    ...     lambda until: data[data.t <= until], fo.ModelGate([fo.threshold("accuracy", lower=0.8)]),
    ...     time_column="t", drop_columns=["t"])
    >>> [d.kind for d in loop.step("2026-01-20")]
    ['promoted']
    >>> loop.state
    {'state': 'stable', 'champion': 1}
    """

    def __init__(
        self,
        registry: Any,
        name: str,
        pipeline: Any,
        target: str,
        source: Any,
        gate: Any,
        policy: LifecyclePolicy | None = None,
        *,
        time_column: str | None = None,
        drop_columns: Sequence[str] = (),
    ) -> None:
        if not isinstance(registry, ModelRegistry):
            registry = ModelRegistry(registry)
        if policy is None:
            policy = LifecyclePolicy()
        if not isinstance(policy, LifecyclePolicy):
            raise InvalidParameterError(f"policy: expected a LifecyclePolicy, got {type(policy).__name__}")
        if isinstance(source, (CallableSource, StoreSource)):
            if time_column is not None or drop_columns:
                raise InvalidParameterError(
                    "time_column and drop_columns apply to a callable source; set them on the source object"
                )
        elif callable(source):
            source = CallableSource(source, time_column=time_column, drop_columns=drop_columns)
        else:
            raise InvalidParameterError(
                f"source: expected a callable until -> table or a StoreSource, got {type(source).__name__}"
            )
        transforms, trainer = _pipeline_specs(pipeline)
        self.registry = registry
        self.source = source
        self.policy = policy
        self.gate = gate
        self.target = target
        self._inner = _core.Lifecycle(
            registry.uri,
            registry.actor,
            name,
            transforms,
            trainer,
            target,
            source._inner,
            _gate_json(gate),
            policy.to_json(),
        )

    @property
    def name(self) -> str:
        """The model's name."""
        return self._inner.model

    def step(self, now: Any, window: Any = None) -> list[Decision]:
        """One turn of the loop at ``now``.

        Parameters
        ----------
        now : datetime, ISO text, numpy datetime64 or int
            The step's time (naive datetimes are UTC; ints are µs since the epoch). The
            training set is read up to it.
        window : table, optional
            The serving data seen since the last step (pandas, polars, pyarrow): the
            pipeline's input columns and, where known, the target (its labelled rows
            score the champion for decay). None: nothing new.

        Returns
        -------
        list of Decision
            The decisions this step made (also appended to :attr:`timeline`).

        Raises
        ------
        FerropsError
            A training, registry or store error (a :class:`ferrops.DataError` for an
            exception raised by a callable source). The failure is logged in the
            timeline as an ``error`` decision and the registry and router stay as they
            were.
        """
        table = None if window is None else to_arrow(window)
        return _decisions(self._inner.step(_micros(now), table))

    def simulate(
        self,
        stream: Any,
        time_column: str,
        key_column: str | None = None,
        step: Any = _dt.timedelta(days=1),
    ) -> Timeline:
        """Replay a historical stream through the router and the loop.

        The stream is cut into windows of ``step`` by ``time_column``; each window's
        rows are served one by one through the router (sticky by ``key_column``), their
        labels (the target column, where not null) are fed back as outcomes, then
        :meth:`step` runs at the window's end. With no champion yet, the first step
        trains on the data before the stream's start.

        Parameters
        ----------
        stream : table
            Timestamped rows: inputs, the target, the time column (and the key column).
        time_column : str
            A timestamp column (or int64 µs).
        key_column : str, optional
            The request key the canary split is sticky by (a user id).
        step : datetime.timedelta or int
            The window length (int: µs).

        Returns
        -------
        Timeline
            The whole timeline so far.
        """
        timeline = self._inner.simulate(to_arrow(stream), time_column, key_column, _micros_span(step, "step"))
        return Timeline(timeline)

    def propose(self, now: Any, pipeline: Any, holdout: Any, reason: str = "") -> list[Decision]:
        """Offer a candidate fitted elsewhere (a hotfix, a data scientist's model).

        It is gated against the champion on ``holdout`` (labelled rows, both scored on
        them), registered and run as a canary like a retrained one. The loop must be
        stable (a champion serving alone).

        Returns
        -------
        list of Decision
            ``gate_failed`` (nothing registered) or ``canary_started``.
        """
        return _decisions(
            self._inner.propose(_micros(now), core_fitted(pipeline, "propose"), to_arrow(holdout), reason)
        )

    def rollback_champion(self, now: Any, reason: str) -> Decision:
        """Roll the champion back to its previous version now (alias and router), e.g.
        on an incident; the reason goes to the registry's log."""
        return Decision._from_json(json.loads(self._inner.rollback_champion(_micros(now), reason)))

    @property
    def state(self) -> dict[str, Any]:
        """Where the loop is: ``{"state": "empty"}``, ``{"state": "stable", "champion":
        v}`` or ``{"state": "canary", "champion": v, "candidate": w, "since_micros":
        t}``."""
        return json.loads(self._inner.state())

    @property
    def timeline(self) -> Timeline:
        """Every decision so far."""
        return Timeline(self._inner.timeline())

    def router_status(self) -> dict[str, Any] | None:
        """The router's state (mode, champion, variants with their traffic shares,
        previous champion kept for rollback), or None before the first model."""
        text = self._inner.router_status()
        return None if text is None else json.loads(text)

    def _repr_html_(self) -> str:
        return self.timeline._repr_html_()

    def __repr__(self) -> str:
        return f"Lifecycle({self.name!r}, state={self.state!r}, registry={self.registry.uri!r})"
