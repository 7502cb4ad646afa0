"""K networks trained as one: stacked weights, per-member losses, per-member data orders.

A small tabular MLP step costs far more in Python and kernel-launch overhead than in
arithmetic, so K members whose weights are stacked along a leading axis (``(K, out, in)``,
one ``torch.baddbmm`` per layer) and updated by one optimizer step cost little more than
one. Members stay independent: each has its own initial weights and its own random stream
for its data order (:class:`MemberStreams`), its own training rows, and its own loss
parameters (:class:`StackedLoss`); the loss is the *sum* of the members' losses, so each
member's gradient is its own loss's gradient, and an element-wise optimizer (Adam, SGD,
...) updates each member exactly as it would alone.

Used by the estimators' ``n_members`` (members share the loss, differ in seed and rows)
and by :class:`imbsk.model_selection.BatchedGridSearchCV` (members = candidates x folds).
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_random_state

from .data import _base_and_rows, sampler_order
from .devices import seeded
from .modules import (MLP, FeatureScaling, feature_scaling, shortcut_param_groups,
                      wide_and_deep_logits)
from .rebalance.losses import RebalancedLoss

__all__ = ["ELEMENTWISE_OPTIMIZERS", "MEMBER_SAMPLINGS", "MemberBatchIterator", "MemberSpec",
           "MemberStreams", "StackedDropout", "StackedFeatureScaling", "StackedLinear",
           "StackedLoss", "StackedMLP", "cross_fit_folds", "draw_member_rows",
           "ensemble_logits", "fast_dropout", "member_seeds", "member_spec", "stacked_mlp",
           "train_members"]

#: Optimizers whose update of a parameter entry depends on that entry alone: stacking
#: members in one tensor then changes nothing.
ELEMENTWISE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD,
                          torch.optim.RMSprop, torch.optim.Adagrad)


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

    def __init__(self, n_members, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_members, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(n_members, out_features))
        self.in_features, self.out_features = in_features, out_features

    def forward(self, X):
        if not self.training:
            # evaluation in float64, one member at a time: a matrix product's rounding
            # depends on the batch's shape (a row alone takes another kernel), and K
            # members' float32 differences would show in the averaged probabilities
            rows = [X] * len(self.weight) if X.dim() == 2 else X
            return torch.stack([F.linear(x.double(), w.double(), b.double())
                                for x, w, b in zip(rows, self.weight, self.bias)])
        if X.dim() == 2:
            X = X.expand(self.weight.shape[0], *X.shape)
        return torch.baddbmm(self.bias.unsqueeze(1), X, self.weight.transpose(1, 2))


def fast_dropout(X, p, training=True):
    """Inverted dropout whose mask comes from 64-bit random words, 16 bits per entry.

    ``torch.dropout`` draws one Bernoulli variable per entry; on the wide activations of
    K stacked members that dominated a step on a CPU. Here four entries share one
    64-bit draw: an entry is kept when its 16-bit slice is at least ``round(p * 2**16)``
    (counted from the slice's minimum), so the drop rate is ``p`` to within ``2**-17``.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> kept = fast_dropout(torch.ones(100_000), 0.25)
    >>> round(float((kept == 0).float().mean()), 2), round(float(kept.max()), 4)
    (0.25, 1.3333)
    """
    if not training or p == 0:
        return X
    n = X.numel()
    words = torch.empty(-(-n // 4), dtype=torch.int64, device=X.device).random_(-2**63, None)
    keep = words.view(torch.int16)[:n].view(X.shape) >= round(p * 65536) - 32768
    return X * keep.to(X.dtype).mul_(1.0 / (1.0 - p))


class StackedDropout(nn.Dropout):
    """``nn.Dropout`` with the mask of :func:`fast_dropout` (same ``p``, same scaling).

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

    def set_output_bias(self, bias):
        """Set every member's output bias to ``bias`` (the strategies' prior bias)."""
        with torch.no_grad():
            self.output.bias.copy_(torch.as_tensor(np.asarray(bias), dtype=torch.float32)
                                   .expand_as(self.output.bias))

    def member_logits(self, X):
        """Each member's logits ``(K, N, C)`` (``(K, N)`` with one output) for ``X`` of
        shape ``(K, N, F)`` (member k's rows in slice k) or ``(N, F)`` (shared rows)."""
        logits = wide_and_deep_logits(self, X)
        return logits.squeeze(-1) if logits.shape[-1] == 1 else logits

    def forward(self, X):
        """``(N, F)`` -> the ensemble's logits; ``(N, K, F)`` (row-major member batches, as
        skorch's loop sees them: the batch axis first) -> ``(N, K, C)`` member logits."""
        if X.dim() == 3:
            return self.member_logits(X.transpose(0, 1)).transpose(0, 1)
        return ensemble_logits(self.member_logits(X), self.link)


def _hidden_units(module):
    """The hidden layers' widths of an (Stacked)MLP."""
    return tuple(m.out_features for m in module.hidden
                 if isinstance(m, (nn.Linear, StackedLinear)))


def _member_linears(module):
    """The linear layers of an (Stacked)MLP in a fixed order: hidden, output, shortcut."""
    layers = [m for m in module.hidden if isinstance(m, (nn.Linear, StackedLinear))]
    layers.append(module.output)
    return layers + ([module.shortcut] if module.shortcut is not None else [])


class MemberStreams:
    """One random stream per member, for its data order (and anything else it draws).

    Inside ``with streams.member(k):`` torch's global generator holds member k's state,
    saved back on exit; so member k draws exactly what a fit seeded like it would draw,
    whatever the other members did.

    Parameters
    ----------
    states : list of ByteTensor
        Each member's generator state (``torch.get_rng_state()`` after its initialisation).

    Examples
    --------
    >>> state = torch.manual_seed(1).get_state()
    >>> streams = MemberStreams([state.clone(), state.clone()])
    >>> with streams.member(0):
    ...     a = torch.rand(1)
    >>> with streams.member(1):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """

    def __init__(self, states):
        self.states = states  # updated in place: the caller's list follows the streams

    def member(self, k):
        streams = self

        class _Member:
            def __enter__(self):
                self.outer = torch.get_rng_state()
                torch.set_rng_state(streams.states[k])

            def __exit__(self, *exc):
                streams.states[k] = torch.get_rng_state()
                torch.set_rng_state(self.outer)

        return _Member()


def _shuffled(n, sampler=None):
    """A random order of ``n`` rows (or a pass of ``sampler``), drawn as imbsk's
    ``BatchIterator`` draws it in an epoch."""
    torch.empty((), dtype=torch.int64).random_()  # DataLoader's base seed
    if sampler is not None:
        return sampler_order(sampler)
    generator = torch.Generator()
    generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
    return torch.randperm(n, generator=generator)


class StackedLoss(nn.Module):
    """The sum over members of each member's :class:`~imbsk.rebalance.losses.RebalancedLoss`.

    Vectorised over K: class weights ``(K, C)``, focal γ ``(K,)``, focal α, logit offsets
    (logit adjustment, τ) ``(K, C)``, LDAM margins ``(K, C)`` and scales ``(K,)``.
    Built from the members' own losses (:meth:`from_losses`), so each member's term is its
    strategy's loss, with its class counts.

    ``forward(logits, target, row_weight)``: logits ``(K, N, C)`` (``(K, N)`` binary),
    target ``(K, N)`` class indices, row_weight ``(K, N)`` (0 for padding rows, else the
    sample weight). Each member's loss is reduced over its own rows as its loss reduces
    (``"mean"``: divided by its number of real rows).

    Examples
    --------
    >>> losses = [RebalancedLoss(torch.tensor([1.0, 3.0]), gamma=g) for g in (0.0, 2.0)]
    >>> stacked = StackedLoss.from_losses(losses)
    >>> z, y = torch.randn(2, 4, 2), torch.tensor([[0, 1, 0, 1]] * 2)
    >>> each = stacked.member_losses(z, y, torch.ones(2, 4))
    >>> torch.allclose(each, torch.stack([losses[k](z[k], y[k]) for k in range(2)]))
    True
    """

    def __init__(self, form, reduction, class_weight, gamma, alpha_pos, alpha_neg,
                 alpha_class, logit_offset, margin, scale):
        super().__init__()
        self.form, self.reduction = form, reduction
        for name, value in dict(class_weight=class_weight, gamma=gamma, alpha_pos=alpha_pos,
                                alpha_neg=alpha_neg, alpha_class=alpha_class,
                                logit_offset=logit_offset, margin=margin, scale=scale).items():
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.float32))

    @staticmethod
    def supports(loss):
        """Whether ``loss`` can be a member: an imbsk ``RebalancedLoss`` without OHEM."""
        return type(loss) is RebalancedLoss and loss.ohem_ratio is None \
            and loss.reduction in ("mean", "weighted_mean")

    @classmethod
    def from_losses(cls, losses):
        """Stack K ``RebalancedLoss`` objects (one form and reduction) into one."""
        bad = [type(loss).__name__ for loss in losses if not cls.supports(loss)]
        forms = {(loss.form, loss.reduction) for loss in losses}
        if bad or len(forms) != 1:
            raise ValueError("StackedLoss stacks RebalancedLoss members of one form and "
                             f"reduction without OHEM; got {bad or sorted(forms)}.")
        (form, reduction), = forms
        n_classes = len(losses[0].class_weight)

        def vector(value, default):
            if value is None:
                return np.full(n_classes, default, dtype=np.float64)
            value = np.asarray(torch.as_tensor(value).detach().cpu(), dtype=np.float64)
            # the binary head's single offset, in the first of its two slots
            return np.r_[value, np.full(n_classes - len(value), default)]

        alphas = [loss.alpha for loss in losses]
        scalar_alpha = [a if isinstance(a, float) else None for a in alphas]
        return cls(
            form, reduction,
            np.stack([vector(loss.class_weight, 1.0) for loss in losses]),
            np.array([loss.gamma for loss in losses]),
            np.array([1.0 if a is None else a for a in scalar_alpha]),
            np.array([1.0 if a is None else 1.0 - a for a in scalar_alpha]),
            np.stack([vector(a if not isinstance(a, float) else None, 1.0) for a in alphas]),
            np.stack([vector(loss.logit_offset, 0.0) for loss in losses]),
            np.stack([vector(loss.margin, 0.0) for loss in losses]),
            np.array([loss.scale if loss.margin is not None else 1.0 for loss in losses]),
        )

    def member_losses(self, logits, target, row_weight):
        """Each member's reduced loss, shape ``(K,)``."""
        target = target.long()
        z = logits + (self.logit_offset.unsqueeze(1) if logits.dim() == 3
                      else self.logit_offset[:, :1])
        if self.form == "softmax":
            rows = torch.gather(self.margin, 1, target)  # (K, N) margin of each true class
            z = z.scatter_add(-1, target.unsqueeze(-1), -rows.unsqueeze(-1))
            z = z * self.scale.view(-1, 1, 1)
            log_p_t = F.log_softmax(z, dim=-1).gather(-1, target.unsqueeze(-1)).squeeze(-1)
            u = (-torch.expm1(log_p_t)).clamp_min(torch.finfo(z.dtype).tiny)
            per_row = -u.pow(self.gamma.unsqueeze(1)) * log_p_t
            per_row = per_row * torch.gather(self.alpha_class, 1, target)
        else:
            positive = (target.to(z.dtype) if z.dim() == 2
                        else F.one_hot(target, z.shape[-1]).to(z.dtype))
            bce = F.binary_cross_entropy_with_logits(z, positive, reduction="none")
            u = (-torch.expm1(-bce)).clamp_min(torch.finfo(z.dtype).tiny)
            gamma = self.gamma.view(-1, *([1] * (z.dim() - 1)))
            factor = (self.alpha_pos.view_as(gamma) * positive
                      + self.alpha_neg.view_as(gamma) * (1.0 - positive))
            per_row = factor * u.pow(gamma) * bce
            if z.dim() == 3:
                per_row = per_row.sum(dim=-1)
        weights = torch.gather(self.class_weight, 1, target) * row_weight
        total = (per_row * weights).sum(dim=1)
        if self.reduction == "mean":
            return total / (row_weight > 0).sum(dim=1).clamp_min(1)
        return total / weights.sum(dim=1).clamp_min(torch.finfo(z.dtype).tiny)

    def forward(self, logits, target, row_weight):
        return self.member_losses(logits, target, row_weight).sum()


