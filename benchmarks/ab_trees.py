"""Fit time of the default estimator in two source trees, alternated (A/B of a change).

Each round runs one process per tree (A, then B, then A, ...); a process imports imbsk from
its tree, fits once to warm up, then times ``--fits`` fits of ``ImbalancedNetClassifier(
random_state=0)`` on a 1,500 x 8 table (the table of RESULTS 10b) and reports the median.
The ratio B / A is the median over rounds.

    git worktree add /tmp/imbsk-before <commit>
    python benchmarks/ab_trees.py /tmp/imbsk-before . --rounds 5
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

SNIPPET = """
import json, time, numpy as np
from sklearn.datasets import make_classification
from imbsk import ImbalancedNetClassifier
X, y = make_classification({rows}, n_features={features}, n_informative=5, weights=[0.9],
                           random_state=0)
X = X.astype(np.float32)
ImbalancedNetClassifier(random_state=0).fit(X, y)
times = []
for _ in range({fits}):
    start = time.perf_counter()
    ImbalancedNetClassifier(random_state=0).fit(X, y)
    times.append(time.perf_counter() - start)
print(json.dumps({{"median_s": float(np.median(times))}}))
"""


def run(tree, args):
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    code = SNIPPET.format(rows=args.rows, features=args.features, fits=args.fits)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=os.path.abspath(tree))
    return json.loads(out.stdout.strip().splitlines()[-1])["median_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1500)
    parser.add_argument("--features", type=int, default=8)
    args = parser.parse_args()
    ratios = []
    for _ in range(args.rounds):
        a, b = run(args.a, args), run(args.b, args)
        ratios.append(b / a)
        print(json.dumps({"a_s": round(a, 3), "b_s": round(b, 3), "b_over_a": round(b / a, 3)}),
              flush=True)
    print(json.dumps({"rows": args.rows, "features": args.features,
                      "ratio_b_over_a_median": round(float(np.median(ratios)), 3)}))


if __name__ == "__main__":
    main()
