"""Tensor variables and constants, and the Python operators that build graphs from them.

``x + y`` calls ``T.add(x, y)``; every operator and method here only builds a
node and returns its output, so this file is a map from Python syntax to ops.
Equality (``==``) keeps its Python meaning, identity, because variables are used
as dictionary keys; use ``T.eq`` for the elementwise comparison, as in Theano.
"""

import numpy as np

from minitensor.graph import Constant, Variable
from minitensor.tensor.type import TensorType


class _TensorOperators:
    """The operators and methods that tensor variables, constants and shared variables share."""

    # Make numpy hand ``ndarray * variable`` to our reflected operators.
    __array_ufunc__ = None

    ndim = property(lambda self: self.type.ndim)
    dtype = property(lambda self: self.type.dtype)
    broadcastable = property(lambda self: self.type.broadcastable)

    def __bool__(self):
        raise TypeError(f"the truth value of symbolic variable {self} is unknown until the graph "
                        f"runs; use T.switch for conditions and T.and_/T.or_ for logic")

    def __iter__(self):
        # ``a, b = x.shape[:2]`` works when the graph says the length, as in Theano; otherwise
        # Python would iterate through __getitem__ with 0, 1, 2, ... for ever.
        length = S.vector_length(self)
        if length is None:
            raise TypeError(f"symbolic variable {self} cannot be iterated: its length is unknown "
                            f"until the graph runs")
        return (self[i] for i in range(length))

    def __getitem__(self, index): return subtensor.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError(f"symbolic variable {self} cannot be assigned to; use "
                        f"T.set_subtensor(x[index], value), which returns the updated copy")

    def __add__(self, other): return E.add(self, other)
    def __radd__(self, other): return E.add(other, self)
    def __sub__(self, other): return E.sub(self, other)
    def __rsub__(self, other): return E.sub(other, self)
    def __mul__(self, other): return E.mul(self, other)
    def __rmul__(self, other): return E.mul(other, self)
    def __truediv__(self, other): return E.true_div(self, other)
    def __rtruediv__(self, other): return E.true_div(other, self)
    def __floordiv__(self, other): return E.int_div(self, other)
    def __rfloordiv__(self, other): return E.int_div(other, self)
    def __mod__(self, other): return M.mod(self, other)
    def __rmod__(self, other): return M.mod(other, self)
    def __xor__(self, other): return M.xor(self, other)
    def __rxor__(self, other): return M.xor(other, self)
    def __pow__(self, other): return E.pow(self, other)
    def __rpow__(self, other): return E.pow(other, self)
    def __neg__(self): return E.neg(self)
    def __abs__(self): return E.abs_(self)
    def __lt__(self, other): return E.lt(self, other)
    def __le__(self, other): return E.le(self, other)
    def __gt__(self, other): return E.gt(self, other)
    def __ge__(self, other): return E.ge(self, other)
    def __and__(self, other): return E.and_(self, other)
    def __rand__(self, other): return E.and_(other, self)
    def __or__(self, other): return E.or_(self, other)
    def __ror__(self, other): return E.or_(other, self)
    def __invert__(self): return E.invert(self)

    def astype(self, dtype): return E.cast(self, dtype)
    def dot(self, other): return L.dot(self, other)
    def __dot__(self, other): return L.dot(self, other)
    def __rdot__(self, other): return L.dot(other, self)
    def __matmul__(self, other): return L.dot(self, other)
    def __rmatmul__(self, other): return L.dot(other, self)

    # elementwise functions, as methods (``x.exp()``), as in Theano
    def exp(self): return E.exp(self)
    def expm1(self): return E.expm1(self)
    def log(self): return E.log(self)
    def log1p(self): return E.log1p(self)
    def sqrt(self): return E.sqrt(self)
    def sin(self): return E.sin(self)
    def cos(self): return E.cos(self)
    def tanh(self): return E.tanh(self)
    def tan(self): return M.tan(self)
    def arcsin(self): return M.arcsin(self)
    def arccos(self): return M.arccos(self)
    def arctan(self): return M.arctan(self)
    def sinh(self): return M.sinh(self)
    def cosh(self): return M.cosh(self)
    def arcsinh(self): return M.arcsinh(self)
    def arccosh(self): return M.arccosh(self)
    def arctanh(self): return M.arctanh(self)
    def exp2(self): return M.exp2(self)
    def log2(self): return M.log2(self)
    def log10(self): return M.log10(self)
    def deg2rad(self): return M.deg2rad(self)
    def rad2deg(self): return M.rad2deg(self)
    def floor(self): return M.floor(self)
    def ceil(self): return M.ceil(self)
    def trunc(self): return M.trunc(self)
    def round(self, mode=None): return M.round(self, mode)
    def erf(self): return special.erf(self)
    def erfc(self): return special.erfc(self)
    def clip(self, a_min, a_max): return E.clip(self, a_min, a_max)
    def fill(self, value): return E.fill(self, value)
    def zeros_like(self, dtype=None): return E.zeros_like(self, dtype)
    def ones_like(self, dtype=None): return E.ones_like(self, dtype)
    def copy(self, name=None):
        copied = M.tensor_copy(self)
        copied.name = name
        return copied

    @property
    def shape(self): return S.shape(self)
    @property
    def T(self): return S.transpose(self)
    def transpose(self, *axes): return S.transpose(self, axes or None)
    def dimshuffle(self, *pattern): return S.dimshuffle(self, *pattern)
    def reshape(self, shape, ndim=None): return S.reshape(self, shape, ndim)
    def flatten(self, ndim=1): return S.flatten(self, ndim)
    def ravel(self): return S.flatten(self)
    def squeeze(self): return B.squeeze(self)
    def swapaxes(self, axis1, axis2): return S.swapaxes(self, axis1, axis2)

    @property
    def size(self): return R.prod(S.shape(self))

    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return R.sum(self, axis, dtype, keepdims, acc_dtype)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return R.mean(self, axis, dtype, keepdims, acc_dtype)

    def max(self, axis=None, keepdims=False): return R.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return R.min(self, axis, keepdims)
    def prod(self, axis=None, dtype=None, keepdims=False): return R.prod(self, axis, dtype, keepdims)
    def argmax(self, axis=None, keepdims=False): return R.argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return R.argmin(self, axis, keepdims)
    def any(self, axis=None, keepdims=False): return R.any(self, axis, keepdims)
    def all(self, axis=None, keepdims=False): return R.all(self, axis, keepdims)
    def ptp(self, axis=None, keepdims=False): return R.ptp(self, axis, keepdims)

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return R.var(self, axis, ddof, keepdims, corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return R.std(self, axis, ddof, keepdims, corrected)

    def cumsum(self, axis=None): return X.cumsum(self, axis)
    def cumprod(self, axis=None): return X.cumprod(self, axis)
    def repeat(self, repeats, axis=None): return X.repeat(self, repeats, axis)
    def searchsorted(self, v, side="left", sorter=None): return X.searchsorted(self, v, side, sorter)
    def nonzero(self, return_matrix=False): return X.nonzero(self, return_matrix)
    def nonzero_values(self): return X.nonzero_values(self)
    def choose(self, choices, out=None, mode="raise"): return X.choose(self, choices, out, mode)
    def sort(self, axis=-1, kind="quicksort", order=None): return sorting.sort(self, axis, kind, order)
    def argsort(self, axis=-1, kind="quicksort", order=None): return sorting.argsort(self, axis, kind, order)

    def take(self, indices, axis=None, mode="raise"):
        """The elements at ``indices`` along ``axis`` (of the flattened x when None), as ``numpy.take``."""
        if axis is None:
            return S.flatten(self)[indices]
        return self[(slice(None),) * (axis % self.ndim) + (indices,)]

    def diagonal(self, offset=0, axis1=0, axis2=1): return N.diagonal(self, offset, axis1, axis2)
    def trace(self): return N.trace(self)

    def norm(self, L, axis=None, keepdims=False):
        """The L-norm over ``axis``: (sum |x|**L) ** (1/L); L=0 counts the nonzero elements."""
        if L == 0:
            return R.sum(E.neq(self, 0), axis, keepdims=keepdims)
        if L == 1:
            return R.sum(E.abs_(self), axis, keepdims=keepdims)
        if L == float("inf"):
            return R.max(E.abs_(self), axis, keepdims)
        return R.sum(E.abs_(self) ** L, axis, keepdims=keepdims) ** (1.0 / L)


    def eval(self, inputs_to_values=None, **kwargs):
        """This variable's value, given ``{input: value}`` for the inputs it depends on.

        The compiled function is kept, so evaluating again with the same inputs is fast.
        Keyword arguments go to ``function`` (``on_unused_input='ignore'``, ``mode=...``).

        >>> import minitensor.tensor as T
        >>> x, y = T.dscalars('x', 'y')
        >>> (x + y).eval({x: 16.3, y: 12.1})
        array(28.4)
        """
        from minitensor.compile.function import function  # the compiler imports this module
        inputs_to_values = inputs_to_values or {}
        inputs = tuple(inputs_to_values)
        key = (inputs, tuple(sorted(kwargs.items(), key=lambda item: item[0])))
        cache = self.__dict__.setdefault("_eval_functions", {})
        if key not in cache:
            cache[key] = function(list(inputs), self, **kwargs)
        return cache[key](*inputs_to_values.values())


class TensorVariable(_TensorOperators, Variable):
    """A symbolic array: ``T.matrix('x')`` or the output of an op."""


class TensorConstant(_TensorOperators, Constant):
    """An array fixed when the graph is built; ``data`` holds it."""

    def __str__(self):
        if self.name is not None:
            return self.name
        flat = self.data.reshape(-1)
        if self.data.ndim > 0 and flat.size and (flat == flat[0]).all():
            text = f"{self.data.shape} of {flat[0].item()!r}"  # as Theano: TensorConstant{(2,) of 0.5}
        elif self.data.size == 1:
            text = repr(self.data.item())
        else:
            text = np.array2string(self.data, threshold=10, separator=", ").replace("\n", "")
        return f"TensorConstant{{{text}}}"

    __repr__ = __str__

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.data.setflags(write=False)  # pickle does not keep the flag that constant() set


def constant(value, dtype=None, name=None):
    """A constant holding ``value``; its length-1 dimensions are broadcastable, as in Theano."""
    data = np.array(value, dtype=dtype)
    data.setflags(write=False)
    return TensorConstant(TensorType(data.dtype, [size == 1 for size in data.shape]), data, name=name)


def as_tensor_variable(value, name=None):
    """``value`` itself if it is a tensor variable, else a constant made from it."""
    if isinstance(value, Variable):
        if not isinstance(value.type, TensorType):
            raise TypeError(f"expected a tensor variable, got {value} of type {value.type}")
        return value
    if isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in _flattened(value)):
        from minitensor.tensor.construction import stacklists  # it imports this module
        return stacklists(value)  # T.sum([a, b]), as in Theano: the list stacked into a tensor
    try:
        return constant(value, name=name)
    except (TypeError, ValueError) as error:
        raise TypeError(f"cannot make a tensor from {type(value).__name__} {value!r}: {error}") from None


def _flattened(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flattened(item)
        else:
            yield item


# The op modules import this one, so they are bound after the classes above exist.
from minitensor.tensor import elemwise as E  # noqa: E402
from minitensor.tensor import broadcast as B  # noqa: E402
from minitensor.tensor import linalg as L  # noqa: E402
from minitensor.tensor import math_functions as M  # noqa: E402
from minitensor.tensor import extra_ops as X  # noqa: E402
from minitensor.tensor import sorting  # noqa: E402
from minitensor.tensor import nlinalg as N  # noqa: E402
from minitensor.tensor import special  # noqa: E402
from minitensor.tensor import reduction as R  # noqa: E402
from minitensor.tensor import shape_ops as S  # noqa: E402
from minitensor.tensor import subtensor  # noqa: E402
