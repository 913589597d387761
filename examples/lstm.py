"""An LSTM trained with ``scan`` on the adding problem, a task that needs a long memory.

The task is made here. Each sequence has two channels: a random value in [0, 1] at
every step, and a marker that is 1 at exactly two steps (one in each half) and 0
elsewhere. The target, read at the last step only, is the sum of the two marked
values: the network must notice them, keep them, and add them, however far apart.
Always answering 1 gives a loss of about 1/6, the target's variance.

The LSTM step (one scan, two outputs fed back: the hidden state h and the cell c)::

    i, f, o = sigmoid(x W_* + h U_* + b_*)       (input, forget and output gates)
    c[t] = f * c[t-1] + i * tanh(x W_g + h U_g + b_g)
    h[t] = o * tanh(c[t])

with the four gates' weights in one matrix, sliced after one product, as the
LSTM tutorial of deeplearning.net advises. Only ``h[-1]`` is read, but training
needs its gradient through every step: backpropagation through time, another scan.

Run it with ``python examples/lstm.py`` (a few seconds): the loss falls from about
0.25 over the first 20 steps to about 0.001 over the last 20. ``tests/test_examples_rnn.py`` checks its
gradients against finite differences and against the network unrolled in Python.
"""

import argparse

import numpy as np

import minitensor as theano
import minitensor.tensor as T
from minitensor.tensor.nnet import sigmoid

from elman_rnn import adam_updates  # noqa: E402  (the same optimiser as the Elman example)


def make_data(rng, n_sequences, length):
    """Inputs of shape (length, n_sequences, 2) and targets of shape (n_sequences, 1)."""
    values = rng.uniform(0, 1, (length, n_sequences))
    markers = np.zeros((length, n_sequences))
    first = rng.integers(0, length // 2, n_sequences)
    second = rng.integers(length // 2, length, n_sequences)
    markers[first, np.arange(n_sequences)] = 1
    markers[second, np.arange(n_sequences)] = 1
    targets = (values * markers).sum(axis=0)[:, None]
    return np.stack([values, markers], axis=-1), targets


def init_params(rng, n_in=2, n_hidden=32):
    """W (inputs to the four gates), U (hidden state to them), b, and the readout V, d."""
    W = rng.normal(0, 1 / np.sqrt(n_in), (n_in, 4 * n_hidden))
    U = rng.normal(0, 1 / np.sqrt(n_hidden), (n_hidden, 4 * n_hidden))
    b = np.zeros(4 * n_hidden)
    b[n_hidden:2 * n_hidden] = 1.0  # forget gates start open: remembering is the default
    V = rng.normal(0, 1 / np.sqrt(n_hidden), (n_hidden, 1))
    return [theano.shared(v, name=n) for v, n in zip([W, U, b, V, np.zeros(1)], ["W", "U", "b", "V", "d"])]


def lstm_step(x_t, h_prev, c_prev, W, U, b):
    n = U.shape[0]
    gates = T.dot(x_t, W) + T.dot(h_prev, U) + b
    i, f, o = sigmoid(gates[:, :n]), sigmoid(gates[:, n:2 * n]), sigmoid(gates[:, 2 * n:3 * n])
    c = f * c_prev + i * T.tanh(gates[:, 3 * n:])
    return o * T.tanh(c), c


def prediction(x, params):
    """The readout of the last hidden state, for inputs x of shape (time, batch, 2)."""
    W, U, b, V, d = params
    zeros = T.zeros((x.shape[1], U.shape[0]))
    (h, _), _ = theano.scan(lstm_step, sequences=x, outputs_info=[zeros, zeros], non_sequences=[W, U, b])
    return T.dot(h[-1], V) + d


def unrolled_prediction(x, params, length):
    """The same network as a Python loop of ``length`` steps."""
    W, U, b, V, d = params
    h = c = T.zeros((x.shape[1], U.shape[0]))
    for t in range(length):
        h, c = lstm_step(x[t], h, c, W, U, b)
    return T.dot(h, V) + d


def loss(prediction, y):
    return T.mean((prediction - y) ** 2)


def train(steps=600, batch=32, length=12, seed=0, report=None):
    """Train on fresh minibatches; returns the losses, one per step."""
    rng = np.random.default_rng(seed)
    params = init_params(rng)
    x, y = T.tensor3("x"), T.dmatrix("y")
    cost = loss(prediction(x, params), y)
    train_step = theano.function([x, y], cost, updates=adam_updates(params, T.grad(cost, params), lr=0.01))
    losses = []
    for step in range(steps):
        losses.append(float(train_step(*make_data(rng, batch, length))))
        if report is not None and step % report == 0:
            print(f"step {step:4d}: loss {losses[-1]:.4f}")
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps (default 600)")
    args = parser.parse_args(argv)
    losses = train(args.steps, report=50)
    first, last = np.mean(losses[:20]), np.mean(losses[-20:])
    print(f"mean loss of the first 20 steps {first:.4f}, of the last 20 {last:.4f}")
    return losses


if __name__ == "__main__":
    main()
