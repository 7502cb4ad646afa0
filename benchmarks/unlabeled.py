"""Does unlabeled data help? Pseudo-labels and self-supervised pre-training, 80% labels hidden.

Yang & Xu (NeurIPS 2020) report that on imbalanced image data both semi-supervised
pseudo-labels and self-supervised pre-training improve re-balancing methods. Here, per
dataset and seed: a stratified 70/30 train/test split; in the training split 80% of each
class's labels are hidden (at least one labeled row per class is kept); the features of
every training row are standardised (KEEL: one-hot + scaling, as the main benchmark).
Configurations, each with rebalance=None and "effective_number":

    (a) labeled        fit on the labeled rows only
    (b) +pseudo        unlabeled=-1: pseudo-labels (threshold 0.9, proportional caps)
    (c) +masked        masked-feature pre-training on all training rows, labeled fit
    (c) +scarf         SCARF pre-training on all training rows, labeled fit
    (d) +scarf+pseudo  both

Balanced accuracy on the (fully labeled) test split, mean ± std over seeds.

    python benchmarks/unlabeled.py --seeds 5 --epochs 100 --pretrain-epochs 30
"""

import argparse
import pathlib
import platform
import time

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.benchmark import _preprocessor
from imbsk.datasets import load_keel, make_long_tailed_digits

KEEL = ["segment0", "yeast3", "page-blocks0", "yeast5"]
CONFIGS = {
    "(a) labeled": {},
    "(b) +pseudo": {"unlabeled": -1},
    "(c) +masked": {"unlabeled": -1, "pseudo_cap": 0, "pretrain": "masked"},
    "(c) +scarf": {"unlabeled": -1, "pseudo_cap": 0, "pretrain": "scarf"},
    "(d) +scarf+pseudo": {"unlabeled": -1, "pretrain": "scarf"},
}
OUT = pathlib.Path(__file__).parent / "results"


def load(name, seed):
    """Standardised float32 train/test arrays with integer labels."""
    if name == "digits-LT10":
        data = make_long_tailed_digits(10, random_state=seed)
        scaler = StandardScaler().fit(data.X_train)
        return (scaler.transform(data.X_train).astype(np.float32), data.y_train,
                scaler.transform(data.X_test).astype(np.float32), data.y_test)
    X, y = load_keel(name, return_X_y=True)
    y = LabelEncoder().fit_transform(y)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=seed)
    prep = _preprocessor(X_train).fit(X_train)
    return (prep.transform(X_train).astype(np.float32), y_train,
            prep.transform(X_test).astype(np.float32), y_test)


def hide_labels(y, fraction, seed):
    """y with ``fraction`` of every class replaced by -1 (one labeled row per class kept)."""
    rng = np.random.default_rng(seed)
    hidden = y.copy()
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        n_hide = min(round(fraction * len(rows)), len(rows) - 1)
        hidden[rows[:n_hide]] = -1
    return hidden


def run(datasets, seeds, epochs, pretrain_epochs):
    rows = []
    for name in datasets:
        for seed in range(seeds):
            X_train, y_train, X_test, y_test = load(name, seed)
            y_hidden = hide_labels(y_train, 0.8, seed)
            labeled = y_hidden != -1
            for rebalance in (None, "effective_number"):
                for config, params in CONFIGS.items():
                    clf = ImbalancedNetClassifier(
                        rebalance=rebalance, max_epochs=epochs, pretrain_epochs=pretrain_epochs,
                        random_state=seed, **params)
                    start = time.perf_counter()
                    if params:
                        clf.fit(X_train, y_hidden)
                    else:
                        clf.fit(X_train[labeled], y_hidden[labeled])
                    seconds = time.perf_counter() - start
                    mask = getattr(clf, "pseudo_label_mask_", np.zeros(1, dtype=bool))
                    pseudo_correct = (np.mean(clf.pseudo_labels_[mask] == y_train[mask])
                                      if mask.any() else np.nan)
                    rarest = np.argmin(np.bincount(y_train))
                    hidden_rare = (~labeled) & (y_train == rarest)
                    found_rare = (np.mean(mask[hidden_rare]
                                          & (clf.pseudo_labels_[hidden_rare] == rarest))
                                  if mask.any() else np.nan)
                    rows.append({
                        "dataset": name, "seed": seed, "rebalance": str(rebalance),
                        "config": config, "n_labeled": int(labeled.sum()),
                        "n_pseudo": int(mask.sum()), "pseudo_accuracy": pseudo_correct,
                        "rarest_recall": found_rare,
                        "balanced_accuracy": balanced_accuracy_score(y_test,
                                                                     clf.predict(X_test)),
                        "fit_seconds": seconds})
                    print(name, seed, rebalance, config,
                          round(rows[-1]["balanced_accuracy"], 3), rows[-1]["n_pseudo"],
                          flush=True)
    return pd.DataFrame(rows)


def tables(results):
    grouped = results.groupby(["dataset", "rebalance", "config"])["balanced_accuracy"]
    cell = grouped.mean().map("{:.3f}".format) + " ± " + grouped.std().map("{:.3f}".format)
    main = cell.unstack("config")
    pseudo = results[results["n_pseudo"] > 0].groupby(["dataset", "rebalance", "config"])[
        ["n_labeled", "n_pseudo", "pseudo_accuracy", "rarest_recall"]].mean().round(3)
    return main, pseudo


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=",".join(["digits-LT10", *KEEL]))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--pretrain-epochs", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    results = run(args.datasets.split(","), args.seeds, args.epochs, args.pretrain_epochs)
    minutes = (time.perf_counter() - start) / 60
    OUT.mkdir(exist_ok=True)
    results.to_csv(OUT / "unlabeled.csv", index=False)
    main_table, pseudo_table = tables(results)
    lines = [f"Machine: {platform.machine()}, 1 torch thread, torch {torch.__version__}; "
             f"{minutes:.1f} min; {args.seeds} seeds, {args.epochs} epochs per stage, "
             f"{args.pretrain_epochs} pre-training epochs; 80% of training labels hidden.", "",
             "Test balanced accuracy, mean ± std over seeds:", "",
             main_table.to_markdown(), "",
             "Pseudo-labels (means over seeds): labeled rows, pseudo-labeled rows, the "
             "fraction of pseudo-labels that equal the hidden true label, and the fraction "
             "of the rarest class's hidden rows that received their correct label "
             "(rarest_recall):", "",
             pseudo_table.to_markdown(), ""]
    (OUT / "unlabeled.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
