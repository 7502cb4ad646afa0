"""K networks as one module: stacked linear layers, dropout, scaling and the MLP.

A small tabular MLP step costs far more in Python and kernel-launch overhead than in
arithmetic, so K members whose weights are stacked along a leading axis (``(K, out, in)``,
one ``torch.baddbmm`` per layer) and updated by one optimizer step cost little more than
one. A single network is a stack of one.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._compat import is_compiling
from ..modules import MLP, FeatureScaling, feature_scaling, wide_and_deep_logits
from .dropout import fast_dropout
from .fused import stacked_mlp_training_logits

__all__ = ["StackedDropout", "StackedFeatureScaling", "StackedLinear", "StackedMLP",
           "ensemble_logits"]


def ensemble_logits(member_logits, link):
    """Logits whose probabilities are the members' mean probabilities.

    Parameters
    ----------
    member_logits : Tensor of shape (K, N, C), or (K, N) for the binary head
    link : {"softmax", "sigmoid", "binary"}
        The estimator's probability link (:data:`imbsk.decision.LINKS`).

    Returns
    -------
    logits : Tensor of shape (N, C) or (N,)
        ``log(mean_k softmax(z_k))`` for softmax; ``logit(mean_k p_k)`` for the binary
        head and for the normalised one-vs-all sigmoid (whose normalisation then returns
        the mean). One member returns its logits unchanged.

    Examples
    --------
    >>> z = torch.tensor([[[2.0, 0.0]], [[0.0, 2.0]]])
    >>> torch.softmax(ensemble_logits(z, "softmax"), -1).tolist()
    [[0.5, 0.5]]
    """
    if member_logits.shape[0] == 1:
        return member_logits[0]
    k = member_logits.shape[0]
    # members are combined one by one (element-wise), never by a reduction over the
    # member axis, whose blocking would make a row's result depend on the batch size
    if link == "softmax":
        log_p = F.log_softmax(member_logits, dim=-1)
        total = log_p[0]
        for member in log_p[1:]:
            total = torch.logaddexp(total, member)
        return total - math.log(k)
    if link == "sigmoid":  # mean of the normalised one-vs-all probabilities
        sig = torch.sigmoid(member_logits)
        proba = sig / sig.sum(dim=-1, keepdim=True)
    elif link == "binary":
        proba = torch.sigmoid(member_logits)
    else:
        raise ValueError(f"Unknown link {link!r}; expected 'softmax', 'sigmoid' or 'binary'.")
    total = proba[0]
    for member in proba[1:]:
        total = total + member
    proba = total / k
    tiny = torch.finfo(proba.dtype).tiny
    return torch.log(proba.clamp_min(tiny)) - torch.log1p(-proba).clamp_min(math.log(tiny))


class StackedLinear(nn.Module):
    """K independent ``nn.Linear`` layers: weight ``(K, out, in)``, bias ``(K, out)``.

    Input ``(K, N, in)`` (member k's rows in slice k) or ``(N, in)`` (the same rows for
    every member); output ``(K, N, out)``.

    Examples
    --------
    >>> tuple(StackedLinear(3, 4, 2)(torch.zeros(5, 4)).shape)
    (3, 5, 2)
    """

    #: Evaluate in float64 (predictions independent of the batch's shape); a search's
    #: per-epoch selection of thousands of members may switch it off.
    exact_evaluation = True

    def __init__(self, n_members, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_members, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(n_members, out_features))
        self.in_features, self.out_features = in_features, out_features

    def forward(self, X):
        if not self.training and self.exact_evaluation:
            # evaluation in float64: a matrix product's rounding depends on the batch's
            # shape (a row alone takes another kernel), and K members' float32
            # differences would show in the averaged probabilities
            X = X.double()
            if X.dim() == 2:
                X = X.expand(self.weight.shape[0], *X.shape)
            return torch.baddbmm(self.bias.double().unsqueeze(1), X,
                                 self.weight.double().transpose(1, 2))
        if X.dim() == 2:
            X = X.expand(self.weight.shape[0], *X.shape)
        return torch.baddbmm(self.bias.unsqueeze(1), X, self.weight.transpose(1, 2))


class StackedDropout(nn.Dropout):
    """``nn.Dropout`` with the masks of :func:`~imbsk.engine.dropout.fast_dropout` (the
    drop rate ``p`` to within 1/512, the expected output equal to the input).

    Examples
    --------
    >>> StackedDropout(0.5).eval()(torch.ones(2)).tolist()
    [1.0, 1.0]
    """

    def forward(self, X):
        return fast_dropout(X, self.p, self.training)


class StackedFeatureScaling(nn.Module):
    """K :class:`~imbsk.modules.FeatureScaling` layers: statistics of shape ``(K, F)``.

    Input ``(K, N, F)`` or ``(N, F)`` (the same rows for every member); output
    ``(K, N, F)``, each member's rows scaled by its own statistics (members of a search
    are fitted on different folds).

    Examples
    --------
    >>> tuple(StackedFeatureScaling(3, 2)(torch.zeros(5, 2)).shape)
    (3, 5, 2)
    """

    def __init__(self, n_members, n_features):
        super().__init__()
        self.register_buffer("center", torch.zeros(n_members, 1, n_features))
        self.register_buffer("scale", torch.ones(n_members, 1, n_features))
        self.register_buffer("bound", torch.full((n_members, 1, 1), math.inf))

    def fit(self, X, bound=3.0):
        """Every member's statistics from the rows ``X`` (the members share them)."""
        layer = FeatureScaling(self.center.shape[-1]).fit(X, bound)
        with torch.no_grad():
            self.center.copy_(layer.center.expand_as(self.center))
            self.scale.copy_(layer.scale.expand_as(self.scale))
            self.bound.fill_(bound)
        return self

    def forward(self, X):
        z = (X - self.center) / self.scale
        return z * torch.rsqrt(1.0 + (z / self.bound).square())


