"""Cross-validation of whole pipelines and hyperparameter search (``ferrops::validate::{cv, search}``).

Exported from ``ferrops.model_selection`` (and the top-level ``ferrops``). Every fold fits
the whole pipeline (transforms and trainer) on its training rows only; folds and search
trials run in parallel in Rust with the GIL released.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from . import _core
from ._core import InvalidParameterError
from .pipeline import Pipeline, Trainer, training_table

__all__ = ["GridSearch", "RandomSearch", "SearchResults", "cross_validate"]

ProgressCallback = Callable[[int, int, int, int, "float | None"], Any]


# ---------------------------------------------------------------------------------------
# Shared input handling
# ---------------------------------------------------------------------------------------


def _as_pipeline(estimator: Any) -> Pipeline:
    if isinstance(estimator, Pipeline):
        if estimator.trainer is None:
            raise InvalidParameterError("cross-validation scores a model: give the Pipeline a trainer")
        return estimator
    if isinstance(estimator, Trainer):
        return Pipeline([], trainer=estimator)
    raise InvalidParameterError(
        f"expected a ferrops Pipeline or trainer, got {type(estimator).__name__}; "
        "for scikit-learn estimators use sklearn.model_selection"
    )


def _specs(pipeline: Pipeline) -> tuple[list[str], str]:
    assert pipeline.trainer is not None
    return [step._spec_json() for step in pipeline.steps], pipeline.trainer._spec_json()


def _is_classifier(pipeline: Pipeline) -> bool:
    assert pipeline.trainer is not None
    return bool(_core.trainer_kind(pipeline.trainer._spec_json()) == "classification")


def _scoring(scoring: Any) -> tuple[list[str], bool]:
    """The scorer names, and whether results use scikit-learn's single-metric ``score`` keys."""
    if scoring is None:
        return [], True
    if isinstance(scoring, str):
        return [scoring], True
    if callable(scoring) or isinstance(scoring, Mapping):
        raise InvalidParameterError(
            "scoring must be a scorer name or a list of names (see ferrops.model_selection.SCORERS); "
            "callables and dicts are not supported"
        )
    names = list(scoring)
    if not names or not all(isinstance(n, str) for n in names):
        raise InvalidParameterError(f"scoring must be a non-empty list of scorer names, got {scoring!r}")
    return names, False


def _table(X: Any, y: Any, target: str | None) -> tuple[pa.Table, str]:
    table, name = training_table(X, y, target)
    if name is None:
        raise InvalidParameterError("pass the target as y or as target= (the name of a column of X)")
    if not isinstance(table, (pa.Table, pa.RecordBatch)):
        table = pa.table(table)
    return table, name


