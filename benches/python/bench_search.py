"""Grid search: ferrops ``GridSearch`` vs scikit-learn ``GridSearchCV``, same table, same
folds, same grid, in the same run.

The pipeline and the generated table are those of ``bench_vs_sklearn.py`` (median
imputation, scaling, one-hot of 4 string columns up to 1000 categories, L2 logistic
regression). The grid is ``C`` in {0.01, 0.1, 1, 10}, scored by ``neg_log_loss`` over
5 stratified folds, with the best candidate refitted on all rows. scikit-learn runs with
``n_jobs=1`` and ``n_jobs=2`` (this machine has 2 cores; ferrops uses all of them). Prints
wall times, the ratios, and whether both picked the same C with the same mean score.

    python benches/python/bench_search.py --rows 100000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_vs_sklearn import ferrops_pipeline, make_table, sklearn_pipeline
from sklearn.model_selection import GridSearchCV, StratifiedKFold

import ferrops as fo

GRID = [0.01, 0.1, 1.0, 10.0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, y = make_table(args.rows, args.seed)
    folds = list(StratifiedKFold(5).split(X, y))
    print(f"table: {args.rows} rows, grid of {len(GRID)} x {len(folds)} folds, refit on all rows")

    start = time.perf_counter()
    ours = fo.model_selection.GridSearch(
        ferrops_pipeline(), {"trainer__C": GRID}, scoring="neg_log_loss", cv=folds
    ).fit(X, y)
    ours_s = time.perf_counter() - start
    print(
        f"ferrops GridSearch:           {ours_s:7.2f} s  best C={ours.best_params_['trainer__C']}  "
        f"mean neg_log_loss={ours.best_score_:.6f}"
    )

    for jobs in (1, 2):
        start = time.perf_counter()
        theirs = GridSearchCV(
            sklearn_pipeline(), {"model__C": GRID}, scoring="neg_log_loss", cv=folds, n_jobs=jobs
        ).fit(X, y)
        theirs_s = time.perf_counter() - start
        print(
            f"scikit-learn n_jobs={jobs}:       {theirs_s:7.2f} s  best C={theirs.best_params_['model__C']}  "
            f"mean neg_log_loss={theirs.best_score_:.6f}  -> ferrops {theirs_s / ours_s:.2f}x faster"
        )
    diff = np.max(np.abs(ours.cv_results_["mean_test_score"] - theirs.cv_results_["mean_test_score"]))
    print(f"largest difference of a candidate's mean score: {diff:.2e}")


if __name__ == "__main__":
    main()
