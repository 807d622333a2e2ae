"""Decision trees and random forests (the CART learner of ``crates/core/src/train/tree.rs``
and the forests of ``crates/core/src/train/forest.rs``).

The trees follow scikit-learn's ``DecisionTreeClassifier`` / ``DecisionTreeRegressor``
(``splitter="best"``) split for split; the forests follow ``RandomForestClassifier`` /
``RandomForestRegressor``. Parameter names and ranges are scikit-learn's. What differs:

- ``random_state`` seeds ferrops's own generator (``None`` means seed 0, so every fit is
  reproducible): the same data, parameters and seed give the same model bit for bit, on
  any number of threads, but not scikit-learn's model for the same ``random_state``.
  A single tree with ``max_features=None`` only uses the seed to break exact ties
  between equally good splits; scikit-learn does the same with its own generator.
- Features are used in float64 (scikit-learn rounds them to float32 first); on data
  exactly representable in float32 the thresholds are identical.
- A node whose classes are pure is never split (scikit-learn sometimes splits a pure
  node into two pure children when rounding leaves its impurity just above zero).
- Missing values (NaN) are rejected at fit: impute them first. At prediction a NaN goes to
  the child that received more training rows, as in scikit-learn.
- ``splitter="random"``, ``max_leaf_nodes``, ``ccp_alpha``, ``monotonic_cst``, ``warm_start``
  and ``n_jobs`` are not offered (the forests use rayon's thread pool; set
  ``RAYON_NUM_THREADS`` to limit it).
"""

from __future__ import annotations

import base64
import json
import numbers
from typing import Any

import numpy as np

from . import _core
from .model_selection import _seed
from .pipeline import Trainer


