import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib.collections import LineCollection  # noqa: E402

from imbsk import ImbalancedNetClassifier  # noqa: E402
from imbsk.plotting import (  # noqa: E402
    plot_benchmark, plot_class_recall, plot_difficulty, plot_history)


def test_class_recall_points_are_the_recalls(three_class_data):
    from sklearn.metrics import recall_score

    X, y = three_class_data
    net = ImbalancedNetClassifier(rebalance="inverse", max_epochs=3, random_state=0).fit(X, y)
    points = plot_class_recall(net, X, y).axes[0].collections[0].get_offsets()
    expected = recall_score(y, net.predict(X), labels=net.classes_, average=None)
    np.testing.assert_allclose(np.asarray(points)[:, 1], expected)


def test_difficulty_plot_needs_difficulty_history(imbalanced_data):
    net = ImbalancedNetClassifier(max_epochs=2).fit(*imbalanced_data)
    with pytest.raises(ValueError, match="fitted with rebalance='difficulty'"):
        plot_difficulty(net)
    assert plot_history(net).axes[0].get_lines()


def _benchmark_table():
    # mean ranks over the three datasets: c 1.33, a 2.0, b 2.67 (alphabetical order is not it)
    return pd.DataFrame({"a": [0.8, 0.7, 0.7], "b": [0.6, 0.9, 0.5], "c": [0.9, 0.8, 0.6]},
                        index=["d1 (IR 2.0)", "d2 (IR 9.0)", "d3 (IR 30.0)"])


def test_benchmark_legend_is_in_rank_order_and_peers_are_hollow():
    table = _benchmark_table()
    ax = plot_benchmark(table, errors=table * 0 + 0.05, peers={"a"}).axes[0]
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["c", "a (peer)", "b"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    for handle, label in zip(handles, labels):
        faces = handle.get_facecolors()
        hollow = len(faces) == 0 or np.all(faces[:, 3] == 0)
        assert hollow == label.endswith("(peer)"), label
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table.index)


def test_benchmark_error_bars_span_the_given_errors():
    table = _benchmark_table()
    errors = table * 0 + 0.05
    errors.loc["d2 (IR 9.0)", "b"] = 0.2
    ax = plot_benchmark(table, errors=errors).axes[0]
    spans = [segment[:, 0] for bars in ax.collections if isinstance(bars, LineCollection)
             for segment in bars.get_segments()]
    widths = sorted(round(float(end - start), 6) for start, end in spans)
    assert widths == sorted([0.1] * 8 + [0.4])
    assert len(plot_benchmark(table).axes[0].collections) == 3  # no error bars without errors
