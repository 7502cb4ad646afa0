import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.modules import MLP
from imbsk.rebalance.bbn import (
    BilateralLoss,
    BilateralMLP,
    _PairedBatches,
    cumulative_alpha,
)


def test_cumulative_alpha_falls_from_one_to_zero():
    assert cumulative_alpha(1, 10) == pytest.approx(0.99)
    assert cumulative_alpha(5, 10) == pytest.approx(0.75)
    assert cumulative_alpha(10, 10) == 0.0


def test_loss_hand_computed_and_plain_in_evaluation():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y_c, y_r = torch.tensor([0, 1]), torch.tensor([1, 1])
    loss = BilateralLoss().train()
    loss.alpha = 0.3
    expected = 0.3 * F.cross_entropy(logits, y_c) + 0.7 * F.cross_entropy(logits, y_r)
    torch.testing.assert_close(loss(logits, torch.cat([y_c, y_r])), expected)
    torch.testing.assert_close(loss.eval()(logits, y_c), F.cross_entropy(logits, y_c))


def test_loss_gradcheck_and_extreme_logits():
    loss = BilateralLoss().train()
    loss.alpha = 0.4
    logits = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 1, 2, 2, 2, 2, 1, 0])
    assert torch.autograd.gradcheck(lambda z: loss(z, target), (logits,))
    extreme = torch.tensor([[1e4, -1e4, 0.0]], requires_grad=True)
    value = loss(extreme, torch.tensor([1, 2]))
    value.backward()
    assert torch.isfinite(value) and torch.all(torch.isfinite(extreme.grad))


def test_module_mixes_the_two_branches():
    torch.manual_seed(0)
    net = BilateralMLP(4, 3, hidden_units=(8, 6), dropout=0.0)
    x_c, x_r = torch.randn(5, 4), torch.randn(5, 4)
    net.alpha = 0.25
    mixed = net.train()(torch.cat([x_c, x_r]))
    f_c = net.conventional(net.shared(x_c))
    f_r = net.rebalancing(net.shared(x_r))
    torch.testing.assert_close(mixed, net.output(torch.cat([0.25 * f_c, 0.75 * f_r], 1)))
    evaluated = net.eval()(x_c)
    f_r_same = net.rebalancing(net.shared(x_c))
    torch.testing.assert_close(evaluated, net.output(torch.cat([0.5 * f_c, 0.5 * f_r_same], 1)))
    with pytest.raises(ValueError, match="at least one hidden layer"):
        BilateralMLP(4, 3, hidden_units=())


def test_paired_batches_draw_reversed_class_frequencies():
    y = torch.as_tensor(np.array([0] * 900 + [1] * 100))
    data = _PairedBatches(torch.zeros(1000, 2), y)
    torch.manual_seed(0)
    index = torch.arange(200)
    drawn = torch.cat([data._take(index)[1][200:] for _ in range(50)])
    # class probability 1/n_c normalised: 0.9 for the class with 100 rows
    assert drawn.float().mean().item() == pytest.approx(0.9, abs=0.02)
    assert torch.equal(data._take(index)[1][:200], y[:200])


class _Alphas(Callback):
    def initialize(self):
        self.seen = []
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.seen.append((net.module_.alpha, net.criterion_.alpha))


@pytest.mark.parametrize("Estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
def test_estimators_train_bbn_with_cumulative_learning(Estimator, imbalanced_data):
    X, y = imbalanced_data
    alphas = _Alphas()
    clf = Estimator(rebalance="bbn", max_epochs=4, callbacks=[("a", alphas)],
                    random_state=0).fit(X, y)
    expected = [cumulative_alpha(t, 4) for t in range(1, 5)]
    assert list(clf.history[:, "bbn_alpha"]) == pytest.approx(expected)
    assert all(m == c for m, c in alphas.seen)
    assert isinstance(clf.module_, BilateralMLP)
    again = Estimator(rebalance="bbn", max_epochs=4, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))


def test_bbn_refuses_a_module_of_your_own(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="pass module=None"):
        ImbalancedNetClassifier(MLP, module__n_features=8, module__n_outputs=2,
                                rebalance="bbn").fit(X, y)


def test_bbn_sample_weights_multiply_each_branch():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y_c, y_r = torch.tensor([0, 1]), torch.tensor([1, 1])
    w_c, w_r = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 3.0])
    loss = BilateralLoss().train()
    loss.alpha = 0.25
    ce = lambda y: F.cross_entropy(logits, y, reduction="none")
    expected = 0.25 * (ce(y_c) * w_c).mean() + 0.75 * (ce(y_r) * w_r).mean()
    value = loss(logits, torch.cat([y_c, y_r]), sample_weight=torch.cat([w_c, w_r]))
    torch.testing.assert_close(value, expected)


def test_bbn_fits_with_unit_sample_weights_like_without(imbalanced_data):
    X, y = imbalanced_data
    plain = ImbalancedNetClassifier(rebalance="bbn", max_epochs=2, random_state=0).fit(X, y)
    weighted = ImbalancedNetClassifier(rebalance="bbn", max_epochs=2, random_state=0).fit(
        X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(plain.predict_proba(X), weighted.predict_proba(X), atol=1e-6)
