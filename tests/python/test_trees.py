"""DecisionTreeClassifier/Regressor and RandomForestClassifier/Regressor against scikit-learn.

Reference: scikit-learn's ``sklearn.tree.DecisionTreeClassifier`` /
``DecisionTreeRegressor`` (same parameters) and ``sklearn.ensemble.RandomForestClassifier``
/ ``RandomForestRegressor``.

Trees are compared node for node (``tree_`` arrays and predictions) where scikit-learn's tree
does not depend on its ``random_state``: scikit-learn draws candidate features in a random
order and keeps the first of exactly equal splits, so where two splits tie the tree depends
on the seed, and ferrops' generator is its own. Each case checks that scikit-learn grows the
same tree for 10 seeds before comparing. Features are rounded to float32 (scikit-learn's tree
precision) so thresholds agree exactly. Forests are random, so they are compared by held-out
score with a tolerance (named in each test).
"""

import json
import pickle

import numpy as np
import pytest
from sklearn import ensemble, tree
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split

import ferrops as fo

TREE_KEYS = ("children_left", "children_right", "feature", "threshold", "n_node_samples")


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


@pytest.fixture(scope="module")
def cls_data():
    rng = np.random.default_rng(7)
    X = f32(rng.normal(size=(400, 5)))
    y = (X @ rng.normal(size=(5, 3)) + 0.7 * rng.normal(size=(400, 3))).argmax(axis=1)
    labels = np.array(["ant", "bee", "cat"])[y]
    w = f32(rng.uniform(0.2, 3.0, size=300))
    return X[:300], labels[:300], X[300:], labels[300:], w


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(8)
    X = f32(rng.uniform(-3, 3, size=(400, 4)))
    y = np.sin(X[:, 0]) * 3 + X[:, 1] ** 2 - X[:, 2] + 0.3 * rng.normal(size=400)
    w = f32(rng.uniform(0.2, 3.0, size=300))
    return X[:300], y[:300], X[300:], y[300:], w


def stable_sklearn(cls, X, y, sample_weight, **params):
    """scikit-learn's tree, asserting it is the same for random_state 0..9."""
    ref = cls(random_state=0, **params).fit(X, y, sample_weight=sample_weight)
    for seed in range(1, 10):
        other = cls(random_state=seed, **params).fit(X, y, sample_weight=sample_weight)
        for key in TREE_KEYS:
            assert np.array_equal(getattr(ref.tree_, key), getattr(other.tree_, key)), (
                f"test case is not tie-free: scikit-learn's {key} depends on random_state"
            )
    return ref


def assert_same_tree(ours, ref):
    for key in TREE_KEYS:
        np.testing.assert_array_equal(getattr(ours.tree_, key), getattr(ref.tree_, key), err_msg=key)
    np.testing.assert_allclose(ours.tree_.impurity, ref.tree_.impurity, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.tree_.weighted_n_node_samples, ref.tree_.weighted_n_node_samples, rtol=1e-12)
    value = ref.tree_.value
    if hasattr(ref, "classes_"):
        value = value / value.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(ours.tree_.value, value, rtol=1e-9, atol=1e-12)
    assert ours.get_depth() == ref.get_depth()
    assert ours.get_n_leaves() == ref.get_n_leaves()
    np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------
