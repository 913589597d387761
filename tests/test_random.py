"""Random numbers: ``RandomStreams``, the random ops, and default updates.

The tutorial page "Using Random Numbers" runs with the imports changed; where it
reaches into a NumPy ``RandomState`` (seeding or restoring one stream), the
state vector ``[seed, stream, draw]`` offers the same methods.
"""

import pickle

import numpy
import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import function
from minitensor.tensor.shared_randomstreams import RandomStreams


def numpy_draw(seed, stream, draw, method, *parameters):
    """What the random ops promise: NumPy's sample for the state [seed, stream, draw]."""
    return getattr(np.random.default_rng([seed, stream, draw]), method)(*parameters)


# --- the tutorial page "Using Random Numbers" ----------------------------------------------------

def tutorial_functions():
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)  # Not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
    return srng, rv_u, rv_n, f, g, nearly_zeros


def test_tutorial_streams_advance_unless_told_not_to():
    srng, rv_u, rv_n, f, g, nearly_zeros = tutorial_functions()
    f_val0 = f()
    f_val1 = f()  # different numbers from f_val0
    assert f_val0.shape == (2, 2) and not np.array_equal(f_val0, f_val1)
    g_val0 = g()  # different numbers from f_val0 and f_val1
    g_val1 = g()  # same numbers as g_val0!
    np.testing.assert_array_equal(g_val0, g_val1)
    assert not np.array_equal(g_val0, f_val0)
    # One draw per call, however often the graph uses it.
    assert np.array_equal(nearly_zeros(), np.zeros((2, 2)))
    # The numbers are NumPy's for the states [234, 0, 0] and [234, 0, 1] (stream 0 is rv_u).
    np.testing.assert_array_equal(f_val0, numpy_draw(234, 0, 0, "uniform", 0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(f_val1, numpy_draw(234, 0, 1, "uniform", 0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(g_val0, numpy_draw(234, 1, 0, "normal", 0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(rv_u.rng.get_value(), [234, 0, 3])  # f twice, nearly_zeros once


def test_tutorial_seeding_streams():
    srng, rv_u, rv_n, f, g, nearly_zeros = tutorial_functions()
    f()
    rng_val = rv_u.rng.get_value(borrow=True)   # Get the rng for rv_u
    rng_val.seed(89234)                         # seeds the generator
    rv_u.rng.set_value(rng_val, borrow=True)    # Assign back seeded rng
    np.testing.assert_array_equal(f(), numpy_draw(89234, 0, 0, "uniform", 0.0, 1.0, (2, 2)))

    srng.seed(902340)  # seeds rv_u and rv_n with different seeds each
    u, n = f(), g()
    np.testing.assert_array_equal(u, numpy_draw(902340, 0, 0, "uniform", 0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(n, numpy_draw(902340, 1, 0, "normal", 0.0, 1.0, (2, 2)))
    srng.seed(902340)
    np.testing.assert_array_equal(f(), u)  # re-seeding restarts every stream
    srng.seed()
    np.testing.assert_array_equal(f(), numpy_draw(234, 0, 0, "uniform", 0.0, 1.0, (2, 2)))
    later = srng.uniform(())
    assert later.rng.get_value()[0] == 234  # streams made later follow the last seed


def test_a_stream_state_stays_a_plain_uint64_vector():
    srng = RandomStreams(seed=1)
    rv = srng.uniform(())
    value = rv.rng.get_value()
    value.seed(5)  # a copy: the stream is not changed until it is set back
    np.testing.assert_array_equal(rv.rng.get_value(), [1, 0, 0])
    rv.rng.set_value(value)
    assert type(rv.rng.get_value(borrow=True).base) is np.ndarray
    assert type(rv.rng._value) is np.ndarray
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(rv.rng)).get_value(), [5, 0, 0])
    with pytest.raises(ValueError, match="a seed is an integer"):
        value.seed(-1)


def test_tutorial_sharing_streams_between_functions():
    srng, rv_u, rv_n, f, g, nearly_zeros = tutorial_functions()
    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()       # this affects rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()  # v2 != v1
    v3 = f()  # v3 == v1
    assert not np.array_equal(v1, v2)
    np.testing.assert_array_equal(v1, v3)


def test_tutorial_copying_random_state_between_graphs():
    class Graph():
        def __init__(self, seed=123):
            self.rng = RandomStreams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1 = Graph(seed=123)
    f1 = theano.function([], g1.y)
    g2 = Graph(seed=987)
    f2 = theano.function([], g2.y)
    assert f1() != f2()  # by default, the two functions are out of sync

    def copy_random_state(g1, g2):  # the tutorial's, without its MRG_RandomStreams case
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    assert f1() == f2()
    assert f1() == f2()


# --- distributions, dtypes and sizes ----------------------------------------------------------------

def test_samples_have_their_distributions():
    srng = RandomStreams(seed=1)
    u = function([], srng.uniform((20000,), low=-2.0, high=3.0))()
    n = function([], srng.normal((20000,), avg=1.0, std=2.0))()
    b = function([], srng.binomial((20000,), n=4, p=0.25))()
    bits = function([], srng.binomial((2, 3)))()
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    assert set(np.unique(b)) <= {0, 1, 2, 3, 4} and abs(b.mean() - 1.0) < 0.03
    assert b.dtype == np.int64 and set(np.unique(bits)) <= {0, 1} and bits.shape == (2, 3)


def test_dtypes(floatX):
    srng = RandomStreams(seed=1)
    assert srng.uniform(()).dtype == "float64"
    assert function([], srng.normal((2,), dtype="float32"))().dtype == np.float32
    assert srng.binomial((2,), dtype="int8").dtype == "int8"
    theano.config.floatX = "float32"
    assert function([], srng.uniform((3,)))().dtype == np.float32


def test_symbolic_sizes_and_parameters():
    srng = RandomStreams(seed=3)
    n = T.lscalar('n')
    x = T.dmatrix('x')
    shape = T.lvector('shape')
    low = T.dscalar('low')
    by_scalar = function([n], srng.uniform((n, 2)))
    by_shape = function([x], srng.binomial(size=x.shape, p=0.5) * x)  # a dropout mask
    by_vector = function([shape], srng.normal(shape, ndim=3))
    by_parameter = function([low], srng.uniform((4,), low=low, high=low + 1))
    assert by_scalar(3).shape == (3, 2)
    assert by_shape(np.ones((4, 5))).shape == (4, 5)
    assert by_vector([1, 2, 3]).shape == (1, 2, 3)
    sample = by_parameter(10.0)
    assert ((sample >= 10.0) & (sample < 11.0)).all()
    with pytest.raises(TypeError, match="ndim"):
        srng.normal(shape)
    with pytest.raises(ValueError, match="ndim"):
        srng.normal((2, 2), ndim=3)
    with pytest.raises(TypeError, match="integer"):
        srng.normal((2.5, 2))


def test_a_fixed_size_of_one_is_broadcastable():
    srng = RandomStreams(seed=3)
    row = srng.uniform((1, 3))
    assert row.broadcastable == (True, False)
    m = T.dmatrix('m')
    assert function([m], m + row)(np.zeros((2, 3))).shape == (2, 3)


# --- size=None: the parameters' broadcast shape, as in Theano ----------------------------------

def test_without_a_size_a_sample_takes_the_parameters_shape():
    srng = RandomStreams(seed=6)
    avg, low, n = T.dvector('avg'), T.drow('low'), T.lvector('n')
    by_avg = srng.normal(avg=avg, std=0.001)
    by_row = srng.uniform(low=low, high=low + 1)
    by_both = srng.binomial(n=n[:, None], p=T.constant([[0.0, 1.0, 0.5]]))
    assert by_avg.type == T.dvector and by_row.type == T.drow and by_both.ndim == 2
    f = function([avg, low, n], [by_avg, by_row, by_both])
    got_avg, got_row, got_both = f([0.0, 10.0, 100.0], [[5.0, 6.0]], [4, 7])
    np.testing.assert_allclose(got_avg, [0.0, 10.0, 100.0], atol=0.01)
    assert got_row.shape == (1, 2) and ((got_row >= [[5.0, 6.0]]) & (got_row < [[6.0, 7.0]])).all()
    np.testing.assert_array_equal(got_both[:, :2], [[0, 4], [0, 7]])
    # The sample is NumPy's for the parameters' shape, as with an explicit size.
    np.testing.assert_array_equal(got_avg, numpy_draw(6, 0, 0, "normal", [0.0, 10.0, 100.0], 0.001, (3,)))


def test_without_a_size_constant_parameters_give_a_constant_shape():
    srng = RandomStreams(seed=6)
    scalar, vector = srng.normal(), srng.uniform(low=np.zeros(3), high=2.0)
    assert scalar.type == T.dscalar and vector.type == T.dvector
    sizes = [rv.owner.inputs[1] for rv in (scalar, vector)]
    assert [list(s.data) for s in sizes] == [[], [3]]  # known when the graph is built
    assert function([], vector)().shape == (3,)


def test_a_size_too_small_for_the_parameters_is_refused():
    srng = RandomStreams(seed=6)
    with pytest.raises(ValueError, match="a size of 1 dimensions cannot hold the parameter 'm'"):
        srng.normal((3,), avg=T.dmatrix('m'))
    with pytest.raises(ValueError, match="ndim=1"):
        srng.normal(avg=T.dmatrix('m'), ndim=1)


# --- random_integers, choice, permutation, multinomial -------------------------------------

def test_random_integers_include_both_bounds():
    srng = RandomStreams(seed=9)
    sample = function([], srng.random_integers((2000,), low=-1, high=2))()
    assert set(np.unique(sample)) == {-1, 0, 1, 2} and sample.dtype == np.int64
    bits = srng.random_integers((3, 4))  # Theano's defaults: 0 or 1
    assert set(np.unique(function([], bits)())) <= {0, 1} and bits.type == T.lmatrix
    high = T.lvector('high')
    per_element = function([high], srng.random_integers(low=0, high=high))([0, 0, 5])
    assert per_element.shape == (3,) and list(per_element[:2]) == [0, 0]
    expected = np.random.default_rng([9, 0, 0]).integers(-1, 2, (2000,), endpoint=True)
    np.testing.assert_array_equal(sample, expected)


def test_choice_with_and_without_replacement_and_probabilities():
    srng = RandomStreams(seed=10)
    one = srng.choice(a=5)  # no size: one element, as in Theano
    assert one.type == T.lscalar and 0 <= function([], one)() < 5
    unique = function([], srng.choice((2, 3), a=6, replace=False))()
    assert sorted(unique.ravel()) == list(range(6))
    weighted = function([], srng.choice((1000,), a=3, p=[0.0, 0.2, 0.8]))()
    assert set(np.unique(weighted)) == {1, 2} and abs((weighted == 2).mean() - 0.8) < 0.05
    a = T.dvector('a')
    picked = srng.choice((4,), a=a)
    assert picked.type == T.dvector  # a vector's own dtype (Theano's default is always int64)
    assert set(function([a], picked)([0.5, 1.5])) <= {0.5, 1.5}
    with pytest.raises(TypeError, match="a scalar or vector a and a vector p"):
        srng.choice(a=T.dmatrix('m'))


def test_permutations_one_per_element_of_size():
    srng = RandomStreams(seed=11)
    single = srng.permutation(n=5)
    assert single.type == T.lvector and sorted(function([], single)()) == [0, 1, 2, 3, 4]
    n = T.lscalar('n')
    many = srng.permutation((2, 3), n=n)
    assert many.ndim == 3
    sample = function([n], many)(4)
    assert sample.shape == (2, 3, 4)
    assert (np.sort(sample, axis=-1) == np.arange(4)).all()
    assert len({tuple(row) for row in sample.reshape(-1, 4)}) > 1  # independent permutations


def test_multinomial_counts_add_up_to_n():
    srng = RandomStreams(seed=12)
    default = srng.multinomial()  # Theano's defaults: one trial, two equally likely outcomes
    assert default.type == T.lvector and function([], default)().sum() == 1
    counts = function([], srng.multinomial((500,), n=10, pvals=[0.2, 0.3, 0.5]))()
    assert counts.shape == (500, 3) and (counts.sum(axis=1) == 10).all()
    np.testing.assert_allclose(counts.mean(axis=0), [2.0, 3.0, 5.0], atol=0.2)
    pvals = T.dmatrix('pvals')
    batch = srng.multinomial(n=T.constant([5, 100]), pvals=pvals)  # one sample per row of pvals
    got = function([pvals], batch)([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(got, [[5, 0], [0, 100]])
    with pytest.raises(TypeError, match="pvals"):
        srng.multinomial(pvals=0.5)


def test_every_distribution_draws_anew_each_call_and_freezes_without_updates():
    srng = RandomStreams(seed=13)
    samples = [srng.random_integers((8,), 0, 100), srng.choice((8,), 100), srng.permutation((2,), 8),
               srng.multinomial((8,), 100, [0.5, 0.5])]
    for rv in samples:
        f, frozen = function([], rv), function([], rv, no_default_updates=True)
        assert not np.array_equal(f(), f())
        np.testing.assert_array_equal(frozen(), frozen())
    srng.seed(13)
    assert [rv.rng.get_value()[2] for rv in samples] == [0, 0, 0, 0]


# --- default updates -------------------------------------------------------------------------

def test_explicit_update_replaces_the_default_one():
    srng = RandomStreams(seed=5)
    rv = srng.uniform((3,))
    frozen = function([], rv, updates=[(rv.rng, rv.rng)])
    np.testing.assert_array_equal(frozen(), frozen())
    assert rv.rng.get_value()[2] == 0


def test_no_default_updates_as_a_list_excludes_only_those():
    srng = RandomStreams(seed=5)
    a, b = srng.uniform((2,)), srng.uniform((2,))
    f = function([], [a, b], no_default_updates=[a.rng])
    first_a, first_b = f()
    second_a, second_b = f()
    np.testing.assert_array_equal(first_a, second_a)
    assert not np.array_equal(first_b, second_b)
    with pytest.raises(TypeError, match="shared variables"):
        function([], a, no_default_updates=[a])


def test_a_stream_read_only_by_an_update_advances_too():
    srng = RandomStreams(seed=5)
    rv = srng.normal(())
    total = theano.shared(0.0, name="total")
    add_noise = function([], updates=[(total, total + rv)])
    add_noise()
    add_noise()
    expected = sum(numpy_draw(5, 0, draw, "normal", 0.0, 1.0, ()) for draw in range(2))
    np.testing.assert_allclose(total.get_value(), expected, rtol=1e-15)


def test_copy_of_a_random_function():
    srng = RandomStreams(seed=8)
    rv = srng.uniform((2,))
    f = function([], rv)
    replay = f.copy(delete_updates=True)
    np.testing.assert_array_equal(replay(), replay())
    other = theano.shared(np.array([8, 0, 0], dtype="uint64"))
    g = f.copy(swap={rv.rng: other})  # reads and advances the other state
    np.testing.assert_array_equal(g(), f())
    assert other.get_value()[2] == 1 and rv.rng.get_value()[2] == 1


# --- the state, and gradients ------------------------------------------------------------------------

def test_streams_are_reproducible_and_independent():
    def first_draws(seed):
        srng = RandomStreams(seed=seed)
        return function([], [srng.uniform((4,)), srng.uniform((4,))])()

    a, b = first_draws(11)
    np.testing.assert_array_equal(first_draws(11)[0], a)
    assert not np.array_equal(a, b)
    assert not np.array_equal(first_draws(12)[0], a)


def test_the_state_is_a_plain_array_that_pickles():
    srng = RandomStreams(seed=2)
    rv = srng.uniform((2,))
    f = function([], rv)
    f()
    state = pickle.loads(pickle.dumps(rv.rng.get_value()))
    first = f()
    rv.rng.set_value(state)
    np.testing.assert_array_equal(f(), first)
    assert rv.rng.get_value().dtype == np.uint64 and rv.update == (rv.rng, rv.rng.default_update)
    assert srng.updates() == srng.state_updates == [rv.update]


def test_seeds_are_checked():
    with pytest.raises(ValueError, match="seed"):
        RandomStreams(seed=-1)
    assert RandomStreams().default_instance_seed != RandomStreams().default_instance_seed


def test_gradient_flows_around_a_sample_not_through_it():
    srng = RandomStreams(seed=4)
    x = T.dvector('x')
    mask = srng.binomial((5,), p=0.5)
    cost = T.sum(x * mask)
    f = function([x], [mask, T.grad(cost, x)])
    m, g = f(np.ones(5))
    np.testing.assert_array_equal(g, m)  # the same draw in the output and in the gradient


# --- issue 17: poisson and shuffle_row_elements ----------------------------------------------

def test_shuffle_row_elements_permutes_each_row_on_its_own():
    from minitensor.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(seed=5)
    x = T.dmatrix('x')
    f = theano.function([x], srng.shuffle_row_elements(x))
    data = np.arange(40.0).reshape(4, 10)
    first, second = f(data), f(data)
    np.testing.assert_array_equal(np.sort(first, axis=1), data)  # each row keeps its elements
    assert not np.array_equal(first, second)  # the stream advances
    assert len({tuple(np.argsort(row)) for row in first}) > 1  # rows are shuffled independently


def test_poisson_draws_counts_with_the_given_mean():
    from minitensor.tensor.shared_randomstreams import RandomStreams
    draws = theano.function([], RandomStreams(seed=1).poisson((20000,), lam=3.0))()
    assert draws.dtype == np.int64 and abs(draws.mean() - 3.0) < 0.05
