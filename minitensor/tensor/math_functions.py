"""More elementwise functions, as ``theano.tensor`` names them: trigonometry, hyperbolic
functions, logarithms in other bases, rounding, predicates, modulo and xor.

They are elementwise ops like those of ``elemwise.py`` (read its docstring first):
each gives ``impl`` through a NumPy/CuPy ufunc, its gradient, and the scalar C
expression of a fused GPU kernel. Ops with a float result see integer inputs cast
to float first (``tan`` of an int32 vector is float64), as in Theano. The functions
NumPy defines on complex numbers take them (``allowed_kinds`` with 'c'); rounding,
``arctan2``, ``%`` and the degree conversions do not.

C expressions follow NumPy, not C: ``x % y`` takes the sign of y, and an integer
modulo by zero gives 0, through the helpers of ``c_helpers.py``.

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> T.arctan2(x, 1.0).eval({x: [0.0, 1.0]})
array([0.        , 0.78539816])
>>> i = T.ivector('i')
>>> (i % 3).eval({i: [-4, 4]})
array([2, 1], dtype=int32)
"""

import math
from dataclasses import dataclass

from minitensor.tensor.elemwise import Elemwise, abs_, c_compute_type, and_, cast, eq, int_div, le, or_, pow, sqr, sqrt
from minitensor.tensor.reduction import all as all_of
from minitensor.tensor.type import dtype_kind


class _Unary(Elemwise):
    """A unary op with a float result: ``ufunc`` in NumPy and CuPy, ``cname`` in C."""
    nin, output_kind = 1, "float"

    @property
    def c_template(self):
        return f"{self.cname}({{0}})"


# --- trigonometry ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Tan(_Unary):
    """Tangent; d/dx = 1 + tan(x)**2."""
    allowed_kinds = "biufc"
    ufunc = scalar_name = cname = "tan"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * (1 + sqr(outputs[0]))]


@dataclass(frozen=True)
class ArcSin(_Unary):
    """Inverse sine; d/dx = 1 / sqrt(1 - x**2)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, cname = "arcsin", "arcsin", "asin"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / sqrt(1 - sqr(inputs[0]))]


@dataclass(frozen=True)
class ArcCos(_Unary):
    """Inverse cosine; d/dx = -1 / sqrt(1 - x**2)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, cname = "arccos", "arccos", "acos"

    def grad(self, inputs, outputs, grads):
        return [-grads[0] / sqrt(1 - sqr(inputs[0]))]


@dataclass(frozen=True)
class ArcTan(_Unary):
    """Inverse tangent; d/dx = 1 / (1 + x**2)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, cname = "arctan", "arctan", "atan"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (1 + sqr(inputs[0]))]


@dataclass(frozen=True)
class ArcTan2(Elemwise):
    """The angle of the point (x, y): arctan(y / x) in the right quadrant.

    d/dy = x / (x**2 + y**2), d/dx = -y / (x**2 + y**2).
    """
    ufunc, scalar_name, c_template = "arctan2", "arctan2", "atan2({0}, {1})"
    nin, output_kind = 2, "float"

    def grad(self, inputs, outputs, grads):
        y, x = inputs
        r2 = sqr(x) + sqr(y)
        return [grads[0] * x / r2, -grads[0] * y / r2]


@dataclass(frozen=True)
class Deg2Rad(_Unary):
    """Degrees to radians: x * pi / 180."""
    ufunc = scalar_name = "deg2rad"
    c_template = f"({{0}} * {math.pi / 180!r})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * (math.pi / 180)]


@dataclass(frozen=True)
class Rad2Deg(_Unary):
    """Radians to degrees: x * 180 / pi."""
    ufunc = scalar_name = "rad2deg"
    c_template = f"({{0}} * {180 / math.pi!r})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * (180 / math.pi)]


# --- hyperbolic functions --------------------------------------------------------------------

@dataclass(frozen=True)
class Sinh(_Unary):
    """Hyperbolic sine; d/dx = cosh(x)."""
    allowed_kinds = "biufc"
    ufunc = scalar_name = cname = "sinh"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * cosh(inputs[0])]


@dataclass(frozen=True)
class Cosh(_Unary):
    """Hyperbolic cosine; d/dx = sinh(x)."""
    allowed_kinds = "biufc"
    ufunc = scalar_name = cname = "cosh"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * sinh(inputs[0])]


@dataclass(frozen=True)
class ArcSinh(_Unary):
    """Inverse hyperbolic sine; d/dx = 1 / sqrt(x**2 + 1)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, cname = "arcsinh", "arcsinh", "asinh"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / sqrt(sqr(inputs[0]) + 1)]


