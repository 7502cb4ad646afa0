"""
Validation curves of the cross-fitted members
=============================================

The default :class:`~imbsk.ImbalancedNetClassifier` trains five members at once
(``n_members="auto"``, ``member_sampling="cross_fit"``): the rows are cut into five
stratified folds, member *k* trains on the other four and is scored on fold *k* after
every epoch. Each member keeps the weights of its own best epoch
(``member_best_epochs_``), and the history records, per epoch, every member's validation
loss (``valid_loss_members``) and their mean (``valid_loss``), with the out-of-fold
balanced accuracy (``valid_bacc``). Here they are on the KEEL table ``yeast3``.
"""

# %%
# Fit with the defaults
# ---------------------
import matplotlib.pyplot as plt
import numpy as np

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel

X, y = load_keel("yeast3", return_X_y=True)
clf = ImbalancedNetClassifier(random_state=0).fit(X, y)
print("epochs:", len(clf.history))
print("best epoch of each member:", clf.member_best_epochs_)

# %%
# The curves
# ----------
# One row of ``valid_loss_members`` per epoch, one column per member. A dot marks the
# epoch whose weights the member kept: the members stop improving at different epochs,
# and each ends with the weights of its own best one.
epochs = np.array(clf.history[:, "epoch"])
members = np.array(clf.history[:, "valid_loss_members"])  # (n_epochs, n_members)
fig, (ax_loss, ax_bacc) = plt.subplots(1, 2, figsize=(11, 4.2),
                                       layout="constrained")
for k in range(members.shape[1]):
    (line,) = ax_loss.plot(epochs, members[:, k], lw=1, alpha=0.8,
                           label=f"member {k}")
    best = clf.member_best_epochs_[k]
    ax_loss.plot(best, members[best - 1, k], "o", color=line.get_color())
ax_loss.plot(epochs, clf.history[:, "valid_loss"], color="black", lw=2,
             label="valid_loss (mean)")
ax_loss.plot(epochs, clf.history[:, "train_loss"], color="grey", ls="--", lw=1,
             label="train_loss")
ax_loss.set(xlabel="epoch", ylabel="loss",
            title="Validation loss of each member (on its fold)")
ax_loss.legend(fontsize=8)
ax_bacc.plot(epochs, clf.history[:, "valid_bacc"], color="black")
ax_bacc.set(xlabel="epoch", ylabel="balanced accuracy",
            title="Out-of-fold balanced accuracy")
plt.show()
