"""Random ops: samples drawn by NumPy from a generator state that is a tensor in the graph.

A random op is a pure function ``(state, size, *parameters) -> (new state, sample)``.
The state is a uint64 vector ``[seed, stream, draw]``, and the sample is what

    numpy.random.default_rng([seed, stream, draw]).uniform(low, high, size)

returns (or ``.normal``, ``.binomial``, ...); the new state is ``[seed, stream, draw + 1]``.
So the state names a draw rather than holding a generator's internals:

* the same state always gives the same sample, so a rewrite may merge, reorder
  or repeat random nodes without changing any result;
* a state is three integers: it pickles, prints, and means the same on every
  backend (the numbers are always drawn on the host by NumPy, then moved);
* NumPy's ``SeedSequence`` hashes the triple, so distinct triples give
  statistically independent samples.

``RandomStreams`` (``shared_randomstreams.py``) keeps each stream's state in a
shared variable whose ``default_update`` is the op's new state, so every call of
a compiled function draws new numbers. Random ops have no gradient.
"""

from dataclasses import dataclass

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor.shape_ops import static_sizes, vector_entries
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable

STATE_TYPE = TensorType("uint64", (False,))


def _host(array):
    """``array`` as a NumPy array (a CuPy array's ``get`` copies it to the host)."""
    return array.get() if hasattr(array, "get") else array


def _start_draw(state, size, ndim):
    """The NumPy generator for the draw that ``state`` names, the sample's shape, and the next state."""
    state = _host(state)
    if state.shape != (3,):
        raise ValueError(f"a random state is the uint64 vector [seed, stream, draw], got shape {state.shape}")
    shape = tuple(int(s) for s in _host(size))
    if len(shape) != ndim:
        raise ValueError(f"the size {shape} has {len(shape)} entries, not ndim={ndim}")
    following = state.copy()
    following[2] += 1
    return np.random.default_rng([int(s) for s in state]), shape, following


@dataclass(frozen=True)
class RandomVariable(Op):
    """Base of the random ops: inputs (state, size, *parameters), outputs (new state, sample).

    ``dtype`` is the sample's dtype and ``ndim`` the length of ``size``. Most
    distributions draw one number per element of ``size``; ``Permutation`` and
    ``Multinomial`` draw a vector each, so their samples have ``ndim_added = 1``
    dimension more. A subclass names the ``numpy.random.Generator`` method that
    draws its sample (``distribution``), or, where NumPy's call differs, overrides
    ``draw``.
    """

    dtype: str
    ndim: int
    runs_on_host = True  # NumPy's generators draw the sample; a GPU function copies it over
    n_parameters = 2
    ndim_added = 0
    distribution = None

    def make_node(self, state, size, *parameters):
        state, size = as_tensor_variable(state), as_tensor_variable(size)
        if state.type != STATE_TYPE:
            raise TypeError(f"{self} needs a random state of type {STATE_TYPE}, got {state.type}")
        sizes = static_sizes(size, self.ndim, self, role="size")
        if len(sizes) != self.ndim:
            shown = tuple("?" if s is None else s for s in sizes)
            raise ValueError(f"the size {shown} has {len(sizes)} entries, not ndim={self.ndim}")
        if len(parameters) != self.n_parameters:
            raise TypeError(f"{self} takes {self.n_parameters} parameters, got {len(parameters)}")
        parameters = [as_tensor_variable(p) for p in parameters]
        # Like constants, a sample is broadcastable where its size is surely 1.
        broadcastable = tuple(s == 1 for s in sizes) + (False,) * self.ndim_added
        return Apply(self, [state, size, *parameters], [STATE_TYPE(), TensorType(self.dtype, broadcastable)()])

    def impl(self, xp, state, size, *parameters):
        generator, shape, following = _start_draw(state, size, self.ndim)
        sample = self.draw(generator, shape, *[_host(p) for p in parameters])
        return xp.asarray(following), xp.asarray(sample, dtype=self.dtype)

    def draw(self, generator, shape, *parameters):
        """The sample for ``shape``, a tuple of ints, from the NumPy ``generator``."""
        return getattr(generator, self.distribution)(*parameters, shape)

    def infer_shape(self, node, input_shapes):
        return [(3,), tuple(vector_entries(node.inputs[1], self.ndim)) + self.added_lengths(node, input_shapes)]

    def added_lengths(self, node, input_shapes):
        """The lengths of the ``ndim_added`` axes of a sample, after those of its size."""
        return ()

    def grad(self, inputs, outputs, grads):
        return [None] * len(inputs)

    def __str__(self):
        return f"{type(self).__name__}{{{self.dtype}}}"


@dataclass(frozen=True)
class Uniform(RandomVariable):
    """Samples from the uniform distribution on [low, high)."""

    distribution = "uniform"


@dataclass(frozen=True)
class Normal(RandomVariable):
    """Samples from the normal distribution with mean ``avg`` and standard deviation ``std``."""

    distribution = "normal"


@dataclass(frozen=True)
class Binomial(RandomVariable):
    """The number of successes in ``n`` trials that each succeed with probability ``p``."""

    distribution = "binomial"


@dataclass(frozen=True)
class Poisson(RandomVariable):
    """Counts of events of a Poisson process of rate ``lam``."""

    n_parameters = 1
    distribution = "poisson"


@dataclass(frozen=True)
class RandomIntegers(RandomVariable):
    """Integers from ``low`` to ``high``, both included, each equally likely."""

    def draw(self, generator, shape, low, high):
        return generator.integers(low, high, shape, endpoint=True)


@dataclass(frozen=True)
class Choice(RandomVariable):
    """Elements of the vector ``a`` (or of ``arange(a)`` for a scalar ``a``), each drawn with
    probability ``p`` (equal probabilities when ``p`` is empty, Theano's way of saying None),
    with or without ``replace``-ment.
    """

    replace: bool = True

    def draw(self, generator, shape, a, p):
        return generator.choice(a, shape, self.replace, p if p.size else None)


@dataclass(frozen=True)
class Permutation(RandomVariable):
    """Permutations of ``arange(n)``, one for each element of ``size``: of shape ``size + (n,)``."""

    n_parameters = 1
    ndim_added = 1

    def added_lengths(self, node, input_shapes):
        return (node.inputs[2],)  # n

    def draw(self, generator, shape, n):
        # ``permuted`` shuffles each row on its own: one independent permutation per row.
        return generator.permuted(np.broadcast_to(np.arange(int(n)), shape + (int(n),)), axis=-1)


@dataclass(frozen=True)
class Multinomial(RandomVariable):
    """How often each of ``len(pvals)`` outcomes of probabilities ``pvals`` (its last axis)
    comes up in ``n`` trials, for each element of ``size``: of shape ``size + (len(pvals),)``.
    """

    ndim_added = 1
    distribution = "multinomial"

    def added_lengths(self, node, input_shapes):
        return (input_shapes[3][-1],)  # the number of outcomes: pvals' last axis