@dataclass(frozen=True)
class ArcCosh(_Unary):
    """Inverse hyperbolic cosine; d/dx = 1 / (sqrt(x - 1) sqrt(x + 1)), which is 1 / sqrt(x**2 - 1)
    for real x but keeps its sign for complex x with a negative real part."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, cname = "arccosh", "arccosh", "acosh"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (sqrt(inputs[0] - 1) * sqrt(inputs[0] + 1))]


@dataclass(frozen=True)
class ArcTanh(_Unary):
    """Inverse hyperbolic tangent; d/dx = 1 / (1 - x**2)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, cname = "arctanh", "arctanh", "atanh"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (1 - sqr(inputs[0]))]


# --- logarithms and powers in other bases ----------------------------------------------------

@dataclass(frozen=True)
class Log2(_Unary):
    """Base-2 logarithm; d/dx = 1 / (x log 2)."""
    allowed_kinds = "biufc"
    ufunc = scalar_name = cname = "log2"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (inputs[0] * math.log(2))]


@dataclass(frozen=True)
class Log10(_Unary):
    """Base-10 logarithm; d/dx = 1 / (x log 10)."""
    allowed_kinds = "biufc"
    ufunc = scalar_name = cname = "log10"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (inputs[0] * math.log(10))]


@dataclass(frozen=True)
class Exp2(_Unary):
    """2 ** x; d/dx = 2 ** x log 2."""
    allowed_kinds = "biufc"
    ufunc = scalar_name = cname = "exp2"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * outputs[0] * math.log(2)]


