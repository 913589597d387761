"""Indexing: ``x[i]``, ``x[a:b:c]``, ``x[idx]``, ``x[rows, cols]``, ``x[mask]``, and their updates.

Two families, as in NumPy:

* basic indexing (integers and slices) picks a regular grid of elements and
  returns a view: ``Subtensor``, and its functional update ``IncSubtensor``;
* advanced indexing (integer arrays, boolean masks) picks any elements, maybe
  the same one twice, into a new array: ``AdvancedSubtensor`` and
  ``AdvancedIncSubtensor``.

A boolean mask is advanced indexing too: as in NumPy, ``x[mask]`` means
``x[mask.nonzero()]``, so a k-dimensional mask indexes k dimensions of x and
stands for k integer vectors, of a length (the number of True elements) known
only when the graph runs. Its shape must equal the shape of the dimensions it
indexes; NumPy checks that when the graph runs.

Each reading op's gradient is its update op (put g into zeros at the index),
and an update's gradient reads (g at the index), so higher derivatives come
free. Where an index repeats, the gradient adds once per occurrence.

Python ints in an index are the op's parameters, so the result's broadcastable
pattern is known when the graph is built; symbolic integer scalars are inputs.
The updates, ``set_subtensor`` and ``inc_subtensor``, are functional:
``set_subtensor(x[1:], v)`` is a new variable, and x's array is copied, never written.

Left out: index arrays that are not adjacent or that come after a partial slice
or None (index in two steps: ``x[1:][:, idx]``), and 0-d boolean indices.
"""

from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Constant, Op, Variable
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import dimshuffle
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable, constant

# In an op's ``index``, an entry is an int (a fixed index), SCALAR (an index read
# from the op's next scalar input), or a tuple (start, stop, step) for a slice, whose
# parts are None, ints or SCALAR. Tuples, unlike slices, hash, as op fields must.
SCALAR = "?"


def python_index(index, scalars):
    """``index`` as NumPy takes it, each SCALAR replaced by the next of the ``scalars``' values.

    The trailing Ellipsis makes NumPy return a 0-d array view, not a scalar, when
    every dimension is indexed by an integer.
    """
    values = iter(scalars)

    def part(p):
        return int(next(values)) if p == SCALAR else p

    return tuple(slice(*map(part, e)) if isinstance(e, tuple) else part(e) for e in index) + (Ellipsis,)


def _index_text(index):
    def part(p):
        return "" if p is None else str(p)

    def entry(e):
        if not isinstance(e, tuple):
            return str(e)
        start, stop, step = map(part, e)
        return f"{start}:{stop}" + (f":{step}" if step else "")
    return ", ".join(map(entry, index))


def _check_scalars(index, scalars):
    """``scalars`` as tensors, checked to be the integer scalars that ``index`` reads."""
    scalars = [as_tensor_variable(s) for s in scalars]
    wanted = sum(e == SCALAR for e in index) + sum(p == SCALAR for e in index if isinstance(e, tuple) for p in e)
    if len(scalars) != wanted:
        raise TypeError(f"index [{_index_text(index)}] reads {wanted} scalar inputs, got {len(scalars)}")
    for s in scalars:
        if s.ndim != 0 or np.dtype(s.dtype).kind not in "iu":
            raise TypeError(f"an index must be an integer scalar, got {s.describe()}")
    return scalars


def _keeps_length_one(entry):
    """Whether the slice ``entry`` certainly leaves a dimension of length 1 with length 1."""
    return SCALAR not in entry and len(range(1)[slice(*entry)]) == 1


def check_fits(value, target_shape, strict_axes):
    """Refuse to stretch a length-1 axis of ``value`` whose type does not say it broadcasts.

    NumPy would stretch it silently; the gradient, which sums only over
    broadcastable axes, would then have the wrong shape.
    """
    for axis in strict_axes:
        if value.shape[axis] != target_shape[axis]:
            raise ValueError(f"a value of shape {value.shape} cannot fill a region of shape {target_shape}: "
                             f"its axis {axis} is not broadcastable")


