"""skorch's contract on the default estimator (five cross-fitted members), not only on one net.

Every callback skorch documents, an explicit ``train_split`` of each kind, a refit refused
for bad input, and the member engine's equivalence with separate fits.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from skorch.callbacks import (Callback, Checkpoint, EarlyStopping, EpochScoring, LoadInitState,
                              LRScheduler, TrainEndCheckpoint)
from skorch.dataset import ValidSplit
from skorch.helper import predefined_split

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.data import TabularDataset
from imbsk.engine import member_seeds
from imbsk.rebalance import ALIASES, ClassBalancedLoss, check_rebalance
from imbsk.scoring import valid_balanced_accuracy

X, Y = make_classification(400, n_features=8, n_informative=5, weights=[0.85],
                           random_state=0)
X = X.astype(np.float32)
X3, Y3 = make_classification(400, n_features=8, n_informative=5, n_classes=3,
                             weights=[0.7, 0.2, 0.1], random_state=1)
X3 = X3.astype(np.float32)
ESTIMATORS = [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier]


class SeenValidation(Callback):
    """Records what skorch's loop hands the callbacks as validation data each epoch."""

    def initialize(self):
        self.sizes_ = []
        self.datasets_ = []
        return self

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        self.sizes_.append(None if dataset_valid is None else len(dataset_valid))
        self.datasets_.append(dataset_valid)


def default(**params):
    return ImbalancedNetClassifier(random_state=0, max_epochs=4, **params)


# --- equivalence: a stack of K members == K separate fits ------------------------------

STACKABLE = [a for a in ALIASES if check_rebalance(a, 0.999, 2.0, None).stackable]


def test_every_alias_but_the_classifier_level_ones_is_stackable():
    assert sorted(set(ALIASES) - set(STACKABLE)) == ["bbn", "crt", "difficulty", "tau_norm"]
    with pytest.raises(ValueError, match="whole network's predictions"):
        ImbalancedNetClassifier(rebalance="difficulty", n_members=2,
                                member_sampling="shuffle", max_epochs=1).fit(X, Y)


@pytest.mark.parametrize("rebalance", STACKABLE + [
    pytest.param(ClassBalancedLoss("inverse", reduction="weighted_mean"), id="weighted_mean"),
    pytest.param(ClassBalancedLoss("effective_number", gamma=2.0, reduction="weighted_mean"),
                 id="cb_focal_weighted_mean")])
def test_each_member_trains_as_its_own_fit(rebalance):
    """Member k of a stack == a fit seeded with member k's seed, over several epochs, for
    every stackable strategy: OHEM's hardest rows and a weighted mean's divisor are each
    member's own. (SGD: Adam divides by the root of tiny second moments, which turns
    float32 rounding into differences of up to lr per step on a few entries.)"""
    data = (X3, Y3)
    params = dict(rebalance=rebalance, max_epochs=3, module__dropout=0.0, lr=0.05,
                  optimizer=torch.optim.SGD, optimizer__momentum=0.9)
    stack = ImbalancedNetClassifier(n_members=3, member_sampling="shuffle", random_state=0,
                                    **params).fit(*data)
    for k, seed in enumerate(member_seeds(0, 3)):
        alone = ImbalancedNetClassifier(random_state=int(seed), n_members=1, **params).fit(*data)
        member = stack.module_.member(k).state_dict()
        for name, value in alone.module_.state_dict().items():
            torch.testing.assert_close(member[name], value, atol=2e-5, rtol=1e-4,
                                       msg=lambda m: f"member {k}, {name}: {m}")


# --- resolved "auto" parameters ----------------------------------------------------------

def test_auto_parameters_are_resolved_into_fitted_attributes():
    clf = ImbalancedNetClassifier(random_state=0).fit(X, Y)
    assert clf.n_members_ == 5 and clf.module_.n_members == 5
    assert isinstance(clf.max_epochs_, int) and len(clf.history) == clf.max_epochs_
    assert clf.torch_threads_ == 1  # a small network: one thread
    assert clf.max_epochs == "auto" and clf.n_members == "auto"  # parameters as given
    one = ImbalancedNetClassifier(n_members=1, max_epochs=3, torch_threads=None).fit(X, Y)
    assert (one.n_members_, one.max_epochs_, one.torch_threads_) == (1, 3, None)


# --- validation data that skorch's loop and callbacks see -----------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_default_members_validate_out_of_fold_through_skorchs_loop(Estimator):
    seen = SeenValidation()
    clf = Estimator(random_state=0, max_epochs=4, callbacks=[seen]).fit(X, Y)
    assert seen.sizes_ == [len(Y)] * 4  # every row, predicted by the member that held it out
    row = clf.history[-1]
    for key in ("valid_loss", "valid_loss_best", "valid_bacc", "valid_bacc_best",
                "valid_gmean", "valid_macro_f1", "valid_loss_members"):
        assert key in row, key
    assert len(row["valid_loss_members"]) == 5
    # valid_loss is the out-of-fold loss: each member's fold loss, weighted by fold size
    sizes = [len(f) for f in clf.member_valid_rows_]
    assert row["valid_loss"] == pytest.approx(np.dot(row["valid_loss_members"], sizes)
                                              / sum(sizes), rel=1e-4)


