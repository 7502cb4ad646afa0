"""BatchedGridSearchCV vs GridSearchCV vs the arithmetic, on the default estimator.

KEEL yeast3 (1,484 x 8, IR 8.1), StandardScaler, ``ImbalancedNetClassifier(
rebalance="cb_focal", max_epochs=20, random_state=0)`` with its default members (five
cross-fitted members per fit, dropout 0.3, the linear shortcut), 16 beta x gamma
candidates, 5-fold ``StratifiedKFold(shuffle, seed 0)``, balanced accuracy, both
``n_jobs=1``. Searches alternate (batched, sequential, batched, ...) in one process after
a warm-up; ratios are medians of the per-pair ratios.

The arithmetic: every member's training steps (candidates x folds x members, each
visiting its rows of the fold every epoch) at 6 flops per multiply-add of the MLP and its
shortcut (forward + the two products of the backward pass), at the rate this machine
reaches, in the same run, for a forward and backward of stacked ``torch.baddbmm`` s of the
same shapes (all members of the stack, 128-row batches): the mean of the rates measured
just before and just after each batched search.

    python benchmarks/batched_search.py --pairs 3                 # the 16-candidate target
    python benchmarks/batched_search.py --pairs 0 --curve 4,16,64,256 --sequential-up-to 16
    python benchmarks/batched_search.py --pairs 2 --torch-threads 1   # beside a busy core
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel
from imbsk.model_selection import BatchedGridSearchCV

HIDDEN = (64, 64)


def grid(n_candidates):
    """n candidates: 4 betas x 4 gammas (16), times random seeds beyond 16, or fewer."""
    betas, gammas = [0.9, 0.99, 0.999, 0.9999], [0.0, 0.5, 1.0, 2.0]
    if n_candidates < 16:
        side = int(np.sqrt(n_candidates))
        return {"beta": betas[:side], "gamma": gammas[:n_candidates // side]}
    return {"beta": betas, "gamma": gammas, "random_state": list(range(n_candidates // 16))}


def multiply_adds_per_row(n_features, n_outputs):
    """Multiply-adds of one row through the default MLP and its linear shortcut."""
    widths = (n_features, *HIDDEN, n_outputs)
    return sum(a * b for a, b in zip(widths, widths[1:])) + n_features * n_outputs


def training_flops(n_candidates, X, y, cv, epochs, members=5):
    """Flops of every member's training steps: rows visited x 6 x multiply-adds per row."""
    rows = 0
    for train, _ in cv.split(X, y):
        rows += len(train) - len(train) // members  # a member skips its fold of the fold
    return 6.0 * n_candidates * members * rows * epochs * multiply_adds_per_row(
        X.shape[1], len(np.unique(y)))


def stacked_rate(n_networks, n_features, n_outputs, batch=128, repeats=20):
    """Flop/s of forward + backward of the default MLP's stacked ``torch.baddbmm`` s.

    The layers of ``n_networks`` members (weights ``(K, out, in)``, biases ``(K, 1, out)``)
    and the linear shortcut on 128-row batches, nothing else (no activation, dropout,
    loss or optimizer): the matrix products a training step cannot do without.
    """
    widths = (n_features, *HIDDEN, n_outputs)
    layers = [((torch.randn(n_networks, b, a) * 0.1).requires_grad_(),
               torch.zeros(n_networks, 1, b, requires_grad=True))
              for a, b in zip(widths, widths[1:])]
    shortcut = (torch.randn(n_networks, n_outputs, n_features) * 0.1).requires_grad_()
    X = torch.randn(n_networks, batch, n_features)

    def step():
        h = X
        for weight, bias in layers:
            h = torch.baddbmm(bias, h, weight.transpose(1, 2))
        torch.baddbmm(h, X, shortcut.transpose(1, 2)).sum().backward()

    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    flops = 6.0 * n_networks * batch * multiply_adds_per_row(n_features, n_outputs)
    return flops / float(np.median(times))


