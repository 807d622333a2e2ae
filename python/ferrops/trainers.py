"""Trainers (linfa-backed). Each is usable alone as a scikit-learn estimator or inside ``Pipeline``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._trees import DecisionTreeClassifier
from .pipeline import Trainer

__all__ = [
    "DecisionTreeClassifier",
    "ElasticNet",
    "Lasso",
    "LinearRegression",
    "LogisticRegression",
]


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
        self, C: float = 1.0, max_iter: int = 100, tol: float = 1e-4, fit_intercept: bool = True, solver: str = "lbfgs"
    ) -> None:
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.solver = solver

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "c": self.C,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "fit_intercept": self.fit_intercept,
            "solver": self.solver,
        }

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
    ``max_iter``, ``tol``. (There is no ``Ridge``: ferrops' ridge penalty is
    ``ElasticNet(l1_ratio=0)``, whose ``alpha`` is scikit-learn's ``Ridge`` alpha divided by
    the number of rows, so no fixed mapping exists.)

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
