"""The op test specification: one row per way of using each op.

Adding an op means adding a row here; ``test_ops.py`` then checks its forward
values and dtypes against NumPy and its first and second derivatives against
finite differences, and ``test_every_op_has_a_spec`` fails until the row exists.

Input values are drawn where derivatives are O(1): away from poles, kinks
(abs at 0, the bounds of clip) and ties (maximum of two equal values).
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import minitensor.tensor as T
from minitensor.tensor import elemwise as E
from minitensor.rewriting import rowpass
from minitensor.rewriting.fusion import Composite, fuse
from minitensor.tensor import construction, linalg, nnet, reduction, shape_ops, subtensor
from minitensor.tensor import raw_random
from minitensor import scan_module
from minitensor.compile.ops import DeepCopyOp, FromFunctionOp, as_op, deep_copy_op
from minitensor.printing import Print
from minitensor.tensor.inplace import ElemwiseInplace, add_inplace


# --- value generators: (rng, shape, dtype) -> array --------------------------------------

def uniform(low, high):
    return lambda rng, shape, dtype: rng.uniform(low, high, shape).astype(dtype)


def away_from_zero(low, high):
    """Magnitudes in [low, high] with random signs."""
    def draw(rng, shape, dtype):
        return (rng.uniform(low, high, shape) * rng.choice([-1, 1], shape)).astype(dtype)
    return draw


def booleans(rng, shape, dtype):
    return rng.random(shape) < 0.5


def integers(low, high):
    return lambda rng, shape, dtype: rng.integers(low, high, shape).astype(dtype)


def elementwise_shapes(n):
    return mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3, max_side=3).map(
        lambda shapes: shapes.input_shapes)


def shapes_of(*strategies):
    return st.tuples(*strategies)


@dataclass
class Spec:
    name: str
    op: type  # the Op class this row covers
    build: Callable  # symbolic inputs -> symbolic output
    reference: Callable  # numpy arrays -> expected array
    domains: tuple  # one value generator per input
    shapes: object = None  # strategy for the tuple of input shapes; default: broadcasting shapes
    differentiable: bool = True
    dtypes: tuple = ("float64", "float32")
    input_dtypes: tuple = field(default=None)  # fixed dtypes for some inputs (e.g. a bool condition)

    def __post_init__(self):
        if self.shapes is None:
            self.shapes = elementwise_shapes(len(self.domains))


def fused(build):
    """``build`` with its elementwise nodes fused into one Composite node."""
    def build_fused(*xs):
        (out,), _ = fuse([build(*xs)])
        assert isinstance(out.owner.op, Composite), out.owner.op
        return out
    return build_fused


def _row_pass(x, y, w):
    """X.T . (tanh(X . w) - y) as one RowPass node (the one pass over X of rewriting/rowpass.py)."""
    (out,), _ = rowpass.row_passes(fuse([T.dot(x.T, T.tanh(T.dot(x, w)) - y)])[0])
    assert isinstance(out.owner.op, rowpass.RowPass), out.owner.op
    return out


def _row_pass_reference(x, y, w):
    return x.T @ (np.tanh(x @ w) - y)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


U = uniform(-2, 2)
POSITIVE = uniform(0.5, 2)
NONZERO = away_from_zero(0.5, 2)

SPECS = [
    # arithmetic
    Spec("add", E.Add, lambda x, y: x + y, np.add, (U, U)),
    Spec("add3", E.Add, lambda x, y, z: T.add(x, y, z), lambda x, y, z: x + y + z, (U, U, U)),
    Spec("sub", E.Sub, lambda x, y: x - y, np.subtract, (U, U)),
    Spec("mul", E.Mul, lambda x, y: x * y, np.multiply, (U, U)),
    Spec("mul3", E.Mul, lambda x, y, z: T.mul(x, y, z), lambda x, y, z: x * y * z, (U, U, U)),
    Spec("true_div", E.TrueDiv, lambda x, y: x / y, np.true_divide, (U, NONZERO)),
    Spec("int_div", E.IntDiv, lambda x, y: x // y, np.floor_divide, (U, NONZERO), differentiable=False),
    Spec("neg", E.Neg, lambda x: -x, np.negative, (U,)),
    Spec("pow", E.Pow, lambda x, y: x ** y, np.power, (POSITIVE, U)),
    Spec("abs", E.Abs, abs, np.abs, (NONZERO,)),
    Spec("sgn", E.Sgn, T.sgn, np.sign, (NONZERO,), differentiable=False),
    Spec("maximum", E.Maximum, T.maximum, np.maximum, (U, U)),
    Spec("minimum", E.Minimum, T.minimum, np.minimum, (U, U)),
    Spec("clip", E.Clip, T.clip, np.clip, (U, uniform(-1.5, -0.5), uniform(0.5, 1.5))),
    # mathematical functions
    Spec("exp", E.Exp, T.exp, np.exp, (U,)),
    Spec("log", E.Log, T.log, np.log, (POSITIVE,)),
    Spec("log1p", E.Log1p, T.log1p, np.log1p, (uniform(-0.5, 2),)),
    Spec("expm1", E.Expm1, T.expm1, np.expm1, (U,)),
    Spec("sqrt", E.Sqrt, T.sqrt, np.sqrt, (POSITIVE,)),
    Spec("sqr", E.Sqr, T.sqr, np.square, (U,)),
    Spec("tanh", E.Tanh, T.tanh, np.tanh, (U,)),
    Spec("sin", E.Sin, T.sin, np.sin, (uniform(-3, 3),)),
    Spec("cos", E.Cos, T.cos, np.cos, (uniform(-3, 3),)),
    Spec("sigmoid", nnet.Sigmoid, T.nnet.sigmoid, _sigmoid, (uniform(-4, 4),)),
    Spec("softplus", nnet.Softplus, T.nnet.softplus, _softplus, (uniform(-4, 4),)),
    Spec("relu", E.Maximum, T.nnet.relu, lambda x: np.maximum(x, 0), (NONZERO,)),
    Spec("composite", Composite, fused(lambda x, y, z: T.exp(-x) * y + z / (1 + x * x)),
         lambda x, y, z: np.exp(-x) * y + z / (1 + x * x), (U, U, U)),
    # comparisons and logic
    Spec("lt", E.LT, lambda x, y: x < y, np.less, (U, U), differentiable=False),
    Spec("gt", E.GT, lambda x, y: x > y, np.greater, (U, U), differentiable=False),
    Spec("le", E.LE, lambda x, y: x <= y, np.less_equal, (U, U), differentiable=False),
    Spec("ge", E.GE, lambda x, y: x >= y, np.greater_equal, (U, U), differentiable=False),
    Spec("eq", E.EQ, T.eq, np.equal, (integers(0, 2), integers(0, 2)), differentiable=False),
    Spec("neq", E.NEQ, T.neq, np.not_equal, (integers(0, 2), integers(0, 2)), differentiable=False),
    Spec("and", E.And, lambda x, y: x & y, np.bitwise_and, (booleans, booleans), differentiable=False,
         dtypes=("bool", "int32")),
    Spec("or", E.Or, lambda x, y: x | y, np.bitwise_or, (booleans, booleans), differentiable=False,
         dtypes=("bool", "int32")),
    Spec("invert", E.Invert, lambda x: ~x, np.invert, (booleans,), differentiable=False,
         dtypes=("bool", "int8")),
    # selection, filling, casting
    Spec("switch", E.Switch, T.switch, np.where, (booleans, U, U), input_dtypes=("bool", None, None)),
    Spec("fill", E.Fill, T.fill, lambda m, v: np.broadcast_to(v, np.broadcast_shapes(m.shape, v.shape)),
         (U, U)),
    # Rounding to float32 defeats float64 finite differences; test_gradient.py checks cast's gradient.
    Spec("cast", E.Cast, lambda x: T.cast(x, "float32"), lambda x: x.astype("float32"), (U,),
         differentiable=False),
    Spec("cast_int", E.Cast, lambda x: (x * 3).astype("int32"), lambda x: (x * 3).astype("int32"), (U,),
         differentiable=False),
    # reductions
    Spec("sum", reduction.Sum, T.sum, np.sum, (U,), shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("sum_axis1_keepdims", reduction.Sum, lambda x: T.sum(x, axis=1, keepdims=True),
         lambda x: np.sum(x, axis=1, keepdims=True), (U,), shapes=shapes_of(array_shapes(min_dims=2, max_dims=3, max_side=3))),
    Spec("sum_axes_neg", reduction.Sum, lambda x: x.sum(axis=(0, -1)), lambda x: x.sum(axis=(0, -1)), (U,),
         shapes=shapes_of(array_shapes(min_dims=2, max_dims=3, max_side=3))),
    Spec("mean", reduction.ElementCount, T.mean, np.mean, (U,),
         shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("mean_axis0", reduction.ElementCount, lambda x: x.mean(axis=0), lambda x: x.mean(axis=0), (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("max", reduction.Max, T.max, np.max, (U,), shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("max_axis0_keepdims", reduction.Max, lambda x: T.max(x, axis=0, keepdims=True),
         lambda x: np.max(x, axis=0, keepdims=True), (U,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("min_axis_last", reduction.Min, lambda x: T.min(x, axis=-1), lambda x: np.min(x, axis=-1), (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    # linear algebra
    Spec("dot_mm", linalg.Dot, T.dot, np.dot, (U, U), shapes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).map(
        lambda s: ((s[0], s[1]), (s[1], s[2])))),
    Spec("dot_mv", linalg.Dot, T.dot, np.dot, (U, U), shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(
        lambda s: ((s[0], s[1]), (s[1],)))),
    Spec("dot_vm", linalg.Dot, T.dot, np.dot, (U, U), shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(
        lambda s: ((s[0],), (s[0], s[1])))),
    Spec("dot_vv", linalg.Dot, T.dot, np.dot, (U, U), shapes=st.integers(1, 4).map(lambda n: ((n,), (n,)))),
    Spec("dot_scalar", E.Mul, T.dot, np.dot, (U, U), shapes=st.integers(1, 3).map(lambda n: ((), (n, 2)))),
    Spec("row_pass", rowpass.RowPass, _row_pass, _row_pass_reference, (U, U, U),
         shapes=st.tuples(st.integers(2, 4), st.integers(2, 3)).map(lambda s: ((s[0], s[1]), (s[0],), (s[1],)))),
    # shape ops
    Spec("transpose", shape_ops.DimShuffle, lambda x: x.T, np.transpose, (U,),
         shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("dimshuffle", shape_ops.DimShuffle, lambda x: x.dimshuffle(1, "x", 0), lambda x: x.T[:, None, :], (U,),
         shapes=shapes_of(array_shapes(min_dims=2, max_dims=2, max_side=3))),
    Spec("unbroadcast", shape_ops.Unbroadcast, lambda x: T.unbroadcast(x.dimshuffle("x", 0)),
         lambda x: x[None, :], (U,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=1, max_side=3))),
    Spec("reshape", shape_ops.Reshape, lambda x: x.reshape((-1,)), lambda x: x.reshape(-1), (U,),
         shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("reshape_symbolic", shape_ops.Shape, lambda x: T.reshape(x.T.reshape((-1,)), x.T.shape, ndim=x.ndim),
         lambda x: x.T.copy(), (U,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
]


def _jacobian_reference(x):
    """The Jacobian of tanh(x) * sum(x): J_ij = [i == j] (1 - tanh(x_i)^2) sum(x) + tanh(x_i)."""
    return np.diag((1 - np.tanh(x) ** 2) * x.sum()) + np.tanh(x)[:, None]


def _numpy_draw(method, *parameters):
    """What NumPy draws for a random state [seed, stream, draw], as the random ops do (size (2, 3))."""
    return lambda state: getattr(np.random.default_rng([int(s) for s in state]), method)(*parameters, (2, 3))


RANDOM_STATE = dict(domains=(integers(0, 2 ** 32),), shapes=st.just(((3,),)), differentiable=False,
                    input_dtypes=("uint64",))

def _scan_recurrence(x, w):
    """h[t] = tanh(h[t-1] * w + x[t]), from h[-1] = 0: an Elman step."""
    h, _ = scan_module.scan(lambda x_t, h, w: T.tanh(h * w + x_t), sequences=x, outputs_info=T.zeros_like(x[0]),
                            non_sequences=w)
    return h


def _scan_recurrence_reference(x, w):
    h, rows = np.zeros_like(x[0]), []
    for x_t in x:
        h = np.tanh(h * w + x_t)
        rows.append(h)
    return np.stack(rows)


def _scan_taps_backwards(x):
    """Taps on a sequence and on an output, walking the sequence backwards."""
    out, _ = scan_module.scan(lambda prev_x, x_t, y2, y1: T.tanh(y1 * x_t - y2 * prev_x),
                              sequences=dict(input=x, taps=[-1, 0]),
                              outputs_info=dict(initial=x[:2] * 0.5, taps=[-2, -1]), go_backwards=True)
    return out


def _scan_taps_backwards_reference(x):
    pairs = list(zip(x[1:], x[:-1]))[::-1]  # (x[t], x[t-1]) from the end: the cut sequences, reversed
    ys = [x[0] * 0.5, x[1] * 0.5]
    for x_t, prev_x in pairs:
        ys.append(np.tanh(ys[-1] * x_t - ys[-2] * prev_x))
    return np.stack(ys[2:])


SPECS += [
    # loops
    Spec("scan_recurrence", scan_module.Scan, _scan_recurrence, _scan_recurrence_reference, (U, U),
         shapes=st.tuples(st.integers(1, 4), st.integers(1, 3)).map(lambda s: ((s[0], s[1]), (s[1],)))),
    Spec("scan_taps_backwards", scan_module.Scan, _scan_taps_backwards, _scan_taps_backwards_reference, (U,),
         shapes=st.tuples(st.integers(3, 5), st.integers(1, 2)).map(lambda s: ((s[0], s[1]),))),
    Spec("jacobian", scan_module.Scan, lambda x: T.jacobian(T.tanh(x) * T.sum(x), x), _jacobian_reference, (U,),
         shapes=st.integers(1, 3).map(lambda n: ((n,),))),
    Spec("eye", construction.Eye, construction.Eye("float64"), lambda n: np.eye(int(n)), (integers(0, 4),),
         shapes=st.just(((),)), differentiable=False, input_dtypes=("int64",)),
    # random draws: the sample for a given state is NumPy's
    Spec("uniform", raw_random.Uniform, lambda s: raw_random.Uniform("float64", 2)(s, (2, 3), -1.0, 2.0)[1],
         _numpy_draw("uniform", -1.0, 2.0), **RANDOM_STATE),
    Spec("normal", raw_random.Normal, lambda s: raw_random.Normal("float64", 2)(s, (2, 3), 1.0, 3.0)[1],
         _numpy_draw("normal", 1.0, 3.0), **RANDOM_STATE),
    Spec("binomial", raw_random.Binomial, lambda s: raw_random.Binomial("int64", 2)(s, (2, 3), 5, 0.3)[1],
         _numpy_draw("binomial", 5, 0.3), **RANDOM_STATE),
]


# --- indexing, joining and making, products and arg-maxima, softmax --------------------------
# (a block of its own, appended to SPECS, so that rows added above and here do not collide)


def one_zero(rng, shape, dtype):
    """Magnitudes in [0.5, 1.5] with random signs, and exactly one element 0 (when there is one)."""
    values = away_from_zero(0.5, 1.5)(rng, shape, dtype)
    if values.size:
        values.flat[rng.integers(values.size)] = 0
    return values


def updated(index, set_instead_of_inc=False, accumulate=False):
    """NumPy reference for set/inc_subtensor at a fixed index (or at index arrays given last)."""
    def reference(x, v, *indices):
        out, where = x.copy(), index if index is not None else tuple(indices)
        if set_instead_of_inc:
            out[where] = v
        elif accumulate:
            np.add.at(out, where, v)
        else:
            out[where] += v
        return out
    return reference


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


INDEX = integers(-2, 2)  # valid for every axis of length 2 or more, negatives included
ROWS = array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3)  # first axis of length >= 2
MATRICES = array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=3)
UPTO3 = array_shapes(min_dims=0, max_dims=3, max_side=3)
VALUE_FOR_2_ROWS = st.integers(1, 3).flatmap(  # x of 3 rows, and a value that broadcasts to x[1:]
    lambda k: st.sampled_from([((3, k), (2, k)), ((3, k), (k,)), ((3, k), (1, k)), ((3, k), ())]))

SPECS += [
    # basic indexing
    Spec("subtensor_int", subtensor.Subtensor, lambda x: x[1], lambda x: x[1], (U,), shapes=shapes_of(ROWS)),
    Spec("subtensor_slice_and_int", subtensor.Subtensor, lambda x: x[1:, 0], lambda x: x[1:, 0], (U,),
         shapes=shapes_of(MATRICES)),
    Spec("subtensor_negative", subtensor.Subtensor, lambda x: x[::-1, -1:], lambda x: x[::-1, -1:], (U,),
         shapes=shapes_of(MATRICES)),
    Spec("subtensor_newaxis_ellipsis", subtensor.Subtensor, lambda x: x[None, ..., -1],
         lambda x: x[None, ..., -1], (U,), shapes=shapes_of(ROWS)),
    Spec("subtensor_symbolic", subtensor.Subtensor, lambda x, i: x[i], lambda x, i: x[i], (U, INDEX),
         shapes=st.tuples(ROWS, st.just(())), input_dtypes=(None, "int64")),
    Spec("subtensor_symbolic_slice", subtensor.Subtensor, lambda x, i, j: x[i:, :j:1],
         lambda x, i, j: x[i:, :j:1], (U, INDEX, INDEX), shapes=st.tuples(MATRICES, st.just(()), st.just(())),
         input_dtypes=(None, "int64", "int64")),
    Spec("inc_subtensor", subtensor.IncSubtensor, lambda x, v: T.inc_subtensor(x[1:], v),
         updated(np.s_[1:]), (U, U), shapes=VALUE_FOR_2_ROWS),
    Spec("set_subtensor", subtensor.IncSubtensor, lambda x, v: T.set_subtensor(x[1:], v),
         updated(np.s_[1:], set_instead_of_inc=True), (U, U), shapes=VALUE_FOR_2_ROWS),
    Spec("set_subtensor_symbolic", subtensor.IncSubtensor, lambda x, v, i: T.set_subtensor(x[i, ::2], v),
         lambda x, v, i: updated(np.s_[int(i), ::2], set_instead_of_inc=True)(x, v), (U, U, INDEX),
         shapes=st.integers(1, 3).map(lambda k: ((2, k), (), ())), input_dtypes=(None, None, "int64")),
    # advanced indexing: repeated indices make the gradient accumulate
    Spec("advanced_rows", subtensor.AdvancedSubtensor, lambda x, i: x[i], lambda x, i: x[i], (U, INDEX),
         shapes=st.tuples(ROWS, array_shapes(min_dims=1, max_dims=2, max_side=4)), input_dtypes=(None, "int64")),
    Spec("advanced_pointwise", subtensor.AdvancedSubtensor, lambda x, i, j: x[i, j], lambda x, i, j: x[i, j],
         (U, INDEX, INDEX), shapes=st.tuples(MATRICES, st.integers(1, 4)).map(lambda s: (s[0], (s[1],), (s[1],))),
         input_dtypes=(None, "int64", "int64")),
    Spec("advanced_columns", subtensor.AdvancedSubtensor, lambda x, i: x[:, i], lambda x, i: x[:, i], (U, INDEX),
         shapes=st.tuples(MATRICES, array_shapes(min_dims=1, max_dims=1, max_side=4)), input_dtypes=(None, "int64")),
    Spec("advanced_list", subtensor.AdvancedSubtensor, lambda x: x[[1, 0, 1]], lambda x: x[[1, 0, 1]], (U,),
         shapes=shapes_of(ROWS)),
    Spec("advanced_inc", subtensor.AdvancedIncSubtensor, lambda x, v, i: T.inc_subtensor(x[i], v),
         updated(None, accumulate=True), (U, U, INDEX), input_dtypes=(None, None, "int64"),
         shapes=st.tuples(st.integers(1, 3), st.integers(1, 4)).flatmap(lambda s: st.sampled_from(
             [((3, s[0]), (s[1], s[0]), (s[1],)), ((3, s[0]), (s[0],), (s[1],)), ((3, s[0]), (), (s[1],))]))),
    Spec("advanced_set", subtensor.AdvancedIncSubtensor, lambda x, v: T.set_subtensor(x[[0, 1], [1, 0]], v),
         updated(([0, 1], [1, 0]), set_instead_of_inc=True), (U, U),
         shapes=st.sampled_from([((2, 2), ()), ((2, 2), (2,)), ((3, 2), (1,))])),
    # joining and making
    Spec("join", construction.Join, lambda x, y: T.join(0, x, y), lambda x, y: np.concatenate([x, y]), (U, U),
         shapes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).map(
             lambda s: ((s[0], s[2]), (s[1], s[2])))),
    Spec("concatenate_last_axis", construction.Join, lambda x, y, z: T.concatenate([x, y, z], axis=-1),
         lambda x, y, z: np.concatenate([x, y, z], axis=-1), (U, U, U),
         shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda s: ((s[0], 2), (s[0], s[1]), (s[0], 1)))),
    Spec("stack_axis1", construction.Join, lambda x, y: T.stack([x, y], axis=1),
         lambda x, y: np.stack([x, y], axis=1), (U, U),
         shapes=array_shapes(min_dims=1, max_dims=3, max_side=3).map(lambda s: (s, s))),
    Spec("stack_scalars", shape_ops.MakeVector, lambda a, b, c: T.stack([a, b, c]), lambda a, b, c: np.stack([a, b, c]),
         (U, U, U), shapes=st.just(((), (), ()))),
    Spec("arange_int", construction.ARange, T.arange, np.arange, (integers(0, 5),), shapes=st.just(((),)),
         input_dtypes=("int64",), differentiable=False),
    Spec("arange_float", construction.ARange, lambda s, d: T.arange(s, s + 2.5, d),
         # NumPy computes float32 bounds' values in float32, and then gives float64; here bounds are
         # converted to Python floats, as NumPy does with Python numbers.
         lambda s, d: np.arange(s.item(), (s + np.asarray(2.5, s.dtype)).item(), d.item()),
         (U, uniform(0.9, 1.1)), shapes=st.just(((), ()))),
    Spec("alloc", construction.Alloc, lambda v: T.alloc(v, 2, 3), lambda v: np.broadcast_to(v, (2, 3)).copy(), (U,),
         shapes=st.sampled_from([(), (3,), (1, 3), (2, 3), (2, 1), (1,)]).map(lambda s: (s,))),
    Spec("alloc_symbolic", construction.Alloc, lambda v, n: T.alloc(v, n, 2),
         lambda v, n: np.broadcast_to(v, (int(n), 2)).copy(), (U, integers(1, 4)), input_dtypes=(None, "int64"),
         shapes=st.sampled_from([(), (2,), (1, 2)]).map(lambda s: (s, ()))),
    Spec("zeros_like_shape", construction.Alloc, lambda x: T.zeros(x.shape, dtype=x.dtype) + x * 2,
         lambda x: x * 2, (U,), shapes=shapes_of(UPTO3)),
    Spec("flatten", shape_ops.Flatten, lambda x: x.flatten(), lambda x: x.reshape(-1), (U,), shapes=shapes_of(UPTO3)),
    Spec("flatten_2", shape_ops.Flatten, lambda x: T.flatten(x, 2), lambda x: x.reshape(x.shape[0], -1), (U,),
         shapes=shapes_of(array_shapes(min_dims=2, max_dims=3, max_side=3))),
    Spec("reshape_mixed", shape_ops.Reshape, lambda x: x.reshape((x.shape[0], -1)), lambda x: x.reshape(x.shape[0], -1),
         (U,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("specify_shape", shape_ops.SpecifyShape, lambda x: T.specify_shape(x, (2, 3)), lambda x: x, (U,),
         shapes=st.just(((2, 3),))),
    # products and arg-maxima
    Spec("prod", reduction.Prod, T.prod, np.prod, (away_from_zero(0.5, 1.5),), shapes=shapes_of(UPTO3)),
    Spec("prod_axis1_keepdims", reduction.Prod, lambda x: x.prod(axis=1, keepdims=True),
         lambda x: x.prod(axis=1, keepdims=True), (away_from_zero(0.5, 1.5),),
         shapes=shapes_of(array_shapes(min_dims=2, max_dims=3, max_side=3))),
    Spec("prod_no_zeros", reduction.Prod, lambda x: T.prod(x, axis=0, no_zeros_in_input=True),
         lambda x: x.prod(axis=0), (away_from_zero(0.5, 1.5),), shapes=shapes_of(ROWS)),
    Spec("prod_one_zero", reduction.Prod, T.prod, np.prod, (one_zero,), shapes=shapes_of(UPTO3)),
    Spec("argmax_last_axis", reduction.Argmax, lambda x: T.argmax(x, axis=-1), lambda x: np.argmax(x, axis=-1),
         (U,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3)), differentiable=False),
    Spec("argmax_all", reduction.Argmax, T.argmax, np.argmax, (U,), shapes=shapes_of(UPTO3), differentiable=False),
    Spec("max_and_argmax_max", reduction.MaxAndArgmax, lambda x: T.max_and_argmax(x, axis=0)[0],
         lambda x: np.max(x, axis=0), (U,), shapes=shapes_of(ROWS)),
    Spec("max_and_argmax_argmax", reduction.MaxAndArgmax, lambda x: T.max_and_argmax(x, axis=-1, keepdims=True)[1],
         lambda x: np.argmax(x, axis=-1, keepdims=True), (U,), shapes=shapes_of(ROWS), differentiable=False),
    # softmax and cross-entropies
    Spec("softmax", nnet.Softmax, T.nnet.softmax, _softmax, (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=4))),
    Spec("log_softmax", nnet.LogSoftmax, T.nnet.log_softmax, _log_softmax, (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=4))),
    Spec("binary_crossentropy", E.Log, T.nnet.binary_crossentropy,
         lambda o, t: -(t * np.log(o) + (1 - t) * np.log(1 - o)), (uniform(0.1, 0.9), uniform(0, 1))),
    Spec("binary_crossentropy_of_sigmoid", nnet.Softplus, lambda z, t: T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t),
         lambda z, t: t * np.logaddexp(0, -z) + (1 - t) * np.logaddexp(0, z), (uniform(-4, 4), uniform(0, 1))),
    Spec("categorical_crossentropy", E.Log, T.nnet.categorical_crossentropy,
         lambda p, t: -np.sum(t * np.log(p), axis=-1), (POSITIVE, uniform(0, 1)),
         shapes=MATRICES.map(lambda s: (s, s))),
    Spec("categorical_crossentropy_labels", subtensor.AdvancedSubtensor, T.nnet.categorical_crossentropy,
         lambda p, y: -np.log(p[np.arange(len(y)), y]), (POSITIVE, integers(0, 3)), input_dtypes=(None, "int64"),
         shapes=st.integers(1, 4).map(lambda n: ((n, 3), (n,)))),
    Spec("nll_of_softmax", nnet.Softmax, lambda x, y: -T.mean(T.log(T.nnet.softmax(x))[T.arange(y.shape[0]), y]),
         lambda x, y: -np.mean(np.log(_softmax(x))[np.arange(len(y)), y]), (U, integers(0, 3)),
         input_dtypes=(None, "int64"), shapes=st.integers(1, 4).map(lambda n: ((n, 3), (n,)))),
]


# --- the lazy conditional ----------------------------------------------------------------

from minitensor import ifelse as ifelse_module  # noqa: E402 -- kept beside its rows

SAME_SHAPES = array_shapes(min_dims=0, max_dims=3, max_side=3).map(lambda s: ((), s, s))

SPECS += [
    Spec("ifelse", ifelse_module.IfElse, ifelse_module.ifelse, lambda c, x, y: x if c else y,
         (booleans, U, U), shapes=SAME_SHAPES, input_dtypes=("bool", None, None)),
    Spec("ifelse_two_outputs", ifelse_module.IfElse,
         lambda c, x, y: T.mul(*ifelse_module.ifelse(c, [x, x * y], [T.exp(y), x - y])),
         lambda c, x, y: x * x * y if c else np.exp(y) * (x - y),
         (booleans, U, U), shapes=SAME_SHAPES, input_dtypes=("bool", None, None)),
]


# --- masks, argmin, jacobians of matrices, and more random draws ---------------------------


def _outer_tanh_jacobian(x):
    """The Jacobian of outer(x, tanh(x)): J_ijk = [i == k] tanh(x_j) + x_i [j == k] (1 - tanh(x_j)^2)."""
    t, identity = np.tanh(x), np.eye(len(x), dtype=x.dtype)
    return identity[:, None, :] * t[None, :, None] + x[:, None, None] * (identity * (1 - t ** 2)[:, None])


def _generator(state):
    return np.random.default_rng([int(s) for s in state])


MASK_OF_ROWS = array_shapes(min_dims=1, max_dims=3, max_side=3).map(lambda s: (s, s[:1]))

SPECS += [
    Spec("advanced_mask", subtensor.AdvancedSubtensor, lambda x, m: x[m], lambda x, m: x[m], (U, booleans),
         shapes=array_shapes(min_dims=1, max_dims=3, max_side=3).map(lambda s: (s, s)), input_dtypes=(None, "bool")),
    Spec("advanced_mask_of_rows", subtensor.AdvancedSubtensor, lambda x, m: x[m], lambda x, m: x[m], (U, booleans),
         shapes=MASK_OF_ROWS, input_dtypes=(None, "bool")),
    Spec("advanced_mask_positive", subtensor.AdvancedSubtensor, lambda x: x[x > 0], lambda x: x[x > 0], (NONZERO,),
         shapes=shapes_of(UPTO3.filter(lambda s: len(s) > 0))),
    Spec("advanced_mask_inc", subtensor.AdvancedIncSubtensor, lambda x, v, m: T.inc_subtensor(x[m], v),
         lambda x, v, m: updated(m)(x, v), (U, U, booleans), input_dtypes=(None, None, "bool"),
         shapes=st.integers(1, 3).flatmap(lambda k: st.sampled_from([((3, k), (k,), (3,)), ((3, k), (), (3,))]))),
    Spec("advanced_mask_set", subtensor.AdvancedIncSubtensor, lambda x, v, m: T.set_subtensor(x[:, m], v),
         lambda x, v, m: updated(np.s_[:, m], set_instead_of_inc=True)(x, v), (U, U, booleans),
         input_dtypes=(None, None, "bool"), shapes=st.integers(1, 3).map(lambda k: ((k, 3), (k, 1), (3,)))),
    Spec("argmin_axis0", reduction.Argmin, lambda x: T.argmin(x, axis=0), lambda x: np.argmin(x, axis=0), (U,),
         shapes=shapes_of(ROWS), differentiable=False),
    Spec("argmin_all_keepdims", reduction.Argmin, lambda x: x.argmin(keepdims=True),
         lambda x: np.argmin(x, keepdims=True), (U,), shapes=shapes_of(UPTO3), differentiable=False),
    Spec("flatten_outdim", shape_ops.Flatten, lambda x: T.flatten(x, ndim=2), lambda x: x.reshape(x.shape[0], -1),
         (U,), shapes=shapes_of(array_shapes(min_dims=2, max_dims=3, max_side=3))),
    Spec("jacobian_of_a_matrix", scan_module.Scan, lambda x: T.jacobian(T.outer(x, T.tanh(x)), x), _outer_tanh_jacobian,
         (U,), shapes=st.integers(1, 2).map(lambda n: ((n,),))),  # small: its second derivative is a loop of loops
    Spec("random_integers", raw_random.RandomIntegers,
         lambda s: raw_random.RandomIntegers("int64", 2)(s, (2, 3), -3, 4)[1],
         lambda state: _generator(state).integers(-3, 4, (2, 3), endpoint=True), **RANDOM_STATE),
    Spec("choice", raw_random.Choice, lambda s: raw_random.Choice("int64", 2)(s, (2, 3), 10, np.zeros(0))[1],
         _numpy_draw("choice", 10), **RANDOM_STATE),
    Spec("choice_weighted_no_replace", raw_random.Choice,
         lambda s: raw_random.Choice("float64", 2, False)(s, (2, 3), np.arange(8.0), np.full(8, 0.125))[1],
         lambda state: _generator(state).choice(np.arange(8.0), (2, 3), False, np.full(8, 0.125)), **RANDOM_STATE),
    Spec("permutation", raw_random.Permutation, lambda s: raw_random.Permutation("int64", 2)(s, (2, 3), 4)[1],
         lambda state: _generator(state).permuted(np.tile(np.arange(4), (2, 3, 1)), axis=-1), **RANDOM_STATE),
    Spec("multinomial", raw_random.Multinomial,
         lambda s: raw_random.Multinomial("int64", 2)(s, (2, 3), 10, [0.2, 0.3, 0.5])[1],
         _numpy_draw("multinomial", 10, [0.2, 0.3, 0.5]), **RANDOM_STATE),
]


# --- issue 17: products of tensors, broadcast patterns, and Theano's everyday functions ------

from minitensor.tensor import broadcast  # noqa: E402 -- kept beside its rows

BATCHES = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))

SPECS += [
    Spec("batched_dot", linalg.BatchedDot, T.batched_dot, np.matmul, (U, U),
         shapes=BATCHES.map(lambda s: ((s[0], s[1], s[2]), (s[0], s[2], s[3])))),
    Spec("batched_dot_vectors", linalg.BatchedDot, T.batched_dot, lambda x, y: np.einsum("bi,bi->b", x, y),
         (U, U), shapes=BATCHES.map(lambda s: ((s[0], s[1]), (s[0], s[1])))),
    Spec("tensordot_pairs", shape_ops.Reshape, lambda x, y: T.tensordot(x, y, [[0, 2], [1, 0]]),
         lambda x, y: np.tensordot(x, y, [[0, 2], [1, 0]]), (U, U),
         shapes=BATCHES.map(lambda s: ((s[0], s[1], s[2]), (s[2], s[0], s[3])))),
    Spec("dot_3d", linalg.Dot, T.dot, np.dot, (U, U),
         shapes=BATCHES.map(lambda s: ((s[0], s[1], s[2]), (s[2], s[3])))),
    Spec("batched_tensordot", linalg.BatchedDot, lambda x, y: T.batched_tensordot(x, y, [[1], [2]]),
         lambda x, y: np.einsum("bij,bkil->bjkl", x, y), (U, U),
         shapes=BATCHES.map(lambda s: ((s[0], s[1], s[2]), (s[0], s[3], s[1], 2)))),
    Spec("addbroadcast", broadcast.Rebroadcast, lambda x: T.addbroadcast(T.unbroadcast(x, 0), 0) * 2, lambda x: x * 2, (U,),
         shapes=st.integers(1, 3).map(lambda n: ((1, n),))),
    Spec("patternbroadcast", broadcast.Rebroadcast, lambda x: T.patternbroadcast(x, (False, False)), lambda x: x,
         (U,), shapes=st.integers(1, 3).map(lambda n: ((n, 1),))),
]

from minitensor.tensor import math_functions as MF  # noqa: E402 -- kept beside its rows

UNIT = uniform(-0.9, 0.9)  # inside the domains of arcsin, arccos and arctanh
HALVES = integers(-8, 8)  # with the 0.5 below, values on and between halves


def _halves(rng, shape, dtype):
    return (rng.integers(-8, 8, shape) * 0.5 + rng.choice([0, 0.25], shape)).astype(dtype)


SPECS += [
    Spec("tan", MF.Tan, T.tan, np.tan, (uniform(-1.2, 1.2),)),
    Spec("arcsin", MF.ArcSin, T.arcsin, np.arcsin, (UNIT,)),
    Spec("arccos", MF.ArcCos, T.arccos, np.arccos, (UNIT,)),
    Spec("arctan", MF.ArcTan, T.arctan, np.arctan, (U,)),
    Spec("arctan2", MF.ArcTan2, T.arctan2, np.arctan2, (NONZERO, NONZERO)),
    Spec("deg2rad", MF.Deg2Rad, T.deg2rad, np.deg2rad, (U,)),
    Spec("rad2deg", MF.Rad2Deg, T.rad2deg, np.rad2deg, (U,)),
    Spec("sinh", MF.Sinh, T.sinh, np.sinh, (U,)),
    Spec("cosh", MF.Cosh, T.cosh, np.cosh, (U,)),
    Spec("arcsinh", MF.ArcSinh, T.arcsinh, np.arcsinh, (U,)),
    Spec("arccosh", MF.ArcCosh, T.arccosh, np.arccosh, (uniform(1.5, 3),)),
    Spec("arctanh", MF.ArcTanh, T.arctanh, np.arctanh, (UNIT,)),
    Spec("log2", MF.Log2, T.log2, np.log2, (POSITIVE,)),
    Spec("log10", MF.Log10, T.log10, np.log10, (POSITIVE,)),
    Spec("exp2", MF.Exp2, T.exp2, np.exp2, (U,)),
    Spec("inv", MF.Inv, T.inv, np.reciprocal, (NONZERO,)),
    Spec("floor", MF.Floor, T.floor, np.floor, (_halves,), differentiable=False),
    Spec("ceil", MF.Ceil, T.ceil, np.ceil, (_halves,), differentiable=False),
    Spec("trunc", MF.Trunc, T.trunc, np.trunc, (_halves,), differentiable=False),
    Spec("round_half_to_even", MF.RoundHalfToEven, T.round, np.round, (_halves,), differentiable=False),
    Spec("round_half_away_from_zero", MF.RoundHalfAwayFromZero,
         lambda x: T.round(x, "half_away_from_zero"),
         lambda x: (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(x.dtype), (_halves,), differentiable=False),
    Spec("isnan", MF.IsNaN, T.isnan, np.isnan, (U,), differentiable=False),
    Spec("isinf", MF.IsInf, lambda x: T.isinf(x / (x > 0)), lambda x: np.isinf(x / (x > 0)), (U,),
         differentiable=False),
    Spec("tensor_copy", MF.Identity, T.tensor_copy, np.copy, (U,)),
    Spec("mod", MF.Mod, lambda x, y: x % y, np.remainder, (U, NONZERO)),
    Spec("xor", MF.Xor, lambda x, y: x ^ y, np.bitwise_xor, (booleans, booleans), differentiable=False,
         dtypes=("bool", "int32")),
    Spec("any", reduction.Any, lambda x: T.any(x > 0, axis=-1), lambda x: np.any(x > 0, axis=-1), (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3)), differentiable=False),
    Spec("all", reduction.All, lambda x: x.all(), lambda x: np.all(x), (booleans,),
         shapes=shapes_of(UPTO3), differentiable=False, dtypes=("bool",)),
    Spec("var", reduction.ElementCount, lambda x: T.var(x, axis=0), lambda x: np.var(x, axis=0), (U,),
         shapes=shapes_of(ROWS)),
]

from minitensor.tensor import extra_ops  # noqa: E402 -- kept beside its rows
from minitensor.tensor.sorting import ArgSort, PermuteAlongAxis  # noqa: E402


def _distinct(rng, shape, dtype):
    """Values with no ties (sorting is then unambiguous and its gradient defined)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.5 - 1 + rng.uniform(0, 0.1, shape)).astype(dtype)


