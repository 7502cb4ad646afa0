import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from imbsk.rebalance.weights import (
    class_weights,
    effective_number_weights,
    inverse_frequency_weights,
    sqrt_inverse_frequency_weights,
)

counts_strategy = arrays(np.int64, st.integers(2, 8), elements=st.integers(1, 10**6))


def test_inverse_hand_computed():
    # 1/90 : 1/10 = 1 : 9, normalised to sum to C = 2
    np.testing.assert_allclose(inverse_frequency_weights([90, 10]), [0.2, 1.8])


def test_sqrt_inverse_hand_computed():
    # 1/10 : 1/5 = 1 : 2 -> 2/3, 4/3
    np.testing.assert_allclose(sqrt_inverse_frequency_weights([100, 25]), [2 / 3, 4 / 3])


def test_effective_number_hand_computed():
    # E_100 = (1 - 0.9**100) / 0.1 = 9.99973..., E_10 = (1 - 0.9**10) / 0.1 = 6.51321...
    e100, e10 = (1 - 0.9**100) / 0.1, (1 - 0.9**10) / 0.1
    raw = np.array([1 / e100, 1 / e10])
    np.testing.assert_allclose(effective_number_weights([100, 10], 0.9), raw / raw.sum() * 2)
    np.testing.assert_allclose(effective_number_weights([100, 10], 0.9), [0.78886, 1.21114],
                               atol=1e-5)


def test_beta_zero_is_uniform():
    np.testing.assert_array_equal(effective_number_weights([1000, 10, 1], 0.0), [1, 1, 1])


def test_beta_to_one_approaches_inverse():
    counts = [5000, 300, 12]
    np.testing.assert_allclose(effective_number_weights(counts, 1 - 1e-9),
                               inverse_frequency_weights(counts), rtol=1e-4)


@pytest.mark.parametrize("weighting", ["inverse", "sqrt_inverse", "effective_number"])
def test_class_without_samples_is_named(weighting):
    with pytest.raises(ValueError, match=r"Class index\(es\) \[1\] have no training sample"):
        class_weights([10, 0, 3], weighting)


def test_unknown_weighting_lists_valid():
    with pytest.raises(ValueError, match="valid ones are None, 'inverse'"):
        class_weights([1, 2], "inverted")


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5])
def test_beta_out_of_range(beta):
    with pytest.raises(ValueError, match=r"beta must be a float in the range \[0.0, 1.0\)"):
        effective_number_weights([3, 1], beta)


@given(counts_strategy, st.sampled_from([None, "inverse", "sqrt_inverse", "effective_number"]),
       st.floats(0.0, 0.99999))
def test_weights_finite_positive_and_sum_to_c(counts, weighting, beta):
    w = class_weights(counts, weighting, beta)
    assert np.all(np.isfinite(w)) and np.all(w > 0)
    np.testing.assert_allclose(w.sum(), len(counts))


@given(counts_strategy, st.sampled_from(["inverse", "sqrt_inverse", "effective_number"]),
       st.randoms(use_true_random=False))
def test_permuting_classes_permutes_weights(counts, weighting, rnd):
    order = list(range(len(counts)))
    rnd.shuffle(order)
    np.testing.assert_allclose(class_weights(counts[order], weighting),
                               class_weights(counts, weighting)[order])


@given(counts_strategy, st.integers(2, 1000))
def test_scaling_counts_leaves_inverse_unchanged(counts, scale):
    np.testing.assert_allclose(inverse_frequency_weights(counts * scale),
                               inverse_frequency_weights(counts))
    np.testing.assert_allclose(sqrt_inverse_frequency_weights(counts * scale),
                               sqrt_inverse_frequency_weights(counts))
