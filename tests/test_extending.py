"""Ops, types and rewrites written Theano's way (``doc/extending/``), and the debugging tools.

A learner who follows Theano's "Extending Theano" page writes ops with ``perform``,
``__props__`` and Theano's ``grad``; these must work everywhere this project's own
ops do: in ``function``, ``grad``, ``verify_grad``, ``Rop``, ``jacobian`` and pickling.
"""

import io
import pickle
import warnings

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import gof
from minitensor.compile.ops import DeepCopyOp, as_op
from minitensor.compile.perform import PerformError
from minitensor.gradient import NullTypeGradError, grad_not_implemented, grad_undefined, verify_grad


class DoubleOp(theano.Op):
    """Theano's DoubleOp: x * 2, with perform, Theano's grad, R_op and infer_shape."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def infer_shape(self, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        return self.grad(inputs, eval_points)


class AXPB(theano.Op):
    """a * x + b, with its parameters in __props__ and its gradient as Theano's L_op."""

    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.a * inputs[0] + self.b

    def L_op(self, inputs, outputs, output_grads):
        return [output_grads[0] * self.a]


double = DoubleOp()


def test_a_perform_op_computes_in_function_and_has_its_gradient():
    x = T.dmatrix("x")
    f = theano.function([x], [double(x), T.grad(T.sum(double(x) ** 2), x)])
    value = np.arange(6.0).reshape(2, 3)
    out, g = f(value)
    np.testing.assert_allclose(out, value * 2)
    np.testing.assert_allclose(g, 8 * value)  # d/dx (2x)^2 = 8x
    verify_grad(double, [np.random.rand(3, 4)])
    verify_grad(AXPB(3.0, 1.0), [np.random.rand(2, 2)])


def test_a_perform_op_in_rop_jacobian_and_pickles():
    x, v = T.dvector("x"), T.dvector("v")
    rop = theano.function([x, v], T.Rop(double(x), x, v))
    np.testing.assert_allclose(rop([1.0, 2.0], [3.0, 5.0]), [6.0, 10.0])
    jacobian = theano.function([x], T.jacobian(double(x) * x, x))
    np.testing.assert_allclose(jacobian([1.0, 2.0]), np.diag([4.0, 8.0]))
    f = theano.function([x], double(x) + 1)
    loaded = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(loaded([1.0, 2.0]), [3.0, 5.0])
    assert pickle.loads(pickle.dumps(AXPB(2, 3))) == AXPB(2, 3)


def test_props_give_equality_hashing_a_name_and_merging():
    assert AXPB(4, 5) == AXPB(4, 5) and hash(AXPB(4, 5)) == hash(AXPB(4, 5))
    assert AXPB(4, 5) != AXPB(2, 3)
    assert str(AXPB(4, 5)) == "AXPB{a=4, b=5}"
    x = T.dvector("x")
    f = theano.function([x], AXPB(4, 5)(x) + AXPB(4, 5)(x))
    assert sum(isinstance(node.op, AXPB) for node in f.maker.fgraph.apply_nodes) == 1
    assert f([1.0]) == [18.0]


def test_itypes_and_otypes_stand_for_make_node():
    class Twice(theano.Op):
        __props__ = ()
        itypes, otypes = [T.dmatrix], [T.dmatrix]

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] * 2

    x = T.dmatrix("x")
    assert theano.function([x], Twice()(x))([[1.0]]) == [[2.0]]
    with pytest.raises(TypeError, match="input 0 must have type"):
        Twice()(T.fmatrix("y"))


class _Wrong(theano.Op):
    __props__ = ("what",)

    def __init__(self, what):
        self.what = what

    def make_node(self, x):
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        if self.what == "dtype":
            output_storage[0][0] = inputs[0].astype("float32")
        elif self.what == "ndim":
            output_storage[0][0] = inputs[0][None]


@pytest.mark.parametrize("what, message", [("dtype", "dtype float32"), ("ndim", "2 dimensions"),
                                           ("nothing", "did not write output 0")])
def test_a_wrong_perform_is_an_error_naming_the_op(what, message):
    x = T.dvector("x")
    f = theano.function([x], _Wrong(what)(x))
    with pytest.raises(PerformError, match=message) as error:
        f([1.0])
    assert "_Wrong{what=" in str(error.value)


