"""SMOTE in an imbalanced-learn pipeline, and SMOTE inside fit (no validation leak).

In ``make_pipeline(..., SMOTE(), net)`` SMOTE runs before the network's internal
validation split, so synthetic rows land in the validation data that early stopping
watches. ``rebalance=SMOTE()`` applies it inside ``fit``, to the training split only.

    python examples/pipeline_smote.py [--quick]
"""

import argparse

import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from skorch.callbacks import EarlyStopping
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    epochs, folds = (5, 2) if args.quick else (200, 5)
    X, y = load_keel("abalone9-18", return_X_y=True)
    prep = ColumnTransformer([("sex", OneHotEncoder(), ["Sex"]),
                              ("numeric", StandardScaler(), list(X.columns[1:]))])

    def net(**params):
        stop = EarlyStopping(monitor="valid_bacc", lower_is_better=False, patience=10)
        return ImbalancedNetClassifier(max_epochs=epochs, callbacks=[stop], random_state=0,
                                       **params)

    candidates = {
        "SMOTE in the pipeline (leaks into validation)": make_pipeline(prep, SMOTE(), net()),
        "SMOTE inside fit (training split only)": make_pipeline(prep, net(rebalance=SMOTE())),
    }
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    rows = {name: cross_val_score(model, X, y, cv=cv, scoring="balanced_accuracy")
            for name, model in candidates.items()}
    table = pd.DataFrame({name: {"mean": s.mean(), "std": s.std()} for name, s in rows.items()})
    print(table.T.round(3).to_markdown())
    return table


if __name__ == "__main__":
    main()
