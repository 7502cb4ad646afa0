"""Imbalance-aware validation metrics recorded in ``history`` every epoch.

The metric functions are scikit-learn's and imbalanced-learn's own; these wrappers only
compare class indices (the validation targets) with the net's predicted class indices,
and share the validation predictions that skorch caches for all scoring callbacks.
"""

import numpy as np
import torch
from imblearn.metrics import geometric_mean_score
from skorch.callbacks import EpochScoring
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, recall_score

__all__ = [
    "PerClassRecall",
    "class_indices",
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


def _score_codes(metric):
    def score(net, X, y):
        return metric(class_indices(y), net._predict_codes(X))
    score.__name__ = metric.__name__
    return score


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


def _validation_metric(name, metric, summary):
    """A module-level scoring function ``name(net, X, y)`` for ``metric`` (picklable)."""
    score = _score_codes(metric)
    score.__name__ = score.__qualname__ = name
    score.__doc__ = _METRIC_DOC.format(summary=summary, name=name)
    return score


def _macro_f1(y_true, y_pred):
    return f1_score(y_true, y_pred, average="macro", zero_division=0)


valid_accuracy = _validation_metric(
    "valid_accuracy", accuracy_score,
    "Accuracy on the internal validation split (labels compared as class indices).")
valid_balanced_accuracy = _validation_metric(
    "valid_balanced_accuracy", balanced_accuracy_score,
    "Balanced accuracy on the internal validation split.")
valid_geometric_mean = _validation_metric(
    "valid_geometric_mean", geometric_mean_score,
    "imbalanced-learn's G-mean (geometric mean of per-class recalls) on validation.")
valid_macro_f1 = _validation_metric(
    "valid_macro_f1", _macro_f1, "Macro-averaged F1 on the internal validation split.")


def _per_class_recall(net, X, y):
    def recalls(y_true, y_pred):
        return recall_score(y_true, y_pred, labels=np.arange(len(net.classes_)), average=None,
                            zero_division=0)
    return dict(zip(net.classes_, _score_codes(recalls)(net, X, y)))


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


def validation_scoring(function, name):
    """An ``EpochScoring`` callback for ``function(net, X, y)`` on the validation split.

    Examples
    --------
    >>> validation_scoring(valid_balanced_accuracy, "valid_bacc").lower_is_better
    False
    """
    return EpochScoring(function, name=name, lower_is_better=False,
                        target_extractor=class_indices)
