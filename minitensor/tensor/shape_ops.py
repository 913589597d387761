"""Shape ops: reordering and inserting dimensions, reshaping, and the symbolic shape.

``DimShuffle`` is Theano's one op for transposing, dropping broadcastable
dimensions and inserting new broadcastable ones ('x'); ``x.T`` and the padding
that elementwise ops insert are both dimshuffles, and each is its own gradient's
inverse, so gradients of shape ops are shape ops. ``Reshape`` and ``Flatten``
are each other's gradients too (through ``reshape`` to the input's shape).

Shapes are int64 vectors: ``x.shape``, or ``MakeVector`` of integer scalars
(``T.stack([n, 3])``, and what ``reshape((x.shape[0], -1))`` builds).
``SpecifyShape`` checks a shape when the graph runs.
"""

import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from minitensor.graph import Apply, Constant, Op, Variable
from minitensor.tensor import elemwise as E
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import TensorConstant, as_tensor_variable, constant


@dataclass(frozen=True)
class DimShuffle(Op):
    """Output dimension i is input dimension ``new_order[i]``, or a new broadcastable one for 'x'.

    Input dimensions missing from ``new_order`` are dropped; they must be broadcastable.
    """

    input_broadcastable: tuple
    new_order: tuple
    returns_view = True

    def __post_init__(self):
        if not all(d == "x" or isinstance(d, (int, np.integer)) for d in self.new_order):
            raise TypeError(f"a dimshuffle pattern holds dimension numbers and 'x', got {self.new_order}")
        kept = [d for d in self.new_order if d != "x"]
        if sorted(set(kept)) != sorted(kept) or any(not 0 <= d < len(self.input_broadcastable) for d in kept):
            raise ValueError(f"dimshuffle pattern {self.new_order} must name each of the input's "
                             f"{len(self.input_broadcastable)} dimensions at most once, or 'x'")
        for d, broadcastable in enumerate(self.input_broadcastable):
            if d not in kept and not broadcastable:
                raise ValueError(f"dimshuffle pattern {self.new_order} drops dimension {d}, which is "
                                 f"not broadcastable (input pattern {self.input_broadcastable})")

    def make_node(self, x):
        x = as_tensor_variable(x)
        # An input broadcastable in more dimensions is fine (a rewrite may find such a
        # replacement); one broadcastable in fewer may not have length 1 where it must.
        if x.ndim != len(self.input_broadcastable) or any(
                needed and not has for needed, has in zip(self.input_broadcastable, x.broadcastable)):
            raise TypeError(f"{self} expects an input with broadcastable pattern "
                            f"{self.input_broadcastable}, got {x.type}")
        broadcastable = tuple(d == "x" or x.broadcastable[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, broadcastable)()])

    @cached_property
    def _plan(self):
        kept = [d for d in self.new_order if d != "x"]
        dropped = [d for d in range(len(self.input_broadcastable)) if d not in kept]
        permutation = tuple(kept + dropped)
        squeezed = tuple(range(len(kept), len(permutation)))
        inserted = tuple(i for i, d in enumerate(self.new_order) if d == "x")
        return permutation, squeezed, inserted

    def impl(self, xp, x):
        permutation, squeezed, inserted = self._plan
        y = xp.transpose(x, permutation)
        if squeezed:
            y = xp.squeeze(y, axis=squeezed)
        return xp.expand_dims(y, inserted) if inserted else y

    def grad(self, inputs, outputs, grads):
        (x,), (g,) = inputs, grads
        back = tuple(self.new_order.index(d) if d in self.new_order else "x" for d in range(x.ndim))
        return [DimShuffle(g.broadcastable, back)(g)]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(1 if d == "x" else shape[d] for d in self.new_order)]

    def __str__(self):
        return "DimShuffle{" + ",".join(map(str, self.new_order)) + "}"


def dimshuffle(x, *pattern):
    """``x`` with its dimensions reordered as ``pattern`` says (``'x'`` inserts one)."""
    x = as_tensor_variable(x)
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = tuple(pattern[0])
    return DimShuffle(x.broadcastable, tuple(pattern))(x)


