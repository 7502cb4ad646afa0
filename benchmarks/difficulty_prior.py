"""Sensitivity of instance-difficulty sampling to its prior c (to pick the default).

Digits parity (the seed's toy; test recall of the rare digit 8 and balanced accuracy)
and the KEEL datasets with imbalance ratio >= 8 (5-fold balanced accuracy), for
c in {0.01, 0.1, 1, 10}, with the same training set-up as the other benchmarks.

    python benchmarks/difficulty_prior.py
"""

import sys
import pathlib

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))

from imbsk import ImbalancedNetClassifier  # noqa: E402
from imbsk.benchmark import run_benchmark  # noqa: E402
from imbsk.datasets import list_keel, load_keel, make_digits_parity  # noqa: E402
from imbsk.rebalance import DifficultySampling  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402

PRIORS = [0.01, 0.1, 1.0, 10.0]


def digits(seeds=5, epochs=100):
    rows = []
    for c in PRIORS:
        for seed in range(seeds):
            data = make_digits_parity(random_state=seed)
            clf = ImbalancedNetClassifier(rebalance=DifficultySampling(c=c), max_epochs=epochs,
                                          train_split=None, random_state=seed)
            predicted = clf.fit(data.X_train, data.y_train).predict(data.X_test)
            rows.append({"c": c, "seed": seed,
                         "balanced_accuracy": balanced_accuracy_score(data.y_test, predicted),
                         "recall digit 8": np.mean(predicted[data.digit_test == 8] == "even")})
    return pd.DataFrame(rows).groupby("c")[["balanced_accuracy", "recall digit 8"]].agg(
        ["mean", "std"]).round(3)


def keel(epochs=30):
    import imbsk.benchmark as bench
    from imbsk import rebalance

    high = [d for d in list_keel() if load_keel(d).imbalance_ratio >= 8]
    rows = []
    for c in PRIORS:
        rebalance.ALIASES["difficulty"] = lambda beta, gamma, alpha, c=c: DifficultySampling(c=c)
        res = run_benchmark(high, ["difficulty"], peers=[], folds=5, epochs=epochs,
                            progress=False)
        rows.append({"c": c, "balanced_accuracy": res["balanced_accuracy"].mean(),
                     "g_mean": res["g_mean"].mean()})
    rebalance.ALIASES["difficulty"] = lambda beta, gamma, alpha: DifficultySampling()
    del bench
    return pd.DataFrame(rows).set_index("c").round(3)


if __name__ == "__main__":
    torch.set_num_threads(1)
    print("Digits parity, 5 seeds, 100 epochs:\n")
    print(digits().to_markdown())
    print("\nKEEL, imbalance ratio >= 8, 5-fold CV, 30 epochs (mean over datasets and folds):\n")
    print(keel().to_markdown())
