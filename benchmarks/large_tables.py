"""The default fit against LightGBM and the balanced random forest, 10,000 to 1,000,000 rows.

The table of issue "As fast as a forest": ``make_classification(n_samples=n,
n_features=30, n_informative=12, n_redundant=6, weights=[0.99], flip_y=0.005,
class_sep=0.9, random_state=0)``, a 75/25 stratified split (seed 0), raw features.
Methods, each fitted in this process, alternated (every method once per round):

* ``imbsk``: ``ImbalancedNetClassifier(random_state=0)``, the default as users get it;
* ``imbsk_before``: the default before 2026-12-02's budget (``lr=1e-3``; at least 500
  steps and 30 epochs, the same cap on rows seen), for comparison;
* ``lightgbm``: ``LGBMClassifier(class_weight="balanced", random_state=0, verbose=-1)``
  (its default threads);
* ``brf``: imbalanced-learn's ``BalancedRandomForestClassifier(n_estimators=100,
  sampling_strategy="all", replacement=True, bootstrap=False, random_state=0)``
  (one job, its default).

Fit time (median over rounds) and balanced accuracy on the 25% test rows; for imbsk also
the epochs its budget trained and the rows each member saw.

    python benchmarks/large_tables.py --sizes 100000 --rounds 3     # the 10x target
    python benchmarks/large_tables.py --sizes 10000,30000,100000,300000,1000000 --rounds 1
"""

import argparse
import json
import os
import platform
import time

import numpy as np
from imblearn.ensemble import BalancedRandomForestClassifier
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from imbsk import ImbalancedNetClassifier
from imbsk._training import _member_training_rows, auto_epochs, batch_size_for


def table(n_samples):
    """The issue's synthetic table, split 75/25."""
    X, y = make_classification(n_samples=n_samples, n_features=30, n_informative=12,
                               n_redundant=6, weights=[0.99], flip_y=0.005, class_sep=0.9,
                               random_state=0)
    return train_test_split(X.astype(np.float32), y, test_size=0.25, stratify=y,
                            random_state=0)


def epochs_before(net, n_rows):
    """``max_epochs="auto"`` before 2026-12-02: at least 500 steps and 30 epochs."""
    rows, split = _member_training_rows(net, n_rows)
    return auto_epochs(rows, batch_size_for(net, n_rows), split, min_steps=500,
                       min_epochs=30)


def make(method, n_rows):
    if method == "imbsk":
        return ImbalancedNetClassifier(random_state=0)
    if method == "imbsk_before":
        net = ImbalancedNetClassifier(random_state=0, lr=1e-3)
        return net.set_params(max_epochs=epochs_before(net, n_rows))
    if method == "lightgbm":
        from lightgbm import LGBMClassifier  # noqa: PLC0415 (optional: pip install lightgbm)
        return LGBMClassifier(class_weight="balanced", random_state=0, verbose=-1)
    if method == "brf":
        return BalancedRandomForestClassifier(n_estimators=100, sampling_strategy="all",
                                              replacement=True, bootstrap=False,
                                              random_state=0)
    raise ValueError(f"unknown method {method!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--methods", default="imbsk,lightgbm,brf")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({"machine": f"{platform.processor() or platform.machine()}, "
                                 f"{os.cpu_count()} cores",
                      "date": time.strftime("%Y-%m-%d")}), flush=True)
    methods = args.methods.split(",")
    X_warm, _, y_warm, _ = table(2_000)  # warm-up: the lazy imports of a first fit
    for method in methods:
        make(method, len(y_warm)).fit(X_warm, y_warm)
    for n in [int(v) for v in args.sizes.split(",")]:
        X_train, X_test, y_train, y_test = table(n)
        times = {m: [] for m in methods}
        rows = {}
        for _ in range(args.rounds):
            for method in methods:
                model = make(method, len(y_train))
                start = time.perf_counter()
                model.fit(X_train, y_train)
                times[method].append(time.perf_counter() - start)
                row = {"rows": n, "method": method, "fit_s": round(times[method][-1], 2),
                       "balanced_accuracy": round(balanced_accuracy_score(
                           y_test, model.predict(X_test)), 4)}
                if method.startswith("imbsk"):
                    steps = sum(1 for epoch in model.history for batch in epoch["batches"]
                                if "train_loss" in batch)
                    row.update(epochs=model.max_epochs_, steps=steps,
                               n_members=model.n_members_)
                rows[method] = row
                print(json.dumps(row), flush=True)
        summary = {"rows": n, "summary": True}
        for method in methods:
            summary[f"{method}_fit_s"] = round(float(np.median(times[method])), 2)
            summary[f"{method}_bacc"] = rows[method]["balanced_accuracy"]
        for method in [m for m in methods if m.startswith("imbsk")]:
            if "lightgbm" in methods:
                summary[f"{method}_over_lightgbm"] = round(float(np.median(
                    np.divide(times[method], times["lightgbm"]))), 2)
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
