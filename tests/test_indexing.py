"""Indexing, ``set_subtensor`` and ``inc_subtensor``: what the op table cannot express.

Types of results, views and copies, functional updates, accumulation at repeated
indices, symbolic indices, the negative log-likelihood idiom, and error messages.
"""

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor
import minitensor.tensor as T
from minitensor.gradient import numeric_grad, verify_grad
from minitensor.tensor import subtensor

A = np.arange(24.0).reshape(4, 6)
RNG = np.random.default_rng(3)


def run(inputs, outputs, *values):
    return minitensor.function(inputs, outputs)(*values)


# --- static types --------------------------------------------------------------------------

@pytest.mark.parametrize("build, pattern", [
    (lambda x: x[0], (False,)),
    (lambda x: x[1:, 0], (False,)),
    (lambda x: x[:, 1:3], (False, False)),
    (lambda x: x[None], (True, False, False)),
    (lambda x: x[:, None, 2], (False, True)),
    (lambda x: x[..., 0], (False,)),
    (lambda x: x[0, 0], ()),
    (lambda x: x[[0, 2]], (False, False)),
    (lambda x: x[[2]], (True, False)),  # a constant index array of length 1
    (lambda x: x[T.lvector(), T.lvector()], (False,)),
    (lambda x: x[T.lmatrix()], (False, False, False)),
    (lambda x: x[:, T.lvector()], (False, False)),
])
def test_result_patterns_of_a_matrix(build, pattern):
    assert build(T.dmatrix("x")).broadcastable == pattern


@pytest.mark.parametrize("build, pattern", [
    (lambda r: r[0:], (True, False)),  # surely keeps the one row
    (lambda r: r[:], (True, False)),
    (lambda r: r[::-1], (True, False)),
    (lambda r: r[1:], (False, False)),  # may leave no row at all
    (lambda r: r[:0], (False, False)),
    (lambda r: r[T.lscalar():], (False, False)),  # unknown until it runs
    (lambda r: r[:, 0], (True,)),
    (lambda r: r[0], (False,)),
])
def test_sliced_broadcastable_dimensions_stay_broadcastable_only_when_certain(build, pattern):
    assert build(T.drow("r")).broadcastable == pattern


def test_shape_entries_are_int64_scalars():
    x = T.dtensor3("x")
    first, last = x.shape[0], x.shape[-1]
    assert first.type == T.lscalar and last.type == T.lscalar
    assert run([x], [first, last], np.zeros((2, 3, 4))) == [2, 4]


def test_ops_print_their_index():
    x, i = T.dmatrix("x"), T.lscalar("i")
    assert str(x[1:, 0].owner.op) == "Subtensor{1:, 0}"
    assert str(x[::-1, i].owner.op) == "Subtensor{::-1, ?}"
    assert str(T.set_subtensor(x[0], 1).owner.op) == "IncSubtensor{Set;0}"
    assert str(T.inc_subtensor(x[:, [0]], 1).owner.op) == "AdvancedIncSubtensor{Inc;axis=1}"


def test_identical_index_expressions_are_equal_ops():
    x = T.dmatrix("x")
    assert x[1:, 0].owner.op == x[1:, 0].owner.op
    assert x[0, :].owner.op == x[0].owner.op  # trailing full slices are dropped
    assert x[1:, 0].owner.op != x[1:, 1].owner.op


# --- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("index", [
    0, -1, (1, 2), (-1, -2), np.s_[1:], np.s_[:-1], np.s_[::2], np.s_[::-1], np.s_[3:0:-2],
    np.s_[1:, 0], np.s_[:, 1:5:2], np.s_[None, 1], np.s_[..., -1], np.s_[1, ...], np.s_[:, None],
    np.s_[10:], np.s_[-10:2], [0, 0, 3], np.s_[[-1, 1], [0, 5]], np.s_[:, [5, 0, 5]],
    np.s_[np.array([[0, 1], [2, 3]])], np.s_[[1, 2], 0], (),
])
def test_values_match_numpy(index):
    x = T.dmatrix("x")
    result = run([x], x[index], A)
    np.testing.assert_array_equal(result, A[index])
    assert result.shape == A[index].shape


