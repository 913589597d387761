"""Hand-written NumPy, the best we could write: analytic gradients, preallocated ``out=``
buffers for every intermediate, fresh arrays only for what is returned. The yardstick."""

import numpy as np

AVAILABLE = True


def logistic(data):
    x, y = data.x, data.y
    w, b = data.params[0].copy(), data.params[1].copy()
    n, dtype = len(x), data.dtype
    z, p, g, gw = np.empty(n, dtype), np.empty(n, dtype), np.empty(n, dtype), np.empty(len(w), dtype)
    scale = np.asarray(1.0 / n, dtype)

    def step():
        np.dot(x, w, out=z)
        np.add(z, b, out=z)
        np.negative(z, out=p)  # p = 1 / (1 + exp(-z))
        np.exp(p, out=p)
        np.add(p, 1, out=p)
        np.reciprocal(p, out=p)
        prediction = p > 0.5
        xent = np.log(p)  # -y log p - (1 - y) log(1 - p)
        xent *= y
        np.subtract(1, p, out=g)
        np.log(g, out=g)
        np.multiply(g, 1 - y, out=g)
        xent += g
        np.negative(xent, out=xent)
        np.subtract(p, y, out=g)  # d cost / dz = (p - y) / n
        np.multiply(g, scale, out=g)
        np.dot(x.T, g, out=gw)
        np.add(gw, 0.02 * w, out=gw)
        np.multiply(gw, 0.1, out=gw)
        np.subtract(w, gw, out=w)
        b[...] = b - 0.1 * g.sum()
        return prediction, xent
    return step


def mlp(data):
    x, t = data.x, data.y
    w1, b1, w2, b2 = [p.copy() for p in data.params]
    n, dtype = len(x), data.dtype
    h, logits = np.empty((n, len(b1)), dtype), np.empty((n, len(b2)), dtype)
    dh, gw1, gw2 = np.empty_like(h), np.empty_like(w1), np.empty_like(w2)
    largest, total = np.empty((n, 1), dtype), np.empty((n, 1), dtype)

    def step():
        np.dot(x, w1, out=h)
        np.add(h, b1, out=h)
        np.tanh(h, out=h)
        np.dot(h, w2, out=logits)
        np.add(logits, b2, out=logits)
        np.max(logits, axis=1, keepdims=True, out=largest)
        np.subtract(logits, largest, out=logits)
        np.exp(logits, out=logits)  # now the unnormalised probabilities
        np.sum(logits, axis=1, keepdims=True, out=total)
        np.true_divide(logits, total, out=logits)  # softmax
        loss = -np.sum(t * np.log(logits)) / n
        np.subtract(logits, t, out=logits)  # d loss / d logits, times n
        np.true_divide(logits, n, out=logits)
        np.dot(h.T, logits, out=gw2)
        gb2 = logits.sum(axis=0)
        np.dot(logits, w2.T, out=dh)
        np.multiply(h, h, out=h)  # h is dead now: 1 - h^2, the derivative of tanh
        np.subtract(1, h, out=h)
        np.multiply(dh, h, out=dh)
        np.dot(x.T, dh, out=gw1)
        gb1 = dh.sum(axis=0)
        for param, grad in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            grad *= 0.1
            param -= grad
        return loss
    return step


def add_one(x):
    def f(v):
        return v + 1
    return lambda: f(x)
