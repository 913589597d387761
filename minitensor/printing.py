"""Reading graphs as text: ``pp`` (math-like) and ``debugprint`` (Theano's tree with ids).

>>> import minitensor.tensor as T
>>> x, y = T.dscalars('x', 'y')
>>> pp(x + y * 2)
'(x + (y * TensorConstant{2.0}))'
"""

import io
import sys
from typing import NamedTuple

import numpy as np

from minitensor.graph import Apply, Op, Variable, toposort
from minitensor.tensor.variable import TensorConstant


def pp(variable, depth=None):
    """A one-line, math-like rendering of the graph that computes ``variable``, as Theano's
    ``pp``: constants are written ``TensorConstant{2.0}`` and ``second`` is ``fill``.

    With ``depth``, only that many levels below ``variable`` are written out;
    deeper subexpressions show as ``...``.
    """
    return formula(variable, depth, leaf=str)


def formula(variable, depth=None, leaf=None):
    """``pp``'s text, with each leaf written by ``leaf`` (by default: a scalar constant as its
    number, ``2.0``, as fused nodes are named: ``Composite{(exp(-i0) * 2.0)}``)."""
    leaf = leaf or _short_leaf
    if not isinstance(variable, Variable):
        raise TypeError(f"pp takes a variable, got {variable!r}")
    order = toposort([variable])
    distance = {variable: 0}  # levels below the variable, along the shortest path
    for node in reversed(order):
        below = min(distance.get(out, len(order)) for out in node.outputs) + 1
        for i in node.inputs:
            distance[i] = min(distance.get(i, below), below)
    text = {}
    # Iterative, so deep graphs do not hit Python's recursion limit.
    for node in order:
        args = [leaf(i) if i.owner is None else text[i] for i in node.inputs]
        for out in node.outputs:
            too_deep = depth is not None and out.name is None and distance.get(out, 0) >= depth
            text[out] = "..." if too_deep else _pp_node(node, out, args)
    return leaf(variable) if variable.owner is None else text[variable]


pprint = pp


class Print(Op):
    """The input itself, printing ``message`` and its attributes when the graph runs, as in Theano.

    ``Print('x is')(x)`` prints ``x is __str__ = [...]`` each time the compiled function
    computes it; ``attrs`` names other attributes (or methods) of the value to print,
    such as ``('shape',)``. Its gradient passes through, and it is never computed at
    compile time (its printing is the point).
    """

    __props__ = ("message", "attrs")
    view_map = {0: [0]}

    def __init__(self, message="", attrs=("__str__",), global_fn=None):
        self.message, self.attrs = message, tuple(attrs)
        self.global_fn = global_fn

    def make_node(self, x):
        from minitensor.tensor.variable import as_tensor_variable
        x = x if isinstance(x, Variable) else as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def impl(self, xp, x):
        if self.global_fn is not None:
            self.global_fn(self, x)
        for attr in self.attrs:
            value = getattr(x, attr)
            print(f"{self.message} {attr} = {value() if callable(value) else value}")
        return x

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]  # as Theano's: a shape query prints nothing

    def grad(self, inputs, outputs, output_grads):
        return list(output_grads)

    def do_constant_folding(self, node):
        return False

    def __str__(self):
        return f"Print{{message={self.message!r}}}"


def _short_leaf(var):
    if var.name is None and isinstance(var, TensorConstant):
        return str(var.data.item()) if var.data.size == 1 else str(var)
    return str(var)


def _pp_node(node, out, args):
    if out.name is not None:
        return out.name
    op = node.op
    symbol = getattr(op, "symbol", None)
    if symbol is not None and len(args) == 1:
        return f"{symbol}{args[0]}"
    if symbol is not None:
        return "(" + f" {symbol} ".join(args) + ")"
    name = getattr(op, "scalar_name", None) or str(op)
    name = "fill" if name == "second" else name  # Theano's pp calls second fill
    suffix = "" if len(node.outputs) == 1 else f".{out.index}"
    return f"{name}({', '.join(args)}){suffix}"


