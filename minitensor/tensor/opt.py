"""Theano's ``theano.tensor.opt``: registering rewrites in the compiler's phases, constants,
and the ``Assert`` op.

``register_canonicalize``, ``register_stabilize`` and ``register_specialize`` add a
local optimizer to a phase (see ``minitensor.rewriting.optdb``);
``get_scalar_constant_value(v)`` is the number ``v`` holds everywhere when that is
known while compiling (a constant, maybe broadcast, or the length of a
broadcastable axis), else it raises ``NotScalarConstantError``.
"""

from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Constant, Op, Variable
from minitensor.rewriting.optdb import register_canonicalize, register_specialize, register_stabilize  # noqa: F401
from minitensor.rewriting.patterns import scalar_constant
from minitensor.tensor.elemwise import Cast
from minitensor.tensor.shape_ops import Shape_i
from minitensor.tensor.variable import as_tensor_variable


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


@dataclass(frozen=True)
class Assert(Op):
    """``value`` itself, after checking when the graph runs that every condition is true;
    else ``AssertionError(msg)``, as Theano's ``Assert``. The gradient passes to ``value``.

    >>> import minitensor as theano, minitensor.tensor as T
    >>> x = T.dvector('x')
    >>> f = theano.function([x], Assert('x is short')(x, x.size < 2))
    >>> f([1.0])
    array([1.])
    """

    msg: str = "Theano Assert failed!"
    returns_view = True

    def make_node(self, value, *conditions):
        value = as_tensor_variable(value)
        conditions = [as_tensor_variable(c) for c in conditions]
        for condition in conditions:
            if condition.ndim != 0:
                raise TypeError(f"Assert's conditions are scalars, got {condition.describe()}")
        return Apply(self, [value, *conditions], [value.type()])

    def host_inputs(self, node):
        return tuple(range(1, len(node.inputs)))  # the conditions are read on the host

    def impl(self, xp, value, *conditions):
        if not all(bool(c) for c in conditions):
            raise AssertionError(self.msg)
        return value

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]  # as Theano's: a shape query does not check the conditions

    def grad(self, inputs, outputs, grads):
        return [grads[0]] + [None] * (len(inputs) - 1)

    def __str__(self):
        return f"Assert{{msg={self.msg!r}}}"
