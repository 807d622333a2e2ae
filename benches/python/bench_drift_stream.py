"""Streaming drift detectors, ferrops vs River, on the same stream in the same run.

For each detector: River's per-value ``update`` loop (River has no batch update), and
ferrops' ``update_many`` on the numpy array (Rust, GIL released) and per-value
``update`` loop. The continuous detectors read Gaussian values whose mean moves by 1.5
every 20,000 values; the binary ones read error indicators whose rate alternates
between 0.2 and 0.4. Best of 3; updates per second, and ratios > 1 mean ferrops is
faster. Also checks both sides detect drifts at the same indices.

    python benches/python/bench_drift_stream.py --n 200000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from river import drift as rd

import ferrops.drift as fd


def best(f, n: int = 3) -> tuple[float, object]:
    result, out = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        out = f()
        result = min(result, time.perf_counter() - start)
    return result, out


def river_loop(make, xs: list) -> list[int]:
    det, drifts = make(), []
    for i, x in enumerate(xs):
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
    return drifts


def ferrops_loop(make, xs: list) -> list[int]:
    det, drifts = make(), []
    for i, x in enumerate(xs):
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
    return drifts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()
    n = args.n
    rng = np.random.default_rng(2026)
    segment = (np.arange(n) // 20_000) % 2
    continuous = rng.normal(size=n) + 1.5 * segment
    binary = (rng.random(n) < np.where(segment == 0, 0.2, 0.4)).astype(np.float64)
    # River reads Python numbers; give both loops the same list.
    cont_list, bin_list = continuous.tolist(), [int(v) for v in binary]
    cases = [
        ("ADWIN", fd.ADWIN, rd.ADWIN, continuous, cont_list),
        ("PageHinkley", fd.PageHinkley, rd.PageHinkley, continuous, cont_list),
        ("KSWIN", lambda: fd.KSWIN(seed=42), lambda: rd.KSWIN(seed=42), continuous, cont_list),
        ("DDM", fd.DDM, rd.binary.DDM, binary, bin_list),
        ("EDDM", fd.EDDM, rd.binary.EDDM, binary, bin_list),
        ("HDDM_A", fd.HDDM_A, rd.binary.HDDMA, binary, bin_list),
        ("HDDM_W", fd.HDDM_W, rd.binary.HDDMW, binary, bin_list),
    ]
    print(f"n = {n} values per detector; updates/s (best of 3)")
    print(
        f"{'detector':12s} {'river':>12s} {'ferrops many':>14s} {'ferrops loop':>14s} {'many/river':>11s} {'loop/river':>11s}  same"
    )
    for name, ours, theirs, array, values in cases:
        t_river, d_river = best(lambda t=theirs, v=values: river_loop(t, v), n=1 if name == "KSWIN" else 3)
        t_many, d_many = best(lambda o=ours, a=array: o().update_many(a).tolist())
        t_loop, d_loop = best(lambda o=ours, v=values: ferrops_loop(o, v))
        same = d_river == d_many == d_loop
        print(
            f"{name:12s} {n / t_river:12.3g} {n / t_many:14.3g} {n / t_loop:14.3g} "
            f"{t_river / t_many:11.1f} {t_river / t_loop:11.1f}  {same}"
        )


if __name__ == "__main__":
    main()
