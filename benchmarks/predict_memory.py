"""Peak memory of ``predict_proba`` on 5,000,000 x 32 rows (run by hand; RESULTS.md §8).

    python benchmarks/predict_memory.py                 # float32 and float64 input
    python benchmarks/predict_memory.py --rows 1000000  # smaller

Each measurement runs in a fresh process: X is built in place (no temporaries), a model
is fitted on its first 2,000 rows, then the kernel's peak-RSS counter is reset (writing
5 to /proc/self/clear_refs) and read back (VmHWM) around ``predict_proba``. The figure
is the peak increase over the RSS before the call, against the size of the result.
"""

import argparse
import json
import platform
import subprocess
import sys

MIB = 2**20


def _status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(rows, dtype, batch_size):
    import numpy as np
    import torch

    from imbsk import ImbalancedNetClassifier

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = np.empty((rows, 32), dtype=dtype)
    for start in range(0, rows, 100_000):  # filled block by block: no whole temporary
        X[start:start + 100_000] = rng.standard_normal((min(100_000, rows - start), 32))
    y = (X[:2000, 0] + 0.5 * X[:2000, 1] > 1.2).astype(int)
    clf = ImbalancedNetClassifier(max_epochs=2, batch_size=batch_size, random_state=0)
    clf.fit(X[:2000], y)
    clf.predict_proba(X[:1000])  # warm-up: lazy allocations of torch's first batches
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    proba = clf.predict_proba(X)
    peak = _status("VmHWM")
    batch_bytes = batch_size * 32 * 4
    return {"rows": rows, "input_dtype": np.dtype(dtype).name, "batch_size": batch_size,
            "output_mib": proba.nbytes / MIB, "peak_increase_mib": (peak - before) / MIB,
            "one_batch_mib": batch_bytes / MIB,
            "ratio_to_output": (peak - before) / proba.nbytes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.rows, args.child, args.batch_size)))
        return
    print(f"{platform.processor() or platform.machine()}, python {platform.python_version()}")
    for dtype in ("float32", "float64"):
        for _ in range(args.repeats):
            out = subprocess.run([sys.executable, __file__, "--rows", str(args.rows),
                                  "--batch-size", str(args.batch_size), "--child", dtype],
                                 capture_output=True, text=True, check=True).stdout
            result = json.loads(out.splitlines()[-1])
            print(f"{dtype} input: output {result['output_mib']:.1f} MiB, peak increase "
                  f"{result['peak_increase_mib']:.1f} MiB = {result['ratio_to_output']:.2f}x "
                  f"the output (one batch of X: {result['one_batch_mib']:.3f} MiB)")


if __name__ == "__main__":
    main()
