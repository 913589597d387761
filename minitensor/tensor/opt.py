"""Theano's ``theano.tensor.opt``: registering rewrites in the compiler's phases, and constants.

``register_canonicalize``, ``register_stabilize`` and ``register_specialize`` add a
local optimizer to a phase (see ``minitensor.rewriting.optdb``);
``get_scalar_constant_value(v)`` is the number ``v`` holds everywhere when that is
known while compiling (a constant, maybe broadcast, or the length of a
broadcastable axis), else it raises ``NotScalarConstantError``.
"""

import numpy as np

from minitensor.graph import Constant, Variable
from minitensor.rewriting.optdb import register_canonicalize, register_specialize, register_stabilize  # noqa: F401
from minitensor.rewriting.patterns import scalar_constant
from minitensor.tensor.elemwise import Cast
from minitensor.tensor.shape_ops import Shape_i


class NotScalarConstantError(ValueError):
    """The variable's value is not one number known while compiling."""


def get_scalar_constant_value(v, elemwise=True, only_process_constants=False, max_recur=10):
    """The number ``v`` holds everywhere, if it is known while compiling (see the module docstring)."""
    if not isinstance(v, Variable):
        array = np.asarray(v)
        if array.size and np.all(array == array.flat[0]):
            return array.flat[0]
        raise NotScalarConstantError(f"{v!r} is not one number")
    value = scalar_constant(v) if isinstance(getattr(v, "data", None), np.ndarray) or v.owner is not None else None
    if value is not None:
        return np.asarray(value, dtype=v.dtype)
    node = v.owner
    if node is not None and not only_process_constants:
        if isinstance(node.op, Cast):
            return np.asarray(get_scalar_constant_value(node.inputs[0], elemwise, False, max_recur),
                              dtype=v.dtype)
        if isinstance(node.op, Shape_i) and node.inputs[0].broadcastable[node.op.i]:
            return np.asarray(1, dtype="int64")
    if isinstance(v, Constant) and np.ndim(v.data) == 0:
        return np.asarray(v.data)
    raise NotScalarConstantError(f"{v} is not a constant known while compiling")
