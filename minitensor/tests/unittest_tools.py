"""Theano's ``theano.tests.unittest_tools``: helpers for testing an op a user wrote.

* ``seed_rng()`` seeds NumPy's global generator with ``fetch_seed()``: the seed in
  the environment variable ``MINITENSOR_UNITTEST_SEED`` (Theano reads
  ``config.unittests.rseed``), else 666, Theano's default;
* ``verify_grad`` is ``minitensor.gradient.verify_grad`` with a seeded generator;
* ``assert_allclose`` compares with tolerances fitting the dtypes;
* ``InferShapeTester._compile_and_check`` checks an op's ``infer_shape``: the
  shapes compiled from it must match the computed outputs' shapes, and computing
  them must not run the op.
"""

import os
import unittest

import numpy as np

import minitensor
from minitensor.gradient import verify_grad as _verify_grad

DEFAULT_SEED = 666


def fetch_seed(pseed=None):
    """``pseed`` if given, else the seed of the environment (see the module docstring)."""
    if pseed is not None:
        return int(pseed)
    return int(os.environ.get("MINITENSOR_UNITTEST_SEED", DEFAULT_SEED))


def seed_rng(pseed=None):
    """Seed NumPy's global generator, so a test draws the same values on every run; returns the seed."""
    seed = fetch_seed(pseed)
    np.random.seed(seed)
    return seed


def verify_grad(op, pt, n_tests=2, rng=None, *args, **kwargs):
    """``minitensor.gradient.verify_grad`` with a generator seeded by ``fetch_seed`` by default."""
    if rng is None:
        rng = np.random.default_rng(fetch_seed())
    elif isinstance(rng, np.random.RandomState):
        rng = np.random.default_rng(rng.randint(2 ** 31))
    return _verify_grad(op, pt, n_tests, rng, *args, **kwargs)


def assert_allclose(expected, value, rtol=None, atol=None):
    """Raise AssertionError unless ``value`` is close to ``expected``, within tolerances fitting
    the less precise of their dtypes (1e-5 for float64, 1e-3 for float32, 1e-2 for float16)."""
    expected, value = np.asarray(expected), np.asarray(value)
    tolerances = {"float16": 1e-2, "float32": 1e-3}
    default = max(tolerances.get(expected.dtype.name, 1e-5), tolerances.get(value.dtype.name, 1e-5))
    np.testing.assert_allclose(value, expected, rtol=rtol or default, atol=atol or default)


class InferShapeTester(unittest.TestCase):
    """A TestCase whose ``_compile_and_check`` tests an op's ``infer_shape``."""

    def setUp(self):
        seed_rng()
        self.mode = getattr(self, "mode", None) or minitensor.Mode()

    def _compile_and_check(self, inputs, outputs, numeric_inputs, cls, excluding=None, warn=True,
                           check_topo=True):
        """Check that the shapes of ``outputs`` compile to a function free of ``cls`` nodes
        (with ``check_topo``) that agrees with the shapes of the outputs computed from
        ``numeric_inputs``. Use inputs whose lengths differ along different axes: a square
        matrix cannot tell a height from a width (``warn`` warns about one)."""
        mode = self.mode.excluding(*excluding) if excluding else self.mode
        if warn:
            for value in numeric_inputs:
                shape = np.shape(value)
                if len(set(shape)) != len(shape):
                    import warnings
                    warnings.warn(f"testing the shapes of {cls.__name__} with an input of shape {shape}, "
                                  f"whose lengths repeat: a mix-up of those axes would go unseen")
                    break
        outputs_function = minitensor.function(inputs, outputs, mode=mode)
        shapes_function = minitensor.function(inputs, [o.shape for o in outputs], mode=mode)
        if check_topo:
            found = [node for node in shapes_function.maker.fgraph.toposort() if isinstance(node.op, cls)]
            assert not found, f"computing the shapes still runs {found[0]}: its infer_shape was not used"
        assert any(isinstance(node.op, cls) for node in outputs_function.maker.fgraph.toposort()), \
            f"no {cls.__name__} node is left to test in the compiled outputs"
        for out, shape in zip(outputs_function(*numeric_inputs), shapes_function(*numeric_inputs)):
            assert np.shape(out) == tuple(shape), f"{cls.__name__}: computed shape {np.shape(out)}, inferred {tuple(shape)}"
