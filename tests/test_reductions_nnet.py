"""``prod`` at zeros, the max/min/argmax/argmin family, softmax and the cross-entropies:
what the op table cannot express (zeros, ties, huge inputs, the stabilised graphs, errors).
"""

import numpy as np
import pytest

import minitensor
import minitensor as theano
import minitensor.tensor as T
from minitensor.gradient import numeric_grad, verify_grad
from minitensor.tensor.reduction import MaxAndArgmax

RNG = np.random.default_rng(0)


def run(inputs, outputs, *values):
    return minitensor.function(inputs, outputs)(*values)


# --- prod -----------------------------------------------------------------------------------

def _prod_gradient(x, axis):
    """The gradient of sum(prod(x, axis)): for each element, the product of the others in its group."""
    g = np.empty_like(x)
    for index in np.ndindex(x.shape):
        others = x.copy()
        others[index] = 1
        group = [index[d] if d != axis else slice(None) for d in range(x.ndim)] if axis is not None else ...
        g[index] = np.prod(others[tuple(group)] if axis is not None else others)
    return g


@pytest.mark.parametrize("data", [
    np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]]),  # no zeros
    np.array([[1.5, 0.0, 0.5], [3.0, 0.25, -1.0]]),  # one zero in row 0
    np.array([[0.0, 0.0, 0.5], [3.0, 0.0, -1.0]]),  # two zeros in row 0, one in row 1
    np.zeros((2, 3)),
])
@pytest.mark.parametrize("axis", [None, 1, 0])
def test_prod_gradient_at_zeros_is_the_product_of_the_others(data, axis):
    x = T.dmatrix("x")
    g = run([x], T.grad(T.sum(T.prod(x, axis=axis)), x), data)
    np.testing.assert_allclose(g, _prod_gradient(data, axis), rtol=1e-15)
    assert np.isfinite(g).all()


def test_prod_gradient_and_second_derivative_with_one_zero_match_finite_differences():
    data = np.array([[1.5, 0.0, 0.5], [3.0, 0.25, -1.0]])
    verify_grad(lambda x: T.prod(x, axis=1), [data], rng=RNG)
    verify_grad(lambda x: T.grad(T.sum(T.prod(x, axis=1) * [1.0, 2.0]), x), [data], rng=RNG)


def test_prod_without_zeros_in_input_uses_the_quotient():
    x = T.dvector("x")
    data = np.array([2.0, -0.5, 4.0])
    g = run([x], T.grad(T.prod(x, no_zeros_in_input=True), x), data)
    np.testing.assert_allclose(g, np.prod(data) / data, rtol=1e-15)


def test_prod_dtypes_follow_numpy():
    assert T.prod(T.bvector()).dtype == "int64"
    assert T.prod(T.fmatrix(), axis=0).dtype == "float32"
    assert T.prod(T.dmatrix(), axis=1, keepdims=True).broadcastable == (False, True)
    np.testing.assert_array_equal(run([x := T.ivector()], x.prod(), np.array([2, 3, 4], "int32")), 24)


# --- argmax and max_and_argmax ---------------------------------------------------------------

DATA = RNG.normal(size=(3, 4, 5))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)])
def test_argmax_over_several_axes_indexes_them_flattened(axis):
    x = T.dtensor3("x")
    got = run([x], T.argmax(x, axis=axis), DATA)
    axes = range(3) if axis is None else np.atleast_1d(axis) % 3
    kept = [d for d in range(3) if d not in axes]
    merged = DATA.transpose(kept + list(axes)).reshape([DATA.shape[d] for d in kept] + [-1])
    np.testing.assert_array_equal(got, np.argmax(merged, axis=-1))
    assert got.dtype == np.int64


def test_argmax_keepdims_ties_and_no_gradient():
    x = T.dmatrix("x")
    assert T.argmax(x, axis=1, keepdims=True).broadcastable == (False, True)
    assert x.argmax(axis=0).type == T.lvector
    np.testing.assert_array_equal(run([x], T.argmax(x, axis=1), [[1, 3, 3], [2, 2, 0]]), [1, 0])
    cost = T.sum(x) + T.sum(T.cast(T.argmax(x, axis=1), "float64"))
    np.testing.assert_array_equal(run([x], T.grad(cost, x), np.zeros((2, 3))), np.ones((2, 3)))


def test_max_and_argmax_is_one_node_with_two_outputs():
    x = T.dtensor3("x")
    maximum, position = T.max_and_argmax(x, axis=(0, 2))
    assert maximum.owner is position.owner and isinstance(maximum.owner.op, MaxAndArgmax)
    assert maximum.type == T.dvector and position.type == T.lvector
    f = minitensor.function([x], [maximum, position])
    assert sum(isinstance(n.op, MaxAndArgmax) for n in f.program.nodes) == 1
    got_max, got_position = f(DATA)
    np.testing.assert_array_equal(got_max, DATA.max(axis=(0, 2)))
    np.testing.assert_array_equal(got_position, run([x], T.argmax(x, axis=(0, 2)), DATA))


