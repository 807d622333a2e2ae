"""``Pipeline`` (transforms + trainer) and the fitted-pipeline helpers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core
from ._base import Spec, Transform
from ._io import OUTPUTS, array_output, convert_output, target_name, to_arrow, with_target


def training_table(X: Any, y: Any, target: str | None) -> tuple[Any, str | None]:
    """The Arrow table a fit reads and the name of its target column: ``X`` with ``y``
    appended (named by ``target_name``), or ``X`` itself when ``target`` names one of its
    columns."""
    table = to_arrow(X)
    if y is not None and target is not None:
        raise _core.InvalidParameterError("give either y or target=, not both")
    if y is not None:
        import pyarrow as pa

        if not isinstance(table, (pa.Table, pa.RecordBatch)):
            table = pa.table(table)
        target = target_name(table, y)
        table = with_target(table, y, target)
    return table, target


class Trainer(Spec):
    """Base of the trainers. A trainer is also a scikit-learn estimator on its own:
    ``LogisticRegression().fit(X, y).predict(X)`` (X all numeric)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit on ``X`` (numeric table or array) and labels/values ``y``. Returns self."""
        self.pipeline_ = Pipeline([], trainer=self).fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.pipeline_.classes_
        self.n_features_in_ = self.pipeline_.n_features_in_
        self.feature_names_in_ = self.pipeline_.feature_names_in_
        return self

    def _check(self) -> Pipeline:
        pipe = getattr(self, "pipeline_", None)
        if pipe is None:
            raise _core.NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return pipe

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (classifiers) or values (regressors)."""
        return self._check().predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes_``."""
        return self._check().predict_proba(X)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy (classifiers) or R² (regressors), as scikit-learn's ``score``."""
        pred = self.predict(X)
        y = np.asarray(y)
        if self.classes_ is not None:
            return float(np.mean(pred == y))
        y = y.astype(float)
        ss_res = float(np.sum((y - pred) ** 2))
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        return 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0


