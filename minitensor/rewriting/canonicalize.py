"""Canonicalising rules: make graphs smaller and put them in one form.

Each rule removes work (``x * 1``, ``--x``, a cast to the dtype a value has),
folds what can be computed now (constant folding), or moves broadcasting out of
the way (``fill``) so that later rules see the plain formula. Negation stays
``neg(x)``: rules never turn it into ``mul(-1, x)``, so the stabilising patterns,
written with ``neg``, keep matching (PyTensor lost them that way).
"""

import dataclasses

import numpy as np

from minitensor.graph import Constant
from minitensor.ifelse import IfElse
from minitensor.rewriting.engine import rule
from minitensor.rewriting.fusion import Composite
from minitensor.rewriting.shapes import SHAPES
from minitensor.rewriting.patterns import is_constant, owner_op, scalar_constant
from minitensor.tensor import elemwise as E
from minitensor.tensor.complex_numbers import Conj
from minitensor.tensor.construction import Alloc
from minitensor.tensor.reduction import ElementCount, Sum
from minitensor.tensor.shape_ops import DimShuffle, Reshape, dimshuffle
from minitensor.tensor.variable import TensorConstant, constant
from minitensor.tensor.type import TensorType

# Folding a broadcast would turn a small constant into a large one stored in the graph.
_FOLD_LIMIT = 10_000


def _may_fold(node):
    """Whether ``node``'s op lets it be computed when compiling (Print, for one, does not):
    its ``do_constant_folding(node)``, or PyTensor's ``do_constant_folding(fgraph, node)``."""
    decide = node.op.do_constant_folding
    try:
        return decide(node)
    except TypeError:
        return decide(None, node)


@rule()
def constant_folding(node):
    """op(constants) -> constant: computed once, at compile time"""
    if not node.inputs or not all(isinstance(i, Constant) for i in node.inputs):
        return None
    if not _may_fold(node):
        return None
    try:
        with np.errstate(all="ignore"):
            values = node.op.make_thunk(node, np)(*[i.data for i in node.inputs])
    except Exception:
        return None  # left to fail when the function runs, where the error names the node and its line
    values = values if len(node.outputs) > 1 else (values,)
    largest_input = max(np.size(i.data) for i in node.inputs)
    if any(np.size(v) > max(_FOLD_LIMIT, largest_input) for v in values):
        return None
    return [_constant_of_type(v, out.type) for v, out in zip(values, node.outputs)]


def _constant_of_type(value, type_):
    """``value`` as a constant of ``type_``, the type of the output it replaces. ``constant``
    would make every length-1 axis broadcastable, and a replacement must have the output's
    type: the shape of a constant vector, ``[1000]``, stayed a 0-d temporary that every call
    computed, ``Shape(c)[0]``."""
    if not isinstance(type_, TensorType):
        return type_.make_constant(value)
    data = np.array(value, dtype=type_.dtype)
    data.setflags(write=False)
    return TensorConstant(type_, data)


def _drop_constant_terms(node, op_class, neutral):
    """The inputs of an ``op_class`` node other than those equal to ``neutral``, or None."""
    if not isinstance(node.op, op_class):
        return None
    kept = [i for i in node.inputs if not is_constant(i, neutral)]
    if len(kept) == len(node.inputs):
        return None
    return kept or [node.inputs[0]]


def _in_output_dtype(node, var):
    """``var`` cast to the dtype of ``node``'s output: dropping a constant from ``x * 1.0``
    must not drop the conversion of an integer x to float, which the constant caused."""
    return E.cast(var, node.outputs[0].dtype)


@rule(E.Add)
def add_zero(node):
    """x + 0 -> x"""
    kept = _drop_constant_terms(node, E.Add, 0)
    if kept is None:
        return None
    return [_in_output_dtype(node, kept[0] if len(kept) == 1 else E.add(*kept))]


@rule(E.Mul)
def mul_one(node):
    """x * 1 -> x"""
    kept = _drop_constant_terms(node, E.Mul, 1)
    if kept is None:
        return None
    return [_in_output_dtype(node, kept[0] if len(kept) == 1 else E.mul(*kept))]


@rule(E.Mul)
def mul_minus_one(node):
    """x * -1 -> -x  (negation has one form, neg, so patterns written with it match)"""
    if len(node.inputs) == 2:
        a, b = node.inputs
        if is_constant(a, -1):
            return [E.neg(_in_output_dtype(node, b))]
        if is_constant(b, -1):
            return [E.neg(_in_output_dtype(node, a))]
    return None


