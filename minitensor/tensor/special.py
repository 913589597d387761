"""Special functions: ``erf``, ``erfc``, ``erfinv``, ``erfcinv``, ``gamma``, ``gammaln``, ``psi``,
``tri_gamma`` and ``polygamma``, without SciPy (the Bessel functions are in ``bessel.py``).

NumPy has no ufuncs for these, and minitensor depends on NumPy alone, so ``impl``
computes them with array operations that NumPy and CuPy share, in float64 (a
float32 input's result is rounded once at the end):

* ``erf`` and ``erfc``: for |x| < 5/4, the Taylor series
  erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)), 40 terms (its terms stay below 2,
  so little cancels); beyond, the continued fraction
  erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from
  150 levels deep, which keeps erfc's tiny values accurate relatively (erf to 3 ulp, erfc to
  20, where 1 - erf cancels near 5/4);
* ``erfinv`` and ``erfcinv``: Giles' approximation, then Halley's and Newton's methods on erf
  and erfc (``_inverse_erf``), to 8 ulp;
* ``gamma`` and ``gammaln``: Lanczos' approximation (g = 7, nine coefficients), with the
  reflection formula gamma(x) gamma(1 - x) = pi / sin(pi x) below 1/2;
* ``psi`` (d/dx log gamma) and its derivatives: recurrence, reflection and the asymptotic
  series (``_polygamma``), with psi's Taylor series near its positive root: for x > 0 to
  10 ulp; for x < 0 to 10 ulp of max(|psi|, 1), since near its zeros there psi is a
  difference of two larger terms.

The C expressions are C's and CUDA's ``erf``, ``erfc``, ``tgamma``, ``lgamma``, CUDA's
``erfinv`` and ``erfcinv``, and ``c_helpers.py``'s functions where C has none (the same
methods). Gradients: erf' = 2/sqrt(pi) exp(-x^2) = -erfc'; erfinv'(y) = sqrt(pi)/2
exp(erfinv(y)^2) = -erfcinv'; gamma' = gamma psi; gammaln' = psi; psi^(n)' = psi^(n+1).

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> T.erf(x).eval({x: [0.0, 0.5]}), T.gammaln(x).eval({x: [0.5, 10.0]})
(array([0.        , 0.52049988]), array([ 0.57236494, 12.80182748]))
>>> T.erfinv(x).eval({x: [0.5]}), T.psi(x).eval({x: [1.0]})
(array([0.47693628]), array([-0.57721566]))
"""

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

from minitensor.tensor.elemwise import Elemwise, exp, sqr

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_LANCZOS_G = 7
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)


def _erf_series(xp, x):
    """erf(x) by its Taylor series: accurate for |x| < 5/4."""
    term, total, x2 = x, x.copy(), x * x
    for n in range(1, 40):
        term = term * (-x2) / n  # (-1)^n x^(2n+1) / n!
        total = total + term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_fraction(xp, x):
    """erfc(x) by its continued fraction, evaluated from the bottom: accurate for x >= 5/4 (at
    x = 1 its 150 levels leave 40 ulps; 1 - erf(x) loses 30 ulps to cancellation at 5/4)."""
    tail = xp.zeros_like(x)
    for k in range(150, 0, -1):
        tail = (k / 2) / (x + tail)
    return xp.exp(-x * x) / math.sqrt(math.pi) / (x + tail)


def _erf_and_erfc(xp, x):
    x = x.astype("float64")
    small = xp.abs(x) < 1.25
    series = _erf_series(xp, xp.where(small, x, 0.0))
    far = _erfc_fraction(xp, xp.where(small, 1.25, xp.abs(x)))  # erfc(|x|) for |x| >= 5/4
    erf = xp.where(small, series, xp.sign(x) * (1 - far))
    erfc = xp.where(small, 1 - series, xp.where(x > 0, far, 2 - far))
    return erf, erfc


# Giles' single-precision approximation of erfinv ("Approximating the erfinv function", GPU
# Computing Gems, 2011): a polynomial in w - 5/2 where w = -log(1 - y^2) < 5, else in sqrt(w) - 3.
# Highest degree first.
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _polynomial(coefficients, w):
    total = coefficients[0]
    for c in coefficients[1:]:
        total = total * w + c
    return total


