"""The main job behind ``python -m imbsk``: re-balancing strategies vs. peers on KEEL data.

Every (dataset, fold) pair gets the same stratified split and the same preprocessing
(one-hot for nominal columns, standard scaling for numeric ones, fitted on the training
fold only); each method is then fitted on the training fold and scored on the test fold
with scikit-learn's and imbalanced-learn's own metric functions.
"""

import time
import warnings

import numpy as np
import pandas as pd
import torch
from scipy.stats import ttest_rel
from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.metrics import geometric_mean_score
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier
from tqdm.auto import tqdm

from .classifier import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from .datasets import list_keel, load_keel
from .devices import auto_threads, torch_threads
from .modules import MLP

__all__ = ["DEFAULT_STRATEGIES", "ONE_CLASS", "PEERS", "VARIANTS", "WARNING_COLUMNS",
           "make_method", "per_dataset_table", "run_benchmark", "summarize", "warning_summary",
           "win_tie_loss"]

#: imbsk ``rebalance`` aliases run by default (each as one network for ``epochs`` epochs),
#: after ``"default"``: ``ImbalancedNetClassifier()`` as it comes (its own budget, five
#: cross-fitted members).
DEFAULT_STRATEGIES = ("default", "none", "inverse", "effective_number", "focal", "cb_focal",
                      "logit_adjusted", "class_balanced_sampling", "difficulty")

METRICS = {
    "balanced_accuracy": balanced_accuracy_score,
    "g_mean": geometric_mean_score,
    "macro_f1": lambda y, p: f1_score(y, p, average="macro"),
}


class _PlainSkorchMLP:
    """Peer: plain skorch with cross-entropy, the MLP's hidden layers without its linear
    shortcut (whose own learning rate is imbsk's), labels encoded by hand.

    It trains on the threads imbsk's ``torch_threads="auto"`` gives the same network (one
    for these small ones), so that fit times compare the methods, not the thread policies.
    """

    def __init__(self, epochs, device, random_state):
        self.epochs, self.device, self.random_state = epochs, device, random_state

    def fit(self, X, y):
        self.encoder_ = LabelEncoder().fit(y)
        torch.manual_seed(self.random_state)
        self.net_ = NeuralNetClassifier(
            MLP, module__n_features=X.shape[1], module__n_outputs=len(self.encoder_.classes_),
            module__linear_shortcut=False,
            criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
            lr=ImbalancedNetClassifier().lr,  # imbsk's networks' learning rate
            max_epochs=self.epochs, batch_size=128, iterator_train__shuffle=True,
            device=self.device, verbose=0,
        ).initialize()  # as fit would, so that the weights draw the same numbers
        n_parameters = sum(p.numel() for p in self.net_.module_.parameters())
        with torch_threads(auto_threads(n_parameters, self.net_.batch_size)):
            self.net_.partial_fit(X.astype(np.float32), self.encoder_.transform(y))
        return self

    def predict(self, X):
        return self.encoder_.inverse_transform(self.net_.predict(X.astype(np.float32)))


#: Peer methods: name -> factory of (epochs, device, random_state).
PEERS = {
    "logreg_balanced": lambda epochs, device, seed: LogisticRegression(
        class_weight="balanced", max_iter=2000),
    "balanced_rf": lambda epochs, device, seed: BalancedRandomForestClassifier(
        n_estimators=100, sampling_strategy="all", replacement=True, bootstrap=False,
        random_state=seed, n_jobs=1),
    "skorch_mlp": lambda epochs, device, seed: _PlainSkorchMLP(epochs, device, seed),
}


