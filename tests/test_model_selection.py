"""BatchedGridSearchCV / BatchedRandomizedSearchCV: scikit-learn's searches, stacked."""

import numpy as np
import pytest
import torch
from scipy.stats import uniform
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, \
    HalvingRandomSearchCV, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import imbsk.model_selection as model_selection
from imbsk.data import _base_and_rows
from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.model_selection import BatchedGridSearchCV, BatchedHalvingGridSearchCV, \
    BatchedHalvingRandomSearchCV, BatchedRandomizedSearchCV

X, Y = make_classification(400, n_features=6, n_informative=4, weights=[0.8],
                           random_state=0)
X = X.astype(np.float32)
X3, Y3 = make_classification(450, n_features=6, n_informative=4, n_classes=3,
                             weights=[0.6, 0.3, 0.1], random_state=2)
X3 = X3.astype(np.float32)
CV = StratifiedKFold(3, shuffle=True, random_state=0)
# one network per candidate (the engine stacks single networks), no dropout: exact members
EXACT = dict(max_epochs=3, module__dropout=0.0, random_state=0, n_members=1)


def _both(estimator, grid, data=(X, Y), scoring="neg_log_loss", **kwargs):
    batched = BatchedGridSearchCV(estimator, grid, scoring=scoring, cv=CV, **kwargs).fit(*data)
    plain = GridSearchCV(estimator, grid, scoring=scoring, cv=CV, **kwargs).fit(*data)
    return batched, plain


def _assert_same_scores(batched, plain, atol=1e-5):
    for key in plain.cv_results_:
        if key.startswith("split") and "test" in key or key.startswith("mean_test"):
            np.testing.assert_allclose(batched.cv_results_[key], plain.cv_results_[key],
                                       atol=atol, err_msg=key)


# one grid per vectorised parameter: the stacked members equal the separate fits
GRIDS = {
    "beta": ("cb_focal", {"beta": [0.9, 0.99, 0.9999]}),
    "gamma": ("focal", {"gamma": [0.0, 0.5, 2.0]}),
    "alpha": ("focal", {"alpha": [None, [0.3, 0.7], [1.0, 3.0]]}),
    "random_state": ("inverse", {"random_state": [0, 1, 2]}),
    "rebalance": (None, {"rebalance": [None, "inverse", "sqrt_inverse", "effective_number",
                                       "cb_focal", "logit_adjusted", "balanced_softmax",
                                       "ldam"]}),
    "posthoc_tau": ("inverse", {"posthoc_tau": [0.0, 1.0]}),
}


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_stacked_candidates_score_as_separate_fits(name, monkeypatch):
    rebalance, grid = GRIDS[name]
    stacks = []
    original = model_selection.train_members
    monkeypatch.setattr(model_selection, "train_members",
                        lambda *a, **k: stacks.append(len(a[2])) or original(*a, **k))
    batched, plain = _both(ImbalancedNetClassifier(rebalance=rebalance, **EXACT), grid)
    _assert_same_scores(batched, plain)
    assert batched.best_params_ == plain.best_params_
    n_trained = len({repr(sorted((k, v) for k, v in p.items() if k != "posthoc_tau"))
                     for p in batched.cv_results_["params"]})
    assert stacks == [n_trained * 3]  # one stack: every trained candidate x fold


def test_optimizer_settings_reach_the_stacked_members():
    """The estimator's optimizer, its options and param groups (the shortcut's here) train
    the stack as they train a separate fit."""
    estimator = ImbalancedNetClassifier(
        rebalance="cb_focal", optimizer=torch.optim.AdamW, optimizer__weight_decay=0.1,
        optimizer__param_groups=[("shortcut.*", {"lr": 0.3})], **EXACT)
    batched, plain = _both(estimator, {"beta": [0.9, 0.999]})
    _assert_same_scores(batched, plain)


def test_binary_head_and_threshold(monkeypatch):
    grid = {"beta": [0.9, 0.999], "gamma": [0.0, 1.0], "threshold": [0.3, 0.5]}
    batched, plain = _both(ImbalancedNetBinaryClassifier(rebalance="cb_focal", **EXACT), grid,
                           scoring="balanced_accuracy")
    _assert_same_scores(batched, plain)


