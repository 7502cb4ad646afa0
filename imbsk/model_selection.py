"""Hyper-parameter searches that train many candidates x folds as one stacked network.

:class:`BatchedGridSearchCV`, :class:`BatchedRandomizedSearchCV`,
:class:`BatchedHalvingGridSearchCV` and :class:`BatchedHalvingRandomSearchCV` are
scikit-learn's ``GridSearchCV`` / ``RandomizedSearchCV`` / successive-halving searches
(same parameters, ``cv_results_``, ``best_params_``, ``best_estimator_``, ``refit``,
multi-metric ``scoring``): the scoring, ranking and refit are scikit-learn's own. Each
time scikit-learn evaluates candidates (once, or once per halving rung),
those that differ only in what the stacked engine (:mod:`imbsk.engine`) vectorises --
``beta``, ``gamma``, ``alpha``, ``posthoc_tau``, ``threshold``, ``random_state`` and a
loss-level ``rebalance`` -- are trained, for every fold at once, as the members of one
stacked network; scikit-learn then finds each (candidate, fold) already fitted. Every other
candidate is an ordinary fit, as in ``GridSearchCV``.

Each member is set up exactly as the independent fit it replaces (its seed, internal
validation split, class counts, loss and output bias come from a zero-epoch fit of that
candidate on that fold's training rows: the member protocol,
:meth:`~imbsk.engine.protocol.MembersMixin.plan_members`, shared by the candidates of a
fold that differ only in their loss) and trains only on those rows.
An estimator with members (the default: five cross-fitted members) brings each of them:
member k of a candidate trains on its rows of the fold and keeps the weights of its best
epoch on the rest of the fold, as in an ordinary fit of that candidate.
"""

import dataclasses
import hashlib
import inspect
import itertools
import time

import joblib
import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 (public switch)
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, \
    HalvingRandomSearchCV, ParameterGrid, ParameterSampler, RandomizedSearchCV
from sklearn.utils import indexable

from ._compat import safe_indexing
from ._validation import validate_features
from .devices import resolve_device, seeded, torch_threads
from .engine import train_members
from .engine.protocol import LOSS_PARAMETERS, STACKED_PARAMETERS

__all__ = ["BatchedGridSearchCV", "BatchedHalvingGridSearchCV", "BatchedHalvingRandomSearchCV",
           "BatchedRandomizedSearchCV"]

#: Parameters the stacked engine varies per member (posthoc_tau and threshold only act on
#: predictions: candidates differing in them share one trained member).
VECTORISED = STACKED_PARAMETERS
_PREDICTION_ONLY = ("posthoc_tau", "threshold")


def _key(params):
    """A content key of a parameter dict (clones of one value give the same key)."""
    try:
        return joblib.hash(sorted(params.items()))
    except Exception:  # noqa: BLE001 (an unpicklable value: its repr)
        return repr(sorted(params.items()))


def _trained(params):
    """A candidate's parameters without the prediction-only ones: what its members train
    with (candidates equal in them share one trained member)."""
    return {k: v for k, v in params.items() if k not in _PREDICTION_ONLY}


def _rows_key(X):
    """A content key of a fold's training rows (``X`` alone: the folds' rows differ)."""
    return joblib.hash(X)


def _stacking_signature(estimator):
    """The estimator's :meth:`~imbsk.engine.protocol.MembersMixin.stacking_key`, or None
    for an estimator that is not an imbsk one."""
    key = getattr(estimator, "stacking_key", None)
    return None if key is None else key()


class _FittedResults:
    """Fitted members shared by the search's clones (never copied by ``clone``)."""

    def __init__(self):
        self.fitted = {}

    def __deepcopy__(self, memo):
        return self


