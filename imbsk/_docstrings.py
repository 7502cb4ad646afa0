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
    rebalance : "auto", None, str, strategy or list, default="auto"
        How to re-balance. ``"auto"``: ``"logit_adjusted"`` (cross-entropy on logits
        plus the log training prior, Menon et al. 2021; chosen by nested validation on
        the KEEL data, ``benchmarks/RESULTS.md`` section 10), or None with a
        ``criterion`` of your own. None (plain cross-entropy), ``"logit_adjusted"``,
        ``"inverse"``,
        ``"sqrt_inverse"``, ``"effective_number"`` (uses ``beta``), ``"focal"`` (uses
        ``gamma``, ``alpha``), ``"cb_focal"`` (all three), ``"class_balanced_sampling"``,
        ``"sqrt_sampling"``, ``"difficulty"``,
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
        on validation folds (``GridSearchCV``), never on test data. It changes
        ``predict_proba`` only with ``proba="balanced"``.
    proba : {{"balanced", "prior"}}, default="balanced"
        What ``predict_proba`` and ``predict_log_proba`` return. ``"balanced"``: the
        probabilities the loss trained, shifted by ``posthoc_tau``; with the default
        logit-adjusted loss (or class weights, or class-balanced sampling) they are for
        balanced classes, and overstate the rare classes. ``"prior"``: probabilities
        for the training class prior (what log-loss, the Brier score and expected counts
        need): the training-time adjustment is undone by Bayes' rule (the loss's logit
        offset, ``-log`` of its class weights, the sampler's class draw) and
        ``posthoc_tau`` is not applied. ``predict`` and ``decision_function`` are the
        same for both. The focal factor (``gamma > 0``), LDAM's margins, ``"ohem"``,
        ``"bbn"``, ``"tau_norm"``, difficulty sampling and imbalanced-learn samplers
        change more than the class prior: there
        only the prior part is undone (the class weights), and the probabilities need
        calibration (``CalibratedClassifierCV``). A ``criterion`` of your own: both are
        skorch's probabilities. Read at prediction, so it can be changed after ``fit``.
        See :doc:`/probabilities`.
    preprocess : {{"auto", "robust"}} or None, default="auto"
        Input preprocessing inside the network, fitted on the rows passed to ``fit``:
        each column centred on its median, divided by its inter-quartile range (half its
        range if that is 0) and smoothly clipped to ±3 (``z / sqrt(1 + z**2 / 9)``, as
        RealMLP). Raw columns in the millions train as well as standardised ones, and an
        outlier cannot dominate a batch. ``"auto"``: for the built-in MLP (a module of your
        own is left as it is); ``"robust"``: the same, an error with a module of your own;
        None: the features go in as given (scale them yourself).
    torch_threads : "auto", int >= 1 or None, default="auto"
        torch's intra-op threads while training and predicting (restored afterwards;
        never more than torch has, so a joblib or Dask worker keeps its share).
        ``"auto"``: one thread for a network whose training step is small (batch rows x
        parameters of all members below 64 million, the default MLP with five members on
        up to a few hundred features: there a second thread gains at most a few percent
        on an idle machine and costs several times that next to other work), torch's
        setting otherwise; None: torch's setting. The count used is ``torch_threads_``.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling and re-sampling: the same seed gives the
        same model on the same machine. The global torch RNG state is left untouched.
        PyTorch has one generator per process, so fits that overlap in threads are not
        reproducible (a warning says so); use processes for parallel fits.
    n_members : int >= 1 or "auto", default="auto"
        Members trained at once as one stacked network (:mod:`imbsk.engine`); the
        predicted probabilities are the members' mean. ``"auto"``: 5 cross-fitted
        members (``member_sampling="cross_fit"``) when they can be stacked -- the built-in
        MLP, imbsk's loss, a loss-level strategy -- and one network otherwise (a sampling
        strategy, ``module=``, ``pretrain``, ...); the count used is ``n_members_``.
        Each member has its own initial
        weights and data order (member k equals a fit with ``random_state`` set to its
        seed, dropout aside) and, with ``member_sampling``, its own rows. Eight members
        cost about twice one member's fit time on a small table. Needs the built-in MLP
        and imbsk's loss (no ``module=``, ``criterion=``, ``pretrain``, ``unlabeled``,
        batch normalisation, ``"crt"``, ``"tau_norm"``, ``"bbn"`` or ``"difficulty"``).
    member_sampling : {{"cross_fit", "shuffle", "bootstrap", "balanced_bootstrap"}}, \
