"""``python -m imbsk``: compare re-balancing strategies and peers on the bundled KEEL data."""

import argparse
import pathlib
import shutil
import sys
import textwrap

import numpy as np
import pandas as pd

from .benchmark import (DEFAULT_STRATEGIES, METRICS, PEERS, per_dataset_table, run_benchmark,
                        summarize, warning_summary, win_tie_loss)
from .datasets import list_keel, load_keel

#: Values of the options left out (``datasets=None``: all of them), without and with --quick.
DEFAULTS = {"datasets": None, "folds": 5, "epochs": 30}
QUICK = {"datasets": ["ecoli3", "glass2", "yeast5"], "folds": 3, "epochs": 15}
#: Significance level of the paired t-test behind wins / ties / losses.
ALPHA = 0.05
HELP_WIDTH = 100
#: Characters of a warning's message shown in the summary.
MESSAGE_WIDTH = 160


def _names(text):
    """Comma-separated names; an empty string gives an empty list."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _dataset_names(text):
    names = _names(text)
    if not names:
        raise argparse.ArgumentTypeError("expected at least one dataset name; leave the "
                                         "option out to run them all")
    return names


def _int_at_least(minimum):
    """An argparse ``type=`` that accepts integers >= ``minimum``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value
    return parse


def _formatter(prog):
    width = min(shutil.get_terminal_size().columns, HELP_WIDTH) - 2
    return argparse.HelpFormatter(prog, width=width)


def _listed(names):
    return ", ".join(names)


def build_parser():
    """The argument parser of ``python -m imbsk``.

    --datasets, --folds and --epochs default to None, so that :func:`parse_args` can tell
    an option left out from one given (in either ``--x v`` or ``--x=v`` form).

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["--folds=4", "--datasets", "glass2"]).folds
    4
    """
    parser = argparse.ArgumentParser(
        prog="imbsk", formatter_class=_formatter,
        description="Cross-validate imbsk's re-balancing strategies against logistic "
                    "regression, a balanced random forest and a plain skorch MLP on the "
                    "KEEL imbalanced datasets shipped with imbsk.",
    )
    parser.add_argument("--datasets", type=_dataset_names, metavar="NAMES",
                        help="comma-separated KEEL names (default: all, by imbalance ratio: "
                             f"{_listed(list_keel())})")
    parser.add_argument("--strategies", type=_names, default=list(DEFAULT_STRATEGIES),
                        metavar="NAMES", help="comma-separated imbsk rebalance aliases or "
                        f"variants (default: {_listed(DEFAULT_STRATEGIES)})")
    parser.add_argument("--peers", type=_names, default=list(PEERS), metavar="NAMES",
                        help=f"comma-separated peers, '' for none (default: {_listed(PEERS)})")
    parser.add_argument("--folds", type=_int_at_least(2), metavar="N",
                        help=f"stratified CV folds, at least 2 (default: {DEFAULTS['folds']}; "
                             f"{QUICK['folds']} with --quick)")
    parser.add_argument("--epochs", type=_int_at_least(1), metavar="N",
                        help=f"training epochs, at least 1 (default: {DEFAULTS['epochs']}; "
                             f"{QUICK['epochs']} with --quick)")
    parser.add_argument("--device", default="cpu",
                        help="cpu, cuda, cuda:N or auto (default: cpu)")
    parser.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N",
                        help="random seed (default: 0)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("imbsk-results"),
                        metavar="DIR", help="folder for results.csv, warnings.csv, summary.md "
                                            "and balanced_accuracy.png (default: "
                                            "imbsk-results)")
    parser.add_argument("--quick", action="store_true",
                        help=f"small run: {_listed(QUICK['datasets'])}, {QUICK['folds']} folds, "
                             f"{QUICK['epochs']} epochs; --datasets, --folds and --epochs "
                             "still apply")
    return parser


