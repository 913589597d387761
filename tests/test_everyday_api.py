"""Theano's everyday tensor API (issue 17) beyond the op table: names, variable methods,
shape helpers, statistics, and the forms Theano code writes them in."""

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T

RNG = np.random.default_rng(17)


def test_one_string_names_one_variable_per_letter():
    a, b, c = T.dscalars('xys')
    assert [v.name for v in (a, b, c)] == ['x', 'y', 's']
    assert T.dscalars('x').name == 'x'  # one letter: one variable, not a list


def test_shape_entries_unpack_and_reshape_to_a_shape_needs_no_ndim():
    x, y = T.dtensor3('x'), T.dmatrix('y')
    rows, cols = x.shape[:2]
    f = theano.function([x, y], [rows * cols, T.reshape(y, x.shape[1:])])
    count, reshaped = f(np.zeros((2, 3, 4)), np.arange(12.0).reshape(4, 3))
    assert count == 6 and reshaped.shape == (3, 4)
    with pytest.raises(TypeError, match="length"):
        iter(T.dvector('v'))


def test_a_list_of_variables_is_stacked_as_in_theano():
    p, q = T.dscalars('p', 'q')
    assert T.sum([p, 2 * q]).eval({p: 1.0, q: 2.0}) == 5.0
    m = T.max([[p, q], [q, 3.0]], axis=1)
    np.testing.assert_array_equal(m.eval({p: 1.0, q: 2.0}), [2.0, 3.0])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), np.int64(1), np.array(0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_statistics_match_numpy(axis, keepdims):
    x = T.dmatrix('x')
    data = RNG.normal(size=(3, 4))
    numpy_axis = axis.tolist() if isinstance(axis, np.ndarray) else axis
    f = theano.function([x], [T.var(x, axis, keepdims=keepdims), T.std(x, axis, ddof=1, keepdims=keepdims),
                              T.ptp(x, axis, keepdims), T.any(x > 1, axis, keepdims), x.all(axis, keepdims)])
    var, std, ptp, any_, all_ = f(data)
    np.testing.assert_allclose(var, np.var(data, numpy_axis, keepdims=keepdims), rtol=1e-12)
    np.testing.assert_allclose(std, np.std(data, numpy_axis, ddof=1, keepdims=keepdims), rtol=1e-12)
    np.testing.assert_allclose(ptp, np.ptp(data, numpy_axis, keepdims=keepdims), rtol=1e-12)
    np.testing.assert_array_equal(any_, np.any(data > 1, numpy_axis, keepdims=keepdims))
    np.testing.assert_array_equal(all_, np.all(data, numpy_axis, keepdims=keepdims))


def test_broadcast_helpers():
    x = T.dmatrix('x')
    row = T.addbroadcast(x, 0)
    assert row.broadcastable == (True, False)
    assert T.unbroadcast(row, 0).broadcastable == (False, False)
    assert T.patternbroadcast(x, (False, False)) is x
    with pytest.raises(ValueError, match="length 1"):
        row.eval({x: np.ones((2, 3))})
    t = T.dtensor3('t')
    assert [T.shape_padaxis(t, a).broadcastable for a in (0, -1)] == [(True, False, False, False),
                                                                       (False, False, False, True)]
    assert T.shape_padright(T.dvector(), 2).broadcastable == (False, True, True)
    assert T.squeeze(T.shape_padleft(x)).broadcastable == (False, False)
    assert T.swapaxes(t, 0, 2).eval({t: np.zeros((1, 2, 3))}).shape == (3, 2, 1)


def test_eye_tri_and_grids_match_numpy():
    n = T.lscalar('n')
    np.testing.assert_array_equal(T.eye(n, 4, 1).eval({n: 3}), np.eye(3, 4, 1))
    x = T.dmatrix('x')
    data = np.arange(1.0, 13.0).reshape(3, 4)
    np.testing.assert_array_equal(T.tril(x, -1).eval({x: data}), np.tril(data, -1))
    np.testing.assert_array_equal(T.triu(x, 1).eval({x: data}), np.triu(data, 1))
    np.testing.assert_array_equal(T.identity_like(x).eval({x: data}), np.eye(3, 4))
    np.testing.assert_array_equal(T.mgrid[0:5, 0:3][1].eval(), np.mgrid[0:5, 0:3][1])
    np.testing.assert_array_equal(T.ogrid[0:5, 0:3][0].eval(), np.ogrid[0:5, 0:3][0])


def test_variable_methods_are_the_functions():
    x = T.dmatrix('x')
    data = RNG.normal(size=(3, 3))
    methods = [x.cumsum(1), x.sort(0), x.argsort(), x.trace(), x.diagonal(1), x.clip(-0.5, 0.5), x.round(),
               x.repeat(2, 0), x.norm(2), x.norm(1, axis=0), x.nonzero_values(), x.ravel(), x.size, x.copy(),
               x.take([2, 0], axis=1), x.take([4, 8])]
    results = theano.function([x], methods)(data)
    expected = [np.cumsum(data, 1), np.sort(data, 0), np.argsort(data), np.trace(data), np.diagonal(data, 1),
                np.clip(data, -0.5, 0.5), np.round(data), np.repeat(data, 2, 0), np.sqrt((data ** 2).sum()),
                np.abs(data).sum(0), data[data != 0], data.ravel(), 9, data, data.take([2, 0], axis=1),
                data.take([4, 8])]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_isclose_and_allclose_as_numpy():
    a, b = T.dvectors('a', 'b')
    va, vb = np.array([1.0, np.inf, np.nan, 1.0]), np.array([1.0 + 1e-9, np.inf, np.nan, 2.0])
    np.testing.assert_array_equal(T.isclose(a, b).eval({a: va, b: vb}), np.isclose(va, vb))
    np.testing.assert_array_equal(T.isclose(a, b, equal_nan=True).eval({a: va, b: vb}),
                                  np.isclose(va, vb, equal_nan=True))
    assert not T.allclose(a, b).eval({a: va, b: vb})


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_integer_mod_and_floor_division_by_zero_give_zero_as_numpy():
    i, j = T.ivectors('i', 'j')
    f = theano.function([i, j], [i % j, i // j])
    mod, div = f(np.array([-7, 7, 5], dtype='int32'), np.array([3, -3, 0], dtype='int32'))
    np.testing.assert_array_equal(mod, [2, -2, 0])
    np.testing.assert_array_equal(div, [-3, -3, 0])


def test_shape_of_variables_for_given_input_shapes():
    from minitensor.tensor.utils import shape_of_variables
    x, w = T.dmatrix('x'), T.dmatrix('w')
    h = T.tanh(T.dot(x, w))[:, 1:]
    fgraph = theano.FunctionGraph([x, w], [h], clone=False)
    shapes = shape_of_variables(fgraph, {x: (1000, 30), w: (30, 7)})
    assert shapes[h] == (1000, 6) and shapes[x] == (1000, 30)
    assert all(isinstance(size, np.ndarray) for size in shapes[h])


def test_assert_raises_when_a_condition_fails():
    from minitensor.tensor.opt import Assert
    x = T.dvector('x')
    f = theano.function([x], Assert("x must be short")(x, x.size < 2) * 2)
    np.testing.assert_array_equal(f([1.0]), [2.0])
    with pytest.raises(AssertionError, match="x must be short"):
        f([1.0, 2.0])


def test_compress_keeps_the_slices_where_the_condition_holds():
    condition, x = T.lvector('condition'), T.dmatrix('x')
    data = np.arange(12.0).reshape(3, 4)
    f = theano.function([condition, x], [T.extra_ops.compress(condition, x, axis=1),
                                         T.extra_ops.compress(condition, x)])
    by_column, flat = f([0, 1, 0, 1], data)
    np.testing.assert_array_equal(by_column, np.compress([0, 1, 0, 1], data, axis=1))
    np.testing.assert_array_equal(flat, np.compress([0, 1, 0, 1], data))
    # Its gradient comes from indexing: 1 at the kept elements.
    g = theano.function([condition, x], T.grad(T.extra_ops.compress(condition, x, axis=0).sum(), x))
    np.testing.assert_array_equal(g([1, 0, 1], data), [[1] * 4, [0] * 4, [1] * 4])


def test_choose_with_an_index_out_of_range_raises_in_mode_raise():
    a, c = T.lvector('a'), T.dmatrix('c')
    f = theano.function([a, c], T.choose(a, c))
    with pytest.raises(ValueError, match="outside"):
        f([0, 3], np.zeros((3, 2)))
    with pytest.raises(TypeError, match="integer"):
        T.choose(c, [a, a])


def test_fill_diagonal_refuses_a_value_that_would_upcast_the_tensor():
    m = T.imatrix('m')
    with pytest.raises(TypeError, match="scalar of its dtype"):
        T.fill_diagonal(m, 2.5)
    with pytest.raises(TypeError, match="two or more dimensions"):
        T.fill_diagonal(T.ivector(), 1)
    # a value of the tensor's dtype, or an integer into a float tensor, is taken
    np.testing.assert_array_equal(T.fill_diagonal(m, 7).eval({m: np.zeros((2, 3), "int32")}),
                                  [[7, 0, 0], [0, 7, 0]])


def test_unravel_index_needs_ndim_when_the_dims_are_computed():
    i, dims = T.lvector('i'), T.lvector('dims')
    with pytest.raises(ValueError, match="ndim"):
        T.unravel_index(i, dims)
    rows, cols = T.unravel_index(i, dims, ndim=2)
    f = theano.function([i, dims], [rows, cols, T.ravel_multi_index((rows, cols), dims)])
    r, c, flat = f([0, 5, 7], [2, 4])
    np.testing.assert_array_equal(r, [0, 1, 1])
    np.testing.assert_array_equal(c, [0, 1, 3])
    np.testing.assert_array_equal(flat, [0, 5, 7])
