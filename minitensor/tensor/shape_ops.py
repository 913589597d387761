"""Shape ops: reordering and inserting dimensions, reshaping, and the symbolic shape.

``DimShuffle`` is Theano's one op for transposing, dropping broadcastable
dimensions and inserting new broadcastable ones ('x'); ``x.T`` and the padding
that elementwise ops insert are both dimshuffles, and each is its own gradient's
inverse, so gradients of shape ops are shape ops.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from minitensor.graph import Apply, Constant, Op, Variable
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable, constant


@dataclass(frozen=True)
class DimShuffle(Op):
    """Output dimension i is input dimension ``new_order[i]``, or a new broadcastable one for 'x'.

    Input dimensions missing from ``new_order`` are dropped; they must be broadcastable.
    """

    input_broadcastable: tuple
    new_order: tuple
    returns_view = True

    def __post_init__(self):
        kept = [d for d in self.new_order if d != "x"]
        if sorted(set(kept)) != sorted(kept) or any(not 0 <= d < len(self.input_broadcastable) for d in kept):
            raise ValueError(f"dimshuffle pattern {self.new_order} must name each of the input's "
                             f"{len(self.input_broadcastable)} dimensions at most once, or 'x'")
        for d, broadcastable in enumerate(self.input_broadcastable):
            if d not in kept and not broadcastable:
                raise ValueError(f"dimshuffle pattern {self.new_order} drops dimension {d}, which is "
                                 f"not broadcastable (input pattern {self.input_broadcastable})")

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.broadcastable != self.input_broadcastable:
            raise TypeError(f"{self} expects an input with broadcastable pattern "
                            f"{self.input_broadcastable}, got {x.type}")
        broadcastable = tuple(d == "x" or x.broadcastable[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, broadcastable)()])

    @cached_property
    def _plan(self):
        kept = [d for d in self.new_order if d != "x"]
        dropped = [d for d in range(len(self.input_broadcastable)) if d not in kept]
        permutation = tuple(kept + dropped)
        squeezed = tuple(range(len(kept), len(permutation)))
        inserted = tuple(i for i, d in enumerate(self.new_order) if d == "x")
        return permutation, squeezed, inserted

    def impl(self, xp, x):
        permutation, squeezed, inserted = self._plan
        y = xp.transpose(x, permutation)
        if squeezed:
            y = xp.squeeze(y, axis=squeezed)
        return xp.expand_dims(y, inserted) if inserted else y

    def grad(self, inputs, outputs, grads):
        (x,), (g,) = inputs, grads
        back = tuple(self.new_order.index(d) if d in self.new_order else "x" for d in range(x.ndim))
        return [DimShuffle(g.broadcastable, back)(g)]

    def __str__(self):
        return "DimShuffle{" + ",".join(map(str, self.new_order)) + "}"


def dimshuffle(x, *pattern):
    """``x`` with its dimensions reordered as ``pattern`` says (``'x'`` inserts one)."""
    x = as_tensor_variable(x)
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = tuple(pattern[0])
    return DimShuffle(x.broadcastable, tuple(pattern))(x)


def transpose(x, axes=None):
    """``x`` with its axes permuted; by default reversed, so a matrix is transposed."""
    x = as_tensor_variable(x)
    return dimshuffle(x, *(reversed(range(x.ndim)) if axes is None else axes))


@dataclass(frozen=True)
class Reshape(Op):
    """x with the same elements in a new shape, given by an int vector of length ``ndim``."""

    ndim: int
    returns_view = True

    def make_node(self, x, shape):
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        if shape.ndim != 1 or np.dtype(shape.dtype).kind not in "iu":
            raise TypeError(f"reshape needs an integer vector for the shape, got {shape.type}")
        if isinstance(shape, Constant):
            if len(shape.data) != self.ndim:
                raise ValueError(f"reshape to {tuple(shape.data)} gives {len(shape.data)} dimensions, "
                                 f"not ndim={self.ndim}")
            broadcastable = tuple(size == 1 for size in shape.data)
        else:
            broadcastable = (False,) * self.ndim
        return Apply(self, [x, shape], [TensorType(x.dtype, broadcastable)()])

    def impl(self, xp, x, shape):
        if len(shape) != self.ndim:
            raise ValueError(f"the shape {tuple(shape)} has {len(shape)} entries, not ndim={self.ndim}")
        return xp.reshape(x, tuple(int(size) for size in shape))

    def grad(self, inputs, outputs, grads):
        return [reshape(grads[0], shape(inputs[0]), inputs[0].ndim), None]

    def __str__(self):
        return f"Reshape{{{self.ndim}}}"


def reshape(x, newshape, ndim=None):
    """``x`` reshaped to ``newshape``: a tuple of ints (one may be -1) or a symbolic int vector."""
    x = as_tensor_variable(x)
    if isinstance(newshape, Variable):
        if ndim is None:
            raise TypeError("reshape to a symbolic shape needs ndim, the length of the shape vector")
    else:
        newshape = tuple(newshape) if isinstance(newshape, (list, tuple)) else (newshape,)
        if any(isinstance(size, Variable) for size in newshape):
            raise TypeError("reshape takes a tuple of Python ints or one symbolic integer vector; "
                            "build a vector from symbolic sizes first")
        newshape, ndim = constant(newshape, dtype="int64"), len(newshape)
    return Reshape(ndim)(x, newshape)


@dataclass(frozen=True)
class Shape(Op):
    """The shape of x as an int64 vector."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,))()])

    def impl(self, xp, x):
        return np.asarray(x.shape, dtype=np.int64)  # shapes are host metadata on every backend

    def grad(self, inputs, outputs, grads):
        return [None]


shape = Shape()