def _class_weight_spec(class_weight: Any, forest: bool) -> Any:
    """The Rust ``ClassWeight`` JSON form of scikit-learn's ``class_weight``."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        allowed = ("balanced", "balanced_subsample") if forest else ("balanced",)
        if class_weight not in allowed:
            raise _core.InvalidParameterError(
                f"invalid parameter class_weight={class_weight!r}: must be None, a dict or one of {list(allowed)}"
            )
        return class_weight
    if isinstance(class_weight, dict):
        entries = []
        for label, weight in class_weight.items():
            if isinstance(label, (bool, np.bool_)):
                label = bool(label)
            elif isinstance(label, numbers.Integral):
                label = int(label)
            elif isinstance(label, numbers.Real) and float(label).is_integer():
                label = int(float(label))
            elif not isinstance(label, str):
                raise _core.InvalidParameterError(
                    f"invalid parameter class_weight: label {label!r} must be a string, an integer or a boolean"
                )
            entries.append([label, weight])
        return {"per_class": entries}
    raise _core.InvalidParameterError(
        f"invalid parameter class_weight={class_weight!r}: must be None, 'balanced' or a dict label -> weight"
    )


def _model(est: Any) -> dict[str, Any]:
    """The fitted model of a wrapper, as its JSON form."""
    text = est.pipeline_.fitted_.model_json()
    if text is None:  # pragma: no cover - a trainer's pipeline always has a model
        raise _core.NotFittedError(f"this {type(est).__name__} has no fitted model")
    model: dict[str, Any] = json.loads(text)
    return model


def _tree_params(est: Any) -> dict[str, Any]:
    """The parameters every tree trainer shares, in their Rust JSON form."""
    return {
        "criterion": est.criterion,
        "max_depth": est.max_depth,
        "min_samples_split": est.min_samples_split,
        "min_samples_leaf": est.min_samples_leaf,
        "min_weight_fraction_leaf": est.min_weight_fraction_leaf,
        "max_features": est.max_features,
        "min_impurity_decrease": est.min_impurity_decrease,
        "seed": _seed(est.random_state),
    }


_PACKED = {"f64le:": "<f8", "u32le:": "<u4", "u64le:": "<u8"}


def _unpack(value: Any, dtype: Any) -> np.ndarray:
    """A node array from the model JSON: a packed ``"f64le:<base64>"`` (or ``u32le``,
    ``u64le``) string, as ferrops writes tree arrays, or a plain JSON list."""
    if isinstance(value, str):
        for prefix, layout in _PACKED.items():
            if value.startswith(prefix):
                raw = np.frombuffer(base64.b64decode(value[len(prefix) :]), dtype=layout)
                return raw.astype(dtype)
        raise _core.DataError(f"unknown packed array format: {value[:12]!r}")
    return np.asarray(value, dtype=dtype)


class TreeArrays:
    """The node arrays of a fitted tree, shaped as scikit-learn's ``tree_``.

    Attributes: ``node_count``, ``max_depth``, ``n_leaves``, ``children_left`` and
    ``children_right`` (``-1`` at leaves), ``feature`` (``-2`` at leaves), ``threshold``
    (``-2.0`` at leaves; a row goes left when ``x <= threshold``), ``impurity``,
    ``n_node_samples``, ``weighted_n_node_samples`` and ``value`` (``(nodes, 1, classes)``
    class fractions for classifiers, ``(nodes, 1, 1)`` means for regressors).
    """

    def __init__(self, model: dict[str, Any]) -> None:
        nodes = model["nodes"]
        left = _unpack(nodes["left"], np.intp)
        right = _unpack(nodes["right"], np.intp)
        leaf = left == 0
        self.node_count = int(left.shape[0])
        self.children_left = np.where(leaf, -1, left)
        self.children_right = np.where(leaf, -1, right)
        self.feature = np.where(leaf, -2, _unpack(nodes["feature"], np.intp))
        self.threshold = np.where(leaf, -2.0, _unpack(nodes["threshold"], np.float64))
        self.impurity = _unpack(nodes["impurity"], np.float64)
        self.n_node_samples = _unpack(nodes["n_samples"], np.intp)
        self.weighted_n_node_samples = _unpack(nodes["weight"], np.float64)
        if "proba" in model:
            proba = model["proba"]
            rows, cols = proba.get("shape") or proba["dim"]
            self.value = _unpack(proba["data"], np.float64).reshape(rows, 1, cols)
        else:
            self.value = _unpack(model["value"], np.float64).reshape(-1, 1, 1)
        depth = np.zeros(self.node_count, dtype=np.intp)
        for i in range(self.node_count):  # children come after their parent
            if not leaf[i]:
                depth[left[i]] = depth[i] + 1
                depth[right[i]] = depth[i] + 1
        self.max_depth = int(depth.max())
        self.n_leaves = int(leaf.sum())
        self.n_features = int(nodes["n_features"])

    def feature_importances(self) -> np.ndarray:
        """Mean decrease in impurity per feature, normalised to sum to 1 (scikit-learn's)."""
        out = np.zeros(self.n_features)
        w, imp = self.weighted_n_node_samples, self.impurity
        for i in np.flatnonzero(self.children_left >= 0):
            left, right = self.children_left[i], self.children_right[i]
            out[self.feature[i]] += w[i] * imp[i] - w[left] * imp[left] - w[right] * imp[right]
        total = out.sum()
        return out / total if total > 0 else out


class _TreeBase(Trainer):
    """Shared by the tree wrappers: ``tree_``, ``get_depth``, ``get_n_leaves``, ``feature_importances_``."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and ``y``; ``sample_weight`` is optional. Returns self."""
        super().fit(X, y, sample_weight=sample_weight)
        self.tree_ = TreeArrays(_model(self))
        self.n_outputs_ = 1
        if self.classes_ is not None:
            self.n_classes_ = len(self.classes_)
        self.max_features_ = int(
            _resolve_max_features(self.max_features, self.n_features_in_)  # type: ignore[attr-defined]
        )
        return self

    def get_depth(self) -> int:
        """Depth of the fitted tree (a lone root has depth 0)."""
        self._check()
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        """Number of leaves of the fitted tree."""
        self._check()
        return self.tree_.n_leaves

    @property
    def feature_importances_(self) -> np.ndarray:
        """Impurity-based importances (mean decrease in impurity), summing to 1."""
        self._check()
        return self.tree_.feature_importances()


def _resolve_max_features(max_features: Any, n_features: int) -> int:
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, numbers.Integral):
        return int(max_features)
    return max(1, int(max_features * n_features))


