"""Train/test splits and cross-validation folds, following scikit-learn's conventions.

The splitters (``ferrops::validate::split`` in Rust) give the same indices as
scikit-learn's wherever no random numbers are involved: ``KFold``, ``StratifiedKFold``,
``TimeSeriesSplit`` and ``GroupKFold`` without shuffling, and ``train_test_split`` with
``shuffle=False``. Each cross-validator has ``split(X, y=None, groups=None)`` yielding
``(train, test)`` int64 index arrays and ``get_n_splits()``, so it works as ``cv=`` in
scikit-learn (``cross_val_score``, ``GridSearchCV``...).

Shuffling uses ferrops's own generator (SplitMix64), seeded by ``random_state``:
``None`` means seed 0 (so an unseeded shuffle is still reproducible), an int is the seed.
Shuffled folds are therefore *not* scikit-learn's for the same ``random_state``, but they
have the same sizes (and, stratified, the same per-class counts).

Differences from scikit-learn:

- Errors are ferrops exceptions (``InvalidParameterError``, ``DataError``), and where
  scikit-learn only warns (``groups`` given to ``KFold``, a class with fewer rows than
  folds) nothing is said.
- A stratified ``train_test_split`` gives every class at least one row on each side.
- ``TimeSeriesSplit(max_train_size=0)`` is an error (use ``None`` for no limit);
  ``GroupKFold`` has no ``shuffle``.
- ``random_state`` must be ``None`` or a non-negative int (no ``RandomState``).
- ``train_test_split`` takes no ``train_size``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _core
from ._core import DataError, InvalidParameterError
from ._search import GridSearch, RandomSearch, SearchResults, cross_validate
from .metrics import _labels

__all__ = [
    "SCORERS",
    "GridSearch",
    "GroupKFold",
    "KFold",
    "RandomSearch",
    "SearchResults",
    "StratifiedKFold",
    "TimeSeriesSplit",
    "cross_validate",
    "train_test_split",
]

#: The scorer names ``cross_validate``, ``GridSearch`` and ``RandomSearch`` accept:
#: scikit-learn's scoring strings, greater is better (losses negated).
SCORERS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "precision_macro",
    "precision_micro",
    "precision_weighted",
    "recall",
    "recall_macro",
    "recall_micro",
    "recall_weighted",
    "f1",
    "f1_macro",
    "f1_micro",
    "f1_weighted",
    "roc_auc",
    "roc_auc_ovr",
    "roc_auc_ovr_weighted",
    "average_precision",
    "neg_log_loss",
    "neg_brier_score",
    "r2",
    "neg_mean_absolute_error",
    "neg_mean_squared_error",
    "neg_root_mean_squared_error",
    "neg_mean_absolute_percentage_error",
    "neg_median_absolute_error",
)

Fold = tuple[np.ndarray, np.ndarray]

# ---------------------------------------------------------------------------------------
# Input conversion
# ---------------------------------------------------------------------------------------


def _num_samples(x: Any, name: str = "X") -> int:
    """The number of rows of an array, data frame, table, series or sequence."""
    shape = getattr(x, "shape", None)
    if shape is not None and not callable(shape):
        if len(shape) == 0:
            raise DataError(f"`{name}` is a scalar ({x!r}); pass one value or row per sample")
        return int(shape[0])
    try:
        return len(x)
    except TypeError:
        raise DataError(f"`{name}` of type {type(x).__name__} has no length; pass an array-like") from None


def _codes(values: Any, name: str) -> np.ndarray | None:
    """Labels of any type as ``uintp`` codes numbered in ``np.unique`` order, or None."""
    if values is None:
        return None
    labels = _labels(values, name)
    _, codes = np.unique(labels, return_inverse=True)
    return np.ascontiguousarray(codes.reshape(-1), dtype=np.uintp)


def _n_splits(n_splits: Any) -> int:
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral):
        raise InvalidParameterError(
            f"invalid parameter n_splits={n_splits!r}: must be an int, got {type(n_splits).__name__}"
        )
    if n_splits < 2:
        raise InvalidParameterError(
            f"invalid parameter n_splits={n_splits!r}: a cross-validator needs at least one train/test split; "
            "set n_splits to 2 or more"
        )
    return int(n_splits)


def _optional_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InvalidParameterError(f"invalid parameter {name}={value!r}: must be None or a non-negative int")
    return int(value)


def _seed(random_state: Any) -> int:
    """``None`` is seed 0; an int in ``[0, 2**64)`` is the seed."""
    if random_state is None:
        return 0
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise InvalidParameterError(
            f"invalid parameter random_state={random_state!r}: must be None (seed 0) or an int seed; "
            "ferrops shuffles with its own generator, so numpy RandomState/Generator objects are not accepted"
        )
    seed = int(random_state)
    if not 0 <= seed < 2**64:
        raise InvalidParameterError(
            f"invalid parameter random_state={random_state!r}: an int seed must be in [0, 2**64)"
        )
    return seed


def _check_shuffle(shuffle: Any, random_state: Any) -> tuple[bool, int]:
    if not isinstance(shuffle, (bool, np.bool_)):
        raise InvalidParameterError(f"invalid parameter shuffle={shuffle!r}: must be True or False")
    seed = _seed(random_state)
    if not shuffle and random_state is not None:
        raise InvalidParameterError(
            "invalid parameter random_state: setting a random_state has no effect since shuffle is False; "
            "leave random_state to None or set shuffle=True"
        )
    return bool(shuffle), seed


# ---------------------------------------------------------------------------------------
# Cross-validators
# ---------------------------------------------------------------------------------------


class _Splitter:
    n_splits: int
    _params: tuple[str, ...] = ("n_splits",)
    _uses: tuple[str, ...] = ()

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds (the arguments are ignored, as in scikit-learn)."""
        return self.n_splits

    def _folds(self, n_rows: int, y: np.ndarray | None, groups: np.ndarray | None) -> list[Fold]:
        raise NotImplementedError

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Fold]:
        """Yield ``(train, test)`` int64 row-index arrays, one pair per fold.

        ``y`` (class labels) and ``groups`` (group labels) may be of any label type
        (numpy, pandas, polars, pyarrow, lists); a splitter that does not use them only
        checks that they have one value per row.
        """
        n_rows = _num_samples(X)
        folds = self._folds(n_rows, self._encode(y, "y"), self._encode(groups, "groups"))
        yield from folds

    def _encode(self, values: Any, name: str) -> np.ndarray | None:
        """Codes of labels this splitter uses; for others (which may be continuous, such as
        a regression target), placeholder codes of the same length, checked only for it."""
        if values is None or name in self._uses:
            return _codes(values, name)
        return np.zeros(_num_samples(values, name), dtype=np.uintp)

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self._params))
        return f"{type(self).__name__}({params})"


