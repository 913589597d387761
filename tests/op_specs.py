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
from minitensor.tensor import linalg, nnet, reduction, shape_ops


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
    # shape ops
    Spec("transpose", shape_ops.DimShuffle, lambda x: x.T, np.transpose, (U,),
         shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("dimshuffle", shape_ops.DimShuffle, lambda x: x.dimshuffle(1, "x", 0), lambda x: x.T[:, None, :], (U,),
         shapes=shapes_of(array_shapes(min_dims=2, max_dims=2, max_side=3))),
    Spec("reshape", shape_ops.Reshape, lambda x: x.reshape((-1,)), lambda x: x.reshape(-1), (U,),
         shapes=shapes_of(array_shapes(min_dims=0, max_dims=3, max_side=3))),
    Spec("reshape_symbolic", shape_ops.Shape, lambda x: T.reshape(x.T.reshape((-1,)), x.T.shape, ndim=x.ndim),
         lambda x: x.T.copy(), (U,), shapes=shapes_of(array_shapes(min_dims=1, max_dims=3, max_side=3))),
]
