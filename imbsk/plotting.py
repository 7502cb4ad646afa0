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
