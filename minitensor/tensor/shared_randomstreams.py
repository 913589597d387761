"""``RandomStreams``: random variables whose generator states live in shared variables.

>>> import minitensor as theano
>>> srng = RandomStreams(seed=234)
>>> rv_u = srng.uniform((2, 2))
>>> f = theano.function([], rv_u)
>>> bool((f() != f()).all())  # each call advances rv_u's state, so draws new numbers
True

Each draw (``srng.uniform(...)``, ``normal``, ``binomial``, ``random_integers``,
``choice``, ``permutation``, ``multinomial``) is a new stream with
its own state, in the shared variable ``rv.rng``; the state is the uint64 vector
``[seed, stream, draw]`` described in ``raw_random.py``, and the state's
``default_update`` is the random op's new state, so a function reading the
stream advances it after every call, unless it has ``no_default_updates``.

Where Theano keeps a NumPy ``RandomState`` object in ``rv.rng``, here
``rv.rng.get_value()`` is that state vector, viewed as a ``StreamState``: it has
the three ``RandomState`` methods the tutorial calls, so its lines run unchanged::

    rng_val = rv_u.rng.get_value(borrow=True)   # the state of rv_u's stream
    rng_val.seed(89234)                         # [89234, stream, 0]: a new seed, the first draw
    rv_u.rng.set_value(rng_val, borrow=True)
    state = rv_u.rng.get_value().get_state()    # a copy of [seed, stream, draw]
    rng_val.set_state(state)                    # back to that draw
"""

import functools

import numpy as np

from minitensor.compile.sharedvalue import SharedVariable
from minitensor.configuration import config
from minitensor.graph import Constant, Variable
from minitensor.tensor import elemwise as E
from minitensor.tensor.raw_random import (Binomial, Choice, Multinomial, Normal, Permutation, RandomIntegers,
                                          Uniform)
from minitensor.tensor.shape_ops import Shape, shape, shape_vector
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable


class StreamState(np.ndarray):
    """A stream's state ``[seed, stream, draw]``, with the methods of NumPy's ``RandomState``
    that Theano's tutorial calls on the value of ``rv.rng``. They change the array in place."""

    def seed(self, seed):
        """Restart this stream from ``seed``: its next draw is the first one."""
        self[0], self[2] = _check_seed(seed), 0

    def get_state(self):
        """A copy of the state, for ``set_state``."""
        return np.array(self)

    def set_state(self, state):
        """Go back (or forward) to ``state``, as ``get_state`` gave it."""
        self[:] = state


class StateVariable(SharedVariable):
    """The shared variable holding a stream's state; its value reads as a ``StreamState``.
    It lives in host memory on every backend: NumPy's generators read it."""

    lives_on_host = True

    def get_value(self, borrow=False):
        return super().get_value(borrow).view(StreamState)

    def set_value(self, value, borrow=False):
        super().set_value(np.asarray(value), borrow)  # stored as a plain array


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

    # The distributions, with Theano's signatures. Without a size, a sample has the shape
    # of its parameters broadcast together, as in Theano and NumPy.

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Samples from the uniform distribution on [low, high), of shape ``size``."""
        return self._draw(Uniform, dtype or config.floatX, size, ndim, [low, high])

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Samples from the normal distribution with mean ``avg`` and standard deviation ``std``."""
        return self._draw(Normal, dtype or config.floatX, size, ndim, [avg, std])

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
        """Numbers of successes in ``n`` trials of probability ``p``; 0 or 1 by default."""
        return self._draw(Binomial, dtype, size, ndim, [n, p])

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers from ``low`` to ``high``, both included; 0 or 1 by default."""
        return self._draw(RandomIntegers, dtype, size, ndim, [low, high])

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype=None):
        """Elements of the vector ``a``, or of ``arange(a)`` for an integer ``a``, drawn with
        probabilities ``p`` (equal ones by default), with or without replacement.

        Without a size, one element is drawn, as in Theano. The dtype is by default
        int64 for an integer ``a`` and ``a``'s for a vector (Theano's is always int64).
        """
        a = as_tensor_variable(a)
        p = as_tensor_variable(np.zeros(0) if p is None else p)  # empty: equal probabilities
        if a.ndim > 1 or p.ndim != 1:
            raise TypeError(f"choice takes a scalar or vector a and a vector p, got {a.describe()} "
                            f"and {p.describe()}")
        dtype = dtype or ("int64" if a.ndim == 0 else a.dtype)
        return self._draw(Choice, dtype, size, ndim, [a, p], batch=[], replace=bool(replace))

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of ``0, ..., n - 1``, one for each element of ``size``: of shape
        ``size + (n,)``; one permutation (a vector) without a size."""
        return self._draw(Permutation, dtype, size, ndim, [n], batch=[])

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """Counts of each of ``len(pvals)`` outcomes in ``n`` trials, for each element of
        ``size``: of shape ``size + (len(pvals),)``.

        ``pvals`` may hold one distribution per row (its last axis is the outcomes);
        without a size, there is one sample per distribution.
        """
        n, pvals = as_tensor_variable(n), as_tensor_variable(pvals)
        if pvals.ndim == 0:
            raise TypeError(f"multinomial's pvals must list the outcomes' probabilities, got {pvals.describe()}")
        return self._draw(Multinomial, dtype, size, ndim, [n, pvals], batch=[n, pvals[..., 0]])

    def _draw(self, op_class, dtype, size, ndim, parameters, batch=None, **fields):
        """A sample from ``op_class(dtype, ndim, **fields)`` in a new stream.

        ``batch`` are the parameters that give the sample's shape when ``size`` is None
        (all of them by default; none for choice and permutation).
        """
        parameters = [as_tensor_variable(p) for p in parameters]
        batch = parameters if batch is None else batch
        size, ndim = broadcast_shape(batch, ndim) if size is None else size_vector(size, ndim)
        for p in batch:
            if p.ndim > ndim:
                raise ValueError(f"{op_class.__name__}: a size of {ndim} dimensions cannot hold the "
                                 f"parameter {p.describe()}")
        initial = _initial_state(self._seed, len(self.state_updates))
        state = StateVariable(TensorType("uint64", (False,)), initial)
        new_state, sample = op_class(np.dtype(dtype).name, ndim, **fields)(state, size, *parameters)
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


def broadcast_shape(parameters, ndim=None):
    """The shape of the ``parameters`` broadcast together, as an int64 vector, and its length.

    For constants it is known when the graph is built; otherwise it is the shape
    of their sum, computed when the graph runs, as in Theano.
    """
    if all(isinstance(p, Constant) for p in parameters):
        sizes = np.broadcast_shapes(*[p.data.shape for p in parameters])
        vector = shape_vector(sizes)
    else:
        vector = shape(functools.reduce(E.add, parameters))
        sizes = vector.owner.inputs[0].broadcastable
    if ndim is not None and ndim != len(sizes):
        raise ValueError(f"the parameters broadcast to {len(sizes)} dimensions, but ndim={ndim}")
    return vector, len(sizes)