def _column(table: Any, name: str | None) -> np.ndarray | None:
    if name is None:
        return None
    if name not in table.schema.names:
        raise _core.SchemaError(f"column `{name}` not found; the table has columns {table.schema.names}")
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def _folds(cv: Any, table: Any, target: str, classifier: bool, groups: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds as int64 index arrays from ``cv``: None/int (stratified for classifiers, as
    scikit-learn's ``check_cv``), a splitter with ``split``, or an iterable of pairs."""
    from .model_selection import KFold, StratifiedKFold

    n_rows = table.num_rows
    y = _column(table, target)
    if isinstance(groups, str):
        groups = _column(table, groups)
    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        cv = StratifiedKFold(int(cv)) if classifier else KFold(int(cv))
    if hasattr(cv, "split"):
        pairs: Iterable[Any] = cv.split(np.zeros((n_rows, 1)), y, groups)
    elif isinstance(cv, Iterable):
        pairs = cv
    else:
        raise InvalidParameterError(f"cv must be None, an int, a splitter or a list of (train, test) pairs, got {cv!r}")
    folds = []
    for train, test in pairs:
        folds.append(
            (
                np.ascontiguousarray(np.asarray(train, dtype=np.int64)),
                np.ascontiguousarray(np.asarray(test, dtype=np.int64)),
            )
        )
    if not folds:
        raise InvalidParameterError("cv gave no folds")
    return folds


def _weights(sample_weight: Any) -> np.ndarray | None:
    return None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)


def _nan(values: Iterable[Any]) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


# ---------------------------------------------------------------------------------------
# cross_validate
# ---------------------------------------------------------------------------------------


def cross_validate(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    target: str | None = None,
    groups: Any = None,
    scoring: str | Sequence[str] | None = None,
    cv: Any = None,
    sample_weight: Any = None,
    return_train_score: bool = False,
) -> dict[str, np.ndarray]:
    """Fit and score a whole pipeline on each fold, as scikit-learn's ``cross_validate``.

    Every fold fits a fresh copy of ``estimator`` (a ``ferrops.Pipeline`` or trainer) on its
    training rows (transforms included, so nothing is learnt from the test rows) and scores
    it on its test rows. Folds run in parallel in Rust.

    Parameters
    ----------
    estimator : Pipeline or trainer
    X : pandas/polars/pyarrow table or numpy array
    y : array-like, optional
        The target; or give ``target=``, the name of a column of ``X``.
    groups : array-like or str, optional
        Group labels (or the name of a column of ``X``) for ``GroupKFold``.
    scoring : str or list of str, optional
        scikit-learn scoring names (``"accuracy"``, ``"roc_auc"``, ``"neg_log_loss"``,
        ``"r2"``, ...; see ``ferrops.model_selection.SCORERS``). Default: accuracy for
        classifiers, R² for regressors.
    cv : int, splitter or iterable of (train, test), default 5
        An int means ``StratifiedKFold`` for classifiers and ``KFold`` otherwise.
    sample_weight : array-like, optional
        Passed to every fold's fit (its rows of it); scores are unweighted.
    return_train_score : bool, default False

    Returns
    -------
    dict of numpy arrays, one value per fold: ``fit_time``, ``score_time``, and
    ``test_<scorer>`` (``test_score`` when ``scoring`` is a single name or None), plus
    ``train_...`` with ``return_train_score``. scikit-learn's keys.

    Scores are computed against the classes of all of ``X``: a fold whose training rows lack
    a class gives that class probability 0 (scikit-learn raises or returns NaN).

    >>> import ferrops as fo, numpy as np
    >>> X = np.arange(40, dtype=float).reshape(-1, 1)
    >>> y = np.array(["low"] * 20 + ["high"] * 20)
    >>> scores = fo.model_selection.cross_validate(fo.LogisticRegression(), X, y, cv=4)
    >>> sorted(scores)
    ['fit_time', 'score_time', 'test_score']
    >>> bool(scores["test_score"].mean() > 0.7)
    True
    """
    pipeline = _as_pipeline(estimator)
    names, single = _scoring(scoring)
    table, name = _table(X, y, target)
    classifier = _is_classifier(pipeline)
    folds = _folds(cv, table, name, classifier, groups)
    steps, trainer = _specs(pipeline)
    raw = json.loads(
        _core.cross_validate(
            steps, trainer, table, name, folds, names, _weights(sample_weight), bool(return_train_score)
        )
    )
    scorers = raw["scoring"]
    out: dict[str, np.ndarray] = {
        "fit_time": np.asarray([f["fit_seconds"] for f in raw["folds"]]),
        "score_time": np.asarray([f["score_seconds"] for f in raw["folds"]]),
    }
    for i, scorer in enumerate(scorers):
        key = "score" if single else scorer
        out[f"test_{key}"] = _nan(f["test"][i] for f in raw["folds"])
        if return_train_score:
            out[f"train_{key}"] = _nan(f["train"][i] for f in raw["folds"])
    return out


# ---------------------------------------------------------------------------------------
# Search results
# ---------------------------------------------------------------------------------------


def _rank(means: np.ndarray) -> np.ndarray:
    """scikit-learn's ``rank_test_*``: 1 is best, ties share the lowest rank, NaN last."""
    if means.size == 0:
        return np.zeros(0, dtype=np.int32)
    finite = means[~np.isnan(means)]
    filled = np.where(np.isnan(means), (finite.min() - 1) if finite.size else 0.0, means)
    return np.asarray([1 + int(np.sum(filled > v)) for v in filled], dtype=np.int32)


class SearchResults:
    """The trials of a search as a table: one row per candidate, its parameters, mean and
    standard deviation of each score, fit time, rank and status.

    ``to_pandas()``, ``to_dict()`` (column name → list), ``to_records()``; renders as an
    HTML table in Jupyter. ``interrupted`` is True when Ctrl-C stopped the search early.
    """

    def __init__(self, raw: dict[str, Any], param_names: list[str], params: list[dict[str, Any]], single: bool):
        self.scoring: list[str] = list(raw["scoring"])
        self.rank_by: str = raw["rank_by"]
        self.interrupted: bool = bool(raw["interrupted"])
        self._trials = raw["trials"]
        self._params = params
        self._param_names = param_names
        self._single = single

    def _key(self, scorer: str) -> str:
        return "score" if self._single else scorer

    def cv_results(self, n_splits: int, return_train_score: bool) -> dict[str, Any]:
        """scikit-learn's ``cv_results_`` dictionary."""
        trials = self._trials
        out: dict[str, Any] = {}
        for stat in ("fit", "score"):
            out[f"mean_{stat}_time"] = _nan(t[f"{stat}_seconds"][0] for t in trials)
            out[f"std_{stat}_time"] = _nan(t[f"{stat}_seconds"][1] for t in trials)
        for name in self._param_names:
            out[f"param_{name}"] = np.asarray([p.get(name) for p in self._params], dtype=object)
        out["params"] = [dict(p) for p in self._params]
        for i, scorer in enumerate(self.scoring):
            key = self._key(scorer)
            for k in range(n_splits):
                out[f"split{k}_test_{key}"] = _nan(_fold_score(t, k, i, "test") for t in trials)
            means = _nan(t["mean_test"][i] for t in trials)
            out[f"mean_test_{key}"] = means
            out[f"std_test_{key}"] = _nan(t["std_test"][i] for t in trials)
            out[f"rank_test_{key}"] = _rank(means)
            if return_train_score:
                splits = [_nan(_fold_score(t, k, i, "train") for t in trials) for k in range(n_splits)]
                for k, values in enumerate(splits):
                    out[f"split{k}_train_{key}"] = values
                stacked = np.vstack(splits) if splits else np.zeros((0, len(trials)))
                out[f"mean_train_{key}"] = stacked.mean(axis=0)
                out[f"std_train_{key}"] = stacked.std(axis=0)
        return out

    def to_dict(self) -> dict[str, list[Any]]:
        """The results table as ``{column: values}``."""
        out: dict[str, list[Any]] = {}
        for name in self._param_names:
            out[name] = [p.get(name) for p in self._params]
        for i, scorer in enumerate(self.scoring):
            key = self._key(scorer)
            out[f"mean_{key}"] = [_none_nan(t["mean_test"][i]) for t in self._trials]
            out[f"std_{key}"] = [_none_nan(t["std_test"][i]) for t in self._trials]
        out["mean_fit_time"] = [_none_nan(t["fit_seconds"][0]) for t in self._trials]
        out["rank"] = [t["rank"] for t in self._trials]
        out["status"] = [_status(t) for t in self._trials]
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per candidate."""
        table = self.to_dict()
        return [dict(zip(table, row, strict=True)) for row in zip(*table.values(), strict=True)]

    def to_pandas(self) -> Any:
        """The results table as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.to_dict())

    def __len__(self) -> int:
        return len(self._trials)

    def __repr__(self) -> str:
        done = sum(1 for t in self._trials if t["complete"])
        state = " (interrupted)" if self.interrupted else ""
        return f"SearchResults({len(self._trials)} candidates, {done} complete, ranked by {self.rank_by}{state})"

    def _repr_html_(self) -> str:
        table = self.to_dict()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table)
        rows = []
        for row in zip(*table.values(), strict=True):
            cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
            rows.append(f"<tr>{cells}</tr>")
        caption = html.escape(repr(self))
        return (
            f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


def _fold_score(trial: dict[str, Any], k: int, i: int, side: str) -> float | None:
    for fold in trial["folds"]:
        if fold["fold"] == k:
            values = fold.get(side)
            return None if values is None else values[i]
    return None


def _none_nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _status(trial: dict[str, Any]) -> str:
    if trial.get("error"):
        return f"failed: {trial['error']}"
    return "done" if trial["complete"] else "not run (interrupted)"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# ---------------------------------------------------------------------------------------
# Searches
# ---------------------------------------------------------------------------------------


def _tqdm_progress() -> ProgressCallback:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - depends on the environment
        raise InvalidParameterError("progress=True needs tqdm (pip install tqdm); or pass a callable") from None
    bar: dict[str, Any] = {}

    def update(done: int, total: int, trial: int, fold: int, best: float | None) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc="search")
        b = bar["bar"]
        b.update(done - b.n)
        if best is not None:
            b.set_postfix(best=f"{best:.4g}", refresh=False)
        if done == total:
            b.close()

    return update


