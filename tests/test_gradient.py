"""``grad`` and ``verify_grad``: the API's rules, and a checker that catches broken gradients."""

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor
import minitensor.tensor as T
from minitensor.gradient import DisconnectedInputError, GradientError, verify_grad
from minitensor.tensor import elemwise as E
from minitensor.tensor.linalg import Dot

RNG = np.random.default_rng(42)


# --- the checker must catch wrong gradients -----------------------------------------------

@dataclass(frozen=True)
class ExpOnePercentOff(E.Exp):
    def grad(self, inputs, outputs, grads):
        return [grads[0] * outputs[0] * 1.01]


@dataclass(frozen=True)
class ExpIgnoringCotangent(E.Exp):
    """Right only when the output's gradient is all ones: what a weak checker would miss."""
    def grad(self, inputs, outputs, grads):
        return [outputs[0] * T.mean(grads[0])]


@dataclass(frozen=True)
class DotForgettingTranspose(Dot):
    """For square matrices the shapes still fit, so only the values can show the bug."""
    def grad(self, inputs, outputs, grads):
        x, y = inputs
        return [T.dot(grads[0], y), T.dot(x.T, grads[0])]


@pytest.mark.parametrize("broken, shapes", [
    (lambda x: ExpOnePercentOff()(x), [(3, 2)]),
    (lambda x: ExpIgnoringCotangent()(x), [(4,)]),
    (lambda x, y: DotForgettingTranspose()(x, y), [(3, 3), (3, 3)]),
])
def test_verify_grad_catches_a_broken_gradient(broken, shapes):
    point = [RNG.uniform(-1, 1, shape) for shape in shapes]
    with pytest.raises(GradientError, match="disagrees with finite differences"):
        verify_grad(broken, point, rng=np.random.default_rng(0))


def test_verify_grad_passes_the_correct_versions():
    verify_grad(T.exp, [RNG.uniform(-1, 1, (3, 2))], rng=np.random.default_rng(0))
    verify_grad(T.dot, [RNG.uniform(-1, 1, (3, 3)), RNG.uniform(-1, 1, (3, 3))], rng=np.random.default_rng(0))


def test_verify_grad_in_float32_with_looser_default_tolerances():
    verify_grad(lambda x: T.tanh(x) * 2, [RNG.uniform(-1, 1, (3,)).astype("float32")])


def test_cast_gradient_is_cast_back():
    x = T.dvector("x")
    g = T.grad(T.sum(T.cast(x, "float32") * 3), x)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(minitensor.function([x], g)(np.ones(4)), [3, 3, 3, 3])
    verify_grad(lambda v: T.cast(v, "float64") ** 2, [RNG.uniform(-1, 1, (3,)).astype("float32")])


# --- grad's rules --------------------------------------------------------------------------

def test_grad_of_scalar_function_matches_the_tutorial():
    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    f = minitensor.function([x], gy)
    assert f(4) == 8.0 and f(94.2) == pytest.approx(188.4)
    logistic = T.sum(1 / (1 + T.exp(-T.dmatrix("m"))))
    assert T.grad(logistic, logistic.owner.inputs[0]) is not None


def test_list_in_gives_list_out_and_single_in_gives_single_out():
    x, y = T.dscalars("x", "y")
    cost = x * y
    assert isinstance(T.grad(cost, [x, y]), list)
    assert not isinstance(T.grad(cost, x), list)


def test_cost_must_be_0d():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="0-d cost"):
        T.grad(x * 2, x)


def test_disconnected_input_raises_unless_asked_otherwise():
    x, y = T.dvectors("x", "y")
    cost = T.sum(x ** 2)
    with pytest.raises(DisconnectedInputError, match="does not depend on 'y'"):
        T.grad(cost, [x, y])
    assert issubclass(DisconnectedInputError, ValueError)
    gx, gy = T.grad(cost, [x, y], disconnected_inputs="ignore")
    f = minitensor.function([x, y], gy, on_unused_input="ignore")
    np.testing.assert_array_equal(f([1, 2], [3, 4]), [0, 0])
    with pytest.warns(UserWarning, match="does not depend on"):
        T.grad(cost, [x, y], disconnected_inputs="warn")


