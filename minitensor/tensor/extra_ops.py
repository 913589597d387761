"""Theano's ``tensor.extra_ops``: cumulative sums and products, ``repeat``, ``searchsorted``,
``unique``, ``bincount``, ``diff``, ``to_one_hot``, ``squeeze``, and the positions of nonzero
elements (``nonzero``, ``flatnonzero``, ``nonzero_values``).

Ops only where NumPy has one function doing the work (``CumOp``, ``Repeat``,
``SearchSorted``, ``Unique``, ``BinCount``, ``Nonzero``); the rest are built from other
ops (``diff`` subtracts two slices, ``to_one_hot`` compares with an ``arange``), so
they have gradients where those ops do.

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> cumsum(x).eval({x: [1, 2, 3]}), diff(x).eval({x: [1, 2, 4]})
(array([1., 3., 6.]), array([1., 2.]))
"""

import functools
from dataclasses import dataclass

import numpy as np

from minitensor.configuration import config
from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.broadcast import squeeze  # noqa: F401 -- one of Theano's extra_ops
from minitensor.tensor.construction import arange
from minitensor.tensor.reduction import sum as reduce_sum
from minitensor.tensor.shape_ops import along_axis, dimshuffle, flatten, reshape, shape, shape_entries
from minitensor.tensor.type import TensorType, dtype_kind
from minitensor.tensor.variable import as_tensor_variable


def _reverse(x, axis):
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


@dataclass(frozen=True)
class CumOp(Op):
    """The running sum (``mode='add'``) or product (``mode='mul'``) along ``axis``.

    Gradients: of a cumulative sum, the reversed cumulative sum of g; of a
    cumulative product p, that of g * p, divided by x (so undefined where x is 0,
    as in Theano).
    """

    axis: int
    mode: str = "add"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.mode not in ("add", "mul") or not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self} of {x.describe()}")
        return Apply(self, [x], [TensorType(_running_dtype(x.dtype), x.broadcastable)()])

    def impl(self, xp, x):
        accumulate = xp.cumsum if self.mode == "add" else xp.cumprod
        return accumulate(x, axis=self.axis, dtype=_running_dtype(x.dtype.name))

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        (x,), g = inputs, grads[0]
        if self.mode == "add":
            return [_reverse(CumOp(self.axis)(_reverse(g, self.axis)), self.axis)]
        return [_reverse(CumOp(self.axis)(_reverse(g * outputs[0], self.axis)), self.axis) / x]

    def __str__(self):
        return f"CumOp{{{self.axis}, {self.mode}}}"


@functools.lru_cache(maxsize=None)
def _running_dtype(dtype):
    """NumPy's dtype for a running sum of ``dtype``: small integers and bools accumulate in int64."""
    return np.cumsum(np.zeros(0, dtype)).dtype.name


def cumsum(x, axis=None):
    """The running sum of ``x`` along ``axis`` (None: of ``x`` flattened)."""
    x, axis = along_axis(x, axis)
    return CumOp(axis, "add")(x)


def cumprod(x, axis=None):
    """The running product of ``x`` along ``axis`` (None: of ``x`` flattened)."""
    x, axis = along_axis(x, axis)
    return CumOp(axis, "mul")(x)


def diff(x, n=1, axis=-1):
    """The ``n``-th difference along ``axis``: x[1:] - x[:-1], ``n`` times."""
    x, axis = along_axis(x, axis)
    before = (slice(None),) * axis
    for _ in range(n):
        x = x[before + (slice(1, None),)] - x[before + (slice(None, -1),)]
    return x


