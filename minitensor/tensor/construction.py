"""Ops that make new arrays: joining (``join``, ``concatenate``, ``stack``), ``arange``, ``alloc`` and
``Eye``; and the arrays built from them: ``stacklists``, ``horizontal_stack``, ``vertical_stack``,
``eye``, ``tri``, ``tril``, ``triu``, ``identity_like``, ``mgrid`` and ``ogrid``.

``Join`` concatenates along an axis; its gradient slices g back into one piece
per input (with ``Subtensor``, so no split op is needed). ``stack`` is a join of
inputs given a new axis, or a ``MakeVector`` when it stacks scalars into a
vector, as shapes are built. ``Alloc`` broadcasts a value to a symbolic shape in
new memory; ``zeros`` and ``ones`` are allocs of a constant. Shapes that are
known only when the graph runs are integer scalars (``x.shape[0]``). ``eye`` and
the triangles compare two ``arange``s, broadcast against each other, so they need
no op of their own.
"""

from dataclasses import dataclass

import numpy as np

from minitensor.configuration import config
from minitensor.graph import Apply, Constant, Op, Variable
from minitensor.tensor import elemwise as E
from minitensor.tensor.math_functions import ceil
from minitensor.tensor.reduction import normalize_axes, sum as reduce_sum
from minitensor.tensor.shape_ops import dimshuffle, make_vector, shape, shape_entries
from minitensor.tensor.subtensor import check_fits
from minitensor.tensor.type import TensorType, is_float
from minitensor.tensor.variable import as_tensor_variable, constant


@dataclass(frozen=True)
class Join(Op):
    """The inputs concatenated along ``axis``; each input's gradient is its piece of g.

    All other lengths must agree, so a dimension broadcastable in one input is
    broadcastable in the result.
    """

    axis: int

    def make_node(self, *tensors):
        tensors = [as_tensor_variable(t) for t in tensors]
        if not tensors or any(t.ndim != tensors[0].ndim for t in tensors):
            raise TypeError(f"join needs tensors of one rank, got {[str(t.type) for t in tensors]}")
        if not 0 <= self.axis < tensors[0].ndim:
            raise ValueError(f"join along axis {self.axis} of {tensors[0].ndim}-dimensional tensors")
        dtype = np.result_type(*[t.dtype for t in tensors]).name
        tensors = [E.cast(t, dtype) for t in tensors]
        patterns = [t.broadcastable for t in tensors]
        broadcastable = [any(dims) for dims in zip(*patterns)]
        broadcastable[self.axis] = len(tensors) == 1 and patterns[0][self.axis]
        return Apply(self, tensors, [TensorType(dtype, broadcastable)()])

    def impl(self, xp, *arrays):
        return xp.concatenate(arrays, axis=self.axis)

    def infer_shape(self, node, input_shapes):
        lengths = [shape[self.axis] for shape in input_shapes]
        total = lengths[0] if len(lengths) == 1 else E.add(*lengths)
        first = input_shapes[0]
        return [first[:self.axis] + (total,) + first[self.axis + 1:]]

    def grad(self, inputs, outputs, grads):
        g, pieces, start = grads[0], [], 0
        for x in inputs:
            # A broadcastable input has length 1 there: offsets stay Python ints, and slices static.
            stop = start + (1 if x.broadcastable[self.axis] else shape(x)[self.axis])
            pieces.append(g[(slice(None),) * self.axis + (slice(start, stop),)])
            start = stop
        return pieces

    def __str__(self):
        return f"Join{{axis={self.axis}}}"


def join(axis, *tensors):
    """The ``tensors`` (all of one rank) concatenated along ``axis``, as in Theano."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise TypeError("join needs at least one tensor")
    (axis,) = normalize_axes(axis, tensors[0].ndim)
    return Join(axis)(*tensors)


def concatenate(tensor_list, axis=0):
    """``join(axis, *tensor_list)``, with NumPy's argument order."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError(f"concatenate takes a list or tuple of tensors, got {tensor_list!r}")
    return join(axis, *tensor_list)


