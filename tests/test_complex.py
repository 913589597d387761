"""Complex tensors: NumPy's dtypes and values, Theano's convention for gradients (the gradient of a
real cost C by z = x + iy is dC/dx + i dC/dy), checked against finite differences along both
axes, and the errors where a complex value has no meaning.

op_specs.py's complex rows check values and first and second derivatives from real inputs;
these tests take complex inputs directly, as a user's graph does.
"""

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T

RNG = np.random.default_rng(17)


@pytest.mark.parametrize("build, numpy_build", [
    (lambda c, z, f, i: c * f, lambda c, z, f, i: c * f),
    (lambda c, z, f, i: c + i, lambda c, z, f, i: c + i),
    (lambda c, z, f, i: f * 1j, lambda c, z, f, i: f * 1j),
    (lambda c, z, f, i: i / c, lambda c, z, f, i: i / c),
    (lambda c, z, f, i: c ** 2, lambda c, z, f, i: c ** 2),
    (lambda c, z, f, i: T.exp(c) - z, lambda c, z, f, i: np.exp(c) - z),
    (lambda c, z, f, i: abs(c), lambda c, z, f, i: np.abs(c)),
    (lambda c, z, f, i: T.angle(z), lambda c, z, f, i: np.angle(z)),
    (lambda c, z, f, i: T.real(c) + T.imag(z), lambda c, z, f, i: np.real(c) + np.imag(z)),
    (lambda c, z, f, i: T.conj(c), lambda c, z, f, i: np.conj(c)),
    (lambda c, z, f, i: T.complex(f, f), lambda c, z, f, i: f + 1j * f),
    (lambda c, z, f, i: T.complex(i, f), lambda c, z, f, i: i + 1j * f),
    (lambda c, z, f, i: T.sqrt(c) * T.log(z), lambda c, z, f, i: np.sqrt(c) * np.log(z)),
    (lambda c, z, f, i: T.mean(c), lambda c, z, f, i: np.mean(c)),
    (lambda c, z, f, i: T.var(c), lambda c, z, f, i: np.var(c)),
    (lambda c, z, f, i: T.dot(c, z), lambda c, z, f, i: np.dot(c, z)),
    (lambda c, z, f, i: T.eq(c, z), lambda c, z, f, i: c == z),
])
def test_dtypes_and_values_are_numpys(build, numpy_build):
    c, z, f, i = T.cvector("c"), T.zvector("z"), T.fvector("f"), T.ivector("i")
    values = [np.array([1 + 2j, -0.5j, 3], dtype="complex64"), np.array([2 - 1j, 1j, -1], dtype="complex128"),
              np.array([0.5, -2, 1], dtype="float32"), np.array([1, 2, -3], dtype="int32")]
    out = build(c, z, f, i)
    got = theano.function([c, z, f, i], out, on_unused_input="ignore")(*values)
    expected = numpy_build(*values)
    assert out.dtype == got.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_complex_keeps_infinite_parts():
    x, y = T.dvectors("x", "y")
    got = T.complex(x, y).eval({x: [1.0, np.inf], y: [np.inf, 2.0]})
    assert got.real.tolist() == [1.0, np.inf] and got.imag.tolist() == [np.inf, 2.0]


def test_variable_methods():
    z = T.zvector("z")
    values = np.array([1 + 2j, -3j])
    f = theano.function([z], [z.real, z.imag, z.conj(), z.conjugate(), abs(z)])
    for got, expected in zip(f(values), [values.real, values.imag, values.conj(), values.conj(), np.abs(values)]):
        np.testing.assert_array_equal(got, expected)


def numeric_gradient(f, z0, eps=1e-6):
    """dC/dRe z + i dC/dIm z by central differences, element by element."""
    result = np.zeros_like(z0)
    for index in np.ndindex(z0.shape):
        for direction in (1, 1j):
            step = np.zeros_like(z0)
            step[index] = eps * direction
            result[index] += direction * (f(z0 + step) - f(z0 - step)) / (2 * eps)
    return result