def _strict_axes(var):
    return tuple(d for d, b in enumerate(var.broadcastable) if not b)


def _fit_value(value, target):
    """``value`` as a tensor of ``target``'s dtype and rank, to be broadcast into it."""
    if type(value) in (bool, int, float):  # weak, as in NumPy 2: x's dtype unless it cannot hold it
        value = constant(value, dtype=np.result_type(value, np.dtype(target.dtype)))
    value = as_tensor_variable(value)
    if value.ndim > target.ndim:
        raise TypeError(f"cannot put a {value.ndim}-dimensional value {value.describe()} into a "
                        f"{target.ndim}-dimensional region")
    if value.dtype != target.dtype:
        if not np.can_cast(value.dtype, target.dtype, "safe"):
            raise TypeError(f"cannot put a value of dtype {value.dtype} into a tensor of dtype "
                            f"{target.dtype} without losing precision; cast it first")
        value = E.cast(value, target.dtype)
    return E.pad_left(value, target.ndim) if value.ndim < target.ndim else value


def slice_length(n, start, stop, step):
    """``len(range(n)[start:stop:step])`` for a length ``n`` and bounds that may be int64 scalars
    (None, ints or variables) and an int step: a sliced dimension's length, for shape inference."""
    if not any(isinstance(p, Variable) for p in (n, start, stop)):
        return len(range(n)[slice(start, stop, step)])
    step = 1 if step is None else step
    if step > 0:  # Python's clamping: [start, stop) within [0, n]
        first = 0 if start is None else _clamped(start, n, 0, n)
        end = n if stop is None else _clamped(stop, n, 0, n)
        span = end - first
    else:  # (stop, start] within [-1, n - 1], walked downwards
        first = n - 1 if start is None else _clamped(start, n, -1, n - 1)
        end = -1 if stop is None else _clamped(stop, n, -1, n - 1)
        span = first - end
    return E.int_div(E.maximum(span, 0) + (abs(step) - 1), abs(step))


def _clamped(bound, n, low, high):
    """A slice bound as Python reads it: counted from the end if negative, then kept in [low, high]."""
    if isinstance(bound, (int, np.integer)):
        return E.maximum(n + bound, low) if bound < 0 else E.minimum(bound, high)
    return E.switch(E.lt(bound, 0), E.maximum(bound + n, low), E.minimum(bound, high))


# --- basic indexing -------------------------------------------------------------------------

@dataclass(frozen=True)
class Subtensor(Op):
    """x[index] for integers and slices: a view. Unindexed trailing dimensions are kept whole.

    Gradient: zeros shaped like x with g added at ``index``.
    """

    index: tuple
    returns_view = True

    def output_type(self, x):
        """The type of x[index]: integer-indexed dimensions go, sliced ones stay.

        A sliced broadcastable dimension stays broadcastable only when the slice
        surely keeps its one element (``x[0:]``, not ``x[1:]``), as in Theano.
        """
        if len(self.index) > x.ndim:
            raise IndexError(f"too many indices: [{_index_text(self.index)}] for {x.describe()}")
        kept = [b and _keeps_length_one(e) for e, b in zip(self.index, x.broadcastable) if isinstance(e, tuple)]
        return TensorType(x.dtype, kept + list(x.broadcastable[len(self.index):]))

    def make_node(self, x, *scalars):
        x = as_tensor_variable(x)
        scalars = _check_scalars(self.index, scalars)
        return Apply(self, [x, *scalars], [self.output_type(x)()])

    def host_inputs(self, node):
        return range(1, len(node.inputs))  # integer indices and slice bounds

    def impl(self, xp, x, *scalars):
        return x[python_index(self.index, scalars)]

    def make_thunk(self, node, xp):
        if len(node.inputs) > 1:
            return lambda x, *scalars: x[python_index(self.index, scalars)]
        index = python_index(self.index, ())
        return lambda x: x[index]

    def infer_shape(self, node, input_shapes):
        x_shape, scalars = input_shapes[0], iter(node.inputs[1:])
        lengths = []
        for entry, n in zip(self.index, x_shape):
            if entry == SCALAR:
                next(scalars)  # an integer index: the dimension goes
            elif isinstance(entry, tuple):
                start, stop, step = (next(scalars) if p == SCALAR else p for p in entry)
                if isinstance(step, Variable):
                    raise NotImplementedError("the length of a slice whose step is known only when the graph runs")
                lengths.append(slice_length(n, start, stop, step))
        return [tuple(lengths) + tuple(x_shape[len(self.index):])]

    def grad(self, inputs, outputs, grads):
        x, scalars = inputs[0], inputs[1:]
        return [IncSubtensor(self.index, False)(E.zeros_like(x), grads[0], *scalars)] + [None] * len(scalars)

    def __str__(self):
        return f"Subtensor{{{_index_text(self.index)}}}"


