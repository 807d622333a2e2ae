"""The sparse path and the logistic solver, against scikit-learn.

References: scikit-learn's ``ColumnTransformer`` (its sparse output for one-hot
encoding) and ``LogisticRegression(solver="lbfgs")``, which minimises the same objective
(``mean(sample_weight * log_loss) + ||W||^2 / (2 C sum(sample_weight))``, intercept
unpenalised, full multinomial). Both solvers are run to a tight tolerance, so the
coefficients of the unique optimum agree to ~1e-5 whatever the iterates.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.impute import SimpleImputer as SkImputer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.preprocessing import OneHotEncoder as SkOneHot
from sklearn.preprocessing import StandardScaler as SkScaler

import ferrops as fo

TIGHT = {"tol": 1e-10, "max_iter": 10_000}


def frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    x[rng.random(n) < 0.1, 0] = np.nan
    city = rng.choice(["paris", "lyon", "nice", "brest"], n)
    shade = rng.choice([f"s{k}" for k in range(12)], n)
    score = np.nan_to_num(x[:, 0]) - x[:, 1] + (city == "nice") * 1.5 + (shade == "s3") - 0.5
    y = np.where(score + rng.normal(scale=0.7, size=n) > 0, "yes", "no")
    df = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "city": city, "shade": shade})
    return df, y


def ours(**kw) -> fo.Pipeline:
    return fo.Pipeline(
        [
            fo.SimpleImputer(["x0"], strategy="median"),
            fo.StandardScaler(["x0", "x1", "x2"]),
            fo.OneHotEncoder(["city", "shade"], handle_unknown="ignore"),
        ],
        **kw,
    )


def reference() -> ColumnTransformer:
    numeric = SkPipeline([("impute", SkImputer(strategy="median")), ("scale", SkScaler())])
    return ColumnTransformer(
        [("num", numeric, ["x0", "x1", "x2"]), ("onehot", SkOneHot(handle_unknown="ignore"), ["city", "shade"])]
    )


def test_sparse_transform_equals_scikit_learns_column_transformer():
    train, _ = frame(3000, 0)
    test, _ = frame(500, 1)
    test.loc[::7, "city"] = "unseen"  # ignored: an all-zero block
    pipe = ours(sparse_output=True).fit(train)
    ref = reference().fit(train)
    got = pipe.transform(test)
    want = ref.transform(test)
    assert sparse.issparse(got) and got.format == "csr"
    assert sparse.issparse(want)
    assert got.shape == want.shape == (500, 3 + 4 + 12)
    assert list(pipe.get_feature_names_out()) == [n.split("__", 1)[1] for n in ref.get_feature_names_out()]
    np.testing.assert_allclose(got.toarray(), want.toarray(), rtol=0, atol=1e-12)
    # The dense output of the same pipeline is the same matrix.
    dense = ours().fit(train).transform(test)
    np.testing.assert_array_equal(got.toarray(), dense)
    # Exactly one stored 1.0 per encoded column and row, none for the unseen city.
    onehot = got.toarray()[:, 3:]
    assert set(np.unique(onehot)) <= {0.0, 1.0}
    assert (onehot[::7, :4].sum(axis=1) == 0).all()


def test_sparse_output_is_a_parameter_and_clones():
    pipe = ours(sparse_output=True, trainer=fo.LogisticRegression())
    assert pipe.get_params()["sparse_output"] is True
    twin = clone(pipe)
    assert twin.sparse_output is True and twin is not pipe
    assert pipe.set_params(sparse_output=False).sparse_output is False


def test_sparse_output_needs_numeric_outputs():
    train, _ = frame(200, 2)
    train = train[["x1", "city", "shade"]]
    pipe = fo.Pipeline([fo.OneHotEncoder(["city"])], sparse_output=True).fit(train)
    with pytest.raises(fo.SchemaError, match="shade"):
        pipe.transform(train)


def test_pipeline_with_one_hot_matches_scikit_learn_logistic_regression():
    train, y = frame(4000, 3)
    test, _ = frame(1000, 4)
    pipe = ours(trainer=fo.LogisticRegression(C=0.5, **TIGHT)).fit(train, y)
    ref = SkPipeline([("pre", reference()), ("lr", SkLogisticRegression(C=0.5, **TIGHT))]).fit(train, y)
    np.testing.assert_allclose(pipe.predict_proba(test), ref.predict_proba(test), atol=1e-6)
    np.testing.assert_array_equal(pipe.classes_, ref.classes_)


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_binary_coefficients_match_scikit_learn_with_sample_weights(C):
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    model = fo.LogisticRegression(C=C, **TIGHT).fit(X, y, sample_weight=w)
    ref = SkLogisticRegression(C=C, **TIGHT).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-4, atol=2e-5)
    assert model.n_iter_ is not None and 0 < model.n_iter_ < TIGHT["max_iter"]


def test_multinomial_coefficients_match_scikit_learn():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = fo.LogisticRegression(**TIGHT).fit(X, y)
    ref = SkLogisticRegression(**TIGHT).fit(X, y)
    assert model.coef_.shape == ref.coef_.shape == (3, 4)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def objective(coef: np.ndarray, intercept: np.ndarray, X: np.ndarray, y: np.ndarray, C: float) -> float:
    """scikit-learn's binary lbfgs objective, written out with numpy."""
    z = X @ coef.ravel() + intercept[0]
    return float(np.mean(np.logaddexp(0, z) - y * z) + coef.ravel() @ coef.ravel() / (2 * C * len(y)))


def test_default_tolerance_stops_where_scikit_learn_does():
    """Same stopping rule as scikit-learn's lbfgs (largest gradient component <= tol): both
    stop after a similar number of iterations at an equally good objective value."""
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = fo.LogisticRegression().fit(X, y)
    ref = SkLogisticRegression().fit(X, y)
    optimum = SkLogisticRegression(**TIGHT).fit(X, y)
    best = objective(optimum.coef_, optimum.intercept_, X, y, 1.0)
    ours_gap = objective(model.coef_, model.intercept_, X, y, 1.0) - best
    ref_gap = objective(ref.coef_, ref.intercept_, X, y, 1.0) - best
    assert 0 <= ours_gap < 1e-4 and 0 <= ref_gap < 1e-4, (ours_gap, ref_gap)
    assert abs(model.n_iter_ - ref.n_iter_[0]) <= 10, (model.n_iter_, ref.n_iter_)


def test_integer_weights_equal_repeated_rows():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w = np.arange(len(y)) % 3
    weighted = fo.LogisticRegression(**TIGHT).fit(X, y, sample_weight=w.astype(float))
    repeated = fo.LogisticRegression(**TIGHT).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-6)


def test_linfa_solver_is_available_and_refuses_weights():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    linfa = fo.LogisticRegression(solver="linfa").fit(X, y)
    assert linfa.n_iter_ is None
    assert linfa.score(X, y) > 0.97
    with pytest.raises(fo.InvalidParameterError, match="sample weights"):
        fo.LogisticRegression(solver="linfa").fit(X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(fo.InvalidParameterError):
        fo.LogisticRegression(solver="newton").fit(X, y)


def test_bad_sample_weights_are_clear_errors():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(fo.FerropsError, match="sample_weight"):
        fo.LogisticRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(fo.FerropsError, match="zero"):
        fo.LogisticRegression().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(fo.FerropsError, match="sample weights"):
        fo.LogisticRegression().fit(X, y, sample_weight=np.ones(3))
