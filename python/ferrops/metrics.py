"""Evaluation metrics with scikit-learn's names, arguments and values, computed in Rust.

Each function takes what the scikit-learn function of the same name takes, for
single-output targets: labels of any type (``str``, ``int``, ``bool``, ``float`` holding
whole numbers) in a list, a numpy array, a pandas or polars Series or a pyarrow array,
and returns the value scikit-learn returns on the same input (within a few units of
rounding). As in scikit-learn, classes are the sorted union of the labels
(``np.unique``), so the columns of a probability matrix follow that order.

Where scikit-learn warns and returns a number (often NaN or 0.0) for a metric that is
undefined on the input, these raise a ferrops exception instead, since a model gate
would not notice a warning:

- ``roc_auc_score`` when ``y_true`` (or, one-vs-rest, a class) has a single class, and
  ``average_precision_score`` without a positive sample: ``DataError``;
- ``r2_score`` with fewer than two samples: ``DataError``;
- ``log_loss`` and ``roc_auc_score(multi_class="ovr")`` with probability rows that do not
  sum to 1 within ``1e-8 + 1e-5 * sum``: ``DataError``;
- negative sample weights, or weights that are all zero: ``DataError``;
- ``confusion_matrix(labels=...)`` with a label of ``y_true`` or ``y_pred`` that is not in
  ``labels`` (scikit-learn drops those samples silently): ``DataError``;
- a ``pos_label`` that is not one of the two classes present (``brier_score_loss``
  included, where scikit-learn counts every sample as negative), and ``labels`` that
  are not sorted as ``np.unique`` sorts them (``log_loss``; scikit-learn warns and uses
  the sorted order): ``InvalidParameterError``.

Undefined precision, recall or F1 (a zero denominator) is 0.0, as with scikit-learn's
default ``zero_division="warn"``, minus the warning. Not supported: multilabel and
multioutput targets, ``average=None`` and ``average="samples"``,
``multi_class="ovo"``, and options such as ``normalize``, ``zero_division`` or
``multioutput``.

>>> import ferrops as fo
>>> fo.metrics.accuracy_score(["cat", "dog", "dog"], ["cat", "dog", "cat"])
0.6666666666666666
>>> fo.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import DataError, InvalidParameterError

__all__ = [
    "accuracy_score",
    "average_precision_score",
    "balanced_accuracy_score",
    "brier_score_loss",
    "calibration_curve",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "median_absolute_error",
    "precision_score",
    "r2_score",
    "recall_score",
    "roc_auc_score",
    "root_mean_squared_error",
]

_AVERAGES = ("binary", "micro", "macro", "weighted")
_MULTICLASS_AVERAGES = ("macro", "weighted", "micro")

# ---------------------------------------------------------------------------------------
# Input conversion
# ---------------------------------------------------------------------------------------


def _array(values: Any, name: str, *, matrix: bool = False) -> np.ndarray:
    """A numpy array of a list, numpy array, pandas/polars Series or pyarrow array.

    Column vectors ``(n, 1)`` become 1-D. With ``matrix``, a 2-D array is kept.
    """
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as e:
        raise DataError(f"`{name}` cannot be read as an array: {e}") from None
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 1 or (matrix and array.ndim == 2):
        return array
    shapes = "1-D (n_samples,) or 2-D (n_samples, n_classes)" if matrix else "1-D (n_samples,)"
    raise DataError(
        f"`{name}` must be {shapes}, got shape {array.shape}; multilabel and multioutput targets are not supported"
    )


def _floats(values: Any, name: str, *, matrix: bool = False) -> np.ndarray:
    """A C-contiguous float64 array (NaN and infinity are left for Rust to report)."""
    array = _array(values, name, matrix=matrix)
    try:
        return np.ascontiguousarray(array, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise DataError(f"`{name}` must hold numbers: {e}") from None


def _weights(sample_weight: Any) -> np.ndarray | None:
    return None if sample_weight is None else _floats(sample_weight, "sample_weight")


def _from_objects(array: np.ndarray, name: str) -> np.ndarray:
    """Labels held in an object array (pandas, polars and pyarrow strings, nullable
    integers): all strings, or all numbers, with no missing value."""
    values = array.tolist()
    types = set(map(type, values))
    if all(issubclass(t, str) for t in types):
        return array.astype(str)
    missing = sorted(t.__name__ for t in types if t is type(None) or t.__name__ in ("NAType", "NaTType"))
    if missing:
        raise DataError(f"`{name}` has missing labels ({', '.join(missing)}); drop those samples or fill them first")
    numbers = (bool, int, float, np.bool_, np.integer, np.floating)
    if all(issubclass(t, numbers) for t in types):
        return np.asarray(values)
    if any(issubclass(t, str) for t in types):
        raise DataError(f"`{name}` mixes strings and other values; use labels of one type")
    names = sorted(t.__name__ for t in types if not issubclass(t, (str, *numbers)))
    raise DataError(f"`{name}` holds labels of type {', '.join(names)}; use str, int, bool or whole floats")


def _labels(values: Any, name: str) -> np.ndarray:
    """Class labels as a 1-D numpy array of strings, booleans, integers or whole floats."""
    array = _array(values, name)
    if array.dtype.kind == "O":
        array = _from_objects(array, name)
    kind = array.dtype.kind
    if kind == "S":
        return array.astype(str)
    if kind in "Ubiu":
        return array
    if kind == "f":
        if not np.isfinite(array).all():
            raise DataError(
                f"`{name}` has a NaN or infinite label (a missing value?); drop those samples or fill them first"
            )
        if (array != np.floor(array)).any():
            raise DataError(
                f"`{name}` holds non-integer floats: it looks like continuous values, not class labels; "
                "pass the predicted classes (or use a regression metric)"
            )
        return array
    raise DataError(f"`{name}` has dtype {array.dtype}; use class labels of type str, int, bool or whole floats")


def _is_text(array: np.ndarray) -> bool:
    return array.dtype.kind == "U"


def _check_same_kind(first: np.ndarray, first_name: str, second: np.ndarray, second_name: str) -> None:
    if _is_text(first) != _is_text(second):
        text, number = (first_name, second_name) if _is_text(first) else (second_name, first_name)
        raise DataError(f"`{text}` holds strings and `{number}` numbers; labels must be all strings or all numbers")


def _encode_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classes (sorted union of the labels) and the class codes of both inputs."""
    true_labels, pred_labels = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    _check_same_kind(true_labels, "y_true", pred_labels, "y_pred")
    classes, codes = np.unique(np.concatenate([true_labels, pred_labels]), return_inverse=True)
    codes = codes.astype(np.uintp)
    return classes, codes[: len(true_labels)], codes[len(true_labels) :]


