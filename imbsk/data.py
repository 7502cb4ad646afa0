"""The tabular data path: whole batches are sliced from tensors, never collated per row.

skorch's default path calls ``Dataset.__getitem__`` once per row and collates the rows
of every batch; for small MLPs on tabular data that costs more than the network.
:class:`TabularDataset` keeps X and y as tensors (optionally already on the GPU) and
:class:`BatchIterator` draws an index order from the same PyTorch samplers a
``DataLoader`` would use, then slices each batch with one indexing operation. Under the
same seed it yields the same rows in the same order as ``DataLoader`` (tested).

Sparse X (a one-hot encoding with many levels) stays sparse: :class:`HostRows` keeps the
CSR matrix and densifies only the rows of each batch. Prediction keeps dense X as given
too (``lazy=True``), so a float64 input is converted batch by batch, never copied whole.
"""

import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import (
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    WeightedRandomSampler,
    default_collate,
)


__all__ = [
    "BatchIterator",
    "HostRows",
    "TabularDataset",
    "weighted_draw",
    "dataset_rows",
    "dataset_sample_weight",
    "dataset_targets",
    "is_tabular",
    "sampler_order",
    "iter_feature_batches",
]


#: ``torch.multinomial`` draws from at most this many categories.
MULTINOMIAL_LIMIT = 2**24


def weighted_draw(weights, num_samples, generator=None):
    """Indices drawn with replacement, ``i`` with probability ∝ ``weights[i]``.

    ``torch.multinomial`` (the draw of ``WeightedRandomSampler``) up to 2**24 rows, the
    same random stream as the sampler; above its limit, inverse-CDF sampling (a binary
    search of uniform draws in the cumulative weights).

    Parameters
    ----------
    weights : Tensor of shape (n,)
        Non-negative, not all zero.
    num_samples : int
    generator : torch.Generator or None

    Returns
    -------
    indices : LongTensor of shape (num_samples,)

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> weighted_draw(torch.tensor([0.0, 1.0, 0.0]), 4).tolist()
    [1, 1, 1, 1]
    """
    if len(weights) <= MULTINOMIAL_LIMIT:
        return torch.multinomial(weights, num_samples, replacement=True, generator=generator)
    cumulative = torch.cumsum(weights.double(), dim=0)
    uniform = torch.rand(num_samples, dtype=torch.float64, generator=generator,
                         device=weights.device)
    indices = torch.searchsorted(cumulative, uniform * cumulative[-1], right=True)
    return indices.clamp_max_(len(weights) - 1)


class HostRows:
    """Feature rows kept as given (scipy sparse or numpy); indexing returns float32 tensors.

    Stands in for the X tensor of a :class:`TabularDataset`: ``rows[index]`` takes the
    rows at ``index`` (a long tensor, an int array or a slice) and returns them dense, as
    a float32 CPU tensor; only those rows are ever densified or converted. skorch moves
    each batch to the estimator's device.

    Parameters
    ----------
    data : scipy sparse matrix/array or ndarray of shape (n_samples, n_features)
        Sparse data are converted to CSR (row slicing) once.

    Examples
    --------
    >>> rows = HostRows(sp.csr_matrix(np.eye(3)))
    >>> rows[torch.tensor([2, 0])].tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """

    #: Index tensors are moved here before indexing (the data live in host memory).
    device = torch.device("cpu")

    def __init__(self, data):
        self.data = data.tocsr() if sp.issparse(data) else data
        self.shape = data.shape

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        if torch.is_tensor(index):
            index = index.cpu().numpy()
        single = np.ndim(index) == 0 and not isinstance(index, slice)
        rows = self.data[[index] if single else index]
        rows = rows.toarray() if sp.issparse(rows) else rows
        dense = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))
        return dense[0] if single else dense

    def subset(self, rows):
        """The rows at ``rows`` as a new :class:`HostRows` (still sparse, if sparse)."""
        return HostRows(self.data[np.asarray(rows)])


def as_features(X, device=None, lazy=False):
    """X as the batch source of a :class:`TabularDataset`.

    Sparse X, or any X with ``lazy=True``, becomes :class:`HostRows` (converted per
    batch); otherwise a float32 tensor on ``device`` (no copy for a C-contiguous float32
    array on the CPU).

    Examples
    --------
    >>> type(as_features(sp.csr_matrix((2, 3)))).__name__
    'HostRows'
    >>> as_features(np.zeros((2, 3))).dtype
    torch.float32
    """
    if isinstance(X, HostRows) or torch.is_tensor(X):
        return X
    if sp.issparse(X) or lazy:
        return HostRows(X)
    return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32), device=device)