def test_a_perform_op_runs_on_the_host_on_every_backend_with_one_warning(backend):
    from minitensor.compile import perform
    op = AXPB(7, 1)
    perform._warned_ops.discard(str(op))
    x = T.dvector("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = theano.function([x], T.exp(op(x * 2)), backend=backend)
        g = theano.function([x], op(x) + 1, backend=backend)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.exp([1.0, 15.0]))
    np.testing.assert_allclose(g(np.array([1.0])), [9.0])
    messages = [str(w.message) for w in caught if "perform()" in str(w.message)]
    assert messages == ([] if backend == "numpy" else [messages[0]])
    assert backend == "numpy" or "AXPB{a=7, b=1}" in messages[0]


def test_undefined_and_unimplemented_gradients_name_the_op():
    class Floor(theano.Op):
        __props__ = ("undefined",)

        def __init__(self, undefined):
            self.undefined = undefined

        def make_node(self, x):
            return theano.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = np.floor(inputs[0])

        def grad(self, inputs, output_grads):
            make = grad_undefined if self.undefined else grad_not_implemented
            return [make(self, 0, inputs[0])]

    x, y = T.dscalar("x"), T.dscalar("y")
    with pytest.raises(NullTypeGradError, match="Floor{undefined=True}.*mathematically undefined"):
        T.grad(Floor(True)(x) * 2, x)
    with pytest.raises(NullTypeGradError, match="not implemented"):
        T.grad(Floor(False)(x) + y, x)
    assert theano.function([x, y], T.grad(Floor(False)(x) + y, y))(1.5, 2.0) == 1.0  # no harm elsewhere


def test_a_disconnected_gradient_contributes_nothing():
    class First(theano.Op):
        __props__ = ()

        def make_node(self, x, y):
            return theano.Apply(self, [x, y], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0].copy()

        def grad(self, inputs, output_grads):
            return [output_grads[0], theano.gradient.DisconnectedType()()]

    x, y = T.dvector("x"), T.dvector("y")
    gx, gy = T.grad(T.sum(First()(x, y)), [x, y], disconnected_inputs="ignore")
    f = theano.function([x, y], [gx, gy], on_unused_input="ignore")
    assert [list(v) for v in f([1.0], [2.0])] == [[1.0], [0.0]]


def test_as_op_wraps_a_function_its_shape_costs_no_call_and_it_pickles():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    product = numpy_dot(x, y)
    a, b = np.random.rand(2, 3), np.random.rand(3, 4)
    np.testing.assert_allclose(theano.function([x, y], product)(a, b), a @ b)
    shape = theano.function([x, y], product.shape)
    assert not any(isinstance(node.op, type(numpy_dot)) for node in shape.maker.fgraph.apply_nodes)
    assert list(shape(a, b)) == [2, 4]
    assert pickle.loads(pickle.dumps(numpy_dot)) is numpy_dot


@as_op(itypes=[T.dmatrix, T.dmatrix], otypes=[T.dmatrix],
       infer_shape=lambda node, shapes: [shapes[0][:-1] + shapes[1][-1:]])
def numpy_dot(a, b):
    return np.dot(a, b)


# --- types -----------------------------------------------------------------------------------

class Double(gof.Type):
    """Theano's Python-float type (doc/extending/type.txt)."""

    def filter(self, x, strict=False, allow_downcast=None):
        if strict and not isinstance(x, float):
            raise TypeError("Expected a float!")
        return float(x)

    def __eq__(self, other):
        return type(other) is Double

    def __hash__(self):
        return hash(Double)

    def __str__(self):
        return "double"