@dataclass(frozen=True)
class IncSubtensor(Op):
    """A copy of x with x[index] set to v (``set_instead_of_inc``) or increased by v.

    v broadcasts to the shape of x[index] as in NumPy. Gradients: for v, g[index];
    for x, g, where setting zeroes g[index] (those elements of x were overwritten).
    """

    index: tuple
    set_instead_of_inc: bool

    def make_node(self, x, value, *scalars):
        x = as_tensor_variable(x)
        scalars = _check_scalars(self.index, scalars)
        value = _fit_value(value, Subtensor(self.index).output_type(x))
        return Apply(self, [x, value, *scalars], [x.type()])

    def host_inputs(self, node):
        return range(2, len(node.inputs))  # integer indices and slice bounds

    def impl(self, xp, x, value, *scalars, strict_axes=()):
        out = x.copy()
        region = out[python_index(self.index, scalars)]  # a view: writing to it writes to out
        check_fits(value, region.shape, strict_axes)
        if self.set_instead_of_inc:
            region[...] = value
        else:
            region += value
        return out

    def make_thunk(self, node, xp):
        impl, strict = self.impl, _strict_axes(node.inputs[1])
        return lambda *arrays: impl(xp, *arrays, strict_axes=strict)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        x, value, *scalars = inputs
        g = grads[0]
        g_x = IncSubtensor(self.index, True)(g, 0, *scalars) if self.set_instead_of_inc else g
        return [g_x, Subtensor(self.index)(g, *scalars)] + [None] * len(scalars)

    def __str__(self):
        return f"IncSubtensor{{{'Set' if self.set_instead_of_inc else 'Inc'};{_index_text(self.index)}}}"


# --- advanced indexing ----------------------------------------------------------------------

def _check_indices(indices):
    indices = [as_tensor_variable(i) for i in indices]
    if not indices:
        raise TypeError("advanced indexing needs at least one integer array or boolean mask")
    for i in indices:
        if np.dtype(i.dtype).kind not in "iub":
            raise TypeError(f"an index array must have an integer or boolean dtype, got {i.describe()}")
        if i.dtype == "bool" and i.ndim == 0:
            raise TypeError(f"a boolean index must have at least one dimension, got {i.describe()}")
    return indices


def _indexed_dims(index):
    """How many dimensions of x an index (variable or array) indexes: all of a mask's, one for integers."""
    return index.ndim if index.dtype == "bool" else 1


def _indices_broadcastable(indices):
    """The pattern of the index arrays broadcast together (as elementwise inputs, padded on the left).

    A mask counts as the integer vectors of its nonzero(), whose length is unknown.
    """
    patterns = [(False,) if i.dtype == "bool" else i.broadcastable for i in indices]
    ndim = max(len(p) for p in patterns)
    padded = [(True,) * (ndim - len(p)) + p for p in patterns]
    return tuple(all(dims) for dims in zip(*padded))


