"""Every re-balancing method on long-tailed digits (imbalance ratios 10 and 100).

scikit-learn's 8x8 digits; the training split keeps an exponential class profile (digit 0
the head, digit 9 the tail, ``n_0 / n_9`` = the imbalance ratio, see
``imbsk.datasets.make_long_tailed_digits``), the test split stays balanced. Each method:
StandardScaler + ImbalancedNetClassifier with defaults, ``max_epochs`` epochs, no internal
validation split (the tail has a single image at ratio 100). Seeds change both the
subsample and the network. Reports balanced accuracy (mean ± std over seeds) and the
recall of every digit (mean over seeds).

    python benchmarks/long_tailed_digits.py --seeds 3 --epochs 100
"""

import argparse
import pathlib
import platform
import time

import pandas as pd
import torch
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.benchmark import VARIANTS
from imbsk.datasets import make_long_tailed_digits

METHODS = ["none", "inverse", "effective_number", "focal", "cb_focal",
           "class_balanced_sampling", "difficulty", "logit_adjusted", "balanced_softmax",
           "posthoc_logit_adjustment", "ldam", "ldam_drw", "ohem", "crt", "tau_norm", "bbn"]
OUT = pathlib.Path(__file__).parent / "results"


def make_estimator(method, epochs, seed):
    if method in VARIANTS:
        clf = VARIANTS[method](epochs, "cpu", seed)
    else:
        clf = ImbalancedNetClassifier(rebalance=None if method == "none" else method,
                                      max_epochs=epochs, random_state=seed)
    return make_pipeline(StandardScaler(), clf.set_params(train_split=None))


def run(ratios, methods, seeds, epochs):
    rows = []
    for ratio in ratios:
        for seed in range(seeds):
            data = make_long_tailed_digits(ratio, random_state=seed)
            for method in methods:
                model = make_estimator(method, epochs, seed).fit(data.X_train, data.y_train)
                predicted = model.predict(data.X_test)
                recalls = recall_score(data.y_test, predicted, average=None, labels=range(10))
                rows.append({"imbalance_ratio": ratio, "seed": seed, "method": method,
                             "balanced_accuracy": balanced_accuracy_score(data.y_test,
                                                                          predicted),
                             **{f"recall_{d}": r for d, r in enumerate(recalls)}})
                print(ratio, seed, method, round(rows[-1]["balanced_accuracy"], 3), flush=True)
    return pd.DataFrame(rows)


def table(results, ratio):
    part = results[results["imbalance_ratio"] == ratio]
    grouped = part.groupby("method")
    out = pd.DataFrame({
        "bal. acc.": grouped["balanced_accuracy"].mean().map("{:.3f}".format)
        + " ± " + grouped["balanced_accuracy"].std().map("{:.3f}".format),
        **{f"r{d}": grouped[f"recall_{d}"].mean().round(2) for d in range(10)},
    })
    order = grouped["balanced_accuracy"].mean().sort_values(ascending=False).index
    return out.loc[order]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratios", default="10,100")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--include", action="append", default=[],
                        help="CSV of an earlier run (same seeds and epochs) to merge in")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ratios = [float(r) for r in args.ratios.split(",")]
    start = time.perf_counter()
    results = run(ratios, args.methods.split(","), args.seeds, args.epochs)
    minutes = (time.perf_counter() - start) / 60
    if args.include:
        earlier = pd.concat([pd.read_csv(path) for path in args.include])
        earlier = earlier[~earlier["method"].isin(results["method"].unique())]
        results = pd.concat([earlier, results], ignore_index=True)
    OUT.mkdir(exist_ok=True)
    results.to_csv(OUT / "long_tailed_digits.csv", index=False)
    lines = [f"Machine: {platform.machine()}, 1 torch thread, torch {torch.__version__}; "
             f"{minutes:.1f} min for {args.methods}"
             f"{' (merged with ' + ', '.join(args.include) + ')' if args.include else ''}; "
             f"{args.seeds} seeds, {args.epochs} epochs, no validation "
             "split; test split balanced (54 images per digit on average).", ""]
    for ratio in ratios:
        counts = make_long_tailed_digits(ratio, random_state=0).class_counts
        lines += [f"Imbalance ratio {ratio:g} (training images per digit 0..9, seed 0: "
                  f"{counts.tolist()}); r<d> = recall of digit d:", "",
                  table(results, ratio).to_markdown(), ""]
    (OUT / "long_tailed_digits.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
