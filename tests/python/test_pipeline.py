"""Pipeline behaviour from Python: inputs, outputs, errors, persistence, scikit-learn interop."""

import pickle

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler as SkStandardScaler

import ferrops as fo


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_breast_cancer_matches_scikit_learn(cancer):
    """Reference: scikit-learn's StandardScaler + LogisticRegression (lbfgs, C=1) on the same split."""
    X_train, X_test, y_train, y_test = cancer
    ours = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(X_train, y_train)
    ref = make_pipeline(SkStandardScaler(), SkLogisticRegression()).fit(X_train, y_train)
    acc, ref_acc = accuracy_score(y_test, ours.predict(X_test)), accuracy_score(y_test, ref.predict(X_test))
    auc = roc_auc_score(y_test, ours.predict_proba(X_test)[:, 1])
    ref_auc = roc_auc_score(y_test, ref.predict_proba(X_test)[:, 1])
    assert abs(acc - ref_acc) <= 0.01, (acc, ref_acc)
    assert abs(auc - ref_auc) <= 0.01, (auc, ref_auc)
    assert list(ours.classes_) == [0, 1]


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "numpy"])
def test_every_input_kind_gives_the_same_predictions(cancer, kind):
    X_train, X_test, y_train, _ = cancer
    convert = {
        "pandas": lambda X: X,
        "polars": pl.from_pandas,
        "pyarrow": lambda X: pa.Table.from_pandas(X, preserve_index=False),
        "numpy": lambda X: X.to_numpy(),
    }[kind]
    ref = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(X_train, y_train)
    ours = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(convert(X_train), y_train.to_numpy())
    np.testing.assert_allclose(ours.predict_proba(convert(X_test)), ref.predict_proba(X_test), rtol=0, atol=1e-12)


def test_target_by_column_name_and_string_labels(mixed_frame):
    df = mixed_frame.assign(a=mixed_frame["a"].fillna(50.0))
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression())
    pipe.fit(df.drop(columns=["city"]), target="label")
    pred = pipe.predict(df)
    assert set(pred) <= {"no", "yes"}
    assert list(pipe.classes_) == ["no", "yes"]
    assert pipe.feature_names_in_ == ["a", "b"]


def test_schema_errors_name_the_column(cancer):
    X_train, X_test, y_train, _ = cancer
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(X_train, y_train)
    with pytest.raises(fo.SchemaError, match="mean radius"):
        pipe.predict(X_test.drop(columns=["mean radius"]))
    with pytest.raises(fo.SchemaError, match="mean radius"):
        pipe.predict(X_test.assign(**{"mean radius": "x"}))
    # Extra columns are ignored.
    pipe.predict(X_test.assign(extra=1))
    assert issubclass(fo.SchemaError, fo.FerropsError)


def test_bad_input_raises_specific_errors(mixed_frame):
    with pytest.raises(fo.DataError, match="single class"):
        fo.Pipeline([], trainer=fo.LogisticRegression()).fit(mixed_frame[["b"]], np.ones(len(mixed_frame)))
    with pytest.raises(fo.DataError, match="no rows"):
        fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(mixed_frame[["b"]].iloc[:0], [])
    with pytest.raises(fo.DataError, match="`a`"):  # NaN reaches the model
        fo.Pipeline([], trainer=fo.LogisticRegression()).fit(mixed_frame[["a", "b"]], mixed_frame["label"])
    with pytest.raises(fo.InvalidParameterError, match="`c`"):
        fo.LogisticRegression(C=0.0).fit(mixed_frame[["b"]], mixed_frame["label"])
    with pytest.raises(fo.NotFittedError):
        fo.Pipeline([fo.StandardScaler()]).predict(mixed_frame)
    with pytest.raises(fo.InvalidParameterError):
        fo.Pipeline([], trainer=fo.LogisticRegression()).fit(mixed_frame[["b"]])


def test_pickle_round_trip(cancer):
    X_train, X_test, y_train, _ = cancer
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(X_train, y_train)
    back = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(back.predict_proba(X_test), pipe.predict_proba(X_test))
    scaler = fo.StandardScaler().fit(X_train)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(scaler)).transform(X_test), scaler.transform(X_test))


