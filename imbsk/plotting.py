"""Optional matplotlib figures (``pip install imbsk[plot]``)."""

import numpy as np

__all__ = ["plot_benchmark", "plot_history"]


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


def plot_benchmark(table, metric="balanced accuracy", title=None):
    """Dot plot of a per-dataset score for each method.

    Parameters
    ----------
    table : DataFrame
        Rows are datasets, columns methods (``imbsk.benchmark.per_dataset_table``).
    metric : str, default="balanced accuracy"
        Axis label.
    title : str or None

    Returns
    -------
    figure : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> fig = plot_benchmark(pd.DataFrame({"a": [0.5, 0.7], "b": [0.6, 0.8]},
    ...                                   index=["d1", "d2"]))
    >>> fig.axes[0].get_xlabel()
    'balanced accuracy'
    """
    plt = _pyplot()
    datasets = list(table.index)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(datasets) + 1.8))
    markers = "osD^v<>ph*XP"
    cmap = plt.get_cmap("tab10" if table.shape[1] <= 10 else "tab20")
    y = np.arange(len(datasets))
    for i, method in enumerate(table.columns):
        offset = (i - (table.shape[1] - 1) / 2) * 0.06
        ax.scatter(table[method], y + offset, label=method, marker=markers[i % len(markers)],
                   color=cmap(i), s=36, zorder=3)
    ax.set_yticks(y, datasets)
    ax.invert_yaxis()
    ax.set_xlabel(metric)
    ax.set_ylabel("dataset")
    ax.grid(axis="x", alpha=0.4)
    ax.set_title(title or f"Test-fold {metric} per dataset (mean over folds)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), title="method", fontsize=9)
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
