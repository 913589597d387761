"""``theano.function``: outputs, updates, givens, input checking, errors and aliasing."""

import os
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor as theano
import minitensor.tensor as T
from minitensor.compile.executor import MissingInputError
from minitensor.compile.function import UnusedInputError
from helpers import here

THIS_FILE = os.path.basename(__file__)


def assert_made_at(message, line):
    """``message`` points at this test file and ``line``, where the variable or node was made."""
    assert THIS_FILE in message, message
    assert f"line {line}" in message, message


# --- outputs -------------------------------------------------------------------------------

def test_single_output_returns_one_array():
    x = T.dvector("x")
    f = theano.function([x], x * 2)
    out = f(np.array([1.0, 2.0]))
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [2.0, 4.0])


def test_zero_dimensional_results_are_ndarrays_not_numpy_scalars():
    x = T.dvector("x")
    out = theano.function([x], x.sum())(np.array([1.0, 2.0]))
    assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64
    assert out == 3.0
    s = T.dscalar("s")
    out = theano.function([s], s * 2)(1.5)
    assert type(out) is np.ndarray and out.shape == ()
    assert out == 3.0
    outs = theano.function([x], [x.sum(), x.max()])(np.array([1.0, 2.0]))
    assert all(type(o) is np.ndarray and o.shape == () for o in outs)


def test_list_of_outputs_returns_a_list():
    x = T.dvector("x")
    f = theano.function([x], [x + 1, x * 3])
    out = f(np.array([1.0, 2.0]))
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0], [2.0, 3.0])
    np.testing.assert_array_equal(out[1], [3.0, 6.0])
    one = theano.function([x], [x + 1])(np.array([1.0]))
    assert isinstance(one, list) and len(one) == 1
    np.testing.assert_array_equal(one[0], [2.0])


def test_outputs_none_returns_none_and_empty_list_returns_empty_list():
    w = theano.shared(np.float64(0.0), name="w")
    f = theano.function([], updates=[(w, w + 1)])
    assert f() is None
    assert f() is None
    assert w.get_value() == 2.0
    g = theano.function([], [], updates=[(w, w + 1)])
    assert g() == []
    assert w.get_value() == 3.0


def test_python_number_and_constant_outputs():
    f = theano.function([], T.constant(2.5))
    out = f()
    assert type(out) is np.ndarray and out == 2.5
    out[...] = 7  # a constant's storage must not be handed out
    assert f() == 2.5


# --- updates -------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["tuples", "lists", "dict", "ordered_dict"])
def test_update_forms(form):
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    c = theano.shared(np.int64(0), name="c")
    pairs = [(w, w * 2), (c, c + 1)]
    updates = {"tuples": pairs, "lists": [list(p) for p in pairs], "dict": dict(pairs),
               "ordered_dict": OrderedDict(pairs)}[form]
    f = theano.function([], w.sum(), updates=updates)
    assert f() == 3.0
    np.testing.assert_array_equal(w.get_value(), [2.0, 4.0])
    assert c.get_value() == 1
    assert f() == 6.0
    assert c.get_value() == 2


def test_updates_use_the_values_from_before_the_call():
    a = theano.shared(np.array([1.0]), name="a")
    b = theano.shared(np.array([2.0]), name="b")
    swap = theano.function([], [a, b], updates=[(a, b), (b, a)])
    old_a, old_b = swap()
    np.testing.assert_array_equal(old_a, [1.0])  # outputs read the values before the updates
    np.testing.assert_array_equal(old_b, [2.0])
    np.testing.assert_array_equal(a.get_value(), [2.0])
    np.testing.assert_array_equal(b.get_value(), [1.0])
    swap()
    np.testing.assert_array_equal(a.get_value(), [1.0])
    np.testing.assert_array_equal(b.get_value(), [2.0])


def test_output_of_an_updated_shared_variable_is_its_old_value():
    state = theano.shared(np.int64(0), name="state")
    inc = T.lscalar("inc")
    accumulate = theano.function([inc], state, updates=[(state, state + inc)])
    assert accumulate(1) == 0
    assert accumulate(300) == 1
    assert state.get_value() == 301
    decrement = theano.function([inc], state * 10, updates=[(state, state - inc)])
    assert decrement(1) == 3010
    assert state.get_value() == 300


