"""An Elman recurrent network trained with ``scan`` to echo its input three steps late.

The task is made here: sequences of random numbers x[t] in [-1, 1], and the target
y[t] = x[t - 3] (zero for the first three steps). To answer, the network must keep
the last three inputs in its hidden state h::

    h[t] = tanh(x[t] W_in + h[t-1] W_rec + b)        (the Elman step, one scan)
    y_hat[t] = h[t] W_out + c

The loss is the mean squared error over every step of every sequence; its gradient
is backpropagation through time, which ``T.grad`` builds as another scan. Training
uses Adam on minibatches: the scan runs over time, each step on a batch of rows.

Run it with ``python examples/elman_rnn.py`` (a few seconds): the loss falls from
about 0.3 (the variance of the target is 1/3) to about 0.001 in 300 steps.
``tests/test_examples_rnn.py`` checks the gradients against finite differences and
against the same network unrolled in a Python loop.
"""

import argparse

import numpy as np

import minitensor as theano
import minitensor.tensor as T

DELAY = 3


def make_data(rng, n_sequences, length):
    """Inputs of shape (length, n_sequences, 1) and the targets, the inputs DELAY steps late."""
    x = rng.uniform(-1, 1, (length, n_sequences, 1))
    y = np.zeros_like(x)
    y[DELAY:] = x[:-DELAY]
    return x, y


def init_params(rng, n_in=1, n_hidden=24, n_out=1):
    """The weights, as shared variables, in a fixed order: W_in, W_rec, b, W_out, c."""
    def weights(*shape, scale):
        return rng.normal(0, scale, shape)
    values = [weights(n_in, n_hidden, scale=1.0), weights(n_hidden, n_hidden, scale=1 / np.sqrt(n_hidden)),
              np.zeros(n_hidden), weights(n_hidden, n_out, scale=1 / np.sqrt(n_hidden)), np.zeros(n_out)]
    return [theano.shared(v, name=n) for v, n in zip(values, ["W_in", "W_rec", "b", "W_out", "c"])]


def elman_step(x_t, h_prev, W_in, W_rec, b, W_out, c):
    """One step: the new hidden state (fed back) and the prediction (not fed back)."""
    h = T.tanh(T.dot(x_t, W_in) + T.dot(h_prev, W_rec) + b)
    return h, T.dot(h, W_out) + c


def predictions(x, params):
    """The network's outputs for every step of the inputs x (time, batch, features), with scan."""
    h0 = T.zeros((x.shape[1], params[1].shape[0]))
    (_, y_hat), _ = theano.scan(elman_step, sequences=x, outputs_info=[h0, None], non_sequences=params)
    return y_hat


def unrolled_predictions(x, params, length):
    """The same network as a Python loop of ``length`` steps: a graph as long as the sequence."""
    h = T.zeros((x.shape[1], params[1].shape[0]))
    outputs = []
    for t in range(length):
        h, y_hat = elman_step(x[t], h, *params)
        outputs.append(y_hat)
    return T.stack(outputs)


def loss(prediction, y):
    return T.mean((prediction - y) ** 2)


def adam_updates(params, grads, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam's updates of ``params``: its moment estimates are shared variables too."""
    t = theano.shared(np.float64(0.0), name="t")
    updates = [(t, t + 1)]
    for p, g in zip(params, grads):
        m = theano.shared(np.zeros_like(p.get_value()), name=f"m_{p.name}")
        v = theano.shared(np.zeros_like(p.get_value()), name=f"v_{p.name}")
        m_new, v_new = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g ** 2
        step = lr * T.sqrt(1 - beta2 ** (t + 1)) / (1 - beta1 ** (t + 1))
        updates += [(m, m_new), (v, v_new), (p, p - step * m_new / (T.sqrt(v_new) + eps))]
    return updates


def train(steps=300, batch=32, length=20, seed=0, report=None):
    """Train on fresh minibatches; returns the losses, one per step."""
    rng = np.random.default_rng(seed)
    params = init_params(rng)
    x, y = T.tensor3("x"), T.tensor3("y")
    cost = loss(predictions(x, params), y)
    train_step = theano.function([x, y], cost, updates=adam_updates(params, T.grad(cost, params)))
    losses = []
    for step in range(steps):
        losses.append(float(train_step(*make_data(rng, batch, length))))
        if report is not None and step % report == 0:
            print(f"step {step:4d}: loss {losses[-1]:.4f}")
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    args = parser.parse_args(argv)
    losses = train(args.steps, report=50)
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    print(f"mean loss of the first 10 steps {first:.4f}, of the last 10 {last:.4f}")
    return losses


if __name__ == "__main__":
    main()