def test_symbolic_scalar_indices_and_slice_bounds():
    x, i, j, k = T.dmatrix("x"), T.lscalar("i"), T.iscalar("j"), T.lscalar("k")
    f = minitensor.function([x, i, j, k], [x[i], x[i:j], x[::k, j], x[-i]])
    for i_value, j_value, k_value in [(1, 3, 1), (-2, 4, 2), (0, -1, -1), (3, 1, -2)]:
        expected = [A[i_value], A[i_value:j_value], A[::k_value, j_value], A[-i_value]]
        for result, wanted in zip(f(A, i_value, j_value, k_value), expected):
            np.testing.assert_array_equal(result, wanted)


def test_a_symbolic_int_vector_picks_rows_with_repeats():
    x, idx = T.dmatrix("x"), T.lvector("idx")
    np.testing.assert_array_equal(run([x, idx], x[idx], A, [3, -1, 0, 3]), A[[3, -1, 0, 3]])


def test_basic_indexing_is_a_view_but_outputs_never_alias_inputs():
    x = T.dmatrix("x")
    assert x[1:].owner.op.returns_view
    assert not x[[1]].owner.op.returns_view
    data = A.copy()
    result = run([x], x[1:, 0], data)
    result[:] = -1
    np.testing.assert_array_equal(data, A)


# --- set_subtensor and inc_subtensor ----------------------------------------------------------

@pytest.mark.parametrize("index", [np.s_[1:, 0], np.s_[[0, 2]], np.s_[[0, 1], [5, 4]], np.s_[-1]])
@pytest.mark.parametrize("update", ["set", "inc"])
def test_updates_are_functional(index, update):
    x = T.dmatrix("x")
    operation = T.set_subtensor if update == "set" else T.inc_subtensor
    y = operation(x[index], 100.0)
    data = A.copy()
    result = run([x], [y, x], data)
    expected = A.copy()
    if update == "set":
        expected[index] = 100
    else:
        expected[index] += 100
    np.testing.assert_array_equal(result[0], expected)
    np.testing.assert_array_equal(data, A)  # the input array was not written
    np.testing.assert_array_equal(result[1], A)  # nor is x, in the same function


def test_update_of_a_shared_variable_leaves_its_value_alone():
    w = minitensor.shared(A.copy(), name="w")
    f = minitensor.function([], T.set_subtensor(w[0], 0))
    assert f()[0].sum() == 0
    np.testing.assert_array_equal(w.get_value(), A)


def test_updates_of_shared_variables_with_inc_subtensor():
    counts = minitensor.shared(np.zeros(3), name="counts")
    idx = T.lvector("idx")
    count = minitensor.function([idx], [], updates=[(counts, T.inc_subtensor(counts[idx], 1))])
    count([0, 2, 2])
    count([2])
    np.testing.assert_array_equal(counts.get_value(), [1, 0, 3])


def test_value_broadcasts_as_in_numpy():
    x, v, r = T.dmatrix("x"), T.dvector("v"), T.drow("r")
    got = run([x, v, r], [T.set_subtensor(x[1:], v), T.inc_subtensor(x[:2], r)], A, np.arange(6.0),
              np.ones((1, 6)))
    expected_set, expected_inc = A.copy(), A.copy()
    expected_set[1:] = np.arange(6.0)
    expected_inc[:2] += 1
    np.testing.assert_array_equal(got[0], expected_set)
    np.testing.assert_array_equal(got[1], expected_inc)


def test_repeated_indices_accumulate_when_incrementing():
    v, idx = T.dvector("v"), T.lvector("idx")
    got = run([v, idx], T.inc_subtensor(v[idx], 1.0), np.zeros(4), [0, 0, 3, 0])
    np.testing.assert_array_equal(got, [3, 0, 0, 1])


def test_repeated_indices_accumulate_in_the_gradient():
    x, idx = T.dmatrix("x"), T.lvector("idx")
    w = np.arange(1.0, 7.0)
    g = T.grad(T.sum(x[idx] * w), x)
    got = run([x, idx], g, A, [2, 0, 2, 2])
    expected = np.zeros_like(A)
    expected[0] = w
    expected[2] = 3 * w
    np.testing.assert_array_equal(got, expected)


