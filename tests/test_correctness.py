"""Results that an outside review found wrong in the default mode (issue 14), each as a class.

Rewrites that made ill-typed nodes or hid NaN, float16 counted in float16, gradients at
ties, at x = 0 of x ** y and of clip with crossed bounds, constants merged by their bytes
alone, and updates and givens that Theano refuses or handles otherwise.
"""

import contextlib
import dis
import gc
import io
import sys
import threading
import warnings

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.compile.mode import Mode
from minitensor.rewriting.engine import RewriteWarning, rewrite_graph, rule
from minitensor.tensor import elemwise as E
from minitensor.tensor.type import TensorType

pytestmark = [pytest.mark.filterwarnings("ignore:.*encountered:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")]


def both_modes(inputs, outputs, *values):
    """The results of ``outputs`` under FAST_RUN and FAST_COMPILE."""
    return [theano.function(inputs, outputs, mode=mode)(*values) for mode in ("FAST_RUN", "FAST_COMPILE")]


# --- 1. a rewrite never leaves an ill-typed node ------------------------------------------

x, z = T.dvector("x"), T.dvector("z")
ILL_TYPED_BEFORE = [
    ("grad of -max", lambda: T.grad(-T.max(x), x)),
    ("grad of -sum(clip)", lambda: T.grad(-T.sum(T.clip(x, -1, 1)), x)),
    ("grad of sum(x - maximum(x, 0))", lambda: T.grad(T.sum(x - T.maximum(x, 0.0)), x)),
    ("grad of -sum(minimum(x, x))", lambda: T.grad(-T.sum(T.minimum(x, x)), x)),
    ("-1.0 * bool", lambda: -1.0 * T.gt(x, 0)),
    ("bool * 1.0", lambda: T.gt(x, 0) * 1.0),
    ("int8 ** 2.0", lambda: T.cast(x, "int8") ** 2.0),
]


@pytest.mark.parametrize("make", [m for _, m in ILL_TYPED_BEFORE], ids=[n for n, _ in ILL_TYPED_BEFORE])
def test_rewrites_keep_every_node_well_typed(make):
    # -1 * (a bool) was rewritten to neg(bool), which does not exist: FAST_RUN failed to compile.
    output = make()
    fast, plain = both_modes([x], output, np.array([1.0, 3.0, -2.0, 3.0]))
    assert fast.dtype == plain.dtype == output.dtype
    np.testing.assert_array_equal(fast, plain)


def test_the_engine_skips_a_rule_that_makes_an_ill_typed_node_and_names_it():
    v = T.dvector("v")

    @rule(E.Mul)
    def negate_a_comparison(node):
        """a deliberately wrong rule: neg of a bool"""
        return [E.neg(T.gt(node.inputs[0], 0))]

    @rule(E.Mul)
    def change_the_dtype(node):
        """a deliberately wrong rule: an int32 for a float64"""
        return [T.cast(node.inputs[0], "int32")]

    output = v * 2.0
    for wrong in (negate_a_comparison, change_the_dtype):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rewritten, log = rewrite_graph([output], [wrong], phase="canonicalize")
        assert rewritten == [output] and log == []
        messages = [str(w.message) for w in caught if issubclass(w.category, RewriteWarning)]
        assert len(messages) == 1 and f"rewrite rule {wrong.name} (canonicalize)" in messages[0]
        assert "test_correctness.py" in messages[0]  # the node's line


# --- 2. float16 -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (300, 300), (65_600,)])
def test_a_float16_mean_and_its_gradient_are_computed_in_float32(shape):
    # The count was float16: 90,000 is inf there, so the mean of 0.5s was 0 and its gradient 0.
    h = TensorType("float16", (False,) * len(shape))("h")
    mean = T.mean(h)
    assert mean.dtype == "float16"
    value, gradient = theano.function([h], [mean, T.grad(mean, h)])(np.full(shape, 0.5, "float16"))
    assert value.dtype == np.float16 and value == 0.5
    assert gradient.dtype == np.float16
    np.testing.assert_allclose(gradient, np.float16(1 / np.prod(shape)), rtol=1e-3)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "uint16"])
