"""Unlabeled rows: pseudo-label selection, validation on labeled rows, scoring.

With ``unlabeled=<sentinel>`` an estimator's ``fit`` treats rows whose label equals the
sentinel as unlabeled (scikit-learn's ``SelfTrainingClassifier`` uses -1). It trains on
the labeled rows, pseudo-labels the unlabeled ones it is confident about
(:func:`select_pseudo_labels`, with per-class caps so that the majority does not swamp
the pseudo-labels), then continues training on labeled ∪ pseudo-labeled rows with the
same re-balancing strategy (Yang & Xu, NeurIPS 2020, "Rethinking the value of labels").
The internal validation split only ever holds labeled rows (:class:`LabeledValidation`).
"""

import numbers
import warnings

import numpy as np
import pandas as pd
from skorch.callbacks import EarlyStopping
from sklearn.metrics import get_scorer
from ._compat import safe_indexing
from torch.utils.data import Subset

from .data import dataset_targets

__all__ = [
    "LabeledValidation",
    "labeled_mask",
    "labeled_scorer",
    "pseudo_label_caps",
    "pseudo_label_stage",
    "select_pseudo_labels",
    "stopped_by_interrupt",
]


def labeled_mask(y, unlabeled):
    """Boolean mask of the rows of ``y`` whose label is not the ``unlabeled`` sentinel.

    ``unlabeled=None`` means every row is labeled (so -1 can be an ordinary class, as in
    ``{-1, 1}`` binary labels).

    Examples
    --------
    >>> labeled_mask(np.array([0, -1, 1]), -1).tolist()
    [True, False, True]
    >>> labeled_mask(np.array(["a", "?", "b"]), "?").tolist()
    [True, False, True]
    """
    if unlabeled is None:
        return np.ones(len(y), dtype=bool)
    return ~pd.Series(np.asarray(y, dtype=object)).eq(unlabeled).to_numpy(dtype=bool)


def pseudo_label_caps(labeled_counts, n_unlabeled, cap):
    """The most pseudo-labels each class may receive.

    Parameters
    ----------
    labeled_counts : array-like of shape (n_classes,)
        Labeled rows of each class.
    n_unlabeled : int
    cap : "proportional", "balanced", int >= 0 or None
        ``"proportional"``: the unlabeled pool shared by the labeled class prior, so no
        class gets a larger share of pseudo-labels than of labels; ``"balanced"``: an
        equal share ``n_unlabeled / n_classes`` each; an int: at most that many per class;
        None: no cap.

    Returns
    -------
    caps : ndarray of int, shape (n_classes,)

    Examples
    --------
    >>> pseudo_label_caps([90, 10], 50, "proportional").tolist()
    [45, 5]
    >>> pseudo_label_caps([90, 10], 50, "balanced").tolist()
    [25, 25]
    """
    counts = np.asarray(labeled_counts, dtype=np.float64)
    if cap is None:
        return np.full(len(counts), n_unlabeled, dtype=np.int64)
    if cap == "proportional":
        return np.ceil(n_unlabeled * counts / counts.sum()).astype(np.int64)
    if cap == "balanced":
        return np.full(len(counts), int(np.ceil(n_unlabeled / len(counts))), dtype=np.int64)
    if isinstance(cap, numbers.Integral) and cap >= 0:
        return np.full(len(counts), int(cap), dtype=np.int64)
    raise ValueError(
        f"pseudo_cap must be 'proportional', 'balanced', a non-negative int or None, got "
        f"{cap!r}."
    )