def stack(tensors, *more, axis=0):
    """The ``tensors`` (all of one shape) stacked along a new dimension ``axis``.

    ``stack([a, b], axis)`` as in NumPy, or ``stack(a, b, c)`` as in old Theano.
    Stacking scalars makes a vector: ``T.stack([x.shape[0], 3])``.
    """
    if isinstance(tensors, (list, tuple)):
        axis = more[0] if more else axis
    else:
        tensors = (tensors,) + more
    ranks = {t.ndim if isinstance(t, Variable) else np.ndim(t) for t in tensors}
    if len(ranks) != 1:
        raise TypeError(f"stack needs tensors of one rank, got {list(tensors)}")
    tensors = E.elementwise_inputs(tensors)  # Python numbers take the others' dtype, as in NumPy
    (axis,) = normalize_axes(axis, tensors[0].ndim + 1)
    if tensors[0].ndim == 0:
        return make_vector(*tensors)
    pattern = list(range(tensors[0].ndim))
    pattern.insert(axis, "x")
    return join(axis, *[dimshuffle(t, *pattern) for t in tensors])


@dataclass(frozen=True)
class ARange(Op):
    """[start, start + step, start + 2 step, ...) up to ``stop``, as ``numpy.arange``, of ``dtype``.

    For float ranges, out[i] = start + i * step: the gradient of start is sum(g), of
    step sum(g * i). ``stop`` decides only the length, so it has no gradient.
    """

    dtype: str
    allocates = True

    def host_inputs(self, node):
        return (0, 1, 2)

    def make_node(self, start, stop, step):
        inputs = [as_tensor_variable(v) for v in (start, stop, step)]
        if any(v.ndim != 0 for v in inputs):
            raise TypeError(f"arange takes scalar bounds, got {[str(v.type) for v in inputs]}")
        return Apply(self, inputs, [TensorType(self.dtype, (False,))()])

    def impl(self, xp, start, stop, step):
        return xp.arange(start.item(), stop.item(), step.item(), dtype=self.dtype)

    def infer_shape(self, node, input_shapes):
        # NumPy's length: ceil((stop - start) / step) in double precision, and 0 if negative.
        start, stop, step = (E.cast(v, "float64") for v in node.inputs)
        return [(E.maximum(E.cast(ceil((stop - start) / step), "int64"), 0),)]

    def grad(self, inputs, outputs, grads):
        if not is_float(self.dtype):
            return [None, None, None]
        g = grads[0]
        positions = arange(shape(outputs[0])[0], dtype=self.dtype)
        return [reduce_sum(g), None, reduce_sum(g * positions)]

    def __str__(self):
        return f"ARange{{dtype={self.dtype}}}"


def arange(start, stop=None, step=1, dtype=None):
    """Theano's ``T.arange``: ``numpy.arange`` with symbolic scalar bounds.

    As in NumPy, the dtype is int64 for integer bounds and float64 if any bound
    is a float, unless ``dtype`` is given.
    """
    if stop is None:
        start, stop = 0, start
    bounds = E.elementwise_inputs([start, stop, step])
    if dtype is None:
        dtype = "float64" if any(is_float(b.dtype) for b in bounds) else "int64"
    return ARange(np.dtype(dtype).name)(*bounds)


def _size(size):
    size = constant(size, dtype="int64") if isinstance(size, (int, np.integer)) else as_tensor_variable(size)
    if size.ndim != 0 or np.dtype(size.dtype).kind not in "iu":
        raise TypeError(f"a size must be an integer scalar, got {size.describe()}")
    return size


@dataclass(frozen=True)
class Alloc(Op):
    """A new array of the shape given by the scalar inputs, filled with ``value`` broadcast to it.

    The value is padded on the left to the result's rank, so its gradient is g:
    the grad engine sums g over the axes where the value was broadcast.
    """

    allocates = True

    def host_inputs(self, node):
        return range(1, len(node.inputs))  # the sizes

    def make_node(self, value, *sizes):
        value, sizes = as_tensor_variable(value), [_size(s) for s in sizes]
        if value.ndim > len(sizes):
            raise TypeError(f"alloc of {value.describe()} to a shape of {len(sizes)} entries")
        value = E.pad_left(value, len(sizes)) if value.ndim < len(sizes) else value
        broadcastable = [isinstance(s, Constant) and s.data == 1 for s in sizes]
        return Apply(self, [value, *sizes], [TensorType(value.dtype, broadcastable)()])

    def impl(self, xp, value, *sizes, strict_axes=()):
        shape = tuple(int(s) for s in sizes)
        check_fits(value, shape, strict_axes)
        out = xp.empty(shape, dtype=value.dtype)
        out[...] = value
        return out

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def make_thunk(self, node, xp):
        impl = self.impl
        strict = tuple(d for d, b in enumerate(node.inputs[0].broadcastable) if not b)
        return lambda *arrays: impl(xp, *arrays, strict_axes=strict)

    def grad(self, inputs, outputs, grads):
        return [grads[0]] + [None] * (len(inputs) - 1)


alloc = Alloc()