def debugprint(obj, depth=-1, print_type=False, file=None, ids="CHAR", stop_on_name=False, done=None):
    """Print the graph of a variable, a list of variables, a node or a compiled function as a tree.

    Each node shows its op, an ``[id X]`` label and its output's name; a node
    seen before is shown by its label alone. For a compiled function the nodes
    also show their position in the execution order, and whether they write their
    result over an input's buffer. The arguments are Theano's:

    * ``depth``: how many levels to print (-1 for all);
    * ``print_type``: add each variable's type after its label;
    * ``file``: where to print: stdout by default, a file object, or ``'str'`` to
      return the text instead of printing it;
    * ``ids``: the labels: ``'CHAR'`` (A, B, ..., as Theano), ``'int'`` (0, 1, ...),
      ``'id'`` (Python's ``id``) or ``''`` (none);
    * ``stop_on_name``: do not print below a variable that has a name;
    * ``done``: a dict of labels given so far, to share them between calls.

    Returns the text for ``file='str'``, the file when one is given, else None, as Theano.
    """
    from minitensor.compile.function import Function

    if not isinstance(depth, int):
        raise TypeError(f"debugprint's depth must be an int, got {depth!r}")
    if ids not in ("CHAR", "int", "id", ""):
        raise ValueError(f"debugprint's ids must be 'CHAR', 'int', 'id' or '', got {ids!r}")
    target = io.StringIO() if file == "str" else sys.stdout if file is None else file
    if isinstance(obj, Function):
        roots, order, inplace = obj.program.outputs, obj.program.nodes, obj.program.overwrites
    elif isinstance(obj, Apply):  # a node, as MonitorMode's functions are given: its outputs
        roots, order, inplace = obj.outputs[:1] if len(obj.outputs) == 1 else obj.outputs, [], {}
    else:
        roots, order, inplace = (list(obj) if isinstance(obj, (list, tuple)) else [obj]), [], {}
    labels = {} if done is None else done
    style = _TreeStyle(depth, print_type, ids, stop_on_name)
    for root in roots:
        if not isinstance(root, Variable):
            raise TypeError(f"debugprint takes a variable, a list of variables or a function, got {root!r}")
        for line in _tree_lines(root, labels, {node: i for i, node in enumerate(order)}, inplace, style):
            print(line, file=target)
    for line in _inner_graph_lines(labels, obj.program.xp if isinstance(obj, Function) else None):
        print(line, file=target)
    if file == "str":
        return target.getvalue()
    return None if file is None else file


def _inner_graph_lines(labels, xp=None):
    """Theano's "Inner graphs of the scan ops:" section: each loop's body under its node's label,
    each body input pointing (``-> [id X]``) at the outer variable it stands for. With ``xp`` (a
    compiled function's array module) the body is shown as compiled: rewritten and fused."""
    from minitensor.scan_module.scan_op import Scan
    lines, done = [], set()
    while True:
        loops = [key for key in labels if getattr(key, "op", None) is not None and isinstance(key.op, Scan)
                 and key not in done]
        if not loops:
            return lines
        if not done:
            lines += ["", "Inner graphs of the scan ops:"]
        for node in loops:
            done.add(node)
            op = node.op
            outer = (node.inputs[1:1 + op.n_sequences]
                     + [node.inputs[1 + op.n_sequences + k] for k in range(op.n_recurrent) for _ in op.taps[k]]
                     + node.inputs[1 + op.n_sequences + op.n_recurrent:])
            notes = {inner: f" -> [id {_label(v.owner or v, labels)}]" for inner, v in zip(op.inner_inputs, outer)}
            lines += ["", f"{op} [id {labels[node]}] ''"]
            body = op.compiled(xp).fgraph.outputs if xp is not None else op.inner_outputs
            for out in body:
                lines += [" >" + line for line in _tree_lines(out, labels, {}, {}, notes=notes)]


class _TreeStyle(NamedTuple):
    depth: int
    print_type: bool
    ids: str
    stop_on_name: bool


def _label(key, labels, ids="CHAR"):
    if key not in labels:
        n, text = len(labels), ""
        if ids == "int":
            text = str(n)
        elif ids == "id":
            text = str(id(key))
        else:
            while True:
                text = chr(ord("A") + n % 26) + text
                n = n // 26 - 1
                if n < 0:
                    break
        labels[key] = text
    return labels[key]


def _op_text(op, inplace):
    """The op's name, marked as Theano marks a node that writes over an input's buffer."""
    text = str(op)
    if not inplace:
        return text
    return text.replace(",no_inplace}", ",inplace}") if ",no_inplace}" in text else text + "{inplace}"


# Past this depth a line is indented no further, and says its depth instead: a chain 50,000
# nodes deep would otherwise print lines 100,000 characters long (gigabytes in all).
_MAX_INDENT = 40


