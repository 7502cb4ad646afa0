"""Round trips keep the model: every ``rebalance`` alias x four ways to persist x device.

The four round trips: ``pickle``, ``copy.deepcopy``, ``save_params``/``load_params`` into
a fresh estimator, and skorch's ``Checkpoint`` + ``LoadInitState`` resume. After each,
``predict_proba`` and ``predict`` must be identical. The full matrix is marked slow; a
representative subset runs by default.

For ``save_params``/``load_params`` a user builds the fresh estimator with the same
parameters plus ``module__n_features=<n>`` and ``classes=[...]``, calls ``initialize()``,
then ``load_params``: the loss's state (class weights, logit offsets, margins and the
training class counts) travels in ``f_criterion``.
"""

import copy
import functools
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification
from skorch.callbacks import Checkpoint, LoadInitState, TrainEndCheckpoint

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import ALIASES

X_MULTI, Y_MULTI = make_classification(300, n_features=6, n_informative=4, n_classes=3,
                                       weights=[0.7, 0.2], random_state=0)
X_BINARY, Y_BINARY = make_classification(300, n_features=6, n_informative=4,
                                         weights=[0.8], random_state=0)

#: Aliases whose loss or classifier needs one logit per class.
MULTICLASS_ONLY = {"logit_adjusted", "balanced_softmax", "ldam", "ldam_drw", "tau_norm"}
DEFAULT_RUN = {"none", "cb_focal", "difficulty", "logit_adjusted"}
TRIPS = ["pickle", "deepcopy", "save_params", "checkpoint"]
DEVICES = ["cpu", "auto"]


def _pickle(make, X, y, tmp_path):
    fitted = make().fit(X, y)
    return fitted, pickle.loads(pickle.dumps(fitted))


def _deepcopy(make, X, y, tmp_path):
    fitted = make().fit(X, y)
    return fitted, copy.deepcopy(fitted)


def _save_params(make, X, y, tmp_path):
    fitted = make().fit(X, y)
    files = {"f_params": tmp_path / "params.pt", "f_optimizer": tmp_path / "optimizer.pt",
             "f_criterion": tmp_path / "criterion.pt", "f_history": tmp_path / "history.json"}
    fitted.save_params(**files)
    fresh = make(module__n_features=X.shape[1], classes=fitted.classes_.tolist())
    fresh.initialize()
    fresh.load_params(**files)
    return fitted, fresh


def _checkpoint(make, X, y, tmp_path):
    """skorch's ``TrainEndCheckpoint``, then ``LoadInitState`` and ``epochs=0``: the fitted
    model comes back without training. (A per-epoch ``Checkpoint`` holds that epoch's
    weights, as with skorch's ``EarlyStopping(load_best=True)``: cross-fitted members keep
    their best epochs, which may be earlier ones; see ``test_an_epoch_checkpoint_...``.)"""
    fitted = make(callbacks=[TrainEndCheckpoint(dirname=tmp_path)]).fit(X, y)
    saved = TrainEndCheckpoint(dirname=tmp_path)
    resumed = make(random_state=1,  # a different seed: only the load can make them equal
                   callbacks=[saved, LoadInitState(saved)])
    return fitted, resumed.fit(X, y, epochs=0)


ROUND_TRIPS = {"pickle": _pickle, "deepcopy": _deepcopy, "save_params": _save_params,
               "checkpoint": _checkpoint}


def _cases():
    for Estimator, head in [(ImbalancedNetClassifier, "multiclass"),
                            (ImbalancedNetBinaryClassifier, "binary")]:
        for alias in ALIASES:
            if head == "binary" and alias in MULTICLASS_ONLY:
                continue
            for trip in TRIPS:
                for device in DEVICES:
                    marks = []
                    if not (alias in DEFAULT_RUN and trip in ("pickle", "save_params")):
                        marks.append(pytest.mark.slow)
                    yield pytest.param(Estimator, alias, trip, device, marks=marks,
                                       id=f"{head}-{alias}-{trip}-{device}")


@pytest.mark.filterwarnings("ignore:Training stopped after 0 epoch")  # crt, epochs=0
@pytest.mark.parametrize("Estimator, alias, trip, device", list(_cases()))
def test_round_trip_keeps_predictions(Estimator, alias, trip, device, tmp_path):
    binary = Estimator is ImbalancedNetBinaryClassifier
    X, y = (X_BINARY, Y_BINARY) if binary else (X_MULTI, Y_MULTI)
    X = X.astype(np.float32)
    make = functools.partial(
        Estimator, rebalance=None if alias == "none" else alias, device=device,
        max_epochs=12 if alias == "crt" else 3,  # crt: crt_epochs=10 < max_epochs
        random_state=0)
    fitted, restored = ROUND_TRIPS[trip](make, X, y, tmp_path)
    if trip == "checkpoint" and alias == "tau_norm":
        # the resumed call's end normalises the saved (normalised) classifier once more:
        # w / |w| is idempotent up to float rounding
        np.testing.assert_allclose(restored.predict_proba(X), fitted.predict_proba(X),
                                   rtol=0, atol=1e-6)
    else:
        np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_an_epoch_checkpoint_resumes_that_epochs_members(tmp_path):
    """Cross-fitted members end at their best epochs; a per-epoch ``Checkpoint`` saved the
    last epoch. Resuming from it with ``epochs=0`` gives that epoch's members, as loading
    it by hand does."""
    make = functools.partial(ImbalancedNetClassifier, max_epochs=40, random_state=0)
    fitted = make(callbacks=[Checkpoint(monitor=None, dirname=tmp_path)]).fit(X_MULTI, Y_MULTI)
    assert min(fitted.member_best_epochs_) < 40  # a member kept an earlier epoch
    resumed = make(callbacks=[LoadInitState(Checkpoint(monitor=None, dirname=tmp_path))])
    resumed.fit(X_MULTI, Y_MULTI, epochs=0)
    by_hand = make(module__n_features=6, classes=[0, 1, 2]).initialize()
    by_hand.load_params(checkpoint=Checkpoint(monitor=None, dirname=tmp_path))
    np.testing.assert_array_equal(resumed.predict_proba(X_MULTI),
                                  by_hand.predict_proba(X_MULTI))
    assert not np.array_equal(resumed.predict_proba(X_MULTI), fitted.predict_proba(X_MULTI))