def test_save_load_and_tamper_detection(cancer, tmp_path):
    X_train, X_test, y_train, _ = cancer
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(X_train, y_train)
    manifest = pipe.save(tmp_path / "model")
    assert manifest["format_version"] == 1
    assert [s["tag"] for s in manifest["stages"]] == ["standard_scaler"]
    loaded = fo.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))
    with pytest.raises(fo.FerropsIOError, match="not empty"):
        pipe.save(tmp_path / "model")
    model = tmp_path / "model" / "model.json"
    model.write_text(model.read_text().replace("1", "3", 1))
    with pytest.raises(fo.IntegrityError, match="model.json"):
        fo.load(tmp_path / "model")


def test_predict_row_matches_batch(cancer):
    X_train, X_test, y_train, _ = cancer
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression()).fit(X_train, y_train)
    proba = pipe.predict_proba(X_test)
    pred = pipe.predict(X_test)
    for i, row in enumerate(X_test.head(20).to_dict(orient="records")):
        assert pipe.predict_row(row) == pred[i]
        np.testing.assert_allclose(pipe.predict_row_proba(row), proba[i], rtol=0, atol=1e-12)
    with pytest.raises(fo.SchemaError, match="mean radius"):
        pipe.predict_row({"nope": 1.0})


def test_scikit_learn_clone_params_and_pipeline(cancer):
    X_train, X_test, y_train, y_test = cancer
    est = fo.LogisticRegression(C=0.5, max_iter=200)
    assert est.get_params()["C"] == 0.5
    cloned = clone(est)
    assert cloned.get_params() == est.get_params() and cloned is not est
    sk = make_pipeline(fo.StandardScaler(), fo.LogisticRegression()).fit(X_train.to_numpy(), y_train.to_numpy())
    assert accuracy_score(y_test, sk.predict(X_test.to_numpy())) > 0.95
    pipe = fo.Pipeline([fo.StandardScaler()], trainer=fo.LogisticRegression())
    pipe.set_params(trainer__C=0.1, steps__0__with_mean=False)
    assert pipe.trainer.C == 0.1 and pipe.steps[0].with_mean is False


def test_set_output_containers(cancer):
    X_train, *_ = cancer
    scaler = fo.StandardScaler().fit(X_train)
    assert isinstance(scaler.transform(X_train), np.ndarray)
    assert isinstance(scaler.set_output(transform="pandas").transform(X_train), pd.DataFrame)
    assert isinstance(scaler.set_output(transform="polars").transform(X_train), pl.DataFrame)
    assert isinstance(scaler.set_output(transform="pyarrow").transform(X_train), pa.Table)
    with pytest.raises(fo.InvalidParameterError):
        scaler.set_output(transform="excel")
    assert list(scaler.get_feature_names_out()) == list(X_train.columns)


def test_ctrl_c_interrupts_a_long_fit():
    """A SIGINT during a fit raises KeyboardInterrupt well before the fit would end."""
    import os
    import signal
    import threading
    import time

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 400))
    y = (X[:, 0] + rng.normal(size=20000) > 0).astype(int)
    slow = fo.LogisticRegression(max_iter=300, tol=1e-12, solver="linfa")  # the slow dense solver
    start = time.perf_counter()
    slow.fit(X, y)
    uninterrupted = time.perf_counter() - start
    assert uninterrupted > 0.5, "the fit must take long enough to interrupt"

    timer = threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        fo.LogisticRegression(max_iter=300, tol=1e-12, solver="linfa").fit(X, y)
    interrupted = time.perf_counter() - start
    timer.join()
    assert interrupted < uninterrupted / 2, (interrupted, uninterrupted)


def test_ctrl_c_also_stops_the_worker():
    """After the KeyboardInterrupt, the cancelled fit stops burning CPU in the background."""
    import os
    import signal
    import threading
    import time

    rng = np.random.default_rng(1)
    # Badly scaled, nearly separable, barely regularised: L-BFGS needs a very long time.
    X = rng.normal(size=(400_000, 40)) * np.logspace(0, 4, 40)
    y = (X[:, 0] + 1e-3 * rng.normal(size=len(X)) > 0).astype(int)
    endless = fo.LogisticRegression(C=1e12, max_iter=1_000_000, tol=1e-300)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        endless.fit(X, y)
    timer.join()
    time.sleep(0.3)  # the worker notices at its next solver step
    before = time.process_time()
    time.sleep(1.0)
    busy = time.process_time() - before
    assert busy < 0.3, f"{busy:.2f} s of CPU in 1 s after the interrupt: the worker is still running"
