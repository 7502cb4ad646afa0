import numpy as np
import pandas as pd
import pytest
import sklearn

import imbsk.classifier
from imblearn.combine import SMOTEENN
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from skorch.callbacks import Callback, Checkpoint, EarlyStopping
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.data import dataset_rows
from imbsk.datasets import load_keel
from imbsk.rebalance import ImblearnResampling


class SplitRecorder(Callback):
    """Keeps the training rows of every epoch and the validation rows."""

    def initialize(self):
        self.train_rows, self.valid_rows = [], None
        return self

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.train_rows.append(dataset_rows(dataset_train)[0].cpu().numpy().copy())
        self.valid_rows = dataset_rows(dataset_valid)[0].cpu().numpy()


def _row_set(rows):
    return {row.tobytes() for row in rows}


@pytest.mark.parametrize("sampler", [SMOTE(k_neighbors=3), RandomOverSampler()])
def test_no_synthetic_or_duplicated_row_reaches_validation(sampler, imbalanced_data):
    X, y = imbalanced_data
    recorder = SplitRecorder()
    clf = ImbalancedNetClassifier(n_members=1, rebalance=sampler, max_epochs=3, callbacks=[recorder],
                                  random_state=0)
    clf.fit(X, y)
    original, valid = _row_set(X), _row_set(recorder.valid_rows)
    assert valid <= original  # validation rows are original rows
    for train in recorder.train_rows:
        assert not (valid & _row_set(train))  # none of them, or a copy, is trained on
        assert len(train) > 0.8 * len(X)  # the training split was over-sampled
    if isinstance(sampler, SMOTE):
        assert _row_set(recorder.train_rows[0]) - original  # synthetic rows exist, in training


@pytest.mark.parametrize("per_epoch, low, high", [(True, 0.9, 1.0), (False, 0.0, 0.2)])
def test_under_sampler_redrawn_each_epoch_touches_every_majority_row(per_epoch, low, high,
                                                                     imbalanced_data):
    X, y = imbalanced_data
    recorder = SplitRecorder()
    clf = ImbalancedNetClassifier(n_members=1, 
        rebalance=ImblearnResampling(RandomUnderSampler(), per_epoch=per_epoch),
        max_epochs=30, callbacks=[recorder], random_state=0)
    clf.fit(X, y)
    majority = _row_set(X[y == "negative"]) - _row_set(recorder.valid_rows)
    touched = set().union(*(_row_set(rows) for rows in recorder.train_rows)) & majority
    assert low <= len(touched) / len(majority) <= high


def test_sampler_composes_with_a_loss_and_is_seeded(imbalanced_data):
    X, y = imbalanced_data
    make = lambda: ImbalancedNetClassifier(n_members=1, rebalance=[SMOTE(), "focal"], max_epochs=2,
                                           random_state=0)
    first, second = make().fit(X, y), make().fit(X, y)
    assert first.criterion_.gamma == 2.0
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def test_sampler_with_another_sampling_strategy_is_refused(imbalanced_data):
    with pytest.raises(ValueError, match="cannot be combined with a sampling strategy"):
        ImbalancedNetClassifier(n_members=1, rebalance=[SMOTE(), "difficulty"]).fit(*imbalanced_data)


def test_k_neighbors_larger_than_the_minority_is_explained(imbalanced_data):
    X, y = imbalanced_data
    keep = np.r_[np.flatnonzero(y == "negative"), np.flatnonzero(y == "positive")[:6]]
    clf = ImbalancedNetClassifier(n_members=1, rebalance=SMOTE(k_neighbors=5), max_epochs=1)
    with pytest.raises(ValueError, match=r"SMOTE failed on the \d+ rows it was given .* class "
                                         r"counts are \[.*, 5\].*lower k_neighbors"):
        clf.fit(X[keep], y[keep])


def _keel_pipeline(name, sampler):
    X, y = load_keel(name, return_X_y=True)
    nominal = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    prep = ColumnTransformer([("nominal", OneHotEncoder(handle_unknown="ignore"), nominal),
                              ("numeric", StandardScaler(),
                               [c for c in X.columns if c not in nominal])])
    clf = ImbalancedNetClassifier(n_members=1, rebalance="effective_number", max_epochs=3, random_state=0)
    return make_pipeline(prep, sampler, clf), X, y


@pytest.mark.parametrize("name", ["abalone9-18", "yeast3"])
@pytest.mark.parametrize("sampler", [SMOTE(random_state=0), RandomUnderSampler(random_state=0),
                                     SMOTEENN(random_state=0)])
def test_imblearn_pipelines_on_keel(name, sampler):
    pipe, X, y = _keel_pipeline(name, sampler)
    predicted = pipe.fit(X, y).predict(X)
    assert set(predicted) <= {"positive", "negative"} and len(predicted) == len(y)


def test_cross_val_score_with_the_sampler_inside_fit():
    X, y = load_keel("yeast5", return_X_y=True)
    clf = ImbalancedNetClassifier(n_members=1, rebalance=SMOTE(), max_epochs=3, random_state=0)
    scores = cross_val_score(clf, X.to_numpy(np.float32), y, scoring="balanced_accuracy", cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_grid_search_over_sampler_params_and_beta_gamma_together(imbalanced_data):
    grid = {"rebalance": [[SMOTE(k_neighbors=3), "cb_focal"], [SMOTE(k_neighbors=5), "cb_focal"]],
            "beta": [0.99, 0.999], "gamma": [0.5, 2.0]}
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=2, random_state=0)
    search = GridSearchCV(clf, grid, scoring="balanced_accuracy", cv=2).fit(*imbalanced_data)
    assert len(search.cv_results_["params"]) == 8
    single = GridSearchCV(ImbalancedNetClassifier(n_members=1, rebalance=SMOTE(), max_epochs=2),
                          {"rebalance__k_neighbors": [3, 5]}, cv=2).fit(*imbalanced_data)
    assert single.best_params_["rebalance__k_neighbors"] in (3, 5)


