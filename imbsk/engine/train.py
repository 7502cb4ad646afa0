"""Training K members whose losses differ (a search's candidates x folds) as one stack.

Each member has its own initial weights, its own random stream for its data order, its
own training rows and its own loss (:class:`~imbsk.engine.loss.StackedLoss`); the loss is
the *sum* of the members' losses, so each member's gradient is its own loss's gradient,
and an element-wise optimizer (Adam, SGD, ...) updates each member exactly as it would
alone.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..devices import seeded
from ..modules import MLP, shortcut_param_groups  # noqa: F401 (MLP: doctests)
from ..rebalance.losses import RebalancedLoss
from .layers import StackedMLP
from .loss import StackedLoss
from .sampling import MemberStreams, _shuffled

__all__ = ["ELEMENTWISE_OPTIMIZERS", "MemberSpec", "member_spec", "train_members"]


#: Optimizers whose update of a parameter entry depends on that entry alone: stacking
#: members in one tensor then changes nothing.
ELEMENTWISE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD,
                          torch.optim.RMSprop, torch.optim.Adagrad)


@dataclass
class MemberSpec:
    """What one member of :func:`train_members` is.

    Attributes
    ----------
    rows : ndarray of int
        Its training rows (indices into ``X``); it never sees any other row.
    module : MLP
        Its initial network (made under its seed).
    rng_state : ByteTensor
        torch's generator state right after that initialisation: its data orders.
    criterion : RebalancedLoss
        Its loss (its class counts, β, γ, α, τ).
    sample_weight : ndarray or None
        Per-row weights aligned with ``rows``.

    Examples
    --------
    >>> spec = member_spec([0, 1, 2], 0, lambda: MLP(2, 2, (4,)),
    ...                    RebalancedLoss(torch.ones(2)))
    >>> spec.rows.tolist()
    [0, 1, 2]
    """

    rows: np.ndarray
    module: nn.Module
    rng_state: torch.Tensor
    criterion: RebalancedLoss
    sample_weight: np.ndarray = None


def train_members(X, codes, members, *, link, make_optimizer=None, batch_size=128,
                  max_epochs=30, device="cpu"):
    """Train the members as one stacked network for ``max_epochs`` epochs.

    Each epoch, member k visits its rows in its own random order (drawn from its stream
    as a fit seeded like it would draw it), in batches of ``batch_size``; all members step
    together. A member with fewer batches in an epoch than the longest pads its last
    steps with rows of weight zero (no gradient; a momentum optimizer still moves it a
    little: members of one CV search have equal batch counts but for rare remainders).

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features), float32
    codes : Tensor of shape (n_samples,), class indices
    members : list of MemberSpec
    link : str
        The probability link of the members (for the returned module's ensemble output).
    make_optimizer : callable or None, default=None
        ``make_optimizer(module)`` returns the optimizer of the stacked module (the
        estimators' ``optimizer``, ``lr``, ``optimizer__*`` and the shortcut's group).
        None: Adam with lr 1e-3 and the shortcut's own group
        (:func:`~imbsk.modules.shortcut_param_groups`).
    batch_size, max_epochs, device
        As the estimators' parameters.

    Returns
    -------
    module : StackedMLP
        The trained members.
    losses : ndarray of shape (max_epochs, K)
        Each member's mean training loss per epoch.

    Examples
    --------
    >>> X, y = torch.randn(40, 3), torch.arange(40) % 2
    >>> members = [member_spec(np.arange(k, 40, 2), k, lambda: MLP(3, 2, (8,)),
    ...                        RebalancedLoss(torch.ones(2))) for k in range(2)]
    >>> module, losses = train_members(X, y, members, link="softmax", max_epochs=2)
    >>> losses.shape, module.n_members
    ((2, 2), 2)
    """
    k = len(members)
    X, codes = X.to(device), codes.to(device)
    module = StackedMLP.from_members([m.module for m in members], link=link).to(device)
    criterion = StackedLoss.from_losses([m.criterion for m in members]).to(device)
    opt = (make_optimizer(module) if make_optimizer is not None else torch.optim.Adam(
        shortcut_param_groups([{"params": list(module.parameters())}], module), lr=1e-3))
    streams = MemberStreams([m.rng_state for m in members])  # a list of its own
    sizes = np.array([len(m.rows) for m in members])
    batch = min(batch_size, int(sizes.max())) if batch_size != -1 else int(sizes.max())
    rows = [torch.as_tensor(m.rows, dtype=torch.long, device=device) for m in members]
    row_weights = [None if m.sample_weight is None else
                   torch.as_tensor(m.sample_weight, dtype=torch.float32, device=device)
                   for m in members]
    n_steps = int(max(-(-n // batch) for n in sizes))
    history = np.zeros((max_epochs, k))
    module.train()
    for epoch in range(max_epochs):
        orders = []
        for j in range(k):
            with streams.member(j):
                orders.append(_shuffled(int(sizes[j])).to(device))
        width = int(sizes.max())  # the last step is as wide as the longest remainder
        index = torch.zeros(k, width, dtype=torch.long, device=device)
        weight = torch.zeros(k, width, device=device)
        for j, order in enumerate(orders):
            index[j, :len(order)] = rows[j][order]
            weight[j, :len(order)] = 1.0 if row_weights[j] is None else row_weights[j][order]
        epoch_loss = torch.zeros(k, device=device)
        for step in range(n_steps):
            cols = slice(step * batch, (step + 1) * batch)
            idx, w = index[:, cols], weight[:, cols]
            opt.zero_grad(set_to_none=True)
            per_member = criterion.member_losses(module.member_logits(X[idx]), codes[idx], w)
            per_member.sum().backward()
            opt.step()
            epoch_loss += per_member.detach() * (w > 0).sum(dim=1)
        history[epoch] = (epoch_loss / torch.as_tensor(sizes, device=device)).cpu().numpy()
    return module, history


def member_spec(rows, seed, module_factory, criterion, sample_weight=None):
    """A :class:`MemberSpec` whose network and stream come from ``seed``, as a fit's do.

    Examples
    --------
    >>> spec = member_spec([3, 4], 7, lambda: MLP(2, 2, (4,)), RebalancedLoss(torch.ones(2)))
    >>> spec.rows.tolist(), spec.rng_state.dtype
    ([3, 4], torch.uint8)
    """
    with seeded(seed):
        module = module_factory()
        state = torch.get_rng_state()
    return MemberSpec(np.asarray(rows), module, state, criterion, sample_weight)
