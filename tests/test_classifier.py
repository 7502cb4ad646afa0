import pathlib

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk._data_hooks import PREDICTION_ROWS
from imbsk.rebalance import ClassBalancedLoss, ClassBalancedSampling

KEEL = pathlib.Path(__file__).resolve().parents[1] / "imbsk" / "datasets" / "data"
ESTIMATORS = [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_returns_labels_not_indices(Estimator, imbalanced_data):
    X, y = imbalanced_data
    clf = Estimator(n_members=1, max_epochs=3, random_state=0).fit(X, y)
    assert set(clf.predict(X)) <= {"negative", "positive"}
    np.testing.assert_array_equal(clf.classes_, ["negative", "positive"])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)


def test_multiclass_integer_labels_that_are_not_0_to_c(three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(n_members=1, rebalance="inverse", max_epochs=3, random_state=0).fit(X, y)
    assert set(clf.predict(X)) <= {3, 7, 11}
    assert clf.predict_proba(X).shape == (len(X), 3)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_seed_same_model_and_global_rng_untouched(Estimator, imbalanced_data):
    X, y = imbalanced_data
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    p1 = Estimator(n_members=1, rebalance="cb_focal", max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    after = torch.rand(1)
    p2 = Estimator(n_members=1, rebalance="cb_focal", max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    p3 = Estimator(n_members=1, rebalance="cb_focal", max_epochs=3, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)
    assert before == after  # fit did not consume the caller's torch RNG stream


def test_class_counts_come_from_the_training_split(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(n_members=1, rebalance="inverse", max_epochs=1, random_state=0).fit(X, y)
    full = np.bincount(np.unique(y, return_inverse=True)[1])
    assert clf.class_counts_.sum() == int(0.8 * len(y))  # ValidSplit(5) keeps 4/5
    assert np.all(clf.class_counts_ < full)
    expected = 1 / clf.class_counts_
    np.testing.assert_allclose(clf.class_weight_, expected / expected.sum() * 2, rtol=1e-6)
    no_split = ImbalancedNetClassifier(n_members=1, rebalance="inverse", max_epochs=1, train_split=None,
                                       random_state=0).fit(X, y)
    np.testing.assert_array_equal(no_split.class_counts_, full)


@pytest.mark.parametrize("device", ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
def test_class_weights_live_on_the_module_device(device, imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(n_members=1, rebalance="effective_number", max_epochs=1, device=device,
                                  random_state=0).fit(X, y)
    module_device = next(clf.module_.parameters()).device
    assert clf.criterion_.class_weight.device == module_device
    assert module_device.type == device


def test_cuda_without_gpu_is_a_clear_error(imbalanced_data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = imbalanced_data
    for device in ["cuda", "cuda:1"]:
        clf = ImbalancedNetClassifier(n_members=1, device=device, max_epochs=1)
        with pytest.raises(ValueError, match="CUDA is not available.*Use device='cpu'"):
            clf.fit(X, y)
        assert not hasattr(clf, "module_")  # nothing half-fitted


def test_auto_device_runs_on_cpu_without_gpu(imbalanced_data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(n_members=1, device="auto", max_epochs=1, random_state=0).fit(X, y)
    assert clf.device == "auto"  # the parameter is left as given
    assert next(clf.module_.parameters()).device.type == "cpu"
    clf.predict(X)


def test_unknown_device_string():
    with pytest.raises(ValueError, match="device='tpu' is not a device torch understands"):
        ImbalancedNetClassifier(n_members=1, device="tpu").fit(np.zeros((10, 2)), [0, 1] * 5)


@pytest.mark.parametrize("rebalance, expect_prior", [
    (None, False), ("inverse", False), ("effective_number", False),
    ("focal", True), ("cb_focal", True),
    (ClassBalancedLoss(form="sigmoid"), True),
])
def test_output_bias_prior_for_sigmoid_and_focal_forms_only(rebalance, expect_prior,
                                                            three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(n_members=1, rebalance=rebalance, max_epochs=0, random_state=0).fit(X, y)
    bias = clf.module_.output.bias.detach().numpy()
    prior = -np.log((1 - 1 / 3) / (1 / 3))  # pi = 1/C
    assert np.allclose(bias, prior) == expect_prior


@pytest.mark.parametrize("rebalance", [None, "focal", "effective_number"])
def test_binary_head_bias_is_the_positive_class_prior(rebalance, imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetBinaryClassifier(n_members=1, rebalance=rebalance, max_epochs=0, random_state=0)
    clf.fit(X, y)
    pi = clf.class_counts_[1] / clf.class_counts_.sum()
    np.testing.assert_allclose(clf.module_.output.bias.item(), np.log(pi / (1 - pi)), rtol=1e-5)


def test_user_module_still_works(three_class_data):
    X, y = three_class_data
    module = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    clf = ImbalancedNetClassifier(module, rebalance="cb_focal", max_epochs=0, random_state=0,
                                  n_members=1)
    clf.fit(X, y)
    assert clf.predict(X).shape == (len(X),)
    # the focal form initialised the output bias of the user's last Linear layer (pi = 1/3)
    np.testing.assert_allclose(clf.module_[2].bias.detach().numpy(), -np.log(2), rtol=1e-6)


def test_module_params_tune_the_builtin_mlp(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(n_members=1, module__hidden_units=(5,), module__dropout=0.0, max_epochs=1)
    clf.fit(X, y)
    assert clf.module_.hidden[1].out_features == 5
    assert clf.module_.output.in_features == 5


def test_rebalance_strategy_params_reachable_by_double_underscore(imbalanced_data):
    clf = ImbalancedNetClassifier(n_members=1, rebalance=ClassBalancedLoss(weighting="effective_number"))
    assert clf.get_params()["rebalance__beta"] == 0.999
    clf.set_params(rebalance__beta=0.9, max_epochs=1)
    assert clf.rebalance.beta == 0.9
    assert clone(clf).rebalance.beta == 0.9
    X, y = imbalanced_data
    search = GridSearchCV(clf, {"rebalance__beta": [0.9, 0.99]}, cv=2).fit(X, y)
    assert search.best_params_["rebalance__beta"] in (0.9, 0.99)


def test_the_callers_strategy_object_is_not_modified(imbalanced_data):
    strategy = ClassBalancedSampling()
    ImbalancedNetClassifier(n_members=1, rebalance=strategy, max_epochs=1).fit(*imbalanced_data)
    assert not hasattr(strategy, "tracker_") and vars(strategy) == {"power": 0.0}


def test_unknown_rebalance_lists_the_valid_ones(imbalanced_data):
    with pytest.raises(ValueError, match="Unknown rebalance='cb-focal'. Valid aliases are None,"
                                         " 'inverse'.*'difficulty'"):
        ImbalancedNetClassifier(n_members=1, rebalance="cb-focal").fit(*imbalanced_data)


@pytest.mark.parametrize("params, match", [
    ({"beta": 1.0}, r"The 'beta' parameter of ImbalancedNetClassifier must be a float in the "
                    r"range \[0.0, 1.0\)"),
    ({"gamma": -1}, r"The 'gamma' parameter of ImbalancedNetClassifier must be a float in "
                    r"the range \[0.0, inf\)"),
])
def test_bad_beta_gamma(params, match, imbalanced_data):
    clf = ImbalancedNetClassifier(n_members=1, **params)
    with pytest.raises(ValueError, match=match):
        clf.fit(*imbalanced_data)
    assert not hasattr(clf, "module_")


def test_own_criterion_with_a_loss_strategy_is_refused(imbalanced_data):
    clf = ImbalancedNetClassifier(n_members=1, criterion=torch.nn.CrossEntropyLoss, rebalance="focal",
                                  max_epochs=1)
    with pytest.raises(ValueError, match="Pass criterion=None"):
        clf.fit(*imbalanced_data)


def test_own_criterion_with_a_sampling_strategy(imbalanced_data):
    clf = ImbalancedNetClassifier(n_members=1, criterion=torch.nn.CrossEntropyLoss,
                                  rebalance="class_balanced_sampling", max_epochs=1)
    clf.fit(*imbalanced_data)
    assert isinstance(clf.criterion_, torch.nn.CrossEntropyLoss)


def test_binary_classifier_refuses_more_than_two_classes(three_class_data):
    with pytest.raises(ValueError, match="Only binary classification is supported.*"
                                         "use ImbalancedNetClassifier"):
        ImbalancedNetBinaryClassifier(n_members=1).fit(*three_class_data)


def test_pipeline_on_keel_abalone19_returns_string_labels():
    frame = pd.read_csv(KEEL / "abalone19.csv")
    X, y = frame.drop(columns="label"), frame["label"]
    numeric = [c for c in X.columns if c != "Sex"]
    pipe = make_pipeline(
        ColumnTransformer([("nominal", OneHotEncoder(), ["Sex"]),
                           ("numeric", StandardScaler(), numeric)]),
        ImbalancedNetClassifier(n_members=1, rebalance="effective_number", max_epochs=3, random_state=0),
    )
    pipe.fit(X, y)
    predicted = pipe.predict(X)
    assert predicted.dtype == object and set(predicted) <= {"positive", "negative"}
    assert pipe.score(X, y) > 0.5


def test_grid_search_over_beta_and_gamma_in_parallel(imbalanced_data):
    X, y = imbalanced_data
    grid = {"beta": [0.9, 0.99, 0.999, 0.9999], "gamma": [0.0, 0.5, 1.0, 2.0]}
    clf = ImbalancedNetClassifier(n_members=1, rebalance="cb_focal", max_epochs=2, batch_size=64,
                                  random_state=0)
    search = GridSearchCV(clf, grid, scoring="balanced_accuracy", cv=3, n_jobs=2).fit(X, y)
    assert search.best_params_["beta"] in grid["beta"]
    assert search.best_params_["gamma"] in grid["gamma"]
    assert len(search.cv_results_["params"]) == 16
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_dataframe_input_records_feature_names(imbalanced_data):
    X, y = imbalanced_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=1).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    assert clf.n_features_in_ == 8
    clf.predict(frame)


def _chunks(X, y):
    """Four chunks: one without class 1, a middle one, a 10-row one and a 4-row one."""
    minority = np.flatnonzero(y == "positive")
    majority = np.flatnonzero(y == "negative")
    first = majority[:300]
    second = np.r_[majority[300:480], minority[:-5]]
    third = np.r_[majority[480:488], minority[-5:-3]]
    fourth = np.r_[majority[488:490], minority[-2:]]
    return [(X[rows], y[rows]) for rows in (first, second, third, fourth)]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_streaming_partial_fit_accumulates_counts_over_chunks(Estimator, imbalanced_data):
    X, y = imbalanced_data
    decision = {"threshold": "prior"} if Estimator is ImbalancedNetBinaryClassifier else \
        {"posthoc_tau": 1.0}
    clf = Estimator(n_members=1, rebalance="inverse", max_epochs=2, random_state=0, **decision)
    counts = []
    for X_chunk, y_chunk in _chunks(X, y)[:3]:
        clf.partial_fit(X_chunk, y_chunk, classes=["negative", "positive"])
        counts.append(clf.class_counts_.copy())
    np.testing.assert_array_equal(clf.classes_, ["negative", "positive"])
    # the first chunk has no positive row: its count is 0, and training still ran
    np.testing.assert_array_equal(counts[0], [240, 0])
    # counts add up over the chunks (their training rows: 4 of 5 with the internal split)
    assert (counts[1] - counts[0]).sum() == len(_chunks(X, y)[1][1]) - 48  # 48 validate
    assert counts[1][1] > 0
    assert (counts[2] - counts[1]).sum() == 8
    # weights come from the running counts, not from the last chunk
    expected = 1 / counts[2]
    np.testing.assert_allclose(clf.class_weight_, expected / expected.sum() * 2, rtol=1e-6)
    # a chunk smaller than the split's 5 folds trains on all its rows, with a warning
    X_small, y_small = _chunks(X, y)[3]
    with pytest.warns(UserWarning, match="chunk of 4 rows is too small for the internal"):
        clf.partial_fit(X_small, y_small)
    np.testing.assert_array_equal(clf.class_counts_ - counts[2], [2, 2])
    assert len(clf.history) == 8
    assert set(clf.predict(X)) <= {"negative", "positive"}


def test_partial_fit_classes_must_not_change(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=1, random_state=0)
    clf.partial_fit(X, y, classes=["negative", "positive"])
    with pytest.raises(ValueError, match="differs from the classes of the first call"):
        clf.partial_fit(X, y, classes=["negative", "positive", "other"])
    with pytest.raises(ValueError, match=r"y contains labels not in classes: \['unknown'\]"):
        ImbalancedNetClassifier(n_members=1, max_epochs=1).partial_fit(
            X[:4], ["a", "b", "unknown", "a"], classes=["a", "b"])
    with pytest.raises(ValueError, match="duplicate labels"):
        ImbalancedNetClassifier(n_members=1, max_epochs=1).partial_fit(X[:4], ["a", "b", "a", "a"],
                                                          classes=["a", "b", "a"])


def test_partial_fit_without_classes_on_a_one_class_chunk_is_refused(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="only one class"):
        ImbalancedNetClassifier(n_members=1, max_epochs=1).partial_fit(X[y == "negative"],
                                                          y[y == "negative"])


def test_fit_with_too_few_rows_for_the_split_names_train_split():
    X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"internal validation split \(train_split=.*\) "
                                         r"failed on 4 rows.*train_split=None"):
        ImbalancedNetClassifier(n_members=1, max_epochs=1).fit(X, [0, 1, 0, 1])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("rebalance", [None, "difficulty", "class_balanced_sampling"])
def test_sparse_one_hot_through_a_column_transformer(Estimator, rebalance):
    rng = np.random.default_rng(0)
    n = 1500
    zip_code = rng.permutation(np.arange(n) % 300).astype(str)
    income = rng.normal(size=n)
    y = np.where((zip_code.astype(int) % 10 == 0) | (income > 1.8), "churn", "stay")
    frame = pd.DataFrame({"zip": zip_code, "income": income})
    prep = ColumnTransformer([("zip", OneHotEncoder(handle_unknown="ignore"), ["zip"]),
                              ("num", StandardScaler(), ["income"])])
    assert prep.fit_transform(frame).format == "csr"  # 301 columns: sparse output
    pipe = make_pipeline(prep, Estimator(n_members=1, rebalance=rebalance, max_epochs=15, lr=0.01,
                                         random_state=0))
    pipe.fit(frame, y)
    clf = pipe[-1]
    assert clf.n_features_in_ == 301
    predicted = pipe.predict(frame)
    assert set(predicted) <= {"churn", "stay"}
    from sklearn.metrics import balanced_accuracy_score
    assert balanced_accuracy_score(y, predicted) > 0.7
    # the same model on the densified matrix: the same probabilities
    dense = prep.transform(frame).toarray()
    np.testing.assert_allclose(clf.predict_proba(prep.transform(frame)),
                               clf.predict_proba(dense), rtol=1e-6)


def test_sparse_rows_are_never_densified_whole(monkeypatch, imbalanced_data):
    import scipy.sparse as sp

    X, y = imbalanced_data
    X, y = np.tile(X, (8, 1)), np.tile(y, 8)  # more rows than one prediction batch
    densified = []
    original = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=2, batch_size=64, random_state=0)
    clf.fit(sp.csr_matrix(X), y).predict_proba(sp.csr_matrix(X))
    # training and prediction batches only, never the whole matrix
    assert densified and max(densified) <= PREDICTION_ROWS < X.shape[0]


def test_imblearn_sampler_keeps_sparse_rows_sparse(imbalanced_data):
    import scipy.sparse as sp
    from imblearn.over_sampling import RandomOverSampler

    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(n_members=1, rebalance=RandomOverSampler(), max_epochs=2, random_state=0)
    clf.fit(sp.csr_matrix(X), y)
    counts = clf.class_counts_
    assert counts[0] == counts[1]  # over-sampled to balance
