"""The executor: the generated program computes what the graph says, never lets a result share
memory with anything the user holds, frees intermediates after their last use, explains
errors by node and line, and runs only the branch of an ``ifelse`` that is taken."""

import re
import sys
import tracemalloc
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitensor as theano
from minitensor.backends import array_module
import minitensor.tensor as T
from helpers import lines_of_minitensor_run
from minitensor.compile.executor import NanGuardError
from minitensor.compile.mode import Mode, NanGuardMode
from minitensor.graph import Apply, Constant, Op, toposort
from minitensor.ifelse import ifelse
from minitensor.tensor.variable import as_tensor_variable


def interpret(f, *values):
    """The outputs of ``f``'s rewritten graph, computed node by node with each op's ``impl``:
    the reference the generated program must agree with."""
    program = f.program
    env = dict(zip(program.inputs, [np.asarray(v, dtype=i.dtype) for v, i in zip(values, program.inputs)]))
    env.update((var, var.get_value()) for var in program.shared)  # on the host, wherever it lives
    for node in toposort(program.outputs):
        arguments = [v.data if isinstance(v, Constant) else env[v] for v in node.inputs]
        result = node.op.impl(np, *arguments)
        env.update(zip(node.outputs, result if len(node.outputs) > 1 else [result]))
    return [np.asarray(v.data if isinstance(v, Constant) else env[v]) for v in program.outputs]


# --- random graphs -------------------------------------------------------------------------

UNARY = [T.exp, T.tanh, T.nnet.sigmoid, T.sqr, abs, lambda v: -v, lambda v: v * 2.0, lambda v: 1 - v]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, T.maximum, lambda a, b: a / (1 + b * b)]
TERNARY = [lambda a, b, c: a + b + c, lambda a, b, c: a * b * c]
SHAPING = [lambda v: v.sum(axis=0) if v.ndim == 2 else v,  # matrix -> vector
           lambda v: v.dimshuffle("x", 0) if v.ndim == 1 else v,  # vector -> row
           lambda v: v.T.T]


@st.composite
def graphs(draw):
    """Inputs, a shared vector, and a few outputs built from elementwise ops, reductions
    and dimshuffles over a matrix (3, 4), a row, a vector (4) and a scalar."""
    m, r, v, s = T.dmatrix("m"), T.drow("r"), T.dvector("v"), T.dscalar("s")
    w = theano.shared(np.linspace(-1.0, 1.0, 4), name="w")
    pool = [m, r, v, s, w]
    for _ in range(draw(st.integers(2, 9))):
        kind = draw(st.sampled_from(["unary", "binary", "ternary", "shaping"]))
        # Mostly recent values, so values are reused and fused groups grow long.
        recent = st.integers(max(0, len(pool) - 3), len(pool) - 1)
        pick = lambda: pool[draw(recent | st.integers(0, len(pool) - 1))]  # noqa: E731
        if kind == "unary":
            pool.append(draw(st.sampled_from(UNARY))(pick()))
        elif kind == "binary":
            pool.append(draw(st.sampled_from(BINARY))(pick(), pick()))
        elif kind == "ternary":
            pool.append(draw(st.sampled_from(TERNARY))(pick(), pick(), pick()))
        else:
            pool.append(draw(st.sampled_from(SHAPING))(pick()))
    computed = pool[5:]
    outputs = draw(st.lists(st.sampled_from(computed), min_size=1, max_size=3))
    vectors = [var for var in computed if var.type == w.type]
    updates = [(w, draw(st.sampled_from(vectors)))] if vectors and draw(st.booleans()) else []
    return [m, r, v, s], outputs, updates, w