def test_gradient_through_symbolic_indices():
    x, i, j = T.dmatrix("x"), T.lscalar("i"), T.lscalar("j")
    w = np.arange(1.0, 7.0)
    cost = T.sum(x[i] * w) + T.sum(x[i:j]) + x[-1, j]
    g = run([x, i, j], T.grad(cost, x), A, 1, 3)
    expected = np.zeros_like(A)
    expected[1] += w
    expected[1:3] += 1
    expected[-1, 3] += 1
    np.testing.assert_array_equal(g, expected)


def test_gradients_of_set_and_inc_subtensor():
    """Setting overwrites, so x's gradient is zero there; the value's is the region's gradient."""
    x, v = T.dmatrix("x"), T.dvector("v")
    weights = np.arange(24.0).reshape(4, 6) + 1
    for operation in (T.set_subtensor, T.inc_subtensor):
        cost = T.sum(operation(x[2], v) * weights)
        gx, gv = run([x, v], T.grad(cost, [x, v]), A, np.ones(6))
        expected_gx = weights.copy()
        if operation is T.set_subtensor:
            expected_gx[2] = 0
        np.testing.assert_array_equal(gx, expected_gx)
        np.testing.assert_array_equal(gv, weights[2])


def test_broadcast_value_gets_the_summed_gradient():
    verify_grad(lambda x, s: T.inc_subtensor(x[:, 1:], s), [A[:3, :4] / 10, np.array(0.5)],
                rng=np.random.default_rng(0))
    verify_grad(lambda x, r: T.set_subtensor(x[[0, 2]], r), [A[:3, :4] / 10, np.ones((1, 4))],
                rng=np.random.default_rng(1))


# --- boolean masks -----------------------------------------------------------------------------

BOOL_VECTOR, BOOL_MATRIX = T.TensorType("bool", (False,)), T.TensorType("bool", (False, False))
MASKED = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])


@pytest.mark.parametrize("build, reference", [
    (lambda x: x[x > 0], lambda a: a[a > 0]),
    (lambda x: x[x[:, 1] > 0], lambda a: a[a[:, 1] > 0]),  # a mask of rows
    (lambda x: x[:, x[0] > 0], lambda a: a[:, a[0] > 0]),  # a mask of columns
    (lambda x: x[x[:, 0] < 0, ...], lambda a: a[a[:, 0] < 0, ...]),
    (lambda x: x[..., np.array([True, False, True])], lambda a: a[..., [True, False, True]]),
    (lambda x: x[[False, True]], lambda a: a[[False, True]]),  # a list of booleans is a mask
    (lambda x: x[x > 10], lambda a: a[a > 10]),  # selects nothing
    (lambda x: x[x[:, 0] > 0, 1], lambda a: a[a[:, 0] > 0, 1]),  # the integer broadcasts against the mask
])
def test_masks_select_as_in_numpy(build, reference):
    x = T.dmatrix("x")
    got = run([x], build(x), MASKED)
    np.testing.assert_array_equal(got, reference(MASKED))
    assert got.shape == reference(MASKED).shape and build(x).ndim == got.ndim


