"""The C linker (minitensor/backends/c.py): fused nodes compiled to C loops on the CPU.

The property test compares, on random fused graphs, the C-linked function with the
NumPy-linked one (``linker='py'``) and with the graph compiled without rewrites, on
random values including NaN, infinities and signed zeros, broadcast operands, views
at any strides, and every dtype kernels are written for. The other tests cover the
compiler's cache (a corrupt or stale entry is rebuilt), a missing compiler (the NumPy
program runs, after one notice), and what a learner sees (``print_program``).
"""

import os
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minitensor
import minitensor.tensor as T
from minitensor.backends import c as c_linker
from minitensor.backends import get_backend
from minitensor.printing import print_program

pytestmark = [pytest.mark.skipif(get_backend("numpy", "c").linker != "c", reason="no C++ compiler found"),
              pytest.mark.numpy_only("the C linker is the CPU's backend; CuPy runs CUDA kernels")]

C = minitensor.Mode(linker="c")
PY = minitensor.Mode(linker="py")
AS_WRITTEN = minitensor.Mode(rewrites=False, linker="py")

FLOATS = ("float64", "float32", "float16")
INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")

# Ops by what they take: each builds an expression from one or two others.
UNARY_FLOAT = [T.exp, T.log, T.sqrt, T.tanh, T.nnet.sigmoid, T.abs_, T.neg, T.floor, T.log1p, T.expm1, T.sin,
               lambda x: x ** 2, lambda x: T.cast(x > 0, x.dtype), T.sgn]
BINARY_FLOAT = [T.add, T.sub, T.mul, T.true_div, T.maximum, T.minimum, T.pow,
                lambda x, y: T.switch(x < y, x, y), lambda x, y: x // y, lambda x, y: x % y]
UNARY_INT = [T.neg, T.abs_, lambda x: x * 3, lambda x: T.maximum(x, 1), T.sgn]
BINARY_INT = [T.add, T.sub, T.mul, T.maximum, T.minimum, lambda x, y: x // y, lambda x, y: x % y,
              lambda x, y: T.switch(T.lt(x, y), x, y)]
UNARY_BOOL = [T.invert, lambda x: T.eq(x, 0)]
BINARY_BOOL = [T.and_, T.or_, T.xor, T.eq, T.neq, lambda x, y: T.switch(x, y, T.invert(y))]


def special_values(dtype):
    if dtype in FLOATS:
        return [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e-30, 700.0, -700.0]
    if dtype == "bool":
        return [False, True]
    info = np.iinfo(dtype)
    return [0, 1, info.min, info.max, -1 if info.min < 0 else 2]


@st.composite
def fused_graphs(draw):
    """(dtype, inputs, output expression, the arrays to call it with), the arrays possibly views."""
    dtype = draw(st.sampled_from(FLOATS + INTEGERS + ("bool",)))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=5)).input_shapes
    inputs = [T.TensorType(dtype, tuple(n == 1 for n in shape))(f"x{k}") for k, shape in enumerate(shapes)]
    unary, binary = ((UNARY_FLOAT, BINARY_FLOAT) if dtype in FLOATS else (UNARY_BOOL, BINARY_BOOL)
                     if dtype == "bool" else (UNARY_INT, BINARY_INT))
    values = list(inputs)
    for _ in range(draw(st.integers(2, 7))):
        if draw(st.booleans()):
            op = draw(st.sampled_from(unary))
            values.append(op(draw(st.sampled_from(values))))
        else:
            op = draw(st.sampled_from(binary))
            values.append(op(draw(st.sampled_from(values)), draw(st.sampled_from(values))))
    output = T.cast(values[-1], dtype) if values[-1].dtype != dtype else values[-1]
    arrays = []
    for shape in shapes:
        elements = st.one_of(st.sampled_from(special_values(dtype)),
                             hnp.from_dtype(np.dtype(dtype), allow_nan=True, allow_infinity=True)
                             if dtype in FLOATS else hnp.from_dtype(np.dtype(dtype)))
        array = draw(hnp.arrays(dtype, shape, elements=elements))
        layout = draw(st.sampled_from(["contiguous", "reversed", "fortran", "strided"]))
        if layout == "reversed" and array.ndim:
            array = array[::-1].copy()[::-1]
        elif layout == "fortran" and array.ndim >= 2:
            array = np.asfortranarray(array)
        elif layout == "strided":
            wide = np.repeat(array[..., None], 2, axis=-1)
            array = wide[..., 0]  # every second element of a bigger buffer
        arrays.append(array)
    return dtype, inputs, output, arrays


