"""Trainers (linfa-backed). Each is usable alone as a scikit-learn estimator or inside ``Pipeline``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from . import _core
from ._trees import DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier, RandomForestRegressor
from .pipeline import Trainer

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ElasticNet",
    "GaussianNB",
    "Lasso",
    "LinearRegression",
    "LinearSVC",
    "LogisticRegression",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "Ridge",
]


def _class_weight_spec(class_weight: Any) -> Any:
    """The Rust ``ClassWeight`` form of a scikit-learn ``class_weight`` argument."""
    if class_weight is None or isinstance(class_weight, str):
        return class_weight
    if not isinstance(class_weight, dict):
        raise _core.InvalidParameterError(
            f"invalid parameter `class_weight` = {class_weight!r}: give None, 'balanced' or a dict {{label: weight}}"
        )
    pairs = []
    for label, weight in class_weight.items():
        if hasattr(label, "item") and callable(label.item):  # numpy scalars
            label = label.item()
        if isinstance(label, float) and label.is_integer():
            label = int(label)
        if not isinstance(label, (bool, int, str)):
            raise _core.InvalidParameterError(
                f"invalid parameter `class_weight`: label {label!r} must be a string, integer or boolean"
            )
        pairs.append([label, float(weight)])
    return {"per_class": pairs}


def _array(value: Any) -> np.ndarray:
    """An ndarray from its serde JSON form ``{"v": 1, "dim": [...], "data": [...]}``."""
    return np.asarray(value["data"], dtype=np.float64).reshape(value["dim"])


class LogisticRegression(Trainer):
    """L2-regularised logistic regression (binary or multinomial), as scikit-learn's
    ``LogisticRegression(solver="lbfgs")``.

    Parameters
    ----------
    C : float, default 1.0
        Inverse regularisation strength (> 0): the objective is
        ``mean(sample_weight * log_loss) + ||W||² / (2 C sum(sample_weight))``, intercept unpenalised.
    max_iter : int, default 100
        L-BFGS iterations.
    tol : float, default 1e-4
        Stop when every component of the objective's gradient is at most ``tol`` in
        absolute value (scipy's ``gtol``, as scikit-learn's lbfgs).
    fit_intercept : bool, default True
        Learn a bias term.
    solver : {"lbfgs", "linfa"}, default "lbfgs"
        ``"lbfgs"``: L-BFGS (argmin) on the objective above, evaluated in parallel and on
        one-hot codes when the pipeline ends with a ``OneHotEncoder``; supports
        ``sample_weight``. ``"linfa"``: linfa-logistic, dense only, no sample weights,
        penalises the intercept too.
    class_weight : dict, "balanced" or None, default None
        As scikit-learn: each row's sample weight is multiplied by its class's weight.
        ``"balanced"`` is ``n_samples / (n_classes * bincount(y))`` (with ``sample_weight``,
        sums of sample weights, as scikit-learn 1.9); a dict maps labels to weights, other
        classes get 1. A label that is not a class of ``y`` raises ``InvalidParameterError``
        (scikit-learn ignores it when every class is named). ``"lbfgs"`` only.

    Fitted attributes: ``coef_`` (``(1, features)`` binary, ``(classes, features)``
    multinomial), ``intercept_``, ``n_iter_`` (``None`` for ``"linfa"``), ``classes_``.

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = fo.LogisticRegression(C=10.0).fit(X, ["no", "no", "yes", "yes"])
    >>> model.predict([[0.2], [2.8]]).tolist()
    ['no', 'yes']
    """

    _tag = "logistic_regression"

    def __init__(
        self,
        C: float = 1.0,
        max_iter: int = 100,
        tol: float = 1e-4,
        fit_intercept: bool = True,
        solver: str = "lbfgs",
        class_weight: Any = None,
    ) -> None:
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.class_weight = class_weight

    def _spec(self) -> dict[str, Any]:
        spec = {
            "type": self._tag,
            "c": self.C,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "fit_intercept": self.fit_intercept,
            "solver": self.solver,
        }
        class_weight = _class_weight_spec(getattr(self, "class_weight", None))
        if class_weight is not None:
            spec["class_weight"] = class_weight
        return spec

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and labels ``y``. Returns self."""
        super().fit(X, y, sample_weight=sample_weight)
        model = json.loads(self.pipeline_.fitted_.model_json())
        rows, cols = model["coef"]["dim"]
        self.coef_ = np.asarray(model["coef"]["data"], dtype=np.float64).reshape(rows, cols)
        self.intercept_ = np.asarray(model["intercept"]["data"], dtype=np.float64)
        self.n_iter_ = model.get("n_iter")
        return self


