"""Feature transforms: fitted once, applied identically in training and serving.

Each acts on the columns its ``columns`` argument selects (a list of names, or
``"numeric"``, ``"string"``, ``"bool"``, ``"temporal"``, ``"all"``; ``None`` is the
transform's default) and passes every other column through, in place.
"""

from __future__ import annotations

from typing import Any

from ._base import Transform


class StandardScaler(Transform):
    """``(x - mean) / std`` per column (population std; constant columns get scale 1), as scikit-learn.

    >>> import ferrops as fo, numpy as np
    >>> fo.StandardScaler().fit_transform(np.array([[1.0], [2.0], [3.0]])).ravel().round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    """

    _tag = "standard_scaler"

    def __init__(self, columns: Any = None, with_mean: bool = True, with_std: bool = True) -> None:
        self.columns = columns
        self.with_mean = with_mean
        self.with_std = with_std