def test_members_weights_equal_separate_fits_per_epoch():
    """Per member: its weights and training losses equal the separate fit's, epoch by epoch."""
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", **{**EXACT, "max_epochs": 4})
    folds = [train for train, _ in CV.split(X3, Y3)]
    jobs = [({"beta": 0.9, "gamma": 0.0, "random_state": 5}, 0),
            ({"beta": 0.999, "gamma": 2.0, "random_state": 6}, 1),
            ({"beta": 0.99, "gamma": 0.5, "rebalance": "logit_adjusted"}, 2)]
    for (params, fold), member, _ in model_selection._train_batch(estimator, jobs, X3, Y3,
                                                                   folds):
        alone = clone(estimator).set_params(**params).fit(X3[folds[fold]], Y3[folds[fold]])
        np.testing.assert_allclose(member.history[:, "train_loss"],
                                   alone.history[:, "train_loss"], rtol=1e-5)
        for key, value in alone.module_.state_dict().items():
            assert torch.allclose(member.module_.state_dict()[key], value, atol=1e-5), key


def test_members_never_see_another_members_rows():
    """A member's rows exclude its fold's test rows and its internal validation rows, and
    changing every other member's data leaves it unchanged."""
    estimator = ImbalancedNetClassifier(rebalance="inverse", **EXACT)
    splits = list(CV.split(X, Y))
    folds = [train for train, _ in splits]
    shell, (member,), codes, _ = model_selection._member_shell(estimator, {}, X[folds[0]],
                                                               Y[folds[0]])
    used = set(folds[0][member.rows])
    assert not used & set(splits[0][1])  # no test row
    _, valid = shell.train_split(shell.get_dataset(X[folds[0]], codes), codes)
    valid_rows = set(folds[0][_base_and_rows(valid)[1].numpy()])
    assert valid_rows and not used & valid_rows  # no internal validation row
    assert used | valid_rows == set(folds[0])
    jobs = [({}, 0), ({"random_state": 1}, 1)]
    first = model_selection._train_batch(estimator, jobs, X, Y, folds)[0][1]
    scrambled_x = X.copy()
    others = np.setdiff1d(np.arange(len(X)), folds[0])  # rows member 0 may never touch
    scrambled_x[others] = np.random.default_rng(0).normal(size=(len(others), X.shape[1]))
    again = model_selection._train_batch(estimator, jobs, scrambled_x, Y, folds)[0][1]
    for key, value in first.module_.state_dict().items():
        assert torch.equal(again.module_.state_dict()[key], value), key


def test_results_api_matches_grid_search():
    grid = {"beta": [0.9, 0.999], "gamma": [0.0, 2.0]}
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=3, random_state=0,
                                        n_members=1)
    batched, plain = _both(estimator, grid, data=(X3, Y3), scoring="balanced_accuracy",
                           return_train_score=True)
    assert sorted(batched.cv_results_) == sorted(plain.cv_results_)
    assert isinstance(batched.best_estimator_, ImbalancedNetClassifier)
    assert batched.best_estimator_.get_params()["beta"] == batched.best_params_["beta"]
    assert batched.predict(X3).shape == (len(X3),)
    assert batched.n_splits_ == 3 and batched.multimetric_ is False
    assert np.all(batched.cv_results_["mean_fit_time"] > 0)
    # dropout members train from their own streams: scores close, not equal
    delta = np.abs(batched.cv_results_["mean_test_score"] - plain.cv_results_["mean_test_score"])
    assert delta.mean() < 0.05


def test_multimetric_and_refit_choices():
    grid = {"gamma": [0.0, 2.0]}
    estimator = ImbalancedNetClassifier(rebalance="focal", **EXACT)
    scoring = {"bacc": "balanced_accuracy", "f1": "f1_macro"}
    search = BatchedGridSearchCV(estimator, grid, scoring=scoring, refit="f1", cv=CV).fit(X, Y)
    assert {"mean_test_bacc", "mean_test_f1", "rank_test_f1"} <= set(search.cv_results_)
    assert search.best_score_ == search.cv_results_["mean_test_f1"][search.best_index_]
    unfitted = BatchedGridSearchCV(estimator, grid, refit=False, cv=CV).fit(X, Y)
    assert not hasattr(unfitted, "best_estimator_")


