"""Drawing graphs: DOT text for Graphviz (``to_dot``) and pictures made from it (``pydotprint``).

``to_dot`` needs nothing but Python. ``pydotprint`` turns the DOT text into PNG,
SVG, PDF, ... through the ``graphviz`` Python package (``pip install -e
".[viz]"`` in a checkout of minitensor) and Graphviz's ``dot`` program (the Debian package
``graphviz``); without them it raises an error saying how to install them.

The pictures speak Theano's visual language:

* an ellipse is an Apply node (an op applied once), filled with the colour of
  its op's family (``OP_COLOURS``: elementwise ops pink, indexing purple, ...);
* a box is a variable: graph inputs are green, shared variables cyan,
  constants grey and outputs blue. With ``compact`` (the default) an unnamed
  intermediate variable gets no box: the edge goes straight from the node that
  makes it to the nodes that use it;
* an edge into a node with several inputs is labelled with the input's
  position, since ``x - y`` is not ``y - x``. In a compiled function an edge is
  red where the node writes its result over that input (in place), and blue
  where the node's output is a view of it;
* a fused ``Composite`` node sits in a box (a cluster) that shows the small
  scalar graph it computes, from placeholders ``i0``, ``i1``, ...;
* in a compiled function, a dashed blue edge marked ``update`` goes from a
  shared variable's new value to the shared variable.

This module leaves out layout: Graphviz places everything.
"""

import pathlib

import numpy as np

from minitensor.compile.sharedvalue import SharedVariable
from minitensor.graph import Apply, Constant, Variable, toposort
from minitensor.rewriting.fusion import Composite
from minitensor.scan_module.scan_op import Scan
from minitensor.tensor.elemwise import Elemwise

#: Fill colours of Apply nodes, by the module (the family) their op comes from.
#: Theano's colours where Theano had one: Elemwise, Subtensor, Alloc, Shape, IfElse, Scan.
OP_COLOURS = {
    "elemwise": "#FFAABB",  # pink; fused Composite nodes are elementwise too
    "subtensor": "#FFAAFF",  # purple: indexing
    "construction": "#FFAA22",  # orange: Theano's Alloc; here every op that builds a new tensor
    "shape_ops": "#D2B48C",  # Theano's brown, light enough to read a label on
    "ifelse": "magenta",
    "scan_op": "yellow",  # Theano's Scan
    "reduction": "#C6E2FF",  # light blue
    "linalg": "#DDEE99",  # light olive
    "nlinalg": "#DDEE99",  # linear algebra too
    "broadcast": "#D2B48C",  # shape ops
    "sorting": "#C6E2FF",  # reading along an axis, as reductions do
    "extra_ops": "#C6E2FF",
    "rng_mrg": "white",  # random draws, as raw_random's
}
INPUT_COLOUR, SHARED_COLOUR, CONSTANT_COLOUR, OUTPUT_COLOUR = "limegreen", "cyan", "lightgrey", "dodgerblue"
OVERWRITE_COLOUR, VIEW_COLOUR = "red", "blue"
MAX_LABEL_SIZE = 70  # longer labels are cut, as Theano cut them

PACKAGE_MISSING = ('drawing needs the graphviz Python package, which is not installed: '
                   'pip install -e ".[viz]" in your checkout of minitensor (pip install graphviz also does). It also needs Graphviz\'s dot program (on Debian '
                   'or Ubuntu: apt-get install graphviz). printing.to_dot(obj) gives the DOT text '
                   'without either.')
PROGRAM_MISSING = ("drawing needs Graphviz's dot program, which is not on the PATH: on Debian or "
                   "Ubuntu, apt-get install graphviz (the package is called graphviz elsewhere too; "
                   "see https://graphviz.org/download/). printing.to_dot(obj) gives the DOT text "
                   "without it.")


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program, which renders DOT text into pictures, is not installed."""


def op_family(op):
    """The key of ``OP_COLOURS`` for ``op``: 'elemwise', or the name of the op's module."""
    if isinstance(op, Elemwise):
        return "elemwise"
    return type(op).__module__.rsplit(".", 1)[-1]


# --- what to draw --------------------------------------------------------------------------

class _Picture:
    """What a drawing shows: output variables, updates, and for a compiled function its
    schedule (the node order) and which nodes overwrite which input."""

    def __init__(self, outputs, updates=(), order=None, overwrites=None, title=None):
        self.outputs = list(outputs)
        self.updates = list(updates)  # (shared variable, expression of its new value) pairs
        roots = self.outputs + [value for _, value in self.updates]
        self.order = list(order) if order is not None else toposort(roots)
        self.overwrites = overwrites or {}
        self.title = title


