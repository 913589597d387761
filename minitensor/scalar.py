"""Scalars as a type of their own, as in Theano's ``theano.scalar``: ``float64('x')``, ``add``, ``mul``.

Theano's pages on rewriting (``doc/extending/optimization.txt``) build their
examples from these: graphs of single numbers, whose ops print by their names,
``add(z, mul(x, y))``. A scalar variable holds a NumPy scalar of its dtype. The
tensor ops of ``minitensor.tensor`` are where arithmetic on arrays lives; these
ops compute the same functions with the same ufuncs, on one number. They have no
gradients: ``grad`` differentiates tensor graphs.
"""

from dataclasses import dataclass
from functools import reduce

import numpy as np

from minitensor.graph import Apply, Constant, Op, Type, Variable


class ScalarType(Type):
    """Single numbers of one dtype; values are NumPy scalars (``numpy.float64(2.0)``)."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype).name

    @property
    def variable_class(self):
        return ScalarVariable

    constant_class = property(lambda self: ScalarConstant)

    def __eq__(self, other):
        return type(other) is ScalarType and other.dtype == self.dtype

    def __hash__(self):
        return hash((ScalarType, self.dtype))

    def __str__(self):
        return self.dtype

    def __repr__(self):
        return f"Scalar({self.dtype})"

    def filter(self, value, strict=False, allow_downcast=None):
        dtype = np.dtype(self.dtype)
        if strict:
            if not (isinstance(value, np.generic) and value.dtype == dtype):
                raise TypeError(f"expected a NumPy {self.dtype} scalar, got {value!r}")
            return value
        array = np.asarray(value)
        if array.ndim != 0:
            raise TypeError(f"a {self.dtype} scalar cannot hold a value of shape {array.shape}")
        converted = array.astype(dtype)
        if not allow_downcast and not np.can_cast(array.dtype, dtype) and converted != array:
            raise TypeError(f"{value!r} cannot be held exactly by a {self.dtype} scalar; "
                            f"pass allow_downcast=True to round it")
        return converted[()]

    def values_eq_approx(self, a, b, tolerance=1e-4):
        return bool(np.isclose(a, b, rtol=tolerance, atol=tolerance))


class _ScalarOperators:
    """Arithmetic on scalar variables builds scalar ops."""

    ndim = 0
    broadcastable = ()

    @property
    def dtype(self):
        return self.type.dtype

    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return sub(self, other)
    def __rsub__(self, other): return sub(other, self)
    def __mul__(self, other): return mul(self, other)
    def __rmul__(self, other): return mul(other, self)
    def __truediv__(self, other): return true_div(self, other)
    def __rtruediv__(self, other): return true_div(other, self)
    def __neg__(self): return neg(self)


class ScalarVariable(_ScalarOperators, Variable):
    """A variable of a ``ScalarType``."""


class ScalarConstant(_ScalarOperators, Constant):
    """A scalar constant; it prints as its value."""

    def __str__(self):
        return self.name if self.name is not None else str(self.data)


def as_scalar(value, name=None):
    """``value`` as a scalar variable: a scalar variable itself, or a constant holding a number."""
    if isinstance(value, Variable):
        if not isinstance(value.type, ScalarType):
            raise TypeError(f"expected a scalar variable, got {value.describe()}")
        return value
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "biuf":
        raise TypeError(f"a scalar constant holds one number, got {value!r}")
    return ScalarConstant(ScalarType(array.dtype), array[()], name=name)


def constant(value, name=None):
    return as_scalar(value, name)


@dataclass(frozen=True)
class ScalarOp(Op):
    """The NumPy ufunc ``ufunc`` applied to ``nin`` scalars (any number when ``nin`` is None)."""

    name: str
    ufunc: str
    nin: object = 2

    def make_node(self, *inputs):
        if self.nin is not None and len(inputs) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} scalars, got {len(inputs)}")
        inputs = [as_scalar(i) for i in inputs]
        dtype = self.impl(np, *[np.ones((), i.dtype) for i in inputs]).dtype
        return Apply(self, inputs, [ScalarType(dtype)()])

    def impl(self, xp, *values):
        ufunc = getattr(xp, self.ufunc)
        return reduce(ufunc, values) if self.nin is None else ufunc(*values)

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Identity(Op):
    """The input itself."""

    def make_node(self, x):
        x = as_scalar(x)
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        return x

    def __str__(self):
        return "identity"


add = ScalarOp("add", "add", None)
sub = ScalarOp("sub", "subtract")
mul = ScalarOp("mul", "multiply", None)
true_div = ScalarOp("true_div", "true_divide")
neg = ScalarOp("neg", "negative", 1)
exp = ScalarOp("exp", "exp", 1)
log = ScalarOp("log", "log", 1)
identity = Identity()

int8, int16, int32, int64 = (ScalarType(d) for d in ("int8", "int16", "int32", "int64"))
float16, float32, float64 = (ScalarType(d) for d in ("float16", "float32", "float64"))
