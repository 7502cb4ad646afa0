import numpy as np
import pytest

from imbsk import ImbalancedNetClassifier
from imbsk.data import BatchIterator
from imbsk.rebalance.sampling import class_power_sample_weights


@pytest.mark.parametrize("power, expected", [(0.0, [0.5, 0.5]), (0.5, [0.75, 0.25]),
                                             (1.0, [0.9, 0.1])])
def test_class_probabilities(power, expected):
    y = np.array([0] * 90 + [1] * 10)  # sqrt: 9.49 : 3.16 = 3 : 1 -> 0.75, 0.25
    w = class_power_sample_weights(y, power)
    np.testing.assert_allclose([w[y == 0].sum(), w[y == 1].sum()], expected, rtol=0.02)
    assert np.ptp(w[y == 0]) == 0  # uniform within a class


class LabelRecorder(BatchIterator):
    """Records the class of every row drawn in each training epoch."""

    drawn = []

    def _order(self):
        order = super()._order()
        if self._rows is not None and len(order) > 200:  # the training subset
            type(self).drawn.append(self._base.y[self._rows[order]].numpy())
        return order


@pytest.mark.parametrize("rebalance", ["class_balanced_sampling", "sqrt_sampling"])
def test_sampling_draws_the_class_mix_fresh_each_epoch(rebalance, imbalanced_data):
    X, y = imbalanced_data
    LabelRecorder.drawn = []
    clf = ImbalancedNetClassifier(rebalance=rebalance, max_epochs=4,
                                  iterator_train=LabelRecorder, random_state=0)
    clf.fit(X, y)
    assert len(LabelRecorder.drawn) == 4
    assert all(len(d) == clf.class_counts_.sum() for d in LabelRecorder.drawn)
    assert not np.array_equal(LabelRecorder.drawn[0], LabelRecorder.drawn[1])
    n_minority = clf.class_counts_.min()
    expected = (np.sqrt(n_minority) / np.sqrt(clf.class_counts_).sum()
                if rebalance == "sqrt_sampling" else 0.5)
    share = np.mean([np.mean(d == np.argmin(clf.class_counts_)) for d in LabelRecorder.drawn])
    assert share == pytest.approx(expected, abs=0.04)
