"""The executor: a scheduled graph written out as one Python function, then compiled.

Everything that depends only on the graph is decided once, in ``Program``'s
constructor: the order of the nodes; which nodes only one branch of a lazy
``ifelse`` needs (they run inside that branch); which elementwise nodes may write
over an input that is dead after them (in-place); and where each intermediate
value is used for the last time (it is deleted there, so its memory is freed).
``minitensor.compile.codegen`` then writes the program as Python source, which
``printing.print_program(f)`` shows, e.g. for ``f = function([x], T.exp(x) + 1)``::

    def compute(x):
        try:
            t0 = exp(x)                         # Composite{(exp(i0) + 1.0)}
            t0 = add(t0, c0, out=t0)
        except Exception as error:
            raise explain(error) from error
        return (t0,)

Values live in local variables. A call runs only this code: no loop over nodes,
no lookups. When an op fails, the one ``try`` (free while nothing fails) maps the
failing line back to its node, and the error is raised again naming the node,
its input shapes and the user's line that made it.

NanGuardMode uses the same machinery, with every node called through its thunk
followed by the checks of its outputs.

On a GPU backend the program also knows where each value lives (``plan_placement``,
the rule of ``minitensor/backends/__init__.py``): the code it writes moves a value
between host and device only where a node needs it on the other side.
"""

import numpy as np

from minitensor.compile.sharedvalue import SharedVariable
from minitensor.graph import Constant, computes_with_perform, aliased_input, toposort


class MissingInputError(ValueError):
    """A graph needs a variable that is neither an input, a shared variable nor a constant."""


class NanGuardError(FloatingPointError, AssertionError):
    """A node produced NaN, infinity or a huge value under NanGuardMode (an AssertionError, as in Theano)."""


class Program:
    """The nodes computing ``outputs`` from ``inputs``, as a compiled Python function.

    ``program.compute(*input_values)`` returns the tuple of output values;
    ``program.source`` is its text. ``backend`` (``minitensor.backends``) computes;
    with ``inplace``, elementwise nodes overwrite dead inputs instead of allocating,
    the arrays passed for the ``mutable`` inputs too; ``nan_guard`` is a NanGuardMode
    whose checks follow every node.
    """

    def __init__(self, inputs, outputs, backend, inplace=False, nan_guard=None, profile=None, mutable=()):
        from minitensor.compile.codegen import write_program  # codegen reads this module's plans

        self.inputs, self.outputs = list(inputs), list(outputs)
        self.backend, self.xp = backend, backend.xp
        scheduled = schedule(self.outputs)
        self.branches = lazy_branches(scheduled, self.outputs)
        self.blocks = branch_blocks(scheduled, self.branches)
        self.nodes = flatten(self.blocks)
        self.shared = _check_leaves(self.inputs, self.outputs, self.nodes)
        self.placement = None if backend.on_host else plan_placement(self.inputs, self.shared, self.nodes)
        self.overwrites = plan_inplace(self.nodes, self.outputs, self.placement, mutable) if inplace else {}
        watchers = [w for w in (nan_guard, profile) if w is not None]
        if profile is not None or hasattr(nan_guard, "wrap_thunk"):
            # Modes watching each node by its position (MonitorMode), or a profile timing it.
            nan_guard = _NodeWatch(watchers, self.nodes)
        self.nan_guard = nan_guard
        self.source, self.namespace, self.line_nodes = write_program(self)
        self.compute = _compile(self.source, self.namespace, "compute")

    def destroyed_inputs(self):
        """The inputs whose arrays a call writes over: by the in-place plan, or by an op that
        destroys its input (Theano's ``destroy_map``) and was not given a copy."""
        written = [node.inputs[position] for node, position in self.overwrites.items()]
        written += [node.inputs[p] for node in self.nodes for ps in node.op.destroy_map.values() for p in ps]
        return [var for var in self.inputs if any(var is w for w in written)]

    def in_input_buffer(self, var):
        """Whether the value of ``var`` may end up in the array passed for an input: ``var`` is
        (a view of) an input whose buffer in-place nodes wrote their results into."""
        root = _memory_root(var)
        while root.owner in self.overwrites:
            root = _memory_root(root.owner.inputs[self.overwrites[root.owner]])
        return any(root is i for i in self.inputs)

    def lives_on_host(self, var):
        """Whether ``var``'s value is in host memory when the program runs (always, on NumPy)."""
        return self.placement is None or self.placement.get(var, HOST) == HOST

    def run(self, input_values):
        """The outputs' values, as a list, given the inputs' values in order."""
        return list(self.compute(*input_values))

    def explain(self, error):
        """``error`` again, of its class, naming the node whose line in ``compute`` raised it."""
        traceback = error.__traceback__
        while traceback is not None and traceback.tb_frame.f_code is not self.compute.__code__:
            traceback = traceback.tb_next
        if traceback is None or traceback.tb_lineno not in self.line_nodes:
            return error
        node, inner, names = self.line_nodes[traceback.tb_lineno]
        frame = traceback.tb_frame
        if inner is not None:  # an op fused into a Composite: name it, and its line, too
            site = f", made at {inner.creation_site}" if inner.creation_site else ""
            error = _same_class(error, f"{error}\n  in {inner.op}{site}, fused into this Composite")
        values = [var.data if isinstance(var, Constant) else _value_in(frame, name)
                  for var, name in zip(node.inputs, names)]
        return _explain(error, node, values)

    def make_call(self, checks, convert, copies, updates, result, check=None, convert_host=None):
        """The function a call of a compiled ``Function`` runs, appended to ``self.source``.

        ``checks``: for each input, (dtype, ndim) when an ndarray of that dtype and rank
        is taken as it is, or None when every value goes through ``convert(position,
        value)``; ``copies``: positions of the computed values to copy; ``updates``:
        (position, target) pairs, ``target._value`` receiving the value at ``position``;
        ``result``: 'one', 'list', 'none' or a list of keys for a dict; ``check``: called
        with the list of input values before anything runs (DebugMode); ``convert_host``:
        on a GPU, ``convert`` for the inputs that live on the host.
        """
        from minitensor.compile.codegen import write_call

        source = write_call(self, checks, copies, updates, result, check is not None)
        self.namespace.update(convert=convert, check=check, ndarray=self.xp.ndarray, asarray=self.xp.asarray,
                              host_convert=convert_host, host_ndarray=np.ndarray, host_asarray=np.asarray,
                              **{str(np.dtype(c[0])): np.dtype(c[0]) for c in checks if c is not None})
        self.source += "\n\n" + source
        return _compile(source, self.namespace, "call")