def test_history_records_imbalanced_metrics_from_the_libraries(imbalanced_data):
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

    X, y = imbalanced_data
    recorder = SplitRecorder()
    clf = ImbalancedNetClassifier(n_members=1, rebalance="inverse", max_epochs=2, callbacks=[recorder],
                                  random_state=0).fit(X, y)
    last = clf.history[-1]
    rows = _row_set(recorder.valid_rows)
    is_valid = np.array([row.tobytes() in rows for row in X])
    y_valid, predicted = y[is_valid], clf.predict(X[is_valid])
    assert last["valid_bacc"] == pytest.approx(balanced_accuracy_score(y_valid, predicted))
    assert last["valid_gmean"] == pytest.approx(geometric_mean_score(y_valid, predicted))
    assert last["valid_macro_f1"] == pytest.approx(f1_score(y_valid, predicted,
                                                            average="macro"))
    assert last["valid_recall_positive"] == pytest.approx(
        recall_score(y_valid, predicted, pos_label="positive"))
    assert "valid_recall_negative" in last


def test_early_stopping_and_checkpoint_on_validation_balanced_accuracy(imbalanced_data,
                                                                      tmp_path):
    clf = ImbalancedNetClassifier(n_members=1, 
        rebalance="inverse", max_epochs=200, lr=0.01, random_state=0,
        callbacks=[EarlyStopping(monitor="valid_bacc", lower_is_better=False, patience=3),
                   Checkpoint(monitor="valid_bacc_best", dirname=str(tmp_path))])
    clf.fit(*imbalanced_data)
    assert len(clf.history) < 200
    assert (tmp_path / "params.pt").exists()


def test_sample_weight_of_ones_gives_the_same_model(imbalanced_data):
    X, y = imbalanced_data
    make = lambda: ImbalancedNetClassifier(n_members=1, rebalance="effective_number", max_epochs=3,
                                           random_state=0)
    plain = make().fit(X, y).predict_proba(X)
    ones = make().fit(X, y, sample_weight=np.ones(len(y))).predict_proba(X)
    np.testing.assert_array_equal(plain, ones)


def test_zero_weight_on_a_class_removes_its_influence(three_class_data):
    X, y = three_class_data
    weight = np.where(y == 11, 0.0, 1.0)
    noisy = X.copy()
    noisy[y == 11] = np.random.default_rng(0).normal(size=noisy[y == 11].shape) * 100
    # preprocess=None: the input scaling is fitted on every row passed, zero weight or not
    make = lambda: ImbalancedNetClassifier(n_members=1, rebalance="inverse", max_epochs=3,  # noqa
                                           random_state=0, preprocess=None)
    a = make().fit(X, y, sample_weight=weight)
    b = make().fit(noisy, y, sample_weight=weight)
    for p, q in zip(a.module_.parameters(), b.module_.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-6)


def test_sample_weight_is_routed_through_grid_search(imbalanced_data, monkeypatch):
    X, y = imbalanced_data
    seen = []
    original = imbsk.classifier.validate_sample_weight

    def spy(sample_weight, X_, criterion):
        seen.append(None if sample_weight is None else len(sample_weight))
        return original(sample_weight, X_, criterion)

    monkeypatch.setattr(imbsk.classifier, "validate_sample_weight", spy)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = (ImbalancedNetClassifier(n_members=1, max_epochs=1).set_fit_request(sample_weight=True)
               .set_score_request(sample_weight=False))
        GridSearchCV(clf, {"beta": [0.9]}, cv=2, refit=False).fit(
            X, y, sample_weight=np.ones(len(y)))
    assert seen == [300, 300]


@pytest.mark.parametrize("bad, match", [
    (-np.ones(600), "Negative values in data passed to `sample_weight`"),
    (np.ones(5), r"sample_weight.shape == \(5,\), expected \(600,\)"),
])
def test_bad_sample_weight(bad, match, imbalanced_data):
    with pytest.raises(ValueError, match=match):
        ImbalancedNetClassifier(n_members=1, max_epochs=1).fit(*imbalanced_data, sample_weight=bad)


def test_sample_weight_with_a_row_making_sampler_is_refused(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="sample_weight cannot follow the rows SMOTE makes"):
        ImbalancedNetClassifier(n_members=1, rebalance=SMOTE()).fit(X, y, sample_weight=np.ones(len(y)))


def test_sample_weight_follows_the_rows_a_sampler_selects(imbalanced_data):
    X, y = imbalanced_data
    weight = np.arange(len(y), dtype=np.float32)  # weight i identifies row i
    recorder = WeightRecorder()
    ImbalancedNetClassifier(n_members=1, rebalance=RandomOverSampler(), max_epochs=2, callbacks=[recorder],
                            random_state=0).fit(X, y, sample_weight=weight)
    for rows, weights in recorder.draws:
        np.testing.assert_array_equal(rows, X[weights.astype(int)])


class WeightRecorder(Callback):
    def initialize(self):
        self.draws = []
        return self

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        self.draws.append((dataset_train.X.numpy().copy(),
                           dataset_train.sample_weight.numpy().copy()))
