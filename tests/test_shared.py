"""Shared variables: values that persist between calls, copied unless borrowed."""

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitensor as theano
import minitensor.tensor as T
from minitensor.tensor.type import TensorType
from helpers import here


# --- construction --------------------------------------------------------------------------

@pytest.mark.numpy_only("borrow=True shares host memory, which a value on the GPU cannot")
def test_value_is_copied_unless_borrowed():
    data = np.array([1.0, 2.0, 3.0])
    w = theano.shared(data, name="w")
    data[0] = 100.0
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0, 3.0])
    borrowed = np.array([1.0, 2.0, 3.0])
    v = theano.shared(borrowed, name="v", borrow=True)
    borrowed[0] = 100.0
    np.testing.assert_array_equal(v.get_value(), [100.0, 2.0, 3.0])


def test_type_follows_the_arrays_dtype_and_rank_and_nothing_is_broadcastable():
    w = theano.shared(np.ones((1, 3), dtype="float32"), name="w")
    assert w.type == TensorType("float32", (False, False))
    assert (w.dtype, w.ndim, w.broadcastable) == ("float32", 2, (False, False))
    assert w.name == "w" and str(w) == "w"
    assert theano.shared(np.zeros(4, dtype="int8")).type == T.bvector
    assert theano.shared(np.zeros((2, 2, 2))).type == T.dtensor3


def test_python_numbers_make_zero_dimensional_int64_and_float64(floatX):
    f = theano.shared(0.0)
    assert f.type == T.dscalar
    value = f.get_value()
    assert type(value) is np.ndarray and value.shape == () and value.dtype == np.float64
    i = theano.shared(3)
    assert i.type == T.lscalar
    assert type(i.get_value()) is np.ndarray and i.get_value() == 3
    floatX.floatX = "float32"
    assert theano.shared(0.5).type == T.dscalar  # as Theano's scalar_constructor: not floatX


def test_numpy_scalars_keep_their_dtype():
    s = theano.shared(np.float32(1.5))
    assert s.type == T.fscalar
    assert type(s.get_value()) is np.ndarray and s.get_value().dtype == np.float32


def test_lists_are_accepted():
    w = theano.shared([[1, 2], [3, 4]], name="w")
    assert w.type == T.lmatrix
    np.testing.assert_array_equal(w.get_value(), [[1, 2], [3, 4]])


def test_symbolic_or_non_numeric_values_are_refused():
    with pytest.raises(TypeError):
        theano.shared(T.dvector("x"))
    with pytest.raises(TypeError):
        theano.shared({"a": 1})


# --- get_value -----------------------------------------------------------------------------

def test_get_value_returns_a_copy():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    value = w.get_value()
    value[0] = -5.0
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])
    assert w.get_value() is not w.get_value()


def test_get_value_borrow_returns_the_storage():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    w.get_value(borrow=True)[0] = -5.0
    np.testing.assert_array_equal(w.get_value(), [-5.0, 2.0])


# --- set_value -----------------------------------------------------------------------------

@pytest.mark.numpy_only("borrow=True shares host memory, which a value on the GPU cannot")
def test_set_value_copies_unless_borrowed():
    w = theano.shared(np.zeros(2), name="w")
    new = np.array([1.0, 2.0])
    w.set_value(new)
    new[0] = 100.0
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])
    w.set_value(new, borrow=True)
    new[1] = 200.0
    np.testing.assert_array_equal(w.get_value(), [100.0, 200.0])


def test_set_value_converts_lists_and_upcasts():
    w = theano.shared(np.zeros(3), name="w")
    w.set_value([1, 2, 3])
    value = w.get_value()
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, [1.0, 2.0, 3.0])
    w.set_value(np.array([4, 5], dtype="int32"))  # a new shape of the same rank is fine
    assert w.get_value().dtype == np.float64
    np.testing.assert_array_equal(w.get_value(), [4.0, 5.0])
    s = theano.shared(0.0, name="s")
    s.set_value(2.5)
    assert type(s.get_value()) is np.ndarray and s.get_value().shape == () and s.get_value() == 2.5