class BinaryDoubleOp(gof.Op):
    __props__ = ("name", "fn")

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def make_node(self, x, y):
        x, y = [gof.Constant(Double(), float(v)) if isinstance(v, (int, float)) else v for v in (x, y)]
        return gof.Apply(self, [x, y], [Double()()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.fn(*inputs)

    def __str__(self):
        return self.name


def _multiply(a, b):
    return a * b


def test_a_type_of_ones_own_compiles_filters_and_folds():
    mul = BinaryDoubleOp("mul", _multiply)
    x, y = Double()("x"), Double()("y")
    f = theano.function([x, y], mul(x, mul(y, 2)))
    assert f(5, 6) == 60.0
    # A GPU function hands results back through backends/cuda.py's host_results, which makes
    # every result a NumPy array; on NumPy the user's type's values come back as they are.
    assert theano.config.device != "cpu" or type(f(5, 6)) is float
    folded = theano.function([], mul(3, 4))
    assert folded() == 12.0
    with pytest.raises(TypeError, match="bad input argument 'x'"):
        f("five", 6)


# --- rewrites ----------------------------------------------------------------------------------

def test_function_graph_replace_clients_and_validate():
    from minitensor.scalar import add, float64, mul
    x, y = float64("x"), float64("y")
    fgraph = gof.FunctionGraph([x, y], [add(mul(x, y), y)])
    product = fgraph.outputs[0].owner.inputs[0]
    assert fgraph.clients[y] == [(product.owner, 1), (fgraph.outputs[0].owner, 1)]
    fgraph.replace_validate(product, x)
    assert str(fgraph) == "[add(x, y)]"
    assert fgraph.clients[x] == [(fgraph.outputs[0].owner, 0)]

    class Refuse(gof.toolbox.Feature):
        def validate(self, fgraph):
            raise gof.InconsistencyError("no")

    fgraph.attach_feature(Refuse())
    with pytest.raises(gof.InconsistencyError):
        fgraph.replace_validate(fgraph.outputs[0], x)
    assert str(fgraph) == "[add(x, y)]"  # undone
    with pytest.raises(gof.InconsistencyError, match="types differ"):
        fgraph.replace(x, T.dscalar("z"))


def test_pattern_op_sub_op_remove_and_merge_on_scalar_graphs():
    from minitensor.scalar import add, float64, identity, mul, true_div
    x, y, z = float64("x"), float64("y"), float64("z")
    simplify = gof.TopoOptimizer(gof.PatternSub((true_div, (mul, "x", "y"), "y"), "x"))
    fgraph = gof.FunctionGraph([x, y, z], [add(z, true_div(mul(identity(x), y), y))])
    gof.TopoOptimizer(gof.OpRemove(identity)).optimize(fgraph)
    simplify.optimize(fgraph)
    assert str(fgraph) == "[add(z, x)]"
    gof.TopoOptimizer(gof.OpSub(add, mul)).optimize(fgraph)
    assert str(fgraph) == "[mul(z, x)]"
    fgraph = gof.FunctionGraph([y, z], [true_div(add(y, z), add(y, z))])
    stats = gof.MergeOptimizer().optimize(fgraph)
    assert stats[5] == 1 and str(fgraph) == "[true_div(*1 -> add(y, z), *1)]"


def test_canonizers_cancel_terms_fold_constants_and_keep_the_shape():
    from minitensor.tensor.opt import Canonizer
    add_canonizer = Canonizer(T.add, T.sub, T.neg, lambda n, d: sum(n) - sum(d))
    mul_canonizer = Canonizer(T.mul, T.true_div, T.inv, lambda n, d: np.prod(n) / np.prod(d))
    x, y, m = T.dvector("x"), T.dscalar("y"), T.dmatrix("m")
    cases = [  # (expression, canonizer, what it becomes: filled to the shape it had, inputs)
        (x + y - x, add_canonizer, "fill((x + DimShuffle{x}(y)), DimShuffle{x}(y))", [x, y]),
        (-(x - m) + 3 - (1 - x), add_canonizer, "(m + DimShuffle{x,x}(TensorConstant{2.0}))", [x, m]),
        ((x * y * 2) / (x * 4), mul_canonizer,
         "fill(((x * DimShuffle{x}(y)) * DimShuffle{x}(TensorConstant{2.0})), "
         "DimShuffle{x}((y * TensorConstant{0.5})))", [x, y]),
        (m / m, mul_canonizer, "fill(m, DimShuffle{x,x}(TensorConstant{1.0}))", [m]),
    ]
    values = {x: np.array([1.0, 2.0]), y: 3.0, m: np.arange(4.0).reshape(2, 2) + 1}
    for expression, canonizer, simpler, inputs in cases:
        fgraph = gof.FunctionGraph(inputs, [expression])
        gof.TopoOptimizer(canonizer).optimize(fgraph)
        out = fgraph.outputs[0]
        assert out.type == expression.type and theano.printing.pp(out) == simpler
        args = [values[v] for v in inputs]
        np.testing.assert_allclose(theano.function(inputs, out, on_unused_input="ignore")(*args),
                                   theano.function(inputs, expression)(*args))
    # nothing to cancel or fold: the node is left alone
    assert mul_canonizer.transform((x * y).owner) is False
    assert add_canonizer.transform((x - x * 2 + y).owner) is False


def test_a_registered_local_optimizer_fires_in_function_and_is_logged():
    from minitensor.rewriting.optdb import optdb
    fibby_like = AXPB(1, 0)  # the identity, as an op the compiler knows nothing about

    @gof.local_optimizer([fibby_like])
    def remove_identity_axpb(node):
        """AXPB{a=1, b=0}(x) -> x"""
        return [node.inputs[0]]

    theano.tensor.opt.register_canonicalize(remove_identity_axpb)
    try:
        x = T.dvector("x")
        f = theano.function([x], fibby_like(x) * 3)
        assert not any(isinstance(node.op, AXPB) for node in f.maker.fgraph.apply_nodes)
        assert [r.rule for r in f.maker.rewrites if r.rule == "remove_identity_axpb"] == ["remove_identity_axpb"]
        kept = theano.function([x], fibby_like(x) * 3, mode=theano.Mode(excluding=["remove_identity_axpb"]))
        assert any(isinstance(node.op, AXPB) for node in kept.maker.fgraph.apply_nodes)
    finally:
        del optdb["canonicalize"].entries["remove_identity_axpb"]


def test_a_global_optimizer_registered_in_optdb_runs_at_its_position():
    from minitensor.rewriting.optdb import optdb

    class DoubleToAdd(gof.Optimizer):
        def apply(self, fgraph):
            for node in fgraph.toposort():
                if node.op == double:
                    fgraph.replace_validate(node.outputs[0], node.inputs[0] + node.inputs[0], "double_to_add")

    optdb.register("double_to_add", DoubleToAdd(), 0.5, "fast_run")
    try:
        x = T.dvector("x")
        f = theano.function([x], double(x))
        assert not any(isinstance(node.op, DoubleOp) for node in f.maker.fgraph.apply_nodes)
        assert "double_to_add" in [r.rule for r in f.maker.rewrites]
        assert list(f([1.0, 2.0])) == [2.0, 4.0]
    finally:
        del optdb.entries["double_to_add"]


# --- shapes ------------------------------------------------------------------------------------

def test_the_shape_of_an_expression_is_computed_from_its_inputs_shapes():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = theano.function([x], (x ** 2).shape)
    assert [type(node.op).__name__ for node in f.maker.fgraph.apply_nodes] == ["Shape_i", "Shape_i", "MakeVector"]
    assert list(f(np.zeros((3, 4)))) == [3, 4]
    joined = theano.function([x, y], T.join(0, T.exp(x), y).shape)
    assert list(joined(np.zeros((5, 4)), np.zeros((3, 4)))) == [8, 4]
    fixed = theano.function([x], (T.specify_shape(x, (2, 2)) ** 2).shape)
    assert [type(node.op) for node in fixed.maker.fgraph.apply_nodes] == [DeepCopyOp]
    v, m = T.dvector("v"), T.dmatrix("m")
    mixed = theano.function([m, v], [T.dot(m, v).shape, (T.exp(v) * 2).shape])
    assert [list(s) for s in mixed(np.zeros((3, 2)), np.zeros(2))] == [[3], [2]]


# --- debugging ---------------------------------------------------------------------------------

def test_test_values_raise_at_the_line_that_builds_a_wrong_node():
    previous = theano.config.compute_test_value
    theano.config.compute_test_value = "raise"
    try:
        x = T.dmatrix("x")
        x.tag.test_value = np.zeros((5, 10))
        h = T.dot(x, x.T)
        assert h.tag.test_value.shape == (5, 5)
        with pytest.raises(ValueError):
            T.dot(x, x)
        with pytest.raises(ValueError, match="has none"):
            T.exp(T.dmatrix("no_value"))
    finally:
        theano.config.compute_test_value = previous


def test_print_prints_when_run_and_passes_gradients(capsys):
    x = T.dvector("x")
    printed = theano.printing.Print("x is")(x)
    f = theano.function([x], [printed * 5, T.grad(T.sum(printed * 5), x)])
    assert capsys.readouterr().out == ""
    values, g = f([1.0, 2.0])
    assert capsys.readouterr().out == "x is __str__ = [1. 2.]\n"
    assert list(g) == [5.0, 5.0]


def test_monitor_mode_calls_its_functions_around_every_node():
    seen = []
    x = T.dscalar("x")
    mode = theano.compile.MonitorMode(pre_func=lambda i, node, fn: seen.append(("pre", i, fn.inputs)),
                                      post_func=lambda i, node, fn: seen.append(("post", i, fn.outputs)))
    theano.function([x], T.exp(x) * x, mode=mode.excluding("fusion"))(0.0)
    assert [(what, i) for what, i, _ in seen] == [("pre", 0), ("post", 0), ("pre", 1), ("post", 1)]
    assert seen[1][2] == [[np.asarray(1.0)]]


def test_nan_guard_mode_stops_at_big_values():
    from minitensor.compile.nanguardmode import NanGuardMode
    x = T.dvector("x")
    f = theano.function([x], x * 1e6, mode=NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True))
    assert f([1.0]) == [1e6]
    with pytest.raises(AssertionError, match="above 1e\\+10"):
        f([1e5])


def test_profile_times_nodes_calls_and_phases(capsys):
    x = T.dmatrix("x")
    f = theano.function([x], T.dot(x, x).sum(), profile=True, name="square")
    f(np.ones((3, 3)))
    f(np.ones((3, 3)))
    assert f.profile.call_count == 2 and sum(f.profile.node_calls.values()) == 4
    assert "canonicalize" in f.profile.phase_times
    f.profile.summary()
    text = capsys.readouterr().out
    assert "Time in 2 calls" in text and "dot(x, x)" in text


def test_add_inplace_never_overwrites_what_is_read_elsewhere():
    from minitensor.tensor.inplace import add_inplace
    x, y = T.dvectors("x", "y")
    value = np.array([1.0, 2.0])
    f = theano.function([x, y], [T.exp(x), add_inplace(x, y), T.log(x)], accept_inplace=True)
    _, added, logged = f(value, np.array([1.0, 1.0]))
    assert list(value) == [1.0, 2.0] and list(added) == [2.0, 3.0]
    np.testing.assert_allclose(logged, np.log([1.0, 2.0]))
    computed = theano.function([x, y], add_inplace(T.exp(x), y), accept_inplace=True)
    assert not any(isinstance(node.op, DeepCopyOp) for node in computed.maker.fgraph.apply_nodes)


def test_theano_testing_helpers_pass_a_good_op_and_fail_a_wrong_one():
    import unittest
    from minitensor.tensor.tests.test_basic import makeTester
    from minitensor.tests import unittest_tools as utt
    from minitensor.tests.test_rop import RopLop_checker

    class DoubleTests(utt.InferShapeTester, RopLop_checker):
        def setUp(self):
            utt.InferShapeTester.setUp(self)
            RopLop_checker.setUp(self)

        def test_infer_shape(self):
            x = T.dmatrix("x")
            self._compile_and_check([x], [double(x)], [np.random.rand(5, 4)], DoubleOp)

        def test_rop_lop(self):
            self.check_rop_lop(double(self.x), self.in_shape)

    class WrongShape(DoubleOp):
        def infer_shape(self, node, input_shapes):
            return [input_shapes[0][::-1]]

    class WrongShapeTests(utt.InferShapeTester):
        def test_infer_shape(self):
            x = T.dmatrix("x")
            self._compile_and_check([x], [WrongShape()(x)], [np.random.rand(5, 4)], WrongShape)

    tester = makeTester("DoubleTester", double, lambda x: x * 2, good=dict(matrix=(np.random.rand(2, 3),)),
                        bad_build=dict(too_many=(np.ones(2), np.ones(2))), grad=True)
    loader = unittest.defaultTestLoader
    for case, failures in [(DoubleTests, 0), (tester, 0), (WrongShapeTests, 1)]:
        result = unittest.TextTestRunner(stream=io.StringIO()).run(loader.loadTestsFromTestCase(case))
        assert (len(result.failures) + len(result.errors), result.testsRun > 0) == (failures, True), case


def test_older_and_newer_infer_shape_signatures_and_view_maps():
    class Transposed(theano.Op):
        """x.T by perform; infer_shape in PyTensor's signature; the output is a view of x."""
        __props__ = ()
        view_map = {0: [0]}

        def make_node(self, x):
            return theano.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0].T

        def infer_shape(self, fgraph, node, input_shapes):
            return [input_shapes[0][::-1]]

    x = T.dmatrix("x")
    value = np.zeros((2, 3))
    shape = theano.function([x], T.exp(Transposed()(x)).shape)
    assert list(shape(value)) == [3, 2]
    assert not any(isinstance(node.op, Transposed) for node in shape.maker.fgraph.apply_nodes)
    out = theano.function([x], Transposed()(x))(value)
    out[0, 0] = 5.0  # the view of the input was copied before it was returned
    assert value[0, 0] == 0.0


