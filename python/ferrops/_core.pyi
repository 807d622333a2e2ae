"""Type stubs of the Rust extension module ``ferrops._core``."""

from os import PathLike
from typing import Any, final

import numpy as np
import numpy.typing as npt

__version__: str
__all__ = [
    "__version__",
    "DriftDetector",
    "DriftProfile",
    "DriftReport",
    "ModelMonitor",
    "StreamDriftDetector",
    "anderson_ksamp",
    "benjamini_hochberg",
    "bin_counts",
    "bonferroni",
    "chi2_homogeneity",
    "cramervonmises_2samp",
    "hellinger",
    "jensen_shannon",
    "ks_2samp",
    "l_infinity",
    "psi",
    "quantile_edges",
    "total_variation",
    "wasserstein_distance",
    "FerropsError",
    "SchemaError",
    "DataError",
    "InvalidParameterError",
    "NotFittedError",
    "IntegrityError",
    "FerropsIOError",
    "TrainingError",
    "StoreError",
    "ConflictError",
    "FeatureStore",
    "ModelRegistry",
    "ModelVersion",
    "FittedTransform",
    "FittedPipeline",
    "Preprocessing",
    "read_csv",
    "read_parquet",
    "cli_main",
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "confusion_matrix",
    "confusion_matrix_weighted",
    "roc_auc",
    "roc_auc_ovr",
    "average_precision",
    "log_loss",
    "brier_score",
    "calibration_curve",
    "mae",
    "mse",
    "rmse",
    "r2",
    "mape",
    "median_absolute_error",
    "kfold",
    "stratified_kfold",
    "time_series_split",
    "group_kfold",
    "train_test_split",
    "trainer_kind",
    "cross_validate",
    "search",
    "gate_check",
    "gate_evaluate",
    "evaluate_pipeline",
    "gate_metric_names",
    "metric_direction",
    "infer_schema",
    "validate_data",
    "schema_check",
    "schema_from_json",
    "schema_from_yaml",
    "schema_to_yaml",
    "schema_save",
    "schema_load",
    "FairnessReport",
    "fairness_metrics",
    "permutation_importance",
    "pca_reconstruction_fit",
    "pca_reconstruction_evaluate",
    "domain_classifier",
]

class FerropsError(Exception): ...
class SchemaError(FerropsError): ...
class DataError(FerropsError): ...
class InvalidParameterError(FerropsError): ...
class NotFittedError(FerropsError): ...
class IntegrityError(FerropsError): ...
class FerropsIOError(FerropsError): ...
class TrainingError(FerropsError): ...
class StoreError(FerropsError): ...
class ConflictError(StoreError): ...

@final
class FittedTransform:
    """A fitted feature transform (one stage), with the schema it was fitted on."""

    @staticmethod
    def fit(spec: str, table: Any) -> FittedTransform: ...
    def transform(self, table: Any) -> Any: ...
    def feature_names_out(self) -> list[str]: ...
    @property
    def feature_names_in(self) -> list[str]: ...
    def state_json(self) -> str: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> FittedTransform: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class FittedPipeline:
    """A fitted pipeline: transforms and, optionally, a model."""

    @staticmethod
    def fit(
        transforms: list[str],
        trainer: str | None,
        table: Any,
        target: str | None = None,
        sample_weight: npt.NDArray[np.float64] | None = None,
    ) -> FittedPipeline: ...
    def transform(self, table: Any) -> Any: ...
    def transform_matrix(self, table: Any) -> npt.NDArray[np.float64]: ...
    def transform_csr(
        self, table: Any
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32], npt.NDArray[np.int64], int]: ...
    def predict(self, table: Any) -> Any: ...
    def predict_proba(self, table: Any) -> npt.NDArray[np.float64]: ...
    def predict_row(self, row: dict[str, Any]) -> tuple[Any, list[float] | None]: ...
    def save(self, path: str | PathLike[str]) -> str: ...
    @staticmethod
    def load(path: str | PathLike[str]) -> FittedPipeline: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> FittedPipeline: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    @property
    def signature(self) -> list[tuple[str, str]]: ...
    @property
    def classes(self) -> list[Any] | None: ...
    @property
    def feature_names_out(self) -> list[str]: ...
    @property
    def target(self) -> str | None: ...
    def stages_json(self) -> list[str]: ...
    def model_json(self) -> str | None: ...

