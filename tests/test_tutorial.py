"""Theano's tutorial, run with only the imports changed, gives Theano's numbers.

Covers the tutorial pages "Baby steps - algebra" and "A Real Example: Logistic
Regression" (with examples/logistic.py, the same code as a script). The
logistic regression is checked step by step against a NumPy implementation of
the same model with its gradient worked out by hand.
"""

import importlib.util
import pathlib
import subprocess
import sys

import numpy
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import function, pp

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "logistic.py"


def load_example():
    """examples/logistic.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location("logistic_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Baby steps - algebra ----------------------------------------------------------------------

def test_adding_two_scalars():
    x = T.dscalar('x')
    y = T.dscalar('y')
    z = x + y
    f = function([x, y], z)

    result = f(2, 3)
    # Theano returns array(5.0): a 0-d ndarray, not a Python or NumPy scalar.
    assert type(result) is numpy.ndarray
    assert result.shape == () and result.dtype == numpy.float64
    assert result == 5.0
    assert numpy.allclose(f(16.3, 12.1), 28.4)


def test_scalar_variables_and_their_type():
    x = T.dscalar('x')
    y = T.dscalar('y')
    assert pp(x + y) == '(x + y)'
    assert type(x) is T.TensorVariable
    assert x.type is T.dscalar  # the same object, as in Theano
    assert repr(x.type) == 'TensorType(float64, scalar)'
    assert repr(T.dscalar) == 'TensorType(float64, scalar)'


def test_eval_of_a_variable():
    x = T.dscalar('x')
    y = T.dscalar('y')
    z = x + y
    assert numpy.allclose(z.eval({x: 16.3, y: 12.1}), 28.4)


def test_adding_two_matrices():
    x = T.dmatrix('x')
    y = T.dmatrix('y')
    z = x + y
    f = function([x, y], z)

    expected = numpy.array([[11., 22.], [33., 44.]])
    from_lists = f([[1, 2], [3, 4]], [[10, 20], [30, 40]])
    from_arrays = f(numpy.array([[1, 2], [3, 4]]), numpy.array([[10, 20], [30, 40]]))
    for result in (from_lists, from_arrays):
        assert result.dtype == numpy.float64
        numpy.testing.assert_array_equal(result, expected)


def test_exercise_a_plus_a_to_the_tenth():
    a = theano.tensor.vector()  # declare variable
    out = a + a ** 10  # build symbolic expression
    f = theano.function([a], out)  # compile function
    numpy.testing.assert_array_equal(f([0, 1, 2]), [0., 2., 1026.])


def test_exercise_square_of_a_sum():
    a = theano.tensor.vector()
    b = theano.tensor.vector()
    out = a ** 2 + b ** 2 + 2 * a * b
    f = theano.function([a, b], out)
    a_values, b_values = numpy.array([0., 1., 2., -3.]), numpy.array([1., 2., -5., 0.5])
    numpy.testing.assert_allclose(f(a_values, b_values), (a_values + b_values) ** 2, rtol=1e-15)


# --- More examples: the logistic function ---------------------------------------------------

def test_logistic_function_and_its_tanh_identity():
    x = T.dmatrix('x')
    s = 1 / (1 + T.exp(-x))
    logistic = theano.function([x], s)
    s2 = (1 + T.tanh(x / 2)) / 2
    logistic2 = theano.function([x], s2)

    expected = [[0.5, 0.73105858], [0.26894142, 0.11920292]]  # Theano's printed values
    numpy.testing.assert_allclose(logistic([[0, 1], [-1, -2]]), expected, atol=5e-9)
    numpy.testing.assert_allclose(logistic2([[0, 1], [-1, -2]]), expected, atol=5e-9)


def test_logistic_function_in_float32_is_accurate():
    x = T.fmatrix('x')
    logistic = theano.function([x], 1 / (1 + T.exp(-x)))  # rewritten to the sigmoid op
    inputs = numpy.linspace(-20, 20, 4001, dtype=numpy.float32).reshape(1, -1)
    exact = (1 / (1 + numpy.exp(-inputs.astype(numpy.float64)))).astype(numpy.float32)
    # 1/(1+exp(-|x|)) with its complement for x < 0 stays within 3 ulp on this grid.
    numpy.testing.assert_array_max_ulp(logistic(inputs), exact, maxulp=4)


# --- A Real Example: Logistic Regression -------------------------------------------------------

N, FEATS = 400, 784


def tutorial_model(rng):
    """The tutorial's code, verbatim apart from the seeded ``rng``; plus a compiled cost."""
    D = (rng.randn(N, FEATS), rng.randint(size=N, low=0, high=2))
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = theano.shared(rng.randn(FEATS), name="w")
    b = theano.shared(0., name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)),
                            allow_input_downcast=True)
    predict = theano.function(inputs=[x], outputs=prediction, allow_input_downcast=True)
    compute_cost = theano.function(inputs=[x, y], outputs=cost)
    return D, w, b, train, predict, compute_cost