def _agree(got, expected, dtype, label):
    assert got.dtype == expected.dtype, label
    assert got.shape == expected.shape, label
    if dtype in FLOATS:
        # glibc's vector math (libmvec) is within 4 ulp of its scalar functions, which NumPy calls.
        tolerance = {"float64": 1e-13, "float32": 1e-5, "float16": 2e-3}[dtype]
        np.testing.assert_allclose(got.astype(float), expected.astype(float), rtol=tolerance, atol=0,
                                   equal_nan=True, err_msg=label)
        if dtype != "float16":  # NumPy's float16 maximum and minimum of 0.0 and -0.0 return the
            # first, its float32 and float64 loops the second, as the C expressions do
            same_sign = np.signbit(got) == np.signbit(expected)
            assert (same_sign | np.isnan(got) | (got != 0)).all(), f"{label}: signed zeros differ"
    else:
        np.testing.assert_array_equal(got, expected, err_msg=label)


@given(fused_graphs())
def test_c_linked_graphs_match_numpy_linked_and_unrewritten_ones(graph):
    dtype, inputs, output, arrays = graph
    c = minitensor.function(inputs, output, mode=C, on_unused_input="ignore")
    with np.errstate(all="ignore"):
        expected = minitensor.function(inputs, output, mode=PY, on_unused_input="ignore")(*arrays)
        as_written = minitensor.function(inputs, output, mode=AS_WRITTEN, on_unused_input="ignore")(*arrays)
        got = c(*arrays)
    _agree(got, expected, dtype, "C linker vs linker='py'")
    # The rewrites may make finite what the graph as written overflows (log1p(exp(710)) is
    # softplus(710) = 710, not inf): elsewhere the two agree, within a stabilising rewrite's error.
    if dtype in FLOATS:
        finite = np.isfinite(as_written)
        tolerance = {"float64": 1e-9, "float32": 1e-4, "float16": 1e-2}[dtype]
        np.testing.assert_allclose(got[finite].astype(float), as_written[finite].astype(float), rtol=tolerance,
                                   atol=tolerance, err_msg="C linker vs the graph as written")
    else:
        _agree(got, as_written, dtype, "C linker vs the graph as written")


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "every second column"])
@pytest.mark.parametrize("rows, columns", [(300, 50), (40, 700), (5000, 3)])
def test_long_broadcasts_and_views_cross_the_iterators_buffers_intact(rows, columns, layout):
    # The property test's arrays are small; these cross the runtime's choice between long rows
    # (run in place) and short ones (through NumPy's buffers of 8192 elements), several buffers.
    x, m, v = T.dmatrix("x"), T.dvector("m"), T.dvector("v")
    expression = T.exp(x - m.dimshuffle(0, "x")) * v.dimshuffle("x", 0) + m.dimshuffle(0, "x")
    f = minitensor.function([x, m, v], expression, mode=C)
    rng = np.random.default_rng(rows)
    a = {"contiguous": rng.standard_normal((rows, columns)),
         "transposed": rng.standard_normal((columns, rows)).T,
         "every second column": rng.standard_normal((rows, 2 * columns))[:, ::2]}[layout]
    b, c = rng.standard_normal(rows), rng.standard_normal(columns)
    np.testing.assert_allclose(f(a, b, c), np.exp(a - b[:, None]) * c + b[:, None],
                               rtol=1e-13, atol=1e-13)  # libmvec is within 4 ulp of NumPy


