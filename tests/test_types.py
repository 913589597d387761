"""Tensor types, variable constructors, config, dtype promotion and broadcasting.

The rules are Theano's, with dtypes following NumPy 2: Python numbers are weak
(``fvector * 0.1`` stays float32), comparisons give bool, and the dtype a node
declares is always the dtype of the array it computes.
"""

import itertools
import operator
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor as theano
import minitensor.tensor as T
from minitensor.tensor.type import SUPPORTED_DTYPES, TensorType
from helpers import here

FLOATX_DEFAULT = "float64"
PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64"}
PATTERNS = {"scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
            "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4}
PLURALS = {"scalar": "scalars", "vector": "vectors", "matrix": "matrices", "row": "rows",
           "col": "cols", "tensor3": "tensor3s", "tensor4": "tensor4s"}
NUMERIC_DTYPES = [d for d in SUPPORTED_DTYPES if d != "bool"]


def run(inputs, output, *values):
    return theano.function(inputs, output)(*values)


# --- TensorType --------------------------------------------------------------------------------

def test_tensor_type_equality_and_hashing():
    a = TensorType("float64", (False, False))
    b = TensorType(np.float64, [False, False])  # a NumPy dtype and a list are normalised
    assert a == b and hash(a) == hash(b)
    assert a == T.dmatrix
    assert a != TensorType("float32", (False, False))
    assert a != TensorType("float64", (True, False))
    assert a != TensorType("float64", (False, False, False))
    assert a != "TensorType(float64, matrix)" and a != None  # noqa: E711
    assert len({a, b, T.dmatrix, T.fmatrix, T.drow}) == 3
    assert {a: 1}[T.dmatrix] == 1


def test_tensor_type_fields():
    t = TensorType("int16", [0, 1, 0])
    assert t.dtype == "int16"
    assert t.broadcastable == (False, True, False)
    assert t.ndim == 3


@pytest.mark.parametrize("dtype, pattern, text", [
    ("float64", (False, False), "TensorType(float64, matrix)"),
    ("float32", (False,), "TensorType(float32, vector)"),
    ("float64", (True, False), "TensorType(float64, row)"),
    ("int32", (False, True), "TensorType(int32, col)"),
    ("int8", (), "TensorType(int8, scalar)"),
    ("float64", (False, False, False), "TensorType(float64, (False, False, False))"),
    ("float32", (True, True), "TensorType(float32, (True, True))"),
])
def test_tensor_type_repr(dtype, pattern, text):
    assert repr(TensorType(dtype, pattern)) == text
    assert str(TensorType(dtype, pattern)) == text


def test_unsupported_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="complex128"):
        TensorType("complex128", ())


# --- constructors ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(PATTERNS))
def test_constructor_defaults_to_floatX(kind):
    x = getattr(T, kind)()
    assert x.type == TensorType(FLOATX_DEFAULT, PATTERNS[kind])
    assert x.dtype == FLOATX_DEFAULT
    assert x.broadcastable == PATTERNS[kind]
    assert x.ndim == len(PATTERNS[kind])
    assert x.name is None


@pytest.mark.parametrize("kind", list(PATTERNS))
def test_constructor_name_and_dtype(kind):
    x = getattr(T, kind)("x", dtype="int32")
    assert x.name == "x"
    assert x.type == TensorType("int32", PATTERNS[kind])
    y = getattr(T, kind)(name="y", dtype="float32")
    assert (y.name, y.dtype) == ("y", "float32")


def test_tensor_constructor():
    x = T.tensor("int16", (False, True, False), name="x")
    assert x.type == TensorType("int16", (False, True, False))
    assert x.name == "x"


def test_constructors_follow_floatX_at_call_time(floatX):
    floatX.floatX = "float32"
    assert T.matrix().dtype == "float32"
    assert T.scalar("s").type == T.fscalar
    assert all(v.dtype == "float32" for v in T.vectors("a", "b"))
    floatX.floatX = "float64"
    assert T.matrix().dtype == "float64"


@pytest.mark.parametrize("prefix, kind", list(itertools.product(PREFIXES, PATTERNS)))
def test_typed_instances(prefix, kind):
    t = getattr(T, prefix + kind)
    assert isinstance(t, TensorType)
    assert t == TensorType(PREFIXES[prefix], PATTERNS[kind])
    x = t("x")
    assert isinstance(x, T.TensorVariable)
    assert x.type is t
    assert x.name == "x"
    assert x.dtype == PREFIXES[prefix]
    assert t().name is None