SPECS += [
    Spec("cumsum", extra_ops.CumOp, lambda x: T.cumsum(x, axis=-1), lambda x: np.cumsum(x, axis=-1), (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("cumprod_flat", extra_ops.CumOp, T.cumprod, np.cumprod, (NONZERO,), shapes=shapes_of(UPTO3)),
    Spec("repeat", extra_ops.Repeat, lambda x: T.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("repeat_counts", extra_ops.Repeat, lambda x: T.repeat(x, np.array([1, 0, 2])),
         lambda x: np.repeat(x, [1, 0, 2]), (U,), shapes=st.just(((3,),)), differentiable=False),
    Spec("searchsorted", extra_ops.SearchSorted, lambda x, v: T.searchsorted(T.sort(x), v),
         lambda x, v: np.searchsorted(np.sort(x), v), (U, U),
         shapes=st.tuples(array_shapes(min_dims=1, max_dims=1, max_side=4), UPTO3), differentiable=False),
    Spec("unique", extra_ops.Unique, lambda x: T.unique(x, return_counts=True)[1],
         lambda x: np.unique(x, return_counts=True)[1], (integers(0, 3),), shapes=shapes_of(UPTO3),
         differentiable=False),
    Spec("nonzero", extra_ops.Nonzero, lambda x: T.nonzero(x)[-1], lambda x: np.nonzero(x)[-1].astype("int64"),
         (integers(0, 2),), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3)),
         differentiable=False),
    Spec("bincount", extra_ops.BinCount, lambda i: T.bincount(i, minlength=4),
         lambda i: np.bincount(i, minlength=4), (integers(0, 3),), dtypes=("int64",),
         shapes=st.integers(1, 5).map(lambda n: ((n,),)), differentiable=False),
    Spec("bincount_weights", extra_ops.BinCount, lambda w: T.bincount(np.array([2, 0, 2]), w),
         lambda w: np.bincount([2, 0, 2], w), (U,), shapes=st.just(((3,),))),
    Spec("sort", PermuteAlongAxis, T.sort, np.sort, (_distinct,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("argsort_axis0", ArgSort, lambda x: T.argsort(x, axis=0), lambda x: np.argsort(x, axis=0),
         (_distinct,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3)), differentiable=False),
]


def _filled_diagonal(a, v, offset=0):
    """``a`` with ``v`` at a[i, i + offset] (at a[i, i, ..., i] for more than two dimensions)."""
    out = a.copy()
    if a.ndim > 2:
        np.fill_diagonal(out, v)
        return out
    rows = np.arange(max(0, -offset), min(a.shape[0], a.shape[1] - offset))
    out[rows, rows + offset] = v
    return out


# choose: an index array and the choices it picks from, broadcasting together
INDEX_AND_CHOICES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3).map(
    lambda shapes: (shapes.input_shapes[0], (3,) + shapes.input_shapes[1]))
SQUARE_3D = st.integers(1, 3).map(lambda n: ((n, n, n), ()))

SPECS += [
    Spec("choose", extra_ops.Choose, T.choose, np.choose, (integers(0, 3), U), shapes=INDEX_AND_CHOICES,
         input_dtypes=("int64", None)),
    Spec("choose_list_wrap", extra_ops.Choose, lambda a, x, y: T.choose(a, [x, y], mode="wrap"),
         lambda a, x, y: np.choose(a, [x, y], mode="wrap"), (integers(-3, 4), U, U), input_dtypes=("int8", None, None)),
    Spec("choose_method_clip", extra_ops.Choose, lambda a, x, y, z: a.choose([x, y, z], mode="clip"),
         lambda a, x, y, z: np.choose(a, [x, y, z], mode="clip"), (integers(-2, 5), U, U, U),
         input_dtypes=("int32", None, None, None)),
    Spec("fill_diagonal", extra_ops.FillDiagonal, T.fill_diagonal, _filled_diagonal, (U, U),
         shapes=st.tuples(MATRICES | array_shapes(min_dims=2, max_dims=2, max_side=3), st.just(()))),
    Spec("fill_diagonal_3d", extra_ops.FillDiagonal, T.fill_diagonal, _filled_diagonal, (U, U), shapes=SQUARE_3D),
    Spec("fill_diagonal_offset", extra_ops.FillDiagonalOffset, T.fill_diagonal_offset, _filled_diagonal,
         (U, U, integers(-3, 4)), shapes=st.tuples(MATRICES, st.just(()), st.just(())),
         input_dtypes=(None, None, "int64")),
    Spec("unravel_index", extra_ops.UnravelIndex, lambda i: T.unravel_index(i, (3, 4))[1],
         lambda i: np.unravel_index(i, (3, 4))[1].astype("int64"), (integers(0, 12),), shapes=shapes_of(UPTO3),
         dtypes=("int64", "int32"), differentiable=False),
    Spec("unravel_index_fortran", extra_ops.UnravelIndex,
         lambda i, d: T.unravel_index(i, d, order="F", ndim=2)[0],
         lambda i, d: np.unravel_index(i, tuple(d), order="F")[0].astype("int64"), (integers(0, 6), integers(3, 4)),
         shapes=st.tuples(UPTO3, st.just((2,))), dtypes=("int64",), differentiable=False),
    Spec("ravel_multi_index_clip", extra_ops.RavelMultiIndex,
         lambda i, j: T.ravel_multi_index((i, j), (3, 4), mode="clip"),
         lambda i, j: np.ravel_multi_index((i, j), (3, 4), mode="clip").astype("int64"),
         (integers(-2, 5), integers(-2, 5)), dtypes=("int64", "int8"), differentiable=False),
]

from minitensor import grad_modifiers  # noqa: E402 -- kept beside its rows

# Their values are the identity; their gradients differ from finite differences on purpose
# (tests/test_gradient_helpers.py checks those).
SPECS += [
    Spec(name, cls, build, lambda x: x, (U,), shapes=shapes_of(UPTO3), differentiable=False)
    for name, cls, build in [
        ("zero_grad", grad_modifiers.ZeroGrad, grad_modifiers.zero_grad),
        ("disconnected_grad", grad_modifiers.DisconnectedGrad, grad_modifiers.disconnected_grad),
        ("grad_clip", grad_modifiers.GradClip, lambda x: grad_modifiers.grad_clip(x, -1, 1)),
        ("grad_scale", grad_modifiers.GradScale, lambda x: grad_modifiers.grad_scale(x, -2)),
    ]
]

from minitensor.tensor import nlinalg  # noqa: E402 -- kept beside its rows


def well_conditioned(rng, shape, dtype):
    """Square matrices far from singular: a random matrix plus a large diagonal."""
    return (rng.uniform(-1, 1, shape) + 3 * np.eye(shape[-1])).astype(dtype)


SQUARE = st.integers(1, 3).map(lambda n: ((n, n),))


def separated_eigenvalues(rng, shape, dtype):
    """Square matrices whose symmetric part has eigenvalues at least about 2 apart (an
    eigenvector's derivative divides by the gaps): a small matrix plus a spread diagonal."""
    return (rng.uniform(-0.5, 0.5, shape) + np.diag(3.0 * rng.permutation(shape[-1]))).astype(dtype)

SPECS += [
    Spec("matrix_inverse", nlinalg.MatrixInverse, nlinalg.matrix_inverse, np.linalg.inv, (well_conditioned,),
         shapes=SQUARE),
    Spec("det", nlinalg.Det, nlinalg.det, np.linalg.det, (well_conditioned,), shapes=SQUARE),
    Spec("solve_vector", nlinalg.Solve, nlinalg.solve, np.linalg.solve, (well_conditioned, U),
         shapes=st.integers(1, 3).map(lambda n: ((n, n), (n,)))),
    Spec("solve_matrix", nlinalg.Solve, nlinalg.solve, np.linalg.solve, (well_conditioned, U),
         shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda s: ((s[0], s[0]), (s[0], s[1])))),
    Spec("eigh_values", nlinalg.Eigh, lambda x: nlinalg.eigh(x + x.T)[0], lambda x: np.linalg.eigh(x + x.T)[0],
         (separated_eigenvalues,), shapes=SQUARE),
    # An eigenvector's sign is arbitrary, so its square is compared; 'U' reads the upper
    # triangle of a matrix that is not symmetric.
    Spec("eigh_vectors", nlinalg.Eigh, lambda x: nlinalg.eigh(x + x.T)[1] ** 2,
         lambda x: np.linalg.eigh(x + x.T)[1] ** 2, (separated_eigenvalues,), shapes=SQUARE),
    Spec("eigh_upper", nlinalg.Eigh, lambda x: nlinalg.eigh(x, "U")[1] ** 2 + nlinalg.eigh(x, "U")[0],
         lambda x: np.linalg.eigh(x, "U")[1] ** 2 + np.linalg.eigh(x, "U")[0], (separated_eigenvalues,),
         shapes=SQUARE),
    Spec("svd_values", nlinalg.SVD, lambda x: nlinalg.svd(x, compute_uv=False),
         lambda x: np.linalg.svd(x, compute_uv=False), (U,), shapes=shapes_of(MATRICES), differentiable=False),
    Spec("qr_r_abs", nlinalg.QR, lambda x: abs(nlinalg.qr(x, "r")), lambda x: abs(np.linalg.qr(x, "r")), (U,),
         shapes=shapes_of(MATRICES), differentiable=False),
    Spec("pinv", nlinalg.MatrixPinv, nlinalg.pinv, np.linalg.pinv, (well_conditioned,), shapes=SQUARE,
         differentiable=False),
    Spec("trace", subtensor.AdvancedSubtensor, nlinalg.trace, np.trace, (U,), shapes=shapes_of(MATRICES)),
    Spec("diag_of_vector", subtensor.AdvancedIncSubtensor, lambda v: nlinalg.diag(v, -1), lambda v: np.diag(v, -1),
         (U,), shapes=st.integers(1, 3).map(lambda n: ((n,),))),
]