@st.composite
def sums(draw):
    """(dtype, input, the sum (of an elementwise expression or not), an array to call it with)."""
    dtype = draw(st.sampled_from(("float64", "float32", "float16", "int8", "int32", "uint64", "bool")))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=draw(st.sampled_from([4, 40]))))
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    ndim = len(shape)
    axes = draw(st.sampled_from([None, 0, ndim - 1, tuple(range(ndim - 1)), tuple(range(1, ndim)),
                                 tuple(sorted({0, ndim - 1}))]))
    value = {"x": x, "2 x": x * 2 if dtype != "bool" else x, "exp": T.exp(x) if dtype in FLOATS else abs(x),
             "x x": x * x if dtype != "bool" else x}[draw(st.sampled_from(["x", "2 x", "exp", "x x"]))]
    # Floats of moderate size (NaN and infinities come from special_values), so that exp stays finite.
    elements = hnp.from_dtype(np.dtype(dtype), min_value=-50, max_value=50) if dtype in FLOATS else \
        hnp.from_dtype(np.dtype(dtype))
    array = draw(hnp.arrays(dtype, shape, elements=st.one_of(st.sampled_from(special_values(dtype)), elements)))
    layout = draw(st.sampled_from(["contiguous", "fortran", "strided"]))
    if layout == "fortran":
        array = np.asfortranarray(array)
    elif layout == "strided":
        array = np.repeat(array[..., None], 2, axis=-1)[..., 0]
    return dtype, x, T.sum(value, axis=axes), array


