"""Model-monitoring metrics: fairness across a sensitive attribute and permutation
feature importance of a fitted pipeline (``ferrops.drift.fairness_metrics``,
``ferrops.drift.permutation_importance``), computed in Rust."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from . import _core
from ._base import core_fitted
from ._core import DataError, InvalidParameterError
from ._io import to_arrow, with_target

__all__ = ["FairnessReport", "PermutationImportance", "fairness_metrics", "permutation_importance"]


def _arrow_array(values: Any, name: str) -> pa.Array:
    """A 1-D pyarrow array of a list, numpy array, pandas/polars Series or pyarrow array.

    pandas NaN and None become nulls (which the metrics reject with the row named).
    """
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    module = type(values).__module__
    if module.startswith("pandas"):
        return pa.Array.from_pandas(values)
    if module.startswith("polars"):
        arrow = values.to_arrow()
        return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as e:
        raise DataError(f"`{name}` cannot be read as an array: {e}") from None
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise DataError(f"`{name}` must be 1-D (n_samples,), got shape {array.shape}")
    try:
        return pa.array(array, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise DataError(f"`{name}` holds values of mixed or unsupported types: {e}") from None


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


class FairnessReport:
    """Per-group rates and fairness metrics of a binary classifier's decisions, as
    returned by :func:`fairness_metrics`.

    Attributes
    ----------
    demographic_parity_difference : float
        Largest minus smallest selection rate (fairlearn's
        ``demographic_parity_difference``).
    demographic_parity_ratio : float
        Smallest over largest selection rate (fairlearn's ``demographic_parity_ratio``),
        also called the disparate impact ratio; NaN when no group is ever selected.
    disparate_impact_ratio : float
        Same as ``demographic_parity_ratio``.
    equal_opportunity_difference, equal_opportunity_ratio : float
        Spread of the true positive rates over the groups that have positives.
    equalized_odds_difference : float
        The larger of the TPR and FPR differences (fairlearn, ``agg="worst_case"``).
    equalized_odds_ratio : float
        The smaller of the TPR and FPR ratios.
    reference_group : str or None
        The reference (privileged) group, if one was given.
    disparate_impact_vs_reference : float
        Smallest ratio of another group's selection rate to the reference group's (NaN
        without a reference group); the four-fifths rule compares it with 0.8.
    groups : list of str
        The group labels, sorted.
    groups_without_positives, groups_without_negatives : list of str
        Groups whose true (false) positive rate is undefined, reported as NaN.
    overall : dict
        The rates over all samples.

    Undefined rates and metrics are NaN (fairlearn reports 0.0 for the TPR of a group
    without positives; see ``docs/monitoring.md``).
    """

    def __init__(self, report: Any) -> None:
        self._report = report
        data = json.loads(report.to_json())
        self._data = data
        self.groups: list[str] = [g["group"] for g in data["groups"]]
        self.overall: dict[str, Any] = data["overall"]
        self.demographic_parity_difference = float(data["demographic_parity_difference"])
        self.demographic_parity_ratio = _nan(data["demographic_parity_ratio"])
        self.disparate_impact_ratio = self.demographic_parity_ratio
        self.equal_opportunity_difference = _nan(data["equal_opportunity_difference"])
        self.equal_opportunity_ratio = _nan(data["equal_opportunity_ratio"])
        self.equalized_odds_difference = _nan(data["equalized_odds_difference"])
        self.equalized_odds_ratio = _nan(data["equalized_odds_ratio"])
        self.reference_group: str | None = data["reference_group"]
        self.disparate_impact_vs_reference = _nan(data["disparate_impact_vs_reference"])
        self.groups_without_positives: list[str] = data["groups_without_positives"]
        self.groups_without_negatives: list[str] = data["groups_without_negatives"]

    def metrics(self) -> dict[str, float]:
        """The fairness metrics as a dict (NaN where undefined)."""
        return {
            "demographic_parity_difference": self.demographic_parity_difference,
            "demographic_parity_ratio": self.demographic_parity_ratio,
            "equal_opportunity_difference": self.equal_opportunity_difference,
            "equal_opportunity_ratio": self.equal_opportunity_ratio,
            "equalized_odds_difference": self.equalized_odds_difference,
            "equalized_odds_ratio": self.equalized_odds_ratio,
            "disparate_impact_vs_reference": self.disparate_impact_vs_reference,
        }

    def to_arrow(self) -> pa.Table:
        """One row per group (``group``, ``count``, ``weight``, ``positives``,
        ``negatives``, ``predicted_positives``, ``selection_rate``,
        ``true_positive_rate``, ``false_positive_rate``, ``ratio_to_reference``,
        ``difference_to_reference``) as a pyarrow Table; undefined rates are null."""
        return pa.Table.from_batches([self._report.to_record_batch()])

    def to_pandas(self) -> Any:
        """The per-group table as a pandas DataFrame indexed by group (undefined rates
        are NaN), like fairlearn's ``MetricFrame.by_group``."""
        return self.to_arrow().to_pandas().set_index("group")

    def to_json(self) -> str:
        """The report as JSON (undefined values are null)."""
        return str(self._report.to_json())

    @classmethod
    def from_json(cls, text: str) -> FairnessReport:
        """Rebuild a report from :meth:`to_json`."""
        return cls(_core.FairnessReport.from_json(text))

    def _repr_html_(self) -> str:
        return str(self._report.to_html())

    def __repr__(self) -> str:
        return repr(self._report)


def _group_text(group: Any) -> str | None:
    """A reference group as the metrics write group labels (booleans as Arrow writes them)."""
    if group is None:
        return None
    if isinstance(group, (bool, np.bool_)):
        return "true" if group else "false"
    return str(group)


def fairness_metrics(
    y_true: Any,
    y_pred: Any,
    sensitive: Any,
    *,
    pos_label: Any = None,
    reference_group: Any = None,
    sample_weight: Any = None,
) -> FairnessReport:
    """Fairness metrics of binary decisions across the groups of a sensitive attribute,
    with fairlearn's definitions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: booleans, integers or strings, at most two distinct values.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, of the same kind as ``y_true``.
    sensitive : array-like of shape (n_samples,)
        The group of each sample (strings, integers, booleans or categories); reported
        as text. Missing groups are an error.
    pos_label : scalar, optional
        The positive (favourable) label. By default ``True`` for booleans and 1 for
        labels in {0, 1} or {-1, 1}; other labels need it.
    reference_group : scalar, optional
        A reference (privileged) group: each group's selection rate is also divided by
        its selection rate (``ratio_to_reference``, ``disparate_impact_vs_reference``).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative sample weights; each rate becomes a ratio of weighted sums.

    Returns
    -------
    FairnessReport
        Per-group selection rate, TPR, FPR and counts (``to_pandas()``), and the
        metrics: demographic parity difference and ratio (the disparate impact ratio),
        equal opportunity difference and ratio, equalized odds difference and ratio.

    Raises
    ------
    DataError
        Empty input, lengths that differ, a single group, a missing label or group,
        more than two labels, labels of different kinds.
    InvalidParameterError
        A ``pos_label`` that is not one of the labels (or is needed and missing), a
        ``reference_group`` that does not occur.

    Examples
    --------
    >>> import ferrops as fo
    >>> report = fo.drift.fairness_metrics(
    ...     [1, 0, 1, 0, 1, 0], [1, 1, 0, 0, 0, 1], ["a", "a", "a", "b", "b", "b"]
    ... )
    >>> round(report.demographic_parity_difference, 4)
    0.3333
    >>> report.equal_opportunity_difference
    0.5
    """
    weights = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
    if weights is not None and weights.ndim != 1:
        raise DataError(f"`sample_weight` must be 1-D, got shape {weights.shape}")
    report = _core.fairness_metrics(
        _arrow_array(y_true, "y_true"),
        _arrow_array(y_pred, "y_pred"),
        _arrow_array(sensitive, "sensitive"),
        pos_label,
        _group_text(reference_group),
        weights,
    )
    return FairnessReport(report)


class PermutationImportance(dict):  # type: ignore[type-arg]
    """The result of :func:`permutation_importance`: a dict with attribute access, like
    scikit-learn's ``Bunch``.

    Attributes
    ----------
    importances_mean : numpy.ndarray of shape (n_features,)
        Mean decrease of the score over the repeats.
    importances_std : numpy.ndarray of shape (n_features,)
        Its standard deviation (``ddof=0``).
    importances : numpy.ndarray of shape (n_features, n_repeats)
        Baseline score minus the score with the feature permuted, per repeat.
    feature_names : list of str
        The permuted input columns, in the pipeline's input order.
    baseline_score : float
        The score of the unpermuted table.
    scoring : str
        The scorer's name.
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def to_pandas(self) -> Any:
        """``importance_mean`` and ``importance_std`` per feature, most important first,
        as a pandas DataFrame indexed by feature."""
        import pandas as pd

        frame = pd.DataFrame(
            {"importance_mean": self["importances_mean"], "importance_std": self["importances_std"]},
            index=pd.Index(self["feature_names"], name="feature"),
        )
        return frame.sort_values("importance_mean", ascending=False, kind="stable")


def _permutations(n_rows: int, n_repeats: int, random_state: Any) -> np.ndarray:
    """The row permutations scikit-learn's ``permutation_importance`` applies for
    ``random_state``, as positions into the original rows: one seed drawn from
    ``random_state``, a ``RandomState(seed)`` that shuffles one index array in place per
    repeat, each shuffle applied to the column as the previous repeat left it."""
    if random_state is None:
        generator = np.random.mtrand._rand
    elif isinstance(random_state, np.random.RandomState):
        generator = random_state
    elif isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        generator = np.random.RandomState(int(random_state))
    else:
        raise InvalidParameterError(f"random_state={random_state!r}: pass an int, a numpy.random.RandomState or None")
    seed = generator.randint(np.iinfo(np.int32).max + 1)
    rng = np.random.RandomState(seed)
    shuffling = np.arange(n_rows)
    effective = np.arange(n_rows)
    out = np.empty((n_repeats, n_rows), dtype=np.int64)
    for r in range(n_repeats):
        rng.shuffle(shuffling)
        effective = effective[shuffling]
        out[r] = effective
    return out


def permutation_importance(
    pipeline: Any,
    X: Any,
    target: Any,
    *,
    scoring: str | None = None,
    n_repeats: int = 5,
    random_state: Any = 0,
    sample_weight: Any = None,
    columns: Sequence[str] | None = None,
) -> PermutationImportance:
    """Permutation feature importance of a fitted pipeline
    (``sklearn.inspection.permutation_importance``).

    Each input column of the pipeline (the raw columns it was fitted on, so a string
    column that a one-hot encoder expands counts as one feature) is shuffled across
    rows ``n_repeats`` times; its importance is the baseline score minus the score of
    the whole pipeline on the shuffled table. The shuffles are NumPy's, drawn from
    ``random_state`` exactly as scikit-learn draws them, so on the same model the
    importances are scikit-learn's.

    Parameters
    ----------
    pipeline : ferrops.Pipeline or fitted trainer
        A fitted pipeline with a model.
    X : table
        pandas, polars or pyarrow table (or 2-D numpy array, columns ``x0, x1, ...``)
        holding the pipeline's input columns.
    target : str or array-like
        The name of the target column of ``X``, or the target values.
    scoring : str, optional
        A scikit-learn scoring name (``"accuracy"``, ``"roc_auc"``, ``"neg_log_loss"``,
        ``"r2"``, ``"neg_mean_squared_error"``, ...); by default accuracy for
        classifiers and R² for regressors.
    n_repeats : int, default 5
        Shuffles per column.
    random_state : int, numpy.random.RandomState or None, default 0
        Seed of the shuffles, with scikit-learn's meaning.
    sample_weight : array-like of shape (n_samples,), optional
        Weights passed to the metric.
    columns : sequence of str, optional
        Permute only these input columns.

    Returns
    -------
    PermutationImportance
        ``importances_mean``, ``importances_std``, ``importances`` (numpy arrays, rows
        in ``feature_names`` order), ``baseline_score``, ``scoring``; ``to_pandas()``.

    Raises
    ------
    NotFittedError
        The pipeline is not fitted or has no model.
    SchemaError
        A missing input or target column.
    InvalidParameterError
        An unknown scorer or one for the other kind of model, ``n_repeats < 1``, a
        column that is not an input.

    Examples
    --------
    >>> import numpy as np, pandas as pd, ferrops as fo
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    >>> df["y"] = 3 * df["a"] + rng.normal(scale=0.1, size=200)
    >>> pipe = fo.Pipeline([], trainer=fo.LinearRegression()).fit(df, target="y")
    >>> result = fo.drift.permutation_importance(pipe, df, "y", n_repeats=3)
    >>> result.feature_names, bool(result.importances_mean[0] > 1.0)
    (['a', 'b'], True)
    """
    fitted = core_fitted(pipeline, "permutation_importance")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise InvalidParameterError(f"n_repeats={n_repeats!r}: must be an integer >= 1")
    names = [name for name, _ in fitted.signature]
    table = to_arrow(X, names if isinstance(X, (np.ndarray, list)) else None)
    if isinstance(target, str):
        target_name = target
    else:
        if not isinstance(table, (pa.Table, pa.RecordBatch)):
            table = pa.table(table)
        target_name = "__ferrops_target__"
        table = with_target(table, target, target_name)
    if not isinstance(table, (pa.Table, pa.RecordBatch)):
        table = pa.table(table)
    weights = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
    permutations = _permutations(table.num_rows, int(n_repeats), random_state)
    features, scorer, baseline, importances, mean, std = _core.permutation_importance(
        fitted,
        table,
        target_name,
        permutations,
        scoring,
        weights,
        None if columns is None else [str(c) for c in columns],
    )
    return PermutationImportance(
        importances_mean=mean,
        importances_std=std,
        importances=importances,
        feature_names=list(features),
        baseline_score=float(baseline),
        scoring=str(scorer),
    )
