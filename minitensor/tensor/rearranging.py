"""Rearranging elements: ``roll``, ``tile``, ``split``, ``inverse_permutation`` and
``permute_row_elements``, as Theano has them.

No new ops: each is built from slices and joins (``roll``, ``split``), a broadcast
allocation and a reshape (``tile``), or the permutation op of ``sorting.py``, so
each has the gradient of the ops it is made of.

>>> import minitensor.tensor as T
>>> x = T.dvector('x')
>>> T.roll(x, 1).eval({x: [1, 2, 3]}), T.tile(x, (2,)).eval({x: [1, 2]})
(array([3., 1., 2.]), array([1., 2., 1., 2.]))
"""

from minitensor.tensor import elemwise as E
from minitensor.tensor.math_functions import mod
from minitensor.tensor.construction import alloc, join
from minitensor.tensor.shape_ops import dimshuffle, flatten, reshape, shape, shape_entries
from minitensor.tensor.sorting import ArgSort, PermuteAlongAxis
from minitensor.tensor.variable import as_tensor_variable


def roll(x, shift, axis=None):
    """``x`` with its elements shifted by ``shift`` along ``axis`` (None: of ``x`` flattened, then
    reshaped back), the ones pushed off the end coming in at the start, as ``numpy.roll``."""
    x = as_tensor_variable(x)
    if axis is None:
        return reshape(roll(flatten(x), shift, 0), shape(x), x.ndim) if x.ndim > 1 else roll(x, shift, 0)
    axis = axis % x.ndim
    shift = mod(shift, shape(x)[axis])  # so that -shift is a valid slice start
    before = (slice(None),) * axis
    return join(axis, x[before + (slice(-shift, None),)], x[before + (slice(0, -shift),)])


def tile(x, reps, ndim=None):
    """``x`` repeated ``reps[i]`` times along axis i, as ``numpy.tile``; ``reps`` longer than x's
    rank pads x with leading axes. Built as an allocation of x broadcast to (r0, n0, r1, n1, ...),
    reshaped to (r0 n0, r1 n1, ...)."""
    x = as_tensor_variable(x)
    reps = tuple(reps) if isinstance(reps, (list, tuple)) else shape_entries(reps)
    ndim = max(len(reps), x.ndim) if ndim is None else ndim
    reps = (1,) * (ndim - len(reps)) + tuple(reps)
    x = E.pad_left(x, ndim) if x.ndim < ndim else x
    sizes = shape_entries(shape(x))
    interleaved = [entry for axis in range(ndim) for entry in ("x", axis)]
    grid = alloc(dimshuffle(x, *interleaved), *[s for pair in zip(reps, sizes) for s in pair])
    return reshape(grid, tuple(r * s for r, s in zip(reps, sizes)))


def split(x, splits_size, n_splits, axis=0):
    """``x`` cut along ``axis`` into ``n_splits`` pieces of the lengths ``splits_size`` (ints, or
    an integer vector), as a list."""
    x = as_tensor_variable(x)
    sizes = list(splits_size) if isinstance(splits_size, (list, tuple)) else \
        [as_tensor_variable(splits_size)[i] for i in range(n_splits)]
    if len(sizes) != n_splits:
        raise ValueError(f"split into {n_splits} pieces needs {n_splits} lengths, got {len(sizes)}")
    before, pieces, start = (slice(None),) * (axis % x.ndim), [], 0
    for size in sizes:
        pieces.append(x[before + (slice(start, start + size),)])
        start = start + size
    return pieces


def inverse_permutation(perm):
    """The inverse of the permutation ``perm`` (of each row, for a matrix): q with q[perm[i]] = i."""
    perm = as_tensor_variable(perm)
    return ArgSort(perm.ndim - 1)(perm)


def permute_row_elements(x, y, inverse=0):
    """The elements of each row of ``x`` reordered by the permutation ``y`` (one for all rows, or
    one per row): out[..., i] = x[..., y[i]]; with ``inverse``, out[..., y[i]] = x[..., i]."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    y = E.pad_left(y, x.ndim) if y.ndim < x.ndim else y
    if inverse:
        y = inverse_permutation(y)
    return PermuteAlongAxis(x.ndim - 1)(x, y)
