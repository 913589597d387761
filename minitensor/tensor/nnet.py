"""Neural-network functions: ``sigmoid``, ``softplus`` and ``relu`` (``T.nnet`` in Theano).

``sigmoid`` and ``softplus`` are elementwise ops of their own rather than
formulas, because the formulas overflow: ``1 / (1 + exp(-x))`` needs exp(800),
and ``log(1 + exp(x))`` loses everything for large x. The implementations
here are finite and accurate for every finite input.
"""

from dataclasses import dataclass

from minitensor.tensor import elemwise as E
from minitensor.tensor.elemwise import Elemwise


@dataclass(frozen=True)
class Sigmoid(Elemwise):
    """1 / (1 + exp(-x)); d/dx = sigmoid(x) * (1 - sigmoid(x))."""
    nin, name, output_kind = 1, "sigmoid", "float"
    c_template = "(1 / (1 + exp(-{0})))"  # exp overflows to inf, and 1/inf is the right 0

    def impl(self, xp, x):
        # With e = exp(-|x|) <= 1 nothing overflows: 1/(1+e) for x >= 0, e/(1+e) below.
        # This stays within 2 ulp; exp(-logaddexp(0, -x)) was 9 ulp off in float32.
        e = xp.exp(-xp.abs(x))
        r = 1 / (1 + e)
        return xp.where(x >= 0, r, e * r)

    def grad(self, inputs, outputs, grads):
        s = outputs[0]
        return [grads[0] * s * (1 - s)]


@dataclass(frozen=True)
class Softplus(Elemwise):
    """log(1 + exp(x)); d/dx = sigmoid(x)."""
    nin, name, output_kind = 1, "softplus", "float"
    c_template = "({0} > 0 ? {0} + log1p(exp(-{0})) : log1p(exp({0})))"

    def impl(self, xp, x):
        return xp.logaddexp(0, x)

    def grad(self, inputs, outputs, grads):
        return [grads[0] * sigmoid(inputs[0])]


sigmoid, softplus = Sigmoid(), Softplus()


def relu(x, alpha=0):
    """max(x, alpha * x): the rectifier, leaky when ``alpha`` is not 0."""
    if alpha == 0:
        return E.maximum(x, 0)
    return E.switch(E.gt(x, 0), x, alpha * x)