class KFold(_Splitter):
    """K-fold cross-validation: ``n_splits`` consecutive blocks of rows, each the test set once.

    The first ``n_rows % n_splits`` folds have one test row more than the others. Without
    shuffling the folds are scikit-learn's; with ``shuffle=True`` the rows are shuffled
    first by ferrops's generator, seeded by ``random_state`` (``None``: seed 0).

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, at least 2.
    shuffle : bool, default False
        Shuffle the rows before cutting them into blocks.
    random_state : int or None, default None
        Seed of the shuffle; only allowed with ``shuffle=True``. ``None`` is seed 0.

    Examples
    --------
    >>> import numpy as np
    >>> from ferrops.model_selection import KFold
    >>> X = np.arange(14).reshape(7, 2)
    >>> cv = KFold(n_splits=3)
    >>> cv
    KFold(n_splits=3, random_state=None, shuffle=False)
    >>> for train, test in cv.split(X):
    ...     print(train, test)
    [3 4 5 6] [0 1 2]
    [0 1 2 5 6] [3 4]
    [0 1 2 3 4] [5 6]
    """

    _params = ("n_splits", "shuffle", "random_state")

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False, random_state: int | None = None) -> None:
        self.n_splits = _n_splits(n_splits)
        self.shuffle, self._seed = _check_shuffle(shuffle, random_state)
        self.random_state = random_state

    def _folds(self, n_rows: int, y: np.ndarray | None, groups: np.ndarray | None) -> list[Fold]:
        return _core.kfold(n_rows, self.n_splits, self.shuffle, self._seed, y, groups)


