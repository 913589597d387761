"""``pp`` (one-line formulas) and ``debugprint`` (Theano's tree with ``[id X]`` labels)."""

import io
import re

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import printing

DEPTH = 5000


def debugprint_text(obj):
    return printing.debugprint(obj, file=io.StringIO()).getvalue()


# --- pp ------------------------------------------------------------------------------------

def test_pp_infix():
    x, y = T.dscalars("x", "y")
    assert theano.pp(x + y) == "(x + y)"
    assert theano.pp(x * y) == "(x * y)"
    assert theano.pp(x - y) == "(x - y)"
    assert theano.pp(x / y) == "(x / y)"


def test_pp_nests_with_parentheses():
    x, y, z = T.dscalars("x", "y", "z")
    assert theano.pp(x + y * z) == "(x + (y * z))"
    assert theano.pp((x + y) * z) == "((x + y) * z)"
    assert theano.pp((x - y) / (y + z)) == "((x - y) / (y + z))"


def test_pp_function_style_ops_and_constants():
    x, y = T.dscalars("x", "y")
    assert theano.pp(T.exp(x)) == "exp(x)"
    assert theano.pp(T.exp(x + y)) == "exp((x + y))"
    assert theano.pp(T.tanh(T.exp(x))) == "tanh(exp(x))"
    assert theano.pp(x * 2) == "(x * TensorConstant{2.0})"  # constants as Theano prints them
    assert theano.pp(T.fill(x, 1.0)) == "fill(x, TensorConstant{1.0})"
    assert theano.pp(-x) == "-x"


def test_pp_leaves():
    x = T.dvector("x")
    assert theano.pp(x) == "x"
    assert printing.pp is theano.pp


def test_pp_deep_graph_does_not_hit_the_recursion_limit():
    x = T.dscalar("x")
    y = x
    for _ in range(DEPTH):
        y = y + x
    text = theano.pp(y)
    assert text == "(" * DEPTH + "x" + " + x)" * DEPTH


# --- debugprint ----------------------------------------------------------------------------

def test_debugprint_tree_format():
    x, y, z = T.dscalars("x", "y", "z")
    expected = (
        "Elemwise{add,no_inplace} [id A] ''\n"
        " |x [id B]\n"
        " |Elemwise{mul,no_inplace} [id C] ''\n"
        "   |y [id D]\n"
        "   |z [id E]\n"
    )
    assert debugprint_text(x + y * z) == expected


def test_debugprint_three_levels():
    x, y, z = T.dscalars("x", "y", "z")
    expected = (
        "Elemwise{exp,no_inplace} [id A] ''\n"
        " |Elemwise{add,no_inplace} [id B] ''\n"
        "   |x [id C]\n"
        "   |Elemwise{mul,no_inplace} [id D] ''\n"
        "     |y [id E]\n"
        "     |z [id F]\n"
    )
    assert debugprint_text(T.exp(x + y * z)) == expected


def test_debugprint_repeated_node_is_printed_by_its_label_without_children():
    x, y = T.dscalars("x", "y")
    h = x + y
    expected = (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{add,no_inplace} [id B] ''\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |Elemwise{add,no_inplace} [id B] ''\n"
    )
    assert debugprint_text(h * h) == expected


def test_debugprint_repeated_leaf_keeps_its_label():
    x = T.dscalar("x")
    expected = (
        "Elemwise{add,no_inplace} [id A] ''\n"
        " |x [id B]\n"
        " |x [id B]\n"
    )
    assert debugprint_text(x + x) == expected


def test_debugprint_named_intermediate():
    x, y = T.dscalars("x", "y")
    h = x + y
    h.name = "h"
    out = T.exp(h)
    out.name = "out"
    expected = (
        "Elemwise{exp,no_inplace} [id A] 'out'\n"
        " |Elemwise{add,no_inplace} [id B] 'h'\n"
        "   |x [id C]\n"
        "   |y [id D]\n"
    )
    assert debugprint_text(out) == expected


def test_debugprint_list_shares_labels():
    x, y = T.dscalars("x", "y")
    h = x + y
    expected = (
        "Elemwise{add,no_inplace} [id A] ''\n"
        " |x [id B]\n"
        " |y [id C]\n"
        "Elemwise{mul,no_inplace} [id D] ''\n"
        " |Elemwise{add,no_inplace} [id A] ''\n"
        " |x [id B]\n"
    )
    assert debugprint_text([h, h * x]) == expected


def test_debugprint_unnamed_leaves_and_constants():
    x = T.dscalar()
    text = debugprint_text(x * 3.0)
    assert text.splitlines() == [
        "Elemwise{mul,no_inplace} [id A] ''",
        " |<TensorType(float64, scalar)> [id B]",
        " |TensorConstant{3.0} [id C]",
    ]


def test_debugprint_compiled_function_shows_execution_order():
    x, y, z = T.dscalars("x", "y", "z")
    f = theano.function([x, y, z], x + y * z, mode="FAST_COMPILE")
    lines = debugprint_text(f).splitlines()
    assert lines == [
        "Elemwise{add,no_inplace} [id A] ''   1",
        " |x [id B]",
        " |Elemwise{mul,no_inplace} [id C] ''   0",
        "   |y [id D]",
        "   |z [id E]",
    ]


