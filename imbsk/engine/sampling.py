"""Per-member random streams and the training batches of K members.

Each member draws its data order from its own stream (:class:`MemberStreams`), exactly
as a fit seeded like it would draw it, whatever the other members do.
"""

import contextlib

import numpy as np
import torch

from ..data import _base_and_rows, sampler_order

__all__ = ["MemberBatchIterator", "MemberStreams"]


class MemberStreams:
    """One random stream per member, for its data order (and anything else it draws).

    Inside ``with streams.member(k):`` torch's global generator holds member k's state,
    saved back on exit; so member k draws exactly what a fit seeded like it would draw,
    whatever the other members did.

    Parameters
    ----------
    states : list of ByteTensor
        Each member's generator state (``torch.get_rng_state()`` after its initialisation).

    Examples
    --------
    >>> state = torch.manual_seed(1).get_state()
    >>> streams = MemberStreams([state.clone(), state.clone()])
    >>> with streams.member(0):
    ...     a = torch.rand(1)
    >>> with streams.member(1):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """

    def __init__(self, states):
        self.states = states  # updated in place: the caller's list follows the streams

    @contextlib.contextmanager
    def member(self, k):
        outer = torch.get_rng_state()
        torch.set_rng_state(self.states[k])
        try:
            yield
        finally:
            self.states[k] = torch.get_rng_state()
            torch.set_rng_state(outer)

    def each(self, draw):
        """``[draw(k) for k in members]``, member k's call drawing from member k's stream
        (the outer state saved and restored once, not once per member).

        Examples
        --------
        >>> state = torch.manual_seed(1).get_state()
        >>> streams = MemberStreams([state.clone(), state.clone()])
        >>> a, b = streams.each(lambda k: torch.rand(1))
        >>> bool(a == b)
        True
        """
        outer = torch.get_rng_state()
        try:
            drawn = []
            for k, state in enumerate(self.states):
                torch.set_rng_state(state)
                drawn.append(draw(k))
                self.states[k] = torch.get_rng_state()
            return drawn
        finally:
            torch.set_rng_state(outer)


def _shuffled(n, sampler=None):
    """A random order of ``n`` rows (or a pass of ``sampler``), drawn as imbsk's
    ``BatchIterator`` draws it in an epoch."""
    torch.empty((), dtype=torch.int64).random_()  # DataLoader's base seed
    if sampler is not None:
        return sampler_order(sampler)
    generator = torch.Generator()
    generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
    return torch.randperm(n, generator=generator)


class MemberBatchIterator:
    """Training batches of K members: ``X`` of shape ``(B, K, F)``, targets ``(B, K)``.

    Each epoch member k visits its rows (``member_rows[k]``, positions in ``dataset``) in
    its own order, drawn from its stream -- or, with a ``sampler`` (class-balanced or
    difficulty sampling), its own pass of that sampler.

    Parameters
    ----------
    dataset : TabularDataset or a Subset of one
    batch_size : int
    member_rows : list of ndarray (all of one length)
    streams : MemberStreams
    sampler : torch Sampler or None

    Examples
    --------
    >>> from imbsk.data import TabularDataset
    >>> ds = TabularDataset(np.zeros((10, 3), dtype=np.float32), np.arange(10) % 2)
    >>> streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(2)])
    >>> X, y = next(iter(MemberBatchIterator(ds, 4, [np.arange(10)] * 2, streams)))
    >>> tuple(X.shape), tuple(y.shape)
    ((4, 2, 3), (4, 2))
    """

    def __init__(self, dataset, batch_size, member_rows, streams, sampler=None):
        self.dataset, self.batch_size = dataset, batch_size
        self.member_rows, self.streams, self.sampler = member_rows, streams, sampler
        self._base, self._rows = _base_and_rows(dataset)
        # members whose row counts differ by a row (cross-fit folds) visit as many rows
        # per epoch as the smallest: each skips a different random row every epoch
        self._n = len(sampler) if sampler is not None else min(len(r) for r in member_rows)

    def __len__(self):
        return -(-self._n // self.batch_size)

    def __iter__(self):
        orders = self.streams.each(
            lambda k: _shuffled(len(self.member_rows[k]), self.sampler).numpy())
        orders = [(order if self.sampler is not None else rows[order])[:self._n]
                  for order, rows in zip(orders, self.member_rows)]
        index = torch.as_tensor(np.stack(orders), dtype=torch.long)
        if self._rows is not None:
            index = self._rows[index]
        index = index.to(self._base.X.device if hasattr(self._base.X, "device") else "cpu")
        k = index.shape[0]
        index = index.T.contiguous()  # (n, K): a batch is a block of rows, batch axis first
        for start in range(0, self._n, self.batch_size):
            batch = index[start:start + self.batch_size]
            X, y = self._base._take(batch.reshape(-1))
            X = X.reshape(len(batch), k, -1)
            if isinstance(y, (tuple, list)):
                y = tuple(t.reshape(len(batch), k) for t in y)
            else:
                y = y.reshape(len(batch), k)
            yield X, y
