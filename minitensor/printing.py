"""Reading graphs as text: ``pp`` (math-like) and ``debugprint`` (Theano's tree with ids).

>>> import minitensor.tensor as T
>>> x, y = T.dscalars('x', 'y')
>>> pp(x + y * 2)
'(x + (y * 2.0))'
"""

import sys

from minitensor.graph import Variable, toposort
from minitensor.tensor.variable import TensorConstant


def pp(variable, depth=None):
    """A one-line, math-like rendering of the graph that computes ``variable``.

    With ``depth``, only that many levels below ``variable`` are written out;
    deeper subexpressions show as ``...``.
    """
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
        args = [_pp_leaf(i) if i.owner is None else text[i] for i in node.inputs]
        for out in node.outputs:
            too_deep = depth is not None and out.name is None and distance.get(out, 0) >= depth
            text[out] = "..." if too_deep else _pp_node(node, out, args)
    return _pp_leaf(variable) if variable.owner is None else text[variable]


pprint = pp


def _pp_leaf(var):
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
    suffix = "" if len(node.outputs) == 1 else f".{out.index}"
    return f"{name}({', '.join(args)}){suffix}"


def debugprint(obj, file=None):
    """Print the graph of a variable, a list of variables or a compiled function as a tree.

    Each node shows its op, an ``[id X]`` label and its output's name; a node
    seen before is shown by its label alone. For a compiled function the nodes
    also show their position in the execution order, and whether they write their
    result over an input's buffer. Returns ``file``.
    """
    from minitensor.compile.function import Function

    file = sys.stdout if file is None else file
    if isinstance(obj, Function):
        roots, order, inplace = obj.program.outputs, obj.program.nodes, obj.program.overwrites
    else:
        roots, order, inplace = (list(obj) if isinstance(obj, (list, tuple)) else [obj]), [], {}
    labels = {}
    for root in roots:
        if not isinstance(root, Variable):
            raise TypeError(f"debugprint takes a variable, a list of variables or a function, got {root!r}")
        for line in _tree_lines(root, labels, {node: i for i, node in enumerate(order)}, inplace):
            print(line, file=file)
    for line in _inner_graph_lines(labels, obj.program.xp if isinstance(obj, Function) else None):
        print(line, file=file)
    return file


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
                lines += [" >" + line for line in _tree_lines(out, labels, {}, {}, notes)]


def _label(key, labels):
    if key not in labels:
        n, text = len(labels), ""
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


def _tree_lines(root, labels, order, inplace, notes=None):
    """Lines of the tree under ``root``, depth first, each child one step further in.

    ``notes`` add text after some leaves (a loop body's inputs point at the outer values)."""
    lines, stack = [], [(root, "")]
    while stack:
        var, prefix = stack.pop()
        node = var.owner
        key = node if node is not None else var
        seen = key in labels
        label = _label(key, labels)
        if node is None:
            lines.append(f"{prefix}{var} [id {label}]{(notes or {}).get(var, '')}")
            continue
        output = f".{var.index}" if len(node.outputs) > 1 else ""
        position = f"   {order[node]}" if node in order else ""
        lines.append(f"{prefix}{_op_text(node.op, node in inplace)}{output} [id {label}] '{var.name or ''}'{position}")
        if not seen:
            stack.extend((i, " " * len(prefix) + " |") for i in reversed(node.inputs))
    return lines


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

    >>> import minitensor, minitensor.tensor as T
    >>> x = T.dvector('x')
    >>> _ = print_program(minitensor.function([x], T.exp(-x) * 2))
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
    _print_loop_bodies(function.program, file)
    return file


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
