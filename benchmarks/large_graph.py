"""Limits: graphs of 10,000 nodes build, differentiate, compile, run and pickle.

Every graph walk in minitensor is iterative, so depth is limited by memory, not
by Python's recursion limit (1000 frames). This script times three graphs of
about 10,000 nodes:

* ``deep``: a chain ``y = tanh(y) + x`` repeated, 10,000 nodes deep;
* ``wide``: a balanced tree of sums of 5,000 terms ``w_i * x``, each reading its own
  shared vector;
* ``grad``: the gradient of a 2,500-step chain (about 10,000 nodes with it);
* ``rnn``: an unrolled recurrent net, ``h = tanh(h . W + x_t . U + 0.1)``, and the
  gradients of its cost with respect to ``W`` and ``U`` (500 steps, about 9,000 nodes):
  hundreds of small fused groups, one per step, which once made fusion quadratic in
  the number of steps (a 200-step net took 4 s to compile, 0.3 s without fusion).

For each it reports the time to build the graph (and its gradient), to compile it
with FAST_COMPILE and FAST_RUN, to run it once, and to pickle and unpickle the
compiled function, in seconds (one run each: these are minutes-scale questions,
not microbenchmarks).

    python benchmarks/large_graph.py [--nodes 10000]
"""

import argparse
import pickle
import sys
import time

import numpy as np

import minitensor as theano
import minitensor.tensor as T
from minitensor.graph import toposort


def deep(nodes):
    x = T.dvector("x")
    y = x
    for _ in range(nodes // 2):
        y = T.tanh(y) + x
    return [x], y


def wide(nodes):
    x = T.dvector("x")
    terms = [theano.shared(np.full(3, 1.0 / (i + 1)), name=f"w{i}") * x for i in range(nodes // 2)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return [x], terms[0]


def grad(nodes):
    x = T.dvector("x")
    y = x
    for _ in range(nodes // 8):
        y = T.tanh(y) * 0.5 + x
    return [x], T.grad(y.sum(), x)


def rnn(nodes):
    steps = max(1, nodes // 20)
    xs = T.dmatrix("xs")
    w = theano.shared(np.eye(3) * 0.5, name="W")
    u = theano.shared(np.eye(3), name="U")
    h = xs[0] * 0.0
    for t in range(steps):
        h = T.tanh(T.dot(h, w) + T.dot(xs[t], u) + 0.1)
    cost = T.sum(h ** 2)
    return [xs], T.add(*[T.sum(g) for g in T.grad(cost, [w, u])])


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def measure(name, make, nodes):
    (inputs, output), build = timed(lambda: make(nodes))
    row = {"graph": name, "nodes": len(toposort([output])), "build": build}
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f, row[mode] = timed(lambda: theano.function(inputs, output, mode=mode))
    argument = np.linspace(-1, 1, 3) if inputs[0].ndim == 1 else np.ones((max(1, nodes // 20), 3))
    _, row["run"] = timed(lambda: f(argument))
    saved, row["pickle"] = timed(lambda: pickle.dumps(f))
    _, row["unpickle"] = timed(lambda: pickle.loads(saved))
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10000)
    args = parser.parse_args(argv)
    print(f"Python recursion limit: {sys.getrecursionlimit()}")
    columns = ["graph", "nodes", "build", "FAST_COMPILE", "FAST_RUN", "run", "pickle", "unpickle"]
    print(" ".join(f"{c:>12}" for c in columns) + "   (seconds)")
    rows = []
    for name, make in (("deep", deep), ("wide", wide), ("grad", grad), ("rnn", rnn)):
        row = measure(name, make, args.nodes)
        rows.append(row)
        print(" ".join(f"{row[c]:>12}" if isinstance(row[c], (str, int)) else f"{row[c]:>12.3f}" for c in columns))
    return rows


if __name__ == "__main__":
    main()
