"""Bessel functions of orders 0 and 1: ``j0``, ``j1`` (first kind) and ``i0``, ``i1`` (modified),
without SciPy.

``impl`` computes them in float64 with array operations NumPy and CuPy share (a float32
input's result is rounded once at the end):

* J0, J1 for |x| < 4: their power series J_v(x) = (x/2)^v sum_k (-x^2/4)^k / (k! (k+v)!),
  whose terms stay below 4, so little cancels;
* for 4 <= |x| < 25: Miller's backward recurrence J_(n-1) = (2n/x) J_n - J_(n+1) from n = 80,
  where J_n is negligible, scaled by the identity J_0 + 2 (J_2 + J_4 + ...) = 1;
* for |x| >= 25: Hankel's asymptotic expansion
  J_v(x) = sqrt(2/(pi x)) (P cos(x - v pi/2 - pi/4) - Q sin(x - v pi/2 - pi/4)), 30 terms,
  with the cosine and sine of x taken exactly (no rounded x - pi/4);
* I0, I1 for |x| <= 30: their power series, of positive terms; beyond, the asymptotic
  I_v(x) = e^x / sqrt(2 pi x) sum_k (-1)^k a_k(v) / x^k, with e^x split in two halves so that
  the result overflows only where it must (x > 713).

The absolute error is a few units in the last place of max(|J|, 1); near the zeros of J0
and J1 that is not a relative accuracy (as for SciPy's). The C expressions are CUDA's
``j0``, ``j1``, ``cyl_bessel_i0``, ``cyl_bessel_i1``, and on the host glibc's j0 and j1 and
the series above (``c_helpers.py``). Gradients: J0' = -J1, J1' = J0 - J1/x, I0' = I1,
I1' = I0 - I1/x (J1'(0) = I1'(0) = 1/2).

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> T.j0(x).eval({x: [0.0, 2.404825557695773]}).round(12)
array([ 1., -0.])
>>> T.i1(x).eval({x: [1.0]})
array([0.5651591])
"""

import math
from dataclasses import dataclass

from minitensor.tensor.elemwise import Elemwise, eq, neg, switch

_MILLER_START = 80
_SERIES_TERMS = 80


def _series(xp, x, order, sign):
    """sum_k (sign x^2/4)^k / (k! (k + order)!) times (x/2)^order: J's series for sign -1, I's for +1."""
    quarter_square = sign * x * x / 4
    term = xp.ones_like(x) if order == 0 else x / 2
    total = term
    for k in range(1, _SERIES_TERMS):
        term = term * quarter_square / (k * (k + order))
        total = total + term
    return total


def _miller(xp, x):
    """(J0(x), J1(x)) for 4 <= x < 25 by backward recurrence (see the module's docstring)."""
    upper, current = xp.zeros_like(x), xp.full_like(x, 1e-250)  # J_81 and J_80, up to a factor
    even_sum = xp.zeros_like(x)
    j1 = None
    for n in range(_MILLER_START, 0, -1):
        upper, current = current, (2 * n / x) * current - upper  # J_n and J_(n-1), up to a factor
        if n - 1 == 1:
            j1 = current
        if (n - 1) % 2 == 0 and n - 1 > 0:
            even_sum = even_sum + current
    scale = current + 2 * even_sum  # J_0 + 2 (J_2 + J_4 + ...), which is 1
    return current / scale, j1 / scale


def _hankel(xp, x, order):
    """J_order(x) for x >= 25 by Hankel's expansion."""
    mu = 4 * order * order
    p, q, term = xp.ones_like(x), xp.zeros_like(x), xp.ones_like(x)
    for k in range(1, 31):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * x)  # a_k(order) / x^k
        if k % 2:
            q = q + (-1) ** (k // 2) * term
        else:
            p = p + (-1) ** (k // 2) * term
    cos, sin = xp.cos(x), xp.sin(x)
    root_half = math.sqrt(0.5)
    if order == 0:  # cos and sin of x - pi/4
        cos_w, sin_w = (cos + sin) * root_half, (sin - cos) * root_half
    else:  # of x - 3 pi/4
        cos_w, sin_w = (sin - cos) * root_half, -(sin + cos) * root_half
    return xp.sqrt(2 / (math.pi * x)) * (p * cos_w - q * sin_w)


def _bessel_j(xp, x, order):
    x = x.astype("float64")
    a = xp.abs(x)
    small, middle = a < 4, (a >= 4) & (a < 25)
    series = _series(xp, xp.where(small, a, 0.0), order, -1)
    j0, j1 = _miller(xp, xp.where(middle, a, 10.0))
    far = _hankel(xp, xp.where(small | middle, 25.0, a), order)
    value = xp.where(small, series, xp.where(middle, j1 if order else j0, far))
    value = xp.where(xp.isinf(a), 0.0, value)
    return value * xp.sign(x) if order else value


def _bessel_i(xp, x, order):
    x = x.astype("float64")
    a = xp.abs(x)
    small = a <= 30
    series = _series(xp, xp.where(small, a, 0.0), order, 1)
    t = xp.where(small, 31.0, a)
    mu = 4 * order * order
    term, total = xp.ones_like(t), xp.ones_like(t)
    for k in range(1, 31):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * t)
        total = total + term
    half = xp.exp(t / 2)
    far = half * (half / xp.sqrt(2 * math.pi * t) * total)
    value = xp.where(small, series, xp.where(xp.isinf(a), xp.inf, far))
    return value * xp.sign(x) if order else value


class _Bessel(Elemwise):
    """A Bessel function of a float (integers are cast to float first)."""
    nin, output_kind, returns_new_array = 1, "float", True

    def impl(self, xp, x):
        return self.compute(xp, x, self.order).astype(x.dtype)

    def c_expr(self, args, dtype):
        return f"minitensor_{self.scalar_name}({args[0]})"  # c_helpers.py


def _derivative_of_order_one(x, order_zero, order_one):
    """d/dx of J1 or I1 from the order-0 function's value: F0(x) - F1(x)/x, which is 1/2 at x = 0."""
    return switch(eq(x, 0), 0.5, order_zero - order_one / switch(eq(x, 0), 1, x))


@dataclass(frozen=True)
class J0(_Bessel):
    """The Bessel function of the first kind of order 0; d/dx = -J1(x)."""
    scalar_name, order = "j0", 0
    compute = staticmethod(_bessel_j)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * neg(j1(inputs[0]))]


@dataclass(frozen=True)
class J1(_Bessel):
    """The Bessel function of the first kind of order 1; d/dx = J0(x) - J1(x)/x."""
    scalar_name, order = "j1", 1
    compute = staticmethod(_bessel_j)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * _derivative_of_order_one(inputs[0], j0(inputs[0]), outputs[0])]


@dataclass(frozen=True)
class I0(_Bessel):
    """The modified Bessel function of the first kind of order 0; d/dx = I1(x)."""
    scalar_name, order = "i0", 0
    compute = staticmethod(_bessel_i)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * i1(inputs[0])]


@dataclass(frozen=True)
class I1(_Bessel):
    """The modified Bessel function of the first kind of order 1; d/dx = I0(x) - I1(x)/x."""
    scalar_name, order = "i1", 1
    compute = staticmethod(_bessel_i)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * _derivative_of_order_one(inputs[0], i0(inputs[0]), outputs[0])]


j0, j1, i0, i1 = J0(), J1(), I0(), I1()
