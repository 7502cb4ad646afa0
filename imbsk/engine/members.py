"""Members of one fit: their seeds, initial networks and training rows.

How K members of an estimator get their rows is its ``member_sampling``: every row
(``"shuffle"``), bootstraps, or cross-fitting (each member holds out one fold).
"""

import copy
import warnings

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_random_state

from ..data import TabularDataset, _base_and_rows, dataset_rows, dataset_sample_weight
from ..devices import seeded
from ..modules import MLP
from .layers import StackedMLP
from .sampling import MemberStreams  # noqa: F401 (doctests)

__all__ = ["MEMBER_SAMPLINGS", "OutOfFoldDataset", "cross_fit_folds", "draw_member_rows",
           "fold_of_row", "member_seeds", "stacked_mlp"]


#: How each member of ``n_members`` gets its training rows.
MEMBER_SAMPLINGS = ("shuffle", "bootstrap", "balanced_bootstrap", "cross_fit")


def member_seeds(random_state, n_members):
    """One seed per member, drawn from ``random_state`` (None: fresh ones).

    Examples
    --------
    >>> member_seeds(0, 3).tolist() == member_seeds(0, 3).tolist()
    True
    """
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_members)


def stacked_mlp(params, seeds, link):
    """K members, member k initialised as an MLP under ``seeds[k]``; and their streams.

    Returns
    -------
    module : StackedMLP
    states : list of ByteTensor
        Each member's generator state after its initialisation (its data orders).

    Examples
    --------
    >>> module, states = stacked_mlp({"n_features": 3, "n_outputs": 2}, [1, 2], "softmax")
    >>> module.n_members, len(states)
    (2, 2)
    """
    key = (repr(sorted(params.items())), tuple(int(s) for s in seeds), link)
    if key not in _INITIAL_STACKS:  # the same draws every time: made once per process
        members, states = [], []
        for seed in seeds:
            with seeded(int(seed)):
                members.append(MLP(**params))
                states.append(torch.get_rng_state())
        if len(_INITIAL_STACKS) >= _INITIAL_STACKS_KEPT:
            _INITIAL_STACKS.pop(next(iter(_INITIAL_STACKS)))
        _INITIAL_STACKS[key] = (StackedMLP.from_members(members, link=link), states)
    module, states = _INITIAL_STACKS[key]
    return copy.deepcopy(module), [state.clone() for state in states]


#: Initial stacks of recent fits (a search's candidates on one fold start from the same
#: weights): initialising five MLPs costs more than a copy of them.
_INITIAL_STACKS = {}
_INITIAL_STACKS_KEPT = 32


def cross_fit_folds(y, streams):
    """K stratified folds of the rows (K members): member k validates on fold k.

    Drawn from member 0's stream. A class with fewer rows than members is spread over as
    many folds as it has rows (scikit-learn's ``StratifiedKFold``).

    Examples
    --------
    >>> y = np.array([0] * 12 + [1] * 3)
    >>> streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(3)])
    >>> [np.bincount(y[f]).tolist() for f in cross_fit_folds(y, streams)]
    [[4, 1], [4, 1], [4, 1]]
    """
    with streams.member(0):
        seed = int(torch.randint(2**31 - 1, ()).item())
    splitter = StratifiedKFold(len(streams.states), shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        return [test for _, test in splitter.split(np.zeros(len(y)), y)]


def draw_member_rows(y, sampling, streams):
    """Each member's training rows (positions in ``y``), drawn from its own stream.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        Class indices of the training rows.
    sampling : {"shuffle", "bootstrap", "balanced_bootstrap"}
        ``"shuffle"``: every row (each member in its own order). ``"bootstrap"``: each
        class's rows drawn with replacement, as many as it has (class counts kept).
        ``"balanced_bootstrap"``: ``n // C`` rows of every class drawn with replacement
        -- majority rows left out, minority rows repeated, differently for each member:
        the balanced bagging of imbalanced-learn's ``BalancedRandomForestClassifier``
        with the training budget of one pass over the data. ``"cross_fit"``: every row
        but those of the member's fold (:func:`cross_fit_folds`).
    streams : MemberStreams

    Returns
    -------
    rows : list of ndarray, one per member (of one length, but for ``"cross_fit"``,
        whose folds may differ by a row)

    Examples
    --------
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(2)])
    >>> rows = draw_member_rows(y, "balanced_bootstrap", streams)
    >>> [np.bincount(y[r]).tolist() for r in rows]
    [[5, 5], [5, 5]]
    """
    y = np.asarray(y)
    n_members = len(streams.states)
    if sampling == "shuffle":
        return [np.arange(len(y))] * n_members
    if sampling == "cross_fit":
        return [np.setdiff1d(np.arange(len(y)), fold) for fold in cross_fit_folds(y, streams)]
    by_class = [np.flatnonzero(y == c) for c in np.unique(y)]
    per_class = len(y) // len(by_class)
    rows = []
    for k in range(n_members):
        with streams.member(k):
            draws = [
                idx[torch.randint(len(idx), (len(idx) if sampling == "bootstrap"
                                             else per_class,)).numpy()]
                for idx in by_class]
        rows.append(np.sort(np.concatenate(draws)))
    return rows


class OutOfFoldDataset(TabularDataset):
    """The training rows as the validation data of cross-fitted members.

    Row i is predicted by ``member_of_row[i]``, the member that held it out: batches carry
    ``X`` as ``{"X": rows, "member": member ids}``, which skorch passes to the stacked
    module's ``forward(X, member)``. skorch's validation loop, its scoring callbacks and
    ``history`` (``valid_loss``, ``valid_loss_best``, ``valid_bacc``, ...) then see the
    out-of-fold predictions, as they see a held-out split's.

    Parameters
    ----------
    dataset : TabularDataset or a Subset of one
        The training rows.
    member_of_row : array-like of int, shape (len(dataset),)

    Examples
    --------
    >>> ds = TabularDataset(np.eye(3, dtype=np.float32), np.array([0, 1, 0]))
    >>> X, y = OutOfFoldDataset(ds, [1, 0, 1]).get_batch([0, 2])
    >>> X["member"].tolist(), y.tolist()
    ([1, 1], [0, 0])
    """

    def __init__(self, dataset, member_of_row):
        base, rows = _base_and_rows(dataset)
        if rows is None:
            self.X, self.y, self.sample_weight = base.X, base.y, base.sample_weight
        else:
            self.X, self.y = dataset_rows(dataset)[:2]
            self.sample_weight = dataset_sample_weight(dataset)
        self.member = torch.as_tensor(np.asarray(member_of_row), dtype=torch.long,
                                      device=self.y.device)
        if len(self.member) != len(self.y):
            raise ValueError(f"member_of_row has {len(self.member)} entries for "
                             f"{len(self.y)} rows.")

    def __getitem__(self, i):
        X, y = super().__getitem__(i)
        return {"X": X, "member": self.member[i]}, y

    def _take(self, index):
        X, y = super()._take(index)
        return {"X": X, "member": self.member[index.to(self.member.device)]}, y


def fold_of_row(folds, n_rows):
    """For K folds (a partition of ``range(n_rows)``): the fold each row is in.

    Examples
    --------
    >>> fold_of_row([np.array([1, 2]), np.array([0])], 3).tolist()
    [1, 0, 0]
    """
    member = np.full(n_rows, -1, dtype=np.int64)
    for k, fold in enumerate(folds):
        member[fold] = k
    return member
