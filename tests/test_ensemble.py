"""The stacked engine (imbsk.ensemble) and the estimators' ``n_members``."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.ensemble import (MemberStreams, StackedLoss, StackedMLP, draw_member_rows,
                            ensemble_logits, fast_dropout, member_seeds)
from imbsk.engine.dropout import keep_scale
from imbsk.modules import MLP
from imbsk.rebalance import check_rebalance

X, Y = make_classification(600, n_features=8, n_informative=5, weights=[0.85],
                           random_state=0)
X = X.astype(np.float32)
X3, Y3 = make_classification(600, n_features=8, n_informative=5, n_classes=3,
                             weights=[0.7, 0.2, 0.1], random_state=1)
X3 = X3.astype(np.float32)
ESTIMATORS = [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier]


# --- pure parts --------------------------------------------------------------------------

@pytest.mark.parametrize("link", ["softmax", "sigmoid", "binary"])
def test_ensemble_logits_give_the_members_mean_probability(link):
    torch.manual_seed(0)
    z = torch.randn(5, 7, 3, dtype=torch.float64) * 3
    if link == "binary":
        z = z[..., 0]
        proba = torch.sigmoid
    elif link == "softmax":
        def proba(t):
            return torch.softmax(t, -1)
    else:
        def proba(t):
            s = torch.sigmoid(t)
            return s / s.sum(-1, keepdim=True)
    mean = torch.stack([proba(m) for m in z]).mean(0)
    assert torch.allclose(proba(ensemble_logits(z, link)), mean, atol=1e-12)
    assert torch.equal(ensemble_logits(z[:1], link), z[0])  # one member: unchanged


def _losses(strategy_kwargs, counts, head):
    return [check_rebalance(**kw).make_criterion(counts, head) for kw in strategy_kwargs]


LOSS_CASES = {
    "class weights, beta": [dict(rebalance="effective_number", beta=b) for b in (0.9, 0.999)]
    + [dict(rebalance="inverse"), dict(rebalance=None)],
    "gamma": [dict(rebalance="focal", gamma=g) for g in (0.0, 0.5, 1.0, 2.0)],
    "cb_focal beta x gamma": [dict(rebalance="cb_focal", beta=b, gamma=g)
                              for b in (0.9, 0.999) for g in (0.5, 2.0)],
}


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
@pytest.mark.parametrize("head", ["multiclass", "binary"])
def test_stacked_loss_is_each_members_loss(case, head):
    counts = np.array([70, 20, 10]) if head == "multiclass" else np.array([80, 20])
    losses = _losses(LOSS_CASES[case], counts, head)
    _assert_stacked_equals_members(losses, len(counts), head)


@pytest.mark.parametrize("alias", ["logit_adjusted", "balanced_softmax", "ldam"])
def test_stacked_loss_offsets_and_margins(alias):
    counts = np.array([70, 20, 10])
    losses = [check_rebalance(alias).make_criterion(counts, "multiclass"),
              check_rebalance("cb_focal", gamma=1.0).make_criterion(counts, "multiclass")]
    _assert_stacked_equals_members(losses, 3, "multiclass")


def test_stacked_loss_alpha_softmax_and_sigmoid():
    counts = np.array([70, 30])
    soft = [check_rebalance("focal", alpha=a).make_criterion(counts, "multiclass")
            for a in ([0.25, 0.75], [1.0, 2.0])]
    _assert_stacked_equals_members(soft, 2, "multiclass")
    sig = [check_rebalance("focal", alpha=a).make_criterion(counts, "binary")
           for a in (0.25, 0.9, None)]
    _assert_stacked_equals_members(sig, 2, "binary")


def _assert_stacked_equals_members(losses, n_classes, head):
    torch.manual_seed(0)
    k, n = len(losses), 12
    shape = (k, n, n_classes) if head == "multiclass" else (k, n)
    z = (torch.randn(*shape) * 2).requires_grad_()
    y = torch.randint(0, n_classes, (k, n))
    weight = torch.rand(k, n) + 0.5
    weight[0, -3:] = 0.0  # padding rows of member 0
    stacked = StackedLoss.from_losses(losses)
    got = stacked.member_losses(z, y, weight)
    expected = []
    for j, loss in enumerate(losses):
        keep = weight[j] > 0
        expected.append(loss(z[j][keep], y[j][keep], sample_weight=weight[j][keep]))
    expected = torch.stack(expected)
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-6)
    grad_got, = torch.autograd.grad(got.sum(), z)
    grad_expected, = torch.autograd.grad(expected.sum(), z)
    assert torch.allclose(grad_got, grad_expected, rtol=1e-4, atol=1e-6)


def test_stacked_loss_refuses_what_it_cannot_stack():
    ohem = check_rebalance("ohem").make_criterion(np.array([5, 5]), "multiclass")
    plain = check_rebalance(None).make_criterion(np.array([5, 5]), "multiclass")
    sigmoid = check_rebalance(None).make_criterion(np.array([5, 5]), "binary")
    with pytest.raises(ValueError, match="RebalancedLoss"):
        StackedLoss.from_losses([plain, ohem])
    with pytest.raises(ValueError, match="one form"):
        StackedLoss.from_losses([plain, sigmoid])


def test_stacked_mlp_members_are_the_stacked_networks():
    torch.manual_seed(0)
    mlps = [MLP(5, 3, (8, 4), dropout=0.0) for _ in range(3)]
    for mlp in mlps:  # the shortcut starts at zero: give it weights to copy
        torch.nn.init.normal_(mlp.shortcut.weight)
    stacked = StackedMLP.from_members(mlps).eval()
    x = torch.randn(6, 5)
    with torch.no_grad():
        per_member = stacked.member_logits(torch.stack([x] * 3))
        for k, mlp in enumerate(mlps):
            assert torch.allclose(per_member[k].float(), mlp(x), atol=1e-6)
            assert torch.allclose(stacked.member(k)(x), mlp(x))
    with pytest.raises(ValueError, match="batch_norm"):
        StackedMLP.from_members([MLP(5, 3, (8,), batch_norm=True)])


@pytest.mark.parametrize("n_outputs", [3, 1])
def test_out_of_fold_rows_are_each_predicted_by_their_member_alone(n_outputs):
    torch.manual_seed(0)
    stacked = StackedMLP.from_members(
        [MLP(8, n_outputs, (16,)) for _ in range(5)]).eval()
    x = torch.randn(103, 8)
    member = torch.randint(0, 5, (103,))
    member[:7] = 4  # uneven folds: the block is padded
    every = stacked.member_logits(x)  # every member on every row
    expected = every[member, torch.arange(103)]
    got = stacked(x, member=member)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)  # float64 evaluation
    one = torch.zeros(4, dtype=torch.long)  # members without rows
    torch.testing.assert_close(stacked(x[:4], member=one), every[0, :4], rtol=0, atol=1e-12)


def test_fast_dropout_rate_and_scale():
    torch.manual_seed(0)
    for p in (0.1, 0.3, 0.5, 0.9):
        out = fast_dropout(torch.ones(800_000), p)
        # the rate is p to within 1/512, and the mean output the input
        assert abs(round(p * 256) / 256 - p) <= 1 / 512
        assert abs(float((out == 0).float().mean()) - round(p * 256) / 256) < 0.002
        assert abs(float(out.mean()) - 1.0) < 0.005
        assert torch.allclose(out[out != 0], torch.tensor(keep_scale(p)))
    x = torch.randn(10)
    assert fast_dropout(x, 0.5, training=False) is x
    assert torch.equal(fast_dropout(x, 0.001), x)  # under 1/512: nothing dropped


def test_member_streams_are_independent_of_each_other():
    states = [torch.manual_seed(s).get_state() for s in (1, 2)]
    alone = MemberStreams([states[1].clone()])
    both = MemberStreams([s.clone() for s in states])
    with both.member(0):
        torch.rand(100)  # member 0 draws a lot
    with both.member(1):
        a = torch.rand(3)
    with alone.member(0):
        b = torch.rand(3)
    assert torch.equal(a, b)


def test_draw_member_rows():
    y = np.array([0] * 30 + [1] * 6 + [2] * 4)
    streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(3)])
    shuffle = draw_member_rows(y, "shuffle", streams)
    assert all(np.array_equal(r, np.arange(40)) for r in shuffle)
    boot = draw_member_rows(y, "bootstrap", streams)
    assert all(np.array_equal(np.bincount(y[r]), [30, 6, 4]) for r in boot)
    assert not np.array_equal(boot[0], boot[1])
    balanced = draw_member_rows(y, "balanced_bootstrap", streams)
    assert all(np.array_equal(np.bincount(y[r]), [13, 13, 13]) for r in balanced)


# --- n_members on the estimators -------------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("rebalance", ["cb_focal", "class_balanced_sampling"])
def test_each_member_is_the_fit_it_replaces(Estimator, rebalance):
    """Member k of a seeded stack == a separate fit seeded with member k's seed."""
    params = dict(rebalance=rebalance, max_epochs=3, module__dropout=0.0)
    stack = Estimator(n_members=3, member_sampling="shuffle", random_state=0, **params).fit(X, Y)
    for k, seed in enumerate(member_seeds(0, 3)):
        alone = Estimator(random_state=int(seed), n_members=1, **params).fit(X, Y)
        member = stack.module_.member(k).state_dict()
        for name, value in alone.module_.state_dict().items():
            assert torch.allclose(member[name], value, atol=1e-6), (k, name)


