"""GaussianNB, LinearSVC and the KMeans feature transform against scikit-learn.

Tolerances: GaussianNB is the same closed-form estimate, so ``predict_proba`` agrees with
scikit-learn's to 1e-10. LinearSVC and scikit-learn's ``SVC(kernel="linear")`` run SMO on
the same dual at tol=1e-10; the stopping rule bounds the KKT violation, not the distance
to the optimum, so decision values agree to 1e-4 relative. KMeans uses its own seeded
random stream, so it is compared on well-separated blobs, where the partition (up to a
relabelling), the centroids and the inertia are those of scikit-learn.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import load_iris, make_blobs
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import GaussianNB as SkGaussianNB
from sklearn.svm import SVC

import ferrops as fo


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True, as_frame=True)


# ---------------------------------------------------------------------------
# GaussianNB


@pytest.mark.parametrize(
    "params", [{}, {"var_smoothing": 1e-3}, {"priors": [0.2, 0.3, 0.5]}], ids=["default", "smoothing", "priors"]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_gaussian_nb_matches_scikit_learn(iris, params, weighted):
    # reference: sklearn.naive_bayes.GaussianNB(**params).fit(X, y, sample_weight)
    X, y = iris
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y)) if weighted else None
    ours = fo.GaussianNB(**params).fit(X, y, sample_weight=w)
    ref = SkGaussianNB(**params).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.theta_, ref.theta_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-12)
    np.testing.assert_allclose(ours.class_prior_, ref.class_prior_, rtol=1e-12)
    np.testing.assert_allclose(ours.class_count_, ref.class_count_, rtol=1e-12)
    assert ours.epsilon_ == pytest.approx(ref.epsilon_, rel=1e-12)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


def test_gaussian_nb_string_labels_pipeline_and_persistence(iris, tmp_path):
    X, y = iris
    names = np.asarray(["setosa", "versicolor", "virginica"])[y]
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.GaussianNB()).fit(X, names)
    assert pipe.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    proba = pipe.predict_proba(X)
    row = X.iloc[60].to_dict()
    assert pipe.predict_row(row) == pipe.predict(X.iloc[[60]])[0]
    np.testing.assert_allclose(pipe.predict_row_proba(row), proba[60], rtol=0, atol=1e-15)
    pipe.save(tmp_path / "nb")
    np.testing.assert_array_equal(fo.load(tmp_path / "nb").predict_proba(X), proba)
    model = fo.GaussianNB().fit(X, y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(X), model.predict_proba(X))
    assert clone(fo.GaussianNB(var_smoothing=0.1)).get_params()["var_smoothing"] == 0.1


@pytest.mark.parametrize(
    "trainer",
    [
        fo.GaussianNB(var_smoothing=-1.0),
        fo.GaussianNB(priors=[0.5, 0.5]),
        fo.GaussianNB(priors=[0.5, 0.5, 0.5]),
        fo.GaussianNB(priors=[1.5, -0.5, 0.0]),
    ],
    ids=repr,
)
def test_gaussian_nb_invalid_parameters(iris, trainer):
    X, y = iris
    with pytest.raises(fo.InvalidParameterError):
        trainer.fit(X, y)


def test_gaussian_nb_data_errors():
    X = np.ones((6, 2))
    with pytest.raises(fo.TrainingError, match="var_smoothing"):
        fo.GaussianNB().fit(X, [0, 1, 0, 1, 0, 1])
    with pytest.raises(fo.DataError):
        fo.GaussianNB().fit(np.random.default_rng(0).normal(size=(6, 2)), np.linspace(0, 1, 6))


# ---------------------------------------------------------------------------
# LinearSVC


@pytest.mark.parametrize(("C", "class_weight"), [(0.5, None), (5.0, None), (1.0, "balanced"), (1.0, {0: 1.0, 1: 4.0})])
def test_linear_svc_binary_matches_scikit_learn_svc(C, class_weight):
    # reference: sklearn.svm.SVC(kernel="linear", C, tol=1e-10, class_weight)
    X, y = make_blobs(n_samples=[50, 20], centers=[[0, 0], [2, 1]], cluster_std=1.0, random_state=3)
    ours = fo.LinearSVC(C=C, tol=1e-10, class_weight=class_weight).fit(X, y)
    ref = SVC(kernel="linear", C=C, tol=1e-10, class_weight=class_weight).fit(X, y)
    scale = np.maximum(1.0, np.abs(ref.decision_function(X)))
    assert np.all(np.abs(ours.decision_function(X) - ref.decision_function(X)) <= 1e-4 * scale)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize(("C", "class_weight"), [(1.0, None), (0.1, "balanced")])
def test_linear_svc_multiclass_is_one_vs_rest_svc(iris, C, class_weight):
    # reference: OneVsRestClassifier(SVC(kernel="linear", C, tol=1e-10, class_weight))
    X, y = iris
    ours = fo.LinearSVC(C=C, tol=1e-10, class_weight=class_weight).fit(X, y)
    ref = OneVsRestClassifier(SVC(kernel="linear", C=C, tol=1e-10, class_weight=class_weight)).fit(X, y)
    want = ref.decision_function(X)
    assert np.all(np.abs(ours.decision_function(X) - want) <= 1e-4 * np.maximum(1.0, np.abs(want)))
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_linear_svc_has_no_probabilities_and_no_sample_weight(iris):
    X, y = iris
    model = fo.LinearSVC().fit(X, y)
    assert not hasattr(model, "predict_proba")
    with pytest.raises(AttributeError, match="no class probabilities"):
        model.predict_proba(X)
    pipe = fo.Pipeline([], trainer=fo.LinearSVC()).fit(X, y)
    with pytest.raises(fo.InvalidParameterError, match="no class probabilities"):
        pipe.predict_proba(X)
    assert pipe.predict_row_proba(X.iloc[0].to_dict()) is None
    with pytest.raises(fo.InvalidParameterError, match="sample weights"):
        fo.LinearSVC().fit(X, y, sample_weight=np.ones(len(y)))
    # A per-class mapping cannot be split over one-vs-rest problems; a label not in y.
    with pytest.raises(fo.InvalidParameterError, match="balanced"):
        fo.LinearSVC(class_weight={0: 2.0}).fit(X, y)
    with pytest.raises(fo.InvalidParameterError, match="not a class"):
        fo.LinearSVC(class_weight={7: 2.0}).fit(X[y < 2], y[y < 2])
    for bad in [fo.LinearSVC(C=0.0), fo.LinearSVC(tol=-1.0), fo.LinearSVC(class_weight="often")]:
        with pytest.raises(fo.InvalidParameterError):
            bad.fit(X, y)


# ---------------------------------------------------------------------------
# KMeans


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=120, centers=[[0, 0], [6, 6], [-6, 5], [5, -6]], cluster_std=1.0, random_state=7)
    return X


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_kmeans_matches_scikit_learn_on_separated_blobs(blobs, seed, init):
    # reference: sklearn.cluster.KMeans(n_clusters=4, n_init=10, tol=1e-10, random_state=0)
    ref = SkKMeans(n_clusters=4, n_init=10, tol=1e-10, random_state=0).fit(blobs)
    ours = fo.KMeans(n_clusters=4, n_init=10, tol=1e-10, seed=seed, init=init, distances=True).fit(blobs)
    labels = ours.predict(blobs)
    # The same partition up to a relabelling: a one-to-one map between the label sets.
    pairs = set(zip(labels.tolist(), ref.labels_.tolist(), strict=True))
    assert len(pairs) == 4
    mapping = dict(pairs)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-6)
    for ours_label, ref_label in mapping.items():
        np.testing.assert_allclose(ours.cluster_centers_[ours_label], ref.cluster_centers_[ref_label], atol=1e-10)
    out = ours.transform(blobs)
    assert out.shape == (120, 5)
    np.testing.assert_array_equal(out[:, 0], labels)
    order = [mapping[j] for j in range(4)]
    np.testing.assert_allclose(out[:, 1:], ref.transform(blobs)[:, order], atol=1e-10)
    # Deterministic for a seed.
    again = fo.KMeans(n_clusters=4, n_init=10, tol=1e-10, seed=seed, init=init).fit(blobs)
    np.testing.assert_array_equal(again.predict(blobs), labels)


def test_kmeans_as_a_pipeline_step(blobs):
    frame = pd.DataFrame({"a": blobs[:, 0], "b": blobs[:, 1], "c": np.arange(120.0)})
    y = (blobs[:, 0] > 0).astype(int)
    pipe = fo.Pipeline(
        [fo.KMeans(n_clusters=4, columns=["a", "b"], output="segment"), fo.OneHotEncoder(["segment"])],
        trainer=fo.LogisticRegression(),
    ).fit(frame, y)
    names = pipe.get_feature_names_out().tolist()
    assert names[-1] == "c" and all(n.startswith("segment_") for n in names[:-1]) and len(names) == 5
    row = frame.iloc[5].to_dict()
    assert pipe.predict_row(row) == pipe.predict(frame.iloc[[5]])[0]
    km = fo.KMeans(n_clusters=2, columns=["a"]).set_output(transform="pandas")
    out = km.fit_transform(frame)
    assert out.columns.tolist() == ["cluster", "b", "c"]
    assert km.get_feature_names_out().tolist() == ["cluster", "b", "c"]


def test_kmeans_missing_values_and_errors():
    X = np.array([[0.0, 0.0], [0.1, 0.2], [np.nan, 1.0], [9.0, 9.0], [9.1, 9.2]])
    km = fo.KMeans(n_clusters=2).fit(X)
    labels = km.predict(X)
    assert labels[2] == -1 and labels[0] == labels[1] != labels[3] == labels[4]
    for bad in [
        fo.KMeans(n_clusters=0),
        fo.KMeans(n_init=0),
        fo.KMeans(max_iter=0),
        fo.KMeans(tol=-1.0),
        fo.KMeans(init="kmeans"),
    ]:
        with pytest.raises(fo.InvalidParameterError):
            bad.fit(X)
    with pytest.raises(fo.DataError, match="n_clusters"):
        fo.KMeans(n_clusters=5).fit(X)
    with pytest.raises(fo.NotFittedError):
        fo.KMeans().predict(X)
    with pytest.raises(fo.SchemaError):
        fo.KMeans(columns=["s"]).fit(pd.DataFrame({"s": ["a", "b"]}))
