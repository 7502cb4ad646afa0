"""The default network: a tabular multi-layer perceptron that outputs logits.

Its first layer, :class:`FeatureScaling`, is the estimators' input preprocessing (robust
scaling with smooth clipping, fitted on the training rows): part of the network, so
``predict``, ``save_params`` and pickling carry it.
"""

import math

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

__all__ = ["MLP", "FeatureScaling", "feature_scaling", "output_layer", "robust_scaling_params",
           "shortcut_param_groups", "smooth_clip", "wide_and_deep_logits", "zero_linear"]

#: Rows used to fit the scaling statistics (a random subset of larger inputs).
SCALING_ROWS = 100_000


#: How :func:`robust_scaling_params` scales (chosen by nested validation, RESULTS.md §10):
#: ``"iqr"`` is RealMLP's ``(x - median) / IQR``; ``"normal"`` divides by ``IQR / 1.349``
#: (the IQR of a standard normal: a normal column gets unit variance) and maps a column
#: with two values to {0, 1}.
SCALING_VARIANT = "normal"


def robust_scaling_params(X, variant=None):
    """Per-column centre and scale for robust scaling, from the median and the IQR.

    RealMLP's preprocessing (Holzmüller et al., NeurIPS 2024) is ``(x - median) / IQR``; a
    column whose IQR is 0 uses half its range instead, and a constant column gets scale 1
    (it becomes 0). ``variant="normal"`` divides by ``IQR / 1.349`` instead (unit variance
    for a normal column) and maps a column with exactly two values (a one-hot or flag
    column) to {0, 1}: centring a rare category on 0 and dividing by its half range made it
    as loud as a continuous outlier.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variant : {"normal", "iqr"} or None, default=None
        None: :data:`SCALING_VARIANT`.

    Returns
    -------
    center, scale : ndarray of shape (n_features,), float64

    Examples
    --------
    >>> X = np.array([[0, 5, 1], [1, 5, 1], [2, 5, 1], [3, 5, 1], [100, 5, 3]])
    >>> center, scale = robust_scaling_params(X, "iqr")  # constant: 1; IQR 0: half range
    >>> center.tolist(), scale.tolist()
    ([2.0, 5.0, 1.0], [2.0, 1.0, 1.0])
    >>> center, scale = robust_scaling_params(X, "normal")  # two values: to {0, 1}
    >>> center.tolist(), [round(float(v), 3) for v in scale]
    ([2.0, 5.0, 1.0], [1.483, 1.0, 2.0])
    """
    variant = SCALING_VARIANT if variant is None else variant
    columns = _columns(X)
    q25, center, q75 = (np.array(v) for v in zip(*(np.quantile(c, [0.25, 0.5, 0.75])
                                                    for c in columns())))
    low = np.array([c.min() for c in columns()])
    high = np.array([c.max() for c in columns()])
    scale = q75 - q25
    scale = np.where(scale > 0, scale, 0.5 * (high - low))
    if variant == "normal":
        scale = scale / 1.349
        two_values = np.array([np.all((c == low[j]) | (c == high[j])) and low[j] < high[j]
                               for j, c in enumerate(columns())])
        center = np.where(two_values, low, center)
        scale = np.where(two_values, high - low, scale)
    elif variant != "iqr":
        raise ValueError(f"Unknown scaling variant {variant!r}; use 'normal' or 'iqr'.")
    return center, np.where(scale > 0, scale, 1.0)


def _columns(X):
    """A function that yields X's columns as float64 arrays, one at a time.

    A sparse X is read column by column from its CSC form (its zeros added back for that
    column alone): never densified whole.
    """
    if sp.issparse(X):
        X = sp.csc_matrix(X)

        def sparse_columns():
            for j in range(X.shape[1]):
                values = X.data[X.indptr[j]:X.indptr[j + 1]].astype(np.float64)
                yield np.r_[values, np.zeros(X.shape[0] - len(values))]
        return sparse_columns
    X = np.asarray(X, dtype=np.float64)
    return lambda: iter(X.T)


def smooth_clip(z, bound=3.0):
    """``z / sqrt(1 + (z / bound)**2)``: the identity near 0, tending to ``±bound``.

    Examples
    --------
    >>> [round(v, 3) for v in smooth_clip(torch.tensor([0.1, 3.0, 1e6])).tolist()]
    [0.1, 2.121, 3.0]
    """
    return z * torch.rsqrt(1.0 + (z / bound).square())


