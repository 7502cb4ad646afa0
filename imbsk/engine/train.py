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

__all__ = ["ELEMENTWISE_OPTIMIZERS", "MemberSpec", "TrainedMembers", "member_spec",
           "train_members"]


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
    module : MLP or StackedMLP
        Its initial network (made under its seed): an MLP, or a stack whose member
        ``member`` it is (the members of one fit share their stack).
    rng_state : ByteTensor
        torch's generator state when its first epoch starts: its data orders.
    criterion : RebalancedLoss
        Its loss (its class counts, β, γ, α, τ).
    sample_weight : ndarray or None
        Per-row weights aligned with ``rows``.
    valid_rows : ndarray of int or None
        Rows (indices into ``X``) it is validated on after every epoch, keeping the
        weights of its lowest validation loss (a cross-fitted member's fold); None: no
        selection, the weights of the last epoch.
    epoch_rows : int or None
        Rows it visits per epoch (the first of its shuffled rows); None: all of them.
        Members of one fit visit as many rows as the smallest of them (cross-fit folds
        differ by a row), as the estimators' member batches do.
    member : int, default=0
        Its position in ``module`` when that is a stack.

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
    valid_rows: np.ndarray = None
    epoch_rows: int = None
    member: int = 0


@dataclass
class TrainedMembers:
    """What :func:`train_members` returns.

    Attributes
    ----------
    module : StackedMLP
        The trained members, each at its kept epoch.
    train_losses : ndarray of shape (max_epochs, K)
        Each member's mean training loss per epoch.
    valid_losses : ndarray of shape (max_epochs, K)
        Each member's validation loss per epoch (NaN for members without validation rows).
    best_epochs : ndarray of int, shape (K,)
        The epoch (1-based) whose weights each member kept (the last one without
        validation rows).
    """

    module: nn.Module
    train_losses: np.ndarray
    valid_losses: np.ndarray
    best_epochs: np.ndarray


def _padded(rows, device):
    """Rows of K members as a (K, width) index and a (K, width) 0/1 mask of real rows."""
    width = max(len(r) for r in rows)
    index = torch.zeros(len(rows), width, dtype=torch.long, device=device)
    mask = torch.zeros(len(rows), width, device=device)
    for j, r in enumerate(rows):
        index[j, :len(r)] = torch.as_tensor(r, dtype=torch.long, device=device)
        mask[j, :len(r)] = 1.0
    return index, mask


def _validation_losses(module, criterion, X, codes, index, mask):
    """Each member's loss on its validation rows, in evaluation mode.

    In float32 (an ordinary fit selects in float64, to the same epochs but for losses
    equal to float32 precision; :meth:`~imbsk.engine.layers.StackedMLP.selection_logits`):
    the selection of thousands of members is the largest cost of a search after its
    training steps.
    """
    module.eval()
    try:
        with torch.no_grad():
            logits = module.selection_logits(X[index])
            return criterion.member_losses(logits, codes[index], mask.to(logits.dtype))
    finally:
        module.train()


def train_members(X, codes, members, *, link, make_optimizer=None, batch_size=128,
                  max_epochs=30, device="cpu"):
    """Train the members as one stacked network for ``max_epochs`` epochs.

    Each epoch, member k visits its rows in its own random order (drawn from its stream
    as a fit seeded like it would draw it), in batches of ``batch_size``; all members step
    together. A member with fewer batches in an epoch than the longest pads its last
    steps with rows of weight zero (no gradient; a momentum optimizer still moves it a
    little: members of one CV search have equal batch counts but for rare remainders).
    Members with validation rows are scored on them after every epoch and end at their
    best epoch, as the estimators' cross-fitted members do.

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
    TrainedMembers

    Examples
    --------
    >>> X, y = torch.randn(40, 3), torch.arange(40) % 2
    >>> members = [member_spec(np.arange(k, 40, 2), k, lambda: MLP(3, 2, (8,)),
    ...                        RebalancedLoss(torch.ones(2))) for k in range(2)]
    >>> trained = train_members(X, y, members, link="softmax", max_epochs=2)
    >>> trained.train_losses.shape, trained.module.n_members
    ((2, 2), 2)
    """
    k = len(members)
    X, codes = X.to(device), codes.to(device)
    module = _stack_of(members, link).to(device)
    module.link = link
    criterion = StackedLoss.from_losses([m.criterion for m in members]).to(device)
    opt = (make_optimizer(module) if make_optimizer is not None else torch.optim.Adam(
        shortcut_param_groups([{"params": list(module.parameters())}], module), lr=1e-3))
    streams = MemberStreams([m.rng_state for m in members])  # a list of its own
    sizes = np.array([len(m.rows) for m in members])
    visits = np.array([len(m.rows) if m.epoch_rows is None else m.epoch_rows
                       for m in members])
    batch = min(batch_size, int(visits.max())) if batch_size != -1 else int(visits.max())
    rows = [torch.as_tensor(m.rows, dtype=torch.long, device=device) for m in members]
    row_weights = [None if m.sample_weight is None else
                   torch.as_tensor(m.sample_weight, dtype=torch.float32, device=device)
                   for m in members]
    n_steps = int(max(-(-n // batch) for n in visits))
    selecting = [j for j, m in enumerate(members) if m.valid_rows is not None]
    if selecting:  # a member without validation rows gets a masked-out row
        valid_index, valid_mask = _padded(
            [m.valid_rows if m.valid_rows is not None else [0] for m in members], device)
        for j, m in enumerate(members):
            if m.valid_rows is None:
                valid_mask[j] = 0.0
    train_losses = np.zeros((max_epochs, k))
    valid_losses = np.full((max_epochs, k), np.nan)
    best = np.full(k, np.inf)
    best_epochs = np.full(k, max_epochs, dtype=int)
    kept = None
    # 1 where member j visits a row in an epoch's column, 0 in the padding
    visited = (torch.arange(int(visits.max()), device=device)
               < torch.as_tensor(visits, device=device)[:, None]).float()
    module.train()
    for epoch in range(max_epochs):
        width = int(visits.max())  # the last step is as wide as the longest remainder
        orders = streams.each(lambda j: _shuffled(int(sizes[j]))[:int(visits[j])])
        index = torch.zeros(k, width, dtype=torch.long, device=device)
        weight = visited.clone()
        for j, order in enumerate(orders):
            order = order.to(device)
            index[j, :len(order)] = rows[j][order]
            if row_weights[j] is not None:
                weight[j, :len(order)] = row_weights[j][order]
        epoch_loss = torch.zeros(k, device=device)
        for step in range(n_steps):
            cols = slice(step * batch, (step + 1) * batch)
            idx, w = index[:, cols], weight[:, cols]
            opt.zero_grad(set_to_none=True)
            per_member = criterion.member_losses(module.member_logits(X[idx]), codes[idx], w)
            per_member.sum().backward()
            opt.step()
            epoch_loss += per_member.detach() * (w > 0).sum(dim=1)
        train_losses[epoch] = (epoch_loss / torch.as_tensor(visits, device=device)).cpu().numpy()
        if selecting:
            kept = _keep_best(module, criterion, X, codes, valid_index, valid_mask, selecting,
                              epoch, best, best_epochs, valid_losses, kept)
    if kept is not None:  # each selecting member ends at its best epoch
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(kept[name])
    return TrainedMembers(module, train_losses, valid_losses, best_epochs)


def _stack_of(members, link):
    """One stack of the members' initial networks, in order (a stack they share is read
    once, not split into stacks of one)."""
    return StackedMLP.gather([
        (m.module, m.member) if isinstance(m.module, StackedMLP)
        else (StackedMLP.from_members([m.module], link=link), 0) for m in members])


def _keep_best(module, criterion, X, codes, valid_index, valid_mask, selecting, epoch, best,
               best_epochs, valid_losses, kept):
    """Score the members on their validation rows; keep the weights of those improved."""
    losses = _validation_losses(module, criterion, X, codes, valid_index,
                                valid_mask).cpu().numpy()
    valid_losses[epoch, selecting] = losses[selecting]
    if kept is None:
        kept = {name: p.detach().clone() for name, p in module.named_parameters()}
    improved = [j for j in selecting if losses[j] < best[j]]
    for j in improved:
        best[j], best_epochs[j] = losses[j], epoch + 1
    if improved:
        rows = torch.as_tensor(improved, dtype=torch.long, device=valid_index.device)
        for name, p in module.named_parameters():
            kept[name][rows] = p.detach()[rows]
    return kept


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
