"""Train on the GPU when there is one (device="auto"), on the CPU otherwise.

``device="cuda"`` on a machine without CUDA is an error, never a silent fall-back;
``"auto"`` picks CUDA when available. Class weights, the difficulty state and (when they
fit) the training tensors live on the device.

    python examples/gpu.py [--quick]
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score

from imbsk import ImbalancedNetClassifier


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 5_000 if args.quick else 200_000
    X, y = make_classification(n, n_features=32, n_informative=16, weights=[0.95],
                               random_state=0)
    X = X.astype(np.float32)
    clf = ImbalancedNetClassifier(rebalance=["difficulty", "cb_focal"], device="auto",
                                  batch_size=1024, max_epochs=2 if args.quick else 10,
                                  random_state=0)
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    device = next(clf.module_.parameters()).device
    print(f"trained on {device} (torch.cuda.is_available()={torch.cuda.is_available()}) "
          f"in {seconds:.1f} s; class weights on {clf.criterion_.class_weight.device}; "
          f"balanced accuracy on the training data "
          f"{balanced_accuracy_score(y, clf.predict(X)):.3f}")
    return clf


if __name__ == "__main__":
    main()
