"""Decision thresholds of the binary classifier: threshold moving, and scikit-learn's
TunedThresholdClassifierCV around it."""

import numpy as np
import pytest
from sklearn.model_selection import TunedThresholdClassifierCV

from imbsk import ImbalancedNetBinaryClassifier


def test_prior_threshold_is_the_training_odds_rule(imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetBinaryClassifier(threshold="prior", max_epochs=3, random_state=0)
    clf.fit(X, y)
    prior = clf.class_counts_[1] / clf.class_counts_.sum()
    proba = clf.predict_proba(X)[:, 1]
    # p / (1 - p) > n_pos / n_neg  <=>  p > n_pos / (n_pos + n_neg)
    odds_rule = proba / (1 - proba) > clf.class_counts_[1] / clf.class_counts_[0]
    np.testing.assert_array_equal(clf.predict(X) == "positive", odds_rule)
    np.testing.assert_array_equal(odds_rule, proba > prior)
    assert (clf.predict(X) == "positive").sum() >= (
        clf.set_params(threshold=0.5).predict(X) == "positive").sum()


def test_bad_threshold_names_the_options(imbalanced_data):
    with pytest.raises(ValueError, match=r"'threshold' parameter .* must be a float in the "
                                         r"range \[0.0, 1.0\] or a str among \{'prior'\}"):
        ImbalancedNetBinaryClassifier(threshold="odds").fit(*imbalanced_data)


def test_tuned_threshold_classifier_cv_wraps_the_binary_classifier(imbalanced_data):
    X, y = imbalanced_data
    tuned = TunedThresholdClassifierCV(
        ImbalancedNetBinaryClassifier(rebalance="inverse", max_epochs=3, random_state=0),
        scoring="balanced_accuracy", cv=3)
    tuned.fit(X, y)
    assert 0.0 < tuned.best_threshold_ < 1.0
    assert set(tuned.predict(X)) <= {"negative", "positive"}
