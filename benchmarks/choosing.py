"""Every rebalance alias with the defaults, on raw KEEL tables (docs "Choosing a strategy").

For each of the twelve KEEL datasets: one-hot for nominal columns only (no scaler), then
``BatchedGridSearchCV(ImbalancedNetClassifier(n_members=1, random_state=0),
{"rebalance": [...]}, cv=StratifiedKFold(5, shuffle=True, random_state=0), refit=False)``:
every alias is cross-validated as one network with every other setting at its default
(input scaling, the 500-step budget, dropout 0.3, ...). The default's five cross-fitted
members are measured by ``benchmarks/defaults.py``. The loss-level aliases train as one
stacked network per dataset; the others are ordinary fits (n_jobs processes).
Balanced accuracy and G-mean on the test folds.

    python benchmarks/choosing.py --jobs 2
"""

import argparse
import time

import numpy as np
import pandas as pd
from imblearn.metrics import geometric_mean_score
from sklearn.compose import ColumnTransformer
from sklearn.metrics import make_scorer
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import OneHotEncoder

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import imbalance_ratio, list_keel, load_keel
from imbsk.model_selection import BatchedGridSearchCV
from imbsk.rebalance import ALIASES

GRID = [{"rebalance": [None if a == "none" else a for a in ALIASES]},
        {"rebalance": [None], "posthoc_tau": [1.0]}]


def raw_features(X):
    nominal = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return ColumnTransformer(
        [("nominal", OneHotEncoder(sparse_output=False), nominal)],
        remainder="passthrough").fit_transform(X).astype(np.float32)


def name(params):
    alias = params["rebalance"] or "none"
    return alias + (" + posthoc_tau=1" if params.get("posthoc_tau") else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scoring = {"bacc": "balanced_accuracy", "gmean": make_scorer(geometric_mean_score)}
    rows = []
    for dataset in list_keel():
        X, y = load_keel(dataset, return_X_y=True)
        start = time.perf_counter()
        search = BatchedGridSearchCV(
            ImbalancedNetClassifier(n_members=1, random_state=0), GRID, scoring=scoring,
            refit=False,
            cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=args.jobs)
        search.fit(raw_features(X), y.to_numpy())
        print(f"{dataset}: {time.perf_counter() - start:.0f} s", flush=True)
        results = search.cv_results_
        for i, params in enumerate(results["params"]):
            rows.append(dict(dataset=dataset, ir=imbalance_ratio(y), method=name(params),
                             bacc=results["mean_test_bacc"][i],
                             bacc_std=results["std_test_bacc"][i],
                             gmean=results["mean_test_gmean"][i]))
    frame = pd.DataFrame(rows)
    frame.to_csv("benchmarks/results/choosing.csv", index=False)
    for title, part in (("all 12 datasets", frame),
                        ("the 9 datasets with imbalance ratio >= 8", frame[frame.ir >= 8])):
        table = part.groupby("method")[["bacc", "bacc_std", "gmean"]].mean()
        print(f"\n## Mean over {title} (test folds; ± is the mean std over folds)\n")
        print("| rebalance | balanced accuracy | G-mean |\n|---|---:|---:|")
        for method, row in table.sort_values("bacc", ascending=False).iterrows():
            print(f"| {method} | {row.bacc:.3f} ± {row.bacc_std:.3f} | {row.gmean:.3f} |")


if __name__ == "__main__":
    main()
