"""minitensor: the graphs of ``theano_style.py``, compiled with the default mode (FAST_RUN)."""

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
