"""Theano's ``tensor.extra_ops``: cumulative sums and products, ``repeat``, ``searchsorted``,
``unique``, ``bincount``, ``diff``, ``to_one_hot``, ``squeeze``, the positions of nonzero
elements (``nonzero``, ``flatnonzero``, ``nonzero_values``), picking elements (``choose``,
which Theano keeps in ``tensor.basic``, and ``compress``), filling a diagonal
(``fill_diagonal``, ``fill_diagonal_offset``), and flat positions to and from
coordinates (``unravel_index``, ``ravel_multi_index``).

Ops only where NumPy has one function doing the work (``CumOp``, ``Repeat``,
``SearchSorted``, ``Unique``, ``BinCount``, ``Nonzero``, ``Choose``, ``FillDiagonal``,
``UnravelIndex``, ...); the rest are built from other ops (``diff`` subtracts two
slices, ``to_one_hot`` compares with an ``arange``, ``compress`` takes the positions
``flatnonzero`` finds), so they have gradients where those ops do.

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
from minitensor.tensor.construction import arange, stack
from minitensor.tensor.math_functions import mod
from minitensor.tensor.reduction import sum as reduce_sum
from minitensor.tensor.shape_ops import (along_axis, dimshuffle, flatten, reshape, shape, shape_entries,
                                         vector_length)
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


@dataclass(frozen=True)
class Choose(Op):
    """out[I] = choices[a[I]][I], as ``numpy.choose``: the integer array a says, element by
    element, which of the choices (the first axis of ``choices``) to read; a and each
    choice broadcast together. ``mode`` says what an index outside [0, n) means: an
    error ('raise'), that index modulo n ('wrap'), or the nearest end ('clip').

    The choices' gradient is g at the elements each choice gave, 0 elsewhere; a has
    none (it is integer).
    """

    mode: str = "raise"

    def make_node(self, a, choices):
        a, choices = as_tensor_variable(a), as_tensor_variable(choices)
        if dtype_kind(a.dtype) not in "iu":
            raise TypeError(f"choose picks with an integer array, got {a.describe()}")
        if self.mode not in ("raise", "wrap", "clip"):
            raise ValueError(f"choose's mode must be 'raise', 'wrap' or 'clip', got {self.mode!r}")
        if choices.ndim == 0:
            raise TypeError(f"choose needs a sequence of choices, got {choices.describe()}")
        # Both made as long as the result, so that each gradient has its input's rank.
        ndim = max(a.ndim, choices.ndim - 1)
        if a.ndim < ndim:
            a = E.pad_left(a, ndim)
        if choices.ndim < ndim + 1:
            choices = dimshuffle(choices, 0, *["x"] * (ndim + 1 - choices.ndim), *range(1, choices.ndim))
        broadcastable = tuple(p and q for p, q in zip(a.broadcastable, choices.broadcastable[1:]))
        return Apply(self, [a, choices], [TensorType(choices.dtype, broadcastable)()])

    def impl(self, xp, a, choices):
        count = choices.shape[0]
        if self.mode == "raise" and a.size and (int(a.min()) < 0 or int(a.max()) >= count):
            raise ValueError(f"choose: an index is outside [0, {count}), the number of choices "
                             f"(mode='raise'; 'wrap' or 'clip' accept it)")
        picked = a % count if self.mode == "wrap" else xp.clip(a, 0, count - 1) if self.mode == "clip" else a
        shape = np.broadcast_shapes(a.shape, choices.shape[1:])
        picked = xp.broadcast_to(picked.astype("int64"), (1,) + shape)
        return xp.take_along_axis(xp.broadcast_to(choices, (count,) + shape), picked, axis=0)[0]

    def grad(self, inputs, outputs, grads):
        a, choices = inputs
        count = shape(choices)[0]
        picked = mod(a, count) if self.mode == "wrap" else E.clip(a, 0, count - 1) if self.mode == "clip" else a
        which = dimshuffle(arange(count), 0, *["x"] * a.ndim)
        return [None, E.switch(E.eq(dimshuffle(picked, "x", *range(a.ndim)), which),
                               dimshuffle(grads[0], "x", *range(a.ndim)), 0)]

    def __str__(self):
        return f"Choose{{{self.mode}}}"


def choose(a, choices, out=None, mode="raise"):
    """``numpy.choose``: the element at I of choice a[I], for each position I of ``a`` (an integer
    array) broadcast with the choices. ``choices`` is a list of tensors, or one tensor whose
    first axis lists them. ``out`` must be None (it is there for NumPy's signature)."""
    if out is not None:
        raise TypeError("choose computes a new tensor: out must be None")
    if isinstance(choices, (list, tuple)):
        # Each choice broadcast to the shape of them all, then stacked along a new first axis.
        choices = E.elementwise_inputs(choices)
        everything = functools.reduce(E.fill, choices)
        choices = stack([E.fill(everything, c) for c in choices])
    return Choose(mode)(a, choices)


def compress(condition, x, axis=None):
    """``numpy.compress``: the slices of ``x`` along ``axis`` (of ``x`` flattened when None) where
    the vector ``condition`` is nonzero."""
    return as_tensor_variable(x).take(flatnonzero(condition), axis=axis)


def _fill_value(a, val, name):
    """``val`` as a scalar of ``a``'s dtype, as Theano takes it: a value that would upcast ``a``
    (a float into an integer matrix) is refused."""
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise TypeError(f"{name} takes a tensor of two or more dimensions, got {a.describe()}")
    value = val if E._is_python_number(val) else as_tensor_variable(val)
    dtype = E.promote((a.dtype, type(value) if E._is_python_number(value) else value.dtype))
    if dtype != a.dtype or np.ndim(value) != 0:
        shown = value.describe() if not E._is_python_number(value) else repr(value)
        raise TypeError(f"{name} fills a diagonal of {a.describe()} with a scalar of its dtype, got {shown}")
    return a, E.cast(value, a.dtype)


def _fill_flat(xp, a, val, start, stop, step):
    """A copy of ``a`` with its elements flat[start:stop:step] (row-major) set to ``val``."""
    out = a.copy()
    out.reshape(-1)[start:stop:step] = val  # a view: the copy is contiguous
    return out


@dataclass(frozen=True)
class FillDiagonal(Op):
    """A copy of a with val at a[i, i, ..., i], as ``numpy.fill_diagonal`` (without wrapping:
    a tall matrix gets one value per column). a of more than two dimensions must have
    them all of one length.

    Gradients: a's is g with its diagonal set to 0, val's the sum of g's diagonal.
    """

    def make_node(self, a, val):
        a, val = _fill_value(a, val, "fill_diagonal")
        return Apply(self, [a, val], [a.type()])

    def impl(self, xp, a, val):
        if a.ndim > 2 and len(set(a.shape)) > 1:
            raise ValueError(f"fill_diagonal: the dimensions of a tensor of more than two must all "
                             f"have one length, got shape {a.shape}")
        columns = a.shape[-1]
        step = 1 + sum(int(np.prod(a.shape[:k + 1])) for k in range(a.ndim - 1)) if a.ndim > 2 else columns + 1
        return _fill_flat(xp, a, val, 0, columns * columns if a.ndim == 2 else a.size, step)

    def grad(self, inputs, outputs, grads):
        off_diagonal = fill_diagonal(grads[0], 0)
        return [off_diagonal, reduce_sum(grads[0] - off_diagonal)]


def fill_diagonal(a, val):
    """A copy of ``a`` with the scalar ``val`` on its main diagonal (``numpy.fill_diagonal``)."""
    return FillDiagonal()(*_fill_value(a, val, "fill_diagonal"))


@dataclass(frozen=True)
class FillDiagonalOffset(Op):
    """A copy of the matrix a with val at a[i, i + offset] (offset an integer scalar, negative
    below the main diagonal).

    Gradients: a's is g with that diagonal set to 0, val's the sum of g along it.
    """

    def make_node(self, a, val, offset):
        (a, val), offset = _fill_value(a, val, "fill_diagonal_offset"), as_tensor_variable(offset)
        if a.ndim != 2 or offset.ndim != 0 or dtype_kind(offset.dtype) not in "iu":
            raise TypeError(f"fill_diagonal_offset takes a matrix and an integer scalar offset, got "
                            f"{a.describe()} and {offset.describe()}")
        return Apply(self, [a, val, offset], [a.type()])

    def host_inputs(self, node):
        return (2,)  # the offset decides which positions are written

    def impl(self, xp, a, val, offset):
        offset = int(offset)
        rows, columns = a.shape
        start, length = (offset, min(rows, columns - offset)) if offset >= 0 else \
            (-offset * columns, min(columns, rows + offset))
        step = columns + 1
        return _fill_flat(xp, a, val, start, start + step * max(length, 0), step)

    def grad(self, inputs, outputs, grads):
        off_diagonal = fill_diagonal_offset(grads[0], 0, inputs[2])
        return [off_diagonal, reduce_sum(grads[0] - off_diagonal), None]


def fill_diagonal_offset(a, val, offset):
    """A copy of the matrix ``a`` with the scalar ``val`` on its diagonal ``offset`` (a[i, i + offset])."""
    a, val = _fill_value(a, val, "fill_diagonal_offset")
    return FillDiagonalOffset()(a, val, offset)


def _index_vector(dims, name):
    dims = as_tensor_variable(dims)
    if dims.ndim != 1 or dtype_kind(dims.dtype) not in "iu":
        raise TypeError(f"{name} takes the dimensions as an integer vector, got {dims.describe()}")
    return dims


@dataclass(frozen=True)
class UnravelIndex(Op):
    """The coordinates, in an array of shape ``dims``, of the flat positions ``indices``: one
    int64 array per dimension, as ``numpy.unravel_index`` (``order`` 'C' row-major, 'F'
    column-major). No gradient (integers)."""

    ndim: int
    order: str = "C"

    def make_node(self, indices, dims):
        indices, dims = as_tensor_variable(indices), _index_vector(dims, "unravel_index")
        if dtype_kind(indices.dtype) not in "iu" or self.order not in ("C", "F"):
            raise TypeError(f"unravel_index takes integer indices and order 'C' or 'F', got "
                            f"{indices.describe()} and order={self.order!r}")
        return Apply(self, [indices, dims], [TensorType("int64", (False,) * indices.ndim)()
                                             for _ in range(self.ndim)])

    def host_inputs(self, node):
        return (1,)  # the dimensions, a shape

    def impl(self, xp, indices, dims):
        dims = tuple(int(d) for d in dims)
        if len(dims) != self.ndim:
            raise ValueError(f"unravel_index was built for {self.ndim} dimensions, got dims {dims}")
        coordinates = tuple(xp.asarray(c, dtype="int64") for c in xp.unravel_index(indices, dims, order=self.order))
        return coordinates if self.ndim > 1 else coordinates[0]

    def grad(self, inputs, outputs, grads):
        return [None, None]


def unravel_index(indices, dims, order="C", ndim=None):
    """``numpy.unravel_index``: a tuple of the coordinates of the flat positions ``indices`` in an
    array of shape ``dims``. ``ndim``, the length of ``dims``, is needed only when the graph
    cannot tell it (dims computed when it runs)."""
    dims = _index_vector(dims, "unravel_index")
    if ndim is None:
        ndim = vector_length(dims)
        if ndim is None:
            raise ValueError(f"unravel_index cannot tell the length of dims {dims.describe()} before the "
                             f"graph runs; pass ndim=")
    coordinates = UnravelIndex(ndim, order)(indices, dims)
    return tuple(coordinates) if ndim > 1 else (coordinates,)


@dataclass(frozen=True)
class RavelMultiIndex(Op):
    """The flat positions, in an array of shape ``dims``, of the coordinates given one array per
    dimension (broadcast together), as ``numpy.ravel_multi_index``; ``mode`` says what a
    coordinate out of range means ('raise', 'wrap', 'clip'). No gradient (integers)."""

    mode: str = "raise"
    order: str = "C"

    def make_node(self, *inputs):
        *coordinates, dims = inputs
        if not coordinates or self.mode not in ("raise", "wrap", "clip") or self.order not in ("C", "F"):
            raise TypeError(f"ravel_multi_index takes one or more coordinate arrays, mode 'raise', 'wrap' or "
                            f"'clip' and order 'C' or 'F', got {len(coordinates)}, {self.mode!r}, {self.order!r}")
        coordinates, dims = E.elementwise_inputs(coordinates), _index_vector(dims, "ravel_multi_index")
        for c in coordinates:
            if dtype_kind(c.dtype) not in "iu":
                raise TypeError(f"ravel_multi_index takes integer coordinates, got {c.describe()}")
        broadcastable = tuple(all(b) for b in zip(*[c.broadcastable for c in coordinates]))
        return Apply(self, [*coordinates, dims], [TensorType("int64", broadcastable)()])

    def host_inputs(self, node):
        return (len(node.inputs) - 1,)  # the dimensions, a shape

    def impl(self, xp, *inputs):
        *coordinates, dims = inputs
        flat = xp.ravel_multi_index(tuple(coordinates), tuple(int(d) for d in dims), mode=self.mode, order=self.order)
        return xp.asarray(flat, dtype="int64")

    def grad(self, inputs, outputs, grads):
        return [None] * len(inputs)


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """``numpy.ravel_multi_index``: the flat positions, in an array of shape ``dims``, of the
    coordinates ``multi_index`` (a tuple or list of integer arrays, one per dimension)."""
    if not isinstance(multi_index, (tuple, list)):
        raise TypeError(f"ravel_multi_index takes a tuple or list of coordinate arrays, got {multi_index!r}")
    return RavelMultiIndex(mode, order)(*multi_index, dims)