@rule(E.Sub)
def sub_zero(node):
    """x - 0 -> x;  0 - x -> -x"""
    a, b = node.inputs
    if is_constant(b, 0):
        return [_in_output_dtype(node, a)]
    if is_constant(a, 0):
        return [E.neg(_in_output_dtype(node, b))]
    return None


@rule(E.TrueDiv)
def div_one(node):
    """x / 1 -> x"""
    if is_constant(node.inputs[1], 1):
        return [_in_output_dtype(node, node.inputs[0])]
    return None


@rule(E.Neg)
def double_negation(node):
    """-(-x) -> x"""
    inner = owner_op(node.inputs[0], E.Neg)
    if inner is not None:
        return [inner.inputs[0]]
    return None


@rule(Conj)
def double_conjugate(node):
    """conj(conj(z)) -> z;  conj(x) -> x for a real x  (gradients by complex values are full of both)"""
    x = node.inputs[0]
    inner = owner_op(x, Conj)
    if inner is not None:
        return [inner.inputs[0]]
    return [x] if not x.dtype.startswith("complex") else None


# Flattening a chain a + b + c + ... one link at a time would rebuild ever larger nodes,
# quadratic in the chain's length; capping the fan-in keeps it linear.
_MAX_FAN_IN = 16


@rule(E.Neg)
def neg_of_sub(node):
    """-(a - b) -> b - a"""
    sub = owner_op(node.inputs[0], E.Sub)
    if sub is not None:
        return [E.sub(sub.inputs[1], sub.inputs[0])]
    return None


@rule(E.Sub)
def sub_of_neg(node):
    """a - (-b) -> a + b"""
    negated = owner_op(node.inputs[1], E.Neg)
    if negated is not None:
        return [E.add(node.inputs[0], negated.inputs[0])]
    return None


@rule(E.Add)
def add_of_neg(node):
    """(-a) + b -> b - a;  a + (-b) -> a - b"""
    if len(node.inputs) == 2:
        a, b = node.inputs
        if owner_op(b, E.Neg) is not None:
            return [E.sub(a, b.owner.inputs[0])]
        if owner_op(a, E.Neg) is not None:
            return [E.sub(b, a.owner.inputs[0])]
    return None


@rule(E.Sub)
def neg_out_of_sub(node):
    """(-a) - b -> -(a + b): the negation moves out, so -x - b meets its partner x + b as -(x + b)"""
    negated = owner_op(node.inputs[0], E.Neg)
    dtype = node.outputs[0].dtype
    # Only without a change of dtype: -int8 wraps around before a float b is subtracted.
    if negated is not None and node.inputs[1].dtype == negated.inputs[0].dtype == dtype:
        return [E.neg(E.add(negated.inputs[0], node.inputs[1]))]
    return None


@rule(E.Mul)
def mul_of_neg(node):
    """x * -y -> -(x * y): negations move out of products, where pairs of them cancel"""
    negated = [owner_op(i, E.Neg) for i in node.inputs]
    if not any(negated):
        return None
    plain = [n.inputs[0] if n is not None else i for n, i in zip(negated, node.inputs)]
    product = E.mul(*plain)
    return [product if sum(n is not None for n in negated) % 2 == 0 else E.neg(product)]


def _flatten(node, readers, op_class, make):
    if not isinstance(node.op, op_class):
        return None
    dtype = node.outputs[0].dtype
    flat, nested = [], False
    for i in node.inputs:
        inner = owner_op(i, op_class)
        # Only when no dtype changes inside, so the flat sum computes the same values, and
        # when nothing else reads the inner sum, which would then be computed twice.
        if (inner is not None and i.dtype == dtype and all(j.dtype == dtype for j in inner.inputs)
                and readers[i] == 1 and len(flat) + len(inner.inputs) + len(node.inputs) <= _MAX_FAN_IN):
            flat.extend(inner.inputs)
            nested = True
        else:
            flat.append(i)
    return [make(*flat)] if nested else None


@rule(E.Add, needs_readers=True)
def flatten_add(node, readers):
    """(a + b) + c -> add(a, b, c)"""
    return _flatten(node, readers, E.Add, E.add)


@rule(E.Mul, needs_readers=True)
def flatten_mul(node, readers):
    """(a * b) * c -> mul(a, b, c)"""
    return _flatten(node, readers, E.Mul, E.mul)


def _is_element_count(var):
    """Whether ``var`` is an element count (maybe given leading axes or a dtype): an integer
    that is at least 1 wherever it divides something that is not empty.

    Rules that move a division keep their values' NaNs and infinities only for such a
    divisor: a * (1 / b) is inf where a / b is finite when 1 / b overflows, and a / c - b / c
    is NaN (inf - inf) where (a - b) / c is -inf when c is 0.
    """
    while var.owner is not None and isinstance(var.owner.op, (DimShuffle, E.Cast)):
        var = var.owner.inputs[0]
    return owner_op(var, ElementCount) is not None