class _LinearRegressor(Trainer):
    """Shared by the linear regressors: exposes the fitted ``coef_`` and ``intercept_``."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and real values ``y``. Returns self.

        ``sample_weight`` is not supported (the linfa solvers ignore weights): giving it
        raises ``InvalidParameterError``.
        """
        super().fit(X, y, sample_weight=sample_weight)
        model = json.loads(self.pipeline_.fitted_.model_json())
        self.coef_ = np.asarray(model["coef"]["data"], dtype=np.float64)
        self.intercept_ = float(model["intercept"])
        return self


class LinearRegression(_LinearRegressor):
    """Ordinary least squares, as scikit-learn's ``LinearRegression`` (linfa-linear, QR solve).

    Parameters
    ----------
    fit_intercept : bool, default True
        Learn a bias term; ``False`` fits a line through the origin.

    Fitted attributes: ``coef_`` (one per feature), ``intercept_``; ``classes_`` is None and
    ``score`` is R². (Nearly) collinear features raise ``TrainingError`` instead of
    scikit-learn's minimum-norm solution; drop the redundant columns or use ``ElasticNet``
    with ``l1_ratio=0``. ``sample_weight`` is not supported (``InvalidParameterError``).

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = fo.LinearRegression().fit(X, 2 * X[:, 0] + 1)
    >>> model.predict([[4.0]]).round(6).tolist()
    [9.0]
    """

    _tag = "linear_regression"

    def __init__(self, fit_intercept: bool = True) -> None:
        self.fit_intercept = fit_intercept

    def _spec(self) -> dict[str, Any]:
        return {"type": self._tag, "fit_intercept": self.fit_intercept}


class ElasticNet(_LinearRegressor):
    """Elastic net linear regression, scikit-learn's ``ElasticNet`` objective (coordinate descent, linfa).

    Minimises ``1/(2n) ||y - Xw - b||² + alpha * l1_ratio * ||w||₁ + 0.5 * alpha * (1 - l1_ratio) * ||w||²``.

    Parameters
    ----------
    alpha : float, default 1.0
        Overall penalty strength, ``>= 0``.
    l1_ratio : float, default 0.5
        Share of the L1 penalty in ``[0, 1]``: ``1`` is the lasso, ``0`` a ridge penalty
        (in scikit-learn's ``Ridge`` terms, ``Ridge(alpha=n_samples * alpha)``).
    fit_intercept : bool, default True
        Learn an unpenalised bias term (X and y are centred, as scikit-learn does).
    max_iter : int, default 1000
        Maximum coordinate-descent sweeps; stopping there is not an error (scikit-learn warns).
    tol : float, default 1e-4
        Duality-gap tolerance, relative to ``||y||²``, as scikit-learn.

    Fitted attributes: ``coef_``, ``intercept_``; ``classes_`` is None and ``score`` is R².
    ``sample_weight`` is not supported (``InvalidParameterError``).

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> model = fo.ElasticNet(alpha=0.01, l1_ratio=0.5).fit(X, X[:, 0] * 3.0)
    >>> bool(model.score(X, X[:, 0] * 3.0) > 0.99)
    True
    """

    _tag = "elastic_net"

    def __init__(
        self,
        alpha: float = 1.0,
        l1_ratio: float = 0.5,
        fit_intercept: bool = True,
        max_iter: int = 1000,
        tol: float = 1e-4,
    ) -> None:
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "alpha": self.alpha,
            "l1_ratio": self.l1_ratio,
            "fit_intercept": self.fit_intercept,
            "max_iter": self.max_iter,
            "tol": self.tol,
        }


