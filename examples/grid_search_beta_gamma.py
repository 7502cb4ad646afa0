"""Tune the class-balanced focal loss (beta, gamma) with GridSearchCV.

    python examples/grid_search_beta_gamma.py [--quick]
"""

import argparse

from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    X, y = load_keel("yeast5", as_frame=False, return_X_y=True)
    grid = {"imbalancednetclassifier__beta": [0.9, 0.99, 0.999, 0.9999],
            "imbalancednetclassifier__gamma": [0.0, 0.5, 1.0, 2.0]}
    epochs, folds = (3, 2) if args.quick else (50, 5)
    if args.quick:
        grid = {key: values[:2] for key, values in grid.items()}
    pipe = make_pipeline(StandardScaler(), ImbalancedNetClassifier(
        rebalance="cb_focal", max_epochs=epochs, random_state=0))
    search = GridSearchCV(pipe, grid, scoring="balanced_accuracy", n_jobs=2,
                          cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    search.fit(X, y)
    print(f"best balanced accuracy {search.best_score_:.3f} with {search.best_params_}")
    return search


if __name__ == "__main__":
    main()
