"""The default fit against the balanced random forest on a small table (issue "As fast as a
forest").

KEEL yeast3 as a user has it (``load_keel``: 1,484 x 8, numeric, no scaler), in one
process, alternated: ``ImbalancedNetClassifier()`` (with ``random_state=0``) and
imbalanced-learn's ``BalancedRandomForestClassifier(n_estimators=100,
sampling_strategy="all", replacement=True, bootstrap=False, random_state=0)``. Medians of
the fit times and of the per-round ratios; the steps the default trained and their
arithmetic (6 flops per multiply-add of the MLP and its shortcut, every member's rows).

    python benchmarks/forest_ratio.py --rounds 7
    python benchmarks/forest_ratio.py --rounds 7 --candidates \
        '{"150 steps, lr 2e-3": {"max_epochs": 15, "lr": 0.002}}'   # + other settings

``--candidates``: more settings of ``ImbalancedNetClassifier``, each timed in the same
rounds (the default, then each candidate, then the forest).
"""

import argparse
import json
import time

import numpy as np
from imblearn.ensemble import BalancedRandomForestClassifier

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dataset", default="yeast3")
    parser.add_argument("--candidates", default="{}")
    args = parser.parse_args()
    X, y = load_keel(args.dataset, return_X_y=True)
    settings = {"default": {}, **json.loads(args.candidates)}
    ImbalancedNetClassifier(random_state=0).fit(X, y)  # warm-up: lazy imports
    times, nets, forest_s = {name: [] for name in settings}, {}, []
    for _ in range(args.rounds):
        for name, params in settings.items():
            start = time.perf_counter()
            nets[name] = ImbalancedNetClassifier(random_state=0, **params).fit(X, y)
            times[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        BalancedRandomForestClassifier(n_estimators=100, sampling_strategy="all",
                                       replacement=True, bootstrap=False,
                                       random_state=0).fit(X, y)
        forest_s.append(time.perf_counter() - start)
    for name, net in nets.items():
        net_s = times[name]
        steps = sum(1 for epoch in net.history for b in epoch["batches"] if "train_loss" in b)
        widths = (X.shape[1], 64, 64, len(net.classes_))
        multiply_adds = (sum(a * b for a, b in zip(widths, widths[1:]))
                         + X.shape[1] * widths[-1])
        rows_per_step = net.batch_size_ * net.n_members_
        print(json.dumps({
            "dataset": args.dataset, "setting": name, "params": settings[name],
            "rows": X.shape[0], "rounds": args.rounds,
            "imbsk_fit_s": round(float(np.median(net_s)), 3),
            "forest_fit_s": round(float(np.median(forest_s)), 3),
            "ratio": round(float(np.median(np.divide(net_s, forest_s))), 2),
            "epochs": net.max_epochs_, "steps": steps, "batch_size": net.batch_size_,
            "ms_per_step": round(float(np.median(net_s)) / steps * 1e3, 3),
            "gflop": round(6.0 * multiply_adds * rows_per_step * steps / 1e9, 2)}))


if __name__ == "__main__":
    main()
