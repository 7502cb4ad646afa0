"""Speed and memory of the tabular data path (run by hand; results in RESULTS.md).

    python benchmarks/speed.py epoch        # imbsk vs plain skorch vs a bare PyTorch loop
    python benchmarks/speed.py difficulty   # fit time with rebalance="difficulty" vs None
    python benchmarks/speed.py grid         # GridSearchCV, 16 configs, n_jobs=1 vs 2
    python benchmarks/speed.py memory       # peak RSS, 1,000,000 x 32 float32 rows
    python benchmarks/speed.py all

Same module (a 32-128-128-2 MLP without dropout), batch size 256, Adam (lr 1e-3), the
same 50,000 x 32 float32 synthetic data, no internal validation split unless said
otherwise. Every figure is the median over --repeats runs, measured in one process.
"""

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from skorch import NeuralNetClassifier

from imbsk import ImbalancedNetClassifier
from imbsk.modules import MLP

HIDDEN = (128, 128)
BATCH = 256


def make_data(n=50_000, d=32, seed=0):
    X, y = make_classification(n, n_features=d, n_informative=16, weights=[0.9],
                               random_state=seed)
    return X.astype(np.float32), y


def bare_loop_epoch_seconds(X, y, epochs):
    torch.manual_seed(0)
    model = MLP(X.shape[1], 2, hidden_units=HIDDEN, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    durations = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), BATCH):
            index = order[i:i + BATCH]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(Xt[index]), yt[index])
            loss.backward()
            optimizer.step()
        durations.append(time.perf_counter() - start)
    return durations


def _imbsk(rebalance, epochs, **params):
    return ImbalancedNetClassifier(
        rebalance=rebalance, module__hidden_units=HIDDEN, module__dropout=0.0, lr=1e-3,
        batch_size=BATCH, max_epochs=epochs, train_split=None, random_state=0, **params)


def _plain_skorch(X, epochs):
    return NeuralNetClassifier(
        MLP, module__n_features=X.shape[1], module__n_outputs=2, module__hidden_units=HIDDEN,
        module__dropout=0.0, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
        lr=1e-3, batch_size=BATCH, max_epochs=epochs, train_split=None,
        iterator_train__shuffle=True, verbose=0)


def _net_epoch_seconds(net, X, y):
    net.fit(X, y)
    return list(net.history[:, "dur"])


def epoch_benchmark(repeats, epochs):
    X, y = make_data()
    runs = {"bare PyTorch loop": [], "plain skorch": [], "imbsk None": [], "imbsk cb_focal": []}
    for _ in range(repeats):
        runs["bare PyTorch loop"].append(np.mean(bare_loop_epoch_seconds(X, y, epochs)))
        runs["plain skorch"].append(np.mean(_net_epoch_seconds(_plain_skorch(X, epochs), X, y)))
        runs["imbsk None"].append(np.mean(_net_epoch_seconds(_imbsk(None, epochs), X, y)))
        runs["imbsk cb_focal"].append(
            np.mean(_net_epoch_seconds(_imbsk("cb_focal", epochs), X, y)))
    bare = statistics.median(runs["bare PyTorch loop"])
    rows = []
    for name, values in runs.items():
        median = statistics.median(values)
        rows.append({"method": name, "epoch_s": median, "ratio_to_bare": median / bare,
                     "samples_per_s": len(X) / median, "runs": [round(v, 4) for v in values]})
    return rows


def difficulty_benchmark(repeats, epochs):
    X, y = make_data()
    runs = {"None": [], "difficulty": []}
    for _ in range(repeats):
        for rebalance, name in [(None, "None"), ("difficulty", "difficulty")]:
            clf = ImbalancedNetClassifier(rebalance=rebalance, module__hidden_units=HIDDEN,
                                          module__dropout=0.0, batch_size=BATCH,
                                          max_epochs=epochs, random_state=0)
            start = time.perf_counter()
            clf.fit(X, y)
            runs[name].append(time.perf_counter() - start)
    base = statistics.median(runs["None"])
    return [{"rebalance": name, "fit_s": statistics.median(v),
             "ratio_to_None": statistics.median(v) / base, "runs": [round(t, 3) for t in v]}
            for name, v in runs.items()]


def grid_benchmark(repeats, epochs):
    X, y = make_data(n=5_000)
    grid = {"beta": [0.9, 0.99, 0.999, 0.9999], "gamma": [0.0, 0.5, 1.0, 2.0]}
    rows = []
    for n_jobs in (1, 2):
        times = []
        for _ in range(repeats):
            search = GridSearchCV(_imbsk("cb_focal", epochs), grid, cv=3, n_jobs=n_jobs,
                                  scoring="balanced_accuracy")
            start = time.perf_counter()
            search.fit(X, y)
            times.append(time.perf_counter() - start)
        rows.append({"n_jobs": n_jobs, "search_s": statistics.median(times),
                     "runs": [round(t, 2) for t in times]})
    rows[1]["speed_up"] = rows[0]["search_s"] / rows[1]["search_s"]
    return rows


def _peak_rss_child(rebalance):
    """Run in a fresh process: peak RSS above the post-import baseline, in MB."""
    import gc  # noqa: F401

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1_000_000, 32), dtype=np.float32)
    y = (X[:, 0] + 0.5 * rng.standard_normal(1_000_000) > 1.6).astype(np.int64)
    data_mb = X.nbytes / 2**20
    clf = _imbsk(rebalance, 1)
    clf.set_params(train_split=ImbalancedNetClassifier().train_split)  # default split
    clf.fit(X, y)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model_mb = sum(p.numel() * p.element_size() for p in clf.module_.parameters()) / 2**20
    print(json.dumps({"rebalance": str(rebalance), "data_MB": data_mb, "model_MB": model_mb,
                      "baseline_MB": baseline, "peak_MB": peak,
                      "peak_above_baseline_MB": peak - baseline,
                      "ratio_to_data": (peak - baseline) / data_mb}))


def memory_benchmark(repeats, epochs):
    rows = []
    for rebalance in ("None", "difficulty"):
        out = subprocess.run([sys.executable, __file__, "_memory_child", rebalance],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


BENCHMARKS = {"epoch": epoch_benchmark, "difficulty": difficulty_benchmark,
              "grid": grid_benchmark, "memory": memory_benchmark}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "_memory_child":
        _peak_rss_child(None if sys.argv[2] == "None" else sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    print(f"# {platform.node()} {platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, {time.strftime('%Y-%m-%d')}")
    for name in BENCHMARKS if args.which == "all" else [args.which]:
        for row in BENCHMARKS[name](args.repeats, args.epochs):
            print(name, json.dumps(row))


if __name__ == "__main__":
    main()
