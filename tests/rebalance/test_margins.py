import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import LDAMLoss
from imbsk.rebalance.losses import RebalancedLoss, margin_logits
from imbsk.rebalance.margins import ldam_margins
from imbsk.rebalance.weights import class_weights

from .loss_checks import assert_exact_gradient_and_finite_at_extremes


def test_margins_scale_as_the_inverse_fourth_root_of_the_counts():
    margins = ldam_margins([10000, 625, 16, 1], max_margin=0.8)
    assert margins.max() == pytest.approx(0.8)
    np.testing.assert_allclose(margins, 0.8 * np.array([0.1, 0.2, 0.5, 1.0]))
    with pytest.raises(ValueError, match="positive counts"):
        ldam_margins([5, 0])


def test_hand_computed_value():
    # margins [0.1, 0.5], s = 2: logits [1, 2] of class 1 become [2, 3]
    loss = RebalancedLoss(torch.ones(2), margin=torch.tensor([0.1, 0.5]), scale=2.0)
    value = loss(torch.tensor([[1.0, 2.0]]), torch.tensor([1]))
    assert value.item() == pytest.approx(math.log1p(math.exp(-1.0)), rel=1e-6)
    # class 0 loses its own margin only
    shifted = margin_logits(torch.tensor([[1.0, 2.0]]), torch.tensor([0]),
                            torch.tensor([0.1, 0.5]))
    torch.testing.assert_close(shifted, torch.tensor([[0.9, 2.0]]))


def test_zero_margin_and_unit_scale_is_cross_entropy():
    logits, target = torch.randn(32, 4), torch.randint(0, 4, (32,))
    loss = RebalancedLoss(torch.ones(4), margin=torch.zeros(4), scale=1.0)
    torch.testing.assert_close(loss(logits, target), F.cross_entropy(logits, target))


def test_gradcheck_and_extreme_logits():
    assert_exact_gradient_and_finite_at_extremes(
        LDAMLoss(scale=3.0).make_criterion([50, 20, 5], "multiclass"))


def test_deferred_reweighting_switches_after_drw_epoch(three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(rebalance=LDAMLoss(drw_epoch=2, beta=0.99), max_epochs=5,
                                  random_state=0).fit(X, y)
    assert list(clf.history[:, "drw"]) == [False, False, True, True, True]
    expected = class_weights(clf.class_counts_, "effective_number", 0.99)
    np.testing.assert_allclose(clf.criterion_.class_weight.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(clf.class_weight_, expected)
    # the rarest class has the largest margin
    assert np.argmax(clf.criterion_.margin.numpy()) == np.argmin(clf.class_counts_)


def test_auto_drw_epoch_is_eighty_percent_of_max_epochs(three_class_data):
    clf = ImbalancedNetClassifier(rebalance="ldam_drw", max_epochs=10,
                                  random_state=0).fit(*three_class_data)
    assert list(clf.history[:, "drw"]) == [False] * 8 + [True] * 2


def test_plain_ldam_never_reweights(three_class_data):
    clf = ImbalancedNetClassifier(rebalance="ldam", max_epochs=3,
                                  random_state=0).fit(*three_class_data)
    np.testing.assert_array_equal(clf.class_weight_, np.ones(3))
    assert "drw" not in clf.history[-1]


def test_bad_settings_are_refused(imbalanced_data, three_class_data):
    with pytest.raises(ValueError, match="drw_epoch=5 must be smaller than max_epochs=5"):
        ImbalancedNetClassifier(rebalance=LDAMLoss(drw_epoch=5),
                                max_epochs=5).fit(*three_class_data)
    with pytest.raises(ValueError, match="needs one logit per class"):
        ImbalancedNetBinaryClassifier(rebalance="ldam_drw", max_epochs=2).fit(*imbalanced_data)
    with pytest.raises(ValueError, match="max_margin"):
        ImbalancedNetClassifier(rebalance=LDAMLoss(max_margin=0.0)).fit(*three_class_data)
