"""Derivatives beyond ``grad``: ``known_grads``, ``jacobian``, ``hessian``, ``Rop`` and ``Lop``.

The tutorial page "Derivatives in Theano" runs with its numbers; everything else
is checked against closed forms and against Jacobians computed by central
finite differences, including a property test of Rop and Lop on random graphs.
"""

import numpy
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor as theano
import minitensor.tensor as T
from minitensor.gradient import DisconnectedInputError, DisconnectedType, hessian, jacobian, verify_grad

RNG = np.random.default_rng(7)


def numeric_jacobian(f, arrays, eps=1e-6):
    """d f(*arrays) / d arrays[k] for each k, by central differences: shape f.shape + arrays[k].shape."""
    arrays = [np.array(a, dtype=float) for a in arrays]
    jacobians = []
    for a in arrays:
        columns = []
        for index in np.ndindex(a.shape):
            original = a[index]
            a[index] = original + eps
            upper = np.array(f(*arrays))
            a[index] = original - eps
            lower = np.array(f(*arrays))
            a[index] = original
            columns.append((upper - lower) / (2 * eps))
        out_shape = columns[0].shape
        jacobians.append(np.moveaxis(np.array(columns), 0, -1).reshape(out_shape + a.shape))
    return jacobians


# --- the tutorial page "Derivatives in Theano" ---------------------------------------------------

def test_tutorial_gradient_of_x_squared_and_of_the_logistic():
    x = T.dscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    f = theano.function([x], gy)
    assert f(4) == 8.0
    assert numpy.allclose(f(94.2), 188.4)

    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = theano.function([x], gs)
    values = numpy.array([[0, 1], [-1, -2]], dtype=float)
    result = dlogistic(values)
    numpy.testing.assert_allclose(result, [[0.25, 0.19661193], [0.19661193, 0.10499359]], atol=5e-9)
    logistic = 1 / (1 + numpy.exp(-values))
    numpy.testing.assert_allclose(result, logistic * (1 - logistic), rtol=1e-12)


def test_tutorial_jacobian_and_hessian():
    x = T.dvector('x')
    y = x ** 2
    J = theano.gradient.jacobian(y, x)
    f = theano.function([x], J)
    numpy.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])

    cost = y.sum()
    H = theano.gradient.hessian(cost, x)
    f = theano.function([x], H)
    numpy.testing.assert_array_equal(f([4, 4]), [[2., 0.], [0., 2.]])


def test_tutorial_r_operator():
    W = T.dmatrix('W')
    V = T.dmatrix('V')
    x = T.dvector('x')
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    numpy.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2., 2.])


def test_tutorial_l_operator():
    W = T.dmatrix('W')
    v = T.dvector('v')
    x = T.dvector('x')
    y = T.dot(x, W)
    VJ = T.Lop(y, W, v)
    f = theano.function([v, x], VJ)
    numpy.testing.assert_array_equal(f([2, 2], [0, 1]), [[0., 0.], [2., 2.]])


def test_tutorial_hessian_times_a_vector_both_ways():
    x = T.dvector('x')
    v = T.dvector('v')
    y = T.sum(x ** 2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4., 4.])
    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv)
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4., 4.])


# --- known_grads ---------------------------------------------------------------------------

def test_known_grads_without_a_cost_is_the_vector_jacobian_product():
    x, g = T.dvectors("x", "g")
    y = T.tanh(x) * T.sum(x)
    gx = T.grad(None, x, known_grads={y: g})
    x0, g0 = RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, 3)
    (jac,) = numeric_jacobian(lambda a: np.tanh(a) * a.sum(), [x0])
    np.testing.assert_allclose(theano.function([x, g], gx)(x0, g0), g0 @ jac, rtol=1e-7)


def test_known_grads_needs_none_of_the_graph_above_the_known_variable():
    x, W = T.dvector("x"), T.dmatrix("W")
    y = T.dot(x, W)
    cost = T.sum(T.exp(y))  # never evaluated: the walk starts at y
    g = T.grad(None, W, known_grads={y: np.array([1.0, -1.0])})
    np.testing.assert_array_equal(theano.function([x], g)([2.0, 3.0]), [[2.0, -2.0], [3.0, -3.0]])
    assert cost is not None