@dataclass(frozen=True)
class Inv(_Unary):
    """1 / x (Theano's ``inv``, NumPy's ``reciprocal`` of floats); d/dx = -1 / x**2."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, c_template = "reciprocal", "inv", "(1 / {0})"

    def grad(self, inputs, outputs, grads):
        return [-grads[0] * sqr(outputs[0])]


# --- rounding: piecewise constant, so no gradient (zero almost everywhere) --------------------

@dataclass(frozen=True)
class Floor(_Unary):
    """The largest integer not above x, as a float."""
    ufunc = scalar_name = cname = "floor"

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class Ceil(_Unary):
    """The smallest integer not below x, as a float."""
    ufunc = scalar_name = cname = "ceil"

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class Trunc(_Unary):
    """x with its fractional part dropped (towards zero), as a float."""
    ufunc = scalar_name = cname = "trunc"

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class RoundHalfToEven(_Unary):
    """x rounded to the nearest integer, halves to the even one (NumPy's ``round``)."""
    ufunc, scalar_name, cname = "rint", "round_half_to_even", "rint"

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class RoundHalfAwayFromZero(_Unary):
    """x rounded to the nearest integer, halves away from zero (C's ``round``)."""
    scalar_name, cname = "round_half_away_from_zero", "round"
    returns_new_array = True

    def impl(self, xp, x):
        whole = xp.trunc(x)  # x - whole is exact, so halves are recognised exactly
        return xp.where(xp.abs(x - whole) >= 0.5, whole + xp.sign(x), whole)

    def grad(self, inputs, outputs, grads):
        return [None]


# --- predicates: bool results -----------------------------------------------------------------

@dataclass(frozen=True)
class IsNaN(Elemwise):
    """Whether x is NaN (never, for integers)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, nin, output_kind = "isnan", "isnan", 1, "bool"

    def grad(self, inputs, outputs, grads):
        return [None]

    def c_expr(self, args, dtype):
        return f"isnan((double) {args[0]})"  # an integer converts to a number, never NaN


@dataclass(frozen=True)
class IsInf(Elemwise):
    """Whether x is infinite (never, for integers)."""
    allowed_kinds = "biufc"
    ufunc, scalar_name, nin, output_kind = "isinf", "isinf", 1, "bool"

    def grad(self, inputs, outputs, grads):
        return [None]

    def c_expr(self, args, dtype):
        return f"isinf((double) {args[0]})"


# --- copying, integer arithmetic and logic --------------------------------------------------

@dataclass(frozen=True)
class Identity(Elemwise):
    """A copy of x (Theano's ``tensor_copy``); the gradient passes through."""
    allowed_kinds = "biufc"
    scalar_name, nin, c_template = "identity", 1, "{0}"
    returns_new_array = True

    def impl(self, xp, x):
        return x.copy()

    def grad(self, inputs, outputs, grads):
        return [grads[0]]


@dataclass(frozen=True)
class Mod(Elemwise):
    """x % y with the sign of y, as in Python and NumPy; an integer x % 0 is 0, as in NumPy.

    x % y = x - floor(x / y) y, so d/dx = 1 and d/dy = -floor(x / y).
    """
    ufunc, scalar_name, symbol, nin, allowed_kinds = "remainder", "mod", "%", 2, "iuf"

    def grad(self, inputs, outputs, grads):
        x, y = inputs
        return [grads[0], -grads[0] * int_div(x, y)]

    def c_expr(self, args, dtype):
        kind = "_float" if dtype_kind(dtype) == "f" else ""  # C's % truncates; see c_helpers.py
        return f"minitensor_remainder{kind}<{c_compute_type(dtype)}>({args[0]}, {args[1]})"


@dataclass(frozen=True)
class Xor(Elemwise):
    """x ^ y: logical for bools, bitwise for integers."""
    ufunc, scalar_name, symbol, nin, allowed_kinds, c_template = "bitwise_xor", "xor", "^", 2, "biu", "({0} ^ {1})"

    def grad(self, inputs, outputs, grads):
        return [None, None]


tan, arcsin, arccos, arctan, arctan2 = Tan(), ArcSin(), ArcCos(), ArcTan(), ArcTan2()
deg2rad, rad2deg = Deg2Rad(), Rad2Deg()
sinh, cosh, arcsinh, arccosh, arctanh = Sinh(), Cosh(), ArcSinh(), ArcCosh(), ArcTanh()
log2, log10, exp2, inv = Log2(), Log10(), Exp2(), Inv()
floor, ceil, trunc = Floor(), Ceil(), Trunc()
round_half_to_even, round_half_away_from_zero = RoundHalfToEven(), RoundHalfAwayFromZero()
isnan, isinf = IsNaN(), IsInf()
mod, xor, tensor_copy = Mod(), Xor(), Identity()
bitwise_xor = xor


def round(a, mode=None):
    """``a`` rounded to integers (as floats): ``mode`` 'half_to_even' (the default, as NumPy)
    or 'half_away_from_zero'."""
    rounders = {"half_to_even": round_half_to_even, "half_away_from_zero": round_half_away_from_zero}
    mode = "half_to_even" if mode is None else mode
    if mode not in rounders:
        raise ValueError(f"round's mode must be 'half_to_even' or 'half_away_from_zero', got {mode!r}")
    return rounders[mode](a)


def iround(a, mode=None):
    """``round(a, mode)`` as int64."""
    return cast(round(a, mode), "int64")


def power(x, y):
    """x ** y, NumPy's name for it."""
    return pow(x, y)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether a and b are equal within ``atol + rtol * |b|``, elementwise, as ``numpy.isclose``:
    infinities are close only to themselves, and NaNs to each other only with ``equal_nan``."""
    close = le(abs_(a - b), atol + rtol * abs_(b))
    # inf - inf is NaN, which compares false: equal infinities are caught by eq instead.
    close = or_(close, eq(a, b))
    if equal_nan:
        close = or_(close, and_(isnan(a), isnan(b)))
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of a is close to b's (``isclose``), as a bool scalar."""
    return all_of(isclose(a, b, rtol, atol, equal_nan))