def _inverse_erf(xp, magnitude, q, sign):
    """sign * a where erf(a) = ``magnitude`` and erfc(a) = ``q`` (a >= 0), for 0 <= q <= 1.

    Each of ``magnitude`` = |y| and ``q`` = 1 - |y| is exact where it is used: |y| where it is
    at most 1/2, q beyond. The start is Giles' approximation where it holds (1 - y^2 above
    float32's resolution), else erfc's asymptotic a^2 = -log(q a sqrt(pi)) solved once. Then
    four steps: for |y| <= 1/2, Halley's method on erf(a) - |y| (t = residual / erf'(a),
    a <- a - t / (1 + a t)); beyond, Newton's method on log(erfc(a) / q), nearly a parabola
    in a, whose tiny values the continued fraction keeps accurate.
    """
    inside = (q > 0) & (q <= 1)
    q_safe = xp.where(inside, q, 0.5)
    w = -xp.log(q_safe * (2 - q_safe))  # -log(1 - y^2) without rounding 1 - y^2
    central, giles = w < 5, w < 16
    start = xp.where(central, _polynomial(_ERFINV_CENTRAL, xp.where(central, w, 5.0) - 2.5),
                     _polynomial(_ERFINV_TAIL, xp.sqrt(xp.where(central, 5.0, w)) - 3)) * (1 - q_safe)
    log_q = -xp.log(xp.where(giles, 1e-7, q_safe))
    a = xp.where(giles, start, xp.sqrt(log_q - xp.log(math.sqrt(math.pi) * xp.sqrt(log_q))))
    by_erf = q_safe >= 0.5
    for _ in range(4):
        erf, erfc = _erf_and_erfc(xp, a)
        slope = _TWO_OVER_SQRT_PI * xp.exp(-a * a)
        t = (erf - magnitude) / xp.where(by_erf, slope, 1.0)
        halley = a - t / (1 + a * t)
        # erfc(a) / erf'(a) is about 1 / (2a) where both underflow (a > 26)
        tiny = slope <= 1e-300
        ratio = xp.where(tiny, 0.5 / xp.where(tiny, a, 1.0), erfc / xp.where(tiny, 1.0, slope))
        newton = a + xp.log(xp.where(erfc > 0, erfc, q_safe) / q_safe) * ratio
        a = xp.where(by_erf, halley, newton)
    a = xp.where(q == 0, xp.inf, xp.where(inside, a, xp.nan))  # |y| = 1, and |y| > 1 or NaN
    return sign * a


def _erfinv(xp, y):
    y = y.astype("float64")
    magnitude = xp.abs(y)
    return _inverse_erf(xp, magnitude, 1 - magnitude, xp.where(y < 0, -1.0, 1.0))


def _erfcinv(xp, c):
    c = c.astype("float64")
    upper = c > 1  # erfcinv(c) = -erfcinv(2 - c); 2 - c and 1 - c are exact where they are used
    q = xp.where(upper, 2 - c, c)
    q = xp.where((c >= 0) & (c <= 2), q, -1.0)
    return _inverse_erf(xp, xp.abs(1 - c), q, xp.where(upper, -1.0, 1.0))


# Bernoulli numbers B_2, B_4, ..., B_20, for the asymptotic series of the polygamma functions.
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330))


@functools.lru_cache(maxsize=None)
def _cot_derivative(n):
    """The coefficients (lowest degree first) of P_n, with d^n/dy^n cot(y) = P_n(cot(y)):
    P_0(c) = c and P_(k+1)(c) = -(1 + c^2) P_k'(c)."""
    p = [0, 1]
    for _ in range(n):
        derivative = [j * p[j] for j in range(1, len(p))] + [0, 0]
        p = [-(derivative[j] + (derivative[j - 2] if j >= 2 else 0)) for j in range(len(p) + 1)]
    return tuple(p)


