"""Profiling a compiled function: ``function(..., profile=True)`` and ``f.profile.summary()``.

A profiled function runs every node through its thunk (as NanGuardMode does) and
times each call of each node; the calls of the whole function are timed too,
and compiling records how long each rewrite phase took. ``summary()`` prints
them as Theano does, most expensive first: by op class, by op, and by node.
``config.profile = True`` profiles every function compiled afterwards.
"""

import sys
import time
from collections import defaultdict


class ProfileStats:
    """Times of one compiled function (see the module docstring)."""

    def __init__(self, name=None):
        self.name = name
        self.call_count, self.call_time = 0, 0.0
        self.compile_time, self.phase_times = 0.0, {}
        self.node_calls, self.node_time = defaultdict(int), defaultdict(float)
        self.position = {}

    # --- what the compiler and the executor call ---

    def wrap_thunk(self, thunk, node, xp, position):
        """``thunk`` timed (an executor hook, like MonitorMode's)."""
        self.position[node] = position
        calls, times, clock = self.node_calls, self.node_time, time.perf_counter

        def run(*arrays):
            start = clock()
            result = thunk(*arrays)
            times[node] += clock() - start
            calls[node] += 1
            return result
        return run

    def timed_call(self, call):
        """``call`` (a compiled function's whole call) timed."""
        def run(*args):
            start = time.perf_counter()
            try:
                return call(*args)
            finally:
                self.call_time += time.perf_counter() - start
                self.call_count += 1
        return run

    # --- reading ---

    def summary(self, file=None, n_ops_to_print=20, n_apply_to_print=20):
        """Print the times: of the calls, of compiling by phase, and per op class, op and node."""
        nodes_time = sum(self.node_time.values())
        lines = ["Function profiling", "==================",
                 f"  Message: {self.name or 'a function'}",
                 f"  Time in {self.call_count} calls to Function.__call__: {self.call_time:.6e}s",
                 f"  Time in the nodes: {nodes_time:.6e}s "
                 f"({100 * nodes_time / self.call_time if self.call_time else 0:.1f}% of the calls)",
                 f"  Compile time: {self.compile_time:.6e}s"]
        lines += [f"    {phase}: {seconds:.6e}s" for phase, seconds in self.phase_times.items()]
        lines += self._table("Class", lambda node: type(node.op).__name__, n_ops_to_print, nodes_time)
        lines += self._table("Ops", lambda node: str(node.op), n_ops_to_print, nodes_time)
        lines += ["", "Apply", "-----",
                  "<% time> <apply time> <time per call> <#call> <id> <Apply name>"]
        by_node = sorted(self.node_time.items(), key=lambda item: -item[1])[:n_apply_to_print]
        for node, seconds in by_node:
            calls = self.node_calls[node]
            lines.append(f"  {_percent(seconds, nodes_time)}  {seconds:.3e}s  {seconds / max(calls, 1):.3e}s  "
                         f"{calls:5d}  {self.position[node]:3d}  {node}")
        print("\n".join(lines), file=file or sys.stdout)

    def _table(self, title, key, limit, total):
        times, calls, applies = defaultdict(float), defaultdict(int), defaultdict(int)
        for node, seconds in self.node_time.items():
            times[key(node)] += seconds
            calls[key(node)] += self.node_calls[node]
            applies[key(node)] += 1
        lines = ["", title, "-" * len(title), "<% time> <sum %> <apply time> <time per call> <#call> <#apply> <name>"]
        cumulative = 0.0
        for name, seconds in sorted(times.items(), key=lambda item: -item[1])[:limit]:
            cumulative += seconds
            lines.append(f"  {_percent(seconds, total)}  {_percent(cumulative, total)}  {seconds:.3e}s  "
                         f"{seconds / max(calls[name], 1):.3e}s  {calls[name]:5d}  {applies[name]:3d}  {name}")
        return lines


def _percent(part, whole):
    return f"{100 * part / whole if whole else 0:5.1f}%"
