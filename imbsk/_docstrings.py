"""The parameter and attribute documentation the two estimators share."""

__all__ = ["SHARED_DOC", "THRESHOLD_DOC"]

THRESHOLD_DOC = """
    threshold : float in [0, 1] or "prior", default=0.5
        ``predict`` returns the positive class where its probability exceeds this.
        ``"prior"`` is threshold moving: positive where ``p / (1 - p)`` exceeds the
        training odds ``n_positive / n_negative``. To tune the threshold on validation
        folds instead, wrap the estimator in scikit-learn's
        ``TunedThresholdClassifierCV``. ``threshold="prior"`` and ``posthoc_tau`` are
        the same rule on this head (a shift of the log-odds): set one of them."""

SHARED_DOC = """
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
        PyTorch has one generator per process, so fits that overlap in threads are not
        reproducible (a warning says so); use processes for parallel fits.
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
        None uses the loss of the re-balancing strategy. A criterion of your own works
        with ``rebalance=None`` or a sampling-only strategy; ``predict_proba`` then
        follows skorch's rule (softmax after ``CrossEntropyLoss``, sigmoid after
        ``BCEWithLogitsLoss``, the module's output otherwise).
    optimizer : torch optimizer class, default=torch.optim.Adam
    lr : float, default=1e-3
    max_epochs : int, default=30
    batch_size : int >= 1 or -1, default=128
        Rows per training batch (-1: all rows in one batch).
    dataset : Dataset class or instance, default=imbsk.data.TabularDataset
        How X and y become a torch ``Dataset`` (skorch's ``dataset`` parameter;
        ``dataset__*`` reach it). The default keeps whole batches as tensors (and sparse X
        sparse).
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
