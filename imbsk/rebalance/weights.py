"""Class weights from class counts: pure functions, arrays in, arrays out.

Every function takes the per-class training counts ``n_c`` and returns weights
normalised so that they sum to the number of classes ``C`` (Cui et al., CVPR 2019:
"we normalize alpha_i so that sum alpha_i = C"). A class with no training sample is
an error that names it, never a division by zero.
"""

import numpy as np

__all__ = [
    "CLASS_WEIGHTINGS",
    "class_weights",
    "effective_number_weights",
    "inverse_frequency_weights",
    "sqrt_inverse_frequency_weights",
]


def _check_counts(class_counts):
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(
            f"class_counts must be a non-empty 1-D array, got shape {counts.shape}."
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError(f"class_counts must be finite and >= 0, got {counts.tolist()}.")
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"Class index(es) {empty.tolist()} have no training sample, so no weight can "
            "be computed for them. Give every class at least one training sample (after "
            "the internal validation split), or drop the class."
        )
    return counts


def _normalise(raw):
    return raw / raw.sum() * raw.size


def inverse_frequency_weights(class_counts):
    r"""Inverse-frequency weights :math:`w_c \propto 1 / n_c`, summing to :math:`C`.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training samples per class.

    Returns
    -------
    weights : ndarray of shape (n_classes,)

    Examples
    --------
    >>> inverse_frequency_weights([90, 10]).round(3).tolist()
    [0.2, 1.8]
    """
    return _normalise(1.0 / _check_counts(class_counts))


def sqrt_inverse_frequency_weights(class_counts):
    r"""Smoothed inverse frequency :math:`w_c \propto 1 / \sqrt{n_c}`, summing to :math:`C`.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training samples per class.

    Returns
    -------
    weights : ndarray of shape (n_classes,)

    Examples
    --------
    >>> sqrt_inverse_frequency_weights([100, 25]).round(4).tolist()
    [0.6667, 1.3333]
    """
    return _normalise(1.0 / np.sqrt(_check_counts(class_counts)))


def effective_number_weights(class_counts, beta):
    r"""Class-balanced weights :math:`w_c \propto (1-\beta)/(1-\beta^{n_c})` (Cui et al., 2019).

    ``beta = 0`` gives uniform weights; ``beta -> 1`` approaches inverse frequency.
    ``1 - beta**n`` is computed as ``-expm1(n * log(beta))``, which keeps its precision
    for ``beta`` close to 1.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training samples per class.
    beta : float in [0, 1)
        Effective-number hyper-parameter.

    Returns
    -------
    weights : ndarray of shape (n_classes,)

    Examples
    --------
    >>> effective_number_weights([100, 10], beta=0.0).tolist()
    [1.0, 1.0]
    >>> effective_number_weights([100, 10], beta=0.9).round(4).tolist()
    [0.7889, 1.2111]
    """
    counts = _check_counts(class_counts)
    if not (isinstance(beta, (int, float, np.floating, np.integer)) and 0.0 <= beta < 1.0):
        raise ValueError(f"beta must be a float in the range [0.0, 1.0), got {beta!r}.")
    if beta == 0.0:
        return np.ones_like(counts)
    effective_number = -np.expm1(counts * np.log(beta)) / (1.0 - beta)
    return _normalise(1.0 / effective_number)


#: Lookup table from the ``weighting`` name to a function of ``(counts, beta)``.
CLASS_WEIGHTINGS = {
    None: lambda counts, beta: np.ones(len(_check_counts(counts))),
    "inverse": lambda counts, beta: inverse_frequency_weights(counts),
    "sqrt_inverse": lambda counts, beta: sqrt_inverse_frequency_weights(counts),
    "effective_number": effective_number_weights,
}


def class_weights(class_counts, weighting, beta=0.999):
    """Weights for ``weighting`` in :data:`CLASS_WEIGHTINGS`.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number of training samples per class.
    weighting : {None, "inverse", "sqrt_inverse", "effective_number"}
        ``None`` gives uniform weights.
    beta : float in [0, 1), default=0.999
        Used by ``"effective_number"`` only.

    Returns
    -------
    weights : ndarray of shape (n_classes,)

    Examples
    --------
    >>> class_weights([3, 1], "inverse").tolist()
    [0.5, 1.5]
    """
    try:
        function = CLASS_WEIGHTINGS[weighting]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in CLASS_WEIGHTINGS)
        raise ValueError(f"Unknown weighting {weighting!r}; valid ones are {valid}.") from None
    return function(class_counts, beta)
