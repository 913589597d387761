"""Products of tensors: ``dot``, ``outer``, ``tensordot``, ``batched_dot``, ``batched_tensordot``.

Two ops do the work (cuBLAS on the GPU, BLAS through NumPy on the CPU): ``Dot`` for
vectors and matrices, ``BatchedDot`` for stacks of matrices. The others are built
from them as Theano builds them: ``tensordot`` moves the summed axes together and
reshapes both inputs to matrices, so its gradient comes from the ops it is made of.
"""

import functools
import operator
from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import dimshuffle, flatten, reshape, shape, shape_entries
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable


@dataclass(frozen=True)
class Dot(Op):
    """x . y for vectors and matrices: inner product, matrix-vector or matrix-matrix.

    With z = x . y and gradient g of z: dx = g . y^T and dy = x^T . g, where a
    vector's "transpose" makes an outer product; each case below spells that out.
    """

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"dot takes vectors and matrices, got {x.type} and {y.type}")
        broadcastable = x.broadcastable[:-1] + y.broadcastable[1:]
        dtype = np.result_type(x.dtype, y.dtype).name
        return Apply(self, [x, y], [TensorType(dtype, broadcastable)()])

    def impl(self, xp, x, y):
        return xp.asarray(xp.dot(x, y))

    def make_thunk(self, node, xp):
        # Only the inner product of two vectors comes back from dot as a scalar, not an array.
        return super().make_thunk(node, xp) if node.outputs[0].ndim == 0 else xp.dot

    def infer_shape(self, node, input_shapes):
        x_shape, y_shape = input_shapes
        return [x_shape[:-1] + y_shape[1:]]  # (m, k) . (k, n) is (m, n); a vector's k is dropped

    def grad(self, inputs, outputs, grads):
        x, y = inputs
        g = grads[0]
        if x.ndim == 1 and y.ndim == 1:
            return [g * y, g * x]
        if x.ndim == 2 and y.ndim == 1:
            return [outer(g, y), dot(x.T, g)]
        if x.ndim == 1 and y.ndim == 2:
            return [dot(y, g), outer(x, g)]
        return [dot(g, y.T), dot(x.T, g)]

    def __str__(self):
        return "dot"


_dot = Dot()


def dot(x, y):
    """Theano's ``T.dot``, as ``numpy.dot``: a matrix or vector product; with a 0-d operand, a
    multiplication; beyond two dimensions, a sum over the last axis of x and the second-to-last of y.

    >>> import minitensor.tensor as T
    >>> x, y = T.dtensor3('x'), T.dmatrix('y')
    >>> T.dot(x, y).eval({x: [[[1, 2]], [[3, 4]]], y: [[1, 0, 1], [0, 1, 1]]})
    array([[[1., 2., 3.]],
    <BLANKLINE>
           [[3., 4., 7.]]])
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        return E.mul(x, y)
    if x.ndim <= 2 and y.ndim <= 2:
        return _dot(x, y)
    return tensordot(x, y, [[x.ndim - 1], [max(0, y.ndim - 2)]])


def outer(x, y):
    """The outer product of ``x`` and ``y`` as a matrix; inputs of other ranks are flattened first, as in Theano."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    x, y = (v if v.ndim == 1 else flatten(v) for v in (x, y))
    return _dot(dimshuffle(x, 0, "x"), dimshuffle(y, "x", 0))


def _sizes(x):
    """x's length along each axis: 1 where it is broadcastable, else a symbolic scalar."""
    return shape_entries(shape(x))


def _product(sizes):
    """The product of ``sizes`` (ints and integer scalars); 1 for none."""
    return functools.reduce(operator.mul, sizes) if sizes else 1


def _axis_pairs(axes, x, y):
    """``axes`` of ``tensordot`` (an int n: x's last n with y's first n; or two lists) as two lists."""
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(x.ndim, y.ndim):
            raise ValueError(f"tensordot over {axes} axes of inputs of {x.ndim} and {y.ndim} dimensions")
        return list(range(x.ndim - axes, x.ndim)), list(range(axes))
    if len(axes) != 2:
        raise ValueError(f"tensordot's axes is an int or a pair of axis lists, got {axes!r}")
    x_axes, y_axes = ([a] if isinstance(a, (int, np.integer)) else list(a) for a in axes)
    if len(x_axes) != len(y_axes):
        raise ValueError(f"tensordot sums over as many axes of each input, got {axes!r}")
    return ([int(a) % x.ndim for a in x_axes], [int(a) % y.ndim for a in y_axes])