class StratifiedKFold(_Splitter):
    """Stratified k-fold: every fold keeps the class proportions of ``y`` as closely as whole rows allow.

    scikit-learn's algorithm (0.22 and later); without shuffling the folds are identical
    to scikit-learn's. With ``shuffle=True`` the fold of each row is shuffled within its
    class (seed ``random_state``, ``None``: 0), keeping the per-class counts of every fold.
    ``y`` is required by ``split``.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, at least 2 and at most the largest class's count.
    shuffle : bool, default False
        Shuffle which rows of each class go to which fold.
    random_state : int or None, default None
        Seed of the shuffle; only allowed with ``shuffle=True``. ``None`` is seed 0.
    """

    _params = ("n_splits", "shuffle", "random_state")
    _uses = ("y",)

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False, random_state: int | None = None) -> None:
        self.n_splits = _n_splits(n_splits)
        self.shuffle, self._seed = _check_shuffle(shuffle, random_state)
        self.random_state = random_state

    def _folds(self, n_rows: int, y: np.ndarray | None, groups: np.ndarray | None) -> list[Fold]:
        return _core.stratified_kfold(n_rows, y, self.n_splits, self.shuffle, self._seed, groups)


class TimeSeriesSplit(_Splitter):
    """Time-series cross-validation with an expanding (or, with ``max_train_size``, sliding) window.

    Rows must be in time order. The last ``n_splits * test_size`` rows are cut into
    ``n_splits`` consecutive test blocks; each fold trains on the rows before its block,
    less the ``gap`` rows just before it, and at most the last ``max_train_size`` of them.
    The folds are scikit-learn's, index for index.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, at least 2.
    max_train_size : int or None, default None
        Most rows in a train set; ``None`` for no limit (0 is an error).
    test_size : int or None, default None
        Rows in each test set; ``None`` for ``n_rows // (n_splits + 1)``.
    gap : int, default 0
        Rows left out between each train set and its test set.
    """

    _params = ("n_splits", "max_train_size", "test_size", "gap")

    def __init__(
        self, n_splits: int = 5, *, max_train_size: int | None = None, test_size: int | None = None, gap: int = 0
    ) -> None:
        self.n_splits = _n_splits(n_splits)
        self.max_train_size = _optional_count(max_train_size, "max_train_size")
        self.test_size = _optional_count(test_size, "test_size")
        gap_count = _optional_count(gap, "gap")
        if gap_count is None:
            raise InvalidParameterError("invalid parameter gap=None: must be a non-negative int")
        self.gap = gap_count

    def _folds(self, n_rows: int, y: np.ndarray | None, groups: np.ndarray | None) -> list[Fold]:
        return _core.time_series_split(n_rows, self.n_splits, self.max_train_size, self.test_size, self.gap, y, groups)


class GroupKFold(_Splitter):
    """K-fold that keeps each group in one fold: no group is in both train and test.

    Groups are placed largest first in the fold with the fewest rows so far, as in
    scikit-learn 1.9 (``shuffle=False``, the only mode here); the folds are identical to
    scikit-learn's. ``groups`` is required by ``split``.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds, at least 2 and at most the number of distinct groups.
    """

    _uses = ("groups",)

    def __init__(self, n_splits: int = 5) -> None:
        self.n_splits = _n_splits(n_splits)

    def _folds(self, n_rows: int, y: np.ndarray | None, groups: np.ndarray | None) -> list[Fold]:
        return _core.group_kfold(n_rows, groups, self.n_splits, y)


