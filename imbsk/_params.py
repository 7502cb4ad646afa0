"""Parameters of the estimators: their constraints, ``rebalance__*`` and validation.

scikit-learn's declarative ``_parameter_constraints`` give uniform messages; the
strategy is resolved from ``rebalance`` (and ``beta``, ``gamma``, ``alpha``) by
:func:`imbsk.rebalance.check_rebalance` and checked against the estimator's head.
"""

import numbers

import numpy as np

from ._compat import Interval, Options, StrOptions, validate_parameter_constraints
from .devices import resolve_device
from .engine import MEMBER_SAMPLINGS
from .pretraining import PRETRAIN_METHODS

from .rebalance import check_rebalance

__all__ = ["AUTO_MEMBERS", "ParamsMixin"]

#: ``n_members="auto"``: this many cross-fitted members (chosen by nested validation,
#: benchmarks/RESULTS.md section 10), where the network can be stacked.
AUTO_MEMBERS = 5


class ParamsMixin:
    """Parameters, ``classes_`` and tags, shared by the two estimators.

    Examples
    --------
    >>> from imbsk import ImbalancedNetClassifier
    >>> ImbalancedNetClassifier(rebalance="cb_focal", beta=0.9)._check_params()
    ClassBalancedLoss(beta=0.9, gamma=2.0, weighting='effective_number')
    """

    _parameter_constraints = {
        "beta": [Interval(numbers.Real, 0.0, 1.0, closed="left")],
        "gamma": [Interval(numbers.Real, 0.0, None, closed="left")],
        "posthoc_tau": [Interval(numbers.Real, None, None, closed="neither")],
        "proba": [StrOptions({"balanced", "prior"})],
        "random_state": ["random_state"],
        "pseudo_threshold": [Interval(numbers.Real, 0.0, 1.0, closed="both")],
        "pseudo_cap": [StrOptions({"proportional", "balanced"}),
                       Interval(numbers.Integral, 0, None, closed="left"), None],
        "pretrain": [StrOptions(set(PRETRAIN_METHODS)), None],
        "pretrain_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"),
                       Options(numbers.Integral, {-1}), StrOptions({"auto"})],
        "n_members": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "member_sampling": [StrOptions(set(MEMBER_SAMPLINGS))],
        "preprocess": [StrOptions({"auto", "robust"}), None],
        "torch_threads": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None,
                                                         closed="left"), None],
        "max_epochs": [Interval(numbers.Integral, 0, None, closed="left"),
                       StrOptions({"auto"})],
    }

    # --- parameters ---------------------------------------------------------------------

    def _set_own_params(self, rebalance, beta, gamma, alpha, posthoc_tau, random_state,
                        unlabeled, pseudo_threshold, pseudo_cap, pretrain, pretrain_epochs,
                        n_members, member_sampling, preprocess, torch_threads, proba):
        # plain assignments, as scikit-learn's __init__ convention asks
        self.rebalance = rebalance
        self.beta = beta
        self.gamma = gamma
        self.alpha = alpha
        self.posthoc_tau = posthoc_tau
        self.random_state = random_state
        self.unlabeled = unlabeled
        self.pseudo_threshold = pseudo_threshold
        self.pseudo_cap = pseudo_cap
        self.pretrain = pretrain
        self.pretrain_epochs = pretrain_epochs
        self.n_members = n_members
        self.member_sampling = member_sampling
        self.preprocess = preprocess
        self.torch_threads = torch_threads
        self.proba = proba

    def set_params(self, **params):
        """Set parameters; ``rebalance__<name>`` goes to the strategy object."""
        nested = {k: params.pop(k) for k in list(params) if k.startswith("rebalance__")}
        if "rebalance" in params:
            self.rebalance = params.pop("rebalance")
        if nested:
            if not hasattr(self.rebalance, "set_params"):
                raise ValueError(
                    f"Cannot set {sorted(nested)}: rebalance={self.rebalance!r} is not a "
                    "strategy object. Pass e.g. rebalance=imbsk.rebalance.ClassBalancedLoss(...)"
                    " or use the top-level beta/gamma/alpha with a string alias."
                )
            self.rebalance.set_params(**{k[len("rebalance__"):]: v for k, v in nested.items()})
        return super().set_params(**params) if params else self

    def _check_params(self):
        """Validate the parameters; return the resolved strategy."""
        validate_parameter_constraints(
            self._parameter_constraints,
            {k: getattr(self, k) for k in self._parameter_constraints},
            caller_name=type(self).__name__,
        )
        resolve_device(self.device)
        if self.classes is not None and len(np.unique(self.classes)) != len(self.classes):
            raise ValueError(
                f"classes={list(self.classes)} has duplicate labels; pass each class once."
            )
        strategy = check_rebalance(self._rebalance(), self.beta, self.gamma, self.alpha)
        strategy.check_head(self._head, type(self).__name__)
        if self.n_members != "auto" and self.n_members > 1:
            self._check_members(strategy)
        strategy.check_net(self)
        if self.preprocess == "robust" and self.module is not None:
            raise ValueError(
                "preprocess='robust' scales the inputs inside the built-in MLP (its first "
                "layer); a module of your own has no such layer. Put a scaler before the "
                "estimator in a Pipeline (e.g. sklearn.preprocessing.RobustScaler), or pass "
                "preprocess='auto' (the default: scaling for the built-in MLP only) or None."
            )
        if self.pretrain is not None and self.module is not None:
            raise ValueError(
                f"pretrain={self.pretrain!r} pre-trains the feature layers of the built-in "
                "MLP; pass module=None (tune it with module__hidden_units, ...), or pre-train "
                "a module of your own yourself."
            )
        return strategy

    def _proba_head(self):
        """``proba``, validated: it is read at prediction, so it may be set after ``fit``."""
        validate_parameter_constraints(
            {"proba": self._parameter_constraints["proba"]}, {"proba": self.proba},
            caller_name=type(self).__name__)
        return self.proba

    def _rebalance(self):
        """``rebalance`` with ``"auto"`` resolved: logit adjustment, or None (plain
        cross-entropy, no re-balancing) with a ``criterion`` of your own."""
        if isinstance(self.rebalance, str) and self.rebalance == "auto":
            return None if self.criterion is not None else "logit_adjusted"
        return self.rebalance

    def _n_members(self, strategy=None):
        """``n_members`` as a number: ``"auto"`` is :data:`AUTO_MEMBERS` cross-fitted
        members where members can be stacked and train on folds of the data, else 1."""
        if self.n_members != "auto":
            return self.n_members
        strategy = strategy or getattr(self, "rebalance_", None) or check_rebalance(
            self._rebalance(), self.beta, self.gamma, self.alpha)
        plain = (self.module is None and self.criterion is None and self.pretrain is None
                 and self.unlabeled is None and strategy.stackable
                 and not self.get_params_for("module").get("batch_norm")
                 and self.member_sampling == "cross_fit" and not strategy.draws_rows)
        return AUTO_MEMBERS if plain else 1

    def _check_members(self, strategy):
        """``n_members > 1`` stacks K built-in MLPs: what that excludes, said clearly."""
        problem = (
            "module= (a network of your own)" if self.module is not None else
            "criterion= (a loss of your own)" if self.criterion is not None else
            f"pretrain={self.pretrain!r}" if self.pretrain is not None else
            f"unlabeled={self.unlabeled!r} (pseudo-labels)" if self.unlabeled is not None else
            f"rebalance={self.rebalance!r} ("
            + getattr(strategy, "unstackable_reason",
                      "it acts on the output layer or builds its own network") + ")"
            if not strategy.stackable else
            "module__batch_norm=True (its statistics would mix the members)"
            if self.get_params_for("module").get("batch_norm") else None)
        if problem is not None:
            raise ValueError(
                f"n_members={self.n_members} trains {self.n_members} built-in MLPs stacked as "
                f"one network, which does not work with {problem}. Use n_members=1, or "
                "drop that setting."
            )

    def _classes_or_none(self):
        if hasattr(self, "classes_inferred_"):
            return self.classes_inferred_
        if self.classes is not None and len(self.classes):
            return np.asarray(self.classes)
        return None

    @property
    def classes_(self):
        classes = self._classes_or_none()
        if classes is None:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet: it has no classes_. "
                "Call fit first."
            )
        return classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
