"""What a loop costs: an Elman RNN's training step with ``scan``, unrolled, and in hand-written NumPy.

    python benchmarks/scan_rnn.py [--steps 100] [--repeats 7]

Prints, in milliseconds (medians of the repeats):

1. one training step (forward, backpropagation through time, SGD update) of an
   Elman RNN, 8 inputs, 32 hidden units, a batch of 16 sequences of ``--steps``
   steps: with ``scan``; with the same network unrolled into a graph of
   ``--steps`` copies of its step; and written by hand in NumPy (forward loop,
   backward loop);
2. the loop's own cost per iteration: a scan whose body adds 1 to a scalar, run
   10,000 times, divided by 10,000 (the goal: under 20 microseconds);
3. the compile time of the training step, with ``scan`` and unrolled.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one thread: steadier times on a shared machine

import numpy as np  # noqa: E402

import minitensor as theano  # noqa: E402
import minitensor.tensor as T  # noqa: E402

N_IN, N_HIDDEN, BATCH, LR = 8, 32, 16, 0.01


def parameters(rng):
    return [rng.normal(0, 0.3, (N_IN, N_HIDDEN)), rng.normal(0, 0.3, (N_HIDDEN, N_HIDDEN)), np.zeros(N_HIDDEN),
            rng.normal(0, 0.3, (N_HIDDEN, 1))]


def step(x_t, h, W_in, W_rec, b, W_out):
    h = T.tanh(T.dot(x_t, W_in) + T.dot(h, W_rec) + b)
    return h, T.dot(h, W_out)


def minitensor_step(values, length, unrolled):
    """The compiled training step and its compile time."""
    params = [theano.shared(v.copy()) for v in values]
    x, y = T.tensor3("x"), T.tensor3("y")
    h0 = T.zeros((x.shape[1], N_HIDDEN))
    if unrolled:
        h, outputs = h0, []
        for t in range(length):
            h, out = step(x[t], h, *params)
            outputs.append(out)
        y_hat = T.stack(outputs)
    else:
        (_, y_hat), _ = theano.scan(step, sequences=x, outputs_info=[h0, None], non_sequences=params)
    cost = T.mean((y_hat - y) ** 2)
    updates = [(p, p - LR * g) for p, g in zip(params, T.grad(cost, params))]
    start = time.perf_counter()
    f = theano.function([x, y], cost, updates=updates)
    return f, time.perf_counter() - start


def numpy_step(values):
    """The same training step written by hand: forward loop, then backward loop."""
    W_in, W_rec, b, W_out = [v.copy() for v in values]

    def train(x, y):
        nonlocal W_in, W_rec, b, W_out
        length = len(x)
        hs = np.zeros((length + 1, x.shape[1], N_HIDDEN))
        for t in range(length):
            hs[t + 1] = np.tanh(x[t] @ W_in + hs[t] @ W_rec + b)
        y_hat = hs[1:] @ W_out
        cost = np.mean((y_hat - y) ** 2)
        g_y = 2 * (y_hat - y) / y.size
        g_W_out = np.einsum("tbh,tbo->ho", hs[1:], g_y)
        g_h_next = np.zeros((x.shape[1], N_HIDDEN))
        g_W_in, g_W_rec, g_b = np.zeros_like(W_in), np.zeros_like(W_rec), np.zeros_like(b)
        for t in range(length - 1, -1, -1):
            g_h = g_y[t] @ W_out.T + g_h_next
            g_a = g_h * (1 - hs[t + 1] ** 2)
            g_W_in += x[t].T @ g_a
            g_W_rec += hs[t].T @ g_a
            g_b += g_a.sum(axis=0)
            g_h_next = g_a @ W_rec.T
        W_in, W_rec, b, W_out = W_in - LR * g_W_in, W_rec - LR * g_W_rec, b - LR * g_b, W_out - LR * g_W_out
        return cost
    return train


def median_ms(f, args, repeats, calls=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            f(*args)
        times.append((time.perf_counter() - start) / calls)
    return 1e3 * statistics.median(times)


def loop_overhead_us(repeats, n=10_000):
    """Microseconds per iteration of a scan whose body is one scalar addition."""
    x0, k = T.dscalar("x0"), T.iscalar("k")
    out, _ = theano.scan(lambda x: x + 1, outputs_info=x0, n_steps=k)
    f = theano.function([x0, k], out)
    return 1e3 * median_ms(f, (0.0, n), repeats, calls=1) / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="sequence length (default 100)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    values = parameters(rng)
    x = rng.normal(size=(args.steps, BATCH, N_IN))
    y = rng.normal(size=(args.steps, BATCH, 1))
    scanned, scan_compile = minitensor_step(values, args.steps, unrolled=False)
    unrolled, unrolled_compile = minitensor_step(values, args.steps, unrolled=True)
    by_hand = numpy_step(values)
    first_costs = [f(x, y) for f in (scanned, unrolled, by_hand)]  # each from the same starting weights
    assert np.allclose(first_costs, first_costs[2]), first_costs
    rows = [("scan", median_ms(scanned, (x, y), args.repeats)),
            ("unrolled", median_ms(unrolled, (x, y), args.repeats)),
            ("hand-written NumPy", median_ms(by_hand, (x, y), args.repeats))]
    print(f"Elman RNN training step, {args.steps} steps, batch {BATCH}, {N_IN} inputs, {N_HIDDEN} hidden units:")
    for name, ms in rows:
        print(f"  {name:20s} {ms:8.2f} ms   ({ms / rows[2][1]:.2f} x NumPy)")
    print(f"loop overhead: {loop_overhead_us(args.repeats):.1f} us per iteration (a scan of x + 1 on a scalar)")
    print(f"compile time of the training step: scan {1e3 * scan_compile:.0f} ms, "
          f"unrolled {1e3 * unrolled_compile:.0f} ms")


if __name__ == "__main__":
    main()
