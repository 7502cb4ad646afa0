"""Sampling-level re-balancing: class-balanced and square-root sampling.

Both draw N training rows with replacement every epoch through PyTorch's
``WeightedRandomSampler``; the draw is fresh each epoch because the training iterator
asks the sampler for a new index sequence at the start of every epoch.
"""

import numbers

import numpy as np
import torch
from .._compat import Interval
from torch.utils.data import WeightedRandomSampler

from .base import RebalanceStrategy

__all__ = ["ClassBalancedSampling", "class_power_sample_weights"]


def class_power_sample_weights(y, power):
    r"""Row draw weights: class c is drawn with probability :math:`\propto n_c^{\text{power}}`.

    ``power=0`` is class-balanced sampling (every class equally likely per draw, the
    seed's "label shuffling"), ``power=0.5`` square-root sampling and ``power=1``
    instance-balanced (uniform) sampling. Rows are uniform within their class.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class indices of the training rows.
    power : float >= 0

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Sums to 1.

    Examples
    --------
    >>> class_power_sample_weights([0, 0, 0, 1], power=0.0).tolist()
    [0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.5]
    """
    y = np.asarray(y)
    counts = np.bincount(y).astype(np.float64)
    per_row = counts[y] ** (power - 1.0)
    return per_row / per_row.sum()


class ClassBalancedSampling(RebalanceStrategy):
    """Draw each epoch's N rows with class probability ∝ ``n_c**power``.

    Parameters
    ----------
    power : float >= 0, default=0.0
        0 gives class-balanced sampling (``rebalance="class_balanced_sampling"``),
        0.5 square-root sampling (``rebalance="sqrt_sampling"``).

    Examples
    --------
    >>> sampler = ClassBalancedSampling().make_sampler(np.array([0] * 9 + [1]))
    >>> len(list(sampler))
    10
    """

    draws_rows = True  # its own sampler / rows: members cannot keep to folds

    _parameter_constraints = {"power": [Interval(numbers.Real, 0.0, None, closed="left")]}

    def __init__(self, power=0.0):
        self.power = power

    def make_sampler(self, y_train):
        weights = class_power_sample_weights(y_train, self.power)
        return WeightedRandomSampler(
            torch.as_tensor(weights, dtype=torch.float64), num_samples=len(weights),
            replacement=True,
        )

    def drawn_class_prior(self, class_counts, sampler):
        counts = np.asarray(class_counts, dtype=np.float64) ** self.power
        return counts / counts.sum()
