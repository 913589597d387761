"""How long asking for the shape of an expression takes: ``(x ** 2).shape`` of a large x.

Shape inference (``minitensor/rewriting/shapes.py``) compiles the shape of an
expression to the shapes of its inputs, so the call costs the same for any size
of x: microseconds, against the milliseconds of computing ``x ** 2`` itself.
Prints medians over repeated calls, in microseconds.

    python -m benchmarks.shape_query [--size 10000000] [--repeats 101]
"""

import argparse
import statistics
import time

import numpy as np

import minitensor as theano
import minitensor.tensor as T


def median_microseconds(call, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10 ** 7)
    parser.add_argument("--repeats", type=int, default=101)
    args = parser.parse_args()
    x = T.matrix("x")
    value = np.zeros((1000, args.size // 1000), dtype=theano.config.floatX)
    shape = theano.function([x], (x ** 2).shape)
    square = theano.function([x], x ** 2)
    print(f"(x ** 2).shape of a {value.shape} x: {median_microseconds(lambda: shape(value), args.repeats):.1f} us")
    print(f"x ** 2 itself:                     {median_microseconds(lambda: square(value), 5):.1f} us")


if __name__ == "__main__":
    main()
