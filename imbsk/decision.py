"""The decision rule: from the module's logits to probabilities, scores and labels.

Three pieces, each a pure function of arrays:

* the *probability link* of the head: softmax over C logits, a normalised one-vs-all
  sigmoid (the class-balanced sigmoid loss), or one sigmoid logit for the binary head
  (:data:`LINKS`, each with its log-probability form);
* the *post-hoc logit shift* ``-tau * log(prior)`` (Menon et al., ICLR 2021), the log
  prior odds for the binary head (:func:`posthoc_shift`);
* the binary *threshold*, a probability or ``"prior"`` (threshold moving to the training
  odds, :func:`binary_threshold`);
* the *prior correction* of ``proba="prior"`` (:func:`prior_correction`): the log ratio of
  the training class prior to the prior the loss effectively trained for, added to the
  log-probabilities of the link, so that ``predict_proba`` matches the training prior.

The estimators' ``decision_function`` returns the shifted logits (multi-class) or the
margin ``z + shift - logit(threshold)`` (binary), so that ``predict`` is the argmax, or
``decision_function > 0``, exactly as scikit-learn's linear classifiers.
"""

import numpy as np
import torch
import torch.nn.functional as F
from skorch.exceptions import NotInitializedError
from skorch.utils import to_numpy
from torch.utils.data import Dataset

from ._compat import uncompiled
from ._validation import validate_features

