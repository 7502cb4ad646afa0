"""Good by default: preprocessing inside the network, the training budget, threads, warnings."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.dataset import ValidSplit

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk._training import auto_batch_size, auto_epochs
from imbsk.devices import torch_threads
from imbsk.modules import MLP, FeatureScaling, feature_scaling, robust_scaling_params
from imbsk.rebalance import ClassifierRetraining

X, Y = make_classification(800, n_features=6, n_informative=4, weights=[0.85],
                           random_state=0)


def test_robust_scaling_params_match_the_formula():
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.normal(5, 2, 500), rng.lognormal(0, 2, 500),
                            np.r_[np.zeros(450), np.ones(50)], np.full(500, 7.0)])
    q25, q50, q75 = np.quantile(data, [0.25, 0.5, 0.75], axis=0)
    center, scale = robust_scaling_params(data, "iqr")  # RealMLP's
    np.testing.assert_allclose(center, q50)
    np.testing.assert_allclose(scale[:2], (q75 - q25)[:2])
    assert scale[2] == 0.5 and scale[3] == 1.0  # IQR 0: half the range; constant: 1
    center, scale = robust_scaling_params(data, "normal")  # imbsk's default
    np.testing.assert_allclose(scale[:2], (q75 - q25)[:2] / 1.349)
    assert (center[2], scale[2]) == (0.0, 1.0)  # a 0/1 column stays 0/1
    normal = np.random.default_rng(1).normal(3.0, 2.0, (20_000, 1))
    assert abs(robust_scaling_params(normal, "normal")[1][0] - 2.0) < 0.05  # unit variance


def test_feature_scaling_is_identity_until_fitted_and_bounded_after():
    layer = FeatureScaling(2)
    x = torch.tensor([[1e6, -3.0], [2.0, 5.0]])
    assert torch.equal(layer(x), x)
    layer.fit(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 4.0]]))
    out = layer(torch.tensor([[1e9, -1e9]]))
    assert torch.all(out.abs() <= 3.0 + 1e-5) and torch.all(out.abs() > 2.99)


def test_the_scaling_is_part_of_the_fitted_network(tmp_path):
    clf = ImbalancedNetClassifier(max_epochs=2, n_members=1, random_state=0).fit(X * 1e6, Y)
    layer = feature_scaling(clf.module_)
    np.testing.assert_allclose(layer.center.numpy(), np.median(X * 1e6, axis=0), rtol=1e-5)
    expected = clf.predict_proba(X * 1e6)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X * 1e6),
                                  expected)
    clf.save_params(f_params=tmp_path / "p.pt")
    fresh = ImbalancedNetClassifier(classes=[0, 1], module__n_features=6,
                                    n_members=1).initialize()
    fresh.load_params(f_params=tmp_path / "p.pt")
    np.testing.assert_array_equal(fresh.predict_proba(X * 1e6), expected)


def test_preprocess_none_keeps_the_raw_features():
    clf = ImbalancedNetClassifier(preprocess=None, max_epochs=1).fit(X, Y)
    layer = feature_scaling(clf.module_)
    assert torch.all(layer.center == 0) and torch.all(layer.scale == 1)


def test_preprocess_robust_with_a_module_of_ones_own_is_an_error():
    with pytest.raises(ValueError, match="RobustScaler"):
        ImbalancedNetClassifier(module=MLP, module__n_features=6, module__n_outputs=2,
                                preprocess="robust").fit(X, Y)
    # "auto" leaves a module of one's own alone
    ImbalancedNetClassifier(module=torch.nn.Linear, module__in_features=6,
                            module__out_features=2, max_epochs=1).fit(X.astype(np.float32), Y)


def _cv_bacc(estimator, data, target):
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(estimator, data, target, cv=cv, scoring="balanced_accuracy").mean()


@pytest.mark.slow
def test_unscaled_features_score_as_standardised_ones():
    """The default on raw features is within 0.01 of the default behind StandardScaler:
    synthetic data with one column x 1e6, and breast cancer (columns from 1e-3 to 1e3)."""
    X6, y6 = make_classification(1500, n_features=8, n_informative=5, weights=[0.9],
                                 random_state=3)
    X6[:, 0] *= 1e6
    data, target = load_breast_cancer(return_X_y=True)
    for features, labels in [(X6, y6), (data, target)]:
        raw = _cv_bacc(ImbalancedNetClassifier(random_state=0), features, labels)
        scaled = _cv_bacc(make_pipeline(StandardScaler(),
                                        ImbalancedNetClassifier(random_state=0)),
                          features, labels)
        assert abs(raw - scaled) <= 0.01, (raw, scaled)


def test_auto_epochs_follow_the_step_budget():
    split = ValidSplit(5)
    assert auto_epochs(1500, 128, split) == 15  # 1200 rows: 10 steps per epoch, 150 steps
    assert auto_epochs(1500, 128, split, 1000) == 100
    assert auto_epochs(200, 128, split, 1000) == 500  # 160 rows: 2 steps
    assert auto_epochs(10_000, 128, None) == 10  # at least 10 epochs
    assert auto_epochs(10, 128, None, 10_000) == 1000  # at most 1000
    assert auto_epochs(500, -1, None, 300) == 300
    # a large table: at most 500,000 rows seen per network, at least 5 epochs
    assert auto_epochs(20_000, 256, None) == 10  # under the cap: the 10 epochs
    assert auto_epochs(60_000, 512, None) == 9
    assert auto_epochs(1_000_000, 1024, None) == 5


def test_auto_batch_size_keeps_small_tables_at_128_and_grows_in_powers_of_two():
    assert [auto_batch_size(n) for n in (10, 16_384, 16_385, 40_000, 60_000, 10**7)] == [
        128, 128, 256, 512, 512, 1024]


def test_the_budget_resolves_per_fit_and_stays_auto():
    features, labels = make_classification(25_000, n_features=6, weights=[0.9],
                                           random_state=0)
    clf = ImbalancedNetClassifier(n_members=2, max_epochs=1, random_state=0)
    clf.fit(features.astype(np.float32), labels)  # each member: 12,500 rows
    assert (clf.batch_size, clf.batch_size_) == ("auto", 128)
    first = clf.history[-1]["batches"][0]
    assert first["train_batch_size"] == 128
    clf.set_params(n_members=5, member_sampling="cross_fit")
    clf.fit(features.astype(np.float32), labels)  # each member: 20,000 rows
    assert (clf.batch_size, clf.batch_size_) == ("auto", 256)
    assert clf.history[-1]["batches"][0]["train_batch_size"] == 256
    clf.set_params(max_epochs="auto")
    assert (clf.training_epochs(25_000), clf.training_batch_size(25_000)) == (10, 256)
    # 80,000 rows per member: 500,000 rows seen in 7 epochs, not 10
    assert (clf.training_epochs(100_000), clf.training_batch_size(100_000)) == (7, 1024)
    assert clf.get_params()["batch_size"] == "auto"
    clf.set_params(batch_size=64, max_epochs=1).fit(features[:2000], labels[:2000])
    assert clf.batch_size_ == 64


def test_max_epochs_auto_trains_the_resolved_epochs_and_stays_auto():
    clf = ImbalancedNetClassifier(max_epochs="auto", random_state=0)
    clf.fit(X[:200], Y[:200])
    assert len(clf.history) == auto_epochs(200, 128, ValidSplit(5, stratified=True))
    assert clf.max_epochs == "auto" and clf.get_params()["max_epochs"] == "auto"


def test_threads_lowered_for_a_small_network_and_restored():
    seen = []

    class Spy(ImbalancedNetClassifier):
        def train_step(self, batch, **fit_params):
            seen.append(torch.get_num_threads())
            return super().train_step(batch, **fit_params)

    before = torch.get_num_threads()
    Spy(max_epochs=1, n_members=1).fit(X, Y)
    assert set(seen) == {1} and torch.get_num_threads() == before
    seen.clear()
    Spy(max_epochs=1, n_members=1, torch_threads=None).fit(X, Y)
    assert set(seen) == {before}
    with torch_threads(1):  # inside a worker with one thread: never raised
        seen.clear()
        Spy(max_epochs=1, n_members=1, torch_threads=4).fit(X, Y)
        assert set(seen) == {1}


def test_warning_when_a_fit_predicts_one_class():
    # plain cross-entropy on KEEL glass2 (IR 11.6), 30 epochs, no linear shortcut: only
    # the majority class is predicted
    from imbsk.datasets import load_keel
    data, target = load_keel("glass2", return_X_y=True)
    with pytest.warns(UserWarning, match="predicts one class"):
        ImbalancedNetClassifier(rebalance=None, max_epochs=30, module__linear_shortcut=False,
                                random_state=0).fit(data, target)


def test_no_warning_from_a_fit_that_learned():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ImbalancedNetClassifier(max_epochs=20, lr=1e-2, random_state=0).fit(X, Y)


def test_warning_when_the_auto_budget_ran_out_while_improving(monkeypatch):
    import imbsk._training as training
    monkeypatch.setattr(training, "AUTO_MIN_EPOCHS", 100)
    monkeypatch.setattr(training, "AUTO_MIN_STEPS", 8)
    with pytest.warns(UserWarning, match="still falling"):  # a slow learner: small lr
        ImbalancedNetBinaryClassifier(max_epochs="auto", lr=3e-4, n_members=1,
                                      module__shortcut_lr=None, random_state=0).fit(X, Y)


def test_defaults_score_on_a_raw_table():
    """Raw yeast3 (features in [0, 1]) and the same with one column in the millions."""
    from imbsk.datasets import load_keel
    data, target = load_keel("yeast3", return_X_y=True)
    wide = data.copy()
    wide.iloc[:, 0] *= 1e6
    for features in (data, wide):
        clf = ImbalancedNetClassifier(random_state=0)
        train = np.arange(len(target)) % 4 != 0
        clf.fit(features[train], target[train])
        assert balanced_accuracy_score(target[~train], clf.predict(features[~train])) > 0.8


def _shortcut_groups(clf):
    shortcut = {id(p) for p in clf.module_.shortcut.parameters()}
    return [(group["lr"], {id(p) for p in group["params"]} == shortcut)
            for group in clf.optimizer_.param_groups
            if shortcut & {id(p) for p in group["params"]}]


@pytest.mark.parametrize("Estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
def test_linear_shortcut_learns_with_its_own_rate(Estimator):
    X, y = make_classification(300, 6, weights=[0.9], random_state=0)
    clf = Estimator(max_epochs=3, random_state=0).fit(X, y)
    assert _shortcut_groups(clf) == [(0.1, True)]  # its own group, module__shortcut_lr
    assert clf.module_.shortcut.weight.abs().sum() > 0  # it started at zero and learned
    assert all(g["lr"] == clf.lr for g in clf.optimizer_.param_groups
               if g["lr"] != 0.1)

    mine = Estimator(max_epochs=1, random_state=0,
                     optimizer__param_groups=[("shortcut.*", {"lr": 0.5})]).fit(X, y)
    assert _shortcut_groups(mine) == [(0.5, True)]  # the user's group wins
    same = Estimator(max_epochs=1, n_members=1, module__shortcut_lr=None).fit(X, y)
    assert [g["lr"] for g in same.optimizer_.param_groups] == [same.lr]
    off = Estimator(max_epochs=1, module__linear_shortcut=False).fit(X, y)
    assert off.module_.shortcut is None


@pytest.mark.parametrize("rebalance", [ClassifierRetraining(crt_epochs=2), "tau_norm",
                                       ["inverse", "tau_norm"]])
def test_strategies_on_the_classifier_train_without_the_shortcut(rebalance):
    X, y = make_classification(300, 6, weights=[0.9], random_state=0)
    clf = ImbalancedNetClassifier(rebalance=rebalance, max_epochs=4, random_state=0)
    assert clf.fit(X, y).module_.shortcut is None


def test_bbn_refuses_a_linear_shortcut():
    X, y = make_classification(300, 6, weights=[0.9], random_state=0)
    with pytest.raises(ValueError, match="no linear shortcut"):
        ImbalancedNetClassifier(rebalance="bbn", module__linear_shortcut=True,
                                max_epochs=1).fit(X, y)


def test_bad_shortcut_learning_rate():
    with pytest.raises(ValueError, match="module__shortcut_lr"):
        MLP(3, 2, shortcut_lr=0.0)