def test_math_functions_of_small_integers_give_float32_as_theano(dtype):
    b = T.vector("b", dtype=dtype)
    values = np.array([0, 1, 1], dtype=dtype)
    for op, reference in [(T.exp, np.exp), (T.log, np.log), (T.sqrt, np.sqrt), (T.sin, np.sin),
                          (T.tanh, np.tanh)]:
        out = op(b)
        assert out.dtype == "float32", (op, dtype)
        got = theano.function([b], out)(values)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, reference(values.astype("float32")), rtol=1e-6)
    assert T.exp(T.ivector()).dtype == "float64"


# --- 3. ties of maximum and minimum -------------------------------------------------------

def test_at_a_tie_the_gradients_of_maximum_and_minimum_sum_to_the_output_gradient():
    s, t = T.dscalars("s", "t")
    for op in (T.maximum, T.minimum):
        assert theano.function([s], T.grad(op(s, s), s))(1.5) == 1.0
        # The tie goes to the first input, as in Theano.
        gs, gt = theano.function([s, t], T.grad(3.0 * op(s, t), [s, t]))(2.0, 2.0)
        assert (gs, gt) == (3.0, 0.0)
    gs, gt = theano.function([s, t], T.grad(T.maximum(s, t), [s, t]))(1.0, 2.0)
    assert (gs, gt) == (0.0, 1.0)


# --- 4. d(x ** y)/dy at x = 0 --------------------------------------------------------------

def test_the_gradient_of_a_power_with_respect_to_the_exponent_is_zero_where_the_base_is():
    v, y = T.dvector("v"), T.dscalar("y")
    values = np.array([0.0, 1.0, 2.0, 3.0])
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        g = theano.function([v, y], T.grad(T.sum(v ** y), y), mode=mode)(values, 2.5)
        np.testing.assert_allclose(g, np.sum(np.log(values[1:]) * values[1:] ** 2.5))
    theano.gradient.verify_grad(lambda b, e: b ** e, [np.array([0.0, 0.5, 2.0]), np.array([1.5, 2.0, 3.0])],
                                rng=np.random.default_rng(0))


# --- 5. rewrites keep NaN and infinities ------------------------------------------------

NON_FINITE = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0, -0.0])


def test_a_float16_square_root_as_a_power_keeps_its_infinities():
    # x ** 0.5 was rewritten to sqrt(x): pow(-inf, 0.5) is inf, sqrt(-inf) NaN.
    h = T.vector("h", dtype="float16")
    fast, plain = both_modes([h], h ** 0.5, NON_FINITE.astype("float16"))
    np.testing.assert_array_equal(fast, plain)


@pytest.mark.parametrize("name, make", [
    ("x - x", lambda v: v - v),
    ("a * b - a * c", lambda v: v * 2.0 - v * 3.0),
    ("a / c - b / c", lambda v: T.exp(v) / v - 1.0 / v),
    ("a * (1 / b)", lambda v: 2.0 * (1.0 / v)),
], ids=lambda p: p if isinstance(p, str) else "")
def test_fast_run_keeps_the_nans_and_infinities_fast_compile_gives(name, make):
    v = T.dvector("v")
    fast, plain = both_modes([v], make(v), NON_FINITE)
    # NaN where NaN, the same infinities; finite values within the 4 ulp of vector math
    # (the C linker's exp is glibc's libmvec, FAST_COMPILE's NumPy's).
    np.testing.assert_allclose(fast, plain, rtol=4 * np.finfo(float).eps, atol=0, equal_nan=True)


# --- 6. constants merge only with their shapes ---------------------------------------------

def test_empty_constants_of_different_shapes_stay_two_constants():
    wide, tall = T.constant(np.zeros((2, 0))), T.constant(np.zeros((0, 2)))
    product, kept = theano.function([], [T.dot(tall, wide), wide])()
    assert product.shape == (0, 0) and kept.shape == (2, 0)


# --- 7. gradients of clip, of constants, of dot ---------------------------------------------

def test_the_gradient_of_clip_follows_its_value_when_the_bounds_cross():
    # clip(x, 0, x) is x for x < 0 (NumPy's clip is min(max(x, low), high)): the gradient is 1.
    v = T.dvector("v")
    g = theano.function([v], T.grad(T.sum(T.clip(v, 0, v)), v))(np.array([-1.0, 0.5, 2.0]))
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])
    lo, hi = T.dvectors("lo", "hi")
    grads = theano.function([v, lo, hi], T.grad(T.sum(T.clip(v, lo, hi)), [v, lo, hi]))(
        np.array([0.0, 5.0, -5.0, 1.0]), np.array([-1.0, -1.0, -1.0, 2.0]), np.array([1.0, 1.0, 1.0, 0.0]))
    np.testing.assert_array_equal(np.array(grads), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 1]])


