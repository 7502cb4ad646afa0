"""Where a batched search's time goes: timers around its phases (issue "Search the
default estimator").

The 16-candidate search of ``benchmarks/batched_search.py`` (KEEL yeast3, the default
estimator with ``rebalance="cb_focal"``, 20 epochs, 5 folds, ``n_jobs=1``), three times;
each line: the whole search, then the seconds spent setting up (candidate, fold) fits
(``plan``), training stacks (``train_members``, which includes each epoch's
``selection``), everything of the stacked training step (``train_stacks``), and the refit.
What is left of the total is scikit-learn's scoring.

    python benchmarks/search_phases.py
"""

import time

from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

import imbsk.engine.train as engine_train
import imbsk.model_selection as model_selection
from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel

from batched_search import grid

SECONDS = {}


def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        out = function(*args, **kwargs)
        SECONDS[name] = SECONDS.get(name, 0.0) + time.perf_counter() - start
        return out
    return wrapper


def main():
    X, y = load_keel("yeast3", return_X_y=True)
    X = StandardScaler().fit_transform(X)
    estimator = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=20, random_state=0)
    estimator.fit(X[:300], y[:300])  # warm-up
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    model_selection._member_shell = timed("plan", model_selection._member_shell)
    model_selection.train_members = timed("train_members", model_selection.train_members)
    mixin = model_selection._BatchedSearchMixin
    mixin._train_stacks = timed("train_stacks", mixin._train_stacks)
    engine_train._keep_best = timed("selection", engine_train._keep_best)
    for _ in range(3):
        SECONDS.clear()
        search = model_selection.BatchedGridSearchCV(estimator, grid(16), cv=cv, n_jobs=1,
                                                     scoring="balanced_accuracy")
        start = time.perf_counter()
        search.fit(X, y)
        total = time.perf_counter() - start
        print({"search_s": round(total, 2), **{k: round(v, 2) for k, v in SECONDS.items()},
               "refit_s": round(search.refit_time_, 2)})


if __name__ == "__main__":
    main()
