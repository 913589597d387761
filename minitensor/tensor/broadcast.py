"""Changing a tensor's broadcastable pattern: ``addbroadcast``, ``patternbroadcast`` (and
``unbroadcast``, whose op ``Unbroadcast`` is in ``shape_ops.py``),
and the padding helpers ``shape_padleft``, ``shape_padright``, ``shape_padaxis`` and ``squeeze``.

A broadcastable dimension has length 1 and broadcasts against others (see
``type.py``). Padding inserts such dimensions and ``squeeze`` drops them, both
dimshuffles. ``Rebroadcast`` changes what the type says about existing ones: a
flag set to True is a promise, checked when the graph runs, that the length is 1
(for example after a reshape whose sizes are symbolic); a flag set to False lets
a dimension of length 1 be treated as an ordinary one.

>>> import minitensor.tensor as T
>>> x = T.dmatrix('x')
>>> T.addbroadcast(x, 0).type
TensorType(float64, row)
>>> T.shape_padaxis(T.dvector('v'), 1).type
TensorType(float64, col)
"""

from dataclasses import dataclass

from minitensor.graph import Apply, Op
from minitensor.tensor.shape_ops import dimshuffle
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable


@dataclass(frozen=True)
class Rebroadcast(Op):
    """x itself, with the broadcastable flag of each axis in ``flags`` ((axis, flag), ...) set.

    Setting a flag to True checks, when the graph runs, that the axis has length 1.
    The gradient passes through, with the input's flags restored.
    """

    flags: tuple
    returns_view = True

    def make_node(self, x):
        x = as_tensor_variable(x)
        broadcastable = list(x.broadcastable)
        for axis, flag in self.flags:
            if not 0 <= axis < x.ndim:
                raise ValueError(f"{self}: {x.describe()} has no axis {axis}")
            broadcastable[axis] = flag
        return Apply(self, [x], [TensorType(x.dtype, broadcastable)()])

    def impl(self, xp, x):
        for axis, flag in self.flags:
            if flag and x.shape[axis] != 1:
                raise ValueError(f"{self}: axis {axis} was declared broadcastable, so of length 1, "
                                 f"but the value has shape {x.shape}")
        return x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        return [Rebroadcast(tuple((axis, x.broadcastable[axis]) for axis, _ in self.flags))(grads[0])]

    def __str__(self):
        pattern = ["?"] * (max(axis for axis, _ in self.flags) + 1) if self.flags else []
        for axis, flag in self.flags:
            pattern[axis] = str(int(flag))
        return f"Rebroadcast{{{','.join(pattern)}}}"


def _axes(x, axes):
    return [a % x.ndim if -x.ndim <= a < x.ndim else a for a in axes]


def patternbroadcast(x, broadcastable):
    """``x`` with the broadcastable pattern ``broadcastable``; ``x`` itself if it has it already."""
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast of {x.describe()} to a pattern of {len(broadcastable)} axes")
    flags = tuple((axis, bool(flag)) for axis, flag in enumerate(broadcastable)
                  if bool(flag) != x.broadcastable[axis])
    return Rebroadcast(flags)(x) if flags else x


def addbroadcast(x, *axes):
    """``x`` with ``axes`` made broadcastable (their lengths are checked to be 1 when the graph runs)."""
    x = as_tensor_variable(x)
    pattern = list(x.broadcastable)
    for axis in _axes(x, axes):
        if not 0 <= axis < x.ndim:
            raise ValueError(f"addbroadcast: {x.describe()} has no axis {axis}")
        pattern[axis] = True
    return patternbroadcast(x, pattern)


def shape_padleft(t, n_ones=1):
    """``t`` with ``n_ones`` broadcastable dimensions added in front."""
    t = as_tensor_variable(t)
    return dimshuffle(t, *(["x"] * n_ones + list(range(t.ndim))))


def shape_padright(t, n_ones=1):
    """``t`` with ``n_ones`` broadcastable dimensions added at the end."""
    t = as_tensor_variable(t)
    return dimshuffle(t, *(list(range(t.ndim)) + ["x"] * n_ones))


def shape_padaxis(t, axis):
    """``t`` with a broadcastable dimension inserted at ``axis`` (negative counts from the end,
    as in ``numpy.expand_dims``)."""
    t = as_tensor_variable(t)
    if not -t.ndim - 1 <= axis <= t.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} is out of range for {t.ndim + 1} dimensions")
    pattern = list(range(t.ndim))
    pattern.insert(axis % (t.ndim + 1), "x")
    return dimshuffle(t, *pattern)


def squeeze(x):
    """``x`` without its broadcastable dimensions."""
    x = as_tensor_variable(x)
    return dimshuffle(x, *[d for d, b in enumerate(x.broadcastable) if not b])