def test_candidates_the_engine_cannot_stack_are_ordinary_fits(monkeypatch):
    stacks = []
    original = model_selection.train_members
    monkeypatch.setattr(model_selection, "train_members",
                        lambda *a, **k: stacks.append(len(a[2])) or original(*a, **k))
    grid = [{"rebalance": ["difficulty", "class_balanced_sampling", "ohem"]},
            {"rebalance": ["inverse"], "module__hidden_units": [(8,)]},
            {"rebalance": ["inverse"], "module__batch_norm": [True]}]
    batched, plain = _both(ImbalancedNetClassifier(**EXACT), grid)
    assert stacks == [3]  # only the inverse x 3 folds candidate
    _assert_same_scores(batched, plain)


def test_a_pipeline_is_searched_as_grid_search_does():
    pipe = make_pipeline(StandardScaler(), ImbalancedNetClassifier(rebalance="focal", **EXACT))
    batched, plain = _both(pipe, {"imbalancednetclassifier__gamma": [0.0, 2.0]})
    _assert_same_scores(batched, plain)


def test_randomized_search_evaluates_the_sampled_candidates():
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", **EXACT)
    dists = {"beta": uniform(0.9, 0.0999), "gamma": uniform(0.0, 3.0)}
    batched = BatchedRandomizedSearchCV(estimator, dists, n_iter=4, cv=CV, random_state=0,
                                        scoring="neg_log_loss").fit(X, Y)
    plain = RandomizedSearchCV(estimator, dists, n_iter=4, cv=CV, random_state=0,
                               scoring="neg_log_loss").fit(X, Y)
    _assert_same_scores(batched, plain)
    unseeded = BatchedRandomizedSearchCV(estimator, dists, n_iter=3, cv=CV).fit(X, Y)
    assert len(unseeded.cv_results_["params"]) == 3


def test_n_jobs_spreads_stacks_over_processes(monkeypatch):
    grid = {"beta": [0.9, 0.99, 0.999], "gamma": [0.0, 2.0]}
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", **EXACT)
    batched = BatchedGridSearchCV(estimator, grid, scoring="neg_log_loss", cv=CV,
                                  n_jobs=2).fit(X, Y)
    plain = GridSearchCV(estimator, grid, scoring="neg_log_loss", cv=CV).fit(X, Y)
    _assert_same_scores(batched, plain)
    search = BatchedGridSearchCV(estimator, grid, cv=CV, n_jobs=2)
    folds = [train for train, _ in CV.split(X, Y)]
    jobs = search._batched_jobs(list(search._all_candidates()), X, Y, folds)
    assert len(jobs) == 2  # 18 members in two stacks


def test_members_per_batch_bounds_a_stack():
    search = BatchedGridSearchCV(ImbalancedNetClassifier(rebalance="inverse", n_members=1),
                                 {"random_state": list(range(10))}, cv=CV, members_per_batch=8)
    folds = [train for train, _ in CV.split(X, Y)]
    jobs = search._batched_jobs(list(search._all_candidates()), X, Y, folds)
    assert [len(b) for b in jobs] == [8, 8, 8, 6]


@pytest.mark.slow
def test_dask_backend_runs_one_stack_per_task():
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend
    grid = {"beta": [0.9, 0.999], "gamma": [0.0, 2.0]}
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", **EXACT)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), parallel_backend("dask"):
        batched = BatchedGridSearchCV(estimator, grid, scoring="neg_log_loss", cv=CV,
                                      n_jobs=2).fit(X, Y)
    plain = GridSearchCV(estimator, grid, scoring="neg_log_loss", cv=CV).fit(X, Y)
    _assert_same_scores(batched, plain)


# --- the default estimator: candidates x folds x members in one stack ----------------------

DEFAULT_EXACT = dict(max_epochs=4, module__dropout=0.0, random_state=0)  # five members


