"""Sorting: ``argsort``, ``sort``, and reordering along an axis by a permutation.

(Theano's module is ``tensor.sort``; here it is ``sorting``, so that ``T.sort`` is
always the function, never a module of the same name.)

``ArgSort`` finds, along an axis, the order that sorts x. ``PermuteAlongAxis``
gathers x in a given order (``numpy.take_along_axis`` with a permutation); its
gradient puts g back in place, which is the same gather with the inverse
permutation, ``argsort(perm)``. ``sort`` is the two together, so its gradient
sends each sorted element's gradient to where that element came from.

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> T.sort(x).eval({x: [3, 1, 2]}), T.argsort(x).eval({x: [3, 1, 2]})
(array([1., 2., 3.]), array([1, 2, 0]))
"""

from dataclasses import dataclass

from minitensor.graph import Apply, Op
from minitensor.tensor.shape_ops import along_axis
from minitensor.tensor.type import TensorType, dtype_kind
from minitensor.tensor.variable import as_tensor_variable


@dataclass(frozen=True)
class ArgSort(Op):
    """The int64 positions that sort x along ``axis``, as ``numpy.argsort`` (ties in NumPy's order)."""

    axis: int

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"argsort along axis {self.axis} of {x.describe()}")
        return Apply(self, [x], [TensorType("int64", x.broadcastable)()])

    def impl(self, xp, x):
        return xp.argsort(x, axis=self.axis).astype("int64")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        return [None]

    def __str__(self):
        return f"ArgSort{{axis={self.axis}}}"


@dataclass(frozen=True)
class PermuteAlongAxis(Op):
    """y = take_along_axis(x, perm, axis), where each line of ``perm`` along ``axis`` is a permutation.

    Gradient: x[perm[i]] went to y[i], so gx = take_along_axis(g, argsort(perm), axis).
    """

    axis: int

    def make_node(self, x, perm):
        x, perm = as_tensor_variable(x), as_tensor_variable(perm)
        if perm.ndim != x.ndim or dtype_kind(perm.dtype) not in "iu":
            raise TypeError(f"permuting {x.describe()} needs an integer permutation of the same rank, "
                            f"got {perm.describe()}")
        broadcastable = tuple(a and b for a, b in zip(x.broadcastable, perm.broadcastable))
        return Apply(self, [x, perm], [TensorType(x.dtype, broadcastable)()])

    def impl(self, xp, x, perm):
        return xp.take_along_axis(x, perm, axis=self.axis)

    def infer_shape(self, node, input_shapes):
        # Along the axis, perm's length; along the others, x's and perm's broadcast together.
        x_pattern, (x_shape, perm_shape) = node.inputs[0].broadcastable, input_shapes
        return [tuple(p if d == self.axis or x_pattern[d] else s
                      for d, (s, p) in enumerate(zip(x_shape, perm_shape)))]

    def grad(self, inputs, outputs, grads):
        perm = inputs[1]
        return [PermuteAlongAxis(self.axis)(grads[0], ArgSort(self.axis)(perm)), None]

    def __str__(self):
        return f"PermuteAlongAxis{{axis={self.axis}}}"


def argsort(a, axis=-1, kind="quicksort", order=None):
    """The positions that sort ``a`` along ``axis`` (None: of ``a`` flattened), as int64."""
    a, axis = along_axis(a, axis)
    return ArgSort(axis)(a)


def sort(a, axis=-1, kind="quicksort", order=None):
    """``a`` sorted along ``axis`` (None: flattened); each element's gradient goes back to it."""
    a, axis = along_axis(a, axis)
    return PermuteAlongAxis(axis)(a, ArgSort(axis)(a))
