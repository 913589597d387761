"""``function``'s inputs and outputs: ``In`` (defaults, names, updates, borrow), dicts of outputs,
and ``copy``."""

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import In, function


# --- In: default values and keyword names ------------------------------------------------------

def test_tutorial_default_value_for_an_argument():
    x, y = T.dscalars('x', 'y')
    z = x + y
    f = function([x, In(y, value=1)], z)
    assert f(33) == 34.0
    assert f(33, 2) == 35.0

    x, y, w = T.dscalars('x', 'y', 'w')
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name='w_by_name')], z)
    assert f(33) == 68.0
    assert f(33, 2) == 70.0
    assert f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1) == 34.0
    assert f(33, w_by_name=1, y=0) == 33.0
    assert type(f(33)) is np.ndarray


def test_in_is_exported_from_minitensor_and_compile():
    assert theano.In is In is theano.compile.In


def test_the_name_of_an_in_replaces_the_variables_name():
    x, w = T.dscalars('x', 'w')
    f = function([x, In(w, value=2.0, name='weight')], x * w)
    assert f(3.0, weight=5.0) == 15.0
    with pytest.raises(TypeError, match="no input named 'w'"):
        f(3.0, w=5.0)


def test_an_input_without_default_must_be_given():
    x, y = T.dscalars('x', 'y')
    f = function([In(x, value=1.0), y], x - y, name="f")
    assert f(y=3.0) == -2.0
    assert f(5.0, 3.0) == 2.0
    with pytest.raises(TypeError, match="missing: y"):
        f(5.0)
    with pytest.raises(TypeError, match="got 3"):
        f(1.0, 2.0, 3.0)


def test_defaults_are_converted_at_compile_time():
    x = T.dvector('x')
    f = function([In(x, value=[1, 2])], x * 2)
    out = f()
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [2.0, 4.0])
    out[0] = 99.0  # the caller's array is never the stored default
    np.testing.assert_array_equal(f(), [2.0, 4.0])
    i = T.ivector('i')
    with pytest.raises(TypeError, match="default value for input 'i'"):
        function([In(i, value=[1.5])], i)
    m = T.dmatrix('m')
    with pytest.raises(TypeError, match="'m'"):
        function([In(m, value=[1.0, 2.0])], m)


def test_in_strict_and_allow_downcast_per_input():
    x, y = T.fvector('x'), T.fvector('y')
    f = function([In(x, allow_downcast=True), y], x + y)
    data64 = np.array([1.0, 2.0])
    data32 = data64.astype('float32')
    np.testing.assert_array_equal(f(data64, data32), [2.0, 4.0])
    with pytest.raises(TypeError, match="'y'"):
        f(data32, data64)
    g = function([In(x, strict=True)], x * 2)
    np.testing.assert_array_equal(g(data32), [2.0, 4.0])
    with pytest.raises(TypeError, match="strict"):
        g([1.0, 2.0])


def test_an_input_with_an_update_carries_state_from_call_to_call():
    # The example of Theano's documentation of In (library/compile/io).
    x, s = T.dscalars('x', 's')
    inc = function([x, In(s, update=(s + x), value=10.0)], [])
    assert inc[s] == 10.0
    assert inc(2) == []
    assert inc[s] == 12.0 and inc['s'] == 12.0
    inc[s] = 100
    inc(1)
    assert inc[In(s)] == 101.0
    inc(3, 5)  # given explicitly, the input is 5 for this call, and is still updated: 5 + 3
    assert inc[s] == 8.0


