"""Ops that compute the identity but change the gradient flowing back through them.

Theano's ``theano.gradient`` helpers, each a one-input op whose value is its input
(a view, so it costs nothing when the graph runs) and whose ``grad`` is the point:

* ``consider_constant(x)`` and ``zero_grad(x)``: the gradient through x is zero;
* ``disconnected_grad(x)``: no gradient flows through x, and a variable reached only
  through it counts as disconnected (``grad`` raises ``DisconnectedInputError``);
* ``grad_clip(x, lower, upper)``: the gradient through x is clipped to [lower, upper];
* ``grad_scale(x, multiplier)``: the gradient through x is multiplied.

>>> import minitensor as theano, minitensor.tensor as T
>>> x = T.dscalar('x')
>>> theano.function([x], T.grad(grad_clip(x, -1, 1) ** 2, x))(2.0)
array(1.)
"""

from dataclasses import dataclass

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.variable import as_tensor_variable


class GradientModifier(Op):
    """Base of the ops here: the value is the input itself; subclasses define ``grad``."""

    returns_view = True

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        return x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


@dataclass(frozen=True)
class ZeroGrad(GradientModifier):
    """x, with a zero gradient (Theano's ``zero_grad`` and ``consider_constant``)."""

    def grad(self, inputs, outputs, grads):
        return [E.zeros_like(grads[0])]


@dataclass(frozen=True)
class DisconnectedGrad(GradientModifier):
    """x, through which no gradient flows: ``grad`` treats its output as a constant."""

    disconnects_gradient = True  # read by the grad engine, which does not walk past this node

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class GradClip(GradientModifier):
    """x, whose gradient is clipped to [``lower``, ``upper``] elementwise."""

    lower: float
    upper: float

    def __post_init__(self):
        if not self.lower <= self.upper:
            raise ValueError(f"grad_clip needs lower <= upper, got {self.lower} and {self.upper}")

    def grad(self, inputs, outputs, grads):
        return [E.clip(grads[0], self.lower, self.upper)]


@dataclass(frozen=True)
class GradScale(GradientModifier):
    """x, whose gradient is multiplied by ``multiplier``."""

    multiplier: float

    def grad(self, inputs, outputs, grads):
        return [grads[0] * self.multiplier]


def zero_grad(x):
    """``x``, whose gradient is zero: ``grad`` sees it as a constant, but x still counts as connected."""
    return ZeroGrad()(x)


consider_constant = zero_grad


def disconnected_grad(x):
    """``x``, through which no gradient flows; a variable reached only through it is disconnected."""
    return DisconnectedGrad()(x)


def grad_clip(x, lower_bound, upper_bound):
    """``x``, whose gradient is clipped to [``lower_bound``, ``upper_bound``]."""
    return GradClip(float(lower_bound), float(upper_bound))(x)


def grad_scale(x, multiplier):
    """``x``, whose gradient is multiplied by ``multiplier`` (-1 reverses it)."""
    return GradScale(float(multiplier))(x)
