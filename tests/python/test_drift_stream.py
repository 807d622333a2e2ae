"""ferrops.drift streaming detectors against River.

The committed reference (tests/fixtures/drift/stream/reference.json, written by
make_reference.py there with River and scipy) holds River's drift and warning indices
for every detector configuration on the streams of River's docstrings and two longer
streams; these tests reproduce them index for index, through ``update`` and through
``update_many``. When River is installed they also compare with River live on fresh
streams.
"""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest

import ferrops
from ferrops.drift import ADWIN, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, PageHinkley

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "drift" / "stream" / "reference.json").read_text()
)
CLASSES = {
    "adwin": ADWIN,
    "page_hinkley": PageHinkley,
    "kswin": KSWIN,
    "ddm": DDM,
    "eddm": EDDM,
    "hddm_a": HDDM_A,
    "hddm_w": HDDM_W,
}
CASES = REFERENCE["cases"]


def _id(case: dict) -> str:
    return f"{case['name']}-{case['stream']}"


def _run(det, stream) -> tuple[list[int], list[int]]:
    drifts, warnings = [], []
    for i, x in enumerate(stream):
        assert det.update(x) is None
        if det.drift_detected:
            drifts.append(i)
        if det.warning_detected:
            warnings.append(i)
    return drifts, warnings


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_update_matches_river_reference(case: dict) -> None:
    det = CLASSES[case["kind"]](**case["params"])
    stream = REFERENCE["streams"][case["stream"]]
    drifts, warnings = _run(det, stream)
    assert drifts == case["drifts"]
    assert warnings == case["warnings"]
    assert det.n_seen == len(stream)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_update_many_matches_river_reference(case: dict) -> None:
    det = CLASSES[case["kind"]](**case["params"])
    out = det.update_many(np.asarray(REFERENCE["streams"][case["stream"]]))
    assert out.dtype == np.int64
    assert out.tolist() == case["drifts"]


def test_river_docstrings() -> None:
    # The outputs printed in River's docstrings.
    rng = random.Random(12345)
    cont = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    assert ADWIN().update_many(cont).tolist() == [1023]
    assert PageHinkley().update_many(cont).tolist() == [1006]
    assert KSWIN(alpha=0.0001, seed=42).update_many(cont).tolist() == [1016]
    rng = random.Random(42)
    binary = rng.choices([0, 1], k=1000) + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    ddm = DDM()
    drifts, warnings = _run(ddm, binary)
    assert (drifts, warnings[0]) == ([1334], 1084)
    assert _run(EDDM(alpha=0.8, beta=0.75), binary)[0] == [1278]
    assert _run(HDDM_A(), binary)[0] == [1206]
    assert _run(HDDM_W(), binary)[0] == [1077]


def test_kswin_p_values_match_river() -> None:
    for case in (c for c in CASES if c["kind"] == "kswin"):
        det = KSWIN(**case["params"])
        got = []
        for i, x in enumerate(REFERENCE["streams"][case["stream"]]):
            det.update(x)
            if i + 1 >= case["params"].get("window_size", 100) and len(got) < REFERENCE["kswin_trace"]:
                got.append(det.p_value)
        assert got == case["p_values"], _id(case)


def test_adwin_properties_match_river_reference() -> None:
    case = next(c for c in CASES if c["name"] == "adwin_default" and c["stream"] == "continuous_multi")
    det = ADWIN()
    det.update_many(REFERENCE["streams"][case["stream"]])
    assert det.width == case["final"]["width"]
    assert det.total == pytest.approx(case["final"]["total"], rel=1e-12)
    assert det.variance == pytest.approx(case["final"]["variance"], rel=1e-9)
    assert det.estimation == pytest.approx(det.total / det.width)
    assert det.n_detections == 0


try:  # River is a test-only peer; the reference above covers its absence.
    from river import drift as river_drift
except ImportError:  # pragma: no cover
    river_drift = None


@pytest.mark.skipif(river_drift is None, reason="River not installed")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_against_river_live(seed: int) -> None:
    rng = random.Random(seed)
    cont = [rng.gauss(0, 1) for _ in range(1500)] + [rng.gauss(1.5, 2) for _ in range(1500)]
    binary = rng.choices([0, 1], k=1500, weights=[0.8, 0.2]) + rng.choices([0, 1], k=1500, weights=[0.5, 0.5])
    pairs = [
        (ADWIN(delta=0.01), river_drift.ADWIN(delta=0.01), cont),
        (PageHinkley(threshold=30.0), river_drift.PageHinkley(threshold=30.0), cont),
        (KSWIN(seed=seed), river_drift.KSWIN(seed=seed), cont),
        (DDM(), river_drift.binary.DDM(), binary),
        (EDDM(), river_drift.binary.EDDM(), binary),
        (HDDM_A(two_sided_test=True), river_drift.binary.HDDMA(two_sided_test=True), binary),
        (HDDM_W(two_sided_test=True), river_drift.binary.HDDMW(two_sided_test=True), binary),
    ]
    for ours, theirs, stream in pairs:
        expected_d, expected_w = [], []
        for i, x in enumerate(stream):
            theirs.update(x)
            if theirs.drift_detected:
                expected_d.append(i)
            if getattr(theirs, "warning_detected", False):
                expected_w.append(i)
        assert _run(ours, stream) == (expected_d, expected_w), type(ours).__name__


