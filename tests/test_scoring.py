"""Validation metrics during fit: no warning noise, one clear warning, a readable log."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.exceptions import UndefinedMetricWarning

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier

ESTIMATORS = [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier]


def _three_minority_rows():
    X, y = make_classification(203, n_features=6, weights=[0.985], random_state=0)
    rows = np.r_[np.flatnonzero(y == 0)[:200], np.flatnonzero(y == 1)[:3]]
    return X[rows].astype(np.float32), y[rows]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_no_metric_warning_escapes_a_fit_with_three_minority_rows(Estimator):
    X, y = _three_minority_rows()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Estimator(n_members=1, max_epochs=4, random_state=0).fit(X, y)
    messages = [str(w.message) for w in caught]
    assert not [w for w in caught if issubclass(w.category, UndefinedMetricWarning)]
    assert not [m for m in messages if "y_pred contains classes" in m
                or "A single label was found" in m or "least populated class" in m]


def test_validation_without_a_minority_row_is_said_once():
    X, y = _three_minority_rows()
    X, y = X[:-1], y[:-1]  # two minority rows: 5 folds leave none in validation
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = ImbalancedNetClassifier(n_members=1, max_epochs=5, random_state=0).fit(X, y)
    said = [str(w.message) for w in caught if "has no row of class" in str(w.message)]
    assert len(said) == 1
    assert re.search(r"validation split \(40 rows\) has no row of class\(es\) \[1\].*"
                     r"train_split=None", said[0])
    assert len(clf.history) == 5 and "valid_bacc" in clf.history[-1]


def test_verbose_table_fits_a_100_column_terminal(capsys):
    X, y = make_classification(1000, n_features=10, n_informative=8, n_classes=10,
                               n_clusters_per_class=1, random_state=0)
    clf = ImbalancedNetClassifier(n_members=1, max_epochs=3, random_state=0, verbose=1).fit(X, y)
    printed = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    widths = [len(line) for line in printed.splitlines() if line.strip()]
    assert widths and max(widths) <= 100
    assert "valid_bacc" in printed and "valid_recall" not in printed
    # the summary line says what was asked and what it resolved to
    summary = " ".join(printed.split("\n  epoch")[0].split())
    assert summary == ("Training one network (n_members=1), 3 epochs (max_epochs=3) of "
                       "128-row batches (batch_size='auto'), 1 torch thread.")
    # the hidden columns are still recorded
    assert {f"valid_recall_{c}" for c in range(10)} <= set(clf.history[-1])


# --- the scores from one confusion matrix equal the libraries' metric functions -------

@settings(max_examples=300, deadline=None)
@given(st.integers(2, 4).flatmap(lambda c: st.tuples(
    st.just(c), st.lists(st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)),
                         min_size=1, max_size=40))))
def test_imbalance_scores_equal_sklearn_and_imblearn(case):
    import warnings as _warnings

    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                                 recall_score)

    from imbsk.scoring import confusion_counts, imbalance_scores

    n_classes, pairs = case
    y_true, y_pred = (np.array(v) for v in zip(*pairs))
    scores = imbalance_scores(confusion_counts(y_true, y_pred, n_classes))
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        expected = {
            "accuracy": accuracy_score(y_true, y_pred),
            "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
            "geometric_mean": geometric_mean_score(y_true, y_pred),
            "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
        }
        recall = recall_score(y_true, y_pred, labels=np.arange(n_classes), average=None,
                              zero_division=0)
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, abs=1e-12), key
    np.testing.assert_allclose(scores["recall"], recall, atol=1e-12)
