"""Expanding rules: sigmoid and softplus written out with one exp and one log1p they share.

With e = exp(-|x|), which never overflows, and l = log1p(e)::

    sigmoid(x)  = max(e, x > 0) / (1 + e)       softplus(x)  = max(x, 0) + l
    sigmoid(-x) = max(e, x < 0) / (1 + e)       softplus(-x) = l - min(x, 0)

(A comparison is 0 or 1, and 0 <= e <= 1: the numerator of sigmoid(x) is 1 for
x > 0 and e elsewhere, which at x = 0 is 1 too.)

A graph that needs all four (a sigmoid, its log-likelihood and their
gradients, say) would spend six exponentials and logarithms per element on
them with their own ops; expanded, merging makes e, 1 + e and l one node
each, and two remain; fusion then writes them as ufunc calls into buffers that
are dead. (The stabilising rules write a cross-entropy of a sigmoid and its
gradient with e too, so a prediction, its cost and its gradient share one
exponential.) A lone sigmoid is no slower expanded (its op calls more
ufuncs), a lone softplus from about a hundred elements on: NumPy's
``logaddexp`` calls the scalar C exp and log1p once per element, where ``exp``
and ``log1p`` run vectorised. Below that, its six calls cost a microsecond or two more.

The expansions are the formulas the ops compute anyway (``logaddexp(0, x)`` is
max(x, 0) + log1p(exp(-|x|)) inside) and stay within 3 ulp in float64, 4 in float32.
This phase runs after the stabilising rules, and without them, because they
would fold log1p(exp(-|x|)) back into softplus(-|x|).
"""

from minitensor.rewriting.engine import rule
from minitensor.rewriting.patterns import constant_like, exp_minus_abs, owner_op, sigmoid_numerator
from minitensor.tensor import elemwise as E
from minitensor.tensor.nnet import Sigmoid, Softplus


def _sign_and_magnitude_source(var):
    """(x, negated): ``var`` is -x when ``negated``, else x itself; e is then exp(-|x|) for both."""
    node = owner_op(var, E.Neg)
    return (node.inputs[0], True) if node is not None else (var, False)


@rule(Sigmoid)
def sigmoid_by_exp(node):
    """sigmoid(x) -> max(e, x > 0) / (1 + e) and sigmoid(-x) -> max(e, x < 0) / (1 + e), e = exp(-|x|)"""
    x, negated = _sign_and_magnitude_source(node.inputs[0])
    e = exp_minus_abs(x)
    return [E.true_div(sigmoid_numerator(x, e, negated), E.add(constant_like(1, x), e))]


@rule(Softplus)
def softplus_by_exp(node):
    """softplus(x) -> max(x, 0) + log1p(e) and softplus(-x) -> log1p(e) - min(x, 0), e = exp(-|x|)

    softplus(-|x|), which ``stabilize.sigmoid_cross_entropy`` writes, is log1p(e) alone."""
    x, negated = _sign_and_magnitude_source(node.inputs[0])
    magnitude = owner_op(x, E.Abs)
    if negated and magnitude is not None:
        return [E.log1p(exp_minus_abs(magnitude.inputs[0]))]
    log1p_e, zero = E.log1p(exp_minus_abs(x)), constant_like(0, x)
    if negated:
        return [E.sub(log1p_e, E.minimum(x, zero))]
    return [E.add(E.maximum(x, zero), log1p_e)]


EXPAND = [sigmoid_by_exp, softplus_by_exp]
