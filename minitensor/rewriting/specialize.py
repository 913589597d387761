"""Specialising rules: replace a general op by a cheaper one for the case at hand.

``x ** 2`` calls ``pow``, which handles any exponent; ``sqr`` is one multiplication.
A mean's count and a gradient's ``fill`` of a computed value become the lengths
that shape inference gives (``minitensor/rewriting/shapes.py``), so that value is
not computed for its shape alone.
"""

from minitensor.rewriting.engine import rule
from minitensor.rewriting.patterns import scalar_constant
from minitensor.rewriting.shapes import SHAPE_ALLOCATIONS
from minitensor.tensor import elemwise as E
from minitensor.tensor.type import is_float


def _power_by_multiplication(x, n):
    """x ** n for a small positive integer n, by repeated squaring."""
    if n == 1:
        return x
    half = E.sqr(_power_by_multiplication(x, n // 2))
    return E.mul(half, x) if n % 2 else half


@rule(E.Pow)
def pow_specialize(node):
    """x**2 -> sqr(x);  x**-1 -> 1/x;  x**n -> multiplications for small integer n

    Not x**0.5 -> sqrt(x): the two differ at -inf (pow gives inf, sqrt NaN) and at -0.0
    (0.0 and -0.0), and an optimised function gives what the graph as written gives.
    (NumPy computes a float32 or float64 x**0.5 with its square root anyway.)
    """
    x, exponent = node.inputs[0], scalar_constant(node.inputs[1])
    if isinstance(exponent, complex):  # z ** 2 has the complex constant 2 + 0j
        exponent = exponent.real if exponent.imag == 0 else None
    if exponent is None:
        return None
    dtype = node.outputs[0].dtype
    x = E.cast(x, dtype)  # int8 ** 2.0 is a float64: the multiplications must be too
    if exponent == int(exponent) and 1 <= exponent <= 8:
        return [_power_by_multiplication(x, int(exponent))]
    if not is_float(dtype):
        return None  # an integer to a negative power is an error in NumPy, not a division
    if exponent == -1:
        return [E.true_div(1, x)]
    if exponent == int(exponent) and -8 <= exponent <= -2:
        return [E.true_div(1, _power_by_multiplication(x, -int(exponent)))]
    return None


SPECIALIZE = [pow_specialize] + SHAPE_ALLOCATIONS
