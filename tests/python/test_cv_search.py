"""Cross-validation and hyperparameter search (``ferrops.model_selection``) against
scikit-learn 1.9's ``cross_validate``, ``GridSearchCV`` and ``RandomizedSearchCV`` on the
same folds: the same scores (tight solver tolerances on both sides), the same result keys,
ranks and best parameters; plus progress, Ctrl-C, failed candidates and the errors."""

from __future__ import annotations

import _thread
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn import linear_model as sk_linear
from sklearn import model_selection as sk_ms
from sklearn import pipeline as sk_pipeline
from sklearn import preprocessing as sk_pre
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

import ferrops as fo
from ferrops import model_selection as ms

TIGHT = {"tol": 1e-10, "max_iter": 10_000}


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


def ours_logistic(C: float = 1.0) -> fo.Pipeline:
    return fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression(C=C, **TIGHT))


def theirs_logistic(C: float = 1.0):
    return sk_pipeline.make_pipeline(sk_pre.StandardScaler(), sk_linear.LogisticRegression(C=C, **TIGHT))


def test_cross_validate_equals_scikit_learn(cancer):
    X, y = cancer
    scoring = ["accuracy", "neg_log_loss", "roc_auc", "f1", "average_precision", "neg_brier_score"]
    cv = sk_ms.StratifiedKFold(5)
    ours = ms.cross_validate(ours_logistic(), X, y, cv=cv, scoring=scoring, return_train_score=True)
    theirs = sk_ms.cross_validate(theirs_logistic(), X, y, cv=cv, scoring=scoring, return_train_score=True)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        if key.endswith("_time"):
            assert ours[key].shape == theirs[key].shape and (ours[key] >= 0).all()
            continue
        # The fitted coefficients agree to ~1e-7, so labels agree exactly on this data and
        # the probability-based scores to ~1e-6.
        np.testing.assert_allclose(ours[key], theirs[key], rtol=0, atol=1e-6, err_msg=key)


def test_default_cv_and_scoring_are_scikit_learns(cancer):
    X, y = cancer
    ours = ms.cross_validate(ours_logistic(), X, y)
    theirs = sk_ms.cross_validate(theirs_logistic(), X, y)
    assert sorted(ours) == ["fit_time", "score_time", "test_score"]
    np.testing.assert_array_equal(ours["test_score"], theirs["test_score"])


def test_regression_cross_validate_equals_scikit_learn():
    X, y = load_diabetes(return_X_y=True)
    scoring = [
        "r2",
        "neg_mean_squared_error",
        "neg_root_mean_squared_error",
        "neg_mean_absolute_error",
        "neg_median_absolute_error",
        "neg_mean_absolute_percentage_error",
    ]
    cv = sk_ms.KFold(4, shuffle=True, random_state=0)
    ours = ms.cross_validate(
        fo.Pipeline([fo.StandardScaler()], trainer=fo.LinearRegression()), X, y, cv=cv, scoring=scoring
    )
    theirs = sk_ms.cross_validate(
        sk_pipeline.make_pipeline(sk_pre.StandardScaler(), sk_linear.LinearRegression()), X, y, cv=cv, scoring=scoring
    )
    for s in scoring:
        np.testing.assert_allclose(ours[f"test_{s}"], theirs[f"test_{s}"], rtol=1e-10, err_msg=s)


def test_transforms_are_fitted_per_fold_not_on_all_rows():
    # A scaler fitted on all rows would leak the test rows' mean into each fold's model.
    # scikit-learn's Pipeline refits it per fold; equality with it shows ours does too,
    # and the scores differ from a model trained on features scaled with all rows.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3)) * [1, 20, 0.1] + [0, 100, 5]
    y = (X[:, 0] + 0.05 * X[:, 1] + rng.normal(size=200) > 5).astype(int)
    X[:40] += 10  # the first fold's rows are shifted: its scaler statistics differ most
    cv = sk_ms.KFold(5)
    pipe_ours = fo.Pipeline(
        [fo.StandardScaler(), fo.KBinsDiscretizer(n_bins=4)], trainer=fo.LogisticRegression(**TIGHT)
    )
    pipe_theirs = sk_pipeline.make_pipeline(
        sk_pre.StandardScaler(),
        sk_pre.KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="quantile"),
        sk_linear.LogisticRegression(**TIGHT),
    )
    ours = ms.cross_validate(pipe_ours, X, y, cv=cv, scoring="neg_log_loss")["test_score"]
    theirs = sk_ms.cross_validate(pipe_theirs, X, y, cv=cv, scoring="neg_log_loss")["test_score"]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    scaled = sk_pre.StandardScaler().fit_transform(X)
    leaky = ms.cross_validate(fo.LogisticRegression(**TIGHT), scaled, y, cv=cv, scoring="neg_log_loss")["test_score"]
    assert not np.allclose(ours, leaky)


