"""Fit time of n_members=8 vs one member (issue "Train many models as one").

KEEL yeast3 (1,484 x 8), StandardScaler, ImbalancedNetClassifier(rebalance="cb_focal",
max_epochs=20), the default internal validation split; fits alternate (1, 8, 1, 8, ...) in
one process after a warm-up; the ratio is the median of the per-pair ratios.

    python benchmarks/members_cost.py --pairs 7
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def fit_seconds(n_members, sampling, X, y, seed):
    clf = ImbalancedNetClassifier(rebalance="cb_focal", max_epochs=20, random_state=seed,
                                  n_members=n_members, member_sampling=sampling,
                                  preprocess=None, module__dropout=0.1)
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--members", type=int, default=8)
    args = parser.parse_args()
    X, y = load_keel("yeast3", return_X_y=True)
    X = StandardScaler().fit_transform(X)
    fit_seconds(args.members, "shuffle", X[:300], y[:300], 0)  # warm-up
    print(json.dumps({"torch_threads": torch.get_num_threads()}))
    for sampling in ("shuffle", "balanced_bootstrap"):
        ratios, ones, many = [], [], []
        for pair in range(args.pairs):
            one = fit_seconds(1, sampling, X, y, pair)
            k = fit_seconds(args.members, sampling, X, y, pair)
            ones.append(one)
            many.append(k)
            ratios.append(k / one)
        print(json.dumps({"member_sampling": sampling, "n_members": args.members,
                          "median_one_s": round(float(np.median(ones)), 3),
                          "median_many_s": round(float(np.median(many)), 3),
                          "median_ratio": round(float(np.median(ratios)), 2),
                          "ratios": [round(r, 2) for r in ratios]}))


if __name__ == "__main__":
    main()
