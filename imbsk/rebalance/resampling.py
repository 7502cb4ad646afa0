"""imbalanced-learn samplers applied inside ``fit``, to the training split only.

In an ``imblearn.pipeline.Pipeline``, SMOTE runs before the network's internal
validation split, so synthetic rows leak into validation (and early stopping looks at
them). Passed as ``rebalance=SMOTE()``, the sampler is cloned and applied *after* the
split, to the training rows only, and by default re-drawn every epoch so that an
under-sampler sees all majority rows over the epochs.
"""

import numpy as np
import torch
from sklearn.base import clone
from skorch.callbacks import Callback

from ..data import HostRows, TabularDataset, as_features, dataset_rows, dataset_sample_weight
from .base import RebalanceStrategy

__all__ = ["ImblearnResampling", "ResampledDataset"]


def _draw_seed():
    """A seed from torch's RNG, which ``fit`` seeds from the estimator's random_state."""
    return int(torch.randint(np.iinfo(np.int32).max, ()).item())


class ResampledDataset(TabularDataset):
    """The training rows after an imbalanced-learn sampler; :meth:`redraw` draws anew.

    Parameters
    ----------
    X, y : ndarray
        The original training rows (features and class indices), kept on the CPU.
    sampler : imblearn sampler
        Cloned for every draw; its ``random_state`` is replaced by ``seed``.
    device : str or None
        Where the resampled tensors live.
    sample_weight : ndarray or None
        Weights of the original rows; they follow the rows a sampler selects (samplers
        with ``sample_indices_``: random over/under-sampling, NearMiss, ...). A sampler
        that makes new rows (SMOTE) cannot be combined with weights.

    Examples
    --------
    >>> from imblearn.over_sampling import RandomOverSampler
    >>> ds = ResampledDataset(np.zeros((4, 2)), np.array([0, 0, 0, 1]), RandomOverSampler())
    >>> ds.redraw(seed=0).y.tolist()
    [0, 0, 0, 1, 1, 1]
    """

    def __init__(self, X, y, sampler, device=None, sample_weight=None):
        self.X_original = X if hasattr(X, "tocsr") else np.asarray(X, dtype=np.float32)
        self.y_original = np.asarray(y)
        self.weight_original = None if sample_weight is None else np.asarray(sample_weight)
        self.sampler = sampler
        self.device = device
        self.draws = 0
        super().__init__(self.X_original[:0], self.y_original[:0], device=device)

    def redraw(self, seed):
        """Apply a fresh clone of the sampler to the original rows."""
        sampler = clone(self.sampler)
        if "random_state" in sampler.get_params():
            sampler.set_params(random_state=seed)
        try:
            X, y = sampler.fit_resample(self.X_original, self.y_original)
        except ValueError as exc:
            counts = np.bincount(self.y_original).tolist()
            raise ValueError(
                f"{type(sampler).__name__} failed on the {len(self.y_original)} rows it was "
                f"given to train on, whose class counts are {counts}: {exc} For a small "
                "minority, lower k_neighbors/n_neighbors (an internal train_split also "
                "leaves fewer training rows)."
            ) from exc
        if self.weight_original is not None and not hasattr(sampler, "sample_indices_"):
            raise ValueError(
                f"sample_weight cannot follow the rows {type(sampler).__name__} makes (it "
                "creates new rows and has no sample_indices_). Use a sampler that selects "
                "rows (RandomOverSampler, RandomUnderSampler, ...) or resample before fit."
            )
        self.X = as_features(X, self.device)
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64), device=self.X.device)
        if self.weight_original is not None:
            self.sample_weight = torch.as_tensor(
                self.weight_original[sampler.sample_indices_], device=self.X.device)
        self.draws += 1
        return self


class RedrawEachEpoch(Callback):
    """Re-draws the resampled training rows at the start of every epoch but the first."""

    def initialize(self):
        self.epoch_ = 0
        return self

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.epoch_ > 0 and isinstance(dataset_train, ResampledDataset):
            dataset_train.redraw(_draw_seed())
        self.epoch_ += 1


class ImblearnResampling(RebalanceStrategy):
    """Apply an imbalanced-learn sampler to the training split inside ``fit``.

    ``rebalance=SMOTE()`` is shorthand for ``rebalance=ImblearnResampling(SMOTE())``.
    Class counts (and so class weights of a composed loss strategy) are those of the
    first draw, i.e. of the rows the network actually trains on.

    Parameters
    ----------
    sampler : imblearn sampler (anything with ``fit_resample``)
        Cloned for every draw; its ``random_state`` is replaced by a seed derived from
        the estimator's ``random_state`` so that fits are reproducible.
    per_epoch : bool, default=True
        Draw anew at the start of every epoch; False draws once per ``fit``.

    Examples
    --------
    >>> from imblearn.under_sampling import RandomUnderSampler
    >>> ImblearnResampling(RandomUnderSampler()).per_epoch
    True
    """

    draws_rows = True  # its own sampler / rows: members cannot keep to folds

    def __init__(self, sampler, per_epoch=True):
        self.sampler = sampler
        self.per_epoch = per_epoch

    def validate(self):
        if not hasattr(self.sampler, "fit_resample"):
            raise TypeError(
                f"ImblearnResampling needs an imbalanced-learn sampler (with fit_resample), "
                f"got {type(self.sampler).__name__}."
            )
        if not isinstance(self.per_epoch, (bool, np.bool_)):
            raise TypeError(f"per_epoch must be True or False, got {self.per_epoch!r}.")

    def make_train_dataset(self, dataset_train, device):
        X, y, _, _ = dataset_rows(dataset_train)
        weight = dataset_sample_weight(dataset_train)
        X = X.data if isinstance(X, HostRows) else X.cpu().numpy()
        dataset = ResampledDataset(X, y.cpu().numpy(), self.sampler, device,
                                   None if weight is None else weight.cpu().numpy())
        return dataset.redraw(_draw_seed())

    def make_callbacks(self):
        return [("resample", RedrawEachEpoch())] if self.per_epoch else []
