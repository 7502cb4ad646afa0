"""BBN: a bilateral-branch network with cumulative learning (Zhou et al., CVPR 2020).

Two branches share the first layers of the network. The *conventional* branch sees a
batch drawn uniformly (instance-balanced); the *re-balancing* branch sees a batch drawn
with class probability ∝ ``1 / n_c`` (reversed sampling). Their features are mixed,
``z = W [α f_c, (1 - α) f_r]``, and the loss is ``α CE(z, y_c) + (1 - α) CE(z, y_r)``
with ``α = 1 - (T / T_max)**2`` falling from 1 to 0 over training (cumulative learning:
representation first, re-balancing later). Prediction feeds both branches the same rows
with ``α = 0.5``.

This needs a network built for it, so it works with the built-in MLP only
(``module=None``): :class:`BilateralMLP` duplicates the MLP's last hidden layer.
"""

import torch
import torch.nn.functional as F
from skorch.callbacks import Callback
from torch import nn

from ..data import TabularDataset, dataset_rows, dataset_sample_weight, weighted_draw
from ..modules import MLP
from .base import RebalanceStrategy
from .sampling import class_power_sample_weights

__all__ = [
    "BilateralBranchNetwork",
    "BilateralLoss",
    "BilateralMLP",
    "cumulative_alpha",
]


def cumulative_alpha(epoch, max_epochs):
    r""":math:`\alpha = 1 - (t / T)^2`, the conventional branch's weight at epoch t of T.

    Parameters
    ----------
    epoch : int
        The current epoch t, from 1 to ``max_epochs`` (T).
    max_epochs : int

    Examples
    --------
    >>> [cumulative_alpha(t, 4) for t in (1, 2, 4)]
    [0.9375, 0.75, 0.0]
    """
    return 1.0 - (min(epoch, max_epochs) / max_epochs) ** 2


class BilateralMLP(nn.Module):
    """The built-in MLP with two copies of its last hidden layer (BBN's two branches).

    In training mode, ``forward`` takes the conventional and the re-balancing batch
    stacked (first and second half of the rows) and returns the mixed logits of shape
    ``(N / 2, n_outputs)``; in evaluation mode it feeds the same rows to both branches
    with ``α = 0.5``. ``alpha`` is set each epoch by the training callback.

    Parameters
    ----------
    n_features, n_outputs, hidden_units, dropout, activation, batch_norm
        As :class:`imbsk.modules.MLP`; ``hidden_units`` needs at least one layer.
    linear_shortcut : False
        BBN's network has no linear shortcut (True raises a ValueError).

    Examples
    --------
    >>> net = BilateralMLP(n_features=3, n_outputs=2, hidden_units=(8, 8)).eval()
    >>> tuple(net(torch.zeros(5, 3)).shape)
    (5, 2)
    """

    def __init__(self, n_features, n_outputs, hidden_units=(64, 64), dropout=0.1,
                 activation=nn.ReLU, batch_norm=False, linear_shortcut=False):
        super().__init__()
        if linear_shortcut:
            raise ValueError("rebalance='bbn' builds its own two-branch network, which has "
                             "no linear shortcut; drop module__linear_shortcut=True.")
        hidden_units = tuple(hidden_units)
        if not hidden_units:
            raise ValueError(
                "BBN needs at least one hidden layer to form its two branches; pass "
                "module__hidden_units with one or more widths."
            )
        options = {"dropout": dropout, "activation": activation, "batch_norm": batch_norm,
                   "linear_shortcut": False}
        shared = MLP(n_features, 1, hidden_units=hidden_units[:-1], **options)
        width = shared.output.in_features
        self.shared = shared.hidden
        self.conventional = MLP(width, 1, hidden_units=hidden_units[-1:], **options).hidden
        self.rebalancing = MLP(width, 1, hidden_units=hidden_units[-1:], **options).hidden
        self.output = nn.Linear(2 * hidden_units[-1], n_outputs)
        self.alpha = 0.5

    def forward(self, X):
        if self.training:
            X_conventional, X_rebalancing = X.chunk(2)
            alpha = self.alpha
        else:
            X_conventional = X_rebalancing = X
            alpha = 0.5
        features = torch.cat([alpha * self.conventional(self.shared(X_conventional)),
                              (1.0 - alpha) * self.rebalancing(self.shared(X_rebalancing))],
                             dim=-1)
        logits = self.output(features)
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits


