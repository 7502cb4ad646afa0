"""The two-stage aliases ("bbn", "tau_norm") with the default budget and with 100 epochs.

As ``benchmarks/choosing.py`` (one network, the twelve raw KEEL tables, 5-fold stratified
CV, seed 0), for the aliases whose second stage or schedule is counted in epochs. Mean
balanced accuracy over the tables (``epochs`` 0: ``max_epochs="auto"``).

    python benchmarks/choosing_two_stage.py
"""

import pandas as pd
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold, cross_val_score

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import list_keel, load_keel

from choosing import raw_features


def score(dataset, alias, epochs):
    X, y = load_keel(dataset, return_X_y=True)
    budget = {} if epochs is None else {"max_epochs": epochs}
    estimator = ImbalancedNetClassifier(n_members=1, random_state=0, rebalance=alias, **budget)
    scores = cross_val_score(estimator, raw_features(X), y.to_numpy(),
                             scoring="balanced_accuracy",
                             cv=StratifiedKFold(5, shuffle=True, random_state=0))
    return dataset, alias, epochs or 0, scores.mean()


def main():
    out = Parallel(n_jobs=2)(delayed(score)(d, a, e) for d in list_keel()
                             for a in ("bbn", "tau_norm") for e in (None, 100))
    frame = pd.DataFrame(out, columns=["dataset", "alias", "epochs", "bacc"])
    print(frame.groupby(["alias", "epochs"]).bacc.mean().round(3))


if __name__ == "__main__":
    main()
