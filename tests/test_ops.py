"""Every op against NumPy and finite differences, driven by the table in ``op_specs.py``.

For each row: the forward values and dtype match NumPy on random broadcasting
shapes; the gradient matches central finite differences at every element under
a random cotangent (float64, tight tolerances); so does the gradient of the
gradient, since gradients are graphs too.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitensor
import minitensor.tensor as T
from minitensor.gradient import verify_grad
from minitensor.graph import Op
from minitensor.tensor.type import TensorType
from op_specs import SPECS

TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def draw_inputs(spec, data, dtype):
    shapes = data.draw(spec.shapes, label="shapes")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    fixed = spec.input_dtypes or (None,) * len(shapes)
    return [np.asarray(domain(rng, shape, fixed_dtype or dtype), dtype=fixed_dtype or dtype)
            for domain, shape, fixed_dtype in zip(spec.domains, shapes, fixed)], rng


def symbolic_like(array):
    return TensorType(array.dtype, [size == 1 for size in array.shape])()


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
@given(data=st.data())
def test_forward_matches_numpy(spec, data):
    dtype = data.draw(st.sampled_from(spec.dtypes), label="dtype")
    arrays, _ = draw_inputs(spec, data, dtype)
    inputs = [symbolic_like(a) for a in arrays]
    output = spec.build(*inputs)
    result = minitensor.function(inputs, output, accept_inplace=True)(*arrays)  # the table has add_inplace
    expected = np.asarray(spec.reference(*arrays))
    assert isinstance(result, np.ndarray)
    assert result.dtype == output.dtype == expected.dtype, "declared, computed and NumPy dtypes differ"
    assert result.shape == expected.shape
    tolerance = TOLERANCE.get(result.dtype.name, 0)
    np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance)


def _float_inputs_only(spec, arrays):
    """``spec.build`` as a function of its float inputs, the others bound as constants."""
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def build(*xs):
        args = [T.constant(a) for a in arrays]
        for i, x in zip(floats, xs):
            args[i] = x
        return spec.build(*args)
    return build, [arrays[i] for i in floats]


DIFFERENTIABLE = [spec for spec in SPECS if spec.differentiable]


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
@given(data=st.data())
def test_gradient_matches_finite_differences(spec, data):
    arrays, rng = draw_inputs(spec, data, "float64")
    build, point = _float_inputs_only(spec, arrays)
    verify_grad(build, point, n_tests=1, rng=rng, abs_tol=1e-7, rel_tol=1e-7)


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
@given(data=st.data())
def test_second_derivative_matches_finite_differences(spec, data):
    arrays, rng = draw_inputs(spec, data, "float64")
    build, point = _float_inputs_only(spec, arrays)
    output_shape = np.shape(spec.reference(*arrays))
    cotangent = rng.uniform(0.5, 1.5, output_shape)
    for k in range(len(point)):
        def gradient_of_input_k(*xs, k=k):
            return T.grad(T.sum(build(*xs) * cotangent), xs[k])
        verify_grad(gradient_of_input_k, point, n_tests=1, rng=rng, abs_tol=1e-6, rel_tol=1e-6)


def _concrete_ops():
    """Every op class in minitensor, without the bases that other minitensor ops subclass
    (Elemwise, Comparison, Reduce, RandomVariable). The ops of ``minitensor.scalar`` take
    scalar-typed variables, not tensors: ``tests/test_extending.py`` checks them."""
    found, stack = set(), [Op]
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        stack.extend(subclasses)
        is_base = any(sub.__module__.startswith("minitensor.") for sub in subclasses)
        if cls.__module__.startswith("minitensor.") and cls.__module__ != "minitensor.scalar" and not is_base:
            found.add(cls)
    return found


def test_every_op_has_a_spec():
    covered = {spec.op for spec in SPECS}
    missing = sorted(cls.__name__ for cls in _concrete_ops() - covered)
    assert not missing, f"ops without a row in tests/op_specs.py: {missing}"
    assert len(_concrete_ops()) >= 40
