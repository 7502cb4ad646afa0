"""Self-supervised pre-training of the built-in MLP's feature layers on X alone.

Yang & Xu (NeurIPS 2020) find that self-supervised pre-training, on the features only,
helps every re-balancing method trained on top. Two tabular pretext tasks:

``"masked"``
    masked-feature reconstruction: a random ``rate`` of each row's features is set to 0
    (the mean, after standardisation) and a linear decoder on the hidden representation
    reconstructs every feature (mean squared error);
``"scarf"``
    SCARF (Bahri et al., ICLR 2022): each row is corrupted by replacing a random ``rate``
    of its features with the same features of random other rows (the empirical marginal,
    drawn from the batch), and the encoder plus a projection head is trained to match a
    row with its corruption against the rest of the batch (InfoNCE, temperature 1).

Training runs through a plain skorch ``NeuralNet`` (its loop, history and callbacks) on
``module_.hidden``; the supervised training that follows starts from these weights.
"""

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from torch import nn

from ._training import batch_size_for
from .data import BatchIterator, TabularDataset
from .modules import output_layer

__all__ = [
    "PRETRAIN_METHODS",
    "ContrastivePretext",
    "MaskedReconstructionPretext",
    "info_nce",
    "mask_features",
    "pretrain_features",
    "pretraining_stage",
    "scarf_corrupt",
]

PRETRAIN_METHODS = ("masked", "scarf")


def mask_features(X, rate):
    """Set a random ``rate`` of the entries of ``X`` to zero.

    Returns
    -------
    masked : Tensor like X
    mask : BoolTensor like X
        True where an entry was masked.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> masked, mask = mask_features(torch.ones(1000, 10), 0.3)
    >>> round(mask.float().mean().item(), 2), bool(masked[mask].eq(0).all())
    (0.3, True)
    """
    mask = torch.rand(X.shape, device=X.device) < rate
    return X.masked_fill(mask, 0.0), mask


def scarf_corrupt(X, rate):
    """Replace a random ``rate`` of each row's features by the same features of random rows.

    Every replacement value comes from the same column (the empirical marginal of the
    batch), so a corrupted row stays plausible feature by feature.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> X = torch.arange(12.0).reshape(4, 3)
    >>> corrupted = scarf_corrupt(X, 0.5)
    >>> all(set(corrupted[:, j].tolist()) <= set(X[:, j].tolist()) for j in range(3))
    True
    """
    mask = torch.rand(X.shape, device=X.device) < rate
    donors = torch.randint(0, len(X), X.shape, device=X.device)
    return torch.where(mask, X.gather(0, donors), X)


def info_nce(anchor, positive, temperature=1.0):
    """InfoNCE: row i of ``anchor`` must match row i of ``positive`` among all rows.

    Cosine similarities divided by ``temperature``, then cross-entropy with the diagonal
    as the target.

    Examples
    --------
    >>> z = torch.eye(3)
    >>> round(info_nce(z, z).item(), 4)  # -log(e / (e + 2))
    0.5514
    """
    anchor = F.normalize(anchor, dim=-1)
    positive = F.normalize(positive, dim=-1)
    logits = anchor @ positive.T / temperature
    return F.cross_entropy(logits, torch.arange(len(anchor), device=anchor.device))


class MaskedReconstructionPretext(nn.Module):
    """Encoder plus a linear decoder; ``forward`` returns (reconstruction, original X).

    Examples
    --------
    >>> pretext = MaskedReconstructionPretext(nn.Linear(4, 8), width=8, n_features=4)
    >>> tuple(pretext(torch.zeros(2, 4))[0].shape)
    (2, 4)
    """

    def __init__(self, encoder, width, n_features, rate=0.3):
        super().__init__()
        self.encoder = encoder
        self.decoder = nn.Linear(width, n_features)
        self.rate = rate

    def forward(self, X):
        corrupted = mask_features(X, self.rate)[0] if self.training else X
        return self.decoder(self.encoder(corrupted)), X