def _indices_shape(indices):
    """The shape that index arrays (NumPy arrays) select: a mask's is its count of True elements."""
    return np.broadcast_shapes(*[(int(i.sum()),) if i.dtype == "bool" else i.shape for i in indices])


# The dtypes CuPy's atomic ``add.at`` takes; the others add through one of the same width or wider.
_ATOMIC_ADD = {"int32", "uint32", "uint64", "float16", "float32", "float64"}


def scatter_add(xp, out, index, values):
    """out[index] += values, adding once for each occurrence of a repeated index.

    ``out[index] += values`` would add only once per distinct element. On a GPU the
    additions are atomic, which CuPy has for some dtypes only: int64 adds as uint64
    (two's complement makes it the same sum), and 8- and 16-bit integers and bools add
    in int32 and are cast back (wrapping as NumPy's do).
    """
    dtype = out.dtype.name
    if xp is np or dtype in _ATOMIC_ADD:
        xp.add.at(out, index, values)
    elif dtype == "int64":
        xp.add.at(out.view("uint64"), index, xp.asarray(values, dtype="int64").view("uint64"))
    else:
        wide = out.astype("int32")
        xp.add.at(wide, index, xp.asarray(values).astype("int32"))
        out[...] = wide.astype(dtype) if dtype != "bool" else wide != 0


@dataclass(frozen=True)
class AdvancedSubtensor(Op):
    """x[:, ..., i1, i2, ...]: integer arrays or masks index the dimensions from ``axis`` on, pointwise.

    With ``axis`` leading full slices, the index arrays (broadcast together, as
    NumPy does) replace the dimensions they index: ``x[idx]`` takes rows,
    ``x[arange(n), y]`` takes one element per row, and ``x[x > 0]`` takes the
    positive elements into a vector. The result is a copy.
    Gradient: zeros shaped like x with g added at the index, repeats adding up.
    """

    axis: int = 0

    def output_type(self, x, indices):
        end = self.axis + sum(_indexed_dims(i) for i in indices)
        if end > x.ndim:
            raise IndexError(f"too many indices: {len(indices)} index arrays after {self.axis} full "
                             f"slices for {x.describe()}")
        b = x.broadcastable
        return TensorType(x.dtype, b[:self.axis] + _indices_broadcastable(indices) + b[end:])

    def make_node(self, x, *indices):
        x = as_tensor_variable(x)
        indices = _check_indices(indices)
        return Apply(self, [x, *indices], [self.output_type(x, indices)()])

    def impl(self, xp, x, *indices):
        return xp.asarray(x[(slice(None),) * self.axis + indices])

    def infer_shape(self, node, input_shapes):
        x, indices = node.inputs[0], node.inputs[1:]
        if any(i.dtype == "bool" for i in indices):
            raise NotImplementedError("a mask selects a number of elements known only when the graph runs")
        end = self.axis + len(indices)
        # The index arrays broadcast as an elementwise op's inputs: padded on the left, each
        # axis as long as the first index array that is not broadcastable there.
        ndim = max(i.ndim for i in indices)
        selected = tuple(next((shape[d - ndim + i.ndim] for i, shape in zip(indices, input_shapes[1:])
                               if d - ndim + i.ndim >= 0 and not i.broadcastable[d - ndim + i.ndim]), 1)
                         for d in range(ndim))
        return [tuple(input_shapes[0][:self.axis]) + selected + tuple(input_shapes[0][end:])]

    def grad(self, inputs, outputs, grads):
        x, indices = inputs[0], inputs[1:]
        update = AdvancedIncSubtensor(self.axis, False)(E.zeros_like(x), grads[0], *indices)
        return [update] + [None] * len(indices)

    def __str__(self):
        return f"AdvancedSubtensor{{axis={self.axis}}}"


