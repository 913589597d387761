"""Writing a ``Program`` as Python source: one statement per node, values in local variables.

What each node becomes:

* an elementwise node with a NumPy ufunc: a direct call, ``t3 = multiply(t1, t2)``,
  or ``t1 = multiply(t1, t2, out=t1)`` when the in-place plan lets it overwrite a
  dead input; before it, a test of the sizes that must agree, unless earlier tests
  already showed that they do. An operand whose leading axes only broadcast (a
  constant ``[1.0]``, or ``b[None]``) is passed without them, as ``1.0`` and ``b``:
  NumPy puts them back, and a ufunc stretching a length-1 axis takes about twice
  as long on a few hundred elements as one given a 0-d operand;
* a fused ``Composite`` node: its inner nodes the same way, one line each, an
  inner result overwriting another that no later inner op reads; with the C
  linker, one call of its compiled loop instead, ``t2 = fused_4(x, t1)``
  (``backends/c.py``); on CuPy, a call of its generated kernel (``backends/cuda.py``);
* a lazy node (``ifelse``): ``if condition:``, the then branch's nodes, ``else:``,
  the else branch's nodes, each branch ending by naming the values it picks;
* any other node: a call of the thunk its op made once, ``t1 = dot_1(x, w)``.

On a GPU backend, a value read on the other side of where it lives is moved there
in the line that reads it: ``reshape_3(x, to_host(t2))``, ``add(t4, to_device(n))``
(see ``plan_placement`` in executor.py); the nodes that run on the host call NumPy.
A sum, max or min whose input is a fused node that nothing else reads is one call of
a reduction kernel (``backends/cuda.py``): the fused node gets no line of its own. The
C linker compiles sums the same way, of a fused node or of any array (``backends/c.py``).

An intermediate is deleted (``del t3``) after its last use, so its memory is
freed when hand-written NumPy code would free it. Ufuncs, thunks and constants
are globals of the generated code, bound once.
"""

import builtins
import keyword
import re
from collections import Counter

import numpy as np

from minitensor.backends import to_host
from minitensor.compile.executor import DEVICE, HOST, guarded, needed_placement, _memory_root
from minitensor.graph import Constant
from minitensor.rewriting.fusion import Composite
from minitensor.rewriting.rowpass import RowPass
from minitensor.tensor.elemwise import Elemwise, promote
from minitensor.tensor.reduction import Reduce
from minitensor.tensor.shape_ops import DimShuffle

INDENT = "    "
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def write_program(program):
    """The source of ``compute``, its globals, and {line number: (node, inner node,
    names of the node's inputs)} for explaining errors."""
    writer = _Writer(program)
    program._writer = writer  # make_call names its globals through it too
    return writer.write(), writer.namespace, writer.line_nodes


