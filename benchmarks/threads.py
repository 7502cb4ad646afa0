"""One torch thread vs torch's default for small and larger networks (torch_threads="auto").

Fits alternate (1 thread, default threads, 1, default, ...) in one process after a
warm-up; the ratio is the median of the per-pair ratios (default / one thread: above 1
means one thread is faster). Each case reports batch rows x parameters, the quantity
``torch_threads="auto"`` compares with ``imbsk.devices.SMALL_STEP``.

    python benchmarks/threads.py --pairs 5
    python benchmarks/threads.py --pairs 5 --busy 2   # with 2 other busy processes (a
                                                      # GridSearchCV(n_jobs=2) neighbour)
"""

import argparse
import json
import multiprocessing
import time

import numpy as np
import torch
from sklearn.datasets import make_classification

from imbsk import ImbalancedNetClassifier

CASES = {
    # name: (rows, features, hidden units, batch size, epochs)
    "1500 x 8, 64-64, batch 128": (1_500, 8, (64, 64), 128, 30),
    "20000 x 32, 128-128, batch 256": (20_000, 32, (128, 128), 256, 5),
    "20000 x 64, 256-256-256, batch 512": (20_000, 64, (256, 256, 256), 512, 3),
}


def seconds(X, y, hidden, batch, epochs, threads):
    clf = ImbalancedNetClassifier(rebalance="inverse", module__hidden_units=hidden,
                                  batch_size=batch, max_epochs=epochs, torch_threads=threads,
                                  random_state=0)
    start = time.perf_counter()
    clf.fit(X, y)
    n_parameters = sum(p.numel() for p in clf.module_.parameters())
    return time.perf_counter() - start, n_parameters


def _spin():
    while True:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--busy", type=int, default=0,
                        help="processes that keep a core busy during the measurement")
    parser.add_argument("--cases", type=int, default=len(CASES))
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for spinner in spinners:
        spinner.start()
    print(json.dumps({"torch_default_threads": torch.get_num_threads(),
                      "busy_processes": args.busy}))
    try:
        measure(args)
    finally:
        for spinner in spinners:
            spinner.terminate()


def measure(args):
    for name, (rows, features, hidden, batch, epochs) in list(CASES.items())[:args.cases]:
        X, y = make_classification(rows, n_features=features, weights=[0.9], random_state=0)
        seconds(X[:500], y[:500], hidden, batch, 1, 1)  # warm-up
        one, default, ratios = [], [], []
        for _ in range(args.pairs):
            t1, n_parameters = seconds(X, y, hidden, batch, epochs, 1)
            t2, _ = seconds(X, y, hidden, batch, epochs, None)
            one.append(t1)
            default.append(t2)
            ratios.append(t2 / t1)
        print(json.dumps({"case": name, "batch_x_parameters": batch * n_parameters,
                          "one_thread_s": round(float(np.median(one)), 3),
                          "default_threads_s": round(float(np.median(default)), 3),
                          "default_over_one": round(float(np.median(ratios)), 2)}))


if __name__ == "__main__":
    main()
