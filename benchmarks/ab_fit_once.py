import sys, json, numpy as np, torch
from sklearn.datasets import make_classification
from imbsk import ImbalancedNetClassifier
rebalance = None if sys.argv[1] == "none" else sys.argv[1]
X, y = make_classification(50_000, n_features=32, n_informative=16, weights=[0.9], random_state=0)
X = X.astype(np.float32)
clf = ImbalancedNetClassifier(rebalance=rebalance, module__hidden_units=(128, 128), module__dropout=0.0,
                              lr=1e-3, batch_size=256, max_epochs=10, train_split=None, random_state=0)
clf.fit(X, y)
durs = list(clf.history[:, "dur"])
print(json.dumps({"mean_epoch": float(np.mean(durs[1:])), "min_epoch": float(np.min(durs))}))
