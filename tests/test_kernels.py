"""The CUDA source of fused nodes (``backends/kernels.py``), checked without a GPU.

Each fused node of a few compiled functions is turned into its kernel's source;
the kernel body is compiled as C++ by the host compiler, run over a few arrays, and
compared with NumPy running the same Composite. CUDA's math functions follow C++'s,
so this catches a wrong formula, type or constant. tests/test_nvrtc.py compiles the
whole kernels, as CuPy writes them, with NVIDIA's compiler; the suite run with
``--backend=cupy`` runs them.
"""

import io
import shutil
import subprocess

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from cupy_standin import HOST_PRELUDE
from minitensor.backends.kernels import KernelSource, kernel_source
from minitensor.rewriting.fusion import Composite
from minitensor.tensor.c_helpers import C_TYPES as _C_TYPES

CXX = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")


def _graphs(dtype):
    """(name, function inputs, outputs) whose compiled form has fused nodes."""
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    a = x * y + 1
    yield "exp_mul_add", [x, y], [T.exp(y) * x + 1]
    yield "sigmoid_softplus", [x], [T.nnet.sigmoid(x), T.nnet.softplus(x)]
    yield "switch_leaky", [x], [T.switch(x > 0, x, 0.1 * x) - 2]
    yield "max_min_nan", [x, y], [T.maximum(x, y) * T.minimum(x, 0.5) + T.sqr(y)]
    yield "tanh_sqrt_abs", [x, y], [T.tanh(x) * y - T.sqrt(abs(x)) / (y * y + 1)]
    yield "two_outputs", [x, y], [a, T.exp(a) * 2]
    yield "log1p_exp", [x], [T.log1p(T.exp(x)) - T.sgn(x) * T.cos(x)]


