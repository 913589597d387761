"""Small helpers that rules use to recognise parts of a graph."""

import numpy as np

from minitensor.graph import Constant
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import DimShuffle
from minitensor.tensor.variable import constant


def owner_op(var, op_class):
    """The node that made ``var`` if its op is an ``op_class``, else None."""
    node = var.owner
    return node if node is not None and isinstance(node.op, op_class) else None


def scalar_constant(var):
    """The Python number ``var`` holds everywhere, if it is a constant (maybe broadcast), else None.

    Elementwise ops pad constants with dimshuffles, so those are looked through.
    """
    while owner_op(var, DimShuffle) is not None:
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and var.data.size > 0:
        first = var.data.flat[0]
        if np.all(var.data == first):
            return first.item()
    return None


def is_constant(var, value):
    return scalar_constant(var) == value


def negate(var):
    """-var, without stacking negations: -(-x) is x."""
    node = owner_op(var, E.Neg)
    return node.inputs[0] if node is not None else E.neg(var)


def constant_like(value, x):
    """``value`` as a constant of x's dtype and rank: no dimshuffle to fold away afterwards."""
    return constant(np.full((1,) * x.ndim, value, dtype=x.dtype))


def exp_minus_abs(x):
    """exp(-|x|), which never overflows: the one exponential that sigmoid(±x) and softplus(±x)
    are written with (``stabilize.py``, ``expand.py``); merging makes every copy one node."""
    return E.exp(E.neg(E.abs_(x)))


def sigmoid_numerator(x, e, negated=False):
    """1 where x > 0 and e = exp(-|x|) elsewhere (for ``negated``: 1 where x < 0): sigmoid(x)
    (or sigmoid(-x)) times 1 + e. Written max(e, x > 0), which is that since 0 <= e <= 1, a
    comparison is 0 or 1, and at x = 0 e is 1 as well (for a NaN x it is NaN, as is the
    sigmoid). The comparison is the one ``stabilize.py`` writes ``sigmoid(x) > 0.5`` as, so a
    prediction of a model whose loss needs this numerator costs nothing more. NumPy's where,
    which branches on each element, takes five to ten times as long on 100,000 elements."""
    return E.maximum(e, E.lt(x, constant_like(0, x)) if negated else E.gt(x, constant_like(0, x)))
