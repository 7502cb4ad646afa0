"""The estimators behave as skorch nets do: callbacks, splits, datasets, pickling.

Regression tests for items 1-10 of the issue "A faithful skorch citizen". Each test uses
only what a skorch user touches: constructor parameters, fit / partial_fit / predict,
skorch callbacks, pickle, copy and GridSearchCV.
"""

import copy
import pathlib
import pickle
import re
import sys
import threading

import numpy as np
import pytest
import torch
from packaging.requirements import Requirement
from packaging.version import Version
from skorch.callbacks import Callback, EpochScoring
from skorch.dataset import Dataset, ValidSplit
from skorch.exceptions import NotInitializedError
from skorch.helper import predefined_split
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.data import TabularDataset

ROOT = pathlib.Path(__file__).resolve().parents[1]
ESTIMATORS = [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier]


@pytest.fixture
def binary_data():
    """300 rows, 8 features, about 7:3, labels 0 and 1."""
    X, y = make_classification(300, n_features=8, n_informative=5, weights=[0.7],
                               random_state=0)
    return X.astype(np.float32), y


@pytest.fixture
def labels_3_7_11():
    """300 rows, 8 features, three classes labelled 3, 7 and 11 (not 0..C-1)."""
    X, y = make_classification(300, n_features=8, n_informative=5, n_classes=3,
                               weights=[0.6, 0.25, 0.15], random_state=0)
    return X.astype(np.float32), np.array([3, 7, 11])[y]


def _known_validation_rows(n_rows, n_valid=80):
    """A train_split whose validation rows are known: the last ``n_valid`` rows."""
    test_fold = np.full(n_rows, -1)
    test_fold[-n_valid:] = 0
    return ValidSplit(PredefinedSplit(test_fold)), slice(n_rows - n_valid, None)


def _base_dataset(dataset):
    while isinstance(dataset, torch.utils.data.Subset):
        dataset = dataset.dataset
    return dataset


class TwoLayer(torch.nn.Module):
    """A user's own module: ``n_out`` logits (one logit squeezed to shape (n,))."""

    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.n_out = n_out
        self.linear = torch.nn.Linear(n_in, n_out)

    def forward(self, X):
        logits = self.linear(X)
        return logits.squeeze(-1) if self.n_out == 1 else logits


# --- 1. skorch's EpochScoring --------------------------------------------------------

def _roc_auc(net, X, y):
    return roc_auc_score(y, net.predict_proba(X)[:, 1])


def _f1(net, X, y):
    return f1_score(y, net.predict(X))