def select_pseudo_labels(proba, threshold, caps):
    """Rows to pseudo-label, and their class: confident ones, most confident first per class.

    Parameters
    ----------
    proba : ndarray of shape (n_unlabeled, n_classes)
        Predicted class probabilities of the unlabeled rows.
    threshold : float in [0, 1]
        A row is a candidate when its largest probability is at least this.
    caps : array-like of int, shape (n_classes,)
        The most rows each class may receive (:func:`pseudo_label_caps`).

    Returns
    -------
    rows : ndarray of int
        Indices into ``proba``, sorted.
    codes : ndarray of int
        The pseudo-label (class index) of each selected row.

    Examples
    --------
    >>> proba = np.array([[0.95, 0.05], [0.99, 0.01], [0.2, 0.8], [0.05, 0.95]])
    >>> rows, codes = select_pseudo_labels(proba, 0.9, caps=[1, 5])
    >>> rows.tolist(), codes.tolist()
    ([1, 3], [0, 1])
    """
    proba = np.asarray(proba)
    confidence = proba.max(axis=1)
    predicted = proba.argmax(axis=1)
    chosen = []
    for code, cap in enumerate(caps):
        candidates = np.flatnonzero((predicted == code) & (confidence >= threshold))
        order = candidates[np.argsort(-confidence[candidates], kind="stable")]
        chosen.append(order[:cap])
    rows = np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=np.int64)
    return rows.astype(np.int64), predicted[rows]


class LabeledValidation:
    """A ``train_split`` that splits the first ``n_labeled`` rows only; later rows train.

    Used for the pseudo-labeled stage: the dataset is the labeled rows followed by the
    pseudo-labeled ones; ``split`` (skorch's ``ValidSplit`` by default) splits the labeled
    rows exactly as in the first stage, and every pseudo-labeled row joins the training
    side, so validation scores never rest on a pseudo-label.

    Parameters
    ----------
    split : callable or None
        The estimator's ``train_split``; None trains on every row.
    n_labeled : int

    Examples
    --------
    >>> from skorch.dataset import ValidSplit
    >>> from imbsk.data import TabularDataset
    >>> data = TabularDataset(np.zeros((12, 1)), np.array([0, 1] * 5 + [1, 1]))
    >>> train, valid = LabeledValidation(ValidSplit(5, stratified=True), 10)(data, data.y)
    >>> len(train), len(valid), sorted(set(range(10, 12)) & set(train.indices))
    (10, 2, [10, 11])
    """

    def __init__(self, split, n_labeled):
        self.split = split
        self.n_labeled = n_labeled

    def __call__(self, dataset, y=None, **kwargs):
        n_total = len(dataset)
        if self.split is None:
            return Subset(dataset, np.arange(n_total)), None
        labeled = Subset(dataset, np.arange(self.n_labeled))
        y_labeled = None if y is None else y[:self.n_labeled]
        train, valid = self.split(labeled, y_labeled, **kwargs)
        rows = np.concatenate([dataset_targets(train)[1], np.arange(self.n_labeled, n_total)])
        return Subset(dataset, rows), valid


class _LabeledScorer:
    def __init__(self, scoring, unlabeled):
        self.scoring = scoring
        self.unlabeled = unlabeled
        self._scorer = get_scorer(scoring)

    def __call__(self, estimator, X, y, **kwargs):
        keep = labeled_mask(y, self.unlabeled)
        if not keep.any():
            raise ValueError(
                "Every row of this validation fold is unlabeled; there is nothing to score. "
                "Use more folds' worth of labeled rows, or fewer folds."
            )
        return self._scorer(estimator, safe_indexing(X, keep), safe_indexing(y, keep),
                            **kwargs)

    def __repr__(self):
        return f"labeled_scorer({self.scoring!r}, unlabeled={self.unlabeled!r})"


def labeled_scorer(scoring, unlabeled=-1):
    """A scikit-learn scorer that ignores unlabeled rows.

    For ``cross_val_score`` / ``GridSearchCV`` on data with unlabeled rows: the rows of a
    validation fold whose label is the ``unlabeled`` sentinel are dropped before scoring
    (they still take part in fitting, as unlabeled rows).

    Parameters
    ----------
    scoring : str
        A scikit-learn scorer name, e.g. ``"balanced_accuracy"``.
    unlabeled : object, default=-1
        The sentinel.

    Returns
    -------
    scorer : callable ``(estimator, X, y) -> float``

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> zero = DummyClassifier(strategy="constant", constant=0).fit([[0], [0]], [0, 1])
    >>> labeled_scorer("accuracy")(zero, np.zeros((3, 1)), np.array([0, -1, 1]))
    0.5
    """
    return _LabeledScorer(scoring, unlabeled)


