import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.modules import MLP
from imbsk.pretraining import info_nce, mask_features, pretrain_features, scarf_corrupt


def test_info_nce_hand_computed():
    z = torch.eye(3)
    assert info_nce(z, z).item() == pytest.approx(-math.log(math.e / (math.e + 2)), rel=1e-6)
    # a perfect match with a low temperature is almost free
    assert info_nce(z, z, temperature=0.01).item() < 1e-6


def test_corruptions():
    torch.manual_seed(0)
    X = torch.randn(500, 6)
    masked, mask = mask_features(X, 0.3)
    assert abs(mask.float().mean().item() - 0.3) < 0.02
    torch.testing.assert_close(masked[~mask], X[~mask])
    corrupted = scarf_corrupt(X, 0.6)
    changed = (corrupted != X).float().mean().item()
    assert 0.5 < changed <= 0.6
    for j in range(6):
        assert set(corrupted[:, j].tolist()) <= set(X[:, j].tolist())


@pytest.mark.parametrize("method", ["masked", "scarf"])
def test_pretraining_lowers_its_loss(method):
    torch.manual_seed(0)
    X, _ = make_classification(512, n_features=6, random_state=0)
    encoder = MLP(6, 1, hidden_units=(32,), dropout=0.0).hidden
    history = pretrain_features(encoder, 32, X.astype(np.float32), method, epochs=15,
                                batch_size=64, lr=3e-3)
    losses = history[:, "train_loss"]
    if method == "masked":
        assert losses[-1] < 0.8 * losses[0]
    else:  # InfoNCE at temperature 1 over 64 rows lies between about 2.2 and log(64) = 4.16
        assert losses[-1] < losses[0] - 0.1


@pytest.mark.parametrize("method", ["masked", "scarf"])
def test_estimator_pretrains_its_features_on_all_rows(method, imbalanced_data):
    X, y = imbalanced_data
    y = y.astype(object)
    y[::2] = "?"
    clf = ImbalancedNetClassifier(n_members=1, pretrain=method, pretrain_epochs=3, unlabeled="?",
                                  max_epochs=2, random_state=0).fit(X, y)
    assert len(clf.pretrain_history_) == 3
    assert clf.classes_.tolist() == ["negative", "positive"]
    untrained = ImbalancedNetClassifier(n_members=1, max_epochs=2, random_state=0).fit(X, y != "?")
    assert not torch.equal(clf.module_.hidden[1].weight, untrained.module_.hidden[1].weight)
    again = ImbalancedNetClassifier(n_members=1, pretrain=method, pretrain_epochs=3, unlabeled="?",
                                    max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))


def test_pretraining_needs_the_built_in_mlp(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="pass module=None"):
        ImbalancedNetClassifier(MLP, n_members=1, module__n_features=8, module__n_outputs=2,
                                pretrain="masked").fit(X, y)
    with pytest.raises(ValueError, match="has none"):
        ImbalancedNetBinaryClassifier(n_members=1, rebalance="bbn", pretrain="scarf", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="pretrain"):
        ImbalancedNetClassifier(n_members=1, pretrain="autoencoder").fit(X, y)
    with pytest.raises(ValueError, match="pretrain_epochs"):
        ImbalancedNetClassifier(n_members=1, pretrain="masked", pretrain_epochs=0).fit(X, y)
