"""The default network: a tabular multi-layer perceptron that outputs logits."""

from torch import nn

__all__ = ["MLP", "output_layer"]


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
    dropout : float in [0, 1), default=0.1
        Dropout after each hidden activation.
    activation : nn.Module class, default=nn.ReLU
    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer.

    Attributes
    ----------
    hidden : nn.Sequential
        The feature layers (the representation).
    output : nn.Linear
        The classifier layer, whose bias re-balancing strategies may initialise.

    Examples
    --------
    >>> import torch
    >>> net = MLP(n_features=3, n_outputs=2, hidden_units=(8,))
    >>> tuple(net(torch.zeros(5, 3)).shape)
    (5, 2)
    """

    def __init__(self, n_features, n_outputs, hidden_units=(64, 64), dropout=0.1,
                 activation=nn.ReLU, batch_norm=False):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"module__dropout must be in [0, 1), got {dropout!r}.")
        layers = []
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
        self.output = nn.Linear(width, n_outputs)

    def forward(self, X):
        logits = self.output(self.hidden(X))
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits
