"""Theano's ``theano.tensor.opt``: registering rewrites in the compiler's phases, constants,
the ``Assert`` op, and ``Canonizer``, Theano's local optimizer that simplifies sums or
products as fractions.

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
from minitensor.rewriting.optimizers import LocalOptimizer
from minitensor.rewriting.patterns import scalar_constant
from minitensor.tensor.elemwise import Cast, cast, fill
from minitensor.tensor.shape_ops import DimShuffle, Shape_i
from minitensor.tensor.variable import as_tensor_variable, constant


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

    def grad(self, inputs, outputs, grads):
        return [grads[0]] + [None] * (len(inputs) - 1)

    def __str__(self):
        return f"Assert{{msg={self.msg!r}}}"


class Canonizer(LocalOptimizer):
    """Theano's algebraic simplifier of a group: ``main`` (``T.add`` or ``T.mul``), its
    ``inverse`` (``T.sub``, ``T.true_div``) and ``reciprocal`` (``T.neg``, ``T.inv``), and
    ``calculate(num, denum)``, the value of numbers combined (``sum(n) - sum(d)``).

    A node of those ops is read as a fraction of terms, through the nodes of the group
    below it (and the dimshuffles that pad a term on the left for broadcasting): a - b + c is num [a, c] over denum [b], x * y / x is [x, y] over [x]. A term
    in both cancels, the constants fold into one number with ``calculate`` (dropped when
    it is the group's neutral element), and the rest is built again as
    inverse(main(*num), main(*denum)), broadcast to the node's shape. A node that would
    come out the same is left alone (``transform`` returns False).

    >>> import minitensor as theano, minitensor.tensor as T
    >>> from minitensor.gof.opt import TopoOptimizer
    >>> x, y = T.dvectors('x', 'y')
    >>> mul_canonizer = Canonizer(T.mul, T.true_div, T.inv, lambda n, d: np.prod(n) / np.prod(d))
    >>> fgraph = theano.FunctionGraph([x, y], [(x * y * 2) / (x * 4)])
    >>> _ = TopoOptimizer(mul_canonizer).optimize(fgraph)
    >>> theano.printing.pp(fgraph.outputs[0])
    '(y * DimShuffle{x}(TensorConstant{0.5}))'
    """

    def __init__(self, main, inverse, reciprocal, calculate, use_reciprocal=True):
        self.main, self.inverse, self.reciprocal = main, inverse, reciprocal
        self.calculate, self.use_reciprocal = calculate, use_reciprocal

    def tracks(self):
        return [self.main, self.inverse, self.reciprocal]

    def get_num_denum(self, var):
        """(num, denum): the terms whose fraction ``var`` is, through the group's nodes."""
        node = var.owner
        if node is not None and isinstance(node.op, DimShuffle) and node.op.new_order == \
                ("x",) * (var.ndim - node.inputs[0].ndim) + tuple(range(node.inputs[0].ndim)):
            return self.get_num_denum(node.inputs[0])  # the padding elementwise ops add, and add again
        if node is None or node.op not in (self.main, self.inverse, self.reciprocal):
            return [var], []
        parts = [self.get_num_denum(v) for v in node.inputs]
        if node.op == self.reciprocal:
            return parts[0][1], parts[0][0]
        if node.op == self.inverse:
            (num, denum), (below_num, below_denum) = parts
            return num + below_denum, denum + below_num
        return [t for num, _ in parts for t in num], [t for _, denum in parts for t in denum]

    def simplify(self, num, denum):
        """The terms with those in both cancelled and the constants folded into one."""
        num, denum = list(num), list(denum)
        for term in list(num):
            if any(term is other for other in denum):
                num.remove(term)
                denum.pop(next(k for k, other in enumerate(denum) if other is term))
        numbers = [scalar_constant(t) for t in num], [scalar_constant(t) for t in denum]
        if sum(v is not None for values in numbers for v in values) < 2 and \
                not any(v == self.calculate([], []) for v in numbers[0] if v is not None):
            return num, denum
        value = self.calculate([v for v in numbers[0] if v is not None], [v for v in numbers[1] if v is not None])
        num = [t for t, v in zip(num, numbers[0]) if v is None]
        denum = [t for t, v in zip(denum, numbers[1]) if v is None]
        if value != self.calculate([], []) or not num and not denum:
            num.append(value)  # a Python number; merge_num_denum gives it the result's dtype
        return num, denum

    def merge_num_denum(self, num, denum, dtype):
        """inverse(main(*num), main(*denum)), numbers made constants of ``dtype``."""
        def term(t):
            return t if not isinstance(t, (int, float, np.number)) else constant(np.asarray(t, dtype=dtype))

        def combined(terms):
            terms = [term(t) for t in terms]
            return terms[0] if len(terms) == 1 else self.main(*terms)
        if not denum:
            return combined(num) if num else term(self.calculate([], []))
        if not num:
            if self.use_reciprocal:
                return self.reciprocal(combined(denum))
            num = [self.calculate([], [])]
        return self.inverse(combined(num), combined(denum))

    def transform(self, node):
        """The node's fraction simplified, or False when nothing simplifies."""
        out = node.outputs[0]
        num, denum = self.get_num_denum(out)
        simpler_num, simpler_denum = self.simplify(num, denum)
        if len(simpler_num) == len(num) and len(simpler_denum) == len(denum) and \
                all(a is b for a, b in zip(num + denum, simpler_num + simpler_denum)):
            return False
        new = self.merge_num_denum(simpler_num, simpler_denum, out.dtype)
        if new.dtype != out.dtype:
            new = cast(new, out.dtype)
        for source in node.inputs:  # the shape the cancelled terms gave, and their errors
            if new.type != out.type:
                new = fill(source, new)
        return [new] if new.type == out.type else False
