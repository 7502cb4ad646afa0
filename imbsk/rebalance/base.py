"""The strategy protocol, and the loss-level strategy.

A strategy sees what the estimator knows *after* the internal train/validation split
(the training labels as class indices, the class counts) and returns up to three things:

1. a criterion (:meth:`RebalanceStrategy.make_criterion`), or None to keep the default;
2. a sampler for the training iterator (:meth:`RebalanceStrategy.make_sampler`), which
   may be updated in place every epoch, or a replacement training dataset
   (:meth:`RebalanceStrategy.make_train_dataset`, e.g. after SMOTE);
3. callbacks (:meth:`RebalanceStrategy.make_callbacks`), made once per ``initialize``.

Strategies are scikit-learn estimators in the parameter sense (``get_params``,
``set_params``, ``clone``), so ``rebalance__beta`` works in a grid search. The
estimator clones the strategy it is given and never branches on which one it holds.
"""

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator
from .._compat import Interval, StrOptions, validate_parameter_constraints

from .losses import LOSS_FORMS, REDUCTIONS, RebalancedLoss
from .weights import CLASS_WEIGHTINGS, class_weights

__all__ = ["ClassBalancedLoss", "LogitAdjustedLoss", "RebalanceStrategy"]


class RebalanceStrategy(BaseEstimator):
    """Base class of re-balancing strategies; every hook defaults to "nothing".

    Subclasses override the hooks they need. ``head`` comes from the estimator:
    ``"multiclass"`` (C logits) or ``"binary"`` (one logit for the positive class); a
    strategy lists the heads it works with in :attr:`heads`.

    Examples
    --------
    A strategy that weights classes by ``1 / n_c**2``:

    >>> import numpy as np
    >>> from imbsk.rebalance.losses import RebalancedLoss
    >>> class SquaredInverse(RebalanceStrategy):
    ...     def make_criterion(self, class_counts, head):
    ...         w = 1.0 / np.asarray(class_counts, dtype=float) ** 2
    ...         return RebalancedLoss(torch.as_tensor(w / w.sum() * len(w)),
    ...                               form="sigmoid" if head == "binary" else "softmax")
    >>> SquaredInverse().make_criterion([9, 3], "multiclass").class_weight.tolist()
    [0.20000000298023224, 1.7999999523162842]
    """

    #: The heads this strategy works with.
    heads = ("multiclass", "binary")

    #: Whether it works with ``n_members > 1`` (K members stacked in one network); not
    #: for strategies that build their own network or act on the output layer.
    stackable = True

    #: Whether it draws the training rows itself (a sampler, or replacement rows):
    #: ``n_members="auto"`` then trains one network, and batched searches fit it alone.
    draws_rows = False

    #: Whether the built-in MLP keeps its linear shortcut (``module__linear_shortcut``
    #: unset) under this strategy; not for strategies that re-train, normalise or rebuild
    #: the classifier: the shortcut is a second classifier they would not see.
    linear_shortcut = True

    def check_head(self, head, estimator_name):
        """Raise ``ValueError`` if this strategy cannot work with ``head``."""
        if head not in self.heads:
            raise ValueError(
                f"{type(self).__name__} needs one logit per class; use "
                f"ImbalancedNetClassifier (softmax over C logits) rather than "
                f"{estimator_name}."
            )

    def make_criterion(self, class_counts, head):
        """Return an ``nn.Module`` loss for these training counts, or None.

        Called when the network is initialised (with the counts known then, or ones) and
        again with the training split's counts: the estimator copies the second loss's
        state (buffers such as class weights) into the first, so the loss object, and
        its ``state_dict`` keys, stay the same for the whole fit.
        """
        return None

    def make_sampler(self, y_train):
        """Return a ``torch.utils.data.Sampler`` over the training rows, or None."""
        return None

    def make_callbacks(self):
        """Return a list of ``(name, skorch callback)`` pairs."""
        return []

    def drawn_class_prior(self, class_counts, sampler):
        """The class distribution the training rows are drawn with, or None.

        None (the default): rows are drawn as they are, so the network sees the training
        prior. ``proba="prior"`` undoes a different draw (:func:`imbsk.decision.prior_correction`).

        Parameters
        ----------
        class_counts : ndarray of shape (n_classes,)
            The training split's counts.
        sampler : the sampler :meth:`make_sampler` returned for the last training call,
            or None (none, or a model loaded with ``load_params``)
        """
        return None

    def make_train_dataset(self, dataset_train, device):
        """Return a dataset to train on instead of ``dataset_train``, or None to keep it."""
        return None

    def output_bias(self, class_counts, head):
        """Return the initial bias of the output layer, or None to keep the default."""
        return None

    def make_module(self, params, head):
        """Return the network to build instead of the built-in MLP, or None.

        Called only with ``module=None``; ``params`` are the MLP's keyword arguments
        (``n_features``, ``n_outputs`` and the ``module__*`` parameters).
        """
        return None

    def check_net(self, net):
        """Raise ``ValueError`` if the strategy cannot work with this estimator's settings.

        Called before anything is fitted, with the estimator (``max_epochs``, ``module``
        and so on are set; nothing is initialised yet).
        """

    _parameter_constraints = {}

    def validate(self):
        """Raise ``ValueError``/``TypeError`` naming a parameter with a bad value."""
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False),
            caller_name=type(self).__name__,
        )


