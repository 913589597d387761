"""The executor: runs a scheduled graph, node by node, over numbered storage slots.

Everything that depends only on the graph is decided once, in ``Program``'s
constructor: the order of the nodes, which slot holds each variable, each node's
callable, which elementwise nodes may write over an input that is dead after
them (in-place), and after which step each intermediate value can be released.
A call then only fills the input slots and walks the list of steps.
"""

import numpy as np

from minitensor.compile.sharedvalue import SharedVariable
from minitensor.graph import Constant, toposort


class MissingInputError(ValueError):
    """A graph needs a variable that is neither an input, a shared variable nor a constant."""


class NanGuardError(FloatingPointError):
    """A node produced NaN or infinity under NanGuardMode."""


class Program:
    """The nodes computing ``outputs`` from ``inputs``, ready to run with array module ``xp``.

    With ``inplace``, elementwise nodes overwrite dead inputs instead of allocating;
    ``nan_guard`` is a NanGuardMode whose checks wrap every node.
    """

    def __init__(self, inputs, outputs, xp, inplace=False, nan_guard=None):
        self.inputs, self.outputs, self.xp = list(inputs), list(outputs), xp
        self.nodes = toposort(self.outputs)
        self.overwrites = plan_inplace(self.nodes, self.outputs) if inplace else {}
        slots = {var: i for i, var in enumerate(self.inputs)}

        def slot(var):
            if var not in slots:
                slots[var] = len(slots)
            return slots[var]

        self.template, self.shared_slots = [], []
        for node in self.nodes:
            for var in node.inputs:
                if var.owner is None and var not in slots:
                    self._place_leaf(var, slot(var), node)
        for var in self.outputs:
            if var.owner is None and var not in slots:
                self._place_leaf(var, slot(var), None)
        self.steps = [(self._thunk(node, nan_guard), [slot(i) for i in node.inputs],
                       [slot(o) for o in node.outputs], node) for node in self.nodes]
        self.template += [None] * (len(slots) - len(self.template))
        self.output_slots = [slots[var] for var in self.outputs]
        self.releases = self._last_uses()

    def _thunk(self, node, nan_guard):
        if node in self.overwrites:
            thunk = node.op.make_thunk(node, self.xp, overwrite=self.overwrites[node])
        else:
            thunk = node.op.make_thunk(node, self.xp)
        return thunk if nan_guard is None else _guarded(thunk, node, nan_guard, self.xp)

    def _place_leaf(self, var, index, user):
        self.template += [None] * (index + 1 - len(self.template))
        if isinstance(var, Constant):
            self.template[index] = var.data
        elif isinstance(var, SharedVariable):
            self.shared_slots.append((index, var))
        else:
            used_by = f", needed by {user.describe()}" if user is not None else ""
            raise MissingInputError(
                f"the graph needs {var.describe()}{used_by}, but it is not among the function's "
                f"inputs; add it to the inputs, or replace it through givens{var.made_at()}")

    def _last_uses(self):
        """For each step, the slots whose values no later step needs (outputs are kept).

        Each call works on a fresh copy of the storage list, so clearing a slot
        only drops this call's reference: the array is freed as soon as possible.
        """
        last = {}
        for position, (_, input_slots, _, _) in enumerate(self.steps):
            for index in input_slots:
                last[index] = position
        releases = [[] for _ in self.steps]
        for index, position in last.items():
            if index not in self.output_slots:
                releases[position].append(index)
        return releases

    def run(self, input_values):
        """The outputs' values, given the inputs' values in order."""
        storage = self.template.copy()
        storage[:len(input_values)] = input_values
        for index, var in self.shared_slots:
            storage[index] = var._value
        for (thunk, input_slots, output_slots, node), release in zip(self.steps, self.releases):
            arguments = [storage[i] for i in input_slots]
            try:
                result = thunk(*arguments)
            except Exception as error:
                raise _explain(error, node, arguments) from error
            if len(output_slots) == 1:
                storage[output_slots[0]] = result
            else:
                for index, value in zip(output_slots, result):
                    storage[index] = value
            for index in release:
                storage[index] = None
        return [storage[i] for i in self.output_slots]


def _memory_root(var):
    """The variable whose buffer ``var``'s value may be a view of."""
    while var.owner is not None and var.owner.op.returns_view:
        var = var.owner.inputs[0]
    return var


def plan_inplace(nodes, outputs):
    """{node: input position} for elementwise nodes that may write their result into that input.

    An input qualifies when it has the output's dtype and broadcast pattern (so the
    same shape), is computed in this graph (never a function input, a shared value
    or a constant), is not an output, and neither it nor any view of its buffer is
    read after this node. Nodes are in execution order.
    """
    last_read = {}
    for step, node in enumerate(nodes):
        for var in node.inputs:
            last_read[_memory_root(var)] = step
    kept = {_memory_root(var) for var in outputs}
    overwrites = {}
    for step, node in enumerate(nodes):
        can_overwrite = getattr(node.op, "can_overwrite", None)
        if can_overwrite is None or len(node.outputs) != 1 or not can_overwrite(len(node.inputs)):
            continue
        out = node.outputs[0]
        if out.ndim == 0:
            continue  # nothing to save, and NumPy gives 0-d results as scalars, not buffers
        for position, var in enumerate(node.inputs):
            root = _memory_root(var)
            if (var.owner is not None and root is var and var.type == out.type and root not in kept
                    and last_read[root] == step
                    and all(other is var or _memory_root(other) is not root for other in node.inputs)):
                overwrites[node] = position
                break
    return overwrites


def _guarded(thunk, node, mode, xp):
    """``thunk`` followed by NanGuardMode's checks of the node's outputs."""
    def run(*arrays):
        result = thunk(*arrays)
        for index, value in enumerate(result if len(node.outputs) > 1 else (result,)):
            if np.dtype(node.outputs[index].dtype).kind != "f":
                continue
            problem = _bad_values(value, mode, xp)
            if problem is not None:
                inner = getattr(node.op, "first_inner_node", None)
                culprit = inner(xp, arrays, lambda v: _bad_values(v, mode, xp)) if inner else None
                where = ""
                if culprit is not None:  # a fused node: name the op inside it, and its line
                    site = f", made at {culprit.creation_site}" if culprit.creation_site else ""
                    where = f"\n  in {culprit.op}{site}, fused into this node"
                raise NanGuardError(f"NanGuardMode: {node.op} produced {problem} in output {index}{where}")
        return result
    return run


def _bad_values(value, mode, xp):
    """'NaN' or 'infinity' if ``value`` holds what ``mode`` forbids, else None."""
    if mode.nan_is_error and bool(xp.isnan(value).any()):
        return "NaN"
    if mode.inf_is_error and bool(xp.isinf(value).any()):
        return "infinity"
    return None


def _explain(error, node, arguments):
    """``error`` again, of the same class, saying which node failed, on what, and where it was made."""
    shapes = ", ".join(f"{getattr(a, 'shape', '?')} {getattr(a, 'dtype', type(a).__name__)}" for a in arguments)
    site = f"\n  the node was made at {node.creation_site}" if node.creation_site else ""
    message = f"{error}\n  while computing {node.op} on inputs of shapes and dtypes [{shapes}]{site}"
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(message)
