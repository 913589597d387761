"""Errors that help: each mistake a user can make through the public API, and what it must say.

Every row of ``ERRORS`` is (what the user did, the action, the exception class, the
fragments its message must hold). The fragments say what was expected, what was
given, and where: the input's name and position, or the node and the user's line
that made it (this file's name, since the variables are made here). A mistake
found later should become a row here, with its fix at the error's source.
"""

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.compile import MissingInputError, UnusedInputError
from minitensor.gradient import DisconnectedInputError
from minitensor.tensor import raw_random
from minitensor.tensor.shared_randomstreams import RandomStreams

HERE = "test_errors.py"

x = T.dmatrix("x")
v = T.dvector("v")
s = T.dscalar("s")
u = T.dvector("u")
n = T.lvector("n")
w = theano.shared(np.ones(3), name="w")
f = theano.function([x, v], T.dot(x, v) + 1, name="f")
add = theano.function([v, u], v + u)
ERRORS = [
    # --- calling a compiled function -----------------------------------------------------------
    ("too few arguments", lambda: f(np.ones((2, 3))),
     TypeError, ["function 'f' takes 2 inputs (x, v), got 1", "missing: v"]),
    ("too many arguments", lambda: f(np.ones((2, 3)), np.ones(3), 1),
     TypeError, ["function 'f' takes 2 inputs (x, v), got 3"]),
    ("an unknown keyword", lambda: f(np.ones((2, 3)), q=np.ones(3)),
     TypeError, ["has no input named 'q'", "named inputs: ['v', 'x']"]),
    ("an input both by position and by name", lambda: f(np.ones((2, 3)), np.ones(3), v=np.ones(3)),
     TypeError, ["got input 'v' both by position and by name"]),
    ("a vector for a matrix", lambda: f(np.ones(3), np.ones(3)),
     TypeError, ["'x' at position 0", "expected TensorType(float64, matrix)", "expected 2 dimensions, got 1",
                 HERE]),
    ("a complex array", lambda: f(np.ones((2, 3), dtype=complex), np.ones(3)),
     TypeError, ["'x' at position 0", "dtype complex128", "allow_input_downcast=True"]),
    ("a float32 array with strict conversion", lambda: theano.function([theano.In(v, strict=True)], v)(
        np.ones(3, dtype="float32")),
     TypeError, ["'v' at position 0", "ndarray of dtype float64 (strict)", "dtype float32"]),
    ("a float array for an int input", lambda: theano.function([n], n * 2)(np.ones(2)),
     TypeError, ["'n' at position 0", "int64 cannot store a value of dtype float64"]),
    ("a string", lambda: f("abc", np.ones(3)),
     TypeError, ["'x' at position 0", "got a str ('abc')", "could not convert"]),
    ("None", lambda: f(None, np.ones(3)),
     TypeError, ["'x' at position 0", "got a NoneType (None)"]),
    ("a ragged list", lambda: f([[1.0, 2.0], [3.0]], np.ones(3)),
     TypeError, ["'x' at position 0", "got a list of length 2"]),
    ("shapes that do not fit a dot", lambda: f(np.ones((2, 3)), np.ones(4)),
     ValueError, ["not aligned", "while computing dot", "(2, 3) float64, (4,) float64", HERE]),
    ("lengths that do not match in an elementwise op", lambda: add(np.ones(3), np.ones(4)),
     ValueError, ["dimension mismatch on axis 0", "input 0: (3,), input 1: (4,)", HERE]),
    ("an index out of range", lambda: theano.function([v], v[5])(np.ones(3)),
     IndexError, ["index 5 is out of bounds", "while computing Subtensor{5}", HERE]),
    ("a constant index out of range", lambda: theano.function([], T.constant(np.ones(3))[5])(),
     IndexError, ["index 5 is out of bounds", "while computing Subtensor{5}", HERE]),
    ("a reshape to a size that does not fit", lambda: theano.function([x], x.reshape((5, 5)))(np.ones((2, 3))),
     ValueError, ["cannot reshape array of size 6 into shape (5,5)", "Reshape{2}", HERE]),
    ("a negative random size", lambda: theano.function([], RandomStreams(1).uniform(size=(-2,)))(),
     ValueError, ["negative dimensions", "Uniform", HERE]),
    ("the default of an unknown input", lambda: f["nope"],
     KeyError, ["function 'f' has no input 'nope'", "2 inputs (x, v)"]),
    # --- compiling a function ----------------------------------------------------------------
    ("inputs that are not a list", lambda: theano.function(x, x),
     TypeError, ["function inputs must be a list of variables, got x"]),
    ("a constant as an input", lambda: theano.function([T.constant(1.0)], x),
     TypeError, ["input 0 must be a symbolic variable", "got TensorConstant{1.0}"]),
    ("a shared variable as an input", lambda: theano.function([w], w * 2),
     TypeError, ["input 0, shared variable 'w'", "use givens", HERE]),
    ("a computed variable as an input", lambda: theano.function([v * 2], v),
     TypeError, ["input 0", "is computed by", "leaves of the graph", HERE]),
    ("an input given twice", lambda: theano.function([v, v], v),
     ValueError, ["appears twice, at positions 0 and 1"]),
    ("an output that is a string", lambda: theano.function([x], [x, "abc"]),
     TypeError, ["output 1 must be a variable", "cannot make a tensor from str 'abc'"]),
    ("an output that is None", lambda: theano.function([x], [x, None]),
     TypeError, ["output 1 must be a variable", "NoneType None"]),
    ("a dict of outputs with a number for a key", lambda: theano.function([x], {1: x}),
     TypeError, ["a dict of outputs must have string keys, got 1"]),
    ("an input the outputs do not need", lambda: theano.function([v, s], v),
     UnusedInputError, ["input 1, 's'", "on_unused_input='warn' or 'ignore'", HERE]),
    ("a variable the outputs need that is not an input", lambda: theano.function([x], x + v),
     MissingInputError, ["the graph needs 'v' (TensorType(float64, vector))", "not among the function's inputs",
                         HERE]),
    ("an unknown mode", lambda: theano.function([v], v, mode="FAST"),
     ValueError, ["unknown mode 'FAST'", "FAST_RUN"]),
    ("an unknown rewrite to exclude", lambda: theano.Mode(excluding=["fusoin"]),
     ValueError, ["no phase or rule is called 'fusoin'", "fusion"]),
    ("a bad on_unused_input", lambda: theano.function([v], v, on_unused_input="x"),
     ValueError, ["on_unused_input must be 'raise', 'warn' or 'ignore', got 'x'"]),
    ("an update of a variable that is not shared", lambda: theano.function([v], v, updates=[(v, v)]),
     TypeError, ["updates: v is not a shared variable"]),
    ("an update of another rank", lambda: theano.function([v], v, updates=[(w, x)]),
     TypeError, ["new value of shared variable 'w'", "has type TensorType(float64, matrix)",
                 "must have its type TensorType(float64, vector)", HERE]),
    ("an update of another dtype", lambda: theano.function([v], v, updates=[(w, T.cast(v, "float32"))]),
     TypeError, ["shared variable 'w'", "TensorType(float32, vector)", "T.cast", HERE]),
    ("a shared variable updated twice", lambda: theano.function([v], v, updates=[(w, v), (w, v)]),
     ValueError, ["shared variable 'w'", "is updated twice", HERE]),
    ("updates that are not pairs", lambda: theano.function([v], v, updates=[w]),
     TypeError, ["updates must be a dict or a list of (variable, value) pairs, got the item w"]),
    ("updates that are a number", lambda: theano.function([v], v, updates=5),
     TypeError, ["updates must be a dict or a list of (variable, value) pairs, got 5"]),
    ("a plain update value of another rank", lambda: theano.function([v], v, updates=[(w, [[1.0]])]),
     TypeError, ["bad new value for shared variable 'w'", "expected 1 dimensions, got 2", HERE]),
    ("a plain update value that is a string", lambda: theano.function([v], v, updates=[(w, "abc")]),
     TypeError, ["bad new value for shared variable 'w'", "str ('abc')", HERE]),
    ("a replacement of another type", lambda: theano.function([v], w * v, givens=[(w, x)]),
     TypeError, ["givens: the replacement for 'w'", "has type TensorType(float64, matrix)",
                 "expected TensorType(float64, vector)", HERE]),
    ("a replacement that is a string", lambda: theano.function([v], v * w, givens=[(w, "abc")]),
     TypeError, ["givens: bad replacement for 'w'", "str 'abc'", HERE]),
    ("givens whose key is a number", lambda: theano.function([v], v, givens=[(1, v)]),
     TypeError, ["givens: 1 is not a variable to replace"]),
    ("givens that are a number", lambda: theano.function([v], v, givens=5),
     TypeError, ["givens must be a dict or a list of (variable, value) pairs, got 5"]),
    ("an In of a number", lambda: theano.In(3),
     TypeError, ["In takes a symbolic variable, got 3"]),
    ("an In default of another rank", lambda: theano.function([theano.In(v, value=[[1.0]])], v),
     TypeError, ["In: bad default value for input 'v'", "expected 1 dimensions, got 2", HERE]),
    ("an In update of another type", lambda: theano.function([v, theano.In(s, value=0.0, update=v)], v),
     TypeError, ["the update of input 's'", "TensorType(float64, vector)", "TensorType(float64, scalar)", HERE]),
    ("a copy swapping a shared variable for a number", lambda: f.copy(swap={w: 1}),
     TypeError, ["copy: swap maps shared variables to shared variables, got w: 1"]),
    ("a copy swapping in a shared variable of another type",
     lambda: f.copy(swap={w: theano.shared(np.ones((2, 2)), name="m")}),
     TypeError, ["cannot swap 'w' (TensorType(float64, vector)) for 'm'", "of another type", HERE]),
    # --- shared variables --------------------------------------------------------------------
    ("set_value of another rank", lambda: w.set_value(np.ones((2, 2))),
     TypeError, ["bad value for shared variable 'w' (TensorType(float64, vector))", "expected 1 dimensions, got 2",
                 HERE]),
    ("set_value of a complex array", lambda: w.set_value(np.ones(3, dtype="complex64")),
     TypeError, ["shared variable 'w'", "float64 cannot store a value of dtype complex64", HERE]),
    ("set_value of a float array on an int variable", lambda: theano.shared(np.arange(3), name="n").set_value(
        np.ones(3)),
     TypeError, ["shared variable 'n'", "int64 cannot store a value of dtype float64"]),
    ("set_value of None", lambda: w.set_value(None),
     TypeError, ["shared variable 'w'", "NoneType (None)"]),
    ("shared of None", lambda: theano.shared(None),
     TypeError, ["shared cannot hold a NoneType", "expected a number or an array"]),
    ("shared of a symbolic variable", lambda: theano.shared(v),
     TypeError, ["shared takes a value, not the symbolic variable v"]),
    ("shared of dates", lambda: theano.shared(np.array(['2020-01-01'], dtype='datetime64[D]')),
     TypeError, ["unsupported dtype 'datetime64[D]'", "supported: bool"]),
    # --- building graphs ---------------------------------------------------------------------
    ("a float vector for a shape", lambda: T.reshape(v, T.dvector("shape"), ndim=1),
     TypeError, ["reshape needs an integer vector for the shape", "got TensorType(float64, vector)"]),
    ("a float vector for a shape to check", lambda: T.specify_shape(v, T.dvector("shape")),
     TypeError, ["specify_shape needs an integer vector for the shape", "got TensorType(float64, vector)"]),
    ("a float vector for a sample's size", lambda: raw_random.Uniform("float64", 1)(
        T.vector("state", dtype="uint64"), T.dvector("size"), 0.0, 1.0),
     TypeError, ["needs an integer vector for the size", "got TensorType(float64, vector)"]),
    ("an unknown dtype", lambda: T.matrix(dtype="banana"),
     TypeError, ["unknown dtype 'banana'", "supported: bool"]),
    ("a cast to an unsupported dtype", lambda: T.cast(v, "datetime64"),
     TypeError, ["unsupported dtype 'datetime64'"]),
    ("a string in arithmetic", lambda: v + "a",
     TypeError, ["cannot make a tensor from str 'a'"]),
    ("a symbolic variable in an if", lambda: bool(v),
     TypeError, ["truth value of symbolic variable v", "T.switch"]),
    ("a loop over a symbolic variable", lambda: list(v),
     TypeError, ["symbolic variable v cannot be iterated"]),
    ("item assignment", lambda: v.__setitem__(0, 1.0),
     TypeError, ["cannot be assigned to", "T.set_subtensor"]),
    ("an axis out of range", lambda: T.sum(x, axis=2),
     ValueError, ["axis 2 is out of range for a 2-dimensional input"]),
    ("a negative axis out of range", lambda: x.max(axis=-3),
     ValueError, ["axis -3 is out of range for a 2-dimensional input"]),
    ("an axis that is a string", lambda: x.mean(axis="a"),
     TypeError, ["axis must be None, an int or a tuple of ints, got 'a'"]),
    ("an axis that is a float", lambda: T.sum(x, axis=1.0),
     TypeError, ["axis must be None, an int or a tuple of ints, got 1.0"]),
    ("an axis given twice", lambda: T.sum(x, axis=(0, 0)),
     ValueError, ["axis (0, 0) repeats an axis"]),
    ("a join along a missing axis", lambda: T.concatenate([v, v], axis=2),
     ValueError, ["axis 2 is out of range for a 1-dimensional input"]),
    ("a join of different ranks", lambda: T.concatenate([v, x]),
     TypeError, ["join needs tensors of one rank", "vector", "matrix"]),
    ("a dimshuffle naming a missing dimension", lambda: x.dimshuffle(0, 2),
     ValueError, ["dimshuffle pattern (0, 2)", "the input's 2 dimensions"]),
    ("a dimshuffle dropping a dimension", lambda: x.dimshuffle(0),
     ValueError, ["dimshuffle pattern (0,) drops dimension 1", "not broadcastable"]),
    ("a dimshuffle with a string", lambda: x.dimshuffle("a", 0),
     TypeError, ["dimshuffle pattern holds dimension numbers and 'x', got ('a', 0)"]),
    ("a dimshuffle with a float", lambda: x.dimshuffle(0.0, 1),
     TypeError, ["dimshuffle pattern holds dimension numbers and 'x', got (0.0, 1)"]),
    ("a transpose with a missing axis", lambda: x.transpose(0, 2),
     ValueError, ["dimshuffle pattern (0, 2)"]),
    ("a reshape whose ndim disagrees with the shape", lambda: x.reshape((2, 3), ndim=3),
     ValueError, ["reshape to (2, 3) gives 2 dimensions, not ndim=3"]),
    ("a reshape to a float size", lambda: x.reshape((2.5, 3)),
     TypeError, ["a shape is a tuple of integers and integer scalars, got (2.5, 3)"]),
    ("a reshape to a string", lambda: x.reshape("a"),
     TypeError, ["a shape is a tuple of integers", "got ('a',)"]),
    ("a reshape to a symbolic shape of unknown length without ndim", lambda: x.reshape(T.lvector("shape")),
     TypeError, ["reshape to a symbolic shape needs ndim"]),
    ("a flatten to too many dimensions", lambda: x.flatten(3),
     ValueError, ["flatten of 'x' (TensorType(float64, matrix)) to ndim=3", "between 1 and 2"]),
    ("too many indices", lambda: v[1, 2],
     IndexError, ["too many indices for 'v' (TensorType(float64, vector))", "1 dimensions", "2 entries"]),
    ("a float index", lambda: v[1.5],
     TypeError, ["indices must be integers", "got float 1.5"]),
    ("a float index array", lambda: v[T.dvector("i")],
     TypeError, ["an index array must have an integer", "float64"]),
    ("set_subtensor of a variable that is not indexed", lambda: T.set_subtensor(v, 1.0),
     TypeError, ["set_subtensor takes an indexed variable such as x[1:]", "got v"]),
    ("a batched dot of a scalar", lambda: T.batched_dot(s, x),
     TypeError, ["batched_dot needs inputs with a batch axis", "TensorType(float64, matrix)"]),
    ("a softmax of a scalar", lambda: T.nnet.softmax(s),
     TypeError, ["softmax works along the last axis", "at least a vector", "'s'"]),
    ("a negative seed", lambda: RandomStreams(seed=-1),
     ValueError, ["a seed is an integer in [0, 2**64), got -1"]),
    ("a random size of floats", lambda: RandomStreams(1).uniform(size=(2.5,)),
     TypeError, ["the entries of size must be integer scalars", "float64"]),
    ("a random size that disagrees with ndim", lambda: RandomStreams(1).uniform(size=(2, 2), ndim=3),
     ValueError, ["size (2, 2) has 2 entries, but ndim=3"]),
    ("an ifelse on a vector", lambda: theano.ifelse.ifelse(v, s, s),
     TypeError, ["ifelse needs a scalar condition", "'v' (TensorType(float64, vector))", HERE]),
    # --- gradients ---------------------------------------------------------------------------
    ("the gradient of a vector", lambda: T.grad(v * 2, v),
     TypeError, ["grad needs a 0-d cost", "TensorType(float64, vector)", "sum or average it first", HERE]),
    ("a gradient with respect to an unused variable", lambda: T.grad(T.sum(v), s),
     DisconnectedInputError, ["does not depend on 's'", "position 0 of wrt", "disconnected_inputs='ignore'", HERE]),
    ("a gradient with respect to a number", lambda: T.grad(T.sum(v), 1.0),
     TypeError, ["grad differentiates with respect to a variable or a list of variables, got 1.0"]),
    ("a gradient with respect to a string in a list", lambda: T.grad(T.sum(v), [v, "a"]),
     TypeError, ["grad takes variables to differentiate with respect to, got 'a'"]),
    # --- printing, saving, settings ---------------------------------------------------------------
    ("pp of a number", lambda: theano.pp(3),
     TypeError, ["pp takes a variable, got 3"]),
    ("debugprint of a number", lambda: theano.printing.debugprint(3),
     TypeError, ["debugprint takes a variable, a list of variables or a function, got 3"]),
    ("save_params of one variable", lambda: theano.save_params("p.npz", w),
     TypeError, ["save_params takes a list of shared variables or a dict {name: shared variable}, got w"]),
    ("a floatX that does not exist", lambda: setattr(theano.config, "floatX", "float13"),
     ValueError, ["config.floatX must be one of", "got 'float13'"]),
    ("a device that does not exist", lambda: setattr(theano.config, "device", "tpu"),
     ValueError, ["config.device must be", "got 'tpu'"]),
]


@pytest.mark.parametrize("action, error, fragments", [row[1:] for row in ERRORS],
                         ids=[row[0] for row in ERRORS])
def test_the_error_says_what_was_expected_what_was_given_and_where(action, error, fragments):
    shared_before = w.get_value()
    with pytest.raises(Exception) as info:
        action()
    assert type(info.value) is error, f"raised {type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} is not in the message:\n{message}"
    np.testing.assert_array_equal(w.get_value(), shared_before)


def test_every_row_names_a_different_mistake():
    names = [row[0] for row in ERRORS]
    assert len(names) == len(set(names))


def test_the_default_of_an_input_without_one_is_none_as_in_theano():
    assert theano.function([v], v)["v"] is None
