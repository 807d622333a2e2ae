"""Rolling models out: a :class:`Router` between loaded model versions.

The router holds the champion and, during a rollout, a candidate, and routes every
request (the Rust core is ``ferrops::serve::Router``; the guide is ``docs/rollout.md``):

- blue-green: :meth:`Router.switch` replaces the champion for every request at once;
- canary: :meth:`Router.start_canary` sends a sticky fraction of request keys to a
  candidate (one key always sees one model), :meth:`Router.set_canary_fraction` grows it;
- shadow: :meth:`Router.start_shadow` has a candidate score a copy of the traffic on a
  background thread, its answers recorded and discarded (dropped, never waited for, when
  its queue is full);
- A/B: :meth:`Router.start_ab` splits sticky keys between named variants by weight, and
  :meth:`Router.ab_test` tests the difference of their outcomes.

:meth:`Router.promote` / :meth:`Router.promote_variant` crown the candidate,
:meth:`Router.rollback` goes back one step (the previous champion stays loaded during
a bake window, so this is a pointer swap), and :meth:`Router.enforce` applies a
:class:`RollbackPolicy` to the live per-variant metrics (:meth:`Router.metrics`,
:meth:`Router.prometheus`).

Every request releases the GIL and reads one atomic snapshot of the routing state:
Python threads may predict concurrently while another thread switches or rolls back,
and no request sees half of a change.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._base import core_fitted
from ._io import array_output, to_arrow

__all__ = [
    "AbComparison",
    "Change",
    "ModelRef",
    "PolicyDecision",
    "RollbackPolicy",
    "Routed",
    "RoutedRow",
    "Router",
    "VariantMetrics",
]

_OUTCOMES = ("accuracy", "reward", "absolute_error", "error_rate")
_POLICY_METRICS = ("accuracy", "mae", "rmse", "reward")


class ModelRef(NamedTuple):
    """A model's name and version."""

    name: str
    version: int


def _model_ref(data: Mapping[str, Any] | None) -> ModelRef | None:
    return None if data is None else ModelRef(data["name"], data["version"])


def _float(value: Any) -> float:
    """A JSON number, or NaN for the null the core writes for a non-finite number."""
    return math.nan if value is None else float(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _served(model: Any, what: str) -> tuple[Any, str, int]:
    """``(pipeline, name, version)`` or a registry-loaded Pipeline → the core's arguments."""
    if isinstance(model, tuple):
        if len(model) != 3:
            raise _core.InvalidParameterError(
                f"{what}: give a (pipeline, name, version) tuple, got a tuple of {len(model)} items"
            )
        pipeline, name, version = model
    else:
        record = getattr(model, "model_version_", None)
        if record is None:
            raise _core.InvalidParameterError(
                f"{what}={type(model).__name__}: give (pipeline, name, version), or a pipeline loaded with "
                "ModelRegistry.load (it knows its name and version)"
            )
        pipeline, name, version = model, record.name, record.version
    if not isinstance(name, str) or not name:
        raise _core.InvalidParameterError(f"{what}: the model name must be a non-empty str, got {name!r}")
    if not _is_int(version) or version < 0:
        raise _core.InvalidParameterError(f"{what}: the version must be an integer >= 0, got {version!r}")
    fitted = core_fitted(pipeline, what)
    return fitted, name, int(version)


def _key(key: Any) -> str | None:
    if key is None or isinstance(key, str):
        return key
    if _is_int(key):
        return str(int(key))
    raise _core.InvalidParameterError(
        f"key={key!r} ({type(key).__name__}): give a str (or int) such as a user id, or None"
    )


def _fraction(fraction: Any) -> float:
    if not _is_number(fraction):
        raise _core.InvalidParameterError(f"fraction={fraction!r}: give a number within [0, 1]")
    return float(fraction)


@dataclass(frozen=True)
class Change:
    """What a change of the routing state did: the record a registry's log keeps.

    Attributes
    ----------
    action : str
        ``"switch"``, ``"promote"`` or ``"rollback"``.
    from_model : ModelRef or None
        The model that served before (the champion, or the candidate a rollback dropped).
    to_model : ModelRef
        The champion after the change.
    reason : str
        Why (the caller's reason, or what the router did).
    at : datetime.datetime
        When (timezone-aware, UTC).
    """

    action: str
    from_model: ModelRef | None
    to_model: ModelRef
    reason: str
    at: _dt.datetime

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            action=data["action"],
            from_model=_model_ref(data.get("from")),
            to_model=ModelRef(data["to"]["name"], data["to"]["version"]),
            reason=data["reason"],
            at=_dt.datetime.fromisoformat(data["at"]),
        )


