"""Stabilising rules: rewrite formulas that overflow or cancel into ones that do not.

``1 / (1 + exp(-x))`` overflows for large -x and ``log(1 - p)`` loses everything
when p rounds to 1; ``sigmoid`` and ``softplus`` compute the same values without
either problem. Each rule's docstring states the identity it applies.
"""

from minitensor.rewriting.engine import rule
from minitensor.rewriting.patterns import is_constant, negate, owner_op
from minitensor.tensor import elemwise as E
from minitensor.tensor.nnet import Sigmoid, Softmax, log_softmax, sigmoid, softplus


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


@rule(E.Log)
def log_softmax_of_softmax(node):
    """log(softmax(x)) -> log_softmax(x)"""
    s = owner_op(node.inputs[0], Softmax)
    return [log_softmax(s.inputs[0])] if s is not None else None


STABILIZE = [sigmoid_of_exp, one_minus_sigmoid, log_sigmoid, log1p_neg_sigmoid, softplus_of_exp,
             log1p_of_one_plus, log1p_of_minus, expm1_of_exp, log_softmax_of_softmax]
