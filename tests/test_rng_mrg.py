"""MRG_RandomStreams: Theano's MRG31k3p numbers, stream for stream."""

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.sandbox.rng_mrg import M1, M2, MRG_RandomStreams, MRGUniform, guess_n_streams


def reference_draws(state, count):
    """MRG31k3p one number at a time, in plain Python ints, as its authors' code and Theano's
    ``mrg_next_value`` write it (sums of 32-bit parts, each reduced by one subtraction)."""
    x1, x2, x3, y1, y2, y3 = (int(s) for s in state)
    out = []
    for _ in range(count):
        t = ((x2 & 511) << 22) + (x2 >> 9) + ((x3 & 16777215) << 7) + (x3 >> 24)
        t = t - M1 if t >= M1 else t
        t = t + x3
        t = t - M1 if t >= M1 else t
        x1, x2, x3 = t, x1, x2
        a = ((y1 & 65535) << 15) + 21069 * (y1 >> 16)
        a = a - M2 if a >= M2 else a
        b = ((y3 & 65535) << 15) + 21069 * (y3 >> 16)
        b = b - M2 if b >= M2 else b
        b = b + y3
        b = b - M2 if b >= M2 else b
        b = b + a
        b = b - M2 if b >= M2 else b
        y1, y2, y3 = b, y1, y2
        out.append((x1 - y1 + (M1 if x1 <= y1 else 0)) * 2.0 ** -31)
    return out, [x1, x2, x3, y1, y2, y3]


def test_one_stream_gives_the_reference_numbers_and_state():
    srng = MRG_RandomStreams(seed=123)
    u = srng.uniform(size=(1,))
    f = theano.function([], u)
    (state,) = srng.state_updates[0][:1]
    start = state.get_value()[0]
    expected, after = reference_draws(start, 2)
    assert f()[0] == expected[0] and f()[0] == expected[1]
    np.testing.assert_array_equal(state.get_value()[0], after)
    assert abs(expected[0] - 0.23648804426) < 1e-10  # what Theano gives for seed 123


def test_element_i_comes_from_stream_i_mod_n_streams():
    srng = MRG_RandomStreams(seed=(1, 2, 3, 4, 5, 6))
    u = srng.uniform(size=(4, 5), nstreams=3)
    states = srng.state_updates[0][0].get_value()
    sample = theano.function([], u)()
    per_stream = [reference_draws(states[k], 7)[0] for k in range(3)]
    expected = [per_stream[i % 3][i // 3] for i in range(20)]
    np.testing.assert_array_equal(sample.ravel(), expected)
    assert guess_n_streams((4, 5)) == 3 and guess_n_streams((2,)) == 2


def test_draws_are_in_the_open_interval_and_seed_resets():
    srng = MRG_RandomStreams(seed=42)
    u = srng.uniform(size=(1000,), low=-1.0, high=3.0, dtype="float32")
    n = srng.normal(size=(501,), avg=2.0, std=0.5)
    f = theano.function([], [u, n])
    first_u, first_n = f()
    assert first_u.dtype == np.float32 and first_u.min() > -1 and first_u.max() < 3
    assert abs(first_n.mean() - 2.0) < 0.1 and abs(first_n.std() - 0.5) < 0.1
    srng.seed(42)
    again_u, again_n = f()
    np.testing.assert_array_equal(first_u, again_u)
    np.testing.assert_array_equal(first_n, again_n)


def test_bad_seeds_are_refused():
    with pytest.raises(ValueError, match="seed"):
        MRG_RandomStreams(0)
    with pytest.raises(ValueError, match="seed"):
        MRG_RandomStreams((0, 0, 0, 1, 1, 1))
    with pytest.raises(TypeError):
        MRGUniform("float64", 1)(T.dmatrix(), [3])