def zeros(shape, dtype=None):
    """Zeros of ``shape`` (a tuple of ints and integer scalars, or some ``x.shape``), of ``dtype`` or floatX."""
    return alloc(constant(0, dtype=dtype or config.floatX), *shape_entries(shape))


def ones(shape, dtype=None):
    """Ones of ``shape`` (a tuple of ints and integer scalars, or some ``x.shape``), of ``dtype`` or floatX."""
    return alloc(constant(1, dtype=dtype or config.floatX), *shape_entries(shape))


def stacklists(arg):
    """A tensor from nested lists of tensors of one shape: ``stacklists([[a, b], [c, d]])`` of
    scalars is a 2x2 matrix, of matrices a 4-d tensor, as in Theano."""
    if isinstance(arg, (list, tuple)):
        return stack([stacklists(item) for item in arg])
    return as_tensor_variable(arg)


def horizontal_stack(*tensors):
    """Matrices (or vectors, as columns of one row) side by side: ``join(1, ...)``, as ``numpy.hstack``
    does for matrices."""
    return join(1 if all(as_tensor_variable(t).ndim == 2 for t in tensors) else 0, *tensors)


def vertical_stack(*tensors):
    """Matrices one above the other: ``join(0, ...)``."""
    return join(0, *tensors)


def tri(n, m=None, k=0, dtype=None):
    """The n-by-m matrix with ones at and below diagonal ``k`` (``numpy.tri``), built from two aranges."""
    m = n if m is None else m
    below = E.ge(dimshuffle(arange(n), 0, "x"), dimshuffle(arange(m), "x", 0) - k)
    return E.cast(below, dtype or config.floatX)


def eye(n, m=None, k=0, dtype=None):
    """The n-by-m matrix with ones on diagonal ``k`` and zeros elsewhere (``numpy.eye``)."""
    m = n if m is None else m
    on_diagonal = E.eq(dimshuffle(arange(n), 0, "x"), dimshuffle(arange(m), "x", 0) - k)
    return E.cast(on_diagonal, dtype or config.floatX)


def identity_like(x):
    """The identity matrix of ``x``'s shape and dtype."""
    x = as_tensor_variable(x)
    return eye(shape(x)[0], shape(x)[1], dtype=x.dtype)


def tril(m, k=0):
    """``m`` with the elements above diagonal ``k`` set to zero."""
    m = as_tensor_variable(m)
    return m * tri(shape(m)[0], shape(m)[1], k, dtype=m.dtype)


def triu(m, k=0):
    """``m`` with the elements below diagonal ``k`` set to zero."""
    m = as_tensor_variable(m)
    return m * (1 - tri(shape(m)[0], shape(m)[1], k - 1, dtype=m.dtype))


class _Grid:
    """``mgrid`` and ``ogrid``: ``T.mgrid[0:5, 0:3]`` is the list of ``numpy.mgrid``'s arrays
    (``ogrid`` the open, broadcastable ones), with symbolic bounds allowed."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, slices):
        slices = slices if isinstance(slices, tuple) else (slices,)
        ndim = len(slices)
        ranges = []
        for axis, s in enumerate(slices):
            if not isinstance(s, slice) or s.stop is None:
                raise TypeError(f"mgrid and ogrid take slices with a stop, got {s!r}")
            r = arange(0 if s.start is None else s.start, s.stop, 1 if s.step is None else s.step)
            ranges.append(dimshuffle(r, *["x"] * axis, 0, *["x"] * (ndim - axis - 1)))
        if self.sparse:
            return ranges
        grids = []
        for axis in range(ndim):
            grid = ranges[axis]
            for other in range(ndim):
                if other != axis:
                    grid = grid * E.ones_like(ranges[other])
            grids.append(grid)
        return grids


mgrid, ogrid = _Grid(sparse=False), _Grid(sparse=True)


@dataclass(frozen=True)
class Eye(Op):
    """The n-by-n identity matrix of ``dtype``: ones on the diagonal, zeros elsewhere."""

    dtype: str
    allocates = True

    def host_inputs(self, node):
        return (0,)

    def make_node(self, n):
        n = as_tensor_variable(n)
        if n.ndim != 0 or np.dtype(n.dtype).kind not in "iu":
            raise TypeError(f"eye needs an integer scalar size, got {n.type}")
        return Apply(self, [n], [TensorType(self.dtype, (False, False))()])

    def impl(self, xp, n):
        return xp.eye(int(n), dtype=self.dtype)

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[0], node.inputs[0])]

    def grad(self, inputs, outputs, grads):
        return [None]

    def __str__(self):
        return f"Eye{{{self.dtype}}}"