def _polygamma(xp, x, n):
    """The n-th derivative of psi = gamma'/gamma, in float64.

    For x < 0, the reflection psi(1 - x) - psi(x) = pi cot(pi x), differentiated n times:
    psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)). For y = x or 1 - x, now
    >= 0, the recurrence psi^(n)(y) = psi^(n)(y + 1) - (-1)^n n! / y^(n+1) moves y above
    ``shift_to``, where the asymptotic series (Bernoulli numbers B_2k) holds to double precision:
    psi(y) ~ log y - 1/(2y) - sum B_2k / (2k y^2k), and for n >= 1
    psi^(n)(y) ~ (-1)^(n+1) ((n-1)!/y^n + n!/(2 y^(n+1)) + sum B_2k (2k+n-1)! / ((2k)! y^(2k+n))).
    At the poles (0, -1, -2, ...) psi is NaN, except psi(+-0) = -+inf as in SciPy; the
    derivatives are +inf for odd n and NaN for even n there.
    """
    x = x.astype("float64")
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)^(n+1)
    factorial = math.factorial(n)
    pole = (x <= 0) & (xp.floor(x) == x)
    reflect = (x < 0) & ~pole
    y = start = xp.where(reflect, 1 - x, xp.where(pole, 1.0, x))
    shift_to = 12 + n
    total = xp.zeros_like(y)
    for _ in range(shift_to):
        below = y < shift_to
        step = xp.where(below, y, 1.0)
        total = total + xp.where(below, sign * factorial / step ** (n + 1), 0.0)
        y = xp.where(below, y + 1, y)
    inverse = 1 / y
    if n == 0:
        series = xp.log(y) - 0.5 * inverse
        for k, b in enumerate(_BERNOULLI, 1):
            series = series - float(b / (2 * k)) * inverse ** (2 * k)
    else:
        series = math.factorial(n - 1) * inverse ** n + factorial / 2 * inverse ** (n + 1)
        for k, b in enumerate(_BERNOULLI, 1):
            series = series + float(b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)) * inverse ** (2 * k + n)
        series = sign * series
    value = series + total
    if n == 0:  # psi(y) is small near its root: there the Taylor series keeps it relatively accurate
        near_root = xp.abs(start - _PSI_ROOT[0]) < 0.5
        value = xp.where(near_root, _psi_near_root(xp, xp.where(near_root, start, _PSI_ROOT[0])), value)
    # cot(pi x) has period 1: from r = x - round(x) in [-1/2, 1/2], exact, as cos / sin, each
    # from a small argument (cos(pi r) = sin(pi (1/2 - |r|))), so that neither loses digits.
    r = xp.where(reflect, x - xp.rint(x), 0.25)
    cot = xp.sin(math.pi * (0.5 - xp.abs(r))) / xp.sin(math.pi * r)
    cot_derivative = _polynomial(_cot_derivative(n)[::-1], cot) * math.pi ** (n + 1)
    value = xp.where(reflect, (-1) ** n * value - cot_derivative, value)
    if n == 0:
        at_pole = xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), xp.nan)
    else:
        at_pole = xp.inf if n % 2 else xp.nan
    return xp.where(pole, at_pole, value)


# The positive root of psi, 1.46163214496836234126..., as the sum of two doubles.
_PSI_ROOT = (1.4616321449683622, 9.549995429965697e-17)


@functools.lru_cache(maxsize=None)
def _psi_taylor_coefficients():
    """psi^(k)(root) / k! for k = 1..40: psi's Taylor series about its positive root, which
    converges within 1.46 of it (the pole at 0), by (1/2 / 1.46)^40 = 1e-19 at distance 1/2."""
    import numpy  # these constants are computed once, on the host
    root = numpy.array([_PSI_ROOT[0]])
    return tuple(float(_polygamma(numpy, root, k)[0]) / math.factorial(k) for k in range(1, 41))


def _psi_near_root(xp, x):
    """psi(x) for |x - root| < 1/2, by its Taylor series: psi(x) itself is small there, and the
    recurrence and series above would leave it only absolutely accurate. x - root is taken in
    two steps, the first exact, so that d keeps its relative accuracy."""
    d = (x - _PSI_ROOT[0]) - _PSI_ROOT[1]
    return d * _polynomial(_psi_taylor_coefficients()[::-1], d)


def _log_gamma_lanczos(xp, x):
    """log(gamma(x)) for x >= 1/2 by Lanczos' approximation."""
    x = x - 1
    series = xp.full_like(x, _LANCZOS[0])
    for k, coefficient in enumerate(_LANCZOS[1:], 1):
        series = series + coefficient / (x + k)
    t = x + _LANCZOS_G + 0.5
    return 0.5 * math.log(2 * math.pi) + (x + 0.5) * xp.log(t) - t + xp.log(series)


def _gamma_and_gammaln(xp, x):
    x = x.astype("float64")
    reflect = x < 0.5
    upper = xp.where(reflect, 1 - x, x)  # >= 1/2 everywhere
    log_upper = _log_gamma_lanczos(xp, upper)
    sine = xp.sin(math.pi * xp.where(reflect, x, 0.5))
    gamma = xp.where(reflect, math.pi / (sine * xp.exp(log_upper)), xp.exp(log_upper))
    gammaln = xp.where(reflect, math.log(math.pi) - xp.log(xp.abs(sine)) - log_upper, log_upper)
    return gamma, gammaln


