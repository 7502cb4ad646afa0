"""The decision rule: pure functions, and the estimators' scores against their predictions."""

import numpy as np
import pytest
import torch
from scipy.special import expit, log_softmax, logit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import roc_auc_score

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.decision import (LINKS, binary_margin_offset, binary_threshold, posthoc_shift,
                            prior_correction)
from imbsk.rebalance import (ClassBalancedLoss, ClassBalancedSampling, ClassifierRetraining,
                             Compose, DifficultySampling)


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


# --- proba="prior": probabilities for the training class prior -------------------------


def test_prior_correction_hand_values():
    counts = [60, 30, 10]
    log_prior = np.log([0.6, 0.3, 0.1])
    # logit-adjusted loss (offset tau * log prior): add the offset back
    np.testing.assert_allclose(prior_correction(counts, logit_offset=2 * log_prior),
                               2 * (log_prior - log_prior[0]))
    # balanced softmax (offset log n_c): the same up to a constant
    np.testing.assert_allclose(prior_correction(counts, logit_offset=np.log(counts)),
                               log_prior - log_prior[0])
    # weights 1/n_c: effective prior uniform, correction log prior
    np.testing.assert_allclose(prior_correction(counts, class_weight=[1 / 60, 1 / 30, 1 / 10]),
                               log_prior - log_prior[0])
    # class-balanced draws: the same; draws as the counts: nothing to undo
    np.testing.assert_allclose(prior_correction(counts, drawn_prior=[1, 1, 1]),
                               log_prior - log_prior[0])
    np.testing.assert_allclose(prior_correction(counts, drawn_prior=counts), 0.0, atol=1e-12)
    # everything at once: d = o - log w + log pi - log q, largest entry 0
    d = prior_correction(counts, class_weight=[1.0, 2.0, 4.0], logit_offset=[0.5, 0.0, -1.0],
                         drawn_prior=[0.2, 0.3, 0.5])
    expected = np.array([0.5, 0.0, -1.0]) - np.log([1.0, 2.0, 4.0]) + log_prior \
        - np.log([0.2, 0.3, 0.5])
    np.testing.assert_allclose(d, expected - expected.max())
    # the binary head's single-logit offset is the positive class's
    np.testing.assert_allclose(prior_correction([90, 10], logit_offset=[np.log(1 / 9)]),
                               [0.0, np.log(1 / 9)])


def test_strategies_say_which_class_mix_they_draw():
    counts = np.array([81, 9])
    assert ClassBalancedLoss().drawn_class_prior(counts, None) is None
    assert DifficultySampling().drawn_class_prior(counts, None) is None
    np.testing.assert_allclose(ClassBalancedSampling(0.5).drawn_class_prior(counts, None),
                               [0.75, 0.25])
    np.testing.assert_allclose(
        Compose([ClassBalancedSampling(), ClassBalancedLoss(gamma=2.0)]).drawn_class_prior(
            counts, None), [0.5, 0.5])
    sampler = ClassifierRetraining().make_sampler(np.array([0] * 81 + [1] * 9))
    assert ClassifierRetraining().drawn_class_prior(counts, sampler) is None  # stage 1
    sampler.class_balanced = True
    np.testing.assert_allclose(ClassifierRetraining().drawn_class_prior(counts, sampler),
                               [0.5, 0.5])


def _heads(clf, X):
    """predict_proba and predict of both heads of one fitted estimator."""
    out = {}
    for head in ("balanced", "prior"):
        clf.set_params(proba=head)
        out[head] = clf.predict_proba(X), clf.predict(X), clf.predict_log_proba(X)
    return out


def _training_prior(clf):
    return clf.class_counts_ / clf.class_counts_.sum()


PRIOR_SETTINGS = [
    (ImbalancedNetClassifier, dict()),  # logit-adjusted loss, 5 cross-fitted members
    (ImbalancedNetClassifier, dict(rebalance="inverse")),
    (ImbalancedNetClassifier, dict(rebalance="class_balanced_sampling")),
    (ImbalancedNetClassifier, dict(rebalance=ClassBalancedLoss(weighting="inverse",
                                                               form="sigmoid"))),
    (ImbalancedNetBinaryClassifier, dict()),
    (ImbalancedNetBinaryClassifier, dict(rebalance="inverse")),
    (ImbalancedNetBinaryClassifier, dict(rebalance="class_balanced_sampling")),
]