def stopped_by_interrupt(net, epochs_before):
    """Whether the last training call ended early for another reason than early stopping.

    skorch's loop ends quietly on ``KeyboardInterrupt`` (Ctrl-C, or a callback that
    raises it); ``EarlyStopping`` raises it too, so a stop is blamed on an interrupt only
    when no ``EarlyStopping`` callback ran out of patience.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(history=[{}] * 3, max_epochs=5, callbacks_=[])
    >>> stopped_by_interrupt(net, epochs_before=0)
    True
    """
    if len(net.history) - epochs_before >= net.max_epochs:
        return False
    return not any(isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                   for _, cb in net.callbacks_)


def pseudo_label_stage(net, X, y, codes, labeled, sample_weight, epochs_before=0,
                       **fit_params):
    """Second stage of a fit with ``unlabeled``: pseudo-label, then continue training.

    The confident unlabeled rows get pseudo-labels (:func:`select_pseudo_labels`, capped
    per class); training continues ``max_epochs`` on labeled ∪ pseudo-labeled rows, the
    validation rows staying labeled ones (:class:`LabeledValidation`). Sets
    ``pseudo_labels_``, ``pseudo_label_mask_`` and ``pseudo_confidence_`` on ``net``.

    Parameters
    ----------
    net : a fitted imbsk estimator (first stage done)
    X : ndarray or sparse matrix of every row passed to fit
    y : ndarray, the labels as given (the sentinel on unlabeled rows)
    codes : ndarray of the labeled rows' class indices
    labeled : bool ndarray, the labeled rows
    sample_weight : ndarray or None
    epochs_before : int, default=0
        Length of ``net.history`` before the first stage: if that stage was interrupted
        (Ctrl-C), this stage is skipped, with a warning.
    **fit_params : passed on to training

    Returns
    -------
    rows : ndarray of int
        The rows of X the last training call trained on, in its dataset's order.

    Examples
    --------
    ``fit`` runs it when ``unlabeled`` is set:

    >>> from imbsk import ImbalancedNetClassifier
    >>> X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    >>> y = np.r_[[0, 1] * 20, [-1] * 20]
    >>> net = ImbalancedNetClassifier(unlabeled=-1, max_epochs=2, random_state=0).fit(X, y)
    >>> net.pseudo_label_mask_.shape
    (60,)
    """
    if stopped_by_interrupt(net, epochs_before):
        warnings.warn("Training was interrupted: the pseudo-label stage is skipped.",
                      UserWarning, stacklevel=5)
        return np.flatnonzero(labeled)
    y = np.asarray(y).ravel()
    pseudo = np.zeros(X.shape[0], dtype=bool)
    confidence = np.full(X.shape[0], np.nan)
    pseudo_codes = np.array([], dtype=np.int64)
    unlabeled_rows = np.flatnonzero(~labeled)
    if len(unlabeled_rows):
        proba = net._stream(X[unlabeled_rows], net._get_predict_nonlinearity())
        caps = pseudo_label_caps(np.bincount(codes, minlength=len(net.classes_)),
                                 len(unlabeled_rows), net.pseudo_cap)
        rows, pseudo_codes = select_pseudo_labels(proba, net.pseudo_threshold, caps)
        pseudo[unlabeled_rows[rows]] = True
        confidence[unlabeled_rows] = proba.max(axis=1)
    labels = y.copy()  # y holds every class name and the sentinel, so the dtype fits
    labels[pseudo] = net.classes_[pseudo_codes]
    net.pseudo_labels_ = labels
    net.pseudo_label_mask_ = pseudo
    net.pseudo_confidence_ = confidence
    if not pseudo.any():
        return np.flatnonzero(labeled)
    rows = np.concatenate([np.flatnonzero(labeled), np.flatnonzero(pseudo)])
    all_codes = np.concatenate([codes, pseudo_codes])
    weights = None if sample_weight is None else sample_weight[rows]
    dataset = net._training_dataset(X[rows], all_codes, weights)
    split = net.train_split
    net.train_split = LabeledValidation(split, n_labeled=len(codes))
    try:
        net._run_training(dataset, all_codes, **fit_params)
    finally:
        net.train_split = split
    return rows