@dataclass
class MemberSpec:
    """What one member of :func:`train_members` is.

    Attributes
    ----------
    rows : ndarray of int
        Its training rows (indices into ``X``); it never sees any other row.
    module : MLP
        Its initial network (made under its seed).
    rng_state : ByteTensor
        torch's generator state right after that initialisation: its data orders.
    criterion : RebalancedLoss
        Its loss (its class counts, β, γ, α, τ).
    sample_weight : ndarray or None
        Per-row weights aligned with ``rows``.

    Examples
    --------
    >>> spec = member_spec([0, 1, 2], 0, lambda: MLP(2, 2, (4,)),
    ...                    RebalancedLoss(torch.ones(2)))
    >>> spec.rows.tolist()
    [0, 1, 2]
    """

    rows: np.ndarray
    module: nn.Module
    rng_state: torch.Tensor
    criterion: RebalancedLoss
    sample_weight: np.ndarray = None


def train_members(X, codes, members, *, link, make_optimizer=None, batch_size=128,
                  max_epochs=30, device="cpu"):
    """Train the members as one stacked network for ``max_epochs`` epochs.

    Each epoch, member k visits its rows in its own random order (drawn from its stream
    as a fit seeded like it would draw it), in batches of ``batch_size``; all members step
    together. A member with fewer batches in an epoch than the longest pads its last
    steps with rows of weight zero (no gradient; a momentum optimizer still moves it a
    little: members of one CV search have equal batch counts but for rare remainders).

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features), float32
    codes : Tensor of shape (n_samples,), class indices
    members : list of MemberSpec
    link : str
        The probability link of the members (for the returned module's ensemble output).
    make_optimizer : callable or None, default=None
        ``make_optimizer(module)`` returns the optimizer of the stacked module (the
        estimators' ``optimizer``, ``lr``, ``optimizer__*`` and the shortcut's group).
        None: Adam with lr 1e-3 and the shortcut's own group
        (:func:`~imbsk.modules.shortcut_param_groups`).
    batch_size, max_epochs, device
        As the estimators' parameters.

    Returns
    -------
    module : StackedMLP
        The trained members.
    losses : ndarray of shape (max_epochs, K)
        Each member's mean training loss per epoch.

    Examples
    --------
    >>> X, y = torch.randn(40, 3), torch.arange(40) % 2
    >>> members = [member_spec(np.arange(k, 40, 2), k, lambda: MLP(3, 2, (8,)),
    ...                        RebalancedLoss(torch.ones(2))) for k in range(2)]
    >>> module, losses = train_members(X, y, members, link="softmax", max_epochs=2)
    >>> losses.shape, module.n_members
    ((2, 2), 2)
    """
    k = len(members)
    X, codes = X.to(device), codes.to(device)
    module = StackedMLP.from_members([m.module for m in members], link=link).to(device)
    criterion = StackedLoss.from_losses([m.criterion for m in members]).to(device)
    opt = (make_optimizer(module) if make_optimizer is not None else torch.optim.Adam(
        shortcut_param_groups([{"params": list(module.parameters())}], module), lr=1e-3))
    streams = MemberStreams([m.rng_state for m in members])  # a list of its own
    sizes = np.array([len(m.rows) for m in members])
    batch = min(batch_size, int(sizes.max())) if batch_size != -1 else int(sizes.max())
    rows = [torch.as_tensor(m.rows, dtype=torch.long, device=device) for m in members]
    row_weights = [None if m.sample_weight is None else
                   torch.as_tensor(m.sample_weight, dtype=torch.float32, device=device)
                   for m in members]
    n_steps = int(max(-(-n // batch) for n in sizes))
    history = np.zeros((max_epochs, k))
    module.train()
    for epoch in range(max_epochs):
        orders = []
        for j in range(k):
            with streams.member(j):
                orders.append(_shuffled(int(sizes[j])).to(device))
        width = int(sizes.max())  # the last step is as wide as the longest remainder
        index = torch.zeros(k, width, dtype=torch.long, device=device)
        weight = torch.zeros(k, width, device=device)
        for j, order in enumerate(orders):
            index[j, :len(order)] = rows[j][order]
            weight[j, :len(order)] = 1.0 if row_weights[j] is None else row_weights[j][order]
        epoch_loss = torch.zeros(k, device=device)
        for step in range(n_steps):
            cols = slice(step * batch, (step + 1) * batch)
            idx, w = index[:, cols], weight[:, cols]
            opt.zero_grad(set_to_none=True)
            per_member = criterion.member_losses(module.member_logits(X[idx]), codes[idx], w)
            per_member.sum().backward()
            opt.step()
            epoch_loss += per_member.detach() * (w > 0).sum(dim=1)
        history[epoch] = (epoch_loss / torch.as_tensor(sizes, device=device)).cpu().numpy()
    return module, history


def member_spec(rows, seed, module_factory, criterion, sample_weight=None):
    """A :class:`MemberSpec` whose network and stream come from ``seed``, as a fit's do.

    Examples
    --------
    >>> spec = member_spec([3, 4], 7, lambda: MLP(2, 2, (4,)), RebalancedLoss(torch.ones(2)))
    >>> spec.rows.tolist(), spec.rng_state.dtype
    ([3, 4], torch.uint8)
    """
    with seeded(seed):
        module = module_factory()
        state = torch.get_rng_state()
    return MemberSpec(np.asarray(rows), module, state, criterion, sample_weight)


# --- n_members on the estimators ------------------------------------------------------

#: How each member of ``n_members`` gets its training rows.
MEMBER_SAMPLINGS = ("shuffle", "bootstrap", "balanced_bootstrap", "cross_fit")


def member_seeds(random_state, n_members):
    """One seed per member, drawn from ``random_state`` (None: fresh ones).

    Examples
    --------
    >>> member_seeds(0, 3).tolist() == member_seeds(0, 3).tolist()
    True
    """
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_members)


def stacked_mlp(params, seeds, link):
    """K members, member k initialised as an MLP under ``seeds[k]``; and their streams.

    Returns
    -------
    module : StackedMLP
    states : list of ByteTensor
        Each member's generator state after its initialisation (its data orders).

    Examples
    --------
    >>> module, states = stacked_mlp({"n_features": 3, "n_outputs": 2}, [1, 2], "softmax")
    >>> module.n_members, len(states)
    (2, 2)
    """
    members, states = [], []
    for seed in seeds:
        with seeded(int(seed)):
            members.append(MLP(**params))
            states.append(torch.get_rng_state())
    return StackedMLP.from_members(members, link=link), states


def cross_fit_folds(y, streams):
    """K stratified folds of the rows (K members): member k validates on fold k.

    Drawn from member 0's stream. A class with fewer rows than members is spread over as
    many folds as it has rows (scikit-learn's ``StratifiedKFold``).

    Examples
    --------
    >>> y = np.array([0] * 12 + [1] * 3)
    >>> streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(3)])
    >>> [np.bincount(y[f]).tolist() for f in cross_fit_folds(y, streams)]
    [[4, 1], [4, 1], [4, 1]]
    """
    with streams.member(0):
        seed = int(torch.randint(2**31 - 1, ()).item())
    splitter = StratifiedKFold(len(streams.states), shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        return [test for _, test in splitter.split(np.zeros(len(y)), y)]


def draw_member_rows(y, sampling, streams):
    """Each member's training rows (positions in ``y``), drawn from its own stream.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        Class indices of the training rows.
    sampling : {"shuffle", "bootstrap", "balanced_bootstrap"}
        ``"shuffle"``: every row (each member in its own order). ``"bootstrap"``: each
        class's rows drawn with replacement, as many as it has (class counts kept).
        ``"balanced_bootstrap"``: ``n // C`` rows of every class drawn with replacement
        -- majority rows left out, minority rows repeated, differently for each member:
        the balanced bagging of imbalanced-learn's ``BalancedRandomForestClassifier``
        with the training budget of one pass over the data. ``"cross_fit"``: every row
        but those of the member's fold (:func:`cross_fit_folds`).
    streams : MemberStreams

    Returns
    -------
    rows : list of ndarray, one per member (of one length, but for ``"cross_fit"``,
        whose folds may differ by a row)

    Examples
    --------
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(2)])
    >>> rows = draw_member_rows(y, "balanced_bootstrap", streams)
    >>> [np.bincount(y[r]).tolist() for r in rows]
    [[5, 5], [5, 5]]
    """
    y = np.asarray(y)
    n_members = len(streams.states)
    if sampling == "shuffle":
        return [np.arange(len(y))] * n_members
    if sampling == "cross_fit":
        return [np.setdiff1d(np.arange(len(y)), fold) for fold in cross_fit_folds(y, streams)]
    by_class = [np.flatnonzero(y == c) for c in np.unique(y)]
    per_class = len(y) // len(by_class)
    rows = []
    for k in range(n_members):
        with streams.member(k):
            draws = [
                idx[torch.randint(len(idx), (len(idx) if sampling == "bootstrap"
                                             else per_class,)).numpy()]
                for idx in by_class]
        rows.append(np.sort(np.concatenate(draws)))
    return rows


class MemberBatchIterator:
    """Training batches of K members: ``X`` of shape ``(B, K, F)``, targets ``(B, K)``.

    Each epoch member k visits its rows (``member_rows[k]``, positions in ``dataset``) in
    its own order, drawn from its stream -- or, with a ``sampler`` (class-balanced or
    difficulty sampling), its own pass of that sampler.

    Parameters
    ----------
    dataset : TabularDataset or a Subset of one
    batch_size : int
    member_rows : list of ndarray (all of one length)
    streams : MemberStreams
    sampler : torch Sampler or None

    Examples
    --------
    >>> from imbsk.data import TabularDataset
    >>> ds = TabularDataset(np.zeros((10, 3), dtype=np.float32), np.arange(10) % 2)
    >>> streams = MemberStreams([torch.manual_seed(k).get_state() for k in range(2)])
    >>> X, y = next(iter(MemberBatchIterator(ds, 4, [np.arange(10)] * 2, streams)))
    >>> tuple(X.shape), tuple(y.shape)
    ((4, 2, 3), (4, 2))
    """

    def __init__(self, dataset, batch_size, member_rows, streams, sampler=None):
        self.dataset, self.batch_size = dataset, batch_size
        self.member_rows, self.streams, self.sampler = member_rows, streams, sampler
        self._base, self._rows = _base_and_rows(dataset)
        # members whose row counts differ by a row (cross-fit folds) visit as many rows
        # per epoch as the smallest: each skips a different random row every epoch
        self._n = len(sampler) if sampler is not None else min(len(r) for r in member_rows)

    def __len__(self):
        return -(-self._n // self.batch_size)

    def __iter__(self):
        orders = []
        for k, rows in enumerate(self.member_rows):
            with self.streams.member(k):
                order = _shuffled(len(rows), self.sampler).numpy()
            positions = order if self.sampler is not None else rows[order]
            orders.append(positions[:self._n])
        index = torch.as_tensor(np.stack(orders), dtype=torch.long)
        if self._rows is not None:
            index = self._rows[index]
        index = index.to(self._base.X.device if hasattr(self._base.X, "device") else "cpu")
        k = index.shape[0]
        index = index.T.contiguous()  # (n, K): a batch is a block of rows, batch axis first
        for start in range(0, self._n, self.batch_size):
            batch = index[start:start + self.batch_size]
            X, y = self._base._take(batch.reshape(-1))
            X = X.reshape(len(batch), k, -1)
            if isinstance(y, (tuple, list)):
                y = tuple(t.reshape(len(batch), k) for t in y)
            else:
                y = y.reshape(len(batch), k)
            yield X, y
