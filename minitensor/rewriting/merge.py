"""Merging: identical nodes and equal constants become one (common subexpressions).

Two nodes are identical when their ops are equal (ops are dataclasses, so equal
parameters mean equal ops) and their inputs are the same variables; constants
are equal when their types, shapes, dtypes and bytes are.
"""

from minitensor.graph import Constant, toposort
from minitensor.rewriting.engine import Rewrite


def merge(outputs):
    """``outputs`` with duplicate nodes and constants merged, and the merges made."""
    replace, seen, log = {}, {}, []

    def canonical(var):
        if isinstance(var, Constant):
            data = var.data  # an array, or a value of a user's type (a Python float, ...)
            if hasattr(data, "tobytes"):  # the bytes alone would make shapes (2, 0) and (0, 2) one constant
                key = ("constant", var.type, data.shape, data.dtype.str, data.tobytes())
            else:
                key = ("constant", var.type, type(data), repr(data))
            return seen.setdefault(key, var)
        return replace.get(var, var)

    for node in toposort(outputs):
        inputs = tuple(canonical(i) for i in node.inputs)
        try:
            key = (node.op, inputs)
            hash(key)
        except TypeError:  # an op with unhashable parameters never merges
            continue
        first = seen.setdefault(key, node)
        if first is not node:
            for old, new in zip(node.outputs, first.outputs):
                replace[old] = new
                log.append(Rewrite("merge", "merge", old, new))
        else:
            rebuilt = node.with_inputs(inputs)
            seen[key] = rebuilt
            replace.update((old, new) for old, new in zip(node.outputs, rebuilt.outputs) if old is not new)
    return [canonical(o) for o in outputs], log
