import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, EarlyStopping

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import ClassifierRetraining, TauNormalization
from imbsk.rebalance.decoupling import output_layer, tau_normalize


class _Snapshots(Callback):
    """Parameters at the start of every epoch, labels drawn and layer modes per epoch."""

    def initialize(self):
        self.params, self.labels, self.dropout_training = [], [], []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.params.append({k: v.detach().clone() for k, v in net.module_.named_parameters()})
        self.labels.append([])
        self.dropout_training.append(set())

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.labels[-1].extend(batch[1].tolist())

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.dropout_training[-1] |= {m.training for m in net.module_.hidden
                                          if isinstance(m, torch.nn.Dropout)}


def _fit_crt(X, y, max_epochs=8, crt_epochs=3):
    snapshots = _Snapshots()
    clf = ImbalancedNetClassifier(rebalance=ClassifierRetraining(crt_epochs=crt_epochs),
                                  max_epochs=max_epochs, callbacks=[("snap", snapshots)],
                                  module__dropout=0.2, random_state=0).fit(X, y)
    return clf, snapshots


def test_crt_freezes_the_features_and_retrains_the_last_layer(imbalanced_data):
    clf, snap = _fit_crt(*imbalanced_data)
    assert list(clf.history[:, "stage"]) == [1] * 5 + [2] * 3
    start = snap.params[5]  # start of stage 2, after the re-initialisation
    final = dict(clf.module_.named_parameters())
    for name, value in final.items():
        if name.startswith("hidden."):
            torch.testing.assert_close(value.detach(), start[name], rtol=0, atol=0)
            # the features did learn in stage 1
            assert not torch.equal(start[name], snap.params[0][name])
        else:
            assert name.startswith("output.")
            assert not torch.equal(value.detach(), start[name])
    # the classifier was re-initialised, not continued
    assert not torch.equal(start["output.weight"], snap.params[4]["output.weight"])
    # everything is trainable again after fit
    assert all(p.requires_grad for p in clf.module_.parameters())


def test_crt_draws_class_balanced_rows_with_features_in_eval_mode(imbalanced_data):
    X, y = imbalanced_data
    clf, snap = _fit_crt(X, y)
    assert np.argmin(clf.class_counts_) == 1
    stage1 = np.mean(np.concatenate(snap.labels[:5]) == 1)
    stage2 = np.mean(np.concatenate(snap.labels[5:]) == 1)
    assert stage1 == pytest.approx(clf.class_counts_[1] / clf.class_counts_.sum(), abs=0.01)
    assert stage2 == pytest.approx(0.5, abs=0.06)
    assert snap.dropout_training[0] == {True}
    assert all(modes == {False} for modes in snap.dropout_training[5:])


def test_crt_is_reproducible_and_works_for_the_binary_head(imbalanced_data):
    X, y = imbalanced_data
    first = ImbalancedNetBinaryClassifier(rebalance="crt", max_epochs=12,
                                          random_state=3).fit(X, y)
    second = ImbalancedNetBinaryClassifier(rebalance="crt", max_epochs=12,
                                           random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def test_crt_settings_and_early_stop_are_reported(imbalanced_data):
    with pytest.raises(ValueError, match="crt_epochs=10 must be smaller than max_epochs=10"):
        ImbalancedNetClassifier(rebalance="crt", max_epochs=10).fit(*imbalanced_data)
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    with pytest.warns(UserWarning, match="before the classifier re-training stage"):
        ImbalancedNetClassifier(rebalance="crt", max_epochs=30, callbacks=[stop],
                                random_state=0).fit(*imbalanced_data)


def test_output_layer_needs_a_linear_layer():
    with pytest.raises(ValueError, match="has none"):
        output_layer(torch.nn.ReLU())


def test_tau_normalize_hand_computed():
    weight = torch.tensor([[3.0, 4.0], [0.0, 2.0]])
    torch.testing.assert_close(tau_normalize(weight, 1.0), torch.tensor([[0.6, 0.8], [0.0, 1.0]]))
    torch.testing.assert_close(tau_normalize(weight, 0.5),
                               torch.tensor([[3 / 5 ** 0.5, 4 / 5 ** 0.5], [0.0, 2 / 2 ** 0.5]]))
    torch.testing.assert_close(tau_normalize(weight, 0.0), weight)


def test_tau_norm_normalises_the_trained_classifier(three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(rebalance=TauNormalization(tau_norm=1.0), max_epochs=4,
                                  random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.classifier_norms_, 1.0, rtol=1e-5)
    assert torch.all(clf.module_.output.bias == 0)
    tracker = dict(clf.callbacks_)["tau_norm"]
    torch.testing.assert_close(clf.module_.output.weight.detach(),
                               tau_normalize(tracker.trained_weight_, 1.0))
    # predictions are the argmax of the normalised scores w_c . f
    with torch.no_grad():
        features = clf.module_.hidden(torch.as_tensor(X))
        scores = features @ tau_normalize(tracker.trained_weight_, 1.0).T
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(1).numpy()])


def test_tau_norm_continues_from_the_trained_weights(three_class_data):
    X, y = three_class_data
    clf = ImbalancedNetClassifier(rebalance=TauNormalization(tau_norm=0.5), max_epochs=3,
                                  random_state=0).fit(X, y)
    normalised = clf.module_.output.weight.detach().clone()
    clf.set_params(max_epochs=0)
    clf.partial_fit(X, y)  # restores the trained weights, trains 0 epochs, normalises again
    torch.testing.assert_close(clf.module_.output.weight.detach(), normalised)


def test_tau_norm_needs_class_vectors(imbalanced_data):
    with pytest.raises(ValueError, match="TauNormalization needs one logit per class"):
        ImbalancedNetBinaryClassifier(rebalance="tau_norm").fit(*imbalanced_data)


def test_crt_learning_rate(imbalanced_data):
    clf, _ = _fit_crt(*imbalanced_data)
    assert [g["lr"] for g in clf.optimizer_.param_groups] == [pytest.approx(10 * clf.lr)]
    clf = ImbalancedNetClassifier(rebalance=ClassifierRetraining(crt_epochs=2, crt_lr=0.5),
                                  max_epochs=4, random_state=0).fit(*imbalanced_data)
    assert [g["lr"] for g in clf.optimizer_.param_groups] == [0.5]
    clf.partial_fit(*imbalanced_data)  # both stages again, from the retrained network
    assert list(clf.history[:, "stage"]) == [1, 1, 2, 2, 1, 1, 2, 2]
