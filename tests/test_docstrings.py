"""Every public name has a numpydoc docstring with an Examples section (run as doctests
by the suite, through --doctest-modules), and every fitted attribute is documented."""

import importlib
import inspect

import pytest

MODULES = ["imbsk", "imbsk.rebalance", "imbsk.rebalance.weights", "imbsk.rebalance.losses",
           "imbsk.rebalance.sampling", "imbsk.rebalance.difficulty",
           "imbsk.rebalance.resampling", "imbsk.rebalance.compose", "imbsk.rebalance.base",
           "imbsk.rebalance.margins", "imbsk.rebalance.hard_examples",
           "imbsk.rebalance.decoupling", "imbsk.rebalance.bbn",
           "imbsk.data", "imbsk.modules", "imbsk.devices", "imbsk.datasets",
           "imbsk.benchmark", "imbsk.plotting", "imbsk.classifier", "imbsk.scoring",
           "imbsk.semi_supervised", "imbsk.pretraining", "imbsk.decision",
           "imbsk.ensemble", "imbsk.model_selection"]

PUBLIC = sorted({(name, module) for module in MODULES
                 for name in importlib.import_module(module).__all__
                 if not name.isupper()})


@pytest.mark.parametrize("name, module", PUBLIC)
def test_public_name_has_examples(name, module):
    obj = getattr(importlib.import_module(module), name)
    doc = inspect.getdoc(obj) or ""
    examples = doc.partition("Examples\n--------\n")[2]
    assert ">>>" in examples, f"{module}.{name} has no runnable Examples section"


@pytest.mark.parametrize("attribute", ["classes_", "class_counts_", "class_weight_",
                                       "n_features_in_", "feature_names_in_", "rebalance_",
                                       "difficulty_"])
def test_fitted_attributes_are_documented(attribute):
    from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier

    for estimator in (ImbalancedNetClassifier, ImbalancedNetBinaryClassifier):
        assert f"{attribute} :" in estimator.__doc__
