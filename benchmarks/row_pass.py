"""Where one pass over X beats BLAS's two products: the tutorial's step in float32, 784 features.

    python -m benchmarks.row_pass              # prints the table and writes docs/row_pass.md
    python -m benchmarks.row_pass --no-write

For each N, the C linker's step with its row pass always on and always off (SWITCH_BYTES set
to 0 and to infinity when compiling), paired against hand-written NumPy (``numpy_best``), one
thread. ``rewriting/rowpass.py``'s ``SWITCH_BYTES`` is chosen from this table.
"""

import os
import platform
import sys
import time

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402

import minitensor as theano  # noqa: E402
import minitensor.tensor as T  # noqa: E402
from benchmarks import common, numpy_best, theano_style  # noqa: E402
from minitensor.rewriting import rowpass  # noqa: E402


def step_with_switch(data, switch):
    saved = rowpass.SWITCH_BYTES
    rowpass.SWITCH_BYTES = switch
    try:
        f = theano_style.logistic(theano, T, data)
    finally:
        rowpass.SWITCH_BYTES = saved
    return lambda: f(data.x, data.y)


def main(argv=None):
    write = "--no-write" not in (sys.argv[1:] if argv is None else argv)
    np.seterr(all="ignore")
    load_before = os.getloadavg()
    lines = ["| N | X | numpy_best | one pass | BLAS twice |", "|---|---|---|---|---|"]
    print(f"{'N':>8} {'X MB':>7} {'numpy_best':>11} {'one pass':>15} {'BLAS twice':>15}")
    for n in (400, 1000, 2000, 4000, 10000, 40000, 100000):
        data = common.logistic_problem(n, 784, "float32")
        calls = max(3, 400_000 // n)
        steps = {"numpy_best": numpy_best.logistic(data), "one pass": step_with_switch(data, 0),
                 "BLAS twice": step_with_switch(data, float("inf"))}
        times, ratios, _ = common.paired_medians(steps, "numpy_best", calls, 7)
        print(f"{n:>8} {data.x.nbytes / 1e6:>7.1f} {times['numpy_best'] * 1e6:>9.0f}us "
              + " ".join(f"{times[k] * 1e6:>8.0f}us {ratios[k]:.2f}x" for k in ("one pass", "BLAS twice")),
              flush=True)
        lines.append(f"| {n:,} | {data.x.nbytes / 1e6:.1f} MB | {times['numpy_best'] * 1e3:.2f} ms | "
                     + " | ".join(f"{times[k] * 1e3:.2f} ms ({ratios[k]:.2f}x)" for k in ("one pass", "BLAS twice"))
                     + " |")
    if write:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "row_pass.md")
        with open(root, "w") as file:
            file.write("# One pass over X: where it beats BLAS\n\n"
                       "Written by `python -m benchmarks.row_pass`. The tutorial's training step in float32 with "
                       "784 features, compiled by the C linker with its row pass always on (`one pass`) and always "
                       "off (`BLAS twice`: two matrix-vector products around the fused loop), each paired against "
                       "hand-written NumPy (`numpy_best`), one thread; median of 7 repeats, ratio to `numpy_best` "
                       "in parentheses. `SWITCH_BYTES` in `minitensor/rewriting/rowpass.py` is chosen from it.\n\n"
                       f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores, "
                       f"numpy {np.__version__}; load average {load_before[0]:.1f} before and "
                       f"{os.getloadavg()[0]:.1f} after.\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
