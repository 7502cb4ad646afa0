import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

KEEL_DIR_NAME = "keel"


def cuda_devices():
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    return devices


@pytest.fixture
def imbalanced_data():
    """600 rows, 8 features, about 9:1, string labels."""
    X, y = make_classification(600, n_features=8, n_informative=5, weights=[0.9],
                               random_state=0)
    return X.astype(np.float32), np.where(y == 1, "positive", "negative")


@pytest.fixture
def three_class_data():
    X, y = make_classification(600, n_features=8, n_informative=5, n_classes=3,
                               weights=[0.7, 0.2, 0.1], random_state=0)
    return X.astype(np.float32), np.array([3, 7, 11])[y]


@pytest.fixture
def cannot_learn(monkeypatch):
    """The benchmark variant "cannot_learn": an imbsk network that sees only zeros, so it
    predicts one class for every row (and warns so after every fit)."""
    from imbsk import ImbalancedNetClassifier
    from imbsk.benchmark import VARIANTS

    monkeypatch.setitem(VARIANTS, "cannot_learn", lambda epochs, device, seed: make_pipeline(
        FunctionTransformer(np.zeros_like),
        ImbalancedNetClassifier(rebalance=None, n_members=1, max_epochs=epochs, device=device,
                                random_state=seed)))
    return "cannot_learn"


def pytest_collection_modifyitems(config, items):
    """Marks chosen by a test module: its ``collection_marks(item)``, if it defines one.

    Lets a module keep a table of test-id patterns -> xfail/skip reasons, also for
    parametrised and inherited tests (see test_skorch_suite.py).
    """
    for item in items:
        module = getattr(item, "module", None)
        collection_marks = getattr(module, "collection_marks", None)
        if collection_marks is not None:
            for mark in collection_marks(item):
                item.add_marker(mark)