@pytest.mark.parametrize("estimator, params", PRIOR_SETTINGS,
                         ids=lambda v: v.__name__ if isinstance(v, type) else repr(v))
def test_prior_head_matches_the_training_prior_and_keeps_predictions(
        estimator, params, imbalanced_data):
    X, y = imbalanced_data
    clf = estimator(random_state=0, **params).fit(X, y)  # the default budget
    heads = _heads(clf, X)
    np.testing.assert_array_equal(heads["prior"][1], heads["balanced"][1])
    np.testing.assert_allclose(np.exp(heads["prior"][2]), heads["prior"][0], rtol=1e-10)
    np.testing.assert_allclose(heads["prior"][0].sum(1), 1.0)
    # what a user relies on: the mean probability over the training rows is the prior
    # (the balanced head overstates the 10% minority several-fold)
    prior = _training_prior(clf)
    minority = prior.argmin()
    assert heads["prior"][0][:, minority].mean() == pytest.approx(prior[minority], abs=0.02)
    assert heads["balanced"][0][:, minority].mean() > 1.5 * prior[minority]
    # a constructor argument gives the same as set_params after fit
    again = estimator(random_state=0, proba="prior", **params).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X[:50]), heads["prior"][0][:50])


def test_prior_head_undoes_the_adjustment_exactly_on_the_logits(three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(max_epochs=3, random_state=0).fit(X, y)
    logits = clf.decision_function(X)  # posthoc_tau=0: the raw (ensemble) logits
    expected = log_softmax(logits + np.log(_training_prior(clf)), axis=1)
    np.testing.assert_allclose(clf.set_params(proba="prior").predict_log_proba(X), expected,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
def test_posthoc_tau_moves_predictions_but_not_the_prior_probabilities(
        estimator, imbalanced_data, three_class_data):
    X, y = three_class_data if estimator is ImbalancedNetClassifier else imbalanced_data
    clf = estimator(max_epochs=5, random_state=0, n_members=1).fit(X, y)
    untuned = _heads(clf, X)
    clf.set_params(posthoc_tau=-1.0)
    tuned = _heads(clf, X)
    # "prior": posthoc_tau is a decision rule only
    np.testing.assert_array_equal(tuned["prior"][0], untuned["prior"][0])
    assert not np.array_equal(tuned["prior"][1], untuned["prior"][1])
    np.testing.assert_array_equal(tuned["prior"][1], tuned["balanced"][1])
    # "balanced": today's behaviour, the shifted logits' probabilities
    assert not np.allclose(tuned["balanced"][0], untuned["balanced"][0])
    shift = np.log(_training_prior(clf))  # -tau * log(prior) with tau = -1
    if estimator is ImbalancedNetClassifier:
        expected = np.exp(log_softmax(np.log(untuned["balanced"][0]) + shift, axis=1))
    else:
        odds = logit(untuned["balanced"][0][:, 1]) + shift[1] - shift[0]
        expected = np.stack([expit(-odds), expit(odds)], axis=1)
    np.testing.assert_allclose(tuned["balanced"][0], expected, rtol=1e-6, atol=1e-9)


def test_unknown_proba_is_refused_with_the_options(imbalanced_data):
    X, y = imbalanced_data
    message = (r"'proba' parameter of ImbalancedNetClassifier must be a str among"
               r".*('balanced'.*'prior'|'prior'.*'balanced')")  # a set: either order
    with pytest.raises(ValueError, match=message):
        ImbalancedNetClassifier(proba="calibrated", max_epochs=1).fit(X, y)
    clf = ImbalancedNetBinaryClassifier(max_epochs=1, n_members=1).fit(X, y)
    with pytest.raises(ValueError, match="'proba' parameter of ImbalancedNetBinaryClassifier"):
        clf.set_params(proba="calibrated").predict_proba(X)