class ContrastivePretext(nn.Module):
    """Encoder plus a projection head; ``forward`` returns (anchor, positive) projections.

    Examples
    --------
    >>> pretext = ContrastivePretext(nn.Linear(4, 8), width=8)
    >>> [tuple(z.shape) for z in pretext(torch.zeros(2, 4))]
    [(2, 8), (2, 8)]
    """

    def __init__(self, encoder, width, rate=0.6):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
        self.rate = rate

    def forward(self, X):
        corrupted = scarf_corrupt(X, self.rate) if self.training else X
        return self.head(self.encoder(X)), self.head(self.encoder(corrupted))


class _PretextLoss(nn.Module):
    def __init__(self, method):
        super().__init__()
        self.method = method

    def forward(self, y_pred, y_true=None):
        first, second = y_pred
        if self.method == "masked":
            return F.mse_loss(first, second)
        return info_nce(first, second)


def pretrain_features(encoder, width, X, method, *, epochs, batch_size=128, lr=1e-3,
                      optimizer=torch.optim.Adam, device="cpu", verbose=0):
    """Train ``encoder`` (in place) on a pretext task over the rows of ``X``.

    Parameters
    ----------
    encoder : nn.Module
        Maps X to a representation of size ``width`` (the built-in MLP's ``hidden``).
    width : int
    X : ndarray or Tensor of shape (n_samples, n_features), float32
        Labeled and unlabeled rows alike.
    method : {"masked", "scarf"}
    epochs, batch_size, lr, optimizer, device, verbose
        As for the estimators.

    Returns
    -------
    history : skorch History
        ``train_loss`` per epoch.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    >>> history = pretrain_features(encoder, 8, torch.randn(64, 4), "scarf", epochs=2)
    >>> len(history)
    2
    """
    if method not in PRETRAIN_METHODS:
        raise ValueError(f"pretrain must be one of {PRETRAIN_METHODS} or None, got {method!r}.")
    if method == "masked":
        pretext = MaskedReconstructionPretext(encoder, width, X.shape[1])
    else:
        pretext = ContrastivePretext(encoder, width)
    net = NeuralNet(
        pretext, criterion=_PretextLoss, criterion__method=method, optimizer=optimizer,
        lr=lr, max_epochs=epochs, batch_size=batch_size, train_split=None,
        iterator_train=BatchIterator, iterator_train__shuffle=True,
        iterator_train__drop_last=method == "scarf" and len(X) > batch_size,
        device=device, verbose=verbose,
    )
    net.fit(TabularDataset(X, device=device), None)
    return net.history


def pretraining_stage(net, X):
    """The estimators' pre-training stage: ``net.module_.hidden`` trained on X's rows.

    Parameters
    ----------
    net : an initialised imbsk estimator with ``pretrain`` set
        Its built-in MLP's feature layers (``hidden``) are trained in place, with the
        estimator's ``batch_size``, ``lr``, ``optimizer``, ``device`` and ``verbose``.
    X : ndarray or sparse matrix, float32
        Every row passed to ``fit``, labeled or not.

    Returns
    -------
    history : skorch History

    Raises
    ------
    KeyboardInterrupt
        When pre-training was interrupted (skorch's loop stops quietly on Ctrl-C; the
        supervised training must not then run in full).

    Examples
    --------
    >>> import numpy as np
    >>> from imbsk import ImbalancedNetClassifier
    >>> net = ImbalancedNetClassifier(pretrain="masked", pretrain_epochs=2,
    ...                               module__n_features=3, classes=[0, 1]).initialize()
    >>> len(pretraining_stage(net, np.zeros((20, 3), dtype=np.float32)))
    2
    """
    encoder = getattr(net.module_, "hidden", None)
    if encoder is None:
        raise ValueError(
            f"pretrain={net.pretrain!r} needs a network with feature layers `hidden`, as "
            f"the built-in MLP; {type(net.module_).__name__} (e.g. from rebalance='bbn') "
            "has none. Use pretrain=None with this strategy."
        )
    history = pretrain_features(
        encoder, output_layer(net.module_).in_features, X, net.pretrain,
        epochs=net.pretrain_epochs,
        batch_size=batch_size_for(net, X.shape[0]),
        lr=net.lr,
        optimizer=net.optimizer, device=net.device, verbose=net.verbose)
    if len(history) < net.pretrain_epochs:
        raise KeyboardInterrupt(
            f"pre-training was interrupted after {len(history)} of {net.pretrain_epochs} "
            "epochs; the fit stops there.")
    return history
