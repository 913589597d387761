"""Theano's ``theano.gof.opt``: the optimizer classes, from ``minitensor.rewriting.optimizers``."""

from minitensor.rewriting.optimizers import (EquilibriumOptimizer, FromFunctionLocalOptimizer,  # noqa: F401
                                             LocalOptimizer, MergeOptimizer, OpRemove, OpSub, Optimizer,
                                             PatternSub, SeqOptimizer, TopoOptimizer, in2out, local_optimizer)
