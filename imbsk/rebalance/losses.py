"""Re-balancing losses: plain functions on logits, plus one thin ``nn.Module``.

Each function returns the *per-sample* loss (shape ``(N,)``); reduction is a separate
step (:func:`reduce_loss`) so that class weights, per-sample weights and the reduction
are decided in one place.

Forms
-----
``softmax``
    ``-alpha_y (1 - p_y)**gamma log p_y`` with ``p = softmax(z)``, computed from
    ``log_softmax`` (Lin et al., ICCV 2017; ``gamma = 0`` is cross-entropy).
``sigmoid``
    one-vs-all binary focal loss summed over the C outputs (Cui et al., CVPR 2019), or
    over the single logit of a binary head; ``gamma = 0`` is binary cross-entropy.

``1 - p_t`` is computed as ``-expm1(log p_t)`` and clamped away from 0 before the
power, so the gradient stays finite for ``0 < gamma < 1`` at saturated probabilities.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LOSS_FORMS",
    "REDUCTIONS",
    "RebalancedLoss",
    "hardest_mean",
    "margin_logits",
    "reduce_loss",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
]

LOSS_FORMS = ("softmax", "sigmoid")

#: ``mean`` divides by the batch size (the class-balanced-loss paper's code);
#: ``weighted_mean`` divides by the sum of the weights (PyTorch's weighted mean).
REDUCTIONS = ("mean", "weighted_mean", "sum", "none")


def _modulating_factor(log_p_t, gamma):
    """(1 - p_t)**gamma from log p_t; None for gamma = 0 (a factor of exactly 1)."""
    if gamma == 0:
        return None
    one_minus_p_t = (-torch.expm1(log_p_t)).clamp_min(torch.finfo(log_p_t.dtype).tiny)
    return one_minus_p_t.square() if gamma == 2 else one_minus_p_t.pow(gamma)


def softmax_focal_loss(logits, target, gamma=0.0, alpha=None):
    r"""Per-sample softmax focal loss :math:`-\alpha_y (1 - p_y)^{\gamma} \log p_y`.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
    target : LongTensor of shape (N,)
        Class indices.
    gamma : float, default=0.0
        Focusing parameter; 0 gives cross-entropy.
    alpha : Tensor of shape (C,) or None
        Per-class factor; None means 1 for every class.

    Returns
    -------
    loss : Tensor of shape (N,)

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> target = torch.tensor([0, 1])
    >>> ce = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    >>> torch.allclose(softmax_focal_loss(logits, target, gamma=0.0), ce)
    True
    """
    log_p = F.log_softmax(logits, dim=-1)
    log_p_t = log_p.gather(-1, target.long().unsqueeze(-1)).squeeze(-1)
    factor = _modulating_factor(log_p_t, gamma)
    loss = -log_p_t if factor is None else -factor * log_p_t
    if alpha is not None:
        loss = alpha[target.long()] * loss
    return loss


def sigmoid_focal_loss(logits, target, gamma=0.0, alpha=None):
    """Per-sample sigmoid (one-vs-all) focal loss, summed over the outputs.

    Parameters
    ----------
    logits : Tensor of shape (N, C) or (N,)
        ``(N,)`` is a binary head with one logit for the positive class.
    target : Tensor of shape (N,)
        Class indices (0/1 for a binary head).
    gamma : float, default=0.0
        Focusing parameter; 0 gives binary cross-entropy.
    alpha : float or None
        Factor ``alpha`` for the positive of each one-vs-all problem and
        ``1 - alpha`` for the negatives (torchvision's convention); None means 1.

    Returns
    -------
    loss : Tensor of shape (N,)

    Examples
    --------
    >>> logits = torch.tensor([0.5, -1.0])
    >>> target = torch.tensor([1, 0])
    >>> bce = torch.nn.functional.binary_cross_entropy_with_logits(
    ...     logits, target.float(), reduction="none")
    >>> torch.allclose(sigmoid_focal_loss(logits, target), bce)
    True
    """
    if logits.dim() == 1:
        positive = target.to(logits.dtype)
    else:
        positive = F.one_hot(target.long(), logits.shape[-1]).to(logits.dtype)
    bce = F.binary_cross_entropy_with_logits(logits, positive, reduction="none")
    factor = _modulating_factor(-bce, gamma)
    loss = bce if factor is None else factor * bce
    if alpha is not None:
        loss = (alpha * positive + (1.0 - alpha) * (1.0 - positive)) * loss
    return loss if logits.dim() == 1 else loss.sum(dim=-1)


def margin_logits(logits, target, margin, scale=1.0):
    """``scale * (z - m_y e_y)``: the true class's logit lowered by its margin, then scaled.

    The logits of the LDAM loss (Cao et al., NeurIPS 2019): cross-entropy on them asks
    the true class to win by at least ``m_y``; rare classes get larger margins.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
    target : LongTensor of shape (N,)
    margin : Tensor of shape (C,)
    scale : float, default=1.0

    Returns
    -------
    logits : Tensor of shape (N, C)

    Examples
    --------
    >>> margin_logits(torch.tensor([[1.0, 2.0]]), torch.tensor([1]),
    ...               torch.tensor([0.1, 0.5]), scale=2.0).tolist()
    [[2.0, 3.0]]
    """
    target = target.long()
    shifted = logits.scatter_add(
        -1, target.unsqueeze(-1), -margin.to(logits.dtype)[target].unsqueeze(-1))
    return shifted * scale if scale != 1.0 else shifted


def hardest_mean(losses, ratio):
    """Mean of the ``ceil(ratio * N)`` largest entries of ``losses`` (OHEM).

    Online hard example mining back-propagates only the hardest samples of each batch;
    the others get a gradient of exactly zero.

    Parameters
    ----------
    losses : Tensor of shape (N,)
        Per-sample (already weighted) losses.
    ratio : float in (0, 1]
        Fraction of the batch kept; at least one sample is kept.

    Returns
    -------
    loss : Tensor (scalar)

    Examples
    --------
    >>> hardest_mean(torch.tensor([0.1, 3.0, 1.0, 2.0]), 0.5).item()
    2.5
    """
    k = max(1, math.ceil(ratio * len(losses)))
    if k >= len(losses):
        return losses.mean()
    return torch.topk(losses, k, sorted=False).values.mean()


def _weighted_softmax_focal(logits, target, weights, gamma, divisor):
    """``sum_i w_i FL_gamma(z_i, y_i) / divisor`` through PyTorch's fused cross-entropy.

    The focal loss depends on the logits only through ``ce_i = -log p_t``, so its
    gradient is the cross-entropy gradient times a per-row slope
    ``dFL/dce = u**gamma + gamma u**(gamma-1) p_t ce`` (``u = 1 - p_t``). The slope is
    computed without autograd and the recorded graph is the fused cross-entropy kernel and
    one dot product: on small tabular batches autograd's per-op bookkeeping costs more than
    the arithmetic. The returned value is the focal loss; its gradient is exact (checked by
    ``gradcheck``); second derivatives are not supported.
    """
    ce = F.cross_entropy(logits, target, reduction="none")
    scale = (weights / divisor).detach()
    if gamma == 0:
        return torch.dot(ce, scale)
    with torch.no_grad():
        p_t = torch.exp(-ce)
        # u = 1 - p_t, kept positive so that u**(gamma - 1) stays finite for gamma < 1;
        # there u**(gamma - 1) also needs u accurate near 0, hence -expm1(-ce)
        u = (torch.rsub(p_t, 1.0) if gamma >= 1 else torch.expm1(-ce).neg_()).clamp_min_(
            torch.finfo(ce.dtype).tiny)
        factor = u * u if gamma == 2 else u.pow(gamma)
        value = torch.dot(factor * ce, scale)
        slope = torch.addcmul(factor, factor / u * p_t, ce, value=gamma).mul_(scale)
    surrogate = torch.dot(ce, slope)  # gradient: sum_i slope_i dce_i/dz
    return surrogate + (value - surrogate.detach())


def reduce_loss(per_sample_loss, weights, reduction):
    """Multiply by ``weights`` (shape (N,)) and reduce as named in :data:`REDUCTIONS`.

    Parameters
    ----------
    per_sample_loss : Tensor of shape (N,)
    weights : Tensor of shape (N,)
        Product of the class weight of each sample's class and its sample weight.
    reduction : {"mean", "weighted_mean", "sum", "none"}

    Returns
    -------
    loss : Tensor
        A scalar, or shape (N,) for ``"none"``.

    Examples
    --------
    >>> loss = torch.tensor([1.0, 3.0]); w = torch.tensor([1.0, 3.0])
    >>> reduce_loss(loss, w, "mean").item(), reduce_loss(loss, w, "weighted_mean").item()
    (5.0, 2.5)
    """
    if reduction == "mean":
        return torch.dot(per_sample_loss, weights) / len(weights)
    weighted = per_sample_loss * weights
    if reduction == "weighted_mean":
        return weighted.sum() / weights.sum().clamp_min(torch.finfo(weights.dtype).tiny)
    if reduction == "sum":
        return weighted.sum()
    if reduction == "none":
        return weighted
    raise ValueError(f"Unknown reduction {reduction!r}; valid ones are {REDUCTIONS}.")


class RebalancedLoss(nn.Module):
    """Class-weighted focal / cross-entropy loss on logits.

    ``class_weight`` is a buffer, so moving the module to a device moves the weights.

    Parameters
    ----------
    class_weight : Tensor of shape (C,)
        Weight of each class (for a binary head, ``[w_negative, w_positive]``).
    gamma : float, default=0.0
        Focal focusing parameter; 0 gives (binary) cross-entropy.
    alpha : float, Tensor of shape (C,) or None, default=None
        Focal alpha. Softmax form: a per-class tensor. Sigmoid form: a float for the
        positive of each one-vs-all problem.
    form : {"softmax", "sigmoid"}, default="softmax"
    reduction : {"mean", "weighted_mean", "sum", "none"}, default="mean"
    logit_offset : Tensor of shape (C,) or None, default=None
        Added to the logits before the loss (training only): ``tau * log(prior)`` is
        the logit-adjusted loss (Menon et al., ICLR 2021), ``log(n_c)`` the balanced
        softmax (Ren et al., NeurIPS 2020).
    margin : Tensor of shape (C,) or None, default=None
        Subtracted from the true class's logit, after which the logits are multiplied by
        ``scale`` (:func:`margin_logits`; the LDAM loss, softmax form only).
    scale : float > 0, default=1.0
        Logit scale of the margin loss.
    ohem_ratio : float in (0, 1] or None, default=None
        Online hard example mining: only the hardest ``ceil(ohem_ratio * N)`` samples of
        each training batch count (:func:`hardest_mean` of the weighted per-sample
        losses). Evaluation (validation loss) uses every sample.

    Examples
    --------
    >>> loss = RebalancedLoss(torch.tensor([0.5, 1.5]), gamma=2.0)
    >>> value = loss(torch.tensor([[1.0, -1.0]]), torch.tensor([1]))
    >>> bool(value > 0)
    True
    """

    def __init__(self, class_weight, gamma=0.0, alpha=None, form="softmax", reduction="mean",
                 logit_offset=None, margin=None, scale=1.0, ohem_ratio=None):
        super().__init__()
        if form not in LOSS_FORMS:
            raise ValueError(f"Unknown form {form!r}; valid ones are {LOSS_FORMS}.")
        if reduction not in REDUCTIONS:
            raise ValueError(f"Unknown reduction {reduction!r}; valid ones are {REDUCTIONS}.")
        if margin is not None and form != "softmax":
            raise ValueError("margin (the LDAM loss) needs form='softmax' over C logits.")
        if ohem_ratio is not None and not 0.0 < ohem_ratio <= 1.0:
            raise ValueError(f"ohem_ratio must be in (0, 1], got {ohem_ratio!r}.")
        self.scale = float(scale)
        self.ohem_ratio = ohem_ratio
        if margin is not None:
            self.register_buffer("margin", torch.as_tensor(margin, dtype=torch.float32))
        else:
            self.margin = None
        self.register_buffer("class_weight", torch.as_tensor(class_weight, dtype=torch.float32))
        if alpha is not None and not isinstance(alpha, float):
            alpha = torch.as_tensor(alpha, dtype=torch.float32)
            self.register_buffer("alpha", alpha)
        else:
            self.alpha = alpha
        self.gamma = float(gamma)
        self.form = form
        self.reduction = reduction
        if logit_offset is not None:
            self.register_buffer("logit_offset",
                                 torch.as_tensor(logit_offset, dtype=torch.float32))
        else:
            self.logit_offset = None

    def forward(self, logits, target, sample_weight=None):
        """Loss of ``logits`` against class indices ``target``."""
        target = target.long()
        if self.logit_offset is not None:
            logits = logits + self.logit_offset.to(logits.dtype)
        if self.margin is not None:
            logits = margin_logits(logits, target, self.margin, self.scale)
        weights = self.class_weight[target]
        if weights.dtype != logits.dtype:
            weights = weights.to(logits.dtype)
        if sample_weight is not None:
            weights = weights * sample_weight.to(logits.dtype)
        if self.ohem_ratio is not None and self.training and self.reduction != "none":
            if self.form == "softmax":
                per_sample = softmax_focal_loss(logits, target, self.gamma, self.alpha)
            else:
                per_sample = sigmoid_focal_loss(logits, target, self.gamma, self.alpha)
            return hardest_mean(per_sample * weights, self.ohem_ratio)
        if self.form == "softmax" and self.gamma == 0 and self.alpha is None:
            # weighted cross-entropy: PyTorch's fused kernel per row, then the weighting
            # (rows weighted 1 give bit-identical results with or without sample weights)
            per_sample = F.cross_entropy(logits, target, reduction="none")
            return reduce_loss(per_sample, weights, self.reduction)
        if self.form == "softmax" and self.reduction != "none":
            if self.reduction == "weighted_mean":
                divisor = weights.sum().clamp_min(torch.finfo(logits.dtype).tiny)
            else:
                divisor = len(target) if self.reduction == "mean" else 1.0
            if self.alpha is not None:
                weights = weights * self.alpha.to(logits.dtype)[target]
            return _weighted_softmax_focal(logits, target, weights, self.gamma, divisor)
        if self.form == "softmax":
            per_sample = softmax_focal_loss(logits, target, self.gamma, self.alpha)
        else:
            per_sample = sigmoid_focal_loss(logits, target, self.gamma, self.alpha)
        return reduce_loss(per_sample, weights, self.reduction)