@final
class Preprocessing:
    """Preprocessing steps (ETL) applied in order."""

    def __new__(cls, steps: list[str]) -> Preprocessing: ...
    def run(self, table: Any) -> Any: ...

def read_csv(
    path: str | PathLike[str],
    null_values: list[str] | None = None,
    delimiter: str = ",",
    has_header: bool = True,
    infer_rows: int = 10000,
) -> Any: ...
def read_parquet(path: str | PathLike[str]) -> Any: ...

# The `ferrops` command line (crates/cli): argv with the program name first; returns
# the exit code (0 passed, 1 failed, 2 usage error), output written to sys.stdout/stderr.
def cli_main(argv: list[str]) -> int: ...

# Metrics (ferrops::validate::metrics). Class codes are uintp arrays, binary targets bool
# arrays; ferrops.metrics encodes labels and calls these.

def accuracy(
    y_true: npt.NDArray[np.uintp],
    y_pred: npt.NDArray[np.uintp],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def balanced_accuracy(
    y_true: npt.NDArray[np.uintp],
    y_pred: npt.NDArray[np.uintp],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def precision(
    y_true: npt.NDArray[np.uintp],
    y_pred: npt.NDArray[np.uintp],
    average: str = "binary",
    pos_label: int = 1,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def recall(
    y_true: npt.NDArray[np.uintp],
    y_pred: npt.NDArray[np.uintp],
    average: str = "binary",
    pos_label: int = 1,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def f1(
    y_true: npt.NDArray[np.uintp],
    y_pred: npt.NDArray[np.uintp],
    average: str = "binary",
    pos_label: int = 1,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def confusion_matrix(
    y_true: npt.NDArray[np.uintp], y_pred: npt.NDArray[np.uintp], n_classes: int
) -> npt.NDArray[np.uint64]: ...
def confusion_matrix_weighted(
    y_true: npt.NDArray[np.uintp],
    y_pred: npt.NDArray[np.uintp],
    n_classes: int,
    sample_weight: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]: ...
def roc_auc(
    y_true: npt.NDArray[np.bool_],
    y_score: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def roc_auc_ovr(
    y_true: npt.NDArray[np.uintp],
    y_proba: npt.NDArray[np.float64],
    average: str = "macro",
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def average_precision(
    y_true: npt.NDArray[np.bool_],
    y_score: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def log_loss(
    y_true: npt.NDArray[np.uintp],
    y_proba: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def brier_score(
    y_true: npt.NDArray[np.bool_],
    y_proba: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def calibration_curve(
    y_true: npt.NDArray[np.bool_],
    y_proba: npt.NDArray[np.float64],
    n_bins: int = 5,
    strategy: str = "uniform",
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def mae(
    y_true: npt.NDArray[np.float64],
    y_pred: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def mse(
    y_true: npt.NDArray[np.float64],
    y_pred: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def rmse(
    y_true: npt.NDArray[np.float64],
    y_pred: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def r2(
    y_true: npt.NDArray[np.float64],
    y_pred: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def mape(
    y_true: npt.NDArray[np.float64],
    y_pred: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...
def median_absolute_error(
    y_true: npt.NDArray[np.float64],
    y_pred: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> float: ...

# Splitters (ferrops::validate::split). Classes and groups are uintp codes;
# ferrops.model_selection encodes labels and calls these. Each fold is (train, test).

def kfold(
    n_rows: int,
    n_splits: int = 5,
    shuffle: bool = False,
    seed: int = 0,
    y: npt.NDArray[np.uintp] | None = None,
    groups: npt.NDArray[np.uintp] | None = None,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]: ...
def stratified_kfold(
    n_rows: int,
    y: npt.NDArray[np.uintp] | None,
    n_splits: int = 5,
    shuffle: bool = False,
    seed: int = 0,
    groups: npt.NDArray[np.uintp] | None = None,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]: ...
def time_series_split(
    n_rows: int,
    n_splits: int = 5,
    max_train_size: int | None = None,
    test_size: int | None = None,
    gap: int = 0,
    y: npt.NDArray[np.uintp] | None = None,
    groups: npt.NDArray[np.uintp] | None = None,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]: ...
def group_kfold(
    n_rows: int,
    groups: npt.NDArray[np.uintp] | None,
    n_splits: int = 5,
    y: npt.NDArray[np.uintp] | None = None,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]: ...
def train_test_split(
    n_rows: int,
    test_size: float | int,
    shuffle: bool = True,
    seed: int = 0,
    stratify: npt.NDArray[np.uintp] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

# Cross-validation and search (ferrops::validate::{cv, search}); ferrops._search wraps these.

def trainer_kind(trainer: str) -> str: ...
def cross_validate(
    transforms: list[str],
    trainer: str,
    table: Any,
    target: str,
    folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    scoring: list[str],
    sample_weight: npt.NDArray[np.float64] | None = None,
    return_train_score: bool = False,
) -> str: ...
def search(
    candidates: list[tuple[list[str], str, str]],
    table: Any,
    target: str,
    folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    scoring: list[str],
    sample_weight: npt.NDArray[np.float64] | None = None,
    return_train_score: bool = False,
    rank_by: str | None = None,
    refit: bool = True,
    progress: Any | None = None,
) -> tuple[str, FittedPipeline | None]: ...

# Model gates (ferrops::validate::gate). Gates, metric sets and reports cross as the
# JSON of the Rust structs; ferrops.gates wraps these.

def gate_check(gate: str) -> str: ...
def gate_evaluate(gate: str, candidate: str, baseline: str | None = None) -> str: ...
def evaluate_pipeline(
    pipeline: FittedPipeline,
    table: Any,
    metrics: list[str],
    slice_by: list[str] = ...,
    min_slice_size: int = 1,
) -> str: ...
def gate_metric_names() -> list[str]: ...
def metric_direction(metric: str) -> str | None: ...

# Data validation (ferrops::validate::data). Schemas and reports cross as the JSON of the
# Rust structs; ferrops.validation wraps these.

def infer_schema(table: Any, options: str | None = None) -> str: ...
def validate_data(table: Any, schema: str) -> str: ...
def schema_check(schema: str) -> str: ...
def schema_from_json(text: str) -> str: ...
def schema_from_yaml(text: str) -> str: ...
def schema_to_yaml(schema: str) -> str: ...
def schema_save(schema: str, path: str | PathLike[str]) -> None: ...
def schema_load(path: str | PathLike[str]) -> str: ...

@final
class FeatureStore:
    """An embedded feature store (see ``ferrops.FeatureStore``)."""

    def __new__(cls, uri: str) -> FeatureStore: ...
    @property
    def uri(self) -> str: ...
    def register_entity(self, entity: str) -> None: ...
    def register_feature_view(self, view: str) -> None: ...
    def add_features(self, view: str, features: str) -> int: ...
    def entities(self) -> str: ...
    def entity(self, name: str) -> str: ...
    def feature_views(self) -> str: ...
    def feature_view(self, name: str) -> str: ...
    def write(self, view: str, table: Any, mode: str) -> str: ...
    def read(self, view: str, version: int | None = None, timestamp_ms: int | None = None) -> Any: ...
    def version(self, view: str) -> int: ...
    def history(self, view: str) -> str: ...
    def historical_features(
        self,
        entity_rows: Any,
        features: list[str],
        timestamp_column: str,
        full_feature_names: bool,
        as_of_created: bool,
        versions: dict[str, int],
    ) -> tuple[Any, str]: ...
    def latest_features(
        self,
        view: str,
        features: list[str] | None = None,
        start_micros: int | None = None,
        end_micros: int | None = None,
    ) -> Any: ...
    def statistics(self, view: str, version: int | None = None) -> tuple[str, str]: ...
    def materialize(self, view: str, start_micros: int | None, end_micros: int) -> str: ...
    def materialize_incremental(self, view: str, end_micros: int) -> str: ...
    def last_materialization(self, view: str) -> str | None: ...
    def online_features(
        self,
        keys: Any,
        features: list[str],
        full_feature_names: bool,
        now_micros: int | None = None,
    ) -> tuple[Any, list[tuple[str, list[str]]]]: ...

# ferrops.drift batch tests (crates/py/src/drift.rs)
@final
class DriftProfile:
    """A drift reference profile (see ``ferrops.drift.Profile``)."""

    @staticmethod
    def from_table(table: Any, options: str) -> DriftProfile: ...
    @staticmethod
    def from_json(json: str) -> DriftProfile: ...
    @staticmethod
    def from_table_profile_json(json: str) -> DriftProfile: ...
    @staticmethod
    def load(path: PathLike[str] | str) -> DriftProfile: ...
    def save(self, path: PathLike[str] | str) -> None: ...
    def to_json(self) -> str: ...
    def merge(self, other: DriftProfile) -> DriftProfile: ...
    @property
    def rows(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...
    @property
    def options(self) -> str: ...
    def is_exact(self, column: str) -> bool: ...
    def column_json(self, column: str) -> str: ...

@final
class DriftDetector:
    """Drift tests against one reference (see ``ferrops.drift.DriftDetector``)."""

    @staticmethod
    def from_profile(profile: DriftProfile, options: str) -> DriftDetector: ...
    @staticmethod
    def from_table(table: Any, options: str) -> DriftDetector: ...
    def run(self, current: Any) -> DriftReport: ...
    @property
    def columns(self) -> list[str]: ...
    @property
    def options(self) -> str: ...

@final
class DriftReport:
    """The outcome of a drift run (see ``ferrops.drift.DriftReport``)."""

    @staticmethod
    def from_json(json: str) -> DriftReport: ...
    def to_json(self) -> str: ...
    def to_arrow(self) -> Any: ...
    def to_html(self) -> str: ...
    def to_html_document(self) -> str: ...
    def save_html(self, path: PathLike[str] | str) -> None: ...
    def histogram_svg(self, column: str) -> str | None: ...

@final
class ModelMonitor:
    """A deployed pipeline watched batch by batch (see ``ferrops.drift.ModelMonitor``)."""

    @staticmethod
    def from_training(pipeline: FittedPipeline, training: Any, options: str) -> ModelMonitor: ...
    @staticmethod
    def from_profiles(
        pipeline: FittedPipeline, features: DriftProfile, predictions: DriftProfile, options: str
    ) -> ModelMonitor: ...
    def check(self, batch: Any) -> tuple[DriftReport, DriftReport]: ...
    def record(self, batch: Any, target: str) -> str: ...
    def performance(self) -> str: ...
    def feature_profile(self) -> DriftProfile: ...
    def prediction_profile(self) -> DriftProfile: ...

def ks_2samp(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], method: str = "auto"
) -> tuple[float, float, str]: ...
def cramervonmises_2samp(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], method: str = "auto"
) -> tuple[float, float, str]: ...
def anderson_ksamp(
    samples: list[npt.NDArray[np.float64]],
) -> tuple[float, list[float], list[float], float, bool]: ...
def wasserstein_distance(
    u: npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
    u_weights: npt.NDArray[np.float64] | None = None,
    v_weights: npt.NDArray[np.float64] | None = None,
) -> float: ...
def psi(reference: npt.NDArray[np.float64], current: npt.NDArray[np.float64], epsilon: float = 0.0001) -> float: ...
def jensen_shannon(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64], base: float = 2.0) -> float: ...
def hellinger(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float: ...
def total_variation(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float: ...
def l_infinity(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float: ...
def chi2_homogeneity(
    reference: npt.NDArray[np.float64], current: npt.NDArray[np.float64]
) -> tuple[float, float, int]: ...
def bonferroni(p_values: npt.NDArray[np.float64]) -> list[float]: ...
def benjamini_hochberg(p_values: npt.NDArray[np.float64]) -> list[float]: ...
def quantile_edges(reference: npt.NDArray[np.float64], n_bins: int) -> list[float]: ...
def bin_counts(values_: npt.NDArray[np.float64], edges: list[float]) -> list[float]: ...

# ferrops.drift streaming detectors (crates/py/src/drift_stream.rs)

@final
class StreamDriftDetector:
    def __new__(cls, kind: str, params: str) -> StreamDriftDetector: ...
    def update(self, x: float) -> bool: ...
    def update_many(self, xs: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]: ...
    def reset(self) -> None: ...
    @property
    def drift_detected(self) -> bool: ...
    @property
    def warning_detected(self) -> bool: ...
    @property
    def n_seen(self) -> int: ...
    @property
    def name(self) -> str: ...
    def stat(self, name: str) -> float: ...
    def window(self) -> list[float]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> StreamDriftDetector: ...

# Model monitoring (ferrops::drift::{fairness, importance}); ferrops.drift wraps these.

@final
class FairnessReport:
    """Per-group rates and fairness metrics (see ``ferrops.drift.FairnessReport``)."""

    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> FairnessReport: ...
    def to_record_batch(self) -> Any: ...
    def to_html(self) -> str: ...

def fairness_metrics(
    y_true: Any,
    y_pred: Any,
    sensitive: Any,
    pos_label: Any = None,
    reference_group: str | None = None,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> FairnessReport: ...
def permutation_importance(
    pipeline: FittedPipeline,
    table: Any,
    target: str,
    permutations: npt.NDArray[np.int64],
    scoring: str | None = None,
    sample_weight: npt.NDArray[np.float64] | None = None,
    columns: list[str] | None = None,
) -> tuple[
    list[str],
    str,
    float,
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...

# Multivariate drift (ferrops::drift::multivariate); ferrops.drift wraps these.

def pca_reconstruction_fit(reference: Any, params: str) -> str: ...
def pca_reconstruction_evaluate(fitted: str, current: Any) -> str: ...
def domain_classifier(reference: Any, current: Any, params: str) -> str: ...

# Model registry (crates/py/src/registry.rs); ferrops.registry wraps these.
@final
class ModelVersion:
    """One registered model version (see ``ferrops.registry.ModelVersion``)."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def inputs(self) -> list[tuple[str, str]]: ...
    @property
    def target(self) -> str | None: ...
    @property
    def artifact_bytes(self) -> int: ...
    def to_json(self) -> str: ...
    def to_html(self) -> str: ...

@final
class ModelRegistry:
    """A model registry (see ``ferrops.registry.ModelRegistry``)."""

    def __new__(cls, uri: str, actor: str | None = None) -> ModelRegistry: ...
    def with_actor(self, actor: str) -> ModelRegistry: ...
    @property
    def uri(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def actor(self) -> str: ...
    def register(
        self,
        name: str,
        pipeline: FittedPipeline,
        description: str = "",
        metrics: dict[str, float] | None = None,
        tags: dict[str, str] | None = None,
        params_json: str | None = None,
        seed: int | None = None,
        training_table: Any = None,
        store_uri: str | None = None,
        feature_views: list[str] | None = None,
        profile_json: str | None = None,
        view_versions: list[tuple[str, int]] | None = None,
    ) -> ModelVersion: ...
    def models(self) -> list[str]: ...
    def version(self, name: str, version: int) -> ModelVersion: ...
    def versions(self, name: str) -> list[ModelVersion]: ...
    def resolve(self, name: str, reference: str) -> ModelVersion: ...
    def load(self, name: str, reference: str) -> tuple[FittedPipeline, ModelVersion]: ...
    def load_profile(self, name: str, reference: str) -> str | None: ...
    def search(
        self,
        model: str | None = None,
        tags: list[tuple[str, str]] | None = None,
        min_metrics: list[tuple[str, float]] | None = None,
        max_metrics: list[tuple[str, float]] | None = None,
        order_by: str | None = None,
        descending: bool = True,
        limit: int | None = None,
    ) -> list[ModelVersion]: ...
    def set_alias(
        self, name: str, alias: str, version: int, compare: bool, expected: int | None, reason: str
    ) -> str: ...
    def rollback(self, name: str, alias: str, reason: str) -> str: ...
    def delete_alias(self, name: str, alias: str, compare: bool, expected: int | None, reason: str) -> str: ...
    def alias(self, name: str, alias: str) -> int | None: ...
    def aliases(self, name: str) -> dict[str, int]: ...
    def history(self, name: str, alias: str | None = None) -> str: ...
    def alias_at(self, name: str, alias: str, at_micros: int) -> int | None: ...
    def to_html(self, name: str) -> str: ...
