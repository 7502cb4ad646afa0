"""``python -m imbsk``: compare re-balancing strategies and peers on the bundled KEEL data."""

import argparse
import pathlib
import sys

from .benchmark import DEFAULT_STRATEGIES, PEERS, per_dataset_table, run_benchmark, summarize
from .datasets import list_keel

QUICK = {"datasets": ["ecoli3", "glass2", "yeast5"], "folds": 3, "epochs": 15}


def _split(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="imbsk",
        description="Cross-validate imbsk's re-balancing strategies against logistic "
                    "regression, a balanced random forest and a plain skorch MLP on the "
                    "KEEL imbalanced datasets shipped with imbsk.",
    )
    parser.add_argument("--datasets", type=_split, default=None,
                        help=f"comma-separated KEEL names (default: all): {','.join(list_keel())}")
    parser.add_argument("--strategies", type=_split, default=list(DEFAULT_STRATEGIES),
                        help="comma-separated imbsk rebalance aliases (default: %(default)s)")
    parser.add_argument("--peers", type=_split, default=list(PEERS),
                        help="comma-separated peers, '' for none (default: %(default)s)")
    parser.add_argument("--folds", type=int, default=5, help="stratified CV folds (default: 5)")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default: 30)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("imbsk-results"),
                        help="output folder for results.csv, summary.md, balanced_accuracy.png")
    parser.add_argument("--quick", action="store_true",
                        help=f"small run: {QUICK['datasets']}, {QUICK['folds']} folds, "
                             f"{QUICK['epochs']} epochs (unless given)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.quick:
        argv_given = set(sys.argv[1:] if argv is None else argv)
        args.datasets = args.datasets if "--datasets" in argv_given else QUICK["datasets"]
        args.folds = args.folds if "--folds" in argv_given else QUICK["folds"]
        args.epochs = args.epochs if "--epochs" in argv_given else QUICK["epochs"]
    try:
        results = run_benchmark(args.datasets, args.strategies, args.peers, folds=args.folds,
                                epochs=args.epochs, device=args.device,
                                random_state=args.seed)
    except ValueError as exc:
        print(f"imbsk: error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "results.csv", index=False)
    summary = summarize(results).round(3).to_markdown()
    per_dataset = per_dataset_table(results).round(3).to_markdown()
    text = (f"## Mean over datasets ({args.folds}-fold stratified CV, {args.epochs} epochs)\n\n"
            f"{summary}\n\n## Balanced accuracy per dataset\n\n{per_dataset}\n")
    (args.out / "summary.md").write_text(text)
    print(text)
    try:
        from .plotting import plot_benchmark
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'imbsk[plot]').")
    else:
        order = [name for name in list_keel() if name in set(results["dataset"])]
        figure = plot_benchmark(per_dataset_table(results).reindex(order),
                                title="Test-fold balanced accuracy per dataset (mean over "
                                      "folds; datasets by imbalance ratio)")
        figure.savefig(args.out / "balanced_accuracy.png", dpi=120)
    print(f"Wrote {args.out}/results.csv, summary.md and balanced_accuracy.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
