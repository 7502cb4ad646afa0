"""Decoupled representation and classifier (Kang et al., ICLR 2020): cRT and τ-norm.

Both train the whole network instance-balanced (plain cross-entropy, uniform shuffling)
and then re-balance only the classifier, the last ``nn.Linear`` of the module
(:func:`output_layer`; ``.output`` of the built-in MLP):

* cRT (:class:`ClassifierRetraining`): for the last ``crt_epochs`` epochs, the classifier is
  re-initialised and retrained alone, with class-balanced sampling, the feature layers
  frozen (no gradient, dropout and batch-norm in evaluation mode);
* τ-norm (:class:`TauNormalization`): after training, each class's weight vector is divided
  by its norm to the power τ (:func:`tau_normalize`), and the bias is dropped (Kang et al.
  score with ``w̃_c · f``).
"""

import numbers
import warnings

import numpy as np
import torch
from .._compat import Interval
from skorch.callbacks import Callback
from torch.utils.data import Sampler

from ..data import weighted_draw
from ..modules import output_layer
from .base import RebalanceStrategy
from .sampling import class_power_sample_weights

__all__ = [
    "ClassifierRetraining",
    "TauNormalization",
    "output_layer",
    "tau_normalize",
]


def tau_normalize(weight, tau):
    r""":math:`w_c / \lVert w_c \rVert^{\tau}` for every row :math:`w_c` of ``weight``.

    Parameters
    ----------
    weight : Tensor of shape (n_classes, n_features)
    tau : float >= 0
        0 leaves the weights as they are; 1 gives unit-norm rows.

    Returns
    -------
    weight : Tensor of shape (n_classes, n_features)

    Examples
    --------
    >>> tau_normalize(torch.tensor([[3.0, 4.0], [0.0, 1.0]]), 1.0).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 1.0]]
    """
    norms = weight.norm(dim=1, keepdim=True).clamp_min(torch.finfo(weight.dtype).tiny)
    return weight / norms.pow(tau)


class _TwoStageSampler(Sampler):
    """A fresh permutation each epoch (stage 1), class-balanced draws once switched (stage 2).

    The training iterator is built once per ``fit``, so the stage is a switch on the
    sampler it holds rather than a new sampler. Draws use the global torch generator,
    which the estimator seeds from ``random_state``.
    """

    def __init__(self, y_train):
        self.class_balanced_weights = torch.as_tensor(class_power_sample_weights(y_train, 0.0))
        self.class_balanced = False

    def __len__(self):
        return len(self.class_balanced_weights)

    def __iter__(self):
        n = len(self)
        if self.class_balanced:
            order = weighted_draw(self.class_balanced_weights, n)
        else:
            order = torch.randperm(n)
        return iter(order.tolist())


class _FeaturesInEval:
    """Forward pre-hook: the feature layers in evaluation mode (dropout, batch norm off).

    An object rather than a closure, so that a net in stage 2 still pickles (skorch's
    ``Checkpoint(f_pickle=...)``).
    """

    def __init__(self, layers):
        self.layers = layers

    def __call__(self, module, args):
        if module.training:
            for layer in self.layers:
                layer.train(False)


class _ClassifierRetrainer(Callback):
    """Runs the cRT stage in the last ``crt_epochs`` epochs of each ``fit``/``partial_fit``."""

    def __init__(self, crt_epochs, crt_lr):
        self.crt_epochs = crt_epochs
        self.crt_lr = crt_lr

    def initialize(self):
        self.epoch_ = 0
        self.retrained_ = False
        self.hook_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.epoch_ = 0
        if self.retrained_:
            # partial_fit after a re-training stage: stage 1 gets the usual optimizer back
            net.initialize_optimizer()
        self.retrained_ = False
        self.release(net)

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_ += 1
        if self.epoch_ == net.max_epochs - self.crt_epochs + 1:
            self._start_retraining(net)

    def on_epoch_end(self, net, **kwargs):
        net.history.record("stage", 2 if self.retrained_ else 1)

    def on_train_end(self, net, **kwargs):
        self.release(net)
        if not self.retrained_:
            warnings.warn(
                f"Training stopped after {self.epoch_} epoch(s), before the classifier "
                f"re-training stage (the last crt_epochs={self.crt_epochs} of max_epochs="
                f"{net.max_epochs}); the model is the instance-balanced one.", UserWarning)

    def _start_retraining(self, net):
        classifier = output_layer(net.module_)
        features = [m for m in net.module_.modules()
                    if not list(m.children()) and m is not classifier]
        for param in net.module_.parameters():
            param.requires_grad_(False)
        classifier.reset_parameters()
        classifier.requires_grad_(True)
        net.initialize_optimizer()
        lr = 10.0 * net.lr if self.crt_lr is None else self.crt_lr
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
        self.hook_ = net.module_.register_forward_pre_hook(_FeaturesInEval(features))
        net.train_sampler_.class_balanced = True
        self.retrained_ = True

    def release(self, net):
        """Undo stage 2's freezing and hook (after training, or when training failed)."""
        if self.hook_ is not None:
            self.hook_.remove()
            self.hook_ = None
        if hasattr(net, "module_"):
            for param in net.module_.parameters():
                param.requires_grad_(True)
            net.module_.train(net.module_.training)  # feature layers back in the module's mode