@dataclass(frozen=True)
class Routed:
    """A table request's answer: which variant answered every row, and how.

    Attributes
    ----------
    variant : str
        The variant's label: ``"champion"``, ``"canary"`` or an A/B variant's name (what
        :meth:`Router.record_outcome` takes).
    role : str
        ``"champion"``, ``"canary"`` or ``"variant"``.
    model : str
        The model's name.
    version : int
        The model's version.
    predictions : numpy.ndarray
        Labels (classifiers, in their original type) or values (regressors), one per row.
    probabilities : numpy.ndarray or None
        Class probabilities, rows x classes, for classifiers that give them.
    """

    variant: str
    role: str
    model: str
    version: int
    predictions: np.ndarray
    probabilities: np.ndarray | None


class RoutedRow(NamedTuple):
    """A one-row request's answer (from :meth:`Router.predict_row`).

    Attributes
    ----------
    variant : str
        The variant's label: ``"champion"``, ``"canary"`` or an A/B variant's name.
    role : str
        ``"champion"``, ``"canary"`` or ``"variant"``.
    version : int
        The model's version.
    prediction : Any
        The label (classifiers) or value (regressors).
    probabilities : list of float or None
        Class probabilities, for classifiers that give them.
    """

    variant: str
    role: str
    version: int
    prediction: Any
    probabilities: list[float] | None


