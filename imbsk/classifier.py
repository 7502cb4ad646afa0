"""The two estimators: they validate, wire a strategy and delegate to skorch's hooks.

A fit: validate and encode (:mod:`imbsk._validation`; a refused fit leaves the earlier
model exactly as it was) -> skorch's ``initialize`` (the strategy's callbacks, module and
loss) -> [pre-training] -> skorch's loop, whose ``get_split_datasets`` hook
(:mod:`imbsk._data_hooks`) sets up the training rows, counts, loss buffers, sampler and
validation data -> [pseudo-labels]. K members are one stacked module trained by the same
loop (:mod:`imbsk.engine`; the estimators mix in its
:class:`~imbsk.engine.protocol.MembersMixin`). ``fit`` and ``partial_fit`` are
overridden in one place, :meth:`_train`.
"""

import numbers
import pickle
import zipfile

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.dataset import ValidSplit
from skorch.utils import to_device

from ._compat import Interval, SkorchOverrides, StrOptions, skorch_partial_fit
from ._docstrings import SHARED_DOC, THRESHOLD_DOC
from ._params import ParamsMixin
from ._data_hooks import DataHooksMixin
from ._training import (AUTO_BATCH_SIZES, fit_input_scaling, resolved_budget,
                        restore_fitted_state)
from ._validation import validate_sample_weight, validate_training_data
from .data import BatchIterator, TabularDataset
from .decision import BinaryDecisionMixin, DecisionMixin
from .engine.protocol import MembersMixin
from .devices import auto_threads, resolve_device, resolved_device, seeded, torch_threads
from .modules import MLP
from .pretraining import pretraining_stage
from .rebalance import ClassBalancedLoss
from .scoring import default_callbacks, warn_about_fit
from .semi_supervised import pseudo_label_stage

__all__ = ["ImbalancedNetBinaryClassifier", "ImbalancedNetClassifier"]

#: Fitted attributes, removed by a cold fit (and by a failed one).
_FITTED = ("classes_inferred_", "class_counts_", "class_weight_", "n_features_in_",
           "feature_names_in_", "train_sampler_", "difficulty_", "pseudo_labels_",
           "pseudo_label_mask_", "pseudo_confidence_", "pretrain_history_",
           "classifier_norms_", "member_rng_states_", "member_rows_", "member_valid_rows_",
           "member_best_epochs_", "n_members_", "max_epochs_", "batch_size_",
           "torch_threads_")