def test_members_with_sample_weights_match_separate_fits():
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(Y))
    params = dict(rebalance="inverse", max_epochs=2, module__dropout=0.0)
    stack = ImbalancedNetClassifier(n_members=2, member_sampling="shuffle", random_state=3,
                                    **params).fit(X, Y, sample_weight=weights)
    seed = int(member_seeds(3, 2)[1])
    alone = ImbalancedNetClassifier(random_state=seed, n_members=1, **params).fit(
        X, Y, sample_weight=weights)
    member = stack.module_.member(1).state_dict()
    assert all(torch.allclose(member[n], v, atol=1e-6)
               for n, v in alone.module_.state_dict().items())


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("sampling", ["shuffle", "bootstrap", "balanced_bootstrap", "cross_fit"])
def test_predict_proba_averages_the_members(Estimator, sampling):
    clf = Estimator(n_members=4, member_sampling=sampling, max_epochs=3,
                    random_state=0).fit(X3 if Estimator is ImbalancedNetClassifier else X,
                                        Y3 if Estimator is ImbalancedNetClassifier else Y)
    data = X3 if Estimator is ImbalancedNetClassifier else X
    proba = clf.predict_proba(data)
    to_proba = clf._get_predict_nonlinearity()
    with torch.no_grad():
        members = clf.module_.eval().member_logits(torch.as_tensor(data))
    expected = torch.stack([to_proba(z) for z in members]).mean(0).numpy()
    np.testing.assert_allclose(proba, expected, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(data), clf.classes_[proba.argmax(1)]
                                  if Estimator is ImbalancedNetClassifier
                                  else clf.classes_[(proba[:, 1] > 0.5).astype(int)])
    history = clf.history[-1]
    assert len(history["valid_loss_members" if sampling == "cross_fit"
                       else "valid_bacc_members"]) == 4
    assert 0 <= history["valid_bacc"] <= 1
    assert len(clf.member_rows_) == 4


