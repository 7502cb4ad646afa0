import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from imbsk.rebalance.losses import (
    RebalancedLoss,
    reduce_loss,
    sigmoid_focal_loss,
    softmax_focal_loss,
)

GAMMAS = [0.0, 0.5, 1.0, 2.0, 5.0]


def _batch(n=16, c=3, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=g, dtype=dtype), torch.randint(0, c, (n,), generator=g)


def test_softmax_focal_gamma_zero_equals_cross_entropy():
    logits, target = _batch()
    ce = F.cross_entropy(logits, target, reduction="none")
    torch.testing.assert_close(softmax_focal_loss(logits, target, 0.0), ce, atol=1e-6, rtol=0)


def test_sigmoid_focal_gamma_zero_equals_bce():
    logits, target = _batch()
    bce = F.binary_cross_entropy_with_logits(
        logits, F.one_hot(target, 3).float(), reduction="none").sum(1)
    torch.testing.assert_close(sigmoid_focal_loss(logits, target, 0.0), bce, atol=1e-6, rtol=0)
    binary_logits = logits[:, 0]
    binary_target = (target > 0).long()
    torch.testing.assert_close(
        sigmoid_focal_loss(binary_logits, binary_target, 0.0),
        F.binary_cross_entropy_with_logits(binary_logits, binary_target.float(),
                                           reduction="none"),
        atol=1e-6, rtol=0)


def test_softmax_focal_hand_computed():
    # p_0 = e^2 / (e^2 + 1); FL = -(1 - p_0)^2 log p_0
    p = math.exp(2) / (math.exp(2) + 1)
    expected = -((1 - p) ** 2) * math.log(p)
    value = softmax_focal_loss(torch.tensor([[2.0, 0.0]]), torch.tensor([0]), gamma=2.0)
    assert value.item() == pytest.approx(expected, rel=1e-5)
    alpha = torch.tensor([0.25, 0.75])
    value = softmax_focal_loss(torch.tensor([[2.0, 0.0]]), torch.tensor([0]), 2.0, alpha)
    assert value.item() == pytest.approx(0.25 * expected, rel=1e-5)


def test_sigmoid_focal_hand_computed():
    # one logit z = 1, positive: p = sigmoid(1); FL = -alpha (1 - p)^2 log p
    p = 1 / (1 + math.exp(-1))
    expected = -0.25 * (1 - p) ** 2 * math.log(p)
    value = sigmoid_focal_loss(torch.tensor([1.0]), torch.tensor([1]), 2.0, alpha=0.25)
    assert value.item() == pytest.approx(expected, rel=1e-5)
    # negative: p_t = 1 - p, factor 1 - alpha
    expected_neg = -0.75 * p ** 2 * math.log(1 - p)
    value = sigmoid_focal_loss(torch.tensor([1.0]), torch.tensor([0]), 2.0, alpha=0.25)
    assert value.item() == pytest.approx(expected_neg, rel=1e-5)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("form", ["softmax", "sigmoid"])
def test_extreme_logits_finite_forward_and_backward(gamma, form):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]],
                          requires_grad=True)
    target = torch.tensor([0, 0, 2])  # a saturated correct, a saturated wrong row
    loss = RebalancedLoss(torch.tensor([1.0, 2.0, 3.0]), gamma=gamma, form=form)(logits, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.all(torch.isfinite(logits.grad))


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("form", ["softmax", "sigmoid"])
@pytest.mark.parametrize("reduction", ["mean", "weighted_mean"])
def test_gradcheck_float64(gamma, form, reduction):
    logits, target = _batch(n=6, dtype=torch.float64, seed=1)
    logits.requires_grad_(True)
    loss = RebalancedLoss(torch.tensor([0.5, 1.0, 1.5]), gamma=gamma, form=form,
                          reduction=reduction).double()
    assert torch.autograd.gradcheck(lambda z: loss(z, target), (logits,))


def test_gradcheck_binary_head():
    logits = torch.randn(8, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 1, 1, 0, 0, 0, 1, 0])
    loss = RebalancedLoss(torch.tensor([0.3, 1.7]), gamma=2.0, alpha=0.25, form="sigmoid")
    assert torch.autograd.gradcheck(lambda z: loss.double()(z, target), (logits,))


def test_reductions_hand_computed():
    logits, target = _batch(n=5)
    w = torch.tensor([0.2, 1.0, 3.0])
    per_sample = F.cross_entropy(logits, target, reduction="none")
    mean = RebalancedLoss(w, reduction="mean")(logits, target)
    weighted = RebalancedLoss(w, reduction="weighted_mean")(logits, target)
    torch.testing.assert_close(mean, (w[target] * per_sample).sum() / 5)
    torch.testing.assert_close(weighted, (w[target] * per_sample).sum() / w[target].sum())
    # "weighted_mean" is PyTorch's CrossEntropyLoss(weight=w)
    torch.testing.assert_close(weighted, torch.nn.CrossEntropyLoss(weight=w)(logits, target))


def test_sample_weight_multiplies_class_weight():
    logits, target = _batch(n=4)
    w = torch.tensor([1.0, 2.0, 3.0])
    sw = torch.tensor([1.0, 0.0, 2.0, 0.5])
    loss = RebalancedLoss(w, reduction="none")
    torch.testing.assert_close(loss(logits, target, sw), loss(logits, target) * sw)


def test_class_weight_is_a_buffer_that_follows_the_module():
    loss = RebalancedLoss(torch.tensor([1.0, 2.0]))
    assert "class_weight" in dict(loss.named_buffers())
    assert loss.to(torch.float64).class_weight.dtype == torch.float64


@pytest.mark.parametrize("bad", [{"form": "tanh"}, {"reduction": "median"}])
def test_unknown_options_are_rejected(bad):
    with pytest.raises(ValueError, match="valid ones are"):
        RebalancedLoss(torch.ones(2), **bad)


@settings(max_examples=50, deadline=None)
@given(st.floats(-50, 50), st.floats(-50, 50), st.sampled_from(GAMMAS),
       st.sampled_from(["softmax", "sigmoid"]))
def test_losses_finite_and_non_negative(z0, z1, gamma, form):
    logits = torch.tensor([[z0, z1], [z1, z0]])
    loss = RebalancedLoss(torch.tensor([0.3, 1.7]), gamma=gamma, form=form, reduction="none")
    values = loss(logits, torch.tensor([0, 1]))
    assert torch.all(torch.isfinite(values)) and torch.all(values >= 0)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("reduction", ["mean", "weighted_mean", "sum"])
@pytest.mark.parametrize("with_alpha_and_sample_weight", [True, False])
def test_fused_module_equals_the_functions_value_and_gradient(gamma, reduction,
                                                              with_alpha_and_sample_weight):
    logits, target = _batch(n=7, dtype=torch.float64, seed=2)
    w = torch.tensor([0.2, 1.0, 3.0], dtype=torch.float64)
    alpha = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    sample_weight = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    if not with_alpha_and_sample_weight:
        alpha, sample_weight = None, torch.ones(7, dtype=torch.float64)
    z1, z2 = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    module = RebalancedLoss(w, gamma=gamma, alpha=alpha, reduction=reduction).double()
    fused = module(z1, target, None if alpha is None else sample_weight)
    reference = reduce_loss(softmax_focal_loss(z2, target, gamma, alpha),
                            w[target] * sample_weight, reduction)
    fused.backward()
    reference.backward()
    torch.testing.assert_close(fused, reference)
    torch.testing.assert_close(z1.grad, z2.grad)