@pytest.mark.parametrize("make_update, what", [
    (lambda w: w.astype("float32"), "float32"),
    (lambda w: w.sum(), "scalar"),
    (lambda w: w.dimshuffle(0, 1, "x"), "(False, False, True)"),
])
def test_update_of_another_type_is_a_type_error_naming_the_shared_variable(make_update, what):
    w, line = theano.shared(np.zeros((2, 2)), name="weights"), here()
    with pytest.raises(TypeError) as info:
        theano.function([], updates=[(w, make_update(w))])
    message = str(info.value)
    assert "weights" in message
    assert "TensorType(float64, matrix)" in message
    assert what in message
    assert_made_at(message, line)


def test_update_of_a_non_shared_variable_is_a_type_error():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="shared"):
        theano.function([x], x, updates=[(x, x + 1)])


def test_python_number_update_takes_the_shared_variables_type():
    # Theano's rebuild_collect_shared passes each update through
    # store_into.type.filter_variable, which makes a non-variable a constant of that type.
    acc = theano.shared(1.5, name="acc")
    reset = theano.function([], updates=[(acc, 0)])
    reset()
    value = acc.get_value()
    assert value.dtype == np.float64 and value.shape == () and value == 0.0


def test_a_call_that_raises_changes_no_shared_variable():
    a = theano.shared(np.array([1.0, 2.0]), name="a")
    b = theano.shared(np.array([1.0, 2.0]), name="b")
    x = T.dvector("x")
    f = theano.function([x], updates=[(a, a + 1), (b, b + x)])
    with pytest.raises(ValueError):
        f(np.ones(3))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0])
    np.testing.assert_array_equal(b.get_value(), [1.0, 2.0])
    with pytest.raises(TypeError):
        f(np.ones((2, 2)))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0])
    f(np.ones(2))
    np.testing.assert_array_equal(a.get_value(), [2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [2.0, 3.0])


# --- givens --------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["dict", "pairs", "lists"])
def test_givens_replace_a_variable(form):
    x, y = T.dvectors("x", "y")
    pairs = [(x, y * 2)]
    givens = {"dict": dict(pairs), "pairs": pairs, "lists": [list(p) for p in pairs]}[form]
    f = theano.function([y], x + 1, givens=givens)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [3.0, 5.0])


def test_givens_replace_a_shared_variable():
    w = theano.shared(np.array([1.0, 1.0]), name="w")
    v = T.dvector("v")
    f = theano.function([v], w * 3, givens={w: v})
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [3.0, 6.0])
    np.testing.assert_array_equal(w.get_value(), [1.0, 1.0])
    data = theano.shared(np.arange(6.0).reshape(3, 2), name="data")
    x = T.dmatrix("x")
    g = theano.function([], x.sum(), givens=[(x, data)])
    assert g() == 15.0
    data.set_value(np.ones((2, 2)))
    assert g() == 4.0


@pytest.mark.parametrize("replacement", [
    lambda: T.fvector("r"),
    lambda: T.dmatrix("r"),
    lambda: T.lvector("r"),
])
def test_givens_of_another_type_is_a_type_error(replacement):
    x = T.dvector("x")
    new = replacement()
    with pytest.raises(TypeError) as info:
        theano.function([new], x * 2, givens={x: new})
    message = str(info.value)
    assert "'x'" in message
    assert str(new.type) in message and "TensorType(float64, vector)" in message


# --- input checks --------------------------------------------------------------------------

def test_wrong_number_of_arguments():
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y, name="adder")
    for args in [(1.0,), (1.0, 2.0, 3.0), ()]:
        with pytest.raises(TypeError) as info:
            f(*args)
        message = str(info.value)
        assert "adder" in message
        assert "2" in message.split("got")[0]  # how many it takes
        assert f"got {len(args)}" in message


def test_wrong_ndim_is_a_type_error_naming_the_input():
    x, line = T.dmatrix("x"), here()
    y = T.dvector("y")
    f = theano.function([y, x], x + y, name="f")
    with pytest.raises(TypeError) as info:
        f(np.ones(3), np.ones(3))
    message = str(info.value)
    assert "'x'" in message
    assert "position 1" in message
    assert "TensorType(float64, matrix)" in message
    assert "(3,)" in message  # what was given
    assert_made_at(message, line)


