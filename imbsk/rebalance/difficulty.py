"""Instance-difficulty re-sampling (Yu et al., CVPR 2022).

After every epoch the network predicts every training row (eval mode, no gradient,
large batches). The change between two successive predictions is split into an
"unlearning" part ``du`` (true-class probability falls, other classes rise) and a
"learning" part ``dl``; ``du + dl`` is the population stability index between the two
predictions. Difficulty and sampling weight of row ``i`` after epoch ``t``::

    D_i = (c + sum_s du_i,s) / (c + sum_s dl_i,s),      w_i = D_i / sum_j D_j

The formulas are the pure functions :func:`difficulty_increments` and
:func:`difficulty_weights`; :class:`DifficultyTracker` is the small skorch callback that
calls them and writes ``w`` into the training sampler in place (skorch builds the
training iterator once per ``fit``; the sampler is asked for new indices every epoch).
"""

import numbers

import numpy as np
import torch
from skorch.callbacks import Callback
from .._compat import Interval
from torch.utils.data import WeightedRandomSampler

from ..data import dataset_targets, iter_feature_batches
from .base import RebalanceStrategy

__all__ = [
    "DifficultySampling",
    "DifficultyTracker",
    "difficulty_increments",
    "difficulty_weights",
]


#: Rows per block when the epoch-end increments are computed.
_INCREMENT_BLOCK = 65_536


def difficulty_increments(prev_proba, proba, y, eps=1e-6):
    """Unlearning and learning increments ``du``, ``dl`` between two predictions.

    Parameters
    ----------
    prev_proba, proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities after epochs ``t - 1`` and ``t`` (use ``1 / C`` for
        ``t = 0``). Both are clipped to ``[eps, 1]`` before any logarithm.
    y : ndarray of shape (n_samples,)
        True class indices.
    eps : float, default=1e-6

    Returns
    -------
    du, dl : ndarray of shape (n_samples,)
        Both non-negative; ``du + dl`` is the PSI between the clipped predictions.

    Examples
    --------
    >>> du, dl = difficulty_increments(np.array([[0.5, 0.5]]), np.array([[0.8, 0.2]]),
    ...                                np.array([0]))
    >>> float(du[0]), round(float(dl[0]), 4)
    (0.0, 0.4159)
    """
    p0 = np.clip(np.asarray(prev_proba, dtype=np.float64), eps, 1.0)
    p1 = np.clip(np.asarray(proba, dtype=np.float64), eps, 1.0)
    delta = p1 - p0
    term = delta * (np.log(p1) - np.log(p0))
    is_true = np.zeros(p1.shape, dtype=bool)
    is_true[np.arange(len(p1)), np.asarray(y)] = True
    unlearning = np.where(is_true, delta < 0, delta > 0)
    return (term * unlearning).sum(axis=1), (term * ~unlearning).sum(axis=1)


def difficulty_weights(du_sum, dl_sum, c):
    r"""Difficulty :math:`D = (c + \sum du) / (c + \sum dl)`, weights :math:`w = D / \sum D`.

    Parameters
    ----------
    du_sum, dl_sum : ndarray of shape (n_samples,)
        Increments accumulated over the epochs so far.
    c : float > 0
        Prior shared by all instances; larger ``c`` keeps weights closer to uniform.

    Returns
    -------
    difficulty, weights : ndarray of shape (n_samples,)

    Examples
    --------
    >>> d, w = difficulty_weights(np.array([0.0, 1.0]), np.array([1.0, 0.0]), c=1.0)
    >>> d.tolist(), w.tolist()
    ([0.5, 2.0], [0.2, 0.8])
    """
    difficulty = (c + np.asarray(du_sum)) / (c + np.asarray(dl_sum))
    return difficulty, difficulty / difficulty.sum()


@torch.no_grad()
def _predict_rows(net, dataset, batch_size):
    """Probabilities of every training row: eval mode, no gradient, large batches."""
    nonlinearity = net._get_predict_nonlinearity()
    was_training = net.module_.training
    net.module_.eval()
    proba = None
    start = 0
    try:
        for X in iter_feature_batches(dataset, batch_size):
            batch = nonlinearity(net.infer(X)).float().cpu()
            if proba is None:
                # one output array, filled in place: per-batch outputs kept alive between
                # the batches' freed activations fragment the heap (measured: +500 MB RSS
                # for 1M rows with a list and torch.cat, +40 MB like this)
                proba = np.empty((len(dataset), batch.shape[1]), dtype=np.float32)
            proba[start:start + len(batch)] = batch.numpy()
            start += len(batch)
    finally:
        net.module_.train(was_training)
    return proba