def test_a_constant_asked_about_gets_its_gradient():
    one, y = T.constant(1.0), T.dscalar("y")
    assert theano.function([y], T.grad(one * y + y, one))(3.0) == 3.0
    assert theano.function([y], T.grad(one + y, one))(3.0) == 1.0


def test_a_gradient_has_the_broadcastable_pattern_of_its_variable():
    # dot(M, v) for a v of pattern (True,) made the gradient of M a (False, True) matrix.
    m, single = T.dmatrix("m"), TensorType("float64", (True,))("single")
    gm, gs = T.grad(T.sum(T.dot(m, single)), [m, single])
    assert gm.broadcastable == m.broadcastable and gs.broadcastable == single.broadcastable
    r = T.drow("r")
    assert T.grad(T.sum(T.dot(single, r)), r).broadcastable == r.broadcastable
    got = theano.function([m, single], gm)(np.ones((3, 1)), np.array([2.0]))
    np.testing.assert_array_equal(got, np.full((3, 1), 2.0))


# --- 8. updates and givens as Theano checks them ------------------------------------------

def test_an_update_must_have_the_shared_variables_broadcastable_pattern():
    w, r = theano.shared(np.zeros((2, 3)), name="w"), T.drow("r")
    with pytest.raises(TypeError, match=r"'w'.*row.*T.unbroadcast\(value, 0\)"):
        theano.function([r], [], updates=[(w, r)])
    theano.function([r], [], updates=[(w, T.unbroadcast(r, 0))])(np.ones((1, 3)))
    assert w.get_value().shape == (1, 3)


def test_a_shared_variable_replaced_through_givens_keeps_its_default_update_where_still_read():
    # Theano's test_givens_replaces_shared_variable2.
    a = theano.shared(1.0, "a")
    a.default_update = a + 3
    f = theano.function([], a + 10, givens={a: a + 10})
    assert f() == 21 and f() == 34
    b = theano.shared(1.0, "b")
    b.default_update = b + 3
    y = T.dscalar("y")
    g = theano.function([y], b + 10, givens={b: y})  # b is not read at all: no update
    assert g(2.0) == 12.0 and b.get_value() == 1.0


# --- 9. updates commit all or nothing, even under Ctrl-C ----------------------------------

def _interrupt_call_at(point, run):
    """Run ``run()``, raising KeyboardInterrupt in the generated ``call`` just before its
    ``point``-th instruction at which CPython can run a signal handler (a call, a backward
    jump, a function's start). True if it was interrupted."""
    seen = [0]

    def local(frame, event, arg):
        if event == "opcode":
            opname = dis.opname[frame.f_code.co_code[frame.f_lasti]]
            if opname.startswith(("CALL", "PRECALL", "JUMP_BACKWARD", "RESUME")):
                seen[0] += 1
                if seen[0] == point:
                    raise KeyboardInterrupt
        return local

    def start(frame, event, arg):
        if frame.f_code.co_filename == "<minitensor call>":
            frame.f_trace_opcodes = True
            return local
        return None

    sys.settrace(start)
    try:
        run()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


def test_updates_commit_all_or_nothing_wherever_ctrl_c_lands():
    # 0-d values were converted with a call between two assignments: an interrupt there left
    # w updated and c not.
    x = T.dvector("x")
    w, c, k = theano.shared(np.zeros(2), "w"), theano.shared(0.0, "c"), theano.shared(np.int64(0), "k")
    f = theano.function([x], T.sum(x), updates=[(w, w + 1), (c, c + 1), (k, k + 1)])
    calls, point = 0, 1
    while _interrupt_call_at(point, lambda: f(np.ones(2))) or calls == 0:
        calls += 1
        point += 1
        n = k.get_value()
        assert c.get_value() == n and np.array_equal(w.get_value(), [n, n]), f"torn at point {point - 1}"
    assert point > 3  # the call was interrupted at several places before it ran through


# --- 10. set_value copies what it may not keep, and values are plain arrays ----------------

class _ArrayLike:
    """An object NumPy converts through ``__array__`` without copying, as pandas and PyTorch do."""

    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return self.array