def _int_graphs():
    i, j = T.ivector("i"), T.ivector("j")
    yield "int_div_mul", [i, j], [(i // j) * 3 - abs(i)]
    yield "int_to_float", [i, j], [T.cast(i * j, "float32") / 4 + 1]


def _cases():
    """(name, Composite, input arrays) for every fused node of every graph."""
    rng = np.random.default_rng(0)
    graphs = [(f"{name}_{dtype}", inputs, outputs) for dtype in ("float64", "float32")
              for name, inputs, outputs in _graphs(dtype)] + [(n, i, o) for n, i, o in _int_graphs()]
    for name, inputs, outputs in graphs:
        f = theano.function(inputs, outputs)
        fused = [node.op for node in f.program.nodes if isinstance(node.op, Composite)]
        assert fused, f"{name}: nothing was fused"
        for number, composite in enumerate(fused):
            arrays = []
            for p in composite.inputs:
                if p.dtype.startswith("int"):
                    values = rng.integers(-6, 7, size=8)
                    values[values == 0] = 1  # int_div's divisor
                else:
                    values = rng.uniform(-2, 2, size=8)
                arrays.append(values.astype(p.dtype))
            if name.startswith("max_min_nan"):
                arrays[0][0] = np.nan  # maximum and minimum propagate NaN, as NumPy does
            yield f"{name}_{number}", composite, arrays


CASES = list(_cases())


def _program(cases):
    """C++ running each case's kernel body at every position and printing each output."""
    # The code runs in namespace mt, where the host's math overloads are (backends/c.py).
    lines = [HOST_PRELUDE, "#include <cstdio>", "namespace mt {", kernel_source(cases[0][1]).preamble, "int run() {"]
    for case, (name, composite, arrays) in enumerate(cases):
        source = kernel_source(composite)
        lines.append(f"  // {name}: {composite}")
        for k, array in enumerate(arrays):
            values = ", ".join("NAN" if np.isnan(v) else repr(v.item()).lower() for v in array)
            lines.append(f"  const {_C_TYPES[array.dtype.name]} c{case}_x{k}[] = {{{values}}};")
        for k, value in enumerate(source.constants):
            if value.ndim:  # an array constant: its element at i, as the kernel broadcasts it
                value = np.broadcast_to(value, arrays[0].shape)
                values = ", ".join(repr(v) for v in value.astype(float).ravel().tolist())
                lines.append(f"  const {_C_TYPES[value.dtype.name]} c{case}_c{k}[] = {{{values}}};")
        lines.append(f"  for (int i = 0; i < {len(arrays[0])}; i++) {{")
        for k, value in enumerate(source.constants):
            c_value = f"c{case}_c{k}[i]" if value.ndim else _c_scalar(value)
            lines.append(f"    const {_C_TYPES[value.dtype.name]} c{k} = {c_value};")
        lines += [f"    const {_C_TYPES[a.dtype.name]} x{k} = c{case}_x{k}[i];" for k, a in enumerate(arrays)]
        lines += [f"    {_C_TYPES[o.dtype]} y{k};" for k, o in enumerate(composite.outputs)]
        lines += ["    {"] + ["      " + line for line in source.operation.splitlines()] + ["    }"]
        lines += [f"    printf(\"%.17g\\n\", (double) y{k});" for k in range(len(composite.outputs))]
        lines.append("  }")
    return "\n".join(lines + ["  return 0;", "}", "}  // namespace mt", "int main() { return mt::run(); }"])


def _c_scalar(value):
    """A NumPy scalar as C text that reads back as the same value."""
    if value.dtype.kind == "f":
        text = repr(float(value))
        return {"nan": "NAN", "inf": "INFINITY", "-inf": "-INFINITY"}.get(text, text)
    return str(value.item()).lower()


def test_source_text():
    x, y = T.fvectors("x", "y")
    (source,) = theano.printing.kernel_sources(theano.function([x, y], T.exp(y) * x + 1), file=io.StringIO())
    assert source == KernelSource("float32 x0, float32 x1, float32 c0", "float32 y0",
                                  "const float t0 = exp(x1);\nconst float t1 = (t0 * x0);\n"
                                  "const float t2 = (t1 + c0);\ny0 = t2;", source.name)
    assert source.name.startswith("minitensor_fused_")
    assert [c.item() for c in source.constants] == [1.0] and source.constants[0].dtype == "float32"


def test_graphs_differing_in_constants_share_one_kernel():
    x = T.fvector("x")
    first, second = (theano.function([x], T.exp(x) * c + 1) for c in (0.01, 0.02))
    (a,), (b,) = (theano.printing.kernel_sources(f, file=io.StringIO()) for f in (first, second))
    assert a == b and [c.item() for c in a.constants] != [c.item() for c in b.constants]


def test_equal_graphs_give_equal_sources():
    """The cache key of compiled kernels is the source: two functions' equal fused nodes share it."""
    x = T.dvector("x")
    first, second = (theano.function([x], T.exp(-x) * 2) for _ in range(2))
    assert theano.printing.kernel_sources(first, file=io.StringIO()) == \
        theano.printing.kernel_sources(second, file=io.StringIO())


@pytest.mark.skipif(CXX is None, reason="no C++ compiler found")
def test_kernel_bodies_agree_with_numpy(tmp_path):
    assert len(CASES) >= 16
    (tmp_path / "kernels.cpp").write_text(_program(CASES))
    subprocess.run([CXX, "-O0", "-o", str(tmp_path / "kernels"), str(tmp_path / "kernels.cpp")], check=True)
    printed = subprocess.run([str(tmp_path / "kernels")], check=True, capture_output=True, text=True).stdout
    values = np.array(printed.split(), dtype=float)
    offset = 0
    for name, composite, arrays in CASES:
        with np.errstate(all="ignore"):  # an inner input may be, say, log1p's argument below -1: NaN on both
            results = composite.impl(np, *arrays)
        expected = np.stack([np.asarray(r, dtype=float) for r in (results if isinstance(results, tuple)
                                                                   else (results,))], axis=1).ravel()
        got = values[offset:offset + expected.size]
        offset += expected.size
        tolerance = 1e-5 if "float32" in name else 1e-13
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance, err_msg=f"{name}: {composite}")
    assert offset == values.size
