"""ferrops.drift.PCAReconstructionDrift and ferrops.drift.domain_classifier_drift against
scikit-learn: SimpleImputer(mean) -> StandardScaler -> PCA for the reconstruction error,
and LogisticRegression / RandomForestClassifier cross-validated on StratifiedKFold folds
with roc_auc_score for the domain classifier."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier as SkForest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler

import ferrops as fo
from ferrops import DataError, InvalidParameterError, NotFittedError, SchemaError
from ferrops.drift import PCAReconstructionDrift, domain_classifier_drift


def correlated(rng: np.random.Generator, n: int, flip: bool = False, nan_rate: float = 0.0) -> pd.DataFrame:
    f = rng.normal(size=(n, 2))
    loadings = np.array([[1.0, 0.2], [0.8, -0.3], [0.1, 1.0], [-0.5, 0.7]])
    if flip:
        loadings[1, 0] = -0.8
    x = f @ loadings.T + 0.3 * rng.normal(size=(n, 4))
    if nan_rate:
        x[rng.random(n) < nan_rate, 0] = np.nan
        x[rng.random(n) < nan_rate, 3] = np.nan
    return pd.DataFrame(x, columns=["a", "b", "c", "d"])


def sklearn_pca(reference: pd.DataFrame, n_components: float | int):
    imputer = SimpleImputer(strategy="mean").fit(reference)
    scaler = StandardScaler().fit(imputer.transform(reference))
    z = scaler.transform(imputer.transform(reference))
    pca = PCA(n_components=n_components).fit(z)

    def errors(x: pd.DataFrame) -> np.ndarray:
        zz = scaler.transform(imputer.transform(x))
        return np.linalg.norm(zz - pca.inverse_transform(pca.transform(zz)), axis=1)

    return PCA().fit(z), pca, errors


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_pca_reconstruction_matches_sklearn(kind: str) -> None:
    rng = np.random.default_rng(7)
    reference = correlated(rng, 400, nan_rate=0.05)
    same = correlated(rng, 250, nan_rate=0.05)
    flipped = correlated(rng, 250, flip=True, nan_rate=0.05)
    convert = {
        "pandas": lambda df: df,
        "polars": lambda df: pl.from_pandas(df, nan_to_null=False),
        "pyarrow": lambda df: pa.Table.from_pandas(df),
    }[kind]
    detector = PCAReconstructionDrift(chunk_number=8).fit(convert(reference))
    full, pca, errors = sklearn_pca(reference, 0.65)
    np.testing.assert_allclose(detector.explained_variance_ratio_, full.explained_variance_ratio_, rtol=1e-10)
    np.testing.assert_allclose(detector.explained_variance_, full.explained_variance_, rtol=1e-10)
    assert detector.n_components_ == pca.n_components_ == 2
    # Components up to sign: |<ours, sklearn's>| = 1 for every kept component.
    np.testing.assert_allclose(np.abs(np.sum(detector.components_ * pca.components_, axis=1)), 1.0, rtol=1e-9)
    ref_errors = errors(reference)
    chunk_errors = [c.mean() for c in np.array_split(ref_errors, 8)]
    np.testing.assert_allclose(detector.reference_chunk_errors_, chunk_errors, rtol=1e-9)
    mean, std = np.mean(chunk_errors), np.std(chunk_errors, ddof=1)
    assert detector.reference_mean_ == pytest.approx(mean, rel=1e-9)
    assert detector.reference_std_ == pytest.approx(std, rel=1e-8)
    assert detector.upper_ == pytest.approx(mean + 3 * std, rel=1e-9)
    assert detector.lower_ == pytest.approx(max(mean - 3 * std, 0.0), rel=1e-8, abs=1e-12)
    r_same = detector.evaluate(convert(same))
    r_flip = detector.evaluate(convert(flipped))
    assert r_same.error == pytest.approx(errors(same).mean(), rel=1e-9)
    assert r_flip.error == pytest.approx(errors(flipped).mean(), rel=1e-9)
    assert not r_same.drifted and r_flip.drifted
    assert [c["end"] - c["start"] for c in r_flip.chunks] == [len(a) for a in np.array_split(np.arange(250), 8)]
    for chunk, part in zip(r_flip.chunks, np.array_split(errors(flipped), 8), strict=True):
        assert chunk["error"] == pytest.approx(part.mean(), rel=1e-9)
        assert chunk["drifted"]
    d = r_flip.to_dict()
    assert d["drifted"] is True and d["n_rows"] == 250 and len(d["chunks"]) == 8
    assert "drifted=True" in repr(r_flip)


def test_pca_fixed_components_chunk_size_and_k() -> None:
    rng = np.random.default_rng(3)
    reference = correlated(rng, 230)
    detector = PCAReconstructionDrift(n_components=1, chunk_size=70, k=2.0).fit(reference)
    _, pca, errors = sklearn_pca(reference, 1)
    assert detector.n_components_ == 1
    e = errors(reference)
    chunks = [e[:70].mean(), e[70:140].mean(), e[140:].mean()]  # the 20 leftover rows join the last chunk
    np.testing.assert_allclose(detector.reference_chunk_errors_, chunks, rtol=1e-9)
    assert detector.upper_ == pytest.approx(np.mean(chunks) + 2 * np.std(chunks, ddof=1), rel=1e-9)
    result = detector.evaluate(correlated(rng, 150))
    assert [(c["start"], c["end"]) for c in result.chunks] == [(0, 70), (70, 150)]


def test_pca_pickle_and_json_round_trip() -> None:
    rng = np.random.default_rng(11)
    detector = PCAReconstructionDrift(chunk_size=50).fit(correlated(rng, 300))
    current = correlated(rng, 120, flip=True)
    expected = detector.evaluate(current).to_dict()
    clone = pickle.loads(pickle.dumps(detector))
    assert clone.evaluate(current).to_dict() == expected
    again = PCAReconstructionDrift.from_json(detector.to_json())
    assert again.evaluate(current).to_dict() == expected
    assert again.n_components_ == detector.n_components_ and again.columns_ == ["a", "b", "c", "d"]
    with pytest.raises(fo.FerropsIOError):
        PCAReconstructionDrift.from_json("{not json")


def test_pca_errors() -> None:
    rng = np.random.default_rng(5)
    reference = correlated(rng, 100)
    with pytest.raises(NotFittedError):
        PCAReconstructionDrift().evaluate(reference)
    with pytest.raises(SchemaError, match="nope"):
        PCAReconstructionDrift(columns=["a", "nope"]).fit(reference)
    with_text = reference.assign(s=["x"] * 100)
    with pytest.raises(SchemaError, match="`s`"):
        PCAReconstructionDrift(columns=["a", "b", "s"]).fit(with_text)
    assert PCAReconstructionDrift().fit(with_text).columns_ == ["a", "b", "c", "d"]
    with pytest.raises(DataError, match="rows"):
        PCAReconstructionDrift().fit(reference.iloc[:0])
    with pytest.raises(DataError, match="`b`"):
        PCAReconstructionDrift().fit(reference.assign(b=np.nan))
    with pytest.raises(InvalidParameterError, match="variance"):
        PCAReconstructionDrift(variance=1.5).fit(reference)
    with pytest.raises(InvalidParameterError, match="components"):
        PCAReconstructionDrift(n_components=4).fit(reference)
    with pytest.raises(InvalidParameterError, match="chunk"):
        PCAReconstructionDrift(chunk_size=80).fit(reference)
    with pytest.raises(InvalidParameterError, match="at most one"):
        PCAReconstructionDrift(chunk_size=10, chunk_number=5).fit(reference)
    with pytest.raises(InvalidParameterError):
        PCAReconstructionDrift(k=float("nan")).fit(reference)
    detector = PCAReconstructionDrift().fit(reference)
    with pytest.raises(SchemaError, match="`d`"):
        detector.evaluate(reference.drop(columns=["d"]))
    with pytest.raises(DataError):
        detector.evaluate(reference.iloc[:0])


def domain_tables(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    a = rng.normal(size=n) + shift
    c = rng.exponential(size=n)
    c[rng.random(n) < 0.1] = np.nan
    color = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2] if shift == 0 else [0.3, 0.3, 0.4])
    return pd.DataFrame({"a": a, "b": 0.5 * a + rng.normal(size=n), "c": c, "color": color})


def encode(reference: pd.DataFrame, current: pd.DataFrame) -> np.ndarray:
    """The documented encoding: pooled mean imputation + missing indicator, pooled
    standardisation (ddof=0), one-hot of strings by pooled frequency."""
    pooled = pd.concat([reference, current], ignore_index=True)
    blocks = []
    for name in pooled.columns:
        col = pooled[name]
        if pd.api.types.is_string_dtype(col):
            order = col.value_counts().sort_index().sort_values(ascending=False, kind="stable").index
            blocks += [(col == cat).to_numpy(float) for cat in order]
        else:
            x = col.to_numpy(dtype=float, copy=True)
            missing = np.isnan(x)
            x[missing] = x[~missing].mean()
            blocks.append((x - x.mean()) / x.std())
            if missing.any():
                blocks.append(missing.astype(float))
    return np.column_stack(blocks)


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_domain_classifier_logistic_matches_sklearn(shift: float) -> None:
    rng = np.random.default_rng(42)
    reference, current = domain_tables(rng, 160, 0.0), domain_tables(rng, 110, shift)
    result = domain_classifier_drift(
        reference,
        current,
        classifier=fo.LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000),
        shuffle=False,
        max_rows_per_side=None,
        max_imbalance=None,
    )
    x = encode(reference, current)
    y = np.r_[np.zeros(160), np.ones(110)]
    model = SkLogistic(C=1.0, tol=1e-10, max_iter=10_000)
    proba = cross_val_predict(model, x, y, cv=StratifiedKFold(5), method="predict_proba")[:, 1]
    assert result.auc == pytest.approx(roc_auc_score(y, proba), abs=1e-9)
    assert len(result.features) == x.shape[1]
    assert result.features[:4] == ["a", "b", "c", "c__missing"]
    assert (result.n_reference, result.n_current) == (160, 110)
    assert result.drifted == (result.auc >= 0.55)
    assert result.null_std == pytest.approx(np.sqrt((160 + 110 + 1) / (12 * 160 * 110)))
    if shift:
        assert result.drifted and result.auc > 0.75


def test_domain_classifier_forest_near_sklearn_and_deterministic() -> None:
    rng = np.random.default_rng(1)
    reference = domain_tables(rng, 300, 0.0).drop(columns=["c"])
    same = domain_tables(rng, 300, 0.0).drop(columns=["c"])
    shifted = domain_tables(rng, 300, 2.0).drop(columns=["c"])
    forest = fo.RandomForestClassifier(n_estimators=50, random_state=0)
    r_same = domain_classifier_drift(reference, pl.from_pandas(same), classifier=forest, shuffle=False, seed=4)
    r_shift = domain_classifier_drift(pa.Table.from_pandas(reference), shifted, classifier=forest, shuffle=False)
    y = np.r_[np.zeros(300), np.ones(300)]
    for current, ours in ((same, r_same), (shifted, r_shift)):
        x = encode(reference, current)
        proba = cross_val_predict(
            SkForest(n_estimators=50, random_state=0), x, y, cv=StratifiedKFold(5), method="predict_proba"
        )[:, 1]
        # Different random streams: the AUCs agree within sampling noise, not exactly.
        assert ours.auc == pytest.approx(roc_auc_score(y, proba), abs=0.05)
    assert abs(r_same.auc - 0.5) < 0.08
    assert r_shift.drifted and r_shift.auc > 0.9
    # Deterministic given the seeds (default classifier, shuffled folds).
    first = domain_classifier_drift(reference, shifted, seed=9)
    assert domain_classifier_drift(reference, shifted, seed=9).to_dict() == first.to_dict()
    assert first.columns == ["a", "b", "color"]
    assert "DomainClassifierResult(auc=" in repr(first)


def test_domain_classifier_sampling_and_errors() -> None:
    rng = np.random.default_rng(2)
    reference, current = domain_tables(rng, 400, 0.0), domain_tables(rng, 50, 0.0)
    small = fo.RandomForestClassifier(n_estimators=10)
    r = domain_classifier_drift(reference, current, classifier=small)
    assert (r.n_reference, r.n_current, r.n_reference_total) == (150, 50, 400)
    r = domain_classifier_drift(reference, current, classifier=small, max_rows_per_side=30)
    assert (r.n_reference, r.n_current) == (30, 30)
    with pytest.raises(DataError, match="current"):
        domain_classifier_drift(reference, current.iloc[:3], classifier=small)
    with pytest.raises(SchemaError, match="color"):
        domain_classifier_drift(reference, current.drop(columns=["color"]), classifier=small)
    with pytest.raises(SchemaError, match="zzz"):
        domain_classifier_drift(reference, current, columns=["zzz"], classifier=small)
    with pytest.raises(DataError, match="`c`"):
        domain_classifier_drift(reference.assign(c=np.nan), current.assign(c=np.nan), classifier=small)
    with pytest.raises(InvalidParameterError, match="threshold"):
        domain_classifier_drift(reference, current, threshold=0.4)
    with pytest.raises(InvalidParameterError, match="classifier"):
        domain_classifier_drift(reference, current, classifier="forest")
    with pytest.raises(InvalidParameterError, match="classifier"):
        domain_classifier_drift(reference, current, classifier=fo.Ridge())
    with pytest.raises(InvalidParameterError, match="n_splits"):
        domain_classifier_drift(reference, current, n_splits=1)