class DecisionTreeClassifier(_TreeBase):
    """A CART decision tree classifier, as scikit-learn's ``DecisionTreeClassifier``.

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss"}, default "gini"
        Split quality: Gini impurity, or Shannon entropy in bits (``"log_loss"`` is a synonym).
    max_depth : int or None, default None
        Maximum depth (the root has depth 0), ``>= 1``; ``None`` grows until the leaves are
        pure or another limit stops it.
    min_samples_split : int or float, default 2
        Fewest rows a node needs to be split: an int ``>= 2``, or a float in ``(0, 1]``,
        a fraction of the rows (rounded up).
    min_samples_leaf : int or float, default 1
        Fewest rows each child of a split must get: an int ``>= 1`` or a fraction in ``(0, 1)``.
    min_weight_fraction_leaf : float, default 0.0
        Least share of the total sample weight each child must get, in ``[0, 0.5]``.
    max_features : int, float, {"sqrt", "log2"} or None, default None
        Features drawn at random as split candidates at each node; ``None`` is all.
    random_state : int or None, default None
        Seed of the order features are drawn in (``None`` is seed 0). It only breaks
        exact ties when ``max_features`` is ``None``.
    min_impurity_decrease : float, default 0.0
        A split must decrease the weighted impurity
        ``N_t / N * (impurity - N_t_R / N_t * right_impurity - N_t_L / N_t * left_impurity)``
        by at least this (``>= 0``).
    class_weight : dict, "balanced" or None, default None
        Weights multiplied into the sample weights per class: ``{label: weight}`` (classes
        not named get 1) or ``"balanced"``, ``n_samples / (n_classes * count(class))``.

    Fitted attributes: ``classes_``, ``n_classes_``, ``n_features_in_``,
    ``feature_names_in_``, ``max_features_``, ``tree_`` (:class:`TreeArrays`, scikit-learn's
    ``tree_`` layout), ``feature_importances_``; methods ``get_depth()``, ``get_n_leaves()``.
    ``predict_proba`` gives the weighted class distribution of the leaf; ``predict`` its most
    probable class (ties to the first in ``classes_``); ``score`` is accuracy.

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> fo.DecisionTreeClassifier(max_depth=1).fit(X, ["a", "a", "b", "b"]).predict([[0.5], [12.0]]).tolist()
    ['a', 'b']
    """

    _tag = "decision_tree"

    def __init__(
        self,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int | float = 2,
        min_samples_leaf: int | float = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: int | float | str | None = None,
        random_state: int | None = None,
        min_impurity_decrease: float = 0.0,
        class_weight: dict[Any, float] | str | None = None,
    ) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.min_impurity_decrease = min_impurity_decrease
        self.class_weight = class_weight

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            **_tree_params(self),
            "class_weight": _class_weight_spec(self.class_weight, forest=False),
        }


class DecisionTreeRegressor(_TreeBase):
    """A CART regression tree, as scikit-learn's ``DecisionTreeRegressor``.

    Parameters
    ----------
    criterion : {"squared_error"}, default "squared_error"
        Split quality: the weighted variance of the target.
    max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_features, \
random_state, min_impurity_decrease
        As :class:`DecisionTreeClassifier`.

    Fitted attributes: ``n_features_in_``, ``feature_names_in_``, ``max_features_``,
    ``tree_``, ``feature_importances_``; ``classes_`` is None. ``predict`` gives the weighted
    mean target of the leaf; ``score`` is R².

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> fo.DecisionTreeRegressor(max_depth=1).fit(X, [1.0, 2.0, 10.0, 12.0]).predict([[0.5], [12.0]]).tolist()
    [1.5, 11.0]
    """

    _tag = "decision_tree_regressor"

    def __init__(
        self,
        criterion: str = "squared_error",
        max_depth: int | None = None,
        min_samples_split: int | float = 2,
        min_samples_leaf: int | float = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: int | float | str | None = None,
        random_state: int | None = None,
        min_impurity_decrease: float = 0.0,
    ) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.min_impurity_decrease = min_impurity_decrease

    def _spec(self) -> dict[str, Any]:
        return {"type": self._tag, **_tree_params(self)}


class _ForestBase(Trainer):
    """Shared by the forest wrappers: ``estimators_`` and ``feature_importances_`` (parsed on demand)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and ``y``; ``sample_weight`` is optional. Returns self."""
        super().fit(X, y, sample_weight=sample_weight)
        self.n_outputs_ = 1
        if self.classes_ is not None:
            self.n_classes_ = len(self.classes_)
        self._trees: list[TreeArrays] | None = None
        if self.oob_score:  # type: ignore[attr-defined]
            model = _model(self)
            self._trees = [TreeArrays(t) for t in model["trees"]]
            self.oob_score_ = float(model["oob_score"])
        return self

    @property
    def estimators_(self) -> list[TreeArrays]:
        """The fitted trees' node arrays (:class:`TreeArrays`), in order."""
        self._check()
        if getattr(self, "_trees", None) is None:
            model = _model(self)
            self._trees = [TreeArrays(t) for t in model["trees"]]
        return self._trees  # type: ignore[return-value]

    @property
    def feature_importances_(self) -> np.ndarray:
        """Mean of the trees' impurity-based importances (trees that are a single leaf
        left out), normalised to sum to 1, as scikit-learn's."""
        per_tree = [t.feature_importances() for t in self.estimators_]
        per_tree = [v for v in per_tree if v.sum() > 0]
        if not per_tree:
            return np.zeros(self.n_features_in_)
        mean = np.mean(per_tree, axis=0)
        return mean / mean.sum()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_trees", None)
        return state


