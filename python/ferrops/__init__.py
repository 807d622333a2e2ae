"""ferrops: tabular ML models through their production life, with a Rust core.

Transforms and trainers follow scikit-learn's conventions (``fit`` returns self,
learned attributes end in ``_``, ``get_params``/``set_params``, ``transform``,
``predict``, ``predict_proba``, ``get_feature_names_out``, ``set_output``) and accept
pandas, polars, pyarrow (through the Arrow PyCapsule interface) and numpy input.

The classes and submodules are imported on first use (PEP 562): ``python -m ferrops``
(the command line) then starts without importing scikit-learn and the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._core import (
    ConflictError,
    DataError,
    FerropsError,
    FerropsIOError,
    IntegrityError,
    InvalidParameterError,
    NotFittedError,
    SchemaError,
    StoreError,
    TrainingError,
    __version__,
    read_csv,
    read_parquet,
)

if TYPE_CHECKING:
    from . import (
        drift,
        gates,
        lifecycle,
        metrics,
        model_selection,
        registry,
        serve,
        store,
        validation,
    )
    from . import (
        pipeline as pipeline,
    )
    from . import (
        preprocess as preprocess,
    )
    from . import (
        trainers as trainers,
    )
    from . import (
        transforms as transforms,
    )
    from ._kmeans import KMeans
    from .gates import GateReport, ModelGate, ModelMetrics, Threshold, evaluate, threshold
    from .lifecycle import Lifecycle, LifecyclePolicy, StoreSource
    from .model_selection import GridSearch, RandomSearch, cross_validate
    from .pipeline import Pipeline, Trainer, load
    from .preprocess import (
        Cast,
        Clip,
        Column,
        Deduplicate,
        Drop,
        DropNulls,
        Filter,
        ParseTimestamps,
        Predicate,
        Preprocessing,
        Rename,
        Select,
        col,
    )
    from .registry import ModelRegistry
    from .serve import RollbackPolicy, Router
    from .store import Entity, Feature, FeatureStore, FeatureView
    from .trainers import (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        ElasticNet,
        GaussianNB,
        Lasso,
        LinearRegression,
        LinearSVC,
        LogisticRegression,
        RandomForestClassifier,
        RandomForestRegressor,
        Ridge,
    )
    from .transforms import (
        DatetimeParts,
        FeatureHasher,
        KBinsDiscretizer,
        Log1p,
        MaxAbsScaler,
        MinMaxScaler,
        OneHotEncoder,
        OrdinalEncoder,
        PowerTransformer,
        RobustScaler,
        SimpleImputer,
        StandardScaler,
    )
    from .validation import Schema, ValidationReport, expect, infer_schema, validate

# The public submodules (attributes, as in an eagerly imported package) and the public
# names each defines: imported on first access.
_SUBMODULES = frozenset(
    [
        "drift",
        "gates",
        "lifecycle",
        "metrics",
        "model_selection",
        "pipeline",
        "preprocess",
        "registry",
        "serve",
        "store",
        "trainers",
        "transforms",
        "validation",
    ]
)
_LAZY: dict[str, str] = {
    "KMeans": "_kmeans",
    "GateReport": "gates",
    "ModelGate": "gates",
    "ModelMetrics": "gates",
    "Threshold": "gates",
    "evaluate": "gates",
    "threshold": "gates",
    "Lifecycle": "lifecycle",
    "LifecyclePolicy": "lifecycle",
    "StoreSource": "lifecycle",
    "GridSearch": "model_selection",
    "RandomSearch": "model_selection",
    "cross_validate": "model_selection",
    "Pipeline": "pipeline",
    "Trainer": "pipeline",
    "load": "pipeline",
    "Cast": "preprocess",
    "Clip": "preprocess",
    "Column": "preprocess",
    "Deduplicate": "preprocess",
    "Drop": "preprocess",
    "DropNulls": "preprocess",
    "Filter": "preprocess",
    "ParseTimestamps": "preprocess",
    "Predicate": "preprocess",
    "Preprocessing": "preprocess",
    "Rename": "preprocess",
    "Select": "preprocess",
    "col": "preprocess",
    "ModelRegistry": "registry",
    "RollbackPolicy": "serve",
    "Router": "serve",
    "Entity": "store",
    "Feature": "store",
    "FeatureStore": "store",
    "FeatureView": "store",
    "DecisionTreeClassifier": "trainers",
    "DecisionTreeRegressor": "trainers",
    "ElasticNet": "trainers",
    "GaussianNB": "trainers",
    "Lasso": "trainers",
    "LinearRegression": "trainers",
    "LinearSVC": "trainers",
    "LogisticRegression": "trainers",
    "RandomForestClassifier": "trainers",
    "RandomForestRegressor": "trainers",
    "Ridge": "trainers",
    "DatetimeParts": "transforms",
    "FeatureHasher": "transforms",
    "KBinsDiscretizer": "transforms",
    "Log1p": "transforms",
    "MaxAbsScaler": "transforms",
    "MinMaxScaler": "transforms",
    "OneHotEncoder": "transforms",
    "OrdinalEncoder": "transforms",
    "PowerTransformer": "transforms",
    "RobustScaler": "transforms",
    "SimpleImputer": "transforms",
    "StandardScaler": "transforms",
    "Schema": "validation",
    "ValidationReport": "validation",
    "expect": "validation",
    "infer_schema": "validation",
    "validate": "validation",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'ferrops' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Cast",
    "Clip",
    "Column",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "Deduplicate",
    "Drop",
    "DropNulls",
    "ElasticNet",
    "Filter",
    "Lasso",
    "LinearRegression",
    "ParseTimestamps",
    "Predicate",
    "Rename",
    "Select",
    "col",
    "DataError",
    "DatetimeParts",
    "Entity",
    "Feature",
    "FeatureHasher",
    "FeatureStore",
    "ModelRegistry",
    "registry",
    "serve",
    "Router",
    "RollbackPolicy",
    "FeatureView",
    "store",
    "KBinsDiscretizer",
    "Log1p",
    "MaxAbsScaler",
    "MinMaxScaler",
    "OneHotEncoder",
    "OrdinalEncoder",
    "PowerTransformer",
    "RobustScaler",
    "SimpleImputer",
    "FerropsError",
    "FerropsIOError",
    "IntegrityError",
    "InvalidParameterError",
    "LogisticRegression",
    "NotFittedError",
    "Pipeline",
    "Preprocessing",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "GaussianNB",
    "LinearSVC",
    "Ridge",
    "KMeans",
    "SchemaError",
    "StandardScaler",
    "Trainer",
    "TrainingError",
    "StoreError",
    "ConflictError",
    "__version__",
    "load",
    "metrics",
    "GateReport",
    "GridSearch",
    "RandomSearch",
    "cross_validate",
    "ModelGate",
    "ModelMetrics",
    "Threshold",
    "evaluate",
    "drift",
    "gates",
    "threshold",
    "Lifecycle",
    "LifecyclePolicy",
    "StoreSource",
    "lifecycle",
    "model_selection",
    "read_csv",
    "read_parquet",
    "Schema",
    "ValidationReport",
    "expect",
    "infer_schema",
    "validate",
    "validation",
]
