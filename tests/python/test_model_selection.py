"""ferrops.model_selection against scikit-learn's splitters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn import model_selection as skms
from sklearn.linear_model import LogisticRegression

import ferrops as fo
from ferrops import model_selection as ms


def folds(splitter, X, y=None, groups=None):
    return [(np.asarray(train), np.asarray(test)) for train, test in splitter.split(X, y, groups)]


def assert_same_folds(ours, theirs):
    assert len(ours) == len(theirs)
    for (train, test), (sk_train, sk_test) in zip(ours, theirs, strict=True):
        assert train.dtype == np.int64 and test.dtype == np.int64
        np.testing.assert_array_equal(train, sk_train)
        np.testing.assert_array_equal(test, sk_test)


def assert_partitions(result, n_rows):
    for train, test in result:
        assert len(np.intersect1d(train, test)) == 0
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n_rows))
    tests = np.sort(np.concatenate([test for _, test in result]))
    np.testing.assert_array_equal(tests, np.arange(n_rows))


# ---------------------------------------------------------------------------------------
# Same indices as scikit-learn without shuffling
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n_rows", "k"), [(10, 2), (7, 3), (23, 5), (5, 5)])
def test_kfold_matches_sklearn(n_rows, k):
    X = np.zeros((n_rows, 2))
    assert_same_folds(folds(ms.KFold(k), X), list(skms.KFold(k).split(X)))
    assert ms.KFold(k).get_n_splits() == k


def test_stratified_kfold_matches_sklearn_with_string_labels():
    rng = np.random.default_rng(0)
    y = rng.choice(["cat", "dog", "emu"], size=47, p=[0.7, 0.2, 0.1])
    X = np.zeros((len(y), 1))
    for k in (2, 3, 4):
        assert_same_folds(folds(ms.StratifiedKFold(k), X, y), list(skms.StratifiedKFold(k).split(X, y)))
    # Other label containers give the same folds.
    for labels in (list(y), pd.Series(y), pa.array(y)):
        assert_same_folds(folds(ms.StratifiedKFold(3), X, labels), list(skms.StratifiedKFold(3).split(X, y)))


def test_stratified_kfold_imbalanced_ints():
    y = np.array([0] * 20 + [1] * 3 + [2] * 7)
    X = np.zeros((len(y), 3))
    assert_same_folds(folds(ms.StratifiedKFold(3), X, y), list(skms.StratifiedKFold(3).split(X, y)))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_splits": 3},
        {"n_splits": 3, "test_size": 2, "gap": 2},
        {"n_splits": 4, "max_train_size": 5},
        {"n_splits": 2, "gap": 1, "max_train_size": 3, "test_size": 3},
    ],
)
def test_time_series_split_matches_sklearn(params):
    X = np.zeros((23, 2))
    assert_same_folds(folds(ms.TimeSeriesSplit(**params), X), list(skms.TimeSeriesSplit(**params).split(X)))


def test_group_kfold_matches_sklearn_unequal_groups():
    groups = np.array(["a"] * 5 + ["b"] * 2 + ["c"] * 7 + ["d"] * 2 + ["e"] * 1 + ["f"] * 4 + ["g"] * 2)
    order = np.random.default_rng(1).permutation(len(groups))
    groups = groups[order]
    X = np.zeros((len(groups), 1))
    for k in (2, 3, 4):
        ours = folds(ms.GroupKFold(k), X, groups=groups)
        assert_same_folds(ours, list(skms.GroupKFold(k).split(X, groups=groups)))
        for train, test in ours:
            assert not set(groups[train]) & set(groups[test])


def test_repr_like_sklearn():
    assert repr(ms.KFold(3)) == repr(skms.KFold(3))
    assert repr(ms.StratifiedKFold(4, shuffle=True, random_state=1)) == repr(
        skms.StratifiedKFold(4, shuffle=True, random_state=1)
    )
    assert repr(ms.TimeSeriesSplit(3, gap=2, test_size=4)) == repr(skms.TimeSeriesSplit(3, gap=2, test_size=4))
    assert repr(ms.GroupKFold(3)) == "GroupKFold(n_splits=3)"


def test_kfold_ignores_continuous_y():
    X = np.zeros((9, 1))
    y = np.linspace(0.0, 1.0, 9)
    assert_same_folds(folds(ms.KFold(3), X, y), list(skms.KFold(3).split(X, y)))


# ---------------------------------------------------------------------------------------
# Shuffled
# ---------------------------------------------------------------------------------------


def test_shuffled_kfold_is_a_deterministic_partition():
    X = np.zeros((23, 1))
    first = folds(ms.KFold(5, shuffle=True, random_state=7), X)
    assert_partitions(first, 23)
    assert_same_folds(first, folds(ms.KFold(5, shuffle=True, random_state=7), X))
    assert [len(t) for _, t in first] == [len(t) for _, t in skms.KFold(5, shuffle=True, random_state=7).split(X)]
    other = folds(ms.KFold(5, shuffle=True, random_state=8), X)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first, other, strict=True))
    # None is seed 0.
    assert_same_folds(folds(ms.KFold(5, shuffle=True), X), folds(ms.KFold(5, shuffle=True, random_state=0), X))


def test_shuffled_stratified_kfold_keeps_class_counts():
    y = np.array(["x"] * 17 + ["y"] * 9 + ["z"] * 5)
    X = np.zeros((len(y), 1))
    ours = folds(ms.StratifiedKFold(3, shuffle=True, random_state=3), X, y)
    assert_partitions(ours, len(y))
    assert_same_folds(ours, folds(ms.StratifiedKFold(3, shuffle=True, random_state=3), X, y))
    theirs = list(skms.StratifiedKFold(3, shuffle=True, random_state=3).split(X, y))
    for (_, test), (_, sk_test) in zip(ours, theirs, strict=True):
        for label in "xyz":
            assert (y[test] == label).sum() == (y[sk_test] == label).sum()


# ---------------------------------------------------------------------------------------
# scikit-learn interoperability
# ---------------------------------------------------------------------------------------


def test_cross_val_score_with_ferrops_cv():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=90) > 0, "yes", "no")
    ours = skms.cross_val_score(LogisticRegression(), X, y, cv=ms.StratifiedKFold(3))
    theirs = skms.cross_val_score(LogisticRegression(), X, y, cv=skms.StratifiedKFold(3))
    np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------------------------------
# train_test_split
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("test_size", [None, 0.3, 0.25, 4, 0.01])
def test_train_test_split_sizes_like_sklearn(test_size):
    X = np.arange(46).reshape(23, 2)
    y = np.arange(23)
    X_tr, X_te, y_tr, y_te = ms.train_test_split(X, y, test_size=test_size, random_state=5)
    sk = skms.train_test_split(X, y, test_size=test_size, random_state=5)
    assert (len(X_tr), len(X_te)) == (len(sk[0]), len(sk[1]))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)


def test_train_test_split_without_shuffle_matches_sklearn():
    X = np.arange(20).reshape(10, 2)
    ours = ms.train_test_split(X, test_size=0.3, shuffle=False)
    theirs = skms.train_test_split(X, test_size=0.3, shuffle=False)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_test_split_pandas_and_pyarrow_keep_rows_aligned():
    n = 30
    df = pd.DataFrame({"a": np.arange(n), "b": np.arange(n) * 10}, index=np.arange(n) + 100)
    series = pd.Series(np.arange(n) * 2, index=df.index)
    table = pa.table({"a": np.arange(n)})
    array = pa.array(np.arange(n) * 3)
    y = np.arange(n)
    df_tr, df_te, s_tr, s_te, t_tr, t_te, a_tr, a_te, y_tr, y_te = ms.train_test_split(
        df, series, table, array, y, test_size=0.2, random_state=1
    )
    assert isinstance(df_tr, pd.DataFrame) and isinstance(s_te, pd.Series)
    assert isinstance(t_tr, pa.Table) and isinstance(a_te, pa.Array)
    assert (len(df_tr), len(df_te)) == (24, 6)
    for part, rows in ((df_tr, y_tr), (df_te, y_te)):
        np.testing.assert_array_equal(part["a"].to_numpy(), rows)
        np.testing.assert_array_equal(part.index.to_numpy(), rows + 100)
    np.testing.assert_array_equal(s_tr.to_numpy(), 2 * y_tr)
    np.testing.assert_array_equal(t_te.column("a").to_numpy(), y_te)
    np.testing.assert_array_equal(a_tr.to_numpy(), 3 * y_tr)
    # Same seed, same split.
    again = ms.train_test_split(y, test_size=0.2, random_state=1)
    np.testing.assert_array_equal(again[1], y_te)


def test_train_test_split_polars_and_lists():
    pl = pytest.importorskip("polars")
    n = 12
    frame = pl.DataFrame({"a": list(range(n))})
    series = pl.Series("s", [i * 2 for i in range(n)])
    f_tr, f_te, s_tr, s_te, l_tr, l_te = ms.train_test_split(frame, series, list(range(n)), test_size=3)
    assert isinstance(f_tr, pl.DataFrame) and isinstance(s_te, pl.Series)
    assert f_te["a"].to_list() == l_te and s_te.to_list() == [2 * i for i in l_te]
    assert len(f_tr) == 9 and len(l_te) == 3


def test_stratified_train_test_split_keeps_proportions():
    y = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    X = np.arange(100)
    X_tr, X_te, y_tr, y_te = ms.train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    np.testing.assert_array_equal(y[X_tr], y_tr)
    assert len(y_te) == 20
    assert {label: int((y_te == label).sum()) for label in "abc"} == {"a": 12, "b": 6, "c": 2}


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: ms.KFold(1),
        lambda: ms.KFold(2.5),
        lambda: ms.KFold(3, random_state=1),
        lambda: ms.KFold(3, shuffle=True, random_state=np.random.RandomState(0)),
        lambda: ms.KFold(3, shuffle=True, random_state=-1),
        lambda: ms.StratifiedKFold(0),
        lambda: ms.TimeSeriesSplit(3, test_size=-1),
        lambda: ms.GroupKFold(1),
    ],
)
def test_invalid_parameters_raise(make):
    with pytest.raises(fo.InvalidParameterError):
        make()


def test_split_errors():
    X = np.zeros((6, 1))
    with pytest.raises(fo.InvalidParameterError):
        folds(ms.KFold(7), X)  # more folds than rows
    with pytest.raises(fo.InvalidParameterError):
        folds(ms.StratifiedKFold(2), X)  # y required
    with pytest.raises(fo.InvalidParameterError):
        folds(ms.StratifiedKFold(4), X, [0, 0, 0, 1, 1, 1])  # every class smaller than n_splits
    with pytest.raises(fo.InvalidParameterError):
        folds(ms.GroupKFold(2), X)  # groups required
    with pytest.raises(fo.InvalidParameterError):
        folds(ms.GroupKFold(3), X, groups=[1, 1, 1, 2, 2, 2])  # too few groups
    with pytest.raises(fo.InvalidParameterError):
        folds(ms.TimeSeriesSplit(3, test_size=2, gap=1), X)  # no row left to train on
    with pytest.raises(fo.DataError):
        folds(ms.KFold(2), X, y=[0, 1, 0])  # wrong length
    with pytest.raises(fo.DataError):
        folds(ms.StratifiedKFold(2), X, [0.5, 1.5, 0.5, 1.5, 0.5, 1.5])  # continuous y
    with pytest.raises(fo.DataError):
        folds(ms.KFold(2), np.zeros((0, 1)))  # no rows


def test_train_test_split_errors():
    X = np.arange(10)
    with pytest.raises(fo.InvalidParameterError):
        ms.train_test_split()
    with pytest.raises(fo.DataError):
        ms.train_test_split(X, X[:9])
    for bad in (0.0, 1.0, 1.5, 0, 10, -1, "0.2", True):
        with pytest.raises(fo.InvalidParameterError):
            ms.train_test_split(X, test_size=bad)
    with pytest.raises(fo.InvalidParameterError):
        ms.train_test_split(X, stratify=X % 2, shuffle=False)
    with pytest.raises(fo.InvalidParameterError):
        ms.train_test_split(X, random_state="seed")
    with pytest.raises(fo.DataError):
        ms.train_test_split(X, stratify=[0, 1])