@pytest.mark.parametrize("wrap", [memoryview, _ArrayLike, lambda a: a[::1]], ids=["memoryview", "__array__", "view"])
def test_set_value_without_borrow_never_keeps_the_callers_memory(wrap):
    w = theano.shared(np.zeros(3), "w")
    caller = np.arange(3.0)
    w.set_value(wrap(caller))
    caller[0] = 99.0
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0])


@pytest.mark.parametrize("make", [lambda v: np.matrix(v), lambda v: np.ma.masked_array(v, mask=np.zeros_like(v))],
                         ids=["matrix", "masked"])
def test_array_subclasses_become_plain_arrays_as_in_theano(make):
    m = T.dmatrix("m")
    value = make(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    total = theano.function([m], T.sum(m, axis=0))(value)
    assert type(total) is np.ndarray and total.shape == (3,)  # a matrix's sum would be (1, 3)
    w = theano.shared(np.zeros((2, 3)), "w")
    w.set_value(value)
    subclasses = (np.matrix, np.ma.MaskedArray)  # the values held may be on the GPU (--backend=cupy)
    assert type(w.get_value()) is np.ndarray and not isinstance(w.get_value(borrow=True), subclasses)
    assert not isinstance(theano.shared(value, borrow=True).get_value(borrow=True), subclasses)


# --- 11. one call at a time per function with updates --------------------------------------

def test_calls_from_several_threads_lose_no_update():
    # NumPy lets other threads run while it adds 200,000 numbers; without the function's lock
    # two calls read the same old values and one update was lost.
    k, w = theano.shared(0.0, "k"), theano.shared(np.zeros(200_000), "w")
    f = theano.function([], [], updates=[(k, k + 1), (w, w + 1)])
    saved = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=lambda: [f() for _ in range(50)]) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(saved)
    assert k.get_value() == 200 and w.get_value()[0] == 200


# --- 14. a failed allocation stays a MemoryError; bad downcasts name the input -------------

def test_a_failed_allocation_is_still_a_memory_error_naming_the_node():
    n = T.lscalar("n")
    f = theano.function([n], T.alloc(0.0, n, n))
    with pytest.raises(MemoryError, match="while computing Alloc"):
        f(10 ** 7)  # 728 TiB


@pytest.mark.parametrize("value", ["abc", [[1, 2], [3]], [2 ** 70], [np.nan], np.array([1.0, np.inf])],
                         ids=["text", "ragged", "too large", "NaN", "inf"])
def test_a_value_that_cannot_be_downcast_is_a_type_error_naming_the_input(value):
    counts = T.lvector("counts")
    f = theano.function([counts], counts * 2, allow_input_downcast=True)
    with pytest.raises(TypeError, match="bad input argument 'counts' at position 0.*cannot convert"):
        f(value)


def test_the_set_value_hint_names_an_argument_that_exists():
    w = theano.shared(np.zeros(2, "float32"), "w")
    with pytest.raises(TypeError, match=r"pass allow_downcast=True to shared\(\)") as info:
        w.set_value(np.ones(2))
    assert "allow_input_downcast" not in str(info.value)


# --- 15. fusion's work is linear in the depth of the graph ---------------------------------

def _python_calls(action):
    """How many Python functions ``action()`` calls: a measure of work that no load changes."""
    count = [0]

    def profile(frame, event, arg):
        if event == "call":
            count[0] += 1
    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count[0]


def test_fusing_an_unrolled_recurrent_net_takes_work_linear_in_its_steps():
    # One small fused group per step; each group's graph was cloned with everything before it.
    def unrolled(steps):
        xs, w = T.dmatrix("xs"), theano.shared(np.eye(3), name="W")
        h = xs[0] * 0.0
        for t in range(steps):
            h = T.tanh(T.dot(h, w) + xs[t] * 2.0 + 0.1)
        return [h]
    from minitensor.rewriting.fusion import fuse
    short, long = unrolled(50), unrolled(200)
    assert _python_calls(lambda: fuse(long)) < 4.5 * _python_calls(lambda: fuse(short))


# --- 16. what Jupyter draws, debugprint and error messages stay bounded --------------------

def test_jupyter_does_not_draw_a_graph_of_thousands_of_nodes_but_says_how_to():
    # dot ran for minutes and gigabytes on such graphs; the automatic picture is a line of text.
    x = T.dvector("x")
    y = x
    for _ in range(400):
        y = T.tanh(y) + x
    svg = y._repr_svg_()
    assert "<svg" in svg and "800 nodes" in svg and "pydotprint" in svg and len(svg) < 2000
    assert "800 nodes" in theano.function([x], y, mode="FAST_COMPILE")._repr_svg_()


