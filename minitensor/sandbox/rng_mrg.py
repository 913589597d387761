"""``MRG_RandomStreams``: Theano's random streams from L'Ecuyer's MRG31k3p generator, which the
deep-learning tutorials use; the same numbers as Theano's for the same seed.

MRG31k3p keeps six integers per stream, (x1, x2, x3) modulo M1 = 2**31 - 1 and
(y1, y2, y3) modulo M2 = 2**31 - 21069, each triple a linear recurrence:

    x_new = (2**22 x2 + 2**7 x3 + x3) mod M1      y_new = (2**15 y1 + 2**15 y3 + y3) mod M2

and each draw is (x_new - y_new) mod M1, divided by 2**31 (a float in (0, 1)). The
multiplications by powers of two are shifts of masked parts, so no product exceeds
64 bits; here the arithmetic is exact int64, each sum reduced by one conditional
subtraction, as MRG31k3p's own code does.

A draw of n numbers uses several streams (about n/6, as Theano chooses), so that the
element i comes from stream i mod n_streams; ``MRGUniform`` advances all streams one
step at a time with array operations, so the same code runs on NumPy and CuPy. The
stream states start 2**72 steps apart, and each new draw's streams start 2**134 steps
after the previous draw's, as in Theano: jumping ahead k steps is multiplying the
state by a 3x3 matrix (the recurrence's matrix to the power k, modulo M), computed
once (``_A1P72``, ...); the jumps are done on the host, when the graph is built.

>>> import minitensor as theano
>>> srng = MRG_RandomStreams(seed=123)
>>> theano.function([], srng.uniform(size=(1,)))()
array([0.23648804])
"""

from dataclasses import dataclass

import numpy as np

from minitensor.compile.sharedvalue import shared
from minitensor.configuration import config
from minitensor.graph import Apply, Op
from minitensor.tensor import elemwise as E
from minitensor.tensor.construction import join
from minitensor.tensor.math_functions import mod
from minitensor.tensor.reduction import prod
from minitensor.tensor.shape_ops import reshape, static_sizes, vector_entries
from minitensor.tensor.shared_randomstreams import size_vector
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable

M1, M2 = 2147483647, 2147462579  # 2**31 - 1 and 2**31 - 21069
MASK12, MASK13, MASK2, MULT2 = 511, 16777215, 65535, 21069

# The recurrences' matrices to the powers 2**72 and 2**134, modulo M1 and M2: published with
# MRG31k3p (and in Theano's rng_mrg.py).
_A1P72 = np.array([[1516919229, 758510237, 499121365], [1884998244, 1516919229, 335398200],
                   [601897748, 1884998244, 358115744]], dtype=np.int64)
_A2P72 = np.array([[1228857673, 1496414766, 954677935], [1133297478, 1407477216, 1496414766],
                   [2002613992, 1639496704, 1407477216]], dtype=np.int64)
_A1P134 = np.array([[1702500920, 1849582496, 1656874625], [828554832, 1702500920, 1512419905],
                    [1143731069, 828554832, 102237247]], dtype=np.int64)
_A2P134 = np.array([[796789021, 1464208080, 607337906], [1241679051, 1431130166, 1464208080],
                    [1401213391, 1178684362, 1431130166]], dtype=np.int64)


def _jump(state, a1, a2):
    """The state (six host ints) after the jumps a1 (first triple, mod M1) and a2 (second, mod M2)."""
    state = np.asarray(state, dtype=np.int64)
    first = np.sum((a1 * state[:3]) % M1, axis=1) % M1
    second = np.sum((a2 * state[3:]) % M2, axis=1) % M2
    return np.concatenate([first, second]).astype(np.int32)


def _reduce(value, modulus, xp):
    """value - modulus where value >= modulus: the reduction of a sum of two residues."""
    return xp.where(value >= modulus, value - modulus, value)


def _step(s, xp):
    """One step of every stream: the new states (int64, one row each) and their draws (ints in [1, M1])."""
    x1, x2, x3, y1, y2, y3 = (s[:, k] for k in range(6))
    new_x = _reduce(((x2 & MASK12) << 22) + (x2 >> 9) + ((x3 & MASK13) << 7) + (x3 >> 24), M1, xp)
    new_x = _reduce(new_x + x3, M1, xp)
    part1 = _reduce(((y1 & MASK2) << 15) + MULT2 * (y1 >> 16), M2, xp)
    part3 = _reduce(((y3 & MASK2) << 15) + MULT2 * (y3 >> 16), M2, xp)
    new_y = _reduce(_reduce(part3 + y3, M2, xp) + part1, M2, xp)
    states = xp.stack([new_x, x1, x2, new_y, y1, y2], axis=1)
    return states, xp.where(new_x <= new_y, new_x - new_y + M1, new_x - new_y)