def _picture(obj, title=None):
    """A ``_Picture`` of a variable, an Apply node, a list of variables, a compiled function
    or a compilation stage (``compilation_stages``)."""
    from minitensor.compile.function import Function
    from minitensor.compile.stages import Stage
    if isinstance(obj, Function):
        graph, count = obj.maker.fgraph, len(obj.outputs)
        updates = zip(obj.update_targets, graph.outputs[count:])
        # The executor's schedule and in-place plan, as debugprint shows them.
        return _Picture(graph.outputs[:count], updates, obj.program.nodes, obj.program.overwrites, title)
    if isinstance(obj, Stage):
        return _Picture(obj.outputs, obj.updates, title=title or obj.title)
    if isinstance(obj, Apply):
        obj = obj.outputs
    variables = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    for var in variables:
        if not isinstance(var, Variable):
            raise TypeError(f"to_dot and pydotprint draw a variable, a list of variables, an Apply node "
                            f"or a compiled function, got {var!r}")
    return _Picture(variables, title=title)


# --- DOT text ------------------------------------------------------------------------------

def to_dot(obj, var_with_name_simple=False, compact=True, with_ids=False, title=None, max_label_size=MAX_LABEL_SIZE):
    """The graph of ``obj`` as DOT text, Graphviz's input language; needs no package.

    ``obj`` is a variable, a list of variables, an Apply node, a compiled function or
    a compilation stage. Options as for ``pydotprint``; ``title`` is written above
    the drawing.

    >>> import minitensor.tensor as T
    >>> x = T.dvector('x')
    >>> print(to_dot(T.exp(x), var_with_name_simple=True))
    digraph minitensor {
      graph [rankdir=TB, fontname="Helvetica"];
      node [fontname="Helvetica", fontsize=11];
      edge [fontname="Helvetica", fontsize=9];
      a0 [label="Elemwise{exp,no_inplace}", shape=ellipse, style=filled, fillcolor="#FFAABB"];
      v1 [label="x", shape=box, style=filled, fillcolor="limegreen"];
      v1 -> a0;
      v2 [label="TensorType(float64, vector)", shape=box, style=filled, fillcolor="dodgerblue"];
      a0 -> v2;
    }
    <BLANKLINE>
    """
    writer = _DotWriter(var_with_name_simple, compact, with_ids, max_label_size)
    return writer.write(_picture(obj, title))