def schedule(outputs):
    """The order a program runs its nodes in: ``toposort``'s, taking the outputs nearest the
    inputs first (by the longest path to them; ties in the order given). For a gradient
    step that is backpropagation's order, as one writes it by hand: the last layer's
    gradients and updates run while the values they read are still in the cache, before the
    first layer's, whose products with the data push those out. (Measured on the MLP of
    ``benchmarks/``, batch 1024: the last layer's weight gradient, ``dot(h.T, g)``, took
    589 us after the first layer's products and 239 us before them.)"""
    depth = {}
    for node in toposort(outputs):
        depth[node] = 1 + max((depth[i.owner] for i in node.inputs if i.owner is not None), default=0)
    return toposort(sorted(outputs, key=lambda var: depth.get(var.owner, 0)))


def _compile(source, namespace, name):
    exec(compile(source, f"<minitensor {name}>", "exec"), namespace)
    return namespace[name]


def _check_leaves(inputs, outputs, nodes):
    """The shared variables the nodes read; a leaf that is no input, shared variable or
    constant is an error."""
    known, shared = set(inputs), []
    leaves = [(var, node) for node in nodes for var in node.inputs if var.owner is None]
    leaves += [(var, None) for var in outputs if var.owner is None]
    for var, user in leaves:
        if var in known or isinstance(var, Constant):
            continue
        known.add(var)
        if isinstance(var, SharedVariable):
            shared.append(var)
            continue
        raise missing_input(var, user)
    return shared


def missing_input(var, user):
    """The MissingInputError for the leaf ``var``, which the node ``user`` (or an output) needs."""
    used_by = f"\n  it is needed by {user.describe()}" if user is not None else ""
    return MissingInputError(
        f"the graph needs {var.describe()}, but it is not among the function's inputs; add it to "
        f"the inputs, or replace it through givens{var.made_at()}{used_by}")


# --- where values live ---------------------------------------------------------------------

HOST, DEVICE = "host", "device"


def plan_placement(inputs, shared, nodes):
    """{variable: HOST or DEVICE}: where each value of a GPU program lives.

    The rule (``minitensor/backends/__init__.py``): tensors live on the device; a
    function input lives on the host when it is a scalar or every node reads it as a
    host value (a size, an index); a shared variable where its value is (a random
    state stays on the host); a node's outputs on the host when ``runs_on_host`` says
    so, or when all its inputs are on the host and its results are small (one element,
    or integer vectors: the arithmetic of shapes), unless the op ``allocates`` a tensor.
    Constants are on the host; the code reads a copy made on the device once, where a
    node needs one there. Nodes are in execution order.
    """
    readers = {}
    for node in nodes:
        for position, var in enumerate(node.inputs):
            readers.setdefault(var, []).append((node, position))
    place = {}
    for var in inputs:
        reads = readers.get(var, ())
        on_host = getattr(var, "ndim", 0) == 0 or (reads and all(position in node.op.host_inputs(node) for node, position in reads))
        place[var] = HOST if on_host else DEVICE
    for var in shared:
        place[var] = HOST if getattr(var, "lives_on_host", False) else DEVICE
    for node in nodes:
        where = HOST if runs_on_host(node, place) else DEVICE
        for out in node.outputs:
            place[out] = where
    return place