# single trees, node for node
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, weighted",
    [
        ({"criterion": "gini", "max_depth": 3}, False),
        ({"criterion": "entropy", "max_depth": 3}, False),
        ({"criterion": "log_loss", "max_depth": 4}, True),
        ({"criterion": "gini", "max_depth": 4, "min_samples_leaf": 10}, False),
        ({"criterion": "gini", "min_impurity_decrease": 0.02}, False),
        ({"criterion": "entropy", "max_depth": 3, "class_weight": "balanced"}, False),
        ({"criterion": "gini", "max_depth": 3, "class_weight": {"ant": 2.0, "cat": 0.5}}, True),
        ({"criterion": "gini", "max_depth": 4, "min_weight_fraction_leaf": 0.05}, True),
    ],
    ids=repr,
)
def test_classifier_equals_scikit_learn(cls_data, params, weighted):
    X, y, X_test, _, w = cls_data
    sw = w if weighted else None
    ref = stable_sklearn(tree.DecisionTreeClassifier, X, y, sw, **params)
    ours = fo.DecisionTreeClassifier(**params).fit(X, y, sample_weight=sw)
    assert_same_tree(ours, ref)
    assert list(ours.classes_) == list(ref.classes_)
    for data in (X, X_test):
        np.testing.assert_array_equal(ours.predict(data), ref.predict(data))
        np.testing.assert_allclose(ours.predict_proba(data), ref.predict_proba(data), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "params, weighted",
    [
        ({"max_depth": 3}, False),
        ({"min_samples_leaf": 8}, False),
        ({"min_samples_leaf": 5}, True),
        ({"min_samples_leaf": 0.03, "min_samples_split": 0.1}, False),
        ({"max_depth": 6, "min_impurity_decrease": 0.05}, False),
    ],
    ids=repr,
)
def test_regressor_equals_scikit_learn(reg_data, params, weighted):
    X, y, X_test, _, w = reg_data
    sw = w if weighted else None
    ref = stable_sklearn(tree.DecisionTreeRegressor, X, y, sw, **params)
    ours = fo.DecisionTreeRegressor(**params).fit(X, y, sample_weight=sw)
    assert_same_tree(ours, ref)
    for data in (X, X_test):
        np.testing.assert_allclose(ours.predict(data), ref.predict(data), rtol=1e-12, atol=1e-12)
    assert ours.score(X_test, reg_data[3]) == pytest.approx(ref.score(X_test, reg_data[3]), abs=1e-12)


def test_fully_grown_trees_fit_the_training_rows_as_scikit_learn(cls_data, reg_data):
    """Fully grown trees tie at small nodes (seed-dependent in scikit-learn too), but every
    such tree has pure leaves: training predictions agree exactly."""
    X, y, X_test, y_test, _ = cls_data
    ours = fo.DecisionTreeClassifier().fit(X, y)
    ref = tree.DecisionTreeClassifier(random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    # held-out accuracy of two equally valid trees: within 0.06 (6 of 100 rows)
    assert abs(ours.score(X_test, y_test) - ref.score(X_test, y_test)) <= 0.06
    X, y, _, _, _ = reg_data
    ours = fo.DecisionTreeRegressor().fit(X, y)
    np.testing.assert_allclose(ours.predict(X), y, rtol=0, atol=1e-12)


def test_max_features_and_random_state(cls_data):
    X, y, X_test, y_test, _ = cls_data
    a = fo.DecisionTreeClassifier(max_features="sqrt", random_state=1).fit(X, y)
    b = fo.DecisionTreeClassifier(max_features="sqrt", random_state=1).fit(X, y)
    c = fo.DecisionTreeClassifier(max_features="sqrt", random_state=2).fit(X, y)
    assert a.pipeline_.fitted_.model_json() == b.pipeline_.fitted_.model_json()
    assert a.pipeline_.fitted_.model_json() != c.pipeline_.fitted_.model_json()
    assert a.max_features_ == 2
    assert fo.DecisionTreeClassifier(max_features=0.5).fit(X, y).max_features_ == 2
    # reference: sklearn.tree.DecisionTreeClassifier(max_features="sqrt") held-out accuracy is
    # ~0.7 on this data; a random-feature tree must still learn
    assert a.score(X_test, y_test) > 0.6


def test_fit_is_deterministic():
    """The xfail of linfa-trees (HashMap-order ties on iris) is gone."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    models = {fo.DecisionTreeClassifier().fit(X_train, y_train).pipeline_.fitted_.model_json() for _ in range(20)}
    assert len(models) == 1


# ---------------------------------------------------------------------------
# forests
# ---------------------------------------------------------------------------


def test_forest_classifier_scores_like_scikit_learn():
    """Mean held-out accuracy over 3 seeds within 0.03 of scikit-learn's (breast cancer, 30%
    test split: 171 rows, so 0.03 is 5 rows; scikit-learn's own seeds spread ~0.02)."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    ours = [
        fo.RandomForestClassifier(n_estimators=100, random_state=s).fit(X_train, y_train).score(X_test, y_test)
        for s in range(3)
    ]
    ref = [
        ensemble.RandomForestClassifier(n_estimators=100, random_state=s).fit(X_train, y_train).score(X_test, y_test)
        for s in range(3)
    ]
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.03, (ours, ref)
    assert np.mean(ours) >= 0.93