class _PrefittedEstimator(ClassifierMixin, BaseEstimator):
    """The search's stand-in for the estimator: its ``fit`` returns the member trained in
    the stack for these parameters and rows, or fits the estimator as usual."""

    def __init__(self, estimator, results):
        self.estimator = estimator
        self.results = results

    def set_params(self, **params):
        own = {k: params.pop(k) for k in ("estimator", "results") if k in params}
        if own:
            super().set_params(**own)
        if params:
            self._candidate = _key(params)
            self.estimator.set_params(**params)  # a clone already (sklearn clones us)
        return self

    def get_params(self, deep=True):
        return {"estimator": self.estimator, "results": self.results}

    def fit(self, X, y=None, **fit_params):
        key = (getattr(self, "_candidate", None), _rows_key(X))
        fitted = self.results.fitted.get(key)
        if fitted is not None and not fit_params:
            # shares the network; prediction settings are its own (not copy.copy: a
            # skorch net's __getstate__ serialises its module)
            member = object.__new__(type(fitted))
            member.__dict__.update(fitted.__dict__)
            p = self.estimator.get_params(deep=False)
            for name in _PREDICTION_ONLY:
                if name in p:
                    setattr(member, name, p[name])
            self.fitted_ = member
        else:
            self.fitted_ = clone(self.estimator).fit(X, y, **fit_params)
        return self

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()

    @property
    def classes_(self):
        return self.fitted_.classes_

    def predict(self, X):
        return self.fitted_.predict(X)

    def predict_proba(self, X):
        return self.fitted_.predict_proba(X)

    def predict_log_proba(self, X):
        return self.fitted_.predict_log_proba(X)

    def decision_function(self, X):
        return self.fitted_.decision_function(X)


def _member_shell(template, params, X_fold, y_fold, plans=()):
    """The candidate set up on the fold, untrained, its members and the fold's class
    codes: by the member protocol's
    :meth:`~imbsk.engine.protocol.MembersMixin.plan_members`, or derived from one of
    ``plans`` (candidates of the same fold differing only in their loss: ``(shell,
    members, codes)``) when the protocol can (``plan_members_like``).

    Returns ``(shell, members, codes, planned)``: ``planned`` is whether it was planned
    (not derived)."""
    shell = clone(template).set_params(**params)
    for planned, members, codes in plans:
        derived = shell.plan_members_like(planned, members)
        if derived is not None:
            return (*derived, codes, False)
    members, codes = shell.plan_members(X_fold, y_fold)
    return shell, members, codes, True


def _train_batch(template, jobs, X, y, folds):
    """Train one stack: ``jobs`` are (candidate params, fold index) pairs; each candidate's
    members (its ``n_members``) are members of the stack.

    Returns a list of (job, fitted estimator, seconds per candidate and fold).
    """
    start = time.perf_counter()
    shells, members, kept, owned = [], [], [], []
    X_all = None
    codes_all = None
    plans = {}  # (fold, parameters but the loss's) -> plans candidates may derive from
    for params, fold in jobs:
        train = folds[fold]
        like = (fold, _key({k: v for k, v in params.items() if k not in LOSS_PARAMETERS}))
        try:
            shell, planned, codes, fresh = _member_shell(
                template, params, safe_indexing(X, train), safe_indexing(y, train),
                plans.get(like, []))
        except Exception:  # noqa: BLE001 (an ordinary fit reports it, as GridSearchCV does)
            continue
        if fresh:
            plans.setdefault(like, []).append((shell, planned, codes))
        planned = [dataclasses.replace(m) for m in planned]  # mapped to rows of X below
        if X_all is None:
            X_all = torch.as_tensor(np.asarray(validate_features(shell, X), dtype=np.float32))
            codes_all = torch.zeros(len(X_all), dtype=torch.long)
            classes = shell.classes_
        elif not np.array_equal(shell.classes_, classes):
            continue  # a fold missing a class: an ordinary fit (it reports the problem)
        codes_all[torch.as_tensor(train)] = torch.as_tensor(codes)
        for member in planned:  # fold positions -> rows of X
            member.rows = train[member.rows]
            if member.valid_rows is not None:
                member.valid_rows = train[member.valid_rows]
        owned.append(np.arange(len(members), len(members) + len(planned)))
        shells.append(shell)
        members.extend(planned)
        kept.append((params, fold))
    if not shells:
        return []
    first = shells[0]
    epochs = first.max_epochs_  # resolved by the planned fit (the stack is grouped by it)
    # torch_threads: a number is the user's (e.g. 1 beside a busy core); "auto" leaves a
    # stack of many networks on torch's threads
    threads = None if first.torch_threads == "auto" else first.torch_threads
    with seeded(_stack_seed(members)), torch_threads(threads):
        trained = train_members(
            X_all, codes_all, members, link=first.probability_link,
            make_optimizer=first.make_optimizer, batch_size=first.batch_size_,
            max_epochs=epochs, device=resolve_device(first.device))
    for shell, index in zip(shells, owned):
        with torch.no_grad():
            if len(index) == 1:
                shell.adopt_members(trained.module.member(int(index[0])),
                                    trained.train_losses[:, index[0]])
            else:
                shell.adopt_members(trained.module.select(index),
                                    trained.train_losses[:, index],
                                    trained.valid_losses[:, index], trained.best_epochs[index])
    seconds = (time.perf_counter() - start) / len(jobs)
    return list(zip(kept, shells, [seconds] * len(shells)))


