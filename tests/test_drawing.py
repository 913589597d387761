"""Drawing graphs: the DOT text (no dependency), pictures through Graphviz, and the compilation stages.

The DOT tests read the text back into nodes and edges and check Theano's visual
language: ellipses for Apply nodes coloured by op family, boxes for variables
coloured by kind, input positions on edges, fused nodes as clusters. Rendering
tests need Graphviz's dot program and skip, saying so, without it.
"""

import io
import re
import shutil
import sys

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import drawing, printing
from minitensor.compile.mode import PHASES, Mode
from minitensor.graph import toposort

try:
    import graphviz  # noqa: F401
    HAVE_PACKAGE = True
except ImportError:
    HAVE_PACKAGE = False
HAVE_DOT = HAVE_PACKAGE and shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason='needs Graphviz: pip install -e ".[viz]" and '
                                                    'the dot program (Debian package graphviz)')

PINK, GREEN, BLUE, CYAN, GREY = "#FFAABB", "limegreen", "dodgerblue", "cyan", "lightgrey"


# --- reading DOT text back -----------------------------------------------------------------

STATEMENT = re.compile(r"^\s*(\w+)(?: -> (\w+))?(?: \[(.*)\])?;$")
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,\s]+)')


def _value(text):
    if text.startswith('"'):
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text[1:-1])
    return text


class Dot:
    """The nodes ({id: attributes}), edges ([(source, target, attributes)]) and clusters
    ({cluster name: ids named inside it}) of DOT text written by ``to_dot``."""

    def __init__(self, text):
        self.text, self.nodes, self.edges, self.clusters = text, {}, [], {}
        open_clusters = []
        for line in text.splitlines():
            if line.strip().startswith("subgraph "):
                open_clusters.append(line.split()[1])
                self.clusters[open_clusters[-1]] = set()
                continue
            if line.strip() == "}":
                if open_clusters:
                    open_clusters.pop()
                continue
            match = STATEMENT.match(line)
            if match is None or match.group(1) in ("graph", "node", "edge"):
                continue
            source, target, attributes = match.groups()
            attributes = {k: _value(v) for k, v in ATTRIBUTE.findall(attributes or "")}
            if target is None:
                self.nodes[source] = attributes
            else:
                self.edges.append((source, target, attributes))
            for cluster in open_clusters:
                self.clusters[cluster].update({source, target} - {None})

    def labelled(self, label):
        """The id of the one node whose label (first line) is ``label``."""
        found = [k for k, a in self.nodes.items() if a.get("label", "").split("\n")[0] == label]
        assert len(found) == 1, f"{len(found)} nodes labelled {label!r} in\n{self.text}"
        return found[0]

    def edges_into(self, node_id):
        return [(source, attributes) for source, target, attributes in self.edges if target == node_id]


def dot_of(obj, **options):
    return Dot(printing.to_dot(obj, **options))


# --- the DOT text: nodes and boxes -----------------------------------------------------------

def test_to_dot_needs_no_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    x = T.dvector("x")
    assert printing.to_dot(T.exp(x)).startswith("digraph minitensor {")


def test_apply_nodes_are_ellipses_coloured_by_family():
    x, i = T.dmatrix("x"), T.lscalar("i")
    y = T.dot(x, x).sum(axis=0)[i] + T.exp(x.T)[0]
    dot = dot_of(y, var_with_name_simple=True)
    colours = {"dot": "#DDEE99", "Sum{axis=(0,)}": "#C6E2FF", "Elemwise{exp,no_inplace}": PINK,
               "DimShuffle{1,0}": "#D2B48C", "Elemwise{add,no_inplace}": PINK}
    for label, colour in colours.items():
        node = dot.nodes[dot.labelled(label)]
        assert node["shape"] == "ellipse" and node["fillcolor"] == colour, (label, node)
    subtensors = [a for a in dot.nodes.values() if a["label"].startswith("Subtensor")]
    assert len(subtensors) == 2 and all(a["fillcolor"] == "#FFAAFF" for a in subtensors)