# ---------------------------------------------------------------------------------------
# train_test_split
# ---------------------------------------------------------------------------------------


def _test_size(test_size: Any) -> int | float:
    if test_size is None:
        return 0.25
    if isinstance(test_size, (bool, np.bool_)):
        raise InvalidParameterError(f"invalid parameter test_size={test_size!r}: must be a float or an int")
    if isinstance(test_size, numbers.Integral):
        return int(test_size)
    if isinstance(test_size, numbers.Real):
        return float(test_size)
    raise InvalidParameterError(
        f"invalid parameter test_size={test_size!r}: must be a float fraction in (0, 1) or an int number of rows"
    )


def _take(array: Any, rows: np.ndarray) -> Any:
    """The rows ``rows`` of a numpy array, pandas, polars or pyarrow object, or sequence."""
    if hasattr(array, "iloc"):  # pandas DataFrame / Series
        return array.iloc[rows]
    module = type(array).__module__
    if module.startswith("polars"):
        if hasattr(array, "gather"):  # polars Series
            return array.gather(rows)
        return array[rows]  # polars DataFrame
    if module.startswith("pyarrow"):
        return array.take(rows)
    if isinstance(array, np.ndarray) or hasattr(array, "__array__") and hasattr(array, "shape"):
        return array[rows]
    if isinstance(array, (list, tuple)):
        return [array[i] for i in rows]
    return np.asarray(array)[rows]


def train_test_split(
    *arrays: Any,
    test_size: float | int | None = None,
    random_state: int | None = None,
    shuffle: bool = True,
    stratify: Any = None,
) -> list[Any]:
    """Split arrays into random train and test subsets, as scikit-learn's ``train_test_split``.

    Parameters
    ----------
    *arrays : numpy arrays, lists, pandas DataFrame/Series, polars DataFrame/Series, pyarrow Table/Array
        Sequences with the same number of rows; each is indexed by row in its own type.
    test_size : float, int or None, default None
        A float in (0, 1) is the fraction of rows in the test set (rounded up), an int the
        number of test rows; ``None`` is 0.25.
    random_state : int or None, default None
        Seed of the shuffle (ferrops's generator, not numpy's); ``None`` is seed 0.
    shuffle : bool, default True
        Draw the test rows at random; otherwise the last rows are the test set.
    stratify : array-like of labels or None, default None
        Class labels to keep the proportions of in both sets (needs ``shuffle=True``).
        Every class gets at least one row on each side.

    Returns
    -------
    list
        ``[a_train, a_test, b_train, b_test, ...]``.

    Examples
    --------
    >>> import numpy as np
    >>> from ferrops.model_selection import train_test_split
    >>> X, y = np.arange(20).reshape(10, 2), np.arange(10)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, shuffle=False)
    >>> y_test
    array([7, 8, 9])
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=42)
    >>> len(y_train), len(y_test)
    (7, 3)
    >>> bool((X_test[:, 0] == 2 * y_test).all())
    True
    """
    if not arrays:
        raise InvalidParameterError("train_test_split needs at least one array to split")
    n_rows = _num_samples(arrays[0], "arrays[0]")
    for i, array in enumerate(arrays[1:], start=1):
        n = _num_samples(array, f"arrays[{i}]")
        if n != n_rows:
            raise DataError(
                f"train_test_split: arrays[{i}] has {n} rows but arrays[0] has {n_rows}; "
                "pass arrays with the same number of rows"
            )
    size = _test_size(test_size)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise InvalidParameterError(f"invalid parameter shuffle={shuffle!r}: must be True or False")
    seed = _seed(random_state)
    train, test = _core.train_test_split(n_rows, size, bool(shuffle), seed, _codes(stratify, "stratify"))
    out: list[Any] = []
    for array in arrays:
        out.append(_take(array, train))
        out.append(_take(array, test))
    return out