class FeatureScaling(nn.Module):
    """``smooth_clip((x - center) / scale, bound)``; the identity until fitted.

    The statistics are buffers (saved with the network's parameters, moved with it to a
    device) set by :func:`feature_scaling`; an unfitted layer has center 0, scale 1 and
    an infinite bound, and returns its input exactly.

    Parameters
    ----------
    n_features : int

    Examples
    --------
    >>> layer = FeatureScaling(2)
    >>> layer(torch.tensor([[3.0, -1.0]])).tolist()
    [[3.0, -1.0]]
    """

    def __init__(self, n_features):
        super().__init__()
        self.register_buffer("center", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
        self.register_buffer("bound", torch.tensor(math.inf))

    def fit(self, X, bound=3.0):
        """Set the statistics from the rows ``X`` (:func:`robust_scaling_params`)."""
        center, scale = robust_scaling_params(X)
        with torch.no_grad():
            self.center.copy_(torch.as_tensor(center, dtype=self.center.dtype))
            self.scale.copy_(torch.as_tensor(scale, dtype=self.scale.dtype))
            self.bound.fill_(bound)
        return self

    def forward(self, X):
        z = (X - self.center) / self.scale
        return z * torch.rsqrt(1.0 + (z / self.bound).square())


def feature_scaling(module):
    """The network's input :class:`FeatureScaling` layer, or None if it has none.

    Examples
    --------
    >>> feature_scaling(MLP(3, 2)).center.shape
    torch.Size([3])
    >>> feature_scaling(nn.Linear(3, 2)) is None
    True
    """
    return next((m for m in module.modules() if hasattr(m, "fit") and
                 isinstance(getattr(m, "center", None), torch.Tensor)), None)


def output_layer(module):
    """The classifier of ``module``: its last ``nn.Linear`` sub-module.

    Used wherever a strategy acts on the output layer (prior bias, cRT, τ-norm).

    Raises
    ------
    ValueError
        If the module has no ``nn.Linear`` layer.

    Examples
    --------
    >>> output_layer(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))).out_features
    3
    """
    layers = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError(
            f"This strategy acts on the last nn.Linear layer of the module (its classifier), "
            f"and {type(module).__name__} has none. Use the built-in MLP (module=None) or a "
            "module whose classifier is an nn.Linear."
        )
    return layers[-1]


class MLP(nn.Module):
    """Multi-layer perceptron for tabular data; returns logits.

    The estimators build it when ``module=None``, inferring ``n_features`` and
    ``n_outputs`` from the training data; tune it with ``module__hidden_units``,
    ``module__dropout``, ``module__activation`` and ``module__batch_norm``.

    Parameters
    ----------
    n_features : int
        Input size.
    n_outputs : int
        Number of logits (C for the softmax classifier, 1 for the binary one; a single
        output is returned with shape ``(N,)``).
    hidden_units : tuple of int, default=(64, 64)
        Width of each hidden layer; ``()`` gives a linear model.
    dropout : float in [0, 1), default=0.3
        Dropout after each hidden activation.
    activation : nn.Module class, default=nn.ReLU
    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer.
    linear_shortcut : bool, default=True
        Add a linear model of the scaled inputs to the logits ("wide and deep", Cheng et
        al. 2016): :attr:`shortcut`, initialised to zero. On small tables whose minority
        is nearly linear (where a balanced logistic regression wins) the MLP alone overfits
        before it finds that direction; chosen by nested validation (RESULTS.md §10e).
    shortcut_lr : float or None, default=0.1
        Learning rate of the shortcut's parameters (their own optimizer parameter group,
        :func:`shortcut_param_groups`): a linear model of unit-scale inputs needs steps
        a hundred times those of the hidden layers to converge in the default budget.
        None: the estimator's ``lr``. An ``optimizer__param_groups`` entry that matches
        ``shortcut.*`` takes precedence. As in skorch, ``set_params(lr=...)`` on a fitted
        estimator sets every group's rate, this one's too, for ``partial_fit``; the next
        ``fit`` builds the groups afresh.

    Attributes
    ----------
    hidden : nn.Sequential
        The feature layers (the representation), starting with the input
        :class:`FeatureScaling` (the identity until the estimator fits it).
    shortcut : nn.Linear or None
        The linear part of the logits (``linear_shortcut=True``), else None.
    output : nn.Linear
        The classifier layer, whose bias re-balancing strategies may initialise.

    Examples
    --------
    >>> import torch
    >>> net = MLP(n_features=3, n_outputs=2, hidden_units=(8,))
    >>> tuple(net(torch.zeros(5, 3)).shape)
    (5, 2)
    """

    def __init__(self, n_features, n_outputs, hidden_units=(64, 64), dropout=0.3,
                 activation=nn.ReLU, batch_norm=False, linear_shortcut=True, shortcut_lr=0.1):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"module__dropout must be in [0, 1), got {dropout!r}.")
        if shortcut_lr is not None and not shortcut_lr > 0:
            raise ValueError(f"module__shortcut_lr must be a positive float or None, got "
                             f"{shortcut_lr!r}.")
        layers = [FeatureScaling(n_features)]  # the identity unless the estimator fits it
        width = n_features
        for units in hidden_units:
            layers.append(nn.Linear(width, units))
            if batch_norm:
                layers.append(nn.BatchNorm1d(units))
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = units
        self.hidden = nn.Sequential(*layers)
        self.shortcut = zero_linear(n_features, n_outputs) if linear_shortcut else None
        self.shortcut_lr = shortcut_lr
        self.output = nn.Linear(width, n_outputs)  # registered last: see output_layer

    def forward(self, X):
        logits = wide_and_deep_logits(self, X)
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits


def wide_and_deep_logits(module, X):
    """``module.output(module.hidden(X))``, plus ``module.shortcut`` of the scaled inputs
    (the output of ``module.hidden[0]``) when the module has one: the MLP's logits.

    Examples
    --------
    >>> net = MLP(3, 2, (4,)).eval()  # no dropout
    >>> x = torch.randn(5, 3)
    >>> torch.equal(wide_and_deep_logits(net, x), net.output(net.hidden(x)))  # shortcut 0
    True
    """
    if module.shortcut is None:
        return module.output(module.hidden(X))
    layers = iter(module.hidden)  # not hidden[1:]: slicing builds a Sequential per call
    hidden = scaled = next(layers)(X)
    for layer in layers:
        hidden = layer(hidden)
    return module.output(hidden) + module.shortcut(scaled)


def shortcut_param_groups(param_groups, module):
    """Move the parameters of ``module.shortcut`` into a group of their own learning rate.

    Only from the default group (the one with no options of its own, last in skorch's
    list): a group the user configured keeps its parameters.

    Parameters
    ----------
    param_groups : list of dict
        Optimizer parameter groups (``{"params": [...], **options}``).
    module : nn.Module
        A network with ``shortcut`` and ``shortcut_lr`` attributes (the built-in MLP,
        stacked or not); any other module leaves the groups as they are.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> net = MLP(3, 2, (4,))
    >>> groups = shortcut_param_groups([{"params": list(net.parameters())}], net)
    >>> [(len(g["params"]), g.get("lr")) for g in groups]
    [(4, None), (2, 0.1)]
    """
    shortcut, lr = getattr(module, "shortcut", None), getattr(module, "shortcut_lr", None)
    if shortcut is None or lr is None:
        return param_groups
    own = {id(p) for p in shortcut.parameters()}
    groups, moved = [], []
    for group in param_groups:
        if set(group) == {"params"}:
            params = list(group["params"])
            moved += [p for p in params if id(p) in own]
            group = {"params": [p for p in params if id(p) not in own]}
        if group["params"]:
            groups.append(group)
    return groups + ([{"params": moved, "lr": lr}] if moved else [])


def zero_linear(in_features, out_features):
    """An ``nn.Linear`` whose weight and bias start at zero (adds nothing at first).

    Made without a random initialisation: the layers made after it draw the numbers
    they would draw without it.

    Examples
    --------
    >>> zero_linear(3, 2)(torch.ones(1, 3)).tolist()
    [[0.0, 0.0]]
    """
    layer = nn.utils.skip_init(nn.Linear, in_features, out_features)  # draws no numbers
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
    return layer
