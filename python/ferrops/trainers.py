"""Trainers (linfa-backed). Each is usable alone as a scikit-learn estimator or inside ``Pipeline``."""

from __future__ import annotations

from typing import Any

from .pipeline import Trainer


class LogisticRegression(Trainer):
    """L2-regularised logistic regression (binary or multinomial), L-BFGS via linfa.

    Parameters follow scikit-learn: ``C`` (inverse regularisation, > 0), ``max_iter``,
    ``tol``, ``fit_intercept``. Unlike scikit-learn, the intercept is also penalised.
    """

    _tag = "logistic_regression"

    def __init__(self, C: float = 1.0, max_iter: int = 100, tol: float = 1e-4, fit_intercept: bool = True) -> None:
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept

    def _spec(self) -> dict[str, Any]:
        return {
            "type": self._tag,
            "c": self.C,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "fit_intercept": self.fit_intercept,
        }