def test_a_mask_result_type_and_a_symbolic_mask_input():
    x, m, mm = T.dmatrix("x"), BOOL_VECTOR("m"), BOOL_MATRIX("mm")
    assert x[x > 0].type == T.dvector  # the number of True elements is unknown: not broadcastable
    assert x[m].type == T.dmatrix and x[:, m].type == T.dmatrix
    assert T.drow("r")[T.drow("r") > 0].broadcastable == (False,)
    f = minitensor.function([x, m, mm], [x[m], x[mm]])
    rows, elements = f(MASKED, [False, True], [[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(rows, [[-4.0, 5.0, -6.0]])
    np.testing.assert_array_equal(elements, [1.0, 3.0, -6.0])


def test_a_mask_of_the_wrong_shape_is_an_index_error_at_run_time():
    x, m = T.dmatrix("x"), BOOL_VECTOR("m")
    f = minitensor.function([x, m], x[m])
    with pytest.raises(IndexError, match=r"(?s)boolean index did not match.*AdvancedSubtensor"):
        f(MASKED, [True, False, True])
    with pytest.raises(IndexError, match="too many indices"):
        T.dvector("v")[BOOL_MATRIX("mm")]
    with pytest.raises(IndexError, match="too many indices"):
        x[BOOL_MATRIX("mm"), 0]


def test_set_and_inc_subtensor_with_masks():
    # The tutorial idiom of zeroing the negative elements, and adding to a masked region.
    x, v = T.dmatrix("x"), T.dvector("v")
    relu = T.set_subtensor(x[x < 0], 0)
    np.testing.assert_array_equal(run([x], relu, MASKED), np.maximum(MASKED, 0))
    added = T.inc_subtensor(x[x < 0], v)
    expected = MASKED.copy()
    expected[MASKED < 0] += [10.0, 20.0, 30.0]
    np.testing.assert_array_equal(run([x, v], added, MASKED, [10.0, 20.0, 30.0]), expected)
    columns = T.set_subtensor(x[:, x[0] > 0], v[:2])
    expected = MASKED.copy()
    expected[:, MASKED[0] > 0] = [10.0, 20.0]
    np.testing.assert_array_equal(run([x, v], columns, MASKED, [10.0, 20.0, 30.0]), expected)
    assert isinstance(relu.owner.op, subtensor.AdvancedIncSubtensor)


def test_gradients_through_masks():
    x = T.dmatrix("x")
    g = minitensor.function([x], T.grad(T.sum(x[x > 0] ** 2), x))(MASKED)
    np.testing.assert_array_equal(g, np.where(MASKED > 0, 2 * MASKED, 0))
    g = minitensor.function([x], T.grad(T.sum(T.set_subtensor(x[x < 0], 0) * 3), x))(MASKED)
    np.testing.assert_array_equal(g, np.where(MASKED < 0, 0, 3.0))
    mask = np.array([True, False, True])
    verify_grad(lambda a: a[:, mask] * a[:, mask], [RNG.normal(size=(2, 3))], rng=RNG)
    verify_grad(lambda a, v: T.inc_subtensor(a[mask], v), [RNG.normal(size=(3, 2)), RNG.normal(size=2)],
                rng=RNG)


# --- the negative log-likelihood idiom ------------------------------------------------------

def test_negative_log_likelihood_idiom_matches_numpy_and_finite_differences():
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=(5, 3)), np.array([0, 2, 1, 2, 2])
    x, y = T.dmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(x)
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    cost, g = run([x, y], [nll, T.grad(nll, x)], scores, labels)

    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cost, -np.mean(np.log(probabilities[np.arange(5), labels])), rtol=1e-14)
    one_hot = np.eye(3)[labels]
    np.testing.assert_allclose(g, (probabilities - one_hot) / 5, rtol=1e-12, atol=1e-15)
    f = minitensor.function([x, y], nll)
    np.testing.assert_allclose(g, numeric_grad(lambda s: f(s, labels), [scores], 1e-6)[0], atol=1e-8)


# --- errors ---------------------------------------------------------------------------------

def test_too_many_indices_is_an_index_error_at_build_time():
    with pytest.raises(IndexError, match="too many indices .* 2 dimensions, the index has 3"):
        T.dmatrix("x")[0, 1, 2]
    with pytest.raises(IndexError, match="too many indices"):
        T.dscalar("s")[0]
    with pytest.raises(IndexError, match="only one ellipsis"):
        T.dmatrix("x")[..., 0, ...]


@pytest.mark.parametrize("index, message", [
    (1.0, "indices must be integers"),
    (np.s_[0.5:], "indices must be integers"),
    (True, "cannot be a boolean"),
    ("a", "indices must be integers"),
])
def test_non_integer_indices_are_type_errors_at_build_time(index, message):
    with pytest.raises(TypeError, match=message):
        T.dmatrix("x")[index]


def test_symbolic_float_and_bool_indices_are_type_errors():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="must be an integer scalar, got 'i'"):
        x[T.dscalar("i")]
    with pytest.raises(TypeError, match="integer or boolean dtype, got 'v'"):
        x[T.dvector("v")]
    with pytest.raises(TypeError, match="an index must be an integer scalar, got 'b'"):
        x[T.TensorType("bool", ())("b")]