def _prior_bias(class_counts, head):
    """b = -log((1 - pi) / pi), Cui et al. Sec. 5.2, for sigmoid outputs.

    Multi-class sigmoid heads use pi = 1/C (as the paper); a binary single-logit head
    uses the training prior of the positive class (pi = 1/2 would give b = 0).
    """
    counts = np.asarray(class_counts, dtype=np.float64)
    if head == "binary":
        prior = counts[1] / counts.sum()
        return np.array([np.log(prior) - np.log1p(-prior)])
    prior = 1.0 / len(counts)
    return np.full(len(counts), np.log(prior) - np.log1p(-prior))


class ClassBalancedLoss(RebalanceStrategy):
    """Loss-level re-balancing: class weights times a (focal) cross-entropy.

    Covers ``None``, ``"inverse"``, ``"sqrt_inverse"``, ``"effective_number"``,
    ``"focal"`` and ``"cb_focal"``: the loss of a sample of class ``y`` is
    ``w_y * FL_gamma(z, y)`` with ``w`` from :func:`imbsk.rebalance.weights.class_weights`
    computed once from the training counts (never per batch).

    Parameters
    ----------
    weighting : {None, "inverse", "sqrt_inverse", "effective_number"}, default=None
        How class weights are computed; None gives uniform weights.
    beta : float in [0, 1), default=0.999
        Effective-number parameter (``weighting="effective_number"`` only).
    gamma : float >= 0, default=0.0
        Focal-loss focusing parameter; 0 gives cross-entropy.
    alpha : float in [0, 1], array-like of shape (n_classes,) or None, default=None
        Focal alpha. Softmax form: a per-class factor vector. Sigmoid form (the binary
        classifier, or ``form="sigmoid"``): the factor of the positive of each
        one-vs-all problem, ``1 - alpha`` for the negatives (torchvision's convention).
    form : {"auto", "softmax", "sigmoid"}, default="auto"
        ``"auto"`` is softmax for :class:`~imbsk.ImbalancedNetClassifier` and sigmoid for
        :class:`~imbsk.ImbalancedNetBinaryClassifier`. ``"sigmoid"`` on the multi-class
        classifier is the class-balanced one-vs-all sigmoid loss of Cui et al.
    reduction : {"mean", "weighted_mean"}, default="mean"
        ``"mean"`` divides the weighted sum by the batch size, as the class-balanced-loss
        paper's code; ``"weighted_mean"`` divides by the sum of the weights of the batch,
        as ``torch.nn.CrossEntropyLoss(weight=...)``.

    Examples
    --------
    >>> strategy = ClassBalancedLoss(weighting="effective_number", beta=0.9, gamma=2.0)
    >>> loss = strategy.make_criterion([90, 10], head="multiclass")
    >>> [round(w, 3) for w in loss.class_weight.tolist()]
    [0.789, 1.211]
    """

    _parameter_constraints = {
        "weighting": [StrOptions({k for k in CLASS_WEIGHTINGS if k}), None],
        "beta": [Interval(numbers.Real, 0.0, 1.0, closed="left")],
        "gamma": [Interval(numbers.Real, 0.0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0.0, 1.0, closed="both"), "array-like", None],
        "form": [StrOptions({"auto", *LOSS_FORMS})],
        "reduction": [StrOptions(set(REDUCTIONS) - {"none", "sum"})],
    }

    def __init__(self, weighting=None, beta=0.999, gamma=0.0, alpha=None, form="auto",
                 reduction="mean"):
        self.weighting = weighting
        self.beta = beta
        self.gamma = gamma
        self.alpha = alpha
        self.form = form
        self.reduction = reduction

    def _alpha_for(self, form, n_classes):
        if self.alpha is None:
            return None
        if form == "softmax":
            alpha = np.asarray(self.alpha, dtype=np.float64)
            if alpha.shape != (n_classes,) or np.any(alpha < 0) or not np.all(np.isfinite(alpha)):
                raise ValueError(
                    f"alpha for the softmax focal loss must be a non-negative vector with one "
                    f"entry per class ({n_classes}), got {self.alpha!r}. A single float alpha "
                    "is for the sigmoid form (the binary classifier)."
                )
            return torch.as_tensor(alpha, dtype=torch.float32)
        if not isinstance(self.alpha, numbers.Real):
            raise ValueError(
                f"alpha for the sigmoid focal loss must be a float in [0, 1] (the factor of "
                f"the positive class), got {self.alpha!r}."
            )
        return float(self.alpha)

    def loss_form(self, head):
        """``"softmax"`` or ``"sigmoid"``: the form this strategy uses on ``head``."""
        if head == "binary":
            if self.form == "softmax":
                raise ValueError(
                    "form='softmax' needs C output logits; the binary classifier has one "
                    "logit. Use form='auto' or 'sigmoid', or ImbalancedNetClassifier."
                )
            return "sigmoid"
        return "softmax" if self.form == "auto" else self.form

    def make_criterion(self, class_counts, head):
        form = self.loss_form(head)
        weights = class_weights(class_counts, self.weighting, self.beta)
        return RebalancedLoss(
            torch.as_tensor(weights, dtype=torch.float32),
            gamma=self.gamma,
            alpha=self._alpha_for(form, len(class_counts)),
            form=form,
            reduction=self.reduction,
        )

    def output_bias(self, class_counts, head):
        if self.loss_form(head) == "sigmoid" or self.gamma > 0:
            return _prior_bias(class_counts, head)
        return None


