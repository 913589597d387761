"""Logistic regression, Theano's tutorial example, run on minitensor.

This is the tutorial "A Real Example: Logistic Regression" from deeplearning.net,
together with the logistic-function example from "More examples". The code is
Theano's, with only the imports changed::

    import minitensor as theano
    import minitensor.tensor as T

It has three parts:

1. the logistic function s(x) = 1 / (1 + exp(-x)), compiled and evaluated, and
   the identity s(x) = (1 + tanh(x / 2)) / 2 checked on the same inputs;
2. a logistic regression model trained by gradient descent on random data
   (400 points with 784 features and random 0/1 labels: with more features
   than points, the model can learn every label);
3. optionally, a plot of the logistic function (``--plot logistic.png``).

Run it with ``python examples/logistic.py``; ``--help`` lists the options.
"""

import argparse
import sys
import time

import numpy

import minitensor as theano
import minitensor.tensor as T

N = 400  # training sample size
FEATS = 784  # number of input variables
PRINT_EVERY = 1000  # steps between two printed costs


# --- 1. The logistic function ----------------------------------------------------------------

def logistic_functions():
    """Compile the logistic function twice: from exp, and from the tanh identity.

    Returns the two compiled functions, each taking a matrix.
    """
    x = T.matrix('x')  # the tutorial's T.dmatrix, made floatX so --dtype applies here too
    s = 1 / (1 + T.exp(-x))
    s2 = (1 + T.tanh(x / 2)) / 2
    return theano.function([x], s), theano.function([x], s2)


def show_logistic(logistic, logistic2):
    """Print both versions of the logistic function on the tutorial's inputs."""
    inputs = [[0, 1], [-1, -2]]
    values, values2 = logistic(inputs), logistic2(inputs)
    print("logistic([[0, 1], [-1, -2]]) with s = 1 / (1 + exp(-x)):")
    print(values)
    print("the same with s2 = (1 + tanh(x / 2)) / 2:")
    print(values2)
    print("s and s2 agree:", numpy.allclose(values, values2))
    return values


# --- 2. Logistic regression ------------------------------------------------------------------

def make_dataset(rng, floatX):
    """N random points with FEATS features, and a random 0/1 label for each.

    The features are cast to ``floatX``; the labels stay integers, for printing.
    """
    inputs = rng.randn(N, FEATS).astype(floatX)
    labels = rng.randint(size=N, low=0, high=2)
    return inputs, labels


def build_model(rng, floatX):
    """The tutorial's graph; returns the shared ``w``, ``b`` and the compiled functions.

    ``train(x, y)`` takes one gradient step and returns the predictions and the
    per-point cross-entropy before the step; ``predict(x)`` returns predictions;
    ``compute_cost(x, y)`` returns the cost being minimised.
    """
    # Declare the symbolic inputs: T.matrix and T.vector have dtype floatX.
    x = T.matrix("x")
    y = T.vector("y")

    # The weights and bias are shared so they keep their values between calls.
    # Both are made floatX, so a float32 run does not become float64 through them.
    w = theano.shared(rng.randn(FEATS).astype(floatX), name="w")
    b = theano.shared(numpy.asarray(0., dtype=floatX), name="b")

    # The expression graph.
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # probability that the target is 1
    prediction = p_1 > 0.5  # the prediction, thresholded
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross-entropy loss
    cost = xent.mean() + 0.01 * (w ** 2).sum()  # the cost to minimise (with weight decay)
    gw, gb = T.grad(cost, [w, b])  # its gradient with respect to w and b

    # Compile. allow_input_downcast lets the float64 data (or int labels) of
    # NumPy be passed to a float32 graph.
    train = theano.function(
        inputs=[x, y],
        outputs=[prediction, xent],
        updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)),
        allow_input_downcast=True)
    predict = theano.function(inputs=[x], outputs=prediction, allow_input_downcast=True)
    compute_cost = theano.function(inputs=[x, y], outputs=cost, allow_input_downcast=True)
    return w, b, train, predict, compute_cost


def train_model(train, compute_cost, inputs, targets, steps):
    """Run ``steps`` gradient steps, printing the cost every PRINT_EVERY steps.

    Returns the list of (step, cost) pairs printed, each cost measured before
    that step.
    """
    history = []
    for step in range(steps):
        if step % PRINT_EVERY == 0:
            cost = float(compute_cost(inputs, targets))
            history.append((step, cost))
            print(f"step {step:6d}  cost {cost:.6f}")
        train(inputs, targets)
    return history