def _quoted(text):
    """``text`` as a DOT string: backslashes and quotes escaped, newlines as DOT's ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attributes(attributes):
    parts = [f"{key}={value if key in ('shape', 'style') else _quoted(str(value))}"
             for key, value in attributes.items() if value is not None]
    return (f" [{', '.join(parts)}]" if parts else "") + ";"


def _cut(text, size=MAX_LABEL_SIZE):
    return text if len(text) <= size else text[:size - 3] + "..."


class _DotWriter:
    """Writes one picture's DOT text; ids are given in drawing order, so the text is reproducible."""

    def __init__(self, var_with_name_simple, compact, with_ids, max_label_size=MAX_LABEL_SIZE):
        self.names_only, self.compact, self.with_ids = var_with_name_simple, compact, with_ids
        self.cut = lambda text: _cut(text, max_label_size)
        self.lines = []
        self.ids = {}  # Variable or Apply -> DOT node id
        self.boxes = set()  # variables drawn as boxes

    def write(self, picture):
        self.lines += ["digraph minitensor {",
                       '  graph [rankdir=TB, fontname="Helvetica"];',
                       '  node [fontname="Helvetica", fontsize=11];',
                       '  edge [fontname="Helvetica", fontsize=9];']
        if picture.title:
            self.lines.append(f"  label={_quoted(picture.title)}; labelloc=t;")
        self.picture = picture
        self.new_value_of = {value: target for target, value in picture.updates}
        for position, node in enumerate(picture.order):
            self._node(node, position)
        for var in picture.outputs + [value for _, value in picture.updates]:
            self._box(var, "  ")  # outputs that are leaves, and outputs nothing uses
        for target, value in picture.updates:
            self._edge(self._source(value, "  "), self._box(target, "  "), "  ", label="update",
                       style="dashed", color=OUTPUT_COLOUR, constraint="false")
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    # Apply nodes

    def _node(self, node, position, indent="  "):
        node_id = self._id(node, "a")
        inplace = node in self.picture.overwrites
        if isinstance(node.op, Composite):  # its formula goes on its cluster
            text = "Composite{inplace}" if inplace else "Composite"
        else:
            from minitensor.printing import _op_text  # printing imports this module
            text = self.cut(_op_text(node.op, inplace))
        if self.with_ids:
            text += f"  id={position}"
        if isinstance(node.op, Composite):
            self._composite(node, node_id, text, indent)
        elif isinstance(node.op, Scan):
            self._loop(node, node_id, text, indent)
        else:
            fill = OP_COLOURS.get(op_family(node.op))
            self.lines.append(f"{indent}{node_id}" + _attributes(
                {"label": text, "shape": "ellipse", "style": "filled" if fill else None, "fillcolor": fill}))
            self._inputs(node, node_id, indent)
        self._outputs(node, node_id, indent)

    def _inputs(self, node, node_id, indent):
        overwritten = self.picture.overwrites.get(node)
        for position, var in enumerate(node.inputs):
            colour = None
            if position == overwritten:
                colour = OVERWRITE_COLOUR
            elif position == 0 and node.op.returns_view:
                colour = VIEW_COLOUR
            label = str(position) if len(node.inputs) > 1 else None
            self._edge(self._source(var, indent), node_id, indent, label=label, color=colour)

    def _outputs(self, node, node_id, indent):
        """Boxes for the outputs that get one, with an edge from the node to each."""
        for index, var in enumerate(node.outputs):
            if self._has_box(var):
                label = str(index) if len(node.outputs) > 1 else None
                self._edge(node_id, self._box(var, indent), indent, label=label)

    def _composite(self, node, node_id, text, indent):
        """The fused node in a cluster with its scalar graph: placeholders ``i0``, ``i1``, ...
        (each fed by the outer input at that position), inner ops, then the node itself."""
        op = node.op
        inner = indent + "  "
        # Every statement naming an outer node stays outside the cluster: a node belongs to
        # each subgraph that names it, even in an edge.
        sources = [self._source(var, indent) for var in node.inputs]
        self.lines.append(f"{indent}subgraph cluster_{node_id} {{")
        self.lines.append(f"{inner}label={_quoted(self.cut('fused: ' + pp_composite(op)))};")
        self.lines.append(f'{inner}style="rounded,filled"; fillcolor="#FFF0F3"; color="{OP_COLOURS["elemwise"]}";')
        for k, placeholder in enumerate(op.inputs):
            place_id = self._id(placeholder, "v")
            self.boxes.add(placeholder)
            self.lines.append(f"{inner}{place_id}" + _attributes({"label": f"i{k}", "shape": "box"}))
        for inner_node in op.nodes:
            inner_id = self._id(inner_node, "a")
            name = getattr(inner_node.op, "scalar_name", None) or str(inner_node.op)
            self.lines.append(f"{inner}{inner_id}" + _attributes(
                {"label": self.cut(name), "shape": "ellipse", "style": "filled",
                 "fillcolor": OP_COLOURS.get(op_family(inner_node.op))}))
            for position, var in enumerate(inner_node.inputs):
                label = str(position) if len(inner_node.inputs) > 1 else None
                self._edge(self._inner_source(node, var, inner), inner_id, inner, label=label)
        self.lines.append(f"{inner}{node_id}" + _attributes(
            {"label": text, "shape": "ellipse", "style": "filled", "fillcolor": OP_COLOURS["elemwise"]}))
        for index, var in enumerate(op.outputs):
            label = f"out {index}" if len(op.outputs) > 1 else None
            self._edge(self._inner_source(node, var, inner), node_id, inner, label=label)
        self.lines.append(f"{indent}}}")
        for k, source in enumerate(sources):
            colour = OVERWRITE_COLOUR if self.picture.overwrites.get(node) == k else None
            self._edge(source, self._id(op.inputs[k], "v"), indent, color=colour)

    def _loop(self, node, node_id, text, indent):
        """A Scan node in a yellow cluster with its body: a box per body input (fed by the outer
        value it stands for), the body's nodes, and the loop node taking the body's outputs."""
        op = node.op
        inner = indent + "  "
        fed = (node.inputs[1:1 + op.n_sequences]
               + [node.inputs[1 + op.n_sequences + k] for k in range(op.n_recurrent) for _ in op.taps[k]]
               + node.inputs[1 + op.n_sequences + op.n_recurrent:])
        sources = [self._source(var, indent) for var in [node.inputs[0]] + fed]
        self.lines.append(f"{indent}subgraph cluster_{node_id} {{")
        self.lines.append(f"{inner}label={_quoted('loop body: ' + text)};")
        self.lines.append(f'{inner}style="rounded,filled"; fillcolor="#FFFFE0"; color="{OP_COLOURS["scan_op"]}";')
        for k, var in enumerate(op.inner_inputs):
            self.boxes.add(var)
            self.lines.append(f"{inner}{self._id(var, 'v')}" + _attributes(
                {"label": _cut(var.name or f"input {k}"), "shape": "box"}))
        for inner_node in toposort(list(op.inner_outputs)):
            inner_id = self._id(inner_node, "a")
            self.lines.append(f"{inner}{inner_id}" + _attributes(
                {"label": _cut(str(inner_node.op)), "shape": "ellipse", "style": "filled",
                 "fillcolor": OP_COLOURS.get(op_family(inner_node.op))}))
            for position, var in enumerate(inner_node.inputs):
                label = str(position) if len(inner_node.inputs) > 1 else None
                self._edge(self._inner_source(node, var, inner), inner_id, inner, label=label)
        self.lines.append(f"{inner}{node_id}" + _attributes(
            {"label": text, "shape": "ellipse", "style": "filled", "fillcolor": OP_COLOURS["scan_op"]}))
        for index, var in enumerate(op.inner_outputs):
            self._edge(self._inner_source(node, var, inner), node_id, inner, label=f"out {index}")
        self.lines.append(f"{indent}}}")
        self._edge(sources[0], node_id, indent, label="n_steps")
        for var, source in zip(op.inner_inputs, sources[1:]):
            self._edge(source, self._id(var, "v"), indent)

    def _inner_source(self, node, var, indent):
        """Inside the Composite of ``node``: a placeholder's box, a constant's box, or the inner node.

        A constant gets a box of its own in each cluster, since the graph outside may use
        the same constant object, and a box belongs to the cluster that first names it.
        """
        if var.owner is not None:
            return self._id(var.owner, "a")
        return self._box(var, indent, key=(node, var) if isinstance(var, Constant) else var)

    # Variables

    def _has_box(self, var):
        """Leaves, outputs, new values, named variables, and with ``compact=False`` every variable;
        also the outputs of nodes with several, so an edge never hides which output it carries."""
        if var.owner is None or not self.compact or var.name is not None or len(var.owner.outputs) > 1:
            return True
        return var in self.picture.outputs or var in self.new_value_of

    def _source(self, var, indent):
        """The DOT id an edge carrying ``var`` starts from: its box, or the node that makes it."""
        if self._has_box(var):
            return self._box(var, indent)
        return self._id(var.owner, "a")

    def _box(self, var, indent, key=None):
        """``var``'s box, drawn on first use; returns its id. ``key`` tells boxes of one variable apart."""
        key = var if key is None else key
        box_id = self._id(key, "v")
        if key in self.boxes:
            return box_id
        self.boxes.add(key)
        fill = None
        if var in self.picture.outputs or var in self.new_value_of:
            fill = OUTPUT_COLOUR
        elif isinstance(var, SharedVariable):
            fill = SHARED_COLOUR
        elif isinstance(var, Constant):
            fill = CONSTANT_COLOUR
        elif var.owner is None:
            fill = INPUT_COLOUR
        self.lines.append(f"{indent}{box_id}" + _attributes(
            {"label": self._variable_label(var), "shape": "box",
             "style": "filled" if fill else None, "fillcolor": fill}))
        return box_id

    def _variable_label(self, var):
        """The name (or a constant's value) and, unless ``var_with_name_simple``, the type."""
        if var.name is not None:
            text = var.name
        elif isinstance(var, Constant):
            data = np.asarray(var.data)
            text = str(data.item()) if data.size == 1 else np.array2string(data, threshold=6)
            text = self.cut(text.splitlines()[0])
        elif var in self.new_value_of:
            target = self.new_value_of[var]
            text = f"new {target.name}" if target.name else "new value"
        else:
            return str(var.type)
        return text if self.names_only else f"{text}\n{var.type}"

    def _edge(self, source, target, indent, **attributes):
        self.lines.append(f"{indent}{source} -> {target}" + _attributes(attributes))

    def _id(self, key, prefix):
        if key not in self.ids:
            self.ids[key] = f"{prefix}{len(self.ids)}"
        return self.ids[key]


