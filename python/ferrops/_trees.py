"""Decision trees and random forests (the tree learner of ``crates/core/src/train/tree.rs``)."""

from __future__ import annotations

from typing import Any

from .pipeline import Trainer


class DecisionTreeClassifier(Trainer):
    """CART-style decision tree classifier (linfa-trees), with class probabilities.

    Parameters
    ----------
    criterion : {"gini", "entropy"}, default "gini"
        Split quality: Gini impurity or Shannon entropy (information gain).
    max_depth : int or None, default None
        Maximum depth (the root has depth 0), ``>= 1``; ``None`` grows until pure.
    min_samples_split : int, default 2
        Fewest rows (not weight) a node needs to be split, ``>= 2``.
    min_weight_leaf : float, default 1.0
        Least total sample weight each child of a split must get (the row count when
        unweighted); ``> 0``. scikit-learn's closest is ``min_weight_fraction_leaf``/``min_samples_leaf``.
    min_impurity_decrease : float, default 1e-5
        Least impurity decrease a split must bring, ``>= 2.2e-16`` (linfa needs it positive).
        Unlike scikit-learn it is ``impurity(node) - weighted impurity(children)``, not scaled by
        the node's share of the rows.

    Differences from scikit-learn: no feature subsampling or randomness (ties between equally
    good splits are broken differently), sibling leaves predicting the same class are merged,
    a row goes left when ``x < threshold``. ``sample_weight`` is supported. ``predict_proba``
    gives the leaf's weighted class distribution; ``score`` is accuracy.

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
        min_samples_split: int = 2,
        min_weight_leaf: float = 1.0,
        min_impurity_decrease: float = 1e-5,
    ) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_weight_leaf = min_weight_leaf
        self.min_impurity_decrease = min_impurity_decrease

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "criterion": self.criterion,
            "max_depth": self.max_depth,
            "min_samples_split": self.min_samples_split,
            "min_weight_leaf": self.min_weight_leaf,
            "min_impurity_decrease": self.min_impurity_decrease,
        }
