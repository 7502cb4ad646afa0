"""Each member keeps its best epoch: selection on the validation data skorch's loop sees.

With cross-fitted members the validation data are the out-of-fold rows
(:class:`~imbsk.engine.members.OutOfFoldDataset`): member k is judged on the rows it held
out, from the predictions skorch's validation loop already made (no second pass). With
a validation split of the user's (``train_split=ValidSplit(0.1)``, ``predefined_split``)
every member is judged on all of its rows.
"""

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.utils import to_device

from .._compat import uncompiled

__all__ = ["MemberSelection"]


def _cat_targets(targets):
    """Batch targets (tensors, or (indices, weights) tuples) joined into one."""
    if isinstance(targets[0], (tuple, list)):
        return tuple(torch.cat([t[i] for t in targets]) for i in range(len(targets[0])))
    return torch.cat(targets)


def _rows(target, index):
    return tuple(t[index] for t in target) if isinstance(target, tuple) else target[index]


class MemberSelection(Callback):
    """With ``member_sampling="cross_fit"``: each member ends at its best epoch.

    At the end of every epoch each member's validation loss (its loss, in evaluation
    mode) is computed; when it improves, the member's weights are kept, and training ends
    with every member at its best epoch. Records ``valid_loss_members`` (one value per
    member) and ``valid_loss_sd`` (their standard deviation); ``valid_loss``,
    ``valid_bacc`` and the other scores come from skorch's own callbacks, on the same
    validation data. Sets ``member_best_epochs_``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from imbsk import ImbalancedNetClassifier
    >>> X, y = make_classification(200, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(n_members=3, max_epochs=4, random_state=0).fit(X, y)
    >>> len(net.history[-1, "valid_loss_members"]), len(net.member_best_epochs_)
    (3, 3)
    """

    def on_train_begin(self, net, **kwargs):
        # the weights are kept from the first epoch on (not here: a LoadInitState callback
        # may load others after this hook; a call without epochs keeps what it has)
        n_members = uncompiled(net.module_).n_members
        self.best_ = np.full(n_members, np.inf)
        self.best_epochs_ = np.zeros(n_members, dtype=int)
        self.state_ = None

    def on_epoch_begin(self, net, **kwargs):
        self._out_of_fold = []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        X, y = batch
        if not training and isinstance(X, dict) and "member" in X:
            self._out_of_fold.append((y_pred.detach(), X["member"], y))

    def _member_losses(self, net, dataset_valid):
        if self._out_of_fold:  # member k on the rows it held out
            logits = torch.cat([z for z, _, _ in self._out_of_fold])
            member = torch.cat([m for _, m, _ in self._out_of_fold]).to(logits.device)
            target = _cat_targets([y for _, _, y in self._out_of_fold])
            on_target = member.to((target[0] if isinstance(target, tuple) else target).device)
            return [self._loss(net, logits[member == k], _rows(target, on_target == k))
                    for k in range(len(self.best_))]
        module = uncompiled(net.module_)  # a split of the user's: every member on every row
        was_training = module.training
        module.eval()
        chunks, targets = [], []
        try:
            with torch.no_grad():
                for X, y in net.get_iterator(dataset_valid, training=False):
                    chunks.append(module.member_logits(to_device(X, net.device)))
                    targets.append(y)
        finally:
            module.train(was_training)
        logits, target = torch.cat(chunks, dim=1), _cat_targets(targets)
        return [self._loss(net, member, target) for member in logits]

    @staticmethod
    def _loss(net, logits, target):
        with torch.no_grad():
            return float(net.get_loss(logits, target, training=False))

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        losses = self._member_losses(net, dataset_valid)
        self._out_of_fold = []
        module = uncompiled(net.module_)
        if self.state_ is None:
            self.state_ = {name: p.detach().clone() for name, p in module.named_parameters()}
        for k, loss in enumerate(losses):
            if loss < self.best_[k]:
                self.best_[k], self.best_epochs_[k] = loss, len(net.history)
                for name, p in module.named_parameters():
                    self.state_[name][k].copy_(p.detach()[k])
        net.history.record("valid_loss_members", losses)
        net.history.record("valid_loss_sd", float(np.std(losses)))  # the members' spread

    def on_train_end(self, net, **kwargs):
        if self.state_ is None:  # no epoch in this call, or no validation data
            return
        with torch.no_grad():
            for name, p in uncompiled(net.module_).named_parameters():
                p.copy_(self.state_[name])
        net.member_best_epochs_ = self.best_epochs_.tolist()
