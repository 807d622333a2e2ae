"""Multivariate drift: PCA reconstruction error and a domain classifier
(``ferrops.drift.PCAReconstructionDrift``, ``ferrops.drift.domain_classifier_drift``),
computed in Rust (``ferrops::drift::multivariate``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core
from ._core import InvalidParameterError, NotFittedError
from ._io import to_arrow

__all__ = [
    "DomainClassifierResult",
    "PCAReconstructionDrift",
    "ReconstructionResult",
    "domain_classifier_drift",
]


def _columns(columns: str | Sequence[str] | None) -> list[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return [str(c) for c in columns]


def _optional_int(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: must be an integer or None")
    return int(value)


class ReconstructionResult:
    """The PCA reconstruction error of a table against the band of the reference, as
    returned by :meth:`PCAReconstructionDrift.evaluate`.

    Attributes
    ----------
    error : float
        Mean reconstruction error of the table's rows.
    reference_mean, reference_std : float
        Mean and sample standard deviation of the reference chunks' errors.
    lower, upper : float
        The band ``[max(mean - k * std, 0), mean + k * std]``.
    drifted : bool
        Whether ``error`` is outside the band.
    n_rows : int
        Rows of the table.
    chunks : list of dict
        One dict per chunk of the table: ``start``, ``end`` (row range), ``error`` and
        ``drifted``.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self.error: float = data["error"]
        self.reference_mean: float = data["reference_mean"]
        self.reference_std: float = data["reference_std"]
        self.lower: float = data["lower"]
        self.upper: float = data["upper"]
        self.drifted: bool = data["drifted"]
        self.n_rows: int = data["n_rows"]
        self.chunks: list[dict[str, Any]] = [dict(c) for c in data["chunks"]]

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain dict (JSON-ready)."""
        return json.loads(json.dumps(self._data))

    def __repr__(self) -> str:
        return (
            f"ReconstructionResult(error={self.error:.4f}, band=[{self.lower:.4f}, {self.upper:.4f}], "
            f"drifted={self.drifted}, n_rows={self.n_rows}, chunks={len(self.chunks)})"
        )


class PCAReconstructionDrift:
    """Multivariate drift by PCA reconstruction error (NannyML's data reconstruction drift).

    Fitting on a reference table imputes missing values with the column means, standardises
    the columns, and fits a PCA keeping the components that explain more than ``variance``
    of the variance (or ``n_components`` of them). The reconstruction error of a table is
    the mean Euclidean distance between its standardised rows and their projection on the
    kept components: it grows when the relationships between the columns change. The
    reference, cut into chunks, gives the band ``mean ± k * std`` of undrifted chunk errors.

    Parameters
    ----------
    variance : float, default 0.65
        Share of variance the kept components explain (NannyML's default), in ``(0, 1)``.
        Ignored when ``n_components`` is given.
    n_components : int, optional
        A fixed number of components, fewer than the number of columns.
    columns : list of str, optional
        Columns to watch (numeric or boolean). Default: every numeric or boolean column of
        the reference.
    chunk_size : int, optional
        Rows per chunk (the leftover rows join the last chunk).
    chunk_number : int, optional
        Number of chunks (sizes differ by at most one row). Default, when neither is
        given: 10 chunks, as NannyML. The same chunking cuts a current table into the
        chunks of :attr:`ReconstructionResult.chunks`.
    k : float, default 3.0
        Half-width of the band in reference standard deviations.

    Attributes
    ----------
    columns_ : list of str
    n_components_ : int
    explained_variance_, explained_variance_ratio_ : ndarray
        Of every principal component, as scikit-learn's ``PCA``.
    components_ : ndarray of shape (n_components_, n_columns)
    reference_chunk_errors_ : ndarray
    reference_mean_, reference_std_, lower_, upper_ : float

    The fitted detector pickles, and :meth:`to_json` / :meth:`from_json` give the text
    form the Rust ``FittedPcaReconstruction`` reads.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ferrops as fo
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=1000)
    >>> reference = pd.DataFrame({"x": x, "y": x + 0.3 * rng.normal(size=1000)})
    >>> detector = fo.drift.PCAReconstructionDrift(chunk_size=100).fit(reference)
    >>> x = rng.normal(size=300)
    >>> detector.evaluate(pd.DataFrame({"x": x, "y": -x + 0.3 * rng.normal(size=300)})).drifted
    True
    """

    def __init__(
        self,
        variance: float = 0.65,
        n_components: int | None = None,
        columns: str | Sequence[str] | None = None,
        chunk_size: int | None = None,
        chunk_number: int | None = None,
        k: float = 3.0,
    ) -> None:
        self.variance = variance
        self.n_components = n_components
        self.columns = columns
        self.chunk_size = chunk_size
        self.chunk_number = chunk_number
        self.k = k

    def _params(self) -> dict[str, Any]:
        size = _optional_int("chunk_size", self.chunk_size)
        number = _optional_int("chunk_number", self.chunk_number)
        if size is not None and number is not None:
            raise InvalidParameterError("invalid parameters `chunk_size` and `chunk_number`: give at most one of them")
        if size is not None:
            chunking: dict[str, int] = {"size": size}
        else:
            chunking = {"number": 10 if number is None else number}
        count = _optional_int("n_components", self.n_components)
        components = {"count": count} if count is not None else {"variance": float(self.variance)}
        for name, value in (("chunk_size", size), ("chunk_number", number), ("n_components", count)):
            if value is not None and value < 0:
                raise InvalidParameterError(f"invalid parameter `{name}` = {value}: must be >= 1")
        return {
            "columns": _columns(self.columns),
            "components": components,
            "chunking": chunking,
            "k": float(self.k),
        }

    def fit(self, reference: Any) -> PCAReconstructionDrift:
        """Fit on the reference table (pandas, polars or pyarrow). Returns self."""
        try:
            params = json.dumps(self._params(), allow_nan=False)
        except ValueError as e:
            raise InvalidParameterError(f"PCAReconstructionDrift: parameters must be finite numbers ({e})") from None
        self._set_fitted(_core.pca_reconstruction_fit(to_arrow(reference), params))
        return self

    def _set_fitted(self, fitted_json: str) -> None:
        self.fitted_json_ = fitted_json
        state = json.loads(fitted_json)
        self.columns_: list[str] = list(state["columns"])
        comps = state["components"]
        self.components_ = np.asarray(comps["data"], dtype=np.float64).reshape(comps["dim"])
        self.n_components_: int = int(self.components_.shape[0])
        self.explained_variance_ = np.asarray(state["explained_variance"], dtype=np.float64)
        self.explained_variance_ratio_ = np.asarray(state["explained_variance_ratio"], dtype=np.float64)
        self.reference_chunk_errors_ = np.asarray(state["reference_chunk_errors"], dtype=np.float64)
        self.reference_error_: float = state["reference_error"]
        self.reference_mean_: float = state["reference_mean"]
        self.reference_std_: float = state["reference_std"]
        self.lower_: float = state["lower"]
        self.upper_: float = state["upper"]

    def _fitted(self) -> str:
        fitted = getattr(self, "fitted_json_", None)
        if fitted is None:
            raise NotFittedError("PCAReconstructionDrift is not fitted yet: call fit first")
        return fitted

    def evaluate(self, current: Any) -> ReconstructionResult:
        """The reconstruction error of ``current`` and of its chunks, against the band."""
        return ReconstructionResult(json.loads(_core.pca_reconstruction_evaluate(self._fitted(), to_arrow(current))))

    def to_json(self) -> str:
        """The fitted detector as JSON (the Rust ``FittedPcaReconstruction``)."""
        return self._fitted()

    @classmethod
    def from_json(cls, text: str) -> PCAReconstructionDrift:
        """A fitted detector from :meth:`to_json` (or a Rust program's serde JSON)."""
        try:
            state = json.loads(text)
            components = state["components"]
            chunking = state["chunking"]
            k = state["k"]
            columns = state["columns"]
        except (ValueError, KeyError, TypeError) as e:
            raise _core.FerropsIOError(f"not a fitted ferrops PcaReconstruction: {e}") from None
        detector = cls(
            n_components=int(components["dim"][0]),
            columns=columns,
            chunk_size=chunking.get("size"),
            chunk_number=chunking.get("number"),
            k=k,
        )
        detector._set_fitted(text)
        return detector

    def __repr__(self) -> str:
        fitted = f", n_components_={self.n_components_}" if hasattr(self, "fitted_json_") else ""
        return (
            f"PCAReconstructionDrift(variance={self.variance}, n_components={self.n_components}, "
            f"chunk_size={self.chunk_size}, chunk_number={self.chunk_number}, k={self.k}{fitted})"
        )


class DomainClassifierResult:
    """What :func:`domain_classifier_drift` finds.

    Attributes
    ----------
    auc : float
        ROC AUC of the out-of-fold probabilities that a row is from ``current``
        (0.5: indistinguishable tables).
    threshold : float
    drifted : bool
        ``auc >= threshold``.
    fold_aucs : list of float
        AUC within each fold.
    null_std : float
        Standard deviation of the AUC of indistinguishable samples of these sizes,
        ``sqrt((n0 + n1 + 1) / (12 n0 n1))``.
    n_reference, n_current : int
        Rows used from each table (after sampling).
    n_reference_total, n_current_total : int
        Rows of each table.
    columns : list of str
        The input columns.
    features : list of str
        The encoded features the classifier saw.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self.auc: float = data["auc"]
        self.threshold: float = data["threshold"]
        self.drifted: bool = data["drifted"]
        self.fold_aucs: list[float] = list(data["fold_aucs"])
        self.null_std: float = data["null_std"]
        self.n_reference: int = data["n_reference"]
        self.n_current: int = data["n_current"]
        self.n_reference_total: int = data["n_reference_total"]
        self.n_current_total: int = data["n_current_total"]
        self.columns: list[str] = list(data["columns"])
        self.features: list[str] = list(data["features"])

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain dict (JSON-ready)."""
        return json.loads(json.dumps(self._data))

    def __repr__(self) -> str:
        return (
            f"DomainClassifierResult(auc={self.auc:.4f}, threshold={self.threshold}, drifted={self.drifted}, "
            f"n_reference={self.n_reference}, n_current={self.n_current})"
        )


def domain_classifier_drift(
    reference: Any,
    current: Any,
    *,
    columns: str | Sequence[str] | None = None,
    classifier: Any = None,
    n_splits: int = 5,
    shuffle: bool = True,
    threshold: float = 0.55,
    max_rows_per_side: int | None = 5000,
    max_imbalance: float | None = 3.0,
    max_categories: int = 20,
    seed: int = 0,
) -> DomainClassifierResult:
    """Multivariate drift by a domain classifier: how well a classifier tells ``reference``
    rows from ``current`` rows, as the cross-validated ROC AUC of its out-of-fold
    probabilities.

    Parameters
    ----------
    reference, current : table
        pandas, polars or pyarrow tables.
    columns : list of str, optional
        Feature columns (numeric, boolean or string), present in both tables. Default:
        every numeric, boolean or string column of ``reference``.
    classifier : ferrops trainer, optional
        A ferrops classifier that gives probabilities, e.g.
        ``ferrops.RandomForestClassifier(n_estimators=50)`` or
        ``ferrops.LogisticRegression()``. Default: ``RandomForestClassifier()`` (100
        trees, seed 0), which also sees changes in the interactions between columns.
    n_splits : int, default 5
        Stratified cross-validation folds.
    shuffle : bool, default True
        Shuffle the fold assignment with ``seed``; ``False`` gives scikit-learn's
        ``StratifiedKFold(n_splits)`` folds.
    threshold : float, default 0.55
        Drifted when ``auc >= threshold`` (Evidently's default for its classifier method).
    max_rows_per_side : int or None, default 5000
        Rows drawn at most from each table.
    max_imbalance : float or None, default 3.0
        The larger table is cut to at most this many times the smaller.
    max_categories : int, default 20
        One-hot columns per string column; rarer categories share one column.
    seed : int, default 0
        Seeds the row sampling and the fold shuffle.

    Returns
    -------
    DomainClassifierResult

    Notes
    -----
    Numeric columns are standardised with the pooled statistics of both tables, missing
    values imputed with the pooled mean and flagged in a ``<column>__missing`` feature;
    string columns are one-hot encoded, null being a category of its own.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ferrops as fo
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"x": rng.normal(size=300)})
    >>> current = pd.DataFrame({"x": rng.normal(loc=2.0, size=300)})
    >>> result = fo.drift.domain_classifier_drift(reference, current, classifier=fo.LogisticRegression())
    >>> result.drifted, result.auc > 0.8
    (True, True)
    """
    params: dict[str, Any] = {
        "columns": _columns(columns),
        "n_splits": _optional_int("n_splits", n_splits),
        "shuffle": bool(shuffle),
        "threshold": float(threshold),
        "max_rows_per_side": _optional_int("max_rows_per_side", max_rows_per_side),
        "max_imbalance": None if max_imbalance is None else float(max_imbalance),
        "max_categories": _optional_int("max_categories", max_categories),
        "seed": _optional_int("seed", seed),
    }
    for name in ("n_splits", "max_categories", "max_rows_per_side", "seed"):
        value = params[name]
        if value is not None and value < 0:
            raise InvalidParameterError(f"invalid parameter `{name}` = {value}: must be >= 0")
    if params["n_splits"] is None or params["max_categories"] is None or params["seed"] is None:
        raise InvalidParameterError("invalid parameter: `n_splits`, `max_categories` and `seed` must be integers")
    if classifier is not None:
        spec = getattr(classifier, "_spec", None)
        if spec is None:
            raise InvalidParameterError(
                f"invalid parameter `classifier` = {classifier!r}: pass a ferrops classifier such as "
                "ferrops.RandomForestClassifier() or ferrops.LogisticRegression()"
            )
        params["classifier"] = spec()
    try:
        text = json.dumps(params, allow_nan=False)
    except ValueError as e:
        raise InvalidParameterError(f"domain_classifier_drift: parameters must be finite numbers ({e})") from None
    return DomainClassifierResult(json.loads(_core.domain_classifier(to_arrow(reference), to_arrow(current), text)))
