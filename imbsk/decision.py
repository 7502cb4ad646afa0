"""The decision rule: from the module's logits to probabilities, scores and labels.

Three pieces, each a pure function of arrays:

* the *probability link* of the head: softmax over C logits, a normalised one-vs-all
  sigmoid (the class-balanced sigmoid loss), or one sigmoid logit for the binary head
  (:data:`LINKS`, each with its log-probability form);
* the *post-hoc logit shift* ``-tau * log(prior)`` (Menon et al., ICLR 2021), the log
  prior odds for the binary head (:func:`posthoc_shift`);
* the binary *threshold*, a probability or ``"prior"`` (threshold moving to the training
  odds, :func:`binary_threshold`).

The estimators' ``decision_function`` returns the shifted logits (multi-class) or the
margin ``z + shift - logit(threshold)`` (binary), so that ``predict`` is the argmax, or
``decision_function > 0``, exactly as scikit-learn's linear classifiers.
"""

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "LINKS",
    "binary_threshold",
    "binary_margin_offset",
    "posthoc_shift",
]


def _normalised_sigmoid(logits):
    proba = torch.sigmoid(logits)
    return proba / proba.sum(dim=-1, keepdim=True)


def _normalised_sigmoid_log(logits):
    log_p = F.logsigmoid(logits)
    return log_p - torch.logsumexp(log_p, dim=-1, keepdim=True)


def _binary_logit(logits):
    # one logit per row, whether the module returns shape (N,) or (N, 1)
    return logits.reshape(len(logits))


def _binary(logits):
    logits = _binary_logit(logits)
    # sigmoid(-z), not 1 - sigmoid(z): no cancellation to 0 for a confident positive
    return torch.stack([torch.sigmoid(-logits), torch.sigmoid(logits)], dim=-1)


def _binary_log(logits):
    logits = _binary_logit(logits)
    return torch.stack([F.logsigmoid(-logits), F.logsigmoid(logits)], dim=-1)


#: Link name -> (probabilities, log-probabilities) as functions of the logits; the
#: columns are in ``classes_`` order.
LINKS = {
    "softmax": (lambda logits: torch.softmax(logits, dim=-1),
                lambda logits: F.log_softmax(logits, dim=-1)),
    "sigmoid": (_normalised_sigmoid, _normalised_sigmoid_log),
    "binary": (_binary, _binary_log),
}


def posthoc_shift(class_counts, tau, binary=False):
    """The post-hoc logit shift ``-tau * log(prior)`` of the training class counts.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training count of each class (a class never seen counts as one row).
    tau : float
        0 gives no shift; 1 is Bayes-consistent for the balanced error.
    binary : bool, default=False
        One logit for the positive class: the shift is ``-tau`` times the log prior odds
        ``log(n_1 / n_0)``, a scalar.

    Returns
    -------
    shift : ndarray of shape (n_classes,), or a float for ``binary=True``

    Examples
    --------
    >>> posthoc_shift([90, 10], 1.0).round(3).tolist()
    [0.105, 2.303]
    >>> round(posthoc_shift([90, 10], 1.0, binary=True), 3)
    2.197
    """
    counts = np.maximum(np.asarray(class_counts, dtype=np.float64), 1.0)
    log_prior = np.log(counts) - np.log(counts.sum())
    if binary:
        return float(-tau * (log_prior[1] - log_prior[0]))
    return -tau * log_prior


def binary_threshold(threshold, class_counts):
    """The probability above which the binary head predicts the positive class.

    Parameters
    ----------
    threshold : float in [0, 1] or "prior"
        ``"prior"`` is threshold moving: positive where ``p / (1 - p)`` exceeds the
        training odds ``n_1 / n_0``, i.e. ``p > n_1 / (n_0 + n_1)``.
    class_counts : array-like of shape (2,)

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> binary_threshold("prior", [90, 10])
    0.1
    >>> binary_threshold(0.3, [90, 10])
    0.3
    """
    if isinstance(threshold, str) and threshold == "prior":
        counts = np.maximum(np.asarray(class_counts, dtype=np.float64), 1.0)
        return float(counts[1] / counts.sum())
    return float(threshold)


def binary_margin_offset(threshold):
    """``logit(threshold)``: subtracted from the logit, the margin is > 0 where p > threshold.

    Examples
    --------
    >>> binary_margin_offset(0.5)
    0.0
    >>> binary_margin_offset(0.0)
    -inf
    """
    with np.errstate(divide="ignore"):
        return float(np.log(threshold) - np.log1p(-threshold))
