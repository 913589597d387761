"""The benchmark graphs written once in Theano's API, for minitensor and PyTensor alike:
``theano`` is ``minitensor`` or ``pytensor``, ``T`` its tensor module."""

import time

import numpy as np


def logistic(theano, T, data):
    x, y = T.matrix("x", dtype=data.dtype), T.vector("y", dtype=data.dtype)
    w = theano.shared(data.params[0].copy(), name="w")
    b = theano.shared(data.params[1].copy(), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return theano.function([x, y], [prediction, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])


def mlp(theano, T, softmax, data):
    x, t = T.matrix("x", dtype=data.dtype), T.matrix("t", dtype=data.dtype)
    params = [theano.shared(p.copy(), name=name) for p, name in zip(data.params, ["w1", "b1", "w2", "b2"])]
    w1, b1, w2, b2 = params
    h = T.tanh(T.dot(x, w1) + b1)
    p = softmax(T.dot(h, w2) + b2)
    loss = -(t * T.log(p)).sum(axis=1).mean()
    grads = T.grad(loss, params)
    return theano.function([x, t], loss, updates=[(q, q - 0.1 * g) for q, g in zip(params, grads)])


def add_one(theano, T, x):
    v = T.vector("v", dtype=str(x.dtype))
    return theano.function([v], v + 1)


def compile_seconds(theano, T, data, repeats=11):
    """Median seconds of ``theano.function`` for the logistic step (graph and grad built first)."""
    times = []
    for _ in range(repeats):
        x, y = T.matrix("x", dtype=data.dtype), T.vector("y", dtype=data.dtype)
        w = theano.shared(data.params[0].copy(), name="w")
        b = theano.shared(data.params[1].copy(), name="b")
        p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
        xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
        cost = xent.mean() + 0.01 * (w ** 2).sum()
        gw, gb = T.grad(cost, [w, b])
        start = time.perf_counter()
        theano.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
        times.append(time.perf_counter() - start)
    return float(np.median(times))
