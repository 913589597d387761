"""Special functions: ``erf``, ``erfc``, ``gamma`` and ``gammaln``, without SciPy.

NumPy has no ufuncs for these, and minitensor depends on NumPy alone, so ``impl``
computes them with array operations that NumPy and CuPy share, in float64 (a
float32 input's result is rounded once at the end), to about 1e-14:

* ``erf`` and ``erfc``: for |x| < 3/2, the Taylor series
  erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)), 40 terms (its terms stay below 2,
  so little cancels); beyond, the continued fraction
  erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from
  150 levels deep, which keeps erfc's tiny values accurate relatively;
* ``gamma`` and ``gammaln``: Lanczos' approximation (g = 7, nine coefficients), with the
  reflection formula gamma(x) gamma(1 - x) = pi / sin(pi x) below 1/2.

The C expressions are C's and CUDA's own ``erf``, ``erfc``, ``tgamma`` and ``lgamma``.
Gradients: erf' = 2/sqrt(pi) exp(-x^2) = -erfc'; gamma' = gamma psi and gammaln' = psi,
where psi (the digamma function) is not built yet, so those two have no gradient here.

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> T.erf(x).eval({x: [0.0, 0.5]}), T.gammaln(x).eval({x: [0.5, 10.0]})
(array([0.        , 0.52049988]), array([ 0.57236494, 12.80182748]))
"""

import math
from dataclasses import dataclass

from minitensor.tensor.elemwise import Elemwise, exp, sqr

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_LANCZOS_G = 7
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)


def _erf_series(xp, x):
    """erf(x) by its Taylor series: accurate for |x| < 3/2."""
    term, total, x2 = x, x.copy(), x * x
    for n in range(1, 40):
        term = term * (-x2) / n  # (-1)^n x^(2n+1) / n!
        total = total + term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_fraction(xp, x):
    """erfc(x) by its continued fraction, evaluated from the bottom: accurate for x >= 3/2."""
    tail = xp.zeros_like(x)
    for k in range(150, 0, -1):
        tail = (k / 2) / (x + tail)
    return xp.exp(-x * x) / math.sqrt(math.pi) / (x + tail)


def _erf_and_erfc(xp, x):
    x = x.astype("float64")
    small = xp.abs(x) < 1.5
    series = _erf_series(xp, xp.where(small, x, 0.0))
    far = _erfc_fraction(xp, xp.where(small, 1.5, xp.abs(x)))  # erfc(|x|) for |x| >= 3/2
    erf = xp.where(small, series, xp.sign(x) * (1 - far))
    erfc = xp.where(small, 1 - series, xp.where(x > 0, far, 2 - far))
    return erf, erfc


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
class Gamma(_Special):
    """The gamma function, (x - 1)! for positive integers. No gradient yet (it needs psi)."""
    scalar_name, cname = "gamma", "tgamma"
    compute, part = staticmethod(_gamma_and_gammaln), 0


@dataclass(frozen=True)
class GammaLn(_Special):
    """log |gamma(x)|. No gradient yet (it is psi, the digamma function)."""
    scalar_name, cname = "gammaln", "lgamma"
    compute, part = staticmethod(_gamma_and_gammaln), 1


erf, erfc, gamma, gammaln = Erf(), Erfc(), Gamma(), GammaLn()