@dataclass(frozen=True)
class Unbroadcast(Op):
    """x itself, with the dimensions ``axes`` no longer broadcastable: a change of type only.

    Theano's ``unbroadcast``: a value of length 1 along an axis may then stand where
    any length is allowed, such as the update of a shared variable (which has no
    broadcastable dimensions) or a gradient of the variable's own type.
    """

    axes: tuple
    returns_view = True

    def make_node(self, x):
        x = as_tensor_variable(x)
        if any(not 0 <= a < x.ndim for a in self.axes):
            raise ValueError(f"unbroadcast: axes {self.axes} are not all dimensions of {x.type}")
        broadcastable = tuple(b and d not in self.axes for d, b in enumerate(x.broadcastable))
        return Apply(self, [x], [TensorType(x.dtype, broadcastable)()])

    def impl(self, xp, x):
        return x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        return [grads[0]]  # the grad engine sums it back to x's pattern

    def __str__(self):
        return f"Unbroadcast{{{','.join(map(str, self.axes))}}}"


def unbroadcast(x, *axes):
    """``x`` with the dimensions ``axes`` no longer broadcastable, as in Theano (``x`` itself if
    none of them is)."""
    x = as_tensor_variable(x)
    axes = tuple(sorted({a % x.ndim for a in axes if x.broadcastable[a % x.ndim]}))
    return Unbroadcast(axes)(x) if axes else x


def transpose(x, axes=None):
    """``x`` with its axes permuted; by default reversed, so a matrix is transposed."""
    x = as_tensor_variable(x)
    return dimshuffle(x, *(reversed(range(x.ndim)) if axes is None else axes))


@dataclass(frozen=True)
class Reshape(Op):
    """x with the same elements in a new shape, given by an int vector of length ``ndim``."""

    ndim: int
    returns_view = True

    def make_node(self, x, shape):
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        sizes = static_sizes(shape, self.ndim, "reshape")
        if len(sizes) != self.ndim:
            shown = tuple("?" if size is None else size for size in sizes)
            raise ValueError(f"reshape to {shown} gives {len(sizes)} dimensions, not ndim={self.ndim}")
        broadcastable = tuple(size == 1 for size in sizes)
        return Apply(self, [x, shape], [TensorType(x.dtype, broadcastable)()])

    def host_inputs(self, node):
        return (1,)  # the shape

    def impl(self, xp, x, shape):
        if len(shape) != self.ndim:
            raise ValueError(f"the shape {tuple(shape)} has {len(shape)} entries, not ndim={self.ndim}")
        return xp.reshape(x, tuple(int(size) for size in shape))

    def infer_shape(self, node, input_shapes):
        """The requested sizes; a -1 among them (maybe known only when the graph runs) is what
        the others leave of x's size: the product of all of them is then minus theirs."""
        sizes = vector_entries(node.inputs[1], self.ndim)
        if all(isinstance(size, int) and size >= 0 for size in sizes):
            return [tuple(sizes)]
        left = E.int_div(size_product(input_shapes[0]), E.maximum(-size_product(sizes), 1))
        return [tuple((left if size == -1 else size) if isinstance(size, int) else E.switch(E.eq(size, -1), left, size)
                      for size in sizes)]

    def grad(self, inputs, outputs, grads):
        return [reshape(grads[0], shape(inputs[0]), inputs[0].ndim), None]

    def __str__(self):
        return f"Reshape{{{self.ndim}}}"


