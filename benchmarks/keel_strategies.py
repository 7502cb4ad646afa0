"""Re-balancing strategies vs. peers on the 12 bundled KEEL datasets.

5-fold stratified CV (shuffled, seed 0), the same preprocessing for every method,
balanced accuracy / G-mean / macro-F1 on the test folds. Writes the raw per-fold CSV and
a Markdown fragment (means over folds; the summary restricted to imbalance ratio >= 8)
under benchmarks/results/.

    python benchmarks/keel_strategies.py --epochs 30
    python benchmarks/keel_strategies.py --epochs 100
    # more methods, merged with an earlier run's CSV (same folds, seeds and epochs):
    python benchmarks/keel_strategies.py --strategies ldam_drw,crt --peers "" \
        --include benchmarks/results/keel_e30.csv --tag _more
"""

import argparse
import pathlib
import platform
import time

import pandas as pd
import torch

from imbsk.benchmark import PEERS, per_dataset_table, run_benchmark, summarize
from imbsk.datasets import list_keel, load_keel

STRATEGIES = ["none", "inverse", "sqrt_inverse", "effective_number", "focal", "cb_focal",
              "class_balanced_sampling", "sqrt_sampling", "difficulty", "logit_adjusted",
              "balanced_softmax", "posthoc_logit_adjustment", "ldam", "ldam_drw", "ohem", "crt",
              "tau_norm", "bbn"]
OUT = pathlib.Path(__file__).parent / "results"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--include", action="append", default=[],
                        help="CSV of an earlier run (same folds and epochs) to merge in")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    torch.set_num_threads(1)
    strategies = args.strategies.split(",")
    peers = [p for p in args.peers.split(",") if p]
    start = time.perf_counter()
    results = run_benchmark(None, strategies, peers, folds=args.folds, epochs=args.epochs)
    minutes = (time.perf_counter() - start) / 60
    if args.include:
        earlier = pd.concat([pd.read_csv(path) for path in args.include])
        earlier = earlier[~earlier["method"].isin(results["method"].unique())]
        results = pd.concat([earlier, results], ignore_index=True)
    name = f"keel_e{args.epochs}{args.tag}"
    OUT.mkdir(exist_ok=True)
    results.to_csv(OUT / f"{name}.csv", index=False)
    high = [d for d in list_keel() if load_keel(d).imbalance_ratio >= 8]
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch "
        f"thread(s), torch {torch.__version__}; {minutes:.1f} min for {strategies + peers}"
        f"{' (merged with ' + ', '.join(args.include) + ')' if args.include else ''}; "
        f"{args.folds}-fold stratified "
        f"CV, {args.epochs} epochs, defaults otherwise.", "",
        "All 12 datasets (mean over folds, then over datasets; rank on balanced accuracy):", "",
        summarize(results).round(3).to_markdown(), "",
        f"Imbalance ratio >= 8 ({len(high)} datasets):", "",
        summarize(results, high).round(3).to_markdown(), "",
        "Balanced accuracy per dataset:", "",
        per_dataset_table(results).round(3).to_markdown(), "",
        "G-mean per dataset:", "",
        per_dataset_table(results, "g_mean").round(3).to_markdown(), "",
    ]
    (OUT / f"{name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
