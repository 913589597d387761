"""Joining and making arrays, and the shape ops that go with them: what the op table cannot express.

``join``/``concatenate``/``stack``, ``arange``'s dtypes, ``alloc``/``zeros``/``ones``
with symbolic shapes, ``flatten``, ``specify_shape`` and ``reshape`` to a tuple
mixing ints and symbolic sizes.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor
import minitensor.tensor as T
from minitensor.gradient import verify_grad
from minitensor.tensor.construction import ARange
from minitensor.tensor.shape_ops import MakeVector

RNG = np.random.default_rng(0)


def run(inputs, outputs, *values):
    return minitensor.function(inputs, outputs)(*values)


# --- join, concatenate, stack ---------------------------------------------------------------

def test_join_and_concatenate_match_numpy():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))
    got = run([x, y], [T.join(0, x, y), T.concatenate([x, y, x]), T.join(-1, x.T, y.T)], a, b)
    np.testing.assert_array_equal(got[0], np.concatenate([a, b]))
    np.testing.assert_array_equal(got[1], np.concatenate([a, b, a]))
    np.testing.assert_array_equal(got[2], np.concatenate([a.T, b.T], axis=-1))


def test_join_of_one_tensor_is_that_tensor():
    x = T.dmatrix("x")
    assert T.join(1, x) is x


def test_join_patterns_and_dtypes():
    r, m = T.drow("r"), T.dmatrix("m")
    assert T.join(0, r, r).broadcastable == (False, False)  # two rows are no longer one
    assert T.join(1, r, r).broadcastable == (True, False)  # still one row
    assert T.join(1, r, m).broadcastable == (True, False)  # so m must have one row too
    assert T.join(0, T.ivector(), T.fvector()).dtype == "float64"  # as np.concatenate
    assert T.join(0, T.bvector(), T.ivector()).dtype == "int32"


def test_join_errors():
    with pytest.raises(TypeError, match="one rank"):
        T.join(0, T.dmatrix(), T.dvector())
    with pytest.raises(ValueError, match="out of range"):
        T.join(2, T.dmatrix(), T.dmatrix())
    with pytest.raises(TypeError, match="list or tuple"):
        T.concatenate(T.dmatrix())
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = minitensor.function([x, y], T.join(0, x, y))
    with pytest.raises(ValueError, match=r"(?s)must match exactly.*Join\{axis=0\}"):
        f(np.ones((5, 4)), np.ones((3, 3)))


def test_join_gradient_splits_g_with_broadcastable_and_symbolic_lengths():
    verify_grad(lambda r, m, v: T.join(0, r, m, v), [np.ones((1, 3)), RNG.normal(size=(2, 3)),
                                                      RNG.normal(size=(3, 3))], rng=RNG)


def test_stack_forms():
    a, b = T.dscalars("a", "b")
    x, y = T.dvectors("x", "y")
    vector = T.stack([a, b, 3])
    assert isinstance(vector.owner.op, MakeVector) and vector.type == T.dvector
    old_form = T.stack(a, b)
    xv, yv = np.arange(3.0), np.arange(3.0, 6.0)
    got = run([a, b, x, y], [vector, old_form, T.stack([x, y]), T.stack([x, y], 1), T.stack([x, y], axis=-1)],
              1.5, 2.5, xv, yv)
    np.testing.assert_array_equal(got[0], [1.5, 2.5, 3.0])
    np.testing.assert_array_equal(got[1], [1.5, 2.5])
    np.testing.assert_array_equal(got[2], np.stack([xv, yv]))
    np.testing.assert_array_equal(got[3], np.stack([xv, yv], 1))
    np.testing.assert_array_equal(got[4], np.stack([xv, yv], -1))


def test_stack_of_shapes_makes_an_int64_vector():
    x = T.dmatrix("x")
    shape = T.stack([x.shape[1], x.shape[0], 2])
    assert shape.type == T.lvector
    np.testing.assert_array_equal(run([x], shape, np.zeros((4, 5))), [5, 4, 2])
    with pytest.raises(TypeError, match="one rank"):
        T.stack([x, x.shape[0]])


# --- arange ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, dtype", [
    ((5,), {}, "int64"),
    ((T.iscalar(),), {}, "int64"),  # NumPy gives int64 for any integer bounds
    ((T.bscalar(), T.bscalar()), {}, "int64"),
    ((0.5,), {}, "float64"),
    ((T.fscalar(),), {}, "float64"),  # and float64 for any float bound
    ((0, 5, 0.5), {}, "float64"),
    ((T.lscalar(),), {"dtype": "int32"}, "int32"),
    ((T.lscalar(),), {"dtype": "float32"}, "float32"),
])
def test_arange_dtypes_follow_numpy(args, kwargs, dtype):
    assert T.arange(*args, **kwargs).dtype == dtype


@pytest.mark.parametrize("bounds", [(5,), (2, 7), (7, 2, -2), (0, 1, 0.25), (-1.5, 1.5, 0.5), (3, 3)])
def test_arange_values_match_numpy(bounds):
    symbols = [T.lscalar() if type(b) is int else T.dscalar() for b in bounds]
    got = run(symbols, T.arange(*symbols), *bounds)
    expected = np.arange(*bounds)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_arange_of_a_symbolic_length():
    x = T.dmatrix("x")
    np.testing.assert_array_equal(run([x], T.arange(x.shape[0]), np.zeros((4, 2))), [0, 1, 2, 3])


def test_arange_float_gradient():
    start, step = T.dscalars("start", "step")
    out = T.arange(start, start + 2.5, step)
    weights = np.array([1.0, 2.0, 4.0])
    g_start, g_step = run([start, step], T.grad(T.sum(out * weights), [start, step]), 0.3, 1.0)
    assert g_start == weights.sum() and g_step == (weights * [0, 1, 2]).sum()
    with pytest.raises(TypeError, match="scalar bounds"):
        T.arange(T.dvector())


# --- alloc, zeros, ones ---------------------------------------------------------------------

def test_alloc_broadcasts_a_value_to_a_symbolic_shape():
    v, n = T.dvector("v"), T.lscalar("n")
    out = T.alloc(v, n, 3)
    assert out.broadcastable == (False, False)
    got = run([v, n], out, [1.0, 2.0, 3.0], 2)
    np.testing.assert_array_equal(got, [[1, 2, 3], [1, 2, 3]])
    assert got.flags.writeable and 0 not in got.strides  # new memory, not a broadcast view
    assert T.alloc(0.0, 1, n).broadcastable == (True, False)


def test_alloc_gradient_sums_over_the_broadcast_axes():
    verify_grad(lambda s: T.alloc(s, 2, 3), [np.array(0.5)], rng=RNG)
    verify_grad(lambda r: T.alloc(r, 4, 3), [np.ones((1, 3))], rng=RNG)


def test_alloc_errors():
    v = T.dvector("v")
    with pytest.raises(TypeError, match="shape of 1 entries"):
        T.alloc(T.dmatrix(), 3)
    with pytest.raises(TypeError, match="integer scalar"):
        T.alloc(v, 2.0, 3)
    f = minitensor.function([v], T.alloc(v, 2, 3))
    with pytest.raises(ValueError, match="axis 1 is not broadcastable"):
        f(np.ones(1))  # v is not declared broadcastable, so it may not stretch


def test_zeros_and_ones():
    x = T.dtensor3("x")
    n = T.lscalar("n")
    data = np.ones((2, 3, 4))
    outs = [T.zeros(x.shape), T.ones((n, 2), dtype="int32"), T.zeros(x.shape[0]), T.ones((2, x.shape[1])),
            T.zeros(T.stack([n, 1])), T.zeros_like(x), T.ones_like(x, dtype="float32")]
    got = run([x, n], outs, data, 5)
    assert [o.shape for o in got] == [(2, 3, 4), (5, 2), (2,), (2, 3), (5, 1), (2, 3, 4), (2, 3, 4)]
    assert [o.dtype for o in got] == ["float64", "int32", "float64", "float64", "float64", "float64", "float32"]
    assert [float(o.flat[0]) for o in got] == [0, 1, 0, 1, 0, 0, 1]
    assert outs[4].broadcastable == (False, True)


def test_zeros_follows_floatx(floatX):
    floatX.floatX = "float32"
    assert T.zeros((2, 2)).dtype == "float32"


def test_zeros_needs_a_shape_of_known_length():
    with pytest.raises(TypeError, match="unknown until the graph runs"):
        T.zeros(T.lvector("s"))


# --- flatten, specify_shape, reshape ---------------------------------------------------------

def test_flatten_values_and_patterns():
    x = T.dtensor3("x")
    data = np.arange(24.0).reshape(2, 3, 4)
    got = run([x], [x.flatten(), T.flatten(x, 2), T.flatten(x, 3)], data)
    np.testing.assert_array_equal(got[0], data.reshape(-1))
    np.testing.assert_array_equal(got[1], data.reshape(2, 12))
    np.testing.assert_array_equal(got[2], data)
    assert T.flatten(T.TensorType("float64", (False, True, True))(), 2).broadcastable == (False, True)
    assert T.flatten(T.drow()).broadcastable == (False,)
    assert T.flatten(T.dscalar()).broadcastable == (True,)
    with pytest.raises(ValueError, match="between 1 and 3"):
        T.flatten(x, 4)
    np.testing.assert_array_equal(run([x], T.flatten(x, 2), np.zeros((0, 3, 4))).shape, (0, 12))


def test_flatten_spelled_as_in_theano():
    # T.flatten(x, ndim=...), the older outdim=... (deprecated, as in Theano) and x.flatten(ndim).
    x = T.dtensor3("x")
    data = np.arange(24.0).reshape(2, 3, 4)
    with pytest.warns(DeprecationWarning, match="outdim is deprecated"):
        older = T.flatten(x, outdim=2)
    got = run([x], [T.flatten(x, ndim=2), older, x.flatten(ndim=2), x.flatten(2), T.flatten(x)], data)
    for g in got[:4]:
        np.testing.assert_array_equal(g, data.reshape(2, 12))
    np.testing.assert_array_equal(got[4], data.reshape(-1))
    assert older.owner.op == T.flatten(x, ndim=2).owner.op
    with pytest.raises(ValueError, match="not both"):
        T.flatten(x, ndim=2, outdim=2)
    with pytest.raises(ValueError, match="between 1 and 3"):
        T.flatten(x, ndim=0)


def test_specify_shape():
    x, n = T.dmatrix("x"), T.lscalar("n")
    assert T.specify_shape(x, (1, 3)).broadcastable == (True, False)
    f = minitensor.function([x, n], T.specify_shape(x, (n, 3)) * 2)
    np.testing.assert_array_equal(f(np.ones((2, 3)), 2), 2 * np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"(?s)expected shape \(4, 3\), got an array of shape \(2, 3\).*SpecifyShape"):
        f(np.ones((2, 3)), 4)
    with pytest.raises(ValueError, match="shape of 3 entries"):
        T.specify_shape(x, (1, 2, 3))
    with pytest.raises(ValueError, match="length 1 on axis 0, not 2"):
        T.specify_shape(T.drow(), (2, 3))
    verify_grad(lambda m: T.specify_shape(m, (2, 3)), [np.ones((2, 3))], rng=RNG)


def test_reshape_to_a_tuple_mixing_ints_and_symbolic_sizes():
    x = T.dtensor3("x")
    data = np.arange(24.0).reshape(2, 3, 4)
    out = T.reshape(x, (x.shape[0], -1))
    np.testing.assert_array_equal(run([x], out, data), data.reshape(2, -1))
    assert T.reshape(x, (1, x.shape[0], -1)).broadcastable == (True, False, False)
    verify_grad(lambda m: m.reshape((m.shape[1], 1, -1)), [RNG.normal(size=(2, 3))], rng=RNG)


@given(start=st.integers(-5, 5) | st.floats(-5, 5), stop=st.integers(-5, 5) | st.floats(-5, 5),
       step=st.sampled_from([1, 2, -1, -3, 0.3, -0.7]))
def test_an_aranges_inferred_length_is_numpys(start, stop, step):
    """The shape of arange compiles to its length, ceil((stop - start) / step) as NumPy counts it."""
    a, b, c = (T.dscalar() if isinstance(v, float) else T.lscalar() for v in (start, stop, step))
    f = minitensor.function([a, b, c], T.arange(a, b, c).shape)
    assert not any(isinstance(node.op, ARange) for node in f.maker.fgraph.toposort())
    assert list(f(start, stop, step)) == [len(np.arange(start, stop, step))]
