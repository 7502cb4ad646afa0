"""What one training call sets up once skorch has split the data.

skorch's loop calls ``get_split_datasets`` once per training call, before its first
epoch (and only there); the estimators' hook delegates to these functions:

* :func:`split_with_hints` — the internal split, with errors that name ``train_split``
  (and, in ``partial_fit``, no split for a chunk too small for it);
* :func:`encode_validation` — a validation ``Dataset`` given with raw labels
  (``predefined_split``) turned into class indices;
* :func:`prepare_training` — the training counts copied into the strategy's loss (the
  same loss object all fit long, so ``compile=True`` and ``save_params`` keep working),
  the class weights, the output bias of a fresh network and the training sampler.
"""

import contextlib
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from skorch.dataset import ValidSplit
from skorch.utils import data_from_dataset, to_device
from torch.utils.data import Subset

from sklearn.utils import check_random_state

from ._compat import uncompiled
from ._validation import encode_labels, validate_features
from .data import TabularDataset, dataset_targets, is_tabular
from .devices import seeded
from .engine import (MemberStreams, OutOfFoldDataset, cross_fit_folds, draw_member_rows,
                     fold_of_row, member_seeds)
from .modules import SCALING_ROWS, feature_scaling, output_layer

__all__ = ["auto_batch_size", "auto_epochs", "batch_size_for", "cross_fits",
           "encode_validation", "epochs_for", "fit_input_scaling", "initialize_output_bias",
           "loss_class_weights", "out_of_fold_validation", "prepare_training",
           "replace_training_rows", "resolved_budget", "restore_fitted_state",
           "split_with_hints"]


#: ``max_epochs="auto"``: at least this many optimizer steps, and at least
#: :data:`AUTO_MIN_EPOCHS` epochs (at most :data:`AUTO_MAX_EPOCHS`) -- unless a member
#: would then see more than :data:`AUTO_MAX_ROWS_SEEN` rows: a large table trains
#: that many rows' worth of epochs (at least :data:`AUTO_MIN_EPOCHS_LARGE`).
AUTO_MIN_STEPS = 150
AUTO_MIN_EPOCHS = 10
AUTO_MAX_EPOCHS = 1000
AUTO_MAX_ROWS_SEEN = 500_000
AUTO_MIN_EPOCHS_LARGE = 5

#: ``batch_size="auto"``: a power of two from the first to the second, the smallest that
#: keeps an epoch within :data:`AUTO_STEPS_PER_EPOCH` steps.
AUTO_BATCH_SIZES = (128, 1024)
AUTO_STEPS_PER_EPOCH = 128


def auto_batch_size(n_train):
    """Rows per training batch for ``batch_size="auto"``, for ``n_train`` training rows.

    128 up to 16,384 rows (every table of the KEEL benchmarks), then doubled while an
    epoch would be more than 128 steps, up to 1,024: a large table's step is then mostly
    arithmetic, not per-step overhead (chosen in ``benchmarks/budget_selection.py``).

    Examples
    --------
    >>> auto_batch_size(1_200), auto_batch_size(60_000), auto_batch_size(600_000)
    (128, 512, 1024)
    """
    batch, largest = AUTO_BATCH_SIZES
    while batch < largest and n_train > batch * AUTO_STEPS_PER_EPOCH:
        batch *= 2
    return batch


def _training_rows(n_rows, train_split):
    """Rows left for training once a ``ValidSplit`` holds out ``1/cv`` (or ``cv``)."""
    cv = getattr(train_split, "cv", None)
    held_out = 1.0 / cv if isinstance(cv, int) and cv > 1 else cv if isinstance(cv, float) \
        else 0.0
    return max(1, int(n_rows * (1.0 - held_out)))