def test_print_of_a_constant_prints_when_run_not_when_compiled(capsys):
    f = theano.function([], theano.printing.Print("c")(T.constant(np.array([1.0, 2.0]))) * 2)
    assert capsys.readouterr().out == ""
    f()
    assert capsys.readouterr().out == "c __str__ = [1. 2.]\n"


def test_detect_nan_reports_the_first_node_making_nan(capsys):
    from minitensor.compile.monitormode import MonitorMode, detect_nan
    x = T.dscalar("x")
    with np.errstate(divide="ignore", invalid="ignore"):  # NumPy's own warnings about log(0) * 0
        theano.function([x], [T.log(x) * x], mode=MonitorMode(post_func=detect_nan))(0.0)
    text = capsys.readouterr().out
    assert text.startswith("*** NaN detected ***\n") and "Inputs : [array(0.)]" in text


def test_optdb_queries_give_the_compilers_phases_as_an_optimizer():
    from minitensor.compile import optdb
    x = T.dvector("x")
    fgraph = gof.FunctionGraph([x], [T.log(1 - T.nnet.sigmoid(x)) * 1])
    everything = optdb.query(gof.Query(include=["fast_run"]))
    assert [o.name for o in optdb.query(gof.Query(include=["fast_run"], exclude=["inplace", "fusion"])).optimizers] \
        == ["merge", "canonicalize", "stabilize", "specialize", "expand", "merge2"]
    everything.optimize(fgraph)
    assert str(fgraph) == "[Composite{-(maximum(i0, 0.0) + log1p(exp(-abs_(i0))))}(x)]"


