"""Shape inference: the shape of an expression from the shapes of its inputs, without computing it.

Every op may say how its outputs' shapes follow from its inputs' shapes, in
Theano's ``infer_shape(node, input_shapes)`` (or ``infer_shape(fgraph, node,
input_shapes)``): ``input_shapes`` holds one tuple per input of its lengths, each
an int64 scalar variable or a Python int, and it returns one such tuple per
output. Two rules use it:

* ``shape(op(...))`` becomes ``MakeVector(Shape_i{0}(...), ...)`` of the lengths
  the op infers; a shape known when compiling becomes a constant;
* ``Shape_i{k}(op(...))`` becomes the op's inferred k-th length, in turn.

So ``(x ** 2).shape`` compiles to ``MakeVector(Shape_i{0}(x), Shape_i{1}(x))``,
which never computes ``x ** 2`` (microseconds for any size of x), and the shape
of ``specify_shape(x, (2, 2)) ** 2`` is the constant ``[2, 2]``.
"""

import inspect

from minitensor.graph import Constant, Variable
from minitensor.rewriting.engine import rule
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import Shape, Shape_i, shape_of, shape_vector
from minitensor.tensor.variable import as_tensor_variable, constant


def inferred_shapes(node):
    """``node``'s outputs' shapes as its op infers them (tuples of int64 scalars and ints), or None
    when the op cannot say."""
    infer = getattr(node.op, "infer_shape", None)
    if infer is None:
        return None
    input_shapes = [shape_of(var) if hasattr(var.type, "broadcastable") else None for var in node.inputs]
    try:
        if len(inspect.signature(infer).parameters) == 3:  # PyTensor's infer_shape(fgraph, node, shapes)
            shapes = infer(None, node, input_shapes)
        else:
            shapes = infer(node, input_shapes)
    except NotImplementedError:
        return None
    if shapes is None or len(shapes) != len(node.outputs):
        raise ValueError(f"{node.op}.infer_shape returned {shapes!r}: it must give one shape per output "
                         f"({len(node.outputs)})")
    return [None if shape is None else tuple(_length(size, node) for size in shape) for shape in shapes]


def _length(size, node):
    """An inferred length as a Python int or an int64 scalar variable."""
    if isinstance(size, Variable):
        if isinstance(size, Constant) and size.ndim == 0:
            return int(size.data)
        size = as_tensor_variable(size)
        if size.ndim != 0 or size.dtype[:3] not in ("int", "uin"):
            raise TypeError(f"{node.op}.infer_shape gave {size.describe()} as a length: it must be an "
                            f"integer scalar")
        return size if size.dtype == "int64" else E.cast(size, "int64")
    return int(size)


@rule(Shape)
def shape_of_computed(node):
    """shape(op(x, ...)) -> [lengths op infers from x's, ...]: a shape needs no computing"""
    var = node.inputs[0]
    if var.owner is None or var.ndim == 0:
        return None
    shapes = inferred_shapes(var.owner)
    if shapes is None or shapes[var.index] is None:
        return None
    if var.ndim > 1:
        return [shape_vector(shapes[var.index])]
    # A one-entry MakeVector is broadcastable, a vector's shape is not: a vector's length is
    # taken as the shape of the vector it equals, when the op says it is one's.
    (size,) = shapes[var.index]
    source = size.owner.inputs[0] if isinstance(size, Variable) and size.owner is not None else None
    if isinstance(size.owner.op if source is not None else None, Shape_i) and source.ndim == 1:
        return [node.op(source)]
    return None


@rule(Shape_i)
def shape_i_of_computed(node):
    """Shape_i{k}(op(x, ...)) -> the k-th length op infers from x's"""
    var = node.inputs[0]
    if var.owner is None or var.owner.op == node.op:
        return None
    shapes = inferred_shapes(var.owner)
    if shapes is None or shapes[var.index] is None:
        return None
    size = shapes[var.index][node.op.i]
    return [size if isinstance(size, Variable) else constant(size, dtype="int64")]


SHAPES = [shape_of_computed, shape_i_of_computed]