@dataclass(frozen=True)
class AdvancedIncSubtensor(Op):
    """A copy of x with the elements at an integer-array (or mask) index set to v or increased by v.

    Increments at a repeated index add up (``scatter_add``); sets at a repeated
    index keep the last value, as NumPy does. Gradients: for v, g at the index;
    for x, g, where setting zeroes it at the index. With repeated indices, v's
    gradient from setting counts every occurrence, even the overwritten ones.
    """

    axis: int
    set_instead_of_inc: bool

    def make_node(self, x, value, *indices):
        x = as_tensor_variable(x)
        indices = _check_indices(indices)
        value = _fit_value(value, AdvancedSubtensor(self.axis).output_type(x, indices))
        return Apply(self, [x, value, *indices], [x.type()])

    def impl(self, xp, x, value, *indices, strict_axes=()):
        end = self.axis + sum(_indexed_dims(i) for i in indices)
        region = x.shape[:self.axis] + _indices_shape(indices) + x.shape[end:]
        check_fits(value, region, strict_axes)
        out, index = x.copy(), (slice(None),) * self.axis + indices
        if self.set_instead_of_inc:
            out[index] = value
        else:
            scatter_add(xp, out, index, value)
        return out

    def make_thunk(self, node, xp):
        impl, strict = self.impl, _strict_axes(node.inputs[1])
        return lambda *arrays: impl(xp, *arrays, strict_axes=strict)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        x, value, *indices = inputs
        g = grads[0]
        g_x = AdvancedIncSubtensor(self.axis, True)(g, 0, *indices) if self.set_instead_of_inc else g
        return [g_x, AdvancedSubtensor(self.axis)(g, *indices)] + [None] * len(indices)

    def __str__(self):
        kind = "Set" if self.set_instead_of_inc else "Inc"
        return f"AdvancedIncSubtensor{{{kind};axis={self.axis}}}"


# --- x[...]: from Python's index syntax to the ops --------------------------------------------

def getitem(x, index):
    """``x[index]``, read as NumPy reads it (see this module's docstring for what is supported)."""
    entries = _expand_ellipsis(list(index) if isinstance(index, tuple) else [index], x)
    if any(_is_array(e) for e in entries):
        return _advanced(x, entries)
    return _basic(x, entries)


def _is_array(entry):
    if isinstance(entry, Variable):
        return entry.ndim > 0
    return isinstance(entry, (list, np.ndarray)) and np.ndim(entry) > 0


def _is_mask(entry):
    if not _is_array(entry):
        return False
    return np.dtype(entry.dtype if isinstance(entry, Variable) else np.asarray(entry).dtype) == np.bool_


def _is_full_slice(entry):
    return isinstance(entry, slice) and entry == slice(None)


def _expand_ellipsis(entries, x):
    """``entries`` with an Ellipsis replaced by as many full slices as the dimensions it stands for."""
    ellipses = [i for i, e in enumerate(entries) if e is Ellipsis]  # `in` would compare arrays with ==
    if len(ellipses) > 1:
        raise IndexError("an index can have only one ellipsis (...)")
    # A k-dimensional mask indexes k dimensions; None indexes none.
    used = sum(np.ndim(e) if _is_mask(e) else e is not None for e in entries) - len(ellipses)
    if used > x.ndim:
        raise IndexError(f"too many indices for {x.describe()}: it has {x.ndim} dimensions, "
                         f"the index has {used} entries")
    for at in ellipses:
        entries[at:at + 1] = [slice(None)] * (x.ndim - used)
    return entries