def _stack_seed(members):
    """A seed for what members draw together (dropout): a function of their streams."""
    digest = hashlib.sha256(b"".join(m.rng_state.numpy().tobytes() for m in members))
    return int.from_bytes(digest.digest()[:4], "little")


def _chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


class _FrozenSplits:
    """The splits the members were trained on, handed to scikit-learn's evaluation (a
    splitter drawing new rows per call, such as a halving rung's subsample, would not
    give them again)."""

    def __init__(self, splits):
        self.splits = splits

    def split(self, X=None, y=None, groups=None, **params):
        return iter(self.splits)

    def get_n_splits(self, X=None, y=None, groups=None, **params):
        return len(self.splits)


class _BatchedSearchMixin:
    """Each evaluation of candidates first trains the stackable ones in stacks; scikit-
    learn's evaluation then finds them fitted."""

    def _all_candidates(self):
        """The candidates (a random search's draws; a sample of 32 when the number is
        resolved during the search): whether all can be stacked decides whether the
        scoring of fitted members runs in this process."""
        if hasattr(self, "param_grid"):
            return ParameterGrid(self.param_grid)
        return ParameterSampler(self.param_distributions, getattr(self, "n_iter", 32),
                                random_state=self.random_state)

    def _check_input_parameters(self, X, y, split_params):
        # successive halving checks that the resource is a parameter of the user's
        # estimator (during fit, estimator is the stand-in)
        wrapper, self.estimator = self.estimator, self._searched_estimator()
        try:
            return super()._check_input_parameters(X, y, split_params)
        finally:
            self.estimator = wrapper

    def _searched_estimator(self):
        """The user's estimator (during ``fit``, ``estimator`` is the stand-in)."""
        estimator = self.estimator
        return estimator.estimator if isinstance(estimator, _PrefittedEstimator) else estimator

    def _batched_jobs(self, candidates, X, y, folds):
        """Group the (candidate, fold) members into stacks: a list of job lists.

        Members of one stack share everything but the vectorised parameters, and train the
        same number of epochs in batches of the same size (``max_epochs="auto"`` and
        ``batch_size="auto"`` resolve per fold size).
        """
        groups = {}
        for params in candidates:
            estimator = clone(self._searched_estimator()).set_params(**params)
            signature = _stacking_signature(estimator)
            if signature is None:
                continue
            trained = _trained(params)
            width = estimator.members_per_fit()
            for fold, train in enumerate(folds):
                budget = (estimator.training_epochs(len(train)),
                          estimator.training_batch_size(len(train)))
                groups.setdefault((signature, budget), []).append((trained, fold, width))
        n_tasks = max(1, joblib.effective_n_jobs(self.n_jobs))
        batches = []
        for jobs in groups.values():
            jobs = list({(_key(p), f): (p, f, w) for p, f, w in jobs}.values())  # one per config
            width = max(w for _, _, w in jobs)  # networks per (candidate, fold)
            size = min(max(self.members_per_batch // width, 1), -(-len(jobs) // n_tasks))
            batches += _chunks([(p, f) for p, f, _ in jobs], max(size, 1))
        return batches

    def _train_stacks(self, candidates, X, y, splits, results):
        """Train the stackable (candidate, fold) pairs; file them in ``results``.

        Returns the seconds each candidate's fold took (None: an ordinary fit).
        """
        folds = [np.asarray(train) for train, _ in splits]
        batches = self._batched_jobs(candidates, X, y, folds)
        if self.verbose and batches:
            n = sum(len(b) for b in batches)
            print(f"Training {n} (candidate, fold) members in {len(batches)} stack(s)")
        template = clone(self._searched_estimator())
        out = joblib.Parallel(n_jobs=self.n_jobs,
                              pre_dispatch=getattr(self, "pre_dispatch", "2*n_jobs"))(
            joblib.delayed(_train_batch)(template, jobs, X, y, folds) for jobs in batches)
        fold_keys = [_rows_key(safe_indexing(X, train)) for train in folds]
        sharing = {}  # a trained configuration -> the candidates it serves
        for candidate in candidates:
            sharing.setdefault(_key(_trained(candidate)), []).append(_key(candidate))
        seconds_of = {}
        for (params, fold), fitted, seconds in itertools.chain.from_iterable(out):
            for candidate_key in sharing[_key(params)]:
                results.fitted[(candidate_key, fold_keys[fold])] = fitted
                seconds_of[(candidate_key, fold)] = seconds
        times = []
        for candidate in candidates:
            per_fold = [seconds_of.get((_key(candidate), f)) for f in range(len(folds))]
            times.append(per_fold if all(t is not None for t in per_fold) else None)
        return times

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        X, y, groups, results, times = self._search_data

        def evaluate(candidate_params, cv=None, more_results=None, **kwargs):
            candidate_params = list(candidate_params)
            by_group = {} if groups is None else {"groups": groups}
            splits = list((cv or self._checked_cv_orig).split(X, y, **by_group))
            if results is not None:
                times.extend(self._train_stacks(candidate_params, X, y, splits, results))
            return evaluate_candidates(candidate_params, _FrozenSplits(splits),
                                       more_results, **kwargs)

        if "callback_ctx" in inspect.signature(super()._run_search).parameters:
            return super()._run_search(evaluate, callback_ctx=callback_ctx)
        return super()._run_search(evaluate)  # scikit-learn before callbacks

    def fit(self, X, y=None, **params):
        """Run the search: stacked training of the batchable candidates, then scikit-learn's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        **params
            As ``GridSearchCV.fit``; ``groups`` goes to the splitter. Other fit
            parameters (e.g. ``sample_weight``) make every candidate an ordinary fit.

        Returns
        -------
        self
        """
        X, y = indexable(X, y)
        extra = {k: v for k, v in params.items() if k != "groups"}
        stacking = not extra and not sp.issparse(X) and y is not None
        results = _FittedResults() if stacking else None
        times = []
        all_stacked = stacking and all(
            _stacking_signature(clone(self.estimator).set_params(**c)) is not None
            for c in self._all_candidates())
        estimator, n_jobs = self.estimator, self.n_jobs
        try:
            self._search_data = (X, y, params.get("groups"), results, times)
            if stacking:
                self.estimator = _PrefittedEstimator(estimator, results)
            if all_stacked:  # scoring fitted members: nothing to gain from processes
                self.n_jobs = None
            super().fit(X, y, **params)
        finally:
            self.estimator, self.n_jobs = estimator, n_jobs
            del self._search_data
        if hasattr(self, "best_estimator_") and stacking:
            self.best_estimator_ = self.best_estimator_.fitted_
        self._report_member_times(times)
        return self

    def _report_member_times(self, times):
        """``mean/std_fit_time`` of stacked candidates: their share of the stack's time
        (``times``: per row of ``cv_results_``, the seconds of each fold, or None)."""
        mean, std = self.cv_results_["mean_fit_time"].copy(), \
            self.cv_results_["std_fit_time"].copy()
        for i, per_fold in enumerate(times):
            if per_fold is not None:
                mean[i], std[i] = np.mean(per_fold), np.std(per_fold)
        self.cv_results_["mean_fit_time"], self.cv_results_["std_fit_time"] = mean, std


_EXTRA_DOC = """
    members_per_batch : int, default=512
        The most networks trained in one stack: each (candidate, fold) brings its
        estimator's members (five for the default ``n_members="auto"``); more make more
        stacks. With ``n_jobs``, the members are spread over at least as many
        stacks as jobs (each stack is one joblib task: processes, or Dask workers under
        ``joblib.parallel_backend("dask")``).
"""


class BatchedGridSearchCV(_BatchedSearchMixin, GridSearchCV):
    __doc__ = """``GridSearchCV`` that trains candidates x folds as one stacked network.

    The parameters and fitted attributes are ``GridSearchCV``'s (see its documentation),
    plus ``members_per_batch``. Candidates that differ only in ``beta``, ``gamma``,
    ``alpha``, ``posthoc_tau``, ``threshold``, ``random_state`` or a loss-level
    ``rebalance`` (``None``, ``"inverse"``, ``"sqrt_inverse"``, ``"effective_number"``,
    ``"focal"``, ``"cb_focal"``, ``"logit_adjusted"``, ``"balanced_softmax"``,
    ``"ldam"``) of an imbsk estimator with the built-in MLP train together, every fold at
    once; any other candidate (a sampling strategy, ``module=``, callbacks, a pipeline,
    ...) is an ordinary fit. ``cv_results_["mean_fit_time"]`` of a stacked candidate is its
    share of its stack's time.

    Parameters
    ----------
    estimator, param_grid, scoring, n_jobs, refit, cv, verbose, pre_dispatch, \
error_score, return_train_score
        As :class:`sklearn.model_selection.GridSearchCV`. An estimator with members
        (the default ``n_members="auto"``: five cross-fitted members per fit) brings all
        of them to the stack: each member trains on its rows of the fold and keeps its
        best epoch on its part of the fold, as in an ordinary fit.
""" + _EXTRA_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, n_features=5, weights=[0.85], random_state=0)
    >>> search = BatchedGridSearchCV(
    ...     ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=3, n_members=1,
    ...                             random_state=0),
    ...     {"beta": [0.9, 0.99], "gamma": [0.0, 2.0]}, scoring="balanced_accuracy", cv=3)
    >>> sorted(search.fit(X, y).best_params_)
    ['beta', 'gamma']
    """

    def __init__(self, estimator, param_grid, *, scoring=None, n_jobs=None, refit=True,
                 cv=None, verbose=0, pre_dispatch="2*n_jobs", error_score=np.nan,
                 return_train_score=False, members_per_batch=512):
        super().__init__(estimator, param_grid, scoring=scoring, n_jobs=n_jobs, refit=refit,
                         cv=cv, verbose=verbose, pre_dispatch=pre_dispatch,
                         error_score=error_score, return_train_score=return_train_score)
        self.members_per_batch = members_per_batch


class BatchedRandomizedSearchCV(_BatchedSearchMixin, RandomizedSearchCV):
    __doc__ = """``RandomizedSearchCV`` that trains candidates x folds as one stacked network.

    As :class:`BatchedGridSearchCV`, with the candidates drawn as
    :class:`sklearn.model_selection.RandomizedSearchCV` draws them.

    Parameters
    ----------
    estimator, param_distributions, n_iter, scoring, n_jobs, refit, cv, verbose, \
