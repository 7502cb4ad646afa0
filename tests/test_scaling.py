"""Scale-out recipes: Dask-distributed grid search, Accelerate, and CUDA when present."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from imbsk import ImbalancedNetClassifier

GRID = {"beta": [0.9, 0.999], "gamma": [0.0, 2.0]}


def _search(n_jobs=None):
    clf = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=3, random_state=0)
    return GridSearchCV(clf, GRID, scoring="balanced_accuracy", n_jobs=n_jobs,
                        cv=StratifiedKFold(3, shuffle=True, random_state=0))


def test_dask_distributed_search_matches_the_local_one(imbalanced_data):
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = imbalanced_data
    local = _search(n_jobs=1).fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with joblib.parallel_backend("dask"):
            remote = _search(n_jobs=-1).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"])


def test_accelerate_mixin_fits_and_predicts_on_cpu(imbalanced_data):
    accelerate = pytest.importorskip("accelerate")
    from skorch.hf import AccelerateMixin
    from torch.utils.data import DataLoader

    class AcceleratedNet(AccelerateMixin, ImbalancedNetClassifier):
        """imbsk + Hugging Face Accelerate (multi-GPU, mixed precision)."""

    X, y = imbalanced_data
    net = AcceleratedNet(accelerator=accelerate.Accelerator(cpu=True), device=None,
                         rebalance="cb_focal", iterator_train=DataLoader,
                         iterator_valid=DataLoader, max_epochs=2, random_state=0)
    net.fit(X, y)
    assert set(net.predict(X)) <= set(y)
    assert np.isfinite(net.history[-1, "train_loss"])


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.gpu
@cuda
@pytest.mark.parametrize("rebalance", ["cb_focal", "difficulty", "class_balanced_sampling"])
def test_everything_lives_on_the_gpu(rebalance, imbalanced_data):
    X, y = imbalanced_data
    clf = ImbalancedNetClassifier(rebalance=rebalance, device="cuda", max_epochs=2,
                                  random_state=0).fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.criterion_.class_weight.is_cuda
    batch = next(iter(clf.get_iterator(clf.get_dataset(X, np.zeros(len(X), int)), True)))
    assert batch[0].is_cuda  # the data path moved the tensors once, not per batch
    assert clf.predict(X).shape == (len(X),)


@pytest.mark.gpu
@cuda
def test_same_seed_same_model_on_the_gpu(imbalanced_data):
    X, y = imbalanced_data
    fit = lambda: ImbalancedNetClassifier(device="cuda", max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(fit().predict_proba(X), fit().predict_proba(X), rtol=1e-5)