class Lasso(_LinearRegressor):
    """The lasso, exactly scikit-learn's ``Lasso(alpha)``: ``ElasticNet`` with ``l1_ratio=1``.

    Minimises ``1/(2n) ||y - Xw - b||² + alpha * ||w||₁`` (same scaling of ``alpha`` as
    scikit-learn). Parameters as ``ElasticNet``: ``alpha`` (``>= 0``), ``fit_intercept``,
    ``max_iter``, ``tol``. (For a ridge penalty use ``Ridge``, which is scikit-learn's
    ``Ridge``; ``ElasticNet(l1_ratio=0, alpha=a)`` is ``Ridge(alpha=n_samples * a)``.)

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> fo.Lasso(alpha=0.1).fit(X, X[:, 0] * 3.0).coef_.round(3).tolist()
    [2.92, -0.0]
    """

    _tag = "elastic_net"

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True, max_iter: int = 1000, tol: float = 1e-4) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "alpha": self.alpha,
            "l1_ratio": 1.0,
            "fit_intercept": self.fit_intercept,
            "max_iter": self.max_iter,
            "tol": self.tol,
        }


class Ridge(_LinearRegressor):
    """L2-penalised least squares, exactly scikit-learn's ``Ridge(alpha, fit_intercept)``.

    Minimises ``sum(sample_weight * (y - Xw - b)²) + alpha * ||w||²`` in closed form (as
    scikit-learn's ``solver="cholesky"``: weighted centring, then a Cholesky solve of
    ``(XᵀX + alpha I) w = Xᵀy``).

    Parameters
    ----------
    alpha : float, default 1.0
        Penalty strength, ``>= 0`` (the same scale as scikit-learn's ``Ridge``; not divided
        by the number of rows as ``ElasticNet``'s is).
    fit_intercept : bool, default True
        Learn an unpenalised bias term.

    Fitted attributes: ``coef_``, ``intercept_``; ``classes_`` is None and ``score`` is R².
    ``fit`` accepts ``sample_weight``. ``alpha=0`` with collinear features raises
    ``TrainingError``.

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> fo.Ridge(alpha=1.0).fit(X, 2 * X[:, 0]).coef_.round(4).tolist()
    [1.6667]
    """

    _tag = "ridge"

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def _spec(self) -> dict[str, Any]:
        return {"type": self._tag, "alpha": self.alpha, "fit_intercept": self.fit_intercept}

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and real values ``y``, optionally weighted. Returns self."""
        return super().fit(X, y, sample_weight=sample_weight)


class GaussianNB(Trainer):
    """Gaussian naive Bayes, as scikit-learn's ``GaussianNB`` (same estimates, same ``predict_proba``).

    Parameters
    ----------
    var_smoothing : float, default 1e-9
        ``var_smoothing * max(var(X, axis=0))`` is added to every per-class variance (``>= 0``).
    priors : array-like or None, default None
        Class priors in the order of ``classes_`` (sorted labels), non-negative and summing
        to 1; ``None`` estimates them from the (weighted) class frequencies.

    Fitted attributes: ``theta_`` and ``var_`` (``(classes, features)``), ``class_prior_``,
    ``class_count_``, ``epsilon_``, ``classes_``. ``fit`` accepts ``sample_weight``.

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [0.5], [3.0], [3.5]])
    >>> fo.GaussianNB().fit(X, ["a", "a", "b", "b"]).predict([[0.2], [3.1]]).tolist()
    ['a', 'b']
    """

    _tag = "gaussian_nb"

    def __init__(self, var_smoothing: float = 1e-9, priors: Any = None) -> None:
        self.var_smoothing = var_smoothing
        self.priors = priors

    def _spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self._tag, "var_smoothing": self.var_smoothing}
        if self.priors is not None:
            spec["priors"] = [float(p) for p in np.asarray(self.priors, dtype=np.float64).ravel()]
        return spec

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and labels ``y``, optionally weighted. Returns self."""
        super().fit(X, y, sample_weight=sample_weight)
        model = json.loads(self.pipeline_.fitted_.model_json())
        self.theta_ = _array(model["theta"])
        self.var_ = _array(model["var"])
        self.class_prior_ = _array(model["class_prior"])
        self.class_count_ = _array(model["class_count"])
        self.epsilon_ = float(model["epsilon"])
        return self