def test_explicit_fraction_split_is_the_validation_data():
    seen = SeenValidation()
    clf = default(train_split=ValidSplit(0.1, stratified=True), callbacks=[seen]).fit(X, Y)
    assert set(seen.sizes_) == {len(Y) // 10}
    assert clf.n_members_ == 5  # the ensemble is kept ...
    assert len(clf.member_best_epochs_) == 5  # ... each member selected on the user's rows
    assert all(len(rows) == len(Y) - len(Y) // 10 for rows in clf.member_rows_)
    assert "valid_loss_best" in clf.history[-1] and "valid_bacc" in clf.history[-1]


def test_predefined_split_is_the_validation_data():
    seen = SeenValidation()
    valid = TabularDataset(X[:100], Y[:100])
    clf = default(train_split=predefined_split(valid), callbacks=[seen]).fit(X[100:], Y[100:])
    assert all(d is valid for d in seen.datasets_)
    assert clf.n_members_ == 5 and len(clf.member_best_epochs_) == 5
    last = clf.history[-1]
    assert last["valid_loss_best"] in (True, False)
    assert 0.0 <= last["valid_bacc"] <= 1.0


def test_no_split_means_no_validation_data():
    seen = SeenValidation()
    clf = default(train_split=None, callbacks=[seen]).fit(X, Y)
    assert seen.sizes_ == [None] * 4
    assert clf.n_members_ == 5 and "valid_loss" not in clf.history[-1]
    assert not hasattr(clf, "member_best_epochs_")  # nothing to select on: the last epoch
    assert clf.predict(X).shape == (len(Y),)


# --- skorch's callbacks on the default estimator --------------------------------------

@pytest.mark.parametrize("monitor", ["valid_loss_best", "valid_bacc_best"])
def test_checkpoint_with_its_defaults_and_a_best_score(monitor, tmp_path):
    checkpoint = Checkpoint(monitor=monitor, dirname=str(tmp_path))
    clf = default(callbacks=[checkpoint]).fit(X, Y)
    assert (tmp_path / "params.pt").exists()
    assert any(clf.history[:, "event_cp"])
    fresh = default(module__n_features=X.shape[1], classes=[0, 1]).initialize()
    fresh.load_params(checkpoint=checkpoint)  # the members as they were at that epoch
    assert fresh.module_.n_members == 5
    np.testing.assert_allclose(fresh.predict_proba(X).sum(axis=1), 1.0)


def test_early_stopping_stops_the_default():
    clf = ImbalancedNetClassifier(random_state=0, max_epochs=40,
                                  callbacks=[EarlyStopping(patience=2, threshold=10.0)])
    clf.fit(X, Y)
    assert len(clf.history) == 3  # no epoch improves by the threshold after the first


def test_lr_scheduler_acts_on_every_group():
    clf = default(callbacks=[LRScheduler("StepLR", step_size=1, gamma=0.5)]).fit(X, Y)
    rates = sorted(group["lr"] for group in clf.optimizer_.param_groups)
    assert rates == pytest.approx(sorted([2e-3 * 0.5 ** 4, 0.1 * 0.5 ** 4]))


@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring_scores_the_out_of_fold_predictions(use_caching):
    seen = SeenValidation()
    # without caching skorch passes the dataset alone: a scoring function must read the
    # targets from it (imbsk's own do; a scikit-learn scorer name needs the cache)
    scoring = EpochScoring("balanced_accuracy" if use_caching else valid_balanced_accuracy,
                           lower_is_better=False, name="bacc", use_caching=use_caching)
    clf = default(callbacks=[seen, scoring]).fit(X, Y)
    # the same number the default's own valid_bacc gives, from the same predictions
    assert clf.history[-1, "bacc"] == pytest.approx(clf.history[-1, "valid_bacc"])
    assert "bacc_best" in clf.history[-1]


def test_train_end_checkpoint_and_load_init_state_round_trip(tmp_path):
    end = TrainEndCheckpoint(dirname=str(tmp_path))
    clf = default(callbacks=[end]).fit(X, Y)
    expected = clf.predict_proba(X)
    resumed = ImbalancedNetClassifier(random_state=0, max_epochs=0,
                                      callbacks=[LoadInitState(end)]).fit(X, Y)
    np.testing.assert_allclose(resumed.predict_proba(X), expected, atol=1e-6)


# --- bad input never costs the fitted model -------------------------------------------

@pytest.mark.parametrize("bad", ["nan", "one_class", "sample_weight"])
def test_refused_refit_keeps_the_model(bad):
    clf = default().fit(X, Y)
    before, state = clf.predict_proba(X), pickle.dumps(clf)
    X_bad, y_bad, kwargs = X.copy(), Y.copy(), {}
    if bad == "nan":
        X_bad[3, 2] = np.nan
    elif bad == "one_class":
        y_bad[:] = 0
    else:
        kwargs = {"sample_weight": -np.ones(len(Y))}
    with pytest.raises(ValueError):
        clf.fit(X_bad, y_bad, **kwargs)
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert clf.n_features_in_ == X.shape[1] and list(clf.classes_) == [0, 1]
    np.testing.assert_array_equal(pickle.loads(state).predict_proba(X), before)


def test_refused_parameters_keep_the_model():
    clf = default().fit(X, Y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="beta"):
        clf.set_params(beta=2.0).fit(X, Y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_prediction_batches_and_threads_give_the_same_probabilities():
    clf = ImbalancedNetClassifier(random_state=0, max_epochs=3).fit(X, Y)
    big = clf.predict_proba(X)  # one batch of every row (up to 1,024 rows a batch)
    small = ImbalancedNetClassifier(random_state=0, max_epochs=3, torch_threads=None,
                                    iterator_valid__batch_size=7).fit(X, Y)
    np.testing.assert_allclose(small.predict_proba(X), big, rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X[:1]), big[:1], rtol=0, atol=1e-12)
    assert balanced_accuracy_score(Y, clf.predict(X)) > 0.5