class _Special(Elemwise):
    """A unary special function with a float result, computed by ``compute(xp, x)`` as the
    pair of which it is entry ``part``."""
    nin, output_kind, returns_new_array = 1, "float", True

    @property
    def c_template(self):
        return f"{self.cname}({{0}})"

    def impl(self, xp, x):
        return self.compute(xp, x)[self.part].astype(x.dtype)


@dataclass(frozen=True)
class Erf(_Special):
    """The error function; d/dx = 2/sqrt(pi) exp(-x^2)."""
    scalar_name = cname = "erf"
    compute, part = staticmethod(_erf_and_erfc), 0

    def grad(self, inputs, outputs, grads):
        return [grads[0] * _TWO_OVER_SQRT_PI * exp(-sqr(inputs[0]))]


@dataclass(frozen=True)
class Erfc(_Special):
    """1 - erf(x), accurate where it is tiny; d/dx = -2/sqrt(pi) exp(-x^2)."""
    scalar_name = cname = "erfc"
    compute, part = staticmethod(_erf_and_erfc), 1

    def grad(self, inputs, outputs, grads):
        return [-grads[0] * _TWO_OVER_SQRT_PI * exp(-sqr(inputs[0]))]


@dataclass(frozen=True)
class ErfInv(_Special):
    """The inverse of erf on (-1, 1); d/dy = sqrt(pi)/2 exp(erfinv(y)^2)."""
    scalar_name, cname = "erfinv", "minitensor_erfinv"  # CUDA's erfinv, or c_helpers.py's on the host

    def impl(self, xp, y):
        return _erfinv(xp, y).astype(y.dtype)

    def grad(self, inputs, outputs, grads):
        return [grads[0] / _TWO_OVER_SQRT_PI * exp(sqr(outputs[0]))]


@dataclass(frozen=True)
class ErfcInv(_Special):
    """The inverse of erfc on (0, 2); d/dy = -sqrt(pi)/2 exp(erfcinv(y)^2)."""
    scalar_name, cname = "erfcinv", "minitensor_erfcinv"

    def impl(self, xp, y):
        return _erfcinv(xp, y).astype(y.dtype)

    def grad(self, inputs, outputs, grads):
        return [-grads[0] / _TWO_OVER_SQRT_PI * exp(sqr(outputs[0]))]


@dataclass(frozen=True)
class Gamma(_Special):
    """The gamma function, (x - 1)! for positive integers; d/dx = gamma(x) psi(x)."""
    scalar_name, cname = "gamma", "tgamma"
    compute, part = staticmethod(_gamma_and_gammaln), 0

    def grad(self, inputs, outputs, grads):
        return [grads[0] * outputs[0] * psi(inputs[0])]


@dataclass(frozen=True)
class GammaLn(_Special):
    """log |gamma(x)|; d/dx = psi(x)."""
    scalar_name, cname = "gammaln", "lgamma"
    compute, part = staticmethod(_gamma_and_gammaln), 1

    def grad(self, inputs, outputs, grads):
        return [grads[0] * psi(inputs[0])]


@dataclass(frozen=True)
class Polygamma(_Special):
    """The n-th derivative of psi(x) = d/dx log gamma(x): psi for n = 0 (the digamma
    function), Theano's ``tri_gamma`` for n = 1; d/dx is the next one."""
    n: int

    @property
    def scalar_name(self):
        return {0: "psi", 1: "tri_gamma"}.get(self.n, f"polygamma{self.n}")

    def impl(self, xp, x):
        return _polygamma(xp, x, self.n).astype(x.dtype)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * Polygamma(self.n + 1)(inputs[0])]

    def c_expr(self, args, dtype):
        return f"minitensor_polygamma({self.n}, (double) {args[0]})"  # c_helpers.py


def polygamma(n, x):
    """The n-th derivative of psi, for a Python int n >= 0 (SciPy's argument order)."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"polygamma's order must be a Python int >= 0, got {n!r}")
    return Polygamma(n)(x)


erf, erfc, erfinv, erfcinv = Erf(), Erfc(), ErfInv(), ErfcInv()
gamma, gammaln, psi, tri_gamma = Gamma(), GammaLn(), Polygamma(0), Polygamma(1)