def _tree_lines(root, labels, order, inplace, style=_TreeStyle(-1, False, "CHAR", False), notes=None):
    """Lines of the tree under ``root``, depth first, drawn as Theano draws them: each input
    on a line starting `` |`` under its node, with a bar continuing down to the next input.
    Below ``_MAX_INDENT`` levels a line's indentation stops growing and names its level.
    ``notes`` add text after some leaves (a loop body's inputs point at the outer values)."""
    lines, stack = [], [(root, "", "", 0)]
    while stack:
        var, bars, child_bars, level = stack.pop()
        prefix = bars if level <= _MAX_INDENT else f"(depth {level})".rjust(2 * _MAX_INDENT - 2) + " |"
        node = var.owner
        key = node if node is not None else var
        seen = key in labels
        label = _label(key, labels, style.ids)
        tag = f" [id {label}]" if style.ids else ""
        kind = f" <{var.type}>" if style.print_type else ""
        if node is None:
            lines.append(f"{prefix}{var}{tag}{kind}{(notes or {}).get(var, '')}")
            continue
        output = f".{var.index}" if len(node.outputs) > 1 else ""
        position = f"   {order[node]}" if node in order else ""
        lines.append(f"{prefix}{_op_text(node.op, node in inplace)}{output}{tag}{kind} '{var.name or ''}'{position}")
        if seen or level + 1 == style.depth or (style.stop_on_name and var.name is not None and var is not root):
            continue
        last = len(node.inputs) - 1
        for i in reversed(range(len(node.inputs))):
            if level < _MAX_INDENT:
                stack.append((node.inputs[i], child_bars + " |", child_bars + ("  " if i == last else " |"), level + 1))
            else:  # no deeper indentation: the line says its level instead
                stack.append((node.inputs[i], bars, child_bars, level + 1))
    return lines


def min_informative_str(obj, indent_level=0):
    """The least of the graph of ``obj`` that says what it is, as Theano's ``min_informative_str``:
    each line a tag (A, B, ...) and a variable's name, or for an unnamed computed variable its op
    followed by its inputs one space further in; a named variable ends its branch, and a variable
    met again is shown as ``<tag>``.

    >>> import minitensor.tensor as T
    >>> h, v = T.dscalars('log_likelihood_h', 'log_likelihood_v_given_h')
    >>> print(min_informative_str(v + h))
    A. Elemwise{add,no_inplace}
     B. log_likelihood_v_given_h
     C. log_likelihood_h
    """
    lines, tags = [], {}
    stack = [(obj, indent_level)]
    while stack:  # iterative, so deep graphs do not hit Python's recursion limit
        var, level = stack.pop()
        indent = " " * level
        if id(var) in tags:
            lines.append(f"{indent}<{tags[id(var)]}>")
            continue
        tag = _label(id(var), tags)
        if hasattr(var, "__array__"):
            text = "<ndarray>"
        elif getattr(var, "name", None) is not None:
            text = var.name
        elif getattr(var, "owner", None) is not None:
            text = str(var.owner.op)
            stack.extend((i, level + 1) for i in reversed(var.owner.inputs))
        else:
            text = str(var)
        lines.append(f"{indent}{tag}. {text}")
    return "\n".join(lines)


def explain(function, file=None):
    """Print which rule fired on which node while ``function`` was compiled, in order.

    Returns the log itself, a list of ``Rewrite`` records (phase, rule, before, after),
    so a program can inspect it too. Node counts before and after close the text.
    """
    file = sys.stdout if file is None else file
    maker = function.maker
    for number, rewrite in enumerate(maker.rewrites, 1):
        print(f"{number:3d}. {rewrite}", file=file)
    before, after = len(toposort(maker.original_outputs)), len(maker.fgraph.apply_nodes)
    print(f"{len(maker.rewrites)} rewrites; {before} nodes before, {after} after", file=file)
    return maker.rewrites


# Drawing (pictures through Graphviz) and the compilation stages live in their own modules;
# they are printing's public names, as in Theano.
from minitensor.drawing import pydotprint, to_dot  # noqa: E402
from minitensor.compile.stages import compilation_stages, show_compilation  # noqa: E402


