"""Neural-network functions (``T.nnet`` in Theano): ``sigmoid``, ``softplus``, ``relu``,
``softmax``, ``log_softmax``, the cross-entropies and the hierarchical softmax ``h_softmax``.

``sigmoid`` and ``softplus`` are elementwise ops of their own rather than
formulas, because the formulas overflow: ``1 / (1 + exp(-x))`` needs exp(800),
and ``log(1 + exp(x))`` loses everything for large x. The implementations
here are finite and accurate for every finite input. ``softmax`` and
``log_softmax`` are ops for the same reason, and for their compact gradients.

The cross-entropies are formulas over other ops, so the compiler's stabilising
rules see them: ``log(sigmoid(x))`` inside ``binary_crossentropy`` becomes
``-softplus(-x)``.
"""

from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor import reduction as R
from minitensor.tensor.construction import arange
from minitensor.tensor.elemwise import Elemwise
from minitensor.tensor.linalg import batched_dot, dot, tensordot
from minitensor.tensor.type import is_float
from minitensor.tensor.variable import as_tensor_variable


@dataclass(frozen=True)
class Sigmoid(Elemwise):
    """1 / (1 + exp(-x)); d/dx = sigmoid(x) * (1 - sigmoid(x))."""
    nin, scalar_name, output_kind = 1, "sigmoid", "float"
    # As impl: 1/(1+exp(-x)) would round exp(x) for x far below 0, where the result is subnormal.
    c_template = "({0} >= 0 ? 1 / (1 + exp(-{0})) : exp({0}) / (1 + exp({0})))"

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
    nin, scalar_name, output_kind = 1, "softplus", "float"
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


def _float_input(x, name):
    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise TypeError(f"{name} works along the last axis, so it needs at least a vector, got {x.describe()}")
    return x if is_float(x.dtype) else E.cast(x, Elemwise.float_dtype(x.dtype))


@dataclass(frozen=True)
class Softmax(Op):
    """exp(x) / sum(exp(x)) along the last axis (each row of a matrix; a whole vector).

    The row's max is subtracted first, which changes nothing but keeps exp from
    overflowing. Gradient, with s the output: s * (g - sum(g * s, axis=-1)).
    """

    def make_node(self, x):
        x = _float_input(x, "softmax")
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        # The arrays' own methods and out= buffers: on small rows the calls are what costs.
        e = xp.exp(xp.subtract(x, x.max(axis=-1, keepdims=True)))
        return xp.divide(e, e.sum(axis=-1, keepdims=True), out=e)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        s, g = outputs[0], grads[0]
        return [s * (g - R.sum(g * s, axis=-1, keepdims=True))]


@dataclass(frozen=True)
class LogSoftmax(Op):
    """log(softmax(x)) along the last axis, computed as (x - max) - log(sum(exp(x - max))).

    That is finite even where softmax rounds to 0. Gradient, with out the output:
    g - exp(out) * sum(g, axis=-1).
    """

    def make_node(self, x):
        x = _float_input(x, "log_softmax")
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        # As Softmax's: the arrays' methods, and out= buffers.
        shifted = xp.subtract(x, x.max(axis=-1, keepdims=True))
        total = xp.exp(shifted).sum(axis=-1, keepdims=True)
        return xp.subtract(shifted, xp.log(total, out=total), out=shifted)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        g = grads[0]
        return [g - E.exp(outputs[0]) * R.sum(g, axis=-1, keepdims=True)]


softmax, log_softmax = Softmax(), LogSoftmax()
logsoftmax = log_softmax  # Theano 1.0's name


def binary_crossentropy(output, target):
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise.

    Written over log, so that for output = sigmoid(x) the compiler computes it as
    softplus terms, finite for every x.
    """
    return -(target * E.log(output) + (1 - target) * E.log(1 - output))


def categorical_crossentropy(coding_dist, true_dist):
    """The cross-entropy of each row of ``coding_dist`` (probabilities) with ``true_dist``.

    ``true_dist`` is either probabilities of the same shape, giving
    -sum(true_dist * log(coding_dist), axis=-1), or a vector of integer class
    labels, one per row, giving -log(coding_dist[i, true_dist[i]]).
    """
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -R.sum(true_dist * E.log(coding_dist), axis=-1)
    if coding_dist.ndim == 2 and true_dist.ndim == 1 and np.dtype(true_dist.dtype).kind in "iu":
        # log of the whole matrix, then the picked entries: a log(softmax(x)) that a
        # rewrite can see as one, as in the tutorials' -log(p)[arange(n), y].
        return -E.log(coding_dist)[arange(true_dist.shape[0]), true_dist]
    raise TypeError(f"categorical_crossentropy takes probabilities of the shape of {coding_dist.describe()} "
                    f"or a vector of integer labels for its rows, got {true_dist.describe()}")


def sigmoid_binary_crossentropy(output, target):
    """``binary_crossentropy(sigmoid(output), target)``: the cross-entropy of unnormalised
    ``output``; the compiler computes it as softplus terms, finite for every output."""
    return binary_crossentropy(sigmoid(output), target)


def h_softmax(x, batch_size, n_outputs, n_classes, n_outputs_per_class, W1, b1, W2, b2, target=None):
    """Theano's two-level hierarchical softmax: p(output) = p(class) p(output | class).

    The outputs are split into ``n_classes`` classes of ``n_outputs_per_class``; a softmax over
    ``x . W1 + b1`` gives each class's probability, and for class c a softmax over
    ``x . W2[c] + b2[c]`` the probabilities within it. With ``target`` (one integer output per
    row of x, as a matrix or a vector) only the targets' probabilities are computed, in
    O(n_classes + n_outputs_per_class) per row; without, all ``n_outputs`` of them.
    """
    x, W1, b1, W2, b2 = (as_tensor_variable(v) for v in (x, W1, b1, W2, b2))
    class_probs = softmax(dot(x, W1) + b1)
    if target is None:
        activations = tensordot(x, W2, (1, 1)) + b2  # (batch, class, output in class)
        within = softmax(activations.reshape((-1, n_outputs_per_class))).reshape((batch_size, n_classes, -1))
        probs = (class_probs.dimshuffle(0, 1, "x") * within).reshape((batch_size, -1))
        return probs[:, :n_outputs]  # the last class may have fewer real outputs than the others
    target = as_tensor_variable(target).flatten()
    target_classes, within_class = target // n_outputs_per_class, target % n_outputs_per_class
    rows = arange(batch_size)
    activations = batched_dot(x, W2[target_classes]) + b2[target_classes]  # only the targets' classes
    return class_probs[rows, target_classes] * softmax(activations)[rows, within_class]