@pytest.mark.parametrize("case", [c for c in CASES if c["stream"].endswith("multi")], ids=_id)
def test_pickle_resumes(case: dict) -> None:
    stream = np.asarray(REFERENCE["streams"][case["stream"]])
    det = CLASSES[case["kind"]](**case["params"])
    first = det.update_many(stream[:1234]).tolist()
    clone = pickle.loads(pickle.dumps(det))
    assert type(clone) is type(det)
    assert clone.n_seen == 1234
    assert clone.get_params() == det.get_params()
    rest = clone.update_many(stream[1234:]) + 1234
    assert first + rest.tolist() == case["drifts"]


def test_reset_and_repr() -> None:
    det = PageHinkley(threshold=20.0, mode="up")
    assert repr(det) == "PageHinkley(min_instances=30, delta=0.005, threshold=20.0, alpha=0.9999, mode='up')"
    det.update_many(np.r_[np.zeros(100), np.full(100, 5.0)])
    assert det.n_seen == 200
    det.reset()
    assert det.n_seen == 0 and not det.drift_detected and not det.warning_detected


def test_bool_input_and_binary_checks() -> None:
    ddm = DDM()
    ddm.update(True)
    ddm.update(np.bool_(False))
    assert ddm.n_seen == 2 and ddm.error_rate == 0.5
    with pytest.raises(ferrops.DataError, match=r"\[0, 1\]"):
        ddm.update(2.0)
    with pytest.raises(ferrops.DataError, match="1 \\(error\\) or 0"):
        EDDM().update(0.5)
    with pytest.raises(ferrops.DataError, match="row 1"):
        HDDM_W().update_many([0.0, 3.0])


def test_non_finite_and_shape_errors() -> None:
    det = ADWIN()
    with pytest.raises(ferrops.DataError, match="non-finite"):
        det.update(float("nan"))
    with pytest.raises(ferrops.DataError, match="row 2"):
        det.update_many([1.0, 2.0, np.inf])
    assert det.n_seen == 0  # nothing was read
    with pytest.raises(ferrops.DataError, match="one-dimensional"):
        det.update_many(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        det.update_many(["a", "b"])
    with pytest.raises(ValueError):
        det.update("a")  # type: ignore[arg-type]
    assert det.update_many(np.array([], dtype=np.float64)).tolist() == []
    # Strided input is read correctly.
    strided = np.r_[np.zeros(1000), np.full(1000, 5.0)][::2]
    assert ADWIN().update_many(strided).tolist() == ADWIN().update_many(strided.copy()).tolist()


@pytest.mark.parametrize(
    ("cls", "params", "name"),
    [
        (ADWIN, {"delta": 0.0}, "delta"),
        (ADWIN, {"clock": 0}, "clock"),
        (ADWIN, {"clock": 1.5}, "params"),
        (PageHinkley, {"mode": "sideways"}, "params"),
        (PageHinkley, {"threshold": -1.0}, "threshold"),
        (KSWIN, {"window_size": 50}, "window_size"),
        (KSWIN, {"alpha": 1.0}, "alpha"),
        (KSWIN, {"seed": 2**70}, "seed"),
        (DDM, {"drift_threshold": 1.0}, "drift_threshold"),
        (EDDM, {"alpha": 0.8, "beta": 0.9}, "beta"),
        (HDDM_A, {"drift_confidence": 2.0}, "drift_confidence"),
        (HDDM_W, {"lambda_val": 0.0}, "lambda_val"),
    ],
)
def test_invalid_parameters(cls, params: dict, name: str) -> None:
    with pytest.raises(ferrops.InvalidParameterError, match=f"`{name}`"):
        cls(**params)


def test_kswin_seed_like_python() -> None:
    # Negative seeds are used by absolute value, as random.Random does.
    rng = random.Random(5)
    stream = [rng.random() for _ in range(400)] + [rng.random() + 0.5 for _ in range(400)]
    assert KSWIN(seed=-7).update_many(stream).tolist() == KSWIN(seed=7).update_many(stream).tolist()
    det = KSWIN(seed=3)
    det.update_many(stream[:150])
    assert len(det.window) == 100 and det.window[-1] == stream[149]
    assert 0.0 <= det.p_value <= 1.0 and 0.0 <= det.statistic <= 1.0