def runs_on_host(node, place):
    """Whether ``node`` computes on the host, given where its inputs live (see plan_placement)."""
    op = node.op
    if op.runs_on_host:
        if computes_with_perform(op):  # NumPy code of a user's: worth saying it costs two copies
            from minitensor.compile.perform import warn_host_round_trip
            warn_host_round_trip(op)
        return True
    if op.allocates or getattr(op, "lazy", False):
        return False
    small = all(getattr(out, "ndim", 0) == 0 or all(out.broadcastable)  # one element
                or (out.ndim == 1 and np.dtype(out.dtype).kind in "biu") for out in node.outputs)
    # (a value of a user's Type, with no ndim, is a host object)
    return small and all(place.get(var, HOST) == HOST for var in node.inputs)


def needed_placement(node, position, place):
    """Where ``node`` needs its input at ``position``: on the host for a host node or a host
    input; where it is for an op that reads only shapes; on the device otherwise."""
    op = node.op
    if op.reads_only_shapes:
        return place.get(node.inputs[position], HOST)  # nothing is copied: a shape is host metadata
    if place[node.outputs[0]] == HOST or position in op.host_inputs(node):
        return HOST
    return DEVICE


# --- lazy ifelse ---------------------------------------------------------------------------

def lazy_branches(nodes, outputs):
    """{(lazy node, 0 or 1): the nodes only its then (0) or else (1) branch needs}.

    A lazy op (``op.lazy``, as IfElse) takes a condition, ``n`` then values and ``n``
    else values. A node belongs to a branch when every use of its outputs is by
    that branch's values or by a node of the branch: nothing else in the program
    needs it, so it runs only when the branch is taken. Branches nest (a branch
    may hold another lazy node, and that node's branches), and never overlap otherwise.
    """
    uses = {}
    for node in nodes:
        for position, var in enumerate(node.inputs):
            uses.setdefault(var, []).append((node, position))
    for var in outputs:
        uses.setdefault(var, []).append((None, None))
    position_of = {node: k for k, node in enumerate(nodes)}
    branches = {}
    for lazy in nodes:
        if not getattr(lazy.op, "lazy", False):
            continue
        count = (len(lazy.inputs) - 1) // 2
        for branch, ports in ((0, range(1, 1 + count)), (1, range(1 + count, 1 + 2 * count))):
            members = set()
            for node in reversed(nodes[:position_of[lazy]]):
                if all((user is lazy and position in ports) or user in members
                       for var in node.outputs for user, position in uses.get(var, ())):
                    members.add(node)
            branches[(lazy, branch)] = members
    return branches


def branch_blocks(nodes, branches):
    """``nodes`` as nested blocks, in the order the program runs them.

    A block is a list of nodes, in which a lazy node comes as (node, then block, else
    block): each branch's nodes run inside it, just before the lazy node picks.
    """
    home = {}  # node -> the innermost branch holding it (branches nest, so the smallest)
    for key, members in sorted(branches.items(), key=lambda item: -len(item[1])):
        for node in members:
            home[node] = key
    inside = {}
    for node in nodes:
        inside.setdefault(home.get(node), []).append(node)

    def block(key):
        return [(node, block((node, 0)), block((node, 1))) if getattr(node.op, "lazy", False) else node
                for node in inside.get(key, ())]
    return block(None)


def flatten(block):
    """The nodes of ``block`` in execution order, each branch before its lazy node."""
    order = []
    for item in block:
        if isinstance(item, tuple):
            order += flatten(item[1]) + flatten(item[2])
            item = item[0]
        order.append(item)
    return order


# --- in-place ------------------------------------------------------------------------------

def _memory_root(var):
    """The variable whose buffer ``var``'s value may be a view of."""
    source = aliased_input(var)
    while source is not None:
        var, source = source, aliased_input(source)
    return var


