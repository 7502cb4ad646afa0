"""The stacked MLP's training forward as one autograd node (imbsk.engine.fused)."""

import pytest
import torch
from torch import nn

from imbsk.engine import StackedMLP
from imbsk.modules import wide_and_deep_logits


def _stack(n_members=4, hidden=(16, 12), dropout=0.3, shortcut=True, n_outputs=3, seed=0):
    torch.manual_seed(seed)
    net = StackedMLP(n_members, 6, n_outputs, hidden, dropout=dropout,
                     linear_shortcut=shortcut).train()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, 0.4)
    return net


def _logits_and_grads(net, X, fused, seed=1):
    net.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    logits = net.member_logits(X) if fused else wide_and_deep_logits(net, X).squeeze(-1)
    if fused:
        assert net._fusable(X)
    (logits.square().sum() + logits.sum()).backward()
    return logits.detach(), {name: None if p.grad is None else p.grad.clone()
                             for name, p in net.named_parameters()}


@pytest.mark.parametrize("dropout", [0.0, 0.3, 0.7])
@pytest.mark.parametrize("shortcut", [True, False])
@pytest.mark.parametrize("hidden", [(16,), (16, 12), (8, 8, 8)])
def test_fused_training_step_equals_the_layer_by_layer_step(dropout, shortcut, hidden):
    net = _stack(hidden=hidden, dropout=dropout, shortcut=shortcut)
    X = torch.randn(4, 50, 6)
    assert net._fusable(X)
    reference, reference_grads = _logits_and_grads(net, X, fused=False)
    logits, grads = _logits_and_grads(net, X, fused=True)
    # the same dropout masks (same random words) and the same floats forward
    assert torch.equal(logits, reference)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, reference_grads[name], rtol=1e-5, atol=1e-5,
                                   msg=name)


def test_shared_rows_and_one_output():
    net = _stack(n_outputs=1)
    X = torch.randn(30, 6)  # the same rows for every member
    reference, reference_grads = _logits_and_grads(net, X, fused=False)
    logits, grads = _logits_and_grads(net, X, fused=True)
    assert logits.shape == (4, 30)
    assert torch.equal(logits, reference)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, reference_grads[name], rtol=1e-5, atol=1e-5)


def test_frozen_layers_get_no_gradient_and_the_others_theirs():
    net = _stack()
    for layer in net.hidden:
        for p in layer.parameters():
            p.requires_grad_(False)
    X = torch.randn(4, 40, 6)
    reference, reference_grads = _logits_and_grads(net, X, fused=False)
    logits, grads = _logits_and_grads(net, X, fused=True)
    assert torch.equal(logits, reference)
    for name, grad in grads.items():
        if name.startswith("hidden"):
            assert grad is None
        else:
            torch.testing.assert_close(grad, reference_grads[name], rtol=1e-5, atol=1e-5)


def test_anything_else_runs_layer_by_layer():
    X = torch.randn(4, 10, 6)
    net = _stack()
    assert not net.eval()._fusable(X)  # evaluation
    net.train()
    with torch.no_grad():
        assert not net._fusable(X)
    assert not net._fusable(X.clone().requires_grad_())  # gradients of the inputs
    handle = net.output.register_forward_hook(lambda *args: None)
    assert not net._fusable(X)  # a hook sees each layer
    handle.remove()
    assert net._fusable(X)
    gelu = StackedMLP(2, 6, 2, (8,), activation=nn.GELU).train()
    assert not gelu._fusable(X[:2])
    assert not _stack().double().half()._fusable(X.half())  # float16: layer by layer


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("shortcut", [True, False])
def test_selection_logits_are_the_float32_evaluation(n_outputs, shortcut):
    """A search's per-epoch selection: the fused forward without dropout, in place, gives
    the layers' float32 evaluation exactly, and leaves the evaluation in float64 after."""
    from imbsk.engine.layers import StackedLinear
    net = _stack(n_outputs=n_outputs, shortcut=shortcut).eval()
    X = torch.randn(4, 40, 6)
    logits = net.selection_logits(X)
    assert not logits.requires_grad
    layers = [m for m in net.modules() if isinstance(m, StackedLinear)]
    for layer in layers:
        layer.exact_evaluation = False
    with torch.no_grad():
        expected = net.member_logits(X)
    for layer in layers:
        del layer.exact_evaluation
    assert torch.equal(logits, expected)
    with torch.no_grad():
        assert net.member_logits(X).dtype == torch.float64  # exact evaluation again
    net.hidden[2].register_forward_hook(lambda *a: None)  # not fusable: layer by layer
    assert torch.equal(net.selection_logits(X), expected)
    assert all(layer.exact_evaluation for layer in layers)
