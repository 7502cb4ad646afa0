"""What an estimator does with K stacked members, and the protocol a search talks to it by.

The estimators mix in :class:`MembersMixin`: skorch's training step sees a batch of K
members' rows ``(B, K, F)``, each member's loss on its own rows (:func:`member_loss_sum`),
and a single network is a stack of one. A search that trains candidates x folds in one
stack (:mod:`imbsk.model_selection`) uses only the documented member protocol:

* :meth:`MembersMixin.stacking_key` -- what members of one stack must share (None: this
  estimator cannot be a stacked member);
* :meth:`MembersMixin.members_per_fit`, :meth:`MembersMixin.training_epochs` and
  :meth:`MembersMixin.training_batch_size` -- how many networks a fit trains, for how many
  epochs and in batches of how many rows, on a given number of rows;
* :meth:`MembersMixin.plan_members` -- set up a fit of these parameters on these rows
  without training it, and describe its members (rows, initial weights, random stream,
  loss) as :class:`~imbsk.engine.train.MemberSpec` s; :meth:`MembersMixin.
  plan_members_like` -- the same for another loss, from a planned fit (no second fit);
* :meth:`MembersMixin.make_optimizer` and :attr:`MembersMixin.probability_link` -- the
  optimizer and link the stack is trained and averaged with;
* :meth:`MembersMixin.adopt_members` -- take trained weights, their losses and kept
  epochs as this (planned) fit's result.
"""

import copy
import dataclasses

import joblib
import numpy as np
import torch
from skorch.dataset import ValidSplit
from skorch.utils import to_device

from .._compat import uncompiled
from .._validation import encode_labels, validate_features
from ..data import BatchIterator, TabularDataset, _base_and_rows
from ..modules import shortcut_param_groups
from .loss import StackedLoss, is_row_separable, member_loss_sum
from .members import member_seeds, stacked_mlp
from .sampling import MemberBatchIterator, MemberStreams
from .selection import MemberSelection
from .train import ELEMENTWISE_OPTIMIZERS, MemberSpec

__all__ = ["FUSED_OPTIMIZERS", "LOSS_PARAMETERS", "MembersMixin", "STACKED_PARAMETERS"]

#: Optimizers that get ``fused=True`` unless ``optimizer__fused`` (or ``foreach``) is set:
#: the same update in one kernel (a step of the default network 0.06 ms instead of 0.18).
FUSED_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW)

#: Parameters that may differ between the members of one stack (a loss-level strategy's
#: knobs, the seed, and prediction-only settings).
STACKED_PARAMETERS = ("beta", "gamma", "alpha", "posthoc_tau", "threshold", "random_state",
                      "rebalance")

#: Parameters that change a strategy's loss and nothing else of a fit
#: (:meth:`MembersMixin.plan_members_like`).
LOSS_PARAMETERS = ("beta", "gamma", "alpha")


