"""Rewrites of loops, run with the canonicalising rules of the outer graph.

* ``scan_push_out_invariants``: work in the loop's body that depends only on the
  non-sequences (``W.T``, ``dot(W, b)``, a constant's shape) is the same at every
  step; it moves out of the loop, computed once, and enters as a new non-sequence.
* ``scan_last_step_only``: when the only use of a recurrent output is its last
  value, ``out[-1]``, the loop keeps a window of ``depth`` values instead of every
  step's (memory of one step, not n): Theano's ``A ** k`` example, and a Gibbs
  chain whose random state is updated too.

The body itself is rewritten, fused and compiled by the same compiler when the
function holding the loop is compiled (``Scan.compiled``); these rules change
what is inside the loop and what is outside it.
"""

import dataclasses

from minitensor.graph import Constant, clone_replace, graph_inputs, toposort
from minitensor.rewriting.engine import rule
from minitensor.scan_module.scan_op import Scan
from minitensor.tensor.subtensor import Subtensor
from minitensor.tensor.type import is_float


@rule(Scan)
def scan_push_out_invariants(node):
    """scan(body(f(non_sequences), ...)) -> scan(body(c, ...), c = f(non_sequences)): invariant work leaves the loop"""
    op = node.op
    invariant = set(op.non_sequence_inputs)
    moved = set()  # invariant and reading a non-sequence: work done again at every step
    for inner in toposort(list(op.inner_outputs)):
        if all(i in invariant or isinstance(i, Constant) for i in inner.inputs):
            invariant.update(inner.outputs)  # (a node of constants only stays, for constant folding)
            # Shapes and indices stay: they are cheap, and ops read static sizes from the nodes that make them.
            if any(i in moved or i in op.non_sequence_inputs for i in inner.inputs) and all(
                    is_float(out.dtype) for out in inner.outputs):
                moved.update(inner.outputs)
    if not moved:
        return None
    # What the rest of the body reads of the moved work: those values become non-sequences.
    frontier = {v: None for v in op.inner_outputs if v in moved}
    for inner in toposort(list(op.inner_outputs)):
        if not all(out in moved for out in inner.outputs):
            frontier.update((i, None) for i in inner.inputs if i in moved)
    frontier = list(frontier)
    stand_ins = [v.type(v.name) for v in frontier]
    try:
        inner_outputs = clone_replace(list(op.inner_outputs), dict(zip(frontier, stand_ins)))
    except TypeError:
        return None  # an op inferred its output's type from the structure of work that has moved
    if any(new.type != old.type for new, old in zip(inner_outputs, op.inner_outputs)):
        return None
    n_fixed = op.n_sequences + op.n_tap_inputs
    outer_of = dict(zip(op.inner_inputs, node.inputs[1:1 + op.n_sequences] + [None] * op.n_tap_inputs
                        + node.inputs[1 + op.n_sequences + op.n_recurrent:]))
    if any(outer_of[inner].type != inner.type for inner in op.non_sequence_inputs):
        return None  # rewriting the outer graph changed an input's broadcast pattern: the body's work may not fit it
    values = clone_replace(frontier, {inner: outer_of[inner] for inner in op.non_sequence_inputs})
    read = set(graph_inputs(inner_outputs))
    kept = [v for v in op.non_sequence_inputs if v in read]
    new_op = dataclasses.replace(op, inner_inputs=tuple(op.inner_inputs[:n_fixed]) + tuple(kept) + tuple(stand_ins),
                                 inner_outputs=tuple(inner_outputs))
    head = node.inputs[:1 + op.n_sequences + op.n_recurrent]
    outputs = new_op(*head, *[outer_of[v] for v in kept], *values)
    return outputs if isinstance(outputs, list) else [outputs]


@rule(Scan, needs_readers=True)
def scan_last_step_only(node, readers):
    """scan(...)[k] read only as [-1] -> a loop that keeps only the last step of output k: one step in memory, not n"""
    op = node.op
    history = list(op.history)
    for k, out in enumerate(node.outputs[:op.n_recurrent]):
        users = readers.users.get(out, [])
        # every reader is out[-1] (and out is no output of the function): the last row is all that is read
        if op.history[k] and users and readers[out] == len(users) and all(
                isinstance(user.op, Subtensor) and user.op.index == (-1,) and len(user.inputs) == 1
                for user in users):
            history[k] = False
    if history == list(op.history):
        return None
    outputs = dataclasses.replace(op, history=tuple(history))(*node.inputs)
    return outputs if isinstance(outputs, list) else [outputs]


SCAN = [scan_push_out_invariants, scan_last_step_only]