def _balanced_accuracy(net, X, y):
    return balanced_accuracy_score(y, net.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("scoring, lower_is_better, metric", [
    ("f1", False, _f1),
    ("roc_auc", False, _roc_auc),
])
def test_epoch_scoring_with_a_sklearn_scorer_name_records_the_sklearn_metric(
        Estimator, scoring, lower_is_better, metric, binary_data):
    # (with use_caching=False skorch gives a scorer no targets for a Dataset that is not
    # skorch's own; listed in docs/skorch_differences.rst)
    use_caching = True
    X, y = binary_data
    split, valid = _known_validation_rows(len(y))
    net = Estimator(n_members=1, max_epochs=2, lr=0.01, rebalance="inverse", train_split=split,
                    random_state=0,
                    callbacks=[EpochScoring(scoring, lower_is_better=lower_is_better,
                                            use_caching=use_caching)])
    net.fit(X, y)
    assert len(net.history) == 2
    assert net.history[-1, scoring] == pytest.approx(metric(net, X[valid], y[valid]))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_epoch_scoring_on_the_training_rows_is_recorded(Estimator, binary_data):
    X, y = binary_data
    net = Estimator(n_members=1, max_epochs=2, random_state=0,
                    callbacks=[EpochScoring("accuracy", on_train=True)])
    net.fit(X, y)
    scores = net.history[:, "accuracy"]
    assert len(scores) == 2
    assert all(0.0 <= score <= 1.0 for score in scores)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_own_validation_metric_without_caching_equals_sklearn_metric(Estimator, binary_data):
    X, y = binary_data
    split, valid = _known_validation_rows(len(y))
    net = Estimator(n_members=1, max_epochs=2, lr=0.01, rebalance="inverse", train_split=split,
                    random_state=0, callbacks__valid_bacc__use_caching=False)
    net.fit(X, y)
    assert net.history[-1, "valid_bacc"] == pytest.approx(
        _balanced_accuracy(net, X[valid], y[valid]))


# --- 2. predefined_split with labels that are not 0..C-1 -----------------------------

def test_predefined_split_with_labels_3_7_11_scores_the_encoded_validation_labels(
        labels_3_7_11):
    X, y = labels_3_7_11
    X_train, y_train, X_val, y_val = X[:220], y[:220], X[220:], y[220:]
    params = dict(max_epochs=2, lr=0.01, random_state=0)
    net = ImbalancedNetClassifier(n_members=1, 
        train_split=predefined_split(Dataset(X_val, y_val)), **params).fit(X_train, y_train)
    assert net.history[-1, "valid_bacc"] == pytest.approx(
        balanced_accuracy_score(y_val, net.predict(X_val)))
    # the same data labelled 0, 1, 2 give the same validation loss
    codes = np.searchsorted([3, 7, 11], y)
    reference = ImbalancedNetClassifier(n_members=1, 
        train_split=predefined_split(Dataset(X_val, codes[220:])), **params
    ).fit(X_train, codes[:220])
    np.testing.assert_allclose(net.history[:, "valid_loss"],
                               reference.history[:, "valid_loss"], rtol=1e-5)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predefined_split_with_string_labels(Estimator, binary_data):
    X, y = binary_data
    y = np.where(y == 1, "positive", "negative")
    X_train, y_train, X_val, y_val = X[:220], y[:220], X[220:], y[220:]
    net = Estimator(n_members=1, max_epochs=2, lr=0.01, random_state=0,
                    train_split=predefined_split(Dataset(X_val, y_val))).fit(X_train, y_train)
    assert np.all(np.isfinite(net.history[:, "valid_loss"]))
    assert net.history[-1, "valid_bacc"] == pytest.approx(
        balanced_accuracy_score(y_val, net.predict(X_val)))


# --- 3. dataset= and dataset__* -----------------------------------------------------

def _recording_dataset():
    class RecordingDataset(TabularDataset):
        built = []

        def __init__(self, X, y=None, *args, marker=None, **kwargs):
            super().__init__(X, y, *args, **kwargs)
            self.marker = marker
            RecordingDataset.built.append(self)

    return RecordingDataset


class TrainingDatasets(Callback):
    """Records the (base) dataset each epoch trains on."""

    def __init__(self):
        self.seen = []

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.seen.append(_base_dataset(dataset_train))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dataset_class_is_used_for_the_training_data(Estimator, binary_data):
    X, y = binary_data
    RecordingDataset = _recording_dataset()
    recorder = TrainingDatasets()
    Estimator(n_members=1, dataset=RecordingDataset, max_epochs=1, callbacks=[recorder]).fit(X, y)
    assert recorder.seen and all(isinstance(ds, RecordingDataset) for ds in recorder.seen)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dataset_params_reach_the_training_dataset(Estimator, binary_data):
    X, y = binary_data
    RecordingDataset = _recording_dataset()
    recorder = TrainingDatasets()
    Estimator(n_members=1, dataset=RecordingDataset, dataset__marker="mine", max_epochs=1,
              callbacks=[recorder]).fit(X, y)
    assert [getattr(ds, "marker", None) for ds in recorder.seen] == ["mine"]


# --- 4. callbacks are looked up as skorch does ---------------------------------------

class HoldsALock(Callback):
    def __init__(self):
        self.lock = threading.Lock()

    def on_epoch_end(self, net, **kwargs):
        with self.lock:
            pass


class CountsEpochs(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.epochs += 1


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickles_after_an_unpicklable_callback_is_removed_with_set_params(
        Estimator, binary_data):
    # passed as a class, so only the fitted net's instance (callbacks_) holds the lock,
    # as with skorch's own nets, which then pickle once it is removed
    X, y = binary_data
    net = Estimator(n_members=1, max_epochs=1, callbacks=[("locked", HoldsALock)]).fit(X, y)
    net.set_params(callbacks__locked=None)
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict(X), net.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_callback_appended_after_fit_runs_in_the_next_partial_fit(Estimator, binary_data):
    X, y = binary_data
    net = Estimator(n_members=1, max_epochs=1).fit(X, y)
    late = CountsEpochs()
    net.callbacks_.append(("late", late))
    net.partial_fit(X, y)
    assert late.epochs == 1


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_hook_assigned_on_a_callback_instance_is_called(Estimator, binary_data):
    X, y = binary_data
    epochs = []
    hook = Callback()
    hook.on_epoch_end = lambda net, **kwargs: epochs.append(len(net.history))
    Estimator(n_members=1, max_epochs=2, callbacks=[("hook", hook)]).fit(X, y)
    assert epochs == [1, 2]


# --- 5. initialize() then partial_fit with a module of one's own ---------------------

@pytest.mark.parametrize("Estimator, n_out", [(ImbalancedNetClassifier, 2),
                                              (ImbalancedNetBinaryClassifier, 1)])
@pytest.mark.parametrize("classes_given_to", ["constructor", "partial_fit", "nowhere"])
def test_initialize_then_partial_fit_trains_a_custom_module(Estimator, n_out,
                                                            classes_given_to, binary_data):
    X, y = binary_data
    net = Estimator(TwoLayer, n_members=1, module__n_in=8, module__n_out=n_out, max_epochs=1,
                    lr=0.05, **({"classes": [0, 1]} if classes_given_to == "constructor"
                               else {}))
    net.initialize()
    before = copy.deepcopy(net.module_.state_dict())
    net.partial_fit(X, y, **({"classes": [0, 1]} if classes_given_to == "partial_fit"
                             else {}))
    assert len(net.history) == 1
    assert not torch.equal(net.module_.state_dict()["linear.weight"],
                           before["linear.weight"])
    np.testing.assert_array_equal(net.classes_, [0, 1])
    assert net.n_features_in_ == 8
    assert set(net.predict(X)) <= {0, 1}


# --- 6. binary head with a criterion of one's own ------------------------------------

def test_binary_with_bce_criterion_and_class_balanced_sampling_fits_and_predicts(
        binary_data):
    X, y = binary_data
    net = ImbalancedNetBinaryClassifier(n_members=1, criterion=torch.nn.BCEWithLogitsLoss,
                                        rebalance="class_balanced_sampling", max_epochs=2,
                                        random_state=0).fit(X, y)
    assert len(net.history) == 2
    assert np.all(np.isfinite(net.history[:, "train_loss"]))
    assert set(net.predict(X)) <= {0, 1}
    np.testing.assert_allclose(net.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)


# --- 7. compile=True ------------------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_compile_keeps_the_compiled_criterion_through_fit(Estimator, binary_data):
    # the "eager" backend compiles with dynamo but needs no C compiler (a few seconds)
    X, y = binary_data
    net = Estimator(n_members=1, max_epochs=1, rebalance="inverse", compile=True,
                    compile__backend="eager").fit(X, y)
    compiled = torch._dynamo.eval_frame.OptimizedModule
    assert isinstance(net.module_, compiled)
    assert isinstance(net.criterion_, compiled)


# --- 8. unfitted prediction ----------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
@pytest.mark.parametrize("error", [NotInitializedError, NotFittedError])
def test_unfitted_prediction_raises_skorchs_not_initialized_error(Estimator, method, error,
                                                                 binary_data):
    X, _ = binary_data
    with pytest.raises(error):
        getattr(Estimator(n_members=1), method)(X)


# --- 9. the declared skorch lower bound ----------------------------------------------

def _declared_minimum(package):
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == package:
            return min(Version(spec.version) for spec in requirement.specifier
                       if spec.operator in (">=", "==", "~="))
    raise AssertionError(f"{package} is not a declared dependency")


def test_no_skorch_private_argument_newer_than_the_declared_minimum():
    # NeuralNet.partial_fit/fit_loop take the private `_routing_method` only from 1.4
    minimum = _declared_minimum("skorch")
    # only the compatibility module may name it, behind a check that skorch has it
    users = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "imbsk").rglob("*.py")
                   if re.search(r"\b_routing_method\b", path.read_text())
                   and path.name != "_compat.py")
    compat = (ROOT / "imbsk" / "_compat.py").read_text()
    assert "_routing_method\" in inspect.signature(NeuralNet.fit_loop)" in compat
    if minimum < Version("1.4"):
        assert users == [], (
            f"pyproject declares skorch>={minimum}, but {users} pass skorch's private "
            "`_routing_method`, which skorch has only from 1.4")


# --- 10. device="auto" survives copies --------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_auto_device_model_unpickles_and_predicts(Estimator, binary_data):
    X, y = binary_data
    net = Estimator(n_members=1, max_epochs=1, device="auto", random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(net))
    assert restored.device == "auto"
    np.testing.assert_allclose(restored.predict_proba(X), net.predict_proba(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_auto_device_model_deepcopies_and_predicts(Estimator, binary_data):
    X, y = binary_data
    net = Estimator(n_members=1, max_epochs=1, device="auto", random_state=0).fit(X, y)
    copied = copy.deepcopy(net)
    np.testing.assert_allclose(copied.predict_proba(X), net.predict_proba(X))


def test_auto_device_in_a_parallel_grid_search(binary_data):
    X, y = binary_data
    search = GridSearchCV(ImbalancedNetClassifier(n_members=1, max_epochs=1, device="auto",
                                                  random_state=0),
                          {"lr": [1e-3, 1e-2]}, cv=2, n_jobs=2).fit(X, y)
    assert search.best_params_["lr"] in (1e-3, 1e-2)
    assert set(search.predict(X)) <= {0, 1}
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
