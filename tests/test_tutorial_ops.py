"""Theano tutorial pages that use indexing, joining, shapes and softmax, run with only the imports
changed: "Broadcasting", "How Shape Information is Handled by Theano", "Conditions", "Graph
Structures", and the Deep Learning Tutorials' multi-class logistic regression (softmax, argmax and the
``-T.mean(T.log(p)[T.arange(n), y])`` idiom, minibatches taken by slicing shared variables in givens).
"""

import numpy
import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T


# --- Broadcasting --------------------------------------------------------------------------

def test_broadcasting_page():
    r = T.row()
    assert r.broadcastable == (True, False)
    mtr = T.matrix()
    assert mtr.broadcastable == (False, False)
    f_row = theano.function([r, mtr], [r + mtr])
    R = np.arange(3).reshape(1, 3)
    M = np.arange(9).reshape(3, 3)
    (result,) = f_row(R, M)
    np.testing.assert_array_equal(result, [[0., 2., 4.], [3., 5., 7.], [6., 8., 10.]])

    c = T.col()
    assert c.broadcastable == (False, True)
    f_col = theano.function([c, mtr], [c + mtr])
    C = np.arange(3).reshape(3, 1)
    (result,) = f_col(C, M)
    np.testing.assert_array_equal(result, [[0., 1., 2.], [4., 5., 6.], [8., 9., 10.]])


# --- How Shape Information is Handled by Theano -------------------------------------------------

def test_shape_of_an_expression(capsys):
    x = theano.tensor.matrix('x')
    f = theano.function([x], (x ** 2).shape)
    theano.printing.debugprint(f)
    assert "x" in capsys.readouterr().out
    np.testing.assert_array_equal(f(numpy.ones((3, 5))), [3, 5])


def test_shape_inference_problem():
    x = theano.tensor.matrix('x')
    y = theano.tensor.matrix('y')
    z = theano.tensor.join(0, x, y)
    xv = numpy.random.rand(5, 4)
    yv = numpy.random.rand(3, 3)

    f = theano.function([x, y], z.shape)
    try:
        # Theano computes the shape from the inputs' shapes and answers array([8, 4]),
        # which its tutorial calls a bug; computing the join instead raises.
        np.testing.assert_array_equal(f(xv, yv), [8, 4])
    except ValueError:
        pass

    f = theano.function([x, y], z)  # Do not take the shape.
    with pytest.raises(ValueError):
        f(xv, yv)
    np.testing.assert_array_equal(f(xv, yv[:, :1] + xv[:3]), np.concatenate([xv, yv[:, :1] + xv[:3]]))


def test_specifying_exact_shape():
    x = theano.tensor.matrix()
    x_specify_shape = theano.tensor.specify_shape(x, (2, 2))
    f = theano.function([x], (x_specify_shape ** 2).shape)
    np.testing.assert_array_equal(f(numpy.ones((2, 2))), [2, 2])
    # As in Theano, the shape is the one specified: a constant, so nothing is checked or computed
    # (its graph is DeepCopyOp of TensorConstant{(2,) of 2}). Computing the values checks the shape.
    assert [type(node.op).__name__ for node in f.maker.fgraph.apply_nodes] == ["DeepCopyOp"]
    g = theano.function([x], x_specify_shape ** 2)
    with pytest.raises(ValueError, match=r"expected shape \(2, 2\)"):
        g(numpy.ones((3, 2)))


# --- Conditions: switch and the lazy ifelse ------------------------------------------------------

def test_conditions_page():
    from minitensor.ifelse import ifelse

    a, b = T.scalars('a', 'b')
    x, y = T.matrices('x', 'y')
    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    f_switch = theano.function([a, b, x, y], z_switch, mode=theano.Mode(linker='vm'))
    f_lazyifelse = theano.function([a, b, x, y], z_lazy, mode=theano.Mode(linker='vm'))
    val1 = 0.
    val2 = 1.
    big_mat1 = numpy.ones((100, 10))
    big_mat2 = numpy.ones((100, 10)) * 2
    for f in (f_switch, f_lazyifelse):
        assert f(val1, val2, big_mat1, big_mat2) == 1.0
        assert f(val2, val1, big_mat1, big_mat2) == 2.0