class _ImbalancedNetMixin(MembersMixin, DataHooksMixin, ParamsMixin, SkorchOverrides):
    """What both estimators share; the head-specific parts are overridden hooks."""

    _head = "multiclass"

    _streaming_counts = None  # in partial_fit: the earlier chunks' counts (they add up)
    _routing = "fit"  # during a fit: the public method that routes metadata

    def _on_device(self):
        return resolved_device(self)

    def __setstate__(self, state):
        # skorch maps the stored tensors to state["device"]: "auto" is resolved for it
        requested = state.get("device")
        loadable = resolve_device(requested) if requested == "auto" else requested
        super().__setstate__({**state, "device": loadable})
        self.device = "auto" if requested == "auto" else self.device

    def initialize_virtual_params(self):
        # the first component step of every initialize(), skorch's and AccelerateMixin's
        self.rebalance_ = self._check_params()
        return super().initialize_virtual_params()

    def initialize(self):
        with self._on_device():
            return super().initialize()

    def get_default_callbacks(self):
        strategy = getattr(self, "rebalance_", None)
        extra = strategy.make_callbacks() if strategy is not None else []
        callbacks = default_callbacks()
        if strategy is not None:  # the member callback goes before the log
            callbacks[-1:-1] = self._members_callbacks(strategy)
        return callbacks + extra

    def _n_outputs(self):
        return len(self.classes_)

    def initialize_module(self):
        if self.module is not None:
            return super().initialize_module()
        params = self.get_params_for("module")
        if hasattr(self, "n_features_in_"):
            params.setdefault("n_features", self.n_features_in_)
        if "n_features" not in params or self._classes_or_none() is None:
            raise ValueError(
                "module=None sizes the network from the data: call fit, or (to load saved "
                "parameters) pass module__n_features=<number of features> and classes=[...] "
                "before initialize()."
            )
        params.setdefault("n_outputs", self._n_outputs())
        if not self.rebalance_.linear_shortcut:
            params.setdefault("linear_shortcut", False)
        self.n_members_ = self._n_members()  # "auto" resolved once, here
        if self.n_members_ > 1:
            self._stacked_module(params, self.n_members_)
            return self
        self.module_ = self.rebalance_.make_module(params, self._head) or MLP(**params)
        self.member_rng_states_ = [torch.get_rng_state()]  # its data orders come next
        return self

    def _strategy_criterion(self, counts):
        """The strategy's loss for these counts, carrying them as a buffer (for reloads)."""
        criterion = (self.rebalance_.make_criterion(counts, self._head)
                     or ClassBalancedLoss().make_criterion(counts, self._head))
        criterion.register_buffer("class_counts", torch.as_tensor(counts, dtype=torch.float64))
        return criterion

    def initialize_criterion(self):
        n_classes = len(self.classes_) if self._classes_or_none() is not None else 2
        counts = getattr(self, "class_counts_", np.ones(n_classes))
        if self.criterion is None:
            # the training split's counts are copied in when training starts
            self.criterion_ = self._strategy_criterion(np.maximum(counts, 1))
            return self
        if self._rebalance() is not None and \
                self.rebalance_.make_criterion(np.ones(n_classes), self._head) is not None:
            raise ValueError(
                f"rebalance={self.rebalance!r} defines the loss, and so does criterion="
                f"{self.criterion!r}. Pass criterion=None to use the re-balancing loss, or a "
                "sampling-only rebalance strategy with your own criterion."
            )
        return super().initialize_criterion()

    def _forget_fit(self):
        for name in _FITTED:
            self.__dict__.pop(name, None)

    def _run_training(self, dataset, codes, **fit_params):
        """skorch's ``partial_fit`` (its loop, callbacks and history) on a prepared dataset."""
        skorch_partial_fit(self, dataset, codes, self._routing, **fit_params)

    def _train(self, X, y, *, cold, routing, sample_weight=None, classes=None, **fit_params):
        previous = dict(self.__dict__)
        self._routing = routing
        try:  # input and parameters are checked before anything of a fitted model changes
            if cold:
                self._forget_fit()
            strategy = self._check_params()
            X, codes, labeled = validate_training_data(
                self, X, y, reset=not hasattr(self, "n_features_in_"), classes=classes)
            if not labeled.all() and not cold:
                raise ValueError(
                    "Unlabeled rows are used by fit only (pseudo-labels need a fresh model); "
                    "drop them before partial_fit or a warm_start fit.")
            sample_weight = validate_sample_weight(sample_weight, X, self.criterion)
        except BaseException:
            self.__dict__.clear()  # refused: the earlier model, exactly as it was
            self.__dict__.update(previous)
            raise
        try:
            if routing == "partial_fit":
                self._streaming_counts = getattr(self, "class_counts_", np.zeros(
                    len(self.classes_), dtype=np.int64))
            with seeded(self.random_state, 0 if cold else len(self.history_)), \
                    self._on_device(), resolved_budget(self, X.shape[0]):
                self._fit_stages(X, y, codes, labeled, sample_weight, cold, strategy,
                                 **fit_params)
            warn_about_fit(self, auto_budget=self.max_epochs == "auto")
        except BaseException:
            for _, callback in getattr(self, "callbacks_", []):
                if hasattr(callback, "release"):
                    callback.release(self)
            if cold:  # never half-replaced: a failed fresh fit leaves no model
                self._forget_fit()
                self.initialized_ = False
            raise
        finally:
            for name in ("_streaming_counts", "_routing", "_scores_memo"):
                self.__dict__.pop(name, None)
        return self

    def _fit_stages(self, X, y, codes, labeled, sample_weight, cold, strategy, **fit_params):
        if cold or not self.initialized_:
            self.initialize()
            fit_input_scaling(self, X)
        elif repr(strategy) != repr(self.rebalance_):  # beta, gamma, ... changed
            self.rebalance_ = strategy
            self.initialize_callbacks()
            self.initialize_criterion()
            self.criterion_ = self.torch_compile(to_device(self.criterion_, self.device),
                                                 name="criterion")
        self.torch_threads_ = self._thread_count()
        with torch_threads(self.torch_threads_):
            self._train_stages(X, y, codes, labeled, sample_weight, cold, **fit_params)

    def _thread_count(self):
        """``torch_threads`` resolved for this network (fit and prediction share it)."""
        if self.torch_threads != "auto":
            return self.torch_threads
        n_parameters = sum(p.numel() for p in self.module_.parameters())
        batch_size = (getattr(self, "batch_size_", AUTO_BATCH_SIZES[0])
                      if self.batch_size == "auto" else self.batch_size)
        batch_size = 1_000_000 if batch_size == -1 else batch_size
        return auto_threads(n_parameters, batch_size)

    def _compute_threads(self):
        """A block that runs on this estimator's threads (prediction, as fit)."""
        return torch_threads(getattr(self, "torch_threads_", None)
                             or (self._thread_count() if self.initialized_ else None))

    def _train_stages(self, X, y, codes, labeled, sample_weight, cold, **fit_params):
        if cold and self.pretrain is not None:
            self.pretrain_history_ = pretraining_stage(self, X)
        if labeled.all():  # no copy of X (or of the weights) without unlabeled rows
            X_labeled, weights = X, sample_weight
        else:
            X_labeled = X[labeled]
            weights = None if sample_weight is None else sample_weight[labeled]
        epochs_before = len(self.history)
        self._run_training(self._training_dataset(X_labeled, codes, weights), codes,
                           **fit_params)
        rows = np.flatnonzero(labeled)
        if self.unlabeled is not None:
            rows = pseudo_label_stage(self, X, y, codes, labeled, sample_weight,
                                      epochs_before, **fit_params)
        if hasattr(self, "difficulty_") and len(self.difficulty_) != X.shape[0]:
            per_row = np.full(X.shape[0], np.nan)  # aligned with the rows passed to fit
            per_row[rows] = self.difficulty_
            self.difficulty_ = per_row

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Validate the data, then initialize and train the network.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Numeric features (encode categorical columns first, e.g. in a Pipeline).
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Non-negative per-row weights; they multiply each row's loss, on top of the
            class weights of the re-balancing strategy (validation loss included).
        **fit_params : dict
            Passed to skorch (the module's ``forward`` and ``train_split``).

        Returns
        -------
        self
        """
        return self._train(X, y, cold=not (self.warm_start and self.initialized_),
                           routing="fit", sample_weight=sample_weight, **fit_params)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train ``max_epochs`` more on this chunk without re-initializing (streaming).

        Class counts accumulate over the calls (``class_counts_``; class weights,
        ``threshold="prior"`` and ``posthoc_tau`` use them). A chunk may miss classes; a
        chunk too small for the internal validation split trains on all its rows.

        Parameters
        ----------
        X, y
            As in :meth:`fit`. After the first call, y may only hold known labels.
        classes : array-like of shape (n_classes,) or None, default=None
            Every class of the stream, on the first call (as scikit-learn's incremental
            estimators): needed when the first chunk does not hold them all. Later calls
            may repeat it; a different value is an error.
        sample_weight, **fit_params
            As in :meth:`fit`.

        Returns
        -------
        self
        """
        return self._train(X, y, cold=not self.initialized_, routing="partial_fit",
                           sample_weight=sample_weight, classes=classes, **fit_params)

    def load_params(self, *args, **kwargs):
        """skorch's ``load_params``, then the fitted state that rides in the criterion."""
        try:
            with self._on_device():
                super().load_params(*args, **kwargs)
        except (EOFError, pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError) as exc:
            raise ValueError(
                f"Could not load the saved parameters ({args or kwargs}): {exc}. Is each "
                "file complete, and written by save_params of a model with the same "
                "settings (module__*, classes, rebalance)?"
            ) from exc
        restore_fitted_state(self)
        return self

class ImbalancedNetClassifier(_ImbalancedNetMixin, DecisionMixin, NeuralNetClassifier):
    __doc__ = """Neural-network classifier (softmax over C logits) for imbalanced data.
""" + SHARED_DOC.format(
        alpha_doc="softmax: a per-class vector; with ``rebalance=ClassBalancedLoss("
                  "form='sigmoid')``: the positive-class factor", extra_params="") + """
    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, n_features=8, weights=[0.9], random_state=0)
    >>> clf = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=5, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=None, *, rebalance="auto", beta=0.999, gamma=2.0,
                 alpha=None, posthoc_tau=0.0, proba="balanced", preprocess="auto",
                 random_state=None, n_members="auto", member_sampling="cross_fit",
                 torch_threads="auto", unlabeled=None, pseudo_threshold=0.9,
                 pseudo_cap="proportional", pretrain=None, pretrain_epochs=20, classes=None,
                 criterion=None, optimizer=torch.optim.Adam, lr=2e-3, max_epochs="auto",
                 batch_size="auto", iterator_train=BatchIterator, iterator_valid=BatchIterator,
                 dataset=TabularDataset, train_split=ValidSplit(5, stratified=True),
                 device="cpu", verbose=0, **kwargs):
        super().__init__(module, criterion=criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size,
                         iterator_train=iterator_train, iterator_valid=iterator_valid,
                         dataset=dataset, train_split=train_split, classes=classes,
                         device=device, verbose=verbose, **kwargs)
        self._set_own_params(rebalance, beta, gamma, alpha, posthoc_tau, random_state,
                             unlabeled, pseudo_threshold, pseudo_cap, pretrain, pretrain_epochs,
                             n_members, member_sampling, preprocess, torch_threads,
                             proba)


class ImbalancedNetBinaryClassifier(_ImbalancedNetMixin, BinaryDecisionMixin,
                                    NeuralNetBinaryClassifier):
    __doc__ = """Binary neural-network classifier (one logit, sigmoid) for imbalanced data.

    The positive class is ``classes_[1]`` (the larger label in sorted order).
""" + SHARED_DOC.format(
        alpha_doc="a float in [0, 1]: the factor of the positive class, 1 - alpha for the "
                  "negative one",
        extra_params=THRESHOLD_DOC) + """
    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, n_features=8, weights=[0.9], random_state=0)
    >>> clf = ImbalancedNetBinaryClassifier(rebalance="focal", max_epochs=5, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    """

    _head = "binary"

    _parameter_constraints = {
        **_ImbalancedNetMixin._parameter_constraints,
        "threshold": [Interval(numbers.Real, 0.0, 1.0, closed="both"), StrOptions({"prior"})],
    }

    def __init__(self, module=None, *, rebalance="auto", beta=0.999, gamma=2.0,
                 alpha=None, posthoc_tau=0.0, proba="balanced", preprocess="auto",
                 random_state=None, n_members="auto", member_sampling="cross_fit",
                 torch_threads="auto", unlabeled=None, pseudo_threshold=0.9,
                 pseudo_cap="proportional", pretrain=None, pretrain_epochs=20, threshold=0.5,
                 classes=None, criterion=None, optimizer=torch.optim.Adam, lr=2e-3,
                 max_epochs="auto", batch_size="auto", iterator_train=BatchIterator,
                 iterator_valid=BatchIterator, dataset=TabularDataset,
                 train_split=ValidSplit(5, stratified=True), device="cpu", verbose=0,
                 **kwargs):
        super().__init__(module, criterion=criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size,
                         iterator_train=iterator_train, iterator_valid=iterator_valid,
                         dataset=dataset, train_split=train_split, threshold=threshold,
                         device=device, verbose=verbose, **kwargs)
        self._set_own_params(rebalance, beta, gamma, alpha, posthoc_tau, random_state,
                             unlabeled, pseudo_threshold, pseudo_cap, pretrain, pretrain_epochs,
                             n_members, member_sampling, preprocess, torch_threads,
                             proba)
        self.classes = classes

    def _check_params(self):
        strategy = super()._check_params()
        if self.threshold == "prior" and self.posthoc_tau:
            raise ValueError(
                "threshold='prior' and posthoc_tau are the same rule on the binary head (a "
                "shift of the log-odds by the training prior): set one of them, e.g. "
                "threshold=0.5 with posthoc_tau, or posthoc_tau=0 with threshold='prior'."
            )
        return strategy

    def _n_outputs(self):
        return 1

    def infer(self, x, **fit_params):
        if torch.is_tensor(x) and x.dim() == 3:  # (B, K, F): K members' logits (B, K)
            return NeuralNet.infer(self, x, **fit_params)
        return super().infer(x, **fit_params)

    def _loss_target(self, y_true, y_pred):
        # a criterion of the user's own (e.g. BCEWithLogitsLoss) wants float targets
        return y_true.to(y_pred.dtype) if self.criterion is not None else y_true

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