class DifficultyTracker(Callback):
    """Epoch-end callback: update instance difficulty, re-weight the training sampler.

    Made by :class:`DifficultySampling`; see there for the parameters. After each epoch it
    sets ``net.difficulty_`` (one value per row passed to ``fit``, NaN for the rows of
    the internal validation split) and records ``difficulty_max``, ``difficulty_min``
    (largest/smallest weight times N) and ``difficulty_ess`` (effective sample size of the
    weights as a fraction of N) in ``net.history``.

    The accumulated state survives ``partial_fit`` and ``warm_start`` (it is reset by
    ``initialize``, i.e. by a cold ``fit``).

    Examples
    --------
    >>> DifficultyTracker(c=0.5).initialize().sampling_weights(4).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """

    def __init__(self, c=0.1, warmup=0, eps=1e-6, batch_size=8192):
        self.c = c
        self.warmup = warmup
        self.eps = eps
        self.batch_size = batch_size

    def initialize(self):
        self.prev_proba_ = None
        self.du_sum_ = None
        self.dl_sum_ = None
        self.epochs_ = 0
        return self

    def sampling_weights(self, n_rows):
        """Current weights if they are for ``n_rows`` rows and past warm-up, else uniform."""
        if self.du_sum_ is None or len(self.du_sum_) != n_rows or self.epochs_ < self.warmup:
            return np.full(n_rows, 1.0 / n_rows)
        return difficulty_weights(self.du_sum_, self.dl_sum_, self.c)[1]

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        y, rows, n_total = dataset_targets(dataset_train)
        proba = _predict_rows(net, dataset_train, self.batch_size)
        if self.prev_proba_ is None or len(self.prev_proba_) != len(proba):
            self.prev_proba_ = np.full_like(proba, 1.0 / proba.shape[1], dtype=np.float64)
            self.du_sum_ = np.zeros(len(proba))
            self.dl_sum_ = np.zeros(len(proba))
        y = y.cpu().numpy()
        # in blocks of rows: the increments' float64 temporaries stay small for large data
        for start in range(0, len(proba), _INCREMENT_BLOCK):
            block = slice(start, start + _INCREMENT_BLOCK)
            du, dl = difficulty_increments(self.prev_proba_[block], proba[block], y[block],
                                           self.eps)
            self.du_sum_[block] += du
            self.dl_sum_[block] += dl
        self.prev_proba_ = proba
        self.epochs_ += 1
        difficulty, weights = difficulty_weights(self.du_sum_, self.dl_sum_, self.c)
        if self.epochs_ >= self.warmup:
            net.train_sampler_.weights.copy_(torch.as_tensor(weights))
        per_row = np.full(n_total, np.nan)
        per_row[rows] = difficulty
        net.difficulty_ = per_row
        n = len(weights)
        net.history.record("difficulty_max", float(weights.max() * n))
        net.history.record("difficulty_min", float(weights.min() * n))
        net.history.record("difficulty_ess", float(1.0 / np.square(weights).sum() / n))


class DifficultySampling(RebalanceStrategy):
    """Re-sample training rows by instance difficulty (``rebalance="difficulty"``).

    Each epoch draws N rows with replacement, row ``i`` with probability ``w_i``
    (uniform in the first epoch and during warm-up); after the epoch the network
    predicts every training row and the weights are updated (Yu et al., CVPR 2022).

    Parameters
    ----------
    c : float > 0, default=0.1
        Prior of the difficulty ratio shared by all rows; smaller ``c`` makes the
        weights more extreme. 0.1 was the best of {0.01, 0.1, 1, 10} on the KEEL sets
        with imbalance ratio >= 8 and second (after 0.01, within noise) for the rare
        digit of the digits-parity toy (``benchmarks/difficulty_prior.py``).
    warmup : int >= 0, default=0
        Epochs drawn uniformly before difficulty weights are used (difficulty is still
        accumulated during warm-up).
    eps : float in (0, 0.5), default=1e-6
        Probabilities are clipped to ``[eps, 1]`` before any logarithm.
    batch_size : int >= 1, default=8192
        Rows per batch of the no-grad prediction pass at epoch end.

    Examples
    --------
    >>> strategy = DifficultySampling(c=0.5)
    >>> [name for name, _ in strategy.make_callbacks()]
    ['difficulty']
    """

    draws_rows = True  # its own sampler / rows: members cannot keep to folds
    stackable = False  # the weights come from the whole network's predictions
    unstackable_reason = ("its sampling weights come from the whole network's predictions, "
                          "so stacked members would not train as separate fits")

    _parameter_constraints = {
        "c": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "warmup": [Interval(numbers.Integral, 0, None, closed="left")],
        "eps": [Interval(numbers.Real, 0.0, 0.5, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, c=0.1, warmup=0, eps=1e-6, batch_size=8192):
        self.c = c
        self.warmup = warmup
        self.eps = eps
        self.batch_size = batch_size

    def make_callbacks(self):
        self.tracker_ = DifficultyTracker(self.c, self.warmup, self.eps, self.batch_size)
        return [("difficulty", self.tracker_)]

    def make_sampler(self, y_train):
        weights = self.tracker_.sampling_weights(len(y_train))
        return WeightedRandomSampler(
            torch.as_tensor(weights, dtype=torch.float64), num_samples=len(weights),
            replacement=True,
        )