pre_dispatch, random_state, error_score, return_train_score
        As :class:`sklearn.model_selection.RandomizedSearchCV`.
""" + _EXTRA_DOC + """
    Examples
    --------
    >>> from scipy.stats import loguniform, uniform
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, n_features=5, weights=[0.85], random_state=0)
    >>> search = BatchedRandomizedSearchCV(
    ...     ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=3, n_members=1,
    ...                             random_state=0),
    ...     {"beta": uniform(0.9, 0.0999), "gamma": uniform(0, 3)}, n_iter=4, cv=3,
    ...     scoring="balanced_accuracy", random_state=0)
    >>> len(search.fit(X, y).cv_results_["params"])
    4
    """

    def __init__(self, estimator, param_distributions, *, n_iter=10, scoring=None,
                 n_jobs=None, refit=True, cv=None, verbose=0, pre_dispatch="2*n_jobs",
                 random_state=None, error_score=np.nan, return_train_score=False,
                 members_per_batch=512):
        super().__init__(estimator, param_distributions, n_iter=n_iter, scoring=scoring,
                         n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
                         pre_dispatch=pre_dispatch, random_state=random_state,
                         error_score=error_score, return_train_score=return_train_score)
        self.members_per_batch = members_per_batch


class BatchedHalvingGridSearchCV(_BatchedSearchMixin, HalvingGridSearchCV):
    __doc__ = """``HalvingGridSearchCV`` whose every rung trains its candidates x folds stacked.

    scikit-learn's successive halving (its parameters, ``cv_results_`` with ``iter`` and
    ``n_resources``, ``n_candidates_``, ``n_resources_``, refit): the candidates of a rung
    are evaluated on that rung's resources, the best ``1 / factor`` of them go on. Each
    rung's stackable candidates train as :class:`BatchedGridSearchCV` trains them (with
    ``resource="n_samples"`` on the rung's subsample of every fold; with an estimator
    parameter such as ``resource="max_epochs"``, with that many epochs); scikit-learn's
    ``fit`` does the rest. Importing :mod:`imbsk.model_selection` enables scikit-learn's
    experimental halving searches (``sklearn.experimental.enable_halving_search_cv``).

    Parameters
    ----------
    estimator, param_grid, factor, resource, max_resources, min_resources, \
