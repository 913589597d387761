"""Determinism: the same seeds give bit-identical results, run after run, on NumPy.

Runs in separate processes use different ``PYTHONHASHSEED`` values, so a result
that depended on the order of a set or of a dict keyed by strings (the order in
which rewrites are tried, say) would show up as a difference.
"""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.tensor.shared_randomstreams import RandomStreams

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Trains a small model on random data with dropout-like noise from RandomStreams, and prints
# every number it computed as exact hexadecimal floats.
TRAINING_SCRIPT = """
import numpy as np
import minitensor as theano
import minitensor.tensor as T
from minitensor.tensor.shared_randomstreams import RandomStreams

rng = np.random.RandomState(7)
x, y = T.dmatrix("x"), T.dvector("y")
w = theano.shared(rng.randn(5), name="w")
b = theano.shared(0.0, name="b")
srng = RandomStreams(seed=1234)
keep = srng.binomial((5,), p=0.8, dtype="float64")
p = T.nnet.sigmoid(T.dot(x, w * keep) + b + srng.normal((), std=0.01))
cost = T.nnet.binary_crossentropy(p, y).mean() + 0.01 * T.sqr(w).sum()
gw, gb = T.grad(cost, [w, b])
train = theano.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
data, labels = rng.randn(20, 5), (rng.rand(20) > 0.5).astype("float64")
costs = [float(train(data, labels)) for _ in range(20)]
print(" ".join(c.hex() for c in costs))
print(" ".join(float(v).hex() for v in w.get_value()), float(b.get_value()).hex())
print(" ".join(float(v).hex() for v in theano.function([], srng.uniform((3,)))()))
"""


def run(arguments, hash_seed):
    result = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, cwd=ROOT,
                            env=dict(os.environ, PYTHONHASHSEED=str(hash_seed)), timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_random_streams_with_one_seed_draw_the_same_numbers():
    def draws():
        srng = RandomStreams(seed=99)
        f = theano.function([], [srng.uniform((2, 3)), srng.normal((4,)), srng.binomial((5,), p=0.3)])
        return [f() for _ in range(3)]

    for first, second in zip(draws(), draws()):
        for a, b in zip(first, second):
            assert a.tobytes() == b.tobytes()


def test_reseeding_restarts_every_stream():
    srng = RandomStreams(seed=5)
    f = theano.function([], srng.normal((3,)))
    first = [f().tobytes() for _ in range(2)]
    srng.seed(5)
    assert [f().tobytes() for _ in range(2)] == first


def test_a_training_run_gives_the_same_bits_in_every_process():
    outputs = [run(["-c", TRAINING_SCRIPT], hash_seed) for hash_seed in (0, 1, 12345)]
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0].split()) == 20 + 6 + 3


@pytest.mark.numpy_only("it runs fresh Python processes, which have no stand-in for CuPy")
def test_the_tutorial_example_prints_the_same_numbers_every_time():
    def printed(hash_seed):
        text = run([str(ROOT / "examples" / "logistic.py"), "--steps", "3"], hash_seed)
        return re.sub(r"\([\d.]+ s, [\d.]+ ms a step\)", "(time)", text)  # the only line that may differ

    first = printed(0)
    assert "final cost" in first and "training accuracy" in first
    assert printed(1) == first


def test_compiling_the_same_graph_twice_gives_the_same_program():
    x = T.dmatrix("x")
    w = theano.shared(np.linspace(-1, 1, 3), name="w")
    cost = T.nnet.softplus(-T.dot(x, w)).sum() + T.log(1 - T.nnet.sigmoid(T.dot(x, w))).sum()
    f, g = theano.function([x], [cost, T.grad(cost, w)]), theano.function([x], [cost, T.grad(cost, w)])
    assert [str(r) for r in f.maker.rewrites] == [str(r) for r in g.maker.rewrites]
    value = np.arange(6.0).reshape(2, 3) / 7
    for a, b in zip(f(value), g(value)):
        assert a.tobytes() == b.tobytes()