def test_debugprint_of_a_deep_chain_grows_linearly():
    def printed(depth):
        x = T.dscalar("x")
        y = x
        for _ in range(depth):
            y = y * x
        return theano.printing.debugprint(y, file=io.StringIO()).getvalue()
    short, long = printed(1000), printed(4000)
    assert max(map(len, long.splitlines())) < 120
    assert len(long) < 4.5 * len(short)


def test_an_error_about_a_function_of_many_inputs_stays_short():
    xs = [T.dscalar(f"x{i}") for i in range(3000)]
    f = theano.function(xs, T.add(*xs))
    for call in (lambda: f(1.0), lambda: f(*[1.0] * 3000, nope=1.0), lambda: f[T.dscalar("other")]):
        with pytest.raises((TypeError, KeyError)) as info:
            call()
        assert "more)" in str(info.value) and len(str(info.value)) < 400


# --- 18. what a newcomer reads -----------------------------------------------------------

class _FakeIPython:
    """What IPython offers: ``get_ipython().compile.format_code_name(filename)``."""

    def __init__(self, cells):
        self.compile = self
        self.cells = cells

    def format_code_name(self, filename):
        return ("Cell", f"In[{self.cells[filename]}]") if filename in self.cells else None


def test_made_at_lines_name_a_jupyter_cell_as_ipython_does(monkeypatch):
    source = "import minitensor.tensor as T\nx = T.dvector('x')\ny = T.exp(x) + x\n"
    filename = "/tmp/ipykernel_1234/2157010813.py"  # what ipykernel compiles a cell as
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    shell = _FakeIPython({filename: 3})
    fake = type(sys)("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    site = namespace["y"].creation_site
    assert str(site).startswith("In [3], line 3") and site.short == "In [3]:3"
    assert "In [3], line 2" in namespace["x"].made_at()
    shell.cells = {}  # any other file keeps its path
    assert str(site).startswith(f'File "{filename}", line 3')


def test_print_program_marks_a_node_that_writes_over_its_input():
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], (T.exp(x) + y) * 2, mode=Mode(excluding=["fusion"]))
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        theano.printing.print_program(f)
    program = text.getvalue()
    assert "add(t0, y, out=t0)  # Elemwise{add,inplace}" in program
    assert "exp(x)  # Elemwise{exp,no_inplace}" in program


def test_the_garbage_collector_pauses_while_a_graph_compiles_and_resumes_after(monkeypatch):
    # It scanned the compile's tens of thousands of young objects again and again: a third of
    # the time of a 10,000-node gradient.
    enabled_while_rewriting, phases = [], Mode.phases

    def watched(self, outputs, backend=None):
        enabled_while_rewriting.append(gc.isenabled())
        yield from phases(self, outputs, backend)
    monkeypatch.setattr(Mode, "phases", watched)
    v = T.dvector("v")
    theano.function([v], v + 1)
    assert enabled_while_rewriting == [False] and gc.isenabled()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_stable_cross_entropy_keeps_the_infinities_and_nans_of_the_formula(dtype):
    """At infinite logits the stable form gives what the written formula gives: inf where it is
    inf (x = inf, t = 0, which max(x, 0) - t * x made NaN), NaN where it is NaN (0 * inf)."""
    x, t = T.vector("x", dtype=dtype), T.vector("t", dtype=dtype)
    p = T.nnet.sigmoid(x)
    xent = -t * T.log(p) - (1 - t) * T.log(1 - p)
    fast = theano.function([x, t], xent)
    plain = theano.function([x, t], xent, mode="FAST_COMPILE")
    assert "sigmoid_cross_entropy" in {r.rule for r in fast.maker.rewrites}
    xs = np.array([np.inf, np.inf, -np.inf, -np.inf, np.nan, 3.0], dtype=dtype)
    ts = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], dtype=dtype)
    with np.errstate(all="ignore"):
        got, written = fast(xs, ts), plain(xs, ts)
    np.testing.assert_array_equal(got[:5], written[:5])  # inf and NaN where the formula has them
    np.testing.assert_allclose(got[5:], written[5:], rtol=1e-6)
