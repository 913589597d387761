"""Random ops: samples drawn by NumPy from a generator state that is a tensor in the graph.

A random op is a pure function ``(state, size, *parameters) -> (new state, sample)``.
The state is a uint64 vector ``[seed, stream, draw]``, and the sample is what

    numpy.random.default_rng([seed, stream, draw]).uniform(low, high, size)

returns (or ``.normal``, ``.binomial``); the new state is ``[seed, stream, draw + 1]``.
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

from minitensor.graph import Apply, Constant, Op
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


class RandomVariable(Op):
    """Base of the random ops: inputs (state, size, *parameters), outputs (new state, sample).

    Subclasses are dataclasses with the fields ``dtype`` and ``ndim`` of the sample.
    """

    n_parameters = 2
    distribution = None  # the numpy.random.Generator method that draws the sample

    def make_node(self, state, size, *parameters):
        state, size = as_tensor_variable(state), as_tensor_variable(size)
        if state.type != STATE_TYPE:
            raise TypeError(f"{self} needs a random state of type {STATE_TYPE}, got {state.type}")
        if size.ndim != 1 or np.dtype(size.dtype).kind not in "iu":
            raise TypeError(f"{self} needs an integer vector for the size, got {size.type}")
        if isinstance(size, Constant) and len(size.data) != self.ndim:
            raise ValueError(f"the size {tuple(size.data)} has {len(size.data)} entries, not ndim={self.ndim}")
        if len(parameters) != self.n_parameters:
            raise TypeError(f"{self} takes {self.n_parameters} parameters, got {len(parameters)}")
        parameters = [as_tensor_variable(p) for p in parameters]
        # Like constants, a sample of a fixed size is broadcastable along its length-1 dimensions.
        broadcastable = (tuple(s == 1 for s in size.data) if isinstance(size, Constant)
                         else (False,) * self.ndim)
        return Apply(self, [state, size, *parameters], [STATE_TYPE(), TensorType(self.dtype, broadcastable)()])

    def impl(self, xp, state, size, *parameters):
        generator, shape, following = _start_draw(state, size, self.ndim)
        draw = getattr(generator, self.distribution)
        sample = draw(*[_host(p) for p in parameters], shape)
        return xp.asarray(following), xp.asarray(sample, dtype=self.dtype)

    def grad(self, inputs, outputs, grads):
        return [None] * len(inputs)

    def __str__(self):
        return f"{type(self).__name__}{{{self.dtype}}}"


@dataclass(frozen=True)
class Uniform(RandomVariable):
    """Samples from the uniform distribution on [low, high)."""

    dtype: str
    ndim: int
    distribution = "uniform"


@dataclass(frozen=True)
class Normal(RandomVariable):
    """Samples from the normal distribution with mean ``avg`` and standard deviation ``std``."""

    dtype: str
    ndim: int
    distribution = "normal"


@dataclass(frozen=True)
class Binomial(RandomVariable):
    """The number of successes in ``n`` trials that each succeed with probability ``p``."""

    dtype: str
    ndim: int
    distribution = "binomial"