#: Named imbsk settings that are not a ``rebalance`` alias: name -> factory of
#: (epochs, device, random_state).
VARIANTS = {
    # the estimator with every default (max_epochs="auto", n_members="auto", ...): what a
    # user gets from ImbalancedNetClassifier(); ignores ``epochs``
    "default": lambda epochs, device, seed: ImbalancedNetClassifier(device=device,
                                                                    random_state=seed),
    # Menon et al.'s post-hoc logit adjustment (tau = 1) on a plain cross-entropy network
    "posthoc_logit_adjustment": lambda epochs, device, seed: ImbalancedNetClassifier(
        rebalance=None, posthoc_tau=1.0, n_members=1, max_epochs=epochs, device=device,
        random_state=seed),
    # binary only: threshold moving to the training odds (the seed's rule)
    "threshold_prior": lambda epochs, device, seed: ImbalancedNetBinaryClassifier(
        rebalance=None, threshold="prior", n_members=1, max_epochs=epochs, device=device,
        random_state=seed),
    # 8 members trained as one (imbsk.engine), each in its own order; probabilities averaged
    "inverse_x8": lambda epochs, device, seed: ImbalancedNetClassifier(
        rebalance="inverse", n_members=8, member_sampling="shuffle", max_epochs=epochs,
        device=device, random_state=seed),
    # balanced bagging: 8 members, each on its own balanced bootstrap, plain cross-entropy
    "balanced_bagging_x8": lambda epochs, device, seed: ImbalancedNetClassifier(
        rebalance=None, n_members=8, member_sampling="balanced_bootstrap", max_epochs=epochs,
        device=device, random_state=seed),
    # binary only: scikit-learn's threshold tuning on 5 internal folds (balanced accuracy)
    "tuned_threshold": lambda epochs, device, seed: TunedThresholdClassifierCV(
        ImbalancedNetBinaryClassifier(rebalance=None, n_members=1, max_epochs=epochs,
                                      device=device, random_state=seed),
        scoring="balanced_accuracy", cv=5, random_state=seed),
}


def make_method(name, *, epochs, device="cpu", random_state=0):
    """An unfitted estimator for a strategy alias or a peer name.

    Parameters
    ----------
    name : str
        A key of :data:`imbsk.rebalance.ALIASES`, :data:`VARIANTS` or :data:`PEERS`.
    epochs : int
        Training epochs of the neural networks.
    device : str, default="cpu"
    random_state : int, default=0

    Returns
    -------
    estimator

    Examples
    --------
    >>> make_method("cb_focal", epochs=5).rebalance
    'cb_focal'
    """
    from .rebalance import ALIASES

    if name in PEERS:
        return PEERS[name](epochs, device, random_state)
    if name in VARIANTS:
        return VARIANTS[name](epochs, device, random_state)
    if name not in ALIASES:
        valid = sorted(ALIASES) + sorted(VARIANTS) + sorted(PEERS)
        raise ValueError(f"Unknown strategy {name!r}; valid names are {valid}.")
    return ImbalancedNetClassifier(rebalance=None if name == "none" else name, n_members=1,
                                   max_epochs=epochs, device=device, random_state=random_state)


def _preprocessor(X):
    nominal = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in nominal]
    return ColumnTransformer([
        ("nominal", OneHotEncoder(handle_unknown="ignore", sparse_output=False), nominal),
        ("numeric", StandardScaler(), numeric),
    ])


def _check_names(given, valid, what):
    unknown = [g for g in given if g not in valid]
    if unknown:
        raise ValueError(f"Unknown {what} {unknown}; valid ones are {sorted(valid)}.")


#: Text of imbsk's warning after a fit whose network predicts one class for every
#: validation row (:func:`imbsk.scoring.warn_about_fit`): such fits are named one by one.
ONE_CLASS = "predicts one class"
#: Columns of the warnings table of :func:`run_benchmark` (``return_warnings=True``).
WARNING_COLUMNS = ["dataset", "method", "fold", "category", "message", "location"]


def _recording(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and the warnings it raised, none of them shown.

    Each warning is a ``(message, category, filename, lineno)`` tuple: plain data, so a
    fit run in a joblib or Dask worker process can send its warnings back with its scores.
    ``warnings.catch_warnings`` changes process-wide state: call this in one thread at a
    time (processes are fine).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every one, not once per location
        value = function(*args, **kwargs)
    return value, [(w.message, w.category, w.filename, w.lineno) for w in caught]


def _fit_and_score(method, X_train, y_train, X_test, y_test, *, epochs, device, random_state):
    """Fit one method on one training fold; its fit seconds and test-fold scores."""
    estimator = make_method(method, epochs=epochs, device=device, random_state=random_state)
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    predicted = estimator.predict(X_test)
    return {"fit_seconds": seconds, "predicted_classes": len(np.unique(predicted)),
            **{metric: function(y_test, predicted) for metric, function in METRICS.items()}}


def _split(X, train, test):
    """The training and test rows of ``X``, preprocessed as fitted on the training rows."""
    prep = _preprocessor(X).fit(X.iloc[train])
    return (prep.transform(X.iloc[train]).astype(np.float32),
            prep.transform(X.iloc[test]).astype(np.float32))


def _warning_rows(caught, dataset, method, fold):
    return [{"dataset": dataset, "method": method, "fold": fold, "category": category.__name__,
             "message": str(message), "location": f"{filename}:{lineno}"}
            for message, category, filename, lineno in caught]


def _show(caught):
    """Show recorded warnings as Python would have, once per message and location."""
    registry = {}
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno, registry=registry)