def test_op_family_is_elemwise_or_the_module():
    x = T.dvector("x")
    assert drawing.op_family(T.exp(x).owner.op) == "elemwise"
    assert drawing.op_family(T.nnet.sigmoid(x).owner.op) == "elemwise"  # an Elemwise in nnet.py
    assert drawing.op_family(T.sum(x).owner.op) == "reduction"


def test_variables_are_boxes_coloured_by_kind():
    x = T.dvector("x")
    w = theano.shared(np.ones(3), name="w")
    y = (x * w + 2.0).sum()
    dot = dot_of(y, var_with_name_simple=True)
    kinds = {"x": GREEN, "w": CYAN, "2.0": GREY}
    for label, colour in kinds.items():
        box = dot.nodes[dot.labelled(label)]
        assert box["shape"] == "box" and box["fillcolor"] == colour, (label, box)
    output = dot.nodes[dot.labelled("TensorType(float64, scalar)")]
    assert output["shape"] == "box" and output["fillcolor"] == BLUE


def test_compact_leaves_out_unnamed_intermediate_variables():
    x = T.dvector("x")
    middle = T.exp(x)
    named = T.log(x)
    named.name = "named"
    y = middle + named
    compact = dot_of(y, var_with_name_simple=True)
    boxes = [a["label"] for a in compact.nodes.values() if a["shape"] == "box"]
    assert sorted(boxes) == ["TensorType(float64, vector)", "named", "x"]
    exp_node = compact.labelled("Elemwise{exp,no_inplace}")
    add_node = compact.labelled("Elemwise{add,no_inplace}")
    assert (exp_node, {"label": "0"}) in compact.edges_into(add_node)  # straight from node to node

    full = dot_of(y, compact=False)
    boxes = [a for a in full.nodes.values() if a["shape"] == "box"]
    assert len(boxes) == 4
    plain = [a for a in boxes if "fillcolor" not in a]
    assert [a["label"] for a in plain if "named" not in a["label"]] == ["TensorType(float64, vector)"]


def test_labels_carry_the_type_unless_var_with_name_simple():
    x = T.dvector("x")
    assert dot_of(T.exp(x)).nodes["v1"]["label"] == "x\nTensorType(float64, vector)"
    assert dot_of(T.exp(x), var_with_name_simple=True).nodes["v1"]["label"] == "x"


def test_edges_give_the_input_position_where_there_are_several():
    x, y = T.dvectors("x", "y")
    dot = dot_of(T.exp(x - y))
    sub, exp = dot.labelled("Elemwise{sub,no_inplace}"), dot.labelled("Elemwise{exp,no_inplace}")
    into_sub = {dot.nodes[source]["label"].split("\n")[0]: a.get("label") for source, a in dot.edges_into(sub)}
    assert into_sub == {"x": "0", "y": "1"}
    assert dot.edges_into(exp) == [(sub, {})]


def test_with_ids_gives_each_node_its_position_in_the_schedule():
    x = T.dvector("x")
    dot = dot_of(T.log(T.exp(x)), with_ids=True)
    labels = sorted(a["label"] for a in dot.nodes.values() if a["shape"] == "ellipse")
    assert labels == ["Elemwise{exp,no_inplace}  id=0", "Elemwise{log,no_inplace}  id=1"]


def test_views_are_blue_edges():
    x = T.dmatrix("x")
    dot = dot_of(T.exp(x.T), var_with_name_simple=True)
    transpose = dot.labelled("DimShuffle{1,0}")
    assert dot.edges_into(transpose) == [(dot.labelled("x"), {"color": "blue"})]


def test_labels_are_quoted_for_dot():
    x = T.dvector('say "hi" \\ bye')
    text = printing.to_dot(T.exp(x), var_with_name_simple=True)
    assert r'label="say \"hi\" \\ bye"' in text
    assert Dot(text).labelled('say "hi" \\ bye')


def test_to_dot_rejects_what_is_not_a_graph():
    with pytest.raises(TypeError, match="draw a variable, a list of variables"):
        printing.to_dot([T.dvector("x"), 3])


def test_an_apply_node_draws_its_outputs():
    x = T.dvector("x")
    assert printing.to_dot(T.exp(x).owner) == printing.to_dot(T.exp(x))


# --- compiled functions: fusion, in place, updates -------------------------------------------

