"""Model gates: check a candidate model's metrics against bounds and against the champion's.

The semantics are those of TensorFlow Model Analysis (TFMA) model validation
(``GenericValueThreshold``, ``GenericChangeThreshold``); ``docs/gates.md`` lists them
with the few deliberate differences. In short:

- ``lower``/``upper`` bound the candidate's value, both inclusive.
- ``change_absolute`` bounds ``diff = candidate - baseline`` and ``change_relative``
  bounds ``diff / |baseline|``: with ``direction="higher_is_better"`` the change must be
  ``>=`` the bound, with ``"lower_is_better"`` ``<=``. A negative ``change_absolute`` on
  a higher-is-better metric allows a bounded regression. Both set: both must pass.
- Known metrics have a default direction (``accuracy``, ``roc_auc``, ``r2``... higher;
  ``log_loss``, ``mae``, ``rmse``... lower); others need ``direction=``.
- A missing or NaN metric fails its checks; without a baseline (a first model) change
  checks are skipped and the report says so; a gate with no thresholds is an error.

>>> import ferrops as fo
>>> gate = fo.ModelGate([fo.threshold("roc_auc", lower=0.8, change_absolute=-0.01)])
>>> report = gate.evaluate({"roc_auc": 0.84}, baseline={"roc_auc": 0.845})
>>> report.passed
True
"""

from __future__ import annotations

import html
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from . import _core
from ._base import core_fitted
from ._core import InvalidParameterError
from ._io import to_arrow, with_target

__all__ = ["GateReport", "ModelGate", "ModelMetrics", "Threshold", "evaluate", "threshold"]

DIRECTIONS = ("higher_is_better", "lower_is_better")
OVERALL = "overall"


def _bound(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"`{name}` must be a number or None, got {value!r}")
    if not math.isfinite(value):
        raise InvalidParameterError(f"`{name}` = {value!r} must be a finite number; use None for no bound")
    return float(value)