class StackedMLP(nn.Module):
    """K copies of :class:`imbsk.modules.MLP` (independent weights) as one module.

    Built from K initialised MLPs (:meth:`from_members`) so that member k starts from
    exactly the weights an MLP made under member k's seed has. A 2-D input ``(N, F)`` gives
    the ensemble's logits (:func:`ensemble_logits` with :attr:`link`), which is what
    skorch's prediction and validation see; a 3-D input ``(N, K, F)`` (N rows for each of
    the K members, the batch axis first as in skorch's training loop) gives the members'
    logits ``(N, K, C)``; :meth:`member_logits` takes ``(K, N, F)``.

    Parameters
    ----------
    n_members : int
    n_features, n_outputs, hidden_units, dropout, activation
        As :class:`imbsk.modules.MLP` (no batch normalisation: its statistics would mix
        the members).
    link : {"softmax", "sigmoid", "binary"}, default="softmax"
    linear_shortcut, shortcut_lr
        As :class:`imbsk.modules.MLP`: each member's own linear shortcut.

    Examples
    --------
    >>> net = StackedMLP(3, n_features=4, n_outputs=2, hidden_units=(8,))
    >>> tuple(net(torch.zeros(5, 3, 4)).shape), tuple(net(torch.zeros(5, 4)).shape)
    ((5, 3, 2), (5, 2))
    """

    def __init__(self, n_members, n_features, n_outputs, hidden_units=(64, 64), dropout=0.3,
                 activation=nn.ReLU, link="softmax", linear_shortcut=True, shortcut_lr=0.1):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"module__dropout must be in [0, 1), got {dropout!r}.")
        layers, width = [StackedFeatureScaling(n_members, n_features)], n_features
        for units in hidden_units:
            layers += [StackedLinear(n_members, width, units), activation()]
            if dropout:
                layers.append(StackedDropout(dropout))
            width = units
        self.hidden = nn.Sequential(*layers)
        self.shortcut = (StackedLinear(n_members, n_features, n_outputs) if linear_shortcut
                         else None)
        self.shortcut_lr = shortcut_lr
        self.output = StackedLinear(n_members, width, n_outputs)
        self.n_members = n_members
        self.link = link

    @classmethod
    def from_members(cls, members, link="softmax"):
        """Stack initialised :class:`~imbsk.modules.MLP` s (same sizes) into one module."""
        first = members[0]
        if any(isinstance(m, nn.BatchNorm1d) for m in first.modules()):
            raise ValueError("n_members > 1 does not support module__batch_norm=True (its "
                             "statistics would mix the members); use batch_norm=False.")
        dropout = next((m.p for m in first.modules() if isinstance(m, nn.Dropout)), 0.0)
        activation = next((type(m) for m in first.hidden
                           if not isinstance(m, (nn.Linear, nn.Dropout, FeatureScaling))),
                          nn.ReLU)
        stacked = cls(len(members), first.hidden[0].center.shape[-1],
                      first.output.out_features,
                      _hidden_units(first), dropout, activation, link,
                      first.shortcut is not None, first.shortcut_lr)
        targets = _member_linears(stacked)
        scaling = stacked.hidden[0]
        with torch.no_grad():
            for k, member in enumerate(members):
                source = feature_scaling(member)
                scaling.center[k, 0].copy_(source.center)
                scaling.scale[k, 0].copy_(source.scale)
                scaling.bound[k].fill_(float(source.bound))
                for target, source in zip(targets, _member_linears(member), strict=True):
                    target.weight[k].copy_(source.weight)
                    target.bias[k].copy_(source.bias)
        return stacked

    def member(self, k):
        """Member ``k`` as a stand-alone :class:`~imbsk.modules.MLP` (a copy)."""
        linears = _member_linears(self)
        dropout = next((m.p for m in self.modules() if isinstance(m, nn.Dropout)), 0.0)
        activation = next((type(m) for m in self.hidden if not isinstance(
            m, (StackedLinear, nn.Dropout, StackedFeatureScaling))), nn.ReLU)
        mlp = MLP(self.hidden[0].center.shape[-1], self.output.out_features,
                  _hidden_units(self), dropout, activation,
                  linear_shortcut=self.shortcut is not None, shortcut_lr=self.shortcut_lr)
        with torch.no_grad():
            scaling, stacked_scaling = feature_scaling(mlp), self.hidden[0]
            scaling.center.copy_(stacked_scaling.center[k, 0])
            scaling.scale.copy_(stacked_scaling.scale[k, 0])
            scaling.bound.fill_(float(stacked_scaling.bound[k]))
            for target, source in zip(_member_linears(mlp), linears, strict=True):
                target.weight.copy_(source.weight[k])
                target.bias.copy_(source.bias[k])
        return mlp

    @classmethod
    def concatenate(cls, stacks):
        """One stack of the members of ``stacks`` (StackedMLPs of one architecture), in order.

        Examples
        --------
        >>> a, b = StackedMLP(2, 3, 2, (4,)), StackedMLP(1, 3, 2, (4,))
        >>> both = StackedMLP.concatenate([a, b])
        >>> both.n_members, bool(torch.equal(both.output.weight[2], b.output.weight[0]))
        (3, True)
        """
        return cls.gather([(s, k) for s in stacks for k in range(s.n_members)])

    @classmethod
    def gather(cls, parts):
        """One stack of the members ``parts``: ``(stack, position)`` pairs (StackedMLPs of
        one architecture), in order; each stack's weights are read once.

        Examples
        --------
        >>> a = StackedMLP(3, 3, 2, (4,))
        >>> part = StackedMLP.gather([(a, 2), (a, 0)])
        >>> part.n_members, bool(torch.equal(part.output.weight[0], a.output.weight[2]))
        (2, True)
        """
        states = {}
        for stack, _ in parts:
            if id(stack) not in states:
                states[id(stack)] = stack.state_dict()
        first = parts[0][0]
        whole = first.select(np.zeros(len(parts), dtype=np.int64))
        whole.load_state_dict({
            name: torch.cat([states[id(stack)][name][k:k + 1] for stack, k in parts])
            for name in states[id(first)]})
        return whole

    def select(self, members):
        """The members at positions ``members`` as a new stack (a copy of their weights).

        Examples
        --------
        >>> net = StackedMLP(4, n_features=3, n_outputs=2, hidden_units=(5,))
        >>> part = net.select([2, 0])
        >>> part.n_members, bool(torch.equal(part.output.weight[0], net.output.weight[2]))
        (2, True)
        """
        index = torch.as_tensor(np.asarray(members), dtype=torch.long)
        dropout = next((m.p for m in self.modules() if isinstance(m, nn.Dropout)), 0.0)
        activation = next((type(m) for m in self.hidden if not isinstance(
            m, (StackedLinear, nn.Dropout, StackedFeatureScaling))), nn.ReLU)
        part = type(self)(len(index), self.hidden[0].center.shape[-1],
                          self.output.out_features, _hidden_units(self), dropout, activation,
                          self.link, self.shortcut is not None, self.shortcut_lr)
        state = self.state_dict()
        part.load_state_dict({name: value[index.to(value.device)].clone()
                              for name, value in state.items()})
        return part.to(self.output.weight.device)

    def set_output_bias(self, bias):
        """Set every member's output bias to ``bias`` (the strategies' prior bias)."""
        with torch.no_grad():
            self.output.bias.copy_(torch.as_tensor(np.asarray(bias), dtype=torch.float32)
                                   .expand_as(self.output.bias))

    def member_logits(self, X):
        """Each member's logits ``(K, N, C)`` (``(K, N)`` with one output) for ``X`` of
        shape ``(K, N, F)`` (member k's rows in slice k) or ``(N, F)`` (shared rows)."""
        if self._fusable(X):
            dropout = next((m.p for m in self.hidden if isinstance(m, nn.Dropout)), 0.0)
            return self._fused_logits(X, dropout)
        logits = wide_and_deep_logits(self, X)
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits

    def selection_logits(self, X):
        """Each member's evaluation logits ``(K, N, C)`` in the weights' precision, with
        no gradient: a search's per-epoch selection of thousands of members.

        The layers' evaluation in float32 (``exact_evaluation`` off), each activation
        rectified in place (the fused node's forward without dropout) when the layers
        allow it, layer by layer otherwise.
        """
        with torch.no_grad():
            if not self._fusable_layers():
                layers = [m for m in self.modules() if isinstance(m, StackedLinear)]
                for layer in layers:
                    layer.exact_evaluation = False
                try:
                    return self.member_logits(X)
                finally:
                    for layer in layers:
                        del layer.exact_evaluation
            return self._fused_logits(X, dropout=0.0)

    def _fused_logits(self, X, dropout):
        scaled = self.hidden[0](X)
        if scaled.dim() == 2:
            scaled = scaled.expand(self.n_members, *scaled.shape)
        linears = _member_linears(self)
        logits = stacked_mlp_training_logits(
            scaled, [p for layer in linears for p in (layer.weight, layer.bias)],
            dropout, len(linears) - 1 - (self.shortcut is not None),
            self.shortcut is not None)
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits

    def _fusable(self, X):
        """Whether the training forward can be one autograd node
        (:mod:`~imbsk.engine.fused`): training with gradients, an input needing no
        gradient, and :meth:`_fusable_layers`."""
        return (self.training and torch.is_grad_enabled() and not X.requires_grad
                and self._fusable_layers())

    def _fusable_layers(self):
        """ReLU activations, float32/64 weights, no hooks, outside ``torch.compile``."""
        if is_compiling() or self.output.weight.dtype not in (torch.float32, torch.float64):
            return False
        layers = [self, self.hidden, *self.hidden, self.output]
        if self.shortcut is not None:
            layers.append(self.shortcut)
        for layer in layers:
            if layer._forward_hooks or layer._forward_pre_hooks:
                return False
            if isinstance(layer, nn.ReLU) and (type(layer) is not nn.ReLU or layer.inplace):
                return False
            if not isinstance(layer, (StackedMLP, nn.Sequential, StackedFeatureScaling,
                                      StackedLinear, StackedDropout, nn.ReLU)):
                return False
        return True

    def forward(self, X, member=None):
        """``(N, F)`` -> the ensemble's logits; ``(N, K, F)`` (row-major member batches, as
        skorch's loop sees them: the batch axis first) -> ``(N, K, C)`` member logits.

        ``member`` (N,): row i's logits are member ``member[i]``'s alone -- the
        out-of-fold predictions of cross-fitted members
        (:class:`~imbsk.engine.members.OutOfFoldDataset` passes it).
        """
        if X.dim() == 3:
            return self.member_logits(X.transpose(0, 1)).transpose(0, 1)
        if member is not None:
            return self._own_member_logits(
                X, torch.as_tensor(member, dtype=torch.long, device=X.device))
        return ensemble_logits(self.member_logits(X), self.link)

    def _own_member_logits(self, X, member):
        """Row i's logits by member ``member[i]`` alone; each member computes only its own
        rows (gathered into a ``(K, width, F)`` block, padded with row 0)."""
        n = len(member)
        order = torch.argsort(member, stable=True)
        sorted_member = member[order]
        counts = torch.bincount(member, minlength=self.n_members)
        starts = torch.cumsum(counts, 0) - counts
        slot = torch.arange(n, device=X.device) - starts[sorted_member]
        index = torch.zeros(self.n_members, max(int(counts.max()), 1), dtype=torch.long,
                            device=X.device)
        index[sorted_member, slot] = order
        logits = self.member_logits(X[index])
        own = torch.empty((n, *logits.shape[2:]), dtype=logits.dtype, device=logits.device)
        own[order] = logits[sorted_member, slot]
        return own


def _hidden_units(module):
    """The hidden layers' widths of an (Stacked)MLP."""
    return tuple(m.out_features for m in module.hidden
                 if isinstance(m, (nn.Linear, StackedLinear)))


def _member_linears(module):
    """The linear layers of an (Stacked)MLP in a fixed order: hidden, output, shortcut."""
    layers = [m for m in module.hidden if isinstance(m, (nn.Linear, StackedLinear))]
    layers.append(module.output)
    return layers + ([module.shortcut] if module.shortcut is not None else [])
