"""docs/differences.md stays true: each difference it lists is checked here, so that the entry
is removed (and this test changed) when the difference goes."""

import importlib.util
import pathlib

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor import printing

PAGE = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "differences.md").read_text()


def test_the_page_has_a_section_for_issue_17():
    assert "## Issue 17" in PAGE


def test_issue_18_a_sigmoid_compared_with_a_half_is_exact_where_the_sigmoid_rounds_to_it():
    assert "## Issue 18" in PAGE
    z = T.dvector("z")
    tiny = np.array([1e-17, -1e-17])
    assert theano.function([z], T.nnet.sigmoid(z) > 0.5, mode="FAST_COMPILE")(tiny).tolist() == [False, False]
    assert theano.function([z], T.nnet.sigmoid(z) > 0.5)(tiny).tolist() == [True, False]


def test_issue_18_a_contiguous_float32_sum_is_added_in_float32_by_the_numpy_program_only():
    x = T.fvector("x")
    values = np.full(10 ** 5, 0.1, dtype="float32")
    in_float64 = np.float32(np.add.reduce(values, dtype="float64"))
    py = theano.Mode(linker="py")
    added = theano.function([x], x.sum(), backend="numpy", mode=py)(values)
    assert added == np.add.reduce(values) != in_float64
    assert theano.function([x], x.sum(acc_dtype="float64"), backend="numpy", mode=py)(values) == in_float64
    if theano.function([x], x.sum(), backend="numpy").program.backend.linker == "c":  # where a compiler is found
        assert theano.function([x], x.sum(), backend="numpy", mode=theano.Mode(linker="c"))(values) == in_float64


def test_constants_take_the_expressions_dtype():
    x = T.dscalar("x")
    assert "TensorConstant{2.0}" in printing.pp(x ** 2)


def test_views_print_as_dimshuffle():
    assert str(T.shape_padleft(T.dvector("v"))) == "DimShuffle{x,0}.0"


def test_elementwise_nodes_of_a_gradient_print_as_a_users():
    x = T.dscalar("x")
    printed = theano.printing.debugprint(T.grad(x ** 2, x), file="str")
    assert "Elemwise{mul,no_inplace}" in printed and "Elemwise{mul} " not in printed


def test_pp_writes_dot_as_a_call():
    x, w = T.dmatrix("x"), T.dvector("w")
    assert printing.pp(T.dot(x, w)) == "dot(x, w)"


def test_a_copy_returns_what_the_original_returns():
    state, inc = theano.shared(0), T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    assert isinstance(accumulator.copy(delete_updates=True)(1), np.ndarray)


def test_random_streams_draw_other_numbers_than_theano_and_mrg_the_same():
    from minitensor.sandbox.rng_mrg import MRG_RandomStreams
    from minitensor.tensor.shared_randomstreams import RandomStreams
    theanos_first_draw = 0.72803009  # Theano's RandomStreams(123).uniform(size=(1,))
    assert abs(theano.function([], RandomStreams(123).uniform(size=(1,)))()[0] - theanos_first_draw) > 1e-6
    assert abs(theano.function([], MRG_RandomStreams(123).uniform(size=(1,)))()[0] - 0.23648804) < 1e-8


def test_out_of_scope_modules_are_absent():
    for module in ("minitensor.typed_list", "minitensor.tensor.fft", "minitensor.tensor.io"):
        assert importlib.util.find_spec(module) is None, f"{module} exists: update docs/differences.md"


def test_angle_follows_numpy_dtypes_and_its_gradient_is_atan2s():
    z = T.cvector("z")
    assert T.angle(z).dtype == "float32"  # Theano: float64 always
    g = T.grad(T.sum(T.angle(z)), z).eval({z: np.array([-1 + 1j], dtype="complex64")})
    np.testing.assert_allclose(g, [(-1 - 1j) / 2], rtol=1e-6)  # (-y + ix) / |z|^2, for x < 0 too


def test_complex_from_polar_does_not_check_the_radius():
    r, t = T.dscalars("r", "t")
    np.testing.assert_allclose(T.complex_from_polar(r, t).eval({r: -2.0, t: 0.0}), -2)


def test_every_op_with_a_complex_derivative_has_a_complex_gradient():
    z, w = T.zvectors("z", "w")
    g = T.grad(T.sum(abs(z + w)), z)  # Theano: NotImplementedError in add's gradient
    np.testing.assert_allclose(g.eval({z: [3j], w: [4.0]}), [0.8 + 0.6j])


def test_var_of_complex_values_is_real():
    z = T.zvector("z")
    assert T.var(z).dtype == "float64"
    np.testing.assert_allclose(T.var(z).eval({z: [1 + 2j, 3 - 1j]}), 3.25)


def test_fused_kernels_take_no_complex_values():
    from minitensor.backends.kernels import supports
    from minitensor.rewriting.fusion import Composite
    z = T.zvector("z")
    assert not supports(Composite((z,), (T.exp(z) * 2,)))


@pytest.mark.parametrize("name", ["erfcx", "gammainc", "jv", "iv"])
def test_functions_not_yet_built(name):
    assert not hasattr(T, name), f"T.{name} exists now: update docs/differences.md"


def test_diagonal_of_more_than_two_dimensions_is_not_built_yet():
    with pytest.raises(NotImplementedError):
        T.dtensor3("x").diagonal()


def test_an_inplace_op_does_not_write_over_an_input_not_marked_mutable():
    from minitensor.tensor.inplace import add_inplace
    x = T.dvector("x")
    f = theano.function([x], add_inplace(x, 1.0), accept_inplace=True)
    data = np.ones(3)
    f(data)
    np.testing.assert_array_equal(data, np.ones(3))  # Theano would leave 2.0 here


def test_the_linker_names_map_onto_the_c_linker_and_the_numpy_program():
    from minitensor.backends import C_LINKERS
    assert set(C_LINKERS) == {"c", "cvm", "c|py", "cvm_nogc", "c|py_nogc"}
    for linker in ("py", "vm", "vm_nogc"):
        assert get_backend_linker(linker) == "py"


def get_backend_linker(linker):
    from minitensor.backends import get_backend
    return get_backend("numpy", linker).linker


def test_the_c_linker_caches_under_the_users_cache_folder():
    default = theano.configuration.SETTINGS["compiledir"].default
    assert default.endswith("minitensor/c")