class TabularDataset(Dataset):
    """X (float32) and optional y (int64) held as tensors.

    Parameters
    ----------
    X : array-like or scipy sparse matrix of shape (n_samples, n_features)
        Sparse X is kept sparse (:class:`HostRows`): each batch is densified on its own.
    y : array-like of shape (n_samples,) or None
    device : str, torch.device or None, default=None
        Where the tensors live; None keeps them on the CPU. ``from_numpy`` is used, so a
        C-contiguous float32 array is not copied on the CPU. Sparse (and lazy) X stays
        in host memory.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        If given, batches carry ``(y, sample_weight)`` as their target.
    lazy : bool, default=False
        Keep dense X as given and convert it to float32 batch by batch (prediction: no
        whole float32 copy of a float64 input).

    Examples
    --------
    >>> ds = TabularDataset(np.zeros((4, 2), dtype=np.float32), np.array([0, 1, 0, 1]))
    >>> X, y = ds.get_batch([1, 3])
    >>> tuple(X.shape), y.tolist()
    ((2, 2), [1, 1])
    """

    def __init__(self, X, y=None, device=None, sample_weight=None, lazy=False):
        self.X = as_features(X, device, lazy)
        device = self.X.device  # host-kept rows keep their targets in host memory too
        self.y = None if y is None else torch.as_tensor(np.asarray(y, dtype=np.int64),
                                                         device=device)
        self.sample_weight = None if sample_weight is None else torch.as_tensor(
            np.asarray(sample_weight, dtype=np.float32), device=device)

    def __len__(self):
        return len(self.X)

    def _target(self, index):
        if self.y is None:
            # skorch's convention for y=None: a dummy target per row
            return torch.zeros(len(index) if torch.is_tensor(index) else ())
        if self.sample_weight is not None:
            return self.y[index], self.sample_weight[index]
        return self.y[index]

    def __getitem__(self, i):
        return self.X[i], self._target(i)

    def get_batch(self, indices):
        """The rows at ``indices`` as one ``(X, y)`` batch, with a single index operation.

        (Not ``__getitems__``: a ``DataLoader`` would collate its result again.)
        """
        index = indices
        if not (torch.is_tensor(index) and index.dtype == torch.long
                and index.device == self.X.device):
            index = torch.as_tensor(indices, dtype=torch.long, device=self.X.device)
        return self._take(index)

    def _take(self, index):
        """``get_batch`` for an index that is already a long tensor on X's device."""
        return self.X[index], self._target(index)


def _base_and_rows(dataset):
    """Resolve (nested) ``Subset`` s to the base dataset and an index tensor into it."""
    rows = None
    while isinstance(dataset, Subset):
        indices = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.long)
        rows = indices if rows is None else indices[rows]
        dataset = dataset.dataset
    return dataset, rows


def is_tabular(dataset):
    """Whether ``dataset`` is a :class:`TabularDataset` or a (nested) ``Subset`` of one.

    Examples
    --------
    >>> ds = TabularDataset(np.zeros((3, 1)), np.arange(3))
    >>> is_tabular(Subset(Subset(ds, [0, 1]), [1])), is_tabular([1, 2])
    (True, False)
    """
    return isinstance(_base_and_rows(dataset)[0], TabularDataset)


def dataset_rows(dataset):
    """X, y of a (subset of a) :class:`TabularDataset`, with the rows into the base.

    Returns
    -------
    X : Tensor or HostRows
        The subset's rows, in subset order (a copy for a subset; sparse rows stay
        sparse, as :class:`HostRows`).
    y : Tensor
    rows : ndarray of int
        Index of each returned row in the base dataset.
    n_total : int
        Length of the base dataset.

    Examples
    --------
    >>> ds = TabularDataset(np.eye(3, dtype=np.float32), np.array([0, 1, 2]))
    >>> X, y, rows, n = dataset_rows(Subset(ds, [2, 0]))
    >>> X.tolist(), y.tolist(), rows.tolist(), n
    ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [2, 0], [2, 0], 3)
    """
    y, rows, n_total = dataset_targets(dataset)
    base, _ = _base_and_rows(dataset)
    if isinstance(base.X, HostRows):
        return base.X.subset(rows), y, rows, n_total
    return base.X[torch.from_numpy(rows).to(base.X.device)], y, rows, n_total


def dataset_targets(dataset):
    """Class indices of a (subset of a) :class:`TabularDataset`, without copying X.

    Returns
    -------
    y : Tensor
        The subset's targets, in subset order.
    rows : ndarray of int
        Index of each row in the base dataset.
    n_total : int
        Length of the base dataset.

    Examples
    --------
    >>> ds = TabularDataset(np.zeros((3, 1)), np.array([0, 1, 2]))
    >>> y, rows, n = dataset_targets(Subset(ds, [2, 1]))
    >>> y.tolist(), rows.tolist(), n
    ([2, 1], [2, 1], 3)
    """
    base, rows = _base_and_rows(dataset)
    if rows is None:
        rows = torch.arange(len(base))
    y = torch.as_tensor(base.y)  # a skorch Dataset (dataset=) may hold a numpy y
    return y[rows.to(y.device)], rows.numpy(), len(base)