def test_forest_regressor_scores_like_scikit_learn():
    """Mean held-out R² over 3 seeds within 0.04 of scikit-learn's (diabetes, R² ~0.4,
    scikit-learn's seeds spread ~0.03)."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    for params in ({}, {"max_features": "sqrt", "min_samples_leaf": 3}):
        ours = [
            fo.RandomForestRegressor(n_estimators=100, random_state=s, **params)
            .fit(X_train, y_train)
            .score(X_test, y_test)
            for s in range(3)
        ]
        ref = [
            ensemble.RandomForestRegressor(n_estimators=100, random_state=s, **params)
            .fit(X_train, y_train)
            .score(X_test, y_test)
            for s in range(3)
        ]
        assert abs(np.mean(ours) - np.mean(ref)) <= 0.04, (params, ours, ref)


def test_oob_score_like_scikit_learn():
    """``oob_score_`` (accuracy / R² on out-of-bag rows) within 0.03 of scikit-learn's, mean
    over 3 seeds (breast cancer: its seeds spread ~0.01; diabetes R² ~0.42, spread ~0.02)."""
    X, y = load_breast_cancer(return_X_y=True)
    ours = [fo.RandomForestClassifier(oob_score=True, random_state=s).fit(X, y).oob_score_ for s in range(3)]
    ref = [ensemble.RandomForestClassifier(oob_score=True, random_state=s).fit(X, y).oob_score_ for s in range(3)]
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.03, (ours, ref)
    X, y = load_diabetes(return_X_y=True)
    ours = [fo.RandomForestRegressor(oob_score=True, random_state=s).fit(X, y).oob_score_ for s in range(3)]
    ref = [ensemble.RandomForestRegressor(oob_score=True, random_state=s).fit(X, y).oob_score_ for s in range(3)]
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.03, (ours, ref)
    assert not hasattr(fo.RandomForestRegressor(n_estimators=3).fit(X, y), "oob_score_")


def test_forest_proba_is_the_mean_of_its_trees(cls_data):
    X, y, X_test, _, _ = cls_data
    forest = fo.RandomForestClassifier(n_estimators=8, max_depth=4, random_state=3).fit(X, y)
    trees = forest.estimators_
    assert len(trees) == 8
    # Route the rows through each tree's arrays by hand (x <= threshold goes left).
    total = np.zeros((len(X_test), 3))
    for t in trees:
        for i, row in enumerate(X_test):
            node = 0
            while t.children_left[node] >= 0:
                node = t.children_left[node] if row[t.feature[node]] <= t.threshold[node] else t.children_right[node]
            total[i] += t.value[node, 0]
    np.testing.assert_allclose(forest.predict_proba(X_test), total / 8, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(forest.predict(X_test), forest.classes_[(total / 8).argmax(axis=1)])
    imp = forest.feature_importances_
    assert imp.shape == (5,) and imp.sum() == pytest.approx(1.0)


def test_forests_are_reproducible_and_seeded(reg_data):
    X, y, _, _, _ = reg_data
    a = fo.RandomForestRegressor(n_estimators=10, random_state=5).fit(X, y)
    b = fo.RandomForestRegressor(n_estimators=10, random_state=5).fit(X, y)
    c = fo.RandomForestRegressor(n_estimators=10, random_state=6).fit(X, y)
    assert a.pipeline_.fitted_.model_json() == b.pipeline_.fitted_.model_json()
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.predict(X), c.predict(X))
    # bootstrap=False and max_features=None: every tree sees every row and feature, so the
    # trees differ only in how they break exact ties.
    d = fo.RandomForestRegressor(n_estimators=3, bootstrap=False, max_features=None, max_depth=3).fit(X, y)
    ref = tree.DecisionTreeRegressor(max_depth=3).fit(X, y)
    np.testing.assert_allclose(d.predict(X), ref.predict(X), rtol=1e-12)


def test_forest_class_weight_and_max_samples(cls_data):
    X, y, X_test, y_test, w = cls_data
    for cw in ("balanced", "balanced_subsample", {"ant": 3.0}):
        model = fo.RandomForestClassifier(n_estimators=20, class_weight=cw, random_state=0).fit(X, y)
        assert model.score(X_test, y_test) > 0.6, cw
    small = fo.RandomForestClassifier(n_estimators=5, max_samples=30, max_depth=2, random_state=0)
    small.fit(X, y, sample_weight=w)
    # each tree saw 30 draws: its root holds at most 30 distinct rows, weighing 30 in total
    for t in small.estimators_:
        assert t.n_node_samples[0] <= 30
        assert t.weighted_n_node_samples[0] == pytest.approx(30.0)


# ---------------------------------------------------------------------------
# pipelines, persistence, parameters, errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: fo.DecisionTreeClassifier(max_depth=4),
        lambda: fo.RandomForestClassifier(n_estimators=15, random_state=1),
    ],
    ids=["tree", "forest"],
)
def test_classifiers_in_a_pipeline(mixed_frame, make):
    df = mixed_frame
    pipe = fo.Pipeline(
        [fo.SimpleImputer(strategy="median"), fo.OneHotEncoder(["city"])],
        trainer=make(),
    ).fit(df.drop(columns=["label"]), df["label"])
    assert list(pipe.classes_) == ["no", "yes"]
    proba = pipe.predict_proba(df)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.mean(pipe.predict(df) == df["label"]) >= 0.8
    row = df.drop(columns=["label"]).iloc[0].to_dict()
    assert pipe.predict_row(row) == pipe.predict(df.iloc[[0]])[0]
    np.testing.assert_allclose(pipe.predict_row_proba(row), proba[0], atol=1e-12)


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda: fo.DecisionTreeClassifier(max_depth=3), "tree_classifier"),
        (lambda: fo.DecisionTreeRegressor(max_depth=3), "tree_regressor"),
        (lambda: fo.RandomForestClassifier(n_estimators=5, random_state=2), "forest_classifier"),
        (lambda: fo.RandomForestRegressor(n_estimators=5, random_state=2), "forest_regressor"),
    ],
    ids=["tree_classifier", "tree_regressor", "forest_classifier", "forest_regressor"],
)
def test_pickle_save_and_load_round_trip(tmp_path, make, kind):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    if "classifier" in kind:
        y = np.where(y > y.median(), "high", "low")
    trainer = make().fit(X, y)
    expected = trainer.predict(X)
    back = pickle.loads(pickle.dumps(trainer))
    np.testing.assert_array_equal(back.predict(X), expected)
    assert back.get_params() == trainer.get_params()
    np.testing.assert_array_equal(back.feature_importances_, trainer.feature_importances_)

    pipe = fo.Pipeline([fo.StandardScaler()], trainer=make()).fit(X, y)
    pipe.save(tmp_path / "model")
    loaded = fo.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    assert json.loads(loaded.fitted_.model_json())["type"] == kind
    if "classifier" in kind:
        np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_specs_and_scikit_learn_parameter_names():
    assert fo.DecisionTreeClassifier()._spec() == {
        "type": "decision_tree",
        "criterion": "gini",
        "max_depth": None,
        "min_samples_split": 2,
        "min_samples_leaf": 1,
        "min_weight_fraction_leaf": 0.0,
        "max_features": None,
        "min_impurity_decrease": 0.0,
        "seed": 0,
        "class_weight": None,
    }
    assert fo.DecisionTreeClassifier(class_weight={True: 2.0, np.int64(3): 1.5, "x": 1.0})._spec()["class_weight"] == {
        "per_class": [[True, 2.0], [3, 1.5], ["x", 1.0]]
    }
    for ours, ref in [
        (fo.DecisionTreeClassifier, tree.DecisionTreeClassifier),
        (fo.DecisionTreeRegressor, tree.DecisionTreeRegressor),
        (fo.RandomForestClassifier, ensemble.RandomForestClassifier),
        (fo.RandomForestRegressor, ensemble.RandomForestRegressor),
    ]:
        mine = ours().get_params()
        theirs = ref().get_params()
        for name, value in mine.items():
            assert name in theirs, (ours.__name__, name)
            assert value == theirs[name], (ours.__name__, name, value, theirs[name])
    twin = clone(fo.RandomForestClassifier(n_estimators=7, max_features=0.5))
    assert twin.get_params()["n_estimators"] == 7 and twin.max_features == 0.5


@pytest.mark.parametrize(
    "trainer",
    [
        fo.DecisionTreeClassifier(criterion="squared_error"),
        fo.DecisionTreeClassifier(max_depth=0),
        fo.DecisionTreeClassifier(max_depth=-1),
        fo.DecisionTreeClassifier(min_samples_split=1),
        fo.DecisionTreeClassifier(min_samples_split=1.5),
        fo.DecisionTreeClassifier(min_samples_leaf=0),
        fo.DecisionTreeClassifier(min_samples_leaf=1.0),
        fo.DecisionTreeClassifier(min_weight_fraction_leaf=0.6),
        fo.DecisionTreeClassifier(max_features="auto"),
        fo.DecisionTreeClassifier(max_features=0),
        fo.DecisionTreeClassifier(max_features=3),
        fo.DecisionTreeClassifier(max_features=1.5),
        fo.DecisionTreeClassifier(min_impurity_decrease=-0.1),
        fo.DecisionTreeClassifier(class_weight="balanced_subsample"),
        fo.DecisionTreeClassifier(class_weight={"nope": 2.0}),
        fo.DecisionTreeClassifier(class_weight={True: -1.0}),
        fo.DecisionTreeClassifier(random_state=-1),
        fo.DecisionTreeRegressor(criterion="gini"),
        fo.DecisionTreeRegressor(min_impurity_decrease=float("nan")),
        fo.RandomForestClassifier(n_estimators=0),
        fo.RandomForestClassifier(bootstrap=False, max_samples=10),
        fo.RandomForestClassifier(max_samples=0),
        fo.RandomForestClassifier(class_weight="unbalanced"),
        fo.RandomForestRegressor(max_samples=-0.5),
        fo.RandomForestRegressor(bootstrap="yes"),
        fo.RandomForestRegressor(bootstrap=False, oob_score=True),
    ],
    ids=repr,
)
def test_invalid_parameters(trainer):
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = X[:, 0] > 0 if "Classifier" in type(trainer).__name__ else X[:, 0]
    with pytest.raises(fo.InvalidParameterError):
        trainer.fit(X, y)


def test_bad_data():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(fo.DataError, match="discrete labels|classification"):
        fo.RandomForestClassifier(n_estimators=2).fit(X, X[:, 0])
    with pytest.raises(fo.DataError):
        fo.DecisionTreeRegressor().fit(X, np.where(X[:, 0] > 0, "a", "b"))
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(fo.DataError):
        fo.DecisionTreeClassifier().fit(X_nan, X[:, 0] > 0)
    with pytest.raises(fo.DataError):
        fo.DecisionTreeRegressor().fit(X, X[:, 0], sample_weight=np.zeros(20))
    for make in (fo.DecisionTreeClassifier, fo.DecisionTreeRegressor, fo.RandomForestClassifier):
        with pytest.raises(fo.NotFittedError):
            make().predict(np.zeros((1, 2)))
