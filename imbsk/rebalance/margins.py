"""LDAM-DRW: label-distribution-aware margins, with deferred re-weighting.

Cao et al., *Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss*,
NeurIPS 2019. The loss is cross-entropy on ``s * (z - m_y e_y)`` with per-class margins
``m_c ∝ n_c**(-1/4)`` rescaled so that the largest is ``max_margin``
(:func:`ldam_margins`, :func:`imbsk.rebalance.losses.margin_logits`). Deferred
re-weighting (DRW) trains unweighted first and switches to effective-number class weights
(Cui et al., beta = 0.9999 in the paper) for the last epochs.
"""

import numbers

import numpy as np
import torch
from .._compat import Interval, StrOptions
from skorch.callbacks import Callback

from .base import RebalanceStrategy
from .losses import RebalancedLoss
from .weights import class_weights

__all__ = ["DeferredReweighting", "LDAMLoss", "ldam_margins"]


def ldam_margins(class_counts, max_margin=0.5):
    r"""Per-class margins :math:`m_c \propto n_c^{-1/4}`, the largest equal to ``max_margin``.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training count of each class (all positive).
    max_margin : float > 0, default=0.5
        Margin of the rarest class (the paper's default).

    Returns
    -------
    margins : ndarray of shape (n_classes,)

    Examples
    --------
    >>> ldam_margins([10000, 625, 16]).round(4).tolist()
    [0.1, 0.2, 0.5]
    """
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or np.any(counts <= 0):
        raise ValueError(f"class_counts must be positive counts, got {class_counts!r}.")
    margins = counts ** -0.25
    return margins * (max_margin / margins.max())


class DeferredReweighting(Callback):
    """Switch the loss's class weights from uniform to ``weights`` after ``drw_epoch``.

    Made by :class:`LDAMLoss`. Epochs are counted in ``net.history`` (so ``partial_fit``
    continues the count); from epoch ``drw_epoch + 1`` on, ``net.criterion_.class_weight``
    holds the effective-number weights, and the history column ``drw`` says which epochs
    were re-weighted.

    Parameters
    ----------
    drw_epoch : int >= 0 or "auto"
        Last unweighted epoch; ``"auto"`` is ``int(0.8 * net.max_epochs)``.
    beta : float in [0, 1)
        Effective-number parameter of the deferred weights.

    Examples
    --------
    >>> DeferredReweighting(drw_epoch="auto", beta=0.9999).last_unweighted_epoch(200)
    160
    """

    def __init__(self, drw_epoch, beta):
        self.drw_epoch = drw_epoch
        self.beta = beta

    def last_unweighted_epoch(self, max_epochs):
        """``drw_epoch``, with ``"auto"`` resolved for ``max_epochs``."""
        return int(0.8 * max_epochs) if self.drw_epoch == "auto" else self.drw_epoch

    def on_epoch_begin(self, net, **kwargs):
        deferred = len(net.history) > self.last_unweighted_epoch(net.max_epochs)
        counts = net.class_counts_
        weights = (class_weights(counts, "effective_number", self.beta) if deferred
                   else np.ones(len(counts)))
        weight = net.criterion_.class_weight
        weight.copy_(torch.as_tensor(weights, dtype=weight.dtype))
        net.class_weight_ = weights.astype(np.float64)
        net.history.record("drw", bool(deferred))


class LDAMLoss(RebalanceStrategy):
    """LDAM loss with optional deferred re-weighting (``rebalance="ldam_drw"``, ``"ldam"``).

    Parameters
    ----------
    max_margin : float > 0, default=0.5
        Margin of the rarest class; the others scale as ``n_c**(-1/4)``.
    scale : float > 0, default=1.0
        Logit scale ``s``. The paper uses ``s = 30`` with a cosine (normalised) last
        layer, whose logits lie in [-1, 1]; the built-in MLP has an ordinary linear last
        layer, for which ``s = 1`` keeps the margins in logit units.
    drw_epoch : "auto", int >= 0 or None, default="auto"
        Epoch after which the loss is re-weighted by effective-number weights. ``"auto"``
        is ``int(0.8 * max_epochs)`` (the paper: 160 of 200 epochs); None never
        re-weights (plain LDAM, ``rebalance="ldam"``).
    beta : float in [0, 1), default=0.9999
        Effective-number parameter of the deferred weights (the paper's value).

    Notes
    -----
    Needs one logit per class: use :class:`~imbsk.ImbalancedNetClassifier`.

    Examples
    --------
    >>> loss = LDAMLoss().make_criterion([10000, 625, 16], head="multiclass")
    >>> [round(m, 3) for m in loss.margin.tolist()]
    [0.1, 0.2, 0.5]
    """

    _parameter_constraints = {
        "max_margin": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "scale": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "drw_epoch": [StrOptions({"auto"}), Interval(numbers.Integral, 0, None, closed="left"),
                      None],
        "beta": [Interval(numbers.Real, 0.0, 1.0, closed="left")],
    }

    def __init__(self, max_margin=0.5, scale=1.0, drw_epoch="auto", beta=0.9999):
        self.max_margin = max_margin
        self.scale = scale
        self.drw_epoch = drw_epoch
        self.beta = beta

    def check_net(self, net):
        if self.drw_epoch is not None and self.drw_epoch != "auto" and \
                self.drw_epoch >= net.max_epochs:
            raise ValueError(
                f"drw_epoch={self.drw_epoch} must be smaller than max_epochs="
                f"{net.max_epochs}, or the deferred re-weighting never starts. Use "
                "drw_epoch='auto' (80% of max_epochs) or rebalance='ldam' for no re-weighting."
            )

    heads = ("multiclass",)

    def make_criterion(self, class_counts, head):
        margins = ldam_margins(class_counts, self.max_margin)
        return RebalancedLoss(torch.ones(len(margins)), margin=torch.as_tensor(margins),
                              scale=self.scale)

    def make_callbacks(self):
        if self.drw_epoch is None:
            return []
        return [("drw", DeferredReweighting(self.drw_epoch, self.beta))]
