"""Drift report: ferrops vs scipy vs Evidently, in the same run on the same data.

20 numeric columns (``--columns``) of ``--rows`` reference rows and ``--rows`` current
rows (default 1,000,000 each), drawn from a seeded numpy generator: the reference
standard normal, the current one shifted by 0.2 on every other column.

- **scipy**: per column ``scipy.stats.ks_2samp`` (asymptotic at this size, as scipy's
  ``method="auto"`` picks), ``scipy.stats.wasserstein_distance`` and a numpy PSI (10
  bins at the reference's deciles, ``numpy.quantile(method="inverted_cdf")``,
  right-closed bins, empty shares replaced by 1e-4).
- **ferrops, same work**: the three same measures on every column from the raw tables,
  in one report (``numeric_test="ks", also=["wasserstein", "psi"]``: each column is
  read and sorted once for the three).
- **ferrops, report**: one ``drift_report`` with the automatic test (Wasserstein / σ).
- **ferrops, stored profile**: ``Profile.from_table(reference)`` once (timed apart),
  then ``DriftDetector(profile).run(current)``: the current pass alone.
- **Evidently**: ``Report([DataDriftPreset()]).run(current, reference)`` (its default
  tests; skipped with ``--skip-evidently`` or when not installed).

Each ferrops and scipy measurement is the best of ``--repeat`` runs; Evidently runs
once. Ratios > 1 mean ferrops is faster. The statistics are compared with scipy's
column by column (KS and Wasserstein to 1e-9 relative, PSI to 1e-9 relative).

    python benches/python/bench_drift.py              # full size
    python benches/python/bench_drift.py --rows 100000 --skip-evidently
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats

import ferrops.drift as fd


def numpy_psi(ref: np.ndarray, cur: np.ndarray, bins: int = 10, eps: float = 1e-4) -> float:
    edges = np.quantile(ref, np.arange(1, bins) / bins, method="inverted_cdf")
    edges = np.unique(edges)
    r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1) / len(cur)
    r = np.where(r == 0, eps, r)
    c = np.where(c == 0, eps, c)
    return float(((c - r) * np.log(c / r)).sum())


def best(repeat: int, f):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-evidently", action="store_true")
    args = parser.parse_args()

    rng = np.random.default_rng(2026)
    names = [f"f{i}" for i in range(args.columns)]
    ref = pd.DataFrame({n: rng.normal(size=args.rows) for n in names})
    cur = pd.DataFrame({n: rng.normal(0.2 if i % 2 else 0.0, 1, size=args.rows) for i, n in enumerate(names)})
    print(f"{args.columns} numeric columns, {args.rows:,} reference rows vs {args.rows:,} current rows")

    def scipy_all():
        return {
            n: (
                stats.ks_2samp(ref[n].to_numpy(), cur[n].to_numpy()),
                stats.wasserstein_distance(ref[n].to_numpy(), cur[n].to_numpy()),
                numpy_psi(ref[n].to_numpy(), cur[n].to_numpy()),
            )
            for n in names
        }

    t_scipy, scipy_out = best(args.repeat, scipy_all)

    def ferrops_same_work():
        report = fd.drift_report(ref, cur, numeric_test="ks", also=["wasserstein", "psi"])
        ks = {c["column"]: c for c in report.columns}
        also = {c["column"]: {m["test"]: m for m in c["also"]} for c in report.columns}
        return ks, {n: a["wasserstein"] for n, a in also.items()}, {n: a["psi"] for n, a in also.items()}

    t_same, (ks, ws, psi) = best(args.repeat, ferrops_same_work)
    t_report, report = best(args.repeat, lambda: fd.drift_report(ref, cur))
    t_profile, profile = best(args.repeat, lambda: fd.Profile.from_table(ref))
    detector = fd.DriftDetector(profile)
    t_run, from_profile = best(args.repeat, lambda: detector.run(cur))

    worst = {"ks": 0.0, "ks_p": 0.0, "wasserstein": 0.0, "psi": 0.0}
    for n in names:
        s_ks, s_w, s_psi = scipy_out[n]
        worst["ks"] = max(worst["ks"], abs(ks[n]["statistic"] - s_ks.statistic) / s_ks.statistic)
        worst["ks_p"] = max(worst["ks_p"], abs(ks[n]["p_value"] - s_ks.pvalue) / max(s_ks.pvalue, 1e-300))
        worst["wasserstein"] = max(worst["wasserstein"], abs(ws[n]["statistic"] - s_w) / s_w)
        worst["psi"] = max(worst["psi"], abs(psi[n]["statistic"] - s_psi) / max(s_psi, 1e-300))
    print("agreement with scipy (worst relative difference over columns):", {k: f"{v:.2e}" for k, v in worst.items()})
    print(
        f"drifted columns: report {report.drifted_columns == from_profile.drifted_columns} equal;",
        report.drifted_columns,
    )

    rows = [
        ("scipy: ks_2samp + wasserstein + numpy PSI", t_scipy, None),
        ("ferrops: the same three measures (one report)", t_same, t_scipy / t_same),
        ("ferrops: drift_report (automatic test)", t_report, t_scipy / t_report),
        ("ferrops: Profile.from_table(reference)", t_profile, None),
        ("ferrops: DriftDetector(profile).run(current)", t_run, t_scipy / t_run),
    ]

    if not args.skip_evidently:
        try:
            from evidently import Report
            from evidently.presets import DataDriftPreset
        except ImportError:
            print("evidently not installed: skipped")
        else:
            t = time.perf_counter()
            Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
            t_evidently = time.perf_counter() - t
            rows.append(("evidently: Report([DataDriftPreset()]).run", t_evidently, None))
            rows.append(("  ferrops report vs evidently", t_evidently / t_report, None))
            rows.append(("  ferrops profile run vs evidently", t_evidently / t_run, None))

    print(f"\n{'measure':52} {'seconds':>10} {'vs scipy':>10}")
    for name, seconds, ratio in rows:
        if name.startswith("  "):
            print(f"{name:52} {'':>10} {seconds:>9.1f}x")
        else:
            print(f"{name:52} {seconds:>10.3f} {'' if ratio is None else f'{ratio:9.1f}x':>10}")


if __name__ == "__main__":
    main()
