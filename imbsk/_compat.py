"""The only module that touches private API of scikit-learn, skorch or PyTorch.

An upgrade of a dependency that moves one of these names breaks this file alone
(imbalanced-learn does the same with its ``sklearn_compat``). A test greps the rest of
the package for private upstream imports.
"""

import inspect

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from sklearn.utils import _safe_indexing as safe_indexing
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_sample_weight as check_sample_weight

__all__ = [
    "Interval",
    "Options",
    "SkorchOverrides",
    "StrOptions",
    "check_sample_weight",
    "is_compiling",
    "safe_indexing",
    "skorch_partial_fit",
    "uncompiled",
    "validate_parameter_constraints",
]


#: Whether ``torch.compile`` is tracing the caller (public from torch 2.3; before, dynamo's).
is_compiling = getattr(torch.compiler, "is_compiling", None) or torch._dynamo.is_compiling


def uncompiled(module):
    """The module behind a ``torch.compile`` wrapper (skorch's ``compile=True``), or itself.

    Examples
    --------
    >>> from torch import nn
    >>> layer = nn.Linear(2, 2)
    >>> uncompiled(layer) is layer
    True
    """
    return getattr(module, "_orig_mod", module)


class SkorchOverrides:
    """Overrides of skorch's ``NeuralNet`` internals, kept here (and the loop's speed-ups).

    * ``_get_param_names`` (private): skorch lists every attribute without a trailing
      underscore as a parameter, private ones too; scikit-learn's ``get_params``/``clone``
      must not see imbsk's private attributes.
    * ``_set_training`` (private): skorch switches every module's mode before every
      batch; only a change is applied (``Module.train`` walks all sub-modules: measurable
      per batch on small tabular networks).
    * ``notify``: as skorch's, but the three per-batch notifications skip callbacks whose
      hook is ``Callback``'s inherited no-op, from a list made afresh every epoch (so a
      callback appended to ``callbacks_`` or a hook set on an instance counts from the next
      epoch on) and never pickled. Measured: skorch's notify was ~3% of a cb_focal epoch.

    Examples
    --------
    >>> from imbsk import ImbalancedNetClassifier
    >>> issubclass(ImbalancedNetClassifier, SkorchOverrides)
    True
    """

    def _get_param_names(self):
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def _set_training(self, training=True):
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    #: The per-batch notifications (three per batch), served from a list made per epoch.
    _BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")

    def notify(self, method_name, **cb_kwargs):
        getattr(self, method_name)(self, **cb_kwargs)
        if method_name not in self._BATCH_HOOKS:
            if method_name == "on_epoch_begin":  # callbacks may have changed since
                self.__dict__.pop("_batch_listeners", None)
            for _, callback in self.callbacks_:
                getattr(callback, method_name)(self, **cb_kwargs)
            return
        listeners = self.__dict__.get("_batch_listeners")
        if listeners is None:
            listeners = self.__dict__["_batch_listeners"] = {
                name: [cb for _, cb in self.callbacks_
                       if getattr(getattr(cb, name), "__func__", None)
                       is not getattr(Callback, name)]
                for name in self._BATCH_HOOKS}
        for callback in listeners[method_name]:
            getattr(callback, method_name)(self, **cb_kwargs)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_batch_listeners", None)  # a cache, never part of the model
        return state


#: skorch >= 1.4 threads the public method ("fit" / "partial_fit") through a private
#: argument so that metadata routing routes the right requests; older skorch has none.
_ROUTES_BY_METHOD = "_routing_method" in inspect.signature(NeuralNet.fit_loop).parameters


def skorch_partial_fit(net, X, y, routing, **fit_params):
    """skorch's ``NeuralNet.partial_fit`` on ``net``, routing metadata as ``routing``."""
    if _ROUTES_BY_METHOD:
        fit_params["_routing_method"] = routing
    return NeuralNet.partial_fit(net, X, y, **fit_params)
