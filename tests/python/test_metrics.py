"""ferrops.metrics against scikit-learn on seeded random data, and its errors.

Every value is compared with scikit-learn's to 1e-12 relative. Where ferrops raises on
purpose while scikit-learn warns and returns a number (see the module docstring of
``ferrops.metrics`` and of the Rust ``ferrops::validate::metrics``), the test checks
ferrops' behaviour and its docstring names the difference.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn import calibration as skcal
from sklearn import metrics as skm

import ferrops as fo
from ferrops import _core
from ferrops import metrics as fm

RTOL = 1e-12
CLASSES = np.array(["ant", "bird", "cat", "dog"])


def assert_close(actual: object, expected: object) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=0)


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------


@pytest.fixture(params=[0, 1, 2], ids=lambda seed: f"seed{seed}")
def binary(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    """300 samples; scores rounded to one decimal, so many thresholds are ties."""
    rng = np.random.default_rng(request.param)
    n = 300
    y_true = rng.integers(0, 2, n)
    y_score = np.clip(np.round(0.3 * y_true + rng.uniform(0, 0.7, n), 1), 0, 1)
    y_pred = (y_score > 0.5).astype(int)
    return {
        "y_true": y_true,
        "y_pred": y_pred,
        "y_score": y_score,
        "weight": rng.uniform(0.1, 3.0, n),
    }


@pytest.fixture(params=[0, 1], ids=lambda seed: f"seed{seed}")
def multiclass(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    """400 samples of four string classes; probability rows drawn from a small palette,
    so every column has ties, and rows sum to 1 exactly in binary floating point."""
    rng = np.random.default_rng(100 + request.param)
    n = 400
    codes = rng.integers(0, 4, n)
    palette = np.array([[0.625, 0.125, 0.125, 0.125], [0.5, 0.25, 0.125, 0.125], [0.25, 0.25, 0.25, 0.25]])
    rows = palette[rng.integers(0, 3, n)]
    # Put the largest probability on the true class most of the time.
    favoured = np.where(rng.uniform(size=n) < 0.7, codes, rng.integers(0, 4, n))
    proba = np.empty_like(rows)
    for i in range(n):
        order = np.roll(np.arange(4), favoured[i])
        proba[i, order] = rows[i]
    pred_codes = np.where(rng.uniform(size=n) < 0.6, codes, rng.integers(0, 4, n))
    return {
        "y_true": CLASSES[codes],
        "y_pred": CLASSES[pred_codes],
        "proba": proba,
        "weight": rng.uniform(0.1, 3.0, n),
    }


@pytest.fixture(params=[0, 1, 2], ids=lambda seed: f"seed{seed}")
def regression(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(200 + request.param)
    n = 257  # odd, and above NumPy's pairwise-summation block of 128
    y_true = rng.normal(10, 5, n)
    return {
        "y_true": y_true,
        "y_pred": y_true + rng.normal(0, 2, n),
        "weight": rng.uniform(0.0, 2.0, n),
        "int_weight": rng.integers(1, 4, n).astype(float),
    }


# ---------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------

LABEL_METRICS = [
    (fm.accuracy_score, skm.accuracy_score),
    (fm.balanced_accuracy_score, skm.balanced_accuracy_score),
]
SET_WISE_METRICS = [
    (fm.precision_score, skm.precision_score),
    (fm.recall_score, skm.recall_score),
    (fm.f1_score, skm.f1_score),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ours, theirs", LABEL_METRICS + SET_WISE_METRICS, ids=lambda f: f.__name__)
def test_binary_labels_match_sklearn(binary, ours, theirs, weighted):
    weight = binary["weight"] if weighted else None
    expected = theirs(binary["y_true"], binary["y_pred"], sample_weight=weight)
    assert_close(ours(binary["y_true"], binary["y_pred"], sample_weight=weight), expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ours, theirs", LABEL_METRICS, ids=lambda f: f.__name__)
def test_multiclass_string_labels_match_sklearn(multiclass, ours, theirs, weighted):
    weight = multiclass["weight"] if weighted else None
    expected = theirs(multiclass["y_true"], multiclass["y_pred"], sample_weight=weight)
    assert_close(ours(multiclass["y_true"], multiclass["y_pred"], sample_weight=weight), expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
@pytest.mark.parametrize("ours, theirs", SET_WISE_METRICS, ids=lambda f: f.__name__)
def test_set_wise_averages_match_sklearn(multiclass, ours, theirs, average, weighted):
    weight = multiclass["weight"] if weighted else None
    y_true, y_pred = multiclass["y_true"], multiclass["y_pred"]
    expected = theirs(y_true, y_pred, average=average, sample_weight=weight)
    assert_close(ours(y_true, y_pred, average=average, sample_weight=weight), expected)


@pytest.mark.parametrize("ours, theirs", SET_WISE_METRICS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("pos_label", ["yes", "no"])
def test_binary_string_pos_label_matches_sklearn(binary, ours, theirs, pos_label):
    y_true = np.where(binary["y_true"] == 1, "yes", "no")
    y_pred = np.where(binary["y_pred"] == 1, "yes", "no")
    expected = theirs(y_true, y_pred, pos_label=pos_label, sample_weight=binary["weight"])
    assert_close(ours(y_true, y_pred, pos_label=pos_label, sample_weight=binary["weight"]), expected)


@pytest.mark.parametrize("ours, theirs", SET_WISE_METRICS, ids=lambda f: f.__name__)
def test_undefined_scores_are_zero_like_sklearn(ours, theirs):
    """A class never predicted / never present scores 0.0 (zero_division="warn"), and a
    pos_label absent from a one-class target gives 0.0 too."""
    cases = [([0, 0, 1, 1], [0, 0, 0, 0], {}), ([0, 0, 0], [0, 0, 0], {}), ([0, 1, 2], [0, 0, 0], {"average": "macro"})]
    for y_true, y_pred, kwargs in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = theirs(y_true, y_pred, **kwargs)
        assert ours(y_true, y_pred, **kwargs) == expected


def test_precision_ignores_pos_label_when_averaging(multiclass):
    y_true, y_pred = multiclass["y_true"], multiclass["y_pred"]
    assert fm.precision_score(y_true, y_pred, average="macro", pos_label="nothing") == fm.precision_score(
        y_true, y_pred, average="macro"
    )


def test_confusion_matrix_matches_sklearn(multiclass):
    y_true, y_pred, weight = multiclass["y_true"], multiclass["y_pred"], multiclass["weight"]
    plain = fm.confusion_matrix(y_true, y_pred)
    assert plain.dtype == np.int64
    np.testing.assert_array_equal(plain, skm.confusion_matrix(y_true, y_pred))

    weighted = fm.confusion_matrix(y_true, y_pred, sample_weight=weight)
    assert weighted.dtype == np.float64
    assert_close(weighted, skm.confusion_matrix(y_true, y_pred, sample_weight=weight))

    int_weight = np.arange(len(y_true)) % 3 + 1
    counted = fm.confusion_matrix(y_true, y_pred, sample_weight=int_weight)
    assert counted.dtype == np.int64
    np.testing.assert_array_equal(counted, skm.confusion_matrix(y_true, y_pred, sample_weight=int_weight))

    # labels reorders, and may declare a class that never occurs.
    labels = ["dog", "cat", "bird", "ant", "eel"]
    np.testing.assert_array_equal(
        fm.confusion_matrix(y_true, y_pred, labels=labels), skm.confusion_matrix(y_true, y_pred, labels=labels)
    )


# ---------------------------------------------------------------------------------------
# Scores and probabilities
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_roc_auc_binary_with_ties_matches_sklearn(binary, weighted):
    weight = binary["weight"] if weighted else None
    y_true, y_score = binary["y_true"], binary["y_score"]
    assert len(np.unique(y_score)) < len(y_score) / 10  # mostly ties
    expected = skm.roc_auc_score(y_true, y_score, sample_weight=weight)
    assert_close(fm.roc_auc_score(y_true, y_score, sample_weight=weight), expected)
    # String labels: the greater one ("yes") is the positive class, as in scikit-learn.
    labels = np.where(y_true == 1, "yes", "no")
    assert_close(fm.roc_auc_score(labels, y_score, sample_weight=weight), expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_roc_auc_ovr_matches_sklearn(multiclass, average, weighted):
    weight = multiclass["weight"] if weighted else None
    y_true, proba = multiclass["y_true"], multiclass["proba"]
    expected = skm.roc_auc_score(y_true, proba, multi_class="ovr", average=average, sample_weight=weight)
    actual = fm.roc_auc_score(y_true, proba, multi_class="ovr", average=average, sample_weight=weight)
    assert_close(actual, expected)
    # Explicit (sorted) labels give the same columns.
    with_labels = fm.roc_auc_score(
        y_true, proba, multi_class="ovr", average=average, labels=list(CLASSES), sample_weight=weight
    )
    assert_close(with_labels, expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("pos_label", [1, 0])
def test_average_precision_with_ties_matches_sklearn(binary, pos_label, weighted):
    weight = binary["weight"] if weighted else None
    y_true, y_score = binary["y_true"], binary["y_score"]
    score = y_score if pos_label == 1 else 1 - y_score
    expected = skm.average_precision_score(y_true, score, pos_label=pos_label, sample_weight=weight)
    assert_close(fm.average_precision_score(y_true, score, pos_label=pos_label, sample_weight=weight), expected)
    labels = np.where(y_true == 1, "pos", "neg")
    label = "pos" if pos_label == 1 else "neg"
    assert_close(fm.average_precision_score(labels, score, pos_label=label, sample_weight=weight), expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_log_loss_matches_sklearn(binary, multiclass, weighted):
    b_weight = binary["weight"] if weighted else None
    proba = np.clip(binary["y_score"], 0.05, 0.95)
    expected = skm.log_loss(binary["y_true"], proba, sample_weight=b_weight)
    assert_close(fm.log_loss(binary["y_true"], proba, sample_weight=b_weight), expected)
    two_columns = np.stack([1 - proba, proba], axis=1)
    assert_close(fm.log_loss(binary["y_true"], two_columns, sample_weight=b_weight), expected)

    m_weight = multiclass["weight"] if weighted else None
    y_true, proba = multiclass["y_true"], multiclass["proba"]
    expected = skm.log_loss(y_true, proba, sample_weight=m_weight)
    assert_close(fm.log_loss(y_true, proba, sample_weight=m_weight), expected)


def test_log_loss_labels_declare_an_absent_class_like_sklearn(multiclass):
    y_true, proba = multiclass["y_true"], multiclass["proba"]
    present = y_true != "dog"
    labels = list(CLASSES)
    expected = skm.log_loss(y_true[present], proba[present], labels=labels)
    assert_close(fm.log_loss(y_true[present], proba[present], labels=labels), expected)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_brier_score_matches_sklearn(binary, weighted):
    weight = binary["weight"] if weighted else None
    y_true, proba = binary["y_true"], binary["y_score"]
    expected = skm.brier_score_loss(y_true, proba, sample_weight=weight)
    assert_close(fm.brier_score_loss(y_true, proba, sample_weight=weight), expected)
    # {-1, 1} means pos_label 1; other numbers, the greatest class; strings need pos_label.
    for labels, kwargs in [
        (np.where(y_true == 1, 1, -1), {}),
        (np.where(y_true == 1, 7, 3), {}),
        (np.where(y_true == 1, "spam", "ham"), {"pos_label": "spam"}),
        (y_true, {"pos_label": 0}),
    ]:
        expected = skm.brier_score_loss(labels, proba, sample_weight=weight, **kwargs)
        assert_close(fm.brier_score_loss(labels, proba, sample_weight=weight, **kwargs), expected)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 3, 5, 10])
def test_calibration_curve_matches_sklearn(binary, strategy, n_bins):
    y_true, proba = binary["y_true"], binary["y_score"]
    prob_true, prob_pred = fm.calibration_curve(y_true, proba, n_bins=n_bins, strategy=strategy)
    expected_true, expected_pred = skcal.calibration_curve(y_true, proba, n_bins=n_bins, strategy=strategy)
    assert isinstance(prob_true, np.ndarray) and isinstance(prob_pred, np.ndarray)
    assert_close(prob_true, expected_true)
    assert_close(prob_pred, expected_pred)
    labels = np.where(y_true == 1, "yes", "no")
    prob_true, _ = fm.calibration_curve(labels, proba, pos_label="yes", n_bins=n_bins, strategy=strategy)
    assert_close(prob_true, expected_true)


# ---------------------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------------------

REGRESSION_METRICS = [
    (fm.mean_absolute_error, skm.mean_absolute_error),
    (fm.mean_squared_error, skm.mean_squared_error),
    (fm.root_mean_squared_error, skm.root_mean_squared_error),
    (fm.r2_score, skm.r2_score),
    (fm.mean_absolute_percentage_error, skm.mean_absolute_percentage_error),
    (fm.median_absolute_error, skm.median_absolute_error),
]


@pytest.mark.parametrize("weights", [None, "weight", "int_weight"])
@pytest.mark.parametrize("ours, theirs", REGRESSION_METRICS, ids=lambda f: f.__name__)
def test_regression_matches_sklearn(regression, ours, theirs, weights):
    weight = None if weights is None else regression[weights]
    expected = theirs(regression["y_true"], regression["y_pred"], sample_weight=weight)
    assert_close(ours(regression["y_true"], regression["y_pred"], sample_weight=weight), expected)


def test_regression_edge_values_match_sklearn():
    """Constant y_true (r2 forced finite), a zero in y_true (mape huge, not infinite), and
    an even number of samples (median of the two middle errors)."""
    cases = [
        ([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]),
        ([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]),
        ([0.0, 1.0, 2.0, 4.0], [0.5, 1.0, 2.5, 3.0]),
    ]
    for y_true, y_pred in cases:
        for ours, theirs in REGRESSION_METRICS:
            assert_close(ours(y_true, y_pred), theirs(y_true, y_pred))


# ---------------------------------------------------------------------------------------
# Input types
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "convert",
    [
        list,
        np.asarray,
        pd.Series,
        lambda v: pd.Series(v, dtype="category"),
        lambda v: pd.Series(v, dtype="string"),
        pl.Series,
        pa.array,
        lambda v: pa.chunked_array([v[:100], v[100:]]),
        lambda v: np.asarray(v, dtype=object),
    ],
    ids=["list", "numpy", "pandas", "pandas-category", "pandas-string", "polars", "pyarrow", "chunked", "object"],
)
def test_any_label_container(multiclass, convert):
    y_true, y_pred = list(multiclass["y_true"]), list(multiclass["y_pred"])
    expected = skm.f1_score(y_true, y_pred, average="macro")
    assert_close(fm.f1_score(convert(y_true), convert(y_pred), average="macro"), expected)
    assert_close(
        fm.roc_auc_score(convert(y_true), multiclass["proba"], multi_class="ovr"),
        skm.roc_auc_score(y_true, multiclass["proba"], multi_class="ovr"),
    )


@pytest.mark.parametrize(
    "convert",
    [list, pd.Series, lambda v: pd.Series(v).convert_dtypes(), pl.Series, pa.array],
    ids=["list", "pandas", "pandas-nullable", "polars", "pyarrow"],
)
def test_any_number_container(binary, convert):
    y_true, y_score = binary["y_true"].tolist(), binary["y_score"].tolist()
    expected = skm.roc_auc_score(y_true, y_score)
    assert_close(fm.roc_auc_score(convert(y_true), convert(y_score)), expected)
    assert_close(fm.mean_squared_error(convert(y_true), convert(y_score)), skm.mean_squared_error(y_true, y_score))


def test_bool_labels_and_column_vectors(binary):
    y_true, y_pred = binary["y_true"].astype(bool), binary["y_pred"].astype(bool)
    assert_close(fm.f1_score(y_true, y_pred), skm.f1_score(y_true, y_pred))
    assert_close(fm.f1_score(y_true[:, None], y_pred[:, None]), skm.f1_score(y_true, y_pred))
    # Whole floats are labels too, and mix with integers as in scikit-learn.
    assert_close(fm.accuracy_score(y_true.astype(float), binary["y_pred"]), skm.accuracy_score(y_true, y_pred))


def test_strided_arrays_reach_rust():
    """The Rust layer copies non-contiguous arrays instead of failing."""
    values = np.arange(10.0)
    assert _core.mae(values[::2], values[1::2]) == 1.0
    codes = np.arange(6, dtype=np.uintp)
    assert _core.accuracy(codes[::2], codes[::2]) == 1.0


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


def test_errors_are_ferrops_errors():
    assert issubclass(fo.DataError, fo.FerropsError)
    assert issubclass(fo.InvalidParameterError, fo.FerropsError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: fm.accuracy_score([], []),
        lambda: fm.f1_score([], [], average="macro"),
        lambda: fm.confusion_matrix([], []),
        lambda: fm.roc_auc_score([], []),
        lambda: fm.roc_auc_score([], np.empty((0, 3)), multi_class="ovr"),
        lambda: fm.average_precision_score([], []),
        lambda: fm.log_loss([], np.empty((0, 2))),
        lambda: fm.brier_score_loss([], []),
        lambda: fm.calibration_curve([], []),
        lambda: fm.mean_absolute_error([], []),
        lambda: fm.r2_score([], []),
        lambda: fm.median_absolute_error([], []),
    ],
)
def test_empty_input_is_a_data_error(call):
    with pytest.raises(fo.DataError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: fm.accuracy_score([0, 1, 1], [0, 1]),
        lambda: fm.precision_score([0, 1, 1], [0, 1]),
        lambda: fm.confusion_matrix([0, 1, 1], [0, 1]),
        lambda: fm.roc_auc_score([0, 1, 1], [0.2, 0.8]),
        lambda: fm.roc_auc_score([0, 1, 2], [[0.5, 0.25, 0.25]] * 2, multi_class="ovr"),
        lambda: fm.average_precision_score([0, 1, 1], [0.2, 0.8]),
        lambda: fm.log_loss([0, 1, 1], [0.2, 0.8]),
        lambda: fm.brier_score_loss([0, 1, 1], [0.2, 0.8]),
        lambda: fm.calibration_curve([0, 1, 1], [0.2, 0.8]),
        lambda: fm.mean_squared_error([1.0, 2.0], [1.0]),
        lambda: fm.accuracy_score([0, 1], [0, 1], sample_weight=[1.0]),
        lambda: fm.mean_squared_error([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0, 2.0, 3.0]),
    ],
)
def test_length_mismatch_is_a_data_error(call):
    with pytest.raises(fo.DataError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: fm.roc_auc_score([0, 1, 1], [0.2, np.nan, 0.4]),
        lambda: fm.roc_auc_score(
            [0, 1, 2], [[0.5, 0.25, 0.25], [np.nan, 0.5, 0.5], [0.2, 0.2, 0.6]], multi_class="ovr"
        ),
        lambda: fm.average_precision_score([0, 1, 1], [0.2, np.inf, 0.4]),
        lambda: fm.log_loss([0, 1, 1], [0.2, np.nan, 0.4]),
        lambda: fm.brier_score_loss([0, 1, 1], [0.2, np.nan, 0.4]),
        lambda: fm.calibration_curve([0, 1, 1], [0.2, np.nan, 0.4]),
        lambda: fm.mean_absolute_error([1.0, np.nan], [1.0, 2.0]),
        lambda: fm.r2_score([1.0, 2.0, 3.0], [1.0, 2.0, np.inf]),
        lambda: fm.accuracy_score([0, 1], [0, 1], sample_weight=[1.0, np.nan]),
        lambda: fm.accuracy_score([0.0, np.nan], [0, 1]),
        lambda: fm.accuracy_score(["a", None], ["a", "b"]),
        lambda: fm.accuracy_score(pd.Series([1, None], dtype="Int64"), [1, 2]),
        lambda: fm.accuracy_score(pl.Series(["a", None]), ["a", "b"]),
    ],
)
def test_nan_and_missing_values_are_data_errors(call):
    with pytest.raises(fo.DataError):
        call()


def test_label_types_are_checked():
    with pytest.raises(fo.DataError, match="strings"):
        fm.accuracy_score(["a", "b"], [0, 1])
    with pytest.raises(fo.DataError, match="mixes strings"):
        fm.accuracy_score(np.array(["a", 1], dtype=object), ["a", "b"])
    with pytest.raises(fo.DataError, match="continuous"):
        fm.accuracy_score([0, 1], [0.2, 0.7])
    with pytest.raises(fo.DataError, match="multioutput"):
        fm.accuracy_score(np.zeros((3, 2)), np.zeros((3, 2)))


def test_roc_auc_one_class_is_a_data_error():
    """Difference from scikit-learn: a target with one class has no ROC AUC; scikit-learn
    1.9 warns and returns NaN, ferrops raises DataError."""
    with pytest.raises(fo.DataError, match="one class"):
        fm.roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(fo.DataError):
        # Only zero-weight negatives: no negative with positive weight.
        fm.roc_auc_score([0, 1, 1], [0.2, 0.5, 0.9], sample_weight=[0.0, 1.0, 1.0])


def test_roc_auc_ovr_absent_class_is_a_data_error(multiclass):
    """Difference from scikit-learn: a declared class absent from y_true has no
    one-vs-rest AUC; scikit-learn warns and averages in NaN, ferrops raises DataError."""
    y_true, proba = multiclass["y_true"], multiclass["proba"]
    present = y_true != "dog"
    with pytest.raises(fo.DataError, match="never occur"):
        fm.roc_auc_score(y_true[present], proba[present], multi_class="ovr", labels=list(CLASSES))


def test_average_precision_without_positives_is_a_data_error():
    """Difference from scikit-learn: with no positive sample, recall is undefined;
    scikit-learn warns and returns 0.0 (or NaN), ferrops raises DataError."""
    with pytest.raises(fo.DataError, match="no positive"):
        fm.average_precision_score([0, 0, 0], [0.2, 0.5, 0.9])


def test_r2_needs_two_samples():
    """Difference from scikit-learn: R² of one sample is undefined; scikit-learn warns and
    returns NaN, ferrops raises DataError."""
    with pytest.raises(fo.DataError, match="two samples"):
        fm.r2_score([1.0], [2.0])


def test_probability_rows_must_sum_to_one():
    """Difference from scikit-learn: log_loss warns on rows that do not sum to 1 and
    computes regardless; ferrops raises DataError beyond NumPy's allclose tolerance (and
    gives scikit-learn's value within it). roc_auc_score(multi_class="ovr") raises in
    both."""
    y_true, proba = [0, 1, 2], [[0.5, 0.3, 0.3], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]
    with pytest.raises(fo.DataError, match="sum"):
        fm.log_loss(y_true, proba)
    with pytest.raises(fo.DataError, match="sum"):
        fm.roc_auc_score(y_true, proba, multi_class="ovr")
    nearly = [[0.5, 0.3, 0.2 + 1e-9], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = skm.log_loss(y_true, nearly)
    assert_close(fm.log_loss(y_true, nearly), expected)


@pytest.mark.parametrize(
    "call",
    [
        lambda w: fm.accuracy_score([0, 1, 1], [0, 1, 0], sample_weight=w),
        lambda w: fm.f1_score([0, 1, 1], [0, 1, 0], sample_weight=w),
        lambda w: fm.confusion_matrix([0, 1, 1], [0, 1, 0], sample_weight=w),
        lambda w: fm.roc_auc_score([0, 1, 1], [0.1, 0.8, 0.3], sample_weight=w),
        lambda w: fm.log_loss([0, 1, 1], [0.1, 0.8, 0.3], sample_weight=w),
        lambda w: fm.mean_absolute_error([0.0, 1.0, 1.0], [0.1, 0.8, 0.3], sample_weight=w),
    ],
)
@pytest.mark.parametrize("weights", [[1.0, -1.0, 1.0], [0.0, 0.0, 0.0]], ids=["negative", "all-zero"])
def test_negative_or_all_zero_weights_are_data_errors(call, weights):
    """Difference from scikit-learn: it accepts negative weights and, depending on the
    metric, raises or returns 0.0 for all-zero weights; ferrops raises DataError."""
    with pytest.raises(fo.DataError):
        call(weights)


def test_confusion_matrix_label_outside_labels_is_a_data_error():
    """Difference from scikit-learn: confusion_matrix(labels=...) drops samples whose
    label is not in labels silently; ferrops raises DataError naming the labels."""
    with pytest.raises(fo.DataError, match="cat"):
        fm.confusion_matrix(["ant", "cat"], ["ant", "ant"], labels=["ant", "bird"])
    with pytest.raises(fo.DataError, match="bird"):
        fm.confusion_matrix(["ant", "ant"], ["ant", "bird"], labels=["ant"])
    with pytest.raises(fo.InvalidParameterError):
        fm.confusion_matrix(["ant"], ["ant"], labels=[])
    with pytest.raises(fo.InvalidParameterError):
        fm.confusion_matrix(["ant"], ["ant"], labels=["ant", "ant"])


def test_brier_pos_label_must_be_a_class():
    """Difference from scikit-learn: brier_score_loss with a pos_label that is neither of
    the two classes counts every sample as negative there; ferrops raises
    InvalidParameterError (a typo would otherwise give a wrong score)."""
    with pytest.raises(fo.InvalidParameterError, match="pos_label"):
        fm.brier_score_loss(["ham", "spam"], [0.2, 0.9], pos_label="Spam")


def test_log_loss_labels_must_be_sorted():
    """Difference from scikit-learn: log_loss with unsorted labels warns and uses the
    sorted order for the columns; ferrops raises InvalidParameterError."""
    with pytest.raises(fo.InvalidParameterError, match="sorted"):
        fm.log_loss(["a", "b"], [[0.2, 0.8], [0.6, 0.4]], labels=["b", "a"])


def test_invalid_parameters():
    y_true, y_pred = ["a", "b", "c"], ["a", "b", "b"]
    with pytest.raises(fo.InvalidParameterError, match="multiclass"):
        fm.precision_score(y_true, y_pred)  # average="binary" on three classes
    with pytest.raises(fo.InvalidParameterError, match="pos_label"):
        fm.recall_score(["a", "b"], ["a", "b"])  # pos_label=1 is not a class
    with pytest.raises(fo.InvalidParameterError, match="pos_label"):
        fm.average_precision_score(["a", "b"], [0.1, 0.9])
    with pytest.raises(fo.InvalidParameterError, match="not supported"):
        fm.f1_score(y_true, y_pred, average=None)  # type: ignore[arg-type]
    with pytest.raises(fo.InvalidParameterError, match="multilabel"):
        fm.f1_score(y_true, y_pred, average="samples")
    with pytest.raises(fo.InvalidParameterError, match="not supported"):
        fm.f1_score(y_true, y_pred, average="mean")
    proba = [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5]]
    with pytest.raises(fo.InvalidParameterError, match="multi_class='ovr'"):
        fm.roc_auc_score(y_true, proba)
    with pytest.raises(fo.InvalidParameterError, match="'ovo' is not supported"):
        fm.roc_auc_score(y_true, proba, multi_class="ovo")
    with pytest.raises(fo.InvalidParameterError, match="sorted"):
        fm.roc_auc_score(y_true, proba, multi_class="ovr", labels=["c", "b", "a"])
    with pytest.raises(fo.InvalidParameterError, match="columns"):
        fm.roc_auc_score(y_true, proba, multi_class="ovr", labels=["a", "b", "c", "d"])
    with pytest.raises(fo.InvalidParameterError, match="pos_label"):
        fm.brier_score_loss(["ham", "spam"], [0.2, 0.9])  # strings need pos_label
    with pytest.raises(fo.InvalidParameterError, match="pos_label"):
        fm.calibration_curve([1, 2], [0.2, 0.9])  # only {0, 1} and {-1, 1} infer it
    with pytest.raises(fo.InvalidParameterError, match="n_bins"):
        fm.calibration_curve([0, 1], [0.2, 0.9], n_bins=0)
    with pytest.raises(fo.InvalidParameterError, match="strategy"):
        fm.calibration_curve([0, 1], [0.2, 0.9], strategy="kmeans")


def test_wrong_shapes_are_data_errors():
    with pytest.raises(fo.DataError, match="multiclass target"):
        fm.roc_auc_score(["a", "b", "c"], [0.1, 0.5, 0.9])
    with pytest.raises(fo.DataError, match="columns"):
        fm.roc_auc_score(["a", "b"], [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]], multi_class="ovr")
    with pytest.raises(fo.DataError, match="binary target"):
        fm.brier_score_loss([0, 1, 2], [0.1, 0.5, 0.9])
    with pytest.raises(fo.DataError, match="binary target"):
        fm.calibration_curve([0, 1, 2], [0.1, 0.5, 0.9])
    with pytest.raises(fo.DataError, match="only one class"):
        fm.log_loss([1, 1], [0.3, 0.9])
    with pytest.raises(fo.DataError, match="\\[0, 1\\]"):
        fm.brier_score_loss([0, 1], [0.3, 1.2])


def test_core_rejects_bad_parameters_without_panicking():
    """The _core functions validate their string parameters and class codes themselves."""
    codes = np.array([0, 1, 1], dtype=np.uintp)
    with pytest.raises(fo.InvalidParameterError):
        _core.precision(codes, codes, "mean")
    with pytest.raises(fo.InvalidParameterError):
        _core.roc_auc_ovr(codes, np.full((3, 2), 0.5), "binary")
    with pytest.raises(fo.InvalidParameterError):
        _core.calibration_curve(np.array([True, False]), np.array([0.2, 0.8]), 5, "kmeans")
    with pytest.raises(fo.InvalidParameterError):
        _core.calibration_curve(np.array([True, False]), np.array([0.2, 0.8]), 0)
    with pytest.raises(fo.DataError):
        _core.confusion_matrix(codes, codes, 1)  # code 1 >= n_classes
    with pytest.raises(fo.DataError):
        _core.log_loss(np.array([0, 5], dtype=np.uintp), np.full((2, 2), 0.5))