def test_an_input_state_is_kept_when_a_call_fails():
    x, s = T.dvectors('x', 's')
    f = function([x, In(s, update=s + x, value=[1.0, 2.0])], s * 2)
    np.testing.assert_array_equal(f([1.0, 1.0]), [2.0, 4.0])
    with pytest.raises(ValueError, match="dimension mismatch"):
        f([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(f[s], [2.0, 3.0])


def test_an_input_update_is_checked():
    x, s = T.dscalars('x', 's')
    with pytest.raises(ValueError, match="has an update but no value"):
        In(s, update=s + x)
    with pytest.raises(TypeError, match=r"update of input 's' .* has type TensorType\(float64, vector\), but it must"):
        function([x, In(s, update=T.stack([s, x]), value=0.0)], s)
    with pytest.raises(KeyError, match="has no input 'y'"):
        function([x, In(s, value=0.0)], s + x)['y']


def test_in_mutable_defaults_to_having_an_update():
    x, s = T.dscalars('x', 's')
    assert not In(x).mutable and In(s, value=0, update=s + 1).mutable
    assert not In(s, value=0, update=s + 1, mutable=False).mutable


def test_a_default_is_copied_unless_borrowed():
    x = T.dvector('x')
    mine = np.array([1.0, 2.0])
    copied = function([In(x, value=mine)], x.sum())
    borrowed = function([In(x, value=mine, borrow=True)], x.sum())
    mine[0] = 10.0
    assert copied() == 3.0 and borrowed() == 12.0
    copied[x] = mine
    mine[1] = 20.0
    assert copied() == 12.0


def test_in_takes_a_variable():
    with pytest.raises(TypeError, match="symbolic variable"):
        In(3.0)


# --- a dict of outputs ---------------------------------------------------------------------------

def test_a_dict_of_outputs_returns_a_dict():
    x = T.dvector('x')
    f = function([x], {'double': 2 * x, 'square': x ** 2})
    out = f([1.0, 3.0])
    assert isinstance(out, dict) and list(out) == ['double', 'square']
    np.testing.assert_array_equal(out['double'], [2.0, 6.0])
    np.testing.assert_array_equal(out['square'], [1.0, 9.0])


def test_a_dict_of_outputs_with_updates_and_string_keys_only():
    acc = theano.shared(0.0, name="acc")
    x = T.dscalar('x')
    f = function([x], {'before': acc, 'after': acc + x}, updates=[(acc, acc + x)])
    assert f(2.0) == {'before': 0.0, 'after': 2.0}
    assert f(3.0) == {'before': 2.0, 'after': 5.0}
    with pytest.raises(TypeError, match="string keys"):
        function([x], {1: x})


# --- copy ------------------------------------------------------------------------------------

def test_tutorial_copying_functions():
    state = theano.shared(0)
    inc = T.iscalar('inc')
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    assert accumulator(10) == 0
    assert state.get_value() == 10

    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0
    assert new_state.get_value() == 100
    assert state.get_value() == 10

    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10
    assert state.get_value() == 10


def test_copy_keeps_inputs_outputs_and_names():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    x, s = T.dvector('x'), T.dscalar('s')
    f = function([x, In(s, value=10.0, name='scale')], {'out': w * x * s}, name="original")
    w2 = theano.shared(np.array([-1.0, 0.0]), name="w2")
    g = f.copy(swap={w: w2}, name="copy")
    out = g([1.0, 1.0], scale=2.0)
    np.testing.assert_array_equal(out['out'], [-2.0, 0.0])
    np.testing.assert_array_equal(g([1.0, 1.0])['out'], [-10.0, 0.0])
    assert g.name == "copy" and f.copy().name == "original"


def test_copy_checks_the_swap():
    w = theano.shared(np.zeros(2), name="w")
    f = function([], w * 2)
    with pytest.raises(TypeError, match="another type"):
        f.copy(swap={w: theano.shared(np.zeros((2, 2)))})
    with pytest.raises(TypeError, match="shared variables"):
        f.copy(swap={w: T.dvector('v')})



# --- issue 17: Theano's input tuples, Out, f.value and f.container, shared's options ----------

def test_input_tuples_are_theano_shorthands_for_In():
    x, y, z, w = T.dscalar(), T.dscalar('y'), T.dscalar('z'), T.dscalar('w')
    fn = theano.function([x, y, ('zed', z, 42.0), ((w, w + x), 0)], x + y + z)
    assert fn(1, 2) == 45 and fn['w'] == 1  # w <- w + x after the call
    assert fn(1, 2, zed=3) == 6 and fn['w'] == 2
    with pytest.raises(TypeError, match="input tuple"):
        theano.function([(x, 1, 2, 3)], x)


def test_value_and_container_read_and_set_the_defaults():
    a, b, c = T.dscalars('xys')  # one variable per letter: x, y and s
    fn = theano.function([a, b, ((c, c + a + b), 10.0)], [])
    assert fn['s'] is fn.value[c] and fn['s'] is fn.container[c].value
    assert fn(1, 2) == [] and fn['s'] == 13.0
    fn.value[c] = 99.0
    fn(1, 0)
    assert fn.container[c].value == 100.0


def test_out_unwraps_to_its_variable_and_returns_the_callers_own_array():
    x = T.dmatrix('x')
    fn = theano.function([x], [x + x, theano.Out((x + x).T, borrow=True)])
    first, second = fn(np.eye(2))
    np.testing.assert_array_equal(second, 2 * np.eye(2))
    assert not np.shares_memory(first, second)


def test_shared_takes_a_broadcastable_pattern_and_get_value_its_internal_type():
    s = theano.shared(np.ones((1, 3)), broadcastable=(True, False))
    assert s.type == T.drow
    assert s.get_value(borrow=True, return_internal_type=True) is s.get_value(borrow=True)
    with pytest.raises(TypeError, match="broadcastable"):
        theano.shared(np.ones((2, 3)), broadcastable=(True, False))


# --- In(mutable=True): the caller's array may be destroyed, and only then ------------------

def _arrays(backend):
    """The array module of ``backend``, and a function reading its arrays back to NumPy."""
    from minitensor.backends import get_backend, to_host
    return get_backend(backend).xp, to_host


def test_a_mutable_input_is_overwritten_and_an_immutable_one_never(backend):
    xp, to_host = _arrays(backend)
    x = T.dvector('x')
    expected = np.exp(np.ones(3))
    # (one op, not a fused Composite: on the GPU a fused kernel writes a new array anyway)
    mutable = function([In(x, mutable=True)], T.exp(x), backend=backend, device_outputs=True)
    kept = function([x], T.exp(x), backend=backend, device_outputs=True)
    data = xp.ones(3)
    np.testing.assert_allclose(to_host(kept(data)), expected)
    np.testing.assert_array_equal(to_host(data), np.ones(3))
    result = mutable(data)
    np.testing.assert_allclose(to_host(result), expected)
    np.testing.assert_allclose(to_host(data), expected)  # the result was written into the caller's array
    assert mutable.program.destroyed_inputs() == [x] and kept.program.destroyed_inputs() == []


def test_a_mutable_default_is_never_destroyed():
    x = T.dvector('x')
    f = function([In(x, value=np.ones(3), mutable=True)], T.exp(x) * 2)
    first, second = f(), f()
    np.testing.assert_allclose(first, np.exp(np.ones(3)) * 2)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(f[x], np.ones(3))


def test_a_mutable_input_aliased_to_another_input_or_a_shared_value_is_copied_first(backend):
    xp, to_host = _arrays(backend)
    x, y = T.dvectors('x', 'y')
    data = xp.asarray([0.5, 1.0, 2.0])
    expected = np.dot(np.exp(to_host(data)), to_host(data))
    # exp(x) is written over x; then y, the same array, would be read changed
    f = function([In(x, mutable=True), y], T.dot(T.exp(x), y), backend=backend)
    np.testing.assert_allclose(f(data, data), expected)
    np.testing.assert_array_equal(to_host(data), [0.5, 1.0, 2.0])
    with theano.config.change_flags(device="cuda" if backend == "cupy" else "cpu"):  # where g computes
        s = theano.shared(np.array([0.5, 1.0, 2.0]), name='s')
    g = function([In(x, mutable=True)], T.exp(x) * s, backend=backend)
    value = s.get_value(borrow=True)
    g(value)
    np.testing.assert_array_equal(s.get_value(), [0.5, 1.0, 2.0])


def test_a_read_only_array_passed_as_mutable_is_not_written_over():
    x = T.dvector('x')
    f = function([In(x, mutable=True)], T.exp(x) * 2)
    frozen = np.ones(3)
    frozen.flags.writeable = False
    np.testing.assert_allclose(f(frozen), np.exp(np.ones(3)) * 2)
    np.testing.assert_array_equal(frozen, np.ones(3))


def test_an_update_computed_in_a_callers_array_is_copied_before_the_shared_variable_keeps_it():
    x = T.dvector('x')
    s = theano.shared(np.zeros(3), name='s')
    f = function([In(x, mutable=True)], [], updates=[(s, T.exp(x) * 2)])
    data = np.ones(3)
    f(data)
    data[:] = -1.0  # the caller reuses its array
    np.testing.assert_allclose(s.get_value(), np.exp(np.ones(3)) * 2)


def test_an_inplace_op_writes_over_a_mutable_input_only(backend):
    from minitensor.tensor.inplace import add_inplace
    xp, to_host = _arrays(backend)
    x, y = T.dvectors('x', 'y')
    with pytest.raises(TypeError, match="inplace operations.*accept_inplace=True"):
        function([x, y], add_inplace(x, y))
    for mutable, after in ((False, [1.0, 2.0]), (True, [2.0, 3.0])):
        f = function([In(x, mutable=mutable), y], add_inplace(x, y), accept_inplace=True, backend=backend)
        data = xp.asarray([1.0, 2.0])
        np.testing.assert_array_equal(f(data, xp.ones(2)), [2.0, 3.0])
        np.testing.assert_array_equal(to_host(data), after)


# --- rebuild_strict --------------------------------------------------------------------------

def test_rebuild_strict_false_lets_givens_change_a_type():
    x, y = T.fmatrix('x'), T.dmatrix('y')
    out = T.exp(x).sum(axis=0)
    with pytest.raises(TypeError, match="rebuild_strict=False"):
        function([y], out, givens={x: y})
    f = function([y], out, givens={x: y}, rebuild_strict=False)
    result = f(np.ones((2, 2)))
    assert result.dtype == np.float64  # the nodes above x were made again, for float64
    np.testing.assert_allclose(result, 2 * np.exp(np.ones(2)))
    # An update must still keep its shared variable's type.
    s = theano.shared(np.zeros(2, dtype='float32'), name='s')
    with pytest.raises(TypeError, match="shared variable"):
        function([y], [], updates=[(s, out)], givens={x: y}, rebuild_strict=False)
    copied = f.copy()
    assert copied(np.ones((2, 2))).dtype == np.float64