def test_members_reproducible_and_seed_sensitive():
    def proba(seed):
        return ImbalancedNetClassifier(max_epochs=2, random_state=seed).fit(
            X, Y).predict_proba(X[:20])
    np.testing.assert_array_equal(proba(0), proba(0))
    assert not np.allclose(proba(0), proba(1))


def test_members_train_loss_is_the_members_mean():
    params = dict(rebalance="inverse", max_epochs=1, module__dropout=0.0, random_state=0)
    stack = ImbalancedNetClassifier(n_members=2, member_sampling="shuffle", **params).fit(X, Y)
    seeds = member_seeds(0, 2)
    alone = [ImbalancedNetClassifier(**{**params, "random_state": int(s)}, n_members=1).fit(X, Y)
             for s in seeds]
    expected = np.mean([a.history[-1, "train_loss"] for a in alone])
    assert stack.history[-1, "train_loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("params, match", [
    (dict(module=MLP, module__n_features=8, module__n_outputs=2), "module="),
    (dict(pretrain="masked"), "pretrain"),
    (dict(rebalance="crt"), "output layer"),
    (dict(rebalance="bbn"), "output layer"),
    (dict(module__batch_norm=True), "batch_norm"),
    (dict(criterion=torch.nn.CrossEntropyLoss), "criterion="),
    (dict(unlabeled=-1), "unlabeled"),
])
def test_members_refuse_what_cannot_be_stacked(params, match):
    clf = ImbalancedNetClassifier(n_members=2, max_epochs=1, **params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y)
    assert not hasattr(clf, "classes_inferred_")