def fused_function():
    x, y = T.dvectors("x", "y")
    return theano.function([x, y], T.exp(x) * y + 1.0)


def test_a_fused_node_is_a_cluster_showing_its_scalar_graph():
    dot = dot_of(fused_function(), var_with_name_simple=True)
    (cluster,) = dot.clusters
    inside = dot.clusters[cluster]
    composite = dot.labelled("Composite")
    inner = {dot.nodes[k]["label"] for k in inside if dot.nodes[k]["shape"] == "ellipse"}
    assert inner == {"exp", "mul", "add", "Composite"}
    placeholders = {dot.nodes[k]["label"] for k in inside if dot.nodes[k]["shape"] == "box"}
    assert placeholders == {"i0", "i1", "1.0"}  # the constant lives inside the fused node
    x, y = dot.labelled("x"), dot.labelled("y")
    assert x not in inside and y not in inside and composite in inside
    fed = {source: target for source, target, _ in dot.edges if target in inside and source not in inside}
    assert sorted(dot.nodes[t]["label"] for t in fed.values()) == ["i0", "i1"] and set(fed) == {x, y}
    exp = dot.labelled("exp")
    assert dot.edges_into(exp) == [(fed[x], {})]  # x goes to the placeholder that exp reads
    formula = dot.text.split("fused: ", 1)[1].split('"')[0]
    assert formula == f"((exp({dot.nodes[fed[x]]['label']}) * {dot.nodes[fed[y]]['label']}) + 1.0)"


def test_a_compiled_function_marks_in_place_nodes_and_updates():
    x = T.dmatrix("x")
    w = theano.shared(np.ones(3), name="w")
    f = theano.function([x], T.nnet.sigmoid(T.dot(x, w) + 1.0) * 2.0, updates=[(w, w * 2)])
    assert f.program.overwrites, "this function should write over a dead input"
    dot = dot_of(f, var_with_name_simple=True)
    assert any(a.get("color") == "red" for _, _, a in dot.edges)
    assert "{inplace}" in dot.text
    new_w, w_box = dot.labelled("new w"), dot.labelled("w")
    assert dot.nodes[new_w]["fillcolor"] == BLUE and dot.nodes[w_box]["fillcolor"] == CYAN
    (update,) = [a for s, t, a in dot.edges if (s, t) == (new_w, w_box)]
    assert update["label"] == "update" and update["style"] == "dashed"


# --- pictures ----------------------------------------------------------------------------------

@needs_dot
@pytest.mark.parametrize("format, magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_pydotprint_writes_pictures(tmp_path, format, magic):
    path = tmp_path / f"graph.{format}"
    assert printing.pydotprint(fused_function(), path, format=format) == str(path)
    assert magic in path.read_bytes()[:400]


@needs_dot
def test_pydotprint_defaults_and_return_image(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = T.dvector("x")
    assert printing.pydotprint(T.exp(x)) == "minitensor.pydotprint.png"
    assert (tmp_path / "minitensor.pydotprint.png").exists()
    image = printing.pydotprint(T.exp(x), format="svg", return_image=True)
    assert b"<svg" in image and len(list(tmp_path.iterdir())) == 1


def test_pydotprint_refuses_a_suffix_that_contradicts_the_format(tmp_path):
    with pytest.raises(ValueError, match="ends in .svg but format is 'png'; pass format='svg'"):
        printing.pydotprint(T.dvector("x"), tmp_path / "graph.svg", format="png")


def test_labels_are_cut_at_max_label_size():
    x = T.dvector("x")
    assert '"Elemwise..."' in printing.to_dot(T.exp(x), max_label_size=11)
    assert "Elemwise{exp,no_inplace}" in printing.to_dot(T.exp(x))


@needs_dot
@pytest.mark.parametrize("which", ["variable", "function", "stages"])
def test_graphviz_reads_every_kind_of_drawing(which):
    x = T.dvector('x "quoted"')
    w = theano.shared(np.ones(3), name="w")
    f = theano.function([x], T.nnet.sigmoid(T.dot(x, w)), updates=[(w, w * 2)])
    objects = {"variable": [T.nnet.sigmoid(T.dot(x, w))], "function": [f],
               "stages": printing.compilation_stages(f)}[which]
    for obj in objects:
        assert b"<svg" in printing.pydotprint(obj, format="svg", return_image=True)


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError) as error:
        printing.pydotprint(T.dvector("x"), format="svg", return_image=True)
    assert 'pip install -e ".[viz]"' in str(error.value)
    assert "apt-get install graphviz" in str(error.value)


@pytest.mark.skipif(not HAVE_PACKAGE, reason='needs the graphviz package: pip install -e ".[viz]"')
def test_a_missing_dot_program_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot program
    with pytest.raises(drawing.GraphvizNotFound, match="apt-get install graphviz"):
        printing.pydotprint(T.dvector("x"), format="svg", return_image=True)


@needs_dot
def test_jupyter_shows_variables_and_functions_as_svg():
    x = T.dvector("x")
    assert "<svg" in T.exp(x)._repr_svg_()
    assert "<svg" in fused_function()._repr_svg_()


def test_jupyter_falls_back_to_text_without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    assert T.dvector("x")._repr_svg_() is None
    assert fused_function()._repr_svg_() is None


# --- compilation stages -------------------------------------------------------------------------

def logistic_train(mode=None):
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = theano.shared(np.zeros(5), name="w"), theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return theano.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                           mode=mode)