@given(sums())
def test_compiled_sums_match_numpy_linked_ones(case):
    dtype, x, total, array = case
    f, g = minitensor.function([x], total, mode=C), minitensor.function([x], total, mode=PY)
    with np.errstate(all="ignore"):
        got, expected = f(array), g(array)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if dtype in FLOATS:
        # The C linker adds float32 in float64; NumPy adds contiguous runs in pairs in float32.
        tolerance = {"float64": 1e-12, "float32": 1e-5, "float16": 2e-3}[dtype]
        scale = np.sum(np.abs(np.asarray(array, float)), axis=None) * tolerance
        np.testing.assert_allclose(got.astype(float), expected.astype(float), rtol=tolerance,
                                   atol=scale if np.isfinite(scale) else 0, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


def test_a_sum_absorbs_the_elementwise_node_it_alone_reads_and_adds_float32_in_float64():
    x, y = T.fmatrices("x", "y")
    f = minitensor.function([x, y], [T.sum(T.exp(x) * y, axis=1), T.sum(x, axis=0), x.sum()], mode=C)
    source = f.program.source
    assert "Sum{axis=(1,)} of Composite" in source and "fused_" not in source  # no line of its own
    assert [type(node.op).__name__ for _, node in f.program._writer.compiled_loops] == ["Sum"] * 3
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((500, 300)).astype("float32"), rng.standard_normal((500, 300)).astype("float32")
    rows, columns, total = f(a, b)
    exact = np.exp(a.astype(float)).astype("float32").astype(float) * b  # each term as float32 computes it
    np.testing.assert_allclose(rows, exact.sum(axis=1), rtol=1e-6, atol=1e-6 * np.abs(exact).sum(axis=1).max())
    np.testing.assert_allclose(columns, a.astype(float).sum(axis=0), rtol=1e-7, atol=1e-6)
    assert total == np.float32(a.astype(float).sum())  # added in float64, rounded once
    text = print_program(f, file=__import__("io").StringIO()).getvalue()
    assert "mt_pairwise<double>(value, r * inner, inner)" in text and "acc[j] += value(r * inner + j)" in text


def test_a_sum_over_middle_axes_or_broadcast_operands_runs_as_numpy_does():
    x, v = T.dtensor3("x"), T.dvector("v")
    f = minitensor.function([x, v], [T.sum(x, axis=1), T.sum(x * v, axis=0)], mode=C)
    assert "Sum{axis=(1,)}" in f.program.source and "reduce_kernel_" in f.program.source  # the second only
    a, b = np.arange(24.0).reshape(2, 3, 4), np.arange(4.0)
    middle, broadcast = f(a, b)
    np.testing.assert_array_equal(middle, a.sum(axis=1))
    np.testing.assert_array_equal(broadcast, (a * b).sum(axis=0))
    with pytest.raises(ValueError, match="shape|dimension"):
        f(a, np.ones(5))


def test_fused_nodes_run_as_compiled_loops_and_nothing_else_changes():
    x, y = T.dvectors("x", "y")
    f = minitensor.function([x, y], T.exp(-x) * 2 + y, mode=C)
    g = minitensor.function([x, y], T.exp(-x) * 2 + y, mode=PY)
    assert [name for name, _ in f.program._writer.compiled_loops] == ["fused_0"]
    assert g.program._writer.compiled_loops == []
    assert "fused_0(" in f.program.source and "exp(" not in f.program.source
    a, b = np.linspace(-3, 3, 7), np.arange(7.0)
    np.testing.assert_allclose(f(a, b), np.exp(-a) * 2 + b, rtol=1e-15)


def test_the_default_linker_is_c_where_a_compiler_is_found():
    x = T.dvector("x")
    assert minitensor.configuration.SETTINGS["linker"].default == "cvm"
    with minitensor.change_flags(linker="cvm"):
        assert minitensor.function([x], T.exp(x) + 1).program.backend.linker == "c"
    with minitensor.change_flags(linker="py"):
        assert minitensor.function([x], T.exp(x) + 1).program.backend.linker == "py"


def test_an_unknown_linker_is_an_error_naming_the_choices():
    with pytest.raises(ValueError, match="unknown linker 'bogus'; use one of 'cvm', 'c'"):
        minitensor.Mode(linker="bogus")


def test_print_program_shows_the_compiled_loop():
    x = T.dvector("x")
    f = minitensor.function([x], T.exp(-x) * 2, mode=C)
    text = print_program(f, file=__import__("io").StringIO()).getvalue()
    assert "t0 = fused_0(x)  # Composite{(exp(-i0) * 2.0)}" in text
    assert "// fused_0: Composite{(exp(-i0) * 2.0)}, compiled by the C linker" in text
    assert "const double t1 = exp(t0);" in text and "for (npy_intp i = 0; i < n; i++)" in text


def test_a_dead_input_is_written_over_where_the_plan_allows():
    x, y = T.dvectors("x", "y")
    h = T.exp(x) + y  # computed; dead after the second fused node reads it
    f = minitensor.function([x, y], T.sqrt(T.sum(x) + T.abs_(h)) * T.tanh(h), mode=C)
    a, b = np.linspace(-2, 2, 9), np.linspace(0, 1, 9)
    expected = np.sqrt(a.sum() + np.abs(np.exp(a) + b)) * np.tanh(np.exp(a) + b)
    np.testing.assert_allclose(f(a, b), expected, rtol=1e-14)


def test_constants_are_arguments_so_graphs_differing_only_in_them_share_a_library():
    x = T.dvector("x")
    compiler = c_linker.c_backend().compiler
    before = set(compiler.loaded)
    f = minitensor.function([x], T.exp(x) * 0.25 + 3.0, mode=C)
    g = minitensor.function([x], T.exp(x) * 0.5 + 7.0, mode=C)
    assert len({name for name in set(compiler.loaded) - before if name.startswith("mt_loops_")}) <= 1
    a = np.linspace(0, 1, 4)
    np.testing.assert_allclose(f(a), np.exp(a) * 0.25 + 3.0, rtol=1e-15)
    np.testing.assert_allclose(g(a), np.exp(a) * 0.5 + 7.0, rtol=1e-15)


def test_sizes_that_differ_are_an_error_naming_the_node():
    x, y = T.dvectors("x", "y")
    f = minitensor.function([x, y], T.exp(x) * y, mode=C)
    with pytest.raises(ValueError, match="shape"):
        f(np.ones(3), np.ones(4))


@pytest.fixture
def fresh_cache(tmp_path):
    """An empty compile directory, and no library of this process's cache loaded from it."""
    saved_backends = dict(c_linker._backends)
    c_linker._backends.clear()
    with minitensor.change_flags(compiledir=str(tmp_path)):
        yield tmp_path
    c_linker._backends.clear()
    c_linker._backends.update(saved_backends)


def _compile_and_run(source_scale):
    x = T.dvector("x")
    f = minitensor.function([x], T.sin(x) * source_scale + T.cos(x), mode=C)
    a = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(f(a), np.sin(a) * source_scale + np.cos(a), rtol=1e-14)


def _entries(folder, kind):
    return sorted(p for p in os.listdir(folder) if p.startswith(f"mt_{kind}_") and p.endswith(".so"))


def test_a_corrupt_cache_entry_is_detected_and_rebuilt(fresh_cache):
    _compile_and_run(2.0)
    (library,) = _entries(fresh_cache, "loops")
    path = fresh_cache / library
    # A new file in its place (as a crashed writer would leave it): this process has the
    # old one mapped, and writing into a mapped library would crash it.
    broken = fresh_cache / "broken"
    broken.write_bytes(b"\x7fELF truncated")
    os.replace(broken, path)
    c_linker._backends.clear()  # a new process: nothing loaded yet
    _compile_and_run(2.0)
    assert path.read_bytes() != b"\x7fELF truncated"
    assert (fresh_cache / library.replace(".so", ".sha256")).read_text() == c_linker._digest(path)


def test_a_stale_cache_entry_is_rebuilt(fresh_cache):
    _compile_and_run(3.0)
    (library,) = _entries(fresh_cache, "loops")
    source = fresh_cache / library.replace(".so", ".src")
    original = source.read_text()
    stale = fresh_cache / "stale"
    stale.write_text(original.replace("= sin(", "= tan("))
    os.replace(stale, source)  # the entry no longer matches its name
    c_linker._backends.clear()
    _compile_and_run(3.0)
    assert source.read_text() == original


def test_a_warm_cache_compiles_nothing(fresh_cache):
    _compile_and_run(4.0)

    def built():  # the libraries and digests (loading an entry touches only its source)
        return {p: os.stat(fresh_cache / p).st_mtime_ns for p in os.listdir(fresh_cache)
                if p.endswith((".so", ".sha256"))}
    stamps = built()
    c_linker._backends.clear()
    _compile_and_run(4.0)
    assert built() == stamps and len(stamps) == 4  # the runtime's and the node's


def test_a_build_folder_left_by_an_interrupted_process_is_removed(fresh_cache):
    left = fresh_cache / "build-interrupted"
    left.mkdir()
    (left / "node.cpp").write_text("// half written")
    os.utime(left, (0, 0))  # old
    recent = fresh_cache / "build-running"
    recent.mkdir()  # another process compiling now: kept
    c_linker._checked_folders.discard(str(fresh_cache))
    _compile_and_run(5.0)
    assert not left.exists() and recent.exists()


def _new_process(folder):
    """Forget what this process loaded and tidied, as a new process would."""
    c_linker._backends.clear()
    c_linker._checked_folders.discard(str(folder))


def test_entries_unused_for_24_days_are_removed_at_most_once_a_day(fresh_cache):
    _compile_and_run(2.0)
    (library,) = _entries(fresh_cache, "loops")
    stem = library[:-len(".so")]
    month_ago = time.time() - 30 * 24 * 3600
    for path in fresh_cache.iterdir():  # every entry, and the time of the last tidying
        os.utime(path, (month_ago, month_ago))
    used = time.time() - 23 * 24 * 3600
    os.utime(fresh_cache / f"{stem}.src", (used, used))  # the loops, loaded 23 days ago: kept
    _new_process(fresh_cache)
    x = T.dvector("x")
    minitensor.function([x], T.exp(x) * 3 - x, mode=C)  # another node: the tidying runs first
    assert _entries(fresh_cache, "loops") != [library] and library in _entries(fresh_cache, "loops")
    assert not any(name.startswith("mt_runtime_") and os.path.getmtime(fresh_cache / name) < used
                   for name in os.listdir(fresh_cache))  # the old runtime went (and was rebuilt)
    _compile_and_run(2.0)  # loading the kept entry touches its source
    assert os.path.getmtime(fresh_cache / f"{stem}.src") > time.time() - 60
    # A day has not passed since: an entry made old now stays until the next day's tidying.
    (other,) = set(_entries(fresh_cache, "loops")) - {library}
    for path in fresh_cache.glob(other[:-len(".so")] + ".*"):
        os.utime(path, (month_ago, month_ago))
    _new_process(fresh_cache)
    _compile_and_run(2.0)
    assert other in _entries(fresh_cache, "loops")


def test_without_a_compiler_the_numpy_program_runs_after_one_notice():
    x = T.dvector("x")
    saved = dict(c_linker._backends)
    try:
        with minitensor.change_flags(cxx="/nonexistent/g++"):
            with pytest.warns(UserWarning, match="C linker is off.*no C\\+\\+ compiler"):
                f = minitensor.function([x], T.exp(x) + 1, mode=C)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # the notice is given once
                g = minitensor.function([x], T.exp(x) * 2, mode=C)
        assert f.program.backend.linker == g.program.backend.linker == "py"
        np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0])
    finally:
        c_linker._backends.clear()
        c_linker._backends.update(saved)


