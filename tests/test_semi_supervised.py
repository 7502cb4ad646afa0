import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.semi_supervised import (
    labeled_mask,
    labeled_scorer,
    pseudo_label_caps,
    select_pseudo_labels,
)


@pytest.fixture
def semi_data():
    X, y = make_classification(1500, n_features=8, n_informative=5, n_classes=3,
                               weights=[0.8, 0.15, 0.05], class_sep=2.0, random_state=0)
    y_semi = y.copy()
    y_semi[np.random.default_rng(0).random(len(y)) < 0.7] = -1
    return X.astype(np.float32), y, y_semi


def test_caps_and_selection_hand_computed():
    np.testing.assert_array_equal(pseudo_label_caps([80, 15, 5], 100, "proportional"),
                                  [80, 15, 5])
    np.testing.assert_array_equal(pseudo_label_caps([80, 15, 5], 100, "balanced"), [34] * 3)
    np.testing.assert_array_equal(pseudo_label_caps([80, 15, 5], 100, 7), [7] * 3)
    np.testing.assert_array_equal(pseudo_label_caps([80, 15, 5], 100, None), [100] * 3)
    with pytest.raises(ValueError, match="pseudo_cap"):
        pseudo_label_caps([1, 1], 5, "lots")
    proba = np.array([[0.97, 0.03], [0.91, 0.09], [0.99, 0.01], [0.6, 0.4], [0.02, 0.98]])
    rows, codes = select_pseudo_labels(proba, 0.9, caps=[2, 2])
    assert rows.tolist() == [0, 2, 4] and codes.tolist() == [0, 0, 1]  # row 1: over the cap


def test_labeled_mask_sentinels():
    assert labeled_mask(np.array([-1, 1, -1]), None).tolist() == [True, True, True]
    assert labeled_mask(np.array(["x", "unlabeled"], dtype=object), "unlabeled").tolist() == [
        True, False]


class _Rows(Callback):
    def initialize(self):
        self.train_sizes, self.valid_sizes = [], []
        return self

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.train_sizes.append(len(dataset_train))
        self.valid_sizes.append(len(dataset_valid))


def test_unlabeled_rows_never_count_as_a_class(semi_data):
    X, y, y_semi = semi_data
    rows = _Rows()
    clf = ImbalancedNetClassifier(n_members=1, unlabeled=-1, rebalance="effective_number",
                                  max_epochs=5, module__dropout=0.1, preprocess=None,
                                  pseudo_threshold=0.8, callbacks=[("rows", rows)],
                                  random_state=0).fit(X, y_semi)
    assert clf.classes_.tolist() == [0, 1, 2]
    labeled = y_semi != -1
    assert clf.pseudo_label_mask_.sum() > 0
    assert not clf.pseudo_label_mask_[labeled].any()
    assert set(clf.predict(X)) <= {0, 1, 2}
    # labeled rows keep their labels; pseudo-labeled rows got a class; the rest stay -1
    np.testing.assert_array_equal(clf.pseudo_labels_[labeled], y[labeled])
    assert set(clf.pseudo_labels_[clf.pseudo_label_mask_]) <= {0, 1, 2}
    assert np.all(clf.pseudo_labels_[~labeled & ~clf.pseudo_label_mask_] == -1)
    assert np.all(clf.pseudo_confidence_[clf.pseudo_label_mask_] >= 0.8)
    assert np.all(np.isnan(clf.pseudo_confidence_[labeled]))
    # stage 2: the validation rows are the labeled ones of stage 1; pseudo rows train
    assert len(clf.history) == 10
    assert rows.valid_sizes[0] == rows.valid_sizes[-1]
    assert rows.train_sizes[-1] == rows.train_sizes[0] + clf.pseudo_label_mask_.sum()
    # the strategy was set up again from labeled + pseudo-labeled training counts
    assert clf.class_counts_.sum() == rows.train_sizes[-1]