def test_table_input_target_column_groups_and_weights():
    rng = np.random.default_rng(1)
    n = 120
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b", "c"], size=n),
            "store": np.repeat(np.arange(12), 10),
        }
    )
    df["bought"] = np.where(df["x"] + (df["city"] == "a") + 0.3 * rng.normal(size=n) > 0.4, "yes", "no")
    pipe = fo.Pipeline([fo.OneHotEncoder(["city"])], trainer=fo.LogisticRegression(**TIGHT))
    weights = np.where(df["bought"] == "yes", 2.0, 1.0)
    for frame in (df, pl.from_pandas(df)):
        ours = ms.cross_validate(
            pipe,
            frame,
            target="bought",
            cv=ms.GroupKFold(4),
            groups="store",
            scoring="neg_log_loss",
            sample_weight=weights,
        )
        theirs = sk_ms.cross_validate(
            _sk_onehot_pipeline(),
            df[["x", "city", "store"]],
            df["bought"],
            groups=df["store"],
            cv=sk_ms.GroupKFold(4),
            scoring="neg_log_loss",
            params={"logisticregression__sample_weight": weights},
        )
        np.testing.assert_allclose(ours["test_score"], theirs["test_score"], atol=1e-6)


def _sk_onehot_pipeline():
    from sklearn.compose import ColumnTransformer

    encode = ColumnTransformer([("city", sk_pre.OneHotEncoder(), ["city"])], remainder="passthrough")
    return sk_pipeline.make_pipeline(encode, sk_linear.LogisticRegression(**TIGHT))


def test_a_class_missing_from_a_training_fold():
    X = np.arange(30, dtype=float).reshape(-1, 1)
    y = np.array(["c"] * 3 + ["a", "b"] * 13 + ["a"])
    scores = ms.cross_validate(fo.LogisticRegression(), X, y, cv=ms.KFold(3), scoring=["accuracy", "neg_log_loss"])
    assert scores["test_accuracy"][0] <= 0.7
    assert np.isfinite(scores["test_neg_log_loss"]).all()
    with pytest.raises(fo.DataError, match="fold 1"):
        ms.cross_validate(fo.LogisticRegression(), X, y, cv=ms.KFold(3), scoring="roc_auc_ovr")