class ClassifierRetraining(RebalanceStrategy):
    """cRT: retrain only the classifier with class-balanced sampling (``rebalance="crt"``).

    The first ``max_epochs - crt_epochs`` epochs train the whole network with plain
    cross-entropy and uniform shuffling. At the start of the last ``crt_epochs`` epochs
    the last ``nn.Linear`` layer is re-initialised, every other parameter is frozen
    (dropout and batch-norm layers switch to evaluation mode), the optimizer is re-created
    (learning rate ``crt_lr``), and the rows are drawn class-balanced. The history column
    ``stage`` is 1 or 2.

    Parameters
    ----------
    crt_epochs : int >= 1, default=10
        Epochs of the re-training stage, counted within ``max_epochs``.
    crt_lr : float > 0 or None, default=None
        Learning rate of the re-training stage; None is ten times the estimator's ``lr``.
        The classifier starts again from random weights and a small tabular training set
        gives it few steps per epoch: on long-tailed digits (imbalance ratio 10, about 500
        rows, batch 128) ten epochs at ``lr=1e-3`` left the class-balanced training loss at
        0.94 (under-fitted), at ``1e-2`` at 0.004.

    Notes
    -----
    Early stopping before the last ``crt_epochs`` epochs skips the re-training (a
    warning says so). Works with any module whose classifier is its last ``nn.Linear``.

    Examples
    --------
    >>> ClassifierRetraining(crt_epochs=5).make_callbacks()[0][0]
    'crt'
    """

    draws_rows = True  # its own sampler / rows: members cannot keep to folds

    stackable = False  # acts on the output layer / builds its own network

    linear_shortcut = False  # re-trains the output layer alone

    _parameter_constraints = {
        "crt_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "crt_lr": [Interval(numbers.Real, 0.0, None, closed="neither"), None],
    }

    def __init__(self, crt_epochs=10, crt_lr=None):
        self.crt_epochs = crt_epochs
        self.crt_lr = crt_lr

    def check_net(self, net):
        if net.max_epochs != "auto" and self.crt_epochs >= net.max_epochs:
            raise ValueError(
                f"crt_epochs={self.crt_epochs} must be smaller than max_epochs="
                f"{net.max_epochs}: the re-training stage is the last crt_epochs of "
                "max_epochs, after an instance-balanced stage of at least one epoch."
            )

    def make_sampler(self, y_train):
        return _TwoStageSampler(y_train)

    def drawn_class_prior(self, class_counts, sampler):
        # the classifier (the layer that carries the prior) is re-trained on class-balanced
        # draws; a loaded model has no sampler and is taken to have reached that stage
        if sampler is not None and not sampler.class_balanced:
            return None
        return np.ones(len(class_counts)) / len(class_counts)

    def make_callbacks(self):
        return [("crt", _ClassifierRetrainer(self.crt_epochs, self.crt_lr))]


class _TauNormalizer(Callback):
    """Normalises the classifier after training; restores the trained one before more."""

    def __init__(self, tau_norm):
        self.tau_norm = tau_norm

    def initialize(self):
        self.trained_weight_ = None
        self.trained_bias_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        # partial_fit / warm_start continue from the trained, not the normalised, classifier
        if self.trained_weight_ is not None:
            classifier = output_layer(net.module_)
            with torch.no_grad():
                classifier.weight.copy_(self.trained_weight_)
                if classifier.bias is not None:
                    classifier.bias.copy_(self.trained_bias_)

    def on_train_end(self, net, **kwargs):
        classifier = output_layer(net.module_)
        if classifier.out_features < 2:
            raise ValueError(
                "τ-normalisation needs one weight vector per class; use "
                "ImbalancedNetClassifier (softmax over C logits)."
            )
        with torch.no_grad():
            self.trained_weight_ = classifier.weight.detach().clone()
            self.trained_bias_ = (None if classifier.bias is None
                                  else classifier.bias.detach().clone())
            classifier.weight.copy_(tau_normalize(self.trained_weight_, self.tau_norm))
            if classifier.bias is not None:
                classifier.bias.zero_()
        norms = classifier.weight.detach().norm(dim=1).cpu().numpy()
        net.classifier_norms_ = norms.astype(np.float64)


class TauNormalization(RebalanceStrategy):
    """τ-norm: rescale the classifier's class vectors after training (``rebalance="tau_norm"``).

    Training is instance-balanced (plain cross-entropy); at the end, each row of the last
    ``nn.Linear`` layer becomes ``w_c / ||w_c||**tau_norm`` and its bias is set to zero
    (Kang et al. score with ``w̃_c · f``). Rare classes' vectors, which training leaves
    shorter, are no longer out-voted. The trained classifier is kept, so ``partial_fit``
    continues from it and normalises again at the end. ``classifier_norms_`` holds the
    row norms after normalisation.

    Parameters
    ----------
    tau_norm : float >= 0, default=1.0
        0 keeps the trained weights (and drops the bias); 1 makes every row unit-norm.
        Kang et al. choose τ on validation data: search ``rebalance__tau_norm``.

    Notes
    -----
    Needs one logit per class: use :class:`~imbsk.ImbalancedNetClassifier`.

    Examples
    --------
    >>> TauNormalization(tau_norm=0.5).make_callbacks()[0][0]
    'tau_norm'
    """

    stackable = False  # acts on the output layer / builds its own network

    linear_shortcut = False  # normalises the output layer's weights alone

    _parameter_constraints = {
        "tau_norm": [Interval(numbers.Real, 0.0, None, closed="left")],
    }

    def __init__(self, tau_norm=1.0):
        self.tau_norm = tau_norm

    heads = ("multiclass",)

    def make_callbacks(self):
        return [("tau_norm", _TauNormalizer(self.tau_norm))]