@pytest.mark.parametrize("prefix, kind", list(itertools.product(PREFIXES, PATTERNS)))
def test_typed_plurals(prefix, kind):
    make = getattr(T, prefix + PLURALS[kind])
    a, b = make("a", "b")
    assert (a.name, b.name) == ("a", "b")
    assert a.type is getattr(T, prefix + kind) and b.type is a.type
    assert a is not b
    one = make("c")
    assert isinstance(one, T.TensorVariable) and one.name == "c"
    three = make(3)
    assert len(three) == 3 and len(set(map(id, three))) == 3
    assert all(v.type is a.type and v.name is None for v in three)


@pytest.mark.parametrize("kind", list(PATTERNS))
def test_untyped_plurals(kind, floatX):
    make = getattr(T, PLURALS[kind])
    x, y = make("x", "y")
    assert (x.name, y.name) == ("x", "y")
    assert x.type == TensorType(FLOATX_DEFAULT, PATTERNS[kind])
    floatX.floatX = "float32"
    assert all(v.type == TensorType("float32", PATTERNS[kind]) for v in make(2))
    assert make("z", dtype="int8").type == TensorType("int8", PATTERNS[kind])


def test_theano_tutorial_constructors():
    x, y = T.dscalars("x", "y")
    a, b = T.dmatrices("a", "b")
    assert x.type is T.dscalar and y.name == "y"
    assert a.type is T.dmatrix and b.name == "b"
    f = theano.function([x, y], x + y)
    assert f(2, 3) == 5.0
    g = theano.function([a, b], a + b)
    np.testing.assert_array_equal(g([[1, 2], [3, 4]], [[10, 20], [30, 40]]), [[11, 22], [33, 44]])


# --- config ------------------------------------------------------------------------------------

@pytest.mark.numpy_only("--backend=cupy sets config.device to cuda")
def test_config_defaults():
    assert theano.config.floatX == "float64"
    assert theano.config.device == "cpu"


@pytest.mark.parametrize("setting, value", [("floatX", "float128"), ("floatX", "int32"),
                                            ("floatX", 32), ("device", "tpu"), ("device", "")])
def test_config_rejects_invalid_values(setting, value):
    before = getattr(theano.config, setting)
    with pytest.raises(ValueError, match=setting):
        setattr(theano.config, setting, value)
    assert getattr(theano.config, setting) == before


def test_config_rejects_unknown_settings():
    with pytest.raises(AttributeError, match="flaotX"):
        theano.config.flaotX = "float32"
    with pytest.raises(AttributeError, match="nonexistent"):
        theano.config.nonexistent


def test_config_floatX_assignment(floatX):
    floatX.floatX = "float32"
    assert theano.config.floatX == "float32"
    x = T.vector("x")
    assert x.dtype == "float32"
    # A Python float literal keeps float32 expressions in float32.
    assert (x * 0.5).dtype == "float32"


def _python(code, flags):
    env = dict(os.environ, MINITENSOR_FLAGS=flags)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_flags_from_environment():
    code = ("import minitensor as theano; import minitensor.tensor as T; "
            "print(T.matrix().dtype, theano.config.floatX, theano.config.device, T.scalar().type)")
    result = _python(code, "floatX=float32,device=cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "float32", "cpu", "TensorType(float32,", "scalar)"]


def test_invalid_flags_in_environment_fail_loudly():
    result = _python("import minitensor", "floatX=float33")
    assert result.returncode != 0
    assert "ValueError" in result.stderr and "float33" in result.stderr


# --- dtype promotion ---------------------------------------------------------------------------

def test_tutorial_promotion_examples():
    assert (T.fvector() * 0.1).dtype == "float32"
    assert (T.ivector() * 0.1).dtype == "float64"
    assert (T.bvector() + 1).dtype == "int8"
    assert (T.fvector() + T.dvector()).dtype == "float64"
    assert (T.ivector() + T.fvector()).dtype == "float64"
    assert (T.bvector() + T.wvector()).dtype == "int16"
    assert (T.ivector() / T.ivector()).dtype == "float64"
    assert (T.bvector() / 2).dtype == "float64"
    assert (T.fvector() / 2).dtype == "float32"
    assert (T.fvector() < T.fvector()).dtype == "bool"
    assert T.eq(T.ivector(), 1).dtype == "bool"
    assert T.exp(T.wvector()).dtype == "float32"
    assert T.exp(T.bvector()).dtype == "float16"
    assert T.exp(T.ivector()).dtype == "float64"


def test_weak_scalar_values_match_numpy():
    x = T.fvector("x")
    data = np.array([1, 2, 3], dtype="float32")
    out = run([x], x * 0.1, data)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, data * 0.1)
    b = T.bvector("b")
    out = run([b], b + 1, np.array([1, 2, 126], dtype="int8"))
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, np.array([2, 3, 127], dtype="int8"))
    i = T.ivector("i")
    out = run([i], i / 2, np.array([1, 3], dtype="int32"))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.5, 1.5])


BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "<": operator.lt, ">=": operator.ge}
COMPARISONS = {"<", ">="}


@given(a=st.sampled_from(NUMERIC_DTYPES), b=st.sampled_from(NUMERIC_DTYPES),
       symbol=st.sampled_from(sorted(BINARY)))
def test_binary_promotion_matches_numpy(a, b, symbol):
    op = BINARY[symbol]
    x, y = TensorType(a, (False,))("x"), TensorType(b, (False,))("y")
    z = op(x, y)
    xa, ya = np.arange(1, 4).astype(a), np.arange(1, 4).astype(b)[::-1].copy()
    expected = op(xa, ya)
    if symbol in COMPARISONS:
        assert z.dtype == "bool"
    elif symbol == "/":
        assert z.dtype == np.true_divide(np.ones(1, a), np.ones(1, b)).dtype
    else:
        assert z.dtype == np.result_type(a, b)
    out = run([x, y], z, xa, ya)
    assert out.dtype == expected.dtype == np.dtype(z.dtype)
    np.testing.assert_array_equal(out, expected)


@given(dtype=st.sampled_from(list(SUPPORTED_DTYPES)),
       number=st.one_of(st.booleans(), st.integers(0, 100),
                        st.floats(-100, 100, allow_nan=False, allow_subnormal=False)),
       symbol=st.sampled_from(["+", "*", "<", "/"]),
       reflected=st.booleans())
def test_python_numbers_are_weak(dtype, number, symbol, reflected):
    op = BINARY[symbol]
    x = TensorType(dtype, (False,))("x")
    data = np.arange(1, 4).astype(dtype)
    z = op(number, x) if reflected else op(x, number)
    expected = op(number, data) if reflected else op(data, number)
    if symbol not in COMPARISONS | {"/"}:
        assert z.dtype == np.result_type(np.dtype(dtype), number)
    assert z.dtype == expected.dtype
    out = run([x], z, data)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected)


def _numpy_result(function, arrays):
    try:
        with np.errstate(all="ignore"):
            return function(*arrays).dtype
    except TypeError:  # NumPy has no loop for these dtypes
        return None


EXHAUSTIVE_BINARY = {
    "add": (T.add, np.add), "sub": (T.sub, np.subtract), "mul": (T.mul, np.multiply),
    "true_div": (T.true_div, np.true_divide), "int_div": (T.int_div, np.floor_divide),
    "pow": (T.pow, np.power), "maximum": (T.maximum, np.maximum), "lt": (T.lt, np.less),
    "eq": (T.eq, np.equal), "and_": (T.and_, np.bitwise_and),
}
EXHAUSTIVE_UNARY = {
    "neg": (T.neg, np.negative), "abs_": (T.abs_, np.abs), "sgn": (T.sgn, np.sign),
    "sqr": (T.sqr, np.square), "exp": (T.exp, np.exp), "log": (T.log, np.log),
    "sqrt": (T.sqrt, np.sqrt), "tanh": (T.tanh, np.tanh), "invert": (T.invert, np.invert),
}


def _check_declared_dtype(op, reference, dtypes):
    """None if ``op`` on ``dtypes`` declares and computes NumPy's dtype, else what went wrong.

    An op must refuse, with a TypeError when the graph is built, dtypes NumPy has no
    loop for. It may also refuse bools where NumPy would compute in int8 (bool // bool,
    bool ** bool, sqr(bool)): Theano has no such promotion, and refusing keeps the
    declared dtype the computed one. Any other refusal is a problem.
    """
    arrays = [np.ones(2, dtype) for dtype in dtypes]
    variables = [TensorType(dtype, (False,))() for dtype in dtypes]
    expected = _numpy_result(reference, arrays)
    try:
        out = op(*variables)
    except TypeError:
        return None if expected is None or "bool" in dtypes else f"refused, NumPy gives {expected}"
    if expected is None:
        return f"accepted as {out.dtype} though NumPy has no loop"
    try:
        computed = theano.function(variables, out)(*arrays).dtype
    except Exception as error:  # noqa: BLE001
        return f"failed at run time: {type(error).__name__}"
    if not (out.dtype == computed == expected):
        return f"declared {out.dtype}, computed {computed}, NumPy {expected}"
    return None


def test_declared_dtype_is_computed_dtype_for_every_binary_op_and_dtype_pair():
    problems = []
    for (name, (op, reference)), a, b in itertools.product(
            EXHAUSTIVE_BINARY.items(), SUPPORTED_DTYPES, SUPPORTED_DTYPES):
        problem = _check_declared_dtype(op, reference, (a, b))
        if problem:
            problems.append(f"{name}({a}, {b}): {problem}")
    assert not problems, "\n".join(problems)


