"""The two estimators: they validate parameters and data, wire a strategy, delegate.

Data flow in ``fit``: validate X, y -> encode labels -> (skorch) initialize module,
criterion, callbacks -> split train/valid -> the strategy sees the training labels only
-> criterion, sampler and output bias are built from the training counts -> skorch trains.
"""

import contextlib
import numbers
import warnings

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNet, NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring
from skorch.dataset import ValidSplit
from skorch.utils import to_device, to_numpy
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .data import BatchIterator, TabularDataset, dataset_targets
from .decision import LINKS, binary_margin_offset, binary_threshold, posthoc_shift
from .devices import resolve_device
from .modules import MLP
from .pretraining import PRETRAIN_METHODS, pretrain_features
from .rebalance import ClassBalancedLoss, check_rebalance
from .semi_supervised import (
    LabeledValidation,
    labeled_mask,
    pseudo_label_caps,
    select_pseudo_labels,
)
from .scoring import (
    CompactPrintLog,
    PerClassRecall,
    check_validation_coverage,
    validation_scoring,
    valid_accuracy,
    valid_balanced_accuracy,
    valid_geometric_mean,
    valid_macro_f1,
)

__all__ = ["ImbalancedNetBinaryClassifier", "ImbalancedNetClassifier"]


#: What to do about scikit-learn's input-validation errors that do not say it.
_INPUT_HINTS = [
    ("Input X contains infinity", "Replace or clip the infinite values first, e.g. with "
                                  "np.nan_to_num or a FunctionTransformer in the pipeline."),
    ("Input y contains NaN", "Drop the rows whose label is missing before fitting."),
    ("Input y contains infinity", "Drop the rows whose label is not finite before fitting."),
    ("Complex data not supported", "Split complex features into real ones first, e.g. "
                                   "np.real and np.imag, or np.abs."),
    ("0 sample(s)", "Pass at least one row (and, to fit, rows of at least 2 classes)."),
    ("0 feature(s)", "Pass at least one feature column."),
]


def _encode(y, classes, origin):
    codes = pd.Index(classes).get_indexer(y)
    if np.any(codes < 0):
        unknown = np.unique(np.asarray(y)[codes < 0])[:5]
        raise ValueError(
            f"y contains labels not in {origin}: {unknown.tolist()}. Known classes are "
            f"{np.asarray(classes).tolist()}."
        )
    return codes


def _positive_score(logits):
    """``z_1 - z_0``: the score of ``classes_[1]`` against ``classes_[0]``."""
    return logits[:, 1] - logits[:, 0]


