import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from imbsk import ImbalancedNetClassifier  # noqa: E402
from imbsk.plotting import plot_class_recall, plot_difficulty, plot_history  # noqa: E402


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
