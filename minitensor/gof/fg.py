"""Theano's ``theano.gof.fg``: ``FunctionGraph``, from ``minitensor.fgraph``."""

from minitensor.fgraph import FunctionGraph, InconsistencyError  # noqa: F401