def test_declared_dtype_is_computed_dtype_for_every_unary_op_and_dtype():
    problems = []
    for (name, (op, reference)), dtype in itertools.product(EXHAUSTIVE_UNARY.items(), SUPPORTED_DTYPES):
        problem = _check_declared_dtype(op, reference, (dtype,))
        if problem:
            problems.append(f"{name}({dtype}): {problem}")
    assert not problems, "\n".join(problems)


def test_comparisons_give_bool_and_true_division_of_integers_gives_float64():
    i, j = T.ivectors("i", "j")
    for z in (i < j, i <= j, i > j, i >= j, T.eq(i, j), T.neq(i, j)):
        assert z.dtype == "bool"
        out = run([i, j], z, np.array([1, 2], "int32"), np.array([2, 2], "int32"))
        assert out.dtype == np.bool_
    out = run([i, j], i / j, np.array([1, 3], "int32"), np.array([2, 2], "int32"))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.5, 1.5])


def test_exp_of_int16_is_float32_as_in_numpy():
    w = T.wvector("w")
    data = np.array([0, 1, 2], dtype="int16")
    out = run([w], T.exp(w), data)
    assert T.exp(w).dtype == "float32"
    assert out.dtype == np.exp(data).dtype == np.float32
    np.testing.assert_allclose(out, np.exp(data), rtol=1e-6)


# --- broadcasting ------------------------------------------------------------------------------

@pytest.mark.parametrize("rows", [1, 2, 5])
def test_row_broadcasts_over_any_number_of_rows(rows):
    r, m = T.row("r"), T.matrix("m")
    z = r + m
    assert z.broadcastable == (False, False)
    rv = np.array([[1.0, 2.0, 3.0]])
    mv = np.arange(rows * 3, dtype="float64").reshape(rows, 3)
    np.testing.assert_array_equal(run([r, m], z, rv, mv), rv + mv)
    np.testing.assert_array_equal(run([r, m], m + r, rv, mv), mv + rv)


def test_col_broadcasts_over_columns():
    c, m = T.col("c"), T.matrix("m")
    cv, mv = np.array([[1.0], [2.0]]), np.ones((2, 4))
    np.testing.assert_array_equal(run([c, m], c * m, cv, mv), cv * mv)


def test_lower_rank_inputs_are_padded_on_the_left():
    v, m = T.vector("v"), T.matrix("m")
    z = v + m
    assert z.ndim == 2 and z.broadcastable == (False, False)
    padded = z.owner.inputs[0]
    assert padded.broadcastable == (True, False)
    vv, mv = np.array([1.0, 2.0, 3.0]), np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(run([v, m], z, vv, mv), mv + vv)
    s = T.scalar("s")
    assert (s * T.tensor3()).broadcastable == (False, False, False)
    assert (s + v).broadcastable == (False,)
    assert (T.row() + T.col()).broadcastable == (False, False)
    assert (T.row() + T.row()).broadcastable == (True, False)


def test_size_mismatch_along_non_broadcastable_dimension_is_an_error():
    x, y = T.matrices("x", "y")
    z, line = x + y, here()
    f = theano.function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones((1, 3)), np.ones((4, 3)))
    message = str(info.value)
    assert "add" in message
    assert "(1, 3)" in message and "(4, 3)" in message
    assert os.path.basename(__file__) in message and f"line {line}" in message
    # The same shapes are fine when the first input is declared a row.
    r = T.row("r")
    np.testing.assert_array_equal(run([r, y], r + y, np.ones((1, 3)), np.ones((4, 3))), 2 * np.ones((4, 3)))


def test_vector_size_mismatch_is_an_error():
    x, y = T.vectors("x", "y")
    f = theano.function([x, y], x * y)
    with pytest.raises(ValueError, match="mul"):
        f(np.ones(1), np.ones(3))


# --- Python protocol -------------------------------------------------------------------------

def test_truth_value_and_iteration_are_type_errors():
    x = T.vector("x")
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        if x > 0:
            pass
    with pytest.raises(TypeError):
        iter(x)
    with pytest.raises(TypeError):
        list(x)
    with pytest.raises(TypeError):
        a, b = x  # noqa: F841
    with pytest.raises(TypeError):
        bool(theano.shared(np.zeros(2)))
    with pytest.raises(TypeError):
        bool(T.constant(1.0))


def test_variable_metadata():
    x = T.fmatrix("x")
    assert (x.dtype, x.ndim, x.broadcastable) == ("float32", 2, (False, False))
    assert str(x) == "x"
    y = T.fmatrix()
    assert str(y) == "<TensorType(float32, matrix)>"
    assert x.T.broadcastable == (False, False)
    assert T.frow().T.broadcastable == (False, True)
