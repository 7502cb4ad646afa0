"""Input checks of the estimators, with errors that say what to do.

scikit-learn's ``validate_data`` does the checking; this module adds the hints its
messages lack, encodes labels, and checks what is particular to imbsk (the unlabeled
sentinel, sample weights with imbsk's own loss, a validation set given as a Dataset).
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._compat import check_sample_weight
from .semi_supervised import labeled_mask

__all__ = [
    "encode_labels",
    "validate_features",
    "validate_sample_weight",
    "validate_training_data",
    "validate_unlabeled",
]

#: What to do about scikit-learn's input-validation errors that do not say it.
_INPUT_HINTS = [
    ("Input X contains infinity", "Replace or clip the infinite values first, e.g. with "
                                  "np.nan_to_num or a FunctionTransformer in the pipeline."),
    ("Input y contains NaN", "Drop the rows whose label is missing before fitting."),
    ("Input y contains infinity", "Drop the rows whose label is not finite before fitting."),
    ("Complex data not supported", "Split complex features into real ones first, e.g. "
                                   "np.real and np.imag, or np.abs."),
    ("0 sample(s)", "Pass at least one row (and, to fit, rows of at least 2 classes)."),
    ("0 feature(s)", "Pass at least one feature column."),
]


def validate_features(estimator, X, y=None, reset=False):
    """X (and y) checked by scikit-learn, with a hint added to its error messages.

    Training data become float32 once; prediction keeps a float64 X as given (it is
    converted batch by batch). Sparse X becomes CSR and stays sparse.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> validate_features(BaseEstimator(), [[1, 2]], reset=True).dtype
    dtype('float32')
    """
    data = (X,) if y is None else (X, y)
    dtype = np.float32 if y is not None else (np.float32, np.float64)
    try:
        return validate_data(estimator, *data, reset=reset, dtype=dtype, accept_sparse="csr")
    except ValueError as exc:
        message = str(exc)
        if "could not convert" in message:
            raise ValueError(
                f"X has non-numeric values ({exc}). Encode categorical columns first, e.g. "
                "with OneHotEncoder in a ColumnTransformer before the classifier in a "
                "Pipeline."
            ) from exc
        hint = next((h for pattern, h in _INPUT_HINTS if pattern in message), None)
        if hint is None:
            raise
        raise ValueError(f"{message.rstrip()} {hint}") from exc


def encode_labels(y, classes, origin):
    """Class indices of ``y`` in ``classes``; unknown labels are an error naming them.

    Examples
    --------
    >>> encode_labels(["b", "a"], np.array(["a", "b"]), "classes").tolist()
    [1, 0]
    """
    codes = pd.Index(classes).get_indexer(np.asarray(y).ravel())
    if np.any(codes < 0):
        unknown = np.unique(np.asarray(y).ravel()[codes < 0])[:5]
        raise ValueError(
            f"y contains labels not in {origin}: {unknown.tolist()}. Known classes are "
            f"{np.asarray(classes).tolist()}."
        )
    return codes


def validate_unlabeled(unlabeled, y):
    """Refuse a sentinel that can never match a label of ``y``.

    Examples
    --------
    >>> validate_unlabeled(-1, np.array([0, 1, -1]))
    >>> validate_unlabeled("?", np.array([0, 1]))
    Traceback (most recent call last):
    ...
    ValueError: unlabeled='?' is a string, but y holds numbers: no row can match it. ...
    """
    if unlabeled is None:
        return
    if isinstance(unlabeled, numbers.Real) and np.isnan(unlabeled):
        raise ValueError(
            "unlabeled=nan cannot mark rows: NaN is never equal to anything, itself "
            "included. Mark unlabeled rows with a sentinel such as -1 or 'unlabeled'."
        )
    numeric_y = np.asarray(y).dtype.kind in "biuf"
    if isinstance(unlabeled, str) and numeric_y:
        raise ValueError(
            f"unlabeled={unlabeled!r} is a string, but y holds numbers: no row can match "
            "it. Use a number such as -1 for numeric labels."
        )
    if isinstance(unlabeled, numbers.Number) and not numeric_y and \
            not np.asarray(y).dtype.kind == "O":
        raise ValueError(
            f"unlabeled={unlabeled!r} is a number, but y holds strings: no row can match "
            "it. Use a string sentinel such as 'unlabeled'."
        )


def validate_training_data(estimator, X, y, *, reset, classes):
    """Validated X, the class indices of the labeled rows, and the labeled-row mask.

    ``classes`` (from ``partial_fit``) declares every class up front: a first chunk may
    then miss some. Otherwise the classes come from the ``classes`` parameter or from y.
    Sets ``classes_inferred_`` on a reset.
    """
    name = type(estimator).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    validate_unlabeled(estimator.unlabeled, y)
    X, y = validate_features(estimator, X, y, reset=reset)
    check_classification_targets(y)
    labeled = labeled_mask(y, estimator.unlabeled)
    if not labeled.any():
        raise ValueError(
            f"Every row of y is the unlabeled sentinel {estimator.unlabeled!r}; at least "
            "some rows of at least 2 classes must be labeled."
        )
    if not labeled.all():
        y = y[labeled]
    if not reset:
        if classes is not None and not np.array_equal(np.asarray(classes),
                                                      estimator.classes_):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} differs from the classes of the "
                f"first call, {estimator.classes_.tolist()}; pass the same classes (or "
                "none) after the first call."
            )
        return X, encode_labels(y, estimator.classes_, "the first fit"), labeled
    declared = classes is not None
    if classes is None and estimator.classes is not None and len(estimator.classes):
        classes = estimator.classes
    if classes is not None:
        classes = np.asarray(classes)
        if len(np.unique(classes)) != len(classes):
            raise ValueError(
                f"classes={classes.tolist()} has duplicate labels; pass each class once."
            )
        codes = encode_labels(y, classes, "classes")
    else:
        classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2 or (not declared and len(np.unique(codes)) < 2):
        raise ValueError(
            f"y has only one class ({np.asarray(classes)[codes[0]].item()!r}); a "
            "classifier needs samples of at least 2 classes."
        )
    if estimator._head == "binary" and len(classes) != 2:
        raise ValueError(
            f"Only binary classification is supported. {name} needs exactly 2 classes, y "
            f"has {len(classes)}; use ImbalancedNetClassifier for multi-class data."
        )
    estimator.classes_inferred_ = classes
    return X, codes, labeled


def validate_sample_weight(sample_weight, X, criterion):
    """Non-negative float32 weights, one per row; only with imbsk's own loss."""
    if sample_weight is None:
        return None
    if criterion is not None:
        raise ValueError("sample_weight needs imbsk's own loss: pass criterion=None.")
    return check_sample_weight(sample_weight, X, dtype=np.float32, ensure_non_negative=True)