class Pipeline(Spec):
    """Feature transforms applied in order, then an optional trainer.

    >>> import ferrops as fo
    >>> pipe = fo.Pipeline(
    ...     [fo.SimpleImputer(strategy="median"), fo.StandardScaler(), fo.OneHotEncoder(["city"])],
    ...     trainer=fo.LogisticRegression(),
    ... )

    ``fit(X, y)`` or ``fit(X, target="column")``; ``predict``, ``predict_proba``,
    ``transform``, ``predict_row`` (one dict, the serving fast path), ``save``.

    When the last step is a ``OneHotEncoder``, its indicator columns are never built
    densely for the model: they stay as category codes, so fitting and predicting cost
    one operation per encoded column instead of one per category. With
    ``sparse_output=True``, ``transform`` returns the same data as a
    ``scipy.sparse.csr_matrix`` (as scikit-learn's ``ColumnTransformer`` does for
    one-hot output) instead of a dense table.
    """

    def __init__(
        self, steps: Sequence[Transform] = (), trainer: Trainer | None = None, sparse_output: bool = False
    ) -> None:
        self.steps = steps
        self.trainer = trainer
        self.sparse_output = sparse_output

    def _spec(self) -> dict[str, Any]:  # pragma: no cover - pipelines are not nested specs
        raise TypeError("a Pipeline has no single spec")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params: dict[str, Any] = {
            "steps": self.steps,
            "trainer": self.trainer,
            "sparse_output": getattr(self, "sparse_output", False),
        }
        if deep:
            for i, step in enumerate(self.steps):
                for key, value in step.get_params(deep=False).items():
                    params[f"steps__{i}__{key}"] = value
            if self.trainer is not None:
                for key, value in self.trainer.get_params(deep=False).items():
                    params[f"trainer__{key}"] = value
        return params

    def set_params(self, **params: Any) -> Pipeline:
        for key, value in params.items():
            if key in ("steps", "trainer", "sparse_output"):
                setattr(self, key, value)
            elif key.startswith("trainer__") and self.trainer is not None:
                self.trainer.set_params(**{key[len("trainer__") :]: value})
            elif key.startswith("steps__"):
                _, index, name = key.split("__", 2)
                self.steps[int(index)].set_params(**{name: value})
            else:
                raise _core.InvalidParameterError(f"invalid parameter {key!r} for Pipeline")
        return self

    def fit(self, X: Any, y: Any = None, *, target: str | None = None, sample_weight: Any = None) -> Pipeline:
        """Fit every step and the trainer. Give the target as ``y`` or as the name of a column of ``X``.

        Returns self. The fitted pipeline records the input columns and types: predicting
        on a table without one of them, or with a mistyped one, raises ``SchemaError``.
        """
        table, target = training_table(X, y, target)
        if self.trainer is not None and target is None:
            raise _core.InvalidParameterError("this pipeline has a trainer: pass y or target=")
        weights = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
        specs = [step._spec_json() for step in self.steps]
        trainer = self.trainer._spec_json() if self.trainer is not None else None
        self.fitted_ = _core.FittedPipeline.fit(specs, trainer, table, target if trainer else None, weights)
        self._set_fitted_attributes()
        return self

    def _set_fitted_attributes(self) -> None:
        fitted = self.fitted_
        self.feature_names_in_ = [name for name, _ in fitted.signature]
        self.n_features_in_ = len(self.feature_names_in_)
        classes = fitted.classes
        self.classes_ = None if classes is None else np.asarray(classes)

    def _check(self) -> Any:
        fitted = getattr(self, "fitted_", None)
        if fitted is None:
            raise _core.NotFittedError("this Pipeline is not fitted yet: call fit first")
        return fitted

    def _input(self, X: Any) -> Any:
        return to_arrow(X, self.feature_names_in_ if isinstance(X, (np.ndarray, list)) else None)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (in their original type) or values."""
        return array_output(self._check().predict(self._input(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        return self._check().predict_proba(self._input(X))

    def transform(self, X: Any) -> Any:
        """Run the fitted transforms only. Output follows ``set_output`` (numpy by default),
        or is a ``scipy.sparse.csr_matrix`` with ``sparse_output=True``."""
        if getattr(self, "sparse_output", False):
            return self.transform_sparse(X)
        return convert_output(self._check().transform(self._input(X)), getattr(self, "_output", "default"))

    def transform_sparse(self, X: Any) -> Any:
        """The transformed features as a ``scipy.sparse.csr_matrix`` (float64, columns as
        ``get_feature_names_out``); needs scipy. Every output column must be numeric."""
        try:
            from scipy import sparse
        except ImportError as e:  # pragma: no cover - scipy comes with scikit-learn
            raise ImportError("sparse output needs scipy: pip install scipy") from e
        data, indices, indptr, width = self._check().transform_csr(self._input(X))
        return sparse.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, width))

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """``fit(X, y).transform(X)``."""
        return self.fit(X, y, **fit_params).transform(X)

    def predict_row(self, row: dict[str, Any]) -> Any:
        """Predict one row given as ``{column: value}`` without building a table: the serving path.

        Returns the label (or value). Use ``predict_row_proba`` for probabilities.
        """
        return self._check().predict_row(row)[0]

    def predict_row_proba(self, row: dict[str, Any]) -> list[float] | None:
        """Class probabilities for one row."""
        return self._check().predict_row(row)[1]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the columns the transforms output (the model's inputs)."""
        return np.asarray(self._check().feature_names_out, dtype=object)

    def set_output(self, *, transform: str | None = None) -> Pipeline:
        """Choose ``transform``'s output: ``"default"``/``"numpy"``, ``"pandas"``, ``"polars"`` or ``"pyarrow"``."""
        if transform is not None:
            if transform not in OUTPUTS:
                raise _core.InvalidParameterError(f"set_output(transform={transform!r}): choose one of {OUTPUTS}")
            self._output = transform
        return self

    def save(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Save the fitted pipeline to a new directory (manifest + SHA-256 of every file). Returns the manifest."""
        import json

        return json.loads(self._check().save(os.fspath(path)))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Pipeline:
        """Load a pipeline saved by ``save``; every file's hash is verified, nothing is executed."""
        return cls._from_fitted(_core.FittedPipeline.load(os.fspath(path)))

    @classmethod
    def _from_fitted(cls, fitted: Any) -> Pipeline:
        pipe = cls([], None, sparse_output=False)
        pipe.fitted_ = fitted
        pipe._set_fitted_attributes()
        return pipe


def load(path: str | os.PathLike[str]) -> Pipeline:
    """Load a fitted pipeline saved by ``Pipeline.save`` (hashes verified, no code executed)."""
    return Pipeline.load(path)
