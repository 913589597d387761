"""The scan examples: an Elman RNN and an LSTM. Their gradients agree with finite differences and with
the same networks unrolled in Python, and training lowers their loss."""

import pathlib
import sys

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.gradient import numeric_grad

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples"))
import elman_rnn  # noqa: E402
import lstm  # noqa: E402

LENGTH = 5


def symbolic_params(values):
    return [T.tensor("float64", (False,) * v.ndim, f"p{k}") for k, v in enumerate(values)]


def examples():
    rng = np.random.default_rng(7)
    elman_values = [p.get_value() for p in elman_rnn.init_params(rng, n_hidden=4)]
    lstm_values = [p.get_value() for p in lstm.init_params(rng, n_hidden=3)]
    return [
        ("elman", elman_values, elman_rnn.make_data(rng, 2, LENGTH),
         lambda x, ps: elman_rnn.predictions(x, ps), lambda x, ps: elman_rnn.unrolled_predictions(x, ps, LENGTH),
         elman_rnn.loss, T.tensor3("y")),
        ("lstm", lstm_values, lstm.make_data(rng, 2, LENGTH),
         lambda x, ps: lstm.prediction(x, ps), lambda x, ps: lstm.unrolled_prediction(x, ps, LENGTH),
         lstm.loss, T.dmatrix("y")),
    ]


@pytest.mark.parametrize("name, values, data, scanned, unrolled, loss, y", examples(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_gradients_match_the_unrolled_network_and_finite_differences(name, values, data, scanned, unrolled, loss, y):
    x = T.tensor3("x")
    params = symbolic_params(values)
    costs = [loss(build(x, params), y) for build in (scanned, unrolled)]
    f_scan, f_unrolled = (theano.function([x, y] + params, [c] + T.grad(c, params)) for c in costs)
    got, expected = f_scan(*data, *values), f_unrolled(*data, *values)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    cost_only = theano.function([x, y] + params, costs[0])
    numeric = numeric_grad(lambda *ps: cost_only(*data, *ps), values, 1e-6)
    for a, n in zip(got[1:], numeric):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("module", [elman_rnn, lstm], ids=["elman", "lstm"])
def test_training_lowers_the_loss(module):
    losses = module.train(steps=80, batch=16, seed=3)
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
