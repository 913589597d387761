"""Theano's ``theano.tensor.tests``: ``test_basic.makeTester``, for testing a tensor op from examples."""