class LogitAdjustedLoss(RebalanceStrategy):
    """Logit-adjusted cross-entropy: ``CE(z + tau * log(pi), y)`` during training.

    Menon et al., *Long-tail learning via logit adjustment*, ICLR 2021, with ``pi`` the
    training class prior. On the binary classifier's single logit the offset is
    ``tau * log(n_1 / n_0)``, the same model as two logits and a softmax. ``tau = 0`` is
    plain cross-entropy; ``tau = 1`` is
    Bayes-consistent for the balanced error and equals the balanced softmax of Ren et al.
    (NeurIPS 2020), ``CE(z + log(n_c), y)``, since ``log(pi_c) = log(n_c) - log(N)`` and
    the softmax ignores the constant. ``rebalance="logit_adjusted"`` (tau = 1) and
    ``rebalance="balanced_softmax"``. Prediction uses the raw logits; for the post-hoc
    variant see the estimators' ``posthoc_tau``.

    Parameters
    ----------
    tau : float >= 0, default=1.0
    balanced_softmax : bool, default=False
        Add ``log(n_c)`` (Ren et al.) instead of ``tau * log(pi_c)``.

    Examples
    --------
    >>> loss = LogitAdjustedLoss(tau=1.0).make_criterion([90, 10], head="multiclass")
    >>> [round(v, 3) for v in loss.logit_offset.tolist()]
    [-0.105, -2.303]
    """

    _parameter_constraints = {
        "tau": [Interval(numbers.Real, 0.0, None, closed="left")],
        "balanced_softmax": ["boolean"],
    }

    def __init__(self, tau=1.0, balanced_softmax=False):
        self.tau = tau
        self.balanced_softmax = balanced_softmax

    def make_criterion(self, class_counts, head):
        counts = np.asarray(class_counts, dtype=np.float64)
        if head == "binary":
            # the single logit is z_1 - z_0 of a two-logit softmax: its offset is the
            # difference of the two classes' offsets
            tau = 1.0 if self.balanced_softmax else self.tau
            offset = [tau * (np.log(counts[1]) - np.log(counts[0]))]
            return RebalancedLoss(torch.ones(2), form="sigmoid",
                                  logit_offset=torch.as_tensor(offset))
        offset = (np.log(counts) if self.balanced_softmax
                  else self.tau * (np.log(counts) - np.log(counts.sum())))
        return RebalancedLoss(torch.ones(len(counts)), logit_offset=torch.as_tensor(offset))
