"""BatchedGridSearchCV vs GridSearchCV: time and agreement (issue "Train many models as one").

KEEL yeast3 (1,484 x 8, IR 8.1), StandardScaler, ImbalancedNetClassifier(rebalance="cb_focal",
max_epochs=20, random_state=0, n_members=1, preprocess=None, module__dropout=0.1) (the
settings of the first measurement, before the defaults changed), 5-fold
StratifiedKFold(shuffle, seed 0), scoring balanced accuracy, both n_jobs=1. Searches alternate (batched, sequential, batched, ...) in one process
after a warm-up fit; the ratio is the median of the per-pair ratios.

    python benchmarks/batched_search.py --pairs 3                # the 16-candidate target
    python benchmarks/batched_search.py --curve 4,16,64,256 --sequential-up-to 64
"""

import argparse
import json
import platform
import time

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel
from imbsk.model_selection import BatchedGridSearchCV


def grid(n_candidates):
    """n candidates: 4 betas x 4 gammas (16), times random seeds beyond 16, or fewer."""
    betas, gammas = [0.9, 0.99, 0.999, 0.9999], [0.0, 0.5, 1.0, 2.0]
    if n_candidates < 16:
        side = int(np.sqrt(n_candidates))
        return {"beta": betas[:side], "gamma": gammas[:n_candidates // side]}
    return {"beta": betas, "gamma": gammas, "random_state": list(range(n_candidates // 16))}


def run(search_class, estimator, params, X, y, cv):
    start = time.perf_counter()
    search = search_class(estimator, params, scoring="balanced_accuracy", cv=cv, n_jobs=1)
    search.fit(X, y)
    return time.perf_counter() - start, search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--curve", default="")
    parser.add_argument("--sequential-up-to", type=int, default=64)
    args = parser.parse_args()
    X, y = load_keel("yeast3", return_X_y=True)
    X = StandardScaler().fit_transform(X)
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=20, random_state=0,
                                        n_members=1, preprocess=None, module__dropout=0.1)
    estimator.fit(X[:300], y[:300])  # warm-up: lazy imports of the first fit
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print(json.dumps({"machine": platform.processor() or platform.machine(),
                      "torch_threads": torch.get_num_threads(), "torch": torch.__version__}))
    if args.pairs:
        ratios = []
        for pair in range(args.pairs):
            tb, batched = run(BatchedGridSearchCV, estimator, grid(16), X, y, cv)
            tg, sequential = run(GridSearchCV, estimator, grid(16), X, y, cv)
            delta = np.abs(batched.cv_results_["mean_test_score"]
                           - sequential.cv_results_["mean_test_score"])
            ratios.append(tg / tb)
            print(json.dumps({
                "pair": pair, "batched_s": round(tb, 2), "sequential_s": round(tg, 2),
                "speedup": round(tg / tb, 2),
                "best_score_batched": round(batched.best_score_, 4),
                "best_score_sequential": round(sequential.best_score_, 4),
                "best_params_batched": batched.best_params_,
                "best_params_sequential": sequential.best_params_,
                "mean_abs_delta_mean_test_score": round(float(delta.mean()), 4),
                "max_abs_delta_mean_test_score": round(float(delta.max()), 4)}))
        print(json.dumps({"median_speedup": round(float(np.median(ratios)), 2)}))
    for n in [int(v) for v in args.curve.split(",") if v]:
        tb, _ = run(BatchedGridSearchCV, estimator, grid(n), X, y, cv)
        row = {"candidates": n, "fits": 5 * n, "batched_s": round(tb, 2)}
        if n <= args.sequential_up_to:
            tg, _ = run(GridSearchCV, estimator, grid(n), X, y, cv)
            row.update(sequential_s=round(tg, 2), speedup=round(tg / tb, 2))
        print(json.dumps(row))


if __name__ == "__main__":
    main()