def test_a_compiler_error_names_the_node_source():
    with pytest.raises(c_linker.CompileError, match="could not compile"):
        c_linker.c_backend().compiler.loops("this is not C++;")


# --- one pass over X: RowPass -------------------------------------------------------------

from minitensor.rewriting import rowpass  # noqa: E402


def _logistic_step(dtype, mode):
    x, y = T.matrix("x", dtype=dtype), T.vector("y", dtype=dtype)
    w, b = T.vector("w", dtype=dtype), T.scalar("b", dtype=dtype)
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return minitensor.function([x, y, w, b], [p > 0.5, xent, gw, gb], mode=mode)


@pytest.fixture
def one_pass_always(monkeypatch):
    monkeypatch.setattr(rowpass, "SWITCH_BYTES", 0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["contiguous", "rows of a wider array", "transposed"])
def test_the_gradient_of_a_glm_reads_x_in_one_pass_and_matches_the_unfused_graph(dtype, layout, one_pass_always):
    step = _logistic_step(dtype, C)
    assert [type(n.op).__name__ for n in step.maker.fgraph.toposort()].count("RowPass") == 1
    assert any(r.rule == "row_pass" for r in step.maker.rewrites)
    reference = _logistic_step(dtype, PY)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 7)).astype(dtype) * 3
    x[0, 0], x[1, 1] = 40.0, -40.0  # saturated rows
    if layout == "rows of a wider array":
        x = np.concatenate([x, x], axis=1)[:, :7]
    elif layout == "transposed":  # column-major: the node falls back to BLAS's two products
        x = np.asfortranarray(x)
    y = (rng.random(300) > 0.5).astype(dtype)
    y[:3] = 0.25
    w, b = rng.normal(size=7).astype(dtype), np.asarray(0.5, dtype)
    tolerance = 1e-12 if dtype == "float64" else 2e-5
    for got, expected in zip(step(x, y, w, b), reference(x, y, w, b)):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def test_a_row_pass_keeps_nan_and_infinity_where_the_unfused_graph_has_them(one_pass_always):
    step, reference = _logistic_step("float64", C), _logistic_step("float64", PY)
    x = np.ones((130, 3))  # two blocks of ROW_BLOCK (64) rows, and two rows
    x[2, 1], x[70, 0], x[129, 2] = np.nan, np.inf, -np.inf
    y, w, b = np.linspace(0, 1, 130), np.array([0.5, -1.0, 2.0]), np.asarray(0.0)
    with np.errstate(all="ignore"):
        for got, expected in zip(step(x, y, w, b), reference(x, y, w, b)):
            np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


