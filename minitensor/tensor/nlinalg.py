"""Linear algebra of matrices, as Theano's ``tensor.nlinalg`` (and ``slinalg.solve``): inverses,
determinants, solving, decompositions, diagonals and traces.

Each op calls the array module's ``linalg`` (NumPy's or CuPy's, which have the same
functions). Gradients, where defined, come from differentiating the defining
identity, with Y = inv(X):

* ``matrix_inverse``: dY = -Y dX Y, so gX = -Y^T g Y^T;
* ``det``: d det(X) = det(X) tr(Y dX), so gX = g det(X) Y^T;
* ``solve(A, b)``: x = A^-1 b, so gb = solve(A^T, g) and gA = -gb x^T.

``eigh``'s gradient is perturbation theory's (see ``Eigh``); ``svd``, ``qr`` and
``pinv`` have none, as in Theano. Diagonals and traces are indexing: ``diagonal(x, k)`` reads
x at (i, i + k) with advanced indexing, so its gradient comes with it.

>>> import minitensor.tensor as T
>>> from minitensor.tensor import nlinalg
>>> x = T.dmatrix('x')
>>> nlinalg.det(x).eval({x: [[2, 0], [1, 3]]}), nlinalg.trace(x).eval({x: [[2, 0], [1, 3]]})
(array(6.), array(5.))
"""

from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.construction import arange, eye, tril, triu, zeros
from minitensor.tensor.linalg import dot, outer
from minitensor.tensor.reduction import sum as reduce_sum
from minitensor.tensor.shape_ops import dimshuffle, shape
from minitensor.tensor.subtensor import set_subtensor
from minitensor.tensor.type import TensorType, is_float
from minitensor.tensor.variable import as_tensor_variable


def _float_matrix(x, name):
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{name} takes a matrix, got {x.describe()}")
    return x if is_float(x.dtype) else E.cast(x, "float64")


@dataclass(frozen=True)
class MatrixInverse(Op):
    """The inverse of a square matrix X; gX = -Y^T g Y^T with Y = inv(X)."""

    def make_node(self, x):
        x = _float_matrix(x, "matrix_inverse")
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        return xp.linalg.inv(x)

    def grad(self, inputs, outputs, grads):
        y_t = outputs[0].T
        return [-dot(dot(y_t, grads[0]), y_t)]


@dataclass(frozen=True)
class Det(Op):
    """The determinant of a square matrix X; gX = g det(X) inv(X)^T."""

    def make_node(self, x):
        x = _float_matrix(x, "det")
        return Apply(self, [x], [TensorType(x.dtype, ())()])

    def impl(self, xp, x):
        return xp.asarray(xp.linalg.det(x), dtype=x.dtype)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * outputs[0] * matrix_inverse(inputs[0]).T]


@dataclass(frozen=True)
class Solve(Op):
    """x with A x = b, for a square A and a vector or matrix b; gb = solve(A^T, g), gA = -gb x^T."""

    def make_node(self, a, b):
        a, b = _float_matrix(a, "solve"), as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise TypeError(f"solve takes a vector or a matrix b, got {b.describe()}")
        dtype = np.result_type(a.dtype, b.dtype, np.float32).name
        return Apply(self, [a, b], [TensorType(dtype, b.broadcastable)()])

    def impl(self, xp, a, b):
        return xp.linalg.solve(a, b).astype(np.result_type(a.dtype, b.dtype, np.float32))

    def grad(self, inputs, outputs, grads):
        a, b = inputs
        g_b = solve(a.T, grads[0])
        x = outputs[0]
        g_a = -(outer(g_b, x) if b.ndim == 1 else dot(g_b, x.T))
        return [g_a, g_b]


@dataclass(frozen=True)
class Eigh(Op):
    """The eigenvalues w (ascending) and eigenvectors V (columns) of a symmetric matrix A, read
    from its ``UPLO`` ('L' lower or 'U' upper) triangle.

    Gradient, from first-order perturbation theory (dw_n = v_n^T dA v_n, and
    dv_n = sum over m != n of v_m (v_m^T dA v_n) / (w_n - w_m)), with gw and gV the
    gradients of w and V:

        G = V (diag(gw) + C) V^T,   C[n, m] = (gV^T V)[n, m] / (w_n - w_m) off the diagonal, 0 on it;

    then, since only one triangle is read, each entry there collects the gradients of
    both places it stands for in the symmetric matrix: for 'L', tril(G) + triu(G, 1)^T.
    It is infinite where two eigenvalues are equal (their eigenvectors are not unique).
    """

    UPLO: str = "L"

    def make_node(self, x):
        x = _float_matrix(x, "eigh")
        if self.UPLO not in ("L", "U"):
            raise ValueError(f"eigh's UPLO must be 'L' or 'U', got {self.UPLO!r}")
        return Apply(self, [x], [TensorType(x.dtype, (False,))(), x.type()])

    def impl(self, xp, x):
        w, v = xp.linalg.eigh(x, UPLO=self.UPLO)
        return w, v

    def grad(self, inputs, outputs, grads):
        (w, v), (g_w, g_v) = outputs, grads
        identity = eye(shape(w)[0], dtype=w.dtype)
        gaps = dimshuffle(w, 0, "x") - dimshuffle(w, "x", 0)  # gaps[n, m] = w_n - w_m
        mixing = dot(g_v.T, v) * (1 - identity) / (gaps + identity)
        g = dot(dot(v, identity * dimshuffle(g_w, "x", 0) + mixing), v.T)
        if self.UPLO == "L":
            return [tril(g) + triu(g, 1).T]
        return [triu(g) + tril(g, -1).T]


