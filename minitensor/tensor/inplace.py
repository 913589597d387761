"""Theano's ``theano.tensor.inplace``: elementwise ops that write their result over input 0.

``add_inplace(x, y)`` computes ``x + y`` into x's memory. Its node declares that
with Theano's ``destroy_map = {0: [0]}``, and the compiler makes it safe (see
``protect_destroyed_inputs`` in ``minitensor.compile.maker``): when x is an input
of the function (unless declared ``In(x, mutable=True)``), a shared value, a
constant, an output, or is read by any other node, the op is given a copy of x
instead. ``function`` compiles such a graph only with ``accept_inplace=True``, as
in Theano. So the value a graph means never
depends on the order in which its nodes run, as Theano's ``doc/extending/inplace``
page asks. (The compiler finds in-place opportunities by itself for ordinary
elementwise ops; these are for users who write them.)
"""

from dataclasses import dataclass

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E


@dataclass(frozen=True)
class ElemwiseInplace(Op):
    """``op`` computed into the memory of its input 0, which must already have the result's type."""

    op: Op
    destroy_map = {0: [0]}

    def make_node(self, *inputs):
        node = self.op.make_node(*inputs)
        target, out = node.inputs[0], node.outputs[0]
        if target.type != out.type:
            raise TypeError(f"{self} writes its result over input 0, {target.describe()}, which must have "
                            f"the result's type {out.type}{target.made_at()}")
        return Apply(self, node.inputs, [out.type()])

    def impl(self, xp, *arrays):
        ufunc = getattr(xp, self.op.ufunc)
        if not isinstance(arrays[0], xp.ndarray):  # NumPy gives 0-d results as scalars: no memory to reuse
            return ufunc(*arrays)
        return ufunc(*arrays, out=arrays[0])

    def grad(self, inputs, outputs, output_grads):
        return self.op.grad(inputs, outputs, output_grads)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def __str__(self):
        return f"Elemwise{{{self.op.scalar_name}}}[(0, 0)]"


def _inplace(op, name):
    inplace = ElemwiseInplace(op)

    def apply(*inputs):
        return inplace(*inputs)
    apply.__name__ = name
    apply.__doc__ = f"``{op.scalar_name}`` of the inputs, written over the first one (see the module docstring)."
    return apply


add_inplace = _inplace(E.add, "add_inplace")
sub_inplace = _inplace(E.sub, "sub_inplace")
mul_inplace = _inplace(E.mul, "mul_inplace")
true_div_inplace = _inplace(E.true_div, "true_div_inplace")
neg_inplace = _inplace(E.neg, "neg_inplace")
exp_inplace = _inplace(E.exp, "exp_inplace")
log_inplace = _inplace(E.log, "log_inplace")
