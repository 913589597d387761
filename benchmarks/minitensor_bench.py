"""minitensor: the graphs of ``theano_style.py``, compiled with the default mode (FAST_RUN) and
the default linker (the C linker where g++ is found; ``minitensor_py_bench.py`` has the other)."""

import tempfile

import minitensor as theano
import minitensor.tensor as T

from benchmarks import theano_style

AVAILABLE = True


def logistic(data):
    f = theano_style.logistic(theano, T, data)
    return lambda: f(data.x, data.y)


def mlp(data):
    f = theano_style.mlp(theano, T, T.nnet.softmax, data)
    return lambda: f(data.x, data.y)


def add_one(x):
    f = theano_style.add_one(theano, T, x)
    return lambda: f(x)


def compile_logistic(data):
    return theano_style.compile_seconds(theano, T, data)


def compile_logistic_cold(data):
    """Seconds of the first compile ever: an empty cache, so every fused node is compiled by g++."""
    with tempfile.TemporaryDirectory() as folder, theano.change_flags(compiledir=folder):
        from minitensor.backends import c
        saved = dict(c._backends)
        c._backends.clear()  # forget what this process loaded
        try:
            return theano_style.compile_seconds(theano, T, data, repeats=1)
        finally:
            c._backends.clear()
            c._backends.update(saved)
