"""The docs' picture: fit time and balanced accuracy from 10,000 to 1,000,000 rows.

Reads the JSON lines of ``benchmarks/large_tables.py --sizes ...`` (several files: a
later file's summary of a size replaces an earlier one's) and writes
docs/_static/large_tables.png (imbsk's default, LightGBM, the balanced random forest, and
the default before 2026-12-02's budget where the files have it).

    python benchmarks/plot_large_tables.py benchmarks/results/large_tables_curve_fast.jsonl \
        benchmarks/results/large_tables_10k_fast.jsonl
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"imbsk": "imbsk ImbalancedNetClassifier()",
          "imbsk_before": "imbsk before (500 steps, lr 1e-3)",
          "lightgbm": "LightGBM, class_weight='balanced'",
          "brf": "BalancedRandomForestClassifier(100)"}


def main(*paths, out="docs/_static/large_tables.png"):
    by_size = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if line.startswith("{") and '"summary"' in line:
                row = json.loads(line)
                by_size[row["rows"]] = row
    rows = [by_size[n] for n in sorted(by_size)]
    fig, (time_ax, bacc_ax) = plt.subplots(1, 2, figsize=(9.6, 3.8), dpi=120)
    n = [r["rows"] for r in rows]
    for method, style in (("imbsk", "o-"), ("imbsk_before", "o:"), ("lightgbm", "s--"),
                          ("brf", "^:")):
        if not all(f"{method}_fit_s" in r for r in rows):
            continue
        time_ax.plot(n, [r[f"{method}_fit_s"] for r in rows], style, label=LABELS[method])
        bacc_ax.plot(n, [r[f"{method}_bacc"] for r in rows], style, label=LABELS[method])
    for ax in (time_ax, bacc_ax):
        ax.set_xscale("log")
        ax.set_xlabel("rows (75% for training)")
        ax.grid(True, which="both", alpha=0.3)
    time_ax.set_yscale("log")
    time_ax.set_ylabel("fit time (s)")
    bacc_ax.set_ylabel("balanced accuracy (25% test rows)")
    bacc_ax.legend(fontsize=8)
    fig.suptitle("make_classification: 30 features, 1% minority, flip_y 0.005; "
                 "2 CPU cores, default settings", fontsize=9)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
