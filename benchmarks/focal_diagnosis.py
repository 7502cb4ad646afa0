"""Why focal loss without alpha stops helping with more epochs (evidence for RESULTS.md).

Focal loss re-weights rows by (1 - p_t)^gamma: by how *hard* they are, not by their
class. Early in training the minority rows are the hard ones, so focal acts like a class
re-weighting; once the network has fitted the (few) minority training rows, their
factor falls to the majority's level and the implicit correction disappears. This script
measures, per epoch, the ratio of the mean focal factor of minority to majority training
rows, the training recall of the minority, and the test balanced accuracy, for
rebalance="focal" (gamma=2) vs. None and "cb_focal", on the KEEL sets with imbalance
ratio >= 8 (one stratified 80/20 split, seed 0).

    python benchmarks/focal_diagnosis.py
"""

import numpy as np
import pandas as pd
import torch
from skorch.callbacks import Callback
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split

from imbsk import ImbalancedNetClassifier
from imbsk.benchmark import _preprocessor
from imbsk.datasets import list_keel, load_keel

CHECKPOINTS = [10, 30, 100]


class FocalFactor(Callback):
    """Records mean (1 - p_t)^2 of minority / majority training rows after each epoch."""

    def __init__(self, X, codes):
        self.X, self.codes = X, codes

    def initialize(self):
        self.ratios_, self.train_recall_ = [], []
        return self

    def on_epoch_end(self, net, **kwargs):
        proba = net._predict_proba_unchecked(self.X)
        p_t = proba[np.arange(len(self.codes)), self.codes]
        factor = (1 - p_t) ** 2
        minority = np.argmin(np.bincount(self.codes))
        self.ratios_.append(factor[self.codes == minority].mean()
                            / max(factor[self.codes != minority].mean(), 1e-12))
        self.train_recall_.append(np.mean(proba.argmax(1)[self.codes == minority] == minority))


def main():
    torch.set_num_threads(1)
    rows = []
    for name in [d for d in list_keel() if load_keel(d).imbalance_ratio >= 8]:
        X, y = load_keel(name, return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y,
                                                  random_state=0)
        prep = _preprocessor(X).fit(X_tr)
        X_tr, X_te = (prep.transform(a).astype(np.float32) for a in (X_tr, X_te))
        codes = np.unique(y_tr, return_inverse=True)[1]
        for rebalance in [None, "focal", "cb_focal"]:
            for epochs in CHECKPOINTS:
                tracker = FocalFactor(X_tr, codes)
                clf = ImbalancedNetClassifier(rebalance=rebalance, max_epochs=epochs,
                                              callbacks=[tracker], random_state=0)
                predicted = clf.fit(X_tr, y_tr.to_numpy()).predict(X_te)
                rows.append({"dataset": name, "rebalance": str(rebalance), "epochs": epochs,
                             "minority/majority focal factor": tracker.ratios_[-1],
                             "train recall (minority)": tracker.train_recall_[-1],
                             "test recall (minority)": recall_score(
                                 y_te, predicted, pos_label="positive"),
                             "test balanced accuracy": balanced_accuracy_score(y_te,
                                                                               predicted)})
    table = pd.DataFrame(rows).groupby(["rebalance", "epochs"]).mean(numeric_only=True)
    print("Mean over the 9 KEEL datasets with imbalance ratio >= 8:\n")
    print(table.round(3).to_markdown())


if __name__ == "__main__":
    main()
