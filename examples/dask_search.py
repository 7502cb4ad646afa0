"""Distributed grid search over (beta, gamma) with Dask's scheduler through joblib.

Locally this starts a LocalCluster of worker processes on loopback; on a real cluster,
start ``dask scheduler`` and ``dask worker tcp://scheduler:8786`` on the machines and pass
``--scheduler tcp://scheduler:8786``. One worker per GPU (``--nthreads 1``) when training
on CUDA. The ``__main__`` guard is required: worker processes import this file.

    python examples/dask_search.py [--quick] [--scheduler tcp://host:8786]
"""

import argparse

import joblib
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def main(argv=None):
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scheduler", default=None, help="address of a running scheduler")
    args = parser.parse_args(argv)
    X, y = load_keel("yeast5", as_frame=False, return_X_y=True)
    grid = {"imbalancednetclassifier__beta": [0.9, 0.99, 0.999, 0.9999],
            "imbalancednetclassifier__gamma": [0.0, 0.5, 1.0, 2.0]}
    if args.quick:
        grid = {key: values[:2] for key, values in grid.items()}
    pipe = make_pipeline(StandardScaler(), ImbalancedNetClassifier(
        rebalance="cb_focal", max_epochs=3 if args.quick else 50, random_state=0))
    search = GridSearchCV(pipe, grid, scoring="balanced_accuracy", n_jobs=-1,
                          cv=StratifiedKFold(3, shuffle=True, random_state=0))
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                               host="127.0.0.1")
        client = Client(cluster)
    with client, joblib.parallel_backend("dask"):
        print(f"workers: {len(client.scheduler_info()['workers'])}")
        search.fit(X, y)
    if not args.scheduler:
        cluster.close()
    print(f"best balanced accuracy {search.best_score_:.3f} with {search.best_params_}")
    return search


if __name__ == "__main__":
    main()