class RandomForestClassifier(_ForestBase):
    """A random forest classifier, as scikit-learn's ``RandomForestClassifier``.

    Each tree is a :class:`DecisionTreeClassifier` fitted on a bootstrap sample with
    ``max_features`` candidate features per split; ``predict_proba`` is the mean of the
    trees' probabilities and ``predict`` its most probable class. The trees are fitted in
    parallel; the result does not depend on the number of threads.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of trees, ``>= 1``.
    criterion, max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf, \
min_impurity_decrease
        As :class:`DecisionTreeClassifier`, for every tree.
    max_features : int, float, {"sqrt", "log2"} or None, default "sqrt"
        Features drawn as split candidates at each node.
    bootstrap : bool, default True
        Fit each tree on a bootstrap sample (rows drawn with replacement; with sample or class
        weights, drawn with probability proportional to the weight, as scikit-learn 1.9);
        ``False`` fits every tree on all rows.
    oob_score : bool, default False
        Score the forest on the out-of-bag rows (each row predicted by the trees whose
        bootstrap sample missed it): accuracy, in ``oob_score_``. Needs ``bootstrap=True``.
    random_state : int or None, default None
        Seed of every tree's generator (``None`` is seed 0).
    class_weight : dict, "balanced", "balanced_subsample" or None, default None
        As :class:`DecisionTreeClassifier`; ``"balanced"`` counts classes with their sample
        weights, ``"balanced_subsample"`` balances each bootstrap sample.
    max_samples : int, float or None, default None
        Rows per bootstrap sample: ``None`` as many as rows, an int ``>= 1``, or a float
        ``> 0`` (a fraction of the rows, or of the total weight when weighted). Needs
        ``bootstrap=True``.

    Fitted attributes: ``classes_``, ``n_classes_``, ``n_features_in_``,
    ``feature_names_in_``, ``estimators_`` (the trees' :class:`TreeArrays`),
    ``feature_importances_``, ``oob_score_`` (with ``oob_score=True``).

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    >>> model = fo.RandomForestClassifier(n_estimators=10, random_state=0).fit(X, ["a", "a", "a", "b", "b", "b"])
    >>> model.predict([[0.5], [12.0]]).tolist()
    ['a', 'b']
    """

    _tag = "random_forest_classifier"

    def __init__(
        self,
        n_estimators: int = 100,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int | float = 2,
        min_samples_leaf: int | float = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: int | float | str | None = "sqrt",
        min_impurity_decrease: float = 0.0,
        bootstrap: bool = True,
        oob_score: bool = False,
        random_state: int | None = None,
        class_weight: dict[Any, float] | str | None = None,
        max_samples: int | float | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.random_state = random_state
        self.class_weight = class_weight
        self.max_samples = max_samples

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "n_estimators": self.n_estimators,
            **_tree_params(self),
            "bootstrap": self.bootstrap,
            "max_samples": self.max_samples,
            "oob_score": self.oob_score,
            "class_weight": _class_weight_spec(self.class_weight, forest=True),
        }


class RandomForestRegressor(_ForestBase):
    """A random forest regressor, as scikit-learn's ``RandomForestRegressor``.

    Each tree is a :class:`DecisionTreeRegressor` on a bootstrap sample; ``predict`` is the
    mean of the trees. The trees are fitted in parallel; the result does not depend on the
    number of threads.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of trees, ``>= 1``.
    criterion, max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf, \
min_impurity_decrease
        As :class:`DecisionTreeRegressor`, for every tree.
    max_features : int, float, {"sqrt", "log2"} or None, default 1.0
        Features drawn as split candidates at each node (``1.0``: all, as scikit-learn).
    bootstrap, random_state, max_samples
        As :class:`RandomForestClassifier`.
    oob_score : bool, default False
        R² on the out-of-bag rows, in ``oob_score_``. Needs ``bootstrap=True``.

    Fitted attributes: ``n_features_in_``, ``feature_names_in_``, ``estimators_``,
    ``feature_importances_``, ``oob_score_`` (with ``oob_score=True``); ``classes_`` is None
    and ``score`` is R².

    >>> import ferrops as fo, numpy as np
    >>> X = np.arange(20.0).reshape(-1, 1)
    >>> model = fo.RandomForestRegressor(n_estimators=20, random_state=0).fit(X, (X[:, 0] > 9) * 5.0)
    >>> model.predict([[2.0], [17.0]]).round(1).tolist()
    [0.0, 5.0]
    """

    _tag = "random_forest_regressor"

    def __init__(
        self,
        n_estimators: int = 100,
        criterion: str = "squared_error",
        max_depth: int | None = None,
        min_samples_split: int | float = 2,
        min_samples_leaf: int | float = 1,
        min_weight_fraction_leaf: float = 0.0,
        max_features: int | float | str | None = 1.0,
        min_impurity_decrease: float = 0.0,
        bootstrap: bool = True,
        oob_score: bool = False,
        random_state: int | None = None,
        max_samples: int | float | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.random_state = random_state
        self.max_samples = max_samples

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "n_estimators": self.n_estimators,
            **_tree_params(self),
            "bootstrap": self.bootstrap,
            "max_samples": self.max_samples,
            "oob_score": self.oob_score,
        }