def test_the_stages_replay_the_compilation():
    f = logistic_train()
    stages = printing.compilation_stages(f)
    assert [s.phase for s in stages] == ["as written"] + [p for p in PHASES if p != "inplace"] + ["scheduled"]
    replayed = [(r.phase, r.rule) for s in stages for r in s.rewrites]
    assert replayed == [(r.phase, r.rule) for r in f.maker.rewrites]
    assert len(stages[0].nodes) == len(toposort(f.maker.original_outputs))
    assert len(stages[-2].nodes) == len(stages[-1].nodes) == len(f.maker.fgraph.apply_nodes)
    assert [target for target, _ in stages[0].updates] == f.update_targets
    assert stages[-1].function is f


def test_stages_follow_the_mode():
    stages = printing.compilation_stages(logistic_train(Mode(excluding=["fusion", "stabilize"])))
    assert [s.phase for s in stages] == ["as written", "merge", "canonicalize", "specialize", "expand", "merge",
                                         "scheduled"]
    assert [s.phase for s in printing.compilation_stages(logistic_train("FAST_COMPILE"))] == \
        ["as written", "scheduled"]


def test_a_stage_says_what_fired():
    stages = printing.compilation_stages(logistic_train())
    stabilize = next(s for s in stages if s.phase == "stabilize")
    assert "log_sigmoid" in stabilize.rules()
    assert str(stabilize).startswith(f"after stabilize: {len(stabilize.nodes)} nodes; rules: ")
    assert "log_sigmoid x" in str(stabilize)
    assert str(stages[0]) == f"as written: {len(stages[0].nodes)} nodes"


def test_a_stage_is_drawn_with_its_updates_and_title():
    stages = printing.compilation_stages(logistic_train())
    dot = dot_of(stages[3], var_with_name_simple=True)
    assert 'label="after stabilize"' in dot.text
    assert any(a.get("label") == "update" for _, _, a in dot.edges)


def test_show_compilation_prints_each_stage():
    text = io.StringIO()
    printing.show_compilation(logistic_train(), file=text)
    headings = [line for line in text.getvalue().splitlines() if line.startswith("--- ")]
    assert headings[0].startswith("--- 0. as written: ")
    assert headings[-1].startswith("--- 8. scheduled: ")
    assert "Composite{" in text.getvalue()


@needs_dot
def test_show_compilation_draws_each_stage_that_changed(tmp_path):
    text = io.StringIO()
    stages = printing.show_compilation(logistic_train(), directory=tmp_path, format="svg", file=text)
    drawn = sorted(p.name for p in tmp_path.iterdir())
    changed = [n for n, s in enumerate(stages) if s.rewrites or s.phase in ("as written", "scheduled")]
    assert [int(name[:2]) for name in drawn] == changed
    assert drawn[0] == "00-as-written.svg" and drawn[-1] == "08-scheduled.svg"
    assert f"picture: {tmp_path / drawn[0]}" in text.getvalue()
