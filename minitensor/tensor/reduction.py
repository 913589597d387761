"""Reductions: ``sum``, ``mean``, ``prod``, ``max``, ``min``, ``argmax``, ``argmin``, ``max_and_argmax``,
``any`` and ``all``; and the statistics built from them, ``var``, ``std`` and ``ptp``.

The ops reduce over a sorted tuple of axes and drop them; ``keepdims`` is a
dimshuffle afterwards, and ``mean`` is a sum divided by an element count, so the
ops stay few and their gradients simple. Sums of float16/float32 accumulate in
float64 and round once at the end, as Theano does, except float32 sums of contiguous
NumPy arrays, which NumPy adds in pairs in float32 (``Sum``'s docstring). ``argmax`` and ``argmin`` over
several axes (or all) give the index into those axes flattened, as Theano does.
``Max`` and ``Min`` share their base class ``Extremum``, and ``Argmax`` and
``Argmin`` theirs, ``ArgExtremum``: each names the NumPy function it calls.
"""

import builtins  # this module's any, all, max, min and sum are reductions
import functools
import math
from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.shape_ops import dimshuffle
from minitensor.tensor.type import TensorType, dtype_kind, real_dtype
from minitensor.tensor.variable import as_tensor_variable


def normalize_axes(axis, ndim):
    """``axis`` (None, an int or a sequence, negatives counting from the end) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, np.ndarray):  # NumPy's integer arrays, 0-d or not, as Theano takes them
        axis = axis.tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else axis
    if not (isinstance(axes, (list, tuple)) and builtins.all(isinstance(a, (int, np.integer)) for a in axes)):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
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
        if builtins.any(a >= x.ndim for a in self.axes):
            raise ValueError(f"{self} cannot reduce a {x.ndim}-dimensional input")
        broadcastable = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axes)
        return Apply(self, [x], [TensorType(self.output_dtype(x.dtype), broadcastable)()])

    def output_dtype(self, dtype):
        return dtype

    def infer_shape(self, node, input_shapes):
        return [tuple(size for d, size in enumerate(input_shapes[0]) if d not in self.axes)]

    def __str__(self):
        return f"{type(self).__name__}{{axis={self.axes}}}"


@functools.lru_cache(maxsize=None)  # asked on every call; NumPy's answer takes microseconds
def numpy_sum_dtype(dtype):
    """The dtype NumPy sums ``dtype`` in: its own, but small integers and bools in the platform integer."""
    return np.sum(np.zeros(0, dtype)).dtype.name


@dataclass(frozen=True)
class Sum(Reduce):
    """Sum over ``axes``; every input element gets the output's gradient.

    As Theano's ``Sum``, it has the result's ``dtype`` (None: NumPy's, ``numpy_sum_dtype``)
    and the ``acc_dtype`` its terms are added in (None: the result's dtype, except for
    float16 and float32 results, below). ``sum(x, dtype=..., acc_dtype=...)`` sets them.

    A float16 or float32 result is added up in float64 and rounded once at the end, as
    Theano does, with one exception: a float32 sum of a float32 NumPy array whose summed
    elements lie next to each other in memory (a C-contiguous array summed over its last
    axes, or all of them) is added in float32. NumPy adds such a run in pairs (pairwise
    summation, down to blocks of 128 that it adds in 8 interleaved runs), whose rounding
    error is at most about (log2(n) + 16) eps sum(|x|), eps = 2**-24 for float32 (measured:
    at most 1.6 eps of the sum for 10**8 equal positive terms); adding in float64 would
    have NumPy copy the array to float64 piece by piece first. Elsewhere NumPy adds one
    term after another, whose error grows as n eps (4% for 10**7 equal terms), so those
    sums stay in float64, as do sums on CuPy, whose kernels read float32 and add in float64
    without a copy, and the sums the C linker compiles (``backends/c.py``), likewise. Where the terms cancel, a float32 result can differ from the float64
    one by that bound, more than one rounding of the exact sum: ``acc_dtype='float64'``
    adds in float64 everywhere.
    """

    axes: tuple
    dtype: str = None
    acc_dtype: str = None

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.acc_dtype is not None and not _holds(self.acc_dtype, x.dtype):
            raise TypeError(f"{self} cannot add up a {x.dtype} input in {self.acc_dtype}: it would lose "
                            f"precision (leave acc_dtype out, or give dtype for the result's dtype)")
        return super().make_node(x)

    def output_dtype(self, dtype):
        return self.dtype or numpy_sum_dtype(dtype)

    def accumulator_dtype(self, dtype):
        """The dtype a sum with result ``dtype`` adds in, or None for ``dtype`` itself (the
        float32 sums added in float32, above, are the thunk's choice, by array)."""
        if self.acc_dtype is not None:
            return self.acc_dtype
        return "float64" if dtype in ("float16", "float32") else None

    def adds_in_pairs(self, xp, in_dtype, out_dtype, ndim):
        """Whether a float32 array of ``ndim`` dimensions is added in float32 where its summed
        elements are contiguous (see the class docstring); then each array is asked."""
        return (xp is np and self.acc_dtype is None and in_dtype == out_dtype == "float32"
                and self.axes == tuple(range(ndim - len(self.axes), ndim)))

    def impl(self, xp, x):
        out_dtype = self.output_dtype(x.dtype)
        if self.adds_in_pairs(xp, x.dtype, out_dtype, x.ndim) and x.flags.c_contiguous:
            accumulate = out_dtype
        else:
            accumulate = self.accumulator_dtype(out_dtype) or out_dtype
        return xp.asarray(xp.add.reduce(x, axis=self.axes, dtype=accumulate), dtype=out_dtype)

    def make_thunk(self, node, xp):
        # The dtypes depend on the node alone, so a call is one add.reduce (np.sum is a Python
        # wrapper around it), and a conversion only where the result is 0-d or accumulated wider.
        x, out = node.inputs[0], node.outputs[0]
        accumulate = self.accumulator_dtype(out.dtype) or out.dtype
        reduce, axes, asarray = xp.add.reduce, self.axes, xp.asarray
        if out.ndim == 0 or accumulate != out.dtype:
            wide = lambda x: asarray(reduce(x, axis=axes, dtype=accumulate), dtype=out.dtype)  # noqa: E731
        else:
            wide = lambda x: reduce(x, axis=axes, dtype=accumulate)  # noqa: E731
        if not self.adds_in_pairs(xp, x.dtype, out.dtype, x.ndim):
            return wide
        if out.ndim == 0:
            return lambda x: asarray(reduce(x, axis=axes)) if x.flags.c_contiguous else wide(x)
        return lambda x: reduce(x, axis=axes) if x.flags.c_contiguous else wide(x)

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        return [E.fill(x, _restore_axes(grads[0], self.axes, x.ndim))]

    def __str__(self):
        dtypes = "".join(f", {name}={value}" for name, value in (("dtype", self.dtype), ("acc_dtype", self.acc_dtype))
                         if value is not None)
        return f"Sum{{axis={self.axes}{dtypes}}}"


def _holds(wide, narrow):
    """Whether dtype ``wide`` holds every value of dtype ``narrow``, or ``narrow`` is an
    integer or bool and ``wide`` a float (Theano allows a float accumulator for those)."""
    return np.can_cast(narrow, wide, "safe") or (np.dtype(narrow).kind in "biu" and np.dtype(wide).kind == "f")


class Extremum(Reduce):
    """Base of ``Max`` and ``Min``: the extreme element over ``axes``, found by ``xp.<find>``.

    The gradient goes to every element equal to the extreme one (all of a tie),
    as in Theano.
    """

    find = None  # the name of the array module's function: "max" or "min"

    def impl(self, xp, x):
        return xp.asarray(getattr(xp, self.find)(x, axis=self.axes))

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        restore = lambda v: _restore_axes(v, self.axes, x.ndim)  # noqa: E731
        return [E.eq(x, restore(outputs[0])) * restore(grads[0])]


@dataclass(frozen=True)
class Max(Extremum):
    """Largest element over ``axes``."""

    axes: tuple
    find = "max"


@dataclass(frozen=True)
class Min(Extremum):
    """Smallest element over ``axes``."""

    axes: tuple
    find = "min"


@dataclass(frozen=True)
class Prod(Reduce):
    """Product over ``axes``.

    Where x_j != 0, dp/dx_j = p / x_j. Where x_j == 0 that is 0/0; dp/dx_j is then the
    product of the other elements: the product of the nonzero ones if x_j is the
    only zero, else 0. (Second derivatives are exact except where two or more
    elements are zero.) With ``no_zeros_in_input`` the gradient is p / x_j everywhere.
    """

    axes: tuple
    no_zeros_in_input: bool = False

    def output_dtype(self, dtype):
        return numpy_sum_dtype(dtype)

    def impl(self, xp, x):
        return xp.asarray(xp.prod(x, axis=self.axes, dtype=self.output_dtype(x.dtype)))

    def grad(self, inputs, outputs, grads):
        x, p = inputs[0], outputs[0]
        restore = lambda v: _restore_axes(v, self.axes, x.ndim)  # noqa: E731
        if self.no_zeros_in_input:
            return [restore(grads[0] * p) / x]
        nonzero = E.neq(x, 0)
        # Dividing by x only where it is nonzero keeps 0/0 out of the graph and of its gradient.
        others_if_nonzero = restore(p) / E.switch(nonzero, x, 1)
        product_of_nonzeros = Prod(self.axes, True)(E.switch(nonzero, x, 1))
        one_zero = E.eq(Sum(self.axes)(E.eq(x, 0)), 1)
        others_if_zero = restore(product_of_nonzeros * one_zero)
        return [restore(grads[0]) * E.switch(nonzero, others_if_nonzero, others_if_zero)]


def _merge_axes(xp, x, axes):
    """x with ``axes`` moved to the end and merged into one, so that they reduce as axis -1."""
    kept = [d for d in range(x.ndim) if d not in axes]
    x = xp.transpose(x, kept + list(axes))
    return xp.reshape(x, x.shape[:len(kept)] + (math.prod(x.shape[len(kept):]),))


class ArgExtremum(Reduce):
    """Base of ``Argmax`` and ``Argmin``: the position (int64) of the extreme element over ``axes``.

    Over several axes the position indexes them flattened, as in Theano. The
    first position wins a tie, and a NaN counts as the extreme, as in NumPy. The
    result is an integer, so it has no gradient.
    """

    find = None  # the name of the array module's function: "argmax" or "argmin"

    def output_dtype(self, dtype):
        return "int64"

    def impl(self, xp, x):
        return xp.asarray(getattr(xp, self.find)(_merge_axes(xp, x, self.axes), axis=-1), dtype="int64")

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class Argmax(ArgExtremum):
    """The position of the largest element over ``axes``."""

    axes: tuple
    find = "argmax"


@dataclass(frozen=True)
class Argmin(ArgExtremum):
    """The position of the smallest element over ``axes``."""

    axes: tuple
    find = "argmin"


@dataclass(frozen=True)
class MaxAndArgmax(Op):
    """The largest element over ``axes`` and its position (int64): two outputs, computed together.

    The max's gradient is Max's: it goes to every element equal to the max.
    """

    axes: tuple

    def make_node(self, x):
        x = as_tensor_variable(x)
        if builtins.any(a >= x.ndim for a in self.axes):
            raise ValueError(f"{self} cannot reduce a {x.ndim}-dimensional input")
        broadcastable = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axes)
        return Apply(self, [x], [TensorType(x.dtype, broadcastable)(), TensorType("int64", broadcastable)()])

    def impl(self, xp, x):
        merged = _merge_axes(xp, x, self.axes)
        position = xp.expand_dims(xp.argmax(merged, axis=-1), -1)
        largest = xp.take_along_axis(merged, position, axis=-1)[..., 0]
        return largest, xp.asarray(position[..., 0], dtype="int64")

    def infer_shape(self, node, input_shapes):
        kept = tuple(size for d, size in enumerate(input_shapes[0]) if d not in self.axes)
        return [kept, kept]

    def grad(self, inputs, outputs, grads):
        x = inputs[0]
        restore = lambda v: _restore_axes(v, self.axes, x.ndim)  # noqa: E731
        return [E.eq(x, restore(outputs[0])) * restore(grads[0])]  # the argmax output has none

    def __str__(self):
        return f"MaxAndArgmax{{axis={self.axes}}}"


@dataclass(frozen=True)
class ElementCount(Op):
    """How many elements of x lie along ``axes``: the count that ``mean`` divides by.

    ``dtype`` is the count's: a float mean counts in its own dtype, in one step rather
    than an int64 count and a cast."""

    axes: tuple
    dtype: str = "int64"
    runs_on_host = reads_only_shapes = True

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType(self.dtype, ())()])

    def impl(self, xp, x):
        return np.asarray(math.prod(x.shape[a] for a in self.axes), dtype=self.dtype)

    def make_thunk(self, node, xp):
        if len(self.axes) != 1:
            return super().make_thunk(node, xp)
        (axis,), dtype, asarray = self.axes, np.dtype(self.dtype), np.asarray  # the common case, mean over one axis
        return lambda x: asarray(x.shape[axis], dtype=dtype)

    def infer_shape(self, node, input_shapes):
        return [()]

    def grad(self, inputs, outputs, grads):
        return [None]

    def __str__(self):
        dtype = "" if self.dtype == "int64" else f", dtype={self.dtype}"
        return f"ElementCount{{axis={self.axes}{dtype}}}"


