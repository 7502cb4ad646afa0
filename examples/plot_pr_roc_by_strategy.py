"""
Precision-recall and ROC curves by strategy
===========================================

How do the re-balancing strategies rank the rows of an imbalanced table? On the KEEL
table ``yeast3`` (1484 rows, 8 features, 163 positives: imbalance ratio 8.1) we train

* the default :class:`~imbsk.ImbalancedNetClassifier` (``rebalance="auto"``: five
  cross-fitted members with logit adjustment),
* one network with inverse-frequency class weights (``rebalance="inverse"``),
* one network with the class-balanced focal loss (``rebalance="cb_focal"``),

and, as a peer, scikit-learn's logistic regression with balanced class weights. Each is
fitted on the same stratified 70 % of the rows and scored on the other 30 %, with
scikit-learn's :class:`~sklearn.metrics.PrecisionRecallDisplay` and
:class:`~sklearn.metrics.RocCurveDisplay`.
"""

# %%
# The data and the models
# -----------------------
# ``load_keel`` returns a DataFrame and string labels (``"negative"``, ``"positive"``);
# imbsk's estimators take both as they are and scale the inputs themselves
# (``preprocess="auto"``).
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (PrecisionRecallDisplay, RocCurveDisplay,
                             balanced_accuracy_score)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel

X, y = load_keel("yeast3", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

models = {
    'default ("auto")': ImbalancedNetClassifier(random_state=0),
    '"inverse"': ImbalancedNetClassifier(
        rebalance="inverse", n_members=1, random_state=0),
    '"cb_focal"': ImbalancedNetClassifier(
        rebalance="cb_focal", n_members=1, random_state=0),
    "logistic regression, balanced": make_pipeline(
        StandardScaler(), LogisticRegression(class_weight="balanced")),
}
scores = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    positive = list(model.classes_).index("positive")
    scores[name] = model.predict_proba(X_test)[:, positive]
    bacc = balanced_accuracy_score(y_test, model.predict(X_test))
    print(f"{name:<32} test balanced accuracy {bacc:.3f}")

# %%
# The curves
# ----------
# The precision-recall curve is the more telling one under imbalance: its chance level is
# the positive rate (11 %), while a ROC curve can look good with many false positives.
fig, (ax_pr, ax_roc) = plt.subplots(1, 2, figsize=(11, 4.8),
                                   layout="constrained")
for i, (name, score) in enumerate(scores.items()):
    last = i == len(scores) - 1
    kwargs = dict(pos_label="positive", name=name, plot_chance_level=last)
    PrecisionRecallDisplay.from_predictions(y_test, score, ax=ax_pr, **kwargs)
    RocCurveDisplay.from_predictions(y_test, score, ax=ax_roc, **kwargs)
ax_pr.set_title("Precision-recall (yeast3, test rows)")
ax_roc.set_title("ROC (yeast3, test rows)")
for ax in (ax_pr, ax_roc):
    ax.legend(loc="lower left" if ax is ax_pr else "lower right", fontsize=8)
plt.show()

# %%
# The curves depend only on how each model *orders* the test rows; balanced accuracy
# above also depends on where the threshold lies. A class-level correction (class
# weights, logit adjustment) moves the decision towards the minority; for a tuned
# threshold see :class:`~sklearn.model_selection.TunedThresholdClassifierCV` and
# :doc:`/strategies`.
