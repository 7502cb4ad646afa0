"""Dropout masks from random bytes: the stacked members' wide activations on a CPU.

``torch.dropout`` draws one Bernoulli variable per entry; on the wide activations of K
stacked members that dominated a training step on a CPU. Here eight entries share one
64-bit random word: an entry is kept when its byte (read as a signed 8-bit integer) is at
least :func:`keep_threshold`. The drop rate is ``round(p * 256) / 256`` (within
``1/512`` of ``p``; a rate under ``1/512`` drops nothing) and kept entries are scaled by
the inverse of the keep rate, so the expected output equals the input.
"""

import torch

__all__ = ["drawn_bytes", "fast_dropout", "keep_scale", "keep_threshold"]


def keep_threshold(p):
    """The smallest kept byte value (as int8) for drop rate ``p``."""
    return min(round(p * 256), 255) - 128


def keep_scale(p):
    """The scaling of kept entries: one over the keep rate of :func:`keep_threshold`.

    Examples
    --------
    >>> keep_threshold(0.3), round(keep_scale(0.3), 4)
    (-51, 1.4302)
    """
    return 256.0 / (128 - keep_threshold(p))


def drawn_bytes(like):
    """One random signed byte per entry of ``like`` (eight per 64-bit draw), its shape."""
    n = like.numel()
    words = torch.empty(-(-n // 8), dtype=torch.int64, device=like.device).random_(
        -2**63, None)
    return words.view(torch.int8)[:n].view(like.shape)


def fast_dropout(X, p, training=True):
    """Inverted dropout of ``X`` with the masks of this module.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> kept = fast_dropout(torch.ones(100_000), 0.25)
    >>> round(float((kept == 0).float().mean()), 2), round(float(kept.max()), 4)
    (0.25, 1.3333)
    """
    if not training or p == 0:
        return X
    keep = drawn_bytes(X) >= keep_threshold(p)
    return X * keep.to(X.dtype).mul_(keep_scale(p))