def arguments(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 4)), rng.normal(size=(1, 4)), rng.normal(size=4), rng.normal()]


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from(["FAST_RUN", Mode(excluding=["inplace"]), Mode(excluding=["fusion"])]))
def test_generated_program_computes_what_the_graph_says(graph, mode):
    inputs, outputs, updates, w = graph
    f = theano.function(inputs, outputs, updates=updates, mode=mode, on_unused_input="ignore")
    expected = interpret(f, *arguments(0))
    results = f(*arguments(0))
    for got, want in zip(results + [w.get_value()] if updates else results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_a_fused_value_read_twice_is_not_overwritten_before_its_last_read():
    x = T.dvector("x")
    a = T.exp(x)
    f = theano.function([x], T.tanh(a) + a * 2)
    np.testing.assert_allclose(f([1.0]), [np.tanh(np.e) + 2 * np.e])


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_results_never_share_memory_with_inputs_shared_values_or_the_next_call(graph):
    inputs, outputs, updates, w = graph
    f = theano.function(inputs, outputs, updates=updates, on_unused_input="ignore")
    values = arguments(1)
    first = f(*values)
    kept = [r.copy() for r in first]
    # A value on the GPU cannot share memory with a result on the host.
    held = [v for v in [w.get_value(borrow=True)] + list(values) if isinstance(v, np.ndarray)]
    for k, result in enumerate(first):
        assert isinstance(result, np.ndarray)
        for other in held + first[:k]:
            assert not np.shares_memory(result, other)
    f(*arguments(2))  # a second call must not write into what the first returned
    for result, copy in zip(first, kept):
        np.testing.assert_array_equal(result, copy)


def test_shared_values_never_share_memory_with_outputs_or_each_other():
    x = T.dvector("x")
    a = theano.shared(np.zeros(3), name="a")
    b = theano.shared(np.zeros(3), name="b")
    y = T.exp(x) + 1
    f = theano.function([x], y, updates=[(a, y), (b, y.T)])
    out = f(np.ones(3))
    new_a, new_b = a.get_value(borrow=True), b.get_value(borrow=True)
    if isinstance(new_a, np.ndarray):  # on the GPU, they cannot share memory with a host result
        assert not np.shares_memory(out, new_a) and not np.shares_memory(out, new_b)
    assert not array_module().shares_memory(new_a, new_b)
    f(np.zeros(3))
    np.testing.assert_allclose(out, np.e + 1)  # what the first call returned is untouched


def test_zero_dimensional_results_are_arrays():
    x = T.dvector("x")
    total = theano.shared(np.float64(0.0), name="total")
    f = theano.function([x], [x.sum(), x.sum() * 2], updates=[(total, total + x.sum())])
    first, second = f(np.arange(3.0))
    assert type(first) is np.ndarray and first.shape == () and second == 6.0
    assert type(total.get_value(borrow=True)) is array_module().ndarray


def test_arguments_of_another_type_or_kind_are_converted():
    x = T.dvector("x")
    f = theano.function([x], x * 2)
    np.testing.assert_array_equal(f([1, 2]), [2.0, 4.0])  # a list
    np.testing.assert_array_equal(f(np.array([1, 2], dtype=np.int32)), [2.0, 4.0])  # a safe upcast
    with pytest.raises(TypeError, match="bad input argument 'x'"):
        f(np.ones((2, 2)))


# --- memory --------------------------------------------------------------------------------

@pytest.mark.numpy_only("it measures host memory with tracemalloc")
@pytest.mark.parametrize("mode", ["FAST_RUN", Mode(excluding=["fusion", "inplace"])])
def test_intermediates_are_freed_after_their_last_use(mode):
    x = T.dvector("x")
    y = x
    for _ in range(6):
        y = T.exp(-y) + T.tanh(y)
    f = theano.function([x], [y.sum(), y.max()], mode=mode)  # y read twice: no sum absorbs it
    assert "del " in f.program.source
    data = np.random.default_rng(0).normal(size=200_000)  # 1.6 MB a vector
    f(data)
    tracemalloc.start()
    f(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Four vectors of this size at most are alive at once; eighteen nodes' results would be 29 MB.
    assert peak < 4 * data.nbytes, peak


# --- errors --------------------------------------------------------------------------------

def test_an_error_inside_a_fused_node_names_the_inner_op_and_its_line():
    a, b = T.dvectors("a", "b")
    bad, line = T.exp(a) * b, sys._getframe().f_lineno
    f = theano.function([a, b], T.tanh(bad) + 1)
    with pytest.raises(ValueError) as info:
        f(np.ones(2), np.ones(3))
    message = str(info.value)
    assert "(2,)" in message and "(3,)" in message
    assert f"line {line}" in message and "test_executor.py" in message


def test_an_error_in_a_thunk_names_the_node_and_shapes():
    m, v = T.dmatrix("m"), T.dvector("v")
    product, line = T.dot(m, v), sys._getframe().f_lineno
    f = theano.function([m, v], T.exp(product))
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones(4))
    message = str(info.value)
    assert "dot" in message and "(2, 3)" in message and "(4,)" in message and f"line {line}" in message


def test_nan_guard_still_names_the_node():
    x = T.dvector("x")
    f = theano.function([x], T.log(x) * 2, mode=NanGuardMode())
    with pytest.raises(NanGuardError, match="log"):
        f(np.array([-1.0]))


# --- lazy ifelse ---------------------------------------------------------------------------

CALLS = []


@dataclass(frozen=True)
class Counted(Op):
    """x + 1, recording ``label`` in CALLS each time it runs."""

    label: str

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        CALLS.append(self.label)
        return x + 1


@dataclass(frozen=True)
class Fails(Op):
    """Raises whenever it runs."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        raise RuntimeError("this branch must not run")


def test_only_the_branch_taken_is_computed():
    c = T.bscalar("c")
    x = T.dvector("x")
    f = theano.function([c, x], ifelse(c, Counted("then")(x) * 2, Counted("else")(x) - 1))
    CALLS.clear()
    np.testing.assert_array_equal(f(1, [1.0]), [4.0])
    assert CALLS == ["then"]
    CALLS.clear()
    np.testing.assert_array_equal(f(0, [1.0]), [1.0])
    assert CALLS == ["else"]
    assert "if c:" in f.program.source


def test_a_branch_that_would_fail_is_not_run():
    c = T.bscalar("c")
    x = T.dvector("x")
    f = theano.function([c, x], ifelse(c, x + 1, T.exp(Fails()(x))))
    np.testing.assert_array_equal(f(1, [1.0]), [2.0])
    with pytest.raises(RuntimeError, match="must not run"):
        f(0, [1.0])


def test_a_node_needed_outside_a_branch_runs_once_whatever_the_branch():
    c = T.bscalar("c")
    x = T.dvector("x")
    shared_node = Counted("both")(x)
    f = theano.function([c, x], [ifelse(c, shared_node * 2, x), shared_node.sum()])
    for condition in (0, 1):
        CALLS.clear()
        f(condition, [1.0])
        assert CALLS == ["both"]


def test_nested_conditionals_run_only_the_inner_branch_taken():
    a, b = T.bscalars("a", "b")
    x = T.dvector("x")
    inner = ifelse(b, Counted("inner then")(x), Counted("inner else")(x))
    f = theano.function([a, b, x], ifelse(a, inner * 10, Counted("outer else")(x)))
    expected = {(1, 1): (["inner then"], 20.0), (1, 0): (["inner else"], 20.0),
                (0, 1): (["outer else"], 2.0), (0, 0): (["outer else"], 2.0)}
    for (va, vb), (calls, value) in expected.items():
        CALLS.clear()
        np.testing.assert_array_equal(f(va, vb, [1.0]), [value])
        assert CALLS == calls, (va, vb, CALLS)


def test_an_error_in_a_branch_names_the_node_and_line():
    c = T.bscalar("c")
    m, v = T.dmatrix("m"), T.dvector("v")
    product, line = T.dot(m, v), sys._getframe().f_lineno
    f = theano.function([c, m, v], ifelse(c, product, v))
    f(0, np.ones((2, 3)), np.ones(4))
    with pytest.raises(ValueError) as info:
        f(1, np.ones((2, 3)), np.ones(4))
    assert "dot" in str(info.value) and f"line {line}" in str(info.value)


def test_branch_values_made_in_place_stay_correct():
    c = T.bscalar("c")
    x = T.dvector("x")
    y = T.exp(x)
    picked = ifelse(c, y + 1, y * 2)  # the branches read y; nothing may overwrite it before both could
    f = theano.function([c, x], [picked, y])
    for condition, expected in ((1, np.e + 1), (0, 2 * np.e)):
        out, ey = f(condition, [1.0])
        np.testing.assert_allclose(out, [expected])
        np.testing.assert_allclose(ey, [np.e])


# --- operands that only broadcast ----------------------------------------------------------

@pytest.mark.numpy_only("the NumPy program drops the leading axes an operand only broadcasts along")
def test_a_broadcast_constant_or_leading_view_is_passed_without_its_leading_axes():
    x, b = T.dvector("x"), T.dscalar("b")
    f = theano.function([x, b], [x + 1.5, x * b], mode=Mode(excluding=["fusion"]))
    source = f.program.source
    assert [c.shape for c in f.program._writer.constants] == [()]  # 1.5, not [1.5]
    assert "multiply(x, b)" in source and "[None]" not in source  # no b[None], made or passed
    temporaries = sorted({int(name[1:]) for name in re.findall(r"\bt\d+\b", source)})
    assert temporaries == list(range(len(temporaries)))  # numbered without a gap where b[None] was
    got = f(np.arange(3.0), 2.0)
    np.testing.assert_array_equal(got[0], np.arange(3.0) + 1.5)
    np.testing.assert_array_equal(got[1], np.arange(3.0) * 2.0)


@pytest.mark.parametrize("mode", ["FAST_RUN", Mode(excluding=["fusion"]), Mode(excluding=["inplace"])])
def test_an_output_of_broadcastable_operands_keeps_its_rank(mode):
    # Every operand has a leading axis to drop; the result must still be a (1, 1) matrix and
    # a length-1 vector, not 0-d.
    s = T.dscalar("s")
    row = s.dimshuffle("x", "x")
    f = theano.function([s], [row + T.constant(np.ones((1, 1))), T.exp(s.dimshuffle("x")) * T.constant([2.0]),
                              s.dimshuffle("x") + T.constant([1.0]) + T.constant([2.0])], mode=mode)
    got = f(0.5)
    assert [g.shape for g in got] == [(1, 1), (1,), (1,)]
    np.testing.assert_allclose(got[1], [2 * np.exp(0.5)])
    np.testing.assert_allclose(got[2], [3.5])


def test_a_dimshuffle_that_drops_an_axis_is_not_taken_for_one_that_only_adds():
    # ('x', 0) of a (2, 1) column drops its broadcastable second axis: it is a (1, 2) row.
    c, m = T.dcol("c"), T.dmatrix("m")
    f = theano.function([c, m], m - c.dimshuffle("x", 0))
    np.testing.assert_array_equal(f([[1.0], [2.0]], np.zeros((3, 2))), -np.tile([1.0, 2.0], (3, 1)))


def test_an_error_explained_shows_the_shapes_of_the_nodes_own_inputs():
    # b[None] is never made, and the constant is passed 0-d; the message still gives the
    # shapes the node's inputs have: (1,) for both.
    x, b = T.lvector("x"), T.lscalar("b")
    f = theano.function([x, b], [x ** b, x ** T.constant([-1])])
    with pytest.raises(ValueError, match=r"inputs of shapes and dtypes \[\(3,\) int64, \(1,\) int64\]"):
        f([1, 2, 3], -1)
    g = theano.function([x], x ** T.constant([-1]))
    with pytest.raises(ValueError, match=r"inputs of shapes and dtypes \[\(3,\) int64, \(1,\) int64\]"):
        g([1, 2, 3])


def test_a_value_read_only_through_a_leading_view_lives_until_that_read():
    # The sum is read only through sum[None], by a node after another; it must not be
    # deleted when its view is made.
    x, v = T.dvector("x"), T.dvector("v")
    total = x.sum()
    f = theano.function([x, v], T.tanh(v) * 3.0 + total, mode=Mode(excluding=["fusion"]))
    np.testing.assert_allclose(f([1.0, 2.0], [0.5, 0.25]), np.tanh([0.5, 0.25]) * 3.0 + 3.0)


# --- printing ------------------------------------------------------------------------------

def test_print_program_shows_the_code_a_call_runs(capsys):
    x = T.dvector("x")
    w = theano.shared(np.ones(3), name="w")
    f = theano.function([x], T.dot(x, w), updates=[(w, w * 0.5)])
    theano.printing.print_program(f)
    text = capsys.readouterr().out
    assert "def compute(x):" in text and "w = shared_w._value" in text
    assert "def call(x):" in text and "shared_w._value = " in text


# --- compile time --------------------------------------------------------------------------

def wide_sum(terms, balanced):
    """x * w0 + x * w1 + ..., each w a shared vector: sums in a balanced tree (fused into one
    node with ``terms`` inputs), or one add of ``terms`` inputs (a chain of ufunc calls)."""
    x = T.dvector("x")
    values = [theano.shared(np.full(3, 1.0 / (i + 1)), name=f"w{i}") * x for i in range(terms)]
    if not balanced:
        return x, T.add(*values)
    while len(values) > 1:
        values = [values[i] + values[i + 1] if i + 1 < len(values) else values[i] for i in range(0, len(values), 2)]
    return x, values[0]


@pytest.mark.parametrize("balanced, mode", [(True, "FAST_RUN"), (False, "FAST_COMPILE")])
def test_compiling_a_wide_graph_takes_work_linear_in_its_size(balanced, mode):
    # Work linear in the size grows 4x for a graph 4x larger. Work quadratic in a node's
    # number of inputs (as once for each line of a Composite, in its size tests, and in
    # typing each step of a long chain) gives 5x to 7.5x at these sizes;
    # benchmarks/large_graph.py shows the seconds at 10,000 nodes.
    work = []
    for terms in (200, 800):
        x, total = wide_sum(terms, balanced)
        work.append(lines_of_minitensor_run(lambda: theano.function([x], total, mode=mode)))
    assert work[1] / work[0] < 4.5