def summarise(w, b):
    """Print the trained weights briefly: 784 numbers are too many to read."""
    weights = w.get_value()
    print("Final model:")
    print(f"  w: {weights.size} weights of dtype {weights.dtype}, norm {numpy.linalg.norm(weights):.6f}")
    print(f"     first five: {weights[:5]}")
    print(f"  b: {b.get_value()}")


# --- 3. The figure ---------------------------------------------------------------------------

def import_pyplot():
    """matplotlib's pyplot, drawing to files only; a clear error if it is not installed."""
    try:
        import matplotlib
    except ImportError:
        sys.exit("--plot needs matplotlib, which is not installed: pip install matplotlib")
    matplotlib.use("Agg")  # write files; no window, so it also runs without a display
    import matplotlib.pyplot as plt
    return plt


def plot_logistic(plt, logistic, logistic2, path):
    """Save the logistic function over [-6, 6], from both formulas, as a PNG."""
    grid = numpy.linspace(-6, 6, 241)
    as_row = grid.reshape(1, -1)  # the compiled functions take matrices
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(grid, logistic(as_row)[0], label="1 / (1 + exp(-x))", linewidth=3)
    ax.plot(grid, logistic2(as_row)[0], "--", label="(1 + tanh(x / 2)) / 2", linewidth=2)
    ax.set_xlabel("x")
    ax.set_ylabel("s(x)")
    ax.set_title("The logistic function")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
    print(f"saved the plot of the logistic function to {path}")


# --- Putting it together ---------------------------------------------------------------------

def parse_args(argv):
    """The command-line options; ``argv`` None means sys.argv."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10001,
                        help="number of training steps (default: %(default)s)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=theano.config.floatX,
                        help="floatX, the dtype of the whole run (default: config.floatX, %(default)s here)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random data and initial weights (default: %(default)s)")
    parser.add_argument("--plot", metavar="PATH",
                        help="save a plot of the logistic function as a PNG (needs matplotlib)")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the tutorial; returns a dict of what it found, for tests.

    Keys: ``sigmoid`` (the 2x2 logistic values), ``history`` (the printed
    (step, cost) pairs), ``accuracy`` (on the training data), ``w_dtype`` and
    ``seconds`` (the training time).
    """
    args = parse_args(argv)
    # Check matplotlib before the training, so a missing one fails at once.
    plt = import_pyplot() if args.plot else None

    # floatX is global; restore it afterwards so a caller (a test) is not affected.
    saved_floatX = theano.config.floatX
    theano.config.floatX = args.dtype
    try:
        return run(args, plt)
    finally:
        theano.config.floatX = saved_floatX


def run(args, plt):
    """The three parts of the tutorial, with the settings in ``args``."""
    floatX = theano.config.floatX
    logistic, logistic2 = logistic_functions()
    sigmoid_values = show_logistic(logistic, logistic2)
    print()

    rng = numpy.random.RandomState(args.seed)
    inputs, labels = make_dataset(rng, floatX)
    targets = labels.astype(floatX)
    w, b, train, predict, compute_cost = build_model(rng, floatX)
    print(f"Training on {N} points with {FEATS} features, {args.steps} steps, floatX={floatX}:")
    start = time.perf_counter()
    history = train_model(train, compute_cost, inputs, targets, args.steps)
    seconds = time.perf_counter() - start
    final_cost = float(compute_cost(inputs, targets))
    print(f"final cost {final_cost:.6f} ({seconds:.2f} s, {1000 * seconds / max(args.steps, 1):.3f} ms a step)")
    print()

    summarise(w, b)
    predictions = predict(inputs)
    print("target values for D:")
    print(labels)
    print("prediction on D:")
    print(predictions.astype(int))
    accuracy = float(numpy.mean(predictions == labels))
    print(f"training accuracy: {100 * accuracy:.1f}%")

    if plt is not None:
        plot_logistic(plt, logistic, logistic2, args.plot)
    return {"sigmoid": sigmoid_values, "history": history, "final_cost": final_cost,
            "accuracy": accuracy, "w_dtype": w.get_value().dtype, "seconds": seconds}


if __name__ == "__main__":
    main()