def test_default_estimator_members_are_stacked_and_score_as_grid_search(monkeypatch):
    stacks = []
    original = model_selection.train_members
    monkeypatch.setattr(model_selection, "train_members",
                        lambda *a, **k: stacks.append(len(a[2])) or original(*a, **k))
    grid = {"beta": [0.9, 0.999], "gamma": [0.0, 2.0]}
    batched, plain = _both(ImbalancedNetClassifier(rebalance="cb_focal", **DEFAULT_EXACT),
                           grid, scoring="balanced_accuracy")
    assert stacks == [4 * 3 * 5]  # candidates x folds x members, one stack
    _assert_same_scores(batched, plain)
    assert batched.best_params_ == plain.best_params_
    assert sorted(batched.cv_results_) == sorted(plain.cv_results_)
    best = batched.best_estimator_
    assert best.n_members_ == 5 and len(best.member_best_epochs_) == 5


def test_a_batched_candidate_has_the_members_of_its_ordinary_fit(monkeypatch):
    """Member k of a candidate trained in the stack == member k of the candidate's own fit
    (its rows of the fold, its stream, its best epoch on its part of the fold), also when
    it was set up from another candidate of its fold (another beta, gamma or alpha)."""
    planned = []
    original = ImbalancedNetClassifier.plan_members
    monkeypatch.setattr(ImbalancedNetClassifier, "plan_members",
                        lambda self, *a: planned.append(1) or original(self, *a))
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", lr=0.01, **DEFAULT_EXACT)
    folds = [train for train, _ in CV.split(X, Y)]
    jobs = [({"beta": 0.9, "gamma": 0.0}, 0), ({"beta": 0.999, "gamma": 2.0}, 1),
            ({"beta": 0.9999, "gamma": 0.0}, 0), ({"beta": 0.99, "gamma": 1.0}, 1),
            ({"beta": 0.99, "gamma": 2.0, "alpha": [0.3, 0.7]}, 1)]
    trained = model_selection._train_batch(estimator, jobs, X, Y, folds)
    # a zero-epoch fit per fold and output bias (gamma 0: none; gamma > 0: the prior)
    assert len(planned) == 2
    for (params, fold), fitted, _ in trained:
        alone = clone(estimator).set_params(**params).fit(X[folds[fold]], Y[folds[fold]])
        assert fitted.member_best_epochs_ == alone.member_best_epochs_
        np.testing.assert_allclose(fitted.history[:, "valid_loss_members"],
                                   alone.history[:, "valid_loss_members"], rtol=1e-4)
        for key, value in alone.module_.state_dict().items():
            torch.testing.assert_close(fitted.module_.state_dict()[key], value, atol=1e-5,
                                       rtol=1e-4, msg=key)
        np.testing.assert_allclose(fitted.predict_proba(X), alone.predict_proba(X), atol=1e-5)


def test_refit_multimetric_and_error_score_as_scikit_learn():
    grid = {"beta": [0.9, 0.999], "gamma": [0.0, 2.0]}
    scoring = {"bacc": "balanced_accuracy", "f1": "f1_macro"}
    batched, plain = _both(ImbalancedNetClassifier(rebalance="cb_focal", **DEFAULT_EXACT),
                           grid, scoring=scoring, refit="bacc")
    for key in ("mean_test_bacc", "mean_test_f1", "rank_test_bacc", "rank_test_f1"):
        np.testing.assert_allclose(batched.cv_results_[key], plain.cv_results_[key],
                                   atol=1e-5, err_msg=key)
    assert batched.best_index_ == plain.best_index_
    assert batched.best_estimator_.n_members_ == 5  # refit: an ordinary fitted estimator
    assert batched.predict(X).shape == (len(Y),)
    # a candidate that fails scores error_score, as in GridSearchCV
    grid = {"beta": [0.9, 2.0]}  # beta=2 is refused by the estimator
    with pytest.warns(FitFailedWarning, match="3 fits failed"):
        failing = BatchedGridSearchCV(
            ImbalancedNetClassifier(**DEFAULT_EXACT), grid, cv=CV, error_score=-1.0,
            scoring="balanced_accuracy").fit(X, Y)
    assert failing.cv_results_["mean_test_score"][1] == -1.0