@contextlib.contextmanager
def _seeded(random_state, offset):
    """Seed torch inside the block only; the global RNG state is restored afterwards."""
    if random_state is None:
        yield
        return
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max)) + offset
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class _ImbalancedNetMixin:
    """What both estimators share; concrete classes set ``_head``."""

    _head = "multiclass"

    #: During ``partial_fit``: the class counts of the earlier chunks (they accumulate).
    _streaming_counts = None

    _parameter_constraints = {
        "beta": [Interval(numbers.Real, 0.0, 1.0, closed="left")],
        "gamma": [Interval(numbers.Real, 0.0, None, closed="left")],
        "posthoc_tau": [Interval(numbers.Real, None, None, closed="neither")],
        "random_state": ["random_state"],
        "pseudo_threshold": [Interval(numbers.Real, 0.0, 1.0, closed="both")],
        "pseudo_cap": [StrOptions({"proportional", "balanced"}),
                       Interval(numbers.Integral, 0, None, closed="left"), None],
        "pretrain": [StrOptions(set(PRETRAIN_METHODS)), None],
        "pretrain_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    # --- parameters -------------------------------------------------------------------

    def _set_own_params(self, rebalance, beta, gamma, alpha, posthoc_tau, random_state,
                        unlabeled, pseudo_threshold, pseudo_cap, pretrain, pretrain_epochs):
        # plain assignments, as scikit-learn's __init__ convention asks
        self.rebalance = rebalance
        self.beta = beta
        self.gamma = gamma
        self.alpha = alpha
        self.posthoc_tau = posthoc_tau
        self.random_state = random_state
        self.unlabeled = unlabeled
        self.pseudo_threshold = pseudo_threshold
        self.pseudo_cap = pseudo_cap
        self.pretrain = pretrain
        self.pretrain_epochs = pretrain_epochs

    def _get_param_names(self):
        # skorch lists every attribute without a trailing underscore, private ones too
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def set_params(self, **params):
        """Set parameters; ``rebalance__<name>`` goes to the strategy object."""
        nested = {k: params.pop(k) for k in list(params) if k.startswith("rebalance__")}
        if "rebalance" in params:
            self.rebalance = params.pop("rebalance")
        if nested:
            if not hasattr(self.rebalance, "set_params"):
                raise ValueError(
                    f"Cannot set {sorted(nested)}: rebalance={self.rebalance!r} is not a "
                    "strategy object. Pass e.g. rebalance=imbsk.rebalance.ClassBalancedLoss(...)"
                    " or use the top-level beta/gamma/alpha with a string alias."
                )
            self.rebalance.set_params(**{k[len("rebalance__"):]: v for k, v in nested.items()})
        return super().set_params(**params) if params else self

    def _check_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in self._parameter_constraints},
            caller_name=type(self).__name__,
        )
        resolve_device(self.device)
        strategy = check_rebalance(self.rebalance, self.beta, self.gamma, self.alpha)
        strategy.check_net(self)
        if self.pretrain is not None and self.module is not None:
            raise ValueError(
                f"pretrain={self.pretrain!r} pre-trains the feature layers of the built-in "
                "MLP; pass module=None (tune it with module__hidden_units, ...), or pre-train "
                "a module of your own yourself."
            )
        return strategy

    @contextlib.contextmanager
    def _on_device(self):
        """Run with ``self.device`` resolved ("auto" -> "cuda"/"cpu"), then restore it."""
        requested = self.device
        self.device = resolve_device(requested)
        try:
            yield
        finally:
            self.device = requested

    # --- data -------------------------------------------------------------------------

    def _validate_X(self, X, y=None, reset=False):
        data = (X,) if y is None else (X, y)
        # training converts to float32 once; prediction keeps float64 as given and
        # converts batch by batch (no whole float32 copy). Sparse X stays sparse (CSR).
        dtype = np.float32 if y is not None else (np.float32, np.float64)
        try:
            return validate_data(self, *data, reset=reset, dtype=dtype, accept_sparse="csr")
        except ValueError as exc:
            message = str(exc)
            if "could not convert" in message:
                raise ValueError(
                    f"X has non-numeric values ({exc}). Encode categorical columns first, "
                    "e.g. with OneHotEncoder in a ColumnTransformer before the classifier in "
                    "a Pipeline."
                ) from exc
            hint = next((h for pattern, h in _INPUT_HINTS if pattern in message), None)
            if hint is None:
                raise
            raise ValueError(f"{message.rstrip()} {hint}") from exc

    def _validate_training_data(self, X, y, reset, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X, y = self._validate_X(X, y, reset=reset)
        check_classification_targets(y)
        labeled = labeled_mask(y, self.unlabeled)
        if not labeled.any():
            raise ValueError(
                f"Every row of y is the unlabeled sentinel {self.unlabeled!r}; at least some "
                "rows of at least 2 classes must be labeled."
            )
        if not labeled.all():
            if not reset:
                raise ValueError(
                    "Unlabeled rows are used by fit only (pseudo-labels need a fresh model); "
                    "drop them before partial_fit or a warm_start fit."
                )
            y = y[labeled]
        if not reset:
            if classes is not None and not np.array_equal(np.asarray(classes),
                                                          self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()} differs from the classes of the "
                    f"first partial_fit call, {self.classes_.tolist()}; pass the same classes "
                    "(or none) after the first call."
                )
            return X, _encode(y, self.classes_, "the first fit"), labeled
        # partial_fit(classes=...) declares every class up front: a first chunk may miss some
        declared = classes is not None
        if classes is None and self.classes is not None and len(self.classes):
            classes = self.classes
        if classes is not None:
            classes = np.asarray(classes)
            if len(np.unique(classes)) != len(classes):
                raise ValueError(
                    f"classes={classes.tolist()} has duplicate labels; pass each class once."
                )
            codes = _encode(y, classes, "classes")
        else:
            classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2 or (not declared and len(np.unique(codes)) < 2):
            raise ValueError(
                f"y has only one class ({np.asarray(classes)[codes[0]].item()!r}); a "
                "classifier needs samples of at least 2 classes."
            )
        if self._head == "binary" and len(classes) != 2:
            raise ValueError(
                f"Only binary classification is supported. {type(self).__name__} needs "
                f"exactly 2 classes, y has {len(classes)}; use ImbalancedNetClassifier for "
                "multi-class data."
            )
        self.classes_inferred_ = classes
        return X, codes, labeled

    def check_data(self, X, y):
        """No-op: data are validated and labels encoded before skorch sees them."""

    def get_dataset(self, X, y=None):
        if isinstance(X, torch.utils.data.Dataset):
            return X
        # without targets (prediction) rows are converted batch by batch
        return TabularDataset(X, y, device=self.device, lazy=y is None)

    def _split(self, dataset, y, **fit_params):
        """The internal train/validation split, with errors that name ``train_split``."""
        if not self.train_split:
            return dataset, None
        try:
            with warnings.catch_warnings():
                # the split's own "least populated class" warning is replaced by the
                # check of what the validation rows really hold (check_validation_coverage)
                warnings.filterwarnings("ignore", message="The least populated class")
                return self.train_split(dataset, y, **fit_params)
        except ValueError as exc:
            if self._streaming_counts is None:
                raise ValueError(
                    f"The internal validation split (train_split={self.train_split!r}) "
                    f"failed on {len(dataset)} rows: {exc} Pass more rows of each class, a "
                    "split with fewer folds (e.g. train_split=ValidSplit(3, stratified=True)"
                    "), or train_split=None (no internal validation)."
                ) from exc
            warnings.warn(
                f"This partial_fit chunk of {len(dataset)} rows is too small for the "
                f"internal validation split ({exc}); it trains on all its rows and records "
                "no validation scores.", UserWarning, stacklevel=2)
            return dataset, None

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset_train, dataset_valid = self._split(self.get_dataset(X, y), y, **fit_params)
        if dataset_valid is not None:
            check_validation_coverage(dataset_targets(dataset_valid)[0].cpu().numpy(),
                                      self.classes_)
        replacement = self.rebalance_.make_train_dataset(dataset_train, self.device)
        if replacement is not None:
            dataset_train = replacement
        self._setup_rebalancing(dataset_targets(dataset_train)[0].cpu().numpy(),
                                replaced_rows=replacement is not None)
        return dataset_train, dataset_valid

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(y_true, (tuple, list)):  # (class indices, sample weights)
            y_true, sample_weight = (to_device(t, self.device) for t in y_true)
            return self.criterion_(y_pred, y_true, sample_weight=sample_weight)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def get_iterator(self, dataset, training=False):
        if not training:
            return super().get_iterator(dataset, training=False)
        params = self.get_params_for("iterator_train")
        if self.train_sampler_ is not None:
            params.setdefault("sampler", self.train_sampler_)
        else:
            params.setdefault("shuffle", True)
        params.setdefault("batch_size", self.batch_size)
        if params["batch_size"] == -1:
            params["batch_size"] = len(dataset)
        return self.iterator_train(dataset, **params)

    # --- training ---------------------------------------------------------------------

    def notify(self, method_name, **cb_kwargs):
        """Call ``method_name`` on the net and on the callbacks that implement it.

        As skorch's ``notify``, but callbacks that inherit the no-op hook from
        ``skorch.callbacks.Callback`` are skipped (three notifications per batch).
        """
        getattr(self, method_name)(self, **cb_kwargs)
        for callback in self._listeners(method_name):
            getattr(callback, method_name)(self, **cb_kwargs)

    def _listeners(self, method_name):
        callbacks = self.callbacks_
        cache = self.__dict__.get("_listeners_cache")
        if cache is None or cache[0] is not callbacks:
            cache = (callbacks, {})
            self.__dict__["_listeners_cache"] = cache
        if method_name not in cache[1]:
            no_op = getattr(Callback, method_name, None)
            cache[1][method_name] = [cb for _, cb in callbacks
                                     if getattr(type(cb), method_name, None) is not no_op]
        return cache[1][method_name]

    def _set_training(self, training=True):
        # skorch switches every module's mode before every batch; only switch on a change
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def _n_outputs(self):
        return 1 if self._head == "binary" else len(self.classes_)

    def initialize_module(self):
        self._output_bias_pending_ = True
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
        strategy = getattr(self, "rebalance_", None)
        custom = strategy.make_module(params, self._head) if strategy is not None else None
        self.module_ = MLP(**params) if custom is None else custom
        return self

    def initialize_criterion(self):
        if self.criterion is not None:
            return super().initialize_criterion()
        # placeholder with uniform weights: replaced from the training counts after the split
        classes = self._classes_or_none()
        counts = np.ones(2 if classes is None else len(classes))
        self.criterion_ = ClassBalancedLoss().make_criterion(counts, self._head)
        return self

    def initialize_callbacks(self):
        # the first step of every initialize(), skorch's and AccelerateMixin's alike
        self.rebalance_ = self._check_params()
        return super().initialize_callbacks()

    def initialize(self):
        with self._on_device():
            return super().initialize()

    def get_default_callbacks(self):
        strategy = getattr(self, "rebalance_", None)
        extra = strategy.make_callbacks() if strategy is not None else []
        return list(self._default_callbacks) + extra

    @property
    def _default_callbacks(self):
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

    def _setup_rebalancing(self, y_train, replaced_rows=False):
        counts = np.bincount(y_train, minlength=len(self.classes_))
        if self._streaming_counts is not None:
            # partial_fit: counts accumulate over the chunks; a class not seen yet
            # weighs as one row (no row of it is in this chunk's loss anyway)
            counts = counts + self._streaming_counts
        elif np.any(counts == 0):
            missing = self.classes_[counts == 0].tolist()
            raise ValueError(
                f"Class(es) {missing} have no sample in the training split left after the "
                "internal validation split (train_split). Provide more samples of these "
                "classes, or pass train_split=None (no internal validation)."
            )
        self.class_counts_ = counts
        counts = np.maximum(counts, 1)
        criterion = self.rebalance_.make_criterion(counts, self._head)
        if criterion is not None and self.criterion is not None:
            raise ValueError(
                f"rebalance={self.rebalance!r} defines the loss, and so does criterion="
                f"{self.criterion!r}. Pass criterion=None to use the re-balancing loss, or a "
                "sampling-only rebalance strategy with your own criterion."
            )
        if self.criterion is None:
            criterion = criterion or ClassBalancedLoss().make_criterion(counts, self._head)
            self.criterion_ = to_device(criterion, self.device)
        weight = getattr(self.criterion_, "class_weight", None)
        self.class_weight_ = (np.ones(len(counts)) if weight is None
                              else weight.detach().cpu().numpy().astype(np.float64))
        self.train_sampler_ = self.rebalance_.make_sampler(y_train)
        if replaced_rows and self.train_sampler_ is not None:
            raise ValueError(
                "An imbalanced-learn sampler replaces the training rows each epoch and cannot "
                "be combined with another sampling strategy (difficulty, class-balanced); "
                "combine it with a loss strategy instead, e.g. [SMOTE(), 'focal']."
            )
        if self._output_bias_pending_:
            self._initialize_output_bias(self.rebalance_.output_bias(counts, self._head))
            self._output_bias_pending_ = False

    def _initialize_output_bias(self, bias):
        if bias is None:
            return
        layers = [m for m in self.module_.modules()
                  if isinstance(m, torch.nn.Linear) and m.out_features == len(bias)]
        if not layers or layers[-1].bias is None:
            warnings.warn(
                "The re-balancing strategy asks for a prior bias in the output layer, but "
                "the module has no nn.Linear output layer with a bias of size "
                f"{len(bias)}; the bias is left as it is.", UserWarning)
            return
        with torch.no_grad():
            layers[-1].bias.copy_(torch.as_tensor(bias, dtype=layers[-1].bias.dtype))

    def _check_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        if self.criterion is not None:
            raise ValueError("sample_weight needs imbsk's own loss: pass criterion=None.")
        return _check_sample_weight(sample_weight, X, dtype=np.float32, ensure_non_negative=True)

    def _train(self, X, y, reset, routing, sample_weight=None, classes=None, **fit_params):
        self._check_params()
        X, codes, labeled = self._validate_training_data(X, y, reset=reset, classes=classes)
        sample_weight = self._check_sample_weight(sample_weight, X)
        offset = 0 if reset else len(self.history_ or [])
        if routing == "partial_fit":
            previous = None if reset else getattr(self, "class_counts_", None)
            self._streaming_counts = (np.zeros(len(self.classes_), dtype=np.int64)
                                      if previous is None else previous)
        try:
            self._fit_stages(X, y, codes, labeled, sample_weight, reset, routing, offset,
                             **fit_params)
        finally:
            self.__dict__.pop("_streaming_counts", None)
        return self

    def _fit_stages(self, X, y, codes, labeled, sample_weight, reset, routing, offset,
                    **fit_params):
        with _seeded(self.random_state, offset), self._on_device():
            if reset:
                self.initialize()
                if self.pretrain is not None:
                    self._pretrain(X)
            if labeled.all():  # no copy of X (or of the weights) without unlabeled rows
                X_labeled, weights = X, sample_weight
            else:
                X_labeled = X[labeled]
                weights = None if sample_weight is None else sample_weight[labeled]
            dataset = TabularDataset(X_labeled, codes, device=self.device,
                                     sample_weight=weights)
            NeuralNet.partial_fit(self, dataset, codes, _routing_method=routing, **fit_params)
            if self.unlabeled is not None:
                self._train_with_pseudo_labels(X, y, codes, labeled, sample_weight, routing,
                                               **fit_params)

    def _pretrain(self, X):
        encoder = getattr(self.module_, "hidden", None)
        if encoder is None:
            raise ValueError(
                f"pretrain={self.pretrain!r} needs a network with feature layers `hidden`, "
                f"as the built-in MLP; {type(self.module_).__name__} (e.g. from "
                "rebalance='bbn') has none. Use pretrain=None with this strategy."
            )
        self.pretrain_history_ = pretrain_features(
            encoder, self.module_.output.in_features, X, self.pretrain,
            epochs=self.pretrain_epochs, batch_size=self.batch_size, lr=self.lr,
            optimizer=self.optimizer, device=self.device, verbose=self.verbose)

    def _train_with_pseudo_labels(self, X, y, codes, labeled, sample_weight, routing,
                                  **fit_params):
        """Second stage: pseudo-label the confident unlabeled rows, continue training."""
        y = np.asarray(y)
        pseudo = np.zeros(len(X), dtype=bool)
        confidence = np.full(len(X), np.nan)
        pseudo_codes = np.array([], dtype=np.int64)
        unlabeled_rows = np.flatnonzero(~labeled)
        if len(unlabeled_rows):
            proba = self._stream(X[unlabeled_rows], self._get_predict_nonlinearity())
            caps = pseudo_label_caps(np.bincount(codes, minlength=len(self.classes_)),
                                     len(unlabeled_rows), self.pseudo_cap)
            rows, pseudo_codes = select_pseudo_labels(proba, self.pseudo_threshold, caps)
            pseudo[unlabeled_rows[rows]] = True
            confidence[unlabeled_rows] = proba.max(axis=1)
        labels = y.copy()  # y holds every class name and the sentinel, so the dtype fits
        labels[pseudo] = self.classes_[pseudo_codes]
        self.pseudo_labels_ = labels
        self.pseudo_label_mask_ = pseudo
        self.pseudo_confidence_ = confidence
        if not pseudo.any():
            return
        rows = np.concatenate([np.flatnonzero(labeled), np.flatnonzero(pseudo)])
        all_codes = np.concatenate([codes, pseudo_codes])
        weights = None if sample_weight is None else sample_weight[rows]
        dataset = TabularDataset(X[rows], all_codes, device=self.device, sample_weight=weights)
        split = self.train_split
        self.train_split = LabeledValidation(split, n_labeled=len(codes))
        try:
            NeuralNet.partial_fit(self, dataset, all_codes, _routing_method=routing,
                                  **fit_params)
        finally:
            self.train_split = split

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Validate the data, then initialize and train the network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
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
        reset = not (self.warm_start and self.initialized_)
        return self._train(X, y, reset=reset, routing="fit", sample_weight=sample_weight,
                           **fit_params)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train ``max_epochs`` more on this chunk without re-initializing (streaming).

        The first call (on an unfitted estimator) initializes the network. Class counts
        accumulate over the calls: ``class_counts_`` is the sum of the training rows of
        every chunk so far, and the class weights, ``threshold="prior"`` and
        ``posthoc_tau`` use these running counts, not the last chunk's. A chunk may miss
        classes (a class not seen yet weighs as one row); a chunk too small for the
        internal validation split trains on all its rows, with a warning.

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
        return self._train(X, y, reset=not self.initialized_, routing="partial_fit",
                           sample_weight=sample_weight, classes=classes, **fit_params)

    # --- prediction -------------------------------------------------------------------

    def _classes_or_none(self):
        if hasattr(self, "classes_inferred_"):
            return self.classes_inferred_
        if self.classes is not None and len(self.classes):
            return np.asarray(self.classes)
        return None

    @property
    def classes_(self):
        classes = self._classes_or_none()
        if classes is None:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet: it has no classes_. "
                "Call fit first."
            )
        return classes

    def __sklearn_is_fitted__(self):
        return self._classes_or_none() is not None and hasattr(self, "module_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _link(self):
        """Name of the head's probability link in :data:`imbsk.decision.LINKS`."""
        if self._head == "binary":
            return "binary"
        return "sigmoid" if getattr(self.criterion_, "form", "softmax") == "sigmoid" else "softmax"

    def _shifted(self):
        """A function that adds the post-hoc logit shift (``posthoc_tau``) to logits."""
        if not self.posthoc_tau:
            return lambda logits: logits
        shift = posthoc_shift(self.class_counts_, self.posthoc_tau,
                              binary=self._head == "binary")
        shift = torch.as_tensor(shift, dtype=torch.float32)
        return lambda logits: logits + shift.to(logits.device, logits.dtype)

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity != "auto":
            return super()._get_predict_nonlinearity()
        proba, shifted = LINKS[self._link()][0], self._shifted()
        # float64, as scikit-learn's classifiers: a confident row's probabilities do not
        # round to exactly 0 and 1, and predict_log_proba is their logarithm
        return lambda logits: proba(shifted(logits.double()))

    def _decision_transform(self):
        """Logits -> the values of ``decision_function`` (shifted logits, or the margin)."""
        shifted = self._shifted()
        if self._head != "binary":
            if len(self.classes_) == 2:  # scikit-learn's binary convention: one score
                return lambda logits: _positive_score(shifted(logits))
            return shifted
        offset = binary_margin_offset(binary_threshold(self.threshold, self.class_counts_))
        return lambda logits: shifted(logits.reshape(len(logits))) - offset

    def _stream(self, X, transform):
        """``transform`` of the module's output for X, batch by batch, into one array.

        Only one batch of X (converted to float32, densified if sparse) and of the output
        is alive at a time besides the result.
        """
        out, start = None, 0
        with self._on_device():
            for logits in self.forward_iter(X, training=False):
                values = to_numpy(transform(logits))
                if out is None:
                    n_rows = len(X) if isinstance(X, torch.utils.data.Dataset) else X.shape[0]
                    out = np.empty((n_rows, *values.shape[1:]), dtype=values.dtype)
                out[start:start + len(values)] = values
                start += len(values)
        return out

    def _prediction_input(self, X):
        """X validated for prediction; a torch Dataset (skorch's scorers pass one) as is."""
        check_is_fitted(self)
        if isinstance(X, torch.utils.data.Dataset):
            return X
        return self._validate_X(X)

    def _predict_codes(self, X):
        decision = self._stream(X, self._decision_transform())
        if decision.ndim == 1:
            return (decision > 0).astype(np.int64)
        return decision.argmax(axis=1)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of float64, shape (n_samples, n_classes)
        """
        return self._stream(self._prediction_input(X), self._get_predict_nonlinearity())

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
        if self.predict_nonlinearity != "auto":
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        log_proba, shifted = LINKS[self._link()][1], self._shifted()
        return self._stream(X, lambda logits: log_proba(shifted(logits.double())))

    def decision_function(self, X):
        """Scores whose argmax (multi-class) or sign (binary) is :meth:`predict`.

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

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        codes = self._predict_codes(self._prediction_input(X))
        return self.classes_[codes]


_SHARED_DOC = """
    Parameters
    ----------
    module : torch.nn.Module class or instance, or None, default=None
        None builds :class:`imbsk.modules.MLP`, sized from the data at ``fit``; tune it
        with ``module__hidden_units``, ``module__dropout``, .... A module must return
        logits.
    rebalance : None, str, strategy or list, default=None
        How to re-balance: None (plain cross-entropy), ``"inverse"``,
        ``"sqrt_inverse"``, ``"effective_number"`` (uses ``beta``), ``"focal"`` (uses
        ``gamma``, ``alpha``), ``"cb_focal"`` (all three), ``"class_balanced_sampling"``,
        ``"sqrt_sampling"``, ``"difficulty"``, ``"logit_adjusted"``,
        ``"balanced_softmax"``, ``"ldam"``, ``"ldam_drw"``, ``"ohem"``, ``"crt"``,
        ``"tau_norm"``, ``"bbn"``; an :mod:`imbsk.rebalance` strategy object
        (its parameters are reachable as ``rebalance__<name>``); or a list of them.
        Class counts always come from the training split only.
    beta : float in [0, 1), default=0.999
        Effective-number parameter for the ``"effective_number"``/``"cb_focal"`` aliases.
    gamma : float >= 0, default=2.0
        Focal focusing parameter for the ``"focal"``/``"cb_focal"`` aliases.
    alpha : float, array-like or None, default=None
        Focal alpha for the ``"focal"``/``"cb_focal"`` aliases ({alpha_doc}).
    posthoc_tau : float, default=0.0
        Post-hoc logit adjustment (Menon et al., ICLR 2021): ``predict`` and
        ``predict_proba`` use ``logits - posthoc_tau * log(prior)``, the prior being the
        training class frequencies; 1 is Bayes-consistent for the balanced error. Tune it
        on validation folds (``GridSearchCV``), never on test data.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling and re-sampling: the same seed gives the
        same model on the same machine. The global torch RNG state is left untouched.
    unlabeled : object or None, default=None
        The label that marks unlabeled rows in ``y`` (``SelfTrainingClassifier`` uses -1;
        a string such as ``"unlabeled"`` for string labels). None: every label is a class.
        With unlabeled rows, ``fit`` trains on the labeled rows, pseudo-labels the
        confident unlabeled ones and trains ``max_epochs`` more on both (see
        :mod:`imbsk.semi_supervised`); they are never a class and never validation rows.
    pseudo_threshold : float in [0, 1], default=0.9
        Smallest largest-class probability for an unlabeled row to get a pseudo-label.
    pseudo_cap : "proportional", "balanced", int >= 0 or None, default="proportional"
        The most pseudo-labels per class
        (:func:`imbsk.semi_supervised.pseudo_label_caps`).
    pretrain : {{"masked", "scarf"}} or None, default=None
        Self-supervised pre-training of the built-in MLP's feature layers on every row of
        X (labeled or not) before supervised training (:mod:`imbsk.pretraining`).
    pretrain_epochs : int >= 1, default=20
    classes : array-like or None, default=None
        The class labels; None infers them from y in ``fit``. Needed (with
        ``module__n_features``) only to ``initialize()`` a net before ``load_params``.
    criterion : loss class or None, default=None
        None uses the loss of the re-balancing strategy. A criterion of your own may
        only be combined with a sampling strategy.
    optimizer : torch optimizer class, default=torch.optim.Adam
    lr : float, default=1e-3
    max_epochs : int, default=30
    batch_size : int, default=128
    train_split : callable or None, default=ValidSplit(5, stratified=True)
        Internal validation split (skorch); None trains on all rows.
    device : {{"cpu", "cuda", "cuda:N", "auto"}}, default="cpu"
        ``"auto"`` uses CUDA when available. Asking for CUDA without it is an error.
    verbose : int, default=0{extra_params}
    **kwargs
        Any other :class:`skorch.NeuralNet` parameter (``callbacks``,
        ``iterator_train__*``, ``optimizer__*``, ``warm_start``, ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the ``predict_proba`` columns.
    class_counts_ : ndarray of shape (n_classes,)
        Training-split count of each class.
    class_weight_ : ndarray of shape (n_classes,)
        Class weights used by the loss (ones when it has none).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X was a DataFrame with string column names.
    rebalance_ : RebalanceStrategy
        The resolved strategy.
    difficulty_ : ndarray of shape (n_samples,)
        Only with instance-difficulty sampling: the difficulty of each row passed to
        ``fit`` after the last epoch (NaN for the internal validation rows).
    pseudo_labels_ : ndarray of shape (n_samples,)
        Only with ``unlabeled``: the given label of labeled rows, the pseudo-label of
        pseudo-labeled rows, the sentinel for unlabeled rows left out.
    pseudo_label_mask_ : ndarray of bool, shape (n_samples,)
        Only with ``unlabeled``: the rows that received a pseudo-label.
    pseudo_confidence_ : ndarray of shape (n_samples,)
        Only with ``unlabeled``: the largest predicted probability of each unlabeled row
        (NaN for labeled rows).
    pretrain_history_ : skorch History
        Only with ``pretrain``: the pre-training loss per epoch.
    classifier_norms_ : ndarray of shape (n_classes,)
        Only with ``rebalance="tau_norm"``: the classifier's row norms after
        normalisation.
    module_, criterion_, optimizer_, history_ : skorch's fitted components.
"""


class ImbalancedNetClassifier(_ImbalancedNetMixin, NeuralNetClassifier):
    __doc__ = """Neural-network classifier (softmax over C logits) for imbalanced data.
""" + _SHARED_DOC.format(
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

    def __init__(self, module=None, *, rebalance=None, beta=0.999, gamma=2.0, alpha=None,
                 posthoc_tau=0.0, random_state=None, unlabeled=None, pseudo_threshold=0.9,
                 pseudo_cap="proportional", pretrain=None, pretrain_epochs=20, classes=None,
                 criterion=None,
                 optimizer=torch.optim.Adam, lr=1e-3, max_epochs=30, batch_size=128,
                 iterator_train=BatchIterator, iterator_valid=BatchIterator,
                 train_split=ValidSplit(5, stratified=True), device="cpu", verbose=0,
                 **kwargs):
        super().__init__(module, criterion=criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size,
                         iterator_train=iterator_train, iterator_valid=iterator_valid,
                         train_split=train_split, classes=classes, device=device,
                         verbose=verbose, **kwargs)
        self._set_own_params(rebalance, beta, gamma, alpha, posthoc_tau, random_state,
                             unlabeled, pseudo_threshold, pseudo_cap, pretrain, pretrain_epochs)


class ImbalancedNetBinaryClassifier(_ImbalancedNetMixin, NeuralNetBinaryClassifier):
    __doc__ = """Binary neural-network classifier (one logit, sigmoid) for imbalanced data.

    The positive class is ``classes_[1]`` (the larger label in sorted order).
""" + _SHARED_DOC.format(
        alpha_doc="a float in [0, 1]: the factor of the positive class, 1 - alpha for the "
                  "negative one",
        extra_params="""
    threshold : float in [0, 1] or "prior", default=0.5
        ``predict`` returns the positive class where its probability exceeds this.
        ``"prior"`` is threshold moving: positive where ``p / (1 - p)`` exceeds the
        training odds ``n_positive / n_negative``. To tune the threshold on validation
        folds instead, wrap the estimator in scikit-learn's
        ``TunedThresholdClassifierCV``.""") + """
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

    def __init__(self, module=None, *, rebalance=None, beta=0.999, gamma=2.0, alpha=None,
                 posthoc_tau=0.0, random_state=None, unlabeled=None, pseudo_threshold=0.9,
                 pseudo_cap="proportional", pretrain=None, pretrain_epochs=20, threshold=0.5,
                 classes=None, criterion=None,
                 optimizer=torch.optim.Adam, lr=1e-3, max_epochs=30, batch_size=128,
                 iterator_train=BatchIterator, iterator_valid=BatchIterator,
                 train_split=ValidSplit(5, stratified=True),
                 device="cpu", verbose=0, **kwargs):
        super().__init__(module, criterion=criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size,
                         iterator_train=iterator_train, iterator_valid=iterator_valid,
                         train_split=train_split, threshold=threshold, device=device,
                         verbose=verbose, **kwargs)
        self._set_own_params(rebalance, beta, gamma, alpha, posthoc_tau, random_state,
                             unlabeled, pseudo_threshold, pseudo_cap, pretrain, pretrain_epochs)
        self.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