class _Search:
    """Shared by ``GridSearch`` and ``RandomSearch``."""

    estimator: Any
    scoring: Any
    cv: Any
    refit: bool | str
    return_train_score: bool
    progress: Any

    def _candidates(self) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(
        self, X: Any, y: Any = None, *, target: str | None = None, groups: Any = None, sample_weight: Any = None
    ) -> Any:
        """Score every candidate by cross-validation (in parallel), rank them and, with
        ``refit``, fit the best on all of ``X``. Ctrl-C stops early: the candidates that
        finished are kept and ranked (``interrupted_`` is True, a warning says so, and
        nothing is refitted). Returns self."""
        base = _as_pipeline(self.estimator)
        for stale in ("best_estimator_", "classes_"):  # from an earlier fit of this object
            self.__dict__.pop(stale, None)
        names, single = _scoring(self.scoring)
        rank_by = None
        if isinstance(self.refit, str):
            if self.refit not in names:
                raise InvalidParameterError(f"refit={self.refit!r} must be one of the scorers {names}")
            rank_by = self.refit
        elif len(names) > 1 and self.refit is True:
            raise InvalidParameterError(
                "with several scorers, refit must name the one that picks the best candidate (e.g. refit='roc_auc')"
            )
        table, name = _table(X, y, target)
        classifier = _is_classifier(base)
        folds = _folds(self.cv, table, name, classifier, groups)
        params = self._candidates()
        if not params:
            raise InvalidParameterError("the search has no candidates")
        param_names = sorted({k for p in params for k in p})
        candidates = []
        for p in params:
            pipe = copy.deepcopy(base)
            try:
                pipe.set_params(**_prefixed(self.estimator, p))
            except ValueError as e:  # scikit-learn's BaseEstimator.set_params
                raise InvalidParameterError(str(e)) from None
            steps, trainer = _specs(pipe)
            shown = json.dumps([[k, _jsonable(v)] for k, v in sorted(p.items())])
            candidates.append((steps, trainer, shown))
        progress = self.progress
        if progress is True:
            progress = _tqdm_progress()
        elif progress is not None and not callable(progress):
            raise InvalidParameterError(
                "progress must be None, True (tqdm) or a callable(done, total, trial, fold, best)"
            )
        raw, fitted = _core.search(
            candidates,
            table,
            name,
            folds,
            names,
            _weights(sample_weight),
            bool(self.return_train_score),
            rank_by,
            bool(self.refit),
            progress,
        )
        results = SearchResults(json.loads(raw), param_names, params, single)
        self.results_ = results
        self.n_splits_ = len(folds)
        self.cv_results_ = results.cv_results(len(folds), bool(self.return_train_score))
        self.interrupted_ = results.interrupted
        best = next((t for t in results._trials if t["rank"] == 1), None)
        at = results.scoring.index(results.rank_by)
        self.best_index_ = None if best is None else int(best["index"])
        self.best_params_ = None if best is None else dict(params[best["index"]])
        self.best_score_ = None if best is None else float(best["mean_test"][at])
        self.scorer_ = results.rank_by
        if results.interrupted:
            finished = sum(1 for t in results._trials if t["complete"])
            warnings.warn(
                f"search interrupted: {finished} of {len(params)} candidates finished; best so far: "
                f"{self.best_params_} ({results.rank_by} = {self.best_score_})",
                RuntimeWarning,
                stacklevel=2,
            )
        if fitted is not None and self.best_index_ is not None:
            best_pipe = copy.deepcopy(base)
            best_pipe.set_params(**_prefixed(self.estimator, params[self.best_index_]))
            best_pipe.fitted_ = fitted
            best_pipe._set_fitted_attributes()
            self.best_estimator_ = best_pipe
            self.classes_ = best_pipe.classes_
        return self

    def _best(self) -> Pipeline:
        best = getattr(self, "best_estimator_", None)
        if best is None:
            raise _core.NotFittedError(
                f"this {type(self).__name__} has no refitted best pipeline: fit it with refit=True (and let it finish)"
            )
        return best

    def predict(self, X: Any) -> np.ndarray:
        """``best_estimator_.predict``."""
        return self._best().predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """``best_estimator_.predict_proba``."""
        return self._best().predict_proba(X)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def _check_grid(grid: Any, what: str) -> list[dict[str, list[Any]]]:
    grids = [grid] if isinstance(grid, Mapping) else list(grid)
    if not grids:
        raise InvalidParameterError(f"{what} is empty")
    out = []
    for g in grids:
        if not isinstance(g, Mapping):
            raise InvalidParameterError(f"{what} must be a dict or a list of dicts, got {type(g).__name__}")
        checked = {}
        for key, values in g.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise InvalidParameterError(f"{what}[{key!r}] must be a list of values, got {values!r}")
            values = list(values)
            if not values:
                raise InvalidParameterError(f"{what}[{key!r}] has no values")
            checked[str(key)] = values
        out.append(checked)
    return out