@dataclass(frozen=True)
class VariantMetrics:
    """One serving variant's metrics at one moment (from :meth:`Router.metrics`).

    Attributes
    ----------
    label, role, model : str
        The variant's label and role, and the model's name.
    version : int
        The model's version.
    requests, errors, rows : int
        Requests (failed ones too), failed requests, rows predicted.
    error_rate : float
        ``errors / requests``; NaN without requests.
    latency_p50, latency_p99 : float
        Latency quantiles in seconds, estimated from the histogram as Prometheus'
        ``histogram_quantile`` does; NaN without requests.
    outcomes : int
        Labels (or true values) fed back with :meth:`Router.record_outcome`.
    accuracy : float or None
        Share of correct labelled predictions (classifiers with outcomes).
    mae, rmse, mean_error : float or None
        Mean absolute error, root mean squared error, mean signed error
        ``predicted - actual`` (regressors with outcomes).
    rewards : int
        Rewards fed back with :meth:`Router.record_reward`.
    reward_mean : float or None
        Their mean.
    agreement : float or None
        Share of shadow answers that agreed with the live answer (a shadow's metrics).
    snapshot : dict
        The whole snapshot: latency histogram (``bounds``, ``counts``), prediction
        distribution, outcomes (with a confusion matrix for classifiers), rewards and
        shadow comparisons.
    """

    label: str
    role: str
    model: str
    version: int
    requests: int
    errors: int
    rows: int
    error_rate: float
    latency_p50: float
    latency_p99: float
    outcomes: int
    accuracy: float | None
    mae: float | None
    rmse: float | None
    mean_error: float | None
    rewards: int
    reward_mean: float | None
    agreement: float | None
    snapshot: dict[str, Any] = field(repr=False)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> VariantMetrics:
        snap = data["metrics"]
        s = data["summary"]
        return cls(
            label=data["label"],
            role=data["role"],
            model=data["model"],
            version=data["version"],
            requests=snap["requests"],
            errors=snap["errors"],
            rows=snap["rows"],
            error_rate=_float(s["error_rate"]),
            latency_p50=_float(s["latency_p50"]),
            latency_p99=_float(s["latency_p99"]),
            outcomes=s["outcomes"],
            accuracy=s["accuracy"],
            mae=s["mae"],
            rmse=s["rmse"],
            mean_error=s["mean_error"],
            rewards=s["rewards"],
            reward_mean=s["reward_mean"],
            agreement=s["agreement"],
            snapshot=dict(snap),
        )

    def to_dict(self) -> dict[str, Any]:
        """Every attribute as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class AbComparison:
    """One A/B treatment compared with the control (from :meth:`Router.ab_test`).

    The difference is ``treatment - control``. Accuracy and error rate are compared by a
    two-proportion z-test (its p-value equals that of
    ``scipy.stats.chi2_contingency(..., correction=False)`` on the 2x2 counts), reward and
    absolute error by Welch's t-test (``scipy.stats.ttest_ind(treatment, control,
    equal_var=False)``).

    Attributes
    ----------
    control, treatment : str
        The variants' names.
    test : str
        ``"two-proportion z-test"`` or ``"Welch t-test"``.
    outcome : str
        What was compared.
    n_control, n_treatment : int
        Observations on each side.
    control_mean, treatment_mean, difference : float
        The means (proportions) and ``treatment_mean - control_mean``.
    ci_low, ci_high : float
        The ``1 - alpha`` confidence interval of the difference.
    statistic : float
        z or t, positive when the treatment's mean is larger.
    df : float or None
        Welch–Satterthwaite degrees of freedom (t-test only).
    p_value : float
        Two-sided p-value.
    alpha : float
        The significance level.
    significant : bool
        ``p_value < alpha``.
    verdict : str
        ``"treatment_better"``, ``"treatment_worse"`` or ``"no_significant_difference"``,
        reading "better" by the outcome's direction (lower is better for error rate and
        absolute error).
    """

    control: str
    treatment: str
    test: str
    outcome: str
    n_control: int
    n_treatment: int
    control_mean: float
    treatment_mean: float
    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    df: float | None
    p_value: float
    alpha: float
    significant: bool
    verdict: str

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> AbComparison:
        r = data["result"]
        return cls(
            control=data["control"],
            treatment=data["treatment"],
            test=r["test"],
            outcome=r["outcome"],
            n_control=r["n_control"],
            n_treatment=r["n_treatment"],
            control_mean=_float(r["control_mean"]),
            treatment_mean=_float(r["treatment_mean"]),
            difference=_float(r["difference"]),
            ci_low=_float(r["ci_low"]),
            ci_high=_float(r["ci_high"]),
            statistic=_float(r["statistic"]),
            df=None if r.get("df") is None else float(r["df"]),
            p_value=_float(r["p_value"]),
            alpha=float(r["alpha"]),
            significant=bool(r["significant"]),
            verdict=data["verdict"],
        )

    def to_dict(self) -> dict[str, Any]:
        """Every attribute as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class PolicyDecision:
    """What a :class:`RollbackPolicy` decided (from :meth:`Router.check` / :meth:`Router.enforce`).

    Attributes
    ----------
    action : str
        ``"continue"`` (not enough evidence yet, or every limit kept), ``"rollback"`` or
        ``"promote"`` (only with ``promote_after``; never performed by ``enforce``).
    reasons : list of str
        Why, with the numbers: the limits broken for a rollback; otherwise what is still
        awaited and the checks that passed.
    subject : str
        What was examined (the experiment, or the bake window).
    change : Change or None
        The rollback :meth:`Router.enforce` performed.
    """

    action: str
    reasons: list[str]
    subject: str
    change: Change | None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> PolicyDecision:
        change = data.get("change")
        return cls(
            action=data["action"],
            reasons=list(data["reasons"]),
            subject=data["subject"],
            change=None if change is None else Change._from_json(change),
        )