class MembersMixin:
    """K members in one module, inside skorch's loop; the member protocol."""

    # --- inside a fit ----------------------------------------------------------------

    def _stacked_members(self):
        """Members in the network being trained: read from it (cheap, per batch), never
        re-resolved from ``n_members="auto"``."""
        return getattr(uncompiled(self.module_), "n_members", 1)

    def _members_callbacks(self, strategy):
        """The member callback, placed before the log (none for a single network)."""
        if self._n_members(strategy) <= 1:
            return []
        if self.member_sampling == "cross_fit":
            return [("cross_fit", MemberSelection())]
        from ..scoring import MemberScores  # noqa: PLC0415 (import cycle)
        return [("valid_bacc_members", MemberScores())]

    def _stacked_module(self, params, n_members):
        """K members, member k initialised as an MLP under its own seed (and its stream)."""
        self.module_, self.member_rng_states_ = stacked_mlp(
            params, member_seeds(self.random_state, n_members), self._member_link())

    def _member_batches(self, dataset, batch_size, sampler):
        return MemberBatchIterator(dataset, len(dataset) if batch_size == -1 else batch_size,
                                   self.member_rows_, MemberStreams(self.member_rng_states_),
                                   sampler)

    def _member_link(self):
        """The probability link the members' mean is taken in (the loss's form)."""
        if self._head == "binary":
            return "binary"
        loss = self.rebalance_.make_criterion(np.ones(len(self.classes_)), self._head)
        return "sigmoid" if getattr(loss, "form", "softmax") == "sigmoid" else "softmax"

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if training and self._stacked_members() > 1:
            # member outputs (B, K, ...): the sum of the members' losses, each on its own
            # rows, so each member's gradient is its own loss's (OHEM's hardest rows and a
            # weighted mean's divisor per member)
            return member_loss_sum(
                lambda z, t: self._one_loss(z, t, X, training), y_pred, y_true,
                separable=is_row_separable(uncompiled(self.criterion_)))
        return self._one_loss(y_pred, y_true, X, training)

    def _loss_target(self, y_true, y_pred):
        return y_true

    def _one_loss(self, y_pred, y_true, X, training):
        if isinstance(y_true, (tuple, list)):  # (class indices, sample weights)
            y_true, sample_weight = (to_device(t, self.device) for t in y_true)
            return self.criterion_(y_pred, y_true, sample_weight=sample_weight)
        y_true = self._loss_target(to_device(y_true, self.device), y_pred)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        members = self._stacked_members()
        if members > 1:  # the history's train_loss: the members' mean
            step["loss"] = step["loss"] / members
        return step

    # --- the member protocol ---------------------------------------------------------

    @property
    def probability_link(self):
        """The link the members' probabilities are averaged in (``"softmax"``,
        ``"sigmoid"`` or ``"binary"``; :data:`imbsk.decision.LINKS`)."""
        return self._link()

    def make_optimizer(self, module):
        """This estimator's optimizer, set up as ``fit`` sets it up, for ``module``.

        ``optimizer``, ``lr``, ``optimizer__*`` (skorch's ``param_groups`` too) and the
        built-in MLP's shortcut group, for the parameters of another module (the stack
        of a batched search).
        """
        args, kwargs = self.get_params_for_optimizer(
            "optimizer", module.named_parameters(), module=module)
        return self.optimizer(*args, **kwargs)

    def get_params_for_optimizer(self, prefix, named_parameters, module=None):
        # skorch's (lr, optimizer__*, param_groups), and the built-in MLP's linear shortcut
        # in a group of its own rate (module__shortcut_lr); module: whose parameters these
        # are (default: module_)
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        module = getattr(self, "module_", None) if module is None else module
        if prefix == "optimizer" and module is not None:
            args = (shortcut_param_groups(args[0], uncompiled(module)), *args[1:])
        if prefix == "optimizer" and self.optimizer in FUSED_OPTIMIZERS and not any(
                k in kwargs for k in ("fused", "foreach", "differentiable", "capturable")):
            kwargs["fused"] = True  # one kernel per step, not one per tensor and operation
        return args, kwargs

    def stacking_key(self):
        """What the members of one stack must share, or None if this estimator cannot be one.

        Stackable: the built-in MLP (its members, ``n_members``, with any
        ``member_sampling``; a ``train_split`` that is a ``ValidSplit`` or None) with a
        loss-level strategy (class weights, focal, logit adjustment, LDAM without DRW),
        the default data path, no callbacks of the user's and an element-wise optimizer.
        Estimators whose keys are equal differ only in :data:`STACKED_PARAMETERS`.

        Returns
        -------
        key : hashable or None
        """
        p = self.get_params(deep=False)
        if (p["module"] is not None or p["pretrain"] is not None
                or p["unlabeled"] is not None or p["criterion"] is not None
                or p["callbacks"] not in (None, []) or p["warm_start"] or p.get("compile")
                or p["dataset"] is not TabularDataset or p["iterator_train"] is not BatchIterator
                or p["optimizer"] not in ELEMENTWISE_OPTIMIZERS
                or self.get_params_for("module").get("batch_norm")
                or (p["train_split"] is not None and not isinstance(p["train_split"],
                                                                    ValidSplit))
                or any(k.startswith(("iterator_train__", "dataset__", "criterion__",
                                     "callbacks__")) for k in p)):
            return None
        try:
            strategy = self._check_params()
            loss = strategy.make_criterion(np.ones(2), self._head)
            if (loss is None or not StackedLoss.supports(loss) or strategy.make_callbacks()
                    or strategy.draws_rows or not strategy.stackable):
                return None
        except (ValueError, TypeError):
            return None  # an ordinary fit reports the problem
        shared = sorted((k, v) for k, v in p.items() if k not in STACKED_PARAMETERS)
        try:  # a content hash: clones of one value (a ValidSplit, say) give the same key
            key = joblib.hash(shared)
        except Exception:  # noqa: BLE001 (an unpicklable value: its repr)
            key = repr(shared)
        return key, loss.form, loss.reduction

    def members_per_fit(self):
        """The networks a fit of this estimator trains (``n_members`` resolved)."""
        return self._n_members()

    def training_epochs(self, n_rows):
        """The epochs a fit on ``n_rows`` rows trains (``max_epochs="auto"`` resolved)."""
        from .._training import epochs_for  # noqa: PLC0415 (import cycle)
        return epochs_for(self, n_rows)

    def training_batch_size(self, n_rows):
        """The batch size a fit on ``n_rows`` rows trains with (``batch_size="auto"``
        resolved)."""
        from .._training import batch_size_for  # noqa: PLC0415 (import cycle)
        return batch_size_for(self, n_rows)

    def plan_members(self, X, y):
        """Set up a fit on ``(X, y)`` without training it; the members it would train.

        The estimator is fitted for zero epochs (classes, counts, scaling, loss, initial
        weights, each member's rows and random stream): :meth:`adopt_members` later
        installs trained weights in it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        members : list of MemberSpec
            One per member (``n_members_``): its training rows (positions in X; the
            internal validation rows left out), the rows it is validated on to keep its
            best epoch (a cross-fitted member's fold; None without selection), initial
            network, random stream and loss.
        codes : ndarray of int
            The class index of each row of y.
        """
        self.fit(X, y, epochs=0)
        codes = encode_labels(y, self.classes_, "the classes of the fit")
        from .._training import cross_fits, split_with_hints  # noqa: PLC0415
        dataset_train, dataset_valid = split_with_hints(
            self, self.get_dataset(validate_features(self, X), codes), codes, False)
        positions = _base_and_rows(dataset_train)[1]
        positions = np.arange(len(codes)) if positions is None else positions.numpy()
        module, criterion = uncompiled(self.module_), uncompiled(self.criterion_)
        if self._stacked_members() == 1:
            return [MemberSpec(positions, module, self.member_rng_states_[0], criterion)], codes
        if cross_fits(self):
            valid = [positions[fold] for fold in self.member_valid_rows_]
        elif self.member_sampling == "cross_fit" and dataset_valid is not None:
            held_out = _base_and_rows(dataset_valid)[1].numpy()
            valid = [held_out] * len(self.member_rows_)
        else:
            valid = [None] * len(self.member_rows_)
        visits = min(len(rows) for rows in self.member_rows_)
        return [MemberSpec(positions[rows], module, self.member_rng_states_[k], criterion,
                           valid_rows=valid[k], epoch_rows=visits, member=k)
                for k, rows in enumerate(self.member_rows_)], codes

    def plan_members_like(self, planned, members):
        """Set up a fit as ``planned`` was set up, for this estimator's loss; or None.

        ``planned`` is an estimator of the same parameters but :data:`LOSS_PARAMETERS`
        after :meth:`plan_members` on the same rows, and ``members`` what that returned.
        Seeds, folds, rows, streams, scaling and initial weights are the same; the loss
        (its class counts, beta, gamma, alpha) and the class weights are this estimator's.
        None when the loss would start the network differently (another output bias):
        call :meth:`plan_members` then.

        Returns
        -------
        estimator : an estimator set up for zero epochs, as :meth:`plan_members` leaves it
            (``self`` is left as it is)
        members : list of MemberSpec
        """
        from .._training import loss_class_weights  # noqa: PLC0415 (import cycle)
        strategy = self._check_params()
        counts = np.maximum(planned.class_counts_, 1)
        before = planned.rebalance_.output_bias(counts, planned._head)
        after = strategy.output_bias(counts, self._head)
        if (before is None) != (after is None) or (
                before is not None and not np.array_equal(before, after)):
            return None
        twin = object.__new__(type(planned))
        twin.__dict__.update(planned.__dict__)
        for name in LOSS_PARAMETERS:
            twin.__dict__[name] = getattr(self, name)
        twin.rebalance_ = strategy
        twin.module_ = copy.deepcopy(planned.module_)
        twin.history_ = copy.deepcopy(planned.history_)
        twin.callbacks_ = copy.deepcopy(planned.callbacks_)
        twin.initialize_criterion()  # the strategy's loss for the planned class counts
        twin.criterion_ = to_device(twin.criterion_, twin.device)
        twin.class_weight_ = loss_class_weights(twin.criterion_, len(counts))
        twin.initialize_optimizer()
        module, criterion = uncompiled(twin.module_), uncompiled(twin.criterion_)
        return twin, [dataclasses.replace(m, module=module, criterion=criterion)
                      for m in members]

    def adopt_members(self, module, train_losses, valid_losses=None, best_epochs=None):
        """Install trained members (after :meth:`plan_members`) and their history.

        Parameters
        ----------
        module : MLP or StackedMLP
            The trained members, of the planned network's kind and size.
        train_losses : ndarray of shape (n_epochs,) or (n_epochs, n_members)
            Each member's mean training loss per epoch (``history``'s ``train_loss`` is
            the members' mean).
        valid_losses : ndarray of shape (n_epochs, n_members) or None
            Each member's validation loss per epoch (``valid_loss_members``).
        best_epochs : array-like of int or None
            The epoch each member kept (``member_best_epochs_``).
        """
        uncompiled(self.module_).load_state_dict(module.state_dict())
        train_losses = np.asarray(train_losses, dtype=np.float64).reshape(
            len(train_losses), -1)
        for epoch, losses in enumerate(train_losses, start=1):
            self.history.new_epoch()
            self.history.record("epoch", epoch)
            self.history.record("train_loss", float(losses.mean()))
            if valid_losses is not None and np.isfinite(valid_losses[epoch - 1]).all():
                members = [float(v) for v in valid_losses[epoch - 1]]
                self.history.record("valid_loss_members", members)
                self.history.record("valid_loss", float(np.mean(members)))
        if best_epochs is not None and valid_losses is not None \
                and np.isfinite(valid_losses).all():
            self.member_best_epochs_ = [int(e) for e in best_epochs]
        return self