def test_grid_search_equals_scikit_learns_grid_search_cv(cancer):
    X, y = cancer
    grid = {"trainer__C": [0.01, 0.1, 1.0, 10.0]}
    cv = sk_ms.StratifiedKFold(4)
    ours = ms.GridSearch(ours_logistic(), grid, scoring="neg_log_loss", cv=cv, return_train_score=True).fit(X, y)
    theirs = sk_ms.GridSearchCV(
        theirs_logistic(),
        {"logisticregression__C": grid["trainer__C"]},
        scoring="neg_log_loss",
        cv=cv,
        return_train_score=True,
    ).fit(X, y)
    rename = {"param_logisticregression__C": "param_trainer__C"}
    assert sorted(ours.cv_results_) == sorted(rename.get(k, k) for k in theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        if key in rename or key == "params" or key.endswith("_time"):
            continue
        np.testing.assert_allclose(ours.cv_results_[key], value, atol=1e-6, err_msg=key)
    assert ours.best_index_ == theirs.best_index_
    assert ours.best_params_ == {"trainer__C": theirs.best_params_["logisticregression__C"]}
    assert ours.best_score_ == pytest.approx(theirs.best_score_, abs=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert (ours.predict(X) == theirs.predict(X)).all()
    assert ours.best_estimator_.trainer.C == theirs.best_params_["logisticregression__C"]


def test_multimetric_search_refits_on_the_named_scorer(cancer):
    X, y = cancer
    search = ms.GridSearch(
        ours_logistic(), {"trainer__C": [0.001, 1.0]}, scoring=["accuracy", "neg_log_loss"], refit="neg_log_loss", cv=3
    ).fit(X, y)
    assert search.scorer_ == "neg_log_loss"
    assert set(search.cv_results_) >= {"mean_test_accuracy", "rank_test_accuracy", "rank_test_neg_log_loss"}
    assert search.best_params_ == {"trainer__C": 1.0}
    with pytest.raises(fo.InvalidParameterError, match="refit must name"):
        ms.GridSearch(ours_logistic(), {"trainer__C": [1.0]}, scoring=["accuracy", "r2"], cv=3).fit(X, y)


def test_search_over_a_bare_trainer_and_a_transform_parameter():
    X, y = load_iris(return_X_y=True)
    search = ms.GridSearch(fo.LogisticRegression(), {"C": [0.01, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_ == {"C": 1.0}
    pipe = fo.Pipeline([fo.KBinsDiscretizer()], trainer=fo.LogisticRegression())
    search = ms.GridSearch(pipe, [{"steps__0__n_bins": [2, 8]}, {"trainer__C": [0.5]}], cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    assert search.cv_results_["params"][2] == {"trainer__C": 0.5}


def test_random_search_is_seeded_and_takes_distributions(cancer):
    from scipy.stats import loguniform

    X, y = cancer
    make = lambda seed: ms.RandomSearch(  # noqa: E731
        ours_logistic(), {"trainer__C": loguniform(1e-3, 1e2)}, n_iter=4, cv=3, random_state=seed
    ).fit(X, y)
    a, b, c = make(0), make(0), make(1)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert a.cv_results_["params"] != c.cv_results_["params"]
    assert all(1e-3 <= p["trainer__C"] <= 1e2 for p in a.cv_results_["params"])
    lists = ms.RandomSearch(ours_logistic(), {"trainer__C": [0.1, 1.0, 10.0]}, n_iter=10, cv=3).fit(X, y)
    assert sorted(p["trainer__C"] for p in lists.cv_results_["params"]) == [0.1, 1.0, 10.0]


def test_progress_callback_sees_every_task(cancer):
    X, y = cancer
    calls = []
    ms.GridSearch(ours_logistic(), {"trainer__C": [0.1, 1.0, 10.0]}, cv=4, progress=lambda *a: calls.append(a)).fit(
        X, y
    )
    assert len(calls) == 12
    assert sorted(c[0] for c in calls) == list(range(1, 13))
    assert all(c[1] == 12 for c in calls)
    assert calls[-1][4] is not None  # the best mean score once a candidate completed


def test_progress_true_draws_a_tqdm_bar(cancer, capsys):
    pytest.importorskip("tqdm")
    X, y = cancer
    ms.GridSearch(ours_logistic(), {"trainer__C": [0.1, 1.0]}, cv=3, progress=True).fit(X, y)
    err = capsys.readouterr().err
    assert "search" in err and "6/6" in err


def test_progress_callback_errors_do_not_stop_the_search(cancer, monkeypatch):
    import sys

    X, y = cancer
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))

    def broken(*_):
        raise RuntimeError("progress bar broke")

    search = ms.GridSearch(ours_logistic(), {"trainer__C": [0.1, 1.0]}, cv=3, progress=broken).fit(X, y)
    assert search.best_params_ is not None
    # Each failing call is reported as an unraisable exception (as Python does for
    # callbacks it cannot raise into), not lost and not fatal.
    assert len(reported) == 6 and all("progress bar broke" in str(e) for e in reported)


def test_ctrl_c_returns_the_best_so_far():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30_000, 30))
    y = np.where(X[:, :5].sum(axis=1) + rng.normal(size=30_000) > 0, "y", "n")
    interrupted = []

    def interrupt(done, total, trial, fold, best):
        if done == 2 and not interrupted:
            interrupted.append(done)
            _thread.interrupt_main()

    search = ms.GridSearch(
        fo.LogisticRegression(max_iter=300, tol=1e-8),
        {"C": list(np.logspace(-3, 3, 12))},
        cv=2,
        progress=interrupt,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    assert search.interrupted_
    assert any("interrupted" in str(w.message) for w in caught)
    assert not hasattr(search, "best_estimator_")
    status = search.results_.to_dict()["status"]
    assert "not run (interrupted)" in status
    if search.best_index_ is not None:
        assert status[search.best_index_] == "done"


def test_failed_candidates_are_kept_and_ranked_last(cancer):
    X, y = cancer
    search = ms.GridSearch(ours_logistic(), {"trainer__C": [-1.0, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_ == {"trainer__C": 1.0}
    assert np.isnan(search.cv_results_["mean_test_score"][0])
    assert list(search.cv_results_["rank_test_score"]) == [2, 1]
    assert search.results_.to_dict()["status"][0].startswith("failed")
    with pytest.raises(fo.TrainingError, match="every candidate failed"):
        ms.GridSearch(ours_logistic(), {"trainer__C": [-1.0, 0.0]}, cv=3).fit(X, y)


def test_results_table_renders_and_converts(cancer):
    X, y = cancer
    search = ms.GridSearch(ours_logistic(), {"trainer__C": [0.1, 1.0]}, cv=3).fit(X, y)
    frame = search.results_.to_pandas()
    assert list(frame.columns) == ["trainer__C", "mean_score", "std_score", "mean_fit_time", "rank", "status"]
    assert frame["rank"].tolist() == list(search.cv_results_["rank_test_score"])
    html = search.results_._repr_html_()
    assert html.startswith("<table>") and "trainer__C" in html
    assert "2 candidates" in repr(search.results_)
    records = search.results_.to_records()
    assert records[0]["trainer__C"] == 0.1


def test_html_is_escaped(cancer):
    X, y = cancer
    # The failed candidate's error says "must be a finite number > 0".
    search = ms.GridSearch(ours_logistic(), {"trainer__C": [-1.0, 1.0]}, cv=2).fit(X, y)
    html = search.results_._repr_html_()
    assert "&gt; 0" in html and "number > 0" not in html


def test_errors(cancer):
    X, y = cancer
    with pytest.raises(fo.InvalidParameterError, match="unknown scorer"):
        ms.cross_validate(ours_logistic(), X, y, scoring="auc")
    with pytest.raises(fo.InvalidParameterError, match="regression metric"):
        ms.cross_validate(ours_logistic(), X, y, scoring="r2")
    with pytest.raises(fo.InvalidParameterError, match="callables"):
        ms.cross_validate(ours_logistic(), X, y, scoring=lambda *a: 0.0)
    with pytest.raises(fo.InvalidParameterError, match="trainer"):
        ms.cross_validate(fo.Pipeline([fo.StandardScaler()]), X, y)
    with pytest.raises(fo.InvalidParameterError, match="Pipeline or trainer"):
        ms.cross_validate(sk_linear.LogisticRegression(), X, y)
    with pytest.raises(fo.InvalidParameterError, match="target"):
        ms.cross_validate(ours_logistic(), X)
    with pytest.raises(fo.DataError, match="row 10000"):
        ms.cross_validate(ours_logistic(), X, y, cv=[(np.arange(10), np.array([10_000]))])
    with pytest.raises(fo.DataError, match="negative"):
        ms.cross_validate(ours_logistic(), X, y, cv=[(np.arange(10), np.array([-1]))])
    with pytest.raises(fo.InvalidParameterError, match="no values"):
        ms.GridSearch(ours_logistic(), {"trainer__C": []}).fit(X, y)
    with pytest.raises(fo.InvalidParameterError):
        ms.GridSearch(ours_logistic(), {"trainer__nope": [1]}).fit(X, y)
    with pytest.raises(fo.InvalidParameterError, match="n_iter"):
        ms.RandomSearch(ours_logistic(), {"trainer__C": [1.0]}, n_iter=0).fit(X, y)
    with pytest.raises(fo.NotFittedError):
        ms.GridSearch(ours_logistic(), {"trainer__C": [1.0]}, refit=False, cv=3).fit(X, y).predict(X)
