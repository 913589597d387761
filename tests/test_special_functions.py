"""Special functions against values computed with mpmath at 40 digits (written out here, so that
the tests need neither SciPy nor mpmath), their edge values, and their C versions.

op_specs.py checks their gradients and dtypes; here is their accuracy in float64: a few units
in the last place (ulp), and for J0 and J1 a few ulp of max(|J|, 1), as the module says.
"""

import shutil
import subprocess

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from cupy_standin import HOST_PRELUDE
from minitensor.tensor import special
from minitensor.tensor.c_helpers import PREAMBLE

ULP = np.finfo(np.float64).eps

ERFINV = [(1e-300, 8.86226925452758e-301), (1e-10, 8.862269254527581e-11), (0.1, 0.08885599049425769),
          (0.5, 0.4769362762044699), (-0.7, -0.7328690779592167), (0.9, 1.1630871536766743),
          (0.999, 2.3267537655135246), (0.9999999999990905, 5.05125408524939),
          (0.9999999999999999, 5.8635847487551676)]
ERFCINV = [(0.3, 0.7328690779592169), (1.0, 0.0), (1.6, -0.595116081449995), (1.999, -2.3267537655135464),
           (1e-05, 3.123413274340875), (1e-20, 6.601580622355143), (1e-100, 15.065574702592645),
           (1e-300, 26.209469960516124)]
PSI = [(1e-08, -100000000.57721564), (0.25, -4.2274535333762655), (1.0, -0.5772156649015329),
       (1.4616321449683622, -9.241265521729427e-17), (1.5, 0.03648997397857652), (2.0, 0.42278433509846713),
       (10.5, 2.3030010342976865), (1000000.0, 13.815510057964191), (-0.5, 0.03648997397857652),
       (-2.75, -1.959055264977997), (-1000.3, 9.191055669255658)]
TRIGAMMA = [(0.01, 10001.621213528313), (1.0, 1.6449340668482264), (3.5, 0.3303577561002349),
            (100.0, 0.010050166663333571), (-0.5, 8.934802200544679), (-4.2, 28.354875744597663)]
POLYGAMMA2 = [(0.5, -16.82879664423432), (2.0, -0.4041138063191886), (-1.5, -0.2362040516417274)]
J0 = [(0.0, 1.0), (1e-05, 0.999999999975), (1.0, 0.7651976865579666), (3.9, -0.4018260148876399),
      (7.5, 0.2663396578803784), (24.0, -0.056230274166859266), (26.0, 0.15599931552242113),
      (100.0, 0.019985850304223122), (100000.0, -0.0017192011162359723), (-5.0, -0.1775967713143383)]
J1 = [(1e-05, 4.9999999999375e-06), (1.0, 0.4400505857449335), (3.9, -0.02724403962077989),
      (7.5, 0.1352484275797055), (24.0, -0.15403806518312121), (26.0, 0.015045730586915811),
      (100.0, -0.07714535201411216), (-5.0, 0.32757913759146523)]
I0 = [(0.0, 1.0), (1.0, 1.2660658777520084), (10.0, 2815.7166284662544), (29.0, 292520631785.69086),
      (31.0, 2089962966491.9038), (200.0, 2.0396871734097245e+85), (-3.0, 4.8807925858650245)]
I1 = [(1e-05, 5.0000000000625004e-06), (1.0, 0.565159103992485), (10.0, 2670.9883037012546),
      (29.0, 287432108126.2548), (31.0, 2055972795294.5647), (200.0, 2.034581549332063e+85),
      (-3.0, -3.9533702174026093)]


def evaluate(function, values):
    x = T.dvector("x")
    return theano.function([x], function(x))(np.array(values, dtype="float64"))


@pytest.mark.parametrize("function, table, ulps", [
    (T.erfinv, ERFINV, 8), (T.erfcinv, ERFCINV, 8), (T.psi, PSI, 8), (T.tri_gamma, TRIGAMMA, 8),
    (lambda x: T.polygamma(2, x), POLYGAMMA2, 8), (T.i0, I0, 8), (T.i1, I1, 8),
], ids=["erfinv", "erfcinv", "psi", "tri_gamma", "polygamma2", "i0", "i1"])
def test_values_to_a_few_ulp(function, table, ulps):
    points, expected = zip(*table)
    np.testing.assert_allclose(evaluate(function, points), expected, rtol=ulps * ULP, atol=0)


@pytest.mark.parametrize("function, table", [(T.j0, J0), (T.j1, J1)], ids=["j0", "j1"])
def test_bessel_j_to_a_few_ulp_of_its_scale(function, table):
    points, expected = zip(*table)
    np.testing.assert_allclose(evaluate(function, points), expected, rtol=0, atol=4 * ULP)


def test_edge_values():
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(evaluate(T.erfinv, [1, -1, 1.5, np.nan]), [np.inf, -np.inf, np.nan, np.nan])
        np.testing.assert_array_equal(evaluate(T.erfcinv, [0, 2, -1, 3]), [np.inf, -np.inf, np.nan, np.nan])
        # As SciPy: psi(+-0) = -+inf, NaN at the negative integers; a pole of trigamma is +inf.
        np.testing.assert_array_equal(evaluate(T.psi, [0.0, -0.0, -1.0, np.inf]), [-np.inf, np.inf, np.nan, np.inf])
        np.testing.assert_array_equal(evaluate(T.tri_gamma, [0.0, -3.0]), [np.inf, np.inf])
        np.testing.assert_array_equal(evaluate(T.j0, [np.inf, -np.inf]), [0.0, 0.0])
        np.testing.assert_array_equal(evaluate(T.i0, [np.inf, 800.0]), [np.inf, np.inf])