def _known_keys(what: str, d: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise InvalidParameterError(f"unknown field(s) {unknown} in {what}: expected some of {list(allowed)}")


class Threshold:
    """One metric's thresholds: value bounds, change bounds, or both.

    Parameters
    ----------
    metric : str
        The metric's name, as in the metric sets the gate evaluates.
    lower, upper : float, optional
        Inclusive bounds on the candidate's value.
    change_absolute : float, optional
        Bound on ``candidate - baseline`` (``>=`` when higher is better, ``<=`` when
        lower is better).
    change_relative : float, optional
        Bound on ``(candidate - baseline) / |baseline|``, compared the same way.
    direction : {"higher_is_better", "lower_is_better"}, optional
        For the change bounds; defaults to the metric's usual direction when ferrops
        knows it (``ferrops.gates.metric_direction``).
    slices : str or sequence of str, optional
        Where the threshold applies: ``"overall"`` (the default), a column name such as
        ``"country"`` (every slice of that column) or one slice, ``"country=FR"``.
    """

    def __init__(
        self,
        metric: str,
        *,
        lower: float | None = None,
        upper: float | None = None,
        change_absolute: float | None = None,
        change_relative: float | None = None,
        direction: str | None = None,
        slices: str | Sequence[str] | None = None,
    ) -> None:
        if not isinstance(metric, str):
            raise InvalidParameterError(f"`metric` must be a str, got {metric!r}")
        if direction is not None and direction not in DIRECTIONS:
            raise InvalidParameterError(f"direction={direction!r}: use one of {DIRECTIONS}")
        self.metric = metric
        self.lower = _bound("lower", lower)
        self.upper = _bound("upper", upper)
        self.change_absolute = _bound("change_absolute", change_absolute)
        self.change_relative = _bound("change_relative", change_relative)
        self.direction = direction
        self.slices = [slices] if isinstance(slices, str) else list(slices or [])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the Rust ``Threshold``."""
        out: dict[str, Any] = {"metric": self.metric}
        value = {k: v for k, v in (("lower", self.lower), ("upper", self.upper)) if v is not None}
        if value:
            out["value"] = value
        change: dict[str, Any] = {
            k: v
            for k, v in (
                ("absolute", self.change_absolute),
                ("relative", self.change_relative),
                ("direction", self.direction),
            )
            if v is not None
        }
        if change:
            out["change"] = change
        if self.slices:
            out["slices"] = list(self.slices)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Threshold:
        """Rebuild from ``to_dict``'s form (the Rust JSON form)."""
        if not isinstance(d, Mapping):
            raise InvalidParameterError(f"a threshold is a Threshold or a dict, got {d!r}")
        value = d.get("value") or {}
        change = d.get("change") or {}
        _known_keys("a threshold", d, ("metric", "value", "change", "slices"))
        _known_keys("a value threshold", value, ("lower", "upper"))
        _known_keys("a change threshold", change, ("absolute", "relative", "direction"))
        if "metric" not in d:
            raise InvalidParameterError(f"a threshold needs a `metric`: {dict(d)!r}")
        return cls(
            d["metric"],
            lower=value.get("lower"),
            upper=value.get("upper"),
            change_absolute=change.get("absolute"),
            change_relative=change.get("relative"),
            direction=change.get("direction"),
            slices=d.get("slices"),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Threshold) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        parts = [repr(self.metric)]
        for name in ("lower", "upper", "change_absolute", "change_relative", "direction"):
            v = getattr(self, name)
            if v is not None:
                parts.append(f"{name}={v!r}")
        if self.slices:
            parts.append(f"slices={self.slices!r}")
        return f"threshold({', '.join(parts)})"


def threshold(
    metric: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    change_absolute: float | None = None,
    change_relative: float | None = None,
    direction: str | None = None,
    slices: str | Sequence[str] | None = None,
) -> Threshold:
    """A :class:`Threshold` on ``metric`` (same parameters)."""
    return Threshold(
        metric,
        lower=lower,
        upper=upper,
        change_absolute=change_absolute,
        change_relative=change_relative,
        direction=direction,
        slices=slices,
    )


def metric_direction(metric: str) -> str | None:
    """The default direction of ``metric``: ``"higher_is_better"``, ``"lower_is_better"`` or None."""
    return _core.metric_direction(metric)


def _number(value: Any, where: str) -> float | str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"metric value {where} must be a number, got {value!r}")
    v = float(value)
    if math.isnan(v):
        return None  # JSON null: NaN on the Rust side
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"  # JSON has no infinity; the Rust side reads these
    return v


def _metric_set(values: Mapping[str, Any], where: str) -> dict[str, float | str | None]:
    return {str(k): _number(v, f"{where}[{k!r}]") for k, v in values.items()}


def _as_sliced(metrics: Any, name: str) -> dict[str, Any]:
    """The Rust ``SlicedMetrics`` JSON form of ``metrics``: a :class:`ModelMetrics`, a
    ``{metric: value}`` dict (overall only) or a ``{slice: {metric: value}}`` dict with
    an ``"overall"`` entry."""
    if isinstance(metrics, ModelMetrics):
        return metrics.to_dict()
    if not isinstance(metrics, Mapping):
        raise InvalidParameterError(
            f"`{name}` must be a dict of metric values, a dict of such dicts by slice, or the result of "
            f"ferrops.evaluate; got {type(metrics).__name__}"
        )
    nested = [isinstance(v, Mapping) for v in metrics.values()]
    if not any(nested):
        return {"overall": {"metrics": _metric_set(metrics, name)}, "slices": {}}
    if not all(nested):
        raise InvalidParameterError(
            f"`{name}` mixes metric values and per-slice dicts: give either {{metric: value}} or "
            f'{{"overall": {{metric: value}}, "country=FR": {{metric: value}}, ...}}'
        )
    slices = {str(k): {"metrics": _metric_set(v, f"{name}[{k!r}]")} for k, v in metrics.items() if k != OVERALL}
    overall = metrics.get(OVERALL, {})
    return {"overall": {"metrics": _metric_set(overall, f"{name}['overall']")}, "slices": slices}