def _declared_labels(labels: Any, *, sorted_like_unique: bool) -> np.ndarray:
    """The ``labels`` argument: non-empty and unique, and sorted if asked."""
    try:
        declared = _labels(labels, "labels")
    except DataError as e:
        raise InvalidParameterError(str(e)) from None
    if len(declared) == 0:
        raise InvalidParameterError("`labels` is empty; list at least one class")
    unique = np.unique(declared)
    if len(unique) != len(declared):
        raise InvalidParameterError(f"`labels` must not repeat a class, got {declared.tolist()}")
    if sorted_like_unique and not np.array_equal(unique, declared):
        raise InvalidParameterError(
            f"`labels` must be sorted as np.unique sorts them ({unique.tolist()}), the order of the columns "
            f"of the probabilities, got {declared.tolist()}"
        )
    return declared


def _codes_in(values: np.ndarray, name: str, declared: np.ndarray) -> np.ndarray:
    """The position of each value of ``values`` in ``declared``; a value not declared is a DataError."""
    _check_same_kind(values, name, declared, "labels")
    order = np.argsort(declared, kind="stable")
    ordered = declared[order]
    positions = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    found = ordered[positions] == values
    if not found.all():
        unknown = np.unique(values[~found]).tolist()
        shown = unknown[:10] + (["..."] if len(unknown) > 10 else [])
        raise DataError(f"`{name}` holds labels that are not in `labels`: {shown}; add them to `labels`")
    return order[positions].astype(np.uintp)


def _check_not_empty(metric: str, labels: np.ndarray) -> None:
    if len(labels) == 0:
        raise DataError(f"{metric}: `y_true` has no values; pass at least one sample")