def write_call(program, checks, copies, updates, returns, has_check):
    """The source of ``call``: checks the arguments, runs ``compute``, copies what may
    share memory, assigns the updates and returns the outputs (see Program.make_call)."""
    writer = program._writer
    params = ", ".join(writer.parameters)
    lines = [f"def call({params}):"]
    for position, (var, name, check) in enumerate(zip(program.inputs, writer.parameters, checks)):
        # On a GPU, an input that lives on the host (a scalar, a size) is checked there.
        host = "host_" if not program.backend.on_host and program.lives_on_host(var) else ""
        if check is None:  # e.g. a broadcastable dimension, whose length must be checked
            lines.append(f"{INDENT}{name} = {host}convert({position}, {name})")
            continue
        dtype, ndim = check
        dtype_name = writer.global_(np.dtype(dtype), str(np.dtype(dtype)))
        lines.append(f"{INDENT}if type({name}) is not {host}ndarray or {name}.dtype is not {dtype_name} "
                     f"or {name}.ndim != {ndim}:")
        lines.append(f"{INDENT * 2}{name} = {host}convert({position}, {name})")
    if has_check:
        lines.append(f"{INDENT}check([{params}])")
    outputs = program.outputs
    results = [f"r{k}" for k in range(len(outputs))]
    if results:
        targets = ", ".join(results) if len(results) > 1 else f"[{results[0]}]"
        lines.append(f"{INDENT}{targets} = compute({params})")
    else:
        lines.append(f"{INDENT}compute({params})")
    for k in copies:  # it may share memory with an input, a shared value or another result
        lines.append(f"{INDENT}{results[k]} = {results[k]}.copy()")

    def value(k):  # NumPy gives 0-d results as scalars; the user gets arrays
        asarray = "host_asarray" if program.lives_on_host(outputs[k]) else "asarray"
        return f"{asarray}({results[k]})" if getattr(outputs[k].type, "ndim", None) == 0 else results[k]

    def stored(k, target):  # a shared value stays where it lives
        on_host = program.backend.on_host or getattr(target, "lives_on_host", False)
        if on_host == program.lives_on_host(outputs[k]):
            return value(k)
        return f"{'to_host' if on_host else 'to_device'}({results[k]})"
    # Updates commit all or nothing, even under Ctrl-C: every new value is made first, then one
    # statement assigns them all. It calls nothing, and CPython runs signal handlers (raising
    # KeyboardInterrupt) only at calls and jumps, so no signal can land between two assignments.
    for k, target in updates:
        new_value = stored(k, target)
        if new_value != results[k]:
            lines.append(f"{INDENT}{results[k]} = {new_value}")
    if updates:
        targets = [f"{writer.global_(target, 'shared_' + str(target))}._value" for _, target in updates]
        lines.append(f"{INDENT}{', '.join(targets)} = {', '.join(results[k] for k, _ in updates)}")
    count = len(outputs) - len(updates)
    if returns == "none":
        lines.append(f"{INDENT}return None")
    elif returns == "one":
        lines.append(f"{INDENT}return {value(0)}")
    elif returns == "list":
        lines.append(f"{INDENT}return [{', '.join(value(k) for k in range(count))}]")
    else:
        lines.append(f"{INDENT}return {{{', '.join(f'{key!r}: {value(k)}' for k, key in enumerate(returns))}}}")
    return "\n".join(lines) + "\n"