def pp_composite(op):
    """A Composite's formula over ``i0``, ``i1``, ...: ``Composite{(i0 * exp(i1))}`` without the wrapper."""
    text = str(op)
    return text[len("Composite{"):-1] if text.startswith("Composite{") else text


# --- pictures ------------------------------------------------------------------------------

_FORMATS = {"png", "svg", "pdf", "jpg", "jpeg", "gif", "ps", "dot"}


def pydotprint(obj, outfile=None, compact=True, format=None, with_ids=False, high_contrast=True,
               cond_highlight=None, colorCodes=None, max_label_size=MAX_LABEL_SIZE, scan_graphs=False,
               var_with_name_simple=False, print_output_file=True, return_image=False, title=None):
    """Draw the graph of ``obj`` into ``outfile`` as Theano's ``pydotprint`` did; returns the file's path.

    ``obj`` is a variable, a list of variables, an Apply node, a compiled function
    or a compilation stage. The arguments are Theano's, in its order. ``format`` is any
    Graphviz output format ('png', 'svg', 'pdf', ...); by default the outfile's suffix,
    else 'png'; ``outfile`` defaults to ``minitensor.pydotprint.<format>`` in the current
    directory. ``var_with_name_simple`` labels a named variable with its name alone (else
    with its type too); ``compact`` leaves out the boxes of unnamed intermediate variables;
    ``with_ids`` adds each node's position in the schedule; labels longer than
    ``max_label_size`` are cut; ``print_output_file`` prints where the file went, as Theano
    does. With ``return_image`` nothing is written: the image's bytes are returned (in
    Jupyter, ``IPython.display.SVG(pydotprint(f, format='svg', return_image=True))``).
    ``high_contrast``, ``cond_highlight``, ``colorCodes`` and ``scan_graphs`` are accepted:
    the nodes are always filled with their family's colour, and there is no scan here.

    Needs the graphviz package and program; ``to_dot`` needs neither.
    """
    suffix = pathlib.Path(outfile).suffix.lstrip(".").lower() if outfile is not None else ""
    if format is None:
        format = suffix if suffix in _FORMATS else "png"
    outfile = pathlib.Path(f"minitensor.pydotprint.{format}" if outfile is None else outfile)
    if not return_image and suffix in _FORMATS and suffix != format and {suffix, format} != {"jpg", "jpeg"}:
        raise ValueError(f"pydotprint: outfile {str(outfile)!r} ends in .{suffix} but format is "
                         f"{format!r}; pass format={suffix!r}")
    image = render(to_dot(obj, var_with_name_simple, compact, with_ids, title, max_label_size), format)
    if return_image:
        return image
    outfile.write_bytes(image)
    if print_output_file:
        print("The output file is available at", outfile)
    return str(outfile)


