"""Tune post-hoc logit adjustment (``posthoc_tau``) on validation folds, then test once.

Menon et al. (ICLR 2021): predict with ``logits - tau * log(prior)``. tau = 1 is the
Bayes-consistent choice for balanced error; in practice it is tuned. The search below only
ever sees the long-tailed *training* split: GridSearchCV scores every tau on its
validation folds (balanced accuracy), refits with the best one, and the balanced test
split is scored once at the end.

    python examples/posthoc_tau.py [--quick]
"""

import argparse

from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import make_long_tailed_digits


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    data = make_long_tailed_digits(imbalance_ratio=10, random_state=0)
    epochs, folds = (3, 2) if args.quick else (100, 3)
    taus = [0.0, 1.0] if args.quick else [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
    pipe = make_pipeline(StandardScaler(), ImbalancedNetClassifier(
        max_epochs=epochs, train_split=None, random_state=0))
    search = GridSearchCV(pipe, {"imbalancednetclassifier__posthoc_tau": taus},
                          scoring="balanced_accuracy", n_jobs=2,
                          cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    search.fit(data.X_train, data.y_train)  # the test split is not touched here
    for tau, score in zip(taus, search.cv_results_["mean_test_score"]):
        print(f"tau={tau:<5} validation balanced accuracy {score:.3f}")
    best = search.best_params_["imbalancednetclassifier__posthoc_tau"]
    test = balanced_accuracy_score(data.y_test, search.predict(data.X_test))
    untuned = search.best_estimator_.set_params(imbalancednetclassifier__posthoc_tau=0.0)
    plain = balanced_accuracy_score(data.y_test, untuned.predict(data.X_test))
    print(f"chosen tau={best}: test balanced accuracy {test:.3f} (same network, tau=0: "
          f"{plain:.3f})")
    return search


if __name__ == "__main__":
    main()