def parse_args(argv=None):
    """Parsed options, with the defaults (or the --quick ones) filled in where left out.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    args : argparse.Namespace

    Examples
    --------
    >>> args = parse_args(["--quick", "--datasets=glass2"])
    >>> args.datasets, args.folds, args.epochs
    (['glass2'], 3, 15)
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if not args.strategies and not args.peers:
        parser.error("--strategies and --peers are both empty; give at least one method")
    return args


def _mean_std(mean, std):
    return f"{mean:.3f}" if np.isnan(std) else f"{mean:.3f} ± {std:.3f}"


def _dataset_label(name):
    return f"{name} (IR {load_keel(name).imbalance_ratio:.1f})"


def _method_label(name):
    return f"{name} (peer)" if name in PEERS else name


def _best_peer(summary):
    peers = summary.index[summary["kind"] == "peer"]
    return peers[0] if len(peers) else None


def _summary_table(results, summary, reference):
    table = summary[["kind"]].copy()
    for metric in METRICS:
        table[metric] = [_mean_std(m, s) for m, s in zip(summary[metric],
                                                          summary[f"{metric}_std"])]
    table["mean_rank"] = summary["mean_rank"].map("{:.2f}".format)
    if reference is not None:
        counts = win_tie_loss(results, reference, alpha=ALPHA)
        for column in counts.columns:
            table[column] = [str(counts.at[m, column]) if m != reference else "—"
                             for m in table.index]
    return table


def _per_dataset(results, order, aggfunc="mean"):
    table = per_dataset_table(results, aggfunc=aggfunc)[order]
    table.index = [_dataset_label(name) for name in table.index]
    table.index.name = "dataset"
    return table


def _per_dataset_cells(means, stds):
    return pd.DataFrame({_method_label(m): [_mean_std(a, b) for a, b in zip(means[m], stds[m])]
                         for m in means.columns}, index=means.index)


def _markdown(table):
    return table.to_markdown(disable_numparse=True)  # keep "4.00" and "0.500 ± 0.000" as given


def _paragraph(text):
    return textwrap.fill(" ".join(text.split()), width=92)


def _explanation(reference, folds):
    text = ("Test-fold scores, mean ± std: for each method, the mean over datasets of the mean "
            "over folds ± the mean over datasets of the standard deviation over folds "
            "(ddof=1). mean_rank: rank of the fold-mean balanced accuracy on each dataset "
            "(1 = best), averaged over datasets; rows are sorted by it. kind: peer = a "
            "baseline outside imbsk.")
    if reference is None:
        return _paragraph(text + " No peers were run: no wins / ties / losses.")
    return _paragraph(
        text + f" wins / ties / losses: on how many datasets the balanced accuracy is "
        f"significantly higher / not significantly different / significantly lower than "
        f"that of {reference}, the peer with the best mean rank, by a two-sided paired "
        f"t-test over the {folds} folds (scipy.stats.ttest_rel, alpha = {ALPHA}); also a tie "
        f"when every fold difference is zero. With so few folds the test has little power: "
        f"a tie means 'not distinguishable', not 'equal'.")


def _folds_of(rows):
    """"glass2 folds 0, 2; yeast5 fold 1" for rows of one method."""
    parts = []
    for dataset, group in rows.groupby("dataset", sort=False):
        numbers = ", ".join(str(fold) for fold in group["fold"])
        parts.append(f"{dataset} fold{'s' if len(group) > 1 else ''} {numbers}")
    return "; ".join(parts)


def _shortened(message):
    text = " ".join(str(message).split())
    return text if len(text) <= MESSAGE_WIDTH else text[:MESSAGE_WIDTH - 1] + "…"


def _warnings_section(results, warnings_table):
    """Markdown: the fits that predicted one class on their test fold, the one-class fits
    by name, the other warnings counted by kind."""
    parts = ["## Warnings"]
    if "predicted_classes" in results:
        constant = results.loc[results["predicted_classes"] == 1, ["method", "dataset", "fold"]]
        if len(constant):
            parts.append(_paragraph(
                f"Predicted one class for every test row ({len(constant)} fits, peers "
                "included, warned or not: their scores are those of a constant). Listed as "
                "method: dataset folds."))
            parts.append("\n".join(f"- {method}: {_folds_of(rows)}" for method, rows
                                    in constant.groupby("method", sort=False)))
    if warnings_table is None or not len(warnings_table):
        return "\n\n".join(parts + ["No warning was raised during the run."])
    one_class, others = warning_summary(warnings_table)
    if len(one_class):
        parts.append(_paragraph(
            f"One-class fits ({len(one_class)}): after these fits the network predicted one "
            "class for every row of its validation split, so the minority was not learned "
            "(imbsk's UserWarning 'predicts one class'). Listed as method: dataset folds."))
        parts.append("\n".join(f"- {method}: {_folds_of(rows)}"
                                for method, rows in one_class.groupby("method", sort=False)))
    if len(others):
        parts.append(_paragraph(
            "Other warnings, by kind (one category raised at one line of code): fits = how "
            "many fits raised it, count = how many times; the message is the first one."))
        table = others.assign(warning=[f"{c}: {_shortened(m)}" for c, m in
                                       zip(others["category"], others["message"])])
        table = table.set_index("warning")[["fits", "count", "methods"]].astype(str)
        parts.append(_markdown(table))
    return "\n\n".join(parts)


def render_report(results, *, folds, epochs, warnings_table=None):
    """The Markdown text of summary.md, and the two per-dataset tables the plot needs.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`imbsk.benchmark.run_benchmark`.
    folds, epochs : int
        Shown in the heading.
    warnings_table : DataFrame or None, default=None
        The warnings of :func:`imbsk.benchmark.run_benchmark` (``return_warnings=True``):
        a last section names the fits that predicted one class on their test fold
        (``predicted_classes`` of the results) and the one-class fits that warned, and
        counts the other warnings by kind. None leaves the section out.

    Returns
    -------
    text : str
    means, stds : DataFrame
        Balanced accuracy per dataset (rows labelled with the imbalance ratio, in
        imbalance-ratio order) and method (columns in mean-rank order): mean and standard
        deviation over folds.

    Examples
    --------
    >>> results = pd.DataFrame({"dataset": "glass2", "fold": [0, 1] * 2,
    ...                         "method": ["inverse"] * 2 + ["balanced_rf"] * 2,
    ...                         "balanced_accuracy": [0.7, 0.8, 0.6, 0.7],
    ...                         "g_mean": 0.5, "macro_f1": 0.5})
    >>> text, means, stds = render_report(results, folds=2, epochs=3)
    >>> text.splitlines()[0]
    '## Mean over datasets (2-fold stratified CV, 3 epochs, 1 dataset)'
    >>> list(means.columns), list(means.index)
    (['inverse', 'balanced_rf'], ['glass2 (IR 11.6)'])
    """
    summary = summarize(results)
    reference = _best_peer(summary)
    order = list(summary.index)
    means, stds = _per_dataset(results, order), _per_dataset(results, order, "std")
    n_datasets = results["dataset"].nunique()
    heading = (f"## Mean over datasets ({folds}-fold stratified CV, {epochs} epochs, "
               f"{n_datasets} dataset{'' if n_datasets == 1 else 's'})")
    legend = _paragraph("Rows by imbalance ratio (IR = majority count / minority count), "
                        "columns by mean rank (best first); (peer) marks the peers.")
    text = "\n\n".join([
        heading, _explanation(reference, folds),
        _markdown(_summary_table(results, summary, reference)),
        "## Balanced accuracy per dataset (mean ± std over folds)", legend,
        _markdown(_per_dataset_cells(means, stds)),
        *([] if warnings_table is None else [_warnings_section(results, warnings_table)]),
    ]) + "\n"
    return text, means, stds


def _save_plot(means, stds, path):
    try:
        import matplotlib.pyplot as plt

        from .plotting import plot_benchmark
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'imbsk[plot]').")
        return False
    figure = plot_benchmark(means, errors=stds, peers=list(PEERS),
                            title="Test-fold balanced accuracy per dataset: mean ± std over "
                                  "folds (datasets by imbalance ratio)")
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def main(argv=None):
    """Run the benchmark, print the summary, write results.csv, warnings.csv, summary.md and
    the PNG. Warnings are recorded during the run (only the progress bar is shown) and
    reported in the summary."""
    args = parse_args(argv)
    try:
        results, warnings_table = run_benchmark(
            args.datasets, args.strategies, args.peers, folds=args.folds, epochs=args.epochs,
            device=args.device, random_state=args.seed, return_warnings=True)
    except ValueError as exc:
        print(f"imbsk: error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "results.csv", index=False)
    warnings_table.to_csv(args.out / "warnings.csv", index=False)
    text, means, stds = render_report(results, folds=args.folds, epochs=args.epochs,
                                      warnings_table=warnings_table)
    (args.out / "summary.md").write_text(text)
    print(text)
    plotted = _save_plot(means, stds, args.out / "balanced_accuracy.png")
    print(f"Wrote {args.out}/results.csv, warnings.csv, summary.md"
          + (" and balanced_accuracy.png" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
