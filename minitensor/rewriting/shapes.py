"""Shape inference: the shape of an expression from the shapes of its inputs, without computing it.

Every op may say how its outputs' shapes follow from its inputs' shapes, in
Theano's ``infer_shape(node, input_shapes)`` (or ``infer_shape(fgraph, node,
input_shapes)``): ``input_shapes`` holds one tuple per input of its lengths, each
an int64 scalar variable or a Python int, and it returns one such tuple per
output. Four rules use it. In canonicalize:

* ``shape(op(...))`` becomes ``MakeVector(Shape_i{0}(...), ...)`` of the lengths
  the op infers; a shape known when compiling becomes a constant;
* ``Shape_i{k}(op(...))`` becomes the op's inferred k-th length, in turn.

So ``(x ** 2).shape`` compiles to ``MakeVector(Shape_i{0}(x), Shape_i{1}(x))``,
which never computes ``x ** 2`` (microseconds for any size of x), and the shape
of ``specify_shape(x, (2, 2)) ** 2`` is the constant ``[2, 2]``.

In specialize, after the rules that look for a mean's count or a gradient's
``fill`` have had their turn, the two places where a graph reads a computed
value only for its shape:

* the element count of a mean, ``ElementCount(op(...))``, becomes the product
  of the lengths the op infers;
* a gradient's broadcast, ``fill(op(...), v)`` (``second``, ``ones_like``,
  ``zeros_like``), becomes ``alloc(v, *lengths)``.

So the gradient of ``mean(dot(a, b))`` with respect to ``a`` is
``dot(alloc(1 / (n * m), n, m), b.T)`` with n and m the lengths of a and b:
``dot(a, b)`` itself is never computed.
"""

import inspect

from minitensor.graph import Constant, Variable
from minitensor.rewriting.engine import rule
from minitensor.tensor import elemwise as E
from minitensor.tensor.construction import alloc
from minitensor.tensor.reduction import ElementCount
from minitensor.tensor.shape_ops import Shape, Shape_i, shape_of, shape_vector, size_product
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


def inferred_lengths(var):
    """The lengths of the computed ``var`` as its op infers them from its inputs', or None
    (for a graph input, or where the op cannot say)."""
    if var.owner is None:
        return None
    shapes = inferred_shapes(var.owner)
    return None if shapes is None else shapes[var.index]


@rule(Shape)
def shape_of_computed(node):
    """shape(op(x, ...)) -> [lengths op infers from x's, ...]: a shape needs no computing"""
    var = node.inputs[0]
    lengths = inferred_lengths(var) if var.ndim > 0 else None
    return None if lengths is None else [shape_vector(lengths)]


@rule(Shape_i)
def shape_i_of_computed(node):
    """Shape_i{k}(op(x, ...)) -> the k-th length op infers from x's"""
    var = node.inputs[0]
    if var.owner is not None and var.owner.op == node.op:
        return None
    lengths = inferred_lengths(var)
    if lengths is None:
        return None
    size = lengths[node.op.i]
    return [size if isinstance(size, Variable) else constant(size, dtype="int64")]


@rule(ElementCount)
def element_count_of_computed(node):
    """count(op(x, ...)) -> the product of the lengths op infers, over the counted axes:
    a mean's gradient divides by the count without computing what the mean is of"""
    lengths = inferred_lengths(node.inputs[0])
    if lengths is None:
        return None
    count = size_product([lengths[axis] for axis in node.op.axes])
    return [E.cast(count, node.op.dtype) if isinstance(count, Variable) else constant(count, dtype=node.op.dtype)]


@rule(E.Fill)
def fill_to_alloc(node):
    """fill(op(x, ...), v) -> alloc(v, *lengths op infers): a broadcast to the shape of a
    computed value (a gradient's ones_like, zeros_like or second) needs only its shape"""
    model, value = node.inputs
    lengths = inferred_lengths(model)
    if lengths is None:
        return None
    # Elemwise gave model and value one rank; where the model has length 1 the value gives it.
    sizes = [1 if out_b else value_length if model_b else length
             for length, value_length, model_b, out_b in zip(
                 lengths, shape_of(value), model.broadcastable, node.outputs[0].broadcastable)]
    return [alloc(value, *sizes)]


SHAPES = [shape_of_computed, shape_i_of_computed]
SHAPE_ALLOCATIONS = [element_count_of_computed, fill_to_alloc]