class ModelGate:
    """Thresholds a candidate model must pass before it replaces the champion.

    Parameters
    ----------
    thresholds : sequence of Threshold or dict
        At least one; dicts are in :meth:`Threshold.to_dict`'s form. The gate is
        checked at once: no thresholds, ``lower > upper``, a NaN bound, a change
        threshold without ``change_absolute``/``change_relative``, or a change threshold
        on a metric of unknown direction without ``direction=`` raise
        ``InvalidParameterError``.

    Examples
    --------
    >>> import ferrops as fo
    >>> gate = fo.ModelGate([
    ...     fo.threshold("accuracy", lower=0.8),
    ...     fo.threshold("log_loss", change_relative=0.05),
    ... ])
    >>> gate.evaluate({"accuracy": 0.9, "log_loss": 0.3}).passed  # no champion yet
    True
    """

    def __init__(self, thresholds: Sequence[Threshold | Mapping[str, Any]]) -> None:
        if isinstance(thresholds, (Threshold, Mapping, str)):
            raise InvalidParameterError("`thresholds` must be a list of thresholds")
        self.thresholds = [t if isinstance(t, Threshold) else Threshold.from_dict(t) for t in thresholds]
        self._json = _core.gate_check(json.dumps(self._dict()))

    def _dict(self) -> dict[str, Any]:
        return {"thresholds": [t.to_dict() for t in self.thresholds]}

    def to_dict(self) -> dict[str, Any]:
        """The gate as a JSON-ready dict, change directions resolved (Rust's JSON form)."""
        return json.loads(self._json)

    def to_json(self) -> str:
        """The gate as JSON, readable by :meth:`from_json` and by Rust's ``Gate::from_json``."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelGate:
        """Rebuild from :meth:`to_dict`'s form."""
        if not isinstance(d, Mapping) or "thresholds" not in d:
            raise InvalidParameterError('a gate is a dict {"thresholds": [...]}')
        return cls(list(d["thresholds"]))

    @classmethod
    def from_json(cls, text: str) -> ModelGate:
        """Rebuild from :meth:`to_json`'s JSON."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidParameterError(f"not a valid gate: {e}") from None
        return cls.from_dict(d)

    def evaluate(self, candidate: Any, baseline: Any = None) -> GateReport:
        """Check ``candidate``'s metrics; ``baseline`` is the champion's, None for a first model.

        Each is a ``{metric: value}`` dict, a ``{slice: {metric: value}}`` dict (slice
        keys ``"overall"``, ``"country=FR"``...), or the :class:`ModelMetrics` of
        :func:`evaluate`. Returns a :class:`GateReport`.
        """
        cand = json.dumps(_as_sliced(candidate, "candidate"), allow_nan=False)
        base = None if baseline is None else json.dumps(_as_sliced(baseline, "baseline"), allow_nan=False)
        return GateReport(json.loads(_core.gate_evaluate(self._json, cand, base)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelGate) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(t) for t in self.thresholds)
        return f"ModelGate([\n    {inner},\n])"


_CHECK_COLUMNS = (
    "slice",
    "metric",
    "kind",
    "threshold",
    "candidate",
    "baseline",
    "diff",
    "relative",
    "outcome",
    "reason",
)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class GateReport:
    """The result of :meth:`ModelGate.evaluate`.

    Attributes
    ----------
    passed : bool
        True iff no check failed (``bool(report)`` is the same).
    checks : list of dict
        One per threshold and slice: ``slice``, ``metric``, ``kind`` (``"value"`` or
        ``"change"``), ``threshold`` (as text), ``candidate``, ``baseline``, ``diff``,
        ``relative``, ``outcome`` (``"passed"``, ``"failed"``, ``"skipped"``) and
        ``reason`` (why it failed or was skipped). Missing or NaN values are None.
    notes : list of str
        What the checks do not say alone (change checks skipped for want of a
        baseline, slices too small to evaluate).
    """

    def __init__(self, report: Mapping[str, Any]) -> None:
        self.passed: bool = bool(report["passed"])
        self.checks: list[dict[str, Any]] = [dict(c) for c in report["checks"]]
        self.notes: list[str] = list(report["notes"])

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The failed checks."""
        return [c for c in self.checks if c["outcome"] == "failed"]

    def __bool__(self) -> bool:
        return self.passed

    def to_dict(self) -> dict[str, Any]:
        """``{"passed": ..., "checks": [...], "notes": [...]}`` (JSON-ready)."""
        return {"passed": self.passed, "checks": [dict(c) for c in self.checks], "notes": list(self.notes)}

    def to_pandas(self) -> Any:
        """The checks as a pandas DataFrame, one row per check."""
        import pandas as pd

        return pd.DataFrame(self.checks, columns=list(_CHECK_COLUMNS))

    def _repr_html_(self) -> str:
        status = "PASSED" if self.passed else "FAILED"
        color = "#1a7f37" if self.passed else "#cf222e"
        head = "".join(f"<th>{html.escape(c)}</th>" for c in _CHECK_COLUMNS)
        rows = []
        for c in self.checks:
            style = {"failed": ' style="color:#cf222e"', "skipped": ' style="color:#6e7781"'}.get(c["outcome"], "")
            cells = "".join(f"<td>{html.escape(_fmt(c.get(k)))}</td>" for k in _CHECK_COLUMNS)
            rows.append(f"<tr{style}>{cells}</tr>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f'<div><p><b style="color:{color}">Gate {status}</b>: {len(self.checks)} check(s), '
            f"{len(self.failures)} failed</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + "</div>"
        )

    def __repr__(self) -> str:
        lines = [f"GateReport({'PASSED' if self.passed else 'FAILED'}: {len(self.checks)} check(s), "]
        lines[0] += f"{len(self.failures)} failed)"
        for c in self.checks:
            mark = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}[c["outcome"]]
            line = f"  [{mark}] {c['slice']} {c['metric']} {c['threshold']}"
            if c["reason"]:
                line += f": {c['reason']}"
            lines.append(line)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


