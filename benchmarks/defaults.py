"""The defaults on raw tables (issue "Good by default").

``ImbalancedNetClassifier()`` with no arguments, behind one-hot encoding of the nominal
columns only (no scaler), on the twelve KEEL datasets (5-fold stratified CV, seed 0), next
to logistic regression (``class_weight="balanced"``, one-hot + StandardScaler) and
imbalanced-learn's ``BalancedRandomForestClassifier(100)`` in the same run; then the
default's fit time on a 1,500 x 8 table against the previous default (``rebalance=None``,
30 epochs, no input scaling, torch's threads), alternated in one process; then
``make_long_tailed_digits(imbalance_ratio=100)``.

    python benchmarks/defaults.py                      # all three parts (seed 0)
    python benchmarks/defaults.py --parts time,digits
"""

import argparse
import json
import time

import numpy as np
import pandas as pd
import torch
from imblearn.ensemble import BalancedRandomForestClassifier
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import imbalance_ratio, list_keel, load_keel, make_long_tailed_digits

#: The defaults before issue "Good by default" (what a user got from no arguments).
PREVIOUS_DEFAULT = dict(rebalance=None, max_epochs=30, preprocess=None, torch_threads=None,
                        n_members=1, module__dropout=0.1, module__linear_shortcut=False)


def encoder(X, scale):
    nominal = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in nominal]
    return ColumnTransformer(
        [("nominal", OneHotEncoder(handle_unknown="ignore", sparse_output=False), nominal),
         ("numeric", StandardScaler() if scale else "passthrough", numeric)])


METHODS = {
    "imbsk default (raw)": lambda X, seed: make_pipeline(
        encoder(X, scale=False), ImbalancedNetClassifier()),
    "logreg balanced (scaled)": lambda X, seed: make_pipeline(
        encoder(X, scale=True), LogisticRegression(class_weight="balanced", max_iter=2000)),
    "balanced RF (100)": lambda X, seed: make_pipeline(
        encoder(X, scale=False), BalancedRandomForestClassifier(
            n_estimators=100, sampling_strategy="all", replacement=True, bootstrap=False,
            random_state=seed, n_jobs=1)),
}


def keel_table(csv="benchmarks/results/defaults_keel.csv"):
    rows = []
    for name in list_keel():
        X, y = load_keel(name, return_X_y=True)
        y = y.to_numpy()
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        for fold, (train, test) in enumerate(cv.split(X, y)):
            for method, make in METHODS.items():
                model = make(X, fold)
                start = time.perf_counter()
                model.fit(X.iloc[train], y[train])
                seconds = time.perf_counter() - start
                rows.append(dict(dataset=name, ir=imbalance_ratio(y), fold=fold, method=method,
                                 balanced_accuracy=balanced_accuracy_score(
                                     y[test], model.predict(X.iloc[test])),
                                 fit_seconds=seconds))
    results = pd.DataFrame(rows)
    results.to_csv(csv, index=False)
    per = results.groupby(["method", "dataset"]).agg(
        mean=("balanced_accuracy", "mean"), std=("balanced_accuracy", "std"),
        seconds=("fit_seconds", "mean"))
    summary = per.groupby("method").mean()
    summary["mean_rank"] = (results.groupby(["dataset", "method"]).balanced_accuracy.mean()
                            .groupby("dataset").rank(ascending=False).groupby("method").mean())
    print("## Mean over the 12 datasets (mean ± std over folds, averaged)\n")
    print("| method | balanced accuracy | mean rank | fit seconds (mean per fit) |")
    print("|---|---:|---:|---:|")
    for method, row in summary.sort_values("mean", ascending=False).iterrows():
        print(f"| {method} | {row['mean']:.3f} ± {row['std']:.3f} | {row['mean_rank']:.2f} | "
              f"{row['seconds']:.2f} |")
    table = per["mean"].round(3).astype(str) + " ± " + per["std"].round(3).astype(str)
    table = table.unstack("method")
    order = results.groupby("dataset").ir.first().sort_values().index
    print("\n## Per dataset (balanced accuracy, mean ± std over folds)\n")
    print(table.loc[order].to_markdown())


def fit_time(pairs=7):
    X, y = make_classification(1500, n_features=8, n_informative=5, weights=[0.9],
                               random_state=0)
    ImbalancedNetClassifier(max_epochs=2).fit(X[:200], y[:200])  # warm-up
    new, old, ratios = [], [], []
    for pair in range(pairs):
        for params, bucket in ((PREVIOUS_DEFAULT, old), ({}, new)):
            start = time.perf_counter()
            ImbalancedNetClassifier(random_state=pair, **params).fit(X, y)
            bucket.append(time.perf_counter() - start)
        ratios.append(new[-1] / old[-1])
    print(json.dumps({"table": "1500 x 8", "pairs": pairs,
                      "previous_default_s": round(float(np.median(old)), 3),
                      "default_s": round(float(np.median(new)), 3),
                      "median_ratio": round(float(np.median(ratios)), 2),
                      "ratios": [round(r, 2) for r in ratios]}))


def digits(seeds=(0, 1, 2)):
    scores = {"default": [], "previous default": []}
    for seed in seeds:
        data = make_long_tailed_digits(imbalance_ratio=100, random_state=seed)
        for name, params in (("default", {}), ("previous default", PREVIOUS_DEFAULT)):
            clf = ImbalancedNetClassifier(random_state=seed, **params)
            clf.fit(data.X_train, data.y_train)
            scores[name].append(balanced_accuracy_score(data.y_test, clf.predict(data.X_test)))
    print(json.dumps({"dataset": "make_long_tailed_digits(imbalance_ratio=100)",
                      **{k: {"mean": round(float(np.mean(v)), 3),
                             "std": round(float(np.std(v, ddof=1)), 3),
                             "per_seed": [round(s, 3) for s in v]}
                         for k, v in scores.items()}}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="keel,time,digits")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds numpy's and torch's global generators, which an "
                             "estimator with random_state=None draws from: the run repeats")
    parser.add_argument("--csv", default="benchmarks/results/defaults_keel.csv",
                        help="where the KEEL part writes its per-fold results")
    args = parser.parse_args()
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    parts = args.parts.split(",")
    if "keel" in parts:
        keel_table(args.csv)
    if "time" in parts:
        fit_time()
    if "digits" in parts:
        digits()


if __name__ == "__main__":
    main()
