"""Theano's ``theano.tensor.tests.test_basic.makeTester``: a TestCase class made from examples.

``makeTester(name, op, expected, good=..., bad_build=..., bad_runtime=..., grad=...)``
returns a ``unittest.TestCase`` subclass whose tests check, for each named tuple of
input values: ``good`` ones compute ``expected(*values)`` (and satisfy each of
``checks``, functions of the inputs and outputs); ``bad_build`` ones are refused
when the graph is built; ``bad_runtime`` ones build and compile but raise when run;
``grad`` ones pass ``verify_grad``.
"""

import unittest

import numpy as np

import minitensor
from minitensor.gradient import verify_grad
from minitensor.tensor.type import TensorType


def _symbolic(values):
    return [TensorType(np.asarray(v).dtype, [size == 1 for size in np.shape(v)])() for v in values]


def makeTester(name, op, expected, checks=None, good=None, bad_build=None, bad_runtime=None, grad=None,
               mode=None, grad_rtol=None, eps=1e-10, skip=False, test_memmap=True, check_name=False,
               grad_eps=None):
    """A TestCase class testing ``op`` on the example inputs given (see the module docstring)."""
    checks, good, bad_build, bad_runtime = checks or {}, good or {}, bad_build or {}, bad_runtime or {}
    grad = good if grad is True else grad or {}

    class Checker(unittest.TestCase):
        def test_good(self):
            for case, values in good.items():
                inputs = _symbolic(values)
                result = op(*inputs)
                results = result if isinstance(result, (list, tuple)) else [result]
                computed = minitensor.function(inputs, list(results), mode=mode)(*values)
                wanted = expected(*values)
                wanted = wanted if isinstance(wanted, (list, tuple)) else [wanted]
                for got, want in zip(computed, wanted):
                    np.testing.assert_allclose(got, want, rtol=1e-7 if got.dtype == np.float64 else 1e-4,
                                               err_msg=f"{name}, case {case}")
                for check_name_, check in checks.items():
                    self.assertTrue(check(values, computed), f"{name}, case {case}: check {check_name_} failed")

        def test_bad_build(self):
            for case, values in bad_build.items():
                with self.assertRaises(Exception, msg=f"{name}, case {case} built"):
                    op(*_symbolic(values))

        def test_bad_runtime(self):
            for case, values in bad_runtime.items():
                inputs = _symbolic(values)
                result = op(*inputs)
                f = minitensor.function(inputs, result, mode=mode)
                with self.assertRaises(Exception, msg=f"{name}, case {case} ran"):
                    f(*values)

        def test_grad(self):
            for case, values in grad.items():
                verify_grad(op, [np.asarray(v, dtype=float) for v in values], rel_tol=grad_rtol, eps=grad_eps)

    Checker.__name__ = Checker.__qualname__ = name
    return Checker