class ModelMetrics:
    """A model's metrics overall and per slice, from :func:`evaluate`.

    Attributes
    ----------
    overall : dict
        ``{metric: value}`` on every row.
    slices : dict
        ``{"column=value": {metric: value}}``; a slice below ``min_slice_size`` has no
        metrics (see ``skipped``).
    rows : dict
        Row count of ``"overall"`` and of each slice.
    undefined : dict
        ``{slice: {metric: reason}}`` for metrics undefined on a slice (e.g. ROC AUC
        where only one class occurs); a gate check on them fails with that reason.
    skipped : dict
        ``{slice: reason}`` for slices too small to evaluate; gates skip their checks.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = json.loads(json.dumps(data))

        def values(part: Mapping[str, Any]) -> dict[str, float]:
            return {k: (math.nan if v is None else float(v)) for k, v in part.get("metrics", {}).items()}

        overall = self._data["overall"]
        slices = self._data.get("slices", {})
        self.overall: dict[str, float] = values(overall)
        self.slices: dict[str, dict[str, float]] = {k: values(v) for k, v in slices.items()}
        self.rows: dict[str, int | None] = {OVERALL: overall.get("rows")}
        self.rows.update({k: v.get("rows") for k, v in slices.items()})
        self.undefined: dict[str, dict[str, str]] = {
            k: dict(v["undefined"]) for k, v in [(OVERALL, overall), *slices.items()] if v.get("undefined")
        }
        self.skipped: dict[str, str] = {k: v["skipped"] for k, v in slices.items() if v.get("skipped")}

    def __getitem__(self, key: str) -> dict[str, float]:
        """The metrics of ``"overall"`` or of a slice."""
        if key == OVERALL:
            return dict(self.overall)
        return dict(self.slices[key])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the Rust ``SlicedMetrics`` (NaN as None, infinities as ``"inf"``/``"-inf"``)."""
        return json.loads(json.dumps(self._data))

    def to_pandas(self) -> Any:
        """One row per slice (``"overall"`` first), columns ``rows`` then the metrics."""
        import pandas as pd

        keys = [OVERALL, *self.slices]
        frame = pd.DataFrame([self[k] for k in keys], index=pd.Index(keys, name="slice"))
        frame.insert(0, "rows", [self.rows.get(k) for k in keys])
        return frame

    def _repr_html_(self) -> str:
        keys = [OVERALL, *self.slices]
        names = sorted({m for k in keys for m in self[k]})
        head = "".join(f"<th>{html.escape(c)}</th>" for c in ["slice", "rows", *names])
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(_fmt(v))}</td>" for v in [k, self.rows.get(k), *(self[k].get(m) for m in names)]
            )
            + "</tr>"
            for k in keys
        )
        notes = [f"{k}: skipped ({v})" for k, v in self.skipped.items()]
        notes += [f"{k}: {m} undefined ({why})" for k, d in self.undefined.items() for m, why in d.items()]
        extra = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        return f"<div><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" + (
            f"<ul>{extra}</ul></div>" if extra else "</div>"
        )

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.overall.items())
        return f"ModelMetrics(overall: {shown}; {len(self.slices)} slice(s))"