class _Writer:
    """The source lines of one program, and the names in it."""

    def __init__(self, program):
        self.program, self.xp, self.backend = program, program.xp, program.backend
        self.placement = program.placement  # None on NumPy: every value is on the host
        self.lines, self.line_nodes = [], {}
        self.namespace = {"explain": program.explain, "sizes_differ": _sizes_differ,
                          "to_device": program.backend.to_device, "to_host": to_host}
        self.taken = set(keyword.kwlist) | set(dir(builtins)) | set(self.namespace)
        self.global_names = {}  # id(object) -> its name in the namespace
        self.suffixes = {}  # base name -> the next suffix to try, so naming n alikes is not O(n**2)
        self.names = {}  # variable -> the local name (or global, for constants) holding its value
        self.counter = 0
        self.depth = 1
        self.known_sizes = {}  # (variable, axis) -> a (variable, axis) of equal length, as tests showed
        self.position = {node: k for k, node in enumerate(program.nodes)}
        self.read = {var for node in program.nodes for var in node.inputs} | set(program.outputs)
        self.constants = []  # their values, in order of their names c0, c1, ...
        self.device_constants = {}  # id(a constant's data) -> the name of its copy on the device
        self.squeezed_constants = {}  # id(a constant's data) -> the name of its value without leading axes
        self.fused = {}  # line number of a "# Composite" comment -> the fused op
        self.compiled_loops = []  # (name, node) of each fused node the C linker compiled
        self.leading_views = {}  # name of a view adding leading axes -> (number of its line, its expression)
        self.reductions = self.plan_fused_reductions()  # reduce node -> (fused node it absorbs, its kernel)
        self.absorbed = {fused: reduce for reduce, (fused, _) in self.reductions.items() if fused is not None}

    # --- names ---

    def unique(self, base):
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in base).strip("_") or "v"
        if base[0].isdigit():
            base = "v" + base
        name, k = base, self.suffixes.get(base, 1)
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.suffixes[base] = k
        self.taken.add(name)
        return name

    def global_(self, value, base):
        """The name under which ``value`` is a global of the generated code."""
        if id(value) not in self.global_names:
            name = self.unique(base)
            self.namespace[name] = value
            self.global_names[id(value)] = name
        return self.global_names[id(value)]

    def temporary(self):
        while f"t{self.counter}" in self.taken:
            self.counter += 1
        name = f"t{self.counter}"
        self.taken.add(name)
        return name

    def name(self, var):
        if var not in self.names:
            self.names[var] = self.constant(var.data) if isinstance(var, Constant) else self.temporary()
        return self.names[var]

    def constant(self, value):
        if id(value) not in self.global_names:
            self.constants.append(value)
        return self.global_(value, f"c{len(self.constants) - 1}")

    def plan_fused_reductions(self):
        """{reduce node: (the fused node it absorbs or None, the callable of its loop)} for
        each reduction the backend computes in one kernel or compiled loop (see the
        module's docstring). It absorbs the fused node of one output that makes its input
        when nothing else reads that; a GPU reduces nothing else, the C linker's
        compiled sums do (``backends/c.py``)."""
        program = self.program
        if program.nan_guard is not None:
            return {}
        readers = Counter(var for node in program.nodes for var in node.inputs)
        plans = {}
        for node in program.nodes:
            if not isinstance(node.op, Reduce):
                continue
            source = node.inputs[0].owner
            # The C linker also absorbs one elementwise op; a GPU's are all in fused nodes already.
            fusible = Composite if self.placement is not None else Elemwise
            if not (source is not None and isinstance(source.op, fusible) and len(source.outputs) == 1
                    and readers[source.outputs[0]] == 1 and source.outputs[0] not in program.outputs):
                source = None
            if self.placement is not None:  # on a GPU: a fused node's, where both run on the device
                if source is None or HOST in (self.placement[node.outputs[0]], self.placement[source.outputs[0]]):
                    continue
            thunk = self.backend.reduction_thunk(node, source)
            if thunk is not None:
                plans[node] = (source, thunk)
        return plans

    def fused_reduction(self, node):
        """One line: the reduction kernel or loop of ``node``, on the inputs of the fused node
        it absorbs, if any, else on its own."""
        source, thunk = self.reductions[node]
        callee = self.global_(thunk, f"reduce_kernel_{self.position[node]}")
        if self.placement is None:
            self.compiled_loops.append((callee, node))
        reads = node if source is None else source
        arguments = ", ".join(self.value_for(v, reads, p) for p, v in enumerate(reads.inputs))
        label = node.op if source is None else f"{node.op} of {source.op}"
        self.line(f"{self.name(node.outputs[0])} = {callee}({arguments})  # {label}", node)

    def value_for(self, var, node, position):
        """The expression giving ``node`` its input ``var`` (at ``position``) where it needs
        it: its name, or on a GPU backend its value moved to the other side."""
        if self.placement is None:
            return self.name(var)
        needed = needed_placement(node, position, self.placement)
        if isinstance(var, Constant):
            return self.name(var) if needed == HOST else self.device_constant(var)
        where = self.placement.get(var, HOST)
        if where == needed:
            return self.name(var)
        if needed == DEVICE and all(var.broadcastable) and isinstance(node.op, Elemwise):
            # One element, to an elementwise op: a NumPy scalar of its dtype, which a kernel takes
            # by value, so nothing is copied. (Another input has the result's rank.)
            return f"{self.name(var)}[()]" if var.ndim == 0 else f"{self.name(var)}.reshape(())[()]"
        return f"{'to_device' if needed == DEVICE else 'to_host'}({self.name(var)})"

    def device_constant(self, constant):
        """The name of a copy of ``constant`` on the device, made once, now."""
        key = id(constant.data)
        if key not in self.device_constants:
            self.name(constant)
            base = self.global_names[key] + "_d"
            self.device_constants[key] = self.global_(self.backend.to_device(constant.data), base)
        return self.device_constants[key]

    def module_of(self, node):
        """The array module computing ``node``: NumPy for a node that runs on the host."""
        return np if self.placement is None or self.placement[node.outputs[0]] == HOST else self.xp

    def short_name(self, var):
        """A name for ``var``'s value without the leading axes along which it only
        broadcasts, or None if it has none to drop (see the module's docstring).
        Only on NumPy: elsewhere each read may move the value (``value_for``)."""
        if self.placement is not None:
            return None
        source, dropped = _leading_broadcast(var)
        if not isinstance(source, Constant):
            return self.names[source] if dropped else None
        own = next((k for k, b in enumerate(source.broadcastable) if not b), source.ndim)
        if not own:
            return self.name(source) if dropped else None
        key = id(source.data)
        if key not in self.squeezed_constants:
            self.squeezed_constants[key] = self.constant(source.data.reshape(source.data.shape[own:]))
        return self.squeezed_constants[key]

    # --- lines ---

    def line(self, text, node=None, inner=None, input_names=None):
        """Append ``text``; a line computing ``node`` (or ``inner``, fused into it) is noted
        for explaining errors, with the names of the node's inputs: ``input_names`` if
        given (the many lines of a Composite share one list, made once), else looked up."""
        self.lines.append(INDENT * self.depth + text)
        if node is not None:
            if input_names is None:
                input_names = [self.names.get(v) for v in node.inputs]
            self.line_nodes[len(self.lines)] = (node, inner, input_names)

    def write(self):
        program = self.program
        self.parameters = []
        for var in program.inputs:
            base = var.name if var.name and var.name.isidentifier() else "x"
            self.names[var] = self.unique(base)
            self.parameters.append(self.names[var])
        self.lines.append(f"def compute({', '.join(self.parameters)}):")
        for var in program.shared:
            local = self.unique(str(var) if str(var).isidentifier() else "shared")
            self.line(f"{local} = {self.global_(var, 'shared_' + local)}._value")
            self.names[var] = local
        if program.nodes:
            self.line("try:")
            self.depth += 1
            self.block(program.blocks, kept=set(program.outputs))
            self.depth -= 1
            self.line("except Exception as error:")
            self.line(f"{INDENT}raise explain(error) from error")
        values = [self.name(var) for var in program.outputs]
        self.line(f"return ({', '.join(values)}{',' if len(values) == 1 else ''})")
        self.drop_unread_views()
        return "\n".join(self.lines) + "\n"

    def drop_unread_views(self):
        """Remove the lines making views that no line reads, and their ``del``: the readers
        of a view like ``b[None]`` may all have taken ``b`` instead (``operands``). Lines
        after them are renumbered; an error's explanation evaluates a removed view."""
        reads = Counter(name for text in self.lines if not text.lstrip().startswith("del ")
                        for name in _IDENTIFIER.findall(text.split("#", 1)[0]))
        unread = {name: self.leading_views[name] for name in self.leading_views if reads[name] == 1}
        if not unread:
            return
        removed = {number for number, _ in unread.values()}
        lines, numbers = [], {}  # numbers: old line number -> new
        for number, text in enumerate(self.lines, 1):
            body = text.lstrip()
            if body.startswith("del "):
                names = [name for name in body[4:].split(", ") if name not in unread]
                if not names:
                    continue
                text = text[:len(text) - len(body)] + "del " + ", ".join(names)
            if number not in removed:
                lines.append(text)
                numbers[number] = len(lines)
        self.lines = lines
        self.line_nodes = {numbers[k]: (node, inner, [unread[n][1] if n in unread else n for n in names])
                           for k, (node, inner, names) in self.line_nodes.items() if k in numbers}
        self.fused = {numbers[k]: op for k, op in self.fused.items()}

    def block(self, items, kept):
        """Lines for ``items`` (a block of ``branch_blocks``), deleting what they define
        after its last use among them; variables in ``kept`` are never deleted."""
        # Only what this block defines itself: a branch's values exist in that branch only.
        defined_here = {out for item in items for out in (item[0] if isinstance(item, tuple) else item).outputs}
        last_use = {}
        for position, item in enumerate(items):
            for node in _nodes_of(item):
                if node in self.absorbed:
                    continue  # its inputs are read by the reduction that absorbs it
                reads = (self.reductions[node][0] or node).inputs if node in self.reductions else node.inputs
                for var in reads:
                    # An operand may be passed as the value it broadcasts: that one is read too.
                    for read in dict.fromkeys((var, _leading_broadcast(var)[0])):
                        if read in defined_here:
                            last_use[read] = position
        dying = {}  # position -> the variables read there for the last time
        for var, last in last_use.items():
            dying.setdefault(last, []).append(var)
        saved_sizes = dict(self.known_sizes)  # what a branch's tests show holds in that branch only
        for position, item in enumerate(items):
            if isinstance(item, tuple):
                self.lazy(*item, kept)
                node = item[0]
            else:
                node = item
                if node in self.absorbed:
                    continue
                self.node(node)
            redefined = {self.names.get(out) for out in node.outputs}
            dead = [self.names[var] for var in dying.get(position, ())
                    if var not in kept and self.names[var] not in redefined]
            if dead:
                self.line(f"del {', '.join(dict.fromkeys(dead))}")
        self.known_sizes = saved_sizes

    def node(self, node):
        op = node.op
        if node in self.reductions:
            self.fused_reduction(node)
        elif self.program.nan_guard is None and isinstance(op, Composite) and self.module_of(node) is np:
            self.size_checks(node)
            loop = self.backend.fused_thunk(node) if self.placement is None else None
            if loop is not None:
                self.compiled_loop(node, loop)
            else:
                self.composite(node)
        elif self.program.nan_guard is None and isinstance(op, Elemwise) and _ufunc_inputs_ok(op, node):
            self.size_checks(node)
            out = node.outputs[0]
            target = self.overwritten(node)
            positions = {var: position for position, var in enumerate(node.inputs)}
            inputs = self.operands(op, node.inputs, lambda v: self.value_for(v, node, positions[v]), self.short_name,
                                   target)
            self.names[out] = target if target is not None else self.temporary()
            self.ufunc_lines(op, node.inputs, inputs, out, target, node, None, comment=True)
        elif self.program.nan_guard is None and isinstance(op, DimShuffle) and _keeps_every_axis(op):
            self.dimshuffle(node)
        else:
            if isinstance(op, Elemwise):
                self.size_checks(node, write=False)  # its thunk tests the sizes; later nodes need not
            self.thunk(node)

    def dimshuffle(self, node):
        """A view written as NumPy indexing: ``x.T``, ``b[None]``, ``x.transpose(1, 0, 2)[:, None]``."""
        op, out = node.op, node.outputs[0]
        kept = [d for d in op.new_order if d != "x"]
        view = self.value_for(node.inputs[0], node, 0)
        if kept != sorted(kept):
            view += ".T" if len(kept) == 2 else f".transpose({', '.join(map(str, kept))})"
        if "x" in op.new_order:
            view += f"[{', '.join('None' if d == 'x' else ':' for d in op.new_order)}]"
        if _leading_broadcast(out)[1]:
            # Named for its source and pattern (b_x for b[None]): it may be dropped (see
            # drop_unread_views), and the temporaries t0, t1, ... then have no gap.
            self.names[out] = self.unique(f"{self.name(node.inputs[0])}_{''.join(map(str, op.new_order))}")
            self.leading_views[self.names[out]] = (len(self.lines) + 1, view)
        else:
            self.names[out] = self.temporary()
        self.line(f"{self.names[out]} = {view}{_comment(op)}", node)

    def overwritten(self, node):
        """The name of the input ``node`` writes its result into, if the in-place plan says so."""
        position = self.program.overwrites.get(node)
        return None if position is None else self.names[node.inputs[position]]

    def thunk(self, node):
        op, xp = node.op, self.module_of(node)
        overwrite = self.program.overwrites.get(node)
        compiled = isinstance(op, Composite) or (isinstance(op, RowPass) and getattr(self.backend, "fuses_rows", False))
        kernel = self.backend.fused_thunk(node) if compiled and xp is self.xp else None
        if kernel is not None:  # on the GPU, one generated kernel (backends/kernels.py); a C linker's row pass
            thunk = kernel
        elif overwrite is None:
            thunk = op.make_thunk(node, xp)
        else:
            thunk = op.make_thunk(node, xp, overwrite=overwrite)
        if self.program.nan_guard is not None:
            thunk = guarded(thunk, node, self.program.nan_guard, xp)
        callee = self.global_(thunk, f"{type(op).__name__.lower()}_{self.position[node]}")
        arguments = ", ".join(self.value_for(v, node, position) for position, v in enumerate(node.inputs))
        if overwrite is not None:
            self.names[node.outputs[0]] = self.names[node.inputs[overwrite]]
        targets = [self.name(out) if out in self.read else "_" for out in node.outputs]
        target = targets[0] if len(targets) == 1 else ", ".join(targets)
        self.line(f"{target} = {callee}({arguments}){_comment(op, overwrite is not None)}", node)

    def operands(self, op, variables, full_name, short_name, target):
        """The names of ``variables`` to pass to ``op``'s call. Each goes by its
        ``short_name``, without the leading axes it only broadcasts along, if it has
        one and the result keeps its rank: the ``out=`` buffer ``target`` fixes that,
        or else one operand must keep its own. Add and mul of three or more inputs are
        a chain of two-input calls (``ufunc_lines``), whose first call must keep it."""
        shorts = [short_name(v) for v in variables]
        first_call = 2 if _is_chain(op, variables) else len(variables)
        if (target is None or first_call < len(variables)) and None not in shorts[:first_call]:
            shorts[:first_call] = [None] * first_call  # none of the first call's operands keeps the rank
        return [short or full_name(v) for v, short in zip(variables, shorts)]

    def ufunc_lines(self, op, input_vars, inputs, out, target, node, inner, comment=False, input_names=None):
        """Lines computing ``out`` = ``op``'s ufunc applied to the names ``inputs`` (from
        ``operands``), written into the buffer named ``target`` if not None. Add and mul
        of three or more inputs are a chain of two-input calls, accumulating in the first
        call's result where types agree. ``node``, ``inner`` and ``input_names`` are
        passed on to ``line``."""
        xp = self.xp if node is None else self.module_of(node)
        ufunc = self.global_(getattr(xp, op.ufunc), op.ufunc)
        name = self.names[out]
        note = _comment(op, target is not None) if comment else ""
        if not _is_chain(op, inputs):
            into = f", out={target}" if target is not None else ""
            self.line(f"{name} = {ufunc}({', '.join(inputs)}{into}){note}", node, inner, input_names)
            return
        # The partial results go to a name of their own: ``target`` may be read by a later step.
        partial = name if target is None else self.temporary()
        if input_names is None and node is not None:
            input_names = [self.names.get(v) for v in node.inputs]  # one list for the whole chain
        dtype, pattern = input_vars[0].dtype, input_vars[0].broadcastable
        # An operand passed shrunk (without the leading axes it broadcasts along, or as a GPU
        # scalar) makes a partial result smaller than its type says: no accumulating in it then.
        whole = [inputs[j] == self.names.get(var) for j, var in enumerate(input_vars)]
        for k in range(1, len(inputs)):
            operands = [partial if k > 1 else inputs[0], inputs[k]]
            previous = (dtype, pattern)
            # The type of this step's result, from the previous step's and the new operand's.
            dtype = promote((dtype, input_vars[k].dtype))
            pattern = tuple(a and b for a, b in zip(pattern, input_vars[k].broadcastable))
            last = k == len(inputs) - 1
            if last and target is not None:
                into = f", out={target}"
            elif k > 1 and previous == (dtype, pattern) and out.ndim > 0 and all(whole[:k + 1]):
                into = f", out={partial}"  # the partial result has this step's type: accumulate in it
            else:
                into = ""
            result = name if last else partial
            self.line(f"{result} = {ufunc}({', '.join(operands)}{into}){note if k == 1 else ''}", node, inner,
                      input_names)
        if partial != name:
            self.line(f"del {partial}")

    def size_checks(self, node, write=True):
        """A test that the inputs agree in length along each axis they do not broadcast,
        leaving out what earlier tests showed (``write=False``: only note what it shows)."""
        out = node.outputs[0]
        pairs = {}
        for axis in range(out.ndim):
            positions = [p for p, var in enumerate(node.inputs) if not var.broadcastable[axis]]
            if not positions:
                continue
            first = node.inputs[positions[0]]
            for p in positions[1:]:
                other = node.inputs[p]
                if self.same_size((first, axis), (other, axis)):
                    continue
                pairs.setdefault((first, other), []).append(axis)
                self.join((first, axis), (other, axis))
            for var in node.outputs:
                self.join((var, axis), (first, axis))
        if not pairs or not write:
            return
        tests = []
        for (a, b), axes in pairs.items():
            name_a, name_b = self.name(a), self.name(b)
            if len(axes) == a.ndim == b.ndim:
                tests.append(f"{name_a}.shape != {name_b}.shape")
            else:
                tests += [f"{name_a}.shape[{axis}] != {name_b}.shape[{axis}]" for axis in axes]
        arguments = ", ".join(self.name(v) for v in node.inputs)
        self.line(f"if {' or '.join(tests)}:", node)
        self.line(f"{INDENT}sizes_differ({self.global_(node, 'node')}, {arguments})", node)

    def find(self, key):
        """The representative of the (variable, axis) pairs known to equal ``key`` in length.

        ``known_sizes`` is a union-find forest. Each pair on the path walked is pointed
        straight at the representative, so no long chain is walked twice: for a node of
        5,000 inputs, walking ever longer chains would cost 5,000**2 / 2 steps."""
        root = key
        while root in self.known_sizes:
            root = self.known_sizes[root]
        while key != root:
            parent = self.known_sizes[key]
            self.known_sizes[key] = root
            key = parent
        return root

    def same_size(self, a, b):
        return self.find(a) == self.find(b)

    def join(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.known_sizes[a] = b

    def compiled_loop(self, node, loop):
        """One line: the C linker's compiled loop of a fused node (``backends/c.py``), given
        the input it may overwrite, if the in-place plan names one, as where to write."""
        callee = self.global_(loop, f"fused_{self.position[node]}")
        self.compiled_loops.append((callee, node))
        arguments = [self.name(var) for var in node.inputs]
        target = self.overwritten(node)
        if target is not None:
            arguments.append(target)
            self.names[node.outputs[0]] = target
        targets = [self.name(out) if out in self.read else "_" for out in node.outputs]
        self.line(f"{', '.join(targets)} = {callee}({', '.join(arguments)})  # Composite", node)
        self.fused[len(self.lines)] = node.op

    def composite(self, node):
        """The inner nodes of a fused node, one line each (see the module's docstring)."""
        op = node.op
        names = {placeholder: self.name(var) for placeholder, var in zip(op.inputs, node.inputs)}
        shorts = {placeholder: self.short_name(var) for placeholder, var in zip(op.inputs, node.inputs)}

        def full_name(v):
            return self.name(v) if isinstance(v, Constant) else names[v]

        def short_name(v):  # an inner result has the output's rank: only inputs and constants may shrink
            return self.short_name(v) if isinstance(v, Constant) else shorts.get(v)
        input_names = [self.names.get(v) for v in node.inputs]  # for every inner line: they do not change
        inner_nodes = op.nodes
        placeholders, results = set(op.inputs), set(op.outputs)  # looked up once per inner node
        last_use = {}
        for j, inner in enumerate(inner_nodes):
            for var in inner.inputs:
                last_use[var] = j
        # A constant wider than the inputs along an axis could make two inner results of one
        # type differ in shape; then no inner result overwrites another.
        reuse = not any(isinstance(v, Constant) and not all(v.broadcastable)
                        for inner in inner_nodes for v in inner.inputs)
        owned = set()  # inner results in buffers this code allocated
        outer_target = self.overwritten(node)
        # Printing a Composite costs more than writing its code: print_program writes it out.
        self.line("# Composite", node)
        self.fused[len(self.lines)] = op
        for j, inner in enumerate(inner_nodes):
            out = inner.outputs[0]
            target = None
            if j == len(inner_nodes) - 1 and outer_target is not None:
                target = outer_target
            elif reuse and out.ndim > 0:
                target = next((names[v] for v in inner.inputs if v in owned and v not in results
                               and last_use[v] == j and v.type == out.type), None)
            is_ufunc = isinstance(inner.op, Elemwise) and _ufunc_inputs_ok(inner.op, inner)
            inputs = self.operands(inner.op, inner.inputs, full_name, short_name, target if is_ufunc else None)
            names[out] = target if target is not None else self.temporary()
            self.names[out] = names[out]
            if is_ufunc:
                self.ufunc_lines(inner.op, inner.inputs, inputs, out, target, node, inner, input_names=input_names)
                owned.add(out)
            else:
                compute = self.global_(inner.op._compute(self.module_of(node), None), type(inner.op).__name__.lower())
                self.line(f"{names[out]} = {compute}({', '.join(inputs)})", node, inner, input_names)
                if getattr(inner.op, "returns_new_array", False):
                    owned.add(out)
            dead = [names[v] for v in inner.inputs if v in names and last_use.get(v) == j and v not in results
                    and v not in placeholders and names[v] != names[out]]
            if dead:
                self.line(f"del {', '.join(dict.fromkeys(dead))}")
        for var, inner_out in zip(node.outputs, op.outputs):
            self.names[var] = names[inner_out]

    def lazy(self, node, then_block, else_block, kept):
        """``if condition:`` and the then branch, ``else:`` and the else branch; each branch
        ends naming the values picked, copied unless the branch made them for this alone."""
        count = len(node.outputs)
        outputs = [self.name(out) for out in node.outputs]
        self.line(f"if {self.value_for(node.inputs[0], node, 0)}:{_comment(node.op)}", node)
        for branch, block, values in ((0, then_block, node.inputs[1:1 + count]),
                                      (1, else_block, node.inputs[1 + count:])):
            if branch == 1:
                self.line("else:", node)
            self.depth += 1
            self.block(block, kept | set(values))
            members = self.program.branches[(node, branch)]
            roots = [_memory_root(v) for v in values]
            first = 1 + branch * count  # the position of the branch's first value among node's inputs
            for k, (name, value, root) in enumerate(zip(outputs, values, roots)):
                owned = (root.owner in members and roots.count(root) == 1
                         and all(v.owner in members for v in _view_chain(value)))
                moved = self.value_for(value, node, first + k)
                copy = "" if owned or moved != self.name(value) else ".copy()"  # a move makes a new array
                self.line(f"{name} = {moved}{copy}", node)
            self.depth -= 1


def _view_chain(var):
    """``var`` and the variables it may be a view of, down to its memory root."""
    chain = [var]
    while var.owner is not None and var.owner.op.returns_view:
        var = var.owner.inputs[0]
        chain.append(var)
    return chain


def readable_source(program):
    """``program.source`` with each fused node's comment showing what it computes."""
    writer = program._writer
    lines = program.source.split("\n")
    for number, op in writer.fused.items():
        lines[number - 1] = lines[number - 1].replace("# Composite", f"# {op}")
    return "\n".join(lines)


def _keeps_every_axis(op):
    """Whether a DimShuffle only reorders axes and adds broadcastable ones (dropping one is a
    squeeze, which tests the axis's length: its thunk does that)."""
    return all(d in op.new_order for d in range(len(op.input_broadcastable)))


def _leading_broadcast(var):
    """(source, k): ``var`` is ``source`` with k broadcastable axes put in front of its
    own by DimShuffles such as ``('x', 0)``, or (var, 0) if it is not made that way."""
    dropped = 0
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        order, source = var.owner.op.new_order, var.owner.inputs[0]
        added = order.count("x")
        if order != ("x",) * added + tuple(range(source.ndim)):
            break
        dropped, var = dropped + added, source
    return var, dropped


def _is_chain(op, inputs):
    """Whether ``op`` on ``inputs`` is written as a chain of two-input calls (add, mul)."""
    return op.nin is None and len(inputs) > 2


def _nodes_of(item):
    """The nodes an item of a block runs: a node, or a lazy node with its branches."""
    if not isinstance(item, tuple):
        return [item]
    node, then_block, else_block = item
    return [n for block in (then_block, else_block) for i in block for n in _nodes_of(i)] + [node]


def _ufunc_inputs_ok(op, node):
    """Whether the node is a plain ufunc call (add and mul of one input copy instead)."""
    return op.ufunc is not None and (op.nin == len(node.inputs) or (op.nin is None and len(node.inputs) >= 2))


def _comment(op, inplace=False):
    """The op's name after the line that runs it, marked as debugprint marks a node that
    writes over an input's buffer (``Elemwise{add,inplace}``)."""
    from minitensor.printing import _op_text
    return f"  # {_op_text(op, inplace)}"


def _sizes_differ(node, *arrays):
    """Raise the op's own error for inputs whose sizes differ where they may not broadcast."""
    node.op.make_thunk(node, np)(*arrays)
    raise ValueError(f"input sizes differ: {[getattr(a, 'shape', '?') for a in arrays]}")