@dataclass(kw_only=True)
class RollbackPolicy:
    """When a candidate is rolled back (and, optionally, when it has earned promotion).

    Compared on the router's live metrics: during a canary or shadow, the candidate with
    the champion; during an A/B test, every variant with the control; after a switch or
    promotion, while the previous champion bakes, the new champion with the previous one.

    Parameters
    ----------
    min_requests : int, default 500
        Requests each side needs before error rate and latency are judged.
    max_error_rate_increase : float or None, default 0.01
        The largest allowed error-rate increase, absolute (candidate minus baseline);
        None does not judge error rates.
    metric_rules : list of (str, float, int), default []
        ``(metric, max_drop, min_outcomes)``: the largest allowed worsening (absolute: a
        drop for ``"accuracy"`` and ``"reward"``, a rise for ``"mae"`` and ``"rmse"``),
        judged once both sides have ``min_outcomes`` outcomes (rewards for ``"reward"``).
    max_p50_ratio, max_p99_ratio : float or None, default None
        The largest allowed ratio of the candidate's median / 99th-percentile latency to
        the baseline's.
    rollback_on_drift : bool, default True
        Roll back when the drift passed to ``check`` / ``enforce`` was detected.
    promote_after : int or None, default None
        Recommend promotion once a canary or shadow candidate has this many requests and
        every check passed with enough evidence.

    Raises
    ------
    ferrops.InvalidParameterError
        An unknown metric, a negative or non-finite limit, ``min_requests`` of 0, ...

    Examples
    --------
    >>> import ferrops as fo
    >>> policy = fo.RollbackPolicy(min_requests=1000, metric_rules=[("accuracy", 0.02, 300)])
    >>> policy.metric_rules
    [('accuracy', 0.02, 300)]
    """

    min_requests: int = 500
    max_error_rate_increase: float | None = 0.01
    metric_rules: list[tuple[str, float, int]] = field(default_factory=list)
    max_p50_ratio: float | None = None
    max_p99_ratio: float | None = None
    rollback_on_drift: bool = True
    promote_after: int | None = None

    def __post_init__(self) -> None:
        self.metric_rules = [tuple(rule) for rule in self.metric_rules]  # type: ignore[misc]
        _core.Router.validate_policy(self.to_json())

    def to_json(self) -> str:
        """The policy as the JSON of the Rust ``ferrops::serve::RollbackPolicy``."""

        def count(name: str, value: Any, optional: bool = False) -> int | None:
            if value is None and optional:
                return None
            if not _is_int(value) or value < 0:
                raise _core.InvalidParameterError(f"{name}={value!r}: give an integer >= 0")
            return int(value)

        def number(name: str, value: Any) -> float | None:
            if value is None:
                return None
            if not _is_number(value) or not math.isfinite(value):
                raise _core.InvalidParameterError(f"{name}={value!r}: give a finite number or None")
            return float(value)

        rules = []
        for rule in self.metric_rules:
            if len(rule) != 3:
                raise _core.InvalidParameterError(
                    f"metric_rules: each rule is (metric, max_drop, min_outcomes), got {rule!r}"
                )
            metric, max_drop, min_outcomes = rule
            if metric not in _POLICY_METRICS:
                raise _core.InvalidParameterError(
                    f"metric_rules: unknown metric {metric!r}; choose one of {', '.join(_POLICY_METRICS)}"
                )
            drop = number("max_drop", max_drop)
            if drop is None:
                raise _core.InvalidParameterError(f"metric_rules: the max_drop of {metric!r} must be a number")
            rules.append({"metric": metric, "max_drop": drop, "min_outcomes": count("min_outcomes", min_outcomes)})
        if not isinstance(self.rollback_on_drift, (bool, np.bool_)):
            raise _core.InvalidParameterError(f"rollback_on_drift={self.rollback_on_drift!r}: give True or False")
        return json.dumps(
            {
                "min_requests": count("min_requests", self.min_requests),
                "max_error_rate_increase": number("max_error_rate_increase", self.max_error_rate_increase),
                "metric_rules": rules,
                "max_p50_ratio": number("max_p50_ratio", self.max_p50_ratio),
                "max_p99_ratio": number("max_p99_ratio", self.max_p99_ratio),
                "rollback_on_drift": bool(self.rollback_on_drift),
                "promote_after": count("promote_after", self.promote_after, optional=True),
            }
        )