def test_known_grads_add_to_what_flows_from_the_cost():
    x, g = T.dvectors("x", "g")
    h = T.tanh(x)
    cost = T.sum(h ** 2)
    with_known = T.grad(cost, x, known_grads={h: g})
    # The definition: the gradient of cost + sum(h * g), g held constant.
    spelled_out = T.grad(cost + T.sum(h * g), x, consider_constant=[g])
    f = theano.function([x, g], [with_known, spelled_out])
    a, b = f(RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, 4))
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_known_grads_are_checked():
    x = T.dvector("x")
    y = x * 2
    with pytest.raises(TypeError, match="2 dimensions|1 dimensions"):
        T.grad(None, x, known_grads={y: T.dmatrix("g")})
    with pytest.raises(TypeError, match="known_grads"):
        T.grad(None, x)
    with pytest.raises(TypeError, match="integer|float"):
        T.grad(None, x, known_grads={T.cast(y, "int32"): np.ones(2)})


# --- jacobian --------------------------------------------------------------------------------

A = RNG.uniform(-1, 1, (2, 3))


def _softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


JACOBIAN_CASES = {
    "square": (lambda x: x ** 2, lambda x: np.diag(2 * x)),
    "coupled": (lambda x: T.tanh(x) * T.sum(x),
                lambda x: np.diag((1 - np.tanh(x) ** 2) * x.sum()) + np.tanh(x)[:, None]),
    "matrix_times_sin": (lambda x: T.dot(T.constant(A), T.sin(x)), lambda x: A * np.cos(x)),
    "softmax": (lambda x: T.exp(x) / T.sum(T.exp(x)),
                lambda x: np.diag(_softmax(x)) - np.outer(_softmax(x), _softmax(x))),
}


@pytest.mark.parametrize("case", sorted(JACOBIAN_CASES))
def test_jacobian_matches_closed_form_and_finite_differences(case):
    build, closed_form = JACOBIAN_CASES[case]
    x = T.dvector("x")
    y = build(x)
    jac = theano.function([x], jacobian(y, x))
    value = RNG.uniform(-1, 1, 3)
    result = jac(value)
    (numeric,) = numeric_jacobian(theano.function([x], y), [value])
    assert result.shape == numeric.shape
    np.testing.assert_allclose(result, closed_form(value), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result, numeric, rtol=1e-6, atol=1e-9)


def test_jacobian_with_respect_to_a_list_of_a_vector_and_a_matrix():
    x, W = T.dvector("x"), T.dmatrix("W")
    y = T.tanh(T.dot(W, x))
    jx, jW = jacobian(y, [x, W])
    x0, W0 = RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, (2, 3))
    got_x, got_W = theano.function([x, W], [jx, jW])(x0, W0)
    num_x, num_W = numeric_jacobian(theano.function([x, W], y), [x0, W0])
    assert got_x.shape == (2, 3) and got_W.shape == (2, 2, 3)
    np.testing.assert_allclose(got_x, num_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got_W, num_W, rtol=1e-6, atol=1e-9)
    assert isinstance(jacobian(y, [x]), list) and not isinstance(jacobian(y, x), list)


def test_jacobian_of_a_scalar_is_its_gradient():
    x = T.dvector("x")
    g = jacobian(T.sum(x ** 3), x)
    np.testing.assert_allclose(theano.function([x], g)([1.0, 2.0]), [3.0, 12.0])