def run_benchmark(datasets=None, strategies=DEFAULT_STRATEGIES, peers=tuple(PEERS), *,
                  folds=5, epochs=30, device="cpu", random_state=0, progress=True,
                  return_warnings=False):
    """Cross-validate every method on every dataset.

    Warnings raised while preprocessing a fold or fitting, predicting and scoring a method
    are recorded, not shown while the progress bar runs: with ``return_warnings=True``
    they come back as a table; otherwise they are shown when the run ends.

    Parameters
    ----------
    datasets : list of str or None, default=None
        KEEL names (:func:`imbsk.datasets.list_keel`); None means all twelve.
    strategies : sequence of str, default=DEFAULT_STRATEGIES
        imbsk ``rebalance`` aliases (``"none"`` for no re-balancing) or :data:`VARIANTS`.
    peers : sequence of str, default=all of PEERS
    folds : int, default=5
        Stratified folds (shuffled with ``random_state``).
    epochs : int, default=30
    device : str, default="cpu"
    random_state : int, default=0
    progress : bool, default=True
        Show a tqdm progress bar.
    return_warnings : bool, default=False
        Also return the warnings, instead of showing them.

    Returns
    -------
    results : DataFrame
        One row per dataset, method and fold, with the three metrics, fit seconds and
        ``predicted_classes`` (how many classes the test-fold predictions hold: 1 for a
        method that predicts one class for every test row).
    warnings : DataFrame
        Only with ``return_warnings=True``: one row per warning, with the columns of
        :data:`WARNING_COLUMNS` (``method`` is ``"preprocessing"`` for a fold's
        preprocessing; ``location`` is the ``file:line`` that raised it).

    Examples
    --------
    >>> res = run_benchmark(["glass2"], ["inverse"], peers=[], folds=2, epochs=2,
    ...                     progress=False, return_warnings=True)[0]
    >>> sorted(res.columns)[:3]
    ['balanced_accuracy', 'dataset', 'fit_seconds']
    """
    from .rebalance import ALIASES

    datasets = list_keel() if datasets is None else list(datasets)
    _check_names(datasets, list_keel(), "dataset(s)")
    _check_names(strategies, [*ALIASES, *VARIANTS], "strategy(ies)")
    _check_names(peers, PEERS, "peer(s)")
    methods = list(strategies) + list(peers)
    rows, caught, warning_rows = [], [], []
    with tqdm(total=len(datasets) * folds * len(methods), disable=not progress,
              desc="imbsk benchmark", unit="fit") as bar:
        for name in datasets:
            X, y = load_keel(name, return_X_y=True)
            y = y.to_numpy()
            cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
            for fold, (train, test) in enumerate(cv.split(X, y)):
                (X_train, X_test), fold_caught = _recording(_split, X, train, test)
                caught += fold_caught
                warning_rows += _warning_rows(fold_caught, name, "preprocessing", fold)
                for method in methods:
                    bar.set_postfix_str(f"{name} {method}")
                    scores, fit_caught = _recording(
                        _fit_and_score, method, X_train, y[train], X_test, y[test],
                        epochs=epochs, device=device, random_state=random_state + fold)
                    rows.append({"dataset": name, "method": method, "fold": fold, **scores})
                    caught += fit_caught
                    warning_rows += _warning_rows(fit_caught, name, method, fold)
                    bar.update()
    results = pd.DataFrame(rows)
    if return_warnings:
        return results, pd.DataFrame(warning_rows, columns=WARNING_COLUMNS)
    _show(caught)
    return results


