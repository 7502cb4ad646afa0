"""The per-member loss: member k's gradient is its own loss's gradient.

:func:`member_loss_sum` is what the estimators' training step uses for K stacked members
(any criterion); :class:`StackedLoss` vectorises K different ``RebalancedLoss`` objects
(a search's candidates, whose β, γ, α differ).
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..rebalance.losses import RebalancedLoss

__all__ = ["StackedLoss", "is_row_separable", "member_loss_sum"]


class StackedLoss(nn.Module):
    """The sum over members of each member's :class:`~imbsk.rebalance.losses.RebalancedLoss`.

    Vectorised over K: class weights ``(K, C)``, focal γ ``(K,)``, focal α, logit offsets
    (logit adjustment, τ) ``(K, C)``, LDAM margins ``(K, C)`` and scales ``(K,)``.
    Built from the members' own losses (:meth:`from_losses`), so each member's term is its
    strategy's loss, with its class counts.

    ``forward(logits, target, row_weight)``: logits ``(K, N, C)`` (``(K, N)`` binary),
    target ``(K, N)`` class indices, row_weight ``(K, N)`` (0 for padding rows, else the
    sample weight). Each member's loss is reduced over its own rows as its loss reduces
    (``"mean"``: divided by its number of real rows).

    Examples
    --------
    >>> losses = [RebalancedLoss(torch.tensor([1.0, 3.0]), gamma=g) for g in (0.0, 2.0)]
    >>> stacked = StackedLoss.from_losses(losses)
    >>> z, y = torch.randn(2, 4, 2), torch.tensor([[0, 1, 0, 1]] * 2)
    >>> each = stacked.member_losses(z, y, torch.ones(2, 4))
    >>> torch.allclose(each, torch.stack([losses[k](z[k], y[k]) for k in range(2)]))
    True
    """

    def __init__(self, form, reduction, class_weight, gamma, alpha_pos, alpha_neg,
                 alpha_class, logit_offset, margin, scale):
        super().__init__()
        self.form, self.reduction = form, reduction
        for name, value in dict(class_weight=class_weight, gamma=gamma, alpha_pos=alpha_pos,
                                alpha_neg=alpha_neg, alpha_class=alpha_class,
                                logit_offset=logit_offset, margin=margin, scale=scale).items():
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.float32))

    @staticmethod
    def supports(loss):
        """Whether ``loss`` can be a member: an imbsk ``RebalancedLoss`` without OHEM."""
        return type(loss) is RebalancedLoss and loss.ohem_ratio is None \
            and loss.reduction in ("mean", "weighted_mean")

    @classmethod
    def from_losses(cls, losses):
        """Stack K ``RebalancedLoss`` objects (one form and reduction) into one."""
        bad = [type(loss).__name__ for loss in losses if not cls.supports(loss)]
        forms = {(loss.form, loss.reduction) for loss in losses}
        if bad or len(forms) != 1:
            raise ValueError("StackedLoss stacks RebalancedLoss members of one form and "
                             f"reduction without OHEM; got {bad or sorted(forms)}.")
        (form, reduction), = forms
        n_classes = len(losses[0].class_weight)

        def vector(value, default):
            if value is None:
                return np.full(n_classes, default, dtype=np.float64)
            value = np.asarray(torch.as_tensor(value).detach().cpu(), dtype=np.float64)
            # the binary head's single offset, in the first of its two slots
            return np.r_[value, np.full(n_classes - len(value), default)]

        alphas = [loss.alpha for loss in losses]
        scalar_alpha = [a if isinstance(a, float) else None for a in alphas]
        return cls(
            form, reduction,
            np.stack([vector(loss.class_weight, 1.0) for loss in losses]),
            np.array([loss.gamma for loss in losses]),
            np.array([1.0 if a is None else a for a in scalar_alpha]),
            np.array([1.0 if a is None else 1.0 - a for a in scalar_alpha]),
            np.stack([vector(a if not isinstance(a, float) else None, 1.0) for a in alphas]),
            np.stack([vector(loss.logit_offset, 0.0) for loss in losses]),
            np.stack([vector(loss.margin, 0.0) for loss in losses]),
            np.array([loss.scale if loss.margin is not None else 1.0 for loss in losses]),
        )

    def member_losses(self, logits, target, row_weight):
        """Each member's reduced loss, shape ``(K,)``."""
        target = target.long()
        z = logits + (self.logit_offset.unsqueeze(1) if logits.dim() == 3
                      else self.logit_offset[:, :1])
        if self.form == "softmax":
            rows = torch.gather(self.margin, 1, target).to(z.dtype)  # (K, N) true-class margins
            z = z.scatter_add(-1, target.unsqueeze(-1), -rows.unsqueeze(-1))
            z = z * self.scale.view(-1, 1, 1)
            log_p_t = F.log_softmax(z, dim=-1).gather(-1, target.unsqueeze(-1)).squeeze(-1)
            u = (-torch.expm1(log_p_t)).clamp_min(torch.finfo(z.dtype).tiny)
            per_row = -u.pow(self.gamma.unsqueeze(1)) * log_p_t
            per_row = per_row * torch.gather(self.alpha_class, 1, target)
        else:
            positive = (target.to(z.dtype) if z.dim() == 2
                        else F.one_hot(target, z.shape[-1]).to(z.dtype))
            bce = F.binary_cross_entropy_with_logits(z, positive, reduction="none")
            u = (-torch.expm1(-bce)).clamp_min(torch.finfo(z.dtype).tiny)
            gamma = self.gamma.view(-1, *([1] * (z.dim() - 1)))
            factor = (self.alpha_pos.view_as(gamma) * positive
                      + self.alpha_neg.view_as(gamma) * (1.0 - positive))
            per_row = factor * u.pow(gamma) * bce
            if z.dim() == 3:
                per_row = per_row.sum(dim=-1)
        weights = torch.gather(self.class_weight, 1, target) * row_weight
        total = (per_row * weights).sum(dim=1)
        if self.reduction == "mean":
            return total / (row_weight > 0).sum(dim=1).clamp_min(1)
        return total / weights.sum(dim=1).clamp_min(torch.finfo(z.dtype).tiny)

    def forward(self, logits, target, row_weight):
        return self.member_losses(logits, target, row_weight).sum()


