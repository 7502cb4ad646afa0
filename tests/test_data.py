import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Subset, TensorDataset, WeightedRandomSampler

from imbsk.data import BatchIterator, TabularDataset, dataset_rows

X = np.arange(200, dtype=np.float32).reshape(100, 2)
Y = np.arange(100) % 3


def _collect(iterator):
    return [(xb.clone(), yb.clone()) for xb, yb in iterator]


def _assert_same_batches(ours, reference):
    assert len(ours) == len(reference)
    for (x1, y1), (x2, y2) in zip(ours, reference):
        torch.testing.assert_close(x1, x2)
        torch.testing.assert_close(y1, y2)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("subset", [False, True])
def test_same_rows_in_the_same_order_as_the_per_sample_dataloader(shuffle, subset):
    fast = TabularDataset(X, Y)
    slow = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    if subset:
        rows = np.random.default_rng(0).permutation(100)[:70]
        fast, slow = Subset(fast, rows), Subset(slow, rows)
    torch.manual_seed(3)
    ours = _collect(BatchIterator(fast, batch_size=16, shuffle=shuffle))
    after_ours = torch.rand(3)
    torch.manual_seed(3)
    reference = _collect(DataLoader(slow, batch_size=16, shuffle=shuffle))
    _assert_same_batches(ours, reference)
    if shuffle:
        # the global random stream continues identically (later epochs, dropout, ...);
        # a sequential pass draws nothing, where DataLoader draws a worker seed
        torch.testing.assert_close(after_ours, torch.rand(3))


def test_same_rows_with_a_weighted_sampler():
    weights = torch.linspace(0.1, 1.0, 100, dtype=torch.float64)
    fast = TabularDataset(X, Y)
    slow = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    torch.manual_seed(5)
    ours = _collect(BatchIterator(fast, batch_size=32,
                                  sampler=WeightedRandomSampler(weights, 100)))
    after_ours = torch.rand(3)
    torch.manual_seed(5)
    reference = _collect(DataLoader(slow, batch_size=32,
                                    sampler=WeightedRandomSampler(weights, 100)))
    _assert_same_batches(ours, reference)
    torch.testing.assert_close(after_ours, torch.rand(3))


def test_drop_last_and_length():
    iterator = BatchIterator(TabularDataset(X, Y), batch_size=30, drop_last=True)
    assert len(iterator) == 3 and [len(b[0]) for b in iterator] == [30, 30, 30]
    assert len(BatchIterator(TabularDataset(X, Y), batch_size=30)) == 4


def test_other_datasets_fall_back_to_per_row_collation():
    slow = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    batches = _collect(BatchIterator(slow, batch_size=40))
    assert [len(b[0]) for b in batches] == [40, 40, 20]
    torch.testing.assert_close(batches[0][0], torch.from_numpy(X[:40]))


def test_sampler_and_shuffle_together_are_refused():
    with pytest.raises(ValueError, match="sampler and shuffle=True cannot be used together"):
        BatchIterator(TabularDataset(X, Y), sampler=range(3), shuffle=True)


def test_no_copy_of_float32_input_and_dataset_rows_of_a_nested_subset():
    dataset = TabularDataset(X, Y)
    assert dataset.X.data_ptr() == torch.from_numpy(X).data_ptr() or np.shares_memory(
        dataset.X.numpy(), X)
    nested = Subset(Subset(dataset, np.arange(50, 100)), np.array([0, 2, 4]))
    Xs, ys, rows, n_total = dataset_rows(nested)
    np.testing.assert_array_equal(rows, [50, 52, 54])
    torch.testing.assert_close(Xs, torch.from_numpy(X[[50, 52, 54]]))
    assert n_total == 100


def test_a_dataloader_over_the_tabular_dataset_gives_the_same_batches():
    dataset = TabularDataset(X, Y)
    torch.manual_seed(11)
    ours = _collect(BatchIterator(dataset, batch_size=16, shuffle=True))
    torch.manual_seed(11)
    _assert_same_batches(ours, _collect(DataLoader(dataset, batch_size=16, shuffle=True)))


def test_host_rows_densify_only_the_rows_asked_for():
    import scipy.sparse as sp

    from imbsk.data import HostRows

    dense = np.arange(12, dtype=np.float64).reshape(4, 3)
    for data in (sp.csc_matrix(dense), sp.csr_array(dense), dense):
        rows = HostRows(data)
        assert len(rows) == 4 and rows.shape == (4, 3)
        np.testing.assert_array_equal(rows[torch.tensor([3, 1])], dense[[3, 1]])
        np.testing.assert_array_equal(rows[1:3], dense[1:3])
        np.testing.assert_array_equal(rows[2], dense[2])
        assert rows[0:2].dtype == torch.float32
    subset = HostRows(sp.csr_matrix(dense)).subset([2, 0])
    assert sp.issparse(subset.data)
    np.testing.assert_array_equal(subset[0:2], dense[[2, 0]])


def test_sparse_dataset_batches_through_the_iterator():
    import scipy.sparse as sp

    X = sp.random(50, 7, density=0.2, format="csr", random_state=0, dtype=np.float64)
    dataset = TabularDataset(X, np.arange(50) % 2)
    batches = list(BatchIterator(Subset(dataset, np.arange(10, 50)), batch_size=16))
    assert [len(b[0]) for b in batches] == [16, 16, 8]
    np.testing.assert_allclose(torch.cat([b[0] for b in batches]), X[10:].toarray(),
                               rtol=1e-6)
