"""Theano's ``theano.gof``: the graph and rewriting vocabulary under the paths Theano's pages import.

Nothing is defined here; each name is the project's own, from the module that
holds it: the graph objects from ``minitensor.graph``, ``FunctionGraph`` from
``minitensor.fgraph``, the optimizers from ``minitensor.rewriting.optimizers``
and ``optdb`` from ``minitensor.rewriting.optdb``.
"""

from minitensor.graph import Apply, Constant, Op, Type, Variable
from minitensor.fgraph import FunctionGraph, InconsistencyError
from minitensor.gof.type import Generic, generic
from minitensor.rewriting.optdb import EquilibriumDB, Query, SequenceDB
from minitensor.rewriting.optimizers import (EquilibriumOptimizer, LocalOptimizer, MergeOptimizer, OpRemove,
                                             OpSub, Optimizer, PatternSub, SeqOptimizer, TopoOptimizer,
                                             local_optimizer)
from minitensor.gof import graph, opt, toolbox, type  # noqa: F401  (the submodules, as Theano's)

__all__ = ["Apply", "Constant", "Op", "Type", "Variable", "FunctionGraph", "InconsistencyError", "Generic",
           "generic", "EquilibriumDB", "Query", "SequenceDB", "EquilibriumOptimizer", "LocalOptimizer",
           "MergeOptimizer", "OpRemove", "OpSub", "Optimizer", "PatternSub", "SeqOptimizer", "TopoOptimizer",
           "local_optimizer", "graph", "opt", "toolbox", "type"]