def tensordot(x, y, axes=2):
    """``numpy.tensordot``: the products of x and y summed over the axis pairs ``axes``.

    Built as Theano builds it: the summed axes are moved to x's end and y's front,
    each input reshaped to a matrix, one ``dot``, and the result reshaped to
    x's remaining axes followed by y's. Its gradient is that of those ops.
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    x_axes, y_axes = _axis_pairs(axes, x, y)
    x_kept = [d for d in range(x.ndim) if d not in x_axes]
    y_kept = [d for d in range(y.ndim) if d not in y_axes]
    x, y = dimshuffle(x, *(x_kept + x_axes)), dimshuffle(y, *(y_axes + y_kept))
    x_sizes, y_sizes = _sizes(x), _sizes(y)
    summed = len(x_axes)
    x_matrix = reshape(x, (_product(x_sizes[:len(x_kept)]), _product(x_sizes[len(x_kept):])))
    y_matrix = reshape(y, (_product(y_sizes[:summed]), _product(y_sizes[summed:])))
    return reshape(_dot(x_matrix, y_matrix), tuple(x_sizes[:len(x_kept)] + y_sizes[summed:]))


@dataclass(frozen=True)
class BatchedDot(Op):
    """z[b] = x[b] . y[b] for each b along the first axis of two 3-d inputs (``numpy.matmul``).

    The gradient is another batched product: dx[b] = g[b] . y[b]^T and dy[b] = x[b]^T . g[b].
    """

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim != 3 or y.ndim != 3:
            raise TypeError(f"BatchedDot takes two 3-d tensors, got {x.type} and {y.type}")
        broadcastable = (x.broadcastable[0] and y.broadcastable[0], x.broadcastable[1], y.broadcastable[2])
        dtype = np.result_type(x.dtype, y.dtype).name
        return Apply(self, [x, y], [TensorType(dtype, broadcastable)()])

    def impl(self, xp, x, y):
        if x.shape[0] != y.shape[0] or x.shape[2] != y.shape[1]:
            raise ValueError(f"batched_dot of shapes {x.shape} and {y.shape}: the batch sizes and the "
                             f"summed lengths must agree")
        return xp.matmul(x, y)

    def infer_shape(self, node, input_shapes):
        x_shape, y_shape = input_shapes
        return [(x_shape[0], x_shape[1], y_shape[2])]

    def grad(self, inputs, outputs, grads):
        x, y = inputs
        g = grads[0]
        return [_batched_dot(g, dimshuffle(y, 0, 2, 1)), _batched_dot(dimshuffle(x, 0, 2, 1), g)]

    def __str__(self):
        return "BatchedDot"


_batched_dot = BatchedDot()


def batched_dot(x, y):
    """The dot product of x[i] and y[i] for each i along the first (batch) axis.

    A 2-d input stands for a batch of vectors; inputs of more than three
    dimensions go to ``batched_tensordot``, as in Theano.

    >>> import minitensor.tensor as T
    >>> x, y = T.dtensor3('x'), T.dtensor3('y')
    >>> T.batched_dot(x, y).eval({x: [[[1, 2]], [[3, 4]]], y: [[[1], [1]], [[2], [0]]]})
    array([[[3.]],
    <BLANKLINE>
           [[6.]]])
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        raise TypeError(f"batched_dot needs inputs with a batch axis, got {x.type} and {y.type}")
    if x.ndim == 1:
        return dimshuffle(x, 0, *["x"] * (y.ndim - 1)) * y
    if y.ndim == 1:
        return x * dimshuffle(y, 0, *["x"] * (x.ndim - 1))
    if x.ndim > 3 or y.ndim > 3:
        return batched_tensordot(x, y, [[x.ndim - 1], [max(1, y.ndim - 2)]])
    x3 = x if x.ndim == 3 else dimshuffle(x, 0, "x", 1)
    y3 = y if y.ndim == 3 else dimshuffle(y, 0, 1, "x")
    z = _batched_dot(x3, y3)
    return dimshuffle(z, 0, *([1] if x.ndim == 3 else []), *([2] if y.ndim == 3 else []))


def batched_tensordot(x, y, axes=2):
    """``tensordot`` of x[i] and y[i] for each i along the first (batch) axis; ``axes`` count
    the batch axis (an int n sums x's last n axes with y's axes 1 to n)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if isinstance(axes, (int, np.integer)):
        x_axes, y_axes = list(range(x.ndim - axes, x.ndim)), list(range(1, axes + 1))
    else:
        x_axes, y_axes = _axis_pairs(axes, x, y)
    if 0 in x_axes or 0 in y_axes or not x_axes:
        raise ValueError(f"batched_tensordot sums over one or more axes other than the batch axis 0, "
                         f"got {axes!r}")
    x_kept = [d for d in range(1, x.ndim) if d not in x_axes]
    y_kept = [d for d in range(1, y.ndim) if d not in y_axes]
    x, y = dimshuffle(x, 0, *(x_kept + x_axes)), dimshuffle(y, 0, *(y_axes + y_kept))
    x_sizes, y_sizes = _sizes(x), _sizes(y)
    kept, summed = len(x_kept), len(x_axes)
    batch = x_sizes[0]
    x3 = reshape(x, (batch, _product(x_sizes[1:1 + kept]), _product(x_sizes[1 + kept:])))
    y3 = reshape(y, (y_sizes[0], _product(y_sizes[1:1 + summed]), _product(y_sizes[1 + summed:])))
    return reshape(_batched_dot(x3, y3), tuple([batch] + x_sizes[1:1 + kept] + y_sizes[1 + summed:]))
