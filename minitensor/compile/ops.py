"""Theano's ``theano.compile.ops``: ``as_op``, which makes an op of a Python function.

>>> import numpy
>>> import minitensor.tensor as T
>>> @as_op(itypes=[T.dmatrix, T.dmatrix], otypes=[T.dmatrix])
... def numpy_dot(a, b):
...     return numpy.dot(a, b)
>>> x, y = T.dmatrices('x', 'y')
>>> numpy_dot(x, y).eval({x: [[1.0, 2.0]], y: [[3.0], [4.0]]})
array([[11.]])

The op runs the function on NumPy arrays through ``perform`` (on the GPU its
values go through host memory). It has no gradient, as in Theano; ``infer_shape``
gives it one for shapes, so ``numpy_dot(x, y).shape`` costs no call of the function.
"""

from minitensor.graph import Apply, Op


class FromFunctionOp(Op):
    """The op that ``as_op`` makes of ``function``; equal ops wrap the same function and types.
    Its node is made from ``itypes`` and ``otypes`` (``Op.make_node``)."""

    __props__ = ("function", "itypes", "otypes", "_infer_shape")

    def __init__(self, function, itypes, otypes, infer_shape):
        self.function, self.itypes, self.otypes = function, tuple(itypes), tuple(otypes)
        self._infer_shape = infer_shape
        self.__name__ = getattr(function, "__name__", type(function).__name__)
        self.__doc__ = function.__doc__

    def perform(self, node, inputs, output_storage):
        results = self.function(*inputs)
        if len(self.otypes) == 1:
            results = [results]
        if len(results) != len(self.otypes):
            raise ValueError(f"{self} returned {len(results)} values, not the {len(self.otypes)} its otypes say")
        for cell, value, out in zip(output_storage, results, node.outputs):
            cell[0] = out.type.filter(value)

    def infer_shape(self, node, input_shapes):
        if self._infer_shape is None:
            raise NotImplementedError(f"{self} was made without infer_shape")
        return self._infer_shape(node, input_shapes)

    def __str__(self):
        return f"FromFunctionOp{{{self.__name__}}}"

    def __reduce__(self):
        # As a decorator, as_op puts the op where the function's name is: pickle finds the op
        # there. Otherwise the op is made again from the function, which pickle finds by name.
        module, name = self.function.__module__, self.function.__qualname__
        if _find(module, name) is self:
            return _find, (module, name)
        return FromFunctionOp, (self.function, self.itypes, self.otypes, self._infer_shape)


def _find(module, qualname):
    """The object named ``qualname`` in ``module``, or None."""
    import importlib
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found


def as_op(itypes, otypes, infer_shape=None):
    """Decorator: the Python function becomes an op taking inputs of ``itypes`` and returning
    outputs of ``otypes``; ``infer_shape(node, input_shapes)`` gives its output shapes."""
    if not isinstance(itypes, (list, tuple)) or not isinstance(otypes, (list, tuple)):
        raise TypeError("as_op takes lists of types: as_op(itypes=[T.dmatrix], otypes=[T.dmatrix])")
    if infer_shape is not None and not callable(infer_shape):
        raise TypeError(f"as_op's infer_shape must be a function of (node, input_shapes), got {infer_shape!r}")
    return lambda function: FromFunctionOp(function, itypes, otypes, infer_shape)


class DeepCopyOp(Op):
    """A copy of its input, which a compiled function returns where an output is a leaf
    of the graph (an input, a constant or a shared value) so the user gets memory of
    their own."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        return x.copy() if hasattr(x, "copy") else x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        return list(output_grads)


deep_copy_op = DeepCopyOp()