def auto_epochs(n_rows, batch_size, train_split, min_steps=None, min_epochs=None):
    """Epochs for ``max_epochs="auto"``: enough for ``min_steps`` optimizer steps.

    A fixed number of epochs gives a 200-row table a few dozen steps and a 100,000-row
    table thousands; the budget in steps adapts the epochs to the data. A large table
    is capped by the rows a network sees (:data:`AUTO_MAX_ROWS_SEEN`, at least
    :data:`AUTO_MIN_EPOCHS_LARGE` epochs): more epochs there still gain a little balanced
    accuracy, at many times a tree ensemble's fit time (``benchmarks/RESULTS.md``, 12);
    ask for them with a number.

    Parameters
    ----------
    n_rows : int
        Rows passed to the training call.
    batch_size : int
        -1: one batch per epoch.
    train_split : callable or None
        A ``ValidSplit`` holds out ``1/cv`` (or ``cv``, a fraction) of the rows.
    min_steps : int or None, default=None
        None: :data:`AUTO_MIN_STEPS`.
    min_epochs : int or None, default=None
        None: :data:`AUTO_MIN_EPOCHS`.

    Examples
    --------
    >>> from skorch.dataset import ValidSplit
    >>> auto_epochs(1500, 128, ValidSplit(5)), auto_epochs(200, 128, ValidSplit(5))
    (15, 75)
    >>> auto_epochs(10_000, 128, None), auto_epochs(100_000, 512, None)
    (10, 5)
    """
    min_steps = AUTO_MIN_STEPS if min_steps is None else min_steps
    min_epochs = AUTO_MIN_EPOCHS if min_epochs is None else min_epochs
    n_train = _training_rows(n_rows, train_split)
    steps_per_epoch = 1 if batch_size == -1 else -(-n_train // batch_size)
    epochs = min(max(-(-min_steps // steps_per_epoch), min_epochs), AUTO_MAX_EPOCHS)
    return int(min(epochs, max(AUTO_MIN_EPOCHS_LARGE, -(-AUTO_MAX_ROWS_SEEN // n_train))))


@contextlib.contextmanager
def resolved_budget(net, n_rows):
    """``net.batch_size`` and ``net.max_epochs`` as numbers inside the block (``"auto"``
    resolved, into ``batch_size_`` and ``max_epochs_``), restored after.

    Strategies and callbacks read ``net.max_epochs`` during training (cRT's stage, BBN's
    schedule, DRW's epoch), skorch's loop reads ``net.batch_size``: they see what this
    call trains.
    """
    requested = net.max_epochs, net.batch_size
    net.batch_size = net.batch_size_ = batch_size_for(net, n_rows)
    net.max_epochs = net.max_epochs_ = epochs_for(net, n_rows)
    net._requested_budget = dict(zip(("max_epochs", "batch_size"), requested))
    try:
        yield
    finally:
        net.max_epochs, net.batch_size = requested
        del net._requested_budget


def _member_training_rows(net, n_rows):
    """The rows each network of ``net`` trains on, of ``n_rows`` passed to a training call."""
    if cross_fits(net):  # each member trains on all rows but its fold
        members = net._n_members()
        return n_rows * (members - 1) // members, None
    return n_rows, net.train_split


def batch_size_for(net, n_rows):
    """The batch size a training call of ``net`` on ``n_rows`` rows uses (``"auto"``
    resolved by :func:`auto_batch_size`)."""
    if net.batch_size != "auto":
        return net.batch_size
    return auto_batch_size(_training_rows(*_member_training_rows(net, n_rows)))


def epochs_for(net, n_rows):
    """The epochs a training call of ``net`` on ``n_rows`` rows trains (``"auto"`` resolved)."""
    if net.max_epochs != "auto":
        return net.max_epochs
    rows, split = _member_training_rows(net, n_rows)
    return auto_epochs(rows, batch_size_for(net, n_rows), split)


def cross_fits(net):
    """Whether the members cross-fit: each holds out one of K folds of the training rows.

    That is ``member_sampling="cross_fit"`` with K > 1 members and a k-fold
    ``train_split`` (a ``ValidSplit`` of an integer ``cv``: the default). A validation
    split of another kind (``ValidSplit(0.1)``, ``predefined_split``) is honoured as the
    validation data instead: the members then train on its training rows and keep
    their best epochs on its validation rows; ``train_split=None``: no validation.
    """
    cv = getattr(net.train_split, "cv", None)
    return (net._n_members() > 1 and net.member_sampling == "cross_fit"
            and isinstance(net.train_split, ValidSplit) and isinstance(cv, int)
            and not isinstance(cv, bool))


def fit_input_scaling(net, X):
    """Fit the network's input :class:`~imbsk.modules.FeatureScaling` on the rows of X.

    ``preprocess=None`` leaves it the identity; ``"auto"`` fits it when the network has one
    (the built-in MLP does; a module of your own is left alone). At most
    :data:`~imbsk.modules.SCALING_ROWS` rows (a random subset) are used.
    """
    layer = feature_scaling(net.module_) if net.preprocess is not None else None
    if layer is None:
        return
    n = X.shape[0]
    if n > SCALING_ROWS:
        rows = np.sort(check_random_state(net.random_state).choice(n, SCALING_ROWS,
                                                                   replace=False))
        X = X[rows]
    if not sp.issparse(X):  # a sparse X is read column by column, never densified
        X = X.numpy() if torch.is_tensor(X) else np.asarray(X)
    layer.fit(X)


def split_with_hints(net, dataset, y, streaming, **fit_params):
    """``net.train_split(dataset, y)``, or ``(dataset, None)`` without a split.

    Raises
    ------
    ValueError
        Naming ``train_split`` and the fixes, when the split fails in ``fit``. In
        ``partial_fit`` (``streaming``) the chunk trains on all its rows, with a warning.
    """
    if not net.train_split or cross_fits(net):
        return dataset, None  # cross-fitted members validate on their own folds
    try:
        with warnings.catch_warnings():
            # replaced by check_validation_coverage: what the validation rows really hold
            warnings.filterwarnings("ignore", message="The least populated class")
            dataset_train, dataset_valid = net.train_split(dataset, y, **fit_params)
        return keep_every_class_in_training(dataset_train, dataset_valid, y, net.classes_)
    except ValueError as exc:
        if not streaming:
            raise ValueError(
                f"The internal validation split (train_split={net.train_split!r}) failed "
                f"on {len(dataset)} rows: {exc} Pass more rows of each class, a split with "
                "fewer folds (e.g. train_split=ValidSplit(3, stratified=True)), or "
                "train_split=None (no internal validation)."
            ) from exc
        warnings.warn(
            f"This partial_fit chunk of {len(dataset)} rows is too small for the internal "
            f"validation split ({exc}); it trains on all its rows and records no validation "
            "scores.", UserWarning, stacklevel=5)
        return dataset, None


def keep_every_class_in_training(dataset_train, dataset_valid, y, classes):
    """Move the validation rows of a class with no training row into training (a warning).

    A class with fewer rows than the split has folds (one image of the rarest digit) may
    land entirely in the validation rows; training without it would never predict it.
    Only for splits of one dataset into two ``Subset`` s (skorch's ``ValidSplit``).
    """
    if not (isinstance(dataset_train, Subset) and isinstance(dataset_valid, Subset)
            and dataset_train.dataset is dataset_valid.dataset and y is not None):
        return dataset_train, dataset_valid
    y = np.asarray(y)
    train_rows = np.asarray(dataset_train.indices)
    valid_rows = np.asarray(dataset_valid.indices)
    missing = np.setdiff1d(np.unique(y[valid_rows]), np.unique(y[train_rows]))
    if not len(missing):
        return dataset_train, dataset_valid
    moved = np.isin(y[valid_rows], missing)
    warnings.warn(
        f"Class(es) {np.asarray(classes)[missing].tolist()} have too few rows for the internal "
        f"validation split ({int(moved.sum())} row(s) in all): they are kept for training "
        "and not validated.", UserWarning, stacklevel=6)
    return (Subset(dataset_train.dataset, np.concatenate([train_rows, valid_rows[moved]])),
            Subset(dataset_valid.dataset, valid_rows[~moved]))


def encode_validation(net, dataset):
    """A validation Dataset given with raw labels (e.g. ``predefined_split``), encoded."""
    if dataset is None or is_tabular(dataset):
        return dataset
    X, y = data_from_dataset(dataset)
    return TabularDataset(validate_features(net, X),
                          encode_labels(y, net.classes_, "the classes of the fit"),
                          device=net.device)


def replace_training_rows(net, dataset_train):
    """The rows to train on: the strategy's replacement (SMOTE, BBN's pairs) or the split's.

    A strategy that replaces the rows cannot be composed with one that draws them.
    """
    replacement = net.rebalance_.make_train_dataset(dataset_train, net.device)
    if replacement is None:
        return dataset_train
    if net.rebalance_.make_sampler(dataset_targets(replacement)[0].cpu().numpy()):
        raise ValueError(
            f"rebalance={net.rebalance!r}: a strategy that replaces the training rows (an "
            "imbalanced-learn sampler, 'bbn') cannot be combined with a sampling strategy "
            "(difficulty, class-balanced sampling); combine it with a loss strategy "
            "instead, e.g. [SMOTE(), 'focal']."
        )
    return replacement


def prepare_training(net, dataset_train, previous_counts=None):
    """Training counts -> criterion buffers, class weights, output bias, sampler.

    Parameters
    ----------
    net : the estimator, initialised
    dataset_train : the rows it is about to train on
    previous_counts : ndarray or None
        In ``partial_fit``, the counts of the earlier chunks: they accumulate, and a class
        not seen yet weighs as one row (no row of it is in this chunk's loss anyway).
    """
    y_train = dataset_targets(dataset_train)[0].cpu().numpy()
    counts = np.bincount(y_train, minlength=len(net.classes_))
    if previous_counts is not None:
        counts = counts + previous_counts
    elif np.any(counts == 0):
        raise ValueError(
            f"Class(es) {net.classes_[counts == 0].tolist()} have no sample in the training "
            "split left after the internal validation split (train_split). Provide more "
            "samples of these classes, or pass train_split=None (no internal validation)."
        )
    net.class_counts_ = counts
    criterion = uncompiled(net.criterion_)
    if net.criterion is None and hasattr(criterion, "class_counts"):  # imbsk's own loss
        fresh = net._strategy_criterion(np.maximum(counts, 1))
        criterion.load_state_dict(to_device(fresh, net.device).state_dict())
    net.class_weight_ = loss_class_weights(criterion, len(counts))
    net.train_sampler_ = net.rebalance_.make_sampler(y_train)
    if len(net.history) == 0:  # a fresh network: the strategy's prior bias
        initialize_output_bias(net.module_,
                               net.rebalance_.output_bias(np.maximum(counts, 1), net._head))
    if net._n_members() > 1:
        prepare_members(net, y_train)


def prepare_members(net, y_train):
    """``n_members > 1``: each member's training rows, drawn from its own stream."""
    if net.train_sampler_ is not None and net.member_sampling != "shuffle":
        raise ValueError(
            f"member_sampling={net.member_sampling!r} draws each member's rows, and "
            f"rebalance={net.rebalance!r} draws them too (a sampler). Use "
            "member_sampling='shuffle' with a sampling strategy, or a loss strategy "
            "(e.g. 'inverse') with the bootstraps."
        )
    if not hasattr(net, "member_rng_states_"):  # after load_params: fresh streams
        net.member_rng_states_ = []
        for seed in member_seeds(net.random_state, net._n_members()):
            with seeded(int(seed)):
                net.member_rng_states_.append(torch.get_rng_state())
    streams = MemberStreams(net.member_rng_states_)
    if cross_fits(net):
        net.member_valid_rows_ = cross_fit_folds(y_train, streams)
        net.member_rows_ = [np.setdiff1d(np.arange(len(y_train)), fold)
                            for fold in net.member_valid_rows_]
    elif net.member_sampling == "cross_fit":  # a split of the user's: every training row
        net.member_rows_ = draw_member_rows(y_train, "shuffle", streams)
    else:
        net.member_rows_ = draw_member_rows(y_train, net.member_sampling, streams)


def initialize_output_bias(module, bias):
    """Copy ``bias`` into the output layer's bias (a warning if it has none of that size).

    Examples
    --------
    >>> layer = torch.nn.Linear(3, 2)
    >>> initialize_output_bias(layer, [0.5, -0.5])
    >>> layer.bias.tolist()
    [0.5, -0.5]
    """
    if bias is None:
        return
    if hasattr(module, "set_output_bias"):  # K stacked members
        module.set_output_bias(bias)
        return
    layer = output_layer(module)
    if layer.bias is None or layer.out_features != len(bias):
        warnings.warn(
            "The re-balancing strategy asks for a prior bias in the output layer, but the "
            f"module has no nn.Linear output layer with a bias of size {len(bias)}; the "
            "bias is left as it is.", UserWarning)
        return
    with torch.no_grad():
        layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))


def loss_class_weights(criterion, n_classes):
    """The class weights of a loss (its ``class_weight`` buffer; ones without one), as the
    fitted attribute ``class_weight_`` holds them."""
    weight = getattr(criterion, "class_weight", None)
    return (np.ones(n_classes) if weight is None
            else weight.detach().cpu().numpy().astype(np.float64))


def restore_fitted_state(net):
    """After ``load_params``: class counts and weights from the loss, the input width.

    imbsk's loss carries the training counts as a buffer (``class_counts``), so
    ``save_params``/``load_params`` and ``Checkpoint``/``LoadInitState`` restore what
    ``posthoc_tau`` and ``threshold="prior"`` need.
    """
    criterion = uncompiled(net.criterion_)
    counts = getattr(criterion, "class_counts", None)
    if net.criterion is None and counts is not None:
        net.class_counts_ = counts.cpu().numpy().astype(np.int64)
        net.class_weight_ = loss_class_weights(criterion, len(counts))
    module_params = net.get_params_for("module")
    if not hasattr(net, "n_features_in_") and "n_features" in module_params:
        net.n_features_in_ = module_params["n_features"]


def out_of_fold_validation(net, dataset_train):
    """Cross-fitted members: the training rows as validation data, each row predicted by
    the member that held it out (None when the members do not cross-fit)."""
    if not hasattr(net, "member_valid_rows_") or not cross_fits(net):
        return None
    return OutOfFoldDataset(dataset_train, fold_of_row(net.member_valid_rows_,
                                                       len(dataset_train)))