@pytest.mark.parametrize("cap", ["proportional", "balanced", 3])
def test_pseudo_label_caps_hold(semi_data, cap):
    X, _, y_semi = semi_data
    clf = ImbalancedNetClassifier(n_members=1, unlabeled=-1, pseudo_cap=cap, pseudo_threshold=0.0,
                                  max_epochs=2, random_state=0).fit(X, y_semi)
    labeled_counts = np.bincount(y_semi[y_semi != -1], minlength=3)
    caps = pseudo_label_caps(labeled_counts, int((y_semi == -1).sum()), cap)
    got = np.bincount(clf.pseudo_labels_[clf.pseudo_label_mask_].astype(int), minlength=3)
    assert np.all(got <= caps)
    assert got.sum() > 0


def test_no_unlabeled_rows_is_the_plain_fit(semi_data):
    X, y, _ = semi_data
    plain = ImbalancedNetClassifier(n_members=1, max_epochs=3, random_state=0).fit(X, y)
    semi = ImbalancedNetClassifier(n_members=1, unlabeled=-1, max_epochs=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(plain.predict_proba(X), semi.predict_proba(X))
    assert not semi.pseudo_label_mask_.any() and len(semi.history) == 3


def test_minus_one_is_an_ordinary_label_by_default():
    X, y = make_classification(300, n_features=5, weights=[0.8], random_state=0)
    y = np.where(y == 1, 1, -1)
    clf = ImbalancedNetBinaryClassifier(n_members=1, max_epochs=2, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == [-1, 1]


def test_string_sentinel_and_binary_head():
    X, y = make_classification(400, n_features=5, weights=[0.85], random_state=0)
    labels = np.where(y == 1, "fraud", "ok").astype(object)
    labels[::3] = "unlabeled"
    clf = ImbalancedNetBinaryClassifier(n_members=1, unlabeled="unlabeled", max_epochs=3,
                                        pseudo_threshold=0.6, random_state=0).fit(X, labels)
    assert clf.classes_.tolist() == ["fraud", "ok"]
    assert set(clf.predict(X)) <= {"fraud", "ok"}


def test_bad_unlabeled_inputs_are_refused(semi_data):
    X, _, y_semi = semi_data
    with pytest.raises(ValueError, match="Every row of y is the unlabeled sentinel"):
        ImbalancedNetClassifier(n_members=1, unlabeled=-1).fit(X, np.full(len(X), -1))
    clf = ImbalancedNetClassifier(n_members=1, unlabeled=-1, max_epochs=1, random_state=0).fit(X, y_semi)
    with pytest.raises(ValueError, match="used by fit only"):
        clf.partial_fit(X, y_semi)
    with pytest.raises(ValueError, match="pseudo_threshold"):
        ImbalancedNetClassifier(n_members=1, unlabeled=-1, pseudo_threshold=1.5).fit(X, y_semi)
    with pytest.raises(ValueError, match="pseudo_cap"):
        ImbalancedNetClassifier(n_members=1, unlabeled=-1, pseudo_cap="lots").fit(X, y_semi)


def test_grid_search_in_a_pipeline_scores_labeled_rows_only(semi_data):
    X, _, y_semi = semi_data
    pipe = make_pipeline(StandardScaler(), ImbalancedNetClassifier(n_members=1, 
        unlabeled=-1, max_epochs=2, random_state=0))
    search = GridSearchCV(pipe, {"imbalancednetclassifier__pseudo_threshold": [0.7, 0.95]},
                          scoring=labeled_scorer("balanced_accuracy", unlabeled=-1),
                          cv=StratifiedKFold(2, shuffle=True, random_state=0),
                          error_score="raise")
    search.fit(X, y_semi)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # the same fold scored by hand on its labeled rows
    scorer = labeled_scorer("balanced_accuracy", unlabeled=-1)
    fitted = search.best_estimator_
    keep = y_semi != -1
    from sklearn.metrics import balanced_accuracy_score
    assert scorer(fitted, X, y_semi) == pytest.approx(
        balanced_accuracy_score(y_semi[keep], fitted.predict(X[keep])))
