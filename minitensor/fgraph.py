"""``FunctionGraph``: a graph with its inputs and outputs, which rewrites may change in place.

The compiler's own rewrites are functions from outputs to new outputs (see
``minitensor.rewriting.engine``); a ``FunctionGraph`` is what Theano's way of
writing a rewrite needs instead (``doc/extending/optimization.txt``): a graph that
an optimizer edits with ``replace(old, new)``, whose ``clients`` say who reads each
variable, and to which features are attached that hear of every change.

It owns its nodes: by default it copies the nodes between its inputs and outputs
(keeping the leaves: inputs, constants and shared variables), so that replacing
an input of one of its nodes never changes the user's graph. Every replacement
is recorded in ``replacements`` as (old, new, reason), which is how a user's
optimizer shows in a compiled function's rewrite log.
"""

import weakref

from minitensor.graph import Apply, toposort


class InconsistencyError(TypeError):
    """A replacement was refused: its type differs, or a feature's ``validate`` failed."""


def clone_nodes(outputs):
    """Copies of ``outputs`` in which every node is new and every leaf is the original one."""
    new = {}
    for node in toposort(outputs):
        inputs = [new.get(i, i) for i in node.inputs]
        copy = Apply(node.op, inputs, [out.type() for out in node.outputs])
        copy.creation_site = node.creation_site
        for old, out in zip(node.outputs, copy.outputs):
            out.name, out.creation_site = old.name, old.creation_site
            new[old] = out
    return [new.get(o, o) for o in outputs]


class FunctionGraph:
    """The graph from ``inputs`` to ``outputs``, as a rewrite sees it (see the module docstring).

    ``apply_nodes`` are its nodes in an execution order, ``clients[var]`` the
    (node, input position) pairs reading ``var`` (('output', k) for output k).
    """

    def __init__(self, inputs, outputs, features=(), clone=True):
        self.inputs = list(inputs)
        self.outputs = clone_nodes(list(outputs)) if clone else list(outputs)
        self.features = []
        self.replacements = []  # (old variable, new variable, reason), in order
        self._update()
        for feature in features:
            self.attach_feature(feature)

    # --- structure ---

    def _update(self):
        """Recompute the nodes and clients from the outputs, after a change."""
        self.apply_nodes = toposort(self.outputs)
        clients = {var: [] for var in self.inputs}
        for node in self.apply_nodes:
            for position, var in enumerate(node.inputs):
                clients.setdefault(var, []).append((node, position))
            for out in node.outputs:
                clients.setdefault(out, [])
        for k, var in enumerate(self.outputs):
            clients.setdefault(var, []).append(("output", k))
        self.clients = clients
        reference = weakref.ref(self)  # var.clients reads this graph's; it does not keep the graph alive
        for var in clients:
            var._fgraph = reference

    def toposort(self):
        """The nodes, each after the nodes computing its inputs."""
        return list(self.apply_nodes)

    @property
    def variables(self):
        """Every variable of the graph: inputs, constants, and what the nodes compute."""
        return list(self.clients)

    def orphans(self):
        """The leaves that are not inputs: constants and shared variables."""
        return [var for var in self.clients if var.owner is None and var not in self.inputs]

    # --- changes ---

    def replace(self, old, new, reason=None, verbose=None):
        """Make every reader of ``old`` read ``new`` instead (``new`` must have ``old``'s type)."""
        if old.type != new.type:
            raise InconsistencyError(f"cannot replace {old.describe()} by {new.describe()}: the types differ"
                                     f"{' (' + str(reason) + ')' if reason else ''}")
        if old not in self.clients or old is new:
            return
        for reader, position in list(self.clients[old]):
            if reader == "output":
                self.outputs[position] = new
            else:
                reader.inputs[position] = new
            for feature in self.features:
                if hasattr(feature, "on_change_input"):
                    feature.on_change_input(self, reader, position, old, new, reason=reason)
        self.replacements.append((old, new, reason))
        self._update()

    def replace_all(self, pairs, reason=None):
        for old, new in pairs:
            self.replace(old, new, reason=reason)

    def replace_validate(self, old, new, reason=None):
        """``replace``, then undone if a feature's ``validate`` rejects the new graph."""
        self.replace_all_validate([(old, new)], reason=reason)

    def replace_all_validate(self, pairs, reason=None):
        saved = (list(self.outputs), {node: list(node.inputs) for node in self.apply_nodes},
                 len(self.replacements))
        self.replace_all(pairs, reason=reason)
        try:
            self.validate()
        except Exception:
            outputs, inputs, count = saved
            self.outputs = outputs
            for node, node_inputs in inputs.items():
                node.inputs[:] = node_inputs
            del self.replacements[count:]
            self._update()
            raise

    def validate(self):
        for feature in self.features:
            if hasattr(feature, "validate"):
                feature.validate(self)

    def set_outputs(self, outputs, rewrites=()):
        """Take ``outputs`` (a functional rewrite's result) as the graph's, recording ``rewrites``
        (``minitensor.rewriting.engine.Rewrite`` objects) as replacements."""
        self.outputs = list(outputs)
        self.replacements.extend((r.before, r.after, r.rule) for r in rewrites)
        self._update()

    # --- features ---

    def attach_feature(self, feature):
        """Add ``feature``, which hears of each change through its ``on_change_input`` and may
        refuse a change through ``validate``; its ``on_attach(fgraph)`` runs now."""
        if feature in self.features:
            return
        self.features.append(feature)
        if hasattr(feature, "on_attach"):
            feature.on_attach(self)

    def remove_feature(self, feature):
        self.features.remove(feature)
        if hasattr(feature, "on_detach"):
            feature.on_detach(self)

    def execute_callbacks(self, name, *args, **kwargs):
        for feature in self.features:
            callback = getattr(feature, name, None)
            if callback is not None:
                callback(self, *args, **kwargs)

    # --- printing ---

    def __str__(self):
        return f"[{', '.join(as_string(self.inputs, self.outputs))}]"

    __repr__ = __str__


def as_string(inputs, outputs):
    """Each output as text, ``op(input, ...)``; a node read more than once is written out the
    first time as ``*n -> op(...)`` and then named ``*n``, as Theano writes graphs."""
    inputs = set(inputs)
    seen, shared = set(), []
    readers = [var.owner for var in outputs] + [i.owner for node in toposort(outputs) for i in node.inputs]
    for node in readers:
        if node is None:
            continue
        if node in seen and node not in shared:
            shared.append(node)
        seen.add(node)
    done = set()

    def describe(var):
        node = var.owner
        if node is None or var in inputs:
            return str(var)
        suffix = "" if len(node.outputs) == 1 else f"::{var.index}"
        if node in done:
            return f"*{shared.index(node) + 1}{suffix}"
        done.add(node)
        text = f"{node.op}({', '.join(describe(i) for i in node.inputs)})"
        return f"*{shared.index(node) + 1} -> {text}" if node in shared else text
    return [describe(var) for var in outputs]
