"""Imbalance-aware validation metrics recorded in ``history`` every epoch.

Every epoch's scores come from one confusion matrix of class indices (the validation
targets against the net's predicted class indices, from the predictions skorch caches for
all scoring callbacks): :func:`imbalance_scores` gives the values of scikit-learn's and
imbalanced-learn's metric functions (tested against them) without their per-call input
validation, which cost a third of a small fit's time.
"""

import contextlib
import textwrap
import warnings

import numpy as np
import torch
from skorch.callbacks import Callback, EpochScoring, EpochTimer, PassthroughScoring, PrintLog
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import balanced_accuracy_score

from .data import dataset_targets

__all__ = [
    "MemberScores",
    "warn_about_fit",
    "CompactPrintLog",
    "training_summary",
    "default_callbacks",
    "PerClassRecall",
    "check_validation_coverage",
    "class_indices",
    "confusion_counts",
    "imbalance_scores",
    "valid_accuracy",
    "valid_balanced_accuracy",
    "valid_geometric_mean",
    "valid_macro_f1",
    "validation_scoring",
]


def class_indices(y):
    """Target extractor for scoring: the class indices of a batch target.

    A batch target is ``(class indices, sample weights)`` when ``fit`` got weights.

    Examples
    --------
    >>> class_indices((torch.tensor([1, 0]), torch.tensor([0.5, 2.0]))).tolist()
    [1, 0]
    """
    if isinstance(y, (tuple, list)):
        y = y[0]
    return y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)