@dataclass(frozen=True)
class Repeat(Op):
    """Each element of x repeated along ``axis``, ``repeats`` times (an integer scalar, or one
    count per element), as ``numpy.repeat``.

    With a scalar count r, the gradient sums each group of r elements of g; with a
    vector of counts it is not defined here, as in Theano.
    """

    axis: int

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if repeats.ndim > 1 or dtype_kind(repeats.dtype) not in "iu":
            raise TypeError(f"repeat counts must be an integer scalar or vector, got {repeats.describe()}")
        broadcastable = list(x.broadcastable)
        broadcastable[self.axis] = False
        return Apply(self, [x, repeats], [TensorType(x.dtype, broadcastable)()])

    def host_inputs(self, node):
        return (1,)  # the counts decide the shape, so they are host values

    def impl(self, xp, x, repeats):
        return xp.repeat(x, int(repeats) if repeats.ndim == 0 else repeats.tolist(), axis=self.axis)

    def infer_shape(self, node, input_shapes):
        repeats, lengths = node.inputs[1], list(input_shapes[0])
        if repeats.ndim == 0 or repeats.broadcastable[0]:  # one count for every element
            lengths[self.axis] = lengths[self.axis] * (repeats if repeats.ndim == 0 else repeats[0])
        else:
            lengths[self.axis] = reduce_sum(repeats)
        return [tuple(lengths)]

    def grad(self, inputs, outputs, grads):
        x, repeats = inputs
        if repeats.ndim != 0:
            raise NotImplementedError("the gradient of repeat with one count per element is not "
                                      "implemented (as in Theano); repeat by a scalar count")
        sizes = shape_entries(shape(x))
        grouped = reshape(grads[0], tuple(sizes[:self.axis + 1]) + (repeats,) + tuple(sizes[self.axis + 1:]))
        return [reduce_sum(grouped, axis=self.axis + 1), None]

    def __str__(self):
        return f"Repeat{{axis={self.axis}}}"


def repeat(x, repeats, axis=None):
    """``numpy.repeat``: each element of ``x`` repeated ``repeats`` times along ``axis``
    (None: of ``x`` flattened)."""
    x, axis = along_axis(x, axis)
    return Repeat(axis)(x, repeats)


@dataclass(frozen=True)
class SearchSorted(Op):
    """Where each element of v would go into the sorted vector x to keep it sorted (int64),
    as ``numpy.searchsorted``; ``side`` says where equal elements go. No gradient."""

    side: str = "left"

    def make_node(self, x, v, *sorter):
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1 or self.side not in ("left", "right"):
            raise ValueError(f"searchsorted takes a sorted vector and side 'left' or 'right', got "
                             f"{x.describe()} and side={self.side!r}")
        inputs = [x, v] + [as_tensor_variable(s) for s in sorter]
        return Apply(self, inputs, [TensorType("int64", v.broadcastable)()])

    def impl(self, xp, x, v, sorter=None):
        return xp.asarray(xp.searchsorted(x, v, side=self.side, sorter=sorter), dtype="int64")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, inputs, outputs, grads):
        return [None] * len(inputs)


def searchsorted(x, v, side="left", sorter=None):
    """The positions at which the elements of ``v`` would be inserted into the sorted vector ``x``."""
    return SearchSorted(side)(x, v, *([] if sorter is None else [sorter]))


@dataclass(frozen=True)
class Unique(Op):
    """The sorted distinct elements of x (flattened), as ``numpy.unique``; with the flags, also
    the first position of each, the position of each element of x among them, and their counts.

    The outputs are a list when there are several, as in Theano. No gradient.
    """

    return_index: bool = False
    return_inverse: bool = False
    return_counts: bool = False

    def make_node(self, x):
        x = as_tensor_variable(x)
        extra = sum((self.return_index, self.return_inverse, self.return_counts))
        outputs = [TensorType(x.dtype, (False,))()] + [TensorType("int64", (False,))() for _ in range(extra)]
        return Apply(self, [x], outputs)

    def impl(self, xp, x):
        results = xp.unique(x, return_index=self.return_index, return_inverse=self.return_inverse,
                            return_counts=self.return_counts)
        if not isinstance(results, tuple):
            return results
        values, *positions = results
        return (values,) + tuple(xp.asarray(xp.reshape(p, (-1,)), dtype="int64") for p in positions)

    def grad(self, inputs, outputs, grads):
        return [None]


