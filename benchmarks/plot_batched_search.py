"""The docs' picture: search time vs number of candidates, sequential vs batched.

Reads the JSON lines of ``benchmarks/batched_search.py --curve ...`` and writes
docs/_static/batched_search.png.

    python benchmarks/plot_batched_search.py benchmarks/results/batched_search_curve.txt
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path, out="docs/_static/batched_search.png"):
    rows = [json.loads(line) for line in Path(path).read_text().splitlines()
            if line.startswith("{") and '"candidates"' in line]
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    n = [r["candidates"] for r in rows]
    ax.plot(n, [r["batched_s"] for r in rows], "o-", label="BatchedGridSearchCV")
    if all("arithmetic_s" in r for r in rows):
        ax.plot(n, [r["arithmetic_s"] for r in rows], ":", color="grey",
                label="the arithmetic (training steps' flops at the stacked-matmul rate)")
    seq = [r for r in rows if "sequential_s" in r]
    ax.plot([r["candidates"] for r in seq], [r["sequential_s"] for r in seq], "s--",
            label="GridSearchCV (sequential fits)")
    for r in seq:
        ax.annotate(f"{r['speedup']:.1f}x", (r["candidates"], r["sequential_s"]),
                    textcoords="offset points", xytext=(8, -4), fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(n, [str(v) for v in n])
    ax.set_xlabel("candidates (each x 5 folds)")
    ax.set_ylabel("search wall time (s)")
    ax.set_title("KEEL yeast3, the default estimator (5 members), cb_focal, 20 epochs,\n"
                 "2 CPU cores, n_jobs=1 (sequential run up to 16 candidates)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