def render(dot_text, format="svg"):
    """The bytes of ``dot_text`` rendered by Graphviz's dot program in ``format``."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(PACKAGE_MISSING) from None
    try:
        return graphviz.Source(dot_text).pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFound(PROGRAM_MISSING) from None


# Graphviz's layout time grows much faster than the graph, most with edges that span it (a
# weight read at every step): a 25-step unrolled recurrent net's cost, 155 nodes, took 50 s,
# a 3,000-node gradient ten minutes and 2.9 GB. Jupyter draws what a cell shows without
# being asked, so past this many nodes it shows a line saying how to draw the graph anyway.
AUTOMATIC_DRAWING_LIMIT = 100


def svg_or_none(obj):
    """``obj`` drawn as SVG text, or None when Graphviz is missing; Jupyter's ``_repr_svg_``
    calls this, and shows the text form instead when it gets None. A graph of more than
    ``AUTOMATIC_DRAWING_LIMIT`` nodes is not drawn: the SVG says how many, and how to draw it."""
    picture = _picture(obj)
    if len(picture.order) > AUTOMATIC_DRAWING_LIMIT:
        return _too_large_svg(len(picture.order))
    try:
        return render(to_dot(obj), "svg").decode("utf-8")
    except (ImportError, GraphvizNotFound):
        return None


def _too_large_svg(count):
    lines = [f"A graph of {count:,} nodes, more than the {AUTOMATIC_DRAWING_LIMIT} drawn automatically.",
             "To draw it anyway: minitensor.printing.pydotprint(obj, 'graph.svg', format='svg');",
             "as text: minitensor.printing.debugprint(obj)."]
    texts = "".join(f'<text x="8" y="{20 + 20 * k}">{line}</text>' for k, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{20 * len(lines) + 12}" '
            f'font-family="Helvetica" font-size="13">{texts}</svg>')
