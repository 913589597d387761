"""Theano's ``theano.tests.test_rop``: ``RopLop_checker``, to test an op's R_op and gradient.

A test case inherits from it and calls ``check_rop_lop(op(self.x), out_shape)``
(``self.x`` is a vector) or ``check_mat_rop_lop(op(self.mx), out_shape)``
(``self.mx`` a matrix; the output must be a vector). Both compare ``Rop`` and
``Lop`` with products of the Jacobian, computed here with ``jacobian``.
"""

import unittest

import numpy as np

import minitensor
import minitensor.tensor as T
from minitensor.tests import unittest_tools as utt


class RopLop_checker(unittest.TestCase):
    """No tests of its own: the checks above, for test cases that inherit them."""

    def setUp(self):
        utt.seed_rng()
        self.x, self.v = T.vector("x"), T.vector("v")
        self.mx, self.mv = T.matrix("mx"), T.matrix("mv")
        self.rng = np.random.RandomState(utt.fetch_seed())
        self.in_shape = (5 + self.rng.randint(3),)
        self.mat_in_shape = (5 + self.rng.randint(3), 5 + self.rng.randint(3))

    def _values(self, shape):
        return np.asarray(self.rng.uniform(size=shape), minitensor.config.floatX)

    def _check(self, y, x, v, in_shape, out_shape):
        jacobian = T.jacobian(y, x)  # of shape y.shape + x.shape
        flat = T.reshape(jacobian, (jacobian.shape[0], -1)) if x.ndim > 1 else jacobian
        vx, vv = self._values(in_shape), self._values(in_shape)
        rop = minitensor.function([x, v], T.Rop(y, x, v), on_unused_input="ignore")
        reference = minitensor.function([x, v], T.dot(flat, T.flatten(v)), on_unused_input="ignore")
        r1, r2 = rop(vx, vv), reference(vx, vv)
        assert np.allclose(r1, r2), f"Rop mismatch: {r1} {r2}"
        u = T.vector("u")
        vu = self._values(out_shape)
        lop = minitensor.function([x, u], T.Lop(y, x, u), on_unused_input="ignore")
        reference = minitensor.function([x, u], T.grad(T.sum(u * y), x), on_unused_input="ignore")
        l1, l2 = lop(vx, vu), reference(vx, vu)
        assert np.allclose(l1, l2), f"Lop mismatch: {l1} {l2}"

    def check_rop_lop(self, y, out_shape):
        """Rop and Lop of ``y``, a vector function of the vector ``self.x``, against its Jacobian."""
        self._check(y, self.x, self.v, self.in_shape, out_shape)

    def check_mat_rop_lop(self, y, out_shape):
        """Rop and Lop of ``y``, a vector function of the matrix ``self.mx``, against its Jacobian."""
        self._check(y, self.mx, self.mv, self.mat_in_shape, out_shape)

    def check_nondiff_rop(self, y):
        """That ``Rop`` of ``y``, which is not differentiable in ``self.x``, raises."""
        with self.assertRaises((ValueError, TypeError, NotImplementedError)):
            T.Rop(y, self.x, self.v)
