"""Shared machinery of the scikit-learn-shaped wrappers.

Each wrapper keeps its constructor arguments as attributes (scikit-learn's rule, so
``get_params``, ``set_params`` and ``sklearn.base.clone`` work) and sends them to Rust as
the JSON form of the Rust parameter struct: ``{"type": <tag>, ...}``.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from . import _core
from ._io import OUTPUTS, convert_output, to_arrow

try:  # scikit-learn is optional; when present, our estimators are real BaseEstimators.
    from sklearn.base import BaseEstimator as _Base
except ImportError:  # pragma: no cover - exercised only without scikit-learn

    class _Base:  # type: ignore[no-redef]
        @classmethod
        def _get_param_names(cls) -> list[str]:
            sig = inspect.signature(cls.__init__)
            return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> Any:
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; valid: {valid}")
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"


def columns_spec(columns: Any, default: str) -> Any:
    """The Rust ``Columns`` form of a ``columns`` argument.

    ``None`` selects the transform's default; a string among ``"numeric"``, ``"string"``,
    ``"bool"``, ``"temporal"``, ``"all"`` selects by type; a list selects by name.
    """
    if columns is None:
        return default
    if isinstance(columns, str):
        by_type = {
            "numeric": "all_numeric",
            "string": "all_string",
            "bool": "all_bool",
            "temporal": "all_temporal",
            "all": "all",
        }
        if columns in by_type:
            return by_type[columns]
        return {"names": [columns]}
    return {"names": [str(c) for c in columns]}


class Spec(_Base):
    """An object described to Rust by a JSON spec."""

    _tag: str = ""

    def _spec(self) -> dict[str, Any]:
        params = self.get_params(deep=False)
        return {"type": self._tag, **params}

    def _spec_json(self) -> str:
        try:
            return json.dumps(_json_safe(self._spec()), allow_nan=False)
        except (TypeError, ValueError) as e:
            raise _core.InvalidParameterError(
                f"{type(self).__name__}: parameters must be finite numbers, strings, booleans or lists ({e})"
            ) from None


def _json_safe(value: Any) -> Any:
    """NaN (not valid JSON) becomes null, which the Rust side reads as NaN; tuples become lists."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


class Transform(Spec):
    """Base of the feature transforms: ``fit`` / ``transform`` / ``get_feature_names_out``."""

    _default_columns = "all_numeric"
    _output = "default"

    def _spec(self) -> dict[str, Any]:
        spec = super()._spec()
        spec["columns"] = columns_spec(spec.get("columns"), self._default_columns)
        return spec

    def fit(self, X: Any, y: Any = None) -> Any:
        """Learn the transform from ``X`` (pandas, polars, pyarrow or a 2-D numpy array). Returns self."""
        table = to_arrow(X)
        self._fitted = _core.FittedTransform.fit(self._spec_json(), table)
        names = self._fitted.feature_names_in
        self.feature_names_in_ = names
        self.n_features_in_ = len(names)
        state = json.loads(self._fitted.state_json())
        for key, value in state.items():
            if key != "type":
                setattr(self, f"{key}_", value)
        return self

    def _check_fitted(self) -> Any:
        fitted = getattr(self, "_fitted", None)
        if fitted is None:
            raise _core.NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return fitted

    def transform(self, X: Any) -> Any:
        """Apply the fitted transform. Output follows ``set_output`` (numpy by default)."""
        fitted = self._check_fitted()
        batch = fitted.transform(to_arrow(X, self.feature_names_in_ if _is_array(X) else None))
        return convert_output(batch, self._output)

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """``fit(X).transform(X)``."""
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """The output column names (for the columns seen at fit)."""
        import numpy as np

        return np.asarray(self._check_fitted().feature_names_out(), dtype=object)

    def set_output(self, *, transform: str | None = None) -> Any:
        """Choose the output container: ``"default"``/``"numpy"``, ``"pandas"``, ``"polars"`` or ``"pyarrow"``."""
        if transform is not None:
            if transform not in OUTPUTS:
                raise _core.InvalidParameterError(f"set_output(transform={transform!r}): choose one of {OUTPUTS}")
            self._output = transform
        return self

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _is_array(X: Any) -> bool:
    import numpy as np

    return isinstance(X, np.ndarray) or isinstance(X, list)


def core_fitted(pipeline: Any, purpose: str) -> Any:
    """The ``_core.FittedPipeline`` behind a fitted Pipeline or trainer (or one given
    directly); ``NotFittedError`` naming ``purpose`` (what needs it) otherwise."""
    if isinstance(pipeline, _core.FittedPipeline):
        return pipeline
    for attr in ("fitted_", "pipeline_"):
        inner = getattr(pipeline, attr, None)
        if inner is not None:
            return core_fitted(inner, purpose)
    raise _core.NotFittedError(
        f"{purpose} needs a fitted ferrops Pipeline or trainer, got {type(pipeline).__name__}: call fit first"
    )
