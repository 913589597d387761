"""Theano's ``theano.gof.graph``: the graph objects, from ``minitensor.graph``."""

from minitensor.graph import (Apply, Constant, Variable, ancestors, clone_replace, graph_inputs,  # noqa: F401
                              toposort)
from minitensor.fgraph import as_string  # noqa: F401

inputs = graph_inputs
