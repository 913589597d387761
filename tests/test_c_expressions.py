"""Each elementwise op's C expression, compiled with the host C++ compiler, agrees with its impl.

The GPU backend builds fused CUDA kernels from these expressions; CUDA's math
functions follow C++'s, so checking them on the CPU catches a wrong formula
(C's truncating integer division, NaN handling in maximum) without a GPU.
"""

import shutil
import subprocess

import numpy as np
import pytest

from cupy_standin import HOST_PRELUDE
from minitensor.tensor.c_helpers import PREAMBLE
from minitensor.tensor.elemwise import Elemwise
from minitensor.tensor.type import TensorType
from op_specs import SPECS

COMPILER = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler found")

CTYPE = {"float64": "double", "float32": "float", "int32": "int", "bool": "bool", "int8": "signed char"}


# Integer arithmetic differs from float arithmetic in C (truncating division, no NaN), so these
# rows are checked with int32 inputs too.
ALSO_INTEGER = {"int_div", "add", "mul", "sub", "maximum", "minimum", "sgn", "neg", "abs", "clip", "mod"}


def _cases():
    """(name, node, input arrays) for every elementwise row, in each of its dtypes."""
    rng = np.random.default_rng(0)
    for spec in SPECS:
        if not issubclass(spec.op, Elemwise):
            continue
        for dtype in sorted(set(spec.dtypes) | ({"int32"} if spec.name in ALSO_INTEGER else set())):
            scale = 3 if dtype == "int32" else 1  # integers from -6 to 6, not just -2 to 2
            fixed = spec.input_dtypes or (None,) * len(spec.domains)
            arrays = [np.asarray(domain(rng, (8,), "float64") * scale, dtype=fixed_dtype or dtype)
                      for domain, fixed_dtype in zip(spec.domains, fixed)]
            if dtype == "int32" and spec.name in ("int_div", "mod"):
                arrays[1][:2] = 0  # NumPy's integer x // 0 and x % 0 are 0; C's are undefined
            inputs = [TensorType(a.dtype, (False,))() for a in arrays]
            node = spec.build(*inputs).owner
            if node is not None and isinstance(node.op, spec.op) and all(i in inputs for i in node.inputs):
                yield f"{spec.name}_{dtype}", node, arrays


def test_c_expressions_match_impl(tmp_path):
    cases = list(_cases())
    assert len(cases) > 30
    # The code runs in namespace mt, where the host's math overloads are (backends/c.py).
    lines = [HOST_PRELUDE, "#include <cstdio>", "namespace mt {", PREAMBLE, "int run() {"]
    for number, (name, node, arrays) in enumerate(cases):
        names = []
        for position, array in enumerate(arrays):
            var = f"in{number}_{position}"
            values = ", ".join(repr(v.item()).lower() for v in array)
            lines.append(f"  {CTYPE[array.dtype.name]} {var}[] = {{{values}}};")
            names.append(f"{var}[i]")
        expression = node.op.c_expr(names, node.outputs[0].dtype)
        lines.append(f"  for (int i = 0; i < {len(arrays[0])}; i++) printf(\"%.17g\\n\", (double) {expression});")
    lines += ["  return 0;", "}", "}  // namespace mt", "int main() { return mt::run(); }"]
    source = tmp_path / "ops.cpp"
    source.write_text("\n".join(lines))
    subprocess.run([COMPILER, "-O0", "-o", str(tmp_path / "ops"), str(source)], check=True)
    printed = subprocess.run([str(tmp_path / "ops")], check=True, capture_output=True, text=True).stdout.split()
    values = np.array(printed, dtype=float)
    offset = 0
    for name, node, arrays in cases:
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.asarray(node.op.impl(np, *arrays), dtype=float)
        got = values[offset:offset + len(expected)]
        offset += len(expected)
        tolerance = 1e-6 if "float32" in name else 1e-13
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance, err_msg=name)