def _label_code(classes: np.ndarray, label: Any) -> int | None:
    """The index of ``label`` among ``classes`` (Python equality, as ``in`` on an array)."""
    for code, value in enumerate(classes.tolist()):
        if value == label:
            return code
    return None


def _positive_code(metric: str, classes: np.ndarray, pos_label: Any) -> int:
    """The code of ``pos_label``; when it is absent from fewer than two classes, a code
    that no sample has (every sample is negative)."""
    code = _label_code(classes, pos_label)
    if code is not None:
        return code
    if len(classes) >= 2:
        raise InvalidParameterError(
            f"{metric}: pos_label={pos_label!r} is not a valid label; it should be one of {classes.tolist()}"
        )
    return len(classes)


def _binary_classes(metric: str, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes and codes of a target that must have at most two classes."""
    classes, codes = np.unique(labels, return_inverse=True)
    if len(classes) > 2:
        raise DataError(f"{metric} needs a binary target, but `y_true` has {len(classes)} classes {_show(classes)}")
    return classes, codes


def _inferred_pos_label(metric: str, labels: np.ndarray, classes: np.ndarray, *, greatest: bool) -> Any:
    """scikit-learn's ``pos_label=None``: 1 for targets in {0, 1} or {-1, 1}; otherwise
    (``greatest``, numbers only) the greatest class, or an error asking for pos_label."""
    present = set(classes.tolist())
    if not _is_text(labels) and (present <= {0, 1} or present <= {-1, 1}):
        return 1
    if greatest and not _is_text(labels):
        return classes[-1]
    raise InvalidParameterError(
        f"{metric}: y_true takes values in {_show(classes)} and pos_label is not specified; "
        "make y_true take values in {0, 1} or {-1, 1}, or pass pos_label"
    )


def _show(values: np.ndarray) -> str:
    listed = values.tolist()
    return str(listed[:10])[:-1] + ", ...]" if len(listed) > 10 else str(listed)


def _check_average(metric: str, average: Any, allowed: tuple[str, ...]) -> str:
    if isinstance(average, str) and average in allowed:
        return average
    options = ", ".join(repr(a) for a in allowed)
    if average is None:
        raise InvalidParameterError(
            f"{metric}: average=None (one score per class) is not supported; use one of {options}"
        )
    if average == "samples":
        raise InvalidParameterError(
            f"{metric}: average='samples' is for multilabel targets, which ferrops does not support; "
            f"use one of {options}"
        )
    raise InvalidParameterError(f"{metric}: average={average!r} is not supported; use one of {options}")


# ---------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------


def accuracy_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Fraction of samples whose predicted label equals the true label
    (``sklearn.metrics.accuracy_score``); with ``sample_weight``, the weighted fraction.

    >>> from ferrops.metrics import accuracy_score
    >>> accuracy_score([0, 1, 2, 1], [0, 1, 1, 1])
    0.75
    >>> accuracy_score(["a", "b", "c", "b"], ["a", "b", "b", "b"], sample_weight=[1, 1, 2, 0])
    0.5
    """
    _, true_codes, pred_codes = _encode_pair(y_true, y_pred)
    return _core.accuracy(true_codes, pred_codes, _weights(sample_weight))


def balanced_accuracy_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Mean of the per-class recalls over the classes of ``y_true``
    (``sklearn.metrics.balanced_accuracy_score`` with ``adjusted=False``).

    Classes that occur only in ``y_pred`` are left out, as scikit-learn leaves them out.

    >>> from ferrops.metrics import balanced_accuracy_score
    >>> balanced_accuracy_score(["a", "a", "a", "b"], ["a", "a", "b", "b"])
    0.8333333333333333
    """
    _, true_codes, pred_codes = _encode_pair(y_true, y_pred)
    return _core.balanced_accuracy(true_codes, pred_codes, _weights(sample_weight))


def _set_wise(
    metric: str, function: Any, y_true: Any, y_pred: Any, average: Any, pos_label: Any, sample_weight: Any
) -> float:
    average = _check_average(metric, average, _AVERAGES)
    classes, true_codes, pred_codes = _encode_pair(y_true, y_pred)
    pos_code = 0
    if average == "binary":
        if len(classes) > 2:
            raise InvalidParameterError(
                f"{metric}: the target is multiclass ({len(classes)} classes {_show(classes)}) but "
                "average='binary'; use average='macro', 'micro' or 'weighted'"
            )
        pos_code = _positive_code(metric, classes, pos_label)
    return function(true_codes, pred_codes, average, pos_code, _weights(sample_weight))


def precision_score(
    y_true: Any, y_pred: Any, *, average: str = "binary", pos_label: Any = 1, sample_weight: Any = None
) -> float:
    """Precision, ``tp / (tp + fp)`` (``sklearn.metrics.precision_score``).

    Parameters
    ----------
    y_true, y_pred : array-like of labels
        True and predicted classes.
    average : {"binary", "macro", "micro", "weighted"}, default "binary"
        ``"binary"``: the precision of class ``pos_label`` (the target must have at most
        two classes). ``"macro"``: the unweighted mean over the classes present in
        ``y_true`` or ``y_pred``; ``"weighted"``: the mean weighted by support;
        ``"micro"``: from the pooled counts.
    pos_label : label, default 1
        The positive class for ``average="binary"``; ignored otherwise.
    sample_weight : array-like of float, optional

    A class never predicted has precision 0.0 (scikit-learn's ``zero_division="warn"``
    without the warning).

    >>> from ferrops.metrics import precision_score
    >>> precision_score(["no", "yes", "yes", "no"], ["no", "yes", "no", "yes"], pos_label="yes")
    0.5
    >>> round(precision_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average="macro"), 6)
    0.222222
    """
    return _set_wise("precision_score", _core.precision, y_true, y_pred, average, pos_label, sample_weight)


def recall_score(
    y_true: Any, y_pred: Any, *, average: str = "binary", pos_label: Any = 1, sample_weight: Any = None
) -> float:
    """Recall, ``tp / (tp + fn)`` (``sklearn.metrics.recall_score``); arguments as
    :func:`precision_score`. A class absent from ``y_true`` has recall 0.0.

    >>> from ferrops.metrics import recall_score
    >>> recall_score([1, 1, 1, 0], [1, 0, 1, 0])
    0.6666666666666666
    """
    return _set_wise("recall_score", _core.recall, y_true, y_pred, average, pos_label, sample_weight)


def f1_score(
    y_true: Any, y_pred: Any, *, average: str = "binary", pos_label: Any = 1, sample_weight: Any = None
) -> float:
    """F1, ``2 tp / (2 tp + fp + fn)`` (``sklearn.metrics.f1_score``); arguments as
    :func:`precision_score`.

    >>> from ferrops.metrics import f1_score
    >>> f1_score([1, 1, 1, 0], [1, 0, 1, 1])
    0.6666666666666666
    """
    return _set_wise("f1_score", _core.f1, y_true, y_pred, average, pos_label, sample_weight)


def confusion_matrix(y_true: Any, y_pred: Any, *, labels: Any = None, sample_weight: Any = None) -> np.ndarray:
    """The confusion matrix: entry ``[i, j]`` counts the samples of true class ``i``
    predicted as class ``j`` (``sklearn.metrics.confusion_matrix``).

    Rows and columns follow ``labels`` if given, else the sorted union of the labels of
    ``y_true`` and ``y_pred``. ``int64`` counts, or ``float64`` sums of ``sample_weight``
    (``int64`` for integer weights), as in scikit-learn. A label of ``y_true`` or
    ``y_pred`` that is not in ``labels`` is a ``DataError`` (scikit-learn drops such
    samples silently).

    >>> from ferrops.metrics import confusion_matrix
    >>> confusion_matrix(["cat", "dog", "dog", "cat"], ["cat", "dog", "cat", "cat"]).tolist()
    [[2, 0], [1, 1]]
    >>> confusion_matrix([0, 1], [0, 0], labels=[1, 0]).tolist()
    [[0, 1], [0, 1]]
    """
    if labels is None:
        classes, true_codes, pred_codes = _encode_pair(y_true, y_pred)
        n_classes = len(classes)
    else:
        declared = _declared_labels(labels, sorted_like_unique=False)
        true_codes = _codes_in(_labels(y_true, "y_true"), "y_true", declared)
        pred_codes = _codes_in(_labels(y_pred, "y_pred"), "y_pred", declared)
        n_classes = len(declared)
    if sample_weight is None:
        return _core.confusion_matrix(true_codes, pred_codes, n_classes).astype(np.int64)
    raw_kind = np.asarray(sample_weight).dtype.kind
    matrix = _core.confusion_matrix_weighted(true_codes, pred_codes, n_classes, _floats(sample_weight, "sample_weight"))
    return matrix.astype(np.int64) if raw_kind in "iub" else matrix


# ---------------------------------------------------------------------------------------
# Scores and probabilities
# ---------------------------------------------------------------------------------------


def roc_auc_score(
    y_true: Any,
    y_score: Any,
    *,
    average: str = "macro",
    multi_class: str = "raise",
    labels: Any = None,
    sample_weight: Any = None,
) -> float:
    """Area under the ROC curve (``sklearn.metrics.roc_auc_score``).

    Parameters
    ----------
    y_true : array-like of labels
        Binary: the greater class (``np.unique`` order) is the positive one.
        Multiclass: any number of classes.
    y_score : array-like of float
        Binary: 1-D scores of the positive class (probabilities or decision values).
        Multiclass: probabilities of shape ``(n_samples, n_classes)``, columns in the
        order of ``labels`` or of ``np.unique(y_true)``, rows summing to 1.
    average : {"macro", "weighted", "micro"}, default "macro"
        How the one-vs-rest AUCs combine; ignored for a binary target.
    multi_class : {"raise", "ovr"}, default "raise"
        ``"ovr"`` (one-vs-rest) is required for 2-D ``y_score``; ``"ovo"`` is not supported.
    labels : array-like, optional
        Multiclass only: the class of each column of ``y_score``, sorted.
    sample_weight : array-like of float, optional

    Tied scores form one threshold (they count half), as in scikit-learn. A target with
    a single class (or, one-vs-rest, a class that never occurs) is a ``DataError``:
    scikit-learn warns and returns NaN.

    >>> from ferrops.metrics import roc_auc_score
    >>> roc_auc_score(["no", "no", "yes", "yes"], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> proba = [[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6]]
    >>> roc_auc_score(["a", "b", "c", "a", "b"], proba, multi_class="ovr")
    0.8888888888888888
    """
    metric = "roc_auc_score"
    average = _check_average(metric, average, _MULTICLASS_AVERAGES)
    if multi_class not in ("raise", "ovr"):
        raise InvalidParameterError(
            f"{metric}: multi_class={multi_class!r} is not supported; use 'ovr' (one-vs-rest) "
            "for a multiclass target, or 'raise' (the default) for a binary one"
        )
    scores = _floats(y_score, "y_score", matrix=True)
    true_labels = _labels(y_true, "y_true")
    weights = _weights(sample_weight)
    if scores.ndim == 1:
        classes, inverse = np.unique(true_labels, return_inverse=True)
        if len(classes) > 2:
            raise DataError(
                f"{metric}: y_true has {len(classes)} classes {_show(classes)}; for a multiclass target pass "
                "y_score as probabilities of shape (n_samples, n_classes) with multi_class='ovr'"
            )
        if len(classes) == 1:
            raise DataError(
                f"{metric}: y_true holds only one class ({classes[0]!r}), so ROC AUC is undefined "
                "(scikit-learn warns and returns NaN); evaluate on data holding both classes"
            )
        return _core.roc_auc(inverse == 1, scores, weights)
    if multi_class == "raise":
        raise InvalidParameterError(
            f"{metric}: y_score is 2-D (one column per class); pass multi_class='ovr' for the "
            "one-vs-rest AUC, or the 1-D scores of the positive class for a binary target"
        )
    _check_not_empty(metric, true_labels)
    n_columns = scores.shape[1]
    if labels is None:
        classes, inverse = np.unique(true_labels, return_inverse=True)
        if len(classes) != n_columns:
            raise DataError(
                f"{metric}: y_true has {len(classes)} classes {_show(classes)} but y_score has {n_columns} "
                "columns; pass labels= with the class of each column"
            )
        codes = inverse.astype(np.uintp)
    else:
        declared = _declared_labels(labels, sorted_like_unique=True)
        if len(declared) != n_columns:
            raise InvalidParameterError(
                f"{metric}: `labels` has {len(declared)} classes but y_score has {n_columns} columns"
            )
        codes = _codes_in(true_labels, "y_true", declared)
    return _core.roc_auc_ovr(codes, scores, average, weights)


def average_precision_score(y_true: Any, y_score: Any, *, pos_label: Any = 1, sample_weight: Any = None) -> float:
    """Average precision of a binary target, ``sum_n (R_n - R_{n-1}) P_n`` over the
    thresholds (``sklearn.metrics.average_precision_score``; not the trapezoidal area).

    ``y_score`` is 1-D: the scores of class ``pos_label``. No positive sample is a
    ``DataError`` (scikit-learn warns and returns 0.0).

    >>> from ferrops.metrics import average_precision_score
    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 6)
    0.833333
    """
    metric = "average_precision_score"
    scores = _floats(y_score, "y_score")
    true_labels = _labels(y_true, "y_true")
    classes, codes = _binary_classes(metric, true_labels)
    positive = codes == _positive_code(metric, classes, pos_label)
    return _core.average_precision(positive, scores, _weights(sample_weight))


def log_loss(y_true: Any, y_pred: Any, *, labels: Any = None, sample_weight: Any = None) -> float:
    """Mean negative log-likelihood of the true classes (``sklearn.metrics.log_loss``).

    ``y_pred`` holds probabilities: ``(n_samples, n_classes)`` with columns in the order
    of ``labels`` (which must then be sorted) or of ``np.unique(y_true)``, or, for a
    binary target, 1-D probabilities of the greater class. Probabilities are clipped to
    ``[eps, 1 - eps]`` and rows are not renormalised; a row that does not sum to 1
    within ``1e-8 + 1e-5 * sum`` is a ``DataError`` (scikit-learn warns).

    >>> from ferrops.metrics import log_loss
    >>> round(log_loss(["spam", "ham", "ham", "spam"], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]), 6)
    0.216162
    """
    metric = "log_loss"
    proba = _floats(y_pred, "y_pred", matrix=True)
    if proba.ndim == 1:
        proba = np.ascontiguousarray(np.stack([1 - proba, proba], axis=1))
    true_labels = _labels(y_true, "y_true")
    _check_not_empty(metric, true_labels)
    if labels is None:
        classes, inverse = np.unique(true_labels, return_inverse=True)
        if len(classes) == 1:
            raise DataError(f"{metric}: y_true holds only one class ({classes[0]!r}); pass every class through labels=")
        if len(classes) != proba.shape[1]:
            raise DataError(
                f"{metric}: y_true has {len(classes)} classes {_show(classes)} but y_pred has {proba.shape[1]} "
                "columns; pass every class through labels="
            )
        codes = inverse.astype(np.uintp)
    else:
        declared = _declared_labels(labels, sorted_like_unique=True)
        if len(declared) < 2:
            raise InvalidParameterError(f"{metric}: `labels` needs at least two classes, got {declared.tolist()}")
        if len(declared) != proba.shape[1]:
            raise InvalidParameterError(
                f"{metric}: `labels` has {len(declared)} classes but y_pred has {proba.shape[1]} columns"
            )
        codes = _codes_in(true_labels, "y_true", declared)
    return _core.log_loss(codes, proba, _weights(sample_weight))


def _binary_target(metric: str, y_true: Any, pos_label: Any, *, greatest: bool) -> np.ndarray:
    """``y_true == pos_label`` for a binary target, ``pos_label=None`` inferred as scikit-learn does."""
    true_labels = _labels(y_true, "y_true")
    classes, codes = _binary_classes(metric, true_labels)
    if pos_label is None:
        pos_label = _inferred_pos_label(metric, true_labels, classes, greatest=greatest)
    return codes == _positive_code(metric, classes, pos_label)


def brier_score_loss(y_true: Any, y_proba: Any, *, pos_label: Any = None, sample_weight: Any = None) -> float:
    """Mean squared difference between the predicted probability of the positive class
    and the outcome (``sklearn.metrics.brier_score_loss`` on a binary target).

    ``pos_label=None`` means 1 for targets in {0, 1} or {-1, 1}, otherwise the greatest
    class of a numeric target; string targets need ``pos_label``.

    >>> from ferrops.metrics import brier_score_loss
    >>> round(brier_score_loss(["no", "yes", "yes", "no"], [0.1, 0.9, 0.8, 0.3], pos_label="yes"), 6)
    0.0375
    """
    metric = "brier_score_loss"
    proba = _floats(y_proba, "y_proba")
    positive = _binary_target(metric, y_true, pos_label, greatest=True)
    return _core.brier_score(positive, proba, _weights(sample_weight))


def calibration_curve(
    y_true: Any, y_prob: Any, *, pos_label: Any = None, n_bins: int = 5, strategy: str = "uniform"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The reliability diagram of a binary classifier
    (``sklearn.calibration.calibration_curve``).

    Returns ``(prob_true, prob_pred)``: for each non-empty bin of predicted probability,
    the fraction of positives and the mean predicted probability, bins in increasing
    order. ``strategy="uniform"`` makes ``n_bins`` bins of equal width on [0, 1];
    ``"quantile"`` puts the edges at quantiles of ``y_prob``. ``pos_label=None`` means 1
    for targets in {0, 1} or {-1, 1}.

    >>> from ferrops.metrics import calibration_curve
    >>> prob_true, prob_pred = calibration_curve([0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9], n_bins=2)
    >>> prob_true.round(4).tolist(), prob_pred.round(4).tolist()
    ([0.3333, 1.0], [0.2, 0.85])
    """
    metric = "calibration_curve"
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise InvalidParameterError(f"{metric}: n_bins={n_bins!r} must be an integer >= 1")
    if strategy not in ("uniform", "quantile"):
        raise InvalidParameterError(f"{metric}: strategy={strategy!r} must be 'uniform' or 'quantile'")
    proba = _floats(y_prob, "y_prob")
    positive = _binary_target(metric, y_true, pos_label, greatest=False)
    return _core.calibration_curve(positive, proba, int(n_bins), strategy)


