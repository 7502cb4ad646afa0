"""Checks every re-balancing loss must pass: exact gradient, finite at extreme logits."""

import torch


def assert_exact_gradient_and_finite_at_extremes(loss):
    """``gradcheck`` in float64 on 3 classes, then value and gradient at logits of ±1e4."""
    loss = loss.double()
    logits = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 1, 2, 2, 1, 0])
    assert torch.autograd.gradcheck(lambda z: loss(z, target), (logits,))
    extreme = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    value = loss.float()(extreme, torch.tensor([1, 2]))
    value.backward()
    assert torch.isfinite(value) and torch.all(torch.isfinite(extreme.grad))