__all__ = [
    "LINKS",
    "BinaryDecisionMixin",
    "DecisionMixin",
    "binary_margin_offset",
    "binary_threshold",
    "posthoc_shift",
    "prior_correction",
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


def prior_correction(class_counts, class_weight=None, logit_offset=None, drawn_prior=None):
    """Per-class log correction from the loss's effective prior to the training prior.

    A loss that adds ``o_c`` to the logits while training, weights class ``c`` by ``w_c``
    and sees rows drawn with class distribution ``q`` (``q = pi``, the training prior
    ``n_c / N``, when rows are drawn as they are) is minimised by logits with
    ``softmax(z + o) = p_eff(c | x)``, the posterior under the prior ``∝ w_c q_c``. Bayes'
    rule turns it into the posterior under ``pi``::

        log p(c | x) = log softmax(z)_c + d_c + const,
        d_c = o_c - log w_c + log pi_c - log q_c

    The constant is fixed by normalising. Exact for the population minimiser of the
    (weighted, logit-adjusted) cross-entropy; the focal factor (``gamma > 0``) and LDAM's
    margins change more than the prior, and only their prior part is undone.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training count of each class (a class never seen counts as one row).
    class_weight : array-like of shape (n_classes,) or None, default=None
        The loss's factor of each class (class weights times a per-class focal alpha);
        None: ones.
    logit_offset : array-like of shape (n_classes,) or (1,), or None, default=None
        Added to the logits by the loss while training. Shape ``(1,)``: the binary head's
        single logit, an offset of the positive class.
    drawn_prior : array-like of shape (n_classes,) or None, default=None
        The class distribution the sampler draws rows with; None: the training prior.

    Returns
    -------
    correction : ndarray of shape (n_classes,)
        Shifted so that its largest entry is 0 (only differences matter).

    Examples
    --------
    The logit-adjusted loss (offset ``log pi``) is undone by ``log pi`` itself:

    >>> counts = [90, 10]
    >>> prior_correction(counts, logit_offset=np.log([0.9, 0.1])).round(3).tolist()
    [0.0, -2.197]

    Inverse-frequency class weights, and class-balanced sampling, the same:

    >>> prior_correction(counts, class_weight=[1 / 90, 1 / 10]).round(3).tolist()
    [0.0, -2.197]
    >>> prior_correction(counts, drawn_prior=[0.5, 0.5]).round(3).tolist()
    [0.0, -2.197]

    The binary head's single logit (offset ``log(n_1 / n_0)``):

    >>> prior_correction(counts, logit_offset=[np.log(10 / 90)]).round(3).tolist()
    [0.0, -2.197]
    """
    counts = np.maximum(np.asarray(class_counts, dtype=np.float64), 1.0)
    log_prior = np.log(counts) - np.log(counts.sum())
    correction = np.zeros(len(counts))
    if logit_offset is not None:
        offset = np.asarray(logit_offset, dtype=np.float64).reshape(-1)
        correction += np.concatenate([[0.0], offset]) if len(offset) == 1 else offset
    if class_weight is not None:  # a weight of 0 (focal alpha = 0) as the smallest float
        weight = np.asarray(class_weight, dtype=np.float64)
        correction -= np.log(np.maximum(weight, np.finfo(np.float64).tiny))
    if drawn_prior is not None:
        drawn = np.asarray(drawn_prior, dtype=np.float64)
        correction += log_prior - np.log(drawn / drawn.sum())
    return correction - correction.max()


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


def _positive_score(logits):
    """``z_1 - z_0``: the score of ``classes_[1]`` against ``classes_[0]``."""
    return logits[:, 1] - logits[:, 0]


def _check_finite(logits):
    if not torch.isfinite(logits).all():
        bad = int((~torch.isfinite(logits)).reshape(len(logits), -1).any(dim=1).sum())
        raise ValueError(
            f"The network's outputs are not finite (NaN or infinite) for {bad} of "
            f"{len(logits)} rows in a batch, so no probability or label can be given. "
            "Training diverged (lower lr, or look at train_loss in history), or X has "
            "values too large for float32 arithmetic (scale the features)."
        )
    return logits


class DecisionMixin:
    """``predict``, ``predict_proba``, ``predict_log_proba`` and ``decision_function``.

    Every method streams: the module's outputs come batch by batch (skorch's
    ``forward_iter``) and are written into one preallocated array. The multi-class head
    is the default; the binary estimator overrides :meth:`_link`, :meth:`_posthoc_shift`
    and :meth:`_decision_transform`.

    Examples
    --------
    >>> from imbsk import ImbalancedNetClassifier
    >>> issubclass(ImbalancedNetClassifier, DecisionMixin)
    True
    """

    def __sklearn_is_fitted__(self):
        return bool(self.initialized_) and self._classes_or_none() is not None

    def _check_fitted(self):
        if not self.initialized_:
            raise NotInitializedError(
                f"This {type(self).__name__} instance is not initialized yet. Call "
                "'initialize' or 'fit' with appropriate arguments before using this method."
            )
        if not self.__sklearn_is_fitted__():
            raise NotInitializedError(
                f"This {type(self).__name__} instance is not fitted yet: it has no classes_. "
                "Call 'fit', or pass classes=[...] before 'initialize'."
            )

    def _own_link(self):
        """Whether imbsk's link applies: its own loss and ``predict_nonlinearity="auto"``.

        With a criterion of the user's own, skorch's rule infers the nonlinearity from
        it (softmax for ``CrossEntropyLoss``, sigmoid for ``BCEWithLogitsLoss``, none
        otherwise: the module then outputs probabilities).
        """
        return self.predict_nonlinearity == "auto" and self.criterion is None

    def _link(self):
        """Name of the head's probability link in :data:`LINKS`."""
        form = getattr(uncompiled(self.criterion_), "form", "softmax")
        return "sigmoid" if form == "sigmoid" else "softmax"

    def _posthoc_shift(self):
        return posthoc_shift(self.class_counts_, self.posthoc_tau)

    def _shifted(self):
        """A function that adds the post-hoc logit shift (``posthoc_tau``) to logits."""
        if not self.posthoc_tau:
            return lambda logits: logits
        shift = torch.as_tensor(self._posthoc_shift(), dtype=torch.float32)
        return lambda logits: logits + shift.to(logits.device, logits.dtype)

    def _get_predict_nonlinearity(self):
        if not self._own_link():
            return super()._get_predict_nonlinearity()
        proba, shifted = LINKS[self._link()][0], self._shifted()
        # float64, as scikit-learn's classifiers: a confident row's probabilities do not
        # round to exactly 0 and 1, and predict_log_proba is their logarithm
        return lambda logits: proba(shifted(logits.double()))

    def _loss_class_factors(self, criterion):
        """The loss's factor of each class: class weights times a per-class focal alpha."""
        weight = np.asarray(self.class_weight_, dtype=np.float64)
        alpha = getattr(criterion, "alpha", None)
        return weight * to_numpy(alpha).astype(np.float64) if torch.is_tensor(alpha) else weight

    def _prior_correction(self):
        """:func:`prior_correction` of this fit: the loss's offset and class factors, and
        the class distribution its sampler draws (the strategy's ``drawn_class_prior``)."""
        criterion = uncompiled(self.criterion_)
        offset = getattr(criterion, "logit_offset", None)
        drawn = self.rebalance_.drawn_class_prior(self.class_counts_,
                                                  getattr(self, "train_sampler_", None))
        return prior_correction(self.class_counts_, self._loss_class_factors(criterion),
                                None if offset is None else to_numpy(offset), drawn)

    def _prior_transform(self, log=False):
        """Logits -> probabilities (``log``: their logarithm) for the training prior.

        ``posthoc_tau`` is a decision rule and is not applied. With several members the
        logits are the log of the members' mean probability: the correction is Bayes'
        rule applied to the ensemble's posterior (not the mean of corrected members).
        """
        log_proba = LINKS[self._link()][1]
        correction = torch.as_tensor(self._prior_correction(), dtype=torch.float64)
        normalise = F.log_softmax if log else F.softmax
        # log-probabilities of the link (softmax, normalised sigmoid or the binary pair)
        # plus the correction, normalised: for softmax the same as softmax(z + correction)
        return lambda logits: normalise(
            log_proba(logits.double()) + correction.to(logits.device), dim=-1)

    def _prior_head(self):
        """Whether ``predict_proba`` gives the training prior's probabilities: imbsk's own
        link (a criterion of your own has no known adjustment to undo) and ``proba``."""
        return self._proba_head() == "prior" and self._own_link()

    def _decision_transform(self):
        """Logits -> the values of ``decision_function``."""
        shifted = self._shifted()
        if len(self.classes_) == 2:  # scikit-learn's binary convention: one score
            return lambda logits: _positive_score(shifted(logits))
        return shifted

    def _stream(self, X, transform):
        """``transform`` of the module's output for X, batch by batch, into one array."""
        out, start = None, 0
        with self._on_device(), self._compute_threads():
            for logits in self.forward_iter(X, training=False):
                values = to_numpy(transform(_check_finite(logits)))
                if out is None:
                    n_rows = len(X) if isinstance(X, Dataset) else X.shape[0]
                    out = np.empty((n_rows, *values.shape[1:]), dtype=values.dtype)
                out[start:start + len(values)] = values
                start += len(values)
        return out

    def _prediction_input(self, X):
        """X validated for prediction; a torch Dataset (skorch's scorers pass one) as is."""
        self._check_fitted()
        return X if isinstance(X, Dataset) else validate_features(self, X)

    def _predict_codes(self, X):
        if not self._own_link():
            return self._codes_from_proba(self._proba(X))
        decision = self._stream(X, self._decision_transform())
        if decision.ndim == 1:
            return (decision > 0).astype(np.int64)
        return decision.argmax(axis=1)

    def _codes_from_proba(self, proba):
        return proba.argmax(axis=1)

    def _proba(self, X):
        proba = self._stream(X, self._get_predict_nonlinearity())
        # a one-output module with skorch's rule gives the positive class's probability
        return np.stack([1 - proba, proba], axis=1) if proba.ndim == 1 else proba

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        ``proba="balanced"``: as the loss trained them (a logit-adjusted or re-weighted
        loss gives probabilities for balanced classes), shifted by ``posthoc_tau``;
        ``proba="prior"``: for the training class prior, ``posthoc_tau`` not applied.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of float64, shape (n_samples, n_classes)
        """
        X = self._prediction_input(X)
        if self._prior_head():
            return self._stream(X, self._prior_transform())
        return self._proba(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed from the logits (no log of 0).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._prediction_input(X)
        if self._prior_head():
            return self._stream(X, self._prior_transform(log=True))
        if not self._own_link():
            with np.errstate(divide="ignore"):
                return np.log(self._proba(X))
        log_proba, shifted = LINKS[self._link()][1], self._shifted()
        return self._stream(X, lambda logits: log_proba(shifted(logits.double())))

    def decision_function(self, X):
        """Scores whose argmax (multi-class) or sign (two classes) is :meth:`predict`.

        Multi-class: the logits, shifted by ``-posthoc_tau * log(prior)`` as ``predict``
        uses them; with two classes, scikit-learn's binary convention, the difference
        of the two (the score of ``classes_[1]``). Binary head: the margin
        ``z + shift - logit(threshold)`` of the positive class ``classes_[1]``, positive
        exactly where ``predict`` answers ``classes_[1]`` (``threshold="prior"``
        included).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) with two classes
        """
        return self._stream(self._prediction_input(X), self._decision_transform())

    def predict(self, X):
        """Predicted class labels (values from ``classes_``, not indices).

        A torch ``Dataset`` (what skorch's scoring callbacks pass) holds encoded targets,
        so for one the class indices are returned, as skorch does.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or torch Dataset

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        codes = self._predict_codes(self._prediction_input(X))
        return codes if isinstance(X, Dataset) else self.classes_[codes]


class BinaryDecisionMixin(DecisionMixin):
    """The decision rule of the one-logit head: sigmoid, log-odds shift, threshold.

    Examples
    --------
    >>> from imbsk import ImbalancedNetBinaryClassifier
    >>> issubclass(ImbalancedNetBinaryClassifier, BinaryDecisionMixin)
    True
    """

    def _link(self):
        return "binary"

    def _codes_from_proba(self, proba):
        threshold = binary_threshold(self.threshold, self.class_counts_)
        return (proba[:, 1] > threshold).astype(np.int64)

    def _posthoc_shift(self):
        return posthoc_shift(self.class_counts_, self.posthoc_tau, binary=True)

    def _loss_class_factors(self, criterion):
        # the sigmoid focal alpha: alpha for the positive class, 1 - alpha for the negative
        weight = super()._loss_class_factors(criterion)
        alpha = getattr(criterion, "alpha", None)
        return weight * np.array([1.0 - alpha, alpha]) if isinstance(alpha, float) else weight

    def _decision_transform(self):
        shifted = self._shifted()
        offset = binary_margin_offset(binary_threshold(self.threshold, self.class_counts_))
        return lambda logits: shifted(logits.reshape(len(logits))) - offset
