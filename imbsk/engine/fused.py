"""The training forward of the stacked MLP as one autograd node.

Layer by layer, autograd records a dozen nodes for a step of :class:`~imbsk.engine.layers.
StackedMLP` and runs each one's backward: a dropout mask is turned into floats, multiplied
forward and multiplied again backward, and every activation is a fresh buffer. Here the
forward keeps one buffer per hidden layer (the matrix product's output, rectified and
dropped in place) and the backward writes the gradients with the same matrix products and
one masking kernel per layer, from the saved activations alone.

The masks are the ones :func:`~imbsk.engine.dropout.fast_dropout` draws (same random words
in the same order, same rule), and the activations the same floats, so a step equals the
layer-by-layer step but for the rounding of the weight gradients' matrix products.
"""

import torch
from torch.autograd.function import once_differentiable

from .dropout import drawn_bytes, keep_scale, keep_threshold

__all__ = ["stacked_mlp_training_logits"]


def stacked_mlp_training_logits(scaled, params, dropout, n_hidden, shortcut):
    """Each member's training logits ``(K, N, C)``, by one autograd node.

    Parameters
    ----------
    scaled : Tensor of shape (K, N, F)
        The members' scaled inputs (no gradient).
    params : list of Parameter
        Weight ``(K, out, in)`` and bias ``(K, out)`` of each hidden layer, then of the
        output layer, then of the shortcut when there is one.
    dropout : float
        Dropout rate after each hidden layer's ReLU.
    n_hidden : int
    shortcut : bool
        Whether the last two parameters are a linear shortcut from ``scaled`` to the
        logits.

    Returns
    -------
    logits : Tensor of shape (K, N, C)
        The values of the layer-by-layer training forward of
        :class:`~imbsk.engine.layers.StackedMLP` (ReLU, then dropout with
        :func:`~imbsk.engine.dropout.fast_dropout`'s masks from the same random words).
    """
    return _StackedMLPTraining.apply(scaled, float(dropout), n_hidden, shortcut, *params)


def _drop_(hidden, p):
    """ReLU then inverted dropout of ``hidden``, in place (the mask of ``fast_dropout``)."""
    hidden.relu_()
    if not p:
        return hidden
    draws = drawn_bytes(hidden).to(hidden.dtype)
    # kept where the byte is at least the threshold (integers: above it minus a half);
    # threshold_backward(x, d, t) is x where d > t, else 0
    torch.ops.aten.threshold_backward.grad_input(
        hidden, draws, keep_threshold(p) - 0.5, grad_input=hidden)
    return hidden.mul_(keep_scale(p))


class _StackedMLPTraining(torch.autograd.Function):
    """Hidden layers, output and shortcut of a stacked MLP: one node forward and back."""

    @staticmethod
    def forward(ctx, scaled, p, n_hidden, shortcut, *params):
        hidden, saved = scaled, [scaled]
        for layer in range(n_hidden):
            weight, bias = params[2 * layer], params[2 * layer + 1]
            hidden = _drop_(torch.baddbmm(bias.unsqueeze(1), hidden, weight.transpose(1, 2)),
                            p)
            saved.append(hidden)
        weight, bias = params[2 * n_hidden], params[2 * n_hidden + 1]
        logits = torch.baddbmm(bias.unsqueeze(1), hidden, weight.transpose(1, 2))
        if shortcut:
            logits.add_(torch.baddbmm(params[-1].unsqueeze(1), scaled,
                                      params[-2].transpose(1, 2)))
        ctx.p, ctx.n_hidden, ctx.shortcut = p, n_hidden, shortcut
        ctx.save_for_backward(*saved, *params)
        return logits

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        n_hidden, needs = ctx.n_hidden, ctx.needs_input_grad[4:]
        saved = ctx.saved_tensors
        activations, params = saved[:n_hidden + 1], saved[n_hidden + 1:]
        grads = [None] * len(params)
        grad_t = grad.transpose(1, 2)

        def linear_grads(position, grad_out, grad_out_t, inputs):
            if needs[position]:
                grads[position] = torch.bmm(grad_out_t, inputs)
            if needs[position + 1]:
                grads[position + 1] = grad_out.sum(1)

        linear_grads(2 * n_hidden, grad, grad_t, activations[-1])
        if ctx.shortcut:
            linear_grads(len(params) - 2, grad, grad_t, activations[0])
        scale = keep_scale(ctx.p) if ctx.p else 1.0
        grad_hidden = torch.bmm(grad, params[2 * n_hidden])
        for layer in range(n_hidden - 1, -1, -1):
            # through dropout and ReLU: the saved output is positive exactly where the
            # unit was kept and active
            grad_pre = torch.ops.aten.threshold_backward.grad_input(
                grad_hidden, activations[layer + 1], 0, grad_input=grad_hidden)
            if ctx.p:
                grad_pre.mul_(scale)
            linear_grads(2 * layer, grad_pre, grad_pre.transpose(1, 2), activations[layer])
            if layer and any(needs[:2 * layer]):
                grad_hidden = torch.bmm(grad_pre, params[2 * layer])
            else:
                break
        return (None, None, None, None, *grads)