@dataclass(frozen=True)
class MRGUniform(Op):
    """Uniform draws in (0, 1) of ``dtype`` and of the shape given by an int vector, from the
    MRG31k3p stream states (an int32 matrix, one row per stream); also the states after them.

    Element i of the sample (in row-major order) is the next draw of stream i mod n_streams.
    """

    dtype: str
    ndim: int

    def make_node(self, states, size):
        states, size = as_tensor_variable(states), as_tensor_variable(size)
        if states.ndim != 2 or states.dtype != "int32":
            raise TypeError(f"MRGUniform needs an int32 matrix of stream states, got {states.describe()}")
        broadcastable = [s == 1 for s in static_sizes(size, self.ndim, "MRGUniform", "size")]
        return Apply(self, [states, size], [states.type(), TensorType(self.dtype, broadcastable)()])

    def host_inputs(self, node):
        return (1,)  # the size

    def impl(self, xp, states, size):
        shape = tuple(int(s) for s in size)
        count = int(np.prod(shape, dtype=np.int64))
        streams = states.shape[0]
        current = states.astype("int64")
        draws = []
        for start in range(0, count, streams):  # each step draws one number from each stream in use
            used = min(streams, count - start)
            stepped, drawn = _step(current[:used], xp)
            current = xp.concatenate([stepped, current[used:]]) if used < streams else stepped
            draws.append(drawn)
        ints = xp.concatenate(draws) if draws else xp.zeros(0, dtype="int64")
        if self.dtype == "float16":  # 15 bits, as Theano: (d & 0x7fff) + 1, times about 2**-15
            sample = ((ints & 0x7FFF) + 1).astype("float64") * 3.0458e-05
        else:
            sample = ints.astype("float64") * 4.656612873077392578125e-10  # 2**-31
        return current.astype("int32"), xp.reshape(sample.astype(self.dtype), shape)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0], tuple(vector_entries(node.inputs[1], self.ndim))]

    def grad(self, inputs, outputs, grads):
        return [None, None]

    def __str__(self):
        return f"MRGUniform{{{self.dtype},{self.ndim}}}"


def guess_n_streams(size):
    """Theano's choice of the number of streams for a draw of ``size``: a sixth of the elements
    (at least 1, at most 60 * 256), or 60 * 256 when the size is symbolic."""
    if isinstance(size, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in size):
        count = int(np.prod(size, dtype=np.int64))
        return min(count // 6 if count > 6 else count, 60 * 256)
    return 60 * 256


class MRG_RandomStreams:
    """Random streams from MRG31k3p, as Theano's ``theano.sandbox.rng_mrg.MRG_RandomStreams``.

    ``seed`` is an int in [1, M2) (repeated six times) or six ints: three in [0, M1), not
    all 0, and three in [0, M2), not all 0. Each draw method adds a shared int32 matrix of
    stream states, whose ``default_update`` advances it; ``state_updates`` lists
    (states, new states, size, n_streams) for each, as in Theano.
    """

    def __init__(self, seed=12345):
        self.state_updates = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def updates(self):
        return list(self.state_updates)

    def set_rstate(self, seed):
        if isinstance(seed, (int, np.integer)):
            if not 0 < seed < M2:
                raise ValueError(f"an MRG seed is an int in [1, {M2}) or six ints, got {seed}")
            self.rstate = np.array([seed] * 6, dtype=np.int32)
            return
        seed = list(seed)
        if len(seed) != 6:
            raise TypeError(f"an MRG seed is one int or six ints, got {seed}")
        if not (all(0 <= s < M1 for s in seed[:3]) and any(seed[:3])
                and all(0 <= s < M2 for s in seed[3:]) and any(seed[3:])):
            raise ValueError(f"an MRG seed of six ints has three in [0, {M1}) and three in [0, {M2}), "
                             f"neither three all 0; got {seed}")
        self.rstate = np.array(seed, dtype=np.int32)

    def seed(self, seed=None):
        """Start again from ``seed`` (by default the one given when made): every draw's streams are
        reset as if they had been made after this seed."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for states, _, size, n_streams in self.state_updates:
            states.set_value(self.get_substream_rstates(n_streams or guess_n_streams(size)), borrow=True)

    def inc_rstate(self):
        """Jump this object's state 2**134 steps ahead: where the next draw's streams start."""
        self.rstate = _jump(self.rstate, _A1P134, _A2P134)

    def get_substream_rstates(self, n_streams, dtype=None, inc_rstate=True):
        """The states of ``n_streams`` streams, 2**72 steps apart, from this object's state."""
        rows = [self.rstate]
        for _ in range(1, n_streams):
            rows.append(_jump(rows[-1], _A1P72, _A2P72))
        if inc_rstate:
            self.inc_rstate()
        return np.array(rows, dtype=np.int32)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Draws from the uniform distribution on (``low``, ``high``), of shape ``size``."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = dtype or E.promote((config.floatX, low.dtype, high.dtype))
        low, high = E.cast(low, dtype), E.cast(high, dtype)
        if isinstance(size, (tuple, list)) and any(isinstance(s, (int, np.integer)) and s <= 0 for s in size):
            raise ValueError(f"MRG_RandomStreams draws need positive sizes, got {size}")
        size_var, ndim = size_vector(size, ndim)
        streams = shared(self.get_substream_rstates(nstreams or guess_n_streams(size)))
        new_states, u = MRGUniform(np.dtype(dtype).name, ndim)(streams, size_var)
        streams.default_update = new_states
        u.rng, u.update = streams, (streams, new_states)
        self.state_updates.append((streams, new_states, size, nstreams))
        return u * (high - low) + low

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None):
        """Draws of one trial (``n`` = 1) with success probability ``p``: 1 where u < p."""
        if n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial draws one trial (n=1), as in Theano")
        return E.cast(E.lt(self.uniform(size, ndim=ndim, nstreams=nstreams), p), dtype)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Draws from the normal distribution, by the Box-Muller transform of uniform pairs."""
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = dtype or E.promote((config.floatX, avg.dtype, std.dtype))
        size_var, ndim = size_vector(size, ndim)
        count = prod(size_var, dtype="int64")
        even = count + mod(count, 2)
        u = self.uniform((even,), 0.0, 1.0, ndim=1, dtype=dtype, nstreams=nstreams)
        half = even // 2
        u1, u2 = u[:half], u[half:]
        radius = E.sqrt(-2.0 * E.log(u1))
        theta = np.asarray(2 * np.pi, dtype=dtype) * u2
        samples = join(0, radius * E.cos(theta), radius * E.sin(theta))[:count]
        return reshape(samples, size_var, ndim) * E.cast(std, dtype) + E.cast(avg, dtype)
