"""How long compiling the tutorial's logistic-regression training function takes.

Builds the graph and its gradient, then times ``theano.function`` (every rewrite
phase, scheduling and planning) and, separately, graph building with ``T.grad``.
Prints medians over repeated runs in milliseconds; the graph compiler's goal is
at most 20 ms for the compile.

    python benchmarks/compile_time.py [--repeats 21]
"""

import argparse
import statistics
import time

import numpy as np

import minitensor as theano
import minitensor.tensor as T


def build(rng):
    x, y = T.matrix("x"), T.vector("y")
    w = theano.shared(rng.randn(784), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    return x, y, w, b, p_1, xent, cost


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    rng = np.random.RandomState(0)
    grad_times, compile_times = [], []
    for _ in range(args.repeats):
        x, y, w, b, p_1, xent, cost = build(rng)
        start = time.perf_counter()
        gw, gb = T.grad(cost, [w, b])
        middle = time.perf_counter()
        train = theano.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
        end = time.perf_counter()
        grad_times.append(middle - start)
        compile_times.append(end - middle)
    nodes = len(train.maker.fgraph.apply_nodes)
    print(f"T.grad            median {1e3 * statistics.median(grad_times):6.2f} ms")
    print(f"theano.function   median {1e3 * statistics.median(compile_times):6.2f} ms "
          f"({len(train.maker.rewrites)} rewrites, {nodes} nodes after)")
    return statistics.median(compile_times)


if __name__ == "__main__":
    main()
