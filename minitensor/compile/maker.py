"""Compiling a graph: rewrite it as the mode says, then plan its execution.

``FunctionMaker`` is what ``function()`` keeps of compilation, under Theano's
names: ``f.maker.fgraph`` is the rewritten graph, ``f.maker.rewrites`` the log of
every rule that fired (``printing.explain(f)`` prints it), and ``f.maker.mode``
the mode. Under DebugMode it also checks each call.
"""

import contextlib
import gc
import time

import numpy as np

from minitensor.backends import to_host
from minitensor.compile.executor import Program
from minitensor.compile.mode import get_mode
from minitensor.compile.ops import deep_copy_op
from minitensor.fgraph import FunctionGraph
from minitensor.graph import aliased_input
from minitensor.rewriting.engine import rewrite_graph, rule


class RewriteError(AssertionError):
    """Under DebugMode: a rewrite changed the values it computes."""


class FunctionMaker:
    """Rewrites ``outputs`` with ``mode`` and plans how to run them on ``backend``."""

    def __init__(self, inputs, outputs, mode, backend, profile=None, mutable=()):
        start = time.perf_counter()
        self.mode = get_mode(mode)
        self.original_outputs = list(outputs)
        with _collector_paused():
            rewritten, self.rewrites, self.phase_times = list(outputs), [], {}
            for phase, rewritten, done in self.mode.phases(rewritten, backend):
                self.rewrites += done
                self.phase_times[phase] = self.phase_times.get(phase, 0.0) + time.perf_counter() - start
                start = time.perf_counter()
            rewritten, protected = rewrite_graph(rewritten, [protect_destroyed_inputs(mutable)], phase="destroy")
            self.rewrites += protected
            # An output that is a leaf (an input, a constant, a shared value) is returned as a copy, as
            # in Theano: the user gets memory of their own, and the graph shows it.
            rewritten = [deep_copy_op(var) if var.owner is None else var for var in rewritten]
            self.fgraph = FunctionGraph(inputs, rewritten, clone=False)
            guard = self.mode if self.mode.nan_guard else None
            self.program = Program(inputs, rewritten, backend, inplace=self.mode.enabled("inplace"),
                                   nan_guard=guard, profile=profile, mutable=frozenset(mutable))
        if profile is not None:
            profile.phase_times = dict(self.phase_times)
            profile.compile_time = sum(self.phase_times.values()) + time.perf_counter() - start
        self.checker = RewriteChecker(inputs, self.rewrites, backend) if self.mode.check_rewrites else None


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while a graph compiles.

    Compiling makes tens of thousands of graph objects, each variable and its node a
    reference cycle, and the collector would scan them all again and again as they
    pile up (a third of the time of a 10,000-node gradient). Whatever became garbage
    meanwhile is collected after, as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

def protect_destroyed_inputs(mutable=()):
    """The rule that gives a copy to each op writing over an input it may not change, where
    the function inputs in ``mutable`` (``In(x, mutable=True)``) may be changed."""

    @rule(needs_readers=True)
    def protect_destroyed_inputs(node, readers):
        """op(x) -> op(copy(x)) when op writes over x (Theano's destroy_map) and x is needed elsewhere

        That is when x is a leaf (a function input not marked mutable, a shared value, a
        constant), another node or an output reads it, or it may be a view of another
        value: then the node is given a copy, and the graph means the same whatever
        order its nodes run in."""
        destroyed = {p for positions in node.op.destroy_map.values() for p in positions}
        if not destroyed:
            return None
        inputs = list(node.inputs)
        for p in destroyed:
            var = inputs[p]
            if ((var.owner is None and var not in mutable) or readers[var] > 1 or aliased_input(var) is not None
                    or inputs.count(var) > 1):
                inputs[p] = deep_copy_op(var)
        if inputs == node.inputs:
            return None
        return node.op.make_node(*inputs).outputs
    return protect_destroyed_inputs


class RewriteChecker:
    """DebugMode's check: every rewrite's before and after, evaluated on a call's inputs, agree.

    Where the original formula is not finite, a stabilising rewrite is meant to differ,
    so only finite values are compared; stabilising rules are allowed the error of the
    formula they replace (``log(1 - p)`` has few correct digits when p is near 1).
    """

    TOLERANCE = {"float64": 1e-7, "float32": 1e-4, "float16": 1e-2}
    STABILIZE_TOLERANCE = 1e-2

    def __init__(self, inputs, rewrites, backend):
        self.rewrites = rewrites
        evaluated = [r.before for r in rewrites] + [r.after for r in rewrites]
        self.program = Program(inputs, evaluated, backend)

    def check(self, input_values):
        values = self.program.run(list(input_values))
        count = len(self.rewrites)
        for rewrite, before, after in zip(self.rewrites, values[:count], values[count:]):
            before, after = to_host(before), to_host(after)  # compared on the host, where the user reads
            if before.shape != after.shape or not self._close(rewrite, before, after):
                site = rewrite.before.owner.creation_site if rewrite.before.owner is not None else None
                where = f"\n  the node was made at {site}" if site else ""
                raise RewriteError(f"DebugMode: rule {rewrite.rule} ({rewrite.phase}) changed the values of "
                                   f"{rewrite}{where}\n  before: {before!r}\n  after: {after!r}")

    def _close(self, rewrite, before, after):
        if before.dtype.kind != "f":
            return np.array_equal(before, after)
        tolerance = self.TOLERANCE.get(before.dtype.name, 1e-7)
        if rewrite.phase == "stabilize":
            tolerance = max(tolerance, self.STABILIZE_TOLERANCE)
        finite = np.isfinite(before)
        return np.allclose(after[finite], before[finite], rtol=tolerance, atol=tolerance * 1e-4)