def run(search_class, estimator, params, X, y, cv):
    start = time.perf_counter()
    search = search_class(estimator, params, scoring="balanced_accuracy", cv=cv, n_jobs=1)
    search.fit(X, y)
    return time.perf_counter() - start, search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--curve", default="")
    parser.add_argument("--sequential-up-to", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--torch-threads", default="auto",
                        help="the estimator's torch_threads (1: beside a busy core)")
    args = parser.parse_args()
    X, y = load_keel("yeast3", return_X_y=True)
    X = StandardScaler().fit_transform(X)
    threads = args.torch_threads if args.torch_threads == "auto" else int(args.torch_threads)
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=args.epochs,
                                        random_state=0, torch_threads=threads)
    estimator.fit(X[:300], y[:300])  # warm-up: lazy imports of the first fit
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    stacked_rate(400, X.shape[1], 2)  # warm-up
    rate = stacked_rate(400, X.shape[1], 2, repeats=40)
    print(json.dumps({"machine": f"{platform.processor() or platform.machine()}, "
                                 f"{os.cpu_count()} cores",
                      "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                      "stacked_baddbmm_gflops": round(rate / 1e9, 1)}), flush=True)
    if args.pairs:
        flops = training_flops(16, X, y, cv, args.epochs)
        ratios, over, rates = [], [], []
        for pair in range(args.pairs):
            # the rate of this pair: measured just before and just after its batched
            # search (a shared machine's rate drifts between minutes), their mean
            before = stacked_rate(400, X.shape[1], 2, repeats=40)
            tb, batched = run(BatchedGridSearchCV, estimator, grid(16), X, y, cv)
            after = stacked_rate(400, X.shape[1], 2, repeats=40)
            rates.append((before + after) / 2)
            arithmetic = flops / rates[-1]
            tg, sequential = run(GridSearchCV, estimator, grid(16), X, y, cv)
            delta = np.abs(batched.cv_results_["mean_test_score"]
                           - sequential.cv_results_["mean_test_score"])
            ratios.append(tg / tb)
            over.append(tb / arithmetic)
            print(json.dumps({
                "pair": pair, "batched_s": round(tb, 2), "sequential_s": round(tg, 2),
                "stacked_baddbmm_gflops": round(rates[-1] / 1e9, 1),
                "gflops_before_after": [round(before / 1e9, 1), round(after / 1e9, 1)],
                "arithmetic_s": round(arithmetic, 2), "batched_over_arithmetic":
                round(tb / arithmetic, 2), "speedup": round(tg / tb, 2),
                "best_score_batched": round(batched.best_score_, 4),
                "best_score_sequential": round(sequential.best_score_, 4),
                "best_params_batched": batched.best_params_,
                "best_params_sequential": sequential.best_params_,
                "mean_abs_delta_mean_test_score": round(float(delta.mean()), 4),
                "max_abs_delta_mean_test_score": round(float(delta.max()), 4)}), flush=True)
        print(json.dumps({"gflop": round(flops / 1e9, 1),
                          "median_gflops": round(float(np.median(rates)) / 1e9, 1),
                          "median_batched_over_arithmetic": round(float(np.median(over)), 2),
                          "median_speedup": round(float(np.median(ratios)), 2)}))
    for n in [int(v) for v in args.curve.split(",") if v]:
        before = stacked_rate(400, X.shape[1], 2, repeats=40)  # this point's rate:
        tb, _ = run(BatchedGridSearchCV, estimator, grid(n), X, y, cv)
        rate = (before + stacked_rate(400, X.shape[1], 2, repeats=40)) / 2  # before, after
        arithmetic = training_flops(n, X, y, cv, args.epochs) / rate
        row = {"candidates": n, "fits": 5 * n, "batched_s": round(tb, 2),
               "stacked_baddbmm_gflops": round(rate / 1e9, 1),
               "arithmetic_s": round(arithmetic, 2),
               "batched_over_arithmetic": round(tb / arithmetic, 2)}
        if n <= args.sequential_up_to:
            tg, _ = run(GridSearchCV, estimator, grid(n), X, y, cv)
            row.update(sequential_s=round(tg, 2), speedup=round(tg / tb, 2))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
