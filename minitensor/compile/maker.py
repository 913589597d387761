"""Compiling a graph: rewrite it as the mode says, then plan its execution.

``FunctionMaker`` is what ``function()`` keeps of compilation, under Theano's
names: ``f.maker.fgraph`` is the rewritten graph, ``f.maker.rewrites`` the log of
every rule that fired (``printing.explain(f)`` prints it), and ``f.maker.mode``
the mode. Under DebugMode it also checks each call.
"""

import numpy as np

from minitensor.backends import to_host
from minitensor.compile.executor import Program
from minitensor.compile.mode import get_mode
from minitensor.graph import toposort


class RewriteError(AssertionError):
    """Under DebugMode: a rewrite changed the values it computes."""


class FunctionGraph:
    """A compiled graph: its inputs, its outputs, and the nodes between them in execution order."""

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.apply_nodes = toposort(self.outputs)

    def toposort(self):
        return list(self.apply_nodes)

    @property
    def variables(self):
        found = dict.fromkeys(self.inputs)
        for node in self.apply_nodes:
            found.update(dict.fromkeys(node.inputs + node.outputs))
        return list(found)

    def __repr__(self):
        return f"FunctionGraph({len(self.apply_nodes)} nodes, {len(self.outputs)} outputs)"


class FunctionMaker:
    """Rewrites ``outputs`` with ``mode`` and plans how to run them on ``backend``."""

    def __init__(self, inputs, outputs, mode, backend):
        self.mode = get_mode(mode)
        self.original_outputs = list(outputs)
        rewritten, self.rewrites = self.mode.rewrite(self.original_outputs)
        self.fgraph = FunctionGraph(inputs, rewritten)
        guard = self.mode if self.mode.nan_guard else None
        self.program = Program(inputs, rewritten, backend, inplace=self.mode.enabled("inplace"), nan_guard=guard)
        self.checker = RewriteChecker(inputs, self.rewrites, backend) if self.mode.check_rewrites else None


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