@rule(E.Sub, needs_readers=True)
def divisor_out_of_sub(node, readers):
    """a / c - b / c -> (a - b) / c: one division by c instead of two, for an element count c

    Only when nothing else reads a / c or b / c (they would be computed anyway), and
    when all share one dtype, so the quotients round and promote as before. (A common
    factor, a * b - a * c -> a * (b - c), is not taken out: for an infinite a that
    turns NaN into an infinity.)
    """
    left, right = (owner_op(i, E.TrueDiv) for i in node.inputs)
    if left is None or right is None or left.inputs[1] is not right.inputs[1]:
        return None
    if not _is_element_count(left.inputs[1]):
        return None
    dtype = node.outputs[0].dtype
    if any(readers[i] != 1 for i in node.inputs) or any(i.dtype != dtype for i in left.inputs + right.inputs):
        return None
    return [E.true_div(E.sub(left.inputs[0], right.inputs[0]), left.inputs[1])]


@rule(E.Mul)
def mul_by_reciprocal(node):
    """a * (1 / b) -> a / b for an element count b: one division instead of a division and a
    multiplication, and a / b is the correctly rounded one"""
    dtype = node.outputs[0].dtype
    for position, i in enumerate(node.inputs):
        reciprocal = owner_op(i, E.TrueDiv)
        if reciprocal is None or not is_constant(reciprocal.inputs[0], 1):
            continue
        b = reciprocal.inputs[1]
        if not _is_element_count(b):
            continue
        # The 1 must add no axes, and no dtype may change: a / b is then a * (1 / b) exactly
        # in type, and within one rounding in value.
        if b.broadcastable == i.broadcastable and all(v.dtype == dtype for v in node.inputs + [b]):
            rest = node.inputs[:position] + node.inputs[position + 1:]
            return [E.true_div(rest[0] if len(rest) == 1 else E.mul(*rest), b)]
    return None


@rule(E.Elemwise)
def fill_sink(node):
    """op(fill(m, v), y) -> fill(m, op(v, y)): broadcast last, so formulas meet their patterns"""
    if isinstance(node.op, (E.Fill, Composite)):  # a Composite's input types are fixed
        return None
    for position, i in enumerate(node.inputs):
        fill = owner_op(i, E.Fill)
        if fill is not None:
            model, value = fill.inputs
            inputs = node.inputs[:position] + [value] + node.inputs[position + 1:]
            return [E.fill(model, node.op.make_node(*inputs).outputs[0])]
    return None


@rule(E.Fill)
def useless_fill(node):
    """fill(m, v) -> v when v already has the result's broadcast pattern"""
    value = node.inputs[1]
    if value.broadcastable == node.outputs[0].broadcastable:
        return [value]
    return None


def _broadcast_value(var):
    """v when ``var`` is fill(m, v) or alloc(v, *shape): a value only broadcast to a shape."""
    fill, alloc = owner_op(var, E.Fill), owner_op(var, Alloc)
    return fill.inputs[1] if fill is not None else alloc.inputs[0] if alloc is not None else None


@rule(E.Elemwise)
def broadcast_input_elision(node):
    """op(alloc(v, shape), x) -> op(v, x), and the same for fill, when x alone has the result's
    pattern: x's size checks then fix the shape, so the allocation is not needed"""
    if isinstance(node.op, (E.Fill, Composite)):
        return None
    pattern = node.outputs[0].broadcastable
    for position, var in enumerate(node.inputs):
        value = _broadcast_value(var)
        others = node.inputs[:position] + node.inputs[position + 1:]
        if value is not None and any(o.broadcastable == pattern for o in others):
            return [node.op.make_node(*others[:position], value, *others[position:]).outputs[0]]
    return None


@rule(Alloc)
def useless_alloc(node):
    """alloc(v, *shape) -> v when v already has the result's broadcast pattern"""
    value = node.inputs[0]
    return [value] if value.broadcastable == node.outputs[0].broadcastable else None


@rule(Alloc)
def alloc_of_alloc(node):
    """alloc(alloc(v, *s1), *s2) -> alloc(v, *s2): v broadcast once, to the final shape"""
    inner = owner_op(node.inputs[0], Alloc)
    return [node.op(inner.inputs[0], *node.inputs[1:])] if inner is not None else None


