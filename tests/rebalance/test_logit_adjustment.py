import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.model_selection import GridSearchCV

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import LogitAdjustedLoss, check_rebalance

from .loss_checks import assert_exact_gradient_and_finite_at_extremes

COUNTS = [90, 10]


def test_hand_computed_value():
    # logits 0 shifted by log prior: the loss of class 1 is -log(0.1)
    loss = LogitAdjustedLoss(tau=1.0).make_criterion(COUNTS, "multiclass")
    value = loss(torch.zeros(1, 2), torch.tensor([1]))
    assert value.item() == pytest.approx(-math.log(0.1), rel=1e-6)


def test_tau_zero_is_cross_entropy():
    logits, target = torch.randn(16, 3), torch.randint(0, 3, (16,))
    loss = LogitAdjustedLoss(tau=0.0).make_criterion([50, 30, 5], "multiclass")
    torch.testing.assert_close(loss(logits, target), F.cross_entropy(logits, target))


def test_balanced_softmax_equals_logit_adjustment_with_tau_one():
    logits, target = torch.randn(16, 3), torch.randint(0, 3, (16,))
    la = LogitAdjustedLoss(tau=1.0).make_criterion([50, 30, 5], "multiclass")
    bs = LogitAdjustedLoss(balanced_softmax=True).make_criterion([50, 30, 5], "multiclass")
    torch.testing.assert_close(la(logits, target), bs(logits, target))


def test_gradcheck_and_extreme_logits():
    assert_exact_gradient_and_finite_at_extremes(
        LogitAdjustedLoss(tau=1.5).make_criterion([50, 30, 5], "multiclass"))


@pytest.mark.parametrize("alias", ["logit_adjusted", "balanced_softmax"])
def test_binary_head_is_the_two_logit_softmax(alias):
    """On one logit z the loss is the softmax loss of the logits (0, z): offset log(n1/n0)."""
    counts = np.array([90, 10])
    binary = check_rebalance(alias).make_criterion(counts, "binary")
    softmax = check_rebalance(alias).make_criterion(counts, "multiclass")
    z = torch.linspace(-4, 4, 9)
    y = torch.tensor([0, 1, 0, 1, 1, 0, 0, 1, 0])
    two_logits = torch.stack([torch.zeros_like(z), z], dim=1)
    assert torch.allclose(binary(z, y), softmax(two_logits, y), atol=1e-6)


@pytest.mark.parametrize("Estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
def test_posthoc_tau_shifts_the_logits_by_the_log_prior(Estimator, imbalanced_data):
    X, y = imbalanced_data
    clf = Estimator(max_epochs=2, random_state=0).fit(X, y)
    logits = clf.forward(X).numpy()
    log_prior = np.log(clf.class_counts_ / clf.class_counts_.sum())
    clf.set_params(posthoc_tau=1.0)
    if Estimator is ImbalancedNetClassifier:
        shifted = logits - log_prior
        expected = np.exp(shifted) / np.exp(shifted).sum(1, keepdims=True)
    else:
        positive = 1 / (1 + np.exp(-(logits - (log_prior[1] - log_prior[0]))))
        expected = np.c_[1 - positive, positive]
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-4, atol=1e-6)
    # the minority is predicted more often than without the adjustment
    assert (clf.predict(X) == "positive").sum() >= (
        clf.set_params(posthoc_tau=0.0).predict(X) == "positive").sum()


def test_posthoc_tau_is_tuned_on_validation_folds(imbalanced_data):
    search = GridSearchCV(ImbalancedNetClassifier(max_epochs=2, random_state=0),
                          {"posthoc_tau": [0.0, 0.5, 1.0]}, scoring="balanced_accuracy", cv=2)
    search.fit(*imbalanced_data)
    assert search.best_params_["posthoc_tau"] in (0.0, 0.5, 1.0)
