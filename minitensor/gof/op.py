"""Theano's ``theano.gof.op``: ``Op``, from ``minitensor.graph``."""

from minitensor.graph import Op  # noqa: F401
