"""The only module that touches private API of scikit-learn, skorch or PyTorch.

An upgrade of a dependency that moves one of these names breaks this file alone
(imbalanced-learn does the same with its ``sklearn_compat``). A test greps the rest of
the package for private upstream imports.
"""

import inspect

import torch
from skorch import NeuralNet
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
    "safe_indexing",
    "skorch_partial_fit",
    "uncompiled",
    "validate_parameter_constraints",
]


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
    """Overrides of two private methods of skorch's ``NeuralNet``, kept here.

    * ``_get_param_names``: skorch lists every attribute without a trailing underscore
      as a parameter, private ones too; scikit-learn's ``get_params``/``clone`` must not
      see imbsk's private attributes.
    * ``_set_training``: skorch switches every module's mode before every batch; only a
      change is applied (``Module.train`` walks all sub-modules: measurable per batch on
      small tabular networks).

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


#: skorch >= 1.4 threads the public method ("fit" / "partial_fit") through a private
#: argument so that metadata routing routes the right requests; older skorch has none.
_ROUTES_BY_METHOD = "_routing_method" in inspect.signature(NeuralNet.fit_loop).parameters


def skorch_partial_fit(net, X, y, routing, **fit_params):
    """skorch's ``NeuralNet.partial_fit`` on ``net``, routing metadata as ``routing``."""
    if _ROUTES_BY_METHOD:
        fit_params["_routing_method"] = routing
    return NeuralNet.partial_fit(net, X, y, **fit_params)