def warning_summary(warnings_table):
    """The one-class fits, and the other warnings counted by kind.

    A kind is a warning category raised at one ``file:line``, whatever its message's
    details (class labels, numbers).

    Parameters
    ----------
    warnings_table : DataFrame
        The warnings table of :func:`run_benchmark` (``return_warnings=True``).

    Returns
    -------
    one_class : DataFrame
        The (method, dataset, fold) of every fit after which an imbsk network predicted
        one class for every validation row (:data:`ONE_CLASS`), sorted.
    others : DataFrame
        One row per kind of the other warnings, most frequent first: ``category``,
        ``message`` (the first one raised), ``fits`` (how many fits raised it), ``count``
        (how many times) and ``methods`` (which, comma-separated).

    Examples
    --------
    >>> table = pd.DataFrame({"dataset": "glass2", "method": ["inverse", "logreg"],
    ...                       "fold": 0, "category": ["UserWarning", "ConvergenceWarning"],
    ...                       "message": ["... predicts one class (negative) ...", "lbfgs"],
    ...                       "location": ["a.py:1", "b.py:2"]})
    >>> one_class, others = warning_summary(table)
    >>> one_class.to_dict("records")
    [{'method': 'inverse', 'dataset': 'glass2', 'fold': 0}]
    >>> others[["category", "fits", "count", "methods"]].to_dict("records")
    [{'category': 'ConvergenceWarning', 'fits': 1, 'count': 1, 'methods': 'logreg'}]
    """
    is_one_class = warnings_table["message"].str.contains(ONE_CLASS, regex=False)
    fit = ["method", "dataset", "fold"]
    one_class = (warnings_table.loc[is_one_class, fit].drop_duplicates()
                 .sort_values(fit).reset_index(drop=True))
    kinds = []
    for (category, _), rows in warnings_table[~is_one_class].groupby(["category", "location"],
                                                                     sort=False):
        kinds.append({"category": category, "message": rows["message"].iloc[0],
                      "fits": len(rows[fit].drop_duplicates()), "count": len(rows),
                      "methods": ", ".join(dict.fromkeys(rows["method"]))})
    others = pd.DataFrame(kinds, columns=["category", "message", "fits", "count", "methods"])
    return one_class, others.sort_values("count", ascending=False, kind="stable")


def summarize(results, datasets=None):
    """Per method: kind, mean and fold standard deviation of each metric, and the mean rank.

    On each dataset the folds give a mean and a standard deviation (``ddof=1``) of each
    metric; the table holds, per method, the mean over datasets of both (columns
    ``<metric>`` and ``<metric>_std``). The rank is taken per dataset on mean balanced
    accuracy over folds (1 = best, ties share the mean rank), then averaged over datasets.
    ``kind`` is ``"peer"`` for a method of :data:`PEERS` and ``"imbsk"`` otherwise.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`run_benchmark`.
    datasets : list of str or None
        Restrict to these datasets.

    Returns
    -------
    table : DataFrame indexed by method, sorted by mean rank (best first).

    Examples
    --------
    >>> results = pd.DataFrame({"dataset": "d", "method": ["a", "a", "b", "b"],
    ...                         "fold": [0, 1, 0, 1], "balanced_accuracy": [0.6, 0.8, 0.9, 0.9],
    ...                         "g_mean": 0.5, "macro_f1": 0.5})
    >>> columns = ["kind", "balanced_accuracy", "balanced_accuracy_std", "mean_rank"]
    >>> print(summarize(results)[columns].round(3))  # doctest: +NORMALIZE_WHITESPACE
             kind  balanced_accuracy  balanced_accuracy_std  mean_rank
    method
    b       imbsk                0.9                  0.000        1.0
    a       imbsk                0.7                  0.141        2.0
    """
    if datasets is not None:
        results = results[results["dataset"].isin(datasets)]
    folds = results.groupby(["dataset", "method"])[list(METRICS)]
    means, spreads = folds.mean(), folds.std()
    ranks = (means["balanced_accuracy"].groupby(level="dataset")
             .rank(ascending=False).groupby(level="method").mean())
    table = means.groupby(level="method").mean().join(
        spreads.groupby(level="method").mean().add_suffix("_std"))
    table = table[[column for metric in METRICS for column in (metric, f"{metric}_std")]]
    table.insert(0, "kind", np.where(table.index.isin(list(PEERS)), "peer", "imbsk"))
    table["mean_rank"] = ranks
    return table.sort_values("mean_rank", kind="stable")