aggressive_elimination, cv, scoring, refit, error_score, return_train_score, \
random_state, n_jobs, verbose
        As :class:`sklearn.model_selection.HalvingGridSearchCV`.
""" + _EXTRA_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(400, n_features=5, weights=[0.85], random_state=0)
    >>> search = BatchedHalvingGridSearchCV(
    ...     ImbalancedNetClassifier(rebalance="cb_focal", n_members=1, random_state=0),
    ...     {"beta": [0.9, 0.99, 0.999], "gamma": [0.0, 1.0, 2.0]},
    ...     resource="max_epochs", min_resources=2, max_resources=18, cv=3,
    ...     scoring="balanced_accuracy", random_state=0)
    >>> search.fit(X, y).n_candidates_, search.n_resources_
    ([9, 3, 1], [2, 6, 18])
    """

    def __init__(self, estimator, param_grid, *, factor=3, resource="n_samples",
                 max_resources="auto", min_resources="exhaust", aggressive_elimination=False,
                 cv=5, scoring=None, refit=True, error_score=np.nan, return_train_score=True,
                 random_state=None, n_jobs=None, verbose=0, members_per_batch=512):
        super().__init__(estimator, param_grid, factor=factor, resource=resource,
                         max_resources=max_resources, min_resources=min_resources,
                         aggressive_elimination=aggressive_elimination, cv=cv,
                         scoring=scoring, refit=refit, error_score=error_score,
                         return_train_score=return_train_score, random_state=random_state,
                         n_jobs=n_jobs, verbose=verbose)
        self.members_per_batch = members_per_batch