@pytest.mark.parametrize("name, build, shapes", [
    ("outer", lambda x, W: T.outer(x, T.tanh(x)) + T.sum(W), ((3,), (2, 2))),
    ("matrix of a matrix", lambda x, W: T.dot(W, W) * T.sum(x), ((2,), (2, 2))),
    ("3-d", lambda x, W: T.tanh(W)[:, :, None] * x, ((4,), (2, 3))),
    ("row", lambda x, W: T.exp(W[:1]) + x[0], ((1,), (2, 3))),
])
def test_jacobian_of_an_expression_of_any_shape_has_its_shape_then_wrts(name, build, shapes):
    # As Theano: the result has shape expression.shape + wrt.shape, for every wrt.
    x, W = T.dvector("x"), T.dmatrix("W")
    y = build(x, W)
    x0, W0 = RNG.uniform(-1, 1, shapes[0]), RNG.uniform(-1, 1, shapes[1])
    jx, jW = jacobian(y, [x, W])
    assert (jx.ndim, jW.ndim) == (y.ndim + 1, y.ndim + 2)
    got_x, got_W = theano.function([x, W], [jx, jW])(x0, W0)
    num_x, num_W = numeric_jacobian(theano.function([x, W], y), [x0, W0])
    assert got_x.shape == num_x.shape and got_W.shape == num_W.shape
    np.testing.assert_allclose(got_x, num_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got_W, num_W, rtol=1e-6, atol=1e-9)


def test_jacobian_of_a_matrix_keeps_a_broadcastable_pattern_and_is_differentiable():
    x = T.dvector("x")
    assert jacobian(x[None, :] * 2, x).broadcastable == (True, False, False)
    verify_grad(lambda m: jacobian(T.tanh(m) * T.sum(m), m), [RNG.uniform(-1, 1, (2, 2))],
                rng=np.random.default_rng(1))


def test_jacobian_of_a_disconnected_input():
    x, z = T.dvectors("x", "z")
    with pytest.raises(DisconnectedInputError):
        jacobian(x * 2, z)
    jz = jacobian(x * 2, z, disconnected_inputs="ignore")
    out = theano.function([x, z], jz, on_unused_input="ignore")([1.0, 2.0, 3.0], [0.0, 0.0])
    np.testing.assert_array_equal(out, np.zeros((3, 2)))


def test_jacobian_of_a_shared_variable_and_through_givens():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    y = T.exp(w * x)
    f = theano.function([x], jacobian(y, w))
    np.testing.assert_allclose(f([3.0, -1.0]), np.diag([3.0 * np.exp(3.0), -1.0 * np.exp(-2.0)]))
    w.set_value(np.array([0.0, 0.0]))
    np.testing.assert_allclose(f([3.0, -1.0]), np.diag([3.0, -1.0]))
    v = T.dvector("v")
    g = theano.function([v, x], jacobian(y, w), givens={w: v})
    np.testing.assert_allclose(g([1.0, 1.0], [2.0, 0.0]), np.diag([2.0 * np.exp(2.0), 0.0]))


def test_jacobian_is_differentiable():
    # The Jacobian is a loop op; its gradient is a loop over the rows of the inner graph's gradient.
    verify_grad(lambda x: jacobian(T.sin(x) * T.sum(x ** 2), x), [RNG.uniform(-1, 1, 3)],
                rng=np.random.default_rng(0))


def test_jacobian_of_an_empty_vector_is_empty():
    x = T.dvector("x")
    f = theano.function([x], jacobian(x * 2, x))
    assert f(np.zeros(0)).shape == (0, 0)


def test_the_loop_under_jacobian_maps_rows_and_differentiates_sequences_and_other_inputs():
    m, n, v = T.dmatrix("m"), T.dmatrix("n"), T.dvector("v")
    (first, second), _ = theano.map(lambda a, b: [T.tanh(a) * T.sum(v * b), T.dot(a, b)], [m, n])
    m0, n0, v0 = RNG.uniform(-1, 1, (3, 2)), RNG.uniform(-1, 1, (3, 2)), RNG.uniform(-1, 1, 2)
    got_first, got_second = theano.function([m, n, v], [first, second])(m0, n0, v0)
    np.testing.assert_allclose(got_first, np.tanh(m0) * (n0 @ v0)[:, None], rtol=1e-12)
    np.testing.assert_allclose(got_second, (m0 * n0).sum(axis=1), rtol=1e-12)
    verify_grad(lambda a, b, c: theano.map(lambda x, y: T.sin(x) * T.sum(c * y) + x * y, [a, b])[0],
                [m0, n0, v0], rng=np.random.default_rng(1))


# --- hessian ---------------------------------------------------------------------------------