def numpy_step(x, y, w, b):
    """One step of the same model in NumPy, with the gradient derived by hand.

    Returns (z, xent, cost, new w, new b), where z = x.w + b. The cross-entropy
    is written with logaddexp, log(1 + exp(.)), so that it is accurate for the
    large |z| of the first steps (the random initial w gives |z| up to ~90).
    """
    z = x @ w + b
    p = numpy.exp(-numpy.logaddexp(0, -z))  # sigmoid(z)
    xent = y * numpy.logaddexp(0, -z) + (1 - y) * numpy.logaddexp(0, z)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    grad_w = x.T @ (p - y) / len(y) + 0.02 * w
    grad_b = (p - y).mean()
    return z, xent, cost, w - 0.1 * grad_w, b - 0.1 * grad_b


def test_logistic_regression_matches_numpy_step_by_step():
    D, w, b, train, predict, compute_cost = tutorial_model(numpy.random.RandomState(0))
    x_data, y_data = D[0], D[1].astype(numpy.float64)
    w_ref, b_ref = w.get_value(), 0.0
    costs = []
    for step in range(300):
        z, xent_ref, cost_ref, w_ref, b_ref = numpy_step(x_data, y_data, w_ref, b_ref)
        cost = compute_cost(x_data, y_data)
        pred, err = train(D[0], D[1])  # the labels as the tutorial passes them: ints

        # Outputs are computed from the weights before the update ...
        numpy.testing.assert_allclose(cost, cost_ref, rtol=1e-12, err_msg=f"cost, step {step}")
        numpy.testing.assert_allclose(err, xent_ref, rtol=1e-10, err_msg=f"xent, step {step}")
        numpy.testing.assert_array_equal(pred, z > 0, err_msg=f"prediction, step {step}")
        # ... and the shared variables hold the weights after it. Differences
        # are rounding (~1e-15); atol is for weights that pass near zero.
        numpy.testing.assert_allclose(w.get_value(), w_ref, rtol=1e-10, atol=1e-13,
                                      err_msg=f"w, step {step}")
        numpy.testing.assert_allclose(b.get_value(), b_ref, rtol=1e-10, atol=1e-13,
                                      err_msg=f"b, step {step}")
        costs.append(float(cost))

    assert costs[0] > 15  # the random initial weights are far from a fit
    assert all(later < earlier for earlier, later in zip(costs, costs[1:])), "the cost must fall every step"
    assert costs[-1] < costs[0] / 5
    assert w.get_value().dtype == numpy.float64 and b.get_value().dtype == numpy.float64


def test_predict_after_training():
    D, w, b, train, predict, compute_cost = tutorial_model(numpy.random.RandomState(0))
    before = predict(D[0])
    assert before.shape == (N,)
    assert numpy.mean(before == D[1]) < 0.75  # random weights: about half right
    for _ in range(10):
        train(D[0], D[1])
    # predict and train share the weights: predict sees the update.
    assert not numpy.array_equal(predict(D[0]), before)


