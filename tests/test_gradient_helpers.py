"""Theano's gradient helpers: identity ops whose gradients are zero, absent, clipped or scaled;
``subgraph_grad``; and ``grad``'s names for its results."""

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.gradient import (DisconnectedInputError, consider_constant, disconnected_grad, grad_clip,
                                 grad_scale, subgraph_grad, zero_grad)


def test_grad_clip_clips_only_the_gradient():
    x = T.dscalar('x')
    f = theano.function([x], [grad_clip(x, -1, 1) ** 2, T.grad(grad_clip(x, -1, 1) ** 2, x)])
    value, gradient = f(2.0)
    assert value == 4.0 and gradient == 1.0  # 2x = 4, clipped to 1
    assert f(0.25)[1] == 0.5  # inside the bounds: unchanged


def test_grad_scale_multiplies_the_gradient():
    x = T.dscalar('x')
    fprime = T.grad(T.sin(x), x)
    fpp = T.grad(grad_scale(fprime, -1.0), x)
    assert np.isclose(theano.function([x], fpp)(2.0), np.sin(2.0))  # -(-sin x)


@pytest.mark.parametrize("helper", [zero_grad, consider_constant])
def test_zero_grad_stops_the_gradient_but_stays_connected(helper):
    x, y = T.dscalars('x', 'y')
    cost = x * helper(y) + y
    gx, gy = T.grad(cost, [x, y])
    assert theano.function([x, y], [gx, gy])(3.0, 5.0) == [5.0, 1.0]
    assert T.grad(x * helper(y), y).eval({x: 3.0, y: 1.0}) == 0.0  # connected: zeros, not an error


def test_disconnected_grad_disconnects():
    x, y = T.dscalars('x', 'y')
    cost = x * disconnected_grad(y)
    assert T.grad(cost, x).eval({x: 3.0, y: 5.0}) == 5.0
    with pytest.raises(DisconnectedInputError):
        T.grad(cost, y)
    assert T.grad(cost, y, disconnected_inputs="ignore").eval({y: 5.0}) == 0.0


def test_grad_names_its_results_as_theano_does():
    x, w = T.dscalar('x'), T.dvector('w')
    cost = T.sum(w * x)
    cost.name = 'cost'
    gx, gw = T.grad(cost, [x, w])
    assert (gx.name, gw.name) == ("(dcost/dx)", "(dcost/dw)")
    assert T.grad(cost, x, add_names=False).name is None


def test_subgraph_grad_equals_grad_in_two_pieces():
    w1, w2, x = T.dvectors('w1', 'w2', 'x')
    h = T.tanh(w1 * x)
    cost = T.sum((h * w2) ** 2)
    (g_w2,), (g_h,) = subgraph_grad([w2], [h], cost=cost)
    (g_w1,), _ = subgraph_grad([w1], [x], start={h: g_h})
    f = theano.function([w1, w2, x], [g_w1, g_w2] + T.grad(cost, [w1, w2]))
    a, b, c, d = f([0.5, -1.0], [2.0, 0.3], [1.5, 0.7])
    np.testing.assert_allclose(a, c, rtol=1e-12)
    np.testing.assert_allclose(b, d, rtol=1e-12)


def test_integer_costs_and_variables_as_theano_defines_them():
    i = T.iscalar('i')
    one = T.grad(i, i)
    assert one.dtype == theano.config.floatX and one.eval({i: 7}) == 1.0  # d i / d i
    assert T.grad(i * 2, i).eval({i: 7}) == 0.0  # through an integer op: zero
    x = T.dscalar('x')
    assert T.grad(T.cast(x, 'int64') * 3, x, disconnected_inputs='ignore').eval({x: 2.5}) == 0.0
