"""Saving and loading: graphs, shared variables and compiled functions pickle; parameters save to .npz.

A loaded function computes what the saved one did and updates its own loaded
shared variables; objects pickled together keep sharing what they shared.
"""

import importlib.util
import pathlib
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitensor as theano
import minitensor.tensor as T
from minitensor.compile.mode import DebugMode, Mode, NanGuardMode
from minitensor.graph import graph_inputs, toposort
from minitensor.tensor.shared_randomstreams import RandomStreams
from minitensor.tensor.type import TensorType
from op_specs import SPECS

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "logistic.py"


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


# --- shared variables and graphs -----------------------------------------------------------

def test_a_shared_variable_keeps_its_value_name_and_type_and_is_a_new_variable():
    w = theano.shared(np.arange(6.0).reshape(2, 3), name="w")
    loaded = roundtrip(w)
    assert loaded is not w
    assert loaded.name == "w" and loaded.type == w.type
    np.testing.assert_array_equal(loaded.get_value(), w.get_value())
    loaded.set_value(np.zeros((2, 3)))
    assert w.get_value()[1, 2] == 5.0  # the two no longer share storage


class FakeGPUArray:
    """Stands in for a CuPy array: not an ndarray, it has the CUDA array interface, and
    ``get()`` copies it to the host."""

    __cuda_array_interface__ = property(lambda self: {})

    __cuda_array_interface__ = {}  # what is_device_array looks for

    def __init__(self, host):
        self.host = host

    def get(self):
        return self.host.copy()


@theano.change_flags(device="cpu")  # a machine without a GPU loads it
def test_a_value_on_the_gpu_loads_as_a_numpy_array():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    w._value = FakeGPUArray(np.array([3.0, 4.0]))  # what a CUDA function's update would leave
    loaded = roundtrip(w)
    assert type(loaded.get_value(borrow=True)) is np.ndarray
    np.testing.assert_array_equal(loaded.get_value(), [3.0, 4.0])


def test_a_graph_keeps_its_structure_names_and_lines():
    x = T.dmatrix("x")
    w = theano.shared(np.ones(3), name="w")
    hidden = T.tanh(T.dot(x, w))
    hidden.name = "hidden"
    cost = hidden.sum()
    loaded_cost, loaded_hidden = roundtrip((cost, hidden))
    assert loaded_hidden.name == "hidden"
    assert loaded_hidden.creation_site == hidden.creation_site
    assert loaded_hidden.owner.creation_site == hidden.owner.creation_site
    assert [str(v) for v in graph_inputs([loaded_cost])] == ["x", "w"]
    # pickled together, the two share their nodes, as the originals do
    assert loaded_hidden.owner in toposort([loaded_cost])
    assert theano.function([loaded_cost.owner.inputs[0].owner.inputs[0].owner.inputs[0]],
                           loaded_cost)(np.ones((2, 3))) == pytest.approx(2 * np.tanh(3.0))


def test_constants_stay_read_only():
    c = roundtrip(T.constant(np.array([1.0, 2.0])))
    assert not c.data.flags.writeable


def test_eval_caches_are_not_saved():
    x = T.dscalar("x")
    y = x * 2
    assert y.eval({x: 3.0}) == 6.0
    loaded = roundtrip(y)
    assert "_eval_functions" not in loaded.__dict__
    assert loaded.eval({loaded.owner.inputs[0]: 4.0}) == 8.0


# --- compiled functions --------------------------------------------------------------------

def gradient_step():
    x = T.dvector("x")
    w = theano.shared(np.array([0.5, -1.0, 2.0]), name="w")
    cost = T.sum(T.nnet.softplus(x * w))
    step = theano.function([x], cost, updates=[(w, w - 0.1 * T.grad(cost, w))])
    return step, w


