"""theano.misc.pkl_utils: a pickle in a zip whose arrays are .npy files named for their variables."""

import numpy as np

import minitensor as theano
import minitensor.tensor as T
from minitensor.misc.pkl_utils import dump, load


def test_arrays_are_npy_files_named_for_their_shared_variables(tmp_path):
    foo_1, foo_2 = theano.shared(0, name='foo'), theano.shared(1, name='foo')
    path = tmp_path / "model.zip"
    with open(path, "wb") as f:
        dump((foo_1, foo_2, np.array(2)), f)
    with np.load(path) as archive:
        assert list(archive.keys()) == ["foo", "foo_2", "array_0", "pkl"]
        assert archive["foo"] == 0 and archive["foo_2"] == 1
    with open(path, "rb") as f:
        loaded_1, loaded_2, array = load(f)
    assert loaded_1.get_value() == 0 and loaded_2.get_value() == 1 and array == 2


@theano.change_flags(device="cpu")  # a shared variable loads into host memory (see sharedvalue.py)
def test_a_compiled_function_round_trips_with_its_shared_variables(tmp_path):
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    step = theano.function([x], T.dot(x, w), updates=[(w, w * 2)])
    path = tmp_path / "f.zip"
    with open(path, "wb") as f:
        dump((step, w), f)
    with open(path, "rb") as f:
        step_again, w_again = load(f)
    assert step_again([1.0, 1.0]) == 3.0
    np.testing.assert_array_equal(w_again.get_value(), [2.0, 4.0])  # the loaded function updates the loaded w
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])
