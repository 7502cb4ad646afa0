"""Reliability diagram on KEEL yeast3: ``proba="balanced"`` vs ``proba="prior"`` vs LR.

The default loss (logit-adjusted cross-entropy) trains probabilities for balanced
classes: they overstate the 11% minority. ``proba="prior"`` undoes the adjustment by
Bayes' rule and gives probabilities for the training prior; ``predict`` is the same for
both. One network is fitted; the head is switched with ``set_params`` (it is read at
prediction). The figure is ``docs/_static/reliability.png`` (docs/probabilities.rst).

    python examples/reliability_diagram.py [--quick] [--out PATH]
"""

import argparse
import pathlib

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel

FIGURE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "_static" / "reliability.png"


def probabilities(quick=False):
    """Test-split probabilities of the minority class: {name: (p, brier, log_loss)}."""
    X, y = load_keel("yeast3", return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y,
                                              random_state=0)
    net = ImbalancedNetClassifier(random_state=0, **({"max_epochs": 3} if quick else {}))
    net.fit(X_tr, y_tr)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_tr, y_tr)
    positive = "positive"
    models = {'imbsk, proba="balanced"': net.set_params(proba="balanced").predict_proba(X_te),
              'imbsk, proba="prior"': net.set_params(proba="prior").predict_proba(X_te),
              "LogisticRegression": lr.predict_proba(X_te)}
    column = list(net.classes_).index(positive)
    return y_te == positive, {
        name: (proba[:, column], brier_score_loss(y_te == positive, proba[:, column]),
               log_loss(y_te, proba, labels=net.classes_))
        for name, proba in models.items()}


def plot(y_true, results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, (p, brier, loss) in results.items():
        CalibrationDisplay.from_predictions(
            y_true, p, n_bins=8, strategy="quantile", ax=ax,
            name=f"{name} (Brier {brier:.3f}, log-loss {loss:.3f})")
    ax.set_title("KEEL yeast3, 25% test split (8 quantile bins)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or (pathlib.Path("reliability.png") if args.quick else FIGURE)
    y_true, results = probabilities(args.quick)
    for name, (_, brier, loss) in results.items():
        print(f"{name:28s} Brier {brier:.4f}  log-loss {loss:.4f}")
    return plot(y_true, results, out)


if __name__ == "__main__":
    main()
