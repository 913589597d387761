"""Stabilising rules: rewrite formulas that overflow or cancel into ones that do not.

``1 / (1 + exp(-x))`` overflows for large -x and ``log(1 - p)`` loses everything
when p rounds to 1; ``sigmoid`` and ``softplus`` compute the same values without
either problem. Each rule's docstring states the identity it applies.
"""

from minitensor.rewriting.engine import rule
from minitensor.rewriting.patterns import constant_like, exp_minus_abs, is_constant, negate, owner_op, sigmoid_numerator
from minitensor.tensor import elemwise as E
from minitensor.tensor.nnet import Sigmoid, Softmax, Softplus, log_softmax, sigmoid, softplus


def _exp_argument(var):
    node = owner_op(var, E.Exp)
    return node.inputs[0] if node is not None else None


def _one_plus_exp(var):
    """u when ``var`` is 1 + exp(u) (in either order), else None."""
    node = owner_op(var, E.Add)
    if node is None or len(node.inputs) != 2:
        return None
    a, b = node.inputs
    if is_constant(a, 1):
        return _exp_argument(b)
    if is_constant(b, 1):
        return _exp_argument(a)
    return None


@rule(E.TrueDiv)
def sigmoid_of_exp(node):
    """1 / (1 + exp(u)) -> sigmoid(-u)"""
    if is_constant(node.inputs[0], 1):
        u = _one_plus_exp(node.inputs[1])
        if u is not None:
            return [sigmoid(negate(u))]
    return None


@rule(E.Sub)
def one_minus_sigmoid(node):
    """1 - sigmoid(x) -> sigmoid(-x)"""
    if is_constant(node.inputs[0], 1):
        s = owner_op(node.inputs[1], Sigmoid)
        if s is not None:
            return [sigmoid(negate(s.inputs[0]))]
    return None


@rule(E.Log)
def log_sigmoid(node):
    """log(sigmoid(x)) -> -softplus(-x)"""
    s = owner_op(node.inputs[0], Sigmoid)
    if s is not None:
        return [E.neg(softplus(negate(s.inputs[0])))]
    return None


@rule(E.Log1p)
def log1p_neg_sigmoid(node):
    """log1p(-sigmoid(x)) -> -softplus(x)"""
    n = owner_op(node.inputs[0], E.Neg)
    s = n and owner_op(n.inputs[0], Sigmoid)
    if s is not None:
        return [E.neg(softplus(s.inputs[0]))]
    return None


@rule(E.Log, E.Log1p)
def softplus_of_exp(node):
    """log(1 + exp(x)) -> softplus(x); also log1p(exp(x)) -> softplus(x)"""
    if isinstance(node.op, E.Log):
        u = _one_plus_exp(node.inputs[0])
        if u is not None:
            return [softplus(u)]
    if isinstance(node.op, E.Log1p):
        u = _exp_argument(node.inputs[0])
        if u is not None:
            return [softplus(u)]
    return None


@rule(E.Log)
def log1p_of_one_plus(node):
    """log(1 + x) -> log1p(x)"""
    add = owner_op(node.inputs[0], E.Add)
    if add is not None and len(add.inputs) == 2:
        a, b = add.inputs
        if is_constant(a, 1):
            return [E.log1p(b)]
        if is_constant(b, 1):
            return [E.log1p(a)]
    return None


@rule(E.Log)
def log1p_of_minus(node):
    """log(1 - x) -> log1p(-x)"""
    sub = owner_op(node.inputs[0], E.Sub)
    if sub is not None and is_constant(sub.inputs[0], 1):
        return [E.log1p(negate(sub.inputs[1]))]
    return None


@rule(E.Sub)
def expm1_of_exp(node):
    """exp(x) - 1 -> expm1(x)"""
    if is_constant(node.inputs[1], 1):
        u = _exp_argument(node.inputs[0])
        if u is not None:
            return [E.expm1(u)]
    return None


def _weighted(var, op_class):
    """(w, x) when ``var`` is w * f(x) (in either order), f an ``op_class`` op; else None."""
    node = owner_op(var, E.Mul)
    if node is None or len(node.inputs) != 2:
        return None
    for weight, value in (node.inputs, node.inputs[::-1]):
        inner = owner_op(value, op_class)
        if inner is not None:
            return weight, inner.inputs[0]
    return None


def _is_one_minus(var, t):
    """Whether ``var`` is 1 - t."""
    node = owner_op(var, E.Sub)
    return node is not None and is_constant(node.inputs[0], 1) and node.inputs[1] is t


def _is_minus_one(var, t):
    """Whether ``var`` is t - 1."""
    node = owner_op(var, E.Sub)
    return node is not None and node.inputs[0] is t and is_constant(node.inputs[1], 1)


def _sum_is_one(a, sign_a, b, sign_b):
    """Whether sign_a * a + sign_b * b is visibly 1: (1 - t) + t, or t - (t - 1)."""
    if sign_a == sign_b == 1:
        return _is_one_minus(a, b) or _is_one_minus(b, a)
    if sign_a != sign_b:
        plus, minus = (a, b) if sign_a == 1 else (b, a)
        return _is_minus_one(minus, plus)
    return False