@rule(DimShuffle)
def useless_dimshuffle(node):
    """x.dimshuffle(0, 1, ...) -> x; a dimshuffle of a dimshuffle -> one dimshuffle"""
    order, x = node.op.new_order, node.inputs[0]
    if order == tuple(range(x.ndim)):
        return [x]
    inner = owner_op(x, DimShuffle)
    if inner is not None:
        composed = tuple("x" if d == "x" else inner.op.new_order[d] for d in order)
        return [dimshuffle(inner.inputs[0], *composed)]
    return None


@rule(DimShuffle, needs_readers=True)
def dimshuffle_lift(node, readers):
    """dimshuffle(op(a, b)) -> op(dimshuffle(a), dimshuffle(b)) for elementwise op:
    broadcasting moves towards the inputs, so the op meets its neighbours' patterns

    Only when the dimshuffle is the op's one reader: otherwise the op would be
    computed twice, once for the dimshuffle and once for its other readers.
    """
    inner = owner_op(node.inputs[0], E.Elemwise)
    if (inner is not None and len(inner.outputs) == 1 and not isinstance(inner.op, Composite)
            and readers[node.inputs[0]] == 1):
        order = node.op.new_order
        return [inner.op.make_node(*[dimshuffle(i, *order) for i in inner.inputs]).outputs[0]]
    return None


@rule(Reshape)
def reshape_of_reshape(node):
    """reshape(reshape(x, s1), s2) -> reshape(x, s2)"""
    inner = owner_op(node.inputs[0], Reshape)
    if inner is not None:
        return [node.op(inner.inputs[0], node.inputs[1])]
    return None


@rule(E.Cast)
def cast_of_cast(node):
    """cast(cast(x, a), b) -> cast(x, b) when the inner cast loses nothing"""
    inner = owner_op(node.inputs[0], E.Cast)
    if inner is not None and np.can_cast(inner.inputs[0].dtype, inner.op.dtype, "safe"):
        return [E.cast(inner.inputs[0], node.op.dtype)]
    return None


@rule(Sum)
def sum_of_broadcast(node):
    """sum over broadcastable (length-1) axes -> drop them, then sum over the rest"""
    x = node.inputs[0]
    broadcast_axes = [a for a in node.op.axes if x.broadcastable[a]]
    if not broadcast_axes:
        return None
    dropped = dimshuffle(x, *[d for d in range(x.ndim) if d not in broadcast_axes])
    kept_axes = [a - sum(b < a for b in broadcast_axes) for a in node.op.axes if a not in broadcast_axes]
    summed = dataclasses.replace(node.op, axes=tuple(kept_axes))(dropped) if kept_axes else dropped
    return [E.cast(summed, node.outputs[0].dtype)]


@rule(ElementCount)
def element_count_of_elemwise(node):
    """count(op(a, b, ...)) -> count(a) for an elementwise op, when a has the result's
    broadcast pattern: a count needs only the shape, and a's is the result's"""
    inner = owner_op(node.inputs[0], E.Elemwise)
    if inner is None:
        return None
    pattern = node.inputs[0].broadcastable
    same_shape = next((i for i in inner.inputs if i.broadcastable == pattern), None)
    return [node.op(same_shape)] if same_shape is not None else None


@rule(IfElse)
def ifelse_of_constant(node):
    """ifelse(True, a, b) -> a and ifelse(False, a, b) -> b: the branch is known when compiling"""
    condition, n = node.inputs[0], node.op.n_outs
    if not isinstance(condition, Constant):
        return None
    values = node.inputs[1:]
    return list(values[:n] if condition.data else values[n:])


@rule(IfElse)
def ifelse_of_same_branches(node):
    """ifelse(c, a, a) -> a: both branches give one value (merging made them one variable)"""
    n = node.op.n_outs
    then_values, else_values = node.inputs[1:1 + n], node.inputs[1 + n:]
    if all(a is b for a, b in zip(then_values, else_values)):
        return list(then_values)
    return None


CANONICALIZE = [
    constant_folding, add_zero, mul_one, mul_minus_one, sub_zero, div_one,
    double_negation, double_conjugate, neg_of_sub, sub_of_neg, add_of_neg, neg_out_of_sub, mul_of_neg, flatten_add, flatten_mul,
    divisor_out_of_sub, mul_by_reciprocal,
    fill_sink, useless_fill, broadcast_input_elision, useless_alloc, alloc_of_alloc,
    useless_dimshuffle, dimshuffle_lift, reshape_of_reshape, cast_of_cast, sum_of_broadcast, element_count_of_elemwise,
    ifelse_of_constant, ifelse_of_same_branches,
] + SHAPES

__all__ = ["CANONICALIZE", "scalar_constant"]