def plan_inplace(nodes, outputs, placement=None, mutable=()):
    """{node: input position} for elementwise nodes that may write their result into that input.

    An input qualifies when it has the output's dtype and broadcast pattern (so the
    same shape), is computed in this graph or is a function input in ``mutable``
    (never another function input, a shared value or a constant: their arrays are
    not the function's to change), is not an output, lives where the result does
    (``placement``: a device result cannot be written into a host buffer), and
    neither it nor any view of its buffer is read after this node. Nodes are in
    execution order.
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
            if ((var.owner is not None or var in mutable) and root is var and var.type == out.type and root not in kept
                    and last_read[root] == step
                    and (placement is None or placement.get(var) == placement.get(out))
                    and all(other is var or _memory_root(other) is not root for other in node.inputs)):
                overwrites[node] = position
                break
    return overwrites


# --- NanGuardMode --------------------------------------------------------------------------

def guarded(thunk, node, mode, xp):
    """``thunk`` followed by NanGuardMode's checks of the node's outputs, or wrapped by the
    ``wrap_thunk(thunk, node, xp)`` of another mode that watches every node (MonitorMode).

    NumPy's own warnings about the values the mode looks for are silenced: the
    mode reports them itself, naming the node, and a warning before would only
    repeat it less clearly.
    """
    if hasattr(mode, "wrap_thunk"):
        return mode.wrap_thunk(thunk, node, xp)
    silenced = dict(invalid="ignore" if mode.nan_is_error else "warn",
                    divide="ignore" if mode.inf_is_error else "warn",
                    over="ignore" if mode.inf_is_error else "warn")

    def run(*arrays):
        with np.errstate(**silenced):
            result = thunk(*arrays)
        for index, value in enumerate(result if len(node.outputs) > 1 else (result,)):
            if np.dtype(node.outputs[index].dtype).kind != "f":
                continue
            problem = _bad_values(value, mode, xp)
            if problem is not None:
                inner = getattr(node.op, "first_inner_node", None)
                with np.errstate(**silenced):
                    culprit = inner(xp, arrays, lambda v: _bad_values(v, mode, xp)) if inner else None
                where = ""
                if culprit is not None:  # a fused node: name the op inside it, and its line
                    site = f", made at {culprit.creation_site}" if culprit.creation_site else ""
                    where = f"\n  in {culprit.op}{site}, fused into this node"
                raise NanGuardError(f"NanGuardMode: {node.op} produced {problem} in output {index}{where}")
        return result
    return run


#: NanGuardMode's ``big_is_error`` threshold, Theano's.
BIG_VALUE = 1e10


class _NodeWatch:
    """The watchers of every node (a NanGuardMode, a MonitorMode, a profile), each told the
    node's position in one program's order."""

    def __init__(self, watchers, nodes):
        self.watchers, self.position = watchers, {node: k for k, node in enumerate(nodes)}

    def wrap_thunk(self, thunk, node, xp):
        for watcher in self.watchers:
            if hasattr(watcher, "wrap_thunk"):
                thunk = watcher.wrap_thunk(thunk, node, xp, self.position[node])
            else:  # NanGuardMode
                thunk = guarded(thunk, node, watcher, xp)
        return thunk


def _bad_values(value, mode, xp):
    """'NaN', 'infinity' or 'a value above 1e10' if ``value`` holds what ``mode`` forbids, else None."""
    if mode.nan_is_error and bool(xp.isnan(value).any()):
        return "NaN"
    if mode.inf_is_error and bool(xp.isinf(value).any()):
        return "infinity"
    if getattr(mode, "big_is_error", False) and bool((xp.abs(value) > BIG_VALUE).any()):
        return f"a value above {BIG_VALUE:g} in magnitude"
    return None


# --- errors --------------------------------------------------------------------------------

def _value_in(frame, name):
    """The value the generated code's ``frame`` holds under ``name``: a local, or an
    expression such as ``b[None]`` for a view the code never made."""
    if name is None:
        return None
    if name.isidentifier():
        return frame.f_locals.get(name)
    try:
        return eval(name, frame.f_globals, frame.f_locals)
    except Exception:
        return None


def _explain(error, node, arguments):
    """``error`` again, of the same class, saying which node failed, on what, and where it was made."""
    shapes = ", ".join(f"{getattr(a, 'shape', '?')} {getattr(a, 'dtype', type(a).__name__)}" for a in arguments)
    site = f"\n  the node was made at {node.creation_site}" if node.creation_site else ""
    return _same_class(error, f"{error}\n  while computing {node.op} on inputs of shapes and dtypes [{shapes}]{site}")


def _same_class(error, message):
    """An exception of ``error``'s class with ``message``, or of its nearest base class that
    takes a message: NumPy's _ArrayMemoryError wants a shape and a dtype, and becomes a
    MemoryError, still caught by ``except MemoryError``."""
    for cls in type(error).__mro__:
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 -- a class whose constructor wants other arguments
            continue
    return RuntimeError(message)
