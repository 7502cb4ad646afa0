"""Online hard example mining (OHEM): learn from the hardest samples of each batch."""

import numbers

import torch
from .._compat import Interval

from .base import RebalanceStrategy
from .losses import RebalancedLoss

__all__ = ["HardExampleMining"]


class HardExampleMining(RebalanceStrategy):
    """Back-propagate only the largest per-sample losses of each batch (``rebalance="ohem"``).

    Shrivastava et al., *Training Region-based Object Detectors with Online Hard Example
    Mining*, CVPR 2016: per training batch, the ``ceil(ohem_ratio * batch_size)`` samples
    with the largest cross-entropy are kept and averaged; the others contribute no
    gradient. Rare classes are usually the hard ones, so they dominate the kept samples.
    The validation loss uses every sample.

    Parameters
    ----------
    ohem_ratio : float in (0, 1], default=0.5
        Fraction of each batch that is back-propagated; 1 is plain cross-entropy. Not
        tuned: search it (``rebalance__ohem_ratio``) for your data.

    Examples
    --------
    >>> loss = HardExampleMining(ohem_ratio=0.25).make_criterion([90, 10], "multiclass")
    >>> loss.ohem_ratio
    0.25
    """

    _parameter_constraints = {
        "ohem_ratio": [Interval(numbers.Real, 0.0, 1.0, closed="right")],
    }

    def __init__(self, ohem_ratio=0.5):
        self.ohem_ratio = ohem_ratio

    def make_criterion(self, class_counts, head):
        return RebalancedLoss(torch.ones(len(class_counts)), ohem_ratio=float(self.ohem_ratio),
                              form="sigmoid" if head == "binary" else "softmax")