def reshape(x, newshape, ndim=None):
    """``x`` reshaped to ``newshape``: a tuple of ints (one may be -1) or a symbolic int vector."""
    x = as_tensor_variable(x)
    if isinstance(newshape, Variable):
        ndim = vector_length(newshape) if ndim is None else ndim
        if ndim is None:
            raise TypeError("reshape to a symbolic shape needs ndim, the length of the shape vector, "
                            "unless the graph says it (as for some x.shape)")
    else:
        newshape = tuple(newshape) if isinstance(newshape, (list, tuple)) else (newshape,)
        if ndim is not None and ndim != len(newshape):
            raise ValueError(f"reshape to {newshape} gives {len(newshape)} dimensions, not ndim={ndim}")
        newshape, ndim = shape_vector(newshape), len(newshape)
    return Reshape(ndim)(x, newshape)


@dataclass(frozen=True)
class Flatten(Op):
    """x with its dimensions from ``ndim - 1`` on merged into one: ``ndim`` dimensions in all.

    The last dimension is broadcastable when every merged one is, as in Theano.
    """

    ndim: int
    returns_view = True

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 1 <= self.ndim <= max(x.ndim, 1):
            raise ValueError(f"flatten of {x.describe()} to ndim={self.ndim}: ndim must be "
                             f"between 1 and {max(x.ndim, 1)}")
        kept = x.broadcastable[:self.ndim - 1]
        return Apply(self, [x], [TensorType(x.dtype, kept + (all(x.broadcastable[self.ndim - 1:]),))()])

    def impl(self, xp, x):
        # The merged length is given, not -1, which NumPy cannot resolve when another length is 0.
        return xp.reshape(x, x.shape[:self.ndim - 1] + (math.prod(x.shape[self.ndim - 1:]),))

    def infer_shape(self, node, input_shapes):
        lengths = input_shapes[0]
        return [tuple(lengths[:self.ndim - 1]) + (size_product(lengths[self.ndim - 1:]),)]

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        return [reshape(grads[0], shape(x), x.ndim)]

    def __str__(self):
        return f"Flatten{{{self.ndim}}}"


def flatten(x, ndim=None, outdim=None):
    """``x`` with its last dimensions merged so that it has ``ndim`` dimensions (a vector by default).

    ``outdim`` is Theano's older name for ``ndim``; it still works, with a
    DeprecationWarning, as in Theano.

    >>> import minitensor.tensor as T
    >>> x = T.dtensor3('x')
    >>> T.flatten(x, ndim=2).eval({x: [[[1, 2], [3, 4]]]})
    array([[1., 2., 3., 4.]])
    """
    if outdim is not None:
        if ndim is not None:
            raise ValueError(f"flatten takes ndim or its older name outdim, not both (ndim={ndim}, "
                             f"outdim={outdim})")
        warnings.warn("flatten's outdim is deprecated, as in Theano; use ndim", DeprecationWarning,
                      stacklevel=2)
        ndim = outdim
    return Flatten(1 if ndim is None else ndim)(x)


def along_axis(x, axis):
    """``x`` and ``axis`` as NumPy's functions with an axis take them: None means the flattened
    x along axis 0; a negative axis counts from the end."""
    x = as_tensor_variable(x)
    if axis is None:
        return flatten(x), 0
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for {x.describe()}")
    return x, axis % x.ndim


