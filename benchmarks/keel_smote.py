"""SMOTE inside fit (training split only) vs. SMOTE in the pipeline before fit.

Both with early stopping on the internal validation balanced accuracy (patience 10,
at most 200 epochs), 5-fold stratified CV on the 12 bundled KEEL datasets. In the
pipeline, SMOTE runs before the network's internal validation split, so synthetic rows
are part of what early stopping watches; inside fit they never are.

    python benchmarks/keel_smote.py
"""

import time

import numpy as np
import pandas as pd
import torch
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from skorch.callbacks import EarlyStopping
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold

from imbsk import ImbalancedNetClassifier
from imbsk.benchmark import _preprocessor
from imbsk.datasets import list_keel, load_keel


def _net(seed, **params):
    stop = EarlyStopping(monitor="valid_bacc", lower_is_better=False, patience=10)
    return ImbalancedNetClassifier(max_epochs=200, callbacks=[stop], random_state=seed,
                                   **params)


def main():
    torch.set_num_threads(1)
    rows = []
    start = time.perf_counter()
    for name in list_keel():
        X, y = load_keel(name, return_X_y=True)
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        for fold, (train, test) in enumerate(cv.split(X, y)):
            minority = min(np.unique(y.iloc[train], return_counts=True)[1])
            k = min(5, int(minority * 0.8) - 1)  # minority rows left after the valid split
            configs = {
                "SMOTE in pipeline, before fit": make_pipeline(
                    _preprocessor(X), SMOTE(k_neighbors=k, random_state=fold), _net(fold)),
                "SMOTE inside fit (rebalance=SMOTE())": make_pipeline(
                    _preprocessor(X), _net(fold, rebalance=SMOTE(k_neighbors=k))),
            }
            for method, model in configs.items():
                model.fit(X.iloc[train], y.iloc[train])
                predicted = model.predict(X.iloc[test])
                rows.append({"dataset": name, "method": method, "fold": fold,
                             "epochs": len(model[-1].history),
                             "balanced_accuracy": balanced_accuracy_score(y.iloc[test],
                                                                          predicted),
                             "g_mean": geometric_mean_score(y.iloc[test], predicted)})
    results = pd.DataFrame(rows)
    results.to_csv("benchmarks/results/keel_smote.csv", index=False)
    per_dataset = results.pivot_table(index="dataset", columns="method",
                                      values="balanced_accuracy").reindex(list_keel())
    print(f"{(time.perf_counter() - start) / 60:.1f} min\n")
    print(results.groupby("method")[["balanced_accuracy", "g_mean", "epochs"]].mean()
          .round(3).to_markdown())
    print("\nBalanced accuracy per dataset (mean over folds):\n")
    print(per_dataset.round(3).to_markdown())


if __name__ == "__main__":
    main()