def test_downcast_is_refused_unless_allowed():
    x, line = T.fvector("x"), here()
    f = theano.function([x], x * 2)
    data = np.array([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        f(data)
    message = str(info.value)
    assert "'x'" in message and "position 0" in message
    assert "TensorType(float32, vector)" in message
    assert "float64" in message
    assert "allow_input_downcast" in message
    assert_made_at(message, line)
    g = theano.function([x], x * 2, allow_input_downcast=True)
    out = g(data)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [2.0, 4.0])


def test_upcasts_are_accepted():
    x = T.dvector("x")
    f = theano.function([x], x * 2)
    for data in [np.array([1, 2], dtype="int32"), np.array([1, 2], dtype="float32"),
                 np.array([1, 2], dtype="int64")]:
        out = f(data)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, [2.0, 4.0])
    i = T.ivector("i")
    out = theano.function([i], i)(np.array([1, 2], dtype="int8"))
    assert out.dtype == np.int32


def test_python_lists_and_numbers_are_accepted_when_exact():
    x = T.dvector("x")
    out = theano.function([x], x * 2)([1, 2, 3])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [2.0, 4.0, 6.0])
    i = T.ivector("i")
    out = theano.function([i], i + 1)([1, 2])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [2, 3])
    s = T.iscalar("s")
    assert theano.function([s], s * 2)(3) == 6
    m = T.dmatrix("m")
    np.testing.assert_array_equal(theano.function([m], m)([[1, 2], [3, 4]]), [[1.0, 2.0], [3.0, 4.0]])


def test_inexact_python_values_are_refused():
    i = T.ivector("i")
    f = theano.function([i], i + 1)
    with pytest.raises(TypeError, match="'i'"):
        f([2.5, 1.0])
    s = T.iscalar("s")
    with pytest.raises(TypeError, match="'s'"):
        theano.function([s], s * 2)(2.5)
    with pytest.raises(TypeError, match="'i'"):
        f([1, 2 ** 40])
    np.testing.assert_array_equal(theano.function([i], i + 1, allow_input_downcast=True)([2.5]), [3])


def test_python_float_into_float32_follows_theanos_rule(floatX):
    """TensorType.filter: with allow_downcast None, a Python float may be downcast to floatX only."""
    x = T.fscalar("x")
    # floatX is float64: 0.1 is not exactly a float32, so it is refused.
    with pytest.raises(TypeError, match="'x'"):
        theano.function([x], x)(0.1)
    assert theano.function([x], x)(0.5) == 0.5  # exact, so accepted
    floatX.floatX = "float32"
    out = theano.function([x], x)(0.1)
    assert out.dtype == np.float32 and out == np.float32(0.1)
    with pytest.raises(TypeError, match="'x'"):
        theano.function([x], x, allow_input_downcast=False)(0.1)
    assert theano.function([x], x, allow_input_downcast=True)(0.1) == np.float32(0.1)
    d = T.dscalar("d")
    assert theano.function([d], d)(0.1).dtype == np.float64


def test_broadcastable_dimension_must_have_length_one():
    r, line = T.drow("r"), here()
    f = theano.function([r], r * 2)
    np.testing.assert_array_equal(f(np.ones((1, 3))), 2 * np.ones((1, 3)))
    for bad in [np.ones((3, 3)), np.ones((2, 1))]:
        with pytest.raises(TypeError) as info:
            f(bad)
        message = str(info.value)
        assert "'r'" in message and "broadcastable" in message and str(bad.shape) in message
        assert_made_at(message, line)
    with pytest.raises(TypeError):
        f(np.ones(3))  # a length-3 vector is not a row either


@given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=3),
       dtype=st.sampled_from(["int8", "int32", "int64", "float32", "float64", "bool"]))
def test_rank_is_checked_and_safe_upcasts_pass(shape, dtype):
    x = T.dtensor3("x")
    f = theano.function([x], x)
    data = np.zeros(shape, dtype=dtype)
    if len(shape) != 3:
        with pytest.raises(TypeError, match="'x'"):
            f(data)
    else:
        out = f(data)
        assert out.dtype == np.float64 and out.shape == tuple(shape)


def test_keyword_arguments_by_input_name():
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x - y)
    assert f(x=5.0, y=2.0) == 3.0
    assert f(y=5.0, x=2.0) == -3.0
    assert f(5.0, y=1.0) == 4.0
    with pytest.raises(TypeError, match="z"):
        f(x=1.0, z=2.0)
    with pytest.raises(TypeError):
        f(1.0, x=2.0)
    with pytest.raises(TypeError, match="y"):
        f(x=1.0)