def test_zero_step_is_a_value_error():
    with pytest.raises(ValueError, match="step cannot be zero"):
        T.dvector("v")[::0]


def test_unsupported_mixes_of_arrays_and_slices_say_how_to_index_instead():
    x, idx = T.dtensor3("x"), T.lvector("idx")
    for index in [np.s_[1:, idx], np.s_[idx, :, idx], np.s_[None, idx]]:
        with pytest.raises(NotImplementedError, match=r"index in two steps"):
            x[index]


def test_out_of_range_index_raises_index_error_at_run_time_naming_the_node():
    x, i, idx = T.dmatrix("x"), T.lscalar("i"), T.lvector("idx")
    f = minitensor.function([x, i], x[i])
    with pytest.raises(IndexError, match=r"(?s)index 4 is out of bounds.*Subtensor\{\?\}.*test_indexing.py"):
        f(A, 4)
    g = minitensor.function([x, idx], T.inc_subtensor(x[idx], 1))
    with pytest.raises(IndexError, match=r"(?s)index -5 is out of bounds.*AdvancedIncSubtensor"):
        g(A, [0, -5])


def test_iterating_or_assigning_to_a_variable_is_a_type_error():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(x)
    with pytest.raises(TypeError, match="cannot be iterated"):
        a, b = x
    with pytest.raises(TypeError, match="use T.set_subtensor"):
        x[0] = 1


def test_update_errors():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="indexed variable such as x"):
        T.set_subtensor(x, 1)
    with pytest.raises(TypeError, match="indexed variable"):
        T.inc_subtensor(x[None, 0], 1)
    with pytest.raises(TypeError, match="2-dimensional value .* into a 1-dimensional region"):
        T.set_subtensor(x[0], x)
    with pytest.raises(TypeError, match="dtype float64 into a tensor of dtype float32"):
        T.set_subtensor(T.fmatrix("f")[0], T.dvector("v"))
    with pytest.raises(TypeError, match="dtype float64 into a tensor of dtype int64"):
        T.inc_subtensor(T.lvector("n")[0], 0.5)


def test_value_may_not_stretch_a_dimension_it_does_not_declare_broadcastable():
    x, v = T.dmatrix("x"), T.dvector("v")
    f = minitensor.function([x, v], T.set_subtensor(x[0], v))
    with pytest.raises(ValueError, match=r"shape \(1,\) cannot fill a region of shape \(6,\)"):
        f(A, np.ones(1))
    g = minitensor.function([x, v], T.inc_subtensor(x[[0, 1]], v))
    with pytest.raises(ValueError, match="axis 1 is not broadcastable"):
        g(A, np.ones(1))


# --- shape inference ---------------------------------------------------------------------------

BOUNDS = st.one_of(st.none(), st.integers(-7, 7))


@given(n=st.integers(0, 6), start=BOUNDS, stop=BOUNDS, step=st.sampled_from([None, 1, 2, 3, -1, -2, -3]),
       symbolic=st.sets(st.sampled_from(["start", "stop"])))
def test_a_slices_inferred_length_is_pythons(n, start, stop, step, symbolic):
    """The compiler sizes a slice's gradient by ``slice_length``, without slicing anything; it
    must clamp and count as Python does, with the length and some bounds known only when run."""
    x, i, j = T.dvector("x"), T.lscalar("i"), T.lscalar("j")
    bounds = {"start": start, "stop": stop}
    given_bounds = [name for name in ("start", "stop") if name in symbolic and bounds[name] is not None]
    scalars = {"start": i, "stop": j}
    parts = [scalars[name] if name in given_bounds else bounds[name] for name in ("start", "stop")]
    length = subtensor.slice_length(T.shape(x)[0], parts[0], parts[1], step)
    f = minitensor.function([x, i, j], length, on_unused_input="ignore")
    assert int(f(np.zeros(n), start or 0, stop or 0)) == len(range(n)[start:stop:step])
    shape = minitensor.function([x, i, j], x[parts[0]:parts[1]:step].shape, on_unused_input="ignore")
    assert not any(isinstance(node.op, subtensor.Subtensor) for node in shape.maker.fgraph.toposort())
    assert list(shape(np.zeros(n), start or 0, stop or 0)) == [len(range(n)[start:stop:step])]