# ---------------------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------------------


def _regression(function: Any, y_true: Any, y_pred: Any, sample_weight: Any) -> float:
    return function(_floats(y_true, "y_true"), _floats(y_pred, "y_pred"), _weights(sample_weight))


def mean_absolute_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Mean absolute error (``sklearn.metrics.mean_absolute_error``).

    >>> from ferrops.metrics import mean_absolute_error
    >>> mean_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    return _regression(_core.mae, y_true, y_pred, sample_weight)


def mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Mean squared error (``sklearn.metrics.mean_squared_error``).

    >>> from ferrops.metrics import mean_squared_error
    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    """
    return _regression(_core.mse, y_true, y_pred, sample_weight)


def root_mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Root mean squared error (``sklearn.metrics.root_mean_squared_error``)."""
    return _regression(_core.rmse, y_true, y_pred, sample_weight)


def r2_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Coefficient of determination, ``1 - SS_res / SS_tot`` (``sklearn.metrics.r2_score``
    with ``force_finite=True``).

    For a constant ``y_true`` it is 1.0 if the predictions are perfect and 0.0
    otherwise. Fewer than two samples is a ``DataError`` (scikit-learn warns and
    returns NaN).

    >>> from ferrops.metrics import r2_score
    >>> round(r2_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]), 6)
    0.948608
    """
    return _regression(_core.r2, y_true, y_pred, sample_weight)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Mean of ``|y_pred - y_true| / max(|y_true|, eps)``
    (``sklearn.metrics.mean_absolute_percentage_error``).

    A fraction, not a percentage; a zero in ``y_true`` makes it huge rather than infinite.
    """
    return _regression(_core.mape, y_true, y_pred, sample_weight)


def median_absolute_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Median of the absolute errors (``sklearn.metrics.median_absolute_error``); with
    ``sample_weight``, scikit-learn's weighted median.

    >>> from ferrops.metrics import median_absolute_error
    >>> median_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    return _regression(_core.median_absolute_error, y_true, y_pred, sample_weight)