class GridSearch(_Search):
    """Exhaustive search over a parameter grid, scored by cross-validation; scikit-learn's
    ``GridSearchCV`` for ferrops pipelines.

    Parameters
    ----------
    estimator : Pipeline or trainer
    param_grid : dict or list of dicts
        Parameter names as ``Pipeline.get_params`` gives them (``"trainer__C"``,
        ``"steps__0__strategy"``; a bare trainer's own names, e.g. ``"C"``) mapped to the
        values to try. Every combination is a candidate (keys vary in sorted order, the
        last fastest, as scikit-learn's ``ParameterGrid``).
    scoring : str or list of str, optional
        Scorer names (see ``cross_validate``). Default: accuracy / R².
    cv : int, splitter or iterable, default 5
    refit : bool or str, default True
        Fit the best candidate on all the data (``best_estimator_``). With several
        scorers, the name of the one that ranks candidates.
    return_train_score : bool, default False
    progress : None, True or callable, default None
        ``True`` shows a tqdm bar (Jupyter too); a callable gets
        ``(done, total, trial, fold, best_score)`` after each fold of each candidate.

    Fitted attributes: ``cv_results_`` (scikit-learn's dict), ``results_`` (a
    ``SearchResults`` table: ``to_pandas()``, HTML in Jupyter), ``best_params_``,
    ``best_score_``, ``best_index_``, ``best_estimator_``, ``n_splits_``, ``interrupted_``.

    >>> import ferrops as fo, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 3))
    >>> y = np.where(X[:, 0] + 0.5 * rng.normal(size=120) > 0, "yes", "no")
    >>> search = fo.model_selection.GridSearch(
    ...     fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()),
    ...     {"trainer__C": [0.001, 1.0]}, scoring="neg_log_loss", cv=3,
    ... ).fit(X, y)
    >>> search.best_params_
    {'trainer__C': 1.0}
    """

    def __init__(
        self,
        estimator: Any,
        param_grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
        *,
        scoring: str | Sequence[str] | None = None,
        cv: Any = None,
        refit: bool | str = True,
        return_train_score: bool = False,
        progress: bool | ProgressCallback | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.return_train_score = return_train_score
        self.progress = progress

    def _candidates(self) -> list[dict[str, Any]]:
        out = []
        for grid in _check_grid(self.param_grid, "param_grid"):
            keys = sorted(grid)
            for values in itertools.product(*(grid[k] for k in keys)):
                out.append(dict(zip(keys, values, strict=True)))
        return out


class RandomSearch(_Search):
    """Search over ``n_iter`` candidates drawn at random, scored by cross-validation;
    scikit-learn's ``RandomizedSearchCV`` for ferrops pipelines.

    ``param_distributions`` maps parameter names (as ``GridSearch``) to a list (drawn
    uniformly) or a distribution with ``rvs`` (scipy.stats, e.g. ``loguniform(1e-3, 1e2)``).
    When every entry is a list, candidates are distinct grid points drawn without
    replacement (at most the grid's size), as scikit-learn's ``ParameterSampler``.
    ``random_state`` (int or None = 0) seeds a NumPy generator, so a search is
    reproducible; draws differ from scikit-learn's for the same seed. Other parameters and
    fitted attributes as ``GridSearch``.

    >>> import ferrops as fo, numpy as np
    >>> X = np.arange(60, dtype=float).reshape(-1, 1)
    >>> y = np.where(X[:, 0] > 29, "b", "a")
    >>> search = fo.model_selection.RandomSearch(
    ...     fo.LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0]}, n_iter=2, cv=3, random_state=1
    ... ).fit(X, y)
    >>> len(search.cv_results_["params"])
    2
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        n_iter: int = 10,
        scoring: str | Sequence[str] | None = None,
        cv: Any = None,
        refit: bool | str = True,
        return_train_score: bool = False,
        random_state: int | None = None,
        progress: bool | ProgressCallback | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.return_train_score = return_train_score
        self.random_state = random_state
        self.progress = progress

    def _candidates(self) -> list[dict[str, Any]]:
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, numbers.Integral) or self.n_iter < 1:
            raise InvalidParameterError(f"invalid parameter n_iter={self.n_iter!r}: must be an int >= 1")
        seed = 0 if self.random_state is None else self.random_state
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise InvalidParameterError(f"invalid parameter random_state={seed!r}: must be None or an int >= 0")
        rng = np.random.default_rng(int(seed))
        spaces = (
            [self.param_distributions]
            if isinstance(self.param_distributions, Mapping)
            else list(self.param_distributions)
        )
        if not spaces or not all(isinstance(s, Mapping) and s for s in spaces):
            raise InvalidParameterError("param_distributions must be a non-empty dict or list of non-empty dicts")
        for space in spaces:
            for key, dist in space.items():
                if not hasattr(dist, "rvs") and (isinstance(dist, (str, bytes)) or not isinstance(dist, Iterable)):
                    raise InvalidParameterError(
                        f"param_distributions[{key!r}] must be a list or have rvs (scipy.stats), got {dist!r}"
                    )
        if all(not hasattr(d, "rvs") for s in spaces for d in s.values()):
            grid = [
                dict(zip(sorted(s), values, strict=True))
                for s in _check_grid(spaces, "param_distributions")
                for values in itertools.product(*(s[k] for k in sorted(s)))
            ]
            picks = rng.permutation(len(grid))[: int(self.n_iter)]
            return [grid[i] for i in picks]
        out = []
        for _ in range(int(self.n_iter)):
            space = spaces[int(rng.integers(len(spaces)))]
            draw = {}
            for key in sorted(space):
                dist = space[key]
                if hasattr(dist, "rvs"):
                    value = dist.rvs(random_state=rng)
                    draw[key] = value.item() if isinstance(value, np.generic) else value
                else:
                    values = list(dist)
                    if not values:
                        raise InvalidParameterError(f"param_distributions[{key!r}] has no values")
                    draw[key] = values[int(rng.integers(len(values)))]
            out.append(draw)
        return out


def _prefixed(estimator: Any, params: dict[str, Any]) -> dict[str, Any]:
    """A bare trainer's parameters are set on the one-step pipeline's trainer."""
    if isinstance(estimator, Trainer):
        return {k if k.startswith("trainer__") else f"trainer__{k}": v for k, v in params.items()}
    return params