@dataclass(frozen=True)
class SVD(Op):
    """The singular value decomposition of a matrix, as ``numpy.linalg.svd``: with ``compute_uv``,
    [U, s, V^T]; else s. No gradient here, as in Theano."""

    full_matrices: bool = True
    compute_uv: bool = True

    def make_node(self, x):
        x = _float_matrix(x, "svd")
        outputs = ([x.type(), TensorType(x.dtype, (False,))(), x.type()] if self.compute_uv
                   else [TensorType(x.dtype, (False,))()])
        return Apply(self, [x], outputs)

    def impl(self, xp, x):
        result = xp.linalg.svd(x, full_matrices=self.full_matrices, compute_uv=self.compute_uv)
        return tuple(result) if self.compute_uv else result


@dataclass(frozen=True)
class QR(Op):
    """The QR decomposition of a matrix, as ``numpy.linalg.qr``: [Q, R] for ``mode`` 'reduced'
    or 'complete', R alone for 'r'. No gradient here, as in Theano."""

    mode: str = "reduced"

    def make_node(self, x):
        x = _float_matrix(x, "qr")
        if self.mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr's mode must be 'reduced', 'complete' or 'r', got {self.mode!r}")
        return Apply(self, [x], [x.type() for _ in range(1 if self.mode == "r" else 2)])

    def impl(self, xp, x):
        result = xp.linalg.qr(x, mode=self.mode)
        return result if self.mode == "r" else tuple(result)


@dataclass(frozen=True)
class MatrixPinv(Op):
    """The Moore-Penrose pseudo-inverse of a matrix. No gradient here, as in Theano."""

    def make_node(self, x):
        x = _float_matrix(x, "pinv")
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        return xp.linalg.pinv(x)


matrix_inverse, det, pinv = MatrixInverse(), Det(), MatrixPinv()


def solve(a, b):
    """x with ``a`` x = ``b`` (``numpy.linalg.solve``; Theano's ``slinalg.solve``)."""
    return Solve()(a, b)


def eigh(a, UPLO="L"):
    """[eigenvalues, eigenvectors] of the symmetric matrix ``a``."""
    return Eigh(UPLO)(a)


def svd(a, full_matrices=1, compute_uv=1):
    """``numpy.linalg.svd`` of ``a``: [U, s, V^T], or s alone without ``compute_uv``."""
    return SVD(bool(full_matrices), bool(compute_uv))(a)


def qr(a, mode="reduced"):
    """``numpy.linalg.qr`` of ``a``: [Q, R], or R alone for mode 'r'."""
    return QR(mode)(a)


def matrix_dot(*args):
    """The product of the matrices ``args``, left to right."""
    result = args[0]
    for a in args[1:]:
        result = dot(result, a)
    return result


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal of the matrix ``x``: x[i, i + offset], as ``numpy.diagonal``."""
    x = as_tensor_variable(x)
    if x.ndim != 2 or (axis1, axis2) not in ((0, 1), (1, 0)):
        raise NotImplementedError(f"diagonal of a matrix only (axes 0 and 1), got {x.describe()}")
    x = x if (axis1, axis2) == (0, 1) else x.T
    first_row, first_col = max(0, -offset), max(0, offset)
    rows, cols = shape(x)[0], shape(x)[1]
    length = E.maximum(E.minimum(rows - first_row, cols - first_col), 0)
    positions = arange(length)
    return x[positions + first_row, positions + first_col]


extract_diag = diagonal


def diag(v, k=0):
    """A matrix with the vector ``v`` on its ``k``-th diagonal, or the ``k``-th diagonal of the
    matrix ``v``, as ``numpy.diag``."""
    v = as_tensor_variable(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise TypeError(f"diag takes a vector or a matrix, got {v.describe()}")
    size = shape(v)[0] + abs(k)
    positions = arange(shape(v)[0])
    return set_subtensor(zeros((size, size), dtype=v.dtype)[positions + max(0, -k), positions + max(0, k)], v)


alloc_diag = diag


def trace(x):
    """The sum of the diagonal of the matrix ``x``."""
    return reduce_sum(diagonal(x))


__all__ = ["matrix_inverse", "det", "solve", "eigh", "svd", "qr", "pinv", "matrix_dot", "diagonal",
           "extract_diag", "diag", "alloc_diag", "trace"]