def _mirrored_terms(node, op_class, one_is):
    """(x, b, rest) when ``node`` adds (or subtracts) a * f(x) and b * f(-x), f an
    ``op_class`` op and a, b signed weights whose sum (``one_is="sum"``) or difference
    a - b (``one_is="difference"``) is visibly 1; ``rest`` are the node's other terms.
    These are the two halves of a binary cross-entropy of sigmoid(x), and of its derivative."""
    signs = (1, -1) if isinstance(node.op, E.Sub) else (1,) * len(node.inputs)
    terms = {}  # position -> (weight, argument, sign), for the terms of the form w * f(x)
    for k, (v, sign) in enumerate(zip(node.inputs, signs)):
        # canonicalize writes a + -b as a - b only in a sum of two terms: here -b may remain
        if owner_op(v, E.Neg):
            v, sign = v.owner.inputs[0], -sign
        weighted = _weighted(v, op_class)
        if weighted is not None:
            terms[k] = (*weighted, sign)
    of_minus = {}  # x -> positions of the terms w * f(-x), so that a long sum takes one pass
    for k, (_, argument, _) in terms.items():
        if owner_op(argument, E.Neg):
            of_minus.setdefault(argument.owner.inputs[0], []).append(k)
    for i, (a, x, sign_a) in terms.items():
        for j in of_minus.get(x, ()):
            b, _, sign_b = terms[j]
            if _sum_is_one(a, sign_a, b, sign_b if one_is == "sum" else -sign_b):
                rest = [v for k, v in enumerate(node.inputs) if k not in (i, j)]
                return x, (b if sign_b == 1 else E.neg(b)), rest
    return None


@rule(E.Add, E.Sub)
def sigmoid_cross_entropy(node):
    """(1 - t) * softplus(x) + t * softplus(-x) -> ((1 - t) * max(x, 0) - t * min(x, 0)) + softplus(-|x|)

    softplus(x) is max(x, 0) + softplus(-|x|), and softplus(-x) is -min(x, 0) + softplus(-|x|).
    The cross-entropy of sigmoid(x) against t, which the log rules above turn into the left
    side, needs one softplus this way instead of two. Where t is 0 or 1 it is exact, and at
    infinite x it gives the left side's infinity or NaN (max(x, 0) - t * x, one op shorter,
    would make a NaN of 0 * inf at x = inf, t = 0, where the left side is inf)."""
    found = _mirrored_terms(node, Softplus, one_is="sum")
    if found is None:
        return None
    x, t, rest = found
    zero = constant_like(0, x)
    linear = E.sub(E.mul(E.sub(constant_like(1, t), t), E.maximum(x, zero)), E.mul(t, E.minimum(x, zero)))
    value = E.add(linear, softplus(E.neg(E.abs_(x))))
    return [E.add(value, *rest) if rest else value]


@rule(E.Add, E.Sub)
def sigmoid_cross_entropy_gradient(node):
    """(1 - t) * sigmoid(x) - t * sigmoid(-x) -> (max(e, x > 0) - t - t * e) / (1 + e), e = exp(-|x|)

    The derivative of that cross-entropy is sigmoid(x) - t, which cancels where t is 1 and
    x large (at x = 40 it is 0 in float64, where the value is -4.2e-18); over sigmoid's
    denominator 1 + e it does not, and where t is 0 or 1 it is as exact as the left side,
    in two ops fewer. The numerator needs its three ops: t * (1 + e), one op shorter, rounds
    away e where it is below an ulp of 1. The exponential and the comparison x > 0 are the
    ones ``expand.py`` writes sigmoid(x) with, and the comparison is a prediction's
    ``sigmoid(x) > 0.5`` (``sigmoid_compared_with_half``), so they are shared."""
    found = _mirrored_terms(node, Sigmoid, one_is="difference")
    if found is None:
        return None
    x, minus_t, rest = found
    t = negate(minus_t)
    e = exp_minus_abs(x)
    numerator = E.sub(E.sub(sigmoid_numerator(x, e), t), E.mul(t, e))
    value = E.true_div(numerator, E.add(constant_like(1, x), e))
    return [E.add(value, *rest) if rest else value]


# x > 0 for sigmoid(x) > 0.5, with the comparison's operands in either order.
_OF_SIGMOID_AND_HALF = {E.GT: E.gt, E.LT: E.lt, E.GE: E.ge, E.LE: E.le}
_OF_HALF_AND_SIGMOID = {E.GT: E.lt, E.LT: E.gt, E.GE: E.le, E.LE: E.ge}


@rule(E.GT, E.LT, E.GE, E.LE)
def sigmoid_compared_with_half(node):
    """sigmoid(x) > 0.5 -> x > 0; likewise <, >=, <= and 0.5 on the left

    sigmoid is increasing and sigmoid(0) is 0.5, so the two comparisons agree, except where
    the computed sigmoid rounds to 0.5: for 0 < |x| below about 2**-52 in float64 (2**-23 in
    float32), where ``sigmoid(x) > 0.5`` is false for a positive x. There the rewritten
    comparison is the exact one. It is one op instead of a sigmoid and a comparison, and the
    one that ``sigmoid_numerator`` shares: the tutorial's prediction ``p_1 > 0.5`` comes free
    with its gradient."""
    a, b = node.inputs
    for compare, sigmoid_side, half in ((_OF_SIGMOID_AND_HALF, a, b), (_OF_HALF_AND_SIGMOID, b, a)):
        s = owner_op(sigmoid_side, Sigmoid)
        if s is not None and is_constant(half, 0.5):
            x = s.inputs[0]
            compared = compare[type(node.op)](x, constant_like(0, x))
            return [compared] if compared.type == node.outputs[0].type else None
    return None


@rule(E.Log)
def log_softmax_of_softmax(node):
    """log(softmax(x)) -> log_softmax(x)"""
    s = owner_op(node.inputs[0], Softmax)
    return [log_softmax(s.inputs[0])] if s is not None else None


STABILIZE = [sigmoid_of_exp, one_minus_sigmoid, log_sigmoid, log1p_neg_sigmoid, softplus_of_exp,
             log1p_of_one_plus, log1p_of_minus, expm1_of_exp, sigmoid_cross_entropy,
             sigmoid_cross_entropy_gradient, sigmoid_compared_with_half, log_softmax_of_softmax]
