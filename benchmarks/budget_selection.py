"""Choosing the training budget of large tables (issue "As fast as a forest").

``max_epochs="auto"`` trains at least 500 steps and at least 30 epochs. On a large table
30 epochs are millions of rows per member. The candidate rule caps the epochs by the rows
a member sees: ``epochs = max(floor, ceil(rows_seen / member_rows))`` when that is fewer
than the 30, for ``rows_seen`` in {250k, 500k, 1M, unlimited (today's 30 epochs)}.

Selection data: tables of the issue's generator with other seeds (``random_state`` 1 and 2,
30,000 / 100,000 / 300,000 rows), never the seed-0 table the claims are made on
(``benchmarks/large_tables.py``). Each table: 75/25 stratified split, the default
estimator with the candidate's epochs, balanced accuracy on the 25% and fit time.

    python benchmarks/budget_selection.py
"""

import argparse
import json
import math
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from imbsk import ImbalancedNetClassifier

#: name: (rows a member sees at most, batch size, learning rate)
CANDIDATES = {"250k": (250_000, 128, 1e-3), "500k": (500_000, 128, 1e-3),
              "1M": (1_000_000, 128, 1e-3), "unlimited": (math.inf, 128, 1e-3),
              # round 2: larger batches, larger steps
              "bs512_lr3e-3": (math.inf, 512, 3e-3), "bs512_lr3e-3_1M": (1_000_000, 512, 3e-3),
              "bs512_lr1e-3": (math.inf, 512, 1e-3), "bs1024_lr3e-3": (math.inf, 1024, 3e-3),
              "bs128_lr3e-3_500k": (500_000, 128, 3e-3),
              "bs512_lr1e-2": (math.inf, 512, 1e-2),
              # round 3: the batch grows with the rows (auto_batch), learning rate kept
              "auto_batch_500k": (500_000, "auto", 1e-3),
              "auto_batch_1M": (1_000_000, "auto", 1e-3),
              "auto_batch_unlimited": (math.inf, "auto", 1e-3)}


def auto_batch(member_rows, smallest=128, largest=1024, steps=128):
    """The candidate batch rule: a power of two, so that an epoch is about ``steps`` steps."""
    batch = smallest
    while batch < largest and member_rows > batch * steps:
        batch *= 2
    return batch


def epochs(member_rows, rows_seen, floor=5, usual=30):
    """The candidate rule: today's 30 epochs, capped by the rows a member sees."""
    if not math.isfinite(rows_seen):
        return usual
    return int(min(usual, max(floor, math.ceil(rows_seen / member_rows))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="30000,100000,300000")
    parser.add_argument("--lightgbm", action="store_true",
                        help="also fit LightGBM (class_weight='balanced') on each table")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--candidates", default="250k,500k,1M,unlimited")
    args = parser.parse_args()
    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for n in [int(v) for v in args.sizes.split(",")]:
            X, y = make_classification(n_samples=n, n_features=30, n_informative=12,
                                       n_redundant=6, weights=[0.99], flip_y=0.005,
                                       class_sep=0.9, random_state=seed)
            X_train, X_test, y_train, y_test = train_test_split(
                X.astype(np.float32), y, test_size=0.25, stratify=y, random_state=0)
            member_rows = len(y_train) * 4 // 5  # five cross-fitted members
            if args.lightgbm:
                from lightgbm import LGBMClassifier  # noqa: PLC0415 (optional)
                start = time.perf_counter()
                model = LGBMClassifier(class_weight="balanced", random_state=0,
                                       verbose=-1).fit(X_train, y_train)
                row = {"seed": seed, "rows": n, "candidate": "lightgbm",
                       "fit_s": round(time.perf_counter() - start, 2),
                       "balanced_accuracy": round(balanced_accuracy_score(
                           y_test, model.predict(X_test)), 4)}
                results.append(row)
                print(json.dumps(row), flush=True)
            for name in args.candidates.split(","):
                rows_seen, batch_size, lr = CANDIDATES[name]
                if batch_size == "auto":
                    batch_size = auto_batch(member_rows)
                e = epochs(member_rows, rows_seen)
                start = time.perf_counter()
                model = ImbalancedNetClassifier(random_state=0, max_epochs=e, lr=lr,
                                                batch_size=batch_size).fit(X_train, y_train)
                row = {"seed": seed, "rows": n, "candidate": name, "epochs": e,
                       "batch_size": batch_size, "lr": lr,
                       "fit_s": round(time.perf_counter() - start, 2),
                       "balanced_accuracy": round(balanced_accuracy_score(
                           y_test, model.predict(X_test)), 4),
                       "best_epochs": model.member_best_epochs_}
                results.append(row)
                print(json.dumps(row), flush=True)
    for name in args.candidates.split(","):
        mine = [r for r in results if r["candidate"] == name]
        print(json.dumps({"candidate": name, "summary": True,
                          "mean_bacc": round(float(np.mean([r["balanced_accuracy"]
                                                            for r in mine])), 4),
                          "total_fit_s": round(sum(r["fit_s"] for r in mine), 1)}),
              flush=True)


if __name__ == "__main__":
    main()