def test_below_the_switch_size_the_node_runs_as_blas_around_the_fused_loop():
    step = _logistic_step("float64", C)
    assert rowpass.SWITCH_BYTES > 300 * 7 * 8
    x, y = np.random.default_rng(1).normal(size=(300, 7)), np.linspace(0, 1, 300)
    expected = _logistic_step("float64", PY)(x, y, np.ones(7), np.asarray(0.1))
    for got, want in zip(step(x, y, np.ones(7), np.asarray(0.1)), expected):
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_sizes_that_differ_in_a_row_pass_are_an_error(one_pass_always):
    step = _logistic_step("float64", C)
    with pytest.raises(ValueError):
        step(np.ones((5, 3)), np.ones(4), np.ones(3), np.asarray(0.0))


def test_the_row_pass_gradient_is_the_gradient_of_the_nodes_it_replaced():
    x, y, w = T.dmatrix("x"), T.dvector("y"), T.dvector("w")
    g = T.nnet.sigmoid(T.dot(x, w)) - y
    fused_outputs, _ = minitensor.rewriting.fusion.fuse([g, T.dot(x.T, g)])
    outputs, log = rowpass.row_passes(fused_outputs)
    assert isinstance(outputs[1].owner.op, rowpass.RowPass) and log
    rng = np.random.default_rng(2)
    values = [rng.normal(size=(6, 4)), rng.random(6), rng.normal(size=4)]
    cost_rewritten = T.sum(outputs[1] ** 2) + T.sum(outputs[0])
    cost_original = T.sum(T.dot(x.T, g) ** 2) + T.sum(g)
    got = minitensor.function([x, y, w], T.grad(cost_rewritten, w), mode=PY)(*values)
    expected = minitensor.function([x, y, w], T.grad(cost_original, w), mode=PY)(*values)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
