"""Streaming drift detectors with River's API and River's detections, computed in Rust.

Each class mirrors the River class of the same name (``river.drift.ADWIN``,
``PageHinkley``, ``KSWIN`` and ``river.drift.binary.DDM``, ``EDDM``, ``HDDM_A``,
``HDDM_W``): the same parameters and defaults, ``update(x)`` returning ``None``, and the
``drift_detected`` / ``warning_detected`` properties read after each update. On the
same stream they fire at the same indices as River (checked against River 0.26 on the
streams of River's docstrings). As in River, a detector that reported a drift starts
afresh at its next update.

Beyond River: ``update_many(values)`` reads a whole numpy array in Rust with the GIL
released and returns the positions of the drifts; non-finite values (and, for the
binary detectors, values outside ``[0, 1]``) raise ``DataError`` instead of silently
corrupting the state; detectors pickle (their state is JSON) and resume where they
stopped.

>>> import numpy as np
>>> from ferrops.drift import PageHinkley
>>> ph = PageHinkley()
>>> stream = np.r_[np.zeros(500), np.full(500, 3.0)]
>>> ph.update_many(stream)
array([517])
"""

from __future__ import annotations

import json
import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core

__all__ = ["ADWIN", "DDM", "EDDM", "HDDM_A", "HDDM_W", "KSWIN", "PageHinkley"]


