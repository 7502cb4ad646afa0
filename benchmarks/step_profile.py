"""Where a training step of the default estimator goes (issue "As fast as a forest").

KEEL yeast3 as a user has it (``load_keel``, no scaler), ``ImbalancedNetClassifier(
random_state=0)``: five cross-fitted members, 500-step budget. The whole fit is timed,
then the pieces of one step of the same stacked network, each alone, in a loop of 200
(median of 5 repeats): the batch (member rows gathered), the forward pass, the loss, the
backward pass, the optimizer step; and the per-epoch validation (skorch's validation pass
over the out-of-fold rows and the scoring callbacks) from the history's epoch times. The
arithmetic of a step (6 flops per multiply-add of the 8-64-64-2 MLP and its shortcut, 5
members x 128 rows) is set beside it at the rate of the same stacked matrix products
(``benchmarks/batched_search.py``'s ``stacked_rate``, five members, one thread) measured
in the same run.

    python benchmarks/step_profile.py
"""

import json
import time

import numpy as np
import torch

from batched_search import stacked_rate
from imbsk import ImbalancedNetClassifier
from imbsk.datasets import load_keel


def median_ms(fn, loops=200, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        times.append((time.perf_counter() - start) / loops)
    return float(np.median(times)) * 1e3


def main():
    X, y = load_keel("yeast3", return_X_y=True)
    ImbalancedNetClassifier(random_state=0).fit(X, y)  # warm-up
    start = time.perf_counter()
    clf = ImbalancedNetClassifier(random_state=0).fit(X, y)
    fit_s = time.perf_counter() - start
    train_batches = sum(1 for row in clf.history for b in row["batches"] if "train_loss" in b)
    module, optimizer = clf.module_, clf.optimizer_
    n_features = clf.n_features_in_
    Xt = torch.randn(1187, n_features)
    yt = torch.as_tensor(clf.classes_.searchsorted(np.asarray(y)[:1187]))
    index = torch.randint(0, 1187, (128, 5))
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        batch = lambda: (Xt[index], yt[index])  # noqa: E731
        Xb, yb = batch()
        module.train()

        def forward():
            return module(Xb)

        def loss():
            return clf.get_loss(forward(), yb, training=True)

        def backward():
            optimizer.zero_grad(set_to_none=True)
            loss().backward()

        def full_step():
            backward()
            optimizer.step()

        pieces = {"batch (gather rows)": median_ms(batch),
                  "forward": median_ms(forward),
                  "forward + loss": median_ms(loss),
                  "forward + loss + backward": median_ms(backward),
                  "whole step (+ optimizer)": median_ms(full_step)}
        rate = stacked_rate(5, n_features, 2, repeats=400)  # one thread, as the fit
    durations = np.array(clf.history[:, "dur"])
    per_step_fit_ms = fit_s / train_batches * 1e3
    multiply_adds = n_features * 64 + 64 * 64 + 64 * 2 + n_features * 2
    flops = 6.0 * 5 * 128 * multiply_adds
    print(json.dumps({
        "fit_s": round(fit_s, 3), "epochs": len(clf.history), "train_steps": train_batches,
        "fit_ms_per_train_step": round(per_step_fit_ms, 3),
        "epoch_s_median": round(float(np.median(durations)), 4),
        "pieces_ms": {k: round(v, 3) for k, v in pieces.items()},
        "step_mflop": round(flops / 1e6, 2),
        "stacked_baddbmm_gflops_one_thread": round(rate / 1e9, 1),
        "arithmetic_ms": round(flops / rate * 1e3, 3)}, indent=1))


if __name__ == "__main__":
    main()
