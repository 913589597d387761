"""Elementwise fusion: connected groups of elementwise nodes become one ``Composite`` node.

A ``Composite`` holds a small graph of elementwise ops over placeholder inputs.
On NumPy it runs that graph op by op; on the GPU its C expressions compose into
one kernel, so a chain like ``exp(-(x.w) - b)`` and its neighbours reads and
writes memory once instead of once per op.

Which nodes fuse: walking from the outputs towards the inputs, an elementwise
node joins the group of its consumers when all of them are in that group (it
becomes internal), or, when it also has consumers outside, as an extra output of
the group if its result has the group's shape and every outside consumer runs
after the whole group (so the group never waits on itself).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from minitensor.graph import Apply, Constant, clone_replace, toposort
from minitensor.rewriting.engine import Rewrite
from minitensor.tensor.elemwise import Elemwise


def _with_rank(value, ndim):
    """``value`` with the leading length-1 axes its output has. A GPU program passes a one-element
    operand as a 0-d scalar (codegen's ``value_for``), so an output computed from such operands
    alone, when the node runs op by op (complex values, which kernels do not take), lacks them."""
    return value if value.ndim == ndim else value.reshape((1,) * (ndim - value.ndim) + value.shape)


@dataclass(frozen=True, eq=False)
class Composite(Elemwise):
    """Elementwise ops fused into one node: ``outputs`` computed from placeholder ``inputs``.

    Equality is identity: two composites are the same op only if they are the same object.
    """

    inputs: tuple
    outputs: tuple
    scalar_name = "Composite"
    holomorphic = False  # its grad is the grad engine's, in the complex convention already

    @property
    def nin(self):
        return len(self.inputs)

    @cached_property
    def nodes(self):
        return toposort(list(self.outputs))

    def make_node(self, *values):
        if len(values) != len(self.inputs):
            raise TypeError(f"{self} takes {len(self.inputs)} inputs, got {len(values)}")
        for placeholder, value in zip(self.inputs, values):
            if not placeholder.type.accepts(value.type):
                raise TypeError(f"{self} expects {placeholder.type}, got {value.type}")
        # The inner outputs' types, not just the inputs', decide the shape: a constant inside
        # (say of shape (2,)) can widen it.
        return Apply(self, values, [o.type() for o in self.outputs])

    def impl(self, xp, *arrays):
        values = dict(zip(self.inputs, arrays))
        for node in self.nodes:
            arguments = [_constant(i, xp) if isinstance(i, Constant) else values[i] for i in node.inputs]
            values[node.outputs[0]] = node.op.impl(xp, *arguments)
        results = tuple(values[o] for o in self.outputs)
        return results if len(results) > 1 else results[0]

    def can_overwrite(self, nin):
        root = self.nodes[-1]
        return len(self.outputs) == 1 and root.op.can_overwrite(len(root.inputs))

    def _compute(self, xp, overwrite):
        """The inner nodes' own callables in order, bound once; the last may write in place."""
        index = {var: k for k, var in enumerate(self.inputs)}
        steps = []
        for node in self.nodes:
            for var in node.outputs:
                index[var] = len(index)
            sources = [_constant(i, xp) if isinstance(i, Constant) else index[i] for i in node.inputs]
            steps.append((node.op._compute(xp, None), sources, index[node.outputs[0]]))
        results = [(index[o], o.ndim) for o in self.outputs]
        if overwrite is not None:
            root, sources, slot = steps[-1]
            ufunc = getattr(xp, self.nodes[-1].op.ufunc)
            steps[-1] = (None, sources, slot)

        def run(*arrays):
            values = list(arrays) + [None] * (len(index) - len(arrays))
            for compute, sources, slot in steps:
                arguments = [values[s] if isinstance(s, int) else s for s in sources]
                if compute is None:  # the last node, writing into input ``overwrite``
                    values[slot] = ufunc(*arguments, out=arrays[overwrite])
                else:
                    values[slot] = compute(*arguments)
            outputs = tuple(_with_rank(values[r], ndim) for r, ndim in results)
            return outputs[0] if len(outputs) == 1 else outputs
        return run

    def make_thunk(self, node, xp, overwrite=None):
        run = super().make_thunk(node, xp, overwrite)

        def run_or_explain(*arrays):
            try:
                return run(*arrays)
            except ValueError:
                self._raise_from_inner_node(xp, arrays)
                raise
        return run_or_explain

    def first_inner_node(self, xp, arrays, is_bad):
        """The first inner node whose output ``is_bad`` says is wrong (for NanGuardMode), or None."""
        values = dict(zip(self.inputs, arrays))
        with np.errstate(all="ignore"):
            for inner in self.nodes:
                arguments = [_constant(i, xp) if isinstance(i, Constant) else values[i] for i in inner.inputs]
                values[inner.outputs[0]] = inner.op.impl(xp, *arguments)
                if is_bad(values[inner.outputs[0]]):
                    return inner
        return None

    def _raise_from_inner_node(self, xp, arrays):
        """Re-run the inner nodes one by one, each with its own checks, to name the failing one."""
        values = dict(zip(self.inputs, arrays))
        for inner in self.nodes:
            arguments = [_constant(i, xp) if isinstance(i, Constant) else values[i] for i in inner.inputs]
            try:
                values[inner.outputs[0]] = inner.op.make_thunk(inner, xp)(*arguments)
            except ValueError as error:
                site = f", made at {inner.creation_site}" if inner.creation_site else ""
                raise ValueError(f"{error}\n  in {inner.op}{site}, fused into this Composite") from error

    def c_expr(self, args, dtype=None):
        """One C expression per output, with ``args`` substituted for the inputs."""
        expressions = dict(zip(self.inputs, args))
        for node in self.nodes:
            arguments = [_c_constant(i) if isinstance(i, Constant) else expressions[i] for i in node.inputs]
            expressions[node.outputs[0]] = node.op.c_expr(arguments, node.outputs[0].dtype)
        return [expressions[o] for o in self.outputs]

    def grad(self, inputs, outputs, output_grads):
        """The gradient of the inlined graph (fusion runs after grad, so this is rarely needed).

        The grad engine differentiates the inner ops, complex ones in Theano's convention
        already, so the node is not ``holomorphic``: its cost pairs a complex output o with its
        gradient g as Re(conj(g) o), which moves as dC/dRe(o) Re(o) + dC/dIm(o) Im(o) does."""
        from minitensor.gradient import grad  # gradient imports the ops; this runs later
        from minitensor.tensor.complex_numbers import conj, real
        from minitensor.tensor.elemwise import add
        from minitensor.tensor.reduction import sum as reduce_sum
        inlined = clone_replace(list(self.outputs), dict(zip(self.inputs, inputs)))
        cost = add(*[reduce_sum(real(conj(g) * o) if o.dtype.startswith("complex") else o * g)
                     for o, g in zip(inlined, output_grads)])
        # The incoming gradients may be built from this very node; they are given, not differentiated.
        return grad(cost, list(inputs), consider_constant=output_grads, disconnected_inputs="ignore")

    def __str__(self):
        from minitensor.printing import formula
        names = {placeholder: f"i{k}" for k, placeholder in enumerate(self.inputs)}
        renamed = clone_replace(list(self.outputs), {p: _named(p, n) for p, n in names.items()})
        return "Composite{" + ", ".join(formula(o) for o in renamed) + "}"


def _constant(var, xp):
    """A constant's value for array module ``xp``: on a GPU, a copy there (CuPy takes no host arrays)."""
    return var.data if xp is np else xp.asarray(var.data)


def _named(placeholder, name):
    return placeholder.type(name)


def _c_constant(var):
    value = var.data.item()
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


# The most nodes a group merged from siblings may have: a kernel that size compiles in well
# under a second, and the merge's checks stay cheap.
SIBLING_LIMIT = 64


def fuse(outputs, siblings=False):
    """``outputs`` with each fusible group of two or more elementwise nodes made one
    Composite, and the list of fusions made.

    With ``siblings`` (for a GPU, where each kernel launch costs more than NumPy's call),
    groups that read a common node and run independently of each other merge into one
    group of several outputs, so the common node joins them instead of being a kernel
    of its own."""
    order = toposort(outputs)
    position = {node: k for k, node in enumerate(order)}
    clients = {}
    for node in order:
        for var in node.inputs:
            clients.setdefault(var, []).append(node)
    for var in outputs:
        clients.setdefault(var, []).append(None)  # a graph output is used outside every group

    group_of, groups = {}, []
    for node in reversed(order):
        if not isinstance(node.op, Elemwise) or isinstance(node.op, Composite) or len(node.outputs) != 1:
            continue
        group = _group_to_join(node, clients, group_of, position, siblings)
        if group is None:
            group = {"nodes": [], "root": node}
            groups.append(group)
        group["nodes"].append(node)
        group_of[node] = group

    # Rebuild the graph in execution order. A group's root runs after all its members, so
    # its Composite is made there, from inputs that are already rebuilt.
    new, log = {}, []
    for node in order:
        group = group_of.get(node)
        if group is not None and len(group["nodes"]) > 1:
            if node is group["root"]:
                for old, out in _composite(group, clients, new, position).items():
                    new[old] = out
                    log.append(Rewrite("fusion", "fuse", old, out))
            continue
        rebuilt = node.with_inputs([new.get(i, i) for i in node.inputs])
        new.update((old, out) for old, out in zip(node.outputs, rebuilt.outputs) if old is not out)
    return [new.get(o, o) for o in outputs], log


def _group_to_join(node, clients, group_of, position, siblings=False):
    """The group ``node`` can join, or None."""
    users = clients.get(node.outputs[0], [])
    groups = {id(group_of[u]): group_of[u] for u in users if u in group_of}
    if len(groups) > 1 and siblings:
        merged = _merge_siblings(list(groups.values()), clients, group_of, position)
        groups = {id(merged): merged} if merged is not None else groups
    if len(groups) != 1:
        return None
    (group,) = groups.values()
    outside = [u for u in users if group_of.get(u) is not group]
    if not outside:
        return group
    # An extra output: it must have the group's shape, and everything outside that uses it
    # must run after the group's last node (None, a graph output, runs after everything).
    root = group["root"]
    same_shape = node.outputs[0].broadcastable == root.outputs[0].broadcastable
    if same_shape and all(u is None or position[u] > position[root] for u in outside):
        return group
    return None


def _merge_siblings(groups, clients, group_of, position):
    """``groups`` merged into the one whose root runs last, or None where that is not safe.

    The merged Composite computes every output at the last root's place in the schedule.
    That is safe when the roots have one shape and nothing outside the groups that reads a
    member runs before that place: then no path leaves a group and comes back into another
    (it would start at such a reader), and every reader still finds its value computed."""
    roots = [group["root"] for group in groups]
    if len({root.outputs[0].broadcastable for root in roots}) != 1:
        return None
    members = {node for group in groups for node in group["nodes"]}
    if len(members) > SIBLING_LIMIT:
        return None
    last = max(groups, key=lambda group: position[group["root"]])
    place = position[last["root"]]
    for node in members:
        for user in clients.get(node.outputs[0], ()):
            if user is not None and user not in members and position[user] < place:
                return None
    for group in groups:
        if group is not last:
            for node in group["nodes"]:
                group_of[node] = last
            last["nodes"].extend(group["nodes"])
            group["nodes"] = []
    return last


def _composite(group, clients, new, position):
    """The group's outputs mapped to the outputs of one Composite node on rebuilt inputs."""
    members = set(group["nodes"])
    inner = [v for node in group["nodes"] for v in node.outputs]
    outputs = [v for v in inner if any(u is None or u not in members for u in clients.get(v, []))]
    inputs = list(dict.fromkeys(var for node in group["nodes"] for var in node.inputs  # first uses, in order
                                if var.owner not in members and not isinstance(var, Constant)))
    placeholders = [var.type() for var in inputs]
    # The members are copied onto the placeholders one by one, in execution order. (Cloning
    # the outputs would walk everything they depend on, the whole graph before the group:
    # quadratic in the depth of a graph made of many groups.)
    inner_of = dict(zip(inputs, placeholders))
    for node in sorted(group["nodes"], key=position.__getitem__):
        copy = node.with_inputs([inner_of.get(i, i) for i in node.inputs])
        inner_of.update(zip(node.outputs, copy.outputs))
    inner_outputs = [inner_of[o] for o in outputs]
    fused = Composite(tuple(placeholders), tuple(inner_outputs)).make_node(*[new.get(v, v) for v in inputs])
    fused.creation_site = group["root"].creation_site
    return dict(zip(outputs, fused.outputs))