def _index_part(value, scalars):
    """One integer of an index, as an op parameter (int) or SCALAR, appending it to ``scalars``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"an index cannot be a boolean ({value!r})")
    if isinstance(value, (int, np.integer)) or (isinstance(value, np.ndarray) and value.ndim == 0
                                                 and value.dtype.kind in "iu"):
        return int(value)
    if isinstance(value, Variable):
        if value.ndim != 0 or np.dtype(value.dtype).kind not in "iu":
            raise TypeError(f"an index must be an integer scalar, got {value.describe()}")
        if isinstance(value, Constant):
            return int(value.data)
        scalars.append(value)
        return SCALAR
    raise TypeError(f"indices must be integers, slices, None, ... or integer arrays; got "
                    f"{type(value).__name__} {value!r}")


def _basic(x, entries):
    index, scalars, new_axes = [], [], []
    position = 0  # the output dimension the next entry makes
    for e in entries:
        if e is None:
            new_axes.append(position)
            position += 1
        elif isinstance(e, slice):
            if e.step is not None and not isinstance(e.step, Variable) and e.step == 0:
                raise ValueError("slice step cannot be zero")
            index.append(tuple(None if p is None else _index_part(p, scalars) for p in (e.start, e.stop, e.step)))
            position += 1
        else:
            index.append(_index_part(e, scalars))
    while index and index[-1] == (None, None, None):  # x[0, :] is x[0]: one op, which merges
        index.pop()
    result = Subtensor(tuple(index))(x, *scalars)
    if not new_axes:
        return result
    kept = iter(range(result.ndim))
    remaining = result.ndim - (position - len(new_axes))
    return dimshuffle(result, *["x" if p in new_axes else next(kept) for p in range(position)],
                      *[next(kept) for _ in range(remaining)])


def _index_array(entry):
    if isinstance(entry, Variable):
        return entry
    data = np.asarray(entry)
    if data.size == 0 and data.dtype.kind == "f":
        data = data.astype(np.int64)  # np.asarray([]) is float64
    return constant(data)


def _advanced(x, entries):
    full = [_is_full_slice(e) for e in entries]
    axis = full.index(False)
    end = axis
    while end < len(entries) and not full[end]:
        end += 1
    if not all(full[end:]) or any(e is None or isinstance(e, slice) for e in entries[axis:end]):
        raise NotImplementedError(
            f"indexing {x.describe()}: integer arrays must be adjacent and come after full slices "
            f"only, as in x[idx], x[rows, cols] or x[:, idx]; index in two steps instead, e.g. x[1:][:, idx]")
    return AdvancedSubtensor(axis)(x, *[_index_array(e) for e in entries[axis:end]])


def _update(indexed, value, set_instead_of_inc, name):
    node = indexed.owner if isinstance(indexed, Variable) else None
    if node is not None and isinstance(node.op, Subtensor):
        x, scalars = node.inputs[0], node.inputs[1:]
        return IncSubtensor(node.op.index, set_instead_of_inc)(x, value, *scalars)
    if node is not None and isinstance(node.op, AdvancedSubtensor):
        x, indices = node.inputs[0], node.inputs[1:]
        return AdvancedIncSubtensor(node.op.axis, set_instead_of_inc)(x, value, *indices)
    raise TypeError(f"{name} takes an indexed variable such as x[1:] or x[idx] as its first argument "
                    f"(indices with None are not supported), got {indexed!r}")


def set_subtensor(x, y):
    """A copy of the tensor that ``x = t[index]`` indexes, with ``t[index]`` replaced by ``y``.

    >>> import minitensor.tensor as T
    >>> v = T.dvector('v')
    >>> T.set_subtensor(v[1:], 0).eval({v: [1.0, 2.0, 3.0]})
    array([1., 0., 0.])
    """
    return _update(x, y, True, "set_subtensor")


def inc_subtensor(x, y):
    """A copy of the tensor that ``x = t[index]`` indexes, with ``y`` added to ``t[index]``.

    Repeated integer-array indices add once per occurrence:

    >>> import minitensor.tensor as T
    >>> v = T.dvector('v')
    >>> T.inc_subtensor(v[[0, 0, 2]], 1).eval({v: [1.0, 2.0, 3.0]})
    array([3., 2., 4.])
    """
    return _update(x, y, False, "inc_subtensor")
