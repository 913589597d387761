"""``RandomStreams``: random variables whose generator states live in shared variables.

>>> import minitensor as theano
>>> srng = RandomStreams(seed=234)
>>> rv_u = srng.uniform((2, 2))
>>> f = theano.function([], rv_u)
>>> bool((f() != f()).all())  # each call advances rv_u's state, so draws new numbers
True

Each draw (``srng.uniform(...)``, ``normal``, ``binomial``) is a new stream with
its own state, in the shared variable ``rv.rng``; the state is the uint64 vector
``[seed, stream, draw]`` described in ``raw_random.py``, and the state's
``default_update`` is the random op's new state, so a function reading the
stream advances it after every call, unless it has ``no_default_updates``.

Where Theano keeps a NumPy ``RandomState`` object in ``rv.rng``, here its value is
that state vector, so the tutorial's lines change as follows:

* ``rng_val = rv.rng.get_value(); rng_val.seed(89234); rv.rng.set_value(rng_val)``
  becomes ``rv.rng.set_value(numpy.array([89234, rng_val[1], 0], dtype='uint64'))``
  (a new seed, the same stream, its first draw);
* ``state = rv.rng.get_value().get_state()`` becomes ``state = rv.rng.get_value()``,
  and ``rng.set_state(state); rv.rng.set_value(rng)`` becomes ``rv.rng.set_value(state)``.
"""

import numpy as np

from minitensor.compile.sharedvalue import shared
from minitensor.configuration import config
from minitensor.graph import Constant, Variable
from minitensor.tensor import elemwise as E
from minitensor.tensor.raw_random import Binomial, Normal, Uniform
from minitensor.tensor.shape_ops import Shape, shape_vector
from minitensor.tensor.variable import as_tensor_variable


class RandomStreams:
    """A source of random variables, each a stream seeded from ``seed`` and its index.

    ``state_updates`` lists ``(state, new_state)`` for every stream made so far.
    """

    def __init__(self, seed=None):
        self.default_instance_seed = _check_seed(seed)
        self._seed = self.default_instance_seed
        self.state_updates = []

    def seed(self, seed=None):
        """Re-seed every stream made so far, and those made later, from ``seed``
        (this object's first seed if None): stream k restarts at ``[seed, k, 0]``."""
        self._seed = self.default_instance_seed if seed is None else _check_seed(seed)
        for stream, (state, _) in enumerate(self.state_updates):
            state.set_value(_initial_state(self._seed, stream), borrow=True)

    def updates(self):
        """The ``(state, new_state)`` pairs, for a function's ``updates``."""
        return list(self.state_updates)

    def uniform(self, size=(), low=0.0, high=1.0, ndim=None, dtype=None):
        """Samples from the uniform distribution on [low, high), of shape ``size``."""
        return self._draw(Uniform, size, ndim, dtype or config.floatX, low, high)

    def normal(self, size=(), avg=0.0, std=1.0, ndim=None, dtype=None):
        """Samples from the normal distribution with mean ``avg`` and standard deviation ``std``."""
        return self._draw(Normal, size, ndim, dtype or config.floatX, avg, std)

    def binomial(self, size=(), n=1, p=0.5, ndim=None, dtype="int64"):
        """Numbers of successes in ``n`` trials of probability ``p``; 0 or 1 by default."""
        return self._draw(Binomial, size, ndim, dtype, n, p)

    def _draw(self, op_class, size, ndim, dtype, *parameters):
        size, ndim = size_vector(size, ndim)
        state = shared(_initial_state(self._seed, len(self.state_updates)))
        new_state, sample = op_class(np.dtype(dtype).name, ndim)(state, size, *parameters)
        state.default_update = new_state
        sample.rng, sample.update = state, (state, new_state)
        self.state_updates.append(sample.update)
        return sample


def _check_seed(seed):
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])  # fresh entropy
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise ValueError(f"a seed is an integer in [0, 2**64), got {seed!r}")
    return int(seed)


def _initial_state(seed, stream):
    return np.array([seed, stream, 0], dtype=np.uint64)


def size_vector(size, ndim=None):
    """``size`` (a tuple of ints and symbolic int scalars, or an int vector) as an int64
    vector variable, and the number of dimensions it gives."""
    if isinstance(size, Variable):
        if size.ndim != 1 or np.dtype(size.dtype).kind not in "iu":
            raise TypeError(f"size must be an integer vector or a tuple, got {size.type}")
        if ndim is None and isinstance(size, Constant):
            ndim = len(size.data)
        if ndim is None and size.owner is not None and isinstance(size.owner.op, Shape):
            ndim = size.owner.inputs[0].ndim
        if ndim is None:
            raise TypeError(f"the length of the size vector {size} is not known until it runs; pass ndim")
        return E.cast(size, "int64"), ndim
    entries = [as_tensor_variable(s) for s in (size if isinstance(size, (list, tuple)) else (size,))]
    for s in entries:
        if s.ndim != 0 or np.dtype(s.dtype).kind not in "iu":
            raise TypeError(f"the entries of size must be integer scalars, got {s.type}")
    if ndim is not None and ndim != len(entries):
        raise ValueError(f"size {size} has {len(entries)} entries, but ndim={ndim}")
    sizes = [int(s.data) if isinstance(s, Constant) else s for s in entries]
    return shape_vector(sizes), len(entries)
