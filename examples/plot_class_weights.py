r"""
Class weights: how far β moves them
===================================

``rebalance="effective_number"`` (and ``"cb_focal"``) weight class :math:`c` by one over
its effective number of samples (Cui et al., CVPR 2019),

.. math::

   w_c \propto \frac{1 - \beta}{1 - \beta^{n_c}},

normalised so that the weights sum to the number of classes. :math:`\beta = 0` gives
uniform weights and :math:`\beta \to 1` inverse frequency (``"inverse"``); in between,
the correction depends on the class sizes, not only on their ratio. Below: the ratio of
the minority weight to the majority weight for three KEEL tables shipped with imbsk, as
β grows. No network is trained, only the weight functions are called.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from imbsk.datasets import load_keel
from imbsk.rebalance.weights import (effective_number_weights,
                                     inverse_frequency_weights)

betas = 1 - np.logspace(-5, -0.5, 60)  # from 0.99999 down to 0.68
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for name in ["yeast3", "yeast5", "abalone19"]:
    _, y = load_keel(name, return_X_y=True)
    counts = np.unique(y, return_counts=True)[1]
    minority, majority = np.argmin(counts), np.argmax(counts)
    ratio = [w[minority] / w[majority]
             for w in (effective_number_weights(counts, b) for b in betas)]
    inverse = inverse_frequency_weights(counts)
    label = f"{name}: {counts.min()} minority rows of {counts.sum()}"
    (line,) = ax.plot(1 - betas, ratio, label=label)
    ax.axhline(inverse[minority] / inverse[majority], color=line.get_color(),
               ls=":", lw=1)
searched = [0.9, 0.99, 0.999, 0.9999]  # the values Cui et al. search
for beta in searched:
    ax.axvline(1 - beta, color="grey", lw=0.5)
    ax.text(1 - beta, 1.01, f"β = {beta}", transform=ax.get_xaxis_transform(),
            ha="center", va="bottom", fontsize=8, color="grey")
ax.set(xscale="log", yscale="log", xlabel="1 − β", ylim=(0.9, None),
       ylabel="minority weight / majority weight")
ax.set_title('"effective_number" weights (dotted: "inverse")', pad=16)
ax.invert_xaxis()
ax.legend(loc="center left", fontsize=8)
plt.show()

# %%
# The effective number :math:`E_n = (1 - \beta^n) / (1 - \beta)` is close to :math:`n`
# while :math:`n \ll 1 / (1 - \beta)` and saturates at :math:`1 / (1 - \beta)` beyond:
# at the default β = 0.999 the 1321 majority rows of yeast3 count as about 733, so the
# weights follow inverse frequency only part of the way (on abalone19 a ratio of 31
# instead of 129). That is why β is worth a search
# (:class:`~imbsk.model_selection.BatchedGridSearchCV` trains such a grid as one network).
