"""Optional matplotlib figures (``pip install imbsk[plot]``)."""

import numpy as np

__all__ = ["plot_benchmark", "plot_class_recall", "plot_difficulty", "plot_history"]


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "imbsk.plotting needs matplotlib: pip install 'imbsk[plot]'"
        ) from exc
    return plt


def _rank_order(table):
    """Columns by mean rank over the rows (1 = highest score), best first; stable on ties."""
    ranks = table.rank(axis=1, ascending=False).mean()
    return list(ranks.sort_values(kind="stable").index)


def _draw_method(ax, x, y, xerr, style):
    if xerr is not None:
        ax.errorbar(x, y, xerr=xerr, fmt="none", ecolor=style["color"], elinewidth=1,
                    alpha=0.6, zorder=2)
    face = "none" if style["hollow"] else style["color"]
    ax.scatter(x, y, marker=style["marker"], facecolors=face, edgecolors=style["color"],
               linewidths=1.3, s=34, zorder=3, label=style["label"])


def plot_benchmark(table, metric="balanced accuracy", title=None, *, errors=None, peers=()):
    """Dot plot of a per-dataset score for each method, with optional error bars.

    Each dataset is a band; inside it every method has its own row, from the best mean
    rank (top) to the worst, and the legend lists the methods in that order. Peers are
    drawn with hollow markers and ``(peer)`` in the legend, other methods filled.

    Parameters
    ----------
    table : DataFrame
        Rows are datasets, columns methods (``imbsk.benchmark.per_dataset_table``); the
        row labels are printed as they are.
    metric : str, default="balanced accuracy"
        Axis label.
    title : str or None
    errors : DataFrame or None, default=None
        Same shape as ``table`` (e.g. the standard deviation over folds,
        ``per_dataset_table(results, aggfunc="std")``): half-widths of horizontal error
        bars.
    peers : collection of str, default=()
        Columns that are peers (drawn hollow).

    Returns
    -------
    figure : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"a": [0.5, 0.7], "b": [0.6, 0.8]}, index=["d1", "d2"])
    >>> fig = plot_benchmark(table, errors=table * 0.05, peers=["a"])
    >>> fig.axes[0].get_xlabel()
    'balanced accuracy'
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['b', 'a (peer)']
    """
    plt = _pyplot()
    order = _rank_order(table)
    markers = "osD^v<>ph*XP"
    cmap = plt.get_cmap("tab10" if table.shape[1] <= 10 else "tab20")
    step = 0.8 / len(order)
    band = max(0.45, 0.075 * len(order))  # inches per dataset: one marker row per method
    fig, ax = plt.subplots(figsize=(10, band * len(table) + 1.6))
    y = np.arange(len(table), dtype=float)
    for rank, method in enumerate(order):
        i = list(table.columns).index(method)  # colour and marker follow the column
        style = {"color": cmap(i % cmap.N), "marker": markers[i % len(markers)],
                 "hollow": method in peers,
                 "label": f"{method} (peer)" if method in peers else method}
        xerr = None if errors is None else errors.loc[table.index, method].to_numpy()
        _draw_method(ax, table[method].to_numpy(), y + (rank - (len(order) - 1) / 2) * step,
                     xerr, style)
    for row in y[1::2]:
        ax.axhspan(row - 0.5, row + 0.5, color="0.93", zorder=0)
    ax.set_yticks(y, list(table.index))
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel(metric)
    ax.grid(axis="x", alpha=0.4)
    ax.set_title(title or f"Test-fold {metric} per dataset (mean over folds)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9,
              title="method (best mean rank first)", title_fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(net, keys=("train_loss", "valid_loss", "valid_bacc")):
    """Training curves from a fitted net's ``history``.

    Parameters
    ----------
    net : fitted imbsk estimator
    keys : sequence of str
        History columns to draw; missing ones are skipped.

    Returns
    -------
    figure : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> plot_history(net).axes[0].get_xlabel()
    'epoch'
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for key in keys:
        values = [row.get(key) for row in net.history]
        if all(v is not None for v in values) and values:
            ax.plot(np.arange(1, len(values) + 1), values, label=key)
    ax.set_xlabel("epoch")
    ax.set_title(f"{type(net).__name__} training history")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_class_recall(estimator, X, y, title=None):
    """Test recall of every class against its training frequency (log scale).

    Parameters
    ----------
    estimator : fitted imbsk estimator
        Its ``class_counts_`` give the training frequency of each class.
    X, y : test data
    title : str or None

    Returns
    -------
    figure : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(300, n_classes=3, n_informative=4,
    ...                            weights=[0.7, 0.2, 0.1], random_state=0)
    >>> net = ImbalancedNetClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> plot_class_recall(net, X, y).axes[0].get_ylabel()
    'recall'
    """
    from sklearn.metrics import recall_score

    plt = _pyplot()
    recall = recall_score(y, estimator.predict(X), labels=estimator.classes_, average=None,
                          zero_division=0)
    frequency = estimator.class_counts_ / estimator.class_counts_.sum()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(frequency, recall, zorder=3)
    for label, f, r in zip(estimator.classes_, frequency, recall):
        ax.annotate(str(label), (f, r), textcoords="offset points", xytext=(4, 4))
    ax.set_xscale("log")
    ax.set_xlabel("training frequency of the class")
    ax.set_ylabel("recall")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.4)
    ax.set_title(title or f"Per-class recall vs. class frequency "
                          f"(rebalance={estimator.rebalance!r})")
    fig.tight_layout()
    return fig


def plot_difficulty(net):
    """Evolution of the instance-difficulty sampling weights over the epochs.

    Draws ``difficulty_max`` and ``difficulty_min`` (largest and smallest weight times N;
    1 is uniform) and the effective sample size of the weights, from ``net.history``.

    Parameters
    ----------
    net : imbsk estimator fitted with instance-difficulty sampling

    Returns
    -------
    figure : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(rebalance="difficulty", max_epochs=3).fit(X, y)
    >>> len(plot_difficulty(net).axes)
    2
    """
    plt = _pyplot()
    if "difficulty_max" not in net.history[-1]:
        raise ValueError("plot_difficulty needs a net fitted with rebalance='difficulty' "
                         "(or a DifficultySampling strategy).")
    epochs = np.arange(1, len(net.history) + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    top.plot(epochs, net.history[:, "difficulty_max"], label="largest weight × N")
    top.plot(epochs, net.history[:, "difficulty_min"], label="smallest weight × N")
    top.axhline(1.0, color="grey", lw=0.8, ls="--", label="uniform")
    top.set_yscale("log")
    top.set_ylabel("weight × N")
    top.legend(fontsize=8)
    bottom.plot(epochs, net.history[:, "difficulty_ess"], color="tab:green")
    bottom.set_ylabel("effective sample size / N")
    bottom.set_xlabel("epoch")
    top.set_title("Instance-difficulty sampling weights")
    fig.tight_layout()
    return fig