def test_connection_pattern_disconnects_an_input_from_an_output():
    class SumAndFirst(theano.Op):
        """(x + y, x): y has no say in the second output."""
        __props__ = ()

        def make_node(self, x, y):
            return theano.Apply(self, [x, y], [x.type(), x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] + inputs[1]
            output_storage[1][0] = inputs[0].copy()

        def connection_pattern(self, node):
            return [[True, True], [True, False]]

        def grad(self, inputs, output_grads):
            g_sum, g_first = output_grads
            return [g_sum + g_first, g_first]  # wrong for y, which the connection pattern disconnects

    x, y = T.dvector("x"), T.dvector("y")
    second = SumAndFirst()(x, y)[1]
    gx, gy = T.grad(T.sum(second * 3), [x, y], disconnected_inputs="ignore")
    f = theano.function([x, y], [gx, gy], on_unused_input="ignore")
    assert [list(v) for v in f([1.0], [2.0])] == [[3.0], [0.0]]


def test_rop_asks_an_ops_own_r_op():
    class Scale(theano.Op):
        """3 x, whose R_op is written (wrongly on purpose: 5 v) to show that it is the one used."""
        __props__ = ()

        def make_node(self, x):
            return theano.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] * 3

        def grad(self, inputs, output_grads):
            return [output_grads[0] * 3]

        def R_op(self, inputs, eval_points):
            return [None if eval_points[0] is None else eval_points[0] * 5]

    x, v = T.dvector("x"), T.dvector("v")
    f = theano.function([x, v], T.Rop(T.exp(Scale()(x)) * 2, x, v))
    value, direction = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    np.testing.assert_allclose(f(value, direction), 2 * np.exp(3 * value) * 5 * direction)
    g = theano.function([x, v], T.Rop(double(T.sin(x)), x, v))  # R_op after an op without one
    np.testing.assert_allclose(g(value, direction), 2 * np.cos(value) * direction)