def test_debugprint_compiled_function_shows_fused_composite_and_inplace():
    x, y, z = T.dvectors("x", "y", "z")
    f = theano.function([x, y, z], x + y * z)
    assert debugprint_text(f).splitlines() == [
        "Composite{(i0 + (i1 * i2))} [id A] ''   0",
        " |x [id B]",
        " |y [id C]",
        " |z [id D]",
    ]
    g = theano.function([x, y], T.exp(x) + T.sum(y), mode=theano.compile.mode.Mode(excluding=["fusion"]))
    assert debugprint_text(g).splitlines()[0] == "Elemwise{add,inplace} [id A] ''   3"


def test_debugprint_compiled_function_positions_are_a_topological_order():
    x, y = T.dvectors("x", "y")
    a = T.exp(x)
    b = a * y
    f = theano.function([x, y], [b + a, b.sum()], mode="FAST_COMPILE")
    positions = {}
    for line in debugprint_text(f).splitlines():
        match = re.match(r"^((?: \||  )*)(\S+) \[id (\w+)\] '[^']*'\s+(\d+)$", line)
        if match:
            positions.setdefault(match.group(3), int(match.group(4)))
        else:
            assert re.match(r"^(?: \||  )*(x|y) \[id \w+\]$", line), line  # leaves carry no position
    assert sorted(positions.values()) == list(range(len(positions)))
    assert len(positions) == 4  # exp, mul, add, sum: each node once


def test_debugprint_draws_theano_bars_and_takes_its_options():
    x, y = T.dscalars("x", "y")
    out = T.exp(x + y) * x
    assert printing.debugprint(out, file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{exp,no_inplace} [id B] ''\n"
        " | |Elemwise{add,no_inplace} [id C] ''\n"  # the bar continues down to B's sibling, x
        " |   |x [id D]\n"
        " |   |y [id E]\n"
        " |x [id D]\n")
    assert printing.debugprint(out, depth=2, ids="int", file="str") == (
        "Elemwise{mul,no_inplace} [id 0] ''\n |Elemwise{exp,no_inplace} [id 1] ''\n |x [id 2]\n")
    assert printing.debugprint(x, print_type=True, ids="", file="str") == "x <TensorType(float64, scalar)>\n"
    assert printing.debugprint(out) is None


def test_debugprint_writes_to_file_and_returns_it(capsys):
    x = T.dscalar("x")
    buffer = io.StringIO()
    assert printing.debugprint(T.exp(x), file=buffer) is buffer
    assert buffer.getvalue() == "Elemwise{exp,no_inplace} [id A] ''\n |x [id B]\n"
    assert capsys.readouterr().out == ""
    printing.debugprint(T.exp(x))
    assert capsys.readouterr().out == "Elemwise{exp,no_inplace} [id A] ''\n |x [id B]\n"


def test_debugprint_rejects_other_objects():
    with pytest.raises(TypeError):
        printing.debugprint([T.dscalar("x"), 3], file=io.StringIO())


def test_debugprint_deep_graph_does_not_hit_the_recursion_limit():
    x = T.dscalar("x")
    y = x
    for _ in range(DEPTH):
        y = y + x
    lines = debugprint_text(y).splitlines()
    assert len(lines) == 2 * DEPTH + 1
    assert lines[0] == "Elemwise{add,no_inplace} [id A] ''"
    assert lines[1] == " |Elemwise{add,no_inplace} [id B] ''"
    labels = [re.search(r"\[id (\w+)\]", line).group(1) for line in lines]
    assert len(set(labels[:DEPTH])) == DEPTH  # every addition has its own label
    x_label = labels[DEPTH]
    # Deep lines say their depth rather than being indented ever further (see _MAX_INDENT).
    assert lines[DEPTH].lstrip() == f"(depth {DEPTH}) |x [id {x_label}]"
    assert max(map(len, lines)) < 120
    assert lines[-1] == f" |x [id {x_label}]"
    assert x_label not in labels[:DEPTH]
    f = theano.function([x], y, mode="FAST_COMPILE")
    assert f(np.float64(1.0)) == DEPTH + 1
    lines = debugprint_text(f).splitlines()
    assert len(lines) == 2 * DEPTH + 1
    assert lines[0].endswith(f"   {DEPTH - 1}")



def test_min_informative_str_stops_at_names_and_tags_repeats():
    x = T.dscalar("x")
    e = T.exp(x)
    h = e * 2
    h.name = "h"
    assert printing.min_informative_str(e * x + h) == (
        "A. Elemwise{add,no_inplace}\n"
        " B. Elemwise{mul,no_inplace}\n"
        "  C. Elemwise{exp,no_inplace}\n"
        "   D. x\n"
        "  <D>\n"
        " E. h")  # a named variable ends its branch


def test_constants_print_as_in_theano():
    assert str(T.constant(np.array([2, 2]))) == "TensorConstant{(2,) of 2}"
    assert str(T.constant(np.zeros((3, 4)))) == "TensorConstant{(3, 4) of 0.0}"
    assert str(T.constant(1.5)) == "TensorConstant{1.5}"
