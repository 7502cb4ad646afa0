"""Bad input gets a clear error that says what to do; extreme imbalance trains finitely;
fitted estimators survive pickle, clone and skorch's save_params/load_params."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import PredefinedSplit
from skorch.dataset import ValidSplit

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import ClassBalancedLoss

X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
Y = np.array(["a"] * 45 + ["b"] * 15)


def _fit(X_, y_, **params):
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=1, **params)
    return clf.fit(X_, y_)


def _with(value, where=(0, 0), data=X):
    bad = data.astype(object if isinstance(value, str) else np.float64)
    bad[where] = value
    return bad


@pytest.mark.parametrize("X_, y_, error, match", [
    (_with(np.nan), Y, ValueError, "(?s)Input X contains NaN.*imputer transformer in a pipeline"),
    (_with(np.inf), Y, ValueError, "Input X contains infinity.*np.nan_to_num"),
    (X, np.r_[[np.nan], np.ones(59)], ValueError, "Input y contains NaN.*Drop the rows"),
    (X[:0], Y[:0], ValueError, r"Found array with 0 sample\(s\).*Pass at least one row"),
    (X[:, 0], Y, ValueError, "(?s)Expected 2D array, got 1D array instead.*Reshape your data"),
    (X, np.linspace(0, 1, 60), ValueError, "Unknown label type: continuous.*regression"),
    (X, np.c_[Y, Y], ValueError, r"y should be a 1d array, got an array of shape \(60, 2\)"),
    (X, np.array(["a"] * 60), ValueError, r"y has only one class \('a'\).*at least 2 classes"),
    (X + 1j, Y, ValueError, "(?s)Complex data not supported.*np.real and np.imag"),
    (_with("red"), Y, ValueError, "X has non-numeric values.*OneHotEncoder in a ColumnTransformer"),
])
def test_bad_training_input(X_, y_, error, match):
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=1)
    with pytest.raises(error, match=match):
        clf.fit(X_, y_)
    assert not hasattr(clf, "module_")  # nothing half-fitted


def test_wrong_number_of_features_at_predict():
    clf = _fit(X, Y)
    with pytest.raises(ValueError, match="X has 3 features, but ImbalancedNetClassifier is "
                                         "expecting 4 features as input"):
        clf.predict(X[:, :3])


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not initialized yet"):
        ImbalancedNetClassifier(n_members=1).predict(X)


@pytest.mark.parametrize("params, match", [
    ({"rebalance": "focall"}, r"Unknown rebalance='focall'. Valid aliases are None, 'inverse'"),
    ({"rebalance": 3}, "rebalance must be None, a string alias"),
    ({"beta": 1.0}, r"'beta' parameter .* must be a float in the range \[0.0, 1.0\). Got 1.0"),
    ({"beta": -0.5}, r"'beta' parameter .* must be a float in the range \[0.0, 1.0\)"),
    ({"gamma": -0.1}, r"'gamma' parameter .* must be a float in the range \[0.0, inf\)"),
    ({"rebalance": ClassBalancedLoss(weighting="inverted")},
     r"'weighting' parameter of ClassBalancedLoss must be a str among .*'inverse'"),
    ({"rebalance": "focal", "alpha": [0.25]}, r"alpha for the softmax focal loss must be a "
                                              r"non-negative vector with one entry per class"),
])
def test_bad_parameters(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _fit(X, Y, **params)


def test_a_class_missing_from_the_training_split_is_named():
    y = np.array(["a"] * 58 + ["rare"] * 2)
    test_fold = np.r_[-np.ones(48), np.zeros(12)]  # both "rare" rows land in validation
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=1,
                                  train_split=ValidSplit(PredefinedSplit(test_fold)))
    with pytest.warns(UserWarning, match=r"Class\(es\) \['rare'\] have too few rows for the "
                                         r"internal validation split.*kept for training"):
        clf.fit(X, y)
    assert clf.class_counts_.tolist() == [48, 2]  # the two rare rows train


@pytest.mark.parametrize("Estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
@pytest.mark.parametrize("rebalance", [None, "inverse", "effective_number", "focal", "cb_focal",
                                       "class_balanced_sampling", "difficulty"])
def test_one_minority_sample_trains_finitely(Estimator, rebalance):
    y = np.array([0] * 59 + [1])
    clf = Estimator(n_members=1, rebalance=rebalance, beta=0.9999, max_epochs=3, train_split=None,
                    random_state=0).fit(X, y)
    assert np.all(np.isfinite(clf.history[:, "train_loss"]))
    assert np.all(np.isfinite(clf.predict_proba(X)))


@pytest.mark.parametrize("rebalance", ["inverse", "effective_number", "cb_focal", "difficulty"])
def test_one_to_ten_thousand_trains_finitely(rebalance):
    rng = np.random.default_rng(1)
    X_big = rng.normal(size=(20002, 4)).astype(np.float32)
    y_big = np.r_[np.zeros(20000, int), np.ones(2, int)]  # 1:10,000
    clf = ImbalancedNetBinaryClassifier(n_members=1, rebalance=rebalance, beta=0.9999, max_epochs=2,
                                        batch_size=512, train_split=None, random_state=0)
    clf.fit(X_big, y_big)
    assert np.all(np.isfinite(clf.history[:, "train_loss"]))
    weight = clf.class_weight_
    assert np.all(np.isfinite(weight)) and weight.sum() == pytest.approx(2)


@pytest.mark.parametrize("Estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
def test_pickle_round_trip_keeps_predictions_weights_and_difficulty(Estimator):
    clf = Estimator(n_members=1, rebalance=["difficulty", "cb_focal"], max_epochs=3, random_state=0)
    clf.fit(X, Y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(loaded.class_weight_, clf.class_weight_)
    torch.testing.assert_close(loaded.criterion_.class_weight, clf.criterion_.class_weight)
    np.testing.assert_array_equal(loaded.difficulty_, clf.difficulty_)
    before = dict(clf.callbacks_)["difficulty"]
    after = dict(loaded.callbacks_)["difficulty"]
    np.testing.assert_array_equal(after.du_sum_, before.du_sum_)
    loaded.partial_fit(X, Y)  # and training goes on from the accumulated state
    assert dict(loaded.callbacks_)["difficulty"].epochs_ == 6


def test_clone_is_unfitted_with_the_same_parameters():
    clf = _fit(X, Y, rebalance="focal", gamma=0.5)
    copy = clone(clf)
    assert copy.get_params()["gamma"] == 0.5 and copy.rebalance == "focal"
    assert not hasattr(copy, "module_") and not hasattr(copy, "classes_inferred_")


def test_save_params_load_params_round_trip(tmp_path):
    clf = ImbalancedNetClassifier(n_members=1, rebalance="cb_focal", max_epochs=3, random_state=0).fit(X, Y)
    clf.save_params(f_params=tmp_path / "params.pt", f_criterion=tmp_path / "criterion.pt",
                    f_history=tmp_path / "history.json")
    new = ImbalancedNetClassifier(n_members=1, rebalance="cb_focal", classes=["a", "b"],
                                  module__n_features=4)
    new.initialize()
    new.load_params(f_params=tmp_path / "params.pt", f_criterion=tmp_path / "criterion.pt",
                    f_history=tmp_path / "history.json")
    np.testing.assert_array_equal(new.predict(X), clf.predict(X))
    np.testing.assert_allclose(new.predict_proba(X), clf.predict_proba(X))
    torch.testing.assert_close(new.criterion_.class_weight, clf.criterion_.class_weight)
    assert len(new.history) == 3


def test_initialize_without_sizes_says_how():
    with pytest.raises(ValueError, match="pass module__n_features=.* and classes="):
        ImbalancedNetClassifier(n_members=1).initialize()
