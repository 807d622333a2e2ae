"""``KMeans``: k-means clustering as a feature transform (cluster id and distances)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._base import Transform, _is_array
from ._io import to_arrow

_INITS = {"k-means++": "k_means_plus_plus", "random": "random"}


class KMeans(Transform):
    """k-means clustering (Lloyd), as scikit-learn's ``KMeans``, used as a feature transform.

    The selected numeric columns are replaced, at the place of the first of them, by an
    integer cluster id column (``output``) and, with ``distances=True``, by the Euclidean
    distance to every centroid (``<output>_distance_<j>``, scikit-learn's ``transform``).
    Other columns pass through. Rows with a missing value in a selected column are left
    out of the fit and get missing outputs.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of clusters.
    columns : list of str, "numeric" or None, default None
        The columns clustered on (default: every numeric column).
    init : {"k-means++", "random"}, default "k-means++"
        Initial centroids: greedy k-means++ (as scikit-learn) or random distinct rows.
    n_init : int, default 1
        Runs from different initialisations; the lowest inertia wins (scikit-learn's
        ``"auto"`` for k-means++).
    max_iter : int, default 300
        Lloyd iterations per run.
    tol : float, default 1e-4
        Stop when the squared centroid shift is at most ``tol`` times the mean column variance.
    seed : int, default 0
        Seed of the random generator: the same seed gives the same clustering (not the same
        random stream as scikit-learn's ``random_state``).
    output : str, default "cluster"
        Name of the cluster id column.
    distances : bool, default False
        Also output the distances to every centroid.

    Fitted attributes: ``cluster_centers_`` (``(n_clusters, columns)``), ``inertia_``,
    ``n_iter_``, ``columns_``.

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.2], [5.0, 5.0], [5.1, 4.9]])
    >>> km = fo.KMeans(n_clusters=2).fit(X)
    >>> labels = km.predict(X).tolist()
    >>> labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    True
    """

    _tag = "kmeans"
    cluster_centers_: np.ndarray

    def __init__(
        self,
        n_clusters: int = 8,
        columns: Any = None,
        init: str = "k-means++",
        n_init: int = 1,
        max_iter: int = 300,
        tol: float = 1e-4,
        seed: int = 0,
        output: str = "cluster",
        distances: bool = False,
    ) -> None:
        self.n_clusters = n_clusters
        self.columns = columns
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed
        self.output = output
        self.distances = distances

    def _spec(self) -> dict[str, Any]:
        spec = super()._spec()
        if self.init not in _INITS:
            raise _core.InvalidParameterError(
                f"invalid parameter `init` = {self.init!r}: choose 'k-means++' or 'random'"
            )
        spec["init"] = _INITS[self.init]
        return spec

    def fit(self, X: Any, y: Any = None) -> KMeans:
        """Cluster the rows of ``X``. Returns self."""
        super().fit(X, y)
        self.cluster_centers_ = np.asarray(self.__dict__["cluster_centers_"], dtype=np.float64)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The cluster id of each row (``-1`` for a row with a missing value in a clustered column)."""
        fitted = self._check_fitted()
        batch = fitted.transform(to_arrow(X, self.feature_names_in_ if _is_array(X) else None))
        ids = batch.column(batch.schema.get_field_index(self.output_))
        return ids.fill_null(-1).to_numpy().astype(np.int64)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).predict(X)``."""
        return self.fit(X).predict(X)