def test_example_reaches_full_training_accuracy(capsys):
    # Seed 0 first gets every training label right at step 291 (seeds 0-19 at
    # steps 285-368); 400 steps leave a margin and take a fraction of a second.
    result = load_example().main(["--steps", "400"])
    assert result["accuracy"] == 1.0
    steps, costs = zip(*result["history"])
    assert steps == (0,)
    numpy.testing.assert_allclose(costs[0], 18.082170424166975, rtol=1e-12)  # seed 0's initial cost
    assert result["final_cost"] < costs[0] / 10
    numpy.testing.assert_allclose(result["sigmoid"], [[0.5, 0.73105858], [0.26894142, 0.11920292]],
                                  atol=5e-9)
    assert "training accuracy: 100.0%" in capsys.readouterr().out


def test_example_with_too_few_steps_is_not_yet_accurate(capsys):
    # The counterpart of the test above: accuracy comes from training, not the data.
    result = load_example().main(["--steps", "50"])
    assert result["accuracy"] < 0.9


def test_example_float32_run_stays_float32(capsys):
    example = load_example()
    floatX = theano.config.floatX
    result32 = example.main(["--steps", "400", "--dtype", "float32"])
    assert theano.config.floatX == floatX  # main restores the global setting
    assert result32["w_dtype"] == numpy.float32
    assert result32["sigmoid"].dtype == numpy.float32
    assert numpy.isfinite(result32["final_cost"])
    assert all(numpy.isfinite(cost) for _, cost in result32["history"])
    assert result32["accuracy"] == 1.0

    result64 = example.main(["--steps", "400"])
    assert result64["w_dtype"] == numpy.float64
    with theano.change_flags(floatX="float32"):  # as THEANO_FLAGS=floatX=float32 sets it
        assert example.main(["--steps", "5"])["w_dtype"] == numpy.float32
    # The same run to float32's precision: not a different model.
    numpy.testing.assert_allclose(result32["final_cost"], result64["final_cost"], rtol=1e-4)


def test_tutorial_graph_in_float32_keeps_every_value_float32(floatX):
    """The tutorial's floatX version: with floatX=float32 no value is upcast."""
    floatX.floatX = "float32"
    rng = numpy.random.RandomState(0)
    D = (rng.randn(N, FEATS), rng.randint(size=N, low=0, high=2))
    x = T.matrix("x")
    y = T.vector("y")
    w = theano.shared(rng.randn(FEATS).astype(theano.config.floatX), name="w")
    b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    assert [v.dtype for v in (p_1, xent, cost, gw, gb)] == ["float32"] * 5
    train = theano.function(inputs=[x, y], outputs=[p_1 > 0.5, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)),
                            allow_input_downcast=True)
    for _ in range(20):
        pred, err = train(D[0], D[1])
    assert err.dtype == numpy.float32 and numpy.isfinite(err).all()
    assert w.get_value().dtype == numpy.float32 and b.get_value().dtype == numpy.float32
    assert numpy.isfinite(w.get_value()).all()


# --- examples/logistic.py as a script ----------------------------------------------------------

@pytest.mark.numpy_only("it runs a fresh Python process, which has no stand-in for CuPy")
def test_example_runs_as_a_script():
    completed = subprocess.run([sys.executable, str(EXAMPLE), "--steps", "20"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "[[0.5        0.73105858]\n [0.26894142 0.11920292]]" in out
    assert "step      0  cost 18.082170" in out
    assert "training accuracy:" in out


def test_example_plot_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(SystemExit, match="pip install matplotlib"):
        load_example().main(["--steps", "1", "--plot", str(tmp_path / "logistic.png")])
    assert not (tmp_path / "logistic.png").exists()


def test_example_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "logistic.png"
    load_example().main(["--steps", "1", "--plot", str(path)])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
