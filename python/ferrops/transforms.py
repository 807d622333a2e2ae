"""Feature transforms: fitted once, applied identically in training and serving.

Each acts on the columns its ``columns`` argument selects (a list of names, or
``"numeric"``, ``"string"``, ``"bool"``, ``"temporal"``, ``"all"``; ``None`` is the
transform's default) and passes every other column through, in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


class OneHotEncoder(Transform):
    """One 0/1 column per category, named ``<column>_<category>``, as scikit-learn's ``OneHotEncoder``.

    ``handle_unknown``: ``"error"`` (raise ``DataError``), ``"ignore"`` (all zeros) or
    ``"infrequent_if_exist"`` (group rare categories, by ``min_frequency`` — a count, or a
    fraction in (0, 1) — and ``max_categories``, into ``<column>_infrequent_sklearn``).
    ``drop``: ``None``, ``"first"`` or ``"if_binary"``. A missing value is its own category
    ``nan``. Defaults to every string column.

    >>> import ferrops as fo, pandas as pd
    >>> fo.OneHotEncoder().fit(pd.DataFrame({"c": ["a", "b", "a"]})).get_feature_names_out().tolist()
    ['c_a', 'c_b']
    """

    _tag = "one_hot_encoder"
    _default_columns = "all_string"

    def __init__(
        self,
        columns: Any = None,
        handle_unknown: str = "error",
        drop: str | None = None,
        min_frequency: int | float | None = None,
        max_categories: int | None = None,
    ) -> None:
        self.columns = columns
        self.handle_unknown = handle_unknown
        self.drop = drop
        self.min_frequency = min_frequency
        self.max_categories = max_categories


class OrdinalEncoder(Transform):
    """Categories to their index in sorted order, as scikit-learn's ``OrdinalEncoder``.

    ``handle_unknown``: ``"error"`` or ``"use_encoded_value"`` (then ``unknown_value`` is
    used, NaN by default); missing values become ``encoded_missing_value`` (NaN by default).
    Defaults to every string column.
    """

    _tag = "ordinal_encoder"
    _default_columns = "all_string"

    def __init__(
        self,
        columns: Any = None,
        handle_unknown: str = "error",
        unknown_value: float | None = None,
        encoded_missing_value: float | None = None,
    ) -> None:
        self.columns = columns
        self.handle_unknown = handle_unknown
        self.unknown_value = unknown_value
        self.encoded_missing_value = encoded_missing_value


class DatetimeParts(Transform):
    """Calendar parts of timestamp/date columns: ``<column>_year``, ``_month``, ``_day``,
    ``_weekday`` (Monday = 0, as pandas) and ``_hour``, in the column's own timezone.

    ``parts`` selects which; ``drop_original`` removes the timestamp column. Defaults to
    every timestamp/date column.
    """

    _tag = "datetime_parts"
    _default_columns = "all_temporal"

    def __init__(
        self,
        columns: Any = None,
        parts: tuple[str, ...] = ("year", "month", "day", "weekday", "hour"),
        drop_original: bool = True,
    ) -> None:
        self.columns = columns
        self.parts = parts
        self.drop_original = drop_original


class FeatureHasher(Transform):
    """Hash each string column's values into ``n_features`` columns ``<column>_hash_<i>``
    (MurmurHash3, as scikit-learn's ``FeatureHasher(input_type="string")`` on one column).

    Defaults to every string column; ``n_features`` defaults to 32 (each is a dense column).
    """

    _tag = "feature_hasher"
    _default_columns = "all_string"

    def __init__(self, columns: Any = None, n_features: int = 32, alternate_sign: bool = True) -> None:
        self.columns = columns
        self.n_features = n_features
        self.alternate_sign = alternate_sign


class SimpleImputer(Transform):
    """Fill missing values (null and NaN) with the column's ``"mean"``, ``"median"``,
    ``"most_frequent"`` (ties: the smallest) or a ``"constant"`` ``fill_value``, as
    scikit-learn's ``SimpleImputer``. ``add_indicator`` adds ``missingindicator_<column>``
    (0/1) right after each column that had missing values at fit.

    Numeric columns by default; string columns too when selected (``columns="string"``
    or by name), with ``"most_frequent"`` or ``"constant"`` (``fill_value`` a string;
    ``None`` means 0 for numbers and ``"missing_value"`` for strings, as scikit-learn).
    ``statistics_`` holds each column's fill value.

    >>> import ferrops as fo, numpy as np, pandas as pd
    >>> fo.SimpleImputer(strategy="median").fit_transform(np.array([[1.0], [np.nan], [3.0]])).ravel().tolist()
    [1.0, 2.0, 3.0]
    >>> city = pd.DataFrame({"city": ["lyon", None, "nice", "lyon"]})
    >>> fo.SimpleImputer("string", strategy="most_frequent").fit_transform(city).ravel().tolist()
    ['lyon', 'lyon', 'nice', 'lyon']
    """

    _tag = "simple_imputer"

    def __init__(
        self,
        columns: Any = None,
        strategy: str = "mean",
        fill_value: float | str | None = None,
        add_indicator: bool = False,
    ) -> None:
        self.columns = columns
        self.strategy = strategy
        self.fill_value = fill_value
        self.add_indicator = add_indicator

    def _spec(self) -> dict[str, Any]:
        spec = super()._spec()
        fill = spec.pop("fill_value", None)
        if isinstance(fill, str):
            spec["fill_text"] = fill
        elif fill is not None:
            spec["fill_value"] = fill
        return spec

    def fit(self, X: Any, y: Any = None) -> Any:
        """Learn each column's fill value. Returns self."""
        super().fit(X, y)
        texts = getattr(self, "text_", None) or [None] * len(self.statistics_)
        self.statistics_ = np.array(
            [t if t is not None else v for v, t in zip(self.statistics_, texts, strict=True)], dtype=object
        )
        if all(t is None for t in texts):
            self.statistics_ = self.statistics_.astype(np.float64)
        return self


class MinMaxScaler(Transform):
    """Scale each column to ``feature_range`` using the fitted min and max, as scikit-learn;
    ``clip`` clamps transformed values to the range."""

    _tag = "min_max_scaler"

    def __init__(
        self, columns: Any = None, feature_range: tuple[float, float] = (0.0, 1.0), clip: bool = False
    ) -> None:
        self.columns = columns
        self.feature_range = feature_range
        self.clip = clip


class RobustScaler(Transform):
    """Centre on the median and scale by the inter-quantile range (``quantile_range``,
    percentiles), as scikit-learn's ``RobustScaler``."""

    _tag = "robust_scaler"

    def __init__(
        self,
        columns: Any = None,
        with_centering: bool = True,
        with_scaling: bool = True,
        quantile_range: tuple[float, float] = (25.0, 75.0),
    ) -> None:
        self.columns = columns
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range


class MaxAbsScaler(Transform):
    """Divide each column by its maximum absolute value, as scikit-learn's ``MaxAbsScaler``."""

    _tag = "max_abs_scaler"

    def __init__(self, columns: Any = None, clip: bool = False) -> None:
        self.columns = columns
        self.clip = clip


class KBinsDiscretizer(Transform):
    """Replace each value by its bin index (``n_bins`` bins, ``"uniform"`` or ``"quantile"``
    edges), as scikit-learn's ``KBinsDiscretizer(encode="ordinal")``. ``quantile_method``
    is ``"averaged_inverted_cdf"`` (scikit-learn >= 1.7's default) or ``"linear"``.
    The output is the bin index (float); one-hot bins are not available yet."""

    _tag = "kbins_discretizer"

    def __init__(
        self,
        columns: Any = None,
        n_bins: int = 5,
        strategy: str = "quantile",
        quantile_method: str = "averaged_inverted_cdf",
    ) -> None:
        self.columns = columns
        self.n_bins = n_bins
        self.strategy = strategy
        self.quantile_method = quantile_method

    def fit(self, X: Any, y: Any = None) -> Any:
        """Learn the bin edges. ``bin_edges_`` then has scikit-learn's form: one float array
        per column, ``[-inf, inf]`` for a constant column (every value in bin 0)."""
        super().fit(X, y)
        edges = np.empty(len(self.bin_edges_), dtype=object)
        for j, e in enumerate(self.bin_edges_):
            constant = len(e) == 2 and e[0] == e[1]
            edges[j] = np.array([-np.inf, np.inf]) if constant else np.asarray(e, dtype=np.float64)
        self.bin_edges_ = edges
        self.n_bins_ = np.asarray(self.n_bins_)
        return self


class Log1p(Transform):
    """``log(1 + x)``; a value <= -1 raises ``DataError`` naming the column and row."""

    _tag = "log1p"

    def __init__(self, columns: Any = None) -> None:
        self.columns = columns


class PowerTransformer(Transform):
    """Yeo-Johnson power transform with a maximum-likelihood lambda per column, then
    (``standardize``) zero mean and unit variance, as scikit-learn's ``PowerTransformer``."""

    _tag = "power_transformer"

    def __init__(self, columns: Any = None, standardize: bool = True) -> None:
        self.columns = columns
        self.standardize = standardize