def test_a_loaded_function_gives_the_same_results_and_updates_its_own_shared_variable():
    step, w = gradient_step()
    step([1.0, 2.0, 3.0])
    loaded_step, loaded_w = roundtrip((step, w))
    assert loaded_w is not w
    for _ in range(3):
        assert loaded_step([1.0, 2.0, 3.0]) == step([1.0, 2.0, 3.0])
        np.testing.assert_array_equal(loaded_w.get_value(), w.get_value())
    before = w.get_value()
    loaded_step([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w.get_value(), before)  # the original is left alone


def test_a_function_pickled_alone_brings_its_own_shared_variables():
    step, w = gradient_step()
    loaded = roundtrip(step)
    loaded([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(w.get_value(), [0.5, -1.0, 2.0])
    step([1.0, 1.0, 1.0])
    assert loaded([1.0, 1.0, 1.0]) == step([1.0, 1.0, 1.0])


def test_functions_pickled_together_share_their_shared_variables():
    x = T.dscalar("x")
    total = theano.shared(0.0, name="total")
    add = theano.function([x], total, updates=[(total, total + x)])
    read = theano.function([], total * 1)
    loaded_add, loaded_read = roundtrip((add, read))
    loaded_add(2.0)
    loaded_add(3.0)
    assert loaded_read() == 5.0
    assert read() == 0.0


def test_inputs_defaults_dict_outputs_givens_and_modes_survive():
    x, y = T.dscalars("x", "y")
    h = x * 2
    for mode in [None, "FAST_COMPILE", Mode(excluding=["fusion"]), DebugMode(), NanGuardMode()]:
        f = theano.function([x, theano.In(y, value=1.0)], {"sum": h + y, "product": h * y},
                            givens={h: x * 3}, mode=mode, name="f")
        loaded = roundtrip(f)
        assert loaded.name == "f"
        assert loaded(2.0) == {"sum": 7.0, "product": 6.0} == f(2.0)
        assert loaded(2.0, y=2.0) == f(2.0, y=2.0)
        assert type(loaded.maker.mode) is type(f.maker.mode)


def test_a_random_stream_continues_where_it_was_saved():
    srng = RandomStreams(seed=42)
    u = srng.uniform((3,))
    n = srng.normal((2, 2))
    draw = theano.function([], [u, n])
    draw()
    loaded = roundtrip(draw)
    for _ in range(3):
        for a, b in zip(draw(), loaded()):
            np.testing.assert_array_equal(a, b)


def test_a_loop_op_pickles_without_its_compiled_body():
    x = T.dvector("x")
    jacobian = theano.gradient.jacobian(T.tanh(x) * x[0], x)
    f = theano.function([x], jacobian)
    loaded = roundtrip(f)
    np.testing.assert_array_equal(loaded([0.5, -1.0]), f([0.5, -1.0]))


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
@settings(max_examples=2)
@given(data=st.data())
def test_every_op_pickles_in_a_graph_and_a_compiled_function(spec, data):
    dtype = spec.dtypes[0]
    shapes = data.draw(spec.shapes, label="shapes")
    rng = np.random.default_rng(0)
    fixed = spec.input_dtypes or (None,) * len(shapes)
    arrays = [np.asarray(domain(rng, shape, fixed_dtype or dtype), dtype=fixed_dtype or dtype)
              for domain, shape, fixed_dtype in zip(spec.domains, shapes, fixed)]
    inputs = [TensorType(a.dtype, [size == 1 for size in a.shape])() for a in arrays]
    output = spec.build(*inputs)
    loaded_inputs, loaded_output = roundtrip((inputs, output))
    f = theano.function(inputs, output, accept_inplace=True)  # the table has add_inplace
    expected = f(*arrays)
    np.testing.assert_array_equal(theano.function(loaded_inputs, loaded_output, accept_inplace=True)(*arrays),
                                  expected)
    np.testing.assert_array_equal(roundtrip(f)(*arrays), expected)


def test_random_streams_pickle_with_their_functions_and_reseed_the_loaded_states():
    srng = RandomStreams(seed=8)
    f = theano.function([], srng.normal((3,)))
    first = f()
    loaded_srng, loaded_f = roundtrip((srng, f))
    loaded_srng.seed(8)
    np.testing.assert_array_equal(loaded_f(), first)


# --- limits --------------------------------------------------------------------------------

def deep_graph(depth):
    x = T.dvector("x")
    y = x
    for _ in range(depth):
        y = T.tanh(y) + x
    return x, y


def test_a_graph_ten_thousand_nodes_deep_pickles_without_recursion():
    x, y = deep_graph(5000)  # two nodes a step
    assert len(toposort([y])) == 10000
    loaded = roundtrip(y)
    assert len(toposort([loaded])) == 10000
    f = theano.function([x], y, mode="FAST_COMPILE")
    loaded_f = roundtrip(f)
    np.testing.assert_array_equal(loaded_f([0.1, 0.2]), f([0.1, 0.2]))


def test_a_graph_ten_thousand_nodes_deep_compiles_with_every_phase_and_runs_and_so_does_its_gradient():
    x, y = deep_graph(5000)
    f = theano.function([x], y)
    value = np.array([0.1, -0.2])
    expected = value
    for _ in range(5000):
        expected = np.tanh(expected) + value
    np.testing.assert_allclose(f(value), expected, rtol=1e-12)
    x, y = deep_graph(2500)
    g = T.grad(y.sum(), x)
    assert len(toposort([g])) > 10000
    assert np.all(np.isfinite(theano.function([x], g, mode="FAST_COMPILE")(value)))


def test_a_graph_ten_thousand_nodes_wide_compiles_and_runs():
    x = T.dvector("x")
    terms = [x * float(i) for i in range(5000)]
    while len(terms) > 1:  # a balanced tree of sums
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    assert len(toposort(terms)) == 14999  # a DimShuffle, a mul and an add per term
    f = theano.function([x], terms[0], mode="FAST_COMPILE")
    np.testing.assert_array_equal(f([1.0, 2.0]), [sum(range(5000)), 2 * sum(range(5000))])


# --- a model saved in the middle of training -----------------------------------------------

def load_example():
    spec = importlib.util.spec_from_file_location("logistic_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_logistic_regression_reloaded_mid_training_continues_bit_for_bit(tmp_path):
    example = load_example()

    def start():
        rng = np.random.RandomState(0)
        inputs, labels = example.make_dataset(rng, "float64")
        w, b, train, predict, compute_cost = example.build_model(rng, "float64")
        return inputs, labels.astype("float64"), (w, b, train, compute_cost)

    inputs, targets, model = start()
    for _ in range(10):
        model[2](inputs, targets)
    uninterrupted = [model[3](inputs, targets), model[0].get_value(), model[1].get_value()]

    inputs, targets, model = start()
    for _ in range(4):
        model[2](inputs, targets)
    with open(tmp_path / "model.pkl", "wb") as file:
        pickle.dump(model, file)
    del model
    with open(tmp_path / "model.pkl", "rb") as file:
        w, b, train, compute_cost = pickle.load(file)
    for _ in range(6):
        train(inputs, targets)
    resumed = [compute_cost(inputs, targets), w.get_value(), b.get_value()]
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(a, b)


# --- save_params and load_params -----------------------------------------------------------

def test_parameters_save_to_npz_and_load_back(tmp_path):
    w = theano.shared(np.arange(4.0, dtype="float32"), name="w")
    b = theano.shared(np.int64(3), name="b")
    theano.save_params(tmp_path / "p.npz", [w, b])
    assert sorted(np.load(tmp_path / "p.npz").files) == ["b", "w"]
    w.set_value(np.zeros(4, dtype="float32"))
    b.set_value(0)
    theano.load_params(tmp_path / "p.npz", [w, b])
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0, 3.0])
    assert w.get_value().dtype == np.float32 and b.get_value() == 3


def test_a_gpu_value_saves_as_numpy(tmp_path):
    w = theano.shared(np.zeros(2), name="w")
    w._value = FakeGPUArray(np.array([5.0, 6.0]))
    theano.save_params(tmp_path / "p.npz", [w])
    np.testing.assert_array_equal(np.load(tmp_path / "p.npz")["w"], [5.0, 6.0])


@pytest.mark.parametrize("params, fragments", [
    (lambda w, v: w, ["takes a list of shared variables"]),
    (lambda w, v: [w, T.dvector("x")], ["parameter 1 must be a shared variable"]),
    (lambda w, v: [theano.shared(1.0)], ["parameter 0", "has no name", "name="]),
    (lambda w, v: [w, theano.shared(1.0, name="w")], ["parameters 0 and 1 are both named 'w'"]),
])
def test_bad_parameter_lists_are_refused(tmp_path, params, fragments):
    w, v = theano.shared(np.zeros(2), name="w"), theano.shared(np.zeros(3), name="v")
    for action in (theano.save_params, theano.load_params):
        with pytest.raises((TypeError, ValueError)) as info:
            action(tmp_path / "p.npz", params(w, v))
        for fragment in fragments:
            assert fragment in str(info.value)


def test_loading_into_another_model_is_refused_and_sets_nothing(tmp_path):
    w, v = theano.shared(np.ones(2), name="w"), theano.shared(np.ones(3), name="v")
    theano.save_params(tmp_path / "p.npz", [w, v])
    other_w, other_v = theano.shared(np.zeros(2), name="w"), theano.shared(np.zeros(4), name="v")
    with pytest.raises(ValueError, match=r"'v' with dtype float64 and shape \(3,\).*shape \(4,\)"):
        theano.load_params(tmp_path / "p.npz", [other_w, other_v])
    np.testing.assert_array_equal(other_w.get_value(), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"missing: \['u'\]; not a parameter: \['v'\]"):
        theano.load_params(tmp_path / "p.npz", [w, theano.shared(1.0, name="u")])


def test_input_defaults_set_since_compilation_and_input_states_are_saved():
    x, acc = T.dscalars("x", "acc")
    f = theano.function([x, theano.In(acc, value=0.0, update=acc + x)], acc + x)
    f(2.0)
    f(3.0)
    assert f["acc"] == 5.0
    g = theano.function([x, theano.In(acc, value=1.0)], acc * x)
    g["acc"] = 4.0
    loaded_f, loaded_g = roundtrip((f, g))
    assert loaded_f["acc"] == 5.0 and loaded_g["acc"] == 4.0
    assert loaded_f(1.0) == f(1.0) == 6.0
    assert loaded_f["acc"] == f["acc"] == 6.0
    assert loaded_g(2.0) == 8.0