class BilateralLoss(nn.Module):
    """``α CE(z, y_c) + (1 - α) CE(z, y_r)`` in training; plain cross-entropy otherwise.

    The training target holds ``y_c`` and ``y_r`` stacked, as the training batches of
    :class:`BilateralBranchNetwork` do. ``alpha`` is set each epoch by the callback.

    Parameters
    ----------
    binary : bool, default=False
        Binary cross-entropy on one logit instead of softmax cross-entropy.

    Examples
    --------
    >>> loss = BilateralLoss().train()
    >>> loss.alpha = 1.0
    >>> logits = torch.tensor([[2.0, 0.0]])
    >>> bool(loss(logits, torch.tensor([0, 1])) == F.cross_entropy(logits, torch.tensor([0])))
    True
    """

    def __init__(self, binary=False):
        super().__init__()
        self.binary = binary
        self.alpha = 0.5

    def _base(self, logits, target, sample_weight):
        if self.binary:
            return F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype),
                                                      weight=sample_weight)
        if sample_weight is None:
            return F.cross_entropy(logits, target.long())
        losses = F.cross_entropy(logits, target.long(), reduction="none")
        return torch.dot(losses, sample_weight.to(losses.dtype)) / len(losses)

    def forward(self, logits, target, sample_weight=None):
        if not self.training or len(target) == len(logits):
            return self._base(logits, target, sample_weight)
        y_conventional, y_rebalancing = target.chunk(2)
        w_conventional = w_rebalancing = None
        if sample_weight is not None:
            w_conventional, w_rebalancing = sample_weight.chunk(2)
        return (self.alpha * self._base(logits, y_conventional, w_conventional)
                + (1.0 - self.alpha) * self._base(logits, y_rebalancing, w_rebalancing))


class _PairedBatches(TabularDataset):
    """Training rows whose batches stack a uniform batch and a reversed-sampling batch.

    The uniform rows come from the training iterator (its shuffling); the re-balancing
    rows are drawn with replacement, class probability ∝ ``1 / n_c``, from the global torch
    generator (seeded by the estimator's ``random_state``).
    """

    def __init__(self, X, y, sample_weight=None):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        weights = class_power_sample_weights(y.cpu().numpy(), -1.0)
        self.reversed_weights = torch.as_tensor(weights, device=X.device)

    def _take(self, index):
        reversed_index = weighted_draw(self.reversed_weights, len(index))
        return super()._take(torch.cat([index, reversed_index]))


class _CumulativeLearning(Callback):
    """Sets ``α = 1 - (T / T_max)**2`` on the module and the loss before each epoch."""

    def on_train_begin(self, net, **kwargs):
        self.epoch_ = 0

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_ += 1
        alpha = cumulative_alpha(self.epoch_, net.max_epochs)
        net.module_.alpha = alpha
        net.criterion_.alpha = alpha
        net.history.record("bbn_alpha", alpha)


class BilateralBranchNetwork(RebalanceStrategy):
    """BBN with cumulative learning (``rebalance="bbn"``); built-in MLP only.

    Builds a :class:`BilateralMLP` instead of the MLP (``module__*`` parameters apply),
    trains it on stacked uniform / reversed-sampling batches with :class:`BilateralLoss`,
    and moves ``α`` from 1 to 0 over ``max_epochs`` (history column ``bbn_alpha``). Each
    training batch holds ``batch_size`` rows of each kind, so an epoch back-propagates
    twice as many rows as without BBN.

    Notes
    -----
    Raises ``ValueError`` with a ``module`` of your own. ``sample_weight`` multiplies each
    row's loss in both branches.

    Examples
    --------
    >>> BilateralBranchNetwork().make_module(
    ...     dict(n_features=4, n_outputs=3, hidden_units=(8,)), head="multiclass").output
    Linear(in_features=16, out_features=3, bias=True)
    """

    stackable = False  # acts on the output layer / builds its own network

    linear_shortcut = False  # builds its own network

    def check_net(self, net):
        if net.module is not None:
            raise ValueError(
                "rebalance='bbn' builds its own two-branch network from the built-in MLP; "
                "pass module=None (tune it with module__hidden_units, module__dropout, ...)."
            )

    def make_module(self, params, head):
        return BilateralMLP(**params)

    def make_criterion(self, class_counts, head):
        return BilateralLoss(binary=head == "binary")

    def make_train_dataset(self, dataset_train, device):
        X, y, _, _ = dataset_rows(dataset_train)
        return _PairedBatches(X, y, dataset_sample_weight(dataset_train))

    def make_callbacks(self):
        return [("bbn", _CumulativeLearning())]