def test_hessian_of_a_quadratic_form_and_of_log_sum_exp():
    a = RNG.uniform(-1, 1, (3, 3))
    x = T.dvector("x")
    quadratic = theano.function([x], hessian(T.dot(x, T.dot(T.constant(a), x)), x))
    np.testing.assert_allclose(quadratic(RNG.uniform(-1, 1, 3)), a + a.T, rtol=1e-12)
    lse = theano.function([x], hessian(T.log(T.sum(T.exp(x))), x))
    value = RNG.uniform(-1, 1, 3)
    p = _softmax(value)
    np.testing.assert_allclose(lse(value), np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)


def test_hessians_with_respect_to_a_list_are_the_diagonal_blocks():
    x, y = T.dvectors("x", "y")
    cost = T.sum(x ** 2 * y) + T.sum(T.sin(y))
    hx, hy = hessian(cost, [x, y])
    x0, y0 = RNG.uniform(-1, 1, 2), RNG.uniform(-1, 1, 2)
    got_x, got_y = theano.function([x, y], [hx, hy])(x0, y0)
    np.testing.assert_allclose(got_x, np.diag(2 * y0), rtol=1e-12)
    np.testing.assert_allclose(got_y, np.diag(-np.sin(y0)), rtol=1e-12)
    gradient = theano.function([x, y], T.grad(cost, [x, y]))
    numeric_x = numeric_jacobian(lambda a: gradient(a, y0)[0], [x0])[0]
    np.testing.assert_allclose(got_x, numeric_x, rtol=1e-6, atol=1e-9)


def test_hessians_for_several_wrt_of_any_shape():
    # Theano takes vectors only; with jacobian of any shape, a matrix's Hessian has shape m.shape * 2.
    m, x, s = T.dmatrix("m"), T.dvector("x"), T.dscalar("s")
    cost = T.sum(T.dot(m, x) ** 3) * s + s ** 2 * T.sum(x)
    hm, hx, hs = hessian(cost, [m, x, s])
    m0, x0, s0 = RNG.uniform(-1, 1, (2, 3)), RNG.uniform(-1, 1, 3), 0.7
    got = theano.function([m, x, s], [hm, hx, hs])(m0, x0, s0)
    assert [g.shape for g in got] == [(2, 3, 2, 3), (3, 3), ()]
    gradient = theano.function([m, x, s], T.grad(cost, [m, x, s]))
    for k, point in enumerate([m0, x0, np.float64(s0)]):
        def gradient_k(value, k=k):
            return gradient(*[value if i == k else p for i, p in enumerate([m0, x0, s0])])[k]
        np.testing.assert_allclose(got[k], numeric_jacobian(gradient_k, [point])[0], rtol=1e-6, atol=1e-8)


def test_hessian_of_a_cost_linear_in_wrt_is_zero_not_an_error():
    # The gradient does not depend on x, which is no reason to raise (as in Theano).
    x = T.dvector("x")
    h = theano.function([x], hessian(T.sum(3 * x), x), on_unused_input="ignore")
    np.testing.assert_array_equal(h([1.0, 2.0]), np.zeros((2, 2)))
    with pytest.raises(DisconnectedInputError):
        hessian(T.sum(3 * x), T.dvector("z"))  # a cost that does not depend on z still raises


# --- Rop and Lop -------------------------------------------------------------------------------

def test_rop_and_lop_of_dot_are_x_dot_v_and_the_outer_product():
    W, V, x, v = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x"), T.dvector("v")
    y = T.dot(x, W)
    x0, W0, V0, v0 = (RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, (3, 2)), RNG.uniform(-1, 1, (3, 2)),
                      RNG.uniform(-1, 1, 2))
    rop = theano.function([W, V, x], T.Rop(y, W, V))(W0, V0, x0)
    lop = theano.function([v, x], T.Lop(y, W, v))(v0, x0)
    np.testing.assert_allclose(rop, x0 @ V0, rtol=1e-12)
    np.testing.assert_allclose(lop, np.outer(x0, v0), rtol=1e-12)