def _by_imbalance_ratio(names):
    """KEEL names in :func:`imbsk.datasets.list_keel` order, other names after them."""
    order = {name: i for i, name in enumerate(list_keel())}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def per_dataset_table(results, metric="balanced_accuracy", aggfunc="mean"):
    """``metric`` aggregated over folds: one row per dataset, one column per method.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`run_benchmark`.
    metric : str, default="balanced_accuracy"
        A column of ``results``.
    aggfunc : {"mean", "std"}, default="mean"
        Mean over folds, or their standard deviation (``ddof=1``).

    Returns
    -------
    table : DataFrame
        Rows in imbalance-ratio order (:func:`imbsk.datasets.list_keel`; other names
        after them), columns sorted by name.

    Examples
    --------
    >>> results = pd.DataFrame({"dataset": ["yeast5", "yeast5", "pima", "pima"],
    ...                         "method": "a", "fold": [0, 1, 0, 1],
    ...                         "balanced_accuracy": [0.6, 0.8, 0.7, 0.7]})
    >>> per_dataset_table(results).round(2).to_dict()
    {'a': {'pima': 0.7, 'yeast5': 0.7}}
    >>> per_dataset_table(results, aggfunc="std").round(3)["a"].tolist()
    [0.0, 0.141]
    """
    if aggfunc not in ("mean", "std"):
        raise ValueError(f"aggfunc must be 'mean' or 'std', got {aggfunc!r}.")
    table = results.pivot_table(index="dataset", columns="method", values=metric,
                                aggfunc=aggfunc)
    return table.reindex(_by_imbalance_ratio(table.index))


def _paired_outcome(scores, reference, alpha):
    """"wins", "ties" or "losses" of ``scores`` against ``reference``, paired by fold."""
    scores, reference = np.asarray(scores, dtype=float), np.asarray(reference, dtype=float)
    paired = ~(np.isnan(scores) | np.isnan(reference))
    scores, reference = scores[paired], reference[paired]
    if len(scores) < 2 or np.array_equal(scores, reference):
        return "ties"
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # constant differences give t = +-inf (p = 0); near-constant ones a precision warning
        warnings.simplefilter("ignore", RuntimeWarning)
        pvalue = ttest_rel(scores, reference).pvalue
    if not pvalue < alpha:  # also NaN
        return "ties"
    return "wins" if scores.mean() > reference.mean() else "losses"


def win_tie_loss(results, reference, metric="balanced_accuracy", alpha=0.05):
    """Per method, on how many datasets it beats, ties with or loses to ``reference``.

    On each dataset the fold scores of a method and of ``reference`` are paired by fold and
    compared with a two-sided paired t-test (:func:`scipy.stats.ttest_rel`): a win when the
    method is better with p < ``alpha``, a loss when it is worse with p < ``alpha``, a tie
    otherwise (also when every fold difference is zero, or fewer than two folds pair up).
    With few folds the test has little power, so most outcomes are ties.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`run_benchmark`.
    reference : str
        The method to compare against (e.g. the best peer).
    metric : str, default="balanced_accuracy"
    alpha : float, default=0.05

    Returns
    -------
    table : DataFrame
        Indexed by the other methods, with integer columns ``wins``, ``ties``, ``losses``
        that add up to the number of datasets.

    Examples
    --------
    >>> results = pd.DataFrame({"dataset": "d", "method": ["a"] * 3 + ["ref"] * 3,
    ...                         "fold": [0, 1, 2] * 2,
    ...                         "balanced_accuracy": [0.9, 0.91, 0.92, 0.6, 0.62, 0.61]})
    >>> win_tie_loss(results, "ref").to_dict("index")
    {'a': {'wins': 1, 'ties': 0, 'losses': 0}}
    """
    methods = set(results["method"])
    if reference not in methods:
        raise ValueError(f"reference {reference!r} is not a method of the results; "
                         f"choose one of {sorted(methods)}.")
    scores = results.pivot_table(index=["dataset", "fold"], columns="method", values=metric)
    others = [method for method in scores.columns if method != reference]
    counts = pd.DataFrame(0, index=pd.Index(others, name="method"),
                          columns=["wins", "ties", "losses"])
    for _, folds in scores.groupby(level="dataset"):
        for method in others:
            counts.loc[method, _paired_outcome(folds[method], folds[reference], alpha)] += 1
    return counts
