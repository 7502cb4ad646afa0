"""Re-balancing strategies and the one function that normalises ``rebalance=``.

:func:`check_rebalance` turns every accepted form of the ``rebalance`` parameter (None,
a string alias, a strategy object, or a list of those) into one strategy object
through the lookup table :data:`ALIASES`.
"""

from sklearn.base import clone

from .base import ClassBalancedLoss, LogitAdjustedLoss, RebalanceStrategy
from .bbn import BilateralBranchNetwork
from .compose import Compose
from .decoupling import ClassifierRetraining, TauNormalization
from .difficulty import DifficultySampling
from .hard_examples import HardExampleMining
from .margins import LDAMLoss
from .resampling import ImblearnResampling
from .sampling import ClassBalancedSampling

__all__ = [
    "ALIASES",
    "BilateralBranchNetwork",
    "ClassBalancedLoss",
    "ClassBalancedSampling",
    "ClassifierRetraining",
    "Compose",
    "DifficultySampling",
    "HardExampleMining",
    "ImblearnResampling",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "RebalanceStrategy",
    "TauNormalization",
    "check_rebalance",
]

#: String alias -> function of the estimator's top-level ``beta``, ``gamma``, ``alpha``.
ALIASES = {
    "none": lambda beta, gamma, alpha: ClassBalancedLoss(),
    "inverse": lambda beta, gamma, alpha: ClassBalancedLoss(weighting="inverse"),
    "sqrt_inverse": lambda beta, gamma, alpha: ClassBalancedLoss(weighting="sqrt_inverse"),
    "effective_number": lambda beta, gamma, alpha: ClassBalancedLoss(
        weighting="effective_number", beta=beta),
    "focal": lambda beta, gamma, alpha: ClassBalancedLoss(gamma=gamma, alpha=alpha),
    "cb_focal": lambda beta, gamma, alpha: ClassBalancedLoss(
        weighting="effective_number", beta=beta, gamma=gamma, alpha=alpha),
    "class_balanced_sampling": lambda beta, gamma, alpha: ClassBalancedSampling(power=0.0),
    "sqrt_sampling": lambda beta, gamma, alpha: ClassBalancedSampling(power=0.5),
    "difficulty": lambda beta, gamma, alpha: DifficultySampling(),
    "logit_adjusted": lambda beta, gamma, alpha: LogitAdjustedLoss(tau=1.0),
    "balanced_softmax": lambda beta, gamma, alpha: LogitAdjustedLoss(balanced_softmax=True),
    "ldam": lambda beta, gamma, alpha: LDAMLoss(drw_epoch=None),
    "ldam_drw": lambda beta, gamma, alpha: LDAMLoss(),
    "ohem": lambda beta, gamma, alpha: HardExampleMining(),
    "crt": lambda beta, gamma, alpha: ClassifierRetraining(),
    "tau_norm": lambda beta, gamma, alpha: TauNormalization(),
    "bbn": lambda beta, gamma, alpha: BilateralBranchNetwork(),
}


def _resolve_one(rebalance, beta, gamma, alpha):
    if rebalance is None:
        rebalance = "none"
    if isinstance(rebalance, str):
        try:
            return ALIASES[rebalance](beta, gamma, alpha)
        except KeyError:
            valid = ", ".join(["None"] + [repr(k) for k in ALIASES if k != "none"])
            raise ValueError(
                f"Unknown rebalance={rebalance!r}. Valid aliases are {valid}; you can also "
                "pass a strategy object from imbsk.rebalance or a list of them."
            ) from None
    if isinstance(rebalance, RebalanceStrategy):
        return clone(rebalance)
    if hasattr(rebalance, "fit_resample"):
        return ImblearnResampling(clone(rebalance))
    raise TypeError(
        f"rebalance must be None, a string alias, an imbsk.rebalance strategy, an "
        f"imbalanced-learn sampler or a list of those; got an object of type "
        f"{type(rebalance).__name__}."
    )


def check_rebalance(rebalance, beta=0.999, gamma=2.0, alpha=None):
    """Return a fresh, validated strategy for any accepted form of ``rebalance``.

    Parameters
    ----------
    rebalance : None, str, RebalanceStrategy, imblearn sampler or list of those
        None means plain cross-entropy. An imbalanced-learn sampler (anything with
        ``fit_resample``) becomes :class:`ImblearnResampling`. A list composes strategies,
        e.g. ``["difficulty", "focal"]`` (at most one loss and one sampler).
    beta, gamma, alpha
        Fed to the string aliases that use them; strategy objects keep their own.

    Returns
    -------
    strategy : RebalanceStrategy
        A clone: the caller's object is never modified.

    Examples
    --------
    >>> check_rebalance("cb_focal", beta=0.99, gamma=0.5)
    ClassBalancedLoss(beta=0.99, gamma=0.5, weighting='effective_number')
    """
    if isinstance(rebalance, (list, tuple)):
        strategy = Compose([_resolve_one(r, beta, gamma, alpha) for r in rebalance])
    else:
        strategy = _resolve_one(rebalance, beta, gamma, alpha)
    strategy.validate()
    return strategy