def print_program(function, file=None):
    """Print the Python code that calling the compiled ``function`` runs.

    ``compute`` is the graph, one statement per node, as the executor wrote it
    (``minitensor/compile/codegen.py``): values in local variables, ``out=`` where
    a result overwrites a dead buffer, ``del`` after a value's last use. ``call``
    is what ``function(...)`` runs: it checks the arguments, calls ``compute``,
    copies results that could share memory and assigns the updates. The constants
    the code names come first. Returns ``file``.

    With the C linker (the default where a compiler is found), a fused node is one
    line calling its compiled loop, ``t0 = fused_0(x)``, and the C source of each
    such loop follows the program. On the GPU, a fused node is one line calling its
    kernel; ``kernel_sources`` shows the kernel. With ``linker='py'``, each op of a
    fused node is one NumPy call:

    >>> import minitensor, minitensor.tensor as T
    >>> x = T.dvector('x')
    >>> py = minitensor.Mode(linker='py')
    >>> _ = print_program(minitensor.function([x], T.exp(-x) * 2, mode=py, backend='numpy'))
    c0 = array(2.)
    <BLANKLINE>
    def compute(x):
        try:
            # Composite{(exp(-i0) * 2.0)}
            t0 = negative(x)
            t0 = exp(t0, out=t0)
            t0 = multiply(t0, c0, out=t0)
        except Exception as error:
            raise explain(error) from error
        return (t0,)
    <BLANKLINE>
    <BLANKLINE>
    def call(x):
        if type(x) is not ndarray or x.dtype is not float64 or x.ndim != 1:
            x = convert(0, x)
        [r0] = compute(x)
        return r0
    """
    file = sys.stdout if file is None else file
    writer = function.program._writer
    for k, value in enumerate(writer.constants):
        text = repr(value) if value.size <= 10 else f"<{value.dtype} array of shape {value.shape}>"
        print(f"c{k} = {text}", file=file)
    if writer.constants:
        print(file=file)
    from minitensor.compile.codegen import readable_source
    print(readable_source(function.program), end="", file=file)
    _print_compiled_loops(function.program, file)
    _print_loop_bodies(function.program, file)
    return file


def _print_compiled_loops(program, file):
    """After a program, the C source of each node the C linker compiled (``backends/c.py``):
    a fused node's two loops, or a sum's (of the fused node it absorbs, if any)."""
    from minitensor.backends.c import loop_source, reduction_loops
    writer = program._writer
    for name, node in writer.compiled_loops:
        if node in writer.reductions:
            source = writer.reductions[node][0]
            (loops, _, constants), _ = reduction_loops(node, source)
            what = f"{node.op} of {source.op}" if source is not None else str(node.op)
            operands = "the summed node's inputs x0, x1, ..., constants c0, c1, ...; the sum is out"
        else:
            loops, _, constants = loop_source(node.op)
            what = str(node.op)
            operands = ("inputs x0, x1, ..., constants c0, c1, ..., outputs y0, ...; an argument after\n"
                        "// the inputs is the buffer the output is written into")
        print(f"\n\n// {name}: {what}, compiled by the C linker (minitensor/backends/c.py)", file=file)
        print(f"// operands: {operands}", file=file)
        if constants:
            values = ", ".join(f"c{k} = {np.asarray(c).tolist()!r}" for k, c in enumerate(constants))
            print(f"// {values}", file=file)
        print(file=file)
        print(loops, end="", file=file)


def _print_loop_bodies(program, file):
    """After a program, the compiled body of each loop it runs (and of the loops inside those)."""
    from minitensor.compile.codegen import readable_source
    from minitensor.scan_module.scan_op import Scan
    for position, node in enumerate(program.nodes):
        if isinstance(node.op, Scan):
            body = node.op.compiled(program.xp).program
            print(f"\n\n# the body of {node.op} (node {position}), run once per step:\n", file=file)
            print(readable_source(body), end="", file=file)
            _print_loop_bodies(body, file)


def kernel_sources(function, file=None):
    """Print the CUDA source of each fused node of the compiled ``function``: the arguments of
    the ``cupy.ElementwiseKernel`` it runs as on the GPU (``minitensor/backends/kernels.py``).

    Works on any machine: the source is text, written whichever backend the function
    uses. Returns the list of ``KernelSource`` records, in execution order.
    """
    from minitensor.backends.kernels import kernel_source
    from minitensor.rewriting.fusion import Composite
    file = sys.stdout if file is None else file
    sources = [kernel_source(node.op) for node in function.program.nodes if isinstance(node.op, Composite)]
    for number, source in enumerate(sources):
        print(("\n" if number else "") + str(source), file=file)
    return sources
