"""What every benchmark script shares: the problems, their data, and how to time them.

Each system's script (``numpy_best.py``, ``minitensor_bench.py``, ``jax_bench.py``, ...)
defines the same builders, each returning a callable that takes one step:

* ``logistic(data)``: one gradient step of the Theano tutorial's logistic regression
  (predictions and per-point cross-entropy returned, ``w`` and ``b`` updated);
* ``mlp(data)``: one gradient step of a two-layer tanh network with a softmax
  cross-entropy (a graph no rewrite rule was written for);
* ``add_one(x)``: a call of the compiled ``f(x) = x + 1``, for the per-call overhead;
* ``compile_logistic(data)``: seconds to compile the logistic training step (optional).

A script whose library is not installed sets ``AVAILABLE = False`` and is skipped.
"""

import statistics
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np


@dataclass
class Problem:
    """Data and initial parameters, as NumPy arrays of ``dtype``."""

    name: str
    dtype: str
    x: np.ndarray
    y: np.ndarray  # 0/1 targets (logistic) or one-hot rows (mlp)
    params: list  # initial parameters, copied by each system


def logistic_problem(n, features, dtype, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, features).astype(dtype)
    y = rng.randint(0, 2, size=n).astype(dtype)
    return Problem(f"logistic {n}x{features} {dtype}", dtype, x, y,
                   [rng.randn(features).astype(dtype), np.asarray(0.0, dtype=dtype)])


def mlp_problem(n, features, hidden, classes, dtype, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, features).astype(dtype)
    y = np.eye(classes, dtype=dtype)[rng.randint(0, classes, size=n)]
    scale1, scale2 = 1 / np.sqrt(features), 1 / np.sqrt(hidden)
    params = [(rng.randn(features, hidden) * scale1).astype(dtype), np.zeros(hidden, dtype),
              (rng.randn(hidden, classes) * scale2).astype(dtype), np.zeros(classes, dtype)]
    return Problem(f"mlp {n}x{features}-{hidden}-{classes} {dtype}", dtype, x, y, params)


def seconds_per_call(step, calls):
    """Seconds per call of ``step``, over ``calls`` calls in a row."""
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls


def interleaved_medians(steps, calls, repeats):
    """{name: median seconds per call} for the callables in ``steps``, timed in turn in each
    repeat, so that a change in the machine's load falls on all of them alike."""
    times = {name: [] for name in steps}
    for name, step in steps.items():
        step()  # warm up: first-call compilation, caches, allocations
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(seconds_per_call(step, calls))
    return {name: statistics.median(values) for name, values in times.items()}


def paired_medians(steps, baseline, calls, repeats):
    """({name: median seconds per call}, {name: median ratio to ``baseline``}, {name: (the
    lowest, the highest) of its ratios over the repeats}) for the callables in ``steps``,
    ``baseline`` and at least one other. In each repeat every other
    callable runs next to a block of ``steps[baseline]`` of its own (after it in even
    repeats, before it in odd ones, so that going first or second favours neither), and its
    ratio for the repeat is to that neighbour: a change in the machine's load between
    blocks then falls on both sides of a ratio. The baseline's median time is over all its
    blocks, so a ratio need not be the quotient of the two median times."""
    times = {name: [] for name in steps}
    ratios = {name: [] for name in steps if name != baseline}
    for step in steps.values():
        step()  # warm up
    for repeat in range(repeats):
        for name in ratios:
            pair = (baseline, name) if repeat % 2 == 0 else (name, baseline)
            for member in pair:
                times[member].append(seconds_per_call(steps[member], calls))
            ratios[name].append(times[name][-1] / times[baseline][-1])
    medians = {name: statistics.median(values) for name, values in times.items()}
    return (medians, {name: statistics.median(values) for name, values in ratios.items()},
            {name: (min(values), max(values)) for name, values in ratios.items()})


def peak_bytes(step):
    """The most memory that NumPy arrays (and anything else tracemalloc sees) held during one
    call of ``step``, above what was held before it. Libraries that allocate outside
    Python's allocators (PyTorch, JAX) are invisible to it."""
    step()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base
