"""Reductions: ``sum``, ``mean``, ``max`` and ``min`` over some axes.

The ops reduce over a sorted tuple of axes and drop them; ``keepdims`` is a
dimshuffle afterwards, and ``mean`` is a sum divided by an element count, so the
ops stay few and their gradients simple. Sums of float16/float32 accumulate in
float64 and round once at the end, as Theano does.
"""

import math
from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import dimshuffle
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable


def normalize_axes(axis, ndim):
    """``axis`` (None, an int or a sequence, negatives counting from the end) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a {ndim}-dimensional input")
        normalized.append(int(a) % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"axis {axis} repeats an axis")
    return tuple(sorted(normalized))


def _restore_axes(g, axes, ndim):
    """``g`` with the reduced ``axes`` put back as broadcastable dimensions."""
    kept = iter(range(g.ndim))
    return dimshuffle(g, *("x" if d in axes else next(kept) for d in range(ndim)))


class Reduce(Op):
    """Base of the reductions: ``axes`` are removed from the input's dimensions."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        if any(a >= x.ndim for a in self.axes):
            raise ValueError(f"{self} cannot reduce a {x.ndim}-dimensional input")
        broadcastable = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axes)
        return Apply(self, [x], [TensorType(self.output_dtype(x.dtype), broadcastable)()])

    def output_dtype(self, dtype):
        return dtype

    def __str__(self):
        return f"{type(self).__name__}{{axis={self.axes}}}"


@dataclass(frozen=True)
class Sum(Reduce):
    """Sum over ``axes``; every input element gets the output's gradient."""

    axes: tuple

    def output_dtype(self, dtype):
        # As NumPy: small integers and bools sum in the platform integer.
        return np.sum(np.zeros(0, dtype)).dtype.name

    @staticmethod
    def accumulator_dtype(dtype):
        return "float64" if dtype in ("float16", "float32") else None

    def impl(self, xp, x):
        out_dtype = self.output_dtype(x.dtype)
        total = xp.sum(x, axis=self.axes, dtype=self.accumulator_dtype(out_dtype) or out_dtype)
        return xp.asarray(total, dtype=out_dtype)

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        return [E.fill(x, _restore_axes(grads[0], self.axes, x.ndim))]


@dataclass(frozen=True)
class Max(Reduce):
    """Largest element over ``axes``; the gradient goes to every element equal to it."""

    axes: tuple

    def impl(self, xp, x):
        return xp.asarray(xp.max(x, axis=self.axes))

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        restore = lambda v: _restore_axes(v, self.axes, x.ndim)  # noqa: E731
        return [E.eq(x, restore(outputs[0])) * restore(grads[0])]


@dataclass(frozen=True)
class Min(Reduce):
    """Smallest element over ``axes``; the gradient goes to every element equal to it."""

    axes: tuple

    def impl(self, xp, x):
        return xp.asarray(xp.min(x, axis=self.axes))

    grad = Max.grad


@dataclass(frozen=True)
class ElementCount(Op):
    """How many elements of x lie along ``axes``: the count that ``mean`` divides by."""

    axes: tuple

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", ())()])

    def impl(self, xp, x):
        return np.asarray(math.prod(x.shape[a] for a in self.axes), dtype=np.int64)

    def grad(self, inputs, outputs, grads):
        return [None]

    def __str__(self):
        return f"ElementCount{{axis={self.axes}}}"


def _keep(result, axes, ndim, keepdims):
    return _restore_axes(result, axes, ndim) if keepdims else result


def sum(x, axis=None, keepdims=False, acc_dtype=None):
    """Sum of ``x`` over ``axis`` (None for all, an int, or a tuple)."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    if acc_dtype is not None:
        x = E.cast(x, acc_dtype)
    return _keep(Sum(axes)(x), axes, x.ndim, keepdims)


def mean(x, axis=None, keepdims=False, acc_dtype=None):
    """Mean of ``x`` over ``axis``; integers give float64, float32 stays float32."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    total = sum(x, axes, acc_dtype=acc_dtype)
    count = ElementCount(axes)(x)
    if np.dtype(total.dtype).kind == "f":
        count = E.cast(count, total.dtype)  # so float32 means stay float32
    return _keep(E.true_div(total, count), axes, x.ndim, keepdims)


def max(x, axis=None, keepdims=False):
    """Largest element of ``x`` over ``axis``."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    return _keep(Max(axes)(x), axes, x.ndim, keepdims)


def min(x, axis=None, keepdims=False):
    """Smallest element of ``x`` over ``axis``."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    return _keep(Min(axes)(x), axes, x.ndim, keepdims)