# --- the max/min family: one meaning of axis, keepdims, ties and NaN -------------------------

FAMILY = [(T.max, np.max), (T.min, np.min), (T.argmax, np.argmax), (T.argmin, np.argmin)]


@pytest.mark.parametrize("symbolic, numpy_function", FAMILY, ids=lambda f: getattr(f, "__name__", ""))
@pytest.mark.parametrize("axis", [None, 0, -1, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_the_family_matches_numpy_on_one_axis_or_all(symbolic, numpy_function, axis, keepdims):
    x = T.dtensor3("x")
    result = symbolic(x, axis=axis, keepdims=keepdims)
    expected = numpy_function(DATA, axis=axis, keepdims=keepdims)
    got = run([x], result, DATA)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype and result.dtype == expected.dtype.name
    if keepdims:  # the kept axes are broadcastable (DATA has no other axis of length 1)
        assert result.broadcastable == tuple(size == 1 for size in np.shape(expected))


@pytest.mark.parametrize("dtype", ["int8", "uint8", "bool", "float32"])
def test_the_family_on_integers_booleans_and_single_precision(dtype):
    x = T.TensorType(dtype, (False, False))("x")
    values = RNG.integers(0, 3, (4, 5)).astype(dtype)  # small integers, so ties abound
    got = run([x], [T.max(x, axis=0), T.min(x), x.argmax(axis=1), x.argmin(axis=0), x.argmin()], values)
    expected = [values.max(axis=0), values.min(), values.argmax(axis=1), values.argmin(axis=0), values.argmin()]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype


def test_argmin_ties_nan_methods_and_no_gradient():
    x = T.dmatrix("x")
    assert x.argmin(axis=0, keepdims=True).broadcastable == (True, False)
    assert x.argmin(axis=1).type == T.lvector
    data = [[3.0, 1.0, 1.0], [np.nan, 2.0, np.nan]]
    # The first of a tie wins, and a NaN counts as the extreme, as in NumPy, for both families.
    np.testing.assert_array_equal(run([x], T.argmin(x, axis=1), data), [1, 0])
    np.testing.assert_array_equal(run([x], T.argmax(x, axis=1), data), [0, 0])
    assert np.isnan(run([x], T.min(x, axis=1), data)[1]) and np.isnan(run([x], T.max(x), data))
    np.testing.assert_array_equal(run([x], T.max_and_argmax(x, axis=1)[1], data), [0, 0])
    cost = T.sum(x) + T.sum(T.cast(T.argmin(x, axis=1), "float64"))
    np.testing.assert_array_equal(run([x], T.grad(cost, x), np.zeros((2, 3))), np.ones((2, 3)))


def test_argmin_over_several_axes_indexes_them_flattened_like_argmax():
    x = T.dtensor3("x")
    got_min, got_max = run([x], [T.argmin(x, axis=(0, 2)), T.argmax(-x, axis=(0, 2))], DATA)
    np.testing.assert_array_equal(got_min, got_max)


def test_the_gradients_of_max_and_min_go_to_every_tied_element():
    x = T.dvector("x")
    data = [1.0, 3.0, 3.0, -2.0, -2.0]
    np.testing.assert_array_equal(run([x], T.grad(T.max(x), x), data), [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(run([x], T.grad(T.min(x), x), data), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(run([x], T.grad(T.max_and_argmax(x)[0], x), data), [0, 1, 1, 0, 0])


def test_max_and_argmax_keepdims_and_gradient():
    x = T.dmatrix("x")
    maximum, position = T.max_and_argmax(x, axis=1, keepdims=True)
    assert maximum.broadcastable == position.broadcastable == (False, True)
    verify_grad(lambda m: T.max_and_argmax(m, axis=0)[0], [RNG.normal(size=(3, 4))], rng=RNG)


# --- softmax and log_softmax -------------------------------------------------------------------

def test_softmax_is_stable_for_huge_inputs():
    x = T.dmatrix("x")
    data = np.array([[1000.0, 1000.0, -1000.0], [-1e300, 0.0, 1e300]])
    s, log_s = run([x], [T.nnet.softmax(x), T.nnet.log_softmax(x)], data)
    np.testing.assert_allclose(s, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(log_s[0], [np.log(0.5), np.log(0.5), -2000 - np.log(2)])
    assert np.isfinite(log_s[0]).all()


def test_softmax_of_a_vector_is_a_vector_and_rows_sum_to_one():
    v, m = T.dvector("v"), T.fmatrix("m")
    assert T.nnet.softmax(v).type == T.dvector  # Theano 1.0 returned a one-row matrix
    s = run([m], T.nnet.softmax(m), RNG.normal(size=(4, 5)).astype("float32"))
    assert s.dtype == np.float32
    np.testing.assert_allclose(s.sum(axis=1), np.ones(4), rtol=1e-6)
    assert T.nnet.softmax(T.ivector()).dtype == "float64"
    with pytest.raises(TypeError, match="at least a vector"):
        T.nnet.softmax(T.dscalar())


def test_log_softmax_is_theanos_logsoftmax_too():
    assert T.nnet.logsoftmax is T.nnet.log_softmax


# --- cross-entropies -------------------------------------------------------------------------

def test_binary_crossentropy_of_a_sigmoid_is_stabilised_to_softplus():
    """Unstabilised, sigmoid(±800) rounds to 0 or 1 and the logs give inf, the gradient nan."""
    z, t = T.dvectors("z", "t")
    cost = T.sum(T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t))
    f = minitensor.function([z, t], [cost, T.grad(cost, z)])
    z_data, t_data = np.array([-800.0, -40.0, 0.0, 40.0, 800.0]), np.array([1.0, 1.0, 0.5, 0.0, 0.0])
    value, g = f(z_data, t_data)
    expected = np.sum(t_data * np.logaddexp(0, -z_data) + (1 - t_data) * np.logaddexp(0, z_data))
    np.testing.assert_allclose(value, expected, rtol=1e-15)
    np.testing.assert_allclose(g, (1 + np.tanh(z_data / 2)) / 2 - t_data, atol=1e-15)  # sigmoid(z) - t


def test_categorical_crossentropy_with_probabilities_and_with_labels_agree():
    p, t, y = T.dmatrix("p"), T.dmatrix("t"), T.lvector("y")
    probabilities = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    labels = np.array([1, 2])
    from_one_hot, from_labels = run([p, t, y], [T.nnet.categorical_crossentropy(p, t),
                                                T.nnet.categorical_crossentropy(p, y)],
                                    probabilities, np.eye(3)[labels], labels)
    np.testing.assert_allclose(from_one_hot, -np.log([0.7, 0.25]), rtol=1e-15)
    np.testing.assert_allclose(from_labels, from_one_hot, rtol=1e-15)
    with pytest.raises(TypeError, match="integer labels"):
        T.nnet.categorical_crossentropy(p, T.dvector())


def test_softmax_regression_gradient_matches_finite_differences():
    x, y = T.dmatrix("x"), T.lvector("y")
    w = minitensor.shared(RNG.normal(size=(4, 3)), name="w")
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(x, w)), y))
    data, labels = RNG.normal(size=(6, 4)), np.array([0, 1, 2, 2, 1, 0])
    g = run([x, y], T.grad(cost, w), data, labels)
    f = minitensor.function([x, y], cost)

    def cost_at(weights):
        w.set_value(weights)
        return f(data, labels)
    expected = numeric_grad(cost_at, [w.get_value()], 1e-6)[0]
    np.testing.assert_allclose(g, expected, atol=1e-8)


def test_sum_mean_and_prod_take_theanos_positional_arguments():
    m = T.dmatrix("m")
    summed = T.sum(m, 0, "float32", True)  # (input, axis, dtype, keepdims), as in Theano
    assert summed.dtype == "float32" and summed.broadcastable == (True, False)
    assert m.mean(1, "float32").dtype == "float32" and T.prod(m, None, "float32").dtype == "float32"
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(summed.eval({m: value}), value.sum(0, keepdims=True))



# --- issue 18: how float32 sums round; dtype and acc_dtype as Theano defines them -------------

def _bytes_allocated(f, *values):
    """The most memory tracemalloc saw allocated during one call of ``f`` (NumPy's arrays and
    its casting buffers are traced), above what was held before it."""
    import tracemalloc
    f(*values)
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    f(*values)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


@pytest.mark.numpy_only("CuPy's kernels add float32 in float64 without a copy: only NumPy's sums change")
def test_a_contiguous_float32_sum_adds_in_pairs_in_float32_without_a_float64_copy():
    # The NumPy program's sums (the C linker's compiled sums add in float64 without a copy).
    x, m = T.fvector("x"), T.fmatrix("m")
    py = theano.Mode(linker="py")
    total, rows = theano.function([x], T.sum(x), mode=py), theano.function([m], T.sum(m, axis=1), mode=py)
    values = np.full(10 ** 6, 0.1, dtype="float32")  # equal terms: one after another, float32 loses 1e-4
    got = total(values)
    assert got.dtype == "float32" and got == np.add.reduce(values)  # NumPy's pairwise float32 sum
    exact = values.size * float(values[0])
    assert abs(float(got) - exact) <= (np.log2(values.size) + 16) * np.finfo("float32").eps * exact
    matrix = values.reshape(1000, 1000)
    np.testing.assert_array_equal(rows(matrix), np.add.reduce(matrix, axis=1))
    # NumPy casts to float64 through a 64 KiB buffer; added in float32 there is none.
    assert _bytes_allocated(total, values) < 8192 <= _bytes_allocated(
        theano.function([x], T.sum(x, acc_dtype="float64"), mode=py), values)
    compiled = theano.function([x], T.sum(x), mode=theano.Mode(linker="c"))
    if compiled.program.backend.linker == "c":  # where a compiler is found
        assert compiled(values) == np.float32(np.add.reduce(values, dtype="float64"))
        assert _bytes_allocated(compiled, values) < 8192


@pytest.mark.parametrize("make", [lambda m: T.sum(m, axis=0), lambda m: T.sum(m.T, axis=1), lambda m: T.sum(m[:, ::2])])
def test_a_float32_sum_added_one_term_after_another_accumulates_in_float64(make):
    # Summing down the columns of a C-contiguous matrix, NumPy adds row after row: in float32
    # 10**5 equal terms would be off by about 1e-4; in float64 the result is the exact sum rounded.
    m = T.fmatrix("m")
    values = np.full((100000, 4), 0.1, dtype="float32")
    got = theano.function([m], make(m))(values)
    wide = theano.function([m], make(m.astype("float64")))(values).astype("float32")
    assert got.dtype == "float32"
    np.testing.assert_array_equal(got, wide)


def test_sum_dtype_and_acc_dtype_mean_what_they_mean_in_theano():
    x, small = T.fvector("x"), T.bvector("small")
    values = np.array([1.0, 2.0 ** -30, -1.0, 3.0], dtype="float32")
    # acc_dtype: what the terms are added in; the result keeps the input's dtype
    accumulated = x.sum(acc_dtype="float64")
    assert accumulated.dtype == "float32" and str(accumulated.owner.op) == "Sum{axis=(0,), acc_dtype=float64}"
    # dtype: the result's dtype, added in it (or wider): the float64 result keeps 2**-30
    assert x.sum(dtype="float64").eval({x: values}) == 3.0 + 2.0 ** -30
    assert x.mean(dtype="float64").dtype == "float64" and x.mean(acc_dtype="float64").dtype == "float32"
    # a narrower result is the full sum rounded once: int8 wraps only at the end
    wrapped = small.sum(dtype="int8")
    assert wrapped.dtype == "int8" and wrapped.eval({small: np.array([100, 100, -100], dtype="int8")}) == 100
    assert small.sum(acc_dtype="float64").dtype == "int64"  # a float accumulator for integers is allowed
    with pytest.raises(TypeError, match="cannot add up a float32 input in float16"):
        x.sum(acc_dtype="float16")
    # the gradient has the input's dtype whatever the result's
    assert T.grad(x.sum(dtype="float64"), x).dtype == "float32"


# --- issue 17: Theano's hierarchical softmax and the cross-entropy of a sigmoid's input ------

def _softmax_rows(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_h_softmax_is_class_probability_times_probability_within_the_class():
    rng = np.random.default_rng(3)
    batch, dim, classes, per_class, outputs = 3, 4, 3, 2, 5  # the last class has one real output
    x, target = T.dmatrix("x"), T.ivector("target")
    W1, b1 = rng.normal(size=(dim, classes)), rng.normal(size=classes)
    W2, b2 = rng.normal(size=(classes, dim, per_class)), rng.normal(size=(classes, per_class))
    every = T.nnet.h_softmax(x, batch, outputs, classes, per_class, W1, b1, W2, b2)
    of_targets = T.nnet.h_softmax(x, batch, outputs, classes, per_class, W1, b1, W2, b2, target)
    xs, ts = rng.normal(size=(batch, dim)), np.array([0, 4, 3], dtype="int32")
    all_probs, target_probs = theano.function([x, target], [every, of_targets])(xs, ts)
    within = _softmax_rows(np.einsum("bd,cdp->bcp", xs, W2) + b2)
    expected = (_softmax_rows(xs @ W1 + b1)[:, :, None] * within).reshape(batch, -1)[:, :outputs]
    np.testing.assert_allclose(all_probs, expected, rtol=1e-12)
    np.testing.assert_allclose(target_probs, expected[np.arange(batch), ts], rtol=1e-12)


def test_sigmoid_binary_crossentropy_is_finite_for_large_inputs():
    z, t = T.dvectors("z", "t")
    f = theano.function([z, t], T.nnet.sigmoid_binary_crossentropy(z, t))
    np.testing.assert_allclose(f([-800.0, 0.0, 800.0], [1.0, 0.5, 0.0]), [800.0, np.log(2), 800.0])