@contextlib.contextmanager
def _quiet_metrics():
    """Silence the metrics' per-epoch complaints about classes missing from a split.

    A class absent from the validation rows is reported once per fit, clearly, by
    :func:`check_validation_coverage`; the metric functions would otherwise warn about it
    every epoch ("y_pred contains classes not in y_true", ``UndefinedMetricWarning``,
    "A single label was found").
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", message="A single label was found")
        warnings.filterwarnings("ignore", message="y_pred and y_true have different")
        yield


def confusion_counts(y_true, y_pred, n_classes):
    """The confusion matrix of class indices (rows: true class), by one ``bincount``.

    Examples
    --------
    >>> confusion_counts(np.array([0, 0, 1]), np.array([0, 1, 1]), 2).tolist()
    [[1, 1], [0, 1]]
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred,
                       minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def imbalance_scores(confusion):
    """Accuracy, balanced accuracy, G-mean, macro F1 and each class's recall.

    The values of scikit-learn's ``accuracy_score``, ``balanced_accuracy_score``,
    ``f1_score(average="macro", zero_division=0)``, ``recall_score(average=None,
    zero_division=0)`` and imbalanced-learn's ``geometric_mean_score`` for the same labels
    (tested against them), from one confusion matrix: validation scores every epoch cost
    a few microseconds instead of five input validations. As those functions do, the
    balanced accuracy averages the classes present in y_true; the G-mean and macro F1 the
    classes present in y_true or y_pred.

    Parameters
    ----------
    confusion : ndarray of shape (n_classes, n_classes)
        Rows: true class; columns: predicted class (:func:`confusion_counts`).

    Returns
    -------
    scores : dict
        ``accuracy``, ``balanced_accuracy``, ``geometric_mean``, ``macro_f1`` (floats) and
        ``recall`` (ndarray, one value per class, 0 for a class with no row).

    Examples
    --------
    >>> scores = imbalance_scores(np.array([[8, 2], [1, 1]]))
    >>> round(scores["accuracy"], 3), scores["balanced_accuracy"], scores["recall"].tolist()
    (0.75, 0.65, [0.8, 0.5])
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(confusion)
    true, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    present = true > 0
    seen = present | (predicted > 0)
    recall = np.divide(hits, true, out=np.zeros_like(hits), where=present)
    f1 = np.divide(2 * hits, true + predicted, out=np.zeros_like(hits), where=seen)
    total = confusion.sum()
    seen_recall = recall[seen]
    return {
        "accuracy": float(hits.sum() / total) if total else 0.0,
        "balanced_accuracy": float(recall[present].mean()) if present.any() else 0.0,
        "geometric_mean": (float(np.exp(np.log(seen_recall).mean()))
                           if seen_recall.size and (seen_recall > 0).all() else 0.0),
        "macro_f1": float(f1[seen].mean()) if seen.any() else 0.0,
        "recall": recall,
    }


def _validation_scores(net, X, y):
    """:func:`imbalance_scores` of the net's predicted class indices for X against y.

    During a fit the scoring callbacks of one epoch ask in turn for the same data: the
    scores are computed once per epoch, data and targets (the memo is dropped when the
    training call ends).
    """
    if y is None:  # use_caching=False: skorch passes the dataset alone
        y = dataset_targets(X)[0]
    y_true = class_indices(y)
    training = "_routing" in vars(net)  # inside fit / partial_fit
    key = (id(X), len(net.history), hash(y_true.tobytes()))
    memo = vars(net).get("_scores_memo")
    if training and memo is not None and memo[0] == key:
        return memo[1]
    y_pred = net._predict_codes(X)
    scores = imbalance_scores(confusion_counts(y_true, y_pred, len(net.classes_)))
    if training:
        net._scores_memo = (key, scores)
    return scores


def _score_codes(key):
    def score(net, X, y):
        return _validation_scores(net, X, y)[key]
    score.__name__ = key
    return score


def check_validation_coverage(y_valid, classes):
    """Warn once if the internal validation rows miss a class.

    With a handful of minority rows, a 5-fold internal split can leave none of them in
    the validation rows: the validation scores (``valid_bacc``, early stopping on them)
    then say nothing about that class.

    Parameters
    ----------
    y_valid : ndarray of int
        Class indices of the validation rows.
    classes : ndarray
        The estimator's ``classes_``.

    Returns
    -------
    missing : list
        The labels with no validation row.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_validation_coverage(np.array([0, 0, 0]), np.array(["a", "b"]))
    ['b']
    >>> "no row of class(es) ['b']" in str(caught[0].message)
    True
    """
    counts = np.bincount(np.asarray(y_valid, dtype=np.int64), minlength=len(classes))
    missing = np.asarray(classes)[counts == 0].tolist()
    if missing:
        warnings.warn(
            f"The internal validation split ({len(y_valid)} rows) has no row of class(es) "
            f"{missing}: the validation scores (valid_bacc, valid_gmean, ...) and early "
            "stopping on them ignore these classes. Use more rows of these classes, a split "
            "with fewer folds (train_split=ValidSplit(3, stratified=True)), or "
            "train_split=None.", UserWarning, stacklevel=4)
    return missing


_METRIC_DOC = """{summary}

    Parameters
    ----------
    net : fitted imbsk estimator
    X : validation data (a dataset or an array)
    y : class indices of the validation rows

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> bool(0.0 <= {name}(net, X, y) <= 1.0)
    True
    """


def _validation_metric(name, key, summary):
    """A module-level scoring function ``name(net, X, y)`` for ``key`` (picklable)."""
    score = _score_codes(key)
    score.__name__ = score.__qualname__ = name
    score.__doc__ = _METRIC_DOC.format(summary=summary, name=name)
    return score


valid_accuracy = _validation_metric(
    "valid_accuracy", "accuracy",
    "Accuracy on the validation data (labels compared as class indices).")
valid_balanced_accuracy = _validation_metric(
    "valid_balanced_accuracy", "balanced_accuracy",
    "Balanced accuracy (scikit-learn's) on the validation data.")
valid_geometric_mean = _validation_metric(
    "valid_geometric_mean", "geometric_mean",
    "imbalanced-learn's G-mean (geometric mean of per-class recalls) on validation.")
valid_macro_f1 = _validation_metric(
    "valid_macro_f1", "macro_f1", "Macro-averaged F1 on the validation data.")


def _per_class_recall(net, X, y):
    return dict(zip(net.classes_, _validation_scores(net, X, y)["recall"]))


class PerClassRecall(EpochScoring):
    """Records the validation recall of every class as ``valid_recall_<label>``.

    Shares the cached validation predictions of the other scoring callbacks.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> sorted(k for k in net.history[-1] if k.startswith("valid_recall_"))
    ['valid_recall_0', 'valid_recall_1']
    """

    def __init__(self, name="valid_recall", use_caching=True):
        super().__init__(_per_class_recall, lower_is_better=False, name=name,
                         target_extractor=class_indices, use_caching=use_caching)

    def _record_score(self, history, current_score):
        for label, recall in current_score.items():
            history.record(f"{self.name_}_{label}", float(recall))


def warn_about_fit(net, auto_budget):
    """One ``UserWarning`` after a fit that ends badly in a way the user can fix.

    * the network predicts one class for every validation row (every other class's
      recall is 0): the minority was not learned;
    * with ``max_epochs="auto"``: the validation loss was still falling at the last epoch
      (best there, and more than 10% -- and 0.01 -- below its value three quarters of the
      way through).

    Examples
    --------
    >>> import warnings
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(history=[{"valid_recall_a": 1.0, "valid_recall_b": 0.0}])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_about_fit(net, auto_budget=False)
    >>> "predicts one class (a)" in str(caught[0].message)
    True
    """
    if not len(net.history):
        return
    last = net.history[-1]
    recalls = [v for k, v in last.items() if k.startswith("valid_recall_")]
    if len(recalls) >= 2 and sorted(recalls)[-1] == 1.0 and not any(sorted(recalls)[:-1]):
        label = next(k[len("valid_recall_"):] for k, v in last.items()
                     if k.startswith("valid_recall_") and v == 1.0)
        warnings.warn(
            f"After training, {type(net).__name__} predicts one class ({label}) for every "
            "validation row: the other classes were not learned. Try a re-balancing "
            "strategy (rebalance='auto', the default, or 'inverse'), more training "
            "(max_epochs='auto', the default, or a larger number) or preprocess='auto' (the "
            "default) for raw features.",
            UserWarning, stacklevel=4)
        return
    losses = [row.get("valid_loss") for row in net.history]
    if not auto_budget or len(losses) < 8 or any(v is None for v in losses):
        return
    reference = losses[int(0.75 * (len(losses) - 1))]
    if losses[-1] <= min(losses) and losses[-1] < 0.9 * reference \
            and reference - losses[-1] > 0.01:
        warnings.warn(
            f"The validation loss was still falling at the last of {len(losses)} epochs "
            f"({reference:.4g} -> {losses[-1]:.4g} over the last quarter): the model may be "
            "under-trained. Pass a larger max_epochs (a number) to train longer.",
            UserWarning, stacklevel=4)


class MemberScores(Callback):
    """With ``n_members > 1``: each member's validation balanced accuracy per epoch.

    Recorded as ``valid_bacc_members`` (a list, one value per member); ``valid_bacc``
    and the other scores are the ensemble's (the members' mean probabilities).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(n_members=3, member_sampling="shuffle", max_epochs=2,
    ...                               random_state=0).fit(X, y)
    >>> len(net.history[-1, "valid_bacc_members"])
    3
    """

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        module = net.module_
        y_true = dataset_targets(dataset_valid)[0].cpu().numpy()
        to_proba = net._get_predict_nonlinearity()
        chunks = []
        with torch.no_grad():
            was_training = module.training
            module.eval()
            try:
                for X, _ in net.get_iterator(dataset_valid, training=False):
                    logits = module.member_logits(X.to(net.device) if torch.is_tensor(X) else X)
                    chunks.append(torch.stack([to_proba(z) for z in logits]).cpu())
            finally:
                module.train(was_training)
        proba = torch.cat(chunks, dim=1).numpy()
        with _quiet_metrics():
            scores = [balanced_accuracy_score(y_true, net._codes_from_proba(p)) for p in proba]
        net.history.record("valid_bacc_members", [float(v) for v in scores])


def training_summary(net):
    """One line on what a fit trains: members, epochs, threads (printed with verbose=1).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(n_members_=5, member_sampling="cross_fit", max_epochs_=15,
    ...                       max_epochs="auto", batch_size_=128, batch_size="auto",
    ...                       torch_threads_=1, n_members="auto")
    >>> print(training_summary(net))  # doctest: +NORMALIZE_WHITESPACE
    Training 5 cross-fitted members (n_members='auto'), 15 epochs (max_epochs='auto') of
    128-row batches (batch_size='auto'), 1 torch thread.
    """
    # during a fit the requested values are set aside (the net holds the resolved ones)
    requested = getattr(net, "_requested_budget", {"max_epochs": net.max_epochs,
                                                   "batch_size": net.batch_size})
    members = getattr(net, "n_members_", 1)
    kind = {"cross_fit": "cross-fitted members", "shuffle": "members",
            "bootstrap": "bootstrapped members",
            "balanced_bootstrap": "members on balanced bootstraps"}
    what = (f"{members} {kind.get(net.member_sampling, 'members')}" if members > 1
            else "one network")
    threads = getattr(net, "torch_threads_", None)
    threads = ("torch's threads" if threads is None
               else f"{threads} torch thread{'s' if threads > 1 else ''}")
    return textwrap.fill(
        f"Training {what} (n_members={net.n_members!r}), {net.max_epochs_} epochs "
        f"(max_epochs={requested['max_epochs']!r}) of {net.batch_size_}-row batches "
        f"(batch_size={requested['batch_size']!r}), {threads}.", width=100)


class CompactPrintLog(PrintLog):
    """skorch's ``PrintLog`` with the columns that fit a 100-column terminal.

    The per-class recalls (one column per class), the plain accuracy, the G-mean (close
    to the balanced accuracy) and the per-member lists are left out of the printed
    table; every column is still in ``net.history``. Other keys to leave out go in
    ``keys_ignored`` as usual. With ``verbose=1`` a line before the table says what the
    fit trains (:func:`training_summary`).

    Examples
    --------
    >>> sorted(CompactPrintLog().initialize().keys_ignored_)
    ['batches', 'valid_acc', 'valid_bacc_members', 'valid_gmean', 'valid_loss_members']
    """

    #: Printed-table columns left out, besides the per-class recalls.
    hidden = ("valid_acc", "valid_gmean", "valid_bacc_members", "valid_loss_members")

    def initialize(self):
        super().initialize()
        self.keys_ignored_ |= set(self.hidden)
        return self

    def on_train_begin(self, net, X=None, **kwargs):
        super().on_train_begin(net, X=X, **kwargs)
        if net.verbose and len(net.history) == 0:
            self.sink(training_summary(net))

    def on_epoch_end(self, net, **kwargs):
        self.keys_ignored_ |= {key for key in net.history[-1]
                               if key.startswith("valid_recall_")}
        return super().on_epoch_end(net, **kwargs)


def validation_scoring(function, name):
    """An ``EpochScoring`` callback for ``function(net, X, y)`` on the validation split.

    Examples
    --------
    >>> validation_scoring(valid_balanced_accuracy, "valid_bacc").lower_is_better
    False
    """
    return EpochScoring(function, name=name, lower_is_better=False,
                        target_extractor=class_indices)


def default_callbacks():
    """The estimators' default callbacks: timing, losses, imbalance metrics, the log.

    Examples
    --------
    >>> [name for name, _ in default_callbacks()][:4]
    ['epoch_timer', 'train_loss', 'valid_loss', 'valid_acc']
    """
    return [
        ("epoch_timer", EpochTimer()),
        ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ("valid_loss", PassthroughScoring(name="valid_loss")),
        ("valid_acc", validation_scoring(valid_accuracy, "valid_acc")),
        ("valid_bacc", validation_scoring(valid_balanced_accuracy, "valid_bacc")),
        ("valid_gmean", validation_scoring(valid_geometric_mean, "valid_gmean")),
        ("valid_macro_f1", validation_scoring(valid_macro_f1, "valid_macro_f1")),
        ("valid_recall", PerClassRecall()),
        ("print_log", CompactPrintLog()),
    ]
