"""The decision rule: pure functions, and the estimators' scores against their predictions."""

import numpy as np
import pytest
import torch
from scipy.special import expit, log_softmax, logit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import roc_auc_score

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.decision import LINKS, binary_margin_offset, binary_threshold, posthoc_shift
from imbsk.rebalance import ClassBalancedLoss


def test_links_match_the_closed_forms():
    logits = torch.tensor([[2.0, -1.0, 0.5], [-30.0, 40.0, 0.0]], dtype=torch.float64)
    proba, log_proba = LINKS["softmax"]
    np.testing.assert_allclose(log_proba(logits), log_softmax(logits.numpy(), axis=1))
    np.testing.assert_allclose(proba(logits).sum(1), 1.0)
    sigmoid = expit(logits.numpy())
    np.testing.assert_allclose(LINKS["sigmoid"][0](logits), sigmoid / sigmoid.sum(1, keepdims=True))
    np.testing.assert_allclose(LINKS["sigmoid"][1](logits).exp(), LINKS["sigmoid"][0](logits))
    z = torch.tensor([0.3, -50.0, 50.0], dtype=torch.float64)
    np.testing.assert_allclose(LINKS["binary"][0](z)[:, 1], expit(z.numpy()))
    # a confident row keeps a finite log-probability for the other class
    assert torch.isfinite(LINKS["binary"][1](z)).all()
    np.testing.assert_allclose(LINKS["binary"][1](z)[1, 1], -50.0, rtol=1e-12)


def test_posthoc_shift_threshold_and_margin_offset():
    np.testing.assert_allclose(posthoc_shift([30, 10], 2.0), -2 * np.log([0.75, 0.25]))
    assert posthoc_shift([30, 10], 1.0, binary=True) == pytest.approx(np.log(3.0))
    assert binary_threshold("prior", [30, 10]) == pytest.approx(0.25)
    assert binary_margin_offset(0.25) == pytest.approx(logit(0.25))
    assert binary_margin_offset(1.0) == np.inf


MULTICLASS_SETTINGS = [
    dict(),
    dict(posthoc_tau=1.0),
    dict(rebalance=ClassBalancedLoss(form="sigmoid")),
]
BINARY_SETTINGS = [
    dict(),
    dict(threshold="prior"),
    dict(threshold=0.2, posthoc_tau=0.5),
    dict(threshold=0.0),
]


def _check_consistent(clf, X):
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    decision = clf.decision_function(X)
    predicted = clf.predict(X)
    assert proba.dtype == log_proba.dtype == np.float64
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-10, atol=1e-12)
    if decision.ndim == 1:
        np.testing.assert_array_equal(predicted, clf.classes_[(decision > 0).astype(int)])
        if np.isfinite(decision).all():  # it ranks rows as the positive-class probability
            np.testing.assert_allclose(roc_auc_score(decision > np.median(decision), proba[:, 1]),
                                       roc_auc_score(decision > np.median(decision), decision))
    else:
        assert decision.shape == proba.shape
        np.testing.assert_array_equal(predicted, clf.classes_[decision.argmax(1)])
        np.testing.assert_array_equal(decision.argmax(1), proba.argmax(1))
    return decision


@pytest.mark.parametrize("params", MULTICLASS_SETTINGS)
def test_multiclass_scores_agree_with_predictions(params, three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(max_epochs=3, random_state=0, **params).fit(X, y)
    _check_consistent(clf, X)


def test_two_class_multiclass_head_gives_one_score_per_row(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(max_epochs=3, random_state=0, posthoc_tau=1.0).fit(X, y)
    decision = _check_consistent(clf, X)
    assert decision.shape == (len(X),)


@pytest.mark.parametrize("params", BINARY_SETTINGS)
def test_binary_margin_is_positive_exactly_where_the_positive_class_is_predicted(
        params, imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetBinaryClassifier(max_epochs=3, random_state=0, **params).fit(X, y)
    decision = _check_consistent(clf, X)
    if params.get("threshold") == "prior":
        # margin = logit - log(n_pos / n_neg): zero where p equals the training prior
        logits = clf.decision_function(X) + np.log(clf.class_counts_[1] / clf.class_counts_[0])
        np.testing.assert_allclose(expit(logits), clf.predict_proba(X)[:, 1], rtol=1e-5)
    if params.get("threshold") == 0.0:
        assert np.all(decision == np.inf)


def test_calibration_uses_the_decision_function(imbalanced_data):
    X, y = imbalanced_data
    calibrated = CalibratedClassifierCV(ImbalancedNetBinaryClassifier(max_epochs=2, random_state=0),
                                        method="sigmoid", cv=2).fit(X, y)
    assert calibrated.predict_proba(X).shape == (len(X), 2)


def test_float64_input_is_converted_batch_by_batch(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X.astype(np.float64)), clf.predict_proba(X))
    np.testing.assert_array_equal(clf.predict_proba(np.asfortranarray(X)), clf.predict_proba(X))
