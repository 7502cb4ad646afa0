"""scikit-learn's estimator checks, for both estimators and several strategies.

The default run covers plain training and instance-difficulty sampling (the code path
with the most machinery); the other strategies run with ``-m slow``.
"""

import pytest
from imblearn.under_sampling import RandomUnderSampler
from sklearn.utils.estimator_checks import parametrize_with_checks

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import ClassifierRetraining

EXPECTED_FAILED_CHECKS = {
    # skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_
    "check_no_attributes_set_in_init": "skorch's __init__ sets history_ and initialized_",
    # skorch trains by mini-batch SGD: a weight of k is not k copies of a row in the batches
    "check_sample_weight_equivalence_on_dense_data": "mini-batch SGD is not weight-equivalent",
    "check_sample_weight_equivalence_on_sparse_data": "mini-batch SGD is not weight-equivalent",
}


def _estimators(rebalances):
    # enough epochs and a larger step so the checks' small problems are learned
    return [Estimator(rebalance=rebalance, max_epochs=10, lr=0.01, random_state=0)
            for rebalance in rebalances
            for Estimator in (ImbalancedNetClassifier, ImbalancedNetBinaryClassifier)]


@parametrize_with_checks(_estimators([None, "difficulty"]),
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    _estimators(["effective_number", "focal", RandomUnderSampler()]),
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible_other_strategies(estimator, check):
    check(estimator)


def _multiclass_estimators(rebalances, **params):
    return [ImbalancedNetClassifier(rebalance=rebalance, max_epochs=10, lr=0.01, random_state=0,
                                    **params)
            for rebalance in rebalances]


@pytest.mark.slow
@parametrize_with_checks(
    _estimators(["ohem", ClassifierRetraining(crt_epochs=3), "bbn"])
    + _multiclass_estimators(["ldam_drw", "tau_norm", "logit_adjusted"])
    + _multiclass_estimators([None], pretrain="masked", pretrain_epochs=2),
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible_more_strategies(estimator, check):
    check(estimator)


def _member_estimators():
    """K = 4 members stacked as one network (imbsk.ensemble), plain and balanced bagging."""
    return [Estimator(n_members=4, member_sampling=sampling, max_epochs=10, lr=0.01,
                      random_state=0)
            for sampling in ("shuffle", "balanced_bootstrap")
            for Estimator in (ImbalancedNetClassifier, ImbalancedNetBinaryClassifier)]


@parametrize_with_checks(_member_estimators(),
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible_with_members(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    [Estimator(proba="prior", rebalance=rebalance, max_epochs=10, lr=0.01, random_state=0)
     for rebalance in ("auto", "class_balanced_sampling")
     for Estimator in (ImbalancedNetClassifier, ImbalancedNetBinaryClassifier)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible_prior_probabilities(estimator, check):
    check(estimator)