# Functions of two complex vectors; each test takes a real cost of their value.
FUNCTIONS = {
    "mul": lambda z, w: z * w, "add": lambda z, w: z + w * z, "sub": lambda z, w: w - z,
    "div": lambda z, w: w / z, "div_by_w": lambda z, w: z / w, "pow": lambda z, w: z ** w,
    "pow_of_w": lambda z, w: w ** z, "sqr": lambda z, w: T.sqr(z), "neg": lambda z, w: -z,
    "exp": lambda z, w: T.exp(z), "log": lambda z, w: T.log(z), "sqrt": lambda z, w: T.sqrt(z),
    "tanh": lambda z, w: T.tanh(z), "sin": lambda z, w: T.sin(z), "cos": lambda z, w: T.cos(z),
    "tan": lambda z, w: T.tan(z), "arcsin": lambda z, w: T.arcsin(z), "arccosh": lambda z, w: T.arccosh(z),
    "arctanh": lambda z, w: T.arctanh(z * 0.3), "log1p": lambda z, w: T.log1p(z), "expm1": lambda z, w: T.expm1(z),
    "exp2": lambda z, w: T.exp2(z), "log10": lambda z, w: T.log10(z), "inv": lambda z, w: T.inv(z),
    "conj": lambda z, w: T.conj(z) * w, "angle": lambda z, w: T.angle(z), "real": lambda z, w: T.real(z) * w,
    "imag": lambda z, w: T.imag(z) * w, "abs": lambda z, w: abs(z) * w, "dot": lambda z, w: T.dot(z, w) * z,
    "sum": lambda z, w: T.sum(z * w) * z, "prod": lambda z, w: T.prod(z) * w, "mean": lambda z, w: T.mean(z) * z,
    "var": lambda z, w: T.var(z * w), "subtensor": lambda z, w: z[1:] * w[:2], "cumsum": lambda z, w: T.cumsum(z) * w,
    "switch": lambda z, w: T.switch(T.eq(z, w), z, w * z), "join": lambda z, w: T.concatenate([z, w * z]),
    "polar": lambda z, w: T.complex_from_polar(abs(z), T.angle(w * z)),
    "complex": lambda z, w: T.complex(T.real(z) * 2, T.imag(z) * T.real(w)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradient_is_d_by_real_part_plus_i_d_by_imaginary_part(name):
    z, w = T.zvectors("z", "w")
    out = FUNCTIONS[name](z, w)
    cost = T.sum(T.real(out) * 0.7 + T.imag(out) * 0.3 + abs(out) * 0.5)  # real, not holomorphic
    cost_of = theano.function([z, w], cost, on_unused_input="ignore")
    gradient_of = theano.function([z, w], T.grad(cost, z), on_unused_input="ignore")
    z0 = RNG.uniform(0.5, 1.5, 3) + 1j * RNG.uniform(-1, 1, 3)
    w0 = RNG.uniform(0.5, 1.5, 3) + 1j * RNG.uniform(-1, 1, 3)
    expected = numeric_gradient(lambda v: cost_of(v, w0), z0)
    got = gradient_of(z0, w0)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_a_real_input_gets_the_real_part_of_what_reaches_it():
    # Theano's mul: for real x and complex y, d|x y|^2 / dx is Re(conj(y) g), g = 2 x y.
    x, y = T.dvector("x"), T.zvector("y")
    g = T.grad(T.sum(abs(x * y) ** 2), x)
    assert g.dtype == "float64"
    np.testing.assert_allclose(g.eval({x: [2.0], y: [1 + 1j]}), [2 * 2.0 * 2])


def test_gradient_descent_on_a_complex_parameter_finds_the_target():
    # The convention's gradient is the direction of steepest ascent in the plane.
    target = np.array([1.5 - 2j, -0.5 + 0.25j])
    z = theano.shared(np.zeros(2, dtype="complex128"), name="z")
    cost = T.sum(abs(z - target) ** 2)
    step = theano.function([], cost, updates=[(z, z - 0.25 * T.grad(cost, z))])
    for _ in range(40):
        step()
    np.testing.assert_allclose(z.get_value(), target, atol=1e-9)


def test_complex_to_real_cast_and_complex_costs_are_errors():
    z = T.zvector("z")
    with pytest.raises(TypeError, match="ambiguous.*real\\(\\), imag\\(\\), abs\\(\\) or angle\\(\\)"):
        T.cast(z, "float64")
    with pytest.raises(TypeError, match="real cost"):
        T.grad(T.sum(z), z)
    with pytest.raises(TypeError, match="complex is not defined for inputs of dtypes complex128"):
        T.complex(z, z)


@pytest.mark.parametrize("build", [lambda z: z < z, lambda z: T.maximum(z, z), lambda z: T.floor(z),
                                   lambda z: T.sgn(z), lambda z: z % 2, lambda z: T.erf(z), lambda z: T.arctan2(z, z)])
def test_ops_that_order_or_round_refuse_complex_values(build):
    with pytest.raises(TypeError, match="complex128"):
        build(T.zvector("z"))


def test_a_fused_node_with_complex_values_and_a_one_element_input():
    # On a GPU such a node runs op by op (kernels take no complex values), and a one-element
    # input arrives as a scalar: each output still has its own rank.
    r, t = T.TensorType("float64", (True,))("r"), T.dscalar("t")
    z = T.complex_from_polar(r, t)
    outputs = [T.real(z * z), T.grad(T.sum(T.imag(z * z)), [r, t])[1] * 2, T.cos(t) + r]
    f = theano.function([r, t], outputs)
    got = f(np.array([2.0]), np.array(0.5))
    np.testing.assert_allclose(got[0], [4 * np.cos(1.0)])
    np.testing.assert_allclose(got[1], 2 * 2 * 4 * np.cos(1.0))  # d/dt r^2 sin 2t
    np.testing.assert_allclose(got[2], [np.cos(0.5) + 2])
    assert [g.shape for g in got] == [(1,), (), (1,)]


def _check_gradient(z, cost, z0):
    cost_of, gradient_of = theano.function([z], cost), theano.function([z], T.grad(cost, z))
    np.testing.assert_allclose(gradient_of(z0), numeric_gradient(cost_of, z0), rtol=1e-6, atol=1e-8)


def test_gradient_through_a_loop_with_complex_values():
    # The loop's gradient is built by the grad engine, so it is in the convention already.
    z = T.zvector("z")
    h, _ = theano.scan(lambda z_t, h: h * z_t + abs(z_t) * 0.3 + T.conj(z_t) * h * 0.1, sequences=z,
                       outputs_info=T.constant(np.complex128(1 + 0.5j)))
    _check_gradient(z, T.sum(T.real(h) * 0.7 + T.imag(h) * 0.2 + abs(h)), np.array([0.5 + 0.3j, -0.4 + 0.8j, 0.9 - 0.2j]))


def test_gradient_through_a_fused_node_with_complex_values():
    from minitensor.rewriting.fusion import Composite, fuse
    z = T.zvector("z")
    (fused,), _ = fuse([T.exp(z) * T.conj(z) + abs(z)])
    assert isinstance(fused.owner.op, Composite)
    _check_gradient(z, T.sum(T.real(fused) + T.imag(fused) * 0.3), np.array([0.5 + 0.3j, -0.4 + 0.8j]))


def test_rop_of_a_function_with_a_complex_derivative_is_its_derivative_times_v():
    z, v = T.zvectors("z", "v")
    z0, v0 = np.array([0.5 + 0.3j, -0.4 + 0.8j]), np.array([1 - 2j, 0.5j])
    np.testing.assert_allclose(theano.function([z, v], T.Rop(T.exp(z) * z, z, v))(z0, v0),
                               np.exp(z0) * (1 + z0) * v0, rtol=1e-12)


def test_double_conjugates_of_the_gradient_are_rewritten_away():
    z = T.zvector("z")
    f = theano.function([z], T.grad(T.sum(abs(T.exp(z) * 1j)), z))
    rules = {record.rule for record in f.maker.rewrites}
    assert "double_conjugate" in rules
    assert "conj(conj(" not in theano.printing.debugprint(f, file="str")
    np.testing.assert_allclose(f(np.array([0.5 + 1j])), [np.exp(0.5)], rtol=1e-12)  # |e^z| = e^Re z