# --- unused and missing inputs, illegal inputs ---------------------------------------------

def test_unused_input_raises():
    x, y = T.dvectors("x", "unused_y")
    with pytest.raises(UnusedInputError) as info:
        theano.function([x, y], x * 2)
    assert "unused_y" in str(info.value) and "1" in str(info.value)


def test_unused_input_warn_and_ignore():
    x, y = T.dvectors("x", "unused_y")
    with pytest.warns(UserWarning, match="unused_y"):
        f = theano.function([x, y], x * 2, on_unused_input="warn")
    np.testing.assert_array_equal(f(np.ones(2), np.ones(5)), [2.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = theano.function([x, y], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(g(np.ones(2), np.ones(5)), [2.0, 2.0])
    with pytest.raises(ValueError):
        theano.function([x, y], x * 2, on_unused_input="bogus")


def test_input_used_only_by_an_update_is_used():
    w = theano.shared(np.zeros(2), name="w")
    x = T.dvector("x")
    f = theano.function([x], updates=[(w, w + x)])
    f(np.ones(2))
    np.testing.assert_array_equal(w.get_value(), [1.0, 1.0])


def test_input_replaced_through_givens_is_unused():
    x, y = T.dvectors("x", "y")
    with pytest.raises(UnusedInputError, match="'x'"):
        theano.function([x, y], x * 2, givens={x: y})


def test_missing_input_raises_at_compile_time_naming_it():
    x = T.dvector("x")
    y, line = T.dvector("needed_y"), here()
    with pytest.raises(MissingInputError) as info:
        theano.function([x], x + y)
    message = str(info.value)
    assert "needed_y" in message
    assert_made_at(message, line)
    with pytest.raises(MissingInputError, match="needed_y"):
        theano.function([], y)


def test_missing_input_is_reported_on_the_users_graph_not_the_fused_one():
    x, y = T.dvectors("x", "y")
    with pytest.raises(MissingInputError) as info:
        theano.function([x], T.exp(x) * 2 + y)
    message = str(info.value)
    assert "needed by node Elemwise{add,no_inplace}" in message and "Composite" not in message
    assert message.index("inputs; add it") < message.index("was made at")  # the sentence comes first


def test_eval_passes_function_keywords():
    x, unused = T.dvector("x"), T.dscalar("unused")
    with pytest.raises(UnusedInputError):
        (x * 2).eval({x: [1.0], unused: 0.0})
    np.testing.assert_array_equal((x * 2).eval({x: [1.0], unused: 0.0}, on_unused_input="ignore"), [2.0])


def test_shared_variable_as_explicit_input_is_a_type_error():
    w = theano.shared(np.zeros(2), name="w")
    with pytest.raises(TypeError, match="'w'"):
        theano.function([w], w * 2)


def test_constant_as_explicit_input_is_a_type_error():
    c = T.constant(np.ones(2))
    with pytest.raises(TypeError):
        theano.function([c], c * 2)


def test_non_leaf_and_non_list_inputs_are_type_errors():
    x = T.dvector("x")
    with pytest.raises(TypeError):
        theano.function([x * 2], x)
    with pytest.raises(TypeError):
        theano.function(x, x)
    with pytest.raises(TypeError):
        theano.function([np.ones(2)], x)


# --- aliasing ------------------------------------------------------------------------------

def test_output_of_an_input_is_a_copy():
    x = T.dvector("x")
    data = np.array([1.0, 2.0])
    out = theano.function([x], x)(data)
    assert not np.shares_memory(out, data)
    out[0] = 99.0
    assert data[0] == 1.0
    m = T.dmatrix("m")
    data = np.ones((2, 3))
    out = theano.function([m], m.T)(data)
    assert not np.shares_memory(out, data)
    out2 = theano.function([m], m.reshape((3, 2)))(data)
    assert not np.shares_memory(out2, data)


def test_output_of_shared_storage_is_a_copy():
    w = theano.shared(np.array([[1.0, 2.0], [3.0, 4.0]]), name="w")
    for output in (w, w.T, w.reshape((4,)), w.dimshuffle(1, 0)):
        out = theano.function([], output)()
        out[...] = -1.0
        np.testing.assert_array_equal(w.get_value(), [[1.0, 2.0], [3.0, 4.0]])
    borrowed = w.get_value(borrow=True)
    out = theano.function([], w)()
    assert not isinstance(borrowed, np.ndarray) or not np.shares_memory(out, borrowed)  # a GPU value cannot


def test_outputs_do_not_alias_each_other():
    # Theano's insert_deepcopy keeps outputs that are views of each other apart.
    x = T.dvector("x")
    y = x * 2
    first, second = theano.function([x], [y, y.T])(np.ones(3))
    first[0] = 7.0
    np.testing.assert_array_equal(second, [2.0, 2.0, 2.0])
    a, b = theano.function([x], [y, y])(np.ones(3))
    a[0] = 7.0
    np.testing.assert_array_equal(b, [2.0, 2.0, 2.0])


def test_outputs_do_not_alias_a_shared_variables_new_value():
    w = theano.shared(np.zeros(3), name="w")
    x = T.dvector("x")
    y = x * 2
    for output in (y, y.T, y.reshape((3,))):
        w.set_value(np.zeros(3))
        out = theano.function([x], output, updates=[(w, y)])(np.ones(3))
        out[0] = 99.0
        np.testing.assert_array_equal(w.get_value(), [2.0, 2.0, 2.0])


def test_shared_variables_do_not_alias_each_other_after_updates():
    a = theano.shared(np.zeros(2), name="a")
    b = theano.shared(np.zeros(2), name="b")
    x = T.dvector("x")
    theano.function([x], updates=[(a, x + 1), (b, (x + 1).T)])(np.ones(2))
    a.get_value(borrow=True)[0] = 5.0
    np.testing.assert_array_equal(b.get_value(), [2.0, 2.0])
    data = np.ones(2)
    theano.function([x], updates=[(a, x)])(data)
    data[0] = -1.0
    np.testing.assert_array_equal(a.get_value(), [1.0, 1.0])


# --- run-time errors -----------------------------------------------------------------------

def test_dot_shape_mismatch_names_op_shapes_and_line():
    a, b = T.dmatrices("a", "b")
    c, line = T.dot(a, b), here()
    f = theano.function([a, b], c)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((2, 3)))
    message = str(info.value)
    assert "dot" in message
    assert message.count("(2, 3)") >= 2
    assert_made_at(message, line)


def test_elementwise_shape_mismatch_names_op_shapes_and_line():
    a, b = T.dmatrices("a", "b")
    c, line = a * b, here()
    f = theano.function([a, b], c + 1)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((2, 4)))
    message = str(info.value)
    assert "mul" in message
    assert "(2, 3)" in message and "(2, 4)" in message
    assert_made_at(message, line)


# --- modes ---------------------------------------------------------------------------------

def test_fast_compile_and_fast_run_agree():
    x = T.dvector("x")
    w = theano.shared(np.array([0.5, -1.0, 2.0]), name="w")
    out = T.log(1 + T.exp(-x * w)) + 1 / (1 + T.exp(-x)) - (-(-x))
    data = np.array([-3.0, 0.0, 4.0])
    results = {}
    for mode in ("FAST_COMPILE", "FAST_RUN", None):
        results[mode] = theano.function([x], [out, out.sum()], mode=mode)(data)
    for mode in ("FAST_RUN", None):
        np.testing.assert_allclose(results[mode][0], results["FAST_COMPILE"][0], rtol=1e-12)
        np.testing.assert_allclose(results[mode][1], results["FAST_COMPILE"][1], rtol=1e-12)
    expected = np.log1p(np.exp(-data * w.get_value())) + 1 / (1 + np.exp(-data)) - data
    np.testing.assert_allclose(results["FAST_COMPILE"][0], expected, rtol=1e-12)


def test_unknown_mode_is_a_value_error():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="FAST_RUNN"):
        theano.function([x], x, mode="FAST_RUNN")


# --- a small end-to-end training loop ------------------------------------------------------

def test_training_loop_with_updates():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(50, 3))
    target = data @ np.array([1.0, -2.0, 0.5]) + 0.3
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(np.zeros(3), name="w")
    b = theano.shared(0.0, name="b")
    cost = ((T.dot(x, w) + b - y) ** 2).mean()
    gw, gb = theano.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    first = train(data, target)
    for _ in range(300):
        last = train(data, target)
    assert last < 1e-6 < first
    np.testing.assert_allclose(w.get_value(), [1.0, -2.0, 0.5], atol=1e-3)
    assert type(b.get_value()) is np.ndarray and b.get_value().shape == ()
    np.testing.assert_allclose(b.get_value(), 0.3, atol=1e-3)