@pytest.mark.parametrize("resource, limits", [
    ("n_samples", dict(min_resources=120, max_resources=400)),
    ("max_epochs", dict(min_resources=1, max_resources=4, factor=2)),
])
def test_halving_search_stacks_every_rung_and_scores_as_scikit_learn(resource, limits,
                                                                     monkeypatch):
    """Each rung of successive halving is one stack of its candidates x folds; the results
    (rungs, resources, scores, the choice) are HalvingGridSearchCV's."""
    stacks = []
    original = model_selection.train_members
    monkeypatch.setattr(model_selection, "train_members",
                        lambda *a, **k: stacks.append(len(a[2])) or original(*a, **k))
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", **EXACT)
    grid = {"beta": [0.9, 0.99, 0.999, 0.9999], "gamma": [0.0, 2.0]}
    options = dict(resource=resource, cv=CV, scoring="neg_log_loss", random_state=0,
                   **limits)
    batched = BatchedHalvingGridSearchCV(estimator, grid, **options).fit(X, Y)
    plain = HalvingGridSearchCV(estimator, grid, **options).fit(X, Y)
    assert batched.n_candidates_ == plain.n_candidates_
    assert batched.n_resources_ == plain.n_resources_
    np.testing.assert_array_equal(batched.cv_results_["iter"], plain.cv_results_["iter"])
    _assert_same_scores(batched, plain)
    assert batched.best_params_ == plain.best_params_
    assert stacks == [n * 3 for n in plain.n_candidates_]  # a stack per rung
    assert isinstance(batched.best_estimator_, ImbalancedNetClassifier)


def test_random_halving_search_draws_and_scores_as_scikit_learn(monkeypatch):
    stacks = []
    original = model_selection.train_members
    monkeypatch.setattr(model_selection, "train_members",
                        lambda *a, **k: stacks.append(len(a[2])) or original(*a, **k))
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", **EXACT)
    options = dict(n_candidates=6, resource="max_epochs", min_resources=1, max_resources=4,
                   factor=2, cv=CV, scoring="neg_log_loss", random_state=0)
    space = {"beta": uniform(0.9, 0.0999), "gamma": uniform(0.0, 3.0)}
    batched = BatchedHalvingRandomSearchCV(estimator, space, **options).fit(X, Y)
    plain = HalvingRandomSearchCV(estimator, space, **options).fit(X, Y)
    assert batched.cv_results_["params"] == plain.cv_results_["params"]
    _assert_same_scores(batched, plain)
    assert stacks == [n * 3 for n in plain.n_candidates_]


def test_a_candidate_whose_set_up_fails_on_a_fold_scores_error_score():
    """A fold that cannot be set up (here: its training rows hold one class) is an ordinary
    fit, which fails as it fails in GridSearchCV: error_score, the other folds scored."""
    y = Y.copy()
    y[np.flatnonzero(y == 1)[1:]] = 0  # one row of class 1
    search = BatchedGridSearchCV(
        ImbalancedNetClassifier(max_epochs=2, random_state=0), {"beta": [0.9, 0.99]},
        cv=CV, error_score=-1.0, scoring="accuracy")
    with pytest.warns(FitFailedWarning, match="2 fits failed"):
        search.fit(X, y)
    held_out = [k for k, (_, test) in enumerate(CV.split(X, y)) if (y[test] == 1).any()]
    for k in range(CV.get_n_splits()):
        scores = search.cv_results_[f"split{k}_test_score"]
        assert ((scores == -1.0) == (k in held_out)).all()


@pytest.mark.parametrize("threads", ["auto", 1])
def test_the_stack_trains_on_the_estimators_torch_threads(threads, monkeypatch):
    """A number of torch threads is honoured by the stack (one beside a busy core); "auto"
    leaves a stack of many networks on torch's threads."""
    seen = []
    original = model_selection.train_members
    monkeypatch.setattr(model_selection, "train_members",
                        lambda *a, **k: seen.append(torch.get_num_threads()) or original(*a, **k))
    before = torch.get_num_threads()
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", torch_threads=threads, **EXACT)
    BatchedGridSearchCV(estimator, {"beta": [0.9, 0.99]}, cv=CV).fit(X, Y)
    assert seen == [before if threads == "auto" else 1]
    assert torch.get_num_threads() == before
