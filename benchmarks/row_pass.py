"""Where one pass over X beats BLAS's two products: the tutorial's step in float32, 784 features.

    python -m benchmarks.row_pass

For each N, the C linker's step with its row pass always on and always off (SWITCH_BYTES set
to 0 and to infinity when compiling), paired against hand-written NumPy (``numpy_best``), one
thread. ``rewriting/rowpass.py``'s ``SWITCH_BYTES`` is chosen from this table.
"""

import os

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


def main():
    np.seterr(all="ignore")
    print(f"{'N':>8} {'X MB':>7} {'numpy_best':>11} {'one pass':>15} {'BLAS twice':>15}")
    for n in (400, 1000, 2000, 4000, 10000, 40000, 100000):
        data = common.logistic_problem(n, 784, "float32")
        calls = max(3, 400_000 // n)
        steps = {"numpy_best": numpy_best.logistic(data), "one pass": step_with_switch(data, 0),
                 "BLAS twice": step_with_switch(data, float("inf"))}
        times, ratios = common.paired_medians(steps, "numpy_best", calls, 7)
        print(f"{n:>8} {data.x.nbytes / 1e6:>7.1f} {times['numpy_best'] * 1e6:>9.0f}us "
              + " ".join(f"{times[k] * 1e6:>8.0f}us {ratios[k]:.2f}x" for k in ("one pass", "BLAS twice")),
              flush=True)


if __name__ == "__main__":
    main()