def test_rop_and_lop_of_lists():
    x, y, vx, vy, u1, u2 = T.dvectors("x", "y", "vx", "vy", "u1", "u2")
    f1 = x * y
    f2 = T.sin(f1) + y  # depends on f1: Lop must add both paths into f1
    x0, y0, vx0, vy0, u10, u20 = (RNG.uniform(-1, 1, 3) for _ in range(6))
    jv1, jv2 = theano.function([x, y, vx, vy], T.Rop([f1, f2], [x, y], [vx, vy]))(x0, y0, vx0, vy0)
    lx, ly = theano.function([x, y, u1, u2], T.Lop([f1, f2], [x, y], [u1, u2]))(x0, y0, u10, u20)
    jacobians = [numeric_jacobian(lambda a, b: fk(a, b), [x0, y0])
                 for fk in (lambda a, b: a * b, lambda a, b: np.sin(a * b) + b)]
    (j1x, j1y), (j2x, j2y) = jacobians
    np.testing.assert_allclose(jv1, j1x @ vx0 + j1y @ vy0, rtol=1e-6)
    np.testing.assert_allclose(jv2, j2x @ vx0 + j2y @ vy0, rtol=1e-6)
    np.testing.assert_allclose(lx, u10 @ j1x + u20 @ j2x, rtol=1e-6)
    np.testing.assert_allclose(ly, u10 @ j1y + u20 @ j2y, rtol=1e-6)


def test_lop_of_an_output_listed_twice_adds_its_points():
    x, u1, u2 = T.dvectors("x", "u1", "u2")
    y = T.exp(x)
    twice = theano.function([x, u1, u2], T.Lop([y, y], x, [u1, u2]))
    once = theano.function([x, u1, u2], T.Lop(y, x, u1 + u2))
    args = [RNG.uniform(-1, 1, 2) for _ in range(3)]
    np.testing.assert_allclose(twice(*args), once(*args), rtol=1e-15)


@pytest.mark.parametrize("return_disconnected", ["zero", "None", "Disconnected", "none", "disconnected"])
def test_rop_returns_what_return_disconnected_asks_for_a_disconnected_output(return_disconnected):
    # As Theano: zeros of the output's shape, None, or a DisconnectedType variable.
    x, z, v = T.dvectors("x", "z", "v")
    connected, disconnected = T.Rop([x * 3, z * 2], x, v, disconnected_outputs="ignore",
                                    return_disconnected=return_disconnected)
    np.testing.assert_array_equal(theano.function([x, v], connected)([1.0, 2.0], [5.0, 7.0]), [15.0, 21.0])
    kind = return_disconnected.lower()
    if kind == "zero":
        out = theano.function([z], disconnected)(np.ones((2,)))
        np.testing.assert_array_equal(out, [0.0, 0.0])
    elif kind == "none":
        assert disconnected is None
    else:
        assert isinstance(disconnected.type, DisconnectedType) and str(disconnected.type) == "DisconnectedType"
        with pytest.raises(TypeError, match="DisconnectedType"):
            T.add(disconnected, 1)  # a placeholder, not a value


