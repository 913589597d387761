"""``ifelse``: types of the branches, lists of outputs, gradients through both branches, and the
rules that remove a conditional whose outcome is known when compiling. (Its forward values and
derivatives are property-tested from ``op_specs.py``; that the branch not taken is never run is
tested with the executor.)"""

import numpy as np
import pytest

import minitensor
import minitensor.tensor as T
from minitensor.ifelse import IfElse, ifelse


def ifelse_nodes(f):
    return [node for node in f.maker.fgraph.toposort() if isinstance(node.op, IfElse)]


def test_chooses_whole_values_by_a_scalar_condition():
    c = T.bscalar('c')
    x, y = T.dmatrices('x', 'y')
    f = minitensor.function([c, x, y], ifelse(c, x + 1, y * 2))
    ones = np.ones((2, 3))
    np.testing.assert_array_equal(f(1, ones, ones), ones + 1)
    np.testing.assert_array_equal(f(0, ones, ones), ones * 2)
    np.testing.assert_array_equal(f(-3, ones, ones), ones + 1)  # any nonzero value is true


def test_branches_may_have_different_shapes_at_run_time():
    c = T.bscalar('c')
    x, y = T.dvectors('x', 'y')
    f = minitensor.function([c, x, y], ifelse(c, x, y))
    assert f(1, np.arange(3.0), np.arange(5.0)).shape == (3,)
    assert f(0, np.arange(3.0), np.arange(5.0)).shape == (5,)


def test_lists_of_outputs_and_the_name():
    c = T.bscalar('c')
    x = T.dvector('x')
    first, second = ifelse(c, [x, x.sum()], [-x, x.max()], name="pick")
    assert (first.name, second.name) == ("pick[0]", "pick[1]")
    assert first.owner is second.owner  # one node chooses both
    f = minitensor.function([c, x], [first, second])
    v = np.array([1.0, 3.0])
    np.testing.assert_array_equal(f(1, v)[0], v)
    assert f(1, v)[1] == 4.0 and f(0, v)[1] == 3.0


def test_python_numbers_take_the_other_branch_dtype():
    c = T.bscalar('c')
    x = T.fscalar('x')
    out = ifelse(c, x, 0)
    assert out.dtype == "float32"
    assert minitensor.function([c, x], out)(0, 2.5) == 0.0


def test_output_is_broadcastable_only_where_both_branches_are():
    c = T.bscalar('c')
    row, matrix = T.drow('r'), T.dmatrix('m')
    assert ifelse(c, row, matrix).broadcastable == (False, False)
    assert ifelse(c, row, row).broadcastable == (True, False)


def test_mismatched_branches_are_named_with_their_lines():
    c = T.bscalar('c')
    x, v = T.dmatrix('x'), T.dvector('v')
    with pytest.raises(TypeError, match=r"one dtype and rank(.|\n)*x(.|\n)*test_ifelse.py(.|\n)*v"):
        ifelse(c, x, v)
    with pytest.raises(TypeError, match="one dtype and rank"):
        ifelse(c, x, T.fmatrix('f'))
    with pytest.raises(ValueError, match="then branch has 2 values and the else branch 1"):
        ifelse(c, [x, x], [x])
    with pytest.raises(TypeError, match="scalar condition"):
        ifelse(T.bvector('cs'), x, x)


def test_gradient_flows_to_the_branch_taken():
    c = T.bscalar('c')
    x, y = T.dvectors('x', 'y')
    cost = T.sum(ifelse(c, x ** 2, T.exp(y)) * np.array([1.0, 2.0]))
    gx, gy = minitensor.grad(cost, [x, y])
    f = minitensor.function([c, x, y], [gx, gy])
    vx, vy = np.array([1.0, -2.0]), np.array([0.5, 0.0])
    gx1, gy1 = f(1, vx, vy)
    np.testing.assert_allclose(gx1, 2 * vx * [1, 2])
    np.testing.assert_array_equal(gy1, 0)
    gx0, gy0 = f(0, vx, vy)
    np.testing.assert_array_equal(gx0, 0)
    np.testing.assert_allclose(gy0, np.exp(vy) * [1, 2])


def test_second_derivative_through_nested_conditionals():
    a, b = T.dscalars('a', 'b')
    inner = ifelse(T.gt(b, 0), a ** 3, a ** 2)
    outer = ifelse(T.gt(a, 0), inner, -a)
    d2 = minitensor.grad(minitensor.grad(outer, a), a)
    f = minitensor.function([a, b], d2)
    assert f(2.0, 1.0) == 12.0   # a^3 -> 6a
    assert f(2.0, -1.0) == 2.0   # a^2 -> 2
    assert f(-2.0, 1.0) == 0.0   # -a -> 0


def test_a_constant_condition_is_decided_when_compiling():
    x, y = T.dvectors('x', 'y')
    f = minitensor.function([x, y], ifelse(T.constant(1, dtype="int8"), x * 2, y * 3))
    assert ifelse_nodes(f) == []
    assert "ifelse_of_constant" in [r.rule for r in f.maker.rewrites]
    np.testing.assert_array_equal(f([1.0], [1.0]), [2.0])


def test_identical_branches_need_no_conditional():
    c = T.bscalar('c')
    x = T.dvector('x')
    f = minitensor.function([c, x], ifelse(c, T.exp(x), T.exp(x)))  # merged into one variable first
    assert ifelse_nodes(f) == []
    np.testing.assert_allclose(f(0, [0.0]), [1.0])


def test_output_does_not_alias_an_input():
    c = T.bscalar('c')
    x = T.dvector('x')
    f = minitensor.function([c, x], ifelse(c, x, -x))
    value = np.array([1.0, 2.0])
    out = f(1, value)
    out[0] = 100.0
    assert value[0] == 1.0


def test_the_shape_of_a_conditional_is_the_chosen_branchs_without_computing_either():
    c, a, b = T.lscalar("c"), T.dmatrix("a"), T.dmatrix("b")
    out = ifelse(c, T.dot(a, b), T.exp(a))
    shape = minitensor.function([c, a, b], out.shape)
    assert not any(type(node.op).__name__ in ("Dot", "Exp") for node in shape.maker.fgraph.toposort())
    rng = np.random.default_rng(4)
    av, bv = rng.random((2, 3)), rng.random((3, 5))
    assert list(shape(1, av, bv)) == [2, 5] and list(shape(0, av, bv)) == [2, 3]
    gradient = minitensor.function([c, a, b], T.grad(T.mean(out), a))
    np.testing.assert_allclose(gradient(1, av, bv), np.full((2, 5), 1 / 10) @ bv.T, rtol=1e-14)
    np.testing.assert_allclose(gradient(0, av, bv), np.exp(av) / 6, rtol=1e-14)