def _drift(drift: Any) -> tuple[bool | None, str | None]:
    """``drift=`` of check / enforce → (flag, report JSON) for the core."""
    if drift is None:
        return None, None
    if isinstance(drift, (bool, np.bool_)):
        return bool(drift), None
    inner = getattr(drift, "_inner", drift)
    if isinstance(inner, _core.DriftReport):
        return None, inner.to_json()
    raise _core.InvalidParameterError(
        f"drift={type(drift).__name__}: give None, a bool (e.g. a streaming detector's verdict) "
        "or a ferrops.drift.DriftReport"
    )


def _policy(policy: RollbackPolicy | None) -> str:
    if policy is None:
        policy = RollbackPolicy()
    if not isinstance(policy, RollbackPolicy):
        raise _core.InvalidParameterError(f"policy={type(policy).__name__}: give a ferrops.RollbackPolicy")
    return policy.to_json()


def _scalar(value: Any) -> Any:
    """numpy scalars → Python scalars (a label from ``Routed.predictions`` is one)."""
    return value.item() if isinstance(value, np.generic) else value


class Router:
    """Routes requests between loaded model versions: blue-green, sticky canary,
    shadow and A/B, with per-variant metrics and automatic rollback.

    A served model is given as ``(pipeline, name, version)`` (a fitted
    :class:`ferrops.Pipeline`, the model's name and its version), or as a pipeline
    loaded with :meth:`ferrops.ModelRegistry.load`, which knows both.

    Parameters
    ----------
    champion : tuple or Pipeline
        The model that answers every request at first.
    bake_window_seconds : float, default 900
        How long the previous champion stays loaded after :meth:`switch` or
        :meth:`promote`, so that :meth:`rollback` is a pointer swap (0 keeps none).
    shadow_capacity : int, default 1024
        Copies of requests that may wait for a shadow model; more are dropped and
        counted, never waited for.
    salt : int, optional
        Salt of the sticky split hash (every router of a service should share it;
        change it to reshuffle which keys go to a canary first).

    Raises
    ------
    ferrops.InvalidParameterError
        A negative or non-finite bake window, a shadow capacity of 0, a bad served model.
    ferrops.NotFittedError
        The pipeline is not fitted.

    Notes
    -----
    Every call releases the GIL; the router is shared by all threads that hold it.
    A request reads one atomic snapshot of the routing state, so during a change it is
    answered wholly by the old state or wholly by the new one.

    Examples
    --------
    >>> import numpy as np, pandas as pd, ferrops as fo
    >>> X = pd.DataFrame({"x": np.linspace(-1, 1, 40)})
    >>> y = np.where(X["x"] > 0, "yes", "no")
    >>> v1 = fo.Pipeline([], trainer=fo.LogisticRegression()).fit(X, y)
    >>> router = fo.Router((v1, "demo", 1))
    >>> router.predict_row({"x": 0.8}, key="user-1").prediction
    'yes'
    """

    def __init__(
        self,
        champion: Any,
        *,
        bake_window_seconds: float = 900.0,
        shadow_capacity: int = 1024,
        salt: int | None = None,
    ) -> None:
        fitted, name, version = _served(champion, "champion")
        if not _is_number(bake_window_seconds):
            raise _core.InvalidParameterError(
                f"bake_window_seconds={bake_window_seconds!r}: give a number of seconds >= 0"
            )
        if not _is_int(shadow_capacity) or shadow_capacity < 0:
            raise _core.InvalidParameterError(f"shadow_capacity={shadow_capacity!r}: give an integer >= 1")
        if salt is not None and (not _is_int(salt) or not 0 <= salt < 2**64):
            raise _core.InvalidParameterError(f"salt={salt!r}: give an integer in [0, 2**64) or None")
        self._inner = _core.Router(
            fitted,
            name,
            version,
            float(bake_window_seconds),
            int(shadow_capacity),
            None if salt is None else int(salt),
        )

    @classmethod
    def from_registry(cls, registry: Any, name: str, ref: Any = "champion", **options: Any) -> Router:
        """A router whose champion is the version ``ref`` names in a model registry.

        Parameters
        ----------
        registry : ferrops.ModelRegistry
            The registry (the artifact's hashes are verified on loading).
        name : str
            The model.
        ref : int or str, default "champion"
            A version number, ``"latest"`` or an alias.
        **options
            ``bake_window_seconds``, ``shadow_capacity``, ``salt``.
        """
        return cls(registry.load(name, ref), **options)

    # ------------------------------------------------------------------ settings

    @property
    def bake_window_seconds(self) -> float:
        """How long a previous champion stays loaded, in seconds."""
        return self._inner.bake_window_seconds

    @property
    def shadow_capacity(self) -> int:
        """Capacity of the shadow queue."""
        return self._inner.shadow_capacity

    @property
    def salt(self) -> int:
        """Salt of the sticky split hash."""
        return self._inner.salt

    def bucket(self, key: Any) -> int:
        """The sticky bucket of ``key`` in ``0..10000``: a canary of fraction ``f`` takes
        the keys whose bucket is below ``f * 10000``."""
        k = _key(key)
        if k is None:
            raise _core.InvalidParameterError("bucket needs a key")
        return self._inner.bucket(k)

    # ------------------------------------------------------------------ requests

    def predict(self, X: Any, key: Any = None) -> Routed:
        """Predict a table: the variant ``key`` routes to answers every row.

        Parameters
        ----------
        X : table-like
            pandas, polars or pyarrow table (or a dict of columns) with the columns the
            serving model needs (extra columns are ignored).
        key : str or int, optional
            The request's key (a user or customer id): one key always reaches the same
            variant. Requests without a key are spread by a counter.

        Returns
        -------
        Routed
            The variant, its version, the predictions and, for classifiers, the class
            probabilities.

        Raises
        ------
        ferrops.SchemaError
            A column the model needs is missing or has the wrong type (counted in the
            variant's errors).
        """
        variant, role, model, version, predictions, proba = self._inner.predict(to_arrow(X), _key(key))
        return Routed(variant, role, model, version, array_output(predictions), proba)

    def predict_row(self, row: Mapping[str, Any], key: Any = None) -> RoutedRow:
        """Predict one row given as ``{column: value}``: the serving fast path (no table
        is built; extra keys are ignored).

        Parameters
        ----------
        row : dict
            Column name to value (None, bool, int, float or str).
        key : str or int, optional
            The request's key (see :meth:`predict`).

        Returns
        -------
        RoutedRow
            ``(variant, role, version, prediction, probabilities)``.

        Raises
        ------
        ferrops.SchemaError
            A column the model needs is missing from ``row``.
        """
        if not isinstance(row, dict):
            row = dict(row)
        return RoutedRow._make(self._inner.predict_row(row, _key(key)))

    # ------------------------------------------------------------------ changes

    def switch(self, model: Any) -> Change:
        """Blue-green: make ``model`` the champion for every request at once. The old
        champion stays loaded for the bake window (see :meth:`rollback`).

        Raises
        ------
        ferrops.DataError
            A canary, shadow or A/B test is running: promote or roll it back first.
        """
        return Change._from_json(json.loads(self._inner.switch(*_served(model, "model"))))

    def start_canary(self, candidate: Any, fraction: float) -> None:
        """Send a sticky ``fraction`` of request keys to ``candidate``.

        Parameters
        ----------
        candidate : tuple or Pipeline
            The served model (see :class:`Router`).
        fraction : float
            Share of keys within [0, 1] (resolution 0.0001).

        Raises
        ------
        ferrops.InvalidParameterError
            A fraction outside [0, 1].
        ferrops.DataError
            Another experiment is running.
        """
        self._inner.start_canary(*_served(candidate, "candidate"), _fraction(fraction))

    def set_canary_fraction(self, fraction: float) -> None:
        """Change the canary's share: growing it only moves keys from the champion to the
        canary; shrinking it only moves keys back."""
        self._inner.set_canary_fraction(_fraction(fraction))

    def start_shadow(self, candidate: Any) -> None:
        """Let ``candidate`` score a copy of every request on a background thread; the
        champion's answers are returned, the candidate's recorded in its metrics (with
        their agreement with the live answers) and discarded."""
        self._inner.start_shadow(*_served(candidate, "candidate"))

    def start_ab(self, variants: Mapping[str, Any], weights: Any = None) -> None:
        """Start an A/B test between named variants; the first is the control.

        Parameters
        ----------
        variants : dict of str to served model
            Variant name to ``(pipeline, name, version)`` (or registry-loaded pipeline),
            in order, the control first. Names must be unique and not ``champion``,
            ``canary``, ``shadow`` or ``previous``.
        weights : dict of str to float or sequence of float, optional
            Traffic weights (default equal). Each key is sticky to one variant.

        Raises
        ------
        ferrops.InvalidParameterError
            Fewer than 2 variants, a reserved name, negative weights or weights summing to 0.
        ferrops.DataError
            Another experiment is running.
        """
        if not isinstance(variants, Mapping):
            raise _core.InvalidParameterError(
                f"variants={type(variants).__name__}: give a dict of name to (pipeline, name, version)"
            )
        names = list(variants)
        if weights is None:
            ws = [1.0] * len(names)
        elif isinstance(weights, Mapping):
            unknown = set(weights) - set(names)
            if unknown:
                raise _core.InvalidParameterError(f"weights name unknown variants {sorted(unknown)}; variants: {names}")
            ws = [weights.get(n, 1.0) for n in names]
        else:
            ws = list(weights)
            if len(ws) != len(names):
                raise _core.InvalidParameterError(f"{len(ws)} weights for {len(names)} variants")
        arms = []
        for n, w in zip(names, ws, strict=True):
            if not isinstance(n, str):
                raise _core.InvalidParameterError(f"variant name {n!r}: give a str")
            if not _is_number(w):
                raise _core.InvalidParameterError(f"weight of {n!r}={w!r}: give a number >= 0")
            fitted, model, version = _served(variants[n], f"variants[{n!r}]")
            arms.append((n, fitted, model, version, float(w)))
        self._inner.start_ab(arms)

    def promote(self) -> Change:
        """Make the canary's or shadow's candidate the champion (the old one bakes).

        Raises
        ------
        ferrops.DataError
            No candidate is being rolled out, or an A/B test runs (use
            :meth:`promote_variant`).
        """
        return Change._from_json(json.loads(self._inner.promote()))

    def promote_variant(self, name: str) -> Change:
        """End an A/B test by making the variant ``name`` the champion.

        Raises
        ------
        ferrops.InvalidParameterError
            ``name`` is not a variant of the test.
        ferrops.DataError
            No A/B test is running.
        """
        return Change._from_json(json.loads(self._inner.promote_variant(name)))

    def rollback(self, reason: str = "manual rollback") -> Change:
        """Go back one step: end a running canary, shadow or A/B test, or swap the
        previous champion back in while it is within its bake window.

        Raises
        ------
        ferrops.DataError
            Nothing to roll back to, or the previous champion was released when its bake
            window ended (load it again and :meth:`switch` to it).
        """
        return Change._from_json(json.loads(self._inner.rollback(str(reason))))

    def release_expired(self) -> ModelRef | None:
        """Release the previous champion if its bake window is over; the model released."""
        released = self._inner.release_expired()
        return None if released is None else ModelRef(*released)

    # ------------------------------------------------------------------ state and feedback

    def status(self) -> dict[str, Any]:
        """The routing state: ``mode`` (``single``, ``canary``, ``shadow``, ``ab``),
        ``champion`` (``{"name", "version"}``), ``variants`` (label, role, model, version,
        fraction of traffic), ``previous`` and ``bake_deadline`` while a previous champion
        is loaded, and ``shadow`` counters (``sent``, ``dropped``, ``pending``, ``scored``,
        ``failed``) in shadow mode."""
        return json.loads(self._inner.status())

    def record_outcome(self, variant: str, predicted: Any, actual: Any) -> None:
        """Feed back the true label (or value) of a prediction ``variant`` made (its label
        as in :attr:`RoutedRow.variant`): it feeds accuracy, or MAE and RMSE.

        Raises
        ------
        ferrops.InvalidParameterError
            ``variant`` is not serving.
        """
        self._inner.record_outcome(variant, _scalar(predicted), _scalar(actual))

    def record_reward(self, variant: str, value: float) -> None:
        """Feed back a business outcome (reward) of a request ``variant`` answered."""
        if not _is_number(value):
            raise _core.InvalidParameterError(f"value={value!r}: a reward is a finite number")
        self._inner.record_reward(variant, float(value))

    def metrics(self) -> list[VariantMetrics]:
        """A snapshot of every serving variant's metrics, champion (or control) first."""
        return [VariantMetrics._from_json(m) for m in json.loads(self._inner.metrics())]

    def prometheus(self) -> str:
        """Every serving variant's metrics in the Prometheus text exposition format,
        labelled by ``model``, ``variant`` and ``version`` (serve it at ``/metrics``)."""
        return self._inner.prometheus()

    def ab_test(self, outcome: str = "accuracy", alpha: float = 0.05) -> list[AbComparison]:
        """Compare every A/B variant with the control.

        Parameters
        ----------
        outcome : {"accuracy", "reward", "absolute_error", "error_rate"}, default "accuracy"
            What to compare: labelled predictions correct (z-test), rewards (Welch
            t-test), regression absolute errors (Welch t-test), failed requests (z-test).
        alpha : float, default 0.05
            Significance level (and ``1 - alpha`` confidence intervals).

        Raises
        ------
        ferrops.DataError
            No A/B test is running, or too few outcomes.
        """
        if outcome not in _OUTCOMES:
            raise _core.InvalidParameterError(f"outcome={outcome!r}: choose one of {', '.join(_OUTCOMES)}")
        if not _is_number(alpha):
            raise _core.InvalidParameterError(f"alpha={alpha!r}: give a number in (0, 1)")
        return [AbComparison._from_json(c) for c in json.loads(self._inner.ab_test(outcome, float(alpha)))]

    def check(self, policy: RollbackPolicy | None = None, drift: Any = None) -> PolicyDecision:
        """Judge the live evidence with ``policy`` (default :class:`RollbackPolicy`);
        changes nothing.

        Parameters
        ----------
        policy : RollbackPolicy, optional
            The limits.
        drift : bool or ferrops.drift.DriftReport, optional
            Drift found in the serving data; with ``rollback_on_drift`` a detected drift
            asks for a rollback.
        """
        flag, report = _drift(drift)
        return PolicyDecision._from_json(json.loads(self._inner.check(_policy(policy), flag, report)))

    def enforce(self, policy: RollbackPolicy | None = None, drift: Any = None) -> PolicyDecision:
        """:meth:`check`, and roll back when the decision says so (the change is in
        ``decision.change``, its reason listing the broken limits). A ``"promote"``
        decision is returned, not performed."""
        flag, report = _drift(drift)
        return PolicyDecision._from_json(json.loads(self._inner.enforce(_policy(policy), flag, report)))

    def __repr__(self) -> str:
        s = self.status()
        champion = s["champion"]
        return f"Router(mode={s['mode']!r}, champion={champion['name']!r} v{champion['version']})"
