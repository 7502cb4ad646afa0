"""skorch's data hooks of the estimators: datasets, the split and the iterators.

``get_split_datasets`` is where skorch's loop hands over the data of a training call:
the internal split (or the user's ``train_split``), the training rows a strategy may
replace, the set-up that needs the training counts (:func:`imbsk._training.prepare_training`)
and, for cross-fitted members, the out-of-fold rows as the validation data.
"""

from skorch.utils import is_dataset

from ._training import (batch_size_for, encode_validation, out_of_fold_validation,
                        prepare_training, replace_training_rows, split_with_hints)
from .data import TabularDataset, dataset_targets
from .scoring import check_validation_coverage

__all__ = ["DataHooksMixin", "PREDICTION_ROWS"]

#: Rows per batch of prediction and validation (``iterator_valid__batch_size`` overrides;
#: ``batch_size=-1``: every row at once). A batch of 128 rows costs more in per-call
#: overhead than in arithmetic; past about 1,000 rows the five members' activations
#: (float64) no longer fit the processor's cache: 400,000 rows/s at 1,024 rows against
#: 180,000 at 4,096 on a 30-column table (benchmarks/RESULTS.md, section 11).
PREDICTION_ROWS = 1024


class DataHooksMixin:
    """skorch's data hooks of the estimators: datasets, the split and the iterators."""

    def check_data(self, X, y):  # data are validated and encoded before skorch sees them
        pass

    def get_dataset(self, X, y=None):
        if not self._tabular_dataset() or is_dataset(X):
            return super().get_dataset(X, y)  # skorch's rules (dataset=, dataset__*)
        kwargs = {"device": self.device, "lazy": y is None,  # prediction: rows per batch
                  **self.get_params_for("dataset")}
        return self.dataset(X, y, **kwargs)

    def _tabular_dataset(self):
        return isinstance(self.dataset, type) and issubclass(self.dataset, TabularDataset)

    def _training_dataset(self, X, codes, sample_weight):
        if sample_weight is None:
            return self.get_dataset(X, codes)
        if not self._tabular_dataset():
            raise ValueError("sample_weight needs dataset=TabularDataset (the default).")
        return self.dataset(X, codes, device=self.device, sample_weight=sample_weight,
                            **self.get_params_for("dataset"))

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset_train, dataset_valid = split_with_hints(
            self, self.get_dataset(X, y), y, self._streaming_counts is not None, **fit_params)
        dataset_valid = encode_validation(self, dataset_valid)
        if dataset_valid is not None:
            check_validation_coverage(dataset_targets(dataset_valid)[0].cpu().numpy(),
                                      self.classes_)
        dataset_train = replace_training_rows(self, dataset_train)
        prepare_training(self, dataset_train, self._streaming_counts)
        return dataset_train, out_of_fold_validation(self, dataset_train) or dataset_valid

    def get_iterator(self, dataset, training=False):
        if not training:  # prediction and validation: large batches, unless asked
            params = self.get_params_for("iterator_valid")
            requested = PREDICTION_ROWS if self.batch_size == "auto" else self.batch_size
            batch_size = params.get("batch_size", requested if requested == -1
                                    else max(requested, PREDICTION_ROWS))
            params["batch_size"] = len(dataset) if batch_size == -1 else batch_size
            return self.iterator_valid(dataset, **params)
        params = self.get_params_for("iterator_train")
        sampler = getattr(self, "train_sampler_", None)  # set when the split was made
        # a fit has resolved "auto"; a training pass outside one (forward(training=True))
        # resolves it for this dataset
        batch_size = batch_size_for(self, len(dataset))
        if self._stacked_members() > 1:
            return self._member_batches(dataset, params.get("batch_size", batch_size),
                                        sampler)
        if sampler is not None:
            params.setdefault("sampler", sampler)
        else:
            params.setdefault("shuffle", True)
        params.setdefault("batch_size", batch_size)
        if params["batch_size"] == -1:
            params["batch_size"] = len(dataset)
        return self.iterator_train(dataset, **params)

