"""``dot``: products of vectors and matrices (cuBLAS on the GPU, BLAS through NumPy on the CPU)."""

from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import dimshuffle
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
    """Theano's ``T.dot``: a matrix or vector product; with a 0-d operand, a multiplication."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        return E.mul(x, y)
    return _dot(x, y)


def outer(x, y):
    """The outer product of two vectors, as a matrix."""
    return _dot(dimshuffle(x, 0, "x"), dimshuffle(y, "x", 0))
