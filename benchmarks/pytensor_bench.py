"""PyTensor (Theano's successor) with its default mode: C code for the ops, the C virtual machine."""

try:
    import pytensor as theano
    import pytensor.tensor as T
    from pytensor.tensor.special import softmax
    AVAILABLE = True
except ImportError:
    AVAILABLE = False

from benchmarks import theano_style


def logistic(data):
    theano.config.floatX = data.dtype  # else Python numbers are float64 constants, upcasting float32
    f = theano_style.logistic(theano, T, data)
    return lambda: f(data.x, data.y)


def mlp(data):
    theano.config.floatX = data.dtype
    f = theano_style.mlp(theano, T, lambda z: softmax(z, axis=-1), data)
    return lambda: f(data.x, data.y)


def add_one(x):
    f = theano_style.add_one(theano, T, x)
    return lambda: f(x)


def compile_logistic(data):
    theano.config.floatX = data.dtype
    return theano_style.compile_seconds(theano, T, data)