class LinearSVC(Trainer):
    """Linear support vector classifier: the hinge-loss soft-margin SVM of scikit-learn's
    ``SVC(kernel="linear")`` (libsvm's SMO, via linfa-svm).

    Not scikit-learn's ``LinearSVC``, which by default minimises the *squared* hinge loss
    and penalises the intercept. Two classes: one problem, exactly ``SVC``'s. Three or
    more: one-vs-rest (as ``OneVsRestClassifier(SVC(kernel="linear"))``; ``SVC`` itself is
    one-vs-one), predicting the class with the largest decision value.

    Parameters
    ----------
    C : float, default 1.0
        Hinge-loss weight (inverse regularisation), ``> 0``.
    tol : float, default 1e-3
        SMO stopping tolerance (``SVC``'s ``tol``).
    class_weight : dict, "balanced" or None, default None
        Multiplies ``C`` per class, as ``SVC``. With three or more classes only
        ``"balanced"`` (computed on each one-vs-rest problem).

    Fitted attributes: ``coef_`` (``(1, features)`` for two classes, ``(classes, features)``
    otherwise), ``intercept_``, ``classes_``. No ``predict_proba`` (use ``decision_function``,
    or ``LogisticRegression`` for probabilities); no ``sample_weight``. The solver keeps a
    ``rows x rows`` kernel matrix: at most 12 000 training rows.

    >>> import ferrops as fo, numpy as np
    >>> X = np.array([[0.0], [1.0], [3.0], [4.0]])
    >>> fo.LinearSVC().fit(X, ["no", "no", "yes", "yes"]).predict([[0.5], [3.5]]).tolist()
    ['no', 'yes']
    """

    _tag = "linear_svc"

    def __init__(self, C: float = 1.0, tol: float = 1e-3, class_weight: Any = None) -> None:
        self.C = C
        self.tol = tol
        self.class_weight = class_weight

    def _spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self._tag, "c": self.C, "tol": self.tol}
        class_weight = _class_weight_spec(self.class_weight)
        if class_weight is not None:
            spec["class_weight"] = class_weight
        return spec

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and labels ``y``. Returns self.

        ``sample_weight`` is not supported (``InvalidParameterError``); use ``class_weight``.
        """
        super().fit(X, y, sample_weight=sample_weight)
        model = json.loads(self.pipeline_.fitted_.model_json())
        self.coef_ = _array(model["coef"])
        self.intercept_ = _array(model["intercept"])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Signed distances to the hyperplane(s): ``(rows,)`` for two classes (positive means
        ``classes_[1]``), ``(rows, classes)`` otherwise."""
        features = np.asarray(self._check().transform(X), dtype=np.float64)
        scores = features @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    @property
    def predict_proba(self) -> Any:  # type: ignore[override]
        """Not available: raises ``AttributeError`` (as scikit-learn's ``SVC(probability=False)``)."""
        raise AttributeError(
            "LinearSVC gives no class probabilities: use decision_function, or LogisticRegression "
            "when probabilities are needed"
        )