def test_integer_inputs_get_zero_gradients():
    x = T.dvector("x")
    n = T.iscalar("n")
    cost = T.sum(x * n)
    gx, gn = T.grad(cost, [x, n])
    f = minitensor.function([x, n], [gx, gn])
    value_x, value_n = f([1.0, 2.0], 3)
    np.testing.assert_array_equal(value_x, [3, 3])
    assert value_n == 0 and value_n.dtype == minitensor.config.floatX


def test_consider_constant_stops_the_gradient():
    x = T.dscalar("x")
    y = x ** 2
    cost = y * x
    g_full = minitensor.function([x], T.grad(cost, x))(3.0)
    g_const = minitensor.function([x], T.grad(cost, x, consider_constant=[y]))(3.0)
    assert g_full == 27.0  # d(x^3)/dx
    assert g_const == 9.0  # y held fixed: d(y x)/dx = y


def test_grad_with_respect_to_an_intermediate_variable():
    x = T.dvector("x")
    p = 1 / (1 + T.exp(-x))
    cost = T.sum(T.log(p) * 2)
    gp = T.grad(cost, p)
    np.testing.assert_allclose(minitensor.function([x], gp)(np.zeros(2)), [4.0, 4.0])


def test_broadcasting_is_undone_in_the_gradient():
    r = T.drow("r")
    m = T.dmatrix("m")
    v = T.dvector("v")
    cost = T.sum((m + r) * v)
    gr, gv = T.grad(cost, [r, v])
    assert gr.broadcastable == (True, False)
    m_value = RNG.uniform(size=(4, 3))
    r_value, v_value = RNG.uniform(size=(1, 3)), RNG.uniform(size=3)
    got_r, got_v = minitensor.function([m, r, v], [gr, gv])(m_value, r_value, v_value)
    np.testing.assert_allclose(got_r, np.tile(v_value, (4, 1)).sum(0, keepdims=True))
    np.testing.assert_allclose(got_v, (m_value + r_value).sum(0))


@given(st.integers(1, 4), st.integers(1, 4))
def test_hessian_vector_product_of_a_quadratic_form(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n, n))
    x, v = T.dvector("x"), T.dvector("v")
    cost = T.dot(x, T.dot(T.constant(a), x))
    hv = T.grad(T.sum(T.grad(cost, x) * v), x)
    v_value = rng.uniform(-1, 1, n)
    got = minitensor.function([x, v], hv)(rng.uniform(-1, 1, n), v_value)
    np.testing.assert_allclose(got, (a + a.T) @ v_value, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("z", [-800.0, -100.0, -30.0, 0.0, 30.0, 100.0, 800.0])
def test_tutorial_cross_entropy_is_finite_and_right_for_large_inputs(dtype, z):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    p = 1 / (1 + T.exp(-x))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    cost = T.sum(xent)
    g = T.grad(cost, x)
    f = minitensor.function([x, y], [xent, g])
    labels = np.array([0, 1], dtype=dtype)
    value, gradient = f(np.array([z, z], dtype=dtype), labels)
    softplus = np.logaddexp(0, np.array([z, -z]))  # -log(1-p) for y=0, -log(p) for y=1
    # d/dz is sigmoid(z) - y: sigmoid(z) for y=0 and -sigmoid(-z) for y=1, written without cancellation.
    with np.errstate(over="ignore"):
        expected_gradient = [1 / (1 + np.exp(-z)), -1 / (1 + np.exp(z))]
    tiny = np.finfo(dtype).tiny  # below it, float32 subnormals carry few significant bits
    np.testing.assert_allclose(value, softplus, rtol=1e-6, atol=tiny)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-6, atol=tiny)
    assert value.dtype == gradient.dtype == dtype