def test_grad_returns_what_return_disconnected_asks_and_checks_its_options():
    x, y = T.dscalars("x", "y")
    gx, gy = T.grad(x * 2, [x, y], disconnected_inputs="ignore", return_disconnected="None")
    assert gy is None and theano.function([x], gx)(3.0) == 2.0
    (gy,) = T.grad(x * 2, [y], disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert gy.type is theano.gradient.disconnected_type
    with pytest.raises(ValueError, match="return_disconnected must be one of 'zero', 'none', 'disconnected'"):
        T.grad(x * 2, x, return_disconnected="zeros")
    with pytest.raises(ValueError, match="disconnected_outputs must be one of"):
        T.Rop(x * 2, x, y, disconnected_outputs="ignored")


def test_lop_of_a_disconnected_wrt_raises_warns_or_gives_zeros():
    x, z, u = T.dvectors("x", "z", "u")
    with pytest.raises(DisconnectedInputError, match="Lop: f does not depend on 'z'"):
        T.Lop(x * 2, [x, z], u)
    with pytest.warns(UserWarning, match="Lop: f does not depend on 'z'") as caught:
        T.Lop(x * 2, [x, z], u, disconnected_inputs="warn")
    assert caught[0].filename == __file__  # the warning points at the user's line
    lx, lz = T.Lop(x * 2, [x, z], u, disconnected_inputs="ignore")
    out = theano.function([x, z, u], [lx, lz], on_unused_input="ignore")([1.0], [1.0, 2.0], [3.0])
    np.testing.assert_array_equal(out[0], [6.0])
    np.testing.assert_array_equal(out[1], [0.0, 0.0])
    with pytest.raises(TypeError, match="Lop's eval_points: the gradient of .* a float tensor with 1 dim"):
        T.Lop(x * 2, x, T.dmatrix("u"))  # an eval point of the wrong rank


def test_rop_of_an_output_that_depends_on_no_wrt():
    x, z, v = T.dvectors("x", "z", "v")
    with pytest.raises(DisconnectedInputError, match="none of wrt"):
        T.Rop(z * 2, x, v)
    jv = T.Rop(z * 2, x, v, disconnected_outputs="ignore")
    out = theano.function([z, v], jv, on_unused_input="ignore")([1.0, 2.0], [5.0, 5.0])
    np.testing.assert_array_equal(out, [0.0, 0.0])


def test_rop_through_shape_ops_needs_no_stand_in_value():
    # Reshape's gradient reads its input's shape: the stand-in u of the double-Lop trick must
    # be gone from the compiled graph, or the function would ask for it.
    m, v = T.dmatrix("m"), T.dmatrix("v")
    y = T.tanh(m).T.reshape((-1,)) * T.mean(m)
    m0, v0 = RNG.uniform(-1, 1, (2, 3)), RNG.uniform(-1, 1, (2, 3))
    got = theano.function([m, v], T.Rop(y, m, v))(m0, v0)
    (jac,) = numeric_jacobian(theano.function([m], y), [m0])
    np.testing.assert_allclose(got, np.tensordot(jac, v0, axes=2), rtol=1e-6, atol=1e-9)


# --- property: Rop(f, x, v) = J v and Lop(f, x, u) = u^T J on random small graphs -----------------

LAYERS = {
    "tanh": T.tanh,
    "sin": T.sin,
    "sigmoid": T.nnet.sigmoid,
    "softplus": T.nnet.softplus,
    "square": lambda h: h * h,
    "coupled": lambda h: h * T.sum(h),  # every output depends on every input
    "mean_shift": lambda h: h - T.mean(h),
    "mix": None,  # multiply by a random constant matrix, changing the length
}
W_ROWS = 2


def random_graph(x, W, layers, rng):
    """f(x, W) = layers(dot(W, x)) for the named layers, W having W_ROWS rows; f and its length."""
    h, length = T.dot(W, x), W_ROWS
    for name in layers:
        if name == "mix":
            rows = int(rng.integers(1, 4))
            h, length = T.dot(T.constant(rng.uniform(-1, 1, (rows, length))), h), rows
        else:
            h = LAYERS[name](h)
    return h, length


@given(n=st.integers(1, 3), layers=st.lists(st.sampled_from(sorted(LAYERS)), min_size=1, max_size=4),
       seed=st.integers(0, 2 ** 16))
def test_rop_and_lop_match_the_finite_difference_jacobian(n, layers, seed):
    rng = np.random.default_rng(seed)
    x, W = T.dvector("x"), T.dmatrix("W")
    vx, vW, u = T.dvector("vx"), T.dmatrix("vW"), T.dvector("u")
    f, length = random_graph(x, W, layers, rng)
    rop = theano.function([x, W, vx, vW], T.Rop(f, [x, W], [vx, vW]), on_unused_input="ignore")
    lop = theano.function([x, W, u], T.Lop(f, [x, W], u))
    x0, W0 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, (W_ROWS, n))
    vx0, vW0, u0 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, (W_ROWS, n)), rng.uniform(-1, 1, length)
    jx, jW = numeric_jacobian(theano.function([x, W], f), [x0, W0])
    np.testing.assert_allclose(rop(x0, W0, vx0, vW0), jx @ vx0 + np.tensordot(jW, vW0, axes=2),
                               rtol=1e-6, atol=1e-8)
    lop_x, lop_W = lop(x0, W0, u0)
    np.testing.assert_allclose(lop_x, u0 @ jx, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(lop_W, np.tensordot(u0, jW, axes=1), rtol=1e-6, atol=1e-8)
