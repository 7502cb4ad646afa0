"""imbsk: neural-network classifiers for class-imbalanced tabular data.

scikit-learn estimators built on skorch, with re-balancing strategies selected by
``rebalance=`` (class weights, focal losses, class-balanced and instance-difficulty
re-sampling).
"""

from .classifier import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier

__all__ = ["ImbalancedNetBinaryClassifier", "ImbalancedNetClassifier"]
__version__ = "0.1.0"