def _keep(result, axes, ndim, keepdims):
    return _restore_axes(result, axes, ndim) if keepdims else result


def _as_dtype(result, dtype):
    return result if dtype is None else E.cast(result, dtype)


# The signatures are Theano's: (input, axis, dtype, keepdims, acc_dtype), so positional calls
# written for Theano mean the same here. ``dtype`` is the result's dtype, ``acc_dtype`` the
# dtype to add up in.

def sum(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Sum of ``x`` over ``axis`` (None for all, an int, or a tuple)."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    if dtype is not None and acc_dtype is None:
        natural = numpy_sum_dtype(x.dtype)
        if not _holds(dtype, natural):  # a narrower result is the sum added as usual, rounded once
            acc_dtype = Sum(axes).accumulator_dtype(natural) or natural
    return _keep(Sum(axes, dtype, acc_dtype)(x), axes, x.ndim, keepdims)


def mean(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Mean of ``x`` over ``axis``; integers give float64, float32 stays float32.

    float16 stays float16, but is summed, counted and divided in float32, as in Theano:
    float16 counts no further than 65,504, and rounds 2,049 to 2,048.
    """
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    sum_dtype = dtype  # as Theano: a mean's dtype is its sum's
    if x.dtype == "float16" and dtype in (None, "float16"):
        sum_dtype, dtype = "float32", "float16"
    total = sum(x, axes, dtype=sum_dtype, acc_dtype=acc_dtype)
    # Counted in a float total's dtype (a complex one's parts'), so that float32 and complex64
    # means stay float32 and complex64.
    count = ElementCount(axes, real_dtype(total.dtype) if dtype_kind(total.dtype) in "fc" else "int64")(x)
    return _keep(_as_dtype(E.true_div(total, count), dtype), axes, x.ndim, keepdims)


def _reduce(op_class, x, axis, keepdims):
    """``op_class(axes)(x)`` over the normalised ``axis``, the reduced axes kept if ``keepdims``."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    return _keep(op_class(axes)(x), axes, x.ndim, keepdims)


def max(x, axis=None, keepdims=False):
    """Largest element of ``x`` over ``axis``."""
    return _reduce(Max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    """Smallest element of ``x`` over ``axis``."""
    return _reduce(Min, x, axis, keepdims)


def prod(x, axis=None, dtype=None, keepdims=False, acc_dtype=None, no_zeros_in_input=False):
    """Product of ``x`` over ``axis``; ``no_zeros_in_input`` promises no zeros, for a simpler gradient."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    if acc_dtype is not None:
        x = E.cast(x, acc_dtype)
    return _keep(_as_dtype(Prod(axes, no_zeros_in_input)(x), dtype), axes, x.ndim, keepdims)


def argmax(x, axis=None, keepdims=False):
    """Position (int64) of the largest element of ``x`` over ``axis``."""
    return _reduce(Argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Position (int64) of the smallest element of ``x`` over ``axis``.

    >>> import minitensor.tensor as T
    >>> x = T.dmatrix('x')
    >>> T.argmin(x, axis=1).eval({x: [[3, 1, 2], [0, 5, 0]]})
    array([1, 0])
    """
    return _reduce(Argmin, x, axis, keepdims)


def max_and_argmax(x, axis=None, keepdims=False):
    """``[max(x, axis), argmax(x, axis)]``, computed by one node."""
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    return [_keep(out, axes, x.ndim, keepdims) for out in MaxAndArgmax(axes)(x)]


class Logical(Reduce):
    """Base of ``Any`` and ``All``: a bool reduction by ``xp.<find>``; no gradient."""

    find = None

    def output_dtype(self, dtype):
        return "bool"

    def impl(self, xp, x):
        return xp.asarray(getattr(xp, self.find)(x, axis=self.axes))

    def grad(self, inputs, outputs, grads):
        return [None]


@dataclass(frozen=True)
class Any(Logical):
    """Whether any element over ``axes`` is nonzero."""

    axes: tuple
    find = "any"


@dataclass(frozen=True)
class All(Logical):
    """Whether every element over ``axes`` is nonzero."""

    axes: tuple
    find = "all"


def any(x, axis=None, keepdims=False):
    """Whether any element of ``x`` over ``axis`` is nonzero (bool)."""
    return _reduce(Any, x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    """Whether every element of ``x`` over ``axis`` is nonzero (bool)."""
    return _reduce(All, x, axis, keepdims)


def var(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """The variance of ``x`` over ``axis``: the mean squared deviation from the mean (its squared
    modulus for complex x, a real result), dividing by the count less ``ddof``. (``corrected``, Theano's two-pass correction, changes nothing here:
    the deviations are taken from the mean computed first, which is that correction's aim.)

    >>> import minitensor.tensor as T
    >>> x = T.dvector('x')
    >>> T.var(x).eval({x: [1, 2, 3, 4]}), T.std(x, ddof=1).eval({x: [1, 2, 3, 4]})
    (array(1.25), array(1.29099445))
    """
    x = as_tensor_variable(x)
    axes = normalize_axes(axis, x.ndim)
    deviations = x - mean(x, axes, keepdims=True)
    # |d|^2 for complex values, as NumPy: the variance of complex numbers is real
    deviations = E.sqr(E.abs_(deviations)) if dtype_kind(x.dtype) == "c" else E.sqr(deviations)
    total = sum(deviations, axes, keepdims=keepdims)
    count = ElementCount(axes, total.dtype)(x)
    return E.true_div(total, count - ddof if ddof else count)


def std(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """The standard deviation of ``x`` over ``axis``: the square root of ``var``."""
    return E.sqrt(var(x, axis, ddof, keepdims, corrected))


def ptp(x, axis=None, keepdims=False):
    """The range (max minus min) of ``x`` over ``axis``."""
    return max(x, axis, keepdims) - min(x, axis, keepdims)
