"""ferrops vs scikit-learn on the same generated table, in the same run.

Pipeline on both sides: median imputation of the 4 float columns with missing values,
standard scaling of the 16 float columns, one-hot encoding of the 4 string columns
(cardinality 10, 50, 200, 1000; unknown categories ignored), then L2 logistic
regression (C=1, lbfgs, 100 iterations). Measures fit time, transform throughput,
batch predict throughput, single-row predict latency (p50/p99), held-out ROC AUC, and
prints ferrops/scikit-learn ratios (machines are shared and noisy: quote ratios).

    python benches/python/bench_vs_sklearn.py --rows 200000

Options: --rows (total rows, 80% train / 20% test), --single (single-row calls), --seed.
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer as SkImputer
from sklearn.linear_model import LogisticRegression as SkLogReg
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.preprocessing import OneHotEncoder as SkOneHot
from sklearn.preprocessing import StandardScaler as SkScaler

import ferrops as fo

CARDINALITIES = (10, 50, 200, 1000)
FLOATS = [f"f{j}" for j in range(16)]
MISSING = FLOATS[:4]
STRINGS = [f"c{k}" for k in CARDINALITIES]


def make_table(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    score = np.zeros(rows)
    for j, name in enumerate(FLOATS):
        x = rng.normal(j, j + 1, rows)
        score += x / (j + 1) * (0.3 if j % 2 == 0 else -0.2)
        if name in MISSING:
            x[rng.random(rows) < 0.05] = np.nan
        data[name] = x
    for card, name in zip(CARDINALITIES, STRINGS, strict=True):
        k = rng.integers(0, card, rows)
        score += np.where(k % 3 == 0, 0.4, -0.1)
        data[name] = np.char.add("v", k.astype(str)).astype(object)
    y = (score + rng.normal(0, 0.5, rows) > 0).astype(np.int64)
    return pd.DataFrame(data), y


def sklearn_pipeline() -> SkPipeline:
    # Impute first, then scale every float column: a nested pipeline on the floats.
    numeric = SkPipeline([("impute", SkImputer(strategy="median")), ("scale", SkScaler())])
    pre = ColumnTransformer([("num", numeric, FLOATS), ("onehot", SkOneHot(handle_unknown="ignore"), STRINGS)])
    return SkPipeline([("pre", pre), ("model", SkLogReg(C=1.0, max_iter=100))])


def ferrops_pipeline() -> fo.Pipeline:
    return fo.Pipeline(
        [
            fo.SimpleImputer(MISSING, strategy="median"),
            fo.StandardScaler(FLOATS),
            fo.OneHotEncoder(STRINGS, handle_unknown="ignore"),
        ],
        trainer=fo.LogisticRegression(C=1.0, max_iter=100),
        # transform returns scipy CSR, as scikit-learn's ColumnTransformer does here.
        sparse_output=True,
    )


def timed(f, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def latencies(f, rows: list, n: int) -> tuple[float, float]:
    samples = []
    for i in range(n):
        row = rows[i % len(rows)]
        start = time.perf_counter_ns()
        f(row)
        samples.append(time.perf_counter_ns() - start)
    return float(np.percentile(samples, 50)) / 1e3, float(np.percentile(samples, 99)) / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = make_table(args.rows, args.seed)
    split = int(args.rows * 0.8)
    X_train, X_test, y_train, y_test = X.iloc[:split], X.iloc[split:], y[:split], y[split:]
    print(f"table: {args.rows} rows ({split} train / {args.rows - split} test), 16 float + 4 string columns")

    results: dict[str, dict[str, float]] = {}
    for name, make in (("scikit-learn", sklearn_pipeline), ("ferrops", ferrops_pipeline)):
        pipe = make()
        r: dict[str, float] = {}
        r["fit_s"] = timed(lambda pipe=pipe: pipe.fit(X_train, y_train))
        proba = pipe.predict_proba(X_test)[:, 1]
        r["auc"] = float(roc_auc_score(y_test, proba))
        if name == "scikit-learn":
            transform = pipe.named_steps["pre"].transform
        else:
            transform = pipe.transform
        r["transform_rows_per_s"] = len(X_test) / timed(lambda t=transform: t(X_test), repeat=3)
        r["predict_rows_per_s"] = len(X_test) / timed(lambda pipe=pipe: pipe.predict_proba(X_test), repeat=3)
        records = X_test.head(200).to_dict(orient="records")
        if name == "scikit-learn":
            frames = [pd.DataFrame([rec]) for rec in records]
            p50, p99 = latencies(lambda f, pipe=pipe: pipe.predict_proba(f), frames, min(args.single, 300))
        else:
            p50, p99 = latencies(lambda rec, pipe=pipe: pipe.predict_row_proba(rec), records, args.single)
        r["row_p50_us"], r["row_p99_us"] = p50, p99
        results[name] = r
        print(name, json.dumps({k: round(v, 4) for k, v in r.items()}))
        del pipe
        gc.collect()

    sk, fe = results["scikit-learn"], results["ferrops"]
    print("\nferrops vs scikit-learn (higher is better for ferrops):")
    print(f"  fit:               {sk['fit_s'] / fe['fit_s']:.2f}x faster")
    print(f"  transform:         {fe['transform_rows_per_s'] / sk['transform_rows_per_s']:.2f}x throughput")
    print(f"  batch predict:     {fe['predict_rows_per_s'] / sk['predict_rows_per_s']:.2f}x throughput")
    print(
        f"  single row (p50):  {sk['row_p50_us'] / fe['row_p50_us']:.1f}x faster ({fe['row_p50_us']:.1f} us vs {sk['row_p50_us']:.0f} us)"
    )
    print(f"  single row (p99):  {sk['row_p99_us'] / fe['row_p99_us']:.1f}x faster")
    print(f"  held-out AUC:      {fe['auc']:.4f} vs {sk['auc']:.4f}")


if __name__ == "__main__":
    main()
