"""ferrops: tabular ML models through their production life, with a Rust core.

Transforms and trainers follow scikit-learn's conventions (``fit`` returns self,
learned attributes end in ``_``, ``get_params``/``set_params``, ``transform``,
``predict``, ``predict_proba``, ``get_feature_names_out``, ``set_output``) and accept
pandas, polars, pyarrow (through the Arrow PyCapsule interface) and numpy input.
"""

from ._core import (
    DataError,
    FerropsError,
    FerropsIOError,
    IntegrityError,
    InvalidParameterError,
    NotFittedError,
    SchemaError,
    TrainingError,
    __version__,
    read_csv,
    read_parquet,
)
from .pipeline import Pipeline, Trainer, load
from .preprocess import Preprocessing
from .trainers import LogisticRegression
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

__all__ = [
    "DataError",
    "DatetimeParts",
    "FeatureHasher",
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
    "SchemaError",
    "StandardScaler",
    "Trainer",
    "TrainingError",
    "__version__",
    "load",
    "read_csv",
    "read_parquet",
]