default="cross_fit"
        The rows of each member (with more than one). ``"cross_fit"`` with a k-fold
        ``train_split`` (the default ``ValidSplit(5, stratified=True)``): the rows are cut
        into K stratified folds; member k trains on all folds but fold k and keeps the
        weights of its best epoch on fold k (its validation loss): every row trains K - 1
        members and validates one. skorch's loop, its callbacks and ``history`` see these
        out-of-fold predictions as the validation data (``valid_loss``,
        ``valid_loss_best``, ``valid_bacc``, ...: each row predicted by the member that
        held it out). ``"cross_fit"`` with a split of another kind (``ValidSplit(0.1)``,
        ``predefined_split``): every member trains on its training rows and keeps its best
        epoch on its validation rows; with ``train_split=None``: every member trains on
        every row, for all epochs. ``"shuffle"``: every member on the
        training split (after ``train_split``), each in its own order. ``"bootstrap"``: a
        bootstrap that keeps the class counts. ``"balanced_bootstrap"``: ``n // C`` rows
        of each class drawn with replacement (the balanced bagging of
        ``BalancedRandomForestClassifier``; best with ``rebalance=None``).
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
    lr : float, default=2e-3
    max_epochs : int or "auto", default="auto"
        ``"auto"``: enough epochs for 150 optimizer steps, at least 10 and at most 1000
        (:func:`imbsk._training.auto_epochs`): a fixed number of epochs gives a 200-row
        table a few steps and a 100,000-row table thousands (KEEL yeast3, 1,484 rows: 15
        epochs of 128-row batches). Unless a network would then see more
        than 500,000 rows: a large table trains that many rows' worth of epochs, at least
        5 (75,000 rows passed to fit: 9 epochs of 512-row batches; more epochs still gain
        a little balanced accuracy, at several times the fit time: pass a number). With
        cross-fitted members each member keeps its best epoch. A warning says when the
        validation loss was still falling clearly at the end.
    batch_size : int >= 1, -1 or "auto", default="auto"
        Rows per training batch (-1: all rows in one batch). ``"auto"``: 128 up to
        16,384 training rows per network, then the smallest power of two up to 1,024 that
        keeps an epoch within 128 steps (:func:`imbsk._training.auto_batch_size`); the
        value a fit used is ``batch_size_``.
    dataset : Dataset class or instance, default=imbsk.data.TabularDataset
        How X and y become a torch ``Dataset`` (skorch's ``dataset`` parameter;
        ``dataset__*`` reach it). The default keeps whole batches as tensors (and sparse X
        sparse).
    train_split : callable or None, default=ValidSplit(5, stratified=True)
        Internal validation split (skorch): the validation data that callbacks, early
        stopping and ``history`` see. With cross-fitted members (the default) an integer
        ``cv`` is the folds of the members (every row validates once, out of fold); a
        fraction or ``predefined_split`` is the members' common validation set; None
        trains on all rows, with no validation.
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
    member_rows_ : list of ndarray
        Only with ``n_members > 1``: each member's training rows (positions in the
        training split) in the last training call.
    member_rng_states_ : list of ByteTensor
        Each member's random stream (its data orders) right after its initialisation.
    member_valid_rows_ : list of ndarray
        Only with cross-fitted members: each member's fold (positions in the training
        rows), on which it is validated.
    member_best_epochs_ : list of int
        Only with ``member_sampling="cross_fit"`` and validation data: the epoch each
        member's weights come from (its lowest validation loss).
    n_members_ : int
        ``n_members`` resolved (``"auto"``: 5 or 1).
    max_epochs_ : int
        ``max_epochs`` resolved for the last training call (``"auto"``: from the rows).
    batch_size_ : int
        ``batch_size`` resolved for the last training call (``"auto"``: from the rows).
    torch_threads_ : int or None
        ``torch_threads`` resolved (``"auto"``: 1 or None); prediction uses it too.
    classifier_norms_ : ndarray of shape (n_classes,)
        Only with ``rebalance="tau_norm"``: the classifier's row norms after
        normalisation.
    module_, criterion_, optimizer_, history_ : skorch's fitted components.
"""