from minitensor.sandbox import rng_mrg  # noqa: E402 -- kept beside its row


def _mrg_reference(states):
    from test_rng_mrg import reference_draws
    return np.array([reference_draws(states[k], 1)[0][0] for k in range(len(states))]).reshape(2, 2)


SPECS += [
    Spec("mrg_uniform", rng_mrg.MRGUniform, lambda s: rng_mrg.MRGUniform("float64", 2)(s, [2, 2])[1], _mrg_reference,
         (integers(1, 2 ** 31 - 21070),), shapes=st.just(((4, 6),)), differentiable=False, input_dtypes=("int32",)),
]

SPECS += [
    Spec("roll", construction.Join, lambda x: T.roll(x, 4, axis=-1), lambda x: np.roll(x, 4, axis=-1), (U,),
         shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
    Spec("tile", construction.Alloc, lambda x: T.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (U,),
         shapes=shapes_of(UPTO3)),
    Spec("permute_row_elements_inverse", PermuteAlongAxis,
         lambda x: T.permute_row_elements(x, np.array([2, 0, 1]), inverse=1), lambda x: x[..., np.argsort([2, 0, 1])],
         (U,), shapes=st.integers(1, 3).map(lambda n: ((n, 3),))),
]

SPECS += [
    Spec("poisson", raw_random.Poisson, lambda s: raw_random.Poisson("int64", 2)(s, (2, 3), 3.5)[1],
         _numpy_draw("poisson", 3.5), **RANDOM_STATE),
]

import math  # noqa: E402
from minitensor.tensor import special  # noqa: E402 -- kept beside its rows


def _scalar_reference(function):
    """``function`` of the math module, elementwise, in the input's dtype."""
    return lambda x: np.vectorize(function, otypes=[x.dtype])(x)


SPECS += [
    Spec("erf", special.Erf, T.erf, _scalar_reference(math.erf), (uniform(-4, 4),)),
    Spec("erfc", special.Erfc, T.erfc, _scalar_reference(math.erfc), (uniform(-2, 5),)),
    Spec("gamma", special.Gamma, T.gamma, _scalar_reference(math.gamma), (uniform(-2.9, 6),),
         differentiable=False),
    Spec("gammaln", special.GammaLn, T.gammaln, _scalar_reference(math.lgamma), (uniform(0.1, 30),),
         differentiable=False),
]


# --- ops written Theano's way, and the ones shape inference and debugging add (issue 16) ---

def _tanh_via_numpy(x):
    return np.tanh(x)


_numpy_tanh = as_op(itypes=[T.dmatrix], otypes=[T.dmatrix])(_tanh_via_numpy)

SPECS += [
    Spec("shape_i", shape_ops.Shape_i, lambda x: shape_ops.Shape_i(1)(x), lambda x: np.int64(x.shape[1]), (U,),
         shapes=shapes_of(array_shapes(min_dims=2, max_dims=3, max_side=3)), differentiable=False),
    Spec("print_nothing", Print, lambda x: Print("", attrs=())(x) * 2, lambda x: x * 2, (U,)),
    Spec("deep_copy", DeepCopyOp, lambda x: deep_copy_op(x) * 2, lambda x: x * 2, (U,)),
    Spec("add_inplace", ElemwiseInplace, lambda x, y: add_inplace(T.exp(x), y), lambda x, y: np.exp(x) + y,
         (U, U), shapes=st.just(((2, 3), (2, 3)))),
    Spec("as_op_tanh", FromFunctionOp, _numpy_tanh, np.tanh, (U,), shapes=st.just(((2, 3),)),
         differentiable=False, dtypes=("float64",)),
]

from minitensor.tensor import opt as tensor_opt  # noqa: E402 -- kept beside its row

SPECS += [
    Spec("assert", tensor_opt.Assert, lambda x: tensor_opt.Assert()(x, T.all(T.isinf(x) < 1)) * 2, lambda x: x * 2,
         (U,)),
]