def evaluate(
    pipeline: Any,
    X: Any,
    y: Any = None,
    *,
    metrics: Sequence[str],
    slice_by: str | Sequence[str] = (),
    min_slice_size: int = 1,
) -> ModelMetrics:
    """Compute a fitted pipeline's metrics on data, overall and per slice, for a gate.

    Parameters
    ----------
    pipeline : ferrops.Pipeline or trainer
        Fitted, with a model.
    X : pandas/polars DataFrame, pyarrow Table or dict
        The model's input columns and the slice columns; also the target column (the
        column the pipeline was fitted to predict) unless ``y`` is given.
    y : array-like, optional
        True labels or values, if not a column of ``X``.
    metrics : sequence of str
        Names as in scikit-learn's scorers, without ``neg_``: ``accuracy``,
        ``balanced_accuracy``, ``precision``/``recall``/``f1`` (binary; ``_macro``,
        ``_micro``, ``_weighted`` for averages), ``roc_auc``, ``average_precision``,
        ``brier_score`` (binary), ``roc_auc_ovr``, ``roc_auc_ovr_weighted``,
        ``log_loss``; ``mae``, ``mse``, ``rmse``, ``r2``, ``mape``,
        ``median_absolute_error``; ``example_count``. For binary targets the second
        class (in sorted order) is the positive one.
    slice_by : str or sequence of str
        Columns to slice by: each value of each column is a slice ``"column=value"``
        (nulls: ``"column=null"``), on which every metric is computed as on a pandas
        ``groupby`` group.
    min_slice_size : int
        Slices with fewer rows are not evaluated; gates skip (not fail) their checks.

    Returns
    -------
    ModelMetrics
    """
    fitted = core_fitted(pipeline, "evaluate")
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(slice_by, str):
        slice_by = [slice_by]
    if isinstance(min_slice_size, bool) or not isinstance(min_slice_size, numbers.Integral) or min_slice_size < 0:
        raise InvalidParameterError(f"min_slice_size must be a non-negative int, got {min_slice_size!r}")
    table = to_arrow(X)
    if y is not None:
        target = fitted.target
        if target is None:
            raise _core.NotFittedError("this pipeline was fitted without a target: it has no model to evaluate")
        names = getattr(table, "column_names", None) or list(getattr(table, "columns", []))
        if target in names:
            raise InvalidParameterError(f"X already has the target column {target!r}: drop it from X or leave y out")
        table = with_target(table, y, target)
    out = _core.evaluate_pipeline(fitted, table, list(metrics), list(slice_by), int(min_slice_size))
    return ModelMetrics(json.loads(out))
