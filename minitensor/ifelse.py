"""``ifelse``: a lazy conditional, Theano's ``theano.ifelse.ifelse``.

``switch(c, a, b)`` is elementwise: it computes both ``a`` and ``b`` in full and
picks element by element. ``ifelse(c, a, b)`` takes one scalar condition and
returns ``a`` or ``b`` whole; the executor runs only the nodes of the branch that
is taken (those that nothing else needs), so an expensive branch costs nothing
when it is not chosen.

The op itself is simple: its inputs are the condition, the values of the then
branch and the values of the else branch; its outputs are the chosen values.
Laziness is a matter of scheduling, so it lives in the executor, which looks for
ops with ``lazy = True``. The gradient of a conditional is a conditional: the
output gradient flows to the branch that was taken, and zeros to the other.
"""

from dataclasses import dataclass

from minitensor.graph import Apply, Op, Variable
from minitensor.tensor import elemwise as E
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable, constant


@dataclass(frozen=True)
class IfElse(Op):
    """out_k = then_k if condition else else_k, for k < n_outs; only the chosen branch is computed.

    Inputs: a scalar condition (any dtype; nonzero is true), then ``n_outs`` then
    values and ``n_outs`` else values, pairwise of one dtype and rank. An output
    dimension is broadcastable when it is in both branches.
    """

    n_outs: int

    #: The executor computes the nodes that only one branch needs inside that branch.
    lazy = True

    def host_inputs(self, node):
        return (0,)  # the condition, which Python's ``if`` reads

    def make_node(self, condition, *values):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"ifelse needs a scalar condition, got {condition.describe()}{condition.made_at()}")
        if len(values) != 2 * self.n_outs:
            raise TypeError(f"{self} takes a condition and {2 * self.n_outs} values, got {len(values)} values")
        values = [as_tensor_variable(v) for v in values]
        outputs = []
        for k, (then, other) in enumerate(zip(values[:self.n_outs], values[self.n_outs:])):
            if then.dtype != other.dtype or then.ndim != other.ndim:
                raise TypeError(
                    f"the two branches of ifelse must have one dtype and rank; output {k} is "
                    f"{then.describe()} in the then branch, but {other.describe()} in the else "
                    f"branch{then.made_at()}{other.made_at()}")
            broadcastable = [a and b for a, b in zip(then.broadcastable, other.broadcastable)]
            outputs.append(TensorType(then.dtype, broadcastable)())
        return Apply(self, [condition, *values], outputs)

    def impl(self, xp, condition, *values):
        # What the executor runs when it is not lazy (constant folding, DebugMode's
        # reference): both branches are given, and the op picks. The chosen value is
        # copied, as Theano's IfElse does, so the output never aliases a branch's buffer
        # that another node might later overwrite in place.
        chosen = values[:self.n_outs] if condition else values[self.n_outs:]
        copies = [xp.array(v, copy=True) for v in chosen]
        return copies[0] if self.n_outs == 1 else copies

    def infer_shape(self, node, input_shapes):
        """The chosen branch's lengths, chosen by one more conditional over them (a length that
        differs between the branches and must be computed is computed for the branch taken only)."""
        then_shapes, else_shapes = input_shapes[1:1 + self.n_outs], input_shapes[1 + self.n_outs:]
        pairs = [pair for then, other in zip(then_shapes, else_shapes) for pair in zip(then, other)]
        same = lambda a, b: a is b or isinstance(a, int) and a == b  # noqa: E731
        differing = [(a, b) for a, b in pairs if not same(a, b)]
        if differing:
            as_length = lambda size: size if isinstance(size, Variable) else constant(size, dtype="int64")  # noqa: E731
            chosen = IfElse(len(differing))(node.inputs[0], *[as_length(a) for a, _ in differing],
                                            *[as_length(b) for _, b in differing])
            chosen = iter([chosen] if isinstance(chosen, Variable) else chosen)
        lengths = iter([a if same(a, b) else next(chosen) for a, b in pairs])
        return [tuple(next(lengths) for _ in shape) for shape in then_shapes]

    def grad(self, inputs, outputs, output_grads):
        condition, values = inputs[0], inputs[1:]
        then_values, else_values = values[:self.n_outs], values[self.n_outs:]
        # One conditional routes every gradient: g to the branch taken, zeros to the other.
        then_grads = [E.zeros_like(v) for v in else_values]
        else_grads = [E.zeros_like(v) for v in then_values]
        routed = IfElse(2 * self.n_outs)(condition, *output_grads, *then_grads, *else_grads, *output_grads)
        return [None, *routed]

    def __str__(self):
        return "if{}"


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is nonzero, else ``else_branch``, computing only that one.

    The branches are variables, or lists of variables of one length (a list is
    returned then). Python numbers take the dtype of the other branch's value.

    >>> import minitensor
    >>> import minitensor.tensor as T
    >>> a, b = T.dscalars('a', 'b')
    >>> f = minitensor.function([a, b], ifelse(T.lt(a, b), a * 10, b - 1))
    >>> float(f(1, 2)), float(f(3, 2))
    (10.0, 1.0)
    """
    single = not isinstance(then_branch, (list, tuple))
    then_values = [then_branch] if single else list(then_branch)
    else_values = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(then_values) != len(else_values):
        raise ValueError(f"ifelse: the then branch has {len(then_values)} values and the else branch "
                         f"{len(else_values)}; they must have one length")
    pairs = [_matching_pair(then, other) for then, other in zip(then_values, else_values)]
    outputs = IfElse(len(pairs))(condition, *[t for t, _ in pairs], *[e for _, e in pairs])
    outputs = [outputs] if isinstance(outputs, Variable) else outputs
    if name is not None:
        for k, out in enumerate(outputs):
            out.name = name if single else f"{name}[{k}]"
    return outputs[0] if single else outputs


def _matching_pair(then, other):
    """The two branch values as variables, a Python number given the other value's dtype."""
    then_is_number, other_is_number = _is_number(then), _is_number(other)
    then, other = as_tensor_variable(then), as_tensor_variable(other)
    if then_is_number and not other_is_number:
        then = E.cast(then, other.dtype)
    elif other_is_number and not then_is_number:
        other = E.cast(other, then.dtype)
    return then, other


def _is_number(value):
    return isinstance(value, (bool, int, float)) and not isinstance(value, Variable)