class _StreamDetector:
    """Shared machinery: the Rust detector, updates, pickling."""

    _kind: str = ""
    _inner: _core.StreamDriftDetector
    _params: dict[str, Any]

    def _build(self, **params: Any) -> None:
        self._params = params
        self._inner = _core.StreamDriftDetector(self._kind, json.dumps(params))

    def update(self, x: float) -> None:
        """Update the detector with a single value.

        Parameters
        ----------
        x : float
            The next value of the stream (for the binary detectors, 1 for an error and
            0 for a correct prediction; ``bool`` is accepted).

        Raises
        ------
        ferrops.DataError
            If ``x`` is NaN or infinite, or outside what the detector reads.
        """
        self._inner.update(float(x))

    def update_many(self, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Update the detector with every value of ``values``, in order.

        Equivalent to calling :meth:`update` on each value and recording where
        ``drift_detected`` is true, but runs in Rust with the GIL released.

        Parameters
        ----------
        values : array-like of shape (n,)
            The next values of the stream.

        Returns
        -------
        numpy.ndarray of int64
            Positions in ``values`` (0-based) at which a drift was detected.

        Raises
        ------
        ferrops.DataError
            If ``values`` is not one-dimensional, or a value is NaN or infinite or
            outside what the detector reads; then no value is read.
        """
        array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
        if array.ndim != 1:
            raise _core.DataError(f"values must be one-dimensional, got an array of shape {array.shape}")
        return self._inner.update_many(array)

    def reset(self) -> None:
        """Forget the stream: back to a new detector with the same parameters."""
        self._inner.reset()

    @property
    def drift_detected(self) -> bool:
        """Whether the latest update detected a drift."""
        return self._inner.drift_detected

    @property
    def warning_detected(self) -> bool:
        """Whether the latest update is in the warning zone (always False for the
        detectors without warnings: ADWIN, PageHinkley, KSWIN)."""
        return self._inner.warning_detected

    @property
    def n_seen(self) -> int:
        """Values read since construction or :meth:`reset` (restarts after a drift do
        not reset it)."""
        return self._inner.n_seen

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters."""
        return dict(self._params)

    def __getstate__(self) -> dict[str, Any]:
        return {"params": self._params, "state": self._inner.to_json()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._params = state["params"]
        self._inner = _core.StreamDriftDetector.from_json(state["state"])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"


class ADWIN(_StreamDetector):
    """ADaptive WINdowing drift detector (River's ``drift.ADWIN``).

    Keeps a variable-length window of recent values as an exponential histogram and,
    every ``clock`` values, looks for a cut into an older and a newer sub-window whose
    means differ by more than a bound of significance ``delta``; it then drops the
    older values and reports a drift. Updates cost amortised ``O(log W)``.

    Parameters
    ----------
    delta : float, default=0.002
        Significance of the test, in (0, 1); smaller means fewer false alarms.
    clock : int, default=32
        Test for a change every ``clock`` values (1 = after every value).
    max_buckets : int, default=5
        Buckets of each size kept before two are merged.
    min_window_length : int, default=5
        Smallest sub-window a cut may leave on either side.
    grace_period : int, default=10
        No test until the window holds more than this many values.

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import ADWIN
    >>> rng = random.Random(12345)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    >>> adwin = ADWIN()
    >>> for i, x in enumerate(stream):
    ...     adwin.update(x)
    ...     if adwin.drift_detected:
    ...         print(f"Change detected at index {i}, input value: {x}")
    Change detected at index 1023, input value: 4
    """

    _kind = "adwin"

    def __init__(
        self,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
        grace_period: int = 10,
    ) -> None:
        self._build(
            delta=delta,
            clock=clock,
            max_buckets=max_buckets,
            min_window_length=min_window_length,
            grace_period=grace_period,
        )

    @property
    def width(self) -> int:
        """Number of values in the window."""
        return int(self._inner.stat("width"))

    @property
    def total(self) -> float:
        """Sum of the values in the window."""
        return self._inner.stat("total")

    @property
    def variance(self) -> float:
        """Sum of squared deviations from the mean within the window (River's
        ``variance``)."""
        return self._inner.stat("variance")

    @property
    def estimation(self) -> float:
        """Mean of the window (0 when empty)."""
        return self._inner.stat("estimation")

    @property
    def n_detections(self) -> int:
        """Drifts detected since the last restart (0 or 1, as in River)."""
        return int(self._inner.stat("n_detections"))


class PageHinkley(_StreamDetector):
    """Page-Hinkley drift detector (River's ``drift.PageHinkley``).

    A CUSUM of the faded deviations of each value from the running mean: a drift when
    it rises more than ``threshold`` above its minimum (an increase of the mean) or falls
    more than ``threshold`` below its maximum (a decrease). Constant time per value.

    Parameters
    ----------
    min_instances : int, default=30
        No drift is reported before this many values.
    delta : float, default=0.005
        Magnitude of change tolerated.
    threshold : float, default=50.0
        Detection threshold (lambda).
    alpha : float, default=1 - 0.0001
        Forgetting factor of the cumulative sums, in (0, 1].
    mode : {"both", "up", "down"}, default="both"
        Which changes of the mean to look for.

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import PageHinkley
    >>> rng = random.Random(12345)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    >>> PageHinkley().update_many(stream)
    array([1006])
    """

    _kind = "page_hinkley"

    def __init__(
        self,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: str = "both",
    ) -> None:
        self._build(min_instances=min_instances, delta=delta, threshold=threshold, alpha=alpha, mode=mode)

    @property
    def mean(self) -> float:
        """Running mean since the last restart."""
        return self._inner.stat("mean")


class KSWIN(_StreamDetector):
    """Kolmogorov-Smirnov windowing drift detector (River's ``drift.KSWIN``).

    Keeps the last ``window_size`` values; once full, compares the last ``stat_size``
    values with ``stat_size`` values drawn at random from the rest by the two-sample
    Kolmogorov-Smirnov test, and reports a drift when the p-value is at most ``alpha``
    and the statistic exceeds 0.1. The subsample is drawn as River draws it (Python's
    ``random.Random(seed).sample``) and the p-value is scipy's exact ``ks_2samp``, so a
    seeded detector fires where River's does.

    Parameters
    ----------
    alpha : float, default=0.005
        Significance of the test, in (0, 1); River advises below 0.01.
    window_size : int, default=100
        Size of the sliding window.
    stat_size : int, default=30
        Size of the two samples compared; at most ``window_size // 2`` and 10 000.
    seed : int or None, default=None
        Seed of the subsampling (as ``random.Random(seed)``; negative seeds are used by
        absolute value, as Python does). ``None`` draws a fresh seed at every restart.

    Notes
    -----
    River's ``window`` argument (values to pre-fill the window) is not supported.

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import KSWIN
    >>> rng = random.Random(12345)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    >>> KSWIN(alpha=0.0001, seed=42).update_many(stream)
    array([1016])
    """

    _kind = "kswin"

    def __init__(
        self,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
    ) -> None:
        if seed is not None:
            seed = abs(operator.index(seed))
            if seed >= 2**64:
                raise _core.InvalidParameterError(f"invalid parameter `seed` = {seed}: must be below 2**64")
        self._build(alpha=alpha, window_size=window_size, stat_size=stat_size, seed=seed)

    @property
    def p_value(self) -> float:
        """p-value of the latest test (0 before the window first fills)."""
        return self._inner.stat("p_value")

    @property
    def statistic(self) -> float:
        """Kolmogorov-Smirnov statistic of the latest test."""
        return self._inner.stat("statistic")

    @property
    def window(self) -> list[float]:
        """The current window, oldest first."""
        return self._inner.window()


class DDM(_StreamDetector):
    """Drift Detection Method (River's ``drift.binary.DDM``).

    Reads an error indicator per prediction (1 = wrong, 0 = right) and tracks the error
    rate ``p`` and its standard deviation ``s``; warns (drifts) when ``p + s`` exceeds
    the ``p_min`` recorded where ``p + s`` was lowest by ``warning_threshold``
    (``drift_threshold``) times the ``s_min`` recorded there.

    Parameters
    ----------
    warm_start : int, default=30
        No warning or drift before more than this many values.
    warning_threshold : float, default=2.0
        Warning threshold, in standard deviations.
    drift_threshold : float, default=3.0
        Drift threshold, in standard deviations (at least ``warning_threshold``).

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import DDM
    >>> rng = random.Random(42)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    >>> ddm = DDM()
    >>> for i, x in enumerate(stream):
    ...     ddm.update(x)
    ...     if ddm.drift_detected:
    ...         print(f"Change detected at index {i}")
    Change detected at index 1334
    """

    _kind = "ddm"

    def __init__(self, warm_start: int = 30, warning_threshold: float = 2.0, drift_threshold: float = 3.0) -> None:
        self._build(warm_start=warm_start, warning_threshold=warning_threshold, drift_threshold=drift_threshold)

    @property
    def error_rate(self) -> float:
        """Error rate since the last restart."""
        return self._inner.stat("error_rate")


class EDDM(_StreamDetector):
    """Early Drift Detection Method (River's ``drift.binary.EDDM``).

    Reads error indicators (1 = error, 0 = correct) and watches the distance between
    consecutive errors: with ``p'`` its mean and ``s'`` its standard deviation, warns
    (drifts) when ``p' + 2 s'`` falls below ``alpha`` (``beta``) times its maximum.

    Parameters
    ----------
    warm_start : int, default=30
        No warning or drift before more than this many values and errors.
    alpha : float, default=0.95
        Warning threshold, in (0, 1].
    beta : float, default=0.9
        Drift threshold, in (0, alpha].

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import EDDM
    >>> rng = random.Random(42)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    >>> EDDM(alpha=0.8, beta=0.75).update_many(stream)
    array([1278])
    """

    _kind = "eddm"

    def __init__(self, warm_start: int = 30, alpha: float = 0.95, beta: float = 0.9) -> None:
        self._build(warm_start=warm_start, alpha=alpha, beta=beta)

    @property
    def mean_distance(self) -> float:
        """Mean distance between consecutive errors since the last restart."""
        return self._inner.stat("mean_distance")


class HDDM_A(_StreamDetector):  # noqa: N801 (River's name)
    """Drift detection from Hoeffding's bound on moving averages (River's
    ``drift.binary.HDDM_A``).

    Reads values in ``[0, 1]`` (error indicators) and reports a drift (warning) when the
    mean since the cut point where the mean plus its Hoeffding bound was lowest exceeds
    it by more than the bound at ``drift_confidence`` (``warning_confidence``).

    Parameters
    ----------
    drift_confidence : float, default=0.001
        Significance of a drift, in (0, 1).
    warning_confidence : float, default=0.005
        Significance of a warning, in (0, 1), at least ``drift_confidence``.
    two_sided_test : bool, default=False
        Also look for decreases of the error rate.

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import HDDM_A
    >>> rng = random.Random(42)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    >>> HDDM_A().update_many(stream)
    array([1206])
    """

    _kind = "hddm_a"

    def __init__(
        self, drift_confidence: float = 0.001, warning_confidence: float = 0.005, two_sided_test: bool = False
    ) -> None:
        self._build(
            drift_confidence=drift_confidence, warning_confidence=warning_confidence, two_sided_test=two_sided_test
        )

    @property
    def mean(self) -> float:
        """Mean of the values since the last restart."""
        return self._inner.stat("mean")


class HDDM_W(_StreamDetector):  # noqa: N801 (River's name)
    """Drift detection from McDiarmid's bound on weighted moving averages (River's
    ``drift.binary.HDDM_W``).

    Like :class:`HDDM_A` with exponentially weighted moving averages, so it forgets old
    values and reacts faster to recent changes.

    Parameters
    ----------
    drift_confidence : float, default=0.001
        Significance of a drift, in (0, 1).
    warning_confidence : float, default=0.005
        Significance of a warning, in (0, 1), at least ``drift_confidence``.
    lambda_val : float, default=0.05
        Weight of the newest value in the moving averages, in (0, 1).
    two_sided_test : bool, default=False
        Also look for decreases of the error rate.

    Examples
    --------
    >>> import random
    >>> from ferrops.drift import HDDM_W
    >>> rng = random.Random(42)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    >>> HDDM_W().update_many(stream)
    array([1077])
    """

    _kind = "hddm_w"

    def __init__(
        self,
        drift_confidence: float = 0.001,
        warning_confidence: float = 0.005,
        lambda_val: float = 0.05,
        two_sided_test: bool = False,
    ) -> None:
        self._build(
            drift_confidence=drift_confidence,
            warning_confidence=warning_confidence,
            lambda_val=lambda_val,
            two_sided_test=two_sided_test,
        )

    @property
    def mean(self) -> float:
        """Exponentially weighted mean since the last restart."""
        return self._inner.stat("mean")