def iter_feature_batches(dataset, batch_size):
    """Yield the X of a (subset of a) :class:`TabularDataset` in row order, batch by batch.

    Only one batch is materialised at a time (no copy of the whole subset).

    Examples
    --------
    >>> ds = TabularDataset(np.arange(5, dtype=np.float32)[:, None])
    >>> [b.flatten().tolist() for b in iter_feature_batches(Subset(ds, [4, 0, 2]), 2)]
    [[4.0, 0.0], [2.0]]
    """
    base, rows = _base_and_rows(dataset)
    n = len(base) if rows is None else len(rows)
    for start in range(0, n, batch_size):
        if rows is None:
            yield base.X[start:start + batch_size]
        else:
            yield base.X[rows[start:start + batch_size].to(base.X.device)]


def dataset_sample_weight(dataset):
    """Sample weights of the rows of a (subset of a) :class:`TabularDataset`, or None.

    Examples
    --------
    >>> ds = TabularDataset(np.zeros((3, 1)), np.zeros(3), sample_weight=[1.0, 2.0, 3.0])
    >>> dataset_sample_weight(Subset(ds, [2, 0])).tolist()
    [3.0, 1.0]
    """
    base, rows = _base_and_rows(dataset)
    if base.sample_weight is None:
        return None
    return base.sample_weight if rows is None else base.sample_weight[rows.to(base.X.device)]


def sampler_order(sampler):
    """One pass of ``sampler`` as an index tensor.

    The PyTorch samplers used by the estimators are drawn as one tensor, with the same
    random calls as their ``__iter__`` (so the same order under one seed; tested against
    ``DataLoader``), instead of as a Python list of ints; any other sampler is iterated.

    Examples
    --------
    >>> sampler_order(SequentialSampler(range(3))).tolist()
    [0, 1, 2]
    """
    if isinstance(sampler, SequentialSampler):
        return torch.arange(len(sampler))
    if type(sampler) is WeightedRandomSampler and sampler.replacement:
        return weighted_draw(sampler.weights, sampler.num_samples, sampler.generator)
    if type(sampler) is WeightedRandomSampler:
        return torch.multinomial(sampler.weights, sampler.num_samples, False,
                                 generator=sampler.generator)
    if (type(sampler) is RandomSampler and sampler.generator is None
            and not sampler.replacement and sampler.num_samples == len(sampler.data_source)):
        generator = torch.Generator()
        generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
        return torch.randperm(len(sampler.data_source), generator=generator)
    indices = np.fromiter(iter(sampler), dtype=np.int64, count=len(sampler))
    return torch.from_numpy(indices)


class BatchIterator:
    """Iterate over a dataset in batches sliced with one index operation each.

    Accepts the ``DataLoader`` arguments a skorch net passes (``batch_size``,
    ``shuffle``, ``sampler``, ``drop_last``); the sampler is asked for a new index
    order at the start of every epoch, so a sampler whose weights change between
    epochs (difficulty re-sampling) is honoured.

    Parameters
    ----------
    dataset : TabularDataset, a Subset of one, or any map-style Dataset
        Other datasets are supported through per-row access and ``default_collate``.
    batch_size : int, default=128
    shuffle : bool, default=False
        Random order each epoch (``RandomSampler``, as ``DataLoader(shuffle=True)``).
    sampler : torch Sampler or None, default=None
        Overrides ``shuffle``.
    drop_last : bool, default=False

    Examples
    --------
    >>> ds = TabularDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    >>> [y.tolist() for _, y in BatchIterator(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, sampler=None, drop_last=False):
        if sampler is not None and shuffle:
            raise ValueError("sampler and shuffle=True cannot be used together; "
                             "the sampler decides the order.")
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        if sampler is None:
            sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        self._base, self._rows = _base_and_rows(dataset)

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        """This epoch's index order, as a tensor (:func:`sampler_order`)."""
        return sampler_order(self.sampler)

    def __iter__(self):
        sequential = isinstance(self.sampler, SequentialSampler)
        if not sequential:
            # DataLoader draws one number from the global RNG (its workers' base seed)
            # before the sampler runs; doing the same keeps the random streams identical.
            # A sequential pass (prediction) leaves the caller's RNG alone.
            torch.empty((), dtype=torch.int64).random_()
        fast = isinstance(self._base, TabularDataset)
        device = self._base.X.device if fast else None
        n = len(self.sampler)
        if sequential and self._rows is None:
            # a pass over a whole dataset (prediction): each batch's index is made on its
            # own, never an index of every row (38 MiB for 5 million rows)
            def batch_index(start):
                return torch.arange(start, min(start + self.batch_size, n), device=device)
        else:
            order = self._order()
            if self._rows is not None:
                order = self._rows[order]
            if fast:
                order = order.to(device)

            def batch_index(start):
                return order[start:start + self.batch_size]
        stop = len(self) * self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            index = batch_index(start)
            if fast:
                yield self._base._take(index)
            else:
                yield default_collate([self._base[int(i)] for i in index])