@dataclass(frozen=True)
class Shape(Op):
    """The shape of x as an int64 vector."""

    runs_on_host = reads_only_shapes = True

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,))()])

    def impl(self, xp, x):
        return np.asarray(x.shape, dtype=np.int64)  # shapes are host metadata on every backend

    def grad(self, inputs, outputs, grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [(len(input_shapes[0]),)]


shape = Shape()


@dataclass(frozen=True)
class Shape_i(Op):
    """The length of x along axis ``i``, an int64 scalar: what shape inference builds shapes of
    (``x.shape`` of ``(x ** 2)`` compiles to ``MakeVector(Shape_i{0}(x), Shape_i{1}(x))``)."""

    i: int
    runs_on_host = reads_only_shapes = True  # a length is host metadata, as a shape is

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{self} of {x.describe()}, which has {x.ndim} dimensions")
        return Apply(self, [x], [TensorType("int64", ())()])

    def impl(self, xp, x):
        return np.asarray(x.shape[self.i], dtype=np.int64)  # host metadata, as Shape's

    def grad(self, inputs, outputs, grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [()]

    def __str__(self):
        return f"Shape_i{{{self.i}}}"


def shape_of(var):
    """The lengths of ``var`` along its axes, for shape inference: 1 where it is broadcastable,
    else ``Shape_i{k}(var)``, which the compiler rewrites into the shapes of var's inputs
    when var's op has ``infer_shape`` (``minitensor.rewriting.shapes``)."""
    return tuple(1 if b else Shape_i(k)(var) for k, b in enumerate(var.broadcastable))


@dataclass(frozen=True)
class MakeVector(Op):
    """The vector [a, b, ...] of the scalar inputs, in their common dtype; entry i's gradient is g[i].

    Never broadcastable, even of one entry (as in Theano): it is the type of a shape, and
    ``x.shape`` of a vector x is a one-entry MakeVector once its length is inferred."""

    def make_node(self, *scalars):
        if not scalars or any(np.ndim(s) if not isinstance(s, Variable) else s.ndim for s in scalars):
            raise TypeError(f"MakeVector takes one or more scalars, got {list(scalars)}")
        scalars = E.elementwise_inputs(scalars)
        dtype = np.result_type(*[s.dtype for s in scalars]).name
        scalars = [E.cast(s, dtype) for s in scalars]
        return Apply(self, scalars, [TensorType(dtype, (False,))()])

    def impl(self, xp, *scalars):
        return xp.stack(scalars)

    def infer_shape(self, node, input_shapes):
        return [(len(node.inputs),)]

    def grad(self, inputs, outputs, grads):
        return [grads[0][i] for i in range(len(inputs))]


make_vector = MakeVector()


def shape_vector(sizes):
    """The int64 vector of ``sizes``, a tuple of Python ints and integer scalars: a constant if it can be.

    Its type is ``x.shape``'s, never broadcastable (a constant shape of one entry too)."""
    for size in sizes:
        if not (isinstance(size, (int, np.integer)) or isinstance(size, Variable) and size.ndim == 0
                and np.dtype(size.dtype).kind in "iu"):
            raise TypeError(f"a shape is a tuple of integers and integer scalars, got {tuple(sizes)}")
    if not any(isinstance(size, Variable) for size in sizes):
        return TensorConstant(TensorType("int64", (False,)), constant(sizes, dtype="int64").data)
    return make_vector(*[E.cast(size, "int64") for size in sizes])


def vector_entries(vector, length):
    """The ``length`` entries of an int vector, for shape inference: Python ints where they are
    constants, the scalars of a ``MakeVector`` or ``x.shape``, else ``vector[k]``."""
    if vector_length(vector) != length:
        return [vector[k] for k in range(length)]
    return [int(size.data) if isinstance(size, Constant) else size for size in shape_entries(vector)]


def size_product(sizes):
    """The product of ``sizes``, Python ints and int64 scalars: an int when all are ints."""
    known = math.prod(size for size in sizes if not isinstance(size, Variable))
    factors = [size for size in sizes if isinstance(size, Variable)]
    if known != 1 or not factors:
        factors.append(known)
    return factors[0] if len(factors) == 1 else E.mul(*factors)


def static_sizes(vector, length, user, role="shape"):
    """What is known before running about each entry of ``vector``, the int vector that
    ``user`` (named in the error if it is not one) takes as its ``role``: its value, or None.

    Of ``x.shape`` that is a 1 where x is broadcastable.
    """
    if vector.ndim != 1 or np.dtype(vector.dtype).kind not in "iu":
        raise TypeError(f"{user} needs an integer vector for the {role}, got {vector.type}")
    if isinstance(vector, Constant):
        return [int(size) for size in vector.data]
    if vector.owner is not None and isinstance(vector.owner.op, MakeVector):
        return [int(s.data) if isinstance(s, Constant) else None for s in vector.owner.inputs]
    if vector.owner is not None and isinstance(vector.owner.op, Shape):
        return [1 if b else None for b in vector.owner.inputs[0].broadcastable]
    return [None] * length


def shape_entries(vector):
    """The entries of an int vector whose length is known when the graph is built, as scalars.

    That is the case for ``x.shape``, a constant and a ``MakeVector``; a shape
    passed as a tuple is returned as a list.
    """
    if not isinstance(vector, Variable):
        return list(vector) if isinstance(vector, (list, tuple)) else [vector]
    if vector.ndim == 0:
        return [vector]
    if isinstance(vector, Constant):
        return [int(size) for size in vector.data]
    node = vector.owner
    if node is not None and isinstance(node.op, MakeVector):
        return list(node.inputs)
    if node is not None and isinstance(node.op, Shape):  # a broadcastable dimension's length is surely 1
        return [1 if b else vector[i] for i, b in enumerate(node.inputs[0].broadcastable)]
    raise TypeError(f"the length of the shape vector {vector} is unknown until the graph runs; "
                    f"give the shape as a tuple of sizes, or as some x.shape")


@dataclass(frozen=True)
class SpecifyShape(Op):
    """x itself, after checking when the graph runs that its shape is the given int vector.

    Constant sizes of 1 make the result's dimension broadcastable. The gradient passes through.
    """

    returns_view = True

    def make_node(self, x, shape):
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        sizes = static_sizes(shape, x.ndim, "specify_shape")
        if len(sizes) != x.ndim:
            raise ValueError(f"specify_shape: {x.describe()} cannot have a shape of {len(sizes)} entries")
        for axis, (size, broadcastable) in enumerate(zip(sizes, x.broadcastable)):
            if broadcastable and size not in (None, 1):
                raise ValueError(f"specify_shape: {x.describe()} has length 1 on axis {axis}, not {size}")
        broadcastable = tuple(b or size == 1 for b, size in zip(x.broadcastable, sizes))
        return Apply(self, [x, shape], [TensorType(x.dtype, broadcastable)()])

    def host_inputs(self, node):
        return (1,)  # the shape

    def impl(self, xp, x, shape):
        if x.shape != tuple(int(size) for size in shape):
            raise ValueError(f"specify_shape: expected shape {tuple(int(size) for size in shape)}, "
                             f"got an array of shape {x.shape}")
        return x

    def grad(self, inputs, outputs, grads):
        return [grads[0], None]

    def infer_shape(self, node, input_shapes):
        return [tuple(shape_entries(node.inputs[1]))]


def specify_shape(x, shape):
    """``x``, checked to have ``shape`` (a tuple of ints and integer scalars, or an int vector)."""
    if not isinstance(shape, Variable):
        shape = shape_vector(tuple(shape))
    return SpecifyShape()(x, shape)


def swapaxes(x, axis1, axis2):
    """``x`` with axes ``axis1`` and ``axis2`` exchanged."""
    x = as_tensor_variable(x)
    order = list(range(x.ndim))
    axis1, axis2 = axis1 % x.ndim, axis2 % x.ndim
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return dimshuffle(x, *order)


def vector_length(vector):
    """The length of the vector ``vector`` when the graph says it before running, else None: for a
    constant, a ``MakeVector``, some ``x.shape``, and a constant slice of one of those
    (``x.shape[:2]``), as Theano's ``get_vector_length``."""
    if not isinstance(vector, Variable) or vector.ndim != 1:
        return None
    if isinstance(vector, Constant):
        return len(vector.data)
    node = vector.owner
    if node is None:
        return None
    if isinstance(node.op, MakeVector):
        return len(node.inputs)
    if isinstance(node.op, Shape):
        return node.inputs[0].ndim
    from minitensor.tensor.subtensor import SCALAR, Subtensor  # subtensor imports this module
    if isinstance(node.op, Subtensor) and len(node.op.index) == 1 and isinstance(node.op.index[0], tuple) \
            and SCALAR not in node.op.index[0]:
        length = vector_length(node.inputs[0])
        return None if length is None else len(range(length)[slice(*node.op.index[0])])
    return None