def member_loss_sum(loss_of, y_pred, y_true, separable=False):
    """The sum over K members of each member's loss on its own rows of the batch.

    Parameters
    ----------
    loss_of : callable
        ``loss_of(y_pred_k, y_true_k)``: one member's loss (the estimator's criterion).
    y_pred : Tensor of shape (B, K, ...)
        Member k's outputs for its B rows in slice ``[:, k]``.
    y_true : Tensor of shape (B, K), or a tuple of such tensors (targets, sample weights)
    separable : bool, default=False
        The loss is a plain mean over rows (no per-batch normalisation by weights, no
        hardest-rows selection): then K times the loss of all members' rows at once is
        the same sum, in one call.

    Returns
    -------
    loss : Tensor (scalar)

    Examples
    --------
    >>> z, y = torch.randn(4, 3, 2), torch.randint(0, 2, (4, 3))
    >>> ce = torch.nn.functional.cross_entropy
    >>> each = sum(ce(z[:, k], y[:, k]) for k in range(3))
    >>> bool(torch.allclose(member_loss_sum(ce, z, y), each))
    True
    >>> bool(torch.allclose(member_loss_sum(ce, z, y, separable=True), each))
    True
    """
    k = y_pred.shape[1]
    if separable:
        flat = (tuple(t.reshape(-1) for t in y_true) if isinstance(y_true, (tuple, list))
                else y_true.reshape(-1))
        return k * loss_of(y_pred.reshape(-1, *y_pred.shape[2:]), flat)
    total = 0.0
    for j in range(k):
        target = (tuple(t[:, j] for t in y_true) if isinstance(y_true, (tuple, list))
                  else y_true[:, j])
        total = total + loss_of(y_pred[:, j], target)
    return total


def is_row_separable(criterion):
    """Whether ``criterion`` is a plain mean over rows (see :func:`member_loss_sum`).

    Examples
    --------
    >>> is_row_separable(RebalancedLoss(torch.ones(2)))
    True
    >>> is_row_separable(RebalancedLoss(torch.ones(2), ohem_ratio=0.5))
    False
    """
    return (isinstance(criterion, RebalancedLoss) and criterion.reduction == "mean"
            and criterion.ohem_ratio is None)
