"""The default estimator next to other work: fit and predict with a second core busy.

Users rarely have an idle machine: a joblib worker or a second fit keeps a core busy.
With ``--busy 1`` one spinning process does that for the whole run. Fits alternate
(``torch_threads="auto"`` -- the default -- then ``torch_threads=1``, ...) in one process
after a warm-up; the ratio is the median of the per-pair ratios (auto / one thread: at
most 1.3 is the target). ``predict_proba`` of the fitted default is timed on a table of
``--predict-rows`` rows (median of ``--pairs`` calls), in rows per second.

    python benchmarks/busy_core.py --busy 1 --rows 20000 --pairs 3
"""

import argparse
import json
import multiprocessing
import os
import platform
import time

import numpy as np
import torch
from sklearn.datasets import make_classification

from imbsk import ImbalancedNetClassifier


def _spin():
    while True:
        pass


def fit_seconds(X, y, threads):
    clf = ImbalancedNetClassifier(random_state=0, torch_threads=threads)
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start, clf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=1)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--predict-rows", type=int, default=200_000)
    args = parser.parse_args()
    X, y = make_classification(args.rows, n_features=args.features, n_informative=12,
                               n_redundant=6, weights=[0.99], flip_y=0.005, class_sep=0.9,
                               random_state=0)
    X = X.astype(np.float32)
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for spinner in spinners:
        spinner.start()
    try:
        fit_seconds(X[:2000], y[:2000], "auto")  # warm-up
        pairs = []
        for _ in range(args.pairs):
            auto, clf = fit_seconds(X, y, "auto")
            one, _ = fit_seconds(X, y, 1)
            pairs.append((auto, one))
            print(json.dumps({"auto_s": round(auto, 2), "one_thread_s": round(one, 2),
                              "ratio": round(auto / one, 3)}), flush=True)
        X_predict = np.random.default_rng(0).standard_normal(
            (args.predict_rows, args.features)).astype(np.float32)
        clf.predict_proba(X_predict[:1000])  # warm-up
        times = []
        for _ in range(max(args.pairs, 3)):
            start = time.perf_counter()
            clf.predict_proba(X_predict)
            times.append(time.perf_counter() - start)
    finally:
        for spinner in spinners:
            spinner.terminate()
    ratios = [a / o for a, o in pairs]
    print(json.dumps({
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__, "torch_default_threads": torch.get_num_threads(),
        "busy_processes": args.busy, "rows": args.rows, "features": args.features,
        "torch_threads_": clf.torch_threads_, "n_members_": clf.n_members_,
        "max_epochs_": clf.max_epochs_,
        "fit_auto_median_s": round(float(np.median([a for a, _ in pairs])), 2),
        "fit_one_thread_median_s": round(float(np.median([o for _, o in pairs])), 2),
        "fit_ratio_median": round(float(np.median(ratios)), 3),
        "predict_rows_per_s": int(args.predict_rows / np.median(times)),
    }))


if __name__ == "__main__":
    main()
