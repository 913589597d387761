"""Complex numbers: a complex tensor's parts, conjugate and angle, and complex tensors made
from parts (Theano's ``real``, ``imag``, ``conj``, ``angle``, ``complex`` and
``complex_from_polar``).

Arithmetic on complex tensors is done by the ops of ``elemwise.py`` and
``math_functions.py``, with NumPy's dtypes (``fvector * 1j`` is complex64, ``abs`` of
a complex128 is float64). The ops here are the ones that cross between real and
complex values.

Gradients follow Theano's convention (``doc/proposals/complex_gradient.txt`` in its
sources): the cost C is real, and its gradient by a complex z = x + iy is
dC/dx + i dC/dy, the direction in which C grows fastest, as for a pair of reals. Ops
with a complex derivative (add, exp, dot, ...) reuse their real ``grad`` under that
convention (``holomorphic`` in ``minitensor/graph.py``); these ops have none, so each
writes its gradient, g being the output's:

* real(z) = x:  g (as a complex with imaginary part 0);
* imag(z) = y:  i g;
* conj(z) = x - iy:  conj(g);
* angle(z) = atan2(y, x):  g (-y + ix) / |z|^2;
* complex(x, y):  Re(g) for x, Im(g) for y;
* complex_from_polar(r, t) = r (cos t + i sin t):  Re(g) cos t + Im(g) sin t for r, and
  Im(g) Re(z) - Re(g) Im(z) for t.

A real variable that feeds a complex value gets the real part of the gradient that
reaches it (``_sum_to`` in ``minitensor/gradient.py``).

>>> import minitensor.tensor as T
>>> z = T.zvector('z')
>>> abs(z).eval({z: [3 + 4j]})
array([5.])
>>> T.grad(T.sum(abs(z)), z).eval({z: [3 + 4j]})
array([0.6+0.8j])
"""

from dataclasses import dataclass

from minitensor.tensor.elemwise import Elemwise, cos, promote, sin, sqr
from minitensor.tensor.type import is_complex, real_dtype


class _Part(Elemwise):
    """A unary op of any numeric input, with a result of ``real_dtype`` of the input's."""
    nin, allowed_kinds, holomorphic, returns_new_array = 1, "biufc", False, True

    def output_dtype(self, inputs):
        return real_dtype(inputs[0].dtype)


@dataclass(frozen=True)
class Real(_Part):
    """The real part of z; a real x itself."""
    scalar_name, c_template = "real", "{0}"  # kernels see only real values (kernels.supports)

    def impl(self, xp, z):
        return z.real.copy()  # NumPy's real is a view, which a later in-place op would write through

    def grad(self, inputs, outputs, grads):
        return [complex(grads[0], 0) if is_complex(inputs[0].dtype) else grads[0]]


@dataclass(frozen=True)
class Imag(_Part):
    """The imaginary part of z; zeros for a real x."""
    scalar_name, c_template = "imag", "0"

    def impl(self, xp, z):
        return z.imag.copy() if z.dtype.kind == "c" else xp.zeros_like(z)

    def grad(self, inputs, outputs, grads):
        return [complex(0, grads[0]) if is_complex(inputs[0].dtype) else None]


@dataclass(frozen=True)
class Conj(Elemwise):
    """The complex conjugate x - iy of z = x + iy; a real x itself."""
    ufunc, scalar_name, c_template = "conjugate", "conj", "{0}"
    nin, allowed_kinds, holomorphic = 1, "biufc", False

    def grad(self, inputs, outputs, grads):
        return [conj(grads[0])]


@dataclass(frozen=True)
class Angle(Elemwise):
    """The angle of z = x + iy from the positive real axis, atan2(y, x) in [-pi, pi]; 0 or pi for
    a real x."""
    scalar_name, c_template = "angle", "atan2(0.0, (double) {0})"  # NumPy's formula, for real x
    nin, allowed_kinds, holomorphic, returns_new_array = 1, "biufc", False, True

    def output_dtype(self, inputs):
        return real_dtype(self.float_dtype(inputs[0].dtype))

    def impl(self, xp, z):
        return xp.angle(z).astype(real_dtype(self.float_dtype(z.dtype.name)))

    def grad(self, inputs, outputs, grads):
        z, = inputs
        if not is_complex(z.dtype):
            return [None]  # piecewise constant
        x, y = real(z), imag(z)
        return [grads[0] * complex(-y, x) / (sqr(x) + sqr(y))]


def _complex_dtype(dtypes):
    """The complex dtype holding parts of ``dtypes`` (real ones: ``allowed_kinds`` refuses complex):
    complex64 for float32, float16 and integers of up to 16 bits, else complex128 (NumPy's
    promotion, and Theano's rule)."""
    return promote(tuple(dtypes) + ("complex64",))


def _assemble(xp, x, y, dtype):
    """The complex array x + iy of ``dtype``, exactly: x + 1j * y would turn an infinite y into
    NaN + inf i (1j * inf is 0 * inf + inf i)."""
    out = xp.empty(xp.broadcast_shapes(x.shape, y.shape), dtype=dtype)
    out.real[...] = x
    out.imag[...] = y
    return out


class _FromParts(Elemwise):
    """A binary op of real inputs with a complex result; kernels never see it (kernels.supports)."""
    nin, holomorphic, returns_new_array = 2, False, True

    def output_dtype(self, inputs):
        return _complex_dtype(x.dtype for x in inputs)

    def c_expr(self, args, dtype):
        raise NotImplementedError(f"{self.scalar_name} has a complex result, which has no C type here")


@dataclass(frozen=True)
class Complex(_FromParts):
    """x + iy from the real x and y."""
    scalar_name = "complex"

    def impl(self, xp, x, y):
        return _assemble(xp, x, y, _complex_dtype((x.dtype.name, y.dtype.name)))

    def grad(self, inputs, outputs, grads):
        return [real(grads[0]), imag(grads[0])]


@dataclass(frozen=True)
class ComplexFromPolar(_FromParts):
    """r (cos t + i sin t), the complex number of modulus r and angle t (a negative r gives the
    opposite point: nothing checks r's sign, which a GPU kernel could not report)."""
    scalar_name = "complex_from_polar"

    def impl(self, xp, r, t):
        dtype = _complex_dtype((r.dtype.name, t.dtype.name))
        r, t = r.astype(real_dtype(dtype)), t.astype(real_dtype(dtype))
        return _assemble(xp, r * xp.cos(t), r * xp.sin(t), dtype)

    def grad(self, inputs, outputs, grads):
        r, t = inputs
        g, z = grads[0], outputs[0]
        return [real(g) * cos(t) + imag(g) * sin(t), imag(g) * real(z) - real(g) * imag(z)]


real, imag, conj, angle = Real(), Imag(), Conj(), Angle()
complex, complex_from_polar = Complex(), ComplexFromPolar()  # noqa: A001 (Theano's names)
conjugate = conj
