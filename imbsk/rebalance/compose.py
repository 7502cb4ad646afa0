"""Composition of strategies: e.g. difficulty sampling together with a focal loss."""

from .base import RebalanceStrategy

__all__ = ["Compose"]


class Compose(RebalanceStrategy):
    """Several strategies at once: at most one may give a loss, at most one a sampler.

    Parameters
    ----------
    strategies : list of RebalanceStrategy

    Examples
    --------
    >>> from imbsk.rebalance import ClassBalancedLoss, DifficultySampling
    >>> both = Compose([DifficultySampling(), ClassBalancedLoss(gamma=2.0)])
    >>> both.make_criterion([90, 10], head="multiclass").gamma
    2.0
    """

    def __init__(self, strategies):
        self.strategies = strategies

    def validate(self):
        if not isinstance(self.strategies, (list, tuple)) or not self.strategies:
            raise ValueError("Compose needs a non-empty list of strategies.")
        for strategy in self.strategies:
            if not isinstance(strategy, RebalanceStrategy):
                raise TypeError(
                    f"Compose takes imbsk.rebalance strategies, got {type(strategy).__name__}."
                )
            strategy.validate()

    def _single(self, method, *args):
        results = [getattr(s, method)(*args) for s in self.strategies]
        given = [(s, r) for s, r in zip(self.strategies, results) if r is not None]
        if len(given) > 1:
            names = ", ".join(type(s).__name__ for s, _ in given)
            raise ValueError(
                f"Only one composed strategy may define {method.removeprefix('make_')}; "
                f"got several: {names}."
            )
        return given[0][1] if given else None

    def make_criterion(self, class_counts, head):
        return self._single("make_criterion", class_counts, head)

    def make_sampler(self, y_train):
        return self._single("make_sampler", y_train)

    def output_bias(self, class_counts, head):
        return self._single("output_bias", class_counts, head)

    def drawn_class_prior(self, class_counts, sampler):
        return self._single("drawn_class_prior", class_counts, sampler)

    def make_train_dataset(self, dataset_train, device):
        return self._single("make_train_dataset", dataset_train, device)

    def make_module(self, params, head):
        return self._single("make_module", params, head)

    def check_net(self, net):
        for strategy in self.strategies:
            strategy.check_net(net)

    def check_head(self, head, estimator_name):
        for strategy in self.strategies:
            strategy.check_head(head, estimator_name)

    @property
    def stackable(self):
        return all(s.stackable for s in self.strategies)

    @property
    def linear_shortcut(self):
        return all(s.linear_shortcut for s in self.strategies)

    @property
    def draws_rows(self):
        return any(s.draws_rows for s in self.strategies)

    def make_callbacks(self):
        return [pair for s in self.strategies for pair in s.make_callbacks()]
