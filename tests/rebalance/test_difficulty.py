import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.data import BatchIterator
from imbsk.rebalance import DifficultySampling
from imbsk.rebalance.difficulty import difficulty_increments, difficulty_weights

EPS = 1e-6


def test_three_class_hand_computed_with_exact_zero_and_one():
    y = np.array([0])
    uniform = np.full((1, 3), 1 / 3)
    # epoch 1: the true class goes 1/3 -> 1, the others 1/3 -> 0 (clipped to eps): all learning
    du, dl = difficulty_increments(uniform, np.array([[1.0, 0.0, 0.0]]), y, EPS)
    expected_dl = (1 - 1 / 3) * math.log(3) + 2 * (1 / 3 - EPS) * math.log((1 / 3) / EPS)
    assert du[0] == 0.0
    assert dl[0] == pytest.approx(expected_dl, rel=1e-12)
    # epoch 2: the true class falls 1 -> 0.5 and class 1 rises eps -> 0.5: all unlearning;
    # class 2 stays at 0 and contributes nothing
    du, dl = difficulty_increments(np.array([[1.0, 0.0, 0.0]]), np.array([[0.5, 0.5, 0.0]]), y,
                                   EPS)
    expected_du = 0.5 * math.log(2) + (0.5 - EPS) * math.log(0.5 / EPS)
    assert du[0] == pytest.approx(expected_du, rel=1e-12)
    assert dl[0] == 0.0
    # difficulty after both epochs with c = 1
    difficulty, weights = difficulty_weights(np.array([expected_du, 0.0]),
                                             np.array([expected_dl, 1.0]), c=1.0)
    assert difficulty[0] == pytest.approx((1 + expected_du) / (1 + expected_dl))
    assert weights.sum() == pytest.approx(1.0)


def _psi(p, q, eps=EPS):
    p, q = np.clip(p, eps, 1), np.clip(q, eps, 1)
    return ((q - p) * np.log(q / p)).sum(axis=1)


probas = arrays(np.float64, (5, 4), elements=st.floats(0, 1)).map(
    lambda a: a / np.maximum(a.sum(axis=1, keepdims=True), 1e-12))


@settings(max_examples=100, deadline=None)
@given(probas, probas, arrays(np.int64, 5, elements=st.integers(0, 3)))
def test_du_plus_dl_is_the_population_stability_index(p, q, y):
    du, dl = difficulty_increments(p, q, y, EPS)
    assert np.all(du >= 0) and np.all(dl >= 0)
    np.testing.assert_allclose(du + dl, _psi(p, q), rtol=1e-10, atol=1e-12)


def test_falling_true_class_probability_gets_the_larger_weight():
    falling = [0.6, 0.5, 0.4, 0.3]
    rising = [0.6, 0.7, 0.8, 0.9]
    y = np.array([1, 1])
    prev = np.full((2, 2), 0.5)
    du_sum, dl_sum = np.zeros(2), np.zeros(2)
    for p_fall, p_rise in zip(falling, rising):
        proba = np.array([[1 - p_fall, p_fall], [1 - p_rise, p_rise]])
        du, dl = difficulty_increments(prev, proba, y, EPS)
        du_sum, dl_sum, prev = du_sum + du, dl_sum + dl, proba
        difficulty, weights = difficulty_weights(du_sum, dl_sum, c=1.0)
    assert difficulty[0] > 1 > difficulty[1]
    assert weights[0] > weights[1]


class RecordingIterator(BatchIterator):
    """Records the weights of the sampler each time an epoch starts drawing from it."""

    drawn_with = []

    def __iter__(self):
        if self.sampler.__class__.__name__ == "WeightedRandomSampler":
            type(self).drawn_with.append(self.sampler.weights.clone().numpy())
        return super().__iter__()


def test_sampler_weights_change_between_epochs_inside_one_fit(imbalanced_data):
    X, y = imbalanced_data
    RecordingIterator.drawn_with = []
    clf = ImbalancedNetClassifier(rebalance="difficulty", max_epochs=4, random_state=0,
                                  iterator_train=RecordingIterator)
    clf.fit(X, y)
    weights = RecordingIterator.drawn_with
    assert len(weights) == 4  # one draw per epoch, from the one iterator built by skorch
    np.testing.assert_allclose(weights[0], 1 / len(weights[0]))  # first epoch uniform
    for before, after in zip(weights, weights[1:]):
        assert not np.allclose(before, after)
    # the weights drawn with in the last epoch are the difficulty after epoch 3
    assert clf.history[-1, "difficulty_max"] > 1 > clf.history[-1, "difficulty_min"]


def test_difficulty_is_aligned_with_the_rows_passed_to_fit(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetBinaryClassifier(rebalance="difficulty", max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert clf.difficulty_.shape == (len(X),)
    n_valid = np.isnan(clf.difficulty_).sum()
    assert n_valid == len(X) // 5  # the internal validation rows have no difficulty
    assert np.all(clf.difficulty_[~np.isnan(clf.difficulty_)] > 0)
    for key in ("difficulty_max", "difficulty_min", "difficulty_ess"):
        assert len(clf.history[:, key]) == 2


def test_partial_fit_continues_the_accumulated_state(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(rebalance="difficulty", max_epochs=2, random_state=0)
    clf.fit(X, y)
    tracker = dict(clf.callbacks_)["difficulty"]
    du_after_fit = tracker.du_sum_.copy()
    clf.partial_fit(X, y)
    assert dict(clf.callbacks_)["difficulty"] is tracker and tracker.epochs_ == 4
    assert np.all(tracker.dl_sum_ + tracker.du_sum_ >= du_after_fit)
    clf.fit(X, y)  # a cold fit starts over
    assert dict(clf.callbacks_)["difficulty"].epochs_ == 2


def test_warm_start_continues_the_accumulated_state(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(rebalance="difficulty", max_epochs=2, warm_start=True,
                                  random_state=0)
    clf.fit(X, y).fit(X, y)
    assert dict(clf.callbacks_)["difficulty"].epochs_ == 4


def test_warmup_keeps_uniform_draws(imbalanced_data):
    RecordingIterator.drawn_with = []
    clf = ImbalancedNetClassifier(rebalance=DifficultySampling(warmup=2), max_epochs=4,
                                  iterator_train=RecordingIterator, random_state=0)
    clf.fit(*imbalanced_data)
    first, second, third, _ = RecordingIterator.drawn_with
    np.testing.assert_allclose(second, first)
    assert not np.allclose(third, first)


def test_composes_with_a_focal_loss(imbalanced_data):
    clf = ImbalancedNetClassifier(rebalance=["difficulty", "focal"], gamma=2.0, max_epochs=2)
    clf.fit(*imbalanced_data)
    assert clf.criterion_.gamma == 2.0 and "difficulty" in dict(clf.callbacks_)


def test_two_samplers_cannot_be_composed(imbalanced_data):
    clf = ImbalancedNetClassifier(rebalance=["difficulty", "class_balanced_sampling"])
    with pytest.raises(ValueError, match="Only one composed strategy may define sampler"):
        clf.fit(*imbalanced_data)


@pytest.mark.parametrize("params, match", [
    ({"c": 0.0}, "The 'c' parameter of DifficultySampling must be a float in the range"),
    ({"warmup": -1}, "The 'warmup' parameter of DifficultySampling"),
])
def test_bad_parameters(params, match, imbalanced_data):
    with pytest.raises(ValueError, match=match):
        ImbalancedNetClassifier(rebalance=DifficultySampling(**params)).fit(*imbalanced_data)