# --- Graph Structures -----------------------------------------------------------------------------

def test_graph_structures_page():
    x = T.dmatrix('x')
    y = T.dmatrix('y')
    z = x + y
    assert isinstance(z.owner, theano.graph.Apply) and z.owner.inputs == [x, y]

    x = T.dmatrix('x')
    y = x * 2.
    assert y.owner.op.name == 'Elemwise{mul,no_inplace}'
    assert len(y.owner.inputs) == 2
    assert y.owner.inputs[0] is x
    assert str(y.owner.inputs[1]) == 'DimShuffle{x,x}.0'  # Theano: InplaceDimShuffle{x,x}.0
    assert type(y.owner.inputs[1]) is T.TensorVariable
    assert type(y.owner.inputs[1].owner) is theano.graph.Apply
    assert [str(i) for i in y.owner.inputs[1].owner.inputs] == ['TensorConstant{2.0}']

    a = T.vector("a")
    b = a + a ** 10
    f = theano.function([a], b)
    np.testing.assert_array_equal(f([0, 1, 2]), [0., 2., 1026.])


# --- Deep Learning Tutorials: multi-class logistic regression (logistic_sgd.py) ----------------

class LogisticRegression(object):
    """The tutorial's class, verbatim apart from its docstrings."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                               name='W', borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        if y.ndim != self.y_pred.ndim:
            raise TypeError('y should have the same shape as self.y_pred',
                            ('y', y.type, 'y_pred', self.y_pred.type))
        if y.dtype.startswith('int'):
            return T.mean(T.neq(self.y_pred, y))
        else:
            raise NotImplementedError()


def shared_dataset(data_xy, borrow=True):
    data_x, data_y = data_xy
    shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
    shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
    return shared_x, T.cast(shared_y, 'int32')


def numpy_sgd_step(x, y, W, b, learning_rate):
    """One minibatch step of the same model, with the gradient of the mean NLL worked out by hand."""
    scores = x @ W + b
    p = numpy.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    cost = -numpy.mean(numpy.log(p[numpy.arange(len(y)), y]))
    d_scores = (p - numpy.eye(W.shape[1])[y]) / len(y)
    return cost, W - learning_rate * x.T @ d_scores, b - learning_rate * d_scores.sum(axis=0)


def test_logistic_sgd_matches_numpy_minibatch_by_minibatch():
    rng = numpy.random.RandomState(1234)
    n_in, n_out, batch_size, learning_rate = 8, 3, 20, 0.13
    centers = rng.randn(n_out, n_in) * 2
    labels = rng.randint(0, n_out, size=200)
    data = centers[labels] + rng.randn(200, n_in)
    train_set_x, train_set_y = shared_dataset((data, labels))
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = LogisticRegression(input=x, n_in=n_in, n_out=n_out)
    cost = classifier.negative_log_likelihood(y)
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
    train_model = theano.function(
        inputs=[index], outputs=cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    test_model = theano.function(inputs=[index], outputs=classifier.errors(y),
                                 givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                                         y: train_set_y[index * batch_size: (index + 1) * batch_size]})

    W, b = numpy.zeros((n_in, n_out)), numpy.zeros(n_out)
    costs = []
    for epoch in range(5):
        for minibatch_index in range(n_train_batches):
            batch = slice(minibatch_index * batch_size, (minibatch_index + 1) * batch_size)
            expected_cost, W, b = numpy_sgd_step(data[batch], labels[batch], W, b, learning_rate)
            costs.append(train_model(minibatch_index))
            numpy.testing.assert_allclose(costs[-1], expected_cost, rtol=1e-12)
            numpy.testing.assert_allclose(classifier.W.get_value(), W, rtol=1e-12, atol=1e-15)
            numpy.testing.assert_allclose(classifier.b.get_value(), b, rtol=1e-12, atol=1e-15)
    assert costs[0] == pytest.approx(numpy.log(n_out))  # zero weights: uniform probabilities
    assert costs[-1] < costs[0] / 4
    errors = numpy.mean([test_model(i) for i in range(n_train_batches)])
    predictions = numpy.argmax(data @ W + b, axis=1)
    assert errors == pytest.approx(numpy.mean(predictions != labels)) and errors < 0.1
