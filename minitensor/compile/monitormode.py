"""``MonitorMode``: a user's functions called before and after every node, as in Theano.

``pre_func(i, node, fn)`` runs before node ``i`` (its position in the order the
program runs) and ``post_func(i, node, fn)`` after it; ``fn.inputs`` and
``fn.outputs`` are lists of one-element lists holding the node's input and output
values (Theano's storage cells). Theano's debugging FAQ finds the first node
making a NaN this way. Every node is called through its thunk, one at a time.
"""

import numpy as np

from minitensor.compile.mode import Mode


class NodeValues:
    """What ``pre_func`` and ``post_func`` are given as ``fn``: the node's values, in cells."""

    def __init__(self, inputs):
        self.inputs = [[_shown(v)] for v in inputs]
        self.outputs = [[None]]


def _shown(value):
    # NumPy gives 0-d results as scalars; the functions see arrays, as Theano's do.
    return np.asarray(value) if isinstance(value, np.generic) else value


class MonitorMode(Mode):
    """FAST_RUN with ``pre_func`` and ``post_func`` called around every node (see the module docstring)."""

    nan_guard = True  # the executor calls every node through its thunk, wrapped by wrap_thunk

    def __init__(self, pre_func=None, post_func=None, optimizer="fast_run", linker=None, excluding=()):
        super().__init__(excluding, optimizer=optimizer)
        self.pre_func, self.post_func = pre_func, post_func

    def wrap_thunk(self, thunk, node, xp, position):
        """``thunk``, of the node at ``position`` in the program, with the mode's functions around it."""
        pre, post = self.pre_func, self.post_func
        several = len(node.outputs) > 1

        def run(*arrays):
            values = NodeValues(arrays)
            if pre is not None:
                pre(position, node, values)
            result = thunk(*arrays)
            values.outputs = [[_shown(v)] for v in (result if several else (result,))]
            if post is not None:
                post(position, node, values)
            return result
        return run


def detect_nan(i, node, fn):
    """A ``post_func`` for MonitorMode, as Theano's: print the first node whose output holds NaN,
    with its inputs and outputs."""
    from minitensor.printing import debugprint
    for output in fn.outputs:
        value = output[0]
        if hasattr(value, "dtype") and np.dtype(value.dtype).kind in "fc" and np.isnan(value).any():
            print("*** NaN detected ***")
            debugprint(node)
            print(f"Inputs : {[cell[0] for cell in fn.inputs]}")
            print(f"Outputs: {[cell[0] for cell in fn.outputs]}")
            break
