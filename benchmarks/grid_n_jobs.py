"""GridSearchCV(n_jobs=2) vs n_jobs=1 over the default estimator: does the second core help?

KEEL yeast3 (StandardScaler), ``ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=20,
random_state=0)`` (five cross-fitted members per fit, ``torch_threads="auto"``: one torch
thread each), 8 beta x gamma candidates x 5 folds, scikit-learn's ``GridSearchCV`` (joblib's
loky processes). Searches alternate (n_jobs=1, n_jobs=2, ...) after a warm-up; the speed-up
is the median of the per-pair ratios.

    python benchmarks/grid_n_jobs.py --pairs 3
"""

import argparse
import json
import os
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    X, y = load_keel("yeast3", return_X_y=True)
    X = StandardScaler().fit_transform(X)
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=20, random_state=0)
    grid = {"beta": [0.9, 0.99, 0.999, 0.9999], "gamma": [0.0, 2.0]}
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def seconds(n_jobs):
        start = time.perf_counter()
        search = GridSearchCV(estimator, grid, scoring="balanced_accuracy", cv=cv,
                              n_jobs=n_jobs).fit(X, y)
        return time.perf_counter() - start, search.best_score_

    seconds(2)  # warm-up: starts the worker processes
    ratios = []
    for pair in range(args.pairs):
        one, score_one = seconds(1)
        two, score_two = seconds(2)
        ratios.append(one / two)
        print(json.dumps({"pair": pair, "n_jobs_1_s": round(one, 2), "n_jobs_2_s": round(two, 2),
                          "speedup": round(one / two, 2), "best_score_1": round(score_one, 4),
                          "best_score_2": round(score_two, 4)}), flush=True)
    print(json.dumps({"cores": os.cpu_count(), "fits": 8 * 5,
                      "median_speedup": round(float(np.median(ratios)), 2)}))


if __name__ == "__main__":
    main()