def test_inverses_invert():
    y = np.linspace(-0.99, 0.99, 199)
    np.testing.assert_allclose(evaluate(lambda x: T.erf(T.erfinv(x)), y), y, rtol=4 * ULP, atol=ULP)
    np.testing.assert_allclose(evaluate(lambda x: T.erfc(T.erfcinv(x)), y + 1), y + 1, rtol=4 * ULP, atol=ULP)


def test_psi_is_the_derivative_of_gammaln_and_its_recurrence_holds():
    x = np.linspace(0.3, 20, 50)
    np.testing.assert_allclose(evaluate(T.psi, x + 1) - evaluate(T.psi, x), 1 / x, rtol=1e-13, atol=1e-14)
    v = T.dvector("v")
    gradient = theano.function([v], T.grad(T.sum(T.gammaln(v)), v))(x)
    np.testing.assert_allclose(gradient, evaluate(T.psi, x), rtol=0, atol=0)


def test_bessel_functions_satisfy_their_wronskian_like_identity():
    # J0(x) J1'(x) - J1(x) J0'(x) = J0^2 + J1^2 - J0 J1 / x, checked through the gradients.
    x = T.dvector("x")
    dj1 = T.grad(T.sum(T.j1(x)), x)
    values = np.linspace(0.5, 40, 80)
    j0, j1, derivative = theano.function([x], [T.j0(x), T.j1(x), dj1])(values)
    np.testing.assert_allclose(derivative, j0 - j1 / values, rtol=0, atol=1e-15)


def test_polygamma_order_is_a_python_int():
    with pytest.raises(ValueError, match="order"):
        T.polygamma(-1, T.dvector())
    assert str(T.psi(T.dvector()).owner.op) == "Elemwise{psi,no_inplace}"  # Theano's names
    assert str(T.tri_gamma(T.dvector()).owner.op) == "Elemwise{tri_gamma,no_inplace}"
    assert T.polygamma(3, T.dvector()).owner.op == special.Polygamma(3)


COMPILER = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")


@pytest.mark.skipif(COMPILER is None, reason="no C++ compiler found")
def test_host_c_versions_agree_with_impl_over_wide_ranges(tmp_path):
    """The C functions a fused kernel calls on the host (c_helpers.py) against impl, in float64,
    where test_c_expressions' rows do not reach: negative psi, tails, large arguments."""
    x = np.concatenate([np.linspace(-9.7, 40, 397), [1e-6, 2e-300, 123.4, -250.25]])
    q = np.concatenate([np.linspace(1e-6, 2 - 1e-6, 201), [1e-30, 1e-200, 2 - 1e-12]])
    cases = [(f"minitensor_polygamma({n}, x[i])", x, lambda a, n=n: special._polygamma(np, a, n)) for n in range(3)]
    cases += [("minitensor_j0(x[i])", x, lambda a: T.j0.compute(np, a, 0)),
              ("minitensor_j1(x[i])", x, lambda a: T.j1.compute(np, a, 1)),
              ("minitensor_i0(x[i])", x, lambda a: T.i0.compute(np, a, 0)),
              ("minitensor_i1(x[i])", x, lambda a: T.i1.compute(np, a, 1)),
              ("minitensor_erfcinv(x[i])", q, lambda a: special._erfcinv(np, a)),
              ("minitensor_erfinv(x[i])", q - 1, lambda a: special._erfinv(np, a))]
    # In namespace mt, where the host's math overloads are (backends/c.py), as test_c_expressions does.
    lines = [HOST_PRELUDE, "#include <cstdio>", "namespace mt {", PREAMBLE, "int run() {"]
    for expression, points, _ in cases:
        values = ", ".join(repr(float(v)) for v in points)
        lines.append(f"  {{ double x[] = {{{values}}};")
        lines.append(f"    for (int i = 0; i < {len(points)}; i++) printf(\"%.17g\\n\", {expression}); }}")
    lines += ["  return 0;", "}", "}  // namespace mt", "int main() { return mt::run(); }"]
    (tmp_path / "special.cpp").write_text("\n".join(lines))
    subprocess.run([COMPILER, "-O0", "-o", str(tmp_path / "special"), str(tmp_path / "special.cpp")], check=True)
    printed = subprocess.run([str(tmp_path / "special")], check=True, capture_output=True, text=True).stdout.split()
    got, offset = np.array(printed, dtype=float), 0
    for expression, points, compute in cases:
        with np.errstate(all="ignore"):
            expected = compute(points)
        np.testing.assert_allclose(got[offset:offset + len(points)], expected, rtol=1e-13, atol=1e-15,
                                   err_msg=expression)
        offset += len(points)



@pytest.mark.numpy_only("the C linker is the CPU's backend; CuPy runs CUDA kernels")
def test_under_the_c_linker_fused_special_functions_compile_and_complex_nodes_run_op_by_op():
    import io
    from minitensor.backends import get_backend
    from minitensor.compile.mode import Mode
    from minitensor.printing import print_program
    if get_backend("numpy", "c").linker != "c":
        pytest.skip("no C++ compiler found")
    x, z = T.dvector("x"), T.zvector("z")
    outputs = [T.psi(x) * 2 + T.j0(x) - T.erfcinv(T.nnet.sigmoid(x)), T.erfinv(T.tanh(x)) + T.i1(x) * T.tri_gamma(x),
               abs(T.exp(z) * 2 + z) * x]
    values = [np.linspace(-2.7, 3.3, 7), np.linspace(-1, 1, 7) + 0.5j]
    compiled = theano.function([x, z], outputs, mode=Mode(linker="c"))
    expected = theano.function([x, z], outputs, mode=Mode(linker="py"))(*values)
    for got, want in zip(compiled(*values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    program = io.StringIO()
    print_program(compiled, file=program)
    assert program.getvalue().count("compiled by the C linker") == 2  # the complex node is not