def test_set_value_of_wrong_ndim_is_a_type_error_naming_the_variable():
    w, line = theano.shared(np.zeros((2, 2)), name="weights"), here()
    with pytest.raises(TypeError) as info:
        w.set_value(np.zeros(3))
    message = str(info.value)
    assert "weights" in message
    assert "TensorType(float64, matrix)" in message
    assert "(3,)" in message
    assert os.path.basename(__file__) in message and f"line {line}" in message
    np.testing.assert_array_equal(w.get_value(), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="weights"):
        w.set_value(1.0)


def test_set_value_refuses_a_lossy_downcast_unless_allowed():
    w = theano.shared(np.zeros(2, dtype="float32"), name="w")
    with pytest.raises(TypeError, match="'w'"):
        w.set_value(np.array([0.1, 0.2]))
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.0])
    loose = theano.shared(np.zeros(2, dtype="float32"), name="loose", allow_downcast=True)
    loose.set_value(np.array([0.1, 0.2]))
    assert loose.get_value().dtype == np.float32
    np.testing.assert_array_equal(loose.get_value(), np.array([0.1, 0.2], dtype="float32"))
    i = theano.shared(np.zeros(2, dtype="int32"), name="i")
    with pytest.raises(TypeError, match="'i'"):
        i.set_value([1.5, 2.0])


def test_strict_refuses_another_dtype():
    w = theano.shared(np.zeros(2), name="w", strict=True)
    with pytest.raises(TypeError, match="'w'"):
        w.set_value(np.zeros(2, dtype="float32"))
    with pytest.raises(TypeError, match="'w'"):
        w.set_value(np.zeros(2, dtype="int64"))
    with pytest.raises(TypeError, match="'w'"):
        w.set_value([1.0, 2.0])
    w.set_value(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(w.get_value(), [3.0, 4.0])


@given(data=hnp.arrays(dtype=st.sampled_from([np.int8, np.int32, np.float32, np.float64]),
                       shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
def test_round_trip_keeps_values_dtype_and_shape(data):
    w = theano.shared(data)
    assert w.dtype == data.dtype.name and w.ndim == data.ndim
    value = w.get_value()
    assert type(value) is np.ndarray
    assert value.dtype == data.dtype and value.shape == data.shape
    np.testing.assert_array_equal(value, data)
    assert not np.shares_memory(value, data)
    w.set_value(data)
    np.testing.assert_array_equal(w.get_value(), data)


# --- in functions --------------------------------------------------------------------------

def test_functions_read_the_current_value():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    f = theano.function([], w * 2)
    np.testing.assert_array_equal(f(), [2.0, 4.0])
    w.set_value(np.array([5.0, 5.0, 5.0]))
    np.testing.assert_array_equal(f(), [10.0, 10.0, 10.0])


def test_zero_dimensional_shared_variable_stays_an_ndarray_after_training():
    x, y = T.dvector("x"), T.dvector("y")
    w = theano.shared(0.0, name="w")
    b = theano.shared(0.0, name="b")
    cost = ((w * x + b - y) ** 2).mean()
    gw, gb = theano.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    data = np.linspace(-1, 1, 20)
    for _ in range(5):
        train(data, 3 * data + 1)
    for var in (w, b):
        value = var.get_value()
        assert type(value) is np.ndarray and value.shape == () and value.dtype == np.float64
        assert var.get_value(borrow=True).shape == ()
    assert b.get_value() != 0.0


def test_update_result_of_a_zero_dimensional_reduction_is_stored_as_0d_array():
    total = theano.shared(np.int64(0), name="total")
    x = T.lvector("x")
    f = theano.function([x], updates=[(total, total + x.sum())])
    f(np.array([1, 2, 3]))
    value = total.get_value()
    assert type(value) is np.ndarray and value.shape == () and value.dtype == np.int64
    assert value == 6


def test_set_value_between_calls_with_borrow_is_not_mutated_by_updates():
    w = theano.shared(np.zeros(2), name="w")
    f = theano.function([], updates=[(w, w + 1)])
    mine = np.array([1.0, 1.0])
    w.set_value(mine, borrow=True)
    f()
    np.testing.assert_array_equal(mine, [1.0, 1.0])  # updates replace the value, not write into it
    np.testing.assert_array_equal(w.get_value(), [2.0, 2.0])