class BatchedHalvingRandomSearchCV(_BatchedSearchMixin, HalvingRandomSearchCV):
    __doc__ = """``HalvingRandomSearchCV`` whose every rung trains its candidates x folds stacked.

    As :class:`BatchedHalvingGridSearchCV`, with the candidates drawn as
    :class:`sklearn.model_selection.HalvingRandomSearchCV` draws them.

    Parameters
    ----------
    estimator, param_distributions, n_candidates, factor, resource, max_resources, \
min_resources, aggressive_elimination, cv, scoring, refit, error_score, \
return_train_score, random_state, n_jobs, verbose
        As :class:`sklearn.model_selection.HalvingRandomSearchCV`.
""" + _EXTRA_DOC + """
    Examples
    --------
    >>> from scipy.stats import uniform
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(400, n_features=5, weights=[0.85], random_state=0)
    >>> search = BatchedHalvingRandomSearchCV(
    ...     ImbalancedNetClassifier(rebalance="cb_focal", n_members=1, random_state=0),
    ...     {"beta": uniform(0.9, 0.0999), "gamma": uniform(0, 3)}, n_candidates=9,
    ...     resource="max_epochs", min_resources=2, max_resources=18, cv=3,
    ...     scoring="balanced_accuracy", random_state=0)
    >>> search.fit(X, y).n_candidates_, search.n_resources_
    ([9, 3, 1], [2, 6, 18])
    """

    def __init__(self, estimator, param_distributions, *, n_candidates="exhaust", factor=3,
                 resource="n_samples", max_resources="auto", min_resources="smallest",
                 aggressive_elimination=False, cv=5, scoring=None, refit=True,
                 error_score=np.nan, return_train_score=True, random_state=None,
                 n_jobs=None, verbose=0, members_per_batch=512):
        super().__init__(estimator, param_distributions, n_candidates=n_candidates,
                         factor=factor, resource=resource, max_resources=max_resources,
                         min_resources=min_resources,
                         aggressive_elimination=aggressive_elimination, cv=cv,
                         scoring=scoring, refit=refit, error_score=error_score,
                         return_train_score=return_train_score, random_state=random_state,
                         n_jobs=n_jobs, verbose=verbose)
        self.members_per_batch = members_per_batch