def unique(x, return_index=False, return_inverse=False, return_counts=False):
    """``numpy.unique`` of ``x``: its sorted distinct elements, and the positions and counts asked for."""
    return Unique(return_index, return_inverse, return_counts)(x)


@dataclass(frozen=True)
class BinCount(Op):
    """How often each value 0, 1, ..., max(x) occurs in the non-negative integer vector x, or
    the sum of the weights at those positions, in at least ``minlength`` bins (``numpy.bincount``).

    The weights' gradient is g read at x: weight i went into bin x[i].
    """

    minlength: int = 0

    def make_node(self, x, *weights):
        x = as_tensor_variable(x)
        if x.ndim != 1 or dtype_kind(x.dtype) not in "iu":
            raise TypeError(f"bincount counts an integer vector, got {x.describe()}")
        weights = [as_tensor_variable(w) for w in weights]
        if weights and weights[0].ndim != 1:
            raise TypeError(f"bincount's weights are a vector, got {weights[0].describe()}")
        dtype = "float64" if weights else "int64"  # NumPy sums weights in float64, whatever their dtype
        return Apply(self, [x, *weights], [TensorType(dtype, (False,))()])

    def impl(self, xp, x, weights=None):
        if x.size and int(x.min()) < 0:
            raise ValueError("bincount counts non-negative integers, got a negative one")
        return xp.bincount(x, weights, minlength=self.minlength)

    def grad(self, inputs, outputs, grads):
        return [None] + [grads[0][inputs[0]]] * (len(inputs) - 1)


def bincount(x, weights=None, minlength=None, assert_nonneg=False):
    """How often each value 0, 1, ..., max(x) occurs in the integer vector ``x`` (or the sum of
    ``weights`` at those positions), with at least ``minlength`` bins; negative values are an
    error when the graph runs (Theano checks them only with ``assert_nonneg``)."""
    return BinCount(minlength or 0)(x, *([] if weights is None else [weights]))


def to_one_hot(y, nb_class, dtype=None):
    """The matrix whose row i is 1 at column y[i] and 0 elsewhere, of ``dtype`` (floatX by default)."""
    y = as_tensor_variable(y)
    hot = E.eq(dimshuffle(y, 0, "x"), dimshuffle(arange(nb_class), "x", 0))
    return E.cast(hot, dtype or config.floatX)


@dataclass(frozen=True)
class Nonzero(Op):
    """The positions of the nonzero elements of x: an int64 matrix with one row per axis of x
    (the rows of ``numpy.nonzero``). No gradient."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError("nonzero takes a tensor of one or more dimensions, got a scalar")
        return Apply(self, [x], [TensorType("int64", (x.ndim == 1, False))()])

    def impl(self, xp, x):
        return xp.stack(xp.nonzero(x)).astype("int64")

    def grad(self, inputs, outputs, grads):
        return [None]


def nonzero(a, return_matrix=False):
    """The positions of the nonzero elements of ``a``: a tuple of int64 vectors, one per axis, as
    ``numpy.nonzero``; with ``return_matrix``, those vectors as the rows of one matrix."""
    a = as_tensor_variable(a)
    positions = Nonzero()(a)
    return positions if return_matrix else tuple(positions[axis] for axis in range(a.ndim))


def flatnonzero(a):
    """The positions of the nonzero elements of ``a`` flattened."""
    return nonzero(flatten(a))[0]


def nonzero_values(a):
    """The nonzero elements of ``a``, in row-major order."""
    return flatten(a)[flatnonzero(a)]


def where(condition, x=None, y=None):
    """``numpy.where``: with ``x`` and ``y``, x where ``condition`` holds and y elsewhere
    (``T.switch``); alone, the positions where it holds (``nonzero``)."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise TypeError("where takes a condition alone, or a condition, x and y")
    return E.switch(condition, x, y)