def test_bootstraps_and_a_sampler_are_one_draw_too_many():
    clf = ImbalancedNetClassifier(n_members=2, member_sampling="bootstrap",
                                  rebalance="class_balanced_sampling", max_epochs=1)
    with pytest.raises(ValueError, match="member_sampling='shuffle'"):
        clf.fit(X, Y)
    clf.set_params(member_sampling="cross_fit")  # folds and a sampler: the same problem
    with pytest.raises(ValueError, match="member_sampling='shuffle'"):
        clf.fit(X, Y)


@pytest.mark.parametrize("value, match", [(0, "n_members"), (2.5, "n_members"),
                                          ("bagging", "member_sampling"),
                                          ("all", "n_members")])
def test_bad_member_parameters(value, match):
    key = "member_sampling" if value == "bagging" else "n_members"
    with pytest.raises((ValueError, TypeError), match=match):
        ImbalancedNetClassifier(**{key: value}).fit(X, Y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_members_round_trip(Estimator, tmp_path):
    clf = Estimator(n_members=4, member_sampling="balanced_bootstrap", max_epochs=2,
                    random_state=0).fit(X, Y)
    default = Estimator(max_epochs=2, random_state=0).fit(X, Y)  # 5 cross-fitted members
    assert default.module_.n_members == 5
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(default)).predict_proba(X),
                                  default.predict_proba(X))
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    fresh = Estimator(n_members=4, member_sampling="balanced_bootstrap", classes=[0, 1],
                      module__n_features=X.shape[1]).initialize()
    fresh.load_params(f_params=tmp_path / "p.pt", f_criterion=tmp_path / "c.pt")
    np.testing.assert_array_equal(fresh.predict_proba(X), expected)
    fresh.partial_fit(X, Y)  # training continues after a reload (fresh member streams)
    assert fresh.predict_proba(X).shape == expected.shape


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cross_fitted_members_validate_on_their_own_fold(Estimator):
    clf = Estimator(rebalance="inverse", n_members=4, member_sampling="cross_fit",
                    max_epochs=6, random_state=0).fit(X, Y)
    folds = clf.member_valid_rows_
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(Y)))  # a partition
    for rows, fold in zip(clf.member_rows_, folds):
        assert not set(rows) & set(fold)  # a member never trains on its fold
        assert len(rows) + len(fold) == len(Y)  # ... and on every other row
    history = clf.history
    assert len(history[-1, "valid_loss_members"]) == 4
    assert 0 <= history[-1, "valid_bacc"] <= 1
    # each member ends at its best epoch: its fold loss there is its lowest
    losses = np.array(history[:, "valid_loss_members"])
    best = np.array(clf.member_best_epochs_) - 1
    np.testing.assert_allclose(losses[best, np.arange(4)], losses.min(axis=0))


def test_cross_fitted_members_keep_their_best_weights():
    """Training one epoch more than a member's best epoch does not change that member."""
    params = dict(rebalance="inverse", n_members=3, member_sampling="cross_fit",
                  random_state=0, lr=0.05, module__dropout=0.0)
    clf = ImbalancedNetClassifier(max_epochs=12, **params).fit(X, Y)
    shorter = ImbalancedNetClassifier(max_epochs=int(max(clf.member_best_epochs_)),
                                      **params).fit(X, Y)
    for k, epoch in enumerate(clf.member_best_epochs_):
        if epoch <= len(shorter.history):
            same = clf.module_.member(k).state_dict()
            for name, value in shorter.module_.member(k).state_dict().items():
                if epoch == shorter.member_best_epochs_[k]:
                    assert torch.allclose(same[name], value, atol=1e-6), (k, name)


def test_auto_members_where_they_can_be_stacked():
    assert ImbalancedNetClassifier()._n_members() == 5
    for params in (dict(rebalance="class_balanced_sampling"), dict(rebalance="difficulty"),
                   dict(rebalance="crt"), dict(pretrain="masked"),
                   dict(module=MLP), dict(criterion=torch.nn.CrossEntropyLoss),
                   dict(member_sampling="shuffle")):
        assert ImbalancedNetClassifier(**params)._n_members() == 1, params
    assert ImbalancedNetClassifier(n_members=3)._n_members() == 3
