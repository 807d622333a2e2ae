"""Per-transform throughput, ferrops vs scikit-learn, on the same generated table in the same run.

Both sides transform already-fitted objects; ferrops' output is its Arrow table (no
conversion to numpy), scikit-learn's is its native output (dense numpy, sparse CSR for
the one-hot encoder). Best of 5; ratios > 1 mean ferrops is faster.

    python benches/python/bench_transforms.py --rows 100000
"""

from __future__ import annotations

import argparse
import time

import pyarrow as pa
from bench_vs_sklearn import FLOATS, MISSING, STRINGS, make_table
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)

import ferrops as fo


def best(f, n: int = 5) -> float:
    result = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        f()
        result = min(result, time.perf_counter() - start)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    X, _ = make_table(args.rows, 0)
    table = pa.Table.from_pandas(X, preserve_index=False).replace_schema_metadata(None)
    floats = X[FLOATS].to_numpy()
    imputed = SimpleImputer(strategy="median").fit_transform(floats)
    imputed_table = pa.table({name: imputed[:, i] for i, name in enumerate(FLOATS)})
    cases = [
        (
            "SimpleImputer(median), 4 cols",
            SimpleImputer(strategy="median"),
            floats[:, :4],
            fo.SimpleImputer(MISSING, strategy="median"),
            table,
        ),
        ("StandardScaler, 16 cols", StandardScaler(), imputed, fo.StandardScaler(FLOATS), imputed_table),
        ("MinMaxScaler, 16 cols", MinMaxScaler(), imputed, fo.MinMaxScaler(FLOATS), imputed_table),
        ("RobustScaler, 16 cols", RobustScaler(), imputed, fo.RobustScaler(FLOATS), imputed_table),
        (
            "KBinsDiscretizer(quantile), 16 cols",
            KBinsDiscretizer(encode="ordinal"),
            imputed,
            fo.KBinsDiscretizer(FLOATS),
            imputed_table,
        ),
        ("PowerTransformer, 16 cols", PowerTransformer(), imputed, fo.PowerTransformer(FLOATS), imputed_table),
        (
            "OneHotEncoder, c10+c50+c200",
            OneHotEncoder(handle_unknown="ignore"),
            X[STRINGS[:3]],
            fo.OneHotEncoder(STRINGS[:3]),
            table,
        ),
        ("OrdinalEncoder, 4 string cols", OrdinalEncoder(), X[STRINGS], fo.OrdinalEncoder(), table),
    ]
    print(f"{args.rows} rows; best of 5")
    print(f"{'transform':40s} {'scikit-learn ms':>15s} {'ferrops ms':>11s} {'ferrops/sklearn':>16s}")
    for name, sk, sk_input, ours, our_input in cases:
        sk.fit(sk_input)
        ours.fit(our_input)
        fitted = ours._fitted
        sk_s = best(lambda sk=sk, x=sk_input: sk.transform(x))
        our_s = best(lambda f=fitted, t=our_input: f.transform(t))
        print(f"{name:40s} {sk_s * 1e3:15.2f} {our_s * 1e3:11.2f} {sk_s / our_s:15.2f}x")


if __name__ == "__main__":
    main()
